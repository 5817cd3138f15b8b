"""`memos keys revoke` given a key's whole secret instead of its id: the secret is never
printed (before, the error echoed its first 40 characters); the key is found by the hash
of the secret (as a request's key is) and revoked."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

Run = Callable[..., Any]  # the `memos_cli` fixture of conftest.py


def _create(memos_cli: Run, user: str) -> tuple[str, str]:
    memos_cli("init")
    created = memos_cli("keys", "create", "--user", user, "--json")
    assert created.code == 0, created.err
    data = json.loads(created.out)
    return data["key"]["key_id"], data["secret"]


def test_revoke_by_the_secret_revokes_that_key_and_never_prints_it(memos_cli: Run) -> None:
    key_id, secret = _create(memos_cli, "alice")
    other_id, _ = _create(memos_cli, "alice")
    revoked = memos_cli("keys", "revoke", secret)
    assert revoked.code == 0, revoked.err
    assert key_id in revoked.out
    # (the secret part is base64url, which may itself hold a "-": split at the prefix only)
    assert secret.split("-", 2)[2][:12] not in revoked.out + revoked.err
    listed = {k["key_id"]: k for k in json.loads(memos_cli("keys", "list", "--json").out)}
    assert listed[key_id]["revoked_at"] is not None
    assert listed[other_id]["revoked_at"] is None


def test_an_unknown_secret_is_refused_without_echoing_it(memos_cli: Run) -> None:
    _, secret = _create(memos_cli, "alice")
    for wrong in (secret + "x", secret[:40], "memos-kdeadbeef0000-" + "A" * 43):
        got = memos_cli("keys", "revoke", wrong)
        assert got.code != 0
        shown = got.out + got.err
        assert "Traceback" not in shown
        assert wrong[6:20] not in shown and wrong[-10:] not in shown, shown
        assert "memos keys list" in shown and "key id" in shown, shown
