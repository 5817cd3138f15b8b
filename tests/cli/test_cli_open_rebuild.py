"""A store whose vector index must be rebuilt on open (files missing, an older format) shows
a progress bar on stderr; stdout stays clean for --json; the usual open shows nothing."""

from __future__ import annotations

from pathlib import Path

from memos import MemOS


def test_rebuild_on_open_shows_a_bar_on_stderr_only(memos_cli, store: str) -> None:
    with MemOS.open(store, embedder="hashing") as mem:
        mem.add_many([f"fact number {i}" for i in range(30)], scope="u")
    for f in Path(store).glob("vectors.*"):
        f.unlink()
    result = memos_cli("stats", "--json")
    assert result.code == 0, result.err
    assert "rebuilding the vector index" in result.err
    assert result.json()["cubes"] == 30
    again = memos_cli("stats", "--json")
    assert "rebuilding" not in again.err
