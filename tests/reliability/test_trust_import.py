"""Import trusts nothing in its file; export writes only the caller's scope and never
destroys a store (issue 9, points 1 and 5, and point 4 for import/export).

Every rejected import is checked to leave the store exactly as it was (`snapshot`: counts
and the exports of every scope). Runs on SQLite, and on PostgreSQL when MEMOS_TEST_PG_URL is
set.
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
import os
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from rel_helpers import StoreSpec, export_lines, fresh_store, run_cli, snapshot

from memos.cube import new_id
from memos.errors import ConflictError, ImportFormatError, InvalidInputError, NotFoundError

A1 = {"user_id": "alice", "agent_id": "a1"}
A2 = {"user_id": "alice", "agent_id": "a2"}
SCOPES: list[Any] = ["alice", "bob", A1, A2]


def _seed(mem: Any) -> dict[str, str]:
    ids = {
        "tea": mem.add("Alice prefers green tea", "alice").id,
        "lisbon": mem.add("Alice lives in Lisbon", "alice", entities=["lisbon"]).id,
        "bob_private": mem.add("Bob's diary: the safe code is 4711", "bob").id,
        "bob_public": mem.add("Bob publishes a bakery guide",
                              {"user_id": "bob", "visibility": "public"}).id,
        "a1_private": mem.add("Agent a1 plans Alice's surprise party", A1).id,
        "a1_shared": mem.add("Agent a1 booked the venue",
                             {**A1, "visibility": "shared"}).id,
    }
    mem.update(ids["tea"], "alice", content="Alice prefers oolong tea")
    mem.link(ids["tea"], ids["lisbon"], "alice", relation="related")
    mem.link(ids["tea"], ids["bob_public"], "alice", relation="reads")
    mem.link(ids["tea"], ids["a1_private"], A1, relation="planned")
    return ids


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shared(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[tuple[Any, dict[str, str]]]:
    """One seeded store per backend; each test proves what it may and may not change."""
    with fresh_store(request.param, tmp_path_factory.mktemp("trust")) as spec:
        with spec.open() as mem:
            yield mem, _seed(mem)


@pytest.fixture
def seeded(store_spec: StoreSpec) -> Iterator[tuple[StoreSpec, Any, dict[str, str]]]:
    with store_spec.open() as mem:
        yield store_spec, mem, _seed(mem)


def _owned(mem: Any, scope: Any) -> str:
    """The cubes (all versions, access counts left out) and edges that belong to `scope`'s
    user and agent exactly, as exported: what an import by someone else must not change."""
    sc = scope if isinstance(scope, dict) else {"user_id": scope}
    owner = (sc["user_id"], sc.get("agent_id"))
    lines, mine = [], set()
    for line in export_lines(mem, scope):
        if line.get("type") == "cube":
            if (line["cube"]["scope"]["user_id"], line["cube"]["scope"]["agent_id"]) != owner:
                continue
            mine.add(line["cube"]["id"])
            line["cube"].pop("access")
            lines.append(line)
        elif line.get("type") == "edge" and line["src"] in mine:
            lines.append(line)
    return json.dumps(lines, sort_keys=True)


def _tea_line(mem: Any, ids: dict[str, str], cube_id: str) -> dict[str, Any]:
    """Alice's tea cube (two versions) as an export line, under another id."""
    line = next(x for x in export_lines(mem, "alice")
                if x.get("type") == "cube" and x["cube"]["id"] == ids["tea"])
    line = copy.deepcopy(line)
    for version in (line["cube"], *line["history"]):
        version["id"] = cube_id
    return line


def _write(path: Path, lines: list[Any]) -> Path:
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines),
                    encoding="utf-8")
    return path


def _edge(src: str, dst: str, **fields: Any) -> dict[str, Any]:
    return {"type": "edge", "src": src, "dst": dst, "relation": "related", "weight": 1.0,
            **fields}


