"""Model configuration: one dataclass, JSON on disk, presets by name."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

from memos.errors import CheckpointError

CONFIG_VERSION = 1
MEMORY_ENDS = ("period", "eos")  # ModelConfig.memory_end
ARCHS = ("memory-ssm", "transformer")
VOCAB_SIZE = 260  # tokenizer.VOCAB_SIZE (256 bytes + 4 specials), without importing torch


@dataclass(frozen=True)
class ModelConfig:
    """Sizes of the memory-augmented SSM. Every field is part of the model fingerprint."""

    arch: str = "memory-ssm"  # "memory-ssm" (MemoryModel) or "transformer" (baselines.Transformer)
    vocab_size: int = 260  # 256 bytes + PAD, BOS, EOS, SEP (see tokenizer.py)
    d_model: int = 128
    n_heads: int = 4  # SSM heads and attention heads
    d_state: int = 16  # N: SSM state size per head
    expand: int = 2  # SSM inner width = expand * d_model
    conv_width: int = 4
    mlp_mult: int = 2
    n_layers: int = 3  # blocks: mixer -> [internal memory] -> [cross-attention] -> MLP; memory texts
    # are read by the same blocks (mixer, MLP) so that their keys share the prompt's features
    scan_chunk: int = 32  # chunk size of the parallel scan (numerics only, not semantics)
    # External memory (pre-encoded slots read by gated cross-attention).
    cross_attention: bool = True
    top_k: int = 4  # memories each token reads
    d_select: int = 64  # width of the pooled selection keys
    max_memory_tokens: int = 256  # longest memory text, in bytes (+1 for BOS)
    # Internal memory (chunk summaries in a bounded pool, MemMamba-style).
    internal_memory: bool = True
    memory_chunk: int = 64  # C: tokens per chunk that write to the pool
    slots_per_chunk: int = 4  # tokens of highest importance kept from each chunk
    pool_chunks: int = 32  # pool capacity in chunks; lowest importance is replaced when full
    norm_eps: float = 1e-5
    version: int = CONFIG_VERSION
    # Notes (e.g. the training recipe), and "memory_end": how the model reads the end of a
    # memory text (the `memory_end` property below). A key here, not a field, so that the
    # configs (and fingerprints) of checkpoints made before it stay as they were.
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def d_inner(self) -> int:
        return self.expand * self.d_model

    @property
    def head_dim(self) -> int:
        return self.d_inner // self.n_heads

    @property
    def attn_head_dim(self) -> int:
        return self.d_model // self.n_heads

    @property
    def memory_end(self) -> str:
        """How this model reads the end of a memory text: "period" (as written) or "eos"
        (a final period is not read, so the last byte of "<subject>'s <attribute> is
        <value>." is the value's, followed by the end itself). A slot carries its byte and
        the next one; with "period" the byte before a period inside a value ("a.lin@x.org")
        looks like the end of the value, which is what "eos" takes away."""
        return str(self.extra.get("memory_end", "period"))

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name in ("arch",):
                ok = isinstance(value, str)
            elif f.name == "extra":
                ok = isinstance(value, dict)
            elif f.name == "norm_eps":
                ok = (isinstance(value, (int, float)) and not isinstance(value, bool)
                      and 0 < value < 1)
            elif f.name in ("cross_attention", "internal_memory"):
                ok = isinstance(value, bool)
            else:  # sizes and counts (and the version): whole numbers, at least 1
                ok = isinstance(value, int) and not isinstance(value, bool) and value >= 1
            if not ok:
                raise CheckpointError(f"model config field {f.name} has the invalid value "
                                      f"{value!r:.60}; re-create the checkpoint")
        if self.vocab_size < VOCAB_SIZE:
            raise CheckpointError(f"model config vocab_size {self.vocab_size} is below the "
                                  f"tokenizer's {VOCAB_SIZE}; re-create the checkpoint")
        if self.slots_per_chunk > self.memory_chunk:
            raise CheckpointError(f"model config keeps {self.slots_per_chunk} slots of a "
                                  f"{self.memory_chunk}-token chunk; slots_per_chunk must not "
                                  "exceed memory_chunk")
        if self.memory_end not in MEMORY_ENDS:
            raise CheckpointError(f"unknown memory_end {self.memory_end!r} in the model config; "
                                  f"this memos knows {', '.join(MEMORY_ENDS)}")
        if self.arch not in ARCHS:
            raise CheckpointError(f"unknown model arch {self.arch!r}; this memos knows {', '.join(ARCHS)}")
        if self.d_inner % self.n_heads or self.d_model % self.n_heads:
            raise CheckpointError(
                f"d_model={self.d_model} (and expand*d_model) must be divisible by n_heads={self.n_heads}"
            )

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        """Build a config, refusing keys or versions this code does not know."""
        if not isinstance(data, dict):
            raise CheckpointError("model config must be a JSON object; re-create the checkpoint")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise CheckpointError(
                f"model config has unknown fields {unknown}; it was written by another version of memos. "
                "Upgrade memos or re-train the checkpoint"
            )
        version = data.get("version", CONFIG_VERSION)
        if version != CONFIG_VERSION:
            raise CheckpointError(
                f"model config version {version} is not supported (this memos reads version "
                f"{CONFIG_VERSION}); upgrade memos or re-train the checkpoint"
            )
        try:
            return cls(**data)
        except TypeError as exc:
            raise CheckpointError(f"model config is malformed ({exc}); re-create the checkpoint") from exc


PRESETS: dict[str, ModelConfig] = {
    # ~1M parameters: the shipped memory-QA model.
    "small": ModelConfig(),
    # For tests and smoke runs: seconds on a CPU.
    "tiny": ModelConfig(
        d_model=32, n_heads=2, d_state=8, n_layers=1, d_select=16,
        memory_chunk=8, slots_per_chunk=2, pool_chunks=4, scan_chunk=8, max_memory_tokens=160,
    ),
    # Baselines with the same budget: the SSM without any memory, and a Transformer of similar size.
    "ssm": ModelConfig(cross_attention=False, internal_memory=False, n_layers=6),
    "transformer": ModelConfig(arch="transformer", n_layers=5, mlp_mult=4, cross_attention=False, internal_memory=False),
}


def preset(name: str, **overrides: Any) -> ModelConfig:
    """A named preset with some fields replaced."""
    from memos.errors import InvalidInputError

    if name not in PRESETS:
        raise InvalidInputError(f"unknown preset {name!r}; use one of {', '.join(PRESETS)}")
    return dataclasses.replace(PRESETS[name], **overrides)
