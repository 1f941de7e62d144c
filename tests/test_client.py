"""The Python client for services, against a real database as a role granted nura_service."""

from __future__ import annotations

import uuid

import pytest

from glue.client import BadInput, NotFound, NuraClient


@pytest.fixture
def client(db):
    name = f"svc_{uuid.uuid4().hex[:8]}"
    with db.connect("supabase_admin") as conn:
        conn.execute(f"create role {name} login in role nura_service")
    with NuraClient.connect(db.url(name), max_size=4) as nura:
        yield nura
    with db.connect("supabase_admin") as conn:
        conn.execute(f"drop owned by {name}")
        conn.execute(f"drop role {name}")


def test_one_typed_call_per_function(db, client):
    uid = db.auth.email_signup("client@example.com", {"full_name": "Client"})
    assert client.get_user(uid)["full_name"] == "Client"
    assert client.get_user(uuid.uuid4()) is None
    assert client.get_user_for_chat(uid)["chat_preferences"] == {}
    assert client.update_profile(uid, {"bio": "hello"}, request_id="r1")["bio"] == "hello"
    assert db.logs(uid)[-1]["request_id"] == "r1"
    assert client.update_backend_fields(uid, {"current_streak": 4})["current_streak"] == 4
    assert client.add_xp(uid, 7) == 7
    assert client.set_service_preferences(uid, "voice", {"speed": 2})["service_preferences"] == {"speed": 2}
    assert client.set_service_metadata(uid, "voice", {"call_history": []})["service_metadata"] == {"call_history": []}
    assert client.get_user_for_voice(uid)["voice_preferences"] == {"speed": 2}
    assert client.touch_service(uid, "memory")["usage_stats"] == {"uses": 1}
    assert client.get_user_for_memory(uid)["privacy_level"] == "standard"
    assert client.get_service_profile(uid, "voice")["service_preferences"] == {"speed": 2}
    assert client.check_consistency() == []
    assert client.reconcile() == 0
    assert {m["source"] for m in client.sync_metrics()} == {"supabase_auth", "backend_api"}


def test_pt_errors_become_exceptions(db, client):
    uid = db.auth.email_signup("err@example.com")
    with pytest.raises(BadInput) as e:
        client.update_profile(uid, {"email": "x@example.com"})
    assert e.value.code == "PT400" and "email" in e.value.message and e.value.hint
    with pytest.raises(NotFound):
        client.get_service_profile(uid, "fax")
    with pytest.raises(NotFound):
        client.add_xp(uuid.uuid4(), 1)


def test_webhook_images_through_the_client(db, client):
    uid = db.auth.email_signup("w@example.com", {"full_name": "W"})
    with db.connect() as conn:
        record = conn.execute("select to_jsonb(a) from auth.users a where id = %s", (uid,)).fetchone()[0]
        conn.execute("delete from public.users")
    assert client.sync_from_auth(record, None, "INSERT")["full_name"] == "W"
    assert client.sync_from_auth(None, record, "DELETE")["deleted_at"] is not None
