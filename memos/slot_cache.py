"""A RAM cache of hot activation entries (pre-encoded memory slots) under a byte budget.

Keys are whatever identifies one entry exactly, e.g. (cube id, version, model fingerprint):
a new version or another model is another key, so the cache can never serve stale slots.
When the resident bytes pass the budget the cache asks `policies.tiering.select_evictions`
(by policy name: lru, lfu, cost) which entries to drop, down to 90% of the budget, so the
policy runs once per batch of inserts rather than on every one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from memos.errors import InvalidInputError
from memos.policies.tiering import EVICTION_POLICIES, CubeStats, select_evictions

EVICT_TO = 0.9  # after an eviction the cache holds at most this share of its budget


@dataclass
class _Entry:
    value: Any
    bytes: int
    encode_seconds: float
    hits: int
    last_access: float
    created: float


@dataclass(frozen=True)
class CacheStats:
    hits: int
    misses: int
    entries: int
    resident_bytes: int
    budget_bytes: int
    evictions: int
    policy: str

    @property
    def hit_rate(self) -> float:
        total = self.hits + self.misses
        return self.hits / total if total else 0.0


class SlotCache:
    """Thread-safe; `get` and `put` are O(1) until an eviction batch runs."""

    def __init__(self, budget_bytes: int, policy: str = "lru",
                 clock: Callable[[], float] = time.monotonic) -> None:
        if not isinstance(budget_bytes, int) or budget_bytes < 0:
            raise InvalidInputError(f"cache budget must be a byte count >= 0, got {budget_bytes!r}")
        if policy not in EVICTION_POLICIES:
            raise InvalidInputError(f"unknown eviction policy {policy!r}; choose one of "
                                    f"{sorted(EVICTION_POLICIES)}")
        self.budget_bytes = budget_bytes
        self.policy = policy
        self.clock = clock
        self._entries: dict[Hashable, _Entry] = {}
        self._bytes = 0
        self._hits = self._misses = self._evictions = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self._misses += 1
                return None
            self._hits += 1
            entry.hits += 1
            entry.last_access = self.clock()
            return entry.value

    def put(self, key: Hashable, value: Any, nbytes: int, encode_seconds: float = 0.0) -> None:
        """Insert (or replace) an entry; an entry larger than the budget is not kept."""
        if nbytes < 0:
            raise InvalidInputError("nbytes must be >= 0")
        if value is None:  # `get` answers None for a miss: a None value would read as one
            raise InvalidInputError("a cache value cannot be None")
        now = self.clock()
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old.bytes
            if nbytes > self.budget_bytes:
                return
            self._entries[key] = _Entry(value, nbytes, encode_seconds, 1, now, now)
            self._bytes += nbytes
            if self._bytes > self.budget_bytes:
                self._evict(now)

    def _evict(self, now: float) -> None:
        stats = [CubeStats(key=str(k), bytes=e.bytes, hits=e.hits, last_access=e.last_access,
                           created=e.created, encode_seconds=e.encode_seconds)
                 for k, e in self._entries.items()]
        keys = {str(k): k for k in self._entries}  # the policy names entries by str(key)
        for skey in select_evictions(stats, self.budget_bytes, now, self.policy,
                                     target=EVICT_TO):
            key = keys[skey]
            self._bytes -= self._entries.pop(key).bytes
            self._evictions += 1

    def discard(self, predicate: Callable[[Hashable], bool]) -> int:
        """Drop every entry whose key matches (invalidation: a cube's old versions, a
        forgotten cube, another model). Returns how many were dropped."""
        with self._lock:
            dead = [k for k in self._entries if predicate(k)]
            for k in dead:
                self._bytes -= self._entries.pop(k).bytes
            return len(dead)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._entries

    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(self._hits, self._misses, len(self._entries), self._bytes,
                              self.budget_bytes, self._evictions, self.policy)


__all__ = ["CacheStats", "SlotCache"]
