"""The parametric tier: `memos consolidate`, `memos adapters list | show | activate |
rollback`, and `memos bench consolidate`.

Each command makes one call on `memos.MemOS` (or the bench module) and renders the result.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from memos.cli import render
from memos.cli.app import app, bench_app
from memos.cli.options import (
    MEMORIES,
    AgentOpt,
    IndexDirOpt,
    JsonOpt,
    StoreOpt,
    UserOpt,
    check_writable_file,
    open_store,
    progress_bar,
    scope_of,
)
from memos.errors import InvalidInputError, MemosError

adapters_app = typer.Typer(help="A user's parametric adapters: list, show, activate, "
                                "roll back.", no_args_is_help=True)
app.add_typer(adapters_app, name="adapters", rich_help_panel=MEMORIES)


def _report_rows(rep: Any) -> dict[str, Any]:
    def pct(x: float | None) -> str:
        return "-" if x is None else f"{x:.3f}"

    return {"status": rep.status, "adapter": rep.adapter_id or "-", "facts": len(rep.sources),
            "skipped": len(rep.skipped), "closed-book before": pct(rep.closed_book_before),
            "closed-book after": pct(rep.closed_book_after),
            "memory-QA base": pct(rep.memory_qa_base),
            "memory-QA with adapter": pct(rep.memory_qa_adapter),
            "adapter bytes": rep.adapter_bytes, "steps": rep.steps,
            "train seconds": round(rep.train_seconds, 1), "seconds": round(rep.seconds, 1),
            "replaced": rep.previous_adapter or "-",
            "why not in service": "; ".join(rep.reasons) or "-"}


@app.command(rich_help_panel=MEMORIES)
def consolidate(
        user: UserOpt = None, agent: AgentOpt = None,
        fact: Annotated[list[str] | None, typer.Option(
            "--fact", help="A fact cube id to consolidate (repeat; default: the policy "
                           "chooses stable, trusted, often-read facts).")] = None,
        steps: Annotated[int | None, typer.Option(
            min=1, max=100_000, help="Training steps (default 200).")] = None,
        dry_run: Annotated[bool, typer.Option(
            "--dry-run", help="Show the chosen facts; train nothing.")] = False,
        store: StoreOpt = None, index_dir: IndexDirOpt = None,
        json_out: JsonOpt = False) -> None:
    """Distil a user's stable facts into a LoRA adapter, served if it passes the gate.

    The gate: closed-book exact match >= 0.9 on the facts, and memory-QA on unseen facts
    at most 0.02 below the model without the adapter.

    A rejected adapter is kept with its numbers and changes nothing for the user; so does a
    tainted one (a fact it trained on was forgotten or purged meanwhile), without weights.

    Example: memos consolidate -u alice --dry-run
    """
    scope = scope_of(user, agent, None)
    with open_store(store, index_dir) as mem:
        if dry_run:
            rep = mem.consolidate(scope, facts=fact, steps=steps, dry_run=True)
        else:
            with progress_bar("training adapter") as bar:
                rep = mem.consolidate(scope, facts=fact, steps=steps, progress=bar)
    if json_out:
        render.print_json(rep)
        return
    if dry_run and not rep.sources:  # (not an empty table under a title)
        render.print_message(
            f"nothing would be consolidated: no fact of this scope is eligible "
            f"({len(rep.skipped)} skipped by the policy; --json says why). A fact has metadata "
            "subject and attribute: memos add \"Ann's city is Oslo.\" --meta subject=Ann "
            "--meta attribute=city", style="yellow")
        return
    if dry_run:
        table = render.new_table(f"would consolidate {len(rep.sources)} facts",
                                 ["cube", "version"])
        for cid, ver in rep.sources[:50]:
            table.add_row(cid, str(ver))
        render.print_table(table)
        if len(rep.sources) > 50:
            render.print_message(f"... and {len(rep.sources) - 50} more (--json lists them)",
                                 style="dim")
        render.print_message(f"{len(rep.skipped)} facts skipped by the policy (--json says "
                             f"why)", style="dim")
        return
    render.print_table(render.kv_table("consolidation", _report_rows(rep)))
    if rep.status in ("rejected", "tainted") and rep.adapter_id is None:
        render.print_message("nothing was stored: " + "; ".join(rep.reasons[-1:]),
                             style="yellow")
    elif rep.status == "tainted":
        render.print_message("the adapter is tainted (a fact it trained on was forgotten or "
                             "purged while it trained): its weights were not stored and "
                             "nothing changed for this user", style="yellow")
    elif rep.status == "rejected":
        render.print_message("the gate rejected the adapter: nothing changed for this user",
                             style="yellow")


def _info_row(a: Any) -> list[str]:
    n = a.numbers
    closed = n.get("closed_book_after")
    drop = (None if n.get("memory_qa_base") is None or n.get("memory_qa_adapter") is None
            else n["memory_qa_base"] - n["memory_qa_adapter"])
    return [a.id, str(a.version), a.status, str(a.facts),
            "-" if closed is None else f"{closed:.2f}",
            "-" if drop is None else f"{drop:+.3f}", f"{a.bytes:,}",
            a.created_at.strftime("%Y-%m-%d %H:%M")]


@adapters_app.command("list")
def list_adapters(user: UserOpt = None, agent: AgentOpt = None, store: StoreOpt = None,
                  index_dir: IndexDirOpt = None, json_out: JsonOpt = False) -> None:
    """The user's adapters, newest first (active, retired, rejected, tainted).

    Example: memos adapters list -u alice
    """
    with open_store(store, index_dir) as mem:
        items = mem.adapters(scope_of(user, agent, None))
    if json_out:
        render.print_json(items)
        return
    table = render.new_table(f"{len(items)} adapters", ["adapter", "v", "status", "facts",
                                                        "closed-book", "memory-QA drop",
                                                        "bytes", "made"])
    for a in items:
        table.add_row(*_info_row(a))
    render.print_table(table)


@adapters_app.command("show")
def show_adapter(adapter_id: Annotated[str, typer.Argument(help="Adapter cube id.")],
                 user: UserOpt = None, agent: AgentOpt = None, store: StoreOpt = None,
                 index_dir: IndexDirOpt = None, json_out: JsonOpt = False) -> None:
    """One adapter: status, fingerprints, training config, numbers, the facts it holds.

    Example: memos adapters show 3f2a... -u alice
    """
    with open_store(store, index_dir) as mem:
        info = mem.adapter(adapter_id, scope_of(user, agent, None))
    if json_out:
        render.print_json(info)
        return
    shown = render.to_jsonable(info)
    shown["sources"] = f"{len(info.sources)} (cube id, version) pairs (--json lists them)"
    render.print_table(render.kv_table(f"adapter {info.id}", shown))


@adapters_app.command("activate")
def activate_adapter(adapter_id: Annotated[str, typer.Argument(help="Adapter cube id.")],
                     user: UserOpt = None, agent: AgentOpt = None,
                     force: Annotated[bool, typer.Option(
                         "--force", help="Serve an adapter the gate rejected.")] = False,
                     store: StoreOpt = None, index_dir: IndexDirOpt = None,
                     json_out: JsonOpt = False) -> None:
    """Put a retired (or, with --force, rejected) adapter in service; the active one retires.

    Example: memos adapters activate 3f2a... -u alice
    """
    with open_store(store, index_dir) as mem:
        scope = scope_of(user, agent, None)
        # What the gate said of it, to say so once it serves (--force only); an id that
        # names no adapter is left to activate_adapter's own error.
        before = None
        if force:
            try:
                before = mem.adapter(adapter_id, scope)
            except MemosError:
                before = None
        info = mem.activate_adapter(adapter_id, scope, force=force)
    if json_out:
        render.print_json(info)
        return
    text = f"adapter {info.id} (v{info.version}) is active"
    if before is not None and before.status == "rejected":
        why = before.reason or "no reason recorded"
        text += (f", although the evaluation gate rejected it ({why}); "
                 f"`memos adapters rollback` serves the previous accepted one")
    render.print_message(text)


@adapters_app.command("rollback")
def rollback_adapter(user: UserOpt = None, agent: AgentOpt = None, store: StoreOpt = None,
                     index_dir: IndexDirOpt = None, json_out: JsonOpt = False) -> None:
    """Retire the active adapter and serve the previous one again.

    Example: memos adapters rollback -u alice
    """
    with open_store(store, index_dir) as mem:
        info = mem.rollback_adapter(scope_of(user, agent, None))
    if json_out:
        render.print_json(info)
        return
    render.print_message(f"rolled back: adapter {info.id} (v{info.version}) is active")


@bench_app.command("consolidate")
def bench_consolidate(
        facts: Annotated[int, typer.Option(min=1, max=2000, help="Facts for the user.")] = 100,
        style: Annotated[list[str] | None, typer.Option(
            "--style", help="Fact style(s): random, realistic (repeat; default both).")] = None,
        steps: Annotated[int | None, typer.Option(min=1, max=100_000,
                                                  help="Training steps.")] = None,
        scaling: Annotated[str, typer.Option(
            help="Fact counts for the same-budget scaling table, comma-separated "
                 "('' to skip).")] = "25,100,400",
        forget: Annotated[int, typer.Option(min=0, help="Facts to forget in the forgetting "
                                                        "check (0 to skip).")] = 10,
        reject_steps: Annotated[int, typer.Option(
            min=0, help="Steps of the under-trained adapter the gate must reject "
                        "(0 to skip).")] = 5,
        threads: Annotated[int, typer.Option(
            min=1, max=64, help="torch threads (1: steady on a shared machine).")] = 1,
        out: Annotated[str | None, typer.Option(
            "--out", help="Also write the tables to this JSON file after each stage.")] = None,
        json_out: JsonOpt = False) -> None:
    """Measure the parametric tier end to end on a fresh store (docs/RESULTS.md).

    Example: memos bench consolidate --facts 100 --style random
    """
    from memos.bench import consolidate as bench

    try:
        sizes = [int(x) for x in scaling.split(",") if x.strip()]
    except ValueError:
        raise InvalidInputError(f"--scaling takes fact counts, comma-separated, e.g. 25,100,400 "
                                f"('' to skip); got {scaling!r}") from None
    if out is not None:
        check_writable_file(out, "--out")  # now, not after the first stage's minutes of work
    with progress_bar("bench consolidate") as bar:
        result = bench.run(facts=facts, styles=style or ["random", "realistic"], steps=steps,
                           scaling=sizes,
                           forget=forget, reject_steps=reject_steps, threads=threads,
                           progress=bar, out=out)
    if json_out:
        render.print_json(result)
        return
    for name, rows in result["tables"].items():
        if not rows:
            continue
        table = render.new_table(name, list(rows[0]))
        for row in rows:
            table.add_row(*[str(v) for v in row.values()])
        render.print_table(table)
    render.print_message(f"checkpoint {result['checkpoint_fingerprint'][:12]}, "
                         f"{result['threads']} threads, {result['seconds']:.0f} s", style="dim")
