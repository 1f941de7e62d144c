"""Who gets a legacy person's data: only an account that has confirmed the person's address (at
signup, at confirmation, after an email change, when an anonymous account becomes permanent), or
one Auth was given the person's own id; never two rows for one person; a foreign key that does
not cascade holds up the adoption, never the signup. And an import runs beside signups and
profile writes without holding them up or overwriting them."""

from __future__ import annotations

import threading
import time
import uuid

import psycopg
import pytest
from psycopg.types.json import Jsonb

from glue.legacy import import_legacy, verify_legacy
from tests.support import legacy_data


@pytest.fixture
def legacy_db(db):
    with db.connect() as conn:
        legacy_data.create_tables(conn)
    return db


def _person(db, email="lin@example.com", name="Lin Legacy", phone="+44 20 7946 0123") -> uuid.UUID:
    """A legacy person without an account, imported: a chat row with a name, phone, privacy
    settings and notification preferences, and a custom row with xp."""
    person = uuid.uuid4()
    with db.connect() as conn:
        legacy_data.insert(
            conn,
            "chat_users",
            legacy_data.CHAT,
            [
                (
                    person,
                    email,
                    name,
                    phone,
                    "$2b$h",
                    {"show_email": False},
                    {"push": True},
                    True,
                    "2023-01-01T00:00:00Z",
                )
            ],
        )
        legacy_data.insert(conn, "custom_users", legacy_data.CUSTOM, [(person, None, 4, 300)])
    import_legacy(db.url(), batch_size=10, dry_run=False)
    assert db.user(str(person))["origin"] == "legacy_migration"
    return person


def _rows_for(db, email: str) -> list[tuple]:
    return db.all("select id::text, origin from public.users where lower(email) = %s and deleted_at is null", (email,))


def _chat_preferences(db, user_id) -> dict | None:
    row = db.one(
        "select service_preferences from public.user_service_profiles where user_id = %s and service_type = 'chat'",
        (user_id,),
    )
    return row and row[0]


def _holds_the_persons_data(user: dict) -> bool:
    return user["phone_number"] == "+442079460123" or user["xp"] == 300 or user["privacy_settings"] != {}


def test_an_unconfirmed_signup_gets_nothing_of_the_person_until_it_confirms(legacy_db):
    db = legacy_db
    person = _person(db)
    account = db.auth.email_signup("lin@example.com", {"full_name": "Someone"}, autoconfirm=False)
    user = db.user(account)
    assert not _holds_the_persons_data(user) and _chat_preferences(db, account) is None
    assert db.user(str(person))["full_name"] == "Lin Legacy"  # the person is untouched
    db.auth.confirm_email(account)
    assert _rows_for(db, "lin@example.com") == [(account, "supabase_auth")]
    user = db.user(account)
    # merged: the account's own name wins (the person's is a conflict), the person fills the rest
    assert (user["full_name"], user["phone_number"], user["xp"], user["current_streak"], user["privacy_settings"]) == (
        "Someone",
        "+442079460123",
        300,
        4,
        {"show_email": False},
    )
    assert _chat_preferences(db, account) == {"push": True}
    assert ("full_name", "Someone", "users", "Lin Legacy", "legacy_migration") in db.all(
        "select field, kept_value, kept_source, other_value, other_source from nura.legacy_conflicts"
        " where user_id = %s",
        (account,),
    )
    assert db.all("select distinct user_id::text from nura.legacy_user_map") == [(account,)]
    assert db.one("select count(*) from public.user_sync_logs where user_id = %s", (person,))[0] == 0
    assert verify_legacy(db.url()) == [] and db.drift() == []


