"""POST /v1/import as a restore (found by a review): the ids it replaces are the same on
every import of a file, so sending a file twice (a retry) adds nothing, and a file cut into
parts (docs/SERVER.md, Limits) keeps the references between its parts; imported access
counts start afresh."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

NDJSON = {"Content-Type": "application/x-ndjson"}


def _export(api: Any) -> list[dict[str, Any]]:
    with api.stream("GET", "/v1/export") as response:
        assert response.status_code == 200
        return [json.loads(line) for line in response.iter_lines() if line]


def _body(lines: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(x) + "\n" for x in lines).encode()


def _seed(api: Any) -> list[dict[str, Any]]:
    first = api.post("/v1/memories", json={"content": "restored one"}).json()["id"]
    second = api.post("/v1/memories", json={
        "content": "restored two"}).json()["id"]
    api.post(f"/v1/memories/{first}/links", json={"dst_id": second})
    for _ in range(3):  # reads: access counts the restore must not carry over REST
        api.post("/v1/search", json={"query": "restored", "limit": 5})
    return _export(api)


def test_importing_one_file_twice_over_rest_adds_nothing(
        http_for: Callable[..., Any], new_user: Callable[[], str]) -> None:
    user = new_user()
    lines = _seed(http_for(user))
    assert any(x["cube"]["access"]["hits"] for x in lines if x.get("type") == "cube")
    target = new_user()
    api = http_for(target)
    body = _body(lines).replace(user.encode(), target.encode())
    first = api.post("/v1/import", content=body, headers=NDJSON).json()
    again = api.post("/v1/import", content=body, headers=NDJSON).json()
    assert (first["imported"], first["edges"], first["errors"]) == (2, 1, [])
    assert (again["imported"], again["edges"], again["skipped_existing"]) == (0, 0, 2)
    assert again["renamed"] == first["renamed"] and len(first["renamed"]) == 2
    stats = api.get("/v1/stats").json()
    assert (stats["live"], stats["edges"]) == (2, 1)
    restored = [x for x in _export(api) if x.get("type") == "cube"]
    assert all(x["cube"]["access"] == {"hits": 0, "last_access": None} for x in restored)


def test_a_file_sent_in_parts_keeps_the_references_between_them(
        http_for: Callable[..., Any], new_user: Callable[[], str]) -> None:
    user = new_user()
    lines = _seed(http_for(user))
    cubes = [x for x in lines if x.get("type") == "cube"]
    edges = [x for x in lines if x.get("type") == "edge"]
    assert len(cubes) == 2 and len(edges) == 1
    target = new_user()
    api = http_for(target)
    parts = [[lines[0], cubes[0]], [cubes[1], *edges]]
    for _ in range(2):  # and a retry of both parts adds nothing
        for part in parts:
            body = _body(part).replace(user.encode(), target.encode())
            report = api.post("/v1/import", content=body, headers=NDJSON).json()
            assert report["errors"] == [], report
    stats = api.get("/v1/stats").json()
    assert (stats["live"], stats["edges"]) == (2, 1)


def test_a_sibling_agents_public_cube_in_the_file_does_not_block_the_import(
        server_mem: Any, http_for: Callable[..., Any], new_user: Callable[[], str]) -> None:
    """Every export of an agent's scope holds its siblings' shared and public cubes; the
    import leaves those to their agent (`left`), so a key that may not publish is not
    refused for them (it still is for a public cube of its own scope)."""
    from memos import Scope

    user = new_user()
    server_mem.add("b2's public announcement",
                   Scope(user_id=user, agent_id="b2", visibility="public"))
    b1 = http_for(user, "b1")
    b1.post("/v1/memories", json={"content": "b1's own note"})
    lines = _export(b1)
    assert any(x["cube"]["scope"]["agent_id"] == "b2" for x in lines if x.get("type") == "cube")
    report = b1.post("/v1/import", content=_body(lines), headers=NDJSON)
    assert report.status_code == 200, report.text
    assert len(report.json()["left"]) == 1 and report.json()["errors"] == []
    own = [x for x in lines if x.get("type") == "cube" and x["cube"]["scope"]["agent_id"] == "b1"]
    own[0]["cube"]["scope"]["visibility"] = "public"
    refused = b1.post("/v1/import", content=_body([own[0]]), headers=NDJSON)
    assert refused.status_code == 403


def test_a_decomposed_agent_id_is_the_callers_own_for_the_publisher_check(
        http_for: Callable[..., Any], new_user: Callable[[], str]) -> None:
    """The check that leaves sibling agents' lines to them reads agent ids as the import
    does (NFC): a public cube of the caller's own agent spelled decomposed ("cafe\\u0301"
    for "café") is still the caller's, and still needs a key that may publish."""
    user = new_user()
    api = http_for(user, "café")
    api.post("/v1/memories", json={"content": "a note of the café agent"})
    lines = _export(api)
    line = next(x for x in lines if x.get("type") == "cube")
    line["cube"]["id"] = "f" * 32
    line["cube"]["scope"]["agent_id"] = "cafe\u0301"
    line["cube"]["scope"]["visibility"] = "public"
    refused = api.post("/v1/import", content=_body([line]), headers=NDJSON)
    assert refused.status_code == 403, refused.text


