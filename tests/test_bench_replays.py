"""The benchmark's pgbench scripts replay Auth's flows as the stand-in does: run once under the
recorder, each issues the same statements on auth.users, in the same transactions, with the same
other tables' writes, and passes the same checks of Auth's rules."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from glue.dev.localpg import bindir
from tests.support.auth_writes import Recorder

SCRIPTS = Path(__file__).resolve().parents[1] / "bench" / "pgbench"
CLAIMS = {
    "iss": "https://accounts.google.com", "sub": "104", "name": "Gina Google", "email": "gina@example.com",
    "picture": "https://lh3.example/gina.png", "email_verified": True,
}  # fmt: skip


def replayed(db, recorder, run) -> list[tuple[list[str], set[str]]]:
    recorder.clear()
    run()
    return [(tx.shapes, tx.other) for tx in recorder.take()]


def pgbench_once(db, script: str) -> None:
    cluster = db.cluster
    subprocess.run(
        [
            str(bindir() / "pgbench"), "-n", "-M", "prepared", "-h", cluster.host, "-p", str(cluster.port),
            "-U", "supabase_auth_admin", "-t", "1", "-D", "seed_users=1", "-f", str(SCRIPTS / script), db.name,
        ],
        check=True, capture_output=True,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("script", "flow"),
    [
        (
            "signup_autoconfirm.sql",
            lambda auth, uid: auth.email_signup("bench@example.com", {"full_name": "Bench User"}),
        ),
        ("sign_in.sql", lambda auth, uid: auth.sign_in(uid)),
        ("refresh.sql", lambda auth, uid: auth.refresh(uid)),
        ("oauth_login.sql", lambda auth, uid: auth.oauth_login(uid, CLAIMS)),
    ],
)
def test_a_benchmark_script_replays_its_flow_as_the_stand_in_does(db, script, flow):
    uid = db.auth.oauth_signup("google", CLAIMS)
    with db.connect() as conn:  # the benchmark's table of existing users, here one
        conn.execute(
            "create table public.bench_users as select 1 as n, user_id as id, id as session_id from auth.sessions"
            " where user_id = %s",
            (uid,),
        )
        conn.execute("grant select on public.bench_users to supabase_auth_admin")
    recorder = Recorder(db)
    recorder.install()
    stand_in = replayed(db, recorder, lambda: flow(db.auth, uid))
    benchmark = replayed(db, recorder, lambda: pgbench_once(db, script))
    assert benchmark == stand_in
    assert db.drift() == []
