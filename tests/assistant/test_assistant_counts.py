"""Count questions ("How many kids do I have?", "How many allergies do I have?") are answered
with the number and the items, counting only the user's own facts that hold, and a number
only when it is stated or the items known are counted: never one made up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from memos import MemOS
from memos.assistant import Assistant

T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


def _told(mem: MemOS, turns: list[str], backend: str = "extractive") -> Assistant:
    bot = Assistant(mem, "alice", backend=backend)  # type: ignore[arg-type]
    for day, turn in enumerate(turns):
        bot.reply(turn, session_id=f"s{day}", at=T0 + timedelta(days=day))
    return bot


def _ask(bot: Assistant, question: str) -> str:
    return bot.reply(question, session_id="q", at=T0 + timedelta(days=40)).text


@pytest.mark.parametrize("question", [
    "How many kids do I have?",
    "How many children do I have?",
    "how many kids have I got",
    "Do you know how many kids I have?",
])
def test_a_stated_count_with_its_names(mem: MemOS, question: str) -> None:
    bot = _told(mem, ["I have two kids, Maya and Leo."])
    assert _ask(bot, question) == "You have 2 children: Maya and Leo."


def test_relatives_are_counted_by_kind_and_a_relatives_own_are_not(mem: MemOS) -> None:
    bot = _told(mem, ["My son Tom is 8.", "My daughter Lily is 5.",
                      "My sister Ana has two kids, Max and Mia.",
                      "My sister Ana lives in Porto.", "My sister Bea is a nurse.",
                      "I have a dog named Rex.", "We adopted a cat called Luna."])
    kids = _ask(bot, "How many kids do I have?")
    assert "2 children" in kids and "Tom" in kids and "Lily" in kids, kids
    assert "Max" not in kids and "Mia" not in kids and "Rex" not in kids, kids
    pets = _ask(bot, "How many pets do I have?")
    assert "2 pets" in pets and "Rex" in pets and "Luna" in pets and "Tom" not in pets, pets
    sisters = _ask(bot, "How many sisters do I have?")
    assert "2 sisters" in sisters and "Ana" in sisters and "Bea" in sisters, sisters


def test_a_relatives_stated_count_is_not_the_users(mem: MemOS) -> None:
    bot = _told(mem, ["My sister Ana has two kids, Max and Mia.", "I live in Lisbon."])
    for question in ("How many kids do I have?", "How many children have I got?"):
        text = _ask(bot, question)
        assert text == "I don't have anything about that yet.", (question, text)


@pytest.mark.parametrize("question", ["How many allergies do I have?",
                                      "How many things am I allergic to?",
                                      "how many food allergies have I got?"])
def test_an_allergy_that_ended_is_not_counted(mem: MemOS, question: str) -> None:
    bot = _told(mem, ["I'm allergic to peanuts and shellfish.",
                      "Good news: I'm no longer allergic to peanuts."])
    text = _ask(bot, question)
    assert "1 allergy" in text and "shellfish" in text and "peanuts" not in text, text


def test_a_count_of_one_value_is_a_count_under_auto(mem: MemOS) -> None:
    """One allergy: the model would say the value; the count is answered offline."""
    bot = _told(mem, ["I'm allergic to shellfish."], backend="auto")
    reply = bot.reply("How many allergies do I have?", session_id="q",
                      at=T0 + timedelta(days=40))
    assert reply.backend == "extractive" and "1 allergy" in reply.text, reply


def test_a_stated_count_with_fewer_names_known_says_both(mem: MemOS) -> None:
    bot = _told(mem, ["I have three kids.", "My son Tom is 8."])
    text = _ask(bot, "How many kids do I have?")
    assert "3 children" in text and "Tom" in text and "only know" in text, text
    assert "1 child:" not in text and "You have 1" not in text, text


def test_a_stated_count_with_no_names_is_not_padded(mem: MemOS) -> None:
    bot = _told(mem, ["I have three kids."])
    text = _ask(bot, "How many children do I have?")
    assert text.startswith("You have 3 children") and "don't know their names" in text, text


def test_none_stated(mem: MemOS) -> None:
    bot = _told(mem, ["I have no kids."])
    assert _ask(bot, "How many kids do I have?").startswith("You have no children")


def test_known_names_beyond_a_stated_count_are_all_said(mem: MemOS) -> None:
    bot = _told(mem, ["I have two kids.", "My son Tom is 8.", "My daughter Lily is 5.",
                      "My son Sam is 1."])
    text = _ask(bot, "How many kids do I have?")
    assert "3 children" in text and all(n in text for n in ("Tom", "Lily", "Sam")), text
    assert "you have 2 children" in text, text


def test_other_how_many_questions_are_no_kids_count(mem: MemOS) -> None:
    bot = _told(mem, ["My son Tom is 8.", "My daughter Lily is 5.", "I went to Paris last year.",
                      "I earn 50k a year."])
    assert "2 children" in _ask(bot, "How many kids do I have?")
    for question, said in [("How many times did I go to Paris?", "Paris"),
                           ("How much do I earn?", "50k")]:
        text = _ask(bot, question)
        assert said in text and "children" not in text and "You have" not in text, (
            question, text)
    text = _ask(bot, "How many kids does my sister have?")
    assert "You have" not in text and "2 children" not in text, text
