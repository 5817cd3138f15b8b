"""Hybrid search: gather candidates (dense, full text, graph), filter in SQL, rank.

Ranking itself is in memos.retrieval; this module only talks to the stores. A search costs
a fixed handful of queries whatever k is: candidates are filtered with one SELECT of
(pk, recorded_at, importance) and the final hits are fetched with one more.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import ColumnElement, and_, bindparam, select

from memos import retrieval
from memos.cube import Kind, Scope, Tier, check_stored_text, is_blank, utcnow
from memos.errors import InvalidInputError
from memos.results import SearchHit
from memos.stores.filters import compile_filter, parse_time
from memos.stores.fulltext import Reader
from memos.stores.repository import (
    as_read_by,
    cube_from_row,
    live_clause,
    visible_clause,
)
from memos.stores.schema import CubeRow

if TYPE_CHECKING:
    from memos.parts import DenseJob, StoreParts
    from memos.stores.vector_index import Allowed

RETRIEVERS = ("dense", "fulltext", "graph")
# One expanding parameter for pk lists: SQLAlchemy would otherwise coerce every pk literal.
_PKS = bindparam("pks", expanding=True)
# When scope and filters leave fewer than half of the global dense candidates, the scope is
# a small part of the store: search its vectors exactly instead (if it has at most this many).
SUBSET_MAX = 20_000
MAX_K = 10_000  # hits per search: more is an export, not a search


def _names(value: Any, what: str) -> list[str]:
    """A str or a list/tuple/set of str (the shape of kind=, tags=, tiers=, retrievers=)."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, (list, tuple, set, frozenset)) or not all(
            isinstance(v, str) for v in items):
        raise InvalidInputError(f"{what} must be a string or a list of strings, got {value!r:.80}")
    return list(items)


def _ordered(scores: Any, pks: Any, floor: float) -> list[int]:
    """Dense candidates above the floor, best first, ties by pk (deterministic)."""
    pairs = [(float(sc), int(p)) for sc, p in zip(scores, pks, strict=True)
             if p >= 0 and sc > floor]
    return [p for _, p in sorted(pairs, key=lambda sp: (-sp[0], sp[1]))]


def tier_values(tiers: Sequence[Any]) -> list[str]:
    try:
        return [Tier(t).value for t in _names(tiers, "tiers")]
    except ValueError as exc:
        raise InvalidInputError(f"{exc}; tiers are {[t.value for t in Tier]}") from exc


def build_where(scope: Scope, now: datetime, dialect: str, filters: Mapping[str, Any] | None,
                kind: Any, tags: Sequence[str] | None, since: Any, until: Any,
                metadata: Mapping[str, Any] | None, tiers: Sequence[Any],
                include_superseded: bool) -> ColumnElement[bool]:
    extra: dict[str, Any] = {}
    if not _empty(kind):
        kinds = _names(kind, "kind")
        try:
            extra["kind"] = [Kind(k).value for k in kinds]
        except ValueError as exc:
            raise InvalidInputError(f"{exc}; kinds are {[k.value for k in Kind]}") from exc
    if not _empty(tags):
        extra["tag"] = _names(tags, "tags")
    if since is not None:
        extra["recorded_after"] = parse_time(since, "since")
    if until is not None:
        extra["recorded_before"] = parse_time(until, "until")
        after = extra.get("recorded_after")
        if after is not None and after > extra["recorded_before"]:
            raise InvalidInputError(f"since ({after.isoformat()}) is after until "
                                    f"({extra['recorded_before'].isoformat()}): no memory was "
                                    f"recorded in between; swap them")
    if metadata is not None:
        if not isinstance(metadata, Mapping):
            raise InvalidInputError(f"metadata must be a dict of key -> value, got {metadata!r:.80}")
        if metadata:
            extra["meta"] = dict(metadata)
    return and_(visible_clause(scope), live_clause(now, include_superseded),
                CubeRow.tier.in_(tier_values(tiers)), compile_filter(filters, dialect),
                compile_filter(extra, dialect))


def _empty(value: Any) -> bool:
    """No kind or tag filter: None, or an empty list, tuple or set (all mean the same)."""
    return value is None or (isinstance(value, (list, tuple, set, frozenset)) and not value)


