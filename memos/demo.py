"""`make demo`: the whole system in one story, offline, in a temporary folder.

Alice talks to her assistant over three sessions (memos/data/demo_conversation.json, written
for memos); Bob once. Every step calls the public SDK (`memos.MemOS`, `memos.Assistant`,
docs/SDK.md) and shows what came back; nothing is staged:

1. MemReader turns the conversation into episodes and facts;
2. a correction supersedes the old fact, and the history keeps both;
3. hybrid search says which retriever found each hit; Bob sees only his own memories;
4. the scheduler promotes hot memories to the activation tier (pre-encoded slots);
5. the built-in model answers from pre-encoded memory, beside prompt stuffing, timed;
6. the assistant answers, saying which backend and which memories;
7. consolidation into an adapter (when this build has the parametric tier);
8. a session saved and resumed from its state;
9. "forget my address" reaches every tier; purge erases the bytes.

Run it with `python -m memos.demo` (or `make demo`): about a minute and a half on a 2-core
CPU, most of it step 7, which trains a small adapter (60 steps) and runs its evaluation gate
on one set of unseen facts (`memos consolidate` trains 200 steps and checks two sets).
`--quick` shows the consolidation policy's dry run instead (a few seconds in all).
"""

from __future__ import annotations

import json
import logging
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

CONVERSATION = Path(__file__).with_name("data") / "demo_conversation.json"
# Step 7 on the demo's ten facts: 60 steps reach closed-book 1.0 and keep memory QA on
# unseen facts level; 40-50 steps were measured short of one or the other on this CPU.
DEMO_STEPS = 60


@dataclass
class Tour:
    """What the steps share: the open store, a console, a scratch folder, what they found."""

    mem: Any  # memos.MemOS; typed loosely so this module imports fast
    console: Console
    folder: Path
    facts: dict[str, str] = field(default_factory=dict)  # content -> cube id
    live: dict[tuple[str, str], Any] = field(default_factory=dict)  # (subject, relation) -> cube
    sessions: list[str] = field(default_factory=list)
    found: dict[str, Any] = field(default_factory=dict)

    def table(self, title: str | None, *columns: str) -> Table:
        table = Table(title=title, title_justify="left")
        for name in columns:
            table.add_column(name, overflow="fold")
        return table


def _day(when: datetime | None) -> str:
    return when.date().isoformat() if when else ""


def step_ingest(tour: Tour) -> None:
    tour.console.print(Rule("1. MemReader: a conversation becomes episodes and facts"))
    data = json.loads(CONVERSATION.read_text(encoding="utf-8"))
    for user, sessions in data["users"].items():
        for session in sessions:
            at = datetime.fromisoformat(session["at"].replace("Z", "+00:00"))
            report = tour.mem.ingest(session["messages"], user, session_id=session["session"],
                                     at=at)
            if user == "alice":
                tour.sessions.append(session["session"])
            tour.console.print(f"  {user:6} session {report.session_id}: {report.turns} turns "
                               f"-> {len(report.episodes)} episodes, {len(report.facts)} facts"
                               + (f", {len(report.superseded)} superseded"
                                  if report.superseded else "")
                               + (f", failed: {report.failed}" if report.failed else ""))
    hits = tour.mem.search("Alice Moreau Ana", "alice", k=64, kind=["fact", "preference"],
                           include_superseded=True, record_access=False)
    table = tour.table("facts about Alice and the people she named", "fact", "valid from",
                       "state", "said in")
    for hit in sorted(hits, key=lambda h: (h.cube.valid_from or h.cube.recorded_at)):
        cube = hit.cube
        tour.facts[cube.content] = cube.id
        if cube.state.value == "active":
            tour.live[(str(cube.metadata.get("subject")), str(cube.metadata.get("relation")))] = cube
        # the turn it came from: its episode (a fact keeps no copy of the turn's words)
        episode = next((s.ref.split("@")[0] for s in cube.sources if s.kind == "cube"), None)
        said = tour.mem.get(episode, "alice").content.split(": ", 1)[-1] if episode else ""
        table.add_row(escape(cube.content), _day(cube.valid_from), cube.state.value,
                      escape(said))
    tour.console.print(table)


