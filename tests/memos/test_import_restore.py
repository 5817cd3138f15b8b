"""Export and import as a restore (found by a review of memos/transfer.py):

1. refusals propagate through `derived_from` in time linear in the file (a chain of 8,000
   lines, each derived from the next and the last from a missing id, took 115 s under the
   store's write lock);
2. an import that renames ids also renames the ids held in metadata "used" and in
   `sources[].ref` ("<episode id>@<version>"), so forget and purge still reach the replies;
3. a live cube derived from an expired, superseded or forgotten cube restores;
4. importing one file twice adds nothing, also when ids are replaced (keep_ids=False);
5. a user with agents restores per agent, in any order, with the edges between agents;
6. hostile fields: versions that do not exist, unknown fields, numbers as text, duplicate
   edges, forged access counts and times in the future.
"""

from __future__ import annotations

import io
import json
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

import memos.transfer as transfer
from memos import MemOS, Scope
from memos.cube import content_hash, new_id, utcnow
from memos.errors import ImportFormatError, NotFoundError

ALICE = Scope(user_id="alice")
B1 = Scope(user_id="alice", agent_id="b1")
B2 = Scope(user_id="alice", agent_id="b2")


@pytest.fixture
def open_mem(tmp_path: Path) -> Iterator[Callable[[str], MemOS]]:
    opened: list[MemOS] = []

    def _open(name: str) -> MemOS:
        mem = MemOS.open(str(tmp_path / name), embedder="hashing")
        opened.append(mem)
        return mem

    yield _open
    for mem in opened:
        mem.close()


def _cube(content: str, user: str = "alice", **fields: Any) -> dict[str, Any]:
    return {"id": new_id(), "content": content, "scope": {"user_id": user},
            "content_hash": content_hash(content), **fields}


def _line(cube: dict[str, Any], history: list[dict[str, Any]] | None = None,
          **extra: Any) -> str:
    return json.dumps({"type": "cube", "cube": cube, "history": history or [], **extra})


def _edge(src: str, dst: str, **fields: Any) -> str:
    return json.dumps({"type": "edge", "src": src, "dst": dst, "relation": "related",
                       "weight": 1.0, **fields})


def _file(lines: list[str]) -> io.StringIO:
    return io.StringIO("".join(line + "\n" for line in lines))


def _export(mem: MemOS, scope: Any, **options: Any) -> list[dict[str, Any]]:
    buffer = io.StringIO()
    mem.export(scope, buffer, **options)
    lines = [json.loads(x) for x in buffer.getvalue().splitlines()]
    lines[0].pop("exported_at")
    return lines


def _text(lines: list[dict[str, Any]]) -> io.StringIO:
    return io.StringIO("".join(json.dumps(x) + "\n" for x in lines))


# -- 1. refusals propagate in linear time ------------------------------------------------

class _OverBudget(BaseException):  # not an Exception: no handler in the import catches it
    pass


def _chain(n: int, extra_ref: str | None = None) -> tuple[list[str], list[str]]:
    """Line i is derived from line i+1; the last from an id nobody has."""
    ids = [new_id() for _ in range(n)]
    lines = []
    for i in range(n):
        refs = [{"cube_id": ids[i + 1] if i + 1 < n else "f" * 32, "version": 1}]
        if extra_ref is not None:
            refs.append({"cube_id": extra_ref, "version": 1})
        lines.append(_line(_cube(f"chain link {i}", id=ids[i], derived_from=refs)))
    return ids, lines


