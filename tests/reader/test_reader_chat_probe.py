"""Turns from a session of `memos chat` used as a new user would: "I'm a vet in Bristol"
gave no job (the place after it made it no occupation), and an allergy kept the clause
after it ("penicillin, found out the hard way")."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from memos.reader.rules import extract

T1 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
Fact = tuple[str, str, str, bool]


def facts(text: str) -> set[Fact]:
    return {(e.subject, e.attribute, e.value, e.negated)
            for e in extract(text, "Alice", "user:alice", T1)}


@pytest.mark.parametrize(("text", "expected"), [
    ("I'm a vet in Bristol.", {("Alice", "job", "vet", False)}),
    ("I'm a teacher in Leeds.", {("Alice", "job", "teacher", False)}),
    ("I work as a vet in Bristol.", {("Alice", "job", "vet", False)}),
    ("I work as a nurse in a care home.", {("Alice", "job", "nurse", False)}),
    ("I'm a nurse in the ICU.", {("Alice", "job", "nurse", False)}),
    ("I'm a nurse at St Mary's in London.",
     {("Alice", "job", "nurse", False), ("Alice", "employer", "St Mary's", False)}),
    ("I'm a nurse in London at St Mary's.",
     {("Alice", "job", "nurse", False), ("Alice", "employer", "St Mary's", False)}),
])
def test_a_job_and_where_it_is_done(text: str, expected: set[Fact]) -> None:
    assert facts(text) == expected


def test_a_job_keeps_its_field() -> None:
    assert ("Alice", "job", "engineer in maintenance", False) in facts(
        "I work as an engineer in maintenance.")


def test_an_introduction_with_a_job_and_a_place() -> None:
    found = facts("Hi! I'm Dana, I'm a vet in Bristol.")
    assert ("Dana", "name", "Dana", False) in found
    assert any(f[1] == "job" and f[2] == "vet" for f in found)


@pytest.mark.parametrize(("text", "expected"), [
    ("I'm allergic to penicillin, found out the hard way.", {"penicillin"}),
    ("I'm allergic to bees, learned that as a kid.", {"bees"}),
    ("I'm allergic to latex, discovered it at the dentist.", {"latex"}),
    ("I'm allergic to cats, dogs and horses.", {"cats", "dogs", "horses"}),
])
def test_an_allergy_list_ends_before_a_clause(text: str, expected: set[str]) -> None:
    assert {f[2] for f in facts(text) if f[1] == "allergy"} == expected
