"""Top-k memory cross-attention: `memory_attention(q, k, v, slot_mask, idx, block_size) -> out`."""

from __future__ import annotations

import math
from typing import Any

import torch

from memos.errors import KernelError
from memos.kernels.dispatch import backend_for
from memos.kernels.memory_attention.reference import (
    memory_attention_dense,
    memory_attention_reference,
)

__all__ = ["DENSE_MAX_ELEMENTS", "DENSE_PROMPT_TOKENS", "DENSE_PROMPT_UNION_PER_K", "DENSE_UNION_PER_K",
           "SLICE_MAX_ELEMENTS", "memory_attention", "memory_attention_dense",
           "memory_attention_reference"]

# Off the Triton path, inference (no gradient) with a selection per query (block_size 1: the
# cross-attention of `generate` and of evaluation) computes the scores over the union U of the
# memories the queries chose (`memory_attention_dense`) instead of gathering K x S slots for
# every query, when that is less work: U at most DENSE_UNION_PER_K times K, or, for a prompt
# of at least DENSE_PROMPT_TOKENS tokens per row (a question's prefill, where matrix products
# beat the per-query gather by the most), at most DENSE_PROMPT_UNION_PER_K times K; and when
# the scores fit DENSE_MAX_ELEMENTS (B x L x H x |U| x S; about 8 bytes each at the peak:
# scores with the mask added, then the probabilities). A selection per block of queries (the
# chunk memory) already shares one gather among the block: it keeps the reference, as does
# training.
DENSE_UNION_PER_K = 4
DENSE_PROMPT_TOKENS = 8
DENSE_PROMPT_UNION_PER_K = 16
DENSE_MAX_ELEMENTS = 1 << 24
# Inference off the Triton path takes the queries in slices (whole query blocks; each
# query's output depends on its own row and selection only) so that the reference's gather
# of K x S slots per query (B x rows x H x K x S x D) stays within this many elements, and
# the dense path's scores within DENSE_MAX_ELEMENTS: memory stays bounded whatever the
# prompt's length (a 5,000-character question took 8.6 GB in one piece).
SLICE_MAX_ELEMENTS = 1 << 24


class _MemoryAttentionTriton(torch.autograd.Function):
    """Fused Triton forward and backward; saves the output and the row logsumexp."""

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, slot_mask: torch.Tensor,
        idx: torch.Tensor, block_size: int, scale: float,
    ) -> torch.Tensor:
        from memos.kernels.memory_attention.triton import memory_attention_triton_forward

        # k, v and slot_mask keep their layout: the kernels take a batch stride, so a memory set
        # expanded over the batch (stride 0) is read in place instead of copied B times.
        q, idx = q.contiguous(), idx.contiguous()
        out, lse = memory_attention_triton_forward(q, k, v, slot_mask, idx, block_size, scale)
        ctx.save_for_backward(q, k, v, slot_mask, idx, out, lse)
        ctx.block_size, ctx.scale = block_size, scale
        return out

    @staticmethod
    def backward(ctx: Any, dout: torch.Tensor) -> tuple:  # type: ignore[override]
        from memos.kernels.memory_attention.triton import memory_attention_triton_backward

        q, k, v, slot_mask, idx, out, lse = ctx.saved_tensors
        dq, dk, dv = memory_attention_triton_backward(
            q, k, v, slot_mask, idx, ctx.block_size, ctx.scale, out, lse,
            dout.to(q.dtype).contiguous(),
        )
        return dq, dk, dv, None, None, None, None


