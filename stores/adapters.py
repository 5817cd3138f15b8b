"""Queries of the parametric tier: adapter cubes (tier ``parametric``, kind ``adapter``) of
one owner, the facts a consolidation may choose from, and what remains of purged cubes.

An OS-made adapter names its weights blob under ``memos:blob`` (a reserved key only the OS
writes) and its status under ``memos:status``: ``active`` (in service; at most one per
owner), ``retired`` (replaced or rolled back), ``rejected`` (failed the evaluation gate) or
``tainted`` (a cube it was trained on was forgotten: out of service, weights erased).
Under ``memos:facts`` it maps a hash of each consolidated question to the fact's
[cube id, version]: a purge takes the erased cubes' entries out of every adapter it keeps,
row and history (`scrub_history`), and `remains` counts any left (`question_keys`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from memos.cube import Kind, Lifecycle, Tier
from memos.stores.schema import (
    BlobRow,
    ChangelogRow,
    CubeRow,
    CubeVersionRow,
    DerivationRow,
)

BLOB_KEY = "memos:blob"
STATUS_KEY = "memos:status"
# Question key (a hash of a fact's normalised question) -> [cube id, version] of the fact.
FACTS_KEY = "memos:facts"
_HEX = frozenset("0123456789abcdef")


def _owner(stmt: Any, user_id: str, agent_id: str | None) -> Any:
    return stmt.where(CubeRow.user_id == user_id,
                      CubeRow.agent_id.is_(None) if agent_id is None
                      else CubeRow.agent_id == agent_id)


def is_adapter(row: CubeRow) -> bool:
    """An adapter the OS made (a caller cannot write `memos:` keys)."""
    meta = row.meta if isinstance(row.meta, dict) else {}
    return (row.tier == Tier.PARAMETRIC.value and row.kind == Kind.ADAPTER.value
            and STATUS_KEY in meta)


def adapter_blob(row: CubeRow) -> str | None:
    meta = row.meta if isinstance(row.meta, dict) else {}
    blob = meta.get(BLOB_KEY)
    if (not is_adapter(row) or not isinstance(blob, str) or len(blob) != 64
            or not set(blob) <= _HEX):
        return None
    return blob


def adapters_of(session: Session, user_id: str, agent_id: str | None) -> list[CubeRow]:
    """Every OS-made adapter of this owner, newest first."""
    stmt = _owner(select(CubeRow).where(CubeRow.tier == Tier.PARAMETRIC.value,
                                        CubeRow.kind == Kind.ADAPTER.value),
                  user_id, agent_id).order_by(CubeRow.pk.desc())
    return [r for r in session.execute(stmt).scalars() if is_adapter(r)]


def adapters_with_blobs(session: Session, blobs: Sequence[str]) -> list[CubeRow]:
    """Every OS-made adapter, of any owner, whose weights are one of `blobs`."""
    wanted = set(blobs)
    stmt = select(CubeRow).where(CubeRow.tier == Tier.PARAMETRIC.value,
                                 CubeRow.kind == Kind.ADAPTER.value)
    return [r for r in session.execute(stmt).scalars() if adapter_blob(r) in wanted]


def blobs_in_service(session: Session) -> set[str]:
    """The weight blobs of every OS-made adapter not taken out of service (not forgotten):
    `check` looks for each of them (a row erased under an adapter left it pointing at
    nothing)."""
    stmt = select(CubeRow).where(CubeRow.tier == Tier.PARAMETRIC.value,
                                 CubeRow.kind == Kind.ADAPTER.value,
                                 CubeRow.state != Lifecycle.FORGOTTEN.value)
    return {b for b in (adapter_blob(r) for r in session.execute(stmt).scalars())
            if b is not None}


def active_adapter(session: Session, user_id: str, agent_id: str | None) -> CubeRow | None:
    """The owner's adapter in service, or None (the newest, should two ever be active)."""
    stmt = _owner(select(CubeRow).where(CubeRow.tier == Tier.PARAMETRIC.value,
                                        CubeRow.kind == Kind.ADAPTER.value,
                                        CubeRow.state == Lifecycle.ACTIVE.value),
                  user_id, agent_id).order_by(CubeRow.pk.desc())
    for row in session.execute(stmt).scalars():
        if is_adapter(row):
            return row
    return None


def pending_reconsolidations(session: Session) -> list[CubeRow]:
    """Tainted adapters whose re-consolidation has not been attempted yet."""
    stmt = select(CubeRow).where(CubeRow.tier == Tier.PARAMETRIC.value,
                                 CubeRow.kind == Kind.ADAPTER.value,
                                 CubeRow.state == Lifecycle.FORGOTTEN.value).order_by(CubeRow.pk)
    return [r for r in session.execute(stmt).scalars()
            if is_adapter(r) and r.meta.get("memos:reconsolidate") == "pending"]


