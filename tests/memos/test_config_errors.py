"""Settings refuse bad values with memos's own error, naming the setting and what it got,
when made and when changed on an open store (pydantic's ValidationError never reaches a user)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from memos import MemOS
from memos.config import MemosConfig, RetrievalConfig
from memos.errors import InvalidInputError, MemosError


@pytest.mark.parametrize(("make", "named"), [
    (lambda: RetrievalConfig(candidates=0), "RetrievalConfig.candidates"),
    (lambda: RetrievalConfig(search_concurrency="many"), "RetrievalConfig.search_concurrency"),
    (lambda: RetrievalConfig(fulltext_in_memory="perhaps"), "RetrievalConfig.fulltext_in_memory"),
    (lambda: MemosConfig(vector_index="kd-tree"), "MemosConfig.vector_index"),
    (lambda: MemosConfig(flat_max="lots"), "MemosConfig.flat_max"),
    (lambda: MemosConfig(retrieval={"rrf_k": -1}), "RetrievalConfig.rrf_k"),
])
def test_a_bad_setting_is_a_memos_error_naming_it(make: object, named: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        make()  # type: ignore[operator]
    assert not isinstance(caught.value, ValidationError)
    assert isinstance(caught.value, MemosError) and isinstance(caught.value, ValueError)
    message = str(caught.value)
    assert named in message and "(got " in message and "docs/SDK.md" in message


def test_a_setting_changed_on_an_open_store_is_checked(tmp_path: Path) -> None:
    with MemOS.open(tmp_path / "s") as mem:
        mem.add("the heron stood in the garden", "alice")
        with pytest.raises(InvalidInputError, match="RetrievalConfig.candidates"):
            mem.config.retrieval.candidates = -3
        with pytest.raises(InvalidInputError, match="MemosConfig.save_every"):
            mem.config.save_every = 0
        assert mem.config.retrieval.candidates == 50 and mem.config.save_every == 5000
        mem.config.retrieval.candidates = 20  # a good value is taken
        assert mem.config.retrieval.candidates == 20
        assert mem.search("heron", "alice")[0].cube.content.startswith("the heron")
