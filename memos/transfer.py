"""Export and import of a user's cubes as JSON Lines (`memos-export/1`, docs/SDK.md).

Export writes each cube at its latest version plus every earlier version, then the edges;
import writes them back with ids, versions and timestamps unchanged, in ONE transaction,
so `on_error="abort"` really means nothing was imported.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from pydantic import ValidationError
from sqlalchemy import and_, select

from memos.cube import MemCube, Scope, content_hash, utcnow
from memos.errors import ImportFormatError, InvalidInputError
from memos.results import ExportReport, ImportReport
from memos.stores.filters import parse_time
from memos.stores.graph import ENTITY_PREFIX
from memos.stores.repository import cube_from_row, live_clause, visible_clause
from memos.stores.schema import CubeRow, EdgeRow

if TYPE_CHECKING:
    from memos.parts import StoreParts
    from memos.results import ProgressFn

log = logging.getLogger(__name__)

FORMAT = "memos-export/1"


def _line(obj: dict[str, Any]) -> str:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False) + "\n"


@contextlib.contextmanager
def _open(target: str | os.PathLike[str] | TextIO, mode: str) -> Iterator[TextIO]:
    if isinstance(target, (str, os.PathLike)):
        try:
            handle = open(Path(target), mode, encoding="utf-8", newline="\n")
        except OSError as exc:
            raise InvalidInputError(f"cannot open {target} ({exc.strerror}); check the path") from exc
        with handle:
            yield handle
    else:
        yield target


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


def export(store: StoreParts, scope: Scope, dest: str | os.PathLike[str] | TextIO | None,
           include_superseded: bool) -> ExportReport:
    """Write the scope's own live cubes (forgotten and expired ones are left out)."""
    if dest is None:
        raise InvalidInputError("export() needs a destination: a file path or an open text file")
    store.flush_access()
    repo = store.repo
    where = and_(CubeRow.user_id == scope.user_id, visible_clause(scope),
                 live_clause(utcnow(), include_superseded))
    with repo.read() as session:
        rows = list(session.execute(select(CubeRow).where(where)
                                    .order_by(CubeRow.recorded_at, CubeRow.id)).scalars())
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
            history = [MemCube.model_validate(v.snapshot).model_dump(mode="json")
                       for v in repo.versions(session, row.id) if v.version < row.version]
            lines.append(_line({"type": "cube", "cube": cube_from_row(row).model_dump(mode="json"),
                                "history": history}))
    n_edges = 0
    for edge in edges:
        if edge.dst_pk is not None and edge.dst_pk not in pk_to_id:
            continue  # an edge to a cube that is not exported would dangle on import
        dst = pk_to_id[edge.dst_pk] if edge.dst_pk is not None else ENTITY_PREFIX + (edge.entity or "")
        lines.append(_line({"type": "edge", "src": pk_to_id[edge.src_pk], "dst": dst,
                            "relation": edge.relation, "weight": edge.weight,
                            "created_at": edge.created_at.isoformat()}))
        n_edges += 1
    with _open(dest, "w") as handle:
        handle.writelines(lines)
    path = str(dest) if isinstance(dest, (str, os.PathLike)) else None
    return ExportReport(path=path, cubes=len(rows), edges=n_edges)


def _parse_cube(obj: dict[str, Any], scope: Scope) -> tuple[MemCube, list[dict[str, Any]]]:
    try:
        cube = MemCube.model_validate(obj["cube"])
        history = [MemCube.model_validate(h) for h in obj.get("history") or []]
    except KeyError as exc:
        raise ValueError(f"cube line without {exc}") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise ValueError(f"invalid cube: {where}: {first.get('msg')}") from exc
    if cube.scope.user_id != scope.user_id:
        raise ValueError(f"cube {cube.id} belongs to user {cube.scope.user_id!r}, not "
                         f"{scope.user_id!r}; import it with that user's scope")
    for c in (cube, *history):
        if c.id != cube.id:
            raise ValueError(f"history of cube {cube.id} holds a version of {c.id}")
        if c.content_hash != content_hash(c.content):
            raise ValueError(f"cube {c.id} v{c.version}: content_hash does not match its content")
    if [h.version for h in history] != list(range(1, cube.version)):
        raise ValueError(f"cube {cube.id}: history must hold versions 1..{cube.version - 1}")
    return cube, [h.model_dump(mode="json") for h in history]


