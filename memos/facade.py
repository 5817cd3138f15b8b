"""`MemOS`: the facade over the plaintext tier (docs/SDK.md is its contract).

SQL is the source of truth; the FAISS, full-text and graph indexes follow the changelog.
Every method takes the caller's scope and checks it before touching a cube.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TextIO

from pydantic import ValidationError
from sqlalchemy import Text, cast, or_, select

from memos import activation, admin, search, transfer
from memos.arguments import check_arguments
from memos.config import (
    DEFAULT_FOLDER,
    IN_MEMORY,
    MemosConfig,
    is_database_url,
    is_in_memory_sqlite,
    resolve_location,
    shown_location,
    store_exists,
    uses_folder_files,
)
from memos.cube import (
    MAX_BATCH,
    MAX_REASON_CHARS,
    MAX_VERSION,
    MEMORY_KINDS,
    Kind,
    Lifecycle,
    MemCube,
    Scope,
    Tier,
    as_utc,
    check_memory_kind,
    check_stored_text,
    check_tier_kind,
    check_user_metadata,
    check_utc_range,
    check_validity,
    content_hash,
    iso_time_only,
    normalize_id,
    utc_time,
    utcnow,
    without_speaker,
)
from memos.embedders import Embedder, approx_index_for
from memos.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    ScopeError,
    StoreError,
)
from memos.parts import StoreParts, not_found
from memos.policies import retention
from memos.results import (
    AddResult,
    CheckReport,
    CubeDiff,
    Edge,
    ExportReport,
    GcReport,
    ImportReport,
    IngestReport,
    Neighbor,
    ProgressFn,
    PurgeReport,
    ReindexReport,
    SearchHit,
    StoreStats,
    VersionRecord,
)
from memos.stores.access import AccessBuffer
from memos.stores.fulltext import FullTextIndex
from memos.stores.graph import ENTITY_PREFIX, GraphIndex, entity_node
from memos.stores.indexer import IndexSync
from memos.stores.repository import (
    Repository,
    as_read_by,
    bulk_clause,
    can_write,
    cube_from_row,
    gone_to,
    like_part,
    live_clause,
    visible_clause,
)
from memos.stores.schema import CubeRow, CubeVersionRow, EdgeRow
from memos.stores.vector_index import INDEX_FILE_NAME, VectorIndex
from memos.writes import (
    ADD_FIELDS,
    Candidate,
    candidate_from_item,
    check_content,
    gone_state,
    invalid,
    is_managed,
    make_candidate,
    mark_superseded,
    refuse_forgotten,
    refuse_gone,
    refuse_managed,
    rollback_conflicts,
    said_at,
    write_batch,
)

if TYPE_CHECKING:
    from memos.activation import ActivationTier, Answer, Recall, SavedSession
    from memos.keys import KeyInfo
    from memos.model.session import SessionState
    from memos.parametric.tier import ConsolidationConfig, ParametricTier
    from memos.results import AdapterInfo, ConsolidationReport, CubePage
    from memos.scheduler import SchedulerConfig, SchedulerReport, SchedulerThread

log = logging.getLogger(__name__)

ScopeLike = Scope | str | Mapping[str, Any]

MAX_DEPTH = 5  # neighbors(): hops; every hop can multiply the cubes returned
# Kinds of cube `answer` gives the built-in model: those in the form it was trained to read.
MODEL_KINDS = ("fact", "preference")
MAX_GIVEN_MEMORIES = 256  # answer(memories=...): ids one call may name (as over REST)
SEARCH_OPTIONS = frozenset({"filters", "kind", "tags", "since", "until", "metadata", "tiers",
                            "retrievers", "include_superseded", "record_access", "fold",
                            "as_of"})


def _int_arg(value: Any, name: str, low: int, high: int) -> int:
    """An int argument in [low, high]; bools, floats, strings and None are refused."""
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise InvalidInputError(f"{name} must be an integer from {low} to {high:,}, "
                                f"got {value!r:.40}")
    return value


def _version_arg(value: Any, name: str = "version") -> int:
    return _int_arg(value, name, 1, MAX_VERSION)


def _bool_arg(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInputError(f"{name} must be True or False, got {value!r:.40}")
    return value


CLEARABLE = ("valid_from", "valid_to", "expires_at")


def _clear_arg(value: Any) -> set[str]:
    """`update`'s `clear`: some of CLEARABLE (a list, tuple or set of their names; None
    clears nothing)."""
    if value is None:
        return set()
    if isinstance(value, str) or not isinstance(value, (list, tuple, set, frozenset)) or \
            not all(isinstance(v, str) and v in CLEARABLE for v in value):
        raise InvalidInputError(f"clear names the times to remove, some of {list(CLEARABLE)} "
                                f"(a list: clear=['valid_to']), got {value!r:.60}")
    return set(value)


def _text_arg(value: Any, name: str, max_chars: int) -> str | None:
    """An optional free-text argument (reason, actor, relation) that both backends store."""
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > max_chars:
        raise InvalidInputError(f"{name} must be text of 1 to {max_chars:,} characters, "
                                f"got {value!r:.40}")
    try:
        return check_stored_text(value, name)
    except ValueError as exc:
        raise InvalidInputError(str(exc)) from None


def _model_text(value: Any, name: str, *, required: bool) -> str:
    """Text the model reads (a question, a session's continuation): a string, non-blank when
    `required`, that encodes as UTF-8 (the model reads bytes) and holds no NUL (the text
    rules of what is stored, which the question's search also applies)."""
    if not isinstance(value, str) or (required and not value.strip()):
        raise InvalidInputError(f"{name} must be a {'non-empty ' if required else ''}string, "
                                f"got {value!r:.40}")
    try:
        return check_stored_text(value, name)
    except ValueError as exc:
        raise InvalidInputError(str(exc)) from None


def _callable_arg(value: Any, name: str) -> None:
    if value is not None and not callable(value):
        raise InvalidInputError(f"{name} must be a function (done, total) -> None, "
                                f"got {value!r:.40}")


def _now_arg(now: Any) -> datetime | None:
    """A `now=` argument: None, or a datetime the store can keep (years 1-9999 in UTC)."""
    if now is None:
        return None
    if not isinstance(now, datetime):
        raise InvalidInputError(f"now must be a datetime, got {now!r:.40}")
    try:
        check_utc_range(now, "now")
    except ValueError as exc:
        raise InvalidInputError(str(exc)) from None
    return now

def _refuse_unlinkable(row: Any) -> None:
    """A link joins live memories: a forgotten or archived cube, or one past its TTL, is
    gone from every read but history (get and update refuse it), so link does too."""
    gone = gone_state(row, utcnow())
    if gone == "forgotten":
        raise ConflictError(f"cube {row.id} was forgotten, so it cannot be linked; restore it "
                            f"with rollback (memos rollback) first, or link a live memory")
    if gone == "archived":  # (gc archives what expired)
        raise ConflictError(f"cube {row.id} expired and was archived, so it cannot be linked; "
                            f"an update with a later expires_at renews it")
    if gone == "expired":
        raise ConflictError(f"cube {row.id} expired at {row.expires_at.isoformat()}, so it "
                            f"cannot be linked; renew it with a later expires_at (memos update "
                            f"--ttl) first")


def _id_arg(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidInputError(f"{name} must be a cube id (a non-empty string), got {value!r:.40}")
    return value


def _ended_arg(value: Any) -> datetime | None:
    """supersede()'s `ended_at`: a datetime, a date (its first moment, UTC), or an ISO 8601
    string (a naive time is UTC; not a number, as the REST API reads it: `iso_time_only`)."""
    if value is None:
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime.combine(value, datetime.min.time(), tzinfo=UTC)
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(iso_time_only(value).strip())
        except ValueError:
            value = None
    if not isinstance(value, datetime):
        raise InvalidInputError("ended_at is when the old cube stopped holding: a datetime, or "
                                "an ISO 8601 string such as 2026-05-01T12:00:00Z")
    try:
        return utc_time(value, "ended_at")
    except ValueError as exc:
        raise InvalidInputError(str(exc)) from None


def _check_end(old: MemCube, end: datetime, now: datetime) -> None:
    """An `ended_at` the old cube can have ended at: not before it began, not after now."""
    if old.valid_from is not None and end < as_utc(old.valid_from):
        raise InvalidInputError(
            f"ended_at {end.isoformat()} is before cube {old.id} began to hold "
            f"({as_utc(old.valid_from).isoformat()}); give a later time, or leave ended_at out")
    if end > now:
        raise InvalidInputError(
            f"ended_at {end.isoformat()} is in the future; a superseded cube has ended: give "
            f"a time up to now, or set the cube's valid_to with update() for an end to come")


def _parts(items: list[str], size: int = 200) -> list[list[str]]:
    """`items` in runs of at most `size`: one OR term each per query (SQLite refuses an
    expression tree deeper than 1,000)."""
    return [items[i:i + size] for i in range(0, len(items), size)]


def _wordings(snap: Mapping[str, Any]) -> list[str]:
    """The texts a version snapshot holds as said: its content, and the near-duplicate
    wordings merged into it (a "merge" source keeps each as it was said, and its session's
    neighbours and transcript quote it in those words)."""
    texts = [str(snap.get("content") or "")]
    texts += [src["text"] for src in snap.get("sources") or [] if isinstance(src, Mapping)
              and src.get("kind") == "merge" and isinstance(src.get("text"), str)]
    return [t for t in texts if t]


def _holds_turn(transcript: str, said: set[str]) -> bool:
    """Whether a saved transcript ("Name: words" per turn, joined by newlines) holds one of
    the turns `said` whole: after a line's "Name: ", up to the end of a line (a turn of
    several lines is several lines of the transcript)."""
    start = 0
    while start <= len(transcript):
        end = transcript.find("\n", start)
        end = len(transcript) if end < 0 else end
        colon = transcript.find(": ", start, end)
        if colon >= 0:
            at = colon + 2
            while at < len(transcript) and transcript[at].isspace():
                at += 1
            for words in said:
                if transcript.startswith(words, at):
                    rest = transcript[at + len(words):].lstrip(" \t\r")
                    if not rest or rest.startswith("\n"):
                        return True
        start = end + 1
    return False


def _fact_link(relation: str) -> str:
    """What joins a MemReader fact's subject to its value in its text: "Dan's city is
    Porto.", "Dan likes jazz."."""
    return f" {relation} " if relation in ("likes", "dislikes") else f"'s {relation} is "


def _fact_name(content: str, relation: str) -> str:
    """The subject as a MemReader fact's text names it ("Dan"), or "" when the text is not
    in the fact's form."""
    name, found, _ = content.partition(_fact_link(relation))
    return name if found else ""


def _statement(snap: Mapping[str, Any], user: str | None = None) -> tuple[str, str] | None:
    """A regex of the ways the assistant states a MemReader fact (its snapshot) in a reply:
    "<Name>'s <attribute> is|was <value>" or "your <attribute> ...", and "<Name> likes
    <value>" or "you like <value>" (dislikes alike), the value whole, and the value; None
    for other cubes. The second person only for a fact about the user (its subject
    "user:<user>", or none given): "your city is Porto" never states Ana's city."""
    meta = snap.get("metadata") or {}
    relation, value = meta.get("relation"), meta.get("value")
    content = str(snap.get("content") or "")
    if (not isinstance(relation, str) or not isinstance(value, str) or not relation.strip()
            or len(value.strip()) < 3):
        return None
    subject = meta.get("subject")
    yours = user is None or not isinstance(subject, str) or subject == f"user:{user}"
    tail = r"(?!\w)"
    name = _fact_name(content, relation)
    if relation in ("likes", "dislikes"):
        who = "|".join([*(["you"] if yours else []), *([re.escape(name)] if name else [])])
        verb = relation[:-1]
        return (rf"\b(?:{who})\s+{verb}s?\s+{re.escape(value)}{tail}", value) if who else None
    whose = "|".join([*(["your"] if yours else []), *([f"{re.escape(name)}'s"] if name else [])])
    if not whose:
        return None
    # "...; your city is Lisbon (it was Porto)": the value this attribute had before. The
    # words between stop at the attribute said again: a reply saying it many times over
    # is read once, not again from each time (quadratic in a long reply).
    attribute = rf"\b(?:{whose})\s+{re.escape(relation)}\s+"
    return (rf"{attribute}(?:is|was)\s+{re.escape(value)}{tail}"
            rf"|{attribute}is\s(?:(?!{attribute})[^();])*\(it was {re.escape(value)}\)"
            ), value


def _restated(cube: MemCube, content: Any) -> dict[str, Any] | None:
    """The metadata of a MemReader fact whose text is changed by `update` without new
    metadata: its `value` (and the value in a multi-valued `attribute`, "allergy=kiwi")
    follows the new text, which must keep the fact's form ("Dan's city is Porto." ->
    "Dan's city is Lisbon."): answers read the value, so a text saying Lisbon over a value
    saying Porto answered both. None for other cubes, or when the value is unchanged."""
    meta = cube.metadata
    relation, value = meta.get("relation"), meta.get("value")
    if (cube.kind not in (Kind.FACT, Kind.PREFERENCE) or not isinstance(relation, str)
            or not isinstance(value, str) or not isinstance(content, str)):
        return None
    link, name = _fact_link(relation), _fact_name(cube.content, relation)
    if not name:
        return None
    # one sentence: the value ends before a sentence mark ("Lisbon. He moved in May" and
    # "Lisbon!" are no values "Lisbon. He moved in May" or "Lisbon!")
    said = re.fullmatch(rf"\s*{re.escape(name)}{re.escape(link)}(?P<v>[^\n]*?)[.!?]*\s*",
                        content, re.IGNORECASE)
    if said is None or not said.group("v").strip() or re.search(
            r"(?<!\b(?:St|Mt|Ft|Dr|Mr|Ms|Jr|Sr|No|Rd))(?<!\b(?:Mrs|Ave))[.!?]\s",
            said.group("v")):  # (not "St. Ives": an abbreviation)
        raise InvalidInputError(
            f"cube {cube.id} is the fact {name}'s {relation} = {value!r}, which answers read "
            "from its metadata; "
            f"give the new text in its form, one sentence (\"{name}{link}<new value>.\"), so "
            "that the value follows it; or give its whole metadata with the new value as "
            "well (on the CLI every key again: --meta replaces them all); or supersede it")
    new = " ".join(said.group("v").split())
    if new == value:
        return None
    attribute = meta.get("attribute")
    out = {**meta, "value": new}
    suffix = "=" + value.lower()
    if isinstance(attribute, str) and attribute.endswith(suffix):
        out["attribute"] = attribute[: -len(suffix)] + "=" + new.lower()
    return out


def _not_managed(cube: MemCube, action: str = "updated or rolled back") -> None:
    """Slots, session states and adapters are made and managed by memos (writes.refuse_managed)."""
    refuse_managed(cube.id, cube.metadata, action)


def _check_k(k: Any) -> int:
    return _int_arg(k, "k", 1, 256)


def _check_session_id(session_id: Any) -> str:
    if not isinstance(session_id, str):
        raise InvalidInputError(f"session_id must be a string, got {type(session_id).__name__}")
    if len(session_id) > 256:
        raise InvalidInputError("session_id is over 256 characters; use a shorter id")
    try:  # the rules of a scope's session id: NFC, no control or invisible-only ids
        return normalize_id(session_id, "session_id")
    except ValueError as exc:
        raise InvalidInputError(str(exc)) from None


def _fold_old_index(folder: Path) -> None:
    """A store folder's `memos.db` opened by its file name or URL kept its indexes in
    `<folder>/memos.index/` before 2026-12-04: a second set beside the folder's own, which a
    purge made through the other spelling never reached. Now every spelling uses the
    folder's own, and what is in `memos.index/` is folded in: a file of the folder's index
    that the folder lacks is moved there (reused: no rebuild), one it has is deleted (stale,
    possibly holding purged vectors; the folder's is current or rebuilt from SQL), blobs
    move into the folder's `blobs/` (one already there is kept: the same name is the same
    content). Files memos did not make are left, and so is the folder then. Best effort:
    another process folding at once, or a read-only folder, leaves it for a later open."""
    old = folder / "memos.index"
    if not old.is_dir():
        return
    moved = deleted = 0
    try:
        for f in sorted(old.iterdir()):
            if not (f.is_file() and INDEX_FILE_NAME.fullmatch(f.name)):
                continue
            target = folder / f.name
            if f.name.startswith("vectors.") and not f.name.endswith(".tmp") \
                    and not target.exists():
                os.replace(f, target)
                moved += 1
            else:
                f.unlink(missing_ok=True)
                deleted += 1
        blobs, dest = old / "blobs", folder / "blobs"
        if blobs.is_dir() and not dest.exists():
            os.replace(blobs, dest)
            moved += 1
        elif blobs.is_dir():
            for src in sorted(blobs.rglob("*")):
                target = dest / src.relative_to(blobs)
                if src.is_file() and not target.exists():
                    target.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(src, target)
                    moved += 1
            shutil.rmtree(blobs, ignore_errors=True)
        with contextlib.suppress(OSError):
            old.rmdir()
    except OSError as exc:
        log.warning("store %s: could not fold %s into the store folder (%s); a later open "
                    "tries again", shown_location(str(folder)), shown_location(str(old)), exc)
        return
    if moved or deleted:
        log.warning("store %s: the indexes in %s (made when the store was opened by its "
                    "memos.db) were folded into the store folder: %d moved, %d stale file(s) "
                    "deleted", shown_location(str(folder)), shown_location(str(old)), moved,
                    deleted)


def as_scope(scope: Any) -> Scope:
    if scope is None:
        raise InvalidInputError("scope is required: pass a user id or memos.Scope(user_id=...)")
    if not isinstance(scope, (Scope, str, Mapping)):
        raise InvalidInputError(f"scope must be a user id, a dict of scope fields (user_id, "
                                f"agent_id, session_id, visibility) or memos.Scope, got "
                                f"{type(scope).__name__}")
    try:
        return Scope.of(scope)
    except (ValidationError, TypeError) as exc:
        if isinstance(exc, ValidationError):
            raise invalid(exc, "scope") from exc
        raise InvalidInputError(f"invalid scope {scope!r}: {exc}") from exc


@check_arguments  # a call that does not bind: InvalidInputError, never TypeError
class MemOS:
    """An open memory store. Use `MemOS.open(...)`; close it (or use `with`)."""

    def __init__(self, repo: Repository, sync: IndexSync, embedder: Embedder,
                 config: MemosConfig, location: str) -> None:
        self._store = StoreParts(repo, sync, embedder, config, location,
                                 AccessBuffer(repo, background=repo.shares_connections()))
        self._tier: ActivationTier | None = None  # made on first recall (loads torch)
        self._param: ParametricTier | None = None  # made on first adapter use
        self._tier_lock = threading.Lock()
        self._scheduler: SchedulerThread | None = None
        self._scratch: tempfile.TemporaryDirectory[str] | None = None  # in-memory stores

    @property
    def embedder(self) -> Embedder:
        """The embedder this store's vectors are made with."""
        return self._store.embedder

    @property
    def config(self) -> MemosConfig:
        """Settings of this open store (dedup threshold, retrieval, batch size, ...)."""
        return self._store.config

    @config.setter
    def config(self, value: MemosConfig) -> None:
        self._store.config = value

    @property
    def backend(self) -> str:
        """The SQL database under the store: "sqlite" or "postgresql"."""
        return self._store.repo.dialect

    @property
    def search_limit(self) -> int | None:
        """How many searches this process runs at once (RetrievalConfig.search_concurrency,
        "auto" resolved); None: no limit."""
        return self._store.search_limit()

    def can_search_at_once(self) -> bool:
        """Whether a search started now would most likely not wait: no other search of this
        process under way or waiting, no index upkeep (reindex, repair) holding the indexes,
        and (a SQLite file) no commit to the database since a search last found every index
        current (after one, a search may first catch up with other processes' writes). A
        server runs such a search on its event loop (memos serve --workers N); the answer
        never changes what a search finds."""
        return self._store.search_at_once()

    @property
    def may_search_at_once(self) -> bool:
        """False where `can_search_at_once()` never says yes (PostgreSQL, in-memory
        SQLite: no file whose changes it could watch)."""
        return self._store.repo.has_file_marks()

    @property
    def location(self) -> str:
        """The folder or URL the store was opened from."""
        return self._store.location

    # -- lifecycle -------------------------------------------------------------------

    @classmethod
    def open(cls, path_or_url: str | os.PathLike[str] | None = None, *,
             embedder: Embedder | str | None = None,
             index_dir: str | os.PathLike[str] | None = None,
             config: MemosConfig | None = None, create: bool = True,
             progress: ProgressFn | None = None) -> MemOS:
        """Open the store at a folder, a SQLite file or a database URL (None: $MEMOS_URL, else
        ./.memos). `create=False` raises StoreError when no store is there yet, instead of
        creating one (what a read of a mistyped path wants). `progress(done, total)` is
        called while the vector index is rebuilt from SQL, when its files are missing or
        were written by an older version (the CLI shows it as a progress bar)."""
        _callable_arg(progress, "progress")
        if config is not None and not isinstance(config, MemosConfig):
            raise InvalidInputError(f"config must be a memos.config.MemosConfig, got "
                                    f"{type(config).__name__}")
        for given in (path_or_url, index_dir):
            if isinstance(given, (str, os.PathLike)) and "\x00" in str(given):
                raise InvalidInputError(f"the store path {str(given)!r:.60} contains a NUL "
                                        "character; pass a folder, a .db file or a database URL")
        config = config or MemosConfig.from_env()
        if index_dir is not None:
            config = config.model_copy(update={"index_dir": str(index_dir)})
        if (path_or_url if path_or_url is not None else config.url) == IN_MEMORY:
            path_or_url = "sqlite://"  # as sqlite3 spells a database in memory
        try:
            url, folder = resolve_location(path_or_url, config)
            location = str(path_or_url or config.url or folder)
            # A file named as the store folder (notes.txt, not a .db): no store is there, and
            # none can be made there (creating or not); a .db file that holds no store either.
            named_file = path_or_url is not None and not is_database_url(str(path_or_url)) \
                and Path(path_or_url).is_file()
            as_folder = named_file and url == f"sqlite:///{Path(path_or_url) / 'memos.db'}"
            exists = not as_folder and (create or store_exists(url))
            a_file = named_file and not exists
            if exists and url.startswith("sqlite:///"):
                Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # /proc, a file where the folder goes, a name too long, ...
            shown = shown_location(str(path_or_url or config.url or DEFAULT_FOLDER))
            raise StoreError(f"cannot open the store at {shown}: {exc.strerror or exc}; pass "
                             "a folder you can write to as --store (or $MEMOS_URL)") from None
        if a_file:
            raise StoreError(f"{shown_location(location)} is a file, not a memos store: pass the "
                             "store's folder (or its memos.db) as --store, or create a store "
                             "with `memos init --store NEW_FOLDER`")
        if not exists:
            shown = shown_location(location)
            raise StoreError(
                f"no memos store at {shown}: create it with `memos init --store {shown}` "
                "(MemOS.open(..., create=True)), or pass the right --store (or $MEMOS_URL)")
        scratch: tempfile.TemporaryDirectory[str] | None = None
        repo = Repository(url, config.busy_timeout_ms)
        try:
            if config.index_dir is None and is_in_memory_sqlite(url):
                # Nothing of an in-memory store outlives it: its vector files and blobs go to
                # a private folder removed on close, never into ./.memos, a real store's.
                scratch = tempfile.TemporaryDirectory(prefix="memos-in-memory-")
                folder = Path(scratch.name)
            emb, store_id = admin.resolve_embedder(repo, embedder, config)
            own = uses_folder_files(url, folder, config)  # a store folder's, however named
            if own and scratch is None:
                _fold_old_index(folder)
            basename = ("vectors" if own or not is_database_url(location)
                        else f"vectors-{store_id[:12]}")
            vectors = VectorIndex(folder, emb.dim, emb.identity, config.flat_max,
                                  config.retrieval.ivf_nprobe, store_id, basename,
                                  approx=approx_index_for(emb, config.vector_index),
                                  probe_share=config.retrieval.ivf_probe_share)
            # Index upkeep runs holding the index lock: its connections come from a pool of
            # their own (Repository.upkeep_twin).
            sync = IndexSync(repo.upkeep_twin(), vectors, FullTextIndex.for_engine(repo.engine),
                             GraphIndex(), emb.embed)
            sync.open(progress)
        except OSError as exc:  # the index files: not writable, a folder in their place, ...
            repo.close()
            if scratch is not None:
                scratch.cleanup()
            where = f" ({exc.filename})" if exc.filename else ""
            raise StoreError(f"cannot use the vector index files of {shown_location(location)}"
                             f"{where}: {exc.strerror or exc}; make them writable, or move "
                             "them away (they are rebuilt from SQL on the next open)") from None
        except BaseException:
            repo.close()
            if scratch is not None:
                scratch.cleanup()
            raise
        mem = cls(repo, sync, emb, config, location)
        mem._scratch = scratch
        return mem

    def close(self) -> None:
        if self._store.closed:
            return
        self.stop_scheduler()
        self._store.close_workers()
        self._store.access.stop()  # its background writer; flush() writes what is left
        try:  # a save that fails (a full disk) is reported, and the store is closed all the same
            self.flush()
        finally:
            self._store.repo.close()
            self._store.closed = True
            if self._scratch is not None:  # an in-memory store's files (open)
                self._scratch.cleanup()
                self._scratch = None

    def warm(self) -> None:
        """Load now what a long-running process keeps in memory for searching, instead of
        after its first searches: on SQLite stores, the copy of the columns that admit
        search candidates (stores/admit.py), and the in-memory copy of the full-text index
        (stores/bm25.py; its cost at 100k memories is in docs/SDK.md). `memos serve` calls it
        before it answers. Searches are correct without it; they are slower until it is
        loaded."""
        store = self._store
        store.catch_up()
        if store.uses_fulltext_memory():
            store.sync.warm_memory()
        if store.config.retrieval.admission_in_memory and store.repo.dialect == "sqlite":
            store.sync.warm_admission()

    def flush(self) -> None:
        """Write buffered access statistics and the FAISS files."""
        self._store.flush_access()
        if self._store.vectors.dirty:
            self._store.save_vectors()

    def __enter__(self) -> MemOS:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _new_version(self, cube_id: str, scope: ScopeLike, op: str, reason: str | None = None,
                     *, cascade: Callable[[Any], list[str]] | None = None,
                     **changes: Any) -> MemCube:
        """Write the next version of one cube; `cascade(session)` changes further cubes in the
        same transaction (and returns their ids), so the two commit or fail together."""
        sc = as_scope(scope)
        reason = _text_arg(reason, "reason", MAX_REASON_CHARS)
        with self._store.write() as session:
            row = self._store.row(session, cube_id, sc, write=True)
            current = cube_from_row(row)
            if op == "forget" and current.state == Lifecycle.FORGOTTEN:
                # Forgotten already (a retried call): no version that says nothing new.
                return current
            if op == "forget":
                _not_managed(current, "forgotten")
            data = current.model_dump()
            data.update(changes)
            data["version"] = row.version + 1
            if "content" in changes:
                data["content"] = check_content(changes["content"])
                data["content_hash"] = ""
            try:
                cube = MemCube.model_validate(data)
                if changes.keys() & {"valid_from", "valid_to"}:
                    check_validity(cube.valid_from, cube.valid_to)
            except ValidationError as exc:
                raise invalid(exc) from exc
            except ValueError as exc:
                raise InvalidInputError(str(exc)) from None
            if op == "update":  # again where writes take turns: a forget, an archive or an
                # expiry that came since update() read the cube wins
                refuse_forgotten(row)
                refuse_gone(row, cube.expires_at if "expires_at" in changes else None,
                            forever="expires_at" in changes and cube.expires_at is None)
                if row.state == Lifecycle.ARCHIVED.value:  # renewed (refuse_gone): live again
                    cube = cube.model_copy(update={"state": Lifecycle.ACTIVE})
            self._store.repo.write_version(session, row, cube, op, reason)
            if reason is not None or op == "forget":
                self._store.repo.audit(session, op, cube_id, reason, {"version": cube.version},
                                 actor=sc.agent_id or sc.user_id)
            also = cascade(session) if cascade is not None else []
            if cube.state != Lifecycle.FORGOTTEN:  # forget_derived erased the blobs
                activation.invalidate_in(session, self._store, cube_id, cube.version, sc)
        self._store.after_write(1 + len(also))
        self._drop_cached(cube_id, keep_version=None if cube.state == Lifecycle.FORGOTTEN
                          else cube.version)
        return cube

    def _drop_cached(self, cube_id: str, keep_version: int | None) -> None:
        """Drop this process's RAM slots of a cube (all, or all but one version)."""
        if self._tier is not None:
            self._tier.cache.discard(lambda k: k[0] == cube_id and k[1] != keep_version)

    # -- writes ----------------------------------------------------------------------

    def add(self, content: str | bytes, scope: ScopeLike, **fields: Any) -> AddResult:
        sc = as_scope(scope)
        unknown = set(fields) - ADD_FIELDS
        if unknown:
            raise InvalidInputError(f"add() got unknown argument(s) {sorted(unknown)}")
        cand = make_candidate(content, sc, self.embedder.dim, now=utcnow(), **fields)
        cand.given = frozenset(fields)  # (the keywords given, at their defaults too)
        return self._written(write_batch(self._store, [cand]))[0]

    def _written(self, results: list[AddResult]) -> list[AddResult]:
        """After a write batch: the RAM slots of the cubes it superseded are dropped (their
        stored slots were retired in the write's transaction, writes.mark_superseded)."""
        for result in results:
            for old_id in result.superseded:
                self._drop_cached(old_id, keep_version=None)
        return results

    def add_many(self, items: Iterable[Any], scope: ScopeLike, *, batch_size: int | None = None,
                 progress: ProgressFn | None = None) -> list[AddResult]:
        sc = as_scope(scope)
        size = self.config.batch_size if batch_size is None else _int_arg(
            batch_size, "batch_size", 1, MAX_BATCH)
        _callable_arg(progress, "progress")
        if isinstance(items, (str, bytes, Mapping)) or not isinstance(items, Iterable):
            raise InvalidInputError(f"add_many() takes a list of items (texts, dicts with "
                                    f"'content', or MemCubes), got {items!r:.60}")
        total = len(items) if isinstance(items, Sequence) else None
        now = utcnow()
        if isinstance(items, Sequence):
            # Every item is validated before the first batch is written, so a bad item
            # leaves the store unchanged (a generator is validated batch by batch).
            items = [candidate_from_item(item, i, sc, self.embedder.dim, now)
                     for i, item in enumerate(items)]
        out: list[AddResult] = []
        batch: list[Candidate] = []
        for i, item in enumerate(items):
            batch.append(item if isinstance(item, Candidate)
                         else candidate_from_item(item, i, sc, self.embedder.dim, now))
            if len(batch) >= size:
                out.extend(self._written(write_batch(self._store, batch)))
                batch, now = [], utcnow()
                if progress:
                    progress(len(out), total)
        if batch:
            out.extend(self._written(write_batch(self._store, batch)))
            if progress:
                progress(len(out), total)
        return out

    def ingest(self, messages: Sequence[Mapping[str, Any]], scope: ScopeLike, *,
               session_id: str, at: datetime | date | str | None = None, mode: str = "rules",
               user_name: str | None = None,
               progress: ProgressFn | None = None) -> IngestReport:
        """MemReader: chat messages ({"role", "content", "name"?, "at"?, "used"?}) -> one
        episode cube per turn plus the facts and preferences stated in them, with provenance;
        a new value supersedes the old fact, a negation ends it. mode "rules" (offline) or
        "llm" ($MEMOS_LLM_URL). Bad messages raise InvalidInputError before anything is written.
        `progress(done, total)` is called as the episodes and then the facts are written.
        See docs/READER.md."""
        from memos.reader.ingest import ingest_messages

        _callable_arg(progress, "progress")
        sc = as_scope(scope)
        sid = _check_session_id(session_id)
        return ingest_messages(self, messages, sc, session_id=sid, at=at, mode=mode,
                               user_name=user_name, progress=progress)

    def update(self, cube_id: str, scope: ScopeLike, *, reason: str | None = None,
               clear: Sequence[str] = (), **changes: Any) -> MemCube:
        """A new version with `changes`. A None (JSON null) changes nothing; `clear` names
        the times to remove ("valid_from", "valid_to", "expires_at": no known start, it
        holds on, it never expires), and tags=[] and metadata={} clear those."""
        allowed = {"content", "kind", "tags", "metadata", "importance", "confidence",
                   "valid_from", "valid_to", "expires_at"}
        unknown = set(changes) - allowed
        if unknown:
            raise InvalidInputError(f"update() cannot change {sorted(unknown)}; allowed: {sorted(allowed)}")
        changes = {k: v for k, v in changes.items() if v is not None}
        cleared = _clear_arg(clear)
        both = sorted(cleared & changes.keys())
        if both:
            raise InvalidInputError(f"update() got {both[0]} and clear={[both[0]]}: give a new "
                                    f"{both[0]} or clear it, not both")
        changes.update(dict.fromkeys(cleared))
        if not changes:
            raise InvalidInputError(
                f"update() needs at least one field to change ({', '.join(sorted(allowed))}); "
                "a None (JSON null) changes nothing: tags=[] and metadata={} clear them, "
                "clear=['valid_to'] (or valid_from, expires_at) clears a time")
        sc = as_scope(scope)
        _text_arg(reason, "reason", MAX_REASON_CHARS)
        if "metadata" in changes:
            if not isinstance(changes["metadata"], Mapping):
                raise InvalidInputError(f"metadata must be a dict, got "
                                        f"{type(changes['metadata']).__name__}")
            changes["metadata"] = dict(changes["metadata"])  # one copy: checked and stored
            try:
                check_user_metadata(changes["metadata"])
            except ValueError as exc:
                raise InvalidInputError(str(exc)) from None
        with self._store.repo.read() as session:
            row = self._store.row(session, cube_id, sc, write=True)
            refuse_forgotten(row)
            current = cube_from_row(row)
        _not_managed(current)
        if "valid_to" in cleared and current.state == Lifecycle.SUPERSEDED:
            raise InvalidInputError(
                f"cube {cube_id} was superseded: it ended when it was replaced, so its "
                f"valid_to stays; rollback(cube_id, scope, to_version) makes it current again")
        if "kind" in changes:  # a memory stays one; memos' tiers keep their kinds
            check_tier_kind(current.tier, changes["kind"], current.derived_from)
        if "content" in changes and "metadata" not in changes:
            meta = _restated(current, check_content(changes["content"]))  # bytes: its text
            if meta is not None:
                changes["metadata"] = meta
        # Compared as the version would store them: tags=("a",) is ["a"], a naive time is
        # UTC, bytes are their text (a bad value is _new_version's InvalidInputError).
        probe = dict(changes)
        if "content" in probe:
            probe["content"] = check_content(probe["content"])
        try:
            stored = MemCube.model_validate({**current.model_dump(), **probe})
        except ValidationError:
            stored = None
        if stored is not None and all(getattr(current, k) == getattr(stored, k)
                                      for k in changes):
            raise InvalidInputError(f"update() changes nothing on cube {cube_id}")
        return self._new_version(cube_id, sc, "update", reason, **changes)

    def supersede(self, cube_id: str, scope: ScopeLike, *, content: str | None = None,
                  by: str | None = None, reason: str | None = None,
                  ended_at: datetime | date | str | None = None, **add_fields: Any
                  ) -> AddResult:
        unknown = set(add_fields) - ADD_FIELDS
        if unknown:
            raise InvalidInputError(f"supersede() got unknown argument(s) {sorted(unknown)}")
        if (content is None) == (by is None):
            raise InvalidInputError("supersede() needs exactly one of content= or by=")
        sc = as_scope(scope)
        _id_arg(cube_id, "cube_id")
        _text_arg(reason, "reason", MAX_REASON_CHARS)
        if by is not None:
            _id_arg(by, "by")
            given = sorted(k for k, v in add_fields.items() if v is not None)
            if given:
                # (the cube `by` names is stored already: nothing would apply them)
                raise InvalidInputError(
                    f"supersede(by=...) takes no new cube's fields ({', '.join(given)}): the "
                    f"cube {by} is stored already; change it with update(), or give content= "
                    f"to add a new cube with them")
        elif ended_at is not None:
            raise InvalidInputError(
                "ended_at goes with by=; with content=, the old cube ends where the new one "
                "begins: give the new cube's valid_from")
        end = _ended_arg(ended_at)
        extra = add_fields.get("supersedes", [])
        if not isinstance(extra, (list, tuple)):
            raise InvalidInputError(f"supersedes must be a list of cube ids, got {extra!r:.40}")
        if content is not None:
            with self._store.repo.read() as session:
                old_row = self._store.row(session, cube_id, sc, write=True)
                refuse_forgotten(old_row)
                refuse_managed(cube_id, old_row.meta, "superseded")
                old_hash = old_row.content_hash
            text = check_content(content)
            try:
                check_stored_text(text, "content")
            except ValueError as exc:
                raise InvalidInputError(str(exc)) from None
            if content_hash(text) == old_hash:
                # Checked before any write, so the failed call leaves the store unchanged.
                raise InvalidInputError(
                    f"cube {cube_id} already has this content; use update() to change it")
            cand = make_candidate(content, sc, self.embedder.dim, now=utcnow(),
                                  supersedes=[cube_id, *add_fields.pop("supersedes", [])],
                                  **add_fields)
            cand.reason = reason  # (on the superseded versions, as `by=` writes it)
            added = self._written(write_batch(self._store, [cand]))[0]
            if added.id == cube_id:  # near-duplicate of itself: dedup merged it as a source
                return added
            if cube_id not in added.superseded:
                # The content was already stored as another cube (dedup returned it): that
                # cube supersedes this one.
                self.supersede(cube_id, sc, by=added.id, reason=reason)
                return added.model_copy(update={"superseded": [*added.superseded, cube_id]})
            if reason is not None:
                with self._store.repo.write() as session:
                    self._store.repo.audit(session, "supersede", cube_id, reason,
                                     {"by": added.id}, actor=sc.agent_id or sc.user_id)
            return added
        now = utcnow()
        with self._store.write() as session:
            old = self._store.row(session, cube_id, sc, write=True)
            new = self._store.row(session, by, sc, write=True)
            if old.pk == new.pk:
                raise InvalidInputError("a cube cannot supersede itself")
            refuse_forgotten(old)
            refuse_forgotten(new, "by: ")
            refuse_managed(old.id, old.meta, "superseded")
            refuse_managed(new.id, new.meta, "superseded", "by: ")
            superseded_version = old.version + 1
            by_cube = cube_from_row(new)
            if end is not None:
                _check_end(cube_from_row(old), end, now)
            mark_superseded(self._store, session, old, new.pk, new.id, now, reason,
                            new_valid_from=by_cube.valid_from, scope=sc,
                            new_said=said_at(by_cube), ended_at=end)
            if reason is not None:
                self._store.repo.audit(session, "supersede", cube_id, reason, {"by": new.id},
                                 actor=sc.agent_id or sc.user_id)
            result = AddResult(id=new.id, version=new.version, action="added",
                               superseded=[cube_id], cube=cube_from_row(new))
        self._store.after_write(1)
        self._drop_cached(cube_id, keep_version=superseded_version)
        return result

    def rollback(self, cube_id: str, scope: ScopeLike, to_version: int) -> MemCube:
        sc = as_scope(scope)
        with self._store.repo.read() as session:
            _not_managed(cube_from_row(self._store.row(session, cube_id, sc, write=True)))
        to_version = _version_arg(to_version, "to_version")
        kept = {"id", "version", "access", "scope", "recorded_at", "content_hash"}
        with self._store.repo.read() as session:
            row = self._store.row(session, cube_id, sc, write=True)
            current = cube_from_row(row).model_dump(exclude=kept)
            snap = next((v.snapshot for v in self._store.repo.versions(session, cube_id)
                         if v.version == to_version), None)
        if snap is None:
            raise NotFoundError(f"cube {cube_id} has no version {to_version} "
                                f"(versions 1..{row.version}); see history()")
        target = MemCube.model_validate(snap)
        fields = target.model_dump(exclude=kept)
        fields["state"] = Lifecycle.ACTIVE
        if retention.is_expired(target.expires_at, utcnow()):
            # (restored, it would be gone at once: get and search read it as expired)
            raise ConflictError(f"version {to_version} of cube {cube_id} expired at "
                                f"{target.expires_at.isoformat()}, so it would be gone at once; "
                                f"an update with a later expires_at renews it")
        if fields == current:
            # As update() refuses a no-op: a version equal to the current one says nothing.
            raise InvalidInputError(f"cube {cube_id} (v{row.version}) already equals version "
                                    f"{to_version}; rollback changes nothing")

        def restored(session: Any) -> list[str]:  # a fact made current again wins now
            return rollback_conflicts(self._store, session,
                                      self._store.row(session, cube_id, sc, write=True), utcnow())

        return self._new_version(cube_id, sc, "rollback", cascade=restored, **fields)

    def forget(self, cube_id: str, scope: ScopeLike, *, reason: str | None = None) -> MemCube:
        return self._forget(cube_id, scope, reason=reason)

    def _forget(self, cube_id: str, scope: ScopeLike, *, reason: str | None = None,
                reaching: frozenset[str] = frozenset()) -> MemCube:
        # Cubes derived from this one (activation slots, adapters) are forgotten in the same
        # transaction: cross-tier forgetting (invariant 3) cannot be left half done.
        forgotten = self._new_version(
            cube_id, scope, "forget", reason, state=Lifecycle.FORGOTTEN,
            cascade=lambda session: admin.forget_derived(self._store, session, cube_id,
                                                         as_scope(scope)))
        self._reach_copies(cube_id, as_scope(scope), erase=False, reaching=reaching)
        return forgotten

    def _reach_copies(self, cube_id: str, sc: Scope, *, erase: bool,
                      reaching: frozenset[str] = frozenset()) -> None:
        """Forget (or, with `erase`, purge) what copies a cube's words outside the derivation
        graph: a turn's neighbours' contexts (`_unquote`), its sessions' transcripts and the
        replies quoting it (`_forget_copies`), replies stating its facts (`_forget_statements`)
        and replies that drew on it (`_forget_users`), from its version snapshots and the
        cubes derived from it that the caller may change, read once. `reaching`:
        the cubes whose copies are being reached further up this call (a purged cube is
        erased only after its copies), never taken for a copy again: replies may name each
        other in their "used", and purging one would otherwise purge the other, and it
        again, without end."""
        with self._store.repo.read() as session:
            snaps = [v.snapshot for v in self._store.repo.versions(session, cube_id)]
            derived = [r for r in self._store.repo.derived_outliving(session, [cube_id])[0]
                       if can_write(r, sc)]
        reaching = reaching | {cube_id}
        self._unquote(cube_id, sc, snaps, erase=erase)
        self._forget_copies(cube_id, sc, snaps, erase=erase, reaching=reaching)
        self._forget_statements(cube_id, sc, snaps, derived, erase=erase, reaching=reaching)
        self._forget_users(cube_id, sc, derived, erase=erase, reaching=reaching)

    def _forget_users(self, cube_id: str, sc: Scope, derived: list[CubeRow], *, erase: bool,
                      reaching: frozenset[str]) -> None:
        """The caller's assistant replies that name this cube, or a cube derived from it (a
        fact read from the turn), among the memories they drew on (an ingested message's
        "used", which `Assistant` records for every reply, whatever its backend): forgotten
        (purged) with it, since their words may restate it in any form."""
        ids = {cube_id, *(r.id for r in derived)}
        rows: dict[str, CubeRow] = {}
        with self._store.repo.read() as session:
            meta_text = cast(CubeRow.meta, Text)
            # A bounded OR per query: SQLite refuses an expression deeper than 1,000 (a cube
            # with a thousand facts read from it made every forget of it fail midway).
            for part in _parts(sorted(ids)):
                rows.update((r.id, r) for r in session.execute(select(CubeRow).where(
                    bulk_clause(sc), CubeRow.tier == "plaintext", CubeRow.kind == "episode",
                    or_(*[meta_text.contains(f'"{i}"', autoescape=True) for i in part])
                )).scalars() if r.id not in ids)
            replies = [r.id for r in rows.values() if isinstance(r.meta, Mapping)
                       and isinstance(r.meta.get("used"), list)
                       and ids.intersection(map(str, r.meta["used"]))
                       and (erase or r.state == Lifecycle.ACTIVE.value)]
        self._drop_copies(replies, sc, f"it drew on cube {cube_id}, which was "
                          + ("purged" if erase else "forgotten"), erase=erase, reaching=reaching)

    def _forget_statements(self, cube_id: str, sc: Scope, snaps: list[dict[str, Any]],
                           derived: list[CubeRow], *, erase: bool,
                           reaching: frozenset[str]) -> None:
        """The assistant states a fact in its own words ("Noted: your city is Porto.", "Your
        city is Porto.", "Ana's city was Porto (until ...)"): forgetting (purging) a fact, or
        the turn it was read from, forgets (purges) the caller's assistant replies that state
        it: its subject ("your"/"you" or the name as the fact writes it), attribute and value,
        the value whole."""
        facts = [{"content": r.content, "metadata": r.meta} for r in derived
                 if r.kind in ("fact", "preference")]
        stated = dict(s for snap in [*snaps, *facts]
                      if (s := _statement(snap, sc.user_id)) is not None)
        if not stated:
            return
        said = re.compile("|".join(stated), re.IGNORECASE)
        rows: dict[str, CubeRow] = {}
        with self._store.repo.read() as session:
            for part in _parts(sorted(set(stated.values()))):  # bounded ORs (`_forget_users`)
                rows.update((r.id, r) for r in session.execute(select(CubeRow).where(
                    bulk_clause(sc), CubeRow.tier == "plaintext", CubeRow.kind == "episode",
                    CubeRow.id != cube_id,
                    or_(*[CubeRow.content.contains(like_part(v), autoescape=True)  # the value
                          for v in part]))).scalars())
            replies = [r.id for r in rows.values() if isinstance(r.meta, Mapping)
                       and r.meta.get("role") == "assistant"
                       and (erase or r.state == Lifecycle.ACTIVE.value)
                       and said.search(str(r.content or ""))]
        self._drop_copies(replies, sc, f"it stated a fact of cube {cube_id}, which was "
                          + ("purged" if erase else "forgotten"), erase=erase, reaching=reaching)

    def _unquote(self, cube_id: str, sc: Scope, snaps: list[dict[str, Any]], *,
                 erase: bool) -> None:
        """A conversation turn's words are copied into its neighbours' metadata["context"]
        (MemReader episodes, LoCoMo turns; searchable). When the turn is forgotten, each live
        neighbour quoting it gets a new version without those words (search and full text
        follow); when it is purged (`erase`), every version of every cube the caller owns
        loses them too (docs/SECURITY.md). Only a cube that carries a context itself and was
        read from no other cube is a turn that neighbours quote (a MemReader fact carries its
        turn's context, but no context quotes a fact)."""
        from memos.stores.repository import drop_quote

        if not any("context" in (snap.get("metadata") or {}) and not snap.get("derived_from")
                   for snap in snaps):
            return
        quoted = sorted({text for snap in snaps for text in _wordings(snap)})
        # (a purge's names no id: ids stay in the audit log only)
        why = ("a neighbouring turn it quoted was purged" if erase else
               f"a neighbouring turn it quoted ({cube_id}) was forgotten")
        for text in quoted:
            with self._store.repo.read() as session:
                live = [cube_from_row(r) for r in self._store.repo.quoting_rows(
                    session, sc, text, exclude=cube_id) if r.state == Lifecycle.ACTIVE.value]
            for cube in live:
                meta = dict(cube.metadata)
                meta["context"] = drop_quote(str(meta["context"]), text)
                self._new_version(cube.id, sc, "update", why, metadata=meta)
            if erase:
                with self._store.repo.write() as session:
                    self._store.repo.scrub_quotes(session, sc, text, exclude=cube_id)

    def _forget_copies(self, cube_id: str, sc: Scope, snaps: list[dict[str, Any]], *,
                       erase: bool, reaching: frozenset[str]) -> None:
        """A conversation turn's words are also copied whole into its session's saved
        transcript (`save_session`: one "Name: words" line per turn) and into an assistant
        reply that quoted it ("On ... you said: words"). Forgetting the turn forgets those
        copies (the transcript's saved state with it); purging it purges them. Only the
        caller's own cubes are touched: transcripts of the turn's sessions that hold its words
        as a whole line, and assistant replies (of any session) that quote them whole after
        "said: "."""
        sessions: set[str] = set()
        said: set[str] = set()
        for snap in snaps:
            meta = snap.get("metadata") or {}
            sid = meta.get("session")
            speakers = (meta.get("speaker"), meta.get("name"), meta.get("role"))
            words = {w for text in _wordings(snap) if (w := without_speaker(text, speakers))}
            if snap.get("derived_from") or not isinstance(sid, str) or not sid or not words:
                continue
            sessions.add(sid)
            said |= words
            # The same words said again in another session were stored once, on this cube
            # (dedup), with that message as a further source ("<session>#<turn>").
            for src in snap.get("sources") or []:
                if not isinstance(src, Mapping) or src.get("kind") != "message":
                    continue
                ref = src.get("ref")
                if isinstance(ref, str) and "#" in ref:
                    sessions.add(ref.rsplit("#", 1)[0])
        if not sessions:
            return
        quotes = sorted({"said: " + w.rstrip(".!? ") for w in said})
        with self._store.repo.read() as session:
            rows = session.execute(select(CubeRow).where(
                bulk_clause(sc), CubeRow.tier == "plaintext", CubeRow.kind == "episode",
                CubeRow.id != cube_id,
                or_(CubeRow.session_id.in_(sorted(sessions)),
                    *[CubeRow.content.contains(like_part(w), autoescape=True)
                      for w in sorted(said)])
            )).scalars().all()
            candidates = [r for r in rows if erase or r.state == Lifecycle.ACTIVE.value]
        # Other turns of the caller's that start with the turn's words and say more ("I like
        # tea. And I walk daily." against "I like tea."): a reply quoting one of those whole
        # quotes it, not this turn.
        longer = sorted({"said: " + w.rstrip(".!? ") for r in rows
                         if (meta := r.meta if isinstance(r.meta, Mapping) else {}).get("role")
                         != "assistant" and "session" in meta
                         and (w := without_speaker(str(r.content or ""), (
                             meta.get("speaker"), meta.get("name"), meta.get("role"))))
                         and any(w.startswith(t) and len(w.rstrip(".!? ")) > len(t.rstrip(
                             ".!? ")) for t in said)})
        # A quote is the turn's words whole: followed by its closing marks and the next
        # sentence or the end, by its dates note (" (...)") or by the end; never by more of
        # a word or sentence ("said: yes" is no quote of "said: yesterday ...").
        end = r"(?:[.!?]+(?=\s|$)|(?= \()|$)"
        whole = re.compile("|".join(re.escape(q) + end for q in quotes))
        whole_longer = (re.compile("|".join(re.escape(q) + end for q in longer))
                        if longer else None)

        def quotes_turn(text: str) -> bool:
            """Whether `text` quotes the turn whole somewhere a longer turn is not quoted."""
            return any(whole_longer is None or not whole_longer.match(text, m.start())
                       for m in whole.finditer(text))
        copies: list[str] = []
        for row in candidates:
            meta = row.meta if isinstance(row.meta, Mapping) else {}
            text = str(row.content or "")
            if ("role" not in meta and "session" not in meta
                    and row.session_id in sessions):  # a saved transcript (not a turn)
                if _holds_turn(text, said):
                    copies.append(row.id)
            elif meta.get("role") == "assistant" and quotes_turn(text):
                # an assistant reply quoting the turn
                copies.append(row.id)
        why = f"it copied a conversation turn ({cube_id}) that was " + (
            "purged" if erase else "forgotten")
        self._drop_copies(copies, sc, why, erase=erase, reaching=reaching)

    def _drop_copies(self, copies: list[str], sc: Scope, why: str, *, erase: bool,
                     reaching: frozenset[str]) -> None:
        """Purge (`erase`) or forget each copy that is still there (and not `reaching`).

        A caller without an agent is the user as a whole (the rule of `bulk_clause`): the
        copies it reaches include those its agents wrote (an agent's assistant quotes the
        user's facts in its own replies), each forgotten or purged in its agent's scope."""
        for copy_id in copies:
            if copy_id in reaching:
                continue  # its copies are being reached further up: it goes there
            try:
                with self._store.repo.read() as session:
                    row = self._store.repo.row_by_id(session, copy_id)
                if row is None:
                    continue
                owner = sc
                if sc.agent_id is None and row.agent_id is not None and \
                        row.user_id == sc.user_id:
                    owner = Scope(user_id=sc.user_id, agent_id=row.agent_id)
                if erase:
                    self._purge(copy_id, owner, reason=why, reaching=reaching)
                else:
                    if row.state != Lifecycle.ACTIVE.value:
                        continue  # forgotten already (as a copy of a reply forgotten here)
                    self._forget(copy_id, owner, reason=why, reaching=reaching)
            except (NotFoundError, ScopeError):  # gone already (another copy's copy)
                continue

    def link(self, src_id: str, dst_id: str, scope: ScopeLike, *, relation: str = "related",
             weight: float = 1.0) -> Edge:
        sc = as_scope(scope)
        _id_arg(src_id, "src_id")
        dst_id = _id_arg(dst_id, "dst_id")
        if dst_id == src_id:
            raise InvalidInputError(f"link() joins two cubes; src_id and dst_id are both "
                                    f"{src_id!r:.80}")
        try:  # the same rules as an import file's edges
            relation = transfer.check_relation(relation)
            weight = transfer.check_weight(weight)
        except ValueError as exc:
            raise InvalidInputError(str(exc)) from None
        except OverflowError:
            raise InvalidInputError("weight must be a finite number; use a value such as "
                                    "1.0") from None
        now = utcnow()
        with self._store.write() as session:
            src = self._store.row(session, src_id, sc, write=True)
            refuse_managed(src.id, src.meta, "linked")
            _refuse_unlinkable(src)
            if dst_id.startswith(ENTITY_PREFIX):
                name = entity_node(dst_id[len(ENTITY_PREFIX):]).removeprefix(ENTITY_PREFIX)
                if not name:
                    raise InvalidInputError("entity name is empty; use entity:<name>")
                if len(name) > 256:
                    raise InvalidInputError("entity name is over 256 characters; shorten it")
                try:
                    check_stored_text(name, "entity name")
                except ValueError as exc:
                    raise InvalidInputError(str(exc)) from None
                values = {"dst_pk": None, "entity": name}
                dst_label = ENTITY_PREFIX + name
            else:  # another scope's forgotten or expired cube reads as missing, as in get
                dst, _ = self._visible_row(session, dst_id, sc)
                refuse_managed(dst.id, dst.meta, "linked")
                _refuse_unlinkable(dst)
                values = {"dst_pk": dst.pk, "entity": None}
                dst_label = dst.id
            # The same link made again (a retried call) is the one already there, as an
            # import of the same edge is: not a second edge.
            same = select(EdgeRow.id, EdgeRow.created_at).where(
                EdgeRow.src_pk == src.pk, EdgeRow.relation == relation,
                EdgeRow.weight == float(weight),
                (EdgeRow.dst_pk == values["dst_pk"]) if values["dst_pk"] is not None
                else (EdgeRow.entity == values["entity"])).order_by(EdgeRow.id).limit(1)
            there = session.execute(same).first()
            if there is None:
                edge = {"src_pk": src.pk, **values, "relation": relation,
                        "weight": float(weight), "user_id": src.user_id, "created_at": now}
                edge_id = self._store.repo.insert_edges(session, [edge], [src.id])[0]
        shown = self._store.repo.public_edge_id  # (not the row id: docs/SECURITY.md)
        if there is not None:
            created = there[1] if there[1].tzinfo else there[1].replace(tzinfo=UTC)
            return Edge(id=shown(there[0], self._store.vectors.store_id), src=src_id,
                        dst=dst_label, relation=relation, weight=float(weight),
                        created_at=created)
        self._store.after_write(1)
        return Edge(id=shown(edge_id, self._store.vectors.store_id), src=src_id, dst=dst_label,
                    relation=relation, weight=float(weight), created_at=now)

    # -- reads -----------------------------------------------------------------------

    def _visible_row(self, session: Any, cube_id: str, sc: Scope) -> tuple[Any, bool]:
        """The row and whether the caller owns it. A non-owner sees only the live current
        version: a forgotten, archived or expired cube of another scope reads as missing."""
        row = self._store.row(session, cube_id, sc)
        if gone_to(row, sc):
            raise not_found(cube_id)
        return row, can_write(row, sc)

    @staticmethod
    def _owner_only(cube_id: str, current: int) -> ScopeError:
        return ScopeError(f"cube {cube_id} belongs to another user or agent: only its owner "
                          f"reads its earlier versions; its current version is {current} "
                          f"(get it without version=)")

    def get(self, cube_id: str, scope: ScopeLike, *, version: int | None = None) -> MemCube:
        sc = as_scope(scope)
        if version is not None:
            version = _version_arg(version)
        with self._store.repo.read() as session:
            row, owner = self._visible_row(session, cube_id, sc)
            if row.state == Lifecycle.ARCHIVED.value and is_managed(row.meta):
                # (the scheduler evicts slots and states; memos makes them again on demand)
                raise NotFoundError(f"cube {cube_id} is a cache of a memory's tensors that "
                                    f"memos evicted and archived (history() still lists it); "
                                    f"it is made again from its memory when needed: get or "
                                    f"recall that memory")
            if row.state == Lifecycle.ARCHIVED.value:  # (gc archives what expired)
                raise NotFoundError(f"cube {cube_id} expired and was archived; history() still "
                                    f"lists it, and an update with a later expires_at renews it")
            if row.state == Lifecycle.FORGOTTEN.value:
                raise NotFoundError(f"cube {cube_id} was {row.state}; history() still lists it")
            if retention.is_expired(row.expires_at, utcnow()):
                raise NotFoundError(f"cube {cube_id} expired at {row.expires_at.isoformat()}; "
                                    f"history() still lists it, and an update with a later "
                                    f"expires_at renews it")
            current = None
            if version is None or (version == row.version and not owner):
                current, pk = cube_from_row(row), row.pk
            elif version > row.version:
                raise NotFoundError(f"cube {cube_id} has no version {version} (versions "
                                    f"1..{row.version})")
            elif not owner:
                raise self._owner_only(cube_id, row.version)
            else:
                snap = session.execute(select(CubeVersionRow.snapshot).where(
                    CubeVersionRow.cube_id == cube_id, CubeVersionRow.version == version)
                ).scalar()
        if current is not None:
            if row.user_id != sc.user_id:  # another user's read neither counts nor sees
                return as_read_by(current, sc)
            # after the read closed: a count that fills the buffer may write, and in-memory
            # SQLite has one connection, the read's
            self._store.note_access([pk])
            return current
        if snap is None:
            raise NotFoundError(f"cube {cube_id} has no version {version}; see history()")
        return MemCube.model_validate(snap)

    def history(self, cube_id: str, scope: ScopeLike) -> list[MemCube]:
        """Every version, oldest first, for the cube's owner; another scope that can read the
        cube (public or shared) gets its current version only."""
        sc = as_scope(scope)
        with self._store.repo.read() as session:
            row, owner = self._visible_row(session, cube_id, sc)
            if not owner:
                snap = session.execute(select(CubeVersionRow.snapshot).where(
                    CubeVersionRow.cube_id == cube_id,
                    CubeVersionRow.version == row.version)).scalar()
                return [as_read_by(MemCube.model_validate(snap) if snap is not None
                                   else cube_from_row(row), sc)]
            return [MemCube.model_validate(v.snapshot)
                    for v in self._store.repo.versions(session, cube_id)]

    def versions(self, cube_id: str, scope: ScopeLike) -> list[VersionRecord]:
        """How each version was made, oldest first: the operation, when, and the reason its
        caller gave (`update`, `forget`, `supersede` and `purge` take one). The owner's
        only, as the earlier versions are (`history`)."""
        sc = as_scope(scope)
        with self._store.repo.read() as session:
            row, owner = self._visible_row(session, cube_id, sc)
            if not owner:
                raise ScopeError(f"cube {cube_id} belongs to another user or agent: only its "
                                 f"owner reads how its versions were made")
            return [VersionRecord(version=v.version, op=v.op, at=v.created_at, reason=v.reason)
                    for v in self._store.repo.versions(session, cube_id)]

    def diff(self, cube_id: str, scope: ScopeLike, from_version: int | None = None,
             to_version: int | None = None) -> CubeDiff:
        if from_version is not None:
            from_version = _version_arg(from_version, "from_version")
        if to_version is not None:
            to_version = _version_arg(to_version, "to_version")
        sc = as_scope(scope)
        with self._store.repo.read() as session:
            row, owner = self._visible_row(session, cube_id, sc)
        if not owner:  # a diff shows an earlier version: the owner's only
            raise self._owner_only(cube_id, row.version)
        versions = {c.version: c for c in self.history(cube_id, sc)}
        latest = max(versions)
        to_v = to_version or latest
        for v in (from_version, to_v):
            if v is not None and v not in versions:
                raise NotFoundError(f"cube {cube_id} has no version {v} (versions 1..{latest}: "
                                    f"history lists them)")
        if from_version is None and to_v == 1:
            raise InvalidInputError(
                f"cube {cube_id} has no version before 1 to compare with"
                + (" (it has one version: an update makes the next)" if latest == 1 else
                   f"; compare two of versions 1..{latest}, such as from_version=1, "
                   f"to_version={latest}"))
        from_v = from_version or to_v - 1
        if from_v > to_v:
            raise InvalidInputError(f"from_version ({from_v}) is newer than to_version "
                                    f"({to_v}); give the older version first")
        return CubeDiff.between(versions[from_v], versions[to_v])

    def neighbors(self, cube_id: str, scope: ScopeLike, *, relation: str | None = None,
                  depth: int = 1) -> list[Neighbor]:
        sc = as_scope(scope)
        depth = _int_arg(depth, "depth", 1, MAX_DEPTH)
        relation = _text_arg(relation, "relation", 64)
        self._store.catch_up()
        shown = visible_clause(sc) & live_clause(utcnow(), True)
        rows: dict[int, Any] = {}
        with self._store.repo.read() as session:
            row, _ = self._visible_row(session, cube_id, sc)

            def allowed(pks: list[int]) -> dict[int, Any]:
                # Each hop only through cubes the caller sees: a cube it may not read (another
                # scope's private cube) would show that scope's links and their relations.
                got = self._store.repo.rows_by_pks(session, pks, shown)
                rows.update(got)
                return got

            with self._store.index_lock:
                found = self._store.graph.neighbors(row.pk, depth, relation, allowed=allowed)
        return [Neighbor(cube=as_read_by(cube_from_row(rows[n.pk]), sc), relation=n.relation,
                         direction=n.direction, weight=n.weight, depth=n.depth,
                         via=n.via.name if n.via is not None
                         and n.via.user_id == sc.user_id else None)
                for n in found]

    def list_memories(self, scope: ScopeLike, *, limit: int = 50, cursor: str | None = None,
                      kind: str | None = None) -> CubePage:
        """The scope's own live plaintext memories, last stored first (an import stores a
        file's cubes in the file's order: their `recorded_at` may not follow it), `limit` a
        page; `cursor`: the `next_cursor` of the previous page (None on the last page)."""
        from memos.cube import Kind
        from memos.results import CubePage
        from memos.stores.schema import CubeRow

        sc = as_scope(scope)
        limit = _int_arg(limit, "limit", 1, 1000)
        where = (CubeRow.user_id == sc.user_id) & visible_clause(sc) & live_clause(utcnow()) & (
            CubeRow.tier == Tier.PLAINTEXT.value)
        if kind is not None:
            check_memory_kind(kind)
            try:
                where &= CubeRow.kind == Kind(kind).value
            except ValueError:
                raise InvalidInputError(f"unknown kind {kind!r:.40}; use one of "
                                        f"{', '.join(MEMORY_KINDS)}") from None
        bad_cursor = "bad cursor: pass the next_cursor of the previous page"
        if cursor is not None and (not isinstance(cursor, str) or not 0 < len(cursor) <= 64):
            raise InvalidInputError(bad_cursor)
        # (a well-formed cursor whose cube is gone: purged since the previous page, or never
        # the caller's; which one is not said)
        gone = ("bad cursor: it names no memory of yours (purged since the previous page, or "
                "not a next_cursor); list again without a cursor")
        with self._store.repo.read() as session:
            if cursor is not None:  # the id of the last cube of the previous page: a row
                # number would tell a server's caller how many cubes every user has added;
                # a cube the caller cannot read is no cursor (as an id nobody has)
                after = session.execute(select(CubeRow.pk).where(
                    CubeRow.id == cursor, CubeRow.user_id == sc.user_id,
                    visible_clause(sc))).scalar_one_or_none()
                if after is None:
                    raise InvalidInputError(gone)
                where &= CubeRow.pk < after
            rows = list(session.execute(select(CubeRow).where(where).order_by(
                CubeRow.pk.desc()).limit(limit + 1)).scalars())
        more = len(rows) > limit
        rows = rows[:limit]
        return CubePage(items=[cube_from_row(r) for r in rows],
                        next_cursor=rows[-1].id if more else None)

    def search(self, query: str, scope: ScopeLike, k: int = 10, **options: Any) -> list[SearchHit]:
        unknown = set(options) - SEARCH_OPTIONS
        if unknown:
            raise InvalidInputError(f"search() got unknown option(s) {sorted(unknown)}; "
                                    f"options are {sorted(SEARCH_OPTIONS)}")
        kinds = options.get("kind")  # search finds memories: a memory's kinds only
        for one in [kinds] if isinstance(kinds, str) else (
                kinds if isinstance(kinds, (list, tuple, set, frozenset)) else ()):
            check_memory_kind(one)
        return search.run_search(self._store, query, as_scope(scope), k, **options)

    # -- administration ----------------------------------------------------------------

    def purge(self, cube_id: str | None, scope: ScopeLike, *, all_of_user: bool = False,
              reason: str | None = None, actor: str | None = None) -> PurgeReport:
        return self._purge(cube_id, scope, all_of_user=all_of_user, reason=reason, actor=actor)

    def _purge(self, cube_id: str | None, scope: ScopeLike, *, all_of_user: bool = False,
               reason: str | None = None, actor: str | None = None,
               reaching: frozenset[str] = frozenset()) -> PurgeReport:
        sc = as_scope(scope)
        if cube_id is not None:
            _id_arg(cube_id, "cube_id")
        _bool_arg(all_of_user, "all_of_user")
        if cube_id is not None and not all_of_user:
            with self._store.repo.read() as session:  # the caller may erase it, or NotFound
                self._store.row(session, cube_id, sc, write=True)
            self._reach_copies(cube_id, sc, erase=True,  # contexts, transcripts, replies
                               reaching=reaching)
        report = admin.purge(self._store, cube_id, sc, all_of_user,
                             _text_arg(reason, "reason", MAX_REASON_CHARS),
                             _text_arg(actor, "actor", 256))
        self._store.forget_queries()
        if self._tier is not None:  # nothing erased stays in this process's RAM cache
            erased = set(report.cube_ids)
            self._tier.cache.discard(lambda k: k[0] in erased)
        return report

    def stats(self, scope: ScopeLike | None = None) -> StoreStats:
        return admin.stats(self._store, as_scope(scope) if scope is not None else None)

    def check(self, *, repair: bool = False) -> CheckReport:
        return admin.check(self._store, _bool_arg(repair, "repair"))

    def reindex(self, *, embedder: Embedder | str | None = None,
                progress: ProgressFn | None = None) -> ReindexReport:
        _callable_arg(progress, "progress")
        if embedder is not None and not isinstance(embedder, (str, Embedder)):
            raise InvalidInputError(f"embedder must be a name such as 'hash' or an Embedder, "
                                    f"got {embedder!r:.40}")
        start = time.perf_counter()
        return admin.reindex(self._store, embedder, progress, start)

    def gc(self, *, now: datetime | None = None, scope: ScopeLike | None = None) -> GcReport:
        return admin.gc(self._store, _now_arg(now), as_scope(scope) if scope is not None else None)

    def export(self, scope: ScopeLike, dest: str | os.PathLike[str] | TextIO | None = None, *,
               include_superseded: bool = True, overwrite: bool = False) -> ExportReport:
        _bool_arg(include_superseded, "include_superseded")
        if dest is not None and not isinstance(dest, (str, os.PathLike)) and not callable(
                getattr(dest, "write", None)):
            raise InvalidInputError(f"dest must be a path or an open text file, got {dest!r:.40}")
        if (isinstance(scope, str) and scope.lower().endswith((".jsonl", ".json"))
                and isinstance(dest, (str, os.PathLike))
                and not os.fspath(dest).lower().endswith((".jsonl", ".json"))):
            # import_ takes (source, scope), export (scope, dest): swapped, a user named like
            # a file would be exported (nothing) into a file named like the user
            raise InvalidInputError(
                f"export takes the scope first, then the file: export({os.fspath(dest)!r}, "
                f"{scope!r}) writes that user's memories to that file")
        return transfer.export(self._store, as_scope(scope), dest, include_superseded,
                               overwrite=overwrite)

    def import_(self, source: str | os.PathLike[str] | TextIO, scope: ScopeLike, *,
                on_error: Literal["skip", "abort"] = "abort",
                progress: ProgressFn | None = None, keep_ids: bool = True,
                public: bool = True) -> ImportReport:
        """Import a memos export file into `scope`. `keep_ids`: a cube keeps its id when no
        cube holds it (a restore keeps the ids it had); False: every id the caller does not
        hold is replaced (listed in `renamed`), so what an import does tells nothing of ids
        other users hold (the REST server's rule). `public=False`: a line holding a public
        cube is a bad line (the REST server's rule for a key that is not an admin's)."""
        sc = as_scope(scope)
        keep_ids = _bool_arg(keep_ids, "keep_ids")
        public = _bool_arg(public, "public")
        if on_error not in ("skip", "abort"):
            raise InvalidInputError(f"on_error must be 'skip' or 'abort', got {on_error!r:.40}")
        _callable_arg(progress, "progress")
        if not isinstance(source, (str, os.PathLike)) and not callable(getattr(source, "read", None)):
            raise InvalidInputError(f"source must be a path or an open text file, "
                                    f"got {source!r:.40}")
        return transfer.import_(self._store, source, sc, on_error, progress, keep_ids, public)

    # -- API keys (memos/keys.py) ---------------------------------------------------------

    def create_key(self, user: str, agent: str | None = None, *,
                   admin: bool = False) -> tuple[KeyInfo, str]:
        """A server API key for `user` (and `agent`): its info and the secret, shown once."""
        from memos import keys

        return keys.create_key(self._store, user, agent, admin)

    def list_keys(self, user: str | None = None) -> list[KeyInfo]:
        """Every API key (or one user's), revoked ones included; never their secrets."""
        from memos import keys

        return keys.list_keys(self._store, user)

    def revoke_key(self, key_id: str) -> KeyInfo:
        """Revoke an API key: every server on this store refuses it from the next request."""
        from memos import keys

        return keys.revoke_key(self._store, key_id)

    def verify_key(self, token: str | None) -> KeyInfo:
        """The live key a token is; UnauthorizedError when missing, unknown or revoked."""
        from memos import keys

        return keys.verify_token(self._store, token)

    # -- activation tier -----------------------------------------------------------------

    def _activation(self) -> ActivationTier:
        """The store's activation tier (made on first use: torch loads only then)."""
        with self._tier_lock:
            if self._tier is None:
                from memos.activation import ActivationTier

                self._tier = ActivationTier(self._store, self.config.slot_cache_bytes,
                                            self.config.slot_cache_policy)
            return self._tier

    def recall(self, query: str, scope: ScopeLike, k: int = 8, *,
               model: Any = None) -> Recall:
        """Retrieval, then the pre-encoded slots of the retrieved cubes (cache, stored blob,
        or one batched encode of the misses, stored for next time). `model`: a MemoryModel,
        a checkpoint path, or None for the shipped checkpoint."""
        sc = as_scope(scope)
        k = _check_k(k)
        return activation.recall(self._activation(),
                                 lambda q, s, n: self.search(q, s, k=n), query, sc, k, model)

    def answer(self, question: str, scope: ScopeLike, k: int = 8, *, model: Any = None,
               max_new_tokens: int = 80, own_only: bool = False,
               memories: Sequence[str] | None = None) -> Answer:
        """Retrieval -> recall -> the model's answer from the slots (no prompt stuffing).

        The default bound (80 bytes) lets every value the model was trained on (up to 64 bytes,
        plus the leading space) end at the end token instead of being cut. `own_only`: read
        only the scope user's own memories, not other users' public ones (a question about
        the user: a public cube can say anything about anyone). No memory read states what
        the question asks ("What is <subject>'s <attribute>?" and none begins "<subject>'s
        <attribute> is"): no answer, text "" and tier "plaintext" (activation._supported).
        `memories`: the ids of the memories the model reads (the first k of them, facts and
        preferences; each must be one the scope can read), instead of a search: a caller that
        has chosen the fact that holds (memos.Assistant, of two values told) keeps the model
        from reading the others."""
        sc = as_scope(scope)
        k = _check_k(k)
        _bool_arg(own_only, "own_only")
        given = self._given_memories(memories, sc, own_only)
        question = _model_text(question, "question", required=True)
        max_new_tokens = _int_arg(max_new_tokens, "max_new_tokens", 1, 4096)
        # The scope's active adapter answers its own consolidated facts closed-book; any other
        # question (or no adapter) goes to retrieval + slots (docs/PARAMETRIC.md).
        served = self._parametric().closed_book(
            question, sc, model, max_new_tokens,
            only=None if given is None else {h.id for h in given[:k]})  # (only those named)
        if served is not None:
            return served
        # The model reads memories in the form it was trained on: facts and preferences
        # ("<subject>'s <attribute> is <value>."). Conversation turns, summaries and the
        # assistant's own replies beside them took its top-k selection away from the fact
        # asked about (a scenario answered "bbbi" for "orange" once the user's earlier
        # question and its reply were in the store), so they are not given to it. Derived
        # facts are not folded into their turns here (fold=False).
        def retrieve(q: str, s: Scope, n: int) -> list[SearchHit]:
            if given is not None:
                return given[:n]
            if not own_only:
                return self.search(q, s, k=n, fold=False, kind=list(MODEL_KINDS))
            hits = self.search(q, s, k=min(search.MAX_K, 4 * n), fold=False,
                               kind=list(MODEL_KINDS))
            return [h for h in hits if h.cube.scope.user_id == s.user_id][:n]

        return activation.answer(self._activation(), retrieve, question, sc, k, model,
                                 max_new_tokens)

    def _given_memories(self, memories: Sequence[str] | None, scope: Scope,
                        own_only: bool) -> list[SearchHit] | None:
        """`answer(memories=...)` as the hits the model reads, in the order given: each id
        read in `scope` (NotFoundError for one it cannot read, as `get` says), only facts
        and preferences, with `own_only` only the scope user's own."""
        if memories is None:
            return None
        if isinstance(memories, str) or not isinstance(memories, Iterable):
            raise InvalidInputError("memories must be a list of memory ids (or None to search), "
                                    f"got {memories!r:.40}")
        ids = list(itertools.islice(memories, MAX_GIVEN_MEMORIES + 1))
        if len(ids) > MAX_GIVEN_MEMORIES:
            raise InvalidInputError(f"memories holds more than {MAX_GIVEN_MEMORIES} ids; the "
                                    f"model reads at most k (<= 256) of them: name fewer")
        hits: list[SearchHit] = []
        for cube_id in dict.fromkeys(_id_arg(c, "memory id") for c in ids):
            cube = self.get(cube_id, scope)
            if cube.kind.value in MODEL_KINDS and (
                    not own_only or cube.scope.user_id == scope.user_id):
                hits.append(SearchHit(cube=cube, score=1.0, retrievers=["given"]))
        return hits

    # -- parametric tier -----------------------------------------------------------------

    def _parametric(self) -> ParametricTier:
        """The store's parametric tier (made on first use; shares the activation tier's model)."""
        tier = self._activation()
        with self._tier_lock:
            if self._param is None:
                from memos.parametric.tier import ParametricTier

                # The scheduler's consolidation job may have made it first: one tier (one
                # lock, one serving copy) per store, so one consolidation at a time.
                made = getattr(tier, "parametric", None)
                self._param = made if made is not None else ParametricTier(self._store, tier)
            return self._param

    def consolidate(self, scope: ScopeLike, *, facts: Sequence[str] | None = None,
                    steps: int | None = None, dry_run: bool = False,
                    config: ConsolidationConfig | None = None,
                    progress: ProgressFn | None = None) -> ConsolidationReport:
        """Train a LoRA adapter on the scope's facts (chosen by the consolidation policy, or
        these cube ids) so the model answers them closed-book; activate it only if the
        evaluation gate passes (docs/PARAMETRIC.md). `dry_run`: the candidates only."""
        sc = as_scope(scope)
        _bool_arg(dry_run, "dry_run")
        _callable_arg(progress, "progress")
        if facts is not None:
            if isinstance(facts, (str, bytes)) or not isinstance(facts, Sequence):
                raise InvalidInputError("facts must be a list of cube ids")
            facts = [_id_arg(f, "fact id") for f in facts]
        return self._parametric().consolidate(sc, facts=facts, steps=steps, dry_run=dry_run,
                                              config=config, progress=progress)

    def adapters(self, scope: ScopeLike) -> list[AdapterInfo]:
        """The scope's adapters, newest first (active, retired, rejected, tainted)."""
        from memos.parametric.tier import ParametricTier

        return ParametricTier.list(self._parametric_light(), as_scope(scope))

    def _parametric_light(self) -> ParametricTier:
        """A parametric tier for SQL-only reads (no model is loaded)."""
        if self._param is not None:
            return self._param
        from memos.parametric.tier import ParametricTier

        return ParametricTier(self._store, None)  # type: ignore[arg-type]

    def adapter(self, adapter_id: str, scope: ScopeLike) -> AdapterInfo:
        """One adapter of the scope, with the (cube id, version) pairs it was trained on."""
        return self._parametric_light().show(_id_arg(adapter_id, "adapter_id"), as_scope(scope))

    def activate_adapter(self, adapter_id: str, scope: ScopeLike, *,
                         force: bool = False) -> AdapterInfo:
        """Put a retired (or, with `force`, rejected) adapter in service."""
        return self._parametric().activate(_id_arg(adapter_id, "adapter_id"), as_scope(scope),
                                           force=_bool_arg(force, "force"))

    def rollback_adapter(self, scope: ScopeLike) -> AdapterInfo:
        """Retire the active adapter and serve the previous one again."""
        return self._parametric().rollback(as_scope(scope))

    def purge_remains(self, cube_ids: Sequence[str], *,
                      user: str | None = None) -> dict[str, dict[str, Any]]:
        """What is left of these cube ids in every tier: rows, index entries without a row,
        activation cubes and blobs, adapters trained on them, version reasons naming them
        (of `user`'s cubes, the purging user's: another user's words are hers; None: any
        user's) (`memos purge --verify`).

        A store-wide administrator's check, like `check` and `gc`: it counts what is left of
        any id, whoever owned it (not served over REST or MCP)."""
        from memos.parametric.tier import remains

        if isinstance(cube_ids, str) or not isinstance(cube_ids, Iterable):
            raise InvalidInputError(f"cube_ids must be a list of cube ids, got {cube_ids!r:.40}")
        if user is not None:
            user = as_scope(user).user_id
        return remains(self._store, [_id_arg(c, "cube id") for c in cube_ids], user)

    def _transcript(self, sc: Scope, session_id: str, *, read: bool = False
                    ) -> MemCube | None:
        """The current transcript cube of a session (through its newest state cube); None
        when there is none live: never saved, or forgotten, archived or past its expiry
        (as `get` reads it, gone even before gc archives it). `read`: count a read of it
        (a resume), the access signal by which the scheduler keeps the session's state."""
        from memos.stores import derived

        now = utcnow()
        with self._store.repo.read() as session:
            sources = (self._store.repo.row_by_id(session, str(src.get("cube_id")))
                       for row in derived.session_states(session, sc.user_id, sc.agent_id,
                                                         session_id)
                       for src in row.derived_from or [])
            live = next((r for r in sources if r is not None
                         and r.state == Lifecycle.ACTIVE.value
                         and not retention.is_expired(r.expires_at, now)
                         and can_write(r, sc)), None)
            if live is None:  # no state names one (an imported store: states are not
                # exported): the newest live transcript cube save_session marked
                live = next((r for r in derived.session_transcripts(
                    session, sc.user_id, sc.agent_id, session_id)
                    if not retention.is_expired(r.expires_at, now) and can_write(r, sc)),
                    None)
            if live is None:
                return None
            cube, pk = cube_from_row(live), live.pk
        if read:  # after the read closed (see `get`)
            self._store.note_access([pk])
        return cube

    def save_session(self, scope: ScopeLike, session_id: str, text: str, *,
                     model: Any = None) -> SavedSession:
        """Read `text` with the model and keep the state: the text is stored as the
        session's transcript cube (a new version when the session was saved before), the
        state as an activation cube derived from it."""
        from memos.activation import SavedSession

        sc = as_scope(scope)
        sid = _check_session_id(session_id)
        if not isinstance(text, str) or not text.strip():
            raise InvalidInputError("session text must be a non-empty string")
        tier = self._activation()
        m = tier.model(model)
        current = self._transcript(sc, sid)
        if current is None:
            from memos.stores.derived import TRANSCRIPT_KEY, session_transcripts

            # Its own cube, never merged into another (add's dedup could hand back an
            # unrelated memory with the same text, which a later save would then rewrite).
            try:
                transcript = MemCube(kind="episode", content=check_content(text),
                                     scope=Scope(user_id=sc.user_id, agent_id=sc.agent_id,
                                                 session_id=sid, visibility=sc.visibility),
                                     metadata={TRANSCRIPT_KEY: True})
            except ValidationError as exc:
                raise invalid(exc) from exc
            with self._store.write() as session:
                # Looked for again where writes take turns: a first save of this session
                # that committed since the read above made the transcript (one per session)
                now = utcnow()
                raced = next((r for r in session_transcripts(session, sc.user_id, sc.agent_id,
                                                             sid)
                              if not retention.is_expired(r.expires_at, now)), None)
                if raced is None:
                    self._store.repo.insert_cubes(session, [transcript], op="add")
                else:
                    current = cube_from_row(raced)
            if raced is None:
                self._store.after_write(1)
        if current is not None:  # saved before (or just now, by a save that raced this one)
            transcript = (self.update(current.id, sc, content=text) if current.content != text
                          else current)
        start = time.perf_counter()
        state = tier.load_state(transcript, m.fingerprint)
        if state is None:
            with tier.model_lock:
                began = time.perf_counter()
                state = m.read_session(text)
                took = time.perf_counter() - began
            if tier.save_state(transcript, state, sid, took) is None:
                raise ConflictError(
                    f"session {sid!r} was not saved: its transcript was changed, forgotten or "
                    f"purged while the model was reading it; call save_session again to save "
                    f"the text as it should be now")
        return SavedSession(session_id=sid, transcript_id=transcript.id,
                            transcript_version=transcript.version, tokens=state.length,
                            model_fingerprint=m.fingerprint,
                            seconds=time.perf_counter() - start)

    def resume_session(self, scope: ScopeLike, session_id: str, more_text: str = "", *,
                       model: Any = None) -> SessionState:
        """The saved state of a session, continued through `more_text`: generating from it
        gives what reading the whole text in one pass gives."""
        sc = as_scope(scope)
        sid = _check_session_id(session_id)
        more_text = _model_text(more_text, "more_text", required=False)
        transcript = self._transcript(sc, sid, read=True)
        if transcript is None:
            raise NotFoundError(f"no saved session {sid!r} in your scope (never saved, or its "
                                f"transcript was forgotten or expired); save it first "
                                f"(MemOS.save_session / memos session save)")
        tier = self._activation()
        m = tier.model(model)
        state = tier.load_state(transcript, m.fingerprint)
        with tier.model_lock:
            if state is None:  # another model, or its blob is gone: read the text again
                began = time.perf_counter()
                state = m.read_session(transcript.content)
                tier.save_state(transcript, state, sid, time.perf_counter() - began)
            if more_text:
                _, state = m.generate_ids(more_text, state=state, max_new_tokens=0)
        return state

    def session_transcript(self, scope: ScopeLike, session_id: str) -> MemCube | None:
        """The transcript a session was last saved with (its cube, current version), or None
        when it has none live: never saved in this scope, or forgotten, archived or past its
        expiry. Looking does not count as a resume (the scheduler's access signal)."""
        return self._transcript(as_scope(scope), _check_session_id(session_id))

    def continue_session(self, scope: ScopeLike, session_id: str, text: str = "", *,
                         max_new_tokens: int = 32, model: Any = None) -> str:
        """Resume a saved session through `text` and return what the model writes next."""
        max_new_tokens = _int_arg(max_new_tokens, "max_new_tokens", 1, 4096)
        state = self.resume_session(scope, session_id, text, model=model)
        tier = self._activation()
        m = tier.model(model)
        with tier.model_lock:
            return m.generate(None, state=state, max_new_tokens=max_new_tokens)

    def tiers(self, scope: ScopeLike | None = None) -> list[dict[str, Any]]:
        """Cubes and bytes per tier, user and state. With a scope, only the cubes it owns
        (the rule of `stats`): a user's all; with an agent, that agent's and its user's
        cubes of no agent, never a sibling agent's. None: the whole store (admin view)."""
        from memos.stores import tier_stats

        sc = as_scope(scope) if scope is not None else None
        with self._store.repo.read() as session:
            return tier_stats.tier_totals(session, sc)

    # -- scheduler -----------------------------------------------------------------------

    def run_scheduler(self, *, dry_run: bool = False, config: SchedulerConfig | None = None,
                      now: datetime | None = None) -> SchedulerReport:
        """One scheduler pass: expire, promote hot cubes to slots, evict cold blobs."""
        from memos import scheduler

        return scheduler.run_once(self._store, self._activation(), config,
                                  dry_run=_bool_arg(dry_run, "dry_run"), now=_now_arg(now))

    def start_scheduler(self, interval: float = 60.0, *,
                        config: SchedulerConfig | None = None) -> None:
        """Run the scheduler every `interval` seconds on a background thread (until close)."""
        from memos.scheduler import SchedulerThread

        with self._tier_lock:
            if self._scheduler is not None:
                raise ConflictError("the scheduler is already running; stop_scheduler() first")
            self._scheduler = SchedulerThread(lambda: self.run_scheduler(config=config),
                                              interval)

    def stop_scheduler(self) -> None:
        """Stop the background scheduler, waiting for a pass in progress to finish."""
        with self._tier_lock:
            thread, self._scheduler = self._scheduler, None
        if thread is not None:
            thread.stop(timeout=None)

    def scheduler_log(self, limit: int = 100) -> list[dict[str, Any]]:
        """The scheduler's newest decisions (audit rows of actor "scheduler")."""
        from memos.scheduler import ACTOR
        from memos.stores import tier_stats

        limit = _int_arg(limit, "limit", 1, 100_000)
        with self._store.repo.read() as session:
            return [{"id": r.id, "at": r.at, "action": r.action, "cube_id": r.target,
                     "reason": r.reason} for r in tier_stats.audit_entries(
                         session, actor=ACTOR, limit=limit)]


__all__ = ["MemOS", "ScopeLike", "as_scope"]
