"""`memos.Assistant`: a personal assistant that remembers one user across sessions.

Each `reply(text)` retrieves the user's memories (`MemOS.search`), answers with one backend,
and then writes the turn through MemReader (`MemOS.ingest`: the user's words become an
episode plus the facts they state, the reply an episode). `end_session()` writes a summary
cube and saves the session's state in the activation tier (`MemOS.save_session`).

Backends (docs/ASSISTANT.md):

- ``model``: the built-in model answers a question about one stored fact from the fact's
  pre-encoded slots (`MemOS.answer`); the question is first mapped to the canonical
  "What is <subject>'s <attribute>?" (`memos.reader.questions.canonical_question`).
- ``extractive``: offline, for everything else: the best memories with their dates
  ("On 3 March 2026 you said: ..."); a turn whose fact has ended since (a later turn negated
  it, a later value replaced it, its valid_to passed) is quoted with what ended it ("Later,
  on 12 May 2026, you said: I left Acme."), never as if it still held. The llm backend's
  memory block marks such memories the same way. A question about one fact that no fact
  answers quotes only a turn that speaks of its attribute and subject (`_relevant`), else
  says nothing is remembered about it ("I don't have anything about that yet.").
- ``llm``: an OpenAI-compatible endpoint ($MEMOS_LLM_URL, $MEMOS_LLM_MODEL, $MEMOS_LLM_KEY)
  given the memories in a compact, dated, de-duplicated block; tokens stream to a callback.
- ``auto``: llm when configured; else model when the question names one stored fact whose
  value is of a kind the model reads reliably (`model_value_problem`, from the model's own
  measurements in `memos.model.values`); else extractive.

"forget my address" forgets every cube that holds the address (facts, their superseded
versions, the turns that stated it, summaries and transcripts), through `MemOS.forget`,
which also forgets what was derived from them in the other tiers.
"""

from __future__ import annotations

import calendar
import functools
import json
import logging
import os
import re
import secrets
import shlex
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from memos.arguments import check_arguments
from memos.cube import (
    MAX_CONTENT_BYTES,
    MAX_USED,
    Kind,
    MemCube,
    Scope,
    as_utc,
    check_seconds,
    check_stored_text,
    ended_by,
    is_blank,
    normalize_id,
    utcnow,
    without_controls,
    without_speaker,
)
from memos.errors import ConflictError, InvalidInputError, ModelError, NotFoundError, ScopeError

if TYPE_CHECKING:
    from memos.activation import SavedSession
    from memos.facade import MemOS
    from memos.reader.dates import DateMention
    from memos.reader.questions import CanonicalQuestion, StatedCount
    from memos.results import IngestReport, SearchHit

log = logging.getLogger(__name__)

Backend = Literal["auto", "model", "extractive", "llm"]
BACKENDS: tuple[str, ...] = ("auto", "model", "extractive", "llm")
TokenFn = Callable[[str], None]

SEARCH_K = 8  # memories retrieved per turn
MODEL_K = 4  # memories the model reads (the fact asked about ranks first)
EXTRACTIVE_MAX = 2  # memories an extractive reply quotes at most
# Kinds of relative that group distinct people (`memos.reader.questions.KIN_GROUPS`): "my
# pet's name" of a dog and a cat is both; "my spouse's name" is of one person however stored
_DISTINCT_KINDS = frozenset({"pet", "sibling", "child", "kid", "parent", "grandparent",
                             "grandchild"})
CLOSE_SCORE = 0.8  # ... the second only when its score is this close to the best one's
QUESTION_SCORE = 0.7  # a turn that asks ranks as if its score were this much lower
CONTEXT_WORDS = 300  # word budget of the llm backend's memory block
HISTORY_TURNS = 6  # earlier turns of this session the llm backend sees
SUMMARY_TAG = "session-summary"
MAX_TURN_CHARS = 20_000
MAX_ANSWER_CHARS = MAX_TURN_CHARS  # an LLM answer longer than a turn may be is cut there
ENDS_K = 16  # facts read from one quoted turn that are looked at for an end
END_CHAIN = 64  # replacements followed from an ended fact to the value now
HISTORY_MAX = 12  # values "where have I lived?" lists at most (the newest)
LIST_MAX = 12  # values of a many-valued attribute ("what am I allergic to?") listed at most
DATE_MATCH = 2.0  # score factor of a turn whose own date is one the question names
DATE_MISS = 0.5  # ... and of one whose dates are all others (`_date_fit`)
ABOUT_K = 64  # the user's facts "what do you know about me?" reads
ABOUT_MAX = 12  # ... and lists at most (the oldest; the others are counted)
WHO_K = 16  # the facts "Who is Sam?" looks through
WHO_MAX = 4  # ... and says of Sam at most
# "Who is Sam?", "who's Ana", "Who was Dr. Mensah?": a person the user named
_WHO_IS = re.compile(r"^(?i:who(?:'s|’s|\s+is|\s+was))\s+(?P<name>(?:(?:Dr|Mr|Mrs|Ms|Prof)\.?\s+)?"
                     r"[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)?)\s*\??$")
# "Who is my ex?", "what's my ex-wife's name?", "who was my ex boyfriend?": the partners
# whose tie ended (`Assistant._exes`)
_EX_ASKED = re.compile(
    r"^(?:who(?:'s|’s|\s+is|\s+was)|what(?:'s|’s|\s+is|\s+was))\s+my\s+(?:last\s+|previous\s+)?"
    r"ex(?:[-\s]?(?P<rel>boyfriend|girlfriend|husband|wife|partner|fianc[ée]e?|spouse))?"
    r"(?:['’]s\s+name)?\s*\??$", re.I)
# "How long have I lived in Hamburg?", "... worked at Siemens?", "since when do I live in
# Hamburg?": when the value that holds began (`Assistant._how_long`)
_HOW_LONG = re.compile(
    r"^(?:how\s+long\s+have\s+I\s+(?P<live>lived|been\s+living)(?:\s+in\s+(?P<place>[^?]+?)|"
    r"\s+here|\s+there)?|how\s+long\s+have\s+I\s+(?:worked|been\s+working|been)\s+(?:at|for)\s+"
    r"(?P<org>[^?]+?)|since\s+when\s+(?:have\s+I\s+lived|do\s+I\s+live|have\s+I\s+been\s+living)"
    r"\s+in\s+(?P<place2>[^?]+?)"
    # a value that ended: "how long did I live in Paris?", "... work at Acme?"
    r"|how\s+long\s+did\s+I\s+(?:(?P<lived>live|stay)\s+in\s+(?P<place3>[^?]+?)|work\s+(?:at|for)\s+"
    r"(?P<org2>[^?]+?))"
    # a partner: "how long have I been married / together / engaged?"
    r"|how\s+long\s+have\s+(?:I|we)\s+been\s+(?P<tie>married|together|engaged|dating|going\s+out)"
    # a job, a pet or a relative: "how long have I been a nurse?", "... had my dog?"
    r"|how\s+long\s+have\s+I\s+(?:been\s+(?:an?\s+)?(?P<job>[a-z][a-z -]{1,40}?)|"
    r"had\s+(?:my|our)\s+(?P<kin>[a-z]+))"
    r")\s*\??$", re.I)
# Relations one person may be told by either name of ("my manager is Karen" / "who is my
# boss?")
_SAME_ROLE = {"boss": "manager", "manager": "boss"}
_WHO_AM_I = re.compile(r"^\s*who\s+am\s+i\s*[?!.]*\s*$", re.I)
# The partners a "how long have I been married / engaged / together?" asks of
_TIES_ASKED = {"married": ("husband", "wife", "spouse"), "engaged": ("fiancé",),
               "together": ("partner", "boyfriend", "girlfriend", "husband", "wife", "spouse",
                            "fiancé")}
_NOT_SOMEONE = frozenset({"i", "it", "this", "that", "he", "she", "they", "we", "you",
                          "there", "here", "what", "who"})
COUNT_K = 16  # the user's turns looked through for a count they stated ("I have two kids")
FAVORITES_K = 32  # the user's facts looked through for favourites of a kind of like

def model_value_problem(value: str) -> str | None:
    """None when the built-in model reads values like `value` reliably, else why not (auto
    then answers extractively). The rule and its numbers are the model's own
    (`memos.model.values`: exact match per kind of value, measured on the shipped checkpoint
    by `memos model eval --task robustness`, at least 0.95 to answer)."""
    from memos.model import values

    if values.model_can_answer(value):
        return None
    kind = values.value_kind(value)
    if kind in ("empty", "too-long") or "\n" in value:
        return f"the model cannot hold this value ({kind})"
    if value.strip().endswith("."):
        return "the value ends with a period, where the model's answer stops"
    measured = values.MEASURED.get(kind, 0.0)
    return (f"the model answers {kind} values exactly in {measured:.0%} of measured cases "
            f"(below {values.THRESHOLD:.0%})")


@dataclass
class LLMConfig:
    """An OpenAI-compatible chat endpoint (Ollama, vLLM, llama.cpp's server, hosted APIs)."""

    url: str
    model: str
    key: str | None = None
    timeout: float = 120.0  # seconds to connect, and between two reads of the answer
    deadline: float = 300.0  # seconds a request may take in all ($MEMOS_LLM_DEADLINE)

    def __post_init__(self) -> None:
        from memos.reader.llm import check_endpoint_url

        check_endpoint_url(self.url, "LLMConfig url")
        check_seconds(self.timeout, "LLMConfig timeout")
        check_seconds(self.deadline, "LLMConfig deadline")
        if not isinstance(self.model, str) or not self.model.strip():
            raise InvalidInputError(f"LLMConfig model must be the name of a model the "
                                    f"endpoint serves, got {self.model!r:.40}")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> LLMConfig | None:
        """$MEMOS_LLM_URL / $MEMOS_LLM_MODEL / $MEMOS_LLM_KEY / $MEMOS_LLM_DEADLINE, or None
        when no URL is set."""
        env = os.environ if env is None else env
        url = (env.get("MEMOS_LLM_URL") or "").strip()
        if not url:
            return None
        from memos.reader.llm import check_endpoint_url

        url = check_endpoint_url(url, "MEMOS_LLM_URL")
        model = (env.get("MEMOS_LLM_MODEL") or "").strip()
        if not model:
            raise InvalidInputError("MEMOS_LLM_URL is set but MEMOS_LLM_MODEL is not: set it to "
                                    "the model name the endpoint serves (e.g. llama3.1:8b)")
        from memos.reader.llm import deadline_from_env

        return cls(url=url, model=model, key=(env.get("MEMOS_LLM_KEY") or None),
                   deadline=deadline_from_env(env))


@dataclass
class MemoryUsed:
    """One memory a reply used, and why it was used."""

    id: str
    content: str
    kind: str
    score: float  # the search score (0 when the memory was not found by search)
    why: str  # the retrievers that found it ("dense#1 fulltext#2"), or how it was used
    at: datetime | None  # when it was said or became true


@dataclass
class Reply:
    """What `Assistant.reply` returns."""

    text: str
    backend: str  # the backend that answered: model | extractive | llm | forget
    memories: list[MemoryUsed]
    seconds: dict[str, float]  # retrieve, answer, ingest, total
    session_id: str
    route: str = ""  # why auto chose this backend
    question: str | None = None  # the canonical question, when the text mapped to one
    forgotten: list[str] = field(default_factory=list)  # cube ids, for a forget request
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "backend": self.backend, "route": self.route,
                "question": self.question, "session_id": self.session_id,
                "seconds": {k: round(v, 4) for k, v in self.seconds.items()},
                "forgotten": self.forgotten, "notes": self.notes,
                "memories": [{"id": m.id, "content": m.content, "kind": m.kind,
                              "score": round(m.score, 4), "why": m.why,
                              "at": m.at.isoformat() if m.at else None}
                             for m in self.memories]}


@dataclass
class SessionEnd:
    """What `Assistant.end_session` returns. None fields: the session had no turns or the
    assistant does not learn; `saved` alone None: the transcript was changed or erased while
    the model read it, so no state was kept."""

    session_id: str
    turns: int
    summary_id: str | None
    saved: SavedSession | None


@dataclass
class _Turn:
    role: str
    text: str
    at: datetime
    episode: str | None = None  # the episode cube holding its words (None: not learned)


def date_text(when: date | datetime | None) -> str:
    """'3 March 2026' (the day as people say it)."""
    if when is None:
        return ""
    return f"{when.day} {when:%B %Y}"


def _when(cube: MemCube) -> datetime | None:
    if cube.valid_from is not None:
        return cube.valid_from
    for src in cube.sources:
        if src.at is not None:
            return src.at
    return cube.recorded_at


def _began(cube: MemCube) -> tuple[datetime, datetime]:
    """A fact's order in time: when it began to hold (else when it was recorded), then when
    it was recorded; zone-aware, so naive and aware times compare."""
    return as_utc(_when(cube) or cube.recorded_at), as_utc(cube.recorded_at)


def _ended(cube: MemCube, now: datetime | None = None) -> bool:
    """Whether a fact no longer holds: superseded (a later value replaced it, or a later turn
    ended it: the reader supersedes a negated fact by the turn that negated it) or past its
    `valid_to` (an end set by `MemOS.update`)."""
    return cube.state.value == "superseded" or ended_by(cube.valid_to, now or utcnow())


def _not_begun(cube: MemCube, now: datetime | None = None) -> bool:
    """Whether a fact is a change told before it takes effect: set to begin after it was said
    and after `now` (the time asked; a turn dated ahead of the clock that states what holds
    then is no such change)."""
    from memos.writes import begins_later

    return begins_later(cube, now or utcnow())


def _ended_at(cube: MemCube) -> datetime:
    """When a fact ended (else when it was recorded), zone-aware."""
    return as_utc(cube.valid_to or cube.recorded_at)


def _tie_kind(word: str | None) -> str:
    """A partner relation as the reader writes it ("fiancée" -> "fiancé")."""
    low = (word or "").lower()
    return "fiancé" if low.startswith("fianc") else low


def _never_held(cube: MemCube) -> bool:
    """Whether a fact's interval is empty: it ended where it began (a value corrected at
    once, "I live in Paris." / "Sorry, I meant Lyon"; one set to begin later and replaced
    before it began)."""
    return cube.valid_from is not None and cube.valid_to is not None and \
        as_utc(cube.valid_to) <= as_utc(cube.valid_from)


def _ended_note(cube: MemCube, ended: Sequence[MemCube]) -> str:
    """What the llm backend's memory block adds to a memory whose facts ended: " (no longer
    true since 2026-05-12)" for a fact itself; for a turn, which of its facts ended (the
    others it states may still hold): " (since 2026-05-12 no longer true: Alice's employer
    is Acme)"."""
    if not ended:
        return ""
    if cube.kind != Kind.EPISODE:
        end = cube.valid_to
        return f" (no longer true since {end.date().isoformat()})" if end else " (no longer true)"
    parts = []
    for fact in ended:
        what = fact.content.strip().rstrip(".")
        parts.append(f"since {fact.valid_to.date().isoformat()} no longer true: {what}"
                     if fact.valid_to else f"no longer true: {what}")
    return f" ({'; '.join(parts)})"


# The user's words as the assistant says them back, both ways in one pass: "what I told you
# about Tom" -> "what you told me about Tom"
_PERSON_WORDS = re.compile(
    r"\b(?:(?i:I\s+am|I\s+was|I['’]m|I['’]ve|I)|[Mm]y|[Mm]e|[Mm]ine|[Mm]yself|[Yy]ou['’]re|"
    r"[Yy]ou|[Yy]our|[Yy]ours)\b")
# After "you", a verb of which "you" is the subject ("what you told me"): "I", else "me"
_YOU_DID = re.compile(r"\s+(?:said|told|know|knew|think|thought|mentioned|wrote|asked|saw)\b")
_SWAPPED = {"i am": "you are", "i was": "you were", "i'm": "you're", "i've": "you've",
            "i": "you", "my": "your", "me": "you", "mine": "yours", "myself": "yourself",
            "you're": "I'm", "your": "my", "yours": "mine"}


def _to_you(words: str) -> str:
    """The user's words about themselves as the assistant says them back: "where I live" ->
    "where you live", "my address" -> "your address", "what I told you" -> "what you told
    me"."""
    def swap(m: re.Match[str]) -> str:
        said = " ".join(m.group(0).lower().replace("’", "'").split())
        if said == "you":  # the one who told ("you told me"), else the one told ("me")
            return "I" if _YOU_DID.match(words, m.end()) else "me"
        return _SWAPPED[said]
    return _PERSON_WORDS.sub(swap, words)


# How a saved transcript begins the assistant's turns ("Alice: ..." / "assistant: ...")
ASSISTANT_LINE = "assistant: "
# Words a yes/no question names no value by ("Am I allergic to anything?")
_ANY_VALUE = frozenset("anything something any anyone anybody everything stuff things".split())
# How "You haven't told me whether ..." says an attribute's value (`_not_told`): now (asked
# only of an attribute of many values: `route`), and ever ("Did I ever live in Porto?")
_WHETHER_NOW = {"likes": "you like {}", "dislikes": "you dislike {}",
                "allergy": "you're allergic to {}"}
_WHETHER_EVER = {"likes": "you ever liked {}", "dislikes": "you ever disliked {}",
                 "allergy": "you were ever allergic to {}", "city": "you ever lived in {}",
                 "country": "you ever lived in {}", "employer": "you ever worked at {}",
                 "job": "you were ever a {}"}


def _not_told(attribute: str, value: str, ever: bool) -> str:
    """What a reply says first when the value a yes/no question asks about was never told
    ("Do I like tea?": "You haven't told me whether you like tea."), before the values there
    are: never a "no", which a turn the reader missed could contradict."""
    said = (_WHETHER_EVER.get(attribute, f"your {attribute} was ever {{}}") if ever
            else _WHETHER_NOW.get(attribute, f"your {attribute} is {{}}"))
    return f"You haven't told me whether {said.format(value)}."


def _says_of_user(value: str, text: str) -> bool:
    """Whether `text` says `value` as whole words (`reader.ingest.said_as_words`) in a
    sentence that names no relative ("My son is allergic to eggs" says nothing of the user's
    allergies)."""
    from memos.reader.ingest import said_as_words

    if not value.split():
        return False
    words = said_as_words(value)
    return any(words.search(part) and not _kin_words().search(part)
               for part in re.split(r"(?<=[.!?;])\s+", text))


@functools.cache
def _kin_words() -> re.Pattern[str]:
    """A relation's word ("son", "sisters"), compiled once (the reader's vocabulary is
    imported when first needed)."""
    from memos.reader.vocab import RELATION_RE

    return re.compile(rf"\b(?:{RELATION_RE})s?\b", re.I)


_THANKS = re.compile(r"^\s*(?:thanks?(?:\s+you)?(?:\s+(?:so|very)\s+much)?|thx|ty|cheers|"
                     r"much\s+appreciated)(?:\s+\w+)?\s*[!.,:)]*\s*$", re.I)
_ACK = re.compile(r"^\s*(?:ok(?:ay)?|k|cool|great|nice|got\s+it|sure|alright|all\s+right|"
                  r"sounds\s+good|perfect|good)\s*[!.,:)]*\s*$", re.I)


# A question asked of the assistant itself, not of memory ("how are you today?", "how's it
# going", "what's the weather like?")
_CHAT_ASKED = re.compile(
    r"^\W*(?:(?:hi|hey|hello|ok|so)[,!]?\s+)?(?:(?P<how>how\s+(?:are|r)\s+(?:you|u|ya)(?:\s+(?:doing|"
    r"today|this\s+morning|tonight))*|how['’]?s\s+it\s+going|how\s+is\s+it\s+going|how\s+have\s+you\s+"
    r"been|how['’]?s\s+your\s+day|what['’]?s\s+up|sup)|(?P<weather>what['’]?s\s+the\s+weather(?:\s+like)?"
    r"(?:\s+today)?)|(?P<who>what['’]?s\s+your\s+name|what\s+is\s+your\s+name|who\s+are\s+you|"
    r"what\s+are\s+you))(?:\s+(?:kai|dear|mate|buddy))?" + r"\s*(?:[?!.,)]+\s*)?$", re.I)
# What an earlier conversation was about: "what did we talk about last time?", "remind me
# what I told you yesterday", "what did we discuss in our last chat?"
_TALKED = re.compile(
    r"^\W*(?:(?:so|and|hey|ok|okay|um|hmm)[,.]?\s+)*(?:(?:can|could)\s+you\s+)?"
    r"(?:(?:remind|tell)\s+me\s+)?what\s+(?:(?:did|have|were)\s+)?(?:we|i)\s+(?:been\s+)?"
    r"(?:talk(?:ed|ing)?|chat(?:ted|ting)?|discuss(?:ed|ing)?|spoke|speak(?:ing)?|say|said|"
    r"tell\s+you|told\s+you)(?:\s+about)?\s+"
    r"(?P<when>(?:the\s+)?last\s+time(?:\s+we\s+(?:talked|spoke|chatted))?|"
    r"(?:in|during)\s+(?:our|the)\s+(?:last|previous)\s+(?:chat|conversation|session|talk)|"
    r"yesterday|today|earlier(?:\s+today)?|before|previously)(?:\s+please)?[\s?.!]*$", re.I)
TALKED_MAX = 6  # turns quoted of each kind (told, asked)
# Small talk that states nothing, beyond the bare forms: a greeting with a word of warmth
# ("good morning dear"), thanks that go on ("thank you so much, you're a treasure"), a
# goodbye, praise of the assistant.
_WARM = r"(?:\s+(?:dear|my\s+dear|love|friend|buddy|pal|mate|hun|honey|sweetie|darling|kai))?"
_END = r"\s*(?:[!.,:)]+\s*)?$"  # (not `\s*[!.,:)]*\s*$`: quadratic on a long blank run)
_GREETED = re.compile(r"^\s*(?:good\s+(?:morning|afternoon|evening|day)|morning|hi|hello|hey|"
                      r"hiya|howdy)" + _WARM + _END, re.I)
# what may follow thanks or praise said to the assistant: more of the same ("so much", "a
# lot", "again"), then "you're ..." / "that helps" (not "thanks to my sister I got the job",
# "thank you for nothing, ...": what follows there is news)
_PRAISE = (r"(?:you(?:'re|’re|\s+are)\s+(?:(?:so|really|truly)\s+)?(?:the\s+best|a\s+(?:treasure|"
           r"star|gem|lifesaver|life\s+saver)|amazing|great|wonderful|helpful|awesome))")
_THANKED = re.compile(r"^\s*(?:thanks?|thank\s+you|thx|ty|cheers|much\s+appreciated)"
                      r"(?:\s+(?:so|very)\s+much|\s+a\s+lot|\s+again|\s+kai)?"
                      r"(?:[,!.]*\s*(?:" + _PRAISE + r"|that\s+helps|this\s+helps|"
                      r"that\s+helped))?" + _END, re.I)
_BYE = re.compile(r"^\s*(?:good\s*night|night\s+night|bye|goodbye|bye\s+bye|see\s+you|see\s+ya|"
                  r"talk\s+(?:to\s+you\s+)?(?:later|soon|tomorrow)|ttyl|cya)" + _WARM +
                  r"(?:\s+(?:later|soon|tomorrow|for\s+now))?" + _END, re.I)
_PRAISED = re.compile(r"^\s*" + _PRAISE + r"(?:[,!.]*\s*(?:thanks?|thank\s+you))?" + _END, re.I)


def _small_talk(text: str, name: str) -> str:
    """The reply to a turn that states nothing: a greeting greeted, thanks answered, a
    goodbye said back, an acknowledgement acknowledged, anything else "Noted." (it is
    remembered all the same)."""
    from memos.reader.rules import BARE_GREETING

    if BARE_GREETING.match(text) or _GREETED.match(text):
        return f"Hello, {name}!" if name else "Hello!"
    if _THANKS.match(text) or _THANKED.match(text) or _PRAISED.match(text):
        return "You're welcome."
    if _BYE.match(text):
        said = "Good night" if re.match(r"\s*(?:good\s*)?night", text, re.I) else "Goodbye"
        return f"{said}, {name}!" if name else f"{said}!"
    if _ACK.match(text):
        return "OK."
    return "Noted."


def _past_line(cube: MemCube, said: str | None = None) -> str:
    """An ended fact in the past tense with its end: "Alice's employer was Acme (until 12
    May 2026)"; `said`: the fact as spoken to the user ("Your employer is Acme")."""
    until = _end_text(cube)
    line = (cube.content if said is None else said).rstrip().rstrip(".").replace(
        " is ", " was ", 1)
    if _said_as_past(cube):  # "I used to live in Seville": it had ended by then
        span = _span(cube)
        return f"{line} ({span})" if span else line
    return f"{line} (until {until})" if until else line


def _told_start(cube: MemCube) -> str:
    """When a fact told as the past began, at the precision told: "2015" of "in 2015"
    (`valid_from` 1 January, metadata `began_by` 31 December), "March 2015", a day; "" when
    no time was told."""
    from memos.policies.conflict import BEGAN_BY

    start = cube.valid_from
    if start is None:
        return ""
    try:
        by = datetime.fromisoformat(str(cube.metadata.get(BEGAN_BY))).date()
    except ValueError:
        return date_text(start)
    return _period_shown(start.date(), by)


def _period_shown(day: date, last: date) -> str:
    """A period told as its first and last day, as said: "2015" (1 January to 31
    December), "March 2015" (its first to its last day), else the first day."""
    precision = ("year" if (day.month, day.day, last.month, last.day) == (1, 1, 12, 31)
                 and last.year == day.year else "month" if day.day == 1 and
                 (last.year, last.month) == (day.year, day.month) else
                 "week" if (last - day).days == 6 else
                 "weekend" if (last - day).days == 1 and day.weekday() == 5 else "day")
    return _date_shown(day, precision)


