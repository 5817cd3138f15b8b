"""`memos.Client`: the REST API (`memos serve`) behind the methods and result types of
`MemOS`, so agent code moves from an embedded store to a server by one line:

    mem = memos.MemOS.open("./.memos")                          # embedded
    mem = memos.Client("http://127.0.0.1:8000", key="memos-...")  # remote

Differences that follow from the server owning the scope (docs/SERVER.md):
- the scope of every call is the API key's. `scope` may be left out (None); when given, its
  user and agent must be the key's (ScopeError otherwise), and for `add` its visibility and
  session id are sent with the new memory;
- `stats(None)` is the key's user's; `purge` erases a whole user (admin key) and `gc` takes
  no `now`; `recall` returns the cubes it loaded without their tensors (`slots` is None);
  `model=` is the server's choice.

Errors are the same `memos.errors` classes, rebuilt from the server's problem details.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TextIO

from pydantic import TypeAdapter, ValidationError
from pydantic_core import to_jsonable_python

from memos import errors
from memos.arguments import check_arguments
from memos.cube import MAX_BATCH, MemCube, Scope, check_seconds
from memos.errors import ConflictError, InvalidInputError, MemosError, ScopeError, StoreError
from memos.results import (
    AddResult,
    CheckReport,
    CubeDiff,
    CubePage,
    Edge,
    ExportReport,
    GcReport,
    ImportReport,
    IngestReport,
    Neighbor,
    ProgressFn,
    PurgeReport,
    ReindexReport,
    SearchHit,
    StoreStats,
    VersionRecord,
)

if TYPE_CHECKING:
    import httpx

    from memos.results import Answer, Recall

PAGE = 1000  # the server's largest page
BATCH = 500  # items per request of add_many (well under the server's body limit)
_ADD_RESULTS = TypeAdapter(list[AddResult])


def error_from_problem(status: int, body: Any, fallback: str = "") -> MemosError:
    """The memos error a problem-details response describes (MemosError for an unknown
    class; StoreError when the body is not problem details at all)."""
    if not isinstance(body, Mapping) or "memos_error" not in body:
        return StoreError(f"the server answered HTTP {status}: {fallback[:200]!r}; is the URL "
                          f"a memos server (memos serve)?")
    name = str(body.get("memos_error"))
    detail = str(body.get("detail") or body.get("title") or f"HTTP {status}")
    cls = getattr(errors, name, None)
    if not (isinstance(cls, type) and issubclass(cls, MemosError)):
        cls = MemosError
    if cls is errors.ImportFormatError:
        found = [tuple(e) for e in body.get("errors") or [] if isinstance(e, list | tuple)]
        return errors.ImportFormatError(detail, found)  # type: ignore[arg-type]
    return cls(detail)


def _jsonable(value: Any) -> Any:
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInputError(f"content is not valid UTF-8 ({exc.reason} at byte "
                                    f"{exc.start}); decode it first") from None
    try:
        return to_jsonable_python(value, fallback=_unsendable)
    except (ValueError, TypeError) as exc:
        raise InvalidInputError(str(exc)) from None


def _unsendable(value: Any) -> Any:
    raise InvalidInputError(f"{type(value).__name__} cannot be sent to a memos server; pass "
                            f"JSON values (str, number, bool, list, dict, datetime)")


def _fields(fields: Mapping[str, Any], *, adding: bool = False,
            stored: bool = True) -> dict[str, Any]:
    """Keyword arguments as JSON values, refused or shaped where JSON would change them
    before MemOS's own checks on the server see them: a metadata key that is not a string
    (JSON makes 1 the key "1", which MemOS refuses), metadata to store (`stored`) holding a
    value JSON has not (a datetime or a set would arrive as a string or a list; MemOS refuses
    them) and, for add, one tag given as a string (MemOS stores ["abc"] for tags="abc")."""
    out: dict[str, Any] = {}
    for name, value in fields.items():
        if name == "metadata" and isinstance(value, Mapping):
            for key in value:
                if not isinstance(key, str):
                    raise InvalidInputError(f"invalid memory: metadata key {key!r:.40} must "
                                            f"be a string")
            if stored:
                try:
                    json.dumps(value, allow_nan=False)
                except (TypeError, ValueError, RecursionError) as exc:
                    raise InvalidInputError(
                        f"invalid memory: metadata must hold JSON values (str, finite number, "
                        f"bool, null, list, dict): {exc}") from None
        if adding and name == "tags" and isinstance(value, str):
            value = [value]
        out[name] = _jsonable(value)
    return out


def _json_body(value: Any) -> bytes:
    """A request body as JSON (UTF-8). NaN, Infinity, lone surrogates and values that are
    not JSON are InvalidInputError, as MemOS raises for them (httpx's own encoder raised a
    bare ValueError, UnicodeEncodeError or TypeError)."""
    try:
        return json.dumps(value, allow_nan=False, ensure_ascii=False,
                          separators=(",", ":")).encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInputError("the text is not valid Unicode (lone surrogates); decode the "
                                "source bytes as UTF-8 with errors='replace'") from None
    except ValueError:
        raise InvalidInputError("a number is NaN or infinite; pass finite numbers") from None
    except (TypeError, RecursionError) as exc:
        raise InvalidInputError(f"the arguments cannot be sent as JSON ({exc}); pass JSON "
                                f"values (str, number, bool, list, dict, datetime)") from None


def _ndjson_lines(chunks: Iterable[bytes]) -> Iterator[str]:
    """The lines of a JSON-lines stream, split on "\n" only: the text may hold U+2028 and
    other characters that str.splitlines (and httpx's iter_lines) would split on."""
    rest = b""
    for chunk in chunks:
        rest += chunk
        *lines, rest = rest.split(b"\n")
        for line in lines:
            if line.strip():
                yield line.decode("utf-8")
    if rest.strip():
        yield rest.decode("utf-8")


def _check_progress(progress: Any) -> None:
    """`progress=` as `MemOS` takes it: None or a function (done, total) -> None, checked
    before any request (a TypeError after the writes would leave them made)."""
    if progress is not None and not callable(progress):
        raise InvalidInputError(f"progress must be a function (done, total) -> None, "
                                f"got {progress!r:.40}")


def _query_int(value: Any, name: str) -> int:
    """An integer sent in the query string, checked here as MemOS checks it: there "1", 1.0
    and True would read as the number 1 (the server checks the range)."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidInputError(f"{name} must be an integer, got {value!r:.40}")
    return value


def _checked_key(key: Any) -> str:
    """The API key, stripped of the surrounding whitespace a key file's last line brings.
    A key that cannot be an HTTP header value is refused here, without its text: sent, the
    HTTP library's error would quote the whole header, secret included."""
    if not isinstance(key, str):
        raise InvalidInputError(f"key must be the API key's text (memos keys create), got a "
                                f"{type(key).__name__}")
    key = key.strip()
    if not key or len(key) > 256 or not all("!" <= ch <= "~" for ch in key):
        raise InvalidInputError("key is not an API key (printable ASCII without spaces, as "
                                "`memos keys create` prints it); check where it was read from")
    return key


@check_arguments  # a call that does not bind: InvalidInputError, never TypeError
class Client:
    """A memos server, with the methods of `MemOS` (see the module docstring)."""

    def __init__(self, url: str, key: str | None = None, *, timeout: float = 60.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        import httpx

        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise InvalidInputError(f"url must be the server's http(s):// address, such as "
                                    f"http://127.0.0.1:8000, got {url!r:.80}")
        check_seconds(timeout, "timeout")
        try:
            parsed = httpx.URL(url)
            if not parsed.host:
                raise httpx.InvalidURL("no host")
        except (httpx.InvalidURL, UnicodeError, ValueError) as exc:
            raise InvalidInputError(f"url {url[:80]!r} is not a valid address ({exc}); give "
                                    f"one such as http://127.0.0.1:8000") from None
        headers = {"Authorization": f"Bearer {_checked_key(key)}"} if key else {}
        base = url.rstrip("/")
        # shown in messages without any user:password@ it holds
        self.url = str(parsed.copy_with(username=None, password=None)).rstrip("/") \
            if parsed.userinfo else base
        self._http = httpx.Client(base_url=base, headers=headers, timeout=timeout,
                                  transport=transport)
        self._me: dict[str, Any] | None = None

    # -- plumbing ------------------------------------------------------------------------

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _send(self, method: str, path: str, *, refused: Callable[[], None] | None = None,
              **kwargs: Any) -> httpx.Response:
        """The response to a request; an error answer raised as its memos error. `refused`:
        run when the server's schema refused the request (422, nothing done), to raise the
        error MemOS raises for those arguments where it has its own words (pydantic's
        "body.tags: Input should be a valid list" says less than "tags must be a list")."""
        import httpx

        if "json" in kwargs:  # encoded here, so what JSON cannot carry is MemOS's error
            kwargs["content"] = _json_body(kwargs.pop("json"))
            kwargs["headers"] = {**kwargs.get("headers", {}),
                                 "Content-Type": "application/json"}
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TimeoutException:
            raise StoreError(f"the memos server at {self.url} did not answer within "
                             f"{self._http.timeout.read} s; a write may have been made all the "
                             f"same (check before retrying), or give Client(timeout=...) "
                             f"more") from None
        except httpx.TransportError as exc:
            raise StoreError(f"cannot reach the memos server at {self.url}: {exc}; is `memos "
                             f"serve` running there?") from None
        if response.status_code >= 400:
            if response.status_code == 422 and refused is not None:
                refused()
            try:
                body = response.json()
            except ValueError:
                body = None
            raise error_from_problem(response.status_code, body, response.text)
        return response

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._send(method, path, **kwargs)
        if response.status_code != 200 or not response.headers.get(
                "content-type", "").startswith("application/json"):
            raise self._not_memos(response)
        try:
            return response.json()
        except ValueError:
            raise self._not_memos(response) from None

    def _not_memos(self, response: httpx.Response) -> StoreError:
        """A success answer that is not a memos server's: a redirect, a proxy's or a web
        server's page, an empty answer."""
        where = response.headers.get("location")
        said = (f"a redirect to {where}" if where else
                f"HTTP {response.status_code} "
                f"({response.headers.get('content-type') or 'no content type'})")
        return StoreError(f"{self.url} answered {response.request.method} "
                          f"{response.request.url.path} with {said}, not a memos answer; is "
                          f"the URL a memos server's (memos serve)?")

    def _parse(self, model: Any, data: Any, name: str | None = None) -> Any:
        """`data` read as `model` (a pydantic model, a TypeAdapter or a function of the
        data), where data of another shape is the server's fault, not the caller's: a
        StoreError."""
        read = (getattr(model, "model_validate", None) or getattr(model, "validate_python", None)
                or model)
        try:
            return read(data)
        except (ValidationError, TypeError, KeyError, ValueError, IndexError) as exc:
            what = name or getattr(model, "__name__", "memos result")
            raise StoreError(f"{self.url} answered with data that is not a {what} "
                             f"({str(exc).splitlines()[0] if str(exc) else type(exc).__name__});"
                             f" is the server a memos server of this version?") from None

    def whoami(self) -> dict[str, Any]:
        """The key's id, user, agent and whether it is an admin key."""
        if self._me is None:
            self._me = self._call("GET", "/v1/whoami")
        return dict(self._me)

    def _check_scope(self, scope: Any) -> Scope | None:
        """None, or the caller's scope after checking that it is the key's user and agent."""
        if scope is None:
            return None
        sc = _as_scope(scope)
        me = self.whoami()
        if (sc.user_id, sc.agent_id) != (me["user_id"], me["agent_id"]):
            raise ScopeError(f"this client's key is for user {me['user_id']!r} (agent "
                             f"{me['agent_id']!r}); scope asks for user {sc.user_id!r} (agent "
                             f"{sc.agent_id!r}): leave scope out, or use that user's key")
        return sc

    @staticmethod
    def _path(cube_id: Any) -> str:
        if not isinstance(cube_id, str) or not cube_id:
            raise InvalidInputError(f"cube id must be a non-empty string (an id that add or "
                                    f"search returned), got {cube_id!r:.80}")
        from urllib.parse import quote

        # "." and ".." are path segments to an HTTP client (httpx drops them: "." would
        # read the list, "../x" another endpoint), so their dots are sent escaped.
        return "/v1/memories/" + quote(cube_id, safe="").replace(".", "%2E")

    def _pages(self, method: str, path: str, limit: int, want: int | None = None,
               body: dict[str, Any] | None = None,
               params: dict[str, Any] | None = None) -> Iterator[Any]:
        cursor: str | None = None
        got = 0
        while True:
            if body is not None:
                page = self._call(method, path, json={**body, "limit": limit,
                                                      **({"cursor": cursor} if cursor else {})})
            else:
                page = self._call(method, path, params={**(params or {}), "limit": limit,
                                                        **({"cursor": cursor} if cursor else {})})
            if not isinstance(page, dict) or not isinstance(page.get("items"), list):
                raise StoreError(f"{self.url} answered {path} with no page of items; is the "
                                 f"server a memos server of this version?")
            for item in page["items"]:
                yield item
                got += 1
                if want is not None and got >= want:
                    return
            cursor = page.get("next_cursor")
            if not cursor or not page["items"]:
                return

    # -- writes --------------------------------------------------------------------------

    def add(self, content: str | bytes, scope: Any = None, **fields: Any) -> AddResult:
        sc = self._check_scope(scope)
        body = {"content": _jsonable(content), **_fields(fields, adding=True)}
        if sc is not None:
            body.update(visibility=sc.visibility.value, session_id=sc.session_id)

        def refused() -> None:
            # Only once the server refused them: MemOS's checks import the store stack,
            # which a client that sends good arguments never loads.
            from memos.writes import check_add_arguments

            check_add_arguments(content, fields)

        return self._parse(AddResult, self._call("POST", "/v1/memories", json=body,
                                                 refused=refused))

    def add_many(self, items: Iterable[Any], scope: Any = None, *,
                 batch_size: int | None = None,
                 progress: ProgressFn | None = None) -> list[AddResult]:
        sc = self._check_scope(scope)
        _check_progress(progress)
        if isinstance(items, (str, bytes, Mapping)) or not isinstance(items, Iterable):
            raise InvalidInputError("add_many() takes a list of items (texts, or dicts with "
                                    "'content' and the fields of add())")
        size = BATCH if batch_size is None else batch_size
        if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= MAX_BATCH:
            raise InvalidInputError(f"batch_size must be an integer from 1 to {MAX_BATCH:,}, "
                                    f"got {size!r:.40}")
        given = list(items)
        todo = [_fields(i, adding=True) if isinstance(i, Mapping) else _jsonable(i)
                for i in given]
        extra = {} if sc is None else {"visibility": sc.visibility.value,
                                       "session_id": sc.session_id}

        def refused() -> None:  # (as add's)
            from memos.writes import check_item

            for index, item in enumerate(given):
                check_item(item, index)

        out: list[AddResult] = []
        if not todo:
            return out
        for start in range(0, len(todo), min(size, BATCH)):
            chunk = todo[start:start + min(size, BATCH)]
            out += self._parse(_ADD_RESULTS, self._call(
                "POST", "/v1/memories/batch", json={"items": chunk, **extra}, refused=refused),
                "list of AddResult")
            if progress:
                progress(len(out), len(todo))
        return out

    def update(self, cube_id: str, scope: Any = None, *, reason: str | None = None,
               clear: Sequence[str] = (), **changes: Any) -> MemCube:
        self._check_scope(scope)
        body = {**_fields(changes), **({"reason": reason} if reason is not None else {}),
                **({"clear": list(clear)} if clear else {})}
        return self._parse(MemCube, self._call("PATCH", self._path(cube_id), json=body))

    def supersede(self, cube_id: str, scope: Any = None, *, content: str | None = None,
                  by: str | None = None, reason: str | None = None,
                  ended_at: datetime | date | str | None = None, **add_fields: Any
                  ) -> AddResult:
        self._check_scope(scope)
        if (content is None) == (by is None):
            raise InvalidInputError("supersede() needs exactly one of content= or by=")
        body = _fields({**{k: v for k, v in {"content": content, "by": by, "reason": reason,
                                             "ended_at": ended_at}.items() if v is not None},
                        **add_fields})
        return self._parse(AddResult, self._call(
            "POST", self._path(cube_id) + "/supersede", json=body))

    def rollback(self, cube_id: str, scope: Any = None, to_version: int | None = None
                 ) -> MemCube:
        """A new version equal to `to_version` (MemOS.rollback's order: `scope` may be left
        out, as in every call here: `rollback(cube_id, to_version=2)`)."""
        self._check_scope(scope)
        if to_version is None:
            raise InvalidInputError("rollback() needs to_version: the version to restore "
                                    "(history() lists them)")
        return self._parse(MemCube, self._call(
            "POST", self._path(cube_id) + "/rollback", json={"to_version": to_version}))

    def forget(self, cube_id: str, scope: Any = None, *, reason: str | None = None) -> MemCube:
        self._check_scope(scope)
        return self._parse(MemCube, self._call(
            "POST", self._path(cube_id) + "/forget",
            json={"reason": reason} if reason is not None else {}))

    def link(self, src_id: str, dst_id: str, scope: Any = None, *, relation: str = "related",
             weight: float = 1.0) -> Edge:
        self._check_scope(scope)
        return self._parse(Edge, self._call(
            "POST", self._path(src_id) + "/links",
            json={"dst_id": dst_id, "relation": relation, "weight": _jsonable(weight)}))

    def ingest(self, messages: Any, scope: Any = None, *, session_id: str,
               at: Any = None, mode: str = "rules", user_name: str | None = None,
               progress: ProgressFn | None = None) -> IngestReport:
        self._check_scope(scope)
        _check_progress(progress)
        if isinstance(at, date) and not isinstance(at, datetime):  # as MemOS.ingest: noon UTC
            at = datetime.combine(at, dtime(12, 0), tzinfo=UTC)
        elif at is not None and not isinstance(at, (datetime, str)):  # JSON has no datetime
            raise InvalidInputError(f"at must be a datetime, a date or an ISO 8601 string, "
                                    f"got {at!r:.40}")
        body = _fields({"messages": messages, "session_id": session_id, "mode": mode,
                        **{k: v for k, v in {"at": at, "user_name": user_name}.items()
                           if v is not None}})
        report = self._parse(IngestReport, self._call("POST", "/v1/ingest", json=body))
        if progress:  # one request: done when it returns
            progress(report.turns, report.turns)
        return report

    # -- reads ---------------------------------------------------------------------------

    def get(self, cube_id: str, scope: Any = None, *, version: int | None = None) -> MemCube:
        self._check_scope(scope)
        params = {"version": _query_int(version, "version")} if version is not None else None
        return self._parse(MemCube, self._call("GET", self._path(cube_id), params=params))

    def list_memories(self, scope: Any = None, *, limit: int = 50, cursor: str | None = None,
                      kind: str | None = None) -> CubePage:
        self._check_scope(scope)
        params = {k: v for k, v in {"limit": _query_int(limit, "limit"), "cursor": cursor,
                                    "kind": kind}.items() if v is not None}
        return self._parse(CubePage, self._call("GET", "/v1/memories", params=params))

    def history(self, cube_id: str, scope: Any = None) -> list[MemCube]:
        self._check_scope(scope)
        return [self._parse(MemCube, c)
                for c in self._pages("GET", self._path(cube_id) + "/history", PAGE)]

    def versions(self, cube_id: str, scope: Any = None) -> list[VersionRecord]:
        self._check_scope(scope)
        return [self._parse(VersionRecord, v)
                for v in self._pages("GET", self._path(cube_id) + "/versions", PAGE)]

    def diff(self, cube_id: str, scope: Any = None, from_version: int | None = None,
             to_version: int | None = None) -> CubeDiff:
        self._check_scope(scope)
        params = {k: _query_int(v, k) for k, v in {"from_version": from_version,
                                                   "to_version": to_version}.items()
                  if v is not None}
        return self._parse(CubeDiff, self._call("GET", self._path(cube_id) + "/diff",
                                                  params=params))

    def neighbors(self, cube_id: str, scope: Any = None, *, relation: str | None = None,
                  depth: int = 1) -> list[Neighbor]:
        self._check_scope(scope)
        params: dict[str, Any] = {"depth": _query_int(depth, "depth")}
        if relation is not None:
            params["relation"] = relation
        return [self._parse(Neighbor, n) for n in self._pages(
            "GET", self._path(cube_id) + "/neighbors", PAGE, params=params)]

    def search(self, query: str, scope: Any = None, k: int = 10,
               **options: Any) -> list[SearchHit]:
        self._check_scope(scope)
        if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= 10_000:
            raise InvalidInputError(f"k must be an integer from 1 to 10,000, got {k!r:.40}")
        paging = sorted({"limit", "cursor"} & set(options))
        if paging:  # the pages are this method's own; MemOS.search has no such options
            raise InvalidInputError(f"search() got unknown option(s) {paging}; k says how "
                                    f"many hits")
        body = {"query": query, **_fields(options, stored=False)}
        return [self._parse(SearchHit, h)
                # one page of k: a search ranks within a pool that grows with k, so only
                # one request gives exactly what MemOS.search(k) gives
                for h in self._pages("POST", "/v1/search", k, k, body=body)]

    def stats(self, scope: Any = None) -> StoreStats:
        """The key's user's counts (an admin key's store-wide counts: `admin_stats`)."""
        self._check_scope(scope)
        return self._parse(StoreStats, self._call("GET", "/v1/stats"))

    def admin_stats(self) -> StoreStats:
        return self._parse(StoreStats, self._call("GET", "/v1/admin/stats"))

    # -- the model -----------------------------------------------------------------------

    def recall(self, query: str, scope: Any = None, k: int = 8, *, model: Any = None) -> Recall:
        """The cubes the server loaded slots for (`slots` is None: tensors stay there)."""
        from memos.results import Recall

        self._check_scope(scope)
        if model is not None:
            raise InvalidInputError("the server chooses the model; call recall() without model=")
        return self._parse(lambda got: Recall(
            slots=None, cubes=[tuple(c) for c in got["cubes"]], hits=got["hits"],
            misses=got["misses"], skipped=[tuple(s) for s in got["skipped"]],
            seconds=got["seconds"], model_fingerprint=got["model_fingerprint"]),
            self._call("POST", "/v1/recall", json={"query": query, "k": k}), "Recall")

    def answer(self, question: str, scope: Any = None, k: int = 8, *, model: Any = None,
               max_new_tokens: int = 80, own_only: bool = False,
               memories: Sequence[str] | None = None) -> Answer:
        from memos.results import Answer

        self._check_scope(scope)
        if model is not None:
            raise InvalidInputError("the server chooses the model; call answer() without model=")
        if memories is not None and (isinstance(memories, str)
                                     or not isinstance(memories, Iterable)):
            raise InvalidInputError("memories must be a list of memory ids (or None to search), "
                                    f"got {memories!r:.40}")
        body: dict[str, Any] = {"question": question, "k": k, "max_new_tokens": max_new_tokens,
                                "own_only": own_only}
        if memories is not None:
            body["memories"] = list(memories)
        got = self._call("POST", "/v1/answer", json=body)
        return self._parse(lambda got: Answer(
            text=got["text"], cubes=[tuple(c) for c in got["cubes"]], hits=got["hits"],
            misses=got["misses"], seconds=got["seconds"],
            model_fingerprint=got["model_fingerprint"],
            skipped=[tuple(s) for s in got["skipped"]], tier=got.get("tier", "activation"),
            adapter_id=got.get("adapter_id"), adapter_version=got.get("adapter_version"),
            adapter_fingerprint=got.get("adapter_fingerprint")), got, "Answer")

    # -- export and import ---------------------------------------------------------------

    def export(self, scope: Any = None, dest: str | os.PathLike[str] | TextIO | None = None, *,
               include_superseded: bool = True, overwrite: bool = False) -> ExportReport:
        """Stream the key's memories into `dest` (a path or an open text file)."""
        self._check_scope(scope)
        if dest is None:
            raise InvalidInputError("export() needs a destination: a file path or an open "
                                    "text file")
        path: Path | None = None
        if isinstance(dest, (str, os.PathLike)):
            path = Path(dest)
            if not str(dest):
                raise InvalidInputError("export() needs a destination: the path is empty")
            if path.is_dir():  # as MemOS.export says
                raise InvalidInputError(f"cannot export to {dest}: it is a folder; name a file "
                                        f"in it, e.g. {path / 'export.jsonl'}")
            if path.exists() and not overwrite:
                raise ConflictError(f"{dest} already exists; replace it with overwrite=True or "
                                    f"choose another path")
        elif not callable(getattr(dest, "write", None)):
            raise InvalidInputError(f"dest must be a path or an open text file, got "
                                    f"{dest!r:.40}")
        if not isinstance(include_superseded, bool):
            raise InvalidInputError(f"include_superseded must be True or False, got "
                                    f"{include_superseded!r:.40}")
        import httpx

        cubes = edges = 0
        params = {"include_superseded": "true" if include_superseded else "false"}
        tmp: str | None = None  # a path's export goes to a file beside it, renamed when whole
        try:
            with self._http.stream("GET", "/v1/export", params=params) as response:
                if response.status_code >= 400:
                    response.read()
                    try:
                        body = response.json()
                    except ValueError:
                        body = None
                    raise error_from_problem(response.status_code, body, response.text)
                handle: Any = dest
                if path is not None:
                    try:
                        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                                                   dir=path.parent)
                    except OSError as exc:
                        raise InvalidInputError(f"cannot write in {path.parent} "
                                                f"({exc.strerror}); check the folder") from None
                    handle = open(fd, "w", encoding="utf-8", newline="\n")  # noqa: SIM115
                end: Any = None
                try:
                    for line in _ndjson_lines(response.iter_bytes()):
                        try:
                            obj = json.loads(line)
                            kind = obj.get("type")
                        except (ValueError, AttributeError):
                            raise StoreError(
                                f"{self.url} sent an export line that is not a JSON object "
                                f"({line[:60]!r}); nothing was written to a path; is the "
                                f"server a memos server of this version?") from None
                        cubes += kind == "cube"
                        edges += kind == "edge"
                        end = obj if kind == "end" else end
                        handle.write(line + "\n")
                    # A stream cut between lines (a proxy, a server that stopped) reads as
                    # a shorter export: the end line says what a whole one holds.
                    if not isinstance(end, dict) or (end.get("cubes"), end.get("edges")) \
                            != (cubes, edges):
                        left = ("nothing was written to the path" if path is not None
                                else "what was written to the stream is partial")
                        raise StoreError(
                            f"the export from {self.url} ended without its end line or with "
                            f"other counts ({cubes} cube and {edges} edge lines received): it "
                            f"was cut off; {left}; retry")
                finally:
                    if path is not None:
                        handle.close()
            if tmp is not None and path is not None:
                with contextlib.suppress(OSError):  # a replaced file keeps its mode
                    os.chmod(tmp, stat.S_IMODE(os.stat(path).st_mode))
                os.replace(tmp, path)
                tmp = None
        except httpx.TransportError as exc:
            left = ("nothing was written" if path is not None
                    else "what was written to the stream is partial")
            raise StoreError(f"the export from {self.url} broke off: {exc}; {left}; "
                             f"retry") from None
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
        return ExportReport(path=str(path) if path is not None else None, cubes=cubes,
                            edges=edges)

    def import_(self, source: str | os.PathLike[str] | TextIO, scope: Any = None, *,
                on_error: Literal["skip", "abort"] = "abort",
                progress: ProgressFn | None = None, keep_ids: bool = False,
                public: bool | None = None) -> ImportReport:
        """Upload an export file (a path or an open text file) into the key's scope. The
        server replaces every id the key does not hold (`renamed` lists them): keeping free
        ones would tell a key whether another user holds an id. Whether public cubes may be
        written is the key's (an admin key's only; with on_error='skip' another key's import
        skips their lines)."""
        self._check_scope(scope)
        _check_progress(progress)
        if keep_ids is not False:
            raise InvalidInputError("a memos server replaces every cube id your key does not "
                                    "hold (keep_ids=True is MemOS.import_'s only): leave "
                                    "keep_ids out")
        if public is not None:
            raise InvalidInputError("over HTTP, whether an import may write public cubes is "
                                    "the key's (an admin key's only): leave public out")
        if on_error not in ("skip", "abort"):
            raise InvalidInputError(f"on_error must be 'skip' or 'abort', got {on_error!r:.40}")
        if isinstance(source, (str, os.PathLike)):
            try:
                data = Path(source).read_bytes()
            except OSError as exc:
                raise InvalidInputError(f"cannot read {source} ({exc.strerror}); check the "
                                        f"path") from None
        elif callable(getattr(source, "read", None)):
            text = source.read()
            data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
        else:
            raise InvalidInputError(f"source must be a path or an open text file, got "
                                    f"{source!r:.40}")
        report = self._parse(ImportReport, self._call(
            "POST", "/v1/import", params={"on_error": on_error}, content=data,
            headers={"Content-Type": "application/x-ndjson"}))
        if progress:
            progress(report.imported, report.imported)
        return report

    # -- administration (admin keys) -----------------------------------------------------

    def check(self, *, repair: bool = False) -> CheckReport:
        return self._parse(CheckReport, self._call("POST", "/v1/admin/check",
                                                     json={"repair": repair}))

    def reindex(self, *, embedder: str | None = None,
                progress: ProgressFn | None = None) -> ReindexReport:
        _check_progress(progress)
        if embedder is not None and not isinstance(embedder, str):
            raise InvalidInputError("over HTTP, embedder is a name such as 'hashing'")
        report = self._parse(ReindexReport, self._call(
            "POST", "/v1/admin/reindex", json={"embedder": embedder} if embedder else {}))
        if progress:
            progress(report.cubes, report.cubes)
        return report

    def gc(self, *, now: Any = None, scope: Any = None) -> GcReport:
        if now is not None:
            raise InvalidInputError("gc() over HTTP runs at the server's time; leave now out")
        sc = _as_scope(scope) if scope is not None else None
        body = {} if sc is None else {"user_id": sc.user_id, **(
            {"agent_id": sc.agent_id} if sc.agent_id is not None else {})}
        return self._parse(GcReport, self._call("POST", "/v1/admin/gc", json=body))

    def purge(self, cube_id: str | None, scope: Any, *, all_of_user: bool = False,
              reason: str | None = None, actor: str | None = None) -> PurgeReport:
        """Erase every memory of a user (scope's user, or its agent's): an admin key only.
        One cube's purge is not offered over HTTP (forget it, or run `memos purge`)."""
        if cube_id is not None or all_of_user is not True:
            raise InvalidInputError("over HTTP, purge erases a whole user: call "
                                    "purge(None, scope, all_of_user=True); forget() one cube")
        if actor is not None:
            raise InvalidInputError("over HTTP, the actor of a purge is the admin key")
        sc = _as_scope(scope)
        body = _fields({k: v for k, v in {"user_id": sc.user_id, "agent_id": sc.agent_id,
                                          "reason": reason}.items() if v is not None})
        return self._parse(PurgeReport, self._call("POST", "/v1/admin/purge", json=body))


def _as_scope(scope: Any) -> Scope:
    """`scope` (a Scope, a user id or a dict of scope fields) as a Scope; one it is not is
    refused as the embedded SDK refuses it (memos.facade.as_scope: "invalid scope: agentid:
    no such field; fields: ..."), never with pydantic's report. The facade, and the store
    stack it loads, is imported only then: the client stays light."""
    try:
        return Scope.of(scope)
    except (ValidationError, TypeError):
        pass
    from memos.facade import as_scope

    return as_scope(scope)


__all__ = ["Client", "error_from_problem"]
