"""Training loop: AdamW, warmup + cosine, gradient clipping, periodic eval, resume, rich progress.

torch.distributed-ready: with WORLD_SIZE > 1 (torchrun) the loss module is wrapped in DDP,
each rank draws its own data (seed + rank) and only rank 0 logs, evaluates and saves.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn
import torch.nn.functional as F

from memos.errors import CheckpointError, InvalidInputError
from memos.model import tasks
from memos.model.baselines import build_model
from memos.model.checkpoint import (
    TRAIN_STATE_FILE,
    load_checkpoint,
    read_meta,
    save_checkpoint,
)
from memos.model.config import MEMORY_ENDS, ModelConfig
from memos.model.cross_attention import LayerMemory
from memos.model.memory_model import MemoryModel

log = logging.getLogger(__name__)
TASKS = ("memory-qa", "passkey", "mqar")


@dataclass
class TrainConfig:
    task: str = "memory-qa"
    steps: int = 2000
    lr: float = 1.5e-3
    min_lr_ratio: float = 0.1
    warmup: int = 100
    weight_decay: float = 0.05
    clip: float = 1.0
    seed: int = 0
    eval_every: int = 250
    save_every: int = 100
    # memory QA
    max_facts: int = 64  # curriculum grows the number of facts from 4 to this over half the run
    groups: int = 1  # fact sets per step
    questions: int = 16  # questions per fact set (amortises encoding)
    aux_weight: float = 1.0  # selection loss weight
    stuffed_every: int = 4  # every k-th step trains the stuffed condition (0: never)
    max_stuffed_facts: int = 12
    prompt_loss: float = 0.0  # weight of a next-byte loss over stuffed prompts (in-context copying)
    stated_share: float = tasks.STATED_SHARE  # share of values drawn as people state them
    uniform_share: float = 0.0  # share of fact sets whose values are all of one kind
    long_share: float = 0.0  # share of fact sets whose values are all 33-64 bytes long
    # ModelConfig.memory_end to give the model (None: keep its config's); a fine-tune may
    # change it, the weights then learn the other ending
    memory_end: str | None = None
    # passkey / mqar
    batch: int = 16
    seq_len: int = 256
    n_pairs: int = 16


def lr_at(step: int, tc: TrainConfig) -> float:
    if step < tc.warmup:
        return tc.lr * (step + 1) / tc.warmup
    t = (step - tc.warmup) / max(1, tc.steps - tc.warmup)
    return tc.lr * (tc.min_lr_ratio + (1 - tc.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * min(1.0, t))))


def facts_at(step: int, tc: TrainConfig) -> int:
    """Curriculum: the largest fact count at this step (4 -> max_facts over the first half)."""
    frac = min(1.0, step / max(1, tc.steps // 2))
    return max(1, int(round(4 + (tc.max_facts - 4) * frac)))


def sample_batch(rng: random.Random, step: int, tc: TrainConfig) -> tasks.Batch:
    if tc.task == "memory-qa":
        top = facts_at(step, tc)
        if tc.stuffed_every and step % tc.stuffed_every == tc.stuffed_every - 1:
            n = rng.randint(1, min(top, tc.max_stuffed_facts))
            return tasks.memory_qa_batch(rng, n, tc.groups * 2, tc.questions // 2, stuffed=True,
                                         stated_share=tc.stated_share, uniform_share=tc.uniform_share,
                                         long_share=tc.long_share)
        n = rng.randint(max(1, top // 2), top)
        return tasks.memory_qa_batch(rng, n, tc.groups, tc.questions, stated_share=tc.stated_share,
                                     uniform_share=tc.uniform_share, long_share=tc.long_share)
    if tc.task == "passkey":
        return tasks.passkey_batch(rng, tc.batch, tc.seq_len)
    if tc.task == "mqar":
        return tasks.mqar_batch(rng, tc.batch, tc.seq_len, tc.n_pairs)
    raise InvalidInputError(f"unknown task {tc.task!r}; use one of {', '.join(TASKS)}")


def batch_memories(model: MemoryModel, batch: tasks.Batch, full: bool = True) -> list[LayerMemory] | None:
    """Encode a batch's memory texts with gradients (row r reads only batch.allowed[r])."""
    if not batch.memory_seqs:
        return None
    per_layer, mask = model.encode_tokens(batch.memory_seqs)
    return [LayerMemory(k[None], v[None], mask[None], p[None], allowed=batch.allowed, full=full) for k, v, p in per_layer]


