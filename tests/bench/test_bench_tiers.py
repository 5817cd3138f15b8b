"""`memos bench tiers` at a tiny size: every table is produced and self-consistent (no
timing is asserted: numbers come from the full run recorded in docs/BENCHMARKS.md)."""

from __future__ import annotations

import pytest

from memos.bench.tiers import run_tiers_bench
from memos.errors import InvalidInputError


@pytest.mark.slow
def test_bench_tiers_tiny():
    report = run_tiers_bench(sizes=(20, 40), k=4, questions=2, repeats=1, accuracy_facts=20,
                             accuracy_questions=5, styles=("random",), session_bytes=512,
                             trace_cubes=300, trace_recalls=600)
    conditions = {(p.facts, p.condition) for p in report.answer}
    assert conditions == {(n, c) for n in (20, 40)
                          for c in ("warm", "encode", "stuffed-k", "stuffed-all")}
    warm = [p for p in report.answer if p.condition == "warm"]
    assert all(p.exact_match == 1.0 and p.answers == 2 for p in warm)
    assert report.accuracy["random"]["questions"] == 5
    assert 0.0 <= report.accuracy["random"]["exact_match"] <= 1.0
    assert report.session["same_output"] is True and report.session["bytes"] == 512
    assert [(p.policy, p.budget_bytes > 0) for p in report.policies][:3] == \
        [("lru", True), ("lfu", True), ("cost", True)]
    assert all(0.0 <= p.hit_rate <= 1.0 and p.resident_bytes <= p.budget_bytes
               for p in report.policies)


def test_bench_tiers_rejects_bad_sizes():
    with pytest.raises(InvalidInputError):
        run_tiers_bench(sizes=(0,))
