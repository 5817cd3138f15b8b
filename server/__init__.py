"""memos.server: the REST API (FastAPI) and the MCP server. Each endpoint or tool calls one
SDK method; the caller's scope comes from its API key (or the configured user), never from
the request."""
