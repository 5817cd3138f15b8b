"""The MemCube: the unit of memory every tier stores, versions and forgets.

A cube's identity (`id`) is stable across versions; `version` counts its immutable versions
from 1. Pydantic validates cubes at the public boundary; stores map them to SQL rows.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from memos.errors import InvalidInputError

MAX_CONTENT_BYTES = 1_000_000  # 1 MB of UTF-8: larger texts belong in a document store, chunked
MAX_REASON_CHARS = 10_000  # of a reason given for a write (update, forget, supersede, purge)
MAX_BATCH = 100_000  # add_many's batch_size: cubes per transaction (MemOS and memos.Client)
# Ids a message may name as the memories it drew on (metadata "used"); the same words said
# again keep the newest this many of both lists.
MAX_USED = 1_000
MAX_TAG_CHARS = 256  # the width of cube_tags.tag (PostgreSQL enforces it; SQLite would not)
# Bidirectional overrides and isolates: they make an id display as another id.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


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


# The kinds a memory (a plaintext cube) may have: what a caller writes, lists and searches.
MEMORY_KINDS: tuple[str, ...] = ("fact", "preference", "episode", "event", "profile",
                                 "document", "message")
# The kinds of the cubes memos makes itself, by tier (activation slots and session states,
# parametric adapters); never a memory's kind.
TIER_KINDS: dict[str, tuple[str, ...]] = {"activation": ("slots", "state"),
                                          "parametric": ("adapter", "checkpoint")}
INTERNAL_KINDS: frozenset[str] = frozenset(k for kinds in TIER_KINDS.values() for k in kinds)


def check_memory_kind(kind: Any, what: str = "kind") -> None:
    """A memory's kind: one of MEMORY_KINDS (InvalidInputError, a ValueError, naming them
    otherwise). The kinds of memos' own activation and parametric cubes are refused with
    their own message; a value that is no string is left to MemCube's validation (which
    names the type)."""
    if not isinstance(kind, str) or kind in MEMORY_KINDS:
        return
    accepted = ", ".join(MEMORY_KINDS)
    if kind in INTERNAL_KINDS:
        raise InvalidInputError(f"{what} {kind!r} is a kind memos gives its own activation "
                                f"and parametric cubes; a memory's kinds are {accepted}")
    raise InvalidInputError(f"unknown {what} {kind!r:.60}; a memory's kinds are {accepted}")


def stating_turns(sources: Any) -> set[str]:
    """The ids of the turns a cube's sources name as having stated it (kind "cube", role
    "episode", ref "<episode id>@<version>": MemReader's facts), read from SourceRefs or
    from their stored dicts; anything else names none."""
    out: set[str] = set()
    for src in sources if isinstance(sources, (list, tuple)) else ():
        get = src.get if isinstance(src, dict) else lambda k, s=src: getattr(s, k, None)
        if get("kind") == "cube" and get("role") == "episode":
            turn = str(get("ref") or "").split("@")[0]
            if turn:
                out.add(turn)
    return out


def check_tier_kind(tier: Any, kind: Any, derived_from: Sequence[Any]) -> None:
    """What an import line's cube must be to hold a tier: a plaintext cube a memory's kind
    (check_memory_kind); an activation or parametric cube one of its tier's kinds and derived
    from another cube, as every such cube memos or the SDK makes is (export leaves out the
    ones with blobs, so a line of those tiers is one made with `add(tier=..., derived_from=
    ...)`). InvalidInputError otherwise: a text given such a tier is never listed nor
    searched."""
    tier = tier.value if isinstance(tier, StrEnum) else tier
    kind = kind.value if isinstance(kind, StrEnum) else kind  # (another type: MemCube's)
    if not isinstance(tier, str) or tier not in TIER_KINDS:  # (another type: MemCube's)
        check_memory_kind(kind)
        return
    if kind not in TIER_KINDS[tier]:
        raise InvalidInputError(f"a cube of tier {tier!r} has kind "
                                f"{' or '.join(TIER_KINDS[tier])}, not {kind!r:.60}; a "
                                f"memory's tier is plaintext: write \"tier\": \"plaintext\"")
    if not derived_from:
        raise InvalidInputError(f"tier {tier!r} is for cubes derived from another cube, and "
                                f"this one names none in derived_from; a memory's tier is "
                                f"plaintext: write \"tier\": \"plaintext\"")


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


def check_utc_range(value: datetime | None, name: str) -> datetime | None:
    """A time the store can keep: SQL holds UTC, so an aware time whose UTC equivalent falls
    outside years 1..9999 ("0001-01-01T00:00:00+14:00") is refused here (ValueError) instead
    of failing inside the database driver."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        try:
            value.astimezone(UTC)
        except OverflowError:
            raise ValueError(f"{name} {value.isoformat()} is out of range in UTC; give a "
                             f"time from year 1 to year 9999 in UTC") from None
    return value


