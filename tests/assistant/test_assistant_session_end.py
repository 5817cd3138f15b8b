"""Assistant.end_session after the session's turns were forgotten or purged, and with a
transcript over a memory's size limit (found by a review)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from memos import MemOS
from memos.assistant import MAX_TURN_CHARS, Assistant
from memos.cube import MAX_CONTENT_BYTES


def _user_turn(mem: MemOS, user: str, words: str) -> str:
    return next(h.id for h in mem.search(words, user, k=50)
                if h.cube.kind.value == "episode" and h.cube.metadata.get("role") == "user"
                and words in h.content)


def _files_holding(store_path: str, data: bytes) -> list[str]:
    return [str(p) for p in Path(store_path).rglob("*") if p.is_file() and data in p.read_bytes()]


@pytest.mark.parametrize("erase", [False, True])
def test_a_turn_forgotten_or_purged_mid_session_is_not_written_again_at_its_end(
        store_path: str, erase: bool) -> None:
    """Before: the assistant kept the session's turns in memory and end_session wrote them
    all into the saved transcript (and asked questions into the summary), so a turn purged
    (or forgotten) during the session was stored again when it ended: memos.db held its
    words, search found them. The other turns are still saved."""
    with MemOS.open(store_path, embedder="hashing") as mem:
        bot = Assistant(mem, "bob", session_id="s1")
        bot.reply("I like mint tea.")
        bot.reply("Do you know the quirkozax shop on Zaxby Lane?")
        turn = _user_turn(mem, "bob", "quirkozax shop")
        if erase:
            mem.purge(turn, "bob")
        else:
            mem.forget(turn, "bob")
        ended = bot.end_session()
        assert ended.saved is not None and ended.turns == 1
        saved = mem.get(ended.saved.transcript_id, "bob").content
        assert "mint tea" in saved and "quirkozax" not in saved
        assert "quirkozax" not in mem.get(ended.summary_id, "bob").content
        assert not [h for h in mem.search("quirkozax shop Zaxby", "bob", k=50,
                                          include_superseded=True) if "quirkozax" in h.content]
        mem.flush()
    if erase:
        assert _files_holding(store_path, b"quirkozax") == []


def test_a_transcript_over_the_size_limit_ends_the_session(store_path: str,
                                                           monkeypatch: Any) -> None:
    """Before: end_session wrote the summary, then save_session refused the transcript over
    MAX_CONTENT_BYTES (InvalidInputError) and the session was left half ended: summary
    written, turns kept, the assistant on a new session id. Now the newest whole turns that
    fit are saved (every turn is stored as its own episode already). save_session is
    replaced here: the model reading a megabyte is not what is tested."""
    given: list[str] = []

    def save_session(scope: Any, session_id: str, text: str, *, model: Any = None) -> None:
        given.append(text)

    with MemOS.open(store_path, embedder="hashing") as mem:
        monkeypatch.setattr(mem, "save_session", save_session)
        bot = Assistant(mem, "bob", session_id="s1", backend="extractive")
        filler = "zyx " * ((MAX_TURN_CHARS - 100) // 4)
        n = MAX_CONTENT_BYTES // len(filler) + 3
        for i in range(n):
            bot.reply(f"note {i} {filler}")
        full = bot.transcript("s1")
        assert len(full.encode()) > MAX_CONTENT_BYTES
        ended = bot.end_session("s1")
        assert ended.turns == n and ended.summary_id is not None
        [text] = given
        assert len(text.encode()) <= MAX_CONTENT_BYTES
        assert full.endswith("\n" + text) and text.endswith("assistant: Noted.")  # newest, whole
        assert len(text.encode()) > MAX_CONTENT_BYTES - 2 * len(filler)  # as many as fit
        assert bot.transcript("s1") == ""  # ended: nothing left half done
