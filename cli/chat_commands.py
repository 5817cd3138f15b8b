"""`memos chat` (talk to the assistant) and `memos eval assistant` (its scenario suite).

`memos chat` is a loop around `memos.Assistant.reply`: rich in a terminal, plain lines when
stdin is a pipe (one reply line per input line, so it can be scripted). The library decides
everything; this file reads lines and prints replies.
"""

from __future__ import annotations

import re
import sys
from enum import StrEnum
from typing import Annotated, Any

import typer

from memos.cli import render
from memos.cli.app import app, eval_app
from memos.cli.options import (
    MEMORIES,
    AgentOpt,
    IndexDirOpt,
    JsonOpt,
    StoreOpt,
    UserOpt,
    open_store,
    scope_of,
)
from memos.errors import InvalidInputError, MemosError

HELP = ("/quit (or Ctrl-D) ends the session and exits · /end ends the session and starts a "
        "new one · /memories shows or hides the memories each reply used · /help · a line "
        "starting with // is said to the assistant with one / (\"//etc/hosts is ...\")")
COMMANDS = ("/quit", "/exit", "/q", "/end", "/memories", "/help")
_COMMAND = re.compile(r"/[A-Za-z][\w-]*")  # "/bogus" or "/help me", not "/etc/hosts ..."


def _command_of(text: str) -> str | None:
    """The slash command a line is (lower case, with any words after it), else None: the
    line is said to the assistant."""
    word = text.split(maxsplit=1)[0]
    if text.startswith("//") or not _COMMAND.fullmatch(word):
        return None
    return " ".join(text.lower().split())


def _unknown_command(command: str) -> InvalidInputError:
    name = command.split()[0]
    if name in COMMANDS:
        return InvalidInputError(f"{name} takes nothing after it; /help lists the commands")
    return InvalidInputError(f"unknown command {name}; /help lists them (a line starting "
                             "with // is said to the assistant with one /)")


class BackendChoice(StrEnum):
    auto = "auto"
    model = "model"
    extractive = "extractive"
    llm = "llm"


def _read_line(interactive: bool, console: Any) -> str | None:
    """The next line, or None at the end of input (Ctrl-D, Ctrl-C, end of the pipe)."""
    try:
        if interactive:
            return str(console.input(render.styled(("you>", "bold cyan"), " ")))
        line = sys.stdin.readline()
        return None if line == "" else line.rstrip("\n")
    except (EOFError, KeyboardInterrupt):
        return None
    except UnicodeDecodeError as exc:
        raise InvalidInputError(f"the input is not UTF-8 text ({exc.reason} at byte "
                                f"{exc.start}); send UTF-8") from None


def _show_reply(reply: Any, console: Any, interactive: bool, streamed: bool,
                show_memories: bool) -> None:
    if not interactive:
        # Plain lines, but never a control character from a stored text (render.clean):
        # stdout may well be a terminal.
        sys.stdout.write(render.clean(" ".join(reply.text.split())) + "\n")
        sys.stdout.flush()
        for note in reply.notes:  # e.g. the LLM failed and the reply is extractive
            sys.stderr.write(f"note: {render.clean(' '.join(note.split()))}\n")
        if show_memories:  # on stderr: stdout stays one reply line per input line
            for rank, m in enumerate(reply.memories, start=1):
                when = m.at.date().isoformat() if m.at else "-"
                sys.stderr.write(render.clean(f"memory {rank}: {m.score:.3f} {m.why} {when} "
                                              f"{' '.join(m.content.split())}") + "\n")
        return
    if streamed:
        console.print()
    if not streamed or reply.backend != "llm":
        # Streamed tokens are the reply only when the LLM's answer is the reply: an LLM that
        # failed after some tokens left an extractive reply (auto) to show in full.
        console.print(render.styled(("memos>", "bold green"), " ", reply.text))
    total_ms = reply.seconds.get("total", 0.0) * 1000
    n = len(reply.memories)
    console.print(render.plain(f"{reply.backend} · {n} memor{'y' if n == 1 else 'ies'} · "
                               f"{total_ms:.0f} ms · {reply.route}", "dim"))
    for note in reply.notes:
        console.print(render.plain(f"note: {note}", "dim"))
    if show_memories and reply.memories:
        table = render.new_table(None, ["#", "score", "why", "when", "memory"])
        for rank, m in enumerate(reply.memories, start=1):
            table.add_row(str(rank), f"{m.score:.3f}", m.why,
                          m.at.date().isoformat() if m.at else "", render.short(m.content, 90))
        console.print(table)