def _plain(filters: Any, kind: Any, tags: Any, since: Any, until: Any, metadata: Any) -> bool:
    """No filter beyond scope, liveness and tiers (build_where would add nothing): search
    admits its candidates with the repository's prepared statement for that case."""
    return (filters is None and _empty(kind) and _empty(tags)
            and since is None and until is None
            and (metadata is None or (isinstance(metadata, Mapping) and not metadata)))


def run_search(store: StoreParts, query: str, scope: Scope, k: int = 10, *,
               filters: Mapping[str, Any] | None = None, kind: Any = None,
               tags: Sequence[str] | None = None, since: Any = None, until: Any = None,
               metadata: Mapping[str, Any] | None = None,
               tiers: Sequence[Any] = (Tier.PLAINTEXT,),
               retrievers: Sequence[str] = RETRIEVERS, include_superseded: bool = False,
               record_access: bool = True, fold: bool = True,
               as_of: Any = None) -> list[SearchHit]:
    if not isinstance(query, str):
        raise InvalidInputError(f"search query must be a string of words to look for, got "
                                f"{type(query).__name__} {query!r:.40}")
    if is_blank(query):
        raise InvalidInputError("search query is empty; give some words to look for")
    try:
        check_stored_text(query, "search query")
    except ValueError as exc:
        raise InvalidInputError(str(exc)) from None
    if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= MAX_K:
        raise InvalidInputError(f"k must be an integer from 1 to {MAX_K:,}, got {k!r:.40}")
    for name, flag in (("include_superseded", include_superseded), ("record_access", record_access),
                       ("fold", fold)):
        if not isinstance(flag, bool):
            raise InvalidInputError(f"{name} must be True or False, got {flag!r:.40}")
    named = set(_names(retrievers, "retrievers"))
    unknown = named - set(RETRIEVERS)
    if unknown:
        raise InvalidInputError(f"unknown retriever(s) {sorted(unknown)}; use {list(RETRIEVERS)}")
    if not named & {"dense", "fulltext"}:
        raise InvalidInputError(f"retrievers {sorted(named)} find nothing: the graph expands "
                                f"from what dense or full-text search found, so name at least "
                                f"one of those (default: {list(RETRIEVERS)})")
    if as_of is not None:
        # What held then: the `valid_at` filter, over superseded memories too (a value
        # replaced since held until it was)
        held = {"valid_at": parse_time(as_of, "as_of", "search option")}
        filters = held if filters is None else {"and": [filters, held]}
        include_superseded = True
    now = utcnow()
    request = _Request(store, query, scope, k, retrievers, tier_values(tiers), include_superseded,
                       now)
    if not _plain(filters, kind, tags, since, until, metadata):
        request.where = build_where(scope, now, store.repo.dialect, filters, kind, tags, since,
                                    until, metadata, tiers, include_superseded)
    request.fold = fold and not include_superseded
    with store.searching():
        top, rows = request.run()
    hits_out = [SearchHit(cube=as_read_by(cube_from_row(rows[f.pk]), scope), score=f.score,
                          retrievers=f.retrievers, ranks=dict(f.ranks),
                          folded=[rows[p].id for p in f.folded if p in rows])
                for f in top if f.pk in rows]
    if record_access:
        # Reads of a cube count for its own user only (as_read_by: only she sees them);
        # another user's searches of a public cube would show in its access statistics.
        mine = [f.pk for f in top if f.pk in rows and rows[f.pk].user_id == scope.user_id]
        if mine:
            store.note_access(mine)
    return hits_out


