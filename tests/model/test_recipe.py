"""Recipes (`memos.model.recipe`, `memos model build`): a chain of runs by one command."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest
import torch

from memos.errors import CheckpointError, InvalidInputError
from memos.model import recipe as R
from memos.model.checkpoint import DEFAULT_CHECKPOINT, load_checkpoint, read_config
from memos.model.train import TrainConfig

SMALL = {"task": "memory-qa", "steps": 2, "warmup": 1, "max_facts": 4, "questions": 2,
         "stuffed_every": 0, "save_every": 1, "eval_every": 1}


def _write(path: Path, stages: list[dict]) -> Path:
    path.write_text(json.dumps({"name": "t", "stages": stages}))
    return path


def _chain(tmp_path: Path) -> Path:
    return _write(tmp_path / "r.json", [
        {"name": "base", "train": {"preset": "tiny", **SMALL}},
        {"name": "ft", "train": {**SMALL, "steps": 3, "lr": 1e-3, "seed": 1, "memory_end": "eos"}},
        {"name": "wide", "copy": {"top_k": 3}},
    ])


def test_a_chain_runs_each_stage_from_the_one_before(tmp_path: Path) -> None:
    torch.set_num_threads(1)
    out = tmp_path / "out"
    seen: list[tuple[str, str]] = []
    record = R.run_recipe(_chain(tmp_path), out, progress=False,
                          on_stage=lambda i, s, what: seen.append((s.name, what)))
    assert seen == [("base", "run"), ("ft", "run"), ("wide", "run")]
    base, ft, wide = (json.loads((out / "stages" / d / "meta.json").read_text())
                      for d in ("1-base", "2-ft", "3-wide"))
    assert "init" not in base and base["step"] == 2
    assert ft["init"]["fingerprint"] == base["fingerprint"] and ft["step"] == 3
    assert ft["train"]["lr"] == 1e-3 and ft["train"]["seed"] == 1
    assert wide["copied_from"]["fingerprint"] == ft["fingerprint"]
    # the result is the last stage's checkpoint, with the chain recorded
    model = load_checkpoint(out)
    assert model.fingerprint == wide["fingerprint"] == record["stages"][-1]["fingerprint"]
    assert model.cfg.top_k == 3 and model.cfg.memory_end == "eos"
    meta = json.loads((out / "meta.json").read_text())
    assert meta["recipe"]["stages"] == record["stages"]
    assert [s["fingerprint"] for s in record["stages"]] == [base["fingerprint"], ft["fingerprint"],
                                                             wide["fingerprint"]]
    assert len({s["fingerprint"] for s in record["stages"]}) == 3  # each stage changed something
    # once done, the same command returns the record and trains nothing
    again: list[str] = []
    assert R.run_recipe(_chain(tmp_path), out, progress=False,
                        on_stage=lambda i, s, what: again.append(what)) == record
    assert again == []


def test_an_interrupted_chain_goes_on_where_it_stopped(tmp_path: Path) -> None:
    torch.set_num_threads(1)
    path = _chain(tmp_path)
    out = tmp_path / "out"
    calls = []

    def stop_in_the_fine_tune(model: object) -> dict[str, float]:
        calls.append(1)  # base: steps 1-2; fine-tune: step 1 (saved), then stopped at step 2
        if len(calls) == 4:
            raise KeyboardInterrupt
        return {}

    with pytest.raises(KeyboardInterrupt):
        R.run_recipe(path, out, progress=False, eval_fn=stop_in_the_fine_tune)
    ft_dir = out / "stages" / "2-ft"
    assert (ft_dir / "train_state.pt").is_file()
    assert json.loads((ft_dir / "meta.json").read_text())["step"] == 1
    assert not (out / "stages" / "3-wide").exists() and not (out / "meta.json").exists()
    seen: list[tuple[str, str]] = []
    record = R.run_recipe(path, out, progress=False,
                          on_stage=lambda i, s, what: seen.append((s.name, what)))
    assert seen == [("base", "skip"), ("ft", "resume"), ("wide", "run")]
    assert json.loads((ft_dir / "meta.json").read_text())["step"] == 3
    assert not (ft_dir / "train_state.pt").exists()
    assert load_checkpoint(out).fingerprint == record["stages"][-1]["fingerprint"]


def test_a_stage_folder_of_another_run_is_refused(tmp_path: Path) -> None:
    torch.set_num_threads(1)
    path = _chain(tmp_path)
    out = tmp_path / "out"
    R.run_recipe(path, out, progress=False)
    for name in ("config.json", "model.safetensors", "meta.json"):
        (out / name).unlink()
    changed = _write(tmp_path / "r2.json", [
        {"name": "base", "train": {"preset": "tiny", **SMALL, "lr": 2e-3}},
        {"name": "ft", "train": {**SMALL, "steps": 3}},
    ])
    with pytest.raises(CheckpointError, match="holds another run.*other training settings"):
        R.run_recipe(changed, out, progress=False)
    # the same settings on another preset, and a copy to another top_k, are other runs too
    text = path.read_text()
    path.write_text(text.replace('"preset": "tiny"', '"preset": "small"'))
    with pytest.raises(CheckpointError, match="another model config"):
        R.run_recipe(path, out, progress=False)
    path.write_text(text.replace('"top_k": 3', '"top_k": 2'))
    with pytest.raises(CheckpointError, match="another top_k"):
        R.run_recipe(path, out, progress=False)
    path.write_text(text)
    R.run_recipe(path, out, progress=False)
    with pytest.raises(CheckpointError, match="already holds the result of this recipe at steps_scale 1.0"):
        R.run_recipe(path, out, progress=False, steps_scale=0.5)
    with pytest.raises(CheckpointError, match="not made by a recipe"):
        R.run_recipe(path, tmp_path / "out" / "stages" / "1-base", progress=False)


def test_out_is_the_current_folder_and_a_cut_off_save_starts_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    torch.set_num_threads(1)
    path = _chain(tmp_path)
    out = tmp_path / "here"
    base = out / "stages" / "1-base"
    base.mkdir(parents=True)
    (base / "config.json").write_text("{}")  # the first save stopped before its meta.json
    monkeypatch.chdir(out)
    seen: list[tuple[str, str]] = []
    R.run_recipe(path, ".", progress=False, on_stage=lambda i, s, what: seen.append((s.name, what)))
    assert seen == [("base", "run"), ("ft", "run"), ("wide", "run")]
    assert load_checkpoint(out).cfg.top_k == 3
    assert sorted(p.name for p in out.iterdir()) == ["config.json", "meta.json",
                                                     "model.safetensors", "stages"]


def test_a_second_build_into_the_same_folder_waits_its_turn(tmp_path: Path) -> None:
    fcntl = pytest.importorskip("fcntl")
    out = tmp_path / "out"
    (out / "stages").mkdir(parents=True)
    with open(out / "stages" / ".lock", "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(CheckpointError, match="another `memos model build` is writing"):
            R.run_recipe(_chain(tmp_path), out, progress=False)


def test_a_model_that_cannot_read_memory_builds_and_is_found_done(tmp_path: Path) -> None:
    """Baselines train memory QA from stuffed prompts (train() changes stuffed_every); the
    recipe's check of a finished stage compares the settings the run recorded."""
    torch.set_num_threads(1)
    path = _write(tmp_path / "ssm.json", [
        {"name": "base", "train": {"preset": "ssm", **SMALL, "steps": 1, "max_stuffed_facts": 2}}])
    out = tmp_path / "out"
    R.run_recipe(path, out, progress=False)
    for name in ("config.json", "model.safetensors", "meta.json"):
        (out / name).unlink()
    seen: list[str] = []
    R.run_recipe(path, out, progress=False, on_stage=lambda i, s, what: seen.append(what))
    assert seen == ["skip"]


