"""Request bodies and the few response types the SDK has no pydantic model for.

Responses are the SDK's own result types (MemCube, AddResult, SearchHit, ...): this module
adds pages (a list and an opaque cursor), the JSON forms of the `Recall` and `Answer`
dataclasses, and problem details (RFC 9457). Requests forbid unknown fields, so a misspelled
option is a 422, never silently ignored.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
)

from memos.cube import MemCube, SourceRef, Visibility, iso_time_only
from memos.errors import InvalidInputError
from memos.results import Neighbor, SearchHit, VersionRecord
from memos.search import MAX_K

T = TypeVar("T")

# A time on the wire is an ISO 8601 string, never a number (memos.cube.iso_time_only).
Time = Annotated[datetime | None, BeforeValidator(iso_time_only)]

MAX_PAGE = 1000  # items per page of history, lists and neighbors
MAX_SEARCH_PAGE = MAX_K  # hits per page of search: the SDK's largest k
MAX_QUERY_CHARS = 10_000
# Generation holds the server's one model for its whole run (256 tokens took 3.5 s on
# 2 CPU cores): a bound keeps one caller from holding it for long (SDK callers: no bound).
MAX_NEW_TOKENS = 80  # MemOS.answer's default: every trained value ends before it


# An item of `sources` in a request is memos.cube.SourceRef refusing unknown fields, as
# every request body does (a misspelled "rol" is a 422, not a source without its role).
# SourceRef itself is left as it is: stored cubes are read with it, whatever fields older
# versions wrote. `_source_ref` hands the SDK a plain SourceRef.
class WireSourceRef(SourceRef):
    """Where the memory's content came from: a message, a document, or another cube version
    (unknown fields are refused)."""

    model_config = ConfigDict(frozen=True, extra="forbid", title="SourceRef")


def _source_ref(value: WireSourceRef) -> SourceRef:
    """The SDK's own SourceRef of a checked wire item (its checks already ran)."""
    return SourceRef.model_construct(_fields_set=set(value.model_fields_set), **dict(value))


Source = Annotated[WireSourceRef, AfterValidator(_source_ref)]


