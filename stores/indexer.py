"""Keeps the derived indexes (vectors, full text, graph) in step with the SQL changelog.

Each index records the last changelog seq it applied. `catch_up()` reads the rows after it,
looks up the *current* state of the cubes they name (so replaying a change twice is
harmless) and updates the index. Rebuilds scan the `cubes` table. This is the whole of
invariant 5: any derived index can be deleted and comes back with the same answers.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from memos.cube import Lifecycle, Visibility
from memos.stores.admit import COLUMNS as ADMIT_COLUMNS
from memos.stores.admit import AdmitMirror
from memos.stores.bm25 import FullTextDoc, MemoryFullText, Tokenizer
from memos.stores.fulltext import FullTextIndex, context_of
from memos.stores.graph import GraphIndex
from memos.stores.repository import Repository, driver_rows
from memos.stores.schema import INDEXED_STATES, UNINDEXED_TIERS, CubeRow
from memos.stores.vector_index import VectorIndex

log = logging.getLogger(__name__)

# Changelog ops after which a cube's text may differ from what the index holds.
CONTENT_OPS = {"add", "import", "update", "rollback"}
# Ops after which a cube's full-text row may differ: its text, or its context (an ingest
# "merge" takes metadata keys the kept cube lacked, "context" among them: policies/dedup.py).
FULLTEXT_OPS = CONTENT_OPS | {"merge"}
PAGE = 5_000
PRIMED_MAX = 100_000  # vectors kept for the next catch-up, at most
# The in-memory full-text copy is loaded again, not caught up, when more changes than this
# share of its rows (and at least RELOAD_MIN) came since it was current (fulltext_memory),
# or when writes handed to it would take its delta past that share (follow_memory).
RELOAD_FRACTION = 0.25
RELOAD_MIN = 2_000
# A fresh full-text copy is loaded in the background once rows changed since the last load
# pass this share of its rows (and RELOAD_MIN): they sit in its delta, which costs Python
# work per query. The admission copy is loaded again, not caught up, past the same share
# (and RELOAD_MIN) of changes: its catch-up holds the other searches' admissions.
REFRESH_FRACTION = 0.05
LOAD_AFTER = 3  # asks for a copy (searches; admissions for the admission copy) before a load

EmbedFn = Callable[[Sequence[str]], np.ndarray]
# A cube as the indexes see it: (indexed?, content, full-text context, user id, public?)
Current = tuple[bool, str, str, str, bool]
ProgressFn = Callable[[int, int | None], None]


def indexed_clause() -> ColumnElement[bool]:
    """The cubes the vector and full-text indexes hold: an indexed state, a tier with text."""
    return and_(CubeRow.state.in_(INDEXED_STATES), CubeRow.tier.not_in(UNINDEXED_TIERS))


def fulltext_context(state: str, meta: Any) -> str:
    """The context a cube is full-text indexed with: its `metadata["context"]` (the
    neighbouring turns) while it is live, none once superseded. A superseded cube is found
    by its own words (a search of history); the neighbours' words it quotes would keep a
    forgotten turn's words findable through every old fact read near it."""
    return context_of(meta) if state == Lifecycle.ACTIVE.value else ""


def _running(thread: threading.Thread | None, target: Callable[[], Any],
             name: str) -> threading.Thread:
    """`thread` while it runs; else a new daemon thread running `target`, started (the
    background loads of the in-memory copies: one at a time each)."""
    if thread is None or not thread.is_alive():
        thread = threading.Thread(target=target, daemon=True, name=name)
        thread.start()
    return thread


def _linked(changes: Sequence[Any]) -> list[int]:
    """The edge ids `changes` link."""
    return [c.edge_id for c in changes if c.op == "link" and c.edge_id]


@dataclass
class Followed:
    """What `IndexSync._read_changes` read on one transaction (a writer's, for `follow`, or
    a catch-up's): a page of the changelog from the furthest-behind index, the cubes' rows,
    the seq each index stood at, the rows of the edges linked, and the full-text plan."""

    changes: list[Any]
    current: dict[int, Current]
    vectors_from: int
    graph_from: int
    fulltext_from: int
    edge_rows: list[Any]
    fulltext_drop: list[int]
    fulltext_docs: list[FullTextDoc]

    @property
    def fulltext_changes(self) -> list[Any]:
        """The changes after `fulltext_from`: what the full-text plan covers."""
        return [c for c in self.changes if c.seq > self.fulltext_from]


