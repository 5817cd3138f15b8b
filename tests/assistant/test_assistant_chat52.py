"""A user's audit of the chat, continued (2026-12-06): news said as a question ("did you know
I moved to Berlin?") was answered with unrelated quotes and not remembered; "I live in
london" after "Hi, I'm Alice." was not read, and a place typed in lower case was repeated
so ("Your city is london"); "what did we talk about last time?" quoted whatever a search
ranked; "what's the capital of France?" quoted a turn that shares no word with it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from memos import MemOS
from memos.assistant import Assistant, is_question
from tests.assistant.helpers import T0, ask, tell


@pytest.fixture
def mem(tmp_path: Path):
    with MemOS.open(tmp_path / "s") as store:
        yield store


@pytest.mark.parametrize("news", [
    "did you know I moved to Berlin?",
    "Did you know that I live in Berlin now?",
    "have I told you that I moved to Berlin?",
    "did I mention I moved to Berlin?",
])
def test_news_said_as_a_question_is_remembered(mem, news: str) -> None:
    bot = tell(mem, [(1, "I live in Paris."), (2, news)])
    assert "Berlin" in ask(bot, "where do I live?")
    assert "Paris" not in ask(bot, "where do I live?")


@pytest.mark.parametrize("asked", [
    "do you know where I live?", "did I tell you my sister's name?",
    "do you know my sister's name?", "did you know my favourite colour?",
    "have I told you about my job?",
])
def test_a_question_of_what_is_known_stays_a_question(asked: str) -> None:
    assert is_question(asked)


def test_a_known_place_typed_in_lower_case_is_read_and_named_as_it_is_written(mem) -> None:
    bot = tell(mem, [(1, "Hi, I'm Alice. I live in london and I work as a nurse."),
                     (2, "my sister lives in rio de janeiro")])
    assert "Your city is London" in ask(bot, "where do I live?")
    assert "Rio de Janeiro" in ask(bot, "where does my sister live?")


def test_what_we_talked_about_last_time_quotes_that_session_in_order(mem) -> None:
    bot = tell(mem, [(1, "I live in Paris."), (2, "My dog is called Rex."),
                     (2, "Sorry, I meant Max."), (2, "what is my dog called?")])
    reply = bot.reply("what did we talk about last time?", session_id="s9",
                      at=T0 + timedelta(days=9))
    assert reply.text.startswith("Last time we talked, on 4 March 2026, you told me "
                                 '"My dog is called Rex." and "Sorry, I meant Max."'), reply.text
    assert 'you asked "what is my dog called?"' in reply.text
    assert "Paris" not in reply.text  # an earlier session
    assert reply.route == "what an earlier conversation was about"
    assert {m.content for m in reply.memories} >= {"Alice: My dog is called Rex."}


def test_yesterday_and_a_forgotten_turn(mem) -> None:
    bot = tell(mem, [(1, "I live in Paris."), (3, "My dog is called Rex."),
                     (3, "I'm allergic to cats.")])
    at = T0 + timedelta(days=4)
    said = bot.reply("remind me what I told you yesterday", session_id="q4", at=at).text
    assert "Rex" in said and "cats" in said and "Paris" not in said
    bot.reply("forget that I'm allergic to cats", session_id="q4", at=at)
    said = bot.reply("what did we talk about yesterday?", session_id="q4", at=at).text
    assert "Rex" in said and "cats" not in said
    nothing = bot.reply("what did we talk about yesterday?", session_id="q9",
                        at=T0 + timedelta(days=9)).text
    assert nothing == "I don't have anything from our conversation yesterday."


def test_no_earlier_conversation(mem) -> None:
    bot = Assistant(mem, "alice", backend="extractive")
    assert bot.reply("what did we talk about last time?").text == \
        "I don't have an earlier conversation with you."


def test_a_question_nothing_speaks_of_quotes_nothing(mem) -> None:
    bot = tell(mem, [(1, "My sister Jane lives in Madrid."), (2, "Sorry, I meant Max."),
                     (3, "We went hiking in the Alps last summer.")])
    assert ask(bot, "what's the capital of France?") == "I don't have anything about that yet."
    # a memory that shares a word with the question is still quoted
    assert "Alps" in ask(bot, "where did we go hiking?")


@pytest.mark.parametrize(("day", "span"), [(0, "less than a day"), (1, "1 day"), (5, "5 days"),
                                            (20, "2 weeks"), (45, "1 month"),
                                            (800, "2 years and 2 months")])
def test_how_long_since_it_was_told_says_the_time_since(mem, day: int, span: str) -> None:
    bot = tell(mem, [(0, "I live in Leeds")])
    assert ask(bot, "how long have I lived in Leeds?", day=day) == (
        f"At least since 2 March 2026 ({span} ago), when you told me: your city is Leeds.")
