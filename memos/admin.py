"""Administration of a store: purge, stats, check, reindex, gc (the MemOS methods of the
same names delegate here)."""

from __future__ import annotations

import logging
import re
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import distinct, func, or_, select, text

from memos.config import MemosConfig
from memos.cube import Lifecycle, Scope, utcnow
from memos.embedders import Embedder, approx_index_for, make_embedder
from memos.errors import EmbedderMismatchError, InvalidInputError, StoreError
from memos.policies import retention
from memos.results import CheckReport, GcReport, IndexCheck, PurgeReport, ReindexReport, StoreStats
from memos.stores import derived as derived_queries
from memos.stores import tier_stats
from memos.stores.repository import (
    DAMAGED,
    Repository,
    bulk_clause,
    can_bulk_write,
    can_write,
    cube_from_row,
)
from memos.stores.schema import (
    CubeRow,
    CubeVersionRow,
    EdgeRow,
)
from memos.stores.vector_index import VectorIndex

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from memos.parts import StoreParts
    from memos.results import ProgressFn

log = logging.getLogger(__name__)


def resolve_embedder(repo: Repository, spec: Embedder | str | None, config: MemosConfig
                     ) -> tuple[Embedder, str]:
    """The embedder to use, checked against the one the store's vectors were made with."""
    with repo.write() as session:
        store = repo.index_meta(session, "store")
        if store is None:  # first open: give the store an id (index files carry it)
            repo.set_index_meta(session, "store", 0, embedder=uuid.uuid4().hex, dim=None)
            store = repo.index_meta(session, "store")
        store_id = str(store.embedder) if store else ""
        meta = repo.index_meta(session, "vector")
        recorded = meta.embedder if meta else None
        emb = make_embedder(spec if spec is not None else (recorded or config.embedder))
        has_cubes = session.execute(select(CubeRow.pk).limit(1)).first() is not None
        if recorded and recorded != emb.identity and has_cubes:
            raise EmbedderMismatchError(
                f"this store's vectors were made with embedder {recorded!r}, not "
                f"{emb.identity!r}; open it without an embedder, or re-embed with "
                f"`memos reindex --embedder NAME` / MemOS.reindex(embedder=...)")
        if recorded != emb.identity:
            repo.set_index_meta(session, "vector", 0, emb.identity, emb.dim)
    return emb, store_id


def forget_derived(store: StoreParts, session: Session, cube_id: str,
                   scope: Scope) -> list[str]:
    """Forget every cube derived from `cube_id` (transitively), inside the caller's write
    transaction: slots, adapters and the like must not outlive the memory they were made
    from, and the blob files of those the OS made (slots, session states) are deleted in the
    same transaction, whatever their state. Returns the ids forgotten.

    Only derived cubes `scope` may change (`can_write`, the rule of `forget` by id): another
    agent's derived cube is never touched by a caller who could not forget it directly.
    Other users' cubes are never reached (`derived_rows`)."""
    reached, _stated = store.repo.derived_outliving(session, [cube_id])
    # Adapters trained on this cube leave service here, whoever owns them (same user):
    # their weights are erased and re-consolidation is scheduled (memos/parametric/tier.py).
    from memos.parametric.tier import taint_in

    tainted = taint_in(store, session, reached, cube_id)
    rows = [r for r in reached if can_write(r, scope) and r.id not in tainted]
    blobs = derived_queries.blob_hashes(rows)
    if blobs:
        store.blobs.erase(session, blobs)
    done = list(tainted)
    for row in rows:
        if row.state == Lifecycle.FORGOTTEN.value:
            continue
        derived = cube_from_row(row).model_copy(
            update={"version": row.version + 1, "state": Lifecycle.FORGOTTEN})
        why = f"derived from forgotten cube {cube_id}"
        store.repo.write_version(session, row, derived, "forget", why)
        store.repo.audit(session, "forget", row.id, why, {"version": derived.version})
        done.append(row.id)
    return done


# How long purge waits for readers of other processes before saying the WAL still holds
# the erased bytes (an idle MemOS holds no transaction, so only a read in progress can).
PURGE_WAL_WAIT_S = 5.0


