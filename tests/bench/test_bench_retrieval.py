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
    assert point.embed_p50_ms > 0
    assert point.vector_index in {"flat", "ivf"}
    data = report.to_json()
    json.dumps(data)  # plain JSON values only
    assert data["n"] == 200 and data["embedder"].startswith("hashing")
    assert data["points"][0]["cubes"] == 200


def test_cli_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from memos.cli.app import main

    main(["bench", "retrieval", "--n", "120", "--queries", "5", "--batch-size", "50", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert out["points"][0]["cubes"] == 120
    assert {"search_p95_ms", "faiss_p95_ms", "cubes_per_s"} <= set(out["points"][0])
