"""The store-wide commands: `memos init | stats | check | export | import | reindex | gc |
purge`. Registered by importing this module (cli/store_commands.py does).

Each command makes ONE call on `memos.MemOS` and renders the result (cli/render.py).
"""

from __future__ import annotations

import contextlib
import io
import stat
import sys
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer

from memos.cli import render
from memos.cli.app import app
from memos.cli.options import (
    STORE,
    AgentOpt,
    IndexDirOpt,
    JsonOpt,
    OnError,
    StoreOpt,
    UserOpt,
    cli_words,
    open_store,
    optional_scope,
    progress_bar,
    scope_of,
)
from memos.errors import ImportFormatError, InvalidInputError, StoreError
from memos.results import ImportReport


@app.command(rich_help_panel=STORE)
def init(store: StoreOpt = None, index_dir: IndexDirOpt = None,
         embedder: Annotated[str | None, typer.Option(
             help="Embedder of a new store: hashing (default) or minilm.")] = None,
         json_out: JsonOpt = False) -> None:
    """Create a store (or open an existing one) and show where it lives.

    Example: memos init --store ./my-memories
    """
    with open_store(store, index_dir, embedder, create=True) as mem:
        stats = mem.stats()
    if json_out:
        render.print_json(stats)
        return
    render.print_message(f"store ready at {render.get(stats, 'location')} "
                         f"({render.get(stats, 'backend')}, embedder "
                         f"{render.get(stats, 'embedder')}, {render.get(stats, 'live')} live cubes)")


@app.command(rich_help_panel=STORE)
def purge(cube_id: Annotated[str | None, typer.Argument(help="Cube id (omit with --all).",
                                                         show_default=False)] = None,
          user: UserOpt = None, agent: AgentOpt = None,
          all_of_user: Annotated[bool, typer.Option(
              "--all", help="Every cube of the user; with --agent, the agent's cubes and the "
                            "user's cubes that belong to no agent (what that agent may change "
                            "one by one), not other agents'.")] = False,
          reason: Annotated[str | None, typer.Option(help="Why, for the audit log.")] = None,
          yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
          verify: Annotated[bool, typer.Option(
              "--verify", help="Then show, per tier, what remains of the erased cubes (rows, "
                               "index entries, activation blobs, adapters trained on them) "
                               "and fail if anything does.")] = False,
          store: StoreOpt = None, index_dir: IndexDirOpt = None, json_out: JsonOpt = False
          ) -> None:
    """Erase a memory (or all of a user's) with every version, for good; audited.

    Purge erases memories, not API keys: after --all, a warning names the user's keys that
    still work (`memos keys revoke KEY_ID`).

    Example: memos purge --all -u alice --yes --reason "account deleted"
    """
    scope = scope_of(user, agent)
    if (cube_id is None) == (not all_of_user):
        raise InvalidInputError("give either a cube id or --all, not both and not neither")
    if not yes:
        what = cube_id
        if all_of_user:
            what = (f"every memory of {scope.user_id}" if scope.agent_id is None else
                    f"every memory of {scope.user_id}'s agent {scope.agent_id} and every "
                    f"memory of {scope.user_id} that belongs to no agent")
        if not sys.stdin.isatty():
            raise InvalidInputError(f"purge erases {what} for good; add --yes to confirm")
        typer.confirm(f"Erase {what} for good?", abort=True)
    with open_store(store, index_dir) as mem:
        # a spinner in a terminal: erasing from a large IVF index trains it again (a minute
        # at a million vectors: docs/BENCHMARKS.md); nothing off a terminal
        with (render.err_console().status("erasing ...") if sys.stderr.isatty()
              else contextlib.nullcontext()):
            report = mem.purge(cube_id, scope, all_of_user=all_of_user, reason=reason)
        remains = mem.purge_remains(report.cube_ids + ([cube_id] if cube_id else []),
                                    user=scope.user_id) \
            if verify else None
        # (an account erased: its API keys still open the REST and MCP servers, to an
        # empty store, until revoked)
        live_keys = [k.key_id for k in mem.list_keys(scope.user_id)
                     if k.revoked_at is None and (scope.agent_id is None
                                                  or k.agent_id == scope.agent_id)] \
            if all_of_user else []
    if live_keys:
        render.print_warning(
            f"{len(live_keys)} API key{'' if len(live_keys) == 1 else 's'} of "
            f"{scope.user_id!r} still work{'s' if len(live_keys) == 1 else ''} (purge erases "
            f"memories, not keys): revoke with "
            + "; ".join(f"`memos keys revoke {k}`" for k in live_keys[:5])
            + (" ..." if len(live_keys) > 5 else ""))
    if json_out:
        render.print_json(report if remains is None
                          else {**render.to_jsonable(report), "remains": remains})
    else:
        shown = render.to_jsonable(report)
        if len(shown["cube_ids"]) > 10:  # a whole user can be thousands of ids
            shown["cube_ids"] = f"{len(shown['cube_ids'])} ids (--json lists them)"
        render.print_table(render.kv_table("purged", shown))
    if remains is not None:
        from memos.errors import StoreError

        left = {f"{tier} {what}": n for tier, part in remains.items()
                for what, n in part.items() if n}
        if not json_out:
            table = render.new_table("what remains, per tier", ["tier", "what", "left"])
            for tier, part in remains.items():
                for what, n in part.items():
                    table.add_row(tier, what, str(n))
            render.print_table(table)
        if left:
            shown_left = ", ".join(f"{k}: {v}" for k, v in left.items())
            raise StoreError(f"purge --verify: something remains ({shown_left}); run "
                             f"`memos check --repair` and purge again")
        if not json_out:
            render.print_message("verified: nothing of the erased cubes remains in any tier")


