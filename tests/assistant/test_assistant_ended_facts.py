"""A quoted turn whose fact has ended since (found by a review): the assistant quoted "I work
at Acme" for "Where do I work?" after the user had said "I left Acme", as if it still held.

A fact ends four ways: a later turn negates it ("I left Acme": the reader supersedes the fact
by that turn), a later value replaces it ("I moved to Porto": the new fact supersedes the
old), its `valid_to` passes (set through `MemOS.update`), and for an agent's assistant only
by that agent's own turns (the reader ends only the agent's own facts). A turn or fact whose
fact has ended is quoted with what ended it, never as if it still held."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from memos import MemOS
from memos.assistant import Assistant, LLMConfig

MARCH = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
APRIL = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
MAY = datetime(2026, 5, 12, 18, 0, tzinfo=UTC)
JUNE = datetime(2026, 6, 20, 18, 0, tzinfo=UTC)


def _say(mem: MemOS, user: str, text: str, at: datetime, agent: str | None = None) -> str:
    """`text` said in a session of its own (ended): the assistant's note."""
    bot = Assistant(mem, user, agent=agent, backend="extractive")
    reply = bot.reply(text, at=at)
    bot.end_session()
    assert reply.backend == "note", reply
    return reply.text


def _ask(mem: MemOS, user: str, question: str, *, agent: str | None = None,
         backend: Any = "extractive") -> Any:
    return Assistant(mem, user, agent=agent, backend=backend, learn=False).reply(question)


def _turn(mem: MemOS, user: str, words: str, agent: str | None = None) -> Any:
    return next(h for h in mem.search(words, {"user_id": user, "agent_id": agent}, k=50)
                if h.cube.kind.value == "episode" and h.cube.metadata.get("role") == "user"
                and words in h.content)


@pytest.mark.parametrize("backend", ["auto", "extractive"])
def test_a_turn_whose_fact_a_later_turn_ended_is_quoted_with_that_turn(store_path: str,
                                                                       backend: Any) -> None:
    with MemOS.open(store_path) as mem:
        _say(mem, "alice", "I work at Acme.", MARCH)
        assert "No longer" in _say(mem, "alice", "I left Acme.", MAY)
        reply = _ask(mem, "alice", "Where do I work?", backend=backend)
        assert reply.backend == "extractive"
        text = reply.text
        # Before: "On 3 March 2026 you said: I work at Acme." and nothing more.
        assert "I left Acme" in text and "12 May 2026" in text, text
        if "I work at Acme" in text:  # quoted: what ended it follows it
            assert text.index("I work at Acme") < text.index("I left Acme"), text
        assert text.count("I left Acme") == 1, text  # the end is quoted once
        ended_by = _turn(mem, "alice", "I left Acme")
        assert ended_by.id in [m.id for m in reply.memories]


def test_a_turn_whose_value_was_replaced_is_quoted_with_the_current_value(
        store_path: str) -> None:
    with MemOS.open(store_path) as mem:
        _say(mem, "alice", "I live in Lisbon.", MARCH)
        _say(mem, "alice", "I moved to Porto last week.", MAY)
        text = _ask(mem, "alice", "What did I say about Lisbon?").text
        # Before: "On 3 March 2026 you said: I live in Lisbon."
        assert "I live in Lisbon" in text and "Porto" in text, text
        assert text.index("Lisbon") < text.index("Porto")
        # Replaced again: the value now, not the one in between.
        _say(mem, "alice", "I moved to Braga.", JUNE)
        text = _ask(mem, "alice", "What did I say about Lisbon?").text
        assert "I live in Lisbon" in text and "Braga" in text, text
        # The questions about the values themselves are answered as before.
        now = _ask(mem, "alice", "Where do I live?").text
        assert "Braga" in now and "Lisbon" not in now and "Porto" not in now
        before = _ask(mem, "alice", "Which city did I live in before I moved to Braga?").text
        assert "Porto" in before and "Braga" not in before


@pytest.mark.parametrize("backend", ["auto", "extractive"])
def test_a_fact_past_its_valid_to_is_not_answered_as_current(store_path: str,
                                                             backend: Any) -> None:
    with MemOS.open(store_path) as mem:
        _say(mem, "bob", "I work at Acme.", MARCH)
        fact = next(h.cube for h in mem.search("Acme", "bob", k=20, kind=["fact"]))
        mem.update(fact.id, "bob", valid_to=APRIL)
        bot = Assistant(mem, "bob", backend=backend, learn=False)
        # Before: one live fact answers, so auto asked the model ("Your employer is Acme.").
        assert bot.route("Where do I work?")[3] == []
        reply = bot.reply("Where do I work?")
        assert reply.backend == "extractive"
        assert "is Acme" not in reply.text and "1 April 2026" in reply.text, reply.text
        # Asked as a past value, it is the value before: "Bob's employer was Acme (until ...)".
        past = bot.reply("Where did I work before?")
        assert past.backend == "extractive"
        assert "was Acme" in past.text and "1 April 2026" in past.text, past.text


