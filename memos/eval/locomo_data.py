"""LoCoMo conversations: loading, evidence-id normalisation and the recall metrics.

LoCoMo (Maharana et al., 2024) is a set of long multi-session conversations between two
speakers, with questions whose `evidence` lists the dialogue turns (`dia_id`, e.g. "D3:12" =
session 3, turn 12) that hold the answer. We measure *evidence recall*: for one question, the
fraction of its (distinct, normalised) evidence turns that retrieval returns, averaged over
questions. Two cut-offs are reported:

- R@k: evidence among the first k hits;
- R@Ww: evidence among the hits taken in rank order while their total word count stays within
  W words (the first hit that would overflow the budget stops the walk). This is the number
  that matters when hits are pasted into a prompt of fixed size: short hits are cheap.

Nothing here reads a store: it is pure data handling, testable on a conversation made in a test.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from memos.errors import InvalidInputError

log = logging.getLogger(__name__)

# Categories 1-4 have evidence (multi-hop, temporal, open-domain, single-hop); category 5
# (adversarial, unanswerable) is not a retrieval question.
EVIDENCE_CATEGORIES: tuple[int, ...] = (1, 2, 3, 4)

# "D1:3" is the canonical form; the data also has "D:1:3", "D1: 3" and several ids in one
# string separated by ';' or ','.
_DIA_ID = re.compile(r"^D\s*:?\s*(\d+)\s*:\s*(\d+)$")
_SESSION_KEY = re.compile(r"^session_(\d+)$")
_DATE_FORMATS = ("%I:%M %p on %d %B, %Y", "%I:%M %p on %d %b, %Y", "%d %B, %Y", "%d %B %Y")


@dataclass(frozen=True)
class Turn:
    """One utterance of a conversation."""

    dia_id: str
    speaker: str
    text: str
    session: int
    session_date: datetime | None = None
    caption: str | None = None  # LoCoMo's description of a photo the speaker shared

    def content(self) -> str:
        """The memory text of this turn: who said it, what, and what photo was shown."""
        text = f"{self.speaker}: {self.text}"
        if self.caption:
            text += f" [shares a photo: {self.caption}]"
        return text


@dataclass(frozen=True)
class Question:
    """A question with the dia_ids of the turns that answer it."""

    text: str
    category: int
    evidence: tuple[str, ...]


@dataclass
class Conversation:
    """A LoCoMo sample: its turns in order and its evidence questions."""

    sample_id: str
    turns: list[Turn] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)


def normalize_dia_id(raw: str) -> list[str]:
    """Canonical dia_ids ("D<session>:<turn>") in one raw evidence string; [] if none parse.

    >>> normalize_dia_id("D:11:26")
    ['D11:26']
    >>> normalize_dia_id("D8:6; D9:17")
    ['D8:6', 'D9:17']
    """
    out: list[str] = []
    for part in re.split(r"[;,]", raw):
        match = _DIA_ID.match(part.strip())
        if match:
            out.append(f"D{int(match.group(1))}:{int(match.group(2))}")
    return out


def parse_session_date(raw: str | None) -> datetime | None:
    """LoCoMo's session timestamp ("1:56 pm on 8 May, 2023") as an aware UTC datetime."""
    if not raw:
        return None
    text = " ".join(raw.split())
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    log.warning("unrecognised LoCoMo session date %r; the session gets no valid_from", raw)
    return None


def _parse_conversation(sample: dict[str, Any]) -> Conversation:
    conv = sample["conversation"]
    sessions = sorted(
        (int(m.group(1)), key) for key in conv if (m := _SESSION_KEY.match(key))
    )
    turns: list[Turn] = []
    for number, key in sessions:
        date = parse_session_date(conv.get(f"{key}_date_time"))
        for utt in conv[key]:
            ids = normalize_dia_id(str(utt.get("dia_id", "")))
            text = str(utt.get("text", "")).strip()
            if not ids or not text:
                continue
            turns.append(
                Turn(
                    dia_id=ids[0],
                    speaker=str(utt.get("speaker", "")).strip() or "speaker",
                    text=text,
                    session=number,
                    session_date=date,
                    caption=(str(utt["blip_caption"]).strip() or None)
                    if utt.get("blip_caption")
                    else None,
                )
            )
    known = {t.dia_id for t in turns}
    questions: list[Question] = []
    dropped = 0
    for qa in sample.get("qa", []):
        category = qa.get("category")
        if category not in EVIDENCE_CATEGORIES:
            continue
        evidence: list[str] = []
        for raw in qa.get("evidence") or []:
            evidence.extend(normalize_dia_id(str(raw)))
        # Ids that name no turn of this conversation cannot be retrieved by any system;
        # counting them would only lower every score by the same constant.
        valid = sorted({e for e in evidence if e in known})
        dropped += len(set(evidence)) - len(valid)
        if valid:
            questions.append(Question(str(qa["question"]), int(category), tuple(valid)))
    if dropped:
        log.info("%s: %d evidence ids name no turn and were dropped", sample.get("sample_id"), dropped)
    return Conversation(str(sample.get("sample_id", "")), turns, questions)


def load_locomo(path: str | Path) -> list[Conversation]:
    """Read a LoCoMo JSON file (a list of samples) into conversations."""
    import json

    p = Path(path)
    if not p.is_file():
        raise InvalidInputError(f"LoCoMo file not found: {p}; pass --data PATH to locomo JSON")
    try:
        samples = json.loads(p.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInputError(f"{p} is not valid JSON ({exc}); pass the LoCoMo .json file") from exc
    if not isinstance(samples, list):
        samples = [samples]
    try:
        convs = [_parse_conversation(s) for s in samples]
    except (KeyError, TypeError, AttributeError) as exc:
        raise InvalidInputError(
            f"{p} does not look like LoCoMo data (missing {exc}); each sample needs "
            "'conversation' with session_N lists and 'qa'"
        ) from exc
    return [c for c in convs if c.turns]


def turn_context(turns: Sequence[Turn], index: int, window: int) -> str:
    """The up-to-`window` turns on each side of turns[index] within its session, joined.

    A reply like "Yes, last Saturday!" only makes sense next to the question it answers; this
    text is indexed (at a lower weight) with the turn so that such replies can be found.
    """
    turn = turns[index]
    lo, hi = max(0, index - window), min(len(turns), index + window + 1)
    return " ".join(
        turns[j].content() for j in range(lo, hi) if j != index and turns[j].session == turn.session
    )


def recall_at_k(ranked_ids: Sequence[str], evidence: Iterable[str], k: int) -> float:
    """Fraction of the evidence ids found among the first k ranked ids."""
    ev = set(evidence)
    if not ev:
        raise InvalidInputError("a question needs at least one evidence id to score recall")
    return len(ev & set(ranked_ids[:k])) / len(ev)


def recall_within_budget(
    ranked: Sequence[tuple[str, str]], evidence: Iterable[str], budget_words: int
) -> float:
    """Fraction of the evidence found in the hits (id, text) taken in rank order within a budget.

    Hits are taken while the running word count stays <= budget_words; the first hit that
    would overflow stops the walk (a prompt cannot hold half a memory).
    """
    ev = set(evidence)
    if not ev:
        raise InvalidInputError("a question needs at least one evidence id to score recall")
    used = 0
    found: set[str] = set()
    for dia_id, text in ranked:
        used += len(text.split())
        if used > budget_words:
            break
        found.add(dia_id)
    return len(ev & found) / len(ev)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation; 0.0 for no values."""
    if not values:
        return 0.0
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)
