"""Tier policies on synthetic access traces, and the RAM slot cache that uses them."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from memos.errors import InvalidInputError
from memos.policies.tiering import (
    CubeStats,
    PromotionConfig,
    cost_value,
    select_evictions,
    select_promotions,
)
from memos.slot_cache import EVICT_TO, SlotCache

stats_lists = st.lists(
    st.builds(CubeStats, key=st.uuids().map(str), bytes=st.integers(0, 10_000),
              hits=st.integers(0, 50), last_access=st.one_of(st.none(), st.floats(0, 1e6)),
              created=st.floats(0, 1e6), encode_seconds=st.floats(0, 5)),
    max_size=40, unique_by=lambda s: s.key)


@settings(max_examples=150, deadline=None)
@given(stats=stats_lists, budget=st.integers(0, 100_000), policy=st.sampled_from(["lru", "lfu", "cost"]),
       target=st.sampled_from([1.0, 0.9, 0.5]))
def test_evictions_fit_the_budget_and_follow_the_policy(stats, budget, policy, target):
    now = 2e6
    out = select_evictions(stats, budget, now, policy, target=target)
    assert len(out) == len(set(out))
    kept = [s for s in stats if s.key not in set(out)]
    assert sum(s.bytes for s in kept) <= budget * target
    assert all(s.bytes <= budget for s in kept)  # an oversize entry never stays
    evicted = [s for s in stats if s.key in set(out) and s.bytes <= budget]
    # No more than needed: putting back any one entry evicted for the budget would not fit.
    room = budget * target - sum(s.bytes for s in kept)
    assert all(e.bytes > room for e in evicted)
    recency = {s.key: s.last_access if s.last_access is not None else s.created for s in stats}
    # Every entry evicted for the budget ranks no better than every entry kept that is at
    # least as large (a smaller, colder one may stay in the room a larger eviction made).
    for e in evicted:
        for k in kept:
            if k.bytes < e.bytes:
                continue
            if policy == "lru":
                assert recency[e.key] <= recency[k.key]
            elif policy == "lfu":
                assert (e.hits, recency[e.key]) <= (k.hits, recency[k.key])
            else:
                assert cost_value(e, now) <= cost_value(k, now)


@settings(max_examples=150, deadline=None)
@given(stats=stats_lists, budget=st.integers(0, 100_000))
def test_no_eviction_when_everything_fits(stats, budget):
    if sum(s.bytes for s in stats) <= budget and all(s.bytes <= budget for s in stats):
        assert select_evictions(stats, budget, 0.0, "cost") == []


def test_cost_policy_keeps_expensive_small_and_hot_entries():
    now = 1000.0
    cheap_big = CubeStats("cheap", bytes=1000, hits=5, last_access=now, encode_seconds=0.01)
    dear_small = CubeStats("dear", bytes=100, hits=5, last_access=now, encode_seconds=0.5)
    cold = CubeStats("cold", bytes=100, hits=5, last_access=now - 10 * 3600, encode_seconds=0.5)
    order = select_evictions([cheap_big, dear_small, cold], 150, now, "cost")
    assert order[:2] == ["cold", "cheap"] or order[:2] == ["cheap", "cold"]
    assert "dear" not in order


def test_an_entry_a_larger_eviction_made_room_for_is_kept():
    """lru evicts the coldest first; when the next, larger eviction frees enough for both,
    the coldest is kept after all (evicting it too would only have it encoded again)."""
    small = CubeStats("small", bytes=50, last_access=1.0)
    large = CubeStats("large", bytes=700, last_access=2.0)
    mid = CubeStats("mid", bytes=200, last_access=3.0)
    assert select_evictions([small, large, mid], 899, 10.0, "lru") == ["large"]


@settings(max_examples=100, deadline=None)
@given(stats=stats_lists, min_hits=st.integers(0, 10), window=st.floats(1, 1e6),
       cap=st.integers(0, 20))
def test_promotions_are_hot_recent_hottest_first(stats, min_hits, window, cap):
    now = 1e6
    cfg = PromotionConfig(min_hits=min_hits, window_s=window, max_per_run=cap)
    out = select_promotions(stats, now, cfg)
    by_key = {s.key: s for s in stats}
    assert len(out) <= cap
    assert all(by_key[k].hits >= min_hits and now - by_key[k].last_access <= window for k in out)
    hits = [by_key[k].hits for k in out]
    assert hits == sorted(hits, reverse=True)
    eligible = [s for s in stats if s.hits >= min_hits and s.last_access is not None
                and now - s.last_access <= window]
    assert len(out) == min(cap, len(eligible))


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        self.t += 1.0
        return self.t


@settings(max_examples=60, deadline=None)
@given(trace=st.lists(st.integers(0, 30), min_size=1, max_size=300),
       budget=st.integers(1, 2000), policy=st.sampled_from(["lru", "lfu", "cost"]))
def test_cache_never_exceeds_its_budget_and_counts_every_access(trace, budget, policy):
    cache = SlotCache(budget, policy, clock=Clock())
    for key in trace:
        if cache.get(key) is None:
            cache.put(key, f"slots-{key}", nbytes=10 + 7 * key, encode_seconds=0.01 * (key + 1))
        s = cache.stats()
        assert s.resident_bytes <= budget
    s = cache.stats()
    assert s.hits + s.misses == len(trace)
    assert s.resident_bytes == sum(10 + 7 * k for k in set(trace) if k in cache)


def test_policies_differ_on_a_skewed_trace():
    """On a Zipf trace with sizes and costs that vary, the three policies keep different
    entries (a cache that ignored its policy would give one answer for all three)."""
    import random

    rng = random.Random(0)
    keys = list(range(400))
    weights = [1 / (k + 1) ** 1.1 for k in keys]
    trace = rng.choices(keys, weights, k=4000)
    sizes = {k: rng.randint(10, 200) for k in keys}
    results = {}
    for policy in ("lru", "lfu", "cost"):
        cache = SlotCache(3000, policy, clock=Clock())
        for key in trace:
            if cache.get(key) is None:
                cache.put(key, key, nbytes=sizes[key], encode_seconds=sizes[key] % 7 / 100)
        results[policy] = cache.stats().hit_rate
    assert len(set(results.values())) == 3, results
    assert results["lfu"] > results["lru"]  # frequency wins on a stationary Zipf trace


def test_lru_cache_matches_a_reference_simulation():
    """An LRU cache of equal-size entries keeps exactly the most recent ones."""
    cache = SlotCache(100, "lru", clock=Clock())
    for key in range(20):
        cache.put(key, key, nbytes=10)
    # 20 x 10 bytes into 100: each overflow evicts down to 90, i.e. the 9 most recent stay
    # after the last eviction and later inserts refill up to 10.
    resident = [k for k in range(20) if k in cache]
    assert resident == list(range(20 - len(resident), 20))
    assert int(100 * EVICT_TO) // 10 <= len(resident) <= 10
    cache.get(resident[0])  # touch the oldest: it survives the next eviction
    for key in range(20, 23):
        cache.put(key, key, nbytes=10)
    assert resident[0] in cache


def test_cache_discard_and_bad_arguments():
    cache = SlotCache(1000, "cost")
    for v in (1, 2, 3):
        cache.put(("cube", v, "fp"), v, nbytes=10)
    assert cache.discard(lambda k: k[1] < 3) == 2
    assert cache.get(("cube", 1, "fp")) is None and cache.get(("cube", 3, "fp")) == 3
    cache.put("huge", 0, nbytes=5000)  # larger than the budget: not kept
    assert "huge" not in cache
    with pytest.raises(InvalidInputError):
        cache.put("k", None, nbytes=1)  # None is what get() answers for a miss
    with pytest.raises(InvalidInputError):
        SlotCache(10, "fifo")
    with pytest.raises(InvalidInputError):
        SlotCache(-1)
