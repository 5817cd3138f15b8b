"""The REST server and memos.Client at their edges: a memory's kind only (memos' own kinds
refused, errors listing only a memory's kinds), metadata integers a filter can match, cube
ids with reserved characters sent and routed as one path segment, and the /mcp key gate
answering before the method check."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from memos.errors import InvalidInputError, NotFoundError

MEMORY_KINDS = "fact, preference, episode, event, profile, document, message"
INTERNAL = ("slots", "state", "adapter", "checkpoint")


def test_rest_refuses_memos_own_kinds_and_lists_only_a_memorys(
        http_for: Callable[..., Any], new_user: Callable[[], str]) -> None:
    http = http_for(new_user())
    cid = http.post("/v1/memories", json={"content": "Alice likes tea"}).json()["id"]
    for kind in INTERNAL:
        for method, path, body in (
                ("POST", "/v1/memories", {"content": "zz", "kind": kind}),
                ("POST", "/v1/memories/batch", {"items": [{"content": "zz", "kind": kind}]}),
                ("PATCH", f"/v1/memories/{cid}", {"kind": kind})):
            got = http.request(method, path, json=body)
            assert got.status_code == 400, (method, path, got.text)
            assert "memos gives its own" in got.json()["detail"]
    for got in (http.post("/v1/memories", json={"content": "zz", "kind": "bogus"}),
                http.get("/v1/memories", params={"kind": "bogus"}),
                http.post("/v1/search", json={"query": "tea", "kind": "bogus"})):
        assert got.status_code == 400, got.text
        detail = got.json()["detail"]
        assert MEMORY_KINDS in detail and not any(k in detail for k in INTERNAL), detail
    assert http.get(f"/v1/memories/{cid}").json()["kind"] == "fact"


def test_rest_refuses_metadata_integers_no_filter_can_match(
        http_for: Callable[..., Any], new_user: Callable[[], str]) -> None:
    http = http_for(new_user())
    got = http.post("/v1/memories", json={"content": "big int",
                                          "metadata": {"a": 99999999999999999999999}})
    assert got.status_code == 400 and "as a string" in got.json()["detail"], got.text
    cid = http.post("/v1/memories", json={"content": "small int", "metadata": {"a": 1}}
                    ).json()["id"]
    got = http.patch(f"/v1/memories/{cid}", json={"metadata": {"a": {"b": [-2**70]}}})
    assert got.status_code == 400 and "64-bit" in got.json()["detail"], got.text


@pytest.mark.parametrize("suffix", ["/history", "/../{id}", "/", "/forget", "?x=1", "#f",
                                    "%2F", "%", "/%2e%2e"])
def test_client_sends_a_cube_id_as_one_path_segment(
        client_for: Callable[..., Any], server_mem: Any, new_user: Callable[[], str],
        suffix: str) -> None:
    """Before: uvicorn decoded "%2F" and routed `<id>%2Fhistory` to the history endpoint
    (a StoreError: not a MemCube), and `<id>/../<id>` to no endpoint."""
    user = new_user()
    client = client_for(user)
    cid = client.add("Alice likes green tea").id
    odd = cid + suffix.replace("{id}", cid)
    with pytest.raises(NotFoundError) as sdk:
        server_mem.get(odd, user)
    for call in (lambda: client.get(odd), lambda: client.history(odd),
                 lambda: client.forget(odd), lambda: client.update(odd, content="x")):
        with pytest.raises(NotFoundError) as exc:
            call()
        assert odd in str(exc.value), str(exc.value)  # the id the SDK was asked for
    with pytest.raises(NotFoundError) as got:
        client.get(odd)
    assert str(got.value) == str(sdk.value)
    assert client.get(cid).id == cid and client.history(cid)[0].id == cid


def test_mcp_gate_answers_every_method_first(server_mem: Any) -> None:
    """MCP.md: every HTTP request to /mcp passes the key gate first; before, a GET, DELETE
    or PUT without a key got 405 (what /mcp serves) instead of 401."""
    from starlette.testclient import TestClient

    from memos.server.app import create_app

    _, key = server_mem.create_key("mcp-gate-user")
    app = create_app(server_mem, auth=True)
    with TestClient(app, base_url="http://127.0.0.1") as http:
        for method in ("GET", "DELETE", "PUT", "POST", "PATCH"):
            for headers in ({}, {"Authorization": "Bearer memos-kbad-nope"}):
                got = http.request(method, "/mcp", headers=headers)
                assert got.status_code == 401, (method, headers, got.text)
                assert got.headers["www-authenticate"] == "Bearer"
                assert got.json()["memos_error"] == "UnauthorizedError"
            if method != "POST":
                got = http.request(method, "/mcp", headers={"Authorization": f"Bearer {key}"})
                assert got.status_code == 405 and got.headers["allow"] == "POST", got.text


def test_client_and_sdk_refuse_the_same_kinds(client_for: Callable[..., Any],
                                              new_user: Callable[[], str]) -> None:
    client = client_for(new_user())
    with pytest.raises(InvalidInputError, match="memos gives its own"):
        client.add("zz", kind="slots")