def memory_attention(
    q: torch.Tensor,  # (B, L, H, D)
    k: torch.Tensor,  # (B, M, S, H, D)
    v: torch.Tensor,  # (B, M, S, H, D)
    slot_mask: torch.Tensor,  # (B, M, S) bool
    idx: torch.Tensor,  # (B, ceil(L / block_size), H, K) long, -1 = no memory
    block_size: int = 64,
    scale: float | None = None,
) -> torch.Tensor:
    """Each query block attends to the slots of its K selected memories. Returns (B, L, H, D)."""
    if q.dim() != 4:
        raise KernelError(f"memory_attention expects q (B, L, H, D); got {tuple(q.shape)}")
    if block_size < 1:
        raise KernelError(f"memory_attention block_size must be >= 1, got {block_size}")
    bsz, length, heads, dim = q.shape
    nb = -(-length // block_size)
    if k.dim() != 5 or k.shape != v.shape or k.shape[3:] != (heads, dim) or k.shape[0] != bsz:
        raise KernelError(
            f"memory_attention expects k and v (B, M, S, H, D) matching q (B, L, H, D) = {tuple(q.shape)}; "
            f"got k {tuple(k.shape)}, v {tuple(v.shape)}"
        )
    if slot_mask.shape != k.shape[:3] or idx.dim() != 4 or idx.shape[:3] != (bsz, nb, heads):
        raise KernelError(
            f"memory_attention expects slot_mask {tuple(k.shape[:3])} and idx (B, {nb}, H, K); "
            f"got slot_mask {tuple(slot_mask.shape)}, idx {tuple(idx.shape)}"
        )
    if slot_mask.dtype != torch.bool:
        raise KernelError(f"memory_attention expects a bool slot_mask, got {slot_mask.dtype}")
    if not idx.is_cuda and idx.numel() and int(idx.max()) >= k.shape[1]:
        # Checked off-GPU only (a GPU check would sync every call); the kernel masks such
        # entries instead of reading out of bounds.
        raise KernelError(
            f"memory_attention idx holds memory {int(idx.max())} but only {k.shape[1]} memories were "
            "given; use -1 for 'no memory'"
        )
    mems, slots, topk = k.shape[1], k.shape[2], idx.shape[3]
    empty = length == 0 or mems == 0 or slots == 0 or topk == 0
    if backend_for(q) == "triton" and not empty:
        scale = scale if scale is not None else 1.0 / math.sqrt(dim)
        if k.dtype != q.dtype or v.dtype != q.dtype:  # tl.dot wants one operand dtype
            k, v = k.to(q.dtype), v.to(q.dtype)
        return _MemoryAttentionTriton.apply(q, k, v, slot_mask, idx.long(), block_size, float(scale))
    training = torch.is_grad_enabled() and (q.requires_grad or k.requires_grad or v.requires_grad)
    if not empty and not training:
        per_query = bsz * heads * topk * slots * max(dim, DENSE_PROMPT_UNION_PER_K)
        rows = max(1, SLICE_MAX_ELEMENTS // per_query // block_size) * block_size
        if length > rows:
            return torch.cat([
                _memory_attention_off_triton(q[:, start:start + rows], k, v, slot_mask,
                                             idx[:, start // block_size:
                                                 (start + rows) // block_size],
                                             block_size, scale)
                for start in range(0, length, rows)], dim=1)
    return _memory_attention_off_triton(q, k, v, slot_mask, idx, block_size, scale,
                                        training=training)


def _memory_attention_off_triton(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                                 slot_mask: torch.Tensor, idx: torch.Tensor, block_size: int,
                                 scale: float | None, training: bool = False) -> torch.Tensor:
    """The dense path or the reference (see DENSE_UNION_PER_K)."""
    bsz, length, heads, _dim = q.shape
    mems, slots, topk = k.shape[1], k.shape[2], idx.shape[3]
    empty = length == 0 or mems == 0 or slots == 0 or topk == 0
    if not empty and block_size == 1 and not training:
        union = torch.unique(idx[idx >= 0])
        chosen = int(union.numel())
        per_k = DENSE_PROMPT_UNION_PER_K if length >= DENSE_PROMPT_TOKENS else DENSE_UNION_PER_K
        if chosen <= per_k * topk and bsz * length * heads * chosen * slots <= DENSE_MAX_ELEMENTS:
            return memory_attention_dense(q, k, v, slot_mask, idx, block_size, scale, union=union)
    return memory_attention_reference(q, k, v, slot_mask, idx, block_size, scale)
