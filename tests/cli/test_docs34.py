"""Promises of docs/CLI.md checked against the `memos` command (docs review 34)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

Run = Callable[..., Any]  # the `memos_cli` fixture of conftest.py


def test_ingest_names_a_device_for_what_it_is(memos_cli: Run, store: str) -> None:
    """`memos ingest /dev/null` said "no such file: /dev/null"; the file is there, it is a
    device. Exit 2, one line saying so, and no store created."""
    got = memos_cli("ingest", os.devnull, "--session", "s1", "-u", "alice")
    assert got.code == 2
    assert "Traceback" not in got.err
    assert "not a regular file" in got.err and "no such file" not in got.err
    assert not Path(store).exists()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_ingest_reads_a_pipe(memos_cli: Run, tmp_path: Path) -> None:
    """docs/CLI.md: `ingest` reads a pipe (`memos ingest <(...)`), as `import` does."""
    import threading

    fifo = tmp_path / "conversation.json"
    os.mkfifo(fifo)

    def write() -> None:
        with open(fifo, "w", encoding="utf-8") as pipe:
            pipe.write('[{"role": "user", "content": "I live in Lisbon."}]')

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    got = memos_cli("ingest", str(fifo), "--session", "s1", "-u", "alice", "--json")
    writer.join(timeout=10)
    if writer.is_alive():  # ingest never opened the pipe: open its read end, so the writer ends
        os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
    assert got.code == 0, got.err
    assert got.json()["turns"] == 1 and len(got.json()["facts"]) == 1


def test_import_refuses_a_session_it_would_not_record(memos_cli: Run, tmp_path: Path,
                                                      store: str) -> None:
    """`memos import --session S` was accepted and ignored: the help said "Session id the
    new memories are stored under", but every cube kept the session of its export line. An
    import restores cubes as exported, so the option is gone: a usage error, nothing
    imported, no store created."""
    source = tmp_path / "source"
    assert memos_cli("add", "Alice keeps bees", "-u", "alice",
                     "--store", str(source)).code == 0
    export = tmp_path / "alice.jsonl"
    assert memos_cli("export", str(export), "-u", "alice", "--store", str(source)).code == 0
    got = memos_cli("import", str(export), "-u", "alice", "--session", "s1")
    assert got.code == 2 and "No such option: --session" in got.err
    assert "Traceback" not in got.err
    assert not Path(store).exists()
    assert "--session" not in memos_cli("import", "--help").out
