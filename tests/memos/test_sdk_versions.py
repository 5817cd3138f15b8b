"""Versioning through the SDK: update, history, diff, rollback, supersede, forget, purge."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from memos import Lifecycle
from memos.errors import InvalidInputError, NotFoundError
from memos.stores.schema import AuditRow, ChangelogRow, CubeVersionRow, EdgeRow


def test_update_makes_new_immutable_version(mem):
    r = mem.add("Alice lives in Paris", "alice", tags=["home"])
    v2 = mem.update(r.id, "alice", content="Alice lives in Lyon")
    assert v2.version == 2
    history = mem.history(r.id, "alice")
    assert [c.version for c in history] == [1, 2]
    assert [c.content for c in history] == ["Alice lives in Paris", "Alice lives in Lyon"]
    assert mem.get(r.id, "alice").content == "Alice lives in Lyon"
    assert mem.get(r.id, "alice", version=1).content == "Alice lives in Paris"
    with pytest.raises(InvalidInputError):
        mem.update(r.id, "alice", content="Alice lives in Lyon")  # no change
    with pytest.raises(NotFoundError):
        mem.get(r.id, "alice", version=7)


def test_diff_reports_changed_fields_and_content(mem):
    r = mem.add("The meeting is on Monday", "alice", importance=0.2)
    mem.update(r.id, "alice", content="The meeting is on Tuesday", importance=0.9)
    d = mem.diff(r.id, "alice")
    assert (d.from_version, d.to_version) == (1, 2)
    assert d.changes["importance"] == (0.2, 0.9)
    assert "content" in d.changes and "content_hash" in d.changes
    assert "-The meeting is on Monday" in d.content_diff
    assert "+The meeting is on Tuesday" in d.content_diff
    assert "version" not in d.changes


def test_rollback_restores_old_fields_as_a_new_version(mem):
    r = mem.add("Bob likes jazz", "bob", tags=["music"])
    mem.update(r.id, "bob", content="Bob likes metal", tags=["loud"])
    back = mem.rollback(r.id, "bob", 1)
    assert back.version == 3
    assert back.content == "Bob likes jazz" and back.tags == ["music"]
    assert [c.content for c in mem.history(r.id, "bob")] == [
        "Bob likes jazz", "Bob likes metal", "Bob likes jazz"]
    hits = mem.search("jazz", "bob", k=3, retrievers=["fulltext"])
    assert [h.id for h in hits] == [r.id]
    assert mem.search("metal", "bob", k=3, retrievers=["fulltext"]) == []
    with pytest.raises(NotFoundError):
        mem.rollback(r.id, "bob", 9)


def test_supersede_with_content_sets_valid_to_and_links(mem):
    old = mem.add("Alice drinks green tea", "alice")
    new = mem.supersede(old.id, "alice", content="Alice drinks black coffee now")
    assert new.superseded == [old.id]
    prev = mem.get(old.id, "alice")
    assert prev.state == Lifecycle.SUPERSEDED and prev.valid_to is not None
    assert prev.version == 2
    found = [h.id for h in mem.search("Alice drinks", "alice", k=5)]
    assert new.id in found and old.id not in found
    with_old = [h.id for h in mem.search("green tea", "alice", k=5, include_superseded=True)]
    assert old.id in with_old
    rels = [(n.cube.id, n.relation, n.direction) for n in mem.neighbors(new.id, "alice")]
    assert (old.id, "supersedes", "out") in rels


def test_conflict_policy_supersedes_same_subject_attribute(mem):
    a = mem.add("Alice's favourite drink is tea", "alice",
                metadata={"subject": "Alice", "attribute": "favourite drink"})
    b = mem.add("Alice's favourite drink is coffee", "alice",
                metadata={"subject": "alice", "attribute": "Favourite Drink"})
    assert b.superseded == [a.id]
    assert mem.get(a.id, "alice").state == Lifecycle.SUPERSEDED
    other = mem.add("Bob's favourite drink is tea", "bob",
                    metadata={"subject": "Alice", "attribute": "favourite drink"})
    assert other.superseded == []  # another user's facts are never touched


def test_supersede_by_existing_cube(mem):
    a = mem.add("The office is in Berlin", "u")
    b = mem.add("The office moved to Munich", "u")
    res = mem.supersede(a.id, "u", by=b.id)
    assert res.id == b.id and res.superseded == [a.id]
    assert mem.get(a.id, "u").state == Lifecycle.SUPERSEDED
    with pytest.raises(InvalidInputError):
        mem.supersede(a.id, "u")


def test_forget_leaves_reads_but_keeps_history(mem, tmp_path):
    r = mem.add("My bank PIN is 4321", "alice")
    keep = mem.add("Alice likes hiking", "alice")
    mem.link(keep.id, r.id, "alice")
    forgotten = mem.forget(r.id, "alice", reason="user asked")
    assert forgotten.state == Lifecycle.FORGOTTEN and forgotten.version == 2
    with pytest.raises(NotFoundError):
        mem.get(r.id, "alice")
    assert all(h.id != r.id for h in mem.search("bank PIN 4321", "alice", k=10))
    assert all(n.cube.id != r.id for n in mem.neighbors(keep.id, "alice"))
    out = tmp_path / "export.jsonl"
    mem.export("alice", out)
    # (the text, not its four digits alone: the export's timestamp may hold "4321")
    assert "PIN is 4321" not in out.read_text()
    assert [c.state for c in mem.history(r.id, "alice")] == [Lifecycle.ACTIVE, Lifecycle.FORGOTTEN]
    with mem._store.repo.read() as s:
        audit = s.execute(select(AuditRow).where(AuditRow.action == "forget")).scalar_one()
        assert (audit.target, audit.reason) == (r.id, "user asked")
    assert mem.check().ok


def test_purge_one_cube_erases_everything_and_audits(mem):
    r = mem.add("secret: the launch code is 0000", "alice", sources=[{"ref": "msg-1"}])
    other = mem.add("Alice likes tea", "alice")
    mem.link(other.id, r.id, "alice")
    mem.update(r.id, "alice", content="secret: the launch code is 1111")
    report = mem.purge(r.id, "alice", reason="GDPR request")
    assert report.cube_ids == [r.id] and report.cubes == 1
    assert report.versions == 2 and report.edges == 1 and report.sources == 1
    assert report.changelog_rows >= 2
    with pytest.raises(NotFoundError):
        mem.get(r.id, "alice")
    with pytest.raises(NotFoundError):
        mem.history(r.id, "alice")
    with mem._store.repo.read() as s:
        assert s.execute(select(func.count()).select_from(CubeVersionRow)
                         .where(CubeVersionRow.cube_id == r.id)).scalar_one() == 0
        assert s.execute(select(func.count()).select_from(EdgeRow)).scalar_one() == 0
        assert s.execute(select(func.count()).select_from(ChangelogRow)
                         .where(ChangelogRow.cube_id == r.id)).scalar_one() == 0
        audit = s.get(AuditRow, report.audit_id)
        assert audit.action == "purge" and audit.reason == "GDPR request"
        assert audit.details["cube_ids"] == [r.id]
    assert mem.search("launch code", "alice", k=5, retrievers=["fulltext"]) == []
    assert mem.get(other.id, "alice").content == "Alice likes tea"
    assert mem.check().ok


def test_purge_whole_user(mem):
    mem.add_many(["a one", "a two", "a three"], "alice")
    kept = mem.add("b one", "bob")
    report = mem.purge(None, "alice", all_of_user=True)
    assert report.cubes == 3 and report.versions == 3
    assert mem.stats("alice").cubes == 0
    assert mem.stats("bob").cubes == 1 and mem.get(kept.id, "bob")
    with pytest.raises(InvalidInputError):
        mem.purge(None, "alice")
    assert mem.check().ok


@pytest.mark.parametrize("whole_user", [False, True], ids=["one-cube", "whole-user"])
def test_purge_reports_only_the_purgers_links(mem, whole_user):
    """Another user's private link to a public cube is erased with it, but not counted in
    the purger's report: the count would tell her that (and how often) others linked it."""
    counts = []
    for bob_links in (False, True):
        public = mem.add(f"Alice's public lentil soup recipe {bob_links}",
                         {"user_id": "alice", "visibility": "public"})
        mine = mem.add(f"Alice's own note {bob_links}", "alice")
        mem.link(mine.id, public.id, "alice")
        if bob_links:
            bobs = mem.add("Bob's private note", "bob")
            mem.link(bobs.id, public.id, "bob", relation="cites")
        report = (mem.purge(None, "alice", all_of_user=True) if whole_user
                  else mem.purge(public.id, "alice"))
        counts.append(report.edges)
        if bob_links:
            assert mem.neighbors(bobs.id, "bob") == []  # his link went with the cube
    assert counts == [1, 1]
    assert mem.check().ok


