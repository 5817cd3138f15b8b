"""A cube with more than a thousand cubes derived from it: forget committed, then failed
while reaching the replies that drew on them (one OR term per id: SQLite refuses an
expression deeper than 1,000), answering "busy, retry" every time after; purge could not
run at all (attacker probe, session 38)."""

from __future__ import annotations

from pathlib import Path

import pytest

from memos import MemOS
from memos.errors import NotFoundError

N = 1100


@pytest.mark.parametrize("erase", [False, True])
def test_forget_and_purge_reach_replies_of_a_cube_with_many_derived(tmp_path: Path,
                                                                    erase: bool) -> None:
    with MemOS.open(tmp_path / "s", embedder="hashing") as mem:
        root = mem.add("fanout root secret", "bob").id
        mem.add_many([{"content": f"fanout child {i}", "kind": "fact",
                       "derived_from": [{"cube_id": root, "version": 1}]}
                      for i in range(N)], "bob")
        report = mem.ingest([{"role": "user", "content": "what is my secret?"},
                             {"role": "assistant", "content": "It is the fanout root secret.",
                              "used": [root]}], "bob", session_id="fan")
        reply = report.episodes[1]
        if erase:
            mem.purge(root, "bob")
            with pytest.raises(NotFoundError, match="not found|no cube"):
                mem.get(reply, "bob")
        else:
            mem.forget(root, "bob")
            with pytest.raises(NotFoundError, match="was forgotten"):
                mem.get(reply, "bob")
        assert "fanout root secret" not in [h.cube.content for h in
                                            mem.search("fanout root secret", "bob", k=5)]
