"""`memos model eval/train` through the real entry point, on a tiny checkpoint."""

import json

import pytest
import torch

from memos.cli.app import main
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
