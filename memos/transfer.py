"""Export and import of a user's cubes as JSON Lines (`memos-export/1`, docs/SDK.md).

Export writes each cube at its latest version plus every earlier version, then the edges,
for the caller's scope only (the rule of `get`: cubes of the caller's user that the caller
may read). A file destination is written atomically (a temporary file beside it, renamed
over it at the end), never over an existing file unless asked (`overwrite=True`), and never
over a file of a store (a SQLite database, anything in a store or index folder), even then.

Import treats its file as untrusted input: every cube goes through MemCube's validation (the
rules of `add`) and the export format's fields (no others, numbers as JSON numbers), must
belong to a scope the caller may write (another agent's shared cubes, which every export of
a sibling holds, are left to that agent: `ImportReport.left`), and every edge through the
rules of `link`. Ids keep their value unless a cube that is not the caller's already has it,
or the id is not of memos's own form (32 lowercase hex characters, random), or the import
replaces every id (`keep_ids=False`, the REST server's): then the line's cube gets
`scoped_id(user, agent, file id)` (`ImportReport.renamed`), which depends on nothing in the
store, so nothing of that other cube is touched or reported, a chosen id tells nobody
whether it is taken, and the same file imported again finds its cubes and adds nothing. Ids
a cube names (derived_from, metadata "used", sources "<id>@<version>", edges) follow the
rename. A refusal propagates through derived_from in one pass (a worklist), and the store is
read in batches: the write lock is held for a time linear in the file. Everything is written
in ONE transaction, so `on_error="abort"` really means nothing was imported.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import os
import re
import stat
import tempfile
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from pydantic import ValidationError
from sqlalchemy import and_, select
from sqlalchemy.exc import DataError, IntegrityError

from memos.cube import (
    MAX_REASON_CHARS,
    AccessStats,
    DerivedFrom,
    Lifecycle,
    MemCube,
    Scope,
    SourceRef,
    Visibility,
    check_stored_text,
    check_tier_kind,
    check_user_metadata,
    check_utc_range,
    check_validity,
    content_hash,
    new_id,
    utcnow,
)
from memos.errors import ConflictError, ImportFormatError, InvalidInputError
from memos.results import ExportReport, ImportReport
from memos.stores.adapters import is_adapter
from memos.stores.derived import blob_of
from memos.stores.filters import parse_time
from memos.stores.graph import ENTITY_PREFIX, entity_node
from memos.stores.repository import (
    can_read,
    can_write,
    cube_from_row,
    gone_to,
    live_clause,
    visible_clause,
)
from memos.stores.schema import CubeRow, CubeVersionRow, EdgeRow
from memos.writes import gone_state

if TYPE_CHECKING:
    from memos.parts import StoreParts
    from memos.results import ProgressFn

log = logging.getLogger(__name__)

FORMAT = "memos-export/1"
MAX_ID_CHARS = 64  # the width of cubes.id
_MEMOS_ID = re.compile(r"[0-9a-f]{32}")  # memos.cube.new_id: uuid4().hex
MAX_RELATION_CHARS = 64  # the width of edges.relation; `link` refuses longer relations
MAX_ENTITY_CHARS = 256  # the width of edges.entity
MAX_HITS = 2**31 - 1  # cubes.hits is a 32-bit integer on PostgreSQL
SQLITE_HEADER = b"SQLite format 3\x00"
# Files of a store folder: the SQLite database and its journals, the FAISS index files.
STORE_MARKERS = ("memos.db",)
STORE_SUFFIXES = (".faiss",)


def _line(obj: dict[str, Any]) -> str:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False) + "\n"


# -- field rules shared by import (and usable by any caller that takes ids or edges) --------


def check_cube_id(value: Any, what: str = "cube id") -> str:
    """A cube id a file may give: 1 to 64 printable characters, no spaces and no '/', not
    '.' or '..', not `entity:...` (those name entity nodes). Raises ValueError saying what
    is wrong."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} must be a non-empty string, got {value!r}")
    if len(value) > MAX_ID_CHARS:
        raise ValueError(f"{what} {value[:40]!r}... is {len(value):,} characters, over "
                         f"{MAX_ID_CHARS}; use a shorter id (or leave it to memos)")
    if value.lower().startswith(ENTITY_PREFIX):
        raise ValueError(f"{what} {value!r} starts with {ENTITY_PREFIX!r}, which names "
                         f"entity nodes; give the cube another id")
    if not all(ch.isprintable() and not ch.isspace() for ch in value):
        raise ValueError(f"{what} {value!r} contains a space, control, format or invalid "
                         f"character; use printable characters only")
    if "/" in value or value in (".", ".."):
        # A URL path names a cube by its id (/v1/memories/<id>): the server routes on the
        # decoded path, so such a cube could not be read, changed or forgotten over HTTP.
        raise ValueError(f"{what} {value!r} holds '/' or is a dot segment, which a URL "
                         f"path cannot carry as one id; give the cube another id (or leave "
                         f"it to memos)")
    return value


def check_relation(relation: Any) -> str:
    """An edge relation: the rule of `link` (1 to 64 characters), printable."""
    if not isinstance(relation, str) or not relation or len(relation) > MAX_RELATION_CHARS:
        size = len(relation) if isinstance(relation, str) else type(relation).__name__
        raise ValueError(f"relation must be 1 to {MAX_RELATION_CHARS} characters (got {size})")
    check_stored_text(relation, "relation")  # NUL, lone surrogates: said as such
    if not all(ch.isprintable() for ch in relation) or not relation.strip():
        raise ValueError(f"relation {relation!r} holds control or invalid characters (or only "
                         "spaces); use printable text")
    return relation


def check_weight(weight: Any) -> float:
    """An edge weight: a positive finite number (the edge's strength in graph retrieval,
    which adds weight / seed rank to a neighbour's score: zero or less would make a cube a
    graph candidate that the edge says nothing for)."""
    if isinstance(weight, bool) or not isinstance(weight, (int, float)):
        raise ValueError(f"weight must be a number, got {weight!r}")
    value = float(weight)
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"weight must be a positive finite number, got {value!r}; use a "
                         "value such as 1.0 (larger: a stronger link)")
    return value


def check_entity(name: Any) -> str:
    """An entity node name (what follows `entity:`), normalised as `link` does."""
    if not isinstance(name, str):
        raise ValueError(f"entity name must be a string, got {name!r}")
    norm = entity_node(name)[len(ENTITY_PREFIX):]
    if not norm:
        raise ValueError("entity name is empty; write entity:<name>")
    if len(norm) > MAX_ENTITY_CHARS:
        raise ValueError(f"entity name is {len(norm):,} characters, over {MAX_ENTITY_CHARS}")
    if not all(ch.isprintable() for ch in norm):
        raise ValueError(f"entity name {norm!r} holds control or invalid characters")
    return norm


# -- export ---------------------------------------------------------------------------


def _store_files(store: StoreParts) -> tuple[list[Path], list[Path]]:
    """(folders whose every file is the store's, single files that are the store's)."""
    folders = [Path(store.vectors.folder)]
    files: list[Path] = []
    url = store.repo.engine.url
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        db = Path(url.database)
        files += [db, *(db.with_name(db.name + s) for s in ("-wal", "-shm", "-journal"))]
    return [_resolved(f) for f in folders], [_resolved(f) for f in files]


