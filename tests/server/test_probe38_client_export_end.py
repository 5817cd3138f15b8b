"""`Client.export` of a stream cut cleanly between lines (a proxy, a server that stopped
without an error) wrote a shorter export as if whole; the end line says what a whole one
holds (review, session 38)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from memos.errors import StoreError


def test_a_cut_export_stream_is_an_error_and_writes_no_file(
        server_mem: Any, client_for: Callable[..., Any], new_user: Callable[[], str],
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    client = client_for(new_user())
    client.add("kept one")
    client.add("kept two")
    whole = tmp_path / "whole.jsonl"
    report = client.export(dest=str(whole))
    assert report.cubes == 2 and whole.read_text().splitlines()[-1].startswith('{"cubes": 2')
    export = type(server_mem).export

    def cut(self: Any, scope: Any, dest: Any, **kwargs: Any) -> Any:
        class Short:  # every line but the last (the end line)
            def __init__(self) -> None:
                self.lines: list[str] = []

            def writelines(self, lines: Any) -> None:
                self.lines.extend(lines)

            def write(self, text: str) -> int:
                self.lines.append(text)
                return len(text)

        short = Short()
        out = export(self, scope, short, **kwargs)
        dest.writelines("".join(short.lines).splitlines(keepends=True)[:-1])
        return out

    monkeypatch.setattr(type(server_mem), "export", cut)
    path = tmp_path / "cut.jsonl"
    with pytest.raises(StoreError, match="cut off"):
        client.export(dest=str(path))
    assert not path.exists()