def _finite(value: Any) -> Any:
    """NaN and infinities refused in the SDK's words, before a range check would say "less
    than or equal to 1" of a NaN (JSON bodies may carry NaN and Infinity: Python reads them)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("the number is NaN or infinite; pass finite numbers")
    return value


# A number of a request body: a JSON number only ("1" is no number), and finite.
Number = Annotated[StrictFloat, BeforeValidator(_finite)]


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")

    def fields(self, *, exclude: set[str] | None = None) -> dict[str, Any]:
        """The fields the caller sent (the SDK's defaults apply to the others). A null sent
        is handed on as None, for the SDK to take or refuse as MemOS does ("tags": null is
        refused as tags=None is; "metadata": null is no metadata)."""
        return {name: getattr(self, name) for name in self.model_fields_set
                if name not in (exclude or set())}


class CubeFields(Request):
    """Optional fields of a new memory (MemOS.add's keyword arguments)."""

    kind: str | None = Field(None, description="fact, preference, episode, event, profile, "
                             "document or message (default fact)")
    tags: list[str] | None = None
    metadata: dict[str, Any] | None = None
    sources: list[Source] | None = None
    importance: Number | None = Field(None, ge=0.0, le=1.0)
    confidence: Number | None = Field(None, ge=0.0, le=1.0)
    valid_from: Time = None
    valid_to: Time = Field(None, description="When it stopped being true: a past fact (not "
                           "after now) supersedes nothing.")
    expires_at: Time = None
    ttl: Number | None = Field(None, description="Seconds until the memory expires.")
    entities: list[str] | None = None
    supersedes: list[str] | None = None


class AddRequest(CubeFields):
    content: str = Field(description="The memory's text (up to 1 MB of UTF-8).")
    visibility: Visibility | None = Field(
        None, description="private (default), shared with the user's agents, or public.")
    session_id: str | None = Field(None, description="Session of the scope, if any.")


class BatchItem(CubeFields):
    content: str


class BatchAddRequest(Request):
    items: list[BatchItem | str] = Field(description="Texts, or objects with content and "
                                         "the fields of a single add.")
    visibility: Visibility | None = None
    session_id: str | None = None


class UpdateRequest(Request):
    content: str | None = None
    kind: str | None = None
    tags: list[str] | None = None
    metadata: dict[str, Any] | None = None
    importance: Number | None = Field(None, ge=0.0, le=1.0)
    confidence: Number | None = Field(None, ge=0.0, le=1.0)
    valid_from: Time = None
    valid_to: Time = None
    expires_at: Time = None
    clear: list[Literal["valid_from", "valid_to", "expires_at"]] | None = Field(
        None, description="Times to remove (a null above changes nothing): valid_from (no "
        "known start), valid_to (it holds on), expires_at (it never expires).")
    reason: str | None = None


class SupersedeRequest(CubeFields):
    """The new memory's fields are add's (MemOS.supersede hands them to add)."""

    content: str | None = Field(None, description="The new text (exactly one of content, by).")
    by: str | None = Field(None, description="Id of an existing cube that replaces this one.")
    reason: str | None = None
    ended_at: Time = Field(None, description="With by: when this cube stopped holding (not "
                           "before its valid_from, not after now); default: when the cube "
                           "`by` began or was said, else now.")


class ReasonRequest(Request):
    reason: str | None = None


class RollbackRequest(Request):
    to_version: StrictInt


class LinkRequest(Request):
    dst_id: str = Field(description="A cube id, or entity:<name>.")
    relation: str = "related"
    weight: Number = 1.0


class SearchRequest(Request):
    query: str = Field(max_length=MAX_QUERY_CHARS)
    limit: StrictInt = Field(10, ge=1, le=MAX_SEARCH_PAGE,
                             description="Hits per page (k of one page).")
    cursor: str | None = Field(None, description="next_cursor of the previous page.")
    filters: dict[str, Any] | None = Field(None, description="A filter expression "
                                           "(docs/SDK.md): kind, tag, meta, and/or/not, ...")
    kind: str | list[str] | None = None
    tags: str | list[str] | None = None
    since: Time = None
    until: Time = None
    metadata: dict[str, Any] | None = None
    tiers: str | list[str] | None = None
    retrievers: str | list[str] | None = None
    include_superseded: StrictBool | None = None
    record_access: StrictBool | None = None
    fold: StrictBool | None = Field(None, description="false: a derived fact and the turn it came "
                              "from are two hits (default: one hit, the other in `folded`)")
    as_of: Time = Field(None, description="Only what held then (valid_from, else recorded_at, "
                        "not after it; valid_to after it), superseded memories included.")


class RecallRequest(Request):
    query: str = Field(max_length=MAX_QUERY_CHARS)
    k: StrictInt = Field(8, ge=1, le=256)


class AnswerRequest(Request):
    question: str = Field(max_length=MAX_QUERY_CHARS)
    k: StrictInt = Field(8, ge=1, le=256)
    max_new_tokens: StrictInt = Field(MAX_NEW_TOKENS, ge=1, le=MAX_NEW_TOKENS)
    own_only: StrictBool = Field(False, description="Read only the key user's own memories, not "
                           "other users' public ones.")
    memories: list[str] | None = Field(
        None, max_length=256, description="Ids of the memories to read (the first k facts and "
        "preferences among them) instead of a search; each must be one the key can read.")


class IngestRequest(Request):
    messages: list[dict[str, Any]] = Field(description='Chat messages: {"role", "content", '
                                           '"name"?, "at"?, "used"?}.')
    session_id: str
    at: Time = None
    mode: str = "rules"
    user_name: str | None = None


class CheckRequest(Request):
    repair: StrictBool = False


class ReindexRequest(Request):
    embedder: str | None = Field(None, description="An embedder name such as 'hashing' or "
                                 "'minilm' (a folder path is refused over HTTP).")


class GcRequest(Request):
    user_id: str | None = Field(None, description="Only this user's cubes (default: all).")
    agent_id: str | None = Field(None, description="With user_id: only what this agent of the "
                                 "user may change, as MemOS.gc(scope=...) (default: every cube "
                                 "of the user).")


class PurgeUserRequest(Request):
    user_id: str
    agent_id: str | None = Field(None, description="Only what this agent of the user may "
                                 "change (default: every cube of the user).")
    reason: str | None = None


# -- responses --------------------------------------------------------------------------


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page; "
                                    "null on the last page.")


class SearchPage(Page[SearchHit]):
    pass


class HistoryPage(Page[MemCube]):
    pass


class NeighborPage(Page[Neighbor]):
    pass


class VersionsPage(Page[VersionRecord]):
    pass


class WhoAmI(BaseModel):
    key_id: str
    user_id: str
    agent_id: str | None = None
    admin: bool = False


class RecallResult(BaseModel):
    """`memos.activation.Recall` without its tensors (slots stay on the server)."""

    cubes: list[tuple[str, int]]
    hits: int
    misses: int
    skipped: list[tuple[str, str]] = Field(default_factory=list)
    seconds: dict[str, float] = Field(default_factory=dict)
    model_fingerprint: str = ""


class AnswerResult(BaseModel):
    """`memos.activation.Answer`."""

    text: str
    cubes: list[tuple[str, int]]
    hits: int
    misses: int
    seconds: dict[str, float] = Field(default_factory=dict)
    model_fingerprint: str
    skipped: list[tuple[str, str]] = Field(default_factory=list)
    tier: str = Field("activation", description='Which tier answered: "parametric" (an '
                      'adapter, closed-book), "activation" (the retrieved memories\' slots) or '
                      '"plaintext" (no memory read states what was asked: the model abstains, '
                      'text "")')
    adapter_id: str | None = None
    adapter_version: int | None = None
    adapter_fingerprint: str | None = None


class Problem(BaseModel):
    """RFC 9457 problem details, with the memos error class that the Python client raises."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    memos_error: str
    errors: list[Any] | None = None


# -- cursors ----------------------------------------------------------------------------


def request_key(params: dict[str, Any]) -> str:
    """A short fingerprint of the parameters a cursor belongs to."""
    text = json.dumps(params, sort_keys=True, default=str, ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def encode_cursor(position: int, key: str, pool: int | None = None) -> str:
    """An opaque cursor: the position of the next page, the request it belongs to, and for
    search the candidate pool its first page was ranked with."""
    data: dict[str, Any] = {"p": position, "k": key}
    if pool is not None:
        data["n"] = pool
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def by_version(items: Sequence[Any], start: int, limit: int, key: str
               ) -> tuple[list[Any], str | None]:
    """A page of a cube's versions (anything with `.version`, oldest first) after version
    `start`, and the cursor of the next page (None on the last)."""
    page = [item for item in items if item.version > start][:limit]
    more = bool(page) and page[-1].version < items[-1].version
    return page, encode_cursor(page[-1].version, key) if more else None


def decode_cursor(cursor: str | None, key: str) -> int:
    """The position a cursor of history or neighbors points at (0 without one). A cursor is
    opaque: one that was not made by this server for these parameters is bad input."""
    if cursor is None:
        return 0
    return _decoded(cursor, key, {"p", "k"}, MAX_POSITION)["p"]


# Cursors are not signed (a key would need configuring, and sharing by every worker process
# of a store), so what one may hold is bounded by what this server makes: a history or
# neighbors position, a search position (a page ends at most at the SDK's largest k: a
# paged search reaches no further, `search_page`) and the search's first-page pool
# (RetrievalConfig.widest_at_depth(limit): its caller passes the least and the largest it
# makes). A forged cursor can so make a search walk no further than a real one can.
MAX_POSITION = 1 << 40


def decode_search_cursor(cursor: str | None, key: str, *, pools: tuple[int, int] = (
                             1, MAX_SEARCH_PAGE)) -> tuple[int, int | None]:
    """(position, the first page's candidate pool) of a search cursor; (0, None) without
    one. A cursor is opaque: one that was not made by this server for these parameters
    (or that holds what this server never makes: a position past MAX_SEARCH_PAGE, a pool
    outside `pools`, the least and largest it makes, another field) is bad input."""
    if cursor is None:
        return 0, None
    data = _decoded(cursor, key, {"p", "k", "n"}, MAX_SEARCH_PAGE)
    if not _count(data["n"], *pools):
        raise InvalidInputError(BAD_CURSOR)
    return data["p"], data["n"]


BAD_CURSOR = ("invalid cursor: pass the next_cursor of the previous page unchanged, or leave "
              "it out for the first page")


def _decoded(cursor: str, key: str, fields: set[str], most: int) -> dict[str, Any]:
    """The fields of a cursor, which must be exactly `fields` (`p` a position from 1 to
    `most`), made for the request `key`."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        keys = set(data)
        same = data["k"] == key
    except (ValueError, TypeError, KeyError, AttributeError, binascii.Error,
            UnicodeDecodeError, RecursionError):
        raise InvalidInputError(BAD_CURSOR) from None
    if not isinstance(data, dict) or keys != fields or not _count(data["p"], 1, most):
        raise InvalidInputError(BAD_CURSOR)
    if not same:
        raise InvalidInputError("this cursor belongs to another request: repeat the same "
                                "parameters with it, or leave it out for the first page")
    return data


def _count(value: Any, least: int, most: int) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool)
            and least <= value <= most)


