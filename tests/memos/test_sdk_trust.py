"""Trust at the SDK boundary (issue 9, points 6, 7, 9 and 11), on SQLite and PostgreSQL:

- another user's cube is indistinguishable from a missing one, on every path;
- only a cube's owner reads its earlier versions;
- ids are NFC, and what either backend refuses is refused on both;
- every bad argument of every public method raises a memos error and changes nothing.
"""

from __future__ import annotations

import io
import json
import math
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from memos import Scope
from memos.errors import (
    ImportFormatError,
    InvalidInputError,
    MemosError,
    NotFoundError,
    ScopeError,
)
from memos.stores.filters import MAX_FILTER_DEPTH, MAX_FILTER_NODES
from memos.stores.schema import AuditRow, ChangelogRow, CubeRow, CubeVersionRow, EdgeRow

MISSING = "0" * 32


def snapshot(mem: Any) -> tuple[Any, ...]:
    """Everything a write could change (access counters aside)."""
    with mem._store.repo.read() as s:
        cubes = sorted((r.id, r.version, r.state, r.content_hash, tuple(r.tags or ()),
                        repr(sorted((r.meta or {}).items())), r.user_id)
                       for r in s.execute(select(CubeRow)).scalars())
        counts = tuple(s.execute(select(func.count()).select_from(t)).scalar()
                       for t in (CubeVersionRow, EdgeRow, AuditRow, ChangelogRow))
    return (tuple(cubes), counts)


@pytest.fixture
def world(mem: Any) -> dict[str, Any]:
    """Alice's private cube, Bob's private, public and shared cubes, and a second agent."""
    ids = {
        "alice": mem.add("Alice keeps bees in Bern", "alice").id,
        "alice2": mem.add("Alice plays the cello on Sundays", "alice").id,
        "bob": mem.add("Bob's safe code is 4812", "bob").id,
        "bob_public": mem.add("Bob's phone number is 555-0199",
                              {"user_id": "bob", "visibility": "public"}).id,
        "bob_shared": mem.add("Bob's agent a1 plans the trip to Oslo",
                              {"user_id": "bob", "agent_id": "a1", "visibility": "shared"}).id,
    }
    return {"mem": mem, **ids}


# -- point 6: a foreign cube reads as a missing one --------------------------------------

def _error(call: Callable[[], Any]) -> tuple[type[BaseException], str]:
    with pytest.raises(MemosError) as info:
        call()
    return type(info.value), str(info.value)


PATHS: dict[str, Callable[[Any, str, str], Any]] = {
    # (mem, target id, alice's own cube id) -> the call Alice makes
    "get": lambda m, t, own: m.get(t, "alice"),
    "get_version": lambda m, t, own: m.get(t, "alice", version=1),
    "history": lambda m, t, own: m.history(t, "alice"),
    "diff": lambda m, t, own: m.diff(t, "alice"),
    "neighbors": lambda m, t, own: m.neighbors(t, "alice"),
    "update": lambda m, t, own: m.update(t, "alice", tags=["x"]),
    "forget": lambda m, t, own: m.forget(t, "alice"),
    "rollback": lambda m, t, own: m.rollback(t, "alice", 1),
    "purge": lambda m, t, own: m.purge(t, "alice"),
    "supersede_content": lambda m, t, own: m.supersede(t, "alice", content="new text here"),
    "supersede_by_foreign": lambda m, t, own: m.supersede(own, "alice", by=t),
    "supersede_foreign_by_mine": lambda m, t, own: m.supersede(t, "alice", by=own),
    "link_to": lambda m, t, own: m.link(own, t, "alice"),
    "link_from": lambda m, t, own: m.link(t, own, "alice"),
    "add_supersedes": lambda m, t, own: m.add("Alice now keeps goats", "alice", supersedes=[t]),
    "add_derived_from": lambda m, t, own: m.add(
        "slots", "alice", tier="activation", kind="slots", model_fingerprint="f",
        derived_from=[{"cube_id": t, "version": 1}]),
    "add_many_supersedes": lambda m, t, own: m.add_many(
        [{"content": "Alice now keeps sheep", "supersedes": [t]}], "alice"),
}


@pytest.mark.parametrize("path", sorted(PATHS))
def test_a_foreign_cube_is_indistinguishable_from_a_missing_one(world, path):
    mem, call = world["mem"], PATHS[path]
    before = snapshot(mem)
    foreign_cls, foreign_msg = _error(lambda: call(mem, world["bob"], world["alice"]))
    missing_cls, missing_msg = _error(lambda: call(mem, MISSING, world["alice"]))
    assert foreign_cls is missing_cls is NotFoundError
    assert foreign_msg.replace(world["bob"], MISSING) == missing_msg
    assert "bob" not in foreign_msg.lower() and "visible" not in foreign_msg
    assert snapshot(mem) == before


WRITES = ["update", "forget", "rollback", "purge", "supersede_content",
          "supersede_foreign_by_mine", "add_supersedes", "add_derived_from"]


