"""A turn that corrects the one before ("Sorry, I meant Lyon", "Oops, I mean 35") replaces
the fact that turn stated, within one call and when the turns come one call at a time (the
assistant's way); a turn that merely looks alike corrects nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from memos import MemOS
from memos.assistant import Assistant
from memos.cube import Lifecycle
from memos.reader.rules import Extraction, correction, extract

T1 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
Fact = tuple[str, str, bool]


def corrected(first: str, second: str) -> set[Fact]:
    prev = extract(first, "Alice", "user:alice", T1)
    return {(e.attribute, e.value, e.negated)
            for e in extract(second, "Alice", "user:alice", T1, previous=prev)}


@pytest.mark.parametrize(("first", "second", "expected"), [
    ("I live in Lyons.", "Sorry, I meant Lyon.", {("city", "Lyon", False)}),
    ("I'm 34.", "Oops, I mean 35.", {("age", "35", False)}),
    ("I work at Acme.", "I meant Globex, not Acme.", {("employer", "Globex", False)}),
    ("I'm a nurse.", "Sorry I meant a teacher lol", {("job", "teacher", False)}),
    # one may have several sisters: the name said wrongly ends, the right one is added
    ("My sister's name is Ana.", "Oops, it's Anna.",
     {("sister's name", "Ana", True), ("sister's name", "Anna", False)}),
    ("My husband's name is Sam.", "Sorry, I meant Tom.", {("husband's name", "Tom", False)}),
    ("My email is a@b.com", "Sorry, I meant a@c.com", {("email", "a@c.com", False)}),
    ("i live in lyons", "sorry i meant lyon", {("city", "lyon", False)}),
    # of two facts, the one the value resembles, else the last
    ("I live in Lyons and work at Acme.", "Sorry, I meant Lyon.", {("city", "Lyon", False)}),
    ("I live in Munich and work at Acme.", "Sorry, I meant Globex.",
     {("employer", "Globex", False)}),
    # many-valued: the old value ends, the new one is added
    ("I'm allergic to walnuts.", "Sorry, I meant peanuts.",
     {("allergy", "walnuts", True), ("allergy", "peanuts", False)}),
])
def test_a_correction_replaces_the_previous_turns_fact(first: str, second: str,
                                                       expected: set[Fact]) -> None:
    assert corrected(first, second) == expected


@pytest.mark.parametrize(("first", "second"), [
    ("I live in Munich.", "Sorry, I meant it."),
    ("I live in Munich.", "Actually it's great here."),
    ("I live in Munich.", "It's Berlin."),  # no word that corrects
    # "it's X" corrects only a value said a little wrong; times, weather, verdicts never
    ("I live in Munich.", "Actually it's Berlin."),
    ("I live in Leeds.", "Wait, it's Friday"),
    ("I live in Leeds.", "wait, it's Friday?"),
    ("I live in Leeds.", "oops it's 2am"),
    ("I live in Leeds.", "Actually that's Tom"),
    ("I live in Leeds.", "no, it's Sam's"),
    ("I live in Leeds.", "Sorry, I meant Tuesday"),
    ("I live in Leeds.", "wait it's snowing!!"),
    ("I'm allergic to peanuts.", "Wait, it's Friday"),
    ("I'm allergic to peanuts.", "Actually it's cats too"),
    ("I'm allergic to peanuts.", "Actually it's fine, don't worry"),
    ("I'm allergic to peanuts.", "Sorry, it's my bad"),
    ("I love hiking.", "oops, it's late"),
    ("I'm 34 years old.", "Sorry I mean 2"),
    ("My sister Ana lives in Lisbon.", "Sorry, it's Lisbon, not Porto"),
    ("I live in Munich.", "No, I mean it's lovely."),
    ("I live in Munich.", "Wait, I meant 35."),  # no fact of that shape
    ("I'm 34.", "Sorry, I meant Berlin."),
    ("I love my job.", "Sorry, I meant Berlin."),  # nothing stated before
])
def test_no_correction(first: str, second: str) -> None:
    prev = extract(first, "Alice", "user:alice", T1)
    assert correction(second, prev) == []


def test_a_correction_needs_a_previous_fact() -> None:
    assert extract("Sorry, I meant Lyon.", "Alice", "user:alice", T1) == []
    assert correction("Sorry, I meant Lyon.", [
        Extraction("Alice", "user:alice", "city", "Lyons", "residence", negated=True)]) == []


def _user(text: str, at: datetime) -> dict[str, object]:
    return {"role": "user", "content": text, "at": at}


def test_in_one_call_the_corrected_value_is_live(mem: MemOS) -> None:
    report = mem.ingest([_user("I live in Lyons.", T1),
                         {"role": "assistant", "content": "Lyons is lovely!"},
                         _user("Sorry, I meant Lyon.", T1 + timedelta(minutes=1))],
                        "alice", session_id="s1")
    assert len(report.facts) == 2 and len(report.superseded) == 1
    live = [h.cube.content for h in mem.search("city", "alice", kind="fact")]
    assert live == ["Alice's city is Lyon."]


def test_turn_by_turn_the_correction_reaches_the_stored_fact(mem: MemOS) -> None:
    [lyons] = mem.ingest([_user("I live in Lyons.", T1)], "alice", session_id="s1").facts
    report = mem.ingest([_user("Sorry, I meant Lyon.", T1 + timedelta(minutes=1))], "alice",
                        session_id="s1")
    assert report.superseded == [lyons]
    assert mem.get(lyons, "alice").state == Lifecycle.SUPERSEDED
    # another session's fact is not what a new session's first turn corrects
    mem.ingest([_user("I work at Acme.", T1)], "alice", session_id="s2")
    other = mem.ingest([_user("Sorry, I meant Globex.", T1)], "alice", session_id="s3")
    assert other.facts == []


def test_the_assistant_hears_a_correction(mem: MemOS) -> None:
    bot = Assistant(mem, "alice", backend="extractive")
    bot.reply("I'm allergic to walnuts.", session_id="c1")
    bot.reply("Oops, sorry, I meant peanuts.", session_id="c1")
    text = bot.reply("What am I allergic to?", session_id="c1").text
    assert "peanuts" in text and "walnuts" not in text.split("No longer")[0], text
