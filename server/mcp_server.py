"""The MCP server: memos's memories as Model Context Protocol tools (the official `mcp` SDK).

Two transports share one set of tools:

- stdio (`memos mcp --user alice`): a desktop agent starts the process; every call runs in
  the scope the command line configured.
- streamable HTTP, mounted at `/mcp` in the REST app by `mount_mcp`: every HTTP request shows
  an API key, and its tool call runs in the scope of that key (`server.auth`).

No tool takes a user, agent or scope argument: the scope comes from the transport, never from
what the model sends. An argument a tool does not take is refused (a tool error naming it;
its input schema says `additionalProperties: false`), never silently dropped, and an argument
of the wrong kind is refused in one line naming it and what it takes, never the value sent
(`_Tool`, in the REST 422's words). Each tool calls one `MemOS` method in a worker thread; a
memos error comes back as an MCP tool error carrying the memos message in MCP words
(`mcp_words`; another user's cube reads as a missing one, as in the SDK), and anything
unexpected as the SDK's bare "Error executing tool".
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

import anyio.to_thread
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp.server.mcpserver.tools import Tool
from mcp.server.transport_security import TransportSecuritySettings
from mcp.types import ToolAnnotations
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from memos.cube import MemCube, Scope, iso_time_only
from memos.errors import InvalidInputError, MemosError, UnauthorizedError
from memos.results import IngestReport
from memos.server.auth import changes_public
from memos.server.wire import MAX_NEW_TOKENS, MAX_QUERY_CHARS, invalid_words

if TYPE_CHECKING:
    from fastapi import FastAPI
    from starlette.types import Receive, Send
    from starlette.types import Scope as AsgiScope

    from memos.facade import MemOS

log = logging.getLogger(__name__)

SCOPE_KEY = "memos.scope"  # the ASGI scope entry where mount_mcp's gate puts the caller's Scope
MCP_PATH = "/mcp"
MAX_K = 100  # search_memories / answer: most memories one call returns or reads
MAX_LIST = 200  # list_memories: most memories one page holds

T = TypeVar("T")

# The kinds a caller may write (activation and parametric kinds are made by memos itself).
WritableKind = Literal["fact", "preference", "episode", "event", "profile", "document", "message"]

INSTRUCTIONS = (
    "memos is this user's long-term memory. Save durable facts, preferences and events with "
    "add_memory (when a fact changed, name the memory it replaces in `supersedes`); look "
    "things up with search_memories before answering questions about the user; correct a "
    "memory with update_memory and remove one with forget_memory. All tools "
    "act on the memories of the user this server was configured (or keyed) for; there is no "
    "way, and no need, to name a user."
)


# -- what the tools return --------------------------------------------------------------


class Memory(BaseModel):
    """One memory (the current version of a cube, or the version asked for)."""

    id: str
    version: int
    kind: str
    content: str
    state: str
    tags: list[str]
    metadata: dict[str, Any]
    importance: float
    recorded_at: datetime
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    expires_at: datetime | None = None
    own: bool = Field(True, description="false for a memory another user made public: their "
                      "words, not this user's (whose they are is not said)")

    @classmethod
    def of(cls, cube: MemCube, reader: Scope) -> Memory:
        return cls(id=cube.id, version=cube.version, kind=str(cube.kind), content=cube.content,
                   state=str(cube.state), tags=list(cube.tags), metadata=dict(cube.metadata),
                   importance=cube.importance, recorded_at=cube.recorded_at,
                   valid_from=cube.valid_from, valid_to=cube.valid_to,
                   expires_at=cube.expires_at, own=cube.scope.user_id == reader.user_id)


class Added(BaseModel):
    """What add_memory did: `added` a new memory, found a `duplicate`, or `merged` into one."""

    id: str
    version: int
    action: str
    superseded: list[str] = Field(description="ids of older memories this one replaces")


class Hit(BaseModel):
    memory: Memory
    score: float
    found_by: list[str] = Field(
        description="the retrievers that found it (dense, fulltext, graph)")


class SearchResults(BaseModel):
    hits: list[Hit]


class Forgotten(BaseModel):
    id: str
    version: int = Field(description="the new version, which records the forgetting")
    state: str


class MemoryPage(BaseModel):
    memories: list[Memory]
    next_cursor: str | None = Field(
        description="pass as `cursor` for the next page; null on the last page")


class MemoryRef(BaseModel):
    id: str
    version: int


class Answered(BaseModel):
    text: str
    answered: bool = Field(description="false when none of the user's memories states what "
                           "was asked: `text` is then empty (nothing made up); search_memories "
                           "may still find related memories")
    memories: list[MemoryRef] = Field(description="the memories the model read")
    seconds: dict[str, float]


# -- the scope of a call --------------------------------------------------------------------


def _caller(ctx: Context, stdio_scope: Scope | None) -> Scope:
    """The scope a tool call runs in: the one mount_mcp's gate put on the HTTP request, or
    (no HTTP request: stdio) the one `memos mcp` was started with. Fails closed."""
    request = ctx.request_context.request
    if request is None:
        if stdio_scope is None:
            raise ToolError("this MCP server has no user: start it with `memos mcp --user NAME`")
        return stdio_scope
    asgi_scope = getattr(request, "scope", None)
    scope = asgi_scope.get(SCOPE_KEY) if isinstance(asgi_scope, dict) else None
    if not isinstance(scope, Scope):
        raise ToolError("this request carries no API key: send `Authorization: Bearer <key>` "
                        "(create a key with `memos keys create --user NAME`)")
    return scope


# What a memos message says in SDK calls, said in MCP tools (as server.app.rest_words says
# them as REST calls and the CLI's cli_words as commands). MCP has no history tool.
_MCP_PHRASES = ((re.compile(r"history\(\) still lists it, and an update with a later "
                            r"expires_at renews it"), "its history keeps it"),
                (re.compile(r"history\(\) still lists it"), "its history keeps it"),
                (re.compile(r"; see history\(\)"), "; leave version out to read the current one"),
                (re.compile(r"\bupdate\(\) changes nothing on cube (\w+)"),
                 r"update_memory changes nothing on cube \1: it already has those values"))
_MCP_TOOLS = {"add": "add_memory", "search": "search_memories", "get": "get_memory",
              "update": "update_memory", "forget": "forget_memory",
              "list_memories": "list_memories", "answer": "answer",
              "ingest": "ingest_conversation"}
_SDK_CALL = re.compile(r"(?<![\w.`])(" + "|".join(_MCP_TOOLS) + r")\(\)")


def mcp_words(message: str) -> str:
    """`message` with the SDK calls it names said as the MCP tools that do the same."""
    for pattern, words in _MCP_PHRASES:
        message = pattern.sub(words, message)
    return _SDK_CALL.sub(lambda m: _MCP_TOOLS[m.group(1)], message)


async def _run(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """One SDK call in a worker thread (MemOS is thread-safe; the event loop stays free); a
    memos error becomes the tool error the model reads, in MCP words (`mcp_words`)."""
    try:
        return await anyio.to_thread.run_sync(partial(fn, *args, **kwargs))
    except MemosError as exc:
        raise ToolError(mcp_words(str(exc))) from None


def _given(**fields: Any) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not None}


class _Tool(Tool):
    """The SDK's tool, with arguments that fail validation refused in a short line naming
    each field and what it takes (`server.wire.invalid_words`, the REST 422's words).

    The SDK's own message is pydantic's report: several lines, with each value that failed
    (`input_value='...'`: the caller's data, of any size) and a link to pydantic's docs."""

    async def run(self, arguments: dict[str, Any], context: Any,
                  convert_result: bool = False) -> Any:
        try:
            return await super().run(arguments, context, convert_result)
        except ToolError as exc:
            # The SDK raises a ToolError caused by a ValidationError only for the arguments
            # (a tool body's ValidationError is an UnexpectedToolError, its text withheld).
            found = exc.__cause__
            if isinstance(exc, UnexpectedToolError) or not isinstance(found, ValidationError):
                raise
            raise ToolError(f"Error executing tool {self.name}: "
                            f"{invalid_words(found.errors(), 'arguments')}") from found


def _strict(tool: Tool) -> Tool:
    """`tool`, refusing any argument it does not take, as the REST API does (422).

    The SDK's argument models ignore unknown keys (pydantic's default): a model's
    `"user_id": "bob"` or `"visibility": "public"` would vanish and the call succeed, as if
    it had searched bob's memories or published one. Here the argument model is the SDK's
    own, made to forbid extras (so the published input schema says
    `additionalProperties: false`), and an unknown key is a validation error naming it and
    the arguments the tool takes, which the SDK returns as a tool error."""
    loose = tool.fn_metadata.arg_model
    takes = [field.alias or name for name, field in loose.model_fields.items()]

    def refuse_unknown(cls: type, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = [key for key in data if key not in takes]
            if unknown:
                raise PydanticCustomError(
                    "unknown_argument",
                    "{tool} takes no argument {unknown}; its arguments are {takes}",
                    {"tool": tool.name, "takes": ", ".join(takes) or "none",
                     "unknown": ", ".join(f"{str(k)[:64]!r}" for k in unknown[:10])})
        return data

    strict = type(loose.__name__, (loose,), {
        "__module__": loose.__module__,
        "model_config": ConfigDict(extra="forbid"),
        "refuse_unknown_arguments": model_validator(mode="before")(classmethod(refuse_unknown)),
    })
    return tool.model_copy(update={
        "fn_metadata": tool.fn_metadata.model_copy(update={"arg_model": strict}),
        "parameters": strict.model_json_schema(by_alias=True)})


# -- the tools ----------------------------------------------------------------------------

CubeId = Annotated[str, Field(min_length=1, max_length=64, description="The memory's id.")]
Reason = Annotated[str | None, Field(
    max_length=10_000, description="Why (kept in the memory's history and the audit log).")]
Tags = Annotated[list[str] | None, Field(description="Short labels, e.g. [\"work\", \"travel\"].")]
Meta = Annotated[dict[str, Any] | None, Field(description="Free-form JSON metadata.")]
Importance = Annotated[float | None, Field(
    ge=0.0, le=1.0, description="0..1; higher ranks a little higher in search (default 0.5).")]


def build_mcp_server(mem: MemOS, stdio_scope: Scope | None = None, *,
                     model: str | None = None) -> MCPServer:
    """The MCP server over one open store. `stdio_scope`: the scope of every call that comes
    without an HTTP request (the stdio transport); None for a server behind mount_mcp.
    `model`: the checkpoint `answer` reads with (None: the shipped one)."""
    from memos import __version__

    tools: list[Tool] = []
    read_only = ToolAnnotations(readOnlyHint=True, openWorldHint=False)
    writes = ToolAnnotations(readOnlyHint=False, destructiveHint=False, openWorldHint=False)

    def tool(annotations: ToolAnnotations) -> Callable[[Callable[..., Any]], Any]:
        """Register a tool that refuses unknown arguments (`_strict`)."""
        def register(fn: Callable[..., Any]) -> Any:
            tools.append(_strict(_Tool.from_function(fn, annotations=annotations)))
            return fn
        return register

    def scope_of(ctx: Context) -> Scope:
        return _caller(ctx, stdio_scope)

    @tool(writes)
    async def add_memory(
        content: Annotated[str, Field(min_length=1, description="The memory, as one plain "
                                      "sentence or short paragraph (e.g. \"Alice lives in "
                                      "Lisbon.\").")],
        ctx: Context,
        kind: Annotated[WritableKind, Field(description="What sort of memory it is.")] = "fact",
        tags: Tags = None, metadata: Meta = None, importance: Importance = None,
        valid_from: Annotated[datetime | None, BeforeValidator(iso_time_only), Field(
            description="When it became true in the world (ISO 8601), if known.")] = None,
        supersedes: Annotated[list[Annotated[str, Field(min_length=1, max_length=64)]] | None,
                              Field(max_length=100, description=(
            "Ids of memories this one replaces (e.g. the old address when the user moved): "
            "they leave search and stay in history."))] = None,
    ) -> Added:
        """Save a memory about the user, as a new memory. An exact or near duplicate is not
        stored twice (the existing memory is returned). Adding never replaces anything by
        itself: older memories that say otherwise stay live unless their ids are given in
        `supersedes` (find them with search_memories first). ingest_conversation, which reads
        a chat, supersedes changed facts on its own."""
        got = await _run(mem.add, content, scope_of(ctx), kind=kind, **_given(
            tags=tags, metadata=metadata, importance=importance, valid_from=valid_from,
            supersedes=supersedes))
        return Added(id=got.id, version=got.version, action=got.action,
                     superseded=list(got.superseded))

    @tool(read_only)
    async def search_memories(
        query: Annotated[str, Field(min_length=1, max_length=MAX_QUERY_CHARS,
                                    description="What to look for, in plain words (a "
                                    "question works).")],
        ctx: Context,
        k: Annotated[int, Field(ge=1, le=MAX_K, description="How many memories to return.")] = 10,
        kind: Annotated[WritableKind | None, Field(description="Only this kind.")] = None,
        tags: Annotated[list[str] | None, Field(
            description="Only memories carrying at least one of these tags (any of them).")
        ] = None,
        tags_all: Annotated[list[str] | None, Field(
            description="Only memories carrying every one of these tags.")] = None,
        since: Annotated[datetime | None, BeforeValidator(iso_time_only), Field(
            description="Only memories recorded at or after this time (ISO 8601).")] = None,
        until: Annotated[datetime | None, BeforeValidator(iso_time_only), Field(
            description="Only memories recorded before this time (ISO 8601).")] = None,
    ) -> SearchResults:
        """Find the memories relevant to a query (hybrid: meaning, keywords and links between
        memories), best first, with a score and the retrievers that found each. It searches
        what this user may read: their own memories and any memory another user made public
        (their words, not this user's). Several filters: a memory must pass them all."""
        scope = scope_of(ctx)
        hits = await _run(mem.search, query, scope, k, **_given(
            kind=kind, tags=tags, since=since, until=until,
            filters={"tags_all": tags_all} if tags_all else None))
        return SearchResults(hits=[Hit(memory=Memory.of(h.cube, scope), score=h.score,
                                       found_by=list(h.retrievers)) for h in hits])

    @tool(read_only)
    async def get_memory(
        cube_id: CubeId, ctx: Context,
        version: Annotated[int | None, Field(
            ge=1, description="An earlier version (default: the current one).")] = None,
    ) -> Memory:
        """Read one memory by id (its current version, or an earlier one of the user's own
        memories)."""
        scope = scope_of(ctx)
        return Memory.of(await _run(mem.get, cube_id, scope, version=version), scope)

    @tool(writes)
    async def update_memory(
        cube_id: CubeId, ctx: Context,
        content: Annotated[str | None, Field(min_length=1, description="New text.")] = None,
        kind: Annotated[WritableKind | None, Field(description="New kind.")] = None,
        tags: Annotated[list[str] | None, Field(description="New tags (replace the old).")] = None,
        metadata: Annotated[dict[str, Any] | None, Field(
            description="New metadata (replaces the old).")] = None,
        importance: Importance = None, reason: Reason = None,
    ) -> Memory:
        """Change a memory: give at least one field. The change is a new version; the old one
        stays in history."""
        if await _run(changes_public, mem, cube_id, scope_of(ctx)):
            # (MCP keys carry no admin right: a public memory is changed over REST)
            raise ToolError(f"cube {cube_id} is public: every user reads it, so it is changed "
                            f"only with an admin key over the REST API; supersede or forget "
                            f"it instead")
        changed = await _run(mem.update, cube_id, scope_of(ctx), reason=reason, **_given(
            content=content, kind=kind, tags=tags, metadata=metadata, importance=importance))
        return Memory.of(changed, scope_of(ctx))

    @tool(ToolAnnotations(readOnlyHint=False, destructiveHint=True, idempotentHint=False,
                          openWorldHint=False))
    async def forget_memory(cube_id: CubeId, ctx: Context, reason: Reason = None) -> Forgotten:
        """Forget a memory: no search, recall or answer returns it any more, in any tier. Its
        history records the forgetting."""
        cube = await _run(mem.forget, cube_id, scope_of(ctx), reason=reason)
        return Forgotten(id=cube.id, version=cube.version, state=str(cube.state))

    @tool(read_only)
    async def list_memories(
        ctx: Context,
        limit: Annotated[int, Field(ge=1, le=MAX_LIST,
                                    description="How many memories per page.")] = 50,
        cursor: Annotated[str | None, Field(
            max_length=64, description="The next_cursor of the previous page.")] = None,
        kind: Annotated[WritableKind | None, Field(description="Only this kind.")] = None,
    ) -> MemoryPage:
        """List the user's live memories, last stored first, a page at a time (next_cursor gives
        the next page). To find memories about something, search_memories is better."""
        scope = scope_of(ctx)
        page = await _run(mem.list_memories, scope, limit=limit, cursor=cursor, kind=kind)
        return MemoryPage(memories=[Memory.of(c, scope) for c in page.items],
                          next_cursor=page.next_cursor)

    @tool(read_only)
    async def answer(
        # Bounded as over REST: the model reads the whole question before it answers, and
        # the server has one model (100,000 characters held it for about 22 s on 2 CPU
        # cores, a development timing, not a repo command).
        question: Annotated[str, Field(min_length=1, max_length=MAX_QUERY_CHARS,
                                       description="The question.")],
        ctx: Context,
        k: Annotated[int, Field(ge=1, le=MAX_K, description="How many memories to read.")] = 8,
        max_new_tokens: Annotated[int, Field(
            ge=1, le=MAX_NEW_TOKENS, description="Longest answer, in bytes.")] = MAX_NEW_TOKENS,
    ) -> Answered:
        """Answer a question from the user's own memories with memos's own memory model: it
        retrieves the relevant facts and preferences and reads their pre-encoded form (no
        prompt stuffing). Other users' public memories are not read: the answer carries no
        sign of whose words it repeats. Short factual answers; use search_memories for
        anything else and to see the memories themselves."""
        # own_only: a public cube of another user ("Alice's bank is Evil Bank.") would
        # otherwise answer this user's question, as memos.Assistant guards against too.
        got = await _run(mem.answer, question, scope_of(ctx), k, model=model,
                         max_new_tokens=max_new_tokens, own_only=True)
        return Answered(text=got.text, answered=got.tier != "plaintext" and bool(got.text),
                        memories=[MemoryRef(id=c, version=v) for c, v in got.cubes],
                        seconds=dict(got.seconds))

    if callable(getattr(type(mem), "ingest", None)):
        tool(writes)(_ingest_tool(mem, scope_of))
    return MCPServer(name="memos", version=__version__, instructions=INSTRUCTIONS,
                     log_level="WARNING", tools=tools)


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown key is refused, as at the top level

    role: str = Field(min_length=1, max_length=64, description="Who spoke: user, assistant, ...")
    content: str = Field(min_length=1, description="What was said.")
    name: str | None = Field(default=None, max_length=256,
                             description="The speaker's name, if known.")
    at: Annotated[datetime | None, BeforeValidator(iso_time_only)] = Field(
        default=None, description="When (ISO 8601), if known.")


def _ingest_tool(mem: MemOS, scope_of: Callable[[Context], Scope]) -> Callable[..., Any]:
    async def ingest_conversation(
        messages: Annotated[list[Message], Field(min_length=1, description="The conversation, "
                                                 "oldest message first.")],
        session_id: Annotated[str, Field(min_length=1, max_length=256, description="An id of "
                                         "this conversation (sent again with more messages, "
                                         "only the turns not read before are read).")],
        ctx: Context,
        at: Annotated[datetime | None, BeforeValidator(iso_time_only), Field(
            description="When the conversation happened (ISO 8601); default: now.")] = None,
        user_name: Annotated[str | None, Field(max_length=256, description=(
            "The user's name, the subject of what they say about themselves (default: "
            "the user id)."))] = None,
    ) -> IngestReport:
        """Read a chat conversation and store what is worth remembering from it: one episode
        per turn, plus the facts and preferences stated in it; a new value supersedes the old
        fact, a negation ends it."""
        items = [m.model_dump(exclude_none=True) for m in messages]
        return await _run(mem.ingest, items, scope_of(ctx), session_id=session_id, at=at,
                          **_given(user_name=user_name))

    return ingest_conversation


# -- streamable HTTP inside the REST app --------------------------------------------------------


class _McpEndpoint:
    """The ASGI app at /mcp: the API-key gate, then the SDK's streamable HTTP handler.

    The gate puts the caller's Scope on the ASGI scope (SCOPE_KEY), where the tools read it
    through the request the SDK hands them: each HTTP request is authorised on its own, and
    the scope never passes through a contextvar that a session task could outlive.
    Stateless, JSON responses: no session lives in a process, so any of several server
    processes can answer any request."""

    def __init__(self, server: MCPServer, mem: MemOS, auth: bool,
                 default_scope: Scope | None) -> None:
        self.server = server
        self.mem = mem
        self.auth = auth
        self.default_scope = default_scope
        self.handler: Callable[[AsgiScope, Receive, Send], Any] | None = None

    def _security(self) -> TransportSecuritySettings:
        # With keys, a browser page on another origin cannot send the key, so DNS rebinding
        # gains nothing, and Host checks would only break deployments behind real host
        # names. Without keys (--no-auth, loopback only), `__call__` refuses a rebound name
        # or a web page's Origin itself, by the REST app's rule (check_local_request) and
        # in its problem details, so the SDK's own check (plain-text 421/403) is off.
        return TransportSecuritySettings(enable_dns_rebinding_protection=False)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Run a fresh session manager for one lifespan of the app (the SDK's manager runs
        once per instance, and a test may start the app several times)."""
        self.server.streamable_http_app(stateless_http=True, json_response=True,
                                        transport_security=self._security())
        manager = self.server.session_manager
        async with manager.run():
            self.handler = manager.handle_request
            try:
                yield
            finally:
                self.handler = None

    async def _scope_of(self, headers: Sequence[tuple[bytes, bytes]]) -> Scope:
        from memos.server.auth import bearer_token, principal_for_token

        if not self.auth:
            if self.default_scope is None:
                raise UnauthorizedError("a server without auth needs a user: pass --user <id>")
            return self.default_scope
        raw = next((v for k, v in headers if k.lower() == b"authorization"), None)
        token = bearer_token(raw.decode("latin-1") if raw is not None else None)
        if token is None:
            raise UnauthorizedError("no API key: send `Authorization: Bearer <key>` (create a "
                                    "key with `memos keys create --user NAME`)")
        principal = await anyio.to_thread.run_sync(principal_for_token, self.mem, token)
        return principal.scope

    async def __call__(self, scope: AsgiScope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        # The gate answers first, whatever the method (as the REST endpoints' key check
        # does): a request without a good key learns nothing of what /mcp serves.
        try:
            if not self.auth:
                from memos.server.app import check_local_request

                headers = dict((k.lower(), v) for k, v in scope.get("headers", []))
                origin = headers.get(b"origin")
                check_local_request(headers.get(b"host", b"").decode("latin-1"),
                                    origin.decode("latin-1") if origin is not None else None)
            caller = await self._scope_of(scope.get("headers", []))
        except MemosError as exc:
            status = 401 if isinstance(exc, UnauthorizedError) else 403
            await _problem(send, status, exc)
            return
        if scope.get("method") != "POST":
            # Stateless: no server-to-client stream to GET (the transport lets a server answer
            # 405; a GET would otherwise hold a connection open) and no session to DELETE.
            await _problem(send, 405, InvalidInputError(
                f"{scope.get('method')} is not served at {MCP_PATH}: MCP clients POST their "
                "JSON-RPC messages here (this stateless server keeps no stream to GET and no "
                "session to DELETE)"), [(b"allow", b"POST")])
            return
        if self.handler is None:
            await _problem(send, 503, MemosError(
                "the MCP endpoint is not running: serve the app through its lifespan "
                "(uvicorn does; in tests use `with TestClient(app)`)"))
            return
        await self.handler({**scope, SCOPE_KEY: caller}, receive, send)


async def _problem(send: Send, status: int, exc: MemosError,
                   extra: Sequence[tuple[bytes, bytes]] = ()) -> None:
    """The REST app's RFC 9457 problem details (server/wire.py), from before any routing."""
    from http import HTTPStatus

    from memos.server.wire import Problem

    body = Problem(title=HTTPStatus(status).phrase, status=status, detail=str(exc),
                   memos_error=type(exc).__name__).model_dump_json(exclude_none=True).encode()
    headers = [(b"content-type", b"application/problem+json"),
               (b"content-length", str(len(body)).encode())]
    if status == 401:
        headers.append((b"www-authenticate", b"Bearer"))
    headers.extend(extra)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def mount_mcp(app: FastAPI, mem: MemOS, *, auth: bool, default_scope: Scope | None) -> None:
    """Serve the MCP tools over streamable HTTP at /mcp of the REST app, behind its API keys
    (`auth=True`: each request's Bearer key gives its scope; missing, bad or revoked: 401) or,
    for a loopback `--no-auth` server, in `default_scope`. Runs the SDK's session manager
    inside the app's lifespan."""
    from starlette.routing import Route

    endpoint = _McpEndpoint(build_mcp_server(mem), mem, auth, default_scope)
    for path in (MCP_PATH, MCP_PATH + "/"):
        app.router.routes.append(Route(path, endpoint=endpoint, include_in_schema=False))
    previous = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(asgi_app: Any) -> AsyncIterator[Any]:
        async with endpoint.running(), previous(asgi_app) as state:
            yield state

    app.router.lifespan_context = lifespan


__all__ = ["MCP_PATH", "SCOPE_KEY", "build_mcp_server", "mount_mcp"]
