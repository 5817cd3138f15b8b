"""Issue 9, points 13 and 8, through the SDK on every backend.

13: a near-duplicate merge folds the new text into an existing cube, where it survives only as
provenance; it may do so only when the new text adds nothing. The cosine is forced to 1.0 (the
same explicit embedding for both texts), so what is tested is the policy, not the embedder.

8: entity nodes and the hub-degree cap are per user: one user's writes never change another
user's graph neighbours or graph retrieval, and nothing of one user is reachable from another's
through an entity.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from memos import Scope
from tests.policies.test_policies import ELENA, KENJI, fact_pairs, restatements

_users = itertools.count()


def _vector(mem: Any, seed: int = 0) -> list[float]:
    """One fixed unit vector: two cubes given it have cosine 1.0, above any threshold."""
    v = np.random.default_rng(seed).standard_normal(mem.embedder.dim)
    return (v / np.linalg.norm(v)).tolist()


def test_a_different_person_and_date_is_never_folded_into_a_near_cube(mem):
    vec = _vector(mem)
    kenji = mem.add(KENJI, "u", embedding=vec)
    elena = mem.add(ELENA, "u", embedding=vec)
    assert elena.action == "added" and elena.id != kenji.id
    assert mem.get(kenji.id, "u").version == 1  # nothing was folded into Kenji's cube
    hit = mem.search("Elena Qureshi sewing machine", "u", k=1)[0]
    assert hit.id == elena.id and hit.content == ELENA
    again = mem.add(KENJI.lower(), "u", embedding=vec)  # says nothing new: still merges
    assert (again.action, again.id) == ("merged", kenji.id)
    # in one batch too: the in-batch near-duplicate path applies the same rule
    batch = mem.add_many([{"content": KENJI.replace("Kenji", "Aiko"), "embedding": vec},
                          {"content": KENJI.replace("Kenji", "Ravi"), "embedding": vec},
                          {"content": KENJI.replace("Kenji", "Ravi").upper(), "embedding": vec}],
                         "v")
    assert [r.action for r in batch] == ["added", "added", "merged"]
    assert batch[2].id == batch[1].id
    assert mem.stats("u").cubes == 2 and mem.stats("v").cubes == 2


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pair=fact_pairs(), batch=st.booleans())
def test_facts_from_one_template_differing_in_one_slot_are_never_merged(mem, pair, batch):
    old, new = pair
    n = next(_users)
    user, vec = f"p{n}", _vector(mem, n)  # a vector of its own: other examples' are not near
    if batch:
        results = mem.add_many([{"content": old, "embedding": vec},
                                {"content": new, "embedding": vec}], user)
    else:
        results = [mem.add(old, user, embedding=vec), mem.add(new, user, embedding=vec)]
    assert [r.action for r in results] == ["added", "added"], pair
    assert {mem.get(r.id, user).content for r in results} == {old, new}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pair=restatements(), batch=st.booleans())
def test_restatements_that_add_nothing_still_merge(mem, pair, batch):
    old, new = pair
    n = next(_users)
    user, vec = f"r{n}", _vector(mem, n)
    if batch:
        results = mem.add_many([{"content": old, "embedding": vec},
                                {"content": new, "embedding": vec}], user)
    else:
        results = [mem.add(old, user, embedding=vec), mem.add(new, user, embedding=vec)]
    assert results[1].action in ("merged", "duplicate") and results[1].id == results[0].id
    assert mem.get(results[0].id, user).content == old


def test_with_the_default_embedder_a_changed_fact_is_its_own_cube(open_store):
    mem = open_store()
    mem.config = mem.config.model_copy(update={"dedup_threshold": 0.5})  # merges readily
    texts = ["Bob adopted a small brown dog named Rex in March 2020",
             "Bob adopted a small brown dog named Max in March 2020",
             "bob adopted a small brown dog called rex in march 2020"]
    vecs = mem.embedder.embed(texts)
    assert float(vecs[0] @ vecs[1]) >= 0.5 and float(vecs[0] @ vecs[2]) >= 0.5  # near: merge?
    a, b, c = (mem.add(text, "bob") for text in texts)
    assert b.action == "added" and b.id != a.id
    assert (c.action, c.id) == ("merged", a.id)


# -- point 8: entities are per user --------------------------------------------------------

def _graph_view(mem: Any, user: str, ids: list[str], query: str) -> tuple[Any, ...]:
    hits = mem.search(query, user, k=10)
    graph_hits = sorted((h.id, h.ranks["graph"]) for h in hits if "graph" in h.retrievers)
    neighbours = {i: sorted((n.cube.id, n.relation) for n in mem.neighbors(i, user, depth=2))
                  for i in ids}
    return graph_hits, neighbours, [h.id for h in hits]


def test_one_users_entities_never_change_another_users_graph(open_store):
    mem = open_store()
    cap = mem.config.retrieval.graph_max_degree
    bob_ids = [r.id for r in mem.add_many(
        [{"content": f"Bob's note {i}: the Zurich office moves to floor {i + 3}",
          "entities": ["Zurich"]} for i in range(3)], "bob")]
    bob_ids.append(mem.add("Bob linked this memo by hand", "bob").id)
    mem.link(bob_ids[-1], "entity:zurich", "bob", relation="about")
    mem.add("Bob's lunch order is a salad", "bob")
    query = "Zurich office floor"
    before = _graph_view(mem, "bob", bob_ids, query)
    assert before[0], "Bob's own zurich cubes reach each other through the graph"
    assert {i for i, _ in before[1][bob_ids[0]]} == set(bob_ids[1:])

    watcher = open_store()  # another instance, open before Alice writes: catches up
    assert _graph_view(watcher, "bob", bob_ids, query) == before
    alice = [r.id for r in mem.add_many(
        [{"content": f"Alice's trip {i} to Zurich office floor {i}", "entities": ["ZURICH "]}
         for i in range(cap + 10)], "alice")]
    public = mem.add("Alice's public Zurich office guide", Scope(user_id="alice", visibility="public"),
                     entities=["zurich"])
    mem.link(public.id, "entity:Zurich", "alice")
    assert mem._store.graph.entity_degree("alice", "zurich") == cap + 12
    assert mem._store.graph.entity_degree("bob", "zurich") == 4

    for store in (mem, watcher, open_store()):  # this one rebuilds the graph from SQL
        after = _graph_view(store, "bob", bob_ids, query)
        assert after[:2] == before[:2]
        reached = {i for ids in after[1].values() for i, _ in ids}
        assert not reached & {*alice, public.id}
        # Alice's public cube is readable by Bob, yet no entity of Bob's leads to it
        assert all(n.cube.id == public.id or n.cube.scope.user_id == "alice"
                   for n in store.neighbors(public.id, "alice"))
        assert {n.cube.id for n in store.neighbors(public.id, "bob")} == set()
    report = mem.check()
    assert report.ok, report
    # Alice still has her own graph: her hub is hers alone, and under the cap it works
    small = [r.id for r in mem.add_many(
        [{"content": f"Carol in Zurich, day {i}", "entities": ["zurich"]} for i in range(2)],
        "carol")]
    assert [n.cube.id for n in mem.neighbors(small[0], "carol")] == [small[1]]


def test_other_users_copies_never_decide_whether_a_cube_merges(mem):
    """The nearest vectors of a new cube may all be other users' (many copies of one text):
    Bob's restatement must still merge into Bob's cube, whatever Alice stored, or Bob could
    learn from his own adds that someone holds text like his."""
    vec = _vector(mem, 10_000)
    for i in range(12):
        assert mem.add(f"Alice note {i}: the vault code is kept offsite", "alice",
                       embedding=vec).action == "added"
    mine = mem.add("Bob: the vault code is kept offsite", "bob", embedding=vec)
    again = mem.add("bob: the vault code is kept offsite!", "bob", embedding=vec)
    assert (again.action, again.id) == ("merged", mine.id)


def test_another_users_private_neighbours_of_a_public_seed_take_no_graph_places(mem):
    """Graph candidates are cut after admission: Alice's private cubes linked to her public
    cube (which Bob's search may seed from) neither show nor push Bob's own linked cube out
    of the graph's ranks, however many there are."""
    mem.config.retrieval.candidates = 3
    public = mem.add("The Zurich office guide lists the fire exits",
                     Scope(user_id="alice", visibility="public"))
    for i in range(8):  # created first: lower pks, so they sort ahead of Bob's cube
        private = mem.add(f"Alice's private aside number {i}", "alice")
        mem.link(public.id, private.id, "alice")
    bobs = mem.add("Bob keeps a spare badge in the second drawer", "bob")
    mem.link(bobs.id, public.id, "bob")
    hits = mem.search("Zurich office guide fire exits", "bob", k=3)
    assert hits[0].id == public.id
    by_id = {h.id: h for h in hits}
    assert bobs.id in by_id and "graph" in by_id[bobs.id].retrievers
    assert all(h.id in (public.id, bobs.id) for h in hits)
