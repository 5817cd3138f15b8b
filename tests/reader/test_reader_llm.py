"""mode="llm" against a fake OpenAI-compatible server on loopback (conftest.FakeLLM)."""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime
from typing import Any

import pytest

from memos import MemOS
from memos.cube import Lifecycle
from memos.errors import InvalidInputError

T1 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
MESSAGES = [{"role": "user", "content": "I live in Lisbon and my sister Ana works at Feedzai."},
            {"role": "assistant", "content": "Nice!"},
            {"role": "user", "content": "I'm allergic to peanuts."}]
VALID = json.dumps({"facts": [
    {"turn": 0, "about": "speaker", "attribute": "city", "value": "Lisbon"},
    {"turn": 0, "about": "speaker", "attribute": "sister's name", "value": "Ana"},
    {"turn": 0, "about": "Ana", "attribute": "employer", "value": "Feedzai"},
    {"turn": 2, "about": "speaker", "attribute": "allergy", "value": "peanuts",
     "date": "2026-02-27"}]})


def facts(mem: MemOS, ids: list[str]) -> list[str]:
    return sorted(mem.get(i, "alice").content for i in ids)


def test_valid_output_becomes_facts(mem: MemOS, fake_llm: Any) -> None:
    fake_llm.replies = [VALID]
    report = mem.ingest(MESSAGES, "alice", session_id="s1", at=T1, mode="llm")
    assert report.mode == "llm" and not report.failed and len(report.episodes) == 3
    assert facts(mem, report.facts) == [
        "Alice's allergy is peanuts.", "Alice's city is Lisbon.",
        "Alice's sister's name is Ana.", "Ana's employer is Feedzai."]
    allergy = next(mem.get(i, "alice") for i in report.facts
                   if "allergy" in mem.get(i, "alice").content)
    assert allergy.valid_from.date().isoformat() == "2026-02-27"  # the date the LLM gave
    assert allergy.metadata["reader"] == "llm"
    assert {s.ref for s in allergy.sources if s.kind == "message"} == {"s1#2"}
    [request] = fake_llm.requests
    assert request["model"] == "fake-model"
    assert request["response_format"]["type"] == "json_schema"  # structured output asked
    sent = request["messages"][1]["content"]
    assert "[0] 2026-03-01 Alice: I live in Lisbon" in sent and "Nice!" not in sent


def test_invalid_then_valid_is_retried_once(mem: MemOS, fake_llm: Any) -> None:
    fake_llm.replies = ["Sure! Here are the facts: city Lisbon", VALID]
    report = mem.ingest(MESSAGES, "alice", session_id="s1", at=T1, mode="llm")
    assert not report.failed and len(report.facts) == 4
    assert len(fake_llm.requests) == 2
    retry = fake_llm.requests[1]["messages"]
    assert retry[-2]["content"].startswith("Sure!")
    assert "not JSON" in retry[-1]["content"]


def test_a_fact_naming_a_turn_not_sent_is_invalid(mem: MemOS, fake_llm: Any) -> None:
    bad = json.dumps({"facts": [{"turn": 1, "about": "speaker", "attribute": "city",
                                 "value": "Lisbon"}]})  # turn 1 is the assistant's
    fake_llm.replies = [bad, VALID]
    report = mem.ingest(MESSAGES, "alice", session_id="s1", at=T1, mode="llm")
    assert not report.failed and len(fake_llm.requests) == 2
    assert "turns [1]" in fake_llm.requests[1]["messages"][-1]["content"]


def test_invalid_twice_keeps_the_turns_and_reports(mem: MemOS, fake_llm: Any) -> None:
    fake_llm.replies = ['{"facts": [{"turn": 0}]}']  # repeated: misses required fields
    report = mem.ingest(MESSAGES, "alice", session_id="s1", at=T1, mode="llm")
    assert len(fake_llm.requests) == 2  # one retry, no more
    assert report.facts == [] and len(report.episodes) == 3
    assert [(f.turn, f.stage) for f in report.failed] == [(0, "llm"), (2, "llm")]
    assert "invalid output twice" in report.failed[0].error
    assert [mem.get(i, "alice").content for i in report.episodes][0].startswith("Alice: I live")


def test_server_down_keeps_the_turns_and_reports(mem: MemOS,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("MEMOS_LLM_URL", f"http://127.0.0.1:{port}/v1")
    monkeypatch.setenv("MEMOS_LLM_MODEL", "fake-model")
    report = mem.ingest(MESSAGES, "alice", session_id="s1", at=T1, mode="llm")
    assert report.facts == [] and len(report.episodes) == 3
    assert [(f.turn, f.stage) for f in report.failed] == [(0, "llm"), (2, "llm")]
    assert "Connection" in report.failed[0].error
    assert mem.stats().live == 3


def test_structured_output_refused_falls_back_to_plain_json(mem: MemOS,
                                                            fake_llm: Any) -> None:
    fake_llm.replies = [(400, {"error": {"message": "response_format is not supported",
                                         "type": "invalid_request_error"}}), VALID]
    report = mem.ingest(MESSAGES, "alice", session_id="s1", at=T1, mode="llm")
    assert not report.failed and len(report.facts) == 4
    first, second = fake_llm.requests
    assert "response_format" in first and "response_format" not in second


def test_fenced_json_is_accepted(mem: MemOS, fake_llm: Any) -> None:
    fake_llm.replies = [f"```json\n{VALID}\n```"]
    report = mem.ingest(MESSAGES, "alice", session_id="s1", at=T1, mode="llm")
    assert not report.failed and len(report.facts) == 4


def test_llm_negation_ends_a_rules_fact(mem: MemOS, fake_llm: Any) -> None:
    [peanuts] = mem.ingest([MESSAGES[2]], "alice", session_id="s0", at=T1).facts
    fake_llm.replies = [json.dumps({"facts": [{"turn": 0, "about": "speaker",
                                               "attribute": "allergy", "value": "peanuts",
                                               "negated": True}]})]
    report = mem.ingest([{"role": "user", "content": "Peanuts are fine for me now."}],
                        "alice", session_id="s1", mode="llm")
    assert report.ended == [peanuts]
    assert mem.get(peanuts, "alice").state == Lifecycle.SUPERSEDED


def test_llm_mode_needs_configuration(mem: MemOS, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MEMOS_LLM_URL", raising=False)
    monkeypatch.delenv("MEMOS_LLM_MODEL", raising=False)
    with pytest.raises(InvalidInputError, match="MEMOS_LLM_URL"):
        mem.ingest(MESSAGES, "alice", session_id="s1", mode="llm")
    assert mem.stats().cubes == 0
