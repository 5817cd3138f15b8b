"""The derivations table (derived cube <- source cube, version, model fingerprint) and
tier-aware indexing: activation and parametric cubes carry no text to index."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import func, select, text, update

from memos import Lifecycle, MemCube, Scope
from memos.cube import DerivedFrom
from memos.errors import NotFoundError
from memos.stores.repository import ID_CHUNK, cube_from_row
from memos.stores.schema import ChangelogRow, CubeRow, DerivationRow


def _derivations(mem) -> list[tuple[str, str, int, str | None]]:
    """(derived id, source id, source version, fingerprint) of every derivations row."""
    d = DerivationRow
    with mem._store.repo.read() as session:
        return sorted(session.execute(
            select(CubeRow.id, d.source_id, d.source_version, d.model_fingerprint)
            .join(CubeRow, CubeRow.pk == d.derived_pk)).all())


def _row_count(mem) -> int:
    with mem._store.repo.read() as session:
        return session.execute(select(func.count()).select_from(DerivationRow)).scalar_one()


def _chain(mem, user: str = "alice") -> tuple[str, str, str, str]:
    """base <- slots (activation) <- adapter (parametric), plus an unrelated cube."""
    base = mem.add("Alice's passport number is X123", user).id
    slots = mem.add("Alice's passport number is X123", user, tier="activation", kind="slots",
                    derived_from=[{"cube_id": base, "version": 1}],
                    model_fingerprint="fp-a").id
    adapter = mem.add("adapter of alice's facts", user, tier="parametric", kind="adapter",
                      derived_from=[{"cube_id": slots, "version": 1},
                                    {"cube_id": slots, "version": 1}],  # repeated: one row
                      model_fingerprint="fp-b").id
    other = mem.add("Alice likes tea", user).id
    return base, slots, adapter, other


def test_derived_cubes_write_one_row_per_source_version(mem):
    base, slots, adapter, _ = _chain(mem)
    assert _derivations(mem) == sorted([(slots, base, 1, "fp-a"), (adapter, slots, 1, "fp-b")])


def test_a_failed_write_leaves_no_derivation_rows(mem):
    base = mem.add("Bob's locker code is 4411", "bob").id
    with pytest.raises(NotFoundError):
        mem.add_many([
            {"content": "slots of the code", "tier": "activation", "kind": "slots",
             "derived_from": [{"cube_id": base, "version": 1}]},
            {"content": "slots of nothing", "tier": "activation", "kind": "slots",
             "derived_from": [{"cube_id": "0" * 32, "version": 1}]},
        ], "bob", batch_size=10)
    assert _derivations(mem) == [] and _row_count(mem) == 0


def test_derived_rows_are_transitive_and_read_the_table_not_the_json(mem):
    base, slots, adapter, other = _chain(mem)
    # Blank the JSON copy: the answer must come from the derivations table alone.
    with mem._store.repo.write() as session:
        session.execute(update(CubeRow).values(derived_from=[]))
    with mem._store.repo.read() as session:
        found = [r.id for r in mem._store.repo.derived_rows(session, [base])]
        assert found == [slots, adapter]
        assert [r.id for r in mem._store.repo.derived_rows(session, [slots])] == [adapter]
        assert mem._store.repo.derived_rows(session, [other, adapter]) == []
        assert mem._store.repo.derived_rows(session, []) == []


def test_derived_rows_follow_only_the_sources_owner(mem):
    base = mem.add("Carol's pin is 0000", "carol").id
    # Written below the write path's owner check (as an import may): dave's cube names carol's.
    daves = MemCube(content="dave's slots", scope=Scope(user_id="dave"), tier="activation",
                    derived_from=[{"cube_id": base, "version": 1}])
    with mem._store.repo.write() as session:
        mem._store.repo.insert_cubes(session, [daves])
    with mem._store.repo.read() as session:
        assert mem._store.repo.derived_rows(session, [base]) == []
        assert mem._store.repo.derived_rows(session, [daves.id]) == []


def test_forget_and_purge_use_the_table_and_purge_erases_its_rows(mem):
    base, slots, adapter, other = _chain(mem)
    mine = mem.add("slots of the tea", "alice", tier="activation", kind="slots",
                   derived_from=[{"cube_id": other, "version": 1}], model_fingerprint="fp-a").id
    mem.forget(base, "alice")
    for cid in (slots, adapter):
        with pytest.raises(NotFoundError):
            mem.get(cid, "alice")
    assert mem.get(mine, "alice").state == Lifecycle.ACTIVE
    assert len(_derivations(mem)) == 3  # forgetting keeps history; purge erases it
    report = mem.purge(base, "alice")
    assert set(report.cube_ids) == {base, slots, adapter}
    assert _derivations(mem) == [(mine, other, 1, "fp-a")] and _row_count(mem) == 1
    assert mem.check().ok


def test_purge_of_more_cubes_than_one_query_takes(mem):
    n = ID_CHUNK + 20
    bases = mem.add_many([f"fact number {i} about the garden" for i in range(n)], "erin")
    derived = mem.add_many([
        {"content": f"slots {i}", "tier": "activation", "kind": "slots", "model_fingerprint": "fp",
         "derived_from": [{"cube_id": r.id, "version": 1}]} for i, r in enumerate(bases)], "erin")
    with mem._store.repo.read() as session:
        found = mem._store.repo.derived_rows(session, [r.id for r in bases])
    assert {r.id for r in found} == {r.id for r in derived}
    report = mem.purge(None, "erin", all_of_user=True)
    assert report.cubes == 2 * n and _row_count(mem) == 0


def test_a_new_version_with_other_sources_replaces_the_rows(mem):
    base, slots, _, other = _chain(mem)
    repo = mem._store.repo
    with repo.write() as session:
        row = repo.row_by_id(session, slots)
        cube = cube_from_row(row).model_copy(update={
            "version": row.version + 1, "model_fingerprint": "fp-c",
            "derived_from": [DerivedFrom(cube_id=other, version=1)]})
        repo.write_version(session, row, cube, "update")
    assert [r for r in _derivations(mem) if r[0] == slots] == [(slots, other, 1, "fp-c")]
    with repo.read() as session:
        assert [r.id for r in repo.derived_rows(session, [base])] == []


def _make_old_store(mem) -> tuple[str, str, str, str]:
    """A store as an earlier release left it: no derivations table, and the text of
    activation/parametric cubes in the vector and full-text indexes."""
    ids = _chain(mem)
    store = mem._store
    with store.repo.read() as session:
        derived = [(r.pk, r.content) for r in session.execute(select(CubeRow).where(
            CubeRow.id.in_(ids[1:3]))).scalars()]
    with store.index_lock:
        store.vectors.add([pk for pk, _ in derived],
                          np.asarray(store.embedder.embed([c for _, c in derived]), np.float32))
        store.vectors.save()
    with store.repo.write() as session:
        store.fulltext.upsert(session, [(pk, c, "") for pk, c in derived])
    assert not mem.check().ok  # the old indexes hold what they should not
    with store.repo.write() as session:
        session.execute(text("DROP TABLE derivations"))
    return ids


def test_an_old_store_gets_the_table_filled_and_its_indexes_cleaned_on_open(open_store):
    mem = open_store()
    base, slots, adapter, _ = _make_old_store(mem)
    mem.close()
    mem = open_store()
    assert _derivations(mem) == sorted([(slots, base, 1, "fp-a"), (adapter, slots, 1, "fp-b")])
    report = mem.check()
    assert report.ok, report.problems
    with mem._store.repo.read() as session:
        assert session.execute(select(func.count()).where(
            ChangelogRow.op == "reindex")).scalar_one() == 2
    mem.forget(base, "alice")  # the back-filled rows drive cross-tier forgetting
    with pytest.raises(NotFoundError):
        mem.get(adapter, "alice")
    mem.close()
    mem = open_store()  # the migration runs once
    with mem._store.repo.read() as session:
        assert session.execute(select(func.count()).where(
            ChangelogRow.op == "reindex")).scalar_one() == 2


# -- indexing respects the tier ----------------------------------------------------------

def _indexed(mem) -> tuple[set[int], set[int], set[int]]:
    store = mem._store
    with store.repo.read() as session:
        fts = store.fulltext.all_pks(session)
        pks = dict(session.execute(select(CubeRow.id, CubeRow.pk)).all())
    return store.vectors.ids(), fts, pks


def test_activation_and_parametric_cubes_are_not_indexed(mem):
    base, slots, adapter, other = _chain(mem)
    vectors, fts, pk = _indexed(mem)
    assert vectors == fts == {pk[base], pk[other]}
    assert mem._store.sync.expected_pks() == {pk[base], pk[other]}
    assert mem.check().ok
    # a derived cube's text never reaches a retriever, whatever the tier asked for
    for tiers in (["activation"], ["parametric"], ["activation", "parametric"]):
        assert mem.search("passport adapter", "alice", k=5, tiers=tiers) == []
    mem.reindex()  # rebuilds agree with catch-up
    assert _indexed(mem)[:2] == (vectors, fts) and mem.check().ok
    store = mem._store
    with store.index_lock:
        store.sync.rebuild_vectors()
        store.sync.rebuild_fulltext()
    assert _indexed(mem)[:2] == (vectors, fts) and mem.check().ok
