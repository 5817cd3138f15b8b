"""The `memos` commands end to end through the real entry point: tables, --json, stdin."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

Run = Callable[..., Any]  # the `memos_cli` fixture of conftest.py

COMMANDS = ["init", "add", "search", "show", "history", "diff", "rollback", "forget", "purge",
            "link", "stats", "export", "import", "check", "reindex", "gc", "update"]


def _add(memos_cli: Run, text: str, user: str = "alice", *extra: str) -> str:
    result = memos_cli("add", text, "-u", user, "--json", *extra)
    assert result.code == 0, result.err
    return result.json()["id"]


@pytest.mark.parametrize("command", COMMANDS)
def test_help_teaches_a_summary_and_an_example(memos_cli: Run, command: str) -> None:
    result = memos_cli(command, "--help")
    assert result.code == 0
    assert "Example:" in result.out
    assert f"memos {command}" in result.out


def test_init_then_stats(memos_cli: Run, store: str) -> None:
    result = memos_cli("init")
    assert result.code == 0 and "store ready" in result.out and "sqlite" in result.out
    assert Path(store, "memos.db").exists()
    stats = memos_cli("stats", "--json").json()
    assert (stats["backend"], stats["cubes"], stats["live"]) == ("sqlite", 0, 0)


def test_add_and_search_show_why_each_hit_was_found(memos_cli: Run) -> None:
    tea = _add(memos_cli, "Alice prefers green tea in the morning", "alice", "--kind",
               "preference", "--tag", "drinks")
    _add(memos_cli, "Alice is allergic to peanuts")
    _add(memos_cli, "Bob drinks green tea too", "bob")

    table = memos_cli("search", "green tea", "-u", "alice")
    assert table.code == 0
    assert "why" in table.out and tea in table.out and "Bob" not in table.out
    assert "dense#" in table.out or "fulltext#" in table.out

    hits = memos_cli("search", "green tea", "-u", "alice", "--json").json()
    assert hits[0]["cube"]["id"] == tea and hits[0]["rank"] == 1
    assert set(hits[0]["retrievers"]) <= {"dense", "fulltext", "graph"}
    assert hits[0]["retrievers"] and hits[0]["score"] > 0
    assert all(h["cube"]["scope"]["user_id"] == "alice" for h in hits)

    only_prefs = memos_cli("search", "alice", "-u", "alice", "--kind", "preference", "--json")
    assert [h["cube"]["id"] for h in only_prefs.json()] == [tea]


def test_add_reads_stdin_and_dedups(memos_cli: Run) -> None:
    first = memos_cli("add", "-", "-u", "alice", "--json", stdin=b"Alice plays the cello\n")
    assert first.code == 0 and first.json()["action"] == "added"
    again = memos_cli("add", "Alice plays the cello", "-u", "alice", "--json")
    assert again.json()["action"] == "duplicate" and again.json()["id"] == first.json()["id"]
    shown = memos_cli("show", first.json()["id"], "-u", "alice", "--json")
    assert shown.json()["content"] == "Alice plays the cello"  # stdin's newline dropped


def test_update_history_diff_rollback(memos_cli: Run) -> None:
    cube = _add(memos_cli, "Alice lives in Porto")
    assert memos_cli("update", cube, "-u", "alice", "--content", "Alice lives in Lisbon").code == 0

    history = memos_cli("history", cube, "-u", "alice", "--json").json()
    assert [(v["version"], v["content"]) for v in history] == [
        (1, "Alice lives in Porto"), (2, "Alice lives in Lisbon")]
    table = memos_cli("history", cube, "-u", "alice")
    assert "Porto" in table.out and "Lisbon" in table.out

    delta = memos_cli("diff", cube, "-u", "alice", "--json").json()
    assert (delta["from_version"], delta["to_version"]) == (1, 2)
    assert delta["changes"]["content"] == ["Alice lives in Porto", "Alice lives in Lisbon"]
    shown_diff = memos_cli("diff", cube, "-u", "alice")
    assert "-Alice lives in Porto" in shown_diff.out and "+Alice lives in Lisbon" in shown_diff.out

    back = memos_cli("rollback", cube, "-u", "alice", "--to", "1", "--json").json()
    assert (back["version"], back["content"]) == (3, "Alice lives in Porto")
    assert memos_cli("show", cube, "-u", "alice", "--json").json()["version"] == 3
    old = memos_cli("show", cube, "-u", "alice", "--version", "2", "--json").json()
    assert old["content"] == "Alice lives in Lisbon"


def test_forget_removes_from_reads_and_export(memos_cli: Run) -> None:
    keep = _add(memos_cli, "Alice likes sailing")
    gone = _add(memos_cli, "Alice's passport number is X1234567")
    assert "forgot" in memos_cli("forget", gone, "-u", "alice", "--reason", "asked").out

    shown = memos_cli("show", gone, "-u", "alice")
    assert shown.code == 1 and len(shown.err_lines) == 1
    hits = memos_cli("search", "passport number", "-u", "alice", "--json").json()
    assert gone not in [h["cube"]["id"] for h in hits]
    exported = memos_cli("export", "-u", "alice").out
    assert "X1234567" not in exported and keep in exported
    states = [v["state"] for v in memos_cli("history", gone, "-u", "alice", "--json").json()]
    assert states == ["active", "forgotten"]


def test_purge_needs_confirmation_then_erases(memos_cli: Run) -> None:
    cube = _add(memos_cli, "Bob's address is 1 Main St", "bob")
    refused = memos_cli("purge", cube, "-u", "bob")
    assert refused.code == 2 and "--yes" in refused.err
    report = memos_cli("purge", cube, "-u", "bob", "--yes", "--json").json()
    assert report["cube_ids"] == [cube] and report["versions"] == 1
    assert memos_cli("history", cube, "-u", "bob").code == 1


def test_purge_all_names_the_keys_that_still_work(memos_cli: Run) -> None:
    """An "account deleted" purge erased the memories and left the user's API keys working,
    without a word (a fresh-eyes operator, session 46)."""
    _add(memos_cli, "Bob's address is 1 Main St", "bob")
    key = memos_cli("keys", "create", "--user", "bob", "--json").json()["key"]["key_id"]
    done = memos_cli("purge", "--all", "-u", "bob", "--yes", "--json")
    assert done.code == 0 and done.json()["cube_ids"]
    assert f"memos keys revoke {key}" in done.err and "still works" in done.err
    assert memos_cli("keys", "revoke", key).code == 0
    assert "keys revoke" not in memos_cli("purge", "--all", "-u", "bob", "--yes").err


def test_update_to_a_past_expiry_warns(memos_cli: Run) -> None:
    cube = _add(memos_cli, "Alice's locker code is 4411")
    done = memos_cli("update", cube, "-u", "alice", "--expires-at", "2020-01-01")
    assert done.code == 0 and "now past" in done.err and "renews it" in done.err
    assert memos_cli("show", cube, "-u", "alice").code == 1
    later = memos_cli("update", cube, "-u", "alice", "--expires-at", "2099-01-01")
    assert later.code == 0 and "warning" not in later.err


def test_link_and_graph_neighbours_feed_search(memos_cli: Run) -> None:
    a = _add(memos_cli, "Alice works at Acme")
    b = _add(memos_cli, "Acme builds rockets")
    edge = memos_cli("link", a, b, "-u", "alice", "--relation", "about", "--json").json()
    assert (edge["src"], edge["dst"], edge["relation"]) == (a, b, "about")
    assert memos_cli("stats", "-u", "alice", "--json").json()["edges"] >= 1


def test_export_import_round_trip_with_progress(memos_cli: Run, tmp_path: Path) -> None:
    for text in ("Alice prefers green tea", "Alice moved to Lisbon", "Alice runs marathons"):
        _add(memos_cli, text)
    dump = tmp_path / "alice.jsonl"
    written = memos_cli("export", str(dump), "-u", "alice", "--json").json()
    assert written["cubes"] == 3 and dump.exists()
    assert memos_cli("export", "-u", "alice").out.splitlines()[1:] == \
        dump.read_text().splitlines()[1:]  # stdout export equals the file (after the header)

    other = str(tmp_path / "other")
    imported = memos_cli("import", str(dump), "-u", "alice", "--store", other, "--json")
    assert imported.code == 0 and imported.json()["imported"] == 3
    again = memos_cli("export", "-u", "alice", "--store", other).out
    assert again.splitlines()[1:] == dump.read_text().splitlines()[1:]


def test_import_reports_bad_lines_by_number(memos_cli: Run, tmp_path: Path) -> None:
    _add(memos_cli, "Alice prefers green tea")
    lines = memos_cli("export", "-u", "alice").out.splitlines()
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join([lines[0], "{not json", lines[1], '{"type": "cube"}']) + "\n")
    other = str(tmp_path / "other")

    aborted = memos_cli("import", str(bad), "-u", "alice", "--store", other)
    assert aborted.code == 2
    assert "line 2" in aborted.err and "line 4" in aborted.err
    assert not Path(other).exists()  # nothing imported: no new store left behind either

    skipped = memos_cli("import", str(bad), "-u", "alice", "--store", other,
                        "--on-error", "skip", "--json")
    assert skipped.code == 0
    report = skipped.json()
    assert report["imported"] == 1 and [e[0] for e in report["errors"]] == [2, 4]
    assert "line 2" in skipped.err


def test_check_reindex_gc_json(memos_cli: Run) -> None:
    _add(memos_cli, "Alice prefers green tea")
    _add(memos_cli, "Alice's coupon expires soon", "alice", "--ttl", "0.001")
    check = memos_cli("check", "--json")
    assert check.code == 0 and check.json()["ok"] is True
    assert set(check.json()["indexes"]) == {"vector", "fulltext", "graph"}
    reindexed = memos_cli("reindex", "--json")
    assert reindexed.code == 0 and reindexed.json()["cubes"] >= 1
    archived = memos_cli("gc", "--json").json()["archived"]
    assert len(archived) == 1
    assert "consistent" in memos_cli("check").out


def test_every_read_command_prints_only_json(memos_cli: Run) -> None:
    cube = _add(memos_cli, "Alice prefers green tea")
    memos_cli("update", cube, "-u", "alice", "--content", "Alice prefers black tea")
    for args in (("search", "tea", "-u", "alice"), ("show", cube, "-u", "alice"),
                 ("history", cube, "-u", "alice"), ("diff", cube, "-u", "alice"),
                 ("stats",), ("check",), ("gc",)):
        result = memos_cli(*args, "--json")
        assert result.code == 0, (args, result.err)
        json.loads(result.out)  # the whole of stdout parses


def test_check_finds_a_damaged_index_and_repair_fixes_it(memos_cli: Run, store: str) -> None:
    import sqlite3

    tea = _add(memos_cli, "Alice prefers green tea")
    _add(memos_cli, "Alice moved to Lisbon")
    with sqlite3.connect(Path(store, "memos.db")) as db:  # lose one full-text row behind memos' back
        db.execute("DELETE FROM cube_fts WHERE rowid = (SELECT pk FROM cubes WHERE id = ?)", (tea,))

    damaged = memos_cli("check")
    assert damaged.code == 1 and "NO" in damaged.out
    assert "check --repair" in damaged.err_lines[-1]
    report = memos_cli("check", "--json")
    assert report.code == 1 and report.json()["indexes"]["fulltext"]["missing"] == [tea]

    repaired = memos_cli("check", "--repair")
    assert repaired.code == 0 and "repaired" in repaired.out
    assert memos_cli("check", "--json").json()["ok"] is True
    hits = memos_cli("search", "green tea", "-u", "alice", "--json").json()
    assert "fulltext" in hits[0]["retrievers"]


def test_reindex_switches_the_embedder_for_later_commands(memos_cli: Run) -> None:
    cube = _add(memos_cli, "Alice prefers green tea")
    report = memos_cli("reindex", "--embedder", "hashing:128", "--json")
    assert report.code == 0 and report.json()["embedder"] == "hashing-v1:128"
    stats = memos_cli("stats", "--json").json()  # a new process-like open: recorded embedder
    assert (stats["dim"], stats["vectors"]) == (128, 1)
    hits = memos_cli("search", "green tea", "-u", "alice", "--json").json()
    assert hits[0]["cube"]["id"] == cube and "dense" in hits[0]["retrievers"]


def test_gc_says_how_many_unreferenced_blobs_it_deleted(memos_cli: Run, store: str) -> None:
    _add(memos_cli, "Alice prefers green tea")
    stray = Path(store) / "blobs" / "ab" / ("ab" * 32 + ".safetensors")  # a file no row names
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"left by a failed write")
    result = memos_cli("gc")
    assert result.code == 0, result.err
    assert "archived 0 expired cube(s)" in result.out
    assert "deleted 1 unreferenced activation blob(s)" in result.out
    assert not stray.exists()


def test_export_json_without_a_file_is_refused_not_json_lines(memos_cli: Run) -> None:
    # --json promises one JSON document on stdout; without FILE stdout is the export itself
    _add(memos_cli, "Alice prefers green tea")
    result = memos_cli("export", "-u", "alice", "--json")
    assert result.code == 2
    assert result.json()["error"]["exit_code"] == 2  # --json's error object, no export lines
    assert result.err_lines[-1].startswith("error:") and "FILE" in result.err
