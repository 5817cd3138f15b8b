"""The activation tier and the scheduler: `memos recall | answer | tiers | session save |
session resume | scheduler run | scheduler log`, and `memos bench tiers`.

Each command makes one call on `memos.MemOS` (or the bench module) and renders the result.
"""

from __future__ import annotations

import json
import re
import shlex
from typing import Annotated, Any

import typer

from memos.cli import render
from memos.cli.app import app, bench_app
from memos.cli.options import (
    MEMORIES,
    STORE,
    AgentOpt,
    IndexDirOpt,
    JsonOpt,
    StoreOpt,
    UserOpt,
    open_store,
    optional_scope,
    peek,
    read_content,
    scope_of,
)
from memos.errors import InvalidInputError, StoreError

session_app = typer.Typer(help="Save a session's state and resume it later.",
                          no_args_is_help=True)
scheduler_app = typer.Typer(help="Move cubes between tiers by policy; read its decisions.",
                            no_args_is_help=True)
app.add_typer(session_app, name="session", rich_help_panel=MEMORIES)
app.add_typer(scheduler_app, name="scheduler", rich_help_panel=STORE)

ModelOpt = Annotated[str | None, typer.Option(
    "--model", help="Checkpoint folder of the model (default: the shipped memqa-small).")]
KOpt = Annotated[int, typer.Option("--k", "-k", min=1, max=256,
                                   help="How many memories to retrieve.")]


@app.command(rich_help_panel=MEMORIES)
def recall(query: Annotated[str, typer.Argument(help="What to recall, in plain words.")],
           user: UserOpt = None, agent: AgentOpt = None,
           k: KOpt = 8, model: ModelOpt = None, store: StoreOpt = None,
           index_dir: IndexDirOpt = None, json_out: JsonOpt = False) -> None:
    """Retrieve memories and their pre-encoded slots (cached per cube version and model).

    Example: memos recall "where does alice live?" -u alice -k 8
    """
    scope = scope_of(user, agent)
    with open_store(store, index_dir) as mem:
        got = mem.recall(query, scope, k, model=model)
        texts = _recalled_texts(mem, got.cubes, scope)
    data = {"cubes": [{"id": c, "version": v, "content": texts.get((c, v))}
                      for c, v in got.cubes], "hits": got.hits,
            "misses": got.misses, "skipped": [{"id": c, "why": w} for c, w in got.skipped],
            "slots": got.slots.num_slots if got.slots is not None else 0,
            "seconds": got.seconds, "model_fingerprint": got.model_fingerprint}
    if json_out:
        render.print_json(data)
        return
    table = render.new_table(f"recall: {len(got.cubes)} memories, {data['slots']} slots",
                             ["cube", "version", "content"])
    for c, v in got.cubes:
        text = texts.get((c, v))
        table.add_row(c, str(v), render.short(text) if text is not None
                      else render.plain("(gone since)", "dim"))
    render.print_table(table)
    render.print_message(f"cache/blob hits {got.hits}, encoded {got.misses}; "
                         f"retrieve {got.seconds['retrieve'] * 1000:.1f} ms, "
                         f"recall {got.seconds['recall'] * 1000:.1f} ms")
    for c, why in got.skipped:
        render.print_message(f"skipped {c}: {why}", style="yellow")


# "What is Bo's city?" -> "Bo's city": what a memory must begin with to answer it
_ASKED_HEAD = re.compile(r"\s*what(?:['’]s\s+|\s+(?P<verb>is|are|was|were)\s+)"
                         r"(?P<head>\S.{0,200}?)[\s?!.]*$", re.I | re.S)


def _why_no_answer(question: str, skipped: list[tuple[str, str]]) -> str:
    """Why `memos answer` has no answer, in the question's own words: a memory the model
    could not read, or none that begins with what the question asks."""
    if skipped:
        cube_id, why = skipped[0]
        more = f" (and {len(skipped) - 1} more)" if len(skipped) > 1 else ""
        return (f"no answer: a memory the question may need could not be read by the model "
                f"({cube_id}: {why}){more}; `memos search` finds it as text")
    m = _ASKED_HEAD.match(question)
    if m is None:
        return ("no memory of yours answers this: the model answers \"What is <subject>'s "
                "<attribute>?\" from a memory \"<subject>'s <attribute> is ...\" (`memos "
                "chat` takes questions in other words)")
    head, verb = render.short(m.group("head"), 60), (m.group("verb") or "is").lower()
    if head.lower().startswith("my "):
        return (f"no memory of yours answers this: the model reads memories by name, so ask "
                f"\"What {verb} <name>'s {head.split(' ', 1)[1]}?\" (or `memos chat`, which "
                f"knows who \"my\" is)")
    return (f"no memory of yours answers this: none retrieved begins \"{head} {verb} ...\"; "
            f"add one with `memos add \"{head} {verb} ...\"`, or check -u")


