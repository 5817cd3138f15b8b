"""Conflict resolution on the write path: which existing facts a new one supersedes.

A fact is keyed by `metadata["subject"]` and `metadata["attribute"]` ("alice", "drink").
A new cube with the same key as a live cube of the same owner and different content
supersedes it: the old one gets `valid_to` and state `superseded`; nothing is deleted.
Unless the new one began before the live one (`began_later`; both beginnings known): it is
then the live one's past, and is the one superseded (memos/writes.py). A past fact said
again (`restates_past`: a superseded fact of the same owner, words and beginning) is not
stored twice: the write reports the stored one as a duplicate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class FactKey:
    subject: str
    attribute: str


def _norm(value: Any) -> str:
    return " ".join(str(value).lower().split())


def fact_key(metadata: Mapping[str, Any]) -> FactKey | None:
    """The (subject, attribute) key of a cube's metadata, or None when it has no key."""
    subject, attribute = metadata.get("subject"), metadata.get("attribute")
    if subject is None or attribute is None or not _norm(subject) or not _norm(attribute):
        return None
    return FactKey(_norm(subject), _norm(attribute))


def find_superseded(new_metadata: Mapping[str, Any], new_hash: str,
                    candidates: Sequence[tuple[str, Mapping[str, Any], str]],
                    explicit: Sequence[str] = ()) -> list[str]:
    """Ids of `candidates` (id, metadata, content hash) the new cube supersedes.

    Explicitly named ids always count; a candidate with the same fact key counts unless it
    says the same thing (same content hash, which dedup handles instead).
    """
    out = list(dict.fromkeys(explicit))
    key = fact_key(new_metadata)
    if key is not None:
        for cube_id, metadata, chash in candidates:
            if chash != new_hash and fact_key(metadata) == key and cube_id not in out:
                out.append(cube_id)
    return out


# Metadata of a fact's beginning. UNDATED (true): its `valid_from` is when it was recorded
# (the reader's turns given no time). BEGAN "said": its `valid_from` is when it was said, the
# statement giving no date ("I live in Berlin": she may have lived there for years). Either
# way the beginning is unknown; BEGAN "stated": the statement gave it ("in 2018"). A fact
# MemReader wrote (metadata "reader") without BEGAN is of an earlier version: unknown too.
# BEGAN_BY (an ISO date): the last day it can have begun, of
# a beginning said as a month or a year ("in 2018": valid_from 1 January, began_by 31
# December).
UNDATED = "undated"
BEGAN = "began"
BEGAN_BY = "began_by"
# SAID_AT (an ISO time): when the statement was made, for a fact said as holding then
# (BEGAN "said"), whose `valid_from` may be another date the sentence holds.
SAID_AT = "said_at"


def _latest_beginning(metadata: Mapping[str, Any], valid_from: datetime) -> datetime:
    raw = metadata.get(BEGAN_BY)
    if isinstance(raw, str):
        try:
            bound = datetime.fromisoformat(raw)
        except ValueError:
            return valid_from
        if bound.tzinfo is None:
            bound = bound.replace(tzinfo=valid_from.tzinfo)
        return max(bound, valid_from)
    return valid_from


def began_later(live_metadata: Mapping[str, Any], live_from: datetime | None,
                new_metadata: Mapping[str, Any], new_from: datetime | None) -> bool:
    """Whether a live fact surely began after a new, conflicting one: the new one is then
    its past, not its replacement. The new one's latest possible beginning (`BEGAN_BY`)
    must be before the live one's; unknown beginnings (none, `UNDATED`) never say so. Two
    facts each said as holding when it was said (`BEGAN` "said": "I live in Berlin") are in
    the order they were said: one said in 2020, stored after one said in 2026 (an older
    conversation ingested later), held before it and is its past."""
    if live_from is None or new_from is None:
        return False
    if (live_metadata.get(BEGAN) == "said" and new_metadata.get(BEGAN) == "said"
            and not live_metadata.get(UNDATED) and not new_metadata.get(UNDATED)):
        # (a fact stored before SAID_AT was written: its valid_from, when it was said
        # unless the sentence held another date)
        return began_at(new_metadata, new_from) < began_at(live_metadata, live_from)
    if not (_beginning_known(live_metadata) and _beginning_known(new_metadata)):
        return False
    return live_from > _latest_beginning(new_metadata, new_from)


def began_at(metadata: Mapping[str, Any], valid_from: datetime) -> datetime:
    """When a fact is known to hold from: when it was said for one said as holding then
    (BEGAN "said", SAID_AT), else its `valid_from`. A past fact stored before it ends then."""
    said = _said_at(metadata) if metadata.get(BEGAN) == "said" else None
    return said if said is not None else valid_from


def _said_at(metadata: Mapping[str, Any]) -> datetime | None:
    raw = metadata.get(SAID_AT)
    if not isinstance(raw, str):
        return None  # (a fact of a reader before SAID_AT was written: began_at's valid_from)
    try:
        said = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return said if said.tzinfo is not None else said.replace(tzinfo=UTC)


def _beginning_known(metadata: Mapping[str, Any]) -> bool:
    if metadata.get(UNDATED) or metadata.get(BEGAN) == "said":
        return False
    # a fact of a reader that did not yet say how it knew its beginning
    return not (metadata.get("reader") and BEGAN not in metadata)


def restates_past(past_metadata: Mapping[str, Any], past_hash: str,
                  past_from: datetime | None, new_metadata: Mapping[str, Any], new_hash: str,
                  new_from: datetime | None) -> bool:
    """Whether a new fact, about to be stored as a live fact's past (`began_later`), says a
    stored past fact again: a superseded fact of the same owner (the caller's lookup) with
    the same content hash and fact key, whose beginning is known and may be the new one's
    (their spans from `valid_from` to the latest possible beginning, `BEGAN_BY`, overlap:
    "in March 2018" may be "in 2018"; "in 2015" is not). The stored fact then stands for
    both and keeps its dates. A stored fact of unknown beginning, or one that surely began
    at another time (the same job twice), is another past fact."""
    if past_from is None or new_from is None or past_hash != new_hash:
        return False
    key = fact_key(new_metadata)
    if key is None or fact_key(past_metadata) != key:
        return False
    if not (_beginning_known(past_metadata) and _beginning_known(new_metadata)):
        return False
    return (new_from <= _latest_beginning(past_metadata, past_from)
            and past_from <= _latest_beginning(new_metadata, new_from))
