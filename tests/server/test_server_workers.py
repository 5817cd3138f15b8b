"""`memos serve --workers 2`: two processes behind one port, each with its own store handle,
answering concurrent clients; a stop leaves the store whole (each worker saves on exit)."""

from __future__ import annotations

import concurrent.futures
import os
import select
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from server_helpers import free_port, start_serve_process, stop, wait_ready


def test_two_workers_serve_one_port_and_stop_cleanly(tmp_path: Path) -> None:
    from memos.facade import MemOS

    store = str(tmp_path / "store")
    with MemOS.open(store) as mem:
        secret = mem.create_key("alice")[1]
        mem.add("the blue heron nests by the lake", "bob")
    port = free_port()
    proc = start_serve_process(store, port, "--workers", "2")
    try:
        url = f"http://127.0.0.1:{port}"
        wait_ready(url, proc)
        headers = {"Authorization": f"Bearer {secret}"}

        def write_then_read(i: int) -> set[str]:
            with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
                made = client.post("/v1/memories", json={"content": f"kite fact number {i}"})
                assert made.status_code == 200, made.text
                found = client.post("/v1/search", json={"query": "kite fact", "limit": 50})
                assert found.status_code == 200, found.text
                return {h["cube"]["id"] for h in found.json()["items"]}

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            seen = list(pool.map(write_then_read, range(16)))
        with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
            final = client.post("/v1/search", json={"query": "kite fact", "limit": 50}).json()
            assert len(final["items"]) == 16  # every write, whichever worker took it
            assert client.post("/v1/search", json={"query": "heron"}).json()["items"] == []
            assert client.get("/v1/stats").json()["live"] == 16
        assert all(seen)
    finally:
        out = stop(proc)
    assert "Traceback" not in out, out
    assert "2 worker processes" in out
    with MemOS.open(store) as mem:
        assert mem.check().ok
        assert len(mem.search("kite fact", "alice", k=50)) == 16


def _port_sockets(port: int, state: str) -> set[str]:
    """Inodes of the TCP sockets on local `port` in `state` (01 established, 0A listening),
    from Linux's /proc/net tables."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == state and int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(fields[9])
    return inodes


def _held(pid: int, inodes: set[str]) -> int:
    """How many of these sockets process `pid` holds."""
    count = 0
    try:
        fds = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:  # gone meanwhile
        return 0
    for fd in fds:
        try:
            link = os.readlink(fd)
        except OSError:
            continue
        count += link.startswith("socket:[") and link[8:-1] in inodes
    return count


def _children(pid: int) -> list[int]:
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[-1].split()
        except OSError:
            continue
        if fields[1] == str(pid):
            kids.append(int(stat.parent.name))
    return kids


def _workers(supervisor: int) -> list[int]:
    """The worker processes of a `memos serve --workers` supervisor (its spawned children;
    multiprocessing's resource tracker is a child too)."""
    out = []
    for pid in _children(supervisor):
        try:
            if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                out.append(pid)
        except OSError:
            pass
    return sorted(out)


class _Output:
    """The server's output, read from its pipe's file descriptor (no Python buffer, which
    select() would not see into) as it comes."""

    def __init__(self, proc: Any) -> None:
        self.proc, self.text, self.at = proc, "", 0

    def wait_for(self, text: str, timeout: float = 90.0) -> None:
        """Read until `text` appears after the previous match."""
        deadline = time.monotonic() + timeout
        while (found := self.text.find(text, self.at)) < 0:
            left = deadline - time.monotonic()
            assert left > 0, f"no {text!r} in the output: {self.text}"
            readable, _, _ = select.select([self.proc.stdout], [], [], left)
            if readable:
                chunk = os.read(self.proc.stdout.fileno(), 65536)
                assert chunk, f"the server ended: {self.text}"
                self.text += chunk.decode(errors="replace")
        self.at = found + len(text)


def _serve_two(tmp_path: Path) -> tuple[Any, int, str, _Output]:
    """`memos serve --workers 2` on a new store with a key of alice's, once both workers are
    ready: (process, port, the key's secret, its output). The caller stops it."""
    from memos.facade import MemOS

    store = str(tmp_path / "store")
    with MemOS.open(store) as mem:
        secret = mem.create_key("alice")[1]
    port = free_port()
    proc = start_serve_process(store, port, "--workers", "2")
    seen = _Output(proc)
    try:
        seen.wait_for("2 of 2 workers ready")
    except BaseException:
        stop(proc)
        raise
    return proc, port, secret, seen


def _connect(port: int, secret: str, n: int) -> list[httpx.Client]:
    """n kept-alive clients, each with one answered call (so each holds its connection)."""
    headers = {"Authorization": f"Bearer {secret}"}
    clients = [httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=60)
               for _ in range(n)]
    with concurrent.futures.ThreadPoolExecutor(n) as pool:
        codes = list(pool.map(lambda c: c.get("/v1/stats").status_code, clients))
    assert codes == [200] * n
    return clients


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the supervisor that hands "
                    "connections to the workers, and /proc, are Linux's")
