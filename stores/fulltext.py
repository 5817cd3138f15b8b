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
from typing import Any

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
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from memos.stores.repository import SCHEMA_LOCK, driver_rows, pg_xact_lock, sqlite_code
from memos.stores.schema import CubeRow

log = logging.getLogger(__name__)

_WORD = re.compile(r"\w+", re.UNICODE)

# A cube may carry text that situates it without being its content: `metadata["context"]`,
# e.g. the neighbouring turns of the conversation it came from. A reply such as "Yes, last
# Saturday!" is findable only through the question it answers. The context is indexed in a
# second column that counts CONTEXT_WEIGHT as much as the content (measured on LoCoMo:
# docs/RESULTS.md); it is never returned as content and never embedded.
# Row counts of query words are reused across searches while fewer than COUNT_SLACK changes
# have happened since they were counted (FullTextIndex.select_terms).
COUNT_SLACK = 200
# Counting a word's rows stops at COUNT_CAP_FACTOR times the bound on rows scored: a word
# past that is dropped whenever a rarer one exists, so its exact count changes nothing.
COUNT_CAP_FACTOR = 10
COUNT_CACHE_WORDS = 50_000
CONTEXT_KEY = "context"
CONTEXT_WEIGHT = 0.3
# The FTS5 tokenizer of SQLite's index (stores/bm25.py tokenizes with the same one).
TOKENIZE = "porter unicode61 remove_diacritics 2"


def context_of(meta: Any) -> str:
    """The searchable context text of a cube's metadata ('' when there is none)."""
    value = meta.get(CONTEXT_KEY) if isinstance(meta, dict) else None
    return value if isinstance(value, str) else ""


def _doc(doc: Sequence[Any]) -> tuple[int, str, str]:
    """(pk, content) or (pk, content, context) as (pk, content, context)."""
    return int(doc[0]), doc[1], doc[2] if len(doc) > 2 and doc[2] else ""


