"""A couple no more, said without "broke up" ("I'm no longer dating Dan", "Dan and I aren't
together any more", "I stopped seeing Dan"), and a couple said "me and Dan" ("Me and Dan are
dating"). Before: none of these was read, so a partner stored earlier stayed the answer to
"who am I dating?" after the user said it was over, and "Me and Dan are dating" stored no
partner."""

from __future__ import annotations

import pytest

from memos import MemOS
from memos.reader.rules import PARTNERS, extract
from tests.assistant.helpers import ask, tell
from tests.reader.helpers import live, user

Fact = tuple[str, str, str]


def ended(text: str) -> set[Fact]:
    return {(e.subject, e.attribute, e.value) for e in extract(text, "Alice", "user:alice")
            if e.negated}


def said(text: str) -> set[Fact]:
    return {(e.subject, e.attribute, e.value) for e in extract(text, "Alice", "user:alice")
            if not e.negated}


@pytest.mark.parametrize(("text", "name"), [
    ("I'm no longer dating Dan.", "Dan"),
    ("I am no longer seeing Dan", "Dan"),
    ("I'm not dating Dan anymore.", "Dan"),
    ("I'm not with Dan any more, it's over.", "Dan"),
    ("I'm not seeing Dan any longer.", "Dan"),
    ("I stopped seeing Dan last month.", "Dan"),
    ("I've stopped dating Dan Smith.", "Dan Smith"),
    ("I'm no longer married to Sam.", "Sam"),
    ("I'm no longer engaged to Sam", "Sam"),
    ("Sam and I are no longer together.", "Sam"),
    ("Sam and I aren't dating anymore.", "Sam"),
    ("Sam and I are not together any more", "Sam"),
    ("Sam and I stopped seeing each other.", "Sam"),
    ("Me and Sam are no longer a couple.", "Sam"),
    ("Me and Sam stopped dating in March.", "Sam"),
])
def test_a_couple_no_more_ends_the_partner_by_name(text: str, name: str) -> None:
    partners = {("Alice", f"{kind}'s name", name) for kind in PARTNERS}
    got = ended(text)  # ("not with Dan": an employer named Dan ends too, if one was stored)
    assert got == partners or got - partners == {("Alice", "employer", name)} and " with " in text
    assert not {f for f in said(text) if f[1].endswith("'s name")}


@pytest.mark.parametrize("text", [
    "I'm not seeing Dan today.",          # a meeting
    "I'm not seeing Dan until Friday.",
    "I'm not dating Dan's brother anymore, I never was.",
    "Are you no longer dating Dan?",      # a question
    "If Sam and I are no longer together, I'll move.",  # a hedge
    "My sister and Sam are no longer together.",        # another's couple
    "Sam and I are no longer working together.",        # colleagues
    "I stopped seeing the therapist.",
    # a couple that moved on together, not apart (review)
    "I'm no longer engaged to Sam, we're married now!",
    "Sam and I are no longer engaged - we got married!",
    "Sam and I aren't dating anymore, we're engaged!",
    "I'm no longer engaged to Sam because we got married last week.",
    # "going out": an evening as often
    "My husband and I stopped going out since the baby was born.",
    "Sam and I stopped going out since the baby came.",
])
def test_no_partner_ends_without_a_couple_ending(text: str) -> None:
    assert not {f for f in ended(text) if f[1] in {f"{k}'s name" for k in PARTNERS}}


def test_my_partner_by_relation_ends_whatever_the_name() -> None:
    assert {("Alice", "boyfriend's name")} == {
        (s, a) for s, a, _ in ended("My boyfriend Dan and I are no longer together.")}
    assert ("Alice", "boyfriend's name", "Dan") in ended(
        "My boyfriend Dan and I are no longer together.")


def test_we_are_no_longer_together_ends_the_partner_named_before() -> None:
    assert ("Alice", "partner's name", "Dan") in ended(
        "I was dating Dan but we're no longer together.")
    assert not ended("We're not together anymore.")  # no one named: nothing ends


@pytest.mark.parametrize("text", ["Me and Dan are dating.", "Dan and me are dating.",
                                  "me and Dan have been dating for a year",
                                  "Me and Dan are a couple now."])
def test_me_and_a_name_dating_is_the_partner(text: str) -> None:
    assert ("Alice", "partner's name", "Dan") in said(text)


@pytest.mark.parametrize("text", ["Me and Dan are going out tonight.",
                                  "Me and my sister are dating.", "Me and Dan are friends."])
def test_me_and_a_name_without_a_couple_is_no_partner(text: str) -> None:
    assert not {f for f in said(text) if f[1] == "partner's name"}


def test_no_longer_dating_ends_the_stored_partner(mem: MemOS) -> None:
    mem.ingest([user("I've been dating Dan for a year.")], "alice", session_id="s1")
    assert live(mem, "partner's name") == ["Alice's partner's name is Dan."]
    report = mem.ingest([user("I'm no longer dating Dan.")], "alice", session_id="s2")
    assert len(report.ended) == 1 and report.facts == []
    assert live(mem, "partner's name") == []


def test_the_assistant_has_no_partner_after_it_ended(mem: MemOS) -> None:
    bot = tell(mem, [(0, "Me and Dan are dating.")])
    assert ask(bot, "Who am I dating?", day=10).startswith("Your partner's name is Dan")
    tell(mem, [(30, "Dan and I aren't together anymore.")])
    reply = ask(bot, "Who am I dating?")  # what was said, in order: no partner now
    assert "partner's name is" not in reply and reply.endswith("aren't together anymore.")
    bot = tell(mem, [(0, "I'm dating Tom."), (30, "I stopped seeing Tom.")], user="bob")
    reply = ask(bot, "who's my partner?")
    assert "partner's name is" not in reply and reply.endswith("I stopped seeing Tom.")
