"""`memos bench blobs` at a tiny size: all three ways produce their numbers from the same
real slots, and the scratch table is gone afterwards (no timing is asserted)."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, inspect

from memos.bench.blobs import run_blob_bench
from memos.errors import InvalidInputError


def _scratch_tables(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        return [t for t in inspect(engine).get_table_names() if t.startswith("memos_blob_bench")]
    finally:
        engine.dispose()


def test_bench_blobs_tiny(tmp_path):
    url = os.environ.get("MEMOS_TEST_PG_URL") or f"sqlite:///{tmp_path / 'scratch.db'}"
    before = set(_scratch_tables(url))  # another run on the same database keeps its own
    report = run_blob_bench(url=url, n=6, k=3, reads=3)
    assert report.backend in ("sqlite", "postgresql") and report.blobs == 6 and report.k == 3
    assert report.blob_bytes > 0
    assert set(report.read_ms) == {"file", "sql", "encode"} == set(report.read_p95_ms)
    assert set(report.write_ms) == {"file", "sql"}
    assert all(v > 0 for v in report.read_ms.values())
    assert set(_scratch_tables(url)) <= before


def test_bench_blobs_rejects_k_over_n():
    with pytest.raises(InvalidInputError):
        run_blob_bench(n=2, k=3)
