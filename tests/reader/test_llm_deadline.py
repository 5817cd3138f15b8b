"""mode="llm" against a server that never finishes its answer but keeps sending bytes (one
byte of the headers or of the body at a time): httpx's timeouts start again with every
byte, so only the request's total deadline ends it. It ends as a timeout, the later chunks
are not sent, every turn is stored, and no thread is left behind."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest

from memos import MemOS
from memos.cube import Scope
from tests.reader.conftest import TrickleLLM

T1 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
DEADLINE = 0.5
HEADERS = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
           b"Content-Length: 1000000\r\n\r\n{\"id\": \"c\", ")


def deadline_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("memos-llm-deadline")]


@pytest.mark.parametrize(("start", "drip"), [
    (b"HTTP/1.1 200 OK\r\nX-Slow: ", b"a"),  # headers that never end
    (HEADERS, b" "),  # a JSON body that never ends (white space is JSON)
], ids=["headers", "body"])
def test_a_server_that_trickles_bytes_times_out_once(mem: MemOS, start: bytes,
                                                     drip: bytes) -> None:
    from memos.reader.ingest import ingest_messages
    from memos.reader.llm import LLMExtractor

    slow = TrickleLLM(start, drip)
    messages = [{"role": "user", "content": f"I like thing {i}."} for i in range(40)]
    try:
        began = time.monotonic()
        report = ingest_messages(mem, messages, Scope(user_id="alice"), session_id="s1",
                                 at=T1, mode="llm",
                                 llm=LLMExtractor(slow.url, "m", deadline=DEADLINE))
        took = time.monotonic() - began
    finally:
        slow.close()
    assert took < 20 * DEADLINE  # bounded (it was not before: the server never stops)
    assert len(slow.requests) == 1 and len(report.episodes) == 40
    assert [f.turn for f in report.failed] == list(range(40))
    assert "APITimeoutError" in report.failed[0].error
    assert f"within {DEADLINE:g} s in all (MEMOS_LLM_DEADLINE)" in report.failed[0].error
    assert report.failed[-1].error.startswith("not sent: APITimeoutError")
    assert mem.stats().live == 40
    assert not deadline_threads()


@pytest.mark.parametrize("raw", ["0", "-5", "abc", "nan", "inf", "86401"])
def test_a_bad_deadline_setting_is_refused_saying_what_to_set(raw: str) -> None:
    from memos.assistant import LLMConfig
    from memos.errors import InvalidInputError
    from memos.reader.llm import deadline_from_env

    env = {"MEMOS_LLM_URL": "http://127.0.0.1:9/v1", "MEMOS_LLM_MODEL": "m",
           "MEMOS_LLM_DEADLINE": raw}
    with pytest.raises(InvalidInputError, match="MEMOS_LLM_DEADLINE must be"):
        deadline_from_env(env)
    with pytest.raises(InvalidInputError, match="MEMOS_LLM_DEADLINE must be"):
        LLMConfig.from_env(env)
    with pytest.raises(InvalidInputError, match="LLMConfig deadline must be"):
        LLMConfig(url="http://127.0.0.1:9/v1", model="m", deadline=float(raw)
                  if raw not in ("abc",) else raw)  # type: ignore[arg-type]


def test_the_deadline_setting_reaches_both_readers_of_the_llm(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from memos.assistant import LLMConfig
    from memos.reader.llm import DEADLINE_S, LLMExtractor

    env = {"MEMOS_LLM_URL": "http://127.0.0.1:9/v1", "MEMOS_LLM_MODEL": "m"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    cfg = LLMConfig.from_env()
    assert cfg is not None and cfg.deadline == DEADLINE_S
    assert LLMExtractor.from_env().deadline == DEADLINE_S
    monkeypatch.setenv("MEMOS_LLM_DEADLINE", "900")
    cfg = LLMConfig.from_env()
    assert cfg is not None and cfg.deadline == 900.0
    assert LLMExtractor.from_env().deadline == 900.0
