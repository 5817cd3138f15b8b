"""A many-valued attribute is answered with every value that holds (up to LIST_MAX, the rest
counted): "What am I allergic to?" once named only the two newest allergies and left an
older one out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from memos import MemOS
from memos.assistant import LIST_MAX, Assistant

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def test_every_allergy_is_named(mem: MemOS) -> None:
    bot = Assistant(mem, "alice", backend="extractive")
    bot.reply("I'm allergic to peanuts.", session_id="s1", at=T0)
    bot.reply("I'm also allergic to shellfish and penicillin.", session_id="s2",
              at=T0 + timedelta(days=1))
    for question in ("What am I allergic to?", "Do I have any allergies?"):
        reply = bot.reply(question, session_id="q", at=T0 + timedelta(days=2))
        for allergy in ("peanuts", "shellfish", "penicillin"):
            assert allergy in reply.text, reply.text
        assert len(reply.memories) == 3


def test_a_long_list_is_cut_and_counted(mem: MemOS) -> None:
    bot = Assistant(mem, "alice", backend="extractive")
    likes = [f"hobby{i:02d}" for i in range(LIST_MAX + 3)]
    bot.reply("I love " + ", ".join(likes[:-1]) + f" and {likes[-1]}.", session_id="s1", at=T0)
    reply = bot.reply("What do I like?", session_id="q", at=T0 + timedelta(days=1))
    assert sum(like in reply.text for like in likes) == LIST_MAX, reply.text
    assert reply.text.endswith("(And 3 more.)"), reply.text


def test_a_single_valued_answer_is_still_short(mem: MemOS) -> None:
    bot = Assistant(mem, "alice", backend="extractive")
    bot.reply("I live in Lisbon.", session_id="s1", at=T0)
    bot.reply("I moved to Porto.", session_id="s2", at=T0 + timedelta(days=1))
    reply = bot.reply("Where do I live?", session_id="q", at=T0 + timedelta(days=2))
    assert "Porto" in reply.text and len(reply.memories) == 1, reply.text
