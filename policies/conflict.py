"""Conflict resolution on the write path: which existing facts a new one supersedes.

A fact is keyed by `metadata["subject"]` and `metadata["attribute"]` ("alice", "drink").
A new cube with the same key as a live cube of the same owner and different content
supersedes it: the old one gets `valid_to` and state `superseded`; nothing is deleted.
Unless the new one began before the live one (`began_later`; both beginnings known): it is
then the live one's past, and is the one superseded (memos/writes.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
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


# Metadata flag of a cube whose `valid_from` is when it was recorded, not when it began to
# hold (the reader's turns given no time): such a beginning is unknown.
UNDATED = "undated"


def began_later(live_metadata: Mapping[str, Any], live_from: datetime | None,
                new_metadata: Mapping[str, Any], new_from: datetime | None) -> bool:
    """Whether a live fact began after a new, conflicting one: the new one is then its
    past, not its replacement. Unknown beginnings (none, or `UNDATED`) never say so."""
    return (live_from is not None and new_from is not None and live_from > new_from
            and not live_metadata.get(UNDATED) and not new_metadata.get(UNDATED))
