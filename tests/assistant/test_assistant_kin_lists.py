"""The names of every relative of a kind, asked in the plural ("What are my pets' names?",
"Who are my friends?", "What are my kids called?"), and a pet named by its breed ("I have a
golden retriever named Biscuit")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from memos import MemOS
from memos.assistant import Assistant
from memos.reader.questions import canonical_question
from memos.reader.rules import extract

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(("question", "attribute"), [
    ("What are my pets' names?", "pet's name"),
    ("What are my kids' names?", "kid's name"),
    ("What are my children called?", "child's name"),
    ("Who are my friends?", "friend's name"),
    ("what are the names of my dogs", "dog's name"),
    ("List my sisters", "sister's name"),
])
def test_plural_questions_ask_for_every_name(question: str, attribute: str) -> None:
    cq = canonical_question(question, "Alice")
    assert cq is not None and cq.every and cq.attribute == attribute and cq.about_user


@pytest.mark.parametrize("question", ["What are my plans?", "Who are my heroes?",
                                      "What's my dog's name?"])
def test_other_questions_are_not_plural_kin(question: str) -> None:
    cq = canonical_question(question, "Alice")
    assert cq is None or not cq.every


@pytest.mark.parametrize(("text", "expected"), [
    ("I have a golden retriever named Biscuit.", ("dog's name", "Biscuit")),
    ("We adopted a Siamese called Luna.", ("cat's name", "Luna")),
])
def test_a_pet_named_by_its_breed(text: str, expected: tuple[str, str]) -> None:
    assert [(e.attribute, e.value) for e in extract(text, "Alice", "user:alice", T0)] == [
        expected]


def test_every_pet_kid_and_friend_is_named(mem: MemOS) -> None:
    bot = Assistant(mem, "alice", backend="extractive")
    turns = ["I have a golden retriever named Biscuit.", "We adopted a cat called Luna.",
             "My son Tom is 8.", "My daughter Lily is 5.", "My friend Bob lives in Paris.",
             "My friend Carla lives in Rome."]
    for day, turn in enumerate(turns):
        bot.reply(turn, session_id=f"s{day}", at=T0 + timedelta(days=day))

    def ask(question: str) -> str:
        return bot.reply(question, session_id="q", at=T0 + timedelta(days=30)).text

    for question, names in [("What are my pets' names?", ("Biscuit", "Luna")),
                            ("What are my kids called?", ("Tom", "Lily")),
                            ("Who are my friends?", ("Bob", "Carla"))]:
        text = ask(question)
        assert all(name in text for name in names), (question, text)
    assert "Biscuit" not in ask("What are my sisters' names?")
