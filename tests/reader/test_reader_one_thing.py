"""Names of one thing said with "and" stay whole ("mac and cheese", "a gin and tonic", "rock
and roll": a favourite was cut at its "and", a list of likes split there), and leaving a
place known by name is a move, not a job left ("I left London" ended an employer London)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from memos import MemOS
from memos.reader.rules import extract

T1 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
Fact = tuple[str, str, str, bool]


def facts(text: str) -> set[Fact]:
    return {(e.subject, e.attribute, e.value, e.negated)
            for e in extract(text, "Alice", "user:alice", T1)}


@pytest.mark.parametrize(("text", "expected"), [
    ("My favorite food is mac and cheese.", {("Alice", "favorite food", "mac and cheese", False)}),
    ("My favorite drink is a gin and tonic", {("Alice", "favorite drink", "a gin and tonic",
                                               False)}),
    ("My favourite show is Law and Order.", {("Alice", "favorite show", "Law and Order",
                                              False)}),
    ("I love fish and chips", {("Alice", "likes", "fish and chips", False)}),
    ("I like rock and roll and jazz.", {("Alice", "likes", "rock and roll", False),
                                        ("Alice", "likes", "jazz", False)}),
    ("I love salt and vinegar crisps, olives and hummus",
     {("Alice", "likes", "salt and vinegar crisps", False), ("Alice", "likes", "olives", False),
      ("Alice", "likes", "hummus", False)}),
    ("I hate Drum and Bass", {("Alice", "dislikes", "Drum and Bass", False)}),
])
def test_one_thing_said_with_and_stays_whole(text: str, expected: set[Fact]) -> None:
    assert facts(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    # guards: a list of separate things is still split, as before
    ("I love cats and dogs.", {("Alice", "likes", "cats", False), ("Alice", "likes", "dogs",
                                                                     False)}),
    ("I'm allergic to peanuts and shellfish.", {("Alice", "allergy", "peanuts", False),
                                                ("Alice", "allergy", "shellfish", False)}),
    ("I love fish and rice", {("Alice", "likes", "fish", False), ("Alice", "likes", "rice",
                                                                    False)}),
])
def test_a_list_of_things_is_still_split(text: str, expected: set[Fact]) -> None:
    assert facts(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("I left London in 2019.", {("Alice", "city", "London", True)}),
    ("I left Germany when I was 10", {("Alice", "city", "Germany", True)}),
    ("I left London for Berlin", {("Alice", "city", "London", True),
                                  ("Alice", "city", "Berlin", False)}),
    ("I left New York to move to Austin.", {("Alice", "city", "New York", True),
                                            ("Alice", "city", "Austin", False)}),
    ("My sister left Paris last year.", {("Alice", "sister's city", "Paris", True)}),
])
def test_leaving_a_known_place_is_a_move(text: str, expected: set[Fact]) -> None:
    assert facts(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    # an employer left and things left for someone read as before; "I quit London" (a
    # saying) no longer ends an employer London
    ("I left Acme in 2019.", {("Alice", "employer", "Acme", True)}),
    ("I left Deloitte for Google", {("Alice", "employer", "Deloitte", True)}),
    ("I left Amazon a review", set()),
    ("I quit London", set()),
    ("I left London this morning for a conference.", set()),  # a trip, no move
    ("I left Lisbon at 6", set()),
])
def test_other_things_left(text: str, expected: set[Fact]) -> None:
    assert facts(text) == expected


def test_a_move_away_ends_the_city_in_the_store(tmp_path: Path) -> None:
    with MemOS.open(tmp_path / "store") as mem:
        mem.ingest([{"role": "user", "content": "I live in London"}], "alice",
                   session_id="s1", at=datetime(2026, 1, 5, tzinfo=UTC))
        mem.ingest([{"role": "user", "content": "I left London for Berlin"}], "alice",
                   session_id="s2", at=datetime(2026, 2, 5, tzinfo=UTC))
        live = {(c.metadata.get("attribute"), c.metadata.get("value"))
                for c in mem.list_memories("alice", kind="fact", limit=50).items}
    assert live == {("city", "Berlin")}
