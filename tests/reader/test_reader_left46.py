"""Session 46: a job move said as "moved to", and a start with when it was left.

- "i was at Target for 3 years then moved to Costco": before, Costco was the city. A name
  moved to after a workplace in the sentence is a home only when it is a known place; a
  firm by its shape is the employer ("... then moved to PwC").
- "I started a new job at Google in 2015, left in 2018": before, Google was the employer
  now. What the clause began is past, from the start told to the period left."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from memos.reader.rules import extract

AT = datetime(2026, 6, 1, 12, tzinfo=UTC)


def read(text: str) -> set[tuple[str, str, bool, str]]:
    return {(e.attribute, e.value, e.past, str(e.until))
            for e in extract(text, "Alice", "user:alice", AT) if not e.negated}


@pytest.mark.parametrize(("text", "expected"), [
    ("i was at Target for 3 years then moved to Costco",
     {("employer", "Target", True, "None")}),
    ("I worked at Deloitte then moved to PwC",
     {("employer", "Deloitte", True, "None"), ("employer", "PwC", False, "None")}),
    # a known place is a move all the same
    ("I worked at Google then moved to Zurich.",
     {("employer", "Google", True, "None"), ("city", "Zurich", False, "None")}),
    ("I used to live in Leeds but moved to York",
     {("city", "Leeds", True, "None"), ("city", "York", False, "None")}),
    # a home after a workplace: kept (only "was at ... then moved to" leaves a name the
    # rules do not know unread)
    ("I work for Acme and just moved to Tacoma",
     {("employer", "Acme", False, "None"), ("city", "Tacoma", False, "None")}),
    ("I worked for Shell in London then moved to Aberdeen",
     {("employer", "Shell", True, "None"), ("city", "Aberdeen", False, "None")}),
])
def test_a_job_move(text: str, expected: set[tuple[str, str, bool, str]]) -> None:
    assert read(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("I started a new job at Google in 2015, left in 2018.",
     {("employer", "Google", True, "2018-01-01")}),
    ("I moved to Denver in 2012 and left in 2016", {("city", "Denver", True, "2016-01-01")}),
    ("I joined Acme in March 2019 and quit in May 2020",
     {("employer", "Acme", True, "2020-05-01")}),
    # left before it began: no span; left and back again: it holds
    ("I started at Google in 2015 and left in 2010", {("employer", "Google", False, "None")}),
    ("I moved to Denver in 2012, left in 2016 and came back in 2020",
     {("city", "Denver", False, "None")}),
])
def test_left_later(text: str, expected: set[tuple[str, str, bool, str]]) -> None:
    assert read(text) == expected


def negated(text: str) -> set[tuple[str, str]]:
    return {(e.attribute, e.value) for e in extract(text, "Alice", "user:alice", AT)
            if e.negated}


@pytest.mark.parametrize(("text", "expected"), [
    # a firm left, named in lower case, only in talk of work: "i left uni", "i quit yoga",
    # "i left happy" are no firms (a review: a stored "uni of leeds" ended on "i left uni")
    ("i left equinor", set()),
    ("i left uni", set()),
    ("i quit yoga", set()),
    ("I quit Smoking in 2020", set()),
    ("i left work early", set()),
    ("got laid off from equinor today 😭", {("employer", "equinor"), ("job", "")}),
    ("got fired today lol", {("employer", ""), ("job", "")}),
    ("i quit smoking", set()),
    ("i left home early", set()),
    ("i left the party early", set()),
    ("got fired up about it", set()),
])
def test_a_job_left(text: str, expected: set[tuple[str, str]]) -> None:
    assert negated(text) == expected
