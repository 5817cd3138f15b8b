"""The other way to keep activation blobs on PostgreSQL, kept only to measure it.

`memos bench blobs` compares the store's choice (content-addressed safetensors files in a
per-machine folder, a row per blob in SQL) with keeping the bytes themselves in SQL (one
`bytea` / BLOB column), on whatever database URL it is given. This module holds the SQL of
that comparison: a scratch table made for one run and dropped after it.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from sqlalchemy import Column, LargeBinary, MetaData, String, Table, create_engine, select
from sqlalchemy.engine import Engine


class SqlBlobTable:
    """A scratch table `memos_blob_bench_<random>` of (hash, bytes), dropped by `drop`."""

    def __init__(self, url: str) -> None:
        self.engine: Engine = create_engine(url)
        self.meta = MetaData()
        self.table = Table(f"memos_blob_bench_{secrets.token_hex(4)}", self.meta,
                           Column("hash", String(64), primary_key=True),
                           Column("data", LargeBinary, nullable=False))
        self.meta.create_all(self.engine)

    def put(self, blob_hash: str, data: bytes) -> None:
        """One blob in its own committed transaction (as a recall stores each new blob)."""
        with self.engine.begin() as conn:
            conn.execute(self.table.insert().values(hash=blob_hash, data=data))

    def get_many(self, hashes: Iterable[str]) -> dict[str, bytes]:
        """The bytes of these blobs, in one query."""
        wanted = list(hashes)
        with self.engine.connect() as conn:
            rows = conn.execute(select(self.table.c.hash, self.table.c.data)
                                .where(self.table.c.hash.in_(wanted)))
            return {h: bytes(d) for h, d in rows}

    def drop(self) -> None:
        self.meta.drop_all(self.engine)
        self.engine.dispose()
