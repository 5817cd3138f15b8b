"""Export and import of a user's cubes as JSON Lines (`memos-export/1`, docs/SDK.md).

Export writes each cube at its latest version plus every earlier version, then the edges,
for the caller's scope only (the rule of `get`: cubes of the caller's user that the caller
may read). A file destination is written atomically (a temporary file beside it, renamed
over it at the end), never over an existing file unless asked (`overwrite=True`), and never
over a file of a store (a SQLite database, anything in a store or index folder), even then.

Import treats its file as untrusted input: every cube goes through MemCube's validation (the
rules of `add`), must belong to a scope the caller may write, and every edge through the
rules of `link`. Ids keep their value unless a cube that is not the caller's already has it,
or the id is not of memos's own form (32 lowercase hex characters, random): then the line's
cube gets a new id (`ImportReport.renamed`), exactly as a new cube would, so nothing of that
other cube is touched or reported, and a chosen id tells nobody whether it is taken. Everything is written in ONE
transaction, so `on_error="abort"` really means nothing was imported.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import re
import stat
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from pydantic import ValidationError
from sqlalchemy import and_, select
from sqlalchemy.exc import DataError, IntegrityError

from memos.cube import (
    MemCube,
    Scope,
    check_stored_text,
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
from memos.stores.repository import can_write, cube_from_row, live_clause, visible_clause
from memos.stores.schema import CubeRow, CubeVersionRow, EdgeRow

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
    """Write the scope's own live cubes (forgotten and expired ones are left out).

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
        rows = list(session.execute(select(CubeRow).where(where)
                                    .order_by(CubeRow.recorded_at, CubeRow.id)).scalars())
        # Slots and session states the OS made are caches of the exported text, and their
        # blobs stay behind: they are encoded again where the file is imported. So do
        # adapters (weights of this store's model, trained again from the facts there):
        # their `memos:` keys are the OS's own, which no import may write.
        rows = [r for r in rows if blob_of(r) is None and not is_adapter(r)]
        pk_to_id = {r.pk: r.id for r in rows}
        pks = list(pk_to_id)
        edges = []
        for start in range(0, len(pks), 500):  # bounded IN lists: drivers cap bind parameters
            edges += session.execute(select(EdgeRow).where(
                EdgeRow.src_pk.in_(pks[start:start + 500]))).scalars()
        edges.sort(key=lambda e: e.id)
        lines = [_line({"format": FORMAT, "exported_at": utcnow().isoformat(),
                        "user_id": scope.user_id, "embedder": store.embedder.identity})]
        for row in rows:
            # Earlier versions are the owner's only (the rule of history and get(version=)):
            # a cube the caller may read but not change goes out at its current version.
            history = [MemCube.model_validate(v.snapshot).model_dump(mode="json")
                       for v in repo.versions(session, row.id) if v.version < row.version
                       ] if can_write(row, scope) else []
            lines.append(_line({"type": "cube", "cube": cube_from_row(row).model_dump(mode="json"),
                                "history": history}))
    n_edges = 0
    for edge in edges:
        if edge.dst_pk is not None and edge.dst_pk not in pk_to_id:
            continue  # outside the export (another scope's cube, or not live): not named
        dst = pk_to_id[edge.dst_pk] if edge.dst_pk is not None else ENTITY_PREFIX + (edge.entity or "")
        lines.append(_line({"type": "edge", "src": pk_to_id[edge.src_pk], "dst": dst,
                            "relation": edge.relation, "weight": edge.weight,
                            "created_at": edge.created_at.isoformat()}))
        n_edges += 1
    if target is None:
        dest.writelines(lines)  # type: ignore[union-attr]  # an open text file
    elif in_place:
        try:
            with open(target, "w", encoding="utf-8", newline="\n") as handle:
                handle.writelines(lines)
        except OSError as exc:
            raise InvalidInputError(f"cannot write {dest} ({exc.strerror}); check the path"
                                    ) from None
    else:
        mode = None
        with contextlib.suppress(OSError):
            mode = stat.S_IMODE(os.stat(target).st_mode)  # a replaced file keeps its mode
        _write_atomically(target, lines, mode)
    path = str(dest) if isinstance(dest, (str, os.PathLike)) else None
    return ExportReport(path=path, cubes=len(rows), edges=n_edges)


