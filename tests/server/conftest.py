"""Fixtures of the REST server tests: one store and one live server per test module (tests
use users of their own, so they do not see each other's memories), keys and clients."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")

from server_helpers import LiveServer  # noqa: E402


@pytest.fixture(scope="module")
def server_mem(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from memos.facade import MemOS

    mem = MemOS.open(str(tmp_path_factory.mktemp("server") / "store"), embedder="hashing")
    yield mem
    mem.close()


@pytest.fixture(scope="module")
def live(server_mem: Any) -> Iterator[LiveServer]:
    with LiveServer(server_mem, mcp=False) as server:
        yield server


@pytest.fixture
def new_user() -> Callable[[], str]:
    return lambda: "u-" + uuid.uuid4().hex[:10]


@pytest.fixture(scope="module")
def key_for(server_mem: Any) -> Callable[..., str]:
    """A fresh API key's secret for a user (and agent)."""
    def make(user: str, agent: str | None = None, admin: bool = False) -> str:
        return server_mem.create_key(user, agent, admin=admin)[1]
    return make


@pytest.fixture(scope="module")
def http_for(live: LiveServer, key_for: Callable[..., str]) -> Iterator[Callable[..., Any]]:
    """An httpx client that sends a new key of `user` (None: no key)."""
    made: list[Any] = []

    def make(user: str | None, agent: str | None = None, admin: bool = False) -> Any:
        headers = {} if user is None else {
            "Authorization": f"Bearer {key_for(user, agent, admin)}"}
        client = httpx.Client(base_url=live.url, headers=headers, timeout=60)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture(scope="module")
def client_for(live: LiveServer, key_for: Callable[..., str]) -> Iterator[Callable[..., Any]]:
    """A memos.Client with a new key of `user`."""
    import memos

    made: list[Any] = []

    def make(user: str, agent: str | None = None, admin: bool = False) -> Any:
        client = memos.Client(live.url, key_for(user, agent, admin))
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()
