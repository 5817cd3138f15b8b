"""`memos bench serve` (memos/bench/serve.py): a tiny run through a real `memos serve`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("uvicorn")
pytest.importorskip("httpx")


def test_tiny_serve_bench_measures_both_modes_and_stops_the_server(tmp_path: Path) -> None:
    from memos.bench.serve import run_serve_bench
    from memos.facade import MemOS

    stages: set[str] = set()
    # Children already here (a multiprocessing resource tracker an earlier test's spawned
    # workers left running for this process) are not the bench's.
    before = set(_live_children())
    report = run_serve_bench(30, clients=(1, 2), requests=5, seconds=30, k=3,
                             batch_size=7, store_dir=tmp_path / "store",
                             progress=lambda stage, done, total: stages.add(stage))
    assert {"build", "start server", "served search x2", "in-process add x1"} <= stages
    assert len(report.points) == 8  # 2 ops x 2 modes x 2 client counts
    for p in report.points:
        assert p.requests == 5 and p.errors == 0 and p.stopped_by == "requests", p
        assert 0 < p.p50_ms <= p.p95_ms and p.requests_per_s > 0
    served_cpu = [p.cpu_ms_per_call for p in report.points if p.mode == "served"]
    assert sum(served_cpu) > 0  # the server process's CPU time was read (Linux /proc)
    assert {(o.op, o.clients) for o in report.overheads} == {
        (op, c) for op in ("add", "search") for c in (1, 2)}
    for o in report.overheads:
        assert o.overhead_p50_ms == pytest.approx(o.served_p50_ms - o.in_process_p50_ms,
                                                  abs=0.002)
    assert "add_overhead_p50_1_client_met" in report.targets
    assert "search_p95_8_clients_ms" not in report.targets  # no run with 8 clients
    # Every timed and warm-up add reached the store, in-process and through the server:
    # 1 + 2 warm-up calls in each mode, 5 timed calls per run.
    with MemOS.open(tmp_path / "store", embedder="hashing") as mem:
        assert mem.stats().cubes == 30 + 2 * (3 + 2 * 5)
        assert mem.list_keys("bench")  # the key the served runs used
    assert set(_live_children()) - before == set()  # `memos serve` was stopped


def test_with_workers_the_runs_wait_for_every_worker(tmp_path: Path, monkeypatch: Any) -> None:
    """--workers 2: the bench starts its runs once the server says all workers are ready
    (else the first run's connections would all go to the first one ready), and its served
    calls succeed through both."""
    import sys

    import memos.bench.serve as bench

    monkeypatch.setattr(bench, "SERVER_START_S", 120.0)
    waited: list[str] = []
    real = bench._Server._output

    def output(self: Any, tail: int = 500) -> str:
        text = real(self, tail)
        waited.append(text)
        return text

    monkeypatch.setattr(bench._Server, "_output", output)
    report = bench.run_serve_bench(20, clients=(2,), requests=4, seconds=30, k=3,
                                   batch_size=10, store_dir=tmp_path / "store", workers=2)
    assert all(p.errors == 0 and p.requests == 4 for p in report.points)
    if sys.platform.startswith("linux"):
        assert any("2 of 2 workers ready" in text for text in waited)


def _live_children() -> list[int]:
    """Pids of this process's children that are still running (Linux /proc; [] elsewhere)."""
    import os

    me, found = os.getpid(), []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[-1].split()
        if int(fields[1]) == me and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def test_a_run_stops_at_its_time_limit(tmp_path: Path) -> None:
    from memos.bench.serve import _in_process

    def slow(_: int) -> None:
        import time

        time.sleep(0.05)

    point = _in_process("search", slow, 2, 10_000, 0.3, lambda done: None)
    assert point.stopped_by == "time" and 2 <= point.requests <= 20


def test_bad_arguments_are_refused_before_any_work() -> None:
    from memos.bench.serve import run_serve_bench
    from memos.errors import InvalidInputError

    for kwargs in ({"clients": (0,)}, {"clients": ()}, {"requests": 0}, {"seconds": 0}):
        with pytest.raises(InvalidInputError):
            run_serve_bench(10, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="at least 1"):
        run_serve_bench(0)


def test_cli_help_and_bad_clients(capsys: pytest.CaptureFixture[str]) -> None:
    from memos.cli.app import main

    try:
        main(["bench", "serve", "--help"])
    except SystemExit as stop:
        assert stop.code in (0, None)
    assert "Example:" in capsys.readouterr().out
    with pytest.raises(SystemExit) as done:
        main(["bench", "serve", "--clients", "1,x"])
    out, err = capsys.readouterr()
    assert done.value.code == 2 and out == ""
    assert " ".join(err.split()).startswith("error: --clients takes comma-separated numbers")


def test_the_load_generator_reads_every_response_framing() -> None:
    """The bench's HTTP client (`_Connection`) against a loopback server that answers with a
    Content-Length body, a chunked body with a trailer, a `Connection: close` answer, and then
    closes a kept-alive connection without saying so: each body is read whole, and the
    call after each close opens a new connection (the silent close costs no call)."""
    import asyncio
    import json

    from memos.bench.serve import _Connection

    answers = [  # (answer, close the connection after it)
        (b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n{\"a\":1}", False),
        (b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"
         b"4\r\n{\"b\"\r\n3;x=y\r\n:2}\r\n0\r\nX-Trailer: 1\r\n\r\n", False),
        (b"HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}", True),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n[]", True),  # closed silently
        (b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n5", False),
    ]
    requests: list[bytes] = []
    connections = [0]

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections[0] += 1
        while answers:
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
            requests.append(head + await reader.readexactly(length))
            answer, close = answers.pop(0)
            writer.write(answer)
            await writer.drain()
            if close:
                break
        writer.close()

    async def main() -> list[tuple[int, bytes]]:
        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        client = _Connection(f"http://127.0.0.1:{port}", "k3y")
        try:
            got = []
            for i in range(5):
                got.append(await client.post("/v1/x", {"n": i}))
                await asyncio.sleep(0.05)  # the silent close reaches the client first
            return got
        finally:
            client.close()
            server.close()

    got = asyncio.run(main())
    assert got == [(200, b'{"a":1}'), (201, b'{"b":2}'), (404, b"{}"), (200, b"[]"),
                   (200, b"5")]
    assert connections[0] == 3  # after the 404, and after the silent close
    assert all(r.startswith(b"POST /v1/x HTTP/1.1\r\n") and b"Bearer k3y" in r
               for r in requests)
    assert [json.loads(r.split(b"\r\n\r\n", 1)[1]) for r in requests] == [{"n": i}
                                                                         for i in range(5)]
