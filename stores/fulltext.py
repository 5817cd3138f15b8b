"""Full-text (BM25-style) search: SQLite FTS5 or PostgreSQL tsvector behind one interface.

The index lives in the same database as the cubes, so it is updated together with its
`index_meta` seq in one transaction: it can lag the changelog (it catches up after each
commit) but never disagrees with the seq it records. Callers pass query *terms* (plain
words); each backend quotes them itself, so user text never reaches the query syntax.
"""

from __future__ import annotations

import logging
import re
from abc import ABC, abstractmethod
from collections.abc import Sequence

from memos.stores.schema import CubeRow
from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    MetaData,
    Table,
    bindparam,
    column,
    delete,
    desc,
    func,
    insert,
    literal_column,
    select,
    table,
    text,
)
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

_WORD = re.compile(r"\w+", re.UNICODE)


class FullTextIndex(ABC):
    """Common interface; `for_engine` picks the backend."""

    name = "fulltext"

    @staticmethod
    def for_engine(engine: Engine) -> FullTextIndex:
        if engine.dialect.name == "postgresql":
            return PostgresFullText(engine)
        return SqliteFullText(engine)

    @abstractmethod
    def upsert(self, session: Session, docs: Sequence[tuple[int, str]]) -> None:
        """Index (pk, content) pairs, replacing earlier text of the same pks."""

    @abstractmethod
    def remove(self, session: Session, pks: Sequence[int]) -> None:
        """Drop these pks from the index."""

    @abstractmethod
    def clear(self, session: Session) -> None:
        """Empty the index (before a rebuild)."""

    @abstractmethod
    def all_pks(self, session: Session) -> set[int]:
        """Every pk in the index (for `check`)."""

    @abstractmethod
    def search(self, session: Session, terms: Sequence[str], where: ColumnElement[bool],
               limit: int) -> list[tuple[int, float]]:
        """Top `limit` (pk, score) of cubes matching any term and `where`, best first."""


def _clean_terms(terms: Sequence[str]) -> list[str]:
    """Keep word characters only: the one guarantee both query syntaxes need."""
    out: list[str] = []
    for term in terms:
        out.extend(w for w in _WORD.findall(term) if w)
    return list(dict.fromkeys(out))


class SqliteFullText(FullTextIndex):
    _fts = table("cube_fts", column("rowid"), column("content"))

    def __init__(self, engine: Engine) -> None:
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "CREATE VIRTUAL TABLE IF NOT EXISTS cube_fts USING fts5("
                "content, tokenize='porter unicode61 remove_diacritics 2')")

    def upsert(self, session: Session, docs: Sequence[tuple[int, str]]) -> None:
        if not docs:
            return
        self.remove(session, [pk for pk, _ in docs])
        session.execute(insert(self._fts), [{"rowid": pk, "content": c} for pk, c in docs])

    def remove(self, session: Session, pks: Sequence[int]) -> None:
        for start in range(0, len(pks), 500):
            session.execute(delete(self._fts).where(self._fts.c.rowid.in_(list(pks[start:start + 500]))))

    def clear(self, session: Session) -> None:
        session.execute(text("DELETE FROM cube_fts"))

    def all_pks(self, session: Session) -> set[int]:
        return {r[0] for r in session.execute(text("SELECT rowid FROM cube_fts"))}

    def search(self, session: Session, terms: Sequence[str], where: ColumnElement[bool],
               limit: int) -> list[tuple[int, float]]:
        words = _clean_terms(terms)
        if not words:
            return []
        # Each word is a quoted FTS5 string: operators and column filters in user text are inert.
        query = " OR ".join('"' + w.replace('"', '""') + '"' for w in words)
        fts = literal_column("cube_fts")
        score = func.bm25(fts).label("score")
        stmt = (select(self._fts.c.rowid, score)
                .join_from(self._fts, CubeRow, CubeRow.pk == self._fts.c.rowid)
                .where(fts.op("MATCH")(bindparam("q", query)), where)
                .order_by(score).limit(limit))
        return [(int(r[0]), -float(r[1])) for r in session.execute(stmt)]


class PostgresFullText(FullTextIndex):
    _meta = MetaData()
    _fts = Table("cube_fts", _meta, Column("pk", BigInteger, primary_key=True),
                 Column("tsv", TSVECTOR))

    def __init__(self, engine: Engine) -> None:
        with engine.begin() as conn:
            self._meta.create_all(conn)
            conn.exec_driver_sql(
                "CREATE INDEX IF NOT EXISTS ix_cube_fts_tsv ON cube_fts USING GIN (tsv)")

    def upsert(self, session: Session, docs: Sequence[tuple[int, str]]) -> None:
        if not docs:
            return
        self.remove(session, [pk for pk, _ in docs])
        session.execute(
            insert(self._fts).values(pk=bindparam("p"),
                                     tsv=func.to_tsvector("english", bindparam("c"))),
            [{"p": pk, "c": c} for pk, c in docs])

    def remove(self, session: Session, pks: Sequence[int]) -> None:
        if pks:
            session.execute(delete(self._fts).where(self._fts.c.pk.in_(list(pks))))

    def clear(self, session: Session) -> None:
        session.execute(delete(self._fts))

    def all_pks(self, session: Session) -> set[int]:
        return {r[0] for r in session.execute(select(self._fts.c.pk))}

    def search(self, session: Session, terms: Sequence[str], where: ColumnElement[bool],
               limit: int) -> list[tuple[int, float]]:
        words = _clean_terms(terms)
        if not words:
            return []
        query = func.to_tsquery("english", bindparam("q", " | ".join(f"'{w}'" for w in words)))
        score = func.ts_rank_cd(self._fts.c.tsv, query).label("score")
        stmt = (select(self._fts.c.pk, score)
                .join_from(self._fts, CubeRow, CubeRow.pk == self._fts.c.pk)
                .where(self._fts.c.tsv.op("@@")(query), where)
                .order_by(desc(score)).limit(limit))
        return [(int(r[0]), float(r[1])) for r in session.execute(stmt)]
