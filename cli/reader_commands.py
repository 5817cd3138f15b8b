"""`memos ingest` (MemReader: a conversation file -> episodes and facts) and
`memos eval reader` (precision/recall of the rules on the shipped corpus).

Each command makes one library call (`MemOS.ingest`, `evaluate_reader`) and renders it.
"""

from __future__ import annotations

import json
import stat
import sys
from collections import Counter
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from memos.cli import render
from memos.cli.app import app, eval_app
from memos.cli.options import (
    MEMORIES,
    WHEN_HELP,
    AgentOpt,
    IndexDirOpt,
    JsonOpt,
    StoreOpt,
    UserOpt,
    open_store,
    parse_when,
    peek,
    progress_bar,
    scope_of,
)
from memos.cube import Lifecycle, MemCube, as_utc, utcnow
from memos.errors import InvalidInputError


class Mode(StrEnum):
    """How `memos ingest` extracts facts."""

    rules = "rules"
    llm = "llm"


def read_messages(path: str) -> list[Any]:
    """Messages from a .json file (a list, or an object with "messages") or a .jsonl file
    (one message per line); `-` reads either from stdin."""
    if path == "-":
        buffer = getattr(sys.stdin, "buffer", None)
        raw = buffer.read() if buffer is not None else sys.stdin.read().encode("utf-8",
                                                                              "surrogatepass")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInputError("stdin is not UTF-8 text; send the messages as UTF-8 "
                                    "JSON") from None
        name = "stdin"
    else:
        p = Path(path)
        try:
            mode = p.stat().st_mode
        except OSError:  # missing, or e.g. a name too long for the file system
            mode = None
        # a regular file, or a pipe (`memos ingest <(...)`, as `memos import` takes)
        if mode is None or not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):
            what = (f"no such file: {path}" if mode is None
                    else f"{path} is a folder" if stat.S_ISDIR(mode)
                    else f"{path} is not a regular file (a device or a socket)")
            raise InvalidInputError(f"{what}; pass a .json or .jsonl file of messages (or - "
                                    "for stdin)")
        try:
            text = p.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise InvalidInputError(f"{path} is not UTF-8 text; save it as UTF-8") from None
        except OSError as exc:
            raise InvalidInputError(f"cannot read {path}: {exc.strerror or exc}; pass a "
                                    f"readable .json or .jsonl file") from None
        name = path
    stripped = text.strip()
    if not stripped:
        raise InvalidInputError(f"{name} is empty; it needs messages such as "
                                f'{{"role": "user", "content": "I live in Lisbon"}}')
    try:
        data = json.loads(stripped)
    except json.JSONDecodeError:
        data = None
        rows = []
        for n, line in enumerate(stripped.splitlines(), 1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise InvalidInputError(f"{name} line {n} is not JSON ({exc.msg}); write one "
                                        f"message object per line (JSONL) or one JSON "
                                        f"list") from None
        return rows
    if isinstance(data, dict) and "messages" in data:
        data = data["messages"]
        if not isinstance(data, list):
            raise InvalidInputError(f"{name}: its 'messages' holds {type(data).__name__}; it "
                                    f"needs a list of messages such as "
                                    f'[{{"role": "user", "content": "I live in Porto."}}]')
    if isinstance(data, dict):
        return [data]  # one message (a JSONL file of one line)
    if not isinstance(data, list):
        raise InvalidInputError(f"{name} holds {type(data).__name__}; it needs a list of "
                                f"messages or an object with 'messages'")
    return data


@app.command(rich_help_panel=MEMORIES)
def ingest(file: Annotated[str, typer.Argument(
               help="Conversation: .json (list of messages, or {\"messages\": [...]}), "
                    ".jsonl (one message per line), or - for stdin.", show_default=False)],
           user: UserOpt = None, agent: AgentOpt = None,
           session: Annotated[str | None, typer.Option(
               "--session", help="Session id of this conversation (required).",
               show_default=False)] = None,
           mode: Annotated[Mode, typer.Option(
               help="rules (offline) or llm ($MEMOS_LLM_URL, $MEMOS_LLM_MODEL).")] = Mode.rules,
           at: Annotated[str | None, typer.Option(
               help=f"Time of turns that carry no 'at' (default: now): {WHEN_HELP}.",
               show_default=False)] = None,
           user_name: Annotated[str | None, typer.Option(
               "--user-name", help="The user's name, if the conversation does not say it.")]
           = None,
           store: StoreOpt = None, index_dir: IndexDirOpt = None, json_out: JsonOpt = False
           ) -> None:
    """Read a conversation into memory: every turn an episode, every stated fact a fact.

    Messages: {"role": "user", "content": "I live in Lisbon", "name"?, "at"?, "used"?}.

    A new value supersedes the old fact; "I'm not allergic to X any more" ends it.

    Example: memos ingest chat.jsonl --user alice --session 2026-03-01
    """
    if not session:
        raise InvalidInputError("no session given: pass --session ID (e.g. a date or a chat id)")
    scope = scope_of(user, agent)
    messages = read_messages(file)
    when = parse_when(at, "--at")  # before the store is opened (or made)
    with open_store(store, index_dir, create=True) as mem:
        with progress_bar("ingesting") as progress:  # on stderr: stdout stays clean for --json
            report = mem.ingest(messages, scope, session_id=session, at=when, mode=mode.value,
                                user_name=user_name, progress=progress)
        # every fact written, read through history (no read counted); one replaced or ended
        # within this same ingest is listed too, marked so (the count above the table
        # counted it and the table left it out)
        facts = [peek(mem, i, scope) for i in report.facts]
    replaced, ended = set(report.superseded), set(report.ended)
    now = {cube_id: _fact_now(cube, cube_id in replaced, cube_id in ended)
           for cube_id, cube in zip(report.facts, facts, strict=True) if cube is not None}
    if json_out:
        # the report, and what each fact written is now (as the table's "now" column)
        render.print_json({**report.model_dump(mode="json"), "now": now})
        return
    table = render.new_table(f"facts from {report.turns} turn{'' if report.turns == 1 else 's'} (session {report.session_id}, "
                             f"{report.mode})", ("id", "fact", "valid from", "now"))
    for cube_id, cube in zip(report.facts, facts, strict=True):
        if cube is not None:  # (the whole id: every command takes it)
            table.add_row(cube_id, cube.content, render.fmt(cube.valid_from),
                          render.plain(now[cube_id], "" if now[cube_id] == "live" else "dim"))
    render.print_table(table)
    episodes = len(set(report.episodes))
    again = len(report.episodes) - episodes
    repeated = (f" ({again} turn{'' if again == 1 else 's'} repeated an earlier one, stored "
                f"once)" if again else "")
    states = ", ".join(f"{n} {state}" for state, n in Counter(now.values()).items())
    render.print_message(f"{episodes} episodes{repeated}, {len(report.facts)} facts"
                         f"{f' ({states})' if states else ''}; {len(report.superseded)} "
                         f"superseded and {len(report.ended)} ended by it; "
                         f"{report.seconds:.2f}s (extraction {report.extract_seconds:.3f}s)")
    for failure in report.failed:
        where = f"turn {failure.turn}" if failure.turn is not None else "all turns"
        render.print_message(f"not extracted ({where}, {failure.stage}): {failure.error} — "
                             f"the turn is stored as an episode", style="yellow")


def _fact_now(cube: MemCube, replaced: bool, ended: bool) -> str:
    """What a fact an ingest wrote is now: live, superseded (by a later one of the same
    ingest, or written so: a turn dated before the value that replaced it), ended (its
    valid_to has passed: ended by a turn, or told as the past), or begins later."""
    current = utcnow()
    if replaced or cube.state == Lifecycle.SUPERSEDED:
        return "superseded"
    if cube.state != Lifecycle.ACTIVE:
        return str(cube.state.value)
    if ended or (cube.valid_to is not None and as_utc(cube.valid_to) <= current):
        return "ended"
    if cube.valid_from is not None and as_utc(cube.valid_from) > current:
        return "begins later"
    return "live"


@eval_app.command("reader")
def eval_reader(
    corpus: Annotated[str | None, typer.Option(
        "--corpus", help="'heldout' (the shipped held-out set), 'blind-a' ... 'blind-f' (six "
        "sets written from the docs alone by another author), or a "
        "JSONL file of the same form (default: the corpus the rules were written with).")] = None,
    with_ingest: Annotated[bool, typer.Option(
        "--ingest", help="Also time the full MemOS.ingest into a temporary store.")] = False,
    embedder: Annotated[str, typer.Option(help="Embedder of the --ingest timing.")] = "hashing",
    repeat: Annotated[int, typer.Option(
        "--repeat", min=1, max=1000, help="Timed extraction passes (the best one counts).")]
    = 20,
    show_errors: Annotated[bool, typer.Option(
        "--errors", help="List every missed and every wrong fact.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Precision and recall of the reader's rules on its corpus, per rule family, and speed.

    Example: memos eval reader --ingest --json
    """
    from memos.reader.evaluate import evaluate_reader

    report = evaluate_reader(corpus, ingest=with_ingest, embedder=embedder, repeat=repeat)
    if as_json:
        sys.stdout.write(json.dumps(report.to_json()) + "\n")
        return
    table = render.new_table(
        f"reader rules on {report.conversations} conversations, {report.turns} turns",
        ("family", "expected", "extracted", "precision", "recall"))
    for fam, row in report.by_family.items():
        table.add_row(fam, str(row["expected"]), str(row["extracted"]),
                      f"{row['precision']:.3f}", f"{row['recall']:.3f}")
    table.add_row(render.plain("all", "bold"), str(report.expected), str(report.extracted),
                  render.plain(f"{report.precision:.3f}", "bold"),
                  render.plain(f"{report.recall:.3f}", "bold"))
    render.print_table(table)
    line = f"extraction: {report.extract_turns_per_s:,.0f} turns/s"
    if report.ingest_turns_per_s is not None:
        line += (f"; full ingest ({report.ingest_embedder}): "
                 f"{report.ingest_turns_per_s:,.0f} turns/s one call per conversation, "
                 f"{report.ingest_long_turns_per_s:,.0f} turns/s in one call; embedding "
                 f"{report.ingest_embed_share:.0%} of the ingest time")
    render.print_message(line)
    if show_errors:
        for miss in report.misses:
            render.print_message(f"missed {miss}", style="yellow")
        for wrong in report.wrong:
            render.print_message(f"wrong  {wrong}", style="red")