# -- import ---------------------------------------------------------------------------


def _lines(source: str | os.PathLike[str] | TextIO) -> Iterator[str | UnicodeDecodeError]:
    """Lines of a file, each decoded on its own so that one bad line is one line error."""
    if not isinstance(source, (str, os.PathLike)):
        yield from source
        return
    try:
        handle = open(Path(source), "rb")
    except OSError as exc:
        raise InvalidInputError(f"cannot open {source} ({exc.strerror}); check the path") from exc
    with handle:
        for raw in handle:
            try:
                yield raw.decode("utf-8")
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


def _parse_cube(obj: dict[str, Any], scope: Scope) -> tuple[MemCube, list[MemCube]]:
    if not isinstance(obj.get("cube"), dict):
        raise ValueError("a cube line needs a 'cube' object")
    raw_history = obj.get("history") or []
    if not isinstance(raw_history, list):
        raise ValueError("'history' must be a list of earlier versions")
    try:
        cube = MemCube.model_validate(obj["cube"])
        history = [MemCube.model_validate(h) for h in raw_history]
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        message = str(first.get("msg")).removeprefix("Value error, ")
        raise ValueError(f"invalid cube: {where}: {message}") from None
    check_cube_id(cube.id)
    try:  # of the cube as it stands (older versions are kept as they were written)
        check_validity(cube.valid_from, cube.valid_to)
    except ValueError as exc:
        raise ValueError(f"cube {cube.id}: {exc}") from None
    for c in (cube, *history):
        check_user_metadata(c.metadata)
    for c in (cube, *history):
        if c.id != cube.id:
            raise ValueError(f"history of cube {cube.id} holds a version of {c.id}")
        _owned_by_caller(c, scope)
        if c.content_hash != content_hash(c.content):
            raise ValueError(f"cube {c.id} v{c.version}: content_hash does not match its content")
        if not 0 <= c.access.hits <= MAX_HITS:
            raise ValueError(f"cube {c.id} v{c.version}: access.hits must be 0..{MAX_HITS}")
    # (the length first: a line claiming version 2,000,000,000 must not build that list)
    if len(history) != cube.version - 1 or [h.version for h in history] != list(
            range(1, cube.version)):
        raise ValueError(f"cube {cube.id}: history must hold versions 1..{cube.version - 1}")
    return cube, history


def _parse_edge(obj: dict[str, Any]) -> dict[str, Any]:
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
    return {"src": src, "dst": dst, "entity": entity, "relation": check_relation(obj.get("relation")),
            "weight": check_weight(obj.get("weight", 1.0)),
            "created_at": _time(obj.get("created_at"))}


def _time(value: Any) -> datetime:
    if value is None or value == "":
        return utcnow()
    try:
        parsed = parse_time(value, "created_at")
    except InvalidInputError:
        raise ValueError(f"created_at {str(value)[:60]!r} is not an ISO date/time such as "
                         "2026-01-31T12:00:00+00:00") from None
    check_utc_range(parsed, "created_at")
    return parsed


