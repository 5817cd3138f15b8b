"""`SessionState`: everything the model needs to continue a text it has read (O(1) in length).

Per decoder layer: the SSM scan state and conv window, and the internal-memory pool with its
partial chunk; plus the logits of the last token. Saved as one safetensors file carrying the
model fingerprint, like `MemorySlots`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import save_file

from memos.errors import FingerprintMismatchError, ModelError, NotFoundError
from memos.model.chunk_memory import PoolState
from memos.model.ssm import MixerState

FORMAT = "memos.session_state.v1"
_POOL_FIELDS = ("k", "v", "mask", "importance", "buffer")


@dataclass
class SessionState:
    mixers: list[MixerState]
    pools: list[PoolState | None]
    last_logits: torch.Tensor  # (B, V)
    length: int  # tokens read so far
    fingerprint: str

    def check(self, fingerprint: str) -> None:
        if self.fingerprint != fingerprint:
            raise FingerprintMismatchError(
                f"session state was made by model {self.fingerprint[:12]} but this model is "
                f"{fingerprint[:12]}; read the session again with this model (read_session)"
            )

    def to_tensors(self) -> dict[str, torch.Tensor]:
        """The state as named tensors (scalars as 1-element tensors), for the blob store.
        The fingerprint travels beside it, in the blob's metadata."""
        tensors: dict[str, torch.Tensor] = {
            "last_logits": self.last_logits.contiguous().cpu(),
            "length": torch.tensor([self.length], dtype=torch.int64),
            "layers": torch.tensor([len(self.mixers)], dtype=torch.int64),
        }
        for i, m in enumerate(self.mixers):
            tensors[f"{i}.ssm"] = m.ssm.contiguous().cpu()
            tensors[f"{i}.conv"] = m.conv.contiguous().cpu()
        for i, p in enumerate(self.pools):
            if p is None:
                continue
            for name in _POOL_FIELDS:
                tensors[f"{i}.pool.{name}"] = getattr(p, name).contiguous().cpu()
            tensors[f"{i}.pool.filled"] = torch.tensor([p.filled], dtype=torch.int64)
        return tensors

    @staticmethod
    def from_tensors(t: dict[str, torch.Tensor], fingerprint: str) -> SessionState:
        """Inverse of `to_tensors`; raises ModelError if a tensor is missing."""
        try:
            layers = int(t["layers"][0])
            mixers = [MixerState(ssm=t[f"{i}.ssm"], conv=t[f"{i}.conv"]) for i in range(layers)]
            pools: list[PoolState | None] = []
            for i in range(layers):
                if f"{i}.pool.k" in t:
                    fields = {name: t[f"{i}.pool.{name}"] for name in _POOL_FIELDS}
                    fields["mask"] = fields["mask"].bool()
                    pools.append(PoolState(**fields, filled=int(t[f"{i}.pool.filled"][0])))
                else:
                    pools.append(None)
            return SessionState(mixers, pools, t["last_logits"], int(t["length"][0]), fingerprint)
        except (KeyError, IndexError, ValueError) as exc:
            raise ModelError(f"not a complete session state (missing {exc}); read the session "
                             f"again") from exc

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        # The file format keeps the scalars in its metadata, not as tensors.
        tensors = {name: t for name, t in self.to_tensors().items()
                   if name not in ("length", "layers") and not name.endswith(".pool.filled")}
        meta = {"format": FORMAT, "fingerprint": self.fingerprint, "length": str(self.length),
                "layers": str(len(self.mixers))}
        for i, p in enumerate(self.pools):
            if p is not None:
                meta[f"{i}.pool.filled"] = str(p.filled)
        save_file(tensors, str(path), metadata=meta)
        return path

    @staticmethod
    def load(path: str | Path, fingerprint: str | None = None) -> SessionState:
        path = Path(path)
        if not path.is_file():
            raise NotFoundError(f"no session state file at {path}")
        try:
            with safe_open(str(path), framework="pt") as f:
                meta = f.metadata() or {}
                t = {name: f.get_tensor(name) for name in f.keys()}
            if meta.get("format") != FORMAT:
                raise KeyError("format")
            # The file keeps the scalars in its metadata; to_tensors keeps them as tensors.
            scalars = {name: torch.tensor([int(value)], dtype=torch.int64)
                       for name, value in meta.items()
                       if name in ("length", "layers") or name.endswith(".pool.filled")}
            state = SessionState.from_tensors({**t, **scalars}, meta["fingerprint"])
        except (KeyError, ValueError, OSError, ModelError) as exc:
            raise ModelError(f"{path} is not a readable memos session state ({exc}); read the session again") from exc
        except Exception as exc:  # safetensors' own errors for corrupt files
            raise ModelError(f"{path} is not a readable memos session state ({exc}); read the session again") from exc
        if fingerprint is not None:
            state.check(fingerprint)
        return state