def owners_with_facts(session: Session) -> list[tuple[str, str | None]]:
    """(user, agent) pairs that own live plaintext facts (the scheduler's consolidation job
    walks them)."""
    stmt = select(CubeRow.user_id, CubeRow.agent_id).where(
        CubeRow.tier == Tier.PLAINTEXT.value, CubeRow.state == Lifecycle.ACTIVE.value,
        CubeRow.kind == Kind.FACT.value).distinct()
    return [(u, a) for u, a in session.execute(stmt)]


def fact_rows(session: Session, user_id: str, agent_id: str | None
              ) -> list[tuple[CubeRow, datetime | None]]:
    """Live plaintext facts of this owner, each with when its current version was written."""
    v = CubeVersionRow
    stmt = _owner(select(CubeRow, v.created_at).join(
        v, (v.cube_id == CubeRow.id) & (v.version == CubeRow.version), isouter=True).where(
        CubeRow.tier == Tier.PLAINTEXT.value, CubeRow.state == Lifecycle.ACTIVE.value,
        CubeRow.kind == Kind.FACT.value), user_id, agent_id).order_by(CubeRow.pk)
    return [(row, at) for row, at in session.execute(stmt)]


def rows_by_ids(session: Session, ids: Sequence[str]) -> dict[str, CubeRow]:
    out: dict[str, CubeRow] = {}
    wanted = list(dict.fromkeys(ids))
    for start in range(0, len(wanted), 500):
        for row in session.execute(select(CubeRow).where(
                CubeRow.id.in_(wanted[start:start + 500]))).scalars():
            out[row.id] = row
    return out


def names_any(entry: Any, cube_ids: set[str]) -> bool:
    """Whether a `memos:facts` entry ([cube id, version]) names one of `cube_ids`."""
    return isinstance(entry, (list, tuple)) and bool(entry) and str(entry[0]) in cube_ids


def _facts_naming(meta: Any, cube_ids: set[str]) -> int:
    facts = meta.get(FACTS_KEY) if isinstance(meta, dict) else None
    if not isinstance(facts, dict):
        return 0
    return sum(1 for v in facts.values() if names_any(v, cube_ids))


PURGED_ID = "(purged)"  # what an erased cube's id becomes in an adapter's reasons
# A cube id as memos makes them (uuid4().hex; an import renames any other): a token of 32
# lowercase hex digits, found in one pass over a text whatever the number of ids wanted.
_HEX_ID = re.compile(r"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])")
_IS_HEX_ID = re.compile(r"[0-9a-f]{32}")


class ErasedIds:
    """Cube ids a purge erases, sorted once for `without_ids` (a purge of a whole user
    passes tens of thousands to every adapter version it scrubs): those of memos's own form
    (found as tokens), the others (looked for one by one)."""

    def __init__(self, cube_ids: Collection[str]) -> None:
        ids = {c for c in cube_ids if c}
        self.hexed = {c for c in ids if _IS_HEX_ID.fullmatch(c)}
        self.others = sorted(ids - self.hexed)

    def named_in(self, text: str) -> bool:
        return any(m.group(0) in self.hexed for m in _HEX_ID.finditer(text)) or any(
            c in text for c in self.others)


def without_ids(text: str, cube_ids: Collection[str] | ErasedIds) -> str:
    """`text` with each of `cube_ids` written as PURGED_ID ("trained on cube <id>, which
    was forgotten", a reason a forget wrote before the cube was purged)."""
    ids = cube_ids if isinstance(cube_ids, ErasedIds) else ErasedIds(cube_ids)
    if ids.hexed:
        text = _HEX_ID.sub(lambda m: PURGED_ID if m.group(0) in ids.hexed else m.group(0),
                           text)
    for cube_id in ids.others:
        if cube_id in text:
            text = text.replace(cube_id, PURGED_ID)
    return text


def _reasons_of(session: Session, user_id: str | None) -> Any:
    """(pk, reason) of the versions with a reason, of `user_id`'s cubes (None: every cube)."""
    stmt = select(CubeVersionRow.pk, CubeVersionRow.reason).where(
        CubeVersionRow.reason.is_not(None))
    if user_id is not None:
        stmt = stmt.where(CubeVersionRow.cube_id.in_(
            select(CubeRow.id).where(CubeRow.user_id == user_id)))
    return session.execute(stmt)


