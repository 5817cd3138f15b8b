"""`memos eval reader`: precision and recall of the rules on the reader's corpus.

The corpus (memos/reader/corpus/conversations.jsonl, shipped as package data) holds
conversations written for this project with the facts a person would extract from each turn
(and many turns that state none: questions, plans, hedges, chit-chat). A fact matches when
(turn, subject, attribute, value, negated, past) are equal, case and spacing aside; the
subject "@" stands for the conversation's user. A fact labelled `"past": true` held once and
no longer ("I used to live in Seville": the rules' `Extraction.past`); such facts are
labelled of where one lived, worked and one's job only, and scored under the family "past".
Extraction speed is measured on the rules alone; `ingest=True` also times the full
`MemOS.ingest` (episodes, embedding, SQL, indexes) into a temporary store, which the
embedder dominates.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

from memos.errors import InvalidInputError

CORPUS = "conversations.jsonl"
# Shipped corpora by name: the one the rules were written against, and one written after
# the rules were frozen (its first, blind score is recorded in docs/RESULTS.md).
SHIPPED = {"conversations": "conversations.jsonl", "heldout": "heldout.jsonl",
           "blind-a": "blind-a.jsonl", "blind-b": "blind-b.jsonl",
           "blind-c": "blind-c.jsonl", "blind-d": "blind-d.jsonl", "blind-e": "blind-e.jsonl",
           "blind-f": "blind-f.jsonl"}


@dataclass
class Conversation:
    id: str
    user: str
    at: datetime
    messages: list[dict[str, Any]]
    expected: list[dict[str, Any]]


def load_corpus(path: str | Path | None = None) -> list[Conversation]:
    """The shipped corpus (None, "conversations", "heldout", "blind-a" ... "blind-f"), or a
    JSONL file of the same form."""
    if path is None or str(path) in SHIPPED:
        name = SHIPPED[str(path)] if path is not None else CORPUS
        text = resources.files("memos.reader").joinpath("corpus", name).read_text("utf-8")
    else:
        p = Path(path)
        if not p.is_file():
            raise InvalidInputError(f"corpus file not found: {p}; pass a JSONL file of "
                                    f"conversations or a shipped corpus: {', '.join(SHIPPED)}")
        try:
            text = p.read_text("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInputError(f"corpus {p} is not UTF-8 text (byte {exc.start}); save it "
                                    "as UTF-8 JSON Lines") from None
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            _check_row(row)
            out.append(Conversation(row["id"], row["user"],
                                    datetime.fromisoformat(row["at"].replace("Z", "+00:00")),
                                    row["messages"], row["expected"]))
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise InvalidInputError(f"corpus line {n}: {exc}; each line needs id, user, at, "
                                    f"messages and expected") from None
    return out


_FACT_FIELDS = {"turn": int, "subject": str, "attribute": str, "value": str, "negated": bool,
                "family": str}


def _check_row(row: Any) -> None:
    """Raise ValueError (or KeyError) naming what a corpus line lacks or has of a wrong type."""
    if not isinstance(row, dict):
        raise ValueError("a line must be a JSON object")
    for key in ("id", "user", "at"):
        if not isinstance(row[key], str):
            raise ValueError(f"{key!r} must be a string, got {row[key]!r}")
    if not isinstance(row["expected"], list):
        raise ValueError(f"'expected' must be a list of facts, got {row['expected']!r}")
    for fact in row["expected"]:
        if not isinstance(fact, dict) or any(not isinstance(fact.get(k), t)
                                             for k, t in _FACT_FIELDS.items()):
            raise ValueError(f"an expected fact needs {', '.join(_FACT_FIELDS)} "
                             f"({', '.join(t.__name__ for t in _FACT_FIELDS.values())}), "
                             f"got {fact!r}")
        if not isinstance(fact.get("past", False), bool):
            raise ValueError(f"an expected fact's 'past' is true or false, got {fact!r}")


def _norm(text: str) -> str:
    return " ".join(text.lower().replace("’", "'").split()).rstrip(".")


Key = tuple[int, str, str, str, bool, bool]  # turn, subject, attribute, value, negated, past
PAST = "past"  # the family a past fact is scored under


def _expected_keys(conv: Conversation) -> dict[Key, str]:
    return {(e["turn"], "@" if e["subject"] == "@" else _norm(e["subject"]), e["attribute"],
             _norm(e["value"]), bool(e["negated"]), bool(e.get("past", False))):
            PAST if e.get("past") else e["family"] for e in conv.expected}


def predict(conv: Conversation) -> tuple[dict[Key, str], int]:
    """The rules' facts for a conversation (keys -> family) and the user turns read."""
    from memos.reader.ingest import check_messages, extract_rules
    from memos.reader.questions import user_display_name, user_key
    from memos.reader.rules import stated_name

    turns = check_messages(conv.messages, conv.at)
    said = [s for t in turns if t.role == "user" and t.name is None
            if (s := stated_name(t.content))]
    display = user_display_name(conv.user, said[-1] if said else None)
    cands, _failed = extract_rules(turns, conv.user, display)
    me = user_key(conv.user)
    out: dict[Key, str] = {}
    for c in cands:
        e = c.extraction
        subject = "@" if e.subject_key == me else _norm(e.subject_key)
        out[(c.turn, subject, e.attribute, _norm(e.value), e.negated, e.past)] = \
            PAST if e.past else e.family
    return out, len(turns)


