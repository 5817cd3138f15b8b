"""`memos serve` (the REST API, docs/SERVER.md) and `memos keys create | list | revoke`.

Each command makes one call into the library (MemOS.create_key, ..., create_app + uvicorn)
and renders the result.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import sys
from typing import Annotated, Literal

import typer

from memos.cli import render
from memos.cli.app import app
from memos.cli.options import (
    AgentOpt,
    IndexDirOpt,
    JsonOpt,
    StoreOpt,
    UserOpt,
    exit_cleanly_on_sigterm,
    open_store,
    scope_of,
)
from memos.errors import InvalidInputError

SERVER = "Server"

keys_app = typer.Typer(help="API keys of `memos serve`: each grants one user's (or agent's) "
                       "scope; the secret is shown once.", no_args_is_help=True)
app.add_typer(keys_app, name="keys", rich_help_panel=SERVER)

KeyIdArg = Annotated[str, typer.Argument(help="The key's id (memos keys list shows them); "
                                         "revoke also takes the whole secret (found by its "
                                         "hash, never printed).",
                                         show_default=False)]


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _check_port_free(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host.strip("[]"), port))
        except OSError as exc:
            raise InvalidInputError(f"cannot listen on {host}:{port} ({exc.strerror}); choose "
                                    f"another --port or --host") from None


def search_concurrency_arg(value: str) -> int | Literal["auto"] | None:
    """--search-concurrency as RetrievalConfig.search_concurrency ("none": None), checked
    by that field's own rule."""
    from memos.config import RetrievalConfig

    text = value.strip().lower()
    try:
        return RetrievalConfig(search_concurrency=None if text == "none" else text
                               ).search_concurrency
    except InvalidInputError:
        raise InvalidInputError(f"--search-concurrency takes auto, a whole number of at least "
                                f"1, or none (no limit); got {value!r:.40}") from None


@app.command(rich_help_panel=SERVER)
def serve(host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
          port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
          no_auth: Annotated[bool, typer.Option(
              "--no-auth", help="Local development: no API keys; every request runs as "
              "--user (and --agent). Loopback only.")] = False,
          user: Annotated[str | None, typer.Option(
              "--user", "-u", show_default=False,
              help="With --no-auth: the user every request runs as.")] = None,
          agent: Annotated[str | None, typer.Option(
              help="With --no-auth: the agent every request runs as.")] = None,
          max_body_mb: Annotated[int, typer.Option(
              min=1, max=4096, help="Largest request body, in MiB (413 above it).")] = 32,
          workers: Annotated[int, typer.Option(
              min=1, max=64, help="Server processes sharing the port (one per core serves "
              "that many requests at once; each opens the store itself).")] = 1,
          search_concurrency: Annotated[str, typer.Option(
              "--search-concurrency", metavar="auto|N|none",
              help="Searches each server process runs at once (and cores one search may "
              "spread over); the others wait their turn, first come first served. auto: "
              "one per core on SQLite, the cores shared among the --workers processes (at "
              "least one each); no limit on PostgreSQL. With 1, on a SQLite file, a search "
              "that can start at once runs on the event loop.")] = "auto",
          store: StoreOpt = None, index_dir: IndexDirOpt = None) -> None:
    """Serve the REST API (and MCP at /mcp) until Ctrl-C; each call runs in its key's scope.

    Every call needs an API key (memos keys create) and runs in that key's scope.

    Example: memos keys create --user alice && memos serve --port 8000 --workers 2
    """
    import uvicorn

    from memos.config import shown_location
    from memos.server.app import create_app
    from memos.server.protocol import CorkedHttpProtocol

    default_scope = None
    if no_auth:
        if not is_loopback(host):
            raise InvalidInputError(f"--no-auth serves without API keys, so it listens on "
                                    f"loopback only (127.0.0.1, ::1, localhost), not {host}; "
                                    f"drop --no-auth and create keys (memos keys create) to "
                                    f"serve other machines")
        if not user:  # serve reads no $MEMOS_USER: the no-auth scope is always spelt out
            raise InvalidInputError("--no-auth needs --user NAME, the user every request runs "
                                    "as (memos serve does not read $MEMOS_USER), e.g. "
                                    "memos serve --no-auth --user dev")
        default_scope = scope_of(user, agent)
    elif user is not None or agent is not None:
        raise InvalidInputError("--user and --agent go with --no-auth; with API keys each "
                                "request's scope is its key's (memos keys create --user ...)")
    concurrency = search_concurrency_arg(search_concurrency)
    _check_port_free(host, port)
    err = render.err_console(soft_wrap=True)  # paths, user ids: as they are, never markup
    exit_cleanly_on_sigterm()
    with open_store(store, index_dir) as mem:
        mem.config.retrieval.search_concurrency = concurrency
        web = create_app(mem, auth=not no_auth, max_body_bytes=max_body_mb * 1024 * 1024,
                         default_scope=default_scope) if workers == 1 else None
        shown = f"[{host}]" if ":" in host else host
        err.print(render.plain(f"memos serve: http://{shown}:{port} (store "
                               f"{shown_location(mem.location)}); API docs at /docs, schema at "
                               "/openapi.json"))
        if no_auth:
            assert default_scope is not None
            err.print(render.styled(("auth is OFF", "yellow"), ": every request runs as ",
                                    render.scope_text(default_scope), "; loopback only, for "
                                    "local development"))
        elif not any(k.revoked_at is None for k in mem.list_keys()):
            err.print(render.styled(("no API key yet", "yellow"), ": create one with `memos keys "
                                    "create --user ID` (every request needs one)"))
        if workers == 1:
            # One search at a time runs on the event loop (server/app.py): asyncio's own
            # loop then, which served kept-alive connections in turn where uvloop did not
            # (memos.server.workers).
            uvicorn.run(web, host=host.strip("[]"), port=port, log_level="warning",
                        access_log=False, loop="asyncio" if mem.search_limit == 1 else "auto",
                        http=CorkedHttpProtocol)
            return
    # Several processes: this one only supervises; each worker opens the store itself
    # (memos.server.workers), after this process has closed it (FAISS files saved).
    from memos.server.workers import ENV, hands_off_connections, serve_workers, worker_spec

    spec = worker_spec(store, index_dir, auth=not no_auth,
                       max_body_bytes=max_body_mb * 1024 * 1024,
                       user=default_scope.user_id if default_scope else None,
                       agent=default_scope.agent_id if default_scope else None,
                       search_concurrency=concurrency, workers=workers)
    if hands_off_connections():  # this process accepts; connections shared in turn
        err.print(f"{workers} worker processes, connections handed to them in turn",
                  highlight=False)
        serve_workers(workers, host.strip("[]"), port, spec, on_ready=lambda n: err.print(
            f"memos serve: {n} of {n} workers ready", highlight=False))
        return
    os.environ[ENV] = spec
    err.print(f"{workers} worker processes", highlight=False)
    uvicorn.run("memos.server.workers:worker_app", factory=True, workers=workers,
                host=host.strip("[]"), port=port, log_level="warning", access_log=False,
                loop="asyncio", http=CorkedHttpProtocol)  # as serve_workers' workers


