"""`MemoryModel`: a Mamba-2-style byte LM that reads pre-encoded memory and keeps an internal pool.

    tokens (B, L) -> embed -> [DecoderBlock] x n_layers -> norm -> tied LM head -> logits (B, L, V)
    DecoderBlock: x += mixer(norm x); x += internal_memory(norm x); x += cross_attn(norm x, memory);
                  x += mlp(norm x)
    encode_memory(texts): each text alone -> embed -> the same blocks (mixer, MLP; no memory reads)
                  -> at each layer's cross-attention input: slot keys/values + one pooled key -> MemorySlots
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable

import torch
import torch.nn as nn

from memos.errors import InvalidInputError
from memos.model import tokenizer as tok
from memos.model.chunk_memory import ChunkMemory, PoolState
from memos.model.config import ModelConfig
from memos.model.cross_attention import CrossAttention, LayerMemory
from memos.model.session import SessionState
from memos.model.slots import MemorySlots
from memos.model.ssm import MLP, MixerState, RMSNorm, SSMMixer

_PERIOD = ord(".")

log = logging.getLogger(__name__)


class DecoderBlock(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.norm1 = RMSNorm(cfg.d_model, cfg.norm_eps)
        self.mixer = SSMMixer(cfg)
        self.norm_i = RMSNorm(cfg.d_model, cfg.norm_eps) if cfg.internal_memory else None
        self.internal = ChunkMemory(cfg) if cfg.internal_memory else None
        self.norm_x = RMSNorm(cfg.d_model, cfg.norm_eps) if cfg.cross_attention else None
        self.xattn = CrossAttention(cfg) if cfg.cross_attention else None
        self.norm2 = RMSNorm(cfg.d_model, cfg.norm_eps)
        self.mlp = MLP(cfg)

    def forward(self, x: torch.Tensor, mem: LayerMemory | None, want_state: bool = False):
        """x (B, L, D) -> x, selection logits (B, L, M) or None, (MixerState, PoolState | None)."""
        y, mstate = self.mixer(self.norm1(x))
        x = x + y
        pstate = None
        if self.internal is not None:
            y, pstate = self.internal(self.norm_i(x), want_state=want_state)
            x = x + y
        scores = None
        if self.xattn is not None and mem is not None:
            y, scores = self.xattn(self.norm_x(x), mem)
            x = x + y
        x = x + self.mlp(self.norm2(x))
        return x, scores, (mstate, pstate)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Memory-text pass: x (M, S, D) -> next x and the normed hidden the cross-attention keys read."""
        x = x + self.mixer(self.norm1(x))[0]
        h = self.norm_x(x)
        return x + self.mlp(self.norm2(x)), h

    def step(self, x: torch.Tensor, mem: LayerMemory | None, mstate: MixerState, pstate: PoolState | None):
        """x (B, D) -> x and the new states."""
        y, mstate = self.mixer.step(self.norm1(x), mstate)
        x = x + y
        if self.internal is not None:
            y, pstate = self.internal.step(self.norm_i(x), pstate)
            x = x + y
        if self.xattn is not None and mem is not None:
            y, _ = self.xattn(self.norm_x(x)[:, None], mem)
            x = x + y[:, 0]
        return x + self.mlp(self.norm2(x)), mstate, pstate


def fingerprint_of(cfg: ModelConfig, named_tensors: Iterable[tuple[str, torch.Tensor]]) -> str:
    """sha256 of a config and named weights: a model's fingerprint (`MemoryModel.fingerprint`,
    the baselines'), computable from a checkpoint's files without building the model."""
    h = hashlib.sha256(cfg.to_json().encode())
    for name, t in sorted(named_tensors, key=lambda item: item[0]):
        h.update(name.encode())
        h.update(t.detach().cpu().contiguous().float().numpy().tobytes())
    return h.hexdigest()

