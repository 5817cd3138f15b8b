"""The in-memory copy of the admission columns (stores/admit.py) admits exactly what SQL
admits (`Repository.admit_default`, itself checked against the SQLAlchemy clauses in
test_admit_default.py): for every scope, tier set and expiry, after any mix of writes in
this process or another, and never from a snapshot it does not match. It is the scope check
of every search, so a difference would be a leak (or a lost memory)."""

from __future__ import annotations

import itertools
import random
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from memos import MemOS, Scope
from memos.cube import Lifecycle, Tier, Visibility, utcnow
from memos.stores import admit
from memos.stores.indexer import LOAD_AFTER
from memos.stores.schema import CubeRow

USERS = ("u1", "u2", "u3")
AGENTS = (None, "a1", "a2")
TIER_SETS = (["plaintext"], ["activation", "parametric"], [t.value for t in Tier])


def _open(path: Path) -> Any:
    return MemOS.open(str(path), embedder="hashing")


def _fill(mem: Any, rng: random.Random, n: int) -> list[str]:
    """n cubes over every owner, agent, visibility and expiry (past, future, none)."""
    now = utcnow()
    ids = []
    for i in range(n):
        user, agent = rng.choice(USERS[:2]), rng.choice(AGENTS)
        vis = rng.choice(list(Visibility))
        when = rng.choice((None, now - timedelta(days=1), now + timedelta(days=1)))
        fields = {"expires_at": when} if when else {}
        ids.append(mem.add(f"fact {i} of {user} about kites and herons {rng.random()}",
                           Scope(user_id=user, agent_id=agent, visibility=vis),
                           **fields).cube.id)
    return ids


def _all_pks(mem: Any) -> list[int]:
    with mem._store.repo.read() as session:
        pks = set(session.execute(select(CubeRow.pk)).scalars())
    top = max(pks, default=0)
    # and pks that were never given, or are gone
    return sorted(pks | set(range(-1, min(top, 10_000) + 3)) | {top + 1, top + 2})


def _agree(mem: Any, now: Any = None, used: bool = True) -> int:
    """Admit every pk through the store (the copy, when it is current) and through SQL, for
    every scope, tier set and state set; assert they agree, and (`used`) that the copy was
    current and answered. Returns the admitted count."""
    store = mem._store
    pks = _all_pks(mem)
    now = now or utcnow()
    admitted = 0
    with store.repo.read() as session:
        head, _ = store.sync.current_head(session)
        for user, agent, tiers, superseded in itertools.product(
                (*USERS, "nobody"), AGENTS, TIER_SETS, (False, True)):
            scope = Scope(user_id=user, agent_id=agent)
            want = store.repo.admit_default(session, pks, scope, tiers, superseded, now)
            got = store.admit_default(session, head, pks, scope, tiers, superseded, now)
            assert sorted(got) == sorted(want), (user, agent, tiers, superseded)
            admitted += len(want)
        if used:
            copy = store.sync.admission_copy
            assert copy is not None and copy.seq == head
    return admitted


def _mirror(mem: Any) -> admit.AdmitMirror:
    sync = mem._store.sync
    sync.load_admission()
    assert sync.admission_copy is not None
    return sync.admission_copy


