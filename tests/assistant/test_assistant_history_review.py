"""Review of the history questions ("Where have I lived?"): a fact that replaced two values,
one dated with a naive time (a store may hand one back: `_aware`), is followed back all
the same."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from memos import MemOS
from memos.assistant import Assistant


def _meta(value: str) -> dict[str, Any]:
    return {"subject": "user:alice", "attribute": "city", "relation": "city", "value": value}


def test_a_value_that_replaced_a_naive_and_an_aware_one(store_path: str,
                                                       monkeypatch: Any) -> None:
    with MemOS.open(store_path) as mem:
        lisbon = mem.add("Alice's city is Lisbon.", "alice", kind="fact",
                         metadata=_meta("Lisbon"), valid_from=datetime(2020, 1, 1, tzinfo=UTC))
        faro = mem.add("Alice's city is Faro.", "alice", kind="fact", metadata=_meta("Faro"),
                       valid_from=datetime(2021, 1, 1, tzinfo=UTC))
        mem.add("Alice's city is Porto.", "alice", kind="fact", metadata=_meta("Porto"),
                supersedes=[lisbon.id, faro.id])
        real = mem.neighbors

        def naive_lisbon(cube_id: str, scope: Any, **kw: Any) -> Any:
            out = []
            for n in real(cube_id, scope, **kw):
                if n.cube.id == lisbon.id:  # as a store that keeps times without a zone
                    cube = n.cube.model_copy(update={
                        "valid_from": n.cube.valid_from.replace(tzinfo=None)})
                    n = n.model_copy(update={"cube": cube})
                out.append(n)
            return out

        monkeypatch.setattr(mem, "neighbors", naive_lisbon)
        text = Assistant(mem, "alice", learn=False).reply("Where have I lived?").text
        assert "Lisbon" in text and "Faro" in text and "now Porto" in text, text


def test_values_held_now_that_are_not_shown_are_not_called_past(store_path: str) -> None:
    """15 likes, all held now: the newest HISTORY_MAX are listed; the 3 left out are not
    just "earlier values" (that reads as values that ended): the note says they hold now."""
    from datetime import timedelta

    from memos.assistant import HISTORY_MAX

    foods = ["sushi", "pizza", "tacos", "ramen", "curry", "pho", "paella", "falafel",
             "dumplings", "bagels", "risotto", "burritos", "gnocchi", "lasagna", "croissants"]
    start = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)
    with MemOS.open(store_path) as mem:
        for i, food in enumerate(foods):
            mem.ingest([{"role": "user", "content": f"I love {food}.",
                         "at": start + timedelta(days=3 * i)}], "alice", session_id=f"s{i}")
        mem.ingest([{"role": "user", "content": "I don't like sushi anymore.",
                     "at": start + timedelta(days=60)}], "alice", session_id="end")
        text = Assistant(mem, "alice", learn=False).reply("List my likes.").text
        hidden = len(foods) - HISTORY_MAX
        assert f"({hidden} earlier values not shown; 2 of them hold now)" in text, text
