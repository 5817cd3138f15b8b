"""Which memories to consolidate into a parametric adapter, and when (pure: no I/O, no torch).

A memory is a candidate when it is **stable** (its current version is at least
`stable_days` old), **trusted** (confidence at least `min_confidence`) and **used** (read at
least `min_hits` times), and it is a fact the model can be asked closed-book (it has a
subject, an attribute and a value). `should_consolidate` says whether a user's candidates
warrant training a new adapter now: enough of them, something changed since the active
adapter, and the rate limit respected.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from memos.errors import InvalidInputError

DAY_S = 86_400.0


@dataclass(frozen=True)
class ConsolidationPolicy:
    """Thresholds of the consolidation policy (all configurable)."""

    stable_days: float = 7.0  # unchanged for at least this long
    min_confidence: float = 0.8
    min_hits: int = 3  # accessed at least this many times
    min_facts: int = 8  # fewer candidates than this: not worth an adapter
    max_facts: int = 400  # at most this many per adapter (the most used first)
    min_interval_s: float = 24 * 3600.0  # per user: at most one consolidation per interval

    def __post_init__(self) -> None:
        for name in ("min_hits", "min_facts", "max_facts"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value > 1_000_000:
                raise InvalidInputError(f"{name} must be an integer (at most 1000000), "
                                        f"got {value!r:.40}")
        for name in ("stable_days", "min_confidence", "min_interval_s"):
            value = getattr(self, name)
            if (not isinstance(value, (int, float)) or isinstance(value, bool)
                    or not math.isfinite(value)):
                raise InvalidInputError(f"{name} must be a finite number, got {value!r:.40}")
        if self.stable_days < 0 or not 0.0 <= self.min_confidence <= 1.0:
            raise InvalidInputError("stable_days must be >= 0 and min_confidence in [0, 1]")
        if self.min_hits < 0 or self.min_facts < 1 or self.max_facts < self.min_facts:
            raise InvalidInputError("min_hits >= 0, min_facts >= 1 and max_facts >= min_facts")
        if self.min_interval_s < 0:
            raise InvalidInputError("min_interval_s must be >= 0")


@dataclass(frozen=True)
class FactStats:
    """What the policy knows of one memory (its current version)."""

    key: str  # cube id
    version: int
    changed_at: float  # epoch seconds the current version was written
    confidence: float
    hits: int
    last_access: float | None = None
    has_fact: bool = True  # subject, attribute and value known


# Why a memory is no fact to consolidate: the parametric tier reads subject, attribute and
# value from its metadata (memos.parametric.tier.fact_of), never from free text alone.
NOT_A_FACT = ("not a subject/attribute/value fact: its metadata needs subject and attribute "
              "(and value, unless the text reads \"<subject>'s <attribute> is <value>.\"); "
              "add them with --meta subject=... --meta attribute=... (`memos add` or `memos "
              "update`), or let `memos ingest` extract facts from a conversation")


def why_not(s: FactStats, now: float, policy: ConsolidationPolicy) -> str | None:
    """Why this memory is not a candidate, or None when it is."""
    if not s.has_fact:
        return NOT_A_FACT
    age_days = (now - s.changed_at) / DAY_S
    if age_days < policy.stable_days:
        return f"changed {age_days:.1f} days ago (< {policy.stable_days:g})"
    if s.confidence < policy.min_confidence:
        return f"confidence {s.confidence:.2f} < {policy.min_confidence:.2f}"
    if s.hits < policy.min_hits:
        return f"{s.hits} reads < {policy.min_hits}"
    return None


def select_candidates(stats: Sequence[FactStats], now: float,
                      policy: ConsolidationPolicy = ConsolidationPolicy()) -> list[FactStats]:
    """The candidates, most used first (ties: most recently read, then id), at most
    `max_facts`."""
    chosen = [s for s in stats if why_not(s, now, policy) is None]
    chosen.sort(key=lambda s: (-s.hits, -(s.last_access or 0.0), s.key))
    return chosen[:policy.max_facts]


def should_consolidate(candidates: Sequence[FactStats], current: set[tuple[str, int]],
                       last_run: float | None, now: float,
                       policy: ConsolidationPolicy = ConsolidationPolicy()) -> tuple[bool, str]:
    """Whether to train a new adapter for one user now, and why (or why not).

    `current`: the (cube id, version) pairs the user's active adapter was trained on (empty
    when none); `last_run`: when the user's last consolidation was attempted (None: never).
    """
    if len(candidates) < policy.min_facts:
        return False, f"{len(candidates)} candidate facts < {policy.min_facts}"
    wanted = {(s.key, s.version) for s in candidates}
    if wanted <= current:
        return False, "the active adapter already holds every candidate"
    if last_run is not None and now - last_run < policy.min_interval_s:
        return False, (f"rate limit: last consolidation {int(now - last_run)} s ago "
                       f"(< {int(policy.min_interval_s)} s)")
    new = len(wanted - current)
    return True, f"{len(candidates)} candidate facts, {new} not in the active adapter"


__all__ = ["DAY_S", "NOT_A_FACT", "ConsolidationPolicy", "FactStats", "select_candidates",
           "should_consolidate", "why_not"]
