"""SQL access for the plaintext tier: engine setup, cube rows <-> MemCubes, scoped queries.

Every write goes through `Repository.write()`, a transaction that takes SQLite's write lock
up front (BEGIN IMMEDIATE) so two processes sharing a WAL store queue on the busy timeout
instead of failing on a read-to-write lock upgrade.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import sqlite3
import threading
import time
from collections import namedtuple
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    Connection,
    Engine,
    and_,
    bindparam,
    create_engine,
    delete,
    event,
    func,
    insert,
    inspect,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from memos import cube as cube_types
from memos.cube import (
    SESSION_KEY,
    TURN_KEY,
    AccessStats,
    Lifecycle,
    MemCube,
    Scope,
    Tier,
    Visibility,
    utcnow,
)
from memos.errors import InvalidInputError, StoreError, shown_location
from memos.stores.schema import (
    AuditRow,
    Base,
    ChangelogRow,
    CubeRow,
    CubeTagRow,
    CubeVersionRow,
    DerivationRow,
    EdgeRow,
    IndexMetaRow,
    SourceRow,
    UtcDateTime,
)

log = logging.getLogger(__name__)


# Ids per IN (...) list: well under SQLite's bound on parameters per statement.
ID_CHUNK = 500

CUBE_COLUMNS = [CubeRow.__table__.c[attr.columns[0].name].label(attr.key)
                 for attr in CubeRow.__mapper__.column_attrs]
_ROWS_BY_PK = select(*CUBE_COLUMNS).where(CubeRow.pk.in_(bindparam("pks", expanding=True)))
# A row of `cubes` with CubeRow's attribute names, as SQLite's fast path builds it.
CubeTuple = namedtuple("CubeTuple", [attr.key for attr in CubeRow.__mapper__.column_attrs])  # type: ignore[misc]
_UTC_TYPE = CubeRow.__table__.c.expires_at.type


def _set_wal(cursor: Any, timeout_s: float) -> None:
    """Switch to WAL, retrying: the switch needs the database to itself for a moment and does
    not wait on the busy timeout, so two processes opening a new store at once collide."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


WRITE_POLL_S = 0.0005  # a writer waiting for another process's write lock tries this often


def _begin_write_polling(raw: Any, timeout_ms: float) -> float | None:
    """BEGIN IMMEDIATE on the driver connection `raw`, trying again every WRITE_POLL_S
    while another process holds the write lock, up to `timeout_ms`. None once begun; else
    the milliseconds spent (the timeout ran out, or an error other than a busy database).

    SQLite's own busy handler sleeps 1, 2, 5, ... up to 100 ms between tries, so a process
    waiting on it for a lock that another process's threads take one after another can
    wait seconds while each of them waits a few milliseconds (server workers adding
    memories at once: docs/BENCHMARKS.md, Serving). Trying every half millisecond finds
    the lock free in the gaps between their transactions."""
    start = time.monotonic()
    raw.execute("PRAGMA busy_timeout=0")
    try:
        while True:
            try:
                raw.execute("BEGIN IMMEDIATE")
                return None
            except sqlite3.Error as exc:  # (a damaged file raises DatabaseError)
                spent = (time.monotonic() - start) * 1000.0
                busy = sqlite_code(exc) in (5, 6)
                if not busy or spent >= timeout_ms:
                    return spent
            time.sleep(WRITE_POLL_S)
    finally:
        raw.execute(f"PRAGMA busy_timeout={int(timeout_ms)}")


SQLITE_CACHE_KIB = 32 * 1024  # page cache per connection, filled as pages are read
SQLITE_MMAP_BYTES = 1 << 30  # address space only: pages come in as they are touched


def make_engine(url: str, busy_timeout_ms: int = 30_000, **pool: Any) -> Engine:
    """An engine on `url` with memos's connection settings; `pool`: create_engine's pool
    arguments (pool_size, max_overflow), else SQLAlchemy's defaults."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": busy_timeout_ms / 1000}, **pool)

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves, below
            cursor = dbapi_conn.cursor()
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            _set_wal(cursor, busy_timeout_ms / 1000)
            cursor.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable at checkpoints
            cursor.execute("PRAGMA foreign_keys=ON")
            # purge is a hard erase: overwrite freed pages instead of leaving text behind
            cursor.execute("PRAGMA secure_delete=ON")
            # Search reads ~150 random rows and the full-text postings of a few terms per
            # query: with SQLite's 2 MB default page cache a 100k-cube store missed on most
            # of them and went to the OS (pread) each time. Reads through a memory map and a
            # larger cache (both filled lazily, shared with the OS page cache) cut that.
            cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
            cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            raw = conn.connection.dbapi_connection
            if not conn.get_execution_options().get("memos_write", False):
                # (on the driver: every search begins one, and a statement through
                # SQLAlchemy's execution machinery costs more than SQLite's BEGIN itself)
                with sqlite_errors_wrapped("BEGIN"):
                    raw.execute("BEGIN")
                return
            waited_ms = _begin_write_polling(raw, busy_timeout_ms)
            if waited_ms is None:
                return
            # Not taken by polling (the timeout ran out, or another error): SQLite's own
            # attempt, for the rest of the timeout, raises the error as a statement would.
            raw.execute(f"PRAGMA busy_timeout={max(1, int(busy_timeout_ms - waited_ms))}")
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            finally:
                raw.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")

        return engine
    return create_engine(url, pool_pre_ping=True, **pool)


def cube_from_row(row: CubeRow) -> MemCube:
    """The cube a `cubes` row holds (an ORM row or a Core / driver row of CUBE_COLUMNS).

    Built without validating again: every row was validated as a MemCube on its way in
    (the SDK, import, the upkeep all write through MemCube), and search turns ten or more
    rows into cubes per call. Enums become enum members and the JSON lists their models,
    as validation would; tests/stores/test_cube_from_row.py checks the result equals the
    validated cube for every field."""
    scope = Scope.model_construct(user_id=row.user_id, agent_id=row.agent_id,
                                  session_id=row.session_id,
                                  visibility=Visibility(row.visibility))
    return MemCube.model_construct(
        id=row.id, tier=Tier(row.tier), kind=cube_types.Kind(row.kind), content=row.content,
        scope=scope, version=int(row.version), state=Lifecycle(row.state),
        sources=[cube_types.SourceRef.model_validate(s) for s in row.sources or ()],
        derived_from=[cube_types.DerivedFrom.model_validate(d) for d in row.derived_from or ()],
        model_fingerprint=row.model_fingerprint, valid_from=row.valid_from,
        valid_to=row.valid_to, recorded_at=row.recorded_at,
        confidence=float(row.confidence), importance=float(row.importance),
        tags=list(row.tags or ()), metadata=dict(row.meta or {}),
        access=AccessStats.model_construct(hits=int(row.hits or 0),
                                           last_access=row.last_access),
        expires_at=row.expires_at, content_hash=row.content_hash,
    )


def row_values(cube: MemCube) -> dict[str, Any]:
    """Column values of `cubes` for a cube (everything except `pk`)."""
    dumped = cube.model_dump(mode="json", include={"sources", "derived_from"})
    return {
        "id": cube.id, "user_id": cube.scope.user_id, "agent_id": cube.scope.agent_id,
        "session_id": cube.scope.session_id, "visibility": cube.scope.visibility.value,
        "tier": cube.tier.value, "kind": cube.kind.value, "state": cube.state.value,
        "version": cube.version, "content": cube.content, "content_hash": cube.content_hash,
        "confidence": cube.confidence, "importance": cube.importance,
        "valid_from": cube.valid_from, "valid_to": cube.valid_to, "recorded_at": cube.recorded_at,
        "expires_at": cube.expires_at, "hits": cube.access.hits,
        "last_access": cube.access.last_access, "tags": list(cube.tags),
        "meta": dict(cube.metadata), "sources": dumped["sources"],
        "derived_from": dumped["derived_from"], "model_fingerprint": cube.model_fingerprint,
    }


def _column_values(values: dict[str, Any]) -> dict[str, Any]:
    """Attribute names -> column names (`meta` is stored in the `metadata` column)."""
    values["metadata"] = values.pop("meta")
    return values


def visible_clause(scope: Scope) -> ColumnElement[bool]:
    """Cubes the caller may read (docs/SDK.md, Visibility)."""
    own = and_(
        CubeRow.user_id == scope.user_id,
        or_(CubeRow.visibility != Visibility.PRIVATE.value, CubeRow.agent_id.is_(None),
            CubeRow.agent_id == scope.agent_id),
    )
    return or_(own, CubeRow.visibility == Visibility.PUBLIC.value)


MAX_LIKE_CHARS = 4_000  # of a LIKE needle: SQLite refuses patterns over 50,000 bytes


def like_part(text: str) -> str:
    """The part of `text` a SQL `contains` looks for: its first MAX_LIKE_CHARS characters
    (4 bytes each at most in UTF-8, twice that escaped, under SQLite's 50,000-byte limit on a
    LIKE pattern). A prefilter only: the caller checks the whole text in Python."""
    return text[:MAX_LIKE_CHARS]


def drop_quote(context: str, quoted: str) -> str:
    """`context` (neighbouring turns joined by spaces) without any copy of `quoted`."""
    return " ".join(part.strip() for part in context.split(quoted) if part.strip())


def owned_clause(scope: Scope) -> ColumnElement[bool]:
    """Cubes the caller may change: same user, and same agent when the cube has one."""
    return and_(CubeRow.user_id == scope.user_id,
                or_(CubeRow.agent_id.is_(None), CubeRow.agent_id == scope.agent_id))


def _purge_row_of(target: str | None, details: Any, user_id: str, agent_id: str | None
                  ) -> bool:
    """Whether a purge audit row erased only cubes `bulk_clause` gives a purge of `user_id`
    (with `agent_id`: that agent's cubes and the user's cubes of no agent, "" in the row's
    `agent_ids`): `Repository.clear_purge_reasons`."""
    details = details if isinstance(details, dict) else {}
    if details.get("user_id") == user_id:
        agents = details.get("agent_ids")
        return agent_id is None or (isinstance(agents, list) and set(agents) <= {"", agent_id})
    return agent_id is None and "user_id" not in details and target == f"user:{user_id}"


def bulk_clause(scope: Scope) -> ColumnElement[bool]:
    """Cubes a bulk admin call (purge of a user, gc) made with `scope` may change.

    With an agent in the scope: exactly the single-cube write rule (`owned_clause`), so an
    agent never reaches, in bulk, a cube it could not change by id. Without an agent (the user
    as a whole, e.g. an erasure request): every cube of that user, whichever agent wrote it.
    Never another user's cube."""
    if scope.agent_id is not None:
        return owned_clause(scope)
    return CubeRow.user_id == scope.user_id