def test_import_refusals_through_a_long_chain_take_linear_work(open_mem: Any) -> None:
    """Before: each refused cube re-walked every accepted cube (a `while changed` loop), so
    2,000 lines made about 2,000,000 passes over their references. The work is counted as
    the Python calls (and generator steps) made in memos/transfer.py: linear in the lines."""
    mem = open_mem("s")
    n = 2000
    _, lines = _chain(n)
    budget = 150 * n  # the quadratic loop needs n * n / 2 steps of its generator alone
    calls = 0

    def count(frame: Any, event_name: str, arg: Any) -> None:
        nonlocal calls
        if event_name == "call" and frame.f_code.co_filename == transfer.__file__:
            calls += 1
            if calls > budget:
                sys.setprofile(None)
                raise _OverBudget(f"over {budget} calls in memos/transfer.py")

    sys.setprofile(count)
    try:
        report = mem.import_(_file(lines), ALICE, on_error="skip")
    finally:
        sys.setprofile(None)
    assert report.imported == 0 and len(report.errors) == n
    assert calls <= budget
    last = dict(report.errors)[n]
    assert "ffffffff" in last and "no cube with that id" in last
    # every other line names the line it was derived from, refused before it
    assert "whose line 2 was refused" in dict(report.errors)[1]
    assert mem.stats().cubes == 0


def test_import_looks_up_store_references_in_batches(open_mem: Any) -> None:
    """Before: a reference to a cube of the store was looked up with one SELECT per line
    and per pass of the refusal loop: n * n / 2 statements for a refused chain of n lines,
    each also derived from a cube the caller owns."""
    mem = open_mem("s")
    own = mem.add("a note alice owns", ALICE).id
    n = 1000
    _, lines = _chain(n, extra_ref=own)
    budget = 150  # batches of 500 ids, plus the writes of an import that writes nothing
    statements = 0
    engine = mem._store.repo.engine

    def count(*args: Any) -> None:
        nonlocal statements
        statements += 1
        if statements > budget:
            raise _OverBudget(f"over {budget} SQL statements")

    event.listen(engine, "before_cursor_execute", count)
    try:
        report = mem.import_(_file(lines), ALICE, on_error="skip")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert report.imported == 0 and len(report.errors) == n
    assert statements <= budget


# -- 2. renamed ids are renamed wherever a cube names another ----------------------------

def _scan(folder: Path, secret: bytes) -> list[str]:
    return [str(p) for p in folder.rglob("*") if p.is_file() and secret in p.read_bytes()]


@pytest.mark.parametrize("keep_ids", [False, True])
def test_renamed_import_keeps_used_and_episode_refs_so_purge_reaches_the_reply(
        tmp_path: Path, keep_ids: bool) -> None:
    """keep_ids=False (REST) renames every id; keep_ids=True renames the ids another user
    holds. Before: `used` and "<episode>@<version>" kept the file's ids, so forgetting or
    purging the renamed fact left the reply that drew on it (its words stayed in memos.db)."""
    secret = "QQREPLYSECRET"
    with MemOS.open(str(tmp_path / "a"), embedder="hashing") as mem:
        fact = mem.add("The door code is 4821", ALICE, kind="fact").id
        mem.ingest([{"role": "user", "content": "My sister Helen lives in Porto."},
                    {"role": "assistant", "content": f"Try {secret} four eight two one",
                     "used": [fact]}], ALICE, session_id="s1")
        mem.export(ALICE, tmp_path / "a.jsonl")
    lines = [json.loads(x) for x in (tmp_path / "a.jsonl").read_text().splitlines()[1:]]
    cubes = {x["cube"]["id"]: x["cube"] for x in lines if x.get("type") == "cube"}
    reply = next(cid for cid, c in cubes.items() if secret in c["content"])
    cube_refs = {cid: [s["ref"] for s in c["sources"] if s["kind"] == "cube"]
                 for cid, c in cubes.items()}
    assert any(cube_refs.values())  # a fact read from a turn names it "<episode>@1"

    folder = tmp_path / "b"
    with MemOS.open(str(folder), embedder="hashing") as mem:
        if keep_ids:  # another user holds every id of the file (without the secret)
            for cid in cubes:
                held = _cube("Bob's note", user="bob", id=cid)
                assert mem.import_(_file([_line(held)]), "bob").renamed == {}
        report = mem.import_(tmp_path / "a.jsonl", ALICE, keep_ids=keep_ids)
        assert set(report.renamed) == set(cubes)
        new = report.renamed
        assert mem.get(new[reply], ALICE).metadata["used"] == [new[fact]]
        for cid, refs in cube_refs.items():
            got = [s.ref for s in mem.get(new[cid], ALICE).sources if s.kind == "cube"]
            assert got == [f"{new[r.split('@')[0]]}@{r.split('@')[1]}" for r in refs]
        mem.forget(new[fact], ALICE)
        assert mem.history(new[reply], ALICE)[-1].state == "forgotten"
        mem.purge(new[fact], ALICE)
        with pytest.raises(NotFoundError, match="no cube"):
            mem.history(new[reply], ALICE)
        if keep_ids:
            assert mem.get(reply, "bob").content == "Bob's note"  # Bob's cube untouched
    assert _scan(folder, secret.encode()) == []


