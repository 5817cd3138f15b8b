"""Memories added without the reader's metadata (`memos add "I live in Paris"`: a fact with
no subject) are read by their words, as conversation turns are: a question they answer
quotes them, "forget where I live" names them (and not the question asked before), and
"what do you know about me?" quotes the ones said in the first person. A review found the
assistant saying "I don't have anything about that yet." beside them."""

from __future__ import annotations

from pathlib import Path

import pytest

from memos import MemOS
from memos.assistant import Assistant


@pytest.fixture
def mem(tmp_path: Path):
    with MemOS.open(tmp_path / "s") as store:
        yield store


def test_a_plain_note_answers_the_question_it_speaks_of(mem) -> None:
    mem.add("I live in Paris", "fay")
    mem.add("Gus's job is baker.", "fay")
    mem.add("I live in Lima", "bob")  # another user's: never read
    chat = Assistant(mem, "fay", backend="extractive", learn=False)
    reply = chat.reply("where do I live?")
    assert "Paris" in reply.text and "Lima" not in reply.text
    assert [m.content for m in reply.memories] == ["I live in Paris"]
    assert "baker" in chat.reply("What is Gus's job?").text
    # a note of someone else's city is not the user's
    assert "Paris" not in chat.reply("where does Gus live?").text


def test_forget_names_the_note_that_answers_it_and_forgets_nothing_on_a_guess(mem) -> None:
    note = mem.add("I live in Paris", "fay").id
    chat = Assistant(mem, "fay")
    chat.reply("where do I live?")  # stored as a turn of the conversation
    reply = chat.reply("forget where I live")
    assert reply.forgotten == [] and '"I live in Paris"' in reply.text
    assert "where do I live" not in reply.text  # the question asked holds no memory
    assert mem.get(note, "fay").content == "I live in Paris"
    reply = chat.reply("forget that I live in Paris")
    assert note in reply.forgotten
    assert "Paris" not in chat.reply("where do I live?").text


def test_a_question_asked_is_never_offered_to_forget(mem) -> None:
    chat = Assistant(mem, "fay")
    chat.reply("where do I work?")
    reply = chat.reply("forget where I work")
    assert reply.forgotten == [] and "where do I work" not in reply.text


def test_what_do_you_know_about_me_quotes_first_person_notes(mem) -> None:
    mem.add("I live in Paris", "fay")
    mem.add("My favourite tea is sencha", "fay", kind="preference")
    mem.add("Gus's job is baker.", "fay")  # not about the user
    mem.add("I live in Lima", "bob")
    reply = Assistant(mem, "fay", backend="extractive", learn=False).reply(
        "what do you know about me?")
    assert '"I live in Paris"' in reply.text and '"My favourite tea is sencha"' in reply.text
    assert "baker" not in reply.text and "Lima" not in reply.text
    assert len(reply.memories) == 2
    nobody = Assistant(mem, "zed", backend="extractive", learn=False)
    assert "don't know anything about you" in nobody.reply("what do you know about me?").text
