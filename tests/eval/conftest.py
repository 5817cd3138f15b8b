"""A tiny LoCoMo-format file made here (the real data set is licensed and never copied)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest


def tiny_sample() -> dict[str, Any]:
    """Two sessions between Ana and Ben, with questions whose evidence is known."""
    return {
        "sample_id": "tiny-1",
        "conversation": {
            "speaker_a": "Ana",
            "speaker_b": "Ben",
            "session_1_date_time": "1:56 pm on 8 May, 2023",
            "session_1": [
                {"speaker": "Ana", "dia_id": "D1:1", "text": "Hi Ben! How was your weekend?"},
                {"speaker": "Ben", "dia_id": "D1:2",
                 "text": "Great, I went kayaking on the river with my cousin."},
                {"speaker": "Ana", "dia_id": "D1:3", "text": "Nice! I adopted a grey kitten named Pixel.",
                 "blip_caption": "a photo of a small grey cat on a sofa"},
                {"speaker": "Ben", "dia_id": "D1:4", "text": "So cute. Send more pictures!"},
            ],
            "session_2_date_time": "10:00 am on 3 June, 2023",
            "session_2": [
                {"speaker": "Ben", "dia_id": "D2:1", "text": "I started a pottery class downtown."},
                {"speaker": "Ana", "dia_id": "D2:2", "text": "Which day do you go?"},
                {"speaker": "Ben", "dia_id": "D2:3", "text": "Every Thursday evening."},
                {"speaker": "Ana", "dia_id": "D2:4",
                 "text": "I am training for a marathon in Lisbon this autumn."},
            ],
        },
        "qa": [
            {"question": "What sport did Ben do with his cousin?", "answer": "kayaking",
             "evidence": ["D1:2"], "category": 4},
            {"question": "What is the name of Ana's kitten?", "answer": "Pixel",
             "evidence": ["D:1:3"], "category": 4},
            {"question": "When does Ben go to pottery class?", "answer": "Thursday",
             "evidence": ["D2:1; D2:3"], "category": 2},
            {"question": "Which city is Ana's marathon in?", "answer": "Lisbon",
             "evidence": ["D2:4", "D9:99"], "category": 1},
            {"question": "What did Ben eat?", "answer": "unanswerable",
             "evidence": ["D1:1"], "category": 5},
            {"question": "A question without evidence", "answer": "x", "evidence": [],
             "category": 3},
        ],
    }


@pytest.fixture
def tiny_locomo(tmp_path: Path) -> Path:
    path = tmp_path / "tiny_locomo.json"
    path.write_text(json.dumps([tiny_sample()]), encoding="utf-8")
    return path
