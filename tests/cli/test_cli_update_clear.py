"""`memos update --clear-tags / --clear-meta`: the CLI could not clear a memory's tags or
metadata (`--tag ""` is an empty tag, refused) where the SDK and REST can (review finding)."""

from __future__ import annotations

import json

from tests.cli.conftest import Run


def _added(memos_cli: Run) -> str:
    out = memos_cli("add", "Alice likes tea", "-u", "alice", "-t", "drink", "-t", "home",
                    "--meta", "source=chat", "--json")
    assert out.code == 0, out.err
    return str(json.loads(out.out)["cube"]["id"])


def test_clear_tags_and_metadata(memos_cli: Run) -> None:
    cube = _added(memos_cli)
    out = memos_cli("update", cube, "-u", "alice", "--clear-tags", "--json")
    assert out.code == 0, out.err
    got = json.loads(out.out)
    assert got["tags"] == [] and got["metadata"] == {"source": "chat"} and got["version"] == 2
    out = memos_cli("update", cube, "-u", "alice", "--clear-meta", "--json")
    got = json.loads(out.out)
    assert got["tags"] == [] and got["metadata"] == {} and got["version"] == 3


def test_clear_with_new_values_is_refused(memos_cli: Run) -> None:
    cube = _added(memos_cli)
    for args in (["--clear-tags", "-t", "x"], ["--clear-meta", "--meta", "a=1"]):
        out = memos_cli("update", cube, "-u", "alice", *args)
        assert out.code == 2 and "not both" in out.err
    shown = json.loads(memos_cli("show", cube, "-u", "alice", "--json").out)
    assert shown["version"] == 1 and shown["tags"] == ["drink", "home"]


def test_clear_times(memos_cli: Run) -> None:
    """`--clear-valid-to` and its kin remove a time (an end once set could not be undone)."""
    cube = _added(memos_cli)
    assert memos_cli("update", cube, "-u", "alice", "--valid-to", "2030-01-01").code == 0
    both = memos_cli("update", cube, "-u", "alice", "--valid-to", "2031-01-01",
                     "--clear-valid-to")
    assert both.code == 2 and "not both" in both.err
    out = memos_cli("update", cube, "-u", "alice", "--clear-valid-to", "--json")
    assert out.code == 0, out.err
    assert out.json()["valid_to"] is None and out.json()["version"] == 3
    out = memos_cli("update", cube, "-u", "alice", "--clear-expires-at")
    assert out.code == 2 and "changes nothing" in out.err  # it had none
