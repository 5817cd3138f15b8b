"""The per-memory commands: `memos add | search | show | update | history | diff | rollback |
forget | link`. Store-wide ones (init, stats, check, export, import, ...) are in
store_admin_commands.py.

Each command parses its options, makes ONE call on `memos.MemOS` and renders the result
(cli/render.py). Nothing here decides anything about memories. Errors raised by the library
are `memos.errors.MemosError`s; `memos.cli.app.main` prints them as one red line.
"""

from __future__ import annotations

import json
import shlex
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from memos.cli import render
from memos.cli.app import app
from memos.cli.options import (
    KIND_HELP,
    MEMORIES,
    WHEN_HELP,
    AgentOpt,
    IdArg,
    IndexDirOpt,
    JsonOpt,
    SessionFilterOpt,
    SessionOpt,
    StoreOpt,
    UserOpt,
    check_kind,
    confidence_value,
    importance_value,
    open_store,
    parse_meta,
    parse_when,
    peek,
    read_content,
    scope_of,
)
from memos.cube import Visibility, as_utc
from memos.errors import InvalidInputError, ScopeError
from memos.policies import retention


def _given(ctx: typer.Context, name: str) -> bool:
    """Whether option `name` was on the command line (or in its environment variable)."""
    source = ctx.get_parameter_source(name)
    return source is not None and source.name not in ("DEFAULT", "DEFAULT_MAP")


# How --meta reads its value (`options.parse_meta`)
META_HELP = ("key=value metadata (repeat). A value that reads as JSON keeps that type: 3 and "
             "1.10 are numbers (1.1), true/false booleans, null none; anything else is text. "
             "Quote it to keep it as text: --meta 'ver=\"1.10\"'.")


@app.command(rich_help_panel=MEMORIES)
def add(ctx: typer.Context,
        content: Annotated[str, typer.Argument(help="The memory's text, or - to read stdin.")],
        user: UserOpt = None, agent: AgentOpt = None, session: SessionOpt = None,
        kind: Annotated[str, typer.Option("--kind", help=KIND_HELP)] = "fact",
        tag: Annotated[list[str] | None, typer.Option("--tag", "-t", help="A tag (repeat).")] = None,
        meta: Annotated[list[str] | None, typer.Option(help=META_HELP)] = None,
        importance: Annotated[float, typer.Option(
            parser=importance_value, help="How much it matters: a number from 0 to 1.")] = 0.5,
        ttl: Annotated[float | None, typer.Option(help="Seconds until it expires.")] = None,
        valid_from: Annotated[str | None, typer.Option(
            "--valid-from", help=f"When it began to hold: {WHEN_HELP}.", show_default=False)
        ] = None,
        valid_to: Annotated[str | None, typer.Option(
            "--valid-to", help=f"When it stopped (or will stop) holding: {WHEN_HELP}.",
            show_default=False)] = None,
        entity: Annotated[list[str] | None, typer.Option(help="Entity to link (repeat).")] = None,
        supersedes: Annotated[list[str] | None, typer.Option(
            help="Id of a cube this one replaces (repeat).")] = None,
        visibility: Annotated[Visibility, typer.Option(help="Who may read it.")] =
        Visibility.PRIVATE,
        store: StoreOpt = None, index_dir: IndexDirOpt = None, json_out: JsonOpt = False) -> None:
    """Add one memory for a user; the same text twice is stored once.

    Adding text that is already stored keeps the stored memory as it is: --kind, --tag,
    --meta, --importance, --ttl, --valid-from, --valid-to, --entity and --supersedes are not
    applied then (a warning names them, with the `memos update ID ...` that applies them).

    Example: memos add "Alice prefers green tea" -u alice --kind preference --tag drinks

    Example: memos add "Alice lives in Lisbon" -u alice --valid-from 2024-03-01
    """
    scope = scope_of(user, agent, session, visibility)
    check_kind(kind)
    if any(not name.strip() for name in entity or ()):
        raise InvalidInputError("--entity is empty: give the name of an entity, e.g. "
                                "--entity alice, or leave --entity out")
    text = read_content(content)
    metadata = parse_meta(meta)
    began, ended = parse_when(valid_from, "--valid-from"), parse_when(valid_to, "--valid-to")
    # A first add creates the store; one that fails on its input leaves none behind
    # (open_store removes what it created).
    with open_store(store, index_dir, create=True) as mem:
        # only the options given, so that the result's `ignored` names those alone
        given = {name: value for name, option, value in (
            ("kind", "kind", kind), ("tags", "tag", tag), ("metadata", "meta", metadata),
            ("importance", "importance", importance), ("ttl", "ttl", ttl),
            ("valid_from", "valid_from", began), ("valid_to", "valid_to", ended),
            ("entities", "entity", entity), ("supersedes", "supersedes", supersedes))
            if _given(ctx, option) and value is not None}
        result = mem.add(text, scope, **given)
    action = render.get(result, "action")
    ignored: list[str] = []
    if action == "duplicate":
        ignored = [flag for name, flag in _FLAGS.items() if name in result.ignored]
        if ignored:
            render.print_warning(_duplicate_warning(result.cube, ignored, kind, tag, metadata,
                                                    importance, entity, (began, ended)))
    if json_out:
        render.print_json({**render.to_jsonable(result), "ignored_fields": ignored}
                          if action == "duplicate" else result)
        return
    verb = {"added": "added", "duplicate": "already known as", "merged": "merged into"}
    render.print_message(f"{verb.get(action, action)} {result.id} (v{result.version})")
    for old in render.get(result, "superseded") or []:
        render.print_message(f"superseded {old}", style="yellow")


