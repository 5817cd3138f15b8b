"""MemOS.ingest of a session read before, with times given one way and not the other (found
by a review): a session ingested without times (its turns took the time of the ingest) and
again with its real, earlier times read its turns again, and the value a later session had
replaced came back. A turn's time not given is recorded as such (metadata "undated") and a
given time at or before it is the same message; a value read again at another time
supersedes no fact that began after it was said."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from memos import MemOS, Scope

T0 = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
T1 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
T2 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
T3 = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)

USER = "alice"
AGENT = Scope(user_id="alice", agent_id="helper")
SCOPES = pytest.mark.parametrize("scope", [USER, AGENT], ids=["user", "agent"])


def user(text: str, **extra: Any) -> dict[str, Any]:
    return {"role": "user", "content": text, **extra}


def facts(mem: MemOS, scope: str | Scope, query: str, *, history: bool = False) -> list[str]:
    """The live (or, with history, live and superseded) facts holding a word of the query."""
    return sorted(h.content for h in mem.search(query, scope, kind=["fact", "preference"],
                                                include_superseded=history)
                  if any(w in h.content.lower() for w in query.split()))


def ingest(mem: MemOS, scope: str | Scope, text: str, session: str,
           at: datetime | None) -> Any:
    return mem.ingest([user(text)], scope, session_id=session,
                      **({"at": at} if at is not None else {}))


@SCOPES
@pytest.mark.parametrize("rome_at", [None, T2, T0], ids=["rome-undated", "rome-later",
                                                          "rome-dated-earlier"])
def test_an_undated_session_ingested_again_with_its_times_brings_back_nothing(
        mem: MemOS, scope: str | Scope, rome_at: datetime | None) -> None:
    """Session 1 without times, session 2 ("I moved to Rome"), then session 1 again with its
    real time (before now, when it was first ingested): the same message, read already.
    Rome stays live even where session 2 is dated before session 1's real time (facts are
    ordered by ingest: only the turn-identity check keeps Paris out then)."""
    first = ingest(mem, scope, "I live in Paris.", "s1", None)
    ingest(mem, scope, "I moved to Rome.", "s2", rome_at)
    assert facts(mem, scope, "city") == ["Alice's city is Rome."]
    again = ingest(mem, scope, "I live in Paris.", "s1", T1)
    assert again.episodes == first.episodes
    assert (again.facts, again.superseded, again.ended, again.failed) == ([], [], [], [])
    assert facts(mem, scope, "city") == ["Alice's city is Rome."]
    assert facts(mem, scope, "city", history=True) == ["Alice's city is Paris.",
                                                       "Alice's city is Rome."]


@SCOPES
def test_a_session_ingested_again_at_an_earlier_time_brings_back_nothing(
        mem: MemOS, scope: str | Scope) -> None:
    """Both times given, the second another (earlier) one: another message by its time, but
    said before the value that replaced it, so it supersedes nothing (a value or a like)."""
    s1 = [user("I live in Paris."), user("I like jazz.")]
    mem.ingest(s1, scope, session_id="s1", at=T1)
    mem.ingest([user("I moved to Rome."), user("I can't stand jazz.")], scope,
               session_id="s2", at=T2)
    before = facts(mem, scope, "city jazz", history=True)
    again = mem.ingest(s1, scope, session_id="s1", at=T0)
    assert (again.superseded, again.ended, again.failed) == ([], [], [])
    assert facts(mem, scope, "city jazz") == ["Alice dislikes jazz.", "Alice's city is Rome."]
    assert facts(mem, scope, "city jazz", history=True) == before


@SCOPES
def test_a_negation_ingested_again_without_times_ends_no_later_value(
        mem: MemOS, scope: str | Scope) -> None:
    """Session 2's negation (dated) ingested again without a time was taken as said now,
    after session 3's restated allergy, and ended it. It was said when it was stored."""
    ingest(mem, scope, "I'm allergic to peanuts.", "s1", T1)
    ingest(mem, scope, "I'm not allergic to peanuts any more.", "s2", T2)
    ingest(mem, scope, "Oops, I'm allergic to peanuts after all.", "s3", T3)
    again = ingest(mem, scope, "I'm not allergic to peanuts any more.", "s2", None)
    assert again.ended == []
    assert facts(mem, scope, "allergy") == ["Alice's allergy is peanuts."]


def test_an_undated_negation_ingested_again_with_its_time_ends_no_later_value(
        mem: MemOS) -> None:
    for i, text in enumerate(["I'm allergic to peanuts.", "I'm not allergic to peanuts any more.",
                              "Oops, I'm allergic to peanuts after all."]):
        ingest(mem, USER, text, f"s{i + 1}", None)
    again = ingest(mem, USER, "I'm not allergic to peanuts any more.", "s2", T2)
    assert again.ended == []
    assert facts(mem, USER, "allergy") == ["Alice's allergy is peanuts."]


def test_the_same_words_given_a_time_after_an_undated_ingest_are_another_message(
        mem: MemOS) -> None:
    """A time given after the undated ingest (when the turn was first stored) is not that
    turn's real time: it is the same words said again, later, and read again."""
    ingest(mem, USER, "I live in Paris.", "s1", None)
    ingest(mem, USER, "I moved to Rome.", "s2", None)
    later = datetime.now(UTC) + timedelta(days=1)
    back = ingest(mem, USER, "I live in Paris.", "s1", later)
    assert back.superseded and facts(mem, USER, "city") == ["Alice's city is Paris."]


@pytest.mark.parametrize("times", [(None, None), (T1, T1), (None, T1), (T1, None)],
                         ids=["undated", "dated", "undated-then-dated", "dated-then-undated"])
def test_a_session_ingested_again_changes_nothing(mem: MemOS,
                                                  times: tuple[Any, Any]) -> None:
    s1 = ["I live in Paris.", "My favorite color is blue.", "I'm allergic to peanuts."]

    def run(at: datetime | None) -> Any:
        return mem.ingest([user(t) for t in s1], USER, session_id="s1",
                          **({"at": at} if at is not None else {}))

    first = run(times[0])
    stored = {h.id: h.cube.version for h in mem.search("city color allergy peanuts blue",
                                                       USER, include_superseded=True)}
    again = run(times[1])
    assert again.episodes == first.episodes and sorted(again.facts) == sorted(first.facts)
    assert (again.superseded, again.ended, again.failed) == ([], [], [])
    assert {h.id: h.cube.version for h in mem.search("city color allergy peanuts blue", USER,
                                                     include_superseded=True)} == stored


def test_the_time_not_given_is_recorded(mem: MemOS) -> None:
    """An undated turn's episode and facts say so (metadata "undated"); a dated one's do not."""
    undated = ingest(mem, USER, "I live in Paris.", "s1", None)
    dated = ingest(mem, USER, "I work at Acme.", "s2", T1)
    for cube_id in (*undated.episodes, *undated.facts):
        assert mem.get(cube_id, USER).metadata.get("undated") is True
    for cube_id in (*dated.episodes, *dated.facts):
        assert "undated" not in mem.get(cube_id, USER).metadata


def test_a_forgotten_fact_is_read_again_when_its_session_is_ingested_with_times(
        mem: MemOS) -> None:
    """Forgetting is not a filter on later writes (READER.md): the times given now do not
    change that."""
    first = ingest(mem, USER, "I live in Paris.", "s1", None)
    (fact,) = first.facts
    mem.forget(fact, USER)
    assert facts(mem, USER, "city") == []
    again = ingest(mem, USER, "I live in Paris.", "s1", T1)
    assert again.facts and facts(mem, USER, "city") == ["Alice's city is Paris."]
