"""Access statistics: a full buffer is written by a background thread (the search that
filled it does not wait for SQL), nothing is lost when a batch fails, and close writes the
rest."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from memos.facade import MemOS
from memos.stores.access import AccessBuffer

WAIT_S = 30.0  # a generous bound for a thread that should finish at once (no timing claim)


def _hits(mem: MemOS, ids: list[str]) -> list[int]:
    return [mem.get(i, "u").access.hits for i in ids]


@pytest.fixture()
def store(tmp_path: Path) -> Any:
    mem = MemOS.open(tmp_path / "s")
    ids = [mem.add(f"note number {i} about the {w} kite", "u").id
           for i, w in enumerate(["red", "green", "blue", "amber", "violet", "grey"])]
    yield mem, ids
    mem.close()


def _buffer(store: Any, limit: int) -> tuple[MemOS, list[str], AccessBuffer, list[int]]:
    """The fixture's store, its cubes' ids, its access buffer (full at `limit` cubes) and
    the cubes' pks."""
    mem, ids = store
    buf: AccessBuffer = mem._store.access
    buf.limit = limit
    return mem, ids, buf, _pks(mem, ids)


def _pks(mem: MemOS, ids: list[str]) -> list[int]:
    with mem._store.repo.read() as session:
        return [mem._store.repo.row_by_id(session, i).pk for i in ids]


def test_a_full_buffer_is_written_by_the_background_writer(store: Any,
                                                           monkeypatch: Any) -> None:
    mem, ids, buf, pks = _buffer(store, 3)
    started, release = threading.Event(), threading.Event()
    writers: list[str] = []
    real_write = buf._write

    def slow_write(pending: dict[int, Any]) -> None:
        writers.append(threading.current_thread().name)
        started.set()
        assert release.wait(WAIT_S)
        real_write(pending)

    monkeypatch.setattr(buf, "_write", slow_write)
    noter = threading.Thread(target=buf.note, args=(pks[:3],))
    noter.start()
    assert started.wait(WAIT_S)
    # The batch is held in SQL's place, yet the caller that filled the buffer returned.
    noter.join(WAIT_S)
    assert not noter.is_alive()
    assert writers == ["memos-access"]
    release.set()
    buf.flush()  # waits for the batch under way
    assert _hits(mem, ids[:3]) == [1, 1, 1]


def test_a_failed_background_batch_keeps_its_counts(store: Any, monkeypatch: Any,
                                                    caplog: Any) -> None:
    from memos.stores import access

    monkeypatch.setattr(access, "RETRY_AFTER_S", 3600.0)  # no retry during the test
    mem, ids, buf, pks = _buffer(store, 2)
    real_write = buf._write
    failed = threading.Event()
    batches: list[int] = []

    def failing_write(pending: dict[int, Any]) -> None:
        batches.append(len(pending))
        if len(batches) == 1:  # only the first batch fails
            failed.set()
            raise OSError("disk full")
        real_write(pending)

    monkeypatch.setattr(buf, "_write", failing_write)
    buf.note(pks[:2])  # fills the buffer: the background batch fails
    assert failed.wait(WAIT_S)
    buf.stop()  # joins the writer: the failed batch has put its counts back
    assert batches == [2]
    buf._stopped = False  # the writer may run again (stop() is for close)
    buf.note(pks[:1])  # full again, but just after a failure: no batch starts yet
    assert buf._writer is not None and not buf._writer.is_alive() and batches == [2]
    mem.flush()
    assert _hits(mem, ids[:2]) == [2, 1]
    assert batches == [2, 2]
    assert "access statistics not written yet" in caplog.text


def test_counts_noted_during_a_failing_batch_add_up(store: Any, monkeypatch: Any) -> None:
    mem, ids, buf, pks = _buffer(store, 2)
    real_write = buf._write
    inside, release = threading.Event(), threading.Event()

    def failing_write(pending: dict[int, Any]) -> None:
        monkeypatch.setattr(buf, "_write", real_write)
        inside.set()
        assert release.wait(WAIT_S)
        raise OSError("database is locked")

    monkeypatch.setattr(buf, "_write", failing_write)
    buf.note(pks[:2])  # the batch that will fail
    assert inside.wait(WAIT_S)
    before = buf.pending.get(pks[0])
    buf.note(pks[:1])  # noted while that batch is under way
    later_at = buf.pending[pks[0]][1]
    release.set()
    buf.flush()  # after the failed batch put its counts back under the later ones
    assert before is None
    assert _hits(mem, ids[:2]) == [2, 1]
    assert mem.get(ids[0], "u").access.last_access == later_at


