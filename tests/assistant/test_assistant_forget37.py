"""Forgetting a fact about someone else, asked as people ask it ("forget where Ana lives",
"forget how old Leo is"): it said "I had nothing stored" while the fact stayed the answer;
and a value too short to look for by its words ("6") stayed quoted from the turn."""

from __future__ import annotations

from memos import MemOS
from tests.assistant.helpers import ask, tell


def _told(tmp_path) -> tuple[MemOS, object]:
    mem = MemOS.open(tmp_path / "s", embedder="hashing")
    bot = tell(mem, [(1, "My sister Ana lives in Porto."), (1, "My son Leo is 6 and he loves Lego.")])
    return mem, bot


def test_forget_where_someone_lives_forgets_the_fact_and_its_turn(tmp_path) -> None:
    mem, bot = _told(tmp_path)
    try:
        out = bot.forget_matching("where Ana lives")
        assert any("Ana's city is Porto" in content for _, content, _ in out)
        assert "Porto" not in ask(bot, "Where does Ana live?")
        assert "sister" in ask(bot, "Who is Ana?")  # her name as a sister is kept
        assert not [h for h in mem.search("Porto", "alice", k=20) if "Porto" in h.content]
    finally:
        mem.close()


def test_forget_how_old_someone_is_reaches_the_turn_that_said_a_short_value(tmp_path) -> None:
    mem, bot = _told(tmp_path)
    try:
        bot.forget_matching("how old Leo is")
        assert "6" not in ask(bot, "How old is Leo?")
        assert "Leo" in ask(bot, "Who is my son?")  # not forgotten: the request named Leo
        assert not [h for h in mem.search("Leo is 6", "alice", k=20)
                    if "Leo is 6" in h.content or "age is 6" in h.content]
    finally:
        mem.close()