def test_confirming_many_accounts_in_one_statement_adopts_their_people(legacy_db):
    db = legacy_db
    person = _person(db)
    accounts = [db.auth.email_signup(e, autoconfirm=False) for e in ("lin@example.com", "other@example.com")]
    with psycopg.connect(db.url("supabase_auth_admin")) as conn:  # an admin confirming them all at once
        conn.execute("update users set email_confirmed_at = now() where id = any(%s::uuid[])", (accounts,))
    assert _rows_for(db, "lin@example.com") == [(accounts[0], "supabase_auth")]
    assert db.user(accounts[0])["xp"] == 300 and db.user(str(person)) is None  # merged into the account
    assert verify_legacy(db.url()) == [] and db.drift() == []


def test_the_import_gives_an_unconfirmed_account_nothing(legacy_db):
    db = legacy_db
    account = db.auth.email_signup("pending@example.com", autoconfirm=False)
    person = uuid.uuid4()
    with db.connect() as conn:
        legacy_data.insert(
            conn,
            "chat_users",
            legacy_data.CHAT,
            [
                (
                    person,
                    "pending@example.com",
                    "Pending Person",
                    "+44 20 7946 0456",
                    "$2b$h",
                    None,
                    None,
                    True,
                    "2023-01-01T00:00:00Z",
                )
            ],
        )
    import_legacy(db.url(), batch_size=10, dry_run=False)
    assert db.user(account)["full_name"] is None and db.user(account)["phone_number"] is None
    assert db.user(str(person))["full_name"] == "Pending Person"
    db.auth.confirm_email(account)
    assert _rows_for(db, "pending@example.com") == [(account, "supabase_auth")]
    assert db.user(account)["full_name"] == "Pending Person"


def test_a_confirmed_email_change_to_a_legacy_address_merges_the_two(legacy_db):
    db = legacy_db
    person = _person(db, email="moved@example.com")
    account = db.auth.email_signup("old-address@example.com", {"full_name": "Account Name"})
    with db.connect() as conn:
        conn.execute('select nura.update_profile(%s, \'{"bio": "my bio"}\')', (account,))
    db.auth.request_email_change(account, "moved@example.com")
    assert db.user(str(person)) is not None  # requested, not confirmed: nothing yet
    db.auth.confirm_email_change(account)
    assert _rows_for(db, "moved@example.com") == [(account, "supabase_auth")]
    user = db.user(account)
    assert (user["full_name"], user["bio"], user["phone_number"], user["xp"]) == (
        "Account Name",
        "my bio",
        "+442079460123",
        300,
    )
    assert verify_legacy(db.url()) == [] and db.drift() == []


def test_an_anonymous_account_made_permanent_with_a_legacy_address_merges(legacy_db):
    db = legacy_db
    _person(db, email="anon@example.com")
    account = db.auth.anonymous_sign_in()
    with psycopg.connect(db.url("supabase_auth_admin")) as conn:  # the email-change flow's last transaction
        conn.execute(
            "update users set email = 'anon@example.com', email_confirmed_at = clock_timestamp(),"
            " updated_at = clock_timestamp() where id = %s",
            (account,),
        )
        conn.execute("update users set is_anonymous = false, updated_at = clock_timestamp() where id = %s", (account,))
    assert _rows_for(db, "anon@example.com") == [(account, "supabase_auth")]
    assert db.user(account)["phone_number"] == "+442079460123"
    assert db.drift() == []


@pytest.mark.parametrize("how", ["admin create", "webhook"])
def test_an_account_given_a_legacy_persons_own_id_keeps_their_values(legacy_db, how):
    db = legacy_db
    person = str(_person(db, email="own-id@example.com"))
    if how == "admin create":
        db.auth.admin_create("own-id@example.com", user_id=person)
    else:
        record = {
            **db.auth_row(db.auth.admin_create("elsewhere@example.com")),
            "id": person,
            "email": "own-id@example.com",
            "raw_user_meta_data": {},
        }
        db.one("select nura.sync_from_auth(%s, null, 'INSERT', 'supabase_webhook')", (Jsonb(record),))
    user = db.user(person)
    assert (user["full_name"], user["phone_number"], user["xp"], user["is_active"]) == (
        "Lin Legacy",
        "+442079460123",
        300,
        True,
    )
    assert user["origin"] == ("supabase_auth" if how == "admin create" else "supabase_webhook")
    assert verify_legacy(db.url()) == []