def _recalled_texts(mem: Any, cubes: list[tuple[str, int]],
                    scope: Any) -> dict[tuple[str, int], str]:
    """The text of each recalled (cube, version), read without counting a read (the recall
    counted it); one purged since the recall is left out."""
    return {(c, v): cube.content for c, v in cubes
            if (cube := peek(mem, c, scope, v)) is not None}


@app.command(rich_help_panel=MEMORIES)
def answer(question: Annotated[str, typer.Argument(help="The question to answer.")],
           user: UserOpt = None, agent: AgentOpt = None,
           k: KOpt = 8, model: ModelOpt = None,
           max_new_tokens: Annotated[int, typer.Option(min=1, max=4096,
                                                       help="Longest answer, in bytes.")] = 80,
           store: StoreOpt = None, index_dir: IndexDirOpt = None,
           json_out: JsonOpt = False) -> None:
    """Answer from memory: retrieve, read the memories' slots, generate with the model.

    Example: memos answer "What is Bo's city?" -u alice
    """
    with open_store(store, index_dir) as mem:
        got = mem.answer(question, scope_of(user, agent), k, model=model,
                         max_new_tokens=max_new_tokens)
    if json_out:
        render.print_json({"text": got.text, "cubes": [{"id": c, "version": v}
                                                       for c, v in got.cubes],
                           "hits": got.hits, "misses": got.misses, "seconds": got.seconds,
                           "model_fingerprint": got.model_fingerprint, "tier": got.tier,
                           "skipped": [{"id": c, "why": w} for c, w in got.skipped],
                           "adapter_id": got.adapter_id,
                           "adapter_version": got.adapter_version,
                           "adapter_fingerprint": got.adapter_fingerprint})
        return
    if not got.cubes:
        render.print_message(_why_no_answer(question, got.skipped), style="dim")
        return
    render.console().print(render.plain(got.text))
    stages = ", ".join(f"{k} {v * 1000:.1f} ms" for k, v in got.seconds.items())
    if got.tier == "parametric":
        render.print_message(f"answered closed-book by adapter {got.adapter_id} (parametric "
                             f"tier); {stages}", style="dim")
        return
    render.print_message(f"read {len(got.cubes)} memor{'y' if len(got.cubes) == 1 else 'ies'} (cached {got.hits}, encoded "
                         f"{got.misses}); {stages}", style="dim")


@app.command(rich_help_panel=STORE)
def tiers(user: UserOpt = None, agent: AgentOpt = None, store: StoreOpt = None,
          index_dir: IndexDirOpt = None,
          all_users: Annotated[bool, typer.Option("--all", help="Every user (admin view).")]
          = False, json_out: JsonOpt = False) -> None:
    """Cubes and bytes per tier, user and state (of what --user, or --user and --agent, own).

    Example: memos tiers -u alice
    """
    if all_users and agent:
        raise InvalidInputError("--all is every user's cubes: leave out --agent, or use "
                                "--user with --agent for one agent's")
    scope = None if all_users else optional_scope(user, agent)
    with open_store(store, index_dir) as mem:
        rows = mem.tiers(scope)
    if json_out:
        render.print_json(rows)
        return
    table = render.new_table("tiers", ["tier", "user", "state", "cubes", "bytes"])
    for r in rows:
        table.add_row(r["tier"], r["user_id"], r["state"], f"{r['cubes']:,}", f"{r['bytes']:,}")
    render.print_table(table)


@session_app.command("save")
def session_save(session_id: Annotated[str, typer.Argument(help="The session's id.")],
                 text: Annotated[str, typer.Argument(help="The session's text, or - for stdin.")],
                 user: UserOpt = None, agent: AgentOpt = None, model: ModelOpt = None,
                 store: StoreOpt = None, index_dir: IndexDirOpt = None,
                 json_out: JsonOpt = False) -> None:
    """Read a session's text with the model and keep its state (and the text) in the store.

    Example: memos session save s1 - -u alice < transcript.txt
    """
    from memos.writes import check_content

    content = check_content(read_content(text))  # add's rules: UTF-8, size, not empty
    with open_store(store, index_dir, create=True) as mem:
        saved = mem.save_session(scope_of(user, agent), session_id, content, model=model)
    if json_out:
        render.print_json(saved)
        return
    render.print_message(f"saved session {saved.session_id}: {saved.tokens:,} tokens read "
                         f"(transcript {saved.transcript_id} v{saved.transcript_version})")


