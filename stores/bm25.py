"""An in-process copy of the SQLite full-text index that scores queries as FTS5's bm25() does.

FTS5 spends its time per matching row in `bm25()` (it walks each row's token instances
through its auxiliary-function API), so a query whose words are in thousands of memories
costs milliseconds on a large store (docs/BENCHMARKS.md). This copy keeps, per token, the rows that hold it and
how often (content and context apart), and each row's length in tokens; a query is then a
few numpy operations over the tokens' rows. It answers exactly what `SqliteFullText.top`
answers: the same matches, the same scores (the formula of SQLite's fts5_aux.c: IDF
`log((N - n + 0.5) / (n + 0.5))` floored at 1e-6, k1 = 1.2, b = 0.75, frequencies weighted
per column, a row's length counted over all its columns) and the same bound on rows scored.
Searches ask it for a reader (`stores.fulltext.Reader`): each row's owner and whether it is
public are kept beside its length, with rows and tokens per user and over public rows, so
that a reader's query is matched, counted and scored over the rows she may read alone
(`score_top` is the formula; `SqliteFullText._top_for` computes the same from the index's
tables when there is no copy).

Tokens come from SQLite itself: the copy is loaded from the store's own index (`fts5vocab`
and `cube_fts_docsize`, read in one transaction) and kept current from the changelog by
tokenizing changed texts through a private in-memory FTS5 table with the same tokenizer. A
query word that does not make exactly one token (FTS5 then reads it as a phrase) is left to
the index's own tables (`tokens_of` returns None; `SqliteFullText._top_for`).

Layout: a *base* (per token, a slice of row pks, ascending, and weighted frequencies) from the
load, a mask of rows whose base postings are still current, and a *delta* of rows written
since (pk -> token -> frequency); `IndexSync` loads a fresh copy when the delta grows past a
share of the rows. Callers hold `IndexSync.memory_lock` for every call.
"""

from __future__ import annotations

import math
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from memos.stores.fulltext import CONTEXT_WEIGHT, PUBLIC, TOKENIZE, Reader

K1 = 1.2
B = 0.75
IDF_FLOOR = 1e-6
# A row to index: (pk, content, context, user id, public?); the last two may be missing
# (a row of nobody's, private: the SQL index keeps no owner, only the copy's statistics do).
FullTextDoc = tuple[Any, ...]
WORD_CACHE = 50_000  # query words remembered with their token
_FETCH = 100_000  # rows per fetch while loading


class Tokenizer:
    """SQLite's FTS5 tokenizer, reached through a private in-memory FTS5 table (rows are
    written, their tokens read back from `fts5vocab`, then deleted: about 50 µs a call; the
    table is made anew every RENEW_AFTER calls, before deleted rows' tombstones pile up)."""

    RENEW_AFTER = 1_000

    def __init__(self) -> None:
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        self._lock = threading.Lock()
        self._words: dict[str, tuple[str, ...]] = {}
        self._calls = self.RENEW_AFTER

    def forget(self) -> None:
        """Drop every text and query word this tokenizer has seen (after a purge): a
        deleted row's text stays in the private table's freed pages and its tokens in the
        table's old segments until they are reused or merged."""
        with self._lock:
            self._db.close()
            self._db = sqlite3.connect(":memory:", check_same_thread=False)
            self._calls = self.RENEW_AFTER
            self._words.clear()

    def _tokens(self, rows: Sequence[tuple[int, str, str]]) -> list[tuple[Any, ...]]:
        """(doc, term, col, offset) of every token of (rowid, content, context) rows."""
        with self._lock:
            db = self._db
            if self._calls >= self.RENEW_AFTER:
                db.execute("DROP TABLE IF EXISTS v")
                db.execute("DROP TABLE IF EXISTS t")
                db.execute(f"CREATE VIRTUAL TABLE t USING fts5(content, context, "
                           f"tokenize='{TOKENIZE}')")
                db.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, instance)")
                self._calls = 0
            self._calls += 1
            try:
                db.executemany("INSERT INTO t(rowid, content, context) VALUES (?, ?, ?)", rows)
                return db.execute("SELECT doc, term, col, offset FROM v").fetchall()
            finally:
                db.execute("DELETE FROM t")

    def docs(self, rows: Sequence[tuple[int, str, str]]
             ) -> dict[int, tuple[int, dict[str, float]]]:
        """pk -> (tokens in all columns, token -> frequency weighted by column) for
        (pk, content, context) rows. Every pk is in the answer, with 0 tokens if it has none."""
        counts: dict[int, dict[str, list[int]]] = {pk: {} for pk, _, _ in rows}
        if not rows:
            return {}
        for pk, term, col, _ in self._tokens(rows):
            n = counts[pk].setdefault(term, [0, 0])
            n[col != "content"] += 1
        pairs = np.array([n for terms in counts.values() for n in terms.values()],
                         dtype=np.int64).reshape(-1, 2)
        freqs = iter(weighted(pairs[:, 0], pairs[:, 1]).tolist())
        return {pk: (sum(c + x for c, x in terms.values()),
                     {t: next(freqs) for t in terms})
                for pk, terms in counts.items()}

    def words(self, words: Sequence[str]) -> list[tuple[str, ...]]:
        """The tokens FTS5 makes of each query word, in order (remembered per word)."""
        cache = self._words
        known = {w: cache[w] for w in dict.fromkeys(words) if w in cache}
        missing = [w for w in dict.fromkeys(words) if w not in known]
        if missing:
            found: dict[int, list[tuple[int, str]]] = {i: [] for i in range(len(missing))}
            for doc, term, _, offset in self._tokens(
                    [(i, w, "") for i, w in enumerate(missing)]):
                found[doc].append((offset, term))
            if len(cache) + len(missing) > WORD_CACHE:
                cache.clear()
            for i, word in enumerate(missing):
                known[word] = cache[word] = tuple(t for _, t in sorted(found[i]))
        return [known[w] for w in words]

