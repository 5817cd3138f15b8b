"""The HTTP protocol of `memos serve` sends what one step of the event loop writes to a
connection as one write: a response's headers and body leave together, in order, and
closing or ending the connection sends what waits first."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest

pytest.importorskip("uvicorn")

from memos.server.protocol import CorkedTransport  # noqa: E402


class FakeTransport:
    """Records the writes and calls that reach the transport underneath."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, bytes]] = []
        self.closing = False

    def write(self, data: bytes) -> None:
        self.calls.append(("write", bytes(data)))

    def write_eof(self) -> None:
        self.calls.append(("eof", b""))

    def close(self) -> None:
        self.calls.append(("close", b""))
        self.closing = True

    def abort(self) -> None:
        self.calls.append(("abort", b""))
        self.closing = True

    def is_closing(self) -> bool:
        return self.closing

    def get_write_buffer_size(self) -> int:
        return 7

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 5)}.get(name, default)


async def _step() -> None:
    await asyncio.sleep(0)  # one loop step: callbacks scheduled with call_soon run


def test_a_write_is_held_until_the_next_and_both_leave_as_one() -> None:
    async def go() -> None:
        under = FakeTransport()
        corked = CorkedTransport(under, asyncio.get_running_loop())  # type: ignore[arg-type]
        corked.write(b"HTTP/1.1 200 OK\r\n\r\n")  # the headers: held
        corked.write(b"")  # nothing to send: no write
        assert under.calls == []
        assert corked.get_write_buffer_size() == 7 + len(b"HTTP/1.1 200 OK\r\n\r\n")
        corked.write(memoryview(b'{"a": 1}'))  # the body: joined and sent at once
        assert under.calls == [("write", b'HTTP/1.1 200 OK\r\n\r\n{"a": 1}')]
        corked.writelines([bytearray(b"one"), b"two", b"three"])
        assert under.calls[1:] == [("write", b"onetwo")]  # "three" is held...
        corked.flush()  # ...until the response is complete
        assert under.calls[2:] == [("write", b"three")]
        corked.flush()
        await _step()
        assert len(under.calls) == 3  # nothing held: no empty write
        assert corked.get_extra_info("peername") == ("127.0.0.1", 5)  # the rest: passed on

    asyncio.run(go())


def test_a_held_write_leaves_at_the_loops_next_step_at_the_latest() -> None:
    async def go() -> None:
        under = FakeTransport()
        corked = CorkedTransport(under, asyncio.get_running_loop())  # type: ignore[arg-type]
        corked.write(b"headers of a streamed body")
        await _step()
        assert under.calls == [("write", b"headers of a streamed body")]
        corked.write(b"chunk")
        await _step()
        assert under.calls[1:] == [("write", b"chunk")]

    asyncio.run(go())


@pytest.mark.parametrize("end", ["close", "write_eof"])
def test_close_and_eof_send_what_waits_first(end: str) -> None:
    async def go() -> None:
        under = FakeTransport()
        corked = CorkedTransport(under, asyncio.get_running_loop())  # type: ignore[arg-type]
        corked.write(b"body")
        getattr(corked, end)()
        assert under.calls == [("write", b"body"), ("close" if end == "close" else "eof", b"")]
        await _step()  # the scheduled flush finds nothing left
        assert len(under.calls) == 2
        corked.write(b"late")  # written to a closing transport: dropped
        await _step()
        assert len(under.calls) == (2 if end == "close" else 3)

    asyncio.run(go())


def test_abort_drops_what_waits() -> None:
    async def go() -> None:
        under = FakeTransport()
        corked = CorkedTransport(under, asyncio.get_running_loop())  # type: ignore[arg-type]
        corked.write(b"half a response")
        corked.abort()
        await _step()
        assert under.calls == [("abort", b"")]

    asyncio.run(go())


def _sent_by_corked_transports(monkeypatch: Any) -> list[bytes]:
    """What every CorkedTransport hands to its socket's transport from now on, in order."""
    sent: list[bytes] = []
    real = CorkedTransport._send

    def recording(self: CorkedTransport, data: bytes) -> None:
        sent.append(data)
        real(self, data)

    monkeypatch.setattr(CorkedTransport, "_send", recording)
    return sent


