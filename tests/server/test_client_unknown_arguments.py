"""memos.Client against a live server: an unknown keyword is an InvalidInputError, never a
TypeError (docs/SDK.md, "Conventions"). The methods that take **kwargs (add, update,
supersede, search) send them on, and the server refuses an unknown one (422), which the
client raises as InvalidInputError naming it; every other method refuses it before any
request (tests/memos/test_no_type_error.py)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import memos
from memos.errors import InvalidInputError


def test_methods_with_kwargs_refuse_an_unknown_keyword(
        client_for: Callable[..., Any], new_user: Callable[[], str]) -> None:
    client = client_for(new_user())
    cube = client.add("Alice lives in Lisbon.").id
    calls = {"add": lambda: client.add("Another note.", bogus=1),
             "update": lambda: client.update(cube, importance=0.9, bogus=1),
             "supersede": lambda: client.supersede(cube, content="Alice lives in Porto.",
                                                   bogus=1),
             "search": lambda: client.search("Lisbon", bogus=1)}
    takes_kwargs = {name for name, fn in inspect.getmembers(memos.Client, inspect.isfunction)
                    if not name.startswith("_") and any(
                        p.kind is p.VAR_KEYWORD for p in inspect.signature(fn).parameters.values())}
    assert takes_kwargs == set(calls)  # a new one is added here too
    for name, call in calls.items():
        try:
            call()
        except InvalidInputError as exc:
            assert "bogus" in str(exc), (name, str(exc))
        else:  # pragma: no cover
            raise AssertionError(f"Client.{name}(bogus=1) raised nothing")
    got = client.get(cube)
    assert got.version == 1 and got.content == "Alice lives in Lisbon."
    assert [c.id for c in client.list_memories().items] == [cube]