def _resolved(path: Path) -> Path:
    try:
        return path.expanduser().resolve()
    except (OSError, RuntimeError):
        return Path(os.path.abspath(path))


def _is_store_folder(folder: Path) -> bool:
    """A folder holding a memos store's files (another store's, or this one's)."""
    try:
        if any((folder / name).exists() for name in STORE_MARKERS):
            return True
        return any(p.suffix in STORE_SUFFIXES for p in folder.iterdir())
    except OSError:
        return False


def _is_sqlite(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(len(SQLITE_HEADER)) == SQLITE_HEADER
    except OSError:
        return False


def _check_destination(store: StoreParts, dest: Path, overwrite: bool) -> tuple[Path, bool]:
    """The resolved path to write and whether it must be written in place (a FIFO or a
    character device such as /dev/stdout); raises for a destination that must not be."""
    with contextlib.suppress(OSError):
        given = os.stat(dest)  # follows links: /dev/stdout is the pipe or terminal behind it
        if stat.S_ISFIFO(given.st_mode) or stat.S_ISCHR(given.st_mode):
            return dest, True  # a pipe or a terminal: nothing on disk is replaced
    target = _resolved(dest)
    folders, files = _store_files(store)
    refuse = (f"refusing to export to {dest}: it is a file of a memos store, and writing "
              f"there would destroy the store; choose another path, e.g. alice.jsonl")
    if target in files or any(target == f or f in target.parents for f in folders):
        raise InvalidInputError(refuse)
    if _is_store_folder(target.parent):
        raise InvalidInputError(refuse)
    try:
        info = os.stat(target)
    except FileNotFoundError:
        if not target.parent.is_dir():
            raise InvalidInputError(f"cannot export to {dest}: folder {target.parent} does "
                                    "not exist; create it first") from None
        return target, False
    except OSError as exc:
        raise InvalidInputError(f"cannot export to {dest} ({exc.strerror}); check the path"
                                ) from None
    if stat.S_ISDIR(info.st_mode):
        raise InvalidInputError(f"cannot export to {dest}: it is a folder; name a file in "
                                f"it, e.g. {Path(dest) / 'export.jsonl'}")
    if not stat.S_ISREG(info.st_mode):
        raise InvalidInputError(f"cannot export to {dest}: it is not a regular file")
    if _is_sqlite(target):
        raise InvalidInputError(f"refusing to export to {dest}: it is a SQLite database "
                                "(perhaps a memos store); choose another path")
    if not overwrite:
        raise ConflictError(f"{dest} already exists; replace it with --force (SDK: "
                            "overwrite=True) or choose another path")
    return target, False


def _write_atomically(target: Path, lines: list[str], mode: int | None) -> None:
    """Write to a temporary file beside `target`, flush it to disk, then rename it over
    `target`: a failure at any point leaves `target` as it was and no temporary behind."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise InvalidInputError(f"cannot write in {target.parent} ({exc.strerror}); check "
                                "the folder's permissions") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.writelines(lines)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise InvalidInputError(f"cannot write {target} ({exc.strerror}); nothing was "
                                "written, check the disk space and permissions") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def export(store: StoreParts, scope: Scope, dest: str | os.PathLike[str] | TextIO | None,
           include_superseded: bool, *, overwrite: bool = False) -> ExportReport:
    """Write the scope's own live cubes (forgotten and expired ones are left out), and the
    cubes they were derived from that are not live (expired, archived, superseded), as they
    are, so that the file restores; a source it may not write out (a forgotten cube, one
    purged or not the caller's to read) is named in the line's `left_out`.

    "Own": cubes of the caller's user that the caller may read, the rule of `get` (an
    agent-scoped caller does not export another agent's private cubes). Edges are written
    only between exported cubes (or to entities), so nothing outside the scope is named.
    """
    if dest is None:
        raise InvalidInputError("export() needs a destination: a file path or an open text file")
    target: Path | None = None
    in_place = False
    if isinstance(dest, (str, os.PathLike)):
        if not str(dest):
            raise InvalidInputError("export() needs a destination: the path is empty")
        if "\x00" in str(dest):
            raise InvalidInputError(f"cannot export to {str(dest)!r:.60}: the path contains a "
                                    "NUL character; name a file such as alice.jsonl")
        target, in_place = _check_destination(store, Path(dest), overwrite)
    store.flush_access()
    repo = store.repo
    where = and_(CubeRow.user_id == scope.user_id, visible_clause(scope),
                 live_clause(utcnow(), include_superseded))
    with repo.read() as session:
        rows = list(session.execute(select(CubeRow).where(where)).scalars())
        # Slots and session states the OS made are caches of the exported text, and their
        # blobs stay behind: they are encoded again where the file is imported. So do
        # adapters (weights of this store's model, trained again from the facts there):
        # their `memos:` keys are the OS's own, which no import may write.
        rows = [r for r in rows if blob_of(r) is None and not is_adapter(r)]
        lines, left_out = _cube_lines(repo, session, rows, scope)
        rows = sorted(lines, key=lambda r: (r.recorded_at, r.id))
        pk_to_id = {r.pk: r.id for r in rows}
        pks = list(pk_to_id)
        edges = []
        for start in range(0, len(pks), 500):  # bounded IN lists: drivers cap bind parameters
            edges += session.execute(select(EdgeRow).where(
                EdgeRow.src_pk.in_(pks[start:start + 500]))).scalars()
        # by what they join, not by when this store inserted them: the same edges export
        # as the same lines from a store the file was imported into
        edges.sort(key=lambda e: (pk_to_id.get(e.src_pk, ""),
                                  pk_to_id.get(e.dst_pk, "") if e.dst_pk is not None else "",
                                  e.entity or "", e.relation, e.weight,
                                  e.created_at.isoformat()))
    out = [_line({"format": FORMAT, "exported_at": utcnow().isoformat(),
                  "user_id": scope.user_id, "embedder": store.embedder.identity})]
    for row in rows:
        cube, history, made = lines[row]
        out.append(_line({"type": "cube", "cube": cube, "history": history,
                          **({"made": made} if made else {}),
                          **({"left_out": left_out[row.id]} if row.id in left_out else {})}))
    n_edges = 0
    for edge in edges:
        if edge.dst_pk is not None and edge.dst_pk not in pk_to_id:
            continue  # outside the export (another scope's cube, or not live): not named
        dst = pk_to_id[edge.dst_pk] if edge.dst_pk is not None else ENTITY_PREFIX + (edge.entity or "")
        out.append(_line({"type": "edge", "src": pk_to_id[edge.src_pk], "dst": dst,
                          "relation": edge.relation, "weight": edge.weight,
                          "created_at": edge.created_at.isoformat()}))
        n_edges += 1
    # The end line: an export cut between lines (a full disk, a copy stopped midway) reads
    # as a complete one without it; import checks these counts.
    out.append(_line({"type": "end", "cubes": len(rows), "edges": n_edges}))
    if target is None:
        dest.writelines(out)  # type: ignore[union-attr]  # an open text file
    elif in_place:
        try:
            with open(target, "w", encoding="utf-8", newline="\n") as handle:
                handle.writelines(out)
        except OSError as exc:
            raise InvalidInputError(f"cannot write {dest} ({exc.strerror}); check the path"
                                    ) from None
    else:
        mode = None
        with contextlib.suppress(OSError):
            mode = stat.S_IMODE(os.stat(target).st_mode)  # a replaced file keeps its mode
        _write_atomically(target, out, mode)
    path = str(dest) if isinstance(dest, (str, os.PathLike)) else None
    return ExportReport(path=path, cubes=len(rows), edges=n_edges)


def _cube_lines(repo: Any, session: Any, rows: list[CubeRow], scope: Scope
                ) -> tuple[dict[CubeRow, tuple[dict[str, Any], list[dict[str, Any]],
                                               list[dict[str, Any]]]],
                           dict[str, list[str]]]:
    """Each row's cube, earlier versions and how each version was made (`MemOS.versions`:
    the owner's only, as the earlier versions) as the file writes them, with the cubes they
    were derived from added (transitively) when `scope` may export them though they are not
    live: its own user's, readable, not forgotten (an expired, archived or superseded
    cube; another agent's only where `get` shows it). What stays out is listed per line
    (cube id -> the ids of its versions' `derived_from` that the file does not hold)."""
    lines: dict[CubeRow, tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]] = {}
    exported: set[str] = set()
    refs_of: dict[str, set[str]] = {}
    todo = rows
    while todo:
        wanted: set[str] = set()
        for row in todo:
            if row.id in exported:
                continue
            exported.add(row.id)
            cube = cube_from_row(row).model_dump(mode="json")
            # Earlier versions are the owner's only (the rule of history and get(version=)):
            # a cube the caller may read but not change goes out at its current version.
            versions = repo.versions(session, row.id) if can_write(row, scope) else []
            history = [MemCube.model_validate(v.snapshot).model_dump(mode="json")
                       for v in versions if v.version < row.version]
            made = [{"version": v.version, "op": v.op, "at": v.created_at.isoformat(),
                     "reason": v.reason} for v in versions if v.version <= row.version]
            lines[row] = (cube, history, made)
            refs = {str(d.get("cube_id")) for v in (cube, *history)
                    for d in v.get("derived_from") or ()}
            refs_of[row.id] = refs
            wanted |= refs
        wanted -= exported
        ids = sorted(wanted)
        todo = []
        for start in range(0, len(ids), 500):
            todo += [r for r in session.execute(select(CubeRow).where(
                CubeRow.id.in_(ids[start:start + 500]), CubeRow.user_id == scope.user_id,
                visible_clause(scope), CubeRow.state != Lifecycle.FORGOTTEN.value)).scalars()
                if blob_of(r) is None and not is_adapter(r) and not gone_to(r, scope)]
    left_out = {cid: sorted(refs - exported) for cid, refs in refs_of.items() if refs - exported}
    return lines, left_out


# -- import ---------------------------------------------------------------------------

IMPORT_NAMESPACE = "memos-import/1"
# The fields each object of a line may hold (MemCube.model_dump's, and the line's own).
CUBE_FIELDS = frozenset(MemCube.model_fields)
SCOPE_FIELDS = frozenset(Scope.model_fields)
ACCESS_FIELDS = frozenset(AccessStats.model_fields)
SOURCE_FIELDS = frozenset(SourceRef.model_fields)
DERIVED_FIELDS = frozenset(DerivedFrom.model_fields)
HEADER_FIELDS = frozenset({"format", "exported_at", "user_id", "embedder"})
CUBE_LINE_FIELDS = frozenset({"type", "cube", "history", "made", "left_out"})
MADE_FIELDS = frozenset({"version", "op", "at", "reason"})
EDGE_LINE_FIELDS = frozenset({"type", "src", "dst", "relation", "weight", "created_at"})
END_LINE_FIELDS = frozenset({"type", "cubes", "edges"})
MAX_WHY_CHARS = 160  # of a refused line's message quoted in another line's
_CUBE_REF = re.compile(r"(.+)@([0-9]+)")  # a source of kind "cube": "<cube id>@<version>"


def scoped_id(user_id: str, agent_id: str | None, file_id: str) -> str:
    """The id an import gives a cube of its file whose id it does not keep: a hash of the
    owner (user, agent or none) and the file's id, in the form of memos's own ids. The same
    file imported again finds the cubes the first import wrote (and adds nothing); the id
    depends on nothing in the store, so it tells nothing of other users' ids."""
    text = "\x00".join((IMPORT_NAMESPACE, user_id, agent_id or "", file_id))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


@dataclass
class _CubeLine:
    number: int
    cube: MemCube
    history: list[MemCube]
    left_out: frozenset[str] = frozenset()
    # how each version was made, as exported (version -> op, time, reason); none: "import"
    made: dict[int, tuple[str, datetime, str | None]] = field(default_factory=dict)

    @property
    def agent(self) -> str | None:
        return self.cube.scope.agent_id

    @property
    def versions(self) -> tuple[MemCube, ...]:
        return (*self.history, self.cube)


@dataclass
class _Parsed:
    """Every line checked on its own (no store access)."""

    errors: list[tuple[int, str]] = field(default_factory=list)
    cubes: dict[str, _CubeLine] = field(default_factory=dict)  # the caller's, by file id
    # Shared cubes of another agent of the caller's user (an agent's export holds its
    # siblings' shared cubes): never written here, left to that agent's import.
    others: dict[str, _CubeLine] = field(default_factory=dict)
    refused: dict[str, tuple[int, str]] = field(default_factory=dict)  # file id -> line, why
    edges: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    lines: int = 0  # lines that are not blank
    header: bool = False  # line 1 is a header line
    # The end line export writes last: its line number, or None when the file has none
    end: int | None = None
    typed: dict[str, int] = field(default_factory=dict)  # "cube" / "edge" -> lines of it
    # Lines whose type could not be read (not UTF-8, not a JSON object, or a type that is
    # not one of the line types): each may be one of the cube or edge lines an end counts
    unread: int = 0


def _lines(source: str | os.PathLike[str] | TextIO) -> Iterator[str | UnicodeDecodeError]:
    """Lines of a file, each decoded on its own so that one bad line is one line error. A
    UTF-8 byte order mark before the first line (editors on Windows write one) is dropped."""
    if not isinstance(source, (str, os.PathLike)):
        for number, line in enumerate(source):
            yield line.removeprefix("\ufeff") if number == 0 else line
        return
    try:
        handle = open(Path(source), "rb")
    except OSError as exc:
        raise InvalidInputError(f"cannot open {source} ({exc.strerror}); check the path") from exc
    with handle:
        for number, raw in enumerate(handle):
            try:
                yield (raw.removeprefix(b"\xef\xbb\xbf") if number == 0 else raw).decode("utf-8")
            except UnicodeDecodeError as exc:
                yield exc


def _owned_by_caller(cube: MemCube, scope: Scope) -> None:
    """The write rule (`can_write`): the caller's user, and the caller's agent or none."""
    owner = cube.scope
    if owner.user_id != scope.user_id:
        raise ValueError(f"cube {cube.id} v{cube.version} belongs to user {owner.user_id!r}, "
                         f"not {scope.user_id!r}; import it with that user's scope")
    if owner.agent_id not in (None, scope.agent_id):
        raise ValueError(f"cube {cube.id} v{cube.version} belongs to agent {owner.agent_id!r}; "
                         f"import it with that agent's scope (--agent {owner.agent_id})")


def _only_fields(obj: dict[str, Any], allowed: frozenset[str], what: str) -> None:
    unknown = sorted(str(k) for k in obj if k not in allowed)
    if unknown:
        raise ValueError(f"unknown field {unknown[0][:60]!r} in {what}; a memos-export/1 "
                         f"{what} holds only {', '.join(sorted(allowed))} (docs/SDK.md, "
                         "Export format): remove it")


def _number(value: Any, what: str, whole: bool = False) -> None:
    """A JSON number (pydantic would also take "0.5", "2" or true)."""
    if isinstance(value, bool) or not isinstance(value, int if whole else (int, float)):
        kind = "a whole number" if whole else "a number"
        raise ValueError(f"{what} must be {kind}, got {json.dumps(value)[:40]}; write it "
                         "without quotes")


def _check_raw_cube(obj: Any, what: str) -> None:
    """What MemCube's validation lets through but an export never holds: unknown fields
    (at any level) and numbers written as text or booleans."""
    if not isinstance(obj, dict):
        return  # MemCube's validation says what it must be
    _only_fields(obj, CUBE_FIELDS, what)
    for key in ("confidence", "importance"):
        if key in obj:
            _number(obj[key], f"{what} {key}")
    if "version" in obj:
        _number(obj["version"], f"{what} version", whole=True)
    if isinstance(obj.get("scope"), dict):
        _only_fields(obj["scope"], SCOPE_FIELDS, f"{what} scope")
    if isinstance(obj.get("access"), dict):
        _only_fields(obj["access"], ACCESS_FIELDS, f"{what} access")
        if "hits" in obj["access"]:
            _number(obj["access"]["hits"], f"{what} access.hits", whole=True)
    for item in obj.get("sources") if isinstance(obj.get("sources"), list) else ():
        if isinstance(item, dict):
            _only_fields(item, SOURCE_FIELDS, f"{what} source")
    for item in obj.get("derived_from") if isinstance(obj.get("derived_from"), list) else ():
        if isinstance(item, dict):
            _only_fields(item, DERIVED_FIELDS, f"{what} derived_from entry")
            if "version" in item:
                _number(item["version"], f"{what} derived_from version", whole=True)


def _not_after(cube: MemCube, now: datetime) -> MemCube:
    """A time the file says is in the future is the import's time: a cube recorded or read
    later than now would outrank every other cube for recency and promotion."""
    update: dict[str, Any] = {}
    if _after(cube.recorded_at, now):
        update["recorded_at"] = now
    if _after(cube.access.last_access, now):
        update["access"] = cube.access.model_copy(update={"last_access": now})
    return cube.model_copy(update=update) if update else cube


def _after(value: datetime | None, now: datetime) -> bool:
    """Whether `value` is later than `now` (a time without a zone is UTC, as the store
    reads it)."""
    if value is None:
        return False
    return (value if value.tzinfo is not None else value.replace(tzinfo=UTC)) > now


def _sibling_owned(scopes: list[Scope], scope: Scope) -> bool:
    """Whether a line whose versions have these (validated) scopes, the current one first,
    is a shared cube of another agent of the caller's user: left to that agent's import,
    never written by this one."""
    owner = scopes[0]
    return (owner.user_id == scope.user_id and owner.agent_id not in (None, scope.agent_id)
            and owner.visibility != Visibility.PRIVATE
            and all((s.user_id, s.agent_id) == (owner.user_id, owner.agent_id)
                    for s in scopes))


def sibling_line(obj: Any, scope: Scope) -> bool:
    """`_sibling_owned` for a raw line of an export file (its scopes validated as the
    import validates them: ids in NFC), False for a line that is not a well-formed cube
    line. The REST server's publisher check uses it to leave out exactly the lines the
    import leaves to another agent."""
    if not isinstance(obj, dict) or not isinstance(obj.get("cube"), dict):
        return False
    history = obj.get("history") or []
    if not isinstance(history, list):
        return False
    try:
        scopes = [Scope.model_validate(v.get("scope") if isinstance(v, dict) else None)
                  for v in (obj["cube"], *history)]
    except (ValueError, TypeError):
        return False
    return _sibling_owned(scopes, scope)


def _parse_cube(obj: dict[str, Any], scope: Scope, now: datetime, public: bool = True
                ) -> tuple[_CubeLine, bool]:
    """The line's cube and history, and whether it is a shared cube of another agent of
    the caller's user (left to that agent's import: nothing of it is written here).
    `public`: whether the caller may write public cubes (a REST key that is not an
    admin's may not: a line holding one is refused)."""
    _only_fields(obj, CUBE_LINE_FIELDS, "cube line")
    if not isinstance(obj.get("cube"), dict):
        raise ValueError("a cube line needs a 'cube' object")
    raw_history = obj.get("history") or []
    if not isinstance(raw_history, list):
        raise ValueError("'history' must be a list of earlier versions")
    _check_raw_cube(obj["cube"], "cube")
    for i, raw in enumerate(raw_history):
        _check_raw_cube(raw, f"history[{i}]")
    try:
        cube = MemCube.model_validate(obj["cube"])
        history = [MemCube.model_validate(h) for h in raw_history]
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        message = str(first.get("msg")).removeprefix("Value error, ")
        raise ValueError(f"invalid cube: {where}: {message}") from None
    check_cube_id(cube.id)
    for c in (cube, *history):
        if c.id != cube.id:
            raise ValueError(f"history of cube {cube.id} holds a version of {c.id}")
    if _sibling_owned([cube.scope, *(h.scope for h in history)], scope):
        # Another agent's cube the caller may read: in every export of the caller's scope,
        # and its agent's to import (a private one never is: it is refused below).
        return _CubeLine(0, cube, history), True
    try:  # of the cube as it stands (older versions are kept as they were written)
        check_validity(cube.valid_from, cube.valid_to)
    except ValueError as exc:
        raise ValueError(f"cube {cube.id}: {exc}") from None
    for c in (cube, *history):
        check_user_metadata(c.metadata)
        try:  # a text given memos' own tier or kind would be neither listed nor searched
            check_tier_kind(c.tier, c.kind, c.derived_from)
        except ValueError as exc:
            raise ValueError(f"cube {c.id} v{c.version}: {exc}") from None
    if not public and any(c.scope.visibility == Visibility.PUBLIC for c in (cube, *history)):
        raise ValueError(f"cube {cube.id} is public in the file: public memories are read by "
                         "every user, so only an admin key may import them; import it with "
                         "an admin key, or make it 'private' or 'shared' in the file")
    for c in (cube, *history):
        _owned_by_caller(c, scope)
        if c.content_hash != content_hash(c.content):
            raise ValueError(f"cube {c.id} v{c.version}: content_hash does not match its content")
        if not 0 <= c.access.hits <= MAX_HITS:
            raise ValueError(f"cube {c.id} v{c.version}: access.hits must be 0..{MAX_HITS}")
    # (the length first: a line claiming version 2,000,000,000 must not build that list)
    if len(history) != cube.version - 1 or [h.version for h in history] != list(
            range(1, cube.version)):
        raise ValueError(f"cube {cube.id}: history must hold versions 1..{cube.version - 1}")
    raw_left = obj.get("left_out") or []
    if not isinstance(raw_left, list):
        raise ValueError("'left_out' must be a list of cube ids")
    named = {ref.cube_id for c in (cube, *history) for ref in c.derived_from}
    for left in raw_left:
        check_cube_id(left, "left_out id")
        if left not in named:
            raise ValueError(f"left_out names {left!r}, which no derived_from of this line "
                             "names; remove it")
    return _CubeLine(0, _not_after(cube, now), [_not_after(h, now) for h in history],
                     frozenset(raw_left), _parse_made(obj.get("made"), cube, now)), False


# The operations a version is made by (`Repository.write_version` / `insert_cubes` callers)
KNOWN_OPS = frozenset({"add", "update", "supersede", "forget", "rollback", "archive",
                       "import", "bump", "merge", "derive", "rederive", "invalidate",
                       "reconsolidate", "activate", "retire"})


def _parse_made(raw: Any, cube: MemCube, now: datetime) -> dict[int, tuple[str, datetime,
                                                                          str | None]]:
    """A cube line's `made`: for versions of the line, the operation, time and reason each
    was made with (`MemOS.versions`), as export writes them."""
    if raw is None:
        return {}
    if not isinstance(raw, list):
        raise ValueError("'made' must be a list of {version, op, at, reason}")
    out: dict[int, tuple[str, datetime, str | None]] = {}
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise ValueError(f"made[{i}] must be an object {{version, op, at, reason}}")
        _only_fields(item, MADE_FIELDS, f"made[{i}]")
        version, op, reason = item.get("version"), item.get("op"), item.get("reason")
        if isinstance(version, bool) or not isinstance(version, int) or not (
                1 <= version <= cube.version) or version in out:
            raise ValueError(f"made[{i}].version must be one of the line's versions "
                             f"(1..{cube.version}), once each")
        if not isinstance(op, str) or op not in KNOWN_OPS:
            raise ValueError(f"made[{i}].op must be one of {', '.join(sorted(KNOWN_OPS))}")
        if reason is not None and (not isinstance(reason, str)
                                   or len(reason) > MAX_REASON_CHARS):
            raise ValueError(f"made[{i}].reason must be text of at most "
                             f"{MAX_REASON_CHARS:,} characters, or null")
        if reason is not None:
            check_stored_text(reason, f"made[{i}].reason")
        at = parse_time(item.get("at"), f"made[{i}].at", "field")
        out[version] = (op, min(at, now), reason)
    times = [out[v][1] for v in sorted(out)]
    if any(later < earlier for earlier, later in zip(times, times[1:], strict=False)):
        raise ValueError("'made' must give each version a time no earlier than the one before")
    return out


def _parse_edge(obj: dict[str, Any], now: datetime) -> dict[str, Any]:
    _only_fields(obj, EDGE_LINE_FIELDS, "edge line")
    src, dst = obj.get("src"), obj.get("dst")
    if not isinstance(src, str) or not isinstance(dst, str):
        raise ValueError("an edge needs string src and dst")
    check_cube_id(src, "edge src")
    if dst.startswith(ENTITY_PREFIX):
        entity = check_entity(dst[len(ENTITY_PREFIX):])
    else:
        check_cube_id(dst, "edge dst")
        if dst == src:
            raise ValueError(f"edge links cube {src} to itself; an edge joins two cubes")
        entity = None
    created = _time(obj.get("created_at"), now)
    if created.tzinfo is None:  # as the store reads it: an edge read back compares equal
        created = created.replace(tzinfo=UTC)
    # "dated": the line gives its time (not left out, not in the future): an edge already
    # there is the same edge only at that time.
    dated = obj.get("created_at") not in (None, "") and not _after(created, now)
    return {"src": src, "dst": dst, "entity": entity, "relation": check_relation(obj.get("relation")),
            "weight": check_weight(obj.get("weight", 1.0)),
            "created_at": created if dated else now, "dated": dated}


def _time(value: Any, now: datetime) -> datetime:
    if value is None or value == "":
        return now
    try:
        parsed = parse_time(value, "created_at", "field")
    except InvalidInputError:
        raise ValueError(f"created_at {str(value)[:60]!r} is not an ISO date/time such as "
                         "2026-01-31T12:00:00+00:00") from None
    check_utc_range(parsed, "created_at")
    return parsed


def _file_id(obj: Any) -> str | None:
    """The cube id a refused line gives, if it gives one (to name it in other lines)."""
    cube = obj.get("cube") if isinstance(obj, dict) else None
    cid = cube.get("id") if isinstance(cube, dict) else None
    return cid if isinstance(cid, str) and cid else None


def _parse_file(source: str | os.PathLike[str] | TextIO, scope: Scope, now: datetime,
                public: bool = True) -> _Parsed:
    parsed = _Parsed()
    for number, raw in enumerate(_lines(source), start=1):
        if isinstance(raw, UnicodeDecodeError):
            parsed.errors.append((number, f"not UTF-8 (byte {raw.start}): {raw.reason}"))
            parsed.unread += 1
            continue
        if not raw.strip():
            continue
        parsed.lines += 1
        obj: Any = None
        try:
            obj = json.loads(raw, parse_constant=_no_constant)
            if not isinstance(obj, dict):
                raise ValueError("a line must be a JSON object")
            if parsed.end is not None:
                raise ValueError(f"a line after the end line (line {parsed.end}); an export "
                                 "ends with its end line: remove what follows it, or export "
                                 "again")
            kind = obj.get("type")
            if kind in ("cube", "edge"):
                parsed.typed[kind] = parsed.typed.get(kind, 0) + 1
            if "format" in obj and number == 1:
                parsed.header = True
                if obj["format"] != FORMAT:
                    raise ValueError(f"unknown format {str(obj['format'])[:60]!r}, expected {FORMAT!r}")
                _only_fields(obj, HEADER_FIELDS, "header line")
            elif kind == "cube":
                line, other = _parse_cube(obj, scope, now, public)
                line.number = number
                cid = line.cube.id
                if cid in parsed.cubes or cid in parsed.others:
                    raise ValueError(f"cube {cid} appears twice in the file")
                (parsed.others if other else parsed.cubes)[cid] = line
            elif kind == "edge":
                parsed.edges.append((number, _parse_edge(obj, now)))
            elif kind == "end":
                parsed.end = number
                _check_end(obj, parsed)
            else:
                parsed.unread += 1  # (its type damaged: it may be one of the end's counted)
                raise ValueError("unknown line type; expected type 'cube', 'edge' or 'end'")
        except (ValueError, TypeError, RecursionError) as exc:
            # ValueError covers json's decode errors and InvalidInputError.
            message = ("nested too deeply" if isinstance(exc, RecursionError)
                       else f"not JSON ({exc.msg}: column {exc.colno}); each line of an "
                       f"export is one JSON object" if isinstance(exc, json.JSONDecodeError)
                       else str(exc))
            parsed.errors.append((number, message))
            if not isinstance(obj, dict):  # (its type unknown: it may be a cube or an edge)
                parsed.unread += 1
            cid = _file_id(obj)
            if cid is not None and cid not in parsed.cubes and cid not in parsed.others:
                parsed.refused.setdefault(cid, (number, message))
    return parsed


def _check_end(obj: dict[str, Any], parsed: _Parsed) -> None:
    """The end line's counts against the cube and edge lines before it (each counted,
    whether or not it is a good line): a file cut between lines, or lines lost or added in
    copying, differs from what export wrote (checked where the file starts with the
    header)."""
    _only_fields(obj, END_LINE_FIELDS, "end line")
    for kind in ("cube", "edge"):
        said = obj.get(kind + "s")
        if isinstance(said, bool) or not isinstance(said, int) or said < 0:
            raise ValueError(f"the end line's {kind + 's'!r} must be a whole number of "
                             f"{kind} lines, got {str(said)[:40]!r}")
    held = (parsed.typed.get("cube", 0), parsed.typed.get("edge", 0))
    # Counted only in a file that starts with the header (a whole export): the last of the
    # parts a large file is cut into (docs/SERVER.md) holds the end line of the whole file.
    # A line that could not be read (reported as bad already) may be one of those counted.
    short = obj["cubes"] - held[0] + obj["edges"] - held[1]
    if parsed.header and (held[0] > obj["cubes"] or held[1] > obj["edges"]
                          or short > parsed.unread):
        raise ValueError(f"the end line counts {obj['cubes']} cube and {obj['edges']} edge "
                         f"line(s), the file holds {held[0]} and {held[1]}: lines were lost "
                         "or added since the export; export again, or import the good lines "
                         "with on_error='skip' (--on-error skip)")


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number; write a finite number")


class _Store:
    """The rows an import needs, looked up by id in batches (one SELECT per 500 ids), and
    how the file's ids map onto them. Only the caller's own cubes (and, for another agent's
    lines, cubes the caller may read, as `get` shows them) are ever reported or linked: any
    other holder of an id answers exactly as no holder does."""

    def __init__(self, session: Any, scope: Scope, keep_ids: bool, ids: set[str]) -> None:
        self.scope = scope
        self.keep_ids = keep_ids
        self.rows: dict[str, CubeRow] = {}
        self.taken: set[str] = set()  # ids some row holds (a cube's, or versions' alone)
        wanted = sorted(ids)
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            for row in session.execute(select(CubeRow).where(CubeRow.id.in_(chunk))).scalars():
                self.rows[row.id] = row
            # Version rows without a cube row would still collide: treat them as taken.
            self.taken.update(session.execute(select(CubeVersionRow.cube_id).where(
                CubeVersionRow.cube_id.in_(chunk)).distinct()).scalars())
        self.taken.update(self.rows)

    @staticmethod
    def wanted(parsed: _Parsed, scope: Scope, keep_ids: bool) -> set[str]:
        """Every id the import may look up: the file's ids and the ids an import gives them,
        and the ids its lines name outside the file (and theirs)."""
        user = scope.user_id
        ids: set[str] = set()
        for cid, line in (*parsed.cubes.items(), *parsed.others.items()):
            ids |= {cid, scoped_id(user, line.agent, cid)}
            ids |= {scoped_id(user, line.agent, r) for r in line.left_out}
        outside: set[str] = set()
        for line in parsed.cubes.values():
            for version in line.versions:
                outside.update(ref.cube_id for ref in version.derived_from)
                outside.update(_named_ids(version))
        for _, edge in parsed.edges:
            outside.update(end for end in (edge["src"], edge["dst"])
                           if not end.startswith(ENTITY_PREFIX))
        outside -= parsed.cubes.keys() | parsed.others.keys()
        ids |= outside
        agents = {None, scope.agent_id}
        ids |= {scoped_id(user, agent, r) for r in outside for agent in agents}
        return ids

    def writable(self, cid: str) -> CubeRow | None:
        row = self.rows.get(cid)
        return row if row is not None and can_write(row, self.scope) else None

    def stored(self, cid: str) -> CubeRow | None:
        """The caller's cube that an id not of the file names: that id's, or (keep_ids=False)
        the one an earlier import gave a cube of that id (a file imported in parts)."""
        row = self.writable(cid)
        if row is not None:
            return row
        user = self.scope.user_id  # (a restore in parts too: a part renamed a taken id)
        for agent in dict.fromkeys((None, self.scope.agent_id)):
            row = self.writable(scoped_id(user, agent, cid))
            if row is not None:
                return row
        return None

    def readable(self, cid: str, agent: str | None) -> CubeRow | None:
        """Another agent's cube, as `get` shows it to the caller (else: none)."""
        row = self.rows.get(cid)
        if row is None or row.user_id != self.scope.user_id or row.agent_id != agent:
            return None
        return row if can_read(row, self.scope) and not gone_to(row, self.scope) else None

    def free(self, cid: str) -> bool:
        return cid not in self.taken

    def absent_id(self, cid: str, agent: str | None) -> str:
        """The id a reference keeps for a cube of (user, `agent`) that is neither in the file
        nor in the store (left out by export, or in a later part): its own when the ids are
        kept (a restore) and no row holds it; else the scoped id, which another import of it
        gives it; never an id another user's cube holds (then a fresh one)."""
        if self.keep_ids and _MEMOS_ID.fullmatch(cid) and self.free(cid):
            return cid
        scoped = scoped_id(self.scope.user_id, agent, cid)
        return scoped if self.free(scoped) else new_id()


def _named_ids(cube: MemCube) -> list[str]:
    """Cube ids a cube names outside `derived_from`: the memories a message drew on
    (metadata "used", an assistant reply's) and the cube versions it was read from (a
    source of kind "cube", "<id>@<version>")."""
    used = cube.metadata.get("used")
    ids = [u for u in used if isinstance(u, str)] if isinstance(used, list) else []
    for source in cube.sources:
        match = _CUBE_REF.fullmatch(source.ref or "") if source.kind == "cube" else None
        if match:
            ids.append(match.group(1))
    return [i for i in ids if 0 < len(i) <= MAX_ID_CHARS]  # others name no cube


@dataclass
class _Plan:
    target: dict[str, str] = field(default_factory=dict)  # the caller's lines: file id -> id
    present: set[str] = field(default_factory=set)  # file ids whose cube is already there
    others: dict[str, str | None] = field(default_factory=dict)  # another agent's: id there
    refused: dict[str, int] = field(default_factory=dict)  # file id -> line number
    refs: dict[str, dict[str, str]] = field(default_factory=dict)  # per line: ref -> id
    errors: list[tuple[int, str]] = field(default_factory=list)
    left: list[tuple[int, str]] = field(default_factory=list)


def _targets(parsed: _Parsed, found: _Store, plan: _Plan) -> None:
    """The id each line's cube has (already there) or gets. The caller's cube of the same
    id, or of the id an earlier import gave this line (`scoped_id`), is this cube; else the
    id is kept when asked, of memos's own form and held by no row; else the scoped id."""
    user = found.scope.user_id
    given: set[str] = set()
    for cid, line in parsed.cubes.items():
        scoped = scoped_id(user, line.agent, cid)
        for there in (cid, scoped):
            if found.writable(there) is not None and there not in given:
                plan.target[cid] = there
                plan.present.add(cid)
                break
        else:
            if found.keep_ids and _MEMOS_ID.fullmatch(cid) and found.free(cid) \
                    and cid not in given:
                plan.target[cid] = cid
            elif found.free(scoped) and scoped not in given:
                plan.target[cid] = scoped
            else:  # held by a cube the caller may not change: a fresh id, as `add` gives
                plan.target[cid] = new_id()
        given.add(plan.target[cid])
    for cid, line in parsed.others.items():
        scoped = scoped_id(user, line.agent, cid)
        row = found.readable(cid, line.agent) or found.readable(scoped, line.agent)
        plan.others[cid] = row.id if row is not None else None
        plan.left.append((line.number, f"cube {cid} belongs to agent {line.agent!r}: not "
                                       "imported here, that agent's import brings it"))


def _derivations(parsed: _Parsed, found: _Store, plan: _Plan) -> None:
    """`derived_from` (of every version) may name cubes of the file and cubes the caller
    may change, at a version they have; or, where the line says export left it out, a cube
    that is in neither. A refused line refuses the lines derived from it, transitively: one
    pass over the references and a worklist over who depends on whom."""
    dependents: dict[str, list[str]] = {}
    queue: deque[str] = deque()
    for cid, line in parsed.cubes.items():
        if cid in plan.present:
            continue
        needs: dict[str, int] = {}
        for version in line.versions:
            for ref in version.derived_from:
                needs[ref.cube_id] = max(needs.get(ref.cube_id, 0), ref.version)
        mapping: dict[str, str] = {}
        problem = None
        for ref_id, version in needs.items():
            has = 0
            if ref_id in parsed.cubes:
                source = parsed.cubes[ref_id]
                # a cube already there keeps its stored versions (the file's are not written)
                has = (found.rows[plan.target[ref_id]].version if ref_id in plan.present
                       else source.cube.version)
                mapping[ref_id] = plan.target[ref_id]
                if ref_id not in plan.present:
                    dependents.setdefault(ref_id, []).append(cid)
            elif ref_id in parsed.others:
                other = parsed.others[ref_id]
                problem = (f"derived_from names cube {ref_id!r} of agent {other.agent!r} "
                           f"(line {other.number}); a cube is derived only from cubes of "
                           "its own scope")
            elif ref_id in parsed.refused:
                number, why = parsed.refused[ref_id]
                problem = (f"derived_from names cube {ref_id!r}, whose line {number} was "
                           f"refused ({why[:MAX_WHY_CHARS]})")
            elif (row := found.stored(ref_id)) is not None:
                has = row.version
                mapping[ref_id] = row.id
            elif ref_id in line.left_out:
                mapping[ref_id] = found.absent_id(ref_id, line.agent)
                has = version  # not in the store: no version to check it against
            else:
                problem = (f"derived_from names {ref_id!r}: no cube with that id in your "
                           "scope or in this file")
            if problem is None and version > has:
                problem = (f"derived_from names version {version} of cube {ref_id!r}, which "
                           f"has {has} version(s); name one of those")
            if problem is not None:
                break
        if problem is not None:
            plan.errors.append((line.number, problem))
            plan.refused[cid] = line.number
            queue.append(cid)
        else:
            plan.refs[cid] = mapping
    while queue:
        gone = queue.popleft()
        for cid in dependents.get(gone, ()):
            if cid in plan.refused:
                continue
            plan.errors.append((parsed.cubes[cid].number,
                                f"derived_from names cube {gone!r}, whose line "
                                f"{plan.refused[gone]} was refused"))
            plan.refused[cid] = parsed.cubes[cid].number
            queue.append(cid)


def _edge_end(end: str, src: bool, parsed: _Parsed, found: _Store, plan: _Plan,
              public: bool = True) -> tuple[str, str]:
    """("ok", id there) / ("left", why) / ("error", why) for one end of an edge line. A
    cube already stored is linked as `link` links it: live (not forgotten, archived or past
    its TTL), and, without `public`, never from a public cube (an admin's to change)."""
    if end in parsed.cubes:
        if end in plan.refused:
            return "error", (f"edge refers to cube {end!r}, whose line {plan.refused[end]} "
                             "was refused")
        return "ok", plan.target[end]
    if end in parsed.others:
        other = parsed.others[end]
        if src:
            return "left", (f"edge from cube {end!r} of agent {other.agent!r} (line "
                            f"{other.number}): that agent's import brings it")
        there = plan.others[end]
        if there is None:
            return "left", (f"edge to cube {end!r} of agent {other.agent!r} (line "
                            f"{other.number}), which is not in the store yet: import this "
                            "file again after that agent's import")
        return "ok", there
    if end in parsed.refused:
        number, why = parsed.refused[end]
        return "error", (f"edge refers to cube {end!r}, whose line {number} was refused "
                         f"({why[:MAX_WHY_CHARS]})")
    row = found.stored(end)
    if row is not None:
        gone = gone_state(row, utcnow())
        if gone is not None:
            return "error", (f"edge refers to cube {end!r}, which is {gone}: a link joins "
                             "live memories (link refuses it too)")
        if src and not public and row.visibility == Visibility.PUBLIC.value:
            return "error", (f"edge from cube {end!r}, which is public: only an admin key may "
                             "link from a public memory")
        return "ok", row.id
    return "error", (f"edge refers to cube {end!r}: no cube with that id in your scope or in "
                     "this file")


def _edges(parsed: _Parsed, found: _Store, plan: _Plan, public: bool = True
           ) -> list[tuple[int, dict[str, Any]]]:
    """The edge lines to write, their ends as the store names them (the rules of `link`:
    from a cube the caller may change, to one it may read; `public`: `import_`'s)."""
    out = []
    for number, edge in parsed.edges:
        ends = [_edge_end(edge["src"], True, parsed, found, plan, public)]
        if edge["entity"] is None:
            ends.append(_edge_end(edge["dst"], False, parsed, found, plan, public))
        bad = next((why for kind, why in ends if kind == "error"), None)
        left = next((why for kind, why in ends if kind == "left"), None)
        if bad is not None:
            plan.errors.append((number, bad))
        elif left is not None:
            plan.left.append((number, left))
        else:
            out.append((number, {**edge, "src": ends[0][1],
                                 "dst": ends[1][1] if len(ends) > 1 else None}))
    return out


def import_(store: StoreParts, source: str | os.PathLike[str] | TextIO, scope: Scope,
            on_error: str, progress: ProgressFn | None, keep_ids: bool = True,
            public: bool = True) -> ImportReport:
    if on_error not in ("skip", "abort"):
        raise InvalidInputError("on_error must be 'skip' or 'abort'")
    if isinstance(source, (str, os.PathLike)):
        try:
            is_dir, is_file = Path(source).is_dir(), Path(source).is_file()
        except OSError as exc:  # e.g. a name too long for the file system
            raise InvalidInputError(f"cannot read import file {str(source)!r:.80}: "
                                    f"{exc.strerror}; pass the path of a memos export") from None
        if is_dir:
            raise InvalidInputError(f"import file {source} is a folder; pass the .jsonl file "
                                    "that `memos export` wrote")
        if not is_file:
            raise InvalidInputError(f"import file {source} does not exist; pass the path of a "
                                    "memos export (`memos export FILE` writes one)")
    # Everything that needs no store is done before the write lock: every line checked, and
    # the ids to look up gathered (then read in batches, not one SELECT per reference).
    parsed = _parse_file(source, scope, utcnow(), public)
    if not parsed.lines:  # an empty or truncated backup is no backup: say so, restore nothing
        raise InvalidInputError("the import file is empty: nothing to import. A memos export "
                                f"starts with a header line {{\"format\": \"{FORMAT}\"}}; "
                                "check that the export finished and that this is its file")
    wanted = _Store.wanted(parsed, scope, keep_ids)
    report = ImportReport()
    with store.repo.write() as session:
        found = _Store(session, scope, keep_ids, wanted)
        plan = _Plan()
        _targets(parsed, found, plan)
        _derivations(parsed, found, plan)
        edges = _edges(parsed, found, plan, public)
        errors = sorted(parsed.errors + plan.errors)
        report.errors = errors
        report.left = sorted(plan.left)
        report.skipped_existing = len(plan.present)
        # Checked: an end line with the right counts (an error otherwise). A file with a
        # header and no end line may have been cut between lines (or is older than the end
        # line): said, not refused.
        report.unended = parsed.header and parsed.end is None
        report.renamed = {cid: new for cid, new in plan.target.items()
                          if new != cid and cid not in plan.refused}
        report.differing = sorted(
            cid for cid in plan.present
            if (found.rows[plan.target[cid]].version, found.rows[plan.target[cid]].content_hash)
            != (parsed.cubes[cid].cube.version, parsed.cubes[cid].cube.content_hash))
        if errors and on_error == "abort":
            report.aborted = True
            shown = "; ".join(f"line {n}: {m}" for n, m in errors[:5])
            # (the advice once: not again after a line's own message that gives it)
            advice = ("" if any("on_error='skip'" in m or "--on-error skip" in m
                                for _, m in errors[:5])
                      else "; fix them or import the good lines with on_error='skip' "
                           "(--on-error skip)")
            raise ImportFormatError(f"{len(errors)} bad line(s), nothing imported: {shown}"
                                    f"{' ...' if len(errors) > 5 else ''}{advice}", errors)
        fresh = [line for cid, line in parsed.cubes.items()
                 if cid not in plan.present and cid not in plan.refused]
        try:
            report.imported, report.edges = _insert(store, session, fresh, edges, found, plan,
                                                     parsed, progress)
        except (IntegrityError, DataError) as exc:  # a rule the checks above missed
            problem = str(getattr(exc, "orig", exc)).splitlines()[0][:200]
            raise ImportFormatError(f"the store refused the import ({problem}); nothing was "
                                    "imported; check the file's values", []) from None
    store.after_write(report.imported)
    store.save_vectors()
    return report


def _mapped(cube: MemCube, target: str, refs: dict[str, str],
            id_of: Callable[[str, str | None], str], keep_access: bool) -> MemCube:
    """A version as the store keeps it: its id, and every id it names of the file (its
    `derived_from`, metadata "used", sources "<id>@<version>") as the store names that cube,
    so that forget and purge of the cube reach what names it."""
    update: dict[str, Any] = {
        "id": target,
        "derived_from": [r.model_copy(update={"cube_id": refs[r.cube_id]})
                         for r in cube.derived_from]}
    used = cube.metadata.get("used")
    if isinstance(used, list):
        update["metadata"] = {**cube.metadata,
                              "used": [id_of(u, cube.scope.agent_id) if isinstance(u, str)
                                       else u for u in used]}
    sources = []
    for source in cube.sources:
        match = _CUBE_REF.fullmatch(source.ref or "") if source.kind == "cube" else None
        if match:
            source = source.model_copy(update={
                "ref": f"{id_of(match.group(1), cube.scope.agent_id)}@{match.group(2)}"})
        sources.append(source)
    update["sources"] = sources
    if not keep_access:
        update["access"] = AccessStats()
    return cube.model_copy(update=update)


def _insert(store: StoreParts, session: Any, fresh: list[_CubeLine],
            edges: list[tuple[int, dict[str, Any]]], found: _Store, plan: _Plan,
            parsed: _Parsed, progress: ProgressFn | None) -> tuple[int, int]:
    repo = store.repo
    user = found.scope.user_id

    def id_of(cid: str, agent: str | None) -> str:
        if cid in plan.target:
            return plan.target[cid]
        if cid in parsed.others:  # where that agent's import puts it
            there = plan.others[cid]
            if there is not None:
                return there
            return found.absent_id(cid, parsed.others[cid].agent)
        row = found.stored(cid)
        # Not in the file nor the caller's store (a cube of a later part, or none): the id
        # that cube would get (forget and purge follow it)
        return row.id if row is not None else found.absent_id(cid, agent)

    # Access statistics are kept by a restore (keep_ids=True, the operator's SDK call); an
    # import that replaces ids (a key over REST) starts them afresh: counts a file claims
    # would rank a tenant's cubes first in the store-wide promotion to the activation tier.
    keep_access = found.keep_ids
    id_to_pk: dict[str, int] = {}
    for start in range(0, len(fresh), 1000):
        chunk = fresh[start:start + 1000]
        cubes, histories, made = [], [], []
        for line in chunk:
            target, refs = plan.target[line.cube.id], plan.refs[line.cube.id]
            cubes.append(_mapped(line.cube, target, refs, id_of, keep_access))
            histories.append([_mapped(v, target, refs, id_of, keep_access).model_dump(
                mode="json") for v in line.history])
            made.append(line.made)
        pks = repo.insert_cubes(session, cubes, op="import", history=histories, made=made)
        id_to_pk.update({c.id: pk for c, pk in zip(cubes, pks, strict=True)})
        if progress:
            progress(start + len(chunk), len(fresh))
    for row in found.rows.values():
        id_to_pk.setdefault(row.id, row.pk)
    # An edge already there (the same ends, relation and weight, and time where the line
    # gives one) is not added again: importing one file twice adds nothing.
    old_pks = sorted({id_to_pk[e["src"]] for _, e in edges if e["src"] in found.rows})
    full: set[tuple[Any, ...]] = set()
    partial: set[tuple[Any, ...]] = set()
    for start in range(0, len(old_pks), 500):
        for e in session.execute(select(EdgeRow).where(
                EdgeRow.src_pk.in_(old_pks[start:start + 500]))).scalars():
            key = (e.src_pk, e.dst_pk, e.entity, e.relation, float(e.weight))
            partial.add(key)
            full.add((*key, e.created_at))
    rows, srcs = [], []
    for _, edge in edges:
        dst_pk = None if edge["entity"] is not None else id_to_pk[edge["dst"]]
        key = (id_to_pk[edge["src"]], dst_pk, edge["entity"], edge["relation"], edge["weight"])
        if (edge["dated"] and (*key, edge["created_at"]) in full) or (
                not edge["dated"] and key in partial):
            continue
        partial.add(key)
        full.add((*key, edge["created_at"]))
        rows.append({"src_pk": key[0], "dst_pk": dst_pk, "entity": edge["entity"],
                     "relation": edge["relation"], "weight": edge["weight"],
                     "user_id": user, "created_at": edge["created_at"]})
        srcs.append(edge["src"])
    repo.insert_edges(session, rows, srcs)
    return len(fresh), len(rows)


__all__ = ["FORMAT", "check_cube_id", "check_entity", "check_relation", "check_weight",
           "export", "import_", "scoped_id", "sibling_line"]
