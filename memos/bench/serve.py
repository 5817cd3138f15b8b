"""`memos bench serve`: the REST server's throughput and latency, beside the same calls made
in-process.

1. A fresh store is filled with `n` synthetic cubes of one user (hashing embedder, `add_many`
   in batches) and an API key is made for that user.
2. `memos serve` (the real command, API keys on) starts in a child process on a free
   loopback port, sharing the store with this process.
3. For each op (add, search) and number of clients: first in-process (`clients` threads
   calling `MemOS.add` / `MemOS.search`), then at once served (`clients` concurrent HTTP
   clients on one asyncio loop, one keep-alive connection each, `POST /v1/memories` /
   `POST /v1/search`), so that both runs of a pair meet the same load on a shared machine.
   The HTTP clients are a minimal HTTP/1.1 writer and reader (`_Connection`), so that they
   take little of the CPU the server needs; their CPU per call is reported beside the
   server's.

Every run is bounded by `requests` and by `seconds`, whichever comes first; the server is
stopped at the end (and, on Linux, dies with this process). Latency is wall-clock time per
call as the caller sees it; server overhead at p50 is served p50 - in-process p50 at the same
number of clients. CPU time per call (the bench process in-process, the server process
served) is measured beside it: on a busy machine it is the part that does not depend on
waiting for a core. Adds write new cubes, so the store grows by
`2 * len(clients) * requests` cubes during the bench, plus a few warm-up calls per run.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from memos.bench.corpus import synthetic_queries, synthetic_sentences
from memos.bench.retrieval import machine_description
from memos.errors import InvalidInputError, StoreError
from memos.eval.locomo_data import percentile

log = logging.getLogger(__name__)

# (stage, done, total): stage is "build", "<mode> <op> x<clients>" or "start server".
StageProgress = Callable[[str, int, int], None]

BENCH_USER = "bench"
DEFAULT_CLIENTS: tuple[int, ...] = (1, 8, 32)
OPS = ("add", "search")
MAX_CLIENTS = 256
SEARCH_P95_TARGET_MS = 25.0  # with 8 concurrent clients (the target)
OVERHEAD_TARGET_MS = 2.0  # served p50 - in-process p50, one client
CALL_TIMEOUT_S = 60.0  # one served call (as httpx's timeout was)
SERVER_START_S = 300.0  # opening a large store (FAISS load, catch-up) may take a while


@dataclass
class LoadPoint:
    """One run: `clients` concurrent callers making `op` calls, `mode` served or in-process."""

    op: str
    mode: str  # "served" | "in-process"
    clients: int
    requests: int  # calls completed (timed)
    errors: int  # calls that failed (HTTP status >= 400, or an exception)
    seconds: float
    requests_per_s: float
    p50_ms: float
    p95_ms: float
    stopped_by: str  # "requests" | "time"
    # CPU time per call of the process doing the work (the bench process in-process, the
    # server process served; the HTTP clients' own CPU is not counted): on a shared machine
    # wall-clock latency mostly measures waiting for a core, CPU time what memos spends.
    cpu_ms_per_call: float = 0.0
    # Served runs: CPU time per call of the bench process, i.e. of the HTTP clients (they
    # share the machine with the server).
    client_cpu_ms_per_call: float = 0.0


@dataclass
class Overhead:
    op: str
    clients: int
    served_p50_ms: float
    in_process_p50_ms: float
    overhead_p50_ms: float
    served_cpu_ms: float  # CPU per call of the server process
    in_process_cpu_ms: float
    cpu_overhead_ms: float  # served_cpu_ms - in_process_cpu_ms


@dataclass
class ServeBenchReport:
    n: int
    k: int
    requests: int
    seconds_per_run: float
    clients: list[int]
    embedder: str
    machine: str
    build_seconds: float = 0.0
    cubes_per_s: float = 0.0
    server_start_seconds: float = 0.0
    workers: int = 1  # `memos serve --workers`
    points: list[LoadPoint] = field(default_factory=list)
    overheads: list[Overhead] = field(default_factory=list)
    targets: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def point(self, op: str, mode: str, clients: int) -> LoadPoint | None:
        return next((p for p in self.points
                     if (p.op, p.mode, p.clients) == (op, mode, clients)), None)


def run_serve_bench(n: int = 100_000, *, clients: tuple[int, ...] = DEFAULT_CLIENTS,
                    requests: int = 300, seconds: float = 20.0, k: int = 10,
                    batch_size: int = 2_000, seed: int = 0,
                    store_dir: str | Path | None = None, workers: int = 1,
                    progress: StageProgress | None = None) -> ServeBenchReport:
    """Fill a fresh store with n cubes, then time add and search in-process and through
    `memos serve` (with `workers` processes) on loopback at each number of concurrent
    clients."""
    _check_args(n, clients, requests, seconds, k, batch_size)
    if not isinstance(workers, int) or not 1 <= workers <= 64:
        raise InvalidInputError(f"--workers takes 1 to 64, got {workers!r}")
    if store_dir is None:
        with tempfile.TemporaryDirectory(prefix="memos-bench-serve-") as tmp:
            return _run(n, clients, requests, seconds, k, batch_size, seed, Path(tmp) / "store",
                        progress, workers)
    folder = Path(store_dir)
    if folder.exists() and any(folder.iterdir()):
        raise InvalidInputError(f"{folder} is not empty; give an empty or new folder for the "
                                "bench store")
    return _run(n, clients, requests, seconds, k, batch_size, seed, folder, progress, workers)


def _check_args(n: int, clients: tuple[int, ...], requests: int, seconds: float, k: int,
                batch_size: int) -> None:
    if n < 1:
        raise InvalidInputError(f"--n must be at least 1, got {n}")
    if not clients or any(c < 1 or c > MAX_CLIENTS for c in clients):
        raise InvalidInputError(f"--clients takes numbers from 1 to {MAX_CLIENTS}, e.g. "
                                f"1,8,32; got {list(clients)}")
    if requests < 1 or k < 1 or batch_size < 1:
        raise InvalidInputError("--requests, --k and --batch-size must be at least 1")
    if not seconds > 0:
        raise InvalidInputError(f"--seconds must be above 0, got {seconds}")


def _run(n: int, clients: tuple[int, ...], requests: int, seconds: float, k: int,
         batch_size: int, seed: int, folder: Path,
         progress: StageProgress | None,
         workers: int = 1) -> ServeBenchReport:
    from memos.facade import MemOS

    def report(stage: str, done: int, total: int) -> None:
        if progress is not None:
            progress(stage, done, total)

    queries = synthetic_queries(max(50, min(requests, 1000)), seed=seed + 1)
    fresh = _fresh_contents(seed)
    with MemOS.open(folder, embedder="hashing") as mem:
        result = ServeBenchReport(n=n, k=k, requests=requests, seconds_per_run=seconds,
                                  clients=list(clients), embedder=mem.embedder.identity,
                                  machine=machine_description(), workers=workers)
        start = time.perf_counter()
        corpus = synthetic_sentences(n, seed=seed)
        have = 0
        while have < n:
            step = min(batch_size, n - have)
            mem.add_many([next(corpus) for _ in range(step)], BENCH_USER, batch_size=step)
            have += step
            report("build", have, n)
        result.build_seconds = round(time.perf_counter() - start, 3)
        result.cubes_per_s = round(n / result.build_seconds, 1) if result.build_seconds else 0.0
        _, key = mem.create_key(BENCH_USER)
        mem.search(queries[0], BENCH_USER, k=k)  # warm: FAISS, SQLite pages
        mem.warm()  # and the full-text copy, as `memos serve` does before it answers
        mem.flush()  # the FAISS files, so the server loads them instead of rebuilding
        calls: dict[str, Callable[[int], Any]] = {
            "add": lambda i: mem.add(fresh(), BENCH_USER),
            "search": lambda i: mem.search(queries[i % len(queries)], BENCH_USER, k=k),
        }
        bodies: dict[str, Callable[[int], dict[str, Any]]] = {
            "add": lambda i: {"content": fresh()},
            "search": lambda i: {"query": queries[i % len(queries)], "limit": k},
        }
        paths = {"add": "/v1/memories", "search": "/v1/search"}
        report("start server", 0, 1)
        # The server shares the store with this process (as several servers do); each
        # in-process run is followed at once by its served twin, so both meet the same load.
        with _Server(folder, workers) as server:
            result.server_start_seconds = round(server.started_s, 3)
            report("start server", 1, 1)
            for op in OPS:
                for c in clients:
                    stage = f"in-process {op} x{c}"
                    result.points.append(_in_process(op, calls[op], c, requests, seconds,
                                                     lambda d, s=stage: report(s, d, requests)))
                    stage = f"served {op} x{c}"
                    result.points.append(asyncio.run(_served_load(
                        server, key, op, paths[op], bodies[op], c, requests, seconds,
                        lambda d, s=stage: report(s, d, requests))))
    _summarise(result)
    return result


def _fresh_contents(seed: int) -> Callable[[], str]:
    """New memory texts for the add runs, each unique (so no add is a mere dedup hit); safe
    to call from many threads (itertools.count is atomic)."""
    pool = list(synthetic_sentences(1_000, seed=seed + 7))
    note = itertools.count()

    def fresh() -> str:
        i = next(note)
        return f"{pool[i % len(pool)]} (note {i})"

    return fresh


def _point(op: str, mode: str, clients: int, latencies: list[float], errors: int,
           wall: float, stopped_by: str, cpu_s: float) -> LoadPoint:
    done = len(latencies)
    return LoadPoint(op=op, mode=mode, clients=clients, requests=done, errors=errors,
                     seconds=round(wall, 3),
                     requests_per_s=round(done / wall, 1) if wall > 0 else 0.0,
                     p50_ms=round(percentile(latencies, 50), 3),
                     p95_ms=round(percentile(latencies, 95), 3), stopped_by=stopped_by,
                     cpu_ms_per_call=round(cpu_s * 1000.0 / done, 3) if done else 0.0)


def _in_process(op: str, call: Callable[[int], Any], clients: int, requests: int,
                seconds: float, on_step: Callable[[int], None]) -> LoadPoint:
    """`clients` threads making `requests` calls in all (or until `seconds` pass)."""
    for i in range(min(clients, 4)):  # untimed warm-up calls
        call(-1 - i)
    counter = itertools.count()
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    start, start_cpu = time.perf_counter(), time.process_time()
    stop_at = start + seconds

    def worker() -> None:
        while True:
            i = next(counter)
            if i >= requests or time.perf_counter() >= stop_at:
                return
            t0 = time.perf_counter()
            try:
                call(i)
            except Exception as exc:  # counted and shown in the report, never hidden
                log.warning("in-process %s failed: %s", op, exc)
                with lock:
                    errors[0] += 1
                continue
            took = (time.perf_counter() - t0) * 1000.0
            with lock:
                latencies.append(took)
                on_step(len(latencies))

    with ThreadPoolExecutor(max_workers=clients, thread_name_prefix="bench") as pool:
        for f in [pool.submit(worker) for _ in range(clients)]:
            f.result()
    wall, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    stopped = "requests" if len(latencies) + errors[0] >= requests else "time"
    return _point(op, "in-process", clients, latencies, errors[0], wall, stopped, cpu)


class _Connection:
    """One keep-alive HTTP/1.1 connection that POSTs JSON: the bench's load generator.

    It writes the request in one piece and reads the status line, the headers and a
    Content-Length or chunked body, nothing more, so that on a shared machine the clients
    take as little CPU as they can from the server they measure (the role a C load
    generator such as wrk plays elsewhere; by development timings httpx's own CPU per call
    was about as large as the server overhead being measured)."""

    def __init__(self, url: str, key: str) -> None:
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.head = (f"Host: {self.host}:{self.port}\r\nAuthorization: Bearer {key}\r\n"
                     "Content-Type: application/json\r\n").encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: dict[str, Any],
                   timeout: float = CALL_TIMEOUT_S) -> tuple[int, bytes]:
        """(status, response body). A kept-alive connection the server has closed meanwhile
        (no byte of an answer) is opened again once; a call that takes longer than
        `timeout` seconds raises TimeoutError."""
        payload = json.dumps(body).encode()
        request = (f"POST {path} HTTP/1.1\r\n".encode() + self.head
                   + f"Content-Length: {len(payload)}\r\n\r\n".encode() + payload)
        async with asyncio.timeout(timeout):
            for attempt in (0, 1):
                if self.writer is None:
                    self.reader, self.writer = await asyncio.open_connection(self.host,
                                                                             self.port)
                self.writer.write(request)
                try:
                    status_line = await self.reader.readuntil(b"\r\n")  # type: ignore[union-attr]
                except (ConnectionError, asyncio.IncompleteReadError) as exc:
                    self.close()
                    if attempt or (isinstance(exc, asyncio.IncompleteReadError) and exc.partial):
                        raise
                    continue  # closed before answering: the request was not read
                return await self._response(status_line)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _response(self, status_line: bytes) -> tuple[int, bytes]:
        assert self.reader is not None
        status = int(status_line.split(b" ", 2)[1])
        length, chunked, keep = 0, False, True
        while (line := await self.reader.readuntil(b"\r\n")) != b"\r\n":
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif name == b"connection":
                keep = b"close" not in value.lower()
        if not chunked:
            body = await self.reader.readexactly(length)
        else:
            parts: list[bytes] = []
            while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
                parts.append(await self.reader.readexactly(size))
                await self.reader.readexactly(2)
            while await self.reader.readuntil(b"\r\n") != b"\r\n":  # trailers
                pass
            body = b"".join(parts)
        if not keep:
            self.close()
        return status, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def _served_load(server: _Server, key: str, op: str, path: str,
                       body: Callable[[int], dict[str, Any]], clients: int, requests: int,
                       seconds: float, on_step: Callable[[int], None]) -> LoadPoint:
    """`clients` concurrent HTTP callers (one keep-alive connection each) making `requests`
    calls in all."""
    connections = [_Connection(server.url, key) for _ in range(clients)]
    latencies: list[float] = []
    errors = 0
    try:
        # Untimed: open the connections and warm the server's path.
        warm = await asyncio.gather(*(c.post(path, body(-1 - i))
                                      for i, c in enumerate(connections)))
        bad = [(status, text) for status, text in warm if status >= 400]
        if bad:
            raise StoreError(f"the bench server refused {op}: HTTP {bad[0][0]} "
                             f"{bad[0][1][:200].decode('utf-8', 'replace')}")
        counter = itertools.count()
        start, start_cpu = time.perf_counter(), server.cpu_seconds()
        client_cpu = time.thread_time()  # every client runs on this thread's loop
        stop_at = start + seconds

        async def worker(connection: _Connection) -> None:
            nonlocal errors
            while True:
                i = next(counter)
                if i >= requests or time.perf_counter() >= stop_at:
                    return
                t0 = time.perf_counter()
                try:
                    status, text = await connection.post(path, body(i))
                except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                        TimeoutError, ValueError, IndexError) as exc:
                    log.warning("served %s failed: %s %s", op, type(exc).__name__, exc)
                    connection.close()
                    errors += 1
                    continue
                took = (time.perf_counter() - t0) * 1000.0
                if status >= 400:
                    log.warning("served %s: HTTP %d %s", op, status,
                                text[:200].decode("utf-8", "replace"))
                    errors += 1
                    continue
                latencies.append(took)
                on_step(len(latencies))

        await asyncio.gather(*(worker(c) for c in connections))
        wall, cpu = time.perf_counter() - start, server.cpu_seconds() - start_cpu
        client_cpu = time.thread_time() - client_cpu
    finally:
        for c in connections:
            c.close()
    stopped = "requests" if len(latencies) + errors >= requests else "time"
    point = _point(op, "served", clients, latencies, errors, wall, stopped, cpu)
    point.client_cpu_ms_per_call = (round(client_cpu * 1000.0 / len(latencies), 3)
                                    if latencies else 0.0)
    return point


def _free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Server:
    """`memos serve --store FOLDER` on a free loopback port, stopped on exit."""

    def __init__(self, folder: Path, workers: int = 1) -> None:
        self.folder = folder
        self.workers = workers
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = tempfile.TemporaryFile()
        self.url = ""
        self.started_s = 0.0

    def cpu_seconds(self) -> float:
        """CPU time the server has used: its process and, with --workers, the worker
        processes it started (Linux /proc; 0.0 elsewhere)."""
        if self.proc is None:
            return 0.0
        pid, ticks = self.proc.pid, 0
        for stat_file in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat_file.read_text().rsplit(")", 1)[-1].split()
            except OSError:
                continue
            if stat_file.parent.name == str(pid) or fields[1] == str(pid):  # itself, a child
                ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")

    def __enter__(self) -> _Server:
        import httpx

        # the server's own rule (its workers use it too): the bench runs `memos serve`
        from memos.server.workers import die_with_parent, hands_off_connections

        port = _free_loopback_port()
        cmd = [sys.executable, "-c", "from memos.cli.app import main; main()", "serve",
               "--host", "127.0.0.1", "--port", str(port), "--store", str(self.folder),
               "--workers", str(self.workers)]
        env = {k: v for k, v in os.environ.items()
               if k not in ("MEMOS_URL", "MEMOS_INDEX_DIR", "MEMOS_USER")}
        start = time.perf_counter()
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT, env=env,
            preexec_fn=die_with_parent if sys.platform.startswith("linux") else None)
        self.url = url = f"http://127.0.0.1:{port}"
        # With several workers on Linux the first ready one already answers: the runs wait
        # for all (the supervisor says so), else their connections would all go to it.
        every = (f"{self.workers} of {self.workers} workers ready"
                 if self.workers > 1 and hands_off_connections() else "")
        try:
            while time.perf_counter() - start < SERVER_START_S:
                if self.proc.poll() is not None:
                    raise StoreError(f"`memos serve` exited with code {self.proc.returncode} "
                                     f"before answering: {self._output()}")
                if every and every not in self._output(tail=1 << 20):
                    time.sleep(0.1)
                    continue
                try:
                    if httpx.get(url + "/healthz", timeout=2.0,
                                 trust_env=False).status_code == 200:
                        self.started_s = time.perf_counter() - start
                        return self
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
            raise StoreError(f"`memos serve` did not answer within {SERVER_START_S:.0f} s")
        except BaseException:
            self.__exit__(None, None, None)
            raise

    def _output(self, tail: int = 500) -> str:
        """The server's output so far, whitespace folded, its last `tail` characters."""
        self.log.seek(0)
        return " ".join(self.log.read().decode("utf-8", "replace").split())[-tail:]

    def __exit__(self, *exc: object) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGINT)  # uvicorn shuts down cleanly, the store closes
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.log.close()


