"""Scheduled maintenance in the database, where pg_cron is installed (Supabase has it): jobs for the
incremental drift check, the full one, reconcile and prune, each a short statement or a procedure
that commits batch by batch. Without pg_cron, the crontab lines that run the same commands."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

JOB_PREFIX = "nura-users "
OURS = JOB_PREFIX.replace("_", r"\_") + "%"  # a LIKE pattern for our jobs
DEFAULT_PRUNE_DAYS = 90


@dataclass(frozen=True)
class Job:
    name: str
    schedule: str
    sql: str
    command: str  # the same, from a crontab


def jobs(prune_days: int) -> list[Job]:
    return [
        Job("check changes", "* * * * *", "select count(*) from nura.check_changes()", "nura-users check --changes"),
        # daily: it records a full check (what no log row shows: a write with our triggers off)
        # and repairs what that and the incremental checks found, in batches
        Job("reconcile", "47 3 * * *", "call nura.run_reconcile()", "nura-users reconcile"),
        Job(
            "prune",
            "41 4 * * *",
            f"call nura.run_prune({int(prune_days)})",
            f"nura-users prune --older-than {int(prune_days)} --yes",
        ),
    ]


def has_pg_cron(conn: psycopg.Connection) -> bool:
    return conn.execute("select exists (select from pg_catalog.pg_extension where extname = 'pg_cron')").fetchone()[0]


def install(conn: psycopg.Connection, prune_days: int) -> list[Job]:
    """Schedules the jobs (a job of that name is updated in place), as the connection's user."""
    scheduled = jobs(prune_days)
    for job in scheduled:
        conn.execute("select cron.schedule(%s, %s, %s)", (JOB_PREFIX + job.name, job.schedule, job.sql))
    # and a job of ours an earlier release scheduled goes (the daily full check reconcile now runs)
    conn.execute(
        "select cron.unschedule(jobid) from cron.job where jobname like %s and jobname <> all(%s)",
        (OURS, [JOB_PREFIX + job.name for job in scheduled]),
    )
    return scheduled


def remove(conn: psycopg.Connection) -> int:
    return len(conn.execute("select cron.unschedule(jobid) from cron.job where jobname like %s", (OURS,)).fetchall())


def scheduled(conn: psycopg.Connection) -> list[str]:
    """One line per job of ours: its schedule, its command and how its last run went."""
    rows = conn.execute(
        """
        select j.jobname, j.schedule, j.command, j.active, r.status, r.end_time, r.return_message
        from cron.job j
        left join lateral (select d.status, d.end_time, d.return_message from cron.job_run_details d
                           where d.jobid = j.jobid order by d.runid desc limit 1) r on true
        where j.jobname like %s
        order by j.jobname""",
        (OURS,),
    ).fetchall()
    lines = []
    for name, when, command, active, status, ended, message in rows:
        last = f"last run {status} at {ended:%Y-%m-%d %H:%M:%S%z}" if ended else "not run yet"
        if status == "failed" and message:
            last += f" ({message.strip().splitlines()[0][:200]})"
        lines.append(f"job {name} ({when}{'' if active else ', inactive'}): {command}; {last}")
    return lines


def crontab(prune_days: int) -> list[str]:
    return [f"{job.schedule}  {job.command}" for job in jobs(prune_days)]