def import_(store: StoreParts, source: str | os.PathLike[str] | TextIO, scope: Scope,
            on_error: str, progress: ProgressFn | None) -> ImportReport:
    if on_error not in ("skip", "abort"):
        raise InvalidInputError("on_error must be 'skip' or 'abort'")
    if isinstance(source, (str, os.PathLike)) and not Path(source).is_file():
        raise InvalidInputError(f"import file {source} does not exist")
    errors: list[tuple[int, str]] = []
    cubes: list[tuple[int, MemCube, list[dict[str, Any]]]] = []
    edges: list[tuple[int, dict[str, Any]]] = []
    for number, raw in enumerate(_lines(source), start=1):
        if isinstance(raw, UnicodeDecodeError):
            errors.append((number, f"not UTF-8 (byte {raw.start}): {raw.reason}"))
            continue
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
            if not isinstance(obj, dict):
                raise ValueError("a line must be a JSON object")
            if "format" in obj and number == 1:
                if obj["format"] != FORMAT:
                    raise ValueError(f"unknown format {obj['format']!r}, expected {FORMAT!r}")
            elif obj.get("type") == "cube":
                cube, history = _parse_cube(obj, scope)
                cubes.append((number, cube, history))
            elif obj.get("type") == "edge":
                if not all(isinstance(obj.get(f), str) for f in ("src", "dst", "relation")):
                    raise ValueError("an edge needs string src, dst and relation")
                obj["weight"] = float(obj.get("weight", 1.0))
                obj["created_at"] = _time(obj.get("created_at"))
                edges.append((number, obj))
            else:
                raise ValueError("unknown line type; expected type 'cube' or 'edge'")
        except (ValueError, TypeError, InvalidInputError) as exc:
            errors.append((number, str(exc)))
    seen: set[str] = set()
    unique = []
    for number, cube, history in cubes:
        if cube.id in seen:
            errors.append((number, f"cube {cube.id} appears twice in the file"))
            continue
        seen.add(cube.id)
        unique.append((number, cube, history))
    report = ImportReport()
    repo = store.repo
    with repo.write() as session:
        ids = [c.id for _, c, _ in unique]
        existing: set[str] = set()
        for start in range(0, len(ids), 500):
            existing.update(session.execute(select(CubeRow.id).where(
                CubeRow.id.in_(ids[start:start + 500]))).scalars())
        fresh = [(n, c, h) for n, c, h in unique if c.id not in existing]
        report.skipped_existing = len(unique) - len(fresh)
        id_to_pk: dict[str, int] = {}
        known = set(ids)
        for number, obj in edges:
            for end in (obj["src"], obj["dst"]):
                if not end.startswith(ENTITY_PREFIX) and end not in known:
                    errors.append((number, f"edge refers to cube {end!r}, which is not in the file"))
                    break
        errors.sort()
        report.errors = errors
        if errors and on_error == "abort":
            report.aborted = True
            shown = "; ".join(f"line {n}: {m}" for n, m in errors[:5])
            raise ImportFormatError(f"{len(errors)} malformed line(s), nothing imported: {shown}"
                                    f"{' ...' if len(errors) > 5 else ''}; fix them or use "
                                    "on_error='skip' (--on-error skip)", errors)
        bad_lines = {n for n, _ in errors}
        for start in range(0, len(fresh), 1000):
            chunk = fresh[start:start + 1000]
            pks = repo.insert_cubes(session, [c for _, c, _ in chunk], op="import",
                                    history=[h for _, _, h in chunk])
            id_to_pk.update({c.id: pk for (_, c, _), pk in zip(chunk, pks, strict=True)})
            if progress:
                progress(start + len(chunk), len(fresh))
        report.imported = len(fresh)
        for cid in existing:
            row = repo.row_by_id(session, cid)
            if row is not None:
                id_to_pk[cid] = row.pk
        rows, srcs = [], []
        for number, obj in edges:
            dst = obj["dst"]
            if (number in bad_lines or obj["src"] not in id_to_pk or obj["src"] in existing
                    or (not dst.startswith(ENTITY_PREFIX) and dst not in id_to_pk)):
                continue
            rows.append({"src_pk": id_to_pk[obj["src"]],
                         "dst_pk": None if dst.startswith(ENTITY_PREFIX) else id_to_pk.get(dst),
                         "entity": dst[len(ENTITY_PREFIX):] if dst.startswith(ENTITY_PREFIX) else None,
                         "relation": obj["relation"], "weight": obj["weight"],
                         "user_id": scope.user_id, "created_at": obj["created_at"]})
            srcs.append(obj["src"])
        repo.insert_edges(session, rows, srcs)
        report.edges = len(rows)
    store.after_write(report.imported)
    store.save_vectors()
    return report


def _time(value: Any) -> datetime:
    return parse_time(value, "created_at") if value else utcnow()