# The add() arguments of `AddResult.ignored` as this command's options
_FLAGS = {"kind": "--kind", "tags": "--tag", "metadata": "--meta", "importance": "--importance",
          "ttl": "--ttl", "valid_from": "--valid-from", "valid_to": "--valid-to",
          "entities": "--entity", "supersedes": "--supersedes"}


def _meta_arg(key: str, value: Any) -> str:
    """key=value as --meta reads it back (a text that would parse as JSON is quoted)."""
    if isinstance(value, str):
        try:
            json.loads(value)
        except json.JSONDecodeError:
            return f"{key}={value}"
    return f"{key}={json.dumps(value, ensure_ascii=False)}"


def _duplicate_warning(stored: Any, ignored: list[str], kind: str, tags: list[str] | None,
                       metadata: dict[str, Any] | None, importance: float,
                       entities: list[str] | None,
                       valid: tuple[datetime | None, datetime | None] = (None, None)) -> str:
    """What was not applied, and the commands that apply it to the stored memory (`memos
    update` replaces tags and metadata, so the stored ones are repeated)."""
    update = [f"--kind {shlex.quote(kind)}"] if "--kind" in ignored else []
    if "--tag" in ignored:
        update += [f"-t {shlex.quote(t)}" for t in dict.fromkeys([*stored.tags, *(tags or [])])]
    if "--meta" in ignored:
        update += [f"--meta {shlex.quote(_meta_arg(k, v))}"
                   for k, v in {**stored.metadata, **(metadata or {})}.items()]
    if "--importance" in ignored:
        update.append(f"--importance {importance:g}")
    for flag, when in zip(("--valid-from", "--valid-to"), valid, strict=True):
        if flag in ignored and when is not None:
            update.append(f"{flag} {when.isoformat()}")
    todo = [f"`memos update {stored.id} {' '.join(update)}`"] if update else []
    if "--entity" in ignored:
        todo += [f"`memos link {stored.id} {shlex.quote('entity:' + e)}`"
                 for e in dict.fromkeys(entities or [])]
    rest = [f for f in ignored if f in ("--ttl", "--supersedes")]
    return (f"this text is already stored as {stored.id} (v{stored.version}) and was kept as "
            f"it is: {', '.join(ignored)} not applied"
            + (f"; to apply them, run {' and '.join(todo)}" if todo else "")
            + (f"; {' and '.join(rest)} {'apply' if len(rest) > 1 else 'applies'} only to "
               "a new memory" if rest else ""))


