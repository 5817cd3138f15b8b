"""Two things a turn says of the people and pets it names.

- A relative a clause opens with that states nothing the rules read ("My father is retired
  now") is whom the next clause's "he" / "she" stands for, in the same turn or the next:
  "..., he was a baker in Lyon". Before, the pronoun had no one to stand for.
- Pets counted first and then told one by one: "We have two pets, a dog called Tom and a cat
  called Jerry"; and "I've got a dog named Rex" (the "'ve" stopped the rule)."""

from __future__ import annotations

import pytest

from memos.reader.rules import Referents, extract


def read(*turns: str) -> list[set[tuple[str, str, bool, bool]]]:
    """(attribute, value, negated, past) of each turn, read in order as one speaker's."""
    ref, prev, out = Referents(), [], []
    for text in turns:
        prev = extract(text, "Alice", "user:alice", previous=prev, referents=ref)
        out.append({(e.attribute, e.value, e.negated, e.past) for e in prev})
    return out


@pytest.mark.parametrize(("text", "expected"), [
    ("My father is retired now, he was a baker in Lyon",
     {("father's job", "baker", False, True)}),
    ("My father is retired now, he worked at Ford for 30 years",
     {("father's employer", "Ford", False, True)}),
    ("My mum has been unwell, she lives in Leeds", {("mother's city", "Leeds", False, False)}),
    ("My dad is great. He lives in Oslo", {("father's city", "Oslo", False, False)}),
    ("My sister-in-law is lovely, she lives in Paris",
     {("sister-in-law's city", "Paris", False, False)}),
])
def test_a_relative_a_clause_opens_with_is_the_next_pronoun(
        text: str, expected: set[tuple[str, str, bool, bool]]) -> None:
    assert read(text) == [expected]


def test_the_relative_carries_to_the_next_turn() -> None:
    assert read("My father is retired now.", "He was a baker in Lyon.") == [
        set(), {("father's job", "baker", False, True)}]


@pytest.mark.parametrize("turns", [
    # another person named between: "he" may be Tom
    ("My dad and Tom are close, he lives in Oslo",),
    ("My dad met Tom.", "He lives in Oslo"),
    # a pronoun of the other gender, a relation of none, a turn between
    ("My dad is great, she lives in Oslo",),
    ("My boss is mean, she works at Acme",),
    ("My dad is great.", "What do you think?", "He lives in Oslo"),
    # a clause that names a relative's someone else
    ("My son's teacher is nice, she works at Acme",),
])
def test_no_pronoun_is_read_where_it_may_be_someone_else(turns: tuple[str, ...]) -> None:
    assert all(not facts for facts in read(*turns))


@pytest.mark.parametrize(("text", "expected"), [
    ("We have two pets, a dog called Tom and a cat called Jerry",
     {("dog's name", "Tom"), ("cat's name", "Jerry")}),
    ("we've got 3 animals: a cat named Luna, a dog named Rex and a rabbit named Bun",
     {("cat's name", "Luna"), ("dog's name", "Rex"), ("rabbit's name", "Bun")}),
    ("I have two pets - a hamster called Bo", {("hamster's name", "Bo")}),
    ("I've got a dog named Rex", {("dog's name", "Rex")}),
    ("We've adopted a cat called Luna", {("cat's name", "Luna")}),
    ("We have two pets, they are great", set()),
])
def test_pets_counted_then_named(text: str, expected: set[tuple[str, str]]) -> None:
    assert {(a, v) for a, v, _, _ in read(text)[0]} == expected


@pytest.mark.parametrize("turns", [
    # a relative mentioned is whom "he" states something of, not whom "his name is" names
    ("My dad bought a new boat. His name is Poseidon lol",),
    ("My dad bought a new boat.", "His name is Poseidon"),
])
def test_a_mentioned_relative_is_named_by_no_pronoun(turns: tuple[str, ...]) -> None:
    assert all(not facts for facts in read(*turns))


@pytest.mark.parametrize(("turns", "expected"), [
    # a new partner, named with "a guy named", or named by the clause after "someone new"
    (("I've been seeing a guy named Ryan",), {("partner's name", "Ryan", False, False)}),
    (("I started dating a girl called Mia",), {("partner's name", "Mia", False, False)}),
    (("started seeing someone new, her name is Priya",), {("partner's name", "Priya", False, False)}),
    (("I've been seeing someone.", "Her name is Ana."), {("partner's name", "Ana", False, False)}),
    # a meeting, a doctor, anyone met: no partner
    (("I'm seeing a guy named Tom for coffee tomorrow",), set()),
    (("I'm seeing a doctor named Smith",), set()),
    (("I met someone! his name is Leo",), set()),
])
def test_a_new_partner(turns: tuple[str, ...], expected: set[tuple[str, str, bool, bool]]) -> None:
    assert read(*turns)[-1] == expected


@pytest.mark.parametrize(("turns", "expected"), [
    # a relative mentioned in a clause of no thing is named by "his name is"
    (("My brother is visiting, his name is Jake.",), {("brother's name", "Jake", False, False)}),
    (("My brother is visiting.", "His name is Jake."), {("brother's name", "Jake", False, False)}),
])
def test_a_mentioned_relative_named(turns: tuple[str, ...],
                                    expected: set[tuple[str, str, bool, bool]]) -> None:
    assert read(*turns)[-1] == expected


@pytest.mark.parametrize("text", [
    # a review's findings: a role after the name, a break-up, a titled name
    "I've been seeing a guy named Ryan, he's my physio",
    "I've been seeing a guy named Ryan but we broke up.",
    "I started seeing someone new, his name is Dr. Patel",
    "My dad is in hospital, his name is Dr. Lee.",
    "well I'm Paris",
])
def test_no_partner_or_name(text: str) -> None:
    assert read(text) == [set()]
