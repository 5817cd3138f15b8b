"""The REST API: `create_app(mem)` -> a FastAPI app over one open `MemOS` (docs/SERVER.md).

As thin as the CLI: each endpoint calls one SDK method and returns the SDK's own result
type. The scope of every call is the caller's API key's (server/auth.py), never a field of
the request. Errors are RFC 9457 problem details naming the memos error class, which the
Python client (memos.Client) raises again on its side.

Endpoints are plain `def` functions: FastAPI runs them on its thread pool, and one MemOS
serves those threads (writes are serialised inside it, reads run concurrently).
No `from __future__ import annotations` here: FastAPI reads the endpoints' annotations, and
the aliases they use (Who, Admin, ...) live inside `create_app`.
"""

import asyncio
import contextlib
import ipaddress
import json
import logging
import os
import queue
import re
import tempfile
import threading
import time
import weakref
from collections.abc import Iterator, Sequence
from typing import Annotated, Any
from urllib.parse import quote, unquote, unquote_to_bytes

from fastapi import Depends, FastAPI, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, BeforeValidator
from starlette.concurrency import run_in_threadpool
from starlette.convertors import StringConvertor, register_url_convertor
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Send
from starlette.types import Scope as AsgiScope

from memos import __version__
from memos.config import shown_location
from memos.cube import MemCube, Scope, Visibility
from memos.embedders import is_embedder_name
from memos.errors import (
    ConflictError,
    EmbedderMismatchError,
    FingerprintMismatchError,
    ForbiddenError,
    ImportFormatError,
    InvalidInputError,
    KernelError,
    MemosError,
    ModelError,
    NotConfiguredError,
    NotFoundError,
    ScopeError,
    StoreError,
    UnauthorizedError,
)
from memos.facade import MemOS, as_scope
from memos.results import (
    AddResult,
    CheckReport,
    CubeDiff,
    CubePage,
    Edge,
    GcReport,
    ImportReport,
    IngestReport,
    PurgeReport,
    ReindexReport,
    SearchHit,
    StoreStats,
)
from memos.search import MAX_K as search_max_k
from memos.server import wire
from memos.server.auth import Principal, changes_public, local_principal, principal_for_token
from memos.transfer import sibling_line

log = logging.getLogger(__name__)

DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024  # one request; an import over this goes in parts
PROBLEM_JSON = "application/problem+json"
NDJSON = "application/x-ndjson"
# StoreStats fields that count the whole store whatever the scope: hidden from a user's key
# (the changelog and index counters rise with every user's writes, `vectors` counts every
# user's cubes, `disk_bytes` is the store's size).
STORE_WIDE_STATS: dict[str, Any] = {"location": "(server)", "changelog_seq": 0, "vectors": 0,
                                    "index_seq": {}, "disk_bytes": None}

# memos error class -> HTTP status; the first match along the class's MRO wins.
STATUS: dict[type[MemosError], int] = {
    UnauthorizedError: 401,
    ForbiddenError: 403,
    ScopeError: 403,
    NotFoundError: 404,
    ImportFormatError: 400,
    InvalidInputError: 400,
    ConflictError: 409,
    EmbedderMismatchError: 409,
    FingerprintMismatchError: 409,
    StoreError: 503,
    ModelError: 503,
    # (an InvalidInputError to the SDK, whose caller can change its settings; over HTTP the
    # settings are the operator's: memos.errors.NotConfiguredError)
    NotConfiguredError: 503,
    KernelError: 503,
    MemosError: 400,
}
TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
          405: "Method Not Allowed", 409: "Conflict", 413: "Content Too Large",
          415: "Unsupported Media Type", 422: "Unprocessable Content",
          500: "Internal Server Error", 503: "Service Unavailable"}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": wire.Problem, "description": TITLES[status],
             "content": {PROBLEM_JSON: {}}}
    for status in (400, 401, 403, 404, 409, 413, 415, 422)}


def status_of(exc: MemosError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]  # type: ignore[index]
    return 400


def problem(status: int, detail: str, memos_error: str,
            errors: list[Any] | None = None) -> JSONResponse:
    body = wire.Problem(title=TITLES.get(status, "Error"), status=status, detail=detail,
                        memos_error=memos_error, errors=errors)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status,
                        media_type=PROBLEM_JSON, headers=headers)


MAX_PROBLEM_ERRORS = 20  # validation errors a problem lists


def validation_errors(found: Sequence[Any]) -> list[dict[str, Any]]:
    """pydantic's errors without the values that failed: the caller sent them (echoing a
    megabyte back helps nobody), and a NaN or Infinity among them cannot be written as JSON
    at all, which turned a 422 into a 500."""
    out = []
    for error in found[:MAX_PROBLEM_ERRORS]:
        item = {k: error[k] for k in ("type", "loc", "msg") if k in error}
        if "loc" in item:  # (an unknown key is the caller's data, of any length)
            item["loc"] = wire.short_loc(item["loc"])
        if isinstance(error.get("ctx"), dict):
            item["ctx"] = {k: str(v)[:200] for k, v in error["ctx"].items()}
        out.append(jsonable_encoder(item))
    return out


