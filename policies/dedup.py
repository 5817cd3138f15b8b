"""De-duplication on the write path (DESIGN.md, write path): pure decisions, no I/O.

The store gathers the evidence (cubes with the same content hash in the scope, nearest
vectors with their cosine) and these functions say what to do with a new cube.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

Action = Literal["added", "duplicate", "merged"]


@dataclass(frozen=True)
class DedupDecision:
    action: Action
    target_id: str | None = None  # the existing cube that absorbs the new one
    similarity: float | None = None


def decide_dedup(exact_ids: Sequence[str], near: Sequence[tuple[str, float]],
                 threshold: float | None) -> DedupDecision:
    """Exact hash match wins; else the most similar cube at or above `threshold` merges.

    `exact_ids` are live cubes of the same owner with the same normalised content hash (oldest
    first); `near` are (cube id, cosine) of live cubes of the same owner, in any order.
    `threshold=None` turns near-duplicate merging off.
    """
    if exact_ids:
        return DedupDecision("duplicate", exact_ids[0], 1.0)
    if threshold is not None and near:
        best_id, best = max(near, key=lambda pair: (pair[1], pair[0]))
        if best >= threshold:
            return DedupDecision("merged", best_id, float(best))
    return DedupDecision("added")


@dataclass(frozen=True)
class MergedFields:
    tags: list[str]
    metadata: dict[str, Any]
    importance: float
    confidence: float


def merge_fields(old_tags: Sequence[str], new_tags: Sequence[str],
                 old_meta: Mapping[str, Any], new_meta: Mapping[str, Any],
                 old_importance: float, new_importance: float,
                 old_confidence: float, new_confidence: float) -> MergedFields:
    """Union of tags (old order first), metadata (old values win: the kept cube's facts stay
    as they were), and the larger importance and confidence: seeing a memory twice is
    evidence that it matters."""
    metadata = dict(new_meta)
    metadata.update(old_meta)
    return MergedFields(
        tags=list(dict.fromkeys([*old_tags, *new_tags])),
        metadata=metadata,
        importance=max(old_importance, new_importance),
        confidence=max(old_confidence, new_confidence),
    )