def purge(store: StoreParts, cube_id: str | None, scope: Scope, all_of_user: bool,
          reason: str | None, actor: str | None) -> PurgeReport:
    """`_purge`, with no background load of an in-memory copy (full text, admission)
    running: its read snapshot, held for seconds, would keep the WAL from being truncated.
    The admission copy, which holds user and agent ids, is dropped when it ends."""
    with store.sync.loading_held():
        try:
            return _purge(store, cube_id, scope, all_of_user, reason, actor)
        finally:  # its ids may be erased ones; other processes drop theirs at the purge row
            store.sync.drop_admission()


def _keeps_other_facts(session: Session, row: CubeRow, erasing: set[str]) -> bool:
    """Whether `row` is an active adapter, or one tainted with re-consolidation pending (a
    purge or a forget before), trained on a live cube that a purge of `erasing` leaves."""
    from memos.parametric.tier import RECON_KEY
    from memos.stores.adapters import is_adapter

    meta = row.meta if isinstance(row.meta, dict) else {}
    if not is_adapter(row) or (row.state != Lifecycle.ACTIVE.value
                               and meta.get(RECON_KEY) != "pending"):
        return False
    others = sorted({str(d.get("cube_id")) for d in row.derived_from or []
                     if isinstance(d, dict) and str(d.get("cube_id")) not in erasing})
    return bool(others) and session.execute(select(CubeRow.id).where(
        CubeRow.id.in_(others), CubeRow.state == Lifecycle.ACTIVE.value).limit(1)
    ).first() is not None