def _refused(mem: Any, path: Path, scope: Any, line: int) -> ImportFormatError:
    """The import aborts naming `line`, and the store is unchanged."""
    before = snapshot(mem, SCOPES)
    with pytest.raises(ImportFormatError) as info:
        mem.import_(path, scope, on_error="abort")
    assert line in [n for n, _ in info.value.errors], info.value.errors
    assert "Error" not in str(info.value).split(":")[0]  # a memos message, not a driver's
    assert snapshot(mem, SCOPES) == before
    return info.value


# -- cube lines ---------------------------------------------------------------------

BAD_IDS = {
    "empty": "",
    "entity prefix": "entity:bob",
    "entity prefix, other case": "Entity:bob",
    "5,000 characters": "x" * 5000,
    "65 characters": "y" * 65,
    "NUL": "ab\x00cd",
    "newline": "ab\ncd",
    "bidi override": "\u202eevil",
    "space": "a b",
    "zero-width": "\u200b",
    "not a string": 12345,
}


@pytest.mark.parametrize("case", sorted(BAD_IDS))
def test_bad_cube_ids_are_line_errors(shared: tuple[Any, dict[str, str]], tmp_path: Path,
                                      case: str) -> None:
    mem, ids = shared
    line = _tea_line(mem, ids, "placeholder")
    for version in (line["cube"], *line["history"]):
        version["id"] = BAD_IDS[case]
    path = _write(tmp_path / "f.jsonl", [_tea_line(mem, ids, new_id()), line])
    _refused(mem, path, "alice", 2)
    good = new_id()
    path = _write(tmp_path / "g.jsonl", [_tea_line(mem, ids, good), line])
    report = mem.import_(path, "alice", on_error="skip")  # the good line lands
    assert (report.imported, [n for n, _ in report.errors]) == (1, [2])
    assert mem.get(good, "alice").content == "Alice prefers oolong tea"


def _bob_history(line: dict[str, Any]) -> None:
    line["history"][0]["scope"]["user_id"] = "bob"


def _bob_cube(line: dict[str, Any]) -> None:
    line["cube"]["scope"]["user_id"] = "bob"
    line["history"][0]["scope"]["user_id"] = "bob"


def _a1_cube(line: dict[str, Any]) -> None:
    for version in (line["cube"], *line["history"]):
        version["scope"]["agent_id"] = "a1"


def _hits(line: dict[str, Any]) -> None:
    line["cube"]["access"]["hits"] = 2**40


def _history_of_other_cube(line: dict[str, Any]) -> None:
    line["history"][0]["id"] = new_id()


def _hash(line: dict[str, Any]) -> None:
    line["history"][0]["content"] = "Bob's diary: the safe code is 4711"


def _nul_tag(line: dict[str, Any]) -> None:
    line["cube"]["tags"] = ["tea\x00"]


def _history_gap(line: dict[str, Any]) -> None:
    line["history"] = []


BAD_CUBES: dict[str, Callable[[dict[str, Any]], None]] = {
    "history version owned by another user": _bob_history,
    "cube owned by another user": _bob_cube,
    "cube of another agent": _a1_cube,
    "access hits past 32 bits": _hits,
    "history of another cube": _history_of_other_cube,
    "history content does not match its hash": _hash,
    "NUL in a tag": _nul_tag,
    "history missing": _history_gap,
    "validity ending before it starts": lambda line: line["cube"].update(
        valid_from="2026-06-02T00:00:00+00:00", valid_to="2026-06-01T00:00:00+00:00"),
}


@pytest.mark.parametrize("case", sorted(BAD_CUBES))
def test_bad_cube_lines_are_line_errors(shared: tuple[Any, dict[str, str]], tmp_path: Path,
                                        case: str) -> None:
    mem, ids = shared
    line = _tea_line(mem, ids, new_id())
    BAD_CUBES[case](line)
    path = _write(tmp_path / "f.jsonl", [_tea_line(mem, ids, new_id()), line])
    _refused(mem, path, A2, 2)


