"""Trust properties (issue 9, DESIGN.md invariants 2 and 6): random mixes of writes, bulk
paths, imports and erasures across 3 users x agents x visibilities, with a second `MemOS`
open on the same store, never leak a cube across scopes, never keep a purged byte on disk,
and never change the store in a call that is refused.

A plain model tracks every cube: owner (user, agent, visibility), its versions as (content,
state), and the marker tokens written into it (content, tags, metadata, entity names). Each
string written carries a marker of its own, so a byte scan can tell exactly which data must
be gone. After each step:
- reads (get, get(version), history, diff, neighbors, search, export, stats) return only
  what the caller's scope may read; another scope's unreadable cube raises exactly what a
  missing id raises (`memos.parts.not_found`); only the owner's user sees old versions;
- after a purge, no file under the store folder (SQLite: memos.db, -wal, -shm; FAISS files)
  and, on PostgreSQL, no table row holds any purged marker; the FAISS files on disk never
  hold a purged cube nor move their changelog seq backwards;
- every refused call leaves stats and every scope's export unchanged.

Scope rules mirrored here (stores/repository.py): a cube is readable by everyone when
public, else by its user when shared or agentless, else only by its user's same agent; it is
writable by its user when agentless, else by that user's same agent. A bulk path applies the
single-cube rule: an agent-scoped purge of a user, a scoped gc and an import touch only what
that caller may write (an agentless caller is the user: `purge(all_of_user=True)` erases the
whole user).
"""

from __future__ import annotations

import itertools
import json
import math
import os
import random
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)
from rel_helpers import fresh_store
from trust_helpers import (
    export_objs,
    faiss_on_disk,
    fingerprint,
    make_marker,
    markers_in,
    scan_files,
    scan_tables,
    worker_marker,
)

from memos.config import MemosConfig
from memos.cube import Scope, utcnow
from memos.errors import InvalidInputError, MemosError, NotFoundError, ScopeError
from memos.parts import not_found

N_USERS = 3
AGENTS: list[str | None] = [None, "a1", "a2"]
VISIBILITIES = ["private", "shared", "public"]
LIVE_STATES = ("active", "superseded")  # what get() and export return
HERE = Path(__file__).parent
# Shrinking a failing run replays it many times (minutes on PostgreSQL): on request only.
PHASES = [Phase.explicit, Phase.generate] + (
    [Phase.shrink] if os.environ.get("MEMOS_TRUST_SHRINK") else [])
_examples = itertools.count()
RAN: Counter[str] = Counter()  # rule -> times it did its work (the run must reach each)


@dataclass
class Tracked:
    id: str
    user: str
    agent: str | None
    visibility: str
    pk: int
    versions: list[tuple[str, str]]  # (content, state) per version
    markers: set[str] = field(default_factory=set)
    ttl: bool = False

    @property
    def state(self) -> str:
        return self.versions[-1][1]

    @property
    def content(self) -> str:
        return self.versions[-1][0]

    @property
    def scope(self) -> Scope:
        return Scope(user_id=self.user, agent_id=self.agent, visibility=self.visibility)


@dataclass
class TrackedEdge:
    src: str
    dst: str | None  # cube id, or None for an entity edge
    user: str
    markers: set[str] = field(default_factory=set)


def can_read(t: Tracked, caller: Scope) -> bool:
    if t.visibility == "public":
        return True
    if t.user != caller.user_id:
        return False
    return t.visibility != "private" or t.agent in (None, caller.agent_id)


def can_write(t: Tracked, caller: Scope) -> bool:
    return t.user == caller.user_id and t.agent in (None, caller.agent_id)


def rewrite_export(lines: list[dict[str, Any]], user: str, agent: str | None
                   ) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Another user's export made into `user`'s: new ids (history and edges follow), the
    importer's user and agent. Returns the lines and old id -> new id."""
    ids = {line["cube"]["id"]: uuid.uuid4().hex for line in lines if line.get("type") == "cube"}
    out: list[dict[str, Any]] = []
    for line in lines:
        line = json.loads(json.dumps(line))
        if "format" in line:
            line["user_id"] = user
        elif line.get("type") == "cube":
            for cube in (line["cube"], *line["history"]):
                cube["id"] = ids[cube["id"]]
                cube["scope"]["user_id"] = user
                cube["scope"]["agent_id"] = agent
        elif line.get("type") == "edge":
            line["src"] = ids[line["src"]]
            line["dst"] = ids.get(line["dst"], line["dst"])
        out.append(line)
    return out, ids