def as_utc(moment: datetime) -> datetime:
    """`moment` with a time zone: a naive time is UTC, as the store writes it (docs/SDK.md,
    Conventions), so naive and aware times compare."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def ended_by(valid_to: datetime | None, now: datetime) -> bool:
    """Whether a memory whose validity ends at `valid_to` (None: no end) has ended by `now`:
    a fact written as past, or one an update ended."""
    return valid_to is not None and as_utc(valid_to) <= as_utc(now)


def utc_time(value: datetime | None, name: str) -> datetime | None:
    """A cube's time as the store keeps it: in range (check_utc_range) and aware, in UTC. A
    naive time is UTC (docs/SDK.md, Conventions), so a version written from the caller's naive
    time equals one copied from the row: no TypeError comparing the two, no diff that is none."""
    check_utc_range(value, name)
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def iso_time_only(value: Any) -> Any:
    """Before pydantic parses a time: refuse a number, or a string of one. pydantic reads
    it as seconds since 1970, or as milliseconds when it is large, so a "keep until 9999"
    of 253402300800 became 1978 and the memory expired on arrival. A time is a datetime, or
    an ISO 8601 string on the wire."""
    if isinstance(value, (int, float)) or (isinstance(value, str)
                                           and _NUMBER.fullmatch(value.strip())):
        raise ValueError(f"a time is a datetime or an ISO 8601 string such as "
                         f"2026-05-01T12:00:00Z, not a number ({value!r:.30})")
    return value


def check_validity(valid_from: datetime | None, valid_to: datetime | None) -> None:
    """A validity interval that can hold: `valid_from` not after `valid_to` (a time without a
    zone is UTC, as the store reads it). ValueError otherwise."""
    if valid_from is None or valid_to is None:
        return
    start, end = (as_utc(t) for t in (valid_from, valid_to))
    if start > end:
        raise ValueError(f"valid_from {valid_from.isoformat()} is after valid_to "
                         f"{valid_to.isoformat()}; a memory stops being true after it starts: "
                         "give a later valid_to or an earlier valid_from")


def new_id() -> str:
    return uuid.uuid4().hex


def normalize_content(text: str) -> str:
    """The form content hashes are taken of: NFC, whitespace collapsed, case kept."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def content_hash(text: str) -> str:
    return hashlib.sha256(normalize_content(text).encode("utf-8")).hexdigest()


_BLANK_CATEGORIES = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})
# Letters that render as nothing (Hangul fillers, braille blank).
_FILLERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def without_speaker(text: str, speakers: Iterable[Any]) -> str:
    """A conversation turn's words: `text` stripped, without the leading "Speaker: " of the
    first of `speakers` (its speaker, name or role; non-strings skipped) that begins it."""
    text = text.strip()
    for who in speakers:
        if isinstance(who, str) and who and text.lower().startswith(who.lower() + ":"):
            return text[len(who) + 1:].strip()
    return text


def is_blank(text: str) -> bool:
    """True when `text` holds nothing visible: only whitespace, separators and format
    characters (zero-width spaces and joiners, BOM, soft hyphen, ...)."""
    return all(ch.isspace() or ch in _FILLERS or unicodedata.category(ch) in _BLANK_CATEGORIES
               for ch in text)