def _held_during(cube: MemCube, during: tuple[date, date, str]) -> bool:
    """Whether a fact held at some time in a period (first and last day): it began before
    the period ended (or no beginning is known) and ended after it began (or has not
    ended); a fact that never held (`_never_held`) did not."""
    first = datetime.combine(during[0], datetime.min.time(), tzinfo=UTC)
    after = datetime.combine(during[1], datetime.max.time(), tzinfo=UTC)
    if _never_held(cube):
        return False
    end = cube.valid_to
    if _said_as_past(cube):
        # told as the past: its start is the one told (else unknown, not when told), its
        # end the period told (`ENDED_BY`: the period's last moment), else only the latest
        # it can have ended, which says nothing of a given period ("I used to live in
        # Seville" held in no year said)
        start, end = cube.valid_from, _told_end_at(cube)
        if end is None:
            return False
        if start is None:
            start = datetime.combine(as_utc(cube.valid_to or end).date(), datetime.min.time(),
                                     tzinfo=UTC)  # (known only to hold in the end's period)
    else:
        start = _when(cube)
        if _ended(cube):  # "I left Globex in November": it held in November
            end = _told_end_at(cube) or end
    if start is not None and as_utc(start) > after:
        return False
    return end is None or as_utc(end) > first


def _told_end_at(cube: MemCube) -> datetime | None:
    """The last moment of the period a fact's end was told in (metadata
    `memos.reader.ingest.ENDED_BY`), if one was."""
    from memos.reader.ingest import ENDED_BY

    try:
        return as_utc(datetime.fromisoformat(str(cube.metadata.get(ENDED_BY))))
    except ValueError:
        return None


def _end_text(cube: MemCube) -> str:
    """When an ended fact ended, at the precision told ("November 2025"), else its day."""
    return _told_end(cube) or date_text(cube.valid_to)


def _until(cube: MemCube) -> str:
    """" until 12 March 2026" of a tie that ended then, " before 2 March 2026" of one told
    as the past ("My ex is Tom": it ended by the time it was told), "" of neither."""
    if cube.valid_to is None:
        return ""
    return f" {'before' if _said_as_past(cube) else 'until'} {_end_text(cube)}"


def _told_end(cube: MemCube) -> str:
    """When a fact ended, as told ("until 2018": "2018", "March 2019"; "I left Globex last
    week": "the week of 4 January 2026"): its `valid_to` with metadata
    `memos.reader.ingest.ENDED_BY`; "" when no period was told."""
    by = _told_end_at(cube)
    end = cube.valid_to
    return "" if end is None or by is None else _period_shown(as_utc(end).date(), by.date())


def _said_as_past(cube: MemCube) -> bool:
    """Whether a fact was told as the past ("I used to live in Seville": metadata
    `memos.reader.ingest.PAST_KEY`): its `valid_to` is only when it was told, the latest it
    can have ended."""
    from memos.reader.ingest import PAST_KEY

    return cube.metadata.get(PAST_KEY) is True


