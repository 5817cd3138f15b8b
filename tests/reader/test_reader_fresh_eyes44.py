"""What a fresh-eyes user of the assistant found (2026-12-05, session 44), as classes:

- a listed taste said with the other verb ("I love sushi and hate olives") was a like;
- a correction's own remark stayed in the value ("sorry I meant Jack, autocorrect lol");
- "her name is Zoe" after a relative whose relation tells no gender (a friend, a boss), and
  ", his name is Leo" after a comma, named no one;
- a turn without its subject that quits a job ("quit my job today!!") ended nothing;
- a count the user stated kept a pet that had died since ("I have two cats, Tom and Jerry",
  then "Jerry passed away": "You have 2 cats")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from memos import MemOS
from memos.assistant import Assistant
from memos.reader.rules import Referents, extract

T1 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
T2 = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
Read = tuple[str, str, bool]


def read(text: str, before: str | None = None) -> set[Read]:
    """(attribute, value, negated) of a turn of Alice's, read after `before`."""
    ref = Referents()
    prev = extract(before, "Alice", "user:alice", T1, referents=ref) if before else []
    return {(e.attribute, e.value, e.negated)
            for e in extract(text, "Alice", "user:alice", T1, previous=prev, referents=ref)}


@pytest.mark.parametrize(("text", "expected"), [
    ("i love sushi and hate olives", {("likes", "sushi", False), ("dislikes", "olives", False)}),
    ("I like tea and dislike coffee", {("likes", "tea", False), ("dislikes", "coffee", False)}),
    ("I love hiking and hate running", {("likes", "hiking", False),
                                        ("dislikes", "running", False)}),
    ("I love jazz, rock and can't stand opera", {("likes", "jazz", False), ("likes", "rock", False),
                                                 ("dislikes", "opera", False)}),
    ("I hate mushrooms and love pizza", {("dislikes", "mushrooms", False),
                                         ("likes", "pizza", False)}),
    # one taste throughout: as before
    ("I love sushi and ramen", {("likes", "sushi", False), ("likes", "ramen", False)}),
    ("I hate olives and anchovies", {("dislikes", "olives", False),
                                     ("dislikes", "anchovies", False)}),
])
def test_a_listed_taste_of_the_other_verb(text: str, expected: set[Read]) -> None:
    assert read(text) == expected


@pytest.mark.parametrize("then", [
    "sorry I meant Jack, autocorrect lol", "sorry I meant Jack (typo)",
    "I meant Jack - stupid autocorrect", "sorry, I meant Jack my bad",
])
def test_a_corrections_remark_is_no_part_of_the_value(then: str) -> None:
    assert read(then, "my boyfriend's name is Jake") == {("boyfriend's name", "Jack", False)}


@pytest.mark.parametrize(("before", "then", "expected"), [
    ("My best friend lives in Leeds.", "Her name is Zoe.", {("best friend's name", "Zoe", False)}),
    ("My boss is really strict.", "His name is Greg.", set()),  # (nothing read of the boss)
    ("My boss works at Google.", "His name is Greg.", {("boss's name", "Greg", False)}),
    # two candidates, a pet, no one: nothing
    ("My friend works at Google and my boss works at Meta.", "Her name is Zoe.", set()),
    ("My dog is called Rex.", "His name is Max.", set()),
    ("I live in Leeds.", "Her name is Zoe.", set()),
])
def test_a_name_by_pronoun_of_a_relation_that_tells_no_gender(before: str, then: str,
                                                             expected: set[Read]) -> None:
    assert read(then, before) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("My son is 7, his name is Leo.", {("son's age", "7", False), ("son's name", "Leo", False)}),
    ("My boss works at Google, his name is Greg.", {("boss's employer", "Google", False),
                                                   ("boss's name", "Greg", False)}),
])
def test_his_name_after_a_comma(text: str, expected: set[Read]) -> None:
    assert read(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("quit my job today!! no more coffee lol", {("employer", "", True), ("job", "", True)}),
    ("left my job at Zara", {("employer", "Zara", True), ("job", "", True)}),
    ("so quit my job last week", {("employer", "", True), ("job", "", True)}),
])
def test_a_job_quit_without_its_subject(text: str, expected: set[Read]) -> None:
    assert read(text) == expected


