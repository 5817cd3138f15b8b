"""The admin CLI on every backend (SQLite folder, PostgreSQL URL + index folder)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rel_helpers import StoreSpec, run_cli


def test_cli_round_trip(store_spec: StoreSpec, tmp_path: Path,
                        capsys: pytest.CaptureFixture[str]) -> None:
    store = store_spec.cli_args()
    code, out, err = run_cli(capsys, "add", "Alice keeps bees", "-u", "alice", "--json", *store)
    assert code == 0, err
    cube_id = json.loads(out)["id"]
    assert run_cli(capsys, "update", cube_id, "-u", "alice", "--content",
                "Alice keeps bees and hens", *store)[0] == 0

    code, out, _ = run_cli(capsys, "search", "hens", "-u", "alice", "--json", *store)
    assert json.loads(out)[0]["cube"]["id"] == cube_id
    code, out, _ = run_cli(capsys, "history", cube_id, "-u", "alice", "--json", *store)
    assert [v["version"] for v in json.loads(out)] == [1, 2]
    code, _, err = run_cli(capsys, "show", cube_id, "-u", "bob", *store)
    assert code == 1 and err.startswith("error:")

    dump = tmp_path / "alice.jsonl"
    assert run_cli(capsys, "export", str(dump), "-u", "alice", *store)[0] == 0
    code, out, _ = run_cli(capsys, "stats", "--json", *store)
    stats = json.loads(out)
    assert (stats["backend"], stats["live"], stats["versions"]) == (store_spec.backend, 1, 2)
    code, out, _ = run_cli(capsys, "check", "--json", *store)
    assert code == 0 and json.loads(out)["ok"] is True
    code, out, _ = run_cli(capsys, "purge", "--all", "-u", "alice", "--yes", "--json", *store)
    assert code == 0 and json.loads(out)["cubes"] == 1
    code, out, _ = run_cli(capsys, "import", str(dump), "-u", "alice", "--json", *store)
    assert code == 0 and json.loads(out)["imported"] == 1
