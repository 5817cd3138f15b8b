"""Search filter expressions (docs/SDK.md, "Filter expression") compiled to SQL clauses.

Filters run inside the candidate SELECT, so a filtered search costs one query whatever the
number of hits. Metadata equality uses JSONB containment on PostgreSQL (type-exact, indexable)
and json_extract on SQLite.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, false, func, not_, or_, select, true
from sqlalchemy.dialects.postgresql import JSONB

from memos.errors import InvalidInputError
from memos.stores.schema import CubeRow, CubeTagRow

_LEAVES = {"kind", "tag", "tags_all", "recorded_after", "recorded_before", "valid_after",
           "valid_before", "meta", "agent_id", "session_id"}


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, (list, tuple, set, frozenset)):
        return list(value)
    return [value]


def parse_time(value: Any, key: str) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError as exc:
            raise InvalidInputError(
                f"filter {key!r}: {value!r} is not an ISO date/time such as 2026-01-31T12:00:00"
            ) from exc
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise InvalidInputError(f"filter {key!r} needs a datetime or an ISO string, got {value!r}")


def _meta_clause(key: str, value: Any, dialect: str) -> ColumnElement[bool]:
    if not isinstance(key, str) or not key or '"' in key or "\\" in key:
        raise InvalidInputError(f"metadata filter key {key!r} must be a non-empty string without quotes")
    if value is not None and not isinstance(value, (str, int, float, bool)):
        raise InvalidInputError(
            f"metadata filter {key!r}: only str, int, float, bool or None values can be compared")
    if dialect == "postgresql":
        # A JSONB-typed bind of the dict itself (a pre-serialised string would be encoded twice).
        return CubeRow.meta.op("@>")(bindparam(None, {key: value}, type_=JSONB()))
    extracted = func.json_extract(CubeRow.meta, f'$."{key}"')
    if value is None:
        return extracted.is_(None)
    if isinstance(value, bool):  # SQLite's json_extract turns true/false into 1/0
        value = int(value)
    return extracted == value


def compile_filter(expr: Mapping[str, Any] | None, dialect: str) -> ColumnElement[bool]:
    """Turn a filter dict into a SQL boolean clause over `cubes`. Raises InvalidInputError."""
    if expr is None:
        return true()
    if not isinstance(expr, Mapping):
        raise InvalidInputError(f"a filter must be a dict such as {{'kind': 'fact'}}, got {expr!r}")
    clauses: list[ColumnElement[bool]] = []
    for key, value in expr.items():
        if key == "and" or key == "or":
            if not isinstance(value, Sequence) or isinstance(value, (str, bytes)):
                raise InvalidInputError(f"filter {key!r} needs a list of filters")
            parts = [compile_filter(item, dialect) for item in value]
            if key == "and":
                clauses.append(and_(true(), *parts))
            else:
                clauses.append(or_(false(), *parts))
        elif key == "not":
            clauses.append(not_(compile_filter(value, dialect)))
        elif key == "kind":
            clauses.append(CubeRow.kind.in_([str(v) for v in _as_list(value)]))
        elif key == "tag":
            tags = [str(v) for v in _as_list(value)]
            clauses.append(CubeRow.pk.in_(select(CubeTagRow.cube_pk).where(CubeTagRow.tag.in_(tags))))
        elif key == "tags_all":
            for tag in _as_list(value):
                clauses.append(CubeRow.pk.in_(
                    select(CubeTagRow.cube_pk).where(CubeTagRow.tag == str(tag))))
        elif key == "recorded_after":
            clauses.append(CubeRow.recorded_at >= parse_time(value, key))
        elif key == "recorded_before":
            clauses.append(CubeRow.recorded_at < parse_time(value, key))
        elif key == "valid_after":
            clauses.append(CubeRow.valid_from >= parse_time(value, key))
        elif key == "valid_before":
            clauses.append(CubeRow.valid_from < parse_time(value, key))
        elif key == "meta":
            if not isinstance(value, Mapping):
                raise InvalidInputError("filter 'meta' needs a dict of key -> value")
            for mkey, mvalue in value.items():
                options = _as_list(mvalue)
                clauses.append(or_(false(), *[_meta_clause(mkey, v, dialect) for v in options]))
        elif key in ("agent_id", "session_id"):
            column = CubeRow.agent_id if key == "agent_id" else CubeRow.session_id
            clauses.append(column.in_([str(v) for v in _as_list(value)]))
        else:
            raise InvalidInputError(
                f"unknown filter key {key!r}; use one of {sorted(_LEAVES | {'and', 'or', 'not'})}")
    return and_(true(), *clauses)
