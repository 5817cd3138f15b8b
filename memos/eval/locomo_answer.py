"""`memos eval locomo --answer`: the assistant answers every LoCoMo question.

Each conversation is ingested as `memos eval locomo` does (one cube per turn, or through
MemReader with `--ingest reader`), then `memos.Assistant` (learning off: questions are not
written back) answers every question of the conversation in its scope. Scores:

- token F1 against the gold answer with the normalisation of the LoCoMo paper (Maharana et
  al., 2024): lower case, punctuation and the articles a/an/the removed, whitespace tokens;
  per category (1 multi-hop, 2 temporal, 3 open-domain, 4 single-hop) and overall (1-4);
- category 5 (adversarial: the conversation does not hold the answer) as the paper scores
  it: right when the reply says the information is not available;
- context words per question: the words of the memories the reply was made from (what a
  reader model is given);
- with an LLM configured ($MEMOS_LLM_URL), the llm backend answers and the same endpoint
  judges each reply against the gold answer (LLM-judge accuracy).
"""

from __future__ import annotations

import json
import re
import string
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from memos.errors import InvalidInputError

ProgressFn = Callable[[int, int | None], None]
CATEGORY_NAMES = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop",
                  5: "adversarial"}
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = str.maketrans("", "", string.punctuation)
NOT_AVAILABLE = ("no information available", "not mentioned")


def normalize_answer(text: str) -> str:
    """The LoCoMo paper's answer normalisation: lower case, no punctuation, no articles."""
    text = str(text).lower().translate(_PUNCT)
    return " ".join(_ARTICLES.sub(" ", text).split())


def token_f1(prediction: str, gold: str) -> float:
    """Token F1 of the normalised prediction against the normalised gold answer."""
    pred, ref = normalize_answer(prediction).split(), normalize_answer(gold).split()
    if not pred or not ref:
        return float(pred == ref)
    common = Counter(pred) & Counter(ref)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred), same / len(ref)
    return 2 * precision * recall / (precision + recall)


def adversarial_right(prediction: str) -> bool:
    """Category 5 as the paper scores it: the reply says the answer is not available."""
    text = normalize_answer(prediction)
    return any(phrase in text for phrase in NOT_AVAILABLE)


@dataclass
class QA:
    question: str
    answer: str
    category: int


@dataclass
class AnswerReport:
    conversations: int
    questions: int
    backend: str  # the assistant's setting (auto/...); `backends` counts those used
    ingest: str
    embedder: str
    f1_by_category: dict[str, float]
    f1_overall: float  # categories 1-4
    adversarial_accuracy: float | None  # category 5
    questions_by_category: dict[str, int]
    context_words: dict[str, float]  # mean and p50 per question
    backends: dict[str, int]
    judge_accuracy: float | None = None  # LLM-judge (categories 1-4), when configured
    judge_model: str | None = None
    seconds_per_question: float = 0.0
    examples: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


def load_qa(path: str | Path) -> dict[str, list[QA]]:
    """Every question of every conversation (all five categories), with its gold answer."""
    p = Path(path)
    try:
        samples = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidInputError(f"LoCoMo file not found: {p}; pass --data PATH") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInputError(f"{p} is not valid JSON ({exc})") from None
    out: dict[str, list[QA]] = {}
    for sample in samples if isinstance(samples, list) else [samples]:
        rows = []
        for qa in sample.get("qa", []):
            category = qa.get("category")
            gold = qa.get("answer", qa.get("adversarial_answer"))
            if category not in CATEGORY_NAMES or gold is None or not qa.get("question"):
                continue
            rows.append(QA(str(qa["question"]), str(gold), int(category)))
        out[str(sample.get("sample_id", ""))] = rows
    return out


def judge(cfg: Any, question: str, gold: str, reply: str) -> bool:
    """The LLM's verdict: does `reply` answer `question` as `gold` does?"""
    from memos.assistant import complete_chat

    prompt = ("You grade answers. Question: " + question + "\nGold answer: " + gold +
              "\nAnswer to grade: " + reply + "\nIs the answer to grade correct (it may be "
              "longer, or word it differently, but must state the gold answer and nothing "
              "that contradicts it)? Reply with one word: CORRECT or WRONG.")
    verdict = complete_chat(cfg, [{"role": "user", "content": prompt}])
    return verdict.strip().upper().startswith("CORRECT")