def _purge(store: StoreParts, cube_id: str | None, scope: Scope, all_of_user: bool,
           reason: str | None, actor: str | None) -> PurgeReport:
    """Hard erase (the one operation that deletes history), audited.

    What it erases: the cubes' rows, every version, tags, sources, edges (with their entity
    names), changelog rows, full-text entries and vectors, and the `reason` of earlier audit
    rows about them (ids stay in the audit log; the purge's own row names ids only). Then the
    bytes: the full-text index is merged so no segment keeps their terms, the FAISS files are
    rewritten, and on SQLite the WAL is checkpointed and truncated (secure_delete zeroes the
    freed pages), so when purge returns no file of the store holds any of it, whoever else
    has the store open (see `PurgeReport.erased_from_files`).

    Who may erase what: one cube by id needs `can_write` (owner; same agent when the cube has
    one). `all_of_user` erases `bulk_clause(scope)`: with an agent, exactly the cubes that
    agent could purge one by one; without one, every cube of the user. Cubes derived from the
    erased ones go with them when the same rule lets the caller change them."""
    if (cube_id is None) == (not all_of_user):
        raise InvalidInputError("purge() needs a cube id, or cube_id=None with all_of_user=True")
    repo = store.repo
    bulk = cube_id is None
    with repo.write() as session:
        if cube_id is not None:
            rows = [store.row(session, cube_id, scope, write=True)]
        else:
            rows = list(session.execute(select(CubeRow).where(bulk_clause(scope))).scalars())
        # Cubes derived from the erased ones (activation slots, adapters) are erased with them,
        # when the caller could erase them directly.
        allowed = can_bulk_write if bulk else can_write
        chosen = {r.id for r in rows}
        # (a fact another turn stated too, which stays, outlives the turns erased here: it
        # loses them from its sources, in every version, below)
        derived, outliving = repo.derived_outliving(session, [r.id for r in rows])
        derived = [r for r in derived if r.id not in chosen]
        erasing = chosen | {r.id for r in derived if allowed(r, scope)}
        # The caller's active adapter trained on other facts too, which stay: it is not
        # erased but tainted as forget taints it (weights erased, out of service, what it
        # held of the erased cubes scrubbed) with re-consolidation from those facts pending,
        # so that they do not lose their parametric copy without a word.
        retrain = [r for r in derived if r.id in erasing
                   and _keeps_other_facts(session, r, erasing)]
        rows += [r for r in derived if r.id in erasing and r not in retrain]
        kept_rows = [r for r in derived if not allowed(r, scope)]
        kept = len(kept_rows)
        from memos.parametric.tier import adapter_blobs, taint_in

        pks, ids = [r.pk for r in rows], [r.id for r in rows]
        # An adapter kept (another agent's) still leaves service and loses its weights, as
        # forget's taint does: a purged fact is never served from weights. It loses what it
        # held of the erased cubes too (question keys, derivations), in every version.
        taint_in(store, session, kept_rows + retrain, cube_id or f"user:{scope.user_id}",
                 how="purged", erased=ids)
        turns = {r.id: {str(src.get("ref")) for src in r.sources or []
                        if isinstance(src, dict) and src.get("kind") == "message"}
                 for r in rows if r.kind == "episode"} if outliving else {}
        from memos.activation import invalidate_in
        from memos.stores.adapters import scrub_reasons

        for row in filter(None, (repo.row_by_id(session, i) for i in sorted(outliving))):
            version = repo.unsource(session, row, turns, "a turn it was read from was "
                                    "purged; another turn that states it stays")
            invalidate_in(session, store, row.id, version)  # as any new version's
        # reasons of the owner's other versions that name an erased cube ("a neighbouring
        # turn it quoted (<id>) was forgotten"): ids stay in the audit log only
        scrub_reasons(session, scope.user_id, ids)
        blob_files = derived_queries.blob_hashes(rows)  # tensors of erased slots and states
        blob_files += adapter_blobs(rows)  # and the weights of erased adapters
        store.fulltext.remove(session, pks)
        counts = repo.erase_cubes(session, pks, ids, scope.user_id)
        if pks:
            # Merge the full-text segments in the same transaction: no segment keeps a term
            # of the erased text once this commits.
            store.fulltext.compact(session)
        blobs = store.blobs.erase(session, blob_files) if blob_files else 0
        if bulk:  # earlier purges of these cubes' owner: their reasons may quote them
            repo.clear_purge_reasons(session, scope.user_id, scope.agent_id)
        owners = {"user_id": scope.user_id,
                  "agent_ids": sorted({r.agent_id or "" for r in rows})}
        audit_id = repo.audit(session, "purge", cube_id or f"user:{scope.user_id}", reason,
                              {"cube_ids": ids, "cubes": len(ids), **counts, **owners}, actor)
    store.catch_up()
    store.save_vectors()  # erased vectors leave the files now, not at close
    notes: list[str] = []
    if retrain:
        notes.append(f"{len(retrain)} adapter(s) were trained on the erased cube(s) and on "
                     f"other facts, which stay ({', '.join(r.id for r in retrain)}): their "
                     "weights are erased and they are out of service; re-consolidation from "
                     "those facts is pending (`memos scheduler run`, or `memos consolidate`)")
    if kept:
        notes.append(f"{kept} cube(s) derived from the erased ones belong to another agent and "
                     "were kept; purge them with that agent's scope, or purge the whole user "
                     "(cube_id=None, all_of_user=True, scope without an agent)")
    erased: bool | None = None
    if repo.dialect == "sqlite":
        # Old page images of the erased rows are in the WAL until a checkpoint copies the
        # (zeroed) pages into memos.db and truncates it.
        problem = repo.truncate_wal(PURGE_WAL_WAIT_S)
        erased = problem is None
        if problem:
            notes.append(f"the erased data may remain in {Path(repo.url[len('sqlite:///'):]).name}"
                         f"-wal until it is checkpointed: {problem}; it is truncated by the "
                         "next purge, or when every process has closed the store")
            log.warning("purge: %s", notes[-1])
    log.info("purged %d cubes (%s)", len(ids), cube_id or f"user {scope.user_id}")
    return PurgeReport(cube_ids=ids, cubes=len(ids), audit_id=audit_id, derived_kept=kept,
                       erased_from_files=erased, notes=notes, blobs=blobs, **counts)