def _summarise(result: ServeBenchReport) -> None:
    for op in OPS:
        for c in result.clients:
            served = result.point(op, "served", c)
            local = result.point(op, "in-process", c)
            if served is None or local is None or not served.requests or not local.requests:
                continue
            result.overheads.append(Overhead(
                op=op, clients=c, served_p50_ms=served.p50_ms,
                in_process_p50_ms=local.p50_ms,
                overhead_p50_ms=round(served.p50_ms - local.p50_ms, 3),
                served_cpu_ms=served.cpu_ms_per_call, in_process_cpu_ms=local.cpu_ms_per_call,
                cpu_overhead_ms=round(served.cpu_ms_per_call - local.cpu_ms_per_call, 3)))
    targets: dict[str, Any] = {}
    search8 = result.point("search", "served", 8)
    if search8 is not None and search8.requests:
        targets["search_p95_8_clients_ms"] = search8.p95_ms
        targets["search_p95_8_clients_target_ms"] = SEARCH_P95_TARGET_MS
        targets["search_p95_8_clients_met"] = search8.p95_ms <= SEARCH_P95_TARGET_MS
    for o in result.overheads:
        if o.clients == 1:
            targets[f"{o.op}_overhead_p50_1_client_ms"] = o.overhead_p50_ms
            targets[f"{o.op}_overhead_p50_1_client_met"] = o.overhead_p50_ms <= OVERHEAD_TARGET_MS
            targets[f"{o.op}_cpu_overhead_1_client_ms"] = o.cpu_overhead_ms
    if any(k.endswith("_overhead_p50_1_client_ms") for k in targets):
        targets["overhead_target_ms"] = OVERHEAD_TARGET_MS
    result.targets = targets


__all__ = ["LoadPoint", "Overhead", "ServeBenchReport", "run_serve_bench"]
