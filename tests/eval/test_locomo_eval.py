"""The LoCoMo evaluation end to end through the SDK, on made-up data and (when present) real data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from memos.errors import InvalidInputError
from memos.eval.locomo import evaluate_locomo, resolve_embedder

REAL_DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "locomo" / "locomo_dev.json"
# BM25 over raw "speaker: text" turns on the five dev conversations (issue 2).
BM25_REFERENCE_R500W = 0.604


def test_tiny_conversation_is_found(tiny_locomo: Path, tmp_path: Path) -> None:
    progress: list[tuple[int, int | None]] = []
    report = evaluate_locomo(tiny_locomo, k=3, budget_words=40, embedder="hashing",
                             store_dir=tmp_path / "store",
                             progress=lambda d, t: progress.append((d, t)))
    assert report.questions == 4
    assert set(report.overall) == {"R@3", "R@40w", "R@2000w"}
    assert set(report.by_conversation) == {"tiny-1"}
    assert set(report.by_category) == {"1", "2", "4"}
    assert report.questions_by_category == {"1": 1, "2": 1, "4": 2}
    # Single-hop questions with a distinctive word ("cousin", "kitten") are answered in the top 3.
    assert report.by_category["4"]["R@3"] == 1.0
    assert 0.0 <= report.overall["R@40w"] <= 1.0
    assert report.latency_ms["p95"] >= report.latency_ms["p50"] > 0.0
    assert progress[-1] == (8 + 4, 8 + 4)  # 8 turns ingested + 4 questions asked
    assert report.embedder.startswith("hashing")


def test_budget_limits_recall(tiny_locomo: Path, tmp_path: Path) -> None:
    tiny = evaluate_locomo(tiny_locomo, k=1, budget_words=1, embedder="hashing",
                           store_dir=tmp_path / "a")
    # No turn has a single word: nothing fits in a 1-word budget.
    assert tiny.overall["R@1w"] == 0.0
    roomy = evaluate_locomo(tiny_locomo, k=8, budget_words=10_000, embedder="hashing",
                            store_dir=tmp_path / "b")
    # With every turn returned and no budget pressure, all evidence is found.
    assert roomy.overall == {"R@8": 1.0, "R@10000w": 1.0, "R@2000w": 1.0}


def test_bad_arguments(tiny_locomo: Path, tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError):
        evaluate_locomo(tiny_locomo, k=0, embedder="hashing")
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "x").write_text("x")
    with pytest.raises(InvalidInputError, match="not empty"):
        evaluate_locomo(tiny_locomo, embedder="hashing", store_dir=busy)


def test_auto_embedder_resolves_to_a_known_name() -> None:
    name, note = resolve_embedder("auto")
    assert name in {"minilm", "hashing"}
    assert (note is None) == (name == "minilm")
    assert resolve_embedder("hashing") == ("hashing", None)


def test_auto_falls_back_to_hashing_with_a_note(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    name, note = resolve_embedder("auto")
    assert name == "hashing"
    assert note is not None and "memos-os[embed]" in note


def test_cli_json_shape(tiny_locomo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from memos.cli.app import main

    main(["eval", "locomo", "--data", str(tiny_locomo), "--k", "5", "--budget-words", "60",
          "--embedder", "hashing", "--json"])
    out = json.loads(capsys.readouterr().out)  # exactly one JSON object on stdout
    assert set(out) == {"overall", "by_category", "by_conversation", "latency_ms"}
    assert set(out["overall"]) == {"R@5", "R@60w", "R@2000w"}
    assert set(out["by_category"]) == {"1", "2", "4"}
    assert all(set(v) == {"R@5", "R@60w", "R@2000w"} for v in out["by_category"].values())
    assert set(out["by_conversation"]) == {"tiny-1"}
    assert set(out["latency_ms"]) == {"p50", "p95"}


def test_retrieval_settings_for_ablations(tiny_locomo: Path, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    from memos.cli.app import main
    from memos.eval.locomo import retrieval_overrides

    assert retrieval_overrides({}) is None
    cfg = retrieval_overrides({"speaker_weight": "0", "fold_derived": "false"})
    assert cfg is not None and cfg.speaker_weight == 0.0 and cfg.fold_derived is False
    with pytest.raises(InvalidInputError, match="unknown retrieval setting"):
        retrieval_overrides({"speeker_weight": 0})
    with pytest.raises(InvalidInputError, match="bad retrieval setting"):
        retrieval_overrides({"speaker_weight": "-1"})
    main(["eval", "locomo", "--data", str(tiny_locomo), "--embedder", "hashing", "--json",
          "--wide-budget-words", "30", "--retrieval", "session_weight=0"])
    out = json.loads(capsys.readouterr().out)
    assert set(out["overall"]) == {"R@10", "R@500w", "R@30w"}


def test_cli_table(tiny_locomo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from memos.cli.app import main

    main(["eval", "locomo", "--data", str(tiny_locomo), "--embedder", "hashing"])
    out = capsys.readouterr().out
    assert "R@10" in out and "R@500w" in out and "R@2000w" in out and "overall" in out
    assert "p95" in out


@pytest.mark.skipif(not REAL_DATA.is_file(), reason="LoCoMo dev data not present")
def test_real_conversation_beats_bm25_reference(tmp_path: Path) -> None:
    # One conversation with the hashing embedder keeps this fast; the recipe's gain over raw
    # BM25 (context-indexed turns, stemming, stopword-free queries) holds without MiniLM.
    report = evaluate_locomo(REAL_DATA, embedder="hashing", conversations=1,
                             store_dir=tmp_path / "store", wide_budget_words=500)
    assert report.questions > 100
    assert report.overall["R@500w"] > BM25_REFERENCE_R500W
