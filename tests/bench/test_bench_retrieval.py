from __future__ import annotations

import json
from pathlib import Path

import pytest

from memos.bench.corpus import synthetic_queries, synthetic_sentences
from memos.bench.retrieval import checkpoints_for, run_retrieval_bench
from memos.errors import InvalidInputError


def test_corpus_is_seeded_varied_and_unique() -> None:
    a = list(synthetic_sentences(500, seed=3))
    assert a == list(synthetic_sentences(500, seed=3))
    assert a != list(synthetic_sentences(500, seed=4))
    assert len(set(a)) == 500
    # Many distinct sentence shapes, not one template repeated.
    assert len({s.split()[1] for s in a}) > 10
    qs = synthetic_queries(50, seed=1)
    assert len(qs) == 50 and all(q.strip() for q in qs)


def test_checkpoints() -> None:
    assert checkpoints_for(200) == [200]
    assert checkpoints_for(10_000) == [10_000]
    assert checkpoints_for(100_000) == [10_000, 100_000]
    assert checkpoints_for(250_000) == [10_000, 100_000, 250_000]
    with pytest.raises(InvalidInputError):
        checkpoints_for(0)


def test_bench_at_tiny_size(tmp_path: Path) -> None:
    stages: set[str] = set()
    report = run_retrieval_bench(200, k=5, queries=10, batch_size=64,
                                 store_dir=tmp_path / "store",
                                 progress=lambda s, d, t: stages.add(s))
    assert stages == {"add", "search@200"}
    (point,) = report.points
    assert point.cubes == 200 and point.added == 200
    assert point.cubes_per_s > 0
    assert 0 < point.search_p50_ms <= point.search_p95_ms
    assert 0 <= point.search_cpu_p50_ms <= point.search_cpu_p95_ms
    assert 0 < point.faiss_p50_ms <= point.faiss_p95_ms
    assert 0 < point.embed_p50_ms <= point.embed_p95_ms
    assert 0 < point.cached_p50_ms <= point.cached_p95_ms
    assert point.vector_index in {"flat", "ivf"}  # the hashing embedder's choice
    data = report.to_json()
    json.dumps(data)  # plain JSON values only
    assert data["n"] == 200 and data["embedder"].startswith("hashing")
    assert data["points"][0]["cubes"] == 200


def test_bench_spreads_cubes_over_users(tmp_path: Path) -> None:
    """--users 3: each batch goes to the next user; the timed searches are the first one's,
    and every hit they return is hers."""
    from memos import MemOS
    from memos.bench.retrieval import BENCH_USER, _readable, synthetic_queries

    report = run_retrieval_bench(300, k=5, queries=4, batch_size=1_000, users=3,
                                 store_dir=tmp_path / "store")
    assert report.users == 3 and report.to_json()["users"] == 3
    point = report.points[0]
    assert point.search_p50_ms > 0 and point.faiss_p50_ms > 0
    assert point.recall_at_k == 1.0  # a flat index, among her rows: exact
    with MemOS.open(tmp_path / "store", embedder="hashing") as mem:
        counts = {user: mem.stats(user).cubes for user in
                  (BENCH_USER, f"{BENCH_USER}-1", f"{BENCH_USER}-2")}
        assert counts == {BENCH_USER: 100, f"{BENCH_USER}-1": 100, f"{BENCH_USER}-2": 100}
        assert _readable(mem).count == 100  # (the FAISS column and recall: her rows)
        for query in synthetic_queries(4, seed=1):
            hits = mem.search(query, BENCH_USER, k=5)
            assert hits and {h.cube.scope.user_id for h in hits} == {BENCH_USER}
    with pytest.raises(InvalidInputError, match="--users"):
        run_retrieval_bench(10, users=0)


def test_the_cached_pass_embeds_no_query_it_times(tmp_path: Path) -> None:
    """The `cached` column's searches find each query's vector remembered: the embedder
    runs only in the untimed pass that fills the cache, which is off again after."""
    from memos import MemOS
    from memos.bench.retrieval import BENCH_USER, _cached_searches

    queries = ["green tea with Alice", "a trip to Oslo", "ramen in Kyoto"]
    with MemOS.open(tmp_path / "store") as mem:
        mem.add_many(["Alice drinks green tea.", "Bob flew to Oslo.", "Ramen in Kyoto."],
                     scope=BENCH_USER)
        mem.config.retrieval.query_cache = 0
        embedded: list[str] = []
        embed = mem.embedder.embed

        def counting(texts: list[str]) -> object:
            embedded.extend(texts)
            return embed(texts)

        mem.embedder.embed = counting  # type: ignore[method-assign]
        timed: list[int] = []
        ms = _cached_searches(mem, queries, 2, lambda i: timed.append(len(embedded)))
        assert len(ms) == 3 and all(t > 0 for t in ms)
        assert embedded == queries and timed == [3, 3, 3]  # none while timed
        assert mem.config.retrieval.query_cache == 0
        mem.search("green tea", scope=BENCH_USER)
        assert embedded[-1] == "green tea"  # embedded again: the cache is off


def test_search_and_embedding_are_timed_side_by_side() -> None:
    """Each query's search and its embedding alone are timed one right after the other,
    which goes first alternating; every query gets both timings and one CPU time."""
    from memos.bench.retrieval import _side_by_side

    calls: list[tuple[str, str]] = []
    steps: list[int] = []
    cpu: list[float] = []
    search_ms, embed_ms = _side_by_side(lambda q: calls.append(("search", q)),
                                        lambda q: calls.append(("embed", q)),
                                        ["a", "b", "c"], steps.append, cpu)
    assert calls == [("search", "a"), ("embed", "a"), ("embed", "b"), ("search", "b"),
                     ("search", "c"), ("embed", "c")]
    assert len(search_ms) == len(embed_ms) == len(cpu) == 3 and steps == [1, 2, 3]


