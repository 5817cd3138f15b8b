"""Chunked selective scan (SSD) in Triton: forward and backward, fp32 states between chunks.

Per (batch b, head h), the sequence is cut into chunks of C tokens; A_t is the cumulative sum of
log_a inside a chunk and S0_z the state entering chunk z (P x N, fp32).

Forward (three launches):
  1. `_chunk_state_kernel`   local_z = sum_s exp(A_end - A_s) x_s b_s^T           grid (Z, B*H)
  2. `_state_pass_kernel`    S0_{z+1} = exp(A_end_z) S0_z + local_z  (sequential in z)
  3. `_chunk_out_kernel`     y = ((C B^T) o decay) X + exp(A) * C S0^T             grid (Z, B*H)
Backward recomputes S0 (1, 2), runs the same two kernels on (dy, c) in reverse to get
G_z = dL/dS0_{z+1}, then `_chunk_bwd_kernel` forms dx, db, dc and dlog_a chunk-locally.
All chunk-local work is tl.dot on (C x C), (C x P), (C x N), (P x N) tiles; each program owns
one (b, h, chunk), so a GPU sees B*H*Z programs and the only sequential part is the cheap
state pass over Z states. Inputs are made contiguous (B, L, H, *) so each token row is one
coalesced P- or N-wide load.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

from memos.kernels.triton_launch import dot_precision, launchable, pow2_at_least


@triton.jit
def _chunk_state_kernel(
    u_ptr,  # (B, L, H, P)
    v_ptr,  # (B, L, H, N)
    la_ptr,  # (B, L, H)
    out_ptr,  # (B, Z, H, P, N) fp32
    aend_ptr,  # (B, H, Z) fp32: sum of log_a over each chunk
    L, H, P, N, Z,
    TO_END: tl.constexpr,  # weights exp(A_end - A_s) (forward state); else exp(A_s) (dy pass)
    BLOCK_C: tl.constexpr, BLOCK_P: tl.constexpr, BLOCK_N: tl.constexpr, PRECISION: tl.constexpr,
):
    z = tl.program_id(0)
    bh = tl.program_id(1).to(tl.int64)  # 64-bit offsets: B*L*H*P can pass 2**31
    b = bh // H
    h = bh % H
    offs_c = tl.arange(0, BLOCK_C)
    offs_p = tl.arange(0, BLOCK_P)
    offs_n = tl.arange(0, BLOCK_N)
    t = z * BLOCK_C + offs_c
    row = (b * L + t) * H + h  # (C,) token-row index into (B, L, H)
    tmask = t < L
    la = tl.load(la_ptr + row, mask=tmask, other=0.0).to(tl.float32)
    a_cum = tl.cumsum(la, 0)
    a_end = tl.sum(la, 0)
    if TO_END:
        w = tl.exp(a_end - a_cum)
    else:
        w = tl.exp(a_cum)
    u = tl.load(u_ptr + row[:, None] * P + offs_p[None, :],
                mask=tmask[:, None] & (offs_p[None, :] < P), other=0.0).to(tl.float32)
    v = tl.load(v_ptr + row[:, None] * N + offs_n[None, :],
                mask=tmask[:, None] & (offs_n[None, :] < N), other=0.0).to(tl.float32)
    acc = tl.dot(tl.trans(u * w[:, None]), v, input_precision=PRECISION)  # (P, N)
    base = ((b * Z + z) * H + h) * P
    tl.store(out_ptr + (base + offs_p[:, None]) * N + offs_n[None, :], acc,
             mask=(offs_p[:, None] < P) & (offs_n[None, :] < N))
    tl.store(aend_ptr + (b * H + h) * Z + z, a_end)


@triton.jit
def _state_pass_kernel(
    local_ptr,  # (B, Z, H, P*N) fp32
    aend_ptr,  # (B, H, Z) fp32
    init_ptr,  # (B, H, P*N) or dummy
    out_ptr,  # (B, Z, H, P*N) fp32: the state before chunk z is folded in
    final_ptr,  # (B, H, P*N) fp32
    H, PN, Z,
    HAS_INIT: tl.constexpr, REVERSE: tl.constexpr, BLOCK: tl.constexpr,
):
    # state <- exp(A_end_z) * state + local_z, z ascending (forward) or descending (backward:
    # the same recurrence carries dL/dS0 from the last chunk to the first).
    pid = tl.program_id(0)
    bh = tl.program_id(1).to(tl.int64)  # 64-bit offsets: B*L*H*P can pass 2**31
    b = bh // H
    h = bh % H
    offs = pid * BLOCK + tl.arange(0, BLOCK)
    mask = offs < PN
    if HAS_INIT:
        state = tl.load(init_ptr + bh * PN + offs, mask=mask, other=0.0).to(tl.float32)
    else:
        state = tl.zeros([BLOCK], dtype=tl.float32)
    for i in range(0, Z):
        if REVERSE:
            z = Z - 1 - i
        else:
            z = i
        at = ((b * Z + z) * H + h) * PN + offs
        tl.store(out_ptr + at, state, mask=mask)
        decay = tl.exp(tl.load(aend_ptr + bh * Z + z))
        state = decay * state + tl.load(local_ptr + at, mask=mask, other=0.0)
    tl.store(final_ptr + bh * PN + offs, state, mask=mask)


@triton.jit
def _chunk_out_kernel(
    x_ptr, la_ptr, b_ptr, c_ptr,  # (B, L, H, P), (B, L, H), (B, L, H, N) x2
    s0_ptr,  # (B, Z, H, P, N) fp32
    y_ptr,  # (B, L, H, P)
    L, H, P, N, Z,
    BLOCK_C: tl.constexpr, BLOCK_P: tl.constexpr, BLOCK_N: tl.constexpr, PRECISION: tl.constexpr,
):
    z = tl.program_id(0)
    bh = tl.program_id(1).to(tl.int64)  # 64-bit offsets: B*L*H*P can pass 2**31
    b = bh // H
    h = bh % H
    offs_c = tl.arange(0, BLOCK_C)
    offs_p = tl.arange(0, BLOCK_P)
    offs_n = tl.arange(0, BLOCK_N)
    t = z * BLOCK_C + offs_c
    row = (b * L + t) * H + h
    tmask = t < L
    pmask = offs_p < P
    nmask = offs_n < N
    la = tl.load(la_ptr + row, mask=tmask, other=0.0).to(tl.float32)
    a_cum = tl.cumsum(la, 0)
    x = tl.load(x_ptr + row[:, None] * P + offs_p[None, :],
                mask=tmask[:, None] & pmask[None, :], other=0.0).to(tl.float32)
    bm = tl.load(b_ptr + row[:, None] * N + offs_n[None, :],
                 mask=tmask[:, None] & nmask[None, :], other=0.0).to(tl.float32)
    cm = tl.load(c_ptr + row[:, None] * N + offs_n[None, :],
                 mask=tmask[:, None] & nmask[None, :], other=0.0).to(tl.float32)
    base = ((b * Z + z) * H + h) * P
    s0 = tl.load(s0_ptr + (base + offs_p[:, None]) * N + offs_n[None, :],
                 mask=pmask[:, None] & nmask[None, :], other=0.0)
    causal = offs_c[:, None] >= offs_c[None, :]
    # Mask before exp: above the diagonal A_t - A_s > 0 and could overflow.
    decay = tl.exp(tl.where(causal, a_cum[:, None] - a_cum[None, :], float("-inf")))
    scores = tl.dot(cm, tl.trans(bm), input_precision=PRECISION) * decay  # (C_t, C_s)
    y = tl.dot(scores, x, input_precision=PRECISION)
    y += tl.exp(a_cum)[:, None] * tl.dot(cm, tl.trans(s0), input_precision=PRECISION)
    tl.store(y_ptr + row[:, None] * P + offs_p[None, :], y, mask=tmask[:, None] & pmask[None, :])


@triton.jit
def _chunk_bwd_kernel(
    x_ptr, la_ptr, b_ptr, c_ptr, dy_ptr,
    s0_ptr, g_ptr,  # (B, Z, H, P, N) fp32: state entering chunk z, dL/d(state leaving it)
    dx_ptr, dla_ptr, db_ptr, dc_ptr,
    L, H, P, N, Z,
    BLOCK_C: tl.constexpr, BLOCK_P: tl.constexpr, BLOCK_N: tl.constexpr, PRECISION: tl.constexpr,
):
    z = tl.program_id(0)
    bh = tl.program_id(1).to(tl.int64)  # 64-bit offsets: B*L*H*P can pass 2**31
    b = bh // H
    h = bh % H
    offs_c = tl.arange(0, BLOCK_C)
    offs_p = tl.arange(0, BLOCK_P)
    offs_n = tl.arange(0, BLOCK_N)
    t = z * BLOCK_C + offs_c
    row = (b * L + t) * H + h
    tmask = t < L
    pmask = offs_p < P
    nmask = offs_n < N
    xp = row[:, None] * P + offs_p[None, :]
    xm = tmask[:, None] & pmask[None, :]
    bp = row[:, None] * N + offs_n[None, :]
    bmask = tmask[:, None] & nmask[None, :]
    sp = (((b * Z + z) * H + h) * P + offs_p[:, None]) * N + offs_n[None, :]
    smask = pmask[:, None] & nmask[None, :]
    la = tl.load(la_ptr + row, mask=tmask, other=0.0).to(tl.float32)
    a_cum = tl.cumsum(la, 0)
    a_end = tl.sum(la, 0)
    causal = offs_c[:, None] >= offs_c[None, :]
    decay = tl.exp(tl.where(causal, a_cum[:, None] - a_cum[None, :], float("-inf")))
    w_state = tl.exp(a_end - a_cum)  # token s -> end of chunk
    w_out = tl.exp(a_cum)  # start of chunk -> token t

    # Ordered so that each (C x C) / (C x P) tile dies as soon as its gradient is stored: the
    # kernel holds many 64x64 fp32 tiles and register pressure is its limit on a GPU.
    bm = tl.load(b_ptr + bp, mask=bmask, other=0.0).to(tl.float32)
    cm = tl.load(c_ptr + bp, mask=bmask, other=0.0).to(tl.float32)
    cb = tl.dot(cm, tl.trans(bm), input_precision=PRECISION) * decay  # (t, s): decay_ts c_t.b_s
    x = tl.load(x_ptr + xp, mask=xm, other=0.0).to(tl.float32)
    dy = tl.load(dy_ptr + xp, mask=xm, other=0.0).to(tl.float32)
    dyx = tl.dot(dy, tl.trans(x), input_precision=PRECISION)  # (t, s): dy_t.x_s
    # dL/dA_t through the intra-chunk decays: +row sums (A_t) and -column sums (A_s).
    wts = cb * dyx
    d_acum = tl.sum(wts, 1) - tl.sum(wts, 0)
    dyx = dyx * decay

    g = tl.load(g_ptr + sp, mask=smask, other=0.0)
    dx = tl.dot(tl.trans(cb), dy, input_precision=PRECISION)
    dx += w_state[:, None] * tl.dot(bm, tl.trans(g), input_precision=PRECISION)
    tl.store(dx_ptr + xp, dx, mask=xm)
    db_state = w_state[:, None] * tl.dot(x, g, input_precision=PRECISION)  # (s, N)
    db = tl.dot(tl.trans(dyx), cm, input_precision=PRECISION) + db_state
    tl.store(db_ptr + bp, db, mask=bmask)
    s0 = tl.load(s0_ptr + sp, mask=smask, other=0.0)
    d_aend = tl.sum(bm * db_state) + tl.exp(a_end) * tl.sum(g * s0)
    d_acum -= tl.sum(bm * db_state, 1)
    dc_state = w_out[:, None] * tl.dot(dy, s0, input_precision=PRECISION)  # (t, N)
    dc = tl.dot(dyx, bm, input_precision=PRECISION) + dc_state
    tl.store(dc_ptr + bp, dc, mask=bmask)
    d_acum += tl.sum(cm * dc_state, 1)
    # dlog_a_k = sum_{t >= k} dA_t, and A_end depends on every log_a of the chunk.
    dla = tl.sum(d_acum, 0) - tl.cumsum(d_acum, 0) + d_acum + d_aend
    tl.store(dla_ptr + row, dla, mask=tmask)


def _chunk(chunk_size: int) -> int:
    # The chunked form is exact for any chunk length, so a non-power-of-two request is rounded
    # up to the tile tl.dot can use; results differ only by float rounding.
    return min(256, pow2_at_least(chunk_size))


def _warps(bp: int, bn: int, chunk: int, precision: str = "tf32") -> int:
    # bf16 / fp16 inputs (tf32 dots), measured on an H200 (64-wide tiles; docs/BENCHMARKS.md,
    # "On an NVIDIA H200"): 4 warps ran the scan 14-26 % faster than 8 from L = 16,384,
    # although ptxas reports the 4-warp output and backward kernels spilling a little
    # (`--compile-sm90`); 16 warps were twice as slow. fp32 inputs (exact "ieee" dots, the
    # model's own dtype) hold about twice the registers: at 4 warps ptxas spills 6-16 KB per
    # thread there, at 8 warps 0-6 KB, and fp32 has not been timed on a GPU: 8 warps for
    # 64-wide fp32 tiles until it is.
    if precision == "ieee" and max(bp, bn, chunk) >= 64:
        return 8
    return 4


def _states(
    u: torch.Tensor, v: torch.Tensor, la: torch.Tensor, init: torch.Tensor | None,
    chunk: int, to_end: bool, reverse: bool,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Chunk-local outer-product sums, then the sequential pass. Returns (per-chunk, final)."""
    bsz, length, heads, p = u.shape
    n = v.shape[-1]
    nz = -(-length // chunk)
    bp, bn = pow2_at_least(p), pow2_at_least(n)
    local = torch.empty(bsz, nz, heads, p, n, device=u.device, dtype=torch.float32)
    aend = torch.empty(bsz, heads, nz, device=u.device, dtype=torch.float32)
    launchable(_chunk_state_kernel)[(nz, bsz * heads)](
        u, v, la, local, aend, length, heads, p, n, nz,
        TO_END=to_end, BLOCK_C=chunk, BLOCK_P=bp, BLOCK_N=bn, PRECISION=dot_precision(u.dtype),
        num_warps=_warps(bp, bn, chunk, dot_precision(u.dtype)),
    )
    per_chunk = torch.empty_like(local)
    final = torch.empty(bsz, heads, p, n, device=u.device, dtype=torch.float32)
    pn = p * n
    block = min(1024, triton.next_power_of_2(pn))
    if u.is_cuda:
        # The pass is sequential over chunks, so its speed comes from the number of programs:
        # at batch 1 shrink the state slice per program until about two per SM exist.
        sms = torch.cuda.get_device_properties(u.device).multi_processor_count
        while block > 128 and triton.cdiv(pn, block) * bsz * heads < 2 * sms:
            block //= 2
    launchable(_state_pass_kernel)[(triton.cdiv(pn, block), bsz * heads)](
        local, aend, init if init is not None else final, per_chunk, final, heads, pn, nz,
        HAS_INIT=init is not None, REVERSE=reverse, BLOCK=block, num_warps=4,
    )
    return per_chunk, final


def ssd_scan_triton_forward(
    x: torch.Tensor, log_a: torch.Tensor, b: torch.Tensor, c: torch.Tensor,
    chunk_size: int, initial_state: torch.Tensor | None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Contiguous inputs (B, L, H, *) -> y (B, L, H, P) in x's dtype, final state fp32."""
    bsz, length, heads, p = x.shape
    n = b.shape[-1]
    chunk = _chunk(chunk_size)
    init = initial_state.float().contiguous() if initial_state is not None else None
    s0, final = _states(x, b, log_a, init, chunk, to_end=True, reverse=False)
    y = torch.empty_like(x)
    bp, bn = pow2_at_least(p), pow2_at_least(n)
    launchable(_chunk_out_kernel)[(s0.shape[1], bsz * heads)](
        x, log_a, b, c, s0, y, length, heads, p, n, s0.shape[1],
        BLOCK_C=chunk, BLOCK_P=bp, BLOCK_N=bn, PRECISION=dot_precision(x.dtype),
        num_warps=_warps(bp, bn, chunk, dot_precision(x.dtype)),
    )
    return y, final


def ssd_scan_triton_backward(
    x: torch.Tensor, log_a: torch.Tensor, b: torch.Tensor, c: torch.Tensor,
    chunk_size: int, initial_state: torch.Tensor | None,
    dy: torch.Tensor, dfinal: torch.Tensor | None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Gradients (dx, dlog_a, db, dc, dinitial_state fp32) for contiguous inputs."""
    bsz, length, heads, p = x.shape
    n = b.shape[-1]
    chunk = _chunk(chunk_size)
    init = initial_state.float().contiguous() if initial_state is not None else None
    # Recompute the entering states rather than keeping them from the forward: they are as
    # large as x in fp32 and two cheap launches rebuild them.
    s0, _ = _states(x, b, log_a, init, chunk, to_end=True, reverse=False)
    dfin = dfinal.float().contiguous() if dfinal is not None else None
    g, dinit = _states(dy, c, log_a, dfin, chunk, to_end=False, reverse=True)
    dx = torch.empty_like(x)
    dla = torch.empty_like(log_a)
    db = torch.empty_like(b)
    dc = torch.empty_like(c)
    bp, bn = pow2_at_least(p), pow2_at_least(n)
    launchable(_chunk_bwd_kernel)[(s0.shape[1], bsz * heads)](
        x, log_a, b, c, dy, s0, g, dx, dla, db, dc, length, heads, p, n, s0.shape[1],
        BLOCK_C=chunk, BLOCK_P=bp, BLOCK_N=bn, PRECISION=dot_precision(x.dtype),
        num_warps=_warps(bp, bn, chunk, dot_precision(x.dtype)),
    )
    return dx, dla, db, dc, dinit