def as_file(lines: Iterable[dict[str, Any]]) -> Any:
    import io

    return io.StringIO("".join(json.dumps(line) + "\n" for line in lines))


def make_machine(mem: Any, mem2: Any, spec: Any, tmp_path: Path) -> type[RuleBasedStateMachine]:
    class TrustMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            n = next(_examples)
            self.rng = random.Random(n)
            self.prefix = f"ex{n}{uuid.uuid4().hex[:6]}"
            self.users = [f"{self.prefix}u{i}" for i in range(N_USERS)]
            self.callers = [Scope(user_id=u, agent_id=a) for u in self.users for a in AGENTS]
            self.cubes: dict[str, Tracked] = {}
            self.edges: list[TrackedEdge] = []
            self.purged: dict[str, int] = {}  # id -> pk
            self.purged_markers: set[str] = set()
            self.all_markers: set[str] = set()
            self.faiss_seq = -1

        # -- helpers ----------------------------------------------------------------

        def marker(self) -> str:
            m = make_marker(self.rng)
            self.all_markers.add(m)
            return m

        def pk_of(self, cube_id: str) -> int:
            with mem._store.repo.read() as session:
                return mem._store.repo.row_by_id(session, cube_id).pk

        def pick(self, data: st.DataObject, where: Callable[[Tracked], bool]) -> Tracked | None:
            options = [t for t in self.cubes.values() if where(t)]
            return data.draw(st.sampled_from(options)) if options else None

        def no_marker_in(self, text: str, allowed: Iterable[str] = ()) -> None:
            leaked = markers_in(text, self.all_markers - set(allowed))
            assert not leaked, f"markers {sorted(leaked)} revealed in {text[:300]!r}"

        def rejected(self, call: Callable[[], Any], kinds: tuple[type[BaseException], ...],
                     message: str | None = None) -> BaseException:
            """`call` must raise one of `kinds` (all memos errors) and change nothing."""
            before = fingerprint(mem, self.callers)
            with pytest.raises(kinds) as err:
                call()
            assert isinstance(err.value, MemosError), repr(err.value)
            assert fingerprint(mem, self.callers) == before, f"refused call changed the store: {err.value}"
            if message is not None:
                assert str(err.value) == message
            self.no_marker_in(str(err.value))
            return err.value

        def new_cube(self, result: Any, user: str, agent: str | None, vis: str, text: str,
                     markers: set[str], ttl: bool) -> Tracked:
            assert result.action == "added" and result.version == 1, result
            assert result.id not in self.cubes
            t = Tracked(result.id, user, agent, vis, self.pk_of(result.id),
                        [(text, "active")], set(markers), ttl)
            self.cubes[t.id] = t
            return t

        def add_fields(self, with_entity: bool) -> tuple[dict[str, Any], set[str]]:
            tag, meta = self.marker(), self.marker()
            fields: dict[str, Any] = {"tags": [f"t{tag}"], "metadata": {"note": f"m{meta}"}}
            markers = {tag, meta}
            if with_entity:
                ent = self.marker()
                fields["entities"] = [f"e{ent}"]
                markers.add(ent)
            return fields, markers

        def text(self) -> tuple[str, str]:
            m = self.marker()
            return f"{self.prefix} note {m} about {self.rng.choice(['tea', 'rain', 'jazz'])}", m

        def erase(self, ids: Iterable[str]) -> None:
            """Model of a purge: the cubes, their edges and every marker no one else holds."""
            ids = set(ids)
            dropped: set[str] = set()
            for cid in ids:
                t = self.cubes.pop(cid)
                self.purged[cid] = t.pk
                dropped |= t.markers
            gone = [e for e in self.edges if e.src in ids or e.dst in ids]
            self.edges = [e for e in self.edges if not (e.src in ids or e.dst in ids)]
            for e in gone:
                dropped |= e.markers
            kept = set().union(*(t.markers for t in self.cubes.values()),
                               *(e.markers for e in self.edges))
            self.purged_markers = (self.purged_markers | dropped) - kept

        def check_erased(self) -> None:
            """No purged marker in any store file (or PostgreSQL row), while both instances
            (and whoever else) still hold the store open."""
            folder = spec.location if spec.backend == "sqlite" else spec.index_dir
            found = scan_files(folder, self.purged_markers) if Path(folder).exists() else {}
            assert not found, f"purged markers still on disk: {found}"
            if spec.backend == "postgresql":
                rows = scan_tables(mem._store.repo.engine, self.purged_markers)
                assert not rows, f"purged markers still in tables: {rows}"

        def check_caller(self, via: Any, caller: Scope) -> None:
            """Every read path for `caller` against the model."""
            missing = uuid.uuid4().hex
            for cid in [missing, *self.purged]:
                with pytest.raises(NotFoundError) as err:
                    via.get(cid, caller)
                assert str(err.value) == str(not_found(cid))
                with pytest.raises(NotFoundError) as err:
                    via.history(cid, caller)
                assert str(err.value) == str(not_found(cid))
            for t in self.cubes.values():
                self.check_cube(via, caller, t)
            self.check_export(via, caller)

        def check_cube(self, via: Any, caller: Scope, t: Tracked) -> None:
            if not can_read(t, caller):
                for read in (lambda: via.get(t.id, caller), lambda: via.get(t.id, caller, version=1),
                             lambda: via.history(t.id, caller), lambda: via.diff(t.id, caller),
                             lambda: via.neighbors(t.id, caller)):
                    with pytest.raises(NotFoundError) as err:
                        read()
                    assert str(err.value) == str(not_found(t.id)), "foreign cube told from a missing one"
                return
            same_user = t.user == caller.user_id
            live = t.state in LIVE_STATES
            if live:
                assert via.get(t.id, caller).content == t.content
            else:
                with pytest.raises(NotFoundError) as err:
                    via.get(t.id, caller)
                self.no_marker_in(str(err.value))
                if not same_user:  # another user's forgotten cube reads as missing
                    assert str(err.value) == str(not_found(t.id))
            if can_write(t, caller):
                history = via.history(t.id, caller)
                assert [(c.content, c.state.value) for c in history] == t.versions
            else:  # not the owner: only the current text of a live cube, never older versions
                current = {t.content} if live else set()
                try:
                    history = via.history(t.id, caller)
                except (NotFoundError, ScopeError) as exc:
                    self.no_marker_in(str(exc))
                else:
                    assert {c.content for c in history} <= current, "old versions shown to another user"
                for v in range(1, len(t.versions) + 1):
                    try:
                        cube = via.get(t.id, caller, version=v)
                    except (NotFoundError, ScopeError) as exc:
                        self.no_marker_in(str(exc))
                    else:
                        assert cube.content in current, f"version {v} shown to another user"
                try:
                    diff = via.diff(t.id, caller, 1) if len(t.versions) > 1 else None
                except (NotFoundError, ScopeError) as exc:
                    self.no_marker_in(str(exc))
                else:
                    if diff is not None:
                        old = set().union(*(markers_in(c, t.markers) for c, _ in t.versions))
                        shown = markers_in(diff.model_dump_json(), old - markers_in(t.content, old))
                        assert not (shown if live else markers_in(diff.model_dump_json(), t.markers)), \
                            f"diff shows another user old versions: {sorted(shown)}"
            if live:
                for n in via.neighbors(t.id, caller):
                    other = self.cubes.get(n.cube.id)
                    assert other is not None and can_read(other, caller), "neighbor out of scope"
                    assert other.state in LIVE_STATES and n.cube.content == other.content

        def check_export(self, via: Any, caller: Scope) -> None:
            lines = export_objs(via, caller)
            cubes = {line["cube"]["id"]: line for line in lines if line.get("type") == "cube"}
            want = {t.id for t in self.cubes.values()
                    if t.user == caller.user_id and can_read(t, caller) and t.state in LIVE_STATES}
            got = set(cubes)
            assert got == want, \
                f"export of {caller}: extra {sorted(got - want)}, missing {sorted(want - got)}"
            for cid in want:
                assert cubes[cid]["cube"]["content"] == self.cubes[cid].content
            for line in lines:
                if line.get("type") == "edge":
                    assert line["src"] in cubes
                    assert line["dst"].startswith("entity:") or line["dst"] in cubes

        # -- writes -----------------------------------------------------------------

        @rule(user=st.integers(0, N_USERS - 1), agent=st.sampled_from(AGENTS),
              vis=st.sampled_from(VISIBILITIES), ttl=st.booleans(), entity=st.booleans())
        def add(self, user: int, agent: str | None, vis: str, ttl: bool, entity: bool) -> None:
            text, m = self.text()
            fields, markers = self.add_fields(entity)
            if ttl:
                fields["ttl"] = 3600
            scope = Scope(user_id=self.users[user], agent_id=agent, visibility=vis)
            result = mem.add(text, scope, **fields)
            RAN['add'] += 1
            t = self.new_cube(result, self.users[user], agent, vis, text, markers | {m}, ttl)
            for name in fields.get("entities", []):
                self.edges.append(TrackedEdge(t.id, None, t.user, markers_in(name, markers)))

        @rule(user=st.integers(0, N_USERS - 1), agent=st.sampled_from(AGENTS),
              vis=st.sampled_from(VISIBILITIES), n=st.integers(1, 3))
        def add_many(self, user: int, agent: str | None, vis: str, n: int) -> None:
            items, marks = [], []
            for _ in range(n):
                text, m = self.text()
                fields, markers = self.add_fields(False)
                items.append({"content": text, **fields})
                marks.append((text, markers | {m}))
            scope = Scope(user_id=self.users[user], agent_id=agent, visibility=vis)
            for result, (text, markers) in zip(mem.add_many(items, scope), marks, strict=True):
                self.new_cube(result, self.users[user], agent, vis, text, markers, False)
            RAN['add_many'] += 1

        @rule(data=st.data())
        def update(self, data: st.DataObject) -> None:
            t = self.pick(data, lambda t: t.state == "active")
            if t is None:
                return
            text, m = self.text()
            cube = mem.update(t.id, t.scope, content=text)
            RAN["update"] += 1
            t.versions.append((text, "active"))
            t.markers.add(m)
            assert cube.version == len(t.versions)

        @rule(data=st.data())
        def supersede(self, data: st.DataObject) -> None:
            t = self.pick(data, lambda t: t.state == "active")
            if t is None:
                return
            text, m = self.text()
            result = mem.supersede(t.id, t.scope, content=text)
            RAN["supersede"] += 1
            assert result.superseded == [t.id]
            t.versions.append((t.content, "superseded"))
            self.new_cube(result, t.user, t.agent, t.visibility, text, {m}, False)
            self.edges.append(TrackedEdge(result.id, t.id, t.user))

        @rule(data=st.data())
        def forget(self, data: st.DataObject) -> None:
            for via, name in ((mem, "forget"), (mem2, "forget by the second instance")):
                t = self.pick(data, lambda t: t.state == "active")
                if t is None:
                    return
                via.forget(t.id, t.scope)
                RAN[name] += 1
                t.versions.append((t.content, "forgotten"))

        @rule(data=st.data(), caller=st.sampled_from(AGENTS), entity=st.booleans())
        def link(self, data: st.DataObject, caller: str | None, entity: bool) -> None:
            src = self.pick(data, lambda t: t.state == "active" and t.agent in (None, caller))
            if src is None:
                return
            scope = Scope(user_id=src.user, agent_id=caller)
            if entity:
                m = self.marker()
                mem.link(src.id, f"entity:e{m}", scope)
                self.edges.append(TrackedEdge(src.id, None, src.user, {m}))
                src.markers.add(m)
                RAN["link"] += 1
                return
            dst = self.pick(data, lambda t: t.id != src.id and can_read(t, scope))
            if dst is None:
                return
            mem.link(src.id, dst.id, scope)
            RAN["link"] += 1
            RAN["link between cubes"] += 1
            self.edges.append(TrackedEdge(src.id, dst.id, src.user))

        @rule(data=st.data())
        def purge_one(self, data: st.DataObject) -> None:
            for via, name in ((mem, "purge"), (mem2, "purge by the second instance")):
                t = self.pick(data, lambda t: True)
                if t is None:
                    return
                report = via.purge(t.id, t.scope)
                RAN[name] += 1
                assert report.cube_ids == [t.id] and report.versions == len(t.versions)
                self.erase([t.id])
                self.check_erased()

        @rule(data=st.data(), agent=st.sampled_from(AGENTS), second=st.booleans())
        def purge_user(self, data: st.DataObject, agent: str | None, second: bool) -> None:
            # an agent-scoped caller is most telling where another agent has cubes too
            telling = sorted({i for i, u in enumerate(self.users) for t in self.cubes.values()
                              if t.user == u and t.agent not in (None, agent)})
            user = data.draw(st.sampled_from(telling or list(range(N_USERS))))
            caller = Scope(user_id=self.users[user], agent_id=agent)
            mine = {t.id for t in self.cubes.values() if t.user == caller.user_id}
            want = mine if agent is None else {i for i in mine if can_write(self.cubes[i], caller)}
            report = (mem2 if second else mem).purge(None, caller, all_of_user=True)
            if agent is not None and mine - want:
                RAN["agent-scoped purge of a user with other agents' cubes"] += 1
            RAN["purge of a user"] += 1
            assert set(report.cube_ids) == want, (
                f"purge of {caller} erased {sorted(set(report.cube_ids) - want)} it may not "
                f"change, kept {sorted(want - set(report.cube_ids))}")
            self.erase(want)
            self.check_erased()

        @rule(user=st.integers(0, N_USERS - 1), agent=st.sampled_from(AGENTS))
        def gc(self, user: int, agent: str | None) -> None:
            # first scoped to one caller (the single-cube write rule), then store-wide
            for caller in (Scope(user_id=self.users[user], agent_id=agent), None):
                due = {t.id for t in self.cubes.values() if t.ttl and t.state == "active"
                       and (caller is None or can_write(t, caller))}
                report = mem.gc(now=utcnow() + timedelta(hours=2), scope=caller)
                if due or caller is None:
                    RAN["gc store-wide" if caller is None else "scoped gc that archives"] += 1
                ours = {i for i in report.archived if i in self.cubes}
                assert ours == due, \
                    f"gc({caller}) archived {sorted(ours - due)}, left {sorted(due - ours)}"
                assert not set(report.archived) & set(self.purged)
                for cid in due:
                    t = self.cubes[cid]
                    t.versions.append((t.content, "archived"))

        @rule(data=st.data(), src_agent=st.sampled_from(AGENTS), dst_agent=st.sampled_from(AGENTS),
              shift=st.integers(1, N_USERS - 1))
        def import_other_users_export(self, data: st.DataObject, src_agent: str | None,
                                      dst_agent: str | None, shift: int) -> None:
            a = data.draw(st.integers(0, N_USERS - 1))
            b = (a + shift) % N_USERS
            source = Scope(user_id=self.users[a], agent_id=src_agent)
            lines = export_objs(mem, source)
            if len(lines) < 2:
                return
            new_lines, ids = rewrite_export(lines, self.users[b], dst_agent)
            report = mem.import_(as_file(new_lines), Scope(user_id=self.users[b], agent_id=dst_agent))
            RAN["import of another user's export"] += 1
            assert (report.imported, report.skipped_existing, report.errors) == (len(ids), 0, [])
            self._record_import(new_lines, ids, b, dst_agent, {}, set())
            assert report.edges == sum(1 for line in new_lines if line.get("type") == "edge")

        @rule(user=st.integers(0, N_USERS - 1), agent=st.sampled_from(AGENTS))
        def second_instance_writes_and_saves(self, user: int, agent: str | None) -> None:
            # mem2 opened before earlier purges: saving its FAISS files must not bring them back
            text, m = self.text()
            scope = Scope(user_id=self.users[user], agent_id=agent)
            mem2.search(text, scope, k=3)
            result = mem2.add(text, scope)
            self.new_cube(result, self.users[user], agent, "private", text, {m}, False)
            mem2.flush()
            RAN["second instance saves"] += 1

        # -- refused calls ----------------------------------------------------------

        @rule(data=st.data(), caller=st.sampled_from(list(itertools.product(range(N_USERS), AGENTS))),
              foreign=st.booleans())
        def foreign_write_is_refused(self, data: st.DataObject, caller: tuple[int, str | None],
                                     foreign: bool) -> None:
            scope = Scope(user_id=self.users[caller[0]], agent_id=caller[1])
            t = self.pick(data, lambda t: not can_write(t, scope)) if foreign else None
            cid = t.id if t is not None else data.draw(
                st.sampled_from([uuid.uuid4().hex, *self.purged]))
            for op, tracked in itertools.product(
                    ["update", "forget", "purge", "supersede", "link", "rollback"], [t]):
                calls: dict[str, Callable[[], Any]] = {
                    "update": lambda cid=cid: mem.update(cid, scope, content=f"x {self.marker()}"),
                    "forget": lambda cid=cid: mem.forget(cid, scope),
                    "purge": lambda cid=cid: mem.purge(cid, scope),
                    "supersede": lambda cid=cid: mem.supersede(cid, scope, content=f"y {self.marker()}"),
                    "link": lambda cid=cid: mem.link(cid, "entity:x", scope),
                    "rollback": lambda cid=cid: mem.rollback(cid, scope, 1),
                }
                RAN[f"refused {op}"] += 1
                if tracked is None or not can_read(tracked, scope):
                    self.rejected(calls[op], (NotFoundError,), str(not_found(cid)))
                else:
                    err = self.rejected(calls[op], (ScopeError, NotFoundError))
                    assert tracked.user not in str(err) or tracked.user == scope.user_id, \
                        f"error names the owner: {err}"

        @rule(data=st.data(), agent=st.sampled_from(AGENTS))
        def link_to_unreadable_is_refused(self, data: st.DataObject, agent: str | None) -> None:
            src = self.pick(data, lambda t: t.state == "active" and t.agent in (None, agent))
            if src is None:
                return
            scope = Scope(user_id=src.user, agent_id=agent)
            dst = self.pick(data, lambda t: not can_read(t, scope))
            if dst is None:
                return
            RAN["refused link to unreadable"] += 1
            self.rejected(lambda: mem.link(src.id, dst.id, scope), (NotFoundError,),
                          str(not_found(dst.id)))

        @rule(data=st.data(), shift=st.integers(1, N_USERS - 1), agent=st.sampled_from(AGENTS))
        def hostile_imports_are_refused(self, data: st.DataObject, shift: int,
                                        agent: str | None) -> None:
            for attack in ("unmodified", "foreign_id", "edge_to_foreign", "other_agent"):
                self.hostile_import(data, shift, agent, attack)

        def hostile_import(self, data: st.DataObject, shift: int, agent: str | None,
                           attack: str) -> None:
            a = data.draw(st.integers(0, N_USERS - 1))
            b = (a + shift) % N_USERS
            importer = Scope(user_id=self.users[b], agent_id=agent)
            lines = export_objs(mem, Scope(user_id=self.users[a], agent_id=agent))
            if len(lines) < 2:
                return
            RAN[f"hostile import {attack}"] += 1
            if attack == "unmodified":  # another user's file as it is
                self.rejected(lambda: mem.import_(as_file(lines), importer), (InvalidInputError,))
                return
            new_lines, ids = rewrite_export(lines, self.users[b], agent)
            if attack == "foreign_id":  # keep one original id: reuse a cube b cannot write
                old, new = next(iter(ids.items()))
                text = json.dumps(new_lines).replace(new, old)
                hostile = json.loads(text)
                report = mem.import_(as_file(hostile), importer, on_error="skip")
                # Not "already present": b has no such cube, and must not learn that one exists.
                assert report.skipped_existing == 0, f"existence oracle: {report}"
                renamed = dict(getattr(report, "renamed", None) or {})
                bad = {n for n, _ in report.errors}
                self.no_marker_in(json.dumps(report.errors))
                self._record_import(hostile, ids, b, agent, renamed, bad, foreign=old)
                owner = self.cubes[old]
                self.check_cube(mem, owner.scope, owner)  # the holder of the id is untouched
                return
            if attack == "edge_to_foreign":  # an edge from the new cube to an unreadable one
                target = self.pick(data, lambda t: not can_read(t, importer))
                if target is None:
                    return
                new_lines.append({"type": "edge", "src": next(iter(ids.values())),
                                  "dst": target.id, "relation": "related", "weight": 1.0})
                self.rejected(lambda: mem.import_(as_file(new_lines), importer), (InvalidInputError,))
                return
            # other_agent: an agent-scoped importer brings in another agent's private cube
            if agent is None:
                return
            other = next(x for x in AGENTS[1:] if x != agent)
            for line in new_lines:
                if line.get("type") == "cube":
                    line["cube"]["scope"]["visibility"] = "private"
                    for cube in (line["cube"], *line["history"]):
                        cube["scope"]["agent_id"] = other
            self.rejected(lambda: mem.import_(as_file(new_lines), importer), (MemosError,))

        def _record_import(self, lines: list[dict[str, Any]], ids: dict[str, str], b: int,
                           agent: str | None, renamed: dict[str, str], bad: set[int],
                           foreign: str | None = None) -> None:
            """Model of an import into user b: every good line's cube (under the id the
            report gives it) and edge. `foreign` is an id that belongs to another cube."""
            back = {v: k for k, v in ids.items()}
            back.update({foreign: foreign} if foreign else {})
            stored: dict[str, str] = {}  # id in the file -> id in the store
            for number, line in enumerate(lines, start=1):
                if line.get("type") != "cube" or number in bad:
                    continue
                cube = line["cube"]
                cid = renamed.get(cube["id"], cube["id"])
                assert cid != foreign, f"import wrote over another user's cube {foreign}"
                src = self.cubes[back[cube["id"]]] if back[cube["id"]] != foreign else \
                    self.cubes[foreign]
                versions = [(h["content"], h["state"]) for h in line["history"]]
                self.cubes[cid] = Tracked(
                    cid, self.users[b], agent, cube["scope"]["visibility"], self.pk_of(cid),
                    [*versions, (cube["content"], cube["state"])],
                    markers_in(json.dumps(line), src.markers), src.ttl)
                stored[cube["id"]] = cid
            for number, line in enumerate(lines, start=1):
                if line.get("type") != "edge" or number in bad or line["src"] not in stored:
                    continue
                entity = line["dst"].startswith("entity:")
                if not entity and line["dst"] not in stored:
                    continue
                ms = markers_in(line["dst"], self.all_markers)
                src_id = stored[line["src"]]
                self.edges.append(TrackedEdge(src_id, None if entity else stored[line["dst"]],
                                              self.users[b], ms))
                self.cubes[src_id].markers |= ms

        @rule(user=st.integers(0, N_USERS - 1), bad=st.sampled_from(
            ["blank", "tags", "nan_weight", "purge_both", "version"]))
        def bad_input_is_refused(self, user: int, bad: str) -> None:
            scope = Scope(user_id=self.users[user])
            own = [t for t in self.cubes.values() if can_write(t, scope) and t.state == "active"]
            if bad == "blank":
                self.rejected(lambda: mem.add(" \n\t ", scope), (InvalidInputError,))
            elif bad == "tags":
                self.rejected(lambda: mem.add(f"z {self.marker()}", scope, tags=5),
                              (InvalidInputError,))
            elif own and bad == "nan_weight":
                self.rejected(lambda: mem.link(own[0].id, "entity:x", scope, weight=math.nan),
                              (InvalidInputError,))
            elif own and bad == "purge_both":
                self.rejected(lambda: mem.purge(own[0].id, scope, all_of_user=True),
                              (InvalidInputError,))
            elif own and bad == "version":
                self.rejected(lambda: mem.get(own[0].id, scope, version=len(own[0].versions) + 1),
                              (NotFoundError,))

        # -- reads ------------------------------------------------------------------

        @rule(user=st.integers(0, N_USERS - 1), agent=st.sampled_from(AGENTS),
              second=st.booleans())
        def reads_stay_in_scope(self, user: int, agent: str | None, second: bool) -> None:
            self.check_caller(mem2 if second else mem, Scope(user_id=self.users[user], agent_id=agent))
            RAN["reads"] += 1

        @rule(data=st.data(), user=st.integers(0, N_USERS - 1), agent=st.sampled_from(AGENTS))
        def search_stays_in_scope(self, data: st.DataObject, user: int, agent: str | None) -> None:
            t = self.pick(data, lambda t: True)
            if t is None:
                return
            caller = Scope(user_id=self.users[user], agent_id=agent)
            RAN["search"] += 1
            marks = sorted(markers_in(t.content, t.markers))
            hits = mem.search(f"{marks[0] if marks else t.content} {self.prefix}", caller, k=10)
            for hit in hits:
                other = self.cubes.get(hit.id)
                if other is None:  # a cube of an earlier example: only a public one may show
                    assert hit.id not in self.purged, f"search returned purged {hit.id}"
                    assert hit.cube.scope.user_id not in self.users
                    assert hit.cube.scope.visibility.value == "public", f"search leaked {hit.id}"
                    continue
                assert can_read(other, caller), f"search leaked {hit.id}"
                assert other.state in LIVE_STATES and hit.cube.content == other.content
            if can_read(t, caller) and t.state == "active" and marks:
                assert t.id in {h.id for h in hits}, "a readable cube is missing from search"

        @invariant()
        def stats_count_only_the_users_own(self) -> None:
            for user in self.users:
                stats = mem.stats(user)
                own = [t for t in self.cubes.values() if t.user == user]
                assert stats.cubes == len(own)
                assert stats.versions == sum(len(t.versions) for t in own)
                assert stats.live == sum(t.state == "active" for t in own)
                assert stats.edges == sum(e.user == user for e in self.edges)

        @invariant()
        def faiss_files_never_move_back_nor_hold_purged(self) -> None:
            on_disk = faiss_on_disk(mem)
            if on_disk is None:
                return
            seq, pks = on_disk
            assert seq >= self.faiss_seq, f"FAISS files moved back from seq {self.faiss_seq} to {seq}"
            self.faiss_seq = seq
            back = pks & set(self.purged.values())
            assert not back, f"FAISS files hold purged cubes {sorted(back)}"

        def teardown(self) -> None:
            self.check_erased()
            # The scans can fail: every live cube's content marker is found where it lives.
            live = {m for t in self.cubes.values() for m in markers_in(t.content, t.markers)}
            if spec.backend == "sqlite":
                assert set(scan_files(spec.location, live)) == live
            else:
                assert set(scan_tables(mem._store.repo.engine, live)) == live
            for caller in self.callers[::4]:
                self.check_caller(mem, caller)

    return TrustMachine


