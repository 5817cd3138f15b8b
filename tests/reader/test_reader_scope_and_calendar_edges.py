"""MemReader at its edges, as an adversarial review found them: another user's public cube
naming a user, and relative dates at the ends of the calendar."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from memos import MemOS
from memos.cube import Scope

MARCH = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)


def test_another_users_public_name_fact_never_renames_the_user(tmp_path: Path) -> None:
    """A public cube is readable by all and can carry any metadata subject: mallory's
    public "name" fact with subject "user:bob" must not become bob's name (it did: bob's
    own turns and facts were then written as "Mallory: ..." / "Mallory's city is ...")."""
    from memos.reader.questions import resolve_user_name, stored_user_name

    with MemOS.open(str(tmp_path / "s")) as mem:
        pub = Scope(user_id="mallory", visibility="public")
        mem.add("Mallory's name is Mallory.", pub, kind="fact",
                metadata={"subject": "user:bob", "attribute": "name", "value": "Mallory"})
        assert stored_user_name(mem, "bob") is None
        assert resolve_user_name(mem, "bob") == "Bob"
        report = mem.ingest([{"role": "user", "content": "I live in Leeds."}], "bob",
                            session_id="s1", at=MARCH)
        assert report.user_name == "Bob"
        contents = [h.cube.content for h in mem.search("Leeds", "bob", k=10)
                    if h.cube.scope.user_id == "bob"]
        assert contents and not any("Mallory" in c for c in contents)


def test_relative_dates_at_the_ends_of_the_calendar_never_crash_ingest(tmp_path: Path) -> None:
    """A turn said on 1 January of year 1 or 31 December 9999 whose words name a day before or
    after it ("3 days ago", "next year") raised OverflowError / ValueError out of
    MemOS.ingest (resolve_dates); such a date is simply not resolved."""
    from datetime import date

    from memos.reader.dates import resolve_dates

    assert resolve_dates("I was born in 0000, moved in 2019", date(2020, 1, 1))[0].text == "in 2019"
    cases = [("I moved to Leeds 3 days ago, last year", "0001-01-01T01:00:00Z"),
             ("we'll move to Leeds next August, next year, in 3 days", "9999-12-31T12:00:00Z"),
             ("I moved to Leeds tomorrow", date(9999, 12, 31)),
             ("I moved to Leeds yesterday", date(1, 1, 1))]
    with MemOS.open(str(tmp_path / "s")) as mem:
        for i, (text, at) in enumerate(cases):
            report = mem.ingest([{"role": "user", "content": text, "at": at}], "u",
                                session_id=f"s{i}")
            assert not report.failed and len(report.episodes) == 1
