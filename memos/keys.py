"""API keys of the REST and MCP servers (`memos keys ...`, `MemOS.create_key`).

A key grants one scope: a user, and optionally one agent of that user. The secret is shown
once, at creation; the store keeps only its SHA-256. A plain (unsalted, fast) hash is enough
here because the secret is 32 random bytes from `secrets`, not a password a person chose:
nobody can guess it or look it up in a table, so the slow, salted hashes that protect
passwords add nothing, and a fast hash keeps the check of every request cheap.

Token layout: `memos-<key_id>-<secret>`. The key id is public (listings, audit log, revoke)
and lets an operator tell which key a leaked token was; the lookup uses the hash of the
whole token.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, ValidationError

from memos.cube import Scope, normalize_id, utcnow
from memos.errors import InvalidInputError, NotFoundError, UnauthorizedError

if TYPE_CHECKING:
    from memos.parts import StoreParts

TOKEN_PREFIX = "memos-"
MAX_TOKEN_CHARS = 256


class KeyInfo(BaseModel):
    """What the store knows of a key (never its secret)."""

    key_id: str
    user_id: str
    agent_id: str | None = None
    admin: bool = False
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def scope(self) -> Scope:
        return Scope(user_id=self.user_id, agent_id=self.agent_id)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _info(row: object) -> KeyInfo:
    return KeyInfo.model_validate(row, from_attributes=True)


def create_key(store: StoreParts, user: str, agent: str | None = None,
               admin: bool = False) -> tuple[KeyInfo, str]:
    """A new key for `user` (and `agent`): its info and the secret token, shown only now."""
    from memos.stores import keys as sql

    if not isinstance(admin, bool):
        raise InvalidInputError(f"admin must be True or False, got {admin!r:.40}")
    try:
        scope = Scope(user_id=user, agent_id=agent)
    except ValidationError as exc:  # its first problem, without pydantic's report around it
        problem = exc.errors()[0]
        raise InvalidInputError(f"invalid {problem['loc'][0] if problem['loc'] else 'user'} for "
                                f"a key: {problem['msg'].removeprefix('Value error, ')}; pass a "
                                "user id such as 'alice'") from None
    except (ValueError, TypeError) as exc:
        raise InvalidInputError(f"invalid user or agent for a key: {exc}; pass a user id such "
                                f"as 'alice'") from None
    key_id = "k" + secrets.token_hex(6)
    token = f"{TOKEN_PREFIX}{key_id}-{secrets.token_urlsafe(32)}"
    with store.repo.write() as session:
        row = sql.insert_key(session, key_id, hash_token(token), scope.user_id, scope.agent_id,
                             admin, utcnow())
        store.repo.audit(session, "key_create", key_id, None,
                         {"user_id": scope.user_id, "agent_id": scope.agent_id,
                          "admin": admin})
        info = _info(row)
    return info, token


def list_keys(store: StoreParts, user: str | None = None) -> list[KeyInfo]:
    from memos.stores import keys as sql

    if user is not None and not isinstance(user, str):
        raise InvalidInputError(f"user must be a user id (a string) or None, got {user!r:.40}")
    if user is not None:  # the id rule of every scope: NFC, nothing blank or hidden
        try:
            user = normalize_id(user, "user")
        except ValueError as exc:
            raise InvalidInputError(str(exc)) from None
    with store.repo.read() as session:
        return [_info(row) for row in sql.list_keys(session, user)]


def revoke_key(store: StoreParts, key_id: str) -> KeyInfo:
    """Revoke a key at once (every server process checks the store on each request). `key_id`
    is the key's id (`memos keys list`), or the whole secret token: that one is found by
    the SHA-256 the store keeps (as a request's key is), and never repeated in a message."""
    from memos.stores import keys as sql

    if not isinstance(key_id, str) or not key_id:
        raise InvalidInputError(f"key id must be a key's id such as 'k1a2b3c4d5e6' (memos keys "
                                f"list shows them), got {key_id!r:.40}")
    if key_id.startswith(TOKEN_PREFIX) or len(key_id) > 32:
        # A secret (or part of one) given for the id: looked up by its hash, not shown.
        found = (sql.key_by_hash(store.repo.engine, hash_token(key_id))
                 if len(key_id) <= MAX_TOKEN_CHARS else None)
        if found is None:
            raise NotFoundError(
                f"the {len(key_id)}-character value given looks like an API key's secret, not "
                "a key id, and no key has that secret (it is not shown here); revoke takes the "
                "key id that `memos keys list` shows, such as 'k1a2b3c4d5e6', or a key's "
                "whole secret")
        key_id = str(found["key_id"])
    with store.repo.write() as session:
        row = sql.key_by_id(session, key_id)
        if row is None:
            raise NotFoundError(f"no API key with id {key_id!r}; `memos keys list` shows them")
        if row.revoked_at is None:
            sql.revoke_key(session, key_id, utcnow())
            store.repo.audit(session, "key_revoke", key_id, None, {"user_id": row.user_id})
            session.flush()
            session.refresh(row)
        return _info(row)


def verify_token(store: StoreParts, token: str | None) -> KeyInfo:
    """The live key this token is, or UnauthorizedError (missing, unknown or revoked)."""
    from memos.stores import keys as sql

    if not token:
        raise UnauthorizedError("no API key: send `Authorization: Bearer <key>` (create one "
                                "with `memos keys create --user <id>`)")
    if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS:
        raise UnauthorizedError("invalid API key; create one with `memos keys create`")
    row = sql.key_by_hash(store.repo.engine, hash_token(token))
    info = KeyInfo.model_validate(row) if row is not None else None
    if info is None:
        raise UnauthorizedError("invalid API key; check it, or create one with "
                                "`memos keys create --user <id>`")
    if info.revoked_at is not None:
        raise UnauthorizedError(f"API key {info.key_id} was revoked at "
                                f"{info.revoked_at.isoformat()}; ask for a new one")
    return info


__all__ = ["KeyInfo", "create_key", "hash_token", "list_keys", "revoke_key", "verify_token"]
