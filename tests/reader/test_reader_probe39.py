"""Turns a probe found unread (probe 39): "I'm dating Dan now" and "I've started dating
Dan" named no partner, or named one beside the boyfriend stored
before, who stayed the user's boyfriend ("My boyfriend is Tom" ... "I'm dating Dan now":
two partners at once). A new partner said at a clause's start, with "now" or "started", is
the partner, and ends the boyfriend, girlfriend or fiancé before, as "I'm single now" ends
every partner. "Seeing" is not read: a review found "I've started seeing Jenna, my new
therapist" and "I'm seeing Hamilton now" (a show) said as often. Near misses name no one: a
saying ("I'm dating myself"), an app, someone else's partner.

Also from the probe: "I'm single now, but ..." / "I'm retired now, but ..." ended every
partner / the job, where "I'm retired but ..." did not: after a comma the word that goes
on was looked at before its space; and "as of June" / "once again" after the comma still
close the state ("I'm retired now, as of June" ends the job)."""

from __future__ import annotations

import pytest

from memos import MemOS
from memos.reader.rules import PARTNERS
from tests.reader.helpers import ended, said, user

# the ties a new partner ends (not a spouse's: a divorce is said as one)
ENDED = {("boyfriend's name", ""), ("girlfriend's name", ""), ("fiancé's name", "")}


@pytest.mark.parametrize(("text", "name"), [
    ("I'm dating Dan now", "Dan"),
    ("I'm dating Dan now.", "Dan"),
    ("I'm now dating Dan", "Dan"),
    ("I've started dating Dan", "Dan"),
    ("I've just started dating Dan", "Dan"),
    ("I have started dating Dan Reyes", "Dan Reyes"),
    ("I'm officially dating Dan now!", "Dan"),
    ("Guess what, I'm dating Dan now!", "Dan"),
    ("btw I'm dating Dan now, he's lovely", "Dan"),
    ("I'm dating Dan now lol", "Dan"),
    # after a break-up in the same turn: the break-up's own ends, and the new partner's
    ("Tom and I broke up and I'm dating Dan now", "Dan"),
])
def test_a_new_partner_is_the_partner_and_ends_the_one_before(text: str, name: str) -> None:
    assert ("Alice", "partner's name", name) in said(text), said(text)
    assert ENDED <= ended(text), ended(text)


@pytest.mark.parametrize("text", [
    # not a name: a thing, a person seen, a saying
    "I'm dating apps are awful", "I'm seeing the doctor now", "I'm seeing a therapist now",
    "I'm seeing double", "I'm dating myself", "I'm seeing Dr Lee now", "I'm seeing Dr. Lee now",
    "I'm seeing Mr Right now", "I'm seeing Hinge now", "i'm seeing dan now",
    # a meeting, someone else's, or not the speaker's now
    "I'm seeing Dan tonight", "I'm seeing Dan right now", "I'm seeing Dan now for lunch",
    "I'm seeing Dan tomorrow", "Now I'm seeing Dan", "I'm dating Dan's brother now",
    "She thinks I'm dating Dan now", "I'm not dating Dan now", "I'm dating Dan now?",
    "I'm seeing Dan now, but only as friends", "I'm dating Dan now, but only as friends",
    # "seeing": a show, a band, a place, a therapist or a physio as often as a partner
    "I'm seeing Dan now", "I'm now seeing Dan", "I've just started seeing Dan",
    "I'm seeing Hamilton now", "I've started seeing Hamilton", "I'm seeing Coldplay now",
    "I'm now seeing Lisbon", "I've started seeing Jenna, my new therapist",
    "I'm seeing Jack now, he's my physio", "I've started seeing Dan, my dentist",
])
def test_no_new_partner_from_near_misses(text: str) -> None:
    got = ended(text)
    assert not {e for e in got if e[0].endswith("'s name")}, got
    assert not {f for f in said(text) if f[1] == "partner's name" and f[2] != "Dan"}, said(text)


@pytest.mark.parametrize("text", ["I'm seeing Dan now, but only as friends",
                                  "I'm dating myself", "I'm seeing the doctor now",
                                  "I'm seeing double", "I'm dating apps are awful"])
def test_no_partner_at_all(text: str) -> None:
    assert not {f for f in said(text) if f[1].endswith("'s name")}, said(text)