# SDK calls a memos message names, as the REST calls that do the same ("cube X was forgotten;
# history() still lists it" -> "...; GET /v1/memories/X/history still lists it").
_REST_WORDS = ((re.compile(r"cube (\w+) (.*?)history\(\) still lists it"),
                r"cube \1 \2GET /v1/memories/\1/history still lists it"),
               (re.compile(r"cube (\w+) (.*?); see history\(\)"),
                r"cube \1 \2; see GET /v1/memories/\1/history"),
               (re.compile(r"\bupdate\(\) changes nothing on cube (\w+)"),
                r"PATCH /v1/memories/\1 changes nothing: the memory already has those values"),
               (re.compile(r"cube (\S+) was forgotten; restore it with rollback\(cube_id, scope, "
                           r"to_version\) \(memos rollback\)"),
                r"cube \1 was forgotten; restore it with POST /v1/memories/\1/rollback"),
               (re.compile(r"(?<![\w.`])rollback\(cube_id, scope, to_version\)( \(memos "
                           r"rollback\))?"), "POST /v1/memories/ID/rollback"),
               (re.compile(r"(?<![\w.`])update\(\)"), "PATCH /v1/memories/ID"))


def rest_words(message: str) -> str:
    """`message` with the SDK calls it names said as REST calls (`_REST_WORDS`)."""
    for pattern, words in _REST_WORDS:
        message = pattern.sub(words, message)
    return message


# Of an id of the path that a message quotes: twice the longest a cube id can be (64), so
# every id that may exist, and a mistyped one around it, is quoted whole.
MAX_ECHO_CHARS = 128


_LONG_RUN = re.compile(rf"[^\s'\"]{{{MAX_ECHO_CHARS + 1},}}")


def cut(value: str) -> str:
    """`value` as a message may quote it: its first MAX_ECHO_CHARS characters and "…"."""
    return value if len(value) <= MAX_ECHO_CHARS else value[:MAX_ECHO_CHARS] + "\u2026"


def shown_path(path: str) -> str:
    """A request path as a message quotes it: each segment `cut` (the caller's data)."""
    return "/".join(cut(part) for part in path.split("/"))


def error_response(exc: BaseException, echoed: Sequence[str] = ()) -> JSONResponse:
    """The problem details of an exception an endpoint raised. `echoed`: values of the
    request (the path's ids) that the message may quote, which it quotes `cut`: an id of
    5,000 characters is the caller's data, not worth sending back."""
    if isinstance(exc, MemosError):
        extra = ([list(e) for e in exc.errors] if isinstance(exc, ImportFormatError)
                 else None)
        detail = rest_words(str(exc))
        for value in echoed:
            if len(value) > MAX_ECHO_CHARS:
                for said in (value, repr(value)[1:-1]):
                    detail = detail.replace(said, cut(said))
        # (and any other long run the message quotes: an id of the body, `supersedes`'s)
        detail = _LONG_RUN.sub(lambda m: cut(m.group(0)), detail)
        return problem(status_of(exc), detail, type(exc).__name__, extra)
    if isinstance(exc, (RecursionError, OverflowError)):
        return problem(400, "the input is nested too deeply or holds a number out of range; "
                       "simplify it", "InvalidInputError")
    from sqlalchemy.exc import OperationalError

    if isinstance(exc, OperationalError):  # locked or unreachable database: worth a retry
        log.warning("database error: %s", exc)
        return problem(503, "the database could not serve the request (busy or unreachable); "
                       "retry, and run `memos check` if it persists", "StoreError")
    log.exception("internal error", exc_info=exc)
    return problem(500, f"internal error ({type(exc).__name__}); the server log has the "
                   f"details; please report it", "MemosError")


def require_publisher(who: Principal, where: str = "") -> None:
    """A public memory reaches every user of the store (their searches, recalls, answers):
    only an admin key may write one, so that no tenant can plant memories in the others'."""
    if not who.admin:
        raise ForbiddenError(f"public memories are read by every user of this server, so only "
                             f"an admin key may write them{where}; use visibility 'private' "
                             f"or 'shared' (your agents)")


def public_lines(path: str, scope: Scope | None = None) -> list[int]:
    """Numbers of the lines of an export file that hold a public cube (current version or
    history). Lines that are not JSON are left to the import's own checks, and so are, for
    a caller's `scope`, lines every version of which is another agent's of its user: the
    import never writes those (`ImportReport.left`)."""
    found = []
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if b"public" not in raw and b"\\" not in raw:  # "\u0070ublic" is public too
                continue
            try:
                obj = json.loads(raw)
            except (ValueError, RecursionError):
                continue
            if not isinstance(obj, dict):
                continue
            history = obj.get("history")
            versions = [obj.get("cube"), *(history if isinstance(history, list) else [])]
            if scope is not None and sibling_line(obj, scope):
                continue  # a sibling agent's: left to its import, never written here
            if any(isinstance(v, dict) and isinstance(v.get("scope"), dict)
                   and v["scope"].get("visibility") == Visibility.PUBLIC.value
                   for v in versions):
                found.append(number)
    return found


_AUTHORITY = re.compile(r"(?:\[(?P<v6>[0-9a-f:.]+)\]|(?P<name>[^\s:/@\[\]?#\\]+))(?::\d{0,5})?")


def host_name(authority: str) -> str:
    """The host of a Host header or an origin's authority: "[::1]:8000" -> "::1",
    "localhost:80" -> "localhost", "[::1]" -> "::1" (lower case, no trailing dot); "" for
    anything else than a host and an optional numeric port ("localhost:80@evil.com",
    "localhost/x", "local host"): no part of a malformed value is taken for the host."""
    found = _AUTHORITY.fullmatch(authority.strip().lower())
    return (found.group("v6") or found.group("name")) if found else ""


