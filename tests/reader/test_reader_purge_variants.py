"""Purge of a turn reaches every copy of its words, also where the same words were said
again in another spelling that stores as the same cube (found by a review)."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from pathlib import Path

import pytest

from memos import MemOS

T1 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
SECRET = "Zürichquillmote"  # composed (NFC) ü


def files_holding(folder: Path, needle: bytes) -> list[str]:
    return [str(p) for p in folder.rglob("*") if p.is_file() and needle in p.read_bytes()]


@pytest.mark.parametrize("variant", [
    lambda s: s.replace(" ", "  "),  # whitespace: the same content hash
    lambda s: s.replace(" a lot", "\ta lot "),
    lambda s: unicodedata.normalize("NFD", s),  # another Unicode form: the same hash
], ids=["spaces", "tab", "nfd"])
def test_purge_erases_a_variant_stored_as_a_duplicate(tmp_path: Path, variant) -> None:
    """Words said again with other whitespace or in another Unicode normal form are an exact
    duplicate of the stored turn (content hashes are taken of NFC with whitespace collapsed),
    but the second session's neighbouring turns quote them as they were said. Before: the
    duplicate kept no trace of its own spelling, so forget left it in those neighbours'
    searchable context and after purge memos.db still held it."""
    folder = tmp_path / "store"
    said = f"I like {SECRET} a lot"
    again = variant(said)
    assert again != said
    with MemOS.open(str(folder), embedder="hashing") as mem:
        first = mem.ingest([{"role": "user", "content": said},
                            {"role": "user", "content": "other stuff here"}],
                           "alice", session_id="s1", at=T1)
        second = mem.ingest([{"role": "user", "content": again},
                             {"role": "user", "content": "more things there"}],
                            "alice", session_id="s2", at=T1)
        turn = first.episodes[0]
        assert second.episodes[0] == turn  # one cube for both spellings
        neighbour = second.episodes[1]
        # (metadata strings are stored in NFC since 2026-12-05: the context quotes the NFC
        # of what was said)
        quoted = unicodedata.normalize("NFC", again)
        assert quoted in mem.get(neighbour, "alice").metadata["context"]  # the test can fail
        mem.forget(turn, "alice")
        assert quoted not in mem.get(neighbour, "alice").metadata.get("context", "")
        mem.purge(turn, "alice")
        mem.flush()
    for form in ("NFC", "NFD"):
        word = unicodedata.normalize(form, "Zürichquill").encode()
        assert files_holding(folder, word) == [], form
