"""A user's audit of the chat (2026-12-06): "forget my name" forgot every fact about the
user (each holds the name as its subject, each turn as its speaker); "forget that I have a
cat" kept the cat; "please don't remember that I like jazz" was noted as a like; "never
mind, forget that" was noted; "actually it's not Paris, it's Lyon" was no correction."""

from __future__ import annotations

from pathlib import Path

import pytest

from memos import MemOS
from memos.assistant import Assistant
from tests.assistant.helpers import live_texts


@pytest.fixture
def mem(tmp_path: Path):
    with MemOS.open(tmp_path / "s") as store:
        yield store


def test_forget_my_name_keeps_the_other_facts_without_the_name(mem) -> None:
    Assistant(mem, "u1").reply("I'm Dana Kim. I live in Bath and I'm allergic to pollen.")
    chat = Assistant(mem, "u1")
    reply = chat.reply("forget my name")
    assert "kept" in reply.text
    assert "Bath" in chat.reply("where do I live?").text
    assert "pollen" in chat.reply("what am I allergic to?").text
    assert "Dana" not in chat.reply("what's my name?").text
    assert not any("Dana" in c for c in live_texts(mem, "u1")), live_texts(mem, "u1")


def test_forget_that_i_have_a_cat(mem) -> None:
    chat = Assistant(mem, "gus")
    chat.reply("We have two dogs, Rex and Fido, and I live in Leeds.")
    chat.reply("i have a cat called Biscuit")
    reply = chat.reply("forget that I have a cat")
    assert "saying that you have a cat" in reply.text
    assert "Biscuit" not in chat.reply("what's my cat's name?").text
    assert not any("Biscuit" in c for c in live_texts(mem, "gus"))
    reply = chat.reply("forget that we have two dogs")
    assert "Leeds" in chat.reply("where do I live?").text  # said beside them: kept
    assert not any("Rex" in c or "Fido" in c for c in live_texts(mem, "gus"))


@pytest.mark.parametrize("request_", ["please don't remember that I like jazz",
                                      "do not remember that I like jazz",
                                      "stop remembering that I like jazz"])
def test_dont_remember_is_a_request_to_forget(mem, request_: str) -> None:
    chat = Assistant(mem, "max")
    chat.reply("I love jazz")
    assert chat.reply(request_).forgotten
    assert "jazz" not in chat.reply("do I like jazz?").text


def test_never_mind_forget_that_forgets_the_last_statement(mem) -> None:
    chat = Assistant(mem, "vic")
    chat.reply("I live in York.")
    chat.reply("my email is fay@example.com")
    reply = chat.reply("never mind, forget that")
    assert reply.forgotten and "fay@example.com" not in chat.reply("what's my email?").text
    assert "York" in chat.reply("where do I live?").text  # only the last statement
    # after a question, or with nothing said, or "forget it" (never mind as often):
    # nothing on a guess
    assert not chat.reply("scratch that").forgotten
    fresh = Assistant(mem, "zed")
    assert "not sure what to forget" in fresh.reply("forget that").text
    fresh.reply("my email is zed@example.com")
    assert not fresh.reply("oh forget it").forgotten
    assert "zed@example.com" in fresh.reply("what's my email?").text


@pytest.mark.parametrize(("told", "fix", "asked", "now", "gone"), [
    ("I live in Paris.", "actually it's not Paris, it's Lyon", "where do I live?", "Lyon",
     "Paris"),
    ("I'm allergic to shellfish.", "no, it's not shellfish it's peanuts",
     "what am I allergic to?", "peanuts", "shellfish"),
    ("I work at Acme.", "actually it's not Acme but Globex", "where do I work?", "Globex",
     "Acme"),
])
def test_its_not_x_its_y_corrects(mem, told: str, fix: str, asked: str, now: str,
                                  gone: str) -> None:
    chat = Assistant(mem, "jo")
    chat.reply(told)
    chat.reply(fix)
    answer = chat.reply(asked).text
    assert now in answer and gone not in answer


def test_its_not_that_simple_corrects_nothing(mem) -> None:
    chat = Assistant(mem, "jo")
    chat.reply("I live in Paris.")
    chat.reply("Actually it's not that simple, it's complicated")
    assert "Paris" in chat.reply("where do I live?").text


@pytest.mark.parametrize(("text", "asks"), [
    ("i forgot where my sister lives", True), ("I wonder what my job is", True),
    ("I can't remember if I told you my job", True), ("my sister's name is what again", True),
    ("i need to know where ana lives", True),
    ("I forgot my keys at home", False), ("I wonder", False),
    ("My name is what I say it is", False)])
def test_questions_said_without_a_question_mark(text: str, asks: bool) -> None:
    from memos.assistant import is_question

    assert is_question(text) is asks


def test_a_question_said_as_not_knowing_is_answered_not_noted(mem) -> None:
    Assistant(mem, "ola").reply("I live in Leeds. My sister Ana lives in Madrid.")
    chat = Assistant(mem, "ola")
    assert "Madrid" in chat.reply("i forgot where my sister lives").text
    chat.reply("I wonder what my job is")
    # (stored as the turn it is, but no memory to quote: it only asks)
    later = Assistant(mem, "ola")
    assert "forgot" not in later.reply("remind me where ana lives").text
    assert "wonder" not in later.reply("what's my job?").text


def test_about_me_says_a_change_to_come(mem) -> None:
    chat = Assistant(mem, "ray")
    chat.reply("I live in Leeds and work at Acme.")
    chat.reply("I accepted a job at DeepMind, starting 1 November 2027")
    text = chat.reply("what do you know about me?").text
    assert "your employer is DeepMind (from 1 November 2027)" in text
    assert "your employer is Acme" in text


def test_a_date_said_as_a_date_gets_no_gloss(mem) -> None:
    chat = Assistant(mem, "pat")
    chat.reply("I started my course on 1 February 2026 and met Sam last Friday")
    text = Assistant(mem, "pat").reply("when did I meet Sam?").text
    assert "= 1 February 2026" not in text and "last Friday = " in text


@pytest.mark.parametrize("said", ["Don't keep the dog inside when it rains, she hates it.",
                                  "Stop storing your files on the desktop.",
                                  "Don't remember his name, sadly"])
def test_dont_and_stop_sayings_are_told_not_forget_requests(mem, said: str) -> None:
    reply = Assistant(mem, "fay").reply(said)
    assert reply.route != "a forget request" and reply.forgotten == []
    assert any(said in c for c in live_texts(mem, "fay"))