def _parse_file(source: str | os.PathLike[str] | TextIO, scope: Scope
                ) -> tuple[list[tuple[int, str]], list[tuple[int, MemCube, list[MemCube]]],
                           list[tuple[int, dict[str, Any]]]]:
    """Every line checked on its own (no store access): (errors, cubes, edges)."""
    errors: list[tuple[int, str]] = []
    cubes: list[tuple[int, MemCube, list[MemCube]]] = []
    edges: list[tuple[int, dict[str, Any]]] = []
    seen: set[str] = set()
    for number, raw in enumerate(_lines(source), start=1):
        if isinstance(raw, UnicodeDecodeError):
            errors.append((number, f"not UTF-8 (byte {raw.start}): {raw.reason}"))
            continue
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw, parse_constant=_no_constant)
            if not isinstance(obj, dict):
                raise ValueError("a line must be a JSON object")
            if "format" in obj and number == 1:
                if obj["format"] != FORMAT:
                    raise ValueError(f"unknown format {str(obj['format'])[:60]!r}, expected {FORMAT!r}")
            elif obj.get("type") == "cube":
                cube, history = _parse_cube(obj, scope)
                if cube.id in seen:
                    raise ValueError(f"cube {cube.id} appears twice in the file")
                seen.add(cube.id)
                cubes.append((number, cube, history))
            elif obj.get("type") == "edge":
                edges.append((number, _parse_edge(obj)))
            else:
                raise ValueError("unknown line type; expected type 'cube' or 'edge'")
        except (ValueError, TypeError, RecursionError) as exc:
            # ValueError covers json's decode errors and InvalidInputError.
            message = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
            errors.append((number, message))
    return errors, cubes, edges


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number; write a finite number")


def import_(store: StoreParts, source: str | os.PathLike[str] | TextIO, scope: Scope,
            on_error: str, progress: ProgressFn | None, keep_ids: bool = True
            ) -> ImportReport:
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
    errors, cubes, edges = _parse_file(source, scope)
    report = ImportReport()
    repo = store.repo
    with repo.write() as session:
        file_ids = [c.id for _, c, _ in cubes]
        taken: dict[str, CubeRow | None] = {}
        for start in range(0, len(file_ids), 500):
            chunk = file_ids[start:start + 500]
            for row in session.execute(select(CubeRow).where(CubeRow.id.in_(chunk))).scalars():
                taken[row.id] = row
            # Version rows without a cube row would still collide: treat them as taken.
            for cid in session.execute(select(CubeVersionRow.cube_id).where(
                    CubeVersionRow.cube_id.in_(chunk)).distinct()).scalars():
                taken.setdefault(cid, None)
        # A cube the caller may change with the same id is this cube, already imported.
        # Any other holder of the id (another user, another agent, or a row the caller
        # cannot see) is not named: the line's cube gets a fresh id, as if the id were new.
        # An id of another form than memos's own (random 128-bit hex) is never kept: kept
        # when free and renamed when taken, a chosen id ("bob-diary-2026") would tell the
        # importer whether anyone holds it. A memos id cannot be guessed, but it can be
        # known (a cube once public, a log): with `keep_ids=False` (the REST server) every id
        # the caller does not hold is replaced, so an import tells nothing of other users.
        present = {cid for cid, row in taken.items() if row is not None and can_write(row, scope)}
        id_map = {cid: cid for cid in file_ids}
        for cid in file_ids:
            if cid not in present and (not keep_ids or cid in taken
                                       or not _MEMOS_ID.fullmatch(cid)):
                id_map[cid] = new_id()
        report.renamed = {old: new for old, new in id_map.items() if old != new}

        # derived_from must name cubes the caller may change: in this file or in the store
        # (in every version: rollback makes an earlier one current again).
        accepted = {c.id: (n, c, h) for n, c, h in cubes if c.id not in present}
        refused: set[str] = set()
        changed = True
        while changed:  # a refused cube refuses the cubes derived from it, transitively
            changed = False
            for cid, (number, cube, history) in accepted.items():
                if cid in refused:
                    continue
                for ref in dict.fromkeys(r for v in (cube, *history) for r in v.derived_from):
                    ok = (ref.cube_id in id_map and ref.cube_id not in refused) or \
                        _writable(store, session, ref.cube_id, scope, taken)
                    if not ok:
                        errors.append((number, f"derived_from names {ref.cube_id!r}: no cube "
                                               "with that id in your scope or in this file"))
                        refused.add(cid)
                        changed = True
                        break
        fresh = [(n, c, h) for cid, (n, c, h) in accepted.items() if cid not in refused]
        report.skipped_existing = len(present)
        good = {c.id for _, c, _ in fresh} | present
        for number, edge in edges:
            for end in (edge["src"], edge["dst"]):
                if end.startswith(ENTITY_PREFIX):
                    continue
                if end not in id_map:
                    errors.append((number, f"edge refers to cube {end!r}, which is not in the "
                                           "file; an edge may join only cubes of the file"))
                    break
                if end not in good:
                    errors.append((number, f"edge refers to cube {end!r}, whose line was "
                                           "refused"))
                    break
        errors.sort()
        report.errors = errors
        if errors and on_error == "abort":
            report.aborted = True
            shown = "; ".join(f"line {n}: {m}" for n, m in errors[:5])
            raise ImportFormatError(f"{len(errors)} bad line(s), nothing imported: {shown}"
                                    f"{' ...' if len(errors) > 5 else ''}; fix them or "
                                    "import the good lines with on_error='skip' "
                                    "(--on-error skip)", errors)
        bad_lines = {n for n, _ in errors}
        try:
            report.imported, report.edges = _insert(store, session, fresh, edges, bad_lines,
                                                     id_map, present, scope, progress)
        except (IntegrityError, DataError) as exc:  # a rule the checks above missed
            problem = str(getattr(exc, "orig", exc)).splitlines()[0][:200]
            raise ImportFormatError(f"the store refused the import ({problem}); nothing was "
                                    "imported; check the file's values", []) from None
    store.after_write(report.imported)
    store.save_vectors()
    return report


