"""The `memos` program as a separate process, the way a shell script uses it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

MEMOS = [sys.executable, "-c", "from memos.cli.app import main; main()"]


def _memos(*args: str, env: dict[str, str], stdin: bytes | None = None
           ) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([*MEMOS, *args], input=stdin, capture_output=True, env=env,
                          timeout=120)


def test_pipe_in_json_out_and_error_exit_code(tmp_path: Path) -> None:
    env = {**os.environ, "MEMOS_URL": str(tmp_path / "store"), "MEMOS_USER": "alice",
           "COLUMNS": "100"}
    added = _memos("add", "-", "--json", env=env, stdin=b"Alice keeps bees on her roof")
    assert added.returncode == 0, added.stderr.decode()
    cube_id = json.loads(added.stdout)["id"]

    found = _memos("search", "bees", "--json", env=env)
    assert found.returncode == 0
    assert json.loads(found.stdout)[0]["cube"]["id"] == cube_id

    missing = _memos("show", "0" * 32, env=env)
    assert missing.returncode == 1
    err = missing.stderr.decode()
    assert err.startswith("error:") and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1