def is_loopback_name(name: str) -> bool:
    """localhost, or a loopback address (127.0.0.0/8, ::1)."""
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_local_request(host: str | None, origin: str | None) -> None:
    """A server without keys answers only requests that a local program made to a loopback
    name. A web page can reach a loopback server too: through a name of its own resolved to
    127.0.0.1 (DNS rebinding; its Host header names it), or by a cross-site request straight
    to 127.0.0.1, which browsers send with the page's Origin (a form post or a fetch "no-cors"
    needs no CORS preflight, and /v1/import reads any body). Both are refused."""
    if not is_loopback_name(host_name(host or "").rstrip(".")):
        raise ForbiddenError(f"a server without auth answers requests to loopback names only "
                             f"(localhost, 127.0.0.1, [::1]), not {(host or '')[:80]!r}")
    if origin is not None:
        scheme, sep, authority = origin.partition("://")
        if not (sep and scheme.lower() in ("http", "https")
                and is_loopback_name(host_name(authority).rstrip("."))):
            raise ForbiddenError(f"a server without auth refuses requests from web pages "
                                 f"(Origin {origin[:80]!r}); use API keys (memos keys create) "
                                 f"to serve a browser application")


class CatchAll:
    """An unexpected exception answered as error_response's problem details (500, or 503
    for a busy database), here rather than by an `exception_handler(Exception)`: Starlette
    runs that one inside ServerErrorMiddleware, which sends its response and then raises the
    exception again, so uvicorn logged a second traceback ("Exception in ASGI application")
    and closed the kept-alive connection, and the client's next call on it failed with
    "connection reset". Outermost of the app's own middleware: BodyLimit's errors land here
    too. An exception after the response started cannot be answered: it is raised on, and
    the server closes that connection (the client sees the body cut off)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: AsgiScope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:
            if started:
                raise
            response = error_response(exc)  # logs it: once, with its traceback
            await response(scope, receive, send)


class SegmentConvertor(StringConvertor):
    """`{cube_id:segment}`: one path segment as the client encoded it (see PathSegments),
    decoded here, so an id holding "/" (sent as "%2F") is that id, not another endpoint."""

    def convert(self, value: str) -> str:
        return unquote(value)

    def to_string(self, value: str) -> str:
        return quote(str(value), safe="")


register_url_convertor("segment", SegmentConvertor())


class PathSegments:
    """Routing by the path's segments as the client sent them. uvicorn hands the app the
    path already decoded, so `GET /v1/memories/<id>%2Fhistory` (memos.Client quotes a cube id
    with safe="") was routed to the history endpoint of <id>, and `<id>%2F..%2F<id>` to no
    endpoint. The routed path is rebuilt from `raw_path`: each segment decoded with its "%"
    and "/" escaped again, which `{cube_id:segment}` (SegmentConvertor) decodes; a path
    without either routes as before."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: AsgiScope, receive: Receive, send: Send) -> None:
        raw = scope.get("raw_path") if scope["type"] == "http" else None
        if isinstance(raw, bytes) and b"%" in raw:
            try:
                text = raw.split(b"?", 1)[0].decode("ascii")
            except UnicodeDecodeError:
                text = None  # not a request target HTTP allows: routed as it was decoded
            if text is not None:
                try:  # (unquote would read bytes that are not UTF-8 as U+FFFD: another id)
                    parts = [unquote_to_bytes(part).decode("utf-8") for part in text.split("/")]
                except UnicodeDecodeError:
                    await problem(400, "the path is not UTF-8: percent-encode the UTF-8 bytes "
                                  "of each id (memos.Client does)", "InvalidInputError")(
                        scope, receive, send)
                    return
                path = "/".join(part.replace("%", "%25").replace("/", "%2F") for part in parts)
                scope = {**scope, "path": path}
        await self.app(scope, receive, send)


