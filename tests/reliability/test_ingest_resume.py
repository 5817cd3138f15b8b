"""A conversation ingested again after an ingest died midway ends as one ingested whole.

The first ingest stores every turn's episode, then writes the facts in batches; killed
between batches, the facts of the later turns are missing. Ingested again (the same
messages, no times), each turn counts as said when its episode was stored, but the facts the
second ingest wrote were dated at its own time: every later turn then looked said before a
newer value and was skipped, and the current values were those of the crash point.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from memos import MemOS
from memos.reader import ingest as reader_ingest

TURNS = [{"role": "user", "content": f"My city is City{t % 7}. My favorite color is Color{t % 5}."}
         for t in range(30)]


def _state(mem: MemOS) -> tuple[set[str], int]:
    live = {c.content for c in mem.list_memories("u", kind="fact", limit=100).items}
    return live, mem.stats("u").by_state.get("superseded", 0)


def test_ingest_again_after_a_crash_midway_gives_what_one_whole_ingest_gives(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    whole = MemOS.open(tmp_path / "whole", embedder="hashing")
    crashed = MemOS.open(tmp_path / "crashed", embedder="hashing")
    try:
        whole.ingest(TURNS, "u", session_id="s")
        real_flush = reader_ingest._flush
        calls = {"n": 0}

        def dying_flush(run):
            calls["n"] += 1
            if calls["n"] > 8:
                raise KeyboardInterrupt  # as a kill between two batches of facts
            return real_flush(run)

        monkeypatch.setattr(reader_ingest, "_flush", dying_flush)
        with pytest.raises(KeyboardInterrupt):
            crashed.ingest(TURNS, "u", session_id="s")
        monkeypatch.setattr(reader_ingest, "_flush", real_flush)
        midway = _state(crashed)
        assert midway != _state(whole)  # the crash left the facts of the later turns out
        crashed.ingest(TURNS, "u", session_id="s")
        assert _state(crashed)[0] == _state(whole)[0] == {"U's city is City1.",
                                                          "U's favorite color is Color4."}
        assert _state(crashed)[1] == _state(whole)[1]
    finally:
        whole.close()
        crashed.close()
