"""No public method raises TypeError for a call that does not fit it (docs/SDK.md,
"Conventions"): an unknown keyword, a missing or an extra argument is an InvalidInputError
naming the method, the argument and the parameters it takes (memos/arguments.py). A
TypeError raised inside a method's body is not the caller's and passes through unchanged.

Every public method of MemOS, memos.Client and memos.Assistant is found by introspection,
so a method added later is held to the rule without a line here.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

import pytest

from memos.arguments import check_arguments, checked
from memos.assistant import Assistant
from memos.client import Client
from memos.errors import InvalidInputError
from memos.facade import MemOS


def _public_methods(cls: type) -> Iterator[str]:
    """Names of the public methods of `cls` (properties left out)."""
    for name in sorted(dir(cls)):
        if name.startswith("_"):
            continue
        attr = inspect.getattr_static(cls, name)
        if isinstance(attr, staticmethod | classmethod) or inspect.isfunction(attr):
            yield name


def _with_bogus(method: Any, values: dict[str, Any]) -> tuple[list[Any], dict[str, Any], bool]:
    """Arguments for `method` (bound): its required ones filled in, plus `bogus=1`; and
    whether it takes **kwargs (then its body, not the binding, refuses `bogus`)."""
    args: list[Any] = []
    kwargs: dict[str, Any] = {"bogus": 1}
    var_kw = False
    for param in inspect.signature(method).parameters.values():
        if param.kind is param.VAR_KEYWORD:
            var_kw = True
        if param.default is not param.empty or param.kind in (param.VAR_POSITIONAL,
                                                               param.VAR_KEYWORD):
            continue
        value = values.get(param.name, "x")
        if param.kind is param.KEYWORD_ONLY:
            kwargs[param.name] = value
        else:
            args.append(value)
    return args, kwargs, var_kw


def _refuses_bogus(obj: Any, values: dict[str, Any], skip_var_kw: bool = False) -> list[str]:
    """Call every public method of obj with an unknown keyword (its required arguments
    from `values` by name, else "x"); the names checked."""
    checked_names = []
    for name in _public_methods(type(obj)):
        method = getattr(obj, name)
        args, kwargs, var_kw = _with_bogus(method, values)
        if var_kw and skip_var_kw:
            continue
        try:
            method(*args, **kwargs)
        except InvalidInputError as exc:
            assert "bogus" in str(exc), (name, str(exc))
            if not var_kw:  # the wrapper's message: the method and what it takes
                assert f".{name}()" in str(exc) and "it takes (" in str(exc), str(exc)
        except TypeError as exc:  # pragma: no cover - the failure this file is about
            pytest.fail(f"{type(obj).__name__}.{name}(bogus=1) raised TypeError: {exc}")
        else:  # pragma: no cover
            pytest.fail(f"{type(obj).__name__}.{name}(bogus=1) raised nothing")
        checked_names.append(name)
    return checked_names


def test_every_memos_method_refuses_an_unknown_keyword(mem: Any) -> None:
    cube = mem.add("Alice lives in Lisbon.", "alice").id
    names = _refuses_bogus(mem, {"scope": "alice", "cube_id": cube})
    assert mem.get(cube, "alice").version == 1  # nothing written
    # the ones the review found, and the three whose **kwargs bodies refuse it themselves
    assert {"get", "history", "diff", "forget", "neighbors", "list_memories", "rollback",
            "link", "stats", "recall", "answer", "ingest", "tiers", "gc", "check", "export",
            "open", "add", "search", "update", "supersede"} <= set(names)
    with pytest.raises(InvalidInputError, match=r"MemOS\.open\(\).*'bogus'"):
        MemOS.open(bogus=1)


def test_missing_and_extra_arguments_are_invalid_input(mem: Any) -> None:
    cube = mem.add("Alice lives in Lisbon.", "alice").id
    with pytest.raises(InvalidInputError) as missing:
        mem.get(cube)
    text = str(missing.value)
    assert text.startswith("MemOS.get(): ") and "'scope'" in text
    assert "it takes (cube_id, scope, *, version=None)" in text and "self" not in text
    with pytest.raises(InvalidInputError, match=r"MemOS\.history\(\).*'limit'.*\(cube_id, "
                                                r"scope\)"):
        mem.history(cube, "alice", limit=1)
    with pytest.raises(InvalidInputError, match="too many positional"):
        mem.get(cube, "alice", 1)
    with pytest.raises(InvalidInputError, match="multiple values for argument 'scope'"):
        mem.forget(cube, "alice", scope="alice")
    assert mem.get(cube, "alice").content == "Alice lives in Lisbon."  # nothing changed


def test_assistant_refuses_an_unknown_keyword(mem: Any) -> None:
    bot = Assistant(mem, "alice", backend="extractive", learn=False)
    names = _refuses_bogus(bot, {})
    assert {"reply", "transcript", "end_session", "forget_matching"} <= set(names)
    with pytest.raises(InvalidInputError, match=r"^Assistant\(\).*'bogus'.*it takes \(mem, "):
        Assistant(mem, "alice", bogus=1)
    with pytest.raises(InvalidInputError, match=r"Assistant\(\).*'user'"):
        Assistant(mem)


def test_client_refuses_an_unknown_keyword_before_any_request() -> None:
    httpx = pytest.importorskip("httpx")
    sent: list[Any] = []

    def handle(request: Any) -> Any:
        sent.append(request)
        return httpx.Response(500)

    client = Client("http://memos.test", "memos-kx-y", transport=httpx.MockTransport(handle))
    # add / update / search hand their **kwargs to the server, which refuses an unknown
    # one with 422 (tests/server); every other method refuses it here, sending nothing.
    names = _refuses_bogus(client, {"scope": None}, skip_var_kw=True)
    assert {"get", "history", "forget", "stats", "recall", "answer", "export"} <= set(names)
    assert sent == []
    with pytest.raises(InvalidInputError, match=r"^Client\(\).*'bogus'"):
        Client("http://memos.test", bogus=1)
    client.close()


def test_signatures_and_docs_stay_visible() -> None:
    for cls in (MemOS, Client, Assistant):
        for name in [*_public_methods(cls), "__init__"]:
            wrapper = inspect.getattr_static(cls, name)
            func = getattr(wrapper, "__func__", wrapper)
            assert getattr(func, "__memos_checked__", False), (cls.__name__, name)
            original = func.__wrapped__
            assert inspect.signature(func) == inspect.signature(original)
            assert func.__doc__ == original.__doc__ and func.__name__ == original.__name__
    assert "version" in inspect.signature(MemOS.get).parameters
    assert list(inspect.signature(Client).parameters)[:2] == ["url", "key"]


def test_a_type_error_inside_a_method_passes_through(mem: Any,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import memos.facade as facade

    def broken(scope: Any) -> Any:
        raise TypeError("a bug inside, not the caller's")

    monkeypatch.setattr(facade, "as_scope", broken)
    with pytest.raises(TypeError, match="a bug inside") as raised:
        mem.stats("alice")
    assert not isinstance(raised.value, InvalidInputError)

    # ... and so does one from a call inside the body that does not bind (the method's own
    # arguments do)
    monkeypatch.setattr(facade, "as_scope", lambda: None)
    with pytest.raises(TypeError) as raised:
        mem.stats("alice")
    assert not isinstance(raised.value, InvalidInputError)


def test_the_wrapper_on_its_own() -> None:
    @check_arguments
    class Thing:
        def __init__(self, size: int = 1) -> None:
            self.size = size

        def grow(self, by: int, *, twice: bool = False) -> int:
            """Grow."""
            return self.size + by * (2 if twice else 1) + len(by)  # type: ignore[arg-type]

        @staticmethod
        def half(n: int) -> float:
            return n / 2

        @classmethod
        def make(cls, size: int) -> Thing:
            return cls(size)

        def _private(self) -> None:
            pass

    with pytest.raises(TypeError, match="has no len"):  # from the body: unchanged
        Thing().grow(1)
    with pytest.raises(InvalidInputError, match=r"Thing\.grow\(\): .*'thrice'.*\(by, \*, "
                                                r"twice=False\)"):
        Thing().grow(1, thrice=True)
    with pytest.raises(InvalidInputError, match=r"Thing\.half\(\).*\(n\)"):
        Thing.half()
    with pytest.raises(InvalidInputError, match=r"Thing\.make\(\).*\(size\)"):
        Thing.make(1, 2)
    with pytest.raises(InvalidInputError, match=r"^Thing\(\)"):
        Thing(size=1, colour="red")
    assert Thing.make(3).size == 3 and Thing.half(3) == 1.5
    with pytest.raises(TypeError):  # private methods are not wrapped
        Thing()._private(1)  # type: ignore[call-arg]
    assert checked(Thing.grow) is Thing.grow  # wrapping twice is wrapping once
    assert Thing.grow.__doc__ == "Grow."


def test_a_checked_method_calling_another_wrongly_is_a_bug_not_bad_input() -> None:
    """Review: a bug inside one public method that called another public method with the wrong
    arguments became InvalidInputError naming the inner method (CLI exit 2, REST 4xx). Only
    the outermost call is the caller's."""
    @check_arguments
    class Pair:
        def outer(self, x: int) -> int:
            return self.inner(x, 1, 2)  # type: ignore[call-arg]  # the bug

        def inner(self, x: int) -> int:
            return x

    with pytest.raises(TypeError) as raised:
        Pair().outer(1)
    assert not isinstance(raised.value, InvalidInputError)
    with pytest.raises(InvalidInputError, match=r"Pair\.inner\(\)"):  # the caller's own call
        Pair().inner(1, 2)
    assert Pair().outer.__name__ == "outer" and Pair().inner(3) == 3
