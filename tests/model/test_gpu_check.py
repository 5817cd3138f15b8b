"""`python -m memos.model.gpu_check` on a CPU: every section runs on tiny shapes (the
references; parity through the Triton interpreter), so the command a GPU session runs
cannot rot between the sessions that have a GPU."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from memos.model import gpu_check


def test_every_section_runs_on_a_cpu_and_is_written(tmp_path: Path, monkeypatch, capsys) -> None:
    pytest.importorskip("triton")
    monkeypatch.setenv("TRITON_INTERPRET", "1")
    assert gpu_check.main(["--device", "cpu", "--out", str(tmp_path), "--budget-s", "900"]) == 0
    result = json.loads((tmp_path / "gpu_check.json").read_text())
    assert result["quick"] is True and result["env"]["copy_gbps"] > 0
    assert {r["op"] for r in result["parity"]} == {"ssd_scan", "ssd_step", "memory_attention"}
    assert all(r["ok"] and r["dtype"] == "fp32" for r in result["parity"])
    assert {r["op"] for r in result["kernels"]} == {"ssd_scan", "ssd_step", "memory_attention",
                                                    "memory_attention_token"}
    assert all(r["reference_ms"] > 0 for r in result["kernels"])
    train = result["model"]["train"]
    assert [(r["batch"], r["backend"]) for r in train] == [("memory-qa", "reference"),
                                                            ("2 x 256 tokens", "reference")]
    assert all(r["step_ms"] > 0 for r in train)
    assert result["model"]["generation"][0]["tokens_per_s"] > 0
    markdown = (tmp_path / "gpu_check.md").read_text()
    assert "## parity" in markdown and "| tiny | memory-qa | reference |" in markdown
    assert markdown in capsys.readouterr().out


def test_a_failing_section_is_recorded_and_the_next_ones_still_run(tmp_path: Path,
                                                                     monkeypatch) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("a kernel failed to compile")

    monkeypatch.delenv("TRITON_INTERPRET", raising=False)
    monkeypatch.setattr(gpu_check, "_kernels", broken)
    monkeypatch.setattr(gpu_check, "_model", lambda *a: {"train": [], "generation": []})
    assert gpu_check.main(["--device", "cpu", "--out", str(tmp_path)]) == 1
    result = json.loads((tmp_path / "gpu_check.json").read_text())
    assert "a kernel failed to compile" in result["kernels"]["error"]
    assert result["parity"].startswith("skipped: no GPU")
    assert result["model"] == {"train": [], "generation": []}
    assert "kernels failed: RuntimeError" in (tmp_path / "gpu_check.md").read_text()


@pytest.mark.parametrize("argv", [["--device", "tpu"], ["--budget-s", "0"]])
def test_bad_options_are_one_error_line(argv: list[str], tmp_path: Path, capsys) -> None:
    assert gpu_check.main([*argv, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err
    assert not (tmp_path / "gpu_check.json").exists()
