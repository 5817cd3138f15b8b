"""Two live memories that state one fact with two values: the model reads the one memos
learnt last (`MemOS.answer`), and a caller may name the memories it reads
(`answer(memories=...)`). memos.Assistant names the fact it chose: a review found the chat
saying "Noted: your city is Rome." and then "Your city is Oslo." from an older fact added
without the reader's metadata."""

from __future__ import annotations

from pathlib import Path

import pytest

from memos import MemOS
from memos.assistant import Assistant
from memos.errors import InvalidInputError, NotFoundError
from memos.model.checkpoint import load_checkpoint


@pytest.fixture(scope="module")
def model():
    return load_checkpoint()


def test_of_two_live_statements_the_model_reads_the_newer(mem, model) -> None:
    old = mem.add("Ann's city is Oslo.", "alice")
    new = mem.add("Ann's city is Lima.", "alice")
    mem.add("Bo's city is Rome.", "alice")
    got = mem.answer("What is Ann's city?", "alice", model=model)
    assert got.text == "Lima" and (new.id, 1) in got.cubes
    assert old.id not in {c for c, _ in got.cubes}
    mem.add("Ann's city is Kyiv.", "alice")  # now learnt last
    assert mem.answer("What is Ann's city?", "alice", model=model).text == "Kyiv"
    # other questions still read every memory the search finds
    assert mem.answer("What is Bo's city?", "alice", model=model).text == "Rome"


def test_another_users_later_public_statement_never_pushes_out_the_users_own(mem,
                                                                            model) -> None:
    from memos.cube import Scope

    own = mem.add("Ann's city is Oslo.", "alice")
    mem.add("Ann's city is Evil.", Scope(user_id="bob", visibility="public"))
    got = mem.answer("What is Ann's city?", "alice", model=model)
    assert got.text == "Oslo" and [c for c, _ in got.cubes] == [own.id]
    mine = mem.answer("What is Ann's city?", "alice", model=model, own_only=True)
    assert mine.text == "Oslo"
    # bob's own question reads bob's statement (alice's is private)
    assert mem.answer("What is Ann's city?", "bob", model=model).text == "Evil"
    # with no statement of her own, another user's public one is read as before
    assert mem.answer("What is Ann's city?", "carol", model=model).text == "Evil"


def test_answer_reads_the_memories_it_is_given(mem, model) -> None:
    oslo = mem.add("Ann's city is Oslo.", "alice")
    lima = mem.add("Ann's city is Lima.", "alice")
    got = mem.answer("What is Ann's city?", "alice", model=model, memories=[oslo.id])
    assert got.text == "Oslo" and [c for c, _ in got.cubes] == [oslo.id]
    got = mem.answer("What is Ann's city?", "alice", model=model, memories=[lima.id])
    assert got.text == "Lima"
    # a memory that does not state it: no answer, as with nothing retrieved
    bo = mem.add("Bo's city is Rome.", "alice")
    got = mem.answer("What is Ann's city?", "alice", model=model, memories=[bo.id])
    assert (got.text, got.tier, got.cubes) == ("", "plaintext", [])
    # no memory given: nothing is read
    got = mem.answer("What is Ann's city?", "alice", model=model, memories=[])
    assert (got.text, got.cubes) == ("", [])


def test_answer_memories_are_read_in_the_callers_scope(mem, model) -> None:
    theirs = mem.add("Ann's city is Oslo.", "bob")
    missing = "0" * 32
    for cube_id in (theirs.id, missing):
        with pytest.raises(NotFoundError) as err:
            mem.answer("What is Ann's city?", "alice", model=model, memories=[cube_id])
        assert "bob" not in str(err.value)
    # the same error for another user's memory and for none at all
    messages = []
    for cube_id in (theirs.id, missing):
        with pytest.raises(NotFoundError) as err:
            mem.answer("What is Ann's city?", "alice", model=model, memories=[cube_id])
        messages.append(str(err.value).replace(cube_id, "<id>"))
    assert messages[0] == messages[1]
    for bad in ("a-single-id-string", 42, [None], ["0" * 32] * 257):
        with pytest.raises(InvalidInputError):
            mem.answer("What is Ann's city?", "alice", model=model, memories=bad)


def test_the_chat_answers_the_value_it_just_noted(tmp_path: Path, model) -> None:
    with MemOS.open(tmp_path / "s") as mem:
        mem.add("Alice's city is Oslo.", "alice")  # no subject metadata: no conflict
        chat = Assistant(mem, "alice", model=model)
        assert "Rome" in chat.reply("I live in Rome.").text
        reply = chat.reply("where do I live?")
        assert reply.backend == "model" and "Rome" in reply.text and "Oslo" not in reply.text
