"""Drive the real `memos` entry point (`memos.cli.app.main`) and capture what a user sees."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)

    @property
    def err_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]


Run = Callable[..., Result]


@pytest.fixture
def store(tmp_path: Path) -> str:
    return str(tmp_path / "store")


@pytest.fixture
def memos_cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
              store: str) -> Run:
    """`memos_cli("add", "text", "-u", "alice", stdin=b"...")` -> Result(code, out, err).

    `--store` points at the test's own folder unless the call gives one.
    """
    from memos.cli.app import main

    for var in ("MEMOS_URL", "MEMOS_USER", "MEMOS_INDEX_DIR", "MEMOS_EMBEDDER"):
        monkeypatch.delenv(var, raising=False)

    def run(*args: str, stdin: bytes | None = None, store_args: bool = True) -> Result:
        argv = list(args)
        if store_args and "--store" not in argv and "--help" not in argv:
            argv += ["--store", store]
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
        capsys.readouterr()
        try:
            main(argv)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run
