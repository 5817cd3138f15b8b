"""Baselines trained with the same budget as the memory model.

- The same SSM without memories: `MemoryModel` with `preset("ssm")` (no cross-attention, no
  internal pool; 6 decoder blocks so the parameter count stays comparable).
- A small causal Transformer (`preset("transformer")`): pre-norm blocks, rotary positions,
  byte vocabulary, tied head. It reads facts only when they are stuffed into its prompt.
Both expose the interface the trainer and evaluator use (`forward_full`, `fingerprint`, ...).
"""

from __future__ import annotations

import hashlib

import torch
import torch.nn as nn
import torch.nn.functional as F

from memos.errors import InvalidInputError
from memos.model.config import ModelConfig
from memos.model.memory_model import MemoryModel
from memos.model.ssm import MLP, RMSNorm


def _rope(x: torch.Tensor) -> torch.Tensor:
    """Rotary position embedding on x (B, H, L, Dh)."""
    length, dim = x.shape[-2], x.shape[-1]
    inv = 1.0 / (10000 ** (torch.arange(0, dim, 2, device=x.device, dtype=torch.float) / dim))
    ang = torch.arange(length, device=x.device, dtype=torch.float)[:, None] * inv  # (L, Dh/2)
    cos, sin = ang.cos(), ang.sin()
    x1, x2 = x[..., 0::2], x[..., 1::2]
    return torch.stack([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1).flatten(-2)


class AttentionBlock(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.norm1 = RMSNorm(cfg.d_model, cfg.norm_eps)
        self.qkv = nn.Linear(cfg.d_model, 3 * cfg.d_model, bias=False)
        self.out = nn.Linear(cfg.d_model, cfg.d_model, bias=False)
        self.norm2 = RMSNorm(cfg.d_model, cfg.norm_eps)
        self.mlp = MLP(cfg)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        bsz, length, d = x.shape
        q, k, v = self.qkv(self.norm1(x)).view(bsz, length, 3, self.cfg.n_heads, -1).permute(2, 0, 3, 1, 4)
        y = F.scaled_dot_product_attention(_rope(q), _rope(k), v, is_causal=True)  # (B, H, L, Dh)
        x = x + self.out(y.transpose(1, 2).reshape(bsz, length, d))
        return x + self.mlp(self.norm2(x))


class Transformer(nn.Module):
    """Causal byte-level Transformer; no external or internal memory."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab_size, cfg.d_model)
        nn.init.normal_(self.embed.weight, std=0.02)
        self.blocks = nn.ModuleList(AttentionBlock(cfg) for _ in range(cfg.n_layers))
        self.norm_f = RMSNorm(cfg.d_model, cfg.norm_eps)

    @property
    def fingerprint(self) -> str:
        h = hashlib.sha256(self.cfg.to_json().encode())
        for name, t in sorted(self.state_dict().items()):
            h.update(name.encode())
            h.update(t.detach().cpu().contiguous().float().numpy().tobytes())
        return h.hexdigest()

    @property
    def device(self) -> torch.device:
        return self.embed.weight.device

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def forward_full(self, tokens: torch.Tensor, memory=None, want_state: bool = False):
        if memory is not None:
            raise InvalidInputError("the Transformer baseline reads no external memory; stuff facts into the prompt")
        x = self.embed(tokens)
        for block in self.blocks:
            x = block(x)
        return self.norm_f(x) @ self.embed.weight.T, [None] * len(self.blocks), []

    def forward(self, tokens: torch.Tensor, memory=None) -> torch.Tensor:
        return self.forward_full(tokens, memory)[0]


def build_model(cfg: ModelConfig) -> MemoryModel | Transformer:
    """The model class for a config's `arch`."""
    return Transformer(cfg) if cfg.arch == "transformer" else MemoryModel(cfg)
