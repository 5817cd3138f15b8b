"""Life events said as events: "I got married to Sam in June" and "I married Sam last year"
name a spouse (only "I'm married to Sam" did), "We just had a baby girl, Mia" a daughter;
"I go by Liz" and "Everyone calls me Liz" a name; "I started at Spotify" an employer (a firm
that is also an app: one starts at a firm, not at an app)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from memos.reader.rules import extract

T1 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
Fact = tuple[str, str, bool]


def facts(text: str) -> set[Fact]:
    return {(e.attribute, e.value, e.negated) for e in extract(text, "Alice", "user:alice", T1)
            if e.subject_key == "user:alice"}


@pytest.mark.parametrize(("text", "expected"), [
    ("I got married to Sam in June.", {("spouse's name", "Sam", False)}),
    ("I married Sam last year", {("spouse's name", "Sam", False)}),
    ("I just got married to Priya!", {("spouse's name", "Priya", False)}),
    ("We just had a baby girl, Mia.", {("daughter's name", "Mia", False)}),
    ("I had a baby boy named Noah", {("son's name", "Noah", False)}),
    ("We welcomed our second baby girl - Ava", {("daughter's name", "Ava", False)}),
    ("My name is Elizabeth but I go by Liz", {("name", "Elizabeth", False),
                                              ("name", "Liz", False)}),
    ("Everyone calls me Liz.", {("name", "Liz", False)}),
    ("I started at Spotify on Monday", {("employer", "Spotify", False)}),
])
def test_life_events_state_facts(text: str, expected: set[Fact]) -> None:
    assert facts(text) == expected


@pytest.mark.parametrize("text", [
    # guards: none of these names a spouse, a child, a name or an employer
    "I married into money", "I married Sam's cousin", "My friend had a baby girl, Mia",
    "We had a girl over for dinner, Sarah", "People call me crazy", "I go by bus",
    "I joined Spotify", "I started with Duolingo",
])
def test_no_life_event(text: str) -> None:
    assert facts(text) == set()


def test_im_married_to_still_reads() -> None:
    # guard: read before, as before
    assert facts("I'm married to Sam") == {("spouse's name", "Sam", False)}