@app.command(rich_help_panel=MEMORIES)
def search(query: Annotated[str, typer.Argument(help="What to look for, in plain words.")],
           user: UserOpt = None, agent: AgentOpt = None, session: SessionFilterOpt = None,
           k: Annotated[int, typer.Option("--k", "-k", min=1, help="How many hits.")] = 10,
           kind: Annotated[list[str] | None, typer.Option(help="Only this kind (repeat).")] = None,
           tag: Annotated[list[str] | None, typer.Option(
               "--tag", "-t", help="Has any of these tags (repeat).")] = None,
           since: Annotated[str | None, typer.Option(
               help=f"Recorded at or after: {WHEN_HELP}.", show_default=False)] = None,
           until: Annotated[str | None, typer.Option(
               help=f"Recorded before: {WHEN_HELP}.", show_default=False)] = None,
           meta: Annotated[list[str] | None, typer.Option(
               help="key=value equality (the value read as --meta of add reads it).")] = None,
           filter_json: Annotated[str | None, typer.Option(
               "--filter", help='A filter expression as JSON, e.g. \'{"or": [...]}\'.')] = None,
           include_superseded: Annotated[bool, typer.Option(
               help="Also return superseded cubes.")] = False,
           as_of: Annotated[str | None, typer.Option(
               "--as-of", help=f"Only what held then (begun by then, not yet ended; "
               f"superseded ones too): {WHEN_HELP}.", show_default=False)] = None,
           store: StoreOpt = None, index_dir: IndexDirOpt = None, json_out: JsonOpt = False
           ) -> None:
    """Find a user's memories (vector + full-text + graph); the why column names the retrievers.

    A memory whose valid_to has passed, or superseded, is marked so under its text.

    Example: memos search "what does alice drink?" -u alice --k 5

    Example: memos search "where does alice live?" -u alice --as-of 2024-06-01
    """
    scope = scope_of(user, agent)
    filters = None
    if filter_json:
        try:
            filters = json.loads(filter_json)
        except json.JSONDecodeError as exc:  # too deep: RecursionError, see library_error
            raise InvalidInputError(f"--filter is not valid JSON: {exc.msg}") from None
    if session is not None:
        scope_of(user, agent, session)  # an empty or over-long id: the error add gives
        by_session = {"session_id": session}
        # (a --filter that is no filter keeps its own error: the SDK names it)
        filters = by_session if filters is None else (
            {"and": [filters, by_session]} if isinstance(filters, dict) else filters)
    since_at, until_at = parse_when(since, "--since"), parse_when(until, "--until")
    with open_store(store, index_dir) as mem:
        hits = mem.search(query, scope, k, filters=filters, kind=kind or None,
                          tags=tag or None, since=since_at, until=until_at,
                          metadata=parse_meta(meta), include_superseded=include_superseded,
                          as_of=parse_when(as_of, "--as-of"))
        inside = {} if json_out else _folded_texts(mem, hits, scope)
    if json_out:
        render.print_json([{"rank": i, "score": h.score, "retrievers": h.retrievers,
                            "ranks": h.ranks, "folded": h.folded, "cube": h.cube}
                           for i, h in enumerate(hits, 1)])
        return
    render.print_table(render.hits_table(query, hits, inside))


def _folded_texts(mem: Any, hits: list[Any], scope: Any) -> dict[str, str]:
    """The text of each cube folded into a hit (a fact read from the turn that is the hit),
    read without counting a read."""
    return {c: cube.content for h in hits for c in h.folded
            if (cube := peek(mem, c, scope)) is not None}


@app.command("list", rich_help_panel=MEMORIES)
def list_memories(
        user: UserOpt = None, agent: AgentOpt = None,
        kind: Annotated[str | None, typer.Option(help=f"Only this kind. {KIND_HELP}",
                                                 show_default=False)] = None,
        limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=1000,
                                           help="How many on this page (1 to 1,000).")] = 50,
        cursor: Annotated[str | None, typer.Option(
            help="The next page: the cursor the previous page printed.", show_default=False)]
        = None,
        store: StoreOpt = None, index_dir: IndexDirOpt = None, json_out: JsonOpt = False
        ) -> None:
    """List a user's live memories, last stored first, a page at a time.

    Example: memos list -u alice --kind fact --limit 20
    """
    scope = scope_of(user, agent)
    with open_store(store, index_dir) as mem:
        page = mem.list_memories(scope, limit=limit, cursor=cursor, kind=kind)
    if json_out:
        render.print_json(page)
        return
    render.print_table(render.page_table(
        f"{len(page.items)} memor{'y' if len(page.items) == 1 else 'ies'} of "
        f"{render.scope_text(scope)}, last stored first", page.items))
    if page.next_cursor:
        render.print_message(f"next page: the same command with --cursor {page.next_cursor}", "dim")