def test_an_in_memory_store_writes_counts_on_the_callers_thread(tmp_path: Path) -> None:
    """In-memory SQLite gives each thread its own empty database: no background writer."""
    with MemOS.open("sqlite://", index_dir=tmp_path) as mem:
        ids = [mem.add(f"fact {i} about owls", "u").id for i in range(2)]
        buf = mem._store.access
        assert buf.background is False
        buf.limit = 2
        buf.note(_pks(mem, ids))
        assert buf.pending == {} and buf._writer is None
        assert _hits(mem, ids) == [1, 1]


def test_close_stops_the_writer_and_writes_the_rest(tmp_path: Path) -> None:
    mem = MemOS.open(tmp_path / "s")
    ids = [mem.add(f"fact {i} about herons", "u").id for i in range(4)]
    buf = mem._store.access
    buf.limit = 2
    pks = _pks(mem, ids)
    buf.note(pks[:2])  # a background batch
    buf.note(pks[2:3])  # waits in the buffer
    writer = buf._writer
    mem.close()
    assert writer is not None and not writer.is_alive()
    with MemOS.open(tmp_path / "s") as again:
        assert _hits(again, ids) == [1, 1, 1, 0]


def test_after_stop_a_full_buffer_is_written_by_its_caller(store: Any) -> None:
    mem, ids = store
    buf: AccessBuffer = mem._store.access
    buf.limit = 2
    buf.stop()
    buf.note(_pks(mem, ids[:2]))
    assert buf.pending == {} and buf._writer is None
    assert _hits(mem, ids[:2]) == [1, 1]


def test_notes_during_a_failing_batch_do_not_retry_it_at_once(store: Any,
                                                              monkeypatch: Any) -> None:
    """Notes that fill the buffer while a batch is failing wake the writer; it waits out
    RETRY_AFTER_S before the next batch instead of starting it at once."""
    from memos.stores import access

    monkeypatch.setattr(access, "RETRY_AFTER_S", 3600.0)
    monkeypatch.setattr(access, "BATCH_EVERY_S", 0.0)  # (only failures hold batches back)
    mem, ids, buf, pks = _buffer(store, 1)
    inside, release = threading.Event(), threading.Event()
    batches: list[int] = []

    def failing_write(pending: dict[int, Any]) -> None:
        batches.append(len(pending))
        inside.set()
        assert release.wait(WAIT_S)
        raise OSError("database is locked")

    class Watched(threading.Event):
        """The writer's wake-up event, counting the writer's waits on it."""

        def __init__(self) -> None:
            super().__init__()
            self.waits = 0
            self.third = threading.Event()

        def wait(self, timeout: float | None = None) -> bool:
            self.waits += 1
            if self.waits == 3:  # 1: first batch; 2: woken during it; 3: what came next
                self.third.set()
            return super().wait(timeout)

    wake = Watched()
    monkeypatch.setattr(buf, "_wake", wake)
    monkeypatch.setattr(buf, "_write", failing_write)
    buf.note(pks[:1])
    assert inside.wait(WAIT_S)
    buf.note(pks[1:2])  # fills the buffer again while the batch fails: wakes the writer
    release.set()
    assert wake.third.wait(WAIT_S)  # the writer waits again: after a retry, or not
    assert batches == [1]
    buf.stop()
    assert sum(n for n, _ in buf.pending.values()) == 2  # nothing lost
    monkeypatch.undo()  # the store's close writes them with the real writer