# -- 3. cubes derived from cubes that export leaves out ----------------------------------

def test_export_then_import_restores_cubes_derived_from_expired_superseded_forgotten(
        open_mem: Any) -> None:
    mem = open_mem("a")
    note = mem.add("Temporary note about a meeting", ALICE, ttl=1).id
    outcome = mem.add("Meeting outcome: budget approved", ALICE,
                      derived_from=[{"cube_id": note, "version": 1}]).id
    job = mem.add("Old job Acme", ALICE, kind="fact").id
    summary = mem.add("Summary derived from the old job", ALICE,
                      derived_from=[{"cube_id": job, "version": 1}]).id
    mem.supersede(job, ALICE, content="New job Globex")
    read = mem.add("An agentless note agent b1 read", ALICE).id
    concluded = mem.add("Agent b1's conclusion from it", B1,
                        derived_from=[{"cube_id": read, "version": 1}]).id
    mem.forget(read, ALICE)  # b1's cube is not alice's to forget: it stays
    assert mem.get(concluded, B1).state == "active"
    time.sleep(1.2)  # the note expires

    files = {name: _export(mem, scope, **options) for name, scope, options in (
        ("all", ALICE, {}), ("current", ALICE, {"include_superseded": False}),
        ("b1", B1, {}))}
    ids = {name: {x["cube"]["id"] for x in lines if x.get("type") == "cube"}
           for name, lines in files.items()}
    # the expired note and the superseded job go out, as they are, with what derives from them
    assert {note, outcome, job, summary} <= ids["all"] and {note, job} <= ids["current"]
    assert read not in ids["b1"]  # a forgotten cube never goes out...
    line = next(x for x in files["b1"] if x.get("cube", {}).get("id") == concluded)
    assert line["left_out"] == [read]  # ...the line says export left it out

    for name, lines in files.items():
        fresh = open_mem(f"restore-{name}")
        scope = B1 if name == "b1" else ALICE
        report = fresh.import_(_text(lines), scope)  # on_error="abort"
        assert report.errors == [] and report.imported == len(ids[name])
        assert _export(fresh, scope, **({"include_superseded": False}
                                        if name == "current" else {})) == lines
        hits = {h.cube.id for h in fresh.search("meeting note budget", scope, k=10)}
        assert note not in hits  # expired in the restore too
        over_rest = open_mem(f"rest-{name}").import_(_text(lines), scope, keep_ids=False)
        assert over_rest.errors == [] and over_rest.imported == len(ids[name])


def test_left_out_sources_tell_nothing_of_other_users_ids(open_mem: Any) -> None:
    mem = open_mem("s")
    bobs = mem.add("Bob's private note", "bob").id
    seen = []
    for target in (bobs, new_id()):
        cube = _cube("Alice's note derived from a forgotten one",
                     derived_from=[{"cube_id": target, "version": 1}])
        # without the mark: the same refusal for a taken and a free id
        with pytest.raises(ImportFormatError) as info:
            mem.import_(_file([_line(cube)]), ALICE, keep_ids=False)
        seen.append(info.value.errors[0][1].replace(target, "ID"))
        report = mem.import_(_file([_line(cube, left_out=[target])]), ALICE, keep_ids=False)
        assert (report.imported, report.errors, list(report.renamed)) == (1, [], [cube["id"]])
        got = mem.get(report.renamed[cube["id"]], ALICE).derived_from[0].cube_id
        assert got not in (target, bobs)
    assert seen[0] == seen[1]
    mem.purge(bobs, "bob")
    assert all(c.state == "active" for c in (h.cube for h in mem.search("Alice's note", ALICE)))