def test_nan_and_infinity_are_line_errors(shared: tuple[Any, dict[str, str]],
                                          tmp_path: Path) -> None:
    mem, ids = shared
    line = json.dumps(_tea_line(mem, ids, new_id()))
    nan = line.replace('"importance": 0.5', '"importance": NaN')
    inf = line.replace('"importance": 0.5', '"importance": 1e999')
    assert nan != line and inf != line
    path = _write(tmp_path / "f.jsonl", [_tea_line(mem, ids, new_id()), nan, inf])
    error = _refused(mem, path, "alice", 2)
    assert [n for n, _ in error.errors] == [2, 3]


def test_derived_from_another_users_cube_reads_as_a_missing_one(
        shared: tuple[Any, dict[str, str]], tmp_path: Path) -> None:
    mem, ids = shared
    messages = []
    for target in (ids["bob_private"], ids["a1_private"], "0" * 32):
        line = _tea_line(mem, ids, new_id())
        line["cube"]["derived_from"] = [{"cube_id": target, "version": 1}]
        path = _write(tmp_path / "f.jsonl", [line])
        error = _refused(mem, path, "alice", 1)
        messages.append(error.errors[0][1].replace(target, "ID"))
    assert messages[0] == messages[1] == messages[2]


def test_derived_from_in_an_earlier_version_obeys_the_same_rule(
        shared: tuple[Any, dict[str, str]], tmp_path: Path) -> None:
    """Before: only the line's current version was checked, so a history version could name
    another scope's cube; rolling back to it then gave the caller a live cube derived from a
    cube it may not change, which add and the line's own cube refuse."""
    mem, ids = shared
    messages = []
    for target in (ids["bob_private"], ids["a1_private"], "0" * 32):
        line = _tea_line(mem, ids, new_id())
        line["history"][0]["derived_from"] = [{"cube_id": target, "version": 1}]
        path = _write(tmp_path / "f.jsonl", [line])
        error = _refused(mem, path, "alice", 1)
        messages.append(error.errors[0][1].replace(target, "ID"))
    assert messages[0] == messages[1] == messages[2]
    # An earlier version derived from a cube of the same file is fine.
    source, line = _tea_line(mem, ids, new_id()), _tea_line(mem, ids, new_id())
    line["history"][0]["derived_from"] = [{"cube_id": source["cube"]["id"], "version": 1}]
    report = mem.import_(_write(tmp_path / "g.jsonl", [source, line]), "alice")
    assert (report.imported, report.errors) == (2, [])


# -- ids of other scopes: no existence oracle, nothing of theirs touched -------------

@pytest.mark.parametrize("holder", ["bob_private", "bob_public", "a1_private", "a1_shared"])
def test_id_of_a_cube_that_is_not_the_callers_gets_a_new_id(
        shared: tuple[Any, dict[str, str]], tmp_path: Path, holder: str) -> None:
    mem, ids = shared
    taken, free = ids[holder], new_id()
    others = ["bob", A1]
    before = [_owned(mem, s) for s in others]
    before_links = [[(n.cube.id, n.relation) for n in mem.neighbors(ids[h], s)]
                    for s, h in (("bob", "bob_private"), (A1, "a1_private"))]
    reports = []
    for cube_id in (free, taken):
        side = new_id()
        path = _write(tmp_path / "f.jsonl", [
            _tea_line(mem, ids, cube_id), _tea_line(mem, ids, side),
            _edge(side, cube_id, relation="about"), _edge(cube_id, "entity:Ghent")])
        reports.append(mem.import_(path, "alice"))
    unknown, foreign = reports
    # Reported exactly as an unknown id is: imported, not "already present".
    assert (foreign.imported, foreign.edges, foreign.skipped_existing, foreign.errors) == \
        (unknown.imported, unknown.edges, unknown.skipped_existing, unknown.errors) == \
        (2, 2, 0, [])
    assert unknown.renamed == {} and list(foreign.renamed) == [taken]
    moved = foreign.renamed[taken]
    assert mem.get(moved, "alice").content == "Alice prefers oolong tea"
    assert [v.version for v in mem.history(moved, "alice")] == [1, 2]
    # The other scope's cube, its versions and its edges are untouched.
    assert [_owned(mem, s) for s in others] == before
    after_links = [[(n.cube.id, n.relation) for n in mem.neighbors(ids[h], s)]
                   for s, h in (("bob", "bob_private"), (A1, "a1_private"))]
    assert after_links == before_links
    if holder.startswith("bob"):
        assert mem.get(taken, "bob").scope.user_id == "bob"