def step_correction(tour: Tour) -> None:
    tour.console.print(Rule("2. A correction supersedes the old fact; history keeps both"))
    old = tour.mem.search("city", "alice", k=5, kind="fact", include_superseded=True,
                          metadata={"subject": "user:alice", "relation": "city"},
                          record_access=False)
    for hit in old:
        if hit.cube.state.value != "superseded":
            continue
        for cube in tour.mem.history(hit.id, "alice"):
            tour.console.print(f"  v{cube.version} {cube.state.value:10} {escape(cube.content)} "
                               f"valid {_day(cube.valid_from)} .. "
                               f"{_day(cube.valid_to) or 'now'}")
    live = tour.live.get(("user:alice", "city"))
    tour.console.print(f"  the live fact: {escape(live.content) if live else '(none)'} "
                       f"(since {_day(live.valid_from) if live else ''}: \"last week\" "
                       f"resolved against the turn's date)")


def _hits(tour: Tour, query: str, user: str, k: int = 4) -> None:
    hits = tour.mem.search(query, user, k=k)
    table = tour.table(f"search {query!r} as {user}", "#", "score", "why", "content")
    for rank, hit in enumerate(hits, start=1):
        why = " ".join(f"{r}#{hit.ranks[r]}" if r in hit.ranks else r for r in hit.retrievers)
        table.add_row(str(rank), f"{hit.score:.4f}", why, escape(hit.cube.content))
    tour.console.print(table)


def step_search(tour: Tour) -> None:
    tour.console.print(Rule("3. Hybrid search: each hit says which retrievers found it"))
    tour.console.print("  dense (hashing embedder: wording, not meaning; "
                       "MemOS.open(embedder=\"minilm\") matches meaning), full text, graph")
    _hits(tour, "what tea does alice drink in the morning?", "alice")
    tour.console.print("  Bob asks the same and sees only his own memories:")
    _hits(tour, "what tea does alice drink in the morning?", "bob")


def step_scheduler(tour: Tour) -> None:
    tour.console.print(Rule("4. The scheduler promotes hot memories to the activation tier"))
    hot = [tour.live[key].id for key in (("user:alice", "sister's name"), ("Ana", "city"))
           if key in tour.live]
    for _ in range(3):  # read three times: hot by the default policy (3 hits in a week)
        for cube_id in hot:
            tour.mem.get(cube_id, "alice")
    tour.mem.flush()
    report = tour.mem.run_scheduler()
    tour.console.print(f"  promoted {report.promoted} cube(s) to pre-encoded slots in "
                       f"{report.seconds:.2f} s; activation blobs now {report.activation_bytes:,} "
                       f"bytes")
    for decision in report.decisions:
        if decision.job == "promote":
            tour.console.print(f"  promote {decision.cube_id[:12]}: {escape(decision.reason)}")
    rows = [r for r in tour.mem.tiers("alice") if r["state"] == "active"]
    tour.console.print("  tiers: " + ", ".join(f"{r['tier']} {r['cubes']} cubes / "
                                                 f"{r['bytes']:,} bytes" for r in rows))


def step_model(tour: Tour) -> None:
    """MemOS.answer reads the retrieved facts pre-encoded; stuffing pastes them in the prompt."""
    from memos.model import load_checkpoint

    tour.console.print(Rule("5. The built-in model: pre-encoded memory vs prompt stuffing"))
    model = load_checkpoint()
    from memos.assistant import Assistant

    facts = [cube.content for cube in tour.live.values()]
    stuffed = " ".join(facts) + " "
    tour.console.print(f"  shipped checkpoint {model.fingerprint[:12]} (about 1M parameters, "
                       f"trained on `<subject>'s <attribute> is <value>.` facts); "
                       f"{len(facts)} live facts = {len(stuffed.encode())} bytes when stuffed")
    bot = Assistant(tour.mem, "alice", learn=False)
    asked = [bot.canonical(q) for q in ("Where do I live?", "Where does Ana live?",
                                        "What is my sister's name?", "Where do I live?")]
    table = tour.table(None, "question", "from memory", "ms (slots cached/encoded)",
                       "stuffed in the prompt", "ms (prompt bytes)")
    for question in [cq.question for cq in asked if cq is not None]:
        ans = tour.mem.answer(question, "alice", k=8, model=model)
        memory_ms = 1000 * (ans.seconds["recall"] + ans.seconds["generate"])
        prompt = stuffed + question
        start = time.perf_counter()
        plain = model.generate(prompt, max_new_tokens=32).strip()
        stuffed_ms = 1000 * (time.perf_counter() - start)
        table.add_row(question, escape(ans.text), f"{memory_ms:.0f} ({ans.hits}/{ans.misses})",
                      escape(plain), f"{stuffed_ms:.0f} ({len(prompt.encode())})")
    tour.console.print(table)
    tour.console.print("  From memory the prompt is the question alone whatever the number of "
                       "facts; stuffed, the model reads every fact's bytes first (cheap at ten "
                       "facts, linear in their bytes: docs/RESULTS.md, cost per question). This "
                       "checkpoint was trained to read memory, not its prompt: its stuffed "
                       "answers are wrong. A repeated question encodes nothing (slots are kept "
                       "per cube version).")


