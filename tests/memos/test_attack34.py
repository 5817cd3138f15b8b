"""Adversarial review 34: whether an entity is a hub (too many links to expand through in a
search) is judged by the edges of cubes the searching scope may read.

The graph expands a search's top hits through their entities, skipping an entity linked to
more than `graph_max_degree` cubes. That degree counted every edge of the entity's user: so
Alice's private cubes naming "Zurich" decided whether Bob's search, seeded by Alice's public
cube, came back with her other public cube through the graph, and Bob could count her private
cubes about Zurich (the same between two agents of one user). SECURITY.md: one user's cubes do
not change another's graph results.
"""

from __future__ import annotations

from typing import Any

PUBLIC = {"user_id": "alice", "visibility": "public"}
QUERY = "hiking lake dawn"


def _two_public(mem: Any, owner: dict[str, Any]) -> tuple[str, str]:
    hiking = mem.add("Went hiking near the lake at dawn", owner, entities=["Zurich"])
    opera = mem.add("The opera house had a wonderful season", owner, entities=["Zurich"])
    return hiking.id, opera.id


def _by_graph(mem: Any, scope: Any) -> set[str]:
    return {h.id for h in mem.search(QUERY, scope, k=10, retrievers=["fulltext", "graph"])
            if "graph" in h.retrievers}


def test_another_users_private_cubes_do_not_change_a_search_through_her_entity(
        mem: Any, open_store: Any) -> None:
    hiking, opera = _two_public(mem, PUBLIC)
    before = _by_graph(mem, "bob")
    assert opera in before  # Alice's public cubes meet at her entity
    for i in range(mem.config.retrieval.graph_max_degree):
        mem.add(f"private note {i} about Zurich things", "alice", entities=["Zurich"])
    assert _by_graph(mem, "bob") == before
    # her own search: her private cubes make the entity a hub, as they always did
    assert opera not in _by_graph(mem, "alice")
    # the same once the graph is loaded from SQL by another process
    again = open_store()
    assert _by_graph(again, "bob") == before
    assert opera not in _by_graph(again, "alice")


def test_a_sibling_agents_private_cubes_do_not_change_an_agents_graph_results(
        mem: Any) -> None:
    shared = {"user_id": "alice", "agent_id": "a1", "visibility": "shared"}
    hiking, opera = _two_public(mem, shared)
    before = _by_graph(mem, {"user_id": "alice", "agent_id": "a2"})
    assert opera in before
    for i in range(mem.config.retrieval.graph_max_degree):
        mem.add(f"private note {i} about Zurich things", {"user_id": "alice", "agent_id": "a1"},
                entities=["Zurich"])
    assert _by_graph(mem, {"user_id": "alice", "agent_id": "a2"}) == before
    assert opera not in _by_graph(mem, {"user_id": "alice", "agent_id": "a1"})


def test_purged_links_no_longer_count(mem: Any) -> None:
    hiking, opera = _two_public(mem, {"user_id": "alice"})
    notes = [mem.add(f"note {i} about Zurich things", "alice", entities=["Zurich"]).id
             for i in range(mem.config.retrieval.graph_max_degree)]
    assert opera not in _by_graph(mem, "alice")
    for cube_id in notes:
        mem.purge(cube_id, "alice")
    assert opera in _by_graph(mem, "alice")
