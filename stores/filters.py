"""Search filter expressions (docs/SDK.md, "Filter expression") compiled to SQL clauses.

Filters run inside the candidate SELECT, so a filtered search costs one query whatever the
number of hits. Metadata equality uses JSONB containment on PostgreSQL (type-exact, indexable)
and json_extract on SQLite.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    and_,
    bindparam,
    exists,
    false,
    func,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB

from memos.cube import (
    check_memory_kind,
    check_metadata_key,
    check_stored_text,
    check_utc_range,
)
from memos.errors import InvalidInputError
from memos.stores.schema import CubeRow, CubeTagRow

_LEAVES = {"kind", "tag", "tags_all", "recorded_after", "recorded_before", "valid_after",
           "valid_before", "valid_at", "meta", "agent_id", "session_id"}
_KEYS = sorted(_LEAVES | {"and", "or", "not"})
# Bounds checked before anything is compiled: a filter is a handful of conditions, and SQL
# engines fail (or take minutes) on expressions thousands of terms wide or deep.
MAX_FILTER_NODES = 256  # leaf values: a list-valued leaf counts each of its values
MAX_FILTER_DEPTH = 16  # nesting of and / or / not


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, (list, tuple, set, frozenset)):
        return list(value)
    return [value]


def _sized(value: Any) -> int:
    return len(value) if isinstance(value, (list, tuple, set, frozenset, Mapping)) else 1


def check_filter(expr: Any) -> None:
    """Shape, size and depth of a filter, checked without recursion before compiling."""
    nodes = 0
    todo: list[tuple[Any, int, str]] = [(expr, 1, "filter")]
    while todo:
        node, depth, where = todo.pop()
        if depth > MAX_FILTER_DEPTH:
            raise InvalidInputError(
                f"filter is nested more than {MAX_FILTER_DEPTH} levels deep; flatten it "
                f"(an 'or' or 'and' takes a list of any length)")
        if not isinstance(node, Mapping):
            raise InvalidInputError(
                f"{where} must be a dict such as {{'kind': 'fact'}}, got {node!r:.80}")
        if not node and depth > 1:
            raise InvalidInputError(f"{where} is an empty dict; give it a condition "
                                    f"such as {{'kind': 'fact'}} or leave it out")
        for key, value in node.items():
            if key in ("and", "or"):
                if not isinstance(value, (list, tuple)) or not value:
                    raise InvalidInputError(
                        f"filter {key!r} needs a non-empty list of filters, got {value!r:.80}")
                todo.extend((item, depth + 1, f"an item of {key!r}") for item in value)
            elif key == "not":
                todo.append((value, depth + 1, "the value of 'not'"))
            elif key == "meta":
                if not isinstance(value, Mapping) or not value:
                    raise InvalidInputError("filter 'meta' needs a non-empty dict of key -> "
                                            "value, such as {'meta': {'project': 'apollo'}}")
                nodes += sum(_sized(v) for v in value.values())
            elif key in _LEAVES:
                if isinstance(value, (list, tuple, set, frozenset)) and not value:
                    raise InvalidInputError(f"filter {key!r} has an empty list; give at least "
                                            f"one value or leave the key out")
                nodes += _sized(value)
            else:
                raise InvalidInputError(f"unknown filter key {key!r:.80}; use one of {_KEYS}")
            if nodes > MAX_FILTER_NODES:
                raise InvalidInputError(
                    f"filter has more than {MAX_FILTER_NODES} conditions; narrow it, or "
                    f"tag the cubes you want and filter on one tag")


def _both_forms(value: Any) -> list[Any]:
    """A string filter value in NFC (as stored since 2026-12-05) and in NFD (as a store may
    hold what it was given before); any other value as it is."""
    if not isinstance(value, str):
        return [value]
    return list(dict.fromkeys((unicodedata.normalize("NFC", value),
                               unicodedata.normalize("NFD", value))))


def _strings(value: Any, key: str) -> list[str]:
    out = _as_list(value)
    for v in out:
        if not isinstance(v, str):
            raise InvalidInputError(f"filter {key!r} takes strings, got {v!r:.80}")
        try:
            check_stored_text(v, f"filter {key!r} value")
        except ValueError as exc:
            raise InvalidInputError(str(exc)) from None
    # ids, tags and metadata are stored in NFC (memos.cube.normalize_id, MemCube)
    return [unicodedata.normalize("NFC", v) for v in out]


def parse_time(value: Any, key: str, what: str = "filter") -> datetime:
    """A filter's time (or another's: `what` names the kind of `key`, "field" for an
    import line's), aware (naive is UTC) and within what SQL can hold in UTC: a time
    such as 0001-01-01T00:00:00+01:00 is an InvalidInputError here, not an overflow inside
    the database driver."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError as exc:
            raise InvalidInputError(
                f"{what} {key!r}: {value!r} is not an ISO date/time such as 2026-01-31T12:00:00"
            ) from exc
    else:
        raise InvalidInputError(f"{what} {key!r} needs a datetime or an ISO string, "
                                f"got {value!r:.60}")
    parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    try:
        return check_utc_range(parsed, f"{what} {key!r}:")  # type: ignore[return-value]
    except ValueError as exc:
        raise InvalidInputError(str(exc)) from None


