"""`memos eval assistant` (scenario suite) and `memos eval locomo --answer` (token F1)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from memos.assistant import LLMConfig
from memos.errors import InvalidInputError
from memos.eval.assistant_eval import is_right, load_scenarios, normalize, run_scenarios
from memos.eval.locomo_answer import (
    adversarial_right,
    evaluate_answers,
    load_qa,
    normalize_answer,
    token_f1,
)


def test_locomo_normalisation_and_token_f1() -> None:
    assert normalize_answer("The Adoption agencies, an LGBTQ group!") == \
        "adoption agencies lgbtq group"
    assert token_f1("7 May 2023", "7 May 2023") == 1.0
    assert token_f1("On 8 May 2023 she went", "7 May 2023") == pytest.approx(2 * (2 / 6) * (2 / 3) / (2 / 6 + 2 / 3))
    assert token_f1("nothing in common", "7 May") == 0.0
    assert token_f1("the", "a") == 1.0  # both empty after normalisation
    assert adversarial_right("No information available.") and not adversarial_right("Paris")


def test_scenario_scoring_needs_the_value_and_none_of_the_wrong_ones() -> None:
    assert normalize("Your phone number is +44 7700 900123.") == \
        "your phone number is +44 7700 900123"
    assert is_right("Your city is Porto.", "Porto", ["Lisbon"])
    assert not is_right("Porto, not Lisbon", "Porto", ["Lisbon"])
    assert not is_right("Your city is Portobello.", "Porto", [])  # whole words only
    assert is_right("I don't have anything about that yet.", None, ["Augusta"])


def test_the_shipped_suite_loads() -> None:
    scenarios = load_scenarios()
    tags = {t for s in scenarios for t in s.tags}
    assert {"correction", "dates", "people", "isolation", "forget"} <= tags
    assert len({s.user for sc in scenarios for s in sc.sessions}) >= 10
    assert sum(len(s.questions) for s in scenarios) >= 30


@pytest.mark.parametrize(("suite", "questions"), [("blind-a", 68), ("blind-b", 59),
                                                  ("blind-c", 62), ("blind-d", 45),
                                                  ("blind-e", 70)])
def test_the_suites_written_blind_stay_answered(suite: str, questions: int) -> None:
    # Written from the docs alone by another author; their first (blind) scores were 0.81,
    # 0.64, 0.97, 0.96 and 0.99 (docs/RESULTS.md). Floors below today's, so a regression fails here.
    from memos.eval.assistant_eval import evaluate_assistant

    report = evaluate_assistant(suite)
    assert report.questions >= questions
    assert report.accuracy >= 0.9, [(o.ask, o.reply) for o in report.outcomes if not o.right]


def test_a_scenario_runs_across_reopened_stores(tmp_path: Path) -> None:
    path = tmp_path / "scenarios.json"
    path.write_text(json.dumps({"scenarios": [{
        "name": "move", "tags": ["correction", "isolation"],
        "sessions": [
            {"user": "alice", "at": "2026-03-03T09:00:00Z", "turns": ["I live in Lisbon."]},
            {"user": "bob", "at": "2026-03-04T09:00:00Z", "turns": ["I live in Oslo."]},
            {"user": "alice", "at": "2026-05-12T09:00:00Z", "turns": ["I moved to Porto."]}],
        "questions": [
            {"user": "alice", "at": "2026-06-01T09:00:00Z", "ask": "Where do I live?",
             "expect": "Porto", "not": ["Lisbon"]},
            {"user": "bob", "at": "2026-06-01T09:00:00Z", "ask": "Where do I live?",
             "expect": "Oslo", "not": ["Porto", "Lisbon"]},
            {"user": "bob", "at": "2026-06-01T09:00:00Z", "ask": "What is my email?",
             "expect": "bob@example.org"}]}]}))
    report = run_scenarios(load_scenarios(path), backend="extractive", end_sessions=False)
    assert [o.right for o in report.outcomes] == [True, True, False]  # no email was told
    assert report.accuracy == pytest.approx(2 / 3, abs=1e-3) and report.questions == 3
    assert report.by_tag == {"correction": pytest.approx(2 / 3, abs=1e-3), "isolation": pytest.approx(2 / 3, abs=1e-3)}
    with pytest.raises(InvalidInputError, match="not a scenario file"):
        path.write_text('{"scenarios": [{"name": "x"}]}')
        load_scenarios(path)


def _locomo(tmp_path: Path) -> Path:
    sample = {
        "sample_id": "conv-t",
        "conversation": {
            "speaker_a": "Caroline", "speaker_b": "Melanie",
            "session_1_date_time": "1:56 pm on 8 May, 2023",
            "session_1": [
                {"speaker": "Caroline", "dia_id": "D1:1",
                 "text": "I went to the LGBTQ support group yesterday."},
                {"speaker": "Melanie", "dia_id": "D1:2", "text": "I painted a sunrise last year."},
                {"speaker": "Caroline", "dia_id": "D1:3", "text": "I'm researching adoption agencies."}],
        },
        "qa": [
            {"question": "When did Caroline go to the LGBTQ support group?",
             "answer": "7 May 2023", "evidence": ["D1:1"], "category": 2},
            {"question": "What did Caroline research?", "answer": "Adoption agencies",
             "evidence": ["D1:3"], "category": 1},
            {"question": "What did Melanie paint?", "answer": "a sunrise",
             "evidence": ["D1:2"], "category": 4},
            {"question": "What did Caroline paint?", "adversarial_answer": "a sunrise",
             "evidence": ["D1:2"], "category": 5},
        ],
    }
    path = tmp_path / "locomo.json"
    path.write_text(json.dumps([sample]))
    return path


def test_locomo_answers_score_every_question(tmp_path: Path) -> None:
    path = _locomo(tmp_path)
    assert [q.category for q in load_qa(path)["conv-t"]] == [2, 1, 4, 5]
    report = evaluate_answers(path, embedder="hashing")
    assert report.questions == 4 and report.backends == {"extractive": 4}
    assert set(report.f1_by_category) == {"1 multi-hop", "2 temporal", "4 single-hop"}
    assert report.f1_by_category["4 single-hop"] > 0  # the reply quotes "a sunrise"
    assert report.adversarial_accuracy == 0.0  # it never says "not mentioned"
    assert report.context_words["mean"] > 0 and report.judge_accuracy is None
    assert "sunrise" in report.examples[2]["reply"]


def test_locomo_answers_with_an_llm_are_judged(tmp_path: Path, fake_llm: Any) -> None:
    def answer(body: dict[str, Any]) -> str:
        prompt = body["messages"][-1]["content"]
        if prompt.startswith("You grade answers"):
            return "CORRECT" if "Answer to grade: 7 May 2023" in prompt else "WRONG"
        return "7 May 2023"

    fake_llm.answer = answer
    cfg = LLMConfig(url=fake_llm.url, model="judge")
    report = evaluate_answers(_locomo(tmp_path), embedder="hashing", llm=cfg)
    assert report.backends == {"llm": 4} and report.judge_model == "judge"
    assert report.f1_by_category["2 temporal"] == 1.0
    assert report.judge_accuracy == 1.0  # every reply is "7 May 2023", the judge says so
