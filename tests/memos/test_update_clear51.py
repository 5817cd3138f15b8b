"""`update(clear=[...])` removes a time: valid_to (an end a forgotten change had scheduled),
valid_from, expires_at (which renews a memory past its TTL). Before, a None meant "keep" and
nothing could remove a time once set, though docs/SDK.md said an update undoes the end.
Also over REST (`clear` in the PATCH body), `memos.Client.update` and the CLI."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from memos import MemOS
from memos.errors import InvalidInputError


@pytest.fixture
def mem(tmp_path: Path):
    with MemOS.open(tmp_path / "s") as store:
        yield store


def test_clearing_the_end_a_forgotten_change_set(mem) -> None:
    meta = {"subject": "fay", "attribute": "employer"}
    acme = mem.add("Fay works at Acme.", "fay", metadata={**meta, "value": "Acme"},
                   valid_from="2022-01-01").id
    later = mem.add("Fay works at DeepMind.", "fay", metadata={**meta, "value": "DeepMind"},
                    valid_from="2030-01-01").id
    assert mem.get(acme, "fay").valid_to == datetime(2030, 1, 1, tzinfo=UTC)
    mem.forget(later, "fay")
    cube = mem.update(acme, "fay", clear=["valid_to"], reason="the move fell through")
    assert cube.valid_to is None and cube.valid_from == datetime(2022, 1, 1, tzinfo=UTC)
    assert cube.version == 3 and mem.history(acme, "fay")[1].valid_to is not None


def test_clearing_valid_from_and_expiry(mem) -> None:
    soon = datetime.now(UTC) + timedelta(days=1)
    cid = mem.add("tea", "fay", valid_from="2020-01-01", expires_at=soon).id
    cube = mem.update(cid, "fay", clear=("valid_from", "expires_at"))
    assert cube.valid_from is None and cube.expires_at is None


def test_clearing_an_expiry_renews_an_expired_memory(mem) -> None:
    cid = mem.add("tea", "fay", expires_at=datetime.now(UTC) + timedelta(seconds=1)).id
    mem.update(cid, "fay", expires_at=datetime.now(UTC) - timedelta(seconds=1))
    cube = mem.update(cid, "fay", clear=["expires_at"])
    assert cube.expires_at is None and mem.get(cid, "fay").content == "tea"


@pytest.mark.parametrize("clear", [["content"], "valid_to", [1], {"valid_to": 1}])
def test_bad_clear_is_refused(mem, clear) -> None:
    cid = mem.add("tea", "fay").id
    with pytest.raises(InvalidInputError, match="clear names the times"):
        mem.update(cid, "fay", clear=clear)


def test_a_time_given_and_cleared_is_refused(mem) -> None:
    cid = mem.add("tea", "fay", valid_to="2030-01-01").id
    with pytest.raises(InvalidInputError, match="not both"):
        mem.update(cid, "fay", valid_to="2031-01-01", clear=["valid_to"])
    with pytest.raises(InvalidInputError, match="changes nothing"):
        mem.update(mem.add("milk", "fay").id, "fay", clear=["valid_to"])  # none to clear
    assert mem.get(cid, "fay").valid_to == datetime(2030, 1, 1, tzinfo=UTC)
