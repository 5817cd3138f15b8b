"""The write path of `add` / `add_many` (DESIGN.md): validate -> dedup -> conflict -> one
SQL transaction per batch -> derived indexes catch up after commit."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import ValidationError
from sqlalchemy import bindparam, func, or_, select, update

from memos.cube import (
    MAX_CONTENT_BYTES,
    MAX_USED,
    RESERVED_KEY_PREFIX,
    DerivedFrom,
    Lifecycle,
    MemCube,
    Scope,
    SourceRef,
    as_utc,
    check_stored_text,
    check_tier_kind,
    check_user_metadata,
    check_validity,
    ended_by,
    is_blank,
    utcnow,
)
from memos.errors import ConflictError, InvalidInputError, NotFoundError, ScopeError
from memos.policies import conflict, dedup, retention
from memos.results import AddResult
from memos.stores.graph import entity_node
from memos.stores.repository import (
    CUBE_COLUMNS,
    cube_from_row,
    live_clause,
    owned_clause,
)
from memos.stores.schema import ChangelogRow, CubeRow

if TYPE_CHECKING:
    from memos.parts import StoreParts

log = logging.getLogger(__name__)

ADD_FIELDS = frozenset({"kind", "tags", "metadata", "sources", "importance", "confidence",
                        "valid_from", "valid_to", "expires_at", "ttl", "entities", "supersedes",
                        "embedding", "tier", "derived_from", "model_fingerprint"})


@dataclass
class Candidate:
    cube: MemCube
    embedding: np.ndarray | None = None
    entities: list[str] = field(default_factory=list)
    supersedes: list[str] = field(default_factory=list)
    reason: str | None = None  # why it supersedes those (`supersede`): on their new versions
    # the add() arguments given (`MemOS.add`'s keywords, an add_many item's keys; else those
    # other than their defaults: `make_candidate`): of a duplicate, those its stored memory
    # does not carry are `AddResult.ignored`
    given: frozenset[str] = frozenset()


def invalid(exc: ValidationError, what: str = "memory") -> InvalidInputError:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ()))
    message = str(first.get("msg", exc)).removeprefix("Value error, ")
    if str(first.get("type", "")).startswith(("datetime_", "date_")):
        # pydantic's own words ("Input should be a valid datetime or date, input is too
        # short") say what, not what to give
        message = (f"{message.rstrip('.')}; give a datetime or an ISO 8601 string such as "
                   f"2026-05-01T12:00:00Z, got {first.get('input')!r:.40}")
    if first.get("type") == "extra_forbidden":  # a misspelt field: name those there are
        model = {m.__name__: m for m in (Scope, MemCube, SourceRef)}.get(exc.title)
        message = "no such field" + (f"; fields: {', '.join(model.model_fields)}"
                                     if model is not None else "")
    return InvalidInputError(f"invalid {what}: {where + ': ' if where else ''}{message}")


def check_content(content: Any) -> str:
    """Content as text, or InvalidInputError saying what is wrong with it."""
    if isinstance(content, (bytes, bytearray)):
        if len(content) > MAX_CONTENT_BYTES:
            raise InvalidInputError(f"content is {len(content):,} bytes, over the "
                                    f"{MAX_CONTENT_BYTES:,}-byte limit; split it into smaller memories")
        try:
            content = bytes(content).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInputError(
                f"content bytes are not valid UTF-8 (bad byte at offset {exc.start}); "
                "decode them with errors='replace' or pass text") from exc
    if not isinstance(content, str):
        raise InvalidInputError(f"content must be text (str) or UTF-8 bytes, got {type(content).__name__}")
    if not content.strip():
        raise InvalidInputError("content is empty or whitespace; give the memory some text")
    return content


def make_candidate(content: Any, scope: Scope, dim: int, *, now: datetime,
                   kind: Any = "fact", tags: Sequence[str] = (),
                   metadata: Mapping[str, Any] | None = None, sources: Sequence[Any] = (),
                   importance: float = 0.5, confidence: float = 1.0,
                   valid_from: datetime | None = None, valid_to: datetime | None = None,
                   expires_at: datetime | None = None,
                   ttl: Any = None, entities: Sequence[str] = (), supersedes: Sequence[str] = (),
                   embedding: Any = None, tier: Any = "plaintext",
                   derived_from: Sequence[Any] = (), model_fingerprint: str | None = None
                   ) -> Candidate:
    text = check_content(content)
    if isinstance(tags, str):
        tags = [tags]
    check_field_types(tags=tags, sources=sources, derived_from=derived_from, entities=entities,
                      supersedes=supersedes, metadata=metadata)
    if isinstance(ttl, bool) or not (expires_at is None or isinstance(expires_at, datetime)):
        raise InvalidInputError("ttl takes seconds or a timedelta and expires_at a datetime, "
                                f"got ttl={ttl!r:.40}, expires_at={expires_at!r:.40}")
    if ttl is not None and expires_at is not None:
        raise InvalidInputError("give one of ttl (how long it lasts) or expires_at (when it "
                                "ends), not both")
    try:
        expiry = retention.expiry(now, ttl, expires_at)
    except (ValueError, TypeError, OverflowError) as exc:
        # The positive check says what is wrong; Python's own (NaN, infinity, past year
        # 9999: "Python int too large to convert to C int") do not.
        why = str(exc) if "must be positive" in str(exc) else f"{ttl!r:.40} is not a usable time"
        raise InvalidInputError(f"invalid ttl: {why}; give a positive number of seconds (or a "
                                "timedelta) that ends before the year 9999") from exc
    # a memory never takes a kind of memos' own cubes; those tiers take only theirs,
    check_tier_kind(tier, kind, derived_from)  # derived from another cube (as import)
    try:
        cube = MemCube(content=text, scope=scope, kind=kind, tier=tier, tags=list(tags),
                       metadata=dict(metadata or {}), sources=list(sources),
                       importance=importance, confidence=confidence, valid_from=valid_from,
                       valid_to=valid_to, expires_at=expiry, recorded_at=now,
                       derived_from=list(derived_from), model_fingerprint=model_fingerprint)
    except ValidationError as exc:
        raise invalid(exc) from exc
    try:
        check_validity(cube.valid_from, cube.valid_to)
    except ValueError as exc:
        raise InvalidInputError(str(exc)) from None
    try:  # on the built cube: a mapping that answered the first check differently is caught
        check_user_metadata(cube.metadata)
    except ValueError as exc:
        raise InvalidInputError(str(exc)) from None
    vector = None
    if embedding is not None:
        try:
            vector = np.asarray(embedding, dtype=np.float32).reshape(-1)
        except (TypeError, ValueError, OverflowError) as exc:
            raise InvalidInputError(f"embedding must be a list of {dim} numbers: {exc}") from None
        if vector.shape[0] != dim or not np.all(np.isfinite(vector)):
            raise InvalidInputError(
                f"embedding has dimension {vector.shape[0]} (or non-finite values); this "
                f"store's embedder uses {dim}; pass a {dim}-d vector or leave embedding out")
        norm = float(np.linalg.norm(vector))
        if norm == 0:
            raise InvalidInputError("embedding is all zeros; pass a non-zero vector")
        vector = vector / norm
    if isinstance(entities, str) or isinstance(supersedes, str):
        raise InvalidInputError("entities and supersedes take lists of strings")
    given = {name for name, value, default in (
        ("kind", cube.kind.value, "fact"), ("tags", bool(tags), False),
        ("metadata", bool(metadata), False), ("importance", importance, 0.5),
        ("confidence", confidence, 1.0), ("valid_from", valid_from, None),
        ("valid_to", valid_to, None), ("expires_at", expires_at, None), ("ttl", ttl, None),
        ("entities", bool([e for e in entities if e.strip()]), False),
        ("supersedes", bool(supersedes), False)) if value != default}
    return Candidate(cube, vector, [e for e in entities if e.strip()], list(supersedes),
                     given=frozenset(given))


def not_applied(cand: Candidate, stored: MemCube, *, superseded: bool = False) -> list[str]:
    """The arguments of an add that came back a duplicate or a merge that the stored memory
    does not carry (`AddResult.ignored`): a duplicate keeps the stored memory as it is (a
    merge adds tags and metadata) and links no entity; its `supersedes` is carried out by
    the stored memory (`superseded`: it was) unless that is the cube named."""
    new = cand.cube
    kept = {
        "kind": new.kind == stored.kind,
        "tags": set(new.tags) <= set(stored.tags),
        "metadata": all(k in stored.metadata and stored.metadata[k] == v
                        for k, v in new.metadata.items()),
        "importance": new.importance == stored.importance,
        "confidence": new.confidence == stored.confidence,
        "valid_from": new.valid_from == stored.valid_from,
        "valid_to": new.valid_to == stored.valid_to,
        "expires_at": new.expires_at == stored.expires_at,
        "ttl": new.expires_at == stored.expires_at,
        "entities": False, "supersedes": superseded}
    return sorted(name for name in cand.given if not kept.get(name, True))


def check_field_types(**fields: Any) -> None:
    """The container types of add()'s list and dict arguments, and the entity names (stored
    in a 256-character column that PostgreSQL enforces), as InvalidInputError."""
    for name, value in fields.items():
        if name == "metadata":
            if value is not None and not isinstance(value, Mapping):
                raise InvalidInputError(f"metadata must be a dict, got {value!r:.80}")
            try:
                check_user_metadata(dict(value or {}))
            except ValueError as exc:
                raise InvalidInputError(str(exc)) from None
        elif not isinstance(value, (list, tuple, set, frozenset)):
            raise InvalidInputError(f"{name} must be a list, got {value!r:.80}")
    for i, source in enumerate(fields.get("sources", ())):
        # SourceRef ignores keys it does not know (stored cubes are read with it, whatever
        # older versions wrote): a new source's misspelt "rol" is refused here instead.
        unknown = (sorted(str(k)[:40] for k in source if k not in SourceRef.model_fields)
                   if isinstance(source, Mapping) else [])
        if unknown:
            raise InvalidInputError(f"sources[{i}] has unknown key(s) {unknown[:5]}; a source "
                                    f"takes only {', '.join(SourceRef.model_fields)}")
    for name in fields.get("entities", ()):
        if not isinstance(name, str) or len(name) > 256:
            raise InvalidInputError(f"entities must be strings of at most 256 characters, "
                                    f"got {name!r:.80}")
        if is_blank(name):  # (it was dropped without a word, where the CLI refused it)
            raise InvalidInputError("an entity name is empty or only whitespace; name each "
                                    "entity, e.g. 'alice', or leave it out")
        try:
            check_stored_text(name, "entity name")
        except ValueError as exc:
            raise InvalidInputError(str(exc)) from None
    for old_id in fields.get("supersedes", ()):
        if not isinstance(old_id, str):
            raise InvalidInputError(f"supersedes takes cube ids (strings), got {old_id!r:.80}")


def check_add_arguments(content: Any, fields: Mapping[str, Any], call: str = "add()") -> None:
    """The checks of add()'s arguments that need no store, in make_candidate's order: an
    unknown keyword, the content, the list and dict arguments' types. memos.Client runs them
    on a request the server's schema refused, so that it says what MemOS says."""
    unknown = set(fields) - ADD_FIELDS
    if unknown:
        raise InvalidInputError(f"{call} got unknown argument(s) {sorted(unknown)}")
    check_content(content)
    typed = {name: fields[name] for name in ("tags", "sources", "derived_from", "entities",
                                             "supersedes", "metadata") if name in fields}
    if isinstance(typed.get("tags"), str):
        typed["tags"] = [typed["tags"]]  # (one tag, as make_candidate takes it)
    check_field_types(**typed)


