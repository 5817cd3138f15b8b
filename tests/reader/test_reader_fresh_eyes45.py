"""What a fresh-eyes user of the assistant found the reader missed (session 45), each read
now:

- a death told after a lead-in ("sad news, Biscuit passed away last week");
- a relative's death ends what was said of them under the name given before ("my grandpa Joe
  lives in Florida", then "my grandpa passed away": Joe's city ends);
- a trailing "there" is no part of a name ("got a job at Dell there");
- chat's words for kin: sis, bro, MIL, stepdad, ...;
- "we're finally in Tokyo" in a turn that tells of a move (not of a trip's arrival);
- a pet got, then named by a pronoun: "we got a puppy! his name is Max"."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from memos import MemOS
from memos.reader.rules import Referents, extract
from tests.assistant.helpers import ask, tell

AT = datetime(2026, 6, 1, 12, tzinfo=UTC)


def read(*turns: str) -> list[set[tuple[str, str, str, bool]]]:
    ref, prev, out = Referents(), [], []
    for text in turns:
        prev = extract(text, "Alice", "user:alice", AT, previous=prev, referents=ref)
        out.append({(e.subject, e.attribute, e.value, e.negated) for e in prev})
    return out


@pytest.mark.parametrize("text", [
    "sad news, Biscuit passed away last week",
    "Some sad news: Biscuit died",
    "bad news - Biscuit died",
])
def test_a_death_after_a_lead_in(text: str) -> None:
    (facts,) = read(text)
    assert ("Alice", "dog's name", "Biscuit", True) in facts


@pytest.mark.parametrize(("text", "expected"), [
    ("my partner Chris got a job at Dell there",
     {("Alice", "partner's name", "Chris", False), ("Chris", "employer", "Dell", False)}),
    ("we moved to Leeds there", {("Alice", "city", "Leeds", False)}),
    ("my sis Mel lives in Leeds",
     {("Alice", "sister's name", "Mel", False), ("Mel", "city", "Leeds", False)}),
    ("my bro's name is Sam", {("Alice", "brother's name", "Sam", False)}),
    ("my MIL Carol is visiting", {("Alice", "mother-in-law's name", "Carol", False)}),
    ("my stepdad Rick is 55",
     {("Alice", "stepfather's name", "Rick", False), ("Rick", "age", "55", False)}),
    ("ok we're finally in Tokyo, the move went fine", {("Alice", "city", "Tokyo", False)}),
    ("I'm officially in Berlin now, all unpacked", {("Alice", "city", "Berlin", False)}),
    ("we're finally in Tokyo, the flight was long", set()),
    ("we got a puppy! his name is Max", {("Alice", "dog's name", "Max", False)}),
    ("we adopted a cat, her name's Luna", {("Alice", "cat's name", "Luna", False)}),
    ("We just got a kitten. She's called Mochi", {("Alice", "cat's name", "Mochi", False)}),
    # a pet is no "he" that states anything but its name
    ("we got a puppy! he is so cute", set()),
])
def test_read(text: str, expected: set[tuple[str, str, str, bool]]) -> None:
    assert read(text) == [expected]


def test_a_pet_named_in_the_next_turn() -> None:
    assert read("we got a puppy!", "his name is Max") == [
        set(), {("Alice", "dog's name", "Max", False)}]


def test_a_relatives_death_ends_what_was_said_under_their_name(mem: MemOS) -> None:
    bot = tell(mem, [(0, "my grandpa Joe lives in Florida"), (5, "my grandpa passed away")])
    assert "Florida" not in ask(bot, "where does my grandpa live?")
    assert "Florida" not in ask(bot, "who is Joe?")
    assert "grandfather" in ask(bot, "who is Joe?")


def test_a_relatives_job_ends_under_their_name(mem: MemOS) -> None:
    bot = tell(mem, [(0, "my brother Dan works at Google"), (5, "my brother quit his job")])
    assert "Google" not in ask(bot, "where does my brother work?").split("said:")[0]
    live = [c.content for c in mem.list_memories("alice", kind="fact", limit=50).items]
    assert "Dan's employer is Google." not in live


def test_of_two_named_the_death_ends_neither_name(mem: MemOS) -> None:
    # two grandfathers named: which one died is not said, so neither one's city ends
    bot = tell(mem, [(0, "my grandpa Joe lives in Florida"),
                     (1, "my grandpa Ed lives in Maine"), (5, "my grandpa passed away")])
    live = [c.content for c in mem.list_memories("alice", kind="fact", limit=50).items]
    assert "Joe's city is Florida." in live and "Ed's city is Maine." in live
    assert bot is not None


def test_a_trip_arrival_is_no_move() -> None:
    assert read("I'm finally in Berlin, haven't unpacked my suitcase yet lol") == [set()]


def test_another_relative_of_the_kind_ends_nothing_of_the_named_one(mem: MemOS) -> None:
    tell(mem, [(0, "My brother Joe works at Google."), (5, "My other brother quit his job")])
    live = [c.content for c in mem.list_memories("alice", kind="fact", limit=50).items]
    assert "Joe's employer is Google." in live


@pytest.mark.parametrize(("text", "expected"), [
    # a name with the age right after it, after a chat opener too
    ("hey! so i'm Dana, 34, living in portland rn and working as a nurse at Providence",
     {("user:alice", "name", "Dana"), ("user:alice", "age", "34"),
      ("user:alice", "employer", "Providence"), ("user:alice", "job", "nurse")}),
    ("I'm Dana, 34 years old, from Ohio", {("user:alice", "name", "Dana"),
                                           ("user:alice", "age", "34")}),
    ("I'm Dana, 3 kids and a dog", {("user:alice", "name", "Dana")}),
])
def test_an_introduction(text: str, expected: set[tuple[str, str, str]]) -> None:
    assert {(e.subject_key, e.attribute, e.value)
            for e in extract(text, "Alice", "user:alice", AT)} == expected


@pytest.mark.parametrize(("text", "expected"), [
    # an age after "'s" as after "is" (before, "my mom's 60" read nothing)
    ("my dad is 62 and my mom's 60",
     {("Alice", "father's age", "62", False), ("Alice", "mother's age", "60", False)}),
    ("my son's 7", {("Alice", "son's age", "7", False)}),
    ("my mom's 60th birthday is Friday", set()),
    ("my brother's 30 minutes late", set()),
])
def test_an_age_after_s(text: str, expected: set[tuple[str, str, str, bool]]) -> None:
    assert read(text) == [expected]