# -- 4. one file twice adds nothing ---------------------------------------------------

@pytest.mark.parametrize("keep_ids", [False, True])
def test_importing_one_file_twice_adds_nothing(open_mem: Any, keep_ids: bool) -> None:
    src = open_mem("a")
    first = src.add("one fact", ALICE).id
    second = src.add("two fact", ALICE, derived_from=[{"cube_id": first, "version": 1}]).id
    src.link(first, second, ALICE, relation="about")
    src.link(first, "entity:Porto", ALICE)
    lines = _export(src, ALICE)
    mem = open_mem("b")
    if keep_ids:  # the ids are another user's: renamed, and still found the second time
        bob = json.loads(json.dumps(lines).replace('"alice"', '"bob"'))
        mem.import_(_text(bob), "bob")
    reports = [mem.import_(_text(lines), ALICE, keep_ids=keep_ids) for _ in range(2)]
    assert (reports[0].imported, reports[0].edges) == (2, 2)
    assert (reports[1].imported, reports[1].edges, reports[1].skipped_existing) == (0, 0, 2)
    assert reports[1].renamed == reports[0].renamed and len(reports[0].renamed) == 2
    stats = mem.stats(ALICE)
    assert (stats.cubes, stats.edges) == (2, 2)


def test_an_export_cut_between_lines_is_told_apart_from_a_whole_one(open_mem: Any) -> None:
    """A file cut after a whole line (a full disk, a copy stopped midway) parsed line by line
    without an error: what was cut off was missing and nothing said so. Export ends with a
    line counting its cube and edge lines, which import checks."""
    src = open_mem("a")
    first = src.add("first fact", ALICE).id
    second = src.add("second fact", ALICE).id
    src.link(second, first, ALICE)
    lines = _export(src, ALICE)
    assert lines[-1] == {"type": "end", "cubes": 2, "edges": 1}
    whole = open_mem("b").import_(_text(lines), ALICE)
    assert (whole.imported, whole.edges, whole.errors, whole.unended) == (2, 1, [], False)
    # cut before the end line: imported, and the report says the file has no end line
    cut = open_mem("c").import_(_text(lines[:-2]), ALICE)
    assert (cut.imported, cut.edges, cut.unended) == (2, 0, True)
    # a cube line lost from the middle: the end line's counts do not hold
    lost = [lines[0], lines[2], lines[3], lines[4]]
    with pytest.raises(ImportFormatError) as info:
        open_mem("d").import_(_text(lost), ALICE)
    assert info.value.errors[-1][0] == 4 and "lost or added" in info.value.errors[-1][1]
    # a line after the end line, and an end line that is not counts
    after = open_mem("e").import_(_text([*lines, lines[1]]), ALICE, on_error="skip")
    assert [n for n, _ in after.errors] == [6] and "after the end line" in after.errors[0][1]
    for bad in ({"type": "end", "cubes": "2", "edges": 1},
                {"type": "end", "cubes": 2, "edges": 1, "more": 1}):
        with pytest.raises(ImportFormatError):
            open_mem("f").import_(_text([*lines[:-1], bad]), ALICE)


def test_a_file_imported_in_parts_keeps_its_references(open_mem: Any) -> None:
    """docs/SERVER.md: a file over the body limit is imported in parts. Each part's
    derived_from and edges may name cubes an earlier part brought (under their new ids)."""
    src = open_mem("a")
    first = src.add("first part fact", ALICE).id
    second = src.add("second part fact", ALICE,
                     derived_from=[{"cube_id": first, "version": 1}]).id
    src.link(second, first, ALICE)
    header, one, two, edge, end = _export(src, ALICE)
    mem = open_mem("b")
    # the end line (the counts of the whole file) in the last part, which it does not fit:
    # counted only in a file that starts with the header
    parts = [[header, one], [two, edge, end]]
    for _ in range(2):
        reports = [mem.import_(_text(part), ALICE, keep_ids=False) for part in parts]
        assert [r.errors for r in reports] == [[], []]
    stats = mem.stats(ALICE)
    assert (stats.cubes, stats.edges) == (2, 1)
    new_second = reports[1].renamed[second]
    assert mem.get(new_second, ALICE).derived_from[0].cube_id == reports[0].renamed[first]


