"""Chunked selective scan: `ssd_scan(x, log_a, b, c, chunk_size, initial_state) -> (y, final_state)`."""

from __future__ import annotations

from typing import Any

import torch

from memos.errors import KernelError
from memos.kernels.dispatch import backend_for
from memos.kernels.ssd_scan.reference import ssd_scan_reference, ssd_scan_sequential

__all__ = ["LOG_A_MIN", "ssd_scan", "ssd_scan_reference", "ssd_scan_sequential"]

# The lowest log decay the chunked forms see. Both take differences of log_a's running sum
# within a chunk, and a log_a of -inf makes them -inf - (-inf) = NaN; exp(-110) is already
# 0 in fp32 (below its smallest subnormal), where both compute, so a decay clamped here is
# the same decay: nothing is forgotten less, and the state after it is exactly the input's.
LOG_A_MIN = -110.0


def _check(x: torch.Tensor, log_a: torch.Tensor, b: torch.Tensor, c: torch.Tensor) -> None:
    if x.dim() != 4 or log_a.shape != x.shape[:3] or b.shape[:3] != x.shape[:3] or c.shape != b.shape:
        raise KernelError(
            "ssd_scan expects x (B, L, H, P), log_a (B, L, H), b and c (B, L, H, N); got "
            f"x {tuple(x.shape)}, log_a {tuple(log_a.shape)}, b {tuple(b.shape)}, c {tuple(c.shape)}"
        )


class _SSDScanTriton(torch.autograd.Function):
    """Triton forward and backward; saves only the inputs and recomputes chunk states."""

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any,
        x: torch.Tensor,
        log_a: torch.Tensor,
        b: torch.Tensor,
        c: torch.Tensor,
        initial_state: torch.Tensor | None,
        chunk_size: int,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        from memos.kernels.ssd_scan.triton import ssd_scan_triton_forward

        x, log_a, b, c = x.contiguous(), log_a.contiguous(), b.contiguous(), c.contiguous()
        y, final = ssd_scan_triton_forward(x, log_a, b, c, chunk_size, initial_state)
        ctx.save_for_backward(x, log_a, b, c, initial_state)
        ctx.chunk_size = chunk_size
        return y, final

    @staticmethod
    def backward(ctx: Any, dy: torch.Tensor | None, dfinal: torch.Tensor | None) -> tuple:  # type: ignore[override]
        from memos.kernels.ssd_scan.triton import ssd_scan_triton_backward

        x, log_a, b, c, initial_state = ctx.saved_tensors
        dy = torch.zeros_like(x) if dy is None else dy.to(x.dtype).contiguous()
        dx, dla, db, dc, dinit = ssd_scan_triton_backward(
            x, log_a, b, c, ctx.chunk_size, initial_state, dy, dfinal
        )
        dinit = dinit.to(initial_state.dtype) if initial_state is not None else None
        return dx, dla, db, dc, dinit, None


def ssd_scan(
    x: torch.Tensor,  # (B, L, H, P)
    log_a: torch.Tensor,  # (B, L, H), <= 0
    b: torch.Tensor,  # (B, L, H, N)
    c: torch.Tensor,  # (B, L, H, N)
    chunk_size: int = 64,
    initial_state: torch.Tensor | None = None,  # (B, H, P, N)
) -> tuple[torch.Tensor, torch.Tensor]:
    """Selective scan over a sequence. Returns y (B, L, H, P) and the final state (B, H, P, N, fp32)."""
    _check(x, log_a, b, c)
    if chunk_size < 1:
        raise KernelError(f"ssd_scan chunk_size must be >= 1, got {chunk_size}")
    if initial_state is not None and initial_state.shape != (*x.shape[:1], x.shape[2], x.shape[3], b.shape[3]):
        raise KernelError(
            f"ssd_scan initial_state must be (B, H, P, N) = "
            f"{(x.shape[0], x.shape[2], x.shape[3], b.shape[3])}; got {tuple(initial_state.shape)}"
        )
    log_a = log_a.clamp(min=LOG_A_MIN)  # (its gradient below: exp(log_a) = 0 there too)
    if backend_for(x) == "triton" and x.shape[1] > 0 and x.numel() > 0 and b.shape[-1] > 0:
        return _SSDScanTriton.apply(x, log_a, b, c, initial_state, chunk_size)
    return ssd_scan_reference(x, log_a, b, c, chunk_size, initial_state)
