"""De-duplication on the write path (DESIGN.md, write path): pure decisions, no I/O.

The store gathers the evidence (cubes with the same content hash in the scope, nearest
vectors with their cosine) and these functions say what to do with a new cube.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

Action = Literal["added", "duplicate", "merged"]


# -- what a text says that another does not -------------------------------------------------
#
# A near-duplicate merge folds the new text into an existing cube, where it survives only as
# provenance: whatever the new text says that the old one does not is no longer findable.
# Embedding similarity cannot see that ("Elena ... 23 October 2017" and "Kenji ... 14 May 2021"
# are 0.95 apart with MiniLM), so a merge also needs the text test below: every token of the new
# text that carries information must already be in the old text. Ordinary lowercase words may
# differ (a paraphrase: "called" for "named"); names, numbers, dates, identifiers, quoted text,
# addresses, words outside ASCII and negations may not. When in doubt a token counts as
# information: a needless extra cube costs little, a lost fact is what users cannot forgive.

# Emails and URLs first (whole), then numbers with their inner separators (3.5, 1,000,
# 2021-05-14, 10:30, 14/05/2021), then words (with inner apostrophes: Bob's, don't).
_TOKEN = re.compile(
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
    r"|(?:https?://|www\.)[^\s<>\"'`]*[^\s<>\"'`.,;:!?)\]]"
    r"|[@#]?\d+(?:[.,:/-]\d+)*(?:\w*)"
    r"|[@#]?\w+(?:['\u2019]\w+)*",
    re.UNICODE)
_QUOTED = re.compile(r'"([^"]+)"|\u201c([^\u201d]+)\u201d|\u2018([^\u2019]+)\u2019|`([^`]+)`'
                     r'|\u00ab([^\u00bb]+)\u00bb|\u300c([^\u300d]+)\u300d')
# Function words: capitalised at the start of a sentence they still say nothing.
_FUNCTION_WORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before
being below between both but by can could did do does doing down during each few for from
further had has have having he her here hers herself him himself his how i if in into is it
its itself just me more most my myself of off on once only or other our ours ourselves out
over own same she should so some such than that the their theirs them themselves then there
these they this those through to too under until up very was we were what when where which
while who whom why will with would you your yours yourself yourselves oh ok okay yes yeah
hi hey hello thanks thank well really wow great
""".split())
# Words that change what a sentence means although they are lowercase and short.
_NEGATIONS = frozenset("not no never nor none nobody nothing neither nowhere without cannot "
                       "can't won't don't doesn't didn't isn't aren't wasn't weren't haven't "
                       "hasn't hadn't shouldn't wouldn't couldn't mustn't n't".split())
_NUMBER_WORDS = frozenset("""
zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen
sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety
hundred thousand million billion trillion dozen half quarter once twice thrice first second
third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth last next
""".split())
_CALENDAR_WORDS = frozenset("""
january february march april may june july august september october november december
jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday
saturday sunday mon tue tues wed thu thur thurs fri sat sun today tomorrow yesterday tonight
morning afternoon evening night noon midnight am pm spring summer autumn fall winter weekend
""".split())


def _fold(token: str) -> str:
    """Compare tokens case-blind and in one Unicode form (NFKC), curly apostrophes straight."""
    return unicodedata.normalize("NFKC", token).casefold().replace("\u2019", "'")


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(unicodedata.normalize("NFC", text))


def _informative(token: str) -> bool:
    folded = _fold(token)
    if folded in _NEGATIONS or folded in _NUMBER_WORDS or folded in _CALENDAR_WORDS:
        return True
    if not token.isascii() or token[0] in "@#" or "@" in token or "://" in token:
        return True  # names in other scripts, handles, tags, emails, URLs
    if any(ch.isdigit() for ch in token):
        return True  # numbers, dates, times, amounts, identifiers (A3, v2, ID-4421)
    if folded.startswith("www."):
        return True
    if any(ch.isupper() for ch in token):  # names, acronyms, iPhone; not a capitalised "The"
        return folded not in _FUNCTION_WORDS
    return False


