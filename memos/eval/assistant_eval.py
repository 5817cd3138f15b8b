"""`memos eval assistant`: accuracy of `Assistant.reply` on multi-session scenarios.

The scenarios (memos/eval/data/assistant_scenarios.json, written for memos) are
conversations over several sessions — corrections, dates, several people, two users — with
questions and their expected answers. Each scenario runs in a fresh store; every session
(and the final questions) opens the store again with a new `Assistant`, as a new process
would, and ends with `end_session`. A reply is right when its normalised text contains the
normalised expected value and none of the scenario's wrong values (an old address after a
move, another user's city).
"""

from __future__ import annotations

import json
import re
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from memos.errors import InvalidInputError

SCENARIOS_PATH = Path(__file__).with_name("data") / "assistant_scenarios.json"
# Suites written by a second author from the public docs alone (docs/RESULTS.md has their
# first, blind scores), by the name `--scenarios` takes.
SHIPPED_SUITES = {"blind-a": SCENARIOS_PATH.with_name("assistant_blind_a.json"),
                  "blind-b": SCENARIOS_PATH.with_name("assistant_blind_b.json"),
                  "blind-c": SCENARIOS_PATH.with_name("assistant_blind_c.json"),
                  "blind-d": SCENARIOS_PATH.with_name("assistant_blind_d.json"),
                  "blind-e": SCENARIOS_PATH.with_name("assistant_blind_e.json"),
                  "blind-f": SCENARIOS_PATH.with_name("assistant_blind_f.json")}
ProgressFn = Callable[[int, int | None], None]


class Session(BaseModel):
    user: str
    at: datetime
    turns: list[str] = Field(min_length=1)


class Question(BaseModel):
    user: str
    at: datetime
    ask: str
    expect: str | None = None
    not_: list[str] = Field(default_factory=list, alias="not")


class Scenario(BaseModel):
    name: str
    tags: list[str] = Field(default_factory=list)
    sessions: list[Session] = Field(min_length=1)
    questions: list[Question] = Field(min_length=1)


def load_scenarios(path: str | Path | None = None) -> list[Scenario]:
    """The scenarios of `path` (default: the suite shipped with memos; "blind-a" ...
    "blind-f": the suites written blind, SHIPPED_SUITES)."""
    p = (SCENARIOS_PATH if path is None else SHIPPED_SUITES[str(path)]
         if str(path) in SHIPPED_SUITES else Path(path))
    shape = (f'a JSON object {{"scenarios": [...]}} holding at least one scenario, each with '
             f'"name", "sessions" and "questions" (the shipped {SCENARIOS_PATH} is one)')
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidInputError(f"scenario file not found: {p}") from None
    except IsADirectoryError:
        raise InvalidInputError(f"{p} is a folder; pass a scenario file: {shape}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"{p} is not a JSON file ({exc}); a scenario file is "
                                f"{shape}") from None
    if not isinstance(data, dict) or not isinstance(data.get("scenarios"), list):
        names = {list: "a list", str: "a string", bool: "true or false", type(None): "null"}
        got = ('an object without a "scenarios" list' if isinstance(data, dict)
               else names.get(type(data), "a number"))
        raise InvalidInputError(f"{p} is not a scenario file: expected {shape}; got {got}")
    if not data["scenarios"]:
        raise InvalidInputError(f"{p} holds no scenarios: expected {shape}")
    scenarios = []
    for number, item in enumerate(data["scenarios"], start=1):
        try:
            scenarios.append(Scenario.model_validate(item))
        except ValidationError as exc:
            problem = exc.errors()[0]
            where = ".".join(str(part) for part in problem["loc"]) or "itself"
            raise InvalidInputError(f"{p} is not a scenario file: scenario {number}, "
                                    f"{where}: {problem['msg']} ({exc.error_count()} "
                                    f"problem(s)); expected {shape}") from None
    return scenarios


def normalize(text: str) -> str:
    """Lower case, punctuation dropped (but not inside numbers: "+44", "221B"), one space."""
    text = text.lower().replace("’", "'")
    text = re.sub(r"[^\w@+\s]", " ", text)
    return " ".join(text.split())


def is_right(reply: str, expect: str | None, wrong: list[str]) -> bool:
    got = f" {normalize(reply)} "
    if expect is not None and f" {normalize(expect)} " not in got:
        return False
    return not any(f" {normalize(w)} " in got for w in wrong)


@dataclass
class Outcome:
    scenario: str
    tags: list[str]
    user: str
    ask: str
    expect: str | None
    wrong: list[str]
    reply: str
    backend: str
    right: bool
    seconds: float


