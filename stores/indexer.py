"""Keeps the derived indexes (vectors, full text, graph) in step with the SQL changelog.

Each index records the last changelog seq it applied. `catch_up()` reads the rows after it,
looks up the *current* state of the cubes they name (so replaying a change twice is
harmless) and updates the index. Rebuilds scan the `cubes` table. This is the whole of
invariant 5: any derived index can be deleted and comes back with the same answers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from memos.cube import Lifecycle
from memos.stores.fulltext import FullTextIndex, context_of
from memos.stores.graph import GraphIndex
from memos.stores.repository import Repository
from memos.stores.schema import ChangelogRow, CubeRow, IndexMetaRow
from memos.stores.vector_index import VectorIndex

log = logging.getLogger(__name__)

# Cubes in these states are in the vector and full-text indexes (superseded ones stay so
# that `include_superseded=True` can find them); forgotten/archived/purged ones are not.
INDEXED_STATES = (Lifecycle.ACTIVE.value, Lifecycle.SUPERSEDED.value)
# Changelog ops after which a cube's text may differ from what the index holds.
CONTENT_OPS = {"add", "import", "update", "rollback"}
PAGE = 5_000

EmbedFn = Callable[[Sequence[str]], np.ndarray]
ProgressFn = Callable[[int, int | None], None]


class IndexSync:
    def __init__(self, repo: Repository, vectors: VectorIndex, fulltext: FullTextIndex,
                 graph: GraphIndex, embed: EmbedFn) -> None:
        self.repo = repo
        self.vectors = vectors
        self.fulltext = fulltext
        self.graph = graph
        self.embed = embed
        self._primed: dict[int, np.ndarray] = {}

    def prime(self, pks: Sequence[int], vectors: np.ndarray) -> None:
        """Vectors the writer already computed for just-committed cubes (used once)."""
        self._primed.update(zip(pks, vectors, strict=True))

    def _vectors_for(self, pks: Sequence[int], texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(pks), self.vectors.dim), dtype=np.float32)
        need = [i for i, pk in enumerate(pks) if pk not in self._primed]
        for i, pk in enumerate(pks):
            if pk in self._primed:
                out[i] = self._primed.pop(pk)
        if need:
            out[need] = self.embed([texts[i] for i in need])
        return out

    # -- open ------------------------------------------------------------------------

    def open(self) -> None:
        """Load what is on disk, rebuild what is unusable, then catch up."""
        with self.repo.read() as session:
            head = self.repo.max_seq(session)
            self.graph.load(session, head)
        if not self.vectors.load() or self.vectors.seq > head:
            # A file ahead of SQL belongs to another database (or a restored backup).
            self.rebuild_vectors()
        self.catch_up()

    def head(self) -> int:
        with self.repo.read() as session:
            return self.repo.max_seq(session)

    def fulltext_seq(self, session: Session) -> int:
        meta = self.repo.index_meta(session, self.fulltext.name)
        return meta.seq if meta else 0

    # -- catch up ----------------------------------------------------------------------

    def catch_up(self) -> int:
        """Bring every index to the changelog head; returns the head seq."""
        # Every search starts here, so both seqs come from one statement on a bare connection.
        head_q = select(func.coalesce(func.max(ChangelogRow.seq), 0)).scalar_subquery()
        fts_q = select(IndexMetaRow.seq).where(IndexMetaRow.name == self.fulltext.name)
        with self.repo.engine.connect() as conn:
            head, fts_seq = conn.execute(select(head_q, fts_q.scalar_subquery())).one()
        fts_seq = fts_seq or 0
        if self.vectors.seq < head:
            self._catch_up_vectors()
        if fts_seq < head:
            self._catch_up_fulltext()
        if self.graph.seq < head:
            self._catch_up_graph()
        return head

    @staticmethod
    def _plan(changes: Sequence[Any]) -> tuple[set[int], set[int]]:
        """(pks whose text may have changed, every pk named)."""
        touched: set[int] = set()
        content: set[int] = set()
        for change in changes:
            if change.cube_pk is None:
                continue
            touched.add(change.cube_pk)
            if change.op in CONTENT_OPS:
                content.add(change.cube_pk)
        return content, touched

    @staticmethod
    def _current(session: Session, pks: set[int], with_context: bool = False
                 ) -> dict[int, tuple[str, str, str]]:
        """pk -> (state, content, full-text context; '' unless with_context)."""
        cols = [CubeRow.pk, CubeRow.state, CubeRow.content]
        if with_context:
            cols.append(CubeRow.meta)
        rows = session.execute(select(*cols).where(CubeRow.pk.in_(list(pks))))
        return {r[0]: (r[1], r[2], context_of(r[3]) if with_context else "") for r in rows}

    def _catch_up_vectors(self) -> None:
        while True:
            with self.repo.read() as session:
                changes = self.repo.changes_after(session, self.vectors.seq, PAGE)
                if not changes:
                    return
                content, touched = self._plan(changes)
                current = self._current(session, touched)
            drop = [pk for pk in touched
                    if pk not in current or current[pk][0] not in INDEXED_STATES]
            embed = [pk for pk in sorted(touched) if pk in current
                     and current[pk][0] in INDEXED_STATES
                     and (pk in content or pk not in self.vectors)]
            self.vectors.remove(drop)
            if embed:
                self.vectors.add(embed, self._vectors_for(embed, [current[pk][1] for pk in embed]))
            self.vectors.seq = changes[-1].seq
            self.vectors.dirty += 1
        self._primed.clear()

    def _catch_up_fulltext(self) -> None:
        while True:
            with self.repo.write() as session:  # FTS rows and their seq commit together
                seq = self.fulltext_seq(session)
                changes = self.repo.changes_after(session, seq, PAGE)
                if not changes:
                    return
                content, touched = self._plan(changes)
                current = self._current(session, touched, with_context=True)
                drop = [pk for pk in touched
                        if pk not in current or current[pk][0] not in INDEXED_STATES]
                docs = [(pk, current[pk][1], current[pk][2]) for pk in sorted(content)
                        if pk in current and current[pk][0] in INDEXED_STATES]
                self.fulltext.remove(session, drop)
                self.fulltext.upsert(session, docs)
                self.repo.set_index_meta(session, self.fulltext.name, changes[-1].seq)

    def _catch_up_graph(self) -> None:
        while True:
            with self.repo.read() as session:
                changes = self.repo.changes_after(session, self.graph.seq, PAGE)
                if not changes:
                    return
                edge_ids = [c.edge_id for c in changes if c.op == "link" and c.edge_id]
                self.graph.apply_edges(session, edge_ids)
                purged = [c.cube_pk for c in changes if c.op == "purge" and c.cube_pk]
            self.graph.remove_cubes(purged)
            self.graph.seq = changes[-1].seq

    # -- rebuild -----------------------------------------------------------------------

    def _indexed_total(self, session: Session) -> int:
        return session.execute(select(func.count()).select_from(CubeRow)
                               .where(CubeRow.state.in_(INDEXED_STATES))).scalar_one()

    def rebuild_vectors(self, progress: ProgressFn | None = None) -> int:
        """Re-embed every indexed cube from SQL. Returns the number of vectors."""
        self._primed.clear()
        pks: list[int] = []
        parts: list[np.ndarray] = []
        with self.repo.read() as session:
            head = self.repo.max_seq(session)
            total = self._indexed_total(session)
            last_pk, done = 0, 0
            while True:
                rows = session.execute(
                    select(CubeRow.pk, CubeRow.content)
                    .where(CubeRow.state.in_(INDEXED_STATES), CubeRow.pk > last_pk)
                    .order_by(CubeRow.pk).limit(PAGE // 5)).all()
                if not rows:
                    break
                pks.extend(r[0] for r in rows)
                parts.append(np.asarray(self.embed([r[1] for r in rows]), dtype=np.float32))
                last_pk, done = rows[-1][0], done + len(rows)
                if progress:
                    progress(done, total)
        empty = np.zeros((0, self.vectors.dim), dtype=np.float32)
        self.vectors.build(pks, np.concatenate(parts) if parts else empty)
        self.vectors.seq = head
        log.info("vector index rebuilt: %d vectors at seq %d", done, head)
        return done

    def rebuild_fulltext(self) -> int:
        with self.repo.write() as session:
            head = self.repo.max_seq(session)
            self.fulltext.clear(session)
            last_pk, done = 0, 0
            while True:
                rows = session.execute(
                    select(CubeRow.pk, CubeRow.content, CubeRow.meta)
                    .where(CubeRow.state.in_(INDEXED_STATES), CubeRow.pk > last_pk)
                    .order_by(CubeRow.pk).limit(PAGE)).all()
                if not rows:
                    break
                self.fulltext.upsert(session, [(r[0], r[1], context_of(r[2])) for r in rows])
                last_pk, done = rows[-1][0], done + len(rows)
            self.repo.set_index_meta(session, self.fulltext.name, head)
        return done

    def rebuild_graph(self) -> int:
        with self.repo.read() as session:
            self.graph.load(session, self.repo.max_seq(session))
        return self.graph.edge_count()

    def expected_pks(self) -> set[int]:
        with self.repo.read() as session:
            return {r[0] for r in session.execute(
                select(CubeRow.pk).where(CubeRow.state.in_(INDEXED_STATES)))}