def test_an_agents_turn_ends_only_that_agents_fact(store_path: str) -> None:
    with MemOS.open(store_path) as mem:
        _say(mem, "carol", "I work at Acme.", MARCH, agent="a1")
        _say(mem, "carol", "I work at Acme.", MARCH, agent="a2")
        assert "No longer" in _say(mem, "carol", "I left Acme.", MAY, agent="a2")
        # a2's fact ended: a2's assistant quotes the turn that ended it.
        text = _ask(mem, "carol", "Where do I work?", agent="a2").text
        assert "I left Acme" in text, text
        # a1's fact holds: a1's assistant answers it and quotes no end.
        for question in ("Where do I work?", "What did I say about Acme?"):
            text = _ask(mem, "carol", question, agent="a1").text
            assert "Acme" in text and "left" not in text.lower(), text
            assert "no longer" not in text.lower() and "was Acme" not in text, text


def test_the_llm_context_says_a_quoted_turn_has_ended(store_path: str, fake_llm: Any) -> None:
    cfg = LLMConfig(url=fake_llm.url, model="fake-model", key="k")
    with MemOS.open(store_path) as mem:
        _say(mem, "alice", "I work at Acme.", MARCH)
        _say(mem, "alice", "I left Acme.", MAY)
        bot = Assistant(mem, "alice", llm=cfg, learn=False)
        # Retrieval found only the turn that stated the fact: the block still says it ended.
        hits = [_turn(mem, "alice", "I work at Acme")]
        block, used = bot.context_block(hits)
        assert "I work at Acme" in block and "I left Acme" in block, block
        lines = block.splitlines()
        assert "no longer" in lines[0] and "2026-05-12" in lines[0], block
        assert _turn(mem, "alice", "I left Acme").id in [m.id for m in used]
        # And in a reply: the system prompt the endpoint gets holds the end.
        bot.reply("Where do I work?")
        system = fake_llm.requests[-1]["messages"][0]["content"]
        assert "I left Acme" in system


def test_a_long_chain_of_replacements_still_gives_the_value_now(store_path: str) -> None:
    """More replacements than the old bound of 8: the value now, never one in between."""
    cities = ["Lisbon", "Porto", "Braga", "Faro", "Evora", "Leiria", "Viseu", "Aveiro",
              "Coimbra", "Tomar", "Sintra", "Setubal"]
    with MemOS.open(store_path) as mem:
        _say(mem, "alice", f"I live in {cities[0]}.", MARCH)
        for day, city in enumerate(cities[1:], start=1):
            _say(mem, "alice", f"I moved to {city}.", MARCH.replace(day=3 + day))
        text = _ask(mem, "alice", f"What did I say about {cities[0]}?").text
        assert f"I live in {cities[0]}" in text and cities[-1] in text, text
        assert not any(c in text for c in cities[1:-1]), text


def test_the_llm_block_names_which_fact_of_a_turn_ended(store_path: str) -> None:
    """A turn stating several facts, one of which ended: the block says which, not that the
    whole turn is no longer true."""
    with MemOS.open(store_path) as mem:
        _say(mem, "alice", "I work at Acme and my favorite color is teal.", MARCH)
        _say(mem, "alice", "I left Acme.", MAY)
        bot = Assistant(mem, "alice", backend="extractive", learn=False)
        turn = _turn(mem, "alice", "I work at Acme")
        block, _ = bot.context_block([turn])
        first = block.splitlines()[0]
        assert "I work at Acme" in first and "no longer true" in first, block
        note = first[first.index("no longer true"):]
        assert "Acme" in note and "teal" not in note, block


CITIES = ["Lisbon", "Porto", "Braga", "Faro", "Evora", "Leiria", "Viseu", "Aveiro", "Coimbra",
          "Tomar", "Sintra", "Setubal", "Madrid", "Seville", "Valencia", "Bilbao", "Malaga",
          "Granada", "Toledo", "Cadiz", "Murcia", "Oviedo", "Leon", "Burgos", "Segovia",
          "Avila", "Cuenca", "Teruel", "Soria", "Lugo", "Vigo", "Girona", "Lleida", "Tarragona",
          "Huesca", "Zaragoza", "Pamplona", "Logrono", "Santander", "Gijon", "Ourense", "Jaen"]


@pytest.mark.parametrize("backend", ["auto", "extractive"])
def test_the_value_before_the_current_one_after_many_replacements(store_path: str,
                                                                  backend: Any) -> None:
    """More replacements than a search of the attribute returns: "Where did I live before?"
    is the city the current one replaced. Before, the answer was whichever ended city the
    search ranked in (the newest of those), a year or more earlier."""
    with MemOS.open(store_path) as mem:
        for day, city in enumerate(CITIES):
            at = datetime(2025, 1, 1, 9, 0, tzinfo=UTC) + (MAY - MARCH) * day / 7
            mem.ingest([{"role": "user", "content": f"I moved to {city}.", "at": at}],
                       "alice", session_id=f"s{day}")
        now = _ask(mem, "alice", "Where do I live?", backend=backend).text
        assert CITIES[-1] in now, now
        before = _ask(mem, "alice", "Where did I live before?", backend=backend)
        assert CITIES[-2] in before.text, before.text
        assert not any(c in before.text for c in CITIES[:-2]), before.text