class MemoryFullText:
    """The postings of `cube_fts`, in numpy; see the module docstring."""

    def __init__(self, tokenizer: Tokenizer, seq: int = 0) -> None:
        self.tokenizer = tokenizer
        self.seq = seq
        self._ids: dict[str, int] = {}  # token -> id
        # base: postings of token i are _pks[_off[i]:_off[i+1]] (ascending), _freq likewise
        self._off = np.zeros(1, dtype=np.int64)
        self._pks = np.zeros(0, dtype=np.int64)
        self._freq = np.zeros(0, dtype=np.float64)
        self._valid = np.zeros(0, dtype=bool)  # by pk: its base postings are current
        self._len = np.zeros(0, dtype=np.float64)  # by pk: tokens in all columns
        self._present = np.zeros(0, dtype=bool)  # by pk: in the index
        self._owner = np.zeros(0, dtype=np.int32)  # by pk: its user's code in _users
        self._public = np.zeros(0, dtype=bool)  # by pk: every user may read it
        self.rows = 0
        self.tokens = 0.0
        # Per user (code -> [rows, tokens, public rows, public tokens]) and over every
        # public row: a reader's statistics are her rows' and the public ones'.
        self._users: dict[str, int] = {}
        self._user_stats: list[list[float]] = []
        self._public_rows = 0
        self._public_tokens = 0.0
        self._delta: dict[int, dict[str, float]] = {}
        self._delta_terms: dict[str, set[int]] = {}
        # Per token, its delta postings as sorted arrays (pks, freqs): made by the first
        # query that needs them, dropped when a row holding the token changes.
        self._delta_arrays: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    # -- load and change ----------------------------------------------------------------

    @classmethod
    def load(cls, conn: Any, tokenizer: Tokenizer, seq: int,
             stop: Callable[[], bool] | None = None) -> MemoryFullText:
        """Read the store's index through `conn` (a DB-API connection inside the caller's
        transaction, which sees the index at `seq`). `stop()` true: give up (RuntimeError)."""
        index = cls(tokenizer, seq)
        cur = conn.cursor()
        try:
            cur.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.memos_fts_rows "
                        "USING fts5vocab(main, cube_fts, row)")
            cur.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.memos_fts_inst "
                        "USING fts5vocab(main, cube_fts, instance)")
            lengths: list[np.ndarray] = []
            users = index._users
            # (A row without its cube, which the index never holds for long, is nobody's.
            # The owner is read from the narrow admission index, not the cubes' wide rows:
            # those would fill the connection's page cache with text and metadata.)
            cur.execute("SELECT d.id, d.sz, c.user_id, c.visibility = ? FROM cube_fts_docsize d "
                        "LEFT JOIN cubes c INDEXED BY ix_cubes_admit ON c.pk = d.id", (PUBLIC,))
            while chunk := cur.fetchmany(_FETCH):
                if stop is not None and stop():
                    raise RuntimeError("loading stopped (the store is closing or purging)")
                lengths.append(np.array(
                    [(pk, varints_sum(sz), users.setdefault(user, len(users)), public or 0)
                     for pk, sz, user, public in chunk], dtype=np.int64).reshape(-1, 4))
            # Per token: rows holding it and instances, in the index's own (term) order.
            cur.execute("SELECT term, doc, cnt FROM temp.memos_fts_rows ORDER BY term")
            terms = []
            while chunk := cur.fetchmany(_FETCH):
                if stop is not None and stop():
                    raise RuntimeError("loading stopped (the store is closing or purging)")
                terms.extend(chunk)
            inst_end = np.cumsum(np.array([c for _, _, c in terms], dtype=np.int64))
            pks: list[np.ndarray] = []
            cnt: list[np.ndarray] = []
            # Every token instance in the index's native order (term, doc, col, offset),
            # folded here into (term, doc) runs: a GROUP BY would sort every instance of the
            # index in a temp b-tree, which spills to a temporary file on disk (the index's
            # tokens written out) and costs a sort of the whole index.
            cur.execute("SELECT doc, col = 'context' FROM temp.memos_fts_inst")
            pos = 0
            last: tuple[int, int] | None = None  # (term id, pk) of the previous chunk's last run
            while chunk := cur.fetchmany(_FETCH):
                if stop is not None and stop():
                    raise RuntimeError("loading stopped (the store is closing or purging)")
                block = np.array(chunk, dtype=np.int64).reshape(-1, 2)
                doc, ctx = block[:, 0], block[:, 1]
                term = np.searchsorted(inst_end, np.arange(pos, pos + len(block)), side="right")
                pos += len(block)
                new = np.ones(len(block), dtype=bool)
                new[1:] = (term[1:] != term[:-1]) | (doc[1:] != doc[:-1])
                starts = np.flatnonzero(new)
                run_pk, run_term = doc[starts], term[starts]
                nx = np.add.reduceat(ctx, starts)
                nc = np.diff(np.append(starts, len(block))) - nx
                same = run_term[1:] == run_term[:-1]
                if (same & (run_pk[1:] <= run_pk[:-1])).any() or (
                        last is not None and last[0] == run_term[0] and last[1] > run_pk[0]):
                    raise RuntimeError("full-text instances not in (term, doc) order")
                counts = np.stack([nc, nx], axis=1)
                if last is not None and last == (int(run_term[0]), int(run_pk[0])):
                    cnt[-1][-1] += counts[0]  # a run split between two chunks
                    run_pk, counts = run_pk[1:], counts[1:]
                    last = (int(run_term[-1]), int(doc[starts[-1]]))
                else:
                    last = (int(run_term[-1]), int(run_pk[-1]))
                if len(run_pk):  # never empty: the next split run adds to cnt[-1][-1]
                    pks.append(run_pk)
                    cnt.append(counts)
            if pos != (int(inst_end[-1]) if len(inst_end) else 0):
                raise RuntimeError("full-text vocabulary and instances disagree")
        finally:
            cur.close()
        doc_len = np.concatenate(lengths) if lengths else np.zeros((0, 4), dtype=np.int64)
        size = int(doc_len[:, 0].max()) + 1 if len(doc_len) else 0
        index._grow(size)
        index._len[doc_len[:, 0]] = doc_len[:, 1]
        index._owner[doc_len[:, 0]] = doc_len[:, 2]
        index._public[doc_len[:, 0]] = doc_len[:, 3].astype(bool)
        index._present[doc_len[:, 0]] = True
        index._valid[doc_len[:, 0]] = True
        index.rows = len(doc_len)
        index.tokens = float(doc_len[:, 1].sum())
        public = doc_len[:, 3].astype(bool)
        index._public_rows = int(public.sum())
        index._public_tokens = float(doc_len[public, 1].sum())
        n_users = len(index._users)
        per_user = np.zeros((n_users, 4), dtype=np.float64)
        if n_users:
            owner = doc_len[:, 2]
            per_user[:, 0] = np.bincount(owner, minlength=n_users)
            per_user[:, 1] = np.bincount(owner, weights=doc_len[:, 1], minlength=n_users)
            per_user[:, 2] = np.bincount(owner[public], minlength=n_users)
            per_user[:, 3] = np.bincount(owner[public], weights=doc_len[public, 1],
                                         minlength=n_users)
        index._user_stats = per_user.tolist()
        index._ids = {t: i for i, (t, _, _) in enumerate(terms)}
        index._off = np.zeros(len(terms) + 1, dtype=np.int64)
        np.cumsum([n for _, n, _ in terms], out=index._off[1:])
        index._pks = np.concatenate(pks) if pks else np.zeros(0, dtype=np.int64)
        counts = np.concatenate(cnt) if cnt else np.zeros((0, 2), dtype=np.int64)
        index._freq = weighted(counts[:, 0], counts[:, 1])
        if len(index._pks) != index._off[-1]:  # the two reads disagree: never serve it
            raise RuntimeError("full-text vocabulary and instances disagree")
        return index

    def _grow(self, size: int) -> None:
        if size <= len(self._valid):
            return
        size = max(size, int(len(self._valid) * 1.5) + 1024)
        for name in ("_valid", "_len", "_present", "_owner", "_public"):
            old = getattr(self, name)
            new = np.zeros(size, dtype=old.dtype)
            new[:len(old)] = old
            setattr(self, name, new)

    def _unset(self, pk: int) -> None:
        if pk < len(self._valid):
            self._valid[pk] = False
            if self._present[pk]:
                self._present[pk] = False
                self._count(pk, -1)
                self._len[pk] = 0
        old = self._delta.pop(pk, None)
        if old:
            for term in old:
                self._delta_arrays.pop(term, None)
                holders = self._delta_terms.get(term)
                if holders is not None:
                    holders.discard(pk)
                    if not holders:
                        del self._delta_terms[term]

    def _count(self, pk: int, sign: int) -> None:
        """Add (sign 1) or take away (-1) present row `pk` in the row and token counts."""
        length = float(self._len[pk])
        self.rows += sign
        self.tokens += sign * length
        own = self._user_stats[int(self._owner[pk])]
        own[0] += sign
        own[1] += sign * length
        if self._public[pk]:
            self._public_rows += sign
            self._public_tokens += sign * length
            own[2] += sign
            own[3] += sign * length

    def apply(self, drop: Iterable[int], docs: Sequence[FullTextDoc], seq: int) -> None:
        """Remove `drop`, (re)index `docs` ((pk, content, context, user id, public?)),
        then stand at `seq`. Written rows go to the delta; the base only ever shrinks
        (`IndexSync` loads a fresh copy when the delta grows large)."""
        for pk in drop:
            self._unset(int(pk))
        tokenized = self.tokenizer.docs([(int(d[0]), d[1], d[2]) for d in docs])
        if tokenized:
            self._grow(max(tokenized) + 1)
        owners = {int(d[0]): (d[3], bool(d[4])) for d in docs if len(d) > 4}
        for pk, (length, freqs) in tokenized.items():
            self._unset(pk)
            user, public = owners.get(pk, (None, False))
            code = self._users.get(user)  # type: ignore[arg-type]
            if code is None:
                code = self._users[user] = len(self._users)  # type: ignore[index]
                self._user_stats.append([0.0, 0.0, 0.0, 0.0])
            self._present[pk] = True
            self._len[pk] = length
            self._owner[pk] = code
            self._public[pk] = public
            self._count(pk, 1)
            self._delta[pk] = freqs
            for term in freqs:
                self._delta_terms.setdefault(term, set()).add(pk)
                self._delta_arrays.pop(term, None)
        self.seq = seq

    def changed_rows(self) -> int:
        """Rows indexed since the load (held in the delta)."""
        return len(self._delta)

    # -- query ------------------------------------------------------------------------

    def _base_range(self, token: str) -> slice | None:
        """Where the token's postings lie in the base arrays (current or not), or None."""
        i = self._ids.get(token)
        return None if i is None else slice(self._off[i], self._off[i + 1])

    def _base_postings(self, token: str) -> tuple[np.ndarray, np.ndarray]:
        """The token's postings in the base still current (pks ascending, freqs)."""
        at = self._base_range(token)
        if at is None:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
        pks, freq = self._pks[at], self._freq[at]
        ok = self._valid[pks]
        if not ok.all():
            pks, freq = pks[ok], freq[ok]
        return pks, freq

    def _delta_postings(self, token: str) -> tuple[np.ndarray, np.ndarray] | None:
        """The token's postings among rows written since the load (pks ascending,
        freqs), or None."""
        got = self._delta_arrays.get(token)
        if got is None:
            extra = self._delta_terms.get(token)
            if not extra:
                return None
            more = np.fromiter(sorted(extra), dtype=np.int64, count=len(extra))
            got = more, np.fromiter((self._delta[int(p)][token] for p in more),
                                    dtype=np.float64, count=len(more))
            self._delta_arrays[token] = got
        return got

    def _postings(self, token: str) -> tuple[np.ndarray, np.ndarray]:
        pks, freq = self._base_postings(token)
        extra = self._delta_postings(token)
        if extra is not None:
            more, more_freq = extra
            sorted_already = not len(pks) or more[0] > pks[-1]  # new rows: the usual case
            pks = np.concatenate([pks, more])
            freq = np.concatenate([freq, more_freq])
            if not sorted_already:
                order = np.argsort(pks, kind="stable")
                pks, freq = pks[order], freq[order]
        return pks, freq

    def tokens_of(self, words: Sequence[str]) -> list[str] | None:
        """Each word's one token, or None when some word is not exactly one token."""
        out = []
        for tokens in self.tokenizer.words(words):
            if len(tokens) != 1:
                return None
            out.append(tokens[0])
        return out

    def counts(self, tokens: Sequence[str], reader: Reader | None = None) -> list[int]:
        """How many rows hold each token (with `reader`: of the rows she may read)."""
        if reader is not None:
            return [len(pks) for pks, _ in self.readable_postings(tokens, reader)]
        out = []
        for t in tokens:  # (a row is never in both: a row written again leaves the base)
            at = self._base_range(t)
            base = 0 if at is None else int(np.count_nonzero(self._valid[self._pks[at]]))
            extra = self._delta_terms.get(t)
            out.append(base + (len(extra) if extra else 0))
        return out

    def top(self, tokens: Sequence[str], limit: int, max_rows: int | None = None,
            reader: Reader | None = None, only: np.ndarray | None = None
            ) -> list[tuple[int, float]]:
        """Best `limit` (pk, score) of the rows holding any token (one per query word, in
        the query's order). With `reader`, only the rows that user may read are matched,
        counted and scored, with her statistics (`reader_stats`); without, the whole index,
        as `SqliteFullText.top` with the same arguments gives it. With `max_rows`, only the
        `max_rows` newest matching rows are scored; with `only` (pks, ascending), only those
        rows are returned (`score_top`)."""
        return self.score(self.readable_postings(tokens, reader), limit, max_rows, reader, only)

    def readable_postings(self, tokens: Sequence[str], reader: Reader | None
                          ) -> list[tuple[np.ndarray, np.ndarray]]:
        """Each token's postings (pks ascending, freqs), among the rows `reader` may read
        (None: every row): what `counts` counts and `score` scores, made once per query."""
        lists = [self._postings(t) for t in tokens]
        if reader is None:
            return lists
        return [self._readable(pks, freq, reader) for pks, freq in lists]

    def score(self, lists: Sequence[tuple[np.ndarray, np.ndarray]], limit: int,
              max_rows: int | None = None, reader: Reader | None = None,
              only: np.ndarray | None = None) -> list[tuple[int, float]]:
        """`top` of postings already made (`readable_postings` for the same reader)."""
        n_rows, n_tokens = self.reader_stats(reader)
        return score_top(lists, lambda pks: self._len[pks], n_rows, n_tokens, limit, max_rows,
                         only)

    def _readable(self, pks: np.ndarray, freq: np.ndarray, reader: Reader
                  ) -> tuple[np.ndarray, np.ndarray]:
        """The postings among rows `reader` may read (her own, and public ones)."""
        ok = self._public[pks]
        code = self._users.get(reader.user_id) if reader.user_id is not None else None
        if code is not None:
            ok |= self._owner[pks] == code
        return (pks, freq) if ok.all() else (pks[ok], freq[ok])

    def reader_stats(self, reader: Reader | None) -> tuple[float, float]:
        """(rows, tokens) over the rows `reader` may read (None: the whole index)."""
        if reader is None:
            return float(self.rows), float(self.tokens)
        rows, tokens = self._public_rows, self._public_tokens
        code = self._users.get(reader.user_id) if reader.user_id is not None else None
        if code is not None:
            own = self._user_stats[code]  # rows, tokens, of which public rows, tokens
            rows += own[0] - own[2]
            tokens += own[1] - own[3]
        return float(rows), float(tokens)

    def nbytes(self) -> int:
        """Bytes held in numpy arrays (the token dictionary and delta aside)."""
        return sum(a.nbytes for a in (self._off, self._pks, self._freq, self._valid,
                                      self._len, self._present, self._owner, self._public))