def test_with_on_error_skip_a_public_line_is_skipped_not_the_whole_file(
        http_for: Callable[..., Any], new_user: Callable[[], str]) -> None:
    """A fresh-eyes test: one public line refused a key's whole import (403) even with
    on_error=skip, whose promise is to import the good lines. The line is now a bad line,
    skipped with the publisher's reason; on_error=abort still answers 403."""
    user = new_user()
    api = http_for(user)
    for text in ("Ann keeps bees", "Bo fixes bikes"):
        api.post("/v1/memories", json={"content": text})
    lines = _export(api)
    cubes = [i for i, x in enumerate(lines) if x.get("type") == "cube"]
    lines[cubes[0]]["cube"]["scope"]["visibility"] = "public"
    other = new_user()
    target = http_for(other)
    body = _body(lines).replace(user.encode(), other.encode())
    refused = target.post("/v1/import", content=body, headers=NDJSON)
    assert refused.status_code == 403 and "with on_error=skip they are skipped" in refused.text
    report = target.post("/v1/import", params={"on_error": "skip"}, content=body,
                         headers=NDJSON).json()
    assert report["imported"] == 1
    assert [n for n, _ in report["errors"]] == [cubes[0] + 1]
    assert "only an admin key may import" in report["errors"][0][1]


def test_an_edge_line_is_held_to_links_rules(server_mem: Any, http_for: Callable[..., Any],
                                              new_user: Callable[[], str]) -> None:
    """An attacker helper (2026-12-05): an edge line in /v1/import linked from a public cube
    with a key that is not an admin's (POST .../links answers 403), and to or from the
    caller's forgotten cube (link refuses it)."""
    from memos import Scope

    user = new_user()
    api = http_for(user)
    pub = server_mem.add("public note about rivers", Scope(user_id=user, visibility="public")).id
    mine = api.post("/v1/memories", json={"content": "my note about deserts"}).json()["id"]
    gone = api.post("/v1/memories", json={"content": "my note about glaciers"}).json()["id"]
    api.post(f"/v1/memories/{gone}/forget", json={})
    assert api.post(f"/v1/memories/{pub}/links", json={"dst_id": mine}).status_code == 403
    header = {"format": "memos-export/1"}
    lines = [{"type": "edge", "src": pub, "dst": mine, "relation": "r", "weight": 1.0},
             {"type": "edge", "src": pub, "dst": "entity:zebra", "relation": "r", "weight": 1.0},
             {"type": "edge", "src": mine, "dst": gone, "relation": "r", "weight": 1.0},
             {"type": "edge", "src": gone, "dst": mine, "relation": "r", "weight": 1.0}]
    report = api.post("/v1/import", params={"on_error": "skip"},
                      content=_body([header, *lines]), headers=NDJSON).json()
    assert report["edges"] == 0
    assert [n for n, _ in report["errors"]] == [2, 3, 4, 5]
    assert "only an admin key may link" in report["errors"][0][1]
    assert "forgotten" in report["errors"][2][1]
    assert api.get(f"/v1/memories/{pub}/neighbors").json()["items"] == []
    # the same edge line from the caller's own live cube goes in
    ok = api.post("/v1/import", content=_body([header, {**lines[2], "dst": pub}]),
                  headers=NDJSON).json()
    assert ok["edges"] == 1 and ok["errors"] == []
