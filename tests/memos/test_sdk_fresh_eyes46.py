"""What a fresh-eyes SDK user found (session 46)."""

from __future__ import annotations

import pytest

from memos import MemOS
from memos.errors import InvalidInputError


@pytest.mark.parametrize("query", [5, None, ["tea"], b"tea"])
def test_a_query_that_is_no_string_says_so(mem: MemOS, query: object) -> None:
    # it said "search query is empty"
    with pytest.raises(InvalidInputError, match="must be a string"):
        mem.search(query, "alice")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="is empty"):
        mem.search("   ", "alice")
