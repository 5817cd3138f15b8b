"""Speed benchmarks of memos (`memos bench ...`). Numbers go to docs/BENCHMARKS.md."""

from memos.bench.corpus import synthetic_queries, synthetic_sentences
from memos.bench.retrieval import RetrievalBenchReport, SizePoint, run_retrieval_bench

__all__ = [
    "RetrievalBenchReport",
    "SizePoint",
    "run_retrieval_bench",
    "synthetic_queries",
    "synthetic_sentences",
]
