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


def test_writes_of_one_step_leave_as_one_write_in_order() -> None:
    async def go() -> None:
        under = FakeTransport()
        corked = CorkedTransport(under, asyncio.get_running_loop())  # type: ignore[arg-type]
        corked.write(b"HTTP/1.1 200 OK\r\n\r\n")
        corked.write(b"")  # nothing to send: no write
        corked.writelines([bytearray(b'{"a"'), memoryview(b": 1}")])
        assert under.calls == []  # not yet: at the loop's next step
        assert corked.get_write_buffer_size() == 7 + len(b'HTTP/1.1 200 OK\r\n\r\n{"a": 1}')
        await _step()
        assert under.calls == [("write", b'HTTP/1.1 200 OK\r\n\r\n{"a": 1}')]
        corked.write(b"next")
        await _step()
        assert under.calls[1:] == [("write", b"next")]
        await _step()
        assert len(under.calls) == 2  # nothing waits: no empty write
        assert corked.get_extra_info("peername") == ("127.0.0.1", 5)  # the rest: passed on

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
        corked.write(b"late")  # written after close: dropped, as a closing transport does
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


def test_a_served_response_arrives_in_one_piece(live: Any) -> None:
    """Against the live server (which uses the protocol, as `memos serve` does): a
    kept-alive connection gets each whole response, headers and body, in one read."""
    with socket.create_connection(("127.0.0.1", live.port), timeout=30) as conn:
        for _ in range(3):
            conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            got = conn.recv(65536)
            head, _, body = got.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 200")
            length = int([line.split(b":")[1] for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length")][0])
            assert len(body) == length > 0
