"""Search admits candidates with a prepared statement (Repository.admit_default) instead of
the SQLAlchemy clauses it stands for. It must admit exactly what those clauses admit, for
every combination of owner, agent, visibility, state, expiry and tier: this is the scope
check of every search, so a difference would be a leak (or a lost memory)."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from memos import Scope
from memos.cube import Lifecycle, Tier, Visibility, utcnow
from memos.search import build_where
from memos.stores.schema import CubeRow

USERS = ("u1", "u2")
AGENTS = (None, "a1", "a2")
STATES = [s.value for s in Lifecycle]
TIERS = [t.value for t in Tier]


def _population(mem: Any) -> list[int]:
    """One cube per (user, agent, visibility, expiry); then states and tiers spread over
    them directly in SQL (test-only: the SDK reaches these states through its own calls)."""
    now = utcnow()
    expiries = (None, now - timedelta(days=1), now + timedelta(days=1))
    n = 0
    for user, agent, vis, expires in itertools.product(USERS, AGENTS, list(Visibility), expiries):
        scope = Scope(user_id=user, agent_id=agent, visibility=vis)
        mem.add(f"memory {n} of {user} {agent} {vis.value}", scope=scope,
                metadata={"n": n}, **({"expires_at": expires} if expires else {}))
        n += 1
    repo = mem._store.repo
    with repo.write() as session:
        pks = sorted(session.execute(select(CubeRow.pk)).scalars())
        for i, pk in enumerate(pks):
            session.execute(update(CubeRow).where(CubeRow.pk == pk).values(
                state=STATES[i % len(STATES)], tier=TIERS[(i // len(STATES)) % len(TIERS)]))
    return pks


def test_admit_default_matches_the_sqlalchemy_clauses(mem: Any) -> None:
    pks = _population(mem)
    assert len(pks) == 54
    repo = mem._store.repo
    now = utcnow()
    tier_sets = [["plaintext"], ["activation", "parametric"], TIERS]
    checked = 0
    with repo.read() as session:
        for user, agent, tiers, superseded in itertools.product(
                (*USERS, "u3"), AGENTS, tier_sets, (False, True)):
            scope = Scope(user_id=user, agent_id=agent)
            where = build_where(scope, now, repo.dialect, None, None, None, None, None, None,
                                tiers, superseded)
            expected = set(session.execute(
                select(CubeRow.pk).where(CubeRow.pk.in_(pks), where)).scalars())
            got = repo.admit_default(session, pks, scope, tiers, superseded, now)
            assert set(got) == expected, (user, agent, tiers, superseded)
            assert len(got) == len(set(got))
            checked += len(expected)
    assert checked > 50  # the population exercises admitted rows, not only refusals


def test_search_with_and_without_filters_agree_on_scope(mem: Any) -> None:
    """A filter that keeps everything sends search down the SQLAlchemy path: the hits must
    be those of the plain (prepared-statement) path."""
    for i in range(30):
        mem.add(f"the red kite number {i} circles the hill", scope="alice")
        mem.add(f"the red kite number {i} lands on the barn", scope="bob")
    mem.add("the red kite of everyone", scope=Scope(user_id="carol", visibility="public"))
    plain = mem.search("red kite", scope="alice", k=40)
    filtered = mem.search("red kite", scope="alice", k=40, since="2000-01-01")
    assert [h.cube.id for h in plain] == [h.cube.id for h in filtered]
    owners = {h.cube.scope.user_id for h in plain}
    assert owners == {"alice", "carol"}


def test_no_tier_admits_nothing_on_either_backend(mem: Any) -> None:
    mem.add("the red kite circles the hill", scope="alice")
    assert mem.search("red kite", scope="alice", tiers=[]) == []
    assert len(mem.search("red kite", scope="alice")) == 1


def test_rows_by_admitted_pks_match_the_sqlalchemy_rows(mem: Any) -> None:
    """SQLite reads search's rows on the driver with the columns' own result processors:
    every field must come back as SQLAlchemy gives it (datetimes, JSON, None)."""
    from sqlalchemy import true

    now = utcnow()
    first = mem.add("Ana: my parrot Kiwi turned ten", scope="u", kind="episode",
                    tags=["pets", "birthday"], metadata={"speaker": "Ana", "n": [1, 2.5]},
                    sources=[{"kind": "message", "ref": "m1", "role": "user", "at": now}],
                    valid_from=now - timedelta(days=3), expires_at=now + timedelta(days=9))
    mem.add("Ana's parrot is Kiwi.", scope="u", derived_from=[{"cube_id": first.id,
                                                                "version": 1}])
    mem.add("a plain memory", scope="u")
    mem.search("parrot", scope="u")  # records hits: last_access set on some rows
    mem.flush()
    repo = mem._store.repo
    with repo.read() as session:
        pks = sorted(session.execute(select(CubeRow.pk)).scalars())
        fast = repo.rows_by_admitted_pks(session, pks)
        slow = repo.rows_by_pks(session, pks, true())
    assert sorted(fast) == sorted(slow) == pks
    for pk in pks:
        assert fast[pk]._asdict() == dict(slow[pk]._mapping), pk
