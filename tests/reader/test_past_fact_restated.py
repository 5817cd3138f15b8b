"""A past fact said again is stored once. "I joined Acme in 2018." told after "I joined
Globex in 2023." is Globex's past (test_reader_older_dates.py); told a second and a third
time it is that same past fact: no second copy, and the write reports the stored one as a
duplicate, as an exact duplicate of a live fact is reported."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from typing import Any

from memos import MemOS
from memos.assistant import Assistant
from memos.cube import Lifecycle, MemCube, Scope

T1 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _at(month: int) -> datetime:
    return datetime(2026, month, 1, 9, 0, tzinfo=UTC)


def _say(mem: MemOS, text: str, session: str, at: datetime, user: Any = "alice") -> Any:
    return mem.ingest([{"role": "user", "content": text}], user, session_id=session, at=at)


def _facts(mem: MemOS, user: str, value: str | None = None) -> list[MemCube]:
    """The user's live and superseded employer facts (export lists superseded cubes too),
    of one value when given."""
    buf = io.StringIO()
    mem.export(user, buf)
    cubes = [MemCube.model_validate(json.loads(line)["cube"])
             for line in buf.getvalue().splitlines()[1:] if '"cube"' in line]
    return [c for c in cubes if c.kind.value == "fact"
            and c.metadata.get("attribute") == "employer"
            and c.state in (Lifecycle.ACTIVE, Lifecycle.SUPERSEDED)
            and (value is None or c.metadata.get("value") == value)]


def _pasts(mem: MemOS, live_id: str, scope: Any = "alice") -> list[str]:
    """The facts stored as the live fact's past (edges live --supersedes--> past)."""
    return [n.cube.id for n in mem.neighbors(live_id, scope, relation="supersedes")
            if n.direction == "out"]


def _employer(value: str, year: int) -> dict[str, Any]:
    """A fact as MemReader writes "I joined <value> in <year>." (reader/ingest.py)."""
    return {"content": f"Alice's employer is {value}.", "kind": "fact",
            "valid_from": datetime(year, 1, 1, 12, 0, tzinfo=UTC),
            "metadata": {"subject": "user:alice", "attribute": "employer",
                         "relation": "employer", "value": value, "family": "work",
                         "reader": "rules", "began": "stated",
                         "began_by": f"{year}-12-31T23:59:59+00:00"}}


def test_a_past_fact_said_three_times_is_stored_once(mem: MemOS) -> None:
    [globex] = _say(mem, "I joined Globex in 2023.", "s1", T1).facts
    reports = [_say(mem, "I joined Acme in 2018.", f"r{i}", _at(4 + i)) for i in range(3)]
    [acme] = reports[0].facts
    # each later telling reports the stored past fact, superseding nothing
    assert [r.facts for r in reports] == [[acme]] * 3
    assert all(r.superseded == [] for r in reports)
    assert [c.id for c in _facts(mem, "alice", "Acme")] == [acme]
    assert _pasts(mem, globex) == [acme]
    was = mem.get(acme, "alice")
    assert was.state == Lifecycle.SUPERSEDED and was.valid_to == mem.get(globex, "alice").valid_from
    # the tellings are its sources (as an exact duplicate's are), so forgetting a turn finds it
    told = {s.ref for s in was.sources if s.kind == "message"}
    assert told == {"r0#0", "r1#0", "r2#0"}, told
    assert mem.get(globex, "alice").state == Lifecycle.ACTIVE
    text = Assistant(mem, "alice", backend="extractive", learn=False).reply(
        "Where have I worked?").text
    assert text.count("Acme") == 1 and "now Globex" in text, text
    assert mem.check().ok


def test_add_returns_the_stored_past_fact_as_a_duplicate(mem: MemOS) -> None:
    globex = mem.add(**_employer("Globex", 2023), scope="alice")
    first = mem.add(**_employer("Acme", 2018), scope="alice")
    assert first.action == "added" and first.superseded == []
    assert first.cube.state == Lifecycle.SUPERSEDED
    again = mem.add(**_employer("Acme", 2018), scope="alice")
    assert again.action == "duplicate" and again.id == first.id and again.superseded == []
    assert again.cube.state == Lifecycle.SUPERSEDED
    assert again.cube.access.hits == first.cube.access.hits + 1
    assert _pasts(mem, globex.id) == [first.id]
    assert mem.get(globex.id, "alice").state == Lifecycle.ACTIVE


