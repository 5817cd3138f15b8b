"""What a review of session 44's change and an old-versus-new probe of chat sentences found,
as classes, each mended:

- a name given by "his / her name is" after a clause about someone else renamed a relative
  ("My boss is called Greg. We hired an intern today, her name is Ana.");
- a fact told as the past stopped the rest of its clause being read ("I was a nurse before I
  became a doctor" lost the doctor), and read values that ran on ("Google all day", "Paris in
  my twenties"), dreams, lies, roles and what still holds;
- a move out of, away from or from something that is no place ("React", "Facebook", "Sarah's
  place", "from Google"), one that did not last ("... then moved back"), adverbs read as
  names in lower case ("my brother kinda works ...");
- a past fact written with a time to come became a live fact that superseded the current one;
  the SDK's exact-duplicate check merged a fact written as ended with the same words holding
  now (and the other way round), dropping one of them;
- "I used to live in Paris" after "I live in Paris" left Paris current;
- a death told with a move answered only the condolence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from memos import MemOS
from memos.assistant import Assistant
from memos.reader.rules import Referents, extract
from memos.results import AddResult
from tests.reader.helpers import live, user

T1 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
Read = tuple[str, str, str, bool, bool]


def read(text: str, before: str | None = None) -> set[Read]:
    """(subject, attribute, value, negated, past) of a turn of Alice's, after `before`."""
    ref = Referents()
    prev = extract(before, "Alice", "user:alice", T1, referents=ref) if before else []
    return {(e.subject, e.attribute, e.value, e.negated, e.past)
            for e in extract(text, "Alice", "user:alice", T1, previous=prev, referents=ref)}


@pytest.mark.parametrize("text", [
    "My boss is called Greg. We hired an intern today, her name is Ana.",
    "My friend is called Sam. I went on a date last night. His name is Tom.",
])
def test_a_name_after_a_clause_about_someone_else_renames_no_one(text: str) -> None:
    out = read(text)
    assert not any(n for _s, _a, _v, n, _p in out), out
    assert not any(v in ("Ana", "Tom") for _s, _a, v, _n, _p in out), out


def test_a_name_across_turns_after_someone_else() -> None:
    assert not any("name" in a for _s, a, _v, _n, _p in read(
        "We hired an intern today, her name is Ana.", "My boss is called Greg."))


@pytest.mark.parametrize(("text", "past", "now"), [
    ("I was a nurse before I became a doctor", ("job", "nurse"), ("job", "doctor")),
    ("I used to live in Leeds but moved to York in 2020", ("city", "Leeds"), ("city", "York")),
    ("I worked at Google, then joined Meta in 2021", ("employer", "Google"), ("employer", "Meta")),
    ("I was a teacher and now work at Google", ("job", "teacher"), ("employer", "Google")),
])
def test_what_follows_a_past_fact_is_read(text: str, past: tuple[str, str],
                                          now: tuple[str, str]) -> None:
    out = read(text)
    assert ("Alice", *past, False, True) in out and ("Alice", *now, False, False) in out, out


@pytest.mark.parametrize(("text", "value"), [
    ("I lived in Paris in my twenties.", "Paris"), ("I lived in Paris during college.", "Paris"),
    ("Where I lived in Leeds there was a park", "Leeds"),
    ("I lived in Newcastle upon Tyne.", "Newcastle upon Tyne"),
    ("I worked at Bank of America.", "Bank of America"),
    ("I used to work at McDonald's.", "McDonald's"),
])
def test_a_past_value_ends_with_its_name(text: str, value: str) -> None:
    assert {v for _s, _a, v, _n, p in read(text) if p} == {value}


@pytest.mark.parametrize("text", [
    "I worked at Google all day", "I was a doctor in the school play",
    "I dreamed I lived in Venice.", "In my dream I lived in Tokyo.", "I dreamt I worked at NASA.",
    "I pretended I worked at Google.", "I lied and said I worked at Apple.",
    "I think I lived in Rome as a baby.",
])
def test_no_past_fact_of_a_dream_a_lie_a_role_or_a_day(text: str) -> None:
    assert not any(p for *_rest, p in read(text)), text


