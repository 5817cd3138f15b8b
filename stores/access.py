"""Access statistics (hits, last access) of reads, written to SQL in batches."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, update

from memos.cube import utcnow
from memos.stores.repository import Repository, sqlite_errors_wrapped
from memos.stores.schema import CubeRow

log = logging.getLogger(__name__)

UPDATE_CHUNK = 2000  # counts per UPDATE statement (3 parameters each; SQLite allows 32,766)
RETRY_AFTER_S = 5.0  # after a failed background batch, the next waits at least this long
BATCH_EVERY_S = 1.0  # background batches start at most this often...
HOLD_AT_MOST = 50_000  # ...unless this many cubes wait (bounds the buffer's memory)
_now = time.monotonic  # the clock of the two limits above (tests replace it; the writer's
# own wait for held counts still sleeps in real seconds)


class AccessBuffer:
    """Access statistics (hits, last access) of reads, written in batches.

    Searches stay read-only transactions: counts gather here and go to SQL in one batch
    once `limit` cubes wait (on SQLite 3.33+ one `UPDATE ... FROM (VALUES ...)` statement per
    UPDATE_CHUNK counts, else executemany), and on flush (close, stats, export). A crash loses
    at most the unwritten counts, never a memory.

    The batch a full buffer starts is written by a background thread, not by the search
    that filled it: the counts live in the wide `cubes` rows, so a thousand scattered
    updates rewrite about a thousand pages (and may end in a WAL checkpoint), tens of
    milliseconds that one unlucky search would otherwise wait for. Background batches start
    at most every BATCH_EVERY_S (unless HOLD_AT_MOST cubes wait; counts held back are
    written when the interval ends, with no further read needed, except after a failed
    batch, whose counts wait for a read after RETRY_AFTER_S): each is a commit, and a
    commit tells every server process sharing the SQLite file that its indexes may be
    behind (`Repository.file_marks`), which sends its next search to a worker thread; a
    busy server also gathers repeated hits of the same cubes into one row update.
    `flush()` writes synchronously, after any batch under way. A background batch that
    fails (the database locked past its timeout, a full disk) is logged and its counts wait
    for the next one, no sooner than RETRY_AFTER_S later.
    """

    def __init__(self, repo: Repository, limit: int = 1000, background: bool = True) -> None:
        self.repo = repo
        self.limit = limit
        self.background = background
        self.pending: dict[int, tuple[int, datetime]] = {}
        self._lock = threading.Lock()  # guards pending and the writer thread's state
        self._writing = threading.Lock()  # one batch goes to SQL at a time
        self._wake = threading.Event()
        self._writer: threading.Thread | None = None
        self._stopped = False
        self._retry_at = 0.0  # _now() before which no background batch starts
        self._next_batch_at = 0.0  # _now() before which no background batch starts unless
        # HOLD_AT_MOST cubes wait
        self._held_until: float | None = None  # _now() at which held counts are due: the
        # writer starts their batch then by itself (None: none held)

    def note(self, pks: Sequence[int]) -> None:
        now = utcnow()
        with self._lock:
            for pk in pks:
                count = self.pending.get(pk, (0, now))[0]
                self.pending[pk] = (count + 1, now)
            full = len(self.pending) >= self.limit
            later = full and self.background and not self._stopped
            if later and _now() < self._retry_at:  # a batch failed just now:
                return  # the counts wait here for the next try
            if later and _now() < self._next_batch_at and len(self.pending) < HOLD_AT_MOST:
                # A batch started less than BATCH_EVERY_S ago: the counts are held, and
                # the writer starts their batch when the interval ends (woken once to
                # learn when).
                if self._held_until is not None:
                    return
                self._held_until = self._next_batch_at
            elif later:
                self._held_until = None  # due now
            if later and (self._writer is None or not self._writer.is_alive()):
                self._writer = threading.Thread(target=self._run, name="memos-access",
                                                daemon=True)
                self._writer.start()
        if later:
            self._wake.set()
        elif full:
            self.flush()

    def flush(self) -> None:
        """Write every count noted so far (after any batch under way); errors raise."""
        with self._writing:
            with self._lock:
                if not self.pending:
                    return
                pending, self.pending = self.pending, {}
            try:
                self._write(pending)
            except BaseException:
                self._restore(pending)
                raise

    def stop(self) -> None:
        """End the background writer (after the batch it is writing); `flush()` still
        writes. Called when the store closes."""
        with self._lock:
            self._stopped = True
            writer = self._writer
        self._wake.set()
        if writer is not None and writer is not threading.current_thread():
            writer.join()

    def _run(self) -> None:
        while True:
            with self._lock:
                held_until = self._held_until
            woken = self._wake.wait(None if held_until is None else
                                    max(0.0, held_until - _now()))
            self._wake.clear()
            if self._stopped:
                return
            with self._lock:
                if woken and self._held_until is not None:  # counts held: wait for their
                    continue  # time (a timed-out wait means it has come)
                self._held_until = None
            if _now() < self._retry_at:  # woken during a failing batch: the
                continue  # counts wait in pending; the next note() after the wait wakes it
            with self._lock:
                if not self.pending:  # (a wake-up whose counts a flush already wrote)
                    continue
            self._next_batch_at = _now() + BATCH_EVERY_S
            try:
                self.flush()
            except Exception as exc:  # the counts are back in pending for the next batch
                self._retry_at = _now() + RETRY_AFTER_S
                log.warning("access statistics not written yet (%s: %s); they are kept for "
                            "the next batch", type(exc).__name__, exc)

    def _restore(self, pending: dict[int, tuple[int, datetime]]) -> None:
        """Put the counts of a batch that failed back under those noted since."""
        with self._lock:
            for pk, (n, at) in pending.items():
                later_n, later_at = self.pending.get(pk, (0, at))
                self.pending[pk] = (n + later_n, max(at, later_at))

    def _write(self, pending: dict[int, tuple[int, datetime]]) -> None:
        with self.repo.write() as session:
            conn = session.connection()
            if conn.dialect.name == "sqlite":
                # On the driver: by development timings SQLAlchemy's executemany cost more
                # than SQLite's own work here.
                # Each search's cubes share its one timestamp: converted once per search.
                texts = {at: self.repo.datetime_param(at)
                         for at in {at for _, at in pending.values()}}
                rows = [(pk, n, texts[at]) for pk, (n, at) in pending.items()]
                driver = conn.connection.dbapi_connection
                if sqlite3.sqlite_version_info >= (3, 33):
                    # One statement per chunk (UPDATE ... FROM): SQLite does the chunk in one
                    # step without the GIL, where executemany takes the GIL back between
                    # rows, contending with the searches of this process all batch long.
                    for start in range(0, len(rows), UPDATE_CHUNK):
                        chunk = rows[start:start + UPDATE_CHUNK]
                        sql = ("UPDATE cubes SET hits = hits + v.n, last_access = v.at FROM "
                               "(SELECT column1 AS pk, column2 AS n, column3 AS at FROM "
                               f"(VALUES {', '.join(['(?, ?, ?)'] * len(chunk))})) AS v "
                               "WHERE cubes.pk = v.pk")
                        with sqlite_errors_wrapped(sql):
                            driver.execute(sql, [x for row in chunk for x in row])
                    return
                sql = "UPDATE cubes SET hits = hits + ?, last_access = ? WHERE pk = ?"
                with sqlite_errors_wrapped(sql):
                    driver.executemany(sql, [(n, at, pk) for pk, n, at in rows])
                return
            cubes = CubeRow.__table__
            stmt = (update(cubes).where(cubes.c.pk == bindparam("b_pk"))
                    .values(hits=cubes.c.hits + bindparam("b_n"),
                            last_access=bindparam("b_at")))
            conn.execute(stmt, [{"b_pk": pk, "b_n": n, "b_at": at}
                                for pk, (n, at) in pending.items()])
