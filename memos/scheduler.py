"""The scheduler: moves cubes between tiers by policy, and writes down why.

One run (`run_once`) does three jobs, each decision audited with its reason (actor
"scheduler", read back with `memos scheduler log`):

1. **expire**: active cubes past their TTL are archived (what `gc` did alone before), and
   slots cubes made from a version that is no longer their source's current one are retired
   (``stale``: a write path that does not go through the facade, such as an automatic
   supersede or an import, leaves them to this job; they are never served either way);
2. **promote**: hot plaintext cubes (policies.tiering.select_promotions on their access
   statistics) are pre-encoded into slots for the scheduler's model, so the next recall of
   them is a cache hit instead of an encode (none with a disk budget of 0);
3. **evict**: when the activation blobs of the store exceed the disk budget, the coldest slots
   cubes (by the configured eviction policy: lru, lfu or cost) are retired and their blobs
   deleted; blobs no cube references any more (old versions' slots) are deleted too.

`dry_run=True` decides the same and changes nothing (the decisions are returned, not audited).
`MemOS.start_scheduler(interval)` runs it on a background thread.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from memos.cube import Kind, Lifecycle, utcnow
from memos.errors import InvalidInputError
from memos.policies import retention
from memos.policies.tiering import (
    EVICTION_POLICIES,
    CubeStats,
    PromotionConfig,
    select_evictions,
    select_promotions,
)
from memos.stores import derived, tier_stats

if TYPE_CHECKING:
    from memos.activation import ActivationTier
    from memos.parts import StoreParts

log = logging.getLogger(__name__)

ACTOR = "scheduler"


class SchedulerConfig(BaseModel):
    """What the scheduler may do in one run."""

    disk_budget_bytes: int = Field(default=1 << 30, ge=0)  # activation blobs on disk
    eviction_policy: str = "cost"
    promote_min_hits: int = Field(default=3, ge=1)
    promote_window_s: float = Field(default=7 * 24 * 3600.0, gt=0)
    promote_max_per_run: int = Field(default=256, ge=0)
    model: str | None = None  # checkpoint path for promotion; None: the shipped one
    # Consolidation into adapters (memos/parametric/tier.py): at most this many trainings
    # per run (0: the job is off); `consolidation` is a ConsolidationConfig (None: defaults).
    consolidate_max_per_run: int = Field(default=1, ge=0)
    consolidation: Any = None


class Decision(BaseModel):
    job: str  # expire | stale | promote | evict | consolidate | reconsolidate | ...
    cube_id: str | None
    reason: str


class SchedulerReport(BaseModel):
    dry_run: bool
    decisions: list[Decision] = Field(default_factory=list)
    expired: int = 0
    promoted: int = 0
    evicted: int = 0
    stale: int = 0  # slots cubes of a source version that is no longer current, retired
    blobs_deleted: int = 0
    activation_bytes: int = 0  # blobs of live slots cubes after the run
    seconds: float = 0.0


def _ts(moment: datetime | None) -> float | None:
    return moment.timestamp() if moment is not None else None


def run_once(store: StoreParts, tier: ActivationTier, config: SchedulerConfig | None = None,
             *, dry_run: bool = False, now: datetime | None = None) -> SchedulerReport:
    """One pass of every job; see the module docstring."""
    from memos import admin
    from memos.activation import retire_if_active
    from memos.stores.repository import cube_from_row

    cfg = config if config is not None else SchedulerConfig()
    if not isinstance(cfg, SchedulerConfig):
        raise InvalidInputError("config must be a memos.scheduler.SchedulerConfig")
    if now is not None and not isinstance(now, datetime):
        raise InvalidInputError(f"now must be a datetime, got {type(now).__name__}")
    if cfg.eviction_policy not in EVICTION_POLICIES:
        raise InvalidInputError(f"unknown eviction policy {cfg.eviction_policy!r}; choose one "
                                f"of {sorted(EVICTION_POLICIES)}")
    start = time.perf_counter()
    now = now or utcnow()
    clock = now.timestamp()
    report = SchedulerReport(dry_run=dry_run)

    # 1. expire ---------------------------------------------------------------------------
    if dry_run:
        from sqlalchemy import select

        from memos.stores.schema import CubeRow
        with store.repo.read() as session:
            rows = session.execute(select(CubeRow.id, CubeRow.expires_at, CubeRow.state).where(
                CubeRow.expires_at.is_not(None), CubeRow.expires_at <= now)).all()
        expired = retention.select_expired([tuple(r) for r in rows], now)
    else:
        expired = admin.gc(store, now, None).archived
    report.expired = len(expired)
    report.decisions += [Decision(job="expire", cube_id=cid, reason="ttl expired")
                         for cid in expired]

    # 2. promote --------------------------------------------------------------------------
    promo = PromotionConfig(min_hits=cfg.promote_min_hits, window_s=cfg.promote_window_s,
                            max_per_run=cfg.promote_max_per_run)
    with store.repo.read() as session:
        candidates = tier_stats.live_plaintext_stats(session, now, min_hits=promo.min_hits)
    stats: dict[str, CubeStats] = {}
    chosen: list[str] = []
    # With no disk budget every promoted blob would be evicted by this same run (and
    # promoted again by the next): nothing is promoted.
    if candidates and cfg.disk_budget_bytes > 0:  # torch loads only when needed
        model = tier.model(cfg.model)
        fp = model.fingerprint
        with store.repo.read() as session:
            encoded = {(sid, sver) for row, sid, sver in tier_stats.live_activation(
                session, Kind.SLOTS.value) if row.model_fingerprint == fp}
        stats = {cid: CubeStats(key=cid, hits=hits, last_access=_ts(last),
                                created=_ts(rec) or 0.0)
                 for cid, ver, hits, last, rec, _user in candidates
                 if (cid, ver) not in encoded}
        chosen = select_promotions(list(stats.values()), clock, promo)
    if chosen:
        with store.repo.read() as session:
            rows = [store.repo.row_by_id(session, cid) for cid in chosen]
            cubes = [cube_from_row(r) for r in rows if r is not None]
        if not dry_run:
            _, _, _, _, skipped = tier.slots_for(cubes, model, persist=True)
            skipped_ids = {cid for cid, _ in skipped}
            chosen = [c.id for c in cubes if c.id not in skipped_ids]
        for cid in chosen:
            s = stats[cid]
            report.decisions.append(Decision(
                job="promote", cube_id=cid,
                reason=f"{s.hits} reads, last {int(clock - (s.last_access or clock))} s ago"))
        report.promoted = len(chosen)

    # 3. stale and evict ------------------------------------------------------------------
    with store.repo.read() as session:
        live = [(row, sid, sver) for row, sid, sver in
                tier_stats.live_activation(session, Kind.SLOTS.value)
                if derived.blob_of(row) is not None]
        access = tier_stats.source_access(session, sorted({sid for _, sid, _ in live}))
    current_states = (Lifecycle.ACTIVE.value, Lifecycle.SUPERSEDED.value)
    stale: list[str] = []
    entries: dict[str, int] = {}
    for row, sid, sver in live:
        hits, last, version, state = access.get(sid, (0, None, -1, ""))
        if version != sver or state not in current_states:
            stale.append(row.id)  # made from a version that is no longer the source's
            report.decisions.append(Decision(
                job="stale", cube_id=row.id,
                reason=f"made from version {sver} of {sid}, which is now "
                       f"{'gone' if version < 0 else f'version {version}, {state}'}"))
            continue
        entries[row.id] = derived.blob_bytes(row)
        stats[row.id] = CubeStats(key=row.id, bytes=entries[row.id], hits=hits,
                                  last_access=_ts(last), created=_ts(row.recorded_at) or 0.0,
                                  encode_seconds=derived.encode_cost(row))
    total = sum(entries.values())
    victims = select_evictions([stats[i] for i in entries], cfg.disk_budget_bytes, clock,
                               cfg.eviction_policy) if total > cfg.disk_budget_bytes else []
    for vid in victims:
        report.decisions.append(Decision(
            job="evict", cube_id=vid,
            reason=f"{cfg.eviction_policy}: {total} blob bytes over the "
                   f"{cfg.disk_budget_bytes}-byte budget"))
    report.evicted = len(victims)
    report.stale = len(stale)
    report.activation_bytes = total - sum(entries[v] for v in victims)
    if not dry_run:
        retired = 0
        with store.repo.write() as session:
            for cid in stale:
                retired += retire_if_active(store, session, cid, "its source has changed")
            for vid in victims:
                retired += retire_if_active(store, session, vid, "evicted by the scheduler")
            dead = store.blobs.collect(session)
            report.blobs_deleted = len(dead)
            for d in report.decisions:
                if d.job != "expire":  # gc audits its own archive
                    store.repo.audit(session, d.job, d.cube_id, d.reason, {}, actor=ACTOR)
        if retired:
            # The RAM cache has its own budget: an entry there may outlive its blob on disk.
            store.after_write(retired)
    # 4. consolidate (re-consolidate adapters a forget tainted; the policy's candidates) --
    if cfg.consolidate_max_per_run:
        from memos.parametric.tier import run_consolidation_job

        made = run_consolidation_job(store, tier, cfg.consolidation, clock, dry_run,
                                     cfg.consolidate_max_per_run)
        report.decisions += [Decision(job=job, cube_id=target, reason=why)
                             for job, target, why in made]
    report.seconds = time.perf_counter() - start
    log.info("scheduler: %d expired, %d promoted, %d evicted, %d blobs deleted%s",
             report.expired, report.promoted, report.evicted, report.blobs_deleted,
             " (dry run)" if dry_run else "")
    return report


class SchedulerThread:
    """Runs `run_once` every `interval` seconds until stopped (a daemon thread)."""

    def __init__(self, run: Any, interval: float) -> None:
        if not isinstance(interval, (int, float)) or not 0.01 <= interval <= 86_400:
            raise InvalidInputError("scheduler interval must be 0.01 to 86400 seconds")
        self._run = run
        self.interval = float(interval)
        self._stop = threading.Event()
        self.runs = 0
        self.last_error: str | None = None
        self._thread = threading.Thread(target=self._loop, name="memos-scheduler", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self._run()
                self.runs += 1
            except Exception as exc:  # a failed run is logged and retried next interval
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.exception("scheduler run failed")

    def stop(self, timeout: float | None = None) -> None:
        """Stop after the pass in progress (None: wait for it however long it takes)."""
        self._stop.set()
        self._thread.join(timeout)


__all__ = ["Decision", "SchedulerConfig", "SchedulerReport", "SchedulerThread", "run_once"]
