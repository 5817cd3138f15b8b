"""`memos diff` refuses what compares nothing or runs backwards (`--to 1` printed "v1 ->
v1: no changes"; `--from 4 --to 1` diffed backwards) and prints its title unwrapped (a
narrow table folded the cube id in two)."""

from __future__ import annotations

import pytest

from memos import MemOS
from memos.errors import InvalidInputError, NotFoundError
from tests.cli.conftest import Run


def test_sdk_diff_orders(tmp_path) -> None:
    with MemOS.open(tmp_path / "s") as mem:
        cid = mem.add("tea", "fay").id
        with pytest.raises(InvalidInputError, match="one version"):
            mem.diff(cid, "fay")
        mem.update(cid, "fay", content="green tea")
        mem.update(cid, "fay", content="oolong tea")
        with pytest.raises(InvalidInputError, match="no version before 1"):
            mem.diff(cid, "fay", to_version=1)
        with pytest.raises(InvalidInputError, match="older version first"):
            mem.diff(cid, "fay", 3, 1)
        with pytest.raises(NotFoundError, match="history lists them"):
            mem.diff(cid, "fay", 1, 7)
        assert mem.diff(cid, "fay", 2, 2).changes == {}
        assert mem.diff(cid, "fay").from_version == 2
        assert mem.diff(cid, "fay", 1).to_version == 3


def test_cli_title_whole(memos_cli: Run) -> None:
    out = memos_cli("add", "tea", "-u", "fay", "--json")
    cid = out.json()["cube"]["id"]
    assert memos_cli("update", cid, "-u", "fay", "--importance", "0.9").code == 0
    shown = memos_cli("diff", cid, "-u", "fay")
    assert shown.code == 0 and f"{cid}: v1 -> v2" in shown.out
    back = memos_cli("diff", cid, "-u", "fay", "--from", "2", "--to", "1")
    assert back.code == 2 and "older version first" in back.err and "Traceback" not in back.err
