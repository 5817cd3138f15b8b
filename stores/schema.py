"""SQL schema of the plaintext tier: the source of truth every derived index is rebuilt from.

`cubes` holds each cube's current state (one row per cube id); `cube_versions` holds every
version as an immutable JSON snapshot; `changelog` is the ordered feed derived indexes
catch up from. Integer primary keys (`cubes.pk`) are the ids FAISS and full text store.
`derivations` holds each derived cube's `derived_from` as rows, indexed by source.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from memos.cube import Lifecycle, Tier

# Cubes in these states are in the vector and full-text indexes (superseded ones stay so
# that `include_superseded=True` can find them); forgotten/archived/purged ones are not.
INDEXED_STATES = (Lifecycle.ACTIVE.value, Lifecycle.SUPERSEDED.value)
# Tiers whose cubes hold tensors by reference (slots, session states, weights), not text:
# nothing of theirs is embedded or full-text indexed, whatever their state.
UNINDEXED_TIERS = (Tier.ACTIVATION.value, Tier.PARAMETRIC.value)

JsonType = JSON().with_variant(JSONB(), "postgresql")
# SQLite has no BIGINT autoincrement; INTEGER PRIMARY KEY is its 64-bit rowid.
PkType = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class JsonText(TypeDecorator[dict[str, Any]]):
    """JSON kept as text: writers may hand over an already-serialised string (pydantic's
    `model_dump_json` is several times faster than dump + json.dumps), readers get a dict.
    For columns that are stored and read whole, never queried inside."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        if value is None or isinstance(value, str):
            return value
        return json.dumps(value, ensure_ascii=False)

    def process_result_value(self, value: str | None, dialect: Any) -> dict[str, Any] | None:
        return None if value is None else json.loads(value)


class Base(DeclarativeBase):
    pass


class CubeRow(Base):
    __tablename__ = "cubes"

    pk: Mapped[int] = mapped_column(PkType, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[str] = mapped_column(String(256))
    agent_id: Mapped[str | None] = mapped_column(String(256))
    session_id: Mapped[str | None] = mapped_column(String(256))
    visibility: Mapped[str] = mapped_column(String(16))
    tier: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer)
    content: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    confidence: Mapped[float] = mapped_column(Float)
    importance: Mapped[float] = mapped_column(Float)
    valid_from: Mapped[datetime | None] = mapped_column(UtcDateTime)
    valid_to: Mapped[datetime | None] = mapped_column(UtcDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    hits: Mapped[int] = mapped_column(Integer, default=0)
    last_access: Mapped[datetime | None] = mapped_column(UtcDateTime)
    tags: Mapped[list[str]] = mapped_column(JsonType)
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JsonType)
    sources: Mapped[list[dict[str, Any]]] = mapped_column(JsonType)
    derived_from: Mapped[list[dict[str, Any]]] = mapped_column(JsonType)
    model_fingerprint: Mapped[str | None] = mapped_column(String(128))

    __table_args__ = (
        Index("ix_cubes_user_state", "user_id", "state"),
        Index("ix_cubes_user_hash", "user_id", "content_hash"),
        Index("ix_cubes_visibility", "visibility"),
        Index("ix_cubes_expires", "expires_at"),
        # Every search admits its ~150 candidates by pk against scope, state, tier and
        # expiry: this index holds exactly those columns, so SQLite answers from small index
        # pages instead of reading each candidate's whole row (Repository.admit_default).
        Index("ix_cubes_admit", "pk", "user_id", "visibility", "agent_id", "state", "tier",
              "expires_at"),
        {"sqlite_autoincrement": True},  # a purged cube's pk is never given to another
    )


class CubeVersionRow(Base):
    """One immutable version of a cube: written once, never updated, erased only by purge."""

    __tablename__ = "cube_versions"

    pk: Mapped[int] = mapped_column(PkType, primary_key=True, autoincrement=True)
    cube_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    op: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    reason: Mapped[str | None] = mapped_column(Text, default=None)  # why, when the caller said
    snapshot: Mapped[dict[str, Any]] = mapped_column(JsonText)

    __table_args__ = (UniqueConstraint("cube_id", "version", name="uq_cube_version"),)


