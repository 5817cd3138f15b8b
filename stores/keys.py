"""SQL of the API keys (`api_keys`): insert, list, revoke, and look a key up by its hash.

The secret itself never reaches this module: callers hand over its sha256 (memos/keys.py
explains why a plain hash is enough for random tokens).
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from memos.stores.repository import driver_result_procs, sqlite_errors_wrapped
from memos.stores.schema import ApiKeyRow


def insert_key(session: Session, key_id: str, secret_hash: str, user_id: str,
               agent_id: str | None, admin: bool, now: datetime) -> ApiKeyRow:
    row = ApiKeyRow(key_id=key_id, secret_hash=secret_hash, user_id=user_id, agent_id=agent_id,
                    admin=admin, created_at=now, revoked_at=None)
    session.add(row)
    session.flush()
    return row


def key_by_hash(engine: Engine, secret_hash: str) -> dict[str, Any] | None:
    """The key's columns by name, or None. Every request of the servers runs this, so it
    skips the ORM: on SQLite one statement on a pooled driver connection (its own
    transaction: a revocation committed by any process is seen at once), with the columns'
    own result converters; elsewhere Core on a bare connection."""
    table = ApiKeyRow.__table__
    if engine.dialect.name != "sqlite":
        with engine.connect() as conn:
            row = conn.execute(select(table).where(table.c.secret_hash == secret_hash)
                               ).one_or_none()
        return dict(row._mapping) if row is not None else None
    sql, procs = _sqlite_key_read(engine.dialect)
    with sqlite_errors_wrapped(sql):
        raw = engine.raw_connection()
        try:
            found = raw.driver_connection.execute(sql, (secret_hash,)).fetchone()
        finally:
            raw.close()
    if found is None:
        return None
    values = list(found)
    for i, proc in procs:
        values[i] = proc(values[i])
    return dict(zip((c.name for c in table.columns), values, strict=True))


@functools.lru_cache(maxsize=8)
def _sqlite_key_read(dialect: Any) -> tuple[str, list[tuple[int, Any]]]:
    """The statement and column converters of `key_by_hash` on SQLite, made once."""
    table = ApiKeyRow.__table__
    sql = (f"SELECT {', '.join(c.name for c in table.columns)} FROM {table.name} "
           "WHERE secret_hash = ?")
    return sql, driver_result_procs(list(table.columns), dialect)


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