def is_indexed(state: str, tier: str) -> bool:
    """`indexed_clause` for one cube."""
    return state in INDEXED_STATES and tier not in UNINDEXED_TIERS


class IndexSync:
    def __init__(self, repo: Repository, vectors: VectorIndex, fulltext: FullTextIndex,
                 graph: GraphIndex, embed: EmbedFn) -> None:
        self.repo = repo
        self.vectors = vectors
        self.fulltext = fulltext
        self.graph = graph
        self.embed = embed
        # The in-memory copy of the SQLite full-text index (stores/bm25.py): loaded by the
        # first search that needs it (`fulltext_memory`), then caught up like the graph.
        self.memory: MemoryFullText | None = None
        self.memory_failed = False  # a load failed: not tried again in this process
        self._memory_asks = 0  # searches that found no copy
        self._loader: threading.Thread | None = None
        self._stop_loading = threading.Event()
        self._holds = 0  # loading_held blocks under way (changed under memory_lock)
        # Bumped (under memory_lock) when the store's index is rebuilt: a load that read the
        # index before that is dropped instead of put in place.
        self._memory_gen = 0
        # Held while the copy is caught up or queried (fulltext_memory and its callers).
        self.memory_lock = threading.RLock()
        # The in-memory copy of the admission columns (stores/admit.py, SQLite only): the
        # same life as the full-text copy (loaded in the background after LOAD_AFTER asks,
        # caught up by searches, dropped by a purge), under its own lock. Lock order:
        # admit_lock may be held while memory_lock is taken, never the other way round.
        self.admission_copy: AdmitMirror | None = None
        self.admit_failed = False
        self._admit_asks = 0
        self._admit_loader: threading.Thread | None = None
        self.admit_lock = threading.RLock()
        # pk -> (the text the vector was computed from, the vector)
        self._primed: dict[int, tuple[str, np.ndarray]] = {}
        self._primed_lock = threading.Lock()  # writers prime outside the index lock

    def prime(self, pks: Sequence[int], vectors: np.ndarray, texts: Sequence[str]) -> None:
        """Vectors a writer already computed for the cubes it is committing, with their texts.

        Each is used once, and only while the cube still has that text: with several
        threads, a catch-up may index a cube before its writer primes it, and the cube may
        change before the next catch-up; a vector is never applied to another text. Priming
        before commit means no catch-up reads the new rows without their vectors."""
        with self._primed_lock:
            if len(self._primed) > PRIMED_MAX:  # only a shortcut: leftovers are dropped
                self._primed.clear()
            self._primed.update(zip(pks, zip(texts, vectors, strict=True), strict=True))

    def _vectors_for(self, pks: Sequence[int], texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(pks), self.vectors.dim), dtype=np.float32)
        need = []
        with self._primed_lock:
            for i, pk in enumerate(pks):
                hit = self._primed.pop(pk, None)
                if hit is not None and hit[0] == texts[i]:
                    out[i] = hit[1]
                else:
                    need.append(i)
        if need:
            out[need] = self.embed([texts[i] for i in need])
        return out

    # -- open ------------------------------------------------------------------------

    def open(self, progress: ProgressFn | None = None) -> None:
        """Load what is on disk, rebuild what is unusable (missing files, another embedder,
        an older index format: `progress(done, total)` follows the rebuild), then catch up."""
        with self.repo.read() as session:
            head = self.repo.max_seq(session)
            self.graph.load(session, head)
        loaded = self.vectors.load()
        if loaded and self.vectors.seq > self.head():  # head read after the file: see save()
            # A file ahead of SQL belongs to another database (or a restored backup): it is
            # not "newer" than this store, so the rebuilt index replaces it at once.
            self.rebuild_vectors(progress)
            self.catch_up()
            self.vectors.save(force=True)
            return
        if not loaded:
            self.rebuild_vectors(progress)
            if len(self.vectors):  # written now: the next open loads it instead
                self.catch_up()
                self.vectors.save()
                return
        self.catch_up()

    def head(self) -> int:
        with self.repo.read() as session:
            return self.repo.max_seq(session)

    def save_vectors(self) -> bool:
        """Catch the vector index up with the changelog, then write its files (which refuse
        to move backwards: see VectorIndex.save). A process that opened the store before a
        purge thus never writes the purged vectors back, nor an older seq over a newer one."""
        self._catch_up_vectors_and_graph()
        return self.vectors.save()

    def fulltext_seq(self, session: Session) -> int:
        return self.repo.index_seq(session, self.fulltext.name)

    # -- catch up ----------------------------------------------------------------------

    def current_head(self, session: Session) -> tuple[int, bool]:
        """(the changelog head of the caller's snapshot, whether every index has applied
        the changelog up to it), read on the caller's own session (search asks this on every
        call: no second connection, one statement)."""
        head, fts_seq = self.repo.index_heads(session, self.fulltext.name)
        return head, self.vectors.seq >= head and fts_seq >= head and self.graph.seq >= head

    def catch_up(self) -> int:
        """Bring every index to the changelog head; returns the head seq."""
        # Every write starts here, so both seqs come from one statement on a bare connection.
        head, fts_seq = self.repo.heads_now(self.fulltext.name)
        if fts_seq < head:
            self._catch_up_fulltext()
        if self.vectors.seq < head or self.graph.seq < head:
            self._catch_up_vectors_and_graph()
        return head

    def _catch_up_vectors_and_graph(self) -> None:
        """The vector index and the graph to the changelog head, both from one reading of
        the changelog and the rows per page."""
        while True:
            with self.repo.read() as session:
                page = self._read_changes(session, self.vectors.seq, self.graph.seq, None)
            if page is None:
                return
            self.apply_followed(page)
            if len(page.changes) < PAGE:  # a short page was the whole rest of the changelog
                return

    @staticmethod
    def _plan(changes: Sequence[Any], ops: set[str] = CONTENT_OPS
              ) -> tuple[set[int], set[int]]:
        """(pks whose text may have changed, every pk named)."""
        touched: set[int] = set()
        content: set[int] = set()
        for change in changes:
            if change.cube_pk is None:
                continue
            touched.add(change.cube_pk)
            if change.op in ops:
                content.add(change.cube_pk)
        return content, touched

    @staticmethod
    def _current(session: Session, pks: set[int], with_context: bool = False
                 ) -> dict[int, Current]:
        """pk -> (indexed?, content, full-text context ('' unless with_context, see
        `fulltext_context`), user id, public?)."""
        cols = [CubeRow.pk, CubeRow.state, CubeRow.tier, CubeRow.content, CubeRow.user_id,
                CubeRow.visibility]
        if with_context:
            cols.append(CubeRow.meta)
        rows = session.execute(select(*cols).where(CubeRow.pk.in_(list(pks))))
        return {r[0]: (is_indexed(r[1], r[2]), r[3],
                       fulltext_context(r[1], r[6]) if with_context else "", r[4],
                       r[5] == Visibility.PUBLIC.value)
                for r in rows}

    def _apply_vectors(self, changes: Sequence[Any],
                       current: dict[int, Current]) -> None:
        """Apply `changes` (the changelog after `vectors.seq`) given the cubes' `current`
        rows (`_current`)."""
        content, touched = self._plan(changes)
        drop = [pk for pk in touched
                if pk not in current or not current[pk][0]]
        embed = [pk for pk in sorted(touched) if pk in current
                 and current[pk][0]
                 and (pk in content or pk not in self.vectors)]
        self.vectors.remove(drop)
        # a purged vector leaves what the index learnt from it too (an IVF's centroids)
        self.vectors.erase([c.cube_pk for c in changes if c.op == "purge" and c.cube_pk])
        with self._primed_lock:
            for pk in drop:
                self._primed.pop(pk, None)
        if embed:
            self.vectors.add(embed, self._vectors_for(embed, [current[pk][1] for pk in embed]))
        self.vectors.seq = changes[-1].seq
        self.vectors.dirty += 1

    def _catch_up_fulltext(self) -> None:
        while True:
            with self.repo.write() as session:  # FTS rows and their seq commit together
                seq = self.fulltext_seq(session)
                changes = self.repo.changes_after(session, seq, PAGE)
                if not changes:
                    return
                self._write_fulltext(session, changes, *self._fulltext_changes(session, changes))
            if len(changes) < PAGE:  # no second write transaction only to find nothing
                return

    def _write_fulltext(self, session: Session, changes: Sequence[Any], drop: list[int],
                        docs: list[FullTextDoc]) -> None:
        """Apply `changes` (the changelog after the SQL index's seq), planned as `drop` and
        `docs` (`_fulltext_plan`), to the SQL full-text index on the caller's write
        transaction, with its new seq."""
        removed = self.fulltext.remove(session, drop)
        self.fulltext.upsert(session, docs)
        if removed:  # forgotten, archived or purged text leaves the index's storage
            self.fulltext.compact(session)
        self.repo.set_index_meta(session, self.fulltext.name, changes[-1].seq)

    def _fulltext_changes(self, session: Session, changes: Sequence[Any]
                          ) -> tuple[list[int], list[FullTextDoc]]:
        """(pks to drop from the full-text index, (pk, content, context, user id, public?)
        to index again) after `changes`, from the cubes' current rows."""
        _, touched = self._plan(changes, FULLTEXT_OPS)
        return self._fulltext_plan(changes,
                                   self._current(session, touched, with_context=True))

    def _fulltext_plan(self, changes: Sequence[Any],
                       current: dict[int, Current]
                       ) -> tuple[list[int], list[FullTextDoc]]:
        """`_fulltext_changes` given the `current` rows (with their context) of every cube
        `changes` name."""
        content, touched = self._plan(changes, FULLTEXT_OPS)
        drop = [pk for pk in touched if pk not in current or not current[pk][0]]
        # Content changes, and cubes superseded since: indexed by their own words from
        # then on (fulltext_context).
        ended = {c.cube_pk for c in changes if c.op == "supersede"}
        docs = [(pk, current[pk][1], current[pk][2], current[pk][3], current[pk][4])
                for pk in sorted(content | ended) if pk in current and current[pk][0]]
        return drop, docs

    def fulltext_memory(self) -> MemoryFullText | None:
        """The in-memory copy of the SQLite full-text index, current for a search that has
        checked that the indexes are current in its snapshot (so `vectors.seq` is at least
        the snapshot's head); None while there is none: that search scores from the index's tables. The
        caller holds `memory_lock`.

        The copy is loaded on a background thread (`load_memory`) once LOAD_AFTER searches
        have asked for it, so a process that searches once (a CLI command) never pays for
        it, and no search waits for a load. Writes never wait for a load either: a write
        hands its own changes to the copy when the copy stood where the SQL index did
        (`follow_memory`, a wait for memory_lock at most); the rest is caught up here, by
        the first search after them, rows written since its load going to its
        delta. When the delta passes REFRESH_FRACTION of the rows, a fresh copy is loaded in
        the background while this one serves; more changes than RELOAD_FRACTION of its rows
        at once (a bulk import), or a purge, drop it at once (the tables serve until the new one
        is in place), so that no token of purged text stays in it."""
        memory = self.memory
        if memory is not None and self.vectors.seq - memory.seq > max(
                RELOAD_MIN, RELOAD_FRACTION * memory.rows):
            # (a purge may be among those changes: its words go with the copy's tokenizer)
            self._drop_memory()
            memory = None
        if memory is not None and memory.seq < self.vectors.seq:
            # This copy, not whatever `self.memory` is by now: a load or a rebuild may have
            # replaced or dropped that (neither waits for memory_lock to read the store).
            if self._catch_up_memory(memory):  # a purge: the erased tokens go with it
                if self.memory is memory:
                    self._drop_memory()
                else:  # (replaced meanwhile: the replacement's catch-up sees the purge)
                    memory.tokenizer.forget()
                memory = None
                self._memory_asks = LOAD_AFTER - 1  # load a new one now
        if memory is None:
            self._memory_asks += 1
            if self._memory_asks >= LOAD_AFTER:
                self._start_loader()
            return None
        if memory.changed_rows() > max(RELOAD_MIN, REFRESH_FRACTION * memory.rows):
            if self.memory_failed:  # no fresh copy to come: the tables from now on
                self._drop_memory()
                return None
            self._start_loader()
        return memory

    def _drop_memory(self, replacement: MemoryFullText | None = None) -> None:
        """Put `replacement` in place of the copy (caller holds memory_lock). The copy
        dropped takes with it every text and query word its tokenizer saw: each copy has
        its own, so no tokenizer outlives its copy (a purge's words would stay in it)."""
        old, self.memory = self.memory, replacement
        if old is not None and old is not replacement:
            old.tokenizer.forget()

    def _start_loader(self) -> threading.Thread | None:
        """Start a background load unless one runs (caller holds memory_lock, which
        `loading_held` takes to count itself, so none starts once a hold has begun).
        Returns the load under way, if any."""
        if self.memory_failed or self._holds:
            return None
        self._loader = _running(self._loader, self.load_memory, "memos-fulltext-load")
        return self._loader

    def warm_memory(self) -> None:
        """Bring the copy up to date now and wait for it (`MemOS.warm`, after `catch_up`):
        load it if there is none, catch it up, or replace it if it is too far behind or its
        delta too large, as the next search would, but without waiting for searches to ask.
        Loads run on the loader thread, so that a purge's `loading_held` stops and waits
        for them as for any background load."""
        for _ in range(2):  # (a load, then the catch-up of what was written meanwhile)
            with self.memory_lock:
                self._memory_asks = max(self._memory_asks, LOAD_AFTER - 1)
                self.fulltext_memory()
                loader = self._loader
            if loader is None or not loader.is_alive():
                return
            loader.join()

    def load_memory(self) -> MemoryFullText | None:
        """Load the in-memory full-text copy from one snapshot of the store's index and put
        it in place (the background thread's work; tests call it directly). A failure is
        logged and not tried again in this process: the index's tables answer the same."""
        gen = self._memory_gen
        try:
            with self.repo.read() as session:
                seq = self.fulltext_seq(session)
                memory = MemoryFullText.load(session.connection().connection.dbapi_connection,
                                             Tokenizer(), seq, stop=self._stopped)
        except Exception as exc:  # noqa: BLE001 - only a shortcut; logged, the tables go on
            if not self._stopped():
                log.warning("full-text index not loaded into memory (%s); the index's "
                            "tables score queries instead", exc)
                self.memory_failed = True
            return None
        with self.memory_lock:
            if gen != self._memory_gen:  # the index was rebuilt meanwhile: read it again
                return None
            self._drop_memory(memory)
        log.info("full-text index loaded into memory: %d rows, %d MB at seq %d",
                 memory.rows, memory.nbytes() >> 20, seq)
        return memory

    def _stopped(self) -> bool:
        return self._stop_loading.is_set() or self._holds > 0

    def stop_memory(self) -> None:
        """Stop a background load under way and wait for it (the store is closing)."""
        self._stop_loading.set()
        for loader in (self._loader, self._admit_loader):
            if loader is not None:
                loader.join()

    @contextmanager
    def loading_held(self) -> Iterator[None]:
        """No background load runs inside the block: one under way is stopped (not counted
        as a failure) and none starts. A purge runs in one: a load's read snapshot, held for
        seconds, would keep the WAL from being truncated (docs/SECURITY.md). Holds nest and
        overlap (two purges on two threads): loads resume when the last one ends."""
        with self.memory_lock:  # no search is between its check and starting a loader
            self._holds += 1
            loaders = (self._loader, self._admit_loader)
        try:
            for loader in loaders:
                if loader is not None:
                    loader.join()  # (outside memory_lock: a finishing load takes it)
            yield
        finally:
            with self.memory_lock:
                self._holds -= 1

    # -- the in-memory admission copy (stores/admit.py) -----------------------------------

    def admission(self, session: Session, head: int, ask: bool = True,
                  newer: bool = False) -> AdmitMirror | None:
        """The admission copy at exactly `head`, the changelog head of the caller's read
        snapshot (`current_head`), caught up from the changelog on `session` if it was
        behind; None when there is none yet or it cannot serve this snapshot (it is ahead
        of it: another search caught it up to a later head). The caller holds `admit_lock`
        for as long as it uses the copy, and admits with SQL when this is None. `ask`
        False: this call does not count among the asks that start a load (a search's
        second use of the copy). `newer`: a copy ahead of `head` is returned too (a use
        that admission, exact at the snapshot, checks after)."""
        mirror = self.admission_copy
        if mirror is not None and mirror.seq < head:
            # (a catch-up runs on the search's thread, holding the others' admissions)
            if head - mirror.seq > max(RELOAD_MIN, REFRESH_FRACTION * mirror.rows):
                self.drop_admission()  # a bulk change: loaded again, not replayed here
                mirror = None
            else:
                try:
                    purged = self._catch_up_admission(session, mirror, head)
                except Exception as exc:  # noqa: BLE001 - MirrorUnfit, or any other: only a
                    # shortcut, half changed now; SQL admits from here on in this process
                    log.warning("admission copy dropped (%s); SQL admits candidates", exc)
                    self.admit_failed = True
                    self.drop_admission()
                    return None
                if purged:  # its user and agent ids may be erased ones: a new copy
                    self.drop_admission()
                    self._admit_asks = LOAD_AFTER - 1
                    mirror = None
        if mirror is None:
            if ask:
                self._admit_asks += 1
                if self._admit_asks >= LOAD_AFTER:
                    self._start_admit_loader()
            return None
        return mirror if mirror.seq == head or newer else None

    def _purged_since(self, seq: int) -> bool:
        """Whether a purge (of another process: this one's hold no load) came after `seq`:
        a copy read before it would hold its ids until a search caught it up."""
        with self.repo.read() as session:
            return bool(driver_rows(session, "SELECT 1 FROM changelog WHERE seq > ? AND"
                                    " op = 'purge' LIMIT 1", (seq,)))

    def _catch_up_admission(self, session: Session, mirror: AdmitMirror, head: int) -> bool:
        """Apply the changes after `mirror.seq` (all at most `head`: the snapshot's) to it;
        True (nothing more applied) when a purge is among them."""
        while mirror.seq < head:
            changes = self.repo.changes_after(session, mirror.seq, PAGE)
            if not changes:  # (rows of purged cubes leave the changelog, purge rows stay)
                mirror.seq = head
                break
            if any(c.op == "purge" for c in changes):
                return True
            named = sorted({int(c.cube_pk) for c in changes if c.cube_pk is not None})
            rows = driver_rows(session, f"SELECT {ADMIT_COLUMNS} FROM cubes WHERE pk IN ("
                               + ", ".join(map(str, named)) + ")") if named else []
            mirror.update(rows, named, changes[-1].seq)
        return False

    def drop_admission(self) -> None:
        """Forget the admission copy (a purge in this process; the next load reads anew)."""
        with self.admit_lock:
            self.admission_copy = None

    def _start_admit_loader(self) -> threading.Thread | None:
        """Start a background load of the admission copy unless one runs, it failed before,
        the store is not SQLite, or a purge holds loading (`loading_held`)."""
        if self.admit_failed or self.repo.dialect != "sqlite":
            return None
        with self.memory_lock:  # `_holds` changes under it
            if self._holds:
                return None
            self._admit_loader = _running(self._admit_loader, self.load_admission,
                                          "memos-admission-load")
            return self._admit_loader

    def warm_admission(self) -> None:
        """Bring the admission copy up to date now and wait for it (`MemOS.warm`): load it
        if there is none or it is too far behind, else catch it up."""
        for _ in range(2):  # (a load, then the catch-up of what was written meanwhile)
            with self.repo.read() as session, self.admit_lock:
                self._admit_asks = max(self._admit_asks, LOAD_AFTER - 1)
                if self.admission(session, self.repo.max_seq(session)) is not None:
                    return
                loader = self._admit_loader
            if loader is None or not loader.is_alive():
                return
            loader.join()

    def load_admission(self) -> AdmitMirror | None:
        """Load the admission copy from one snapshot and put it in place, unless a newer one
        is there already or a purge came after that snapshot (the background thread's
        work; tests call it directly); returns the copy read, or None if none could be. A
        failure is logged and not tried again in this process: SQL admits the same."""
        try:
            with self.repo.read() as session:
                head = self.repo.max_seq(session)
                mirror = AdmitMirror.load(session.connection().connection.dbapi_connection,
                                          head, stop=self._stopped)
        except Exception as exc:  # noqa: BLE001 - only a shortcut; logged, SQL goes on
            if not self._stopped():
                log.warning("admission columns not loaded into memory (%s); SQL admits "
                            "candidates instead", exc)
                self.admit_failed = True
            return None
        # Asked before taking admit_lock (a search holding it may wait for a connection);
        # a purge after this check is seen by the next catch-up, which drops the copy.
        try:
            purged = self._purged_since(mirror.seq)
        except Exception as exc:  # noqa: BLE001 - the store closing under the load
            log.info("admission copy not put in place (%s)", exc)
            return mirror
        if purged:
            log.info("admission copy not put in place: a purge came after its read")
            return mirror
        with self.admit_lock:
            current = self.admission_copy
            if current is not None and current.seq >= mirror.seq:
                return mirror
            self.admission_copy = mirror
        log.info("admission columns loaded into memory: %d rows, %d MB at seq %d",
                 mirror.rows, mirror.nbytes() >> 20, head)
        return mirror

    def _catch_up_memory(self, memory: MemoryFullText) -> bool:
        """Apply the changes after `memory.seq` to it; True (and nothing applied) when a
        purge is among them."""
        while True:
            with self.repo.read() as session:
                changes = self.repo.changes_after(session, memory.seq, PAGE)
                if not changes:
                    return False
                if any(c.op == "purge" for c in changes):
                    return True
                drop, docs = self._fulltext_changes(session, changes)
            memory.apply(drop, docs, changes[-1].seq)
            if len(changes) < PAGE:
                return False

    def _apply_graph(self, changes: Sequence[Any], edge_rows: Sequence[Any]) -> None:
        """Apply `changes` (the changelog after `graph.seq`), with the rows of the edges
        they link (`GraphIndex.edge_rows`)."""
        self.graph.add_rows(edge_rows)
        purged = [c.cube_pk for c in changes if c.op == "purge"]
        self.graph.remove_cubes([pk for pk in purged if pk])
        if purged:  # (another process's purge: the query words tokenized here go too)
            self.fulltext.forget_queries()
        self.graph.seq = changes[-1].seq

    # -- a writer's own changes --------------------------------------------------------

    def follow(self, session: Session) -> Followed | None:
        """Bring the indexes along with a writer, on its own write transaction just before
        it commits: the SQL full-text index is brought to the transaction's head there (its
        rows and seq commit with the write), and what the in-memory indexes need is read
        there too, for `apply_followed` once the write has committed. The write's own
        changes thus cost no transaction of their own to index, nor a second reading of the
        changelog and the rows by each index. None (the catch-up after the write does it
        all) when no index is behind, or a PAGE of changes or more is."""
        followed = self._read_changes(session, self.vectors.seq, self.graph.seq,
                                      self.fulltext_seq(session))
        if followed is None or len(followed.changes) >= PAGE:
            return None
        text = followed.fulltext_changes
        if text:
            self._write_fulltext(session, text, followed.fulltext_drop, followed.fulltext_docs)
        return followed

    def _read_changes(self, session: Session, vectors_from: int, graph_from: int,
                      fulltext_from: int | None) -> Followed | None:
        """One page of the changelog after the furthest behind of the three seqs, with what
        each index needs of it: the cubes' rows (with their full-text context), the rows of
        the edges linked after `graph_from`, and the full-text plan of the changes after
        `fulltext_from` (None: no full-text plan, and `Followed.fulltext_from` is the last
        seq read). None when there is nothing after them. (The in-memory seqs are
        passed in, read once: another thread's catch-up may move them, and apply_followed
        then leaves those indexes alone.)"""
        seqs = [vectors_from, graph_from] + ([] if fulltext_from is None else [fulltext_from])
        changes = self.repo.changes_after(session, min(seqs), PAGE)
        if not changes:
            return None
        if fulltext_from is None:
            fulltext_from = changes[-1].seq
        text = [c for c in changes if c.seq > fulltext_from]
        current = self._current(session, self._plan(changes)[1], with_context=bool(text))
        drop, docs = self._fulltext_plan(text, current) if text else ([], [])
        edge_rows = self.graph.edge_rows(session, _linked(
            [c for c in changes if c.seq > graph_from]))
        return Followed(changes, current, vectors_from, graph_from, fulltext_from, edge_rows,
                        drop, docs)

    def apply_followed(self, followed: Followed) -> bool:
        """Apply what `follow` read to the vector index and the graph, after the write
        committed (the caller holds the index lock). An index another thread moved
        meanwhile is left to `catch_up`. Returns whether both are now at the write's head."""
        done = True
        last = followed.changes[-1].seq
        for index, start, apply in (
                (self.vectors, followed.vectors_from, lambda ch: self._apply_vectors(
                    ch, followed.current)),
                (self.graph, followed.graph_from, lambda ch: self._apply_graph(
                    ch, followed.edge_rows))):
            if index.seq == start:
                changes = [c for c in followed.changes if c.seq > start]
                if changes:
                    apply(changes)
            done = done and index.seq >= last
        return done

    def follow_memory(self, followed: Followed) -> None:
        """Apply what `follow` read to the in-memory full-text copy, when that copy stood
        where the SQL index did (else the next search catches it up, as it does a purge's
        changes, which drop it). The caller holds memory_lock.

        A write that would take the copy's delta past RELOAD_FRACTION of its rows drops it
        instead, as a catch-up that far behind would (the tables serve until the next search
        has a fresh copy loaded): only a search starts that load, so writes with no search
        between them (a bulk add) would otherwise keep every row written since the load in
        the delta's dicts, about 2.7 KB a row (`memos bench retrieval --n 100000`: peak RSS
        1,000 MB with 90k such rows, 760 MB without; docs/BENCHMARKS.md)."""
        memory = self.memory
        text = followed.fulltext_changes
        if (memory is None or memory.seq != followed.fulltext_from or not text
                or any(c.op == "purge" for c in text)):
            return
        if memory.changed_rows() + len(followed.fulltext_docs) > max(
                RELOAD_MIN, RELOAD_FRACTION * memory.rows):
            log.info("the in-memory full-text copy is dropped: more rows written since its "
                     "load than a quarter of its rows (the next search loads a fresh one)")
            self._drop_memory()
            self._memory_asks = max(self._memory_asks, LOAD_AFTER - 1)
            return
        try:
            memory.apply(followed.fulltext_drop, followed.fulltext_docs, text[-1].seq)
        except Exception:  # the copy is a shortcut: the committed write stands, the tables serve
            log.exception("the in-memory full-text copy could not take a write; dropped "
                          "(searches use the index's tables until a fresh copy is loaded)")
            if self.memory is memory:
                self._drop_memory()

    # -- rebuild -----------------------------------------------------------------------

    def _indexed_total(self, session: Session) -> int:
        return session.execute(select(func.count()).select_from(CubeRow)
                               .where(indexed_clause())).scalar_one()

    def rebuild_vectors(self, progress: ProgressFn | None = None) -> int:
        """Re-embed every indexed cube from SQL. Returns the number of vectors."""
        self._primed.clear()
        pks: list[int] = []
        parts: list[np.ndarray] = []
        with self.repo.read() as session:
            head = self.repo.max_seq(session)
            total = self._indexed_total(session)
            # An approximate index (past flat_max) takes a while to build (an HNSW graph as
            # long as the embedding; an IVF its k-means and list appends): the bar then runs
            # over both halves (embedding, then building) instead of restarting.
            steps = 2 * total if total > self.vectors.flat_max else total
            last_pk, done = 0, 0
            while True:
                rows = session.execute(
                    select(CubeRow.pk, CubeRow.content)
                    .where(indexed_clause(), CubeRow.pk > last_pk)
                    .order_by(CubeRow.pk).limit(PAGE // 5)).all()
                if not rows:
                    break
                pks.extend(r[0] for r in rows)
                parts.append(np.asarray(self.embed([r[1] for r in rows]), dtype=np.float32))
                last_pk, done = rows[-1][0], done + len(rows)
                if progress:
                    progress(done, steps)
        empty = np.zeros((0, self.vectors.dim), dtype=np.float32)
        built = None if progress is None else (
            lambda inserted, _n: progress(min(steps, done + inserted), steps))
        self.vectors.build(pks, np.concatenate(parts) if parts else empty, progress=built)
        if progress and steps != done:
            progress(steps, steps)
        self.vectors.seq = head
        log.info("vector index rebuilt: %d vectors at seq %d", done, head)
        return done

    def rebuild_fulltext(self) -> int:
        done = self._rebuild_fulltext()
        with self.memory_lock:  # loaded again from the rebuilt index when next needed
            self._drop_memory()
            self._memory_gen += 1
        return done

    def _rebuild_fulltext(self) -> int:
        with self.repo.write() as session:
            head = self.repo.max_seq(session)
            self.fulltext.clear(session)
            last_pk, done = 0, 0
            while True:
                rows = session.execute(
                    select(CubeRow.pk, CubeRow.content, CubeRow.state, CubeRow.meta)
                    .where(indexed_clause(), CubeRow.pk > last_pk)
                    .order_by(CubeRow.pk).limit(PAGE)).all()
                if not rows:
                    break
                self.fulltext.upsert(session, [(r[0], r[1], fulltext_context(r[2], r[3]))
                                               for r in rows])
                last_pk, done = rows[-1][0], done + len(rows)
            self.repo.set_index_meta(session, self.fulltext.name, head)
        return done

    def rebuild_graph(self) -> int:
        with self.repo.read() as session:
            self.graph.load(session, self.repo.max_seq(session))
        return self.graph.edge_count()

    def expected_pks(self, session: Session | None = None) -> set[int]:
        """The pks the vector and full-text indexes should hold, read in `session` (so that
        a caller compares them with other reads of the same snapshot) or a read of its own."""
        if session is None:
            with self.repo.read() as own:
                return self.expected_pks(own)
        return {r[0] for r in session.execute(select(CubeRow.pk).where(indexed_clause()))}
