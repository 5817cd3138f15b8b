"""`search(as_of=...)` (and the `valid_at` filter) keeps what held at a time: begun by then
(or never said when), not yet ended, superseded memories included. The CLI's `--as-of`, and
its hits table marks a hit superseded or past its valid_to."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from memos import MemOS
from memos.errors import InvalidInputError


@pytest.fixture
def mem(tmp_path: Path):
    with MemOS.open(tmp_path / "s") as store:
        yield store


def _moves(mem: MemOS) -> tuple[str, str, str]:
    meta = {"subject": "kim", "attribute": "city"}
    rome = mem.add("Kim's city is Rome.", "kim", metadata={**meta, "value": "Rome"},
                   valid_from="2020-01-01").id
    paris = mem.add("Kim's city is Paris.", "kim", metadata={**meta, "value": "Paris"},
                    valid_from="2024-01-01").id
    tea = mem.add("Kim likes tea.", "kim").id  # no time: held from when it was recorded
    return rome, paris, tea


def test_as_of_finds_what_held_then(mem) -> None:
    rome, paris, tea = _moves(mem)
    assert mem.get(rome, "kim").state.value == "superseded"
    then = {h.id for h in mem.search("Kim city", "kim", k=10, as_of="2022-06-01")}
    assert then == {rome}  # (tea was recorded only today)
    now = {h.id for h in mem.search("Kim city", "kim", k=10, as_of="2025-06-01")}
    assert paris in now and rome not in now and tea not in now
    assert tea in {h.id for h in mem.search("Kim tea", "kim", k=10, as_of=datetime.now(UTC))}
    assert mem.search("Kim city", "kim", k=10, as_of="2019-06-01") == []
    # the filter itself, combined with others
    hits = mem.search("Kim city", "kim", k=10, include_superseded=True,
                      filters={"and": [{"valid_at": "2022-06-01"}, {"kind": "fact"}]})
    assert {h.id for h in hits} == {rome}


def test_a_replacement_did_not_hold_before_it_was_made(mem) -> None:
    paris = mem.add("I live in Paris", "kim", valid_from="2020-01-01").id
    before = datetime.now(UTC)
    lyon = mem.supersede(paris, "kim", content="I live in Lyon").id
    then = {h.id for h in mem.search("where do I live", "kim", k=10, as_of=before)}
    assert then == {paris}
    assert lyon in {h.id for h in mem.search("where do I live", "kim", k=10,
                                             as_of=datetime.now(UTC))}


def test_a_superseded_memory_keeps_its_end(mem) -> None:
    paris = mem.add("I live in Paris", "kim").id
    mem.supersede(paris, "kim", content="I live in Lyon")
    with pytest.raises(InvalidInputError, match="superseded"):
        mem.update(paris, "kim", clear=["valid_to"])


def test_bad_as_of(mem) -> None:
    with pytest.raises(InvalidInputError, match="as_of"):
        mem.search("x", "kim", as_of="someday")