def check_stored_text(value: str, what: str) -> str:
    """Refuse what either backend cannot store, so a store exports and imports between
    SQLite and PostgreSQL: NUL (PostgreSQL refuses it in text and JSON) and lone
    surrogates (not encodable as UTF-8). Raises ValueError naming `what`."""
    if "\x00" in value:
        raise ValueError(f"{what} contains a NUL character (\\x00); remove it")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{what} is not valid Unicode (lone surrogates); decode the source "
                         f"bytes as UTF-8 with errors='replace' first") from None
    return value


def _check_json(value: Any, where: str, depth: int = 0) -> None:
    if depth > 32:
        raise ValueError(f"metadata is nested more than 32 levels deep at {where}; flatten it")
    if isinstance(value, str):
        check_stored_text(value, f"metadata value at {where}")
    elif isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"metadata key {key!r} at {where} must be a string")
            check_stored_text(key, f"metadata key {key!r} at {where}")
            _check_json(item, f"{where}.{key}", depth + 1)
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _check_json(item, f"{where}[{i}]", depth + 1)


# A version number beyond any a cube can reach: SQL binds it as a 32-bit integer, and an
# import line claiming more must not make anyone count that far.
MAX_VERSION = 2**31 - 1

RESERVED_KEY_PREFIX = "memos:"  # metadata keys only the OS writes (blob names, sessions)
# The metadata keys naming the conversation session a turn or a fact was said in, and at which
# turn of it (MemReader episodes and facts, LoCoMo turns): read by retrieval's session
# grouping, left out of another user's read (`stores.repository.as_read_by`).
SESSION_KEY = "session"
TURN_KEY = "turn"


def check_user_metadata(metadata: Any) -> None:
    """Refuse metadata keys the OS reserves for itself: a caller (or an import file) naming a
    blob or a session in a cube's metadata could otherwise point the OS at another user's
    tensors. And integers (at any depth) outside the signed 64-bit range, which no search
    filter can match (`meta` filter values are 64-bit): stored, they could never be found."""
    from collections.abc import Mapping

    if isinstance(metadata, Mapping):
        for key in list(metadata):
            if isinstance(key, str) and key.startswith(RESERVED_KEY_PREFIX):
                raise ValueError(f"metadata key {key!r} is reserved: keys starting with "
                                 f"{RESERVED_KEY_PREFIX!r} are written by memos itself; "
                                 f"rename the key")
        _check_int_range(metadata, "metadata")


# The integers a metadata filter can match: -(2**63 - 1) .. 2**63 - 1 (stores/filters.py).
MAX_META_INT = 2**63 - 1


def _check_int_range(value: Any, where: str, depth: int = 0) -> None:
    """ValueError for an integer beyond +-MAX_META_INT in `value` (nested dicts and
    lists, to MemCube's depth limit). The value itself is not quoted: a huge one has more
    digits than Python converts to text."""
    from collections.abc import Mapping

    if depth > 33:
        return  # deeper than MemCube allows: its validation says so
    if isinstance(value, int) and not isinstance(value, bool):
        if abs(value) > MAX_META_INT:
            raise ValueError(f"metadata value at {where} is an integer outside the signed "
                             f"64-bit range (-{MAX_META_INT} to {MAX_META_INT}), which no "
                             f"search filter can match; store it as a string (\"...\") "
                             f"instead")
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _check_int_range(item, f"{where}.{key}", depth + 1)
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _check_int_range(item, f"{where}[{i}]", depth + 1)


