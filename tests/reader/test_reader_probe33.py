"""Turns a probe found read wrongly: a place whose name is a common word ("I live in Nice"),
a partner one broke up with or divorced ("Sam and I broke up"), relatives named in a list
after their plural ("My sisters are Ana and Eva"), a pet that died ("Our cat Mochi died last
week"), and a name said not to be one's dog ("Bella is my neighbour's dog").

Before: "I live in Nice." stated nothing ("nice" opens no value); the break-ups and the list
stated nothing; "Our cat Mochi died" and "We had to put our dog Rex down" stored the pet as a
live pet; "Sadly Rex passed away" and "Bella is my neighbour's dog" stated nothing, so the
partner, the dead pet and the neighbour's dog stayed live facts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from memos import MemOS
from memos.cube import Lifecycle
from memos.reader.rules import PARTNERS, extract
from tests.reader.helpers import live, user

T1 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
T2 = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
Fact = tuple[str, str, str, bool]
PET_KINDS = ("dog", "cat", "parrot", "rabbit", "horse", "hamster", "tortoise", "guinea pig")


def facts(text: str) -> set[Fact]:
    return {(e.subject, e.attribute, e.value, e.negated)
            for e in extract(text, "Alice", "user:alice", T1)}


def ended_names(name: str, kinds: tuple[str, ...]) -> set[Fact]:
    return {("Alice", f"{kind}'s name", name, True) for kind in kinds}


# 1. A place's name that is also a word

@pytest.mark.parametrize(("text", "expected"), [
    ("I live in Nice.", ("Alice", "city", "Nice", False)),
    ("I live in Nice now.", ("Alice", "city", "Nice", False)),
    ("I moved to Nice last year.", ("Alice", "city", "Nice", False)),
    ("I'm from Nice, France.", ("Alice", "home town", "Nice", False)),
    ("I'm in Nice.", ("Alice", "city", "Nice", False)),
    ("My city is Nice.", ("Alice", "city", "Nice", False)),
    ("My sister lives in Nice.", ("Alice", "sister's city", "Nice", False)),
    ("I'm from Great Yarmouth.", ("Alice", "home town", "Great Yarmouth", False)),
    ("I live in Good Hope.", ("Alice", "city", "Good Hope", False)),
    ("I don't live in Nice anymore.", ("Alice", "city", "Nice", True)),
])
def test_a_capitalised_place_that_is_also_a_word(text: str, expected: Fact) -> None:
    assert expected in facts(text)


def test_the_word_itself_stays_no_place() -> None:
    assert facts("I live in Nice.") == {("Alice", "city", "Nice", False)}
    for text in ("I live in hope.", "the weather is nice", "I live in nice weather",
                 "My job is nice.", "I'm in Great pain", "I LIVE IN NICE"):
        assert facts(text) == set(), text
    # the others of the class were read already, and still are
    for text, place in (("I moved to Bath last year.", "Bath"), ("I live in Mobile.", "Mobile"),
                        ("I moved to Florence.", "Florence"), ("I live in Split.", "Split")):
        assert ("Alice", "city", place, False) in facts(text), text


# 2. A break-up, a divorce

@pytest.mark.parametrize(("text", "name"), [
    ("Sam and I broke up.", "Sam"), ("I broke up with Sam", "Sam"),
    ("Sadly Sam and I broke up last week.", "Sam"), ("I divorced Tom", "Tom"),
    ("Tom and I got divorced in 2019.", "Tom"), ("I split up with Sam yesterday.", "Sam"),
    ("Sam dumped me.", "Sam"), ("Sam broke up with me.", "Sam"),
    ("I'm divorced from Tom.", "Tom"), ("Sam and I split a week ago.", "Sam"),
])
def test_a_break_up_by_name_ends_each_partner_relation_of_that_name(text: str,
                                                                     name: str) -> None:
    assert facts(text) == ended_names(name, PARTNERS)


@pytest.mark.parametrize(("text", "expected"), [
    ("My boyfriend and I split up", {("Alice", "boyfriend's name", "", True)}),
    ("I broke up with my girlfriend.", {("Alice", "girlfriend's name", "", True)}),
    ("My partner dumped me.", {("Alice", "partner's name", "", True)}),
    # a husband's or a wife's end ends the spouse's ("I'm married to Sam") too
    ("My husband and I separated.", {("Alice", "husband's name", "", True),
                                     ("Alice", "spouse's name", "", True),
                                     ("Alice", "wife's name", "", True)}),
    ("I left my husband.", {("Alice", "husband's name", "", True),
                            ("Alice", "spouse's name", "", True),
                            ("Alice", "wife's name", "", True)}),
    ("I broke up with my boyfriend Sam.", {("Alice", "boyfriend's name", "Sam", True)}),
    # the name is the one ended, not a boyfriend stated again
    ("My boyfriend Sam and I broke up last week and I moved to Leeds",
     {("Alice", "boyfriend's name", "Sam", True), ("Alice", "city", "Leeds", False)}),
])
def test_a_break_up_with_the_relation_said(text: str, expected: set[Fact]) -> None:
    assert facts(text) == expected


def test_no_break_up_ends_nothing() -> None:
    assert facts("Sam and I broke up.") == ended_names("Sam", PARTNERS)
    for text in ("Sam and I almost broke up.", "Sam and I split the bill.",
                 "Sam and I split a pizza", "I left my husband at home.",
                 "If Sam and I broke up I'd be lost.", "My sister and her husband split up.",
                 "My parents are divorced.", "Sam and I broke up but we got back together.",
                 "Did Sam and I break up?", "I broke up a fight at the pub.",
                 "My friend and I split up at the station."):
        assert not any(f[3] for f in facts(text)), text


def test_a_break_up_ends_the_partner_in_memory(mem: MemOS) -> None:
    [sam] = mem.ingest([user("My boyfriend is Sam.")], "alice", session_id="s1", at=T1).facts
    assert live(mem, "boyfriend's name") == ["Alice's boyfriend's name is Sam."]
    report = mem.ingest([user("Sam and I broke up.")], "alice", session_id="s2", at=T2)
    assert report.ended == [sam] and report.facts == []
    assert mem.get(sam, "alice").state == Lifecycle.SUPERSEDED
    assert mem.history(sam, "alice")[-1].valid_to == T2
    assert live(mem, "boyfriend's name") == []


def test_a_divorce_ends_the_spouse_and_keeps_other_people(mem: MemOS) -> None:
    first = mem.ingest([user("I'm married to Tom."), user("My friend Sam lives in Leeds.")],
                       "alice", session_id="s1", at=T1)
    tom = next(f for f in first.facts
               if mem.get(f, "alice").content == "Alice's spouse's name is Tom.")
    report = mem.ingest([user("My husband and I got divorced.")], "alice", session_id="s2",
                        at=T2)
    assert report.ended == [tom]
    assert live(mem, "spouse's name") == []
    assert live(mem, "friend's name") == ["Alice's friend's name is Sam."]


# 3. Relatives named in a list

@pytest.mark.parametrize(("text", "rel", "names"), [
    ("My sisters are Ana and Eva.", "sister", ("Ana", "Eva")),
    ("My kids are Maya and Leo", "kid", ("Maya", "Leo")),
    ("my two brothers are Tom and Ben", "brother", ("Tom", "Ben")),
    ("My kids' names are Maya, Leo and Sol.", "kid", ("Maya", "Leo", "Sol")),
    ("Ana and Eva are my sisters.", "sister", ("Ana", "Eva")),
    ("Our cats are Tom & Ziggy.", "cat", ("Tom", "Ziggy")),
    ("My friends are Tom and Ben and they live in Leeds.", "friend", ("Tom", "Ben")),
])
def test_relatives_named_in_a_list(text: str, rel: str, names: tuple[str, ...]) -> None:
    assert {("Alice", f"{rel}'s name", n, False) for n in names} <= facts(text)


def test_a_list_of_no_names_names_no_relative() -> None:
    assert facts("My sisters are Ana and Eva.") == {("Alice", "sister's name", "Ana", False),
                                                   ("Alice", "sister's name", "Eva", False)}
    for text in ("My kids are Arsenal and Chelsea fans.", "My sisters are Catholic and Jewish.",
                 "Our kids are grown and happy.", "My brothers are Tom."):
        assert not any("name" in f[1] for f in facts(text)), text


# 4. A pet that died

@pytest.mark.parametrize(("text", "expected"), [
    ("Our cat Mochi died last week", {("Alice", "cat's name", "Mochi", True)}),
    ("We had to put our dog Rex down", {("Alice", "dog's name", "Rex", True)}),
    ("My sweet old cat Mochi passed away.", {("Alice", "cat's name", "Mochi", True)}),
    ("Our golden retriever Biscuit crossed the rainbow bridge.",
     {("Alice", "dog's name", "Biscuit", True)}),
    # the name only: each pet kind's, which ends only the one that holds it
    ("Sadly Rex passed away yesterday.", ended_names("Rex", PET_KINDS)),
    ("Rex was put to sleep this morning.", ended_names("Rex", PET_KINDS)),
    ("We had to put Rex to sleep.", ended_names("Rex", PET_KINDS)),
])
def test_a_pet_that_died_is_no_live_pet(text: str, expected: set[Fact]) -> None:
    assert facts(text) == expected


def test_a_death_of_a_person_or_a_thing_is_left_as_said() -> None:
    assert facts("Our cat Mochi died last week") == {("Alice", "cat's name", "Mochi", True)}
    # a person's name stays who they were; no pet of their name ends (where a relative who
    # died lived and worked ends: tests/reader/test_reader_gone.py)
    assert {f for f in facts("My grandfather Joe passed away.") if not f[3]} == {
        ("Alice", "grandfather's name", "Joe", False)}
    assert not any(f[1].endswith("'s name") and f[3]
                   for f in facts("My grandfather Joe passed away."))
    for text in ("My phone died.", "Rex nearly died.", "Rex died laughing.", "Rex passed the exam.",
                 "If Rex died I'd be devastated.", "We put Leo down for a nap.",
                 "The Queen died."):
        assert facts(text) == set(), text
    # a pet without its name: the one there is ends (no value: `Extraction.ends_current`;
    # of two dogs, neither: tests/reader/test_reader_gone.py)
    assert facts("My dog died.") == {("Alice", "dog's name", "", True)}


def test_a_pet_that_died_ends_in_memory(mem: MemOS) -> None:
    first = mem.ingest([user("I have a dog named Rex and a cat named Luna.")], "alice",
                       session_id="s1", at=T1)
    assert sorted(live(mem, "dog's name") + live(mem, "cat's name")) == [
        "Alice's cat's name is Luna.", "Alice's dog's name is Rex."]
    rex = next(f for f in first.facts if mem.get(f, "alice").content.endswith("Rex."))
    report = mem.ingest([user("Sadly Rex passed away yesterday.")], "alice", session_id="s2",
                        at=T2)
    assert report.ended == [rex] and report.facts == []
    assert live(mem, "dog's name") == []
    assert live(mem, "cat's name") == ["Alice's cat's name is Luna."]  # Luna stays
    # the cat named with its death: no new live cat, the stored one ends
    report = mem.ingest([user("Our cat Luna died last week.")], "alice", session_id="s3",
                        at=T2)
    assert report.facts == [] and len(report.ended) == 1
    assert live(mem, "cat's name") == []


# 5. A name said not to be one's own

@pytest.mark.parametrize(("text", "expected"), [
    ("No wait, my dog is called Stella, Bella is my neighbour's dog.",
     {("Alice", "dog's name", "Stella", False), ("Alice", "dog's name", "Bella", True)}),
    ("Bella is my neighbour's dog.", {("Alice", "dog's name", "Bella", True)}),
    ("Bella isn't my dog.", {("Alice", "dog's name", "Bella", True)}),
    ("Sam is not my boyfriend any more.", {("Alice", "boyfriend's name", "Sam", True)}),
    ("Sam is my sister's husband.", {("Alice", "husband's name", "Sam", True)}),
])
def test_a_name_that_is_not_ones_own(text: str, expected: set[Fact]) -> None:
    assert facts(text) == expected


def test_no_name_denied_denies_nothing() -> None:
    assert facts("Bella isn't my dog.") == {("Alice", "dog's name", "Bella", True)}
    for text in ("It's not my dog.", "That is not my dog.", "Max isn't my dog's name.",
                 "If Bella isn't my dog, whose is she?"):
        assert facts(text) == set(), text


def test_the_neighbours_dog_ends_in_memory(mem: MemOS) -> None:
    [bella] = mem.ingest([user("My dog is called Bella.")], "alice", session_id="s1",
                         at=T1).facts
    report = mem.ingest([user("No wait, my dog is called Stella, Bella is my neighbour's "
                              "dog.")], "alice", session_id="s1", at=T2)
    assert report.ended == [bella]
    assert live(mem, "dog's name") == ["Alice's dog's name is Stella."]
