"""Shared fixtures: a MemOS store on SQLite (always) and on PostgreSQL (when
MEMOS_TEST_PG_URL is set; each test gets its own schema, dropped afterwards)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# `make test` runs the suite in one worker process per core (pytest-xdist): each worker's
# torch then takes one thread, so that two workers on two cores do not each wait on a second
# intra-op thread (set before torch is first imported; subprocesses inherit it).
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.setdefault("OMP_NUM_THREADS", "1")

from memos.shadowing import import_installed_kernels  # noqa: E402

# The tests run from the repository's root, whose kernels/ folder would be found as the
# `kernels` distribution transformers imports (memos.shadowing): peft and
# sentence-transformers are imported by tests directly too.
import_installed_kernels()

PG_URL = os.environ.get("MEMOS_TEST_PG_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


@pytest.fixture(autouse=True)
def _no_memos_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never pick up a developer's MEMOS_* settings."""
    for var in ("MEMOS_URL", "MEMOS_INDEX_DIR", "MEMOS_EMBEDDER"):
        monkeypatch.delenv(var, raising=False)


def _pg_schema_url(base: str, schema: str) -> str:
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture(params=BACKENDS)
def store_location(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """Where a store lives: {"path_or_url": ..., "index_dir": ...} for MemOS.open."""
    if request.param == "sqlite":
        yield {"path_or_url": str(tmp_path / "store"), "index_dir": None, "backend": "sqlite"}
        return
    from sqlalchemy import create_engine, text

    assert PG_URL is not None
    schema = "t_" + uuid.uuid4().hex[:12]
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield {"path_or_url": _pg_schema_url(PG_URL, schema), "index_dir": str(tmp_path / "index"),
               "backend": "postgresql"}
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def open_store(store_location: dict[str, Any]) -> Iterator[Callable[..., Any]]:
    """Open (or reopen) the test's store; every store opened is closed at the end."""
    from memos import MemOS

    opened: list[Any] = []

    def _open(**kwargs: Any) -> Any:
        mem = MemOS.open(store_location["path_or_url"], index_dir=store_location["index_dir"],
                         **kwargs)
        opened.append(mem)
        return mem

    yield _open
    for mem in opened:
        mem.close()


@pytest.fixture
def mem(open_store: Callable[..., Any]) -> Any:
    return open_store()
