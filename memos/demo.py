"""`make demo`: a short, honest tour of memos in a temporary folder.

Every step calls the public SDK (`memos.MemOS`, docs/SDK.md) and shows what came back;
nothing is staged. Run it with `python -m memos.demo`. Later tiers add their own steps by
appending a function to `STEPS` (each step takes the `Tour` and prints what it does).
"""

from __future__ import annotations

import json
import logging
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.rule import Rule
from rich.table import Table

from memos.errors import NotFoundError


@dataclass
class Tour:
    """What the steps share: the open store, a console, a scratch folder, ids worth keeping."""

    mem: object  # memos.MemOS; typed loosely so this module imports fast
    console: Console
    folder: Path
    ids: dict[str, str] = field(default_factory=dict)


def _hits(tour: Tour, query: str, user: str, k: int = 3) -> None:
    hits = tour.mem.search(query, user, k=k)
    table = Table(title=f"search {query!r} as {user}", title_justify="left")
    for name in ("#", "score", "why", "content"):
        table.add_column(name, overflow="fold")
    for rank, hit in enumerate(hits, start=1):
        why = " ".join(f"{r}#{hit.ranks[r]}" if r in hit.ranks else r for r in hit.retrievers)
        table.add_row(str(rank), f"{hit.score:.4f}", why, hit.cube.content)
    tour.console.print(table)


def step_add(tour: Tour) -> None:
    tour.console.print(Rule("1. Two users write memories"))
    memories = [  # (user, name the later steps use, text, kind)
        ("alice", "tea", "Alice prefers green tea in the morning", "preference"),
        ("alice", "allergy", "Alice is allergic to peanuts", "fact"),
        ("alice", "move", "Alice moved to Lisbon in March 2025", "event"),
        ("alice", "manager", "Alice's manager is Priya", "fact"),
        ("bob", "coffee", "Bob drinks espresso, never tea", "preference"),
        ("bob", "marathon", "Bob is training for the Berlin marathon", "fact"),
    ]
    for user, name, text, kind in memories:
        result = tour.mem.add(text, user, kind=kind)
        tour.ids[name] = result.id
        tour.console.print(f"  {user:6} {result.action:9} {result.id[:12]}  {text}")
    again = tour.mem.add("Alice prefers green tea in the morning", "alice", kind="preference")
    tour.console.print(f"  adding Alice's tea preference again -> [bold]{again.action}[/bold] "
                       f"{again.id[:12]} (no second cube)")


def step_search(tour: Tour) -> None:
    tour.console.print(Rule("2. Search: each hit says which retrievers found it"))
    tour.console.print("  The default embedder hashes words and character trigrams (no model): "
                       "it matches wording, not meaning. `MemOS.open(embedder=\"minilm\")` "
                       "matches meaning.")
    _hits(tour, "which tea does alice drink?", "alice")
    tour.console.print("  Bob asks the same question and sees only his own memories:")
    _hits(tour, "which tea does alice drink?", "bob")


def step_versions(tour: Tour) -> None:
    tour.console.print(Rule("3. Update, history, diff, rollback"))
    cube_id = tour.ids["tea"]
    tour.mem.update(cube_id, "alice", content="Alice prefers oolong tea in the morning",
                    reason="she told us she switched")
    for cube in tour.mem.history(cube_id, "alice"):
        tour.console.print(f"  v{cube.version} {cube.state.value:10} {cube.content}")
    delta = tour.mem.diff(cube_id, "alice")
    tour.console.print(delta.content_diff.rstrip() or "  (content unchanged)")
    back = tour.mem.rollback(cube_id, "alice", 1)
    tour.console.print(f"  rolled back: now v{back.version} with the content of v1: "
                       f"{back.content!r}")


def step_forget(tour: Tour) -> None:
    tour.console.print(Rule("4. Forget"))
    cube_id = tour.ids["allergy"]
    tour.mem.forget(cube_id, "alice", reason="demo: user asked")
    _hits(tour, "peanut allergy", "alice")
    try:
        tour.mem.get(cube_id, "alice")
    except NotFoundError as exc:
        tour.console.print(f"  get after forget -> NotFoundError: {exc}")
    versions = tour.mem.history(cube_id, "alice")
    tour.console.print(f"  history still has {len(versions)} version(s), the last one "
                       f"{versions[-1].state.value}; `purge` would erase them too")


def step_export(tour: Tour) -> None:
    tour.console.print(Rule("5. Export (JSON Lines, full history)"))
    path = tour.folder / "alice.jsonl"
    report = tour.mem.export("alice", path)
    tour.console.print(f"  {report.cubes} cube(s) and {report.edges} edge(s) -> {path.name}")
    header, *rest = path.read_text(encoding="utf-8").splitlines()
    tour.console.print(f"  line 1: {header}", markup=False)
    for number, line in enumerate(rest, start=2):
        record = json.loads(line)
        if record["type"] == "cube":
            cube = record["cube"]
            tour.console.print(f"  line {number}: cube {cube['id'][:12]} v{cube['version']} "
                               f"(+{len(record['history'])} earlier version(s)) "
                               f"{cube['content']!r}", markup=False)
    check = tour.mem.check()
    tour.console.print(f"  check: {'consistent' if check.ok else check.problems}")


def step_model(tour: Tour) -> None:
    """MemOS.answer: retrieval picks the facts, the activation tier serves them pre-encoded
    (encoded once, then from the cache), the shipped model reads them, not its prompt."""
    from memos.model import load_checkpoint

    tour.console.print(Rule("6. The model reads retrieved memories pre-encoded"))
    facts = ["Carol's city is Porto.", "Carol's pet is Biscuit.", "Carol's team is Falcons.",
             "Dan's city is Quito.", "Dan's pet is Mango."]
    tour.mem.add_many(facts, "carol")
    model = load_checkpoint()
    tour.console.print(f"  shipped checkpoint, fingerprint {model.fingerprint[:12]}; "
                       "facts are in the format it was trained on (issue 3's memory QA)")
    table = Table(title_justify="left")
    for name in ("question", "memories read", "slots cached / encoded", "answer from memory",
                 "answer without memory"):
        table.add_column(name, overflow="fold")
    for question in ("What is Carol's city?", "What is Dan's pet?", "What is Carol's team?",
                     "What is Carol's city?"):
        ans = tour.mem.answer(question, "carol", k=3, model=model)
        table.add_row(question, str(len(ans.cubes)), f"{ans.hits} / {ans.misses}", ans.text,
                      model.generate(question, max_new_tokens=12).strip())
    tour.console.print(table)
    tour.console.print("  The prompt stays the question's length however many facts are read; "
                       "slots are stored per cube version, so a repeated question encodes "
                       "nothing. A 1M-parameter model on made-up strings, not a chat model.")


STEPS: list[Callable[[Tour], None]] = [step_add, step_search, step_versions, step_forget,
                                       step_export, step_model]


def main(argv: Sequence[str] | None = None) -> int:
    """Run every step in a fresh temporary store; returns the process exit code."""
    from memos.facade import MemOS

    logging.basicConfig(level=logging.WARNING)
    console = Console(highlight=False, soft_wrap=True)
    with tempfile.TemporaryDirectory(prefix="memos-demo-") as tmp:
        folder = Path(tmp)
        console.print(f"[bold]memos demo[/bold] — a fresh store in {folder / 'store'}")
        with MemOS.open(folder / "store") as mem:
            tour = Tour(mem=mem, console=console, folder=folder)
            for step in STEPS:
                step(tour)
    console.print(Rule("done — the temporary store has been deleted"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