@session_app.command("resume")
def session_resume(session_id: Annotated[str, typer.Argument(help="The session's id.")],
                   prompt: Annotated[str, typer.Argument(help="Text to continue with.")] = "",
                   user: UserOpt = None, agent: AgentOpt = None, model: ModelOpt = None,
                   max_new_tokens: Annotated[int, typer.Option(
                       min=1, max=4096, help="Longest continuation, in bytes (the model "
                       "writes a byte per token); 1 to 4096.")] = 32,
                   store: StoreOpt = None, index_dir: IndexDirOpt = None,
                   json_out: JsonOpt = False) -> None:
    """Continue a saved session from its state (no re-reading) and print what follows.

    Example: memos session resume s1 " What is the pass key?" -u alice
    """
    from memos.assistant import ASSISTANT_LINE

    scope = scope_of(user, agent)
    with open_store(store, index_dir) as mem:
        text = mem.continue_session(scope, session_id, prompt,
                                    max_new_tokens=max_new_tokens, model=model)
        transcript = mem.session_transcript(scope, session_id)
    if json_out:
        render.print_json({"session_id": session_id, "text": text})
        return
    if text.strip():
        render.console().print(render.plain(text))
    else:  # not a bare empty line: say so
        render.print_message("(the model wrote nothing)" if not text else
                             f"(the model wrote only whitespace: {text!r})", style="dim")
    if transcript is not None and any(line.startswith(ASSISTANT_LINE)
                                      for line in transcript.content.split("\n")):
        # A chat's transcript: the model continues its text, the assistant answers in it.
        who = "".join(f" {flag} {shlex.quote(value)}" for flag, value in (
            ("-u", scope.user_id), ("--agent", scope.agent_id), ("--store", store),
            ("--index-dir", index_dir)) if value)
        session_id = shlex.quote(session_id)
        # soft_wrap: never broken mid-command at the terminal's width (it is copied)
        render.console().print(render.plain(
            f"(the model's continuation of the transcript; session {session_id} is a "
            f"conversation with the assistant: `memos chat --session {session_id}{who}` "
            f"goes on with it)", "dim"), soft_wrap=True)


@scheduler_app.command("run")
def scheduler_run(dry_run: Annotated[bool, typer.Option(
                      "--dry-run", help="Decide, print, change nothing.")] = False,
                  disk_budget: Annotated[int, typer.Option(
                      "--disk-budget", min=0,
                      help="Bytes of activation blobs (slots and session states) to keep "
                           "for each user; promotion fills only the room left.")]
                  = 1 << 30,
                  policy: Annotated[str, typer.Option(
                      "--policy", help="Eviction policy: lru, lfu or cost.")] = "cost",
                  min_hits: Annotated[int, typer.Option(
                      "--min-hits", min=1, help="Reads before a cube is pre-encoded.")] = 3,
                  consolidate: Annotated[bool, typer.Option(
                      "--consolidate/--no-consolidate",
                      help="Also (re)consolidate one user's adapter: train it from their "
                           "stable facts, or again after a forget took one out of service "
                           "(minutes of CPU; memos consolidate --dry-run shows what).")]
                  = True,
                  model: ModelOpt = None, store: StoreOpt = None,
                  index_dir: IndexDirOpt = None, json_out: JsonOpt = False) -> None:
    """One scheduler pass: expire, retire stale blobs, pre-encode hot cubes, consolidate.

    Expires TTL cubes, retires stale and cold blobs, pre-encodes hot cubes, and
    (re)consolidates at most one user's adapter, which trains (--no-consolidate skips it).

    Example: memos scheduler run --dry-run --disk-budget 100000000
    """
    from memos.scheduler import SchedulerConfig

    cfg = SchedulerConfig(disk_budget_bytes=disk_budget, eviction_policy=policy,
                          promote_min_hits=min_hits, model=model,
                          consolidate_max_per_run=1 if consolidate else 0)
    with open_store(store, index_dir) as mem:
        report = mem.run_scheduler(dry_run=dry_run, config=cfg)
    if json_out:
        render.print_json(report)
        return
    table = render.new_table(f"scheduler{' (dry run)' if dry_run else ''}",
                             ["job", "cube", "reason"])
    for d in report.decisions:
        table.add_row(d.job, d.cube_id or "", d.reason)
    render.print_table(table)
    render.print_message(f"{report.expired} expired, {report.stale} stale, "
                         f"{report.promoted} promoted, "
                         f"{report.evicted} evicted, {report.blobs_deleted} blobs deleted, "
                         f"{report.consolidated} consolidated; "
                         f"{report.activation_bytes:,} activation bytes")