@dataclass
class AssistantEvalReport:
    backend: str
    scenarios: int
    questions: int
    accuracy: float
    by_tag: dict[str, float]
    by_backend: dict[str, dict[str, float]]  # backend used -> {questions, accuracy}
    reply_ms: dict[str, float]
    outcomes: list[Outcome] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"backend": self.backend, "scenarios": self.scenarios,
                "questions": self.questions, "accuracy": self.accuracy, "by_tag": self.by_tag,
                "by_backend": self.by_backend, "reply_ms": self.reply_ms,
                "outcomes": [o.__dict__ for o in self.outcomes]}


def run_scenarios(scenarios: list[Scenario], *, backend: str = "auto",
                  embedder: str = "hashing", end_sessions: bool = True,
                  progress: ProgressFn | None = None) -> AssistantEvalReport:
    """Play every scenario in its own temporary store and score the answers."""
    from memos.assistant import Assistant
    from memos.facade import MemOS

    total = sum(len(s.questions) + sum(len(x.turns) for x in s.sessions) for s in scenarios)
    done = 0
    outcomes: list[Outcome] = []
    for sc in scenarios:
        with tempfile.TemporaryDirectory(prefix="memos-assistant-eval-") as tmp:
            for session in sc.sessions:
                with MemOS.open(Path(tmp) / "store", embedder=embedder) as mem:
                    bot = Assistant(mem, session.user, backend=backend)  # type: ignore[arg-type]
                    for i, turn in enumerate(session.turns):
                        bot.reply(turn, at=_later(session.at, i))
                        done += 1
                        if progress:
                            progress(done, total)
                    if end_sessions:
                        bot.end_session()
            bots: dict[str, Any] = {}
            with MemOS.open(Path(tmp) / "store", embedder=embedder) as mem:
                for q in sc.questions:
                    bot = bots.setdefault(q.user, Assistant(mem, q.user, backend=backend))  # type: ignore[arg-type]
                    start = time.perf_counter()
                    reply = bot.reply(q.ask, at=q.at)
                    outcomes.append(Outcome(sc.name, sc.tags, q.user, q.ask, q.expect, q.not_,
                                            reply.text, reply.backend,
                                            is_right(reply.text, q.expect, q.not_),
                                            time.perf_counter() - start))
                    done += 1
                    if progress:
                        progress(done, total)
    if not outcomes:
        raise InvalidInputError("the scenario file has no questions")
    return _report(backend, len(scenarios), outcomes)


def _later(at: datetime, i: int) -> datetime:
    from datetime import timedelta

    return at + timedelta(seconds=30 * i)


def _report(backend: str, n_scenarios: int, outcomes: list[Outcome]) -> AssistantEvalReport:
    def acc(rows: list[Outcome]) -> float:
        return round(sum(o.right for o in rows) / len(rows), 4)

    tags = sorted({t for o in outcomes for t in o.tags})
    used = Counter(o.backend for o in outcomes)
    times = sorted(o.seconds * 1000 for o in outcomes)
    return AssistantEvalReport(
        backend=backend, scenarios=n_scenarios, questions=len(outcomes), accuracy=acc(outcomes),
        by_tag={t: acc([o for o in outcomes if t in o.tags]) for t in tags},
        by_backend={b: {"questions": n, "accuracy": acc([o for o in outcomes if o.backend == b])}
                    for b, n in sorted(used.items())},
        reply_ms={"p50": round(times[len(times) // 2], 1), "max": round(times[-1], 1)},
        outcomes=outcomes)


def evaluate_assistant(path: str | Path | None = None, *, backend: str = "auto",
                       embedder: str = "hashing", first: int | None = None,
                       progress: ProgressFn | None = None) -> AssistantEvalReport:
    """`memos eval assistant`: the shipped scenarios (or `path`; the `first` N only) through
    `Assistant.reply`."""
    from memos.assistant import BACKENDS
    from memos.eval.locomo import _one_torch_thread

    if backend not in BACKENDS:
        raise InvalidInputError(f"backend must be one of {', '.join(BACKENDS)}")
    scenarios = load_scenarios(path)  # a bad file fails before torch loads
    scenarios = scenarios[:first] if first else scenarios
    with _one_torch_thread(load=True):  # one question at a time: one thread does it
        return run_scenarios(scenarios, backend=backend, embedder=embedder, progress=progress)


__all__ = ["AssistantEvalReport", "Outcome", "Scenario", "evaluate_assistant", "is_right",
           "load_scenarios", "normalize", "run_scenarios"]