def _item_fields(item: Mapping[str, Any]) -> dict[str, Any]:
    """An add_many item's fields but content, after checking its keys."""
    unknown = set(item) - ADD_FIELDS - {"content"}
    if unknown:
        named = sorted(str(k)[:40] for k in unknown)[:5]  # (a made-up key: any length)
        raise InvalidInputError(f"unknown field(s) {named}; allowed: content, "
                                f"{', '.join(sorted(ADD_FIELDS))}")
    if "content" not in item:
        raise InvalidInputError("missing 'content'")
    return {k: v for k, v in item.items() if k != "content"}


def check_item(item: Any, index: int) -> None:
    """`check_add_arguments` of an add_many item (a MemCube is checked already), its errors
    named "item {index}: ..." as candidate_from_item names them."""
    try:
        if isinstance(item, Mapping):
            check_add_arguments(item["content"] if "content" in item else None,
                                _item_fields(item))
        elif not isinstance(item, MemCube):
            check_content(item)
    except InvalidInputError as exc:
        raise InvalidInputError(f"item {index}: {exc}") from exc


def candidate_from_item(item: Any, index: int, scope: Scope, dim: int, now: datetime) -> Candidate:
    """An add_many item (str, Mapping with `content`, or MemCube) as a Candidate."""
    try:
        if isinstance(item, MemCube):
            fields = item.model_dump(include={"kind", "tags", "metadata", "sources", "importance",
                                              "confidence", "valid_from", "expires_at", "tier",
                                              "derived_from", "model_fingerprint"})
            return make_candidate(item.content, scope, dim, now=now, **fields)
        if isinstance(item, Mapping):
            fields = _item_fields(item)
            cand = make_candidate(item["content"], scope, dim, now=now, **fields)
            cand.given = frozenset(fields)  # (the keys given, at their defaults too)
            return cand
        return make_candidate(item, scope, dim, now=now)
    except InvalidInputError as exc:
        raise InvalidInputError(f"item {index}: {exc}") from exc


