"""Turns a probe found read wrongly or not tested (probe 35): a partner told by the verb
("I'm dating Dan", "Dan and I are dating"), "he" / "she" after an unnamed relative ("My mom
lives in Lima." / "She's a teacher."), and the likes of a relative.

Before: "I'm dating Dan", "I've been dating Dan for a year", "I started seeing Dan", "Dan and
I are dating" and "I'm going out with Dan" stored no partner, so the assistant had no answer
to "who am I dating?"; "She's a teacher." after "My mom lives in Lima." stored nothing (only a
named person was a referent). The likes of a relative were already stored of that relative
("My dad loves jazz": the father's likes; "My sister Ana loves hiking": Ana's), never of the
user: those tests guard it."""

from __future__ import annotations

import pytest

from memos import MemOS
from memos.reader.rules import extract
from tests.assistant.helpers import ask, tell
from tests.reader.helpers import facts

Fact = tuple[str, str, str]


def said(text: str) -> set[Fact]:
    """The (subject, attribute, value) of the facts one turn states (negations left out)."""
    return {(e.subject, e.attribute, e.value) for e in extract(text, "Alice", "user:alice")
            if not e.negated}


def user(text: str) -> dict[str, str]:
    return {"role": "user", "content": text}


# 1. A partner told by the verb: "Alice's partner's name is Dan." (a boyfriend or a
# girlfriend: the turn does not say which)

@pytest.mark.parametrize(("text", "name"), [
    ("I'm dating Dan", "Dan"),
    ("I'm dating Dan.", "Dan"),
    ("I've been dating Dan for a year.", "Dan"),
    ("I have been dating Dan since March.", "Dan"),
    ("I started seeing Dan", "Dan"),
    ("I just started seeing Dan last month!", "Dan"),
    ("I've been seeing Dan for two years.", "Dan"),
    ("Dan and I are dating", "Dan"),
    ("So Dan and I are dating now.", "Dan"),
    ("Dan and I have been dating for 3 years.", "Dan"),
    ("Dan and I started going out last year", "Dan"),
    ("I've been going out with Dan since 2021.", "Dan"),
    ("I'm in a relationship with Sam.", "Sam"),
    ("I'm dating Dan Smith, who is a chef.", "Dan Smith"),
    ("I'm now dating Dan and it's going great", "Dan"),
])
def test_a_partner_told_by_the_verb(text: str, name: str) -> None:
    got = said(text)
    assert ("Alice", "partner's name", name) in got, got


@pytest.mark.parametrize("text", [
    "I'm dating again",
    "Dating apps are exhausting.",
    "I've been on dating apps for a year.",
    "I'm seeing a therapist",
    "I'm seeing Dan tomorrow",           # a meeting
    "I'm seeing Dan.",                   # a meeting as often
    "I'm going out with Dan tonight",
    "I'm going out with Dan for dinner",
    "Tom and I are going out tonight",
    "Dan and I are together at the bar",
    "I've been seeing Dan a lot lately",
    "I was dating Dan",                  # the past
    "I'm not dating Dan",
    "I'm dating Dan's brother",
    "Are you dating Dan?",
    "Am I dating Dan?",
    "My sister is dating Dan",
    "If I'm dating Dan, I should tell my mom.",
    "i'm dating dan",                     # a name in lower case is no name
    "I'm dating Tinder guys",
    "If I married Sam, I'd move to Oslo.",  # a hedge: no spouse either
    # (the review's: a doctor, an evening, friends or business partners, a show)
    "I've been seeing Dr. Smith for a year.",
    "I've been seeing Dr. Lee.",
    "I'm going out with Sarah.",
    "Sarah and I are going out.",
    "Tom and I have been together since kindergarten.",
    "Tom and I have been together for 10 years, we run the shop.",
    "I'm going out with Friends.",
    "I've been seeing Jessica Jones.",
    "I've been seeing Dan",               # without how long: a doctor or a show as often
])
def test_no_partner_without_one_named_now(text: str) -> None:
    got = said(text)
    assert not any(a.endswith("'s name") for _, a, _ in got), got


