"""LoRA adapters on the memory model, through `peft`: training, evaluation, serving.

The base model is never modified. An adapter lives on a **twin**: a copy of the base model's
module tree that shares every parameter and buffer tensor with it (``copy.deepcopy`` with a
memo that maps each tensor to itself), into which peft injects its LoRA layers. So:

- one base model's weights are in memory, whatever the number of adapters or users;
- the base model's own modules, state dict and fingerprint never change: every user's
  pre-encoded slots stay valid, and a caller without an adapter gets bit-identical logits;
- adapters are switched per call on the serving twin (`peft` ``set_adapter``), under the
  activation tier's model lock (one forward pass at a time per tier).

Memory **encoding always runs on the base model** (the twin is only ever used for the query
side), so an adapter can never invalidate a slot. LoRA targets the mixer and MLP projections
of every block (``in_proj``, ``out_proj``, ``up``, ``down``); the cross-attention (the memory
reader and the projections that make slot keys) and the internal memory stay base. Training
mixes closed-book questions on the facts with a *rehearsal* of ordinary memory QA: fresh
facts encoded once by the base model (no gradient: encoding is base), read through the
adapter, so the adapter learns the facts without unlearning how to read memory.
"""

from __future__ import annotations

import copy
import hashlib
import io
import logging
import math
import random
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
import torch.nn.functional as F

from memos.errors import FingerprintMismatchError, InvalidInputError, ModelError
from memos.model import tasks
from memos.model import tokenizer as tok
from memos.model.cross_attention import LayerMemory
from memos.model.memory_model import MemoryModel
from memos.shadowing import import_installed_kernels

log = logging.getLogger(__name__)

TARGET_MODULES = ("in_proj", "out_proj", "up", "down")  # mixer and MLP of every block
REHEARSAL_SEED = 7_000_003  # rehearsal facts: a seed space neither training nor eval uses
GATE_SEED = 9_000_011  # unseen facts of the gate's memory-QA check
FORMAT = "memos-lora-1"


def check_styles(styles: Any, name: str) -> None:
    """InvalidInputError unless `styles` is a non-empty sequence of fact style names
    (memos.model.families.STYLES)."""
    from memos.model import families

    if (isinstance(styles, str) or not styles
            or not all(isinstance(s, str) and s in families.STYLES for s in styles)):
        raise InvalidInputError(f"{name} must name fact styles of {sorted(families.STYLES)}, "
                                f"got {styles!r:.60}")


