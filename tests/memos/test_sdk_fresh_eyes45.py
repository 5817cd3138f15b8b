"""What a fresh-eyes SDK user found (session 45): a bad date's message said what pydantic
wanted, not what to give; an ISO day string as ingest's `at` landed at midnight where a date
lands at noon; duplicates inside one add_many said nothing of what they dropped."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from memos import MemOS
from memos.errors import InvalidInputError


def test_a_bad_date_says_what_to_give(mem: MemOS) -> None:
    cid = mem.add("Ana keeps a diary", "alice").id
    for field, bad in (("valid_from", "garbage"), ("expires_at", "2026-13-01")):
        with pytest.raises(InvalidInputError, match="ISO 8601 string such as 2026-05-01T12:00:00Z"):
            mem.update(cid, "alice", **{field: bad})
    with pytest.raises(InvalidInputError, match=r"got 'garbage'"):
        mem.add("Ana keeps two diaries", "alice", valid_from="garbage")


def test_a_day_string_is_noon_as_a_date_is(mem: MemOS) -> None:
    for user, at in (("u1", "2026-03-01"), ("u2", date(2026, 3, 1))):
        report = mem.ingest([{"role": "user", "content": "I live in Lisbon"}], user,
                            session_id="s", at=at)
        episode = mem.get(report.episodes[0], user)
        assert episode.valid_from == datetime(2026, 3, 1, 12, tzinfo=UTC)


def test_duplicates_in_one_batch_say_what_they_dropped(mem: MemOS) -> None:
    out = mem.add_many([{"content": "Ana's desk is by the window", "tags": ["a"]},
                        {"content": "Ana's desk is by the window", "tags": ["b"],
                         "importance": 0.8}], "alice")
    assert [r.action for r in out] == ["added", "duplicate"]
    assert out[0].ignored == [] and out[1].ignored == ["importance", "tags"]
