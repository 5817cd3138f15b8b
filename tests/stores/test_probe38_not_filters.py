"""A `not` filter is the complement over the rows (docs/SDK.md, "Filter expression"): a
cube whose field is NULL (no agent, no session, no valid_from) does not match the inner
filter, so it matches its `not`. Plain SQL NOT of a comparison with NULL is NULL, which
dropped those cubes (probe 38)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from memos import Scope

WORDS = "kestrel harbour lantern"


@pytest.fixture
def mem(open_store: Callable[..., Any]) -> Any:
    m = open_store(embedder="hashing")
    m.add(f"{WORDS} plain", scope="alice", tags=["x"], kind="fact")
    m.add(f"{WORDS} planner", scope=Scope(user_id="alice", agent_id="planner",
                                          visibility="shared"), kind="event")
    m.add(f"{WORDS} session", scope=Scope(user_id="alice", session_id="s1"),
          metadata={"project": "apollo"})
    m.add(f"{WORDS} valid", scope="alice",
          valid_from=datetime(2020, 1, 1, tzinfo=UTC), metadata={"project": "zeus"})
    return m


def _found(mem: Any, filters: dict[str, Any]) -> set[str]:
    hits = mem.search(WORDS, "alice", k=20, filters=filters)
    return {h.cube.content.removeprefix(WORDS + " ") for h in hits}


ALL = {"plain", "planner", "session", "valid"}


def test_baseline_sees_all(mem: Any) -> None:
    assert _found(mem, {}) == ALL


@pytest.mark.parametrize("inner", [
    {"agent_id": "planner"},
    {"agent_id": "nobody"},
    {"session_id": "nope"},
    {"session_id": "s1"},
    {"valid_after": "2000-01-01"},
    {"valid_before": "2030-01-01"},
    {"meta": {"project": "apollo"}},
    {"meta": {"project": ["apollo", "zeus"]}},
    {"tag": "x"},
    {"tags_all": ["x", "y"]},
    {"kind": "fact"},
    {"recorded_after": "2000-01-01"},
    {"or": [{"agent_id": "planner"}, {"session_id": "s1"}]},
    {"and": [{"agent_id": "planner"}, {"kind": "event"}]},
    {"or": [{"agent_id": "nobody"}, {"valid_after": "2000-01-01"}]},
    {"not": {"agent_id": "planner"}},
    {"not": {"or": [{"session_id": "s1"}, {"agent_id": "planner"}]}},
    {"and": [{"not": {"session_id": "s1"}}, {"valid_before": "2030-01-01"}]},
])
def test_not_is_the_complement(mem: Any, inner: dict[str, Any]) -> None:
    matched = _found(mem, inner)
    assert _found(mem, {"not": inner}) == ALL - matched
    # and the filter and its complement together are everything, whatever is NULL
    assert _found(mem, {"or": [inner, {"not": inner}]}) == ALL


def test_probe_cases(mem: Any) -> None:
    assert _found(mem, {"not": {"agent_id": "planner"}}) == {"plain", "session", "valid"}
    assert _found(mem, {"not": {"session_id": "nope"}}) == ALL
    assert _found(mem, {"not": {"valid_after": "2000-01-01"}}) == {"plain", "planner", "session"}
    assert _found(mem, {"not": {"not": {"agent_id": "planner"}}}) == {"planner"}
