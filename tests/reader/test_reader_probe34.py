"""Turns a probe found read wrongly: two children named in one breath ("I had a boy, Noah, and
a girl, Mia"), a birthday said "bday" ("My bday is July 14"), a spouse who left for another
person ("My husband left me for my best friend"), a couple's "we broke up" after the turn
named the partner ("I was dating Tom but we broke up"), and nationalities said as nouns in
chat ("My friends are Brits and Aussies").

Before: the second child was not stored; "bday", "b-day" and "date of birth" stated no
birthday, and "My birthday is tomorrow" stored the word "tomorrow" as the date; "left me for
my best friend" was taken for a trip ("for my ..."), so the husband stayed; "we broke up"
ended no one, nor did "Me and Tom broke up" or "Tom and I got divorced in March" (a month in
capitals); "My friends are Brits and Aussies" named two friends, "I'm Aussie" a user."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from memos import MemOS
from memos.cube import Lifecycle
from memos.reader.rules import PARTNERS, extract

T1 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
T2 = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
Fact = tuple[str, str, str, bool]
SPOUSES = ("husband", "wife", "spouse")


def facts(text: str) -> set[Fact]:
    return {(e.subject, e.attribute, e.value, e.negated)
            for e in extract(text, "Alice", "user:alice", T1)}


def user(text: str) -> dict[str, str]:
    return {"role": "user", "content": text}


def live(mem: MemOS, relation: str) -> list[str]:
    return [h.content for h in mem.search(relation, "alice", kind="fact")
            if h.cube.metadata.get("relation") == relation]


def ended(name: str, kinds: tuple[str, ...] = PARTNERS) -> set[Fact]:
    return {("Alice", f"{kind}'s name", name, True) for kind in kinds}


def ended_any(kinds: tuple[str, ...]) -> set[Fact]:
    return {("Alice", f"{kind}'s name", "", True) for kind in kinds}


# 1. Two children (or pets, or siblings) named in one breath

@pytest.mark.parametrize(("text", "expected"), [
    ("I had a boy, Noah, and a girl, Mia", {("Alice", "son's name", "Noah", False),
                                            ("Alice", "daughter's name", "Mia", False)}),
    ("We had a boy, Noah and a girl, Mia.", {("Alice", "son's name", "Noah", False),
                                             ("Alice", "daughter's name", "Mia", False)}),
    ("We just had a baby boy, Noah, and a baby girl, Mia!", {
        ("Alice", "son's name", "Noah", False), ("Alice", "daughter's name", "Mia", False)}),
    ("I had a boy, Noah, and a girl, Mia, in 2020.", {
        ("Alice", "son's name", "Noah", False), ("Alice", "daughter's name", "Mia", False)}),
    ("I have a son, Leo, and a daughter, Maya.", {("Alice", "son's name", "Leo", False),
                                                  ("Alice", "daughter's name", "Maya", False)}),
    ("I have a son named Leo and a daughter, Maya.", {
        ("Alice", "son's name", "Leo", False), ("Alice", "daughter's name", "Maya", False)}),
    ("I have a sister, Ana, and a brother, Tom.", {("Alice", "sister's name", "Ana", False),
                                                   ("Alice", "brother's name", "Tom", False)}),
    ("I have a dog, Rex, and a cat, Luna.", {("Alice", "dog's name", "Rex", False),
                                             ("Alice", "cat's name", "Luna", False)}),
    ("We had twins, Noah and Mia!", {("Alice", "kid's name", "Noah", False),
                                     ("Alice", "kid's name", "Mia", False)}),
    ("We just welcomed twins: Ava and Eli.", {("Alice", "kid's name", "Ava", False),
                                              ("Alice", "kid's name", "Eli", False)}),
])
def test_two_named_in_one_breath_are_both_stored(text: str, expected: set[Fact]) -> None:
    assert facts(text) == expected


def test_guard_one_named_and_another_thing_stay_as_they_were() -> None:
    # what was read before is read the same, and nothing unnamed is added
    assert facts("We just had a baby girl, Mia") == {("Alice", "daughter's name", "Mia", False)}
    assert facts("I have a son named Leo and a daughter named Maya.") == {
        ("Alice", "son's name", "Leo", False), ("Alice", "daughter's name", "Maya", False)}
    assert facts("We had a girl, Mia, and a boy last year.") == {
        ("Alice", "daughter's name", "Mia", False)}
    assert facts("I have a sister, Ana, and a Tesla.") == {("Alice", "sister's name", "Ana", False)}
    assert facts("I have a brother, Tom, and a Golden Retriever.") == {
        ("Alice", "brother's name", "Tom", False)}
    for text in ("We had twins last year.", "We had twins, which was a shock.",
                 "My sister had twins, Noah and Mia.", "I've got a boy and a girl."):
        assert facts(text) == set(), text


def test_both_children_are_in_memory(mem: MemOS) -> None:
    mem.ingest([user("I had a boy, Noah, and a girl, Mia")], "alice", session_id="s1", at=T1)
    assert live(mem, "son's name") == ["Alice's son's name is Noah."]
    assert live(mem, "daughter's name") == ["Alice's daughter's name is Mia."]


# 2. A birthday said "bday", "b-day", "date of birth"

@pytest.mark.parametrize(("text", "expected"), [
    ("My bday is July 14", ("Alice", "birthday", "July 14", False)),
    ("my b-day is on March 3rd", ("Alice", "birthday", "March 3rd", False)),
    ("my bday's July 14th", ("Alice", "birthday", "July 14th", False)),
    ("My birthday's on the 3rd of May.", ("Alice", "birthday", "the 3rd of May", False)),
    ("My sister's bday is March 3", ("Alice", "sister's birthday", "March 3", False)),
    ("Tom's bday is May 2", ("Tom", "birthday", "May 2", False)),
    ("Mum's bday is 3 May", ("Alice", "mother's birthday", "3 May", False)),
    ("My date of birth is 14/07/1990.", ("Alice", "birthday", "14/07/1990", False)),
])
def test_a_birthday_by_its_other_names(text: str, expected: Fact) -> None:
    assert facts(text) == {expected}


def test_a_birthday_said_relative_to_today_stores_no_date() -> None:
    for text in ("My birthday is tomorrow", "My bday is tomorrow!", "My birthday is today.",
                 "My birthday is next week!", "My birthday is on Friday",
                 "My sister's birthday is tomorrow", "Tom's bday is on Saturday"):
        assert facts(text) == set(), text


def test_guard_birthdays_read_before_and_verdicts() -> None:
    assert facts("My birthday is July 14") == {("Alice", "birthday", "July 14", False)}
    assert facts("My birthday is on 3 May") == {("Alice", "birthday", "3 May", False)}
    assert facts("my birthday is the 3rd") == {("Alice", "birthday", "the 3rd", False)}
    for text in ("my bday's coming up", "My birthday's coming up.", "my b-day is not important",
                 "Today is my birthday!"):
        assert facts(text) == set(), text


# 3. A spouse who left for another person

@pytest.mark.parametrize(("text", "rel"), [
    ("My husband left me for my best friend", "husband"),
    ("My husband left me for my best friend.", "husband"),
    ("My wife left me for my sister.", "wife"),
    ("My husband left me for the nanny.", "husband"),
    ("My husband left me for a woman he met at work.", "husband"),
    ("My wife left me for my best friend last year.", "wife"),
    ("my husband left me for my best friend and took the dog", "husband"),
    ("I left my husband for my best friend.", "husband"),
])
def test_a_spouse_who_left_for_someone_ends_the_tie(text: str, rel: str) -> None:
    assert facts(text) == ended_any((rel, *sorted(set(SPOUSES) - {rel})))


def test_a_partner_who_left_for_someone_ends_that_partner() -> None:
    assert facts("I left my boyfriend for a girl I met online.") == ended_any(("boyfriend",))


def test_guard_a_spouse_who_left_for_a_while_ends_nothing() -> None:
    for text in ("My husband left for work", "my wife left for Paris this morning",
                 "My husband left for work an hour ago.", "My husband left me for a week.",
                 "My husband left me for my birthday.", "my wife left me for the weekend",
                 "My wife left me for a conference this morning.",
                 "My husband left me for my best friend this morning.",
                 "My husband left me for my mum's house", "My husband left me for work.",
                 "My wife left me a note.", "My husband left me with my mom for the day.",
                 "He left me for my best friend."):
        assert facts(text) == set(), text
    # read before, and still
    assert facts("My wife left me") == ended_any(("wife", "husband", "spouse"))
    assert facts("my husband left me for another woman") == ended_any(SPOUSES)


def test_the_husband_who_left_ends_in_memory(mem: MemOS) -> None:
    [rob] = mem.ingest([user("My husband's name is Rob.")], "alice", session_id="s1",
                       at=T1).facts
    report = mem.ingest([user("My husband left me for my best friend.")], "alice",
                        session_id="s2", at=T2)
    assert report.ended == [rob] and report.facts == []
    assert mem.get(rob, "alice").state == Lifecycle.SUPERSEDED
    assert live(mem, "husband's name") == []


# 4. "We broke up": the partner the turn named before it

@pytest.mark.parametrize(("text", "expected"), [
    ("I was dating Tom but we broke up.", ended("Tom")),
    ("I was dating Tom for two years, but we broke up last month.", ended("Tom")),
    ("Tom and I went to Paris and then we broke up.", ended("Tom")),
    ("Sam and I dated for a year. We broke up in June.", ended("Sam")),
    ("I'm seeing Tom. We broke up last night lol", ended("Tom")),
    ("Rob and I have been married for ten years, we separated in 2024.", ended("Rob")),
    ("My girlfriend and I had a huge fight and we broke up.", ended_any(("girlfriend",))),
    ("My husband and I have been struggling, we separated in March.", ended_any(SPOUSES)),
    # said with "me", and with a month in capitals
    ("Me and Tom broke up.", ended("Tom")),
    ("Tom and me broke up last week.", ended("Tom")),
    ("Me and my boyfriend broke up.", ended_any(("boyfriend",))),
    ("Tom and I got divorced in March.", ended("Tom")),
    ("Tom and I broke up on Friday.", ended("Tom")),
])
def test_we_broke_up_ends_the_partner_named_before(text: str, expected: set[Fact]) -> None:
    assert facts(text) == expected


def test_we_broke_up_after_the_partner_is_named_in_the_turn() -> None:
    # the partner stated, then ended: in turn order, the tie ends live
    assert facts("My boyfriend Tom is great. We broke up last week.") == {
        ("Alice", "boyfriend's name", "Tom", False), ("Alice", "boyfriend's name", "Tom", True)}
    assert facts("My boyfriend is Tom. We broke up yesterday.") == {
        ("Alice", "boyfriend's name", "Tom", False), ("Alice", "boyfriend's name", "Tom", True)}
    assert facts("I met my boyfriend Sam at uni. We split up in 2020 but we are still "
                 "friends.") == {("Alice", "boyfriend's name", "Sam", False),
                                 ("Alice", "boyfriend's name", "Sam", True)}


def test_guard_we_broke_up_with_no_partner_named_ends_nothing() -> None:
    assert facts("Tom and I broke up") == ended("Tom")
    assert facts("My boyfriend Tom and I broke up last week") == {
        ("Alice", "boyfriend's name", "Tom", True)}
    # a divorce is of the speaker's spouse, whoever that is (session 46; before, nothing)
    assert facts("We got divorced last year.") == {
        ("Alice", f"{rel}'s name", "", True) for rel in ("husband", "wife", "spouse")}
    for text in ("We broke up", "We broke up last week.",
                 "We broke up but got back together.", "We broke up the fight.",
                 "Tom? We broke up.", "Is Tom my boyfriend? We broke up.",
                 "If my boyfriend cheats we would break up.",
                 "Mum and I went shopping, we split up to cover more ground.",
                 "My sister and her boyfriend Tom broke up, we were all shocked."):
        assert not any(f[3] for f in facts(text)), text
    assert facts("My friend Tom and I had a fight and we broke up.") == {
        ("Alice", "friend's name", "Tom", False)}
    assert facts("My brother Tom is here. We broke up last week.") == {
        ("Alice", "brother's name", "Tom", False)}
    assert facts("My boyfriend Tom and I went hiking, then we split up at the fork.") == {
        ("Alice", "boyfriend's name", "Tom", False)}
    assert facts("My girlfriend Ana and I went to the party, we split up when we got "
                 "there.") == {("Alice", "girlfriend's name", "Ana", False)}
    assert facts("My boyfriend Sam and I met in 2019; we broke up in 2021 and got back "
                 "together in 2022.") == {("Alice", "boyfriend's name", "Sam", False)}
    assert facts("We broke up. My new boyfriend is Sam.") == {
        ("Alice", "boyfriend's name", "Sam", False)}


def test_we_broke_up_ends_the_partner_in_memory(mem: MemOS) -> None:
    [tom] = mem.ingest([user("My boyfriend is Tom.")], "alice", session_id="s1", at=T1).facts
    report = mem.ingest([user("Tom and I went to Paris and then we broke up.")], "alice",
                        session_id="s2", at=T2)
    assert report.ended == [tom]
    assert live(mem, "boyfriend's name") == []


# 5. Nationalities said as nouns

@pytest.mark.parametrize("text", [
    "My friends are Brits and Aussies.", "Brits and Aussies are my friends.",
    "My roommates are Brits and Kiwis.", "My cousins are Aussies and Kiwis",
    "My friends are Yanks and Canucks.", "My friends are Scots and Brits.",
    "My friends are Aussies, Brits and Kiwis.", "My friends are Poms and Yanks",
    "I'm Brit.", "I'm Aussie.", "I'm Kiwi.", "Hi, I'm Aussie!",
])
def test_a_nationality_said_as_a_noun_names_no_one(text: str) -> None:
    assert facts(text) == set()


def test_a_nationality_said_as_a_noun_is_no_users_name() -> None:
    assert facts("I'm Aussie but live in London.") == {("Alice", "city", "London", False)}


def test_guard_nationalities_and_names_of_the_same_letters() -> None:
    for text in ("Brits and Aussies are funny", "Brits and Aussies are funny.",
                 "Aussies and Kiwis both love rugby.", "My husband is a Kiwi and I'm a Brit."):
        assert facts(text) == set(), text
    # a name that is also a word of the kind stays a name
    assert facts("Hi, I'm Finn!") == {("Finn", "name", "Finn", False)}
    assert facts("Our cat Kiwi is sick.") == {("Alice", "cat's name", "Kiwi", False)}
    assert facts("My dog's name is Aussie.") == {("Alice", "dog's name", "Aussie", False)}
    assert facts("My friends are Finn and Dane.") == {("Alice", "friend's name", "Finn", False),
                                                       ("Alice", "friend's name", "Dane", False)}
    assert facts("My sisters are Ana and Eva") == {("Alice", "sister's name", "Ana", False),
                                                    ("Alice", "sister's name", "Eva", False)}