def stats(store: StoreParts, scope: Scope | None) -> StoreStats:
    store.flush_access()
    repo = store.repo
    now = utcnow()
    with repo.read() as session:
        # With a scope: the cubes it owns (`bulk_clause`: an agent's and its user's agentless
        # ones; the user's all, without an agent). Never a sibling agent's cubes.
        own = bulk_clause(scope) if scope is not None else True  # noqa: E712

        def grouped(column: object) -> dict[str, int]:
            return {str(k): int(v) for k, v in session.execute(
                select(column, func.count()).where(own).group_by(column))}

        by_state, by_kind = grouped(CubeRow.state), grouped(CubeRow.kind)
        live = session.execute(select(func.count()).where(
            own, CubeRow.state == Lifecycle.ACTIVE.value,
            or_(CubeRow.expires_at.is_(None), CubeRow.expires_at > now))).scalar_one()
        versions = session.execute(select(func.count()).select_from(CubeVersionRow).join(
            CubeRow, CubeRow.id == CubeVersionRow.cube_id).where(own)).scalar_one()
        edges = session.execute(select(func.count()).select_from(EdgeRow).join(
            CubeRow, CubeRow.pk == EdgeRow.src_pk).where(own)).scalar_one()
        users = session.execute(select(func.count(distinct(CubeRow.user_id))).where(own)).scalar_one()
        head = repo.max_seq(session)
        fts_seq = store.sync.fulltext_seq(session)
    disk = None
    if repo.dialect == "sqlite":
        db = Path(repo.url[len("sqlite:///"):])
        disk = sum(p.stat().st_size for p in db.parent.glob(db.name + "*") if p.is_file())
        disk += sum(p.stat().st_size for p in (store.vectors.index_path, store.vectors.meta_path,
                                               store.vectors.twin_path) if p.exists())
    return StoreStats(
        location=store.location, backend=repo.dialect, cubes=sum(by_state.values()), live=live,
        by_state=by_state, by_kind=by_kind, versions=versions, edges=edges, users=users,
        changelog_seq=head, embedder=store.embedder.identity, dim=store.embedder.dim,
        vector_index=store.vectors.kind, vectors=len(store.vectors),
        index_seq={"vector": store.vectors.seq, "fulltext": fts_seq, "graph": store.graph.seq},
        disk_bytes=disk)


def _ids_of(store: StoreParts, pks: set[int]) -> list[str]:
    if not pks:
        return []
    sample = sorted(pks)[:20]
    with store.repo.read() as session:
        found = dict(session.execute(select(CubeRow.pk, CubeRow.id).where(CubeRow.pk.in_(sample))).all())
    return [found.get(pk, f"pk:{pk} (purged)") for pk in sample]


