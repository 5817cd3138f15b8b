"""Tier policies: which activation blobs to evict, which plaintext cubes to pre-encode.

Pure functions of (`CubeStats`, a clock reading, a config): no I/O, no torch. The RAM slot
cache, the scheduler and the benchmark all call these, so the decision a test checks on a
synthetic trace is the decision the running system makes.

Eviction policies, chosen by name (`EVICTION_POLICIES`):
- ``lru``: least recently used first.
- ``lfu``: fewest accesses first (ties: least recent first).
- ``cost``: cost-aware, in the spirit of GreedyDual-Size-Frequency: keep what is expensive to
  re-derive per byte and often used. An entry's value is
  ``rate * encode_seconds / bytes`` where ``rate`` is its access count decayed by the time
  since its last access (half-life `CostConfig.half_life_s`); the lowest value goes first.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class CubeStats:
    """What a policy may know of one cube or blob."""

    key: str  # cube id (promotion) or cache key (eviction)
    bytes: int = 0  # resident size of its activation form (0 if unknown)
    hits: int = 0  # accesses so far
    last_access: float | None = None  # clock seconds of the last access; None: never
    created: float = 0.0  # clock seconds when it entered the tier (or the store)
    encode_seconds: float = 0.0  # what re-deriving it costs


@dataclass(frozen=True)
class CostConfig:
    half_life_s: float = 3600.0  # an access counts half after this long
    min_bytes: int = 1  # guards division for entries of unknown size


@dataclass(frozen=True)
class PromotionConfig:
    """Pre-encode plaintext cubes read at least `min_hits` times, the last time within
    `window_s`; at most `max_per_run` per scheduler run, hottest first."""

    min_hits: int = 3
    window_s: float = 7 * 24 * 3600.0
    max_per_run: int = 256


def _recency(s: CubeStats) -> float:
    return s.last_access if s.last_access is not None else s.created


def lru_order(stats: Sequence[CubeStats], now: float) -> list[CubeStats]:
    return sorted(stats, key=lambda s: (_recency(s), s.key))


def lfu_order(stats: Sequence[CubeStats], now: float) -> list[CubeStats]:
    return sorted(stats, key=lambda s: (s.hits, _recency(s), s.key))


def cost_value(s: CubeStats, now: float, cfg: CostConfig = CostConfig()) -> float:
    """Re-derive seconds saved per resident byte per unit time (higher: keep)."""
    age = max(0.0, now - _recency(s))
    rate = max(s.hits, 1) * math.pow(0.5, age / cfg.half_life_s)
    return rate * max(s.encode_seconds, 1e-9) / max(s.bytes, cfg.min_bytes)


def cost_order(stats: Sequence[CubeStats], now: float,
               cfg: CostConfig = CostConfig()) -> list[CubeStats]:
    return sorted(stats, key=lambda s: (cost_value(s, now, cfg), _recency(s), s.key))


EVICTION_POLICIES: dict[str, Callable[[Sequence[CubeStats], float], list[CubeStats]]] = {
    "lru": lru_order,
    "lfu": lfu_order,
    "cost": cost_order,
}


def eviction_order(policy: str) -> Callable[[Sequence[CubeStats], float], list[CubeStats]]:
    """The ordering function of a policy name (first = evicted first)."""
    try:
        return EVICTION_POLICIES[policy]
    except KeyError:
        raise ValueError(f"unknown eviction policy {policy!r}; choose one of "
                         f"{sorted(EVICTION_POLICIES)}") from None


def select_evictions(stats: Sequence[CubeStats], budget_bytes: int, now: float,
                     policy: str = "lru", *, target: float = 1.0) -> list[str]:
    """Keys to evict, in order, until the rest fit in `target * budget_bytes`.

    `target` below 1 leaves headroom so that a cache evicting in batches does not call this
    on every insert. An entry larger than the whole budget is always evicted. An entry that
    a later, larger eviction made room for is kept after all (newest choice first), so no
    more is evicted than the budget needs: what is evicted for nothing would be encoded
    and stored again by the next promotion.
    """
    if budget_bytes < 0:
        raise ValueError("budget_bytes must be >= 0")
    limit = budget_bytes * target
    total = sum(s.bytes for s in stats)
    out: list[CubeStats] = []
    for s in eviction_order(policy)(stats, now):
        if total <= limit and s.bytes <= budget_bytes:
            continue
        out.append(s)
        total -= s.bytes
    kept: set[str] = set()
    for s in reversed(out):
        if s.bytes <= budget_bytes and total + s.bytes <= limit:
            kept.add(s.key)
            total += s.bytes
    return [s.key for s in out if s.key not in kept]


def select_promotions(stats: Sequence[CubeStats], now: float,
                      cfg: PromotionConfig = PromotionConfig()) -> list[str]:
    """Plaintext cubes to pre-encode: hot (hits) and recent (window), hottest first."""
    hot = [s for s in stats if s.hits >= cfg.min_hits and s.last_access is not None
           and now - s.last_access <= cfg.window_s]
    hot.sort(key=lambda s: (-s.hits, -(s.last_access or 0.0), s.key))
    return [s.key for s in hot[:cfg.max_per_run]]


__all__ = [
    "EVICTION_POLICIES",
    "CostConfig",
    "CubeStats",
    "PromotionConfig",
    "cost_value",
    "eviction_order",
    "select_evictions",
    "select_promotions",
]
