"""Session 47: ages said in words, and lower-case names told with an age.

- "My daughter is thirty-four", "I'm forty two", "my son is five": before, nothing was read
  (only digits were ages). An age in words is read from 13 to 99, and from one to twelve of
  someone other than the speaker ("I'm five" is not read, "I'm ten years old" is).
- "dan is 41", "my husband tom is sixty one": in a turn typed in lower case, a name before
  an age is a name. An age under 13 needs "years old" there ("class is 9, gotta run" is a
  time)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from memos.reader.rules import age_number, extract

AT = datetime(2026, 6, 1, 12, tzinfo=UTC)


def ages(text: str) -> set[tuple[str, str, str]]:
    return {(e.subject, e.attribute, e.value)
            for e in extract(text, "Alice", "user:alice", AT)
            if not e.negated and e.family == "age"}


@pytest.mark.parametrize(("text", "expected"), [
    ("My daughter is thirty-four.", {("Alice", "daughter's age", "34")}),
    ("I'm forty two", {("Alice", "age", "42")}),
    ("I am twenty", {("Alice", "age", "20")}),
    ("I just turned sixty last week", {("Alice", "age", "60")}),
    ("My son Leo is twelve.", {("Leo", "age", "12")}),
    ("my son is five", {("Alice", "son's age", "5")}),
    ("I'm ten years old", {("Alice", "age", "10")}),
    ("I'm Dana, thirty-four", {("Alice", "age", "34")}),
    ("I am Dana, forty-two years old", {("Alice", "age", "42")}),
    ("my boss is ninety nine", {("Alice", "boss's age", "99")}),
    ("Dan is forty-one.", {("Dan", "age", "41")}),
    # lower case: a name before an age
    ("dan is 41", {("Dan", "age", "41")}),
    ("dan is 41 btw, he's my neighbour", {("Dan", "age", "41")}),
    ("btw dan is forty one now", {("Dan", "age", "41")}),
    ("the kids are fine, mia is fifteen", {("Mia", "age", "15")}),
    ("sam is 9 years old", {("Sam", "age", "9")}),
    ("my husband tom is sixty one", {("Tom", "age", "61")}),
    # not ages
    ("I'm five", set()),
    ("I'm one of five kids", set()),
    ("I'm forty five minutes late", set()),
    ("My sister is one of the best nurses", set()),
    ("class is 9, gotta run", set()),
    ("practice is 6 and i'm late", set()),
    ("sam is 9", set()),
    ("work is 20 minutes away", set()),
    ("it is 5", set()),
    ("rent is 40", set()),
])
def test_ages_in_words_and_lower_case(text: str, expected: set[tuple[str, str, str]]) -> None:
    assert ages(text) == expected


@pytest.mark.parametrize(("said", "digits"), [
    ("34", "34"), ("thirty-four", "34"), ("Forty two", "42"), ("seventy", "70"),
    ("five", "5"), ("twelve", "12"), ("nineteen", "19"), ("ninety-nine", "99"),
    ("forty-forty", ""), ("hundred", ""), ("five two", ""),
])
def test_age_number(said: str, digits: str) -> None:
    assert age_number(said) == digits
