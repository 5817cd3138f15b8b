"""Fixtures of the assistant tests: no developer LLM settings, a store folder, and a fake
OpenAI-compatible chat server on loopback (streaming and plain replies)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="session", autouse=True)
def _one_torch_thread() -> Iterator[None]:
    """One question at a time: a second intra-op thread only waits on a shared CI machine."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(autouse=True)
def _no_llm_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("MEMOS_LLM_URL", "MEMOS_LLM_MODEL", "MEMOS_LLM_KEY"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def store_path(tmp_path: Path) -> str:
    return str(tmp_path / "store")


@dataclass
class FakeLLM:
    """What the fake server was asked, and how it answers."""

    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    answer: Callable[[dict[str, Any]], str] = lambda body: "You live in Porto."
    pieces: int = 3  # chunks a streamed answer is cut into
    fail: bool = False  # answer HTTP 500

    @property
    def streamed(self) -> list[bool]:
        return [bool(r.get("stream")) for r in self.requests]


def _handler(fake: FakeLLM) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            fake.requests.append(body)
            if fake.fail or not self.path.endswith("/chat/completions"):
                self.send_response(500)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"error": {"message": "boom", "type": "server_error"}}')
                return
            text = fake.answer(body)
            model = body.get("model", "fake")
            if not body.get("stream"):
                payload = {"id": "c1", "object": "chat.completion", "created": 0,
                           "model": model, "choices": [{
                               "index": 0, "finish_reason": "stop",
                               "message": {"role": "assistant", "content": text}}]}
                data = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            size = max(1, -(-len(text) // fake.pieces))
            chunks = [text[i:i + size] for i in range(0, len(text), size)]
            for i, piece in enumerate([*chunks, None]):
                delta = {"content": piece} if piece is not None else {}
                if i == 0:
                    delta["role"] = "assistant"
                event = {"id": "c1", "object": "chat.completion.chunk", "created": 0,
                         "model": model, "choices": [{
                             "index": 0, "delta": delta,
                             "finish_reason": None if piece is not None else "stop"}]}
                self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
                self.wfile.flush()
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()

    return Handler


@pytest.fixture
def fake_llm() -> Iterator[FakeLLM]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    fake = FakeLLM(url=f"http://127.0.0.1:{server.server_address[1]}/v1")
    server.RequestHandlerClass = _handler(fake)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
