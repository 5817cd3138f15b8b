"""`--session` only where it means something. It was accepted, and ignored, on every read and
admin command: `memos purge --all -u alice --session s1 --yes` erased every memory of alice,
not the session's. Now `add` stores new memories under it, `search` searches that session's
memories only, and every other command refuses it, `import` too (each cube keeps the session it
was exported with; tests/cli/test_docs34.py)."""

from __future__ import annotations

import json

import pytest

from tests.cli.conftest import Run


def _add(memos_cli: Run, text: str, *extra: str) -> str:
    out = memos_cli("add", text, "-u", "alice", "--json", *extra)
    assert out.code == 0, out.err
    return str(json.loads(out.out)["cube"]["id"])


def _live(memos_cli: Run) -> int:
    out = memos_cli("stats", "-u", "alice", "--json")
    assert out.code == 0, out.err
    return int(json.loads(out.out)["live"])


def test_search_by_session_finds_that_sessions_memories_only(memos_cli: Run) -> None:
    _add(memos_cli, "a memory of session one", "--session", "s1")
    _add(memos_cli, "a memory of session two", "--session", "s2")
    out = memos_cli("search", "memory", "-u", "alice", "--session", "s1", "--json")
    assert out.code == 0, out.err
    assert [h["cube"]["content"] for h in json.loads(out.out)] == ["a memory of session one"]
    # with another filter, both hold
    out = memos_cli("search", "memory", "-u", "alice", "--session", "s2",
                    "--filter", '{"kind": "fact"}', "--json")
    assert [h["cube"]["content"] for h in json.loads(out.out)] == ["a memory of session two"]


def test_purge_all_refuses_a_session_and_erases_nothing(memos_cli: Run) -> None:
    for session in ("s1", "s2"):
        _add(memos_cli, f"a memory of {session}", "--session", session)
    out = memos_cli("purge", "--all", "-u", "alice", "--session", "s1", "--yes")
    assert out.code == 2 and "--session" in out.err and "Traceback" not in out.err
    assert _live(memos_cli) == 2


@pytest.mark.parametrize("command", [
    ["show", "ID"], ["history", "ID"], ["diff", "ID"], ["forget", "ID"],
    ["update", "ID", "--content", "new"], ["rollback", "ID", "--to", "1"],
    ["link", "ID", "ID"], ["stats"], ["gc"], ["export", "-"], ["recall", "bees"],
    ["answer", "What does Alice keep?"], ["purge", "ID", "--yes"],
])
def test_a_command_where_a_session_means_nothing_refuses_it(memos_cli: Run,
                                                            command: list[str]) -> None:
    cube = _add(memos_cli, "Alice keeps bees", "--session", "s1")
    args = [cube if a == "ID" else a for a in command]
    out = memos_cli(*args, "-u", "alice", "--session", "s1")
    assert out.code == 2 and "No such option: --session" in out.err
    assert _live(memos_cli) == 1


def test_purge_all_with_an_agent_says_what_it_erases(memos_cli: Run) -> None:
    _add(memos_cli, "the user's own memory")
    out = memos_cli("purge", "--all", "-u", "alice", "--agent", "helper", stdin=b"")
    assert out.code == 2
    assert "agent helper" in out.err and "belongs to no agent" in out.err
    assert _live(memos_cli) == 1


def test_search_by_a_bad_session_or_filter_names_the_callers_mistake(memos_cli: Run) -> None:
    _add(memos_cli, "a memory of session one", "--session", "s1")
    out = memos_cli("search", "memory", "-u", "alice", "--session", "")
    assert out.code == 2 and "--session" in out.err  # not 0 hits
    out = memos_cli("search", "memory", "-u", "alice", "--session", "s1", "--filter", "[]")
    assert out.code == 2 and "filter must be a dict" in out.err and "'and'" not in out.err
