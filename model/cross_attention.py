"""External memory reader: gated cross-attention to the slots of pre-encoded memories.

Memory side (run once per memory, cacheable): the model's own blocks read each memory text
alone, and each token becomes a slot with a key and a value at every layer; the value also
carries the embedding of the *next* byte, so a query that matches a position in the memory
reads the byte that follows it. One pooled key per memory (attention pooling over its tokens)
is used to select memories. Keys share the query projection (and pooled keys the selection
projection): the same backbone sees the same substring in memory and prompt, so matching
starts from a similarity kernel h_q^T W^T W h_k instead of two unrelated random maps.

Query side: every token scores all memories by pooled key, keeps the top-k, and attends to
their slots through `memos.kernels.memory_attention`. Selection is per token, so the result
does not depend on later tokens and step-by-step generation matches the parallel pass.
The output is multiplied by a per-channel gate that starts at zero.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn

from memos.kernels import memory_attention
from memos.model.config import ModelConfig


@dataclass
class LayerMemory:
    """One cross-attention layer's view of a set of memories."""

    k: torch.Tensor  # (Bm, M, S, H, Dh); Bm is 1 (shared by every row) or B
    v: torch.Tensor  # (Bm, M, S, H, Dh)
    slot_mask: torch.Tensor  # (Bm, M, S) bool
    pooled: torch.Tensor  # (Bm, M, Dsel)
    allowed: torch.Tensor | None = None  # (B, M) bool: which memories each row may read
    full: bool = False  # read every allowed memory instead of the top-k (training)


class CrossAttention(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        d = cfg.d_model
        # memory side (keys use q_proj, pooled keys use sel_proj: see module docstring)
        self.v_proj = nn.Linear(d, d, bias=False)
        self.next_proj = nn.Linear(d, d, bias=False)
        self.pool_query = nn.Parameter(torch.zeros(d))
        # query side
        self.q_proj = nn.Linear(d, d, bias=False)
        self.sel_proj = nn.Linear(d, cfg.d_select, bias=False)
        self.o_proj = nn.Linear(d, d, bias=False)
        self.gate = nn.Parameter(torch.zeros(d))  # zero: a fresh layer leaves the SSM unchanged
        # Copy path from the start: the next byte's (unit-RMS) embedding passes through
        # next_proj and o_proj as identity, and v_proj starts small. With random projections
        # the copied byte would be a random rotation the tied head cannot read, and the gate
        # would get no consistent gradient (measured: no learning in hundreds of steps).
        with torch.no_grad():
            self.next_proj.weight.copy_(torch.eye(d))
            self.o_proj.weight.copy_(torch.eye(d))
            self.v_proj.weight.mul_(0.1)

    def encode(self, enc: torch.Tensor, next_emb: torch.Tensor, mask: torch.Tensor):
        """enc (M, S, D) normed hidden at this layer, next_emb (M, S, D), mask (M, S) -> k, v (M, S, H, Dh), pooled (M, Dsel)."""
        cfg = self.cfg
        m, s, d = enc.shape
        shape = (m, s, cfg.n_heads, cfg.attn_head_dim)
        k = self.q_proj(enc).view(shape)
        unit = next_emb * torch.rsqrt(next_emb.pow(2).mean(-1, keepdim=True) + 1e-6)
        v = (self.v_proj(enc) + self.next_proj(unit)).view(shape)
        w = (enc @ self.pool_query).masked_fill(~mask, float("-inf")).softmax(-1)  # (M, S)
        pooled = self.sel_proj(torch.einsum("ms,msd->md", w.nan_to_num(0.0), enc))
        return k, v, pooled

    def select(self, h: torch.Tensor, mem: LayerMemory) -> torch.Tensor:
        """Selection logits (B, L, M) of each token over the memories (-inf where not allowed)."""
        q = self.sel_proj(h)  # (B, L, Dsel)
        scores = torch.einsum("bld,bmd->blm", q, mem.pooled.expand(h.shape[0], -1, -1))
        scores = scores / math.sqrt(self.cfg.d_select)
        usable = mem.slot_mask.any(-1).expand(h.shape[0], -1)  # (B, M)
        if mem.allowed is not None:
            usable = usable & mem.allowed
        return scores.masked_fill(~usable[:, None, :], float("-inf"))

    def forward(self, h: torch.Tensor, mem: LayerMemory) -> tuple[torch.Tensor, torch.Tensor]:
        """h (B, L, D) normed -> output (B, L, D) and selection logits (B, L, M)."""
        cfg = self.cfg
        bsz, length, d = h.shape
        scores = self.select(h, mem)
        if mem.full:
            # Every allowed memory for every token: one query block, so selection cannot leak
            # the future. Copying is learned through this path while the selection loss trains
            # the pooled keys; inference reads the top-k.
            usable = torch.isfinite(scores[:, 0])  # (B, M)
            kk = max(1, int(usable.sum(-1).max()))
            top, idx = usable.float().topk(kk, dim=-1)  # (B, K)
            idx = idx.masked_fill(top == 0, -1)[:, None, None, :].expand(bsz, 1, cfg.n_heads, kk)
            block = max(1, length)
        else:
            kk = min(cfg.top_k, scores.shape[-1])
            top, idx = scores.detach().topk(kk, dim=-1)  # (B, L, K)
            idx = idx.masked_fill(~torch.isfinite(top), -1)
            idx = idx[:, :, None, :].expand(bsz, length, cfg.n_heads, kk)
            block = 1
        q = self.q_proj(h).view(bsz, length, cfg.n_heads, cfg.attn_head_dim)
        mk, mv = mem.k.expand(bsz, *mem.k.shape[1:]), mem.v.expand(bsz, *mem.v.shape[1:])
        sm = mem.slot_mask.expand(bsz, *mem.slot_mask.shape[1:])
        out = memory_attention(q, mk, mv, sm, idx, block_size=block)  # (B, L, H, Dh)
        return self.o_proj(out.reshape(bsz, length, d)) * self.gate, scores