def test_a_job_quit_said_as_a_question_or_of_another() -> None:
    assert read("quit my job? no way") == set()  # a question
    # another's: theirs, as before
    assert read("my sister quit her job") == {("sister's employer", "", True), ("sister's job", "", True)}


def test_a_stated_count_drops_a_pet_that_died_since(tmp_path: Path) -> None:
    with MemOS.open(str(tmp_path / "store"), embedder="hashing") as mem:
        bot = Assistant(mem, "kai", backend="extractive")
        for i, turn in enumerate(["My name is Kai.", "I have two cats, Tom and Jerry"]):
            bot.reply(turn, at=T1 + timedelta(minutes=i))
        assert "2 cats" in bot.reply("how many cats do i have?", at=T1 + timedelta(hours=1)).text
        bot.reply("Jerry passed away last night", at=T2)
        text = bot.reply("how many cats do i have?", at=T2 + timedelta(hours=1)).text
        assert "1 cat" in text and "Tom" in text and "Jerry" not in text, text
        # a count told after the death is the count
        bot.reply("I have two cats, Tom and Mia.", at=T2 + timedelta(days=1))
        text = bot.reply("how many cats do i have?", at=T2 + timedelta(days=2)).text
        assert "2 cats" in text and "Mia" in text and "Jerry" not in text, text


# Names typed in lower case (a whole turn in lower case: `rules.types_lower`)

@pytest.mark.parametrize(("text", "expected"), [
    ("my brother dan lives in miami", {("brother's name", "Dan", False), ("city", "Miami", False)}),
    ("my sister ana is a nurse", {("sister's name", "Ana", False), ("job", "nurse", False)}),
    ("my gf sarah is a nurse", {("girlfriend's name", "Sarah", False), ("job", "nurse", False)}),
    ("btw my bf jake works at google", {("boyfriend's name", "Jake", False),
                                        ("employer", "google", False)}),
    ("i have a cat named tom", {("cat's name", "Tom", False)}),
    ("we adopted a rescue dog called rex and a cat named luna",
     {("dog's name", "Rex", False), ("cat's name", "Luna", False)}),
])
def test_a_name_typed_in_lower_case(text: str, expected: set[Read]) -> None:
    assert read(text) == expected


def test_a_tie_that_ended_typed_in_lower_case() -> None:
    assert ("girlfriend's name", "Sarah", True) in read("sarah and i broke up")
    assert ("cat's name", "Tom", True) in read("tom died yesterday")


@pytest.mark.parametrize("text", [
    "my brother usually works late", "my sister also lives in leeds", "my phone died",
    "everything died", "my brother just moved to leeds", "office moved to leeds",
])
def test_no_name_typed_in_lower_case(text: str) -> None:
    assert not any(a.endswith("'s name") for a, _v, _n in read(text)), text


# Pets by their chat words; a kind of several distinct people asked in the singular

def test_pet_words_of_chat(tmp_path: Path) -> None:
    assert read("my pup Rex is 3") >= {("dog's name", "Rex", False)}
    with MemOS.open(str(tmp_path / "store"), embedder="hashing") as mem:
        bot = Assistant(mem, "kai", backend="extractive")
        for i, turn in enumerate(["My name is Kai.", "my dog is called Biscuit",
                                  "my cat is called Mochi", "My sister is Ana.",
                                  "My brother is Tom."]):
            bot.reply(turn, at=T1 + timedelta(minutes=i))
        assert "Biscuit" in bot.reply("what's my pup called?", at=T2).text
        assert "Mochi" in bot.reply("whats my kitty called?", at=T2).text
        pets = bot.reply("what's my pet's name?", at=T2).text
        assert "Biscuit" in pets and "Mochi" in pets, pets
        siblings = bot.reply("what's my sibling's name?", at=T2).text
        assert "Ana" in siblings and "Tom" in siblings, siblings
        dog = bot.reply("what's my dog's name?", at=T2).text
        assert "Biscuit" in dog and "Mochi" not in dog, dog
