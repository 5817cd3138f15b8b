"""One recurrent step of the selective scan in Triton: new_state = a*state + x b^T, y = new_state c.

Generation is memory bound (read the P x N fp32 state, write it back), so the kernel streams
the state once: each program owns one (b, h) and a block of P rows, loads its rows as one
contiguous (BLOCK_P, N) tile, and writes y and the new state in the same pass.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

from memos.kernels.triton_launch import launchable, pow2_at_least


@triton.jit
def _step_kernel(
    x_ptr,  # (B, H, P)
    la_ptr,  # (B, H)
    b_ptr,  # (B, H, N)
    c_ptr,  # (B, H, N)
    state_ptr,  # (B, H, P, N)
    y_ptr,  # (B, H, P)
    new_ptr,  # (B, H, P, N) fp32
    P, N,
    BLOCK_P: tl.constexpr, BLOCK_N: tl.constexpr,
):
    bh = tl.program_id(0).to(tl.int64)
    offs_p = tl.program_id(1) * BLOCK_P + tl.arange(0, BLOCK_P)
    offs_n = tl.arange(0, BLOCK_N)
    pmask = offs_p < P
    nmask = offs_n < N
    decay = tl.exp(tl.load(la_ptr + bh).to(tl.float32))
    x = tl.load(x_ptr + bh * P + offs_p, mask=pmask, other=0.0).to(tl.float32)
    bv = tl.load(b_ptr + bh * N + offs_n, mask=nmask, other=0.0).to(tl.float32)
    cv = tl.load(c_ptr + bh * N + offs_n, mask=nmask, other=0.0).to(tl.float32)
    sp = (bh * P + offs_p[:, None]) * N + offs_n[None, :]
    smask = pmask[:, None] & nmask[None, :]
    state = tl.load(state_ptr + sp, mask=smask, other=0.0).to(tl.float32)
    new = decay * state + x[:, None] * bv[None, :]
    y = tl.sum(new * cv[None, :], 1)
    tl.store(new_ptr + sp, new, mask=smask)
    tl.store(y_ptr + bh * P + offs_p, y, mask=pmask)


def ssd_step_triton(
    x: torch.Tensor, log_a: torch.Tensor, b: torch.Tensor, c: torch.Tensor, state: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Contiguous inputs -> (y (B, H, P) in x's dtype, new state (B, H, P, N) fp32)."""
    bsz, heads, p = x.shape
    n = b.shape[-1]
    bn = pow2_at_least(n, floor=1)
    # Tiles of <= 1024 state elements: generation runs at batch 1, where only B*H*(P/BLOCK_P)
    # programs exist, so small tiles are what spreads the state over the GPU's SMs.
    bp = min(pow2_at_least(p, floor=1), max(1, 1024 // bn))
    y = torch.empty_like(x)
    new = torch.empty(bsz, heads, p, n, device=x.device, dtype=torch.float32)
    launchable(_step_kernel)[(bsz * heads, triton.cdiv(p, bp))](
        x, log_a, b, c, state, y, new, p, n, BLOCK_P=bp, BLOCK_N=bn, num_warps=4,
    )
    return y, new