def _end(bot: Any, console: Any, interactive: bool) -> None:
    ended = bot.end_session()
    if not ended.turns:
        return
    saved = ended.saved
    line = (f"session {ended.session_id} ended: {ended.turns} turn(s), summary "
            f"{ended.summary_id}" + (f", state saved ({saved.tokens} tokens read)"
                                     if saved is not None else ""))
    if interactive:
        console.print(render.plain(line, "dim"))
    else:
        sys.stderr.write(render.clean(line) + "\n")


@app.command(rich_help_panel=MEMORIES)
def chat(
    user: UserOpt = None,
    agent: AgentOpt = None,
    session: Annotated[str | None, typer.Option(
        "--session", help="Session id to continue (default: a new one).")] = None,
    backend: Annotated[BackendChoice, typer.Option(
        "--backend", "-b", help="How replies are made: auto (llm when $MEMOS_LLM_URL is set, "
        "else the built-in model for a stored fact it reads reliably, else extractive), "
        "model, extractive or llm.")] = BackendChoice.auto,
    show_memories: Annotated[bool, typer.Option(
        "--memories", help="Show the memories each reply used, and why (piped: on stderr, "
        "one `memory N: score why date text` line each).")] = False,
    store: StoreOpt = None,
    index_dir: IndexDirOpt = None,
) -> None:
    """Talk to an assistant that remembers you across sessions.

    Each message is answered from your memories, then remembered.

    A new value replaces the old one; "forget my address" forgets it everywhere.

    Piped (stdin not a terminal): one plain reply line per input line; a failed turn prints
    an error line on stderr, the chat goes on, and the exit code is then the first failed
    turn's (1, or 2 for bad input).

    Example: memos chat --user alice

    Example: printf 'I live in Porto.\\nwhere do I live?\\n' | memos chat -u alice
    """
    from memos.assistant import Assistant

    scope = scope_of(user, agent)
    interactive = sys.stdin.isatty()
    console = render.console()
    failed: list[int] = []  # exit codes of the turns that failed
    with open_store(store, index_dir, create=True) as mem:
        bot = Assistant(mem, scope.user_id, agent=scope.agent_id, backend=backend.value,
                        session_id=session)
        if interactive:
            console.print(render.styled(("memos chat", "bold"), f" as {bot.user_name} "
                                        f"({scope.user_id}), session {bot.session_id}, "
                                        f"backend {backend.value}"))
            console.print(render.plain(HELP, "dim"))
        while True:
            try:
                line = _read_line(interactive, console)
            except InvalidInputError as exc:  # unreadable input ends the chat, not the session
                _turn_error(exc, interactive, console)
                failed.append(exc.exit_code)
                break
            if line is None:
                break
            text = line.strip()
            if not text:
                _no_reply(interactive)
                continue
            command = _command_of(text)
            if command in ("/quit", "/exit", "/q"):
                break
            if command == "/help":
                if interactive:
                    console.print(HELP)
                else:  # piped: one line, as every reply (a console would wrap it)
                    sys.stdout.write(HELP + "\n")
                    sys.stdout.flush()
                continue
            if command == "/memories":
                show_memories = not show_memories
                _no_reply(interactive)
                if interactive:  # (piped: the empty line only, stdout stays in step)
                    console.print(render.plain(
                        "memories of each reply: " + ("shown" if show_memories else "hidden"),
                        "dim"))
                continue
            if command == "/end":
                _end(bot, console, interactive)
                if interactive:
                    console.print(render.plain(f"new session {bot.session_id}", "dim"))
                _no_reply(interactive)
                continue
            if command is not None:  # nothing is said to the assistant, nothing stored
                error = _unknown_command(command)
                _turn_error(error, interactive, console)
                failed.append(error.exit_code)
                continue
            if text.startswith("//"):
                text = text[1:]
            streamed = False

            def token(piece: str) -> None:
                nonlocal streamed
                if not streamed:
                    console.print(render.styled(("memos>", "bold green"), " "), end="")
                    streamed = True
                console.print(piece, end="")  # a SafeConsole: shown as it is, cleaned

            try:
                reply = bot.reply(text, on_token=token if interactive else None)
            except MemosError as exc:
                if streamed:
                    console.print()
                _turn_error(exc, interactive, console)
                failed.append(exc.exit_code)
                continue
            _show_reply(reply, console, interactive, streamed, show_memories)
        _end(bot, console, interactive)
        if failed and not interactive:
            # A script learns that a turn failed (its error line is on stderr): the exit code
            # of the first failed turn, 1 or 2 (bad input), once every other line is
            # answered. (Inside the store: one this chat created and nothing was said to
            # stays not behind.)
            raise typer.Exit(failed[0])


