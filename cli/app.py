"""The `memos` command. Each command calls one library function and renders its result.

Exit codes: 0 success, 1 a memos error (store, not found, scope), 2 bad input or usage.
User errors print as one red line on stderr, never a traceback (MEMOS_DEBUG=1 adds the
traceback of an unexpected error).
"""

from __future__ import annotations

import inspect
import json
import os
import re
import sys
import weakref
from typing import Annotated

import typer

from memos.cli.options import cli_words, library_error, set_command
from memos.cli.render import err_console as _err_console
from memos.cli.render import styled
from memos.errors import MemosError

app = typer.Typer(
    name="memos",
    help="memos: a memory operating system for AI agents. Store, search, version and forget memories.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
model_app = typer.Typer(help="Train, evaluate and inspect the memory-augmented SSM.", no_args_is_help=True)
bench_app = typer.Typer(help="Measure speed and cost: retrieval, serving, kernels, tiers, blobs, "
                                  "consolidation.", no_args_is_help=True)
eval_app = typer.Typer(help="Measure quality on evaluation sets.", no_args_is_help=True)
app.add_typer(model_app, name="model")
app.add_typer(bench_app, name="bench")
app.add_typer(eval_app, name="eval")

err_console = _err_console()  # shows messages as they are: never as markup (render.py)


def _show_version(value: bool) -> None:
    if value:
        from memos import __version__

        typer.echo(f"memos {__version__}")
        raise typer.Exit()


@app.callback()
def _root(ctx: typer.Context,
          version: Annotated[bool, typer.Option(
              "--version", is_eager=True, callback=_show_version,
              help="Show the version and exit.")] = False) -> None:
    set_command(ctx.invoked_subcommand)


def _hide_flag_types() -> None:
    """Recent typer prints a `<bool>` type column for flags (`--json <bool>`); a flag takes no
    value, so its help shows none."""
    from typer.core import TyperOption

    original = getattr(TyperOption, "display_type_rich", None)
    if original is None or getattr(original, "_memos_flags", False):
        return

    def display_type_rich(self: TyperOption, ctx: object) -> str | None:
        if getattr(self, "is_flag", False) and self.metavar is None:
            return None
        return original(self, ctx)

    display_type_rich._memos_flags = True  # type: ignore[attr-defined]
    TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign]


# A help line kept on a line of its own when help text is reflowed (`reflow_help`): an
# indented line, a list item (-, *, +, a bullet or `1.`), a shell line ($ or >), an example
# line or a `memos ...` command line.
_LAYOUT_LINE = re.compile(r"\s|[-*+\u2022]\s|\d+[.)]\s|[$>]\s|Example\b|memos\s")


def reflow_help(text: str) -> str:
    """Help text whose paragraphs are each one line, for the terminal to wrap at its width.

    Typer's rich help keeps a docstring's single newlines: a line a little longer than the
    terminal's width was wrapped and then broken again (ragged short lines). A paragraph's
    prose lines are joined here; blank-line paragraph breaks stay, and so does deliberate
    layout: a paragraph marked with click's `\\b`, and a line of `_LAYOUT_LINE` (lists,
    indented blocks, example and command lines) starts a line of its own. Whatever follows
    a `\\f` line (hidden from help) is kept as it is."""
    head, cut, tail = inspect.cleandoc(text).partition("\f")
    paragraphs = []
    for number, paragraph in enumerate(re.split(r"\n[ \t]*\n", head.strip("\n"))):
        if paragraph.startswith("\b"):
            # typer handles the mark on the first paragraph; on the others rich would print it
            paragraphs.append(paragraph if number == 0 else paragraph.lstrip("\b").lstrip("\n"))
            continue
        lines: list[str] = []
        prose = False  # whether the line before was prose (a line the next one may continue)
        for line in paragraph.split("\n"):
            if not line.strip():
                continue
            layout = bool(_LAYOUT_LINE.match(line))
            if prose and not layout:
                lines[-1] = f"{lines[-1].rstrip()} {line.strip()}"
            else:
                lines.append(line.rstrip())
            prose = not layout or line.startswith(("Example", "memos"))
        paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs) + (f"\n{cut}{tail}" if cut else "")


