"""Recurrent step: `ssd_step(x, log_a, b, c, state) -> (y, new_state)`."""

from __future__ import annotations

from typing import Any

import torch

from memos.errors import KernelError
from memos.kernels.dispatch import backend_for
from memos.kernels.ssd_step.reference import ssd_step_reference

__all__ = ["ssd_step", "ssd_step_reference"]


class _SSDStepTriton(torch.autograd.Function):
    """Triton forward; the backward is a handful of elementwise products, done in PyTorch."""

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any, x: torch.Tensor, log_a: torch.Tensor, b: torch.Tensor, c: torch.Tensor,
        state: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        from memos.kernels.ssd_step.triton import ssd_step_triton

        x, log_a, b, c, state = (t.contiguous() for t in (x, log_a, b, c, state))
        y, new_state = ssd_step_triton(x, log_a, b, c, state)
        ctx.save_for_backward(x, log_a, b, c, state, new_state)
        return y, new_state

    @staticmethod
    def backward(ctx: Any, dy: torch.Tensor | None, dnew: torch.Tensor | None) -> tuple:  # type: ignore[override]
        x, log_a, b, c, state, new_state = ctx.saved_tensors
        # new = a*S + x b^T and y = new c, so dL/dnew collects both paths.
        g = torch.zeros_like(new_state) if dnew is None else dnew.float()
        dyf = torch.zeros(x.shape, device=x.device) if dy is None else dy.float()
        g = g + dyf[..., :, None] * c.float()[..., None, :]  # (B, H, P, N)
        decay = log_a.float().exp()  # (B, H)
        dstate = decay[..., None, None] * g
        dx = torch.einsum("bhpn,bhn->bhp", g, b.float())
        db = torch.einsum("bhpn,bhp->bhn", g, x.float())
        dc = torch.einsum("bhpn,bhp->bhn", new_state, dyf)
        dla = decay * (g * state.float()).sum(dim=(-1, -2))
        return dx.to(x.dtype), dla.to(log_a.dtype), db.to(b.dtype), dc.to(c.dtype), dstate.to(state.dtype)


def ssd_step(
    x: torch.Tensor,  # (B, H, P)
    log_a: torch.Tensor,  # (B, H)
    b: torch.Tensor,  # (B, H, N)
    c: torch.Tensor,  # (B, H, N)
    state: torch.Tensor,  # (B, H, P, N)
) -> tuple[torch.Tensor, torch.Tensor]:
    """One token of the scan. Returns y (B, H, P) and the new state; the old state is untouched."""
    if (
        x.dim() != 3 or state.shape[:3] != x.shape or b.shape != c.shape or state.shape[-1] != b.shape[-1]
        or log_a.shape != x.shape[:2] or b.shape[:2] != x.shape[:2]
    ):
        raise KernelError(
            "ssd_step expects x (B, H, P), log_a (B, H), b and c (B, H, N), state (B, H, P, N); got "
            f"x {tuple(x.shape)}, log_a {tuple(log_a.shape)}, b {tuple(b.shape)}, state {tuple(state.shape)}"
        )
    if backend_for(x) == "triton" and state.numel() > 0:
        return _SSDStepTriton.apply(x, log_a, b, c, state)
    return ssd_step_reference(x, log_a, b, c, state)
