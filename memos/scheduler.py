"""The scheduler: moves cubes between tiers by policy, and writes down why.

One run (`run_once`) does these jobs, each decision audited with its reason (actor
"scheduler", read back with `memos scheduler log`):

1. **expire**: active cubes past their TTL are archived (what `gc` does);
2. **stale**: activation cubes (slots and session states) made from a version that is no
   longer their source's current one, or from a source that has expired, are retired (a
   write path that does not go through the facade, such as an automatic supersede or an
   import, leaves them to this job; they are never served either way);
3. **evict**: when a user's activation blobs (slots and session states) exceed the disk
   budget, that user's coldest blobs (by the configured eviction policy: lru, lfu or cost)
   are retired and deleted; blobs no cube references any more are deleted too. The budget
   is each user's apart: what one user reads never evicts, or leaves no room for, another's;
4. **promote**: hot plaintext cubes (policies.tiering.select_promotions on their access
   statistics) are pre-encoded into slots for the scheduler's model, so the next recall of
   them is a cache hit instead of an encode. Promotion only fills the room the owner's
   budget has left after eviction: a blob's size is known before encoding (an upper bound from the
   text's byte length), so nothing is encoded that this run or the next would evict, and a
   budget smaller than the hot set leaves the store unchanged from one run to the next.
   Cubes longer than the model's memory limit are never chosen, nor a cube whose slots
   this same run evicted;
5. **consolidate**: adapters (memos/parametric/tier.py).

`dry_run=True` makes the same decisions and changes nothing (the decisions are returned, not
audited). Two things only a real run knows: a promotion whose source a forget or new version
changed while it was being encoded is not stored (nor reported), and the bytes a promotion
adds are the blob's real size, where a dry run counts the upper bound.
`MemOS.start_scheduler(interval)` runs it on a background thread.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field, ValidationError

from memos.cube import Kind, Lifecycle, as_utc, utcnow
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
    from memos.model.memory_model import MemoryModel
    from memos.parts import StoreParts

log = logging.getLogger(__name__)

ACTOR = "scheduler"


class SchedulerConfig(BaseModel):
    """What the scheduler may do in one run."""

    # Slots and state blobs on disk, for each user apart: one user's reads never evict or
    # crowd out another's (an attacker helper read another user's activity from his own
    # evictions under a budget the store shared)
    disk_budget_bytes: int = Field(default=1 << 30, ge=0)
    eviction_policy: str = "cost"
    promote_min_hits: int = Field(default=3, ge=1)
    promote_window_s: float = Field(default=7 * 24 * 3600.0, gt=0)
    promote_max_per_run: int = Field(default=256, ge=0)  # for each user, as the budget is
    model: str | None = None  # checkpoint path for promotion; None: the shipped one
    # Consolidation into adapters (memos/parametric/tier.py): at most this many trainings
    # per run (0: the job is off); `consolidation` is a ConsolidationConfig (None: defaults).
    consolidate_max_per_run: int = Field(default=1, ge=0)
    consolidation: Any = None


class Decision(BaseModel):
    job: str  # expire | stale | evict | promote | consolidate | reconsolidate | ...
    cube_id: str | None
    reason: str


class SchedulerReport(BaseModel):
    dry_run: bool
    decisions: list[Decision] = Field(default_factory=list)
    expired: int = 0
    promoted: int = 0
    evicted: int = 0
    stale: int = 0  # activation cubes of a source version that is no longer current, retired
    blobs_deleted: int = 0
    consolidated: int = 0  # adapters (re)consolidated, or that would be in a dry run
    activation_bytes: int = 0  # blobs of live slots and state cubes after the run (per user, summed)
    seconds: float = 0.0


def _ts(moment: datetime | None) -> float | None:
    return as_utc(moment).timestamp() if moment is not None else None


def _checked(config: SchedulerConfig | None) -> SchedulerConfig:
    """The config, validated now: fields assigned after construction skip pydantic's checks,
    and a bad value must stop the run before any job has changed the store."""
    cfg = config if config is not None else SchedulerConfig()
    if not isinstance(cfg, SchedulerConfig):
        raise InvalidInputError("config must be a memos.scheduler.SchedulerConfig")
    try:
        cfg = SchedulerConfig.model_validate(
            {name: getattr(cfg, name) for name in SchedulerConfig.model_fields})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidInputError(f"scheduler config {where}: {first['msg']}; fix the value "
                                f"(see memos.scheduler.SchedulerConfig)") from None
    if cfg.eviction_policy not in EVICTION_POLICIES:
        raise InvalidInputError(f"unknown eviction policy {cfg.eviction_policy!r}; choose one "
                                f"of {sorted(EVICTION_POLICIES)}")
    if cfg.consolidate_max_per_run and cfg.consolidation is not None:
        from memos.parametric.tier import ConsolidationConfig

        if not isinstance(cfg.consolidation, ConsolidationConfig):
            raise InvalidInputError("SchedulerConfig.consolidation must be a "
                                    "memos.parametric.tier.ConsolidationConfig")
        cfg.consolidation.check()
    return cfg


# (model fingerprint, text bytes) -> (header bytes, tensor bytes) of the blob of such a
# memory's slots with an empty header: an upper bound, since a single memory's untrimmed
# slots are the most a blob of that length holds.
_SLOT_LAYOUT: dict[tuple[str, int], tuple[int, int]] = {}
_SLOT_LAYOUT_MAX = 4096
_EMPTY_HEADER = {"owner": "", "source": "", "text": ""}


def _json_growth(value: str) -> int:
    """How much longer a blob header gets when an empty value of it becomes `value`: the
    header is JSON inside a JSON string, so the value is escaped twice."""
    return len(json.dumps(json.dumps(value))) - len(json.dumps(json.dumps("")))


def slot_blob_bound(tier: ActivationTier, model: MemoryModel, text_bytes: int, owner: str,
                    source: str) -> int:
    """At least the size of the blob file that storing the slots of a `text_bytes`-byte
    memory of `owner` (`source` = "id@version") writes: what promotion budgets with before
    encoding anything. The slots' shape depends only on the text's byte length, so it is
    measured once per length on a probe text."""
    key = (model.fingerprint, text_bytes)
    layout = _SLOT_LAYOUT.get(key)
    if layout is None:
        with tier.model_lock:
            probe = model.encode_memory(["x" * text_bytes])
        layout = tier.blobs.file_layout(probe.to_tensors(), kind=Kind.SLOTS.value,
                                        fingerprint=model.fingerprint, header=_EMPTY_HEADER)
        if len(_SLOT_LAYOUT) >= _SLOT_LAYOUT_MAX:
            _SLOT_LAYOUT.clear()
        _SLOT_LAYOUT[key] = layout
    header, tensors = layout
    grown = header + sum(_json_growth(v) for v in (owner, source, "0" * 64))
    return tier.blobs.file_size(grown, tensors)


def _slots_model(tier: ActivationTier, model: str | None) -> MemoryModel:
    m = tier.model(model)
    if not m.cfg.cross_attention:
        raise InvalidInputError(f"the scheduler's model {model or 'memqa-small'} has no "
                                "cross-attention layers, so it cannot read slots: set "
                                "SchedulerConfig.model to a checkpoint that has them "
                                "(or None for the shipped one)")
    return m


def run_once(store: StoreParts, tier: ActivationTier, config: SchedulerConfig | None = None,
             *, dry_run: bool = False, now: datetime | None = None) -> SchedulerReport:
    """One pass of every job; see the module docstring."""
    from memos import admin
    from memos.activation import CACHE_KINDS, retire_if_active

    cfg = _checked(config)
    if now is not None and not isinstance(now, datetime):
        raise InvalidInputError(f"now must be a datetime, got {type(now).__name__}")
    if cfg.model is not None and cfg.disk_budget_bytes and cfg.promote_max_per_run:
        # A checkpoint that cannot be loaded, or cannot read slots, stops the run before
        # any job (the shipped one loads only when there is something to promote).
        _slots_model(tier, cfg.model)
    start = time.perf_counter()
    now = as_utc(now) if now is not None else utcnow()
    clock = now.timestamp()
    report = SchedulerReport(dry_run=dry_run)
    # The reads counted since the last batch are written first: promotion, eviction and
    # consolidation decide by them (they wait in memory for up to 1,000 counts)
    store.flush_access()

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
    gone = set(expired)
    report.expired = len(expired)
    report.decisions += [Decision(job="expire", cube_id=cid, reason="ttl expired")
                         for cid in expired]

    # 2. stale and 3. evict ---------------------------------------------------------------
    with store.repo.read() as session:
        live = [(row, sid, sver) for row, sid, sver in tier_stats.live_activation(session)
                if row.kind in CACHE_KINDS and derived.blob_of(row) is not None]
        access = tier_stats.source_access(session, sorted({sid for _, sid, _ in live}))
    current_states = (Lifecycle.ACTIVE.value, Lifecycle.SUPERSEDED.value)
    stale: list[str] = []
    # The eviction unit is a user's blob: all that user's cubes naming it go with it
    blobs: dict[str, dict[str, CubeStats]] = {}  # user -> blob -> its stats
    cubes_of: dict[tuple[str, str], list[tuple[str, str]]] = {}  # (user, blob) -> (cube, source)
    encoded: set[tuple[str, int, str]] = set()  # (source, version, fingerprint) with slots
    for row, sid, sver in live:
        hits, last, version, state, expires = access.get(sid, (0, None, -1, "", None))
        if sid in gone or (expires is not None and as_utc(expires) <= now):
            why = f"made from {sid}, which has expired"
        elif version != sver or state not in current_states:
            why = (f"made from version {sver} of {sid}, which is now "
                   f"{'gone' if version < 0 else f'version {version}, {state}'}")
        else:
            blob, user = str(derived.blob_of(row)), str(row.user_id)
            cubes_of.setdefault((user, blob), []).append((row.id, sid))
            if blob not in blobs.setdefault(user, {}):
                blobs[user][blob] = CubeStats(key=blob, bytes=derived.blob_bytes(row), hits=hits,
                                              last_access=_ts(last),
                                              created=_ts(row.recorded_at) or 0.0,
                                              encode_seconds=derived.encode_cost(row))
            if row.kind == Kind.SLOTS.value:
                encoded.add((sid, sver, str(row.model_fingerprint)))
            continue
        stale.append(row.id)
        report.decisions.append(Decision(job="stale", cube_id=row.id, reason=why))
    victims: list[str] = []
    evicted_sources: set[str] = set()
    kept: dict[str, int] = {}  # user -> blob bytes left
    for user, own in blobs.items():
        total = sum(s.bytes for s in own.values())
        gone_blobs = select_evictions(list(own.values()), cfg.disk_budget_bytes, clock,
                                      cfg.eviction_policy) if total > cfg.disk_budget_bytes else []
        for b in gone_blobs:
            for cid, sid in cubes_of[(user, b)]:
                victims.append(cid)
                evicted_sources.add(sid)
                report.decisions.append(Decision(
                    job="evict", cube_id=cid,
                    reason=f"{cfg.eviction_policy}: the user's {total} blob bytes over the "
                           f"{cfg.disk_budget_bytes}-byte budget"))
        kept[user] = total - sum(own[b].bytes for b in gone_blobs)
    report.evicted = len(victims)
    report.stale = len(stale)
    report.activation_bytes = sum(kept.values())
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
                store.repo.audit(session, d.job, d.cube_id, d.reason, {}, actor=ACTOR)
        if retired:
            # The RAM cache has its own budget: an entry there may outlive its blob on disk.
            store.after_write(retired)

    # 4. promote into the room left -------------------------------------------------------
    if cfg.disk_budget_bytes and cfg.promote_max_per_run:
        _promote(store, tier, cfg, report, clock, now, kept, encoded, evicted_sources, dry_run)

    # 5. consolidate (re-consolidate adapters a forget tainted; the policy's candidates) --
    if cfg.consolidate_max_per_run:
        from memos.parametric.tier import run_consolidation_job

        made = run_consolidation_job(store, tier, cfg.consolidation, clock, dry_run,
                                     cfg.consolidate_max_per_run)
        report.decisions += [Decision(job=job, cube_id=target, reason=why)
                             for job, target, why in made]
        report.consolidated = sum(job in ("consolidate", "reconsolidate") for job, _, _ in made)
    report.seconds = time.perf_counter() - start
    log.info("scheduler: %d expired, %d stale, %d evicted, %d promoted, %d blobs deleted%s",
             report.expired, report.stale, report.evicted, report.promoted,
             report.blobs_deleted, " (dry run)" if dry_run else "")
    return report


def _promote(store: StoreParts, tier: ActivationTier, cfg: SchedulerConfig,
             report: SchedulerReport, clock: float, now: datetime, kept: dict[str, int],
             encoded: set[tuple[str, int, str]], evicted_sources: set[str], dry_run: bool
             ) -> None:
    """Pre-encode the hottest cubes whose blobs fit in the room their user's budget has
    left (`kept`: each user's blob bytes after eviction; step 4 of `run_once`)."""
    from memos.stores.repository import cube_from_row

    with store.repo.read() as session:
        candidates = tier_stats.live_plaintext_stats(session, now, min_hits=cfg.promote_min_hits)
    if not candidates:
        return
    model = _slots_model(tier, cfg.model)  # torch loads only when there is something to do
    fp, limit = model.fingerprint, model.cfg.max_memory_tokens
    stats: dict[str, CubeStats] = {}
    facts: dict[str, tuple[int, int, str]] = {}  # id -> (version, text bytes, owner)
    for cid, ver, hits, last, rec, user, nbytes in candidates:
        if (cid, ver, fp) in encoded or cid in evicted_sources or int(nbytes or 0) > limit:
            continue  # already encoded, evicted by this run, or too long to ever encode
        stats[cid] = CubeStats(key=cid, hits=hits, last_access=_ts(last),
                               created=_ts(rec) or 0.0)
        facts[cid] = (int(ver), int(nbytes or 0), str(user))
    hottest = select_promotions(list(stats.values()), clock, PromotionConfig(
        min_hits=cfg.promote_min_hits, window_s=cfg.promote_window_s, max_per_run=len(stats)))
    chosen: list[str] = []
    cost: dict[str, int] = {}
    room = {user: cfg.disk_budget_bytes - used for user, used in kept.items()}
    count: dict[str, int] = {}  # promotions of each user this run (the cap is each user's)
    for cid in hottest:
        ver, nbytes, owner = facts[cid]
        if count.get(owner, 0) >= cfg.promote_max_per_run:
            continue
        need = slot_blob_bound(tier, model, nbytes, owner, f"{cid}@{ver}")
        if need > room.setdefault(owner, cfg.disk_budget_bytes):
            continue  # a smaller, colder one may still fit
        chosen.append(cid)
        cost[cid] = need
        room[owner] -= need
        count[owner] = count.get(owner, 0) + 1
    if not chosen:
        return
    added = sum(cost.values())
    if not dry_run:
        with store.repo.read() as session:
            rows = [store.repo.row_by_id(session, cid) for cid in chosen]
            # A cube given a new version since it was chosen is left to the next run: its
            # blob was budgeted for the chosen version's length.
            cubes = [cube_from_row(r) for r in rows
                     if r is not None and int(r.version) == facts[r.id][0]]
        tier.slots_for(cubes, model, persist=True)
        # Report what was stored: a forget, purge or new version that committed while the
        # model was encoding wins, and nothing derived from it is kept.
        with store.repo.read() as session:
            have = derived.live_derived(session, [(c.id, c.version) for c in cubes],
                                        kind=Kind.SLOTS.value, fingerprint=fp)
            stored = {c.id: derived.blob_bytes(have[(c.id, c.version)]) for c in cubes
                      if (c.id, c.version) in have}
        chosen = [cid for cid in chosen if cid in stored]
        added = sum(stored.values())
    decisions = []
    for cid in chosen:
        s = stats[cid]
        decisions.append(Decision(
            job="promote", cube_id=cid,
            reason=f"{s.hits} reads, last {int(clock - (s.last_access or clock))} s ago"))
    if decisions and not dry_run:
        with store.repo.write() as session:
            for d in decisions:
                store.repo.audit(session, d.job, d.cube_id, d.reason, {}, actor=ACTOR)
    report.decisions += decisions
    report.promoted = len(chosen)
    report.activation_bytes += added


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
