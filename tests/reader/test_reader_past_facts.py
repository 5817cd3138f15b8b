"""Facts told as the past: "I used to live in Seville", "I worked at Google until 2019", "I
was a teacher for ten years", "I moved from Lagos to Kigali" (Lagos), and of others ("my
sister used to work at Google", "she used to live in Lisbon").

Before, none was read: "Where did I live before?" knew only values that a newer one had
replaced. Now each is a fact written as ended when it was said (`Extraction.past`; the cube's
`valid_to`), which ends no value that holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from memos import MemOS
from memos.assistant import Assistant
from memos.reader.ingest import PAST_KEY
from memos.reader.rules import extract
from tests.reader.helpers import live, user

T1 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
T2 = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
Read = tuple[str, str, str, bool]


def read(text: str) -> set[Read]:
    """(subject, attribute, value, past) of what one turn of Alice's states."""
    return {(e.subject, e.attribute, e.value, e.past)
            for e in extract(text, "Alice", "user:alice", T1) if not e.negated}


@pytest.mark.parametrize(("text", "expected"), [
    ("I used to live in Seville.", {("Alice", "city", "Seville", True)}),
    ("I lived in Madrid for six years.", {("Alice", "city", "Madrid", True)}),
    ("We lived in Madrid in 2015.", {("Alice", "city", "Madrid", True)}),
    ("I used to live in Inverness when I was a student", {("Alice", "city", "Inverness", True)}),
    ("When I was a kid I lived in Rome.", {("Alice", "city", "Rome", True)}),
    ("i used to live in seville", {("Alice", "city", "Seville", True)}),
    ("I worked at Google until 2019.", {("Alice", "employer", "Google", True)}),
    ("Used to work at Access Bank.", {("Alice", "employer", "Access Bank", True)}),
    ("I used to be a nurse.", {("Alice", "job", "nurse", True)}),
    ("I was a teacher for ten years.", {("Alice", "job", "teacher", True)}),
    ("I worked as a chef at Nobu for 3 years.", {("Alice", "job", "chef", True),
                                                 ("Alice", "employer", "Nobu", True)}),
    ("My sister used to work at Google.", {("Alice", "sister's employer", "Google", True)}),
    ("Tom lived in Rome for years.", {("Tom", "city", "Rome", True)}),
    # a past and a present in one turn: each as said
    ("I lived in Madrid and now I live in Lyon.", {("Alice", "city", "Madrid", True),
                                                   ("Alice", "city", "Lyon", False)}),
    ("I used to be a teacher but now I'm a barista", {("Alice", "job", "teacher", True),
                                                      ("Alice", "job", "barista", False)}),
    ("I moved from Singapore to Melbourne in 2021", {("Alice", "city", "Singapore", True),
                                                     ("Alice", "city", "Melbourne", False)}),
    ("I moved to Denver from Austin.", {("Alice", "city", "Austin", True),
                                        ("Alice", "city", "Denver", False)}),
])
def test_a_fact_told_as_the_past(text: str, expected: set[Read]) -> None:
    assert read(text) == expected


def test_a_pronoun_of_a_person_named_before() -> None:
    assert ("Aylin", "city", "Lisbon", True) in read(
        "my best friend Aylin is coming too, she used to live in Lisbon so she knows some spots")


@pytest.mark.parametrize("text", [
    "If I lived in Paris I'd be happy.", "I wish I worked at Google lol",
    "I worked at the bakery yesterday.", "We lived in a hotel in Rome for a week.",
    "I lived in a van.", "Paris was a dream.", "I was a mess.", "I worked for myself.",
    "I used to work at home.", "I moved from Marketing to Sales.", "My dog was a stray.",
    "I used to hate fish.", "I moved to Teams from Slack.", "we moved from Slack to Teams",
])
def test_no_past_fact(text: str) -> None:
    assert not any(past for *_rest, past in read(text)), text


def test_present_perfect_is_now() -> None:
    assert read("I've lived in Leeds for years.") == {("Alice", "city", "Leeds", False)}


def test_in_memory_a_past_fact_ends_nothing(mem: MemOS) -> None:
    mem.ingest([user("I live in Lyon.")], "alice", session_id="s1", at=T1)
    report = mem.ingest([user("I used to live in Seville.")], "alice", session_id="s2", at=T2)
    assert report.superseded == [] and report.ended == [] and len(report.facts) == 1
    # both searchable; Lyon still holds (its cube not superseded, no end)
    assert sorted(live(mem, "city")) == ["Alice's city is Lyon.", "Alice's city was Seville."]
    lyon = next(h.cube for h in mem.search("Lyon", "alice", kind="fact") if "Lyon" in h.content)
    assert lyon.state == "active" and lyon.valid_to is None
    past = mem.get(report.facts[0], "alice")
    assert past.metadata[PAST_KEY] is True and past.valid_to == T2
    assert past.valid_from is None  # no date told with it
    # a date told with it is when it held
    dated = mem.ingest([user("I lived in Madrid in 2015.")], "alice", session_id="s3", at=T2)
    assert mem.get(dated.facts[0], "alice").valid_from.year == 2015


def test_in_memory_a_value_already_stored_is_not_written_again(mem: MemOS) -> None:
    first = mem.ingest([user("I live in Lagos.")], "alice", session_id="s1", at=T1)
    moved = mem.ingest([user("I moved from Lagos to Kigali.")], "alice", session_id="s2", at=T2)
    assert moved.superseded == first.facts  # Kigali replaces Lagos; no second Lagos
    assert len(moved.facts) == 1
    again = mem.ingest([user("I used to live in Lagos.")], "alice", session_id="s3", at=T2)
    assert again.facts == []


def test_the_assistant_answers_from_past_facts(tmp_path: Path) -> None:
    with MemOS.open(str(tmp_path / "store"), embedder="hashing") as mem:
        bot = Assistant(mem, "kai", backend="extractive")
        for i, turn in enumerate(["My name is Kai.", "I live in Lyon.",
                                  "I used to live in Seville.", "I worked at Google until 2019.",
                                  "I work at Acme now."]):
            bot.reply(turn, at=T1 + timedelta(minutes=i))
        assert bot.reply("Where do I live?", at=T2).text.startswith("Your city is Lyon")
        before = bot.reply("Where did I live before?", at=T2).text
        assert "Seville" in before and "before 1 March 2026" in before, before
        history = bot.reply("Where have I lived?", at=T2).text
        assert history.index("Seville") < history.index("Lyon"), history
        assert "Google" in bot.reply("Where did I work before?", at=T2).text
        assert "Acme" in bot.reply("Where do I work?", at=T2).text
