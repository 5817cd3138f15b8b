"""An unexpected exception in an endpoint is a problem-details 500 (a busy database a 503)
on a connection that stays usable (probe 38). Before: Starlette's ServerErrorMiddleware sent
the catch-all handler's response and then raised the exception again, so uvicorn logged a
second traceback ("Exception in ASGI application") and dropped the kept-alive connection:
the same memos.Client's NEXT call failed with "Connection reset by peer"."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from memos.errors import InvalidInputError, MemosError, StoreError


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def logged() -> Iterator[list[logging.LogRecord]]:
    """What the server thread logs (uvicorn's loggers do not propagate to the root)."""
    handler = _Records()
    names = ("uvicorn.error", "memos.server.app")
    for name in names:
        logging.getLogger(name).addHandler(handler)
    yield handler.records
    for name in names:
        logging.getLogger(name).removeHandler(handler)


def _operational() -> Exception:
    from sqlalchemy.exc import OperationalError

    return OperationalError("SELECT 1", {}, Exception("database is locked"))


@pytest.mark.parametrize(("error", "expected", "status_words"), [
    (lambda: RuntimeError("kaboom"), MemosError, "internal error (RuntimeError)"),
    (_operational, StoreError, "the database could not serve the request"),
    (lambda: RecursionError("deep"), InvalidInputError, "nested too deeply"),
])
def test_the_same_client_goes_on_after_an_unexpected_error(
        server_mem: Any, client_for: Callable[..., Any], new_user: Callable[[], str],
        monkeypatch: pytest.MonkeyPatch, logged: list[logging.LogRecord],
        error: Callable[[], Exception], expected: type[MemosError], status_words: str) -> None:
    client = client_for(new_user())
    client.add("a note before the failure")  # the connection is open and kept alive

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise error()

    monkeypatch.setattr(server_mem, "search", boom)
    with pytest.raises(expected) as raised:
        client.search("note")
    assert status_words in str(raised.value)
    monkeypatch.undo()
    # the same client, on the same kept-alive connection: no "connection reset"
    assert client.add("a note after the failure").id
    assert client.search("note")
    assert client.whoami()["user_id"]
    assert not [r for r in logged if r.name == "uvicorn.error"], [
        r.getMessage() for r in logged]
    assert len([r for r in logged if r.exc_info]) <= 1  # the error, logged once


def test_the_problem_details_of_a_500(
        server_mem: Any, http_for: Callable[..., Any], new_user: Callable[[], str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    http = http_for(new_user())

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("kaboom")

    monkeypatch.setattr(server_mem, "search", boom)
    response = http.post("/v1/search", json={"query": "anything"})
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "about:blank", "title": "Internal Server Error", "status": 500, "memos_error": "MemosError",
        "detail": "internal error (RuntimeError); the server log has the details; please "
                  "report it"}
    monkeypatch.undo()
    assert http.get("/v1/whoami").status_code == 200
