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
    replaced here: the model reading a megabyte is not what is tested, and the limit is
    lowered to 40 kB (55 turns of the full size were a half-minute test)."""
    import memos.assistant

    given: list[str] = []
    limit = 40_000
    assert limit < MAX_CONTENT_BYTES
    monkeypatch.setattr(memos.assistant, "MAX_CONTENT_BYTES", limit)

    def save_session(scope: Any, session_id: str, text: str, *, model: Any = None) -> None:
        given.append(text)

    with MemOS.open(store_path, embedder="hashing") as mem:
        monkeypatch.setattr(mem, "save_session", save_session)
        bot = Assistant(mem, "bob", session_id="s1", backend="extractive")
        filler = "zyx " * ((MAX_TURN_CHARS - 100) // 4 // 4)
        n = limit // len(filler) + 3
        for i in range(n):
            bot.reply(f"note {i} {filler}")
        full = bot.transcript("s1")
        assert len(full.encode()) > limit
        ended = bot.end_session("s1")
        assert ended.turns == n and ended.summary_id is not None
        [text] = given
        assert len(text.encode()) <= limit
        assert full.endswith("\n" + text) and text.endswith("assistant: Noted.")  # newest, whole
        assert len(text.encode()) > limit - 2 * len(filler)  # as many as fit
        assert bot.transcript("s1") == ""  # ended: nothing left half done


def test_a_session_continued_after_its_end_keeps_what_was_saved_before(store_path: str) -> None:
    """Before: `memos chat --session ID` on an ended session saved only the new turns as the
    session's transcript (a new version that dropped the earlier ones), so its state and
    `resume` knew nothing of the first part. Now the earlier transcript leads the new turns,
    in another process (a new Assistant) as in the same one."""
    with MemOS.open(store_path, embedder="hashing") as mem:
        first = Assistant(mem, "dana", session_id="s1", backend="extractive")
        first.reply("I live in Oslo.")
        assert first.end_session().saved is not None
        again = Assistant(mem, "dana", session_id="s1", backend="extractive")
        again.reply("I work as a nurse.")
        ended = again.end_session()
        assert ended.saved is not None and ended.saved.transcript_version == 2
        text = mem.session_transcript("dana", "s1").content
        assert text.index("I live in Oslo.") < text.index("I work as a nurse.")
        assert text.count("I live in Oslo.") == 1
        again.reply("My cat is Tom.", session_id="s1")  # the same process, a third time
        again.end_session("s1")
        text = mem.session_transcript("dana", "s1").content
        assert [t in text for t in ("Oslo", "nurse", "Tom")] == [True] * 3
        assert mem.session_transcript("bob", "s1") is None  # another user's session: none
        other = Assistant(mem, "dana", session_id="s2", backend="extractive")
        other.reply("I like tea.")
        other.end_session()
        assert "Oslo" not in mem.session_transcript("dana", "s2").content


def test_a_continued_session_leaves_out_a_saved_turn_forgotten_since(store_path: str) -> None:
    """A saved transcript holding a turn forgotten later is forgotten with it (the copies
    rule), so continuing the session does not bring the turn's words back."""
    with MemOS.open(store_path, embedder="hashing") as mem:
        bot = Assistant(mem, "dana", session_id="s1", backend="extractive")
        bot.reply("I like mint tea.")
        bot.reply("My locker code is quirkozax.")
        bot.end_session()
        mem.forget(_user_turn(mem, "dana", "quirkozax"), "dana")
        assert mem.session_transcript("dana", "s1") is None
        bot.reply("I live in Oslo.", session_id="s1")
        bot.end_session("s1")
        text = mem.session_transcript("dana", "s1").content
        assert "Oslo" in text and "quirkozax" not in text
