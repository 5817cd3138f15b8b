"""Full-text (BM25-style) search: SQLite FTS5 or PostgreSQL tsvector behind one interface.

The index lives in the same database as the cubes, so it is updated together with its
`index_meta` seq in one transaction: it can lag the changelog (it catches up after each
commit) but never disagrees with the seq it records. Callers pass query *terms* (plain
words); each backend quotes them itself, so user text never reaches the query syntax.
"""

from __future__ import annotations

import logging
import re
import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
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
    or_,
    select,
    table,
    text,
)
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from memos.cube import Visibility
from memos.stores.repository import SCHEMA_LOCK, driver_rows, pg_xact_lock, sqlite_code
from memos.stores.schema import CubeRow

if TYPE_CHECKING:
    from memos.stores.bm25 import Tokenizer

log = logging.getLogger(__name__)

_WORD = re.compile(r"\w+", re.UNICODE)

# A cube may carry text that situates it without being its content: `metadata["context"]`,
# e.g. the neighbouring turns of the conversation it came from. A reply such as "Yes, last
# Saturday!" is findable only through the question it answers. The context is indexed in a
# second column that counts CONTEXT_WEIGHT as much as the content (measured on LoCoMo:
# docs/RESULTS.md); it is never returned as content and never embedded.
CONTEXT_KEY = "context"
CONTEXT_WEIGHT = 0.3
# Counting a word's rows stops at COUNT_CAP_FACTOR times the bound on rows scored: a word
# past that is dropped whenever a rarer one exists, so its exact count changes nothing.
COUNT_CAP_FACTOR = 10
STATS_CACHE_READERS = 50_000  # readers whose row and token totals are remembered
# The FTS5 tokenizer of SQLite's index (stores/bm25.py tokenizes with the same one).
TOKENIZE = "porter unicode61 remove_diacritics 2"


PUBLIC = Visibility.PUBLIC.value


@dataclass(frozen=True)
class Reader:
    """The user a full-text query is scored for. Her query matches, counts and is scored
    over the rows she may read: her own (every agent's, whatever their visibility) and
    public ones, with BM25 statistics (rows, tokens, rows per word) over those rows alone,
    so that nothing in the order of her hits depends on another user's private cubes
    (docs/SECURITY.md). `user_id` None: public rows only."""

    user_id: str | None


