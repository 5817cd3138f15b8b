"""Top-k memory cross-attention in plain PyTorch: the ground truth.

Queries attend to the slots (per-token keys/values) of the memories selected for their query
block. Selection happens outside (by pooled keys); this op gathers the selected memories,
masks padded slots and missing selections (index -1), and takes a softmax-weighted sum.
A query whose selection holds no valid slot gets a zero output.
"""

from __future__ import annotations

import math

import torch


def memory_attention_reference(
    q: torch.Tensor,  # (B, L, H, D)
    k: torch.Tensor,  # (B, M, S, H, D)  keys of M memories, S slots each
    v: torch.Tensor,  # (B, M, S, H, D)
    slot_mask: torch.Tensor,  # (B, M, S) bool, True where the slot holds a token
    idx: torch.Tensor,  # (B, NB, H, K) long, memories chosen for each query block; -1 = none
    block_size: int,
    scale: float | None = None,
) -> torch.Tensor:
    """Returns (B, L, H, D) in q's dtype."""
    bsz, length, heads, dim = q.shape
    mems, slots = k.shape[1], k.shape[2]
    nb, topk = idx.shape[1], idx.shape[3]
    scale = scale if scale is not None else 1.0 / math.sqrt(dim)
    if length == 0 or mems == 0 or topk == 0 or slots == 0:
        return q.new_zeros(q.shape)

    pad = nb * block_size - length
    qb = torch.nn.functional.pad(q.float(), (0, 0, 0, 0, 0, pad))
    qb = qb.view(bsz, nb, block_size, heads, dim)  # (B, NB, Lb, H, D)

    valid_sel = idx >= 0  # (B, NB, H, K)
    safe = idx.clamp(min=0)
    bi = torch.arange(bsz, device=q.device)[:, None, None, None]
    hi = torch.arange(heads, device=q.device)[None, None, :, None]
    k_h = k.float().permute(0, 1, 3, 2, 4)  # (B, M, H, S, D)
    v_h = v.float().permute(0, 1, 3, 2, 4)
    k_sel = k_h[bi, safe, hi]  # (B, NB, H, K, S, D)
    v_sel = v_h[bi, safe, hi]
    m_sel = slot_mask[bi, safe] & valid_sel[..., None]  # (B, NB, H, K, S)

    scores = torch.einsum("bjlhd,bjhksd->bjhlks", qb, k_sel) * scale  # (B, NB, H, Lb, K, S)
    scores = scores.reshape(bsz, nb, heads, block_size, topk * slots)
    mask = m_sel.reshape(bsz, nb, heads, 1, topk * slots)
    scores = scores.masked_fill(~mask, float("-inf"))
    probs = torch.softmax(scores, dim=-1).nan_to_num(0.0)  # all-masked rows -> 0
    out = torch.einsum("bjhlx,bjhxd->bjlhd", probs, v_sel.reshape(bsz, nb, heads, topk * slots, dim))
    out = out.reshape(bsz, nb * block_size, heads, dim)[:, :length]
    return out.to(q.dtype)


def memory_attention_dense(
    q: torch.Tensor,  # (B, L, H, D)
    k: torch.Tensor,  # (B, M, S, H, D)
    v: torch.Tensor,  # (B, M, S, H, D)
    slot_mask: torch.Tensor,  # (B, M, S) bool
    idx: torch.Tensor,  # (B, NB, H, K) long; -1 = none
    block_size: int,
    scale: float | None = None,
    union: torch.Tensor | None = None,  # torch.unique(idx[idx >= 0]) when the caller has it
) -> torch.Tensor:
    """The same result as `memory_attention_reference`, computed as two matrix products over the
    slots of every memory that any query chose (the union U), each query's unchosen memories
    masked, instead of gathering K x S slots for every query. Matrix products do the same work
    faster than the gather on a CPU, so this wins when the queries share their choices (a
    question's prefill: neighbouring tokens choose mostly the same memories; one decoding
    step: U is its K) and loses when U grows far beyond K (`memory_attention` decides). It holds
    B x L x H x |U| x S scores. A memory chosen twice for one query block counts twice, as in the
    gather (the log of its count is added to its scores)."""
    bsz, length, heads, dim = q.shape
    slots = k.shape[2]
    nb = idx.shape[1]
    scale = scale if scale is not None else 1.0 / math.sqrt(dim)
    idx = idx.long()
    if union is None:
        union = torch.unique(idx[idx >= 0])  # sorted memory ids
    if length == 0 or union.numel() == 0 or slots == 0:
        return q.new_zeros(q.shape)
    n = union.numel()
    where = torch.searchsorted(union, idx.clamp(min=0))  # position of each choice in the union
    where = torch.where(idx >= 0, where + 1, torch.zeros_like(where))  # 0: no memory
    count = torch.zeros(bsz, nb, heads, n + 1, dtype=torch.float32, device=q.device)
    count.scatter_add_(3, where, torch.ones(where.shape, dtype=torch.float32, device=q.device))
    # (B, H, L, U, S): 0 for a memory chosen once, log 2 twice, -inf never chosen or a padding slot
    bias = count[..., 1:].log().permute(0, 2, 1, 3).repeat_interleave(block_size, dim=2)[:, :, :length]
    bias = bias[..., None].masked_fill(~slot_mask[:, union][:, None, None], float("-inf"))
    qh = q.float().transpose(1, 2)  # (B, H, L, D)
    kh = k[:, union].float().permute(0, 3, 4, 1, 2).reshape(bsz, heads, dim, n * slots)  # (B, H, D, U*S)
    vh = v[:, union].float().permute(0, 3, 1, 2, 4).reshape(bsz, heads, n * slots, dim)  # (B, H, U*S, D)
    scores = (qh @ kh).mul_(scale).add_(bias.reshape(bsz, heads, length, n * slots))
    del bias
    probs = torch.softmax(scores, dim=-1).nan_to_num_(0.0)  # all-masked rows -> 0
    del scores
    return (probs @ vh).transpose(1, 2).to(q.dtype)  # (B, L, H, D)