def test_a_chosen_id_tells_nobody_whether_it_is_taken(tmp_path: Path) -> None:
    """Before: an import kept a chosen id ("bob-diary-2026") when free and renamed it when
    another user held it, so `renamed` told Alice which ids Bob had chosen. An id not of
    memos's own form is now never kept: both come back renamed alike."""
    from memos import MemOS

    with MemOS.open(str(tmp_path / "s"), embedder="hashing") as mem:
        def one(cid: str, user: str, text: str) -> Any:
            header = json.dumps({"format": "memos-export/1", "user_id": user})
            cube = mem.add("a template", user).cube.model_dump(mode="json")
            line = json.dumps({"type": "cube", "cube": {**cube, "id": cid, "content": text,
                                                        "content_hash": ""}})
            return mem.import_(io.StringIO(f"{header}\n{line}\n"), user)

        bobs = one("bob-diary-2026", "bob", "Bob's diary")
        assert bobs.imported == 1 and list(bobs.renamed) == ["bob-diary-2026"]
        taken, free = (one(cid, "alice", "Alice's notes")
                       for cid in ("bob-diary-2026", "bob-diary-2027"))
        assert list(taken.renamed) == ["bob-diary-2026"] and list(free.renamed) == [
            "bob-diary-2027"]
        assert (taken.imported, taken.skipped_existing) == (free.imported,
                                                            free.skipped_existing) == (1, 0)
        kept = new_id()  # memos's own form: kept when free (exports round-trip)
        assert one(kept, "alice", "Alice's kept").renamed == {}
        assert mem.get(kept, "alice").content == "Alice's kept"


def test_own_cube_id_is_already_present(shared: tuple[Any, dict[str, str]],
                                        tmp_path: Path) -> None:
    mem, ids = shared
    path = _write(tmp_path / "f.jsonl", [_tea_line(mem, ids, ids["tea"])])
    before = snapshot(mem, SCOPES)
    report = mem.import_(path, A2)  # a2 may change alice's agent-less cube: it is its own
    assert (report.imported, report.skipped_existing, report.renamed) == (0, 1, {})
    assert snapshot(mem, SCOPES) == before


def test_import_of_another_users_export_rewritten_touches_nothing_of_theirs(
        seeded: tuple[StoreSpec, Any, dict[str, str]], tmp_path: Path) -> None:
    _, mem, ids = seeded
    mem.link(ids["bob_private"], "entity:safe", "bob")
    bob = export_lines(mem, "bob")
    bob_before = _owned(mem, "bob")
    rewritten = copy.deepcopy(bob)
    for line in rewritten:
        for version in ([line["cube"], *line["history"]] if line.get("type") == "cube" else []):
            version["scope"]["user_id"] = "alice"
    path = _write(tmp_path / "same_ids.jsonl", rewritten)
    report = mem.import_(path, "alice")
    bob_ids = {x["cube"]["id"] for x in bob if x.get("type") == "cube"}
    assert set(report.renamed) == bob_ids and report.skipped_existing == 0
    assert _owned(mem, "bob") == bob_before
    for cube_id in bob_ids:
        assert mem.get(cube_id, "bob").scope.user_id == "bob"
        assert not [n for n in mem.neighbors(cube_id, "bob") if n.cube.scope.user_id == "alice"]

    # Fresh ids for the cubes, edges aimed at Bob's ids: they reach the cubes alice's
    # import made of those ids (a restore in parts), never Bob's.
    fresh = [_tea_line(mem, ids, new_id())]
    fresh += [_edge(fresh[0]["cube"]["id"], cube_id) for cube_id in sorted(bob_ids)]
    path = _write(tmp_path / "aimed.jsonl", fresh)
    linked = mem.import_(path, "alice")
    assert linked.imported == 1 and linked.edges == len(bob_ids)
    assert {n.cube.id for n in mem.neighbors(fresh[0]["cube"]["id"], "alice")} == {
        report.renamed[c] for c in bob_ids}
    assert _owned(mem, "bob") == bob_before
    # An id of Bob's that alice's imports never held: refused.
    later = mem.add("Bob's note written after the import", "bob").id
    bob_before = _owned(mem, "bob")
    aimed = [_tea_line(mem, ids, new_id())]
    aimed += [_edge(aimed[0]["cube"]["id"], later)]
    path = _write(tmp_path / "aimed2.jsonl", aimed)
    _refused(mem, path, "alice", 2)
    skipped = mem.import_(path, "alice", on_error="skip")
    assert skipped.imported == 1 and skipped.edges == 0
    assert _owned(mem, "bob") == bob_before