def _used_union(old: dict[str, Any], new: dict[str, Any]) -> list[Any] | None:
    """The memories a message drew on (metadata "used", an assistant reply's) when the same
    words come again: both messages' ids, so that forgetting what either drew on reaches the
    one cube that holds the words, the newest MAX_USED of them (words said again and again,
    "I don't know.", would otherwise gather every memory ever shown with them). None when
    that adds nothing."""
    before, more = old.get("used"), new.get("used")
    if not isinstance(more, list) or not more:
        return None
    kept = before if isinstance(before, list) else []
    union = list(dict.fromkeys([*kept, *more]))[-MAX_USED:]
    return union if union != kept else None


def _derived_union(cube: MemCube, cand: MemCube) -> list[DerivedFrom] | None:
    """The cubes a stored cube is derived from, with those its duplicate names too, or None
    when it names no other: a fact stated again in another turn is read from both
    (forgetting or purging one turn leaves it stated by the other: `Repository.outliving`;
    purging both erases it)."""
    known = {(d.cube_id, d.version) for d in cube.derived_from}
    more = [d for d in cand.derived_from if (d.cube_id, d.version) not in known]
    return [*cube.derived_from, *more] if more else None


def _bump(cube: MemCube, cand: MemCube, now: datetime, new_version: bool) -> MemCube:
    known = {(s.kind, s.ref, s.text) for s in cube.sources}
    extra = [s for s in cand.sources if (s.kind, s.ref, s.text) not in known]
    # An exact duplicate by hash (NFC, whitespace collapsed) may be spelled otherwise: its
    # spelling is kept as a "merge" source, as a near duplicate's is (`_merge`), since its
    # session's neighbours and transcript quote it as said and forget and purge find those
    # copies by the cube's wordings (MemOS._unquote, _forget_copies). Once per spelling.
    if (cand.content != cube.content
            and ("merge", None, cand.content) not in known
            and all(s.text != cand.content for s in extra)):
        extra.append(SourceRef(kind="merge", at=now, text=cand.content))
    update_fields: dict[str, Any] = {
        "access": cube.access.model_copy(update={"hits": cube.access.hits + 1, "last_access": now})}
    used = _used_union(cube.metadata, cand.metadata)
    if used is not None:
        update_fields["metadata"] = {**cube.metadata, "used": used}
    if extra:
        update_fields["sources"] = [*cube.sources, *extra]
    derived = _derived_union(cube, cand)
    if derived is not None:
        update_fields["derived_from"] = derived
    if (extra or used is not None or derived is not None) and new_version:
        update_fields["version"] = cube.version + 1
    return cube.model_copy(update=update_fields)


def _merge(cube: MemCube, cand: MemCube, now: datetime, new_version: bool) -> MemCube:
    merged = dedup.merge_fields(cube.tags, cand.tags, cube.metadata, cand.metadata,
                                cube.importance, cand.importance, cube.confidence, cand.confidence)
    # The wording whole: its session's neighbours and transcript quote it as said, and
    # forget and purge find those copies by it (MemOS._unquote, _forget_copies). Once: the
    # same wording merged again (up to 1 MB each time) adds nothing but bytes to every version.
    merged_before = {s.text for s in cube.sources if s.kind == "merge"}
    notes = ([] if cand.content in merged_before
             else [SourceRef(kind="merge", at=now, text=cand.content)])
    used = _used_union(cube.metadata, cand.metadata)
    derived = _derived_union(cube, cand)
    return cube.model_copy(update={
        "derived_from": cube.derived_from if derived is None else derived,
        "sources": [*cube.sources, *cand.sources, *notes], "tags": merged.tags,
        "metadata": merged.metadata if used is None else {**merged.metadata, "used": used}, "importance": merged.importance,
        "confidence": merged.confidence,
        "version": cube.version + 1 if new_version else cube.version})


def _owner(cube: MemCube) -> tuple[str, str | None, str, str]:
    """What two cubes must share to be duplicates: user, agent, tier and visibility (and, for
    a near duplicate, the kind).

    Visibility is in it because a merge copies the new text into the old cube's sources: a
    private text must never land in a cube that other agents or users can read."""
    return (cube.scope.user_id, cube.scope.agent_id, cube.tier.value, cube.scope.visibility.value)


def embed_candidates(store: StoreParts, cands: Sequence[Candidate]) -> np.ndarray:
    need = [i for i, c in enumerate(cands) if c.embedding is None]
    out = np.zeros((len(cands), store.embedder.dim), dtype=np.float32)
    if need:
        vectors = np.asarray(store.embedder.embed([cands[i].cube.content for i in need]))
        if vectors.shape != (len(need), store.embedder.dim):
            raise InvalidInputError(
                f"embedder {store.embedder.identity} returned shape {vectors.shape}, expected "
                f"({len(need)}, {store.embedder.dim}); fix the embedder or run `memos reindex`")
        out[need] = vectors
    for i, c in enumerate(cands):
        if c.embedding is not None:
            out[i] = c.embedding
    return out


