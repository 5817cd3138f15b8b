"""Result types of the MemOS facade (docs/SDK.md). Pydantic: they cross the public boundary
and the CLI renders them with `model_dump(mode="json")` for `--json`."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from memos.cube import MemCube

if TYPE_CHECKING:
    from memos.model.slots import MemorySlots

ProgressFn = Callable[[int, int | None], None]


class AddResult(BaseModel):
    id: str
    version: int
    action: Literal["added", "duplicate", "merged"]
    superseded: list[str] = Field(default_factory=list)
    cube: MemCube
    # Of a duplicate or a merge: the arguments given that the stored memory does not carry
    # ("tags", "metadata", "importance", "valid_from", "entities", "supersedes", ...); an
    # update() of the stored memory applies them
    ignored: list[str] = Field(default_factory=list)


class SearchHit(BaseModel):
    cube: MemCube
    score: float
    retrievers: list[str]
    ranks: dict[str, int] = Field(default_factory=dict)
    # Ids of cubes derived from this one that ranked too (MemReader facts read from this
    # turn): folded into this hit, at the better rank, instead of taking places of their
    # own (search(fold=False) lists them apart).
    folded: list[str] = Field(default_factory=list)

    @property
    def id(self) -> str:
        return self.cube.id

    @property
    def content(self) -> str:
        return self.cube.content


class CubePage(BaseModel):
    """One page of `MemOS.list_memories`: memories newest first, and the cursor of the next
    page (None on the last one)."""

    items: list[MemCube]
    next_cursor: str | None = None


class VersionRecord(BaseModel):
    """How one version of a cube was made (`MemOS.versions`): the operation (add, update,
    supersede, forget, rollback, archive, import, merge, ...), when it was written, and the
    reason its caller gave, if any."""

    version: int
    op: str
    at: datetime
    reason: str | None = None


class CubeDiff(BaseModel):
    cube_id: str
    from_version: int
    to_version: int
    changes: dict[str, tuple[Any, Any]]
    content_diff: str

    @classmethod
    def between(cls, old: MemCube, new: MemCube) -> CubeDiff:
        """Fields that differ (bookkeeping fields aside) and a unified diff of the text."""
        skip = {"version", "access", "recorded_at"}
        a = old.model_dump(mode="json", exclude=skip)
        b = new.model_dump(mode="json", exclude=skip)
        changes = {k: (a.get(k), b.get(k)) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)}
        text = "\n".join(difflib.unified_diff(
            old.content.splitlines(), new.content.splitlines(),
            fromfile=f"v{old.version}", tofile=f"v{new.version}", lineterm=""))
        return cls(cube_id=new.id, from_version=old.version, to_version=new.version,
                   changes=changes, content_diff=text)


class Edge(BaseModel):
    id: int
    src: str
    dst: str
    relation: str
    weight: float
    created_at: datetime


class Neighbor(BaseModel):
    cube: MemCube
    relation: str  # of the neighbour's own edge (to the entity, for a link through one)
    direction: Literal["out", "in"]
    weight: float
    depth: int
    # The entity a link through one passed ("fruit"): no direct edge joins the two cubes.
    # Named only when the entity is of the caller's own user (entities are per user).
    via: str | None = None


class PurgeReport(BaseModel):
    cube_ids: list[str]
    cubes: int
    versions: int
    edges: int
    sources: int
    changelog_rows: int
    audit_id: int
    # Derived cubes of this one the caller may not change (another agent's): left in place.
    derived_kept: int = 0
    # Activation blob files (slots, session states) of the erased cubes deleted from disk.
    blobs: int = 0
    # SQLite: True when no file of the store holds the erased bytes any more (WAL
    # checkpointed and truncated); False when a reader (another process, or another MemOS
    # open on this store) kept the WAL (`notes` says why and what to do). None on
    # PostgreSQL, whose server files are its own (the rows are gone from every table).
    erased_from_files: bool | None = True
    notes: list[str] = Field(default_factory=list)


class IndexCheck(BaseModel):
    seq: int
    behind: int
    expected: int
    actual: int
    missing: list[str] = Field(default_factory=list)
    extra: list[str] = Field(default_factory=list)
    ok: bool


class CheckReport(BaseModel):
    ok: bool
    changelog_seq: int
    indexes: dict[str, IndexCheck]
    problems: list[str] = Field(default_factory=list)
    repaired: bool = False
    # Blob hashes (activation tensors) whose file is missing, does not match its hash, or
    # has no row in SQL.
    blobs: dict[str, list[str]] = Field(default_factory=dict)


class StoreStats(BaseModel):
    location: str
    backend: str
    cubes: int
    live: int
    by_state: dict[str, int]
    by_kind: dict[str, int]
    versions: int
    edges: int
    users: int
    changelog_seq: int
    embedder: str
    dim: int
    vector_index: str
    vectors: int
    index_seq: dict[str, int]
    disk_bytes: int | None = None


class ReindexReport(BaseModel):
    cubes: int
    embedder: str
    vector_index: str
    seconds: float


class GcReport(BaseModel):
    archived: list[str] = Field(default_factory=list)
    blobs_deleted: int = 0  # unreferenced activation blobs removed (store-wide gc only)


class ExportReport(BaseModel):
    path: str | None
    cubes: int
    edges: int


class IngestFailure(BaseModel):
    """One thing `MemOS.ingest` could not do: `turn` is the message index (None: the whole
    call), `stage` what failed ("extract", "llm", "write-facts", ...), `error` why."""

    turn: int | None = None
    stage: str
    error: str


class IngestReport(BaseModel):
    """What `MemOS.ingest` wrote (memos.reader; docs/READER.md). Ids may repeat where a turn
    or a fact was already stored (dedup returns the existing cube, with the new source)."""

    session_id: str
    mode: Literal["rules", "llm"]
    user_name: str  # the subject first-person statements were written about
    turns: int
    episodes: list[str] = Field(default_factory=list)  # one cube id per turn, in order
    facts: list[str] = Field(default_factory=list)  # fact/preference cubes written
    superseded: list[str] = Field(default_factory=list)  # older facts a new value replaced
    ended: list[str] = Field(default_factory=list)  # facts a negation ended (no new value)
    failed: list[IngestFailure] = Field(default_factory=list)
    extract_seconds: float = 0.0  # rules or LLM extraction only
    seconds: float = 0.0  # the whole call: extraction, embedding, writes


class ImportReport(BaseModel):
    imported: int = 0
    edges: int = 0
    skipped_existing: int = 0
    # File id -> the id its cube has in the store, where that is not the file's id (an id
    # taken by a cube that is not the caller's, one not of memos's form, keep_ids=False):
    # also for cubes an earlier import of the file wrote (counted in skipped_existing).
    renamed: dict[str, str] = Field(default_factory=dict)
    errors: list[tuple[int, str]] = Field(default_factory=list)
    aborted: bool = False
    # File ids of cubes already in the store (skipped_existing) whose stored version or text
    # differs from the file's: kept as stored, not replaced (update them, or purge them and
    # import again: a forgotten cube keeps its id and its history).
    differing: list[str] = Field(default_factory=list)
    # Lines left to another agent's import (line, why): its shared cubes, which every export
    # of a sibling agent holds, and edges from them or to those not in the store yet.
    left: list[tuple[int, str]] = Field(default_factory=list)
    # The file has a header line but no end line (`{"type": "end", ...}`, which every
    # export since 2026-12-04 writes last): it may have been cut between lines, and what
    # was cut off is missing without a line error. Export again if that export was newer.
    unended: bool = False


class ConsolidationReport(BaseModel):
    """What `MemOS.consolidate` did (docs/PARAMETRIC.md): the adapter it made, the evaluation
    numbers and the gate's decision. `status` "dry-run": the candidates only, nothing trained;
    "tainted": a fact it trained on was forgotten or purged while it trained (the adapter is
    stored tainted, without weights; `adapter_id` None when every fact was purged and nothing
    was stored), whatever the gate said."""

    status: Literal["active", "rejected", "tainted", "dry-run"]
    adapter_id: str | None = None
    adapter_version: int | None = None
    cube_ids: list[str] = Field(default_factory=list)  # the facts, as (id, version) below
    sources: list[tuple[str, int]] = Field(default_factory=list)
    skipped: list[tuple[str, str]] = Field(default_factory=list)  # (cube id, why not)
    base_fingerprint: str = ""
    adapter_fingerprint: str | None = None
    adapter_bytes: int = 0
    steps: int = 0
    train_seconds: float = 0.0
    seconds: float = 0.0
    closed_book_before: float | None = None  # exact match on the facts, base model, no memory
    closed_book_after: float | None = None  # the same with the adapter
    memory_qa_base: float | None = None  # unseen facts, pre-encoded, base model
    memory_qa_adapter: float | None = None  # the same with the adapter active
    gate: dict[str, float] = Field(default_factory=dict)  # min_closed_book, max_memory_drop
    reasons: list[str] = Field(default_factory=list)  # why it is not in service
    previous_adapter: str | None = None  # the adapter this one replaced (accepted only)
    config: dict[str, Any] = Field(default_factory=dict)  # the training config


class AdapterInfo(BaseModel):
    """One parametric adapter of a scope (`MemOS.adapters`, `memos adapters list`)."""

    id: str
    version: int
    status: Literal["active", "retired", "rejected", "tainted"]
    state: str
    facts: int
    base_fingerprint: str
    adapter_fingerprint: str
    bytes: int  # of its weights on disk: 0 once tainted (erased)
    created_at: datetime
    numbers: dict[str, float | None] = Field(default_factory=dict)
    config: dict[str, Any] = Field(default_factory=dict)
    reason: str | None = None  # why rejected, retired or tainted
    sources: list[tuple[str, int]] = Field(default_factory=list)  # `show` only


@dataclass
class Recall:
    """What `MemOS.recall` returns: the slots of the retrieved cubes, in retrieval order."""

    slots: MemorySlots | None  # None when nothing was retrieved
    cubes: list[tuple[str, int]]  # (cube id, version) of each memory in `slots`, in order
    hits: int  # the caller's own memories served from the RAM cache or a stored blob
    misses: int  # the others: encoded for this call, or another user's (never said which)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (cube id, why not read)
    seconds: dict[str, float] = field(default_factory=dict)  # retrieve, recall
    model_fingerprint: str = ""


@dataclass
class Answer:
    """What `MemOS.answer` returns."""

    text: str
    cubes: list[tuple[str, int]]  # the memories the model was given
    hits: int
    misses: int
    seconds: dict[str, float]  # retrieve, recall, generate
    model_fingerprint: str
    skipped: list[tuple[str, str]] = field(default_factory=list)
    # Which tier served it: "parametric" (the scope's active adapter, closed-book: no
    # retrieval, no memory read), "activation" (pre-encoded slots of the retrieved cubes,
    # base model) or "plaintext" (nothing retrieved, or not the memory the question needs,
    # could be read as slots, or no memory read states what the question asks, "<subject>'s
    # <attribute> is ..." for "What is <subject>'s <attribute>?": `text` is "" and `cubes`
    # empty, since the model answers from memory and lacks the one it needs; it abstains).
    # docs/PARAMETRIC.md and docs/SDK.md say how answer picks.
    tier: str = "activation"
    adapter_id: str | None = None  # parametric: the adapter cube (and version) that answered
    adapter_version: int | None = None
    adapter_fingerprint: str | None = None  # with model_fingerprint: base + adapter


@dataclass
class SavedSession:
    """What `MemOS.save_session` returns."""

    session_id: str
    transcript_id: str  # the plaintext cube holding the session's text
    transcript_version: int
    tokens: int  # tokens the state has read
    model_fingerprint: str
    seconds: float  # loading the saved state, or reading the text when there was none