class ChangelogRow(Base):
    """Ordered feed of changes; derived indexes record the last `seq` they applied."""

    __tablename__ = "changelog"

    seq: Mapped[int] = mapped_column(PkType, primary_key=True, autoincrement=True)
    cube_pk: Mapped[int | None] = mapped_column(BigInteger)
    cube_id: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int | None] = mapped_column(Integer)
    # add | update | bump | merge | supersede | rollback | forget | archive | import
    # | link | purge | reindex (a migration: the indexes re-read the cube's current state)
    op: Mapped[str] = mapped_column(String(16))
    edge_id: Mapped[int | None] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(UtcDateTime)

    # AUTOINCREMENT: SQLite must never reuse a seq after purge deletes the newest rows,
    # or an index at that seq would believe it had already applied the purge.
    __table_args__ = (Index("ix_changelog_cube", "cube_pk"), {"sqlite_autoincrement": True})


class CubeTagRow(Base):
    """Tags normalised out of `cubes.tags` so that tag filters use an index."""

    __tablename__ = "cube_tags"

    cube_pk: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("cubes.pk", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(256), primary_key=True)

    __table_args__ = (Index("ix_cube_tags_tag", "tag"),)


class EdgeRow(Base):
    """A graph edge from a cube to a cube (`dst_pk`) or to an entity (`entity`)."""

    __tablename__ = "edges"

    id: Mapped[int] = mapped_column(PkType, primary_key=True, autoincrement=True)
    src_pk: Mapped[int] = mapped_column(BigInteger, ForeignKey("cubes.pk", ondelete="CASCADE"))
    dst_pk: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("cubes.pk", ondelete="CASCADE"))
    entity: Mapped[str | None] = mapped_column(String(256))
    relation: Mapped[str] = mapped_column(String(64))
    weight: Mapped[float] = mapped_column(Float)
    user_id: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        Index("ix_edges_src", "src_pk"),
        Index("ix_edges_dst", "dst_pk"),
        Index("ix_edges_entity", "entity"),
        {"sqlite_autoincrement": True},
    )


class SourceRow(Base):
    """Provenance of a cube, one row per source, so that a source's cubes can be found."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(PkType, primary_key=True, autoincrement=True)
    cube_pk: Mapped[int] = mapped_column(BigInteger, ForeignKey("cubes.pk", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    ref: Mapped[str | None] = mapped_column(String(512))
    role: Mapped[str | None] = mapped_column(String(128))
    at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    text: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_sources_cube", "cube_pk"), Index("ix_sources_ref", "ref"))


class DerivationRow(Base):
    """One entry of a derived cube's `derived_from`: the cube (`derived_pk`) was made from
    version `source_version` of cube `source_id`, with model `model_fingerprint`.

    Mirrors the derived cube's current `derived_from` and is written in the same transaction.
    Indexed both ways: by source (what invalidation and cross-tier forgetting ask: "what was
    made from this cube?") and by derived cube (the primary key's prefix). The source is kept
    by id, not as a foreign key, since an import may name a source that is not in the store;
    the rows of an erased derived cube go with it (ON DELETE CASCADE)."""

    __tablename__ = "derivations"

    derived_pk: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("cubes.pk", ondelete="CASCADE"), primary_key=True)
    source_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    source_version: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_fingerprint: Mapped[str | None] = mapped_column(String(128))

    __table_args__ = (Index("ix_derivations_source", "source_id", "source_version"),)


class AuditRow(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(PkType, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str | None] = mapped_column(String(256))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(256))
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JsonType)


class IndexMetaRow(Base):
    """What a derived index reflects: the changelog seq and, for vectors, the embedder."""

    __tablename__ = "index_meta"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    embedder: Mapped[str | None] = mapped_column(String(256))
    dim: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ApiKeyRow(Base):
    """An API key of the REST/MCP servers: the sha256 of its secret (never the secret), the
    scope it grants (user, optional agent), whether it may call admin endpoints, and when it
    was revoked. `key_id` is public: listed, shown in logs, used to revoke."""

    __tablename__ = "api_keys"

    key_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[str] = mapped_column(String(256))
    agent_id: Mapped[str | None] = mapped_column(String(256))
    admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class BlobRow(Base):
    """An immutable tensor file (activation slots, session states, adapters) named by the
    sha256 of its bytes; the file lives in the blob folder beside the index files."""

    __tablename__ = "blobs"

    hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    bytes: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(32))
    fingerprint: Mapped[str | None] = mapped_column(String(128))
    refs: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
