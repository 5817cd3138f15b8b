"""A relative's facts are written under the relation ("my sister lives in Porto") or under
the name the user gave them ("Ana moved to Lisbon"); asked either way, by relation or by
name, the newer of the two answers. Before, "Where does my sister live?" kept Porto after
"Ana moved to Lisbon", and "Where does Ana live?" found nothing of "my sister"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from memos import MemOS
from memos.assistant import Assistant

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _answers(mem: MemOS, turns: list[str], questions: list[str]) -> list[str]:
    bot = Assistant(mem, "alice", backend="extractive")
    for day, turn in enumerate(turns):
        bot.reply(turn, session_id=f"s{day}", at=T0 + timedelta(days=day))
    return [bot.reply(q, session_id="q", at=T0 + timedelta(days=30)).text for q in questions]


@pytest.mark.parametrize(("turns", "value", "stale"), [
    (["My sister lives in Porto.", "My sister's name is Ana.", "Ana moved to Lisbon."],
     "Lisbon", "Porto"),
    (["Ana is my sister.", "Ana moved to Lisbon."], "Lisbon", None),
    (["My sister lives in Madrid.", "My sister's name is Ana."], "Madrid", None),
    (["My sister Ana lives in Madrid.", "My sister moved to Rome."], "Rome", "Madrid"),
])
def test_by_relation_or_by_name_the_newer_answers(mem: MemOS, turns: list[str], value: str,
                                                  stale: str | None) -> None:
    for text in _answers(mem, turns, ["Where does my sister live?", "Where does Ana live?"]):
        assert value in text, text
        assert stale is None or stale not in text, text


def test_a_name_finds_the_relations_fact(mem: MemOS) -> None:
    [text] = _answers(mem, ["My wife works at Google.", "My wife's name is Priya."],
                      ["Where does Priya work?"])
    assert "Google" in text, text


def test_another_persons_name_finds_nothing(mem: MemOS) -> None:
    [text] = _answers(mem, ["My sister lives in Madrid.", "My sister's name is Ana."],
                      ["Where does Eva live?"])
    assert "Madrid" not in text, text
