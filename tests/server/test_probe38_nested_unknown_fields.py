"""An unknown key inside an item of a request body is a 422, as one at the top level is
(docs/SERVER.md). Before (probe 38): `{"sources": [{"kind": "message", "bogus": 1}]}` was a
200, the key silently dropped (SourceRef, the SDK's model, ignores extras)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

BAD_SOURCE = {"kind": "message", "bogus": 1}


def _refused(response: Any, *where: Any) -> None:
    """A 422 naming the unknown key at `where` (a batch item, which may be a string or an
    object, also gets the error of its string branch)."""
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["memos_error"] == "InvalidInputError"
    found = {tuple(e["loc"]): e["type"] for e in body["errors"]}
    assert found.get(tuple(where)) == "extra_forbidden", body
    assert all(loc[-1] == "str" for loc in found if loc != tuple(where)), body


@pytest.mark.parametrize(("path", "method", "body", "where"), [
    ("/v1/memories", "POST", {"content": "x", "sources": [BAD_SOURCE]},
     ("body", "sources", 0, "bogus")),
    ("/v1/memories/batch", "POST", {"items": [{"content": "x", "sources": [BAD_SOURCE]}]},
     ("body", "items", 0, "BatchItem", "sources", 0, "bogus")),
    ("/v1/memories/batch", "POST", {"items": [{"content": "x", "bogus": 1}]},
     ("body", "items", 0, "BatchItem", "bogus")),
])
def test_an_unknown_key_in_an_item_is_a_422(http_for: Callable[..., Any],
                                            new_user: Callable[[], str], path: str,
                                            method: str, body: dict[str, Any],
                                            where: tuple[Any, ...]) -> None:
    http = http_for(new_user())
    _refused(http.request(method, path, json=body), *where)
    assert http.get("/v1/memories").json()["items"] == []  # nothing was written


def test_supersede_refuses_an_unknown_key_in_a_source(http_for: Callable[..., Any],
                                                      new_user: Callable[[], str]) -> None:
    http = http_for(new_user())
    cid = http.post("/v1/memories", json={"content": "the old note"}).json()["id"]
    response = http.post(f"/v1/memories/{cid}/supersede",
                         json={"content": "the new note", "sources": [BAD_SOURCE]})
    _refused(response, "body", "sources", 0, "bogus")


def test_known_source_fields_still_reach_the_cube(http_for: Callable[..., Any],
                                                  new_user: Callable[[], str]) -> None:
    http = http_for(new_user())
    source = {"kind": "message", "ref": "m-1", "role": "user",
              "at": "2026-01-02T03:04:05+00:00", "text": "an excerpt"}
    response = http.post("/v1/memories", json={"content": "a sourced note",
                                               "sources": [source, {"kind": "document"}]})
    assert response.status_code == 200, response.text
    cube = http.get(f"/v1/memories/{response.json()['id']}").json()
    assert cube["sources"][0]["role"] == "user" and cube["sources"][0]["ref"] == "m-1"
    assert cube["sources"][0]["text"] == "an excerpt"
    assert cube["sources"][0]["at"].startswith("2026-01-02T03:04:05")
    assert cube["sources"][1]["kind"] == "document"


def test_stored_sources_with_extra_keys_still_load() -> None:
    """The wire refuses extras; the SDK's model, which reads stored cubes, still takes them."""
    from memos.cube import SourceRef

    assert SourceRef.model_validate({"kind": "message", "old_field": 1}).kind == "message"

