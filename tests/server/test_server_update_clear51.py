"""`clear` in `PATCH /v1/memories/{id}` (and `memos.Client.update(clear=...)`) removes a
time; a null still changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def test_patch_clear(http_for: Callable[..., Any], client_for: Callable[..., Any],
                     new_user: Callable[[], str]) -> None:
    user = new_user()
    http = http_for(user)
    cid = http.post("/v1/memories", json={"content": "tea", "valid_to": "2030-01-01"}
                    ).json()["cube"]["id"]
    kept = http.patch(f"/v1/memories/{cid}", json={"valid_to": None, "importance": 0.9})
    assert kept.status_code == 200 and kept.json()["valid_to"] is not None
    cleared = http.patch(f"/v1/memories/{cid}", json={"clear": ["valid_to"]})
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["valid_to"] is None
    bad = http.patch(f"/v1/memories/{cid}", json={"clear": ["content"]})
    assert bad.status_code in (400, 422)
    client = client_for(user)
    client.update(cid, valid_from="2020-01-01")
    assert client.update(cid, clear=["valid_from"]).valid_from is None
