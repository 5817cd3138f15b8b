"""Launching Triton kernels in either mode: compiled for a GPU, or in the CPU interpreter.

Triton decides at *decoration* time whether `@triton.jit` builds a compiled kernel or an
interpreted one: it reads TRITON_INTERPRET when a module (ours, and triton.language's own
standard library: tl.sum, tl.max, tl.cumsum, ...) is imported. Users and tests often set the
variable after triton was imported, so `launchable` decides at launch time instead: it
re-wraps our kernel's Python function for the mode in force, and for an interpreted launch
swaps triton.language's compiled helpers for interpreted twins for the duration of the call.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from typing import Any

import triton
import triton.language as tl
from triton.runtime.interpreter import InterpretedFunction
from triton.runtime.jit import JITFunction

_CACHE: dict[tuple[int, bool], Any] = {}
_TWINS: dict[int, InterpretedFunction] = {}
_PATCH_LOCK = threading.RLock()


def interpreting() -> bool:
    """True when Triton kernels should run in the numpy interpreter (TRITON_INTERPRET=1)."""
    return os.environ.get("TRITON_INTERPRET", "").strip().lower() in ("1", "true", "yes", "on")


def _twin(fn: Any) -> InterpretedFunction:
    twin = _TWINS.get(id(fn))
    if twin is None:
        twin = _TWINS[id(fn)] = InterpretedFunction(fn)
    return twin


@contextlib.contextmanager
def _interpreted_helpers(kernel_globals: dict[str, Any]) -> Iterator[None]:
    """Swap compiled @jit helpers for interpreted twins, then restore them.

    Covers triton.language (tl.sum, tl.cumsum, ...) and the kernel's own module (our
    @triton.jit helpers). The same function may be reachable from several places (tl.sum is
    tl.standard.sum); one twin per function keeps identity checks inside the interpreter
    (e.g. "is this combine_fn tl.standard._sum_combine") true.
    """
    with _PATCH_LOCK:
        saved: list[tuple[dict[str, Any], str, Any]] = []
        for namespace in (vars(tl), vars(tl.standard), vars(tl.core), vars(tl.math), kernel_globals):
            for name, obj in list(namespace.items()):
                if isinstance(obj, JITFunction):
                    saved.append((namespace, name, obj))
                    namespace[name] = _twin(obj.fn)
        try:
            yield
        finally:
            for namespace, name, obj in saved:
                namespace[name] = obj


class _InterpretedLauncher:
    """`kernel[grid](*args)` for the interpreter, with triton.language's helpers interpreted."""

    def __init__(self, kernel: InterpretedFunction) -> None:
        self.kernel = kernel

    def __getitem__(self, grid: Any) -> Any:
        def launch(*args: Any, **kwargs: Any) -> Any:
            with _interpreted_helpers(self.kernel.fn.__globals__):
                return self.kernel[grid](*args, **kwargs)

        return launch


def launchable(kernel: Any) -> Any:
    """The `kernel` (a @triton.jit function) in the form the current TRITON_INTERPRET asks for."""
    fn = kernel.fn
    interp = interpreting()
    key = (id(fn), interp)
    wrapped = _CACHE.get(key)
    if wrapped is None:
        if interp:
            wrapped = _InterpretedLauncher(
                kernel if isinstance(kernel, InterpretedFunction) else InterpretedFunction(fn)
            )
        else:
            wrapped = kernel if isinstance(kernel, JITFunction) else JITFunction(fn)
        _CACHE[key] = wrapped
    return wrapped


def pow2_at_least(n: int, floor: int = 16) -> int:
    """Smallest power of two >= max(n, floor): tl.arange and tl.dot need powers of two >= 16."""
    return max(floor, triton.next_power_of_2(max(1, n)))
