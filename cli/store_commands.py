"""The plaintext-tier admin commands: `memos init | add | search | show | history | ...`.

Each command parses its options, makes ONE call on `memos.MemOS` and renders the result
(cli/render.py). Nothing here decides anything about memories. Errors raised by the library
are `memos.errors.MemosError`s; `memos.cli.app.main` prints them as one red line.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from memos.cli import render
from memos.cli.app import app
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from memos.cube import Scope, Visibility
from memos.errors import ImportFormatError, InvalidInputError, StoreError

if TYPE_CHECKING:
    from memos.os import MemOS

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
    skip = "skip"
    abort = "abort"


def _scope(user: str | None, agent: str | None = None, session: str | None = None,
           visibility: Visibility | None = None) -> Scope:
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


def _optional_scope(user: str | None, agent: str | None, session: str | None) -> Scope | None:
    return _scope(user, agent, session) if user else None


@contextmanager
def _open(store: str | None, index_dir: str | None, embedder: str | None = None
          ) -> Iterator[MemOS]:
    # Imported here so that `memos --help` does not load SQLAlchemy and FAISS.
    from memos.os import MemOS

    with MemOS.open(store, index_dir=index_dir, embedder=embedder) as mem:
        yield mem


def _parse_meta(pairs: list[str] | None) -> dict[str, Any] | None:
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


def _read_content(content: str) -> str | bytes:
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
def _progress_bar(description: str) -> Iterator[Callable[[int, int | None], None]]:
    """A rich progress bar on stderr (stdout stays clean for --json), as a progress callback."""
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn(), console=Console(stderr=True))
    task = bar.add_task(description, total=None)

    def update(done: int, total: int | None) -> None:
        bar.update(task, completed=done, total=total)

    with bar:
        yield update


@app.command()
def init(store: StoreOpt = None, index_dir: IndexDirOpt = None,
         embedder: Annotated[str | None, typer.Option(
             help="Embedder of a new store: hashing (default) or minilm.")] = None,
         json_out: JsonOpt = False) -> None:
    """Create a store (or open an existing one) and show where it lives.

    Example: memos init --store ./my-memories
    """
    with _open(store, index_dir, embedder) as mem:
        stats = mem.stats()
    if json_out:
        render.print_json(stats)
        return
    render.print_message(f"store ready at {render.get(stats, 'location')} "
                         f"({render.get(stats, 'backend')}, embedder "
                         f"{render.get(stats, 'embedder')}, {render.get(stats, 'live')} live cubes)")


@app.command()
def add(content: Annotated[str, typer.Argument(help="The memory's text, or - to read stdin.")],
        user: UserOpt = None, agent: AgentOpt = None, session: SessionOpt = None,
        kind: Annotated[str, typer.Option("--kind", "-k", help="fact, preference, episode, "
                                          "event, profile, document, message.")] = "fact",
        tag: Annotated[list[str] | None, typer.Option("--tag", "-t", help="A tag (repeat).")] = None,
        meta: Annotated[list[str] | None, typer.Option(help="key=value metadata (repeat).")] = None,
        importance: Annotated[float, typer.Option(min=0.0, max=1.0)] = 0.5,
        ttl: Annotated[float | None, typer.Option(help="Seconds until it expires.")] = None,
        entity: Annotated[list[str] | None, typer.Option(help="Entity to link (repeat).")] = None,
        supersedes: Annotated[list[str] | None, typer.Option(
            help="Id of a cube this one replaces (repeat).")] = None,
        visibility: Annotated[Visibility, typer.Option(help="Who may read it.")] =
        Visibility.PRIVATE,
        store: StoreOpt = None, index_dir: IndexDirOpt = None, json_out: JsonOpt = False) -> None:
    """Add one memory for a user; the same text twice is stored once.

    Example: memos add "Alice prefers green tea" -u alice --kind preference --tag drinks
    """
    scope = _scope(user, agent, session, visibility)
    text = _read_content(content)
    with _open(store, index_dir) as mem:
        result = mem.add(text, scope, kind=kind, tags=tag or (), metadata=_parse_meta(meta),
                         importance=importance, ttl=ttl, entities=entity or (),
                         supersedes=supersedes or ())
    if json_out:
        render.print_json(result)
        return
    action = render.get(result, "action")
    verb = {"added": "added", "duplicate": "already known as", "merged": "merged into"}
    render.print_message(f"{verb.get(action, action)} {result.id} (v{result.version})")
    for old in render.get(result, "superseded") or []:
        render.print_message(f"superseded {old}", style="yellow")


@app.command()
def search(query: Annotated[str, typer.Argument(help="What to look for, in plain words.")],
           user: UserOpt = None, agent: AgentOpt = None, session: SessionOpt = None,
           k: Annotated[int, typer.Option("--k", "-n", min=1, help="How many hits.")] = 10,
           kind: Annotated[list[str] | None, typer.Option(help="Only this kind (repeat).")] = None,
           tag: Annotated[list[str] | None, typer.Option(help="Has any of these tags.")] = None,
           since: Annotated[datetime | None, typer.Option(help="Recorded at or after.")] = None,
           until: Annotated[datetime | None, typer.Option(help="Recorded before.")] = None,
           meta: Annotated[list[str] | None, typer.Option(help="key=value equality.")] = None,
           filter_json: Annotated[str | None, typer.Option(
               "--filter", help='A filter expression as JSON, e.g. \'{"or": [...]}\'.')] = None,
           include_superseded: Annotated[bool, typer.Option(
               help="Also return superseded cubes.")] = False,
           store: StoreOpt = None, index_dir: IndexDirOpt = None, json_out: JsonOpt = False
           ) -> None:
    """Find a user's memories by meaning and by words; the why column names the retrievers.

    Example: memos search "what does alice drink?" -u alice --k 5
    """
    scope = _scope(user, agent, session)
    filters = None
    if filter_json:
        try:
            filters = json.loads(filter_json)
        except json.JSONDecodeError as exc:
            raise InvalidInputError(f"--filter is not valid JSON: {exc.msg}") from None
    with _open(store, index_dir) as mem:
        hits = mem.search(query, scope, k, filters=filters, kind=kind or None,
                          tags=tag or None, since=since, until=until,
                          metadata=_parse_meta(meta), include_superseded=include_superseded)
    if json_out:
        render.print_json([{"rank": i, "score": h.score, "retrievers": h.retrievers,
                            "ranks": h.ranks, "cube": h.cube} for i, h in enumerate(hits, 1)])
        return
    render.print_table(render.hits_table(query, hits))


@app.command()
def show(cube_id: IdArg, user: UserOpt = None, agent: AgentOpt = None,
         session: SessionOpt = None,
         version: Annotated[int | None, typer.Option(min=1, help="An older version.")] = None,
         store: StoreOpt = None, index_dir: IndexDirOpt = None, json_out: JsonOpt = False) -> None:
    """Show one memory with every field.

    Example: memos show 3f2a... -u alice --version 1
    """
    scope = _scope(user, agent, session)
    with _open(store, index_dir) as mem:
        cube = mem.get(cube_id, scope, version=version)
    if json_out:
        render.print_json(cube)
        return
    render.print_table(render.cube_detail(cube))


@app.command()
def history(cube_id: IdArg, user: UserOpt = None, agent: AgentOpt = None,
            session: SessionOpt = None, store: StoreOpt = None, index_dir: IndexDirOpt = None,
            json_out: JsonOpt = False) -> None:
    """List every version of a memory, oldest first (forgotten ones too).

    Example: memos history 3f2a... -u alice
    """
    scope = _scope(user, agent, session)
    with _open(store, index_dir) as mem:
        versions = mem.history(cube_id, scope)
    if json_out:
        render.print_json(versions)
        return
    render.print_table(render.history_table(cube_id, versions))


@app.command()
def diff(cube_id: IdArg, user: UserOpt = None, agent: AgentOpt = None,
         session: SessionOpt = None,
         from_version: Annotated[int | None, typer.Option("--from", min=1)] = None,
         to_version: Annotated[int | None, typer.Option("--to", min=1)] = None,
         store: StoreOpt = None, index_dir: IndexDirOpt = None, json_out: JsonOpt = False) -> None:
    """Show what changed between two versions (default: the previous and the latest).

    Example: memos diff 3f2a... -u alice --from 1 --to 3
    """
    scope = _scope(user, agent, session)
    with _open(store, index_dir) as mem:
        result = mem.diff(cube_id, scope, from_version, to_version)
    if json_out:
        render.print_json(result)
        return
    render.print_diff(result)


@app.command()
def update(cube_id: IdArg,
           content: Annotated[str | None, typer.Option(
               help="New text, or - to read stdin.", show_default=False)] = None,
           user: UserOpt = None, agent: AgentOpt = None, session: SessionOpt = None,
           kind: Annotated[str | None, typer.Option("--kind", "-k")] = None,
           tag: Annotated[list[str] | None, typer.Option(
               "--tag", "-t", help="Replace the tags (repeat).")] = None,
           meta: Annotated[list[str] | None, typer.Option(
               help="Replace the metadata with these key=value pairs (repeat).")] = None,
           importance: Annotated[float | None, typer.Option(min=0.0, max=1.0)] = None,
           reason: Annotated[str | None, typer.Option(help="Why, kept with the version.")]
           = None,
           store: StoreOpt = None, index_dir: IndexDirOpt = None, json_out: JsonOpt = False
           ) -> None:
    """Change a memory; the old text stays in its history as the previous version.

    Example: memos update 3f2a... -u alice --content "Alice prefers oolong tea"
    """
    scope = _scope(user, agent, session)
    text = _read_content(content) if content is not None else None
    with _open(store, index_dir) as mem:
        cube = mem.update(cube_id, scope, content=text, kind=kind, tags=tag,
                          metadata=_parse_meta(meta), importance=importance, reason=reason)
    if json_out:
        render.print_json(cube)
        return
    render.print_message(f"{cube.id} is now v{cube.version}")


@app.command()
def rollback(cube_id: IdArg,
             to_version: Annotated[int, typer.Option("--to", min=1, help="Version to restore.")],
             user: UserOpt = None, agent: AgentOpt = None, session: SessionOpt = None,
             store: StoreOpt = None, index_dir: IndexDirOpt = None,
             json_out: JsonOpt = False) -> None:
    """Restore an earlier version as a new version (history keeps everything).

    Example: memos rollback 3f2a... -u alice --to 1
    """
    scope = _scope(user, agent, session)
    with _open(store, index_dir) as mem:
        cube = mem.rollback(cube_id, scope, to_version)
    if json_out:
        render.print_json(cube)
        return
    render.print_message(f"{cube.id} is now v{cube.version} (content of v{to_version})")


@app.command()
def forget(cube_id: IdArg, user: UserOpt = None, agent: AgentOpt = None,
           session: SessionOpt = None,
           reason: Annotated[str | None, typer.Option(help="Why, for the audit log.")] = None,
           store: StoreOpt = None, index_dir: IndexDirOpt = None, json_out: JsonOpt = False
           ) -> None:
    """Forget a memory: it leaves search, show and export; history keeps it (see purge).

    Example: memos forget 3f2a... -u alice --reason "user asked"
    """
    scope = _scope(user, agent, session)
    with _open(store, index_dir) as mem:
        cube = mem.forget(cube_id, scope, reason=reason)
    if json_out:
        render.print_json(cube)
        return
    render.print_message(f"forgot {cube.id} (v{cube.version}); `memos purge` erases it for good")


@app.command()
def purge(cube_id: Annotated[str | None, typer.Argument(help="Cube id (omit with --all).",
                                                         show_default=False)] = None,
          user: UserOpt = None, agent: AgentOpt = None, session: SessionOpt = None,
          all_of_user: Annotated[bool, typer.Option("--all", help="Every cube of the user.")]
          = False,
          reason: Annotated[str | None, typer.Option(help="Why, for the audit log.")] = None,
          yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
          store: StoreOpt = None, index_dir: IndexDirOpt = None, json_out: JsonOpt = False
          ) -> None:
    """Erase a memory (or all of a user's) with every version, for good; audited.

    Example: memos purge --all -u alice --yes --reason "account deleted"
    """
    scope = _scope(user, agent, session)
    if (cube_id is None) == (not all_of_user):
        raise InvalidInputError("give either a cube id or --all, not both and not neither")
    if not yes:
        what = f"every memory of {scope.user_id}" if all_of_user else cube_id
        if not sys.stdin.isatty():
            raise InvalidInputError(f"purge erases {what} for good; add --yes to confirm")
        typer.confirm(f"Erase {what} for good?", abort=True)
    with _open(store, index_dir) as mem:
        report = mem.purge(cube_id, scope, all_of_user=all_of_user, reason=reason)
    if json_out:
        render.print_json(report)
        return
    shown = render.to_jsonable(report)
    if len(shown["cube_ids"]) > 10:  # a whole user can be thousands of ids
        shown["cube_ids"] = f"{len(shown['cube_ids'])} ids (--json lists them)"
    render.print_table(render.kv_table("purged", shown))


@app.command()
def link(src: Annotated[str, typer.Argument(help="Cube id.")],
         dst: Annotated[str, typer.Argument(help="Cube id or entity:NAME.")],
         user: UserOpt = None, agent: AgentOpt = None, session: SessionOpt = None,
         relation: Annotated[str, typer.Option(help="Name of the relation.")] = "related",
         weight: Annotated[float, typer.Option(min=0.0)] = 1.0,
         store: StoreOpt = None, index_dir: IndexDirOpt = None, json_out: JsonOpt = False) -> None:
    """Link two memories (or a memory and an entity) in the graph.

    Example: memos link 3f2a... entity:alice -u alice --relation about
    """
    scope = _scope(user, agent, session)
    with _open(store, index_dir) as mem:
        edge = mem.link(src, dst, scope, relation=relation, weight=weight)
    if json_out:
        render.print_json(edge)
        return
    render.print_message(f"linked {edge.src} --{edge.relation}--> {edge.dst}")


@app.command()
def stats(user: UserOpt = None, agent: AgentOpt = None, session: SessionOpt = None,
          store: StoreOpt = None, index_dir: IndexDirOpt = None, json_out: JsonOpt = False
          ) -> None:
    """Count cubes, versions, edges and index entries (of one user with --user).

    Example: memos stats --json
    """
    with _open(store, index_dir) as mem:
        result = mem.stats(_optional_scope(user, agent, session))
    if json_out:
        render.print_json(result)
        return
    render.print_table(render.kv_table("store", render.to_jsonable(result)))


@app.command()
def check(repair: Annotated[bool, typer.Option(help="Rebuild indexes that disagree.")] = False,
          store: StoreOpt = None, index_dir: IndexDirOpt = None, json_out: JsonOpt = False
          ) -> None:
    """Compare the SQL tables with the vector, full-text and graph indexes (exit 1 if they differ).

    Example: memos check --repair
    """
    with _open(store, index_dir) as mem:
        report = mem.check(repair=repair)
    if json_out:
        render.print_json(report)
    else:
        render.print_table(render.check_table(report))
        for problem in report.problems:
            render.print_message(problem, style="yellow")
        if report.repaired:
            render.print_message("repaired: the indexes that disagreed were rebuilt from SQL")
    if not report.ok and not report.repaired:
        raise StoreError(f"{len(report.problems)} problem(s) found; run `memos check --repair`")


@app.command("export")
def export_(dest: Annotated[Path | None, typer.Argument(
                help="File to write (JSON Lines); stdout when omitted.", show_default=False)]
            = None,
            user: UserOpt = None, agent: AgentOpt = None, session: SessionOpt = None,
            superseded: Annotated[bool, typer.Option(help="Include superseded cubes.")] = True,
            store: StoreOpt = None, index_dir: IndexDirOpt = None, json_out: JsonOpt = False
            ) -> None:
    """Write a user's memories with their full history as JSON Lines (memos-export/1).

    Example: memos export alice.jsonl -u alice    (or: memos export -u alice > alice.jsonl)
    """
    scope = _scope(user, agent, session)
    with _open(store, index_dir) as mem:
        report = mem.export(scope, dest if dest is not None else sys.stdout,
                            include_superseded=superseded)
    if dest is None:  # stdout carries the export itself; the summary goes to stderr
        Console(stderr=True).print(f"exported {report.cubes} cube(s), {report.edges} edge(s)")
    elif json_out:
        render.print_json(report)
    else:
        render.print_message(f"exported {report.cubes} cube(s), {report.edges} edge(s) "
                             f"to {report.path}")


@app.command("import")
def import_(source: Annotated[Path, typer.Argument(exists=True, dir_okay=False,
                                                   help="A memos-export/1 JSON Lines file.")],
            user: UserOpt = None, agent: AgentOpt = None, session: SessionOpt = None,
            on_error: Annotated[OnError, typer.Option(
                help="skip: import the good lines; abort: import nothing if a line is bad.")]
            = OnError.abort,
            store: StoreOpt = None, index_dir: IndexDirOpt = None, json_out: JsonOpt = False
            ) -> None:
    """Import a JSON Lines export into a user's scope; bad lines are reported by number.

    Example: memos import alice.jsonl -u alice --on-error skip
    """
    scope = _scope(user, agent, session)
    stderr = Console(stderr=True, highlight=False)
    try:
        with _open(store, index_dir) as mem, _progress_bar("importing") as progress:
            report = mem.import_(source, scope, on_error=on_error.value, progress=progress)
    except ImportFormatError as exc:
        for line in render.import_errors_text(exc.errors):
            stderr.print(f"[red]{line}[/red]", markup=True)
        raise
    if json_out:
        render.print_json(report)
    else:
        render.print_message(f"imported {report.imported} cube(s), {report.edges} edge(s); "
                             f"{report.skipped_existing} already present; "
                             f"{len(report.errors)} bad line(s) skipped")
    for line in render.import_errors_text(report.errors):
        stderr.print(f"[yellow]{line}[/yellow]", markup=True)


@app.command()
def reindex(embedder: Annotated[str | None, typer.Option(
                help="Switch to this embedder (hashing, minilm, a model folder).")] = None,
            store: StoreOpt = None, index_dir: IndexDirOpt = None, json_out: JsonOpt = False
            ) -> None:
    """Rebuild the vector, full-text and graph indexes from SQL (optionally with a new embedder).

    Example: memos reindex --embedder minilm
    """
    # Open with the store's recorded embedder; the new one is what reindex switches to.
    with _open(store, index_dir) as mem, _progress_bar("reindexing") as progress:
        report = mem.reindex(embedder=embedder, progress=progress)
    if json_out:
        render.print_json(report)
        return
    render.print_message(f"reindexed {report.cubes} cube(s) with {report.embedder} "
                         f"({report.vector_index} index) in {report.seconds:.1f} s")


@app.command()
def gc(user: UserOpt = None, agent: AgentOpt = None, session: SessionOpt = None,
       store: StoreOpt = None, index_dir: IndexDirOpt = None, json_out: JsonOpt = False) -> None:
    """Archive memories whose TTL has passed (of one user with --user).

    Example: memos gc
    """
    with _open(store, index_dir) as mem:
        report = mem.gc(scope=_optional_scope(user, agent, session))
    if json_out:
        render.print_json(report)
        return
    render.print_message(f"archived {len(report.archived)} expired cube(s)")
    for cube_id in report.archived:
        render.print_message(f"  {cube_id}", style="")