# -- edge lines -----------------------------------------------------------------------

BAD_EDGES: dict[str, Callable[[str, dict[str, str]], Any]] = {
    "relation of 100,000 characters": lambda s, ids: _edge(s, "entity:x", relation="r" * 100_000),
    "relation of 65 characters": lambda s, ids: _edge(s, "entity:x", relation="r" * 65),
    "empty relation": lambda s, ids: _edge(s, "entity:x", relation=""),
    "relation with NUL": lambda s, ids: _edge(s, "entity:x", relation="r\x00"),
    "relation not a string": lambda s, ids: _edge(s, "entity:x", relation=7),
    "NaN weight": lambda s, ids: json.dumps(_edge(s, "entity:x")).replace("1.0", "NaN"),
    "infinite weight": lambda s, ids: json.dumps(_edge(s, "entity:x")).replace("1.0", "1e999"),
    "text weight": lambda s, ids: _edge(s, "entity:x", weight="heavy"),
    "boolean weight": lambda s, ids: _edge(s, "entity:x", weight=True),
    "zero weight": lambda s, ids: _edge(s, "entity:x", weight=0),
    "negative weight": lambda s, ids: _edge(s, "entity:x", weight=-1.0),
    "from a cube to itself": lambda s, ids: _edge(s, s),
    "to another user's private cube": lambda s, ids: _edge(s, ids["bob_private"]),
    "to another user's public cube": lambda s, ids: _edge(s, ids["bob_public"]),
    "to another agent's private cube": lambda s, ids: _edge(s, ids["a1_private"]),
    "from another user's cube": lambda s, ids: _edge(ids["bob_private"], s),
    "to an unknown cube": lambda s, ids: _edge(s, "0" * 32),
    "empty entity": lambda s, ids: _edge(s, "entity:  "),
    "entity of 1,000 characters": lambda s, ids: _edge(s, "entity:" + "e" * 1000),
    "entity with NUL": lambda s, ids: _edge(s, "entity:a\x00b"),
    "bad created_at": lambda s, ids: _edge(s, "entity:x", created_at="yesterday"),
    "src is an entity": lambda s, ids: _edge("entity:x", s),
    "no relation": lambda s, ids: {"type": "edge", "src": s, "dst": "entity:x"},
}


@pytest.mark.parametrize("case", sorted(BAD_EDGES))
def test_bad_edge_lines_are_line_errors(shared: tuple[Any, dict[str, str]], tmp_path: Path,
                                        case: str) -> None:
    mem, ids = shared
    # Bob's cubes made here, so that no earlier test's import gave alice a cube of their
    # ids (a file id names the caller's cube an import made of it: a restore in parts)
    ids = {**ids, "bob_private": mem.add(f"Bob's private note for {case}", "bob").id,
           "bob_public": mem.add(f"Bob's public note for {case}",
                                 {"user_id": "bob", "visibility": "public"}).id,
           "a1_private": mem.add(f"a1's private note for {case}", A1).id}
    src = new_id()
    lines = [_tea_line(mem, ids, src), BAD_EDGES[case](src, ids)]
    path = _write(tmp_path / "f.jsonl", lines)
    _refused(mem, path, A2, 2)
    links_before = {h: [n.cube.id for n in mem.neighbors(ids[h], s)]
                    for h, s in (("bob_private", "bob"), ("bob_public", "bob"),
                                 ("a1_private", A1))}
    report = mem.import_(path, A2, on_error="skip")
    assert (report.imported, report.edges, [n for n, _ in report.errors]) == (1, 0, [2])
    assert mem.neighbors(src, A2) == []
    assert {h: [n.cube.id for n in mem.neighbors(ids[h], s)]
            for h, s in (("bob_private", "bob"), ("bob_public", "bob"),
                         ("a1_private", A1))} == links_before


