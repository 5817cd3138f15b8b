"""What a user says is gone: a pet they no longer have, a place they moved out of.

Before: "I don't have a cat any more", "I no longer have a dog", "We rehomed our cat Luna"
and "I moved out of Lyon" ended nothing (the assistant still counted the cat); "My dog died"
ended nothing even with one dog stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from memos import MemOS
from memos.assistant import Assistant
from memos.reader.rules import extract
from tests.reader.helpers import live, user

T1 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
T2 = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
PET_KINDS = {"dog", "cat", "parrot", "rabbit", "horse", "hamster", "tortoise", "guinea pig"}


def read(text: str) -> set[tuple[str, str, bool, bool]]:
    """(attribute, value, negated, every) of what one turn of Alice's states."""
    return {(e.attribute, e.value, e.negated, e.every)
            for e in extract(text, "Alice", "user:alice", T1)}


# 1. A pet no longer one's own

@pytest.mark.parametrize(("text", "kinds"), [
    ("I don't have a cat anymore.", {"cat"}),
    ("Actually I don't have a cat any more.", {"cat"}),
    ("I no longer have a dog.", {"dog"}),
    ("I have no cats now.", {"cat"}),
    ("We've no puppy these days", {"dog"}),
    ("I don't own a hamster at the moment, sadly.", {"hamster"}),
    ("We don't have any pets anymore.", PET_KINDS),
    ("I've got no pets at the moment.", PET_KINDS),
])
def test_no_pet_of_a_kind_ends_every_one_of_it(text: str, kinds: set[str]) -> None:
    assert read(text) == {(f"{kind}'s name", "", True, True) for kind in kinds}


def test_no_pet_said_beside_a_new_one_keeps_the_new_one() -> None:
    assert read("I don't have a cat, I have a dog named Rex.") == {
        ("cat's name", "", True, True), ("dog's name", "Rex", False, False)}


@pytest.mark.parametrize("text", [
    "I don't have a dog walker.", "I don't have a cat's patience.", "I have no idea.",
    "If I didn't have a dog I'd travel more.", "Do you have a cat?", "I gave my sister a book.",
    "I sold my car.", "I don't have a dog in this fight, honestly.",
    "I wish I didn't have a cat allergy.",
])
def test_words_near_a_pet_that_end_none(text: str) -> None:
    assert not any(neg for _attr, _value, neg, _every in read(text)), text


@pytest.mark.parametrize(("text", "expected"), [
    ("We rehomed our cat Luna.", {("cat's name", "Luna", True, False)}),
    ("We had to rehome our dog Rex last month.", {("dog's name", "Rex", True, False)}),
    ("I gave my dog Rex away.", {("dog's name", "Rex", True, False)}),
    # no name: the one there is (`Extraction.every` False), as after "my dog died"
    ("I gave my puppy away.", {("dog's name", "", True, False)}),
    ("We gave away our cat.", {("cat's name", "", True, False)}),
    ("My dog died last week.", {("dog's name", "", True, False)}),
])
def test_a_pet_given_away_or_dead(text: str, expected: set[tuple[str, str, bool, bool]]) -> None:
    assert read(text) == expected


def test_in_memory_every_cat_ends_and_a_dog_of_two_stays(mem: MemOS) -> None:
    mem.ingest([user("I have two cats, Luna and Mo. I also have two dogs, Rex and Max.")],
               "alice", session_id="s1", at=T1)
    assert len(live(mem, "cat's name")) == 2 and len(live(mem, "dog's name")) == 2
    report = mem.ingest([user("My dog died.")], "alice", session_id="s2", at=T2)
    # of two dogs, which one? neither ends
    assert report.ended == [] and len(live(mem, "dog's name")) == 2
    report = mem.ingest([user("We don't have cats anymore.")], "alice", session_id="s3", at=T2)
    assert len(report.ended) == 2 and live(mem, "cat's name") == []
    assert len(live(mem, "dog's name")) == 2  # another kind: kept


def test_in_memory_the_one_dog_there_is_ends(mem: MemOS) -> None:
    mem.ingest([user("My dog Rex is 3 and my cat is called Luna.")], "alice", session_id="s1",
               at=T1)
    report = mem.ingest([user("Sadly my dog died yesterday.")], "alice", session_id="s2", at=T2)
    assert len(report.ended) == 1 and live(mem, "dog's name") == []
    assert live(mem, "cat's name") == ["Alice's cat's name is Luna."]


# 2. A place moved out of

