"""A memory reached through an entity is labelled by its own edge to the entity, with the
entity named (`via`), and `relation=` filters on that edge. Before, it took the relation of
the asking cube's edge (so it differed by which end asked, and read as a direct link), and a
relation filter needed both edges to have it."""

from __future__ import annotations

from pathlib import Path

import pytest

from memos import MemOS


@pytest.fixture
def mem(tmp_path: Path):
    with MemOS.open(tmp_path / "s") as store:
        yield store


def test_entity_links_name_the_entity_and_the_neighbours_own_relation(mem) -> None:
    apples = mem.add("apples are red", "hal").id
    daily = mem.add("I eat fruit daily", "hal", entities=["fruit"]).id  # "mentions"
    mem.link(apples, "entity:fruit", "hal")  # "related"
    plain = mem.add("pears are green", "hal").id
    mem.link(apples, plain, "hal", relation="related")
    got = {n.cube.id: n for n in mem.neighbors(apples, "hal")}
    assert (got[daily].relation, got[daily].via) == ("mentions", "fruit")
    assert (got[plain].relation, got[plain].via) == ("related", None)
    back = {n.cube.id: n for n in mem.neighbors(daily, "hal")}
    assert (back[apples].relation, back[apples].via) == ("related", "fruit")
    assert [n.cube.id for n in mem.neighbors(daily, "hal", relation="related")] == [apples]
    assert [n.cube.id for n in mem.neighbors(apples, "hal", relation="mentions")] == [daily]


def test_another_users_entity_is_not_named(mem) -> None:
    public = mem.add("Ann's shop sells fruit", {"user_id": "ann", "visibility": "public"},
                     entities=["fruit"]).id
    other = mem.add("Ann buys fruit", {"user_id": "ann", "visibility": "public"},
                    entities=["fruit"]).id
    seen = {n.cube.id: n for n in mem.neighbors(public, "bob")}
    assert other in seen and seen[other].via is None
    assert {n.cube.id: n for n in mem.neighbors(public, "ann")}[other].via == "fruit"