def can_bulk_write(row: Any, scope: Scope) -> bool:
    """`bulk_clause` for one row."""
    if scope.agent_id is not None:
        return can_write(row, scope)
    return bool(row.user_id == scope.user_id)


def live_clause(now: datetime, include_superseded: bool = False) -> ColumnElement[bool]:
    states = [Lifecycle.ACTIVE.value] + ([Lifecycle.SUPERSEDED.value] if include_superseded else [])
    return and_(CubeRow.state.in_(states),
                or_(CubeRow.expires_at.is_(None), CubeRow.expires_at > now))


def can_read(row: CubeRow, scope: Scope) -> bool:
    if row.visibility == Visibility.PUBLIC.value:
        return True
    if row.user_id != scope.user_id:
        return False
    return row.visibility != Visibility.PRIVATE.value or row.agent_id in (None, scope.agent_id)


def can_write(row: CubeRow | Scope, scope: Scope) -> bool:
    """Whether `scope` may change a cube (its row, or the scope it was written with)."""
    return row.user_id == scope.user_id and row.agent_id in (None, scope.agent_id)


def as_read_by(cube: MemCube, scope: Scope) -> MemCube:
    """The cube as `scope` sees it: its access statistics (how often and when its user read
    it) only for its own user; another user reading a public cube sees no reads, and of its
    scope only the user who published it and its visibility, not the agent or session it
    was written in: nor the session where else it is kept (metadata "session" and "turn" of
    an ingested turn or fact, a message source's "<session>#<turn>") (docs/SECURITY.md)."""
    if cube.scope.user_id == scope.user_id:
        return cube
    update: dict[str, Any] = {}
    if cube.access.hits or cube.access.last_access is not None:
        update["access"] = AccessStats()
    if cube.scope.agent_id is not None or cube.scope.session_id is not None:
        update["scope"] = cube.scope.model_copy(update={"agent_id": None, "session_id": None})
    if any(key in cube.metadata for key in _SESSION_KEYS):
        update["metadata"] = {k: v for k, v in cube.metadata.items() if k not in _SESSION_KEYS}
    if any(s.kind == "message" and s.ref is not None for s in cube.sources):
        update["sources"] = [s.model_copy(update={"ref": None}) if s.kind == "message" else s
                             for s in cube.sources]
    return cube.model_copy(update=update) if update else cube


# The metadata keys that name the session a turn or a fact was said in: the owner's, not
# shown to another user (`as_read_by`)
_SESSION_KEYS = (SESSION_KEY, TURN_KEY)


def gone_to(row: CubeRow, scope: Scope) -> bool:
    """Whether `get` reads a cube `scope` may read as missing: a forgotten, archived or
    expired cube of another scope (its owner still sees it, in history)."""
    return not can_write(row, scope) and (
        row.state in (Lifecycle.FORGOTTEN.value, Lifecycle.ARCHIVED.value)
        or (row.expires_at is not None and row.expires_at <= utcnow()))


# Advisory locks (key 1: "memo" in ASCII, +1; key 2: the schema, so stores in different
# schemas of one database do not wait for each other). SQLite lets one writer in at a time; on
# PostgreSQL these locks give the same order, which the changelog needs: a seq allocated by
# one transaction must not commit after a larger seq that an index has already read past.
SCHEMA_LOCK = 0x6D656D6F  # creating tables on a new database
WRITE_LOCK = SCHEMA_LOCK + 1  # every write transaction, from its first statement to commit


def pg_xact_lock(conn: Any, key: int) -> None:
    """On PostgreSQL, take advisory lock (`key`, schema) until the transaction of `conn` ends."""
    bind = conn.get_bind() if isinstance(conn, Session) else conn
    if bind.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k, hashtext(current_schema()))"),
                     {"k": key})


def driver_rows(session: Session | Connection, sql: str, params: Sequence[Any] = ()
                ) -> list[Any]:
    """All rows of one statement, run on the session's own driver connection inside its
    transaction (or on a bare connection's). For the statements every search runs: on
    SQLite SQLAlchemy's result machinery (per statement and per row) cost more than
    SQLite's own work for a hundred-row answer (development timings, not a repo command).
    `sql` uses the driver's parameter style (`?` on SQLite)."""
    conn = session.connection() if isinstance(session, Session) else session
    if conn.dialect.name == "sqlite":
        with sqlite_errors_wrapped(sql, params):
            return conn.connection.dbapi_connection.execute(sql, tuple(params)).fetchall()
    return list(conn.exec_driver_sql(sql, tuple(params)).all())


def driver_result_procs(columns: Sequence[Any], dialect: Any) -> list[tuple[int, Any]]:
    """(position, converter) of the columns whose driver values SQLAlchemy would convert
    (dates, booleans, JSON): what a row read on the driver needs to match a Core row.

    On SQLite the values SQLAlchemy itself wrote take a shorter road to the same result
    (`_sqlite_fast_proc`); anything else goes through SQLAlchemy's own converter."""
    procs = []
    for i, c in enumerate(columns):
        proc = c.type.dialect_impl(dialect).result_processor(dialect, None)
        if proc is not None:
            if dialect.name == "sqlite":
                proc = _sqlite_fast_proc(c.type, proc)
            procs.append((i, proc))
    return procs


_EMPTY_JSON: dict[str, Any] = {"[]": list, "{}": dict}


