"""`memos bench serve`: REST server throughput and latency beside in-process calls
(memos/bench/serve.py). Progress goes to stderr, so `--json` leaves one JSON object on stdout.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from memos.cli.app import bench_app
from memos.cli.bench_commands import _progress
from memos.cli.render import SafeTable as Table
from memos.cli.render import out_console
from memos.errors import InvalidInputError


def _clients(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise InvalidInputError(f"--clients takes comma-separated numbers such as 1,8,32, "
                                f"got {text!r:.40}") from None
    if not values:
        raise InvalidInputError("--clients is empty; give numbers such as 1,8,32")
    return values


@bench_app.command("serve")
def serve(
    n: Annotated[int, typer.Option("--n", help="Cubes in the store before the runs.")] = 100_000,
    clients: Annotated[str, typer.Option(
        "--clients", help="Concurrent clients of each run, comma-separated.")] = "1,8,32",
    requests: Annotated[int, typer.Option(
        "--requests", min=1, help="Calls per run (each op, mode and client count).")] = 300,
    seconds: Annotated[float, typer.Option(
        "--seconds", min=0.1, help="Longest run, in seconds (a run stops at --requests or "
        "here).")] = 20.0,
    k: Annotated[int, typer.Option("--k", "-k", min=1, max=1000, help="Hits per search.")] = 10,
    batch_size: Annotated[int, typer.Option(
        "--batch-size", min=1, help="Cubes per add_many call while building.")] = 2_000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the synthetic corpus.")] = 0,
    workers: Annotated[int, typer.Option(
        "--workers", min=1, max=64,
        help="Server processes (memos serve --workers); in-process runs are unchanged.")] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Requests/s and p50/p95 of add and search through `memos serve`, beside in-process.

    At 1, 8 and 32 concurrent clients on loopback by default; stops by itself.

    Builds a temporary store of --n cubes (hashing embedder), starts
    `memos serve` with an API key on a free 127.0.0.1 port, and stops it at
    the end. Each run stops at --requests calls or after --seconds.

    Example: memos bench serve --n 100000 --json
    """
    from memos.bench.serve import run_serve_bench

    with _progress() as update:
        report = run_serve_bench(n, clients=_clients(clients), requests=requests,
                                 seconds=seconds, k=k, batch_size=batch_size, seed=seed,
                                 workers=workers, progress=update)
    if as_json:
        sys.stdout.write(json.dumps(report.to_json()) + "\n")
        return
    out = out_console()
    table = Table(title=f"serve bench: {report.n:,} cubes, {report.workers} server "
                        f"process(es), embedder {report.embedder}, "
                        f"k={report.k}, up to {report.requests} calls or "
                        f"{report.seconds_per_run:g} s a run")
    for col in ("op", "clients", "mode", "calls", "errors", "req/s", "p50 ms", "p95 ms",
                "CPU ms/call", "client CPU ms/call"):
        table.add_column(col, justify="left" if col in ("op", "mode") else "right")
    for p in sorted(report.points, key=lambda p: (p.op, p.clients, p.mode)):
        table.add_row(p.op, str(p.clients), p.mode, str(p.requests), str(p.errors),
                      f"{p.requests_per_s:,.1f}", f"{p.p50_ms:.2f}", f"{p.p95_ms:.2f}",
                      f"{p.cpu_ms_per_call:.2f}",
                      f"{p.client_cpu_ms_per_call:.2f}" if p.mode == "served" else "")
    out.print(table)
    for o in report.overheads:
        out.print(f"server overhead, {o.op} x{o.clients}: p50 {o.overhead_p50_ms:+.2f} ms "
                  f"(served {o.served_p50_ms:.2f} - in-process {o.in_process_p50_ms:.2f}); "
                  f"CPU {o.cpu_overhead_ms:+.2f} ms/call")
    t = report.targets
    if "search_p95_8_clients_ms" in t:
        out.print(f"target search p95 <= {t['search_p95_8_clients_target_ms']:g} ms at 8 "
                  f"clients: {t['search_p95_8_clients_ms']:.2f} ms, "
                  f"{'met' if t['search_p95_8_clients_met'] else 'MISSED'}")
    for op in ("add", "search"):
        if f"{op}_overhead_p50_1_client_ms" in t:
            out.print(f"target {op} overhead p50 <= {t['overhead_target_ms']:g} ms at 1 client: "
                      f"{t[f'{op}_overhead_p50_1_client_ms']:+.2f} ms, "
                      f"{'met' if t[f'{op}_overhead_p50_1_client_met'] else 'MISSED'}")
    out.print(f"build {report.build_seconds:.1f} s ({report.cubes_per_s:,.0f} cubes/s), "
              f"server start {report.server_start_seconds:.1f} s; machine: {report.machine}")