def write_batch(store: StoreParts, cands: list[Candidate]) -> list[AddResult]:
    """Dedup, conflict and insert one batch in ONE transaction, which the indexes follow
    (StoreParts.write)."""
    if not cands:
        return []
    repo, vectors, cfg = store.repo, store.vectors, store.config
    embs = embed_candidates(store, cands)
    store.catch_up()  # near-dup lookups must see what other processes committed
    now = utcnow()
    threshold = cfg.dedup_threshold
    near_hits: list[list[tuple[int, float]]] = [[] for _ in cands]
    seen = vectors.seq  # what the near-duplicate lookup saw (the changelog seq it was at)
    if threshold is not None and len(vectors):
        # A near-duplicate sits right next to its twin: a short graph walk (or a few IVF
        # lists) suffices, and this search runs for every cube written.
        # Other scopes' cubes can fill the nearest few (many copies of one text): widen the
        # search while a candidate's last hit still reaches the threshold, so what another
        # user stores never decides whether this cube merges (nor shows in what add returns).
        width, todo = 4, list(range(len(cands)))
        while todo:
            with store.index_lock:  # another thread's catch-up may be changing the index
                seen = min(seen, vectors.seq)
                scores, pks = vectors.search(embs[todo], width, nprobe=4)
            for row, i in enumerate(todo):
                near_hits[i] = [(int(p), float(s)) for p, s in zip(pks[row], scores[row],
                                                                    strict=True)
                                if p >= 0 and s >= threshold]
            if width >= len(vectors):
                break
            todo = [i for row, i in enumerate(todo)
                    if len(near_hits[i]) == width and len(pks[row]) == width]
            width *= 4
    owners = {c.cube.scope.user_id for c in cands}
    with store.write() as session:  # the indexes follow it (StoreParts.write)
        # The ids `supersedes` names are checked before dedup: a duplicate's add refuses a
        # missing (or another user's) id as a new cube's does, and never says which it is.
        for cand in cands:
            superseded_rows(store, session, cand)
        live = live_clause(now)
        if threshold is not None:
            _late_near_hits(store, session, seen, embs, near_hits, threshold, owners, live)
        exact: dict[tuple[str, str | None, str, str, str], Any] = {}
        # The state test goes through coalesce() (same value: the column is NOT NULL) so that
        # SQLite, which keeps no statistics, looks the hashes up in (user_id, content_hash)
        # rather than scanning every live cube of the user through (user_id, state): that
        # scan made each add cost more the larger the user's store (docs/BENCHMARKS.md, Serving).
        # The same lookup finds the superseded cubes with those hashes too, when the batch
        # has facts (a fact key): a fact stored as a live fact's past, said again, is that
        # one (`_restated_past`), not a second copy of it.
        looked_up = [Lifecycle.ACTIVE.value] + (
            [Lifecycle.SUPERSEDED.value]
            if any(conflict.fact_key(c.cube.metadata) is not None for c in cands) else [])
        states = func.coalesce(CubeRow.state, "").in_(looked_up)
        unexpired = or_(CubeRow.expires_at.is_(None), CubeRow.expires_at > now)
        pasts: dict[tuple[str, str | None, str, str, str], list[Any]] = {}
        for row in session.connection().execute(select(*CUBE_COLUMNS).where(
                CubeRow.user_id.in_(owners), states, unexpired,
                CubeRow.content_hash.in_({c.cube.content_hash for c in cands}))
                .order_by(CubeRow.pk)):
            # (an active cube whose end has passed was written as ended; a superseded one is
            # a past the conflict policy made, matched as `_restated_past` says)
            found = (row.user_id, row.agent_id, row.tier, row.visibility, _dedup_hash(
                row.content_hash, row.state == Lifecycle.ACTIVE.value and ended_by(row.valid_to, now),
                _ahead(row.valid_from, now)))
            if row.state == Lifecycle.SUPERSEDED.value:
                pasts.setdefault(found, []).append(row)
            else:
                exact.setdefault(found, row)
        near_pks = {pk for hits in near_hits for pk, _ in hits}
        near_rows = (repo.rows_by_pks(session, list(near_pks), live & CubeRow.user_id.in_(owners))
                     if near_pks else {})  # only the writers' own cubes can absorb a new one
        existing: dict[str, CubeRow] = {r.id: r for r in [*exact.values(), *near_rows.values()]}
        changed: dict[str, MemCube] = {}  # existing cube id -> its new state
        new: list[Candidate] = []
        new_src: list[int] = []  # index into `cands` of each entry of `new`
        new_pos: dict[int, int] = {}  # index into `cands` -> index into `new`
        # Earlier items of the batch that item i nearly duplicates: every pair's cosine at
        # once, kept only where it reaches the threshold (rare), so the loop stays cheap.
        earlier: dict[int, list[tuple[int, float]]] = {}
        if threshold is not None and len(cands) > 1:
            gram = embs @ embs.T
            for j, i in np.argwhere(np.triu(gram >= threshold, 1)):
                earlier.setdefault(int(i), []).append((int(j), float(gram[j, i])))
        batch_exact: dict[tuple[str, str | None, str, str, str], int] = {}
        # (action, True, index into `new`) or (action, False, id of an existing cube)
        results: list[tuple[str, bool, Any]] = []
        for i, cand in enumerate(cands):
            cube, owner = cand.cube, _owner(cand.cube)
            # (a fact written as ended is no duplicate of the same words holding now, nor the
            # other way round: each keeps its own validity)
            ended = ended_by(cube.valid_to, now)
            key = (*owner, _dedup_hash(cube.content_hash, ended, _ahead(cube.valid_from, now)))
            if key in batch_exact:
                j = batch_exact[key]
                new[j].cube = _bump(new[j].cube, cube, now, new_version=False)
                # (the first copy, stored new, supersedes what this one names too)
                new[j].supersedes = list(dict.fromkeys([*new[j].supersedes,
                                                        *cand.supersedes]))
                results.append(("duplicate", True, j))
                continue
            exact_ids = [exact[key].id] if key in exact else []
            near = [(near_rows[pk].id, sim) for pk, sim in near_hits[i] if pk in near_rows
                    and (near_rows[pk].user_id, near_rows[pk].agent_id, near_rows[pk].tier,
                         near_rows[pk].visibility) == owner
                    # A near duplicate of another kind is another memory: "Rosa's phone number
                    # is 0199." read from the turn "Mei: Rosa's phone number is 0199." says
                    # nothing the turn does not, but merged there the fact (its subject and
                    # attribute, what a correction supersedes and the model reads) is lost.
                    and near_rows[pk].kind == cube.kind.value
                    and ended_by(near_rows[pk].valid_to, now) == ended
                    and _ahead(near_rows[pk].valid_from, now) == _ahead(cube.valid_from, now)]
            # A merge keeps the new text only as provenance: it may fold only text that
            # adds nothing (dedup.adds_nothing); otherwise the new text is its own cube.
            near_texts = {near_rows[pk].id: near_rows[pk].content for pk, _ in near_hits[i]
                          if pk in near_rows}
            decision = dedup.decide_dedup(exact_ids, near, threshold, cube.content, near_texts)
            if decision.action == "added":
                # Earlier new cubes of this batch, named by their index into `new`.
                batch_near = [(str(new_pos[c]), sim) for c, sim in earlier.get(i, ())
                              if c in new_pos and _owner(cands[c].cube) == owner
                              and cands[c].cube.kind == cube.kind
                              and _ahead(cands[c].cube.valid_from, now)
                              == _ahead(cube.valid_from, now)]
                in_batch = dedup.decide_dedup(
                    [], batch_near, threshold, cube.content,
                    {ref: new[int(ref)].cube.content for ref, _ in batch_near})
                if in_batch.action == "merged" and in_batch.target_id is not None:
                    j = int(in_batch.target_id)
                    new[j].cube = _merge(new[j].cube, cube, now, new_version=False)
                    new[j].supersedes = list(dict.fromkeys([*new[j].supersedes,
                                                            *cand.supersedes]))
                    results.append(("merged", True, j))
                    continue
            if decision.action in ("duplicate", "merged") and decision.target_id:
                target = decision.target_id
                state = changed.get(target) or cube_from_row(existing[target])
                base_version = existing[target].version
                step = _bump if decision.action == "duplicate" else _merge
                updated = step(state, cube, now, new_version=state.version == base_version)
                changed[target] = updated
                results.append((decision.action, False, target))
                continue
            batch_exact[key] = len(new)
            new.append(cand)
            new_pos[i] = len(new) - 1
            new_src.append(i)
            results.append(("added", True, len(new) - 1))
        _write_changed(store, session, existing, changed)
        kept, pks, superseded, restated = _store_new(store, session, new, pasts, now)
        for j, row in restated.items():
            # Said again, a stored past fact is bumped as an exact duplicate is (`_bump`),
            # the batch's own duplicates of it (counted on new[j]) included.
            state = _bump(cube_from_row(row), new[j].cube, now, new_version=True)
            hits = state.access.hits + new[j].cube.access.hits
            changed[row.id] = state.model_copy(
                update={"access": state.access.model_copy(update={"hits": hits})})
            existing[row.id] = row
            results = [("merged" if action == "merged" else "duplicate", False, row.id)
                       if is_new and ref == j else (action, is_new, ref)
                       for action, is_new, ref in results]
        _write_changed(store, session, existing,
                       {row.id: changed[row.id] for row in restated.values()})
        by_existing: dict[int, list[str]] = {}  # index into `cands` -> ids it superseded
        for i, (cand, (_action, is_new, ref)) in enumerate(zip(cands, results,
                                                                strict=True)):
            if cand.supersedes and not is_new:
                by_existing[i] = _supersede_by_existing(store, session, cand, changed[ref],
                                                        existing[ref].pk, now)
        stored = [new[k] for k in kept]
        edges, srcs = [], []
        for cand, pk in zip(stored, pks, strict=True):
            for name in dict.fromkeys(entity_node(e) for e in cand.entities):
                edges.append({"src_pk": pk, "dst_pk": None, "entity": name.removeprefix("entity:"),
                              "relation": "mentions", "weight": 1.0,
                              "user_id": cand.cube.scope.user_id, "created_at": now})
                srcs.append(cand.cube.id)
        repo.insert_edges(session, edges, srcs)
        # The catch-up after commit reuses these vectors instead of embedding the texts
        # again; primed before commit, so no other thread's catch-up sees the rows first.
        rows_of = [new_src[k] for k in kept]
        store.sync.prime(pks, embs[rows_of] if rows_of else embs[:0],
                         [c.cube.content for c in stored])
    store.after_write(len(cands))
    out: list[AddResult] = []
    for i, (cand, (action, is_new, ref)) in enumerate(zip(cands, results, strict=True)):
        cube = new[ref].cube if is_new else changed[ref]
        ended = (superseded.get(cube.id, []) if is_new and action == "added"
                 else by_existing.get(i, []))
        # (a batch's later copy: its `supersedes` went to the copy stored new)
        applied = bool(ended) or (is_new and bool(cand.supersedes))
        out.append(AddResult(id=cube.id, version=cube.version, action=action,
                             superseded=ended, cube=cube,
                             ignored=not_applied(cand, cube, superseded=applied)
                             if action != "added" else []))
    return out