@app.command(rich_help_panel=MEMORIES)
def show(cube_id: IdArg, user: UserOpt = None, agent: AgentOpt = None,
         version: Annotated[int | None, typer.Option(min=1, help="An older version.")] = None,
         store: StoreOpt = None, index_dir: IndexDirOpt = None, json_out: JsonOpt = False) -> None:
    """Show one memory with every field.

    Example: memos show 3f2a... -u alice --version 1
    """
    scope = scope_of(user, agent)
    with open_store(store, index_dir) as mem:
        cube = mem.get(cube_id, scope, version=version)
    if json_out:
        render.print_json(cube)
        return
    render.print_table(render.cube_detail(cube))


@app.command(rich_help_panel=MEMORIES)
def history(cube_id: IdArg, user: UserOpt = None, agent: AgentOpt = None,
            store: StoreOpt = None, index_dir: IndexDirOpt = None,
            json_out: JsonOpt = False) -> None:
    """List every version of a memory, oldest first, with how, when and why each was made.

    Forgotten versions too. How each was made is its owner's to see (--json: each
    version's "made").

    Example: memos history 3f2a... -u alice
    """
    scope = scope_of(user, agent)
    with open_store(store, index_dir) as mem:
        versions = mem.history(cube_id, scope)
        try:
            made = mem.versions(cube_id, scope)
        except ScopeError:  # another's public or shared cube: its current version only
            made = []
    if json_out:
        how = {m.version: m.model_dump(mode="json", exclude={"version"}) for m in made}
        render.print_json([{**c.model_dump(mode="json"),
                            **({"made": how[c.version]} if c.version in how else {})}
                           for c in versions])
        return
    render.print_table(render.history_table(cube_id, versions, made))


@app.command(rich_help_panel=MEMORIES)
def diff(cube_id: IdArg, user: UserOpt = None, agent: AgentOpt = None,
         from_version: Annotated[int | None, typer.Option(
             "--from", min=1, show_default=False,
             help="Older version to compare (default: the one before --to).")] = None,
         to_version: Annotated[int | None, typer.Option(
             "--to", min=1, show_default=False,
             help="Newer version to compare (default: the latest).")] = None,
         store: StoreOpt = None, index_dir: IndexDirOpt = None, json_out: JsonOpt = False) -> None:
    """Show what changed between two versions (default: the previous and the latest).

    Example: memos diff 3f2a... -u alice --from 1 --to 3
    """
    scope = scope_of(user, agent)
    with open_store(store, index_dir) as mem:
        result = mem.diff(cube_id, scope, from_version, to_version)
    if json_out:
        render.print_json(result)
        return
    render.print_diff(result)


