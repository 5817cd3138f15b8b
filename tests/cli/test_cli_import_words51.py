"""`memos import` names the cubes it kept as stored instead of the file's other version (the
advice to update or purge them named none), and its line errors say "field" for a line's
times, not "filter", and "at" once."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import Run


def test_differing_cubes_are_named(memos_cli: Run, tmp_path: Path) -> None:
    cid = memos_cli("add", "Carol likes tea", "-u", "carol", "--json").json()["cube"]["id"]
    dump = tmp_path / "e.jsonl"
    assert memos_cli("export", str(dump), "-u", "carol").code == 0
    assert memos_cli("update", cid, "-u", "carol", "--content", "Carol likes coffee").code == 0
    out = memos_cli("import", str(dump), "-u", "carol")
    assert out.code == 0, out.err
    assert "1 with another version or text in the file" in out.out and cid in out.out


def test_line_errors_say_what_they_are(memos_cli: Run, tmp_path: Path) -> None:
    memos_cli("add", "Carol likes tea", "-u", "carol")
    dump = tmp_path / "e.jsonl"
    assert memos_cli("export", str(dump), "-u", "carol").code == 0
    lines = dump.read_text().splitlines()
    cube = next(json.loads(x) for x in lines if '"type": "cube"' in x or '"type":"cube"' in x)
    cube["made"][0]["at"] = "not a time"
    bad = tmp_path / "bad.jsonl"
    bad.write_text(lines[0] + "\n" + json.dumps(cube) + "\n" + lines[1][:40] + "\n")
    out = memos_cli("import", str(bad), "-u", "carol")
    said = out.out + out.err
    assert "field 'made[0].at'" in said and "filter" not in said
    assert "not JSON (" in said and "at at" not in said