def test_a_couple_said_of_both_stays_one_clause() -> None:
    # "Dan and I are dating" is one subject: the clause split keeps it whole, and the "he"
    # after it is Dan
    got = said("Dan and I are dating, he's a chef.")
    assert {("Alice", "partner's name", "Dan"), ("Dan", "job", "chef")} <= got


def test_a_break_up_ends_the_partner_told_by_the_verb(mem: MemOS) -> None:
    mem.ingest([user("I've been dating Dan for a year.")], "alice", session_id="s1")
    live = [h.content for h in mem.search("partner", "alice", kind="fact")
            if h.cube.metadata.get("relation") == "partner's name"]
    assert live == ["Alice's partner's name is Dan."]
    report = mem.ingest([user("Dan and I broke up.")], "alice", session_id="s2")
    assert len(report.ended) == 1
    assert not [h for h in mem.search("partner", "alice", kind="fact")
                if h.cube.metadata.get("relation") == "partner's name"]


def test_dated_then_broke_up_in_one_turn_leaves_no_partner(mem: MemOS) -> None:
    mem.ingest([user("I started dating Dan in 2019 but we broke up last year.")], "alice",
               session_id="s1")
    assert not [h for h in mem.search("partner", "alice", kind="fact")
                if h.cube.metadata.get("relation") == "partner's name"]


@pytest.mark.parametrize("told", ["I'm dating Dan.", "Dan and I have been dating for a year.",
                                  "I started seeing Dan last month."])
def test_the_assistant_answers_who_the_partner_is(mem: MemOS, told: str) -> None:
    bot = tell(mem, [(0, told)])
    for question in ["Who am I dating?", "who's my partner?", "What's my boyfriend's name?",
                     "who is my girlfriend?"]:
        reply = ask(bot, question)
        assert "Dan" in reply and "partner" in reply, (question, reply)
    assert "Dan" not in ask(bot, "What's my husband's name?")


def test_the_assistant_has_no_partner_from_a_meeting(mem: MemOS) -> None:
    bot = tell(mem, [(0, "I'm seeing Dan tomorrow."), (1, "I'm seeing a therapist.")])
    for question in ["Who am I dating?", "who's my partner?", "What's my boyfriend's name?"]:
        assert ask(bot, question) == "I don't have anything about that yet.", question


def test_a_boyfriend_by_name_is_still_answered_as_the_boyfriend(mem: MemOS) -> None:
    bot = tell(mem, [(0, "My boyfriend Tom is sweet.")])
    assert ask(bot, "What's my boyfriend's name?").startswith("Your boyfriend's name is Tom")
    assert ask(bot, "Who am I dating?").startswith("Your boyfriend's name is Tom")


# 2. "he" / "she" after an unnamed relative: the relative's

@pytest.mark.parametrize(("turns", "expected"), [
    (("U: My mom lives in Lima.", "U: She's a teacher."),
     {("Alice", "mother's city", "Lima"), ("Alice", "mother's job", "teacher")}),
    (("U: My mom lives in Lima.", "A: Nice!", "U: She's a teacher."),
     {("Alice", "mother's job", "teacher")}),
    (("U: My mom lives in Lima. She's a teacher.",),
     {("Alice", "mother's job", "teacher")}),
    (("U: My mom lives in Lima and she's a teacher.",),
     {("Alice", "mother's job", "teacher")}),
    (("U: My dad lives in Lima.", "A: Oh nice.", "U: He works at Boeing now.", "A: Cool.",
      "U: He's 64."),
     {("Alice", "father's employer", "Boeing"), ("Alice", "father's age", "64")}),
    (("U: My brother lives in Lima.", "U: He loves jazz."),
     {("Alice", "brother's likes", "jazz")}),
    (("U: My husband works at Google.", "U: He's 40."), {("Alice", "husband's age", "40")}),
    (("U: My mother-in-law lives in Lima.", "U: She's a nurse."),
     {("Alice", "mother-in-law's job", "nurse")}),
    # the gender picks one of two: the brother is named, the mother is not
    (("U: My brother Jack lives in Denver and my mom lives in Lima.", "U: She's a teacher."),
     {("Alice", "mother's job", "teacher")}),
])
def test_a_pronoun_after_an_unnamed_relative(turns: tuple[str, ...],
                                             expected: set[Fact]) -> None:
    got = facts(*turns)
    assert expected <= got, got