class BodyLimit:
    """413 for a request body over `limit` bytes. A declared Content-Length is checked before
    anything is read; a chunked body is read up to the limit first, then handed on."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: AsgiScope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                declared = -1
            if declared < 0:
                await self._refuse(scope, receive, send, 400, "invalid Content-Length header")
                return
            if declared > self.limit:
                await self._refuse(scope, receive, send, 413, self._too_large())
                return
            await self.app(scope, receive, send)
            return
        # No length (chunked): read it all, up to the limit, then replay it.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client went away mid-body: a cut body is not a request
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.limit:
                await self._refuse(scope, receive, send, 413, self._too_large())
                return
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    def _too_large(self) -> str:
        return (f"the request body is over the server's limit of {self.limit:,} bytes; send "
                f"less per request (an import in several parts)")

    @staticmethod
    async def _refuse(scope: AsgiScope, receive: Receive, send: Send, status: int,
                      detail: str) -> None:
        await problem(status, detail, "InvalidInputError")(scope, receive, send)


class _QueueWriter:
    """A text file whose writes go to a queue, so an export streams while it is written."""

    CHUNK = 64 * 1024
    # A client that stops reading (or a response that is never sent) must not hold the
    # export's thread, and the export's rows in memory, for ever: after this long without
    # room in the queue, the export gives up.
    STALL_S = 300.0

    def __init__(self) -> None:
        self.queue: queue.Queue[bytes | BaseException | None] = queue.Queue(maxsize=64)
        self.cancelled = threading.Event()
        self._buffer: list[str] = []
        self._size = 0

    def write(self, text: str) -> int:
        self._buffer.append(text)
        self._size += len(text)
        if self._size >= self.CHUNK:
            self.flush()
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        if self._buffer:
            self.put("".join(self._buffer).encode("utf-8"))
            self._buffer, self._size = [], 0

    def put(self, item: bytes | BaseException | None) -> None:
        deadline = time.monotonic() + self.STALL_S
        while not self.cancelled.is_set():
            with contextlib.suppress(queue.Full):
                self.queue.put(item, timeout=min(0.5, self.STALL_S))
                return
            if time.monotonic() > deadline:
                self.cancelled.set()
                break
        raise BrokenPipeError("the client stopped reading the export")


def _stream_export(mem: MemOS, scope: Scope, include_superseded: bool) -> Iterator[bytes]:
    """Run the export on its own thread; raise its error if it fails before writing."""
    writer = _QueueWriter()

    def work() -> None:
        try:
            mem.export(scope, writer, include_superseded=include_superseded)  # type: ignore[arg-type]
            writer.flush()
            writer.put(None)
        except BaseException as exc:  # handed to the reader, which raises or ends the stream
            with contextlib.suppress(BrokenPipeError):
                writer.put(exc)

    threading.Thread(target=work, name="memos-export", daemon=True).start()
    first = writer.queue.get()
    if isinstance(first, BaseException):
        raise first

    def chunks() -> Iterator[bytes]:
        item: bytes | BaseException | None = first
        try:
            while isinstance(item, bytes):
                yield item
                item = writer.queue.get()
            if isinstance(item, BaseException):
                # After the first bytes the status is sent: raising aborts the response
                # without its last chunk, so a client sees a broken stream (memos.Client
                # deletes the partial file) rather than a short export ending like a whole.
                log.error("export failed mid-stream: %s", item)
                raise item
        finally:
            writer.cancelled.set()

    return chunks()


def _mount_mcp(app: FastAPI, mem: MemOS, auth: bool, default_scope: Scope | None) -> None:
    try:
        from memos.server.mcp_server import mount_mcp
    except ImportError:  # the MCP server is an optional part (the `mcp` package)
        log.info("MCP endpoint not mounted: memos.server.mcp_server is not importable")
        return
    mount_mcp(app, mem, auth=auth, default_scope=default_scope)


class LoopLocks:
    """One asyncio.Lock per running event loop (an asyncio lock belongs to the loop it
    was first waited on, and an app may be served by more than one loop, as test clients
    do). Waiters get the lock in arrival order."""

    def __init__(self) -> None:
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary())

    def for_running_loop(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = asyncio.Lock()
        return lock


def _query_names(dependant: Any) -> set[str]:
    """The query parameters an endpoint declares, its dependencies' included."""
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


async def only_known_query(request: Request) -> None:
    """Unknown query parameters are refused as a body's unknown fields are (422,
    extra_forbidden): `GET /v1/memories?user_id=bob` ignoring `user_id` answered with the
    caller's own list as if it were bob's. A dependency of every route, so each route's
    own parameters are the ones it knows."""
    if not request.query_params or not request.url.path.startswith("/v1/"):
        return  # (`/healthz?probe=1`: a health probe's cache-buster is no mistake)
    dependant = getattr(request.scope.get("route"), "dependant", None)
    if dependant is None:
        return
    known = _query_names(dependant)
    unknown = [name for name in dict.fromkeys(request.query_params.keys())
               if name not in known]
    if unknown:
        raise RequestValidationError([{"type": "extra_forbidden", "loc": ("query", name),
                                       "msg": "Extra inputs are not permitted"}
                                      for name in unknown])


def query_bool(value: Any) -> Any:
    """A boolean of the query string: true or false only, as a JSON body's booleans are
    (pydantic would also read yes, on, 1, ... as true)."""
    if isinstance(value, str):
        if value not in ("true", "false"):
            raise ValueError("Input should be true or false")
        return value == "true"
    return value


QueryBool = Annotated[bool, BeforeValidator(query_bool)]


def model_json(value: BaseModel) -> Response:
    """`value` as its JSON response, serialized once. Returned by the endpoints every agent
    calls in a loop (add, search) with `response_model` naming the type for OpenAPI: a
    model FastAPI serializes itself is validated again first, and for a plain `def`
    endpoint on one more worker-thread hand-off per request."""
    return Response(value.__pydantic_serializer__.to_json(value), media_type="application/json")


