"""`memos mcp`: the MCP server over stdio, for desktop agents (server/mcp_server.py).

stdout carries the protocol, so this command prints nothing there; errors go to stderr.
"""

from __future__ import annotations

from typing import Annotated

import typer

from memos.cli.app import app
from memos.cli.options import (
    AgentOpt,
    IndexDirOpt,
    StoreOpt,
    UserOpt,
    exit_cleanly_on_sigterm,
    open_store,
    scope_of,
)


@app.command("mcp", rich_help_panel="Server")
def mcp(user: UserOpt = None, agent: AgentOpt = None, store: StoreOpt = None,
        index_dir: IndexDirOpt = None,
        model: Annotated[str | None, typer.Option(
            "--model", help="Checkpoint folder the answer tool reads with (default: the "
            "shipped memqa-small).")] = None) -> None:
    """Serve memos as an MCP server over stdio (for Claude Desktop, Cursor and other agents).

    Every tool (add_memory, search_memories, get_memory, update_memory,
    forget_memory, list_memories, answer, ingest_conversation) acts on the
    memories of --user (and --agent): the model calling the tools cannot
    name another user. A missing store is created, as `memos add` does.
    The agent starts this command itself; docs/MCP.md has its config.

    Example: memos mcp --user alice --store ~/.memos
    """
    import anyio

    from memos.server.mcp_server import build_mcp_server

    scope = scope_of(user, agent)
    if model is not None:
        _check_checkpoint(model)
    exit_cleanly_on_sigterm()
    with open_store(store, index_dir, create=True) as mem:
        server = build_mcp_server(mem, scope, model=model)
        anyio.run(server.run_stdio_async)


def _check_checkpoint(model: str) -> None:
    """Refuse at start a --model that is not a checkpoint folder (no config.json), as `memos
    recall --model` does, instead of on the agent's first `answer` call. The weights are
    checked when `answer` loads them; torch is not loaded here (a server starts fast)."""
    from pathlib import Path

    from memos.errors import CheckpointError, InvalidInputError

    if not model.strip():
        raise InvalidInputError("--model is empty: give a checkpoint folder, or leave "
                                "--model out for the shipped memqa-small")
    try:
        found = (Path(model) / "config.json").is_file()  # model.checkpoint.CONFIG_FILE
    except (OSError, ValueError):  # a name too long, a NUL character
        found = False
    if not found:
        raise CheckpointError(f"{model} is not a checkpoint (no config.json); train one with "
                              "`memos model train`, or leave --model out for the shipped "
                              "memqa-small")