class LossModule(nn.Module):
    """Wraps the model so DDP sees one forward(batch) -> (loss, answer loss, selection loss)."""

    def __init__(self, model: MemoryModel, aux_weight: float, prompt_loss: float = 0.0) -> None:
        super().__init__()
        self.model = model
        self.aux_weight = aux_weight
        self.prompt_loss = prompt_loss

    def forward(self, batch: tasks.Batch) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        dev = self.model.device
        tokens, targets = batch.tokens.to(dev), batch.targets.to(dev)
        logits, scores, _ = self.model.forward_full(tokens, batch_memories(self.model, batch))
        ce = F.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=tasks.IGNORE)
        extra = torch.zeros((), device=dev)
        if self.prompt_loss and batch.prompt_targets is not None:
            pt = batch.prompt_targets.to(dev)
            extra = self.prompt_loss * F.cross_entropy(logits.flatten(0, 1), pt.flatten(), ignore_index=tasks.IGNORE)
        sel = torch.zeros((), device=dev)
        if batch.sel_target is not None:
            rows, pos = (targets != tasks.IGNORE).nonzero(as_tuple=True)
            want = batch.sel_target.to(dev)[rows]
            for s in scores:
                if s is not None:
                    sel = sel + F.cross_entropy(s[rows, pos], want) / len(scores)
        return ce + self.aux_weight * sel + extra, ce.detach(), sel.detach()


def _dist_setup() -> tuple[int, int]:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and not torch.distributed.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        torch.distributed.init_process_group(backend)
        if torch.cuda.is_available():
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    rank = torch.distributed.get_rank() if world > 1 else 0
    return rank, world


def _check_out(out: Path) -> None:
    """Refuse an output folder no checkpoint can be written to (a file, a folder under a file,
    one not writable), creating nothing: a run refused later for its settings leaves no folder."""
    try:
        there = out
        while not there.exists():
            there = there.parent
        reason = (None if there.is_dir() and os.access(there, os.W_OK) else
                  f"{there} is {'not writable' if there.is_dir() else 'not a folder'}")
    except OSError as exc:  # e.g. a name too long for the file system
        reason = str(exc.strerror or exc)
    if reason is not None:
        raise InvalidInputError(f"--out {out} cannot hold a checkpoint ({reason}); pass a folder "
                                "you can write to (it is created if missing)")


def run_settings(tc: TrainConfig, model_cfg: ModelConfig) -> TrainConfig:
    """The settings a run of `tc` on a model of `model_cfg` uses and records in meta.json."""
    if tc.task == "memory-qa" and not model_cfg.cross_attention:
        # A model that cannot read memory (the baselines) learns memory QA from stuffed prompts only.
        return TrainConfig(**{**asdict(tc), "stuffed_every": 1})
    return tc