def test_cli_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from memos.cli.app import main

    main(["bench", "retrieval", "--n", "120", "--queries", "5", "--batch-size", "50", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert out["points"][0]["cubes"] == 120
    assert {"search_p95_ms", "faiss_p95_ms", "cubes_per_s"} <= set(out["points"][0])


def test_hard_corpus_is_seeded_distinct_and_asked_about() -> None:
    from memos.bench.corpus import hard_facts, hard_queries

    facts = list(hard_facts(400, seed=2))
    assert facts == list(hard_facts(400, seed=2)) and len(set(facts)) == 400
    assert all("'s " in f and " is " in f for f in facts)
    qs = hard_queries(30, seed=5, within=400, corpus_seed=2)
    assert len(qs) == 30 and len(set(qs)) > 20
    # Every question names a person and attribute of a stored fact, never the value.
    subjects = {f.split(" is ")[0] for f in facts}
    assert all(q.removeprefix("what is ") in subjects for q in qs)


def test_bench_hard_corpus_reports_recall_memory_and_beyond_embedding(tmp_path: Path) -> None:
    report = run_retrieval_bench(300, k=5, queries=8, batch_size=100, corpus="hard",
                                 store_dir=tmp_path / "store")
    (point,) = report.points
    assert report.corpus == "hard" and point.vector_index == "flat"
    assert point.recall_at_k == 1.0  # the flat index is exact
    assert 0 < point.beyond_embed_p50_ms <= point.beyond_embed_p95_ms
    assert point.beyond_embed_p50_ms <= point.search_p95_ms
    assert point.rss_peak_mb > 10 and point.disk_mb > 0.01
    data = report.to_json()
    assert data["corpus"] == "hard"
    assert {"recall_at_k", "rss_peak_mb", "disk_mb", "beyond_embed_p50_ms",
            "beyond_embed_p95_ms"} <= set(data["points"][0])


def test_index_bench_measures_hnsw_recall_against_exact() -> None:
    from memos.bench.retrieval import run_index_bench

    report = run_index_bench(1_500, k=10, queries=30, batch_size=250, corpus="hard",
                             ef_search=(16, 64), flat_max=400, ivf_probes=(1.0,),
                             vector_index="hnsw")
    # The IVF row probes all its lists: 1,500 // 39 of them (39 training points per list).
    assert [(p.vectors, p.index, p.ef_search, p.ef_policy) for p in report.points] == [
        (1_500, "hnsw", 16, "fixed"), (1_500, "hnsw", 64, "fixed"),
        (1_500, "ivf", 38, "compare")]
    assert report.approx == "hnsw"
    for p in report.points[:2]:
        assert 0.9 <= p.recall_at_k <= 1.0
        assert 0 < p.faiss_p50_ms <= p.faiss_p95_ms and p.add_per_s > 0 and p.file_mb > 1
        assert p.load_seconds > 0  # the saved files, opened again
        assert p.erase_seconds > 0
    assert report.points[2].recall_at_k == 1.0  # every list probed: exact


def test_index_bench_uses_the_embedders_index_by_default() -> None:
    from memos.bench.retrieval import run_index_bench

    report = run_index_bench(1_500, k=10, queries=30, batch_size=250, corpus="easy",
                             flat_max=400)
    (point,) = report.points
    # hashing: IVF, trained at 500 vectors on its fewest lists (16), all of them probed;
    # not quite exact even so: the 4-bit scan picks the candidates that are then ranked
    # exactly, and near-ties among hundreds of similar sentences can swap at its precision
    assert (report.approx, point.index, point.ef_policy) == ("ivf", "ivf", "auto")
    assert point.ef_search == 16 and point.recall_at_k >= 0.99
    # the files a load reads: the IVF (float32: 2.2 MiB of vectors) and its twin's codes
    # (4 bits a pair of dimensions: 96 bytes a vector)
    assert point.load_seconds > 0
    assert point.erase_seconds > 0  # a purge of a vector it was trained on: trained again
    assert point.file_mb >= round((1_500 * 384 * 4 + 1_500 * 96) / (1 << 20), 1)
    with pytest.raises(InvalidInputError, match="--vector-index"):
        run_index_bench(100, vector_index="annoy")


def test_bench_options_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    with pytest.raises(InvalidInputError, match="--embedder"):
        run_retrieval_bench(10, embedder="bert")
    with pytest.raises(InvalidInputError, match="--corpus"):
        run_retrieval_bench(10, corpus="medium")
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "sentence_transformers" else real(name, *a))
    with pytest.raises(InvalidInputError, match="embed"):
        run_retrieval_bench(10, embedder="minilm")


def test_cli_hard_corpus_and_index_only(capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from memos.cli.app import main

    monkeypatch.setenv("COLUMNS", "200")  # the whole table, headers unwrapped

    main(["bench", "retrieval", "--n", "150", "--queries", "4", "--batch-size", "50",
          "--corpus", "hard", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert out["corpus"] == "hard" and out["points"][0]["recall_at_k"] == 1.0
    main(["bench", "retrieval", "--index-only", "--n", "600", "--queries", "5", "--flat-max",
          "200", "--ef-search", "32,64", "--ef-construction", "40", "--vector-index", "hnsw"])
    text = capsys.readouterr().out
    assert "recall@10 vs exact" in text and "hnsw" in text and "efConstruction=40" in text
    with pytest.raises(SystemExit) as exit_info:
        main(["bench", "retrieval", "--index-only", "--n", "50", "--ef-search", "many"])
    assert exit_info.value.code != 0
    assert "--ef-search" in capsys.readouterr().err
