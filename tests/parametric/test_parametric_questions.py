"""The question an adapter is trained on for a fact (`fact_of`): as its text says it.

Before (a fresh-eyes operator, session 46): a fact `memos ingest` wrote was asked "What is
user:alice's name?" (the speaker's id) and, of a many-valued relation, "What is
user:alice's sister's name=ana?" (the answer inside the question, so the gate's
closed-book check passed on the question alone, and `answer` never routed a user's
question to the adapter)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from memos.parametric.tier import AMBIGUOUS, _one_answer_each, _question, fact_of


def row(content: str, **meta: Any) -> Any:
    return SimpleNamespace(id=content, content=content, meta=meta)


def test_a_reader_fact_is_asked_as_said() -> None:
    name = row("Alice's name is Alice.", subject="user:alice", attribute="name",
               relation="name", value="Alice")
    sister = row("Alice's sister's name is Ana.", subject="user:alice",
                 attribute="sister's name=ana", relation="sister's name", value="Ana")
    assert fact_of(name) == ("Alice", "name", "Alice")
    assert fact_of(sister) == ("Alice", "sister's name", "Ana")
    assert _question(*fact_of(sister)[:2]) == "What is Alice's sister's name?"


def test_an_sdk_fact_keeps_its_metadata() -> None:
    # no relation, text of the form "<subject>'s <attribute> is <value>."
    assert fact_of(row("Bob's city is Paris.", subject="Bob", attribute="city")) == (
        "Bob", "city", "Paris")
    # text in other words: the metadata's subject and attribute
    assert fact_of(row("Bob moved to Paris", subject="Bob", attribute="city",
                       value="Paris")) == ("Bob", "city", "Paris")
    assert fact_of(row("Bob moved to Paris", subject="Bob", attribute="city")) is None


def test_one_question_two_answers_trains_neither() -> None:
    ana = row("Alice's sister's name is Ana.", subject="user:alice",
              attribute="sister's name=ana", relation="sister's name", value="Ana")
    maya = row("Alice's sister's name is Maya.", subject="user:alice",
               attribute="sister's name=maya", relation="sister's name", value="Maya")
    city = row("Alice's city is Lisbon.", subject="user:alice", attribute="city",
               relation="city", value="Lisbon")
    kept, skipped = _one_answer_each([ana, maya, city], [])
    assert kept == [city]
    assert [(cid, why.startswith(AMBIGUOUS)) for cid, why in skipped] == [
        (ana.id, True), (maya.id, True)]