def nfc_json(value: Any) -> Any:
    """A JSON value with every string in it, keys too, in NFC: the composed and decomposed
    spellings of one word are one value to a metadata filter (which takes its value in NFC
    too), as they are one id. Two keys that differ only so are refused (ValueError): one
    would be lost."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, dict):
        out = {nfc_json(k): nfc_json(v) for k, v in value.items()}
        if len(out) < len(value):
            twins = sorted({str(k)[:40] for k in value} - {str(k)[:40] for k in out})[:3]
            raise ValueError(f"metadata keys {twins} are the same key as another in another "
                             f"Unicode form (NFC); keep one of them")
        return out
    if isinstance(value, list):
        return [nfc_json(v) for v in value]
    return value


def check_metadata_key(key: Any) -> str:
    """A top-level metadata key: one that search filters can name (`meta` filter)."""
    if not isinstance(key, str) or not key or is_blank(key):
        raise ValueError(f"metadata key {key!r} must be a non-empty string")
    check_stored_text(key, f"metadata key {key!r}")
    if '"' in key or "\\" in key or any(unicodedata.category(ch) == "Cc" for ch in key):
        raise ValueError(f"metadata key {key!r} contains a quote, backslash or control "
                         f"character, which filters cannot name; rename the key")
    return key


def normalize_id(value: str, what: str) -> str:
    """A user, agent or session id in NFC, so the composed and decomposed spellings of one
    name are one id. Refuses ids that show nothing (only whitespace or zero-width
    characters) and ids with control or bidirectional-override characters."""
    check_stored_text(value, what)
    value = unicodedata.normalize("NFC", value)
    if is_blank(value):
        raise ValueError(f"{what} {value!r} is empty or only whitespace/zero-width "
                         f"characters; pass a visible id such as 'alice'")
    bad = [ch for ch in value if unicodedata.category(ch) == "Cc" or ch in BIDI_CONTROLS]
    if bad:
        raise ValueError(f"{what} {value!r} contains control or bidirectional-override "
                         f"characters {bad!r}; use printable characters only")
    return value


# Control characters (C0, DEL, C1), bidirectional overrides and isolates, lone surrogates.
_UNSAFE_CHARS = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


MAX_SECONDS = 86_400  # a time limit given in seconds is at most a day


def check_seconds(value: Any, name: str) -> float:
    """`value` as a time limit in seconds, above 0 and at most MAX_SECONDS, else
    InvalidInputError naming `name` (the LLM timeouts, memos.Client's timeout)."""
    from memos.errors import InvalidInputError

    if (isinstance(value, bool) or not isinstance(value, (int, float))
            or not 0 < value <= MAX_SECONDS):  # (NaN fails too)
        raise InvalidInputError(f"{name} must be seconds above 0 (at most {MAX_SECONDS}), got "
                                f"{value!r:.40}")
    return float(value)


def without_controls(text: str, *, keep_lines: bool = False) -> str:
    """`text` without what untrusted text (an LLM's) may not bring into a memory or onto a
    terminal: control characters (NUL, which the store refuses; ESC, which a terminal
    obeys), bidirectional overrides and lone surrogates (not UTF-8). A whitespace control
    becomes a space, or with `keep_lines` a line break or tab stays and the others go."""
    def swap(m: re.Match[str]) -> str:
        ch = m.group()
        if keep_lines:
            return ch if ch in "\n\t" else ""
        return " " if ch.isspace() else ""

    return _UNSAFE_CHARS.sub(swap, text)


class Scope(BaseModel):
    """Who a cube belongs to. `user_id` is required; narrower fields are optional. An unknown
    field is an error, not ignored: a misspelt `agent_id` would widen the scope to the user."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    user_id: str = Field(min_length=1, max_length=256)
    agent_id: str | None = Field(default=None, max_length=256)
    session_id: str | None = Field(default=None, max_length=256)
    visibility: Visibility = Visibility.PRIVATE

    @field_validator("user_id", "agent_id", "session_id")
    @classmethod
    def _id_is_normal(cls, value: str | None, info: Any) -> str | None:
        return None if value is None else normalize_id(value, info.field_name)

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

    @field_validator("at", mode="before")
    @classmethod
    def _at_not_a_number(cls, value: Any) -> Any:
        return iso_time_only(value)

    @field_validator("at")
    @classmethod
    def _at_storable(cls, value: datetime | None) -> datetime | None:
        return utc_time(value, "source at")

    @field_validator("kind", "ref", "role", "text")
    @classmethod
    def _storable(cls, value: str | None, info: Any) -> str | None:
        if value is not None:
            check_stored_text(value, f"source {info.field_name}")
            # The widths of the `sources` columns (PostgreSQL enforces them; SQLite would not).
            limit = {"kind": 32, "ref": 512, "role": 128}.get(info.field_name)
            if limit is not None and len(value) > limit:
                raise ValueError(f"source {info.field_name} is {len(value)} characters, over "
                                 f"{limit}; shorten it")
        return value


class DerivedFrom(BaseModel):
    model_config = ConfigDict(frozen=True)

    cube_id: str = Field(min_length=1, max_length=64)
    version: int = Field(ge=1, le=MAX_VERSION)


class AccessStats(BaseModel):
    hits: int = 0
    last_access: datetime | None = None

    @field_validator("last_access", mode="before")
    @classmethod
    def _time_not_a_number(cls, value: Any) -> Any:
        return iso_time_only(value)

    @field_validator("last_access")
    @classmethod
    def _time_storable(cls, value: datetime | None) -> datetime | None:
        return utc_time(value, "last_access")


class MemCube(BaseModel):
    """One memory, at one version."""

    id: str = Field(default_factory=new_id)
    tier: Tier = Tier.PLAINTEXT
    kind: Kind = Kind.FACT
    content: str
    scope: Scope
    version: int = Field(default=1, ge=1, le=MAX_VERSION)
    state: Lifecycle = Lifecycle.ACTIVE
    sources: list[SourceRef] = Field(default_factory=list)
    derived_from: list[DerivedFrom] = Field(default_factory=list)
    model_fingerprint: str | None = Field(default=None, max_length=128)  # activation / parametric
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
        # Stored as JSON (JSONB on PostgreSQL, which also refuses NaN, NUL and lone
        # surrogates): check it here, so a bad value is an InvalidInputError at the
        # boundary, not a driver error mid-write, and the same on both backends.
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError, RecursionError) as exc:
            raise ValueError(f"metadata must hold JSON values (str, finite number, bool, "
                             f"null, list, dict): {exc}") from None
        for key in value:
            check_metadata_key(key)
        _check_json(value, "metadata")
        return nfc_json(value)

    @field_validator("confidence", "importance", mode="before")
    @classmethod
    def _score_is_a_number(cls, value: Any, info: Any) -> Any:
        if isinstance(value, bool):  # pydantic would read True as 1.0
            raise ValueError(f"{info.field_name} must be a number from 0 to 1, got {value!r}")
        return value

    @field_validator("tags")
    @classmethod
    def _tags_are_storable(cls, value: list[str]) -> list[str]:
        # In NFC (the composed and decomposed spellings of "café" are one tag, as ids are),
        # each once: a tag said twice is one tag
        value = list(dict.fromkeys(unicodedata.normalize("NFC", t) if isinstance(t, str) else t
                                   for t in value))
        for tag in value:
            check_stored_text(tag, f"tag {tag[:40]!r}")
            if not tag or is_blank(tag):
                raise ValueError("a tag is empty or only whitespace; give every tag some text")
            if len(tag) > MAX_TAG_CHARS:
                raise ValueError(f"tag {tag[:40]!r}... is {len(tag)} characters, over "
                                 f"{MAX_TAG_CHARS}; shorten it")
        return value

    @field_validator("valid_from", "valid_to", "recorded_at", "expires_at", mode="before")
    @classmethod
    def _time_not_a_number(cls, value: Any) -> Any:
        return iso_time_only(value)

    @field_validator("valid_from", "valid_to", "recorded_at", "expires_at")
    @classmethod
    def _time_storable(cls, value: datetime | None, info: Any) -> datetime | None:
        return utc_time(value, info.field_name)

    @field_validator("model_fingerprint")
    @classmethod
    def _fingerprint_storable(cls, value: str | None) -> str | None:
        return None if value is None else check_stored_text(value, "model_fingerprint")

    @field_validator("content")
    @classmethod
    def _content_is_text(cls, value: str) -> str:
        if not value or is_blank(value):
            raise ValueError("content is empty or only whitespace/zero-width characters; "
                             "give the memory some text")
        size = len(value.encode("utf-8", errors="surrogatepass"))
        if size > MAX_CONTENT_BYTES:
            raise ValueError(
                f"content is {size:,} bytes, over the {MAX_CONTENT_BYTES:,}-byte limit; "
                "split it into smaller memories or store it as chunked documents"
            )
        check_stored_text(value, "content")  # NUL, lone surrogates: refused on both backends
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
