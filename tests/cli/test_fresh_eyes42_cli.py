"""What a fresh-eyes user test found in the CLI on 2026-12-05 (session 42)."""

from __future__ import annotations

import json
from pathlib import Path


def test_an_import_that_refuses_every_line_fails_and_leaves_no_store(memos_cli,
                                                                       tmp_path: Path) -> None:
    """`memos import --on-error skip` of another user's export reported every line bad,
    imported nothing, exited 0 and left an empty store: a script could not tell it from an
    import."""
    memos_cli("add", "Alice keeps bees", "-u", "alice")
    dump = tmp_path / "alice.jsonl"
    assert memos_cli("export", str(dump), "-u", "alice").code == 0
    # each cube line names alice: bob's import refuses them all
    other = tmp_path / "fresh"
    run = memos_cli("import", str(dump), "-u", "bob", "--on-error", "skip", "--json",
                    "--store", str(other))
    assert run.code == 1 and "nothing was imported" in run.err
    assert json.loads(run.out)["imported"] == 0
    assert not other.exists()
    # some lines good: a success, as before
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text(dump.read_text() + "not json\n")
    run = memos_cli("import", str(mixed), "-u", "alice", "--on-error", "skip", "--store",
                    str(tmp_path / "copy"))
    assert run.code == 0, run.err


def test_meta_values_that_are_no_json_numbers(memos_cli) -> None:
    """`--meta x=nan` stored the text "nan" but `--meta x=Infinity` failed with "Out of
    range float values are not JSON compliant", saying nothing of what to do."""
    for raw, text in (("Infinity", "Ann keeps bees"), ("-Infinity", "Bo sails boats"),
                      ("NaN", "Cy paints walls")):
        run = memos_cli("add", text, "-u", "alice", "--meta", f"x={raw}", "--json")
        assert run.code == 0, run.err
        assert json.loads(run.out)["cube"]["metadata"] == {"x": raw}
    run = memos_cli("add", "note big", "-u", "alice", "--meta", "x=1e999")
    assert run.code == 2 and "too large to store" in run.err and "double quotes" in run.err


def test_neighbors_shows_a_memorys_links(memos_cli) -> None:
    """There was no way to see links from the CLI (`show` lists none): `memos neighbors`."""
    ids = [json.loads(memos_cli("add", text, "-u", "alice", "--json").out)["id"]
           for text in ("Ann keeps bees", "Ann sells honey at the market", "Bo fixes bikes")]
    assert memos_cli("link", ids[0], ids[1], "-u", "alice", "--relation", "about").code == 0
    found = json.loads(memos_cli("neighbors", ids[1], "-u", "alice", "--json").out)
    assert [(n["cube"]["id"], n["relation"], n["direction"]) for n in found] == [
        (ids[0], "about", "in")]
    shown = memos_cli("neighbors", ids[0], "-u", "alice")
    assert shown.code == 0 and "honey" in shown.out and "about" in shown.out
    assert json.loads(memos_cli("neighbors", ids[2], "-u", "alice", "--json").out) == []
    assert memos_cli("neighbors", ids[0], "-u", "bob").code != 0  # not bob's to read
