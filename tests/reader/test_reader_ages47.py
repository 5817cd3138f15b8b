"""Session 47: ages said in words, and lower-case names told with an age.

- "My daughter is thirty-four", "I'm forty two", "my son is five": before, nothing was read
  (only digits were ages). An age in words is read from 13 to 99, and from one to twelve of
  someone other than the speaker ("I'm five" is not read, "I'm ten years old" is).
- "dan is 41 years old", "my husband tom is sixty one": in a turn typed in lower case, a
  name before an age said as one ("years old"), or after the relation, is a name; a bare
  "dan is 41" is not read, as "gate is 14" and "class is 9" are numbers of things (found by
  an old-vs-new regression probe).
- "my daughter is thirty-four and lives in Perth": the age and the city; "I'm 34 not 43":
  a correction; "i'm almost forty", "i feel like I'm eighty": no age."""

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
    # lower case: a name before an age said as one, or after the relation
    ("dan is 41 years old", {("Dan", "age", "41")}),
    ("btw dan is forty one years old", {("Dan", "age", "41")}),
    ("sam is 9 years old", {("Sam", "age", "9")}),
    ("my husband tom is sixty one", {("Tom", "age", "61")}),
    # an age and what the clause goes on to say
    ("my daughter is thirty-four and lives in Perth", {("Alice", "daughter's age", "34")}),
    # a correction of the number
    ("I'm 34 not 43", {("Alice", "age", "34")}),
    ("Leo is 5 not 4", {("Leo", "age", "5")}),
    # not ages: a lower-case word before a number ("gate is 14", "dan is 41": which is a
    # name cannot be told), a hedged or felt age, a height
    ("gate is 14", set()),
    ("speed is 55", set()),
    ("dan is 41", set()),
    ("i'm almost forty", set()),
    ("I'm nearly 60", set()),
    ("i feel like I'm eighty lol", set()),
    ("Leo is 5 not 4 feet tall", set()),
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


def test_an_age_and_what_follows() -> None:
    said = {(e.subject, e.attribute, e.value)
            for e in extract("my brother is 40 and lives in Oslo", "Alice", "user:alice", AT)}
    assert said == {("Alice", "brother's age", "40"), ("Alice", "brother's city", "Oslo")}