def test_a_past_fact_twice_in_one_batch_or_one_ingest(mem: MemOS) -> None:
    globex = mem.add(**_employer("Globex", 2023), scope="alice")
    # twice in one add_many, before any copy is stored: one past fact
    first, second = mem.add_many([_employer("Acme", 2018), _employer("Acme", 2018)], "alice")
    assert (first.action, second.action) == ("added", "duplicate")
    assert second.id == first.id
    # twice more in one add_many, now that it is stored: both name the stored one
    again = mem.add_many([_employer("Acme", 2018), _employer("Acme", 2018)], "alice")
    assert [(r.action, r.id) for r in again] == [("duplicate", first.id)] * 2
    assert again[-1].cube.state == Lifecycle.SUPERSEDED
    # twice in one ingest (two turns of one call)
    report = mem.ingest([{"role": "user", "content": "I joined Acme in 2018."},
                         {"role": "user", "content": "Yes, I joined Acme in 2018."}],
                        "alice", session_id="s9", at=_at(7))
    assert report.facts == [first.id] and report.superseded == []
    assert [c.id for c in _facts(mem, "alice", "Acme")] == [first.id]
    assert _pasts(mem, globex.id) == [first.id]
    hits = mem.search("Acme", "alice", include_superseded=True, kind=["fact"])
    assert [h.id for h in hits if "Acme" in h.content] == [first.id]
    assert mem.check().ok


def test_another_value_or_another_beginning_is_still_stored(mem: MemOS) -> None:
    [globex] = _say(mem, "I joined Globex in 2023.", "s1", T1).facts
    [acme] = _say(mem, "I joined Acme in 2018.", "s2", _at(4)).facts
    [initech] = _say(mem, "I joined Initech in 2020.", "s3", _at(5)).facts
    assert initech != acme
    # said again: the two stored past facts, no third or fourth
    assert _say(mem, "I joined Initech in 2020.", "s4", _at(6)).facts == [initech]
    assert _say(mem, "I joined Acme in 2018.", "s5", _at(7)).facts == [acme]
    # a beginning within the stored one's ("March 2018" in "2018"): the same fact, whose
    # dates stay as first stored (as a live fact's do when it is said again)
    assert _say(mem, "I joined Acme in March 2018.", "s6", _at(8)).facts == [acme]
    assert mem.get(acme, "alice").valid_from == datetime(2018, 1, 1, 12, 0, tzinfo=UTC)
    # a beginning that cannot be the stored one's: another past fact, as before
    [earlier] = _say(mem, "I joined Acme in 2015.", "s7", _at(9)).facts
    assert earlier != acme
    assert mem.get(earlier, "alice").valid_from == datetime(2015, 1, 1, 12, 0, tzinfo=UTC)
    assert sorted(c.id for c in _facts(mem, "alice")) == sorted([globex, acme, initech, earlier])
    assert sorted(_pasts(mem, globex)) == sorted([acme, initech, earlier])


def test_another_scopes_past_fact_is_never_the_one_said_again(mem: MemOS) -> None:
    bob_globex = mem.add(**_employer("Globex", 2023), scope="bob")
    bob_acme = mem.add(**_employer("Acme", 2018), scope="bob")
    agent = Scope(user_id="alice", agent_id="helper")
    _say(mem, "I joined Globex in 2023.", "a1", T1, user=agent)
    agent_acme = _say(mem, "I joined Acme in 2018.", "a2", _at(4), user=agent).facts[0]
    before = {i: len(mem.history(i, s)) for i, s in [(bob_acme.id, "bob"), (agent_acme, agent)]}

    [globex] = _say(mem, "I joined Globex in 2023.", "s1", T1).facts
    [acme] = _say(mem, "I joined Acme in 2018.", "s2", _at(5)).facts
    assert acme not in (bob_acme.id, agent_acme)
    # said again, it is alice's own past fact, not bob's nor her agent's
    assert _say(mem, "I joined Acme in 2018.", "s3", _at(6)).facts == [acme]
    assert _pasts(mem, globex) == [acme]
    assert {i: len(mem.history(i, s)) for i, s in [(bob_acme.id, "bob"),
                                                     (agent_acme, agent)]} == before
    assert mem.get(bob_acme.id, "bob").access.hits == bob_acme.cube.access.hits
    assert _pasts(mem, bob_globex.id, "bob") == [bob_acme.id]
    # the agent's scope likewise finds its own past fact, not alice's
    assert _say(mem, "I joined Acme in 2018.", "a3", _at(7), user=agent).facts == [agent_acme]


def test_a_forgotten_past_fact_does_not_take_the_restatement(mem: MemOS) -> None:
    [globex] = _say(mem, "I joined Globex in 2023.", "s1", T1).facts
    [acme] = _say(mem, "I joined Acme in 2018.", "s2", _at(4)).facts
    mem.forget(acme, "alice")
    # forgotten is gone: told again, it is a new past fact ...
    [anew] = _say(mem, "I joined Acme in 2018.", "s3", _at(5)).facts
    assert anew != acme
    assert mem.get(anew, "alice").state == Lifecycle.SUPERSEDED
    # ... which a later telling finds, while the forgotten one stays forgotten
    assert _say(mem, "I joined Acme in 2018.", "s4", _at(6)).facts == [anew]
    assert mem.history(acme, "alice")[-1].state == Lifecycle.FORGOTTEN
    assert [c.id for c in _facts(mem, "alice", "Acme")] == [anew]
    assert _pasts(mem, globex) == [anew]