@dataclass(frozen=True)
class TrainConfig:
    """How an adapter is trained (recorded on the adapter cube)."""

    steps: int = 200
    rank: int = 16
    alpha: float = 32.0
    lr: float = 4e-3
    batch: int = 32  # closed-book questions per step
    rehearsal_every: int = 1  # a memory-QA batch every k-th step (0: never)
    rehearsal_sets: int = 16  # pre-encoded fact sets drawn from
    rehearsal_facts: int = 16  # facts per rehearsal set
    # 16 questions at weight 2: measured on checkpoint c93a18308a59 (RESULTS.md, "Parametric
    # tier"): 8 at weight 1 (and 8 at weight 3) let memory-QA fall 0.021-0.032; on the one
    # shipped after it (5da2db1bf8cf) this default kept memory-QA at 1.000, on the fourth
    # fine-tune (f00b809f51a4) at 1.00 and 0.99 (random / realistic), on the fifth
    # (f93f56f75831) it went 0.99 -> 1.00 for both, and on the one shipped now (67d81a66bf7b,
    # the fifth's weights reading 16 memories per token) 0.99 -> 1.00 for both again.
    rehearsal_questions: int = 16  # questions per rehearsal batch
    rehearsal_weight: float = 2.0
    rehearsal_styles: tuple[str, ...] = ("random", "realistic")  # the model's eval styles
    # Rehearse through the training-time read (every memory of the set, one block) rather
    # than generate's per-token top-k: measured ~2.5x cheaper per step on this CPU.
    rehearsal_full: bool = True
    distil: bool = True  # rehearse by distillation to the base model (else answer loss only)
    seed: int = 0
    targets: tuple[str, ...] = TARGET_MODULES

    def check(self) -> None:
        """InvalidInputError for a value training could not use, before any training."""
        for name, low, high in (("steps", 1, 100_000), ("rank", 1, 256), ("batch", 1, 4096),
                                ("rehearsal_every", 0, 100_000), ("rehearsal_sets", 1, 4096),
                                ("rehearsal_facts", 1, 4096), ("rehearsal_questions", 1, 4096),
                                ("seed", 0, 2**32 - 1)):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise InvalidInputError(f"{name} must be an integer from {low} to {high}, "
                                        f"got {value!r:.40}")
        for name, low, high in (("alpha", 0.0, 1e4), ("lr", 0.0, 10.0),
                                ("rehearsal_weight", 0.0, 1e4)):
            value = getattr(self, name)
            if (not isinstance(value, (int, float)) or isinstance(value, bool)
                    or not math.isfinite(value) or not low < value <= high
                    and not (name == "rehearsal_weight" and value == 0)):
                raise InvalidInputError(f"{name} must be a finite number above {low:g} and at "
                                        f"most {high:g}, got {value!r:.40}")
        for name in ("rehearsal_full", "distil"):
            if not isinstance(getattr(self, name), bool):
                raise InvalidInputError(f"{name} must be True or False, "
                                        f"got {getattr(self, name)!r:.40}")
        check_styles(self.rehearsal_styles, "rehearsal_styles")
        if (isinstance(self.targets, str) or not isinstance(self.targets, (tuple, list))
                or not self.targets or not all(isinstance(t, str) for t in self.targets)):
            raise InvalidInputError(f"targets must be a non-empty list of module names "
                                    f"({', '.join(TARGET_MODULES)}), got {self.targets!r:.60}")
        for target in self.targets:
            leaf = target.rsplit(".", 1)[-1]
            if leaf not in TARGET_MODULES or "xattn" in target or "internal" in target:
                raise InvalidInputError(
                    f"LoRA target {target!r}: targets must name the mixer or MLP projections "
                    f"({', '.join(TARGET_MODULES)}, optionally as blocks.N.mixer.in_proj); the "
                    f"cross-attention and the internal memory stay base")

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["targets"] = list(self.targets)
        data["rehearsal_styles"] = list(self.rehearsal_styles)
        return data


@dataclass(frozen=True)
class QA:
    """One closed-book question and its answer (the text the model must write)."""

    question: str
    answer: str

    def tokens(self) -> tuple[list[int], list[int]]:
        return ([tok.BOS, *tok.encode_raw(self.question)],
                [*tok.encode_raw(" " + self.answer), tok.EOS])


def _share_tensors(base: MemoryModel) -> dict[int, Any]:
    memo: dict[int, Any] = {id(p): p for p in base.parameters()}
    memo.update({id(b): b for b in base.buffers()})
    return memo


def _peft() -> Any:
    """The peft module, imported after the installed `kernels` distribution (peft imports
    transformers, which imports it: memos.shadowing)."""
    import_installed_kernels()
    import peft

    return peft


def make_twin(base: MemoryModel, cfg: TrainConfig) -> Any:
    """A peft model over a module-tree copy of `base` that shares all its tensors."""
    peft = _peft()

    twin = copy.deepcopy(base, memo=_share_tensors(base))
    requires = {id(p): p.requires_grad for p in base.parameters()}
    lcfg = peft.LoraConfig(r=cfg.rank, lora_alpha=cfg.alpha, lora_dropout=0.0,
                      target_modules=list(cfg.targets), bias="none")
    peft_model = peft.get_peft_model(twin, lcfg)
    for p in base.parameters():  # peft froze the shared tensors; the base keeps its flags
        p.requires_grad_(requires[id(p)])
    return peft_model


def lora_parameters(peft_model: Any) -> list[torch.nn.Parameter]:
    """The adapter's own tensors (never a shared base tensor)."""
    return [p for n, p in peft_model.named_parameters() if "lora_" in n]


def _inner(peft_model: Any) -> MemoryModel:
    return peft_model.base_model.model


def lora_state(peft_model: Any, adapter: str = "default") -> dict[str, torch.Tensor]:
    peft = _peft()

    return {k: v.detach().cpu().contiguous()
            for k, v in peft.get_peft_model_state_dict(peft_model, adapter_name=adapter).items()}


