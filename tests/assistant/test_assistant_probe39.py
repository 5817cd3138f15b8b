"""A quoted turn's ends that the question does not ask about (probe 39): after "I live in
Lisbon and I'm allergic to peanuts" and "I moved to Berlin and I'm not allergic to peanuts
anymore", "What am I allergic to?" quoted the first turn followed by "Since then: your city
is Berlin": the end of each fact the turn states, whatever was asked. Now a quoted turn is
followed by the ends of the facts the question asks about only (its subject's attribute;
of a question about no one attribute, the facts whose value it names, else every one). The
turn that ended the fact asked about is still quoted (test_assistant_ended_facts.py,
test_assistant_unknown.py)."""

from __future__ import annotations

from typing import Any

import pytest

from memos import MemOS
from memos.assistant import Assistant
from tests.assistant.test_assistant_unknown import _ask, _tell

ALLERGY_AND_CITY = ["I live in Lisbon and I'm allergic to peanuts.",
                    "I moved to Berlin and I'm not allergic to peanuts anymore."]
ALLERGY_AND_JOB = ["I work at Acme and I'm allergic to peanuts.", "I left Acme.",
                   "I'm not allergic to peanuts anymore."]


@pytest.mark.parametrize("backend", ["auto", "extractive"])
def test_the_allergy_asked_is_quoted_without_the_city_that_changed(store_path: str,
                                                                   backend: Any) -> None:
    with MemOS.open(store_path) as mem:
        _tell(mem, "alice", ALLERGY_AND_CITY)
        reply = _ask(mem, "What am I allergic to?", backend)
        text = reply.text
        assert reply.backend == "extractive", reply
        # Before: "... I'm allergic to peanuts. Since then: your city is Berlin (...). Later,
        # on 3 March 2026, you said: I moved to Berlin and I'm not allergic to peanuts anymore."
        assert "Since then" not in text and "your city" not in text.lower(), text
        assert "Alice's city is Berlin." not in [m.content for m in reply.memories]
        # the turn that ended the allergy is still quoted, after the allergy that was (since
        # 2026-12-06 the ended value is said first, rather than the turn that stated it)
        assert "I'm not allergic to peanuts anymore" in text, text
        assert text.startswith("Your allergy was peanuts (until "), text
        assert text.index("Your allergy was peanuts") < text.index("not allergic"), text


def test_a_question_about_a_value_keeps_that_values_end_only(store_path: str) -> None:
    with MemOS.open(store_path) as mem:
        _tell(mem, "alice", ALLERGY_AND_CITY)
        text = _ask(mem, "What did I say about peanuts?").text
        assert "not allergic to peanuts anymore" in text and "Since then" not in text, text
        # of the city: the value now, not the allergy's end
        text = _ask(mem, "What did I say about Lisbon?").text
        assert "I live in Lisbon" in text and "your city is Berlin" in text, text
        assert "not allergic" not in text, text
        # the questions about the values themselves are answered as before
        assert "Berlin" in _ask(mem, "Where do I live?").text
        assert "Lisbon" in _ask(mem, "Where did I live before?").text


@pytest.mark.parametrize("backend", ["auto", "extractive"])
def test_each_question_gets_its_own_end(store_path: str, backend: Any) -> None:
    with MemOS.open(store_path) as mem:
        _tell(mem, "alice", ALLERGY_AND_JOB)
        allergy = _ask(mem, "What am I allergic to?", backend).text
        # Before: both ends, "I left Acme" quoted for the allergy too.
        assert "not allergic to peanuts anymore" in allergy, allergy
        assert "I left Acme" not in allergy, allergy
        work = _ask(mem, "Where do I work?", backend).text
        assert "I left Acme" in work and "not allergic" not in work, work
        text = _ask(mem, "What did I say about Acme?", backend).text
        assert "I left Acme" in text and "not allergic" not in text, text


def test_a_question_naming_no_value_keeps_every_end(store_path: str) -> None:
    """A question about no one attribute that names none of the ended values ("What did I
    tell you on 2 March?"): every end, as before, so no turn is quoted as if it held."""
    with MemOS.open(store_path) as mem:
        _tell(mem, "alice", ALLERGY_AND_CITY)
        bot = Assistant(mem, "alice", backend="extractive", learn=False)
        turn = next(h for h in mem.search("Lisbon peanuts", "alice", k=20)
                    if h.cube.kind.value == "episode" and "Lisbon" in h.content)
        text, _used = bot._quotes([turn], [turn], None, "what did I tell you back then")
        assert "your city is Berlin" in text and "not allergic" in text, text


@pytest.mark.parametrize("question", ["Do I have allergies?", "What about my allergies?"])
def test_a_question_naming_the_attribute_keeps_its_end_only(store_path: str,
                                                             question: str) -> None:
    """No canonical question, no value named, but the attribute is ("allergies"): the
    allergy's end, not the city's (a review found "Since then: your city is Berlin")."""
    with MemOS.open(store_path) as mem:
        _tell(mem, "alice", ALLERGY_AND_CITY)
        text = _ask(mem, question).text
        assert "your city" not in text.lower(), text
        assert "not allergic to peanuts anymore" in text, text
