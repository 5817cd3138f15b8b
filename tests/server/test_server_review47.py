"""Review 47 of the REST API, the Python client and the SDK: forged search cursors, unknown
query parameters, a duplicate add's `supersedes`, error classes and words that differed
between the client and the SDK, echoed ids, NaN, two Authorization headers, Content-Type."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from server_helpers import LiveServer

from memos.errors import ConflictError, InvalidInputError, NotConfiguredError, NotFoundError

httpx = pytest.importorskip("httpx")


def cursor_of(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decoded(cursor: str) -> dict[str, Any]:
    return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))


# -- 1. search cursors hold only what the server makes --------------------------------------


@pytest.fixture
def paged(http_for: Callable[..., Any], new_user: Callable[[], str]) -> tuple[Any, dict]:
    http = http_for(new_user())
    got = http.post("/v1/memories/batch", json={"items": [f"cursor fact {i}" for i in range(6)]})
    assert got.status_code == 200
    page = http.post("/v1/search", json={"query": "cursor fact", "limit": 2}).json()
    assert page["next_cursor"]
    return http, decoded(page["next_cursor"])


@pytest.mark.parametrize("change", [
    {"p": 1 << 40}, {"p": 10_001}, {"p": 0}, {"n": 100_000_000}, {"n": 1}, {"x": 1},
    {"p": True}, {"n": None}])
def test_forged_search_cursor_is_the_garbled_cursor_400(
        paged: tuple[Any, dict], change: dict[str, Any]) -> None:
    http, real = paged
    body = {"query": "cursor fact", "limit": 2}
    assert http.post("/v1/search", json={**body, "cursor": cursor_of(real)}).status_code == 200
    forged = http.post("/v1/search", json={**body, "cursor": cursor_of({**real, **change})})
    garbled = http.post("/v1/search", json={**body, "cursor": "!!not a cursor"})
    assert forged.status_code == garbled.status_code == 400
    assert forged.json()["detail"] == garbled.json()["detail"]


def test_history_cursor_with_a_pool_is_refused(http_for: Callable[..., Any],
                                               new_user: Callable[[], str]) -> None:
    http = http_for(new_user())
    cid = http.post("/v1/memories", json={"content": "history cursor"}).json()["id"]
    for i in range(2):
        http.patch(f"/v1/memories/{cid}", json={"tags": [f"t{i}"]})
    page = http.get(f"/v1/memories/{cid}/history", params={"limit": 1}).json()
    real = decoded(page["next_cursor"])
    ok = http.get(f"/v1/memories/{cid}/history", params={"limit": 1,
                                                         "cursor": cursor_of(real)})
    assert ok.status_code == 200
    bad = http.get(f"/v1/memories/{cid}/history", params={"limit": 1,
                                                          "cursor": cursor_of({**real, "n": 5})})
    assert bad.status_code == 400 and "invalid cursor" in bad.json()["detail"]


# -- 2. unknown query parameters and query booleans ----------------------------------------


@pytest.mark.parametrize("path", ["/v1/memories?user_id=bob", "/v1/whoami?x=1",
                                  "/v1/stats?user_id=bob", "/v1/export?scope=bob",
                                  "/v1/memories?limit=5&kind=fact&agent_id=a"])
def test_unknown_query_parameter_is_422(http_for: Callable[..., Any],
                                        new_user: Callable[[], str], path: str) -> None:
    got = http_for(new_user()).get(path)
    assert got.status_code == 422, got.text
    assert got.json()["errors"][0]["type"] == "extra_forbidden"
    assert got.json()["errors"][0]["loc"][0] == "query"


def test_known_query_parameters_still_work(http_for: Callable[..., Any],
                                           new_user: Callable[[], str]) -> None:
    http = http_for(new_user())
    assert http.get("/v1/memories?limit=5&kind=fact").status_code == 200
    for value in ("true", "false"):
        assert http.get(f"/v1/export?include_superseded={value}").status_code == 200


@pytest.mark.parametrize("value", ["yes", "1", "0", "True", "on"])
def test_query_booleans_are_strict(http_for: Callable[..., Any], new_user: Callable[[], str],
                                   value: str) -> None:
    got = http_for(new_user()).get(f"/v1/export?include_superseded={value}")
    assert got.status_code == 422 and "true or false" in got.json()["detail"]


# -- 3. a duplicate add checks, and carries out, `supersedes` -------------------------------


def test_duplicate_add_refuses_other_users_and_missing_ids_alike(
        http_for: Callable[..., Any], new_user: Callable[[], str]) -> None:
    me, other = http_for(new_user()), http_for(new_user())
    theirs = other.post("/v1/memories", json={"content": "their secret"}).json()["id"]
    mine = me.post("/v1/memories", json={"content": "x marks it"}).json()
    foreign = me.post("/v1/memories", json={"content": "x marks it", "supersedes": [theirs]})
    missing = me.post("/v1/memories", json={"content": "x marks it",
                                            "supersedes": ["c-missing-0000"]})
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json()["detail"] == missing.json()["detail"].replace("c-missing-0000", theirs)
    # nothing was written: the duplicate was not counted
    assert me.get(f"/v1/memories/{mine['id']}").json()["access"]["hits"] == \
        mine["cube"]["access"]["hits"]


def test_duplicate_add_supersedes_the_callers_own_cube(http_for: Callable[..., Any],
                                                       new_user: Callable[[], str]) -> None:
    me = http_for(new_user())
    old = me.post("/v1/memories", json={"content": "Ana lives in Lima"}).json()["id"]
    kept = me.post("/v1/memories", json={"content": "Ana lives in Quito"}).json()["id"]
    again = me.post("/v1/memories", json={"content": "Ana lives in Quito",
                                          "supersedes": [old]})
    assert again.status_code == 200, again.text
    body = again.json()
    assert (body["action"], body["id"], body["superseded"]) == ("duplicate", kept, [old])
    assert "supersedes" not in body["ignored"]
    assert me.get(f"/v1/memories/{old}").json()["state"] == "superseded"
    assert me.get(f"/v1/memories/{kept}").json()["state"] == "active"


def test_sdk_duplicate_add_supersedes_and_checks(server_mem: Any,
                                                 new_user: Callable[[], str]) -> None:
    user, other = new_user(), new_user()
    theirs = server_mem.add("their words", other).id
    old = server_mem.add("Bo works at Acme", user).id
    kept = server_mem.add("Bo works at Globex", user).id
    with pytest.raises(NotFoundError):
        server_mem.add("Bo works at Globex", user, supersedes=[theirs])
    with pytest.raises(NotFoundError):
        server_mem.add("Bo works at Globex", user, supersedes=["c-none-42"])
    forgotten = server_mem.add("Bo works at Initech", user).id
    server_mem.forget(forgotten, user)
    hits = server_mem.get(kept, user).access.hits
    with pytest.raises(ConflictError, match="was forgotten"):
        server_mem.add("Bo works at Globex", user, supersedes=[forgotten])
    assert server_mem.get(kept, user).access.hits == hits  # nothing written
    out = server_mem.add("Bo works at Globex", user, supersedes=[old])
    assert (out.action, out.id, out.superseded, out.ignored) == ("duplicate", kept, [old], [])
    assert server_mem.get(old, user).state.value == "superseded"
    # naming the duplicate's own cube supersedes nothing, and says so
    same = server_mem.add("Bo works at Globex", user, supersedes=[kept])
    assert same.superseded == [] and same.ignored == ["supersedes"]
    # add_many: a later copy in the batch hands its `supersedes` to the first
    gone = server_mem.add("Bo lived in Oslo", user).id
    first, second = server_mem.add_many(["Bo lives in Rome", {
        "content": "Bo lives in Rome", "supersedes": [gone]}], user)
    assert (first.action, second.action) == ("added", "duplicate")
    assert first.superseded == [gone] and "supersedes" not in second.ignored


def test_client_duplicate_add_supersedes(client_for: Callable[..., Any],
                                         new_user: Callable[[], str]) -> None:
    client = client_for(new_user())
    old = client.add("Cy drives a van").id
    kept = client.add("Cy drives a bus").id
    out = client.add("Cy drives a bus", supersedes=[old])
    assert (out.id, out.superseded) == (kept, [old])
    with pytest.raises(NotFoundError):
        client.add("Cy drives a bus", supersedes=["c-none-43"])


# -- 4-6. the client raises what the SDK raises ---------------------------------------------


def test_client_ingest_llm_without_llm_is_not_configured(
        client_for: Callable[..., Any], server_mem: Any, new_user: Callable[[], str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MEMOS_LLM_URL", raising=False)
    monkeypatch.delenv("MEMOS_LLM_MODEL", raising=False)
    user = new_user()
    messages = [{"role": "user", "content": "I live in Oslo."}]
    with pytest.raises(NotConfiguredError) as sdk:
        server_mem.ingest(messages, user, session_id="s9", mode="llm")
    with pytest.raises(NotConfiguredError) as remote:
        client_for(user).ingest(messages, session_id="s9", mode="llm")
    assert type(remote.value) is type(sdk.value)
    assert "MEMOS_LLM_URL" not in str(remote.value).split("(its operator")[0]


def test_client_rollback_scope_may_be_left_out(client_for: Callable[..., Any],
                                               new_user: Callable[[], str]) -> None:
    client = client_for(new_user())
    cid = client.add("rollback me").id
    client.update(cid, content="rolled forward")
    assert client.rollback(cid, to_version=1).content == "rollback me"
    with pytest.raises(InvalidInputError, match="needs to_version"):
        client.rollback(cid)


@pytest.mark.parametrize("call", [
    lambda m, u: m.add("words", u, tags=5),
    lambda m, u: m.add("words", u, supersedes="c-1"),
    lambda m, u: m.add("words", u, foo=1),
    lambda m, u: m.add("words", u, entities=7),
    lambda m, u: m.add_many([5], u),
    lambda m, u: m.add_many(["ok", {"content": "x", "bogus": 1}], u),
    lambda m, u: m.add_many([{"content": "x", "tags": 3}], u),
    lambda m, u: m.add_many([{"tags": ["a"]}], u),
])
def test_client_bad_add_arguments_say_what_the_sdk_says(
        call: Callable[..., Any], client_for: Callable[..., Any], server_mem: Any,
        new_user: Callable[[], str]) -> None:
    user = new_user()
    with pytest.raises(InvalidInputError) as sdk:
        call(server_mem, user)
    with pytest.raises(InvalidInputError) as remote:
        call(client_for(user), None)
    assert type(remote.value) is type(sdk.value)
    assert str(remote.value) == str(sdk.value)
    assert server_mem.stats(user).cubes == 0


# -- 7. REST words for rollback -------------------------------------------------------------


def test_forgotten_cube_409_names_the_rollback_endpoint(http_for: Callable[..., Any],
                                                        new_user: Callable[[], str]) -> None:
    http = http_for(new_user())
    cid = http.post("/v1/memories", json={"content": "forget then change"}).json()["id"]
    other = http.post("/v1/memories", json={"content": "another memory"}).json()["id"]
    assert http.post(f"/v1/memories/{cid}/forget", json={}).status_code == 200
    for got in (http.patch(f"/v1/memories/{cid}", json={"tags": ["a"]}),
                http.post(f"/v1/memories/{cid}/supersede", json={"content": "new words"}),
                http.post(f"/v1/memories/{other}/supersede", json={"by": cid})):
        assert got.status_code == 409, got.text
        detail = got.json()["detail"]
        assert f"POST /v1/memories/{cid}/rollback" in detail and "rollback(" not in detail
        assert "memos rollback" not in detail
    got = http.post("/v1/memories", json={"content": "more words", "supersedes": [cid]})
    assert got.status_code == 409 and f"POST /v1/memories/{cid}/rollback" in got.json()["detail"]


# -- 8. echoed ids, UTF-8 paths -------------------------------------------------------------


def test_long_id_is_cut_in_the_problem(http_for: Callable[..., Any],
                                       new_user: Callable[[], str]) -> None:
    http = http_for(new_user())
    long_id = "y" * 5000
    got = http.get(f"/v1/memories/{long_id}")
    assert got.status_code == 404 and len(got.content) < 600
    assert "y" * 128 + "\u2026" in got.json()["detail"] and "y" * 129 not in got.json()["detail"]
    nowhere = http.get(f"/v1/memories/{long_id}/nowhere")
    assert nowhere.status_code == 404 and len(nowhere.content) < 600


def test_path_that_is_not_utf8_is_400(http_for: Callable[..., Any],
                                      new_user: Callable[[], str]) -> None:
    http = http_for(new_user())
    got = http.get("/v1/memories/%FF%FE")
    assert got.status_code == 400 and "UTF-8" in got.json()["detail"]
    assert got.headers["content-type"] == "application/problem+json"
    assert http.get("/v1/memories/%C3%A9t%C3%A9").status_code == 404  # UTF-8: an id


# -- 9. NaN ---------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["importance", "confidence", "ttl"])
@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity"])
def test_nan_says_finite(http_for: Callable[..., Any], new_user: Callable[[], str],
                         field: str, value: str) -> None:
    got = http_for(new_user()).post(
        "/v1/memories", content=f'{{"content": "x", "{field}": {value}}}'.encode(),
        headers={"Content-Type": "application/json"})
    assert got.status_code == 422
    assert f"{field}: the number is NaN or infinite; pass finite numbers" in got.json()["detail"]


# -- 10. two Authorization headers ----------------------------------------------------------


def test_two_authorization_headers_are_400(live: LiveServer, key_for: Callable[..., str],
                                           new_user: Callable[[], str]) -> None:
    good = key_for(new_user())
    headers = [("Authorization", f"Bearer {good}"), ("Authorization", "Bearer memos-bogus")]
    with httpx.Client(base_url=live.url) as http:
        got = http.get("/v1/whoami", headers=headers)
        assert got.status_code == 400 and "more than one Authorization" in got.json()["detail"]
        assert http.get("/v1/whoami", headers=headers[:1]).status_code == 200


# -- 12. a JSON body needs its content type, in both modes ----------------------------------


@pytest.fixture(scope="module")
def local(server_mem: Any) -> Iterator[LiveServer]:
    with LiveServer(server_mem, mcp=False, auth=False, default_scope="local-47") as server:
        yield server


@pytest.mark.parametrize("ctype", ["text/plain", "application/x-www-form-urlencoded", None])
def test_json_body_needs_json_content_type(http_for: Callable[..., Any], local: LiveServer,
                                           new_user: Callable[[], str],
                                           ctype: str | None) -> None:
    headers = {} if ctype is None else {"Content-Type": ctype}
    keyed = http_for(new_user())
    with httpx.Client(base_url=local.url) as loopback:
        for got in (keyed.post("/v1/memories", content=b'{"content":"x"}', headers=headers),
                    loopback.post("/v1/memories", content=b'{"content":"x"}',
                                  headers={**headers, "Origin": "http://localhost"})):
            assert got.status_code == 415, got.text
            assert "Content-Type: application/json" in got.json()["detail"]
        assert loopback.post("/v1/memories", json={"content": "x"}).status_code == 200
    assert keyed.post("/v1/memories", content=b'{"content":"x"}', headers={
        "Content-Type": "application/json; charset=utf-8"}).status_code == 200


def test_review_body_ids_cut_and_healthz_takes_any_query(
        http_for: Callable[..., Any], new_user: Callable[[], str]) -> None:
    """(a review of the change) an id sent in a body was echoed whole; `/healthz?probe=1`
    was a 422."""
    http = http_for(new_user())
    got = http.post("/v1/memories", json={"content": "z", "supersedes": ["y" * 5000]})
    assert got.status_code == 404 and len(got.content) < 1000, got.text
    assert "y" * 129 not in got.json()["detail"]
    assert http.get("/healthz?probe=1").status_code == 200
