"""`memos serve --workers 2`: two processes behind one port, each with its own store handle,
answering concurrent clients; a stop leaves the store whole (each worker saves on exit)."""

from __future__ import annotations

import concurrent.futures
import os
import sys
import time
from pathlib import Path

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


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SO_REUSEPORT spreading "
                    "and /proc are Linux's")
def test_a_burst_of_kept_alive_connections_spreads_over_the_workers(tmp_path: Path) -> None:
    """Each worker listens on its own SO_REUSEPORT socket: a burst of new connections
    reaches every worker (with one shared socket the first worker awake could take them
    all, and keep-alive clients then never use the others)."""
    from memos.facade import MemOS

    store = str(tmp_path / "store")
    with MemOS.open(store) as mem:
        secret = mem.create_key("alice")[1]
    port = free_port()
    proc = start_serve_process(store, port, "--workers", "2")
    clients: list[httpx.Client] = []
    try:
        url = f"http://127.0.0.1:{port}"
        wait_ready(url, proc)
        deadline = time.monotonic() + 60
        while True:  # until both workers listen (a worker opens its socket once it is ready)
            listening = _port_sockets(port, "0A")
            workers = [p for p in _children(proc.pid) if _held(p, listening)]
            if len(workers) == 2:
                break
            assert time.monotonic() < deadline, f"listening workers: {workers}"
            time.sleep(0.2)
        headers = {"Authorization": f"Bearer {secret}"}
        clients = [httpx.Client(base_url=url, headers=headers, timeout=60) for _ in range(32)]
        with concurrent.futures.ThreadPoolExecutor(32) as pool:
            codes = list(pool.map(lambda c: c.get("/v1/stats").status_code, clients))
        assert codes == [200] * 32
        established = _port_sockets(port, "01")
        held = {pid: _held(pid, established) for pid in workers}
        assert sum(held.values()) == 32, held
        assert all(n > 0 for n in held.values()), held
    finally:
        for c in clients:
            c.close()
        out = stop(proc)
    assert "Traceback" not in out, out
    assert "2 worker processes, a socket each" in out


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the supervisor with a "
                    "socket per worker is Linux's")
def test_a_worker_that_cannot_start_stops_the_server_with_an_error(tmp_path: Path) -> None:
    from memos.errors import StoreError
    from memos.server.workers import serve_workers, worker_spec

    spec = worker_spec(str(tmp_path / "no-such-store"), None, auth=True, max_body_bytes=1024,
                       user=None, agent=None)
    import signal

    from memos.server.workers import _port_lock

    port = free_port()
    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(StoreError, match=r"a server worker could not start \(exit code \d"):
        serve_workers(2, "127.0.0.1", port, spec)
    assert signal.getsignal(signal.SIGINT) is before  # Ctrl-C handling is given back
    _port_lock(port).close()  # and the port's lock


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the supervisor with a "
                    "socket per worker is Linux's")
def test_a_second_supervisor_on_the_same_port_stops(tmp_path: Path) -> None:
    """Workers of two supervisors on one port would share it (SO_REUSEPORT) once both
    listen; the second stops before it starts any worker, even while the first is still
    starting (no socket listens yet)."""
    from memos.errors import StoreError
    from memos.server.workers import _port_lock, serve_workers

    port = free_port()
    held = _port_lock(port)
    try:
        with pytest.raises(StoreError, match=f"another memos serve is starting or running on "
                                             f"port {port}"):
            serve_workers(2, "127.0.0.1", port, "{}")
    finally:
        held.close()
    _port_lock(port).close()  # free again once the holder closed it


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG and /proc "
                    "are Linux's")
def test_workers_stop_when_the_supervisor_is_killed(tmp_path: Path) -> None:
    """SIGKILL gives the supervisor no chance to stop its workers: the kernel sends them
    SIGTERM (PR_SET_PDEATHSIG), so none is left holding the port and the store."""
    import signal

    from memos.facade import MemOS

    store = str(tmp_path / "store")
    MemOS.open(store).close()
    port = free_port()
    proc = start_serve_process(store, port, "--workers", "2")
    workers: list[int] = []
    try:
        wait_ready(f"http://127.0.0.1:{port}", proc)
        deadline = time.monotonic() + 60
        while len(workers := [p for p in _children(proc.pid)
                              if _held(p, _port_sockets(port, "0A"))]) < 2:
            assert time.monotonic() < deadline, f"listening workers: {workers}"
            time.sleep(0.2)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        while any(Path(f"/proc/{pid}").exists() and "Z" not in _state(pid) for pid in workers):
            assert time.monotonic() < deadline + 30, "a worker outlived its supervisor"
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


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the supervisor with a "
                    "socket per worker and /proc are Linux's")
def test_a_worker_that_dies_is_replaced(tmp_path: Path) -> None:
    import signal

    from memos.facade import MemOS

    store = str(tmp_path / "store")
    MemOS.open(store).close()
    port = free_port()
    proc = start_serve_process(store, port, "--workers", "2")
    try:
        wait_ready(f"http://127.0.0.1:{port}", proc)
        deadline = time.monotonic() + 90

        def listening() -> list[int]:
            return [p for p in _children(proc.pid) if _held(p, _port_sockets(port, "0A"))]

        while len(first := listening()) < 2:
            assert time.monotonic() < deadline, f"listening workers: {first}"
            time.sleep(0.2)
        os.kill(first[0], signal.SIGKILL)
        while len(now := listening()) < 2 or first[0] in now:
            assert time.monotonic() < deadline, f"listening workers: {now}"
            time.sleep(0.2)
        assert first[1] in now and proc.poll() is None
    finally:
        out = stop(proc)
    assert "starting another" in out