def scrub_reasons(session: Session, user_id: str, cube_ids: Collection[str]) -> int:
    """Write PURGED_ID for each of `cube_ids` (cubes a purge erases) in the version reasons
    of `user_id`'s cubes that name it ("a neighbouring turn it quoted (<id>) was
    forgotten"): no version keeps an erased cube's id; the audit log does. One pass over
    the user's reasons. Returns how many version rows changed."""
    erased = ErasedIds(cube_ids)
    changed = 0
    for pk, reason in list(_reasons_of(session, user_id)):
        if erased.named_in(str(reason)):
            session.execute(update(CubeVersionRow).where(CubeVersionRow.pk == pk)
                            .values(reason=without_ids(str(reason), erased)))
            changed += 1
    return changed


def scrub_history(session: Session, adapter_id: str, cube_ids: set[str],
                  erased: ErasedIds | None = None) -> int:
    """Take the question keys and (cube id, version) pairs naming `cube_ids` (cubes a purge
    erases) out of every version snapshot of this adapter, and the ids themselves out of
    its versions' reasons and snapshots: an edit of history made only by purge, as
    `Repository.scrub_quotes` makes one. Returns how many versions changed. (`erased`: the
    same ids as ErasedIds, when the caller sorted them already.)"""
    changed = 0
    erased = erased if erased is not None else ErasedIds(cube_ids)
    versions = session.execute(select(CubeVersionRow).where(
        CubeVersionRow.cube_id == adapter_id)).scalars().all()
    for ver in versions:
        snap = dict(ver.snapshot or {})
        meta = dict(snap.get("metadata") or {})
        facts = meta.get(FACTS_KEY)
        pairs = snap.get("derived_from") or []
        keep_facts = ({k: v for k, v in facts.items() if not names_any(v, cube_ids)}
                      if isinstance(facts, dict) else facts)
        keep_pairs = [d for d in pairs if not (isinstance(d, dict)
                                               and str(d.get("cube_id")) in cube_ids)]
        if isinstance(facts, dict):
            meta[FACTS_KEY] = keep_facts
        if "metadata" in snap:
            snap["metadata"] = meta
        if "derived_from" in snap:
            snap["derived_from"] = keep_pairs
        text = without_ids(json.dumps(snap, ensure_ascii=False), erased)
        reason = without_ids(ver.reason, erased) if isinstance(ver.reason, str) else ver.reason
        if text == json.dumps(ver.snapshot or {}, ensure_ascii=False) and reason == ver.reason:
            continue
        session.execute(update(CubeVersionRow).where(CubeVersionRow.pk == ver.pk)
                        .values(snapshot=text, reason=reason))
        changed += 1
    if changed:
        session.flush()
    return changed


def ids_named(session: Session, cube_ids: Sequence[str]) -> int:
    """How many adapter rows and versions name one of these cubes' ids in their metadata,
    snapshot or reason (outside `memos:facts` and `derived_from`, which `remains` counts on
    their own): what a purge leaves of an erased cube's id outside the audit log."""
    erased = ErasedIds(cube_ids)
    if not erased.hexed and not erased.others:
        return 0
    adapter = (CubeRow.tier == Tier.PARAMETRIC.value) & (CubeRow.kind == Kind.ADAPTER.value)

    def rest(meta: Any) -> dict[str, Any]:
        return {k: v for k, v in (meta or {}).items() if k != FACTS_KEY} \
            if isinstance(meta, dict) else {}

    found = 0
    for meta in session.execute(select(CubeRow.meta).where(adapter)).scalars():
        found += erased.named_in(json.dumps(rest(meta), ensure_ascii=False))
    for snap, reason in session.execute(select(CubeVersionRow.snapshot, CubeVersionRow.reason)
                                        .where(CubeVersionRow.cube_id.in_(
                                            select(CubeRow.id).where(adapter)))):
        snap = snap if isinstance(snap, dict) else {}
        kept = {k: v for k, v in snap.items() if k != "derived_from"}
        kept["metadata"] = rest(snap.get("metadata"))
        found += erased.named_in(json.dumps(kept, ensure_ascii=False) + " " + str(reason or ""))
    return found


def question_keys_naming(session: Session, cube_ids: Sequence[str]) -> int:
    """How many question keys naming these cubes the adapters of the store hold, in their
    rows and their versions' snapshots (any owner, any state)."""
    wanted = set(cube_ids)
    if not wanted:
        return 0
    adapter = (CubeRow.tier == Tier.PARAMETRIC.value) & (CubeRow.kind == Kind.ADAPTER.value)
    found = sum(_facts_naming(meta, wanted)
                for meta in session.execute(select(CubeRow.meta).where(adapter)).scalars())
    snaps = session.execute(select(CubeVersionRow.snapshot).where(
        CubeVersionRow.cube_id.in_(select(CubeRow.id).where(adapter)))).scalars()
    return found + sum(_facts_naming((s or {}).get("metadata"), wanted) for s in snaps)


