"""`StoreParts`: the one internal object that holds an open store's parts.

The facade (`MemOS`) owns one; the modules behind it (`writes`, `search`, `transfer`,
`admin`) receive it instead of reaching into the facade's private fields. It is internal:
users see `MemOS` only.

Threads: one `MemOS` serves many threads. SQL writes are serialised by the repository (a
process lock around each write transaction, then the database's own lock across processes);
`index_lock` serialises everything that touches the in-memory indexes (catch-up, FAISS
search, graph walks, saving the FAISS files), so a reader never sees an index mid-update.
SQL reads run concurrently.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict, deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from memos.config import MemosConfig
from memos.cube import Lifecycle, Scope, Visibility, check_stored_text
from memos.errors import InvalidInputError, NotFoundError

if TYPE_CHECKING:
    from datetime import datetime

    import numpy as np
    from sqlalchemy.orm import Session

    from memos.embedders import Embedder
    from memos.stores.access import AccessBuffer
    from memos.stores.blobs import BlobStore
    from memos.stores.fulltext import FullTextIndex, Reader
    from memos.stores.graph import GraphIndex
    from memos.stores.indexer import Followed, IndexSync
    from memos.stores.repository import Repository
    from memos.stores.schema import CubeRow
    from memos.stores.vector_index import Allowed, VectorIndex


def not_found(cube_id: object) -> NotFoundError:
    """The one error for an id the caller cannot see: a missing cube and another scope's
    cube are indistinguishable (same class, same message)."""
    return NotFoundError(f"no cube with id {cube_id!r} in your scope; check the id "
                         f"(memos search lists ids)")


# A search's dense half goes to a worker thread only while fewer searches than cores are
# under way in this process: with every core already busy with other searches, the hand-off
# only adds work (thread wake-ups, GIL switches) and nothing can overlap.
CORES = (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
         else os.cpu_count() or 1)  # the cores this process may run on


def auto_search_limit(backend: str, processes: int = 1) -> int | None:
    """What `search_concurrency="auto"` means: on SQLite, where a search is CPU work, the
    cores this process may use, shared among `processes` processes serving on this machine
    (`memos serve --workers`), at least one each; on PostgreSQL, where a search waits on
    the network, no limit."""
    if backend != "sqlite":
        return None
    return max(1, CORES // max(1, processes))


# From this many vectors the dense half goes to a worker thread. Chosen from development
# timings (not a repo command): the hand-off cost more than it saved at 3,000 vectors and
# less at 10,000 and 100,000. `memos bench retrieval --n 100000` (BENCHMARKS.md, "Then: IVF
# for the hashing embedder ...") shows the gain at 100k; at 10k it stayed within the spread
# between runs.
OVERLAP_VECTORS = 5_000
DENSE_READERS_KEPT = 64  # users whose readable rows (dense_reader, from SQL) are kept
DENSE_PATCH_MAX = 4096  # changed cubes past which a kept answer is read again, not patched


DenseResult = tuple["np.ndarray", "np.ndarray"]  # (scores, pks) of one query


class FairGate:
    """At most `limit` holders at a time; the others wait and enter in the order they came.

    Searches go through one (RetrievalConfig.search_concurrency): with more searching
    threads than cores they only take turns on the cores and the GIL, each switch costing
    CPU, and a plain semaphore lets a thread that has just left take its place again ahead
    of one that has waited for many turns, which makes the slowest calls far slower. The
    limit is read at each entry, so a changed config applies to the next one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._inside = 0
        self._limit = 1
        self._waiting: deque[threading.Event] = deque()

    @contextmanager
    def held(self, limit: int | None) -> Iterator[None]:
        """Hold a place for the block; `limit` None: no limit (nothing waits)."""
        if limit is None:
            yield
            return
        self._enter(limit)
        try:
            yield
        finally:
            with self._lock:
                self._pass_on()

    @property
    def waiting(self) -> int:
        with self._lock:
            return len(self._waiting)

    def idle(self) -> bool:
        """Nobody holds a place and nobody waits for one."""
        with self._lock:
            return self._inside == 0 and not self._waiting

    def _enter(self, limit: int) -> None:
        with self._lock:
            self._limit = limit
            self._let_in()  # places a raised limit has opened go to those waiting first
            if self._inside < limit and not self._waiting:
                self._inside += 1
                return
            turn = self._turn()
            self._waiting.append(turn)
        try:
            turn.wait()
        except BaseException:  # interrupted while waiting: give up the place, or pass it on
            with self._lock:
                if turn.is_set():
                    self._pass_on()
                else:
                    self._waiting.remove(turn)
            raise

    def _turn(self) -> threading.Event:
        return threading.Event()

    def _pass_on(self) -> None:
        """One holder leaves (self._lock held): the longest waiter takes its place, while
        the number inside is within the limit."""
        if self._waiting and self._inside <= self._limit:
            self._waiting.popleft().set()  # the place changes hands: _inside stays
        else:
            self._inside -= 1
            self._let_in()

    def _let_in(self) -> None:
        """Waiters take the places free under the limit, longest waiting first (lock held)."""
        while self._waiting and self._inside < self._limit:
            self._inside += 1
            self._waiting.popleft().set()


