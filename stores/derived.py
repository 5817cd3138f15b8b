"""Queries on derived cubes (activation slots, session states, adapters) through the
`derivations` table: which derived cube serves a (source cube, version, model), which ones a
new version makes stale, which blobs a set of cubes holds."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from memos.cube import Lifecycle, Tier
from memos.stores.schema import CubeRow, CubeVersionRow, DerivationRow

CHUNK = 200  # (id, version) pairs per query: two bind parameters each

# Metadata keys only the OS writes (memos.cube.RESERVED_KEY_PREFIX: callers and import
# files cannot set them), so a blob is never named by anything a caller wrote.
BLOB_KEY = "memos:blob"
BYTES_KEY = "memos:bytes"
COST_KEY = "memos:encode_seconds"
_HEX = frozenset("0123456789abcdef")


def blob_of(row: CubeRow) -> str | None:
    """The blob an OS-made activation cube names, or None (anything else: None)."""
    meta = row.meta if isinstance(row.meta, dict) else {}
    blob = meta.get(BLOB_KEY)
    if (row.tier != Tier.ACTIVATION.value or not isinstance(blob, str) or len(blob) != 64
            or not set(blob) <= _HEX):
        return None
    return blob


def blob_bytes(row: CubeRow) -> int:
    value = row.meta.get(BYTES_KEY) if isinstance(row.meta, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def encode_cost(row: CubeRow) -> float:
    value = row.meta.get(COST_KEY) if isinstance(row.meta, dict) else None
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0
    return float(value) if ok and value < 1e6 else 0.0


def live_derived(session: Session, pairs: Sequence[tuple[str, int]], *, kind: str,
                 fingerprint: str) -> dict[tuple[str, int], CubeRow]:
    """For each (source id, source version), the active derived cube of `kind` made by the
    model `fingerprint`, if there is one (the newest when several)."""
    out: dict[tuple[str, int], CubeRow] = {}
    d = DerivationRow
    wanted = list(dict.fromkeys(pairs))
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start:start + CHUNK]
        match = or_(*[and_(d.source_id == cid, d.source_version == ver) for cid, ver in chunk])
        stmt = (select(d.source_id, d.source_version, CubeRow)
                .join(CubeRow, CubeRow.pk == d.derived_pk)
                .where(match, CubeRow.kind == kind, CubeRow.model_fingerprint == fingerprint,
                       CubeRow.tier == Tier.ACTIVATION.value,
                       CubeRow.state == Lifecycle.ACTIVE.value)
                .order_by(CubeRow.pk))
        for source_id, source_version, row in session.execute(stmt):
            if blob_of(row) is not None:  # made by the OS (a caller cannot name a blob)
                out[(source_id, source_version)] = row  # ordered by pk: the newest wins
    return out


def stale_derived(session: Session, cube_id: str, current_version: int) -> list[CubeRow]:
    """Active derived cubes made from an older version of `cube_id` than `current_version`."""
    d = DerivationRow
    stmt = (select(CubeRow).join(d, d.derived_pk == CubeRow.pk)
            .where(d.source_id == cube_id, d.source_version < current_version,
                   CubeRow.state == Lifecycle.ACTIVE.value).distinct().order_by(CubeRow.pk))
    return list(session.execute(stmt).scalars())


def derived_by_source(session: Session, cube_id: str, *, kind: str | None = None
                      ) -> list[CubeRow]:
    """Every derived cube (of `kind`, if given) made from any version of `cube_id`, in any
    state."""
    d = DerivationRow
    stmt = (select(CubeRow).join(d, d.derived_pk == CubeRow.pk)
            .where(d.source_id == cube_id).distinct().order_by(CubeRow.pk))
    if kind is not None:
        stmt = stmt.where(CubeRow.kind == kind)
    return list(session.execute(stmt).scalars())


def session_states(session: Session, user_id: str, agent_id: str | None,
                   session_id: str) -> list[CubeRow]:
    """State cubes of one session owned by (user, agent), newest first, forgotten ones left
    out (a retired state still names the session's transcript)."""
    stmt = (select(CubeRow).where(
        CubeRow.tier == Tier.ACTIVATION.value, CubeRow.kind == "state",
        CubeRow.user_id == user_id, CubeRow.session_id == session_id,
        CubeRow.agent_id.is_(None) if agent_id is None else CubeRow.agent_id == agent_id,
        CubeRow.state != Lifecycle.FORGOTTEN.value).order_by(CubeRow.pk.desc()))
    # Only states the OS made: a caller's own "state" cube never redirects a session.
    return [r for r in session.execute(stmt).scalars() if blob_of(r) is not None]


# Metadata of the transcript cube `MemOS.save_session` writes: how a session is found when
# no state cube names its transcript (states are not exported, so after an import).
TRANSCRIPT_KEY = "session_transcript"


def session_transcripts(session: Session, user_id: str, agent_id: str | None,
                        session_id: str) -> list[CubeRow]:
    """Active transcript cubes (`TRANSCRIPT_KEY`) of one session owned by (user, agent),
    newest first."""
    stmt = (select(CubeRow).where(
        CubeRow.kind == "episode", CubeRow.user_id == user_id,
        CubeRow.session_id == session_id,
        CubeRow.agent_id.is_(None) if agent_id is None else CubeRow.agent_id == agent_id,
        CubeRow.state == Lifecycle.ACTIVE.value).order_by(CubeRow.pk.desc()))
    return [r for r in session.execute(stmt).scalars()
            if isinstance(r.meta, dict) and r.meta.get(TRANSCRIPT_KEY) is True]


def version_content(session: Session, cube_id: str, version: int) -> str | None:
    """The text of one version of a cube (from its immutable snapshot), or None."""
    snap = session.execute(select(CubeVersionRow.snapshot).where(
        CubeVersionRow.cube_id == cube_id, CubeVersionRow.version == version)).scalar()
    return str(snap["content"]) if isinstance(snap, dict) and "content" in snap else None


def blob_hashes(rows: Sequence[CubeRow]) -> list[str]:
    """The blobs these OS-made activation cubes name, in order, without repeats."""
    return list(dict.fromkeys(b for b in (blob_of(r) for r in rows) if b is not None))


__all__ = ["BLOB_KEY", "BYTES_KEY", "COST_KEY", "TRANSCRIPT_KEY", "blob_bytes", "blob_hashes",
           "blob_of", "derived_by_source", "encode_cost", "live_derived", "session_states",
           "session_transcripts", "stale_derived", "version_content"]