def train(
    model_cfg: ModelConfig,
    tc: TrainConfig,
    out_dir: str | Path,
    resume: bool = True,
    progress: bool = True,
    keep_train_state: bool = False,
    eval_fn: Any = None,
    init: str | Path | None = None,
) -> dict[str, Any]:
    """Train (or resume) a model on `tc.task` and save it to `out_dir`. Returns a summary.

    `init`: a checkpoint directory whose weights the run starts from (fine-tuning) instead of a
    fresh initialisation; its config replaces `model_cfg`. A run that resumes from its own train
    state ignores it (the state already holds the fine-tuned weights)."""
    if tc.task not in TASKS:
        raise InvalidInputError(f"unknown task {tc.task!r}; use one of {', '.join(TASKS)}")
    if tc.steps <= 0:
        raise InvalidInputError("steps must be positive")
    tc = run_settings(tc, model_cfg)
    out = Path(out_dir)
    rank, world = _dist_setup()
    if rank == 0:  # before any training: the first save is 100 steps away
        _check_out(out)
    device = torch.device(f"cuda:{torch.cuda.current_device()}" if torch.cuda.is_available() else "cpu")
    torch.manual_seed(tc.seed)
    state_file = out / TRAIN_STATE_FILE
    init_meta: dict[str, Any] = {}
    if init is not None and not (resume and state_file.is_file()):
        init_dir = Path(init)
        if not (init_dir / "config.json").is_file():
            raise InvalidInputError(f"--init {init_dir} is not a checkpoint directory (no config.json); "
                                    "pass a directory written by `memos model train`")
        model = load_checkpoint(init_dir)
        init_meta = {"init": {"path": str(init_dir), "fingerprint": model.fingerprint}}
    else:
        model = build_model(model_cfg)
        if resume and state_file.is_file():
            init_meta = {k: v for k, v in read_meta(out).items() if k == "init"}
    if tc.memory_end is not None and not (resume and state_file.is_file()):
        if tc.memory_end not in MEMORY_ENDS:
            raise InvalidInputError(f"memory_end must be one of {', '.join(MEMORY_ENDS)}, got "
                                    f"{tc.memory_end!r}")
        model.cfg = dataclasses.replace(model.cfg, extra={**model.cfg.extra,
                                                          "memory_end": tc.memory_end})
        model._fp_key = None  # the config is part of the fingerprint
    opt_state, start, rng_state = None, 0, None
    if resume and state_file.is_file():
        model = load_checkpoint(out)
        try:  # tensors, numbers and tuples only: nothing in the file runs as code
            saved = torch.load(state_file, weights_only=True)
            opt_state, start, rng_state = saved["optimizer"], saved["step"], saved["rng"]
        except Exception as exc:  # a pickle with anything else, a truncated file, ...
            raise CheckpointError(f"{state_file} is not a training state this memos wrote "
                                  f"({type(exc).__name__}); remove it to train from the "
                                  "checkpoint's weights, or give another --out") from exc
        if not isinstance(start, int) or isinstance(start, bool) or start < 0:
            raise CheckpointError(f"{state_file} records no valid step; remove it or give "
                                  "another --out")
        log.info("resuming %s from step %d", out, start)
        if tc.memory_end is not None and tc.memory_end != model.cfg.memory_end:
            raise InvalidInputError(
                f"{out} holds a run whose model reads memory ends as {model.cfg.memory_end!r}; "
                f"resume it with --memory-end {model.cfg.memory_end} (or none), or train into "
                "a new --out")
    model.to(device).train()
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": tc.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=tc.lr, betas=(0.9, 0.95),
    )
    if opt_state is not None:
        opt.load_state_dict(opt_state)
    rng = random.Random(tc.seed * 1000 + rank)
    if rng_state is not None:
        rng.setstate(rng_state)
    loss_mod: nn.Module = LossModule(model, tc.aux_weight, tc.prompt_loss)
    if world > 1:
        loss_mod = nn.parallel.DistributedDataParallel(loss_mod, find_unused_parameters=True)
    history: list[dict[str, Any]] = []
    meta = {"train": asdict(tc), "task": tc.task, **init_meta}

    def save(step: int) -> None:
        if rank != 0:
            return
        save_checkpoint(model, out, {**meta, "step": step, "history": history})
        torch.save({"optimizer": opt.state_dict(), "step": step, "rng": rng.getstate()}, out / (TRAIN_STATE_FILE + ".tmp"))
        (out / (TRAIN_STATE_FILE + ".tmp")).replace(state_file)

    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(  # on stderr: stdout holds results (`memos model train/build ... --json`)
        TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
        TextColumn("loss {task.fields[loss]:.3f} sel {task.fields[sel]:.3f}"), TextColumn("{task.fields[tps]:.0f} tok/s"),
        TimeRemainingColumn(), disable=not progress or rank != 0, console=Console(stderr=True),
    )
    t0, tokens_seen, ema = time.time(), 0, None
    with bar:
        job = bar.add_task(tc.task, total=tc.steps, completed=start, loss=0.0, sel=0.0, tps=0.0)
        for step in range(start, tc.steps):
            for g in opt.param_groups:
                g["lr"] = lr_at(step, tc)
            batch = sample_batch(rng, step, tc)
            loss, ce, sel = loss_mod(batch)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), tc.clip)
            opt.step()
            tokens_seen += batch.n_tokens
            ema = float(ce) if ema is None else 0.98 * ema + 0.02 * float(ce)
            tps = tokens_seen / max(1e-9, time.time() - t0)
            bar.update(job, advance=1, loss=ema, sel=float(sel), tps=tps)
            if rank == 0 and (step + 1) % 25 == 0:
                log.info("step %d loss %.4f sel %.4f lr %.2e tok/s %.0f", step + 1, ema, float(sel), lr_at(step, tc), tps)
            if eval_fn is not None and rank == 0 and ((step + 1) % tc.eval_every == 0 or step + 1 == tc.steps):
                model.eval()
                result = eval_fn(model)
                model.train()
                history.append({"step": step + 1, "loss": ema, **result})
                log.info("eval step %d: %s", step + 1, result)
            if (step + 1) % tc.save_every == 0 or step + 1 == tc.steps:
                save(step + 1)
    if rank == 0 and not keep_train_state and state_file.exists():
        state_file.unlink()
    model.eval()
    return {"out": str(out), "rank": rank, "steps": tc.steps, "loss": ema, "fingerprint": model.fingerprint,
            "seconds": time.time() - t0, "history": history}
