"""What assistant and reader tests share: a user's turns told to the extractive assistant
one session a day from T0, and questions asked in a later session."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from memos import MemOS
from memos.assistant import Assistant

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def tell(mem: MemOS, turns: list[tuple[int, str]], user: str = "alice") -> Assistant:
    """An extractive assistant of `user` told each (day, turn) in session "s<day>"."""
    bot = Assistant(mem, user, backend="extractive")
    for day, turn in turns:
        bot.reply(turn, session_id=f"s{day}", at=T0 + timedelta(days=day))
    return bot


def ask(bot: Assistant, question: str, day: int = 90) -> str:
    """The reply to `question`, asked in session "q<day>" on that day."""
    return bot.reply(question, session_id=f"q{day}", at=T0 + timedelta(days=day)).text


def live_texts(mem: MemOS, user: str) -> list[str]:
    """The texts of a user's live memories (up to 200)."""
    return [c.content for c in mem.list_memories(user, limit=200).items]