def score_top(lists: Sequence[tuple[np.ndarray, np.ndarray]],
              lengths: Callable[[np.ndarray], np.ndarray], n_rows: float, n_tokens: float,
              limit: int, max_rows: int | None = None, only: np.ndarray | None = None
              ) -> list[tuple[int, float]]:
    """Best `limit` (pk, score) by BM25 as SQLite's fts5_aux.c computes it (module
    docstring), given each query token's postings (pks ascending, weighted frequencies),
    `lengths(pks)` (tokens per row), and the statistics to score with: `n_rows` rows
    holding `n_tokens` tokens. With `max_rows`, only the `max_rows` newest (highest pk)
    matching rows are scored; with `only` (pks, ascending), only those rows are returned
    (every posting still counts in the idf); ties go to the newer row."""
    if n_rows <= 0:
        return []
    counts = [len(pks) for pks, _ in lists]  # (for the idf: every row holding the token)
    if max_rows:
        # A row older than a token's `max_rows` newest has that many newer rows in the
        # union, so it is not among the union's newest either: cut each list first.
        lists = [(pks[-max_rows:], freq[-max_rows:]) for pks, freq in lists]
    everyone = sorted_union([pks for pks, _ in lists]) if lists else np.zeros(0, np.int64)
    if not len(everyone):
        return []
    if max_rows is not None and len(everyone) > max_rows:
        everyone = everyone[-max_rows:]
    if only is not None:
        everyone = everyone[np.isin(everyone, only, assume_unique=True)]
        if not len(everyone):
            return []
    avgdl = n_tokens / n_rows
    norm = K1 * (1 - B + B * lengths(everyone) / avgdl) if avgdl > 0 else \
        np.full(len(everyone), K1 * (1 - B))
    score = np.zeros(len(everyone), dtype=np.float64)
    for (pks, freq), n in zip(lists, counts, strict=True):
        idf = math.log((n_rows - n + 0.5) / (n + 0.5))
        if idf <= 0.0:
            idf = IDF_FLOOR
        at = np.searchsorted(everyone, pks)
        inside = at < len(everyone)
        inside[inside] &= everyone[at[inside]] == pks[inside]
        at, f = at[inside], freq[inside]
        # fts5_aux.c's grouping: idf * ((f * (k1 + 1)) / (f + norm)), for the same bits
        score[at] += idf * ((f * (K1 + 1.0)) / (f + norm[at]))
    if len(score) > limit > 0:  # sort only the rows scoring at least the limit-th best
        kth = np.partition(score, len(score) - limit)[len(score) - limit]
        some = np.flatnonzero(score >= kth)
        best = some[np.lexsort((-everyone[some], -score[some]))[:limit]]
    else:
        best = np.lexsort((-everyone, -score))[:limit]
    return list(zip(everyone[best].tolist(), score[best].tolist(), strict=True))


