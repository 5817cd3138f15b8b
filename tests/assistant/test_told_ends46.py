"""A negation that tells when ("I left Globex last week", "my dog Rex died on Monday") ends
its facts then, at the precision told; before, every negation ended its facts when it was
said. A date said as a start or a length, one after the turn, or one before the fact
began, does not count (the fact ends when the negation was said)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from memos import MemOS
from memos.assistant import Assistant
from memos.cube import MemCube
from tests.assistant.helpers import T0, ask, tell


def fact(mem: MemOS, value: str) -> MemCube:
    (hit,) = [h for h in mem.search(value, "alice", k=20, include_superseded=True,
                                    kind=["fact"]) if h.cube.metadata.get("value") == value]
    return hit.cube


def test_a_negation_ends_its_fact_when_it_says(mem: MemOS) -> None:
    # T0 is Monday 2 March 2026; day 20 is Sunday 22 March, day 30 Wednesday 1 April
    bot = tell(mem, [(0, "I work at Globex"), (0, "I have a dog named Rex"),
                     (20, "I left Globex last week"), (30, "my dog Rex died on Monday")])
    globex, rex = fact(mem, "Globex"), fact(mem, "Rex")
    assert globex.state.value == "superseded" and rex.state.value == "superseded"
    assert globex.valid_to == datetime(2026, 3, 15, tzinfo=UTC)  # the week's first day
    assert globex.metadata["ended_by"] == "2026-03-21T23:59:59+00:00"  # and its last
    assert rex.valid_to == datetime(2026, 3, 30, tzinfo=UTC) and "ended_by" not in rex.metadata
    # the end told is written before the supersede, each with its reason
    assert [(v.op, v.reason) for v in mem.versions(globex.id, "alice")] == [
        ("add", None), ("update", "its end told by s20#0"), ("supersede", "ended by s20#0")]
    assert ask(bot, "where did I work before?") == (
        "Your employer was Globex (until the week of 15 March 2026).")
    assert ask(bot, "who is Rex?") == "Rex was your dog (until 30 March 2026)."
    # it held in the week told, and not after it
    assert ask(bot, "where did I work in April 2026?").startswith("I don't know")
    assert "Globex" in ask(bot, "where did I work in March 2026?")


def test_a_month_told(mem: MemOS) -> None:
    bot = tell(mem, [(0, "I work at Globex"), (70, "I left Globex in April")])
    globex = fact(mem, "Globex")
    assert globex.valid_to == datetime(2026, 4, 1, tzinfo=UTC)
    assert ask(bot, "where did I work before?") == (
        "Your employer was Globex (until April 2026).")


def test_dates_that_are_no_end(mem: MemOS) -> None:
    tell(mem, [(0, "I live in Boston"), (0, "I work at Initech"), (0, "my boyfriend is Mark"),
               # a start said with it
               (40, "I moved out of Boston, where I'd lived since 2019"),
               # before the fact began (it was stated on 2 March): ended when said
               (45, "I left Initech in January"),
               # two dates: which one ended it?
               (50, "I broke up with Mark on Friday, we met in 2019")])
    for value, day in (("Boston", 40), ("Initech", 45), ("Mark", 50)):
        cube = fact(mem, value)
        assert cube.state.value == "superseded", value
        assert cube.valid_to == T0 + timedelta(days=day), value
        assert "ended_by" not in cube.metadata


def negations(text: str) -> set[tuple[str, str, bool]]:
    from memos.reader.rules import extract

    return {(e.attribute, e.value, e.negated)
            for e in extract(text, "Alice", "user:alice", T0)}


SPOUSE_ENDS = {(f"{rel}'s name", "", True) for rel in ("husband", "wife", "spouse")}


def test_a_divorce_without_a_name() -> None:
    """"I got divorced" names no one: the spouse there is ends, whoever that is; before,
    these were not read at all."""
    for text in ("I got divorced last year.", "I'm divorced now.", "we got divorced lol",
                 "I finally got divorced in 2020!", "Guess what, I'm officially divorced",
                 # a marriage or an ex named is no marriage since (a review)
                 "We got divorced in 2024 after ten years of marriage",
                 "I'm divorced now, my ex-husband lives in Leeds"):
        assert negations(text) == SPOUSE_ENDS, text
    for text in ("I'm a divorced dad.", "I got divorced papers today",
                 "my parents got divorced in 2010", "If I got divorced, I'd move",
                 "I was divorced in 2015 and remarried in 2018",
                 # which spouse is no more? (a review, a regression probe)
                 "I'm divorced, but I remarried three years ago",
                 "we got divorced in 2019 and I remarried in 2021",
                 "I got divorced in 2015, and I married Kate in 2017",
                 "I got divorced in 2005. My current wife is Jane.",
                 "I'm divorced but I've been married to Sarah for 5 years now",
                 "We got divorced in 2012 and I met my wife Jane in 2015"):
        assert not any(n for _, _, n in negations(text)), text


def test_a_divorce_ends_the_spouse_then(mem: MemOS) -> None:
    bot = tell(mem, [(0, "my wife is Jess"), (20, "we got divorced last week")])
    jess = fact(mem, "Jess")
    assert jess.valid_to == datetime(2026, 3, 15, tzinfo=UTC)
    assert ask(bot, "who is Jess?") == "Jess was your wife (until the week of 15 March 2026)."
    # "last month" (February) is before she was said to be his wife (2 March): the end is
    # when it was said
    bot = tell(mem, [(0, "my husband is Tom"), (20, "we got divorced last month")],
               user="bob")
    (tom,) = [h.cube for h in mem.search("Tom", "bob", k=5, include_superseded=True,
                                         kind=["fact"]) if h.cube.metadata.get("value") == "Tom"]
    assert tom.valid_to == T0 + timedelta(days=20)


def test_an_old_divorce_ends_no_later_marriage(mem: MemOS) -> None:
    """A spouse said to have begun after the divorce told is not the one it ended."""
    bot = tell(mem, [(0, "I married Jess in 2020."), (5, "I got divorced in 2015, long story")])
    assert fact(mem, "Jess").state.value == "active"
    # a wife is asked of as a spouse too ("I married Jess" names a spouse)
    assert ask(bot, "who is my wife?").startswith("Your spouse's name is Jess")


def test_a_period_told_ends_no_later_than_it_was_said(mem: MemOS) -> None:
    """"I left Globex this year", said in February: it held until February at the latest,
    not through December (a review: "In October 2026, your employer was Globex")."""
    bot = tell(mem, [(0, "I started at Globex in 2024"), (20, "I left Globex this year")])
    globex = fact(mem, "Globex")
    assert globex.valid_to == datetime(2026, 1, 1, tzinfo=UTC)
    assert globex.metadata["ended_by"] <= (T0 + timedelta(days=20)).isoformat()
    assert ask(bot, "where did I work in October 2026?").startswith("I don't know")


def test_a_turn_given_a_time_to_come_ends_its_fact(mem: MemOS) -> None:
    """A turn dated after the clock ("I left Globex last week", said "tomorrow"): before,
    supersede refused its end and left the fact live with an end written on it."""
    from memos.cube import utcnow

    later = utcnow() + timedelta(days=10)
    bot = Assistant(mem, "dora", backend="extractive")
    bot.reply("I work at Globex", session_id="a", at=later - timedelta(days=30))
    bot.reply("I left Globex last week", session_id="b", at=later)
    (hit,) = [h for h in mem.search("Globex", "dora", k=5, include_superseded=True,
                                    kind=["fact"]) if h.cube.metadata.get("value") == "Globex"]
    assert hit.cube.state.value == "superseded"
    assert hit.cube.valid_to is not None and hit.cube.valid_to <= utcnow()