def _meta_clause(key: str, value: Any, dialect: str) -> ColumnElement[bool]:
    try:  # the rule `add` applies to metadata keys: every storable key can be filtered on
        check_metadata_key(key)
    except ValueError as exc:
        raise InvalidInputError(f"metadata filter: {exc}") from None
    if value is not None and not isinstance(value, (str, int, float, bool)):
        raise InvalidInputError(
            f"metadata filter {key!r}: only str, int, float, bool or None values can be compared")
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidInputError(f"metadata filter {key!r}: {value} is not a finite number; "
                                f"metadata holds finite numbers only")
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 2**63:
        raise InvalidInputError(f"metadata filter {key!r}: {value} is out of the 64-bit range")
    if isinstance(value, str):
        try:
            check_stored_text(value, f"metadata filter {key!r} value")
        except ValueError as exc:
            raise InvalidInputError(str(exc)) from None
    key = unicodedata.normalize("NFC", key)
    if dialect == "postgresql":
        # A JSONB-typed bind of the dict itself (a pre-serialised string would be encoded twice).
        return CubeRow.meta.op("@>")(bindparam(None, {key: value}, type_=JSONB()))
    # SQLite: the key is a bound value compared with json_each's decoded keys, so any key
    # matches whatever its characters (a JSON path would need them escaped, and the stored
    # text escapes non-ASCII keys). Types are compared exactly, as JSONB containment does.
    entry = func.json_each(CubeRow.meta).table_valued("key", "value", "type").alias("m")
    if value is None:
        match = entry.c.type == "null"
    elif isinstance(value, bool):
        match = entry.c.type == ("true" if value else "false")
    elif isinstance(value, str):
        match = and_(entry.c.type == "text", entry.c.value == value)
    else:
        match = and_(entry.c.type.in_(["integer", "real"]), entry.c.value == value)
    return exists(select(entry.c.key).where(entry.c.key == key, match))


def compile_filter(expr: Mapping[str, Any] | None, dialect: str) -> ColumnElement[bool]:
    """Turn a filter dict into a SQL boolean clause over `cubes`. Raises InvalidInputError
    for a malformed filter, or one over the size and depth bounds, before compiling."""
    if expr is None:
        return true()
    check_filter(expr)
    return _compile(expr, dialect)


def _compile(expr: Mapping[str, Any], dialect: str) -> ColumnElement[bool]:
    clauses: list[ColumnElement[bool]] = []
    for key, value in expr.items():
        if key == "and" or key == "or":
            parts = [_compile(item, dialect) for item in value]
            if key == "and":
                clauses.append(and_(true(), *parts))
            else:
                clauses.append(or_(false(), *parts))
        elif key == "not":
            # The complement over the rows: SQL's NOT of a comparison with a NULL column
            # (a cube with no agent_id, session_id or valid_from; PostgreSQL metadata that is
            # NULL) is NULL, which a WHERE treats as false, so `not {"agent_id": "x"}` would
            # drop agentless cubes. A leaf that is NULL does not match, so NOT of it matches:
            # coalesce the inner clause to false first (NULL only ever comes from an unmatched
            # leaf, and and/or of such leaves is NULL only where it would be false).
            clauses.append(not_(func.coalesce(_compile(value, dialect), false(), type_=Boolean())))
        elif key == "kind":
            kinds = _strings(value, key)
            for kind in kinds:  # a typo would match nothing, silently; search finds memories
                check_memory_kind(kind, "filter 'kind' value")
            clauses.append(CubeRow.kind.in_(kinds))
        elif key == "tag":
            tags = [form for tag in _strings(value, key) for form in _both_forms(tag)]
            clauses.append(CubeRow.pk.in_(select(CubeTagRow.cube_pk).where(CubeTagRow.tag.in_(tags))))
        elif key == "tags_all":
            for tag in _strings(value, key):
                clauses.append(CubeRow.pk.in_(
                    select(CubeTagRow.cube_pk).where(CubeTagRow.tag.in_(_both_forms(tag)))))
        elif key == "recorded_after":
            clauses.append(CubeRow.recorded_at >= parse_time(value, key))
        elif key == "recorded_before":
            clauses.append(CubeRow.recorded_at < parse_time(value, key))
        elif key == "valid_after":
            clauses.append(CubeRow.valid_from >= parse_time(value, key))
        elif key == "valid_before":
            clauses.append(CubeRow.valid_from < parse_time(value, key))
        elif key == "valid_at":  # held then: begun by then (undated: recorded by then),
            # not yet ended (a superseded one ended when it was replaced)
            at = parse_time(value, key)
            clauses.append(and_(func.coalesce(CubeRow.valid_from, CubeRow.recorded_at) <= at,
                                or_(CubeRow.valid_to.is_(None), CubeRow.valid_to > at)))
        elif key == "meta":
            for mkey, mvalue in value.items():
                options = _as_list(mvalue)
                clauses.append(or_(false(), *[_meta_clause(mkey, form, dialect)
                                              for v in options for form in _both_forms(v)]))
        elif key in ("agent_id", "session_id"):
            column = CubeRow.agent_id if key == "agent_id" else CubeRow.session_id
            clauses.append(column.in_(_strings(value, key)))
    return and_(true(), *clauses)
