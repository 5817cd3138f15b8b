"""Adversarial review 14c of the assistant: what forgetting a turn leaves behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from memos import MemOS
from memos.assistant import Assistant


def _user_turn(mem: MemOS, user: str, words: str) -> str:
    return next(h.id for h in mem.search(words, user, k=50)
                if h.cube.kind.value == "episode" and h.cube.metadata.get("role") == "user"
                and words in h.content)


def _files_holding(store_path: str, data: bytes) -> list[str]:
    return [str(p) for p in Path(store_path).rglob("*") if p.is_file() and data in p.read_bytes()]


def _left(mem: MemOS, user: str, words: str) -> list[str]:
    return [h.content for h in mem.search(words, user, k=50, include_superseded=True)
            if words in h.content]


def test_forget_and_purge_of_a_turn_or_fact_reach_the_session_summary(store_path: str) -> None:
    """MemOS.forget / purge of a turn (any SDK caller, docs/READER.md "Forgetting a turn") or
    of a fact read from it must reach the session summary, which quotes the questions asked
    word for word and the facts' values. Before: the summary kept "Asked: Do you remember the
    quirkophone shop on Zaxby Lane?" and "city: Quorbridge" after forget, and memos.db kept
    them after purge."""
    with MemOS.open(store_path) as mem:
        bot = Assistant(mem, "bob", session_id="s1")
        bot.reply("I live in Quorbridge.")
        bot.reply("Do you remember the quirkophone shop on Zaxby Lane?")
        ended = bot.end_session()
        summary = mem.get(ended.summary_id, "bob").content
        assert "Zaxby Lane" in summary and "Quorbridge" in summary
        turn = _user_turn(mem, "bob", "shop on Zaxby Lane")
        fact = next(h.id for h in mem.search("Quorbridge", "bob", k=20, kind="fact"))
        mem.forget(turn, "bob")
        mem.forget(fact, "bob")
        assert not [c for c in _left(mem, "bob", "Zaxby Lane") if "session s1" in c]
        assert not [c for c in _left(mem, "bob", "Quorbridge") if "session s1" in c]
        mem.purge(turn, "bob")
        mem.purge(fact, "bob")
        mem.flush()
        with pytest.raises(Exception):  # noqa: B017 (NotFoundError: erased with its sources)
            mem.get(ended.summary_id, "bob")


@pytest.mark.xfail(strict=True, reason="not fixed (review 14c): the saved transcript of "
                   "save_session and the assistant's own replies copy a turn's words and "
                   "are not derived from it, so forget/purge of the turn leave them")
def test_forget_and_purge_of_a_turn_reach_the_transcript_and_replies_quoting_it(
        store_path: str) -> None:
    """The session's saved transcript (and the state read from it) holds every turn word for
    word, and an extractive reply quotes the user's turn ("On ... you said: I live in Leeds
    and I collect quirkophone zithers."). After MemOS.forget of the turn search still finds
    both, and after purge memos.db still holds them."""
    with MemOS.open(store_path) as mem:
        bot = Assistant(mem, "bob", session_id="s1")
        bot.reply("I live in Leeds and I collect quirkophone zithers.")
        bot.reply("what did I say about quirkophone zithers?")
        assert bot.end_session().saved is not None
        turn = _user_turn(mem, "bob", "collect quirkophone zithers")
        mem.forget(turn, "bob")
        assert not _left(mem, "bob", "collect quirkophone zithers")
        mem.purge(turn, "bob")
        mem.flush()
        assert not _files_holding(store_path, b"collect quirkophone zithers")