def test_conflict_inside_one_batch_keeps_the_later_fact(mem):
    key = {"subject": "bob", "attribute": "city"}
    rs = mem.add_many([{"content": "Bob lives in Oslo", "metadata": key},
                       {"content": "Bob lives in Bergen", "metadata": key}], "bob")
    assert rs[1].superseded == [rs[0].id] and rs[0].superseded == []
    assert mem.get(rs[0].id, "bob").state == Lifecycle.SUPERSEDED
    assert mem.get(rs[1].id, "bob").state == Lifecycle.ACTIVE


def test_a_conflicting_fact_that_began_earlier_is_the_live_ones_past(mem) -> None:
    """Later facts win by when they held, not by when they were written: a fact dated
    before the live one is stored superseded by it, ending when the live one began."""
    key = {"subject": "alice", "attribute": "employer"}
    y2023, y2018 = datetime(2023, 1, 1, tzinfo=UTC), datetime(2018, 1, 1, tzinfo=UTC)
    globex = mem.add("Alice works at Globex", "alice", metadata=key, valid_from=y2023)
    acme = mem.add("Alice works at Acme", "alice", metadata=key, valid_from=y2018)
    assert acme.superseded == [] and acme.cube.state == Lifecycle.SUPERSEDED
    assert mem.get(globex.id, "alice").state == Lifecycle.ACTIVE
    past = mem.get(acme.id, "alice")
    assert past.state == Lifecycle.SUPERSEDED and past.valid_to == y2023
    assert [n.cube.id for n in mem.neighbors(globex.id, "alice", relation="supersedes")] == [
        acme.id]
    # in one batch too, and named in `supersedes` it is replaced whatever its dates
    rs = mem.add_many([{"content": "Bob lives in Bergen", "valid_from": y2023,
                        "metadata": {"subject": "bob", "attribute": "city"}},
                       {"content": "Bob lives in Oslo", "valid_from": y2018,
                        "metadata": {"subject": "bob", "attribute": "city"}}], "bob")
    assert mem.get(rs[0].id, "bob").state == Lifecycle.ACTIVE
    assert mem.get(rs[1].id, "bob").state == Lifecycle.SUPERSEDED
    named = mem.add("Alice works at Initech", "alice", metadata=key, valid_from=y2018,
                    supersedes=[globex.id])
    assert named.superseded == [globex.id]
    assert mem.get(named.id, "alice").state == Lifecycle.ACTIVE


