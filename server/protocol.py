"""uvicorn's HTTP/1.1 protocol with each response's writes sent together.

uvicorn writes a response's status line and headers, then its body, as two writes to the
socket. Kept-alive clients that wait for the whole response then wake twice, and on
loopback each write is a system call that hands the client a packet (and, on a busy
machine, often the core). `CorkedHttpProtocol` gathers what one step of the event loop
writes to a connection and sends it as one write at the loop's next step: a small JSON
response leaves as one packet. Nothing else changes: the transport underneath keeps its
own buffering and flow control.
"""

from __future__ import annotations

import asyncio
from typing import Any

try:  # C parser when installed (the server extra installs it), else uvicorn's h11 one
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _Base
except ImportError:  # pragma: no cover - httptools is part of memos[server]
    from uvicorn.protocols.http.h11_impl import H11Protocol as _Base  # type: ignore[assignment]


class CorkedTransport:
    """A transport that passes writes on to `transport` once per loop step, joined."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._parts: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        self._parts.append(bytes(data))
        if len(self._parts) == 1:
            self._loop.call_soon(self.flush)

    def writelines(self, lines: Any) -> None:
        for data in lines:
            self.write(data)

    def flush(self) -> None:
        """Hand what was written to the transport now (a no-op when nothing waits)."""
        if not self._parts:
            return
        data = self._parts[0] if len(self._parts) == 1 else b"".join(self._parts)
        self._parts.clear()
        if not self._transport.is_closing():
            self._transport.write(data)

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + sum(map(len, self._parts))

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def close(self) -> None:
        self.flush()  # the transport sends its buffer before it closes
        self._transport.close()

    def abort(self) -> None:
        self._parts.clear()
        self._transport.abort()

    def __getattr__(self, name: str) -> Any:  # is_closing, get_extra_info, pause_reading...
        return getattr(self._transport, name)


class CorkedHttpProtocol(_Base):  # type: ignore[misc,valid-type]
    """uvicorn's HTTP/1.1 protocol writing through a `CorkedTransport` (pass the class as
    uvicorn's `http`)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(CorkedTransport(transport, asyncio.get_running_loop()))
