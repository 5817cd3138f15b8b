"""What a correction of the turn before ("Sorry, I meant Lyon") corrects, and what it says of
the value it replaces.

- Of several facts the turn before stated, none like the new value, the one of its kind: a
  place the rules know corrects a place, another name no known place ("My brother Dan lives
  in Miami." / "Sorry I meant Dave" named his city Dave); a value that begins as one of them
  does corrects that one ("Dan" -> "Dave").
- A relative renamed so keeps what the turn said of them: Dave's city is Miami.
- The value corrected never held: the right one holds from when it was said to, the wrong
  one's interval is empty, and "where did I live before?" no longer names it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from memos import MemOS
from memos.reader.rules import Referents, extract
from tests.assistant.helpers import T0, ask, tell


def corrected(first: str, then: str) -> set[tuple[str, str, str, bool]]:
    ref = Referents()
    before = extract(first, "Alice", "user:alice", referents=ref)
    return {(e.subject, e.attribute, e.value, e.negated)
            for e in extract(then, "Alice", "user:alice", previous=before, referents=ref)}


@pytest.mark.parametrize(("first", "then", "expected"), [
    ("My brother Dan lives in Miami", "sorry I meant Dave",
     {("Alice", "brother's name", "Dan", True), ("Alice", "brother's name", "Dave", False),
      ("Dan", "city", "Miami", True), ("Dave", "city", "Miami", False)}),
    ("My brother Dan lives in Miami and works at Acme", "sorry I meant Dave",
     {("Alice", "brother's name", "Dan", True), ("Alice", "brother's name", "Dave", False),
      ("Dan", "city", "Miami", True), ("Dave", "city", "Miami", False),
      ("Dan", "employer", "Acme", True), ("Dave", "employer", "Acme", False)}),
    ("My brother Dan lives in Miami", "sorry I meant Orlando", {("Dan", "city", "Orlando", False)}),
    ("I live in Paris and my sister is Ana", "sorry, I meant Lyon",
     {("Alice", "city", "Lyon", False)}),
    ("I work at Google and my sister is Ana", "sorry, I meant Meta",
     {("Alice", "employer", "Meta", False)}),
    ("I live in Paris and work at Acme", "sorry, I meant Lyon", {("Alice", "city", "Lyon", False)}),
])
def test_what_a_correction_corrects(first: str, then: str,
                                    expected: set[tuple[str, str, str, bool]]) -> None:
    assert corrected(first, then) == expected


def test_a_single_valued_correction_names_the_value_it_replaces() -> None:
    before = extract("I live in Paris", "Alice", "user:alice")
    (fix,) = extract("sorry, I meant Lyon", "Alice", "user:alice", previous=before)
    assert (fix.value, fix.corrects) == ("Lyon", "Paris")


def test_the_value_corrected_never_held(mem: MemOS) -> None:
    bot = tell(mem, [(0, "I live in Berlin"), (10, "I moved to Paris")])
    reply = bot.reply("sorry, I meant Lyon", session_id="s10", at=T0 + timedelta(days=10, minutes=1))
    assert reply.text == "Noted: your city is Lyon (not Paris)."
    paris = next(h.cube for h in mem.search("Paris", "alice", k=20, kind="fact",
                                            include_superseded=True)
                 if h.cube.metadata.get("value") == "Paris")
    assert paris.valid_to == paris.valid_from
    assert "Berlin" in ask(bot, "where did I live before?")
    assert "Paris" not in ask(bot, "where did I live before?")
    assert "Berlin" in ask(bot, "where did I live before Lyon?")
    assert "Paris" not in ask(bot, "where have I lived?")


def test_a_renamed_relative_keeps_what_was_said_of_them(mem: MemOS) -> None:
    bot = tell(mem, [(0, "My brother Dan lives in Miami")])
    reply = bot.reply("sorry I meant Dave", session_id="s0", at=T0 + timedelta(minutes=1))
    assert reply.text == ("Noted: your brother's name is Dave; Dave's city is Miami. "
                          "No longer: your brother's name is Dan.")
    assert ask(bot, "what's my brother's name?").startswith("Your brother's name is Dave")
    assert ask(bot, "where does my brother live?").startswith("Dave's city is Miami")


def test_a_known_place_corrects_no_name_by_its_first_letters() -> None:
    # a review finding: "Dallas" begins as "Dan" does, but a known place renames no one
    assert corrected("My brother Dan lives in Miami", "Sorry I meant Dallas") == {
        ("Dan", "city", "Dallas", False)}


@pytest.mark.parametrize(("first", "then", "expected"), [
    # a value alone after "typo" or a star, close to the old one
    ("I live in Porland", "sorry, typo, Portland", {("Alice", "city", "Portland", False)}),
    ("I live in Porland", "*Portland", {("Alice", "city", "Portland", False)}),
    ("I live in Paris", "sorry, typo, Lyon", set()),
    ("I live in Paris", "sorry, Lyon", set()),
    # "may" with its day is a month
    ("my birthday is may 5th", "oops i meant may 6th", {("Alice", "birthday", "may 6th", False)}),
    ("my birthday is May 5th", "oops I meant May 6th", {("Alice", "birthday", "May 6th", False)}),
])
def test_short_corrections(first: str, then: str, expected: set[tuple[str, str, str, bool]]) -> None:
    assert corrected(first, then) == expected
