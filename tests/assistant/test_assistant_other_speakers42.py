"""A group conversation's other speakers (a message's "name") are not the user: a fresh-eyes
test (2026-12-05) found "what am i allergic to?" answered with Bob's turn "I live in Oslo
and I'm allergic to penicillin" (its "I" read as the user's)."""

from __future__ import annotations

from memos import MemOS
from memos.assistant import Assistant


def test_another_speakers_first_person_is_not_the_users(mem: MemOS) -> None:
    mem.ingest([{"role": "user", "content": "Hi all, I work at Wise."},
                {"role": "user", "name": "Bob",
                 "content": "I live in Oslo and I'm allergic to penicillin."}],
               "priya", session_id="grp")
    bot = Assistant(mem, "priya", backend="extractive", learn=False)
    for question in ("what am i allergic to?", "where do i live?"):
        assert "penicillin" not in bot.reply(question).text
        assert "Oslo" not in bot.reply(question).text
    assert "Wise" in bot.reply("where do i work?").text
    assert "Oslo" in bot.reply("Where does Bob live?").text  # his own words, of him


def test_mistyped_question_words_and_one_pets_names(mem: MemOS) -> None:
    """A fresh-eyes test: "waht is my job" led with the ex-boyfriend's job, "wher do i liv"
    was noted as a statement, and "what are my pets names?" of one dog was "I don't know."
    (the model reads no "pet's name" in "dog's name")."""
    bot = Assistant(mem, "sam")
    for turn in ("My boyfriend Tom is a chef.", "I started a new job as a pharmacist at Boots.",
                 "I live in Leeds.", "I have a dog called Rex."):
        bot.reply(turn)
    assert bot.reply("waht is my job").text == "Your job is pharmacist."
    assert bot.reply("wat is my job?").text == "Your job is pharmacist."
    assert "Leeds" in bot.reply("wher do i liv").text
    assert "Boots" in bot.reply("where do i wrok?").text
    for question in ("what are my pets names?", "what r my pets names"):
        assert "Rex" in bot.reply(question).text, question


def test_a_name_typed_in_lower_case_in_a_question(mem: MemOS) -> None:
    """A fresh-eyes test: "Who is Emma?" gave the facts, "who is emma" quoted a turn;
    "where does bob live?" (no Bob known) quoted turns about others."""
    bot = Assistant(mem, "sam")
    for turn in ("My sister Emma lives in Bristol.", "My boyfriend Tom is a chef.",
                 "I live in Berlin."):
        bot.reply(turn)
    assert bot.reply("who is emma").text == bot.reply("Who is Emma?").text
    assert bot.reply("where does emma live?").text == "Emma's city is Bristol."
    assert bot.reply("what does tom do?").text == "Tom's job is chef."
    assert "Berlin" not in bot.reply("where does bob live?").text
    assert bot.reply("who is bob").text == "I don't know who Bob is yet."


def test_mending_and_names_leave_names_kin_and_exclamations_alone(mem: MemOS) -> None:
    """A review of the two rules above: "liv" was mended into "live" in "Where does Liv
    live?", "where does mom live" read Mom as a name, and "wat a day" became a question."""
    bot = Assistant(mem, "sam")
    for turn in ("My friend Liv lives in Oslo.", "My mom lives in Paris.",
                 "My dad is a teacher."):
        bot.reply(turn)
    assert bot.reply("Where does Liv live?").text == "Liv's city is Oslo."
    assert "Oslo" in bot.reply("where does liv live").text
    assert "Paris" in bot.reply("where does mom live").text
    assert "teacher" in bot.reply("what does dad do").text
    assert bot.reply("wat a day").text.startswith("Noted")
