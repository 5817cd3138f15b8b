"""Promises of docs/SDK.md checked against memos.Client (docs review 34).

"No public method raises TypeError ... for a bad argument" and bad input "leaves the store
unchanged" (docs/SDK.md, "Conventions"): `progress=` that is not a function is an
InvalidInputError before any request, as `MemOS` and `Client.ingest` have it. It was a
TypeError raised after the batch had been written (add_many) or the file imported."""

from __future__ import annotations

from typing import Any

import pytest

httpx = pytest.importorskip("httpx")

import memos  # noqa: E402
from memos.errors import InvalidInputError  # noqa: E402


def _client(sent: list[Any]) -> memos.Client:
    def handler(request: Any) -> Any:
        sent.append(request)
        return httpx.Response(500, json={"detail": "no request was expected"})
    return memos.Client("http://memos.test", "memos-k0-secret",
                        transport=httpx.MockTransport(handler))


@pytest.mark.parametrize("progress", [5, "x", True, [1], object()])
def test_client_progress_not_a_function_is_refused_before_any_request(
        progress: Any, tmp_path: Any) -> None:
    export = tmp_path / "alice.jsonl"
    export.write_text('{"format": "memos-export/1", "user_id": "alice"}\n', encoding="utf-8")
    sent: list[Any] = []
    client = _client(sent)
    calls = {"add_many": lambda: client.add_many(["Alice lives in Lisbon."], progress=progress),
             "import_": lambda: client.import_(str(export), progress=progress),
             "reindex": lambda: client.reindex(progress=progress),
             "ingest": lambda: client.ingest([{"role": "user", "content": "hi"}],
                                             session_id="s1", progress=progress)}
    for name, call in calls.items():
        with pytest.raises(InvalidInputError, match="progress must be a function"):
            call()
        assert sent == [], name  # nothing was sent, so nothing was written
