"""`bench_kernels` and `memos bench kernels` on CPU: reference timings, no Triton columns."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from memos.errors import InvalidInputError
from memos.kernels.bench import bench_kernels, peak_bandwidth_gbps


def test_bench_on_cpu_times_the_reference_only():
    report = bench_kernels([40], [1], ["ssd_scan", "ssd_step", "memory_attention"], device="cpu", repeats=1)
    assert report.peak_gbps is None and report.dtype == "float32"
    got = {(r.op, r.passes) for r in report.rows}
    assert got == {("ssd_scan", "fwd"), ("ssd_scan", "fwd+bwd"), ("ssd_step", "fwd"),
                   ("memory_attention", "fwd"), ("memory_attention", "fwd+bwd")}
    assert "block=64" in report.rows[-1].shape
    for row in report.rows:
        assert row.reference_ms is not None and row.reference_ms > 0
        assert row.triton_ms is None and row.speedup is None and row.sdpa_ms is None
        assert row.bytes_moved > 0 and row.reference_gbps is not None and row.reference_gbps > 0
    step = next(r for r in report.rows if r.op == "ssd_step")
    assert step.length == 1


def test_per_token_attention_too_large_for_cpu_is_skipped_with_a_note():
    report = bench_kernels([40, 8192], [1], ["memory_attention_token"], backward=False, device="cpu", repeats=1)
    small, large = report.rows
    assert small.reference_ms is not None and small.note == ""
    assert large.reference_ms is None and "reference skipped" in large.note


def test_threads_apply_during_the_run_and_are_restored():
    import torch

    before = torch.get_num_threads()
    report = bench_kernels([16], [1], ["ssd_step"], device="cpu", repeats=1, threads=1)
    assert report.device == "cpu (1 thread)"
    assert torch.get_num_threads() == before


def test_progress_callback_counts_every_case():
    seen = []
    bench_kernels([16, 32], [1, 2], ["ssd_scan"], backward=False, device="cpu", repeats=1,
                  on_step=lambda done, total, label: seen.append((done, total)))
    assert seen[-1] == (4, 4) and [d for d, _ in seen] == [0, 1, 2, 3, 4]


@pytest.mark.parametrize(
    "kwargs",
    [{"lengths": [0]}, {"batches": []}, {"ops": ["fft"]}, {"repeats": 0}, {"threads": 0}],
)
def test_bad_arguments_are_invalid_input(kwargs):
    args = {"lengths": [16], "batches": [1], "ops": ["ssd_scan"], "repeats": 1, "threads": None} | kwargs
    with pytest.raises(InvalidInputError):
        bench_kernels(args["lengths"], args["batches"], args["ops"], device="cpu", repeats=args["repeats"],
                      threads=args["threads"])


@pytest.mark.parametrize("device", ["tpu", "meta"])
def test_unusable_device_is_invalid_input(device):
    with pytest.raises(InvalidInputError, match="device"):
        bench_kernels([16], [1], ["ssd_step"], device=device, repeats=1)


def test_peak_bandwidth_by_device_name():
    assert peak_bandwidth_gbps("NVIDIA H100 80GB HBM3") == 3350.0
    assert peak_bandwidth_gbps("NVIDIA H100 PCIe") == 2000.0
    assert peak_bandwidth_gbps("cpu (2 threads)") is None


def test_cli_json_and_table():
    from memos.cli.app import _register, app

    _register()
    runner = CliRunner()
    res = runner.invoke(app, ["bench", "kernels", "--lengths", "24", "--ops", "ssd_scan,memory_attention",
                              "--forward-only", "--repeats", "1", "--device", "cpu", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert [r["op"] for r in data["rows"]] == ["ssd_scan", "memory_attention"]
    assert all(r["triton_ms"] is None and r["reference_ms"] > 0 for r in data["rows"])

    res = runner.invoke(app, ["bench", "kernels", "--lengths", "24", "--ops", "ssd_step", "--repeats", "1",
                              "--device", "cpu"])
    assert res.exit_code == 0, res.output
    assert "ssd_step" in res.stdout and "reference ms" in res.stdout and "triton ms" not in res.stdout


def test_cli_bad_lengths_is_a_one_line_error(capsys):
    from memos.cli.app import main

    with pytest.raises(SystemExit) as exc:
        main(["bench", "kernels", "--lengths", "ten", "--device", "cpu"])
    assert exc.value.code == 2
    assert "--lengths takes integers" in capsys.readouterr().err


def test_cli_op_names_match_the_library() -> None:
    from memos.cli import kernel_commands
    from memos.kernels import bench

    assert kernel_commands.OPS == bench.OPS


def test_module_entry_point_prints_the_report_without_the_store_packages():
    """`python -m memos.kernels.bench` is for a bare GPU machine: torch and triton only."""
    import subprocess
    import sys

    code = (
        "import json, runpy, sys\n"
        "sys.argv = ['bench', '--lengths', '16', '--ops', 'ssd_step,ssd_scan', '--forward-only',"
        " '--device', 'cpu', '--repeats', '1']\n"
        "try:\n    runpy.run_module('memos.kernels.bench', run_name='__main__')\n"
        "except SystemExit as exc:\n    assert exc.code == 0, exc.code\n"
        "loaded = sorted(m for m in ('sqlalchemy', 'faiss', 'pydantic', 'networkx', 'typer') if m in sys.modules)\n"
        "print('LOADED', loaded, file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert [(r["op"], r["passes"]) for r in report["rows"]] == [("ssd_step", "fwd"), ("ssd_scan", "fwd")]
    assert all(r["reference_ms"] > 0 for r in report["rows"])
    assert "LOADED []" in done.stderr and "[2/2] done" in done.stderr


@pytest.mark.parametrize("argv", [["--lengths", "1k"], ["--batch", ""], ["--ops", "fft"], ["--repeats", "0"]])
def test_module_entry_point_reports_bad_options_as_one_error_line(argv, capsys):
    from memos.kernels.bench import main

    assert main([*argv, "--device", "cpu"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("error: ") and "Traceback" not in captured.err
