"""The MemCube: the unit of memory every tier stores, versions and forgets.

A cube's identity (`id`) is stable across versions; `version` counts its immutable versions
from 1. Pydantic validates cubes at the public boundary; stores map them to SQL rows.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

MAX_CONTENT_BYTES = 1_000_000  # 1 MB of UTF-8: larger texts belong in a document store, chunked


class Tier(StrEnum):
    PLAINTEXT = "plaintext"
    ACTIVATION = "activation"
    PARAMETRIC = "parametric"


class Kind(StrEnum):
    FACT = "fact"
    PREFERENCE = "preference"
    EPISODE = "episode"
    EVENT = "event"
    PROFILE = "profile"
    DOCUMENT = "document"
    MESSAGE = "message"
    SLOTS = "slots"  # activation: pre-encoded memory slots
    STATE = "state"  # activation: saved SSM session state
    ADAPTER = "adapter"  # parametric
    CHECKPOINT = "checkpoint"  # parametric


class Lifecycle(StrEnum):
    ACTIVE = "active"
    SUPERSEDED = "superseded"
    ARCHIVED = "archived"
    FORGOTTEN = "forgotten"


class Visibility(StrEnum):
    PRIVATE = "private"  # only the same user (and agent, when set) reads it
    SHARED = "shared"  # every agent of the same user reads it
    PUBLIC = "public"  # every user reads it


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return uuid.uuid4().hex


def normalize_content(text: str) -> str:
    """The form content hashes are taken of: NFC, whitespace collapsed, case kept."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def content_hash(text: str) -> str:
    return hashlib.sha256(normalize_content(text).encode("utf-8")).hexdigest()


class Scope(BaseModel):
    """Who a cube belongs to. `user_id` is required; narrower fields are optional."""

    model_config = ConfigDict(frozen=True)

    user_id: str = Field(min_length=1, max_length=256)
    agent_id: str | None = Field(default=None, max_length=256)
    session_id: str | None = Field(default=None, max_length=256)
    visibility: Visibility = Visibility.PRIVATE

    @classmethod
    def of(cls, scope: Scope | str | dict[str, Any]) -> Scope:
        """Accept a Scope, a bare user id, or a dict of fields."""
        if isinstance(scope, Scope):
            return scope
        if isinstance(scope, str):
            return cls(user_id=scope)
        return cls(**scope)


class SourceRef(BaseModel):
    """Where a cube's content came from: a message, a document, or another cube version."""

    model_config = ConfigDict(frozen=True)

    kind: str = "message"  # message | document | cube | import | user
    ref: str | None = None  # id of the message/document, or "cube_id@version"
    role: str | None = None  # speaker of a message
    at: datetime | None = None
    text: str | None = None  # a short excerpt, for audit; not the full source


class DerivedFrom(BaseModel):
    model_config = ConfigDict(frozen=True)

    cube_id: str
    version: int = Field(ge=1)


class AccessStats(BaseModel):
    hits: int = 0
    last_access: datetime | None = None


class MemCube(BaseModel):
    """One memory, at one version."""

    id: str = Field(default_factory=new_id)
    tier: Tier = Tier.PLAINTEXT
    kind: Kind = Kind.FACT
    content: str
    scope: Scope
    version: int = Field(default=1, ge=1)
    state: Lifecycle = Lifecycle.ACTIVE
    sources: list[SourceRef] = Field(default_factory=list)
    derived_from: list[DerivedFrom] = Field(default_factory=list)
    model_fingerprint: str | None = None  # activation / parametric cubes only
    valid_from: datetime | None = None  # when the fact became true in the world
    valid_to: datetime | None = None  # when it stopped being true (set by supersede)
    recorded_at: datetime = Field(default_factory=utcnow)  # when memos learned it
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)
    importance: float = Field(default=0.5, ge=0.0, le=1.0)
    tags: list[str] = Field(default_factory=list)
    metadata: dict[str, Any] = Field(default_factory=dict)
    access: AccessStats = Field(default_factory=AccessStats)
    expires_at: datetime | None = None
    content_hash: str = ""

    @field_validator("metadata")
    @classmethod
    def _metadata_is_json(cls, value: dict[str, Any]) -> dict[str, Any]:
        # Stored as JSON (JSONB on PostgreSQL, which also refuses NaN): check it here, so a
        # bad value is an InvalidInputError at the boundary, not a driver error mid-write.
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"metadata must hold JSON values (str, finite number, bool, "
                             f"null, list, dict): {exc}") from None
        return value

    @field_validator("content")
    @classmethod
    def _content_is_text(cls, value: str) -> str:
        if not value or not value.strip():
            raise ValueError("content is empty or whitespace; give the memory some text")
        size = len(value.encode("utf-8", errors="surrogatepass"))
        if size > MAX_CONTENT_BYTES:
            raise ValueError(
                f"content is {size:,} bytes, over the {MAX_CONTENT_BYTES:,}-byte limit; "
                "split it into smaller memories or store it as chunked documents"
            )
        if "\x00" in value:  # PostgreSQL cannot store it; SQLite would, so refuse it on both
            raise ValueError("content contains a NUL character (\\x00); remove it or replace "
                             "it with a space")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError(
                "content is not valid Unicode (lone surrogates); decode the source bytes "
                "as UTF-8 with errors='replace' first"
            ) from exc
        return value

    def model_post_init(self, __context: Any) -> None:
        if not self.content_hash:
            self.content_hash = content_hash(self.content)

    def is_live(self, now: datetime | None = None) -> bool:
        """True when the cube is on the read path: active and not expired."""
        if self.state != Lifecycle.ACTIVE:
            return False
        if self.expires_at is not None:
            now = now or utcnow()
            expires = self.expires_at
            if expires.tzinfo is None:
                expires = expires.replace(tzinfo=UTC)
            return expires > now
        return True