def step_assistant(tour: Tour) -> None:
    from memos.assistant import Assistant

    tour.console.print(Rule("6. The assistant: each reply says how it was made"))
    bot = Assistant(tour.mem, "alice", session_id="2026-05-13")
    tour.found["assistant"] = bot
    # Asked on the session's day, as the conversation's own turns are dated: "last month"
    # is April 2026 whenever the tour runs.
    asked_at = datetime(2026, 5, 13, 18, 0, tzinfo=UTC)
    for text in ("Where do I live?", "Who is my doctor?", "What is my phone number?",
                 "What did I run last month?",
                 "My favorite color is teal.", "What is my sister's name?"):
        reply = bot.reply(text, at=asked_at)
        tour.console.print(f"  [bold]you>[/bold] {escape(text)}")
        tour.console.print(f"  [bold green]memos>[/bold green] {escape(reply.text)}")
        tour.console.print(f"    [dim]{reply.backend}: {escape(reply.route)}; "
                           f"{len(reply.memories)} memor"
                           f"{'y' if len(reply.memories) == 1 else 'ies'}, "
                           f"{reply.seconds['total'] * 1000:.0f} ms[/dim]")
    tour.console.print("  auto: the model answers a stored fact only when values of its kind "
                       "were read back exactly in >= 95% of measured cases (memos.model.values)")


def step_consolidate(tour: Tour) -> None:
    tour.console.print(Rule("7. Consolidation into an adapter (parametric tier)"))
    consolidate = getattr(tour.mem, "consolidate", None)
    if consolidate is None:
        tour.console.print("  skipped: this build has no parametric tier (MemOS.consolidate)")
        return
    import importlib.util

    from memos.errors import MemosError
    from memos.parametric.tier import ConsolidationConfig

    gate = ConsolidationConfig(gate_sets=1)  # one set of unseen facts, not two: time
    full = not tour.found.get("quick", False)
    if full and importlib.util.find_spec("peft") is None:
        tour.console.print("  peft is not installed, so no adapter is trained here (pip install "
                           "'memos-os[parametric]'); the policy's dry run instead:")
        full = False
    if full:
        tour.console.print(f"  training a LoRA adapter on Alice's {len(tour.live)} live facts: "
                           f"{DEMO_STEPS} steps, then the evaluation gate on one set of "
                           f"{gate.gate_facts} unseen facts (about a minute on a CPU)")
    try:
        report = consolidate("alice", facts=[c.id for c in tour.live.values()],
                             dry_run=not full, steps=DEMO_STEPS if full else None,
                             config=gate)
    except MemosError as exc:  # the policy or the gate said no: that is the answer
        tour.console.print(f"  not consolidated: {escape(str(exc))}")
        return
    if report.status == "dry-run":
        skipped = "; ".join(escape(why) for _c, why in report.skipped[:2])
        tour.console.print(f"  dry run: {len(report.cube_ids)} facts would be trained into a "
                           f"LoRA adapter, {len(report.skipped)} skipped"
                           + (f" ({skipped})" if skipped else ""))
        if tour.found.get("quick", False):
            tour.console.print("  --quick: not trained; `python -m memos.demo` trains it (so does "
                               "`memos consolidate -u alice`)")
        return
    def pct(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}"

    tour.console.print(f"  adapter {str(report.adapter_id)[:12]} ({report.adapter_bytes:,} "
                       f"bytes, {report.steps} steps in {report.train_seconds:.1f} s) on "
                       f"{len(report.cube_ids)} facts: {report.status}")
    tour.console.print(f"  closed-book exact match on those facts {pct(report.closed_book_before)}"
                       f" -> {pct(report.closed_book_after)}; memory QA on unseen facts "
                       f"{pct(report.memory_qa_base)} -> {pct(report.memory_qa_adapter)}")
    for reason in report.reasons:
        tour.console.print(f"  gate: {escape(reason)}")


