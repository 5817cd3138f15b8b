"""The pure write-path policies: dedup, conflict, retention."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from memos.policies import conflict, dedup, retention

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def test_dedup_exact_beats_near_and_threshold_applies():
    assert dedup.decide_dedup(["a"], [("b", 0.99)], 0.9) == dedup.DedupDecision("duplicate", "a", 1.0)
    d = dedup.decide_dedup([], [("b", 0.91), ("c", 0.97)], 0.95)
    assert (d.action, d.target_id) == ("merged", "c")
    assert dedup.decide_dedup([], [("b", 0.94)], 0.95).action == "added"
    assert dedup.decide_dedup([], [("b", 0.999)], None).action == "added"
    assert dedup.decide_dedup([], [], 0.5).action == "added"


def test_merge_fields_unions_and_keeps_old_values():
    m = dedup.merge_fields(["a", "b"], ["b", "c"], {"k": 1, "x": "old"}, {"x": "new", "y": 2},
                           0.3, 0.7, 0.9, 0.5)
    assert m.tags == ["a", "b", "c"]
    assert m.metadata == {"k": 1, "x": "old", "y": 2}
    assert (m.importance, m.confidence) == (0.7, 0.9)


def test_fact_key_normalises_and_needs_both_parts():
    assert conflict.fact_key({"subject": " Alice ", "attribute": "Home  City"}) == \
        conflict.FactKey("alice", "home city")
    assert conflict.fact_key({"subject": "alice"}) is None
    assert conflict.fact_key({"subject": "", "attribute": "x"}) is None


def test_find_superseded():
    new = {"subject": "Alice", "attribute": "city"}
    cands = [("1", {"subject": "alice", "attribute": "CITY"}, "h1"),
             ("2", {"subject": "alice", "attribute": "job"}, "h2"),
             ("3", {"subject": "alice", "attribute": "city"}, "same")]
    assert conflict.find_superseded(new, "same", cands) == ["1"]
    assert conflict.find_superseded({}, "h", cands, explicit=["9", "9"]) == ["9"]


def test_retention_expiry_and_selection():
    assert retention.expiry(NOW, None, None) is None
    assert retention.expiry(NOW, 60, None) == NOW + timedelta(seconds=60)
    assert retention.expiry(NOW, timedelta(days=1), None) == NOW + timedelta(days=1)
    naive = datetime(2027, 1, 1)
    assert retention.expiry(NOW, 60, naive) == naive.replace(tzinfo=UTC)
    with pytest.raises(ValueError):
        retention.expiry(NOW, 0, None)
    assert retention.is_expired(NOW, NOW) and not retention.is_expired(None, NOW)
    cubes = [("a", NOW - timedelta(seconds=1), "active"), ("b", NOW + timedelta(1), "active"),
             ("c", NOW - timedelta(days=3), "forgotten"), ("d", None, "active")]
    assert retention.select_expired(cubes, NOW) == ["a"]
