"""Fact families for the robustness evaluation: memory QA on strings of one particular kind.

Each family is a generator `(rng, n) -> list[Fact]` written independently of the training
generator (`tasks.make_facts`), to find the kinds of strings the model cannot yet read from
memory: other scripts, emoji, values longer than training's (up to 64 bytes), names that
differ only in their last characters or digits, all capitals, and so on. Some families overlap
the training mix (it contains other scripts and long values); `very-long-values` does not
(65-120 bytes), and shows where copying stops. `memos model eval --task robustness` reports
exact match per family; `--style FAMILY` evaluates one.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from memos.model import tasks
from memos.model.tasks import Fact

_CJK = (0x4E00, 0x9FFF)
_EMOJI = "\U0001F600\U0001F389\U0001F680\U0001F31F\U0001F355\U0001F40D\U0001F525\U0001F4A1\U0001F3B5\U0001F308"
_LOWER = "abcdefghijklmnopqrstuvwxyz"


def _letters(rng: random.Random, lo: int = 3, hi: int = 8) -> str:
    return "".join(rng.choice(_LOWER) for _ in range(rng.randint(lo, hi)))


def _cjk(rng: random.Random, lo: int, hi: int) -> str:
    return "".join(chr(rng.randint(*_CJK)) for _ in range(rng.randint(lo, hi)))


def _words_to(rng: random.Random, lo: int, hi: int) -> str:
    """Lower-case words joined by spaces, cut to lo..hi bytes at a word boundary."""
    limit = rng.randint(lo, hi)
    text = _letters(rng)
    while len(text) < limit:
        text += " " + _letters(rng)
    return text[:limit].rstrip()


def _family(
    subject: Callable[[random.Random], str],
    attribute: Callable[[random.Random], str],
    value: Callable[[random.Random], str],
    per_subject: int = 3,
    n_attributes: int | None = None,
) -> Callable[[random.Random, int], list[Fact]]:
    def make(rng: random.Random, n: int) -> list[Fact]:
        subjects = tasks.distinct(-(-n // per_subject), lambda: subject(rng))
        attributes = tasks.distinct(n_attributes or per_subject + 2, lambda: attribute(rng))
        return tasks.bind_facts(rng, n, subjects, attributes, per_subject, lambda s, a: value(rng))

    return make


def _cap(rng: random.Random) -> str:
    return _letters(rng).capitalize()


FAMILIES: dict[str, Callable[[random.Random, int], list[Fact]]] = {
    "cjk-values": _family(_cap, _letters, lambda r: _cjk(r, 1, 6)),
    "emoji-values": _family(_cap, _letters, lambda r: _letters(r, 2, 5) + r.choice(_EMOJI)),
    "cjk-subjects": _family(lambda r: _cjk(r, 2, 4), _letters, _letters),
    "long-values": _family(_cap, _letters, lambda r: _words_to(r, 33, 64)),
    "very-long-values": _family(_cap, _letters, lambda r: _words_to(r, 65, 120)),
    "long-subjects": _family(lambda r: " ".join(_cap(r) for _ in range(4)), _letters, _letters),
    "digits": _family(lambda r: f"User{r.randint(0, 99999)}", lambda r: f"code {r.randint(0, 99)}",
                      lambda r: str(r.randint(0, 10**12))),
    "prefix-subjects": _family(lambda r: "Ann" + _letters(r, 1, 3), _letters, _letters),
    "shared-values": _family(_cap, _letters, lambda r: r.choice(["red", "blue", "green", "7", "Paris"])),
    "many-attributes": _family(_cap, _letters, _letters, per_subject=8, n_attributes=10),
    "phrase-values": _family(_cap, _letters, lambda r: f"the {_letters(r)} of {_cap(r)} and {_letters(r)}"),
    "all-caps": _family(lambda r: _letters(r).upper(), lambda r: _letters(r).upper(), lambda r: _letters(r).upper()),
}

# Every style `memos model eval --style` accepts: the training kind of strings, the held-out
# realistic people, and the families above.
STYLES: dict[str, Callable[[random.Random, int], list[Fact]]] = {**tasks.FACT_STYLES, **FAMILIES}