def _age_now(cube: MemCube, now: datetime | None) -> int | None:
    """An age told a year or more before `now` ("i'm 29" told in January 2026, asked in
    June 2028) as it is now, by the whole years since it was told (31); None for any other
    fact, or an age told less than a year ago."""
    attribute = _fact_attribute(cube) or ""
    value = str(cube.metadata.get("value") or "").strip()
    told = _told(cube)
    if attribute.rpartition("'s ")[2] != "age" or not value.isdigit() or told is None:
        return None
    years = int((as_utc(now or utcnow()) - as_utc(told)).days // 365.25)
    return int(value) + years if years >= 1 else None


def _told(cube: MemCube) -> datetime | None:
    """When memos was told: the source message's time, else when it was recorded."""
    for src in cube.sources:
        if src.at is not None:
            return src.at
    return cube.recorded_at


def _told_dates(cube: MemCube) -> list[tuple[str, date, str]]:
    """The calendar dates MemReader resolved in an episode (`metadata["dates"]`): (the words,
    the day, its precision)."""
    out = []
    for item in cube.metadata.get("dates") or []:
        if not isinstance(item, dict):
            continue
        try:
            day = date.fromisoformat(str(item.get("date")))
        except ValueError:
            continue
        out.append((str(item.get("text")), day, str(item.get("precision") or "day")))
    return out


def _date_shown(day: date, precision: str) -> str:
    """A resolved date as people say it, at its precision ("the weekend of 17 January 2026")."""
    return (str(day.year) if precision == "year" else f"{day:%B %Y}" if precision == "month"
            else f"the week of {date_text(day)}" if precision == "week"
            else f"the weekend of {date_text(day)}" if precision == "weekend"
            else date_text(day))


def _dates_note(cube: MemCube) -> str:
    """The calendar dates MemReader resolved in an episode ("last Friday = 10 April 2026");
    not one whose words say the date already ("on 1 February 2026")."""
    shown = [(words, _date_shown(day, precision)) for words, day, precision in _told_dates(cube)]
    return "; ".join(f"{words} = {when}" for words, when in shown
                     if f" {_norm(when)} " not in f" {_norm(words)} ")


def _role(cube: MemCube) -> str | None:
    role = cube.metadata.get("role")
    if isinstance(role, str):
        return role
    for src in cube.sources:
        if src.role:
            return src.role
    return None


def _speaker(cube: MemCube) -> str | None:
    for key in ("speaker", "name"):
        value = cube.metadata.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def _said(cube: MemCube) -> str:
    """An episode's words without a leading "Speaker: "."""
    return without_speaker(cube.content, (_speaker(cube), _role(cube)))


def _why(hit: SearchHit) -> str:
    return " ".join(f"{r}#{hit.ranks[r]}" if r in hit.ranks else r for r in hit.retrievers)


def _used(hit: SearchHit, why: str | None = None) -> MemoryUsed:
    return MemoryUsed(id=hit.id, content=hit.content, kind=hit.cube.kind.value,
                      score=hit.score, why=why or _why(hit), at=_when(hit.cube))


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


_QUESTION_START = re.compile(
    r"^(?:what|what's|whats|where|where's|wheres|who|who's|whos|whom|whose|when|when's|whens|"
    r"which|why|how|how's|hows|do|does|"
    r"did|is|are|was|were|am|can|could|would|will|should|have|has|tell me|remind me|"
    r"any idea|do you know)\b", re.IGNORECASE)


# A statement that opens with a question word ("When I was a kid I lived in Rome.", "What I
# love most is jazz.", "Which reminds me, I moved to Oslo."), when no "?" ends it.
_STATEMENT_START = re.compile(
    r"^(?:(?:when|whenever|what|where|which|who|how|why)\s+(?:I|I'm|I’m|I've|I’ve|we|we're|"
    r"my|our)\b|which\s+reminds\b|what\s+an?\s)", re.IGNORECASE)  # (and "what a day!")
# A question said as what the speaker does not know ("i forgot where my sister lives", "I
# wonder what my job is", "I can't remember if I told you my job"), or with its question word
# last ("my sister's name is what again")
_ASKS_ITSELF = re.compile(
    r"^(?:(?:hmm|um|uh|so|ok|okay|hey)[,.!]?\s+)*i\s+(?:(?:totally\s+|completely\s+)?"
    r"forg[eo]t|wonder|(?:can'?t|cannot|don'?t|do\s+not)\s+(?:remember|recall)|"
    r"(?:need|want|would\s+like|'d\s+like)\s+to\s+know|have\s+no\s+idea)\s+"
    r"(?:where|what|who|when|how|which|whether|if)\b", re.IGNORECASE)
_ASKED_LAST = re.compile(r"\b(?:is|are|was|were)\s+(?:what|who|where|when)(?:\s+again)?"
                         r"[\s.!]*$", re.IGNORECASE)
# A request for what is remembered, said as a command: "List my allergies.", "Give me my
# address", "Show me my sister's number", "Name my pets".
_ASKS_TO_TELL = re.compile(
    r"^(?:please\s+)?(?:list|name|give\s+me|show\s+me|tell\s+me|remind\s+me\s+(?:of|about)?)"
    r"\s+(?:all\s+(?:of\s+)?)?(?:my|me)\b", re.IGNORECASE)


def _asked_as_capitalised(text: str) -> str:
    """A question typed all in lower case with the name it asks of capitalised ("who is
    emma" -> "who is Emma": `memos.reader.questions`); else `text` as it is."""
    from memos.reader.questions import asked_name_capitalised

    return asked_name_capitalised(text)


def _asked_as(what: str) -> tuple[str, ...]:
    """The questions a thing to forget may be asked as, in order ("my allergies" is asked
    "what are my allergies?", "where I live" "where do I live?")."""
    return (f"what is {what}?", f"what are {what}?", f"{what}?",
            re.sub(r"^(where|what|who|when) i (\w+)", r"\1 do i \2", what, flags=re.I) + "?",
            # of someone else: "where Ana lives", "where my sister works", "how old my son
            # is" -> "where does Ana live?", "how old is my son?"
            re.sub(r"^(where|what|who|when)\s+(.+?)\s+(\w+?)s$", r"\1 does \2 \3", what,
                   flags=re.I) + "?",
            re.sub(r"^(where|what|who|how\s+old)\s+(.+?)\s+is$", r"\1 is \2", what,
                   flags=re.I) + "?")


def is_question(text: str) -> bool:
    """A question (answered from memory), as opposed to a statement (remembered)."""
    from memos.reader.questions import mended
    from memos.reader.rules import REMEMBER_THAT

    text = mended(text.strip())
    if REMEMBER_THAT.match(text):
        return False  # "Can you remember that I'm allergic to penicillin?": told, to keep
    if text.endswith("?"):
        return True
    if _ASKS_ITSELF.match(text) or _ASKED_LAST.search(text):
        return True  # "i forgot where my sister lives", "my sister's name is what again"
    if _STATEMENT_START.match(text):
        return False
    return bool(_QUESTION_START.match(text) or _ASKS_TO_TELL.match(text))


_ASKING = (r"(?:i\s+would\s+be\s+grateful\s+if\s+"
           r"you\s+could\s+|i'?d\s+like\s+you\s+to\s+|(?:can|could|would|will)\s+you\s+"
           r"(?:please\s+|kindly\s+|pls\s+)?|please\s+|pls\s+|plz\s+|kindly\s+)?")
_FORGET = re.compile(r"^\s*" + _ASKING + r"(?:forget|(?:(?:do\s+not|don'?t|dont)\s+remember|"
                     r"stop\s+remembering|no\s+need\s+to\s+remember)(?=\s+(?:that|my|about|"
                     r"what|anything|everything)\b))\s+"
                     r"(?:about\s+|that\s+|everything\s+about\s+|all\s+about\s+|"
                     r"(?:what|everything|all)\s+(?:i(?:'ve|\s+have)?\s+)?(?:told\s+you|said|"
                     r"mentioned)\s+(?:about\s+)?)?(?P<what>.+?)"
                     r"(?:\s+(?:pls|please|plz|thanks|thank\s+you))?[\s.!?]*$", re.IGNORECASE)
# Delete, erase, remove, wipe are a request to forget only when said of memory ("delete
# everything you know about me", "erase my data", "remove my address from your memory",
# "wipe what you know about my sister"): "remove gluten from my diet plan" and "remove the
# reminder" are requests of another kind
_DELETE = re.compile(
    r"^\s*" + _ASKING + r"(?:delete|erase|remove|wipe)\s+(?:"
    r"(?P<all>everything(?:\s+you\s+know)?(?:\s+about\s+me)?|all\s+(?:of\s+)?my\s+"
    r"(?:data|memories|info|information)|my\s+(?:data|memories)|all\s+you\s+know(?:\s+about"
    r"\s+me)?)|(?:what\s+you\s+know\s+about\s+|everything\s+about\s+)(?P<about>.+?)|"
    # "delete what I said about my job", "erase everything I told you about Sam"
    r"(?:what|everything|all)\s+(?:i(?:'ve|\s+have)?\s+)?(?:told\s+you|said|mentioned)\s+"
    r"about\s+(?P<told>.+?)|"
    r"(?P<what>.+?)\s+from\s+(?:your\s+)?(?:memory|memories)|"
    # "delete my diabetes info", "erase my address details"
    r"(?P<info>my\s+.+?)\s+(?:info|information|data|details)|"
    # "please delete my address", "remove my address pls": of a fact stored (`_reply`)
    r"(?P<mine>my\s+[^,.!?]+?))(?:\s+(?:pls|please|plz))?[\s.!?]*$", re.IGNORECASE)
_NAME_PARTS = ("last name", "first name")  # read from the stated name when not stated alone
# An attribute a question asks that another one answers when it is not stored itself: where
# someone lives, by their address.
_ANSWERED_BY = {"city": "address"}
_STOP = frozenset("a an the my me i i'm im that this is was of to in on at for and or about "
                  "you your it please".split())
# Words too plain to name a memory by in a request to forget it ("that I have diabetes":
# diabetes).
_PLAIN_WORDS = frozenset("have has had got get been are was were does did know stuff thing "
                         "things info information data anything something private secret "
                         "personal anymore any more please".split())
# What "forget ..." says in passing, naming nothing ("oh forget it", "never mind, forget that")
_NOT_A_THING = frozenset({"it", "that", "this", "about it", "about that", "about this", "them",
                          "him", "her", "the rest"})
# Verbs that only help another ("where will I be living?"): no more of what is asked.
_AUX_WORDS = frozenset("will would could should can shall might must be been being going "
                       "gonna wanna have has had".split())
# Words of asking, not of what is asked about.
_ASK_WORDS = frozenset("what which who whom whose where when why how do does did am are is "
                       "s what's who's where's when's tell remind give know remember again now "
                       "these days currently kind sort type".split())


# A request that names a person as a name is typed ("forget Will", "forget Ana Lopes")
_AS_NAME = re.compile(r"(?-i:[A-Z])[\w'’-]+(?:\s+(?-i:[A-Z])[\w'’-]+)?")
# Names that are also words opening a question or a wish ("Will you ...", "May I ..."): not
# a mention at the start of a sentence
_AUX_NAMES = frozenset({"will", "may", "can", "must", "might", "shall"})
_MONTH_NAMES = frozenset({"april", "may", "june", "august"})
# Names that are also everyday words: in a text typed all in lower case, no name
_WORD_NAMES = frozenset("""will may hope grace joy faith rose mark bill pat sue art frank june
april august summer autumn dawn sky ray rich sunny iris lily ivy holly daisy amber ruby pearl
jade violet olive hazel heather river rain honey angel patience charity harmony melody chase
hunter mason drew gene guy lance miles reed rob don dot bob penny sandy rusty buddy""".split())
# A month where a name might be: "in May", "next June", "May 5", "5 May", "my favourite month
# is May"
_AS_MONTH_BEFORE = re.compile(r"(?:\b(?:in|on|by|since|until|till|last|next|this|early|late|"
                              r"mid|of|from|through|before|after)|\bmonths?\s+(?:is|was)|\d)"
                              r"[\s-]*$", re.I)
_AS_MONTH_AFTER = re.compile(r"^\s*(?:\d|of\s+(?:this|last|next)\b)")


def _name_said(text: str, name: str) -> bool:
    """Whether `text` names `name` (or its first word) as a name: capitalised, or in a text
    typed all in lower case unless the name is also a word (`_WORD_NAMES`: "i will call
    mum"); not a word a name shares with a verb opening a question or a wish ("Will you
    ...", "May I ...") nor a month said as one ("in May", "May 5"); the first word of a
    name of two not before another surname ("Ana Garcia" is not "Ana Lopes")."""
    words = name.split()
    parts = [name, *([words[0]] if len(words) > 1 else [])]
    pattern = r"(?<![\w'’])(?:" + "|".join(map(re.escape, parts)) + r")(?!\w)"
    caseless = not any(c.isupper() for c in text)
    if caseless and all(p.lower() in _WORD_NAMES for p in parts):
        return False  # (typed in lower case, "will" / "hope" / "may" says nothing of a name)
    for m in re.finditer(pattern, text, re.I if caseless else 0):
        word = m.group(0).lower()
        before, after = text[max(0, m.start() - 40):m.start()], text[m.end():m.end() + 40]
        if caseless and word in _WORD_NAMES:
            continue
        if len(words) > 1 and m.group(0) == words[0] and re.match(
                r"\s+(?-i:[A-Z])[\w'’-]+", after) and not after.lstrip().startswith(words[1]):
            continue  # another person of that first name
        if word in _AUX_NAMES and (m.start() == 0 or re.search(r"[.!?]\s+\W*$|^\W*$",
                                                               before)) and \
                re.match(r"\s+(?:i|you|we|he|she|they|it|this|that|there|not|be|have)\b",
                         after, re.I):
            continue
        if word in _MONTH_NAMES and (_AS_MONTH_BEFORE.search(before)
                                     or _AS_MONTH_AFTER.match(after)):
            continue
        return True
    return False


# A person named by a relation: "forget my sister", "forget about my boss", "forget
# everything about my ex"
_PERSON_REQUEST = re.compile(r"(?:(?:everything|all)\s+)?(?:about\s+)?my\s+"
                             r"(?P<rel>[a-z][a-z-]*(?:\s+[a-z][a-z-]*)?)", re.I)
# "never mind, forget that", "scratch that", "forget it": what was just said, unnamed
_BARE_FORGET = re.compile(
    r"^\s*(?:(?:never\s*mind|nvm|oh|ok|okay|actually|wait|hmm|no|sorry)[,!.:]?\s+)*"
    r"(?:(?:please\s+)?forget\s+(?:(?P<it>it|about\s+it)|that|this|about\s+that)|"
    r"scratch\s+that|strike\s+that|ignore\s+that|disregard\s+that|"
    # "actually, don't keep that", "please don't save that", "don't write this down"
    r"(?:please\s+)?(?:do\s+not|don'?t|dont)\s+(?:keep|save|store|remember|record|note|"
    r"write)\s+(?:that|this|it)(?:\s+down)?)"
    r"(?:,?\s+(?:pls|please))?[\s.!?]*$", re.I)
# Words that open a turn before a forget request ("actually, forget my address", "oh and can
# you forget ...", "hey, forget priya please")
_FORGET_LEAD = re.compile(r"^\s*(?:(?:actually|oh|hey|ok|okay|so|and|also|um|uh|well|btw|wait|"
                          r"hmm|one\s+more\s+thing|oh\s+and|and\s+also)[,!.:]?\s+)+", re.I)


def _holds_words(text: str, part: str) -> bool:
    """Whether `text` holds the words of `part` (both " "-padded, normalised), a last word
    said in the singular or the plural ("peanut" of "peanuts", "cats" of "cat")."""
    if part in text:
        return True
    last = part.rstrip()
    return (f"{last}s " in text) or (last.endswith("s") and f"{last[:-1]} " in text)


def _without_late(what: str) -> str:
    """"my late husband" as "my husband" (late, dear, beloved: no other person)."""
    return re.sub(r"\bmy\s+(?:late|dear|beloved|dearly\s+departed)\s+", "my ", what,
                  flags=re.I)


def _states_facts(text: str, name: str) -> bool:
    """Whether the reader reads a fact from `text` (the words after a forget request)."""
    from memos.reader.rules import extract

    text = text.strip(" ,.;:-")
    return bool(text) and any(not e.negated for e in extract(text, name or "User", "user:x"))


def _reason_cut(what: str) -> str:
    """What a forget request names, without the reason or the words said after it ("my
    address, it's private" -> "my address"; "priya please, we broke up" -> "priya")."""
    what = re.split(r", (?=(?:she|he|they|it|it's|that's|that|this|i|we|you|please|because|as|"
                    r"since|so|thanks|thank|ok|okay)\b)| (?:because|since) ", what,
                    maxsplit=1, flags=re.I)[0]
    return re.sub(r"\s+(?:please|pls|plz|thanks|thank\s+you)$", "", what.strip(" .,!"),
                  flags=re.I)


# A request to forget everything ("forget everything", "forget all about me")
_EVERYTHING = re.compile(r"(?:me|myself|everything|all|all of it|all (?:of )?my (?:memories|data|info|information)|my (?:memories|data)|all about me|"
                         r"everything about me|everything you know(?: about me)?|"
                         r"all you know(?: about me)?)")


@check_arguments  # a call that does not bind: InvalidInputError, never TypeError
class Assistant:
    """A personal assistant over one `MemOS` store for one user (and optionally one agent).

    `backend`: "auto" (default), "model", "extractive" or "llm". `llm`: the endpoint of the
    llm backend (default: $MEMOS_LLM_URL...). `learn=False` answers without writing the
    turns (evaluations). `user_name`: the name "I" stands for (default: the name the user
    stated earlier, else the user id made readable).
    """

    def __init__(self, mem: MemOS, user: str, *, agent: str | None = None,
                 backend: Backend = "auto", llm: LLMConfig | None = None,
                 session_id: str | None = None, learn: bool = True,
                 user_name: str | None = None, model: Any = None) -> None:
        from memos.facade import MemOS, as_scope

        if not isinstance(mem, MemOS):
            raise InvalidInputError(f"mem must be an open memos.MemOS, got {mem!r:.40}")
        if backend not in BACKENDS:
            raise InvalidInputError(f"backend must be one of {', '.join(BACKENDS)}, "
                                    f"got {backend!r:.40}")
        if not isinstance(user, str) or not user.strip():
            raise InvalidInputError("user must be a user id (a non-empty string)")
        if llm is not None and not isinstance(llm, LLMConfig):
            raise InvalidInputError("llm must be a memos.assistant.LLMConfig or None")
        if not isinstance(learn, bool):
            raise InvalidInputError(f"learn must be True or False, got {learn!r:.40}")
        if user_name is not None and (not isinstance(user_name, str) or not user_name.strip()
                                      or len(user_name) > 128):
            raise InvalidInputError(f"user_name must be text of 1 to 128 characters or None, "
                                    f"got {user_name!r:.40}")
        _check_model(model)
        self.mem = mem
        self.scope = as_scope({"user_id": user, "agent_id": agent})
        self.backend: str = backend
        self.llm = llm if llm is not None else LLMConfig.from_env()
        if backend == "llm" and self.llm is None:
            raise InvalidInputError("the llm backend needs an endpoint: set MEMOS_LLM_URL and "
                                    "MEMOS_LLM_MODEL (and MEMOS_LLM_KEY if it needs one), or "
                                    "use --backend auto")
        self.learn = learn
        self.model = model
        self._stated_name = user_name
        # (fact id, version) -> what ended it (`_ender`), for one reply (reset by `reply`)
        self._enders: dict[tuple[str, int], MemCube | None] = {}
        # (fact id, version) -> the categories of a like (`_like_categories`), for one reply
        self._kinds: dict[tuple[str, int], frozenset[str]] = {}
        self._name: str | None = None  # the resolved name, kept for the length of one turn
        # (attribute, value, asked "ever") of a yes/no question of the user's about a value
        # no fact holds ("Do I like tea?"), set by `route` when it answers with the values
        # there are
        self._unknown: tuple[str, str, bool] | None = None
        self.session_id = _session_arg(session_id) if session_id is not None else new_session_id()
        self._turns: dict[str, list[_Turn]] = {}
        self._facts: dict[str, list[str]] = {}  # session -> fact cube ids its turns wrote
        self._episodes: dict[str, list[str]] = {}  # session -> its turns' episode cube ids

    # -- names and questions -------------------------------------------------------------

    @property
    def user_name(self) -> str:
        """The name "I" stands for (read again each turn: the user may state it in one)."""
        from memos.reader.questions import resolve_user_name

        if self._name is not None:
            return self._name
        return resolve_user_name(self.mem, self.scope, self._stated_name)

    def canonical(self, text: str, user_name: str | None = None) -> CanonicalQuestion | None:
        from memos.reader.questions import (
            canonical_question,
            count_question,
            ever_question,
            history_question,
            past_question,
            period_question,
        )

        _text_arg(text, "text", "a question such as 'Where do I live?'")
        if user_name is not None:
            _text_arg(user_name, "user_name", "the name 'I' stands for, or None")
        name = user_name or self.user_name
        command = _ASKS_TO_TELL.match(text.strip())
        if command is not None and command.group(0).lower().endswith("my"):
            # "list my pets", "name my allergies": asked as "what are my pets?"
            what = text.strip()[command.end():].strip(" .!?")
            what = re.sub(r"\s+please$", "", what, flags=re.I)
            asked = canonical_question(f"what are my {what}?", name) if what else None
            if asked is not None:
                return asked
        period = period_question(text)
        if period is not None:  # "where did I live in 2019?": the city of 2019
            asked, during = period
            cq = canonical_question(asked, name)
            if cq is not None and not cq.count and not cq.every:
                return replace(cq, during=during, past=False, history=False)
        return (count_question(text, name) or history_question(text, name)
                or ever_question(text, name) or past_question(text, name)
                or canonical_question(text, name))

    def _search(self, query: str, k: int, **options: Any) -> list[SearchHit]:
        """The best `k` of this user's own memories for `query`. Other users' public cubes
        are left out: one can carry any subject key ("user:bob") and say anything, and what
        another user wrote is not "what you said"."""
        hits = self.mem.search(query, self.scope, k=2 * k, **options)
        return [h for h in hits if h.cube.scope.user_id == self.scope.user_id][:k]

    def _facts_for(self, cq: CanonicalQuestion, *, include_superseded: bool = False,
                   k: int = 32) -> list[SearchHit]:
        """The stored facts for the question's (subject, attribute), best first: those that
        hold now, or every version's cube with `include_superseded` (ended ones too). A
        fact still active past its `valid_to` has ended: it is not among those that hold.
        A multi-valued attribute (allergy, likes) has one fact per value."""
        hits = self._search(cq.question, k, record_access=False,
                            kind=[Kind.FACT.value, Kind.PREFERENCE.value],
                            metadata={"subject": cq.subject_key(self.scope.user_id)},
                            include_superseded=include_superseded)
        if not include_superseded and k == 32:  # (what `_upcoming` reads again: kept)
            self._last_facts = (cq.question, cq.subject_key(self.scope.user_id), hits)
        asked = getattr(self, "_asked_at", None)
        # "what do I like?" is answered by a preference too ("I prefer tea now"), and "what
        # are my hobbies?" by the likes when no hobby was told as one ("my hobby is pottery")
        attributes = {cq.attribute, "preference"} if cq.attribute == "likes" and \
            cq.value is None and not cq.categories else {cq.attribute}
        def of(names: set[str]) -> list[SearchHit]:
            return [h for h in hits if _fact_attribute(h.cube) in names and (
                include_superseded or not (_ended(h.cube) or _not_begun(h.cube, asked)))]

        found = of(attributes)
        if not found and cq.attribute == "hobby" and cq.value is None and cq.about_user:
            found = of({"likes"})
        return found

    def _upcoming(self, cq: CanonicalQuestion) -> list[MemCube]:
        """The question's facts set to begin later ("I accepted a job at DeepMind, starting 1
        November 2027"; `_not_begun`), first to begin first. The search `_facts_for` just
        made for the same question is not made again."""
        subject = cq.subject_key(self.scope.user_id)
        last = getattr(self, "_last_facts", None)
        hits = last[2] if last is not None and last[:2] == (cq.question, subject) else \
            self._search(cq.question, 32, record_access=False,
                         kind=[Kind.FACT.value, Kind.PREFERENCE.value],
                         metadata={"subject": subject})
        ahead = [h.cube for h in hits if _fact_attribute(h.cube) == cq.attribute
                 and _not_begun(h.cube, getattr(self, "_asked_at", None))
                 and not _ended(h.cube)]
        return sorted(ahead, key=lambda c: as_utc(c.valid_from or utcnow()))

    def _older(self, cq: CanonicalQuestion, current: list[SearchHit]) -> list[SearchHit]:
        """The ended facts of the question's (subject, attribute): first the ones the
        current values replaced (the reader's supersedes edges), then the others a search
        finds. A search ranks a long history by its words, all alike ("Alice's city is
        ..."), and left the value just before the current one out once there were more
        versions than it returns: "Where did I live before?" was answered with a city of a
        year earlier."""
        from memos.results import SearchHit

        before: list[SearchHit] = []
        seen: set[str] = set()
        for hit in current:
            for cube in self._replaced(hit.id, cq):
                if cube.id not in seen and _ended(cube):
                    seen.add(cube.id)
                    before.append(SearchHit(cube=cube, score=hit.score,
                                            retrievers=["graph"]))
        found = [h for h in self._facts_for(cq, include_superseded=True)
                 if _ended(h.cube) and h.id not in seen and not _never_held(h.cube)]
        return before + found

    def _replaced(self, cube_id: str, cq: CanonicalQuestion, depth: int = 0) -> list[MemCube]:
        """The user's facts of the question's attribute that `cube_id` replaced (the
        reader's supersedes edges out of it); none when it is gone. In place of one that
        never held (`_never_held`: "I live in Paris." / "Sorry, I meant Lyon"), what that
        one replaced."""
        try:
            near = self.mem.neighbors(cube_id, self.scope, relation="supersedes")
        except (NotFoundError, ScopeError):
            return []
        out: list[MemCube] = []
        for n in near:
            if n.direction == "out" and n.cube.scope.user_id == self.scope.user_id \
                    and n.cube.kind in (Kind.FACT, Kind.PREFERENCE) \
                    and _fact_attribute(n.cube) == cq.attribute:
                if not _never_held(n.cube):
                    out.append(n.cube)
                elif depth < END_CHAIN:
                    out.extend(self._replaced(n.cube.id, cq, depth + 1))
        return out

    def _history(self, cq: CanonicalQuestion) -> list[SearchHit]:
        """Every value the question's (subject, attribute) has had, oldest first: the values
        that hold now, each followed back through what it replaced (the reader's supersedes
        edges, at most END_CHAIN steps), and the ended ones a search finds (a value that
        ended with nothing after it: "I left Acme"). A value said again later is a value of
        its own time."""
        from memos.results import SearchHit

        current = self._facts_for(cq)
        found: dict[str, SearchHit] = {h.id: h for h in current}
        for hit in current:
            step = hit
            for _ in range(END_CHAIN):
                before = [c for c in self._replaced(step.id, cq) if c.id not in found]
                if not before:
                    break
                cube = max(before, key=_began)
                step = SearchHit(cube=cube, score=hit.score, retrievers=["graph"])
                found[cube.id] = step
        for hit in self._facts_for(cq, include_superseded=True):
            found.setdefault(hit.id, hit)
        # (a value corrected at once never held: "I live in Paris." / "Sorry, I meant Lyon")
        found = {i: h for i, h in found.items() if not _never_held(h.cube)}
        if any(_many_valued(h.cube) for h in found.values()):
            return sorted(found.values(), key=lambda h: _began(h.cube))
        # One value at a time: in the order they held, each before the value that ended it,
        # even where the newer one began earlier ("I live in Berlin", then "I moved to Lisbon
        # last week": Berlin, then Lisbon)
        return sorted(found.values(), key=lambda h: (
            as_utc(h.cube.valid_to) if _ended(h.cube) and h.cube.valid_to is not None
            else datetime.max.replace(tzinfo=UTC), _began(h.cube)))

    def _before_value(self, cq: CanonicalQuestion) -> list[SearchHit] | None:
        """The value of the question's (subject, attribute) just before its latest time as
        `cq.value` ("where did I live before Lisbon?": the city Lisbon replaced, not the
        one before the city now): [] when nothing is known before it; None when no value
        is the one named ("before I got married": asked of the value before the current
        one)."""
        history = self._history(cq)
        at = [i for i, h in enumerate(history) if _same_value(_fact_value(h.cube, cq),
                                                                str(cq.value))]
        if not at:
            return None
        named = history[at[-1]]
        replaced = [c for c in self._replaced(named.id, cq) if _ended(c)]
        if replaced:  # the reader's supersedes edge: what that value replaced
            from memos.results import SearchHit

            cube = max(replaced, key=_began)
            return [SearchHit(cube=cube, score=named.score, retrievers=["graph"])]
        earlier = [h for h in history[:at[-1]] if _ended(h.cube)
                   and not _same_value(_fact_value(h.cube, cq), str(cq.value))]
        return earlier[-1:]

    def _by_name(self, cq: CanonicalQuestion) -> CanonicalQuestion | None:
        """"my brother's birthday" as "Jack's birthday" when the user named their brother
        Jack (the reader writes a named relative's facts under the name)."""
        from memos.reader.questions import CanonicalQuestion as CQ

        rel, sep, attribute = cq.attribute.partition("'s ")
        if not cq.about_user or not sep or not attribute or attribute == "name":
            return None
        named = self._facts_for(CQ(cq.subject, f"{rel}'s name",
                                   f"What is {cq.subject}'s {rel}'s name?", True), k=4)
        name = named[0].cube.metadata.get("value") if named else None
        if not isinstance(name, str) or not name.strip():
            return None
        return CQ(name, attribute, f"What is {name}'s {attribute}?", False)

    def _by_relation(self, cq: CanonicalQuestion) -> CanonicalQuestion | None:
        """"Ana's city" as "my sister's city" when Ana is the name the user gave their
        sister (a fact the reader wrote before the name was known is under the relation)."""
        from memos.reader.questions import CanonicalQuestion as CQ
        from memos.reader.questions import user_key

        if cq.about_user or not cq.attribute or cq.attribute == "name" or "'s " in cq.attribute:
            return None
        hits = self._search(cq.subject, 16, record_access=False, kind=[Kind.FACT.value],
                            metadata={"subject": user_key(self.scope.user_id)})
        for hit in hits:
            attribute = _fact_attribute(hit.cube) or ""
            if attribute.endswith("'s name") and not _ended(hit.cube) and _same_value(
                    str(hit.cube.metadata.get("value") or ""), cq.subject):
                rel = attribute[:-len("'s name")]
                return CQ(self.user_name, f"{rel}'s {cq.attribute}",
                          f"What is {self.user_name}'s {rel}'s {cq.attribute}?", True)
        return None

    def _every_kin(self, cq: CanonicalQuestion) -> list[SearchHit]:
        """The names of every relative of the question's kind that hold ("my pets' names":
        the dogs', the cats', ...), each once."""
        from memos.reader.questions import kin_questions

        out: dict[str, SearchHit] = {}
        for form in kin_questions(cq):
            for hit in self._facts_for(form):
                out.setdefault(hit.id, hit)
        return list(out.values())

    def _several_kinds(self, cq: CanonicalQuestion) -> bool:
        """Whether a question of one relative of a kind that groups distinct people ("my
        pet's name", "my sibling's name": `_DISTINCT_KINDS`) has stored names under two
        relations of it or more (a dog and a cat): then it is asked of each."""
        from memos.reader.questions import kin_questions

        rel, sep, attribute = cq.attribute.partition("'s ")
        if not cq.about_user or not sep or attribute != "name" or rel not in _DISTINCT_KINDS:
            return False
        found = 0
        for form in kin_questions(cq):  # (stops at the second: no more searches than needed)
            found += bool(self._facts_for(form, k=4))
            if found > 1:
                return True
        return False

    def _kin(self, cq: CanonicalQuestion) -> CanonicalQuestion:
        """A question about a kind of relative ("who am I married to?": the user's spouse)
        as the first of the relations of that kind with a stored fact (the user's husband,
        wife or partner: `memos.reader.questions.kin_questions`), else as asked."""
        from memos.reader.questions import kin_questions

        forms = kin_questions(cq)
        if len(forms) == 1:
            return cq
        for form in forms:
            if self._facts_for(form, include_superseded=form.past, k=4):
                return form
            other = self._by_name(form)
            if other is not None and self._facts_for(other, k=4):
                return form
        return cq

    def _user_facts(self) -> list[SearchHit]:
        """The user's facts that hold now (theirs and their relatives' by relation: "your
        sister's name is Ana"), oldest first."""
        from memos.reader.questions import user_key

        hits = self._search(self.user_name, ABOUT_K, record_access=False,
                            kind=[Kind.FACT.value, Kind.PREFERENCE.value],
                            metadata={"subject": user_key(self.scope.user_id)})
        return sorted((h for h in hits if not _ended(h.cube) and _fact_attribute(h.cube)),
                      key=lambda h: _began(h.cube))

    def _fuller(self, cq: CanonicalQuestion) -> CanonicalQuestion | None:
        """"Dr. Varga's email" as "Dr. Helen Varga's email" when that is the one person of
        the user's facts whose name holds every word asked (the reader writes a person's
        facts under the fullest name the user gave)."""
        from memos.reader.ingest import PEOPLE_K, fuller_name, people_named

        hits = self._search(cq.subject, PEOPLE_K, record_access=False, kind=[Kind.FACT.value])
        name = fuller_name(cq.subject, people_named(h.cube for h in hits))
        if name is None:
            return None
        return replace(cq, subject=name, question=f"What is {name}'s {cq.attribute}?")

    def route(self, text: str) -> tuple[str, str, CanonicalQuestion | None, list[SearchHit]]:
        """(backend, why, canonical question, facts found) for a question under this
        assistant's backend setting."""
        from memos.reader.questions import about_me_question
        from memos.reader.vocab import MULTI_VALUED

        _text_arg(text, "text", "a question such as 'Where do I live?'")
        self._unknown = None
        ex = _EX_ASKED.match(text.strip())
        offline = self.backend == "extractive" or (self.backend == "auto" and self.llm is None)
        if ex is not None and offline:
            return "extractive", "a question about the partners whose tie ended", None, \
                self._exes(ex.group("rel"))
        if _HOW_LONG.match(text.strip()) and offline:
            return "extractive", "how long a value has held", None, []
        cq = self.canonical(text)
        if cq is not None and not cq.every and not cq.history and self._several_kinds(cq):
            cq = replace(cq, every=True)  # "what's my pet's name?" of a dog and a cat: both
        if cq is not None and cq.during is not None:
            # "where did I live in 2019?": the values that held then, from every value the
            # (subject, attribute) has had (under a relative's name too)
            cq = self._kin(cq)
            named = self._by_name(cq) if cq.about_user else None
            history = self._history(cq) + (self._history(named) if named is not None else [])
            facts = [h for h in history if _held_during(h.cube, cq.during)]
            return "extractive", f"the values of {cq.question!r} in {cq.during[2]}", cq, facts
        if cq is not None and cq.every:  # "my pets' names": of every relation of the kind
            facts = self._every_kin(cq)
        else:
            if cq is not None and not cq.history:
                cq = self._kin(cq)
            facts = self._facts_for(cq) if cq is not None else []
            if cq is not None and not facts and not cq.history and not cq.past:
                # "who is my boss?" of "my manager is Karen", and the other way
                rel, sep, rest = cq.attribute.partition("'s ")
                if sep and rel in _SAME_ROLE:
                    other = replace(cq, attribute=f"{_SAME_ROLE[rel]}'s {rest}",
                                    question=cq.question.replace(f"{rel}'s", f"{_SAME_ROLE[rel]}'s"))
                    found = self._facts_for(other)
                    if found:
                        cq, facts = other, found
        if cq is not None and not facts and cq.attribute == "name" and _WHO_AM_I.match(text):
            cq = None  # "who am I?" with no name told: what is known of the user
        if cq is None and (about_me_question(text) or _WHO_AM_I.match(text)):
            facts = self._user_facts()
            if self.backend == "extractive" or (self.backend == "auto" and self.llm is None):
                return "extractive", "a question about everything remembered of the user", \
                    cq, facts
        if cq is not None and cq.history:
            facts = self._history(cq)
            if cq.value is not None:  # "did I ever live in Porto?": the values that are Porto
                facts = [h for h in facts if _same_value(_fact_value(h.cube, cq), cq.value)]
            if not facts and cq.value is not None and cq.attribute in _OPPOSITE:
                # "Do I like coffee?" of a user who said they hate it: that dislike, which
                # answers it (`_ever`: "No: ..."); a user's like for another thing does not
                facts = self._contrary(cq)
            if not facts:
                # No such values: answered from the values there are ("Am I allergic to
                # eggs?": every allergy) or what speaks of the attribute, never with a "no"
                # that a turn the reader missed could contradict; the reply says first that
                # the value asked about was never told (`_not_told`).
                # (of one value at a time, a city, "Do I live in Porto?" has its answer in
                # the value there is; "ever" asks of every one)
                if cq.about_user and cq.value is not None and \
                        cq.value.lower() not in _ANY_VALUE and (
                            not cq.now or cq.attribute in MULTI_VALUED):
                    self._unknown = (cq.attribute, cq.value, not cq.now)
                cq = _q_plain(cq)
                facts = self._facts_for(cq)
        elif cq is not None and cq.past:
            # The values it had before (when none was replaced, the one there is: "my old
            # boss" may still be the boss); before the value named ("where did I live before
            # Lisbon?" after Berlin, Lisbon, Porto: Berlin), the one just before it.
            before = self._before_value(cq) if cq.value is not None else None
            facts = before if before is not None else (self._older(cq, facts) or facts)
        if cq is not None and not cq.past and not cq.history:
            # A relative's facts are written under the relation ("my sister lives in Porto")
            # or under the name the user gave them ("Ana moved to Lisbon"): asked either
            # way, the newer of the two answers.
            other = self._by_name(cq) if cq.about_user else self._by_relation(cq)
            if other is not None:
                found = self._facts_for(other)
                if found and (not facts or (not any(_many_valued(h.cube) for h in facts)
                                            and _newest(found) > _newest(facts))):
                    cq, facts = other, found
        if cq is not None and not facts and cq.past:  # (asked of the present just above)
            other = self._by_name(cq)
            if other is not None:
                found = self._facts_for(other)
                if found:
                    cq, facts = other, found
        if cq is not None and not facts and not cq.about_user:
            other = self._fuller(cq)
            if other is not None:
                found = self._facts_for(other)
                if cq.past:  # as above: the values before the current one, else the current
                    found = self._older(other, found) or found
                if found:
                    cq, facts = other, found
        if cq is not None and not facts and cq.about_user and cq.attribute in _NAME_PARTS:
            facts = self._facts_for(replace(cq, attribute="name",
                                            question=f"What is {cq.subject}'s name?"))
        if cq is not None and not facts and not cq.history and not cq.past and not cq.count:
            # "Where do I live?" when only the address was told ("My address is 12 Rose
            # Street, Edinburgh"): the address answers it
            rel, sep, attribute = cq.attribute.rpartition("'s ")
            if attribute in _ANSWERED_BY:
                other = replace(cq, attribute=f"{rel}{sep}{_ANSWERED_BY[attribute]}",
                                question=f"What is {cq.subject}'s {rel}{sep}"
                                         f"{_ANSWERED_BY[attribute]}?")
                found = self._facts_for(other)
                # (a relative's, under the name the user gave them or under the relation)
                named = None if found else (self._by_name(other) if other.about_user
                                            else self._by_relation(other))
                if named is not None:
                    other, found = named, self._facts_for(named)
                if found:
                    cq, facts = other, found
        if cq is not None and cq.categories and not cq.history:
            facts = self._of_categories(cq, facts)  # "what music do I like?": music only
        if self.backend == "llm" or (self.backend == "auto" and self.llm is not None):
            return "llm", "an LLM endpoint is configured", cq, facts
        if self.backend == "extractive":
            return "extractive", "backend extractive", cq, facts
        if self.backend == "model":
            return "model", "backend model", cq, facts
        if cq is not None and cq.count:
            return "extractive", f"a count: how many of {cq.question!r}", cq, facts
        if cq is not None and cq.past and facts and _ended(facts[0].cube):
            return "extractive", f"the value before the current one of {cq.question!r}", cq, \
                facts
        if cq is not None and cq.past and cq.value is None and facts and not any(
                _ended(h.cube) for h in facts):
            return "extractive", f"no value before the current one of {cq.question!r}", cq, \
                facts
        if cq is not None and cq.history and facts:
            what = f"the values {cq.value!r} of" if cq.value else "every value over time of"
            return "extractive", f"{what} {cq.question!r}", cq, facts
        if cq is None:
            return "extractive", "the question does not ask for one stated fact", cq, facts
        if not facts:
            return "extractive", f"no stored fact answers {cq.question!r}", cq, facts
        if len(facts) > 1:
            return "extractive", f"{len(facts)} facts answer {cq.question!r}", cq, facts
        if cq.attribute in _NAME_PARTS or cq.attribute in ("likes", "dislikes") or cq.every:
            # ("my pets' names" of one dog: the fact says "dog's name", the model reads
            # "pet's name" in it no better than a first name in a full one)
            return ("extractive", f"the stored fact is not written as {cq.question!r}", cq,
                    facts)
        value = facts[0].cube.metadata.get("value")
        if not isinstance(value, str):
            value = _value_of(facts[0].content, cq)
        why_not = model_value_problem(value)
        if why_not is not None:
            return "extractive", f"the model cannot answer this value: {why_not}", cq, facts
        return "model", f"one stored fact answers {cq.question!r}", cq, facts

    # -- one turn ------------------------------------------------------------------------

    def reply(self, text: str, *, session_id: str | None = None,
              on_token: TokenFn | None = None, at: datetime | None = None) -> Reply:
        """Answer `text` from memory, then remember the turn (unless `learn=False`).
        `on_token` receives the llm backend's tokens as they arrive; `at` is when the user
        said it (default: now; an imported or replayed conversation gives its own times)."""
        _text_arg(text, "text", "the user's message")
        if not text.strip():
            raise InvalidInputError("say something: the message is empty")
        if on_token is not None and not callable(on_token):
            raise InvalidInputError(f"on_token must be a function taking each piece of text, "
                                    f"or None, got {on_token!r:.40}")
        self._enders = {}  # what ended which fact: looked up once per reply
        self._kinds = {}  # ... and the categories of a like
        if len(text) > MAX_TURN_CHARS:
            raise InvalidInputError(f"the message is over {MAX_TURN_CHARS:,} characters; "
                                    f"split it")
        if at is not None and not isinstance(at, datetime):
            raise InvalidInputError(f"at must be a datetime, got {at!r:.40}")
        try:
            check_stored_text(text, "the message")
        except ValueError as exc:
            raise InvalidInputError(str(exc)) from None
        sid = _session_arg(session_id) if session_id is not None else self.session_id
        start = time.perf_counter()
        now = utcnow() if at is None else as_utc(at)
        self._asked_at = now  # (how long a value has held is counted to this time)
        self._name = None
        self._name = self.user_name
        try:
            return self._reply(text, sid, now, start, on_token)
        finally:
            self._name = None

    def _reply(self, text: str, sid: str, now: datetime, start: float,
               on_token: TokenFn | None) -> Reply:
        from memos.reader.dates import resolve_dates

        said = " ".join(text.split())
        forget = _FORGET.match(said) if len(text) <= 2_000 else None
        delete = _DELETE.match(said) if len(text) <= 2_000 and forget is None else None
        if delete is not None and delete.group("told") is not None and re.search(
                r"\s(?:from|out\s+of)\s+(?:the|my|this|that|our|his|her)\s+(?:\w+\s+)?(?:email|"
                r"e-mail|letter|doc|document|file|text|message|note|draft|post|speech|toast|"
                r"essay|report|list|page|slide|slides|presentation|plan|cv|resume|card|"
                r"invitation|article|story|script|notes)\b", delete.group("told"), re.I):
            delete = None  # "remove what I said about the budget from the email": an edit
        if delete is not None and delete.group("mine") is not None and not self._stored(
                delete.group("mine")):
            delete = None  # "remove my shoes from the box": no fact of that name is stored
        if delete is not None:  # (said of memory: a forget request in other words)
            named = (delete.group("all") or (delete.group("about") and
                                             f"everything about {delete.group('about')}")
                     or (delete.group("told") and f"what I said about {delete.group('told')}")
                     or delete.group("what") or delete.group("info") or delete.group("mine"))
            forget = _FORGET.match(f"forget {named}")
        lead = _FORGET_LEAD.match(said) if forget is None and delete is None and \
            len(text) <= 2_000 else None
        if lead is not None:
            # "actually, forget my address", "oh and can you forget that ella has a peanut
            # allergy", "hey, forget priya please": after words that open a turn, a request
            # only of what is stored ("ok, forget about work, I'm on holiday!" is none)
            led = _FORGET.match(said[lead.end():])
            named = _reason_cut(led.group("what")) if led is not None else ""
            after = led.group("what")[len(named):] if led is not None else ""
            if led is not None and not _states_facts(after, self.user_name) and \
                    self._forget_names_stored(named, clause=re.search(
                        r"\bforget\s+that\s", led.group(0), re.I) is not None):
                # ("well, forget about Acme, I got a job at Google!": a change told, not a
                # request: its facts are read)
                forget = led
        if forget and forget.group("what").strip(" .!?").lower() in _NOT_A_THING:
            forget = None  # "oh forget it", "forget that": said in passing, no request
        bare = _BARE_FORGET.match(said) if forget is None and len(text) <= 200 else None
        if bare is not None:
            # "never mind, forget that": what this session's last statement told, if any
            # ("forget it" names nothing even so: "never mind" as often)
            reply = self._forget_last(sid, named=bare.group("it") is None)
            reply.seconds["total"] = time.perf_counter() - start
            return reply
        if forget:
            what = _reason_cut(forget.group("what"))
            reply = self._forget(what or forget.group("what"), sid)
            reply.seconds["total"] = time.perf_counter() - start
            return reply
        chats = self.backend == "llm" or (self.backend == "auto" and self.llm is not None)
        if not is_question(text) and self.learn and not chats:
            return self._note(text, sid, now, start)
        chat = _CHAT_ASKED.match(said) if not chats else None
        if chat is not None:
            # "how are you today?", "what's the weather like?": asked of the assistant, not
            # of what it remembers (offline it quoted a memory back)
            answer = ("I'm well, thank you! What would you like me to remember, or to look "
                      "up?" if chat.group("how") else
                      "I'm your memory assistant: I keep what you tell me and answer from it. "
                      "I have no name of my own." if chat.group("who") else
                      "I can't see the weather from here; I only know what you've told me.")
            self._remember(sid, [("user", text), ("assistant", answer)], now)
            return Reply(text=answer, backend="note", memories=[],
                         seconds={"total": time.perf_counter() - start}, session_id=sid,
                         route="small talk, asked of the assistant")
        talked = _TALKED.match(said) if not chats and len(text) <= 200 else None
        if talked is not None:
            answer, used = self._talked(talked.group("when"), sid, now)
            self._remember(sid, [("user", text), ("assistant", answer)], now,
                           used=[u.id for u in used])
            return Reply(text=answer, backend="extractive", memories=used,
                         seconds={"total": time.perf_counter() - start}, session_id=sid,
                         route="what an earlier conversation was about")
        t0 = time.perf_counter()
        noted, just_said = "", set()
        told_first = not chats and self.learn and _states_facts(text, self.user_name)
        if told_first:
            # "I started at Acme today. Where do I work?": the facts told beside the question
            # are written first, so the answer reads them (not the turn itself), and the
            # reply says what was noted
            report = self._remember(sid, [("user", text)], now)
            just_said = {e for e in (report.episodes if report is not None else []) if e}
            noted = self._noted(report)
        self._last_facts = None  # (`_upcoming` reuses this reply's search only)
        backend, why, cq, facts = self.route(text)
        asked = resolve_dates(text, now)  # the times the question names, resolved once
        hits = [h for h in _date_fit(self._search(dated_query(text, now, asked), SEARCH_K), asked)
                if h.id not in just_said]
        seconds = {"retrieve": time.perf_counter() - t0}
        t1 = time.perf_counter()
        notes: list[str] = []
        ahead = self._upcoming(cq) if backend != "llm" and cq is not None and not cq.past \
            and cq.during is None and not cq.count else []
        if ahead and backend == "model":
            backend = "extractive"  # (the model reads every fact's slots, the later one's too)
        if backend == "model":
            answer_text, used = self._answer_model(text, cq, facts, hits)
        elif backend == "llm":
            try:
                answer_text, used, said = self._answer_llm(text, sid, hits, facts, on_token)
                notes.extend(said)
            except ModelError as exc:
                if self.backend == "llm":
                    raise
                if not is_question(text) and self.learn:  # a statement: noted, as offline
                    reply = self._note(text, sid, now, start)
                    reply.notes.insert(0, f"the LLM failed ({exc}); noted what was said "
                                          "without it")
                    return reply
                notes.append(f"the LLM failed ({exc}); answered extractively")
                backend = "extractive"
                answer_text, used = self._answer_extractive(cq, facts, hits, text)
        else:
            answer_text, used = self._answer_extractive(cq, facts, hits, text)
        if backend != "llm" and self._unknown is not None and facts and not any(
                _says_of_user(self._unknown[1], h.content) for h in hits
                if h.cube.scope.user_id == self.scope.user_id
                and h.cube.metadata.get("role") != "assistant" and not is_question(h.content)):
            # (not when a memory of the user's says the value: a turn the reader missed, or
            # a fact changed since, "I live in Lisbon" of a city now Porto; the user's own
            # questions and the assistant's replies say nothing of it)
            answer_text = f"{_not_told(*self._unknown)} {answer_text}"
        if ahead and not all(u.id in {c.id for c in ahead} for u in used):
            # "... From 1 November 2027: your employer is DeepMind."
            answer_text += "".join(f" From {date_text(c.valid_from)}: {self._second_person(c)}."
                                   for c in ahead[:3])
            used += [MemoryUsed(c.id, c.content, c.kind.value, 0.0, "set to begin later",
                                _when(c)) for c in ahead[:3]]
        seconds["answer"] = time.perf_counter() - t1
        t2 = time.perf_counter()
        if told_first:
            answer_text = f"{noted} {answer_text}" if noted and backend != "llm" else answer_text
            self._remember(sid, [("assistant", answer_text)], now, used=[u.id for u in used])
        else:
            self._remember(sid, [("user", text), ("assistant", answer_text)], now,
                           used=[u.id for u in used])
        seconds["ingest"] = time.perf_counter() - t2
        seconds["total"] = time.perf_counter() - start
        return Reply(text=answer_text, backend=backend, memories=used, seconds=seconds,
                     session_id=sid, route=why, question=cq.question if cq else None,
                     notes=notes)

    def _talked(self, when: str, sid: str, now: datetime) -> tuple[str, list[MemoryUsed]]:
        """What the user said in an earlier conversation: the last session before this one
        ("last time", "before"), or the turns of a day ("yesterday", "today"), from the live
        turns among the user's newest 1,000 memories (a turn forgotten since is not told)."""
        day_word = when.lower().split()[0]
        page = self.mem.list_memories(self.scope, limit=1000, kind="episode")
        zone = now.tzinfo

        def said_at(cube: MemCube) -> datetime:  # (in the asker's time zone)
            return _when(cube).astimezone(zone)  # type: ignore[union-attr]

        # (a question of this kind asked before is no part of what was talked about)
        turns = [c for c in page.items if _role(c) == "user" and SUMMARY_TAG not in c.tags
                 and _when(c) is not None and said_at(c) <= now
                 and not _TALKED.match(" ".join(_said(c).split()))]
        if day_word in ("yesterday", "today", "earlier"):
            day = (now - timedelta(days=1 if day_word == "yesterday" else 0)).date()
            turns = [c for c in turns if said_at(c).date() == day]
            if not turns:
                return (f"I don't have anything from our conversation "
                        f"{'yesterday' if day_word == 'yesterday' else 'earlier today'}.", [])
            opening = (f"Yesterday ({date_text(day)})" if day_word == "yesterday"
                       else "Earlier today")
        else:
            before = [c for c in turns if c.scope.session_id != sid]
            if not before:
                return "I don't have an earlier conversation with you.", []
            last = max(before, key=said_at)
            turns = [c for c in before if c.scope.session_id == last.scope.session_id]
            opening = f"Last time we talked, on {date_text(said_at(last))}"
        # (oldest first; turns said at one time in the order they were stored)
        turns = sorted(reversed(turns), key=said_at)
        asks = {c.id: _only_asks(_said(c)) for c in turns}
        told = [c for c in turns if not asks[c.id]]
        asked = [c for c in turns if asks[c.id]]

        def quoted(cubes: list[MemCube]) -> str:
            more = len(cubes) - TALKED_MAX
            said = [f'"{_short(_said(c), 120)}"' for c in cubes[:TALKED_MAX]]
            return _listed(said + ([f"{more} more"] if more > 0 else []))

        parts = [f"you told me {quoted(told)}"] if told else []
        if asked:
            parts.append(f"you asked {quoted(asked)}")
        used = [MemoryUsed(c.id, c.content, c.kind.value, 0.0, f"a turn of {when.lower()}",
                           _when(c)) for c in [*told[:TALKED_MAX], *asked[:TALKED_MAX]]]
        return f"{opening}, " + "; ".join(parts) + ".", used

    def _noted(self, report: IngestReport | None) -> str:
        """"Noted: your employer is Acme; your wife's name is Sara." of the facts a turn told
        (`report`), in the second person; "" when it told none."""
        self._name = None  # the turn may have stated the user's name
        parts: list[str] = []
        for cube_id in dict.fromkeys(report.facts if report is not None else []):
            try:
                parts.append(self._second_person(self.mem.get(cube_id, self.scope)))
            except NotFoundError:
                continue
        return "Noted: " + "; ".join(parts) + "." if parts else ""

    def _note(self, text: str, sid: str, now: datetime, start: float) -> Reply:
        """A statement, with no LLM to chat: remember it, and say what was learned."""
        t0 = time.perf_counter()
        report = self._remember(sid, [("user", text)], now)
        self._name = None  # the turn may have stated the user's name
        learned: list[MemCube] = []
        for cube_id in dict.fromkeys(report.facts if report is not None else []):
            try:
                learned.append(self.mem.get(cube_id, self.scope))
            except NotFoundError:
                continue
        before: dict[str, str] = {}
        ended: list[str] = []
        for cube_id in (report.superseded + report.ended) if report is not None else []:
            try:
                old = self.mem.history(cube_id, self.scope)[-1]
            except NotFoundError:
                continue
            if cube_id in report.ended:
                meta = old.metadata
                if any(c.metadata.get("relation") == meta.get("relation")
                       and c.metadata.get("subject") != meta.get("subject")
                       and _same_value(str(c.metadata.get("value", "")),
                                       str(meta.get("value", "")))
                       for c in learned):
                    continue  # said again of the one renamed ("Sorry, I meant Dave")
                ended.append(self._second_person(old))
            else:
                before[str(_fact_attribute(old))] = str(old.metadata.get("value", ""))
        from memos.reader.ingest import CORRECTS_KEY

        parts = []
        for cube in learned:
            was = before.get(str(_fact_attribute(cube)))
            if was is not None and _same_value(was, str(cube.metadata.get("value", ""))):
                was = None  # (the same value said again: "I live in Portland" twice)
            # ("Sorry, I meant Lyon": a value corrected never was)
            word = "not" if cube.metadata.get(CORRECTS_KEY) else "it was"
            parts.append(self._second_person(cube) + (f" ({word} {was})" if was else "") + (
                f" (from {date_text(cube.valid_from)})" if _not_begun(cube, now) else ""))
        from memos.reader.rules import tells_a_death

        answer = "Noted: " + "; ".join(parts) + "." if parts else (
            _small_talk(text, self.user_name) if not ended else "Noted.")
        if ended:
            answer += " No longer: " + "; ".join(ended) + "."
        if tells_a_death(text):  # "my dad passed away": no list of what ended
            answer = "I'm so sorry for your loss. " + (
                "Noted: " + "; ".join(parts) + "." if parts else "I've noted it.")
        seconds = {"ingest": time.perf_counter() - t0}
        t1 = time.perf_counter()
        # The note states the facts learned and the values they replaced or ended.
        self._remember(sid, [("assistant", answer)], now, used=[
            *(c.id for c in learned), *((report.superseded + report.ended)
                                        if report is not None else [])])
        seconds["ingest"] += time.perf_counter() - t1
        seconds["total"] = time.perf_counter() - start
        return Reply(text=answer, backend="note", memories=[], seconds=seconds,
                     session_id=sid, route="a statement: remembered, nothing to answer")

    def _during(self, cq: CanonicalQuestion, facts: list[SearchHit],
                during: tuple[date, date, str]) -> tuple[str, list[MemoryUsed]]:
        """"Where did I live in 2019?": the values that held in the period (`_held_during`),
        each with when it held, oldest first; said so when none is known to have."""
        said = during[2]
        if not facts:
            attribute = cq.attribute.rpartition("'s ")[2]
            whose = "your" if cq.about_user and "'s " not in cq.attribute else \
                f"{cq.subject}'s" if not cq.about_user else \
                "your " + cq.attribute.rpartition("'s ")[0] + "'s"
            return f"I don't know {whose} {attribute} in {said}.", []
        chosen = sorted(dict((h.id, h) for h in facts).values(), key=lambda h: _began(h.cube))
        lines = []
        for hit in chosen:
            line = self._your_past(hit.cube) if _ended(hit.cube) else \
                self._second_person(hit.cube) + (
                    f" ({_span(hit.cube)})" if _span(hit.cube) else "")
            lines.append(line[:1].lower() + line[1:] if line.startswith("Your ") else line)
        return (f"In {said}, " + "; ".join(lines) + ".",
                [_used(h, f"held in {said}") for h in chosen])

    def _your_past(self, cube: MemCube) -> str:
        """`_past_line` spoken to the user when the fact is theirs ("Your city was Lisbon
        (until 10 April 2026)"), as the present one is ("Your city is Porto.")."""
        you = self._second_person(cube)
        if you.startswith(("you like ", "you dislike ")):  # "You liked hiking (until ...)"
            verb, rest = you[4:].split(" ", 1)
            return _past_line(cube, f"You {verb}d {rest}")
        return _past_line(cube, "Y" + you[1:]) if you.startswith("your ") else _past_line(cube)

    def _second_person(self, cube: MemCube) -> str:
        """A fact about the user in the second person ("your city is Porto"): the
        assistant's own words are stored too, and must not read as the fact itself."""
        text = cube.content.rstrip(".")
        subject = cube.metadata.get("subject")
        if subject == f"user:{self.scope.user_id}":
            return self._to_you(text)
        return text

    def _to_you(self, text: str) -> str:
        """A fact's words about the user in the second person: "Alice's city is Porto" ->
        "your city is Porto", "Alice likes sushi" -> "you like sushi"; other words as they
        are."""
        name = self.user_name
        if text.startswith(f"{name}'s "):
            return "your " + text[len(name) + 3:]
        if text.startswith(f"{name} "):
            rest = text[len(name) + 1:]
            for verb in ("likes ", "dislikes "):  # "Dan likes sushi" -> "you like sushi"
                if rest.startswith(verb):
                    rest = verb[:-2] + " " + rest[len(verb):]
            return "you " + rest
        return text

    def _remember(self, sid: str, messages: list[tuple[str, str]], now: datetime, *,
                  used: Sequence[str] = ()) -> IngestReport | None:
        """Write the turns through MemReader and keep them for the session's transcript.
        `used`: the memories the assistant's reply drew on, recorded on its episode, so that
        forgetting or purging one of them forgets or purges the reply (MemOS.forget)."""
        report = None
        if self.learn:
            ids = list(dict.fromkeys(used))[:MAX_USED]
            report = self.mem.ingest([{"role": role, "content": text, "at": now,
                                       **({"used": ids} if role == "assistant" and ids else {})}
                                      for role, text in messages], self.scope, session_id=sid,
                                     at=now, user_name=self._stated_name)
        episodes: list[str | None] = (list(report.episodes) if report is not None
                                      else [None] * len(messages))
        self._turns.setdefault(sid, []).extend(
            _Turn(role, text, now, episode)
            for (role, text), episode in zip(messages, episodes, strict=True))
        if report is None:
            return None
        self._facts.setdefault(sid, []).extend(report.facts)
        self._episodes.setdefault(sid, []).extend(report.episodes)
        for failure in report.failed:
            log.warning("ingest of a turn: %s failed: %s", failure.stage, failure.error)
        return report

    # -- backends ------------------------------------------------------------------------

    def _age_by_birth(self, cq: CanonicalQuestion | None) -> tuple[str, list[MemoryUsed]] | None:
        """"How old am I?" when a birthday with its year is stored ("I was born on 12 March
        1951"): the age on the day asked, counted from it, whatever age was told before."""
        from dataclasses import replace

        from memos.reader.dates import resolve_dates

        if cq is None or cq.past or cq.during is not None or \
                cq.attribute.rpartition("'s ")[2] != "age":
            return None
        head = cq.attribute[:-len("age")]
        born = [h for h in self._facts_for(replace(cq, attribute=f"{head}birthday"))
                if not _ended(h.cube)]
        names = self._kin_names(cq) if head else set()
        if not born and len(names) == 1:
            # "how old is my son?" with "my son Oliver's birthday is 2 July 2014": Oliver's
            (name,) = names
            born = [h for h in self._facts_for(replace(
                cq, subject=name, attribute="birthday", question=f"What is {name}'s birthday?",
                about_user=False)) if not _ended(h.cube)]
        now = as_utc(getattr(self, "_asked_at", None) or utcnow()).date()
        for hit in born:
            value = str(hit.cube.metadata.get("value") or "")
            days = [m for m in resolve_dates(value, now) if m.precision == "day"
                    and str(m.date.year) in value]
            if len(days) != 1 or days[0].date > now:
                continue
            day = days[0].date
            rel = head[:-len("'s ")]
            died = self._death_told(rel) if rel else None
            if died is not None:  # "my dad died in 2010": no age counted on past it
                return (f"You told me your {rel} died (on {date_text(_told(died))}:"
                        f" \"{_said(died)}\"); born {date_text(day)}.",
                        [_used(hit, "the birthday"), MemoryUsed(
                            died.id, died.content, died.kind.value, 0.0, "the death told",
                            _when(died))])
            years = now.year - day.year - ((now.month, now.day) < (day.month, day.day))
            return (f"{self._owner(cq)} {cq.attribute} is {years} (born {date_text(day)}).",
                    [_used(hit, "the birthday, counted to today")])
        if not head and not born and not self._facts_for(cq):
            return self._age_by_year(now)
        return None

    def _age_by_year(self, now: date) -> tuple[str, list[MemoryUsed]] | None:
        """"How old am I?" when only the year of birth was told ("I was born in 1990", "...
        in May 1990"), in the user's newest turn that tells it: the age counted from it,
        the two it may be when the day is not known."""
        from memos.reader.dates import MONTHS

        told: tuple[int, int | None, SearchHit] | None = None
        for hit in self._search("I was born in", COUNT_K, record_access=False,
                                kind=[Kind.EPISODE.value]):
            if _role(hit.cube) == "assistant" or SUMMARY_TAG in hit.cube.tags:
                continue
            said = _said(hit.cube)
            m = _BORN_IN_YEAR.search(said[:MAX_TURN_CHARS])
            if m is not None and _NOT_OWN_CLAUSE.search(said[max(0, m.start() - 200):m.start()]):
                continue  # "my friend said I was born in 1985 in her dream", "if I was born ..."
            if m is None or (told is not None and _began(hit.cube) <= _began(told[2].cube)):
                continue
            month = MONTHS.get(m.group("month").lower().rstrip(".")) if m.group("month") else None
            told = (int(m.group("year")), month, hit)
        if told is None or told[0] > now.year:
            return None
        year, month, hit = told
        older = now.year - year
        if month is not None and month != now.month:
            age = str(older if month < now.month else older - 1)
        else:
            age = f"{older - 1} or {older}" if older > 0 else str(older)
        born = f"{calendar.month_name[month]} {year}" if month else str(year)
        return (f"You are {age} (born in {born}, as you told me on {date_text(_told(hit.cube))}).",
                [_used(hit, "the year of birth, counted to today")])

    def _death_told(self, relation: str) -> MemCube | None:
        """The user's newest turn that tells of the death of their `relation` ("father": "my
        dad passed away in 2010"; `reader.rules.deaths`), if any."""
        from memos.reader.rules import deaths

        told = [hit.cube for hit in self.mem.search(
                    "died passed away", self.scope, k=32, record_access=False,
                    kind=Kind.EPISODE.value)
                if _role(hit.cube) == "user" and relation in deaths(_said(hit.cube))]
        return max(told, key=lambda c: _when(c) or utcnow()) if told else None

    def _answer_model(self, text: str, cq: CanonicalQuestion | None, facts: list[SearchHit],
                      hits: list[SearchHit]) -> tuple[str, list[MemoryUsed]]:
        by_birth = self._age_by_birth(cq)
        if by_birth is not None:
            return by_birth
        question = cq.question if cq is not None else text
        if cq is not None and len(facts) == 1:
            # Asked about the subject as the fact names it: a fact written before the user's
            # name changed says "Joanna Walsh's job is ...", and the model matches names.
            head = f"'s {cq.attribute} is "
            content = facts[0].cube.content
            if head in content:
                question = f"What is {content.split(head, 1)[0]}'s {cq.attribute}?"
        # The model reads the facts chosen here (the one that holds now), not what a search
        # finds: beside "Alice's city is Rome." just told, an older "Alice's city is Oslo."
        # written without the reader's metadata was read too, and answered.
        got = self.mem.answer(question, self.scope, k=MODEL_K, model=self.model, own_only=True,
                              memories=[h.id for h in facts[:MODEL_K]] if facts else None)
        found = {h.id: h for h in [*facts, *hits]}
        used: list[MemoryUsed] = []
        for cube_id, version in got.cubes:
            hit = found.get(cube_id)
            if hit is not None:
                used.append(_used(hit, f"read by the model (slots v{version}; {_why(hit)})"))
                continue
            try:
                cube = self.mem.get(cube_id, self.scope)
            except NotFoundError:
                continue
            used.append(MemoryUsed(cube.id, cube.content, cube.kind.value, 0.0,
                                   f"read by the model (slots v{version})", _when(cube)))
        if getattr(got, "tier", "activation") == "parametric":  # an adapter answered closed-book
            adapter = str(getattr(got, "adapter_id", "") or "")[:12]
            used = [_used(h, f"consolidated into adapter {adapter}: answered closed-book")
                    for h in facts]
        value = got.text.strip().rstrip(".").strip()
        if not value:
            return "I don't know.", used
        if cq is None:
            return value, used
        older = self._age_later(facts[0].cube) if len(facts) == 1 and \
            _same_value(str(facts[0].cube.metadata.get("value", "")), value) else None
        if older is not None:  # "i'm 29" told two years ago: 31 now
            return (f"{self._owner(cq)} {cq.attribute} was {value} when you told me on "
                    f"{date_text(_told(facts[0].cube))}" + (
                        f", so it is about {older} now." if isinstance(older, int)
                        else f"; {older}."), used)
        return f"{self._owner(cq)} {cq.attribute} is {value}.", used

    def _age_later(self, cube: MemCube) -> int | str | None:
        """What became of an age told: the age now, counted on a year or more later
        (`_age_now`), or for a relative whose death was told since ("my dad is 80", then
        "my dad passed away"), that they died (`_death_told`), with nothing counted on; None
        for any other fact, or an age to say as told."""
        attribute = _fact_attribute(cube) or ""
        rel, _, tail = attribute.rpartition("'s ")
        if tail == "age" and rel and "'" not in rel and str(
                cube.metadata.get("value") or "").strip().isdigit():
            died = self._death_told(rel)
            told, told_death = _told(cube), _told(died) if died is not None else None
            if died is not None and (told is None or told_death is None or
                                     as_utc(told_death) >= as_utc(told)):
                # (a death told before the age was told is of an age told since: "my grandma
                # passed away in 2020", then "my grandma is 92" of another grandmother)
                return f"you told me your {rel} died (on {date_text(_told(died))}: " \
                       f"\"{_said(died)}\")"
        return _age_now(cube, getattr(self, "_asked_at", None))

    def _owner(self, cq: CanonicalQuestion) -> str:
        """Whose attribute an answer names: "Your" for the user under their own name, else
        the subject's ("Jack's"; the user's facts written under a former name too)."""
        return "Your" if cq.about_user and cq.subject == self.user_name else f"{cq.subject}'s"

    def _useful(self, hits: list[SearchHit], text: str = "") -> list[SearchHit]:
        """Memories worth quoting: not the assistant's own words, not bare questions (one
        that says little beyond what `text` asks: "where do I live?" asked before), not
        session summaries (they repeat the turns they summarise)."""
        asked = set(_norm(text).split())
        out = []
        for hit in hits:
            cube = hit.cube
            if SUMMARY_TAG in cube.tags or "\nassistant: " in cube.content:
                continue  # a summary or a saved transcript repeats the turns themselves
            if cube.kind == Kind.EPISODE and _role(cube) == "assistant":
                continue
            if cube.kind == Kind.EPISODE and _only_asks(_said(cube)):
                more = set(_norm(_said(cube)).split()) - asked - _STOP - _ASK_WORDS - _AUX_WORDS
                # ("living" of "live": the same word asked again)
                more = {w for w in more if not any(_same_word(a, w) for a in asked)}
                if len(more) < 4:
                    continue
                # A question the user asked holds what it asks about ("... thanking her for
                # taking in my parcel?") but answers nothing: after every statement as good.
                # ("Leo wants a dinosaur party, any ideas?" also states something.)
                hit = hit.model_copy(update={"score": hit.score * QUESTION_SCORE})
            out.append(hit)
        return sorted(out, key=lambda h: -h.score)

    def _answer_extractive(self, cq: CanonicalQuestion | None, facts: list[SearchHit],
                           hits: list[SearchHit], text: str = ""
                           ) -> tuple[str, list[MemoryUsed]]:
        from memos.reader.questions import about_me_question

        if cq is None and (about_me_question(text) or _WHO_AM_I.match(text)):
            return self._about_user(facts)
        by_birth = self._age_by_birth(cq)
        if by_birth is not None:
            return by_birth
        how_long = _HOW_LONG.match(text.strip()) if cq is None else None
        if how_long is not None:
            return self._how_long(how_long)
        ex = _EX_ASKED.match(text.strip()) if cq is None else None
        if ex is not None:
            kind = f"ex-{_tie_kind(ex.group('rel'))}" if ex.group("rel") else "ex"
            if not facts:
                return f"I don't know of an {kind} of yours.", []
            lines = [f"{h.cube.metadata.get('value')} (your "
                     f"{(_fact_attribute(h.cube) or '').removesuffix(chr(39) + 's name')}"
                     + _until(h.cube) + ")" for h in facts]
            return (f"Your {kind}: " + "; ".join(lines) + ".",
                    [_used(h, "a tie that ended") for h in facts])
        who = _WHO_IS.match(_asked_as_capitalised(text.strip())) if cq is None else None
        person = who.group("name") if who is not None else None
        if person is not None and person.lower() not in _NOT_SOMEONE:
            # "Who is Sam?": "Sam is your partner."; no fact names them: only turns that
            # do, else that nothing is known ("Who was I?" names no one)
            known = self._who_is(person)
            if known is not None:
                return known
            named = re.compile(rf"\b{re.escape(person)}\b")
            # (in lower case only as a clause's subject: "jonas owes me 450 euros", not "a
            # bad mark in my exam", "i will call mum")
            lower = re.compile(rf"(?:^|[.!?,;]\s*|\b(?:and|but|so|btw)\s+)"
                               rf"{re.escape(person.lower())}(?:['’]s\b|\s+(?!(?:of|in|at|on|"
                               rf"to|for|is\s+(?:a|the)\s+(?:day|time|thing))\b)[a-z]+s\b|"
                               rf"\s+(?:is|was|has|had|and|said)\b)")

            def names(words: str) -> bool:  # (in a turn typed all in lower case, "jonas")
                return bool(named.search(words) or (
                    not any(c.isupper() for c in words) and lower.search(words)))

            said = [h for h in self._useful(hits, text) if h.cube.kind == Kind.EPISODE
                    and names(_said(h.cube))][:EXTRACTIVE_MAX]
            if not said:
                return f"I don't know who {person} is yet.", []
            return self._quotes(said, hits, None, text)
        if cq is not None and cq.count:
            counted = self._count(cq, facts)
            if counted is not None:
                return counted
        if cq is not None and cq.during is not None:
            return self._during(cq, facts, cq.during)
        if not facts and cq is None:
            facts = self._facts_named(hits, text)
        if facts and cq is not None and cq.attribute in _NAME_PARTS and all(
                _fact_attribute(h.cube) == "name" for h in facts):
            value = str(facts[0].cube.metadata.get("value") or "").split()
            if len(value) > 1:
                part = value[-1] if cq.attribute == "last name" else value[0]
                return f"Your {cq.attribute} is {part}.", [_used(facts[0], "your stated name")]
            if value and cq.attribute == "first name":
                return f"Your first name is {value[0]}.", [_used(facts[0], "your stated name")]
            if value:  # one word told: that is no last name
                return (f"I don't know your last name: you told me your name is {value[0]}.",
                        [_used(facts[0], "your stated name")])
        if facts and cq is not None and cq.history:
            return self._ever(cq, facts) if cq.value else self._over_time(cq, facts)
        if facts and cq is not None and cq.past and _ended(facts[0].cube):
            chosen = sorted(facts, key=lambda h: h.cube.valid_to or utcnow(), reverse=True)[:1]
            what = (f"the value before {cq.value}" if cq.value is not None
                    and self._before_value(cq) is not None else "the value before the current one")
            return f"{self._your_past(chosen[0].cube)}.", [_used(chosen[0], what)]
        if not facts and cq is not None and cq.past and cq.value is not None \
                and self._before_value(cq) == []:
            # "where did I live before Berlin?" when Berlin is the first city told
            attribute = cq.attribute.rpartition("'s ")[2]
            return (f"I don't know of any {attribute} of yours before {cq.value}."
                    if cq.about_user and "'s " not in cq.attribute else
                    f"I don't know of any {attribute} before {cq.value}."), []
        note = ""
        if facts and cq is not None and cq.categories and not any(
                self._in_categories(h.cube, cq.categories) for h in facts):
            # "What music do I like?" when no like is of that kind (`_of_categories`): the
            # likes there are, said to be others
            from memos.reader.categories import label

            note = (f"I don't know what {label(cq.categories)} you like yet. "
                    f"Other things you like: ")
        if facts and cq is not None and cq.past and cq.value is None and not any(
                _ended(h.cube) or _many_valued(h.cube) for h in facts):
            # "where did I live before?" with one city told: said so, then the one there is
            attribute = cq.attribute.rpartition("'s ")[2]
            note = (f"I don't know of any {attribute} of yours before this one. "
                    if cq.about_user and "'s " not in cq.attribute else
                    f"I don't know of any {attribute} before this one. ")
        if facts:  # stored facts answer the question: those, newest first
            chosen = sorted(facts, key=lambda h: _when(h.cube) or utcnow(), reverse=True)
            if not any(_many_valued(h.cube) for h in chosen):
                chosen = chosen[:EXTRACTIVE_MAX]
            elif len(chosen) > LIST_MAX:  # every allergy: one left out could harm
                text, used = self._quotes(chosen[:LIST_MAX], hits, cq, text)
                return f"{note}{text} (And {len(chosen) - LIST_MAX} more.)", used
            text, used = self._quotes(chosen, hits, cq, text)
            return note + text, used
        else:
            useful = self._useful(hits, text)
            from memos.embedders import HashingEmbedder

            unsure = ""
            if cq is None and isinstance(self.mem.embedder, HashingEmbedder):
                # A question of no one stated fact, asked of a store whose vectors are bags of
                # words: a memory that shares no word with it was ranked for nothing. Of
                # anything but the user, such memories are not quoted ("what's the capital
                # of France?" quoted "Sorry, I meant Max."); of the user, they are quoted as
                # the closest there is, said to be no answer ("what outdoor stuff am I
                # into?" of "I love hiking"; "how do I cook rice?" of a cat's name)
                topic = _words_of(text)
                sharing = [h for h in useful if _shares_words(topic, _said(h.cube))]
                if not set(_norm(text).split()) & _OF_SPEAKER:
                    useful = sharing
                elif useful and not sharing:
                    unsure = ("Nothing you told me answers that directly, but here is the "
                              "closest. ")
            if cq is not None:  # no fact answers it: only what speaks of it
                names = self._kin_names(cq)
                useful = [h for h in useful if self._relevant(h.cube, cq, names)]
                if not useful:  # "what's my diet?": "I'm vegan now", found by its words
                    more = self._spoken_of(cq)
                    useful = [h for h in self._useful(more, text)
                              if self._relevant(h.cube, cq, names)]
                    hits = [*hits, *more]
            asked_at = getattr(self, "_asked_at", None)
            gone = [h for h in self._history(cq) if _ended(h.cube, asked_at)] if (
                cq is not None and not cq.history and not cq.past and not cq.every
                and cq.value is None) else []
            if gone:
                # "where do I live?" after "I don't live in Lyon anymore": the value that
                # ended last, said to have ended, and only the turns said when it ended or
                # since ("I don't live in Lyon anymore"; those of the values before, "I live
                # in Paris", are no answer now)
                last = max(gone, key=lambda h: _ended_at(h.cube))
                end = _ended_at(last.cube)
                line = f"{self._your_past(last.cube)}; I don't know of " + (
                    "another since." if cq.attribute in ("likes", "dislikes") else "one since.")
                used = [_used(last, "the last value, which has ended")]
                ender = self._ender(last.cube)
                if ender is not None and ender.kind == Kind.EPISODE:  # "I left Acme"
                    line += f" {self._quote(ender)}"
                    used.append(self._ender_used(ender, last.cube, {h.id: h for h in hits}))
                own = {d.cube_id for d in last.cube.derived_from}  # (told as the past)
                since = [h for h in useful if (_when(h.cube) or end) >= end
                         and (ender is None or h.id != ender.id) and h.id not in own]
                if since:
                    said, more = self._quotes(since[:EXTRACTIVE_MAX], hits, cq, text)
                    line, used = f"{line} {said}", [*used, *more]
                return line, used
            others: list[SearchHit] = []
            if useful and _asks_of_user(text):
                # "Am I diabetic?" of "My husband is diabetic": what was told of someone else
                # is no answer about the user; said so, not quoted as if it were
                words = _words_of(text)
                others = [h for h in useful if h.cube.kind == Kind.EPISODE
                          and _told_of_another(_said(h.cube), words, self.user_name)]
                useful = [h for h in useful if h not in others]
                if others and not any(_shares_words(words, _said(h.cube)) for h in useful):
                    useful = []  # (what is left shares no word with it: no answer either)
                if not useful and others:
                    said, used = self._quotes(others[:1], hits, cq, text)
                    return ("You haven't told me that about yourself; what I have is about "
                            f"someone else. {said}", used)
            if not useful:
                return "I don't have anything about that yet.", []
            top = useful[0].score  # the best memory, and any about as good: a short answer
            chosen = [h for h in useful if h.score >= CLOSE_SCORE * top][:EXTRACTIVE_MAX]
            if unsure:
                said, used = self._quotes(chosen, hits, cq, text)
                return unsure + said, used
        return self._quotes(chosen, hits, cq, text)

    def _spoken_of(self, cq: CanonicalQuestion) -> list[SearchHit]:
        """The user's turns that say the words an attribute is spoken of with, when the
        question itself found none (`memos.reader.questions.spoken_words`: "vegan" of a
        diet); [] for an attribute without such words."""
        from memos.reader.questions import spoken_words

        words = spoken_words(cq.attribute)
        if not words:
            return []
        return self._search(" ".join(words), SEARCH_K, record_access=False,
                            kind=[Kind.EPISODE.value])

    def _count(self, cq: CanonicalQuestion, facts: list[SearchHit]
               ) -> tuple[str, list[MemoryUsed]] | None:
        """"How many kids do I have?" answered from the user's own facts of the kind that
        hold (`facts`: every child's name, every allergy) and the newest count the user
        stated ("I have two kids, Maya and Leo": `_stated_count`): "You have 2 children:
        Maya and Leo.". A number is only ever one stated or the items known, said as which:
        "You have 3 children (you told me on 1 May 2026); I only know the names of 2: Maya
        and Leo.", "You have 2 children that I know of: Tom and Lily.". None when nothing is
        known (answered as any question no fact answers)."""
        from memos.reader.questions import plural

        rel, sep, _attribute = cq.attribute.partition("'s ")
        kind = rel if sep else cq.attribute
        items: dict[str, str] = {}  # casefolded -> as said, oldest first
        used: list[MemoryUsed] = []
        began = {h.id: _began(h.cube) for h in facts}
        ties = Counter(began.values())
        turns: dict[str, MemCube | None] = {}  # (each turn read once)

        def said_at(hit: SearchHit) -> int:
            return self._said_at(hit.cube, cq, turns) if ties[began[hit.id]] > 1 else 0

        for hit in sorted(facts, key=lambda h: (began[h.id], said_at(h))):
            value = _fact_value(hit.cube, cq)
            if value and value.casefold() not in items:
                items[value.casefold()] = value
                used.append(_used(hit, f"one of your {plural(kind)} ({_why(hit)})"))
        stated = self._stated_count(kind)
        number = 0
        if stated is not None:
            count, turn = stated
            # one of those counted whose fact has ended since ("Jerry passed away" after "I
            # have two cats, Tom and Jerry") is counted no more
            gone = self._ended_since(cq, _told(turn.cube), set(items))
            number = count.number - sum(name.casefold() in gone for name in count.names)
            for name in count.names:
                if name.casefold() not in gone:
                    items.setdefault(name.casefold(), name)
            used.append(_used(turn, f"you said how many {plural(kind)} you have ({_why(turn)})"))
        names = list(items.values())
        if stated is None and not names:
            # none holds: those that did ("how many pets do I have?" after the one dog died)
            from memos.reader.questions import kin_questions

            gone = {}
            for form in kin_questions(cq):
                for hit in self._facts_for(form, include_superseded=True):
                    value = _fact_value(hit.cube, form)
                    if value and _ended(hit.cube) and not _never_held(hit.cube):
                        gone.setdefault(value.casefold(), (value, hit))
            if not gone:
                return None
            return (f"You have no {plural(kind)} now that I know of; no longer: "
                    f"{_listed([v for v, _ in gone.values()])}.",
                    [_used(h, f"one of your {plural(kind)} that ended ({_why(h)})")
                     for _, h in gone.values()])

        def many(n: int) -> str:
            return f"{n} {kind if n == 1 else plural(kind)}"

        listed = _listed(names)
        if stated is None:
            return f"You have {many(len(names))} that I know of: {listed}.", used
        told = date_text(_when(stated[1].cube))
        when = f" (you told me on {told})" if told else ""
        if number == len(names):
            if not number:
                return f"You have no {plural(kind)}{when}.", used
            return f"You have {many(number)}: {listed}.", used
        if number > len(names):
            what = "their names" if sep else "which"
            if not names:
                return f"You have {many(number)}{when}; I don't know {what} yet.", used
            known = (f"the names of {len(names)}" if sep else f"{len(names)} of them") \
                if len(names) > 1 else ("the name of 1" if sep else "1 of them")
            return f"You have {many(number)}{when}; I only know {known}: {listed}.", used
        said = f"on {told} you said" if told else "you said"
        have = f"no {plural(kind)}" if not number else many(number)
        return (f"I know of {many(len(names))} of yours: {listed} ({said} you have {have}).",
                used)

    def _ended_since(self, cq: CanonicalQuestion, told: datetime | None,
                     live: set[str]) -> set[str]:
        """The values (casefolded) of the question's attribute whose facts ended after
        `told` and that hold no more (`live`: those that do)."""
        from memos.reader.questions import kin_questions

        if told is None:
            return set()
        return {_fact_value(h.cube, form).casefold()
                for form in kin_questions(cq)  # (of a kind: "pets" are dogs and cats)
                for h in self._facts_for(form, include_superseded=True)
                if _ended(h.cube) and h.cube.valid_to is not None
                and as_utc(h.cube.valid_to) > as_utc(told)} - live

    def _stated_count(self, kind: str) -> tuple[StatedCount, SearchHit] | None:
        """The newest count of `kind` ("child", "allergy") the user stated of their own in a
        turn of theirs ("I have two kids, Maya and Leo.", "We don't have any pets."), with
        that turn; None when no turn found states one."""
        from memos.reader.questions import plural, stated_counts

        best: tuple[StatedCount, SearchHit] | None = None
        words = {"child": "kids children", "grandchild": "grandkids grandchildren"}
        query = f"I have {plural(kind)} {words.get(kind, '')}".strip()
        for hit in self._search(query, COUNT_K, record_access=False, kind=[Kind.EPISODE.value]):
            cube = hit.cube
            if (_role(cube) == "assistant" or SUMMARY_TAG in cube.tags
                    or "\nassistant: " in cube.content):
                continue  # the user's own words only: never a reply that counted
            said = _said(cube)
            if len(said) > MAX_TURN_CHARS:
                continue
            counts = [c for c in stated_counts(said) if c.kind == kind]
            if counts and (best is None or _began(cube) > _began(best[1].cube)):
                best = (counts[-1], hit)
        return best

    def _of_categories(self, cq: CanonicalQuestion, facts: list[SearchHit]) -> list[SearchHit]:
        """The likes of the categories a question asks ("what music do I like?": jazz, not
        pizza: `memos.reader.categories`) and the user's favourites of them ("Alice's
        favorite band is Radiohead."); every like when none is of them (the answer then
        says so)."""
        from memos.reader.categories import favorite_category
        from memos.reader.questions import user_key

        kinds = [h for h in facts if self._in_categories(h.cube, cq.categories)]
        hits = self._search("favorite " + " ".join(sorted(cq.categories)), FAVORITES_K,
                            record_access=False, kind=[Kind.FACT.value, Kind.PREFERENCE.value],
                            metadata={"subject": user_key(self.scope.user_id)})
        seen = {h.id for h in kinds}
        favorites = [h for h in hits if h.id not in seen and not _ended(h.cube)
                     and favorite_category(_fact_attribute(h.cube) or "") in cq.categories]
        return kinds + favorites or facts

    def _in_categories(self, cube: MemCube, categories: frozenset[str]) -> bool:
        """Whether a like or a favourite is of one of `categories`."""
        from memos.reader.categories import favorite_category

        attribute = _fact_attribute(cube) or ""
        if attribute == "likes":
            return bool(self._like_categories(cube) & categories)
        return favorite_category(attribute) in categories

    def _like_categories(self, cube: MemCube) -> frozenset[str]:
        """The categories of a like ("jazz": music), by its value's words, else by the words
        of the clause of the turn it was read from ("I love Coltrane and his music")."""
        from memos.reader.categories import context_categories, value_categories
        from memos.reader.rules import clauses

        key = (cube.id, cube.version)
        if key in self._kinds:
            return self._kinds[key]
        value = str(cube.metadata.get("value") or "")
        found = value_categories(value)
        for source in ([] if found or not value.strip() else cube.derived_from):
            try:
                turn = self.mem.get(source.cube_id, self.scope)
            except (NotFoundError, ScopeError):
                continue
            said = _said(turn)
            if turn.kind != Kind.EPISODE or len(said) > MAX_TURN_CHARS:
                continue
            # the part of the clause the like is in ("I love Coltrane and rock music"; not
            # "I love Paris, especially the food")
            parts = [p for c in clauses(said) for p in re.split(r"[,;:]", c)]
            for part in parts:
                if value.casefold() in part.casefold():
                    found = context_categories(part)
                    break
            if found:
                break
        self._kinds[key] = found
        return found

    def _kin_names(self, cq: CanonicalQuestion) -> set[str]:
        """The names the user gave the relative a question is about ("Jack" of "my brother
        Jack"; every relative of a kind's: `memos.reader.questions.KIN_GROUPS`)."""
        from memos.reader.questions import KIN_GROUPS
        from memos.reader.questions import CanonicalQuestion as CQ

        rel, sep, _attribute = cq.attribute.partition("'s ")
        if not cq.about_user or not sep:
            return set()
        names: set[str] = set()
        for kin in (rel, *KIN_GROUPS.get(rel, ())):
            for hit in self._facts_for(CQ(cq.subject, f"{kin}'s name",
                                          f"What is {cq.subject}'s {kin}'s name?", True), k=4):
                value = hit.cube.metadata.get("value")
                if isinstance(value, str) and value.strip():
                    names.add(value)
        return names

    def _relevant(self, cube: MemCube, cq: CanonicalQuestion, names: set[str]) -> bool:
        """Whether a memory speaks of what `cq` asks when no stored fact answers it: of the
        attribute (its words, or words people say it with: "turned 40" of an age,
        `memos.reader.questions.mentions_attribute`) and of the subject (the user: said in
        the first person, not only of "my son"; a relative: by relation or by the name the
        user gave them; anyone else: by name). A fact is relevant when it is the subject's
        and its attribute speaks of the one asked (an ended value); a turn the reader reads
        the asked fact from is, one it reads that attribute of someone else only from is
        not ("My son is allergic to peanuts" for "What am I allergic to?")."""
        from memos.reader.ingest import SPEAKER_KEY
        from memos.reader.questions import mentions_attribute, relation_words, user_key
        from memos.reader.rules import extract

        rel, sep, attribute = cq.attribute.partition("'s ")
        if not cq.about_user or not sep:
            rel, attribute = "", cq.attribute
        me = user_key(self.scope.user_id)
        asked_key = cq.subject_key(self.scope.user_id)
        kin = relation_words(rel) if rel else frozenset()
        subject = cube.metadata.get("subject")
        if cube.kind in (Kind.FACT, Kind.PREFERENCE) and isinstance(subject, str):
            stored = _fact_attribute(cube) or ""
            f_rel, f_sep, f_attribute = stored.partition("'s ")
            if not f_sep:
                f_rel, f_attribute = "", stored
            if subject == me:
                if not cq.about_user or (f_rel != rel and f_rel not in kin):
                    return False
            elif cq.about_user:  # a relative's own fact, under the name the user gave them
                if not rel or f_rel or subject not in names:
                    return False
            elif not set(_norm(cq.subject).split()) <= set(_norm(subject).split()):
                return False
            return mentions_attribute(set(_norm(f_attribute).split()), attribute)
        if cube.kind not in (Kind.EPISODE, Kind.FACT, Kind.PREFERENCE):
            return False
        # (a fact or preference without a subject, as `memos add "I live in Paris"` writes
        # it: read by its words, as a turn is)
        said = _said(cube)
        if len(said) > MAX_TURN_CHARS:
            return False
        others = False
        other = cube.metadata.get(SPEAKER_KEY)  # another speaker's turn: its "I" is theirs
        other = other if isinstance(other, str) and other and other != me else None
        for ext in extract(said, _speaker(cube) or other, other) if other else \
                extract(said, self.user_name, me):
            if ext.negated:
                continue
            if ext.subject_key == asked_key and ext.attribute == cq.attribute:
                return True
            if ext.attribute.rpartition("'s ")[2] == attribute:
                others = True  # the attribute, of someone else
        norm = _norm(said)
        words = set(norm.split())
        if others and not _JOINT.search(said):
            return False  # of someone else only ("Me and my sister are ..." is the user's too)
        if not mentions_attribute(words, attribute) and not (rel and attribute == "name"):
            return False  # (who a relative is: any turn that speaks of them)
        if not cq.about_user:
            return set(_norm(cq.subject).split()) <= words or (
                other is not None and set(_norm(cq.subject).split()) <= set(
                    _norm(_speaker(cube) or "").split()))  # "where does Bob live?": his own
        if other is not None:
            return False  # (another speaker's "I" and "my sister" are theirs)
        if rel:
            spaced = f" {norm} "
            from memos.reader.questions import plural

            return (any(f" {_norm(w)} " in spaced or f" {_norm(plural(w))} " in spaced
                        for w in kin)  # "my dogs", "two kids"
                    or any(set(_norm(n).split()) <= words for n in names if _norm(n)))
        return bool(words & _FIRST_PERSON) or _my_own(norm)

    def _how_long(self, m: re.Match[str]) -> tuple[str, list[MemoryUsed]]:
        """"How long have I lived in Hamburg?": since when the user's city (or employer) that
        holds has held, said at the precision told, and how long that is; said so when the
        value named is not the one that holds, or the start is only when it was told."""
        from memos.reader.questions import CanonicalQuestion as CQ

        if m.group("lived") or m.group("org2"):
            return self._how_long_was(m)
        lives = bool(m.group("live") or m.group("place2"))
        kin = (m.group("kin") or "").lower()
        attribute = ("city" if lives else f"{kin}'s name" if kin else
                     "job" if m.group("job") else "employer")
        named = (m.group("place") or m.group("place2") or m.group("org") or m.group("job")
                 or "").strip()
        named = re.sub(r"^the\s+", "", named, flags=re.I)
        cq = CQ(self.user_name, attribute, f"What is {self.user_name}'s {attribute}?", True)
        facts = [h for h in self._facts_for(cq) if not _ended(h.cube)]
        tie = (m.group("tie") or "").lower()
        if tie:
            # "how long have I been married?": the partner of that kind who holds now, the
            # newest tie first
            found = []
            for rel in _TIES_ASKED.get(tie.split()[0], _TIES_ASKED["together"]):
                tied = CQ(self.user_name, f"{rel}'s name",
                          f"What is {self.user_name}'s {rel}'s name?", True)
                found += [(h, tied) for h in self._facts_for(tied) if not _ended(h.cube)]
            if not found:
                return (f"I don't know of a partner of yours now; I can't say how long you've "
                        f"been {tie}.", [])
            _hit, cq = max(found, key=lambda f: _began(f[0].cube))
            attribute, facts = cq.attribute, [_hit]
        if named:
            # the value named, else one it opens ("Acme" of "Acme Corp", "Providence" of
            # "Providence Hospital")
            facts = [h for h in facts if _same_value(_fact_value(h.cube, cq), named)] or [
                h for h in facts if _opens_value(_fact_value(h.cube, cq), named)]
        if not facts and kin:
            return f"I don't know of a {kin} of yours.", []
        if not facts:
            what = named or ("where you live" if lives else "where you work")
            held = "a city" if lives else "a job" if m.group("job") else "an employer"
            return (f"I don't know of {held} of yours that holds now"
                    f"{' named ' + named if named else ''}; I can't say how long for {what}.",
                    [])
        hit = max(facts, key=lambda h: _began(h.cube))
        value = _fact_value(hit.cube, cq)
        from memos.policies.conflict import BEGAN

        asked = getattr(self, "_asked_at", None) or utcnow()
        if hit.cube.metadata.get(BEGAN) == "said" or hit.cube.valid_from is None:
            told_at = _told(hit.cube)
            ago = f" ({_elapsed((asked - as_utc(told_at)).days)} ago)" if told_at else ""
            return (f"At least since {date_text(told_at)}{ago}, when you told me: your "
                    f"{attribute} is {value}.", [_used(hit, "the value that holds")])
        start = hit.cube.valid_from
        since = _told_start(hit.cube)
        days = (asked - as_utc(start)).days
        span = f"about {_elapsed(days)}" if days >= 1 else "less than a day"
        return (f"Since {since} ({span}): your {attribute} is {value}.",
                [_used(hit, "the value that holds")])

    def _how_long_was(self, m: re.Match[str]) -> tuple[str, list[MemoryUsed]]:
        """"How long did I live in Paris?" / "... work at Acme?": from the value's start to
        its end, of the one that held last, and how long that was."""
        from memos.reader.questions import CanonicalQuestion as CQ

        attribute = "city" if m.group("lived") else "employer"
        named = re.sub(r"^the\s+", "", (m.group("place3") or m.group("org2") or "").strip(),
                       flags=re.I)
        cq = CQ(self.user_name, attribute, f"What is {self.user_name}'s {attribute}?", True)
        facts = [h for h in self._history(cq)
                 if _same_value(_fact_value(h.cube, cq), named)]
        if not facts:
            return (f"I don't know of a time when your {attribute} was {named}.", [])
        hit = max(facts, key=lambda h: _began(h.cube))
        if not _ended(hit.cube):
            return (f"You haven't told me that ended: your {attribute} is {named} "
                    f"(since {_told_start(hit.cube) or date_text(_told(hit.cube))}).",
                    [_used(hit, "the value, which holds")])
        from memos.policies.conflict import BEGAN

        start, end = hit.cube.valid_from, hit.cube.valid_to
        span = _elapsed((as_utc(end) - as_utc(start)).days) if start and end else ""
        # (begun only when it was told: at least that long)
        how = "at least" if hit.cube.metadata.get(BEGAN) == "said" else "about"
        return (f"{self._your_past(hit.cube)}" + (f": {how} {span}" if span else "") + ".",
                [_used(hit, "the value, which has ended")])

    def _exes(self, rel: str | None) -> list[SearchHit]:
        """The partners whose tie ended (`rules.PARTNERS`, or the kind asked: "my ex-wife"),
        newest end first, one hit per name (never one corrected at once)."""
        from memos.reader.questions import user_key
        from memos.reader.rules import PARTNERS

        asked = _tie_kind(rel) if rel else None
        # (a marriage is written as the spouse's name: an ex-wife is one too)
        kinds = PARTNERS if asked is None else (asked, "spouse") if asked in (
            "husband", "wife") else (asked,)
        user = user_key(self.scope.user_id)
        found: dict[str, SearchHit] = {}
        live: set[str] = set()
        for kind in dict.fromkeys((*kinds, *PARTNERS)):  # (one search per kind, live or ended)
            for hit in self._search(f"{self.user_name}'s {kind}'s name", WHO_K,
                                    record_access=False, kind=[Kind.FACT.value],
                                    include_superseded=True,
                                    metadata={"subject": user, "relation": f"{kind}'s name"}):
                name = str(hit.cube.metadata.get("value") or "").strip().casefold()
                if not name:
                    continue
                if not _ended(hit.cube):
                    live.add(name)  # (of any partner kind: a tie moved on, a girlfriend wed)
                elif kind in kinds and not _never_held(hit.cube) and (
                        name not in found or _ended_at(hit.cube) > _ended_at(found[name].cube)):
                    found[name] = hit  # (the tie that ended last: a wife's, not a girlfriend's)
        exes = [h for name, h in found.items() if name not in live]  # (a tie moved on: wed)
        return sorted(exes, key=lambda h: _ended_at(h.cube), reverse=True)[:WHO_MAX]

    def _who_is(self, name: str) -> tuple[str, list[MemoryUsed]] | None:
        """"Who is Sam?" from the user's live facts: the relations the user named Sam by
        ("Sam is your partner") and what holds of Sam ("Sam's city is Porto"); None when no
        fact names Sam."""
        from memos.reader.questions import user_key

        user = user_key(self.scope.user_id)
        wanted = name.casefold()
        hits = self._search(name, WHO_K, record_access=False,
                            kind=[Kind.FACT.value, Kind.PREFERENCE.value])
        live = [h for h in hits if not _ended(h.cube)]
        kin = [h for h in live if h.cube.metadata.get("subject") == user
               and (_fact_attribute(h.cube) or "").endswith("'s name")
               and str(h.cube.metadata.get("value") or "").strip().casefold() == wanted]
        theirs = [h for h in live if str(h.cube.metadata.get("subject") or "").casefold() == wanted]
        relation = {h.id: (_fact_attribute(h.cube) or "").removesuffix("'s name") for h in kin}
        relations = list(dict.fromkeys(relation.values()))
        # the ties that ended ("Marco was your boyfriend (until ...)"): what the user named
        # them by before, under no relation that holds now
        was = {} if relations else {
            h.id: h for h in self._search(name, WHO_K, record_access=False,
                                          kind=[Kind.FACT.value], include_superseded=True)
            if _ended(h.cube) and not _never_held(h.cube)
            and h.cube.metadata.get("subject") == user
            and (_fact_attribute(h.cube) or "").endswith("'s name")
            and str(h.cube.metadata.get("value") or "").strip().casefold() == wanted}
        if not kin and not theirs and not was:
            return None
        lines = []
        if relations:
            lines.append(f"{name} is your " + " and your ".join(relations))
        for hit in sorted(was.values(), key=lambda h: _began(h.cube))[-WHO_MAX:]:
            rel = (_fact_attribute(hit.cube) or "").removesuffix("'s name")
            until = _until(hit.cube).strip()
            lines.append(f"{name} was your {rel}" + (f" ({until})" if until else ""))
        # What the user told of them by relation ("my sister lives in Boston", a correction
        # of "Anna lives in New York" said without her name): the newer of the two answers
        said: dict[str, tuple[str, SearchHit]] = {}  # attribute -> (line, fact)
        for hit in theirs:
            # (of an attribute of many values, each value: two allergies)
            attribute = hit.id if _many_valued(hit.cube) else _fact_attribute(hit.cube) or hit.id
            said.setdefault(attribute, (hit.cube.content.rstrip("."), hit))
        for rel in relations:
            found = self._search(rel, WHO_K, record_access=False,
                                 kind=[Kind.FACT.value, Kind.PREFERENCE.value],
                                 metadata={"subject": user})
            holders = {str(h.cube.metadata.get("value") or "").strip().casefold()
                       for h in found if _fact_attribute(h.cube) == f"{rel}'s name"
                       and not _ended(h.cube)}
            if holders != {wanted}:
                continue  # (of two sisters, "my sister lives in Boston" is of neither)
            for hit in found:
                attribute = _fact_attribute(hit.cube) or ""
                value = hit.cube.metadata.get("value")
                if not attribute.startswith(f"{rel}'s ") or attribute == f"{rel}'s name" or \
                        _ended(hit.cube) or not isinstance(value, str) or not value.strip():
                    continue
                own = attribute.removeprefix(f"{rel}'s ")
                if _many_valued(hit.cube):
                    said.setdefault(hit.id, (f"{name}'s {own} is {value.strip()}", hit))
                elif own not in said or _began(hit.cube) > _began(said[own][1].cube):
                    said[own] = (f"{name}'s {own} is {value.strip()}", hit)
        told = list(said.values())[:WHO_MAX]
        lines += list(dict.fromkeys(line for line, _h in told))
        used = [_used(h, f"your {relation[h.id]} ({_why(h)})") for h in kin]
        used += [_used(h, f"a tie that ended ({_why(h)})") for h in was.values()]
        used += [_used(h, f"a fact about {name} ({_why(h)})") for _line, h in told]
        return "; ".join(dict.fromkeys(lines)) + ".", used

    def _about_user(self, facts: list[SearchHit]) -> tuple[str, list[MemoryUsed]]:
        """"What do you know about me?": the user's facts that hold now, in the second
        person, the oldest ABOUT_MAX (the others counted); with none, the notes the user
        wrote in the first person without the reader's metadata (`memos add "I live in
        Paris"`), quoted."""
        if not facts:
            notes = self._own_notes()
            if notes:
                shown = notes[:ABOUT_MAX]
                more = len(notes) - len(shown)
                return ("I have no facts sorted about you yet; you told me: " + "; ".join(
                    f'"{_short(c.content, 120)}"' for c in shown)
                    + (f" (and {more} more)" if more else "") + ".",
                    [MemoryUsed(c.id, c.content, c.kind.value, 0.0, "a note of yours",
                                _when(c)) for c in shown])
            return "I don't know anything about you yet: tell me about yourself.", []
        shown = facts[:ABOUT_MAX]
        now = utcnow()
        # a change set to come is said as one ("your employer is DeepMind (from 1 November
        # 2027)"), not beside the value that holds until then as if both held
        lines = list(dict.fromkeys(
            self._second_person(h.cube) + (f" (from {date_text(h.cube.valid_from)})"
                                           if h.cube.valid_from is not None
                                           and as_utc(h.cube.valid_from) > now else "")
            for h in shown))
        more = len(facts) - len(shown)
        tail = f" (and {more} more)" if more else ""
        return ("Here is what I know about you: " + "; ".join(lines) + tail + ".",
                [_used(h, f"a fact about you ({_why(h)})") for h in shown])

    def _own_notes(self) -> list[MemCube]:
        """The user's live facts and preferences without a subject that speak of the user in
        the first person ("I live in Paris"), oldest first: among the ABOUT_K last stored of
        each kind."""
        notes: list[MemCube] = []
        for kind in (Kind.FACT.value, Kind.PREFERENCE.value):
            for cube in self.mem.list_memories(self.scope, limit=ABOUT_K, kind=kind).items:
                norm = _norm(cube.content)
                if ("subject" not in cube.metadata and not _only_asks(cube.content)
                        and (set(norm.split()) & _FIRST_PERSON or _my_own(norm))):
                    notes.append(cube)
        return sorted(notes, key=lambda c: as_utc(c.recorded_at))

    def _over_time(self, cq: CanonicalQuestion, facts: list[SearchHit]
                   ) -> tuple[str, list[MemoryUsed]]:
        """The values of `facts` (oldest first, `_history`) in one line: "Your city over time:
        Lisbon (from 1 January 2024 to 20 June 2024), then Porto (from 20 June 2024 to 4
        February 2025), and now Leeds (since 4 February 2025)." The newest HISTORY_MAX
        values; the older ones are counted."""
        shown = facts[-HISTORY_MAX:]
        parts: list[str] = []
        used: list[MemoryUsed] = []
        last_end: datetime | None = None
        for hit in shown:
            cube = hit.cube
            began = _when(cube)
            # "then" only after a value that had ended by then (one of several values of
            # a multi-valued attribute, an allergy, may have begun while another held)
            then = bool(parts) and last_end is not None and began is not None and \
                as_utc(last_end) <= as_utc(began)
            last_end = cube.valid_to if _ended(cube) else None
            value, span = _fact_value(cube, cq), _span(cube)
            if _ended(cube):
                why = "a value it had"
            else:
                value = f"now {value}"
                why = "a value it has now"
            said = f"{value} ({span})" if span else value
            parts.append(f"then {said}" if then and not said.startswith("now ") else said)
            used.append(_used(hit, f"{why} ({_why(hit)})"))
        listed = _listed(parts)
        earlier = len(facts) - len(shown)
        # values of a multi-valued attribute left out may hold now: not said to be past ones
        held = sum(not _ended(h.cube) for h in facts[:earlier])
        still = "" if not held else "; it holds now" if earlier == 1 else \
            f"; {held} of them {'holds' if held == 1 else 'hold'} now"
        more = f" ({earlier} earlier {'value' if earlier == 1 else 'values'} not shown{still})" \
            if earlier else ""
        return f"{self._owner(cq)} {cq.attribute} over time: {listed}{more}.", used

    def _contrary(self, cq: CanonicalQuestion) -> list[SearchHit]:
        """Of "Do I like coffee?" ("Do I hate jazz?"), the live facts of the opposite taste
        for that value: "I hate coffee"."""
        from dataclasses import replace

        other = replace(cq, attribute=_OPPOSITE[cq.attribute])
        return [h for h in self._history(other) if not _ended(h.cube)
                and _same_value(_fact_value(h.cube, other), str(cq.value))]

    def _ever(self, cq: CanonicalQuestion, facts: list[SearchHit]
              ) -> tuple[str, list[MemoryUsed]]:
        """"Did I ever live in Porto?" answered from the values of `facts` that are the one
        asked (`route`: `_history`, kept where the value is the one asked): "Yes: your city
        was Porto (from 12 July 2024 to 4 February 2025)."; of facts of the opposite taste
        (`_contrary`): "No: you dislike coffee (since ...)"."""
        if cq.attribute in _OPPOSITE and facts and all(
                _fact_attribute(h.cube) == _OPPOSITE[cq.attribute] for h in facts):
            verb = "like" if _OPPOSITE[cq.attribute] == "likes" else "dislike"
            lines = [f"you {verb} {_fact_value(h.cube, cq)}" if cq.about_user
                     else h.cube.content.rstrip(".") for h in facts]
            lines = [f"{line} ({_span(h.cube)})" if _span(h.cube) else line
                     for line, h in zip(lines, facts, strict=True)]
            return (f"No: {'; '.join(lines)}.",
                    [_used(h, "the opposite taste for the value asked about") for h in facts])
        owner = self._owner(cq)
        owner = owner.lower() if owner == "Your" else owner
        asked = getattr(self, "_asked_at", None)
        lines = []
        for hit in facts:
            verb = "was" if _ended(hit.cube) else "is"
            span = f"from {date_text(hit.cube.valid_from)}" if _not_begun(hit.cube, asked) \
                else _span(hit.cube)
            line = (self._second_person(hit.cube).rstrip(".")
                    if cq.attribute in ("likes", "dislikes") and cq.about_user
                    else f"{owner} {cq.attribute} {verb} {_fact_value(hit.cube, cq)}")
            lines.append(f"{line} ({span})" if span else line)
        # "Am I allergic to peanuts?" of an allergy that ended: no longer
        yes = "Yes" if not cq.now or any(not _ended(h.cube) for h in facts) else "No longer"
        if cq.now and facts and all(_not_begun(h.cube, asked) for h in facts):
            yes = "Not yet"  # "do I work at DeepMind?" of a job that starts next year
        return (f"{yes}: {'; '.join(lines)}.",
                [_used(h, f"the value asked about ({_why(h)})") for h in facts])

    def _quotes(self, chosen: Sequence[SearchHit], hits: Sequence[SearchHit],
                cq: CanonicalQuestion | None = None, text: str = ""
                ) -> tuple[str, list[MemoryUsed]]:
        """The chosen memories quoted, each followed by what ended a fact it states (the
        turn that ended it, or the value that replaced it: `_ends`): a turn or fact that no
        longer holds is never quoted as if it did. A chosen memory that ends another one's
        fact is quoted there, after it, and once. Only the ends of a turn's facts that the
        question (`cq`, else its `text`) asks about (`_asked_ends`)."""
        found = {h.id: h for h in [*hits, *chosen]}
        ends = {h.id: self._asked_ends(h.cube, cq, text) for h in chosen}
        enders = {e.id for h in chosen for _f, e in ends[h.id] if e is not None and e.id != h.id}
        lines: list[str] = []
        used: list[MemoryUsed] = []
        shown: set[str] = set()
        for hit in chosen:
            if hit.id in enders or hit.id in shown:
                continue
            shown.add(hit.id)
            lines.append(self._quote(hit.cube))
            used.append(_used(hit))
            for fact, ender in ends[hit.id]:
                if ender is None:
                    if hit.cube.kind == Kind.EPISODE:  # a fact's own quote says its end
                        line = f"No longer so: {_past_line(fact, self._second_person(fact))}."
                        if line not in lines:
                            lines.append(line)
                    continue
                if ender.id in shown:
                    continue
                shown.add(ender.id)
                lines.append(self._quote(ender, later=True))
                used.append(self._ender_used(ender, fact, found))
        return " ".join(lines), used

    def _asked_ends(self, cube: MemCube, cq: CanonicalQuestion | None, text: str = ""
                    ) -> list[tuple[MemCube, MemCube | None]]:
        """`_ends` of a memory to quote, for the question `cq`: of a turn, only the ended
        facts relevant to what it asks (its subject's attribute: `_relevant`). "What am I
        allergic to?" quoting "I live in Lisbon and I'm allergic to peanuts" says what
        ended the allergy, not "Since then: your city is Berlin". The turn is quoted for
        the attribute asked; a fact of another attribute it also states is not what the
        reply is about. A fact quoted itself keeps its own end (it answers the question),
        and a question about no one attribute (`cq` None: "What did I say about Lisbon?")
        keeps every end, unless the question names the value of some ("What did I say
        about peanuts?": the allergy's end, not the city's), then only theirs."""
        ends = self._ends(cube)
        if cube.kind != Kind.EPISODE or not ends:
            return ends
        if cq is None:
            from memos.reader.questions import mentions_attribute

            asked = set(_norm(text).split()) - _STOP - _ASK_WORDS
            named = [(fact, ender) for fact, ender in ends
                     if ((words := set(_norm(str(fact.metadata.get("value") or "")).split())
                          - _STOP) and words <= asked)
                     or mentions_attribute(asked, _fact_attribute(fact) or "")]
            return named or ends  # ("Do I have allergies?": the allergy's end)
        names = self._kin_names(cq)
        return [(fact, ender) for fact, ender in ends
                if _fact_attribute(fact) == cq.attribute or self._relevant(fact, cq, names)]

    def _ender_used(self, ender: MemCube, fact: MemCube, found: Mapping[str, SearchHit]
                    ) -> MemoryUsed:
        hit = found.get(ender.id)
        why = f"ended {_short(fact.content, 40).rstrip('.')}"
        if hit is not None:
            return _used(hit, f"{why} ({_why(hit)})")
        return MemoryUsed(ender.id, ender.content, ender.kind.value, 0.0, why, _when(ender))

    def _ends(self, cube: MemCube) -> list[tuple[MemCube, MemCube | None]]:
        """The facts `cube` states that no longer hold, each with what ended it (`_ender`):
        a fact, itself when it has ended; a turn, the facts the reader read from it that
        have ended since. Only facts this assistant's scope reads: an agent's turn ends
        only that agent's own facts (the reader's rule), so another agent's ends never
        show here."""
        if cube.kind in (Kind.FACT, Kind.PREFERENCE):
            facts = [cube] if _ended(cube) else []
        elif cube.kind == Kind.EPISODE:
            facts = self._ended_from(cube)
        else:
            facts = []
        return [(fact, self._ender(fact)) for fact in facts]

    def _ended_from(self, turn: MemCube) -> list[MemCube]:
        """The ended facts read from one turn (facts derived from its episode, ended or
        replaced since, or past their `valid_to`)."""
        session, index = turn.metadata.get("session"), turn.metadata.get("turn")
        said = _said(turn).strip() or turn.content.strip()
        if session is None or index is None or not said or _role(turn) == "assistant":
            return []
        hits = self._search(said, ENDS_K, record_access=False, include_superseded=True,
                            kind=[Kind.FACT.value, Kind.PREFERENCE.value],
                            metadata={"session": session, "turn": index})
        return [h.cube for h in hits if _ended(h.cube)
                and any(d.cube_id == turn.id for d in h.cube.derived_from)]

    def _ender(self, fact: MemCube) -> MemCube | None:
        """What ended `fact`, followed to the newest: the turn that ended it (a negation:
        the reader supersedes the fact by that turn's episode), or the value that replaced
        it, followed through later replacements to the value now (or the turn that ended
        the last one). None when nothing this scope reads ended it: its `valid_to` passed,
        or what ended it was forgotten."""
        cached = self._enders.get((fact.id, fact.version))
        if cached is not None or (fact.id, fact.version) in self._enders:
            return cached
        seen = {fact.id}
        last: MemCube | None = None
        current = fact
        path = [(fact.id, fact.version)]  # every ended fact on the way has the same end
        for _ in range(END_CHAIN):
            if (current.id, current.version) in self._enders and current is not fact:
                last = self._enders[(current.id, current.version)]
                break
            try:
                near = self.mem.neighbors(current.id, self.scope, relation="supersedes")
            except (NotFoundError, ScopeError):
                break
            by = [n.cube for n in near if n.direction == "in" and n.cube.id not in seen
                  and n.cube.scope.user_id == self.scope.user_id]
            if not by:
                break
            last = max(by, key=_began)
            seen.add(last.id)
            if last.kind not in (Kind.FACT, Kind.PREFERENCE) or not _ended(last):
                break
            current = last
            path.append((current.id, current.version))
        else:  # a chain longer than the bound: no value now to give, only that it ended
            last = None
        for key in path:
            self._enders[key] = last
        return last

    def _facts_named(self, hits: list[SearchHit], text: str) -> list[SearchHit]:
        """Retrieved live facts whose attribute the question names in other words than the
        canonical ones ("which city am I living in?": the user's city), about the user or
        a person the question names. A question that says much more than the attribute
        ("what did I celebrate after the allergy tests?") asks about something else."""
        asked = set(_norm(text).split())
        content = asked - _STOP - _ASK_WORDS
        user = f"user:{self.scope.user_id}"
        out = []
        for hit in hits:
            cube = hit.cube
            attribute = _fact_attribute(cube)
            if cube.kind not in (Kind.FACT, Kind.PREFERENCE) or not attribute:
                continue
            words = set(_norm(attribute).split()) - _STOP - {"s"}
            subject = cube.metadata.get("subject")
            about = subject == user or (isinstance(subject, str)
                                        and set(_norm(subject).split()) <= asked)
            subject_words = (set(_norm(subject).split()) if isinstance(subject, str)
                             and subject != user else set())
            if words and words <= asked and about and len(content - words - subject_words) <= 1:
                out.append(hit)
        return out

    def _quote(self, cube: MemCube, *, later: bool = False) -> str:
        """One memory as a sentence with its dates: an episode as who said it when (and
        the dates its relative words name), a fact with when it became true and when it
        was told; an ended fact in the past tense with its end. `later`: said as what
        came after the memory quoted before it (what ended a fact it states)."""
        if cube.kind == Kind.EPISODE:
            when = date_text(_when(cube))
            speaker = _speaker(cube)
            who = "you" if speaker in (None, self.scope.user_id, self.user_name) else speaker
            text = _said(cube).rstrip()
            dates = _dates_note(cube)
            if dates:
                text = f"{text.rstrip('.!')} ({dates})"
            if later:
                text = (f"Later, on {when}, {who} said: {text}" if when
                        else f"Later {who} said: {text}")
            else:
                text = f"On {when} {who} said: {text}" if when else f"{who} said: {text}"
        elif _ended(cube):
            text = _past_line(cube)
            if later:
                text = f"Since then: {text}"
        else:
            told = date_text(_told(cube))
            since = _told_start(cube)  # at the precision told: "since March 2023"
            text = self._second_person(cube).rstrip().rstrip(".")  # "You like jazz"
            notes = []
            if since and since != told:
                notes.append(f"since {since}")
            if told:
                notes.append(f"you told me on {told}")
            older = self._age_later(cube)
            if older is not None:  # "i'm 29" told two years ago: 31 now
                text = f"{text.replace(' is ', ' was ', 1)} when you told me on {told}" + (
                    f", so it is about {older} now" if isinstance(older, int) else f"; {older}")
            elif notes:
                text += f" ({'; '.join(notes)})"
            if later:
                text = f"Since then: {text}"
        text = text[:1].upper() + text[1:]
        return text if text.endswith((".", "!", "?")) else text + "."

    def context_block(self, hits: list[SearchHit], facts: list[SearchHit] | None = None,
                      budget_words: int = CONTEXT_WORDS) -> tuple[str, list[MemoryUsed]]:
        """The llm backend's memory block: one dated line per memory, facts first, the same
        text once, within `budget_words`. A memory stating a fact that has ended says so
        ("(no longer true since 2026-05-12)"; a turn names which of its facts ended), and
        what ended it follows it (the turn that ended it, or the value now) when the budget
        allows."""
        from memos.results import SearchHit

        for name, given in (("hits", hits), ("facts", [] if facts is None else facts)):
            if (not isinstance(given, (list, tuple))
                    or not all(isinstance(h, SearchHit) for h in given)):
                raise InvalidInputError(f"{name} must be a list of SearchHit (what "
                                        f"MemOS.search returns), got {given!r:.60}")
        if (not isinstance(budget_words, int) or isinstance(budget_words, bool)
                or budget_words < 0):
            raise InvalidInputError(f"budget_words must be a whole number of words (0 or more), "
                                    f"got {budget_words!r:.40}")
        seen: set[str] = set()
        lines: list[str] = []
        used: list[MemoryUsed] = []
        words = 0
        self._enders = {}  # (the store may have changed since the last call)
        found = {h.id: h for h in [*(facts or []), *hits]}
        for hit in [*(facts or []), *self._useful(hits)]:
            key = _norm(_said(hit.cube))
            if not key or key in seen:
                continue
            line = self._context_line(hit.cube)
            if words + len(line.split()) > budget_words:
                break  # (ends are looked up only for lines the block holds)
            ends = self._ends(hit.cube)
            line += _ended_note(hit.cube, [f for f, _e in ends])
            n = len(line.split())
            if words + n > budget_words:
                break
            seen.add(key)
            words += n
            lines.append(line)
            used.append(_used(hit))
            for fact, ender in ends:
                if ender is None:
                    continue
                key = _norm(_said(ender))
                line = self._context_line(ender)
                if ender.kind != Kind.EPISODE and _ended(ender):  # the last value also ended
                    line += _ended_note(ender, [ender])
                n = len(line.split())
                if not key or key in seen or words + n > budget_words:
                    continue  # the line above says the fact ended, whatever follows
                seen.add(key)
                words += n
                lines.append(line)
                used.append(self._ender_used(ender, fact, found))
        return "\n".join(lines), used

    def _context_line(self, cube: MemCube) -> str:
        """One memory as one line: its own line breaks are spaces, so that no memory adds
        a line that reads as another memory (or as anything else) to the block."""
        when = _when(cube)
        day = when.date().isoformat() if when else "undated"
        text = cube.content if cube.kind != Kind.EPISODE else (
            f"{_speaker(cube) or self.user_name} said: {_said(cube)}")
        return f"- [{day}] {' '.join(text.split())}"

    def _answer_llm(self, text: str, sid: str, hits: list[SearchHit],
                    facts: list[SearchHit], on_token: TokenFn | None
                    ) -> tuple[str, list[MemoryUsed], list[str]]:
        """(answer, memories shown, notes): the endpoint's answer as `stream_chat` passes it,
        "I don't know." when it says nothing visible."""
        assert self.llm is not None
        block, used = self.context_block(hits, facts)
        name = self.user_name
        system = (f"You are a personal assistant with a long-term memory of {name}. "
                  f"Today is {date_text(utcnow())}. Answer from the memories below when they "
                  "are relevant; when two disagree, the newer one is true. If they do not hold "
                  "the answer, say you don't know. Be brief.\n\nMemories:\n"
                  + (block or "(none)"))
        messages: list[dict[str, str]] = [{"role": "system", "content": system}]
        # Only turns still stored: one forgotten or purged meanwhile is not sent again.
        for turn in self._live_turns(sid, last=HISTORY_TURNS):
            messages.append({"role": turn.role, "content": turn.text})
        messages.append({"role": "user", "content": text})
        said = "".join(stream_chat(self.llm, messages, on_token))
        notes = []
        if len(said) >= MAX_ANSWER_CHARS:
            notes.append(f"the LLM's answer was cut at {MAX_ANSWER_CHARS:,} characters")
        said = said.strip()
        return (said if said and not is_blank(said) else "I don't know."), used, notes

    # -- forgetting ----------------------------------------------------------------------

    def _forget(self, what: str, sid: str) -> Reply:
        """Forget every cube of this user that holds `what` (see `forget_matching`)."""
        t0 = time.perf_counter()
        if _EVERYTHING.fullmatch(" ".join(what.lower().split()).rstrip(".!")):
            # Not a phrase to look for: no memory holds the word "everything"
            agent = (f" --agent {shlex.quote(self.scope.agent_id)}"
                     if self.scope.agent_id else "")
            text = ("I can only forget things one at a time here (\"forget my address\"). To "
                    "erase everything I remember about you, the person who runs this memory "
                    f"store can run: memos purge --all -u {shlex.quote(self.scope.user_id)}"
                    f"{agent} --yes")
            return Reply(text=text, backend="forget", memories=[],
                         seconds={"forget": time.perf_counter() - t0}, session_id=sid,
                         route="a forget request", forgotten=[])
        what = _without_late(what)  # "my late husband": the husband
        done = self.forget_matching(what)
        names = [content for _id, content, how in done if how == "forgotten"]
        moved = sum(how == "rewritten" for _id, _c, how in done)
        kept = sum(how == "kept" for _id, _c, how in done)
        asked = _to_you(what)
        if re.match(r"(?:you|we)\s", asked):  # a clause: "about that you have a cat"
            asked = f"that {asked}"
        near: list[MemCube] = []
        if not done:  # what a question about it is answered with, then its words
            near = self._answering(what)
            listed = {c.id for c in near}
            near += [c for c in self._mentioning(what) if c.id not in listed]
        if near:
            # Said in other words than stored ("forget my diabetes" of "I have type 1
            # diabetes"): nothing is forgotten on a guess (the word may be of someone else's
            # memory: "my dad has diabetes"); the memories that mention it are shown, to be
            # forgotten by their own words
            shown = "; ".join(f'"{_short(_said(c), 80)}"' for c in near[:3])
            more = f" and {len(near) - 3} more" if len(near) > 3 else ""
            text = (f"I have nothing stored as {asked!r}, so I forgot nothing. These mention "
                    f"it: {shown}{more}. To forget one, say \"forget\" and its words, such as "
                    f"\"forget that {_short(_said(near[0]), 60).rstrip('.!?')}\".")
        elif not done:
            text = f"I had nothing stored about {asked!r}."
        else:
            # what the user said and the facts read from it, once each; the copies (replies,
            # summaries, saved transcripts) only counted
            said: list[str] = []
            for content in names:
                if content.startswith(("Assistant:", "Conversation with ")) or \
                        "\nassistant: " in content or "\n" in content.strip():
                    continue
                words = re.sub(r"^[^:\n]{1,64}:\s+", "", content).strip().rstrip(".")
                if words and _norm(words) not in {_norm(w) for w in said}:
                    said.append(words)
            # (a fact about the user said to them: "your coworker's name is Priya")
            shown = "; ".join(_short(self._to_you(c)) for c in said[:5])
            rest = len(names) - min(len(said), 5)
            more = (f" and {rest} cop{'y' if rest == 1 else 'ies'} of it (replies, summaries)"
                    if rest and len(said) <= 5 else f" and {rest} more" if rest else "")
            # ("... saying that you have a cat", "... about your address")
            of = "saying" if asked.startswith("that ") else "about"
            many = f"{len(names)} memor{'y' if len(names) == 1 else 'ies'}"
            text = (f"Forgotten {many} {of} {asked}: {shown}{more}." if shown else
                    f"Forgotten {many} {of} {asked}.")
            if moved:
                text += (f" {moved} neighbouring turn{'s' if moved > 1 else ''} quoted it as "
                         f"context: stored again without it.")
            if kept:
                text += (f" {'The other fact' if kept == 1 else f'{kept} other facts'} said in "
                         f"the same turn{'s are' if kept > 1 else ' is'} kept: "
                         + "; ".join(_short(self._to_you(c)).rstrip(".") for _i, c, h in done
                                     if h == "kept")
                         + ".")
        seconds = {"forget": time.perf_counter() - t0}
        return Reply(text=text, backend="forget", memories=[], seconds=seconds,
                     session_id=sid, route="a forget request",
                     forgotten=[i for i, _c, _h in done])

    def _forget_last(self, sid: str, named: bool = True) -> Reply:
        """"Never mind, forget that": the facts this session's last statement told are
        forgotten with it (as "forget that <its words>" would forget them); after a question,
        with nothing said yet, or when the words name nothing (`named` False: "oh forget
        it"), nothing is, and the reply says how to name a memory."""
        last = next((t for t in reversed(self._turns.get(sid, [])) if t.role == "user"),
                     None)
        if not named or last is None or is_question(last.text) or not self._stated_facts(
                " ".join(last.text.split()), self.user_name):
            text = ("I'm not sure what to forget. Say \"forget\" and what, such as \"forget "
                    "my address\" or \"forget that I have a cat\".")
            return Reply(text=text, backend="forget", memories=[], seconds={},
                         session_id=sid, route="a forget request", forgotten=[])
        return self._forget(f"that {' '.join(last.text.split()).rstrip(' .!')}", sid)

    def _stated_facts(self, said: str, name: str | None) -> dict[str, MemCube]:
        """The stored facts (every version) a statement states, read by the reader's own
        rules ("I like Studio Ghibli", "Ella has a peanut allergy"): only when every fact it
        states is stored, else none."""
        from memos.reader.ingest import conflict_attribute
        from memos.reader.questions import user_key
        from memos.reader.rules import extract

        stated: dict[str, MemCube] = {}
        for ext in extract(said, name or "User", user_key(self.scope.user_id)):
            if ext.negated:
                continue
            # The stored value, or one it is part of, whole words ("that I like Ghibli"
            # names "Studio Ghibli"): of the same attribute, which for a multi-valued one
            # ("likes=studio ghibli") holds the value too.
            key, part = conflict_attribute(ext), f" {_norm(ext.value)} "
            same = {hit.id: hit.cube for hit in self._search(
                ext.value, 32, record_access=False, include_superseded=True,
                kind=[Kind.FACT.value, Kind.PREFERENCE.value],
                metadata={"subject": ext.subject_key})
                if (hit.cube.metadata.get("attribute") == key
                    or (key != ext.attribute and str(hit.cube.metadata.get("attribute", ""))
                        .startswith(ext.attribute + "=")))
                and part.strip()
                and _holds_words(f" {_norm(str(hit.cube.metadata.get('value', '')))} ", part)}
            if not same:
                return {}
            stated.update(same)
        return stated

    def _forget_names_stored(self, what: str, clause: bool = False) -> bool:
        """Whether a forget request said after opening words names something stored: a fact
        ("my address"), a clause (`clause`: "forget that ella has a peanut allergy"), or a
        value a fact holds ("priya")."""
        what = re.sub(r"^(?:about|everything\s+about|all\s+about)\s+", "", what.strip(),
                      flags=re.I)
        if not what or what.lower() in _NOT_A_THING:
            return False
        if (clause and self._stated_facts(what, self.user_name)) or self._stored(
                _without_late(what)):
            return True
        return any(str(h.cube.metadata.get("value") or "").strip().lower() == what.lower()
                   for h in self._search(what, 20, record_access=False,
                                         kind=[Kind.FACT.value, Kind.PREFERENCE.value]))

    def _stored(self, what: str) -> bool:
        """Whether a fact of the user's answers "what is <what>?" ("my address")."""
        cq = self.canonical(f"what is {what}?", self.user_name)
        return cq is not None and bool(self._facts_for(cq))

    def _answering(self, what: str) -> list[MemCube]:
        """The memories a question about `what` would be answered with when no stored fact
        answers it ("where I live": "I live in Paris", a note added without the reader's
        metadata), as `_answer_extractive` finds them: what a request to forget may mean
        (`_forget` shows them; it forgets none of them on a guess)."""
        for form in _asked_as(" ".join(what.split())):
            cq = self.canonical(form, self.user_name)
            if cq is None:
                continue
            names = self._kin_names(cq)
            hits = self._useful(self._search(cq.question, SEARCH_K, record_access=False,
                                             kind=[Kind.EPISODE.value, Kind.FACT.value,
                                                   Kind.PREFERENCE.value]), cq.question)
            return [h.cube for h in hits if not _only_asks(_said(h.cube))
                    and self._relevant(h.cube, cq, names)]
        return []

    def _mentioning(self, what: str) -> list[MemCube]:
        """The user's own turns that hold every word of `what` but the plain ones ("my
        diabetes": "i have type 1 diabetes"), else, of three words or more, all but one
        ("jonas owes me money": "jonas owes me 450 euros"), newest first: what a request to
        forget said in other words may mean (`_forget` shows them; it forgets none of
        them)."""
        words = [w for w in _norm(re.sub(r"^(?:that|about)\s+", "", what, flags=re.I)).split()
                 if len(w) >= 3 and w not in _STOP and w not in _PLAIN_WORDS]
        if not words:
            return []
        out, near = [], []
        for hit in self.mem.search(" ".join(words), self.scope, k=64, record_access=False,
                                   kind=Kind.EPISODE.value):
            cube = hit.cube
            if _role(cube) == "assistant" or SUMMARY_TAG in cube.tags or \
                    "\nassistant: " in cube.content or _only_asks(_said(cube)):
                continue  # (a question the user asked holds no memory to forget)
            have = set(_norm(_said(cube)).split())
            missing = sum(w not in have for w in words)
            if not missing:
                out.append(cube)
            elif missing == 1 and len(words) >= 3:
                near.append(cube)  # "jonas owes me money" of "jonas owes me 450 euros"
        return sorted(out or near, key=lambda c: _when(c) or utcnow(), reverse=True)

    def forget_matching(self, what: str) -> list[tuple[str, str, str]]:
        """Forget the cubes that hold `what` ("my address", "Ana's phone number", "that I
        like jazz"): the facts (every version), their values wherever they were said or
        repeated (turns, replies, summaries, transcripts), through `MemOS.forget`, which
        also forgets what other tiers derived from them and takes a forgotten turn's words
        out of its neighbours' searchable context. A turn whose context still holds it (a
        neighbour that was not forgotten said it too) is forgotten and stored again without
        that context.
        A fact read from a forgotten turn that does not hold `what` ("I love sushi and I like
        jazz" when forgetting the jazz) is stored again on its own, without that turn.
        Returns (cube id, content, "forgotten" | "rewritten" | "kept") for each cube
        forgotten."""
        if not _text_arg(what, "what", "what to forget, such as 'my address'").strip():
            raise InvalidInputError("what is empty; say what to forget, such as 'my address'")
        what = " ".join(what.split())
        # "my sister's details", "my sister's stuff": the person
        what = re.sub(r"^(my\s+[a-z-]+(?:\s+[a-z-]+)?)['’]s\s+(?:details|info|information|stuff|"
                      r"data|things)$", r"\1", what, flags=re.I)
        name = self.user_name
        # The first question the phrase maps to whose facts are stored ("my allergies" is
        # asked "what are my allergies?": "what is my allergies?" names no attribute stored)
        facts: list[SearchHit] = []
        for form in _asked_as(what):
            cq = self.canonical(form, name)
            if cq is not None:
                facts = self._facts_for(cq, include_superseded=True, k=256)
                if not facts:  # "my sister's job" told as "Anna's job is chemist"
                    named_cq = self._by_name(cq)
                    if named_cq is not None:
                        facts = self._facts_for(named_cq, include_superseded=True, k=256)
                if facts:
                    break
        if any(_many_valued(h.cube) for h in facts):
            # "my peanut allergy": of an attribute of many values, the values the request
            # names ("my allergies" names every one)
            asked_words = {w for w in _words_of(what)
                           if not any(_same_word(w, a) for h in facts
                                      for a in _words_of(_fact_attribute(h.cube) or ""))}
            if asked_words:
                facts = [h for h in facts if any(
                    _same_word(a, v) for a in asked_words
                    for v in _words_of(str(h.cube.metadata.get("value") or "")))]
        needles: list[str] = []
        found: dict[str, MemCube] = {}
        context: dict[str, MemCube] = {}  # turns that quote it only in their context

        # A person named by how they are related to the user ("my sister", "about my
        # boss"): the name stored for the relation, every fact about that person, and the
        # turns those facts were read from, are what the request names. Only one person: "my
        # friend" of several friends names none of them; and the name is no word to look for
        # everywhere ("May", "Will" are words too).
        person = _PERSON_REQUEST.fullmatch(what.rstrip(".!"))
        if not facts and person is not None:
            relation = person.group("rel").lower()
            ex = re.fullmatch(r"ex(?:[- ]?(?P<kind>[a-zé]+))?", relation)
            if ex is not None:
                # "forget my ex", "forget everything about my ex-wife": the partner whose tie
                # ended (as "who is my ex?" finds them)
                kin = self._exes(ex.group("kind"))
                names = {str(h.cube.metadata.get("value") or "").strip() for h in kin} - {""}
            else:
                cq = self.canonical(f"what is my {relation}'s name?", name)
                kin = (self._facts_for(cq, include_superseded=True, k=256)
                       if cq is not None and cq.attribute.endswith("'s name") else [])
                names = {str(h.cube.metadata.get("value") or "").strip() for h in kin
                         if not _ended(h.cube)} - {""}
            # (a name another relation of the user's holds too, "my dog Bella" and "my friend
            # Bella", says nothing of whom a fact or a turn about Bella is: only the
            # relation's own facts and the turns they were read from go)
            shared = len(names) == 1 and self._named_otherwise(next(iter(names)), kin)
            if len(names) == 1:
                who = names.pop()
                about = [] if shared else self._search(
                    who, 256, record_access=False, include_superseded=True,
                    kind=[Kind.FACT.value, Kind.PREFERENCE.value], metadata={"subject": who})
                for hit in [*kin, *about]:
                    found[hit.id] = hit.cube
                    episode = self._turn_read_from(hit.cube, found)
                    if episode is not None:
                        found[episode.id] = episode
                if not shared:  # the turns, replies and summaries that name them, as when
                    self._mentions(who, found)  # asked by name

        for hit in facts:
            found[hit.id] = hit.cube
            value = hit.cube.metadata.get("value")
            if isinstance(value, str) and len(value.strip()) >= 3:
                needles.append(value)
            # the turn it was read from, when it says the value (a value too short to look
            # for by its words, "6" of "My son Leo is 6", is found there all the same)
            if not isinstance(value, str) or not value.strip():
                continue
            episode = self._turn_read_from(hit.cube, found)
            if episode is not None and re.search(rf"(?<!\w){re.escape(value.strip())}(?!\w)",
                                                 episode.content, re.I):
                found[episode.id] = episode
        said = re.sub(r"^(?:that|about)\s+", "", what, flags=re.I)
        # A request said as a statement ("that I like Studio Ghibli", "that I'm allergic to
        # kiwi"): the stored facts it states, read by the reader's own rules, are what it
        # names; their values then lead to the turn that stated them in other words ("I'm a
        # big fan of Studio Ghibli") and to the replies. Only a statement whose every fact
        # is stored names them: "that my sister Anna lives in Leeds", when she lives in
        # York, names nothing (its words alone are looked for, as any request's).
        stated = self._stated_facts(said, name)
        for cube_id, cube in stated.items():
            found[cube_id] = cube
            value = str(cube.metadata.get("value", ""))
            if len(value.strip()) >= 3 and value not in needles:
                needles.append(value)
        needles.append(said)  # last: the request's own words

        def holding(todo: list[str]) -> None:
            for needle in todo:
                key = _norm(needle)
                if not key or all(w in _STOP for w in key.split()):
                    continue
                # the request's own words typed as a name ("forget Will"): a text holds them
                # only where it names them (`_name_said`: not "I will go", "in May")
                name = needle if needle == said and _AS_NAME.fullmatch(needle) else None

                def tells(text: str) -> bool:
                    return _tells(text, key) and (name is None or _name_said(text, name))  # noqa: B023

                for hit in self.mem.search(needle, self.scope, k=256, record_access=False,
                                           include_superseded=True):
                    # (a question that only asks about it, "what's my favourite colour?",
                    # holds none of it: `_tells`)
                    if tells(self._matchable(hit.cube)):
                        found.setdefault(hit.id, hit.cube)
                    elif tells(str(hit.cube.metadata.get("context", ""))):
                        context.setdefault(hit.id, hit.cube)

        holding(needles)
        # The facts read from a turn being forgotten: the one the request names ("jazz" of
        # "that I like jazz") is forgotten, and its value wherever else it was said (the
        # assistant's "Noted: you like jazz"); the others are stored again on their own.
        asked = needles[-1]  # the request's own words ("I like jazz")
        # A request the question forms found facts for ("how old Leo is") names them by
        # their attribute, not by its words: "Leo" is no value to forget there
        # (so does a statement whose stored facts were found: "that Ella has a peanut
        # allergy" names her allergy, not her name)
        keep, named = self._said_beside(found, needles, "" if facts or stated else asked)
        new = [v for v in dict.fromkeys(str(c.metadata.get("value", "")) for c in named)
               if len(v.strip()) >= 3 and v not in needles]
        for cube in named:
            found.setdefault(cube.id, cube)
        needles += new
        holding(new)
        keep = {i: c for i, c in keep.items() if i not in found}
        for turns in self._turns.values():  # nor does this process's transcript keep it
            keys = [_norm(n) for n in needles if _norm(n)]
            turns[:] = [t for t in turns if not any(f" {k} " in f" {_norm(t.text)} "
                                                    for k in keys)]
        reason = f"the user asked: forget {what}"
        out: list[tuple[str, str, str]] = []
        for cube_id, cube in found.items():
            try:
                self.mem.forget(cube_id, self.scope, reason=reason)
            except (NotFoundError, ScopeError):  # another agent's cube, or already gone
                continue
            out.append((cube_id, cube.content, "forgotten"))
        for cube_id, cube in context.items():
            if cube_id in found or cube.state.value != "active":
                continue
            try:  # MemOS.forget above took forgotten turns out of their neighbours' context
                cube = self.mem.get(cube_id, self.scope)
            except NotFoundError:
                continue
            if not any(_tells(str(cube.metadata.get("context", "")), _norm(n))
                       for n in needles if _norm(n)):
                continue
            try:
                self.mem.forget(cube_id, self.scope, reason=reason + " (in its context)")
            except (NotFoundError, ScopeError):
                continue
            self._store_again(cube, drop_context=True)
            out.append((cube_id, cube.content, "rewritten"))
        from memos.reader.questions import user_key

        me = user_key(self.scope.user_id)
        # The user's name forgotten ("forget my name"): the facts about the user kept below
        # are written again under the name left (the readable user id), not the forgotten one
        unnamed = any(c.metadata.get("attribute") == "name" and c.metadata.get("subject") == me
                      and c.kind == Kind.FACT for c in found.values())
        if unnamed:
            from memos.reader.questions import resolve_user_name

            self._name = None  # (kept for the turn: the name is gone now)
            left = resolve_user_name(self.mem, self.scope, self._stated_name)
        for cube in keep.values():  # forgotten with their turn above: stored again on their own
            if cube.scope.user_id != self.scope.user_id:
                continue  # never written again into another user's scope
            if unnamed and cube.metadata.get("subject") == me:
                cube = cube.model_copy(update={"content": _SUBJECT.sub(lambda _m: left,
                                                                        cube.content)})
            try:
                self.mem.get(cube.id, cube.scope)
                continue  # still there: its turn was not forgotten (another agent's, say)
            except NotFoundError:
                pass
            # Without its context: the snapshot's context may quote a turn forgotten above.
            self._store_again(cube, drop_context=True, drop_cube_sources=True)
            out.append((cube.id, cube.content, "kept"))
        return out

    def _said_at(self, fact: MemCube, cq: CanonicalQuestion,
                 turns: dict[str, MemCube | None]) -> int:
        """Where the fact's value stands, as a word, in the turn it was read from ("Maya and
        Leo": Maya's 0 comes first; "Dan" is not found inside "Daniel"), so that facts of
        one turn are listed in the order the user said them, not in the order search ranked
        them; facts without a turn go last. `turns`: the turns read so far (one read each)."""
        from memos.reader.ingest import turn_of

        value = _fact_value(fact, cq)
        turn_id = turn_of(fact)
        if not value or turn_id is None:
            return 1 << 30
        if turn_id not in turns:
            turns[turn_id] = self._readable_turn(turn_id)
        turn = turns[turn_id]
        found = None if turn is None else re.search(
            rf"(?<!\w){re.escape(value)}(?!\w)", turn.content, re.I)
        return found.start() if found else 1 << 30

    def _turn_read_from(self, fact: MemCube, found: Mapping[str, MemCube]) -> MemCube | None:
        """The turn (episode) a fact was read from, unless it is among `found` already or
        this scope may not read it."""
        from memos.reader.ingest import turn_of

        turn = turn_of(fact)
        if turn is None or turn in found:
            return None
        return self._readable_turn(turn)

    def _readable_turn(self, turn_id: str) -> MemCube | None:
        """The turn `turn_id`, or None when this scope may not read it."""
        try:
            return self.mem.get(turn_id, self.scope)
        except NotFoundError:
            return None

    def _store_again(self, cube: MemCube, *, drop_context: bool = False,
                     drop_cube_sources: bool = False) -> None:
        """A forgotten cube written again as a new one: the same text, kind, tags, metadata
        and time, without its searchable `context` or without its sources in other cubes
        (the forgotten turn it was read from)."""
        meta = {k: v for k, v in cube.metadata.items() if not (drop_context and k == "context")}
        self.mem.add(cube.content, cube.scope, kind=cube.kind.value, tags=cube.tags,
                     metadata=meta, valid_from=cube.valid_from,
                     sources=[src.model_dump() for src in cube.sources
                              if not (drop_cube_sources and src.kind == "cube")])

    def _matchable(self, cube: MemCube) -> str:
        """The words of `cube` a request to forget is looked for in: a turn's without its
        speaker ("Dana Kim: ..."), a fact about the user without its subject ("Dana Kim's
        city is Bath."): the user's name labels every one of them, so "forget my name"
        would otherwise forget all of them (a fact about another person keeps its subject:
        "forget Priya" names "Priya's phone is ...")."""
        from memos.reader.questions import user_key

        if cube.kind == Kind.EPISODE:
            return _said(cube)
        if cube.metadata.get("subject") == user_key(self.scope.user_id):
            return _SUBJECT.sub("", cube.content).removeprefix("'s ").removeprefix("’s ")
        return cube.content

    def _named_otherwise(self, who: str, kin: Sequence[SearchHit]) -> bool:
        """Whether another relation of the user's live facts (not those of `kin`) has the
        name `who` ("my friend Bella" beside "my dog Bella")."""
        from memos.reader.questions import user_key

        mine = {h.id for h in kin}
        user = user_key(self.scope.user_id)
        return any(h.id not in mine and h.cube.metadata.get("subject") == user
                   and (_fact_attribute(h.cube) or "").endswith("'s name")
                   and str(h.cube.metadata.get("value") or "").strip().casefold()
                   == who.casefold() and not _ended(h.cube)
                   for h in self._search(who, WHO_K, record_access=False,
                                         kind=[Kind.FACT.value]))

    def _mentions(self, who: str, found: dict[str, MemCube]) -> None:
        """Add to `found` this user's turns, replies and summaries that name `who`, a person
        asked to be forgotten by relation ("forget my ex"): by their name, as a name
        (`_name_said`), as a request by name finds them."""
        for part in dict.fromkeys([who, who.split()[0]] if who.split() else []):
            for hit in self._search(part, 256, record_access=False, include_superseded=True,
                                    kind=[Kind.EPISODE.value]):
                if hit.id not in found and _name_said(self._matchable(hit.cube), who):
                    found[hit.id] = hit.cube

    def _said_beside(self, found: Mapping[str, MemCube], needles: list[str], asked: str
                     ) -> tuple[dict[str, MemCube], list[MemCube]]:
        """The live facts read from the turns about to be forgotten, as (those to keep, those
        the request names). "I love sushi and I like jazz": forgetting that I like jazz
        names the jazz fact (its value is in the request's words, `asked`) and keeps the
        sushi one (forgetting the turn forgets what was derived from it; the kept ones are
        stored again on their own). A fact whose text holds a needle is named too."""
        keys = [_norm(n) for n in needles if _norm(n)]
        request = f" {_norm(asked)} "
        # "that I have a cat": what is had, named by the attribute of its facts ("cat's name")
        had = _HAVING.fullmatch(_norm(asked))
        kind_had = had.group(1) if had else None
        keep: dict[str, MemCube] = {}
        named: list[MemCube] = []
        for cube_id, cube in found.items():
            session, turn = cube.metadata.get("session"), cube.metadata.get("turn")
            if cube.kind != Kind.EPISODE or session is None or turn is None:
                continue
            for hit in self._search(cube.content, 32, record_access=False,
                                    kind=[Kind.FACT.value, Kind.PREFERENCE.value],
                                    metadata={"session": session, "turn": turn}):
                if hit.id in found or not any(d.cube_id == cube_id for d in hit.cube.derived_from):
                    continue
                value = _norm(str(hit.cube.metadata.get("value", ""))) or "\0"
                words = f" {_norm(self._matchable(hit.cube))} "
                head = _norm(str(hit.cube.metadata.get("attribute", "")).split("=")[0]
                             .split("'s")[0])
                if f" {value} " in request or any(f" {k} " in words for k in keys) or (
                        kind_had is not None and head in (kind_had, kind_had + "s")):
                    named.append(hit.cube)  # the very thing forgotten ("jazz")
                else:
                    keep[hit.id] = hit.cube
        return keep, named

    # -- sessions ------------------------------------------------------------------------

    def transcript(self, session_id: str | None = None) -> str:
        """This process's turns of a session as text ("Alice: ...\\nassistant: ..."), less
        turns forgotten or purged since (by any caller)."""
        sid = _session_arg(session_id) if session_id is not None else self.session_id
        return "\n".join(self._lines(self._live_turns(sid)))

    def _lines(self, turns: Sequence[_Turn]) -> list[str]:
        name = self.user_name
        return [f"{name}: {t.text}" if t.role == "user" else f"{ASSISTANT_LINE}{t.text}"
                for t in turns]

    def _live_turns(self, sid: str, last: int | None = None) -> list[_Turn]:
        """The session's turns whose episodes are still there: a turn forgotten or purged
        meanwhile (MemOS.forget / purge by any caller) is left out of what the session's end
        writes, so its words are not stored again. `last`: only the newest so many of them
        (looked up from the end, so a long session costs no more per reply)."""
        kept: list[_Turn] = []
        live: dict[str, bool] = {}
        turns = self._turns.get(sid, [])
        for turn in reversed(turns) if last is not None else turns:
            if last is not None and len(kept) >= last:
                break
            if turn.episode is not None and turn.episode not in live:
                try:  # history, not get: looking does not count as a read of the episode
                    live[turn.episode] = self.mem.history(turn.episode,
                                                          self.scope)[-1].is_live()
                except (NotFoundError, ScopeError):
                    live[turn.episode] = False
            if turn.episode is None or live[turn.episode]:
                kept.append(turn)
        return kept[::-1] if last is not None else kept

    def _saved_text(self, sid: str, turns: Sequence[_Turn]) -> str:
        """The transcript `end_session` saves: the session's newest whole turns within a
        memory's size limit (MAX_CONTENT_BYTES). Every turn is stored as its own episode
        already; the saved state then continues the session from its last megabyte. A
        session ended before and continued since (`reply(session_id=...)`, `memos chat
        --session`) keeps what was saved then ahead of the new turns (a transcript holding
        a turn forgotten since is forgotten with it, so what is live may be kept)."""
        earlier = self.mem.session_transcript(self.scope, sid)
        # (split where its turns start, not at every newline: a turn of several lines is
        # one, kept whole or left out whole)
        starts = re.compile(rf"\n(?=(?:{re.escape(self.user_name)}: |{ASSISTANT_LINE}))")
        lines = [*(starts.split(earlier.content) if earlier is not None else []),
                 *self._lines(turns)]
        size, start = 0, len(lines)
        while start > 0:
            more = len(lines[start - 1].encode("utf-8", errors="surrogatepass")) + 1
            if size + more > MAX_CONTENT_BYTES + 1:  # + 1: no newline after the last line
                break
            size += more
            start -= 1
        return "\n".join(lines[start:])

    def end_session(self, session_id: str | None = None) -> SessionEnd:
        """Write the session's summary cube and save its state (activation tier); the next
        `reply` starts a new session when this was the current one. Turns forgotten or
        purged during the session are left out of both; a transcript over MAX_CONTENT_BYTES
        is saved as its newest whole turns that fit."""
        sid = _session_arg(session_id) if session_id is not None else self.session_id
        turns = self._live_turns(sid) if self.learn else self._turns.get(sid, [])
        if sid == self.session_id:
            self.session_id = new_session_id()
        said = sum(t.role == "user" for t in turns)
        if not turns or not self.learn:
            self._drop_session(sid)
            return SessionEnd(session_id=sid, turns=said, summary_id=None, saved=None)
        text = self._saved_text(sid, turns)
        summary = self._summary(sid, turns)
        # Derived from the turns and facts it was made from: forgetting or purging any of
        # them (MemOS.forget / purge by any caller) forgets or erases the summary with it.
        sources: dict[str, int] = {}
        for cube_id in dict.fromkeys([*self._episodes.get(sid, []), *self._facts.get(sid, [])]):
            try:
                sources[cube_id] = self.mem.get(cube_id, self.scope).version
            except NotFoundError:
                continue
        added = self.mem.add(summary, Scope(user_id=self.scope.user_id,
                                            agent_id=self.scope.agent_id, session_id=sid),
                             kind="episode", tags=[SUMMARY_TAG], valid_from=turns[0].at,
                             metadata={"session": sid, "turns": said},
                             derived_from=[{"cube_id": i, "version": v}
                                           for i, v in sources.items()])
        try:
            saved = self.mem.save_session(self.scope, sid, text, model=self.model)
        except ConflictError as exc:  # the transcript was erased meanwhile: no state to keep
            log.info("session %s ended without a saved state: %s", sid, exc)
            saved = None
        self._drop_session(sid)
        return SessionEnd(session_id=sid, turns=said, summary_id=added.id,
                          saved=saved)

    def _drop_session(self, sid: str) -> None:
        """Forget this process's record of an ended session: its turns, facts and episodes."""
        for record in (self._turns, self._facts, self._episodes):
            record.pop(sid, None)

    def _summary(self, sid: str, turns: list[_Turn]) -> str:
        """What the session was about, as a dated episode. Facts appear as "attribute:
        value" (not in the fact form the model answers from), so a summary never competes
        with the live fact after a later correction."""
        told: list[str] = []
        for cube_id in dict.fromkeys(self._facts.get(sid, [])):
            try:
                cube = self.mem.get(cube_id, self.scope)
            except NotFoundError:
                continue
            attribute, value = _fact_attribute(cube), cube.metadata.get("value")
            if attribute and isinstance(value, str):
                told.append(f"{attribute.replace(chr(39) + 's', '')}: {value}")
        said = [t.text for t in turns if t.role == "user"]
        text = (f"Conversation with {self.user_name} on {date_text(turns[0].at)} "
                f"({len(said)} message(s), session {sid}).")
        if told:
            text += " Topics: " + "; ".join(told) + "."
        asked = [s for s in said if is_question(s)]
        if asked:
            text += " Asked: " + " ".join(_short(a, 80) for a in asked[:5])
        return text[:4000]


_FIRST_PERSON = frozenset("i im ive me myself mine we us ourselves".split())
# The user and someone else as one subject ("Me and my sister are allergic to cats", "my
# husband and I", "we both"): what the reader read of the other is the user's too.
_JOINT = re.compile(r"\b(?:me\s+and|and\s+me|and\s+I|I\s+and|we|us|both\s+of\s+us)\b", re.I)


def dated_query(text: str, now: datetime,
                mentions: Sequence[DateMention] | None = None) -> str:
    """`text` with the dates its relative phrases name, resolved against `now` (or given as
    `mentions`), written out ("What did I do last Saturday?" -> "... (17 January 2026)"): the
    search's date prior (memos.query) reads absolute dates only, and then favours the
    memories of that time."""
    from memos.query import query_periods
    from memos.reader.dates import resolve_dates

    found = resolve_dates(text, now) if mentions is None else mentions
    out = [_date_shown(m.date, m.precision) for m in found
           if not query_periods(m.text)]  # (one said with its year already stands)
    return f"{text} ({'; '.join(dict.fromkeys(out))})" if out else text


def _date_fit(hits: list[SearchHit], mentions: Sequence[DateMention]) -> list[SearchHit]:
    """`hits` reordered by the dates a question names (`mentions`: "What did I do last
    Saturday?"): a turn whose own dates (`_told_dates`: "This weekend I painted the kitchen"
    -> the weekend of 17 January) meet one of them scores DATE_MATCH times more, one whose
    dates all miss DATE_MISS times; a turn without dates as it was."""
    from memos.reader.dates import period_end

    asked = [(m.date, period_end(m.date, m.precision)) for m in mentions]
    if not asked:
        return hits
    out = []
    for hit in hits:
        spans = [(day, period_end(day, precision)) for _words, day, precision
                 in (_told_dates(hit.cube) if hit.cube.kind == Kind.EPISODE else [])]
        if spans:
            meets = any(lo <= hi2 and lo2 <= hi for lo, hi in spans for lo2, hi2 in asked)
            hit = hit.model_copy(update={"score": hit.score * (DATE_MATCH if meets
                                                               else DATE_MISS)})
        out.append(hit)
    return sorted(out, key=lambda h: -h.score)


def _newest(hits: Sequence[SearchHit]) -> tuple[datetime, datetime]:
    """When the newest of the facts began (`_began`)."""
    return max(_began(h.cube) for h in hits)


# A taste and its opposite ("Do I like coffee?" of a user who hates it: no)
_OPPOSITE = {"likes": "dislikes", "dislikes": "likes"}


def _q_plain(cq: CanonicalQuestion) -> CanonicalQuestion:
    """`cq` as the plain question of its (subject, attribute): no history, value or past."""
    from dataclasses import replace

    return replace(cq, history=False, value=None, now=False, past=False)


def _many_valued(cube: MemCube) -> bool:
    """A reader fact of an attribute with many values at once (an allergy, a like, a
    friend's name): its conflict key holds the value ("allergy=peanuts")."""
    return "=" in str(cube.metadata.get("attribute", ""))


def _my_own(norm: str) -> bool:
    """Whether a (normalised) text says "my"/"our" of something not a relative ("my age",
    "our flat"; not "my son")."""
    from memos.reader.questions import KIN_GROUPS
    from memos.reader.vocab import RELATION_RE

    kin = "|".join([RELATION_RE, *KIN_GROUPS])
    return re.search(rf"\b(?:my|our) (?!(?:{kin})(?:s)?\b)\w", norm) is not None


def _only_asks(text: str) -> bool:
    """Every clause of `text` is a question (the reader's clause split): one that ends with
    "?" or is asked as a question without it ("where do i live", typed in a hurry:
    `is_question`); a long text is not one question."""
    from memos.reader.rules import clauses

    if len(text) > 1_000:
        return False
    parts = clauses(text)
    return bool(parts) and all(p.rstrip().endswith("?") or is_question(p) for p in parts)


# The subject of a fact's text, before its "'s" ("Dana Kim" of "Dana Kim's city is Bath.")
_SUBJECT = re.compile(r"^[^'’\n]{1,128}(?=['’]s\s)")
# A request to forget that the user has something ("that I have a cat", "we have two dogs"):
# the thing had, singular.
_HAVING = re.compile(r"(?:i|we)\s+(?:have|had|own|owned|got|have got|ve got)\s+"
                     r"(?:a|an|one|two|three|four|\d+|some)?\s*([a-z]{3,}?)(?:e?s)?")


# Words that make a question one of the speaker ("what did I complain about?")
# ("me" of "tell me a joke" is whom to tell, not what is asked about)
_OF_SPEAKER = frozenset("i im ive id my mine myself we us our ours ourselves".split())


# Words that say nothing of what a text is about: function words, words of asking, helping
# verbs, plain words
_NO_TOPIC = _STOP | _ASK_WORDS | _AUX_WORDS | _PLAIN_WORDS


def _words_of(text: str) -> set[str]:
    """The words of `text` that say what it is about (not `_NO_TOPIC`), of three letters or
    more."""
    return {w for w in _norm(text).split() if len(w) >= 3 and w not in _NO_TOPIC}


def _stems(word: str) -> set[str]:
    """`word` and its forms without an ending that leaves three letters or more, with a
    lost "e" or "y" put back ("hiking" -> hik, hike; "cats" -> cat; "lived" -> liv, live;
    "allergies" -> allergy)."""
    out = {word}
    if word.endswith("ies") and len(word) > 5:
        out.add(word[:-3] + "y")
    for ending in ("ing", "ed", "es", "s"):
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            out |= {word[:-len(ending)], word[:-len(ending)] + "e"}
            break
    return out


def _same_word(a: str, b: str) -> bool:
    """Whether two (normalised) words are one word said in two forms: a stem in common
    ("hike" / "hiking", "cat" / "cats", "live" / "lived", "allergy" / "allergies"), or
    five letters or more of one starting the other ("vegetarian" / "vegetarians"); not
    "cat" / "catholic" nor "car" / "career"."""
    if a == b or _stems(a) & _stems(b):
        return True
    short, long_ = sorted((a, b), key=len)
    return len(short) >= 5 and long_.startswith(short)


@functools.cache
def _other_person() -> re.Pattern[str]:
    """Someone a question or a clause may be about other than the user: "my husband", "her
    mom", "my best friend", "my bf", "my boss" (the reader's kin and companion words:
    `vocab.PERSONAL_RELATIONS`, their aliases and chat words, and who one works with; not
    one's own doctor or dentist: "who is my doctor?" asks of the user's)."""
    from memos.reader.rules import CHAT_KIN_WORDS
    from memos.reader.vocab import KIN_NAMES, PERSONAL_RELATIONS, RELATION_ALIASES

    words = (set(PERSONAL_RELATIONS) | set(KIN_NAMES) | set(CHAT_KIN_WORDS)
             | {a for a, r in RELATION_ALIASES.items() if r in PERSONAL_RELATIONS}
             | {"boss", "manager", "colleague", "coworker", "co-worker", "supervisor",
                "teammate", "kid", "kids", "child", "children", "baby", "parents"})
    kin = "|".join(sorted((re.escape(w).replace(r"\ ", r"\s+") for w in words), key=len,
                          reverse=True))
    return re.compile(rf"\b(?:my|our|his|her|their)\s+(?:(?:best|old|new|ex|step|late)[-\s]?)?"
                      rf"(?:{kin})s?\b", re.I)


@functools.cache
def _another_subject() -> re.Pattern[str]:
    """A clause's subject that is someone else: "my husband ...", "Zoe speaks ...", "he /
    she / they ..." (a name before a verb said of one other: "Zoe speaks", "Tom is"; not
    "Had the tests redone")."""
    return re.compile(
        r"^\W*(?:(?:so|and|also|btw|oh|well|ok|okay|um|anyway|fyi|actually)\W+)*(?:"
        + _other_person().pattern + r"|(?P<name>(?-i:[A-Z][a-z]+))(?:['’]s\s+\w+)?\s+(?-i:(?:is|"
        r"was|has|does|did|can|will|[a-z]+[^s\W]s))\b|(?:he|she|they)\b)", re.I)


def _asks_of_user(text: str) -> bool:
    """Whether a question asks about the user alone: said of "I" / "me" / "my", naming no
    relative and no one by name ("Am I diabetic?", "what medication do I take?"; not "what
    does my mom take?", "does Zoe speak Japanese?")."""
    words = set(_norm(text).split())
    if not words & {"i", "im", "ive", "me", "my"} or _other_person().search(text):
        return False
    # (no one by name: "does Zoe speak Japanese?", "is Sara a teacher?", "Sam's job")
    return not re.search(r"\b(?:does|did|is|was|has|can|will|would|could|do)\s+(?-i:[A-Z])(?!\b)|"
                         r"(?!(?:What|Where|Who|When|How|That|It|There|Here|Let)['’]s)"
                         r"(?-i:[A-Z])[a-z]+['’]s\b", text)


def _told_of_another(said: str, asked: set[str], me: str | None = None) -> bool:
    """Whether every clause of a turn that shares a word with the question `asked` is said
    of someone other than the speaker ("My husband is diabetic" of "am I diabetic?"); not
    when any such clause is the speaker's (by "I", or by their own name `me`), or none
    shares a word."""
    from memos.reader.rules import clauses

    if len(said) > MAX_TURN_CHARS:
        return False

    first = (me or "").split()[0] if (me or "").split() else ""

    def another(clause: str) -> bool:
        m = _another_subject().match(clause)
        # (any word of the speaker's after the subject makes it theirs too: "my friend gave
        # me a guitar", "Yoga has changed my life", "my husband and me both love jazz")
        return m is not None and m.group("name") not in (me, first) and not re.search(
            r"\b(?:I|I'm|I've|I'd|me|my|mine|myself|we|we're|us|our)\b", clause[m.end():], re.I)

    sharing = [c for c in clauses(said) if _shares_words(asked, c)]
    return bool(sharing) and all(another(c) for c in sharing)


def _shares_words(asked: set[str], said: str) -> bool:
    """Whether a memory shares a word with the question's words `asked` (`_words_of`,
    `_same_word`); true of a question with no word that says what it is about ("what do
    you remember?")."""
    return not asked or any(_same_word(a, w) for w in _words_of(said) for a in asked)


def _tells(text: str, key: str) -> bool:
    """Whether `text` holds the words `key` (normalised), other than in a question that
    only asks about them ("what's my favourite colour?" of "my favourite colour": a turn, or
    a neighbour's context, that says only that holds no memory of it, so a request to forget
    it neither forgets nor names it). A question that says more ("what should I eat with my
    diabetes?", "is my favourite colour green?") tells something."""
    from memos.reader.rules import clauses

    if not key or f" {key} " not in f" {_norm(text)} ":
        return False
    if len(text) > 4_000:
        return True
    plain = _NO_TOPIC | set(key.split())
    held = False
    for part in clauses(text):
        part = re.sub(r"^[^:\n]{1,64}:\s+", "", part.strip())  # "Fay: ..."
        words = _norm(part)
        if f" {key} " not in f" {words} ":
            continue
        held = True
        if not (part.rstrip().endswith("?") or is_question(part)) or \
                any(w not in plain for w in words.split()):
            return True
    return not held  # across clauses: told


def _fact_attribute(cube: MemCube) -> str | None:
    """The attribute a reader fact is about ("allergy" for the multi-valued key
    "allergy=peanuts")."""
    for key in ("relation", "attribute"):
        value = cube.metadata.get(key)
        if isinstance(value, str) and value:
            return value.split("=", 1)[0]
    return None


def _fact_value(cube: MemCube, cq: CanonicalQuestion) -> str:
    """The value a fact states ("Porto" of "Alice's city is Porto.")."""
    value = cube.metadata.get("value")
    if not isinstance(value, str) or not value.strip():
        value = _value_of(cube.content, cq)
    return value.strip().rstrip(".")


def _span(cube: MemCube) -> str:
    """When a fact held: "from 1 January 2024 to 19 July 2024", "since 4 February 2025"."""
    if _said_as_past(cube):  # told as the past: in the time told with it, if any
        end = date_text(cube.valid_to)
        start, until = _told_start(cube), _told_end(cube)
        if until:  # "from 2015 to 2019", "until 2018"
            return f"from {start} to {until}" if start and start != until else \
                f"in {until}" if start else f"until {until}"
        return f"in {start}" if start else f"before {end}" if end else ""
    start = date_text(_when(cube))
    if not _ended(cube):
        return f"since {start}" if start else ""
    end = _end_text(cube)
    if start and start == end:
        return f"on {start}"  # (began and ended the same day)
    return (f"from {start} to {end}" if start and end
            else f"from {start}" if start else f"until {end}" if end else "")


def _same_value(stored: str, asked: str) -> bool:
    """Whether a stored value is the one asked about: the same words, whatever their case
    and a leading "the" ("the Hague" / "The Hague")."""
    def norm(text: str) -> str:
        return re.sub(r"^the\s+", "", " ".join(text.casefold().split()))
    return bool(asked.strip()) and norm(stored) == norm(asked)


# What makes a clause no statement of one's own, before it in its sentence: another's words
# or a hypothesis ("my friend said I was born in 1985", "if I was born in 2000")
# ("as I told you, I was born in 1990" is one's own)
_NOT_OWN_CLAUSE = re.compile(r"\b(?:said|says|if|wish|wished|dream\w*|thought|imagine\w*|"
                             r"pretend\w*|suppose|joked?|claim\w*)\b[^.!?;]*$", re.I)
# "I was born in 1990", "I was born in May 1990", "I was born in Leeds in 1990"
_BORN_IN_YEAR = re.compile(r"\bI\s+was\s+born\s+(?:in\s+(?-i:[A-Z])[\w'’.-]*(?:\s+(?-i:[A-Z])"
                           r"[\w'’.-]*)*\s+)?in\s+(?:(?P<month>[A-Za-z]{3,9}\.?)\s+)?"
                           r"(?P<year>(?:19|20)\d\d)\b", re.I)


def _opens_value(stored: str, asked: str) -> bool:
    """Whether the words asked open a stored value of more words, whatever their case
    ("Acme" of "Acme Corp"; not "Corp" of it, nor "Ac")."""
    words, opening = _norm(stored).split(), _norm(asked).split()
    return bool(opening) and len(words) > len(opening) and words[:len(opening)] == opening


def _value_of(content: str, cq: CanonicalQuestion) -> str:
    prefix = f"{cq.subject}'s {cq.attribute} is "
    if content.lower().startswith(prefix.lower()):
        return content[len(prefix):].rstrip().removesuffix(".")
    return content


def _elapsed(days: int) -> str:
    """A span of whole days in words: "2 years and 3 months", "5 months", "3 weeks",
    "4 days", "less than a day"."""
    def unit(n: int, word: str) -> str:
        return f"{n} {word}{'s' if n != 1 else ''}"

    years, months = days // 365, (days % 365) // 30
    if months >= 12:  # (360 to 364 days)
        years, months = years + 1, 0
    if years or months:
        return " and ".join(unit(n, w) for n, w in ((years, "year"), (months, "month")) if n)
    if days >= 14:
        return unit(days // 7, "week")
    return unit(days, "day") if days >= 1 else "less than a day"


def _listed(items: Sequence[str]) -> str:
    """"Maya", "Maya and Leo", "Maya, Leo, and Sam"."""
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + (", and " if len(items) > 2 else " and ") + items[-1]


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _text_arg(value: Any, name: str, what: str) -> str:
    """A text argument, or InvalidInputError saying what to pass."""
    if not isinstance(value, str):
        raise InvalidInputError(f"{name} must be a string ({what}), got "
                                f"{type(value).__name__} {value!r:.40}")
    return value


def _check_model(model: Any) -> None:
    """None (the shipped checkpoint), a checkpoint path or a loaded MemoryModel."""
    if model is None or isinstance(model, (str, os.PathLike)):
        return
    from memos.model.memory_model import MemoryModel

    if not isinstance(model, MemoryModel):
        raise InvalidInputError(f"model must be a MemoryModel, a checkpoint path or None, "
                                f"got {type(model).__name__}")


def _session_arg(session_id: Any) -> str:
    """A session id by the rules of a scope's (InvalidInputError saying what is wrong)."""
    if not isinstance(session_id, str) or len(session_id) > 256:
        raise InvalidInputError(f"session_id must be text of up to 256 characters, got "
                                f"{session_id!r:.40}")
    try:
        return normalize_id(session_id, "session_id")
    except ValueError as exc:
        raise InvalidInputError(str(exc)) from None


def new_session_id() -> str:
    """A session id that sorts by time: chat-20261130-081502-3fa9."""
    return f"chat-{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


class _NotAChat(Exception):
    """The endpoint answered something that is not a chat completion (stream)."""


def _completion_text(data: Any) -> str:
    """The text of a whole (not streamed) chat completion, as parsed JSON."""
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        raise _NotAChat(f"the server answered an error: {data['error'].get('message')!r:.200}")
    choices = data.get("choices") if isinstance(data, dict) else None
    if not isinstance(choices, list):
        raise _NotAChat(f"the server's answer is not a chat completion ({data!r:.60})")
    if not choices:
        return ""
    message = choices[0].get("message") if isinstance(choices[0], dict) else None
    content = message.get("content") if isinstance(message, dict) else 0
    if content is not None and not isinstance(content, str):
        raise _NotAChat("the server's answer is not a chat completion (its first choice has "
                        "no text message)")
    return content or ""


def _pieces(stream: Any) -> Iterator[str]:
    """The text pieces of a streamed reply. A server that ignores `stream` and answers one
    JSON completion gives its text as one piece; events without text (a role, a finish
    reason, keep-alives) are skipped; anything that is not a chat completion (stream) is
    _NotAChat."""
    response = getattr(stream, "response", None)
    ctype = str(response.headers.get("content-type", "")).lower() if response is not None \
        else ""
    if "event-stream" not in ctype and "json" in ctype:
        try:
            data = json.loads(response.read())
        except (ValueError, RecursionError):
            raise _NotAChat("the server's answer is not JSON nor an event stream") from None
        yield _completion_text(data)
        return
    if "html" in ctype:
        raise _NotAChat(f"the server answered a web page ({ctype}), not an event stream")
    for chunk in stream:
        if chunk is None or isinstance(chunk, (dict, list, str, bytes, int, float)):
            raise _NotAChat(f"an event of the stream is not a chat completion chunk "
                            f"({chunk!r:.60})")
        choices = getattr(chunk, "choices", None)
        if not choices:
            continue
        if not isinstance(choices, list):
            raise _NotAChat(f"an event's 'choices' is {choices!r:.40}, not a list")
        delta = getattr(choices[0], "delta", None)
        piece = getattr(delta, "content", None)
        if piece is None:
            continue
        if not isinstance(piece, str):
            raise _NotAChat(f"an event's text is {piece!r:.40}, not text")
        yield piece


def stream_chat(cfg: LLMConfig, messages: list[dict[str, str]],
                on_token: TokenFn | None = None) -> Iterator[str]:
    """The endpoint's reply to `messages`, streamed: yields (and passes to `on_token`) each
    piece of text as it arrives, without the characters a memory or a terminal must not get
    (`memos.cube.without_controls`: control characters but line breaks and tabs,
    bidirectional overrides, lone surrogates), and at most MAX_ANSWER_CHARS of it (then the
    stream is closed).
    `cfg.deadline` bounds the whole request, from its start to the answer's end
    (`cfg.timeout` each read): a server that trickles bytes, sends keep-alive or empty events, or text for ever
    has its connection shut down then (`memos.reader.llm.RequestDeadline`); the pieces
    passed until then stay passed, and the request is a ModelError saying it took too long.
    Failures, including an answer that is not a chat completion, are ModelError saying what
    to check."""
    try:
        import openai
    except ImportError:
        raise InvalidInputError("the llm backend needs the openai package: pip install "
                                "'memos-os[llm]'") from None
    from memos.reader.llm import RequestDeadline, deadline_http_client

    def failed(what: str) -> ModelError:
        return ModelError(f"the LLM at {cfg.url} (model {cfg.model}) failed: {what}; check "
                          f"MEMOS_LLM_URL (the API's base URL, e.g. http://localhost:11434/v1),"
                          f" MEMOS_LLM_MODEL and MEMOS_LLM_KEY, or use the extractive backend")

    def too_slow() -> ModelError:
        return ModelError(f"the LLM at {cfg.url} (model {cfg.model}) took longer than "
                          f"{cfg.deadline:g} s to answer; check that the server is running and "
                          f"not overloaded (a smaller model answers sooner), allow it longer "
                          f"(MEMOS_LLM_DEADLINE=<seconds>, or LLMConfig(deadline=...)), or use "
                          f"the extractive backend")

    client = openai.OpenAI(base_url=cfg.url, api_key=cfg.key or "not-needed",
                           timeout=cfg.timeout, max_retries=0,
                           http_client=deadline_http_client())
    stream = None
    sent = 0
    with RequestDeadline(cfg.deadline) as deadline:
        try:
            with deadline.sending():
                stream = client.chat.completions.create(model=cfg.model, messages=messages,
                                                        stream=True, temperature=0)
            for raw in _pieces(stream):
                piece = without_controls(raw, keep_lines=True)[:MAX_ANSWER_CHARS - sent]
                if piece:
                    sent += len(piece)
                    if on_token is not None:
                        on_token(piece)
                    yield piece
                if sent >= MAX_ANSWER_CHARS:
                    break  # an endless answer: what was said so far
            if deadline.expired:  # (a stream that ends where its connection closes)
                raise too_slow()
        except Exception as exc:
            if deadline.expired:  # the read that was cut off, whatever it raised
                raise too_slow() from None
            if isinstance(exc, openai.OpenAIError):
                raise failed(f"{type(exc).__name__}: {exc}") from None
            if isinstance(exc, _NotAChat):
                raise failed(str(exc)) from None
            if isinstance(exc, json.JSONDecodeError):  # an event whose data is not JSON
                raise failed(f"an event of the stream is not JSON ({exc.msg})") from None
            raise
        finally:
            if stream is not None:
                close = getattr(stream, "close", None)
                if close is not None:
                    close()
            client.close()


def complete_chat(cfg: LLMConfig, messages: list[dict[str, str]]) -> str:
    """The endpoint's whole reply to `messages` (streamed, joined)."""
    return "".join(stream_chat(cfg, messages)).strip()


__all__ = ["BACKENDS", "Assistant", "LLMConfig", "MemoryUsed", "Reply", "SessionEnd",
           "complete_chat", "date_text", "is_question", "model_value_problem", "new_session_id",
           "stream_chat"]
