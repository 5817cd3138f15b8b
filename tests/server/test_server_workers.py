"""`memos serve --workers 2`: two processes behind one port, each with its own store handle,
answering concurrent clients; a stop leaves the store whole (each worker saves on exit)."""

from __future__ import annotations

import concurrent.futures
from pathlib import Path

import httpx
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
