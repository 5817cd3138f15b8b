"""`memos model eval/train` through the real entry point, on a tiny checkpoint."""

import json

import pytest
import torch

from memos.cli.app import main
from memos.model.baselines import build_model
from memos.model.checkpoint import save_checkpoint
from memos.model.config import preset
from memos.model.memory_model import MemoryModel


@pytest.fixture
def ckpt(tmp_path):
    torch.manual_seed(0)
    return save_checkpoint(MemoryModel(preset("tiny")), tmp_path / "ck")


def test_eval_memory_qa_json_has_exact_keys(ckpt, capsys) -> None:
    main(["model", "eval", "--checkpoint", str(ckpt), "--task", "memory-qa", "--facts", "4", "--seed", "7",
          "--questions", "4", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert list(out) == ["memory", "stuffed", "none", "facts", "seed"]
    assert out["facts"] == 4 and out["seed"] == 7 and all(0.0 <= out[c] <= 1.0 for c in ("memory", "stuffed", "none"))


def test_eval_robustness_reports_every_style(ckpt, capsys) -> None:
    from memos.model import families

    main(["model", "eval", "--checkpoint", str(ckpt), "--task", "robustness", "--facts", "3", "--questions", "2",
          "--json"])
    rows = json.loads(capsys.readouterr().out)
    assert [r["style"] for r in rows] == list(families.STYLES) and all(r["facts"] == 3 for r in rows)
    main(["model", "eval", "--checkpoint", str(ckpt), "--task", "memory-qa", "--style", "digits", "--facts", "3",
          "--questions", "2", "--json"])
    assert json.loads(capsys.readouterr().out)["style"] == "digits"
    with pytest.raises(SystemExit) as exc:
        main(["model", "eval", "--checkpoint", str(ckpt), "--task", "memory-qa", "--style", "klingon"])
    assert exc.value.code == 2 and "unknown fact style" in capsys.readouterr().err


def test_eval_tables_for_passkey_and_cost(ckpt, capsys) -> None:
    main(["model", "eval", "--checkpoint", str(ckpt), "--task", "passkey", "--lengths", "64,128", "--questions", "2"])
    assert "passkey" in capsys.readouterr().out
    main(["model", "eval", "--checkpoint", str(ckpt), "--task", "cost", "--lengths", "4,8", "--questions", "1",
          "--max-stuffed", "4", "--json"])
    rows = json.loads(capsys.readouterr().out)
    assert [r["facts"] for r in rows] == [4, 8] and rows[1]["stuffed_s"] is None and rows[0]["memory_s"] > 0
    main(["model", "eval", "--checkpoint", str(ckpt), "--task", "generation", "--lengths", "20,200", "--json"])
    gen = json.loads(capsys.readouterr().out)
    assert gen[0]["state_bytes"] == gen[1]["state_bytes"] > 0  # O(1) state in context length


def test_cost_of_a_baseline_measures_stuffing_only(tmp_path, capsys) -> None:
    torch.manual_seed(0)
    tf = save_checkpoint(build_model(preset("tiny", arch="transformer", cross_attention=False,
                                            internal_memory=False)), tmp_path / "tf")
    main(["model", "eval", "--checkpoint", str(tf), "--task", "cost", "--lengths", "2,4", "--questions", "1", "--json"])
    rows = json.loads(capsys.readouterr().out)
    assert all(r["memory_s"] is None and r["stuffed_s"] > 0 for r in rows)
    main(["model", "eval", "--checkpoint", str(tf), "--task", "cost", "--lengths", "2", "--questions", "1"])
    assert "not run" not in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        main(["model", "eval", "--checkpoint", str(tf), "--task", "robustness"])
    assert exc.value.code == 2 and "no cross-attention" in capsys.readouterr().err


def test_bad_checkpoint_and_task_are_one_line_errors(tmp_path, ckpt, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["model", "eval", "--checkpoint", str(tmp_path / "nope"), "--task", "memory-qa"])
    assert exc.value.code == 1 and "not a checkpoint" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["model", "eval", "--checkpoint", str(ckpt), "--task", "poetry"])
    assert exc.value.code == 2


def test_train_command_writes_a_checkpoint(tmp_path) -> None:
    out = tmp_path / "run"
    main(["model", "train", "--task", "passkey", "--preset", "tiny", "--steps", "2", "--seq-len", "64", "--out", str(out)])
    assert (out / "model.safetensors").exists() and json.loads((out / "meta.json").read_text())["task"] == "passkey"
    main(["model", "train", "--task", "memory-qa", "--preset", "tiny", "--layers", "2", "--steps", "1",
          "--out", str(tmp_path / "two")])
    assert json.loads((tmp_path / "two" / "config.json").read_text())["n_layers"] == 2


def test_copy_with_another_reading_width_and_eval_with_top_k(ckpt, tmp_path, capsys, monkeypatch) -> None:
    from memos.model import checkpoint

    main(["model", "copy", "--checkpoint", str(ckpt), "--top-k", "3", "--out", str(tmp_path / "wide"), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert out["top_k"] == 3 and json.loads((tmp_path / "wide" / "config.json").read_text())["top_k"] == 3
    assert checkpoint.load_checkpoint(tmp_path / "wide").fingerprint == out["fingerprint"]
    loaded: list[int] = []
    real = checkpoint.load_checkpoint

    def spy(*args, **kwargs):
        model = real(*args, **kwargs)
        loaded.append(model.cfg.top_k)
        return model

    monkeypatch.setattr(checkpoint, "load_checkpoint", spy)
    args = ["--task", "memory-qa", "--facts", "4", "--questions", "4", "--json"]
    main(["model", "eval", "--checkpoint", str(ckpt), "--top-k", "3", *args])
    main(["model", "eval", "--checkpoint", str(ckpt), *args])
    assert loaded == [3, real(ckpt).cfg.top_k] and loaded[1] != 3  # the option reaches the model read
    capsys.readouterr()
    with pytest.raises(SystemExit) as exc:  # a clear error, no traceback, nothing overwritten
        main(["model", "copy", "--checkpoint", str(ckpt), "--top-k", "5", "--out", str(tmp_path / "wide")])
    assert exc.value.code != 0 and "already holds a checkpoint" in capsys.readouterr().err
    assert json.loads((tmp_path / "wide" / "config.json").read_text())["top_k"] == 3


def test_build_runs_a_recipe_and_reports_each_stage(tmp_path, capsys) -> None:
    recipe = tmp_path / "r.json"
    small = {"steps": 2, "warmup": 1, "max_facts": 4, "questions": 2, "stuffed_every": 0}
    recipe.write_text(json.dumps({"name": "t", "stages": [
        {"name": "base", "train": {"preset": "tiny", **small}},
        {"name": "wide", "copy": {"top_k": 3}}]}))
    out = tmp_path / "out"
    main(["model", "build", "--recipe", str(recipe), "--out", str(out), "--no-evaluate", "--json"])
    got = json.loads(capsys.readouterr().out)
    assert [(s["name"], s["ran"]) for s in got["stages"]] == [("base", "run"), ("wide", "run")]
    assert json.loads((out / "meta.json").read_text())["fingerprint"] == got["stages"][-1]["fingerprint"]
    main(["model", "build", "--recipe", str(recipe), "--out", str(out), "--no-evaluate"])
    done = capsys.readouterr().out
    assert "recipe t" in done and "nothing to do" in " ".join(done.split())
    with pytest.raises(SystemExit) as exc:
        main(["model", "build", "--recipe", str(recipe), "--out", str(out), "--steps-scale", "0.5"])
    assert exc.value.code != 0
    err = capsys.readouterr().err
    assert "already holds the result of this recipe" in err and "Traceback" not in err
    with pytest.raises(SystemExit):
        main(["model", "build", "--recipe", str(recipe), "--out", str(tmp_path / "o3"), "--steps-scale", "0"])
    assert "--steps-scale must be above 0" in capsys.readouterr().err
    recipe.write_text('{"stages": [{"name": "a", "copy": {"top_k": 2}}]}')
    with pytest.raises(SystemExit):
        main(["model", "build", "--recipe", str(recipe), "--out", str(tmp_path / "o2")])
    assert "first stage must train" in capsys.readouterr().err


def test_build_a_baseline_recipe_with_evaluation(tmp_path, capsys) -> None:
    recipe = tmp_path / "ssm.json"
    recipe.write_text(json.dumps({"stages": [{"name": "base", "train": {
        "preset": "ssm", "steps": 1, "warmup": 1, "max_facts": 2, "questions": 2,
        "max_stuffed_facts": 2}}]}))
    main(["model", "build", "--recipe", str(recipe), "--out", str(tmp_path / "o"), "--json"])
    got = json.loads(capsys.readouterr().out)
    assert got["stages"][0]["ran"] == "run"
    history = json.loads((tmp_path / "o" / "meta.json").read_text())["history"]
    assert history and all(k.startswith("stuffed@") for k in history[0] if "@" in k)


@pytest.mark.parametrize("args", [
    ["model", "eval", "--threads", "0"],
    ["model", "eval", "--task", "mqar", "--n-pairs", "0", "--lengths", "16"],
    ["model", "eval", "--task", "mqar", "--n-pairs", "-1", "--lengths", "16"],
    ["model", "eval", "--task", "mqar", "--n-pairs", "1000", "--lengths", "16"],
    ["model", "eval", "--task", "mqar", "--n-pairs", "200", "--lengths", "4096"],
    ["model", "train", "--threads", "0", "--preset", "tiny", "--steps", "1"],
    ["model", "train", "--task", "passkey", "--batch", "0", "--preset", "tiny", "--steps", "1"],
    ["model", "train", "--task", "mqar", "--n-pairs", "0", "--preset", "tiny", "--steps", "1"],
    ["model", "train", "--task", "mqar", "--n-pairs", "40", "--seq-len", "32", "--preset", "tiny",
     "--steps", "1"],
], ids=lambda a: " ".join(a[1:4]))
def test_bad_numbers_are_usage_errors_not_crashes(ckpt, tmp_path, capsys, args) -> None:
    """A thread count, batch or pair count the model cannot use is bad input (exit 2, one
    line), not an internal error, nor a run on NaN (`--n-pairs 0` printed `NaN` under --json)."""
    where = ["--checkpoint", str(ckpt)] if args[1] == "eval" else ["--out", str(tmp_path / "run")]
    with pytest.raises(SystemExit) as exc:
        main([*args, "--questions", "1", *where] if args[1] == "eval" else [*args, *where])
    err = capsys.readouterr().err
    assert exc.value.code == 2, err
    assert "internal error" not in err and "Traceback" not in err
    assert not (tmp_path / "run").exists()


def test_model_train_draws_its_progress_bar_on_stderr(tmp_path, capsys) -> None:
    # stdout holds the result line only: `memos model train ... > run.log` kept the bar in it.
    main(["model", "train", "--preset", "tiny", "--steps", "1", "--out", str(tmp_path / "run")])
    captured = capsys.readouterr()
    assert captured.out.startswith("saved ") and "tok/s" not in captured.out, captured.out
    assert "tok/s" in captured.err and "1/1" in captured.err


def test_model_train_json_is_one_object_on_stdout(tmp_path, capsys) -> None:
    main(["model", "train", "--preset", "tiny", "--steps", "1", "--out", str(tmp_path / "run"),
          "--json"])
    got = json.loads(capsys.readouterr().out)
    assert got["out"] == str(tmp_path / "run") and got["steps"] == 1
    assert len(got["fingerprint"]) >= 12 and got["history"][0]["step"] == 1


def test_eval_shows_progress_on_stderr_and_keeps_stdout_json(ckpt, capsys) -> None:
    """Review: `memos model eval` printed nothing for about 50 s. A progress bar runs on stderr
    (memory QA: batches x conditions; robustness: kinds of string); stdout stays one JSON."""
    main(["model", "eval", "--checkpoint", str(ckpt), "--task", "memory-qa", "--facts", "4",
          "--questions", "20", "--json"])
    captured = capsys.readouterr()
    assert json.loads(captured.out)["facts"] == 4
    assert "memory QA, 4 facts" in captured.err and "6/6" in captured.err  # 2 batches x 3


def test_memory_qa_reports_each_step() -> None:
    from memos.model import evaluate

    model = MemoryModel(preset("tiny"))
    seen: list[tuple[int, int]] = []
    evaluate.memory_qa(model, 3, questions=5, sets=2, batch_size=2,
                       progress=lambda done, total: seen.append((done, total)))
    assert seen == [(i, 18) for i in range(1, 19)]  # 2 sets x 3 batches x 3 conditions