def _no_reply(interactive: bool) -> None:
    """Piped: an empty stdout line for an input line with no reply (a blank line, a failed
    turn, /memories, /end), so that a script pairing input and output lines stays in step."""
    if not interactive:
        sys.stdout.write("\n")
        sys.stdout.flush()


def _turn_error(exc: MemosError, interactive: bool, console: Any) -> None:
    """A failed turn is reported and the chat goes on (the store is unchanged by it); piped,
    its error line goes to stderr and an empty line to stdout (`_no_reply`)."""
    from memos.cli.options import cli_words

    message = " ".join(cli_words(str(exc)).split())
    if interactive:
        console.print(render.styled(("error:", "red"), " ", message))
    else:
        sys.stderr.write(f"error: {render.clean(message)}\n")
        sys.stderr.flush()
    _no_reply(interactive)


@eval_app.command("assistant")
def eval_assistant(
    scenarios: Annotated[str | None, typer.Option(
        "--scenarios", help="Scenario file, or 'blind-a' ... 'blind-f' (six suites written "
        "from the docs alone by another author); default: the suite shipped with memos.")]
        = None,
    backend: Annotated[BackendChoice, typer.Option(
        "--backend", "-b", help="Backend of the assistant under test.")] = BackendChoice.auto,
    embedder: Annotated[str, typer.Option(
        "--embedder", help="Embedder of the scenario stores: hashing (default) or minilm.")
    ] = "hashing",
    first: Annotated[int | None, typer.Option(
        "--first", min=1, help="Play only the first N scenarios.")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Accuracy of the assistant's replies on multi-session scenarios (offline).

    A reply is right when it holds the expected value and none of the wrong ones.

    Example: memos eval assistant --json
    """
    from memos.eval.assistant_eval import evaluate_assistant

    with render_progress() as update:
        report = evaluate_assistant(scenarios, backend=backend.value, embedder=embedder,
                                    first=first, progress=update)
    if json_out:
        render.print_json(report.to_json())
        return
    table = render.new_table(f"assistant scenarios: {report.scenarios} scenarios, "
                             f"{report.questions} questions, backend {report.backend}",
                             ["tag", "accuracy"])
    for tag, acc in report.by_tag.items():
        table.add_row(tag, f"{acc:.3f}")
    table.add_row(render.plain("overall", "bold"), render.plain(f"{report.accuracy:.3f}", "bold"))
    render.print_table(table)
    used = ", ".join(f"{b} {v['questions']:.0f} ({v['accuracy']:.2f})"
                     for b, v in report.by_backend.items())
    render.print_message(f"answered by: {used}; reply p50 {report.reply_ms['p50']} ms")
    for o in report.outcomes:
        if not o.right:
            render.print_message(f"wrong [{o.scenario}] {o.user}: {o.ask!r} -> {o.reply!r} "
                                 f"(expected {o.expect!r}, not {o.wrong})", style="yellow")


def locomo_answers(data: str, *, conversations: int | None, embedder: str, ingest: str,
                   context_window: int, as_json: bool) -> None:
    """`memos eval locomo --answer` (called from that command): the assistant answers
    every question; token F1 per category, context words per question."""
    from memos.eval.locomo import resolve_embedder
    from memos.eval.locomo_answer import evaluate_answers, format_rows

    name, note = resolve_embedder(embedder)
    if note:
        sys.stderr.write(f"note: {note}\n")
    with render_progress("ingest + answer") as update:
        report = evaluate_answers(data, conversations=conversations, embedder=name,
                                  ingest=ingest, context_window=context_window,
                                  progress=update)
    if as_json:
        render.print_json(report.to_json())
        return
    table = render.new_table(
        f"LoCoMo answers ({report.conversations} conversations, {report.questions} "
        f"questions, ingest {report.ingest}, embedder {report.embedder})",
        ["category", "questions", "token F1"])
    for row in format_rows(report):
        table.add_row(*row)
    table.add_row(render.plain("overall (1-4)", "bold"), "",
                  render.plain(f"{report.f1_overall:.3f}", "bold"))
    render.print_table(table)
    used = ", ".join(f"{b} {n}" for b, n in sorted(report.backends.items()))
    render.print_message(f"answered by: {used}; context words per question: mean "
                         f"{report.context_words['mean']}, p50 {report.context_words['p50']}; "
                         f"{report.seconds_per_question * 1000:.0f} ms per question")
    if report.judge_accuracy is not None:
        render.print_message(f"LLM judge ({report.judge_model}): {report.judge_accuracy:.3f}")


def render_progress(what: str = "scenarios") -> Any:
    from memos.cli.options import progress_bar

    return progress_bar(what)


__all__ = ["chat", "eval_assistant", "locomo_answers"]
