"""MemOS.ingest of a session read before, and values restated within one call (found by a
review): the newest statement of a (subject, attribute) is the live fact."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from memos import MemOS

T1 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
T2 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
T3 = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)


def user(text: str, **extra: Any) -> dict[str, Any]:
    return {"role": "user", "content": text, **extra}


def live(mem: MemOS, query: str) -> list[str]:
    """The live facts holding one of the query's words."""
    return sorted(h.content for h in mem.search(query, "alice", kind=["fact", "preference"])
                  if any(w in h.content for w in query.split()))


@pytest.mark.parametrize("dated", [True, False])
def test_a_session_ingested_again_brings_back_no_replaced_value(mem: MemOS,
                                                                dated: bool) -> None:
    """Before: session 1 ("I live in Paris") ingested again after session 2 ("I moved to
    Berlin") wrote Paris as a new live fact that superseded Berlin. A turn read before (its
    fact has it as source) is not read again, with or without given times."""
    s1 = [user("I live in Paris.", **({"at": T1} if dated else {})),
          user("I'm allergic to peanuts.", **({"at": T1} if dated else {}))]
    first = mem.ingest(s1, "alice", session_id="s1")
    mem.ingest([user("I moved to Berlin.", at=T2),
                user("I'm not allergic to peanuts any more.", at=T2)], "alice", session_id="s2")
    assert live(mem, "city allergy") == ["Alice's city is Berlin."]
    again = mem.ingest(s1, "alice", session_id="s1")
    assert again.episodes == first.episodes and again.superseded == [] and again.failed == []
    assert live(mem, "city allergy") == ["Alice's city is Berlin."]
    mem.ingest(s1, "alice", session_id="s1")  # and again: nothing changes
    assert live(mem, "city allergy") == ["Alice's city is Berlin."]
    history = [h for h in mem.search("city", "alice", kind="fact", include_superseded=True)]
    assert sorted(h.content for h in history) == ["Alice's city is Berlin.",
                                                  "Alice's city is Paris."]


def test_a_negation_ingested_again_ends_no_value_stated_later(mem: MemOS) -> None:
    """Session 2 ended the allergy and session 3 stated it again: ingesting session 2 again
    must not end session 3's fact."""
    mem.ingest([user("I'm allergic to peanuts.")], "alice", session_id="s1", at=T1)
    s2 = [user("I'm not allergic to peanuts any more.")]
    mem.ingest(s2, "alice", session_id="s2", at=T2)
    mem.ingest([user("Oops, I'm allergic to peanuts after all.")], "alice", session_id="s3",
               at=T3)
    assert live(mem, "allergy peanuts") == ["Alice's allergy is peanuts."]
    again = mem.ingest(s2, "alice", session_id="s2", at=T2)
    assert again.ended == []
    assert live(mem, "allergy peanuts") == ["Alice's allergy is peanuts."]


def test_the_same_words_said_again_later_are_read_again(mem: MemOS) -> None:
    """A turn is read again when it is another message: another session, or the same
    session and turn number at another time (the assistant ingests each reply as turn 0 of
    its session)."""
    mem.ingest([user("I live in Paris.")], "alice", session_id="s1", at=T1)
    mem.ingest([user("I moved to Berlin.")], "alice", session_id="s2", at=T2)
    back = mem.ingest([user("I live in Paris.")], "alice", session_id="s3", at=T3)
    assert live(mem, "city") == ["Alice's city is Paris."] and back.superseded
    mem.ingest([user("I moved to Berlin.")], "alice", session_id="s1", at=T3 + timedelta(1))
    mem.ingest([user("I live in Paris.")], "alice", session_id="s1", at=T3 + timedelta(2))
    assert live(mem, "city") == ["Alice's city is Paris."]


@pytest.mark.parametrize("stored_before", [True, False])
def test_a_value_restated_in_one_call_wins(mem: MemOS, stored_before: bool) -> None:
    """Before: in one call "blue", then "green", then "blue" again left green live: the
    last "blue" was a duplicate of a cube written in the same batch (or stored before), so
    it superseded nothing. A value for a (subject, attribute) already queued writes the queue
    first."""
    if stored_before:
        mem.ingest([user("My favorite color is blue.")], "alice", session_id="s0", at=T1)
        said = ["My favorite color is green.", "Actually, my favorite color is blue."]
    else:
        said = ["My favorite color is blue.", "My favorite color is green.",
                "No, my favorite color is blue."]
    report = mem.ingest([user(t, at=T2 + timedelta(minutes=i)) for i, t in enumerate(said)],
                        "alice", session_id="s1")
    assert report.failed == []
    assert live(mem, "favorite color") == ["Alice's favorite color is blue."]
    mem.ingest([user("I like tea."), user("I can't stand tea."), user("I like tea.")], "alice",
               session_id="s2", at=T3)
    assert live(mem, "tea") == ["Alice likes tea."]