def test_a_served_response_is_one_write(live: Any, monkeypatch: Any) -> None:
    """Against the live server (which serves through the protocol, as `memos serve`
    does): each response, headers and body, reaches the socket in one write."""
    sent = _sent_by_corked_transports(monkeypatch)
    with socket.create_connection(("127.0.0.1", live.port), timeout=30) as conn:
        for _ in range(3):
            conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            got = b""
            while b"\r\n\r\n" not in got or not got.endswith(b"}"):
                got += conn.recv(65536)
            assert got.startswith(b"HTTP/1.1 200")
    assert len(sent) == 3 and sent == [sent[0]] * 3
    assert sent[0].startswith(b"HTTP/1.1 200") and sent[0].endswith(b"}")


def test_a_held_write_leaves_when_its_response_completes(live: Any,
                                                        monkeypatch: Any) -> None:
    """A response whose last write is held (HEAD: uvicorn writes the headers only) is
    sent when it completes, before uvicorn moves on to the connection's next request, not
    at some later step of the loop."""
    from memos.server import protocol

    sent = _sent_by_corked_transports(monkeypatch)
    at_completion: list[int] = []
    real = protocol._Base.on_response_complete

    def spy(self: Any) -> None:
        at_completion.append(len(sent))
        real(self)

    monkeypatch.setattr(protocol._Base, "on_response_complete", spy)
    with socket.create_connection(("127.0.0.1", live.port), timeout=30) as conn:
        conn.sendall(b"HEAD /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        got = b""
        while b"\r\n\r\n" not in got:
            got += conn.recv(65536)
    assert at_completion == [1]  # sent by the time uvicorn's completion runs
    assert sent[0].startswith(b"HTTP/1.1 ") and sent[0].endswith(b"\r\n\r\n")


def test_each_response_leaves_before_the_next_search_on_the_loop(
        live: Any, server_mem: Any, key_for: Any, monkeypatch: Any) -> None:
    """A worker that runs its searches on the event loop, one after another: each finished
    search's response goes to the socket before the next search starts (held to the
    loop's next step, it would wait for that whole search)."""
    import threading

    import httpx

    events: list[str] = []
    sent = _sent_by_corked_transports(monkeypatch)
    real_search = server_mem.search

    def spy(*args: Any, **kwargs: Any) -> Any:
        events.append(f"search, {len(sent)} sent")
        return real_search(*args, **kwargs)

    user = "u-order-" + str(id(events))
    server_mem.add_many(["an osprey over the lake", "the lake freezes in winter"], user)
    headers = {"Authorization": f"Bearer {key_for(user)}"}
    before = server_mem.config.retrieval.search_concurrency
    server_mem.config.retrieval.search_concurrency = 1
    monkeypatch.setattr(server_mem, "search", spy)
    start = threading.Barrier(6)
    failures: list[BaseException] = []

    def one() -> None:
        try:
            with httpx.Client(base_url=live.url, timeout=60, headers=headers) as http:
                start.wait()
                for _ in range(5):
                    got = http.post("/v1/search", json={"query": "osprey lake", "limit": 2})
                    assert got.status_code == 200, got.text
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    try:
        threads = [threading.Thread(target=one) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    finally:
        server_mem.config.retrieval.search_concurrency = before
    assert not failures, failures[0]
    searches = [e for e in events if e.startswith("search")]
    assert len(searches) == 30
    # The i-th search starts after the responses of the i searches before it were sent
    # (a search that went to a thread instead is waited for in turn, the same way).
    assert [int(e.split()[1]) for e in searches] == list(range(30)), events


@pytest.mark.parametrize("raw", [
    b"GARBAGE\r\n\r\n",
    b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header Line\r\n\r\n",
    b"POST /v1/memories HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: x\r\n\r\n",
])
def test_a_request_the_parser_cannot_read_gets_problem_details(live: Any,
                                                               raw: bytes) -> None:
    """uvicorn answers such a request before the app runs; the answer is still the API's
    one error shape (RFC 9457 problem details), not a plain-text line."""
    import json

    with socket.create_connection(("127.0.0.1", live.port), timeout=30) as conn:
        conn.sendall(raw)
        got = b""
        while True:
            part = conn.recv(65536)
            if not part:
                break
            got += part
    head, _, body = got.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400")
    headers = {line.split(b":", 1)[0].lower(): line.split(b":", 1)[1].strip()
               for line in head.split(b"\r\n")[1:]}
    assert headers[b"content-type"] == b"application/problem+json"
    assert int(headers[b"content-length"]) == len(body)
    problem = json.loads(body)
    assert problem["status"] == 400 and problem["memos_error"] == "InvalidInputError"
    assert "well-formed" in problem["detail"]
