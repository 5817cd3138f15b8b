"""A live memos REST server on loopback for tests: uvicorn on a thread (or `memos serve` in
a subprocess), on a free port, over a store of the test's own."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


class LiveServer:
    """`create_app(mem, **options)` served by uvicorn on a thread of this process."""

    def __init__(self, mem: Any, **options: Any) -> None:
        import uvicorn

        from memos.server.app import create_app
        from memos.server.protocol import CorkedHttpProtocol

        self.app = create_app(mem, **options)
        # uvicorn binds the port itself: handed a bound socket instead, each request on this
        # machine took ~40 ms more (a delayed-ACK stall) than with the port.
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning",
                                access_log=False, lifespan="on",
                                http=CorkedHttpProtocol)  # as `memos serve`
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=30)


def start_serve_process(store: str, port: int, *extra: str) -> subprocess.Popen[bytes]:
    """`memos serve` as a subprocess (the real command), stopped by the caller."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    env.pop("MEMOS_URL", None)
    code = "from memos.cli.app import main; main()"
    return subprocess.Popen([sys.executable, "-c", code, "serve", "--store", store, "--port",
                             str(port), *extra], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)


def wait_ready(url: str, proc: subprocess.Popen[bytes] | None = None,
               timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            out = proc.stdout.read().decode() if proc.stdout else ""
            raise RuntimeError(f"memos serve exited {proc.returncode}: {out}")
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"no server at {url} after {timeout}s")


def stop(proc: subprocess.Popen[bytes]) -> str:
    proc.terminate()
    try:
        out, _ = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    return out.decode(errors="replace") if out else ""


def free_port() -> int:
    with free_socket() as sock:
        return int(sock.getsockname()[1])