class _Request:
    """One search: candidates from each retriever, admitted by scope and filters, fused.

    Every search needs the same few things from SQL (are the indexes current, the
    full-text candidates, which candidates pass the filters, the rows of the winners); they
    all run on one read transaction. The query is embedded before it opens; the FAISS
    lookup, over the rows the caller's user may read (StoreParts.dense_reader), runs in it,
    on a worker thread meanwhile when the index is large (StoreParts.start_dense)."""

    def __init__(self, store: StoreParts, query: str, scope: Scope, k: int,
                 retrievers: Sequence[str], tiers: list[str], include_superseded: bool,
                 now: datetime) -> None:
        self.store, self.query, self.scope, self.k = store, query, scope, k
        self.retrievers, self.tiers = retrievers, tiers
        self.include_superseded, self.now = include_superseded, now
        # None: no filter beyond scope, liveness and tiers (admitted by a prepared statement)
        self.where: ColumnElement[bool] | None = None
        self.info: set[int] = set()  # pks known to pass scope and filters
        self.fold = True  # derived cubes fold into their sources (memos.retrieval.fold_derived)
        self.head = 0  # the changelog head of the search's read snapshot
        # the rows the dense lookup searched (StoreParts.dense_reader)
        self.readable: Allowed | None = None

    def full_where(self) -> ColumnElement[bool]:
        if self.where is None:
            return build_where(self.scope, self.now, self.store.repo.dialect, None, None, None,
                               None, None, None, self.tiers, self.include_superseded)
        return self.where

    def admit(self, session: Any, pks: Sequence[int]) -> list[int]:
        """The pks that pass scope and filters, in the given order (one SELECT)."""
        info = self.info
        todo = [pk for pk in dict.fromkeys(pks) if pk not in info]
        if todo:
            if self.where is None:
                info.update(self.store.admit_default(session, self.head, todo, self.scope,
                                                     self.tiers, self.include_superseded,
                                                     self.now))
            else:
                info.update(session.connection().execute(
                    select(CubeRow.pk).where(CubeRow.pk.in_(_PKS), self.where),
                    {"pks": todo}).scalars())
        return [pk for pk in dict.fromkeys(pks) if pk in info]

    def run(self) -> tuple[list[retrieval.Fused], dict[int, Any]]:
        store = self.store
        n = store.config.retrieval.depth(self.k)
        # The query is embedded before the snapshot (a model's forward pass holds no
        # transaction open); its FAISS lookup runs in the snapshot (_gather).
        vector: np.ndarray | None = None
        for attempt in (0, 1):
            if vector is None and "dense" in self.retrievers and len(store.vectors):
                vector = store.query_vector(self.query)  # (the index may be filled by now)
            # (before the snapshot, for StoreParts.search_at_once, once anybody asks it)
            marks = store.repo.file_marks() if store.marks_wanted else None
            with store.repo.read() as session:
                # An index behind the changelog (another process wrote) is caught up first,
                # then the search runs again on a new transaction that sees what it applied.
                self.head, current = store.sync.current_head(session)
                if current and marks is not None:
                    store.note_current(marks)
                if attempt == 1 or current:
                    dense = None
                    if vector is not None and len(store.vectors):
                        # Only the rows the caller's user may read: which of hers the
                        # lookup returns must not depend on other users' private vectors.
                        self.readable = store.dense_reader(session, self.head,
                                                           self.scope.user_id)
                        if self.readable.bits is None or self.readable.count:
                            # The lookup overlaps the full-text and SQL half when it is
                            # slow (StoreParts.start_dense decides).
                            dense = store.start_dense(
                                vector, n, allow=self.readable,
                                in_parallel="fulltext" in self.retrievers)
                    return self._gather(session, vector, dense)
            store.catch_up()
        raise AssertionError("unreachable")  # pragma: no cover

    def _gather(self, session: Any, vector: np.ndarray | None, dense_job: DenseJob | None
                ) -> tuple[list[retrieval.Fused], dict[int, Any]]:
        store, cfg, k = self.store, self.store.config.retrieval, self.k
        n = cfg.depth(k)
        ranked: dict[str, list[int]] = {}
        info = self.info
        # Phase 1: global candidates from each retriever, then ONE SELECT admits those in
        # scope and filters. When the scope holds most of the best rows (one user, the common
        # case) that is all; otherwise phase 2 asks each retriever again, scoped.
        words: list[str] = []
        fts_glob: list[int] = []
        wide = 2 * n
        # Full text is matched, counted and scored over the rows the caller's user may
        # read, with their statistics alone (stores.fulltext.Reader, docs/SECURITY.md).
        reader = Reader(self.scope.user_id)
        if "fulltext" in self.retrievers:
            bound = store.fulltext_bound()
            found = store.fulltext_in_memory(retrieval.query_terms(self.query), wide, bound,
                                             reader)
            if found is not None:  # the in-memory copy scored it (stores/bm25.py)
                words, fts_glob = found
            else:
                words = store.fulltext.select_terms(
                    session, retrieval.query_terms(self.query), bound, reader=reader)
                fts_glob = ([pk for pk, _ in store.fulltext.top(
                    session, words, wide, bound, reader=reader, seq=self.head)]
                            if words else [])
            if dense_job is not None and not dense_job.done():
                # The dense lookup is still running (a large FAISS search): admit the
                # full-text candidates meanwhile; the dense ones are then all the
                # admission below has left to ask about.
                self.admit(session, fts_glob)
        qv: np.ndarray | None = None
        dense_glob: list[int] = []
        searched = short = 0
        if dense_job is not None:
            qv = vector
            scores, nearest = dense_job()
            dense_glob = _ordered(scores, nearest, cfg.dense_min_score)
            # The rows the lookup searched; an approximate search among a few of them (a
            # reader's rows in a larger store) can return fewer than it had, and then the
            # list counts as that much shorter than it should be.
            readable = self.readable
            searched = (len(store.vectors) if readable is None or readable.bits is None
                        else readable.count)
            short = max(0, min(n, searched) - int(np.count_nonzero(nearest >= 0)))
        self.admit(session, dense_glob + fts_glob)
        if qv is not None:
            dense = [pk for pk in dense_glob if pk in info]
            # The scope holds few of the rows searched (past n of them), or the lookup left
            # out rows it had and the list is not full: the exact search of the scope finds
            # what the first pass could not.
            narrow = len(dense) < min(n, len(dense_glob)) / 2 and searched > n
            missing = short > 0 and len(dense) < min(n, len(dense_glob) + short)
            if narrow or missing:
                subset = session.execute(select(CubeRow.pk).where(self.full_where()).limit(
                    SUBSET_MAX + 1)).scalars().all()
                if len(subset) <= SUBSET_MAX:
                    info.update(subset)  # selected with the full filter: admitted already
                    with store.index_lock:
                        sub_scores, top = store.vectors.search_subset(qv, subset, n)
                    dense = _ordered(sub_scores, top, cfg.dense_min_score)
                else:  # a large scope: widen the approximate search instead
                    with store.index_lock:
                        scores, found = store.vectors.search(qv[None, :], n * 8,
                                                             allow=self.readable)
                    dense = self.admit(session, _ordered(scores[0], found[0],
                                                         cfg.dense_min_score))[:n]
            ranked["dense"] = dense
        if "fulltext" in self.retrievers:
            fts = [pk for pk in fts_glob if pk in info][:n]
            # The global list was cut (by `wide`, or by the bound on scored rows, which is
            # smaller when k is large): the caller's own matches may lie past it.
            cut = wide if bound is None else min(wide, bound)
            if len(fts) < n and len(fts_glob) >= cut:
                scoped = store.fulltext_search(session, words, self.full_where(), n, reader,
                                               self.head)
                fts = self.admit(session, scoped)
            ranked["fulltext"] = fts
        weights = retrieval.retriever_weights(cfg)
        fused = retrieval.reciprocal_rank_fusion(ranked, weights, cfg.rrf_k)
        if "graph" in self.retrievers and cfg.graph_seeds and not store.graph.is_empty():
            seeds = sorted(fused.values(), key=lambda f: (-f.score, f.pk))[:cfg.graph_seeds]
            with store.index_lock:
                expanded = store.graph.expand([f.pk for f in seeds], cfg.graph_max_degree,
                                              reader=self.scope)
            order = sorted(expanded, key=lambda pk: (-expanded[pk], pk))
            # Cut after admission, not before: cubes the caller may not see (another user's
            # private neighbours of a public seed) must not take the places of hers. Admitted
            # n at a time, so the common case (all hers) stays one SELECT of n.
            graph: list[int] = []
            for start in range(0, len(order), n):
                graph += self.admit(session, order[start:start + n])
                if len(graph) >= n:
                    break
            ranked["graph"] = graph[:n]
            fused = retrieval.reciprocal_rank_fusion(ranked, weights, cfg.rrf_k)
        # Every fused candidate was admitted above, in this transaction: load by pk alone.
        # Priors for the speaker and dates the query names, session grouping and folding of
        # derived cubes: memos.retrieval. A search of history (include_superseded) does not
        # fold: every cube stands on its own there.
        return retrieval.select_hits(fused, self.query, k, cfg, self.now, lambda pks: (
            store.repo.rows_by_admitted_pks(session, [pk for pk in pks if pk in info])),
            fold=self.fold)
