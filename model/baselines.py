"""Baselines trained with the same budget as the memory model.

- The same SSM without memories: `MemoryModel` with `preset("ssm")` (no cross-attention, no
  internal pool; 6 decoder blocks so the parameter count stays comparable).
- A small causal Transformer (`preset("transformer")`): pre-norm blocks, rotary positions,
  smeared keys, byte vocabulary, tied head. It reads facts only when they are stuffed into its
  prompt. Smeared keys (each head's key is a learned mix of its own and the previous
  position's key) let one attention layer match "the byte before" and so copy from the
  prompt; without them this baseline learned nothing from stuffed facts in 2,000 steps
  (docs/RESULTS.md).
Both expose the interface the trainer and evaluator use (`forward_full`, `fingerprint`, ...).
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from memos.errors import InvalidInputError
from memos.model import tokenizer as tok
from memos.model.config import ModelConfig
from memos.model.memory_model import MemoryModel, fingerprint_of
from memos.model.ssm import MLP, RMSNorm


def _rope(x: torch.Tensor, offset: int = 0) -> torch.Tensor:
    """Rotary position embedding on x (B, H, L, Dh) at positions offset .. offset + L - 1."""
    length, dim = x.shape[-2], x.shape[-1]
    inv = 1.0 / (10000 ** (torch.arange(0, dim, 2, device=x.device, dtype=torch.float) / dim))
    ang = torch.arange(offset, offset + length, device=x.device, dtype=torch.float)[:, None] * inv  # (L, Dh/2)
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
        self.smear = nn.Parameter(torch.zeros(cfg.n_heads))  # sigmoid: weight of the previous key

    def forward(self, x: torch.Tensor, cache: dict[str, torch.Tensor] | None = None) -> torch.Tensor:
        """x (B, L, D). With `cache` (a dict, empty at the start), keys and values are kept for
        later calls, so the prompt is read once and each new token costs one position."""
        bsz, length, d = x.shape
        q, k, v = self.qkv(self.norm1(x)).view(bsz, length, 3, self.cfg.n_heads, -1).permute(2, 0, 3, 1, 4)
        a = torch.sigmoid(self.smear)[None, :, None, None]
        prev = cache["last_k"] if cache else torch.zeros_like(k[:, :, :1])
        k_raw = k
        k = (1 - a) * k + a * torch.cat([prev, k[:, :, :-1]], dim=2)  # smeared keys: mix in the previous key
        offset = cache["k"].shape[2] if cache else 0
        q, k = _rope(q, offset), _rope(k, offset)
        if cache is not None:
            if cache:
                k, v = torch.cat([cache["k"], k], dim=2), torch.cat([cache["v"], v], dim=2)
            cache.update(k=k, v=v, last_k=k_raw[:, :, -1:])
        if offset == 0:
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)  # (B, H, L, Dh)
        else:  # causal within the new positions; every cached position is visible to all of them
            mask = None if length == 1 else torch.ones(length, k.shape[2], dtype=torch.bool, device=x.device).tril(offset)
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
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
        return fingerprint_of(self.cfg, self.state_dict().items())

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

    @torch.no_grad()
    def generate(self, prompt: str | bytes, memory=None, max_new_tokens: int = 32) -> str:
        """Greedy continuation of `prompt` with a key/value cache (the prompt is read once),
        stopping at the end token. Facts must be in the prompt: this model reads no memory."""
        if memory is not None:
            raise InvalidInputError("the Transformer baseline reads no external memory; stuff facts into the prompt")
        if max_new_tokens < 0:
            raise InvalidInputError("max_new_tokens must be >= 0")
        was_training = self.training
        self.eval()
        caches: list[dict[str, torch.Tensor]] = [{} for _ in self.blocks]
        x = torch.tensor([tok.encode(prompt, bos=True, what="prompt")], device=self.device)
        out: list[int] = []
        for _ in range(max_new_tokens + 1):
            h = self.embed(x)
            for block, cache in zip(self.blocks, caches, strict=True):
                h = block(h, cache)
            nxt = int((self.norm_f(h[:, -1]) @ self.embed.weight.T).argmax())
            if nxt == tok.EOS or len(out) == max_new_tokens:
                break
            out.append(nxt)
            x = torch.tensor([[nxt]], device=self.device)
        self.train(was_training)
        return tok.decode(out)


def build_model(cfg: ModelConfig) -> MemoryModel | Transformer:
    """The model class for a config's `arch`."""
    return Transformer(cfg) if cfg.arch == "transformer" else MemoryModel(cfg)
