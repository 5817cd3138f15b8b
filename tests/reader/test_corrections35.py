"""A correction told in a later ingest call, another session days on ("actually it's Porto,
not Lisbon" after "I just moved to Lisbon."), corrects the stored fact that holds the value
it names as wrong: the new value is written and the old fact superseded, as a correction of
the turn before is (`ingest._correctable`, `ingest.stored_valued`). Only the user's own facts,
only a value one (subject, attribute) holds, and nothing when no stored fact holds it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from memos import MemOS
from memos.cube import Lifecycle
from tests.assistant.helpers import ask, tell

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _say(mem: MemOS, text: str, day: int, scope: object = "alice", session: str | None = None):
    return mem.ingest([{"role": "user", "content": text, "at": T0 + timedelta(days=day)}],
                      scope, session_id=session or f"s{day}")


def _live(mem: MemOS, user: str = "alice") -> list[str]:
    return sorted(c.content for c in mem.list_memories(user, kind="fact", limit=100).items)


def _fact(mem: MemOS, report, content: str, user: str = "alice") -> str:  # noqa: ANN001
    [cube_id] = [i for i in report.facts if mem.get(i, user).content == content]
    return cube_id


@pytest.mark.parametrize("said", [
    "actually it's Porto, not Lisbon",
    "Sorry, I meant Porto, not Lisbon",
    "No wait, it's Porto not Lisbon",
    "I meant Porto, not Lisbon.",
])
def test_a_later_session_corrects_the_stored_city(mem: MemOS, said: str) -> None:
    told = _say(mem, "I just moved to Lisbon.", 0)
    lisbon = _fact(mem, told, "Alice's city is Lisbon.")
    report = _say(mem, said, 5)
    assert report.superseded == [lisbon]
    assert _live(mem) == ["Alice's city is Porto."]
    [porto] = report.facts
    old, new = mem.get(lisbon, "alice"), mem.get(porto, "alice")
    assert old.state == Lifecycle.SUPERSEDED
    # the value corrected never held: the right one holds from when the wrong one was said
    # to, and the wrong one's interval is empty (before, it ended when the correction was
    # said, and "where did I live before?" answered Lisbon)
    assert old.valid_to == old.valid_from == new.valid_from == T0
    assert new.metadata["corrects"] == "Lisbon"
    assert new.metadata["session"] == "s5"
    assert any(s.kind == "message" and s.ref == "s5#0" for s in new.sources)


def test_a_later_session_corrects_a_relatives_name(mem: MemOS) -> None:
    told = _say(mem, "My sister Anna lives in Rome.", 0)
    anna = _fact(mem, told, "Alice's sister's name is Anna.")
    # one may have several sisters: the name said wrongly ends, the right one is added
    report = _say(mem, "Sorry, I meant Ana, not Anna.", 3)
    assert report.ended == [anna]
    assert mem.get(anna, "alice").state == Lifecycle.SUPERSEDED
    assert "Alice's sister's name is Ana." in _live(mem)
    assert "Alice's sister's name is Anna." not in _live(mem)


def test_a_later_session_corrects_the_employer(mem: MemOS) -> None:
    told = _say(mem, "I work at Acme.", 0)
    acme = _fact(mem, told, "Alice's employer is Acme.")
    report = _say(mem, "Sorry, I meant Globex, not Acme.", 10)
    assert report.superseded == [acme]
    assert _live(mem) == ["Alice's employer is Globex."]


def test_a_value_no_stored_fact_holds_corrects_nothing(mem: MemOS) -> None:
    _say(mem, "I just moved to Lisbon.", 0)
    _say(mem, "I work at Acme.", 1)
    before = _live(mem)
    missed = _say(mem, "Actually it's Porto, not Braga.", 5)
    assert missed.facts == [] and missed.superseded == [] and missed.ended == []
    assert _live(mem) == before
    # the same words naming the value stored are a correction
    hit = _say(mem, "Actually it's Porto, not Lisbon.", 6)
    assert len(hit.superseded) == 1
    assert _live(mem) == ["Alice's city is Porto.", "Alice's employer is Acme."]


def test_another_users_fact_is_never_corrected(mem: MemOS) -> None:
    # bob's fact is public: alice's search reads it, and must still not correct it
    bobs = _say(mem, "I live in Lisbon.", 0, scope={"user_id": "bob", "visibility": "public"})
    [bob_lisbon] = bobs.facts
    stranger = _say(mem, "Actually it's Porto, not Lisbon.", 2, scope="carol")
    assert stranger.facts == [] and stranger.superseded == []
    _say(mem, "I just moved to Lisbon.", 1)
    mine = _say(mem, "Actually it's Porto, not Lisbon.", 3)
    assert len(mine.superseded) == 1 and bob_lisbon not in mine.superseded
    assert mem.get(bob_lisbon, "bob").state == Lifecycle.ACTIVE
    assert _live(mem, "bob") == ["Bob's city is Lisbon."]
    assert _live(mem) == ["Alice's city is Porto."]
    assert _live(mem, "carol") == []


def test_a_value_two_attributes_hold_is_not_guessed(mem: MemOS) -> None:
    _say(mem, "I grew up in Lisbon.", 0)
    _say(mem, "I live in Lisbon.", 1)
    _say(mem, "I work at Acme.", 2)
    both = _live(mem)
    assert both == ["Alice's city is Lisbon.", "Alice's employer is Acme.",
                    "Alice's home town is Lisbon."]
    ambiguous = _say(mem, "Actually it's Porto, not Lisbon.", 5)
    assert ambiguous.facts == [] and ambiguous.superseded == []
    assert _live(mem) == both
    # a value one attribute holds is corrected all the same
    _say(mem, "Sorry, I meant Globex, not Acme.", 6)
    assert _live(mem) == ["Alice's city is Lisbon.", "Alice's employer is Globex.",
                          "Alice's home town is Lisbon."]


def test_an_earlier_turn_of_the_same_call_is_corrected(mem: MemOS) -> None:
    # the turn before stated nothing: the fact that holds the named value is corrected
    report = mem.ingest([
        {"role": "user", "content": "I just moved to Lisbon.", "at": T0},
        {"role": "assistant", "content": "How exciting! How is it so far?"},
        {"role": "user", "content": "The food there is great.", "at": T0},
        {"role": "user", "content": "Sorry, I meant Porto, not Lisbon.", "at": T0},
    ], "alice", session_id="s0", at=T0)
    assert len(report.superseded) == 1
    assert _live(mem) == ["Alice's city is Porto."]


def test_the_assistant_answers_the_corrected_value(mem: MemOS) -> None:
    bot = tell(mem, [(0, "I just moved to Lisbon."), (2, "I work at Acme."),
                      (7, "actually it's Porto, not Lisbon"),
                      (9, "Sorry, I meant Globex, not Acme.")])
    city = ask(bot, "Where do I live?")
    assert "Porto" in city and "Lisbon" not in city, city
    work = ask(bot, "Where do I work?")
    assert "Globex" in work and "Acme" not in work, work


def test_a_correction_about_a_value_said_again_since_corrects_no_fact(mem: MemOS) -> None:
    """A correction of something said after the fact (a booking, an assistant's question)
    is about that, not the stored fact: in the same call, and one call a turn."""
    _say(mem, "I just moved to Lisbon.", 0)
    _say(mem, "My favorite color is blue.", 1)
    report = mem.ingest([
        {"role": "user", "content": "Book me a flight to Lisbon.", "at": T0 + timedelta(days=5)},
        {"role": "assistant", "content": "Booked a flight to Lisbon for Friday."},
        {"role": "user", "content": "Sorry, I meant Porto, not Lisbon."},
        {"role": "user", "content": "Can you find my car in this photo?"},
        {"role": "assistant", "content": "Is it the blue one on the left?"},
        {"role": "user", "content": "No, it's the red one, not blue."},
    ], "alice", session_id="s5", at=T0 + timedelta(days=5))
    assert not report.superseded and not report.ended
    # one turn a call, as the assistant sends them: the session's stored turns count too
    _say(mem, "Can you book me a hotel in Lisbon?", 6, session="s6")
    assert not _say(mem, "Sorry, I meant Porto, not Lisbon.", 6, session="s6").superseded
    assert _live(mem) == ["Alice's city is Lisbon.", "Alice's favorite color is blue."]
    # ... and where no turn since said it, the stored fact is corrected
    _say(mem, "The weather is lovely today.", 7, session="s7")
    assert len(_say(mem, "Sorry, I meant Porto, not Lisbon.", 7, session="s7").superseded) == 1
    assert "Alice's city is Porto." in _live(mem)


def test_an_agent_corrects_only_its_own_stored_facts(mem: MemOS) -> None:
    """The facts a later correction may supersede are those the scope's writes may: an agent
    its own, the user (no agent) the user's own; never another agent's."""
    from memos.cube import Scope

    a1, a2 = Scope(user_id="alice", agent_id="a1"), Scope(user_id="alice", agent_id="a2")
    _say(mem, "I just moved to Lisbon.", 0, scope=a1)
    for day, scope in ((3, a2), (4, "alice")):
        assert not _say(mem, "Sorry, I meant Porto, not Lisbon.", day, scope=scope).superseded
    assert len(_say(mem, "Sorry, I meant Porto, not Lisbon.", 5, scope=a1).superseded) == 1