def new_information(new_text: str, old_text: str) -> list[str]:
    """The tokens of `new_text` that carry information the old text does not hold.

    Tokens carrying information: words with a capital letter (names, places, acronyms) other
    than function words, anything with a digit (numbers, dates, times, amounts, ids), month,
    weekday and other calendar words, number words, negations, emails, URLs, handles and tags,
    words outside ASCII, and every word of quoted text. Matching is case-blind and in NFKC.
    They must occur in the old text in the same order, each as often: "ordered 1 on 1 May"
    says something that "ordered 2 on 1 May" does not, although every token is in it, and so
    does "Bob paid Alice" next to "Alice paid Bob". Other words (not function words) that the
    old text holds must keep their order among themselves: "from coffee to tea" is no
    restatement of "from tea to coffee", and the word out of place ("tea") is listed. The
    cost: a restatement in another order ("the dog was adopted by Bob", "swimming and
    hiking") is a cube of its own, which loses nothing. An empty list means the new text
    adds nothing a reader of the old text would miss.
    """
    where: dict[str, list[int]] = {}  # folded old token -> its positions, ascending
    plain: dict[str, list[int]] = {}  # ... of the old text's ordinary words only
    for i, t in enumerate(_tokens(old_text)):
        folded = _fold(t)
        where.setdefault(folded, []).append(i)
        if not _informative(t):
            plain.setdefault(folded, []).append(i)
        if "'" in folded:  # "Bob's" names Bob too
            where.setdefault(folded.split("'")[0], []).append(i)
    # Quoted text is said verbatim: every word of it counts, lowercase ones too.
    quoted = {_fold(t) for m in _QUOTED.finditer(new_text) for g in m.groups() if g
              for t in _tokens(g)}
    missing: list[str] = []
    pos = 0  # old tokens before `pos` are used up by earlier matches
    plain_pos = 0  # the same, for ordinary words
    for token in _tokens(new_text):
        folded = _fold(token)
        if folded not in quoted and not _informative(token):
            # An ordinary word may be a paraphrase ("called" for "named") or left out, but a
            # word both texts hold as an ordinary word must keep its place: "switched from
            # tea to coffee" says the opposite of "switched from coffee to tea" (ordinary
            # words keep an order of their own, apart from the informative tokens'; a word
            # capitalised in one text only, "Blue is ..." / "... is blue", is not ordered).
            spots = plain.get(folded, [])
            if folded not in _FUNCTION_WORDS and spots:
                k = bisect.bisect_left(spots, plain_pos)
                if k == len(spots):
                    missing.append(token)
                else:
                    plain_pos = spots[k] + 1
            continue
        spots = where.get(folded, [])
        k = bisect.bisect_left(spots, pos)
        if k == len(spots):
            missing.append(token)
        else:
            pos = spots[k] + 1
    return missing


def adds_nothing(new_text: str, old_text: str) -> bool:
    """True when folding `new_text` into a cube holding `old_text` loses no fact."""
    return not new_information(new_text, old_text)


@dataclass(frozen=True)
class DedupDecision:
    action: Action
    target_id: str | None = None  # the existing cube that absorbs the new one
    similarity: float | None = None


def decide_dedup(exact_ids: Sequence[str], near: Sequence[tuple[str, float]],
                 threshold: float | None, new_text: str | None = None,
                 near_texts: Mapping[str, str] | None = None) -> DedupDecision:
    """Exact hash match wins; else the most similar cube at or above `threshold` merges.

    `exact_ids` are live cubes of the same owner with the same normalised content hash (oldest
    first); `near` are (cube id, cosine) of live cubes of the same owner, in any order.
    `threshold=None` turns near-duplicate merging off. When `new_text` is given, a near cube
    can absorb it only if its text (`near_texts[id]`; a cube without text there cannot) already
    says everything the new text says (`adds_nothing`); the most similar such cube wins.
    """
    if exact_ids:
        return DedupDecision("duplicate", exact_ids[0], 1.0)
    if threshold is None:
        return DedupDecision("added")
    above = sorted((pair for pair in near if pair[1] >= threshold),
                   key=lambda pair: (pair[1], pair[0]), reverse=True)
    for cube_id, sim in above:
        if new_text is not None:
            old_text = (near_texts or {}).get(cube_id)
            if old_text is None or not adds_nothing(new_text, old_text):
                continue
        return DedupDecision("merged", cube_id, float(sim))
    return DedupDecision("added")


@dataclass(frozen=True)
class MergedFields:
    tags: list[str]
    metadata: dict[str, Any]
    importance: float
    confidence: float


def merge_fields(old_tags: Sequence[str], new_tags: Sequence[str],
                 old_meta: Mapping[str, Any], new_meta: Mapping[str, Any],
                 old_importance: float, new_importance: float,
                 old_confidence: float, new_confidence: float) -> MergedFields:
    """Union of tags (old order first), metadata (old values win: the kept cube's facts stay
    as they were), and the larger importance and confidence: seeing a memory twice is
    evidence that it matters."""
    metadata = dict(new_meta)
    metadata.update(old_meta)
    return MergedFields(
        tags=list(dict.fromkeys([*old_tags, *new_tags])),
        metadata=metadata,
        importance=max(old_importance, new_importance),
        confidence=max(old_confidence, new_confidence),
    )
