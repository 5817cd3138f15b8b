"""The `memos` command. Each command calls one library function and renders its result.

Exit codes: 0 success, 1 a memos error (store, not found, scope), 2 bad input or usage.
User errors print as one red line on stderr, never a traceback.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.markup import escape

from memos.errors import MemosError

app = typer.Typer(
    name="memos",
    help="memos: a memory operating system for AI agents. Store, search, version and forget memories.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
model_app = typer.Typer(help="Train, evaluate and inspect the memory-augmented SSM.", no_args_is_help=True)
bench_app = typer.Typer(help="Measure speed: retrieval, kernels, model.", no_args_is_help=True)
eval_app = typer.Typer(help="Measure quality on evaluation sets.", no_args_is_help=True)
app.add_typer(model_app, name="model")
app.add_typer(bench_app, name="bench")
app.add_typer(eval_app, name="eval")

err_console = Console(stderr=True)


def _register() -> None:
    """Import the modules whose commands attach to the apps above."""
    import importlib

    for module in (
        "memos.cli.store_commands",  # init, add, search, show, history, ... (plaintext tier)
        "memos.cli.bench_commands",  # bench retrieval, eval locomo
        "memos.cli.kernel_commands",  # bench kernels
        "memos.cli.model_commands",  # model train, model eval
    ):
        importlib.import_module(module)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `memos` script."""
    _register()
    try:
        app(args=argv, standalone_mode=False)
    except MemosError as exc:
        # One line however long (soft_wrap; a driver's multi-line message is joined), and
        # escaped because a message may contain [brackets].
        line = " ".join(str(exc).split())
        err_console.print(f"[red]error:[/red] {escape(line)}", highlight=False, markup=True,
                          soft_wrap=True)
        sys.exit(exc.exit_code)
    except typer.Abort:
        err_console.print("[red]aborted[/red]")
        sys.exit(1)
    except SystemExit:
        raise
    except Exception as exc:  # click usage errors arrive here with standalone_mode=False
        import click

        # Recent typer vendors click (typer._click), whose exceptions are not click's classes;
        # both kinds have show() and exit_code (1, or 2 for usage errors).
        if isinstance(exc, click.exceptions.ClickException) or (
                callable(getattr(exc, "show", None)) and isinstance(getattr(exc, "exit_code", None), int)):
            exc.show()
            sys.exit(exc.exit_code)
        raise


if __name__ == "__main__":
    main()