def test_a_foreign_key_that_does_not_cascade_holds_up_the_adoption_not_the_signup(legacy_db, run):
    db = legacy_db
    person = _person(db, email="orders@example.com")
    with db.connect() as conn:
        conn.execute(
            "create table public.orders (id bigint generated always as identity primary key,"
            " user_id uuid not null constraint orders_user_id_fkey references public.users (id))"
        )
        conn.execute("insert into public.orders (user_id) values (%s)", (person,))
    account = db.auth.email_signup("orders@example.com", {"full_name": "Orderer"})
    assert db.user(account)["full_name"] == "Orderer"  # the account has its row at once
    [(user_id, problem, detail)] = db.drift()
    assert (str(user_id), problem, detail["legacy_person"]) == (account, "adoption_blocked", str(person))
    assert "orders_user_id_fkey" in detail["blocked_by"]
    assert [log["error_message"][:5] for log in db.logs(account) if not log["success"]] == ["23503"]
    code, out, _ = run(db, "check")
    assert code == 1 and "adoption_blocked" in out
    db.one("select nura.reconcile()")
    assert [p for _, p, _ in db.drift()] == ["adoption_blocked"]  # still held up: nothing moved
    assert db.one("select user_id::text from public.orders")[0] == str(person)
    with db.connect() as conn:
        conn.execute(
            "alter table public.orders drop constraint orders_user_id_fkey, add constraint orders_user_id_fkey"
            " foreign key (user_id) references public.users (id) on update cascade"
        )
    assert db.one("select nura.reconcile()")[0] == 1
    assert db.one("select user_id::text from public.orders")[0] == account
    assert _rows_for(db, "orders@example.com") == [(account, "supabase_auth")]
    assert db.drift() == [] and verify_legacy(db.url()) == []


def _legacy_rows_for(db, account: str, email: str) -> None:
    """A chat row and a custom row for the account: a name and xp the import would fill."""
    with db.connect() as conn:
        legacy_data.insert(
            conn,
            "chat_users",
            legacy_data.CHAT,
            [(uuid.uuid4(), email, "Legacy Name", None, "$2b$h", None, None, True, "2023-01-01T00:00:00Z")],
        )
        legacy_data.insert(conn, "custom_users", legacy_data.CUSTOM, [(uuid.UUID(account), None, 2, 500)])


def _assert_the_edits_stand(db, account: str) -> None:
    user = db.user(account)
    assert (user["full_name"], user["xp"], user["current_streak"]) == ("Edited Meanwhile", 10, 2)
    [log] = [row for row in db.logs(account) if row["sync_type"] == "legacy_import"]
    assert "full_name" not in log["after_data"] and "xp" not in log["after_data"]
    assert (log["before_data"], log["after_data"]["current_streak"]) == ({"current_streak": 0}, 2)  # what it replaced
    lost = {
        (f, k, o)
        for f, k, o in db.all(
            "select field, kept_value, other_value from nura.legacy_conflicts where user_id = %s", (account,)
        )
    }
    assert {("full_name", "Edited Meanwhile", "Legacy Name"), ("xp", "10", "500")} <= lost
    assert verify_legacy(db.url()) == []


def _edit(conn, account: str) -> None:
    conn.execute('select nura.update_profile(%s, \'{"full_name": "Edited Meanwhile"}\')', (account,))
    conn.execute("select nura.add_xp(%s, 10)", (account,))


