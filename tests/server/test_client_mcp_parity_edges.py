"""memos.Client and the MCP server at their edges, as an attacker or a careless caller
meets them: bounded MCP questions, ids REST can name, JSON the client cannot send, whole
exports, the options search refuses. Each test's docstring says what happened before."""

from __future__ import annotations

import io
import json
import time
from typing import Any

import pytest

from memos.errors import InvalidInputError, NotFoundError, StoreError


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


def test_an_imported_cube_id_is_one_the_rest_api_can_name(client_for: Any, server_mem: Any,
                                                          new_user: Any) -> None:
    """Before: an import (through /v1/import too) kept cube ids holding '/' or being '.' or
    '..'. The HTTP server routes on the decoded path, so GET /v1/memories/notes%2Fa reached
    "no such endpoint": such a memory could not be read, updated or even forgotten through
    the REST API or memos.Client, only found by search."""
    user = new_user()
    client = client_for(user)
    cube = server_mem.add("a template memory", user).cube.model_dump(mode="json")
    header = json.dumps({"format": "memos-export/1", "user_id": user})
    odd = ("notes/2024/trip", "..", ".")
    lines = [header] + [json.dumps({"type": "cube", "cube": {
        **cube, "id": cid, "content": f"imported memory {n}", "content_hash": ""}})
        for n, cid in enumerate(odd)]
    report = client.import_(io.StringIO("\n".join(lines) + "\n"), on_error="skip")
    assert report.imported == 0 and [n for n, _ in report.errors] == [2, 3, 4]
    for cid in odd:
        with pytest.raises(NotFoundError):
            server_mem.get(cid, user)
    # Any other chosen id gets a memos id (listed in `renamed`), which a URL path carries.
    fine = "a?b#c%2Fd"
    line = json.dumps({"type": "cube", "cube": {**cube, "id": fine, "content": "kept id",
                                                "content_hash": ""}})
    report = client.import_(io.StringIO(f"{header}\n{line}\n"))
    assert report.imported == 1 and set(report.renamed) == {fine}
    assert client.get(report.renamed[fine]).content == "kept id"
    assert client.forget(report.renamed[fine]).state == "forgotten"


@pytest.mark.parametrize("call", [
    lambda c: c.add("a note", importance=float("nan")),
    lambda c: c.add("a note", ttl=float("inf")),
    lambda c: c.add("a note", metadata={"x": float("nan")}),
    lambda c: c.add("a \ud800 note"),
    lambda c: c.search("a \udc00 query"),
    lambda c: c.search(b"bytes are no query"),
    lambda c: c.add_many(["fine", "lone \ud800"]),
], ids=["nan", "inf", "nan-in-metadata", "surrogate-add", "surrogate-search", "bytes-query",
        "surrogate-batch"])
def test_client_refuses_what_json_cannot_carry_as_memos_does(client_for: Any, server_mem: Any,
                                                             new_user: Any, call: Any) -> None:
    """Before: memos.Client raised the JSON encoder's bare ValueError ("Out of range float
    values are not JSON compliant"), UnicodeEncodeError or TypeError where MemOS raises
    InvalidInputError for the same arguments; agent code catching memos errors crashed only
    when it ran against a server."""
    user = new_user()
    client = client_for(user)
    with pytest.raises(InvalidInputError):
        call(client)
    with pytest.raises(InvalidInputError):
        call(_Embedded(server_mem, user))
    assert server_mem.stats(user).cubes == 0


class _Embedded:
    """MemOS with the Client's call shape (scope left out)."""

    def __init__(self, mem: Any, user: str) -> None:
        self.mem, self.user = mem, user

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.mem, name)
        return lambda first, *a, **kw: method(first, self.user, *a, **kw)