@pytest.mark.parametrize("version", [(3, 40), (3, 30)], ids=["update-from", "executemany"])
def test_a_batch_writes_every_count_in_chunks_or_row_by_row(store: Any, monkeypatch: Any,
                                                            version: tuple[int, int]) -> None:
    """SQLite from 3.33 takes a batch as UPDATE ... FROM (VALUES ...) statements of
    UPDATE_CHUNK counts; older SQLite row by row. Both write the same counts and times."""
    from memos.stores import access

    mem, ids = store
    buf: AccessBuffer = mem._store.access
    monkeypatch.setattr(access, "UPDATE_CHUNK", 4)  # 6 cubes: two statements
    monkeypatch.setattr(access.sqlite3, "sqlite_version_info", version)
    pks = _pks(mem, ids)
    buf.stop()  # this caller's thread writes: the test reads right after
    buf.note(pks)
    buf.note(pks[:2])
    at = buf.pending[pks[0]][1]
    buf.flush()
    assert _hits(mem, ids) == [2, 2, 1, 1, 1, 1]
    assert mem.get(ids[0], "u").access.last_access == at


def _counting_batches(buf: AccessBuffer, monkeypatch: Any
                      ) -> tuple[list[int], threading.Semaphore]:
    """(sizes of the batches written from now on, a semaphore released after each)."""
    real_write = buf._write
    batches: list[int] = []
    written = threading.Semaphore(0)

    def counting_write(pending: dict[int, Any]) -> None:
        real_write(pending)
        batches.append(len(pending))
        written.release()

    monkeypatch.setattr(buf, "_write", counting_write)
    return batches, written


def test_background_batches_start_at_most_every_batch_every_s(store: Any,
                                                              monkeypatch: Any) -> None:
    """Each batch is a commit that tells other server processes their indexes may be
    behind: a buffer that fills again within BATCH_EVERY_S of the last batch waits, unless
    HOLD_AT_MOST cubes wait. Counts are never lost either way."""
    from memos.stores import access

    clock = [1000.0]
    monkeypatch.setattr(access, "_now", lambda: clock[0])
    monkeypatch.setattr(access, "HOLD_AT_MOST", 4)
    # (long: the writer's own wait for held counts, in real seconds, never ends in the test)
    monkeypatch.setattr(access, "BATCH_EVERY_S", 3600.0)
    mem, ids, buf, pks = _buffer(store, 2)
    batches, written = _counting_batches(buf, monkeypatch)
    buf.note(pks[:2])  # full: the first batch starts at once
    assert written.acquire(timeout=WAIT_S) and batches == [2]
    buf.note(pks[2:4])  # full again at the same instant: held
    buf.note(pks[2:3])  # (still held)
    assert len(buf.pending) == 2 and batches == [2]
    clock[0] += access.BATCH_EVERY_S
    buf.note(pks[4:5])  # the interval has passed: this note starts the batch
    assert written.acquire(timeout=WAIT_S) and batches == [2, 3]
    buf.note(pks[:2])  # held again...
    assert len(buf.pending) == 2 and batches == [2, 3]
    buf.note(pks[2:4])  # ...until HOLD_AT_MOST cubes wait
    assert written.acquire(timeout=WAIT_S) and batches == [2, 3, 4]
    assert _hits(mem, ids) == [2, 2, 3, 2, 1, 0]


def test_held_counts_are_written_when_the_interval_ends_with_no_further_read(
        store: Any, monkeypatch: Any) -> None:
    """Counts held back by BATCH_EVERY_S do not wait for the next search to be written:
    the writer starts their batch itself when the interval is over."""
    from memos.stores import access

    monkeypatch.setattr(access, "_now", lambda: 1000.0)  # no note ever sees the interval end
    monkeypatch.setattr(access, "BATCH_EVERY_S", 0.05)  # the writer's own wait: 50 ms
    mem, ids, buf, pks = _buffer(store, 2)
    batches, written = _counting_batches(buf, monkeypatch)
    buf.note(pks[:2])
    assert written.acquire(timeout=WAIT_S) and batches == [2]
    buf.note(pks[2:4])  # held: a batch started "just now"
    assert written.acquire(timeout=WAIT_S) and batches == [2, 2]  # written all the same
    assert _hits(mem, ids) == [1, 1, 1, 1, 0, 0]
