"""A call that does not match a public method's signature is bad input, not a TypeError.

`check_arguments(cls)` wraps the public methods of a class (and its constructor) so that an
unknown keyword, a missing argument or one too many raises `InvalidInputError` naming the
method, what was wrong and the parameters it takes (docs/SDK.md, "Conventions": no public
method raises `TypeError` for a bad argument). Beside the errors, on the ground floor:
it imports only the standard library and `memos.errors`.

Only a call that failed to bind is converted, and only the caller's own: a `TypeError`
raised once the method's body runs (a bug, a library's own error, or one checked method
calling another wrongly) passes through unchanged. The success path costs one
call frame and a context variable set and reset; the signature is looked at only after a
call has failed.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from memos.errors import InvalidInputError

C = TypeVar("C", bound=type)

_MARK = "__memos_checked__"
# Whether a checked method is running in this thread or task: only the outermost call is
# the caller's (a checked method's own wrong call of another is a bug, never bad input).
_INSIDE: contextvars.ContextVar[bool] = contextvars.ContextVar("memos_checked_call",
                                                                default=False)


def _parameters(sig: inspect.Signature, bound_first: bool) -> str:
    """The parameters a caller passes, as `(a, b, *, c=None)` (self / cls left out)."""
    params = [p.replace(annotation=p.empty)
              for p in list(sig.parameters.values())[1 if bound_first else 0:]]
    return str(sig.replace(parameters=params, return_annotation=sig.empty))


def bad_call(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], *,
             bound_first: bool = False) -> InvalidInputError | None:
    """The InvalidInputError of a call of `func` whose arguments do not fit its signature,
    or None when they fit. `bound_first`: args[0] is self or cls (not the caller's)."""
    try:
        sig = inspect.signature(func)
    except (TypeError, ValueError):  # no signature to check against
        return None
    try:
        sig.bind(*args, **kwargs)
    except TypeError as exc:
        problem = str(exc)
    else:
        return None
    name = func.__qualname__.rsplit("<locals>.", 1)[-1].removesuffix(".__init__")
    hint = ""
    if "argument: 'scope'" in problem:
        hint = " (a user id, or memos.Scope(user_id=...))"
    return InvalidInputError(f"{name}(): {problem}{hint}; it takes "
                             f"{_parameters(sig, bound_first)}")


def checked(func: Callable[..., Any], *, bound_first: bool = True) -> Callable[..., Any]:
    """`func`, raising InvalidInputError instead of TypeError when a call does not bind.
    Signature, name and docstring stay the original's (help(), inspect.signature)."""
    if getattr(func, _MARK, False):
        return func

    @functools.wraps(func)
    def call(*args: Any, **kwargs: Any) -> Any:
        outermost = not _INSIDE.get()
        token = _INSIDE.set(True)
        try:
            return func(*args, **kwargs)
        except TypeError as exc:
            # Raised by the call itself (no frame of the body on the traceback), a call
            # that does not bind, and the caller's own call: the caller's mistake. A
            # checked method that calls another one wrongly is a bug: it passes on.
            tb = exc.__traceback__
            error = (bad_call(func, args, kwargs, bound_first=bound_first)
                     if outermost and tb is not None and tb.tb_next is None else None)
            if error is None:
                raise
            raise error from None
        finally:
            _INSIDE.reset(token)

    setattr(call, _MARK, True)
    return call


def check_arguments(cls: C) -> C:
    """Wrap every public method of `cls` (a name without a leading underscore, static and
    class methods included) and its `__init__` with `checked`. Properties are left alone.
    Returns `cls`, so it serves as a class decorator."""
    for name, attr in list(vars(cls).items()):
        if name.startswith("_") and name != "__init__":
            continue
        if isinstance(attr, staticmethod):
            setattr(cls, name, staticmethod(checked(attr.__func__, bound_first=False)))
        elif isinstance(attr, classmethod):
            setattr(cls, name, classmethod(checked(attr.__func__)))
        elif inspect.isfunction(attr):
            setattr(cls, name, checked(attr))
    return cls


__all__ = ["bad_call", "check_arguments", "checked"]
