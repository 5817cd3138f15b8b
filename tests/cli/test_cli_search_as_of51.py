"""`memos search --as-of WHEN`, and the hits table's marks of a hit superseded or past its
valid_to (a search printed them as if they held)."""

from __future__ import annotations

from memos import MemOS
from tests.cli.conftest import Run
from tests.memos.test_search_as_of51 import _moves


def test_cli_as_of_and_marks(memos_cli: Run, store: str) -> None:
    with MemOS.open(store) as opened:
        rome, paris, _tea = _moves(opened)
        opened.add("Kim worked at Acme.", "kim", valid_from="2010-01-01",
                   valid_to="2015-01-01")
    out = memos_cli("search", "Kim city", "-u", "kim", "--as-of", "2022-06-01", "--json")
    ids = [h["cube"]["id"] for h in out.json()]
    assert rome in ids and paris not in ids
    table = memos_cli("search", "Kim city Acme", "-u", "kim", "--include-superseded").out
    assert "(superseded, held until 2024-01-01" in table and "(ended 2015-01-01" in table
