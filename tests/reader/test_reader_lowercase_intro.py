"""A speaker who types in lower case names themself in lower case (blind suite E, 2026-12-05:
"hiya", then "im priyanka", was read as nothing). In a turn all in lower case the name is
read from "my name is priyanka", "my names priyanka", "call me priya", "priyanka here",
from "im priyanka" after a greeting in the same turn ("hey im priyanka, i live in leeds"),
and alone as the turn after one that only greeted. A bare "im X" is said of how one is as
often ("im dead", "im smart"): it names no one without a greeting, and a word that says how
one is never names anyone."""

from __future__ import annotations

import pytest

from memos import Assistant, MemOS
from memos.reader.rules import Referents, extract, stated_name
from tests.reader.helpers import facts


@pytest.mark.parametrize(("text", "name"), [
    ("my name is priyanka", "Priyanka"),
    ("my names priyanka", "Priyanka"),
    ("my name's priyanka, i live in leeds", "Priyanka"),
    ("call me priya", "Priya"),
    ("priyanka here", "Priyanka"),
    ("hey, priyanka here!", "Priyanka"),
    ("hey im priyanka", "Priyanka"),
    ("hiya im priyanka, i live in leeds", "Priyanka"),
    ("hello i'm jess and i work at a bakery", "Jess"),
    ("hi there, i am sam", "Sam"),
])
def test_a_lower_case_introduction_names_the_speaker(text: str, name: str) -> None:
    assert stated_name(text) == name
    assert ("Alice", "name", name) in facts(f"U: {text}") or (name, "name", name) in facts(
        f"U: {text}")


@pytest.mark.parametrize("text", [
    "im priyanka", "im sam", "im dead", "im down", "im smart lol", "im at the gym",
    "im a nurse", "im sam from work", "hey im dumb", "hi im tired", "hi im vegan",
    "hey im home", "call me later", "call me tomorrow", "same here", "nobody here",
    "im working", "im stoked", "im hopeless", "im 34", "hi im mum",
    # how one is, in words a first list missed (a first "hey im homesick" was stored)
    "hey im homesick", "hi im seasick", "hey im grumpy", "hey im online", "hi im older",
    "hey im hangry", "hiya im picky",
    "Im Tired", "Hi I'm priyanka",  # not all in lower case: the usual rules
])
def test_no_name_without_an_introduction(text: str) -> None:
    assert stated_name(text) is None
    assert not {f for f in facts(f"U: {text}") if f[1] == "name"}


@pytest.mark.parametrize(("greeting", "named"), [
    ("hiya", True), ("hey!", True), ("hi there", True), ("good morning", True),
    ("how are you", False), ("hiya, can you help me pack?", False),
])
def test_im_x_alone_names_the_speaker_after_a_turn_that_only_greeted(greeting: str,
                                                                     named: bool) -> None:
    ref = Referents()
    extract(greeting, "Alice", "user:alice", referents=ref)
    got = {(e.attribute, e.value) for e in extract("im priyanka", "Alice", "user:alice",
                                                   referents=ref)}
    assert (("name", "Priyanka") in got) is named
    ref = Referents()
    extract(greeting, "Alice", "user:alice", referents=ref)
    assert not extract("im smart", "Alice", "user:alice", referents=ref)
    assert stated_name("im priyanka", after_greeting=named) == ("Priyanka" if named else None)


def test_the_assistant_learns_a_lower_case_name_across_calls(tmp_path) -> None:
    """The assistant sends one turn per call: the greeting is read from the stored session."""
    with MemOS.open(tmp_path / "s", embedder="hashing") as mem:
        bot = Assistant(mem, "priyanka")
        for turn in ("hiya", "im priyanka", "i live in coimbatore atm"):
            bot.reply(turn)
        assert "Priyanka" in bot.reply("whats my name?").text
        other = Assistant(mem, "dev")
        for turn in ("hi", "how are you", "im smart"):
            other.reply(turn)
        assert "Smart" not in other.reply("whats my name?").text


def test_a_lower_case_im_x_never_replaces_a_stored_name(tmp_path) -> None:
    """A review found "hey im homesick" replacing the user's name: a bare "im X" is as often
    how one is, so a name read from it is written only while no name is stored."""
    with MemOS.open(tmp_path / "s", embedder="hashing") as mem:
        bot = Assistant(mem, "sam")
        bot.reply("My name is Sam.")
        for turn in ("hey im homesick", "hiya", "im grumpy", "hey im tired, i live in leeds"):
            assert "Homesick" not in bot.reply(turn).text
        answer = bot.reply("whats my name?").text
        assert "Sam" in answer and "Homesick" not in answer and "Grumpy" not in answer
        assert "Leeds" in bot.reply("where do I live?").text
        bot.reply("my name is samuel")  # said as a name: it replaces the stored one
        assert "Samuel" in bot.reply("whats my name?").text


def test_a_tentative_name_gives_way_to_a_firm_one_and_to_the_users_own(tmp_path) -> None:
    """Review of the rule above: an agent's assistant did not see the user's agentless name;
    a tentative name blocked a later one; a name given by the caller was not kept."""
    with MemOS.open(tmp_path / "a", embedder="hashing") as mem:
        mem.ingest([{"role": "user", "content": "My name is Sam."}], "u", session_id="s")
        Assistant(mem, "u", agent="bot").reply("hey im homesick")
        assert "Homesick" not in Assistant(mem, "u").reply("whats my name?").text
    for later in ("hey im sam", "My name is Sam."):
        with MemOS.open(tmp_path / later.replace(" ", "-"), embedder="hashing") as mem:
            bot = Assistant(mem, "u")
            bot.reply("hey im homesick")
            bot.reply(later)
            answer = bot.reply("whats my name?").text
            assert "Sam" in answer and "Homesick" not in answer, answer
    with MemOS.open(tmp_path / "given", embedder="hashing") as mem:
        report = mem.ingest([{"role": "user", "content": "hey im homesick"}], "u",
                            session_id="s", user_name="Sam")
        assert not report.facts


def test_another_users_public_fact_does_not_block_a_tentative_name(tmp_path) -> None:
    """An attacker helper: bob's public fact carrying carol's subject key made carol's
    "hey im priyanka" store no name. Only her own facts count."""
    with MemOS.open(tmp_path / "s", embedder="hashing") as mem:
        mem.add("Carol's name is Mallory.", {"user_id": "bob", "visibility": "public"},
                kind="fact", metadata={"subject": "user:carol", "attribute": "name",
                                       "value": "Mallory"})
        report = mem.ingest([{"role": "user", "content": "hey im priyanka"}], "carol",
                            session_id="s")
        names = [mem.get(f, "carol").content for f in report.facts]
        assert names == ["Priyanka's name is Priyanka."]
