"""API keys in the SDK (MemOS.create_key / list_keys / revoke_key / verify_key): stored
hashed, revocable, and added to stores made before keys existed."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from memos.errors import InvalidInputError, NotFoundError, UnauthorizedError
from memos.facade import MemOS


def test_secret_is_shown_once_and_stored_hashed(tmp_path: Path) -> None:
    store = tmp_path / "store"
    with MemOS.open(str(store)) as mem:
        info, secret = mem.create_key("alice", "planner")
        assert (info.user_id, info.agent_id, info.admin, info.revoked_at) == (
            "alice", "planner", False, None)
        assert secret.startswith(f"memos-{info.key_id}-") and len(secret) > 50
        assert mem.verify_key(secret).key_id == info.key_id
        assert "secret" not in mem.list_keys()[0].model_dump()
    raw = b"".join(p.read_bytes() for p in store.rglob("*") if p.is_file())
    assert secret.encode() not in raw  # not in the database, its WAL or any index file
    with sqlite3.connect(store / "memos.db") as db:
        stored = db.execute("SELECT secret_hash FROM api_keys").fetchone()[0]
    assert stored == hashlib.sha256(secret.encode()).hexdigest()


def test_revoke_and_verify(tmp_path: Path) -> None:
    with MemOS.open(str(tmp_path / "store")) as mem:
        info, secret = mem.create_key("bob", admin=True)
        other, other_secret = mem.create_key("bob")
        revoked = mem.revoke_key(info.key_id)
        assert revoked.revoked_at is not None
        assert mem.revoke_key(info.key_id).revoked_at == revoked.revoked_at  # idempotent
        with pytest.raises(UnauthorizedError, match="revoked"):
            mem.verify_key(secret)
        assert mem.verify_key(other_secret).key_id == other.key_id  # the other key lives on
        for bad in (None, "", "memos-" + "x" * 50, secret[:-1], "y" * 10_000):
            with pytest.raises(UnauthorizedError):
                mem.verify_key(bad)
        with pytest.raises(NotFoundError):
            mem.revoke_key("k000000000000")
        with pytest.raises(InvalidInputError):
            mem.create_key("")
        with pytest.raises(InvalidInputError):
            mem.create_key("alice", admin="yes")  # type: ignore[arg-type]
        assert [k.key_id for k in mem.list_keys("bob")] == [info.key_id, other.key_id]


def test_a_store_made_before_keys_gets_the_table(tmp_path: Path) -> None:
    store = tmp_path / "store"
    with MemOS.open(str(store)) as mem:
        cid = mem.add("made before keys", "alice").id
    with sqlite3.connect(store / "memos.db") as db:  # the store as an older release left it
        db.execute("DROP TABLE api_keys")
    with MemOS.open(str(store)) as mem:
        info, secret = mem.create_key("alice")
        assert mem.verify_key(secret).user_id == "alice"
        assert mem.get(cid, "alice").content == "made before keys"


def test_list_keys_reads_a_user_id_as_every_other_call_does(tmp_path: Path) -> None:
    # list_keys("") answered [] and the decomposed spelling of "josé" missed josé's key;
    # create_key("") showed pydantic's multi-line report with its URL.
    with MemOS.open(tmp_path / "store") as mem:
        info, _ = mem.create_key("jos\u00e9")
        assert [k.key_id for k in mem.list_keys("jose\u0301")] == [info.key_id]
        for bad in ("", " ", "\u200b", "a\x00b"):
            with pytest.raises(InvalidInputError, match="user"):
                mem.list_keys(bad)
            with pytest.raises(InvalidInputError) as refused:
                mem.create_key(bad)
            assert "pydantic" not in str(refused.value) and "\n" not in str(refused.value)