@app.command(rich_help_panel=MEMORIES)
def update(cube_id: IdArg,
           content: Annotated[str | None, typer.Option(
               help="New text, or - to read stdin.", show_default=False)] = None,
           user: UserOpt = None, agent: AgentOpt = None,
           kind: Annotated[str | None, typer.Option("--kind", help=KIND_HELP)] = None,
           tag: Annotated[list[str] | None, typer.Option(
               "--tag", "-t", help="Replace the tags (repeat).")] = None,
           meta: Annotated[list[str] | None, typer.Option(
               help="Replace the metadata with these key=value pairs (repeat; values read "
               "as add's --meta reads them).")] = None,
           clear_tags: Annotated[bool, typer.Option(
               "--clear-tags", help="Remove every tag.")] = False,
           clear_meta: Annotated[bool, typer.Option(
               "--clear-meta", help="Remove every metadata key.")] = False,
           importance: Annotated[float | None, typer.Option(
               parser=importance_value, help="How much it matters: a number from 0 to 1.")
           ] = None,
           confidence: Annotated[float | None, typer.Option(
               parser=confidence_value, help="How sure it is: a number from 0 to 1.")
           ] = None,
           valid_from: Annotated[str | None, typer.Option(
               "--valid-from", help=f"When it began to hold: {WHEN_HELP}.",
               show_default=False)] = None,
           valid_to: Annotated[str | None, typer.Option(
               "--valid-to", help=f"When it stopped holding: {WHEN_HELP}.",
               show_default=False)] = None,
           expires_at: Annotated[str | None, typer.Option(
               "--expires-at", help=f"When it expires: {WHEN_HELP} (a later time renews an "
               "expired memory).", show_default=False)] = None,
           ttl: Annotated[float | None, typer.Option(
               help="Seconds from now until it expires (instead of --expires-at).",
               show_default=False)] = None,
           clear_valid_from: Annotated[bool, typer.Option(
               "--clear-valid-from", help="Remove when it began to hold.")] = False,
           clear_valid_to: Annotated[bool, typer.Option(
               "--clear-valid-to", help="Remove when it stopped holding: it holds on.")
           ] = False,
           clear_expires: Annotated[bool, typer.Option(
               "--clear-expires-at", help="Remove its expiry: it never expires (renews an "
               "expired memory).")] = False,
           reason: Annotated[str | None, typer.Option(help="Why, kept with the version.")]
           = None,
           store: StoreOpt = None, index_dir: IndexDirOpt = None, json_out: JsonOpt = False
           ) -> None:
    """Change a memory; the old text stays in its history as the previous version.

    Example: memos update 3f2a... -u alice --content "Alice prefers oolong tea"

    Example: memos update 3f2a... -u alice --ttl 86400   (renew it for a day)

    Example: memos update 3f2a... -u alice --clear-valid-to   (it holds on: undo an end)
    """
    scope = scope_of(user, agent)
    check_kind(kind)
    if clear_tags and tag:
        raise InvalidInputError("--clear-tags removes every tag; give it or --tag, not both")
    if clear_meta and meta:
        raise InvalidInputError("--clear-meta removes every metadata key; give it or --meta, "
                                "not both")
    if clear_tags:
        tag = []
    if ttl is not None and expires_at is not None:
        raise InvalidInputError("--ttl and --expires-at both say when it expires; give one")
    expires = parse_when(expires_at, "--expires-at")
    if ttl is not None:
        try:
            expires = retention.expiry(datetime.now(UTC), ttl, None)
        except (ValueError, TypeError, OverflowError):
            raise InvalidInputError(f"--ttl takes a positive number of seconds that ends "
                                    f"before the year 9999 (e.g. --ttl 86400 for a day); "
                                    f"got {ttl:g}") from None
    clear = [name for name, given in (("valid_from", clear_valid_from),
                                      ("valid_to", clear_valid_to),
                                      ("expires_at", clear_expires)) if given]
    for name, value in (("valid_from", valid_from), ("valid_to", valid_to),
                        ("expires_at", expires)):
        if name in clear and value is not None:
            option = name.replace("_", "-")
            raise InvalidInputError(f"--clear-{option} removes it; give it or --{option}"
                                    f"{' (or --ttl)' if name == 'expires_at' else ''}, "
                                    f"not both")
    if all(v is None for v in (content, kind, tag if clear_tags or tag else None, meta or None,
                               importance, confidence, valid_from, valid_to, expires)) \
            and not clear_meta and not clear:
        raise InvalidInputError("`memos update ID` needs something to change: --content, "
                                "--kind, --tag (or --clear-tags), --meta (or --clear-meta), "
                                "--importance, --confidence, --valid-from, --valid-to, "
                                "--expires-at or --ttl (or --clear-valid-from, "
                                "--clear-valid-to, --clear-expires-at)")
    text = read_content(content) if content is not None else None
    with open_store(store, index_dir) as mem:
        cube = mem.update(cube_id, scope, content=text, kind=kind, tags=tag,
                          metadata={} if clear_meta else parse_meta(meta),
                          importance=importance, confidence=confidence,
                          valid_from=parse_when(valid_from, "--valid-from"),
                          valid_to=parse_when(valid_to, "--valid-to"), expires_at=expires,
                          clear=clear, reason=reason)
    if expires is not None and as_utc(expires) <= datetime.now(UTC):
        # (an expiry that has passed: the memory is gone from show and search at once)
        render.print_warning(f"{cube.id} expired at {expires.isoformat()}, now past: it is "
                             f"gone from show and search, and gc archives it; `memos update "
                             f"{cube.id} --expires-at <a later time>` renews it (to remove a "
                             f"memory for good, `memos forget` records why)")
    if json_out:
        render.print_json(cube)
        return
    render.print_message(f"{cube.id} is now v{cube.version}")