@app.command(rich_help_panel=STORE)
def stats(user: UserOpt = None, agent: AgentOpt = None,
          store: StoreOpt = None, index_dir: IndexDirOpt = None, json_out: JsonOpt = False
          ) -> None:
    """Count cubes, versions, edges and index entries (of one user with --user).

    Example: memos stats --json
    """
    scope = optional_scope(user, agent)
    with open_store(store, index_dir) as mem:
        result = mem.stats(scope)
    if json_out:
        render.print_json(result)
        return
    # With a user (--user or $MEMOS_USER), the counts of cubes, versions, edges and users are
    # that user's; the changelog, index and disk figures are the whole store's.
    title = "store" if scope is None else f"store, counts of {render.scope_text(scope)}"
    render.print_table(render.kv_table(title, render.to_jsonable(result)))
    if scope is not None:
        render.print_message(f"cubes, versions, edges and users: {render.scope_text(scope)}'s; "
                             f"changelog, index and disk figures: the whole store's", "dim")


@app.command(rich_help_panel=STORE)
def check(repair: Annotated[bool, typer.Option(help="Rebuild indexes that disagree.")] = False,
          store: StoreOpt = None, index_dir: IndexDirOpt = None, json_out: JsonOpt = False
          ) -> None:
    """Compare the SQL tables with the vector, full-text and graph indexes (exit 1 if they differ).

    Example: memos check --repair
    """
    with open_store(store, index_dir) as mem:
        report = mem.check(repair=repair)
    if json_out:
        render.print_json(report)
    else:
        render.print_table(render.check_table(report))
        for problem in report.problems:
            render.print_message(problem, style="yellow")
        fixed, retired = report.blobs.get("rederived", []), report.blobs.get("retired", [])
        if fixed or retired:
            render.print_message(
                f"blobs: {len(fixed)} encoded again from their source; {len(retired)} "
                "retired (slots and session states are made again when next used; an "
                "adapter whose weights they were is out of service, and `memos scheduler "
                "run` consolidates its facts again)")
        if report.repaired and (set(report.indexes) and not all(
                i.ok for i in report.indexes.values())):
            render.print_message("repaired: the indexes that disagreed were rebuilt from SQL")
        elif report.repaired:
            render.print_message("repaired")
    if not report.ok and not report.repaired:
        raise StoreError(f"{len(report.problems)} problem(s) found; run `memos check --repair`")


def _export_dest(value: str | Path) -> Path | None:
    """FILE of `memos export`: `-` is stdout, as `memos add -` reads stdin (`./-` is a file
    named -); an empty FILE is refused."""
    if isinstance(value, Path):
        return value
    if value == "-":
        return None
    if not value.strip():
        raise typer.BadParameter("is empty: give a file, or - (or nothing) for stdout")
    return Path(value)


