"""`search(as_of=...)` (and the `valid_at` filter) keeps what held at a time: begun by then
(or never said when), not yet ended, superseded memories included. The CLI's `--as-of`, and
its hits table marks a hit superseded or past its valid_to."""

from __future__ import annotations

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
    tea = mem.add("Kim likes tea.", "kim").id  # no time: held always
    return rome, paris, tea


def test_as_of_finds_what_held_then(mem) -> None:
    rome, paris, tea = _moves(mem)
    assert mem.get(rome, "kim").state.value == "superseded"
    then = {h.id for h in mem.search("Kim city", "kim", k=10, as_of="2022-06-01")}
    assert rome in then and paris not in then and tea in then
    now = {h.id for h in mem.search("Kim city", "kim", k=10, as_of="2025-06-01")}
    assert paris in now and rome not in now
    before = {h.id for h in mem.search("Kim city", "kim", k=10, as_of="2019-06-01")}
    assert before == {tea}
    # the filter itself, combined with others
    hits = mem.search("Kim city", "kim", k=10, include_superseded=True,
                      filters={"and": [{"valid_at": "2022-06-01"}, {"kind": "fact"}]})
    assert {h.id for h in hits} == {rome, tea}


def test_bad_as_of(mem) -> None:
    with pytest.raises(InvalidInputError, match="as_of"):
        mem.search("x", "kim", as_of="someday")
