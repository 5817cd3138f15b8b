"""Launching Triton kernels in either mode: compiled for a GPU, or in the CPU interpreter.

Triton decides at *decoration* time whether `@triton.jit` builds a compiled kernel or an
interpreted one (it reads TRITON_INTERPRET when the module is imported). Our modules are
imported once, usually before a test or a user sets TRITON_INTERPRET, so `launchable` re-wraps
the kernel's Python function for the mode in force at launch time and caches both forms.
"""

from __future__ import annotations

import os
from typing import Any

import triton
from triton.runtime.interpreter import InterpretedFunction
from triton.runtime.jit import JITFunction

_CACHE: dict[tuple[int, bool], Any] = {}


def interpreting() -> bool:
    """True when Triton kernels should run in the numpy interpreter (TRITON_INTERPRET=1)."""
    return os.environ.get("TRITON_INTERPRET", "").strip().lower() in ("1", "true", "yes", "on")


def launchable(kernel: Any) -> Any:
    """The `kernel` (a @triton.jit function) in the form the current TRITON_INTERPRET asks for."""
    fn = kernel.fn
    interp = interpreting()
    key = (id(fn), interp)
    wrapped = _CACHE.get(key)
    if wrapped is None:
        if interp:
            wrapped = kernel if isinstance(kernel, InterpretedFunction) else InterpretedFunction(fn)
        else:
            wrapped = kernel if isinstance(kernel, JITFunction) else JITFunction(fn)
        _CACHE[key] = wrapped
    return wrapped


def pow2_at_least(n: int, floor: int = 16) -> int:
    """Smallest power of two >= max(n, floor): tl.arange and tl.dot need powers of two >= 16."""
    return max(floor, triton.next_power_of_2(max(1, n)))