def test_client_export_leaves_no_partial_file(server_mem: Any, new_user: Any,
                                              tmp_path: Any) -> None:
    """Before: memos.Client.export wrote straight into `dest`: a stream that broke off left a
    truncated export there (with overwrite=True, in place of the good file it replaced),
    where MemOS.export writes a whole file or nothing."""
    import httpx

    import memos

    head = b'{"format": "memos-export/1", "user_id": "u"}\n'

    def broken(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/whoami":
            return httpx.Response(200, json={"key_id": "k", "user_id": "u", "agent_id": None,
                                             "admin": False})

        def body() -> Any:
            yield head
            raise httpx.ReadError("connection reset")
        return httpx.Response(200, content=body(),
                              headers={"content-type": "application/x-ndjson"})

    dest = tmp_path / "alice.jsonl"
    dest.write_text("the good export\n")
    with memos.Client("http://memos.test", "memos-kx-y",
                      transport=httpx.MockTransport(broken)) as client:
        with pytest.raises(StoreError):
            client.export(None, dest, overwrite=True)
        assert dest.read_text() == "the good export\n"
        with pytest.raises(StoreError, match="nothing was written"):
            client.export(None, tmp_path / "new.jsonl")
        stream = io.StringIO()
        with pytest.raises(StoreError, match="stream is partial"):
            client.export(None, stream)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["alice.jsonl"]


def test_an_export_failing_mid_stream_breaks_the_response(client_for: Any, server_mem: Any,
                                                         new_user: Any, tmp_path: Any,
                                                         monkeypatch: Any) -> None:
    """Before: an export that failed after its first bytes (a database or disk error) ended
    the chunked response as if it were whole, and Client.export saved the partial file as
    complete (over a good one, with overwrite=True). Now the response is aborted."""
    from memos.facade import MemOS

    user = new_user()
    client = client_for(user)
    server_mem.add_many([f"export line {i} " + "x" * 500 for i in range(600)], user)
    real = MemOS.export

    def failing(self: Any, scope: Any, dest: Any = None, **options: Any) -> Any:
        class Cut:
            written = 0

            def write(self, text: str) -> int:
                Cut.written += len(text)
                if Cut.written > 200_000:  # after the first 64 KiB chunk went out
                    raise OSError("disk error while exporting")
                return dest.write(text)

            def writelines(self, lines: Any) -> None:
                for line in lines:
                    self.write(line)

            def flush(self) -> None:
                dest.flush()
        return real(self, scope, Cut(), **options)

    good = tmp_path / "backup.jsonl"
    client.export(None, good)
    whole = good.read_text()
    monkeypatch.setattr(server_mem, "export", failing.__get__(server_mem))
    with pytest.raises(StoreError, match="broke off"):
        client.export(None, good, overwrite=True)
    assert good.read_text() == whole
    with pytest.raises(StoreError):
        client.export(None, tmp_path / "new.jsonl")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["backup.jsonl"]


def test_client_search_refuses_the_options_memos_refuses(client_for: Any, server_mem: Any,
                                                         new_user: Any) -> None:
    """Before: Client.search(q, k=5, limit=2) silently returned 5 hits (the client's own
    paging overwrote `limit`); MemOS.search refuses the unknown option."""
    user = new_user()
    client = client_for(user)
    for option in ("limit", "cursor"):
        with pytest.raises(InvalidInputError):
            server_mem.search("note", user, k=5, **{option: 2})
        with pytest.raises(InvalidInputError):
            client.search("note", k=5, **{option: 2})


def test_client_search_of_more_than_a_page_is_memos_search(client_for: Any, server_mem: Any,
                                                             new_user: Any) -> None:
    """Before: Client.search(k > 1000) followed the server's pages of 1000, each ranked in a
    larger candidate pool, so it repeated some hits and missed others that MemOS.search(k)
    gives."""
    user = new_user()
    client = client_for(user)
    words = ["green", "tea", "lisbon", "piano", "music", "river", "garden", "train"]
    server_mem.add_many([f"memo {i}: {words[i % 8]} {words[(i * 3) % 8]} "
                         f"{words[(i * 5 + 1) % 8]} and {words[(i * 7 + 2) % 8]}"
                         for i in range(2000)], user)
    local = [h.id for h in server_mem.search("green tea in lisbon", user, k=1500)]
    remote = [h.id for h in client.search("green tea in lisbon", k=1500)]
    assert len(local) > 1000 and remote == local


def test_client_add_shapes_tags_and_metadata_keys_as_memos_does(client_for: Any,
                                                                 server_mem: Any,
                                                                 new_user: Any) -> None:
    """Before: add(tags="abc") stored ["abc"] in MemOS but was a 422 through the client, and
    add(metadata={1: ...}) was refused by MemOS but stored under the key "1" by the client
    (JSON turns the key into a string)."""
    user = new_user()
    client = client_for(user)
    for target, scope in ((server_mem, user), (client, None)):
        one = target.add(f"a tagged note {id(target)}", scope, tags="abc")
        assert one.cube.tags == ["abc"]
        many = target.add_many([{"content": f"another note {id(target)}", "tags": "xyz"}],
                               scope)
        assert many[0].cube.tags == ["xyz"]
        with pytest.raises(InvalidInputError, match="metadata"):
            target.add(f"a keyed note {id(target)}", scope, metadata={1: "x"})
        with pytest.raises(InvalidInputError, match="metadata"):
            target.update(one.cube.id, scope, metadata={2: "y"})
    assert not [h for h in server_mem.search("keyed note", user) if "keyed" in h.cube.content]


def test_client_refuses_metadata_json_cannot_hold_as_memos_does(client_for: Any,
                                                                server_mem: Any,
                                                                new_user: Any) -> None:
    """Review: add(metadata={"when": datetime}) or a set value was refused by MemOS but the
    client turned the value into a string or a list and stored it."""
    from datetime import UTC, datetime

    user = new_user()
    client = client_for(user)
    for value in (datetime(2026, 1, 1, tzinfo=UTC), {1, 2}, b"raw"):
        for target, scope in ((server_mem, user), (client, None)):
            with pytest.raises(InvalidInputError, match="metadata must hold JSON values"):
                target.add("a note with odd metadata", scope, metadata={"v": value})
        added = client.add("a note to change", metadata={"v": 1})
        with pytest.raises(InvalidInputError, match="metadata must hold JSON values"):
            client.update(added.id, metadata={"v": value})
    assert server_mem.get(added.id, user).metadata == {"v": 1}


@pytest.mark.parametrize("cube_id", [".", "..", "./x", "../stats", "a.b"])
def test_client_dot_ids_name_a_cube_not_another_endpoint(client_for: Any, server_mem: Any,
                                                         new_user: Any, cube_id: str) -> None:
    """Review: Client.get(".") read GET /v1/memories/ (the list) and failed with a pydantic
    ValidationError; history(".") looked up a cube named "history"; ".." reached "no such
    endpoint". HTTP clients drop dot segments; the client now escapes the dots."""
    user = new_user()
    client = client_for(user)
    client.add("a note so that the list is not empty")
    for call in (lambda: client.get(cube_id), lambda: client.history(cube_id),
                 lambda: client.diff(cube_id), lambda: client.forget(cube_id),
                 lambda: client.update(cube_id, importance=0.9),
                 lambda: client.neighbors(cube_id)):
        with pytest.raises(NotFoundError) as remote:
            call()
        assert repr(cube_id) in str(remote.value) or cube_id in str(remote.value)
    with pytest.raises(NotFoundError):
        server_mem.get(cube_id, user)


def _fake_server(answer: Any) -> Any:
    """A memos.Client whose server answers every call but whoami with `answer(request)`."""
    import httpx

    import memos

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/whoami":
            return httpx.Response(200, json={"key_id": "k", "user_id": "u", "agent_id": None,
                                             "admin": False})
        return answer(request)

    return memos.Client("http://memos.test", "memos-kx-y", transport=httpx.MockTransport(handle))


@pytest.mark.parametrize("answer", [
    lambda r: __import__("httpx").Response(200, html="<html>Sign in to the Wi-Fi</html>"),
    lambda r: __import__("httpx").Response(301, headers={"location": "https://memos.test/"}),
    lambda r: __import__("httpx").Response(204),
    lambda r: __import__("httpx").Response(200, json={"unexpected": True}),
    lambda r: __import__("httpx").Response(200, json=[1, 2, 3]),
    lambda r: __import__("httpx").Response(200, json={"items": "nope"}),
    lambda r: __import__("httpx").Response(200, json={"text": "x", "cubes": 5}),
], ids=["html", "redirect", "empty", "other-object", "list", "bad-page", "bad-answer"])
def test_client_meets_a_server_that_is_not_memos_with_a_store_error(answer: Any,
                                                                    tmp_path: Any) -> None:
    """Review: a 200 HTML page (a wrong URL, a captive portal), a redirect or an empty answer
    raised json.JSONDecodeError, and JSON of another shape a pydantic ValidationError or a
    KeyError: agent code catching memos errors crashed. Each is now a StoreError naming the
    URL."""
    with _fake_server(answer) as client:
        calls = [lambda: client.get("f" * 32), lambda: client.add("note"),
                 lambda: client.search("note"), lambda: client.list_memories(),
                 lambda: client.answer("what?"), lambda: client.stats(),
                 lambda: client.add_many(["one", "two"])]
        for call in calls:
            with pytest.raises(StoreError, match="memos.test"):
                call()


def test_client_export_of_lines_that_are_not_json_is_a_store_error(tmp_path: Any) -> None:
    """Review: an export stream with a line that is not JSON raised json.JSONDecodeError."""
    import httpx

    def garbage(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b'{"format": "memos-export/1"}\nnot json\n',
                              headers={"content-type": "application/x-ndjson"})

    with _fake_server(garbage) as client:
        with pytest.raises(StoreError, match="not a JSON object"):
            client.export(None, tmp_path / "out.jsonl")
    assert list(tmp_path.iterdir()) == []


def test_client_export_over_a_file_is_a_conflict_as_in_memos(server_mem: Any, client_for: Any,
                                                             new_user: Any,
                                                             tmp_path: Any) -> None:
    """Review: MemOS.export to an existing file without overwrite raised ConflictError, the
    client InvalidInputError."""
    from memos.errors import ConflictError

    user = new_user()
    client = client_for(user)
    dest = tmp_path / "there.jsonl"
    dest.write_text("kept\n")
    for target, scope in ((server_mem, user), (client, None)):
        with pytest.raises(ConflictError):
            target.export(scope, dest)
        with pytest.raises(InvalidInputError, match="folder"):
            target.export(scope, tmp_path)
    assert dest.read_text() == "kept\n"


@pytest.mark.parametrize(("url", "timeout"), [
    ("http://[::1", 60.0), ("http://\udcff.example", 60.0), ("http://", 60.0),
    ("http://127.0.0.1:9", -1), ("http://127.0.0.1:9", "5"), ("http://127.0.0.1:9", True)])
def test_a_client_with_a_bad_address_or_timeout_is_invalid_input(url: str, timeout: Any
                                                                   ) -> None:
    """Before: httpx.InvalidURL, UnicodeEncodeError, ValueError or TypeError (some only at
    the first call)."""
    import memos

    with pytest.raises(InvalidInputError):
        memos.Client(url, "memos-kx-y", timeout=timeout)


def test_client_messages_do_not_show_the_urls_password() -> None:
    import memos

    with memos.Client("http://user:s3cret@127.0.0.1:9", "memos-kx-y", timeout=5) as client:
        with pytest.raises(StoreError) as caught:
            client.stats()
    assert "s3cret" not in str(caught.value) and "127.0.0.1:9" in str(caught.value)


def test_client_search_takes_one_tag_tier_or_retriever_as_memos_does(
        client_for: Any, server_mem: Any, new_user: Any) -> None:
    """Before: search(tags="abc"), tiers="plaintext" and retrievers="dense" worked on MemOS
    and were a 422 through the client."""
    user = new_user()
    client = client_for(user)
    server_mem.add("a tagged tea note", user, tags=["abc"])
    server_mem.add("an untagged tea note", user)
    for options in ({"tags": "abc"}, {"tiers": "plaintext"}, {"retrievers": "dense"}):
        local = [h.id for h in server_mem.search("tea note", user, **options)]
        assert [h.id for h in client.search("tea note", **options)] == local, options


def test_client_gc_of_an_agent_scope_archives_only_that_agents(client_for: Any,
                                                              server_mem: Any) -> None:
    """Before: the client sent only the user, so gc(scope=alice/a1) archived every expired
    cube of alice, where MemOS.gc archives only what the agent may change."""
    import uuid

    user = "u-" + uuid.uuid4().hex[:10]
    admin = client_for("root", admin=True)
    mine = server_mem.add("agent a1's reminder", {"user_id": user, "agent_id": "a1"}, ttl=1)
    other = server_mem.add("agent a2's reminder", {"user_id": user, "agent_id": "a2"}, ttl=1)
    time.sleep(1.2)
    report = admin.gc(scope={"user_id": user, "agent_id": "a1"})
    assert report.archived == [mine.id]
    assert server_mem.gc(scope={"user_id": user, "agent_id": "a2"}).archived == [other.id]