def test_kept_alive_connections_are_shared_evenly_among_the_workers(tmp_path: Path) -> None:
    """The supervisor accepts and hands each connection to the next ready worker: 32
    kept-alive connections opened at once land 16 and 16 (a socket per worker left it to a
    hash of the addresses; one shared socket let the first worker awake take a whole
    burst)."""
    proc, port, secret, seen = _serve_two(tmp_path)
    clients: list[httpx.Client] = []
    try:
        workers = _workers(proc.pid)
        assert len(workers) == 2, workers
        clients = _connect(port, secret, 32)
        established = _port_sockets(port, "01")
        held = {pid: _held(pid, established) for pid in workers}
        assert sorted(held.values()) == [16, 16], held
        assert _held(proc.pid, established) == 0  # the supervisor keeps none
    finally:
        for c in clients:
            c.close()
        out = seen.text + stop(proc)
    assert "Traceback" not in out, out
    assert "2 worker processes, connections handed to them in turn" in out


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the supervisor that hands "
                    "connections to the workers is Linux's")
def test_a_worker_that_cannot_start_stops_the_server_with_an_error(tmp_path: Path) -> None:
    import signal
    import socket

    from memos.errors import StoreError
    from memos.server.workers import serve_workers, worker_spec

    spec = worker_spec(str(tmp_path / "no-such-store"), None, auth=True, max_body_bytes=1024,
                       user=None, agent=None)
    port = free_port()
    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(StoreError, match=r"a server worker could not start \(exit code \d"):
        serve_workers(2, "127.0.0.1", port, spec)
    assert signal.getsignal(signal.SIGINT) is before  # Ctrl-C handling is given back
    with socket.socket() as again:  # and the port
        again.bind(("127.0.0.1", port))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the supervisor that hands "
                    "connections to the workers is Linux's")
def test_a_second_server_on_the_same_port_stops(tmp_path: Path) -> None:
    """The supervisor listens on the port before it starts any worker: a second `memos
    serve --workers` on a port in use stops at once with an error naming it."""
    import signal

    from memos.errors import StoreError
    from memos.server.workers import listening_socket, serve_workers

    port = free_port()
    before = signal.getsignal(signal.SIGINT)
    held = listening_socket("127.0.0.1", port)
    try:
        with pytest.raises(StoreError, match=f"cannot listen on 127.0.0.1:{port}"):
            serve_workers(2, "127.0.0.1", port, "{}")
    finally:
        held.close()
    assert signal.getsignal(signal.SIGINT) is before
    listening_socket("127.0.0.1", port).close()  # free again once the holder closed it


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG and /proc "
                    "are Linux's")
def test_workers_stop_when_the_supervisor_is_killed(tmp_path: Path) -> None:
    """SIGKILL gives the supervisor no chance to stop its workers: the kernel sends them
    SIGTERM (PR_SET_PDEATHSIG), so none is left holding the store."""
    import signal

    proc, _, _, _ = _serve_two(tmp_path)
    workers: list[int] = []
    try:
        workers = _workers(proc.pid)
        assert len(workers) == 2, workers
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        deadline = time.monotonic() + 60
        while any(Path(f"/proc/{pid}").exists() and "Z" not in _state(pid) for pid in workers):
            assert time.monotonic() < deadline, "a worker outlived its supervisor"
            time.sleep(0.2)
    finally:
        for pid in workers:  # a worker left over holds the output pipe stop() reads to its end
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        stop(proc)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    except OSError:
        return "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the supervisor that hands "
                    "connections to the workers, and /proc, are Linux's")