def adapter_fingerprint(tensors: dict[str, torch.Tensor], base_fp: str,
                        cfg: dict[str, Any]) -> str:
    """sha256 of the base fingerprint, the LoRA shape and every adapter weight."""
    h = hashlib.sha256(f"{FORMAT}|{base_fp}|r={cfg.get('rank')}|a={cfg.get('alpha')}|"
                       f"{','.join(cfg.get('targets', []))}".encode())
    for name in sorted(tensors):
        h.update(name.encode())
        h.update(tensors[name].float().numpy().tobytes())
    return h.hexdigest()


def adapter_bytes(tensors: dict[str, torch.Tensor]) -> int:
    from safetensors.torch import save

    return len(save(tensors))


# ---- data ------------------------------------------------------------------------------


def _rows(items: Sequence[QA]) -> tuple[torch.Tensor, torch.Tensor]:
    pairs = [q.tokens() for q in items]
    return tasks._rows([p for p, _ in pairs], [a for _, a in pairs])


@dataclass
class MemorySet:
    """Facts encoded once by the base model, with questions about them (question i is
    about memory i)."""

    memory: list[LayerMemory]
    questions: list[QA]
    # distillation targets (see _distil_targets), filled for rehearsal sets
    tokens: Any = None
    targets: Any = None
    mask: Any = None
    base_logp: Any = None
    base_sel: Any = None


def encode_set(base: MemoryModel, facts: Sequence[tasks.Fact],
               full: bool = False) -> list[LayerMemory]:
    """Base-model slots of these facts (no gradient), in the shape generate() reads (or,
    with `full`, read whole as in training)."""
    import dataclasses

    with torch.no_grad():
        slots = base.encode_memory([f.text for f in facts])
    mems = base.layer_memories(slots) or []
    return [dataclasses.replace(m, full=True) for m in mems] if full else mems


def memory_sets(base: MemoryModel, seed: int, sets: int, n_facts: int,
                styles: Sequence[str] = ("random",), full: bool = False) -> list[MemorySet]:
    from memos.model import families

    out = []
    rng = random.Random(seed)
    for i in range(sets):
        facts = families.STYLES[styles[i % len(styles)]](rng, n_facts)
        out.append(MemorySet(encode_set(base, facts, full),
                             [QA(f.question, f.answer) for f in facts]))
    return out


# ---- evaluation --------------------------------------------------------------------------


@torch.no_grad()
def exact_match(model: MemoryModel, items: Sequence[QA],
                memory: list[LayerMemory] | None = None, batch: int = 32) -> list[bool]:
    """Teacher-forced exact match per question (greedy decoding writes the answer iff every
    answer position's argmax is the answer byte: memos.model.evaluate's argument)."""
    was = model.training
    model.eval()
    out: list[bool] = []
    for start in range(0, len(items), batch):
        tokens, targets = _rows(items[start:start + batch])
        logits = model.forward_full(tokens, memory)[0]
        pred = logits.argmax(-1)
        care = targets != tasks.IGNORE
        out += (((pred == targets) | ~care).all(dim=1) & care.any(dim=1)).tolist()
    model.train(was)
    return out


def accuracy(flags: Sequence[bool]) -> float:
    return sum(flags) / len(flags) if flags else 0.0


def memory_qa(model: MemoryModel, sets: Sequence[MemorySet]) -> float:
    flags: list[bool] = []
    for s in sets:
        flags += exact_match(model, s.questions, s.memory)
    return accuracy(flags)


# ---- training ----------------------------------------------------------------------------


@dataclass
class Trained:
    tensors: dict[str, torch.Tensor]
    seconds: float
    steps: int
    loss: float
    history: list[dict[str, float]] = field(default_factory=list)


def train_adapter(base: MemoryModel, facts: Sequence[QA], cfg: TrainConfig,
                  progress: Callable[[int, int], None] | None = None,
                  rehearsal: Sequence[MemorySet] | None = None) -> Trained:
    """Train a LoRA adapter so `base` + adapter writes each answer closed-book."""
    cfg.check()
    if not facts:
        raise InvalidInputError("no facts to train on")
    start = time.perf_counter()
    torch.manual_seed(cfg.seed)
    rng = random.Random(cfg.seed)
    if rehearsal is None and cfg.rehearsal_every:
        rehearsal = memory_sets(base, REHEARSAL_SEED + cfg.seed, cfg.rehearsal_sets,
                                cfg.rehearsal_facts, styles=cfg.rehearsal_styles,
                                full=cfg.rehearsal_full)
        if cfg.distil:
            for s in rehearsal:
                _distil_targets(base, s, cfg.rehearsal_questions)
    peft_model = make_twin(base, cfg)
    model = _inner(peft_model)
    params = lora_parameters(peft_model)
    frozen = [p for p in base.parameters() if p.requires_grad]
    for p in frozen:  # no gradient reaches a shared base tensor while training
        p.requires_grad_(False)
    for p in params:
        p.requires_grad_(True)
    try:
        return _train_loop(model, peft_model, params, facts, cfg, rng, rehearsal, progress,
                           start)
    finally:
        for p in frozen:
            p.requires_grad_(True)