@pytest.mark.parametrize("path", WRITES)
def test_a_readable_cube_of_another_user_refuses_writes_without_naming_the_owner(world, path):
    mem = world["mem"]
    before = snapshot(mem)
    cls, msg = _error(lambda: PATHS[path](mem, world["bob_public"], world["alice"]))
    assert cls is ScopeError
    assert "bob" not in msg.lower() and "only its owner" in msg
    assert snapshot(mem) == before


# -- point 7: only the owner reads old versions -------------------------------------------

@pytest.mark.parametrize("which,reader", [("bob_public", "alice"),
                                          ("bob_shared", Scope(user_id="bob", agent_id="a2"))])
def test_only_the_owner_reads_earlier_versions(world, which, reader):
    mem, cube_id = world["mem"], world[which]
    owner = Scope(user_id="bob", agent_id="a1") if which == "bob_shared" else "bob"
    mem.update(cube_id, owner, content="Bob's number is private now")
    assert [c.version for c in mem.history(cube_id, owner)] == [1, 2]
    assert mem.get(cube_id, owner, version=1).content != "Bob's number is private now"

    only = mem.history(cube_id, reader)
    assert [c.version for c in only] == [2] and only[0].content == "Bob's number is private now"
    assert mem.get(cube_id, reader).version == 2
    assert mem.get(cube_id, reader, version=2).content == "Bob's number is private now"
    with pytest.raises(ScopeError) as old:
        mem.get(cube_id, reader, version=1)
    assert "only its owner" in str(old.value) and "555-0199" not in str(old.value)
    with pytest.raises(ScopeError):
        mem.diff(cube_id, reader)
    with pytest.raises(ScopeError):
        mem.diff(cube_id, reader, 1, 2)

    mem.forget(cube_id, owner)
    _, missing_msg = _error(lambda: mem.get(MISSING, reader))
    for call in (lambda c: mem.get(c, reader), lambda c: mem.get(c, reader, version=1),
                 lambda c: mem.history(c, reader), lambda c: mem.diff(c, reader)):
        cls, msg = _error(lambda c=call: c(cube_id))
        assert cls is NotFoundError and msg.replace(cube_id, MISSING) == missing_msg
        assert "history" not in msg
    assert [c.version for c in mem.history(cube_id, owner)] == [1, 2, 3]  # the owner's own


def test_an_export_holds_earlier_versions_of_the_callers_own_cubes_only(mem):
    """Before: export wrote every earlier version of every cube it exported, including
    cubes the caller may read but not change (another agent's shared cube, read by a second
    agent or by the user's agentless key), whose history and get(version=) refuse them."""
    owner = Scope(user_id="carol", agent_id="a1")
    # a code no timestamp or id can hold by chance (digits did: "...18.707731+00:00")
    shared = mem.add("the vault code is quokkazebra", {"user_id": "carol", "agent_id": "a1",
                                                     "visibility": "shared"}).id
    mem.update(shared, owner, content="the vault code is kept elsewhere now")
    mine = mem.add("Carol's own note", Scope(user_id="carol", agent_id="a2")).id
    mem.update(mine, Scope(user_id="carol", agent_id="a2"), content="Carol's own note, v2")
    for reader in (Scope(user_id="carol", agent_id="a2"), "carol"):
        with pytest.raises(ScopeError):
            mem.get(shared, reader, version=1)
        buf = io.StringIO()
        mem.export(reader, buf)
        lines = {line["cube"]["id"]: line for line in map(json.loads, buf.getvalue().splitlines())
                 if line.get("type") == "cube"}
        assert lines[shared]["cube"]["content"] == "the vault code is kept elsewhere now"
        assert "quokkazebra" not in buf.getvalue(), reader
        assert lines[shared]["history"] == []
    buf = io.StringIO()
    mem.export(owner, buf)
    assert "quokkazebra" in buf.getvalue()  # the owner's export keeps its history
    buf = io.StringIO()
    mem.export(Scope(user_id="carol", agent_id="a2"), buf)
    own = next(line for line in map(json.loads, buf.getvalue().splitlines())
               if line.get("cube", {}).get("id") == mine)
    assert [h["content"] for h in own["history"]] == ["Carol's own note"]


def test_neighbors_never_walk_through_a_cube_the_caller_cannot_read(mem):
    """Before: neighbors(depth=2) walked through any cube, so a cube the caller may read
    came back at depth 2 through another scope's private cube, with the relation that scope
    wrote: agent a2's private links ("resignation-letter") read by agent a1, and a user's
    links between two public cubes through their own private cube read by every user."""
    a1, a2 = Scope(user_id="dana", agent_id="a1"), Scope(user_id="dana", agent_id="a2")
    shared = {"user_id": "dana", "agent_id": "a1", "visibility": "shared"}
    y, z = mem.add("a1's project note", shared).id, mem.add("a1's travel note", shared).id
    hidden = mem.add("a2 private: dana plans to resign", a2).id
    mem.link(hidden, y, a2, relation="secret-plan")
    mem.link(hidden, z, a2, relation="resignation-letter")
    assert mem.neighbors(y, a1, depth=2) == []
    assert {n.cube.id for n in mem.neighbors(y, a2, depth=2)} == {hidden, z}  # a2 sees it all
    x = mem.add("office hours are 9 to 5", {"user_id": "ops", "visibility": "public"}).id
    q = mem.add("the holidays are listed", {"user_id": "ops", "visibility": "public"}).id
    private = mem.add("bob's own note", "bob").id
    mem.link(private, x, "bob", relation="bob-hidden")
    mem.link(private, q, "bob", relation="bob-hidden-too")
    for reader in ("carol", "ops"):
        assert mem.neighbors(x, reader, depth=2) == [], reader
    assert [n.cube.id for n in mem.neighbors(x, "bob", depth=2)] == [private, q]
    # A path through cubes the caller reads is walked as before.
    mem.link(y, z, a1, relation="next")
    assert [(n.cube.id, n.depth) for n in mem.neighbors(y, a1, depth=2)] == [(z, 1)]
    w = mem.add("a1's third note", a1).id
    mem.link(z, w, a1)
    assert [(n.cube.id, n.depth) for n in mem.neighbors(y, a1, depth=2)] == [(z, 1), (w, 2)]


