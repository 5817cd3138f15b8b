"""Benchmark the kernel ops: reference vs Triton time, speed-up, achieved memory bandwidth.

`bench_kernels` times each op on synthetic inputs of the model's shapes. On a CUDA device it
times the PyTorch reference and the Triton kernel (and, for memory attention, PyTorch's
scaled_dot_product_attention over the same slots, pre-gathered); elsewhere only the reference
is timed, because the Triton interpreter's speed means nothing. Bandwidth is the op's minimum
memory traffic (each input read once, each output written once) over the measured time, shown
against the device's peak where the device is known.
"""

from __future__ import annotations

import logging
import math
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
import torch.nn.functional as F

from memos.errors import InvalidInputError
from memos.kernels.memory_attention import _MemoryAttentionTriton, memory_attention_reference
from memos.kernels.ssd_scan import _SSDScanTriton, ssd_scan_reference
from memos.kernels.ssd_step import _SSDStepTriton, ssd_step_reference

log = logging.getLogger(__name__)

OPS = ("ssd_scan", "ssd_step", "memory_attention", "memory_attention_token")
# Shapes of one layer of the model: 8 heads of 64, SSM state 64, memory read by 4 x 64 slots,
# selected per query block of 64 ("memory_attention") or per token ("memory_attention_token",
# the model's cross-attention, which runs the row kernels).
HEADS, HEAD_DIM, STATE, CHUNK = 8, 64, 64, 64
MEMORIES, SLOTS, TOPK, BLOCK = 32, 64, 4, 64
DTYPES = {"bf16": torch.bfloat16, "fp32": torch.float32}
CPU_GATHER_BUDGET = 2**30  # bytes the reference may gather on CPU before a case is skipped

# HBM peak in GB/s by device-name fragment, most specific first (vendor data sheets).
_PEAK_GBPS = (
    ("H100 PCIe", 2000.0), ("H100", 3350.0), ("H200", 4800.0), ("GH200", 4000.0),
    ("A100-SXM4-80GB", 2039.0), ("A100 80GB PCIe", 1935.0), ("A100", 1555.0),
    ("L40S", 864.0), ("L4", 300.0), ("A10G", 600.0), ("RTX 4090", 1008.0),
)


@dataclass
class KernelTiming:
    """One (op, pass, shape) measurement. Times are medians in milliseconds."""

    op: str
    passes: str  # "fwd" or "fwd+bwd"
    batch: int
    length: int
    shape: str
    reference_ms: float | None
    triton_ms: float | None = None
    sdpa_ms: float | None = None
    bytes_moved: int = 0
    reference_gbps: float | None = None
    triton_gbps: float | None = None
    peak_gbps: float | None = None
    note: str = ""

    @property
    def speedup(self) -> float | None:
        if self.reference_ms is None or self.triton_ms is None or self.triton_ms <= 0:
            return None
        return self.reference_ms / self.triton_ms

    @property
    def fraction_of_peak(self) -> float | None:
        if self.triton_gbps is None or not self.peak_gbps:
            return None
        return self.triton_gbps / self.peak_gbps


@dataclass
class KernelBenchReport:
    device: str
    dtype: str
    torch_version: str
    triton_version: str | None
    peak_gbps: float | None
    rows: list[KernelTiming] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for row, d in zip(self.rows, out["rows"], strict=True):
            d["speedup"] = row.speedup
            d["fraction_of_peak"] = row.fraction_of_peak
        return out


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    threads = torch.get_num_threads()
    return f"{device.type} ({threads} thread{'s' if threads != 1 else ''})"


def peak_bandwidth_gbps(name: str) -> float | None:
    """The device's HBM bandwidth from its name, or None when unknown (CPUs included)."""
    for fragment, gbps in _PEAK_GBPS:
        if fragment.lower() in name.lower():
            return gbps
    return None