def create_app(mem: MemOS, *, auth: bool = True,
               max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
               default_scope: Scope | str | None = None, mcp: bool = True) -> FastAPI:
    """The REST app over `mem` (which the caller opens and closes).

    auth=True: every /v1 call needs `Authorization: Bearer <key>` (memos keys create) and
    runs in that key's scope. auth=False (local development; `memos serve --no-auth` binds
    to loopback only): every call runs in `default_scope`, and admin endpoints are refused.
    """
    if not isinstance(max_body_bytes, int) or max_body_bytes < 1:
        raise InvalidInputError(f"max_body_bytes must be a positive integer, got "
                                f"{max_body_bytes!r:.40}")
    local: Principal | None = None
    if not auth:
        if default_scope is None:
            raise InvalidInputError("a server without auth needs the user its calls run as: "
                                    "pass default_scope (memos serve --no-auth --user ID)")
        sc = as_scope(default_scope)
        local = local_principal(sc.user_id, sc.agent_id)
    app = FastAPI(title="memos", version=__version__,
                  description="Memory operating system for AI agents: the REST API. Every "
                  "call runs in the scope of its API key (Authorization: Bearer <key>).",
                  responses=ERROR_RESPONSES, dependencies=[Depends(only_known_query)])
    app.state.mem = mem
    app.state.auth = auth
    mem.warm()  # a server searches often: load its in-memory indexes before it answers
    bearer = HTTPBearer(auto_error=False, description="An API key from `memos keys create`.")

    # async: FastAPI runs a plain `def` dependency on a worker thread, one more hand-off per
    # request (and the endpoint's own is another). The key check is one indexed SELECT.
    async def caller(request: Request, creds: Annotated[HTTPAuthorizationCredentials | None,
                                                        Depends(bearer)]) -> Principal:
        if local is not None:
            check_local_request(request.headers.get("host"), request.headers.get("origin"))
            return local
        if len(request.headers.getlist("authorization")) > 1:
            # Which one counts would be the first's by accident (a proxy adding its own, a
            # client sending two keys): none does.
            raise InvalidInputError("this request has more than one Authorization header; "
                                    "send exactly one: `Authorization: Bearer <key>`")
        return principal_for_token(mem, creds.credentials if creds is not None else None)

    async def admin_caller(who: Annotated[Principal, Depends(caller)]) -> Principal:
        who.require_admin()
        return who

    Who = Annotated[Principal, Depends(caller)]
    Admin = Annotated[Principal, Depends(admin_caller)]
    Limit = Annotated[int, Query(ge=1, le=wire.MAX_PAGE, description="Items per page.")]
    Cursor = Annotated[str | None, Query(description="next_cursor of the previous page.")]

    def add_scope(who: Principal, visibility: Any, session_id: str | None) -> dict[str, Any]:
        """The key's user and agent; the request may only say how visible the new memory is
        and which session it belongs to."""
        fields: dict[str, Any] = {"user_id": who.user_id, "agent_id": who.agent_id,
                                  "session_id": session_id}
        if visibility is not None:
            if Visibility(visibility) is Visibility.PUBLIC:
                require_publisher(who)
            fields["visibility"] = visibility
        return fields

    # -- errors ------------------------------------------------------------------------

    @app.exception_handler(MemosError)
    async def _memos_error(request: Request, exc: MemosError) -> JSONResponse:
        return error_response(exc, [v for v in request.path_params.values()
                                    if isinstance(v, str)])

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        ctype = request.headers.get("content-type")
        media = (ctype or "").split(";", 1)[0].strip().lower()
        if media != "application/json" and not media.endswith("+json") and any(
                tuple(e.get("loc", ())) == ("body",) and (ctype or e.get("type") != "missing")
                for e in exc.errors()):
            # A body that is not JSON by its type is not read as JSON (whatever it holds),
            # in both auth modes: saying "should be a valid dictionary" of it named no cause.
            return problem(415, f"this endpoint takes a JSON body: send it with Content-Type: "
                           f"application/json (this request's: {cut(ctype or 'none')})",
                           "InvalidInputError")
        detail = wire.invalid_words(exc.errors(), "request")
        if request.url.path == "/v1/search" and any(
                e.get("type") == "extra_forbidden" and tuple(e.get("loc", ()))[-1:] == ("k",)
                for e in exc.errors()):
            detail += "; /v1/search takes limit (the page size) where the SDK's search takes k"
        return problem(422, detail, "InvalidInputError", validation_errors(exc.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        name = "NotFoundError" if exc.status_code == 404 else (
            "UnauthorizedError" if exc.status_code == 401 else "InvalidInputError")
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if exc.status_code == 404:
            detail = f"no such endpoint {shown_path(request.url.path)}; see /openapi.json"
        elif exc.status_code == 405:
            # every route of the path (Starlette's Allow header names the first one's only)
            from starlette.routing import Match

            allowed = sorted({m for route in request.app.router.routes
                              if route.matches(request.scope)[0] != Match.NONE
                              for m in (getattr(route, "methods", None) or ())} - {"HEAD"})
            forget = request.method == "DELETE" and re.fullmatch(r"/v1/memories/[^/]+",
                                                                  request.url.path)
            detail = (f"{request.method} is not allowed on {shown_path(request.url.path)}"
                      + (f"; it takes {', '.join(allowed)}" if allowed else "")
                      + ("; to forget a memory, POST /v1/memories/ID/forget" if forget else "")
                      + "; see /openapi.json")
        return problem(exc.status_code, detail, name)

    app.add_middleware(BodyLimit, limit=max_body_bytes)
    app.add_middleware(PathSegments)
    # Added last, so outermost: every other exception becomes a response here (CatchAll).
    app.add_middleware(CatchAll)

    # -- service -----------------------------------------------------------------------

    @app.get("/healthz", tags=["service"])
    def healthz() -> dict[str, str]:
        """Liveness: the process answers (no key needed, no store access)."""
        return {"status": "ok", "version": __version__}

    @app.get("/v1/whoami", tags=["service"])
    def whoami(who: Who) -> wire.WhoAmI:
        """The key's id and the scope it grants."""
        return wire.WhoAmI(**who.model_dump())

    # -- memories ----------------------------------------------------------------------

    @app.post("/v1/memories", tags=["memories"], response_model=AddResult)
    def add(body: wire.AddRequest, who: Who) -> Any:
        """Add one memory (MemOS.add): deduplicated, versioned, indexed."""
        added = mem.add(body.content, add_scope(who, body.visibility, body.session_id),
                        **body.fields(exclude={"content", "visibility", "session_id"}))
        return model_json(added)

    @app.post("/v1/memories/batch", tags=["memories"])
    def add_many(body: wire.BatchAddRequest, who: Who) -> list[AddResult]:
        """Add many memories in batched transactions (MemOS.add_many)."""
        items = [item if isinstance(item, str) else item.fields() for item in body.items]
        return mem.add_many(items, add_scope(who, body.visibility, body.session_id))

    @app.get("/v1/memories", tags=["memories"])
    def list_memories(who: Who, limit: Annotated[int, Query(ge=1, le=wire.MAX_PAGE)] = 50,
                      cursor: Cursor = None, kind: str | None = None) -> CubePage:
        """The key's own live memories, last stored first, a page at a time
        (MemOS.list_memories)."""
        return mem.list_memories(who.scope, limit=limit, cursor=cursor, kind=kind)

    @app.get("/v1/memories/{cube_id:segment}", tags=["memories"])
    def get(cube_id: str, who: Who,
            version: Annotated[int | None, Query(ge=1)] = None) -> MemCube:
        """A memory (its current version, or `version`)."""
        return mem.get(cube_id, who.scope, version=version)

    def publisher_of(who: Principal, cube_id: str) -> None:
        """Changing a public memory plants words in every user's retrieval as writing one
        does: an admin key only (`require_publisher`)."""
        if not who.admin and changes_public(mem, cube_id, who.scope):
            raise ForbiddenError(f"cube {cube_id} is public: every user of this server reads "
                                 f"it, so only an admin key may change it; supersede or "
                                 f"forget it, or have it changed with an admin key (or on the "
                                 f"server's machine: `memos update`)")

    @app.patch("/v1/memories/{cube_id:segment}", tags=["memories"])
    def update(cube_id: str, body: wire.UpdateRequest, who: Who) -> MemCube:
        """Write a new version with the given fields changed (MemOS.update)."""
        publisher_of(who, cube_id)
        fields = body.fields(exclude={"reason"})
        return mem.update(cube_id, who.scope, reason=body.reason, **fields)

    @app.post("/v1/memories/{cube_id:segment}/supersede", tags=["memories"])
    def supersede(cube_id: str, body: wire.SupersedeRequest, who: Who) -> AddResult:
        """Replace a memory by new content, or by another cube (`by`); the old one is kept
        as superseded (MemOS.supersede)."""
        return mem.supersede(cube_id, who.scope, **body.fields())

    @app.post("/v1/memories/{cube_id:segment}/forget", tags=["memories"])
    def forget(cube_id: str, body: wire.ReasonRequest, who: Who) -> MemCube:
        """Forget a memory in every tier (a new, forgotten version; MemOS.forget)."""
        return mem.forget(cube_id, who.scope, reason=body.reason)

    @app.get("/v1/memories/{cube_id:segment}/history", tags=["memories"])
    def history(cube_id: str, who: Who, limit: Limit = 100,
                cursor: Cursor = None) -> wire.HistoryPage:
        """Every version, oldest first (MemOS.history), a page at a time."""
        key = wire.request_key({"history": cube_id})
        start = wire.decode_cursor(cursor, key)
        items, after = wire.by_version(mem.history(cube_id, who.scope), start, limit, key)
        return wire.HistoryPage(items=items, next_cursor=after)

    @app.get("/v1/memories/{cube_id:segment}/versions", tags=["memories"])
    def versions(cube_id: str, who: Who, limit: Limit = 100,
                 cursor: Cursor = None) -> wire.VersionsPage:
        """How each version was made, oldest first: operation, time and reason
        (MemOS.versions; the owner's only), a page at a time."""
        key = wire.request_key({"versions": cube_id})
        start = wire.decode_cursor(cursor, key)
        items, after = wire.by_version(mem.versions(cube_id, who.scope), start, limit, key)
        return wire.VersionsPage(items=items, next_cursor=after)

    @app.get("/v1/memories/{cube_id:segment}/diff", tags=["memories"])
    def diff(cube_id: str, who: Who,
             from_version: Annotated[int | None, Query(ge=1)] = None,
             to_version: Annotated[int | None, Query(ge=1)] = None) -> CubeDiff:
        """What changed between two versions (default: the last two)."""
        return mem.diff(cube_id, who.scope, from_version, to_version)

    @app.post("/v1/memories/{cube_id:segment}/rollback", tags=["memories"])
    def rollback(cube_id: str, body: wire.RollbackRequest, who: Who) -> MemCube:
        """A new version equal to `to_version` (MemOS.rollback)."""
        publisher_of(who, cube_id)
        return mem.rollback(cube_id, who.scope, body.to_version)

    @app.post("/v1/memories/{cube_id:segment}/links", tags=["graph"])
    def link(cube_id: str, body: wire.LinkRequest, who: Who) -> Edge:
        """An edge from this memory to another one, or to an entity (entity:<name>)."""
        publisher_of(who, cube_id)
        return mem.link(cube_id, body.dst_id, who.scope, relation=body.relation,
                        weight=body.weight)

    @app.get("/v1/memories/{cube_id:segment}/neighbors", tags=["graph"])
    def neighbors(cube_id: str, who: Who, relation: str | None = None,
                  depth: Annotated[int, Query(ge=1, le=5)] = 1, limit: Limit = 100,
                  cursor: Cursor = None) -> wire.NeighborPage:
        """Memories linked to this one, up to `depth` hops (MemOS.neighbors)."""
        key = wire.request_key({"neighbors": cube_id, "relation": relation, "depth": depth})
        start = wire.decode_cursor(cursor, key)
        found = mem.neighbors(cube_id, who.scope, relation=relation, depth=depth)
        end = start + limit
        return wire.NeighborPage(items=found[start:end], next_cursor=wire.encode_cursor(
            end, key) if end < len(found) else None)

    # -- search ------------------------------------------------------------------------

    search_turns = LoopLocks()

    @app.post("/v1/search", tags=["search"], response_model=wire.SearchPage)
    async def search(body: wire.SearchRequest, who: Who) -> Any:
        """Hybrid search (dense, full text, graph) in the key's scope, with filters. A page
        holds `limit` hits; `next_cursor` gives the next ones."""
        # A process that runs one search at a time (`memos serve --workers N` on N cores:
        # each worker's share is one) runs it on the event loop, as a sync worker would:
        # searches queue as requests instead of threads waiting for the search gate, and
        # the search pays no hand-off to a worker thread and back, nor GIL turns with the
        # loop. Other requests of this worker wait for it (a few ms; adds still run on
        # worker threads). Only a search that can start at once does so: one that would
        # wait (another search under way, a reindex holding the indexes) or may first
        # catch up with writes (the database changed since a search last found its
        # indexes current) runs on a worker thread, so that it never stalls the loop. With
        # more searches at once they overlap on worker threads.
        #
        # With one search at a time, the searches of this worker also take turns here, on
        # the loop, in arrival order: a search that had to go to a thread (a catch-up, say)
        # is waited for before the next one looks, which would otherwise find it under way
        # and go to a thread as well, and so would the ones after it. (Where no search can
        # run on the loop, PostgreSQL or in-memory SQLite, they wait in the search gate.)
        if mem.search_limit == 1 and mem.may_search_at_once:
            async with search_turns.for_running_loop():
                if mem.can_search_at_once():
                    return search_page(body, who)
                return await run_in_threadpool(search_page, body, who)
        return await run_in_threadpool(search_page, body, who)

    def search_page(body: wire.SearchRequest, who: Principal) -> Response:
        options = body.fields(exclude={"query", "limit", "cursor"})
        key = wire.request_key({"query": body.query, **options})
        # The first walk of a paged search asks for as many hits as a search can while it
        # fuses lists as deep as the first page's (RetrievalConfig.widest_at_depth): the
        # first page is then its first hits.
        widest = mem.config.retrieval.widest_at_depth
        least = widest(1)  # the pools a first page ranks with
        start, pool = wire.decode_search_cursor(
            body.cursor, key, pools=(least, max(least, wire.MAX_SEARCH_PAGE)))
        end = start + body.limit
        if pool is None:  # the first page: exactly MemOS.search(k=limit)
            pool = widest(body.limit)
            hits = mem.search(body.query, who.scope, k=body.limit, **options)
            more = len(hits) == body.limit
        else:
            hits, more = search_walk(body.query, who.scope, options, pool, end)
        # A paged search ends where the SDK's largest search does (search_max_k hits): what
        # a cursor may hold is so bounded (wire.decode_search_cursor).
        return model_json(wire.SearchPage(items=hits[start:end], next_cursor=wire.encode_cursor(
            end, key, pool) if more and len(hits) >= end and end < search_max_k else None))

    def search_walk(query: str, scope: Any, options: dict[str, Any], pool: int,
                    need: int) -> tuple[list[SearchHit], bool]:
        """The hits of a paged search, in one order every page of it agrees on, as far as
        `need` of them. A search ranks its hits within a candidate pool that grows with k,
        so the hits 51-100 of search(k=100) are not what follows the hits of search(k=50)
        (some of those may come again, others never). A walk ranks with the first page's
        pool, then with pools twice as large in turn, each adding only hits not yet in the
        order: so a page is always the next slice of the same order. Returns the hits and
        whether the search may have more."""
        order: list[SearchHit] = []
        seen: set[str] = set()
        while True:
            hits = mem.search(query, scope, k=min(pool, search_max_k), **options)
            for hit in hits:
                if hit.id not in seen:
                    seen.add(hit.id)
                    order.append(hit)
            exhausted = len(hits) < min(pool, search_max_k) or pool >= search_max_k
            if exhausted or len(order) >= need:
                return order, not exhausted or len(order) > need
            pool *= 2

    # -- the model ---------------------------------------------------------------------

    @app.post("/v1/recall", tags=["model"])
    def recall(body: wire.RecallRequest, who: Who) -> wire.RecallResult:
        """Retrieve, then load (or encode) the memories' activation slots on the server;
        the response names them (the tensors stay on the server)."""
        got = mem.recall(body.query, who.scope, body.k)
        return wire.RecallResult(cubes=got.cubes, hits=got.hits, misses=got.misses,
                                 skipped=got.skipped, seconds=got.seconds,
                                 model_fingerprint=got.model_fingerprint)

    @app.post("/v1/answer", tags=["model"])
    def answer(body: wire.AnswerRequest, who: Who) -> wire.AnswerResult:
        """The memory model's answer from the retrieved memories' slots."""
        got = mem.answer(body.question, who.scope, body.k, max_new_tokens=body.max_new_tokens,
                         own_only=body.own_only, memories=body.memories)
        return wire.AnswerResult(text=got.text, cubes=got.cubes, hits=got.hits,
                                 misses=got.misses, seconds=got.seconds,
                                 model_fingerprint=got.model_fingerprint, skipped=got.skipped,
                                 tier=got.tier, adapter_id=got.adapter_id,
                                 adapter_version=got.adapter_version,
                                 adapter_fingerprint=got.adapter_fingerprint)

    if hasattr(MemOS, "ingest"):
        @app.post("/v1/ingest", tags=["memories"])
        def ingest(body: wire.IngestRequest, who: Who) -> IngestReport:
            """Chat messages -> episodes, facts and preferences (MemOS.ingest). Mode "llm"
            needs an LLM endpoint configured on the server: without one, 503."""
            try:
                return mem.ingest(body.messages, who.scope, **body.fields(exclude={"messages"}))
            except NotConfiguredError:
                # (raised after the messages were checked) The caller sent nothing wrong:
                # the server lacks what the mode needs. Its message tells the operator's
                # settings, which are not the caller's to read.
                raise NotConfiguredError(
                    "this server has no usable LLM endpoint for mode 'llm' (its operator sets "
                    "MEMOS_LLM_URL and MEMOS_LLM_MODEL, and installs the llm extra, before "
                    "`memos serve`); send mode 'rules', which needs none") from None

    # -- stats, export, import ---------------------------------------------------------

    @app.get("/v1/stats", tags=["store"])
    def stats(who: Who) -> StoreStats:
        """Counts of the key's user's memories. What describes the whole store (where it
        lives, its size, its write and index counters, the vectors of every user) is not the
        key's to see: those fields read "(server)", 0, {} and null (/v1/admin/stats has them)."""
        return mem.stats(who.scope).model_copy(update=STORE_WIDE_STATS)

    @app.get("/v1/export", tags=["store"], response_class=StreamingResponse,
             responses={200: {"content": {NDJSON: {}},
                              "description": "The export file (JSON lines), streamed."}})
    def export(who: Who, include_superseded: QueryBool = True) -> StreamingResponse:
        """The key's own live memories as a memos export file (JSON lines), streamed."""
        return StreamingResponse(_stream_export(mem, who.scope, include_superseded),
                                 media_type=NDJSON)

    @app.post("/v1/import", tags=["store"],
              openapi_extra={"requestBody": {"required": True, "content": {
                  NDJSON: {"schema": {"type": "string"}}}}})
    async def import_(request: Request, who: Who,
                      on_error: Annotated[str, Query(pattern="^(skip|abort)$")] = "abort"
                      ) -> ImportReport:
        """Import a memos export file (the request body, JSON lines) into the key's scope."""
        fd, path = tempfile.mkstemp(prefix="memos-import-", suffix=".jsonl")
        try:
            with os.fdopen(fd, "wb") as handle:
                async for chunk in request.stream():
                    await run_in_threadpool(handle.write, chunk)
            if not who.admin and on_error == "abort":
                public = await run_in_threadpool(public_lines, path, who.scope)
                if public:
                    where = "line" if len(public) == 1 else "lines"
                    require_publisher(who, f" ({where} {', '.join(map(str, public[:10]))}"
                                           f"{' ...' if len(public) > 10 else ''}; with "
                                           f"on_error=skip they are skipped)")
            # keep_ids=False: an id kept when free and replaced when taken would tell the
            # key whether another user holds it. public: with on_error=skip, the lines a
            # key that is not an admin's may not write are bad lines, skipped
            return await run_in_threadpool(mem.import_, path, who.scope,
                                           on_error=on_error,  # type: ignore[arg-type]
                                           keep_ids=False, public=who.admin)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(path)

    # -- administration (admin keys) -----------------------------------------------------

    @app.get("/v1/admin/stats", tags=["admin"])
    def admin_stats(who: Admin) -> StoreStats:
        """Counts over the whole store (a database URL's password shown as ***)."""
        found = mem.stats()
        return found.model_copy(update={"location": shown_location(found.location)})

    @app.post("/v1/admin/check", tags=["admin"])
    def check(body: wire.CheckRequest, who: Admin) -> CheckReport:
        """Compare the derived indexes with SQL (and rebuild them with repair=true)."""
        return mem.check(repair=body.repair)

    @app.post("/v1/admin/reindex", tags=["admin"])
    def reindex(body: wire.ReindexRequest, who: Admin) -> ReindexReport:
        """Rebuild the indexes from SQL, re-embedding every cube (optionally with another
        embedder, by name)."""
        name = body.embedder
        # Only names: anything else would be taken as a folder on the server, and the
        # server's own folders ("docs", "" the working folder) must not be loaded as models at
        # a caller's word.
        if name is not None and ("/" in name or "\\" in name or name.startswith(".")):
            raise ForbiddenError("an embedder folder cannot be named over HTTP; give a name "
                                 "such as 'hashing', or run `memos reindex` on the server")
        if name is not None and not is_embedder_name(name):
            raise InvalidInputError(f"unknown embedder {name[:80]!r}; over HTTP give 'hashing', "
                                    "'hashing:DIM' or 'minilm'")
        return mem.reindex(embedder=name)

    @app.post("/v1/admin/gc", tags=["admin"])
    def gc(body: wire.GcRequest, who: Admin) -> GcReport:
        """Archive expired memories (of every user, of `user_id`, or of one agent of it)."""
        if body.agent_id is not None and body.user_id is None:
            raise InvalidInputError("agent_id needs user_id: whose agent? (without both, gc "
                                    "covers the whole store)")
        scope = {"user_id": body.user_id, "agent_id": body.agent_id} if body.user_id else None
        return mem.gc(scope=scope)

    @app.post("/v1/admin/purge", tags=["admin"])
    def purge(body: wire.PurgeUserRequest, who: Admin) -> PurgeReport:
        """Erase every memory of a user (or of one agent of the user) from every tier and
        file: an erasure request. Audited with the admin key's id."""
        return mem.purge(None, {"user_id": body.user_id, "agent_id": body.agent_id},
                         all_of_user=True, reason=body.reason, actor=f"key:{who.key_id}")

    if mcp:
        _mount_mcp(app, mem, auth, as_scope(default_scope) if default_scope else None)
    return app


__all__ = ["DEFAULT_MAX_BODY_BYTES", "STATUS", "create_app", "status_of"]
