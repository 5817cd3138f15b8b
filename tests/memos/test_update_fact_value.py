"""`update(content=...)` of a fact the reader wrote left its metadata's value as it was:
"Where do I live?" answered the new text, "Do I live in Lisbon?" and "Where have I lived?"
the old value (user probe, session 38). The value follows a text in the fact's form; other
text is refused with what to do, and nothing is changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from memos import MemOS
from memos.assistant import Assistant
from memos.errors import InvalidInputError


@pytest.fixture()
def mem(tmp_path: Path):
    with MemOS.open(tmp_path / "s", embedder="hashing") as m:
        yield m


def _fact(mem: MemOS, attribute: str) -> str:
    return next(c.id for c in mem.list_memories("alice", kind="fact").items
                if c.metadata.get("attribute", "").startswith(attribute))


def test_the_value_follows_a_new_text_in_the_facts_form(mem: MemOS) -> None:
    mem.ingest([{"role": "user", "content": "I live in Lisbon and I'm allergic to kiwi."}],
               "alice", session_id="s1")
    city, allergy = _fact(mem, "city"), _fact(mem, "allergy")
    mem.update(city, "alice", content="Alice's city is Porto.")
    assert mem.get(city, "alice").metadata["value"] == "Porto"
    mem.update(allergy, "alice", content="alice's allergy is peanuts")
    meta = mem.get(allergy, "alice").metadata
    assert (meta["value"], meta["attribute"]) == ("peanuts", "allergy=peanuts")
    bot = Assistant(mem, "alice")
    assert "Lisbon" not in bot.reply("Do I live in Lisbon?", session_id="q").text
    assert "kiwi" not in bot.reply("What am I allergic to?", session_id="q").text


def test_a_text_out_of_the_facts_form_is_refused_and_nothing_changes(mem: MemOS) -> None:
    mem.ingest([{"role": "user", "content": "I live in Lisbon."}], "alice", session_id="s1")
    city = _fact(mem, "city")
    with pytest.raises(InvalidInputError, match="in its form"):
        mem.update(city, "alice", content="She moved to Porto.")
    assert mem.get(city, "alice").version == 1
    # with its metadata given, any text: the caller says what the value is
    cube = mem.get(city, "alice")
    mem.update(city, "alice", content="Moved to Porto.",
               metadata={**cube.metadata, "value": "Porto"})
    assert mem.get(city, "alice").metadata["value"] == "Porto"
    # a cube the reader did not write is updated as before
    note = mem.add("a plain note", "alice").id
    assert mem.update(note, "alice", content="another note").content == "another note"


@pytest.mark.parametrize("text, value", [(b"Alice's city is Braga.", "Braga"),
                                         ("Alice's city is Braga!", "Braga"),
                                         ("Alice's city is St. Ives", "St. Ives"),
                                         ("Alice's city is Braga. She moved in May.", None)])
def test_the_value_is_the_new_texts_one_sentence(mem: MemOS, text: str | bytes,
                                                 value: str | None) -> None:
    mem.ingest([{"role": "user", "content": "I live in Lisbon."}], "alice", session_id="s1")
    city = _fact(mem, "city")
    if value is None:  # a second sentence is no part of a value: refused
        with pytest.raises(InvalidInputError, match="one sentence"):
            mem.update(city, "alice", content=text)
        assert mem.get(city, "alice").metadata["value"] == "Lisbon"
    else:
        mem.update(city, "alice", content=text)
        assert mem.get(city, "alice").metadata["value"] == value