# Each gives no one the teacher's job: the "she" of the last turn is no one, or not the mom.
NO_RELATIVE = {
    "two_women_in_one_breath": ("U: My mom and my sister live in Lima. She's a teacher.",),
    "two_women_in_one_breath_next_turn": ("U: My mom and my sister live in Lima.",
                                          "U: She's a teacher."),
    "two_women_in_two_clauses": (
        "U: My mom lives in Lima and my sister lives in Quito. She's a teacher.",),
    "gender_that_does_not_fit": ("U: My dad lives in Lima.", "U: She's a teacher."),
    "another_named_between": ("U: My mom lives in Lima. My friend Ana visited. She's a teacher.",),
    "a_turn_between_naming_another": ("U: My mom lives in Lima.", "U: I met Tom.",
                                      "U: She's a teacher."),
    "assistant_naming_another_between": ("U: My mom lives in Lima.", "A: Did Ana go too?",
                                         "U: She's a teacher."),
    "mid_clause": ("U: My mom lives in Lima.", "U: Tom said she's a teacher."),
    "a_question": ("U: My mom lives in Lima.", "U: Is she a teacher?"),
    "a_hedge": ("U: My mom lives in Lima.", "U: She might be a teacher."),
    "a_relative_of_no_gender": ("U: My boss lives in Lima.", "U: She's a teacher."),
    "a_relative_of_no_gender_beside": ("U: My boss lives in Lima and my mom lives in Quito.",
                                       "U: She's a teacher."),
    "a_turn_between_that_uses_no_pronoun": ("U: My mom lives in Lima.", "U: I love pizza.",
                                            "U: She's a teacher."),
}


@pytest.mark.parametrize("turns", list(NO_RELATIVE.values()), ids=list(NO_RELATIVE))
def test_guard_no_relative_for_the_pronoun(turns: tuple[str, ...]) -> None:
    got = facts(*turns)
    assert not any(a.endswith("job") for _, a, _ in got), got


def test_a_named_relative_stays_the_referent() -> None:
    # the mother is named in the turn: "she" is Rosa, as before
    got = said("My mom's name is Rosa and my mom lives in Lima. She's a teacher.")
    assert ("Rosa", "job", "teacher") in got
    assert ("Alice", "mother's job", "teacher") not in got


def test_the_pronoun_of_a_relative_through_ingest(mem: MemOS) -> None:
    report = mem.ingest([user("My mom lives in Lima."),
                         {"role": "assistant", "content": "Lovely city!"},
                         user("She's a teacher.")], "alice", session_id="s1")
    contents = {mem.get(i, "alice").content for i in report.facts}
    assert "Alice's mother's job is teacher." in contents
    assert not any("Alice's job" in c for c in contents)


# 3. Likes of a relative: the relative's, never the user's

@pytest.mark.parametrize(("text", "expected"), [
    ("My sister Ana loves hiking.", ("Ana", "likes", "hiking")),
    ("My dad loves jazz.", ("Alice", "father's likes", "jazz")),
    ("My sister loves hiking.", ("Alice", "sister's likes", "hiking")),
])
def test_a_relatives_like_is_the_relatives(text: str, expected: Fact) -> None:
    got = said(text)
    assert expected in got, got
    assert not any(s == "Alice" and a in ("likes", "preference") for s, a, _ in got), got


def test_a_relatives_like_is_no_answer_to_what_the_user_likes(mem: MemOS) -> None:
    bot = tell(mem, [(0, "My dad loves jazz."), (1, "My sister Ana loves hiking.")])
    reply = ask(bot, "What do I like?")
    assert "jazz" not in reply and "hiking" not in reply, reply
