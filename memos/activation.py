"""The activation tier: pre-encoded memory slots and saved session states as cubes.

A **slots cube** is the pre-encoded form of one plaintext cube *version* under one model
fingerprint: tier ``activation``, kind ``slots``, private to the source's owner,
``derived_from = [(cube id, version)]``, ``model_fingerprint`` set, and
``metadata["memos:blob"]`` naming an immutable blob (stores/blobs.py) that holds the tensors.
Only the OS writes ``memos:`` keys (callers and import files cannot), so a blob is never named
by anything a caller wrote. A **state cube** (kind ``state``) holds a `SessionState` the same
way, derived from the transcript cube the session's text is kept in.

Serving (`ActivationTier.slots_for`): the RAM cache (memos/slot_cache.py), then the slots
cube's blob (its header checked against the cube), and only then the model, with every miss
encoded in one batch and stored for next time. Every lookup is keyed by (cube id, version,
text hash, fingerprint), so a new version of a cube or another model never reads old slots.
Slots are stored (and cached under that key) only by the source's owner's reads and the OS's
own work: another user reading a public cube is served an encoding of its own, kept in the
RAM cache under that reader's key and nowhere else, never the owner's slots (its read would
be fast exactly when the owner had read the cube lately), so nothing the owner can see
(`tiers`, hit counts) tells that someone else read the cube, nor the reader's time when
the owner did.
`invalidate_in` retires the slots of older versions inside the transaction that writes the
new one; `admin.forget_derived` deletes the blob files of a forgotten cube's derived cubes
inside the forget's transaction.

torch and the model load on first use: opening a store and reading plaintext never pay them.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from memos.cube import (
    DerivedFrom,
    Kind,
    Lifecycle,
    MemCube,
    Scope,
    Tier,
    as_utc,
    content_hash,
    utcnow,
)
from memos.errors import BlobError, InvalidInputError, ModelError
from memos.policies import retention
from memos.results import Answer, Recall, SavedSession
from memos.slot_cache import SlotCache
from memos.stores import derived
from memos.stores.blobs import BlobStore

if TYPE_CHECKING:
    from memos.model.memory_model import MemoryModel
    from memos.model.session import SessionState
    from memos.model.slots import MemorySlots
    from memos.parts import StoreParts
    from memos.stores.schema import CubeRow

log = logging.getLogger(__name__)

ModelLike = Any  # MemoryModel | str | Path | None (the shipped checkpoint)
CACHE_KINDS = (Kind.SLOTS.value, Kind.STATE.value)  # derived cubes that are caches of text


def _slot_key(cube: MemCube, fingerprint: str) -> tuple[str, int, str, str]:
    """A RAM cache key: the cube version *and its text*, so an id given to other text later
    (a purged id reused by an import) can never hit an old entry."""
    return (cube.id, cube.version, cube.content_hash, fingerprint)


def _cache_key(cube: MemCube, fingerprint: str, reader: str | None) -> tuple[Any, ...]:
    """The RAM cache key of `cube`'s slots as put by a read of `reader`: the owner's key
    (`_slot_key`) for the owner's reads and the OS's (reader None), else one of the reader's
    own, so another user's read never fills what the owner's reads look up."""
    key = _slot_key(cube, fingerprint)
    return key if _owns(cube, reader) else (*key, reader)


def _owns(cube: MemCube, reader: str | None) -> bool:
    """Whether a read by `reader` (None: the OS's own work) is the cube owner's."""
    return reader is None or cube.scope.user_id == reader


def _blob_header(cube: MemCube) -> dict[str, str]:
    """What a slots blob is of: written into the file and checked when it is loaded."""
    return {"owner": cube.scope.user_id, "source": f"{cube.id}@{cube.version}",
            "text": cube.content_hash}


class ActivationTier:
    """Slots and session states of one open store (one per `MemOS`, shared by threads)."""

    def __init__(self, store: StoreParts, cache_bytes: int = 256 << 20,
                 policy: str = "cost") -> None:
        self.store = store
        self.cache = SlotCache(cache_bytes, policy)
        self._models: dict[str, MemoryModel] = {}
        self.model_lock = threading.RLock()  # one forward pass at a time per tier

    @property
    def blobs(self) -> BlobStore:
        return self.store.blobs

    # -- models --------------------------------------------------------------------------

    def model(self, model: ModelLike = None) -> MemoryModel:
        """A loaded model: the one given, or a checkpoint path (None: the shipped one)."""
        from memos.model.memory_model import MemoryModel

        if isinstance(model, MemoryModel):
            return model
        if model is not None and not isinstance(model, (str, Path)):
            raise InvalidInputError(f"model must be a MemoryModel, a checkpoint path or None, "
                                    f"got {type(model).__name__}")
        key = str(model) if model is not None else ""
        with self.model_lock:
            if key not in self._models:
                from memos.model.checkpoint import load_checkpoint

                self._models[key] = load_checkpoint(model)
            return self._models[key]

    # -- slots ---------------------------------------------------------------------------

    def slots_for(self, cubes: Sequence[MemCube], model: ModelLike = None, *,
                  persist: bool = False, reader: str | None = None
                  ) -> tuple[MemorySlots | None, list[tuple[str, int]], int, int,
                             list[tuple[str, str]]]:
        """Slots of these cube versions, in order: (bundle, pairs, hits, misses, skipped).

        Cache, then stored blob, then one batched encode of the rest (stored as slots cubes).
        A cube too long for the model is skipped (listed with the reason), never truncated.
        `persist` (the scheduler's promotion): every cube ends with a stored slots cube, so
        the RAM cache is not enough (an entry there may outlive its blob on disk).
        `reader` (a user id): count as hits only that user's own cubes. Another user's
        public cube is always encoded for that user's first read (then served from the
        RAM cache under that user's own key), never from the owner's cached or stored slots:
        whether those were ready, by the hit count or by the time the read took, would tell
        when the owner last read it. What such a read encodes is served to it but never
        stored as a slots cube nor cached under the owner's key, so the owner's `tiers` and
        hit counts tell nothing of it either.
        """
        from memos.model.slots import MemorySlots

        m = self.model(model)
        fp = m.fingerprint
        limit = m.cfg.max_memory_tokens
        found: dict[tuple[str, int], MemorySlots] = {}
        skipped: list[tuple[str, str]] = []
        wanted: list[MemCube] = []
        for cube in cubes:
            if len(cube.content.encode("utf-8")) > limit:
                skipped.append((cube.id, f"{len(cube.content.encode('utf-8'))} bytes, over the "
                                         f"model's {limit}-byte memory limit"))
                continue
            wanted.append(cube)
        hits = 0
        need: list[MemCube] = []
        for cube in wanted:
            # Another user's cube: only what this reader's own reads encoded (its own cache
            # key): the owner's slots would make the read fast when the owner read it lately
            cached = None if persist else self.cache.get(_cache_key(cube, fp, reader))
            if cached is not None:
                found[(cube.id, cube.version)] = cached
                hits += int(_owns(cube, reader))
            else:
                need.append(cube)
        broken: list[CubeRow] = []
        mine = [(c.id, c.version) for c in need if _owns(c, reader)]
        if mine:  # (stored slots are the owner's: never loaded for another user's read)
            with self.store.repo.read() as session:
                rows = derived.live_derived(session, mine, kind=Kind.SLOTS.value,
                                            fingerprint=fp)
            still: list[MemCube] = []
            loaded: list[MemCube] = []
            for cube in need:
                row = rows.get((cube.id, cube.version))
                slots = self._load_slots(row, fp, cube) if row is not None else None
                if slots is None:
                    # (a read of the owner's or the OS's: retired here; another user's
                    # read never gets this far)
                    if row is not None:
                        broken.append(row)
                    still.append(cube)
                    continue
                found[(cube.id, cube.version)] = slots
                self.cache.put(_slot_key(cube, fp), slots, slots.nbytes(),
                               derived.encode_cost(row))
                loaded.append(cube)
                hits += 1
            if loaded:
                self._drop_gone(loaded, fp, reader)
            need = still
        if need:
            self._encode_and_store(need, m, found, broken, reader)
        pairs = [(c.id, c.version) for c in wanted]
        if not pairs:
            return None, [], hits, len(wanted) - hits, skipped
        bundle = MemorySlots.concat([found[p] for p in pairs])
        return bundle, pairs, hits, len(wanted) - hits, skipped

    def _drop_gone(self, cubes: Sequence[MemCube], fp: str, reader: str | None) -> None:
        """After putting loaded slots in the RAM cache, drop those whose source a forget,
        purge or new version changed meanwhile. Such a write drops the cube from the cache
        after it commits, so checking after the put never leaves an entry behind."""
        with self.store.repo.read() as session:
            gone = {_cache_key(c, fp, reader) for c in cubes
                    if self._still_source(session, c) is None}
        if gone:
            self.cache.discard(lambda k: k in gone)

    def _load_slots(self, row: CubeRow, fp: str, cube: MemCube) -> MemorySlots | None:
        from memos.model.slots import MemorySlots

        blob = derived.blob_of(row)
        if blob is None:
            return None
        try:
            tensors = self.blobs.load(blob, fingerprint=fp,
                                      expect={**_blob_header(cube), "kind": Kind.SLOTS.value})
            return MemorySlots.from_tensors(tensors, fp, [_text_hash(cube.content)])
        except (BlobError, ModelError, InvalidInputError) as exc:  # never served: re-derive
            log.warning("slots cube %s: %s; encoding again", row.id, exc)
            return None

    def _encode_and_store(self, cubes: list[MemCube], m: MemoryModel,
                          found: dict[tuple[str, int], MemorySlots],
                          broken: list[CubeRow], reader: str | None) -> None:
        start = time.perf_counter()
        with self.model_lock:
            bundle = m.encode_memory([c.content for c in cubes])
        per = (time.perf_counter() - start) / len(cubes)
        fp = bundle.fingerprint
        made: list[MemCube] = []
        now = utcnow()
        for i, cube in enumerate(cubes):  # served to this caller whatever is stored below
            found[(cube.id, cube.version)] = bundle.select([i]).trimmed()
        with self.store.repo.write() as session:
            for row in broken:  # a slots cube whose blob is gone or corrupt: retire it
                retire_if_active(self.store, session, row.id, "blob missing or corrupt")
            # Another thread or process may have encoded and stored some of these while the
            # model was encoding them here: one slots cube per (cube version, model), so
            # those are served to this caller but not stored (nor cached) a second time.
            mine = [(c.id, c.version) for c in cubes if _owns(c, reader)]
            done = set(derived.live_derived(session, mine, kind=Kind.SLOTS.value,
                                            fingerprint=fp)) if mine else set()
            for cube in cubes:
                # Stored only if the source is still this version and live: a forget or
                # purge that committed while the model was encoding wins.
                source = self._still_source(session, cube)
                if source is None:
                    continue
                one = found[(cube.id, cube.version)]
                if not _owns(cube, reader):
                    # Another user's public cube: kept for this reader's next reads only
                    # (put inside this transaction, so a forget committing after it drops it).
                    self.cache.put(_cache_key(cube, fp, reader), one, one.nbytes(), per)
                    continue
                if (cube.id, cube.version) in done:
                    continue
                done.add((cube.id, cube.version))
                info = self.blobs.put(session, one.to_tensors(), kind=Kind.SLOTS.value,
                                      fingerprint=fp, header=_blob_header(cube))
                self.cache.put(_slot_key(cube, fp), one, one.nbytes(), per)
                made.append(MemCube(
                    tier=Tier.ACTIVATION, kind=Kind.SLOTS,
                    content=f"memory slots of cube {cube.id} version {cube.version} "
                            f"(model {fp[:12]})",
                    # The source's owner, always private: only the OS reads slots cubes.
                    scope=Scope(user_id=source.user_id, agent_id=source.agent_id),
                    derived_from=[DerivedFrom(cube_id=cube.id, version=cube.version)],
                    model_fingerprint=fp, recorded_at=now,
                    metadata={derived.BLOB_KEY: info.hash, derived.BYTES_KEY: info.bytes,
                              derived.COST_KEY: round(per, 6)}))
            self.store.repo.insert_cubes(session, made, op="derive")
        if made:
            self.store.after_write(len(made))

    def _still_source(self, session: Any, cube: MemCube) -> Any:
        """The row of `cube` when it is still this version, text and a current state (active
        or superseded, and not past its expiry), else None: a forget, purge, new version or
        expiry that came while the model was reading it wins, and nothing derived from it is
        stored."""
        row = self.store.repo.row_by_id(session, cube.id)
        if (row is None or row.version != cube.version or row.content_hash != cube.content_hash
                or row.state not in (Lifecycle.ACTIVE.value, Lifecycle.SUPERSEDED.value)
                or retention.is_expired(row.expires_at, utcnow())):
            return None
        return row

    # -- session states ------------------------------------------------------------------

    def save_state(self, source: MemCube, state: SessionState, session_id: str,
                   seconds: float = 0.0) -> MemCube | None:
        """Store `state` (read from the transcript cube `source`) as a state cube; nothing
        (None) when the transcript is no longer this live version (a forget, purge or new
        version committed while the model was reading it wins, as in recall)."""
        with self.store.repo.write() as session:
            if self._still_source(session, source) is None:
                return None
            info = self.blobs.put(session, state.to_tensors(), kind=Kind.STATE.value,
                                  fingerprint=state.fingerprint, header=_blob_header(source))
            cube = MemCube(
                tier=Tier.ACTIVATION, kind=Kind.STATE,
                content=f"session state of session {session_id!r} after {state.length} "
                        f"tokens (model {state.fingerprint[:12]})",
                scope=Scope(user_id=source.scope.user_id, agent_id=source.scope.agent_id,
                            session_id=session_id),
                derived_from=[DerivedFrom(cube_id=source.id, version=source.version)],
                model_fingerprint=state.fingerprint,
                # seconds: what reading the text took, so the cost eviction policy weighs
                # a state as what it would cost to rebuild
                metadata={derived.BLOB_KEY: info.hash, derived.BYTES_KEY: info.bytes,
                          derived.COST_KEY: round(max(0.0, seconds), 6),
                          "tokens": state.length})
            self.store.repo.insert_cubes(session, [cube], op="derive")
        self.store.after_write(1)
        return cube

    def load_state(self, source: MemCube, fingerprint: str) -> SessionState | None:
        """The saved state of this transcript version under this model, or None."""
        from memos.model.session import SessionState

        with self.store.repo.read() as session:
            row = derived.live_derived(session, [(source.id, source.version)],
                                       kind=Kind.STATE.value, fingerprint=fingerprint
                                       ).get((source.id, source.version))
        blob = derived.blob_of(row) if row is not None else None
        if row is None or blob is None:
            return None
        try:
            tensors = self.blobs.load(blob, fingerprint=fingerprint,
                                      expect={**_blob_header(source),
                                              "kind": Kind.STATE.value})
            return SessionState.from_tensors(tensors, fingerprint)
        except (BlobError, ModelError, InvalidInputError) as exc:
            log.warning("state cube %s: %s; reading the session again", row.id, exc)
            return None


def invalidate_in(session: Any, store: StoreParts, cube_id: str, current_version: int,
                  scope: Scope | None = None) -> int:
    """Inside the caller's write transaction: retire (archive) the active slots and states
    made from versions of `cube_id` other than `current_version` and release their blobs
    (gc and the scheduler delete unreferenced ones). Lookups are by exact version, so they
    were never served again anyway: this frees them. With `scope`, only derived cubes that
    scope could change itself are touched (the rule of every bulk path). Returns how many
    derived cubes were retired; a store without activation cubes pays one indexed read."""
    stale = [r for r in derived.stale_derived(session, cube_id, current_version)
             if r.kind in CACHE_KINDS and _may_change(r, scope)]
    for row in stale:
        _retire_row(store, session, row, f"cube {cube_id} has version {current_version}")
        blob = derived.blob_of(row)
        if blob is not None:
            store.blobs.release(session, blob)
    return len(stale)


def rederive_slots(store: StoreParts, blob_hashes: Sequence[str]) -> set[str]:
    """Encode again, with the shipped checkpoint, the slots of every live slots cube whose
    blob is in `blob_hashes` and was made by that checkpoint, from the exact source version
    it was made from. Encoded alone rather than in its first batch, the tensors may differ in
    the last bits: then the cube gets a new version naming the new blob. Returns the broken
    hashes dealt with."""
    from memos.model.checkpoint import load_checkpoint
    from memos.stores import tier_stats
    from memos.stores.repository import cube_from_row

    wanted = set(blob_hashes)
    with store.repo.read() as session:
        todo = []
        for row, sid, sver in tier_stats.live_activation(session, Kind.SLOTS.value):
            blob = derived.blob_of(row)
            if blob in wanted:
                content = derived.version_content(session, sid, sver)
                if content is not None:
                    todo.append((row.id, str(blob), row.model_fingerprint, content, row.user_id,
                                 f"{sid}@{sver}"))
    if not todo:
        return set()
    model = load_checkpoint()
    restored: set[str] = set()
    changed = 0
    with store.repo.write() as session:
        for cube_id, blob, fingerprint, content, owner, source in todo:
            if fingerprint != model.fingerprint:
                continue
            one = model.encode_memory([content]).trimmed()
            header = {"owner": owner, "source": source, "text": content_hash(content)}
            had_row = store.blobs.info(session, blob) is not None
            info = store.blobs.put(session, one.to_tensors(), kind=Kind.SLOTS.value,
                                   fingerprint=fingerprint, header=header)
            if info.hash == blob:
                if had_row:  # the row was there: this put added no reference
                    store.blobs.release(session, blob)
            else:
                row = store.repo.row_by_id(session, cube_id)
                cube = cube_from_row(row)
                cube = cube.model_copy(update={
                    "version": row.version + 1,
                    "metadata": {**cube.metadata, derived.BLOB_KEY: info.hash,
                                 derived.BYTES_KEY: info.bytes}})
                store.repo.write_version(session, row, cube, "rederive",
                                         "its blob was missing or corrupt")
                store.blobs.erase(session, [blob])
                changed += 1
            restored.add(blob)
    if changed:
        store.after_write(changed)
    return restored


def _may_change(row: CubeRow, scope: Scope | None) -> bool:
    from memos.stores.repository import can_write

    return scope is None or can_write(row, scope)


def _retire_row(store: StoreParts, session: Any, row: CubeRow, why: str) -> None:
    from memos.stores.repository import cube_from_row

    cube = cube_from_row(row).model_copy(
        update={"version": row.version + 1, "state": Lifecycle.ARCHIVED})
    store.repo.write_version(session, row, cube, "invalidate", why)


def retire_if_active(store: StoreParts, session: Any, cube_id: str, why: str) -> bool:
    """Archive a derived cube read in an earlier transaction, if it is still active now (the
    scheduler or another thread may have retired or forgotten it meanwhile), and release
    its blob. Returns whether it was retired."""
    row = store.repo.row_by_id(session, cube_id)
    if row is None or row.state != Lifecycle.ACTIVE.value:
        return False
    session.refresh(row)  # the current version, not one cached in this session
    if row.state != Lifecycle.ACTIVE.value:
        return False
    _retire_row(store, session, row, why)
    blob = derived.blob_of(row)
    if blob is not None:
        store.blobs.release(session, blob)
    return True


def _text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# -- the MemOS methods (the facade delegates here) -------------------------------------------


def recall(tier: ActivationTier, search: Any, query: str, scope: Scope, k: int,
           model: ModelLike) -> Recall:
    """Retrieval (`search(query, scope, k)`), then the retrieved cubes' slots. Loading the
    model (first call only) is not part of either stage's time."""
    tier.model(model)
    t0 = time.perf_counter()
    hits = search(query, scope, k)
    t1 = time.perf_counter()
    slots, pairs, cached, encoded, skipped = tier.slots_for([h.cube for h in hits], model,
                                                            reader=scope.user_id)
    t2 = time.perf_counter()
    fp = slots.fingerprint if slots is not None else tier.model(model).fingerprint
    return Recall(slots=slots, cubes=pairs, hits=cached, misses=encoded, skipped=skipped,
                  seconds={"retrieve": t1 - t0, "recall": t2 - t1}, model_fingerprint=fp)


_ASKED = re.compile(r"what\s+(?:is|are|was|were)\s+(?P<head>\S.*)", re.I | re.S)


def _needed_unread(question: str, found: Sequence[MemCube], skipped: set[str]) -> bool:
    """Whether a memory the model could not read is the one the question needs: the best
    retrieved one, or one stating what a "What is <subject>'s <attribute>?" question asks
    ("Ann's bio is ...")."""
    if not skipped or not found:
        return False
    if found[0].id in skipped:
        return True
    # (string operations around one linear match: a question of spaces cannot make a
    # pattern backtrack)
    m = _ASKED.match(question.strip().rstrip("?").rstrip())
    if m is None:
        return False
    head = " ".join(m.group("head").replace("’", "'").lower().split())
    if "'s " not in head and "s' " not in head:
        return False
    return any(c.id in skipped and " ".join(c.content.replace("’", "'").lower().split())
               .startswith(head + " ") for c in found)


# What a question asks for: "<head>" of "What is <head>?" (also are/was/were, who/which,
# "what's", or the bare "<head>?"), the key of the facts the model was trained to read.
_ASKS = re.compile(r"(?:(?:what|who|which)(?:\s+(?:is|are|was|were)\s+|['’]s\s+))?"
                   r"(?P<head>\S.*)", re.I | re.S)
_STATES = re.compile(r" (?:is|are|was|were)(?: |$)")


def _words(text: str) -> str:
    return " ".join(text.replace("’", "'").casefold().split())


def _supported(question: str, read: Sequence[MemCube]) -> bool:
    """Whether a memory the model reads states what the question asks for: the model was
    trained on facts "<subject>'s <attribute> is <value>." and the question "What is
    <subject>'s <attribute>?" (memos.model.tasks.Fact), and answers by finding the memory
    whose text begins with the question's "<subject>'s <attribute>" and copying its value.
    Without such a memory it still writes something: another memory's value ("What is
    Ann's pet?" answered "Oslo" from "Ann's city is Oslo.") or bytes of none ("sokoges").
    So: the question's head (`_ASKS`, without case, spacing or the kind of apostrophe) must
    begin one of `read`, followed by is/are/was/were. The memory's text, not its metadata:
    the text is what the model reads. A question in another form ("Where does Bo live?",
    "What does Alice prefer?") states no head a memory begins with: the model was not
    trained on it and answers it from no memory in particular (memos.reader.questions
    maps such questions to the model's form; memos.Assistant asks that)."""
    m = _ASKS.match(question.strip().rstrip("?!. \t\r\n"))
    if m is None:
        return False
    head = _words(m.group("head"))
    for cube in read:
        text = _words(cube.content)
        if text.startswith(head) and _STATES.match(text, len(head)):
            return True
    return False


def _newest_statement(question: str, hits: Sequence[Any], scope: Scope) -> list[Any]:
    """`hits` with one memory left of those that state what the question asks ("Alice's
    city is Oslo." and "Alice's city is Rome.", both live: one written without the metadata
    that would have let the newer supersede the older), when the scope's user wrote one of
    them: the one of hers memos learnt last; other users' public statements of it are left
    out then (what she told beats what someone else published). The model copies the value
    of a memory that begins with the question's head and cannot tell which of two holds.
    When none is hers, the hits are left as they are."""
    m = _ASKS.match(question.strip().rstrip("?!. \t\r\n"))
    if m is None:
        return list(hits)
    head = _words(m.group("head"))
    stating, texts = [], set()
    for hit in hits:
        text = _words(hit.cube.content)
        if text.startswith(head) and _STATES.match(text, len(head)):
            stating.append(hit)
            texts.add(text)
    own = [h for h in stating if h.cube.scope.user_id == scope.user_id]
    if not own or len(texts) < 2:
        return list(hits)
    newest = max(own, key=lambda h: as_utc(h.cube.recorded_at))
    return [h for h in hits if h is newest or all(h is not s for s in stating)]


def answer(tier: ActivationTier, search: Any, question: str, scope: Scope, k: int,
           model: ModelLike, max_new_tokens: int) -> Answer:
    """Retrieval -> recall -> `model.generate(question, memory=slots)`, only when a memory
    read as slots states what the question asks (`_supported`); else no answer (text "",
    tier "plaintext", no cubes), as with nothing retrieved."""
    if not isinstance(question, str) or not question.strip():
        raise InvalidInputError("question must be a non-empty string: ask it in words, e.g. "
                                "\"Where does Ana live?\"")
    if (not isinstance(max_new_tokens, int) or isinstance(max_new_tokens, bool)
            or not 1 <= max_new_tokens <= 4096):
        raise InvalidInputError("max_new_tokens must be an integer from 1 to 4096")
    found: list[MemCube] = []

    def searched(query: str, sc: Scope, n: int) -> Any:
        hits = _newest_statement(question, search(query, sc, n), scope)
        found[:] = [h.cube for h in hits]
        return hits

    got = recall(tier, searched, question, scope, k, model)
    m = tier.model(model)
    t0 = time.perf_counter()
    text = ""
    # With no memory to read, the model would only guess; without the one the question asks
    # for (too long to read as slots) it would answer from the others, another memory's
    # value ("What is Ann's bio?" answered "Oslo"): the plaintext tier's, as `skipped` says.
    # Nor is it asked when no memory it reads states what the question asks ("What is
    # Erin's pet?" beside "Erin likes cats" answered "sokoges"): `_supported`.
    skipped = {c for c, _ in got.skipped}
    given = {c for c, _ in got.cubes}
    readable = (got.slots is not None and not _needed_unread(question, found, skipped)
                and _supported(question, [c for c in found if c.id in given]))
    if readable:
        with tier.model_lock:
            text = m.generate(question, memory=got.slots, max_new_tokens=max_new_tokens)
    seconds = {**got.seconds, "generate": time.perf_counter() - t0}
    return Answer(text=text.strip(), cubes=got.cubes if readable else [], hits=got.hits,
                  misses=got.misses, seconds=seconds, model_fingerprint=m.fingerprint,
                  skipped=got.skipped, tier="activation" if readable else "plaintext")


__all__ = ["ActivationTier", "Answer", "Recall", "SavedSession", "answer", "invalidate_in",
           "recall", "retire_if_active"]