def test_a_past_that_still_holds_is_now() -> None:
    out = read("I worked at Google for ten years and I still do")
    assert not any(p for *_rest, p in out)


@pytest.mark.parametrize("text", [
    "I moved away from React.", "I moved away from Facebook.", "I moved out of Airbnb.",
    "I moved out of Sarah's place.", "I moved away from Sarah.",
    "I moved out of Paris in 2015, then moved back in 2018", "I moved out of Paris for a year",
    "I moved from WordPress to Ghost.", "I moved to Boston from Google.",
])
def test_no_place_left(text: str) -> None:
    out = read(text)
    assert not any(n or p for _s, _a, _v, n, p in out), (text, out)


def test_places_left_and_before_a_move_still_read() -> None:
    assert ("Alice", "city", "Hebden Bridge", True, False) in read("I moved out of Hebden Bridge.")
    assert ("Alice", "city", "Oslo", False, True) in read("We moved to Bergen in March from Oslo.")
    assert ("Alice", "city", "Krakow", False, True) in read(
        "hey there, im tomasz, just moved to leeds from krakow last month for work")


@pytest.mark.parametrize("text", [
    "my brother kinda works in london", "my brother barely works", "my sister lowkey lives in leeds",
])
def test_an_adverb_after_a_relation_is_no_name(text: str) -> None:
    assert not any(a.endswith("'s name") for _s, a, _v, _n, _p in read(text)), text


def test_a_past_fact_told_at_a_time_to_come_supersedes_nothing(mem: MemOS) -> None:
    now = datetime.now(UTC)
    mem.ingest([user("I live in Madrid.")], "alice", session_id="s1", at=now - timedelta(days=2))
    report = mem.ingest([user("I used to live in Seville.")], "alice", session_id="s2",
                        at=now + timedelta(hours=2))
    assert report.superseded == [] and len(report.facts) == 1
    assert mem.get(report.facts[0], "alice").valid_to <= datetime.now(UTC)
    assert "Alice's city is Madrid." in live(mem, "city")


def test_used_to_ends_the_value_that_held(mem: MemOS) -> None:
    first = mem.ingest([user("I live in Paris.")], "alice", session_id="s1", at=T1)
    report = mem.ingest([user("I used to live in Paris.")], "alice", session_id="s2",
                        at=T1 + timedelta(days=1))
    assert report.ended == first.facts and report.facts == []


def test_the_same_words_written_as_ended_and_as_holding_are_two_memories(mem: MemOS) -> None:
    key = {"subject": "alice", "attribute": "city"}
    yesterday = datetime.now(UTC) - timedelta(days=1)
    holding = mem.add("Alice lives in Seville.", "alice", metadata=key)
    ended = mem.add("Alice lives in Seville.", "alice", metadata=key, valid_to=yesterday)
    assert isinstance(ended, AddResult) and ended.action == "added" and ended.id != holding.id
    assert mem.get(holding.id, "alice").valid_to is None  # its end not dropped on the other
    other = {"subject": "alice", "attribute": "team"}
    past = mem.add("Alice's team is Blue.", "alice", metadata=other, valid_to=yesterday)
    now = mem.add("Alice's team is Blue.", "alice", metadata=other)
    assert now.action == "added" and now.id != past.id and now.cube.valid_to is None
    again = mem.add("Alice's team is Blue.", "alice", metadata=other, valid_to=yesterday)
    assert again.action == "duplicate" and again.id == past.id


def test_a_death_told_with_a_move_says_both(tmp_path: Path) -> None:
    with MemOS.open(str(tmp_path / "store"), embedder="hashing") as mem:
        bot = Assistant(mem, "kai", backend="extractive")
        text = bot.reply("My dad passed away and I moved to Leeds", at=T1).text
        assert text.startswith("I'm so sorry for your loss.") and "Leeds" in text, text


def test_where_we_are_is_where_the_speaker_lives() -> None:
    assert read("we're in Olympia now") == {("Alice", "city", "Olympia", False, False)}
    for text in ("We're in Paris for the weekend.", "We're in London this week.",
                 "We're in Trouble."):
        assert read(text) == set(), text