def test_reads_of_a_public_cube_neither_count_nor_show_for_other_users(mem):
    """Review: bob's searches of ops's public cube ("The clinic for HIV testing is on Main
    Street") counted in its access statistics, which every reader of the cube saw: alice
    learnt that someone had searched for those words, and when, to the microsecond. A read
    now counts only for the cube's own user (any of her agents), and only she sees the
    counts (get, search, neighbors, history)."""
    clinic = mem.add("The clinic for HIV testing is on Main Street",
                     {"user_id": "ops", "visibility": "public"}).id
    bobs = mem.add("Bob's note: the dentist is on Friday", "bob").id
    mem.link(bobs, clinic, "bob")
    for _ in range(3):
        assert clinic in [h.id for h in mem.search("HIV testing clinic", "bob", k=3)]
        assert mem.get(clinic, "bob").access.hits == 0
    mem.flush()
    assert mem.get(clinic, "ops").access.hits == 0  # bob's reads did not count
    ops_agent = {"user_id": "ops", "agent_id": "desk"}
    mem.search("HIV testing clinic", ops_agent, k=3)  # the user's agents count, and see
    mem.get(clinic, "ops")
    mem.flush()
    owner = mem.get(clinic, ops_agent).access
    assert owner.hits >= 2 and owner.last_access is not None
    seen = [mem.get(clinic, "bob"),
            *[h.cube for h in mem.search("HIV clinic", "bob", k=3) if h.id == clinic],
            *mem.history(clinic, "bob"), *[n.cube for n in mem.neighbors(bobs, "bob")]]
    assert len(seen) == 4 and all(c.id == clinic and c.access.hits == 0
                                  and c.access.last_access is None for c in seen)


def test_another_user_reading_a_public_cube_sees_no_agent_or_session_of_its_owner(mem):
    """Attacker pass: over REST, bob's get of a public memory returned the scope it was
    written in, with the owner's agent and session ids ("ops-session-zq"), though MCP says
    nothing of whose it is and write errors do not name the owner. Another user now sees
    the publishing user and the visibility only; the owner (any of her agents) sees all."""
    desk = {"user_id": "ops", "agent_id": "desk", "session_id": "triage-session-zq",
            "visibility": "public"}
    clinic = mem.add("The clinic for HIV testing is on Main Street", desk).id
    bobs = mem.add("Bob's note: the dentist is on Friday", "bob").id
    mem.link(bobs, clinic, "bob")
    seen = [mem.get(clinic, "bob"),
            *[h.cube for h in mem.search("HIV testing clinic", "bob", k=3) if h.id == clinic],
            *mem.history(clinic, "bob"), *[n.cube for n in mem.neighbors(bobs, "bob")]]
    assert len(seen) == 4
    assert all(c.scope.agent_id is None and c.scope.session_id is None
               and c.scope.user_id == "ops" and c.scope.visibility.value == "public"
               for c in seen)
    for reader in ("ops", {"user_id": "ops", "agent_id": "other"}):
        own = mem.get(clinic, reader).scope
        assert (own.agent_id, own.session_id) == ("desk", "triage-session-zq")

    # a review: an ingested cube keeps its session in metadata and in its message sources
    mem.ingest([{"role": "user", "content": "I live in Lisbon."}],
               {"user_id": "ops", "agent_id": "desk", "visibility": "public"},
               session_id="ops-session-zq")
    seen = [h.cube for h in mem.search("Lisbon", "bob", k=5) if h.cube.scope.user_id == "ops"]
    assert any(c.kind.value == "fact" for c in seen) and any(c.kind.value == "episode"
                                                             for c in seen)
    for cube in seen + [mem.get(c.id, "bob") for c in seen]:
        assert "ops-session-zq" not in cube.model_dump_json(), cube
    owner = [h.cube for h in mem.search("Lisbon", "ops", k=5)]
    assert any("ops-session-zq" in c.model_dump_json() for c in owner)