class DenseJob:
    """The dense half of a search, done (on the calling thread) or under way on a worker."""

    def __init__(self, result: DenseResult | None = None,
                 future: Future[DenseResult] | None = None) -> None:
        self._result, self._future = result, future

    def done(self) -> bool:
        return self._future is None or self._future.done()

    def __call__(self) -> DenseResult:
        if self._future is not None:
            return self._future.result()
        assert self._result is not None
        return self._result


class StoreParts:
    """Repository, index sync (vectors, full text, graph), embedder, config and locks."""

    def __init__(self, repo: Repository, sync: IndexSync, embedder: Embedder,
                 config: MemosConfig, location: str, access: AccessBuffer) -> None:
        self.repo = repo
        self.sync = sync
        self.embedder = embedder
        self.config = config
        self.location = location
        self.access = access
        self.index_lock = threading.RLock()
        self._blobs: BlobStore | None = None
        self.closed = False
        self._pool: ThreadPoolExecutor | None = None  # dense halves of searches (see below)
        self._pool_lock = threading.Lock()
        self._searches = 0  # searches under way in this process (guarded by _pool_lock)
        self._current_marks: tuple[Any, ...] | None = None  # search_at_once
        self.marks_wanted = False  # searches note file marks once search_at_once is asked
        self._search_gate = FairGate()  # RetrievalConfig.search_concurrency
        # (embedder identity, query) -> vector, most recent last: RetrievalConfig.query_cache
        self._query_vectors: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        # user -> (changelog head, dense_reader's answer from SQL), most recent last
        self._dense_readers: OrderedDict[str | None, tuple[int, Allowed]] = OrderedDict()
        self._followed = threading.local()  # .last: what this thread's last `write` read

    # The indexes live in the sync object; these names are the parts' own.
    @property
    def vectors(self) -> VectorIndex:
        return self.sync.vectors

    @property
    def fulltext(self) -> FullTextIndex:
        return self.sync.fulltext

    @property
    def graph(self) -> GraphIndex:
        return self.sync.graph

    @property
    def blobs(self) -> BlobStore:
        """Activation and parametric tensor files. SQLite: `blobs/` in the store folder;
        PostgreSQL: beside this machine's index files (each machine re-derives what it lacks)."""
        if self._blobs is None:
            from memos.stores.blobs import BlobStore

            vectors = self.sync.vectors
            name = "blobs" if self.repo.dialect == "sqlite" else f"blobs-{vectors.store_id[:12]}"
            self._blobs = BlobStore(Path(vectors.folder) / name)
        return self._blobs

    def set_embedder(self, embedder: Embedder, vectors: VectorIndex) -> None:
        """Swap in another embedder and its (empty) vector index, e.g. for a re-embed."""
        with self.index_lock:
            self.embedder = embedder
            self.sync.vectors, self.sync.embed = vectors, embedder.embed

    # -- scope checks ------------------------------------------------------------------

    def row(self, session: Any, cube_id: str, scope: Scope, write: bool = False) -> CubeRow:
        """The cube row if `scope` may read it (or change it, with write=True). Another
        scope's cube raises exactly what a missing cube raises."""
        from memos.stores.repository import can_read, can_write

        if not isinstance(cube_id, str) or not cube_id:
            raise InvalidInputError(f"cube id must be a non-empty string (an id that add or "
                                    f"search returned), got {cube_id!r:.80}")
        try:  # no stored id holds these, and PostgreSQL refuses them even in a query
            check_stored_text(cube_id, "cube id")
        except ValueError as exc:
            raise InvalidInputError(str(exc)) from None
        row = self.repo.row_by_id(session, cube_id)
        if row is None or not can_read(row, scope):
            raise not_found(cube_id)
        if write and not can_write(row, scope):
            # A forgotten, archived or expired cube of another scope reads as missing (as
            # `get` says); a live one is visible (public or shared) but not the caller's:
            # saying so reveals nothing the caller cannot already read.
            from memos.cube import Lifecycle, utcnow
            from memos.errors import ScopeError
            from memos.policies import retention

            if (row.state in (Lifecycle.FORGOTTEN.value, Lifecycle.ARCHIVED.value)
                    or retention.is_expired(row.expires_at, utcnow())):
                raise not_found(cube_id)
            raise ScopeError(f"cube {cube_id} belongs to another user or agent: you can read "
                             f"it, but only its owner can change it; add your own memory "
                             f"instead")
        return row

    # -- after writes ------------------------------------------------------------------

    def catch_up(self) -> int:
        with self.index_lock:
            return self.sync.catch_up()

    def save_vectors(self) -> None:
        with self.index_lock:  # catch up first: never write back what another process erased
            self.sync.save_vectors()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One write transaction (Repository.write) that the indexes follow: before it
        commits, the SQL full-text index takes its changes and what the in-memory indexes
        need is read (IndexSync.follow), which the `after_write` call that follows the
        block applies without a transaction of its own."""
        self._followed.last = None
        followed: Followed | None = None
        with self.repo.write() as session:
            yield session
            followed = self.sync.follow(session)
        # Only once committed (a failed commit leaves none), and tied to this transaction:
        # `after_write` uses it only if no other write began on this thread since.
        self._followed.last = (followed, self.repo.writes_on_this_thread())

    def after_write(self, changes: int) -> None:
        """Bring the indexes up to the write just committed: from what its transaction
        read (`write`) where it can, else by catching up."""
        last = getattr(self._followed, "last", None)
        self._followed.last = None
        followed: Followed | None = None
        if last is not None and last[1] == self.repo.writes_on_this_thread():
            followed = last[0]
        with self.index_lock:
            if followed is None or not self.sync.apply_followed(followed):
                self.sync.catch_up()
            # Saving rewrites the whole file, so wait for changes worth half the index: the
            # bytes written stay proportional to the store, however it grows.
            if self.vectors.dirty >= max(self.config.save_every, len(self.vectors) // 2):
                self.vectors.save()
        if followed is not None:
            # (a write waits here for a search's turn with the copy: a query's scoring, not
            # a load, which runs on its own thread)
            with self.sync.memory_lock:
                self.sync.follow_memory(followed)

    def query_vector(self, query: str) -> np.ndarray:
        """`query`'s vector: from the query cache, else embedded on the calling thread.

        A model's embedding of one query is not handed to a worker: a short text's forward
        pass is mostly Python and small torch ops that hold the GIL, so on a worker it
        overlapped little and each return from torch waited for the caller's thread to let
        go of the GIL (`memos bench retrieval --embedder minilm`, BENCHMARKS.md)."""
        cache_size = self.config.retrieval.query_cache
        key = (self.embedder.identity, query)
        with self._pool_lock:
            cached = self._query_vectors.get(key) if cache_size else None
            if cached is not None:
                self._query_vectors.move_to_end(key)
        return cached if cached is not None else self._query_vector(query, key, cache_size)

    def dense_reader(self, session: Any, head: int, user_id: str | None) -> Allowed:
        """The rows a search by `user_id` may take from the vector index, read in the
        snapshot whose changelog head is `head`: her own (every agent's) and public ones
        that the index holds, as a bitmap of pks, or every row up to the snapshot's largest
        pk when she may read them all (a store of one user). The dense half searches these
        rows only, so that which of her vectors it returns does not depend on other users'
        private ones (docs/SECURITY.md). From the admission copy when it is current at
        `head` (or ahead of it: then a few changes newer, which the search's exact
        admission sorts out), else from SQL (kept for the next searches at the same head)."""
        from memos.stores.vector_index import Allowed

        if self.uses_admission_copy():
            with self.sync.admit_lock:
                # (the search's admission asks for the copy too: one ask a search; a copy
                # another search caught up past this snapshot is a few changes newer,
                # which admission, exact at the snapshot, then sorts out)
                mirror = self.sync.admission(session, head, ask=False, newer=True)
                if mirror is not None:
                    return Allowed(*mirror.readable(user_id))
        key = user_id
        with self._pool_lock:
            kept = self._dense_readers.get(key)
        if kept is not None and kept[0] == head:
            return kept[1]
        found = (self._dense_reader_patched(session, kept[0], head, user_id, kept[1])
                 if kept is not None and kept[0] < head else None)
        if found is None:
            found = self._dense_reader_sql(session, user_id)
        with self._pool_lock:
            newer = self._dense_readers.get(key)
            if newer is None or newer[0] <= head:  # (a search at an older snapshot keeps
                self._dense_readers[key] = (head, found)  # the newer answer kept)
            self._dense_readers.move_to_end(key)
            while len(self._dense_readers) > DENSE_READERS_KEPT:
                self._dense_readers.popitem(last=False)
        return found

    def _dense_reader_patched(self, session: Any, since: int, head: int,
                              user_id: str | None, before: Allowed) -> Allowed | None:
        """`before` (the answer at changelog head `since`) brought to `head` by the cubes the
        changelog names in between (every change of a cube's owner, visibility, state or
        tier writes a changelog row; a purged cube's row is gone, and with it its bit).
        None when a full read is the better way: more than DENSE_PATCH_MAX cubes changed (or
        more than four times as many changelog rows were written), or another user's hidden
        row appeared in a store she read whole."""
        import numpy as np
        from sqlalchemy import select

        from memos.stores.schema import INDEXED_STATES, UNINDEXED_TIERS, ChangelogRow, CubeRow
        from memos.stores.vector_index import Allowed, with_bits

        if head - since > 4 * DENSE_PATCH_MAX:  # (seqs: at least as many rows to look at)
            return None
        conn = session.connection()
        changed = list(conn.execute(
            select(ChangelogRow.cube_pk).where(
                ChangelogRow.seq > since, ChangelogRow.seq <= head,
                ChangelogRow.cube_pk.is_not(None)).distinct()
            .limit(DENSE_PATCH_MAX + 1)).scalars())
        if len(changed) > DENSE_PATCH_MAX:
            return None
        if not changed:
            return before
        readable = dict.fromkeys(changed, False)  # (distinct: the query says so)
        hidden_other = False
        for pk, owner, visibility, state, tier in conn.execute(
                select(CubeRow.pk, CubeRow.user_id, CubeRow.visibility, CubeRow.state,
                       CubeRow.tier).where(CubeRow.pk.in_(changed))):
            if state not in INDEXED_STATES or tier in UNINDEXED_TIERS:
                continue
            if visibility == Visibility.PUBLIC.value or (
                    user_id is not None and owner == user_id):
                readable[pk] = True
            else:
                hidden_other = True
        top = max(before.top, max(changed))
        if before.bits is None:
            return None if hidden_other else Allowed(None, 0, top)
        bits, added = with_bits(before.bits, np.fromiter(readable, dtype=np.int64),
                                np.fromiter(readable.values(), dtype=bool))
        return Allowed(bits, before.count + added, top)

    def _dense_reader_sql(self, session: Any, user_id: str | None) -> Allowed:
        import numpy as np
        from sqlalchemy import and_, func, select

        from memos.stores.fulltext import Reader, reader_clause
        from memos.stores.indexer import indexed_clause
        from memos.stores.schema import CubeRow
        from memos.stores.vector_index import Allowed, bitmap

        conn = session.connection()
        top = int(conn.execute(select(func.coalesce(func.max(CubeRow.pk), 0))).scalar_one())
        hidden = and_(CubeRow.visibility != Visibility.PUBLIC.value, indexed_clause())
        # Another user's row in the index that is not public? Asked as two ranges of the
        # user_id index (one OR of them scans every row of hers on SQLite)
        others = ([hidden] if user_id is None else
                  [and_(CubeRow.user_id < user_id, hidden), and_(CubeRow.user_id > user_id,
                                                                   hidden)])
        if all(conn.execute(select(CubeRow.pk).where(where).limit(1)).first() is None
               for where in others):
            return Allowed(None, 0, top)
        pks = np.fromiter(conn.execute(select(CubeRow.pk).where(
            reader_clause(Reader(user_id)), indexed_clause())).scalars(), dtype=np.int64)
        return Allowed(bitmap(pks), len(pks), top)

    def start_dense(self, vector: np.ndarray, n: int, *, in_parallel: bool,
                    allow: Allowed | None = None) -> DenseJob:
        """Begin the dense half of a search: look up the `n` nearest vectors to `vector`
        (`query_vector`) among the rows `allow` holds (`dense_reader`; None: all). Calling
        the returned job gives (scores, pks); `done()` says whether that would wait.

        With `in_parallel` (the caller has the full-text and SQL half to do meanwhile) the
        FAISS lookup runs on a worker thread when the index holds at least OVERLAP_VECTORS
        vectors: FAISS releases the GIL while it searches, so on two cores the halves
        overlap. The lookup stays on the calling thread while other searches fill the cores
        this process may use (`searching`; `search_limit`, which `memos serve --workers N`
        sets to each worker's share of the machine): a hand-off with no spare core overlaps
        nothing and costs CPU. A lookup's error is raised when the job is called."""
        def job() -> DenseResult:
            with self.index_lock:
                scores, found = self.vectors.search(vector[None, :], n, allow=allow)
            return scores[0], found[0]

        limit = self.search_limit()
        cores = CORES if limit is None else min(CORES, limit)
        if (not in_parallel or len(self.vectors) < OVERLAP_VECTORS
                or self._searches >= cores):
            return DenseJob(result=job())
        with self._pool_lock:
            if self._pool is None:  # (VectorIndex.search sets FAISS's threads per thread)
                self._pool = ThreadPoolExecutor(max_workers=4,
                                                thread_name_prefix="memos-search-dense")
            future = self._pool.submit(job)
        return DenseJob(future=future)

    def _query_vector(self, query: str, key: tuple[str, str], cache_size: int) -> np.ndarray:
        """The query's vector from the embedder, checked against the index and remembered
        in the query cache."""
        import numpy as np

        from memos.errors import InvalidInputError

        vector = np.asarray(self.embedder.embed([query]), dtype=np.float32).reshape(-1)
        if vector.shape != (self.vectors.dim,):
            raise InvalidInputError(
                f"embedder {self.embedder.identity} gave a {vector.shape[0]}-d query vector; "
                f"the index holds {self.vectors.dim}-d vectors; run `memos reindex`")
        if cache_size:
            vector.setflags(write=False)
            with self._pool_lock:
                self._query_vectors[key] = vector
                while len(self._query_vectors) > cache_size:
                    self._query_vectors.popitem(last=False)
        return vector

    def fulltext_bound(self) -> int | None:
        """`RetrievalConfig.fulltext_max_postings` when this store holds more cubes than it
        (a smaller store cannot exceed it: no per-term counts, no bound), else None."""
        bound = self.config.retrieval.fulltext_max_postings
        return bound if bound is not None and len(self.vectors) > bound else None

    def uses_fulltext_memory(self) -> bool:
        """Whether searches score full text from the in-memory copy (stores/bm25.py): SQLite
        and turned on (RetrievalConfig.fulltext_in_memory). (Small stores too: scoring a
        reader from the index's tables reads each query word's instances, which cost
        milliseconds where the copy costs a fraction of one.)"""
        return self.repo.dialect == "sqlite" and self.config.retrieval.fulltext_in_memory

    def fulltext_in_memory(self, terms: Sequence[str], limit: int, max_postings: int | None,
                           reader: Reader) -> tuple[list[str], list[int]] | None:
        """(query words kept, best `limit` pks) from the in-memory copy of the full-text
        index, for `reader`: what `FullTextIndex.select_terms` and `top` give, without
        reading the index's tables. None where the copy is not used
        (`uses_fulltext_memory`), not loaded yet, or a query word FTS5 reads as a phrase.
        The search must have checked that the indexes are current."""
        from memos.stores.fulltext import COUNT_CAP_FACTOR, clean_terms, keep_rare_terms

        if not self.uses_fulltext_memory():
            return None
        words = clean_terms(terms)
        if not words:
            return [], []
        # The copy's own lock, not index_lock: the dense half holds that one while FAISS
        # searches (on a worker thread), and the two halves are meant to overlap.
        with self.sync.memory_lock:
            memory = self.sync.fulltext_memory()
            if memory is None:
                return None
            tokens = memory.tokens_of(words)
            if tokens is None:
                return None
            lists = memory.readable_postings(tokens, reader)  # (counted, then scored)
            if len(words) >= 2 and max_postings is not None:
                cap = COUNT_CAP_FACTOR * max_postings
                counts = [min(len(pks), cap) for pks, _ in lists]
                keep = keep_rare_terms(words, counts, max_postings)
                lists = [p for w, p in zip(words, lists, strict=True) if w in keep]
                words = keep
            hits = memory.score(lists, limit, max_postings, reader)
        return words, [pk for pk, _ in hits]

    def fulltext_search(self, session: Any, words: Sequence[str], where: Any, limit: int,
                        reader: Reader, seq: int) -> list[int]:
        """Best `limit` pks of the rows matching any of `words` and `where`, scored for
        `reader` (a search's scoped second pass): from the in-memory copy when it is
        loaded (the rows matching read from SQL, scored in the copy), else
        `FullTextIndex.search`."""
        from memos.stores.fulltext import SqliteFullText

        if self.uses_fulltext_memory() and isinstance(self.fulltext, SqliteFullText) and words:
            with self.sync.memory_lock:
                memory = self.sync.fulltext_memory()
                tokens = memory.tokens_of(words) if memory is not None else None
            if memory is not None and tokens is not None:
                only = self.fulltext.matching_rows(session, words, where)
                if not len(only):
                    return []
                with self.sync.memory_lock:
                    if self.sync.memory is memory:  # (not replaced or dropped meanwhile)
                        return [pk for pk, _ in memory.top(tokens, limit, None, reader, only)]
        return [pk for pk, _ in self.fulltext.search(session, words, where, limit,
                                                     reader=reader, seq=seq)]

    def uses_admission_copy(self) -> bool:
        """Whether searches may use the in-memory admission copy (stores/admit.py): SQLite,
        with `RetrievalConfig.admission_in_memory`."""
        return self.config.retrieval.admission_in_memory and self.repo.dialect == "sqlite"

    def admit_default(self, session: Any, head: int, pks: Sequence[int], scope: Scope,
                      tiers: Sequence[str], include_superseded: bool, now: datetime
                      ) -> list[int]:
        """`Repository.admit_default` for a search whose read snapshot has changelog head
        `head`: answered by the in-memory admission copy (stores/admit.py) when it is
        current at that head, by SQL otherwise."""
        if self.uses_admission_copy():
            states = [Lifecycle.ACTIVE.value] + (
                [Lifecycle.SUPERSEDED.value] if include_superseded else [])
            with self.sync.admit_lock:
                mirror = self.sync.admission(session, head)
                now_param = self.repo.datetime_param(now)
                if mirror is not None and isinstance(now_param, str) and scope.user_id:
                    return mirror.admit(pks, scope.user_id, scope.agent_id, states, tiers,
                                        now_param, Visibility.PRIVATE.value,
                                        Visibility.PUBLIC.value)
        return self.repo.admit_default(session, pks, scope, tiers, include_superseded, now)

    def search_limit(self) -> int | None:
        """Searches this process runs at once (RetrievalConfig.search_concurrency); None:
        no limit."""
        limit = self.config.retrieval.search_concurrency
        if limit == "auto":
            return auto_search_limit(self.repo.dialect)
        # The config of an open store can be changed unchecked: a limit under 1 would make
        # every search wait forever for a place that never frees.
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)
                                  or limit < 1):
            raise InvalidInputError(f"retrieval.search_concurrency must be \"auto\", an "
                                    f"integer of at least 1 or None, got {limit!r:.40}")
        return limit

    def search_at_once(self) -> bool:
        """Whether a search started now would most likely run straight through: no search
        of this process under way or waiting for a place, the indexes not held by upkeep (a
        rebuild, a repair), and the database's files as they were when a search last found
        every index current (`Repository.file_marks`; SQLite files only): after any commit
        since, a search may first catch its indexes up, embedding what other processes
        wrote. A hint for where to run it (a server's event loop, or a thread): what it
        finds does not depend on it."""
        self.marks_wanted = True
        if not self._search_gate.idle():
            return False
        if not self.index_lock.acquire(blocking=False):
            return False
        self.index_lock.release()
        marks = self.repo.file_marks()
        return marks is not None and marks == self._current_marks

    def note_current(self, marks: tuple[Any, ...] | None) -> None:
        """A search found every index current in a snapshot read after `marks` were taken."""
        self._current_marks = marks

    @contextmanager
    def searching(self) -> Iterator[None]:
        """Run the block as one of the searches under way: wait for a place first
        (`search_limit`, in arrival order), and count it while it runs (start_dense asks).
        The block must not search again (it would wait on itself)."""
        with self._search_gate.held(self.search_limit()):
            with self._pool_lock:
                self._searches += 1
            try:
                yield
            finally:
                with self._pool_lock:
                    self._searches -= 1

    def forget_queries(self) -> None:
        """Drop remembered query vectors, readers' rows for the dense half, and the query
        words the full-text index tokenized with its reader totals (a purge leaves no
        caller's words or ids in this process)."""
        with self._pool_lock:
            self._query_vectors.clear()
            self._dense_readers.clear()  # (user ids, and pks of purged rows)
        self.fulltext.forget_queries()

    def close_workers(self) -> None:
        """Stop the dense-half workers, waiting for those under way. The pool leaves under
        `_pool_lock` and is shut down outside it: a worker finishing a search takes that lock
        to remember its query vector."""
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)
        self.sync.stop_memory()

    def note_access(self, pks: Sequence[int]) -> None:
        self.access.note(pks)

    def flush_access(self) -> None:
        if not self.closed:
            self.access.flush()


__all__ = ["DenseJob", "StoreParts", "auto_search_limit", "not_found"]
