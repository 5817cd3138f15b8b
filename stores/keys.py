"""SQL of the API keys (`api_keys`): insert, list, revoke, and look a key up by its hash.

The secret itself never reaches this module: callers hand over its sha256 (memos/keys.py
explains why a plain hash is enough for random tokens).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from memos.stores.schema import ApiKeyRow


def insert_key(session: Session, key_id: str, secret_hash: str, user_id: str,
               agent_id: str | None, admin: bool, now: datetime) -> ApiKeyRow:
    row = ApiKeyRow(key_id=key_id, secret_hash=secret_hash, user_id=user_id, agent_id=agent_id,
                    admin=admin, created_at=now, revoked_at=None)
    session.add(row)
    session.flush()
    return row


def key_by_hash(session: Session, secret_hash: str) -> ApiKeyRow | None:
    return session.execute(
        select(ApiKeyRow).where(ApiKeyRow.secret_hash == secret_hash)).scalar_one_or_none()


def key_by_id(session: Session, key_id: str) -> ApiKeyRow | None:
    return session.get(ApiKeyRow, key_id)


def list_keys(session: Session, user_id: str | None = None,
              include_revoked: bool = True) -> list[ApiKeyRow]:
    query = select(ApiKeyRow).order_by(ApiKeyRow.created_at, ApiKeyRow.key_id)
    if user_id is not None:
        query = query.where(ApiKeyRow.user_id == user_id)
    if not include_revoked:
        query = query.where(ApiKeyRow.revoked_at.is_(None))
    return list(session.execute(query).scalars())


def revoke_key(session: Session, key_id: str, now: datetime) -> bool:
    """Mark a key revoked; False when no live key has this id."""
    result = session.execute(update(ApiKeyRow).where(
        ApiKeyRow.key_id == key_id, ApiKeyRow.revoked_at.is_(None)).values(revoked_at=now))
    return bool(result.rowcount)


__all__ = ["insert_key", "key_by_hash", "key_by_id", "list_keys", "revoke_key"]
