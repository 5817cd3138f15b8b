"""Questions about one kind of like ("What music do I like?", "What food do I like?") are
answered with the likes of that kind (and favourites of it), not every like; a like that
ended is not listed; when no like is of the kind, the reply says so before the others."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from memos import MemOS
from memos.assistant import Assistant

T0 = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)

TASTES = ["I love jazz and pizza.", "I love playing tennis.", "I'm into sushi.",
          "I love the movie Inception.", "I enjoy reading Dune.",
          "I love listening to Taylor Swift."]


def _told(mem: MemOS, turns: list[str]) -> Assistant:
    bot = Assistant(mem, "alice", backend="extractive")
    for day, turn in enumerate(turns):
        bot.reply(turn, session_id=f"s{day}", at=T0 + timedelta(days=day))
    return bot


def _ask(bot: Assistant, question: str) -> str:
    return bot.reply(question, session_id="q", at=T0 + timedelta(days=30)).text


ALL = ("jazz", "pizza", "tennis", "sushi", "Inception", "Dune", "Taylor Swift")


@pytest.mark.parametrize(("questions", "expected"), [
    (["What music do I like?", "what kind of music am I into?", "Which music do I love?",
      "What do I like listening to?"], ("jazz", "Taylor Swift")),
    (["What food do I like?", "What kind of food am I into?", "what cuisine am I a fan of?",
      "What do I like to eat?"], ("pizza", "sushi")),
    (["What sports do I like?", "what sports am I into"], ("tennis",)),
    (["What films do I like?", "What movies do I enjoy?"], ("Inception",)),
    (["What books do I like?", "What do I like to read?"], ("Dune",)),
])
def test_likes_of_the_kind_asked(mem: MemOS, questions: list[str],
                                 expected: tuple[str, ...]) -> None:
    bot = _told(mem, TASTES)
    for question in questions:
        text = _ask(bot, question)
        assert all(v in text for v in expected), (question, text)
        assert not any(v in text for v in ALL if v not in expected), (question, text)


def test_every_like_when_no_kind_is_asked(mem: MemOS) -> None:
    bot = _told(mem, TASTES)
    assert "pizza" not in _ask(bot, "What music do I like?")
    text = _ask(bot, "What do I like?")
    assert all(v in text for v in ALL), text


def test_a_like_that_ended_is_not_listed(mem: MemOS) -> None:
    bot = _told(mem, ["I love jazz and techno.", "I love ramen.",
                      "I don't like jazz anymore."])
    text = _ask(bot, "What kind of music do I like?")
    assert "techno" in text and "jazz" not in text and "ramen" not in text, text


def test_the_kind_said_in_the_same_clause_and_a_favourite(mem: MemOS) -> None:
    """"Coltrane" says nothing of its kind; "rock music" beside it does. A favourite band is
    music too."""
    bot = _told(mem, ["I love Coltrane and rock music.", "My favourite band is Radiohead.",
                      "I love pizza.", "My sister loves techno."])
    music = _ask(bot, "What music do I like?")
    assert all(v in music for v in ("Coltrane", "rock music", "Radiohead")), music
    assert "pizza" not in music and "techno" not in music, music
    food = _ask(bot, "What food do I like?")
    assert "pizza" in food and "Coltrane" not in food and "Radiohead" not in food, food


def test_no_like_of_the_kind_says_so(mem: MemOS) -> None:
    bot = _told(mem, ["I love hiking in the Peak District.", "I love Korean food."])
    text = _ask(bot, "What music do I like?")
    assert text.startswith("I don't know what music you like yet."), text
    assert "hiking" in text and "Korean food" in text, text

