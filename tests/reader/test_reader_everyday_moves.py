"""Moves and new jobs said the way chat says them: without "I" ("got a new place in
Olympia, moved in on saturday", "started a new job at Stripe today!"), or with "we're"
("We're living in Lisbon now", "We're renting a flat in Lisbon"). Before, none was read.

A home got is a move only where the move in is said: "I got a new place in Leeds, moving in
next month" is a plan, "We just bought a house in Denver" may be a second home; neither is
read, as before."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from memos.reader.rules import extract

AT = datetime(2026, 6, 1, 12, tzinfo=UTC)


def read(text: str) -> set[tuple[str, str, bool]]:
    return {(e.attribute, e.value, e.negated) for e in extract(text, "Alice", "user:alice", AT)}


@pytest.mark.parametrize(("text", "expected"), [
    ("got a new place in Olympia, moved in on saturday", {("city", "Olympia", False)}),
    ("Got a new place in Olympia and moved in on Saturday", {("city", "Olympia", False)}),
    ("Found an apartment in Brooklyn, moved in yesterday", {("city", "Brooklyn", False)}),
    ("We're renting a flat in Lisbon now", {("city", "Lisbon", False)}),
    ("We’re renting a flat in Lisbon", {("city", "Lisbon", False)}),
    ("I'm renting an apartment in Lisbon", {("city", "Lisbon", False)}),
    ("We're living in Lisbon now", {("city", "Lisbon", False)}),
    ("started a new job at Stripe today!", {("employer", "Stripe", False)}),
    ("Started a new job at Stripe", {("employer", "Stripe", False)}),
    ("landed a job at Acme as a tester", {("employer", "Acme", False), ("job", "tester", False)}),
])
def test_everyday_moves_and_jobs(text: str, expected: set[tuple[str, str, bool]]) -> None:
    assert read(text) == expected


def test_the_move_in_gives_the_date() -> None:
    (fact,) = extract("got a new place in Olympia, moved in on saturday", "Alice",
                      "user:alice", AT)
    assert str(fact.when) == "2026-05-30"  # the Saturday before Monday 1 June


@pytest.mark.parametrize("text", [
    "We just bought a house in Denver",
    "I got a new place in Leeds, moving in next month",
    "we bought a holiday home in Spain and moved in",
    "We're staying in Paris for a week",
    "We're moving to Berlin next year",
])
def test_no_move_without_one_said(text: str) -> None:
    assert not {f for f in read(text) if f[0] == "city"}


@pytest.mark.parametrize("text", [
    # a review's and a regression probe's findings: a stay, a plan, someone else's move in
    "I'm renting a cottage in Cornwall for a week",
    "We're renting a house in Tuscany next month",
    "I'm renting a flat in Lisbon for a few months",
    "we're renting a studio in Nashville till we find something",
    "got a new place in town, moved in on saturday",
    "got a new place in Paris, haven't moved in yet",
    "got a new place in Leeds, the old tenants moved in on saturday",
    "we bought a house in Leeds, the previous owners moved in 1990",
])
def test_no_home_of_ones_own(text: str) -> None:
    assert not {f for f in read(text) if f[0] == "city"}
