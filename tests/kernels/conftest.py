"""Kernel tests run the Triton kernels in the CPU interpreter against the PyTorch references.

`memos.kernels.triton_launch.launchable` reads TRITON_INTERPRET at launch time, so setting it
per test with monkeypatch works whatever order the tests (or imports) run in.
"""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(autouse=True)
def _one_thread_and_seed() -> None:
    torch.manual_seed(0)
    torch.set_num_threads(1)


@pytest.fixture
def triton_interp(monkeypatch: pytest.MonkeyPatch) -> None:
    """Force the Triton backend, interpreted on CPU."""
    pytest.importorskip("triton")
    monkeypatch.setenv("MEMOS_KERNELS", "triton")
    monkeypatch.setenv("TRITON_INTERPRET", "1")


@pytest.fixture
def reference_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEMOS_KERNELS", "reference")


def _rel_rmse(a: torch.Tensor, b: torch.Tensor) -> float:
    from memos.kernels.parity import rel_rmse

    assert a.shape == b.shape, (a.shape, b.shape)
    assert torch.isfinite(a.detach()).all(), "non-finite values in the kernel output"
    return rel_rmse(a, b)


@pytest.fixture
def rel_rmse():  # noqa: ANN201 - returns the helper
    """||a - b|| / ||b||, or ||a - b|| when b is all zero (the parity measure, tolerance 5e-3)."""
    return _rel_rmse
