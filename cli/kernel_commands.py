"""`memos bench kernels`: time the kernel ops (reference vs Triton) and show a table.

The command calls `memos.kernels.bench.bench_kernels` and renders its report. The progress
bar goes to stderr so that `--json` leaves exactly one JSON object on stdout.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from typing import TYPE_CHECKING

import typer
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn

from memos.cli.app import bench_app
from memos.cli.render import QuietProgress, err_console, out_console
from memos.cli.render import SafeTable as Table

if TYPE_CHECKING:
    from memos.kernels.bench import KernelBenchReport

# The op names are repeated here so that `memos --help` does not import torch.
OPS = ("ssd_scan", "ssd_step", "memory_attention", "memory_attention_token")


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def _compile_report(as_json: bool, dtype: str) -> None:
    from memos.kernels.compile_check import compile_report

    with err_console().status("compiling kernels for sm_90"):
        rows = compile_report(dtype, 90)
    if as_json:
        sys.stdout.write(json.dumps([asdict(r) for r in rows], indent=2) + "\n")
        return
    table = Table(title=f"Triton kernels compiled for sm_90 (H100), {dtype} inputs")
    for name in ("kernel", "constexprs", "warps", "registers/thread", "spill bytes/thread", "shared bytes"):
        table.add_column(name, justify="left" if name in ("kernel", "constexprs") else "right")
    for r in rows:
        table.add_row(r.name, r.config, str(r.num_warps), str(r.registers), str(r.spill_bytes), str(r.shared_bytes))
    out_console().print(table)


def render_table(report: KernelBenchReport) -> Table:
    """The report as a rich table (one row per op, pass and shape); all-empty columns dropped."""
    peak = f"{report.peak_gbps:.0f} GB/s" if report.peak_gbps else "unknown"
    columns: list[tuple[str, list[str]]] = [
        ("op", [r.op for r in report.rows]),
        ("pass", [r.passes for r in report.rows]),
        ("B", [str(r.batch) for r in report.rows]),
        ("L", [str(r.length) for r in report.rows]),
        ("reference ms", [_fmt(r.reference_ms, ".3f") for r in report.rows]),
        ("triton ms", [_fmt(r.triton_ms, ".3f") for r in report.rows]),
        ("speed-up", [_fmt(r.speedup, ".1f") for r in report.rows]),
        ("sdpa ms", [_fmt(r.sdpa_ms, ".3f") for r in report.rows]),
        ("ref GB/s", [_fmt(r.reference_gbps, ".2f") for r in report.rows]),
        ("triton GB/s", [_fmt(r.triton_gbps, ".1f") for r in report.rows]),
        ("% of peak", [_fmt(None if r.fraction_of_peak is None else 100 * r.fraction_of_peak, ".0f")
                       for r in report.rows]),
        ("note", [r.note for r in report.rows]),
    ]
    # Off-GPU the Triton, SDPA and peak columns are all "-": leave them out of the table.
    columns = [(name, cells) for name, cells in columns if any(c not in ("-", "") for c in cells)]
    table = Table(title=f"kernels on {report.device} ({report.dtype}; peak bandwidth {peak})")
    for name, _ in columns:
        table.add_column(name, justify="left" if name in ("op", "pass", "note") else "right")
    for i in range(len(report.rows)):
        table.add_row(*(cells[i] for _, cells in columns))
    return table


@bench_app.command("kernels")
def kernels(
    lengths: str = typer.Option("1024,4096", "--lengths", help="Sequence lengths, comma-separated."),
    batch: str = typer.Option("1", "--batch", help="Batch sizes, comma-separated."),
    ops: str = typer.Option(",".join(OPS), "--ops", help=f"Ops to time, comma-separated: {', '.join(OPS)}."),
    backward: bool = typer.Option(True, "--backward/--forward-only", help="Also time forward+backward."),
    repeats: int | None = typer.Option(None, "--repeats", help="Timed runs per case (median); default 20 on GPU, 5 on CPU."),
    device: str | None = typer.Option(None, "--device", help="cuda or cpu; default cuda when available."),
    threads: int | None = typer.Option(None, "--threads", help="CPU threads for torch during the run."),
    dtype: str | None = typer.Option(None, "--dtype", help="Input dtype, bf16 or fp32; default bf16 "
                                     "on a GPU, fp32 on a CPU."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as one JSON object."),
    compile_only: bool = typer.Option(
        False, "--compile-sm90", help="Instead of timing, compile every kernel for an H100 (sm_90, "
        "--dtype inputs, default bf16; no GPU needed) and show registers, spills and shared "
        "memory per kernel."),
) -> None:
    """Time reference vs Triton per op and shape; on CPU only the reference is timed.

    Example (on a GPU): memos bench kernels --lengths 1024,4096,16384,65536 --batch 1,4,16
    """
    if compile_only:  # (the compile report's own default is bf16, the GPU's mode)
        _compile_report(as_json, dtype or "bf16")
        return
    op_list = [op.strip() for op in ops.split(",") if op.strip()]
    err = err_console()
    bar = QuietProgress(TextColumn("{task.description}", style="bold", markup=False),
                        BarColumn(),
                   MofNCompleteColumn(),
                   TimeElapsedColumn(), console=err, transient=True)
    task = bar.add_task("kernels", total=None)

    def on_step(done: int, total: int, label: str) -> None:
        bar.update(task, completed=done, total=total, description=label)

    with bar:
        from memos.kernels.bench import bench_kernels, parse_ints

        report = bench_kernels(
            parse_ints(lengths, "lengths"), parse_ints(batch, "batch"), op_list, backward=backward,
            device=device, repeats=repeats, threads=threads, on_step=on_step, dtype=dtype,
        )
    if as_json:
        sys.stdout.write(json.dumps(report.to_dict(), indent=2) + "\n")
        return
    out = out_console()
    out.print(render_table(report))
    if report.peak_gbps is None:
        out.print("Triton columns are empty off-GPU: the interpreter's speed means nothing.")