def evaluate_answers(path: str | Path, *, conversations: int | None = None,
                     backend: str = "auto", embedder: str = "hashing",
                     ingest: str = "turns", context_window: int = 2,
                     llm: Any = None, progress: ProgressFn | None = None) -> AnswerReport:
    """Ingest each conversation into a fresh store and let the assistant answer it."""
    from memos.assistant import Assistant, LLMConfig
    from memos.eval.locomo import _ingest, _one_torch_thread, resolve_embedder
    from memos.eval.locomo_data import load_locomo
    from memos.facade import MemOS

    if ingest not in ("turns", "reader"):
        raise InvalidInputError("ingest must be 'turns' or 'reader'")
    convs = load_locomo(path)
    if conversations is not None:
        convs = convs[:conversations]
    qa = load_qa(path)
    cfg = llm if llm is not None else LLMConfig.from_env()
    name, _note = resolve_embedder(embedder)
    total = sum(len(qa.get(c.sample_id, [])) + len(c.turns) for c in convs)
    done = 0
    f1: dict[int, list[float]] = {c: [] for c in CATEGORY_NAMES}
    judged: list[bool] = []
    words: list[int] = []
    used_backends: Counter[str] = Counter()
    examples: list[dict[str, Any]] = []
    elapsed = 0.0
    with _one_torch_thread(load=not name.startswith("hashing")), \
            tempfile.TemporaryDirectory(prefix="memos-locomo-answer-") as tmp, \
            MemOS.open(Path(tmp) / "store", embedder=name) as mem:
        identity = mem.embedder.identity
        for conv in convs:
            def tick(n: int, _base: int = done) -> None:
                if progress:
                    progress(_base + n, total)

            if ingest == "reader":  # MemReader: episodes plus extracted facts
                from memos.reader.locomo import ingest_conversation

                ingest_conversation(mem, conv, tick)
            else:
                _ingest(mem, conv, context_window, tick)
            done += len(conv.turns)
            bot = Assistant(mem, conv.sample_id, backend=backend, llm=cfg,  # type: ignore[arg-type]
                            learn=False)
            for item in qa.get(conv.sample_id, []):
                start = time.perf_counter()
                reply = bot.reply(item.question)
                elapsed += time.perf_counter() - start
                used_backends[reply.backend] += 1
                words.append(sum(len(m.content.split()) for m in reply.memories))
                if item.category == 5:
                    f1[5].append(float(adversarial_right(reply.text)))
                else:
                    f1[item.category].append(token_f1(reply.text, item.answer))
                    if cfg is not None:
                        judged.append(judge(cfg, item.question, item.answer, reply.text))
                if len(examples) < 8 and item.category != 5:
                    examples.append({"question": item.question, "gold": item.answer,
                                     "reply": reply.text, "backend": reply.backend,
                                     "f1": round(f1[item.category][-1], 3)})
                done += 1
                if progress:
                    progress(done, total)
    scored = [x for c in (1, 2, 3, 4) for x in f1[c]]
    if not scored:
        raise InvalidInputError("the data has no questions with answers")
    asked = len(scored) + len(f1[5])
    ordered = sorted(words)
    return AnswerReport(
        conversations=len(convs), questions=asked, backend=backend, ingest=ingest,
        embedder=identity,
        f1_by_category={f"{c} {CATEGORY_NAMES[c]}": round(sum(v) / len(v), 4)
                        for c, v in f1.items() if v and c != 5},
        f1_overall=round(sum(scored) / len(scored), 4),
        adversarial_accuracy=round(sum(f1[5]) / len(f1[5]), 4) if f1[5] else None,
        questions_by_category={f"{c} {CATEGORY_NAMES[c]}": len(v) for c, v in f1.items() if v},
        context_words={"mean": round(sum(words) / len(words), 1),
                       "p50": float(ordered[len(ordered) // 2])},
        backends=dict(used_backends),
        judge_accuracy=round(sum(judged) / len(judged), 4) if judged else None,
        judge_model=cfg.model if cfg is not None else None,
        seconds_per_question=round(elapsed / asked, 4), examples=examples)


def format_rows(report: AnswerReport) -> Sequence[tuple[str, str, str]]:
    """(category, questions, F1) rows for a table."""
    rows = [(cat, str(report.questions_by_category[cat]), f"{f:.3f}")
            for cat, f in report.f1_by_category.items()]
    if report.adversarial_accuracy is not None:
        cat = "5 adversarial"
        rows.append((cat + " (accuracy)", str(report.questions_by_category.get(cat, 0)),
                     f"{report.adversarial_accuracy:.3f}"))
    return rows


__all__ = ["AnswerReport", "QA", "adversarial_right", "evaluate_answers", "format_rows",
           "judge", "load_qa", "normalize_answer", "token_f1"]