class FullTextIndex(ABC):
    """Common interface; `for_engine` picks the backend."""

    name = "fulltext"
    _counts: dict[str, tuple[int, int]]  # word -> (rows, seq counted at): see select_terms

    @staticmethod
    def for_engine(engine: Engine) -> FullTextIndex:
        if engine.dialect.name == "postgresql":
            return PostgresFullText(engine)
        return SqliteFullText(engine)

    @abstractmethod
    def upsert(self, session: Session, docs: Sequence[tuple[Any, ...]]) -> None:
        """Index (pk, content[, context]) tuples, replacing earlier text of the same pks."""

    @abstractmethod
    def remove(self, session: Session, pks: Sequence[int]) -> int:
        """Drop these pks from the index; returns how many were in it."""

    @abstractmethod
    def compact(self, session: Session) -> None:
        """Rewrite the index's storage so that no deleted document leaves a trace in it
        (after forget, archive or purge: their words must not stay in the index's files)."""

    @abstractmethod
    def clear(self, session: Session) -> None:
        """Empty the index (before a rebuild)."""

    @abstractmethod
    def all_pks(self, session: Session) -> set[int]:
        """Every pk in the index (for `check`)."""

    def damaged(self, session: Session) -> str | None:
        """What is wrong inside the index's own storage, when its engine can tell (SQLite's
        FTS5 segments); None when sound or not checkable (PostgreSQL's GIN index is the
        database's own: its `amcheck` is the operator's)."""
        return None

    def select_terms(self, session: Session, terms: Sequence[str],
                     max_postings: int | None, seq: int | None = None) -> list[str]:
        """The words of `terms` to query: cleaned, and the most frequent dropped while the
        query would match more than `max_postings` rows (see `keep_rare_terms`).

        With `seq` (the changelog seq the index reflects) a word's row count is remembered
        and reused while the changes since it was counted are at most a hundredth of it
        (and at most COUNT_SLACK): a count is then off by at most 1 %, so a handle that has
        run for a while drops the words a fresh one would, but at the edge of the bound.
        Counting is a scan of the word's postings, the cost that the bound exists to avoid,
        and only large counts are worth remembering."""
        words = clean_terms(terms)
        if max_postings is None or len(words) < 2:
            return words
        cap = COUNT_CAP_FACTOR * max_postings
        if seq is None:
            return keep_rare_terms(words, self.row_counts(session, words, cap), max_postings)
        cache = self._counts  # shared by threads: read each entry once, write whole entries
        known: dict[str, int] = {}
        for word in words:
            entry = cache.get(word)
            if entry is not None and abs(seq - entry[1]) <= min(COUNT_SLACK, entry[0] // 100):
                known[word] = entry[0]
        missing = [w for w in words if w not in known]
        if missing:
            if len(cache) > COUNT_CACHE_WORDS:
                cache.clear()
            for word, count in zip(missing, self.row_counts(session, missing, cap),
                                   strict=True):
                known[word] = count
                cache[word] = (count, seq)
        return keep_rare_terms(words, [known[w] for w in words], max_postings)

    def forget_counts(self) -> None:
        """Drop the remembered row counts (their keys are words callers searched for)."""
        self._counts = {}

    @abstractmethod
    def row_counts(self, session: Session, words: Sequence[str], cap: int | None = None
                   ) -> list[int]:
        """How many indexed rows match each word (no scoring), each count stopping at
        `cap` when given: past it a word is "frequent", and counting further would cost
        what the bound on full-text work is there to save."""

    @abstractmethod
    def top(self, session: Session, terms: Sequence[str], limit: int,
            max_rows: int | None = None) -> list[tuple[int, float]]:
        """Best `limit` (pk, score) over the WHOLE index (no scope): the caller filters.
        Cheaper than `search` when the caller's scope holds most of the best rows.

        `max_rows` bounds the rows scored: when the terms match more, only the most
        recently indexed `max_rows` of them are scored (a query whose rarest word is in
        hundreds of thousands of memories would otherwise cost a millisecond per thousand)."""

    @abstractmethod
    def search(self, session: Session, terms: Sequence[str], where: ColumnElement[bool],
               limit: int, max_postings: int | None = None) -> list[tuple[int, float]]:
        """Top `limit` (pk, score) of cubes matching any term and `where`, best first.

        `max_postings` bounds the rows scored (backends may drop frequent terms to keep it).
        """


def keep_rare_terms(words: Sequence[str], counts: Sequence[int], max_postings: int) -> list[str]:
    """The query words to keep, in order: rarest first while their rows fit `max_postings`
    (the rarest is always kept). Backends count rows; this decides the same way for both.

    Scoring costs about a microsecond per matching row, so one term found in a tenth of a
    100k store costs more than the rest of a search; a frequent term has a low IDF and
    mostly breaks ties, so it is the one to drop."""
    if sum(counts) <= max_postings:
        return list(words)
    kept: set[str] = set()
    total = 0
    for n, w in sorted(zip(counts, words, strict=True)):
        if kept and total + n > max_postings:
            break
        kept.add(w)
        total += n
    return [w for w in words if w in kept]


def clean_terms(terms: Sequence[str]) -> list[str]:
    """Keep word characters only: the one guarantee both query syntaxes need."""
    out: list[str] = []
    for term in terms:
        out.extend(w for w in _WORD.findall(term) if w)
    return list(dict.fromkeys(out))


# The FTS5 table of a SQLite store: made at open, and again by a rebuild (`clear`)
_CREATE_FTS = ("CREATE VIRTUAL TABLE {if_not_exists}cube_fts USING fts5("
               f"content, context, tokenize='{TOKENIZE}')")


class SqliteFullText(FullTextIndex):
    _fts = table("cube_fts", column("rowid"), column("content"), column("context"))

    def __init__(self, engine: Engine) -> None:
        self._counts = {}
        # A write transaction from the start (BEGIN IMMEDIATE): reading the layout and then
        # creating the table in one deferred transaction fails "database is locked" when
        # another process opens the same new store at the same moment.
        with engine.execution_options(memos_write=True).begin() as conn:
            columns = {r[1] for r in conn.exec_driver_sql("PRAGMA table_info(cube_fts)")}
            if columns and columns != {"content", "context"}:
                # Made by an earlier layout: drop it and let catch-up rebuild from seq 0.
                conn.exec_driver_sql("DROP TABLE cube_fts")
                conn.exec_driver_sql("DELETE FROM index_meta WHERE name = 'fulltext'")
                log.info("full-text index has an old layout; rebuilding it from the changelog")
            conn.exec_driver_sql(_CREATE_FTS.format(if_not_exists="IF NOT EXISTS "))

    def upsert(self, session: Session, docs: Sequence[tuple[Any, ...]]) -> None:
        if not docs:
            return
        rows = [_doc(d) for d in docs]
        self.remove(session, [pk for pk, _, _ in rows])
        session.execute(insert(self._fts),
                        [{"rowid": pk, "content": c, "context": x} for pk, c, x in rows])

    def remove(self, session: Session, pks: Sequence[int]) -> int:
        removed = 0
        for start in range(0, len(pks), 500):
            removed += session.execute(delete(self._fts).where(
                self._fts.c.rowid.in_(list(pks[start:start + 500])))).rowcount
        return removed

    def compact(self, session: Session) -> None:
        # FTS5 deletes by appending tombstones: the deleted document's terms stay in the old
        # segments of cube_fts_data until those are merged (this SQLite has no FTS5
        # 'secure-delete'). 'optimize' merges every segment into one holding only live
        # documents; the freed pages are zeroed by PRAGMA secure_delete.
        session.execute(text("INSERT INTO cube_fts(cube_fts) VALUES('optimize')"))

    def clear(self, session: Session) -> None:
        # Dropped and made again, not emptied: a DELETE leaves damaged segments (zeroed
        # pages, a torn write) in place, and the rebuild would write into them.
        session.execute(text("DROP TABLE IF EXISTS cube_fts"))
        session.execute(text(_CREATE_FTS.format(if_not_exists="")))
        self.forget_counts()

    def damaged(self, session: Session) -> str | None:
        try:  # FTS5's own check of its segments against its rows: raises when damaged
            session.execute(text("INSERT INTO cube_fts(cube_fts, rank) "
                                 "VALUES('integrity-check', 1)"))
        except DBAPIError as exc:
            if sqlite_code(exc) == 11:  # SQLITE_CORRUPT (FTS5: SQLITE_CORRUPT_VTAB)
                return str(exc.orig)
            raise  # a lock held past the busy timeout, say: not damage (`_driver_errors`)
        return None

    def all_pks(self, session: Session) -> set[int]:
        return {r[0] for r in session.execute(text("SELECT rowid FROM cube_fts"))}

    def row_counts(self, session: Session, words: Sequence[str], cap: int | None = None
                   ) -> list[int]:
        # One statement for all counts, on the driver: this runs on every large-store search.
        # FTS5 yields matches lazily, so a LIMIT stops the count at the cap.
        one = ("(SELECT count(*) FROM cube_fts WHERE cube_fts MATCH ?)" if cap is None else
               "(SELECT count(*) FROM (SELECT 1 FROM cube_fts WHERE cube_fts MATCH ? LIMIT ?))")
        params: list[Any] = []
        for w in words:
            params += [_quote([w])] if cap is None else [_quote([w]), int(cap)]
        row = driver_rows(session, "SELECT " + ", ".join(one for _ in words), params)[0]
        return [int(n) for n in row]

    def top(self, session: Session, terms: Sequence[str], limit: int,
            max_rows: int | None = None) -> list[tuple[int, float]]:
        words = clean_terms(terms)
        if not words:
            return []
        if max_rows is None:
            sql, params = ("SELECT rowid, bm25(cube_fts, 1.0, ?) AS s FROM cube_fts "
                           "WHERE cube_fts MATCH ? ORDER BY s LIMIT ?",
                           (CONTEXT_WEIGHT, _quote(words), limit))
        else:  # FTS5 walks matches in rowid order natively: newest first, then scored
            sql, params = ("SELECT rowid, s FROM (SELECT rowid, bm25(cube_fts, 1.0, ?) AS s "
                           "FROM cube_fts WHERE cube_fts MATCH ? ORDER BY rowid DESC LIMIT ?) "
                           "ORDER BY s LIMIT ?",
                           (CONTEXT_WEIGHT, _quote(words), int(max_rows), limit))
        return [(int(r[0]), -float(r[1])) for r in driver_rows(session, sql, params)]

    def search(self, session: Session, terms: Sequence[str], where: ColumnElement[bool],
               limit: int, max_postings: int | None = None) -> list[tuple[int, float]]:
        words = self.select_terms(session, terms, max_postings)
        if not words:
            return []
        fts = literal_column("cube_fts")
        score = func.bm25(fts, 1.0, CONTEXT_WEIGHT).label("score")
        stmt = (select(self._fts.c.rowid, score)
                .join_from(self._fts, CubeRow, CubeRow.pk == self._fts.c.rowid)
                .where(fts.op("MATCH")(bindparam("q", _quote(words))), where)
                .order_by(score).limit(limit))
        return [(int(r[0]), -float(r[1])) for r in session.execute(stmt)]


def _quote(words: Sequence[str]) -> str:
    """Each word as a quoted FTS5 string: operators and column filters in user text are inert."""
    return " OR ".join('"' + w.replace('"', '""') + '"' for w in words)


class PostgresFullText(FullTextIndex):
    _meta = MetaData()
    _fts = Table("cube_fts", _meta, Column("pk", BigInteger, primary_key=True),
                 Column("tsv", TSVECTOR))

    def __init__(self, engine: Engine) -> None:
        self._counts = {}
        with engine.begin() as conn:
            pg_xact_lock(conn, SCHEMA_LOCK)
            self._meta.create_all(conn)
            conn.exec_driver_sql(
                "CREATE INDEX IF NOT EXISTS ix_cube_fts_tsv ON cube_fts USING GIN (tsv)")

    def upsert(self, session: Session, docs: Sequence[tuple[Any, ...]]) -> None:
        if not docs:
            return
        rows = [_doc(d) for d in docs]
        self.remove(session, [pk for pk, _, _ in rows])
        # Content gets weight class A, context class D; search ranks D at CONTEXT_WEIGHT.
        # The weight is PostgreSQL's "char" type: an untyped literal, not a VARCHAR bind.
        tsv = func.setweight(func.to_tsvector("english", bindparam("c")),
                             literal_column("'A'")).op("||")(
            func.setweight(func.to_tsvector("english", bindparam("x")), literal_column("'D'")))
        session.execute(insert(self._fts).values(pk=bindparam("p"), tsv=tsv),
                        [{"p": pk, "c": c, "x": x} for pk, c, x in rows])

    def remove(self, session: Session, pks: Sequence[int]) -> int:
        removed = 0
        for start in range(0, len(pks), 500):
            removed += session.execute(delete(self._fts).where(
                self._fts.c.pk.in_(list(pks[start:start + 500])))).rowcount
        return removed

    def compact(self, session: Session) -> None:
        """Nothing to do: a deleted row is gone from every query and dump at once (its dead
        tuple is the server's to vacuum)."""

    def clear(self, session: Session) -> None:
        session.execute(delete(self._fts))

    def all_pks(self, session: Session) -> set[int]:
        return {r[0] for r in session.execute(select(self._fts.c.pk))}

    def row_counts(self, session: Session, words: Sequence[str], cap: int | None = None
                   ) -> list[int]:
        def count(i: int, w: str) -> Any:
            matches = select(self._fts.c.pk).where(
                self._fts.c.tsv.op("@@")(self._query([w], f"w{i}")))
            if cap is not None:
                matches = matches.limit(int(cap))
            return select(func.count()).select_from(matches.subquery()).scalar_subquery()

        counts = session.execute(select(*[count(i, w) for i, w in enumerate(words)])).one()
        return [int(c) for c in counts]

    @staticmethod
    def _query(words: Sequence[str], name: str = "q") -> Any:
        return func.to_tsquery("english", bindparam(name, " | ".join(f"'{w}'" for w in words)))

    def _score(self, query: Any) -> Any:
        # Weights are {D, C, B, A}: context (D) counts CONTEXT_WEIGHT of content (A).
        weights = literal_column(f"'{{{CONTEXT_WEIGHT}, {CONTEXT_WEIGHT}, 1.0, 1.0}}'::float4[]")
        return func.ts_rank_cd(weights, self._fts.c.tsv, query).label("score")

    def top(self, session: Session, terms: Sequence[str], limit: int,
            max_rows: int | None = None) -> list[tuple[int, float]]:
        words = clean_terms(terms)
        if not words:
            return []
        query = self._query(words)
        if max_rows is None:
            score = self._score(query)
            stmt = (select(self._fts.c.pk, score).where(self._fts.c.tsv.op("@@")(query))
                    .order_by(desc(score), self._fts.c.pk).limit(limit))
        else:  # the newest max_rows matches, then scored
            newest = (select(self._fts.c.pk, self._fts.c.tsv)
                      .where(self._fts.c.tsv.op("@@")(query))
                      .order_by(desc(self._fts.c.pk)).limit(int(max_rows)).subquery())
            weights = literal_column(
                f"'{{{CONTEXT_WEIGHT}, {CONTEXT_WEIGHT}, 1.0, 1.0}}'::float4[]")
            score = func.ts_rank_cd(weights, newest.c.tsv, query).label("score")
            stmt = (select(newest.c.pk, score).order_by(desc(score), newest.c.pk)
                    .limit(limit))
        return [(int(r[0]), float(r[1])) for r in session.execute(stmt)]

    def search(self, session: Session, terms: Sequence[str], where: ColumnElement[bool],
               limit: int, max_postings: int | None = None) -> list[tuple[int, float]]:
        words = self.select_terms(session, terms, max_postings)
        if not words:
            return []
        query = self._query(words)
        score = self._score(query)
        stmt = (select(self._fts.c.pk, score)
                .join_from(self._fts, CubeRow, CubeRow.pk == self._fts.c.pk)
                .where(self._fts.c.tsv.op("@@")(query), where)
                .order_by(desc(score), self._fts.c.pk).limit(limit))
        return [(int(r[0]), float(r[1])) for r in session.execute(stmt)]