@app.command(rich_help_panel=MEMORIES)
def rollback(cube_id: IdArg,
             to_version: Annotated[int, typer.Option("--to", min=1, help="Version to restore.")],
             user: UserOpt = None, agent: AgentOpt = None,
             store: StoreOpt = None, index_dir: IndexDirOpt = None,
             json_out: JsonOpt = False) -> None:
    """Restore an earlier version as a new version (history keeps everything).

    Example: memos rollback 3f2a... -u alice --to 1
    """
    scope = scope_of(user, agent)
    with open_store(store, index_dir) as mem:
        cube = mem.rollback(cube_id, scope, to_version)
    if json_out:
        render.print_json(cube)
        return
    render.print_message(f"{cube.id} is now v{cube.version} (content of v{to_version})")


@app.command(rich_help_panel=MEMORIES)
def forget(cube_id: IdArg, user: UserOpt = None, agent: AgentOpt = None,
           reason: Annotated[str | None, typer.Option(help="Why, for the audit log.")] = None,
           store: StoreOpt = None, index_dir: IndexDirOpt = None, json_out: JsonOpt = False
           ) -> None:
    """Forget a memory: it leaves search, show and export; history keeps it (see purge).

    Example: memos forget 3f2a... -u alice --reason "user asked"
    """
    scope = scope_of(user, agent)
    with open_store(store, index_dir) as mem:
        before = {a.id for a in mem.adapters(scope) if a.status == "active"}
        cube = mem.forget(cube_id, scope, reason=reason)
        # the adapters trained on it are taken out of service in the same transaction
        tainted = [a.id for a in mem.adapters(scope) if a.id in before and a.status == "tainted"]
    if json_out:
        render.print_json(cube)
        return
    render.print_message(f"forgot {cube.id} (v{cube.version}); `memos purge` erases it for good")
    if tainted:
        render.print_message(
            f"adapter{'s' if len(tainted) > 1 else ''} {', '.join(tainted)} trained on it "
            f"{'are' if len(tainted) > 1 else 'is'} out of service; `memos scheduler run` "
            "consolidates the user's other facts again", style="dim")


@app.command(rich_help_panel=MEMORIES)
def link(src: Annotated[str, typer.Argument(help="Cube id.")],
         dst: Annotated[str, typer.Argument(help="Cube id or entity:NAME.")],
         user: UserOpt = None, agent: AgentOpt = None,
         relation: Annotated[str, typer.Option(help="Name of the relation.")] = "related",
         weight: Annotated[float, typer.Option(
             help="Strength of the link in graph retrieval: a number above 0.")] = 1.0,
         store: StoreOpt = None, index_dir: IndexDirOpt = None, json_out: JsonOpt = False) -> None:
    """Link two memories (or a memory and an entity) in the graph.

    Example: memos link 3f2a... entity:alice -u alice --relation about
    """
    scope = scope_of(user, agent)
    with open_store(store, index_dir) as mem:
        edge = mem.link(src, dst, scope, relation=relation, weight=weight)
    if json_out:
        render.print_json(edge)
        return
    render.print_message(f"linked {edge.src} --{edge.relation}--> {edge.dst}")


@app.command(rich_help_panel=MEMORIES)
def neighbors(cube_id: IdArg, user: UserOpt = None, agent: AgentOpt = None,
              relation: Annotated[str | None, typer.Option(
                  help="Only links of this relation (default: every relation).")] = None,
              depth: Annotated[int, typer.Option(
                  min=1, max=5, help="Hops to walk (1 to 5).")] = 1,
              store: StoreOpt = None, index_dir: IndexDirOpt = None,
              json_out: JsonOpt = False) -> None:
    """Show the memories linked to a memory (its links in the graph, both ways).

    Only memories you may read, reached through memories you may read.

    Example: memos neighbors 3f2a... -u alice --depth 2
    """
    scope = scope_of(user, agent)
    with open_store(store, index_dir) as mem:
        found = mem.neighbors(cube_id, scope, relation=relation, depth=depth)
    if json_out:
        render.print_json(found)
        return
    render.print_table(render.neighbors_table(cube_id, found))


# The store-wide commands register after these, so `memos --help` lists this panel first.
from memos.cli import store_admin_commands  # noqa: E402, F401
