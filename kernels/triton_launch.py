"""Launching Triton kernels in either mode: compiled for a GPU, or in the CPU interpreter.

Triton decides at *decoration* time whether `@triton.jit` builds a compiled kernel or an
interpreted one: it reads TRITON_INTERPRET when a module (ours, and triton.language's own
standard library: tl.sum, tl.max, tl.cumsum, ...) is imported. Users and tests often set the
variable after triton was imported, so `launchable` decides at launch time instead: it
re-wraps our kernel's Python function for the mode in force, and for an interpreted launch
swaps triton.language's compiled helpers (and our own @jit helpers) for interpreted twins for
the duration of the call. Afterwards it undoes every patch the interpreter left on
triton.language, so a compiled launch later in the same process sees the real language.
The twins also patch the language once per launch instead of once per nested call, which
makes interpreted kernels that call tl.sum/tl.max in loops about twice as fast.
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

try:  # interpreter internals, used only to make nested calls cheaper (see _Twin)
    from triton.runtime.errors import InterpreterError
    from triton.runtime.interpreter import _patch_lang
except ImportError:  # pragma: no cover - other triton versions: plain twins
    _patch_lang = None

_CACHE: dict[tuple[int, bool], Any] = {}
_TWINS: dict[int, InterpretedFunction] = {}
_PATCH_LOCK = threading.RLock()
_LAUNCH = [0]  # bumped per interpreted launch


class _Twin(InterpretedFunction):
    """An interpreted @jit helper that patches triton.language once per launch, not per call.

    Triton's InterpretedFunction re-patches the language on every nested call (tl.sum inside
    a loop costs milliseconds each time); within one launch the first patch stays in force
    until `_interpreted_helpers` restores everything, so later calls can skip it.
    """

    _patched_launch = -1

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if _patch_lang is None:
            return super().__call__(*args, **kwargs)
        if self._patched_launch != _LAUNCH[0]:
            _patch_lang(self.fn)
            self._patched_launch = _LAUNCH[0]
        fn = self.rewrite()
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            raise InterpreterError(repr(exc)) from exc


def _language_objects() -> list[Any]:
    """Everything the interpreter patches: triton.language modules and core classes."""
    objs: list[Any] = [tl, tl.core, tl.math, tl.standard, tl.tensor, tl.dtype]
    for name in ("condition", "tensor_descriptor_base"):
        obj = getattr(tl.core, name, None)
        if obj is not None:
            objs.append(obj)
    return objs


def interpreting() -> bool:
    """True when Triton kernels should run in the numpy interpreter (TRITON_INTERPRET=1)."""
    return os.environ.get("TRITON_INTERPRET", "").strip().lower() in ("1", "true", "yes", "on")


def _twin(fn: Any) -> InterpretedFunction:
    twin = _TWINS.get(id(fn))
    if twin is None:
        twin = _TWINS[id(fn)] = _Twin(fn)
    return twin


def _snapshot(objs: list[Any]) -> list[tuple[Any, dict[str, Any]]]:
    return [(obj, dict(vars(obj))) for obj in objs]


def _restore(snapshots: list[tuple[Any, dict[str, Any]]]) -> None:
    """Undo the interpreter's patches (it leaves nested-call patches behind) so that a later
    compiled launch in the same process sees the real triton.language."""
    # Names the interpreter *adds* stay: its AST rewriter puts helpers such as
    # `interpreter_semantic` into module globals once and caches the rewritten functions.
    for obj, before in snapshots:
        now = vars(obj)
        for name, value in before.items():
            if now.get(name, _MISSING) is not value:
                setattr(obj, name, value)


_MISSING = object()


@contextlib.contextmanager
def _interpreted_helpers(kernel_globals: dict[str, Any]) -> Iterator[None]:
    """Swap compiled @jit helpers for interpreted twins, then restore them.

    Covers triton.language (tl.sum, tl.cumsum, ...) and the kernel's own module (our
    @triton.jit helpers). The same function may be reachable from several places (tl.sum is
    tl.standard.sum); one twin per function keeps identity checks inside the interpreter
    (e.g. "is this combine_fn tl.standard._sum_combine") true.
    """
    with _PATCH_LOCK:
        _LAUNCH[0] += 1
        language = _snapshot(_language_objects())
        saved: list[tuple[dict[str, Any], str, Any]] = []
        for namespace in (vars(tl), vars(tl.standard), vars(tl.core), vars(tl.math), kernel_globals):
            for name, obj in list(namespace.items()):
                if isinstance(obj, JITFunction) or (
                    isinstance(obj, InterpretedFunction) and not isinstance(obj, _Twin)
                ):
                    saved.append((namespace, name, obj))
                    namespace[name] = _twin(obj.fn)
        try:
            yield
        finally:
            for namespace, name, obj in saved:
                namespace[name] = obj
            _restore(language)


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


def dot_precision(dtype: Any) -> str:
    """tl.dot input precision: exact fp32 ("ieee") for fp32 inputs, so fp32 results match the
    references as on CPU; "tf32" otherwise, which is lossless for bf16/fp16 operands that the
    kernels widen to fp32 and rounds only fp32 intermediates, at tensor-core speed."""
    import torch

    return "ieee" if dtype == torch.float32 else "tf32"


def pow2_at_least(n: int, floor: int = 16) -> int:
    """Smallest power of two >= max(n, floor): tl.arange and tl.dot need powers of two >= 16."""
    return max(floor, triton.next_power_of_2(max(1, n)))
