"""Write path and read path of the SDK: dedup, scope rules, TTL, filters, bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from memos import Lifecycle, Scope
from memos.errors import InvalidInputError, NotFoundError, ScopeError
from memos.parts import not_found


def _snapshot(mem):
    s = mem.stats()
    return (s.cubes, s.versions, s.edges, s.changelog_seq, s.vectors)


def test_exact_duplicate_bumps_instead_of_adding(mem):
    a = mem.add("Alice prefers green tea", "alice", sources=[{"ref": "m1"}])
    b = mem.add("  Alice prefers   green tea ", "alice", sources=[{"ref": "m2"}])
    assert b.action == "duplicate" and b.id == a.id
    cube = mem.get(a.id, "alice")
    assert [s.ref for s in cube.sources if s.kind != "merge"] == ["m1", "m2"]  # provenance
    # the duplicate's own spelling is kept (forget and purge find its copies by it)
    assert [s.text for s in cube.sources if s.kind == "merge"] == ["  Alice prefers   green tea "]
    assert cube.access.hits >= 1 and cube.version == 2
    c = mem.add("Alice prefers green tea", "alice")
    assert c.action == "duplicate" and c.version == 2  # nothing new to record: no version
    assert mem.stats("alice").cubes == 1
    other = mem.add("Alice prefers green tea", "bob")  # another scope: its own cube
    assert other.action == "added" and other.id != a.id


def test_near_duplicate_merges_with_provenance(mem):
    a = mem.add("Caroline went to the LGBTQ support group on Tuesday", "c", tags=["group"])
    b = mem.add("Caroline went to the LGBTQ support group on Tuesday!!", "c", tags=["tuesday"],
                importance=0.9)
    assert b.action == "duplicate" or b.action == "merged"
    d = mem.add("caroline went to the lgbtq support group on tuesday.", "c")
    assert d.id == a.id
    far = mem.add("Melanie painted a sunrise over the lake", "c")
    assert far.action == "added"
    # the same text twice in one batch, and a near copy, collapse too
    rs = mem.add_many(["Jon opened a dance studio", "Jon opened a dance studio",
                       "Jon opened a dance studio."], "c")
    assert [r.action for r in rs][0] == "added" and len({r.id for r in rs}) == 1
    assert mem.stats("c").cubes == 3


def test_near_duplicate_merge_keeps_both_texts(open_store):
    mem = open_store(config=None)
    mem.config = mem.config.model_copy(update={"dedup_threshold": 0.8})
    a = mem.add("Bob adopted a small brown dog named Rex", "bob", tags=["pets"])
    b = mem.add("Bob adopted a small brown dog called Rex", "bob", tags=["dog"])
    assert b.action == "merged" and b.id == a.id and b.version == 2
    cube = mem.get(a.id, "bob")
    assert cube.content == "Bob adopted a small brown dog named Rex"
    assert cube.tags == ["pets", "dog"]
    assert any(s.kind == "merge" and "called Rex" in (s.text or "") for s in cube.sources)


def test_scope_is_enforced_on_every_method(mem, tmp_path):
    a = mem.add("Alice's private diary", "alice")
    public = mem.add("The sky is blue", Scope(user_id="alice", visibility="public"))
    b = mem.add("Bob's note", "bob")
    for call in (lambda: mem.get(a.id, "bob"), lambda: mem.history(a.id, "bob"),
                 lambda: mem.diff(a.id, "bob"), lambda: mem.neighbors(a.id, "bob"),
                 lambda: mem.update(a.id, "bob", content="hacked"),
                 lambda: mem.forget(a.id, "bob"), lambda: mem.rollback(a.id, "bob", 1),
                 lambda: mem.supersede(a.id, "bob", content="x"),
                 lambda: mem.link(b.id, a.id, "bob"), lambda: mem.purge(a.id, "bob"),
                 ):
        # Another user's private cube is indistinguishable from a missing one.
        with pytest.raises(NotFoundError) as err:
            call()
        assert str(err.value) == str(not_found(a.id))
    with pytest.raises(ScopeError):  # readable (public) but not Bob's to change
        mem.update(public.id, "bob", content="mine now")
    assert mem.get(public.id, "bob").content == "The sky is blue"  # public reads are fine
    assert all(h.id != a.id for h in mem.search("diary", "bob", k=10))
    assert "diary" in mem.search("diary", "alice", k=1)[0].content
    with pytest.raises(NotFoundError):
        mem.get("no-such-id", "alice")
    with pytest.raises(InvalidInputError):
        mem.search("anything", None)
    out = tmp_path / "bob.jsonl"
    assert mem.export("bob", out).cubes == 1 and "diary" not in out.read_text()
    assert mem.get(a.id, "alice").version == 1  # nothing above changed it


def test_visibility_private_shared_agent(mem):
    agent_a = Scope(user_id="u", agent_id="a")
    private = mem.add("planner scratch notes", agent_a)
    shared = mem.add("user's shared calendar", Scope(user_id="u", agent_id="a", visibility="shared"))
    agent_b = Scope(user_id="u", agent_id="b")
    with pytest.raises(NotFoundError):
        mem.get(private.id, agent_b)
    with pytest.raises(NotFoundError):
        mem.get(private.id, "u")  # the cube has an agent id: only that agent reads it
    assert mem.get(private.id, agent_a).content == "planner scratch notes"
    assert mem.get(shared.id, agent_b).content == "user's shared calendar"
    assert mem.get(shared.id, "u").id == shared.id
    with pytest.raises(ScopeError):
        mem.forget(shared.id, agent_b)  # readable, but only agent a may change it
    ids = {h.id for h in mem.search("notes calendar", agent_b, k=10)}
    assert shared.id in ids and private.id not in ids


def test_ttl_expiry_and_gc(mem):
    soon = mem.add("temporary code 5521", "u", ttl=timedelta(hours=1))
    keep = mem.add("permanent fact about 5521", "u")
    past = datetime.now(UTC) - timedelta(seconds=1)
    gone = mem.add("expired note 5521", "u", expires_at=past)
    assert mem.get(soon.id, "u").expires_at is not None
    with pytest.raises(NotFoundError):
        mem.get(gone.id, "u")
    with pytest.raises(NotFoundError):  # old versions of an expired cube are off the read path too
        mem.get(gone.id, "u", version=1)
    assert {h.id for h in mem.search("5521", "u", k=10)} == {soon.id, keep.id}
    report = mem.gc()
    assert report.archived == [gone.id]
    assert mem.history(gone.id, "u")[-1].state == Lifecycle.ARCHIVED
    later = mem.gc(now=datetime.now(UTC) + timedelta(hours=2))
    assert later.archived == [soon.id]
    assert [h.id for h in mem.search("5521", "u", k=10)] == [keep.id]
    with pytest.raises(InvalidInputError):
        mem.add("bad ttl", "u", ttl=-5)


def test_search_filters_and_retrievers(mem):
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    mem.add("Alice flew to Paris for work", "u", kind="event", tags=["travel"],
            metadata={"city": "Paris", "n": 3, "ok": True}, valid_from=t0)
    mem.add("Alice loves Paris in spring", "u", kind="preference", tags=["likes"],
            metadata={"city": "Paris", "n": 4})
    mem.add("Alice flew to Rome for a wedding", "u", kind="event", tags=["travel", "family"],
            metadata={"city": "Rome", "n": 3}, valid_from=t0 + timedelta(days=40))
    q = "Alice Paris Rome flew"
    assert {h.cube.kind.value for h in mem.search(q, "u", kind="event")} == {"event"}
    assert {h.cube.metadata["city"] for h in mem.search(q, "u", metadata={"city": "Rome"})} == {"Rome"}
    assert len(mem.search(q, "u", metadata={"n": 3})) == 2
    assert len(mem.search(q, "u", metadata={"ok": True})) == 1
    assert len(mem.search(q, "u", tags=["family", "likes"])) == 2
    f = {"or": [{"tag": "likes"}, {"and": [{"kind": "event"}, {"meta": {"city": "Rome"}}]}]}
    assert {h.cube.metadata["city"] for h in mem.search(q, "u", filters=f)} == {"Paris", "Rome"}
    assert len(mem.search(q, "u", filters={"not": {"tag": "travel"}})) == 1
    assert len(mem.search(q, "u", filters={"valid_before": "2026-01-15T00:00:00"})) == 1
    assert len(mem.search(q, "u", filters={"tags_all": ["travel", "family"]})) == 1
    assert mem.search(q, "u", until=datetime(2000, 1, 1, tzinfo=UTC)) == []
    hit = mem.search("Rome wedding", "u", k=1)[0]
    assert "Rome" in hit.content and hit.score > 0 and hit.retrievers
    assert set(hit.retrievers) <= {"dense", "fulltext", "graph"}
    assert mem.search("Rome wedding", "u", k=1, retrievers=["fulltext"])[0].retrievers == ["fulltext"]
    for bad in ({"colour": "red"}, {"meta": {"a": [{"x": 1}]}}, {"or": "x"},
                {"recorded_after": "yesterday"}):
        with pytest.raises(InvalidInputError):
            mem.search(q, "u", filters=bad)
    with pytest.raises(InvalidInputError):
        mem.search(q, "u", kind="nonsense")


def test_fulltext_query_is_escaped(mem):
    mem.add('He said "hello" AND NOT goodbye (maybe) col:value * NEAR', "u")
    for query in ['"hello', "AND OR NOT", "col:value", "*", "NEAR(a b)", "'; DROP TABLE cubes; --",
                  "(((", "hello^2"]:
        mem.search(query, "u", k=3)  # must not raise a syntax error
    assert mem.search("hello", "u", k=1, retrievers=["fulltext"])


def test_graph_links_entities_and_expansion(mem):
    a = mem.add("Caroline is researching adoption agencies", "u", entities=["Caroline"])
    b = mem.add("She wants to give a loving home to kids", "u", entities=["caroline "])
    c = mem.add("Melanie ran a charity race", "u")
    e = mem.link(c.id, a.id, "u", relation="related")
    assert e.src == c.id and e.dst == a.id
    names = {n.cube.id for n in mem.neighbors(a.id, "u")}
    assert names == {b.id, c.id}
    assert {n.cube.id for n in mem.neighbors(c.id, "u", depth=2)} == {a.id, b.id}
    hits = mem.search("adoption agencies research", "u", k=3)
    graph_found = [h for h in hits if "graph" in h.retrievers]
    assert any(h.id == b.id for h in graph_found)
    assert mem.link(a.id, "entity:Adoption", "u").dst == "entity:adoption"


def test_bad_input_leaves_store_unchanged(mem):
    mem.add("a first memory", "u")
    before = _snapshot(mem)
    bad_calls = [
        lambda: mem.add("", "u"), lambda: mem.add("   \n\t", "u"),
        lambda: mem.add("x" * 1_000_001, "u"), lambda: mem.add(b"\xff\xfe bad", "u"),
        lambda: mem.add(b"y" * 10_000_000, "u"),
        lambda: mem.add("fine text", "u", embedding=np.ones(7)),
        lambda: mem.add("fine text", "u", kind="nonsense"),
        lambda: mem.add("fine text", "u", importance=3.0),
        lambda: mem.add("fine text", "u", colour="red"),
        lambda: mem.add("fine text", {"user_id": ""}),
        lambda: mem.add_many(["ok one", "ok two", "", "ok three"], "u"),
        lambda: mem.add_many([{"content": "ok", "kind": "bogus"}], "u"),
        lambda: mem.update("missing", "u", content="x"),
        lambda: mem.search("", "u"), lambda: mem.search("x", "u", k=0),
    ]
    for call in bad_calls:
        with pytest.raises((InvalidInputError, NotFoundError)):
            call()
    assert _snapshot(mem) == before
    assert mem.add(b"caf\xc3\xa9 bytes", "u").cube.content == "café bytes"


def test_add_many_batches_and_reports_progress(mem):
    seen = []
    items = [f"memory number {i} about topic {i % 7}" for i in range(23)]
    items.append({"content": "a dict item", "kind": "event", "tags": ["x"]})
    rs = mem.add_many(items, "u", batch_size=10, progress=lambda d, t: seen.append((d, t)))
    assert len(rs) == 24 and all(r.action == "added" for r in rs)
    assert seen == [(10, 24), (20, 24), (24, 24)]
    assert mem.get(rs[-1].id, "u").kind.value == "event"
    assert mem.stats("u").live == 24


def test_fulltext_finds_a_small_scope_among_many_and_prunes_frequent_terms(mem):
    mem.add_many([f"apple harvest report number {i}" for i in range(120)], "big")
    small = mem.add("the apple pie recipe from grandma", "small")
    hits = mem.search("apple", "small", k=5, retrievers=["fulltext"])
    assert [h.id for h in hits] == [small.id]  # found although 120 other rows match first
    mem.config.retrieval.fulltext_max_postings = 10
    rare = mem.add("an apple orchard near the zeppelin field", "big")
    top = mem.search("apple zeppelin", "big", k=3, retrievers=["fulltext"])
    assert [h.id for h in top] == [rare.id]  # "apple" (121 rows) dropped, the rare term kept


def test_dense_search_in_a_small_scope_is_exact(mem):
    mem.add_many([f"harvest report of apples and pears, field {i}" for i in range(120)], "big")
    mine = mem.add("apples and pears harvest in my garden", "small")
    other = mem.add("a recipe for lemon cake", "small")
    hits = mem.search("harvest report of apples and pears", "small", k=5, retrievers=["dense"])
    assert [h.id for h in hits][:1] == [mine.id]
    assert {h.id for h in hits} <= {mine.id, other.id}


def test_derived_cubes_record_their_source_and_do_not_dedup_across_tiers(mem):
    base = mem.add("Alice prefers green tea", "u")
    slots = mem.add("Alice prefers green tea", "u", tier="activation", kind="slots",
                    derived_from=[{"cube_id": base.id, "version": 1}], model_fingerprint="fp-1")
    assert slots.action == "added" and slots.id != base.id
    cube = mem.get(slots.id, "u")
    assert [(d.cube_id, d.version) for d in cube.derived_from] == [(base.id, 1)]
    assert cube.model_fingerprint == "fp-1"
    assert [h.id for h in mem.search("green tea", "u", k=5)] == [base.id]  # plaintext only
    # An activation cube holds tensors by reference: its text is not indexed, so no text
    # search finds it (it is reached through its source: derivations).
    assert mem.search("green tea", "u", k=5, tiers=["activation"]) == []


def test_search_records_access_statistics(mem):
    r = mem.add("the spare key is under the blue flowerpot", "u")
    for _ in range(3):
        assert mem.search("spare key", "u", k=1)[0].id == r.id
    mem.search("spare key", "u", k=1, record_access=False)
    mem.flush()
    cube = mem.get(r.id, "u", version=None)
    assert cube.access.hits == 3 and cube.access.last_access is not None


def test_a_read_transaction_is_one_snapshot(mem):
    """A search admits candidates in one statement and loads the winners by pk in the next.
    On PostgreSQL's default READ COMMITTED each statement saw its own snapshot, so a forget
    committed in between came back in the results. Reads are REPEATABLE READ there (SQLite's
    read transactions are snapshots already)."""
    if mem._store.repo.dialect != "postgresql":
        pytest.skip("SQLite reads are snapshots by construction")
    from sqlalchemy import text

    with mem._store.repo.read() as session:
        level = session.execute(text("SHOW transaction_isolation")).scalar()
    assert level == "repeatable read"
    cube = mem.add("a secret apple plan", "alice")
    with mem._store.repo.read() as session:
        first = session.execute(text("SELECT state FROM cubes WHERE id = :i"),
                                {"i": cube.id}).scalar()
        mem.forget(cube.id, "alice")  # commits on another connection meanwhile
        again = session.execute(text("SELECT state FROM cubes WHERE id = :i"),
                                {"i": cube.id}).scalar()
    assert first == again == "active"


def test_the_same_link_made_again_is_the_edge_already_there(mem):
    """A retried link (same ends, relation and weight) returns the edge it made, as an
    import of the same edge does; another relation or weight is another edge."""
    a = mem.add("Alice's trip to Lisbon", "alice")
    b = mem.add("Alice's hotel in Lisbon", "alice")
    first = mem.link(a.id, b.id, "alice", relation="about")
    again = mem.link(a.id, b.id, "alice", relation="about")
    assert (again.id, again.created_at) == (first.id, first.created_at)
    to_entity = mem.link(a.id, "entity:Lisbon", "alice")
    assert mem.link(a.id, "entity:lisbon", "alice").id == to_entity.id  # names normalised
    assert mem.link(a.id, b.id, "alice", relation="near").id != first.id
    assert mem.link(a.id, b.id, "alice", relation="about", weight=2.0).id != first.id
    assert mem.stats("alice").edges == 4
    assert mem.check().ok


@pytest.mark.parametrize("alice_links", [0, 3])
def test_edge_ids_do_not_count_other_users_links(mem, alice_links):
    """An attacker helper: link returned the edge's row id, one counter for the store, so
    the gap between two of bob's link ids counted alice's private links in between. The id
    shown is a keyed permutation of it: distinct and stable, but no count."""
    bob = [mem.add(f"bob note {i}", "bob").id for i in range(3)]
    alice = [mem.add(f"alice secret {i}", "alice").id for i in range(2)]
    first = mem.link(bob[0], bob[1], "bob")
    for i in range(alice_links):
        mem.link(alice[0], alice[1], "alice", relation=f"r{i}")
    second = mem.link(bob[0], bob[2], "bob")
    assert second.id - first.id != alice_links + 1
    assert mem.link(bob[0], bob[2], "bob").id == second.id  # stable