def test_the_copy_admits_what_sql_admits_over_every_combination(tmp_path: Path) -> None:
    with _open(tmp_path / "s") as mem:
        _fill(mem, random.Random(1), 60)
        with mem._store.repo.write() as session:  # every state and tier, set directly in SQL
            pks = sorted(session.execute(select(CubeRow.pk)).scalars())
            for i, pk in enumerate(pks):
                session.execute(update(CubeRow).where(CubeRow.pk == pk).values(
                    state=list(Lifecycle)[i % len(Lifecycle)].value,
                    tier=list(Tier)[(i // len(Lifecycle)) % len(Tier)].value))
        mirror = _mirror(mem)
        assert mirror.rows == 60
        assert _agree(mem) > 100  # admitted rows are exercised, not only refusals
        # an expiry exactly at `now` has expired (expires_at > now), as in SQL
        with mem._store.repo.read() as session:
            when = session.execute(select(CubeRow.expires_at).where(
                CubeRow.expires_at.is_not(None)).limit(1)).scalar_one()
        _agree(mem, now=when)
        _agree(mem, now=when - timedelta(microseconds=1))


def test_the_copy_follows_every_kind_of_write(tmp_path: Path) -> None:
    rng = random.Random(7)
    with _open(tmp_path / "s") as mem:
        ids = _fill(mem, rng, 30)
        _mirror(mem)
        for step in range(40):
            cid = rng.choice(ids)
            with mem._store.repo.read() as session:
                row = session.execute(select(CubeRow).where(CubeRow.id == cid)).scalar_one()
            scope = Scope(user_id=row.user_id, agent_id=row.agent_id)
            if row.state != Lifecycle.ACTIVE.value or (
                    row.expires_at is not None and row.expires_at <= utcnow()):
                ids.extend(_fill(mem, rng, 1))  # (an expired cube is no longer updated)
                continue
            op = step % 5
            if op == 0:
                mem.forget(cid, scope)
            elif op == 1:
                ids.append(mem.supersede(cid, scope, content=f"new fact {step}").cube.id)
            elif op == 2:
                mem.update(cid, scope, expires_at=utcnow() - timedelta(seconds=1))
            elif op == 3:
                mem.update(cid, scope, content=f"changed fact {step} about kites")
            else:
                ids.extend(_fill(mem, rng, 3))
            _agree(mem)
        assert mem._store.sync.admission_copy is not None  # caught up, never dropped
        assert mem._store.sync.admission_copy.rows == len(_all_pks(mem)) - 4


def test_writes_of_another_process_reach_the_copy(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import memos.stores.indexer as indexer

    monkeypatch.setattr(indexer, "PAGE", 100)  # so that the catch-up reads several pages
    with _open(tmp_path / "s") as mem, _open(tmp_path / "s") as other:
        ids = _fill(mem, random.Random(3), 20)
        copy = _mirror(mem)
        # fewer changes than RELOAD_MIN: caught up (a reload would go to the background)
        _fill(other, random.Random(4), 1_500)
        for cid in ids[:10]:
            with other._store.repo.read() as session:
                row = session.execute(select(CubeRow).where(CubeRow.id == cid)).scalar_one()
            other.forget(cid, Scope(user_id=row.user_id, agent_id=row.agent_id))
        _agree(mem)
        assert mem._store.sync.admission_copy is copy and copy.rows == 1_520


def test_a_copy_ahead_of_the_search_snapshot_is_not_used(tmp_path: Path) -> None:
    with _open(tmp_path / "s") as mem:
        _fill(mem, random.Random(5), 10)
        store = mem._store
        mirror = _mirror(mem)
        pks = _all_pks(mem)
        with store.repo.read() as session:
            head, _ = store.sync.current_head(session)
            # a newer cube is made public to everyone after this snapshot: the copy (caught
            # up by another search meanwhile) would admit it; this snapshot's SQL does not
            done = threading.Event()

            def writer() -> None:
                mem.add("a newer public kite", Scope(user_id="u2", visibility="public"))
                with mem._store.repo.read() as other:
                    new_head, _ = store.sync.current_head(other)
                    with store.sync.admit_lock:
                        assert store.sync.admission(other, new_head) is mirror
                done.set()

            threading.Thread(target=writer).start()
            assert done.wait(30)
            assert mirror.seq > head
            with store.sync.admit_lock:
                assert store.sync.admission(session, head) is None
            scope = Scope(user_id="u1")
            now = utcnow()
            got = store.admit_default(session, head, pks, scope, ["plaintext"], False, now)
            assert got == store.repo.admit_default(session, pks, scope, ["plaintext"], False,
                                                   now)


def test_a_purge_drops_the_copy_in_this_process_and_the_others(tmp_path: Path) -> None:
    with _open(tmp_path / "s") as mem, _open(tmp_path / "s") as other:
        mem.add_many([f"secret {i}" for i in range(5)], "erased-user")
        _fill(mem, random.Random(6), 10)
        _mirror(mem)
        old = _mirror(other)
        assert "erased-user" in old.users
        mem.purge(None, "erased-user", all_of_user=True)
        assert mem._store.sync.admission_copy is None
        # the other process's next search sees the purge row: the copy goes (SQL admits)
        # and a new one is loaded at once, from the purged store
        _agree(other, used=False)
        sync = other._store.sync
        assert sync.admission_copy is not old
        assert sync._admit_loader is not None
        sync._admit_loader.join(30)
        assert sync.admission_copy is not None
        assert "erased-user" not in sync.admission_copy.users
        _agree(other)


def test_a_row_the_copy_cannot_compare_leaves_admission_to_sql(tmp_path: Path) -> None:
    with _open(tmp_path / "s") as mem:
        _fill(mem, random.Random(8), 10)
        with mem._store.repo.write() as session:  # not text: SQLite compares it as a number
            session.connection().exec_driver_sql(
                "UPDATE cubes SET expires_at = 5 WHERE pk = (SELECT min(pk) FROM cubes)")
        sync = mem._store.sync
        assert sync.load_admission() is None
        assert sync.admit_failed and sync.admission_copy is None
        _agree(mem, used=False)


def test_search_loads_the_copy_in_the_background_and_finds_the_same(tmp_path: Path) -> None:
    with _open(tmp_path / "s") as mem:
        _fill(mem, random.Random(9), 40)
        scope = Scope(user_id="u1", agent_id="a1")
        before = [h.cube.id for h in mem.search("kites and herons", scope, k=20)]
        for _ in range(LOAD_AFTER):
            mem.search("kites", scope)
        loader = mem._store.sync._admit_loader
        assert loader is not None
        loader.join(30)
        copy = mem._store.sync.admission_copy
        assert copy is not None
        assert [h.cube.id for h in mem.search("kites and herons", scope, k=20)] == before
        with mem._store.repo.read() as session:  # current: the search above admitted from it
            assert copy.seq == mem._store.repo.max_seq(session)
        mem.config.retrieval.admission_in_memory = False
        assert [h.cube.id for h in mem.search("kites and herons", scope, k=20)] == before


@pytest.mark.parametrize("chunk", [1, 7, 10_000])
def test_loading_in_any_chunk_size_reads_the_same_columns(tmp_path: Path, chunk: int) -> None:
    with _open(tmp_path / "s") as mem:
        _fill(mem, random.Random(10), 25)
        with mem._store.repo.read() as session:
            conn = session.connection().connection.dbapi_connection
            whole = admit.AdmitMirror.load(conn, 1)
            parts = admit.AdmitMirror.load(conn, 1, chunk=chunk)
        assert whole.rows == parts.rows == 25
        for name in ("present", "user", "agent", "visibility", "state", "tier", "expires",
                     "expiring"):
            assert (getattr(whole, name) == getattr(parts, name)).all(), name


@pytest.mark.parametrize("raw", [
    "UPDATE cubes SET pk = -1 WHERE pk = (SELECT min(pk) FROM cubes)",  # lands on max pk
    "UPDATE cubes SET expires_at = '2999-01-01 00:00:00' || char(0)"
    " WHERE pk = (SELECT min(pk) FROM cubes)",  # 'S' arrays drop a trailing NUL
    "UPDATE cubes SET pk = 4000000000 WHERE pk = (SELECT max(pk) FROM cubes)",  # far sparse
])
def test_rows_only_raw_sql_makes_leave_admission_to_sql(tmp_path: Path, raw: str) -> None:
    with _open(tmp_path / "s") as mem:
        _fill(mem, random.Random(11), 20)
        with mem._store.repo.write() as session:
            session.connection().exec_driver_sql(raw)
        sync = mem._store.sync
        assert sync.load_admission() is None and sync.admit_failed
        _agree(mem, used=False)


def test_a_catch_up_that_fails_leaves_admission_to_sql(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    with _open(tmp_path / "s") as mem:
        _fill(mem, random.Random(12), 20)
        _mirror(mem)

        def broken(*args: Any, **kwargs: Any) -> None:
            raise RuntimeError("disk on fire")

        monkeypatch.setattr(admit.AdmitMirror, "update", broken)
        _fill(mem, random.Random(13), 2)
        _agree(mem, used=False)  # the search that met the failure, and every one after it
        sync = mem._store.sync
        assert sync.admission_copy is None and sync.admit_failed
        assert [h.cube.id for h in mem.search("kites", "u1", k=5)]


def test_a_load_that_read_the_store_before_a_purge_is_not_put_in_place(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import memos.admin

    monkeypatch.setattr(memos.admin, "PURGE_WAL_WAIT_S", 0.1)  # (the load's snapshot is open)
    with _open(tmp_path / "s") as mem, _open(tmp_path / "s") as other:
        mem.add_many([f"secret {i}" for i in range(3)], "erased-user")
        _fill(mem, random.Random(14), 5)
        load = admit.AdmitMirror.load

        def load_then_purge(*args: Any, **kwargs: Any) -> admit.AdmitMirror:
            mirror = load(*args, **kwargs)
            assert "erased-user" in mirror.users
            mem.purge(None, "erased-user", all_of_user=True)  # another process's purge
            return mirror

        monkeypatch.setattr(admit.AdmitMirror, "load", load_then_purge)
        assert other._store.sync.load_admission() is not None  # read, then not installed
        assert other._store.sync.admission_copy is None
        monkeypatch.setattr(admit.AdmitMirror, "load", load)
        assert "erased-user" not in _mirror(other).users
        _agree(other)


def test_warm_brings_stale_copies_up_to_date(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A copy far behind (a bulk add since it was loaded) is replaced by warm(), one a
    little behind is caught up: a bench or a server that warms then searches finds both
    copies current, with no load left running in the background."""
    import memos.stores.indexer as indexer

    monkeypatch.setattr(indexer, "RELOAD_MIN", 5)
    with _open(tmp_path / "s") as mem:
        mem.config.retrieval.fulltext_max_postings = 5  # a "large" store: the full-text copy
        _fill(mem, random.Random(15), 20)
        mem.warm()
        sync = mem._store.sync
        first = sync.admission_copy
        assert first is not None and sync.memory is not None
        for many in (False, True):
            _fill(mem, random.Random(16), 40 if many else 2)
            mem.warm()
            with mem._store.repo.read() as session:
                head = mem._store.repo.max_seq(session)
            assert sync.admission_copy is not None and sync.admission_copy.seq == head
            assert (sync.admission_copy is first) is not many  # replaced only when far behind
            assert sync.memory is not None and sync.memory.seq == head
            assert sync.memory.changed_rows() <= 2  # a fresh copy, not a long delta
            for loader in (sync._loader, sync._admit_loader):
                assert loader is None or not loader.is_alive()
            _agree(mem)
