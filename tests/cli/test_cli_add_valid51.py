"""`memos add --valid-from/--valid-to` (the SDK's add took them; the CLI needed an add and
an update, two versions) and the future forms of a WHEN option ("tomorrow", "in 3 days")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from memos.cli.options import parse_when
from memos.errors import InvalidInputError
from tests.cli.conftest import Run


def test_add_with_validity(memos_cli: Run) -> None:
    out = memos_cli("add", "Alice lives in Lisbon", "-u", "alice", "--valid-from", "2024-03-01",
                    "--valid-to", "in 3 days", "--json")
    assert out.code == 0, out.err
    cube = out.json()["cube"]
    assert cube["valid_from"].startswith("2024-03-01") and cube["version"] == 1
    ends = datetime.fromisoformat(cube["valid_to"].replace("Z", "+00:00"))
    assert timedelta(days=2) < ends - datetime.now(UTC) <= timedelta(days=3)
    again = memos_cli("add", "Alice lives in Lisbon", "-u", "alice", "--valid-from",
                      "2024-04-01")
    assert "--valid-from not applied" in again.err and "--valid-from 2024-04-01" in again.err
    bad = memos_cli("add", "x", "-u", "alice", "--valid-from", "2025-01-01",
                    "--valid-to", "2024-01-01")
    assert bad.code == 2 and "Traceback" not in bad.err


def test_future_forms() -> None:
    now = datetime.now(UTC)
    tomorrow = parse_when("tomorrow", "--x")
    assert tomorrow is not None and tomorrow.date() == (now + timedelta(days=1)).date()
    ahead = parse_when("in 2 weeks", "--x")
    assert ahead is not None and timedelta(days=13) < ahead - now < timedelta(days=14, seconds=5)
    with pytest.raises(InvalidInputError, match="after the year 9999"):
        parse_when("in 99999 years", "--x")
    with pytest.raises(InvalidInputError, match="before the year 1"):
        parse_when("99999 years ago", "--x")
    with pytest.raises(InvalidInputError, match="after the year 9999"):
        parse_when("in " + "9" * 5000 + " weeks", "--x")
