"""`memos bench retrieval` and `memos eval locomo`: each calls one library function.

Progress bars go to stderr so that `--json` leaves exactly one JSON object on stdout.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from memos.cli.app import bench_app, eval_app

_err = Console(stderr=True)


@contextmanager
def _progress() -> Iterator[Callable[[str, int, int | None], None]]:
    """A rich progress bar on stderr, driven by (stage, done, total) calls."""
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=_err,
        transient=True,
    )
    tasks: dict[str, int] = {}

    def update(stage: str, done: int, total: int | None) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task(stage, total=total)
        bar.update(tasks[stage], completed=done, total=total)

    with bar:
        yield update


def _out() -> Console:
    return Console(file=sys.stdout, highlight=False)


@eval_app.command("locomo")
def locomo(
    data: Path = typer.Option(..., "--data", help="LoCoMo JSON file (a list of conversations)."),
    k: int = typer.Option(10, "--k", "-k", min=1, help="Cut-off for recall R@k (hits)."),
    budget_words: int = typer.Option(500, "--budget-words", help="Word budget W for R@Ww."),
    wide_budget_words: int = typer.Option(
        2000, "--wide-budget-words", min=1,
        help="A second, roomier word budget (multi-hop evidence spans several turns)."),
    embedder: str = typer.Option(
        "auto", "--embedder",
        help="'auto' (all-MiniLM-L6-v2 when the embed extra is installed, else hashing), "
        "'hashing', 'minilm' or a model folder.",
    ),
    conversations: int | None = typer.Option(
        None, "--conversations", help="Evaluate only the first N conversations."
    ),
    context_window: int = typer.Option(
        2, "--context-window",
        help="Neighbouring turns (each side) stored as a turn's searchable context; 0 = none.",
    ),
    retrievers: str | None = typer.Option(
        None, "--retrievers", help="Comma-separated subset of dense,fulltext,graph (ablations)."
    ),
    ingest: str = typer.Option(
        "turns", "--ingest",
        help="'turns' (one cube per turn) or 'reader' (MemOS.ingest per session: episodes "
        "plus extracted facts; a fact hit retrieves its source turns).",
    ),
    retrieval_settings: list[str] = typer.Option(
        [], "--retrieval", metavar="NAME=VALUE",
        help="Override a RetrievalConfig setting for this run (ablations), e.g. "
        "--retrieval speaker_weight=0; repeatable."),
    answer: bool = typer.Option(
        False, "--answer", help="Instead of recall: memos.Assistant answers every question "
        "(token F1 per category, context words; LLM-judge when $MEMOS_LLM_URL is set)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Evidence recall of search on LoCoMo: every turn a cube, every evidence question a search.

    Example: memos eval locomo --data ../shared/data/locomo/locomo_dev.json --json
    """
    from memos.eval.locomo import evaluate_locomo, resolve_embedder

    if answer:  # the assistant's answers (cli/chat_commands.py renders them)
        from memos.cli.chat_commands import locomo_answers

        locomo_answers(str(data), conversations=conversations, embedder=embedder,
                       ingest=ingest, context_window=context_window, as_json=as_json)
        return
    _name, note = resolve_embedder(embedder)
    if note:
        _err.print(f"[yellow]note:[/yellow] {note}", highlight=False)
    with _progress() as update:
        report = evaluate_locomo(
            data, k=k, budget_words=budget_words, embedder=embedder,
            conversations=conversations, context_window=context_window,
            retrievers=[r.strip() for r in retrievers.split(",") if r.strip()] if retrievers else None,
            progress=lambda done, total: update("ingest + search", done, total),
            ingest=ingest, wide_budget_words=wide_budget_words,
            retrieval=_settings(retrieval_settings),
        )
    if as_json:
        sys.stdout.write(json.dumps(report.to_json()) + "\n")
        return
    r_k, r_w, r_wide = f"R@{k}", f"R@{budget_words}w", f"R@{wide_budget_words}w"
    table = Table(title=f"LoCoMo evidence recall ({report.conversations} conversations, "
                        f"{report.questions} questions, embedder {report.embedder})")
    for col in ("category", "questions", r_k, r_w, r_wide):
        table.add_column(col, justify="right" if col != "category" else "left")
    names = {"1": "1 multi-hop", "2": "2 temporal", "3": "3 open-domain", "4": "4 single-hop"}
    for cat, row in report.by_category.items():
        table.add_row(names.get(cat, cat), str(report.questions_by_category[cat]),
                      f"{row[r_k]:.3f}", f"{row[r_w]:.3f}", f"{row[r_wide]:.3f}")
    table.add_row("[bold]overall[/bold]", str(report.questions),
                  *(f"[bold]{report.overall[m]:.3f}[/bold]" for m in (r_k, r_w, r_wide)))
    out = _out()
    out.print(table)
    out.print(f"search latency: p50 {report.latency_ms['p50']:.1f} ms, "
              f"p95 {report.latency_ms['p95']:.1f} ms")
    for line in report.notes:
        out.print(line)


def _settings(pairs: list[str]) -> dict[str, str]:
    """NAME=VALUE pairs of --retrieval as a dict (the eval validates names and values)."""
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise typer.BadParameter(f"--retrieval takes NAME=VALUE, got {pair!r}")
        out[name.strip()] = value.strip()
    return out


@bench_app.command("retrieval")
def retrieval(
    n: int = typer.Option(100_000, "--n", help="Cubes in the store at the last checkpoint."),
    k: int = typer.Option(10, "--k", "-k", min=1, help="Hits per search."),
    queries: int = typer.Option(200, "--queries", help="Timed queries per checkpoint."),
    batch_size: int = typer.Option(1_000, "--batch-size", help="Cubes per add_many call."),
    seed: int = typer.Option(0, "--seed", help="Seed of the synthetic corpus."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Add throughput and search latency (full search vs FAISS only) at 10k, 100k, ... cubes.

    Example: memos bench retrieval --n 100000 --json
    """
    from memos.bench.retrieval import run_retrieval_bench

    with _progress() as update:
        report = run_retrieval_bench(n, k=k, queries=queries, batch_size=batch_size, seed=seed,
                                     progress=update)
    if as_json:
        sys.stdout.write(json.dumps(report.to_json()) + "\n")
        return
    table = Table(title=f"retrieval bench: embedder {report.embedder}, k={report.k}, "
                        f"{report.queries} queries, batches of {report.batch_size}")
    cols = ("cubes", "add cubes/s", "search p50 ms", "search p95 ms", "search CPU p50 ms",
            "search CPU p95 ms", "faiss p50 ms", "faiss p95 ms", "embed p50 ms",
            "overhead p50 ms", "index")
    for col in cols:
        table.add_column(col, justify="right")
    for p in report.points:
        table.add_row(f"{p.cubes:,}", f"{p.cubes_per_s:,.0f}", f"{p.search_p50_ms:.2f}",
                      f"{p.search_p95_ms:.2f}", f"{p.search_cpu_p50_ms:.2f}",
                      f"{p.search_cpu_p95_ms:.2f}", f"{p.faiss_p50_ms:.3f}", f"{p.faiss_p95_ms:.3f}",
                      f"{p.embed_p50_ms:.3f}", f"{p.overhead_p50_ms:.2f}", p.vector_index)
    out = _out()
    out.print(table)
    out.print(f"machine: {report.machine}")
