"""Forgetting a person named by how they are related to the user ("forget my sister",
"forget about my brother"): only the turn's words "my sister" were looked for, so the facts
read from that turn were stored again on their own and the assistant kept answering where
she lives and who she is (user probe, session 38)."""

from __future__ import annotations

import pytest

from memos import MemOS
from tests.assistant.helpers import ask, tell


@pytest.mark.parametrize("request_", ["my sister", "about my sister",
                                      "everything about my sister"])
def test_forget_a_relation_forgets_the_person_and_what_was_said_of_her(tmp_path,
                                                                       request_: str) -> None:
    mem = MemOS.open(tmp_path / "s", embedder="hashing")
    bot = tell(mem, [(1, "My sister Lena lives in Berlin and works at SAP."),
                     (1, "My brother Arjun lives in Toronto."),
                     (2, "I live in Berlin.")])
    try:
        out = bot.forget_matching(request_)
        assert not [c for _, c, how in out if how == "kept" and "Lena" in c]
        # (before the questions below, which are stored as turns naming her)
        assert not [h for h in mem.search("Lena", "alice", k=20) if "Lena" in h.content]
        assert "Lena" not in ask(bot, "Who is my sister?")
        assert "Berlin" not in ask(bot, "Where does Lena live?")
        assert "SAP" not in ask(bot, "Where does Lena work?")
        # the brother, and the user's own city (the same value), stay
        assert "Toronto" in ask(bot, "Where does Arjun live?")
        assert "Berlin" in ask(bot, "Where do I live?")
    finally:
        mem.close()


def test_a_relation_with_no_name_stored_forgets_as_before(tmp_path) -> None:
    mem = MemOS.open(tmp_path / "s", embedder="hashing")
    bot = tell(mem, [(1, "My address is 12 Elm Street."), (1, "My boss is strict.")])
    try:
        bot.forget_matching("my address")
        assert "Elm" not in ask(bot, "What is my address?")
        out = bot.forget_matching("my cousin")  # nobody stored as a cousin
        assert out == []
    finally:
        mem.close()


def test_the_persons_name_is_no_word_to_forget_everywhere(tmp_path) -> None:
    """A name is often a word ("May", "Will"): only the facts about the person and the
    turns they were read from go, not every memory holding the word (review)."""
    mem = MemOS.open(tmp_path / "s", embedder="hashing")
    bot = tell(mem, [(1, "My sister May lives in Leeds."), (1, "I may move to Spain next year."),
                     (2, "My favourite month is May."),
                     (2, "My friend Tom works at Google."), (2, "My friend Ben lives in Rome.")])
    try:
        out = bot.forget_matching("my sister")
        assert {c for _, c, _ in out} >= {"Alice's sister's name is May.",
                                         "May's city is Leeds."}
        left = [h.content for h in mem.search("may month Spain", "alice", k=20)]
        assert "Alice: I may move to Spain next year." in left
        assert any("favourite month is May" in c for c in left)
        # two friends: "my friend" names neither of them
        bot.forget_matching("my friend")
        assert "Google" in ask(bot, "Where does Tom work?")
        assert "Rome" in ask(bot, "Where does Ben live?")
    finally:
        mem.close()
