"""Fixtures of the reader tests: a fake OpenAI-compatible server on loopback and a runner
of the real `memos` entry point."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


class QuietServer(ThreadingHTTPServer):
    """A client that gave up (a timeout) is no error of a fake server's: socketserver would
    print the broken pipe's traceback on stderr, from a thread, into whichever test then
    captures stderr. Handler threads are daemons: one left hanging does not hold the close."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class FakeLLM:
    """Answers POST /v1/chat/completions with the scripted replies, in order (the last one
    repeats). A reply is a string (the message content) or (status, body) for an error.
    Every request body is kept in `requests`."""

    def __init__(self) -> None:
        self.replies: list[Any] = []
        self.requests: list[dict[str, Any]] = []
        handler = self._handler()
        self.closing = threading.Event()  # set by close: a handler left waiting returns
        self.server = QuietServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def _next(self) -> Any:
        if not self.replies:
            return '{"facts": []}'
        return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append(body)
                reply = fake._next()
                if isinstance(reply, tuple):
                    status, payload = reply
                    data = json.dumps(payload).encode()
                else:
                    status = 200
                    data = json.dumps({
                        "id": "chatcmpl-test", "object": "chat.completion", "created": 0,
                        "model": body.get("model", "fake"),
                        "choices": [{"index": 0, "finish_reason": "stop",
                                     "message": {"role": "assistant", "content": reply}}],
                        "usage": {"prompt_tokens": 1, "completion_tokens": 1,
                                  "total_tokens": 2}}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler

    def close(self) -> None:
        self.closing.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


class TrickleLLM(FakeLLM):
    """A server that never finishes its answer: it takes each POST, sends `start` (raw bytes:
    the status line and headers, perhaps part of the body), then `drip` every `every` seconds
    until the client goes or `close` is called (so its handler threads end with the test)."""

    def __init__(self, start: bytes, drip: bytes, every: float = 0.05) -> None:
        self.start, self.drip, self.every = start, drip, every
        super().__init__()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        slow = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                slow.requests.append(json.loads(self.rfile.read(
                    int(self.headers["Content-Length"]))))
                self.close_connection = True
                try:
                    self.wfile.write(slow.start)
                    while not slow.closing.wait(slow.every):
                        self.wfile.write(slow.drip)
                except OSError:  # the client went
                    pass

        return Handler


@pytest.fixture
def fake_llm(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeLLM]:
    fake = FakeLLM()
    monkeypatch.setenv("MEMOS_LLM_URL", fake.url)
    monkeypatch.setenv("MEMOS_LLM_MODEL", "fake-model")
    monkeypatch.setenv("MEMOS_LLM_KEY", "test-key")
    yield fake
    fake.close()
