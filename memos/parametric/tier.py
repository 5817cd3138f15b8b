"""Adapters as cubes: consolidation with an evaluation gate, activation, rollback, the taint
that forgetting puts on them, and closed-book serving.

An **adapter cube** is tier ``parametric``, kind ``adapter``, private to the owner it was
made for (user and agent of the consolidating scope), ``derived_from`` the exact (cube id,
version) pairs it was trained on (rows of the `derivations` table, written in its own
transaction), ``model_fingerprint`` the *base* model's fingerprint, and OS-only metadata:

- ``memos:blob`` (its LoRA weights, a blob of kind ``adapter``), ``memos:bytes``,
  ``memos:adapter_fingerprint`` (sha256 of base fingerprint, LoRA shape and weights);
- ``memos:status``: ``active`` | ``retired`` | ``rejected`` | ``tainted``;
- ``memos:config`` (training config), ``memos:numbers`` (evaluation), ``memos:facts``
  (hash of each normalised question -> [cube id, version], for serving),
  ``memos:reason`` (why rejected, retired or tainted).

Status changes are new versions of the cube (history keeps them). At most one adapter per
owner is active. Forgetting a cube an adapter was trained on taints the adapter inside the
forget's own transaction (`taint_in`, called by `admin.forget_derived`): state
``forgotten``, status ``tainted``, weights erased, ``memos:reconsolidate`` ``pending`` for the
scheduler, which trains a new adapter on the other facts. A purge that keeps an adapter
(another agent's) taints it the same way and also erases, from its row and every version,
what it held of the erased cubes: their question keys and (cube id, version) pairs. A fact
forgotten or purged while an adapter trains on it makes the adapter ``tainted`` at once
(never stored with weights), and the consolidation's report says ``tainted``.

Serving (`closed_book`): when the question is one of the active adapter's consolidated facts
(same normalised text) and that fact's cube is still live at the version the adapter was
trained on, the adapter answers closed-book (no retrieval, no memory read); otherwise the
caller falls back to the activation tier (retrieval + pre-encoded slots, base model).
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import threading
import time
import weakref
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from memos.cube import DerivedFrom, Kind, Lifecycle, MemCube, Scope, Tier, new_id, utcnow
from memos.errors import (
    BlobError,
    FingerprintMismatchError,
    InvalidInputError,
    MemosError,
    ModelError,
    NotFoundError,
)
from memos.parts import not_found
from memos.policies import retention
from memos.policies.consolidation import (
    NOT_A_FACT,
    ConsolidationPolicy,
    FactStats,
    select_candidates,
    should_consolidate,
    why_not,
)
from memos.results import AdapterInfo, ConsolidationReport
from memos.stores import adapters as q

if TYPE_CHECKING:
    from memos.activation import ActivationTier, Answer
    from memos.model.memory_model import MemoryModel
    from memos.parametric.lora import QA, AdapterServer, MemorySet, TrainConfig
    from memos.parts import StoreParts
    from memos.stores.schema import CubeRow

log = logging.getLogger(__name__)

BLOB_KIND = "adapter"
STATUS = q.STATUS_KEY
AFP_KEY = "memos:adapter_fingerprint"
BYTES_KEY = "memos:bytes"
CONFIG_KEY = "memos:config"
NUMBERS_KEY = "memos:numbers"
FACTS_KEY = q.FACTS_KEY
REASON_KEY = "memos:reason"
RECON_KEY = "memos:reconsolidate"
# Why the evaluation gate rejected an adapter, kept for good: a forced activation clears
# REASON_KEY, and the adapter it replaces later is "retired" like any other, so without this
# a rollback (or an activate without force) could serve weights the gate refused.
GATE_KEY = "memos:gate_failed"
MAX_ADAPTER_BYTES = 1 << 20
_FACT_TEXT = re.compile(r"^(?P<s>.+?)'s (?P<a>.+?) is (?P<v>.+?)\.?$", re.S)


@dataclass
class ConsolidationConfig:
    """Gate thresholds, training settings and the policy (all configurable)."""

    min_closed_book: float = 0.9  # closed-book exact match on the consolidated facts
    max_memory_drop: float = 0.02  # memory-QA on unseen facts: adapter vs base
    gate_sets: int = 2  # unseen fact sets for the memory-QA check ...
    gate_facts: int = 48  # ... of this many facts, every fact asked once
    gate_styles: tuple[str, ...] = ("random", "realistic")
    train: Any = None  # a memos.parametric.lora.TrainConfig (None: its defaults)
    policy: ConsolidationPolicy = field(default_factory=ConsolidationPolicy)

    def check(self) -> None:
        """InvalidInputError for a value the gate or training could not use."""
        from memos.parametric.lora import TrainConfig, check_styles

        for name in ("min_closed_book", "max_memory_drop"):
            value = getattr(self, name)
            if (not isinstance(value, (int, float)) or isinstance(value, bool)
                    or not 0 <= value <= 1):
                raise InvalidInputError(f"{name} must be a number from 0 to 1, got {value!r:.40}")
        for name in ("gate_sets", "gate_facts"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 10_000:
                raise InvalidInputError(f"{name} must be an integer from 1 to 10000, "
                                        f"got {value!r:.40}")
        check_styles(self.gate_styles, "gate_styles")
        if self.train is not None and not isinstance(self.train, TrainConfig):
            raise InvalidInputError("train must be a memos.parametric.lora.TrainConfig or None")
        if self.train is not None:
            self.train.check()
        if not isinstance(self.policy, ConsolidationPolicy):
            raise InvalidInputError("policy must be a memos.policies.consolidation."
                                    "ConsolidationPolicy")


def gate_reasons(closed_book: float, memory_base: float, memory_adapter: float,
                 nbytes: int, cfg: ConsolidationConfig) -> list[str]:
    """Why the evaluation gate rejects an adapter (empty: it passes)."""
    reasons = []
    if closed_book < cfg.min_closed_book:
        reasons.append(f"closed-book exact match {closed_book:.3f} < {cfg.min_closed_book}")
    drop = memory_base - memory_adapter
    if drop > cfg.max_memory_drop + 1e-9:
        reasons.append(f"memory-QA on unseen facts fell {drop:.3f} (> {cfg.max_memory_drop}):"
                       f" {memory_base:.3f} -> {memory_adapter:.3f}")
    if nbytes > MAX_ADAPTER_BYTES:
        reasons.append(f"adapter is {nbytes} bytes (> {MAX_ADAPTER_BYTES})")
    return reasons


def normalise_question(text: str) -> str:
    return " ".join(text.lower().split())


def question_key(text: str) -> str:
    return hashlib.sha256(normalise_question(text).encode("utf-8")).hexdigest()[:32]


def fact_of(row: CubeRow) -> tuple[str, str, str] | None:
    """(subject, attribute, value) of a fact cube: metadata subject and attribute, the value
    from metadata `value` or from text of the form "<subject>'s <attribute> is <value>."."""
    meta = row.meta if isinstance(row.meta, dict) else {}
    subject, attribute = meta.get("subject"), meta.get("attribute")
    if not isinstance(subject, str) or not isinstance(attribute, str):
        return None
    if not subject.strip() or not attribute.strip():
        return None
    value = meta.get("value")
    text = _FACT_TEXT.match(row.content.strip())
    if not isinstance(value, str) or not value.strip():
        if text is None or text.group("s") != subject or text.group("a") != attribute:
            return None
        value = text.group("v")
    # A fact the reader wrote keys on its speaker's id and, of a many-valued relation, on
    # the value too ("user:alice", "sister's name=ana"); its question is asked as its text
    # says it ("What is Alice's sister's name?"), which is how a user asks it
    relation = meta.get("relation")
    relation = relation if isinstance(relation, str) and relation.strip() else attribute
    if text is not None and text.group("a").casefold() == relation.casefold() and \
            " ".join(text.group("v").split()).casefold() == " ".join(value.split()).casefold():
        return text.group("s"), text.group("a"), value
    return subject, relation, value


def _question(subject: str, attribute: str) -> str:
    return f"What is {subject}'s {attribute}?"


def _one_answer_each(rows: list[CubeRow], skipped: list[tuple[str, str]]
                     ) -> tuple[list[CubeRow], list[tuple[str, str]]]:
    """The facts whose question has one answer among `rows`: of two sisters ("What is
    Alice's sister's name?": Ana and Maya) or two likes, an adapter could learn only one
    answer, so none is trained and each is skipped, saying why."""
    asked = []  # (row, its question, its answer)
    for r in rows:
        s, a, v = fact_of(r)  # type: ignore[misc]
        asked.append((r, _question(s, a), v.casefold()))
    answers: dict[str, set[str]] = {}
    for _r, question, value in asked:
        answers.setdefault(question_key(question), set()).add(value)
    kept = []
    for r, question, _value in asked:
        if len(answers[question_key(question)]) > 1:
            skipped.append((r.id, f"{AMBIGUOUS}: {question}"))
        else:
            kept.append(r)
    return kept, skipped


def _ts(moment: Any) -> float | None:
    return moment.timestamp() if moment is not None else None


def _status(row: CubeRow) -> str:
    return str((row.meta or {}).get(STATUS, ""))


def _new_version(store: StoreParts, session: Any, row: CubeRow, op: str, why: str,
                 state: Lifecycle, meta: dict[str, Any],
                 derived_from: list[DerivedFrom] | None = None) -> MemCube:
    from memos.stores.repository import cube_from_row

    session.refresh(row)
    cube = cube_from_row(row)
    update: dict[str, Any] = {"version": row.version + 1, "state": state,
                              "metadata": {**cube.metadata, **meta}}
    if derived_from is not None:  # write_version replaces the derivation rows to match
        update["derived_from"] = derived_from
    cube = cube.model_copy(update=update)
    store.repo.write_version(session, row, cube, op, why)
    session.refresh(row)
    return cube


# -- forgetting reaches weights (called inside the forget's own transaction) ---------------


def taint_in(store: StoreParts, session: Any, rows: Sequence[CubeRow], cube_id: str,
             how: str = "forgotten", erased: Collection[str] = ()) -> list[str]:
    """Inside the caller's write transaction: take every adapter among `rows` (cubes derived
    from `cube_id`, which was `how`: forgotten, or purged) out of service, erase its weights
    and ask for re-consolidation. Returns the ids tainted. Adapters that are already tainted
    only lose their weights (none left).

    `erased`: the ids a purge erases (purge keeps these adapters: another agent's). What
    each adapter holds of them goes too, from its row and every version of its history:
    the question key (`memos:facts`, a hash of the fact's question: derived from the erased
    text) and the (cube id, version) pair with its derivation row. A forget erases nothing
    of the sort: the forgotten fact's own text and history stay, and so do these."""
    gone = set(erased)
    erased_ids = q.ErasedIds(gone)  # (sorted once: a whole user's ids, for every adapter)
    done: list[str] = []
    scrubbed: list[str] = []
    for row in rows:
        if not q.is_adapter(row):
            continue
        blob = q.adapter_blob(row)
        if blob is not None:
            store.blobs.erase(session, [blob])
        kept = _without_erased(row.meta, row.derived_from, gone) if gone else None
        meta: dict[str, Any] = {FACTS_KEY: kept[0]} if kept is not None else {}
        sources = kept[1] if kept is not None else None
        if kept is not None:
            scrubbed.append(row.id)
        if row.state == Lifecycle.FORGOTTEN.value:
            # tainted before: the purge still erases what it held, and the purged cube's id
            # from the reason a forget of it wrote ("trained on cube <id>, which was ...")
            said = (row.meta or {}).get(REASON_KEY) if isinstance(row.meta, dict) else None
            scrubbed_reason = q.without_ids(said, erased_ids) if gone and isinstance(said, str) \
                else said
            if scrubbed_reason != said:
                meta[REASON_KEY] = scrubbed_reason
            if meta:
                n = len(row.derived_from or []) - len(kept[1]) if kept is not None else 0
                _new_version(store, session, row, "forget",
                             f"{n} cube(s) it was trained on purged: what it held of them "
                             f"erased", Lifecycle.FORGOTTEN, meta, sources)
            if gone:
                q.scrub_history(session, row.id, gone, erased_ids)
            continue
        was_active = row.state == Lifecycle.ACTIVE.value
        # (a purged cube is not named outside the audit log: its id was of erased data)
        why = (f"trained on cube {cube_id}, which was {how}" if how != "purged" else
               "trained on a cube that was purged")
        _new_version(store, session, row, "forget", why, Lifecycle.FORGOTTEN, {
            STATUS: "tainted", REASON_KEY: why,
            RECON_KEY: "pending" if was_active else "none", **meta}, sources)
        if gone:
            q.scrub_history(session, row.id, gone, erased_ids)
        store.repo.audit(session, "taint", row.id, why,
                         {"adapter": row.id, "source": cube_id, "was_active": was_active})
        done.append(row.id)
    if gone:  # the routes of these adapters, and of erased ones, held the keys in memory
        _drop_routes(store, gone | set(scrubbed))
    return done


def _without_erased(meta: Any, derived_from: Any, gone: set[str]
                    ) -> tuple[dict[str, Any], list[DerivedFrom]] | None:
    """An adapter's `memos:facts` and `derived_from` without the entries naming the `gone`
    cubes, or None when it names none of them."""
    facts = (meta or {}).get(FACTS_KEY) if isinstance(meta, dict) else None
    facts = facts if isinstance(facts, dict) else {}
    pairs = [d for d in derived_from or [] if isinstance(d, dict)]
    keep_facts = {k: v for k, v in facts.items() if not q.names_any(v, gone)}
    keep_pairs = [d for d in pairs if str(d.get("cube_id")) not in gone]
    if len(keep_facts) == len(facts) and len(keep_pairs) == len(pairs):
        return None
    return keep_facts, [DerivedFrom(cube_id=str(d["cube_id"]), version=int(d["version"]))
                        for d in keep_pairs]


def weights_lost(store: StoreParts, session: Any, blobs: Sequence[str]) -> list[str]:
    """Inside the caller's write transaction (`check --repair`, which erases the rows of
    missing or corrupt blobs): take every adapter whose weights are one of `blobs` out of
    service for good, as a taint does, and ask for re-consolidation of those that were
    active. Returns their ids. Left active, an adapter would point at weights no longer
    there: every closed-book answer of its owner would fail."""
    done: list[str] = []
    for row in q.adapters_with_blobs(session, blobs):
        if row.state == Lifecycle.FORGOTTEN.value:
            continue
        was_active = row.state == Lifecycle.ACTIVE.value
        why = "its weights were missing or corrupt (memos check --repair)"
        _new_version(store, session, row, "forget", why, Lifecycle.FORGOTTEN, {
            STATUS: "tainted", REASON_KEY: why,
            RECON_KEY: "pending" if was_active else "none"})
        store.repo.audit(session, "taint", row.id, why,
                         {"adapter": row.id, "was_active": was_active})
        done.append(row.id)
    return done


def adapter_blobs(rows: Sequence[CubeRow]) -> list[str]:
    """The weight blobs of the OS-made adapters among `rows` (purge erases them)."""
    return list(dict.fromkeys(b for b in (q.adapter_blob(r) for r in rows) if b is not None))


def remains(store: StoreParts, cube_ids: Sequence[str],
            user_id: str | None = None) -> dict[str, dict[str, Any]]:
    """What is left of these cubes in every tier (`memos purge --verify`); `user_id`: whose
    version reasons may name them (`adapters.remains`)."""
    with store.index_lock:
        indexed = set(store.vectors.ids())
    with store.repo.read() as session:
        indexed |= set(store.fulltext.all_pks(session))
        files = set(store.blobs._files())
        return q.remains(session, cube_ids, indexed, files, user_id)


# -- the tier --------------------------------------------------------------------------------


def _info(row: CubeRow, with_sources: bool = False) -> AdapterInfo:
    meta = row.meta or {}
    status = _status(row) if _status(row) in ("active", "retired", "rejected", "tainted") \
        else "retired"
    return AdapterInfo(
        id=row.id, version=row.version, status=status, state=row.state,  # type: ignore[arg-type]
        facts=len(row.derived_from or []), base_fingerprint=row.model_fingerprint or "",
        adapter_fingerprint=str(meta.get(AFP_KEY, "")),
        # the weights on disk: none once tainted (forgotten: erased with its facts)
        bytes=0 if row.state == Lifecycle.FORGOTTEN.value else int(meta.get(BYTES_KEY, 0) or 0),
        created_at=row.recorded_at, numbers=dict(meta.get(NUMBERS_KEY) or {}),
        config=dict(meta.get(CONFIG_KEY) or {}), reason=meta.get(REASON_KEY),
        sources=[(str(d["cube_id"]), int(d["version"])) for d in row.derived_from or []]
        if with_sources else [])


@dataclass
class _Route:
    adapter_id: str
    adapter_version: int
    adapter_fp: str
    base_fp: str
    blob: str
    owner: str
    config: dict[str, Any]
    facts: dict[str, tuple[str, int]]


# The tiers of this process, so that a purge drops the routes (question keys) it erased
# from their caches: nothing erased stays in this process's memory.
_TIERS: weakref.WeakSet[ParametricTier] = weakref.WeakSet()


def _drop_routes(store: StoreParts, adapter_ids: Collection[str]) -> None:
    wanted = set(adapter_ids)
    for tier in list(_TIERS):
        if tier.store is store:
            tier._routes = {k: r for k, r in list(tier._routes.items()) if k[0] not in wanted}


class ParametricTier:
    """Adapters of one open store (one per `MemOS`, shared by threads). Training and serving
    use the activation tier's model (one base model in memory) and its model lock."""

    def __init__(self, store: StoreParts, activation: ActivationTier) -> None:
        self.store = store
        _TIERS.add(self)
        self.activation = activation
        if activation is not None:  # the scheduler's job finds this instance through it
            activation.parametric = self  # type: ignore[attr-defined]
        self._server: AdapterServer | None = None
        self._gate_sets: dict[tuple[str, int, int, tuple[str, ...]], list[MemorySet]] = {}
        self._routes: dict[tuple[str, int], _Route] = {}
        self._base_scores: dict[tuple[str, int], float] = {}
        self._lock = threading.RLock()  # one consolidation at a time per process

    # -- reading ------------------------------------------------------------------------

    def list(self, scope: Scope) -> list[AdapterInfo]:
        with self.store.repo.read() as session:
            return [_info(r) for r in q.adapters_of(session, scope.user_id, scope.agent_id)]

    def _own_adapter(self, session: Any, adapter_id: str, scope: Scope) -> CubeRow:
        row = self.store.repo.row_by_id(session, adapter_id)
        if (row is None or not q.is_adapter(row) or row.user_id != scope.user_id
                or row.agent_id != scope.agent_id):
            # The same error as a missing id: another owner's adapter is not acknowledged.
            raise NotFoundError(f"no adapter {adapter_id!r} in your scope; list them with "
                                f"`memos adapters list`")
        return row

    def show(self, adapter_id: str, scope: Scope) -> AdapterInfo:
        with self.store.repo.read() as session:
            return _info(self._own_adapter(session, adapter_id, scope), with_sources=True)

    # -- activation and rollback --------------------------------------------------------

    def activate(self, adapter_id: str, scope: Scope, *, force: bool = False,
                 actor: str | None = None) -> AdapterInfo:
        """Put this adapter in service (the active one is retired). A rejected adapter needs
        `force`; a tainted one, or one made on another base model, is refused."""
        base_fp = self.activation.model(None).fingerprint
        with self.store.repo.write() as session:
            row = self._own_adapter(session, adapter_id, scope)
            status = _status(row)
            if status == "tainted" or row.state == Lifecycle.FORGOTTEN.value:
                why = (row.meta or {}).get(REASON_KEY) or "a cube it was trained on was forgotten"
                raise InvalidInputError(
                    f"adapter {adapter_id} is tainted ({why}) and its weights are erased; "
                    f"consolidate again")
            if row.model_fingerprint != base_fp:
                raise FingerprintMismatchError(
                    f"adapter {adapter_id} was trained on base model "
                    f"{str(row.model_fingerprint)[:12]}, not the loaded {base_fp[:12]}; "
                    f"consolidate again on this model")
            if status == "active":
                return _info(row)
            failed = (row.meta or {}).get(GATE_KEY)
            if (status == "rejected" or failed) and not force:
                raise InvalidInputError(
                    f"adapter {adapter_id} failed the evaluation gate "
                    f"({failed or (row.meta or {}).get(REASON_KEY)}); pass force=True "
                    f"(--force) to serve it anyway")
            self._check_sources_live(session, row)
            self._retire_active(session, scope, f"replaced by adapter {adapter_id}")
            _new_version(self.store, session, row, "activate",
                         "activated" + (" (forced)" if force else ""), Lifecycle.ACTIVE,
                         {STATUS: "active", REASON_KEY: None})
            self.store.repo.audit(session, "adapter-activate", row.id, None,
                                  {"force": force}, actor=actor or scope.agent_id or
                                  scope.user_id)
            info = _info(row)
        self.store.after_write(1)
        return info

    def rollback(self, scope: Scope, *, actor: str | None = None) -> AdapterInfo:
        """Retire the active adapter and put the previous accepted one back in service."""
        with self.store.repo.read() as session:
            rows = q.adapters_of(session, scope.user_id, scope.agent_id)
        active = [r for r in rows if r.state == Lifecycle.ACTIVE.value]
        # Never one the gate rejected, even if it was served once by force.
        previous = [r for r in rows if _status(r) == "retired"
                    and not (r.meta or {}).get(GATE_KEY)
                    and (not active or r.pk < active[0].pk)]
        if not rows:
            raise NotFoundError("no previous adapter to roll back to: this user has no "
                                "adapters; `memos consolidate` trains one")
        if not previous:
            why = ("none that passed the evaluation gate was retired before the active one"
                   if active else "none is in service, and none that passed the evaluation "
                   "gate was retired")
            raise NotFoundError(f"no previous adapter to roll back to ({why}); see "
                                "`memos adapters list`, or activate one with `memos adapters "
                                "activate ID` (--force for one the gate rejected)")
        return self.activate(previous[0].id, scope, actor=actor)

    def _retire_active(self, session: Any, scope: Scope, why: str) -> str | None:
        row = q.active_adapter(session, scope.user_id, scope.agent_id)
        if row is None:
            return None
        _new_version(self.store, session, row, "retire", why, Lifecycle.ARCHIVED,
                     {STATUS: "retired", REASON_KEY: why})
        return row.id

    def _check_sources_live(self, session: Any, row: CubeRow) -> None:
        pairs = [(str(d["cube_id"]), int(d["version"])) for d in row.derived_from or []]
        current = q.rows_by_ids(session, [cid for cid, _ in pairs])
        for cid, ver in pairs:
            src = current.get(cid)
            if src is None or src.state == Lifecycle.FORGOTTEN.value:
                raise InvalidInputError(f"adapter {row.id} was trained on cube {cid}, which is "
                                        f"forgotten or erased; consolidate again")
            del ver  # a newer version is served by the other tiers (see closed_book)

    # -- consolidation ------------------------------------------------------------------

    def _choose(self, scope: Scope, facts: Sequence[str] | None, cfg: ConsolidationConfig,
                now: float) -> tuple[list[CubeRow], list[tuple[str, str]]]:
        skipped: list[tuple[str, str]] = []
        with self.store.repo.read() as session:
            if facts is not None:
                ids = list(dict.fromkeys(facts))
                if not ids:
                    raise InvalidInputError("facts is empty: name at least one fact cube id, "
                                            "or leave facts out to let the policy choose")
                found = q.rows_by_ids(session, ids)
                rows = []
                for cid in ids:
                    row = found.get(cid)
                    if row is None or row.user_id != scope.user_id or not _readable(row, scope):
                        raise not_found(cid)
                    if row.state != Lifecycle.ACTIVE.value:
                        skipped.append((cid, f"{row.state}"))
                    elif _expired(row):
                        skipped.append((cid, EXPIRED))
                    elif fact_of(row) is None:
                        skipped.append((cid, NOT_A_FACT))
                    else:
                        rows.append(row)
                return rows, skipped
            pairs = q.fact_rows(session, scope.user_id, scope.agent_id)
        stats = []
        by_id = {}
        for row, changed in pairs:
            if _expired(row):  # past its TTL: reads as gone, and is never put into weights
                skipped.append((row.id, EXPIRED))
                continue
            by_id[row.id] = row
            stats.append(FactStats(key=row.id, version=row.version,
                                   changed_at=_ts(changed) or _ts(row.recorded_at) or 0.0,
                                   confidence=float(row.confidence), hits=int(row.hits or 0),
                                   last_access=_ts(row.last_access),
                                   has_fact=fact_of(row) is not None))
        chosen = select_candidates(stats, now, cfg.policy)
        picked = {s.key for s in chosen}
        for s in stats:
            if s.key not in picked:
                skipped.append((s.key, why_not(s, now, cfg.policy) or "over max_facts"))
        return [by_id[s.key] for s in chosen], skipped

    def _gate_sets_for(self, base: MemoryModel, cfg: ConsolidationConfig) -> list[MemorySet]:
        from memos.parametric import lora

        key = (base.fingerprint, cfg.gate_sets, cfg.gate_facts, tuple(cfg.gate_styles))
        if key not in self._gate_sets:
            with self.activation.model_lock:
                self._gate_sets[key] = lora.memory_sets(base, lora.GATE_SEED, cfg.gate_sets,
                                                        cfg.gate_facts, cfg.gate_styles)
        return self._gate_sets[key]

    def consolidate(self, scope: Scope, *, facts: Sequence[str] | None = None,
                    steps: int | None = None, dry_run: bool = False,
                    config: ConsolidationConfig | None = None,
                    progress: Callable[[int, int | None], None] | None = None,
                    actor: str | None = None) -> ConsolidationReport:
        from memos.parametric import lora

        cfg = config or ConsolidationConfig()
        if not isinstance(cfg, ConsolidationConfig):
            raise InvalidInputError("config must be a memos.parametric.tier.ConsolidationConfig")
        cfg.check()
        tcfg: TrainConfig = cfg.train or lora.TrainConfig()
        if steps is not None:
            if not isinstance(steps, int) or isinstance(steps, bool) or not 1 <= steps <= 100_000:
                raise InvalidInputError("steps must be an integer from 1 to 100000")
            import dataclasses

            tcfg = dataclasses.replace(tcfg, steps=steps)
        tcfg.check()
        start = time.perf_counter()
        rows, skipped = self._choose(scope, facts, cfg, utcnow().timestamp())
        rows, skipped = _one_answer_each(rows, skipped)
        if not rows and not dry_run:  # a dry run shows what was skipped, and why
            why = ("every fact given is skipped: " + "; ".join(sorted({
                       r.split(":")[0] for _, r in skipped})) if facts is not None and skipped
                   else "no fact of this scope passes the consolidation policy")
            raise InvalidInputError(f"nothing to consolidate: {why} ({len(skipped)} skipped; "
                                    f"see `memos consolidate --dry-run`)")
        base = self.activation.model(None)
        base_fp = base.fingerprint
        sources = [(r.id, r.version) for r in rows]
        qa: list[QA] = []
        keys: dict[str, tuple[str, int]] = {}
        for r in rows:
            s, a, v = fact_of(r)  # type: ignore[misc]
            question = _question(s, a)
            qa.append(lora.QA(question, v))
            keys[question_key(question)] = (r.id, r.version)
        report = ConsolidationReport(status="dry-run", cube_ids=[r.id for r in rows],
                                     sources=sources, skipped=skipped, base_fingerprint=base_fp,
                                     config=tcfg.to_json(),
                                     gate={"min_closed_book": cfg.min_closed_book,
                                           "max_memory_drop": cfg.max_memory_drop})
        if dry_run:
            report.seconds = time.perf_counter() - start
            return report
        with self._lock:
            gate_sets = self._gate_sets_for(base, cfg)
            with self.activation.model_lock:
                before = lora.accuracy(lora.exact_match(base, qa))
                key = (base_fp, id(gate_sets))
                if key not in self._base_scores:  # the base model's score never changes
                    self._base_scores[key] = lora.memory_qa(base, gate_sets)
                mem_base = self._base_scores[key]
            trained = lora.train_adapter(base, qa, tcfg, progress=progress)
            afp = lora.adapter_fingerprint(trained.tensors, base_fp, tcfg.to_json())
            nbytes = lora.adapter_bytes(trained.tensors)
            with self.activation.model_lock:
                model = self._serving().model_with(afp, base_fp, tcfg.to_json(),
                                                   lambda: trained.tensors)
                after = lora.accuracy(lora.exact_match(model, qa))
                mem_adapter = lora.memory_qa(model, gate_sets)
        reasons = gate_reasons(after, mem_base, mem_adapter, nbytes, cfg)
        if not math.isfinite(trained.loss):
            reasons = [*reasons, f"training diverged (final loss {trained.loss}); lower the "
                                 f"learning rate"]
        numbers = {name: round(value, digits) if math.isfinite(value) else None
                   for name, value, digits in (
                       ("closed_book_before", before, 4), ("closed_book_after", after, 4),
                       ("memory_qa_base", mem_base, 4), ("memory_qa_adapter", mem_adapter, 4),
                       ("train_seconds", trained.seconds, 2), ("loss", trained.loss, 4))}
        report = report.model_copy(update={
            "adapter_fingerprint": afp, "adapter_bytes": nbytes, "steps": trained.steps,
            "train_seconds": trained.seconds, "closed_book_before": before,
            "closed_book_after": after, "memory_qa_base": mem_base,
            "memory_qa_adapter": mem_adapter, "reasons": reasons})
        cube, previous, reasons = self._store_adapter(scope, trained.tensors, afp, nbytes,
                                                      base_fp, sources, keys, tcfg, numbers,
                                                      reasons, actor)
        if cube is None:
            # Trained on facts all purged since: tainted (whatever the gate said), and no
            # adapter cube to name.
            report.status = "tainted"
            report.reasons = [*reasons, "every fact it was trained on was purged while it "
                                        "trained; nothing was stored"]
            report.seconds = time.perf_counter() - start
            return report
        # What was stored, said as the adapter cube says it: a fact forgotten or purged while
        # it trained makes it `tainted` (not `rejected`: the gate's word is not the reason it
        # is out of service), with the taint's reason first.
        status = _status_of(cube)
        report.status = status if status in ("active", "tainted") else "rejected"
        report.reasons = reasons
        report.adapter_id, report.adapter_version = cube.id, cube.version
        report.previous_adapter = previous
        report.seconds = time.perf_counter() - start
        return report

    def _store_adapter(self, scope: Scope, tensors: dict[str, Any], afp: str, nbytes: int,
                       base_fp: str, sources: list[tuple[str, int]],
                       keys: dict[str, tuple[str, int]], tcfg: TrainConfig,
                       numbers: dict[str, float | None], reasons: list[str],
                       actor: str | None) -> tuple[MemCube | None, str | None, list[str]]:
        """The adapter cube (weights only when it may serve), the adapter it replaced and why
        the cube is not in service (empty: it is). (None, None, reasons) when every fact was
        purged while training: a purged user, or purged facts, leave no adapter cube, audit
        row or numbers behind."""
        previous = None
        with self.store.repo.write() as session:
            # A source forgotten or changed while we trained: never serve these weights.
            current = q.rows_by_ids(session, [cid for cid, _ in sources])
            if not current:
                return None, None, reasons
            # Forgotten or purged meanwhile: the forget's taint could not reach weights that
            # did not exist yet, so they are never stored (tainted, as taint_in leaves it),
            # and a purged fact leaves no derivation row or question key behind.
            purged = [cid for cid, _ in sources if cid not in current]
            forgotten = [cid for cid, _ in sources if cid in current
                         and current[cid].state == Lifecycle.FORGOTTEN.value]
            erased = purged + forgotten
            moved = [cid for cid, ver in sources if cid in current and cid not in forgotten
                     and (current[cid].version != ver
                          or current[cid].state != Lifecycle.ACTIVE.value)]
            if moved:
                reasons = [*reasons, f"{len(moved)} fact(s) changed while training "
                                     f"(e.g. {moved[0]})"]
            if erased:
                reasons = [_erased_while_training(forgotten, purged), *reasons]
            status = "tainted" if erased else "rejected" if reasons else "active"
            kept = [(c, v) for c, v in sources if c in current]
            meta: dict[str, Any] = {
                BYTES_KEY: nbytes, AFP_KEY: afp, STATUS: status, CONFIG_KEY: tcfg.to_json(),
                NUMBERS_KEY: numbers,
                FACTS_KEY: {k: [c, v] for k, (c, v) in keys.items() if c in current},
                REASON_KEY: "; ".join(reasons) or None}
            if status == "rejected":
                meta[GATE_KEY] = "; ".join(reasons)
            cube_id = new_id()
            if erased:
                meta[RECON_KEY] = "none"
            # Built (and so validated) before any file is written: a value the cube cannot
            # hold fails here, with nothing on disk.
            cube = MemCube(
                id=cube_id, tier=Tier.PARAMETRIC, kind=Kind.ADAPTER,
                content=f"LoRA adapter of {len(kept)} facts (base model {base_fp[:12]}, "
                        f"adapter {afp[:12]})",
                scope=Scope(user_id=scope.user_id, agent_id=scope.agent_id),
                state={"active": Lifecycle.ACTIVE, "tainted": Lifecycle.FORGOTTEN}.get(
                    status, Lifecycle.ARCHIVED),
                derived_from=[DerivedFrom(cube_id=c, version=v) for c, v in kept],
                model_fingerprint=base_fp, metadata=meta)
            written: str | None = None
            try:
                if not erased:
                    # The adapter cube's id is in the header: two adapters with the same
                    # weights (the same facts trained again) get two files, so erasing one
                    # adapter's weights (a purge, a taint) never takes the other's.
                    written = self.store.blobs.put(
                        session, tensors, kind=BLOB_KIND, fingerprint=base_fp,
                        header={"owner": scope.user_id, "adapter": afp, "cube": cube_id}).hash
                    cube = cube.model_copy(update={"metadata": {**meta, q.BLOB_KEY: written}})
                if status == "active":
                    previous = self._retire_active(session, scope, "replaced by a new adapter")
                self.store.repo.insert_cubes(session, [cube], op="derive")
                self.store.repo.audit(session, "consolidate", cube.id,
                                      "; ".join(reasons) or "gate passed",
                                      {"status": status, "facts": len(sources), **numbers,
                                       "previous": previous},
                                      actor=actor or scope.agent_id or scope.user_id)
                session.flush()
            except BaseException:
                # The transaction rolls back; the file (unique to this cube) goes with it,
                # so no weights of the user outlive the row that would name them.
                if written is not None:
                    self.store.blobs.remove_files([written])
                raise
        self.store.after_write(1 + (previous is not None))
        return cube, previous, reasons

    # -- serving ------------------------------------------------------------------------

    def _serving(self) -> AdapterServer:
        from memos.parametric.lora import AdapterServer

        base = self.activation.model(None)
        if self._server is None or self._server.base is not base:
            self._server = AdapterServer(base)
        return self._server

    def _route(self, row: CubeRow) -> _Route:
        key = (row.id, row.version)
        route = self._routes.get(key)
        if route is None:
            meta = row.meta or {}
            facts = {k: (str(v[0]), int(v[1])) for k, v in (meta.get(FACTS_KEY) or {}).items()}
            route = _Route(row.id, row.version, str(meta.get(AFP_KEY, "")),
                           str(row.model_fingerprint or ""), str(q.adapter_blob(row) or ""),
                           row.user_id, dict(meta.get(CONFIG_KEY) or {}), facts)
            if len(self._routes) > 256:
                self._routes.clear()
            self._routes[key] = route
        return route

    def model_for(self, scope: Scope) -> tuple[MemoryModel, _Route] | None:
        """The twin with the scope's active adapter switched in (hold the model lock while
        using it), or None when the scope has none in service."""
        with self.store.repo.read() as session:
            row = q.active_adapter(session, scope.user_id, scope.agent_id)
            if row is None:
                return None
            route = self._route(row)
        with self.activation.model_lock:
            return self._load(route), route

    def _load(self, route: _Route) -> MemoryModel:
        base = self.activation.model(None)

        def tensors() -> dict[str, Any]:
            return self.store.blobs.load(route.blob, fingerprint=route.base_fp,
                                         expect={"owner": route.owner, "kind": BLOB_KIND,
                                                 "adapter": route.adapter_fp})

        if route.base_fp != base.fingerprint:
            raise FingerprintMismatchError(
                f"adapter {route.adapter_id} was trained on base model {route.base_fp[:12]}, "
                f"not the loaded {base.fingerprint[:12]}; consolidate again on this model")
        return self._serving().model_with(route.adapter_fp, route.base_fp, route.config,
                                          tensors)

    def closed_book(self, question: str, scope: Scope, model: Any,
                    max_new_tokens: int, only: Collection[str] | None = None) -> Answer | None:
        """The adapter's closed-book answer when the question is one of its consolidated facts
        (still live at the trained version, and among the cube ids `only` when given) and
        `model` is its base; else None."""
        from memos.activation import Answer

        t0 = time.perf_counter()
        with self.store.repo.read() as session:
            row = q.active_adapter(session, scope.user_id, scope.agent_id)
            if row is None:
                return None
            route = self._route(row)
            hit = route.facts.get(question_key(question))
            if hit is None or (only is not None and hit[0] not in only):
                return None
            src = self.store.repo.row_by_id(session, hit[0])
            if (src is None or src.version != hit[1]
                    or src.state != Lifecycle.ACTIVE.value or _expired(src)):
                return None  # changed, forgotten, archived, or past its TTL (reads as gone)
        base = self.activation.model(model)
        if base.fingerprint != route.base_fp:
            return None  # another model than the adapter's base: the other tiers answer
        t1 = time.perf_counter()
        with self.activation.model_lock:
            try:
                twin = self._load(route)
            except (BlobError, ModelError) as exc:
                # (the blob's own words, "re-derived on next use", are of slots: an adapter's
                # weights are never made again)
                log.warning("adapter %s cannot be served (%s); the other tiers answer; `memos "
                            "check --repair` takes it out of service, and `memos scheduler "
                            "run` consolidates its facts again", route.adapter_id,
                            str(exc).split(";")[0])
                return None
            text = twin.generate(question, memory=None, max_new_tokens=max_new_tokens)
        t2 = time.perf_counter()
        return Answer(text=text.strip(), cubes=[hit], hits=0, misses=0,
                      seconds={"route": t1 - t0, "generate": t2 - t1},
                      model_fingerprint=route.base_fp, tier="parametric",
                      adapter_id=route.adapter_id, adapter_version=route.adapter_version,
                      adapter_fingerprint=route.adapter_fp)

    # -- the scheduler's job ------------------------------------------------------------

    def scheduler_job(self, cfg: ConsolidationConfig, now: float, dry_run: bool,
                      max_runs: int) -> list[tuple[str, str, str]]:
        """Decide (and unless `dry_run`, run) consolidations: pending re-consolidations of
        tainted adapters first, then owners the policy picks. At most `max_runs` trainings.
        Returns (job, target, reason) decisions."""
        decisions: list[tuple[str, str, str]] = []
        runs = 0
        with self.store.repo.read() as session:
            pending = q.pending_reconsolidations(session)
            owners = q.owners_with_facts(session)
            last: dict[tuple[str, str | None], float] = {}
            actives: dict[tuple[str, str | None], set[tuple[str, int]]] = {}
            # each owner's adapter in service now; of a pending adapter's owner, one put in
            # service since the taint (which leaves none): a rollback, an activation, ...
            serving: dict[tuple[str, str | None], str] = {}
            for u, a in owners:
                rows = q.adapters_of(session, u, a)
                if rows:
                    last[(u, a)] = max(_ts(r.recorded_at) or 0.0 for r in rows)
            for u, a in {*owners, *((r.user_id, r.agent_id) for r in pending)}:
                act = q.active_adapter(session, u, a)
                actives[(u, a)] = {(str(d["cube_id"]), int(d["version"]))
                                   for d in (act.derived_from or [])} if act else set()
                if act is not None:
                    serving[(u, a)] = act.id
        done_owners: set[tuple[str, str | None]] = set()
        # each owner's newest pending adapter (pending is in the order the taints came): an
        # owner's older one was left for it, by the owner or a run, before that was tainted
        newest = {(r.user_id, r.agent_id): r.id for r in pending}
        for row in pending:
            owner = (row.user_id, row.agent_id)
            scope = Scope(user_id=row.user_id, agent_id=row.agent_id)
            # Not re-consolidated: an older one of an owner's tainted adapters (the later is),
            # or one whose owner has put an adapter in service since (the choice stands:
            # training on the tainted adapter's facts would retire it).
            skip = None
            if newest[owner] != row.id:
                skip = f"its owner's later adapter {newest[owner]} was tainted too and is re-consolidated"
            elif owner in serving:
                skip = f"its owner put adapter {serving[owner]} in service since"
            else:  # (a dry run planned a training that a real run then refused)
                try:
                    self._live_ids([str(d["cube_id"]) for d in row.derived_from or []], scope)
                except InvalidInputError as exc:
                    skip = str(exc)
            if skip is not None:
                skip = f"adapter {row.id} was tainted; not re-consolidated: {skip}"
                decisions.append(("reconsolidate-skipped", row.id, skip))
                if not dry_run:
                    self._settle(row.id, skip)
                continue
            keep = [str(d["cube_id"]) for d in row.derived_from or []]
            why = (row.meta or {}).get(REASON_KEY)
            reason = (f"adapter {row.id} was tainted ({why}); re-consolidating from its live "
                      f"facts" if why else
                      f"adapter {row.id} was tainted; re-consolidating without forgotten facts")
            if runs >= max_runs:
                decisions.append(("consolidate-deferred", row.id, reason + " (rate limit)"))
                continue
            decisions.append(("reconsolidate", row.id, reason))
            runs += 1  # counted in a dry run too, so that it decides what a real run does
            done_owners.add(owner)
            if dry_run:
                continue
            outcome = self._run_for(scope, keep, cfg, row.id)
            decisions.append(("consolidate-result", row.id, outcome))
        for owner in owners:
            if owner in done_owners:
                continue
            scope = Scope(user_id=owner[0], agent_id=owner[1])
            rows, _ = self._choose(scope, None, cfg, now)
            stats = [FactStats(key=r.id, version=r.version, changed_at=0.0, confidence=1.0,
                               hits=int(r.hits or 0)) for r in rows]
            ok, why = should_consolidate(stats, actives.get(owner, set()), last.get(owner),
                                         now, cfg.policy)
            target = f"user:{owner[0]}" + (f"/agent:{owner[1]}" if owner[1] else "")
            if not ok:
                continue  # nothing to do is not a decision worth an audit row
            if runs >= max_runs:
                decisions.append(("consolidate-deferred", target, why + " (rate limit)"))
                continue
            decisions.append(("consolidate", target, why))
            runs += 1
            if dry_run:
                continue
            outcome = self._run_for(scope, [r.id for r in rows], cfg, None)
            decisions.append(("consolidate-result", target, outcome))
        return decisions

    def _run_for(self, scope: Scope, ids: list[str], cfg: ConsolidationConfig,
                 tainted: str | None) -> str:
        from memos.scheduler import ACTOR

        try:
            live = self._live_ids(ids, scope)
            rep = self.consolidate(scope, facts=live, config=cfg, actor=ACTOR)
            if rep.adapter_id is None:  # every fact purged while it trained: nothing stored
                outcome = f"not consolidated ({rep.status}): {rep.reasons[-1]}"
            else:
                outcome = (f"adapter {rep.adapter_id} {rep.status}: closed-book "
                           f"{rep.closed_book_after:.2f}, memory-QA {rep.memory_qa_base:.2f} "
                           f"-> {rep.memory_qa_adapter:.2f}")
                if rep.status == "tainted":  # why, as the report and the adapter say it
                    outcome += f" ({rep.reasons[0]})"
        except MemosError as exc:  # one owner's failure is its outcome, not the job's end
            outcome = f"not consolidated: {exc}"
        if tainted is not None:
            self._settle(tainted, outcome)
        return outcome

    def _settle(self, tainted: str, outcome: str) -> None:
        """Mark a tainted adapter's re-consolidation done, with what came of it."""
        with self.store.repo.write() as session:
            row = self.store.repo.row_by_id(session, tainted)
            if row is not None:
                _new_version(self.store, session, row, "reconsolidate", outcome,
                             Lifecycle.FORGOTTEN, {RECON_KEY: "done"})

    def _live_ids(self, ids: list[str], scope: Scope) -> list[str]:
        """Of a tainted adapter's facts, those a consolidation for `scope` still takes
        (active, not past their TTL, the owner's and readable to it); an error when none."""
        with self.store.repo.read() as session:
            rows = q.rows_by_ids(session, ids)
        live = [i for i in ids if i in rows and rows[i].state == Lifecycle.ACTIVE.value
                and not _expired(rows[i]) and rows[i].user_id == scope.user_id
                and _readable(rows[i], scope)]
        if not live:
            raise InvalidInputError("every fact the adapter was trained on is forgotten, "
                                    "archived or expired")
        return live


EXPIRED = "expired: past its TTL (the scheduler archives it); no adapter is trained on it"
AMBIGUOUS = "another fact chosen answers the same question otherwise"


def _expired(row: CubeRow) -> bool:
    """Past its TTL (the scheduler's next expire job archives it)."""
    return retention.is_expired(row.expires_at, utcnow())


def _readable(row: CubeRow, scope: Scope) -> bool:
    """The rule of `get` (a forgotten, archived or expired cube of another scope reads as
    missing)."""
    from memos.stores.repository import can_read, gone_to

    return can_read(row, scope) and not gone_to(row, scope)


def _status_of(cube: MemCube) -> str:
    return str(cube.metadata.get(STATUS, ""))


def _erased_while_training(forgotten: Sequence[str], purged: Sequence[str]) -> str:
    """The taint's reason for an adapter whose facts were forgotten or purged while it
    trained (the report's first reason and the adapter cube's `memos:reason`)."""
    # (a purged fact's id is not named outside the audit log: it was of erased data)
    parts = [f"{len(ids)} fact(s) {how} while it trained"
             + (f" (e.g. {ids[0]})" if how == "forgotten" else "")
             for ids, how in ((forgotten, "forgotten"), (purged, "purged")) if ids]
    return f"tainted: trained on {' and '.join(parts)}; its weights were not stored"


__all__ = ["ConsolidationConfig", "ParametricTier", "adapter_blobs", "fact_of",
           "gate_reasons", "question_key", "remains", "run_consolidation_job", "taint_in"]


def run_consolidation_job(store: StoreParts, activation: ActivationTier, config: Any,
                          now: float, dry_run: bool, max_runs: int
                          ) -> list[tuple[str, str, str]]:
    """The scheduler's consolidation job (memos/scheduler.py): decide, run unless `dry_run`,
    and audit every decision (actor "scheduler"). Uses the store's parametric tier when the
    facade made one (its serving twin), else a fresh one."""
    from memos.scheduler import ACTOR

    cfg = config if config is not None else ConsolidationConfig()
    if not isinstance(cfg, ConsolidationConfig):
        raise InvalidInputError("SchedulerConfig.consolidation must be a "
                                "memos.parametric.tier.ConsolidationConfig")
    ptier = getattr(activation, "parametric", None)
    if ptier is None:
        ptier = ParametricTier(store, activation)
    decisions = ptier.scheduler_job(cfg, now, dry_run, max_runs)
    if decisions and not dry_run:
        with store.repo.write() as session:
            for job, target, why in decisions:
                store.repo.audit(session, job, target, why, {}, actor=ACTOR)
    return decisions
