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


def test_forget_a_like_by_part_of_its_name(tmp_path) -> None:
    mem = MemOS.open(tmp_path / "s", embedder="hashing")
    try:
        bot = tell(mem, [(1, "I'm a huge fan of Studio Ghibli."), (1, "I like jazz.")])
        out = bot.forget_matching("that I like Ghibli")
        assert any("Studio Ghibli" in content for _, content, _ in out)
        answer = ask(bot, "What do I like?")
        assert "Ghibli" not in answer and "jazz" in answer
        # a word that is no whole word of the value names nothing
        assert bot.forget_matching("that I like jaz") == []
    finally:
        mem.close()