# -- 5. a user with agents -----------------------------------------------------------

ORDERS = [("all", "b1", "b2"), ("b1", "b2", "all"), ("b2", "b1", "all")]


@pytest.mark.parametrize("keep_ids", [True, False])
@pytest.mark.parametrize("order", ORDERS)
def test_a_user_with_agents_restores_per_agent_in_any_order(
        open_mem: Any, order: tuple[str, ...], keep_ids: bool) -> None:
    src = open_mem("a")
    b1s = Scope(user_id="alice", agent_id="b1", visibility="shared")
    b2s = Scope(user_id="alice", agent_id="b2", visibility="shared")
    a = src.add("Alice root memory", ALICE).id
    x = src.add("b1 shared note about gardening", b1s).id
    y = src.add("b2 shared note about cycling", b2s).id
    p = src.add("b1 private plan", B1).id
    src.link(a, x, ALICE, relation="r1")
    src.link(a, y, ALICE, relation="r2")
    src.link(x, y, B1, relation="r3")
    src.link(y, x, B2, relation="r4")
    src.link(p, y, B1, relation="r5")
    scopes = {"all": ALICE, "b1": B1, "b2": B2}
    files = {name: _export(src, scope) for name, scope in scopes.items()}
    mem = open_mem("b")
    for round_ in range(2):  # the second round joins what the first could not yet
        for name in order:
            report = mem.import_(_text(files[name]), scopes[name], keep_ids=keep_ids)
            assert report.errors == []
            if round_ == 1:
                assert report.imported == 0
    new: dict[str, str] = {}
    for name in scopes:
        new.update(mem.import_(_text(files[name]), scopes[name], keep_ids=keep_ids).renamed)
    owner = {a: None, x: "b1", y: "b2", p: "b1"}
    for old, agent in owner.items():
        cube = mem.get(new.get(old, old), Scope(user_id="alice", agent_id=agent))
        assert cube.scope.agent_id == agent  # nobody wrote into another agent's scope
    edges = {(old, n.cube.id, n.relation) for old, agent in owner.items()
             for n in mem.neighbors(new.get(old, old), Scope(user_id="alice", agent_id=agent))
             if n.direction == "out"}
    back = {new.get(k, k): k for k in owner}
    assert {(s, back[d], r) for s, d, r in edges} == {
        (a, x, "r1"), (a, y, "r2"), (x, y, "r3"), (y, x, "r4"), (p, y, "r5")}
    assert mem.stats(ALICE).cubes == 4 and mem.stats(ALICE).edges == 5


def test_a_line_of_another_agent_is_left_to_it_and_a_refused_line_is_named(
        open_mem: Any) -> None:
    mem = open_mem("s")
    good = _cube("a good note")
    theirs = _cube("agent b2's shared note", scope={"user_id": "alice", "agent_id": "b2",
                                                     "visibility": "shared"})
    private = _cube("agent b2's private note", scope={"user_id": "alice", "agent_id": "b2"})
    bad = _cube("a bad note", confidence=5.0)
    lines = [_line(good), _line(theirs), _line(bad), _edge(good["id"], bad["id"]),
             _edge(good["id"], theirs["id"]), _edge(theirs["id"], good["id"])]
    with pytest.raises(ImportFormatError) as info:
        mem.import_(_file(lines), ALICE)
    assert [n for n, _ in info.value.errors] == [3, 4]
    message = dict(info.value.errors)[4]
    assert "line 3" in message and "refused" in message and "confidence" in message
    assert "not in the file" not in message
    report = mem.import_(_file(lines[:2] + lines[4:]), ALICE)
    assert (report.imported, report.edges, report.errors) == (1, 0, [])
    assert [n for n, _ in report.left] == [2, 3, 4]
    assert "b2" in dict(report.left)[2]
    # a private cube of another agent is never in an export of this scope: refused
    with pytest.raises(ImportFormatError) as info:
        mem.import_(_file([_line(private)]), ALICE)
    assert "b2" in info.value.errors[0][1]


