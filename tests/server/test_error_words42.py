"""Error words of the MCP tools, the REST API and memos.Client (user test 42).

Found: an MCP tool's bad argument came back as pydantic's report ("1 validation error for
add_memoryArguments ... input_value='yesterday' ... https://errors.pydantic.dev/..."): the
value echoed, nothing said of what the field takes. REST 422s say it in one line without the
value; MCP now says it in the same words (server.wire.invalid_words). MCP and REST messages
named SDK calls (history(), update()) their surface has not; and memos.Client refused a scope
dict with an unknown key with pydantic's multi-line report, where the SDK says it in a line.
"""

from __future__ import annotations

from typing import Any

import anyio
import pytest

import memos
from memos.errors import InvalidInputError

SECRET = "sk-live-0123456789abcdef"


# -- MCP ----------------------------------------------------------------------------------


def _bare(text: str) -> None:
    """A message in memos's words: one line, no pydantic report, no value echoed."""
    assert "\n" not in text, text
    for word in ("validation error", "input_value", "input_type", "pydantic", "Arguments",
                 "[type=", SECRET, "yesterday", "3 days ago", "101"):
        assert word not in text, (word, text)


def test_mcp_argument_errors_name_the_field_and_what_it_takes(mem: Any) -> None:
    pytest.importorskip("mcp")
    from test_mcp import _error, _http, _rest_app

    from memos.cube import Scope

    app = _rest_app(mem, auth=False, default_scope=Scope(user_id="dev"))

    async def main() -> None:
        async with _http(app) as session, session(None) as s:
            said = await _error(s, "add_memory", content="x", valid_from="yesterday")
            _bare(said)
            assert "valid_from" in said and "ISO 8601" in said
            said = await _error(s, "add_memory", content="x", valid_from=SECRET)
            _bare(said)
            said = await _error(s, "search_memories", query="x", since="3 days ago")
            _bare(said)
            assert "since" in said and "2026-05-01T12:00:00Z" in said
            said = await _error(s, "search_memories", query="x", k=101)
            _bare(said)
            assert "k: " in said and "100" in said
            said = await _error(s, "search_memories", query="")
            _bare(said)
            assert "query" in said and "at least 1 character" in said
            said = await _error(s, "list_memories", limit=SECRET)
            _bare(said)
            assert "limit" in said and "integer" in said
            said = await _error(s, "ingest_conversation", session_id="c", messages=[
                {"role": "user", "content": "", SECRET: 1}])
            assert "messages.0.content" in said and "\n" not in said
            assert "input_value" not in said and "pydantic" not in said
            # an unknown argument still names itself (its key, not a value)
            assert "'top_k'" in await _error(s, "search_memories", query="x", top_k=3)

    anyio.run(main)


def test_mcp_memos_errors_name_mcp_tools(mem: Any) -> None:
    pytest.importorskip("mcp")
    from test_mcp import _call, _error, _http, _rest_app

    from memos.cube import Scope

    app = _rest_app(mem, auth=False, default_scope=Scope(user_id="dev"))

    async def main() -> None:
        async with _http(app) as session, session(None) as s:
            kept = await _call(s, "add_memory", content="Dev keeps bees.")
            same = await _error(s, "update_memory", cube_id=kept["id"], tags=[])
            assert "update_memory changes nothing" in same and "()" not in same
            gone = await _call(s, "add_memory", content="Dev keeps wasps.")
            await _call(s, "forget_memory", cube_id=gone["id"])
            said = await _error(s, "get_memory", cube_id=gone["id"])
            assert "forgotten" in said and "history" in said and "()" not in said

    anyio.run(main)


def test_mcp_words() -> None:
    pytest.importorskip("mcp")
    from memos.server.mcp_server import mcp_words

    cube = "0123456789abcdef0123456789abcdef"
    assert mcp_words(f"cube {cube} was forgotten; history() still lists it") == \
        f"cube {cube} was forgotten; its history keeps it"
    assert mcp_words(f"update() changes nothing on cube {cube}") == \
        f"update_memory changes nothing on cube {cube}: it already has those values"
    assert mcp_words("update() needs at least one field") == \
        "update_memory needs at least one field"
    assert mcp_words(f"cube {cube} has no version 3; see history()") == \
        f"cube {cube} has no version 3; leave version out to read the current one"
    assert mcp_words("use self.get() or x.update()") == "use self.get() or x.update()"


