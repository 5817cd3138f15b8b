"""Recurrent step: `ssd_step(x, log_a, b, c, state) -> (y, new_state)`."""

from __future__ import annotations

import torch

from memos.errors import KernelError
from memos.kernels.ssd_step.reference import ssd_step_reference

__all__ = ["ssd_step", "ssd_step_reference"]


def ssd_step(
    x: torch.Tensor,  # (B, H, P)
    log_a: torch.Tensor,  # (B, H)
    b: torch.Tensor,  # (B, H, N)
    c: torch.Tensor,  # (B, H, N)
    state: torch.Tensor,  # (B, H, P, N)
) -> tuple[torch.Tensor, torch.Tensor]:
    """One token of the scan. Returns y (B, H, P) and the new state; the old state is untouched."""
    if x.dim() != 3 or state.shape[:3] != x.shape or b.shape != c.shape or state.shape[-1] != b.shape[-1]:
        raise KernelError(
            "ssd_step expects x (B, H, P), log_a (B, H), b and c (B, H, N), state (B, H, P, N); got "
            f"x {tuple(x.shape)}, b {tuple(b.shape)}, state {tuple(state.shape)}"
        )
    return ssd_step_reference(x, log_a, b, c, state)