def test_a_worker_that_dies_is_replaced(tmp_path: Path) -> None:
    """A ready worker killed is started again; once ready it takes its turn of the new
    connections."""
    import signal

    proc, port, secret, seen = _serve_two(tmp_path)
    clients: list[httpx.Client] = []
    try:
        first = _workers(proc.pid)
        os.kill(first[0], signal.SIGKILL)
        seen.wait_for("starting another")
        seen.wait_for("2 of 2 workers ready")
        now = _workers(proc.pid)
        assert len(now) == 2 and first[1] in now and first[0] not in now
        assert proc.poll() is None
        clients = _connect(port, secret, 8)
        established = _port_sockets(port, "01")
        assert sorted(_held(pid, established) for pid in now) == [4, 4]
    finally:
        for c in clients:
            c.close()
        stop(proc)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the supervisor that hands "
                    "connections to the workers, and /proc, are Linux's")
def test_a_worker_told_to_stop_takes_no_new_connection(tmp_path: Path) -> None:
    """A worker that got SIGTERM finishes the request it is serving; the connections that
    come meanwhile go to the other worker (before, the supervisor kept handing them to the
    stopping one, which closed them unanswered)."""
    import signal
    import socket

    proc, port, secret, _ = _serve_two(tmp_path)
    opened: list[socket.socket] = []
    try:
        workers = _workers(proc.pid)
        slow = socket.create_connection(("127.0.0.1", port))  # an import, its body unsent
        opened.append(slow)
        slow.sendall(f"POST /v1/import HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {secret}"
                     "\r\nContent-Type: application/x-ndjson\r\nContent-Length: 1000\r\n\r\n"
                     .encode())
        deadline = time.monotonic() + 60
        while not (busy := [p for p in workers if _held(p, _port_sockets(port, "01"))]):
            assert time.monotonic() < deadline, "the slow request reached no worker"
            time.sleep(0.1)
        os.kill(busy[0], signal.SIGTERM)  # it waits for the import before it exits
        time.sleep(1)  # lets its stop begin (the answers below do not depend on it)
        answers = []
        for _ in range(6):
            with socket.create_connection(("127.0.0.1", port)) as s:
                s.settimeout(60)
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                answers.append(s.recv(100).split(b"\r\n")[0])
        assert answers == [b"HTTP/1.1 200 OK"] * 6
        slow.sendall(b"\n" * 1000)  # the import ends; the stopped worker may exit now
    finally:
        for s in opened:
            s.close()
        stop(proc)


def _fake_worker(alive_end: Any) -> Any:
    """A `_Worker` over one end of a socketpair, its process a stand-in (no process)."""
    from memos.server.workers import _Worker

    worker = object.__new__(_Worker)
    worker.channel, worker.ready, worker.served, worker.ended = alive_end, False, False, False

    class Proc:
        sentinel, pid = -1, 0

    worker.proc = Proc()
    return worker


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the supervisor that hands "
                    "connections to the workers is Linux's")
def test_a_channel_that_ended_is_watched_no_more() -> None:
    """A worker that closed its channel (it stops, draining its requests) leaves it readable
    for good: the supervisor must stop waiting on it, or it would spin until the worker
    exits."""
    import socket

    from memos.server.workers import READY, _watched

    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    listener = socket.socket()
    try:
        worker = _fake_worker(ours)
        assert worker in _watched([worker], listener, accepting=False)
        theirs.send(READY)
        worker.read()
        assert worker.ready and worker.served and not worker.ended
        assert listener in _watched([worker], listener, accepting=True)
        theirs.close()
        worker.read()
        assert not worker.ready and worker.ended and worker.served
        assert worker not in _watched([worker], listener, accepting=False)
    finally:
        ours.close()
        listener.close()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the supervisor that hands "
                    "connections to the workers is Linux's")
def test_a_hand_off_that_fails_for_a_passing_reason_keeps_the_worker(monkeypatch: Any) -> None:
    """Only a channel whose worker is gone or stopping (EPIPE and the like) takes the worker
    out of the rotation; a full channel or a passing error (too many descriptors in
    flight) skips it this once."""
    import errno
    import socket

    import memos.server.workers as workers

    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    conn_a, conn_b = socket.socketpair()
    try:
        worker = _fake_worker(ours)
        worker.ready = True
        assert worker.hand(conn_a)  # taken
        for error in (BlockingIOError(errno.EAGAIN, "full"),
                      OSError(errno.ETOOMANYREFS, "too many references")):
            def fail(*args: Any, error: BaseException = error) -> None:
                raise error
            monkeypatch.setattr(workers.socket, "send_fds", fail)
            assert not worker.hand(conn_a) and worker.ready
        monkeypatch.undo()
        theirs.shutdown(socket.SHUT_RD)  # the worker stops taking connections
        assert not worker.hand(conn_a) and not worker.ready
    finally:
        for s in (ours, theirs, conn_a, conn_b):
            s.close()
