"""Naive datetimes are UTC (docs/SDK.md, Conventions) on every write path, and an update
that changes nothing is refused whatever spelling its values take."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from memos import Lifecycle
from memos.errors import InvalidInputError

FACT = {"subject": "Bob", "attribute": "city"}


def test_a_naive_valid_from_meets_a_dated_fact_without_a_type_error(mem) -> None:
    live = mem.add("Bob's city is Rome.", "bob", metadata=FACT,
                   valid_from=datetime(2020, 1, 1, tzinfo=UTC))
    past = mem.add("Bob's city is Oslo.", "bob", metadata=FACT, valid_from=datetime(2019, 1, 1))
    assert past.superseded == [] and past.cube.state == Lifecycle.SUPERSEDED
    later = mem.add("Bob's city is Lima.", "bob", metadata=FACT, valid_from=datetime(2021, 1, 1))
    assert later.superseded == [live.id]
    batch = mem.add_many([{"content": "Bob's city is Kyiv.", "metadata": FACT,
                           "valid_from": datetime(2022, 1, 1)}], "bob")
    assert batch[0].superseded == [later.id]


def test_supersede_with_a_naive_valid_from(mem) -> None:
    old = mem.add("Carol likes jazz", "carol", valid_from=datetime(2020, 1, 1))
    new = mem.supersede(old.id, "carol", content="Carol likes rock",
                        valid_from=datetime(2021, 1, 1))
    assert new.superseded == [old.id]
    ended = mem.get(old.id, "carol")
    assert ended.valid_to == datetime(2021, 1, 1, tzinfo=UTC)


def test_history_and_diff_read_naive_times_as_utc(mem) -> None:
    r = mem.add("Dan lives in Riga", "dan", valid_from=datetime(2020, 1, 1))
    assert r.cube.valid_from == datetime(2020, 1, 1, tzinfo=UTC)
    assert r.cube.valid_from.tzinfo is not None
    mem.update(r.id, "dan", valid_to=datetime(2021, 1, 1))
    versions = mem.history(r.id, "dan")
    assert all(c.valid_from.tzinfo is not None for c in versions)
    assert mem.get(r.id, "dan", version=2).valid_to.tzinfo is not None
    # only valid_to changed: the same instant spelled naive and aware is no change
    assert set(mem.diff(r.id, "dan").changes) == {"valid_to"}


def test_update_that_changes_nothing_is_refused_in_any_spelling(mem) -> None:
    r = mem.add("Erin likes tea", "erin", tags=["a", "b"],
                valid_from=datetime(2020, 1, 1, tzinfo=UTC))
    with pytest.raises(InvalidInputError, match="changes nothing"):
        mem.update(r.id, "erin", tags=("a", "b"))
    with pytest.raises(InvalidInputError, match="changes nothing"):
        mem.update(r.id, "erin", valid_from=datetime(2020, 1, 1))
    with pytest.raises(InvalidInputError, match="changes nothing"):
        mem.update(r.id, "erin", content=b"Erin likes tea")
    assert [c.version for c in mem.history(r.id, "erin")] == [1]