@scheduler_app.command("log")
def scheduler_log(limit: Annotated[int, typer.Option(
                      "--limit", "-n", min=1, max=100_000,
                      help="How many decisions to show, newest first (1 to 100,000).")]
                  = 50, store: StoreOpt = None, index_dir: IndexDirOpt = None,
                  json_out: JsonOpt = False) -> None:
    """The scheduler's newest decisions, each with its reason.

    Example: memos scheduler log -n 20
    """
    with open_store(store, index_dir) as mem:
        rows = mem.scheduler_log(limit)
    if json_out:
        render.print_json(rows)
        return
    table = render.new_table("scheduler log", ["at", "action", "cube", "reason"])
    for r in rows:
        table.add_row(render.fmt(r["at"]), r["action"], r["cube_id"] or "", r["reason"] or "")
    render.print_table(table)


@bench_app.command("tiers")
def bench_tiers(
    sizes: Annotated[str, typer.Option(help="Fact counts, comma-separated.")] = "100,1000,10000",
    k: Annotated[int, typer.Option("--k", "-k", min=1, max=256,
                                   help="Memories retrieved and read per question.")] = 8,
    questions: Annotated[int, typer.Option(min=1, help="Timed questions per size.")] = 20,
    repeats: Annotated[int, typer.Option(
        min=1, help="Runs of each timing; the table shows their median.")] = 3,
    accuracy_facts: Annotated[int, typer.Option(min=0, help="0 skips accuracy.")] = 1000,
    accuracy_questions: Annotated[int, typer.Option(
        min=1, help="Questions asked per fact style for the accuracy table (at most "
                    "--accuracy-facts), and "
                    "as many that no stored fact answers.")] = 200,
    session_bytes: Annotated[int, typer.Option(min=0, help="0 skips the resume table.")]
    = 65_536,
    trace_recalls: Annotated[int, typer.Option(min=0, help="0 skips the policy table.")]
    = 10_000,
    seed: Annotated[int, typer.Option(
        help="Random seed of the generated facts, questions and trace (same seed, same "
             "data).")] = 0,
    model: ModelOpt = None, json_out: JsonOpt = False) -> None:
    """Answer time per stage, accuracy through MemOS.answer, session resume, eviction policies.

    Example: memos bench tiers --sizes 100,1000,10000 --json
    """
    from memos.bench.tiers import run_tiers_bench
    from memos.cli.bench_commands import _progress

    try:
        size_list = tuple(int(s) for s in sizes.split(",") if s.strip())
    except ValueError as exc:
        raise InvalidInputError(f"--sizes takes comma-separated integers, got {sizes!r}") from exc
    with _progress() as update:
        report = run_tiers_bench(sizes=size_list, k=k, questions=questions, repeats=repeats,
                                 accuracy_facts=accuracy_facts,
                                 accuracy_questions=accuracy_questions,
                                 session_bytes=session_bytes, trace_recalls=trace_recalls,
                                 seed=seed, model_path=model, progress=update)
    if json_out:
        render.print_json(report.to_dict())
        return
    _print_tiers(report)