def test_an_import_overwrites_nothing_written_after_it_planned(legacy_db):
    db = legacy_db
    account = db.auth.email_signup("busy@example.com")  # no name, no xp: the import would fill both
    _legacy_rows_for(db, account, "busy@example.com")
    with db.connect() as conn:  # enough people in the one batch for it to plan a while
        legacy_data.load(conn, legacy_data.messy(seed=17, people=20_000, auth_emails=[]))
    importer = threading.Thread(
        target=import_legacy, args=(db.url(),), kwargs={"batch_size": 1_000_000, "dry_run": False}
    )
    importer.start()
    with db.connect() as watcher:
        while not watcher.execute(
            "select exists (select from pg_stat_activity where state = 'active'"
            " and query like '%%legacy_import_batch%%' and pid <> pg_backend_pid())"
        ).fetchone()[0]:
            assert importer.is_alive()
            time.sleep(0.01)
        _edit(watcher, account)  # commits while the batch plans: nothing waits
    importer.join(timeout=120)
    _assert_the_edits_stand(db, account)


def test_a_person_busy_while_a_batch_writes_is_imported_by_the_next_pass(legacy_db):
    db = legacy_db
    account = db.auth.email_signup("busy@example.com")
    _legacy_rows_for(db, account, "busy@example.com")
    writer = psycopg.connect(db.url())  # holds the row while the first pass's batch writes
    _edit(writer, account)
    passes = []

    def progress(done, batches, counts):
        passes.append(counts["deferred"])
        if len(passes) == 1:
            writer.commit()  # the batch did not wait for it: it deferred the person

    totals = import_legacy(db.url(), batch_size=10, dry_run=False, progress=progress)
    writer.close()
    assert passes == [1, 0] and totals["deferred"] == 0
    _assert_the_edits_stand(db, account)