def test_consolidate_reads_another_agents_gone_fact_as_a_missing_one(mem):
    """Before: consolidate(facts=[id]) named another agent's forgotten shared fact
    "forgotten" (InvalidInputError, nothing to consolidate) where an id nobody has got
    NotFoundError: the existence and state of a cube get() reads as missing."""
    a1, a2 = Scope(user_id="erin", agent_id="a1"), Scope(user_id="erin", agent_id="a2")
    fact = {"subject": "user:erin", "attribute": "city", "value": "Oslo"}
    gone = mem.add("Erin's city is Oslo.", {"user_id": "erin", "agent_id": "a2",
                                            "visibility": "shared"}, metadata=fact).id
    mem.forget(gone, a2)
    _, missing_msg = _error(lambda: mem.consolidate(a1, facts=[MISSING], dry_run=True))
    cls, msg = _error(lambda: mem.consolidate(a1, facts=[gone], dry_run=True))
    assert cls is NotFoundError and msg.replace(gone, MISSING) == missing_msg
    _error(lambda: mem.get(gone, a1))  # as get says
    # The owner's own forgotten fact is still reported as such (a dry run lists it as
    # skipped, and why).
    assert mem.consolidate(a2, facts=[gone], dry_run=True).skipped == [(gone, "forgotten")]


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00"])
def test_a_time_out_of_range_in_utc_is_invalid_input_and_changes_nothing(world, when):
    """Before: such a time (valid ISO, but outside years 1..9999 once in UTC, as SQL keeps
    it) raised OverflowError, or SQLAlchemy's StatementError, from every write path."""
    mem, cid = world["mem"], world["alice"]
    t = datetime.fromisoformat(when)
    before = snapshot(mem)
    calls = [lambda: mem.add("x", "alice", valid_from=t), lambda: mem.add("x", "alice", expires_at=t),
             lambda: mem.add("x", "alice", sources=[{"at": t}]),
             lambda: mem.add_many([{"content": "y", "valid_from": t}], "alice"),
             lambda: mem.update(cid, "alice", valid_to=t),
             lambda: mem.update(cid, "alice", expires_at=t),
             lambda: mem.supersede(cid, "alice", content="z", valid_from=t),
             lambda: mem.ingest([{"role": "user", "content": "I live in Rome."}], "alice",
                                session_id="s", at=t),
             lambda: mem.ingest([{"role": "user", "content": "I live in Rome.", "at": when}],
                                "alice", session_id="s"),
             lambda: mem.gc(now=t), lambda: mem.run_scheduler(now=t, dry_run=True)]
    for call in calls:
        with pytest.raises(InvalidInputError):
            call()
    cube = mem.get(cid, "alice").model_dump(mode="json")
    line = json.dumps({"type": "cube", "cube": {**cube, "id": "t1", "recorded_at": when}})
    with pytest.raises(ImportFormatError):
        mem.import_(io.StringIO(line + "\n"), "alice")
    assert snapshot(mem) == before


# -- point 11: normalisation, and one rule on both backends -------------------------------

def test_nfc_and_nfd_spellings_of_an_id_are_one_user(mem):
    nfc, nfd = unicodedata.normalize("NFC", "josé"), unicodedata.normalize("NFD", "josé")
    assert nfc != nfd
    cube = mem.add("José's bike is blue", nfd)
    assert cube.cube.scope.user_id == nfc
    assert mem.get(cube.id, nfc).content == "José's bike is blue"
    assert [h.id for h in mem.search("bike", nfc)] == [cube.id]
    assert [h.id for h in mem.search("bike", nfd)] == [cube.id]
    agent = mem.add("planner note on bikes", {"user_id": nfc, "agent_id": nfd})
    assert mem.get(agent.id, {"user_id": nfd, "agent_id": nfc}).id == agent.id
    hits = mem.search("bikes", {"user_id": nfc, "agent_id": nfc}, filters={"agent_id": nfd})
    assert [h.id for h in hits] == [agent.id]


BAD_IDS = ["", " ", "\u200b", " \u200b\u2060 ", "\ufeff", "\u3164", "a\x00b", "a\x07b",
           "a\nb", "evil\u202egnp", "x\u2066y", "\ud800x"]


@pytest.mark.parametrize("field", ["user_id", "agent_id", "session_id"])
@pytest.mark.parametrize("bad", BAD_IDS)
def test_ids_that_show_nothing_or_hide_characters_are_refused(mem, field, bad):
    before = snapshot(mem)
    scope = {"user_id": "alice", field: bad}
    with pytest.raises(InvalidInputError, match=field):
        mem.add("a memory", scope)
    with pytest.raises(InvalidInputError):
        mem.search("memory", scope)
    assert snapshot(mem) == before


@pytest.mark.parametrize("content", ["\u200b", "\u200b\u200c\u200d", " \ufeff\n\u2060 ", "\u3000"])
def test_content_of_only_invisible_characters_is_refused(mem, content):
    before = snapshot(mem)
    with pytest.raises(InvalidInputError, match="empty"):
        mem.add(content, "alice")
    assert snapshot(mem) == before