# -- REST ---------------------------------------------------------------------------------


def test_invalid_words_say_no_value() -> None:
    from pydantic import BaseModel, Field, ValidationError

    from memos.server.wire import Time, invalid_words

    class Body(BaseModel):
        since: Time = None
        k: int = Field(1, le=100)

    with pytest.raises(ValidationError) as found:
        Body(since=SECRET, k=101)
    said = invalid_words(found.value.errors(), "request")
    assert said.startswith("invalid request: since: a time is an ISO 8601 string")
    assert "; k: Input should be less than or equal to 100" in said
    assert SECRET not in said and "101" not in said
    with pytest.raises(ValidationError) as found:
        Body(since=12345)
    assert "12345" not in invalid_words(found.value.errors(), "request")


def test_rest_messages_name_rest_calls(http_for: Any, new_user: Any) -> None:
    api = http_for(new_user())
    cid = api.post("/v1/memories", json={"content": "Alice keeps bees"}).json()["id"]
    same = api.patch(f"/v1/memories/{cid}", json={"tags": []})
    assert same.status_code == 400
    assert same.json()["detail"].startswith(f"PATCH /v1/memories/{cid} changes nothing")
    back = api.post(f"/v1/memories/{cid}/rollback", json={"to_version": 9})
    assert back.status_code == 404
    assert back.json()["detail"].endswith(f"see GET /v1/memories/{cid}/history")
    for bad in ({"content": "x", "valid_from": "yesterday"},
                {"content": "x", "valid_from": SECRET}):
        refused = api.post("/v1/memories", json=bad)
        assert refused.status_code == 422
        detail = refused.json()["detail"]
        assert detail.startswith("invalid request: body.valid_from: a time is an ISO 8601")
        assert bad["valid_from"] not in detail


# -- memos.Client -------------------------------------------------------------------------


@pytest.mark.parametrize("scope", [{"user_id": "bob", "agentid": "x"}, {"user_id": ""}, {},
                                   {"user_id": "bob", "visibility": SECRET}, 42])
def test_client_refuses_a_bad_scope_as_the_sdk_does(scope: Any) -> None:
    from memos.facade import as_scope

    with pytest.raises(InvalidInputError) as sdk:
        as_scope(scope)
    client = memos.Client("http://127.0.0.1:9", "no-key")  # refused before any request
    try:
        for call in (lambda: client.get("abc", scope), lambda: client.gc(scope=scope),
                     lambda: client.purge(None, scope, all_of_user=True)):
            with pytest.raises(InvalidInputError) as got:
                call()
            assert str(got.value) == str(sdk.value)
            assert "\n" not in str(got.value) and SECRET not in str(got.value)
    finally:
        client.close()


def test_a_made_up_key_is_named_short(http_for: Any, new_user: Any) -> None:
    """An attacker helper: an unknown key inside a message is part of pydantic's `loc`, so a
    50,000-character key came back whole (MCP: a 100 kB error; REST: 20 kB)."""
    from pydantic import BaseModel, ConfigDict, ValidationError

    from memos.server.wire import MAX_LOC_CHARS, invalid_words

    class Message(BaseModel):
        model_config = ConfigDict(extra="forbid")
        role: str

    key = "sk-live-" + "A" * 50_000
    with pytest.raises(ValidationError) as found:
        Message.model_validate({"role": "user", key: 1})
    said = invalid_words(found.value.errors(), "arguments")
    assert len(said) < 300 and key not in said and key[:MAX_LOC_CHARS - 1] in said
    api = http_for(new_user())
    body = {"messages": [{"role": "user", "content": "hi", key: 1, key + "2": 2}],
            "session_id": "s"}
    answer = api.post("/v1/ingest", json=body)  # (the SDK's own check names the keys)
    assert answer.status_code == 400 and len(answer.content) < 2000, len(answer.content)
    batch = api.post("/v1/memories/batch", json={"items": [{"content": "hi", key: 1}]})
    assert batch.status_code in (400, 422) and len(batch.content) < 4000, len(batch.content)
