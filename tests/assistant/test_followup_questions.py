"""A follow-up that names only what it asks ("And my name?", "what about my job?") is the
question of that fact. A fresh-eyes review found "And my name?", with only a city stored,
answered "Your city is Rome": the question was read as about no fact, and the nearest turn
was quoted."""

from __future__ import annotations

from pathlib import Path

import pytest

from memos import Assistant, MemOS
from memos.reader.questions import canonical_question


@pytest.mark.parametrize(("text", "question"), [
    ("And my name?", "What is Alice's name?"),
    ("what about my job?", "What is Alice's job?"),
    ("my birthday?", "What is Alice's birthday?"),
    ("How about my sister's name?", "What is Alice's sister's name?"),
    ("and what about Dave's phone number?", "What is Dave's phone number?"),
    ("and my work email?", "What is Alice's work email?"),
    ("and our dog's name?", "What is Alice's dog's name?"),
])
def test_a_follow_up_is_the_question_it_names(text: str, question: str) -> None:
    asked = canonical_question(text, "Alice")
    assert asked is not None and asked.question == question


@pytest.mark.parametrize("text", ["what about my sister?", "And my dog?", "what about Ana?",
                                  "My place or yours?", "what about my parents?",
                                  "what about my sisters?", "my sister lives where?",
                                  "what about my kids' names?", "what about my old boss?"])
def test_a_relative_or_a_person_alone_is_no_one_fact(text: str) -> None:
    assert canonical_question(text, "Alice") is None


def test_a_follow_up_about_an_unknown_fact_says_so(tmp_path: Path) -> None:
    with MemOS.open(tmp_path / "s", embedder="hashing") as mem:
        bot = Assistant(mem, "alice")
        bot.reply("I live in Rome.")
        bot.reply("My sister Ana lives in Oslo.")
        for text in ("And my name?", "what about my job?", "my name?"):
            assert "Rome" not in bot.reply(text).text
        assert "Rome" in bot.reply("and where do I live?").text
        assert "Ana" in bot.reply("what about my sister?").text