@pytest.mark.parametrize("fields", [
    {"tags": ["a\x00b"]}, {"tags": ["\ud800"]}, {"tags": [""]}, {"tags": ["x" * 257]},
    {"metadata": {"k\x00": 1}}, {"metadata": {"k": "v\x00"}}, {"metadata": {"k": ["\x00"]}},
    {"metadata": {"k": {"n\x00": 1}}}, {"metadata": {"k": "\udc80"}},
    {"metadata": {'say "hi"': 1}}, {"metadata": {"back\\slash": 1}}, {"metadata": {"": 1}},
    {"metadata": {"k": math.inf}}, {"sources": [{"kind": "message", "text": "a\x00"}]},
    {"sources": [{"kind": "message", "ref": "r" * 513}]}, {"entities": ["zur\x00ich"]},
    {"entities": ["e" * 257]}, {"model_fingerprint": "f\x00"},
])
def test_what_either_backend_refuses_is_refused_on_both(mem, fields):
    before = snapshot(mem)
    with pytest.raises(InvalidInputError):
        mem.add("a memory with odd fields", "alice", **fields)
    with pytest.raises(InvalidInputError):
        mem.add_many([{"content": "another memory", **fields}], "alice")
    assert snapshot(mem) == before


def test_every_storable_metadata_key_can_be_filtered_on(mem):
    keys = ["plain", "with space", "dotted.key", "ünï", "emoji 🐝", "colon:key", "$dollar", "[0]"]
    ids = {k: mem.add(f"memory number {i}", "alice", metadata={k: i}).id
           for i, k in enumerate(keys)}
    for i, key in enumerate(keys):
        hits = mem.search("memory number", "alice", k=20, filters={"meta": {key: i}})
        assert [h.id for h in hits] == [ids[key]], key
    with pytest.raises(InvalidInputError, match="quote"):
        mem.search("memory", "alice", filters={"meta": {'a"b': 1}})


@pytest.mark.parametrize("weight", [math.inf, -math.inf, math.nan, 10**400, "1.0", None, True,
                                    0, 0.0, -0.5, -1])
def test_link_weights_must_be_positive_finite_numbers(world, weight):
    """A weight is the edge's strength in graph retrieval (weight / seed rank is added to the
    neighbour's score): zero or less would make the neighbour a candidate the edge says
    nothing for."""
    mem = world["mem"]
    before = snapshot(mem)
    with pytest.raises(InvalidInputError, match="weight"):
        mem.link(world["alice"], world["alice2"], "alice", weight=weight)
    assert snapshot(mem) == before


def test_a_cube_is_not_linked_to_itself(world):
    mem = world["mem"]
    before = snapshot(mem)
    for scope in ("alice", "bob"):  # the owner, and a caller who may not even read it
        with pytest.raises(InvalidInputError, match="two cubes") as refused:
            mem.link(world["alice"], world["alice"], scope)
        assert "not found" not in str(refused.value).lower()
    assert snapshot(mem) == before
    edge = mem.link(world["alice"], world["alice2"], "alice", weight=1e-3)
    assert edge.weight == 1e-3


@pytest.mark.parametrize("bad", [
    {"not": None}, {"not": {}}, {"not": []}, {"and": []}, {"or": []}, {"or": None},
    {"and": "kind"}, {"or": [None]}, {"or": [{}]}, {"kind": []}, {"kind": 5},
    {"tag": [None]}, {"meta": {}}, {"meta": None}, {"meta": {"k": math.nan}},
    {"meta": {"k": {"nested": 1}}}, {"meta": {"k": 2**70}}, {"agent_id": "a\x00"},
    {"recorded_after": 5}, {"recorded_after": "yesterday"}, {"nope": 1}, [], "kind",
])
def test_malformed_filters_raise_invalid_input(mem, bad):
    mem.add("a memory about filters", "alice")
    with pytest.raises(InvalidInputError):
        mem.search("memory", "alice", filters=bad)


@pytest.mark.parametrize("bad", [{"kind": "facts"}, {"kind": ["fact", "Fact"]},
                                 {"or": [{"tag": "x"}, {"not": {"kind": "bogus"}}]}])
def test_an_unknown_kind_in_a_filter_is_refused_as_the_kind_keyword_is(mem, bad):
    # A typo in a filter's kind matched nothing, silently; kind="facts" says what is wrong.
    mem.add("a memory about filters", "alice")
    with pytest.raises(InvalidInputError, match="kinds are"):
        mem.search("memory", "alice", kind="facts")
    with pytest.raises(InvalidInputError, match="kinds are"):
        mem.search("memory", "alice", filters=bad)


