"""Access statistics (hits, last access) of reads, written to SQL in batches."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, update

from memos.cube import utcnow
from memos.stores.repository import Repository, sqlite_errors_wrapped
from memos.stores.schema import CubeRow


class AccessBuffer:
    """Access statistics (hits, last access) of reads, written in batches.

    Searches stay read-only transactions: counts gather here and go to SQL in one
    executemany every `limit` cubes, and on flush (close, stats, export). A crash loses at
    most the unwritten counts, never a memory.
    """

    def __init__(self, repo: Repository, limit: int = 1000) -> None:
        self.repo = repo
        self.limit = limit
        self.pending: dict[int, tuple[int, datetime]] = {}
        self._lock = threading.Lock()

    def note(self, pks: Sequence[int]) -> None:
        now = utcnow()
        with self._lock:
            for pk in pks:
                count = self.pending.get(pk, (0, now))[0]
                self.pending[pk] = (count + 1, now)
            full = len(self.pending) >= self.limit
        if full:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            if not self.pending:
                return
            pending, self.pending = self.pending, {}
        with self.repo.write() as session:
            conn = session.connection()
            if conn.dialect.name == "sqlite":
                # On the driver: by development timings SQLAlchemy's executemany cost more
                # than SQLite's own work here, on the thread of whichever search filled the
                # buffer.
                at_param = self.repo.datetime_param
                sql = "UPDATE cubes SET hits = hits + ?, last_access = ? WHERE pk = ?"
                with sqlite_errors_wrapped(sql):
                    conn.connection.dbapi_connection.executemany(
                        sql, [(n, at_param(at), pk) for pk, (n, at) in pending.items()])
                return
            cubes = CubeRow.__table__
            stmt = (update(cubes).where(cubes.c.pk == bindparam("b_pk"))
                    .values(hits=cubes.c.hits + bindparam("b_n"),
                            last_access=bindparam("b_at")))
            conn.execute(stmt, [{"b_pk": pk, "b_n": n, "b_at": at}
                                for pk, (n, at) in pending.items()])