def sorted_union(arrays: Sequence[np.ndarray]) -> np.ndarray:
    """The distinct values of sorted arrays without repeats, ascending. (`np.unique` of the
    concatenation gives the same, but numpy 2 hashes there: several times slower for the
    few thousand pks of a query's postings.)"""
    if len(arrays) == 1:
        return arrays[0]
    cat = np.concatenate(arrays)
    if not len(cat):
        return cat
    cat.sort()
    keep = np.empty(len(cat), dtype=bool)
    keep[0] = True
    np.not_equal(cat[1:], cat[:-1], out=keep[1:])
    return cat[keep]


def weighted(nc: np.ndarray, nx: np.ndarray) -> np.ndarray:
    """Tokens' frequencies in rows as bm25() sums them, from their instances in the content
    (`nc`) and the context (`nx`): 1.0 per content instance, then CONTEXT_WEIGHT per context
    instance, added one at a time as FTS5 adds them (so the sums are FTS5's to the bit)."""
    f = nc.astype(np.float64)
    todo = np.flatnonzero(nx > 0)
    step = 0
    while len(todo):
        f[todo] += CONTEXT_WEIGHT
        step += 1
        todo = todo[nx[todo] > step]
    return f


def varints_sum(blob: bytes) -> int:
    """Sum of the SQLite varints in an FTS5 docsize record (tokens per column)."""
    total, value = 0, 0
    for byte in blob:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            total += value
            value = 0
    return total