# -- 6. hostile fields -------------------------------------------------------------------

def _refused_line(mem: MemOS, lines: list[str], number: int, *words: str) -> None:
    before = mem.stats()
    with pytest.raises(ImportFormatError) as info:
        mem.import_(_file(lines), ALICE)
    errors = dict(info.value.errors)
    assert number in errors, info.value.errors
    for word in words:
        assert word in errors[number], errors[number]
    after = mem.stats()
    assert (after.cubes, after.edges, after.versions) == (before.cubes, before.edges,
                                                          before.versions)


def test_derived_from_a_version_that_does_not_exist_is_refused(open_mem: Any) -> None:
    mem = open_mem("s")
    stored = mem.add("a stored note", ALICE).id
    source = _cube("a source in the file")
    in_file = _cube("derived from v99", derived_from=[{"cube_id": source["id"], "version": 99}])
    _refused_line(mem, [_line(source), _line(in_file)], 2, "version 99")
    in_store = _cube("derived from v5", derived_from=[{"cube_id": stored, "version": 5}])
    _refused_line(mem, [_line(in_store)], 1, "version 5")
    ok = _cube("derived from v1", derived_from=[{"cube_id": stored, "version": 1}])
    assert mem.import_(_file([_line(ok)]), ALICE).imported == 1


UNKNOWN = {
    "in the cube": lambda c: (_line({**c, "evil": 1}),),
    "in its scope": lambda c: (_line({**c, "scope": {**c["scope"], "evil": 1}}),),
    "in its access": lambda c: (_line({**c, "access": {"hits": 0, "evil": 1}}),),
    "in a source": lambda c: (_line({**c, "sources": [{"kind": "user", "evil": 1}]}),),
    "in a derived_from": lambda c: (_line({**c, "derived_from": [
        {"cube_id": new_id(), "version": 1, "evil": 1}]}, left_out=[]),),
    "in a history version": lambda c: (_line({**c, "version": 2}, [{**c, "evil": 1}]),),
    "on the line": lambda c: (_line(c, evil=1),),
    "on an edge": lambda c: (_line(c), json.dumps({"type": "edge", "src": c["id"],
                                                   "dst": "entity:x", "relation": "r",
                                                   "evil": 1})),
}


@pytest.mark.parametrize("case", sorted(UNKNOWN))
def test_unknown_fields_are_refused(open_mem: Any, case: str) -> None:
    mem = open_mem("s")
    lines = list(UNKNOWN[case](_cube("a note")))
    _refused_line(mem, lines, len(lines), "evil")


TEXT_NUMBERS = {
    "confidence": lambda c: {**c, "confidence": "0.5"},
    "importance": lambda c: {**c, "importance": "1"},
    "version": lambda c: {**c, "version": "1"},
    "access hits": lambda c: {**c, "access": {"hits": "5"}},
    "a boolean version": lambda c: {**c, "version": True},
    "derived_from version": lambda c: {**c, "derived_from": [{"cube_id": new_id(),
                                                              "version": "1"}]},
}


@pytest.mark.parametrize("case", sorted(TEXT_NUMBERS))
def test_numbers_written_as_text_are_refused(open_mem: Any, case: str) -> None:
    mem = open_mem("s")
    _refused_line(mem, [_line(TEXT_NUMBERS[case](_cube("a note")))], 1, "number")


def test_a_repeated_edge_line_is_one_edge(open_mem: Any) -> None:
    mem = open_mem("s")
    a, b = _cube("edge end one"), _cube("edge end two")
    edge = _edge(a["id"], b["id"], created_at="2026-01-01T00:00:00+00:00")
    lines = [_line(a), _line(b), edge, edge, _edge(a["id"], "entity:x"),
             _edge(a["id"], "entity:x")]
    report = mem.import_(_file(lines), ALICE)
    assert (report.imported, report.edges, report.errors) == (2, 2, [])
    assert mem.stats(ALICE).edges == 2
    assert mem.import_(_file(lines), ALICE).edges == 0  # and again: nothing new
    assert mem.stats(ALICE).edges == 2