def step_session(tour: Tour) -> None:
    from memos.model import load_checkpoint

    tour.console.print(Rule("8. A session saved, then resumed from its state"))
    bot = tour.found["assistant"]
    transcript = bot.transcript()
    ended = bot.end_session()
    saved = ended.saved
    tour.console.print(f"  end_session: summary cube {ended.summary_id[:12]}, state of "
                       f"{saved.tokens} tokens saved in {saved.seconds:.2f} s")
    summary = tour.mem.get(ended.summary_id, "alice")
    tour.console.print(f"  summary: {escape(summary.content)}")
    start = time.perf_counter()
    state = tour.mem.resume_session("alice", ended.session_id)
    resumed = time.perf_counter() - start
    model = load_checkpoint()
    start = time.perf_counter()
    model.read_session(transcript)
    reread = time.perf_counter() - start
    tour.console.print(f"  resume_session: {state.length} tokens in {resumed * 1000:.0f} ms, "
                       f"vs reading the transcript again: {reread * 1000:.0f} ms")


def _store_bytes_with(folder: Path, needle: bytes) -> list[str]:
    return [p.name for p in folder.rglob("*") if p.is_file() and needle in p.read_bytes()]


def step_forget(tour: Tour) -> None:
    from memos.assistant import Assistant

    tour.console.print(Rule("9. \"forget my address\" reaches every tier"))
    store = tour.folder / "store"
    bot = Assistant(tour.mem, "alice")
    asked = bot.canonical("What is my address?")
    if asked is not None:  # the model reads the address once: its slots exist
        tour.mem.answer(asked.question, "alice", k=4)
    before = {r["tier"]: r["cubes"] for r in tour.mem.tiers("alice") if r["state"] == "active"}
    reply = bot.reply("Please forget my address.")
    tour.console.print(f"  memos> {escape(reply.text)}")
    after = {r["tier"]: r["cubes"] for r in tour.mem.tiers("alice") if r["state"] == "active"}
    tour.console.print(f"  live cubes per tier before {before}, after {after}")
    for info in tour.mem.adapters("alice"):  # step 7's adapter was trained on the address
        if info.status == "tainted":
            tour.console.print(f"  adapter {info.id[:12]}: tainted, weights erased "
                               f"({escape(info.reason or 'a fact it was trained on was forgotten')})")
    left = tour.mem.search("Rua Augusta Rua das Flores address", "alice", k=50,
                           include_superseded=True)
    tour.console.print(f"  search for the addresses now finds "
                       f"{sum('Rua' in h.content for h in left)} cube(s)")
    erased: list[str] = []
    for cube_id in reply.forgotten:
        report = tour.mem.purge(cube_id, "alice", reason="demo: erase the forgotten address")
        erased += report.cube_ids
    tour.mem.flush()
    remains = getattr(tour.mem, "purge_remains", None)  # `memos purge --verify`
    if remains is not None:
        left = {f"{tier} {what}": n for tier, part in remains(erased + reply.forgotten).items()
                for what, n in part.items() if n}
        tour.console.print(f"  purge erased {len(erased)} cube(s) with their versions and "
                           f"derived cubes; purge --verify, what remains per tier: "
                           f"{left or 'nothing'}")
    files = sorted(set(_store_bytes_with(store, b"Rua Augusta")
                       + _store_bytes_with(store, b"Rua das Flores")))
    tour.console.print(f"  store files that still hold the addresses' bytes: "
                       f"{', '.join(files) or 'none'}")
    check = tour.mem.check()
    tour.console.print(f"  check: {'consistent' if check.ok else check.problems}")


STEPS: list[Callable[[Tour], None]] = [step_ingest, step_correction, step_search, step_scheduler,
                                       step_model, step_assistant, step_consolidate,
                                       step_session, step_forget]


def main(argv: Sequence[str] | None = None) -> int:
    """Run every step in a fresh temporary store; returns the process exit code."""
    from memos.facade import MemOS

    args = list(argv or [])
    if any(a in ("-h", "--help") for a in args):
        print((__doc__ or "").strip())
        return 0
    unknown = [a for a in args if a != "--quick"]
    if unknown:
        print(f"memos.demo: unknown argument(s) {' '.join(unknown)}; the one option is "
              f"--quick (skip training the adapter of step 7); --help says more",
              file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.WARNING)
    try:
        import torch

        torch.set_num_threads(1)  # one question at a time: a second thread only waits
    except ImportError:  # the model steps say so when they run
        pass
    console = Console(highlight=False, soft_wrap=True)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="memos-demo-") as tmp:
        folder = Path(tmp)
        console.print(Text.assemble(("memos demo", "bold"),
                                    f" — a fresh store in {folder / 'store'}"))
        with MemOS.open(folder / "store") as mem:
            tour = Tour(mem=mem, console=console, folder=folder)
            tour.found["quick"] = "--quick" in args
            for step in STEPS:
                step(tour)
    console.print(Rule(f"done in {time.perf_counter() - start:.0f} s — the temporary store "
                       "has been deleted"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
