"""`memos update` sets what the SDK's update may change: confidence, validity and expiry
(a fresh-eyes review found an expired memory could not be renewed from the CLI, and the
error named `expires_at`, an option the CLI did not have)."""

from __future__ import annotations

import json
import time
from typing import Any


def test_update_renews_an_expired_memory_and_sets_validity(memos_cli: Any) -> None:
    added = memos_cli("add", "short lived", "--ttl", "1", "-u", "alice", "--json")
    cube_id = json.loads(added.out)["id"]
    time.sleep(1.5)
    shown = memos_cli("show", cube_id, "-u", "alice")
    assert shown.code == 1 and "expired at" in shown.err
    assert f"memos update {cube_id} --ttl" in " ".join(shown.err.split())
    refused = memos_cli("update", cube_id, "--importance", "0.9", "-u", "alice")
    assert refused.code == 1 and "--ttl SECONDS" in refused.err
    assert "expires_at" not in refused.err
    assert memos_cli("update", cube_id, "--ttl", "3600", "-u", "alice").code == 0
    done = memos_cli("update", cube_id, "--valid-from", "2026-01-01", "--valid-to",
                     "2026-02-01T12:00", "--confidence", "0.5", "-u", "alice", "--json")
    cube = json.loads(done.out)
    assert cube["valid_from"].startswith("2026-01-01T00:00:00")
    assert cube["valid_to"].startswith("2026-02-01T12:00:00") and cube["confidence"] == 0.5
    assert json.loads(memos_cli("show", cube_id, "-u", "alice", "--json").out)["version"] == 3


def test_update_refuses_bad_times_and_changes_nothing(memos_cli: Any) -> None:
    cube_id = json.loads(memos_cli("add", "a note", "-u", "alice", "--json").out)["id"]
    both = memos_cli("update", cube_id, "--ttl", "5", "--expires-at", "now", "-u", "alice")
    assert both.code == 2 and "give one" in both.err
    negative = memos_cli("update", cube_id, "--ttl", "-1", "-u", "alice")
    assert negative.code == 2 and "positive number of seconds" in negative.err
    soon = memos_cli("update", cube_id, "--valid-from", "soon", "-u", "alice")
    assert soon.code == 2 and "--valid-from takes" in soon.err
    assert memos_cli("update", cube_id, "--confidence", "2", "-u", "alice").code == 2
    assert json.loads(memos_cli("show", cube_id, "-u", "alice", "--json").out)["version"] == 1
