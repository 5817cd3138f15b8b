"""Read-only queries the scheduler and `memos tiers` ask: access statistics of live
plaintext cubes, the live activation cubes with their blob sizes, and the audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import LargeBinary, and_, cast, func, or_, select
from sqlalchemy.orm import Session

from memos.cube import Lifecycle, Scope, Tier
from memos.stores.repository import bulk_clause
from memos.stores.schema import AuditRow, CubeRow, DerivationRow


def _utf8_length(session: Session) -> Any:
    """The UTF-8 byte length of a cube's content, in SQL."""
    if session.get_bind().dialect.name == "postgresql":
        return func.octet_length(CubeRow.content)
    return func.length(cast(CubeRow.content, LargeBinary))


def live_plaintext_stats(session: Session, now: datetime, min_hits: int = 1
                         ) -> list[tuple[str, int, int, datetime | None, datetime, Any, int]]:
    """(id, version, hits, last_access, recorded_at, user_id, content bytes) of live
    plaintext cubes read at least `min_hits` times (the only ones promotion can choose)."""
    stmt = select(CubeRow.id, CubeRow.version, CubeRow.hits, CubeRow.last_access,
                  CubeRow.recorded_at, CubeRow.user_id, _utf8_length(session)).where(
        CubeRow.tier == Tier.PLAINTEXT.value, CubeRow.state == Lifecycle.ACTIVE.value,
        CubeRow.hits >= min_hits,
        (CubeRow.expires_at.is_(None)) | (CubeRow.expires_at > now))
    return [tuple(r) for r in session.execute(stmt)]  # type: ignore[misc]


def live_activation(session: Session, kind: str | None = None) -> list[tuple[CubeRow, str, int]]:
    """Active activation cubes with the (source id, source version) they were made from."""
    d = DerivationRow
    stmt = (select(CubeRow, d.source_id, d.source_version)
            .join(d, d.derived_pk == CubeRow.pk)
            .where(CubeRow.tier == Tier.ACTIVATION.value,
                   CubeRow.state == Lifecycle.ACTIVE.value).order_by(CubeRow.pk))
    if kind is not None:
        stmt = stmt.where(CubeRow.kind == kind)
    return [(row, sid, int(sver)) for row, sid, sver in session.execute(stmt)]


def source_access(session: Session, ids: list[str]
                  ) -> dict[str, tuple[int, datetime | None, int, str, datetime | None]]:
    """hits, last access, current version, state and expiry of these cubes: the access
    signal of what was derived from them, and whether that is still current."""
    out: dict[str, tuple[int, datetime | None, int, str, datetime | None]] = {}
    for start in range(0, len(ids), 500):
        for cid, hits, last, version, state, expires in session.execute(select(
                CubeRow.id, CubeRow.hits, CubeRow.last_access, CubeRow.version,
                CubeRow.state, CubeRow.expires_at).where(
                    CubeRow.id.in_(ids[start:start + 500]))):
            out[cid] = (int(hits or 0), last, int(version), str(state), expires)
    return out


def tier_totals(session: Session, scope: Scope | None = None) -> list[dict[str, Any]]:
    """Cubes and bytes per (tier, user, state): plaintext bytes are UTF-8 content, activation
    bytes are the blobs of live OS-made activation cubes (retired ones have none), parametric
    bytes an adapter's weights (until it is tainted: they are erased then). With
    `scope`, only the cubes it owns (`bulk_clause`, as `stats` counts): a user's all; with
    an agent, that agent's and the user's agentless ones, never a sibling agent's."""
    from memos.stores.derived import blob_bytes

    text_bytes = _utf8_length(session)
    stmt = select(CubeRow.tier, CubeRow.user_id, CubeRow.state, func.count(),
                  func.sum(text_bytes)).group_by(CubeRow.tier, CubeRow.user_id, CubeRow.state)
    if scope is not None:
        stmt = stmt.where(bulk_clause(scope))
    rows = {(t, u, s): {"tier": t, "user_id": u, "state": s, "cubes": int(n),
                        "bytes": int(b or 0) if t == Tier.PLAINTEXT.value else 0}
            for t, u, s, n, b in session.execute(stmt)}
    # (an adapter's weights stay on disk while it is in service or retired, to roll back to;
    # a tainted one's are erased: its state is forgotten)
    derived_stmt = select(CubeRow).where(or_(
        and_(CubeRow.tier == Tier.ACTIVATION.value, CubeRow.state == Lifecycle.ACTIVE.value),
        and_(CubeRow.tier == Tier.PARAMETRIC.value,
             CubeRow.state != Lifecycle.FORGOTTEN.value)))
    if scope is not None:
        derived_stmt = derived_stmt.where(bulk_clause(scope))
    for row in session.execute(derived_stmt).scalars():
        rows[(row.tier, row.user_id, row.state)]["bytes"] += blob_bytes(row)
    return sorted(rows.values(), key=lambda r: (r["tier"], r["user_id"], r["state"]))


def audit_entries(session: Session, *, actor: str | None = None, limit: int = 100
                  ) -> list[AuditRow]:
    """The newest audit rows (of one actor, if given), newest first."""
    stmt = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
    if actor is not None:
        stmt = stmt.where(AuditRow.actor == actor)
    return list(session.execute(stmt).scalars())


__all__ = ["audit_entries", "live_activation", "live_plaintext_stats", "source_access",
           "tier_totals"]