@keys_app.command("create")
def keys_create(user: UserOpt = None, agent: AgentOpt = None,
                admin: Annotated[bool, typer.Option(
                    "--admin", help="May call /v1/admin (check, reindex, gc, purge of a "
                    "user).")] = False,
                store: StoreOpt = None, index_dir: IndexDirOpt = None,
                json_out: JsonOpt = False) -> None:
    """Create an API key for a user (and agent). The secret is printed once: keep it.

    Example: memos keys create --user alice --agent planner
    """
    scope = scope_of(user, agent)
    with open_store(store, index_dir) as mem:
        info, secret = mem.create_key(scope.user_id, scope.agent_id, admin=admin)
    if json_out:
        render.print_json({"key": info, "secret": secret})
        return
    table = render.kv_table(None, {"key id": info.key_id, "user": info.user_id,
                                   "agent": info.agent_id, "admin": info.admin})
    render.print_table(table)
    render.print_message("secret (shown only now; the store keeps its hash):", "yellow")
    sys.stdout.write(secret + "\n")


@keys_app.command("list")
def keys_list(user: UserOpt = None, store: StoreOpt = None, index_dir: IndexDirOpt = None,
              json_out: JsonOpt = False) -> None:
    """List API keys (revoked ones too), never their secrets.

    Example: memos keys list --user alice
    """
    with open_store(store, index_dir) as mem:
        keys = mem.list_keys(user)
    if json_out:
        render.print_json(keys)
        return
    if not keys:
        render.print_message("no API keys; create one with `memos keys create --user ID`",
                             "yellow")
        return
    table = render.new_table("API keys", ["key id", "user", "agent", "admin", "created",
                                          "revoked"])
    for k in keys:
        table.add_row(k.key_id, k.user_id, render.fmt(k.agent_id), "yes" if k.admin else "",
                      render.fmt(k.created_at), render.fmt(k.revoked_at))
    render.print_table(table)


@keys_app.command("revoke")
def keys_revoke(key_id: KeyIdArg, store: StoreOpt = None, index_dir: IndexDirOpt = None,
                json_out: JsonOpt = False) -> None:
    """Revoke an API key: every server on the store refuses it from the next request.

    Takes the key id, or the key's whole secret (a leaked token): that one is found by its
    hash and never printed.

    Example: memos keys revoke k1a2b3c4d5e6
    """
    with open_store(store, index_dir) as mem:
        info = mem.revoke_key(key_id)
    if json_out:
        render.print_json(info)
        return
    render.print_message(f"revoked {info.key_id} ({render.scope_text(info.scope)}) at "
                         f"{render.fmt(info.revoked_at)}")
