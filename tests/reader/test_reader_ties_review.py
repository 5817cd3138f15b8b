"""A review of the rules for ties that end (`_ended_ties`, `_not_mine`) and relatives named
in a list (`_plural_relatives`) found them reading too much.

Before: after a break-up or a pet's death the next "It's X" clause was stored as the new
partner's or pet's name ("Sam and I broke up! It's Friday" -> fiancé's name Friday); an
ordinary "left", "split" or "passed" ended a partner or a pet ("I left my husband and the
kids at home", "Sam and I split last night's bill", "Rex passed!"); plurals were taken for
names ("My friends are Americans and Canadians"); "Tom is my friend's dad" ended the
speaker's own father named Tom; "I married Excel" stored a spouse named Excel."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from memos import MemOS
from memos.reader.rules import PARTNERS, extract
from tests.reader.helpers import live, user

T1 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
T2 = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
Fact = tuple[str, str, str, bool]
PET_KINDS = ("dog", "cat", "parrot", "rabbit", "horse", "hamster", "tortoise", "guinea pig")
SPOUSES = ("husband", "wife", "spouse")


def facts(text: str) -> set[Fact]:
    return {(e.subject, e.attribute, e.value, e.negated)
            for e in extract(text, "Alice", "user:alice", T1)}


def ended_names(name: str, kinds: tuple[str, ...]) -> set[Fact]:
    return {("Alice", f"{kind}'s name", name, True) for kind in kinds}


def ended_kinds(kinds: tuple[str, ...]) -> set[Fact]:
    return {("Alice", f"{kind}'s name", "", True) for kind in kinds}




# 1. The "It's X" after a tie that ended names no new partner or pet

@pytest.mark.parametrize(("text", "expected"), [
    ("Sam and I broke up! It's Friday, so drinks?", ended_names("Sam", PARTNERS)),
    ("Rex passed away. It's Monday and I'm sad.", ended_names("Rex", PET_KINDS)),
    ("My wife left me. It's Sarah's fault.", ended_kinds(SPOUSES)),
    ("Sam and I broke up. It's Valentine's Day tomorrow.", ended_names("Sam", PARTNERS)),
    # one tie said by its relation: still no new value
    ("I broke up with my girlfriend. It's Friday.", ended_kinds(("girlfriend",))),
    ("Our cat Mochi died. It's Monday.", {("Alice", "cat's name", "Mochi", True)}),
])
def test_the_clause_after_a_tie_that_ended_is_no_new_name(text: str,
                                                           expected: set[Fact]) -> None:
    assert facts(text) == expected


def test_one_attribute_ended_still_takes_its_new_value() -> None:
    assert facts("Bella isn't my dog. It's Max.") == {("Alice", "dog's name", "Bella", True),
                                                     ("Alice", "dog's name", "Max", False)}
    assert ("Alice", "email", "c@d.com", False) in facts(
        "My email is no longer a@b.com. It's c@d.com now.")


def test_a_break_up_then_its_day_stores_no_partner_in_memory(mem: MemOS) -> None:
    [sam] = mem.ingest([user("My fiancé is Sam.")], "alice", session_id="s1", at=T1).facts
    report = mem.ingest([user("Sam and I broke up! It's Friday, so drinks?")], "alice",
                        session_id="s2", at=T2)
    assert report.ended == [sam] and report.facts == []
    assert live(mem, "fiancé's name") == []


# 2. "left", "split", "passed" that end no tie

@pytest.mark.parametrize("text", [
    "I left my husband and the kids at home to go shopping.",
    "My husband left me and the kids at the zoo while he parked.",
    "My wife left me this morning for a conference, so it's just me and the kids.",
    "Sam and I split last night's bill.",
    "Rex passed! He's officially a therapy dog now.",
    "I left my boyfriend yesterday at the station.",
    "Max passed, so proud of him.",
])
def test_an_ordinary_left_split_or_passed_ends_nothing(text: str) -> None:
    assert not any(f[3] for f in facts(text)), text


@pytest.mark.parametrize(("text", "expected"), [
    ("I left my husband last year.", ended_kinds(SPOUSES)),
    ("My husband left me for his secretary.", ended_kinds(SPOUSES)),
    ("My husband left me.", ended_kinds(SPOUSES)),
    ("Sam and I split last week.", ended_names("Sam", PARTNERS)),
    ("Rex passed on last week.", ended_names("Rex", PET_KINDS)),
])
def test_a_tie_left_for_good_still_ends(text: str, expected: set[Fact]) -> None:
    assert facts(text) == expected


def test_leaving_the_husband_at_home_keeps_him_in_memory(mem: MemOS) -> None:
    [tom] = mem.ingest([user("My husband is Tom.")], "alice", session_id="s1", at=T1).facts
    report = mem.ingest([user("I left my husband and the kids at home to go shopping.")],
                        "alice", session_id="s2", at=T2)
    assert report.ended == []
    assert live(mem, "husband's name") == ["Alice's husband's name is Tom."]
    assert mem.get(tom, "alice") is not None


# 3. A list of plurals names no relatives

@pytest.mark.parametrize("text", [
    "My friends are Americans and Canadians.",
    "My brothers are Democrats and Republicans.",
    "My dogs are Labs and Poodles.",
])
def test_a_list_of_plurals_names_no_relative(text: str) -> None:
    assert not any("name" in f[1] for f in facts(text)), text


@pytest.mark.parametrize(("text", "rel", "names"), [
    ("My sisters are Ana and Eva.", "sister", ("Ana", "Eva")),
    ("Our cats are Tom & Ziggy.", "cat", ("Tom", "Ziggy")),
    ("My kids are Maya, Leo and Sol.", "kid", ("Maya", "Leo", "Sol")),
    ("My brothers are James and Thomas.", "brother", ("James", "Thomas")),
])
def test_names_in_a_list_are_still_read(text: str, rel: str, names: tuple[str, ...]) -> None:
    assert {("Alice", f"{rel}'s name", n, False) for n in names} <= facts(text)


# 4. Another's relative of a name is no denial of one's own

@pytest.mark.parametrize("text", ["Tom is my friend's dad.", "Tom is my husband's brother."])
def test_anothers_relative_ends_none_of_ones_own(text: str) -> None:
    assert facts(text) == set(), text


def test_anothers_pet_is_still_not_ones_own() -> None:
    assert facts("Bella is my neighbour's dog.") == {("Alice", "dog's name", "Bella", True)}


# 5. Married to an app

def test_married_to_an_app_is_no_spouse() -> None:
    assert facts("I married Excel.") == set()
    assert facts("I married Sam.") == {("Alice", "spouse's name", "Sam", False)}
