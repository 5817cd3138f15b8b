"""Dispatch: device picks the backend, MEMOS_KERNELS forces one, bad values are user errors."""

from __future__ import annotations

import importlib

import pytest
import torch
import triton.language as tl
from triton.runtime.jit import JITFunction

from memos.errors import KernelError
from memos.kernels import ssd_scan
from memos.kernels.dispatch import backend_for
from memos.kernels.triton_launch import launchable


def test_cpu_tensors_default_to_reference(monkeypatch):
    monkeypatch.delenv("MEMOS_KERNELS", raising=False)
    assert backend_for(torch.zeros(2)) == "reference"


@pytest.mark.parametrize("value", ["reference", " Reference "])
def test_env_forces_reference(monkeypatch, value):
    monkeypatch.setenv("MEMOS_KERNELS", value)
    assert backend_for(torch.zeros(2)) == "reference"


def test_env_forces_triton_with_interpreter(monkeypatch):
    monkeypatch.setenv("MEMOS_KERNELS", "triton")
    monkeypatch.setenv("TRITON_INTERPRET", "1")
    assert backend_for(torch.zeros(2)) == "triton"


def test_triton_on_cpu_without_interpreter_is_refused(monkeypatch):
    monkeypatch.setenv("MEMOS_KERNELS", "triton")
    monkeypatch.delenv("TRITON_INTERPRET", raising=False)
    with pytest.raises(KernelError, match="TRITON_INTERPRET=1"):
        backend_for(torch.zeros(2))


def test_unknown_backend_is_a_kernel_error_from_the_public_op(monkeypatch):
    monkeypatch.setenv("MEMOS_KERNELS", "cuda-magic")
    x = torch.zeros(1, 4, 1, 2)
    with pytest.raises(KernelError, match="not a backend"):
        ssd_scan(x, torch.zeros(1, 4, 1), torch.zeros(1, 4, 1, 2), torch.zeros(1, 4, 1, 2))


def test_launch_mode_follows_the_environment_not_the_import_order(monkeypatch):
    scan_triton = importlib.import_module("memos.kernels.ssd_scan.triton")
    kernel = scan_triton._chunk_out_kernel
    monkeypatch.setenv("TRITON_INTERPRET", "1")
    interpreted = launchable(kernel)
    monkeypatch.delenv("TRITON_INTERPRET")
    compiled = launchable(kernel)
    assert isinstance(compiled, JITFunction)
    assert interpreted is not compiled and compiled.fn is kernel.fn


def test_interpreted_launch_restores_triton_language(monkeypatch):
    """The interpreter patches triton.language; nothing may leak into later compiled launches."""
    watched = [(tl, "sum"), (tl.standard, "sum"), (tl.core, "load"), (tl.core, "dot"), (tl, "cumsum"),
               (tl.tensor, "__add__"), (tl.tensor, "__mul__"), (tl.math, "exp")]
    before = [getattr(obj, name) for obj, name in watched]
    monkeypatch.setenv("MEMOS_KERNELS", "triton")
    monkeypatch.setenv("TRITON_INTERPRET", "1")
    x = torch.randn(1, 8, 1, 4)
    ssd_scan(x, -torch.rand(1, 8, 1), torch.randn(1, 8, 1, 4), torch.randn(1, 8, 1, 4), chunk_size=16)
    after = [getattr(obj, name) for obj, name in watched]
    assert all(a is b for a, b in zip(after, before, strict=True)), watched