@pytest.mark.parametrize("stages, message", [
    ([], "non-empty"),
    ([{"name": "a", "copy": {"top_k": 4}}], "first stage must train"),
    ([{"name": "a", "train": {"steps": 2}}], "needs \"preset\""),
    ([{"name": "a", "train": {"preset": "tiny", "stepz": 2}}], "unknown training setting"),
    ([{"name": "a", "train": {"preset": "tiny", "steps": "2"}}], "'steps' must be like"),
    ([{"name": "a", "train": {"preset": "tiny", "steps": 0}}], "positive integer"),
    ([{"name": "a", "train": {"preset": "tiny", "task": "chess"}}], "unknown task"),
    ([{"name": "a", "train": {"preset": "tiny"}}, {"name": "b", "train": {"preset": "small"}}],
     "only the first stage"),
    ([{"name": "a", "train": {"preset": "tiny"}}, {"name": "a", "copy": {"top_k": 2}}], "differ"),
    ([{"name": "a", "train": {"preset": "tiny"}}, {"name": "b", "copy": {"top_k": 0}}], "top_k"),
    ([{"name": "a/b", "train": {"preset": "tiny"}}], "name"),
    ([{"name": "a", "train": {"preset": "tiny"}, "copy": {"top_k": 2}}], "exactly one"),
    ([{"name": "a", "train": {"preset": "tiny", "save_every": 0}}], "save_every"),
    ([{"name": "a", "train": {"preset": "tiny", "stated_share": 1.5}}], "share"),
    ([{"name": "a", "train": {"preset": "tiny", "memory_end": "comma"}}], "memory_end"),
    ([{"name": "a", "train": {"preset": ["small"]}}], "needs \"preset\""),
    ([{"name": "a", "train": {"preset": "tiny"}}, {"name": "b", "copy": {"top_k": 4}}],
     "already reads top_k 4"),
])
def test_bad_recipes_say_what_to_fix(tmp_path: Path, stages: list, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        R.load_recipe(_write(tmp_path / "bad.json", stages))


def test_unreadable_recipe(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="cannot read recipe"):
        R.load_recipe(tmp_path / "missing.json")
    (tmp_path / "x.json").write_text("{not json")
    with pytest.raises(InvalidInputError, match="not valid JSON"):
        R.load_recipe(tmp_path / "x.json")


def test_the_shipped_recipe_is_the_shipped_checkpoint_chain() -> None:
    """The recipe beside the shipped checkpoint ends in its config and its last training run."""
    rec = R.load_recipe(DEFAULT_CHECKPOINT / "recipe.json")
    meta = json.loads((DEFAULT_CHECKPOINT / "meta.json").read_text())
    cfg = read_config(DEFAULT_CHECKPOINT)
    *trains, last = rec.stages
    assert last.kind == "copy" and last.top_k == cfg.top_k == meta["copied_from"]["changed"]["top_k"]
    assert trains[0].preset == "small" and all(s.kind == "train" for s in trains)
    assert len(trains) == 6  # the session-3 base model and five fine-tunes (README.md beside it)
    # the fifth fine-tune, setting for setting; settings added after it keep their defaults,
    # which keep the earlier draws (long_share 0)
    planned = asdict(trains[-1].train)
    assert {k: planned[k] for k in meta["train"]} == meta["train"]
    assert all(planned[k] == v for k, v in asdict(TrainConfig()).items() if k not in meta["train"])
    assert trains[0].train.stated_share == 0.0 and trains[0].train.steps == 3000
    assert [s.train.memory_end for s in trains].count("eos") == 1
    assert cfg.memory_end == "eos"


def test_the_first_stage_draws_the_session_3_training_data() -> None:
    """The shipped recipe's first stage must draw what the session-3 base model was trained on.
    The digest was computed with the session-3 generator (model/tasks.py of commit e6d1605)
    and equals today's: a change to the generator that breaks the recipe's reproduction fails
    here. (Settings added since keep their defaults, which keep those draws.)"""
    import hashlib
    import random

    from memos.model.train import run_settings, sample_batch

    first = R.load_recipe(DEFAULT_CHECKPOINT / "recipe.json").stages[0]
    assert first.train is not None and first.config is not None
    tc = run_settings(first.train, first.config)
    digest = hashlib.sha256()
    rng = random.Random(tc.seed * 1000)  # train()'s data stream on one process
    picked = (0, 1, 2, 3, 1499, 1500, tc.steps - 1)
    for step in range(tc.steps):
        batch = sample_batch(rng, step, tc)
        if step in picked:
            digest.update(repr((batch.tokens.tolist(), batch.targets.tolist(),
                                batch.memory_seqs)).encode())
    assert digest.hexdigest() == "fa188d4ab7756886097eb959b51970e94d8b0fb8b8f7e2bd7b82c21b7d5ab79b"