@pytest.mark.parametrize("keep_ids", [True, False])
def test_imported_access_counts_and_times_are_bounded(open_mem: Any, keep_ids: bool) -> None:
    mem = open_mem("s")
    future = "9999-12-31T23:59:59+00:00"
    cube = _cube("a hot note", recorded_at=future,
                 access={"hits": 2**31 - 1, "last_access": future})
    other = _cube("another note", recorded_at="9999-01-01T00:00:00")  # no zone: UTC
    naive = "2026-01-01T00:00:00"
    lines = [_line(cube), _line(other), _edge(cube["id"], other["id"], created_at=future),
             _edge(other["id"], cube["id"], created_at=naive)]
    before = utcnow()
    report = mem.import_(_file(lines), ALICE, keep_ids=keep_ids)
    after = utcnow() + timedelta(seconds=1)
    assert report.imported == 2 and report.edges == 2
    assert mem.import_(_file(lines), ALICE, keep_ids=keep_ids).edges == 0
    exported = _export(mem, ALICE)
    line = next(x for x in exported if x.get("type") == "cube"
                and x["cube"]["content"] == "a hot note")["cube"]
    from memos.stores.filters import parse_time

    assert before <= parse_time(line["recorded_at"], "t") <= after
    assert all(parse_time(x["cube"]["recorded_at"], "t") <= after
               for x in exported if x.get("type") == "cube")
    edges = [x for x in exported if x.get("type") == "edge"]
    assert len(edges) == 2 and all(parse_time(e["created_at"], "t") <= after for e in edges)
    if keep_ids:  # a restore by the store's own operator keeps its access counts...
        assert line["access"]["hits"] == 2**31 - 1
        assert parse_time(line["access"]["last_access"], "t") <= after
    else:  # ...an import over REST (a tenant's key) starts them afresh
        assert line["access"] == {"hits": 0, "last_access": None}


# -- a second review of the rewritten import ----------------------------------------------

def test_a_restore_in_parts_follows_a_renamed_id_into_later_parts(tmp_path: Path) -> None:
    """keep_ids=True and a part whose fact's id another user holds (so it is renamed): a
    later part's reply that drew on the fact names the renamed fact, never the other user's
    cube, and purging the fact reaches the reply."""
    secret = "PARTSREPLYSECRET"
    with MemOS.open(str(tmp_path / "a"), embedder="hashing") as mem:
        fact = mem.add("Alice's PIN is 4321", ALICE, kind="fact").id
        reply = mem.add(f"Assistant: your PIN is 4321 {secret}", ALICE, kind="episode",
                        metadata={"role": "assistant", "used": [fact]}).id
        lines = [json.loads(x) for x in io.StringIO(_export_text(mem, ALICE))]
    by_id = {x["cube"]["id"]: json.dumps(x) for x in lines if x.get("type") == "cube"}
    folder = tmp_path / "b"
    with MemOS.open(str(folder), embedder="hashing") as mem:
        mem.import_(_file([_line(_cube("Bob's note", user="bob", id=fact))]), "bob")
        first = mem.import_(_file([by_id[fact]]), ALICE)
        second = mem.import_(_file([by_id[reply]]), ALICE)
        renamed = first.renamed[fact]
        got = second.renamed.get(reply, reply)
        assert mem.get(got, ALICE).metadata["used"] == [renamed]
        mem.purge(renamed, ALICE)
        with pytest.raises(NotFoundError):
            mem.get(got, ALICE)
        assert mem.get(fact, "bob").content == "Bob's note"
    assert _scan(folder, secret.encode()) == []


def _export_text(mem: MemOS, scope: Any) -> str:
    buffer = io.StringIO()
    mem.export(scope, buffer)
    return buffer.getvalue()


