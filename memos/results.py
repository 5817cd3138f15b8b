"""Result types of the MemOS facade (docs/SDK.md). Pydantic: they cross the public boundary
and the CLI renders them with `model_dump(mode="json")` for `--json`."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from memos.cube import MemCube

ProgressFn = Callable[[int, int | None], None]


class AddResult(BaseModel):
    id: str
    version: int
    action: Literal["added", "duplicate", "merged"]
    superseded: list[str] = Field(default_factory=list)
    cube: MemCube


class SearchHit(BaseModel):
    cube: MemCube
    score: float
    retrievers: list[str]
    ranks: dict[str, int] = Field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.cube.id

    @property
    def content(self) -> str:
        return self.cube.content


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
    relation: str
    direction: Literal["out", "in"]
    weight: float
    depth: int


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
    # checkpointed and truncated); False when a reader in another process kept the WAL
    # (`notes` says why and what to do). None on PostgreSQL, whose
    # server files are its own (the rows are gone from every table).
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


class ImportReport(BaseModel):
    imported: int = 0
    edges: int = 0
    skipped_existing: int = 0
    # File id -> the id the cube got: ids already used by a cube that is not the caller's.
    renamed: dict[str, str] = Field(default_factory=dict)
    errors: list[tuple[int, str]] = Field(default_factory=list)
    aborted: bool = False
