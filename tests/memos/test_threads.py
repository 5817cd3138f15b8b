"""One MemOS, many threads: writes and index catch-up serialised, reads concurrent.

Eight threads share one instance and mix add, add_many, search, update, forget, get,
history, link and neighbors, each for a fixed number of operations. Afterwards every add
that returned is readable as its thread last left it (or reads as forgotten), and `check`
finds every index consistent with SQL.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from memos import Lifecycle
from memos.errors import NotFoundError

THREADS = 8
OPS = 30  # operations per thread
WORDS = ("amber basil cedar delta ember fjord garnet harbor indigo juniper kettle lantern "
         "meadow nectar orchid pepper quartz raven saffron tundra umber velvet willow yarrow "
         "zephyr anchor bramble copper dune falcon glacier hazel ivory jasmine").split()


def _text(rng: random.Random, tag: str) -> str:
    """A text no other thread writes (the tag) and far from this thread's other texts."""
    return f"{tag} " + " ".join(rng.sample(WORDS, 6))


@dataclass
class Ledger:
    """What one thread wrote: cube id -> (content it last gave, forgotten?, versions)."""
    cubes: dict[str, list[Any]] = field(default_factory=dict)
    errors: list[BaseException] = field(default_factory=list)
    shared: list[str] = field(default_factory=list)


def _worker(mem: Any, t: int, start: threading.Barrier, ledger: Ledger) -> None:
    rng = random.Random(1000 + t)
    user = f"user{t}"
    try:
        start.wait()
        for i in range(OPS):
            live = [cid for cid, (_, gone, _) in ledger.cubes.items() if not gone]
            op = rng.choice(["add", "add", "add_many", "search", "search", "update", "forget",
                             "get", "history", "link", "shared", "recall"]) if live else "add"
            if op == "add":
                content = _text(rng, f"t{t} n{i}")
                r = mem.add(content, user, entities=[f"topic{i % 3}"])
                assert r.action == "added", r
                ledger.cubes[r.id] = [content, False, 1]
            elif op == "add_many":
                contents = [_text(rng, f"t{t} n{i} m{j}") for j in range(3)]
                for r, content in zip(mem.add_many(contents, user), contents, strict=True):
                    assert r.action == "added", r
                    ledger.cubes[r.id] = [content, False, 1]
            elif op == "search":
                query = " ".join(rng.sample(WORDS, 2))
                for hit in mem.search(query, user, k=5):
                    assert hit.cube.scope.user_id == user
            elif op == "update":
                cid = rng.choice(live)
                content = _text(rng, f"t{t} n{i} updated")
                cube = mem.update(cid, user, content=content)
                entry = ledger.cubes[cid]
                assert cube.version == entry[2] + 1
                entry[0], entry[2] = content, cube.version
            elif op == "forget":
                cid = rng.choice(live)
                cube = mem.forget(cid, user)
                entry = ledger.cubes[cid]
                assert cube.state == Lifecycle.FORGOTTEN and cube.version == entry[2] + 1
                entry[1], entry[2] = True, cube.version
            elif op == "get":
                cid = rng.choice(live)
                assert mem.get(cid, user).content == ledger.cubes[cid][0]
            elif op == "history":
                cid = rng.choice(live)
                assert len(mem.history(cid, user)) == ledger.cubes[cid][2]
            elif op == "recall":  # pre-encoded slots: cache, blobs and encoding across threads
                got = mem.recall(" ".join(rng.sample(WORDS, 2)), user, k=3)
                assert all(cid in ledger.cubes for cid, _ in got.cubes)
                assert (len(got.slots) if got.slots is not None else 0) == len(got.cubes)
            elif op == "link":
                a, b = rng.choice(live), rng.choice(live)
                if a != b:
                    mem.link(a, b, user, relation="related")
                    assert b in {n.cube.id for n in mem.neighbors(a, user)}
            else:  # every thread writes and reads one shared scope too
                r = mem.add(_text(rng, f"shared t{t} n{i}"), "shared")
                ledger.shared.append(r.id)
                mem.search(" ".join(rng.sample(WORDS, 2)), "shared", k=5)
    except BaseException as exc:  # reported by the main thread
        ledger.errors.append(exc)


