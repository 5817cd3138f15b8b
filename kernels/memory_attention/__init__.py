"""Top-k memory cross-attention: `memory_attention(q, k, v, slot_mask, idx, block_size) -> out`."""

from __future__ import annotations

import torch

from memos.errors import KernelError
from memos.kernels.memory_attention.reference import memory_attention_reference

__all__ = ["memory_attention", "memory_attention_reference"]


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
    bsz, length, heads, dim = q.shape
    nb = -(-length // block_size)
    if k.dim() != 5 or k.shape != v.shape or k.shape[3:] != (heads, dim) or k.shape[0] != bsz:
        raise KernelError(
            f"memory_attention expects k and v (B, M, S, H, D) matching q (B, L, H, D) = {tuple(q.shape)}; "
            f"got k {tuple(k.shape)}, v {tuple(v.shape)}"
        )
    if slot_mask.shape != k.shape[:3] or idx.shape[:3] != (bsz, nb, heads):
        raise KernelError(
            f"memory_attention expects slot_mask {tuple(k.shape[:3])} and idx (B, {nb}, H, K); "
            f"got slot_mask {tuple(slot_mask.shape)}, idx {tuple(idx.shape)}"
        )
    return memory_attention_reference(q, k, v, slot_mask, idx, block_size, scale)
