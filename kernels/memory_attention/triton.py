"""Top-k memory cross-attention in Triton: fused gather + masked online softmax + weighted sum.

The K selected memories of a query block, S slots each, are walked as one flattened axis of
K*S (memory, slot) pairs in tiles of BLOCK_X: `_slot_tile` turns a tile into slot rows of the
(B, M, S, H, D) key/value tensors (reading idx and slot_mask on the way), and keys and values
are gathered straight from there by pointer arithmetic. No gathered copy and no
(L x all-slots) score matrix exists; flattening keeps tiles full when memories have few slots.
Softmax is online (running max and sum in fp32, as in FlashAttention); the forward saves
each row's logsumexp so the backward rebuilds probabilities tile by tile.

Two program shapes:
* block kernels (block_size >= 4): one program per (b, h, tile of <= 64 rows of one query
  block); scores and outputs are tl.dot products and the block's rows share every K/V load.
* row kernels (block_size < 4, e.g. the model's per-token selection): one program per
  (b, h, query row) on a GPU; a (1 x D) query gains nothing from tl.dot, so rows use
  multiply + sum. In the interpreter a program takes 16 rows (cost there is per operation).
Backward: dq accumulates in registers; dk and dv are scattered with fp32 atomic adds because
several query blocks may select the same memory. Missing selections (-1, or >= M) and padded
slots are masked to -inf; a row with no valid slot keeps l = 0, outputs 0 and gets
logsumexp = +inf, so its backward terms vanish. Keys, values and slot_mask may have a batch
stride of 0 (one memory set shared by every row, as the model passes them).
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

from memos.kernels.triton_launch import dot_precision, interpreting, launchable, pow2_at_least


@triton.jit
def _slot_tile(idx_ptr, smask_ptr, sel_base, b, x0, M, S, KS, sm_b, BLOCK_X: tl.constexpr):
    """Slot rows (index m*S + s within batch b) of one tile of the K*S axis, and their validity."""
    offs = x0 + tl.arange(0, BLOCK_X)
    in_x = offs < KS
    kk = offs // S
    mem = tl.load(idx_ptr + sel_base + kk, mask=in_x, other=-1)
    ok = in_x & (mem >= 0) & (mem < M)
    slot = tl.where(ok, mem, 0) * S + (offs - kk * S)
    ok = ok & (tl.load(smask_ptr + b * sm_b + slot, mask=ok, other=0) != 0)
    return slot, ok


@triton.jit
def _mem_attn_fwd_kernel(
    q_ptr, k_ptr, v_ptr,  # (B, L, H, D); (B, M, S, H, D) with batch strides k_b, v_b
    smask_ptr, idx_ptr,  # (B, M, S) uint8 with batch stride sm_b; (B, NB, H, K) int64
    o_ptr, lse_ptr,  # (B, L, H, D); (B, H, L) fp32
    L, H, D, M, S, K, NB, block_size, scale, k_b, v_b, sm_b,
    NSUB: tl.constexpr, BLOCK_L: tl.constexpr, BLOCK_X: tl.constexpr, BLOCK_D: tl.constexpr,
    PRECISION: tl.constexpr,
):
    pid = tl.program_id(0)
    bh = tl.program_id(1).to(tl.int64)  # 64-bit offsets: B*L*H*D can pass 2**31
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
    sel_base = ((b * NB + j) * H + h) * K

    m_i = tl.full([BLOCK_L], float("-inf"), dtype=tl.float32)
    l_i = tl.zeros([BLOCK_L], dtype=tl.float32)
    acc = tl.zeros([BLOCK_L, BLOCK_D], dtype=tl.float32)
    for x0 in range(0, K * S, BLOCK_X):
        slot, ok = _slot_tile(idx_ptr, smask_ptr, sel_base, b, x0, M, S, K * S, sm_b, BLOCK_X)
        kvo = (slot[:, None] * H + h) * D + offs_d[None, :]
        kvm = ok[:, None] & dmask[None, :]
        kt = tl.load(k_ptr + b * k_b + kvo, mask=kvm, other=0.0)
        vt = tl.load(v_ptr + b * v_b + kvo, mask=kvm, other=0.0)
        s = tl.dot(q, tl.trans(kt), input_precision=PRECISION) * scale  # (BLOCK_L, BLOCK_X) fp32
        s = tl.where(ok[None, :], s, float("-inf"))
        m_new = tl.maximum(m_i, tl.max(s, 1))
        # a row with no valid slot so far has m_new = -inf: shift by 0 there (p = 0, and
        # alpha = 0 on the zeros it has), which any finite score, however low, is not
        m_run = tl.where(m_new == float("-inf"), 0.0, m_new)
        alpha = tl.exp(m_i - m_run)
        p = tl.exp(s - m_run[:, None])
        l_i = l_i * alpha + tl.sum(p, 1)
        acc = acc * alpha[:, None] + tl.dot(p.to(vt.dtype), vt, input_precision=PRECISION)
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
    dk_ptr, dv_ptr,  # (B, M, S, H, D) fp32 contiguous, accumulated atomically
    L, H, D, M, S, K, NB, block_size, scale, k_b, v_b, sm_b,
    NSUB: tl.constexpr, BLOCK_L: tl.constexpr, BLOCK_X: tl.constexpr, BLOCK_D: tl.constexpr,
    PRECISION: tl.constexpr,
):
    pid = tl.program_id(0)
    bh = tl.program_id(1).to(tl.int64)
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
    delta = tl.sum(o * do.to(tl.float32), 1)  # rowsum(dO o O) = sum_x p_x dp_x
    sel_base = ((b * NB + j) * H + h) * K
    g_b = M * S * H * D
    dq = tl.zeros([BLOCK_L, BLOCK_D], dtype=tl.float32)
    for x0 in range(0, K * S, BLOCK_X):
        slot, ok = _slot_tile(idx_ptr, smask_ptr, sel_base, b, x0, M, S, K * S, sm_b, BLOCK_X)
        kvo = (slot[:, None] * H + h) * D + offs_d[None, :]
        kvm = ok[:, None] & dmask[None, :]
        kt = tl.load(k_ptr + b * k_b + kvo, mask=kvm, other=0.0)
        vt = tl.load(v_ptr + b * v_b + kvo, mask=kvm, other=0.0)
        s = tl.dot(q, tl.trans(kt), input_precision=PRECISION) * scale
        p = tl.exp(tl.where(ok[None, :], s, float("-inf")) - lse[:, None])  # (BLOCK_L, BLOCK_X)
        dv = tl.dot(tl.trans(p.to(do.dtype)), do, input_precision=PRECISION)  # (BLOCK_X, BLOCK_D)
        tl.atomic_add(dv_ptr + b * g_b + kvo, dv, mask=kvm)
        ds = p * (tl.dot(do, tl.trans(vt), input_precision=PRECISION) - delta[:, None])
        dq += tl.dot(ds.to(kt.dtype), kt, input_precision=PRECISION) * scale
        dk = tl.dot(tl.trans(ds.to(q.dtype)), q, input_precision=PRECISION) * scale
        tl.atomic_add(dk_ptr + b * g_b + kvo, dk, mask=kvm)
    tl.store(dq_ptr + qp, dq, mask=qm)


@triton.jit
def _slot_tile_rows(idx_ptr, smask_ptr, sel_base, rmask, b, x0, M, S, KS, sm_b, BLOCK_X: tl.constexpr):
    """`_slot_tile` for ROWS query rows with their own selections: (ROWS, BLOCK_X) slots, validity."""
    offs = x0 + tl.arange(0, BLOCK_X)
    in_x = rmask[:, None] & (offs < KS)[None, :]
    kk = offs // S
    mem = tl.load(idx_ptr + sel_base[:, None] + kk[None, :], mask=in_x, other=-1)
    ok = in_x & (mem >= 0) & (mem < M)
    slot = tl.where(ok, mem, 0) * S + (offs - kk * S)[None, :]
    ok = ok & (tl.load(smask_ptr + b * sm_b + slot, mask=ok, other=0) != 0)
    return slot, ok


@triton.jit
def _mem_attn_row_fwd_kernel(
    q_ptr, k_ptr, v_ptr, smask_ptr, idx_ptr, o_ptr, lse_ptr,
    L, H, D, M, S, K, NB, block_size, scale, k_b, v_b, sm_b,
    ROWS: tl.constexpr, BLOCK_X: tl.constexpr, BLOCK_D: tl.constexpr,
):
    # ROWS query rows per program, each with its own selection: 1 on a GPU (a row's K/V reads
    # are its own, so more rows per program only add registers); 16 in the interpreter, where
    # the cost is per tl operation and wider tiles are nearly free.
    rows = tl.program_id(0) * ROWS + tl.arange(0, ROWS)
    bh = tl.program_id(1).to(tl.int64)
    b = bh // H
    h = bh % H
    rmask = rows < L
    offs_d = tl.arange(0, BLOCK_D)
    dmask = offs_d < D
    qp = ((b * L + rows[:, None]) * H + h) * D + offs_d[None, :]
    qm = rmask[:, None] & dmask[None, :]
    q = tl.load(q_ptr + qp, mask=qm, other=0.0).to(tl.float32)  # (ROWS, BLOCK_D)
    sel_base = ((b * NB + rows // block_size) * H + h) * K
    m_i = tl.full([ROWS], float("-inf"), dtype=tl.float32)
    l_i = tl.zeros([ROWS], dtype=tl.float32)
    acc = tl.zeros([ROWS, BLOCK_D], dtype=tl.float32)
    for x0 in range(0, K * S, BLOCK_X):
        slot, ok = _slot_tile_rows(idx_ptr, smask_ptr, sel_base, rmask, b, x0, M, S, K * S, sm_b, BLOCK_X)
        kvo = (slot[:, :, None] * H + h) * D + offs_d[None, None, :]
        kvm = ok[:, :, None] & dmask[None, None, :]
        kt = tl.load(k_ptr + b * k_b + kvo, mask=kvm, other=0.0).to(tl.float32)  # (ROWS, X, D)
        vt = tl.load(v_ptr + b * v_b + kvo, mask=kvm, other=0.0).to(tl.float32)
        s = tl.where(ok, tl.sum(kt * q[:, None, :], 2) * scale, float("-inf"))  # (ROWS, X)
        m_new = tl.maximum(m_i, tl.max(s, 1))
        # a row with no valid slot so far has m_new = -inf: shift by 0 there (p = 0, and
        # alpha = 0 on the zeros it has), which any finite score, however low, is not
        m_run = tl.where(m_new == float("-inf"), 0.0, m_new)
        alpha = tl.exp(m_i - m_run)
        p = tl.exp(s - m_run[:, None])
        l_i = l_i * alpha + tl.sum(p, 1)
        acc = acc * alpha[:, None] + tl.sum(p[:, :, None] * vt, 1)
        m_i = m_new
    has = l_i > 0.0
    tl.store(o_ptr + qp, acc / tl.where(has, l_i, 1.0)[:, None], mask=qm)
    lse = tl.where(has, m_i + tl.log(tl.where(has, l_i, 1.0)), float("inf"))
    tl.store(lse_ptr + bh * L + rows, lse, mask=rmask)


@triton.jit
def _mem_attn_row_bwd_kernel(
    q_ptr, k_ptr, v_ptr, smask_ptr, idx_ptr, o_ptr, do_ptr, lse_ptr, dq_ptr, dk_ptr, dv_ptr,
    L, H, D, M, S, K, NB, block_size, scale, k_b, v_b, sm_b,
    ROWS: tl.constexpr, BLOCK_X: tl.constexpr, BLOCK_D: tl.constexpr,
):
    rows = tl.program_id(0) * ROWS + tl.arange(0, ROWS)
    bh = tl.program_id(1).to(tl.int64)
    b = bh // H
    h = bh % H
    rmask = rows < L
    offs_d = tl.arange(0, BLOCK_D)
    dmask = offs_d < D
    qp = ((b * L + rows[:, None]) * H + h) * D + offs_d[None, :]
    qm = rmask[:, None] & dmask[None, :]
    q = tl.load(q_ptr + qp, mask=qm, other=0.0).to(tl.float32)
    do = tl.load(do_ptr + qp, mask=qm, other=0.0).to(tl.float32)
    o = tl.load(o_ptr + qp, mask=qm, other=0.0).to(tl.float32)
    lse = tl.load(lse_ptr + bh * L + rows, mask=rmask, other=float("inf"))
    delta = tl.sum(o * do, 1)  # (ROWS,)
    sel_base = ((b * NB + rows // block_size) * H + h) * K
    g_b = M * S * H * D
    dq = tl.zeros([ROWS, BLOCK_D], dtype=tl.float32)
    for x0 in range(0, K * S, BLOCK_X):
        slot, ok = _slot_tile_rows(idx_ptr, smask_ptr, sel_base, rmask, b, x0, M, S, K * S, sm_b, BLOCK_X)
        kvo = (slot[:, :, None] * H + h) * D + offs_d[None, None, :]
        kvm = ok[:, :, None] & dmask[None, None, :]
        kt = tl.load(k_ptr + b * k_b + kvo, mask=kvm, other=0.0).to(tl.float32)
        vt = tl.load(v_ptr + b * v_b + kvo, mask=kvm, other=0.0).to(tl.float32)
        s = tl.where(ok, tl.sum(kt * q[:, None, :], 2) * scale, float("-inf"))
        p = tl.exp(s - lse[:, None])  # (ROWS, X)
        tl.atomic_add(dv_ptr + b * g_b + kvo, p[:, :, None] * do[:, None, :], mask=kvm)
        ds = p * (tl.sum(vt * do[:, None, :], 2) - delta[:, None])
        dq += tl.sum(ds[:, :, None] * kt, 1) * scale
        tl.atomic_add(dk_ptr + b * g_b + kvo, ds[:, :, None] * q[:, None, :] * scale, mask=kvm)
    tl.store(dq_ptr + qp, dq, mask=qm)


ROW_KERNEL_BELOW = 4  # block sizes under this use the row kernels
INTERPRETER_ROWS = 16  # query rows per row-kernel program in the interpreter (1 on a GPU)


def _warps(block_d: int) -> int:
    # `memos bench kernels --compile-sm90`, 64x64 tiles, block and row kernels alike: 4 warps
    # hit the 255-register cap and spill in the backward; 8 warps fit.
    return 8 if block_d >= 64 else 4


def _tiles(block_size: int, slots: int, dim: int) -> tuple[int, int, int, int]:
    """(BLOCK_L, query tiles per block, BLOCK_X, BLOCK_D) for the block kernels."""
    block_l = min(64, pow2_at_least(block_size))
    return block_l, -(-block_size // block_l), 64, pow2_at_least(dim)


def _memory_side(t: torch.Tensor) -> tuple[torch.Tensor, int]:
    """`t` and its batch stride in elements; copies only if a row of the batch is not contiguous."""
    if t.shape[0] > 1 and not t[0].is_contiguous():
        t = t.contiguous()
    elif t.shape[0] == 1 and not t.is_contiguous():
        t = t.contiguous()
    return t, (t.stride(0) if t.shape[0] > 1 else 0)


def _launch(fwd: bool, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, slot_mask: torch.Tensor,
            idx: torch.Tensor, block_size: int, scale: float, tensors: tuple) -> None:
    bsz, length, heads, dim = q.shape
    mems, slots = k.shape[1], k.shape[2]
    nb, topk = idx.shape[1], idx.shape[3]
    k, k_b = _memory_side(k)
    v, v_b = _memory_side(v)
    sm, sm_b = _memory_side(slot_mask.view(torch.uint8))
    args = (q, k, v, sm, idx, *tensors, length, heads, dim, mems, slots, topk, nb, block_size, scale,
            k_b, v_b, sm_b)
    block_d = pow2_at_least(dim)
    if block_size < ROW_KERNEL_BELOW:
        kernel = _mem_attn_row_fwd_kernel if fwd else _mem_attn_row_bwd_kernel
        rows = INTERPRETER_ROWS if interpreting() else 1
        block_x = min(64, pow2_at_least(topk * slots))
        launchable(kernel)[(triton.cdiv(length, rows), bsz * heads)](
            *args, ROWS=rows, BLOCK_X=block_x, BLOCK_D=block_d, num_warps=_warps(block_d)
        )
        return
    block_l, nsub, block_x, block_d = _tiles(block_size, slots, dim)
    kernel = _mem_attn_fwd_kernel if fwd else _mem_attn_bwd_kernel
    launchable(kernel)[(nb * nsub, bsz * heads)](
        *args, NSUB=nsub, BLOCK_L=block_l, BLOCK_X=block_x, BLOCK_D=block_d,
        PRECISION=dot_precision(q.dtype), num_warps=_warps(block_d),
    )


def memory_attention_triton_forward(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, slot_mask: torch.Tensor,
    idx: torch.Tensor, block_size: int, scale: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Contiguous q and idx -> (out (B, L, H, D) in q's dtype, logsumexp (B, H, L) fp32)."""
    bsz, length, heads, _ = q.shape
    out = torch.empty_like(q)
    lse = torch.empty(bsz, heads, length, device=q.device, dtype=torch.float32)
    _launch(True, q, k, v, slot_mask, idx, block_size, scale, (out, lse))
    return out, lse


def memory_attention_triton_backward(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, slot_mask: torch.Tensor,
    idx: torch.Tensor, block_size: int, scale: float,
    out: torch.Tensor, lse: torch.Tensor, dout: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Gradients (dq, dk, dv) in the dtypes of q, k, v (dk, dv full (B, M, S, H, D))."""
    dq = torch.empty_like(q)
    dk = torch.zeros(k.shape, device=k.device, dtype=torch.float32)
    dv = torch.zeros(v.shape, device=v.device, dtype=torch.float32)
    _launch(False, q, k, v, slot_mask, idx, block_size, scale, (out, dout, lse, dq, dk, dv))
    return dq, dk.to(k.dtype), dv.to(v.dtype)
