"""Triton kernels against their PyTorch references on one device: forward and every gradient.

`check_parity` runs each op on the model's layer shapes (or tiny ones) and reports the worst
relative RMSE per case: fp32 inputs take exact fp32 dots and must match within 5e-3; bf16
inputs are compared with the reference computed in float64 on the same bf16-rounded inputs,
within 3e-2 (bf16 keeps about three significant digits; a wrong tile, mask or reduction gives
errors near 1). On a CPU the Triton kernels run only in the interpreter (TRITON_INTERPRET=1),
where bf16 is not modelled faithfully: there fp32 alone is checked. The GPU tests
(tests/kernels/test_kernels_cuda.py) and `python -m memos.model.gpu_check` use it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import torch

from memos.errors import InvalidInputError
from memos.kernels.dispatch import forced_backend

TOLERANCE = {"fp32": 5e-3, "bf16": 3e-2}
_DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16}

# (B, L, H, P, N, chunk, initial state): the model's layer at a length off the chunk, and a
# ragged small shape off the 16-wide tiles
SCAN_CASES = [(2, 1000, 8, 64, 64, 64, True), (2, 130, 3, 20, 12, 32, False)]
SCAN_TINY = [(1, 37, 2, 16, 16, 16, True)]
STEP_CASES = [(4, 8, 64, 64), (3, 2, 20, 12)]
STEP_TINY = [(2, 2, 16, 16)]
# (B, L, H, D, M, S, K, block): chunk memory (block 64), per-token cross-attention (block 1)
ATTENTION_CASES = [(2, 300, 8, 64, 32, 64, 4, 64), (2, 129, 8, 64, 32, 64, 4, 1),
                   (2, 37, 2, 20, 3, 10, 2, 16)]
ATTENTION_TINY = [(1, 20, 2, 16, 3, 8, 2, 8), (1, 9, 2, 16, 3, 8, 2, 1)]


@dataclass
class ParityRow:
    """One op on one case and dtype: the worst relative RMSE over its outputs and gradients."""

    op: str
    case: str
    dtype: str
    worst: str  # the output or gradient with the largest error
    error: float
    tolerance: float

    @property
    def ok(self) -> bool:
        return self.error < self.tolerance

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"ok": self.ok}


def rel_rmse(a: torch.Tensor, b: torch.Tensor) -> float:
    """||a - b|| / ||b|| (||a - b|| when b is all zero), inf when a is not finite."""
    a, b = a.detach().double().cpu(), b.detach().double().cpu()
    if not torch.isfinite(a).all():
        return float("inf")
    denom = b.norm().item()
    diff = (a - b).norm().item()
    return diff if denom == 0.0 else diff / denom


def _pair(tensors: Sequence[torch.Tensor | None], dtype: torch.dtype, device: torch.device,
          keep_fp32: Sequence[int] = ()) -> tuple[list[Any], list[Any]]:
    """(kernel inputs in `dtype`, the same values in float64 for the reference); the indices
    in `keep_fp32` stay fp32 (the decay, the states), as the model passes them."""
    tri: list[Any] = []
    ref: list[Any] = []
    for i, t in enumerate(tensors):
        if t is None or not t.is_floating_point():
            tri.append(None if t is None else t.to(device))
            ref.append(None if t is None else t.to(device))
            continue
        low = t.to(device, torch.float32 if i in keep_fp32 else dtype)
        tri.append(low.clone().requires_grad_(True))
        ref.append(low.double().clone().requires_grad_(True))
    return tri, ref


def _worst(pairs: Sequence[tuple[str, torch.Tensor | None, torch.Tensor | None]]) -> tuple[str, float]:
    worst, error = "", -1.0
    for name, got, want in pairs:
        if want is None:
            err = float("inf") if got is not None else 0.0
        else:
            err = rel_rmse(got if got is not None else torch.zeros_like(want), want)
        if err > error:
            worst, error = name, err
    return worst, error


def _scan(case: tuple, dtype: torch.dtype, device: torch.device) -> tuple[str, float]:
    from memos.kernels import ssd_scan
    from memos.kernels.ssd_scan import ssd_scan_reference

    bsz, length, heads, p, n, chunk, init = case
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(bsz, length, heads, p, generator=gen)
    log_a = -torch.rand(bsz, length, heads, generator=gen) * 0.5
    b = torch.randn(bsz, length, heads, n, generator=gen) / n**0.5
    c = torch.randn(bsz, length, heads, n, generator=gen) / n**0.5
    s0 = torch.randn(bsz, heads, p, n, generator=gen) if init else None
    tri, ref = _pair([x, log_a, b, c, s0], dtype, device, keep_fp32=(1, 4))
    dy = torch.randn(bsz, length, heads, p, generator=gen).double().to(device)
    dfinal = torch.randn(bsz, heads, p, n, generator=gen).double().to(device)
    with forced_backend("triton"):
        y_t, f_t = ssd_scan(*tri[:4], chunk_size=chunk, initial_state=tri[4])
        ((y_t.double() * dy).sum() + (f_t.double() * dfinal).sum()).backward()
    y_r, f_r = ssd_scan_reference(*ref[:4], chunk_size=chunk, initial_state=ref[4])
    ((y_r.double() * dy).sum() + (f_r.double() * dfinal).sum()).backward()
    return _worst([("y", y_t, y_r), ("final state", f_t, f_r)] + [
        (f"d{name}", t.grad, r.grad) for name, t, r in
        zip(("x", "log_a", "b", "c", "initial_state"), tri, ref, strict=True) if r is not None])


def _step(case: tuple, dtype: torch.dtype, device: torch.device) -> tuple[str, float]:
    from memos.kernels import ssd_step
    from memos.kernels.ssd_step import ssd_step_reference

    bsz, heads, p, n = case
    gen = torch.Generator().manual_seed(2)
    base = [torch.randn(bsz, heads, p, generator=gen), -torch.rand(bsz, heads, generator=gen),
            torch.randn(bsz, heads, n, generator=gen), torch.randn(bsz, heads, n, generator=gen),
            torch.randn(bsz, heads, p, n, generator=gen)]
    tri, ref = _pair(base, dtype, device, keep_fp32=(1, 4))
    with forced_backend("triton"):
        y_t, s_t = ssd_step(*tri)
    y_r, s_r = ssd_step_reference(*ref)
    dy = torch.randn(y_r.shape, generator=gen).double().to(device)
    ds = torch.randn(s_r.shape, generator=gen).double().to(device)
    with forced_backend("triton"):
        ((y_t.double() * dy).sum() + (s_t.double() * ds).sum()).backward()
    ((y_r.double() * dy).sum() + (s_r.double() * ds).sum()).backward()
    return _worst([("y", y_t, y_r), ("state", s_t, s_r)] + [
        (f"d{name}", t.grad, r.grad) for name, t, r in
        zip(("x", "log_a", "b", "c", "state"), tri, ref, strict=True)])


def _attention(case: tuple, dtype: torch.dtype, device: torch.device) -> tuple[str, float]:
    from memos.kernels import memory_attention
    from memos.kernels.memory_attention import memory_attention_reference

    bsz, length, heads, dim, mems, slots, topk, block = case
    gen = torch.Generator().manual_seed(3)
    nb = -(-length // block)
    q = torch.randn(bsz, length, heads, dim, generator=gen)
    k = torch.randn(bsz, mems, slots, heads, dim, generator=gen)
    v = torch.randn(bsz, mems, slots, heads, dim, generator=gen)
    slot_mask = torch.rand(bsz, mems, slots, generator=gen) > 0.3
    slot_mask[:, :, 0] = True
    idx = torch.stack([torch.randperm(mems, generator=gen)[:topk] for _ in range(bsz * nb * heads)])
    idx = idx.view(bsz, nb, heads, -1)
    idx[torch.rand(idx.shape, generator=gen) < 0.2] = -1
    slot_mask, idx = slot_mask.to(device), idx.to(device)
    tri, ref = _pair([q, k, v], dtype, device)
    dout = torch.randn(bsz, length, heads, dim, generator=gen).double().to(device)
    with forced_backend("triton"):
        out_t = memory_attention(*tri, slot_mask, idx, block_size=block)
        (out_t.double() * dout).sum().backward()
    out_r = memory_attention_reference(*ref, slot_mask, idx, block, None)
    (out_r.double() * dout).sum().backward()
    return _worst([("out", out_t, out_r)] + [
        (f"d{name}", t.grad, r.grad) for name, t, r in zip("qkv", tri, ref, strict=True)])


_OPS: dict[str, tuple[Callable[[tuple, torch.dtype, torch.device], tuple[str, float]], list, list]] = {
    "ssd_scan": (_scan, SCAN_CASES, SCAN_TINY),
    "ssd_step": (_step, STEP_CASES, STEP_TINY),
    "memory_attention": (_attention, ATTENTION_CASES, ATTENTION_TINY),
}


def check_parity(device: str | torch.device = "cuda", dtypes: Sequence[str] = ("fp32", "bf16"),
                 tiny: bool = False,
                 on_row: Callable[[ParityRow], None] | None = None) -> list[ParityRow]:
    """Each op's worst relative RMSE per case and dtype, Triton against the reference.

    On a CPU this needs TRITON_INTERPRET=1 and checks fp32 only (the interpreter's bf16 is
    not the GPU's). `tiny`: small shapes only (the interpreter is slow)."""
    dev = torch.device(device)
    unknown = [d for d in dtypes if d not in _DTYPES]
    if unknown or not dtypes:
        raise InvalidInputError(f"dtypes must be among {', '.join(_DTYPES)}, got {list(dtypes)}")
    if dev.type != "cuda":
        if os.environ.get("TRITON_INTERPRET") != "1":
            raise InvalidInputError("parity off a GPU runs the Triton interpreter: set "
                                    "TRITON_INTERPRET=1, or run it on a CUDA device")
        dtypes = [d for d in dtypes if d == "fp32"]
    rows = []
    for op, (_fn, cases, tiny_cases) in _OPS.items():
        for case in tiny_cases if tiny else cases:
            for name in dtypes:
                rows.append(check_case(op, case, name, dev))
                if on_row is not None:
                    on_row(rows[-1])
    return rows


def check_case(op: str, case: tuple, dtype: str, device: str | torch.device) -> ParityRow:
    """One op on one case (a tuple shaped as `SCAN_CASES`, `STEP_CASES` or
    `ATTENTION_CASES`) and dtype ("fp32" or "bf16")."""
    if op not in _OPS or dtype not in _DTYPES:
        raise InvalidInputError(f"op must be one of {', '.join(_OPS)} and dtype one of "
                                f"{', '.join(_DTYPES)}; got {op!r}, {dtype!r}")
    worst, error = _OPS[op][0](case, _DTYPES[dtype], torch.device(device))
    return ParityRow(op, "x".join(str(v) for v in case), dtype, worst, error, TOLERANCE[dtype])
