from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from memos.errors import InvalidInputError
from memos.eval.locomo_data import (
    load_locomo,
    normalize_dia_id,
    parse_session_date,
    percentile,
    recall_at_k,
    recall_within_budget,
    turn_context,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("D1:3", ["D1:3"]),
        ("D:11:26", ["D11:26"]),
        ("D1: 3", ["D1:3"]),
        ("D8:6; D9:17", ["D8:6", "D9:17"]),
        ("D01:003", ["D1:3"]),
        ("D", []),
        ("", []),
        ("session 1", []),
    ],
)
def test_normalize_dia_id(raw: str, expected: list[str]) -> None:
    assert normalize_dia_id(raw) == expected


def test_parse_session_date() -> None:
    assert parse_session_date("1:56 pm on 8 May, 2023") == datetime(2023, 5, 8, 13, 56, tzinfo=UTC)
    assert parse_session_date("10:00 am on 3 June, 2023") == datetime(2023, 6, 3, 10, 0, tzinfo=UTC)
    assert parse_session_date("someday") is None
    assert parse_session_date(None) is None


def test_load_keeps_turns_and_evidence_questions(tiny_locomo: Path) -> None:
    (conv,) = load_locomo(tiny_locomo)
    assert conv.sample_id == "tiny-1"
    assert [t.dia_id for t in conv.turns] == ["D1:1", "D1:2", "D1:3", "D1:4",
                                              "D2:1", "D2:2", "D2:3", "D2:4"]
    assert conv.turns[4].session == 2
    assert conv.turns[4].session_date == datetime(2023, 6, 3, 10, 0, tzinfo=UTC)
    # category 5 and the question without evidence are not retrieval questions
    assert [q.category for q in conv.questions] == [4, 4, 2, 1]
    by_text = {q.text: q.evidence for q in conv.questions}
    assert by_text["What is the name of Ana's kitten?"] == ("D1:3",)  # "D:1:3" normalised
    assert by_text["When does Ben go to pottery class?"] == ("D2:1", "D2:3")  # split on ';'
    assert by_text["Which city is Ana's marathon in?"] == ("D2:4",)  # D9:99 names no turn


def test_turn_content_includes_photo_caption(tiny_locomo: Path) -> None:
    (conv,) = load_locomo(tiny_locomo)
    assert conv.turns[1].content() == "Ben: Great, I went kayaking on the river with my cousin."
    assert conv.turns[2].content().endswith("[shares a photo: a photo of a small grey cat on a sofa]")


def test_turn_context_stays_within_session(tiny_locomo: Path) -> None:
    (conv,) = load_locomo(tiny_locomo)
    ctx = turn_context(conv.turns, 3, window=2)  # D1:4, last turn of session 1
    assert "kayaking" in ctx and "Pixel" in ctx
    assert "pottery" not in ctx  # D2:1 is the next turn but another session
    assert "Send more pictures" not in ctx  # the turn itself is not its own context
    assert turn_context(conv.turns, 0, window=0) == ""


def test_load_rejects_missing_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="not found"):
        load_locomo(tmp_path / "absent.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="not valid JSON"):
        load_locomo(bad)
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps([{"qa": []}]), encoding="utf-8")
    with pytest.raises(InvalidInputError, match="does not look like LoCoMo"):
        load_locomo(wrong)


def test_recall_at_k_is_fraction_of_evidence_in_first_k() -> None:
    ranked = ["D1:5", "D1:2", "D2:1", "D1:3"]
    assert recall_at_k(ranked, ["D1:2"], 2) == 1.0
    assert recall_at_k(ranked, ["D1:2"], 1) == 0.0
    assert recall_at_k(ranked, ["D1:2", "D1:3"], 3) == 0.5
    assert recall_at_k(ranked, ["D1:2", "D1:3"], 10) == 1.0
    with pytest.raises(InvalidInputError):
        recall_at_k(ranked, [], 3)


def test_recall_within_budget_stops_at_first_overflowing_hit() -> None:
    ranked = [("a", "one two three"), ("b", "four five six seven eight"), ("c", "nine")]
    assert recall_within_budget(ranked, ["a"], 3) == 1.0
    # b would take the total to 8 words > 7: the walk stops there, c is not reached
    assert recall_within_budget(ranked, ["c"], 7) == 0.0
    assert recall_within_budget(ranked, ["b", "c"], 9) == 1.0
    assert recall_within_budget(ranked, ["a", "b"], 2) == 0.0
    assert recall_within_budget(ranked, ["a", "b"], 8) == 1.0


def test_percentile_interpolates() -> None:
    assert percentile([], 50) == 0.0
    assert percentile([3.0], 95) == 3.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile(list(range(101)), 95) == 95.0