# At most this many of the batch's owners' cubes committed by other writers between its
# near-duplicate lookup and its transaction are embedded and compared inside it (more: left
# to the lookup's view). With one writer there are none.
LATE_NEAR_MAX = 64


def _late_near_hits(store: StoreParts, session: Any, seen: int, embs: np.ndarray,
                    near_hits: list[list[tuple[int, float]]], threshold: float,
                    owners: set[str], live: Any) -> None:
    """Cubes another writer (thread or process) committed after the near-duplicate lookup,
    which read the in-memory vector index at changelog seq `seen`: embedded and compared
    here, inside the transaction where writes take turns, so that two near duplicates added
    at once still merge (the lookup of each missed the other). Usually none: one indexed
    read of the changelog. At most LATE_NEAR_MAX of these owners' cubes are compared; what
    other users wrote meanwhile is not counted against that, so that how much they wrote
    never decides whether this cube merges. (Their changelog rows since `seen` are read, by
    seq, none of their cubes: a burst of theirs in that window costs this write a scan of
    its rows, where it used to make the write give up the look.)"""
    from memos.stores.indexer import indexed_clause

    # cubes written (links and purges name no new text), of these owners, that the vector
    # index would hold (no slots or adapter cubes)
    written = select(ChangelogRow.cube_pk).where(
        ChangelogRow.seq > seen, ChangelogRow.cube_pk.is_not(None),
        ChangelogRow.op.not_in(("link", "purge")))
    theirs_now = CubeRow.user_id.in_(owners) & live & indexed_clause()
    pks = session.connection().execute(
        select(CubeRow.pk).where(CubeRow.pk.in_(written), theirs_now)
        .limit(LATE_NEAR_MAX + 1)).scalars().all()
    if not pks or len(pks) > LATE_NEAR_MAX:
        return
    rows = store.repo.rows_by_pks(session, pks, theirs_now)
    if not rows:
        return
    order = sorted(rows)
    theirs = np.asarray(store.embedder.embed([rows[pk].content for pk in order]),
                        dtype=np.float32)
    scores = embs @ theirs.T
    for i in range(len(near_hits)):
        known = {pk for pk, _ in near_hits[i]}
        extra = [(pk, float(scores[i, j])) for j, pk in enumerate(order)
                 if pk not in known and scores[i, j] >= threshold]
        if extra:
            near_hits[i] = sorted([*near_hits[i], *extra], key=lambda h: -h[1])


def _write_changed(store: StoreParts, session: Any, existing: Mapping[str, Any],
                   changed: Mapping[str, MemCube]) -> None:
    """Write the new states of existing cubes a batch bumped or merged into: a version
    where one was made, else the hit counts alone (one executemany)."""
    hit_updates = []
    for cube_id, cube in changed.items():
        row = existing[cube_id]
        if cube.version > row.version:
            store.repo.write_version(session, row, cube, "bump" if cube.metadata == row.meta
                                     and cube.tags == row.tags else "merge")
        else:
            hit_updates.append({"b_pk": row.pk, "b_hits": cube.access.hits,
                                "b_at": cube.access.last_access})
    if hit_updates:  # one executemany for every bumped cube of the batch
        table = CubeRow.__table__
        session.connection().execute(
            update(table).where(table.c.pk == bindparam("b_pk"))
            .values(hits=bindparam("b_hits"), last_access=bindparam("b_at")), hit_updates)


