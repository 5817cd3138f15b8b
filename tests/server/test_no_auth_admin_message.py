"""A `--no-auth` server has no keys: refusing an admin endpoint says to run the admin command
on the machine, not to create an admin key (which that server would not read)."""

from __future__ import annotations

import pytest

from memos.errors import ForbiddenError


def test_no_auth_admin_refusal_says_run_it_locally() -> None:
    from memos.server.auth import local_principal

    with pytest.raises(ForbiddenError) as refused:
        local_principal("dev").require_admin()
    message = str(refused.value)
    assert "memos check" in message
    assert "keys create" not in message


def test_a_keys_non_admin_refusal_still_says_create_an_admin_key() -> None:
    from memos.server.auth import Principal

    with pytest.raises(ForbiddenError, match="keys create"):
        Principal(key_id="k1a2b3c4d5e6", user_id="alice").require_admin()