_REFLOWED: weakref.WeakKeyDictionary[object, set[str]] = weakref.WeakKeyDictionary()


def _reflow_attribute(owner: object, attribute: str) -> None:
    """`reflow_help` on owner.attribute if it is help text, once (_register runs again in
    tests, and a `\\b` paragraph is not marked any more once reflowed)."""
    done = _REFLOWED.setdefault(owner, set())
    text = getattr(owner, attribute, None)
    if attribute not in done and isinstance(text, str) and text.strip():
        setattr(owner, attribute, reflow_help(text))
    done.add(attribute)


def _reflow_all_help(typer_app: typer.Typer) -> None:
    """`reflow_help` on every help text of `typer_app`, its commands and its sub-apps: each
    explicit help= in place, and each docstring (set on the function itself, so typer's own
    order of precedence between them is unchanged). Option help needs nothing: typer joins
    its single newlines itself."""
    owners = [typer_app.info, typer_app.registered_callback, *typer_app.registered_commands,
              *typer_app.registered_groups]
    for owner in owners:
        if owner is None:
            continue
        _reflow_attribute(owner, "help")
        if callable(owner.callback):
            _reflow_attribute(owner.callback, "__doc__")
    for group in typer_app.registered_groups:
        if group.typer_instance is not None:
            _reflow_all_help(group.typer_instance)


# Model libraries print download and loading bars ("Loading weights: 100%|...") and advisory
# warnings while a sentence-transformers embedder loads; the CLI shows its own progress.
# setdefault: a user who sets one of these keeps their choice.
_QUIET_ENV = {"HF_HUB_DISABLE_PROGRESS_BARS": "1", "TRANSFORMERS_VERBOSITY": "error",
              "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1", "TOKENIZERS_PARALLELISM": "false"}


def _quiet_model_loading() -> None:
    import logging
    import warnings

    for var, value in _QUIET_ENV.items():
        os.environ.setdefault(var, value)
    for name in ("sentence_transformers", "transformers", "huggingface_hub"):
        logging.getLogger(name).setLevel(logging.ERROR)
        warnings.filterwarnings("ignore", module=rf"{name}(\.|$)")


def _register() -> None:
    """Import the modules whose commands attach to the apps above."""
    import importlib

    _hide_flag_types()
    for module in (
        "memos.cli.store_commands",  # init, add, search, show, history, ... (plaintext tier)
        "memos.cli.tier_commands",  # recall, answer, tiers, session, scheduler, bench tiers
        "memos.cli.bench_commands",  # bench retrieval, eval locomo
        "memos.cli.kernel_commands",  # bench kernels
        "memos.cli.model_commands",  # model train, model eval
        "memos.cli.reader_commands",  # ingest, eval reader
        "memos.cli.chat_commands",  # chat, eval assistant
        "memos.cli.server_commands",  # serve, keys create | list | revoke
        "memos.cli.mcp_commands",  # mcp (stdio MCP server)
        "memos.cli.serve_bench_commands",  # bench serve
        "memos.cli.parametric_commands",  # consolidate, adapters ..., bench consolidate
    ):
        importlib.import_module(module)
    _reflow_all_help(app)


def _shown(message: str) -> str:
    """A library message as the user reads it: in CLI words, on one line."""
    return " ".join(cli_words(message).split())


def print_error(message: str) -> None:
    """One red `error:` line on stderr, however long (soft_wrap; a driver's multi-line message
    is joined), in CLI words. Never read as markup (a message may quote input with
    [brackets]); control characters in it are shown as escapes (render.clean)."""
    err_console.print(styled(("error:", "red"), " ", _shown(message)), highlight=False,
                      soft_wrap=True)


def _usage_error(exc: BaseException) -> int | None:
    """Show a click/typer usage error (its own box) and return its exit code; None if not one."""
    import click

    # Recent typer vendors click (typer._click), whose exceptions are not click's classes;
    # both kinds have show() and exit_code (1, or 2 for usage errors).
    if isinstance(exc, click.exceptions.ClickException) or (
            callable(getattr(exc, "show", None)) and isinstance(getattr(exc, "exit_code", None), int)):
        exc.show()  # type: ignore[attr-defined]
        return int(exc.exit_code)  # type: ignore[attr-defined]
    return None