def _store_new(store: StoreParts, session: Any, new: list[Candidate],
               pasts: Mapping[tuple[str, str | None, str, str, str], list[Any]],
               now: datetime) -> tuple[list[int], list[int], dict[str, list[str]], dict[int, Any]]:
    """Insert the new cubes in batch order, each followed by the conflict policy, except a
    fact that says a stored past fact again (`_restated_past`; `pasts`: the superseded cubes
    of the batch's owners and hashes, oldest first, keyed as dedup keys them).

    Returns the indexes into `new` inserted, their pks, new id -> ids it superseded, and
    index into `new` -> the stored past fact's row for each one not inserted. Without such a
    fact (nearly every batch) it is one insert and one conflict pass, as it always was; a
    fact that may be one is judged after the batch's earlier cubes are in and theirs applied,
    as its conflicts would be."""
    kept: list[int] = []
    pks: list[int] = []
    superseded: dict[str, list[str]] = {}
    restated: dict[int, Any] = {}
    pending: list[int] = []

    def flush() -> None:
        if pending:
            part = [new[k] for k in pending]
            part_pks = store.repo.insert_cubes(session, [c.cube for c in part])
            superseded.update(_apply_conflicts(store, session, part, part_pks, now))
            kept.extend(pending)
            pks.extend(part_pks)
            pending.clear()

    for j, cand in enumerate(new):
        stored = pasts.get((*_owner(cand.cube), _dedup_hash(
            cand.cube.content_hash, ended_by(cand.cube.valid_to, now),
            _ahead(cand.cube.valid_from, now))))
        if stored and not cand.supersedes and conflict.fact_key(cand.cube.metadata) is not None:
            flush()
            row = _restated_past(store, session, cand, stored, now)
            if row is not None:
                restated[j] = row
                continue
        pending.append(j)
    flush()
    return kept, pks, superseded, restated


def _restated_past(store: StoreParts, session: Any, cand: Candidate, stored: Sequence[Any],
                   now: datetime) -> Any | None:
    """The row of the stored past fact `cand` says again, or None.

    Only a fact the conflict policy would store as a live fact's past and nothing more (it
    supersedes no live fact, names none in `supersedes`), and only one of `stored`: superseded
    cubes of the same user, agent, tier, visibility and content hash (as an exact duplicate
    matches), neither forgotten nor expired, with the same fact key and a known beginning
    that may be the new one's (`conflict.restates_past`). Another user's or agent's cube is
    never among them."""
    _rows, replaced, later, _began = _conflicts(store, session, cand, None, now)
    if not later or replaced:
        return None
    cube = cand.cube
    for row in stored:
        past = cube_from_row(row)
        if conflict.restates_past(past.metadata, past.content_hash, past.valid_from,
                                  cube.metadata, cube.content_hash, cube.valid_from):
            return row
    return None


def _conflicts(store: StoreParts, session: Any, cand: Candidate, pk: int | None,
               now: datetime) -> tuple[dict[str, CubeRow], list[str], list[str],
                                       dict[str, datetime | None]]:
    """What the conflict policy makes of a new cube (inserted as `pk`, or None when not yet
    inserted: every cube there is older): the rows it concerns by id, the ids it supersedes,
    the ids of live facts whose past it is (`later`), and when each of those began."""
    cube = cand.cube
    candidates: list[tuple[str, Mapping[str, Any], str]] = []
    rows: dict[str, CubeRow] = {}
    key = conflict.fact_key(cube.metadata)
    # A fact that had ended when it was written ("I used to live in Seville": `valid_to`
    # given, not after now) is the past of none and ends none: only those it names.
    if key is not None and not ended_by(cube.valid_to, now):
        # Narrow in SQL by lowercased subject; the policy compares the normalised keys.
        subject = func.lower(CubeRow.meta["subject"].as_string())
        raw = str(cube.metadata["subject"]).lower()
        # Only what every reader of the old fact can read the new one in place of: an
        # agent's fact supersedes that agent's facts, not the user's own (agentless)
        # ones, which the user and the other agents would be left without.
        # Nor a fact more widely read than the new one: a private fact does not supersede
        # the user's public or shared fact, whose readers would see it end (and when) for a
        # reason they cannot read (an attacker helper, 2026-12-05).
        same_readers = (CubeRow.agent_id == cube.scope.agent_id
                        if cube.scope.agent_id is not None else owned_clause(cube.scope))
        # (a fact whose `valid_to` has passed holds no more: not replaced again, its end kept)
        where = [owned_clause(cube.scope), same_readers, CubeRow.tier == cube.tier.value,
                 live_clause(now), or_(CubeRow.valid_to.is_(None), CubeRow.valid_to > now),
                 subject.in_(list({raw, raw.strip(), key.subject}))]
        if pk is not None:
            where.append(CubeRow.pk < pk)  # older cubes only: later facts win
        for row in session.execute(select(CubeRow).where(*where)).scalars():
            rows[row.id] = row
            candidates.append((row.id, row.meta, row.content_hash))
    # Owner only (forgetting the source forgets this cube). Another scope's unreadable
    # cube raises exactly what a missing id raises (store.row), so nothing is revealed.
    for ref in cube.derived_from:
        try:
            store.row(session, ref.cube_id, cube.scope, write=True)
        except (NotFoundError, ScopeError) as exc:
            raise type(exc)(f"derived_from: {exc}") from None
    rows.update(superseded_rows(store, session, cand))
    ids = conflict.find_superseded(cube.metadata, cube.content_hash, candidates, cand.supersedes)
    # A fact that began before the live one it conflicts with is that one's past ("I
    # joined Acme in 2018" told after "I joined Globex in 2023"): the live one stays,
    # and the new one is stored already superseded by it, ending when it began. Later
    # facts win by when they held, not by when they were written; one named in
    # `supersedes` is replaced whatever its dates.
    began = {old_id: _began(rows[old_id]) for old_id in ids}
    later = [old_id for old_id in ids if old_id not in cand.supersedes
             and conflict.began_later(rows[old_id].meta, began[old_id], cube.metadata,
                                      cube.valid_from)]
    # The new fact is stored as the past of a live one only when everyone who reads the new
    # one reads that one too, and ends one only when everyone who reads that one reads the
    # new one; else the two stay live side by side.
    rank = readers_rank(cube.scope.visibility.value, cube.scope.agent_id)
    replaced = [old_id for old_id in ids if old_id not in later and (
        old_id in cand.supersedes or _rank_of(rows[old_id]) <= rank)]
    return rows, replaced, [old_id for old_id in later if _rank_of(rows[old_id]) >= rank], began


