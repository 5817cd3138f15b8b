"""Facts told as the past with their span, and questions asked of a period.

- "I lived in Leeds until 2018", "I lived in Denver from 2015 to 2017", "I worked at Google
  until March 2019": the end told is the fact's end (its `valid_to`, the period's first day;
  metadata `ended_by` its last), a start told its `valid_from`; said so ("until 2018",
  "from 2015 to 2017"). Before, the end was the day it was told.
- "Where did I live in 2019?": the values that held at some time in 2019 (before, the
  question was not understood and a turn was quoted)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from memos import MemOS
from memos.reader.questions import period_question
from memos.reader.rules import extract
from tests.assistant.helpers import ask, tell

AT = datetime(2026, 6, 1, 12, tzinfo=UTC)


def span(text: str) -> tuple[str, str, str, str]:
    (e,) = extract(text, "Alice", "user:alice", AT)
    return (str(e.when), str(e.when_latest), str(e.until), str(e.until_latest))


@pytest.mark.parametrize(("text", "expected"), [
    ("I lived in Leeds until 2018", ("None", "None", "2018-01-01", "2018-12-31")),
    ("I lived in Denver from 2015 to 2019", ("2015-01-01", "2015-12-31", "2019-01-01", "2019-12-31")),
    ("I lived in Leeds between 2010 and 2014", ("2010-01-01", "2010-12-31", "2014-01-01", "2014-12-31")),
    ("I worked at Google until March 2019", ("None", "None", "2019-03-01", "2019-03-31")),
    # a start after its end is no span
    ("I worked at Acme from 2019 to 2015", ("None", "None", "None", "None")),
])
def test_the_span_told(text: str, expected: tuple[str, str, str, str]) -> None:
    assert span(text) == expected


@pytest.mark.parametrize(("question", "asked", "said"), [
    ("where did I live in 2019?", "where do I live?", "2019"),
    ("where did I work in March 2019?", "where do I work?", "March 2019"),
    ("where was I living back in 2019?", "where am I living?", "2019"),
    ("what was my job in 2020?", "what is my job?", "2020"),
    ("where did my sister live in 2019?", "where does my sister live?", "2019"),
])
def test_a_period_asked(question: str, asked: str, said: str) -> None:
    found = period_question(question)
    assert found is not None and found[0] == asked and found[1][2] == said
    assert period_question("where do I live?") is None


def test_what_held_in_a_period(mem: MemOS) -> None:
    bot = tell(mem, [(0, "I lived in Leeds until 2018"), (0, "I moved to Manchester in 2018"),
                     (0, "I moved to London in 2022"), (0, "I lived in Denver from 2015 to 2017"),
                     (0, "I worked at Google until March 2019"),
                     (0, "My sister Ana lives in Rome")])
    assert ask(bot, "where did I live in 2019?") == (
        "In 2019, your city was Manchester (until 1 January 2022).")
    # Leeds's start is unknown: it is not said to have held in 2016, only in 2018
    assert ask(bot, "where did I live in 2016?") == (
        "In 2016, your city was Denver (from 2015 to 2017).")
    assert ask(bot, "where did I live in 2017?") == (
        "In 2017, your city was Denver (from 2015 to 2017).")  # (the end's own period)
    assert ask(bot, "where did I work in March 2019?") == (
        "In March 2019, your employer was Google (until March 2019).")
    assert ask(bot, "where did I work in 2018?") == "I don't know your employer in 2018."
    assert ask(bot, "where did I work in 2024?") == "I don't know your employer in 2024."
    assert ask(bot, "where did my sister live in 2026?").startswith("In 2026, Ana's city is Rome")
    history = ask(bot, "where have I lived?")
    assert "Denver (from 2015 to 2017), then Leeds (until 2018), then Manchester" in history


def test_a_past_without_its_time_held_in_no_period_said(mem: MemOS) -> None:
    bot = tell(mem, [(0, "I used to live in Seville."), (0, "I live in Porto.")])
    reply = ask(bot, "where did I live in 2026?")
    assert "Porto" in reply and "Seville" not in reply
    assert ask(bot, "where did I live in 1990?") == "I don't know your city in 1990."


def test_a_period_of_a_kind_of_relative(mem: MemOS) -> None:
    # a review finding: the spouse question of a wife lost its period and crashed
    bot = tell(mem, [(0, "My wife is Sam.")])
    assert ask(bot, "who was my spouse in 2026?").startswith("In 2026, your wife's name is Sam")
