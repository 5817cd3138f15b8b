"""A request to forget something does not forget, nor name, the user's questions that only
asked about it ("what's my favourite colour?" holds no memory of the colour); a question
that says more ("is my favourite colour green?", "what should I eat with my diabetes?") is
forgotten with it."""

from __future__ import annotations

from pathlib import Path

import pytest

from memos import MemOS
from memos.assistant import Assistant, _tells
from tests.assistant.helpers import live_texts


@pytest.fixture
def mem(tmp_path: Path):
    with MemOS.open(tmp_path / "s") as store:
        yield store


def test_only_a_question_asked_is_nothing_stored(mem) -> None:
    chat = Assistant(mem, "fay")
    chat.reply("what's my favourite colour?")
    reply = chat.reply("forget my favourite colour")
    assert reply.forgotten == []
    assert "nothing stored" in reply.text and "what's my favourite colour" not in reply.text
    assert "Fay: what's my favourite colour?" in live_texts(mem, "fay")


def test_the_fact_goes_and_the_bare_question_stays(mem) -> None:
    chat = Assistant(mem, "fay")
    chat.reply("what's my favourite colour?")
    chat.reply("My favourite colour is green.")
    chat.reply("is my favourite colour green?")  # says the value: forgotten with it
    reply = chat.reply("forget my favourite colour")
    assert "what's my favourite colour" not in reply.text
    live = live_texts(mem, "fay")
    assert not any("green" in c.lower() for c in live), live
    assert "Fay: what's my favourite colour?" in live
    assert "green" not in chat.reply("what's my favourite colour?").text


def test_a_question_that_tells_something_is_forgotten(mem) -> None:
    chat = Assistant(mem, "fay")
    chat.reply("what should I eat with my diabetes?")
    reply = chat.reply("forget my diabetes")
    assert len(reply.forgotten) >= 1
    assert not any("diabetes" in c for c in live_texts(mem, "fay"))


@pytest.mark.parametrize(("text", "key", "told"), [
    ("Fay: what's my favourite colour?", "my favourite colour", False),
    ("what is my favourite colour", "my favourite colour", False),
    ("Fay: is my favourite colour green?", "my favourite colour", True),
    ("Fay: Hi! What's my favourite colour?", "my favourite colour", False),
    ("Fay: what's my favourite colour? Fay: My favourite colour is green.",
     "my favourite colour", True),
    ("Fay: My favourite colour is green.", "my favourite colour", True),
    ("Fay: where do I live?", "where i live", False),
    ("Fay: what should I eat with my diabetes?", "my diabetes", True),
    ("Fay: tell me about dogs", "my favourite colour", False),  # not held at all
])
def test_tells(text: str, key: str, told: bool) -> None:
    assert _tells(text, key) is told