def check(store: StoreParts, repair: bool) -> CheckReport:
    """Compare each derived index with SQL (without catching up first, so lag shows)."""
    if store.repo.dialect == "sqlite":  # a damaged file first: nothing else it says is sure
        # integrity_check, not quick_check: only it compares each index with its table (a
        # page overwritten in an index left quick_check "ok" while a listing lost a row)
        with store.repo.read() as session:
            found = [" ".join(str(r[0]).split())
                     for r in session.execute(text("PRAGMA integrity_check(5)")).all()]
        if found != ["ok"]:
            # (a SQL index out of step with its table, and nothing else, is rebuilt from the
            # table by SQLite's REINDEX)
            only_indexes = all(re.search(r"\bindex\b", f) for f in found)
            advice = ("only SQL indexes are out of step with their tables: back up the "
                      "file, then rebuild them with `sqlite3 memos.db REINDEX` and run check "
                      "again, or " + DAMAGED) if only_indexes else DAMAGED
            raise StoreError(f"the database file is damaged (integrity_check: "
                             f"{'; '.join(found):.300}); {advice}")
    sync = store.sync
    # One snapshot for SQL's side of every comparison: a cube another process commits while
    # this runs is then either in all of it or in none (never "missing at 0 changes
    # behind"). The in-memory indexes are read first, so they are never ahead of it.
    vector_seq, vector_pks = store.vectors.seq, store.vectors.ids()
    graph_seq, graph_edges = store.graph.seq, store.graph.edge_count()
    with store.repo.read() as session:
        head = store.repo.max_seq(session)
        fts_seq = sync.fulltext_seq(session)
        fts_pks = store.fulltext.all_pks(session)
        sql_edges = session.execute(select(func.count()).select_from(EdgeRow)).scalar_one()
        expected = sync.expected_pks(session)
    # The full-text index's own storage (its segments can be damaged while its list of rows
    # is whole: a search then silently finds nothing by words). A statement of its own, after
    # the snapshot: FTS5 runs its check as a write.
    fts_damage = None
    if store.repo.dialect == "sqlite":  # (PostgreSQL's index is the database's own)
        try:
            with store.repo.write() as session:
                fts_damage = store.fulltext.damaged(session)
        except StoreError as exc:  # another process held the write lock past the timeout:
            if "locked" not in str(exc):  # that check is left out, not failed
                raise
            log.warning("check: the full-text index's own integrity check was skipped: %s", exc)
    indexes: dict[str, IndexCheck] = {}
    problems: list[str] = []
    for name, seq, actual in (("vector", vector_seq, vector_pks),
                              ("fulltext", fts_seq, fts_pks)):
        missing, extra = expected - actual, actual - expected
        ok = not missing and not extra and seq >= head and not (name == "fulltext" and fts_damage)
        indexes[name] = IndexCheck(seq=seq, behind=max(0, head - seq), expected=len(expected),
                                   actual=len(actual), missing=_ids_of(store, missing),
                                   extra=_ids_of(store, extra), ok=ok)
        if not ok:
            problems.append(f"{name} index: {len(missing)} missing, {len(extra)} extra, "
                            f"{max(0, head - seq)} changes behind"
                            + (f", damaged ({fts_damage:.200})" if name == "fulltext"
                               and fts_damage else ""))
    graph_ok = graph_edges == sql_edges and graph_seq >= head
    indexes["graph"] = IndexCheck(seq=graph_seq, behind=max(0, head - graph_seq),
                                  expected=sql_edges, actual=graph_edges, ok=graph_ok)
    if not graph_ok:
        problems.append(f"graph: {graph_edges} edges in memory, {sql_edges} in SQL")
    with store.repo.read() as session:
        blobs = store.blobs.check(session)
        # A live slots or state cube, or an adapter in service, whose blob has no row at all
        # is missing too (an adapter's, for one: what `check --repair` left before it took
        # such adapters out of service).
        from memos.stores.adapters import blobs_in_service

        named = {derived_queries.blob_of(r) for r, _, _ in tier_stats.live_activation(session)}
        named |= blobs_in_service(session)
        known = set(blobs.missing) | set(blobs.corrupt)
        unlisted = sorted(b for b in named - known if b is not None
                          and store.blobs.info(session, b) is None)
        blobs.missing = sorted(set(blobs.missing) | set(unlisted))
    if not blobs.ok:
        problems.append(f"blobs: {len(blobs.missing)} missing, {len(blobs.corrupt)} corrupt, "
                        f"{len(blobs.orphaned)} files without a row")
    report = CheckReport(ok=not problems, changelog_seq=head, indexes=indexes, problems=problems,
                         blobs={"missing": blobs.missing, "corrupt": blobs.corrupt,
                                "orphaned": blobs.orphaned})
    if repair and not blobs.ok:
        rederived, retired = _repair_blobs(store, blobs.missing + blobs.corrupt, blobs.orphaned)
        report.blobs["rederived"] = rederived
        report.blobs["retired"] = retired
    if repair and problems:
        store.catch_up()
        after = check(store, repair=False)
        with store.index_lock:
            if not after.indexes["vector"].ok:
                sync.rebuild_vectors()
            if not after.indexes["fulltext"].ok:
                sync.rebuild_fulltext()
            if not after.indexes["graph"].ok:
                sync.rebuild_graph()
            store.vectors.save()
        report.repaired = True
    return report