def test_filter_size_and_depth_are_bounded_before_compiling(mem, monkeypatch):
    from memos.stores import filters

    compiled: list[Any] = []
    real_compile = filters._compile
    monkeypatch.setattr(filters, "_compile",
                        lambda *a: compiled.append(a) or real_compile(*a))
    mem.add("a memory about bounds", "alice")
    wide = {"or": [{"tag": f"t{i}"} for i in range(MAX_FILTER_NODES + 1)]}
    huge = {"or": [{"tag": f"t{i}"} for i in range(100_000)]}
    many_values = {"tag": [f"t{i}" for i in range(MAX_FILTER_NODES + 1)]}
    deep: dict[str, Any] = {"kind": "fact"}
    for _ in range(1500):
        deep = {"not": deep}
    for bad, word in ((wide, "conditions"), (huge, "conditions"), (many_values, "conditions"),
                      (deep, "nested")):
        with pytest.raises(InvalidInputError, match=word):
            mem.search("memory", "alice", filters=bad)
        assert compiled == []  # refused by the bounds, before any SQL was built from it
    ok_deep: dict[str, Any] = {"kind": "fact"}
    for _ in range(MAX_FILTER_DEPTH // 2 - 1):
        ok_deep = {"not": {"not": ok_deep}}
    assert len(mem.search("memory", "alice", filters=ok_deep)) == 1
    ok_wide = {"or": [{"tag": f"t{i}"} for i in range(MAX_FILTER_NODES // 2 - 1)]
               + [{"kind": "fact"}]}
    assert len(mem.search("memory", "alice", filters=ok_wide)) == 1
    assert compiled  # (the filters within the bounds were compiled: the hook sees them)


def test_version_arguments_must_be_integers(world):
    mem = world["mem"]
    for bad in ("x", "1", 1.0, True, 0, -1, 2**63, None):
        with pytest.raises(InvalidInputError, match="version"):
            mem.get(world["alice"], "alice", version=bad) if bad is not None else \
                mem.rollback(world["alice"], "alice", bad)
    with pytest.raises(NotFoundError):
        mem.get(world["alice"], "alice", version=2**31 - 1)


# -- point 9: a table of every public method and bad values for each argument ------------

NAN, INF = math.nan, math.inf
POOL: list[Any] = [None, 0, 5, -1, 2**63, 10**30, 1.5, NAN, INF, -INF, True, "", " ", "\x00",
                   "\u200b", "\ud800", "x", b"\xff\xfe", [], [None], [1, 2], ["\x00"], {},
                   {"a": object()}, {"user_id": None}, object(), (1,), {1, 2}]


def _is(*kinds: type) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, kinds) and not isinstance(v, bool) or False


def _finite_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(float(v))


def _valid_text(v: Any) -> bool:
    return isinstance(v, str) and v.strip("\u200b ") != "" and "\x00" not in v and \
        "\ud800" not in v


# name -> (call(mem, ids, value), valid(value)): `valid` says which pool values the argument
# accepts (those are skipped: the call would rightly succeed and write).
Call = Callable[[Any, dict[str, Any], Any], Any]
def _no_filter(value: Any) -> bool:
    return value is None or (isinstance(value, (list, tuple, set, frozenset)) and not value)


TABLE: dict[str, tuple[Call, Callable[[Any], bool]]] = {
    "add.content": (lambda m, i, v: m.add(v, "alice"), _valid_text),
    "add.scope": (lambda m, i, v: m.add("a new memory", v), _valid_text),
    "add.tags": (lambda m, i, v: m.add("a tagged memory", "alice", tags=v),
                 lambda v: v in ([],) or v == "x"),
    "add.metadata": (lambda m, i, v: m.add("a meta memory", "alice", metadata=v),
                     lambda v: v is None or v == {} or v == {"user_id": None}),
    "add.importance": (lambda m, i, v: m.add("an important memory", "alice", importance=v),
                       lambda v: _finite_number(v) and 0 <= v <= 1),
    "add.confidence": (lambda m, i, v: m.add("a sure memory", "alice", confidence=v),
                       lambda v: _finite_number(v) and 0 <= v <= 1),
    "add.ttl": (lambda m, i, v: m.add("a fleeting memory", "alice", ttl=v),
                lambda v: v is None or (_finite_number(v) and 0 < v < 1e9)),
    "add.kind": (lambda m, i, v: m.add("a kind memory", "alice", kind=v), lambda v: False),
    "add.tier": (lambda m, i, v: m.add("a tiered memory", "alice", tier=v), lambda v: False),
    "add.sources": (lambda m, i, v: m.add("a sourced memory", "alice", sources=v),
                    lambda v: v == []),
    "add.entities": (lambda m, i, v: m.add("an entity memory", "alice", entities=v),
                     lambda v: v == []),
    "add.supersedes": (lambda m, i, v: m.add("a newer memory", "alice", supersedes=v),
                       lambda v: v == []),
    "add.derived_from": (lambda m, i, v: m.add("a derived memory", "alice", derived_from=v),
                         lambda v: v == []),
    "add.embedding": (lambda m, i, v: m.add("an embedded memory", "alice", embedding=v),
                      lambda v: v is None),
    "add.valid_from": (lambda m, i, v: m.add("a dated memory", "alice", valid_from=v),
                       lambda v: v is None or (_finite_number(v) and abs(v) < 1e10)),
    "add.expires_at": (lambda m, i, v: m.add("an expiring memory", "alice", expires_at=v),
                       lambda v: v is None),
    "add.model_fingerprint": (lambda m, i, v: m.add("a printed memory", "alice",
                                                    model_fingerprint=v),
                              lambda v: v is None or _valid_text(v) or v in ("", " ", "\u200b")),
    "add.unknown": (lambda m, i, v: m.add("a memory", "alice", colour=v), lambda v: False),
    "add_many.items": (lambda m, i, v: m.add_many(v, "alice"), lambda v: v in ([], (), set())),
    "add_many.item": (lambda m, i, v: m.add_many(["first good memory", v], "alice"),
                      _valid_text),
    "add_many.batch_size": (lambda m, i, v: m.add_many(["batched memory"], "alice",
                                                       batch_size=v),
                            lambda v: v is None or (_is(int)(v) and 1 <= v <= 100_000)),
    "add_many.progress": (lambda m, i, v: m.add_many(["progress memory"], "alice", progress=v),
                          lambda v: v is None),
    "update.cube_id": (lambda m, i, v: m.update(v, "alice", tags=["u"]), lambda v: False),
    "update.scope": (lambda m, i, v: m.update(i["alice"], v, tags=["u"]),
                     lambda v: v == "x" and False),
    "update.content": (lambda m, i, v: m.update(i["alice"], "alice", content=v), _valid_text),
    "update.tags": (lambda m, i, v: m.update(i["alice"], "alice", tags=v),
                    lambda v: v == "x" or v == [] and False),
    "update.importance": (lambda m, i, v: m.update(i["alice"], "alice", importance=v),
                          lambda v: _finite_number(v) and 0 <= v <= 1 and v != 0.5),
    "update.metadata": (lambda m, i, v: m.update(i["alice"], "alice", metadata=v),
                        lambda v: v == {"user_id": None}),
    "update.reason": (lambda m, i, v: m.update(i["alice"], "alice", tags=["r"], reason=v),
                      lambda v: v is None or _valid_text(v) or v in (" ", "\u200b")),
    "update.field": (lambda m, i, v: m.update(i["alice"], "alice", colour=v), lambda v: False),
    "supersede.cube_id": (lambda m, i, v: m.supersede(v, "alice", content="replacement"),
                          lambda v: False),
    "supersede.by": (lambda m, i, v: m.supersede(i["alice"], "alice", by=v), lambda v: False),
    "supersede.content": (lambda m, i, v: m.supersede(i["alice"], "alice", content=v),
                          _valid_text),
    "supersede.reason": (lambda m, i, v: m.supersede(i["alice"], "alice", by=i["alice2"],
                                                     reason=v),
                         lambda v: v is None or _valid_text(v) or v in (" ", "\u200b")),
    "rollback.to_version": (lambda m, i, v: m.rollback(i["alice"], "alice", v), lambda v: False),
    "forget.cube_id": (lambda m, i, v: m.forget(v, "alice"), lambda v: False),
    "forget.reason": (lambda m, i, v: m.forget(i["alice"], "alice", reason=v),
                      lambda v: v is None or _valid_text(v) or v in (" ", "\u200b")),
    "link.src_id": (lambda m, i, v: m.link(v, i["alice2"], "alice"), lambda v: False),
    "link.dst_id": (lambda m, i, v: m.link(i["alice"], v, "alice"), lambda v: False),
    "link.relation": (lambda m, i, v: m.link(i["alice"], i["alice2"], "alice", relation=v),
                      lambda v: _valid_text(v) or v in (" ", "\u200b")),
    "link.weight": (lambda m, i, v: m.link(i["alice"], i["alice2"], "alice", weight=v),
                    _finite_number),
    "get.cube_id": (lambda m, i, v: m.get(v, "alice"), lambda v: False),
    "get.scope": (lambda m, i, v: m.get(i["alice"], v), lambda v: False),
    "get.version": (lambda m, i, v: m.get(i["alice"], "alice", version=v),
                    lambda v: v is None),
    "history.cube_id": (lambda m, i, v: m.history(v, "alice"), lambda v: False),
    "diff.from_version": (lambda m, i, v: m.diff(i["alice"], "alice", v, 1),
                          lambda v: v is None),
    "diff.to_version": (lambda m, i, v: m.diff(i["alice"], "alice", 1, v), lambda v: v is None),
    "neighbors.depth": (lambda m, i, v: m.neighbors(i["alice"], "alice", depth=v),
                        lambda v: _is(int)(v) and 1 <= v <= 5),
    "neighbors.relation": (lambda m, i, v: m.neighbors(i["alice"], "alice", relation=v),
                           lambda v: v is None or _valid_text(v) or v in (" ", "\u200b")),
    "search.query": (lambda m, i, v: m.search(v, "alice"), _valid_text),
    "search.k": (lambda m, i, v: m.search("bees", "alice", k=v),
                 lambda v: _is(int)(v) and 1 <= v <= 10_000),
    "search.filters": (lambda m, i, v: m.search("bees", "alice", filters=v),
                       lambda v: v is None or v == {}),
    # an empty list, tuple or set of kinds or tags is no filter, as None is
    "search.kind": (lambda m, i, v: m.search("bees", "alice", kind=v), _no_filter),
    "search.tags": (lambda m, i, v: m.search("bees", "alice", tags=v),
                    lambda v: _no_filter(v) or _is(str)(v) and "\x00" not in v
                    and "\ud800" not in v),
    "search.since": (lambda m, i, v: m.search("bees", "alice", since=v), lambda v: v is None),
    "search.metadata": (lambda m, i, v: m.search("bees", "alice", metadata=v),
                        lambda v: v is None or v == {} or v == {"user_id": None}),
    "search.tiers": (lambda m, i, v: m.search("bees", "alice", tiers=v), lambda v: v == []),
    "search.retrievers": (lambda m, i, v: m.search("bees", "alice", retrievers=v),
                          lambda v: v in ([], set())),
    "search.include_superseded": (lambda m, i, v: m.search("bees", "alice",
                                                           include_superseded=v),
                                  lambda v: isinstance(v, bool)),
    "search.option": (lambda m, i, v: m.search("bees", "alice", colour=v), lambda v: False),
    "purge.cube_id": (lambda m, i, v: m.purge(v, "alice"), lambda v: False),
    "purge.all_of_user": (lambda m, i, v: m.purge(i["alice"], "alice", all_of_user=v),
                          lambda v: False),
    "purge.reason": (lambda m, i, v: m.purge(i["alice"], "alice", reason=v),
                     lambda v: v is None or _valid_text(v) or v in (" ", "\u200b")),
    "stats.scope": (lambda m, i, v: m.stats(v), lambda v: v is None or v == "x"),
    "gc.now": (lambda m, i, v: m.gc(now=v), lambda v: v is None),
    "gc.scope": (lambda m, i, v: m.gc(scope=v, now=datetime(2000, 1, 1, tzinfo=UTC)),
                 lambda v: v is None or v == "x"),
    "check.repair": (lambda m, i, v: m.check(repair=v), lambda v: isinstance(v, bool)),
    "reindex.progress": (lambda m, i, v: m.reindex(progress=v), lambda v: v is None),
    "export.scope": (lambda m, i, v: m.export(v), lambda v: False),
    "export.include_superseded": (lambda m, i, v: m.export("alice", include_superseded=v),
                                  lambda v: isinstance(v, bool)),
    "import_.source": (lambda m, i, v: m.import_(v, "alice"), lambda v: False),
    "import_.on_error": (lambda m, i, v: m.import_(["\n"], "alice", on_error=v),
                         lambda v: v in ("skip", "abort")),
}

@pytest.mark.parametrize("name", sorted(TABLE))
def test_every_bad_argument_raises_a_memos_error_and_changes_nothing(world, name):
    mem = world["mem"]
    call, valid = TABLE[name]
    for value in POOL:
        if valid(value):
            continue
        before = snapshot(mem)
        try:
            call(mem, world, value)
        except MemosError:
            pass
        except Exception as exc:  # noqa: BLE001 - the point: name the raw exception
            pytest.fail(f"{name}={value!r:.60} raised {type(exc).__name__}: {exc}")
        else:
            pytest.fail(f"{name}={value!r:.60} was accepted")
        assert snapshot(mem) == before, f"{name}={value!r:.60} changed the store"


_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.integers(min_value=2**62),
              st.floats(), st.text(max_size=8), st.binary(max_size=8),
              st.sampled_from(["", "\x00", "\u200b", "\ud800", "\u202e", " "])),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.text(max_size=4), inner, max_size=3)),
    max_leaves=6)