def superseded_rows(store: StoreParts, session: Any, cand: Candidate) -> dict[str, CubeRow]:
    """The rows of the cubes `cand` names in `supersedes`, each one its scope may change,
    neither forgotten nor managed by memos. Another scope's unreadable cube raises exactly
    what a missing id raises (store.row), so nothing is revealed."""
    rows: dict[str, CubeRow] = {}
    for old_id in cand.supersedes:
        try:
            rows[old_id] = store.row(session, old_id, cand.cube.scope, write=True)
        except (NotFoundError, ScopeError) as exc:
            raise type(exc)(f"supersedes: {exc}") from None
        refuse_forgotten(rows[old_id], "supersedes: ")
        refuse_managed(old_id, rows[old_id].meta, "superseded", "supersedes: ")
    return rows


def _supersede_by_existing(store: StoreParts, session: Any, cand: Candidate, target: MemCube,
                           target_pk: int, now: datetime) -> list[str]:
    """An add that came back a duplicate or a merge still does what its `supersedes` asks:
    the cube that holds its words (`target`) supersedes them, as `supersede(old, by=...)`
    would (a cube named there that is `target` itself is left as it is). Returns the ids
    superseded."""
    done = []
    for old_id, row in superseded_rows(store, session, cand).items():
        if old_id == target.id:
            continue  # (nothing to end: the cube itself)
        if row.state == Lifecycle.SUPERSEDED.value:
            done.append(old_id)  # (already replaced: what was asked holds)
            continue
        mark_superseded(store, session, row, target_pk, target.id, now, cand.reason,
                        new_valid_from=target.valid_from, scope=cand.cube.scope,
                        new_said=said_at(target))
        done.append(old_id)
    return done


def _dedup_hash(content_hash: str, ended: bool, ahead: bool = False) -> str:
    """The content hash an exact duplicate is looked up by: the same words written as ended,
    as holding, and as set to begin later (`ahead`) are three memories."""
    return f"{content_hash}:ended" if ended else f"{content_hash}:ahead" if ahead \
        else content_hash


def _ahead(valid_from: datetime | None, now: datetime) -> bool:
    """Whether a cube is set to begin after `now`."""
    return valid_from is not None and as_utc(valid_from) > now


def readers_rank(visibility: str, agent_id: str | None) -> int:
    """How widely a cube of one user is read, to compare two of them: an agent's private
    cube by that agent (0); the user's own private or shared cube, or an agent's shared one,
    by all the user's callers (1: an agentless private cube has the readers of a shared
    one); a public one by everyone (2). A cube's readers read every cube of a higher rank."""
    if visibility == "public":
        return 2
    return 0 if visibility == "private" and agent_id is not None else 1


def _rank_of(row: Any) -> int:
    return readers_rank(row.visibility, row.agent_id)


def _began(row: Any) -> datetime | None:
    """When a live fact is known to hold from (conflict.began_at): a past fact stored after
    it ends then."""
    valid_from = cube_from_row(row).valid_from
    return None if valid_from is None else conflict.began_at(row.meta or {}, valid_from)


def _apply_conflicts(store: StoreParts, session: Any, new: list[Candidate], pks: list[int],
                     now: datetime) -> dict[str, list[str]]:
    """Supersede what the new cubes replace (conflict policy); returns new id -> old ids."""
    out: dict[str, list[str]] = {}
    for cand, pk in zip(new, pks, strict=True):
        cube = cand.cube
        rows, ids, later, began = _conflicts(store, session, cand, pk, now)
        # (a change told ahead: when it begins; None for one that holds from now)
        starts = (as_utc(cube.valid_from) if cube.valid_from is not None
                  and begins_later(cube, now) else None)
        ahead = [old_id for old_id in ids if starts is not None
                 and old_id not in cand.supersedes and (
                     began[old_id] is None or as_utc(began[old_id]) < starts)]
        for old_id in ahead:
            # "I accepted a job at DeepMind, starting 1 November 2027": the job held now
            # holds until the new one begins, and then has ended by its `valid_to`; it is
            # not superseded now (a scheduled change; `supersedes` ends at once)
            schedule_end(store, session, rows[old_id], starts, cube.id, cube.scope)
        ids = [old_id for old_id in ids if old_id not in ahead]
        for old_id in ids:
            mark_superseded(store, session, rows[old_id], pk, cube.id, now,
                            cand.reason if old_id in cand.supersedes else None,
                            new_valid_from=cube.valid_from, scope=cube.scope,
                            new_said=said_at(cube))
        if ids:
            out[cube.id] = ids
        if later:
            # ended by the first of them to begin after it
            first = min(later, key=lambda i: began[i])
            mine = session.execute(select(CubeRow).where(CubeRow.pk == pk)).scalar_one()
            cand.cube = mark_superseded(store, session, mine, rows[first].pk, first, now,
                                        new_valid_from=began[first], scope=cube.scope)
    return out


def rollback_conflicts(store: StoreParts, session: Any, row: CubeRow, now: datetime
                       ) -> list[str]:
    """A rollback that makes a fact current again ("Zed's city is Paris" restored while a
    later "Zed's city is Rome" is live) ends the other live facts of its subject and
    attribute, now: the caller chose this value. Only those every reader of which reads the
    restored fact (the conflict policy's readers rule). Returns their ids."""
    session.refresh(row)  # (the version the rollback just wrote)
    cube = cube_from_row(row)
    if cube.state != Lifecycle.ACTIVE or conflict.fact_key(cube.metadata) is None:
        return []
    rows, replaced, later, _ = _conflicts(store, session, Candidate(cube=cube), None, now)
    rank = readers_rank(cube.scope.visibility.value, cube.scope.agent_id)
    ids = [old_id for old_id in dict.fromkeys(replaced + later) if old_id != cube.id
           and _rank_of(rows[old_id]) <= rank]
    for old_id in ids:
        mark_superseded(store, session, rows[old_id], row.pk, cube.id, now, reason="rollback",
                        scope=cube.scope)
    return ids


def gone_state(row: Any, now: datetime) -> str | None:
    """"forgotten", "archived" or "expired" for a cube `get` reads as gone to its owner
    (gone from every read but history), else None."""
    if row.state in (Lifecycle.FORGOTTEN.value, Lifecycle.ARCHIVED.value):
        return str(row.state)
    return "expired" if retention.is_expired(row.expires_at, now) else None