def _sqlite_fast_proc(column_type: Any, proc: Any) -> Any:
    """`proc` (SQLAlchemy's converter of one SQLite column) with a C-speed path for the
    values memos writes: a UtcDateTime stored in SQLAlchemy's own format
    ("2026-12-02 13:40:01.032973", always six fraction digits) read by
    `datetime.fromisoformat`, where SQLAlchemy matches a regular expression and builds the
    datetime in Python; an empty JSON list or object made directly. Every other value,
    None included, goes to `proc`. tests/stores/test_cube_from_row.py compares the two."""
    if isinstance(column_type, UtcDateTime):
        fromiso = datetime.fromisoformat

        def utc_datetime(value: Any) -> Any:
            if (type(value) is str and len(value) == 26 and value[10] == " "
                    and value[19] == "."):
                try:
                    return fromiso(value).replace(tzinfo=UTC)
                except ValueError:
                    pass  # not SQLAlchemy's own text: its converter decides
            return proc(value)
        return utc_datetime
    if isinstance(column_type, JSON):
        def json_value(value: Any) -> Any:
            empty = _EMPTY_JSON.get(value) if type(value) is str else None
            return empty() if empty is not None else proc(value)
        return json_value
    return proc


@contextmanager
def sqlite_errors_wrapped(sql: str, params: Any = ()) -> Iterator[None]:
    """A statement run on the sqlite3 driver directly raises what SQLAlchemy would have:
    its `OperationalError` ("database is locked", disk full) and the rest of the DBAPIError
    family, which the server and the CLI turn into their retry and store messages."""
    try:
        yield
    except sqlite3.Error as exc:
        raise DBAPIError.instance(sql, params, exc, sqlite3.Error) from exc


@contextmanager
def _nul_is_bad_input() -> Iterator[None]:
    """PostgreSQL refuses NUL characters in text and JSON (SQLite keeps them): any id, scope,
    tag, metadata or entity string carrying one is bad input, not a store failure."""
    try:
        yield
    except DataError as exc:
        message = str(exc.orig)
        if "NUL" in message or "\\u0000" in message:
            raise InvalidInputError("a text field (id, scope, tag, metadata, entity or "
                                    "relation) contains a NUL character (\\x00); remove it"
                                    ) from None
        raise


DAMAGED = ("restore the store from a backup (SQL is the source of truth: rebuilding the "
           "indexes cannot mend it)")
LOCKED = ("another process held its write lock for longer than the busy timeout; retry when "
          "that process is done")


def sqlite_code(exc: BaseException) -> int | None:
    """SQLite's primary result code of a driver error (SQLAlchemy's or sqlite3's own): 5 busy,
    11 corrupt, 13 full, 26 not a database...; None for other errors and other databases."""
    code = getattr(getattr(exc, "orig", exc), "sqlite_errorcode", None)
    return None if code is None else code & 0xFF


@contextmanager
def _driver_errors(timeout_ms: int) -> Iterator[None]:
    """SQLite's "database is locked" after the busy timeout (another process holds the write
    lock) and "database disk image is malformed" (a damaged file) as StoreErrors that say what
    to do, not the driver's errors."""
    try:
        yield
    except DBAPIError as exc:
        code = sqlite_code(exc)
        if code in (5, 6):  # SQLITE_BUSY, SQLITE_LOCKED
            raise StoreError(f"the store is locked ({timeout_ms / 1000:g} s busy timeout): "
                             f"{LOCKED}") from exc
        if code in (11, 26):  # SQLITE_CORRUPT, SQLITE_NOTADB
            raise StoreError(f"the database file is damaged ({exc.orig}); {DAMAGED}") from exc
        if code == 13:  # SQLITE_FULL
            raise StoreError(f"the disk is full ({exc.orig}): nothing of this call was "
                             "written; free some space and run it again") from exc
        if code == 10:  # SQLITE_IOERR
            raise StoreError(f"the disk failed a read or write ({exc.orig}): nothing of this "
                             "call was written; check the disk, then run `memos check`") from exc
        raise


