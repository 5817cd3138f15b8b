"""Checkpoints: a directory with config.json, model.safetensors and meta.json (fingerprint).

The fingerprint is the hash of config and weights (`MemoryModel.fingerprint`); every derived
artifact (memory slots, session states) records it. A config with unknown fields or version is
refused with `CheckpointError`, as is a weight file that does not match the config.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from memos.errors import CheckpointError
from memos.model.baselines import build_model
from memos.model.config import ModelConfig
from memos.model.memory_model import MemoryModel, fingerprint_of

log = logging.getLogger(__name__)

CONFIG_FILE, WEIGHTS_FILE, META_FILE, TRAIN_STATE_FILE = "config.json", "model.safetensors", "meta.json", "train_state.pt"
SHIPPED_DIR = Path(__file__).resolve().parent / "checkpoints"
DEFAULT_CHECKPOINT = SHIPPED_DIR / "memqa-small"


def save_checkpoint(model: MemoryModel, out_dir: str | Path, meta: dict[str, Any] | None = None) -> Path:
    """Write weights and config; returns the directory. Files are replaced atomically."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    fp = model.fingerprint
    tmp = out / (WEIGHTS_FILE + ".tmp")
    save_file(tensors, str(tmp), metadata={"fingerprint": fp})
    tmp.replace(out / WEIGHTS_FILE)
    (out / CONFIG_FILE).write_text(json.dumps(model.cfg.to_dict(), indent=2, sort_keys=True) + "\n")
    info = {"fingerprint": fp, "parameters": model.num_parameters(), **(meta or {})}
    (out / META_FILE).write_text(json.dumps(info, indent=2, sort_keys=True) + "\n")
    return out


def read_meta(path: str | Path) -> dict[str, Any]:
    """A checkpoint's meta.json ({} when it has none); CheckpointError when it is not a JSON
    object."""
    meta_file = Path(path) / META_FILE
    if not meta_file.is_file():
        return {}
    try:
        data = json.loads(meta_file.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{meta_file} is not valid JSON ({exc}); re-create the "
                              "checkpoint") from exc
    if not isinstance(data, dict):
        raise CheckpointError(f"{meta_file} is not a JSON object; re-create the checkpoint")
    return data


def read_config(path: str | Path) -> ModelConfig:
    path = Path(path)
    cfg_file = path / CONFIG_FILE
    try:
        found = cfg_file.is_file()
    except OSError:  # a name too long for the file system is no checkpoint either
        found = False
    if not found:
        raise CheckpointError(f"{path} is not a checkpoint (no {CONFIG_FILE}); train one with `memos model train`")
    try:
        data = json.loads(cfg_file.read_text())
    except json.JSONDecodeError as exc:
        raise CheckpointError(f"{cfg_file} is not valid JSON ({exc}); re-create the checkpoint") from exc
    return ModelConfig.from_dict(data)


def load_checkpoint(
    path: str | Path | None = None, device: str | torch.device = "cpu", top_k: int | None = None,
) -> MemoryModel:
    """Load a checkpoint directory (default: the shipped one) into a model in eval mode.

    `top_k` overrides how many memories each token reads (`ModelConfig.top_k`; the weights do
    not depend on it: training reads every memory). The files are checked against their recorded
    fingerprint first; the model returned has the fingerprint of the overridden config."""
    if top_k is not None and top_k < 1:
        raise CheckpointError(f"top_k must be at least 1 (got {top_k}): it is how many memories each token reads; "
                              "pass 1 or more, or leave it out for the checkpoint's own")
    path = Path(path) if path is not None else DEFAULT_CHECKPOINT
    cfg = read_config(path)
    wfile = path / WEIGHTS_FILE
    if not wfile.is_file():
        raise CheckpointError(f"{path} has no {WEIGHTS_FILE}; re-create the checkpoint")
    try:
        tensors = load_file(str(wfile))
    except Exception as exc:  # safetensors raises its own error types for corrupt files
        raise CheckpointError(f"{wfile} is corrupt ({exc}); re-create the checkpoint") from exc
    override = top_k is not None and top_k != cfg.top_k
    model = build_model(dataclasses.replace(cfg, top_k=top_k) if override else cfg)
    try:
        model.load_state_dict(tensors, strict=True)
    except RuntimeError as exc:
        raise CheckpointError(f"weights in {path} do not match its config ({exc}); re-create the checkpoint") from exc
    model.to(device).eval()
    meta = read_meta(path)
    if meta:
        recorded = meta.get("fingerprint")
        # The files' own fingerprint (config as written), whatever top_k the model reads with.
        files_fp = fingerprint_of(cfg, tensors.items()) if override else model.fingerprint
        if recorded and recorded != files_fp:
            raise CheckpointError(
                f"{path}: weights do not match the recorded fingerprint (files changed after saving); "
                "re-create the checkpoint"
            )
    return model


def copy_checkpoint(src: str | Path | None, out_dir: str | Path, *, top_k: int) -> MemoryModel:
    """Copy a checkpoint (default: the shipped one) to `out_dir` with another `top_k`, the one
    inference setting in the config that the weights do not depend on. The weights and the
    training record in meta.json are kept; the fingerprint is the new config's, and meta.json
    records the source's under "copied_from" so the derivation stays traceable."""
    source = Path(src) if src is not None else DEFAULT_CHECKPOINT
    out = Path(out_dir)
    if out.resolve() == source.resolve():
        raise CheckpointError(f"{out} is the source checkpoint itself; copy to another folder, then replace it")
    if (out / CONFIG_FILE).exists():
        raise CheckpointError(f"{out} already holds a checkpoint; remove it or give another folder for the copy")
    cfg = read_config(source)
    if cfg.top_k == top_k:
        raise CheckpointError(f"{source} already reads top_k={top_k} memories per token; give another --top-k "
                              "(a copy would be the same checkpoint)")
    copy = load_checkpoint(source, top_k=top_k)  # checks the files against meta.json's fingerprint
    meta = read_meta(source)
    old_fp = meta.get("fingerprint") or fingerprint_of(cfg, copy.state_dict().items())
    earlier = meta.get("copied_from")  # a copy of a copy keeps the chain back to the trained weights
    meta = {k: v for k, v in meta.items() if k not in ("fingerprint", "parameters", "copied_from")}
    meta["copied_from"] = {"fingerprint": old_fp, "top_k": cfg.top_k, "changed": {"top_k": top_k},
                           **({"copied_from": earlier} if earlier else {})}
    save_checkpoint(copy, out, meta)
    return copy