# -- validation errors, in words ---------------------------------------------------------

# What a time field takes, in the words of memos.cube.iso_time_only but without the value
# that failed (its message ends "not a number (12345)").
TIME_WORDS = ("a time is an ISO 8601 string such as 2026-05-01T12:00:00Z (or a date, "
              "2026-05-01)")
MAX_SAID = 5  # most problems one message names


MAX_LOC_CHARS = 64  # of one part of a field's path (a key the caller made up may be huge)


def short_loc(loc: Sequence[Any]) -> list[Any]:
    """A field's path, each key cut to MAX_LOC_CHARS: an unknown key is the caller's data."""
    return [p if isinstance(p, int) or len(str(p)) <= MAX_LOC_CHARS
            else str(p)[:MAX_LOC_CHARS - 1] + "\u2026" for p in loc]


def _said(error: Mapping[str, Any]) -> str:
    """What one pydantic error says the field takes, without the value that failed."""
    kind = str(error.get("type", ""))
    msg = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    if kind.startswith(("datetime_", "date_")) or msg.startswith("a time is a datetime"):
        return TIME_WORDS
    return msg if len(msg) <= 300 else msg[:299] + "\u2026"


def invalid_words(errors: Sequence[Mapping[str, Any]], what: str) -> str:
    """pydantic's errors as one short line, "invalid {what}: {field}: {what it takes}; ...":
    each field named, never the value that failed (the caller sent it: echoing it back may
    return a secret or a megabyte), no pydantic report around it. The REST app's 422 detail
    and the MCP tools' argument errors both say it in these words."""
    said = [": ".join(p for p in (".".join(str(part) for part in short_loc(e.get("loc", ()))),
                                  _said(e)) if p) for e in errors[:MAX_SAID]]
    more = f" (and {len(errors) - MAX_SAID} more)" if len(errors) > MAX_SAID else ""
    return f"invalid {what}: {'; '.join(said) or 'invalid value'}{more}"


__all__ = ["AddRequest", "AnswerRequest", "AnswerResult", "BatchAddRequest", "CheckRequest",
           "GcRequest", "HistoryPage", "IngestRequest", "LinkRequest", "MAX_PAGE",
           "MAX_SEARCH_PAGE",
           "NeighborPage", "Page", "Problem", "PurgeUserRequest", "ReasonRequest",
           "RecallRequest", "RecallResult", "ReindexRequest", "RollbackRequest",
           "SearchPage", "SearchRequest", "SupersedeRequest", "UpdateRequest", "VersionsPage",
           "WhoAmI",
           "decode_cursor", "decode_search_cursor", "encode_cursor", "invalid_words",
           "request_key"]
