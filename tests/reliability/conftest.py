"""The `store_spec` fixture: one fresh store per test, on SQLite and (when
MEMOS_TEST_PG_URL is set) on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from rel_helpers import StoreSpec, fresh_store


@pytest.fixture(params=["sqlite", "postgresql"])
def store_spec(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreSpec]:
    with fresh_store(request.param, tmp_path) as spec:
        yield spec
