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
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from memos.cli.app import bench_app, eval_app
from memos.cli.render import QuietProgress, err_console, out_console, plain, styled
from memos.cli.render import SafeTable as Table

_err = err_console()


@contextmanager
def _progress() -> Iterator[Callable[[str, int, int | None], None]]:
    """A rich progress bar on stderr, driven by (stage, done, total) calls."""
    bar = QuietProgress(
        TextColumn("{task.description}", style="bold", markup=False),
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
    return out_console()


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
        None, "--conversations", min=1, help="Evaluate only the first N conversations."
    ),
    context_window: int = typer.Option(
        2, "--context-window", min=0,
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
    from memos.errors import InvalidInputError
    from memos.eval.locomo import evaluate_locomo, resolve_embedder

    chosen = None if retrievers is None else [r.strip() for r in retrievers.split(",")
                                              if r.strip()]
    if chosen is not None and not chosen:
        raise InvalidInputError("--retrievers names none: give a comma-separated subset of "
                                "dense,fulltext,graph, e.g. --retrievers dense,fulltext, or "
                                "leave it out for all of them")
    if answer:  # the assistant's answers (cli/chat_commands.py renders them)
        from memos.cli.chat_commands import locomo_answers

        locomo_answers(str(data), conversations=conversations, embedder=embedder,
                       ingest=ingest, context_window=context_window, as_json=as_json)
        return
    _name, note = resolve_embedder(embedder)
    if note:
        _err.print(styled(("note:", "yellow"), " ", note))
    with _progress() as update:
        report = evaluate_locomo(
            data, k=k, budget_words=budget_words, embedder=embedder,
            conversations=conversations, context_window=context_window,
            retrievers=chosen,
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
    table.add_row(plain("overall", "bold"), str(report.questions),
                  *(plain(f"{report.overall[m]:.3f}", "bold") for m in (r_k, r_w, r_wide)))
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
    embedder: str = typer.Option(
        "hashing", "--embedder",
        help="'hashing' (fast, deterministic) or 'minilm' (all-MiniLM-L6-v2, needs the embed "
        "extra; ~230 sentences/s on one core, so keep --n near 100000)."),
    corpus: str = typer.Option(
        "easy", "--corpus",
        help="'easy': varied memory sentences; 'hard': templated personal facts that embed "
        "close together, asked about by rare names (where approximate indexes lose hits)."),
    index_only: bool = typer.Option(
        False, "--index-only",
        help="Measure the vector index alone (no SQL store): recall against exact search, "
        "FAISS time and add throughput at 10k, 30k, 100k, 300k, 1M vectors."),
    ef_search: str = typer.Option(
        "auto", "--ef-search",
        help="With --index-only: search efforts to compare, e.g. auto,64,256 ('auto': the "
        "index's own; HNSW: efSearch, which grows with its size; IVF: lists probed, an "
        "eighth of them)."),
    flat_max: int | None = typer.Option(
        None, "--flat-max", min=1,
        help="With --index-only: vectors kept in the exact index before the approximate one "
        "(default: the index's own)."),
    ef_construction: int | None = typer.Option(
        None, "--ef-construction", min=1,
        help="With --index-only: HNSW build width (default: the index's own, 200)."),
    ivf_probes: str = typer.Option(
        "", "--compare-ivf",
        help="With --index-only: also measure a separate IVF over the same vectors, probing "
        "these shares of its lists, e.g. 0.05,0.1,0.2 (slow above 100k: it trains k-means)."),
    vector_index: str = typer.Option(
        "auto", "--vector-index",
        help="With --index-only: the approximate index past --flat-max: 'auto' (the "
        "embedder's own: IVF for hashing, HNSW for minilm), 'hnsw' or 'ivf'."),
    users: int = typer.Option(
        1, "--users", min=1,
        help="Users the cubes are spread over, a batch each in turn; the timed searches are "
        "the first one's (she reads only her share: the store's other rows are kept out of "
        "her dense and full-text search)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Add throughput, search latency, vector recall, RSS and disk at 10k, 100k, ... cubes.

    Search latency is reported three ways: the full search, FAISS alone, and beyond the
    query embedding; vector recall is against exact search.

    Example: memos bench retrieval --n 100000 --corpus hard --json

    Example: memos bench retrieval --index-only --n 1000000 --corpus hard --ef-search 64,128

    Example: memos bench retrieval --n 100000 --users 4 --json
    """
    from memos.bench.retrieval import run_retrieval_bench

    if index_only and users != 1:
        raise typer.BadParameter("--users measures searches of a store; --index-only has no "
                                 "store (drop one of them)")
    if index_only:
        _index_bench(n, k, queries, batch_size, seed, embedder, corpus, ef_search, flat_max,
                     ef_construction, ivf_probes, vector_index, as_json)
        return
    with _progress() as update:
        report = run_retrieval_bench(n, k=k, queries=queries, batch_size=batch_size, seed=seed,
                                     progress=update, embedder=embedder, corpus=corpus,
                                     users=users)
    if as_json:
        sys.stdout.write(json.dumps(report.to_json()) + "\n")
        return
    title = (f"embedder {report.embedder}, {report.corpus} corpus, k={report.k}, "
             f"{report.queries} queries, batches of {report.batch_size}"
             + (f", {report.users} users" if report.users > 1 else ""))
    # Two tables: sixteen columns do not fit a terminal.
    latency = Table(title=f"retrieval bench, latency (ms): {title}")
    for col in ("cubes", "add cubes/s", "search p50", "search p95", "CPU p50", "CPU p95",
                "embed p50", "embed p95", "beyond embed p50", "beyond embed p95",
                "cached p50", "cached p95", "overhead p50"):
        latency.add_column(col, justify="right")
    index = Table(title="vector index")
    for col in ("cubes", "index", "faiss p50 ms", "faiss p95 ms",
                f"recall@{report.k} vs exact", "RSS peak MB", "disk MB"):
        index.add_column(col, justify="right")
    for p in report.points:
        latency.add_row(f"{p.cubes:,}", f"{p.cubes_per_s:,.0f}", f"{p.search_p50_ms:.2f}",
                        f"{p.search_p95_ms:.2f}", f"{p.search_cpu_p50_ms:.2f}",
                        f"{p.search_cpu_p95_ms:.2f}", f"{p.embed_p50_ms:.3f}",
                        f"{p.embed_p95_ms:.3f}", f"{p.beyond_embed_p50_ms:.2f}",
                        f"{p.beyond_embed_p95_ms:.2f}", f"{p.cached_p50_ms:.2f}",
                        f"{p.cached_p95_ms:.2f}", f"{p.overhead_p50_ms:.2f}")
        index.add_row(f"{p.cubes:,}", p.vector_index, f"{p.faiss_p50_ms:.3f}",
                      f"{p.faiss_p95_ms:.3f}", f"{p.recall_at_k:.3f}", f"{p.rss_peak_mb:,.0f}",
                      f"{p.disk_mb:,.1f}")
    out = _out()
    out.print(latency)
    out.print(index)
    out.print(f"machine: {report.machine}")


def _index_bench(n: int, k: int, queries: int, batch_size: int, seed: int, embedder: str,
                 corpus: str, ef_search: str, flat_max: int | None,
                 ef_construction: int | None, ivf_probes: str, vector_index: str,
                 as_json: bool) -> None:
    from memos.bench.retrieval import run_index_bench
    from memos.errors import InvalidInputError

    try:
        efs = tuple(None if v.strip() == "auto" else int(v)
                    for v in ef_search.split(",") if v.strip())
    except ValueError:
        raise InvalidInputError(
            f"--ef-search takes 'auto' or numbers, comma-separated, e.g. auto,64,128; got "
            f"{ef_search!r}"
        ) from None
    try:
        probes = tuple(float(v) for v in ivf_probes.split(",") if v.strip())
    except ValueError:
        raise InvalidInputError(
            f"--compare-ivf takes comma-separated shares, e.g. 0.05,0.1; got {ivf_probes!r}"
        ) from None
    if any(not 0 < p <= 1 for p in probes):
        raise InvalidInputError(f"--compare-ivf shares must be in (0, 1], got {ivf_probes!r}")
    with _progress() as update:
        report = run_index_bench(n, k=k, queries=queries, batch_size=batch_size, seed=seed,
                                 embedder=embedder, corpus=corpus, ef_search=efs,
                                 flat_max=flat_max, ef_construction=ef_construction,
                                 ivf_probes=probes, vector_index=vector_index,
                                 progress=update)
    if as_json:
        sys.stdout.write(json.dumps(report.to_json()) + "\n")
        return
    approx = (f"HNSW M={report.hnsw_m} efConstruction={report.ef_construction}"
              if report.approx == "hnsw" else
              f"IVF probing {report.probe_share:g} of its lists")
    table = Table(title=f"vector index alone: embedder {report.embedder}, {report.corpus} "
                        f"corpus, recall@{report.k} of {report.candidates} candidates, "
                        f"{report.queries} queries, {approx} above {report.flat_max:,}")
    for col in ("vectors", "index", "ef_search / nprobe", f"recall@{report.k} vs exact", "faiss p50 ms",
                "faiss p95 ms", "CPU p50 ms", "CPU p95 ms", "add/s", "save s", "load s",
                "purge s", "file MB", "RSS peak MB"):
        table.add_column(col, justify="right")
    for p in report.points:
        effort = f"{p.ef_search} (auto)" if p.ef_policy == "auto" else str(p.ef_search)
        table.add_row(f"{p.vectors:,}", p.index + (" (compare)" if p.ef_policy == "compare" else ""),
                      effort, f"{p.recall_at_k:.3f}",
                      f"{p.faiss_p50_ms:.3f}", f"{p.faiss_p95_ms:.3f}",
                      f"{p.faiss_cpu_p50_ms:.3f}", f"{p.faiss_cpu_p95_ms:.3f}", f"{p.add_per_s:,.0f}",
                      f"{p.save_seconds:.2f}", f"{p.load_seconds:.2f}", f"{p.erase_seconds:.2f}",
                      f"{p.file_mb:,.1f}", f"{p.rss_peak_mb:,.0f}")
    out = _out()
    out.print(table)
    out.print(f"machine: {report.machine}; embedding took {report.embed_seconds:.0f} s "
              "(not in add/s)")
