"""`MemorySlots`: pre-encoded external memories as a plain tensor bundle.

Holds, for every cross-attention layer, the keys/values of each memory's tokens and one pooled
selection key per memory, plus the fingerprint of the model that made them. Saved as one
safetensors file; loading into a model with another fingerprint raises
`FingerprintMismatchError` (DESIGN.md invariant 4).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import save_file

from memos.errors import FingerprintMismatchError, InvalidInputError, ModelError, NotFoundError

FORMAT = "memos.memory_slots.v1"


@dataclass
class MemorySlots:
    k: torch.Tensor  # (X, M, S, H, Dh): X cross-attention layers, M memories, S slots
    v: torch.Tensor  # (X, M, S, H, Dh)
    slot_mask: torch.Tensor  # (M, S) bool
    pooled: torch.Tensor  # (X, M, Dsel)
    fingerprint: str
    text_hashes: list[str] = field(default_factory=list)  # sha256 of each memory's text

    def __len__(self) -> int:
        return int(self.slot_mask.shape[0])

    @property
    def num_slots(self) -> int:
        return int(self.slot_mask.sum())

    def to(self, device: torch.device | str) -> MemorySlots:
        return MemorySlots(
            self.k.to(device), self.v.to(device), self.slot_mask.to(device), self.pooled.to(device),
            self.fingerprint, list(self.text_hashes),
        )

    def check(self, fingerprint: str) -> None:
        """Raise unless these slots were made by the model with `fingerprint`."""
        if self.fingerprint != fingerprint:
            raise FingerprintMismatchError(
                f"memory slots were encoded by model {self.fingerprint[:12]} but this model is "
                f"{fingerprint[:12]}; re-encode the memories with this model (encode_memory)"
            )

    def select(self, indices: list[int]) -> MemorySlots:
        """A bundle with only the memories at `indices`, in that order."""
        n = self.slot_mask.shape[0]
        bad = [i for i in indices if not isinstance(i, int) or isinstance(i, bool)
               or not -n <= i < n]
        if bad:
            raise InvalidInputError(f"MemorySlots.select: index {bad[0]!r} is not one of the "
                                    f"bundle's {n} memories; pass indices from 0 to {n - 1}")
        ix = torch.tensor(indices, dtype=torch.long, device=self.slot_mask.device)
        hashes = [self.text_hashes[i] for i in indices] if self.text_hashes else []
        return MemorySlots(self.k[:, ix], self.v[:, ix], self.slot_mask[ix], self.pooled[:, ix], self.fingerprint, hashes)

    @staticmethod
    def concat(parts: list[MemorySlots]) -> MemorySlots:
        """Join bundles made by the same model; slots are padded to the longest memory."""
        if not parts:
            raise InvalidInputError("MemorySlots.concat needs at least one bundle")
        fp = parts[0].fingerprint
        for p in parts[1:]:
            if p.fingerprint != fp:
                raise FingerprintMismatchError(
                    f"cannot concatenate memory slots from models {fp[:12]} and {p.fingerprint[:12]}; "
                    "re-encode them with one model"
                )
        s = max(p.slot_mask.shape[1] for p in parts)

        def pad(t: torch.Tensor, dim: int) -> torch.Tensor:
            extra = s - t.shape[dim]
            if extra == 0:
                return t
            shape = list(t.shape)
            shape[dim] = extra
            return torch.cat([t, t.new_zeros(shape)], dim=dim)

        return MemorySlots(
            k=torch.cat([pad(p.k, 2) for p in parts], dim=1),
            v=torch.cat([pad(p.v, 2) for p in parts], dim=1),
            slot_mask=torch.cat([pad(p.slot_mask, 1) for p in parts], dim=0),
            pooled=torch.cat([p.pooled for p in parts], dim=1),
            fingerprint=fp,
            # the texts' hashes only when every part has them: one per memory, or none
            text_hashes=([h for p in parts for h in p.text_hashes]
                         if all(len(p.text_hashes) == p.slot_mask.shape[0] for p in parts)
                         else []),
        )

    def to_tensors(self) -> dict[str, torch.Tensor]:
        """The bundle as named tensors, for the blob store (fingerprint kept beside it)."""
        return {"k": self.k.contiguous().cpu(), "v": self.v.contiguous().cpu(),
                "slot_mask": self.slot_mask.contiguous().cpu(),
                "pooled": self.pooled.contiguous().cpu()}

    @staticmethod
    def from_tensors(t: dict[str, torch.Tensor], fingerprint: str,
                     text_hashes: list[str] | None = None) -> MemorySlots:
        """Inverse of `to_tensors`."""
        if set(t) != {"k", "v", "slot_mask", "pooled"}:
            raise ModelError(f"not a memory slots bundle (tensors {sorted(t)}); re-encode the "
                             f"memories")
        return MemorySlots(t["k"], t["v"], t["slot_mask"].bool(), t["pooled"], fingerprint,
                           list(text_hashes or []))

    def trimmed(self) -> MemorySlots:
        """The same memories without trailing slots that no memory uses (smaller blobs)."""
        used = int(self.slot_mask.any(dim=0).nonzero().max()) + 1 if self.slot_mask.any() else 1
        return MemorySlots(self.k[:, :, :used].contiguous(), self.v[:, :, :used].contiguous(),
                           self.slot_mask[:, :used].contiguous(), self.pooled.contiguous(),
                           self.fingerprint, list(self.text_hashes))

    def nbytes(self) -> int:
        return sum(t.numel() * t.element_size()
                   for t in (self.k, self.v, self.slot_mask, self.pooled))

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tensors = {
            "k": self.k.contiguous().cpu(),
            "v": self.v.contiguous().cpu(),
            "slot_mask": self.slot_mask.contiguous().cpu(),
            "pooled": self.pooled.contiguous().cpu(),
        }
        meta = {"format": FORMAT, "fingerprint": self.fingerprint, "text_hashes": json.dumps(self.text_hashes)}
        save_file(tensors, str(path), metadata=meta)
        return path

    @staticmethod
    def load(path: str | Path, fingerprint: str | None = None) -> MemorySlots:
        """Read a bundle; with `fingerprint`, refuse one made by another model."""
        path = Path(path)
        if not path.is_file():
            raise NotFoundError(f"no memory slots file at {path}")
        try:
            with safe_open(str(path), framework="pt") as f:
                meta = f.metadata() or {}
                tensors = {name: f.get_tensor(name) for name in f.keys()}
        except Exception as exc:  # safetensors raises several types for corrupt files
            raise ModelError(f"{path} is not a readable memory slots file ({exc}); re-encode the memories") from exc
        if meta.get("format") != FORMAT or set(tensors) != {"k", "v", "slot_mask", "pooled"}:
            raise ModelError(f"{path} is not a memos memory slots file ({FORMAT}); re-encode the memories")
        slots = MemorySlots(
            tensors["k"], tensors["v"], tensors["slot_mask"].bool(), tensors["pooled"],
            meta.get("fingerprint", ""), json.loads(meta.get("text_hashes", "[]")),
        )
        if fingerprint is not None:
            slots.check(fingerprint)
        return slots