def test_a_cube_already_there_with_other_content_is_reported_and_its_version_holds(
        open_mem: Any) -> None:
    """A line whose cube is already there is kept as stored; when the file's version or text
    differs, the report says so (`differing`), and a new line derived from it may name only
    versions the store has."""
    mem = open_mem("s")
    one = _cube("Meeting on Monday with Bo", id="note-1")
    assert mem.import_(_file([_line(one)]), ALICE, keep_ids=False).imported == 1
    other = _cube("Dentist appointment on Friday", id="note-1")
    again = mem.import_(_file([_line(other)]), ALICE, keep_ids=False)
    assert again.imported == 0 and again.skipped_existing == 1
    assert again.differing == ["note-1"]
    same = mem.import_(_file([_line(one)]), ALICE, keep_ids=False)
    assert same.differing == [] and same.skipped_existing == 1
    stored = mem.get(again.renamed["note-1"], ALICE)
    assert stored.content == "Meeting on Monday with Bo" and stored.version == 1
    v3 = _cube("Meeting moved to Tuesday", id="note-1", version=3)
    history = [_cube("Meeting on Monday with Bo", id="note-1", version=1),
               _cube("Meeting on Monday", id="note-1", version=2)]
    child = _cube("Agenda for the meeting", id="note-2",
                  derived_from=[{"cube_id": "note-1", "version": 3}])
    with pytest.raises(ImportFormatError, match="version 3 of cube 'note-1'"):
        mem.import_(_file([_line(v3, history), _line(child)]), ALICE, keep_ids=False)


def test_renamed_lists_only_cubes_that_were_imported(open_mem: Any) -> None:
    mem = open_mem("s")
    good = _cube("A good note", id="n1")
    bad = _cube("A note derived from nothing", id="n2",
                derived_from=[{"cube_id": "missing", "version": 1}])
    report = mem.import_(_file([_line(good), _line(bad)]), ALICE, on_error="skip",
                         keep_ids=False)
    assert set(report.renamed) == {"n1"} and [n for n, _ in report.errors] == [2]


def test_export_orders_edges_by_what_they_join(open_mem: Any) -> None:
    """The same edges export as the same lines whatever order a store inserted them in."""
    first = open_mem("one")
    a, b, c = (first.add(t, ALICE).id for t in ("alpha note", "beta note", "gamma note"))
    first.link(c, a, ALICE, relation="z")
    first.link(a, b, ALICE, relation="y")
    first.link(a, c, ALICE, relation="x")
    lines = _export(first, ALICE)
    second = open_mem("two")
    cubes = [x for x in lines[1:] if x["type"] == "cube"]
    edges = [x for x in lines[1:] if x["type"] == "edge"]
    second.import_(_text([lines[0], *cubes, *reversed(edges)]), ALICE)
    assert _export(second, ALICE) == lines
    assert edges == sorted(edges, key=lambda e: (e["src"], e["dst"], e["relation"]))


def test_a_line_that_is_no_json_says_so_and_the_advice_is_given_once(mem: MemOS) -> None:
    """A fresh-eyes user: a non-JSON line gave Python's words alone ("Expecting value: line 1
    column 1 (char 0)"), and a line whose own message advised --on-error skip was followed
    by the same advice again."""
    from memos.errors import ImportFormatError

    with pytest.raises(ImportFormatError) as raised:
        mem.import_(io.StringIO("not json\n"), "alice")
    said = str(raised.value)
    assert "not JSON" in said and "one JSON object" in said and "(char 0)" not in said
    mem.add("a note to export", "alice")
    mem.add("another note", "alice")
    lines = mem_export_lines(mem)
    del lines[1]  # one cube line lost: the end line's count says so, with its advice
    with pytest.raises(ImportFormatError) as raised:
        mem.import_(io.StringIO("".join(lines)), "alice")
    assert str(raised.value).count("import the good lines") == 1, str(raised.value)


def mem_export_lines(mem: MemOS) -> list[str]:
    out = io.StringIO()
    mem.export("alice", out)
    return out.getvalue().splitlines(keepends=True)