def _add_missing_columns(conn: Any) -> None:
    """Stores made by an earlier version lack columns and indexes added since: add them
    (all such columns are nullable, so old rows stay valid). `create_all` only creates whole
    tables."""
    inspector = inspect(conn)
    for table in Base.metadata.sorted_tables:
        have = {c["name"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name not in have and column.nullable:
                kind = column.type.compile(dialect=conn.dialect)
                conn.execute(text(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}'))
                log.info("store schema: added column %s.%s", table.name, column.name)
        indexes = {ix["name"] for ix in inspector.get_indexes(table.name)}
        for index in table.indexes:
            if index.name not in indexes:
                index.create(conn)
                log.info("store schema: created index %s", index.name)


def _backfill_derivations(conn: Any) -> None:
    """A store made before the `derivations` table existed: fill it from `cubes.derived_from`
    (once, when the table is created; runs inside the schema transaction)."""
    # A missing version reads as 1, DerivedFrom's default; an entry without a cube id is skipped.
    if conn.dialect.name == "postgresql":
        sql = ("INSERT INTO derivations (derived_pk, source_id, source_version, model_fingerprint) "
               "SELECT DISTINCT c.pk, d->>'cube_id', COALESCE((d->>'version')::int, 1), "
               "c.model_fingerprint FROM cubes c, jsonb_array_elements(CASE WHEN "
               "jsonb_typeof(c.derived_from) = 'array' THEN c.derived_from ELSE '[]' END) d "
               "WHERE jsonb_typeof(d) = 'object' AND d->>'cube_id' IS NOT NULL")
    else:
        sql = ("INSERT INTO derivations (derived_pk, source_id, source_version, model_fingerprint) "
               "SELECT DISTINCT c.pk, json_extract(d.value, '$.cube_id'), "
               "COALESCE(json_extract(d.value, '$.version'), 1), c.model_fingerprint "
               "FROM cubes c, json_each(CASE WHEN json_type(c.derived_from) = 'array' "
               "THEN c.derived_from ELSE '[]' END) d "
               "WHERE d.type = 'object' AND json_extract(d.value, '$.cube_id') IS NOT NULL")
    count = conn.execute(text(sql)).rowcount
    if count:
        log.info("store schema: derivations table filled from %d derived_from entries", count)
    # Made by the same release: activation and parametric cubes carry no text to index. A
    # `reindex` change per such cube makes the indexes' catch-up drop what older code put in.
    cubes = CubeRow.__table__
    conn.execute(insert(ChangelogRow.__table__).from_select(
        ["cube_pk", "cube_id", "version", "op", "at"],
        select(cubes.c.pk, cubes.c.id, cubes.c.version, literal("reindex"),
               literal(utcnow(), UtcDateTime()))
        .where(cubes.c.tier.in_([Tier.ACTIVATION.value, Tier.PARAMETRIC.value]))
        .order_by(cubes.c.pk)))


NOT_A_STORE_ADVICE = ("memos left it as it is. Pass a memos store as --store (the folder "
                      "`memos init` made, or its memos.db), or a path where nothing is yet to "
                      "create a new store there")
READ_ONLY_ADVICE = ("memos writes to its store on every command, reads included (the schema "
                    "check on opening, access statistics, index files), so it cannot use a "
                    "read-only store: make the store's folder and files writable for this user "
                    "(e.g. chmod -R u+w FOLDER), or copy the store somewhere writable and pass "
                    "the copy as --store")


def sqlite_file_of(url: str) -> str | None:
    """The file of a SQLite URL; None for other databases and in-memory or URI-named ones."""
    if not url.startswith("sqlite"):
        return None
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:  # a malformed URL: create_engine says what is wrong
        return None
    path = parsed.database
    if (not path or path == ":memory:" or path.startswith("file:")
            or parsed.query.get("mode") == "memory"):
        return None
    return path


def refuse_foreign_sqlite(url: str, *, settle_s: float = 0.1) -> None:
    """Raise StoreError when `url` names an existing file that is not a memos store: an empty
    file, a file that is not a SQLite database, or a SQLite database with tables but no
    `cubes` table (another application's). Looked at read-only, before memos' own connection
    (which switches the file to WAL and creates tables): such a file is left byte for byte as
    it was. A missing file (a new store), a database without any table yet (one another
    process is creating) and one that cannot be read here (damaged, locked, unreadable: the
    open itself says what is wrong) pass."""
    path = sqlite_file_of(url)
    if path is None or not os.path.isfile(path):
        return
    if os.path.getsize(path) == 0:
        # Another process opening a new store at the same path creates the file empty and
        # writes its first page at once: look again after a moment before refusing.
        time.sleep(settle_s)
        if os.path.isfile(path) and os.path.getsize(path) == 0:
            raise StoreError(f"{path} is an empty file, not a memos store; "
                             f"{NOT_A_STORE_ADVICE} (or delete the empty file first)")
        return
    try:
        # Read-only; without a -wal file beside it (a database closed cleanly, WAL or not)
        # as immutable, so that not even SQLite's -wal and -shm files appear next to it.
        wal = os.path.exists(path + "-wal")
        uri = Path(path).resolve().as_uri() + ("?mode=ro" if wal else "?immutable=1")
        conn = sqlite3.connect(uri, uri=True, timeout=1.0)
    except (sqlite3.Error, OSError, ValueError):
        return
    try:
        names = [row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    except sqlite3.DatabaseError as exc:
        if sqlite_code(exc) == 26:  # SQLITE_NOTADB
            raise StoreError(f"{path} is not a memos store: it is not a SQLite database "
                             f"({exc}); {NOT_A_STORE_ADVICE}. If it was a memos store, it is "
                             f"damaged: {DAMAGED}") from None
        return
    finally:
        conn.close()
    if names and CubeRow.__tablename__ not in names:
        shown = ", ".join(repr(name[:40]) for name in names[:3])
        more = f" and {len(names) - 3} more" if len(names) > 3 else ""
        raise StoreError(f"{path} is not a memos store: it is a SQLite database of something "
                         f"else (tables {shown}{more}, none of memos'); {NOT_A_STORE_ADVICE}")


def refuse_read_only_sqlite(url: str) -> None:
    """Raise StoreError when `url` names an existing SQLite file this process cannot write:
    the file itself, or its folder where SQLite keeps the -wal and -shm files beside it."""
    path = sqlite_file_of(url)
    if path is None or not os.path.isfile(path):
        return
    folder = os.path.dirname(os.path.abspath(path))
    sidecars = [path + "-wal", path + "-shm"]
    writable = os.access(path, os.W_OK) and (os.access(folder, os.W_OK) or all(
        os.path.isfile(f) and os.access(f, os.W_OK) for f in sidecars))
    if not writable:
        raise StoreError(f"the store at {path} is read-only (this user cannot write "
                         f"{path if not os.access(path, os.W_OK) else folder}); "
                         f"{READ_ONLY_ADVICE}")


def is_read_only_error(exc: BaseException, url: str) -> bool:
    """Whether a driver error means the store cannot be written: SQLite's SQLITE_READONLY
    (a read-only file, folder or file system), or SQLITE_CANTOPEN on an existing file whose
    folder this process cannot write (its -wal and -shm files cannot be made)."""
    orig = getattr(exc, "orig", exc)
    code = sqlite_code(exc)
    if code == 8 or "readonly database" in str(orig):  # SQLITE_READONLY
        return True
    path = sqlite_file_of(url)
    if code == 14 and path is not None and os.path.isfile(path):  # SQLITE_CANTOPEN
        folder = os.path.dirname(os.path.abspath(path))
        return not os.access(path, os.W_OK) or not os.access(folder, os.W_OK)
    return False


class Repository:
    """The SQL store. Sessions are explicit; nothing happens at import time."""

    def __init__(self, url: str, busy_timeout_ms: int = 30_000) -> None:
        self.url = url
        self._busy_timeout_ms = busy_timeout_ms
        self._twins: list[Repository] = []
        # Before any connection of memos' own: it would write to another application's file.
        refuse_foreign_sqlite(url)
        refuse_read_only_sqlite(url)
        try:
            self.engine = make_engine(url, busy_timeout_ms)
            self.dialect = self.engine.dialect.name
            self._snapshot_reads = self.dialect == "postgresql"  # see read()
            # The two index_meta statements every write and search runs, in the driver's
            # parameter style (driver_rows): fixed for the engine, so built once.
            marker = "?" if self.dialect == "sqlite" else "%s"
            self._seq_sql = "SELECT seq FROM index_meta WHERE name = " + marker
            self._heads_sql = ("SELECT (SELECT coalesce(max(seq), 0) FROM changelog), ("
                               + self._seq_sql + ")")
            # The file `file_marks` watches (a SQLite file; None for other databases and
            # in-memory SQLite, a shared one named by a URI included): fixed for the engine.
            self._marks_path = sqlite_file_of(url) if self.dialect == "sqlite" else None
            # A write transaction from its start (SQLite: BEGIN IMMEDIATE; PostgreSQL: the
            # advisory lock): two first opens at once would both CREATE TABLE, and a deferred
            # SQLite transaction that reads before it writes fails "locked" without waiting.
            with self.engine.execution_options(memos_write=True).begin() as conn:
                pg_xact_lock(conn, SCHEMA_LOCK)
                had_derivations = inspect(conn).has_table(DerivationRow.__tablename__)
                Base.metadata.create_all(conn)
                _add_missing_columns(conn)
                if not had_derivations:
                    _backfill_derivations(conn)
        except DBAPIError as exc:
            if sqlite_code(exc) in (11, 26):  # SQLITE_CORRUPT, SQLITE_NOTADB
                raise StoreError(f"the database file of the store at {shown_location(url)} is "
                                 f"damaged ({exc.orig}); {DAMAGED}") from exc
            if not isinstance(exc, OperationalError):
                raise
            # shown_location: a URL's password never goes into a message.
            if is_read_only_error(exc, url):
                raise StoreError(f"the store at {shown_location(url)} is read-only "
                                 f"({exc.orig}); {READ_ONLY_ADVICE}") from exc
            advice = (LOCKED if "locked" in str(exc.orig) else
                      "check the path or URL and that the database server is running")
            raise StoreError(
                f"cannot open the store at {shown_location(url)}: {exc.orig}; {advice}") from exc
        self._write_lock = threading.RLock()
        self._thread_writes = threading.local()  # .n: write transactions begun by a thread
        self._datetime_bind = _UTC_TYPE.impl.dialect_impl(self.engine.dialect).bind_processor(
            self.engine.dialect)
        dialect = self.engine.dialect
        columns = [attr.columns[0] for attr in CubeRow.__mapper__.column_attrs]
        self._row_select = "SELECT " + ", ".join(f'"{c.name}"' for c in columns) + " FROM cubes"
        self._row_procs: list[tuple[int, Any]] = []
        if self.dialect == "sqlite":  # the fast row path is SQLite's (rows_by_admitted_pks)
            self._row_procs = driver_result_procs(columns, dialect)
        self._closed = False  # `close`: a transaction after it is an error, not a new pool
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(self.engine.execution_options(memos_write=True),
                                   expire_on_commit=False)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """One read transaction (a snapshot), as an ORM session.

        The transaction is the connection's own, begun and ended here, and the session
        joins it: an ORM session that begins and commits its own costs about twice as much
        in SQLAlchemy's machinery (a tenth of a millisecond more, development timings, not
        a repo command), and every search opens one.

        On PostgreSQL the transaction is REPEATABLE READ: under the default READ COMMITTED
        each statement sees its own snapshot, so a search that admits candidates in one
        statement and loads the winners by pk in the next could return a cube a forget,
        supersede or expiry committed in between. (SQLite's read transactions are snapshots
        already.)"""
        self._open()
        with _driver_errors(self._busy_timeout_ms), _nul_is_bad_input(), \
                self.engine.connect() as conn, conn.begin(), self._read(bind=conn) as session:
            if self._snapshot_reads:
                conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction: committed on exit, rolled back (store unchanged) on any error."""
        # Threads of this process take turns here; other processes wait on the database's
        # own lock (SQLite BEGIN IMMEDIATE, a PostgreSQL advisory lock).
        self._open()
        with self._write_lock, _driver_errors(self._busy_timeout_ms), \
                _nul_is_bad_input(), self._write() as session, session.begin():
            self._thread_writes.n = self.writes_on_this_thread() + 1
            pg_xact_lock(session, WRITE_LOCK)
            yield session

    def _open(self) -> None:
        """StoreError once closed: the engine would quietly open a new pool (on in-memory
        SQLite, a new empty database)."""
        if self._closed:
            raise StoreError("this store was closed (MemOS.close, or the end of its `with` "
                             "block); open it again with MemOS.open(...) to use it")

    def writes_on_this_thread(self) -> int:
        """How many write transactions the calling thread has begun on this handle."""
        return int(getattr(self._thread_writes, "n", 0))

    def has_file_marks(self) -> bool:
        """Whether `file_marks` gives marks (a SQLite file), not None (other databases,
        in-memory SQLite)."""
        return self._marks_path is not None

    def file_marks(self) -> tuple[Any, ...] | None:
        """The size and modification time of a SQLite store's file and its WAL, which any
        commit (of any connection, any process) changes; None for other databases. A hint,
        never a guarantee (timestamps are coarse): callers use it to choose how to run work,
        not what it reads."""
        path = self._marks_path
        if path is None:
            return None
        marks: list[Any] = []
        for name in (path, path + "-wal"):
            try:
                st = os.stat(name)
                marks += [st.st_size, st.st_mtime_ns]
            except OSError:
                marks += [None, None]
        return tuple(marks)

    def shares_connections(self) -> bool:
        """True when any thread may use this database through the pool (a pooled file or
        server); False for in-memory SQLite, where SQLAlchemy gives each thread its own
        connection and so its own empty database."""
        return isinstance(self.engine.pool, QueuePool)

    def upkeep_twin(self) -> Repository:
        """A second handle on the same database with a small connection pool and a process
        write lock of its own, for the index upkeep (catch-up, rebuilds) that runs
        while holding the store's index lock.

        Searches take a connection of the main pool and then wait for the index lock (their
        dense half, graph walks). Upkeep drawing on that same pool while holding the lock
        would wait for a connection that only a finished search gives back: with as many
        concurrent searches as the pool has connections, everything stalls until the pool's
        timeout. With its own pool the upkeep never waits on a search. Closed with this
        repository. A database SQLAlchemy does not pool per connection (in-memory SQLite,
        one connection per thread) has no second handle: itself.

        The twin has its own process write lock: upkeep waiting for the main one while a
        writer holding it waited for a connection held by a search would be the same stall
        one step removed. Writes of the two still take turns on the database's own lock
        (SQLite BEGIN IMMEDIATE, the PostgreSQL advisory lock), which only a thread that
        has its connection can hold."""
        if not self.shares_connections():
            return self
        twin = copy.copy(self)
        twin._write_lock = threading.RLock()
        twin._thread_writes = threading.local()
        twin.engine = make_engine(self.url, self._busy_timeout_ms, pool_size=2,
                                  max_overflow=2)
        twin._read = sessionmaker(twin.engine, expire_on_commit=False)
        twin._write = sessionmaker(twin.engine.execution_options(memos_write=True),
                                   expire_on_commit=False)
        twin._twins = []
        self._twins.append(twin)
        return twin

    def close(self) -> None:
        for twin in self._twins:
            twin.close()
        self._closed = True
        self.engine.dispose()

    def truncate_wal(self, wait_s: float = 5.0) -> str | None:
        """SQLite: copy every WAL frame into the database file and truncate the WAL to zero
        bytes, so that old page images (text a purge just erased) leave the disk now rather
        than when the last process closes. Returns None when done, else why not (a reader
        of another process kept a snapshot open for `wait_s`). No-op on PostgreSQL.

        Runs on a bare driver connection (no BEGIN: a transaction of its own would be a
        reader the checkpoint waits for), with a short busy timeout retried until `wait_s`."""
        if self.dialect != "sqlite":
            return None
        deadline = time.monotonic() + wait_s
        raw = self.engine.raw_connection()
        try:
            driver = raw.driver_connection
            cursor = driver.cursor()
            previous = cursor.execute("PRAGMA busy_timeout").fetchone()[0]
            cursor.execute("PRAGMA busy_timeout=100")
            try:
                why = "the checkpoint did not run"
                while True:
                    try:
                        busy, frames, done = cursor.execute(
                            "PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
                        if busy == 0:
                            return None
                        why = (f"{frames - done if frames >= 0 else 'some'} WAL frame(s) are "
                               "still needed by a reader (another process, or another "
                               "MemOS open on this store)")
                    except sqlite3.OperationalError as exc:
                        why = str(exc)
                    if time.monotonic() > deadline:
                        return why
                    time.sleep(0.02)
            finally:
                cursor.execute(f"PRAGMA busy_timeout={int(previous)}")
                cursor.close()
        finally:
            raw.close()

    # -- writes (inside a write() session) ------------------------------------------

    def insert_cubes(self, session: Session, cubes: Sequence[MemCube], op: str = "add",
                     history: Sequence[Sequence[dict[str, Any]]] | None = None,
                     made: Sequence[Mapping[int, tuple[str, datetime, str | None]]] | None = None
                     ) -> list[int]:
        """Insert new cubes with their version rows, tags, sources and changelog rows.

        `history` (import only) gives earlier version snapshots per cube, and `made` how
        each version was made (version -> operation, time, reason; a version not in it is
        recorded as made by `op`, now).
        """
        if not cubes:
            return []
        now = utcnow()
        # Core tables, not ORM inserts: bulk writes skip per-row ORM bookkeeping.
        cubes_t = CubeRow.__table__
        result = session.connection().execute(
            insert(cubes_t).returning(cubes_t.c.pk, sort_by_parameter_order=True),
            [_column_values(row_values(c)) for c in cubes])
        pks = [r[0] for r in result]
        versions: list[dict[str, Any]] = []
        for i, cube in enumerate(cubes):
            how = made[i] if made else {}
            for snap in (history[i] if history else ()):
                was = how.get(snap["version"], ("import", now, None))
                versions.append({"cube_id": cube.id, "version": snap["version"], "op": was[0],
                                 "created_at": was[1], "reason": was[2], "snapshot": snap})
            was = how.get(cube.version, (op, now, None))
            versions.append({"cube_id": cube.id, "version": cube.version, "op": was[0],
                             "created_at": was[1], "reason": was[2],
                             "snapshot": cube.model_dump_json()})
        conn = session.connection()
        conn.execute(insert(CubeVersionRow.__table__), versions)
        conn.execute(insert(ChangelogRow.__table__), [
            {"cube_pk": pk, "cube_id": c.id, "version": c.version, "op": op, "at": now}
            for pk, c in zip(pks, cubes, strict=True)])
        tags = [{"cube_pk": pk, "tag": t} for pk, c in zip(pks, cubes, strict=True)
                for t in dict.fromkeys(c.tags)]
        if tags:
            conn.execute(insert(CubeTagRow.__table__), tags)
        self._insert_sources(session, list(zip(pks, cubes, strict=True)))
        self._write_derivations(session, list(zip(pks, cubes, strict=True)))
        return pks

    def _insert_sources(self, session: Session, items: list[tuple[int, MemCube]]) -> None:
        rows = [{"cube_pk": pk, "kind": s.kind, "ref": s.ref, "role": s.role, "at": s.at,
                 "text": s.text} for pk, c in items for s in c.sources]
        if rows:
            session.connection().execute(insert(SourceRow.__table__), rows)

    def _write_derivations(self, session: Session, items: list[tuple[int, MemCube]],
                           replace: bool = False) -> None:
        """The `derivations` rows of these cubes (pk, cube): one per distinct (source id,
        version) of `derived_from`. `replace` first deletes the rows the cubes had."""
        conn = session.connection()
        if replace:
            conn.execute(delete(DerivationRow.__table__).where(
                DerivationRow.derived_pk.in_([pk for pk, _ in items])))
        rows = [{"derived_pk": pk, "source_id": cube_id, "source_version": version,
                 "model_fingerprint": c.model_fingerprint}
                for pk, c in items
                for cube_id, version in dict.fromkeys((d.cube_id, d.version)
                                                      for d in c.derived_from)]
        if rows:
            conn.execute(insert(DerivationRow.__table__), rows)

    def write_version(self, session: Session, row: CubeRow, cube: MemCube, op: str,
                      reason: str | None = None) -> None:
        """Make `cube` (already at row.version + 1) the current state and record it."""
        now = utcnow()
        values = row_values(cube)
        old_tags, old_sources = list(row.tags or []), list(row.sources or [])
        old_derivation = (list(row.derived_from or []), row.model_fingerprint)
        # Core UPDATE: an ORM one would re-evaluate its WHERE against every object in the
        # session (quadratic over a batch of bumps).
        table = CubeRow.__table__
        session.connection().execute(update(table).where(table.c.pk == row.pk)
                                     .values(**_column_values(dict(values))))
        session.add(CubeVersionRow(cube_id=cube.id, version=cube.version, op=op, created_at=now,
                                   reason=reason, snapshot=cube.model_dump_json()))
        session.add(ChangelogRow(cube_pk=row.pk, cube_id=cube.id, version=cube.version, op=op,
                                 at=now))
        if list(cube.tags) != old_tags:
            session.execute(delete(CubeTagRow).where(CubeTagRow.cube_pk == row.pk))
            for tag in dict.fromkeys(cube.tags):
                session.add(CubeTagRow(cube_pk=row.pk, tag=tag))
        if values["sources"] != old_sources:
            session.execute(delete(SourceRow).where(SourceRow.cube_pk == row.pk))
            self._insert_sources(session, [(row.pk, cube)])
        if (values["derived_from"], values["model_fingerprint"]) != old_derivation:
            self._write_derivations(session, [(row.pk, cube)], replace=True)
        session.flush()

    def insert_edges(self, session: Session, edges: Sequence[dict[str, Any]],
                     src_ids: Sequence[str]) -> list[int]:
        """Insert edge rows (EdgeRow columns, no id) and a `link` changelog row for each."""
        if not edges:
            return []
        result = session.execute(insert(EdgeRow).returning(EdgeRow.id, sort_by_parameter_order=True),
                                 list(edges))
        ids = [r[0] for r in result]
        now = utcnow()
        session.execute(insert(ChangelogRow), [
            {"cube_pk": e["src_pk"], "cube_id": src, "version": None, "op": "link",
             "edge_id": eid, "at": now} for e, src, eid in zip(edges, src_ids, ids, strict=True)])
        return ids

    @staticmethod
    def public_edge_id(pk: int, store_id: str) -> int:
        """The id an edge is shown with (`MemOS.link`'s `Edge.id`): its row id through a
        permutation keyed by the store's random id (a 4-round Feistel network over the low 48
        bits), so ids stay distinct and stable while the gap between two of a user's links no
        longer counts the edges other users wrote in between (docs/SECURITY.md)."""
        import hashlib
        import hmac

        key = hashlib.sha256(b"memos edge ids\0" + store_id.encode()).digest()
        high, left, right = pk >> 48, (pk >> 24) & 0xFFFFFF, pk & 0xFFFFFF
        for rnd in range(4):
            mac = hmac.new(key, bytes([rnd]) + right.to_bytes(3, "big"), "sha256").digest()
            left, right = right, left ^ int.from_bytes(mac[:3], "big")
        return (high << 48) | (left << 24) | right

    def erase_cubes(self, session: Session, pks: Sequence[int], ids: Sequence[str],
                    owner: str) -> dict[str, int]:
        """Purge's deletes, table by table in chunks (drivers cap bind parameters): every
        version, edge (with its entity name), source, changelog row, tag and cube row of these
        cubes, and the `reason` of earlier audit rows about them (callers' words, which may
        quote the cubes). Then one `purge` changelog row per cube, without its id, so the
        derived indexes learn of the erase. Returns the counts the purge report shows, all
        of `owner`'s (the purging user's) rows: edges other users drew to these cubes from
        their own go too, uncounted, since the count would tell her of their links."""
        counts = {"versions": 0, "edges": 0, "sources": 0, "changelog_rows": 0}
        replaced = self._superseded_by(session, pks)  # read before their edges go
        for start in range(0, len(pks), ID_CHUNK):
            p, i = list(pks[start:start + ID_CHUNK]), list(ids[start:start + ID_CHUNK])
            counts["versions"] += session.execute(
                delete(CubeVersionRow).where(CubeVersionRow.cube_id.in_(i))).rowcount
            touching = or_(EdgeRow.src_pk.in_(p), EdgeRow.dst_pk.in_(p))
            counts["edges"] += session.execute(delete(EdgeRow).where(
                touching, EdgeRow.user_id == owner)).rowcount
            session.execute(delete(EdgeRow).where(touching))
            counts["sources"] += session.execute(
                delete(SourceRow).where(SourceRow.cube_pk.in_(p))).rowcount
            counts["changelog_rows"] += session.execute(
                delete(ChangelogRow).where(ChangelogRow.cube_pk.in_(p))).rowcount
            session.execute(delete(CubeTagRow).where(CubeTagRow.cube_pk.in_(p)))
            session.execute(delete(CubeRow).where(CubeRow.pk.in_(p)))
            session.execute(update(AuditRow).where(AuditRow.target.in_(i)).values(reason=None))
        self._clear_supersede_reasons(session, set(ids), replaced)
        if pks:
            now = utcnow()
            session.execute(insert(ChangelogRow), [
                {"cube_pk": pk, "cube_id": None, "version": None, "op": "purge", "at": now}
                for pk in pks])
        return counts

    def _superseded_by(self, session: Session, pks: Sequence[int]) -> list[str]:
        """Ids of the cubes that the cubes `pks` superseded (their `supersedes` edges)."""
        out: list[str] = []
        for start in range(0, len(pks), ID_CHUNK):
            out += session.execute(select(CubeRow.id).join(
                EdgeRow, EdgeRow.dst_pk == CubeRow.pk).where(
                EdgeRow.src_pk.in_(list(pks[start:start + ID_CHUNK])),
                EdgeRow.relation == "supersedes")).scalars().all()
        return out

    def _clear_supersede_reasons(self, session: Session, ids: set[str],
                                 replaced: Sequence[str]) -> None:
        """The reason of a supersede by one of `ids` (its audit row names the replaced cube,
        one of `replaced`, with `by` in its details) quotes the replacement as often as not
        ("moved to <the new address>"): cleared with the erase, on the audit row and on the
        replaced cube's `supersede` version row, which holds the same words
        (`supersede(by=...)`). A store an export was imported into holds those version
        reasons with no audit row (`MemOS.versions`' `made`): every `supersede` version
        reason of a replaced cube goes, whichever cube superseded it then."""
        rows = []
        targets = sorted(set(replaced))
        for start in range(0, len(targets), ID_CHUNK):
            rows += session.execute(select(AuditRow.id, AuditRow.target, AuditRow.reason,
                                           AuditRow.details).where(
                AuditRow.action == "supersede", AuditRow.reason.is_not(None),
                AuditRow.target.in_(targets[start:start + ID_CHUNK]))).all()
        named = [r for r in rows if isinstance(r.details, dict) and r.details.get("by") in ids]
        for r in named:
            session.execute(update(CubeVersionRow).where(
                CubeVersionRow.cube_id == r.target, CubeVersionRow.op == "supersede",
                CubeVersionRow.reason == r.reason).values(reason=None))
        for start in range(0, len(named), ID_CHUNK):
            session.execute(update(AuditRow).where(AuditRow.id.in_(
                [r.id for r in named[start:start + ID_CHUNK]])).values(reason=None))
        for start in range(0, len(targets), ID_CHUNK):
            session.execute(update(CubeVersionRow).where(
                CubeVersionRow.cube_id.in_(targets[start:start + ID_CHUNK]),
                CubeVersionRow.op == "supersede", CubeVersionRow.reason.is_not(None)
            ).values(reason=None))

    def clear_purge_reasons(self, session: Session, user_id: str, agent_id: str | None) -> int:
        """Clear the `reason` of earlier purge rows about this user's cubes (with `agent_id`:
        about that agent's cubes only), inside a purge of all of them: `erase_cubes` clears
        the reasons of rows naming the cubes it erases, but a purge row names cubes erased
        before. Purge rows record their cubes' user and agents in `details` (of rows written
        before they did, only those of a purge of all the user's cubes, target `user:<id>`,
        are recognised).
        Returns how many were cleared."""
        rows = session.execute(select(AuditRow.id, AuditRow.target, AuditRow.details).where(
            AuditRow.action == "purge", AuditRow.reason.is_not(None))).all()
        ids = [r.id for r in rows if _purge_row_of(r.target, r.details, user_id, agent_id)]
        for start in range(0, len(ids), ID_CHUNK):
            session.execute(update(AuditRow).where(
                AuditRow.id.in_(ids[start:start + ID_CHUNK])).values(reason=None))
        return len(ids)

    def audit(self, session: Session, action: str, target: str | None, reason: str | None,
              details: dict[str, Any], actor: str | None = None) -> int:
        entry = AuditRow(at=utcnow(), actor=actor, action=action, target=target, reason=reason,
                         details=details)
        session.add(entry)
        session.flush()
        return entry.id

    # -- reads ---------------------------------------------------------------------

    def row_by_id(self, session: Session, cube_id: str) -> CubeRow | None:
        return session.execute(select(CubeRow).where(CubeRow.id == cube_id)).scalar_one_or_none()

    def rows_by_pks(self, session: Session, pks: Sequence[int],
                    where: ColumnElement[bool]) -> dict[int, Any]:
        """One SELECT for all candidates (no per-hit queries), filtered in SQL.

        Plain rows with CubeRow's attribute names (Core, not ORM objects: this is on every
        search's path, and nothing here is changed through the session)."""
        if not pks:
            return {}
        stmt = select(*CUBE_COLUMNS).where(CubeRow.pk.in_(bindparam("pks", expanding=True)), where)
        return {r.pk: r for r in session.connection().execute(stmt, {"pks": list(pks)})}

    def rows_by_admitted_pks(self, session: Session, pks: Sequence[int]) -> dict[int, Any]:
        """Rows of pks that `admit_default` (or an equal filter) has just admitted in this
        same read transaction: selected by pk alone, with one prepared statement."""
        if not pks:
            return {}
        if self.dialect != "sqlite":
            return {r.pk: r for r in session.connection().execute(_ROWS_BY_PK,
                                                                  {"pks": list(pks)})}
        # SQLite: the driver's tuples, converted by the columns' own result processors (the
        # same SQLAlchemy would apply; tests/stores/test_admit_default.py compares the two).
        sql = f"{self._row_select} WHERE pk IN ({', '.join(str(int(pk)) for pk in pks)})"
        procs = self._row_procs
        out: dict[int, Any] = {}
        for raw in driver_rows(session, sql):
            values = list(raw)
            for i, proc in procs:
                values[i] = proc(values[i])
            row = CubeTuple(*values)
            out[row.pk] = row
        return out

    def admit_default(self, session: Session, pks: Sequence[int], scope: Scope,
                      tiers: Sequence[str], include_superseded: bool, now: datetime) -> list[int]:
        """The pks among `pks` that search's default filter admits: exactly
        `visible_clause(scope) & live_clause(now, include_superseded) & tier IN tiers`.

        One statement on the driver: every search runs it over its ~100 candidates, and
        building and compiling the same clause through SQLAlchemy cost more than SQLite's
        own work. tests/stores/test_admit_default.py checks it admits what the SQLAlchemy
        clauses admit over every combination of visibility, agent, state, expiry and tier."""
        if not pks or not tiers:  # no tier asked for: nothing passes (and `IN ()` is not SQL)
            return []
        states = [Lifecycle.ACTIVE.value] + (
            [Lifecycle.SUPERSEDED.value] if include_superseded else [])
        mark = "?" if self.dialect == "sqlite" else "%s"
        marks = ", ".join([mark] * len(states))
        tier_marks = ", ".join([mark] * len(tiers))
        if self.dialect == "sqlite":  # ints from our own indexes, coerced: literal is safe
            pk_sql, pk_params = ", ".join(str(int(pk)) for pk in pks), []
            pk_test = f"pk IN ({pk_sql})"
        else:
            pk_test, pk_params = f"pk = ANY({mark})", [[int(pk) for pk in pks]]
        hint = " INDEXED BY ix_cubes_admit" if self.dialect == "sqlite" else ""
        sql = (f"SELECT pk FROM cubes{hint} WHERE {pk_test}"
               f" AND ((user_id = {mark} AND (visibility != {mark} OR agent_id IS NULL"
               f" OR agent_id = {mark})) OR visibility = {mark})"
               f" AND state IN ({marks}) AND (expires_at IS NULL OR expires_at > {mark})"
               f" AND tier IN ({tier_marks})")
        params = [*pk_params, scope.user_id, Visibility.PRIVATE.value, scope.agent_id,
                  Visibility.PUBLIC.value, *states, self.datetime_param(now), *tiers]
        return [int(r[0]) for r in driver_rows(session, sql, params)]

    def datetime_param(self, now: datetime) -> Any:
        """`now` as the driver receives a UtcDateTime parameter (SQLite: naive UTC text)."""
        proc = self._datetime_bind
        value = _UTC_TYPE.process_bind_param(now, self.engine.dialect)
        return proc(value) if proc is not None else value

    def index_heads(self, session: Session, index_name: str) -> tuple[int, int]:
        """(changelog head seq, seq the named SQL index records), in one statement on the
        session's own connection: search checks the indexes are current without a second
        connection."""
        row = driver_rows(session, self._heads_sql, (index_name,))[0]
        return int(row[0]), int(row[1] or 0)

    def heads_now(self, index_name: str) -> tuple[int, int]:
        """`index_heads` as of now, on a connection of its own: one statement, which on
        SQLite runs without a transaction around it (one statement reads one snapshot)."""
        self._open()
        with self.engine.connect() as conn:
            row = driver_rows(conn, self._heads_sql, (index_name,))[0]
        return int(row[0]), int(row[1] or 0)

    def index_seq(self, session: Session, name: str) -> int:
        """The changelog seq the named SQL index records (0 when it has none yet)."""
        rows = driver_rows(session, self._seq_sql, (name,))
        return int(rows[0][0] or 0) if rows else 0

    def quoting_rows(self, session: Session, scope: Scope, quoted: str,
                     exclude: str | None = None) -> list[CubeRow]:
        """Plaintext cubes `scope` may change (any state) whose metadata["context"] quotes
        `quoted`: neighbouring turns copied as searchable context (MemReader, LoCoMo)."""
        ctx = CubeRow.meta["context"].as_string()
        rows = session.execute(select(CubeRow).where(
            owned_clause(scope), CubeRow.tier == Tier.PLAINTEXT.value,
            ctx.contains(like_part(quoted), autoescape=True))).scalars()
        return [r for r in rows if r.id != exclude
                and quoted in str((r.meta or {}).get("context", ""))]

    def scrub_quotes(self, session: Session, scope: Scope, quoted: str,
                     exclude: str | None = None) -> list[str]:
        """Take `quoted` out of the metadata["context"] of every version snapshot of the
        cubes `scope` may change, and of the current row of those no longer live (a live one
        gets a new version through the SDK first: its indexes follow). The one edit of
        history, made only by purge (MemOS.purge): no version keeps an erased cube's words.
        Returns the ids of the cubes whose versions changed."""
        changed: set[str] = set()
        for row in self.quoting_rows(session, scope, quoted, exclude):
            if row.state != Lifecycle.ACTIVE.value:
                meta = dict(row.meta)
                meta["context"] = drop_quote(str(meta["context"]), quoted)
                session.execute(update(CubeRow).where(CubeRow.pk == row.pk).values(meta=meta))
                changed.add(row.id)
        owned = select(CubeRow.id).where(owned_clause(scope),
                                          CubeRow.tier == Tier.PLAINTEXT.value)
        versions = session.execute(select(CubeVersionRow).where(
            CubeVersionRow.cube_id.in_(owned),
            CubeVersionRow.snapshot.contains('"context"'))).scalars()
        for ver in versions:
            if ver.cube_id == exclude:
                continue
            snap = dict(ver.snapshot)
            meta = dict(snap.get("metadata") or {})
            if quoted not in str(meta.get("context", "")):
                continue
            meta["context"] = drop_quote(str(meta["context"]), quoted)
            snap["metadata"] = meta
            session.execute(update(CubeVersionRow).where(CubeVersionRow.pk == ver.pk)
                            .values(snapshot=json.dumps(snap, ensure_ascii=False)))
            changed.add(ver.cube_id)
        session.flush()
        return sorted(changed)

    def derived_rows(self, session: Session, cube_ids: Sequence[str],
                     stop: Collection[str] = ()) -> list[CubeRow]:
        """Cubes made from these cubes, transitively (cubes derived from cubes derived from
        them): what cross-tier forgetting and purge must also reach. One indexed query on
        `derivations` (by source) per generation, in chunks of ids. `stop`: cubes neither
        returned nor followed (facts `outliving` the sources: what is made from them only
        stays with them)."""
        sources = list(dict.fromkeys(cube_ids))
        if not sources:
            return []
        # Only the sources' own users: another user's cube cannot be made to follow ours.
        owners: set[str] = set()
        for start in range(0, len(sources), ID_CHUNK):
            owners.update(session.execute(select(CubeRow.user_id).where(
                CubeRow.id.in_(sources[start:start + ID_CHUNK]))).scalars())
        if not owners:
            return []
        d = DerivationRow
        stmt = (select(CubeRow.id).join(d, d.derived_pk == CubeRow.pk)
                .where(d.source_id.in_(bindparam("ids", expanding=True)),
                       CubeRow.user_id.in_(sorted(owners))).distinct())
        seen = set(sources)
        found: list[str] = []
        frontier = sources
        while frontier:
            nxt: list[str] = []
            for start in range(0, len(frontier), ID_CHUNK):
                chunk = frontier[start:start + ID_CHUNK]
                for cid in session.execute(stmt, {"ids": chunk}).scalars():
                    if cid not in seen and cid not in stop:
                        seen.add(cid)
                        nxt.append(cid)
            found += nxt
            frontier = nxt
        rows: list[CubeRow] = []
        for start in range(0, len(found), ID_CHUNK):
            rows += session.execute(select(CubeRow).where(
                CubeRow.id.in_(found[start:start + ID_CHUNK])).order_by(CubeRow.pk)).scalars()
        return rows

    def derived_outliving(self, session: Session, cube_ids: Sequence[str],
                          gone: Collection[str] = ()) -> tuple[list[CubeRow], set[str]]:
        """`derived_rows` of `cube_ids`, less the facts still stated by a turn that stays,
        and what is made only from those: (the rows a forget or purge of `cube_ids` reaches,
        the ids of the facts that outlive it). `gone`: other cubes going in the same
        operation (a purge's), which state nothing afterwards either."""
        rows = self.derived_rows(session, cube_ids)
        kept = self.outliving(session, rows, {*cube_ids, *gone, *(r.id for r in rows)})
        return (self.derived_rows(session, cube_ids, stop=kept) if kept else rows), kept

    def outliving(self, session: Session, rows: Sequence[CubeRow],
                  gone: Collection[str]) -> set[str]:
        """The ids of those of `rows` that are facts (or preferences) read from several
        turns, one of which is live and not in `gone` (MemReader keeps every turn that
        stated a fact among its episode sources and `derived_from`): forgetting or purging
        the other turns leaves it stated, so it stays. Not when a cube it was derived from
        that is not a turn stating it goes (the fact that gave it a name: docs/READER.md).
        A stating turn is one named both ways (`derived_from` names only cubes its writer
        may change; `sources` are the caller's words), of the fact's own user and agent (or
        agentless), active and not past its TTL: no other scope's cube, and nothing the
        caller could not read, keeps a fact, nor tells by keeping it that such a cube exists."""
        gone = set(gone)
        turns: dict[str, set[str]] = {}
        owners: dict[str, tuple[str, str | None]] = {}
        for row in rows:
            if row.tier != Tier.PLAINTEXT.value or row.kind not in ("fact", "preference"):
                continue
            said = cube_types.stating_turns(row.sources)
            made_from = {str(d.get("cube_id")) for d in row.derived_from or []
                         if isinstance(d, dict)}
            said &= made_from
            if (made_from & gone) <= said and said - gone:
                turns[row.id] = said - gone
                owners[row.id] = (row.user_id, row.agent_id)
        wanted = sorted(set().union(*turns.values())) if turns else []
        live: dict[str, tuple[str, str | None]] = {}
        now = utcnow()
        for start in range(0, len(wanted), ID_CHUNK):
            live.update((r.id, (r.user_id, r.agent_id)) for r in session.execute(
                select(CubeRow.id, CubeRow.user_id, CubeRow.agent_id).where(
                    CubeRow.id.in_(wanted[start:start + ID_CHUNK]),
                    CubeRow.state == Lifecycle.ACTIVE.value,
                    CubeRow.tier == Tier.PLAINTEXT.value, CubeRow.kind == "episode",
                    or_(CubeRow.expires_at.is_(None), CubeRow.expires_at > now))))

        def states(fact: str, turn: str) -> bool:
            user, agent = owners[fact]
            found = live.get(turn)
            return found is not None and found[0] == user and found[1] in (None, agent)

        return {cube_id for cube_id, said in turns.items()
                if any(states(cube_id, turn) for turn in said)}

    def unsource(self, session: Session, row: CubeRow, erased: Mapping[str, set[str]],
                 reason: str) -> int:
        """A fact that outlives the purge of turns it was read from (`outliving`): a new
        version without those turns among its sources and `derived_from`, and every earlier
        version's snapshot without them either (an edit of history made only by purge, as
        `scrub_quotes` makes one). `erased`: each erased turn's id -> the message refs
        ("<session>#<turn>") its own sources name; a message ref a turn that stays names
        too (a session ingested again from its start) stays."""
        kept_turns = sorted(cube_types.stating_turns(row.sources) - set(erased))
        kept_refs = {str(s.get("ref")) for sources in session.execute(
                         select(CubeRow.sources).where(CubeRow.id.in_(kept_turns))).scalars()
                     for s in sources or []
                     if isinstance(s, dict) and s.get("kind") == "message"}
        refs = (set().union(*erased.values()) if erased else set()) - kept_refs

        def keep_source(s: Any) -> bool:
            if not isinstance(s, dict):
                return True
            if s.get("kind") == "cube":
                return str(s.get("ref", "")).split("@")[0] not in erased
            return not (s.get("kind") == "message" and s.get("ref") in refs)

        def keep_pair(d: Any) -> bool:
            return not (isinstance(d, dict) and str(d.get("cube_id")) in erased)

        for ver in session.execute(select(CubeVersionRow).where(
                CubeVersionRow.cube_id == row.id)).scalars().all():
            snap = dict(ver.snapshot or {})
            sources = [s for s in snap.get("sources") or [] if keep_source(s)]
            pairs = [d for d in snap.get("derived_from") or [] if keep_pair(d)]
            if sources == (snap.get("sources") or []) and pairs == (snap.get("derived_from")
                                                                    or []):
                continue
            snap["sources"], snap["derived_from"] = sources, pairs
            session.execute(update(CubeVersionRow).where(CubeVersionRow.pk == ver.pk)
                            .values(snapshot=json.dumps(snap, ensure_ascii=False)))
        cube = cube_from_row(row)
        version = row.version + 1
        self.write_version(session, row, cube.model_copy(update={
            "version": version,
            "sources": [s for s in cube.sources if keep_source(s.model_dump(mode="json"))],
            "derived_from": [d for d in cube.derived_from
                             if keep_pair(d.model_dump(mode="json"))]}), "update", reason)
        return version

    def max_seq(self, session: Session) -> int:
        return session.execute(select(func.coalesce(func.max(ChangelogRow.seq), 0))).scalar_one()

    def changes_after(self, session: Session, seq: int, limit: int = 10_000) -> list[Any]:
        """Changelog rows after `seq` as light rows (seq, cube_pk, cube_id, op, edge_id)."""
        c = ChangelogRow
        return list(session.execute(
            select(c.seq, c.cube_pk, c.cube_id, c.op, c.edge_id).where(c.seq > seq)
            .order_by(c.seq).limit(limit)).all())

    def versions(self, session: Session, cube_id: str) -> list[CubeVersionRow]:
        return list(session.execute(
            select(CubeVersionRow).where(CubeVersionRow.cube_id == cube_id)
            .order_by(CubeVersionRow.version)).scalars())

    def index_meta(self, session: Session, name: str) -> IndexMetaRow | None:
        return session.get(IndexMetaRow, name)

    def set_index_meta(self, session: Session, name: str, seq: int,
                       embedder: str | None = None, dim: int | None = None) -> None:
        if embedder is None and session.identity_map.get(
                session.identity_key(IndexMetaRow, name)) is None:
            # The seq alone of a row this session holds no object of (each catch-up and
            # write): one UPDATE, without the ORM's load of the row first.
            table = IndexMetaRow.__table__
            if session.connection().execute(update(table).where(table.c.name == name).values(
                    seq=seq, updated_at=utcnow())).rowcount:
                return
        meta = session.get(IndexMetaRow, name)
        if meta is None:
            meta = IndexMetaRow(name=name, seq=seq)
            session.add(meta)
        meta.seq = seq
        meta.updated_at = utcnow()
        if embedder is not None:
            meta.embedder, meta.dim = embedder, dim
        session.flush()