def time_ms(fn: Callable[[], Any], device: torch.device, repeats: int, warmup: int = 2) -> float:
    """Median wall time of `fn` in ms; CUDA work is synchronised around each call."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeats):
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        start = time.perf_counter()
        fn()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        samples.append((time.perf_counter() - start) * 1e3)
    return statistics.median(samples)


def _measure(fn: Callable[[], Any], device: torch.device, repeats: int) -> tuple[float | None, str]:
    try:
        return time_ms(fn, device, repeats), ""
    except torch.OutOfMemoryError:
        if device.type == "cuda":
            torch.cuda.empty_cache()
        return None, "out of memory"


def _backward(outputs: Sequence[torch.Tensor], leaves: Sequence[torch.Tensor]) -> None:
    loss = sum(o.float().square().mean() for o in outputs)
    torch.autograd.grad(loss, [t for t in leaves if t.requires_grad])


def _scan_case(bsz: int, length: int, device: torch.device, dtype: torch.dtype, grad: bool):
    gen = torch.Generator(device=device).manual_seed(0)

    def make(*shape: int, scale: float = 1.0) -> torch.Tensor:
        return (torch.randn(*shape, generator=gen, device=device) * scale).to(dtype).requires_grad_(grad)

    x = make(bsz, length, HEADS, HEAD_DIM)
    log_a = (-torch.rand(bsz, length, HEADS, generator=gen, device=device) * 0.2).requires_grad_(grad)
    b = make(bsz, length, HEADS, STATE, scale=STATE**-0.5)
    c = make(bsz, length, HEADS, STATE, scale=STATE**-0.5)
    elt = x.element_size()
    tokens = bsz * length * HEADS
    moved = tokens * (2 * HEAD_DIM + 2 * STATE) * elt + tokens * 4 + bsz * HEADS * HEAD_DIM * STATE * 4
    if grad:  # backward reads the inputs and dy again and writes one gradient per input
        moved += tokens * (3 * HEAD_DIM + 4 * STATE) * elt + tokens * 8
    ref = lambda: ssd_scan_reference(x, log_a, b, c, CHUNK)  # noqa: E731
    tri = lambda: _SSDScanTriton.apply(x, log_a, b, c, None, CHUNK)  # noqa: E731
    return (x, log_a, b, c), ref, tri, None, moved


def _attention_case(
    bsz: int, length: int, device: torch.device, dtype: torch.dtype, grad: bool, block: int = BLOCK
):
    gen = torch.Generator(device=device).manual_seed(0)
    nb = math.ceil(length / block)

    def make(*shape: int) -> torch.Tensor:
        return torch.randn(*shape, generator=gen, device=device).to(dtype).requires_grad_(grad)

    q = make(bsz, length, HEADS, HEAD_DIM)
    k = make(bsz, MEMORIES, SLOTS, HEADS, HEAD_DIM)
    v = make(bsz, MEMORIES, SLOTS, HEADS, HEAD_DIM)
    slot_mask = torch.rand(bsz, MEMORIES, SLOTS, generator=gen, device=device) < 0.9
    # K distinct memories per query block: the top-K of random scores, as the model selects.
    scores = torch.rand(bsz, nb, HEADS, MEMORIES, generator=gen, device=device)
    idx = scores.topk(TOPK, dim=-1).indices  # (B, NB, H, K)
    del scores
    scale = HEAD_DIM**-0.5
    elt = q.element_size()
    gathered = bsz * nb * HEADS * TOPK * SLOTS * HEAD_DIM * 2 * elt
    moved = 2 * q.numel() * elt + gathered
    if grad:  # reads q, k, v, out, dout; writes dq, dk, dv (selected slots)
        moved += 3 * q.numel() * elt + 2 * gathered
    ref = lambda: memory_attention_reference(q, k, v, slot_mask, idx, block, scale)  # noqa: E731
    tri = lambda: _MemoryAttentionTriton.apply(q, k, v, slot_mask, idx, block, scale)  # noqa: E731

    def sdpa() -> tuple[Callable[[], Any], tuple[torch.Tensor, ...]]:
        """SDPA over the same slots, gathered when called (the gather is not timed)."""
        with torch.no_grad():
            bi = torch.arange(bsz, device=device)[:, None, None, None]
            hi = torch.arange(HEADS, device=device)[None, None, :, None]
            kg = k.detach().permute(0, 1, 3, 2, 4)[bi, idx, hi].flatten(3, 4)  # (B, NB, H, K*S, D)
            vg = v.detach().permute(0, 1, 3, 2, 4)[bi, idx, hi].flatten(3, 4)
            mask = slot_mask[bi, idx].flatten(3, 4)[:, :, :, None, :]  # (B, NB, H, 1, K*S)
            pad = nb * block - length
            qb = F.pad(q.detach(), (0, 0, 0, 0, 0, pad)).view(bsz, nb, block, HEADS, HEAD_DIM).transpose(2, 3)
        leaves = tuple(t.requires_grad_(grad) for t in (qb, kg, vg))
        return (lambda: (F.scaled_dot_product_attention(qb, kg, vg, attn_mask=mask, scale=scale),)), leaves

    return (q, k, v), ref, tri, sdpa, moved


def _step_case(bsz: int, length: int, device: torch.device, dtype: torch.dtype, grad: bool):
    gen = torch.Generator(device=device).manual_seed(0)
    x = torch.randn(bsz, HEADS, HEAD_DIM, generator=gen, device=device).to(dtype)
    log_a = -torch.rand(bsz, HEADS, generator=gen, device=device)
    b = torch.randn(bsz, HEADS, STATE, generator=gen, device=device).to(dtype)
    c = torch.randn(bsz, HEADS, STATE, generator=gen, device=device).to(dtype)
    state = torch.randn(bsz, HEADS, HEAD_DIM, STATE, generator=gen, device=device)
    moved = 2 * state.numel() * 4 + (2 * x.numel() + b.numel() + c.numel()) * x.element_size()
    ref = lambda: ssd_step_reference(x, log_a, b, c, state)  # noqa: E731
    tri = lambda: _SSDStepTriton.apply(x, log_a, b, c, state)  # noqa: E731
    return (x, log_a, b, c, state), ref, tri, None, moved


def _token_attention_case(bsz: int, length: int, device: torch.device, dtype: torch.dtype, grad: bool):
    return _attention_case(bsz, length, device, dtype, grad, block=1)


_CASES = {
    "ssd_scan": _scan_case,
    "ssd_step": _step_case,
    "memory_attention": _attention_case,
    "memory_attention_token": _token_attention_case,
}


def _validate(lengths: Sequence[int], batches: Sequence[int], ops: Sequence[str], repeats: int | None) -> None:
    if not lengths or any(n < 1 for n in lengths):
        raise InvalidInputError(f"lengths must be positive integers, got {list(lengths)}")
    if not batches or any(n < 1 for n in batches):
        raise InvalidInputError(f"batch sizes must be positive integers, got {list(batches)}")
    unknown = [op for op in ops if op not in OPS]
    if unknown or not ops:
        raise InvalidInputError(f"unknown op(s) {unknown or list(ops)}; choose from {', '.join(OPS)}")
    if repeats is not None and repeats < 1:
        raise InvalidInputError(f"repeats must be >= 1, got {repeats}")


def bench_kernels(
    lengths: Sequence[int] = (1024, 4096),
    batches: Sequence[int] = (1,),
    ops: Sequence[str] = OPS,
    *,
    backward: bool = True,
    device: str | torch.device | None = None,
    repeats: int | None = None,
    threads: int | None = None,
    on_step: Callable[[int, int, str], None] | None = None,
    dtype: str | None = None,
) -> KernelBenchReport:
    """Time every (op, pass, batch, length). `on_step(done, total, label)` reports progress.
    `dtype`: "bf16" or "fp32" inputs (default bf16 on a GPU, fp32 on a CPU; the decay and
    the states are fp32 either way).

    ssd_step times one token (reported as L=1), so it is measured once per batch size.
    `threads` sets torch's CPU threads for the run (restored afterwards): on a shared machine
    one thread gives steadier numbers than an oversubscribed thread pool.
    """
    _validate(lengths, batches, ops, repeats)
    if threads is not None and threads < 1:
        raise InvalidInputError(f"threads must be >= 1, got {threads}")
    if dtype is not None and dtype not in DTYPES:
        raise InvalidInputError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    saved_threads = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        return _bench_all(lengths, batches, ops, backward, device, repeats, on_step, dtype)
    finally:
        torch.set_num_threads(saved_threads)


def _bench_all(
    lengths: Sequence[int], batches: Sequence[int], ops: Sequence[str], backward: bool,
    device: str | torch.device | None, repeats: int | None,
    on_step: Callable[[int, int, str], None] | None, dtype_name: str | None = None,
) -> KernelBenchReport:
    try:
        dev = torch.device(device) if device is not None else torch.device("cuda" if torch.cuda.is_available() else "cpu")
    except RuntimeError:
        raise InvalidInputError(f"unknown device {device!r}; use cpu or cuda") from None
    if dev.type not in ("cpu", "cuda") or (dev.type == "cuda" and not torch.cuda.is_available()):
        raise InvalidInputError(f"device {device!r} is not available here; use cpu" + (
            " or cuda" if torch.cuda.is_available() else ""))
    on_gpu = dev.type == "cuda"
    dtype = DTYPES[dtype_name] if dtype_name is not None else (
        torch.bfloat16 if on_gpu else torch.float32)
    repeats = repeats if repeats is not None else (20 if on_gpu else 5)
    name = device_name(dev)
    peak = peak_bandwidth_gbps(name) if on_gpu else None
    try:
        import triton

        triton_version: str | None = triton.__version__
    except ImportError:
        triton_version = None
    report = KernelBenchReport(name, str(dtype).removeprefix("torch."), torch.__version__, triton_version, peak)

    plan: list[tuple[str, bool, int, int]] = []
    for op in ops:
        for bsz in batches:
            for length in lengths if op != "ssd_step" else [1]:  # one token
                for grad in (False, True) if backward and op != "ssd_step" else (False,):
                    plan.append((op, grad, bsz, length))
    for i, (op, grad, bsz, length) in enumerate(plan):
        label = f"{op} {'fwd+bwd' if grad else 'fwd'} B={bsz} L={length}"
        if on_step is not None:
            on_step(i, len(plan), label)
        log.info("bench %s", label)
        report.rows.append(_bench_one(op, grad, bsz, length, dev, dtype, repeats, on_gpu and triton_version is not None, peak))
        if on_gpu:
            torch.cuda.empty_cache()
    if on_step is not None:
        on_step(len(plan), len(plan), "done")
    return report


def _bench_one(
    op: str, grad: bool, bsz: int, length: int, dev: torch.device, dtype: torch.dtype,
    repeats: int, run_triton: bool, peak: float | None,
) -> KernelTiming:
    gathered = _gathered_bytes(op, bsz, length)
    # The reference (and SDPA) copy every selected slot per query block; per-token selection
    # at long lengths would need more memory than a small machine has.
    skip_reference = dev.type == "cpu" and gathered > CPU_GATHER_BUDGET
    skip_note = f"reference skipped: would gather {gathered / 2**30:.1f} GiB"
    if skip_reference and not run_triton:
        return KernelTiming(op, "fwd+bwd" if grad else "fwd", bsz, length, _shape(op), None, note=skip_note)
    leaves, ref, tri, sdpa, moved = _CASES[op](bsz, length, dev, dtype, grad)

    def with_grad(fn: Callable[[], Any], inputs: Sequence[torch.Tensor]) -> Callable[[], Any]:
        if not grad:
            return lambda: _no_grad(fn)
        return lambda: _backward(_as_tuple(fn()), inputs)

    row = KernelTiming(op, "fwd+bwd" if grad else "fwd", bsz, length, _shape(op), None, bytes_moved=moved,
                       peak_gbps=peak)
    notes = []
    if skip_reference:
        notes.append(skip_note)
    else:
        row.reference_ms, note = _measure(with_grad(ref, leaves), dev, repeats)
        notes += [f"reference {note}"] if note else []
    if run_triton:
        row.triton_ms, note = _measure(with_grad(tri, leaves), dev, repeats)
        notes += [f"triton {note}"] if note else []
    if sdpa is not None and run_triton:
        try:
            fn, inputs = sdpa()
            row.sdpa_ms, note = _measure(with_grad(fn, inputs), dev, repeats)
            del fn, inputs
        except torch.OutOfMemoryError:
            note = "out of memory"
        notes += [f"sdpa {note}"] if note else []
    row.reference_gbps = moved / row.reference_ms / 1e6 if row.reference_ms else None
    row.triton_gbps = moved / row.triton_ms / 1e6 if row.triton_ms else None
    row.note = "; ".join(notes)
    return row


def _shape(op: str) -> str:
    if op == "ssd_step":
        return f"H={HEADS} P={HEAD_DIM} N={STATE} (one token)"
    if op == "ssd_scan":
        return f"H={HEADS} P={HEAD_DIM} N={STATE} chunk={CHUNK}"
    block = 1 if op == "memory_attention_token" else BLOCK
    return f"H={HEADS} D={HEAD_DIM} M={MEMORIES} S={SLOTS} K={TOPK} block={block}"


def _gathered_bytes(op: str, bsz: int, length: int) -> int:
    """fp32 bytes of the selected keys and values the reference materialises (0 for scans)."""
    if not op.startswith("memory_attention"):
        return 0
    nb = length if op == "memory_attention_token" else math.ceil(length / BLOCK)
    return bsz * nb * HEADS * TOPK * SLOTS * HEAD_DIM * 4 * 2


def _no_grad(fn: Callable[[], Any]) -> Any:
    with torch.no_grad():
        return fn()


def _as_tuple(out: Any) -> tuple[torch.Tensor, ...]:
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


def parse_ints(text: str, what: str) -> list[int]:
    """"1024,4096" -> [1024, 4096] for the option `--what` (its name is in the error)."""
    try:
        values = [int(part) for part in text.replace(",", " ").split()]
    except ValueError:
        raise InvalidInputError(f"--{what} takes integers separated by commas, e.g. 1024,4096; got {text!r}") from None
    if not values:
        raise InvalidInputError(f"--{what} needs at least one integer")
    return values


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m memos.kernels.bench`: `memos bench kernels --json` where only torch and
    triton are installed (a bare GPU machine has neither SQLAlchemy, FAISS nor pydantic, which
    the CLI's package needs). Prints the report as one JSON object; progress goes to stderr."""
    import argparse
    import json
    import sys

    from memos.errors import MemosError

    parser = argparse.ArgumentParser(
        prog="python -m memos.kernels.bench",
        description="Time each kernel op, PyTorch reference vs Triton (on CUDA), and print the "
        "report as JSON. The same measurement as `memos bench kernels --json`.",
        epilog="Example (on a GPU): python -m memos.kernels.bench --lengths 1024,4096,16384,65536 "
        "--batch 1,4,16 > kernels.json")
    parser.add_argument("--lengths", default="1024,4096", help="sequence lengths, comma-separated")
    parser.add_argument("--batch", default="1", help="batch sizes, comma-separated")
    parser.add_argument("--ops", default=",".join(OPS), help=f"ops to time: {', '.join(OPS)}")
    parser.add_argument("--forward-only", action="store_true", help="time the forward pass only")
    parser.add_argument("--repeats", type=int, help="timed runs per case (median); 20 on GPU, 5 on CPU")
    parser.add_argument("--device", help="cuda or cpu; default cuda when available")
    parser.add_argument("--threads", type=int, help="CPU threads for torch during the run")
    parser.add_argument("--dtype", choices=sorted(DTYPES),
                        help="input dtype; default bf16 on a GPU, fp32 on a CPU")
    args = parser.parse_args(argv)

    def on_step(done: int, total: int, label: str) -> None:
        print(f"[{done}/{total}] {label}", file=sys.stderr, flush=True)

    try:
        report = bench_kernels(
            parse_ints(args.lengths, "lengths"), parse_ints(args.batch, "batch"),
            [op.strip() for op in args.ops.split(",") if op.strip()], backward=not args.forward_only,
            device=args.device, repeats=args.repeats, threads=args.threads, on_step=on_step,
            dtype=args.dtype)
    except MemosError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    sys.stdout.write(json.dumps(report.to_dict(), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
