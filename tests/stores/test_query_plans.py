"""SQLite keeps no statistics, so an index choice that looks equal to its planner can turn
a lookup into a scan of a user's whole store. These check the plans of the statements that
run on every write and every search (behaviour, not timings)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event


def _plans(mem: Any, action: Any) -> list[tuple[str, str]]:
    """(statement, its SQLite plan) of every SELECT on `cubes` that `action` runs, through
    SQLAlchemy or straight on the driver (stores.repository.driver_rows): SQLite's trace
    callback sees both, with the parameters written in."""
    engine = mem._store.repo.engine
    seen: list[str] = []

    def record(statement: str) -> None:
        if statement.lstrip().upper().startswith("SELECT") and " cubes" in statement:
            seen.append(statement)

    def trace(dbapi_conn: Any, *_: Any) -> None:
        dbapi_conn.set_trace_callback(record)

    def untrace(dbapi_conn: Any, *_: Any) -> None:
        dbapi_conn.set_trace_callback(None)

    event.listen(engine, "checkout", trace)
    event.listen(engine, "checkin", untrace)
    try:
        action()
    finally:
        event.remove(engine, "checkout", trace)
        event.remove(engine, "checkin", untrace)
    out = []
    with engine.connect() as conn:
        for statement in seen:
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement).all()
            out.append((statement, " | ".join(str(r[-1]) for r in rows)))
    return out


def test_exact_duplicate_lookup_uses_the_hash_index(tmp_path: Any) -> None:
    from memos import MemOS

    with MemOS.open(tmp_path / "s", embedder="hashing") as mem:
        # a few thousand rows: on a small table SQLite picks the hash index anyway
        mem.add_many([f"note number {i}" for i in range(3000)], scope="alice")
        plans = _plans(mem, lambda: mem.add("one more note", scope="alice"))
    dup = [plan for sql, plan in plans if "content_hash IN" in sql]
    assert dup, plans
    assert all("ix_cubes_user_hash" in plan for plan in dup), dup


def test_search_admission_and_rows_are_lookups_by_pk(tmp_path: Any) -> None:
    from memos import MemOS

    with MemOS.open(tmp_path / "s", embedder="hashing") as mem:
        mem.add_many([f"kite number {i} over the hill" for i in range(50)], scope="alice")
        plans = _plans(mem, lambda: mem.search("kite hill", scope="alice"))
    assert any("INDEXED BY ix_cubes_admit" in sql for sql, _ in plans), plans  # admission
    assert any(sql.startswith("SELECT") and "WHERE pk IN" in sql and "INDEXED" not in sql
               for sql, _ in plans), plans  # the winners' rows
    for sql, plan in plans:
        assert "SCAN cubes" not in plan, (sql, plan)


def test_driver_statements_raise_what_sqlalchemy_would(tmp_path: Any) -> None:
    """Statements run on the sqlite3 driver directly (driver_rows, the access-count flush,
    the key check) raise SQLAlchemy's DBAPIError family, as the SQLAlchemy path did: the
    server and the CLI turn an OperationalError ("database is locked", disk full) into their
    retry and store messages, not a 500."""
    import pytest
    from sqlalchemy.exc import OperationalError

    from memos import MemOS
    from memos.stores.repository import driver_rows

    with MemOS.open(tmp_path / "s", embedder="hashing") as mem:
        repo = mem._store.repo
        with repo.read() as session, pytest.raises(OperationalError, match="no such table"):
            driver_rows(session, "SELECT pk FROM no_such_table WHERE pk = ?", (1,))
        assert repo.upkeep_twin()._write_lock is not repo._write_lock