def _repair_blobs(store: StoreParts, broken: list[str], orphaned: list[str]
                  ) -> tuple[list[str], list[str]]:
    """Missing or corrupt blobs: a slots blob made by the shipped checkpoint is encoded again
    from the exact source version it was made from (the same tensors, so the same hash);
    any other (another model's, a session state) is retired, and its next use encodes it
    again; an adapter whose weights they were is taken out of service (tainted) and, if it
    was active, consolidated again by the scheduler. Files without a row (a crash between
    writing a blob and committing it) are deleted. Returns the hashes of the blobs
    re-derived and of those retired."""
    from memos.activation import rederive_slots

    rederived = rederive_slots(store, broken) if broken else set()
    with store.repo.write() as session:
        left = [h for h in broken if h not in rederived]
        if left:
            from memos.activation import _retire_row

            for row, _sid, _sver in tier_stats.live_activation(session):
                if derived_queries.blob_of(row) in left:
                    _retire_row(store, session, row, "its blob is missing or corrupt")
            from memos.parametric.tier import weights_lost

            weights_lost(store, session, left)  # adapters: out of service, re-consolidated
            store.blobs.erase(session, left)
        # Files still without a row (a re-derived blob may have just got its row back).
        store.blobs.remove_files([h for h in orphaned if store.blobs.info(session, h) is None])
        store.blobs.remove_orphans()
    return sorted(rederived), sorted(left)


def reindex(store: StoreParts, embedder: Embedder | str | None, progress: ProgressFn | None,
            start: float) -> ReindexReport:
    """Rebuild every derived index from SQL, optionally with another embedder."""
    if embedder is not None:
        new = make_embedder(embedder)
        old_embedder, old_files = store.embedder, store.vectors
        store.set_embedder(new, VectorIndex(
            old_files.folder, new.dim, new.identity, store.config.flat_max,
            store.config.retrieval.ivf_nprobe, old_files.store_id, old_files.index_path.stem,
            approx=approx_index_for(new, store.config.vector_index),
            probe_share=store.config.retrieval.ivf_probe_share))
        # The new embedder is recorded once every vector is embedded: a re-embed that fails
        # part-way (out of memory, a broken model) leaves the store on its old embedder,
        # whose index files are still on disk, instead of one no open can rebuild.
        try:
            with store.index_lock:
                count = store.sync.rebuild_vectors(progress)
        except BaseException:
            store.set_embedder(old_embedder, old_files)
            raise
        with store.repo.write() as session:
            store.repo.set_index_meta(session, "vector", 0, new.identity, new.dim)
    with store.index_lock:
        if embedder is None:
            count = store.sync.rebuild_vectors(progress)
        store.sync.rebuild_fulltext()
        store.sync.rebuild_graph()
        store.catch_up()
        store.save_vectors()
    return ReindexReport(cubes=count, embedder=store.embedder.identity,
                         vector_index=store.vectors.kind, seconds=time.perf_counter() - start)


def gc(store: StoreParts, now: datetime | None, scope: Scope | None) -> GcReport:
    """Archive active cubes whose TTL has passed (a new version, state archived)."""
    now = now or utcnow()
    with store.repo.write() as session:
        query = select(CubeRow).where(CubeRow.state == Lifecycle.ACTIVE.value,
                                      CubeRow.expires_at.is_not(None), CubeRow.expires_at <= now)
        if scope is not None:  # the rule of purge(all_of_user=True): see bulk_clause
            query = query.where(bulk_clause(scope))
        rows = list(session.execute(query).scalars())
        expired = set(retention.select_expired([(r.id, r.expires_at, r.state) for r in rows], now))
        archived = []
        for row in rows:
            if row.id in expired:
                cube = cube_from_row(row)
                cube = cube.model_copy(update={"version": cube.version + 1,
                                               "state": Lifecycle.ARCHIVED})
                store.repo.write_version(session, row, cube, "archive")
                archived.append(row.id)
        if archived:
            store.repo.audit(session, "gc", None, "ttl expired", {"archived": archived})
        # Store-wide gc also deletes blobs no cube references any more (old versions' slots)
        # and files no row names (written by a transaction that then failed).
        blobs = store.blobs.collect(session) if scope is None else []
        if scope is None:  # inside the write lock: no writer is between a put and its commit
            orphaned = store.blobs.unnamed_files(session)
            store.blobs.remove_files(orphaned)
            blobs += orphaned
    if scope is None:
        store.blobs.remove_orphans()
    store.after_write(len(archived))
    return GcReport(archived=archived, blobs_deleted=len(blobs))


__all__ = ["check", "gc", "purge", "reindex", "stats"]