@pytest.mark.parametrize(("text", "expected"), [
    ("I moved out of Lyon.", {("city", "Lyon", True, False)}),
    ("I moved away from Lyon last year.", {("city", "Lyon", True, False)}),
    ("I just moved out of London and into a flat in town.", {("city", "London", True, False)}),
    ("I moved out of Lyon to Paris.", {("city", "Lyon", True, False),
                                       ("city", "Paris", False, False)}),
    ("I moved away from Lyon to be closer to my mum.", {("city", "Lyon", True, False)}),
    ("i moved away from lyon", {("city", "Lyon", True, False)}),
])
def test_a_place_moved_out_of_ends(text: str, expected: set[tuple[str, str, bool, bool]]) -> None:
    assert read(text) == expected


@pytest.mark.parametrize("text", [
    "I moved out of my parents' house.", "I moved out of the dorms last week.",
    "I moved away from home at 18.", "If I moved out of Lyon I'd miss it.",
])
def test_moving_out_of_no_place_ends_none(text: str) -> None:
    assert not any(neg for _attr, _value, neg, _every in read(text)), text


def test_in_memory_a_city_moved_out_of_ends(mem: MemOS) -> None:
    mem.ingest([user("I live in Lyon.")], "alice", session_id="s1", at=T1)
    report = mem.ingest([user("I moved out of Lyon.")], "alice", session_id="s2", at=T2)
    assert len(report.ended) == 1 and live(mem, "city") == []


# 3. The assistant, asked of a pet that is gone

def test_the_assistant_counts_no_pet_that_is_gone(tmp_path: Path) -> None:
    """Before, "Do I have a cat?" after "I don't have a cat any more" answered "You have 1 cat
    that I know of: Luna."; then the turn that stated Luna was quoted with the one that ended
    it; now (session 45) the count says none holds and names the one that ended. The dog that
    stays is still counted."""
    with MemOS.open(str(tmp_path / "store"), embedder="hashing") as mem:
        bot = Assistant(mem, "kai", backend="extractive")
        for i, turn in enumerate(["My name is Kai.", "I have a cat called Luna.",
                                  "My dog Rex is 3.", "Actually I don't have a cat anymore."]):
            bot.reply(turn, at=T1 + timedelta(minutes=i))
        cat = bot.reply("Do I have a cat?", at=T2).text
        assert cat == "You have no cats now that I know of; no longer: Luna.", cat
        pets = bot.reply("What pets do I have?", at=T2).text
        assert "1 pet" in pets and "Rex" in pets and "Luna" not in pets, pets


# 4. A relative who died: where they lived and worked ends, not who they were

LIVING = ("city", "country", "address", "employer", "job")


@pytest.mark.parametrize(("text", "relation", "name"), [
    ("My dad passed away on Sunday.", "father", None),
    ("Mum passed away in 2019.", "mother", None),
    ("my grandmother Rose died last year", "grandmother", "Rose"),
    ("Sadly my best friend passed away.", "best friend", None),
])
def test_a_relative_who_died(text: str, relation: str, name: str | None) -> None:
    out = {(e.subject, e.attribute, e.value, e.negated)
           for e in extract(text, "Alice", "user:alice", T1)}
    ended = {(f"{relation}'s {a}") for a in LIVING}
    assert {a for s, a, v, n in out if n and s == "Alice"} == ended
    assert all(v == "" for _s, _a, v, n in out if n)  # whatever the value
    if name is not None:  # the name is still theirs; their own facts end under it too
        assert ("Alice", f"{relation}'s name", name, False) in out
        assert {a for s, a, v, n in out if n and s == name} == set(LIVING)


@pytest.mark.parametrize("text", [
    "My phone died.", "My boss died laughing.", "If my dad died I'd be lost.",
    "Did your dad pass away?", "My dad nearly died last year.", "My doctor died.",
])
def test_no_death_of_a_relative(text: str) -> None:
    from memos.reader.rules import tells_a_death

    assert not any(e.negated for e in extract(text, "Alice", "user:alice", T1)), text
    assert not tells_a_death(text)


def test_in_memory_and_in_the_assistant(tmp_path: Path) -> None:
    with MemOS.open(str(tmp_path / "store"), embedder="hashing") as mem:
        bot = Assistant(mem, "kai", backend="extractive")
        bot.reply("my dad lives in Phoenix, he's a mechanic", at=T1)
        reply = bot.reply("my dad passed away on sunday. still processing it", at=T2)
        assert reply.text.startswith("I'm so sorry for your loss")
        assert "Phoenix" not in reply.text  # no list of what ended
        assert live(mem, "father's city") == [] and live(mem, "father's job") == []
        where = bot.reply("where does my dad live?", at=T2 + timedelta(days=1)).text
        assert "passed away" in where, where  # the turn that ended it is quoted with it