REQUIRED = {
    "add", "add_many", "update", "supersede", "forget", "forget by the second instance", "link",
    "purge", "purge by the second instance", "purge of a user",
    "agent-scoped purge of a user with other agents' cubes", "scoped gc that archives",
    "gc store-wide", "import of another user's export", "second instance saves",
    "refused update", "refused forget", "refused purge", "refused link",
    "refused link to unreadable", "hostile import unmodified", "hostile import foreign_id",
    "hostile import edge_to_foreign", "hostile import other_agent", "reads", "search"}


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_trust_properties_hold_across_users_agents_and_instances(backend: str,
                                                                 tmp_path: Path) -> None:
    with fresh_store(backend, tmp_path) as spec:
        # Near-duplicate merging is off: generated texts share their frame on purpose.
        config = MemosConfig(dedup_threshold=None)
        with spec.open(config=config) as mem, spec.open(config=config) as mem2:
            RAN.clear()
            machine = make_machine(mem, mem2, spec, tmp_path)
            run_state_machine_as_test(machine, settings=settings(
                max_examples=10, stateful_step_count=25, deadline=None, database=None,
                derandomize=True, report_multiple_bugs=False, phases=PHASES,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
    # The run must have reached every path it claims to test, or it proves nothing.
    unreached = sorted(REQUIRED - set(RAN))
    assert not unreached, f"the run never reached: {unreached} (ran: {dict(RAN)})"


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_purge_erases_while_another_process_holds_the_store(backend: str, tmp_path: Path) -> None:
    """A second process adds, holds the store open across a purge, then saves its FAISS
    files: no purged byte on disk (or in a table) at any point after purge returns, and the
    index files on disk never hold a purged cube nor move backwards."""
    with fresh_store(backend, tmp_path) as spec, spec.open(
            config=MemosConfig(dedup_threshold=None)) as mem:
        user, work = f"held{uuid.uuid4().hex[:6]}", tmp_path / "work"
        work.mkdir()
        keep = mem.add(f"{user} kept {make_marker(random.Random(7))}", user).id
        proc = subprocess.Popen(
            [sys.executable, str(HERE / "trust_helpers.py"), "hold", spec.location,
             spec.index_dir or "-", user, "3", str(work)], stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 60
            while not (work / "ready").exists():
                assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
                assert time.monotonic() < deadline, "worker never got ready"
                time.sleep(0.02)
            held = json.loads((work / "ready").read_text())
            mine = mem.add(f"{user} mine {make_marker(random.Random(8))}", user).id
            mem.search(f"{user} note", user, k=5)
            with mem._store.repo.read() as session:
                pk = {i: mem._store.repo.row_by_id(session, i).pk for i in [*held, mine]}
            marker = {i: mem.get(i, user).content.rsplit(" ", 1)[1] for i in [*held, mine]}
            assert {marker[i] for i in held} == {worker_marker(user, n) for n in range(3)}
            first = [held[0], held[1], mine]  # purged while the worker holds the store
            for cid in first:
                mem.purge(cid, user)

            def erased(ids: list[str]) -> None:
                gone = {marker[i] for i in ids}
                folder = spec.location if backend == "sqlite" else spec.index_dir
                found = scan_files(folder, gone)
                assert not found, f"purged bytes on disk while a process holds the store: {found}"
                if backend == "postgresql":
                    rows = scan_tables(mem._store.repo.engine, gone)
                    assert not rows, f"purged rows left in tables: {rows}"

            erased(first)  # the other process still has the store open
            seq_before = (faiss_on_disk(mem) or (0, set()))[0]
            (work / "go").write_text("go")
            assert proc.wait(timeout=60) == 0, proc.stderr.read().decode() if proc.stderr else ""
            erased(first)  # and after it saved its index files
            on_disk = faiss_on_disk(mem)
            assert on_disk is not None
            seq, ids = on_disk
            assert seq >= seq_before, f"FAISS files moved back from seq {seq_before} to {seq}"
            back = ids & {pk[i] for i in first}
            assert not back, f"FAISS files hold purged cubes {sorted(back)}"
            mem.purge(held[2], user)
            erased([*first, held[2]])
            assert {h.id for h in mem.search(f"{user} note", user, k=10)} <= {keep}
            with pytest.raises(NotFoundError) as err:
                mem.get(held[0], user)
            assert str(err.value) == str(not_found(held[0]))
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