# -- export writes the caller's scope only --------------------------------------------

def test_export_holds_only_what_the_caller_may_read_of_its_own_user(
        shared: tuple[Any, dict[str, str]]) -> None:
    mem, ids = shared
    for scope, want, never in (
            (A2, {"tea", "lisbon", "a1_shared"}, {"a1_private", "bob_private", "bob_public"}),
            ("alice", {"tea", "lisbon", "a1_shared"}, {"a1_private", "bob_private",
                                                       "bob_public"}),
            (A1, {"tea", "lisbon", "a1_shared", "a1_private"}, {"bob_private", "bob_public"})):
        buffer = io.StringIO()
        mem.export(scope, buffer)
        text = buffer.getvalue()
        exported = {x["cube"]["id"] for x in map(json.loads, text.splitlines())
                    if x.get("type") == "cube"}
        assert {ids[k] for k in want} <= exported
        for key in never:  # neither the cube nor an edge to it names it
            assert ids[key] not in text
        for content in ("safe code", "bakery") + (("surprise party",) if scope != A1 else ()):
            assert content not in text
        for edge in (x for x in map(json.loads, text.splitlines()) if x.get("type") == "edge"):
            assert edge["src"] in exported
            assert edge["dst"].startswith("entity:") or edge["dst"] in exported


# -- export never destroys a store ----------------------------------------------------

def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _store_files(spec: StoreSpec) -> list[Path]:
    folder = Path(spec.location if spec.backend == "sqlite" else str(spec.index_dir))
    return sorted(p for p in folder.iterdir() if p.is_file())


def test_export_refuses_every_file_of_a_store_even_with_overwrite(
        seeded: tuple[StoreSpec, Any, dict[str, str]], tmp_path: Path) -> None:
    spec, mem, _ = seeded
    mem.flush()  # the FAISS files exist
    files = _store_files(spec)
    assert files
    if spec.backend == "sqlite":
        names = {p.name for p in files}
        assert {"memos.db", "vectors.faiss"} <= names
    before = {p: _digest(p) for p in files}
    counts = snapshot(mem, SCOPES)
    folder = files[0].parent
    targets = [*files, folder / "memos.db-wal", folder / "memos.db-shm", folder / "new.jsonl",
               folder / "sub" / "x.jsonl"]
    for target in targets:
        for overwrite in (False, True):
            with pytest.raises(InvalidInputError, match="store|folder"):
                mem.export("alice", target, overwrite=overwrite)
    link = tmp_path / "innocent.jsonl"
    link.symlink_to(files[0])
    with pytest.raises(InvalidInputError, match="store"):
        mem.export("alice", link, overwrite=True)
    assert {p: _digest(p) for p in files} == before
    assert not (folder / "new.jsonl").exists()
    assert snapshot(mem, SCOPES) == counts


def test_export_refuses_other_stores_and_sqlite_files(
        seeded: tuple[StoreSpec, Any, dict[str, str]], tmp_path: Path) -> None:
    _, mem, _ = seeded
    db = tmp_path / "notes.data"  # a SQLite database under any name
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE t (x)")
    digest = _digest(db)
    with pytest.raises(InvalidInputError, match="SQLite"):
        mem.export("alice", db, overwrite=True)
    assert _digest(db) == digest
    from memos.facade import MemOS

    with MemOS.open(tmp_path / "other-store") as other:
        other.add("Carol likes chess", "carol")
    with pytest.raises(InvalidInputError, match="store"):
        mem.export("alice", tmp_path / "other-store" / "alice.jsonl", overwrite=True)
    with pytest.raises(InvalidInputError, match="folder"):
        mem.export("alice", tmp_path, overwrite=True)
    with pytest.raises(InvalidInputError, match="does not exist"):
        mem.export("alice", tmp_path / "missing" / "a.jsonl")