def test_forget_and_purge_reach_derived_cubes(mem):
    base = mem.add("Alice's passport number is X123", "alice")
    slots = mem.add("Alice's passport number is X123", "alice", tier="activation", kind="slots",
                    derived_from=[{"cube_id": base.id, "version": 1}], model_fingerprint="fp")
    adapter = mem.add("adapter trained on alice's facts", "alice", tier="parametric",
                      kind="adapter", derived_from=[{"cube_id": slots.id, "version": 1}])
    other = mem.add("Alice likes tea", "alice")
    mem.forget(base.id, "alice")
    for cid in (slots.id, adapter.id):  # transitively
        with pytest.raises(NotFoundError):
            mem.get(cid, "alice")
    assert mem.get(other.id, "alice").state == Lifecycle.ACTIVE
    mem.rollback(base.id, "alice", 1)
    again = mem.add("slots again", "alice", tier="activation", kind="slots",
                    derived_from=[{"cube_id": base.id, "version": 2}])
    report = mem.purge(base.id, "alice")
    assert set(report.cube_ids) == {base.id, slots.id, adapter.id, again.id}
    assert mem.get(other.id, "alice").content == "Alice likes tea" and mem.check().ok


def test_a_forgotten_cube_is_not_written_to_until_it_is_rolled_back(mem) -> None:
    """Review: update() of a forgotten cube wrote new words into a version still marked
    forgotten; supersede() of it (or add(supersedes=[it])) turned it from forgotten into
    superseded, which searches with include_superseded return; every repeated forget() wrote
    one more version. Now the writes are a ConflictError that names rollback, and forget is
    idempotent."""
    from memos.errors import ConflictError

    cube = mem.add("Alice's locker code is 7731", "alice")
    other = mem.add("Alice's bike is blue", "alice")
    mem.forget(cube.id, "alice")
    before = [(c.version, c.state, c.content) for c in mem.history(cube.id, "alice")]
    for write in (lambda: mem.update(cube.id, "alice", content="Alice's locker code is 1"),
                  lambda: mem.update(cube.id, "alice", importance=0.9),
                  lambda: mem.supersede(cube.id, "alice", content="Alice has no locker"),
                  lambda: mem.supersede(cube.id, "alice", by=other.id),
                  lambda: mem.supersede(other.id, "alice", by=cube.id),
                  lambda: mem.add("Alice's new locker code is 2", "alice",
                                  supersedes=[cube.id])):
        with pytest.raises(ConflictError, match="rollback"):
            write()
    again = mem.forget(cube.id, "alice")
    assert again.version == 2 and again.state == Lifecycle.FORGOTTEN
    assert [(c.version, c.state, c.content) for c in mem.history(cube.id, "alice")] == before
    assert mem.search("locker code", "alice", include_superseded=True) == []
    assert mem.get(other.id, "alice").state == Lifecycle.ACTIVE
    # Rolled back, it is the owner's to change again.
    mem.rollback(cube.id, "alice", 1)
    assert mem.update(cube.id, "alice", content="Alice's locker code is 1").version == 4


