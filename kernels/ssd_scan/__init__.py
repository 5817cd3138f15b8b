"""Chunked selective scan: `ssd_scan(x, log_a, b, c, chunk_size, initial_state) -> (y, final_state)`."""

from __future__ import annotations

import torch

from memos.errors import KernelError
from memos.kernels.ssd_scan.reference import ssd_scan_reference, ssd_scan_sequential

__all__ = ["ssd_scan", "ssd_scan_reference", "ssd_scan_sequential"]


def _check(x: torch.Tensor, log_a: torch.Tensor, b: torch.Tensor, c: torch.Tensor) -> None:
    if x.dim() != 4 or log_a.shape != x.shape[:3] or b.shape[:3] != x.shape[:3] or c.shape != b.shape:
        raise KernelError(
            "ssd_scan expects x (B, L, H, P), log_a (B, L, H), b and c (B, L, H, N); got "
            f"x {tuple(x.shape)}, log_a {tuple(log_a.shape)}, b {tuple(b.shape)}, c {tuple(c.shape)}"
        )


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
    return ssd_scan_reference(x, log_a, b, c, chunk_size, initial_state)
