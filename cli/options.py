"""What every store command shares: the --store/--user/... options, the scope they make,
opening the store, and the small input parsers (key=value metadata, stdin content).

Parsing input is all that happens here; every decision about memories is the library's.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from memos.cube import Scope, Visibility
from memos.errors import InvalidInputError

if TYPE_CHECKING:
    from memos.facade import MemOS

MEMORIES = "Memories"  # help panels of `memos --help`
STORE = "Store"

# Options shared by every command. Typer reads these Annotated aliases as option specs.
StoreOpt = Annotated[str | None, typer.Option(
    "--store", "-s", envvar="MEMOS_URL", show_default=False,
    help="Store folder or database URL (default: $MEMOS_URL, else ./.memos).")]
IndexDirOpt = Annotated[str | None, typer.Option(
    "--index-dir", envvar="MEMOS_INDEX_DIR", show_default=False,
    help="Folder of the vector index files when --store is a database URL.")]
UserOpt = Annotated[str | None, typer.Option(
    "--user", "-u", envvar="MEMOS_USER", show_default=False, help="User id of the scope.")]
AgentOpt = Annotated[str | None, typer.Option("--agent", help="Agent id of the scope.")]
SessionOpt = Annotated[str | None, typer.Option("--session", help="Session id of the scope.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON on stdout instead of tables.")]
IdArg = Annotated[str, typer.Argument(help="Cube id.", show_default=False)]


class OnError(StrEnum):
    """What `memos import` does with a malformed line."""

    skip = "skip"
    abort = "abort"


def scope_of(user: str | None, agent: str | None = None, session: str | None = None,
             visibility: Visibility | None = None) -> Scope:
    """The Scope of the --user/--agent/--session options; a missing user is bad input."""
    if not user:
        raise InvalidInputError("no user given: pass --user NAME (or set MEMOS_USER)")
    fields: dict[str, Any] = {"user_id": user, "agent_id": agent, "session_id": session}
    if visibility is not None:
        fields["visibility"] = visibility
    try:
        return Scope(**fields)
    except ValidationError as exc:
        problem = exc.errors()[0]
        raise InvalidInputError(f"bad scope ({problem['loc'][0]}): {problem['msg']}") from None


def optional_scope(user: str | None, agent: str | None, session: str | None) -> Scope | None:
    """A Scope when --user was given, else None (store-wide admin commands)."""
    return scope_of(user, agent, session) if user else None


@contextmanager
def open_store(store: str | None, index_dir: str | None, embedder: str | None = None
               ) -> Iterator[MemOS]:
    """The store of --store/--index-dir, closed (FAISS files saved) when the command ends."""
    # Imported here so that `memos --help` does not load SQLAlchemy and FAISS.
    from memos.facade import MemOS

    with MemOS.open(store, index_dir=index_dir, embedder=embedder) as mem:
        yield mem


def parse_meta(pairs: list[str] | None) -> dict[str, Any] | None:
    """`key=value` pairs; a value that parses as JSON (1, 2.5, true, "x") keeps its type."""
    if not pairs:
        return None
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise InvalidInputError(f"bad --meta {pair!r}: write it as key=value")
        try:
            out[key] = json.loads(raw)
        except json.JSONDecodeError:
            out[key] = raw
    return out


def read_content(content: str) -> str | bytes:
    """The argument itself, or stdin's raw bytes for `-` (the library checks the UTF-8).

    Trailing newlines of stdin are dropped, as a shell's $(...) does: `echo text | memos add -`
    stores "text".
    """
    if content != "-":
        return content
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is not None:
        return buffer.read().rstrip(b"\r\n")
    return sys.stdin.read().rstrip("\r\n")


@contextmanager
def progress_bar(description: str) -> Iterator[Callable[[int, int | None], None]]:
    """A rich progress bar on stderr (stdout stays clean for --json), as a progress callback."""
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn(), console=Console(stderr=True))
    task = bar.add_task(description, total=None)

    def update(done: int, total: int | None) -> None:
        bar.update(task, completed=done, total=total)

    with bar:
        yield update