def adapters_from(session: Session, cube_ids: Sequence[str]) -> list[CubeRow]:
    """Adapters (any state) trained on any version of these cubes."""
    d = DerivationRow
    out: list[CubeRow] = []
    ids = list(dict.fromkeys(cube_ids))
    for start in range(0, len(ids), 500):
        stmt = (select(CubeRow).join(d, d.derived_pk == CubeRow.pk)
                .where(d.source_id.in_(ids[start:start + 500]),
                       CubeRow.tier == Tier.PARAMETRIC.value).distinct())
        out += [r for r in session.execute(stmt).scalars() if is_adapter(r)]
    return out


def remains(session: Session, cube_ids: Sequence[str], indexed_pks: set[int],
            blob_files: set[str], user_id: str | None = None) -> dict[str, dict[str, Any]]:
    """What is left of these (purged) cubes, per tier.

    `indexed_pks`: the cube pks the vector and full-text indexes hold (an entry whose cube row
    is gone is a remain); `blob_files`: hashes of the blob files on disk; `user_id`: whose
    version reasons to look for the ids in (the purging user's, which `scrub_reasons`
    scrubs; None: every user's, as a store-wide check)."""
    ids = list(dict.fromkeys(cube_ids))
    rows = rows_by_ids(session, ids)
    versions = changelog = derivations = 0
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        versions += session.execute(select(func.count()).select_from(CubeVersionRow).where(
            CubeVersionRow.cube_id.in_(chunk))).scalar_one()
        changelog += session.execute(select(func.count()).select_from(ChangelogRow).where(
            ChangelogRow.cube_id.in_(chunk))).scalar_one()
        derivations += session.execute(select(func.count()).select_from(DerivationRow).where(
            DerivationRow.source_id.in_(chunk))).scalar_one()
    live_pks: set[int] = set()
    pk_list = sorted(indexed_pks)
    for start in range(0, len(pk_list), 500):
        live_pks.update(session.execute(select(CubeRow.pk).where(
            CubeRow.pk.in_(pk_list[start:start + 500]))).scalars())
    d = DerivationRow
    activation: list[CubeRow] = []
    for start in range(0, len(ids), 500):
        activation += session.execute(
            select(CubeRow).join(d, d.derived_pk == CubeRow.pk)
            .where(d.source_id.in_(ids[start:start + 500]),
                   CubeRow.tier == Tier.ACTIVATION.value).distinct()).scalars()
    act_blobs = {str(r.meta.get(BLOB_KEY)) for r in activation if isinstance(r.meta, dict)}
    adapters = adapters_from(session, ids)
    ad_blobs = {b for b in (adapter_blob(r) for r in adapters) if b is not None}
    blob_rows = set(session.execute(select(BlobRow.hash).where(
        BlobRow.hash.in_(sorted(act_blobs | ad_blobs)))).scalars()) if act_blobs | ad_blobs \
        else set()
    erased = ErasedIds(ids)
    reasons = sum(1 for _pk, reason in _reasons_of(session, user_id)
                  if erased.named_in(str(reason)))
    return {
        "plaintext": {"rows": len(rows), "versions": versions, "changelog_rows": changelog,
                      "derivation_rows": derivations, "reasons_naming": reasons},
        "indexes": {"entries_without_row": len(indexed_pks - live_pks)},
        "activation": {"cubes": len(activation),
                       "blobs": len((act_blobs & blob_files) | (act_blobs & blob_rows))},
        "parametric": {"adapters": len(adapters),
                       "active": sum(1 for r in adapters if r.state == Lifecycle.ACTIVE.value),
                       "blobs": len((ad_blobs & blob_files) | (ad_blobs & blob_rows)),
                       "question_keys": question_keys_naming(session, ids),
                       "ids_named": ids_named(session, ids)},
    }


__all__ = ["BLOB_KEY", "FACTS_KEY", "STATUS_KEY", "active_adapter", "adapter_blob",
           "adapters_from", "adapters_of", "adapters_with_blobs", "blobs_in_service",
           "fact_rows", "is_adapter", "names_any", "owners_with_facts",
           "ErasedIds", "ids_named", "pending_reconsolidations", "question_keys_naming", "remains",
           "rows_by_ids", "scrub_history", "scrub_reasons", "without_ids"]