def refuse_forgotten(row: Any, where: str = "") -> None:
    """A forgotten cube is not written to (update, supersede): a new version would hold new
    words under a forgotten state, or take the cube out of the forgotten state (superseded
    cubes are searched with include_superseded). Its owner rolls it back first."""
    if row.state == Lifecycle.FORGOTTEN.value:
        raise ConflictError(f"{where}cube {row.id} was forgotten; restore it with "
                            f"rollback(cube_id, scope, to_version) (memos rollback) before "
                            f"changing it, or add a new memory")


def refuse_gone(row: Any, renewed_until: datetime | None, *, forever: bool = False) -> None:
    """An archived cube, or one past its TTL, is not updated: `get` and search read it as
    gone, and a new version would be as invisible while looking changed. A cube past its TTL
    may be renewed: an update giving it a later `expires_at` (`renewed_until`), or clearing
    it (`forever`: it never expires)."""
    now = utcnow()
    renewed = forever or (renewed_until is not None and renewed_until > now)
    if row.state == Lifecycle.ARCHIVED.value and not renewed:
        # (gc archives only what expired: a later expires_at brings it back, `_new_version`)
        raise ConflictError(f"cube {row.id} expired and was archived; give it a later "
                            f"expires_at in the same update to renew it, or add a new memory")
    if retention.is_expired(row.expires_at, now) and not renewed:
        raise ConflictError(f"cube {row.id} expired at {row.expires_at.isoformat()}; give it "
                            f"a later expires_at in the same update to renew it, or add a "
                            f"new memory")


def is_managed(metadata: Any) -> bool:
    """Whether a cube is one memos makes and keeps (slots, a session state, an adapter):
    its metadata names its blob under reserved keys."""
    return isinstance(metadata, Mapping) and any(
        str(key).startswith(RESERVED_KEY_PREFIX) for key in metadata)


def refuse_managed(cube_id: str, metadata: Mapping[str, Any] | None, action: str,
                   where: str = "") -> None:
    """Slots, session states and adapters are made and kept by memos: their metadata names
    their blob under reserved keys. A caller changing one (`action`: "updated", "forgotten",
    "superseded", ...) could strand or misname tensors, or leave an adapter listed active
    with no weights: InvalidInputError."""
    if is_managed(metadata):
        raise InvalidInputError(
            f"{where}cube {cube_id} is managed by memos (activation or parametric tier): it "
            f"cannot be {action}; change or forget the memory it was made from instead "
            f"(an adapter: activate or roll back adapters, or purge it)")


def begins_later(cube: MemCube, now: datetime) -> bool:
    """Whether a cube is a change told before it takes effect: set to begin after `now` and
    after it was said (a message dated ahead of the clock that states what holds then is no
    such change). The conflict policy schedules the end of what it replaces
    (`_apply_conflicts`); the assistant answers it as one to come."""
    if cube.valid_from is None:
        return False
    start, said = as_utc(cube.valid_from), said_at(cube)
    return start > as_utc(now) and (said is None or start > as_utc(said))


def said_at(cube: MemCube) -> datetime | None:
    """When a cube was said, by its sources (the turn of an ingested fact), or None."""
    times = [src.at for src in cube.sources if src.at is not None]
    return max(times) if times else None


def schedule_end(store: StoreParts, session: Any, row: CubeRow, end: datetime,
                 new_id: str, scope: Scope | None = None) -> None:
    """A live cube that a cube beginning later will replace: a new version that ends when
    that one begins (`valid_to`, unless it ends sooner already), still active until then;
    the reason names the new cube."""
    old = cube_from_row(row)
    if old.valid_to is not None and as_utc(old.valid_to) <= end:
        return
    from memos.activation import invalidate_in

    updated = old.model_copy(update={"version": old.version + 1, "valid_to": end})
    store.repo.write_version(session, row, updated, "update",
                             f"ends when {new_id} begins")
    invalidate_in(session, store, row.id, updated.version, scope)
    # (the version was written by a core UPDATE: the row stays live and may be read again
    # in this transaction, by the next cube of the batch, and must then be read afresh)
    session.expire(row)


def mark_superseded(store: StoreParts, session: Any, row: CubeRow, new_pk: int, new_id: str,
                    now: datetime, reason: str | None = None,
                    new_valid_from: datetime | None = None,
                    scope: Scope | None = None, new_said: datetime | None = None,
                    ended_at: datetime | None = None) -> MemCube:
    """Old cube -> new version (superseded, valid_to) plus edge new --supersedes--> old.

    valid_to is when the new cube began to hold (`new_valid_from`, e.g. an older
    conversation ingested today) when that lies between the old cube's valid_from and now;
    else, when the new cube was said (`new_said`, its sources' time) if that lies there: a
    new value said to have begun before the old one was stated ("I live in Berlin" on 2
    March, "I moved to Lisbon last week" on 5 March), or with no time of its own, ends the
    old one when it was said, not when it was stored (a conversation ingested months
    later); otherwise now, or the old cube's valid_from when that is later still (a fact
    set to begin in the future, superseded before it began: it never held, and its interval
    is empty rather than ending before it starts). An end told (`ended_at`, checked by the
    caller to lie between the old cube's valid_from and now: "I left Globex in November")
    comes before all of these. One version either way: no second write to correct the end
    time.

    In the same transaction, the slots and states made from the old cube's earlier versions
    are retired (`activation.invalidate_in`, derived cubes `scope` may change): whichever
    path supersedes (supersede, add(supersedes=...), the conflict policy, ingest), no cache
    of the replaced words stays active."""
    from memos.activation import invalidate_in

    old = cube_from_row(row)
    until = now
    if ended_at is not None:
        until = ended_at
    elif new_valid_from is not None and new_valid_from < now and (
            old.valid_from is None or new_valid_from >= old.valid_from):
        until = new_valid_from
    elif new_said is not None and new_said < now and (
            old.valid_from is None or new_said >= old.valid_from):
        until = new_said
    elif old.valid_from is not None and old.valid_from > now:
        until = old.valid_from
    updated = old.model_copy(update={"version": old.version + 1,
                                     "state": Lifecycle.SUPERSEDED, "valid_to": until})
    store.repo.write_version(session, row, updated, "supersede", reason)
    invalidate_in(session, store, row.id, updated.version, scope)
    store.repo.insert_edges(session, [{"src_pk": new_pk, "dst_pk": row.pk, "entity": None,
                                      "relation": "supersedes", "weight": 1.0,
                                      "user_id": row.user_id, "created_at": now}], [new_id])
    return updated
