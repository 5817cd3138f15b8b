"""The derived indexes on their own: FAISS files, full-text quoting, graph, filters."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sqlalchemy import create_engine

from memos.errors import InvalidInputError
from memos.stores.filters import compile_filter
from memos.stores.graph import GraphIndex, GraphNeighbor
from memos.stores.vector_index import VectorIndex


def _unit(rows: int, dim: int, seed: int = 0) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((rows, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_vector_index_flat_to_ivf_remove_and_persist(tmp_path):
    vi = VectorIndex(tmp_path, 16, "e1", flat_max=100, store_id="s")
    x = _unit(300, 16)
    vi.add(list(range(1, 301)), x)
    assert vi.kind == "hnsw" and len(vi) == 300
    scores, pks = vi.search(x[41:42], 5)
    assert pks[0][0] == 42
    vi.remove([42, 43])
    assert 42 not in vi and len(vi) == 298
    _, pks = vi.search_subset(x[9], [10, 11, 12, 42], 2)
    assert pks[0] == 10 and 42 not in pks and len(pks) == 2
    vi.seq = 7
    vi.save()
    again = VectorIndex(tmp_path, 16, "e1", flat_max=100, store_id="s")
    assert again.load() and again.seq == 7 and again.kind == "hnsw" and again.ids() == vi.ids()
    np.testing.assert_allclose(again.vectors([5]), x[4:5], rtol=1e-6)
    assert not VectorIndex(tmp_path, 16, "e2", store_id="s").load()  # other embedder
    assert not VectorIndex(tmp_path, 16, "e1", store_id="other").load()  # other store
    meta = json.loads(vi.meta_path.read_text())
    meta["count"] = 1
    vi.meta_path.write_text(json.dumps(meta))
    assert not VectorIndex(tmp_path, 16, "e1", store_id="s").load()  # inconsistent files


def test_vector_index_replaces_vector_of_same_pk(tmp_path):
    vi = VectorIndex(tmp_path, 8, "e")
    x = _unit(3, 8)
    vi.add([1, 2], x[:2])
    vi.add([1], x[2:3])
    assert len(vi) == 2
    np.testing.assert_allclose(vi.vectors([1]), x[2:3], rtol=1e-6)


def test_graph_neighbors_through_entities_and_hub_limit():
    g = GraphIndex()
    g.graph.add_edge(1, "entity:alice", key=1, relation="mentions", weight=1.0)
    g.graph.add_edge(2, "entity:alice", key=2, relation="mentions", weight=1.0)
    g.graph.add_edge(3, 1, key=3, relation="related", weight=0.5)
    found = {n.pk for n in g.neighbors(1)}
    assert found == {2, 3}
    assert GraphNeighbor(3, "related", "in", 0.5, 1) in g.neighbors(1)
    assert {n.pk for n in g.neighbors(1, max_entity_degree=1)} == {3}
    assert {n.pk for n in g.neighbors(3, depth=2)} == {1, 2}
    assert g.expand([1], max_entity_degree=10) == {2: 1.0, 3: 0.5}
    g.remove_cubes([1])
    assert g.neighbors(3) == [] and "entity:alice" in g.graph  # still linked from 2


def test_graph_is_empty_without_counting_its_edges(tmp_path, monkeypatch):
    """A search asks whether the graph holds anything on every call: in constant time.
    networkx counts a multigraph's edges node by node, 2 ms a search in a 2,000-cube store
    of ingested conversations (and growing with it)."""
    import networkx as nx

    from memos import MemOS

    g = GraphIndex()
    assert g.is_empty()
    g.graph.add_edge(1, "entity:alice", key=1, relation="mentions", weight=1.0)
    assert not g.is_empty()
    with MemOS.open(tmp_path / "s", embedder="hashing") as mem:
        a = mem.add("Ana keeps a parrot called Kiwi", scope="u")
        b = mem.add("Kiwi the parrot learnt a new word", scope="u")
        mem.link(a.id, b.id, "u", relation="related")

        def counted(self, *args, **kwargs):
            raise AssertionError("a search counted the graph's edges")

        monkeypatch.setattr(nx.MultiDiGraph, "number_of_edges", counted)
        hits = mem.search("parrot", scope="u")
        assert {h.id for h in hits} == {a.id, b.id}
        monkeypatch.undo()
        assert not mem._store.graph.is_empty()
        mem.purge(None, "u", all_of_user=True)
        assert mem._store.graph.is_empty()


def test_filters_compile_on_both_dialects():
    expr = {"and": [{"kind": ["fact"]}, {"or": [{"tag": "x"}, {"meta": {"k": [1, "a", True]}}]},
                    {"not": {"session_id": "s"}}, {"recorded_after": "2026-01-01"}]}
    for url in ("sqlite://", "postgresql+psycopg://u@localhost/db"):
        dialect = create_engine(url).dialect
        sql = str(compile_filter(expr, dialect.name).compile(dialect=dialect))
        assert "kind" in sql and "cube_tags" in sql
    with pytest.raises(InvalidInputError):
        compile_filter({"meta": {'bad"key': 1}}, "sqlite")
    with pytest.raises(InvalidInputError):
        compile_filter(["kind"], "sqlite")  # type: ignore[arg-type]


def test_keep_rare_terms():
    from memos.stores.fulltext import keep_rare_terms

    assert keep_rare_terms(["a", "b", "c"], [5, 1, 3], 100) == ["a", "b", "c"]
    assert keep_rare_terms(["a", "b", "c"], [50, 10, 30], 45) == ["b", "c"]
    assert keep_rare_terms(["a", "b"], [500, 400], 10) == ["b"]  # the rarest always stays


def test_old_store_gains_new_columns_and_fts_layout(tmp_path):
    import sqlite3

    from memos import MemOS

    with MemOS.open(tmp_path / "s") as mem:
        cube = mem.add("a memory from an older version", "u")
    db = sqlite3.connect(tmp_path / "s" / "memos.db")
    db.execute("ALTER TABLE cube_versions DROP COLUMN reason")
    db.execute("DROP TABLE cube_fts")
    db.execute("CREATE VIRTUAL TABLE cube_fts USING fts5(content)")  # the first layout
    db.commit()
    db.close()
    with MemOS.open(tmp_path / "s") as mem:
        mem.update(cube.id, "u", content="a memory, updated", reason="works again")
        assert mem.search("updated", "u", k=1, retrievers=["fulltext"])[0].id == cube.id
        assert mem.check().ok
