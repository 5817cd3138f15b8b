"""Shared pieces of the reliability suite: fresh stores per backend and store snapshots.

Every test runs on SQLite, and on PostgreSQL too when MEMOS_TEST_PG_URL points at a server
(`.ci/run` starts one). Each PostgreSQL test gets a database of its own, created on the URL's
server and dropped afterwards, so tests never see each other's rows.
"""

from __future__ import annotations

import io
import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

PG_ENV = "MEMOS_TEST_PG_URL"


@dataclass(frozen=True)
class StoreSpec:
    """Where one test's store lives, in the forms the SDK, the CLI and subprocesses take."""

    backend: str  # "sqlite" | "postgresql"
    location: str  # folder (SQLite) or SQLAlchemy URL (PostgreSQL)
    index_dir: str | None  # FAISS folder for a URL store

    def open(self, **kwargs: Any) -> Any:
        from memos.facade import MemOS

        return MemOS.open(self.location, index_dir=self.index_dir, **kwargs)

    def cli_args(self) -> list[str]:
        args = ["--store", self.location]
        if self.index_dir:
            args += ["--index-dir", self.index_dir]
        return args


def _pg_admin(url: str) -> Any:
    import psycopg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return psycopg.connect(host=parsed.host, port=parsed.port, user=parsed.username,
                           password=parsed.password, dbname=parsed.database, autocommit=True)


@contextmanager
def fresh_store(backend: str, tmp_path: Path) -> Iterator[StoreSpec]:
    """A new empty store of `backend` for one test; a PostgreSQL database is dropped after."""
    if backend == "sqlite":
        yield StoreSpec("sqlite", str(tmp_path / "store"), None)
        return
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} is not set (`.ci/run` starts a PostgreSQL server)")
    from sqlalchemy.engine import make_url

    name = f"memos_rel_{uuid.uuid4().hex[:12]}"
    with _pg_admin(base) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        url = make_url(base).set(database=name).render_as_string(hide_password=False)
        yield StoreSpec("postgresql", url, str(tmp_path / "index"))
    finally:
        with _pg_admin(base) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def export_lines(mem: Any, user: str) -> list[dict[str, Any]]:
    """A user's export as parsed JSON lines, header without its timestamp."""
    buffer = io.StringIO()
    mem.export(user, buffer)
    lines = [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]
    for line in lines:
        line.pop("exported_at", None)
    return lines


def snapshot(mem: Any, users: list[str]) -> tuple[Any, ...]:
    """Everything a failed call must leave unchanged: counts and every user's export."""
    stats = mem.stats()
    counts = (stats.cubes, stats.live, stats.versions, stats.edges, stats.changelog_seq,
              stats.vectors)
    return counts, tuple(json.dumps(export_lines(mem, u), sort_keys=True) for u in users)


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the `memos` entry point in-process: (exit code, stdout, stderr)."""
    from memos.cli.app import main

    capsys.readouterr()
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err
