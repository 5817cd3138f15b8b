"""Recipes: a checkpoint made by a chain of runs, rebuilt by one command.

A recipe is a JSON file listing stages. The first stage trains a fresh model from a preset;
each later stage starts from the one before it, either by training it further (a fine-tune)
or by copying it with another inference setting (`copy_checkpoint`). `run_recipe` runs the
stages in order, each into its own folder under ``<out>/stages/``, and writes the last
stage's checkpoint to ``<out>`` with a ``recipe`` record in meta.json: the recipe file's
hash and, for each stage, its fingerprint, whether the last invocation ran, resumed or
skipped it, and that invocation's seconds on it.

Running it again goes on where it stopped: a finished stage (its folder holds the planned
run, no train state left) is skipped, an interrupted training stage resumes from its last
save (every 100 steps), so a chain of hours survives a restart. A stage folder that holds
another run (other settings, another starting checkpoint, another model config) is refused
rather than overwritten, and so is a second build into the same folder while one runs.

The file format (`model/checkpoints/memqa-small/recipe.json` is the shipped checkpoint's)::

    {"name": "...", "about": "...",
     "stages": [
       {"name": "base", "train": {"preset": "small", "steps": 3000, ...TrainConfig fields}},
       {"name": "ft1", "train": {"steps": 700, "lr": 0.0005}},
       {"name": "top16", "copy": {"top_k": 16}}]}
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from memos.errors import CheckpointError, InvalidInputError
from memos.model.checkpoint import (
    CONFIG_FILE,
    META_FILE,
    TRAIN_STATE_FILE,
    WEIGHTS_FILE,
    copy_checkpoint,
    load_checkpoint,
    read_config,
    save_checkpoint,
)
from memos.model.config import MEMORY_ENDS, PRESETS, ModelConfig, preset
from memos.model.train import TASKS, TrainConfig, run_settings, train

STAGES_DIR = "stages"
RESULT_TMP = ".result.tmp"  # the result is written here first, inside OUT, then moved up
LOCK_FILE = ".lock"
_TRAIN_FIELDS = {f.name for f in dataclasses.fields(TrainConfig)}
_AT_LEAST_ONE = ("steps", "save_every", "eval_every", "max_facts", "groups", "questions",
                 "max_stuffed_facts", "batch", "seq_len", "n_pairs")
_NOT_NEGATIVE = ("warmup", "weight_decay", "clip", "aux_weight", "stuffed_every", "prompt_loss",
                 "min_lr_ratio")
_SHARES = ("stated_share", "uniform_share", "long_share")


@dataclass(frozen=True)
class Stage:
    """One run of a recipe: a training run (`train` set) or a copy (`top_k` set)."""

    name: str
    train: TrainConfig | None = None
    preset: str | None = None  # the first stage only: the fresh model's preset
    top_k: int | None = None
    config: ModelConfig | None = None  # the model's config after this stage (set by load_recipe)

    @property
    def kind(self) -> str:
        return "train" if self.train is not None else "copy"


@dataclass(frozen=True)
class Recipe:
    name: str
    stages: tuple[Stage, ...]
    sha256: str  # of the file's bytes, recorded in the result's meta.json
    about: str = ""


def _fail(path: Path | str, what: str) -> InvalidInputError:
    return InvalidInputError(f"recipe {path}: {what}")


def _stage(path: Path | str, i: int, raw: Any, first: bool) -> Stage:
    if not isinstance(raw, dict):
        raise _fail(path, f"stage {i + 1} must be an object with \"name\" and \"train\" or \"copy\"")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip() or not all(c.isalnum() or c in "-_." for c in name):
        raise _fail(path, f"stage {i + 1} needs a \"name\" of letters, digits, '-', '_' or '.'")
    unknown = set(raw) - {"name", "train", "copy", "about"}
    if unknown or ("train" in raw) == ("copy" in raw):
        raise _fail(path, f"stage {name!r} needs exactly one of \"train\" or \"copy\" (and may have "
                          f"\"about\"); unknown key(s): {sorted(unknown) or 'none'}")
    if "copy" in raw:
        if first:
            raise _fail(path, f"stage {name!r}: the first stage must train (a copy needs a stage before it)")
        copy = raw["copy"]
        if not isinstance(copy, dict) or set(copy) != {"top_k"} or not isinstance(copy["top_k"], int) \
                or isinstance(copy["top_k"], bool) or copy["top_k"] < 1:
            raise _fail(path, f"stage {name!r}: \"copy\" takes one key, \"top_k\", a positive integer")
        return Stage(name=name, top_k=copy["top_k"])
    settings = raw["train"]
    if not isinstance(settings, dict):
        raise _fail(path, f"stage {name!r}: \"train\" must be an object of training settings")
    settings = dict(settings)
    chosen = settings.pop("preset", None)
    if first and (not isinstance(chosen, str) or chosen not in PRESETS):
        raise _fail(path, f"stage {name!r}: the first stage trains a fresh model and needs \"preset\", "
                          f"one of {', '.join(PRESETS)}")
    if not first and chosen is not None:
        raise _fail(path, f"stage {name!r}: only the first stage takes a \"preset\"; later stages "
                          "start from the stage before them")
    bad = set(settings) - _TRAIN_FIELDS
    if bad:
        raise _fail(path, f"stage {name!r}: unknown training setting(s) {sorted(bad)}; known: "
                          f"{', '.join(sorted(_TRAIN_FIELDS))}")
    defaults = TrainConfig()
    for key, value in settings.items():
        default = getattr(defaults, key)
        if isinstance(default, float):
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        elif isinstance(default, int):
            ok = isinstance(value, int) and not isinstance(value, bool)
        else:  # strings, and memory_end (None: keep the model's)
            ok = isinstance(value, str) or (default is None and value is None)
        if not ok:
            raise _fail(path, f"stage {name!r}: training setting {key!r} must be like its default "
                              f"{default!r}, got {value!r}")
    tc = TrainConfig(**settings)
    if tc.task not in TASKS:
        raise _fail(path, f"stage {name!r}: unknown task {tc.task!r}; use one of {', '.join(TASKS)}")
    for key in _AT_LEAST_ONE:
        if getattr(tc, key) < 1:
            raise _fail(path, f"stage {name!r}: \"{key}\" must be a positive integer")
    for key in _NOT_NEGATIVE:
        if getattr(tc, key) < 0:
            raise _fail(path, f"stage {name!r}: \"{key}\" must not be negative")
    for key in _SHARES:
        if not 0.0 <= getattr(tc, key) <= 1.0:
            raise _fail(path, f"stage {name!r}: \"{key}\" is a share, from 0 to 1")
    if not tc.lr > 0:
        raise _fail(path, f"stage {name!r}: \"lr\" must be positive")
    if tc.memory_end is not None and tc.memory_end not in MEMORY_ENDS:
        raise _fail(path, f"stage {name!r}: \"memory_end\" must be one of {', '.join(MEMORY_ENDS)}")
    return Stage(name=name, train=tc, preset=chosen)


def _follow(path: Path | str, stages: list[Stage]) -> tuple[Stage, ...]:
    """Each stage with the model config it leaves (a copy to the top_k the model already
    reads is refused here, before any stage has run)."""
    out: list[Stage] = []
    cfg: ModelConfig | None = None
    for stage in stages:
        if stage.train is not None:
            cfg = preset(str(stage.preset)) if cfg is None else cfg
            if stage.train.memory_end is not None:
                cfg = dataclasses.replace(cfg, extra={**cfg.extra, "memory_end": stage.train.memory_end})
        else:
            assert cfg is not None and stage.top_k is not None
            if stage.top_k == cfg.top_k:
                raise _fail(path, f"stage {stage.name!r}: the model already reads top_k {cfg.top_k}; "
                                  "a copy needs another \"top_k\"")
            cfg = dataclasses.replace(cfg, top_k=stage.top_k)
        out.append(dataclasses.replace(stage, config=cfg))
    return tuple(out)


def load_recipe(path: str | Path) -> Recipe:
    """Read and check a recipe file; every problem is an `InvalidInputError` naming the stage."""
    path = Path(path)
    try:
        raw_bytes = path.read_bytes()
    except OSError as exc:
        raise InvalidInputError(f"cannot read recipe {path} ({exc.strerror or exc}); give a recipe "
                                "file, e.g. model/checkpoints/memqa-small/recipe.json") from exc
    try:
        data = json.loads(raw_bytes)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _fail(path, f"not valid JSON ({exc})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("stages"), list) or not data["stages"]:
        raise _fail(path, "needs an object with a non-empty \"stages\" list")
    stages = [_stage(path, i, s, i == 0) for i, s in enumerate(data["stages"])]
    names = [s.name for s in stages]
    if len(set(names)) != len(names):
        raise _fail(path, "stage names must differ")
    stages = _follow(path, stages)
    return Recipe(name=str(data.get("name") or path.stem), stages=tuple(stages),
                  sha256=hashlib.sha256(raw_bytes).hexdigest(), about=str(data.get("about") or ""))


def scaled(tc: TrainConfig, scale: float) -> TrainConfig:
    """`tc` with its steps multiplied by `scale` (at least 1)."""
    if scale == 1.0:
        return tc
    return dataclasses.replace(tc, steps=max(1, round(tc.steps * scale)))


def _meta(folder: Path) -> dict[str, Any]:
    try:
        data = json.loads((folder / META_FILE).read_text())
    except (OSError, json.JSONDecodeError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def _another_run(folder: Path, why: str) -> CheckpointError:
    return CheckpointError(f"{folder} holds another run than this stage's ({why}); remove the "
                           "folder or give another --out")


def _train_done(folder: Path, tc: TrainConfig, init_fp: str | None, cfg: ModelConfig) -> bool:
    """Whether `folder` holds this stage's finished run; refuses one that holds another run.
    A folder without a readable meta.json (a first save cut off) is a run not yet started."""
    meta = _meta(folder)
    if not (folder / CONFIG_FILE).is_file() or not meta:
        return False
    if meta.get("train") != asdict(tc):
        raise _another_run(folder, "other training settings")
    if (meta.get("init") or {}).get("fingerprint") != init_fp:
        raise _another_run(folder, "another starting checkpoint")
    try:
        same_model = read_config(folder).to_dict() == cfg.to_dict()
    except CheckpointError:
        same_model = False
    if not same_model:
        raise _another_run(folder, "another model config")
    return not (folder / TRAIN_STATE_FILE).is_file() and meta.get("step") == tc.steps


def _copy_done(folder: Path, src_fp: str | None, cfg: ModelConfig) -> bool:
    meta = _meta(folder)
    if not meta:  # nothing there, or a copy cut off before its meta.json: made again
        if folder.exists():
            shutil.rmtree(folder)
        return False
    try:
        same = (meta.get("copied_from") or {}).get("fingerprint") == src_fp \
            and read_config(folder).to_dict() == cfg.to_dict()
    except CheckpointError:
        same = False
    if not same:
        raise CheckpointError(f"{folder} holds a copy of another checkpoint or with another top_k; "
                              "remove the folder or give another --out")
    return True


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """One build at a time per OUT (two would train the same stage folder at once)."""
    folder.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # no advisory locks on this platform
        yield
        return
    with open(folder / LOCK_FILE, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            raise CheckpointError(f"another `memos model build` is writing to {folder.parent}; wait "
                                  "for it to finish or give another --out") from exc
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def run_recipe(recipe: Recipe | str | Path, out: str | Path, *, steps_scale: float = 1.0,
               eval_fn: Callable[[Any], dict[str, float]] | None = None,
               progress: bool = True,
               on_stage: Callable[[int, Stage, str], None] | None = None) -> dict[str, Any]:
    """Run (or go on with) every stage of `recipe` and write the result to `out`.

    `steps_scale` multiplies every stage's steps (at least 1 each): a quick run that checks the
    chain, recorded in meta.json, not the recipe's checkpoint. `eval_fn(model)` is passed to
    each training run (evaluations in its history). `on_stage(i, stage, what)` is told
    "skip", "run" or "resume" before each stage. Returns the `recipe` record of meta.json."""
    rec = recipe if isinstance(recipe, Recipe) else load_recipe(recipe)
    if not (0.0 < steps_scale <= 1.0):
        raise InvalidInputError("steps_scale must be in (0, 1]: 1 runs the recipe, less a quick check of the chain")
    out = Path(out)
    if (out / META_FILE).is_file():  # meta.json is written last: the result is there
        done = _meta(out).get("recipe") or {}
        if done.get("sha256") == rec.sha256 and done.get("steps_scale") == steps_scale:
            return done
        what = (f"the result of this recipe at steps_scale {done.get('steps_scale')}"
                if done.get("sha256") == rec.sha256 else
                "another recipe's result" if done else "a checkpoint not made by a recipe")
        raise CheckpointError(f"{out} already holds {what}; give another --out")
    stages_dir = out / STAGES_DIR
    with _locked(stages_dir):
        return _run(rec, out, stages_dir, steps_scale, eval_fn, progress, on_stage)


def _run(rec: Recipe, out: Path, stages_dir: Path, steps_scale: float,
         eval_fn: Callable[[Any], dict[str, float]] | None, progress: bool,
         on_stage: Callable[[int, Stage, str], None] | None) -> dict[str, Any]:
    done_stages: list[dict[str, Any]] = []
    prev: Path | None = None
    prev_fp: str | None = None
    for i, stage in enumerate(rec.stages):
        folder = stages_dir / f"{i + 1}-{stage.name}"
        start = time.perf_counter()
        assert stage.config is not None  # load_recipe sets it
        if stage.train is not None:
            start_cfg: ModelConfig = read_config(prev) if prev is not None else preset(str(stage.preset))
            tc = run_settings(scaled(stage.train, steps_scale), start_cfg)
            if _train_done(folder, tc, prev_fp, stage.config):
                what = "skip"
            else:
                what = "resume" if (folder / TRAIN_STATE_FILE).is_file() else "run"
            if on_stage is not None:
                on_stage(i, stage, what)
            if what != "skip":
                train(start_cfg, tc, folder, resume=True, progress=progress, eval_fn=eval_fn,
                      init=prev)
            size: dict[str, Any] = {"steps": tc.steps}
        else:
            assert prev is not None and stage.top_k is not None  # load_recipe guarantees both
            what = "skip" if _copy_done(folder, prev_fp, stage.config) else "run"
            if on_stage is not None:
                on_stage(i, stage, what)
            if what != "skip":
                copy_checkpoint(prev, folder, top_k=stage.top_k)
            size = {"top_k": stage.top_k}
        fingerprint = _meta(folder).get("fingerprint")
        done_stages.append({"name": stage.name, "kind": stage.kind, "fingerprint": fingerprint,
                            **size, "ran": what,
                            "seconds_this_run": round(time.perf_counter() - start, 1)})
        prev, prev_fp = folder, fingerprint
    assert prev is not None
    record = {"name": rec.name, "sha256": rec.sha256, "steps_scale": steps_scale,
              "stages": done_stages}
    model = load_checkpoint(prev)  # checks the files against their fingerprint
    meta = {k: v for k, v in _meta(prev).items() if k not in ("fingerprint", "parameters")}
    tmp = out / RESULT_TMP  # inside OUT: same file system, nothing left beside it
    if tmp.exists():
        shutil.rmtree(tmp)
    save_checkpoint(model, tmp, {**meta, "recipe": record})
    for name in (CONFIG_FILE, WEIGHTS_FILE, META_FILE):  # meta.json last: it marks done
        (tmp / name).replace(out / name)
    tmp.rmdir()
    return record


__all__ = ["Recipe", "Stage", "load_recipe", "run_recipe", "scaled"]