def _asks_for_json(argv: list[str]) -> bool:
    """Whether the command line gives --json to a command that has it: the leaf command is
    found by its name(s), then its options are parsed again without checks (the failure
    may have come from one of them)."""
    from typer.main import get_command

    try:
        command = get_command(app)
        args = list(argv)
        name = "memos"
        while hasattr(command, "commands"):  # a group: its own options are flags
            at = next((i for i, arg in enumerate(args) if not arg.startswith("-")), None)
            if at is None or args[at] not in command.commands:
                return False
            name, command, args = args[at], command.commands[args[at]], args[at + 1:]
        flag = next((p for p in command.params if "--json" in getattr(p, "opts", ())), None)
        if flag is None or "--json" not in args:
            return False
        ctx = command.make_context(name, args, resilient_parsing=True)
        if ctx.params.get(flag.name or ""):
            return True
        # Even the lenient parse stops at an unknown option ("--colour red --json"): the
        # flag, given before any "--" (after it, "--json" is an argument), is asked for.
        return "--json" in (args[:args.index("--")] if "--" in args else args)
    except Exception:  # a command line that cannot be parsed even leniently
        return False


def _fail(code: int, kind: str, message: str, as_json: bool) -> None:
    """Exit with `code`; under --json, stdout also gets {"error": {...}} (the error line
    stays on stderr), unless the command already printed its JSON result there."""
    from memos.cli.render import json_printed

    if as_json and not json_printed():
        sys.stdout.write(json.dumps({"error": {"type": kind, "message": message,
                                               "exit_code": code}}, ensure_ascii=False) + "\n")
        sys.stdout.flush()
    sys.exit(code)


def _usage_message(exc: BaseException) -> str:
    """What typer's usage box says (`Invalid value for '--k': ...`), on one line."""
    format_message = getattr(exc, "format_message", None)
    text = format_message() if callable(format_message) else str(exc)
    return " ".join(str(text).split())


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `memos` script."""
    from memos.cli.render import json_printed

    _register()
    _quiet_model_loading()
    json_printed(reset=True)
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        result = app(args=args, prog_name="memos", standalone_mode=False)
    except SystemExit:
        raise
    except MemosError as exc:
        print_error(str(exc))
        _fail(exc.exit_code, type(exc).__name__, _shown(str(exc)), _asks_for_json(args))
    except (typer.Abort, KeyboardInterrupt) as exc:
        err_console.print(styled(("aborted", "red")))
        code = 130 if isinstance(exc, KeyboardInterrupt) else 1
        _fail(code, "Aborted", "aborted", _asks_for_json(args))
    except Exception as exc:  # click usage errors arrive here with standalone_mode=False
        if type(exc).__name__ == "Abort":  # typer's vendored click.Abort
            err_console.print(styled(("aborted", "red")))
            _fail(1, "Aborted", "aborted", _asks_for_json(args))
        code = _usage_error(exc)
        if code is not None:
            _fail(code, "UsageError", _usage_message(exc), _asks_for_json(args))
        converted = library_error(exc)
        if converted is not None:
            if os.environ.get("MEMOS_DEBUG") == "1":
                err_console.print_exception()
            print_error(str(converted))
            _fail(converted.exit_code, type(converted).__name__, _shown(str(converted)),
                  _asks_for_json(args))
        if os.environ.get("MEMOS_DEBUG") == "1":
            err_console.print_exception()
        message = (f"internal error: {type(exc).__name__}: {exc}; please report it (with the "
                   "command; MEMOS_DEBUG=1 shows the traceback)")
        print_error(message)
        _fail(1, "InternalError", _shown(message), _asks_for_json(args))
    if result == 130:  # typer turns Ctrl-C (KeyboardInterrupt) into Exit(130), returned here
        err_console.print(styled(("aborted", "red")))
        _fail(130, "Aborted", "aborted", _asks_for_json(args))
    if isinstance(result, int) and result:  # typer.Exit(code) in non-standalone mode
        sys.exit(result)


if __name__ == "__main__":
    main()
