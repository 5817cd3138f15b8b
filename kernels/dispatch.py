"""Which implementation of an op runs: Triton on CUDA, the PyTorch reference elsewhere."""

from __future__ import annotations

import contextlib
import importlib.util
import os
from collections.abc import Iterator

import torch

from memos.errors import KernelError

BACKENDS = ("triton", "reference")


def triton_available() -> bool:
    return importlib.util.find_spec("triton") is not None


def backend_for(tensor: torch.Tensor) -> str:
    """Return "triton" or "reference" for an op whose main input is `tensor`."""
    forced = os.environ.get("MEMOS_KERNELS", "").strip().lower()
    if forced:
        if forced not in BACKENDS:
            raise KernelError(
                f"MEMOS_KERNELS={forced!r} is not a backend; use one of {', '.join(BACKENDS)} "
                "or unset it to pick by device"
            )
        if forced == "triton":
            if not triton_available():
                raise KernelError("MEMOS_KERNELS=triton but triton is not installed; pip install triton")
            if not tensor.is_cuda and os.environ.get("TRITON_INTERPRET") != "1":
                raise KernelError(
                    "MEMOS_KERNELS=triton on CPU tensors needs TRITON_INTERPRET=1 "
                    "(the Triton interpreter); set it or move the tensors to a GPU"
                )
        return forced
    return "triton" if tensor.is_cuda and triton_available() else "reference"


@contextlib.contextmanager
def forced_backend(name: str) -> Iterator[None]:
    """MEMOS_KERNELS=`name` while the block runs (restored after): parity checks and
    benchmarks run one op on each backend in turn."""
    saved = os.environ.get("MEMOS_KERNELS")
    os.environ["MEMOS_KERNELS"] = name
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("MEMOS_KERNELS", None)
        else:
            os.environ["MEMOS_KERNELS"] = saved