@settings(max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(name=st.sampled_from(sorted(TABLE)), value=_values)
def test_random_arguments_raise_memos_errors_or_succeed_never_crash(world, name, value):
    """Any value for any argument: the call succeeds, or raises a memos error and leaves
    the store exactly as it was."""
    mem = world["mem"]
    before = snapshot(mem)
    try:
        TABLE[name][0](mem, world, value)
    except MemosError:
        assert snapshot(mem) == before, f"{name}={value!r:.60} failed but changed the store"
    except Exception as exc:  # noqa: BLE001
        pytest.fail(f"{name}={value!r:.60} raised {type(exc).__name__}: {exc}")


def test_import_with_keep_ids_false_replaces_every_id_the_caller_does_not_hold(mem: Any
                                                                               ) -> None:
    """With keep_ids=False (the REST server's import) a free memos id and another user's are
    both replaced, so the report does not tell whether another user holds an id; the
    default keeps a free one (a restore keeps its ids)."""
    import uuid

    theirs = mem.add("bob's private note", "bob").id
    mine = mem.add("alice's own note", "alice").id
    free = uuid.uuid4().hex

    def file(*ids: str) -> io.StringIO:
        lines = [json.dumps({"format": "memos-export/1", "user_id": "alice"})]
        lines += [json.dumps({"type": "cube", "cube": {
            "id": cid, "content": f"imported note {n}", "kind": "fact",
            "scope": {"user_id": "alice"}}}) for n, cid in enumerate(ids)]
        return io.StringIO("\n".join(lines) + "\n")

    strict = mem.import_(file(theirs, free, mine), "alice", keep_ids=False)
    assert set(strict.renamed) == {theirs, free} and strict.skipped_existing == 1
    kept = mem.import_(file(theirs, uuid.uuid4().hex), "alice")
    assert list(kept.renamed) == [theirs]
    with pytest.raises(InvalidInputError):
        mem.import_(file(free), "alice", keep_ids="no")
