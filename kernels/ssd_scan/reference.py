"""Chunked selective scan (Mamba-2 / SSD form), in plain PyTorch: the ground truth.

Recurrence, per batch b and head h (state is P x N):
    S_t = exp(log_a_t) * S_{t-1} + x_t b_t^T
    y_t = S_t c_t
`log_a` <= 0 is the per-head scalar decay in log space (Mamba-2: dt * A). The chunked form
computes the same thing as matrix products inside chunks of `chunk_size` tokens and passes
fp32 states between chunks.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def ssd_scan_sequential(
    x: torch.Tensor,  # (B, L, H, P)
    log_a: torch.Tensor,  # (B, L, H)
    b: torch.Tensor,  # (B, L, H, N)
    c: torch.Tensor,  # (B, L, H, N)
    initial_state: torch.Tensor | None = None,  # (B, H, P, N)
) -> tuple[torch.Tensor, torch.Tensor]:
    """Token-by-token recurrence. Slow; used to check the chunked forms."""
    bsz, length, heads, p = x.shape
    n = b.shape[-1]
    state = (
        initial_state.float()
        if initial_state is not None
        else x.new_zeros(bsz, heads, p, n, dtype=torch.float32)
    )
    ys = []
    for t in range(length):
        decay = log_a[:, t].float().exp()[..., None, None]  # (B, H, 1, 1)
        state = decay * state + x[:, t].float()[..., :, None] * b[:, t].float()[..., None, :]
        ys.append(torch.einsum("bhpn,bhn->bhp", state, c[:, t].float()))
    y = torch.stack(ys, dim=1) if ys else x.new_zeros(bsz, 0, heads, p, dtype=torch.float32)
    return y.to(x.dtype), state


def ssd_scan_reference(
    x: torch.Tensor,  # (B, L, H, P)
    log_a: torch.Tensor,  # (B, L, H)
    b: torch.Tensor,  # (B, L, H, N)
    c: torch.Tensor,  # (B, L, H, N)
    chunk_size: int = 64,
    initial_state: torch.Tensor | None = None,  # (B, H, P, N)
) -> tuple[torch.Tensor, torch.Tensor]:
    """Chunked scan. Returns y (B, L, H, P) in x's dtype and the final state (B, H, P, N) fp32."""
    bsz, length, heads, p = x.shape
    n = b.shape[-1]
    in_dtype = x.dtype
    if length == 0:  # nothing to scan: the state passes through unchanged
        state = initial_state.float() if initial_state is not None else x.new_zeros(bsz, heads, p, n, dtype=torch.float32)
        return x.new_zeros(x.shape), state
    x, log_a, b, c = x.float(), log_a.float(), b.float(), c.float()
    pad = (-length) % chunk_size
    if pad:  # padded steps decay by 1 and add nothing, so the final state is unchanged
        x = F.pad(x, (0, 0, 0, 0, 0, pad))
        log_a = F.pad(log_a, (0, 0, 0, pad))
        b = F.pad(b, (0, 0, 0, 0, 0, pad))
        c = F.pad(c, (0, 0, 0, 0, 0, pad))
    nc = (length + pad) // chunk_size
    x = x.view(bsz, nc, chunk_size, heads, p)  # (B, Z, C, H, P)
    b = b.view(bsz, nc, chunk_size, heads, n)  # (B, Z, C, H, N)
    c = c.view(bsz, nc, chunk_size, heads, n)  # (B, Z, C, H, N)
    a_cum = log_a.view(bsz, nc, chunk_size, heads).cumsum(dim=2)  # (B, Z, C, H)

    # Within a chunk: y_t += sum_{s<=t} exp(a_cum_t - a_cum_s) (c_t . b_s) x_s
    seg = a_cum.permute(0, 1, 3, 2)  # (B, Z, H, C)
    diff = seg[..., :, None] - seg[..., None, :]  # (B, Z, H, C_t, C_s)
    causal = torch.ones(chunk_size, chunk_size, dtype=torch.bool, device=x.device).tril()
    decay = torch.exp(diff.masked_fill(~causal, float("-inf")))  # (B, Z, H, C, C)
    scores = torch.einsum("bzthn,bzshn->bzhts", c, b) * decay
    y = torch.einsum("bzhts,bzshp->bzthp", scores, x)  # (B, Z, C, H, P)

    # Each chunk's own contribution to the state at its end.
    to_end = torch.exp(a_cum[:, :, -1:, :] - a_cum)  # (B, Z, C, H)
    chunk_states = torch.einsum("bzsh,bzshp,bzshn->bzhpn", to_end, x, b)  # (B, Z, H, P, N)

    # Across chunks: a short sequential loop over Z chunk states, in fp32.
    state = (
        initial_state.float()
        if initial_state is not None
        else x.new_zeros(bsz, heads, p, n)
    )
    chunk_decay = a_cum[:, :, -1, :].exp()  # (B, Z, H)
    starts = []
    for z in range(nc):
        starts.append(state)
        state = chunk_decay[:, z, :, None, None] * state + chunk_states[:, z]
    start_states = torch.stack(starts, dim=1)  # (B, Z, H, P, N)

    # State entering the chunk, decayed to each position and read by c.
    y = y + torch.einsum("bzthn,bzhpn->bzthp", c, start_states) * a_cum.exp()[..., None]
    y = y.reshape(bsz, nc * chunk_size, heads, p)[:, :length]
    return y.to(in_dtype), state