def _run(mem: Any) -> list[Ledger]:
    start = threading.Barrier(THREADS)
    ledgers = [Ledger() for _ in range(THREADS)]
    threads = [threading.Thread(target=_worker, args=(mem, t, start, ledgers[t]), daemon=True)
               for t in range(THREADS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=300)
    assert not any(th.is_alive() for th in threads), "a thread is stuck (deadlock?)"
    return ledgers


def _assert_nothing_lost(mem: Any, ledgers: list[Ledger]) -> None:
    for t, ledger in enumerate(ledgers):
        if ledger.errors:
            raise AssertionError(f"thread {t} failed") from ledger.errors[0]
    for t, ledger in enumerate(ledgers):
        user = f"user{t}"
        assert ledger.cubes, f"thread {t} wrote nothing"
        for cid, (content, gone, version) in ledger.cubes.items():
            if gone:
                with pytest.raises(NotFoundError):
                    mem.get(cid, user)
            else:
                assert mem.get(cid, user).content == content
            assert len(mem.history(cid, user)) == version
        for cid in ledger.shared:
            assert mem.get(cid, "shared").state == Lifecycle.ACTIVE
    total = sum(len(ledger.cubes) + len(ledger.shared) for ledger in ledgers)
    stats = mem.stats()  # plus the slots cubes that recalls made
    assert stats.cubes - stats.by_kind.get("slots", 0) == total
    # The vector of every live cube is the one of its last content (no catch-up applied an
    # older state over a newer one), and full text finds it by that content's words.
    store = mem._store
    store.catch_up()
    for t, ledger in enumerate(ledgers):
        live = {cid: e[0] for cid, e in ledger.cubes.items() if not e[1]}
        with store.repo.read() as session:
            pks = {cid: store.repo.row_by_id(session, cid).pk for cid in live}
        stored = store.vectors.vectors([pks[cid] for cid in live])
        expected = np.asarray(store.embedder.embed(list(live.values())), dtype=np.float32)
        np.testing.assert_allclose(stored, expected, atol=1e-5)
        for cid, content in list(live.items())[:4]:
            hits = mem.search(content, f"user{t}", k=10, retrievers=["fulltext"],
                              record_access=False)
            assert cid in {h.id for h in hits}


@pytest.mark.slow
def test_eight_threads_on_one_instance_lose_nothing(mem):
    ledgers = _run(mem)
    _assert_nothing_lost(mem, ledgers)
    report = mem.check()
    assert report.ok, report.problems
    # and the indexes answer from what the threads left: a live cube is found by its text
    t, ledger = next((t, lg) for t, lg in enumerate(ledgers)
                     if any(not gone for _, gone, _ in lg.cubes.values()))
    cid, (content, _, _) = next((c, e) for c, e in ledger.cubes.items() if not e[1])
    assert cid in {h.id for h in mem.search(content, f"user{t}", k=5)}


@pytest.mark.slow
def test_threads_on_one_instance_then_reopen_agree(open_store):
    mem = open_store()
    ledgers = _run(mem)
    mem.close()
    again = open_store()
    _assert_nothing_lost(again, ledgers)
    assert again.check().ok


def test_index_upkeep_never_waits_for_a_connection_held_by_searches(tmp_path: Any,
                                                                    monkeypatch: Any) -> None:
    """Searches hold a pooled SQL connection while their dense half waits for the index
    lock; index upkeep (catch-up after writes) runs holding that lock. If it drew on the same
    pool, or waited for the process write lock held by a writer that itself waits for a
    pooled connection, as many concurrent searches as the pool has connections would stall
    everything for the pool's timeout (30 s). Here, while the lock is held, searches take
    every pooled connection, a writer takes the write lock and waits for a connection, and a
    second handle's change (its own full-text catch-up switched off, so that ours must write
    the full-text rows) is caught up all the same, at once."""
    import time

    import memos.parts
    from memos import MemOS

    monkeypatch.setattr(memos.parts, "OVERLAP_VECTORS", 1)  # the dense half on a worker,
    monkeypatch.setattr(memos.parts, "CORES", 1_000)  # however many searches are under way
    path = tmp_path / "s"
    with MemOS.open(path, embedder="hashing") as mem, MemOS.open(path, embedder="hashing") as other:
        mem.add_many([f"note {i} about the harbor and the lantern" for i in range(20)], "u")
        store = mem._store
        pool = store.repo.engine.pool
        capacity = pool.size() + pool._max_overflow  # type: ignore[attr-defined]
        failures: list[BaseException] = []
        lock_held, release = threading.Event(), threading.Event()
        caught_up: list[int] = []

        def guarded(work: Any) -> Any:
            def run() -> None:
                try:
                    work()
                except BaseException as exc:  # reported by the main thread
                    failures.append(exc)
            return run

        def upkeep_work() -> None:
            with store.index_lock:  # as after_write holds it while catching up
                lock_held.set()
                release.wait(30)
                caught_up.append(store.catch_up())

        def write_work() -> None:
            with store.repo.write() as session:  # the write lock, then a pooled connection
                session.connection()

        upkeep = threading.Thread(target=guarded(upkeep_work))
        upkeep.start()
        assert lock_held.wait(10)
        searches = [threading.Thread(target=guarded(lambda: mem.search("harbor lantern", "u")))
                    for _ in range(capacity + 2)]
        for t in searches:
            t.start()
        deadline = time.monotonic() + 20
        while pool.checkedout() < capacity and time.monotonic() < deadline:
            time.sleep(0.01)
        assert pool.checkedout() == capacity  # every search connection is taken
        other._store.after_write = lambda *a: None  # type: ignore[method-assign]
        other._store.sync.follow = lambda session: None  # type: ignore[method-assign]
        head = other.add("a change the first handle has not applied", "u").id
        fulltext_seq = other._store.sync.fulltext_seq
        with other._store.repo.read() as session:
            assert fulltext_seq(session) < other._store.sync.head()  # full text is behind
        writer = threading.Thread(target=guarded(write_work))
        writer.start()
        write_lock = store.repo._write_lock
        while write_lock.acquire(blocking=False) and time.monotonic() < deadline:
            write_lock.release()  # not yet taken by the writer
            time.sleep(0.01)
        release.set()
        upkeep.join(timeout=10)
        assert not upkeep.is_alive(), "the catch-up waited for a search or for the writer"
        for t in [*searches, writer]:
            t.join(timeout=60)
        assert not failures, failures[0]
        with store.repo.read() as session:
            assert fulltext_seq(session) == caught_up[0] == store.sync.head()
        hits = mem.search("the first handle has not applied", "u", retrievers=["fulltext"])
        assert [h.id for h in hits][:1] == [head]
