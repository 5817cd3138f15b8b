"""Recipes: a checkpoint made by a chain of runs, rebuilt by one command.

A recipe is a JSON file listing stages. The first stage trains a fresh model from a preset;
each later stage starts from the one before it, either by training it further (a fine-tune)
or by copying it with another inference setting (`copy_checkpoint`). `run_recipe` runs the
stages in order, each into its own folder under ``<out>/stages/``, and writes the last
stage's checkpoint to ``<out>`` with a ``recipe`` record in meta.json: the recipe file's
hash and each stage's fingerprint and time.

Running it again goes on where it stopped: a finished stage (its folder holds the planned
run, no train state left) is skipped, an interrupted training stage resumes from its last
save (every 100 steps), so a chain of hours survives a restart. A stage folder that holds
another run is refused rather than overwritten.

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
from collections.abc import Callable
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
from memos.model.config import PRESETS, ModelConfig, preset
from memos.model.train import TASKS, TrainConfig, train

STAGES_DIR = "stages"
_TRAIN_FIELDS = {f.name for f in dataclasses.fields(TrainConfig)}


@dataclass(frozen=True)
class Stage:
    """One run of a recipe: a training run (`train` set) or a copy (`top_k` set)."""

    name: str
    train: TrainConfig | None = None
    preset: str | None = None  # the first stage only: the fresh model's preset
    top_k: int | None = None

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
    if first and chosen not in PRESETS:
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
    if not isinstance(tc.steps, int) or isinstance(tc.steps, bool) or tc.steps < 1:
        raise _fail(path, f"stage {name!r}: \"steps\" must be a positive integer")
    return Stage(name=name, train=tc, preset=chosen)


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
    stages = tuple(_stage(path, i, s, i == 0) for i, s in enumerate(data["stages"]))
    names = [s.name for s in stages]
    if len(set(names)) != len(names):
        raise _fail(path, "stage names must differ")
    return Recipe(name=str(data.get("name") or path.stem), stages=stages,
                  sha256=hashlib.sha256(raw_bytes).hexdigest(), about=str(data.get("about") or ""))


def _scaled(tc: TrainConfig, scale: float) -> TrainConfig:
    if scale == 1.0:
        return tc
    return dataclasses.replace(tc, steps=max(1, round(tc.steps * scale)))


def _meta(folder: Path) -> dict[str, Any]:
    try:
        return json.loads((folder / META_FILE).read_text())
    except (OSError, json.JSONDecodeError):
        return {}


def _train_done(folder: Path, tc: TrainConfig, init_fp: str | None) -> bool:
    """Whether `folder` holds this stage's finished run; refuses one that holds another run."""
    if not (folder / CONFIG_FILE).is_file():
        return False
    meta = _meta(folder)
    same = meta.get("train") == asdict(tc) and (meta.get("init") or {}).get("fingerprint") == init_fp
    if not same:
        raise CheckpointError(f"{folder} holds another run than this stage's (other settings or "
                              "another starting checkpoint); remove the folder or give another --out")
    return not (folder / TRAIN_STATE_FILE).is_file() and meta.get("step") == tc.steps


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
    done_stages: list[dict[str, Any]] = []
    prev: Path | None = None
    prev_fp: str | None = None
    for i, stage in enumerate(rec.stages):
        folder = stages_dir / f"{i + 1}-{stage.name}"
        start = time.perf_counter()
        if stage.train is not None:
            tc = _scaled(stage.train, steps_scale)
            if _train_done(folder, tc, prev_fp):
                what = "skip"
            else:
                what = "resume" if (folder / TRAIN_STATE_FILE).is_file() else "run"
            if on_stage is not None:
                on_stage(i, stage, what)
            if what != "skip":
                cfg: ModelConfig = read_config(prev) if prev is not None else preset(str(stage.preset))
                train(cfg, tc, folder, resume=True, progress=progress, eval_fn=eval_fn, init=prev)
        else:
            assert prev is not None and stage.top_k is not None  # load_recipe guarantees both
            copied = (folder / CONFIG_FILE).is_file()
            if copied and (_meta(folder).get("copied_from") or {}).get("fingerprint") != prev_fp:
                raise CheckpointError(f"{folder} holds a copy of another checkpoint; remove the folder "
                                      "or give another --out")
            what = "skip" if copied else "run"
            if on_stage is not None:
                on_stage(i, stage, what)
            if not copied:
                copy_checkpoint(prev, folder, top_k=stage.top_k)
        fingerprint = _meta(folder).get("fingerprint")
        done_stages.append({"name": stage.name, "kind": stage.kind, "fingerprint": fingerprint,
                            **({"steps": _scaled(stage.train, steps_scale).steps} if stage.train else
                               {"top_k": stage.top_k}),
                            "seconds": round(time.perf_counter() - start, 1), "ran": what})
        prev, prev_fp = folder, fingerprint
    assert prev is not None
    record = {"name": rec.name, "sha256": rec.sha256, "steps_scale": steps_scale,
              "stages": done_stages}
    model = load_checkpoint(prev)  # checks the files against their fingerprint
    meta = {k: v for k, v in _meta(prev).items() if k not in ("fingerprint", "parameters")}
    tmp = out.with_name(out.name + ".tmp-result")
    if tmp.exists():
        shutil.rmtree(tmp)
    save_checkpoint(model, tmp, {**meta, "recipe": record})
    for name in (CONFIG_FILE, WEIGHTS_FILE, META_FILE):  # meta.json last: it marks done
        (tmp / name).replace(out / name)
    tmp.rmdir()
    return record


__all__ = ["Recipe", "Stage", "load_recipe", "run_recipe"]
