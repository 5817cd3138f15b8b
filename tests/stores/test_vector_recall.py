"""The approximate vector indexes (HNSW, IVF): recall against exact search, real removal,
files, migration, and which one a store uses."""

from __future__ import annotations

import json
from pathlib import Path

import faiss
import numpy as np
import pytest

from memos.bench.corpus import hard_facts, hard_queries
from memos.bench.retrieval import recall_against_exact
from memos.embedders import HashingEmbedder
from memos.stores.vector_index import FORMAT, VectorIndex


def _unit(rows: int, dim: int, seed: int = 0) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((rows, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _assert_saved_without(vi: VectorIndex, x: np.ndarray, erased: list[int]) -> None:
    """Save at seq 4; the file holds none of the `erased` pks' float32 bytes (pk p is row
    p - 1 of x) and does hold a live one (pk 10), so the scan can find bytes at all."""
    vi.seq = 4
    assert vi.save()
    raw = vi.index_path.read_bytes()
    for pk in erased:
        assert x[pk - 1].tobytes() not in raw, pk  # the float32 bytes are erased
    assert x[9].tobytes() in raw  # a live vector is there (the scan can find one)


def _twin_bytes(vi: VectorIndex, scan: object = None) -> list[tuple[list[int], bytes]]:
    """Each of the twin's lists: its ids and every packed byte of its blocks (padding too)."""
    blocks = faiss.downcast_InvertedLists((scan or vi._scan).invlists)
    out = []
    for list_no in range(vi._index.nlist):
        size = blocks.list_size(list_no)
        held = -(-size // 32) * blocks.block_size
        out.append((faiss.rev_swig_ptr(blocks.get_ids(list_no), size).tolist() if size else [],
                    faiss.rev_swig_ptr(blocks.get_codes(list_no), held).tobytes()
                    if size else b""))
    return out


def _faiss_twin(vi: VectorIndex) -> object:
    """The twin FAISS's own code makes (its add_with_ids assigns, encodes and packs) from
    the index's live vectors in list order, with the index's codebooks: the reference the
    hand-packed twin must equal."""
    ivf = vi._index
    ref = faiss.IndexIVFPQFastScan(ivf.quantizer, vi.dim, ivf.nlist, vi._twin_m(), 4,
                                   faiss.METRIC_INNER_PRODUCT, 32)
    ref.by_residual = True
    faiss.copy_array_to_vector(vi._codebooks(), ref.pq.centroids)
    ref.is_trained = True
    pks = vi._ivf_ids(ivf)
    if len(pks):
        ref.add_with_ids(ivf.reconstruct_batch(pks), pks)
    return ref


def _graph_links(index: VectorIndex) -> tuple[np.ndarray, np.ndarray]:
    """(neighbour array, offsets) of the index's HNSW graph, copied."""
    graph = faiss.downcast_index(index._index.index).hnsw
    neighbors = faiss.rev_swig_ptr(graph.neighbors.data(), graph.neighbors.size()).copy()
    return neighbors, faiss.vector_to_array(graph.offsets).astype(np.int64)


@pytest.fixture(scope="module")
def hard() -> tuple[np.ndarray, np.ndarray]:
    """3,000 templated facts and 100 rare-word questions about them, hashing-embedded."""
    emb = HashingEmbedder(384)
    facts = emb.embed(list(hard_facts(3_000, seed=0)))
    queries = emb.embed(hard_queries(100, seed=1, within=3_000, corpus_seed=0))
    return facts, queries


def test_hnsw_recall_against_exact_on_the_hard_corpus(tmp_path: Path, hard) -> None:
    facts, queries = hard
    vi = VectorIndex(tmp_path, 384, "e", flat_max=500)
    for start in range(0, len(facts), 500):  # crosses flat_max, then grows the graph
        vi.add(list(range(start + 1, start + 501)), facts[start:start + 500])
    assert vi.kind == "hnsw" and len(vi) == 3_000
    recall = recall_against_exact(vi, queries, 10, 50)
    assert recall >= 0.95, recall
    # The reference really is exact: it agrees with numpy on every query.
    scores, pks = vi.exact_search(queries[:5], 10)
    best = np.argsort(-(facts @ queries[:5].T), axis=0)[0] + 1
    assert (pks[:, 0] == best).all() or np.allclose(scores[:, 0], (facts @ queries[:5].T).max(0))


def test_removed_and_replaced_vectors_leave_results_graph_and_file(tmp_path: Path) -> None:
    x = _unit(1_200, 32)
    vi = VectorIndex(tmp_path, 32, "e", flat_max=100, store_id="s", max_dead=0.5)
    vi.add(list(range(1, 1_201)), x)
    entry = faiss.downcast_index(vi._index.index).hnsw.entry_point
    gone = [5, 6, 7, int(vi._index.id_map.at(entry))]  # the graph's entry point too
    vi.remove(gone)
    vi.add([9], x[0:1])  # replace pk 9: its old vector must go as well
    assert len(vi) == 1_196 and vi.dead == 5 and 9 in vi and 5 not in vi
    _, found = vi.search(x[[pk - 1 for pk in gone]], 10)
    assert not set(found.ravel().tolist()) & set(gone)
    np.testing.assert_allclose(vi.vectors([9]), x[0:1], rtol=1e-6)
    _assert_saved_without(vi, x, [*gone, 9])
    # The graph no longer says where the removed vectors lay.
    id_map = faiss.vector_to_array(vi._index.id_map)
    dead = np.flatnonzero(id_map < 0)
    neighbors, offsets = _graph_links(vi)
    assert len(dead) == 5 and not np.isin(neighbors, dead).any()
    for label in dead:
        assert (neighbors[offsets[label]:offsets[label + 1]] == -1).all()
    again = VectorIndex(tmp_path, 32, "e", flat_max=100, store_id="s")
    assert again.load() and again.kind == "hnsw" and again.ids() == vi.ids()
    assert again.dead == 5 and again.seq == 4
    for q in range(20, 40):  # after the entry point went, every vector still finds itself
        assert again.search(x[q:q + 1], 1)[1][0][0] == q + 1


def test_tombstones_past_max_dead_rebuild_the_graph(tmp_path: Path) -> None:
    x = _unit(600, 16)
    vi = VectorIndex(tmp_path, 16, "e", flat_max=100, max_dead=0.2)
    vi.add(list(range(1, 601)), x)
    vi.remove(list(range(1, 100)))
    assert vi.dead == 99 and vi.kind == "hnsw"
    vi.remove(list(range(100, 130)))  # past a fifth: rebuilt from the live vectors
    assert vi.dead == 0 and vi._index.ntotal == 471 and vi.kind == "hnsw"
    assert vi.search(x[200:201], 1)[1][0][0] == 201
    vi.remove(list(range(130, 560)))  # few enough left for the exact index again
    assert vi.kind == "flat" and len(vi) == 41 and vi.dead == 0
    assert vi.search(x[580:581], 1)[1][0][0] == 581


def test_other_formats_are_rejected(tmp_path: Path) -> None:
    vi = VectorIndex(tmp_path, 8, "e", flat_max=10, store_id="s")
    vi.add(list(range(1, 41)), _unit(40, 8))
    assert vi.save()
    meta = json.loads(vi.meta_path.read_text())
    assert meta["format"] == FORMAT == "memos-vectors/3" and meta["kind"] == "hnsw"
    meta["format"] = "memos-vectors/1"
    vi.meta_path.write_text(json.dumps(meta))
    assert not VectorIndex(tmp_path, 8, "e", flat_max=10, store_id="s").load()
    meta["format"], meta["count"] = FORMAT, 39
    vi.meta_path.write_text(json.dumps(meta))
    assert not VectorIndex(tmp_path, 8, "e", flat_max=10, store_id="s").load()


def test_store_with_old_vector_files_rebuilds_them_and_purge_erases_bytes(tmp_path: Path
                                                                          ) -> None:
    from memos import MemOS
    from memos.config import MemosConfig

    cfg = MemosConfig(flat_max=40, dedup_threshold=None)
    texts = [f"{name} keeps a note about topic {i}" for i, name in
             enumerate(["Kalo", "Mira", "Tenvo", "Sali"] * 30)]
    with MemOS.open(tmp_path / "s", config=cfg) as mem:
        rs = mem.add_many(texts, "u", batch_size=50)
        assert mem.stats().vector_index == "ivf"  # the hashing embedder's choice
    meta_path = next((tmp_path / "s").rglob("vectors.json"))
    meta = json.loads(meta_path.read_text())
    meta["format"] = "memos-vectors/1"  # what an older memos left behind
    meta_path.write_text(json.dumps(meta))
    with MemOS.open(tmp_path / "s", config=cfg) as mem:
        assert mem.stats().vectors == 120 and mem.check().ok
        top = mem.search(texts[17], "u", k=1, retrievers=["dense"])
        assert top[0].id == rs[17].id
        index = mem._store.vectors
        pk = next(p for p in index.ids() if np.allclose(
            index.vectors([p])[0], mem.embedder.embed([texts[17]])[0], atol=1e-6))
        vector = index.vectors([pk])[0]
        mem.purge(rs[17].id, "u")
    assert json.loads(meta_path.read_text())["format"] == FORMAT
    assert vector.tobytes() not in meta_path.with_suffix(".faiss").read_bytes()


def test_search_effort_grows_with_the_index(tmp_path: Path) -> None:
    vi = VectorIndex(tmp_path, 4, "e", flat_max=10**7, ef_search=32)
    vi.add(list(range(1, 1_001)), _unit(1_000, 4))
    assert vi.effort() == 32
    vi.add(list(range(1_001, 60_001)), _unit(59_000, 4, seed=1))
    assert vi.effort() == 64  # past 50k vectors: twice the walk
    vi.ef_fixed = 40
    assert vi.effort() == 40 and vi.nprobe == 32


@pytest.fixture(scope="module")
def easy() -> tuple[np.ndarray, np.ndarray]:
    """3,000 everyday memory sentences and 100 short questions, hashing-embedded: the vectors
    where graph walks stop short (docs/BENCHMARKS.md)."""
    from memos.bench.corpus import synthetic_queries, synthetic_sentences

    emb = HashingEmbedder(384)
    return emb.embed(list(synthetic_sentences(3_000))), emb.embed(synthetic_queries(100))


@pytest.mark.parametrize("corpus", ["hard", "easy"])
def test_ivf_recall_against_exact_on_both_corpora(tmp_path: Path, corpus: str,
                                                  request: pytest.FixtureRequest) -> None:
    facts, queries = request.getfixturevalue(corpus)
    vi = VectorIndex(tmp_path, 384, "e", flat_max=500, approx="ivf")
    for start in range(0, len(facts), 500):  # trained when crossing flat_max, then grows 3x
        vi.add(list(range(start + 1, start + 501)), facts[start:start + 500])
    assert vi.kind == "ivf" and len(vi) == 3_000 and vi.trained_n == 1_000
    assert vi.effort() == min(vi._index.nlist, 16)
    recall = recall_against_exact(vi, queries, 10, 50)
    assert recall >= 0.95, recall


def test_ivf_removal_erases_bytes_and_survives_reload(tmp_path: Path) -> None:
    x = _unit(2_000, 32)
    vi = VectorIndex(tmp_path, 32, "e", flat_max=100, store_id="s", approx="ivf")
    vi.add(list(range(1, 1_201)), x[:1_200])
    assert vi.kind == "ivf" and vi.trained_n == 1_200
    gone = [5, 6, 7, 1_200]
    codes_before = {pk: vi.vectors([pk])[0].tobytes() for pk in gone}
    vi.remove(gone)
    vi.add([9], x[1_500:1_501])  # replace pk 9: its old vector must go as well
    assert len(vi) == 1_196 and 9 in vi and 5 not in vi and vi.dead == 0
    _, found = vi.search(x[[pk - 1 for pk in gone]], 10)
    assert not set(found.ravel().tolist()) & set(gone)
    np.testing.assert_allclose(vi.vectors([9]), x[1_500:1_501], rtol=1e-6)
    # Gone from memory too: no inverted list holds the removed bytes, even past its size.
    lists = vi._index.invlists
    held = b"".join(faiss.rev_swig_ptr(lists.get_codes(i), lists.list_size(i) * lists.code_size
                                       ).tobytes() for i in range(vi._index.nlist)
                    if lists.list_size(i))
    assert not any(code in held for code in codes_before.values())
    # The twin searches scan: byte for byte the twin a fresh encoding of the survivors gives
    # (removed codes zeroed, lists packed again; appended entries packed where they belong).
    twin = _twin_bytes(vi)
    assert twin == _twin_bytes(vi, _faiss_twin(vi))
    assert not {pk for ids, _ in twin for pk in ids} & set(gone)
    assert sum(len(ids) for ids, _ in twin) == vi._scan.ntotal == 1_196
    _assert_saved_without(vi, x, [*gone, 9])
    again = VectorIndex(tmp_path, 32, "e", flat_max=100, store_id="s", approx="ivf")
    assert again.load() and again.kind == "ivf" and again.ids() == vi.ids()
    assert again.seq == 4 and again.trained_n == 1_200
    for q in range(20, 40):
        assert again.search(x[q:q + 1], 1)[1][0][0] == q + 1
    # A retrain reads the vectors from the old index a batch at a time: the same index as a
    # build from a copy of them all.
    live = again._ivf_ids(again._index)
    built = []
    for vectors in (again._index.reconstruct_batch(live),
                    lambda rows: again._index.reconstruct_batch(live[rows])):
        other = VectorIndex(tmp_path / "other", 32, "e", flat_max=100, approx="ivf")
        other._build_ivf(live, vectors)
        lists = other._index.invlists
        built.append([faiss.rev_swig_ptr(lists.get_ids(i), lists.list_size(i)).tolist()
                      for i in range(other._index.nlist)])
    assert built[0] == built[1] and sum(map(len, built[0])) == len(live)
    # Grown 4x past its training size: retrained for the new size (more lists).
    nlist = again._index.nlist
    again.add(list(range(2_001, 2_001 + 3_700)), _unit(3_700, 32, seed=3))
    assert again.trained_n == 4_896 and again._index.nlist > nlist
    # A file of the other approximate kind is not loaded (the store rebuilds it from SQL).
    assert not VectorIndex(tmp_path, 32, "e", flat_max=100, store_id="s").load()


@pytest.mark.parametrize("dim", [16, 7])  # 7: odd, one code a dimension
def test_ivf_twin_stays_a_fresh_encoding_through_adds_removals_and_replacements(
        tmp_path: Path, dim: int) -> None:
    x = _unit(4_000, dim, seed=11)
    vi = VectorIndex(tmp_path, dim, "e", flat_max=200, store_id="s", approx="ivf")
    vi.add(list(range(1, 1_001)), x[:1_000])
    assert vi.kind == "ivf"
    rng = np.random.default_rng(4)
    nxt = 1_001
    for step in range(12):
        size = int(rng.choice([1, 5, 37, 150]))  # partial blocks topped up, whole ones added
        vi.add(list(range(nxt, nxt + size)), x[nxt - 1:nxt - 1 + size])
        nxt += size
        live = sorted(vi.ids())
        gone = rng.choice(live, size=int(rng.integers(1, 60)), replace=False).tolist()
        vi.remove(gone)
        again = rng.choice(sorted(vi.ids()), size=5, replace=False).tolist()
        vi.add(again, _unit(5, dim, seed=100 + step))  # replaced: removed, then appended
        assert vi.trained_n == 1_000, "no retraining in this test"
        twin = _twin_bytes(vi)
        # byte for byte what FAISS's own encoding and packing give, padding included
        assert twin == _twin_bytes(vi, _faiss_twin(vi)), step
        assert sorted(pk for ids, _ in twin for pk in ids) == sorted(vi.ids())
        assert vi._scan.ntotal == len(vi)
    for pk in sorted(vi.ids())[:40]:  # each vector still finds itself first
        assert vi.search(vi.vectors([pk]), 1)[1][0][0] == pk
    # A vector FAISS could place in no list is refused before anything changes.
    bad = x[3_990:3_992].copy()
    bad[1, 0] = np.nan
    before = (vi.ids(), _twin_bytes(vi), int(vi._index.ntotal))
    with pytest.raises(ValueError, match="finite"):
        vi.add([9_001, 9_002], bad)
    assert (vi.ids(), _twin_bytes(vi), int(vi._index.ntotal)) == before


def _load_counting_encodings(folder: Path, monkeypatch: pytest.MonkeyPatch
                             ) -> tuple[VectorIndex, int]:
    """An IVF (dim 16) loaded from `folder`, and how many times its twin was encoded."""
    index = VectorIndex(folder, 16, "e", flat_max=100, store_id="s", approx="ivf")
    calls: list[int] = []
    real = VectorIndex._scan_twin

    def counted(self: VectorIndex, *args: object) -> object:
        calls.append(1)
        return real(self, *args)

    with monkeypatch.context() as patch:
        patch.setattr(VectorIndex, "_scan_twin", counted)
        assert index.load()
    return index, len(calls)


def test_ivf_twin_is_saved_loaded_without_encoding_and_checked(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch
                                                                 ) -> None:
    x = _unit(2_500, 16, seed=21)
    vi = VectorIndex(tmp_path, 16, "e", flat_max=100, store_id="s", approx="ivf")
    vi.add(list(range(1, 2_001)), x[:2_000])
    vi.seq = 1
    assert vi.save() and vi.twin_path.exists()
    first = vi.twin_path.read_bytes()
    vi.remove(list(range(1, 2_000, 7)))
    vi.add([5, 6], x[2_100:2_102])  # replaced
    vi.seq = 2
    assert vi.save()

    loaded, encoded = _load_counting_encodings(tmp_path, monkeypatch)
    assert encoded == 0  # read from the file, not encoded again
    # what was saved is what FAISS's own encoding gives for the survivors, removed codes gone
    assert _twin_bytes(loaded) == _twin_bytes(loaded, _faiss_twin(loaded)) == _twin_bytes(vi)
    queries = _unit(20, 16, seed=22)
    assert np.array_equal(loaded.search(queries, 10)[1], vi.search(queries, 10)[1])
    loaded.add([3_001], x[2_200:2_201])  # the loaded twin takes adds like a built one
    assert _twin_bytes(loaded) == _twin_bytes(loaded, _faiss_twin(loaded))
    # A twin file that is not the one the meta file names (an older save, a damaged file)
    # is not used: the twin is encoded again from the lists.
    current = vi.twin_path.read_bytes()
    for other in (first, current[:-1] + bytes([current[-1] ^ 1])):
        vi.twin_path.write_bytes(other)
        again, encoded = _load_counting_encodings(tmp_path, monkeypatch)
        assert encoded and _twin_bytes(again) == _twin_bytes(vi)
    # Loaded without its twin file, or with one that is not this index's, the index is
    # dirty: the next save (flush, close) writes this index's twin over the other.
    assert again.dirty
    again.seq = 3
    assert again.save() and again.twin_path.read_bytes() != current[:-1] + bytes([current[-1] ^ 1])
    vi.twin_path.unlink()  # none at all: encoded again too, and written by the next save
    none = VectorIndex(tmp_path, 16, "e", flat_max=100, store_id="s", approx="ivf")
    assert none.load() and none.dirty
    # The meta names this twin, but the index file is an older save's whose lists hold the
    # same ids in another order (a replaced vector moved): encoded again, not trusted.
    none.seq = 4
    assert none.save()
    older = none.index_path.read_bytes()
    moved = next(pk for ids, _ in _twin_bytes(none) if len(ids) > 1 for pk in ids[:1])
    none.add([moved], none.vectors([moved]))  # the same vector, now last in its list
    none.seq = 5
    assert none.save()
    none.index_path.write_bytes(older)
    mixed, encoded = _load_counting_encodings(tmp_path, monkeypatch)
    assert encoded and _twin_bytes(mixed) == _twin_bytes(mixed, _faiss_twin(mixed))
    # An index that is no longer an IVF leaves no twin file behind.
    vi.build(list(range(1, 51)), x[:50])
    vi.seq = 6
    assert vi.save() and vi.kind == "flat" and not vi.twin_path.exists()


def test_ivf_file_with_the_8bit_twin_loads_and_saves_in_the_new_format(tmp_path: Path
                                                                         ) -> None:
    x = _unit(2_500, 32, seed=2)
    vi = VectorIndex(tmp_path, 32, "e", flat_max=100, store_id="s", approx="ivf")
    vi.add(list(range(1, 2_001)), x[:2_000])
    vi.seq = 3
    assert vi.save()
    # What memos-vectors/2 wrote: the same IVF file, 8-bit ranges instead of codebooks.
    meta = json.loads(vi.meta_path.read_text())
    meta = {k: v for k, v in meta.items() if k != "codebooks"}
    vi.meta_path.write_text(json.dumps({**meta, "format": "memos-vectors/2",
                                        "ranges": [0.0] * 64}))
    old = VectorIndex(tmp_path, 32, "e", flat_max=100, store_id="s", approx="ivf")
    assert old.load() and old.seq == 3 and old.ids() == vi.ids() and old.dirty
    # its twin is trained again from the vectors (the same sample, so the same codebooks
    # while nothing was removed) and searches find what the index saved found
    np.testing.assert_array_equal(old._codebooks(), vi._codebooks())
    queries = _unit(30, 32, seed=9)
    assert np.array_equal(old.search(queries, 10)[1], vi.search(queries, 10)[1])
    assert old.save()
    assert json.loads(old.meta_path.read_text())["format"] == FORMAT
    again = VectorIndex(tmp_path, 32, "e", flat_max=100, store_id="s", approx="ivf")
    assert again.load() and not again.dirty
    np.testing.assert_array_equal(again._codebooks(), vi._codebooks())
    # A /2 file left with few vectors is rebuilt from SQL: a twin trained on the few that
    # survived removals would fit them only.
    again.remove(sorted(again.ids())[:1_200])
    again.seq = 4
    assert again.save()
    meta = json.loads(again.meta_path.read_text())
    again.meta_path.write_text(json.dumps({**meta, "format": "memos-vectors/2"}))
    assert not VectorIndex(tmp_path, 32, "e", flat_max=100, store_id="s", approx="ivf").load()


def test_the_embedder_chooses_the_approximate_index_and_config_overrides(tmp_path: Path
                                                                          ) -> None:
    from memos import MemOS
    from memos.config import MemosConfig
    from memos.embedders import approx_index_for

    texts = [f"note {i}: topic {i % 13} colour {i % 7} item {i * 31 % 97}" for i in range(90)]
    for setting, expected in (("auto", "ivf"), ("hnsw", "hnsw"), ("ivf", "ivf")):
        cfg = MemosConfig(flat_max=40, dedup_threshold=None, vector_index=setting)
        with MemOS.open(tmp_path / setting, config=cfg) as mem:
            rs = mem.add_many(texts, "u", batch_size=50)
            assert mem.stats().vector_index == expected
            assert mem.search(texts[17], "u", k=1, retrievers=["dense"])[0].id == rs[17].id
    # A store that saved an HNSW index for the hashing embedder (an older memos) rebuilds
    # it as IVF on open, and finds the same memories.
    cfg = MemosConfig(flat_max=40, dedup_threshold=None)
    with MemOS.open(tmp_path / "hnsw", config=cfg) as mem:
        assert mem.stats().vector_index == "ivf" and mem.check().ok
        assert mem.search(texts[18], "u", k=1, retrievers=["dense"])[0].content == texts[18]
    meta = json.loads(next((tmp_path / "hnsw").rglob("vectors.json")).read_text())
    assert meta["kind"] == "ivf"

    class ModelLike:
        identity, dim = "m", 8

    assert approx_index_for(HashingEmbedder(), "auto") == "ivf"
    assert approx_index_for(ModelLike(), "auto") == "hnsw"  # type: ignore[arg-type]
    assert approx_index_for(HashingEmbedder(), "hnsw") == "hnsw"


def test_ivf_survives_removing_everything_keeps_its_codebooks_and_tiny_sizes(tmp_path: Path
                                                                             ) -> None:
    x = _unit(3_000, 16, seed=5)
    vi = VectorIndex(tmp_path / "a", 16, "e", flat_max=100, store_id="s", approx="ivf")
    vi.add(list(range(1, 2_001)), x[:2_000])
    codebooks = vi._codebooks().copy()
    vi.remove(list(range(1, 1_999)))  # two survive
    vi.seq = 1
    assert vi.save()
    again = VectorIndex(tmp_path / "a", 16, "e", flat_max=100, store_id="s", approx="ivf")
    assert again.load() and len(again) == 2 and again.kind == "ivf"
    # the twin's codebooks are the ones trained with the index, not the survivors'
    np.testing.assert_array_equal(again._codebooks(), codebooks)
    again.add(list(range(3_001, 4_001)), x[2_000:])
    vi.add(list(range(3_001, 4_001)), x[2_000:])  # the same, never saved and loaded
    queries = _unit(50, 16, seed=6)
    assert (recall_against_exact(again, queries, 10, 50)
            == recall_against_exact(vi, queries, 10, 50))
    again.remove(again.ids() and sorted(again.ids()))  # every vector gone
    again.seq = 2
    assert again.save()
    empty = VectorIndex(tmp_path / "a", 16, "e", flat_max=100, store_id="s", approx="ivf")
    assert empty.load() and len(empty) == 0 and empty.kind == "ivf"
    assert empty.search(x[:1], 5)[1][0].tolist() == [-1] * 5
    empty.add([7], x[:1])
    assert empty.search(x[:1], 1)[1][0][0] == 7
    # A flat_max below FAISS's 16 lists: never more lists than training points.
    tiny = VectorIndex(tmp_path / "b", 16, "e", flat_max=5, approx="ivf")
    for pk in range(1, 21):  # crosses flat_max at 6 vectors: 6 lists, not 16
        tiny.add([pk], x[pk - 1:pk])
    assert tiny.kind == "ivf" and tiny._index.nlist == 6
    assert tiny.search(x[3:4], 1)[1][0][0] == 4
    # A meta file that lost the codebooks (or says nonsense) is rebuilt, not trusted.
    meta = json.loads(empty.meta_path.read_text())
    for broken in ({**meta, "codebooks": "AAAA"}, {**meta, "codebooks": "not base64!"},
                   {k: v for k, v in meta.items() if k != "codebooks"},
                   {**meta, "trained_n": "x"}):
        empty.meta_path.write_text(json.dumps(broken))
        assert not VectorIndex(tmp_path / "a", 16, "e", flat_max=100, store_id="s",
                               approx="ivf").load()
