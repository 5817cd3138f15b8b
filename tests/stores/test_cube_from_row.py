"""`cube_from_row` builds cubes from stored rows without validating them again (search
turns ten or more rows into cubes per call). The cube must equal the one full validation
gives, field by field and in type (enum members, aware datetimes, nested models), for rows
read every way the code reads them: ORM rows, Core rows, and search's driver rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, true

from memos.cube import AccessStats, MemCube, Scope, Visibility, utcnow
from memos.stores.repository import CUBE_COLUMNS, cube_from_row
from memos.stores.schema import CubeRow


def _validated(row: Any) -> MemCube:
    """The cube as MemCube's validation builds it from the row."""
    return MemCube(
        id=row.id, tier=row.tier, kind=row.kind, content=row.content,
        scope=Scope(user_id=row.user_id, agent_id=row.agent_id, session_id=row.session_id,
                    visibility=row.visibility),
        version=row.version, state=row.state, sources=row.sources or [],
        derived_from=row.derived_from or [], model_fingerprint=row.model_fingerprint,
        valid_from=row.valid_from, valid_to=row.valid_to, recorded_at=row.recorded_at,
        confidence=row.confidence, importance=row.importance, tags=row.tags or [],
        metadata=row.meta or {},
        access=AccessStats(hits=row.hits or 0, last_access=row.last_access),
        expires_at=row.expires_at, content_hash=row.content_hash)


def _same(fast: MemCube, slow: MemCube) -> None:
    assert fast == slow
    for name in MemCube.model_fields:
        a, b = getattr(fast, name), getattr(slow, name)
        assert type(a) is type(b), name
        assert a == b, name
    assert type(fast.scope.visibility) is Visibility
    for name in ("valid_from", "valid_to", "recorded_at", "expires_at"):
        value = getattr(fast, name)
        assert value is None or value.tzinfo is not None, name
    assert fast.model_dump(mode="json") == slow.model_dump(mode="json")
    assert fast.model_dump_json() == slow.model_dump_json()


def test_cube_from_row_equals_the_validated_cube(mem: Any) -> None:
    now = utcnow()
    first = mem.add("Ana: my parrot Kiwi turned ten", scope={"user_id": "u", "agent_id": "a1"},
                    kind="episode", tags=["pets", "birthday"], importance=0.9, confidence=0.25,
                    metadata={"speaker": "Ana", "n": [1, 2.5], "deep": {"x": None}},
                    sources=[{"kind": "message", "ref": "m1", "role": "user", "at": now},
                             {"kind": "document", "text": "excerpt"}],
                    valid_from=now - timedelta(days=3), expires_at=now + timedelta(days=9))
    mem.add("Ana's parrot is Kiwi.", scope={"user_id": "u", "agent_id": "a1",
                                            "session_id": "s1", "visibility": "shared"},
            derived_from=[{"cube_id": first.id, "version": 1}],
            valid_from=datetime(999, 1, 2, 3, 4, 5, tzinfo=UTC))
    mem.add("a plain memory at a whole second", scope="u",
            valid_from=datetime(2020, 5, 6, 7, 8, 9, tzinfo=UTC))
    mem.update(first.id, {"user_id": "u", "agent_id": "a1"},
               content="Ana: my parrot Kiwi turned eleven", tags=["pets"])
    mem.search("parrot", scope="u")  # records hits: hits and last_access set on some rows
    mem.flush()
    repo = mem._store.repo
    with repo.read() as session:
        orm = list(session.execute(select(CubeRow)).scalars())
        core = list(session.execute(select(*CUBE_COLUMNS)).all())
        pks = sorted(r.pk for r in orm)
        driver = repo.rows_by_admitted_pks(session, pks)
        by_pk = repo.rows_by_pks(session, pks, true())
    assert len(orm) == len(core) == len(driver) == 3
    assert any(r.sources for r in orm) and any(r.derived_from for r in orm)
    assert any(r.last_access is not None for r in orm)
    for rows in (orm, core, list(driver.values()), list(by_pk.values())):
        for row in rows:
            _same(cube_from_row(row), _validated(row))


def test_cube_from_row_gives_each_cube_its_own_lists(mem: Any) -> None:
    """Changing one cube's tags or metadata must not change the row or another cube."""
    mem.add("the kite is red", scope="u", tags=["a"], metadata={"k": "v"})
    repo = mem._store.repo
    with repo.read() as session:
        row = session.execute(select(CubeRow)).scalars().one()
        one, two = cube_from_row(row), cube_from_row(row)
        one.tags.append("b")
        one.metadata["k2"] = 1
        assert two.tags == ["a"] and two.metadata == {"k": "v"}
        assert row.tags == ["a"] and row.meta == {"k": "v"}


def test_sqlite_driver_converters_give_what_sqlalchemys_give() -> None:
    """The fast converters of driver rows (`driver_result_procs` on SQLite) against
    SQLAlchemy's own, value by value: what memos writes and whatever else a column holds."""
    from sqlalchemy import create_engine

    from memos.stores.repository import driver_result_procs

    dialect = create_engine("sqlite://").dialect
    table = CubeRow.__table__
    columns = [table.c.recorded_at, table.c.expires_at, table.c.tags, table.c.metadata]
    fast = dict(driver_result_procs(columns, dialect))
    slow = {i: c.type.dialect_impl(dialect).result_processor(dialect, None)
            for i, c in enumerate(columns)}
    assert set(fast) == set(slow) == {0, 1, 2, 3}
    times = [None, "2026-12-02 13:40:01.032973", "0999-01-02 03:04:05.000000",
             "2026-12-02 13:40:01", "2026-12-02", "2026-12-02T13:40:01.032973",
             "2026-12-02 13:40:01.5", "２０２６-12-02 13:40:01.032973"]
    for i in (0, 1):
        for value in times:
            try:
                want: Any = slow[i](value)
            except ValueError:
                want = ValueError
            try:
                got: Any = fast[i](value)
            except ValueError:
                got = ValueError
            assert got == want and type(got) is type(want), value
    for i in (2, 3):
        for value in (None, "[]", "{}", '["a", "b"]', '{"k": [1, {}]}', "[ ]", "5", "null"):
            got, want = fast[i](value), slow[i](value)
            assert got == want and type(got) is type(want), value
        one, two = fast[i]("[]"), fast[i]("[]")
        assert one is not two  # a fresh list each time: callers may change it
