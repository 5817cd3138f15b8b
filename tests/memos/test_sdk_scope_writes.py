"""Write paths that touch cubes other than the one written must respect scope.

Dedup merges, automatic supersede and cross-tier forgetting all reach existing cubes; each
must stay inside what the writer owns and can see.
"""

from __future__ import annotations

import pytest

from memos import Lifecycle, Scope
from memos.errors import InvalidInputError, NotFoundError, ScopeError


def _stats(mem):
    s = mem.stats()
    return (s.cubes, s.versions, s.edges, s.changelog_seq)


def test_private_near_duplicate_never_merges_into_a_public_cube(mem):
    public = Scope(user_id="alice", visibility="public")
    pub = mem.add("Team offsite is in Lisbon on the fifth of May this year", public)
    priv = mem.add("Team offsite is in Lisbon on the fifth of May this year, my PIN is 4321",
                   "alice")
    assert priv.action == "added" and priv.id != pub.id
    seen_by_other = mem.get(pub.id, "mallory")
    assert all("4321" not in (s.text or "") for s in seen_by_other.sources)
    same_text = mem.add("Team offsite is in Lisbon on the fifth of May this year", "alice")
    assert same_text.id != pub.id  # exact duplicates too stay within one visibility


def test_automatic_supersede_stays_within_the_writers_agent(mem):
    b_scope = Scope(user_id="u", agent_id="b")
    old = mem.add("u lives in Oslo", b_scope, metadata={"subject": "u", "attribute": "city"})
    new = mem.add("u lives in Rome", Scope(user_id="u", agent_id="a"),
                  metadata={"subject": "u", "attribute": "city"})
    assert old.id not in new.superseded
    assert mem.get(old.id, b_scope).state == Lifecycle.ACTIVE
    mine = mem.add("u lives in Lima", b_scope, metadata={"subject": "u", "attribute": "city"})
    assert mine.superseded == [old.id]  # the owner's own newer fact still wins


def test_derived_from_must_name_a_cube_the_writer_owns(mem):
    alice = mem.add("Alice's notes on the quarterly plan", "alice")
    before = _stats(mem)
    # Alice's private cube and a missing id raise the same error (class and message).
    with pytest.raises(NotFoundError) as foreign:
        mem.add("bob's copy", "bob", tier="activation", kind="slots",
                derived_from=[{"cube_id": alice.id, "version": 1}], model_fingerprint="f")
    with pytest.raises(NotFoundError) as missing:
        mem.add("orphan", "bob", tier="activation", kind="slots",
                derived_from=[{"cube_id": "0" * 32, "version": 1}], model_fingerprint="f")
    assert str(foreign.value).replace(alice.id, "0" * 32) == str(missing.value)
    public = mem.add("Alice's public reading list", {"user_id": "alice", "visibility": "public"})
    before = _stats(mem)
    with pytest.raises(ScopeError) as readable:  # readable, not Bob's: no owner is named
        mem.add("bob's copy", "bob", tier="activation", kind="slots",
                derived_from=[{"cube_id": public.id, "version": 1}], model_fingerprint="f")
    assert "alice" not in str(readable.value)
    assert _stats(mem) == before
    mine = mem.add("alice's slots", "alice", tier="activation", kind="slots",
                   derived_from=[{"cube_id": alice.id, "version": 1}], model_fingerprint="f")
    bobs = mem.add("bob's own memory", "bob")
    report = mem.purge(alice.id, "alice", reason="test")
    assert mine.id in report.cube_ids
    assert mem.get(bobs.id, "bob").content == "bob's own memory"


def test_add_many_with_a_bad_field_late_in_the_list_writes_nothing(mem):
    before = _stats(mem)
    with pytest.raises(InvalidInputError, match="item 2"):
        mem.add_many(["one fact", "two fact", {"content": "three", "kind": "bogus"}], "u",
                     batch_size=2)
    assert _stats(mem) == before


def test_supersede_with_content_already_stored_supersedes_by_that_cube(mem):
    a = mem.add("The office is on floor 3", "u")
    b = mem.add("The office is on floor 5", "u")
    result = mem.supersede(a.id, "u", content="The office is on floor 5")
    assert result.id == b.id and a.id in result.superseded
    assert mem.get(a.id, "u").state == Lifecycle.SUPERSEDED
    before = _stats(mem)
    with pytest.raises(InvalidInputError, match="update"):
        mem.supersede(b.id, "u", content="The office is on floor 5")
    assert _stats(mem) == before  # refused before anything was written


@pytest.mark.parametrize(("old_vis", "new_vis", "agent", "supersedes"), [
    ("public", "private", None, False), ("public", "shared", None, False),
    ("private", "public", None, True), ("private", "shared", None, True),
    ("public", "public", None, True), ("private", "private", None, True),
    # the user's own private and shared cubes have the same readers (all the user's callers)
    ("shared", "private", None, True),
    # an agent's private cube is read by that agent only, its shared ones by all
    ("shared", "private", "a1", False), ("private", "shared", "a1", True),
    ("public", "private", "a1", False), ("private", "private", "a1", True)])
def test_automatic_supersede_never_ends_a_fact_read_more_widely(mem, old_vis, new_vis, agent,
                                                                supersedes):
    """An attacker helper (2026-12-05): Alice's private "city" fact superseded her public
    one, so Bob saw the public fact end, and when, for a reason he cannot read. A fact ends
    automatically only by one that every reader of it reads."""
    from datetime import UTC, datetime

    def fact(user: str, city: str, vis: str, year: int):
        return mem.add(f"{user}'s city is {city}.",
                       {"user_id": user, "agent_id": agent, "visibility": vis},
                       valid_from=datetime(year, 1, 1, tzinfo=UTC),
                       metadata={"subject": user, "attribute": "city", "value": city})

    old = fact("alice", "Lisbon", old_vis, 2020)
    new = fact("alice", "Porto", new_vis, 2024)
    alice = {"user_id": "alice", "agent_id": agent}
    assert (mem.get(old.id, alice).state == "superseded") is supersedes
    assert mem.get(new.id, alice).state == "active"
    # ... and a fact said to have begun before the live one is its past only when everyone
    # who reads it reads the live one
    live = fact("carol", "Braga", new_vis, 2025)
    past = fact("carol", "Faro", old_vis, 2010)
    carol = {"user_id": "carol", "agent_id": agent}
    assert (mem.get(past.id, carol).state == "superseded") is supersedes
    assert mem.get(live.id, carol).state == "active"
