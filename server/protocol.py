"""uvicorn's HTTP/1.1 protocol with a response's headers and body sent in one write.

uvicorn writes a response's status line and headers, then its body, as two writes to the
socket: two system calls and, on loopback, two packets, and a kept-alive client may wake
for each. `CorkedHttpProtocol` holds a write back until the next one comes and sends the
two joined: the headers leave with the first part of the body. A held write goes out with
the next write, when the response is complete, when the connection closes or ends, or at
the event loop's next step, whichever comes first. A whole response written in one step
(every JSON answer of the API) so leaves before any other work of the loop; only a write
whose next part comes in a later step (a streamed body, a "100 Continue") may wait for the
callbacks already queued on the loop, one step. A body reaches the transport underneath at
most one write late, and the transport's own buffering and flow control apply to it as
before; writes to a closing transport are dropped, as uvicorn never makes them.

A request the HTTP parser cannot read (before the app runs) gets the API's problem details
too, not uvicorn's plain-text 400.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

try:  # C parser when installed (the server extra installs it), else uvicorn's h11 one
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _Base
except ImportError:  # pragma: no cover - httptools is part of memos[server]
    from uvicorn.protocols.http.h11_impl import H11Protocol as _Base  # type: ignore[assignment]


class CorkedTransport:
    """A transport that holds one write back until the next (then sends both as one), the
    end of the response (`flush`), close, write_eof, or the loop's next step."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: bytes | None = None
        self._flush_scheduled = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        if self._held is None:
            self._held = bytes(data)
            if not self._flush_scheduled:
                self._flush_scheduled = True
                self._loop.call_soon(self._scheduled_flush)
            return
        held, self._held = self._held, None
        self._send(held + bytes(data))

    def writelines(self, lines: Any) -> None:
        for data in lines:
            self.write(data)

    def flush(self) -> None:
        """Send the held write now (a no-op when none is held)."""
        if self._held is not None:
            held, self._held = self._held, None
            self._send(held)

    def _scheduled_flush(self) -> None:
        self._flush_scheduled = False
        self.flush()

    def _send(self, data: bytes) -> None:
        if not self._transport.is_closing():
            self._transport.write(data)

    def get_write_buffer_size(self) -> int:
        held = len(self._held) if self._held is not None else 0
        return self._transport.get_write_buffer_size() + held

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def close(self) -> None:
        self.flush()  # the transport sends its buffer before it closes
        self._transport.close()

    def abort(self) -> None:
        self._held = None
        self._transport.abort()

    def __getattr__(self, name: str) -> Any:  # is_closing, get_extra_info, pause_reading...
        return getattr(self._transport, name)


class CorkedHttpProtocol(_Base):  # type: ignore[misc,valid-type]
    """uvicorn's HTTP/1.1 protocol writing through a `CorkedTransport` (pass the class as
    uvicorn's `http`)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(CorkedTransport(transport, asyncio.get_running_loop()))

    def on_response_complete(self) -> None:
        # The whole response out now: with a worker's searches on its event loop, the next
        # search may start before the loop's next step (and hold this response back).
        self.transport.flush()
        super().on_response_complete()

    def send_400_response(self, msg: str) -> None:
        """The parser's 400 (a request line, header or body framing it cannot read) as RFC
        9457 problem details, the shape of every other error of the API."""
        body = json.dumps({
            "type": "about:blank", "title": "Bad Request", "status": 400,
            "detail": f"the HTTP request could not be parsed ({msg.rstrip('.')}); "
                      "send a well-formed HTTP/1.1 request",
            "memos_error": "InvalidInputError"}).encode()
        head = [b"HTTP/1.1 400 Bad Request\r\n"]
        for name, value in getattr(self.server_state, "default_headers", []):
            head.append(name + b": " + value + b"\r\n")
        head.append(b"content-type: application/problem+json\r\n"
                    b"content-length: " + str(len(body)).encode("ascii") + b"\r\n"
                    b"connection: close\r\n\r\n")
        self.transport.write(b"".join(head) + body)
        self.transport.close()