class MemoryModel(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab_size, cfg.d_model)
        nn.init.normal_(self.embed.weight, std=0.02)
        self.blocks = nn.ModuleList(DecoderBlock(cfg) for _ in range(cfg.n_layers))
        self.norm_f = RMSNorm(cfg.d_model, cfg.norm_eps)
        self._fp_key: tuple | None = None
        self._fp: str = ""

    # ---- identity -------------------------------------------------------------------------
    @property
    def fingerprint(self) -> str:
        """sha256 of the config and every weight; recomputed only when a weight changed."""
        params = list(self.state_dict(keep_vars=True).items())
        key = tuple((n, t.data_ptr(), t._version) for n, t in params)
        if key != self._fp_key:
            self._fp, self._fp_key = fingerprint_of(self.cfg, params), key
        return self._fp

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())

    @property
    def device(self) -> torch.device:
        return self.embed.weight.device

    # ---- external memory ------------------------------------------------------------------
    def encode_tokens(self, seqs: list[list[int]]) -> tuple[list[tuple[torch.Tensor, ...]], torch.Tensor]:
        """Differentiable memory encoding: token lists -> per layer (k, v, pooled), slot mask (M, S).
        A model whose config says memory_end "eos" does not read a memory's final period."""
        if self.cfg.memory_end == "eos":
            seqs = [s[:-1] if len(s) > 2 and s[-1] == _PERIOD else s for s in seqs]
        tokens = tok.pad_batch(seqs).to(self.device)  # (M, S)
        mask = tokens != tok.PAD
        x = self.embed(tokens)
        nxt = torch.cat([tokens[:, 1:], torch.full_like(tokens[:, :1], tok.PAD)], dim=1)
        nxt = nxt.masked_fill(nxt == tok.PAD, tok.EOS)  # the last token's next byte is the end
        next_emb = self.embed(nxt)
        per_layer = []
        for block in self.blocks:
            x, h = block.encode(x)
            per_layer.append(block.xattn.encode(h, next_emb, mask))
        return per_layer, mask

    def _memory_tokens(self, text: str | bytes) -> list[int]:
        ids = tok.encode(text, bos=True, what="memory text")
        if len(ids) - 1 > self.cfg.max_memory_tokens:
            raise InvalidInputError(
                f"memory text is {len(ids) - 1} bytes; this model encodes at most "
                f"{self.cfg.max_memory_tokens} bytes per memory. Split it into smaller memories"
            )
        return ids

    @torch.no_grad()
    def encode_memory(self, texts: list[str | bytes] | str, batch_size: int = 256) -> MemorySlots:
        """Pre-encode memory texts (each on its own) into slots this model can read."""
        if not self.cfg.cross_attention:
            raise InvalidInputError("this model has no cross-attention layers; it cannot read external memory")
        if isinstance(texts, (str, bytes)):
            texts = [texts]
        if not texts:
            raise InvalidInputError("encode_memory needs at least one memory text")
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
            raise InvalidInputError(f"batch_size must be a whole number of at least 1, got "
                                    f"{batch_size!r:.40}")
        seqs = [self._memory_tokens(t) for t in texts]
        hashes = [hashlib.sha256(bytes(s[1:])).hexdigest() for s in seqs]
        was_training = self.training
        self.eval()
        parts = []
        order = sorted(range(len(seqs)), key=lambda i: len(seqs[i]))  # less padding per batch
        for start in range(0, len(seqs), batch_size):
            ix = order[start : start + batch_size]
            per_layer, mask = self.encode_tokens([seqs[i] for i in ix])
            parts.append((ix, per_layer, mask))
        self.train(was_training)
        fp = self.fingerprint
        bundles = []
        for ix, per_layer, mask in parts:
            k = torch.stack([p[0] for p in per_layer])
            v = torch.stack([p[1] for p in per_layer])
            pooled = torch.stack([p[2] for p in per_layer])
            bundles.append(MemorySlots(k, v, mask, pooled, fp, [hashes[i] for i in ix]))
        joined = MemorySlots.concat(bundles)
        flat = [i for ix, _, _ in parts for i in ix]
        back = [0] * len(flat)
        for pos, i in enumerate(flat):
            back[i] = pos
        return joined.select(back)

    def layer_memories(self, memory: MemorySlots | list[LayerMemory] | None) -> list[LayerMemory] | None:
        if memory is None or isinstance(memory, list):
            return memory
        if not self.cfg.cross_attention:
            raise InvalidInputError("this model has no cross-attention layers; call it without memory")
        memory.check(self.fingerprint)
        memory = memory.to(self.device)
        return [
            LayerMemory(memory.k[i][None], memory.v[i][None], memory.slot_mask[None], memory.pooled[i][None])
            for i in range(self.cfg.n_layers)
        ]

    # ---- parallel pass --------------------------------------------------------------------
    def forward_full(self, tokens: torch.Tensor, memory=None, want_state: bool = False):
        """tokens (B, L) -> logits (B, L, V), selection logits per layer, per-layer states."""
        mems = self.layer_memories(memory)
        x = self.embed(tokens)
        scores, states = [], []
        for i, block in enumerate(self.blocks):
            x, s, st = block(x, mems[i] if mems else None, want_state)
            scores.append(s)
            states.append(st)
        logits = self.norm_f(x) @ self.embed.weight.T
        return logits, scores, states

    def forward(self, tokens: torch.Tensor, memory: MemorySlots | None = None) -> torch.Tensor:
        """tokens (B, L) long -> logits (B, L, vocab_size)."""
        if tokens.dim() != 2 or tokens.dtype != torch.long:
            raise InvalidInputError(f"tokens must be a (B, L) long tensor, got {tuple(tokens.shape)} {tokens.dtype}")
        if tokens.numel() and (tokens.min() < 0 or tokens.max() >= self.cfg.vocab_size):
            raise InvalidInputError(f"token ids must lie in [0, {self.cfg.vocab_size})")
        return self.forward_full(tokens, memory)[0]

    # ---- recurrent pass -------------------------------------------------------------------
    def step(self, token: torch.Tensor, state: SessionState, memory=None) -> SessionState:
        """Feed one token per row (B,) and return the new state (its last_logits are the next-token logits)."""
        mems = self.layer_memories(memory)
        x = self.embed(token)
        mixers, pools = [], []
        for i, block in enumerate(self.blocks):
            x, m, p = block.step(x, mems[i] if mems else None, state.mixers[i], state.pools[i])
            mixers.append(m)
            pools.append(p)
        logits = self.norm_f(x) @ self.embed.weight.T
        return SessionState(mixers, pools, logits, state.length + 1, state.fingerprint)

    @torch.no_grad()
    def read_session(self, text: str | bytes, memory: MemorySlots | None = None) -> SessionState:
        """Read `text` (from BOS) and return the state to continue it with `generate(..., state=)`."""
        ids = tok.encode(text, bos=True, what="session text")
        return self._prefill(torch.tensor([ids], device=self.device), memory)

    def _prefill(self, tokens: torch.Tensor, memory) -> SessionState:
        logits, _, states = self.forward_full(tokens, memory, want_state=True)
        return SessionState(
            mixers=[s[0] for s in states], pools=[s[1] for s in states],
            last_logits=logits[:, -1], length=tokens.shape[1], fingerprint=self.fingerprint,
        )

    @torch.no_grad()
    def generate(
        self,
        prompt: str | bytes | None,
        memory: MemorySlots | None = None,
        max_new_tokens: int = 32,
        state: SessionState | None = None,
    ) -> str:
        """Greedy continuation of `prompt` (or of `state` plus `prompt`), stopping at the end token."""
        ids, _ = self.generate_ids(prompt, memory, max_new_tokens, state)
        return tok.decode(ids)

    @torch.no_grad()
    def generate_ids(self, prompt, memory=None, max_new_tokens: int = 32, state: SessionState | None = None):
        """Like `generate`, returning the new token ids and the final state."""
        if (not isinstance(max_new_tokens, int) or isinstance(max_new_tokens, bool)
                or max_new_tokens < 0):
            raise InvalidInputError(f"max_new_tokens must be a whole number >= 0, got "
                                    f"{max_new_tokens!r:.40}")
        was_training = self.training
        self.eval()
        mems = self.layer_memories(memory)
        if state is None:
            if prompt is None:
                raise InvalidInputError("generate needs a prompt or a state from read_session")
            ids = tok.encode(prompt, bos=True, what="prompt")
            state = self._prefill(torch.tensor([ids], device=self.device), mems)
        else:
            state.check(self.fingerprint)
            if prompt is not None:  # a continuation: whitespace is text too
                for t in tok.encode(prompt, bos=False, what="prompt", blank_ok=True):
                    state = self.step(torch.tensor([t], device=self.device), state, mems)
        out: list[int] = []
        for _ in range(max_new_tokens):
            nxt = int(state.last_logits[0].argmax())
            if nxt == tok.EOS:
                break
            out.append(nxt)
            state = self.step(torch.tensor([nxt], device=self.device), state, mems)
        self.train(was_training)
        return out, state
