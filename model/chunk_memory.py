"""Internal long-term memory: chunks write their most important tokens into a bounded pool.

Every chunk of C tokens keeps its `slots_per_chunk` tokens of highest learned importance as
key/value slots. The pool holds at most `pool_chunks` chunks; when full, a new chunk replaces
the chunk of lowest importance if it is more important (so the pool is always the top
`pool_chunks` chunks by importance among those written). Tokens of chunk z read, through
`memory_attention`, the pool as it was after chunk z-1: causal at chunk granularity, and
recall does not decay with distance because slots are copied, not squeezed through the scan.

Parallel form (`forward`) and per-token form (`step`) give the same result.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from memos.kernels import memory_attention
from memos.model.config import ModelConfig


@dataclass
class PoolState:
    """Step-mode state: the pool plus the tokens of the chunk being filled."""

    k: torch.Tensor  # (B, P, S, H, Dh)
    v: torch.Tensor  # (B, P, S, H, Dh)
    mask: torch.Tensor  # (B, P, S) bool
    importance: torch.Tensor  # (B, P), -inf where empty
    buffer: torch.Tensor  # (B, C, D) normed inputs of the current chunk
    filled: int  # tokens of the current chunk seen so far


class ChunkMemory(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        d = cfg.d_model
        self.importance = nn.Linear(d, 1)
        self.q_proj = nn.Linear(d, d, bias=False)
        self.k_proj = nn.Linear(d, d, bias=False)
        self.v_proj = nn.Linear(d, d, bias=False)
        self.o_proj = nn.Linear(d, d, bias=False)
        self.gate = nn.Parameter(torch.zeros(d))  # zero: a fresh layer changes nothing

    def forward(self, h: torch.Tensor, want_state: bool = False) -> tuple[torch.Tensor, PoolState | None]:
        """h (B, L, D) normed inputs -> (B, L, D) output and (if asked) the step state after the last token."""
        cfg = self.cfg
        bsz, length, d = h.shape
        c = cfg.memory_chunk
        nz = -(-length // c)
        pad = nz * c - length
        hp = F.pad(h, (0, 0, 0, pad)).view(bsz, nz, c, d)
        # Padded tokens get -inf importance so they are never kept.
        valid = torch.arange(nz * c, device=h.device).view(nz, c) < length  # (Z, C)
        k, v, mask, chunk_imp = self._slots_masked(hp, valid)
        # Query block z reads the top `pool_chunks` chunks among chunks < z.
        zi = torch.arange(nz, device=h.device)
        earlier = zi[None, :] < zi[:, None]  # (Zq, Zm)
        scored = chunk_imp[:, None, :].masked_fill(~earlier, float("-inf"))  # (B, Zq, Zm)
        kk = min(cfg.pool_chunks, nz)
        top, idx = scored.topk(kk, dim=-1)  # (B, Zq, K)
        idx = idx.masked_fill(~torch.isfinite(top), -1)
        idx = idx[:, :, None, :].expand(bsz, nz, cfg.n_heads, kk)
        q = self.q_proj(h).view(bsz, length, cfg.n_heads, cfg.attn_head_dim)
        out = memory_attention(q, k, v, mask, idx, block_size=c)  # (B, L, H, Dh)
        y = self.o_proj(out.reshape(bsz, length, d)) * self.gate
        if not want_state:
            return y, None
        return y, self._final_state(hp, k, v, mask, chunk_imp, length)

    def _slots_masked(self, hp: torch.Tensor, valid: torch.Tensor):
        """hp (B, Z, C, D) -> keys, values (B, Z, S, H, Dh), slot mask (B, Z, S), chunk importance (B, Z)."""
        cfg = self.cfg
        score = self.importance(hp).squeeze(-1).masked_fill(~valid, float("-inf"))  # (B, Z, C)
        s = min(cfg.slots_per_chunk, hp.shape[2])
        top, pos = score.topk(s, dim=-1)
        mask = torch.isfinite(top)
        picked = torch.gather(hp, 2, pos[..., None].expand(*pos.shape, hp.shape[-1]))
        # Scaling values by sigmoid(importance) is what lets the importance score learn.
        weight = torch.sigmoid(top.masked_fill(~mask, 0.0))[..., None]
        shape = (*picked.shape[:-1], cfg.n_heads, cfg.attn_head_dim)
        k = self.k_proj(picked).view(shape)
        v = (self.v_proj(picked) * weight).view(shape)
        chunk_imp = top.masked_fill(~mask, float("-inf")).amax(-1).detach()
        return k, v, mask, chunk_imp

    def empty_state(self, batch: int, device: torch.device) -> PoolState:
        cfg = self.cfg
        p, s, h, dh = cfg.pool_chunks, cfg.slots_per_chunk, cfg.n_heads, cfg.attn_head_dim
        return PoolState(
            k=torch.zeros(batch, p, s, h, dh, device=device),
            v=torch.zeros(batch, p, s, h, dh, device=device),
            mask=torch.zeros(batch, p, s, dtype=torch.bool, device=device),
            importance=torch.full((batch, p), float("-inf"), device=device),
            buffer=torch.zeros(batch, cfg.memory_chunk, cfg.d_model, device=device),
            filled=0,
        )

    def _final_state(self, hp, k, v, mask, chunk_imp, length: int) -> PoolState:
        """The pool after all complete chunks, and the partial chunk as the buffer."""
        cfg = self.cfg
        bsz = hp.shape[0]
        state = self.empty_state(bsz, hp.device)
        full = length // cfg.memory_chunk
        with torch.no_grad():
            for z in range(full):
                state = self._insert(state, k[:, z].detach(), v[:, z].detach(), mask[:, z], chunk_imp[:, z])
            rest = length - full * cfg.memory_chunk
            if rest:
                state.buffer[:, :rest] = hp[:, full, :rest].detach()
            state.filled = rest
        return state

    def _insert(self, st: PoolState, k, v, mask, imp) -> PoolState:
        """Write one chunk's slots (B, S, H, Dh) with importance (B,) into the pool."""
        target = st.importance.argmin(dim=1)  # empty entries (-inf) are taken first
        rows = torch.arange(k.shape[0], device=k.device)
        take = imp > st.importance[rows, target]  # (B,)
        nk, nv, nm, ni = st.k.clone(), st.v.clone(), st.mask.clone(), st.importance.clone()
        s = k.shape[1]
        nk[rows, target, :s] = torch.where(take[:, None, None, None], k, nk[rows, target, :s])
        nv[rows, target, :s] = torch.where(take[:, None, None, None], v, nv[rows, target, :s])
        nm[rows, target, :s] = torch.where(take[:, None], mask, nm[rows, target, :s])
        ni[rows, target] = torch.where(take, imp, ni[rows, target])
        return PoolState(nk, nv, nm, ni, st.buffer, st.filled)

    def step(self, h: torch.Tensor, st: PoolState) -> tuple[torch.Tensor, PoolState]:
        """One token: h (B, D) -> (B, D) output and the new state."""
        cfg = self.cfg
        bsz, d = h.shape
        valid = torch.isfinite(st.importance)  # (B, P)
        idx = torch.arange(cfg.pool_chunks, device=h.device).expand(bsz, -1).masked_fill(~valid, -1)
        idx = idx[:, None, None, :].expand(bsz, 1, cfg.n_heads, cfg.pool_chunks)
        q = self.q_proj(h).view(bsz, 1, cfg.n_heads, cfg.attn_head_dim)
        out = memory_attention(q, st.k, st.v, st.mask, idx, block_size=1)
        y = self.o_proj(out.reshape(bsz, d)) * self.gate
        buffer = st.buffer.clone()
        buffer[:, st.filled] = h
        new = PoolState(st.k, st.v, st.mask, st.importance, buffer, st.filled + 1)
        if new.filled == cfg.memory_chunk:
            valid_tok = torch.ones(1, cfg.memory_chunk, dtype=torch.bool, device=h.device)
            k, v, mask, imp = self._slots_masked(buffer[:, None], valid_tok)
            new = self._insert(new, k[:, 0], v[:, 0], mask[:, 0], imp[:, 0])
            new.buffer = torch.zeros_like(buffer)
            new.filled = 0
        return y, new
