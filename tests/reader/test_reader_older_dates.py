"""A statement dated earlier than the live fact's start ("I joined Acme in 2018." after "I
joined Globex in 2023.") is history: the current value stays, and the older one is stored
as a fact that began at its date and ended when the current one began, replaced by it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from memos import MemOS
from memos.assistant import Assistant
from memos.cube import Lifecycle

T1 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
T2 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def _say(mem: MemOS, text: str, session: str, at: datetime) -> Any:
    return mem.ingest([{"role": "user", "content": text}], "alice", session_id=session, at=at)


def _ask(mem: MemOS, question: str) -> str:
    return Assistant(mem, "alice", backend="extractive", learn=False).reply(question).text


def _year(y: int) -> datetime:
    return datetime(y, 1, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("first", "later", "now", "old", "question"), [
    ("I joined Globex in 2023.", "I joined Acme in 2018.", "Globex", "Acme",
     "Where do I work?"),
    ("I moved to Munich in 2022.", "I moved to Berlin in 2019.", "Munich", "Berlin",
     "Where do I live?"),
])
def test_an_older_date_said_later_is_history(mem: MemOS, first: str, later: str, now: str,
                                             old: str, question: str) -> None:
    [current] = _say(mem, first, "s1", T1).facts
    report = _say(mem, later, "s2", T2)
    assert current not in report.superseded and report.ended == []
    [past] = report.facts
    cur, was = mem.get(current, "alice"), mem.get(past, "alice")
    assert cur.state == Lifecycle.ACTIVE and cur.valid_to is None
    assert was.state == Lifecycle.SUPERSEDED and was.content.endswith(f"is {old}.")
    assert was.valid_from < cur.valid_from and was.valid_to == cur.valid_from
    # replaced by the current fact, as the history walk follows it
    near = mem.neighbors(current, "alice", relation="supersedes")
    assert [n.cube.id for n in near if n.direction == "out"] == [past]
    answer = _ask(mem, question)
    assert now in answer and old not in answer, answer


def test_the_history_lists_the_older_value_first(mem: MemOS) -> None:
    _say(mem, "I joined Globex in 2023.", "s1", T1)
    _say(mem, "I joined Acme in 2018.", "s2", T2)
    text = _ask(mem, "Where have I worked?")
    assert text.find("Acme") < text.find("now Globex"), text
    assert "1 January 2018" in text and "1 January 2023" in text, text
    assert "2026" not in text.split("Acme", 1)[1].split("Globex", 1)[0], text


@pytest.mark.parametrize(("later", "valid_from"), [
    ("I joined Acme.", T2),  # no date: the turn's time, after Globex began
    ("I joined Acme in 2025.", _year(2025)),  # a later date
])
def test_no_date_or_a_later_date_supersedes_as_before(mem: MemOS, later: str,
                                                      valid_from: datetime) -> None:
    [globex] = _say(mem, "I joined Globex in 2023.", "s1", T1).facts
    report = _say(mem, later, "s2", T2)
    assert report.superseded == [globex]
    [acme] = report.facts
    assert mem.get(acme, "alice").valid_from == valid_from
    assert mem.get(globex, "alice").valid_to == valid_from
    answer = _ask(mem, "Where do I work?")
    assert "Acme" in answer and "Globex" not in answer, answer


def test_multi_valued_and_negations_unaffected(mem: MemOS) -> None:
    [peanuts] = _say(mem, "I've been allergic to peanuts since 2023.", "s1", T1).facts
    report = _say(mem, "I've been allergic to shellfish since 2018.", "s2", T2)
    assert report.superseded == [] and len(report.facts) == 1
    assert mem.get(peanuts, "alice").state == Lifecycle.ACTIVE
    [globex] = _say(mem, "I joined Globex in 2023.", "s3", T1).facts
    ended = _say(mem, "I left Globex.", "s4", T2)
    assert ended.ended == [globex]


def test_ingested_again_is_idempotent(mem: MemOS) -> None:
    [globex] = _say(mem, "I joined Globex in 2023.", "s1", T1).facts
    [acme] = _say(mem, "I joined Acme in 2018.", "s2", T2).facts
    again = _say(mem, "I joined Acme in 2018.", "s2", T2)
    assert again.superseded == [] and acme not in again.facts[1:]
    assert mem.get(globex, "alice").state == Lifecycle.ACTIVE


@pytest.mark.parametrize(("first", "later"), [
    # "I live in Berlin" began at the latest when it was said: a move dated to a month that
    # holds that day may be later, and is read as the change it is
    ("I live in Berlin.", "I moved to Oslo last month."),
    ("I live in Berlin.", "I moved to Oslo in 2026."),
    # a year holds March: the move may have been after the one dated March
    ("I moved to Berlin in March 2025.", "I moved to Oslo in 2025."),
])
def test_a_move_that_may_be_later_still_supersedes(mem: MemOS, first: str, later: str
                                                   ) -> None:
    [berlin] = _say(mem, first, "s1", datetime(2026, 1, 5, 9, 0, tzinfo=UTC)).facts
    report = _say(mem, later, "s2", datetime(2026, 2, 4, 9, 0, tzinfo=UTC))
    assert report.superseded == [berlin], report
    answer = _ask(mem, "Where do I live?")
    assert "Oslo" in answer and "Berlin" not in answer.split("(")[0], answer


def test_a_reader_fact_written_before_beginnings_were_marked_orders_nothing(
        mem: MemOS) -> None:
    """A store written by an earlier reader has facts without metadata "began": their
    beginnings are unknown, so a dated statement supersedes them as before."""
    key = {"subject": "user:alice", "attribute": "employer", "relation": "employer",
           "value": "Globex", "reader": "rules"}
    old = mem.add("Alice's employer is Globex.", "alice", kind="fact", metadata=key,
                  valid_from=datetime(2026, 1, 5, tzinfo=UTC))
    report = _say(mem, "I joined Acme in 2018.", "s2", T2)
    assert report.superseded == [old.id]


@pytest.mark.parametrize(("newer", "older", "now", "old", "question"), [
    ("I live in Munich.", "I live in Berlin.", "Munich", "Berlin", "Where do I live?"),
    ("I work at Globex.", "I work at Acme.", "Globex", "Acme", "Where do I work?"),
])
def test_an_older_conversation_ingested_later_is_history(mem: MemOS, newer: str, older: str,
                                                         now: str, old: str,
                                                         question: str) -> None:
    """Two values each said as holding when said go by when they were said: an older
    conversation ingested after a newer one (a chat backlog imported after using the
    assistant) stores its value as the live one's past (a fresh-eyes review found the old
    value made current, and the newer one ended at the time of the ingest)."""
    [current] = _say(mem, newer, "new", T2).facts
    report = _say(mem, older, "old", T1)
    assert report.superseded == [] and report.ended == []
    [past] = report.facts
    cur, was = mem.get(current, "alice"), mem.get(past, "alice")
    assert cur.state == Lifecycle.ACTIVE and cur.valid_to is None and cur.valid_from == T2
    assert was.state == Lifecycle.SUPERSEDED and was.valid_from == T1 and was.valid_to == T2
    answer = _ask(mem, question)
    assert now in answer and old not in answer, answer
    # said later than the live one, it replaces it as before
    third = _say(mem, older, "later", datetime(2026, 9, 1, 9, 0, tzinfo=UTC))
    assert third.superseded == [current]


def test_a_date_the_sentence_holds_elsewhere_is_not_when_it_was_said(mem: MemOS) -> None:
    """A review of the rule above: "a company founded in 1998" gives the fact a valid_from of
    1998 while it was said in September 2026; the order goes by when each was said
    (metadata "said_at"), so the later statement still replaces the earlier one."""
    [acme] = _say(mem, "I work at Acme.", "a", T1).facts
    report = _say(mem, "I work at Globex, a company founded in 1998.", "b", T2)
    assert report.superseded == [acme]
    answer = _ask(mem, "Where do I work?")
    assert "Globex" in answer and "Acme" not in answer, answer


def test_a_past_fact_said_before_a_live_one_ends_when_that_was_said(mem: MemOS) -> None:
    """Review: the past fact's end came from the live fact's valid_from (1998 here), not
    from when the live one was said."""
    _say(mem, "I work at Globex, a company founded in 1998.", "g", T2)
    [past] = _say(mem, "I work at Acme.", "a", T1).facts
    acme = mem.get(past, "alice")
    assert acme.state == Lifecycle.SUPERSEDED and acme.valid_from == T1 and acme.valid_to == T2