@bench_app.command("blobs")
def bench_blobs(
    url: Annotated[str | None, typer.Option(
        help="Database for the bytes-in-SQL column (e.g. postgresql+psycopg://...); default "
             "a scratch SQLite file. A scratch table is made and dropped.")] = None,
    n: Annotated[int, typer.Option("--n", min=1, help="Blobs written (real slots).")] = 200,
    k: Annotated[int, typer.Option("--k", "-k", min=1, max=256,
                                   help="Blobs read per recall.")] = 8,
    reads: Annotated[int, typer.Option(min=1, help="Timed recalls.")] = 100,
    seed: Annotated[int, typer.Option(
        help="Random seed of the generated facts and the reads (same seed, same data).")] = 0,
    model: ModelOpt = None, json_out: JsonOpt = False) -> None:
    """Where activation blobs live: files per machine vs bytes in SQL vs encoding again.

    Example: memos bench blobs --url postgresql+psycopg://user@host/db --json
    """
    from sqlalchemy.exc import DBAPIError

    from memos.bench.blobs import run_blob_bench
    from memos.cli.bench_commands import _progress
    from memos.config import shown_location

    _check_bench_url(url)  # before the model loads: a bad --url fails at once
    try:
        with _progress() as update:
            report = run_blob_bench(url=url, n=n, k=k, reads=reads, seed=seed,
                                    model_path=model, progress=update)
    except DBAPIError as exc:  # the server refused the connection or the scratch table
        first = str(exc.orig or exc).strip().splitlines()[0] if str(exc.orig or exc).strip() \
            else type(exc).__name__
        raise StoreError(f"cannot use the database at --url {shown_location(url or '')}: "
                         f"{first}; check the URL and that the database server is running "
                         "and lets this user create a table") from None
    if json_out:
        render.print_json(report.to_dict())
        return
    table = render.new_table(f"slots of k={report.k} memories ({report.blob_bytes:,} bytes "
                             f"per blob), {report.backend}",
                             ["way", "read k p50 ms", "read k p95 ms", "write one p50 ms"])
    for way in ("file", "sql", "encode"):
        write = report.write_ms.get(way)
        table.add_row(way, f"{report.read_ms[way]:.2f}", f"{report.read_p95_ms[way]:.2f}",
                      "" if write is None else f"{write:.2f}")
    render.print_table(table)
    render.console().print(f"machine: {report.machine}, {report.date}")


BENCH_URLS = ("sqlite:///path/blobs.db or postgresql+psycopg://user@host/dbname (or leave "
              "--url out: a scratch SQLite file)")


def _check_bench_url(url: str | None) -> None:
    """Refuse a --url memos cannot run on (mysql://, no scheme, a driver that is not
    installed), saying which URLs it takes. Only the scheme is named: the rest of a URL may
    hold a password."""
    if url is None:
        return
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    from memos.config import check_backend, is_database_url

    if not is_database_url(url):
        raise InvalidInputError(f"--url takes a database URL, got {url[:60]!r}; pass {BENCH_URLS}")
    scheme = url.split("://", 1)[0]
    try:
        check_backend(url)
    except StoreError:
        raise InvalidInputError(f"--url: unsupported database URL scheme {scheme!r}; memos runs "
                                f"on SQLite and PostgreSQL only: pass {BENCH_URLS}") from None
    try:
        make_url(url).get_dialect().import_dbapi()
    except (NoSuchModuleError, ImportError) as exc:  # NoSuchModuleError: an ArgumentError
        raise InvalidInputError(f"--url: the database driver of {scheme!r} is not available "
                                f"({exc}); pass {BENCH_URLS} (PostgreSQL needs pip install "
                                "'memos-os[postgres]')") from None
    except (ArgumentError, ValueError) as exc:
        raise InvalidInputError(f"--url is not a valid database URL ({exc}); pass "
                                f"{BENCH_URLS}") from None


def _print_tiers(report: Any) -> None:
    out = render.console()
    table = render.new_table(f"answer time per stage, k={report.k} (median ms)",
                             ["facts", "condition", "retrieve", "recall", "generate", "total",
                              "prompt bytes", "exact match"])
    for p in report.answer:
        table.add_row(f"{p.facts:,}", p.condition, f"{p.retrieve_ms:.1f}", f"{p.recall_ms:.2f}",
                      f"{p.generate_ms:.1f}", f"{p.total_ms:.1f}", f"{p.prompt_bytes:,}",
                      f"{p.exact_match:.2f} of {p.answers}")
    out.print(table)
    out.print(f"encode / warm recall: {report.warm_vs_encode:.1f}x; warm answer at the largest "
              f"size / smallest: {report.answer_growth:.2f}x")
    if report.accuracy:
        out.print(f"accuracy through MemOS.answer: {json.dumps(report.accuracy)}")
    if report.session:
        out.print(f"session resume: {json.dumps(report.session)}")
    if report.policies:
        pt = render.new_table("RAM slot cache on a Zipf(1.1) trace",
                              ["budget bytes", "policy", "hit rate", "resident bytes",
                               "evictions"])
        for p in report.policies:
            pt.add_row(f"{p.budget_bytes:,}", p.policy, f"{p.hit_rate:.3f}",
                       f"{p.resident_bytes:,}", f"{p.evictions:,}")
        out.print(pt)
    out.print(f"machine: {report.machine}, {report.date}")
