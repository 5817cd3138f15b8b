"""The MCP tools take only the arguments they list (server/mcp_server.py, `_strict`).

Review: the SDK's argument models ignored unknown keys, so `search_memories {"query": "pin",
"user_id": "bob"}` searched the caller's own memories and `add_memory {..., "visibility":
"public"}` stored a private one, both with isError false: the calling model believed it had
done what it asked. REST refuses extras with 422; MCP now refuses them with a tool error
naming them, and every listed input schema says `additionalProperties: false`.
Also held here: what the descriptions of `tags` and `add_memory` promise.
"""

from __future__ import annotations

from typing import Any

import anyio
import pytest

pytest.importorskip("mcp")

from test_mcp import TOOLS, _call, _error, _http, _rest_app  # noqa: E402

from memos.cube import Scope  # noqa: E402


def _objects(schema: Any) -> list[dict[str, Any]]:
    """Every object schema (one with properties) in a JSON schema, nested ones and $defs."""
    found: list[dict[str, Any]] = []
    if isinstance(schema, dict):
        if "properties" in schema:
            found.append(schema)
        for value in schema.values():
            found += _objects(value)
    elif isinstance(schema, list):
        for value in schema:
            found += _objects(value)
    return found


def _valid_arguments(cube_id: str) -> dict[str, dict[str, Any]]:
    """For each tool, arguments it accepts (an unknown one is added to them)."""
    return {
        "add_memory": {"content": "A new note."},
        "search_memories": {"query": "pin"},
        "get_memory": {"cube_id": cube_id},
        "update_memory": {"cube_id": cube_id, "importance": 0.9},
        "forget_memory": {"cube_id": cube_id},
        "list_memories": {},
        "answer": {"question": "What is the pin?"},
        "ingest_conversation": {"session_id": "chat-1",
                                "messages": [{"role": "user", "content": "I moved to Oslo."}]},
    }


async def _refuses_unknown_arguments(session: Any, mem: Any, user: str) -> None:
    tools = {t.name: t for t in (await session.list_tools()).tools}
    for tool in tools.values():
        objects = _objects(tool.input_schema)
        assert objects and all(o.get("additionalProperties") is False for o in objects), \
            tool.name

    mine = await _call(session, "add_memory", content="The pin of my bike lock is 2580.")
    valid = _valid_arguments(mine["id"])
    assert set(valid) == TOOLS == set(tools)  # a new tool is added here too
    for name, args in valid.items():
        for extra in ({"user_id": "bob"}, {"visibility": "public"}, {"scope": {"user": "x"}},
                      {"ctx": 1}):
            message = await _error(session, name, **args, **extra)
            (key,) = extra
            assert f"takes no argument {key!r}" in message, (name, message)
            assert "its arguments are" in message
    # a misspelt argument is refused too, not read as its default
    assert "'top_k'" in await _error(session, "search_memories", query="pin", top_k=1)
    # and so is an unknown key of a message given to ingest_conversation
    assert "used" in await _error(session, "ingest_conversation", session_id="c", messages=[
        {"role": "user", "content": "Hi.", "used": []}])

    # nothing any refused call asked for happened
    sc = Scope(user_id=user)
    assert mem.get(mine["id"], sc).version == 1
    assert [c.id for c in mem.list_memories(sc).items] == [mine["id"]]


def test_in_memory_session_refuses_unknown_arguments(mem: Any) -> None:
    from mcp import Client

    from memos.server.mcp_server import build_mcp_server

    mem.add("Bob's public pin is 1234.", Scope(user_id="bob", visibility="public"))

    async def main() -> None:
        async with Client(build_mcp_server(mem, Scope(user_id="alice"))) as alice:
            await _refuses_unknown_arguments(alice, mem, "alice")

    anyio.run(main)


def test_http_session_refuses_unknown_arguments(mem: Any) -> None:
    _, key = mem.create_key("carol")
    app = _rest_app(mem, auth=True)

    async def main() -> None:
        async with _http(app) as session, session(key) as carol:
            await _refuses_unknown_arguments(carol, mem, "carol")

    anyio.run(main)


def test_tags_any_tags_all_and_supersedes_do_what_they_say(mem: Any) -> None:
    from mcp import Client

    from memos.server.mcp_server import build_mcp_server

    def zoe() -> set[str]:
        """The live memories of where Zoe lives (read through the SDK, the same store)."""
        return {h.id for h in mem.search("Zoe lives", "dana", k=20)
                if h.content.startswith("Zoe lives")}

    async def main() -> None:
        async with Client(build_mcp_server(mem, Scope(user_id="dana"))) as dana:
            tools = {t.name: t for t in (await dana.list_tools()).tools}
            search = tools["search_memories"].input_schema["properties"]
            assert "any" in search["tags"]["description"]
            assert "every" in search["tags_all"]["description"]
            both = await _call(dana, "add_memory", content="Trip to Oslo booked.",
                               tags=["travel", "work"])
            one = await _call(dana, "add_memory", content="Trip to Rome planned.",
                              tags=["travel"])

            async def found(**args: Any) -> set[str]:
                hits = (await _call(dana, "search_memories", query="trip", **args))["hits"]
                return {h["memory"]["id"] for h in hits}

            assert await found(tags=["work", "nope"]) == {both["id"]}  # any of them
            assert await found(tags=["travel"]) == {both["id"], one["id"]}
            assert await found(tags_all=["travel", "work"]) == {both["id"]}  # every one
            assert await found(tags_all=["work", "nope"]) == set()
            assert await found(tags_all=[]) == {both["id"], one["id"]}  # [] is no filter

            # add_memory alone replaces nothing (as its description now says) ...
            lisbon = await _call(dana, "add_memory", content="Zoe lives in Lisbon.")
            porto = await _call(dana, "add_memory", content="Zoe lives in Porto.")
            assert porto["superseded"] == [] and zoe() == {lisbon["id"], porto["id"]}
            assert "supersedes" in tools["add_memory"].description
            # ... `supersedes` does: the old ones leave search and stay in history
            faro = await _call(dana, "add_memory", content="Zoe lives in Faro.",
                               supersedes=[lisbon["id"], porto["id"]])
            assert sorted(faro["superseded"]) == sorted([lisbon["id"], porto["id"]])
            assert zoe() == {faro["id"]}
            old = await _call(dana, "get_memory", cube_id=lisbon["id"])
            assert old["state"] == "superseded"
            assert "no cube" in await _error(dana, "add_memory", content="Zoe lives in Avila.",
                                            supersedes=["f" * 32])

    anyio.run(main)
