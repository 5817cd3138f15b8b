"""Questions a user probe asked that got a wrong answer (session 38)."""

from __future__ import annotations

from memos import MemOS
from tests.assistant.helpers import ask, tell


def test_a_last_name_is_not_answered_with_a_first_name(tmp_path) -> None:
    mem = MemOS.open(tmp_path / "s", embedder="hashing")
    try:
        bot = tell(mem, [(1, "Hiya, Tom here.")])
        for question in ("What's my last name?", "What is my surname?"):
            answer = ask(bot, question)
            assert answer.startswith("I don't know your last name"), answer
        assert ask(bot, "What is my first name?") == "Your first name is Tom."
        bot = tell(mem, [(2, "My name is Tom Baker.")], user="bob")
        assert ask(bot, "What is my last name?") == "Your last name is Baker."
    finally:
        mem.close()
