"""The consolidation policy (pure): stable, trusted, used facts; when to train."""

from __future__ import annotations

import pytest

from memos.policies.consolidation import (
    DAY_S,
    ConsolidationPolicy,
    FactStats,
    select_candidates,
    should_consolidate,
    why_not,
)

NOW = 1_000 * DAY_S
POLICY = ConsolidationPolicy(stable_days=7, min_confidence=0.8, min_hits=3, min_facts=2,
                             max_facts=3, min_interval_s=3600)


def fact(key: str, *, age_days: float = 10, confidence: float = 1.0, hits: int = 5,
         has_fact: bool = True, last: float | None = None, version: int = 1) -> FactStats:
    return FactStats(key=key, version=version, changed_at=NOW - age_days * DAY_S,
                     confidence=confidence, hits=hits, last_access=last, has_fact=has_fact)


def test_each_rule_excludes_and_says_why() -> None:
    assert why_not(fact("a"), NOW, POLICY) is None
    assert "days ago" in str(why_not(fact("b", age_days=2), NOW, POLICY))
    assert "confidence" in str(why_not(fact("c", confidence=0.5), NOW, POLICY))
    assert "reads" in str(why_not(fact("d", hits=2), NOW, POLICY))
    assert "subject" in str(why_not(fact("e", has_fact=False), NOW, POLICY))


def test_boundaries_are_inclusive() -> None:
    assert why_not(fact("a", age_days=7, confidence=0.8, hits=3), NOW, POLICY) is None


def test_candidates_most_used_first_and_capped() -> None:
    stats = [fact("a", hits=3), fact("b", hits=9), fact("c", hits=5, last=5.0),
             fact("d", hits=5, last=9.0), fact("e", hits=100, age_days=1)]
    chosen = select_candidates(stats, NOW, POLICY)
    assert [s.key for s in chosen] == ["b", "d", "c"]  # e is unstable; cap of 3


def test_should_consolidate_needs_enough_new_facts_and_respects_rate_limit() -> None:
    cands = [fact("a"), fact("b")]
    ok, why = should_consolidate(cands[:1], set(), None, NOW, POLICY)
    assert not ok and "< 2" in why
    ok, why = should_consolidate(cands, {("a", 1), ("b", 1)}, None, NOW, POLICY)
    assert not ok and "already" in why
    ok, why = should_consolidate(cands, {("a", 1)}, NOW - 60, NOW, POLICY)
    assert not ok and "rate limit" in why
    ok, why = should_consolidate(cands, {("a", 1)}, NOW - 7200, NOW, POLICY)
    assert ok and "1 not in the active adapter" in why
    # A new version of a fact the adapter holds counts as new.
    ok, _ = should_consolidate([fact("a", version=2), fact("b")], {("a", 1), ("b", 1)},
                               None, NOW, POLICY)
    assert ok


def test_bad_thresholds_are_refused() -> None:
    with pytest.raises(ValueError):
        ConsolidationPolicy(min_confidence=1.5)
    with pytest.raises(ValueError):
        ConsolidationPolicy(min_facts=10, max_facts=5)