@dataclass
class ReaderEval:
    conversations: int
    turns: int
    expected: int
    extracted: int
    correct: int
    precision: float
    recall: float
    by_family: dict[str, dict[str, float]]
    extract_turns_per_s: float
    ingest_turns_per_s: float | None = None  # one MemOS.ingest call per conversation
    ingest_long_turns_per_s: float | None = None  # every turn in one call (one session)
    ingest_embed_share: float | None = None  # fraction of ingest time spent embedding
    ingest_embedder: str | None = None
    misses: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


def evaluate_reader(path: str | Path | None = None, *, ingest: bool = False,
                    repeat: int = 20, embedder: str = "hashing") -> ReaderEval:
    """Score the rules on the corpus; time extraction (best of `repeat` passes) and, with
    `ingest`, one full ingest of every conversation into a temporary store."""
    convs = load_corpus(path)
    if not convs:
        raise InvalidInputError("the corpus has no conversations")
    tp: dict[str, int] = defaultdict(int)
    fp: dict[str, int] = defaultdict(int)
    fn: dict[str, int] = defaultdict(int)
    misses, wrong = [], []
    turns = 0
    for conv in convs:
        exp = _expected_keys(conv)
        got, n = predict(conv)
        turns += n
        for key, fam in got.items():
            if key in exp:
                tp[fam] += 1
            else:
                fp[fam] += 1
                wrong.append(f"{conv.id} {key}")
        for key, fam in exp.items():
            if key not in got:
                fn[fam] += 1
                misses.append(f"{conv.id} {key}")
    best = float("inf")
    for _ in range(max(1, repeat)):
        start = time.perf_counter()
        for conv in convs:
            predict(conv)
        best = min(best, time.perf_counter() - start)
    families = sorted(set(tp) | set(fp) | set(fn))
    by_family = {}
    for fam in families:
        got_n, exp_n = tp[fam] + fp[fam], tp[fam] + fn[fam]
        by_family[fam] = {"precision": round(tp[fam] / got_n, 4) if got_n else 1.0,
                          "recall": round(tp[fam] / exp_n, 4) if exp_n else 1.0,
                          "expected": exp_n, "extracted": got_n}
    # Per-family recall counts matches under the expected family; precision under the
    # extracted one (they agree for every fact the rules get right).
    correct = sum(tp.values())
    extracted = correct + sum(fp.values())
    expected = correct + sum(fn.values())
    report = ReaderEval(
        conversations=len(convs), turns=turns, expected=expected, extracted=extracted,
        correct=correct, precision=round(correct / extracted, 4) if extracted else 1.0,
        recall=round(correct / expected, 4) if expected else 1.0, by_family=by_family,
        extract_turns_per_s=round(turns / best, 1), misses=misses, wrong=wrong)
    if ingest:
        _time_ingest(convs, embedder, report)
    return report


def _time_ingest(convs: list[Conversation], embedder: str, report: ReaderEval) -> None:
    """Turns/s of the full ingest into fresh stores: one call per conversation (small
    calls: the per-call SQL and index work shows), and all turns in one call; plus the
    share of the time the embedder took."""
    from memos.facade import MemOS

    embed_seconds = 0.0
    total_seconds = 0.0
    for one_call in (False, True):
        with tempfile.TemporaryDirectory(prefix="memos-reader-") as folder, \
                MemOS.open(folder, embedder=embedder) as mem:
            inner = mem.embedder.embed

            def timed(texts: Any, inner: Any = inner) -> Any:
                nonlocal embed_seconds
                t0 = time.perf_counter()
                try:
                    return inner(texts)
                finally:
                    embed_seconds += time.perf_counter() - t0

            mem.embedder.embed = timed  # type: ignore[method-assign]
            start = time.perf_counter()
            if one_call:
                # One long conversation; each user speaks under their own name, so their
                # facts stay apart as in the per-conversation calls.
                messages = [dict(m, at=c.at.isoformat(),
                                 **({"name": c.user} if m["role"] == "user" else {}))
                            for c in convs for m in c.messages]
                n = mem.ingest(messages, "bench", session_id="all").turns
            else:
                n = sum(mem.ingest(c.messages, c.user, session_id=c.id, at=c.at).turns
                        for c in convs)
            seconds = time.perf_counter() - start
            total_seconds += seconds
            rate = round(n / seconds, 1)
            if one_call:
                report.ingest_long_turns_per_s = rate
            else:
                report.ingest_turns_per_s = rate
            report.ingest_embedder = mem.embedder.identity
    report.ingest_embed_share = round(embed_seconds / total_seconds, 3)


__all__ = ["ReaderEval", "evaluate_reader", "load_corpus"]