def _train_loop(model: MemoryModel, peft_model: Any, params: list[torch.nn.Parameter],
                facts: Sequence[QA], cfg: TrainConfig, rng: random.Random,
                rehearsal: Sequence[MemorySet] | None,
                progress: Callable[[int, int], None] | None, start: float) -> Trained:
    model.train()
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=0.0, betas=(0.9, 0.98))
    order: list[int] = []
    ema = math.nan
    warm = max(1, cfg.steps // 20)
    for step in range(cfg.steps):
        lr = cfg.lr * min(1.0, (step + 1) / warm) * (
            0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * step / max(1, cfg.steps))))
        for g in opt.param_groups:
            g["lr"] = lr
        if len(order) < cfg.batch:
            more = list(range(len(facts)))
            rng.shuffle(more)
            order += more
        chosen, order = order[:cfg.batch], order[cfg.batch:]
        tokens, targets = _rows([facts[i] for i in chosen])
        logits = model.forward_full(tokens)[0]
        loss = F.cross_entropy(logits.flatten(0, 1), targets.flatten(),
                               ignore_index=tasks.IGNORE)
        if rehearsal and cfg.rehearsal_every and step % cfg.rehearsal_every == 0:
            extra = (_distil_loss(model, rehearsal, rng) if cfg.distil
                     else _rehearsal_loss(model, rehearsal, cfg, rng))
            loss = loss + cfg.rehearsal_weight * extra
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        value = float(loss.detach())
        ema = value if math.isnan(ema) else 0.95 * ema + 0.05 * value
        if progress is not None:
            progress(step + 1, cfg.steps)
    model.eval()
    tensors = lora_state(peft_model)
    return Trained(tensors=tensors, seconds=time.perf_counter() - start, steps=cfg.steps,
                   loss=ema)


def _distil_targets(base: MemoryModel, s: MemorySet, n: int) -> None:
    """Fix `n` questions of the set and record the base model's next-byte log-probabilities
    and per-layer memory-selection log-probabilities on them (no gradient)."""
    tokens, targets = _rows(s.questions[:n])
    with torch.no_grad():
        logits, scores, _ = base.forward_full(tokens, s.memory)
    s.tokens, s.targets = tokens, targets
    s.mask = tokens != tok.PAD
    s.base_logp = logits.log_softmax(-1)
    s.base_sel = [sc.log_softmax(-1) for sc in scores if sc is not None]


def _kl(target_logp: torch.Tensor, logits: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    logp = logits.log_softmax(-1)
    per = (target_logp.exp() * (target_logp - logp)).sum(-1)  # (B, L)
    return (per * mask).sum() / mask.sum().clamp(min=1)


def _distil_loss(model: MemoryModel, sets: Sequence[MemorySet],
                 rng: random.Random) -> torch.Tensor:
    """Rehearsal by distillation: on base-encoded memory, the adapter's next-byte and
    memory-selection distributions at every question position are pulled to the base
    model's (KL), plus the answer loss. Selection is what generation's top-k read depends
    on, and matching it at every position keeps the query side where the keys expect it."""
    s = sets[rng.randrange(len(sets))]
    logits, scores, _ = model.forward_full(s.tokens, s.memory)
    loss = F.cross_entropy(logits.flatten(0, 1), s.targets.flatten(), ignore_index=tasks.IGNORE)
    loss = loss + _kl(s.base_logp, logits, s.mask)
    layers = [sc for sc in scores if sc is not None]
    for target, sc in zip(s.base_sel, layers, strict=True):
        loss = loss + _kl(target, sc, s.mask) / len(layers)
    return loss


def _rehearsal_loss(model: MemoryModel, sets: Sequence[MemorySet], cfg: TrainConfig,
                    rng: random.Random) -> torch.Tensor:
    """Ordinary memory QA through the adapter, on slots the base model encoded: the answer
    loss, plus (as in the base model's training) a selection loss at the answer positions,
    since generation reads only the top-k memories each token selects and reading every
    memory (the cheap training-time path) would not otherwise guard that choice."""
    s = sets[rng.randrange(len(sets))]
    picked = rng.sample(range(len(s.questions)), min(cfg.rehearsal_questions,
                                                     len(s.questions)))
    tokens, targets = _rows([s.questions[i] for i in picked])
    logits, scores, _ = model.forward_full(tokens, s.memory)
    loss = F.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=tasks.IGNORE)
    rows, pos = (targets != tasks.IGNORE).nonzero(as_tuple=True)
    want = torch.tensor(picked)[rows]
    layers = [sc for sc in scores if sc is not None]
    for sc in layers:
        loss = loss + F.cross_entropy(sc[rows, pos], want) / len(layers)
    return loss