def _writable(store: StoreParts, session: Any, cube_id: str, scope: Scope,
              taken: dict[str, CubeRow | None]) -> bool:
    row = taken.get(cube_id) if cube_id in taken else store.repo.row_by_id(session, cube_id)
    return row is not None and can_write(row, scope)


def _renamed(cube: MemCube, id_map: dict[str, str]) -> MemCube:
    refs = [r.model_copy(update={"cube_id": id_map.get(r.cube_id, r.cube_id)})
            for r in cube.derived_from]
    return cube.model_copy(update={"id": id_map[cube.id], "derived_from": refs})


def _insert(store: StoreParts, session: Any, fresh: list[tuple[int, MemCube, list[MemCube]]],
            edges: list[tuple[int, dict[str, Any]]], bad_lines: set[int],
            id_map: dict[str, str], present: set[str], scope: Scope,
            progress: ProgressFn | None) -> tuple[int, int]:
    repo = store.repo
    id_to_pk: dict[str, int] = {}
    for start in range(0, len(fresh), 1000):
        chunk = fresh[start:start + 1000]
        pks = repo.insert_cubes(session, [_renamed(c, id_map) for _, c, _ in chunk], op="import",
                                history=[[_renamed(v, id_map).model_dump(mode="json") for v in h]
                                         for _, _, h in chunk])
        id_to_pk.update({c.id: pk for (_, c, _), pk in zip(chunk, pks, strict=True)})
        if progress:
            progress(start + len(chunk), len(fresh))
    for cid in present:
        row = repo.row_by_id(session, cid)
        if row is not None:
            id_to_pk[cid] = row.pk
    rows, srcs = [], []
    for number, edge in edges:
        src, dst = edge["src"], edge["dst"]
        # Edges of cubes already present were imported with them: not again.
        if number in bad_lines or src in present or src not in id_to_pk:
            continue
        if edge["entity"] is None and dst not in id_to_pk:
            continue
        rows.append({"src_pk": id_to_pk[src],
                     "dst_pk": None if edge["entity"] is not None else id_to_pk[dst],
                     "entity": edge["entity"], "relation": edge["relation"],
                     "weight": edge["weight"], "user_id": scope.user_id,
                     "created_at": edge["created_at"]})
        srcs.append(id_map[src])
    repo.insert_edges(session, rows, srcs)
    return len(fresh), len(rows)


__all__ = ["FORMAT", "check_cube_id", "check_entity", "check_relation", "check_weight",
           "export", "import_"]
