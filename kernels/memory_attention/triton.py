"""Top-k memory cross-attention in Triton: fused gather + masked online softmax + weighted sum.

Each program owns one (b, h) and a tile of up to 64 query rows inside one selection block j.
It walks the K memories chosen for block j, and for each the memory's slots in tiles of
BLOCK_S, gathering keys and values straight from the (B, M, S, H, D) tensors by pointer
arithmetic (no gathered copy), so only a (BLOCK_L x BLOCK_S) score tile ever exists.
Softmax is online (running max and sum, fp32), as in FlashAttention; the forward saves the
row logsumexp so the backward can rebuild probabilities tile by tile.

Backward: one program per query tile again; dq accumulates in registers, dk and dv are
scattered with fp32 atomic adds because several query blocks may select the same memory.
Missing selections (index -1 or out of range) and padded slots are masked to -inf; a row with
no valid slot keeps l = 0, outputs 0 and gets logsumexp = +inf, so its backward terms vanish.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl
from memos.kernels.triton_launch import launchable, pow2_at_least


@triton.jit
def _mem_attn_fwd_kernel(
    q_ptr,  # (B, L, H, D)
    k_ptr, v_ptr,  # (B, M, S, H, D)
    smask_ptr,  # (B, M, S) uint8
    idx_ptr,  # (B, NB, H, K) int64
    o_ptr,  # (B, L, H, D)
    lse_ptr,  # (B, H, L) fp32
    L, H, D, M, S, K, NB, block_size, scale,
    NSUB: tl.constexpr, BLOCK_L: tl.constexpr, BLOCK_S: tl.constexpr, BLOCK_D: tl.constexpr,
):
    pid = tl.program_id(0)
    bh = tl.program_id(1).to(tl.int64)  # 64-bit offsets: B*L*H*P can pass 2**31
    b = bh // H
    h = bh % H
    j = pid // NSUB
    r = (pid % NSUB) * BLOCK_L + tl.arange(0, BLOCK_L)
    rows = j * block_size + r
    rmask = (r < block_size) & (rows < L)
    offs_d = tl.arange(0, BLOCK_D)
    dmask = offs_d < D
    qp = ((b * L + rows[:, None]) * H + h) * D + offs_d[None, :]
    q = tl.load(q_ptr + qp, mask=rmask[:, None] & dmask[None, :], other=0.0)

    m_i = tl.full([BLOCK_L], -1.0e30, dtype=tl.float32)  # finite: all-masked tiles keep alpha = 1
    l_i = tl.zeros([BLOCK_L], dtype=tl.float32)
    acc = tl.zeros([BLOCK_L, BLOCK_D], dtype=tl.float32)
    for kk in range(0, K):
        # The selection is broadcast to a vector: the interpreter mis-types (vector & scalar bool).
        mem = tl.zeros([BLOCK_S], dtype=tl.int64) + tl.load(idx_ptr + ((b * NB + j) * H + h) * K + kk)
        sel_ok = (mem >= 0) & (mem < M)
        mem = tl.where(sel_ok, mem, 0)
        for s0 in range(0, S, BLOCK_S):
            offs_s = s0 + tl.arange(0, BLOCK_S)
            in_s = (offs_s < S) & sel_ok
            slot_ok = tl.load(smask_ptr + (b * M + mem) * S + offs_s, mask=in_s, other=0) != 0
            ok = in_s & slot_ok
            kvp = (((b * M + mem[:, None]) * S + offs_s[:, None]) * H + h) * D + offs_d[None, :]
            kvm = ok[:, None] & dmask[None, :]
            kt = tl.load(k_ptr + kvp, mask=kvm, other=0.0)
            vt = tl.load(v_ptr + kvp, mask=kvm, other=0.0)
            s = tl.dot(q, tl.trans(kt)) * scale  # (BLOCK_L, BLOCK_S) fp32
            s = tl.where(ok[None, :], s, float("-inf"))
            m_new = tl.maximum(m_i, tl.max(s, 1))
            alpha = tl.exp(m_i - m_new)
            p = tl.exp(s - m_new[:, None])
            l_i = l_i * alpha + tl.sum(p, 1)
            acc = acc * alpha[:, None] + tl.dot(p.to(vt.dtype), vt)
            m_i = m_new
    has = l_i > 0.0
    out = acc / tl.where(has, l_i, 1.0)[:, None]
    tl.store(o_ptr + qp, out, mask=rmask[:, None] & dmask[None, :])
    lse = tl.where(has, m_i + tl.log(tl.where(has, l_i, 1.0)), float("inf"))
    tl.store(lse_ptr + bh * L + rows, lse, mask=rmask)


@triton.jit
def _mem_attn_bwd_kernel(
    q_ptr, k_ptr, v_ptr, smask_ptr, idx_ptr, o_ptr, do_ptr, lse_ptr,
    dq_ptr,  # (B, L, H, D)
    dk_ptr, dv_ptr,  # (B, M, S, H, D) fp32, accumulated atomically
    L, H, D, M, S, K, NB, block_size, scale,
    NSUB: tl.constexpr, BLOCK_L: tl.constexpr, BLOCK_S: tl.constexpr, BLOCK_D: tl.constexpr,
):
    pid = tl.program_id(0)
    bh = tl.program_id(1).to(tl.int64)  # 64-bit offsets: B*L*H*P can pass 2**31
    b = bh // H
    h = bh % H
    j = pid // NSUB
    r = (pid % NSUB) * BLOCK_L + tl.arange(0, BLOCK_L)
    rows = j * block_size + r
    rmask = (r < block_size) & (rows < L)
    offs_d = tl.arange(0, BLOCK_D)
    dmask = offs_d < D
    qp = ((b * L + rows[:, None]) * H + h) * D + offs_d[None, :]
    qm = rmask[:, None] & dmask[None, :]
    q = tl.load(q_ptr + qp, mask=qm, other=0.0)
    do = tl.load(do_ptr + qp, mask=qm, other=0.0)
    o = tl.load(o_ptr + qp, mask=qm, other=0.0).to(tl.float32)
    lse = tl.load(lse_ptr + bh * L + rows, mask=rmask, other=float("inf"))
    delta = tl.sum(o * do.to(tl.float32), 1)  # rowsum(dO o O) = sum_j p_j dp_j
    dq = tl.zeros([BLOCK_L, BLOCK_D], dtype=tl.float32)
    for kk in range(0, K):
        # The selection is broadcast to a vector: the interpreter mis-types (vector & scalar bool).
        mem = tl.zeros([BLOCK_S], dtype=tl.int64) + tl.load(idx_ptr + ((b * NB + j) * H + h) * K + kk)
        sel_ok = (mem >= 0) & (mem < M)
        mem = tl.where(sel_ok, mem, 0)
        for s0 in range(0, S, BLOCK_S):
            offs_s = s0 + tl.arange(0, BLOCK_S)
            in_s = (offs_s < S) & sel_ok
            slot_ok = tl.load(smask_ptr + (b * M + mem) * S + offs_s, mask=in_s, other=0) != 0
            ok = in_s & slot_ok
            kvp = (((b * M + mem[:, None]) * S + offs_s[:, None]) * H + h) * D + offs_d[None, :]
            kvm = ok[:, None] & dmask[None, :]
            kt = tl.load(k_ptr + kvp, mask=kvm, other=0.0)
            vt = tl.load(v_ptr + kvp, mask=kvm, other=0.0)
            s = tl.dot(q, tl.trans(kt)) * scale
            p = tl.exp(tl.where(ok[None, :], s, float("-inf")) - lse[:, None])  # (BLOCK_L, BLOCK_S)
            dv = tl.dot(tl.trans(p.to(do.dtype)), do)  # (BLOCK_S, BLOCK_D)
            tl.atomic_add(dv_ptr + kvp, dv, mask=kvm)
            dp = tl.dot(do, tl.trans(vt))
            ds = p * (dp - delta[:, None])
            dq += tl.dot(ds.to(kt.dtype), kt) * scale
            dk = tl.dot(tl.trans(ds.to(q.dtype)), q) * scale
            tl.atomic_add(dk_ptr + kvp, dk, mask=kvm)
    tl.store(dq_ptr + qp, dq, mask=qm)


def _warps(block_d: int) -> int:
    # ptxas -v on sm_90 with 64x64 tiles: 4 warps hit the 255-register cap (and spill in the
    # backward); 8 warps fit in 128 registers for bf16.
    return 8 if block_d >= 64 else 4


def _tiles(block_size: int, slots: int, dim: int) -> tuple[int, int, int, int]:
    block_l = min(64, pow2_at_least(block_size))
    nsub = -(-block_size // block_l)
    return block_l, nsub, min(64, pow2_at_least(slots)), pow2_at_least(dim)


def memory_attention_triton_forward(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, slot_mask: torch.Tensor,
    idx: torch.Tensor, block_size: int, scale: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Contiguous inputs -> (out (B, L, H, D) in q's dtype, logsumexp (B, H, L) fp32)."""
    bsz, length, heads, dim = q.shape
    mems, slots = k.shape[1], k.shape[2]
    nb, topk = idx.shape[1], idx.shape[3]
    block_l, nsub, block_s, block_d = _tiles(block_size, slots, dim)
    out = torch.empty_like(q)
    lse = torch.empty(bsz, heads, length, device=q.device, dtype=torch.float32)
    launchable(_mem_attn_fwd_kernel)[(nb * nsub, bsz * heads)](
        q, k, v, slot_mask.view(torch.uint8), idx, out, lse,
        length, heads, dim, mems, slots, topk, nb, block_size, scale,
        NSUB=nsub, BLOCK_L=block_l, BLOCK_S=block_s, BLOCK_D=block_d, num_warps=_warps(block_d),
    )
    return out, lse


def memory_attention_triton_backward(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, slot_mask: torch.Tensor,
    idx: torch.Tensor, block_size: int, scale: float,
    out: torch.Tensor, lse: torch.Tensor, dout: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Gradients (dq, dk, dv) in the dtypes of q, k, v."""
    bsz, length, heads, dim = q.shape
    mems, slots = k.shape[1], k.shape[2]
    nb, topk = idx.shape[1], idx.shape[3]
    block_l, nsub, block_s, block_d = _tiles(block_size, slots, dim)
    dq = torch.empty_like(q)
    dk = torch.zeros(k.shape, device=k.device, dtype=torch.float32)
    dv = torch.zeros(v.shape, device=v.device, dtype=torch.float32)
    launchable(_mem_attn_bwd_kernel)[(nb * nsub, bsz * heads)](
        q, k, v, slot_mask.view(torch.uint8), idx, out, dout, lse, dq, dk, dv,
        length, heads, dim, mems, slots, topk, nb, block_size, scale,
        NSUB=nsub, BLOCK_L=block_l, BLOCK_S=block_s, BLOCK_D=block_d, num_warps=_warps(block_d),
    )
    return dq, dk.to(k.dtype), dv.to(v.dtype)