def test_export_replaces_a_file_only_when_asked_and_atomically(
        seeded: tuple[StoreSpec, Any, dict[str, str]], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    _, mem, _ = seeded
    dest = tmp_path / "alice.jsonl"
    dest.write_text("keep me\n")
    with pytest.raises(ConflictError, match="force"):
        mem.export("alice", dest)
    assert dest.read_text() == "keep me\n"

    def broken(*args: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(InvalidInputError, match="nothing was written"):
        mem.export("alice", dest, overwrite=True)
    monkeypatch.undo()
    assert dest.read_text() == "keep me\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    report = mem.export("alice", dest, overwrite=True)
    assert report.cubes == len([x for x in export_lines(mem, "alice") if x.get("type") == "cube"])
    assert json.loads(dest.read_text().splitlines()[0])["format"] == "memos-export/1"
    fresh = tmp_path / "new.jsonl"
    assert mem.export("alice", fresh).cubes == report.cubes  # a new file needs no flag
    assert mem.export("alice", os.devnull).cubes == report.cubes  # a device: nothing replaced


def test_cli_export_over_the_store_database_is_refused(
        store_spec: StoreSpec, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = store_spec.cli_args()
    assert run_cli(capsys, "add", "Alice keeps bees", "-u", "alice", *store)[0] == 0
    with store_spec.open() as mem:
        mem.flush()
    files = _store_files(store_spec)
    before = {p: _digest(p) for p in files}
    for target in files:
        for force in ([], ["--force"]):
            code, out, err = run_cli(capsys, "export", str(target), "-u", "alice", *force, *store)
            assert code == 2, (target, out, err)
            assert err.startswith("error:") and "Traceback" not in err
            assert "store" in err
    assert {p: _digest(p) for p in files} == before
    code, out, err = run_cli(capsys, "stats", "--json", *store)
    assert code == 0 and json.loads(out)["live"] == 1, err

    dump = tmp_path / "alice.jsonl"
    assert run_cli(capsys, "export", str(dump), "-u", "alice", *store)[0] == 0
    dump.write_text("older export\n")
    code, _, err = run_cli(capsys, "export", str(dump), "-u", "alice", *store)
    assert code == 1 and "--force" in err and "Traceback" not in err
    assert dump.read_text() == "older export\n"
    assert run_cli(capsys, "export", str(dump), "-u", "alice", "--force", *store)[0] == 0
    assert "Alice keeps bees" in dump.read_text()


def test_cli_import_reports_refused_lines_and_new_ids(
        store_spec: StoreSpec, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = store_spec.cli_args()
    code, out, _ = run_cli(capsys, "add", "Bob's diary entry", "-u", "bob", "--json", *store)
    bob_id = json.loads(out)["id"]
    run_cli(capsys, "add", "Alice keeps bees", "-u", "alice", *store)
    lines = run_cli(capsys, "export", "-u", "alice", *store)[1].splitlines()
    cube = json.loads(lines[1])
    cube["cube"]["id"] = bob_id
    path = _write(tmp_path / "f.jsonl", [lines[0], cube, _edge(bob_id, "entity:x",
                                                              relation="r" * 1000)])
    code, _, err = run_cli(capsys, "import", str(path), "-u", "alice", *store)
    assert code == 2 and "line 3" in err and "Traceback" not in err
    code, out, err = run_cli(capsys, "import", str(path), "-u", "alice", "--on-error", "skip",
                          *store)
    assert code == 0 and "already present" in out and "0 already present" in out
    assert "new id" in out and "line 3" in err
    with store_spec.open() as mem:
        assert mem.get(bob_id, "bob").content == "Bob's diary entry"
        with pytest.raises(NotFoundError):
            mem.get(bob_id, "alice")