@app.command("export", rich_help_panel=STORE)
def export_(dest: Annotated[Path | None, typer.Argument(
                parser=_export_dest, metavar="FILE",
                help="File to write (JSON Lines); stdout when omitted or -.",
                show_default=False)]
            = None,
            user: UserOpt = None, agent: AgentOpt = None,
            superseded: Annotated[bool, typer.Option(help="Include superseded cubes.")] = True,
            force: Annotated[bool, typer.Option(
                "--force", help="Replace FILE if it exists (never a store's own files).")]
            = False,
            store: StoreOpt = None, index_dir: IndexDirOpt = None, json_out: JsonOpt = False
            ) -> None:
    """Write a user's memories with their full history as JSON Lines (memos-export/1).

    FILE is written atomically and never replaces an existing file unless --force is given;
    a store's files (its database, its index folder) are refused even then.

    --json prints the report of an export to FILE as JSON; without FILE, stdout carries the
    export itself (JSON Lines), so --json needs FILE.

    Example: memos export alice.jsonl -u alice    (or: memos export -u alice > alice.jsonl)

    Example: memos export - -u alice | gzip > alice.jsonl.gz
    """
    if dest is None and json_out:
        raise InvalidInputError("--json prints the report of an export to FILE, and without FILE "
                                "stdout is the export itself (JSON Lines): give FILE, or leave "
                                "out --json")
    scope = scope_of(user, agent)
    with open_store(store, index_dir) as mem:
        report = mem.export(scope, dest if dest is not None else sys.stdout,
                            include_superseded=superseded, overwrite=force)
    if dest is None:  # stdout carries the export itself; the summary goes to stderr
        render.err_console().print(f"exported {report.cubes} cube(s), {report.edges} edge(s)")
    elif json_out:
        render.print_json(report)
    else:
        render.print_message(f"exported {report.cubes} cube(s), {report.edges} edge(s) "
                             f"to {report.path}")
    if not report.cubes and not json_out:  # a mistyped -u exports nothing, and says so
        render.err_console().print(render.plain(
            f"note: {render.scope_text(scope)} has no memories to export in this store; check -u "
            f"(and --agent)", "yellow"))


@app.command("import", rich_help_panel=STORE)
def import_(source: Annotated[str, typer.Argument(
                metavar="FILE", show_default=False,
                help="A memos-export/1 JSON Lines file, or - to read stdin.")],
            user: UserOpt = None, agent: AgentOpt = None,
            on_error: Annotated[OnError, typer.Option(
                help="skip: import the good lines; abort: import nothing if a line is bad.")]
            = OnError.abort,
            store: StoreOpt = None, index_dir: IndexDirOpt = None, json_out: JsonOpt = False
            ) -> None:
    """Import a JSON Lines export into a user's scope; bad lines are reported by number.

    FILE may be - (stdin) or a pipe, so an export can go straight into another store.

    Example: memos import alice.jsonl -u alice --on-error skip

    Example: memos export -u alice | memos import - -u alice --store ../copy
    """
    # No --session: each cube keeps the session it was exported with (an import restores).
    scope = scope_of(user, agent)
    stderr = render.err_console(soft_wrap=True)  # one line each, never read as markup
    try:
        with contextlib.ExitStack() as opened:
            text = _import_source(source, opened)
            mem = opened.enter_context(open_store(store, index_dir))
            with progress_bar("importing") as progress:
                try:
                    report = mem.import_(text, scope, on_error=on_error.value,
                                         progress=progress)
                except UnicodeDecodeError as exc:  # a stream: a file path decodes per line
                    raise InvalidInputError(
                        f"{'stdin' if source == '-' else source} is not UTF-8 text "
                        f"({exc.reason} at byte {exc.start}); send UTF-8 (convert it with "
                        "e.g. iconv -f latin1 -t utf-8)") from None
            _print_import(report, json_out, stderr)
            if report.errors and not (report.imported or report.skipped_existing
                                      or report.edges or report.left):
                # Every line refused: a script must not read this as an import (and a store
                # this call created is left uncreated: open_store)
                stderr.print(render.plain("error: nothing was imported: every line was "
                                          "refused (above)", "red"))
                raise typer.Exit(1)
    except ImportFormatError as exc:
        for line in render.import_errors_text(exc.errors, words=cli_words):
            stderr.print(render.plain(line, "red"))
        raise


def _print_import(report: ImportReport, json_out: bool, stderr: Any) -> None:
    """What `memos import` says of its report: JSON or one line, then each bad line."""
    if json_out:
        render.print_json(report)
    else:
        renamed = (f"; {len(report.renamed)} given a new id (their id was taken, or is not "
                   "a memos id)"
                   if report.renamed else "")
        left = (f"; {len(report.left)} line(s) left to other agents' imports"
                if report.left else "")
        named = ", ".join(str(i) for i in report.differing[:3]) + (
            f" and {len(report.differing) - 3} more (--json lists them)"
            if len(report.differing) > 3 else "")
        differing = (f" ({len(report.differing)} with another version or text in the file, "
                     f"{named}, "
                     "kept as stored: update them, or purge them (memos purge ID: it cannot be undone, "
                     "and erases what was derived from them) and import again; a forgotten "
                     "cube still holds its id)"
                     if report.differing else "")
        render.print_message(f"imported {report.imported} cube(s), {report.edges} edge(s); "
                             f"{report.skipped_existing} already present{differing}; "
                             f"{len(report.errors)} bad line(s) skipped{renamed}{left}")
    for line in render.import_errors_text(report.errors, words=cli_words):
        stderr.print(render.plain(line, "yellow"))
    if report.unended:
        stderr.print(render.plain(
            "warning: the file has no end line: an export cut between lines imports without "
            "an error, so what was cut off is missing. Exports since 2026-12-04 end with one; "
            "if this one is newer, it was cut: export again", "yellow"))