# ---- serving -----------------------------------------------------------------------------


def _adapter_config(cfg: dict[str, Any]) -> Any:
    peft = _peft()

    return peft.LoraConfig(r=int(cfg["rank"]), lora_alpha=float(cfg["alpha"]), lora_dropout=0.0,
                      target_modules=list(cfg["targets"]), bias="none")


class AdapterServer:
    """Adapters served over one base model: a serving twin holding up to `capacity` adapters
    by fingerprint (least recently used dropped), one active per call.

    Not thread-safe by itself: callers hold the activation tier's model lock around
    `model_with` and the forward pass (as they do for the base model)."""

    def __init__(self, base: MemoryModel, capacity: int = 16) -> None:
        self.base = base
        self.base_fp = base.fingerprint
        self.capacity = capacity
        self._peft: Any = None
        self._loaded: OrderedDict[str, None] = OrderedDict()

    def loaded(self) -> list[str]:
        return list(self._loaded)

    def model_with(self, fingerprint: str, base_fp: str, cfg: dict[str, Any],
                   tensors: Callable[[], dict[str, torch.Tensor]]) -> MemoryModel:
        """The twin with adapter `fingerprint` active (loaded on first use from `tensors()`)."""
        peft = _peft()
        if base_fp != self.base_fp:
            raise FingerprintMismatchError(
                f"adapter {fingerprint[:12]} was trained on base model {base_fp[:12]}, not on "
                f"the loaded {self.base_fp[:12]}; consolidate again on this model "
                f"(MemOS.consolidate / memos consolidate)")
        name = "a" + fingerprint[:24]
        if name not in self._loaded:
            weights = tensors()
            if self._peft is None:
                twin = copy.deepcopy(self.base, memo=_share_tensors(self.base))
                requires = {id(p): p.requires_grad for p in self.base.parameters()}
                self._peft = peft.get_peft_model(twin, _adapter_config(cfg), adapter_name=name)
                for p in self.base.parameters():
                    p.requires_grad_(requires[id(p)])
            else:
                self._peft.add_adapter(name, _adapter_config(cfg))
            result = peft.set_peft_model_state_dict(self._peft, weights, adapter_name=name)
            # Missing keys list every other loaded adapter too: only this one's count.
            missing = [k for k in getattr(result, "missing_keys", [])
                       if "lora_" in k and f".{name}." in k + "."]
            unexpected = list(getattr(result, "unexpected_keys", []))
            if missing or unexpected:
                self._peft.delete_adapter(name)
                raise ModelError(f"adapter {fingerprint[:12]} does not fit this model's LoRA "
                                 f"layers ({len(missing)} missing, {len(unexpected)} unexpected "
                                 f"tensors); consolidate again")
            self._loaded[name] = None
            while len(self._loaded) > self.capacity:
                old, _ = self._loaded.popitem(last=False)
                if old != name:
                    self._peft.delete_adapter(old)
        self._loaded.move_to_end(name)
        self._peft.set_adapter(name)
        model = _inner(self._peft)
        model.eval()
        return model


def tensors_to_bytes(tensors: dict[str, torch.Tensor]) -> bytes:
    buf = io.BytesIO()
    torch.save(tensors, buf)
    return buf.getvalue()


__all__ = ["QA", "AdapterServer", "MemorySet", "TrainConfig", "Trained", "accuracy",
           "adapter_bytes", "adapter_fingerprint", "encode_set", "exact_match", "lora_state",
           "make_twin", "memory_qa", "memory_sets", "train_adapter"]