def test_a_validity_interval_never_ends_before_it_starts(mem) -> None:
    """update() refuses valid_from later than valid_to, as given or against the stored other
    end (a time without a zone read as UTC); nothing is written. Superseding a fact set to
    begin in the future ends it where it begins (an empty interval), not before."""
    from datetime import UTC, datetime, timedelta

    start = datetime(2026, 6, 1, tzinfo=UTC)
    r = mem.add("The lease runs from June", "alice", valid_from=start)
    for changes in ({"valid_from": start, "valid_to": start - timedelta(seconds=1)},
                    {"valid_to": start - timedelta(days=1)},
                    {"valid_to": datetime(2026, 5, 31, 23, 0)},  # naive: UTC
                    {"valid_to": datetime(2026, 6, 1, 1, 0, tzinfo=timezone_of(2))}):
        with pytest.raises(InvalidInputError, match="valid_from .* is after valid_to"):
            mem.update(r.id, "alice", **changes)
    assert [c.version for c in mem.history(r.id, "alice")] == [1]
    assert mem.update(r.id, "alice", valid_to=start).valid_to == start  # an instant holds
    with pytest.raises(InvalidInputError, match="after valid_to"):
        mem.update(r.id, "alice", valid_from=start + timedelta(microseconds=1))

    future = datetime.now(UTC) + timedelta(days=30)
    plan = mem.add("The office move is set for next month", "alice", valid_from=future)
    mem.supersede(plan.id, "alice", content="The office move is cancelled")
    old = mem.get(plan.id, "alice")
    assert old.state == Lifecycle.SUPERSEDED and old.valid_to == old.valid_from


def timezone_of(hours: int):
    from datetime import timedelta, timezone

    return timezone(timedelta(hours=hours))
