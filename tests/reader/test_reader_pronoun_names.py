"""A relative named through a pronoun: "My brother lives in Leeds." / "His name is Jon.", and
a name corrected so: "My brother is called Jon." / "Actually his name is John, not Jon."

Before, both second turns stated nothing: the brother stayed unnamed, or stayed Jon (and a
"not Jon" alone would have left two brothers, a brother's name holding many)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from memos import MemOS
from memos.assistant import Assistant
from memos.reader.rules import Referents, extract
from tests.reader.helpers import live, user

T1 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
T2 = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)


def second(first: str, then: str) -> set[tuple[str, str, bool]]:
    """(attribute, value, negated) of the second turn, read after the first."""
    ref = Referents()
    before = extract(first, "Alice", "user:alice", referents=ref)
    return {(e.attribute, e.value, e.negated)
            for e in extract(then, "Alice", "user:alice", previous=before, referents=ref)}


@pytest.mark.parametrize(("first", "then", "expected"), [
    ("My brother lives in Leeds.", "His name is Jon.", {("brother's name", "Jon", False)}),
    ("My mom lives in Lima.", "Her name's Rosa.", {("mother's name", "Rosa", False)}),
    ("My sister works at Google.", "Oh and she's called Ana.", {("sister's name", "Ana", False)}),
    ("My grandfather is 90.", "His first name is Arthur.", {("grandfather's name", "Arthur", False)}),
])
def test_an_unnamed_relative_named_by_a_pronoun(first: str, then: str,
                                                expected: set[tuple[str, str, bool]]) -> None:
    assert second(first, then) == expected


def test_in_the_same_turn() -> None:
    out = {(e.attribute, e.value) for e in extract("My brother lives in Leeds. His name is Jon.",
                                                    "Alice", "user:alice")}
    assert out == {("brother's city", "Leeds"), ("brother's name", "Jon")}


@pytest.mark.parametrize(("first", "then", "old", "new"), [
    ("My brother is called Jon.", "Actually his name is John, not Jon.", "Jon", "John"),
    ("My brother is called Jon.", "Actually his name is John.", "Jon", "John"),
    ("My friend Sam is a nurse.", "Sorry, her name is Sara.", "Sam", "Sara"),
    ("My sister Ana lives in Porto.", "Oops, her name is Eva.", "Ana", "Eva"),
])
def test_a_relatives_name_corrected_by_a_pronoun(first: str, then: str, old: str,
                                                 new: str) -> None:
    rel = next(a for a, v, n in second(first, then) if not n)
    assert second(first, then) == {(rel, old, True), (rel, new, False)}


@pytest.mark.parametrize(("first", "then"), [
    ("My brother Jon lives in Leeds.", "His name is Jonathan actually."),  # a full name
    ("My brother Jonathan lives in Leeds.", "His name is Jon."),  # a short one
    ("My dog is called Rex.", "His name is Max actually."),  # a pet: no pronoun's referent
    ("My brother and my sister live in Leeds.", "Her name is Ana and his is Jon."),
    ("My brother Jon and my dad Tom live in Leeds.", "His name is Bob."),  # which one?
    ("I live in Leeds.", "His name is Jon."),  # no one named
    ("My brother lives in Leeds.", "Her name is Ana."),  # no woman named
    ("My brother lives in Leeds.", "His name is important to him."),
])
def test_a_pronoun_name_of_no_one_relative(first: str, then: str) -> None:
    assert not any("name" in a for a, _v, _n in second(first, then)), (first, then)


def test_in_memory_across_calls(mem: MemOS) -> None:
    """One turn per call, as the assistant sends them: the previous turn's people carry."""
    mem.ingest([user("My brother is called Jon.")], "alice", session_id="s1", at=T1)
    mem.ingest([user("Actually his name is John, not Jon.")], "alice", session_id="s1",
               at=T1 + timedelta(minutes=1))
    assert live(mem, "brother's name") == ["Alice's brother's name is John."]
    mem.ingest([user("My sister lives in Porto.")], "alice", session_id="s2", at=T2)
    mem.ingest([user("Her name is Ana.")], "alice", session_id="s2",
               at=T2 + timedelta(minutes=1))
    assert live(mem, "sister's name") == ["Alice's sister's name is Ana."]


def test_the_assistant_knows_the_corrected_name(tmp_path: Path) -> None:
    with MemOS.open(str(tmp_path / "store"), embedder="hashing") as mem:
        bot = Assistant(mem, "kai", backend="extractive")
        for i, turn in enumerate(["My name is Kai.", "My brother is called Jon.",
                                  "Actually his name is John, not Jon."]):
            bot.reply(turn, at=T1 + timedelta(minutes=i))
        name = bot.reply("What's my brother's name?", at=T2).text
        assert "John" in name and "Jon." not in name, name
        assert "1 brother" in bot.reply("How many brothers do I have?", at=T2).text
