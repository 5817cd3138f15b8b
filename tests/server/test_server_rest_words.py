"""Errors over REST name REST calls: a forgotten memory's GET said "history() still lists
it" and a PATCH of nulls "update() needs at least one field" (SDK words; review finding)."""

from __future__ import annotations

from typing import Any

from memos.server.app import rest_words


def test_rest_words_name_rest_calls() -> None:
    assert rest_words("cube abc123 was forgotten; history() still lists it") == \
        "cube abc123 was forgotten; GET /v1/memories/abc123/history still lists it"
    assert rest_words("update() needs at least one field to change (content)").startswith(
        "PATCH /v1/memories/ID needs at least one field")
    assert rest_words("content is empty") == "content is empty"


def test_a_forgotten_memory_and_an_empty_patch_say_what_to_call(http_for: Any,
                                                                new_user: Any) -> None:
    api = http_for(new_user())
    cid = api.post("/v1/memories", json={"content": "Alice keeps bees"}).json()["id"]
    patched = api.patch(f"/v1/memories/{cid}", json={"tags": None})
    assert patched.status_code == 400
    detail = patched.json()["detail"]
    assert "PATCH /v1/memories/ID" in detail and "tags=[]" in detail and "update()" not in detail
    assert api.post(f"/v1/memories/{cid}/forget", json={}).status_code == 200
    gone = api.get(f"/v1/memories/{cid}")
    assert gone.status_code == 404
    assert f"GET /v1/memories/{cid}/history" in gone.json()["detail"]
    assert "history()" not in gone.json()["detail"]


def test_a_wrong_method_and_the_sdks_k_say_what_to_send(http_for: Any, new_user: Any) -> None:
    """Before: DELETE of a memory answered only "Method Not Allowed", and /v1/search given the
    SDK's `k` only "Extra inputs are not permitted"."""
    api = http_for(new_user())
    cid = api.post("/v1/memories", json={"content": "Alice keeps goats"}).json()["id"]
    deleted = api.delete(f"/v1/memories/{cid}")
    assert deleted.status_code == 405
    detail = deleted.json()["detail"]
    assert "it takes GET, PATCH" in detail and "POST /v1/memories/ID/forget" in detail
    assert api.get(f"/v1/memories/{cid}").status_code == 200  # nothing was forgotten
    searched = api.post("/v1/search", json={"query": "goats", "k": 5})
    assert searched.status_code == 422
    assert "takes limit" in searched.json()["detail"]
    assert api.post("/v1/search", json={"query": "goats", "limit": 5}).status_code == 200
    listed = api.delete("/v1/memories")
    assert listed.status_code == 405 and "it takes GET, POST" in listed.json()["detail"]
    assert "forget" not in api.delete("/v1/search").json()["detail"]