def reader_clause(reader: Reader) -> ColumnElement[bool]:
    """The cubes whose words may count in `reader`'s scores."""
    public = CubeRow.visibility == PUBLIC
    return public if reader.user_id is None else or_(CubeRow.user_id == reader.user_id,
                                                      public)


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
                     max_postings: int | None, reader: Reader | None = None) -> list[str]:
        """The words of `terms` to query: cleaned, and the most frequent dropped while the
        query would match more than `max_postings` rows (see `keep_rare_terms`); with
        `reader`, rows she may read (`Reader`). Counted at each call: a count remembered
        while the store changed little (as before 2026-12-04) is fresh or not depending on
        how many changes every user made since, which a reader must not learn."""
        words = clean_terms(terms)
        if max_postings is None or len(words) < 2:
            return words
        cap = COUNT_CAP_FACTOR * max_postings
        return keep_rare_terms(words, self.row_counts(session, words, cap, reader),
                               max_postings)

    def forget_queries(self) -> None:
        """Drop what this index remembers of callers' searches (after a purge); PostgreSQL's
        remembers nothing."""
        return None

    @abstractmethod
    def row_counts(self, session: Session, words: Sequence[str], cap: int | None = None,
                   reader: Reader | None = None) -> list[int]:
        """How many indexed rows match each word (no scoring; with `reader`, of the rows
        she may read), each count stopping at `cap` when given: past it a word is
        "frequent", and counting further would cost what the bound on full-text work is
        there to save."""

    @abstractmethod
    def top(self, session: Session, terms: Sequence[str], limit: int,
            max_rows: int | None = None, reader: Reader | None = None,
            seq: int | None = None) -> list[tuple[int, float]]:
        """Best `limit` (pk, score) over the whole index, or with `reader` over the rows
        she may read, scored for her (`Reader`); no other filter: the caller filters.
        Cheaper than `search` when the caller's scope holds most of the best rows.

        `max_rows` bounds the rows scored: when the terms match more, only the most
        recently indexed `max_rows` of them are scored (a query whose rarest word is in
        hundreds of thousands of memories would otherwise cost a millisecond per thousand).
        `seq`: the changelog seq the index stands at, when known (statistics computed for
        a reader are then reused until it moves)."""

    @abstractmethod
    def search(self, session: Session, terms: Sequence[str], where: ColumnElement[bool],
               limit: int, max_postings: int | None = None, reader: Reader | None = None,
               seq: int | None = None) -> list[tuple[int, float]]:
        """Top `limit` (pk, score) of cubes matching any term and `where`, best first;
        with `reader`, scored for her (`where` must admit no row she may not read).

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
        self._lock = threading.Lock()
        self._tokenizer: Tokenizer | None = None  # query words' tokens (made when needed)
        self._stats: dict[str | None, tuple[int, float, float]] = {}  # see _reader_rows
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
        self.forget_queries()

    def forget_queries(self) -> None:
        with self._lock:  # (the tokenizer remembers query words)
            if self._tokenizer is not None:
                self._tokenizer.forget()
            self._stats = {}

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

    def row_counts(self, session: Session, words: Sequence[str], cap: int | None = None,
                   reader: Reader | None = None) -> list[int]:
        # One statement for all counts, on the driver: this runs on every large-store search.
        # FTS5 yields matches lazily, so a LIMIT stops the count at the cap.
        rows, test, extra = "SELECT 1 FROM cube_fts WHERE cube_fts MATCH ?", "", []
        if reader is not None:
            rows = ("SELECT 1 FROM cube_fts JOIN cubes c ON c.pk = cube_fts.rowid "
                    "WHERE cube_fts MATCH ? AND ")
            test, extra = _reader_sql(reader)
        one = (f"(SELECT count(*) FROM ({rows}{test}))" if cap is None else
               f"(SELECT count(*) FROM ({rows}{test} LIMIT ?))")
        params: list[Any] = []
        for w in words:
            params += [_quote([w]), *extra] + ([] if cap is None else [int(cap)])
        row = driver_rows(session, "SELECT " + ", ".join(one for _ in words), params)[0]
        return [int(n) for n in row]

    def top(self, session: Session, terms: Sequence[str], limit: int,
            max_rows: int | None = None, reader: Reader | None = None,
            seq: int | None = None) -> list[tuple[int, float]]:
        words = clean_terms(terms)
        if not words:
            return []
        if reader is not None:
            return self._top_for(session, words, limit, max_rows, reader, seq)
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
               limit: int, max_postings: int | None = None, reader: Reader | None = None,
               seq: int | None = None) -> list[tuple[int, float]]:
        words = self.select_terms(session, terms, max_postings, reader=reader)
        if not words:
            return []
        if reader is not None:
            only = self.matching_rows(session, words, where)
            if not len(only):
                return []
            return self._top_for(session, words, limit, None, reader, seq, only)
        fts = literal_column("cube_fts")
        score = func.bm25(fts, 1.0, CONTEXT_WEIGHT).label("score")
        stmt = (select(self._fts.c.rowid, score)
                .join_from(self._fts, CubeRow, CubeRow.pk == self._fts.c.rowid)
                .where(fts.op("MATCH")(bindparam("q", _quote(words))), where)
                .order_by(score).limit(limit))
        return [(int(r[0]), -float(r[1])) for r in session.execute(stmt)]

    # -- scoring for a reader: BM25 over the rows she may read (Reader) ------------------

    def matching_rows(self, session: Session, words: Sequence[str],
                      where: ColumnElement[bool]) -> np.ndarray:
        """The pks (ascending) of the rows matching any word and `where` (no scoring)."""
        stmt = (select(self._fts.c.rowid)
                .join_from(self._fts, CubeRow, CubeRow.pk == self._fts.c.rowid)
                .where(literal_column("cube_fts").op("MATCH")(bindparam("q", _quote(words))),
                       where))
        pks = np.fromiter((int(pk) for pk in session.execute(stmt).scalars()), dtype=np.int64)
        pks.sort()
        return pks

    def _tokens(self, words: Sequence[str]) -> list[tuple[str, tuple[str, ...]]]:
        """Each query word with its tokens, as FTS5 makes them, in order: words that make
        the same token ("walk", "walking") each count, as FTS5's bm25() counts each
        phrase."""
        from memos.stores.bm25 import Tokenizer

        with self._lock:  # (the tokenizer's word cache is not for two threads at once)
            if self._tokenizer is None:
                self._tokenizer = Tokenizer()
            made = self._tokenizer.words(words)
        return list(zip(words, made, strict=True))

    def _reader_rows(self, session: Session, reader: Reader, seq: int | None
                     ) -> tuple[float, float]:
        """(rows, tokens) of the index over the rows `reader` may read: read whole (a scan
        of the index's row sizes), then reused while the index stands at `seq`."""
        from memos.stores.bm25 import varints_sum

        key = reader.user_id
        known = self._stats.get(key)
        if seq is not None and known is not None and known[0] == seq:
            return known[1], known[2]
        test, params = _reader_sql(reader)
        sizes = driver_rows(session, "SELECT d.sz FROM cube_fts_docsize d JOIN cubes c "
                                     f"ON c.pk = d.id WHERE {test}", params)
        got = float(len(sizes)), float(sum(varints_sum(sz) for sz, in sizes))
        if seq is not None:
            if len(self._stats) > STATS_CACHE_READERS:
                self._stats.clear()
            self._stats[key] = (seq, *got)
        return got

    def _top_for(self, session: Session, words: Sequence[str], limit: int,
                 max_rows: int | None, reader: Reader, seq: int | None,
                 only: np.ndarray | None = None) -> list[tuple[int, float]]:
        """`top` for `reader`, read from the index's own tables: each token's instances
        (fts5vocab), the rows' sizes, and the reader's statistics; scored as the in-memory
        copy scores (stores/bm25.py). `only` (pks, ascending): only these rows may be
        returned (every row she may read still counts in the statistics). A word of several
        tokens, which FTS5 reads as a phrase ("api_key"), matches the rows holding the
        phrase, each of its tokens scored there."""
        from memos.stores.bm25 import score_top, varints_sum, weighted

        words_tokens = [(w, t) for w, t in self._tokens(words) if t]
        if not words_tokens:
            return []
        session.execute(text("CREATE VIRTUAL TABLE IF NOT EXISTS temp.memos_fts_inst "
                             "USING fts5vocab(main, cube_fts, instance)"))
        test, params = _reader_sql(reader)
        lists = []
        for word, tokens in words_tokens:
            phrase = None
            if len(tokens) > 1:
                phrase = np.array([r[0] for r in driver_rows(
                    session, "SELECT f.rowid FROM cube_fts f JOIN cubes c ON c.pk = f.rowid "
                             f"WHERE cube_fts MATCH ? AND {test}", [_quote([word]), *params])],
                    dtype=np.int64)
            for token in tokens:
                found = driver_rows(
                    session, "SELECT i.doc, sum(i.col = 'content'), sum(i.col = 'context') "
                             "FROM temp.memos_fts_inst i JOIN cubes c ON c.pk = i.doc "
                             f"WHERE i.term = ? AND {test} GROUP BY i.doc ORDER BY i.doc",
                    [token, *params])
                block = np.array(found, dtype=np.int64).reshape(-1, 3)
                if phrase is not None:
                    block = block[np.isin(block[:, 0], phrase)]
                lists.append((block[:, 0], weighted(block[:, 1], block[:, 2])))
        n_rows, n_tokens = self._reader_rows(session, reader, seq)
        sizes: dict[int, int] = {}

        def lengths(pks: np.ndarray) -> np.ndarray:
            todo = [int(pk) for pk in pks if int(pk) not in sizes]
            for start in range(0, len(todo), 500):
                part = todo[start:start + 500]
                sizes.update((int(pk), varints_sum(sz)) for pk, sz in driver_rows(
                    session, "SELECT id, sz FROM cube_fts_docsize WHERE id IN "
                             f"({', '.join('?' * len(part))})", part))
            return np.array([sizes.get(int(pk), 0) for pk in pks], dtype=np.float64)

        return score_top(lists, lengths, n_rows, n_tokens, limit, max_rows, only)


def _reader_sql(reader: Reader) -> tuple[str, list[Any]]:
    """`reader_clause` as driver SQL over cubes aliased `c`, with its parameters."""
    if reader.user_id is None:
        return "c.visibility = ?", [PUBLIC]
    return "(c.user_id = ? OR c.visibility = ?)", [reader.user_id, PUBLIC]


def _quote(words: Sequence[str]) -> str:
    """Each word as a quoted FTS5 string: operators and column filters in user text are inert."""
    return " OR ".join('"' + w.replace('"', '""') + '"' for w in words)


class PostgresFullText(FullTextIndex):
    _meta = MetaData()
    _fts = Table("cube_fts", _meta, Column("pk", BigInteger, primary_key=True),
                 Column("tsv", TSVECTOR))

    def __init__(self, engine: Engine) -> None:
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

    def row_counts(self, session: Session, words: Sequence[str], cap: int | None = None,
                   reader: Reader | None = None) -> list[int]:
        def count(i: int, w: str) -> Any:
            matches = select(self._fts.c.pk).where(
                self._fts.c.tsv.op("@@")(self._query([w], f"w{i}")))
            if reader is not None:
                matches = matches.join_from(self._fts, CubeRow, CubeRow.pk == self._fts.c.pk
                                            ).where(reader_clause(reader))
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
            max_rows: int | None = None, reader: Reader | None = None,
            seq: int | None = None) -> list[tuple[int, float]]:
        # (ts_rank_cd scores a row by its own words alone: a reader only narrows the rows)
        words = clean_terms(terms)
        if not words:
            return []
        query = self._query(words)

        def matching(*cols: Any) -> Any:
            stmt = select(*cols).where(self._fts.c.tsv.op("@@")(query))
            if reader is None:
                return stmt
            return stmt.join_from(self._fts, CubeRow, CubeRow.pk == self._fts.c.pk).where(
                reader_clause(reader))

        if max_rows is None:
            score = self._score(query)
            stmt = (matching(self._fts.c.pk, score)
                    .order_by(desc(score), self._fts.c.pk).limit(limit))
        else:  # the newest max_rows matches, then scored
            newest = (matching(self._fts.c.pk, self._fts.c.tsv)
                      .order_by(desc(self._fts.c.pk)).limit(int(max_rows)).subquery())
            weights = literal_column(
                f"'{{{CONTEXT_WEIGHT}, {CONTEXT_WEIGHT}, 1.0, 1.0}}'::float4[]")
            score = func.ts_rank_cd(weights, newest.c.tsv, query).label("score")
            stmt = (select(newest.c.pk, score).order_by(desc(score), newest.c.pk)
                    .limit(limit))
        return [(int(r[0]), float(r[1])) for r in session.execute(stmt)]

    def search(self, session: Session, terms: Sequence[str], where: ColumnElement[bool],
               limit: int, max_postings: int | None = None, reader: Reader | None = None,
               seq: int | None = None) -> list[tuple[int, float]]:
        words = self.select_terms(session, terms, max_postings, reader=reader)
        if not words:
            return []
        query = self._query(words)
        score = self._score(query)
        stmt = (select(self._fts.c.pk, score)
                .join_from(self._fts, CubeRow, CubeRow.pk == self._fts.c.pk)
                .where(self._fts.c.tsv.op("@@")(query), where)
                .order_by(desc(score), self._fts.c.pk).limit(limit))
        return [(int(r[0]), float(r[1])) for r in session.execute(stmt)]
