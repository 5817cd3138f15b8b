"""`memos ingest` shows each fact as it now is (a fact written already superseded, out of
date order, was shown "live"), with its whole id (12 characters no command took), and says
how many turns repeated an earlier one (the JSON lists an episode per turn)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import Run

LINES = [{"role": "user", "content": "I live in Paris.", "at": "2026-03-10T10:00:00Z"},
         {"role": "user", "content": "I live in Rome.", "at": "2026-03-01T10:00:00Z"},
         {"role": "user", "content": "I live in Rome.", "at": "2026-03-01T10:00:00Z"},
         {"role": "user", "content": "I used to work at Acme."}]


def _file(tmp_path: Path) -> str:
    path = tmp_path / "talk.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in LINES))
    return str(path)


def test_table_states_and_ids(memos_cli: Run, tmp_path: Path) -> None:
    out = memos_cli("ingest", _file(tmp_path), "--session", "a", "-u", "kim")
    assert out.code == 0, out.err
    rows = {line.split("│")[2].strip(): line for line in out.out.splitlines()
            if line.count("│") >= 4}
    assert "live" in rows["Kim's city is Paris."]
    assert "superseded" in rows["Kim's city is Rome."]
    assert "ended" in rows["Kim's employer was Acme."]
    cube_id = rows["Kim's city is Paris."].split("│")[1].strip()
    assert len(cube_id) == 32
    assert memos_cli("show", cube_id, "-u", "kim").code == 0
    assert "1 turn repeated an earlier one" in out.out


def test_json_says_what_each_fact_now_is(memos_cli: Run, tmp_path: Path) -> None:
    out = memos_cli("ingest", _file(tmp_path), "--session", "a", "-u", "kim", "--json")
    got = out.json()
    assert len(got["episodes"]) == 4 and len(set(got["episodes"])) == 3
    assert sorted(got["now"].values()).count("superseded") >= 1
    assert set(got["now"]) == set(got["facts"])
    assert {got["now"][i] for i in got["facts"]} == {"live", "superseded", "ended"}
