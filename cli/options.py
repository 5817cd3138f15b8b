"""What every store command shares: the --store/--user/... options, the scope they make,
opening the store, and the small input parsers (key=value metadata, stdin content).

Parsing input is all that happens here; every decision about memories is the library's.
"""

from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import (
    BarColumn,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from memos.cli.render import QuietProgress
from memos.cube import MEMORY_KINDS, MemCube, Scope, Visibility, check_memory_kind
from memos.errors import InvalidInputError, MemosError, StoreError

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
# --session only where it means something: the session new memories are stored under (add,
# import), and on search the session searched (reads take the caller's user and agent; a
# session narrows nothing else, so the other commands do not accept one).
SessionOpt = Annotated[str | None, typer.Option(
    "--session", help="Session id the new memories are stored under.")]
SessionFilterOpt = Annotated[str | None, typer.Option(
    "--session", help="Only memories stored under this session id.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON on stdout instead of tables.")]
IdArg = Annotated[str, typer.Argument(help="Cube id.", show_default=False)]


# The kinds a user's memory may have. `slots`, `state`, `adapter` and `checkpoint` are the
# kinds of the cubes memos makes itself (activation and parametric tiers): the SDK refuses
# them for a memory too (memos.cube.check_memory_kind), the CLI does not offer them.
USER_KINDS = MEMORY_KINDS
KIND_HELP = "What it is: " + ", ".join(USER_KINDS) + "."


def check_kind(kind: str | None) -> None:
    """Refuse a --kind that is not one of USER_KINDS (before the store is opened)."""
    check_memory_kind(kind, "--kind")  # (the SDK's rule and words)


def importance_value(value: str) -> float:
    """--importance: a finite number from 0 to 1 (NaN and infinities are no importance)."""
    return _unit_value(value, "0.9 for something that matters a lot")


def confidence_value(value: str) -> float:
    """--confidence: a finite number from 0 to 1."""
    return _unit_value(value, "0.5 for something half sure")


def _unit_value(value: str, example: str) -> float:
    if isinstance(value, float):
        number = value
    else:
        try:
            number = float(value)
        except ValueError:
            number = math.nan
    if not 0.0 <= number <= 1.0:  # NaN fails this too
        raise typer.BadParameter(f"must be a number between 0 and 1 (e.g. {example}), "
                                 f"got {str(value)[:40]!r}")
    return number


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
        raise InvalidInputError(f"bad scope ({problem['loc'][0]}): "
                                f"{problem['msg'].removeprefix('Value error, ')}") from None


def optional_scope(user: str | None, agent: str | None) -> Scope | None:
    """A Scope when --user was given, else None (store-wide admin commands). --agent without
    --user is an error: dropping it would widen the command to the whole store (a gc of one
    agent's cubes run on everyone's)."""
    if not user and agent:
        raise InvalidInputError("--agent needs --user (or $MEMOS_USER): whose cubes? Without "
                                "it the command covers the whole store")
    return scope_of(user, agent) if user else None


# Commands that may create a missing store: `init`, and the writes that bring memories in
# (`add`, `import`); `ingest`, `session save`, `mcp` and `chat` pass create=True themselves
# (docs/CLI.md lists all seven). Every other command on a missing store is an error that says
# to run `memos init`, so a mistyped --store never leaves a new empty store behind.
CREATING_COMMANDS = frozenset({"init", "add", "import"})
_command: ContextVar[str | None] = ContextVar("memos_command", default=None)


def set_command(name: str | None) -> None:
    """Record the command being run (the app callback does, before the command starts)."""
    _command.set(name)


@contextmanager
def open_store(store: str | None, index_dir: str | None, embedder: str | None = None, *,
               create: bool | None = None) -> Iterator[MemOS]:
    """The store of --store/--index-dir, closed (FAISS files saved) when the command ends.

    `create=None`: a missing store is created only by the CREATING_COMMANDS. Whatever goes
    wrong while opening becomes a StoreError (or InvalidInputError) saying what to do.
    """
    # Imported here so that `memos --help` does not load SQLAlchemy and FAISS.
    from memos.config import is_in_memory_sqlite
    from memos.facade import MemOS

    if store is not None and not store.strip():
        raise InvalidInputError("--store is empty: pass a folder or a database URL")
    if index_dir is not None and not index_dir.strip():
        raise InvalidInputError("--index-dir is empty: pass a folder, or leave it out")
    where = store or os.environ.get("MEMOS_URL") or ""
    if is_in_memory_sqlite(where):
        raise InvalidInputError(f"{where} is an in-memory database: nothing in it outlives this "
                                "command; pass a folder or a file such as "
                                "sqlite:///path/memos.db")
    if create is None:
        create = _command.get() in CREATING_COMMANDS
    created = NewStore.before_open(store, index_dir) if create else None
    try:
        with contextlib.ExitStack() as bars:
            shown: list[Callable[[int, int | None], None]] = []

            def rebuilding(done: int, total: int | None) -> None:
                """A bar only when open has a vector index to rebuild (old format, other
                embedder, files missing); nothing for the usual open."""
                if not shown:
                    shown.append(bars.enter_context(progress_bar(
                        "rebuilding the vector index from SQL")))
                shown[0](done, total)

            mem = MemOS.open(store, index_dir=index_dir, embedder=embedder, create=create,
                             progress=rebuilding)
    except MemosError:
        if created is not None:
            created.remove_if_empty()
        raise
    except Exception as exc:
        if created is not None:
            created.remove_if_empty()
        converted = open_error(exc, store or os.environ.get("MEMOS_URL") or ".memos")
        if converted is None:
            raise
        raise converted from exc
    try:
        with mem:
            yield mem
    except Exception as exc:
        # A command that fails (bad input, an unknown id) leaves no store it created behind.
        # typer.Exit and Abort are how a command ends itself, not failures, unless it ends
        # with a failure's exit code (`memos chat` piped, every turn refused).
        name = type(exc).__name__
        if created is not None and (isinstance(exc, MemosError) or name not in (
                "Exit", "Abort") or (name == "Exit" and getattr(exc, "exit_code", 0))):
            created.remove_if_empty()
        raise


_STORE_TABLES = ("cubes", "cube_versions", "changelog", "edges", "audit_log", "api_keys",
                 "blobs")


class NewStore:
    """The files and folders that opening a missing SQLite store creates, noted before the
    open, so that a creating command that fails (on its input, or while opening) removes
    them again: a bad `memos add "" --store new/` leaves no empty store behind.

    Only what did not exist before is removed, and only while the store holds nothing (no
    cube, version, change, edge, audit entry, key or blob): a store another process has
    meanwhile written to stays."""

    def __init__(self, db: str, new_folders: list[str]) -> None:
        self.db = db
        self.new_folders = new_folders  # the topmost folders the open will create

    @classmethod
    def before_open(cls, store: str | None, index_dir: str | None) -> NewStore | None:
        """None when there is nothing the open could create (the store exists, a database
        server, a location that will not open anyway)."""
        from memos.config import MemosConfig, resolve_location
        from memos.stores.repository import sqlite_file_of

        try:
            config = MemosConfig.from_env()
            if index_dir is not None:
                config = config.model_copy(update={"index_dir": index_dir})
            url, folder = resolve_location(store, config)
            db = sqlite_file_of(url)
            if db is None or os.path.lexists(db):
                return None
            new: list[str] = []
            for path in (os.path.dirname(os.path.abspath(db)), os.path.abspath(folder)):
                top = None
                while not os.path.lexists(path):
                    top, path = path, os.path.dirname(path)
                if top is not None and top not in new:
                    new.append(top)
            return cls(os.path.abspath(db), new)
        except Exception:  # the open itself reports a location that cannot work
            return None

    def holds_nothing(self) -> bool:
        import sqlite3
        from pathlib import Path

        try:
            conn = sqlite3.connect(Path(self.db).as_uri() + "?mode=ro", uri=True, timeout=1.0)
        except (sqlite3.Error, OSError):
            return False
        try:
            return all(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0
                       for table in _STORE_TABLES)
        except sqlite3.Error:
            return False
        finally:
            conn.close()

    def remove_if_empty(self) -> None:
        import shutil

        if os.path.lexists(self.db) and not self.holds_nothing():
            return
        for suffix in ("", "-wal", "-shm", "-journal"):
            with contextlib.suppress(OSError):
                os.remove(self.db + suffix)
        for folder in self.new_folders:
            shutil.rmtree(folder, ignore_errors=True)


def exit_cleanly_on_sigterm() -> None:
    """Make SIGTERM (how systemd, docker and kill stop a server) end this process through
    Python's own exit, so an open store is closed and its FAISS files saved.

    uvicorn stops on SIGTERM and then raises the signal again under the handler that was
    there before it started; the default handler would kill the process with the store
    still open. Call from the main thread before the server runs."""
    import signal

    def leave(signum: int, frame: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, leave)


def _first_line(exc: BaseException) -> str:
    """The driver's own message (SQLAlchemy's `orig`), first line only."""
    inner = getattr(exc, "orig", None) or exc
    text = str(inner).strip() or type(inner).__name__
    return text.splitlines()[0]


def open_error(exc: Exception, location: str) -> MemosError | None:
    """The memos error for what opening the store at `location` raised; None: unexpected."""
    from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

    from memos.config import shown_location

    where = shown_location(location)
    if isinstance(exc, NoSuchModuleError | ArgumentError | ModuleNotFoundError):
        return StoreError(f"cannot open the store at {where}: {_first_line(exc)}; --store takes "
                          "a folder, a .db file or a sqlite:/// or postgresql+psycopg:// URL")
    if isinstance(exc, DBAPIError | SQLAlchemyError):
        return StoreError(f"cannot open the store at {where}: {_first_line(exc)}; is it a memos "
                          "store? Pass the folder `memos init` made (or its memos.db), or run "
                          "`memos init --store NEW_FOLDER`")
    if isinstance(exc, OSError):
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            from memos.stores.repository import READ_ONLY_ADVICE

            name = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
            return StoreError(f"the store at {where} is read-only: {exc.strerror}{name}; "
                              f"{READ_ONLY_ADVICE}")
        return StoreError(f"cannot open the store at {where}: "
                          f"{exc.strerror or _first_line(exc)}; pass as --store a folder you can write to")
    if isinstance(exc, ValueError | TypeError | OverflowError):
        return InvalidInputError(f"cannot open the store at {where}: {_first_line(exc)}; check "
                                 "--store, --index-dir and --embedder")
    return None


def library_error(exc: BaseException) -> MemosError | None:
    """The memos error for an exception a command let through, if it is an expected kind."""
    if isinstance(exc, RecursionError):
        return InvalidInputError("the input is nested too deeply (e.g. --filter); flatten it")
    if isinstance(exc, MemoryError):
        return InvalidInputError("not enough memory for what was asked; use smaller sizes (a "
                                 "smaller --batch, --seq-len, --n, --facts, --lengths, ...)")
    if isinstance(exc, OverflowError):
        return InvalidInputError(f"a number is out of range ({_first_line(exc)}); "
                                 "use a smaller value")
    if "sqlalchemy" in sys.modules:
        from sqlalchemy.exc import SQLAlchemyError

        if isinstance(exc, SQLAlchemyError):
            from memos.stores.repository import DAMAGED

            # SQLITE_CORRUPT (11) or SQLITE_NOTADB (26): the database file itself is damaged
            if getattr(getattr(exc, "orig", None), "sqlite_errorcode", None) in (11, 26):
                return StoreError(f"the database file is damaged: {_first_line(exc)}; {DAMAGED}")
            return StoreError(f"the database refused the request: {_first_line(exc)}; run "
                              "`memos check`, and retry with a smaller request")
    if isinstance(exc, OSError):
        name = f" {exc.filename}" if getattr(exc, "filename", None) else ""
        return StoreError(f"cannot use{name}: {exc.strerror or _first_line(exc)}; check the "
                          "path and its permissions")
    return None


# SDK words in library messages, as the CLI user would type them.
_SDK_CALLS = {"get": "show", "import_": "import", "history": "history", "diff": "diff",
              "update": "update", "rollback": "rollback", "forget": "forget", "purge": "purge",
              "search": "search", "export": "export", "link": "link", "add": "add",
              "check": "check", "reindex": "reindex", "gc": "gc", "stats": "stats"}
_SDK_ARGS = {"on_error='skip'": "--on-error skip", "on_error='abort'": "--on-error abort",
             "all_of_user=True": "--all", "include_superseded=True": "--include-superseded",
             "mode='llm'": "--mode llm", "mode='rules'": "--mode rules",
             "overwrite=True": "--force", "force=True": "--force"}
# Argument names of SDK calls, as the CLI's usage names them (memos link SRC DST).
_SDK_ARG_NAMES = {"src_id": "SRC", "dst_id": "DST"}
# SDK keyword arguments that start a library message ("to_version must be an integer ...",
# "invalid ttl: ttl must be ..."), as the CLI option that sets them.
_SDK_OPTIONS = {"to_version": "--to", "from_version": "--from", "version": "--version",
                "k": "--k", "weight": "--weight", "relation": "--relation",
                "reason": "--reason", "entities": "--entity", "ttl": "--ttl",
                "importance": "--importance", "max_new_tokens": "--max-new-tokens",
                "limit": "--limit", "steps": "--steps"}
_SDK_OPTION = re.compile(r"(^|: )(" + "|".join(_SDK_OPTIONS) + r") must be\b")
# SDK phrases of a library message, as CLI words ({id}: the cube the message names).
_SDK_PHRASES = {"(get it without version=)": "(`memos show {id}` shows it)",
                "an update with a later expires_at renews it":
                "`memos update {id} --ttl SECONDS` renews it",
                "give it a later expires_at in the same update to renew it":
                "renew it with `memos update {id} --ttl SECONDS` (or --expires-at)"}
# A CLI command named after an SDK call, with what it needs to run.
_CLI_USAGE = {"memos rollback": "memos rollback {id} --to VERSION"}
# SDK advice a CLI user cannot follow, and what to do instead.
_SDK_ADVICE = {"decode them with errors='replace' or pass text":
               "send UTF-8 text (convert it with e.g. iconv -f latin1 -t utf-8)",
               "decode the source bytes as UTF-8 with errors='replace' first":
               "send UTF-8 text (convert it with e.g. iconv -f latin1 -t utf-8)",
               "open it without an embedder": "leave out --embedder",
               " (or a timedelta)": "",
               # (in a CLI, lone surrogates are bytes of the input that are no UTF-8)
               "is not valid Unicode (lone surrogates)": "is not valid UTF-8"}
_CUBE_ID = re.compile(r"\bcube ([0-9a-f]{32})\b")
# Fields a library message names, as the CLI option that sets them ("valid_from ... is after
# valid_to" -> "--valid-from ... is after --valid-to"); the phrases above go first.
_SDK_FIELDS = re.compile(r"(?<![\w.`'-])(valid_from|valid_to|expires_at|session_id)\b(?!['(=])")
_FIELD_OPTIONS = {"valid_from": "--valid-from", "valid_to": "--valid-to",
                  "expires_at": "--expires-at", "session_id": "--session"}


def cli_words(message: str) -> str:
    """`message` with SDK calls and keyword arguments named as CLI commands and options.

    "cube X was forgotten; history() still lists it" -> "...; `memos history X` still lists
    it"; "use on_error='skip'" -> "use --on-error skip" (a repeated "(--on-error skip)" is
    dropped).
    """
    found = _CUBE_ID.search(message)
    cube_id = found.group(1) if found else "ID"
    message = re.sub(r"\s*\(SDK: [^()]*\)", "", message)  # "--force (SDK: overwrite=True)"
    message = re.sub(r"\s*/\s*MemOS\.\w+\([^()]*\)", "", message)  # "`memos x` / MemOS.x(...)"

    def usage(match: re.Match[str]) -> str:  # "rollback(cube_id, ...) (memos rollback)"
        return f"`{_CLI_USAGE.get(match.group(1), match.group(1)).format(id=cube_id)}`"

    message = re.sub(r"(?<![\w.`])[a-z_]+\([^()]*\) \((memos [a-z -]+)\)", usage, message)
    for sdk, cli in _SDK_ARG_NAMES.items():
        message = re.sub(rf"\b{sdk}\b", cli, message)
    message = _SDK_OPTION.sub(lambda m: f"{m.group(1)}{_SDK_OPTIONS[m.group(2)]} must be",
                              message)
    for sdk, cli in _SDK_PHRASES.items():
        message = message.replace(sdk, cli.format(id=cube_id))
    for sdk, cli in _SDK_ARGS.items():
        message = message.replace(f"{sdk} ({cli})", cli).replace(sdk, cli)
    for sdk, cli in _SDK_ADVICE.items():
        message = message.replace(sdk, cli)
    message = re.sub(r"\s*\(MemOS\.open\([^)]*\)\)", "", message)  # SDK advice, in parentheses
    message = re.sub(r"\(MemOS\.\w+ / (memos [^)]+)\)", r"(\1)", message)  # "(MemOS.x / memos y)"
    command = _command.get()
    if command == "session":  # `memos session save|resume ID`: the ID is an argument
        message = re.sub(r"(?<![\w.`'-])session_id\b(?!['(=])", "the session ID", message)
    elif command != "import":  # (an import's messages name fields of the file's lines)
        message = _SDK_FIELDS.sub(lambda m: _FIELD_OPTIONS[m.group(1)], message)

    def command(match: re.Match[str]) -> str:
        name = _SDK_CALLS[match.group(1)]
        arg = f" {cube_id}" if name in ("history", "diff", "show", "update", "rollback") else ""
        return f"`memos {name}{arg}`"

    pattern = r"(?<![\w.`])(" + "|".join(map(re.escape, _SDK_CALLS)) + r")\(\)"
    return re.sub(pattern, command, message)


def peek(mem: MemOS, cube_id: str, scope: Any, version: int | None = None) -> MemCube | None:
    """A cube's newest version (or `version`) as its owner or a reader sees it, read through
    `history`, which counts no read (a table showing what a command found or wrote); None
    when it is gone (purged meanwhile) or the version is not there."""
    try:
        versions = mem.history(cube_id, scope)
    except MemosError:
        return None
    if version is None:
        return versions[-1] if versions else None
    return next((c for c in versions if c.version == version), None)


def check_writable_file(path: str, flag: str) -> None:
    """Refuse, before any work, a file option the command could not write at its end: empty,
    a folder, in a folder that does not exist, or not writable by this user."""
    if not path.strip():
        raise InvalidInputError(f"{flag} is empty: give a file, e.g. {flag} results.json")
    if "\x00" in path:
        raise InvalidInputError(f"{flag} contains a NUL character; give a file name")
    if os.path.isdir(path):
        raise InvalidInputError(f"{flag} {path} is a folder: give a file, e.g. "
                                f"{os.path.join(path, 'results.json')}")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise InvalidInputError(f"{flag} {path}: the folder {folder} does not exist; create it "
                                "or give a file in a folder that does")
    target = path if os.path.exists(path) else folder
    if not os.access(target, os.W_OK):
        raise InvalidInputError(f"{flag} {path}: this user cannot write {target}; give a file "
                                "in a folder you can write to")


_AGO = re.compile(r"(\d+)\s+(minute|hour|day|week|month|year)s?\s+ago", re.I)
_IN = re.compile(r"in\s+(\d+)\s+(minute|hour|day|week|month|year)s?", re.I)
_AGO_UNIT = {"minute": 60, "hour": 3600, "day": 86400, "week": 7 * 86400,
             "month": 30 * 86400, "year": 365 * 86400}
WHEN_HELP = "a date (2026-11-30), a time (2026-11-30T14:00, UTC unless it says +02:00), now, " \
            "today, yesterday, tomorrow, N minutes / hours / days / weeks / months / years " \
            "ago, or in N of those"


def parse_when(text: str | None, flag: str) -> datetime | None:
    """An option's time: ISO 8601, or now / today / yesterday / tomorrow / "3 days ago" /
    "in 3 days" (UTC)."""
    if text is None:
        return None
    said = " ".join(text.split()).lower()
    now = datetime.now(UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if said in ("now", "today", "yesterday", "tomorrow"):
        return {"now": now, "today": midnight, "yesterday": midnight - timedelta(days=1),
                "tomorrow": midnight + timedelta(days=1)}[said]
    ago = _AGO.fullmatch(said)
    found = ago or _IN.fullmatch(said)
    if found is not None:
        try:
            step = timedelta(seconds=int(found.group(1)) * _AGO_UNIT[found.group(2)])
            return now - step if ago else now + step
        except (ValueError, OverflowError):  # "5000 years ago": before the year 1
            bound = ("before the year 1; give a time since then" if ago else
                     "after the year 9999; give a time before then")
            raise InvalidInputError(f"{flag} {text!r:.60} is {bound}") from None
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInputError(f"{flag} takes {WHEN_HELP}; got {text!r:.60}") from None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _not_a_number(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def parse_meta(pairs: list[str] | None) -> dict[str, Any] | None:
    """`key=value` pairs; a value that parses as JSON (1, 2.5, true, "x") keeps its type."""
    if not pairs:
        return None
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise InvalidInputError(f"bad --meta {pair!r}: write it as key=value")
        try:  # (NaN / Infinity are no JSON numbers: kept as the text, as "nan" is)
            out[key] = json.loads(raw, parse_constant=_not_a_number)
        except ValueError:  # JSONDecodeError is one
            out[key] = raw
            continue
        try:
            json.dumps(out[key], allow_nan=False)
        except ValueError:  # "1e999": a number past a float's range
            raise InvalidInputError(f"bad --meta {pair!r:.60}: a number there is too large to "
                                    f"store; write a smaller one, or put the value in double "
                                    f"quotes (inside single ones) to keep it as text") from None
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


class CountColumn(ProgressColumn):
    """"done/total" once the total is known; before that "done" alone, never "0/?"."""

    def render(self, task: Task) -> Text:
        done = int(task.completed)
        if task.total is None:
            return Text(f"{done:,}", style="progress.download")
        return Text(f"{done:,}/{int(task.total):,}", style="progress.download")


@contextmanager
def progress_bar(description: str) -> Iterator[Callable[[int, int | None], None]]:
    """A rich progress bar on stderr (stdout stays clean for --json), as a progress callback.

    A spinner runs until the library reports a total (an import reads and checks the whole
    file first); the bar and "done/total" follow.
    """
    bar = QuietProgress(SpinnerColumn(), TextColumn("{task.description}", markup=False),
                        BarColumn(), CountColumn(), TimeElapsedColumn(),
                        console=Console(stderr=True, markup=False, emoji=False))
    task = bar.add_task(description, total=None)

    def update(done: int, total: int | None) -> None:
        bar.update(task, completed=done, total=total)

    with bar:
        try:
            yield update
        except BaseException:
            bar.failed = True  # the error line, not a half-drawn bar, is what remains
            raise

