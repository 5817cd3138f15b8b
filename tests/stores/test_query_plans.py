"""SQLite keeps no statistics, so an index choice that looks equal to its planner can turn
a lookup into a scan of a user's whole store. These check the plans of the statements that
run on every write and every search (behaviour, not timings)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event


def _plans(mem: Any, action: Any) -> list[tuple[str, str]]:
    """(statement, its SQLite plan) of every SELECT on `cubes` that `action` runs."""
    engine = mem._store.repo.engine
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, params: Any, ctx: Any,
               many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT") and " cubes" in statement:
            seen.append((statement, params))

    event.listen(engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    out = []
    with engine.connect() as conn:
        for statement, params in seen:
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params or ()).all()
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
    assert plans
    for sql, plan in plans:
        assert "SCAN cubes" not in plan, (sql, plan)
