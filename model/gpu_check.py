"""`python -m memos.model.gpu_check`: everything a session with a GPU measures, in one run.

A GPU is lent to few sessions, for minutes, on a bare machine (torch and Triton, none of the
store's packages), so what it is for is prepared here and runs as one command within a time
budget, in this order (each section's failure is recorded and the next one runs):

1. the device, and its copy bandwidth measured here (a device-to-device copy);
2. parity: each kernel against its reference on the device, forward and every gradient,
   fp32 and bf16 (`memos.kernels.parity`);
3. kernel timings (`memos.kernels.bench`): bf16 over the full grid of lengths and batch
   sizes, fp32 on a few shapes, with the bandwidth reached against the measured copy;
4. the model end to end: a training step (forward, backward, AdamW) of the shipped preset
   and of a larger one filling more of the GPU, on a memory-QA batch and on a long sequence,
   with the Triton kernels and with the references; and generation tokens/s with the step
   kernel after 1K and 64K tokens of context.

It writes gpu_check.json and gpu_check.md under --out ($OUT when set, else ./gpu_check) and
prints the markdown. On a CPU it runs the same sections on tiny shapes (the reference only;
parity needs TRITON_INTERPRET=1 there), which is how CI keeps it from rotting.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch

from memos.errors import InvalidInputError, MemosError
from memos.kernels.bench import time_ms
from memos.kernels.dispatch import forced_backend

# A larger model than the shipped one (about 1M parameters), sized like the kernels' layer:
# 24 heads of 64 at d_model 768, SSM state 64, scan chunk 64, 12 blocks.
LARGE = {"d_model": 768, "n_heads": 24, "d_state": 64, "n_layers": 12, "scan_chunk": 64,
         "d_select": 128}


class Budget:
    """Seconds left of the run; a section or case that would start past it is skipped."""

    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    @property
    def left(self) -> float:
        return self.end - time.monotonic()


def copy_bandwidth_gbps(device: torch.device, mib: int) -> float:
    """Bytes read and written per second by a copy of `mib` MiB within the device."""
    src = torch.empty(mib * 2**20, dtype=torch.uint8, device=device).fill_(1)
    dst = torch.empty_like(src)
    ms = time_ms(lambda: dst.copy_(src), device, 10)
    return 2 * src.numel() / ms / 1e6


def _env(device: torch.device, quick: bool) -> dict[str, Any]:
    try:
        import triton

        triton_version: str | None = triton.__version__
    except ImportError:
        triton_version = None
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    return {"device": name, "torch": torch.__version__, "triton": triton_version,
            "python": sys.version.split()[0],
            "copy_gbps": round(copy_bandwidth_gbps(device, 16 if quick else 2048), 1)}


def _parity(device: torch.device, quick: bool) -> list[dict[str, Any]]:
    from memos.kernels.parity import check_parity

    rows = check_parity(device, tiny=quick,
                        on_row=lambda r: print(f"  parity {r.op} {r.case} {r.dtype}: "
                                               f"{r.error:.2e} ({r.worst})", flush=True))
    return [r.to_dict() for r in rows]


def _kernels(device: torch.device, quick: bool, budget: Budget, copy_gbps: float
             ) -> list[dict[str, Any]]:
    from memos.kernels.bench import bench_kernels

    plans: list[tuple[str, list[int], list[int]]] = (
        [("fp32", [64], [1])] if quick else
        [("bf16", [1024, 4096, 16384, 65536], [1, 4, 16]), ("fp32", [4096, 16384], [4])])
    rows = []
    for dtype, lengths, batches in plans:
        for bsz in batches:
            if budget.left < 30:
                rows.append({"dtype": dtype, "batch": bsz, "note": "skipped: time budget spent"})
                continue
            report = bench_kernels(lengths, [bsz], device=device, dtype=dtype,
                                   repeats=1 if quick else 10)
            for row in report.to_dict()["rows"]:
                gbps = row.get("triton_gbps") or row.get("reference_gbps")
                row["dtype"] = dtype
                row["of_copy"] = round(gbps / copy_gbps, 3) if gbps and copy_gbps else None
                rows.append(row)
            print(f"  kernels {dtype} B={bsz}: {len(report.rows)} cases", flush=True)
    return rows


def _train_step_ms(cfg: Any, device: torch.device, backend: str, kind: str, batch: int,
                   seq_len: int, repeats: int, quick: bool = False) -> float:
    from memos.model import tasks
    from memos.model.baselines import build_model
    from memos.model.train import LossModule, TrainConfig, sample_batch

    torch.manual_seed(0)
    model = build_model(cfg).to(device).train()
    loss_of = LossModule(model, aux_weight=1.0)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    rng = random.Random(0)
    # a memory-QA batch at the top of the training curriculum (64 facts, 16 questions)
    tc = TrainConfig(stuffed_every=0, **({"max_facts": 8, "questions": 4} if quick else {}))
    data = (sample_batch(rng, 10**6, tc) if kind == "memory-qa"
            else tasks.passkey_batch(rng, batch, seq_len))

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        loss, _, _ = loss_of(data)
        loss.backward()
        opt.step()

    with forced_backend(backend):
        return time_ms(step, device, repeats)


def _model(device: torch.device, quick: bool, budget: Budget) -> dict[str, list[dict[str, Any]]]:
    from memos.model.baselines import build_model
    from memos.model.config import preset
    from memos.model.cost import generation_speed

    on_gpu = device.type == "cuda"
    backends = ["triton", "reference"] if on_gpu else ["reference"]
    presets = [("tiny", preset("tiny"))] if quick else [("small", preset("small")),
                                                         ("large", preset("small", **LARGE))]
    shapes = [("memory-qa", 0, 0), ("long", 2, 256)] if quick else [
        ("memory-qa", 0, 0), ("long", 8, 4096)]
    train = []
    for name, cfg in presets:
        for kind, batch, seq_len in shapes:
            for backend in backends:
                if budget.left < 20:
                    train.append({"preset": name, "batch": kind, "backend": backend,
                                  "note": "skipped: time budget spent"})
                    continue
                try:
                    ms = _train_step_ms(cfg, device, backend, kind, batch, seq_len,
                                        1 if quick else 5, quick)
                    note = ""
                except torch.OutOfMemoryError:
                    ms, note = None, "out of memory"
                    torch.cuda.empty_cache()
                train.append({"preset": name, "batch": kind if kind == "memory-qa"
                              else f"{batch} x {seq_len} tokens", "backend": backend,
                              "step_ms": ms, "note": note})
                print(f"  train {name} {kind} {backend}: {ms} ms", flush=True)
    generation = []
    contexts = [64] if quick else [1024, 65536]
    for name, cfg in presets[:1]:
        torch.manual_seed(0)
        model = build_model(cfg).to(device).eval()
        for backend in backends:
            if budget.left < 20:
                generation.append({"preset": name, "backend": backend,
                                   "note": "skipped: time budget spent"})
                continue
            with forced_backend(backend):
                for row in generation_speed(model, contexts, new_tokens=8 if quick else 128):
                    generation.append({"preset": name, "backend": backend, **asdict(row)})
                    print(f"  generate {name} {backend} after {row.context}: "
                          f"{row.tokens_per_s:.0f} tokens/s", flush=True)
    return {"train": train, "generation": generation}


def run(device: str | None = None, quick: bool | None = None, budget_s: float = 480.0
        ) -> dict[str, Any]:
    """Every section within `budget_s` seconds; a section's error is recorded in its place.
    `quick` (default: off a GPU): tiny shapes, the references only."""
    if device not in (None, "cpu", "cuda"):
        raise InvalidInputError(f"device must be cpu or cuda, got {device!r}")
    dev = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise InvalidInputError("no CUDA device here; pass --device cpu")
    if budget_s <= 0:
        raise InvalidInputError(f"the time budget must be positive, got {budget_s}")
    quick = dev.type != "cuda" if quick is None else quick
    budget = Budget(budget_s)
    out: dict[str, Any] = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                           "quick": quick}
    sections: list[tuple[str, Callable[[], Any]]] = [
        ("env", lambda: _env(dev, quick)),
        ("parity", lambda: _parity(dev, quick) if dev.type == "cuda"
         or os.environ.get("TRITON_INTERPRET") == "1" else
         "skipped: no GPU (set TRITON_INTERPRET=1 to run the interpreter's fp32 parity)"),
        ("kernels", lambda: _kernels(dev, quick, budget,
                                     (out.get("env") or {}).get("copy_gbps") or 0.0)),
        ("model", lambda: _model(dev, quick, budget)),
    ]
    for name, section in sections:
        if budget.left <= 0:
            out[name] = "skipped: time budget spent"
            continue
        print(f"{name} ...", flush=True)
        try:
            out[name] = section()
        except Exception as exc:  # noqa: BLE001 - recorded; the next section still runs
            out[name] = {"error": f"{type(exc).__name__}: {exc}",
                         "traceback": traceback.format_exc()[-3000:]}
            if dev.type == "cuda":
                torch.cuda.empty_cache()
    return out


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value).replace("|", "/")


def _table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> list[str]:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(r.get(c)) for c in columns) + " |" for r in rows]
    return lines


def to_markdown(result: dict[str, Any]) -> str:
    """The result as the tables docs/BENCHMARKS.md takes."""
    lines = [f"# GPU check, {result.get('date')}", ""]
    env = result.get("env")
    if isinstance(env, dict) and "device" in env:
        lines += [f"{env['device']}, torch {env['torch']}, Triton {env['triton']}, Python "
                  f"{env['python']}; measured copy bandwidth {env['copy_gbps']} GB/s", ""]
    for name, columns in (
            ("parity", ["op", "case", "dtype", "worst", "error", "tolerance", "ok"]),
            ("kernels", ["op", "passes", "dtype", "batch", "length", "reference_ms", "triton_ms",
                         "speedup", "sdpa_ms", "triton_gbps", "of_copy", "note"])):
        lines += [f"## {name}", ""]
        part = result.get(name)
        lines += _table(part, columns) if isinstance(part, list) else [f"{part}"]
        lines.append("")
    model = result.get("model")
    lines += ["## model", ""]
    if isinstance(model, dict) and "train" in model:
        lines += _table(model["train"], ["preset", "batch", "backend", "step_ms", "note"])
        lines.append("")
        lines += _table(model["generation"], ["preset", "backend", "context", "tokens_per_s",
                                              "read_s", "state_bytes", "note"])
    else:
        lines.append(f"{model}")
    for name in ("env", "parity", "kernels", "model"):
        part = result.get(name)
        if isinstance(part, dict) and "error" in part:
            lines += ["", f"{name} failed: {part['error']}", "```", part["traceback"], "```"]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m memos.model.gpu_check",
        description="Parity, kernel timings and the model's step and generation speed on this "
        "machine's GPU, within a time budget; writes gpu_check.json and gpu_check.md.",
        epilog="On a lent GPU machine: python3 -m memos.model.gpu_check --budget-s 480 "
        "(the output goes to $OUT there).")
    parser.add_argument("--out", help="folder for gpu_check.json and .md ($OUT, else ./gpu_check)")
    parser.add_argument("--device", help="cuda or cpu; default cuda when available")
    parser.add_argument("--budget-s", type=float, default=480.0,
                        help="seconds the whole run may take; sections past it are skipped")
    parser.add_argument("--quick", action="store_true", default=None,
                        help="tiny shapes (the default off a GPU)")
    args = parser.parse_args(argv)
    try:
        result = run(args.device, args.quick, args.budget_s)
    except MemosError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    folder = Path(args.out or os.environ.get("OUT") or "gpu_check")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "gpu_check.json").write_text(json.dumps(result, indent=1, default=str))
    markdown = to_markdown(result)
    (folder / "gpu_check.md").write_text(markdown)
    print(markdown)
    failed = [n for n in ("env", "parity", "kernels", "model")
              if isinstance(result.get(n), dict) and "error" in result[n]]
    bad = [r for r in result.get("parity") or [] if isinstance(r, dict) and not r.get("ok")]
    return 1 if failed or bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