@pytest.mark.parametrize("dry_run", [True, False], ids=["dry run", "import"])
def test_signups_during_an_import_wait_for_no_more_than_a_batchs_last_step(legacy_db, dry_run):
    db = legacy_db
    data = legacy_data.messy(seed=13, people=100_000, auth_emails=[])
    legacy_emails = [row[1].strip().lower() for row in data["chat_users"][:2000] if row[1]]
    with db.connect() as conn:
        legacy_data.load(conn, data)
    rows = sum(len(v) for v in data.values())
    assert rows > 200_000
    latencies, errors, batch_seconds = [], [], []
    done = threading.Event()

    def sign_up_every_fifth_of_a_second() -> None:
        n = 0
        while not done.is_set():
            # every third one has a legacy person's address
            email = (
                legacy_emails[n * 7 % len(legacy_emails)] if n % 3 == 0 else f"new{n}-{uuid.uuid4().hex[:6]}@x.example"
            )
            started = time.monotonic()
            try:
                db.auth.email_signup(email)
            except psycopg.errors.UniqueViolation:
                pass  # the same address twice
            except Exception as e:  # surfaced below
                errors.append(e)
            latencies.append(time.monotonic() - started)
            n += 1
            done.wait(0.2)

    last = [time.monotonic()]

    def progress(done_batches, batches, counts):
        batch_seconds.append(time.monotonic() - last[0])
        last[0] = time.monotonic()

    signups = threading.Thread(target=sign_up_every_fifth_of_a_second)
    signups.start()
    try:
        import_legacy(db.url(), batch_size=10_000, dry_run=dry_run, progress=progress)
    finally:
        done.set()
        signups.join()
    assert errors == []
    assert len(latencies) > 20
    # the old import made signups wait for whole batches (4 to 16 s); now only for the last step of one
    assert max(latencies) < 1.0, sorted(latencies)[-5:]
    assert max(latencies) < sorted(batch_seconds)[len(batch_seconds) // 2], (max(latencies), batch_seconds)
    print(
        f"GUARANTEE import beside signups ({'dry run' if dry_run else 'import'}): {rows} legacy rows in "
        f"{len(batch_seconds)} batches of {min(batch_seconds):.1f}-{max(batch_seconds):.1f} s; {len(latencies)} "
        f"signups, slowest {max(latencies) * 1000:.0f} ms"
    )
    if not dry_run:
        assert db.one(
            "select count(*) = count(distinct lower(email)) from public.users"
            " where email is not null and deleted_at is null"
        )[0]
        assert verify_legacy(db.url()) == [] and db.drift() == []


def test_a_reimport_never_hands_a_deleted_users_legacy_rows_to_the_next_owner_of_the_address(legacy_db):
    db = legacy_db
    first = db.auth.email_signup("reused@example.com")
    chat = uuid.uuid4()
    with db.connect() as conn:
        legacy_data.insert(
            conn,
            "chat_users",
            legacy_data.CHAT,
            [
                (
                    chat,
                    "reused@example.com",
                    "First Owner",
                    "+44 20 7946 0777",
                    "$2b$h",
                    {"x": 1},
                    {"push": True},
                    True,
                    "2023-01-01T00:00:00Z",
                )
            ],
        )
    import_legacy(db.url(), batch_size=10, dry_run=False)
    db.auth.hard_delete(first)
    second = db.auth.email_signup("reused@example.com", {"full_name": "Second Owner"})
    with db.connect() as conn:
        conn.execute("update public.chat_users set locale = 'en'")  # the row changes: imported once more
    import_legacy(db.url(), batch_size=10, dry_run=False)
    user = db.user(second)
    assert (user["full_name"], user["phone_number"], user["privacy_settings"]) == ("Second Owner", None, {})
    assert _chat_preferences(db, second) is None
    assert db.one("select user_id::text from nura.legacy_user_map where legacy_id = %s", (chat,))[0] == first


def test_a_write_that_sets_an_address_without_confirming_it_adopts_no_one(legacy_db):
    db = legacy_db
    person = _person(db, email="victim@example.com")
    attacker = db.auth.email_signup("attacker@example.com")  # confirmed, for another address
    with psycopg.connect(db.url("supabase_auth_admin")) as conn:
        conn.execute(
            "update users set email = 'victim@example.com', updated_at = clock_timestamp() where id = %s", (attacker,)
        )
    assert not _holds_the_persons_data(db.user(attacker))
    assert db.user(str(person))["phone_number"] == "+442079460123"


def test_an_anonymous_account_made_permanent_a_transaction_after_its_address_adopts(legacy_db):
    db = legacy_db
    _person(db, email="later@example.com")
    account = db.auth.anonymous_sign_in()
    with psycopg.connect(db.url("supabase_auth_admin")) as conn:
        conn.execute(
            "update users set email = 'later@example.com', email_confirmed_at = clock_timestamp(),"
            " updated_at = clock_timestamp() where id = %s",
            (account,),
        )
    assert not _holds_the_persons_data(db.user(account))  # still anonymous
    with psycopg.connect(db.url("supabase_auth_admin")) as conn:
        conn.execute("update users set is_anonymous = false, updated_at = clock_timestamp() where id = %s", (account,))
    assert _rows_for(db, "later@example.com") == [(account, "supabase_auth")]


def test_an_email_change_confirmed_while_a_batch_writes_never_fails_auth(legacy_db):
    db = legacy_db
    account = db.auth.email_signup("ann@example.com")
    lin, xavier = uuid.uuid4(), uuid.uuid4()
    with db.connect() as conn:
        legacy_data.insert(
            conn,
            "chat_users",
            legacy_data.CHAT,
            [
                (lin, "lin@example.com", "Lin", None, "$2b$h", None, None, True, "2023-01-01T00:00:00Z"),
                (xavier, "xavier@example.com", "Xavier", None, "$2b$h", None, None, True, "2023-01-01T00:00:00Z"),
                (
                    uuid.uuid4(),
                    "ann@example.com",
                    "Ann Legacy",
                    None,
                    "$2b$h",
                    None,
                    None,
                    True,
                    "2023-01-01T00:00:00Z",
                ),
            ],
        )
    import_legacy(db.url(), batch_size=1000, dry_run=False)
    with db.connect() as conn:  # every row changes: all three people are written again, in one batch
        conn.execute("update public.chat_users set locale = 'en'")
    db.auth.request_email_change(account, "lin@example.com")
    other = psycopg.connect(db.url())  # someone else's write holds one of the batch's people
    other.execute("select from public.users where id = %s for update", (xavier,))
    errors = []

    def confirm():
        try:
            db.auth.confirm_email_change(account)
        except psycopg.Error as e:
            errors.append(e)

    importer = threading.Thread(target=import_legacy, args=(db.url(),), kwargs={"batch_size": 1000, "dry_run": False})
    importer.start()
    confirmation = threading.Thread(target=confirm)
    confirmation.start()
    time.sleep(0.5)
    other.rollback()
    other.close()
    confirmation.join(timeout=60)
    importer.join(timeout=60)
    assert errors == []
    assert db.one("select email from auth.users where id = %s", (account,))[0] == "lin@example.com"
    import_legacy(db.url(), batch_size=1000, dry_run=False)
    assert _rows_for(db, "lin@example.com") == [(account, "supabase_auth")] or [p for _, p, _ in db.drift()] == [
        "adoption_blocked"
    ]
    db.one("select nura.reconcile()")
    assert _rows_for(db, "lin@example.com") == [(account, "supabase_auth")] and db.drift() == []


def test_an_account_without_its_row_signing_in_during_an_import_never_fails(legacy_db):
    db = legacy_db
    account = db.auth.email_signup("drifted@example.com")
    with db.connect() as conn:  # its sync failed once: no row
        conn.execute("delete from public.user_sync_logs where user_id = %s", (account,))
        conn.execute("delete from public.users where id = %s", (account,))
        legacy_data.insert(
            conn,
            "chat_users",
            legacy_data.CHAT,
            [(uuid.uuid4(), "drifted@example.com", "Drifted", None, "$2b$h", None, None, True, "2023-01-01T00:00:00Z")],
        )
        legacy_data.load(conn, legacy_data.messy(seed=19, people=5_000, auth_emails=[]))
    errors = []
    importer = threading.Thread(
        target=import_legacy, args=(db.url(),), kwargs={"batch_size": 100_000, "dry_run": False}
    )
    importer.start()
    while importer.is_alive():
        try:
            db.auth.sign_in(account)
        except psycopg.Error as e:
            errors.append(e)
        time.sleep(0.05)
    assert errors == []
    assert db.user(account)["full_name"] == "Drifted" and db.drift() == []


def test_completing_a_held_up_adoption_beside_the_persons_deletion_leaves_their_tombstone(legacy_db):
    db = legacy_db
    person = _person(db, email="held@example.com")
    with db.connect() as conn:
        conn.execute("create table public.orders (user_id uuid references public.users (id))")
        conn.execute("insert into public.orders values (%s)", (person,))
    account = db.auth.email_signup("held@example.com")
    with db.connect() as conn:
        conn.execute(
            "alter table public.orders drop constraint orders_user_id_fkey, add foreign key (user_id)"
            " references public.users (id) on update cascade"
        )
    record = {**db.auth_row(account), "id": str(person)}
    writer = psycopg.connect(db.url())
    writer.execute("select from public.users where id = %s for update", (account,))
    reconcile = threading.Thread(target=db.one, args=("select nura.reconcile()",))
    reconcile.start()
    time.sleep(0.3)
    deletion = threading.Thread(
        target=db.one, args=("select nura.sync_from_auth(null, %s, 'DELETE', 'supabase_webhook')", (Jsonb(record),))
    )
    deletion.start()
    time.sleep(0.3)
    writer.rollback()
    writer.close()
    reconcile.join(timeout=30)
    deletion.join(timeout=30)
    tombstone = db.user(str(person))
    assert tombstone is not None and tombstone["deleted_at"] is not None  # a late delivery cannot bring them back