def test_dating_without_now_names_the_partner_and_ends_nothing() -> None:
    """"I'm dating Dan" alone: the partner, as before; no tie ends (a second relationship is
    not said)."""
    assert ("Alice", "partner's name", "Dan") in said("I'm dating Dan")
    assert ended("I'm dating Dan") == set()


@pytest.mark.parametrize("text", ["I'm single now, but only on paper",
                                  "I'm retired now, but only from football",
                                  "I'm single now, though it's complicated"])
def test_a_state_that_goes_on_after_a_comma_ends_nothing(text: str) -> None:
    got = ended(text)
    assert not {e for e in got if e[0] in ("job", "employer") or e[0].endswith("'s name")}, got


def test_single_after_a_comma_still_ends_every_partner() -> None:
    assert {(f"{rel}'s name", "") for rel in PARTNERS} <= ended("I'm single now, Anna left me")


@pytest.mark.parametrize("text", ["I'm single again, as of yesterday",
                                  "I'm single now, once again",
                                  "I'm single now, as you know"])
def test_as_of_and_once_again_still_close_single(text: str) -> None:
    assert {(f"{rel}'s name", "") for rel in PARTNERS} <= ended(text), ended(text)


@pytest.mark.parametrize("text", ["I'm officially retired now, as of today!",
                                  "I'm retired now, as of June"])
def test_as_of_still_closes_retired(text: str) -> None:
    assert {"job", "employer"} <= {a for a, _ in ended(text)}, ended(text)


@pytest.mark.parametrize(("before", "now"), [
    ("My boyfriend is Tom.", "I'm dating Dan now."),
    ("My girlfriend is Tom.", "I'm now dating Dan."),
    ("My partner is Tom.", "I've started dating Dan."),
    ("I'm dating Tom.", "I'm dating Dan now."),
    ("I'm engaged to Tom.", "I'm dating Dan now."),
])
def test_the_new_partner_replaces_the_stored_one(mem: MemOS, before: str, now: str) -> None:
    mem.ingest([user(before)], "alice", session_id="s1")
    mem.ingest([user(now)], "alice", session_id="s2")
    live = {h.cube.metadata.get("relation"): h.content
            for h in mem.search("boyfriend girlfriend partner fiancé name", "alice", kind="fact")}
    assert live.get("partner's name") == "Alice's partner's name is Dan.", live
    assert not any("Tom" in content for content in live.values()), live


def test_a_near_miss_keeps_the_stored_partner(mem: MemOS) -> None:
    mem.ingest([user("My boyfriend is Tom.")], "alice", session_id="s1")
    report = mem.ingest([user("I'm seeing the doctor now."), user("I'm dating myself lol"),
                         user("I'm seeing Dan tonight."),
                         user("I've started seeing Jenna, my new therapist.")],
                        "alice", session_id="s2")
    assert report.ended == [] and report.superseded == [], report
    live = [h.content for h in mem.search("boyfriend", "alice", kind="fact")
            if h.cube.metadata.get("relation") == "boyfriend's name"]
    assert live == ["Alice's boyfriend's name is Tom."], live


@pytest.mark.parametrize(("before", "now"), [
    ("My boyfriend is Dan.", "I'm dating Dan now."),
    ("My fiancé is Dan Reyes.", "I've started dating Dan."),
    ("My girlfriend is Dan.", "I'm now dating Dan."),
])
def test_the_same_partner_said_again_keeps_the_tie(mem: MemOS, before: str, now: str) -> None:
    """The tie whose name the new partner has is not ended: he is still that (session 39
    left this: the rules know no stored value, the ingest does)."""
    mem.ingest([user(before)], "alice", session_id="s1")
    report = mem.ingest([user(now)], "alice", session_id="s2")
    assert report.ended == [], report
    live = {h.cube.metadata.get("relation"): h.content
            for h in mem.search("boyfriend girlfriend partner fiancé name", "alice", kind="fact")}
    assert live.get("partner's name") == "Alice's partner's name is Dan.", live
    tie = next(rel for rel in ("boyfriend's name", "girlfriend's name", "fiancé's name")
               if rel.split("'")[0] in before.lower())
    assert tie in live and "Dan" in live[tie].title(), live


def test_a_new_partner_still_ends_a_tie_of_another_name(mem: MemOS) -> None:
    mem.ingest([user("My boyfriend is Danny.")], "alice", session_id="s1")
    report = mem.ingest([user("I'm dating Dan now.")], "alice", session_id="s2")
    assert len(report.ended) == 1, report
