"""One recurrent step of the selective scan, for generation: O(1) state per token."""

from __future__ import annotations

import torch


def ssd_step_reference(
    x: torch.Tensor,  # (B, H, P)
    log_a: torch.Tensor,  # (B, H)
    b: torch.Tensor,  # (B, H, N)
    c: torch.Tensor,  # (B, H, N)
    state: torch.Tensor,  # (B, H, P, N) fp32
) -> tuple[torch.Tensor, torch.Tensor]:
    """Returns y (B, H, P) in x's dtype and the new state (B, H, P, N) fp32; `state` is not modified."""
    decay = log_a.float().exp()[..., None, None]  # (B, H, 1, 1)
    new_state = decay * state.float() + x.float()[..., :, None] * b.float()[..., None, :]
    y = torch.einsum("bhpn,bhn->bhp", new_state, c.float())
    return y.to(x.dtype), new_state