def _import_source(source: str, opened: contextlib.ExitStack) -> Path | TextIO:
    """FILE of `memos import`: `-` is stdin (`./-` is a file named -) and a pipe is read as
    a stream; a file is passed by path (the library reads it line by line). Checked before
    the store opens, so a bad FILE never creates a store."""
    if source == "-":
        return _utf8(sys.stdin, opened)
    if not source.strip():
        raise InvalidInputError("FILE is empty: give a memos export file, or - to read stdin")
    path = Path(source)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise InvalidInputError(f"import file {source} does not exist; pass the path of a "
                                "memos export (`memos export FILE` writes one), or - to read "
                                "stdin") from None
    except OSError as exc:  # permission, a name too long, ...
        raise InvalidInputError(f"cannot read import file {source[:80]!r}: {exc.strerror}; "
                                "pass the path of a memos export") from None
    except ValueError:  # a NUL character
        raise InvalidInputError(f"import file {source[:80]!r} contains a NUL character; give "
                                "a file name") from None
    if stat.S_ISDIR(mode):
        raise InvalidInputError(f"import file {source} is a folder; pass the .jsonl file that "
                                "`memos export` wrote")
    if stat.S_ISFIFO(mode):  # `memos import <(memos export ...)`, a named pipe
        try:
            return _utf8(opened.enter_context(open(path, "rb")), opened)
        except OSError as exc:
            raise InvalidInputError(f"cannot read import file {source}: {exc.strerror}"
                                    ) from None
    if not stat.S_ISREG(mode):
        raise InvalidInputError(f"{source} is not a regular file (a device or a socket): pass "
                                "a memos export file (`memos export FILE` writes one), or - "
                                "to read stdin")
    return path


def _utf8(stream: Any, opened: contextlib.ExitStack) -> TextIO:
    """A stream as UTF-8 text, whatever the locale's encoding (an export is UTF-8)."""
    binary = getattr(stream, "buffer", stream)
    if isinstance(binary, io.TextIOBase):  # a text stream without its bytes: as it is
        return binary
    wrapper = io.TextIOWrapper(binary, encoding="utf-8", newline="")
    opened.callback(wrapper.detach)  # leave stdin itself open
    return wrapper


@app.command(rich_help_panel=STORE)
def reindex(embedder: Annotated[str | None, typer.Option(
                help="Switch to this embedder (hashing, minilm, a model folder).")] = None,
            store: StoreOpt = None, index_dir: IndexDirOpt = None, json_out: JsonOpt = False
            ) -> None:
    """Rebuild the vector, full-text and graph indexes from SQL (optionally with a new embedder).

    Example: memos reindex --embedder minilm
    """
    # Open with the store's recorded embedder; the new one is what reindex switches to.
    with open_store(store, index_dir) as mem, progress_bar("reindexing") as progress:
        report = mem.reindex(embedder=embedder, progress=progress)
    if json_out:
        render.print_json(report)
        return
    render.print_message(f"reindexed {report.cubes} cube(s) with {report.embedder} "
                         f"({report.vector_index} index) in {report.seconds:.1f} s")


@app.command(rich_help_panel=STORE)
def gc(user: UserOpt = None, agent: AgentOpt = None,
       store: StoreOpt = None, index_dir: IndexDirOpt = None, json_out: JsonOpt = False) -> None:
    """Archive memories whose TTL has passed (of one user with --user).

    Example: memos gc
    """
    with open_store(store, index_dir) as mem:
        report = mem.gc(scope=optional_scope(user, agent))
    if json_out:
        render.print_json(report)
        return
    render.print_message(f"archived {len(report.archived)} expired cube(s)")
    if report.blobs_deleted:  # store-wide gc only
        render.print_message(f"deleted {report.blobs_deleted} unreferenced activation blob(s)")
    for cube_id in report.archived:
        render.print_message(f"  {cube_id}", style="")
