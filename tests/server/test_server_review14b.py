"""Review 14b of the REST and MCP servers and of memos.Client: an attacker's and a careless
caller's requests. Each test's docstring says what happened before its fix."""

from __future__ import annotations

from typing import Any


def _mcp_tool_schema(mem: Any, name: str) -> dict[str, Any]:
    import anyio

    from memos.server.mcp_server import build_mcp_server

    async def schema() -> dict[str, Any]:
        tools = await build_mcp_server(mem).list_tools()
        return next(t for t in tools if t.name == name).input_schema

    return anyio.run(schema)


def test_mcp_question_and_query_are_bounded_like_rest(server_mem: Any) -> None:
    """Before: the MCP `answer` tool took a question of any length (REST: 10,000 characters).
    The model reads the question byte by byte before it answers: 100,000 characters held the
    server's one model for 22 s (2-core CPU), and a body of 32 MiB (the server's limit) for
    hours. `search_memories` took a query of any length too."""
    from memos.server.wire import MAX_QUERY_CHARS, AnswerRequest, SearchRequest

    question = _mcp_tool_schema(server_mem, "answer")["properties"]["question"]
    query = _mcp_tool_schema(server_mem, "search_memories")["properties"]["query"]
    assert question["maxLength"] == MAX_QUERY_CHARS
    assert AnswerRequest.model_json_schema()["properties"]["question"]["maxLength"] == \
        MAX_QUERY_CHARS
    assert query["maxLength"] == MAX_QUERY_CHARS
    assert SearchRequest.model_json_schema()["properties"]["query"]["maxLength"] == \
        MAX_QUERY_CHARS
