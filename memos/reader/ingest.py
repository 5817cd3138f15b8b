"""`MemOS.ingest`: chat messages -> episode cubes and fact cubes, through the SDK's writes.

1. Every message is checked before anything is written (InvalidInputError naming the
   message index and field): nothing is half written on bad input.
2. Each turn becomes an episode cube: "<speaker>: <text>", kind "episode", `valid_from` the
   turn's time, metadata {speaker, role, session, turn, context, dates} where `context` is
   the neighbouring turns, the representation the LoCoMo path indexes
   (memos.eval.locomo_data.turn_context), and `dates` the relative dates resolved. Forgetting
   a turn takes its text out of its neighbours' `context` (MemOS.forget), purging it out of
   their history too (MemOS.purge): docs/READER.md, "Forgetting a turn".
3. Facts are extracted (rules, or an LLM) and written in turn order as
   `<subject>'s <attribute> is <value>.` with sources pointing at the turn (the message and
   its episode cube) and `valid_from` the turn's time (or the date the statement gives).
   Metadata {subject, attribute, value, relation, family, reader, session, turn} keys the
   conflict policy: a new value for the same (subject, attribute) supersedes the old one;
   multi-valued attributes (allergy, likes, ...) key on the value too, so a second allergy
   adds a fact. A fact also carries its turn's `context`, indexed as the turn's is, so that
   full text ranks a four-word fact among turns by its words, not by its brevity. A negation supersedes the facts it ends by the turn's episode, so history
   shows which turn ended them. Superseded and ended facts get `valid_to` = the turn's time
   (the superseding cube's valid_from), in the one version the supersede writes.
4. Extraction failures never lose turns: the episodes are stored and `report.failed` says
   which turn and stage failed.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import TYPE_CHECKING, Any

from memos.cube import (
    MAX_CONTENT_BYTES,
    MAX_USED,
    MemCube,
    Scope,
    as_utc,
    check_stored_text,
    check_utc_range,
    content_hash,
    ended_by,
    is_blank,
    normalize_id,
    utcnow,
)
from memos.errors import InvalidInputError, MemosError
from memos.policies import conflict
from memos.reader.dates import resolve_dates
from memos.reader.questions import user_display_name, user_key
from memos.reader.rules import (
    BARE_GREETING,
    TITLES,
    Extraction,
    Referents,
    correction,
    extract,
    looks_like_correction,
    may_introduce_after_greeting,
    named_wrong,
    names_another,
    opens_with_pronoun,
    stated_name,
)
from memos.reader.vocab import TRIP

if TYPE_CHECKING:
    from memos.facade import MemOS
    from memos.results import IngestReport

log = logging.getLogger(__name__)

ROLES = frozenset({"user", "assistant", "system", "tool"})
MESSAGE_FIELDS = frozenset({"role", "content", "name", "at", "used"})
MAX_MESSAGES = 100_000
CONTEXT_WINDOW = 2  # the LoCoMo path's (memos.eval.locomo.CONTEXT_WINDOW)
MODES = ("rules", "llm")
# Metadata of an episode, and of a fact read from it, whose turn had no time given (neither
# the message's "at" nor the call's): its time, `valid_from` and the message source's `at`,
# is the time of the ingest, the latest it can have been said. A turn of it ingested again
# with a time at or before that is the same message, read already (`_read_before`); its
# fact's beginning is unknown to the conflict policy (`policies/conflict.began_later`).
UNDATED = conflict.UNDATED
# Metadata of a fact said as the past ("I used to live in Seville": `Extraction.past`): its
# `valid_to` is when it was said, the latest it can have ended, not the day it ended.
PAST_KEY = "past"
# Metadata of a fact that corrects the previous turn's ("Sorry, I meant Lyon":
# `Extraction.corrects`): the value it replaces, which never held.
CORRECTS_KEY = "corrects"
# Metadata of a past fact told with its end ("until 2018": `Extraction.until`): the last
# moment of the period named; its `valid_to` is the period's first day.
ENDED_BY = "ended_by"
# How many of the user's newest facts are looked through for her last turn's (`last_turn_facts`).
LAST_TURN_FACTS = 32


@dataclass(frozen=True)
class ChatTurn:
    """One checked message."""

    index: int
    role: str
    content: str
    name: str | None
    at: datetime
    used: tuple[str, ...] = ()  # ids of the memories the message drew on (a reply's)
    dated: bool = True  # `at` was given (the message's or the call's), not defaulted to now

    def speaker(self, user_name: str) -> str:
        if self.name:
            return self.name
        return {"user": user_name, "assistant": "Assistant", "system": "System"}.get(
            self.role, self.role.capitalize())


def _used(value: Any, where: str) -> tuple[str, ...]:
    """A message's "used": the ids of the memories it drew on (an assistant reply's), kept
    in its episode's metadata so that forgetting or purging one of them reaches the reply."""
    if value is None:
        return ()
    if (not isinstance(value, (list, tuple)) or len(value) > MAX_USED
            or not all(isinstance(v, str) and 0 < len(v) <= 64 for v in value)):
        raise InvalidInputError(f"{where}: field 'used' must be a list of up to {MAX_USED:,} "
                                f"memory ids, got {value!r:.60}")
    return tuple(dict.fromkeys(value))


def _as_utc(value: datetime) -> datetime:
    try:
        check_utc_range(value, "'at'")
    except ValueError as exc:
        raise InvalidInputError(str(exc)) from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _parse_at(value: Any, where: str) -> datetime:
    if isinstance(value, datetime):
        return _as_utc(value)
    if isinstance(value, date):
        return datetime.combine(value, dtime(12, 0), tzinfo=UTC)
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):  # a day, as a date is: noon UTC
            try:
                return datetime.combine(date.fromisoformat(text), dtime(12, 0), tzinfo=UTC)
            except ValueError:
                pass
        try:
            return _as_utc(datetime.fromisoformat(text.replace("Z", "+00:00")))
        except ValueError:
            pass
    raise InvalidInputError(f"{where}: 'at' must be a datetime, a date or an ISO 8601 string "
                            f"such as '2026-03-01T09:30:00Z', got {value!r:.60}")


def check_messages(messages: Any, at: datetime | date | str | None = None) -> list[ChatTurn]:
    """Every message checked (InvalidInputError naming the index and field) and made a
    ChatTurn; a message without 'at' gets the time of the nearest message before it that
    has one (a conversation's undated turns between dated ones were dated now, newer than
    the turns after them), else `at`, else the time of the first message after it that has
    one, else now."""
    if isinstance(messages, (str, bytes, Mapping)) or not isinstance(messages, Sequence):
        raise InvalidInputError(
            f"messages must be a list of dicts such as {{'role': 'user', 'content': 'I live "
            f"in Lisbon'}}, got {type(messages).__name__}")
    if not messages:
        raise InvalidInputError("messages is empty; pass at least one {'role', 'content'} dict")
    if len(messages) > MAX_MESSAGES:
        raise InvalidInputError(f"{len(messages):,} messages in one call, over "
                                f"{MAX_MESSAGES:,}; ingest the conversation in parts")
    # as a message's own 'at': a datetime, a date or an ISO 8601 string
    default_at = _parse_at(at, "at") if at is not None else datetime.now(UTC)
    turns: list[ChatTurn] = []
    given: datetime | None = None  # the time of the last message that had one
    for i, msg in enumerate(messages):
        where = f"message {i}"
        if not isinstance(msg, Mapping):
            raise InvalidInputError(f"{where}: must be a dict with 'role' and 'content', "
                                    f"got {type(msg).__name__}")
        unknown = set(msg) - MESSAGE_FIELDS
        if unknown:
            raise InvalidInputError(f"{where}: unknown field(s) {sorted(str(k)[:40] for k in unknown)[:5]}; "
                                    f"a message has role, content, name, at and used")
        role = msg.get("role")
        if not isinstance(role, str) or role not in ROLES:
            raise InvalidInputError(f"{where}: field 'role' must be one of {sorted(ROLES)}, "
                                    f"got {role!r:.40}")
        content = msg.get("content")
        if not isinstance(content, str) or not content.strip() or is_blank(content):
            raise InvalidInputError(f"{where}: field 'content' must be non-empty text, "
                                    f"got {content!r:.40}")
        if len(content.encode("utf-8", errors="surrogatepass")) > MAX_CONTENT_BYTES // 2:
            raise InvalidInputError(f"{where}: field 'content' is over "
                                    f"{MAX_CONTENT_BYTES // 2:,} bytes; split the message")
        try:
            check_stored_text(content, f"{where}: field 'content'")
        except ValueError as exc:
            raise InvalidInputError(str(exc)) from None
        name = msg.get("name")
        if name is not None:
            if not isinstance(name, str) or not name.strip() or len(name) > 128:
                raise InvalidInputError(f"{where}: field 'name' must be text of 1 to 128 "
                                        f"characters, got {name!r:.40}")
            try:
                name = normalize_id(name.strip(), f"{where}: field 'name'")
            except ValueError as exc:
                raise InvalidInputError(str(exc)) from None
        if msg.get("at") is not None:
            when = given = _parse_at(msg["at"], where)
        else:
            when = given if given is not None else default_at
        turns.append(ChatTurn(i, role, content, name, when, _used(msg.get("used"), where),
                              dated=given is not None or at is not None))
    if at is None:  # undated turns before the first dated one: its time, not now (later)
        first = next((t for t in turns if t.dated), None)
        if first is not None:
            turns = [dataclasses.replace(t, at=first.at, dated=True) if t.index < first.index
                     else t for t in turns]
    return turns


# How the assistant quotes an earlier turn in a reply (`Assistant._quote`): "On 28 February
# 2026 you said: ..." or "Later, on 3 March 2026, Ana said: ..."
_QUOTED = re.compile(r"(?:\bLater, on|\b[Oo]n) (?P<day>\d{1,2} [A-Z][a-z]+ \d{4}),? "
                     r"[^:!?\n]{1,80}? said: ")  # ("Dr. Lee said: ")


def _turn_dates(turn: ChatTurn) -> list[Any]:
    """The dates a turn's words name (`resolve_dates`), against the turn's time; in an
    assistant's reply, the words of a turn it quotes against the date of that quote ("On 28
    February 2026 you said: last Saturday I ran ..." names 21 February, not the Saturday
    before the reply)."""
    text, at = turn.content, turn.at
    heads = list(_QUOTED.finditer(text)) if turn.role == "assistant" else []
    if not heads:
        return resolve_dates(text, at)
    out = resolve_dates(text[:heads[0].start()], at)
    for head, after in zip(heads, [*heads[1:], None], strict=True):
        out += resolve_dates(head.group("day"), at)
        try:
            quoted = datetime.strptime(head.group("day"), "%d %B %Y").date()
        except ValueError:
            quoted = at.date()
        out += resolve_dates(text[head.end():None if after is None else after.start()], quoted)
    seen: set[tuple[str, date]] = set()  # the quote's own note repeats its words
    return [m for m in out if (k := (m.text.lower(), m.date)) not in seen and not seen.add(k)]


@dataclass
class FactCandidate:
    """An extraction tied to its turn, ready to write."""

    turn: int
    extraction: Extraction
    supersedes: list[str] = field(default_factory=list)  # stored facts it replaces
    # The cube version a fuller name of its subject came from (`_known_person`): the fact
    # then carries words of that cube, so it is derived from it too (forget and purge of
    # that cube reach the fact).
    named_from: dict[str, Any] | None = None


@dataclass
class _Run:
    mem: MemOS
    scope: Scope
    session_id: str
    mode: str
    user_id: str
    report: IngestReport
    turns: list[ChatTurn]
    episodes: list[str] = field(default_factory=list)
    episode_versions: list[int] = field(default_factory=list)
    pending: list[FactCandidate] = field(default_factory=list)
    contexts: list[str] = field(default_factory=list)  # each turn's episode context
    # Turns whose words were stored before this call (their episode is an existing cube):
    # they may have been read already (`_read_before`).
    stored: frozenset[int] = frozenset()
    # When each turn was said, as far as this call and the store know (`_said_times`): the
    # turn's time, or for a stored turn given no time now, the time stored for it.
    said: list[datetime] = field(default_factory=list)
    # progress(done, total) over the episodes and then the fact candidates
    progress: Callable[[int, int | None], None] | None = None
    total: int = 0
    done: int = 0
    # What `_known_person` learns of the people named, kept across the call: the names the
    # facts this call wrote name, with those facts (what a search would find of them; the
    # queue's are read from `pending`), and per short name the names its store search
    # found (searched once per name: a search of 256 facts for every fact naming someone
    # was most of the time of a long conversation). Both are dropped when a fact is
    # superseded or ended, as the facts they read may no longer be live.
    written_names: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    speakers: frozenset[str] = frozenset()  # the lower-cased names of the turns' speakers
    named: bool = False  # the caller gave the user's name (`user_name=`): none is guessed
    people_searched: dict[str, list[tuple[str, dict[str, Any]]]] = field(
        default_factory=dict)


def _ref(session_id: str, index: int) -> str:
    return f"{session_id}#{index}"[:512]


def _fact_item(run: _Run, cand: FactCandidate, supersedes: list[str]) -> dict[str, Any]:
    ext, turn = cand.extraction, run.turns[cand.turn]
    # When it was said (`_said_times`): a stored turn given no time now keeps the time it
    # was stored with, so that a session ingested again after a crash midway writes what the
    # first ingest did not reach as of then, not as newer than the turns after it
    said = run.said[cand.turn] if run.said else turn.at
    valid_from = (datetime.combine(ext.when, dtime(12, 0), tzinfo=UTC)
                  if ext.when is not None else said)
    from memos.cube import SourceRef

    episode = run.episodes[cand.turn]
    version = run.episode_versions[cand.turn]
    meta: dict[str, Any] = {
        "subject": ext.subject_key, "attribute": conflict_attribute(ext),
        "relation": ext.attribute, "value": ext.value, "family": ext.family,
        "reader": run.mode, "session": run.session_id, "turn": cand.turn}
    if not turn.dated:
        meta[UNDATED] = True  # its message source's time is assumed (`_read_before`)
    # When it began, for the conflict policy (policies/conflict.began_later): "I live in
    # Berlin" began at the latest when it was said; "I moved to Oslo in January" during
    # January.
    if ext.when is None or not ext.when_sure:
        # no date, or only a date the sentence holds elsewhere ("I joined Globex, a company
        # founded in 1998"): no beginning to order facts by, but when it was said
        meta[conflict.BEGAN] = "said"
        meta[conflict.SAID_AT] = as_utc(said).isoformat()
    else:
        meta[conflict.BEGAN] = "stated"
    if ext.tentative:
        meta["tentative"] = True  # a name from a lower-case "im x": a firm one replaces it
    if ext.when_sure and ext.when_latest is not None and ext.when is not None and \
            ext.when_latest > ext.when:
        meta[conflict.BEGAN_BY] = datetime.combine(ext.when_latest, dtime(23, 59, 59),
                                                   tzinfo=UTC).isoformat()
    context = run.contexts[cand.turn] if cand.turn < len(run.contexts) else ""
    if context:
        # Indexed as the turn's own context is (full text, at the context weight): a short
        # fact then competes with turns at a turn's length instead of outscoring them on
        # brevity alone (docs/READER.md, "Facts in search").
        meta["context"] = context
    if ext.corrects:
        # "Sorry, I meant Lyon" of "I live in Paris": Lyon holds from when Paris was said to
        # (the conflict policy then ends Paris where it began: it never held)
        wrong = [c.valid_from for c in _live_facts(run, ext.subject_key,
                                                   conflict_attribute(ext), ext.corrects)
                 if _same_value(c.metadata.get("value"), ext.corrects)
                 and c.valid_from is not None and as_utc(c.valid_from) <= as_utc(said)]
        if wrong:
            valid_from = max(wrong, key=as_utc)
        meta[CORRECTS_KEY] = ext.corrects
    ended: dict[str, Any] = {}
    ends_at = datetime.combine(ext.until, dtime(0, 0), tzinfo=UTC) \
        if ext.until is not None else None
    last = datetime.combine(ext.until_latest or ext.until, dtime(23, 59, 59), tzinfo=UTC) \
        if ext.until is not None else None
    if not ext.past and last is not None and last > as_utc(said) and \
            last > as_utc(valid_from):
        # "I work for Acme until March 31", "... until the end of June" (said before it):
        # it holds now, through the last day told, and has ended after it; said after it,
        # it is past (below)
        ended = {"valid_to": last}
    elif ext.past or ends_at is not None:
        # "I used to live in Seville": it held once (from the date said with it, else from
        # an unknown time) and had ended when said, at the latest; written so, it ends no
        # value that holds now (the conflict policy: memos/writes.py)
        # (at the latest now: a turn given a time to come is no past of a fact that holds)
        end = min(as_utc(said), utcnow())
        if ext.until is not None:
            # "I lived in Leeds until 2018": it ended in 2018, from its first day (the
            # period's last day in metadata `ended_by`, for the precision told)
            end = min(end, datetime.combine(ext.until, dtime(0, 0), tzinfo=UTC))
            if ext.until_latest is not None:
                meta[ENDED_BY] = datetime.combine(ext.until_latest, dtime(23, 59, 59),
                                                  tzinfo=UTC).isoformat()
        start = valid_from if ext.when is not None and ext.when_sure else None
        ended = {"valid_to": end}
        valid_from = start if start is not None and start <= end else None
        meta[PAST_KEY] = True
    return {
        "content": ext.text,
        "kind": ext.kind,
        "valid_from": valid_from,
        **ended,
        "metadata": meta,
        "sources": [
            # No copy of the turn's words: they live in the episode only, so forgetting the
            # episode forgets them (and, through derived_from, this fact).
            SourceRef(kind="message", ref=_ref(run.session_id, cand.turn),
                      role=turn.speaker(run.report.user_name)[:128], at=turn.at),
            SourceRef(kind="cube", ref=f"{episode}@{version}", role="episode", at=turn.at),
        ],
        "derived_from": [{"cube_id": episode, "version": version}] + (
            [cand.named_from] if cand.named_from and cand.named_from["cube_id"] != episode
            else []),
        "supersedes": supersedes,
    }


def conflict_attribute(ext: Extraction) -> str:
    """The metadata attribute the conflict policy keys on: the attribute, and for a
    multi-valued one (allergy, likes) the value too."""
    if ext.multi_valued:
        return f"{ext.attribute}={ext.value.lower()}"
    return ext.attribute


def _live_facts(run: _Run, subject_key: str, attribute: str, query: str) -> list[Any]:
    """Live facts of this owner with metadata (subject, attribute). Only those the scope may
    change: search also returns facts it may only read (another agent's shared fact, another
    user's public one), which are not its to end or supersede. An agent ends or supersedes
    only its own facts, not the user's agentless ones, which the user and the other agents
    would be left without (the rule of the conflict policy, memos/writes.py)."""
    return _changeable_facts(run.mem, run.scope, query,
                             metadata={"subject": subject_key, "attribute": attribute})


def _changeable_facts(mem: MemOS, scope: Scope, query: str, **filters: Any) -> list[MemCube]:
    """The live facts and preferences among the first 50 that `query` finds which this scope
    may end or supersede (`_live_facts`): its user's, and of an agent only the agent's own."""
    from memos.stores.repository import can_write

    hits = mem.search(query, scope, k=50, kind=["fact", "preference"], record_access=False,
                      **filters)
    agent = scope.agent_id
    now = utcnow()
    return [h.cube for h in hits if can_write(h.cube.scope, scope)
            and (agent is None or h.cube.scope.agent_id == agent)
            # (one whose end has passed, a fact told as the past, holds no more)
            and not ended_by(h.cube.valid_to, now)]


def _flush(run: _Run) -> None:
    """Write the pending facts (one add_many) and record what they superseded."""
    if not run.pending:
        return
    batch, run.pending = run.pending, []
    items = [_fact_item(run, c, c.supersedes) for c in batch]
    shown = run.progress
    step = None if shown is None else (
        lambda done, _total: shown(run.done + done, run.total))  # noqa: E731
    try:
        results = run.mem.add_many(items, run.scope, progress=step)
    except MemosError as exc:
        for cand in batch:
            run.report.failed.append(_failure(cand.turn, "write-facts", str(exc)))
        return
    finally:
        run.done += len(batch)
    _record(run, batch, results)


def _record(run: _Run, batch: list[FactCandidate], results: list[Any]) -> None:
    for _cand, result in zip(batch, results, strict=True):
        if result.id not in run.report.facts:
            run.report.facts.append(result.id)
        cube = result.cube
        if cube.kind.value == "fact" and cube.scope.user_id == run.scope.user_id:
            for written in people_named([cube]).values():  # as `_known_person`'s search
                run.written_names.setdefault(
                    written.lower(), (written, {"cube_id": cube.id, "version": cube.version}))
        if result.superseded:  # valid_to = this fact's valid_from (writes.mark_superseded)
            _forget_people(run)
            run.report.superseded.extend(i for i in result.superseded
                                         if i not in run.report.superseded)


def _failure(turn: int | None, stage: str, error: str) -> Any:
    from memos.results import IngestFailure

    return IngestFailure(turn=turn, stage=stage, error=error[:1000])


def _opposite(ext: Extraction) -> str | None:
    if ext.attribute.endswith("dislikes"):
        return ext.attribute[: -len("dislikes")] + "likes"
    if ext.attribute.endswith("likes"):
        return ext.attribute[: -len("likes")] + "dislikes"
    return None


def _key(ext: Extraction) -> tuple[str, str]:
    """What the conflict policy keys a fact on: (subject, attribute)."""
    return ext.subject_key.lower(), conflict_attribute(ext)


def _same_message(turn: ChatTurn, source: Any, assumed: bool) -> bool:
    """Whether a stored message source of this turn's "<session>#<turn>" is this message:
    always when no time is given now (the stored one is the better time); else at the same
    time; or, when the stored time was assumed (the turn had no time given then: the time of
    that ingest), at a time given now at or before it: a message said after it was stored is
    another message. The times given now are not compared with an assumed time as if given:
    a session ingested without times and again with its real (earlier) ones read its turns
    again, and an old value came back over a later session's."""
    if not turn.dated or source.at == turn.at:
        return True
    return assumed and source.at is not None and turn.at <= source.at


def _read_before(run: _Run, cand: FactCandidate) -> bool:
    """Whether a turn stored before this call (`_Run.stored`) was already read for this
    fact's (subject, attribute): a fact of it, in any live or superseded state, has this
    turn as its source (the same "<session>#<turn>" and the same message: `_same_message`)
    and was read from the same episode cube. Reading it again would write the old value once
    more, superseding what later turns said (a re-ingested session brought back a value
    another session had replaced). An active one is reported as the turn's fact, as a
    duplicate would be."""
    ext, turn = cand.extraction, run.turns[cand.turn]
    ref, episode = _ref(run.session_id, cand.turn), run.episodes[cand.turn] + "@"
    try:
        hits = run.mem.search(ext.value or ext.text, run.scope, k=50,
                              kind=["fact", "preference"], record_access=False,
                              include_superseded=True,
                              metadata={"subject": ext.subject_key,
                                        "attribute": conflict_attribute(ext)})
    except MemosError:
        return False

    def assumed(cube: MemCube) -> bool:
        # The flag describes the message the fact was first read from (its metadata's
        # session and turn); a source a later duplicate added counts as given.
        meta = cube.metadata
        return (meta.get(UNDATED) is True and meta.get("session") == run.session_id
                and meta.get("turn") == cand.turn)

    found = [h.cube for h in hits if h.id not in run.report.facts
             and any(s.kind == "message" and s.ref == ref
                     and _same_message(turn, s, assumed(h.cube)) for s in h.cube.sources)
             and any(s.kind == "cube" and (s.ref or "").startswith(episode)
                     for s in h.cube.sources)]
    for cube in found:
        if cube.state.value == "active" and cube.id not in run.report.facts:
            run.report.facts.append(cube.id)
    return bool(found)


def _replaced_later(run: _Run, cand: FactCandidate) -> bool:
    """Whether a value read again from a turn stored before (a message of a session ingested
    again at another time) would supersede a live fact that began after the turn was said:
    another value of its (subject, attribute), or, for a like or dislike, the opposite one.
    It is then history, not written (its words stay in the episode): the later value stands,
    as a negation read again ends no fact that began after it was said (`_apply`)."""
    ext = cand.extraction
    said = run.said[cand.turn]
    keys = [conflict_attribute(ext)]
    opposite = _opposite(ext)
    if opposite is not None:
        keys.append(conflict_attribute(Extraction(ext.subject, ext.subject_key, opposite,
                                                  ext.value, ext.family)))
    pending = {(ext.subject_key.lower(), k) for k in keys}
    if any(_key(p.extraction) in pending for p in run.pending):
        _flush(run)  # a value queued by this call for the key: written first, then seen
    own = content_hash(ext.text)
    return any(c.valid_from is not None and c.valid_from > said and c.content_hash != own
               for key in keys for c in _live_facts(run, ext.subject_key, key, ext.value))


def _firm_name(run: _Run, ext: Extraction) -> bool:
    """Whether a name of the speaker is stored that was not itself read from a lower-case
    "im x" (`Extraction.tentative`; metadata "tentative"): one of the user's own, of any
    agent or none (another user's public cube naming her key says nothing of her name)."""
    hits = run.mem.search(f"{ext.subject}'s {ext.attribute}", run.scope, k=20, kind="fact",
                          record_access=False,
                          metadata={"subject": ext.subject_key,
                                    "attribute": conflict_attribute(ext)})
    return any(h.cube.scope.user_id == run.scope.user_id
               and not h.cube.metadata.get("tentative") for h in hits)


# The ties a partner of the same name had before a tie that follows them: a girlfriend who
# becomes a fiancée, a fiancé who becomes a husband.
_DATING = ("boyfriend", "girlfriend", "partner")
_TIES_BEFORE = {"fiancé's name": _DATING,
                **{f"{tie}'s name": (*_DATING, "fiancé") for tie in ("spouse", "husband", "wife")}}


def _told_before(run: _Run, ext: Extraction) -> bool:
    """Whether a value said as the past (`Extraction.past`) has a fact of its own already,
    live or ended: the user's fact of the same subject, attribute and value, or one this
    call queued. Its history then holds it once."""
    if any(_key(p.extraction) == _key(ext) and _same_value(p.extraction.value, ext.value)
           for p in run.pending):
        return True
    hits = run.mem.search(ext.value, run.scope, k=50, kind=["fact"], record_access=False,
                          include_superseded=True,
                          metadata={"subject": ext.subject_key,
                                    "attribute": conflict_attribute(ext)})
    return any(h.cube.scope.user_id == run.scope.user_id
               and _same_value(h.cube.metadata.get("value"), ext.value) for h in hits)


def _apply(run: _Run, cand: FactCandidate) -> None:
    """Queue a fact; a negation or a like/dislike flip first writes what is queued, then
    ends or supersedes the stored facts it names. A value for a (subject, attribute) already
    queued first writes the queue, so that the later value supersedes the earlier one (in one
    add_many neither would)."""
    ext = cand.extraction
    opposite = _opposite(ext)
    if ext.tentative and (run.named or any(_key(p.extraction) == _key(ext)
                                           for p in run.pending) or _firm_name(run, ext)):
        return  # "hey im homesick": a name only while none is stored (Extraction.tentative)
    if ext.past and _told_before(run, ext):
        # "I moved from Lagos to Kigali" after "I live in Lagos": Lagos has its fact, which
        # ends if it still holds ("I used to live in Paris" after "I live in Paris"), as a
        # negation of that value ends it
        if ext.family != "move":  # (a move's new value replaces it: "from Lagos to Kigali")
            _apply(run, FactCandidate(cand.turn, replace(ext, negated=True, past=False,
                                                         family="negation")))
        return
    if not ext.negated and opposite is None:
        if any(_key(p.extraction) == _key(ext) for p in run.pending):
            _flush(run)
        # "Jess and I got engaged" after "my girlfriend Jess ...": she is the fiancée now,
        # no longer the girlfriend (the tie before, of the same name, is replaced)
        for tie in _TIES_BEFORE.get(ext.attribute, ()) if ext.value else ():
            before = replace(ext, attribute=f"{tie}'s name")
            if any(_key(p.extraction) == _key(before) for p in run.pending):
                _flush(run)
            cand.supersedes += [
                c.id for c in _live_facts(run, ext.subject_key, conflict_attribute(before),
                                          ext.value)
                if _same_value(c.metadata.get("value"), ext.value) and c.id not in cand.supersedes]
        cand.supersedes += [i for i in _told_the_other_way(run, ext) if i not in cand.supersedes]
        run.pending.append(cand)
        return
    if not ext.negated:  # likes <-> dislikes of the same thing: the new one supersedes
        flipped = Extraction(ext.subject, ext.subject_key, opposite or "", ext.value,
                             ext.family)
        key = (ext.subject_key.lower(), conflict_attribute(flipped))
        if any((p.extraction.subject_key.lower(), conflict_attribute(p.extraction)) == key
               for p in run.pending):
            _flush(run)  # the opposite is queued: write it first, then supersede it
        cand.supersedes = [c.id for c in _live_facts(run, ext.subject_key, key[1], ext.value)]
        run.pending.append(cand)
        return
    _flush(run)
    # A negation: end the live facts with this (subject, attribute) and value; one that
    # names no value ("I quit my job": `Extraction.ends_current`) ends the current one,
    # whatever its value but `keeps`. Of a many-valued attribute, the current one is the
    # only one there is ("my dog died" of one dog; of two, which?), or every one when the
    # negation says so ("I don't have a dog any more": `Extraction.every`).
    attr = conflict_attribute(ext)
    said_at = run.said[cand.turn]

    def live(attribute: str, value: str = ext.value) -> list[MemCube]:
        found = (_live_facts(run, ext.subject_key, attribute, value or ext.attribute)
                 if not (ext.ends_current and ext.multi_valued) else
                 # each value its own conflict attribute ("cat's name=luna"): all of them
                 [c for c in _changeable_facts(run.mem, run.scope, ext.attribute,
                                               metadata={"subject": ext.subject_key,
                                                         "relation": ext.attribute})])
        return [c for c in found
                if (_same_value(c.metadata.get("value"), value) if not ext.ends_current
                    else not ext.keeps or not _same_value(c.metadata.get("value"), ext.keeps))
                # A turn stored before (read again) ends no fact that began after it was
                # said: that value was stated again later.
                and (cand.turn not in run.stored or c.valid_from is None
                     or c.valid_from <= said_at)]

    ended = live(attr)
    if not ended and ext.multi_valued and ext.value and not ext.ends_current and \
            ext.attribute == "allergy":
        # "I no longer have a peanut allergy" of "I'm allergic to peanuts": the allergen in
        # the other number
        word = ext.value.strip()
        other = word[:-1] if word.lower().endswith("s") else f"{word}s"
        ended = live(conflict_attribute(replace(ext, value=other)), other)
    if ext.ends_current and ext.multi_valued and not ext.every and len(ended) > 1:
        ended = []
    if ext.ends_current and not ext.multi_valued:
        ended += _of_the_named(run, ext, said_at, cand.turn in run.stored,
                               run.turns[cand.turn].content)
    if not ended and ext.value and attr.endswith("employer") and not TRIP.search(
            run.turns[cand.turn].content):
        # "I left Lisbon": the rules read a name left as an employer; no employer of that
        # name, the place of that name the speaker lived in ends
        head = attr[:-len("employer")]
        ended = [c for place in ("city", "country") for c in live(head + place)]
    told_end = _told_end(ext, run.turns[cand.turn].content, said_at)
    if told_end is not None and ext.ends_current:
        # "I got divorced in 2015" ends no spouse said to have begun after it ("I married
        # Jess in 2020"): what it ended held then, not now
        ended = [c for c in ended if not (_start_told(c) and c.valid_from is not None
                                          and as_utc(c.valid_from) > told_end[0])]
    for cube in ended:
        # "I left Globex in November": it ended then (the period's first day, and its last
        # in metadata `ended_by`, for the precision told), when that lies between when it
        # began and when it was said; else when it was said
        end = told_end[0] if told_end is not None and (
            cube.valid_from is None or as_utc(cube.valid_from) <= told_end[0]) else None
        try:
            if end is not None and told_end is not None and told_end[1] is not None and \
                    cube.metadata.get(ENDED_BY) != told_end[1].isoformat():
                run.mem.update(cube.id, run.scope, metadata={
                    **cube.metadata, ENDED_BY: told_end[1].isoformat()},
                    reason=f"its end told by {_ref(run.session_id, cand.turn)}")
            # The turn by reference only, no copy of its words (as in a fact's sources):
            # a reason stays in this fact's history, which purging the turn does not reach.
            run.mem.supersede(cube.id, run.scope, by=run.episodes[cand.turn],
                              reason=f"ended by {_ref(run.session_id, cand.turn)}",
                              ended_at=end)
        except MemosError as exc:
            run.report.failed.append(_failure(cand.turn, "end-fact", str(exc)))
            continue
        run.report.ended.append(cube.id)  # valid_to = the episode's valid_from, the turn's time
        _forget_people(run)


# A date said as a start or a length, not as when a negation happened: "I left Boston,
# where I'd lived since 2019", "after 5 years", "from 2015".
_NOT_THE_END = re.compile(r"\b(?:since|from|for|after|until|till|before|born|founded|"
                          r"started|began|joined)\b", re.I)


def _told_end(ext: Extraction, said: str, said_at: datetime
              ) -> tuple[datetime, datetime | None] | None:
    """When a negation says its fact ended ("I left Globex in November", "my dog Rex died
    last week"): the first moment of the one date the turn names and, for a period longer
    than a day, its last (as a past fact's told end), when the first is no later than when
    it was said; None when the turn names no date, several, or one it says as a start or a
    length (`_NOT_THE_END`)."""
    if ext.when is None or _NOT_THE_END.search(said):
        return None
    if len(resolve_dates(said, as_utc(said_at))) != 1:
        return None
    # (not after it was said, nor after now: a turn given a time to come ends no fact later
    # than the clock, as `MemOS.supersede` requires)
    latest = min(as_utc(said_at), utcnow())
    end = datetime.combine(ext.when, dtime(0, 0), tzinfo=UTC)
    last = (datetime.combine(ext.when_latest, dtime(23, 59, 59), tzinfo=UTC)
            if ext.when_latest is not None and ext.when_latest > ext.when else None)
    if last is not None:  # "I left Globex this year", said in February: by February
        last = min(last, latest)
    return (end, last) if end <= latest else None


def _start_told(cube: MemCube) -> bool:
    """Whether a fact's `valid_from` is a start the user told ("I married Jess in 2020"),
    not only when it was said (the latest it can have begun)."""
    if cube.metadata.get(conflict.BEGAN) == "stated":
        return True
    said = next((src.at for src in cube.sources if src.at is not None), None)
    return cube.valid_from is not None and said is not None and \
        as_utc(cube.valid_from) < as_utc(said) - timedelta(days=1)


def _of_the_named(run: _Run, ext: Extraction, said_at: datetime, stored: bool, said: str
                  ) -> list[MemCube]:
    """Of a negation without a value of a relative's attribute ("my grandpa passed away":
    "grandfather's city" ends), the live facts of that attribute written under the name
    the user gave that relative, when one name is stored ("my grandpa Joe lives in Florida":
    Joe's city), and the turn (`said`) tells no other one of the kind ("my other brother",
    "my younger brother"). A turn stored before ends none that began after it was said."""
    from memos.reader.questions import relation_words

    rel, sep, attribute = ext.attribute.partition("'s ")
    if not sep or not attribute or "'s " in attribute:
        return []
    words = "|".join(re.escape(w) for w in sorted(relation_words(rel), key=len, reverse=True))
    if words and re.search(rf"\b(?:other|another|younger|older|elder|eldest|oldest|youngest|"
                           rf"little|big|baby|twin|half|step|first|second|third)\s+(?:{words})\b",
                           said, re.I):
        return []
    names = _relation_names(run, ext.subject_key, rel)
    if len(names) != 1:
        return []  # (none, or of two grandfathers, which?)
    (name,) = names
    return [c for c in _live_facts(run, name, attribute, f"{name}'s {attribute}")
            if (not ext.keeps or not _same_value(c.metadata.get("value"), ext.keeps))
            and (not stored or c.valid_from is None or c.valid_from <= said_at)]


def _relation_names(run: _Run, subject_key: str, rel: str) -> set[str]:
    """The names of the live "<rel>'s name" facts of `subject_key` this scope may change
    ("my grandpa Joe": {"Joe"})."""
    return {str(c.metadata.get("value")).strip() for c in _changeable_facts(
        run.mem, run.scope, f"{rel}'s name",
        metadata={"subject": subject_key, "relation": f"{rel}'s name"})
        if c.metadata.get("value")}


def _told_the_other_way(run: _Run, ext: Extraction) -> list[str]:
    """The live facts a new value replaces that were told of the same person the other
    way: "My mom moved to Cannes" (the user's "mother's city") after "My mom Carol lives in
    Nice" ("Carol's city"), and "Carol moved to Cannes" after "my mom lives in Nice", when
    the user names one person by that relation and that person by that relation only (not a
    mother and a coworker both called Carol; not a speaker of a group chat). Of a value of
    one at a time only (not a second allergy), and not the same value."""
    if not ext.value or ext.multi_valued or ext.past or ext.tentative:
        return []
    me = user_key(run.user_id)
    rel, sep, attribute = ext.attribute.partition("'s ")

    def relations_of(name: str) -> set[str]:  # every relation the user names `name` by
        queued = {p.extraction.attribute[:-len("'s name")] for p in run.pending
                  if p.extraction.subject_key == me and not p.extraction.negated
                  and p.extraction.attribute.endswith("'s name")
                  and _same_value(p.extraction.value, name)}  # (said in this call, unwritten)
        return queued | {str(c.metadata.get("relation") or "")[:-len("'s name")]
                         for c in _changeable_facts(run.mem, run.scope, name,
                                                    metadata={"subject": me})
                         if str(c.metadata.get("relation") or "").endswith("'s name")
                         and _same_value(c.metadata.get("value"), name)}

    if ext.subject_key == me and sep and attribute and attribute != "name" and \
            "'s " not in attribute:
        names = _relation_names(run, me, rel)
        if len(names) != 1:
            return []  # (none, or of two sisters, which?)
        (name,) = names
    elif ext.subject_key != me and "'s " not in ext.attribute and ext.attribute != "name" and \
            ext.subject_key.lower() not in run.speakers:  # (a group chat's speaker: theirs)
        name, attribute = ext.subject_key, ext.attribute
        rels = relations_of(name)
        if len(rels) != 1:
            return []
        (rel,) = rels
        if "'s " in rel or _relation_names(run, me, rel) != {name}:
            return []
    else:
        return []
    if relations_of(name) != {rel}:
        return []  # (a mother and a coworker both called Carol: which one, is not said)
    others = (_live_facts(run, name, attribute, f"{name}'s {attribute}")
              if ext.subject_key == me else
              _live_facts(run, me, f"{rel}'s {attribute}", f"{rel}'s {attribute}"))
    return [c.id for c in others if not _same_value(c.metadata.get("value"), ext.value)]


# How many of the user's facts that best match a short name are read for the people they
# name (the facts holding the name itself rank first; more than this many is a store where
# a short name is no name).
PEOPLE_K = 256


def _name_words(name: str) -> frozenset[str]:
    """The words of a person's name without titles and initials: "Dr. Helen Varga" ->
    {"helen", "varga"}."""
    words = (w.strip(".,") for w in name.split())
    return frozenset(w.lower() for w in words if len(w) > 1 and w.lower() not in TITLES)


def people_named(cubes: Iterable[MemCube]) -> dict[str, str]:
    """The people facts name, lower-cased name -> as written: the subjects of facts about
    others ("Dr. Helen Varga's email is ...") and the values of names ("Oliver's accountant's
    name is Dr. Helen Varga.")."""
    known: dict[str, str] = {}
    for cube in cubes:
        meta = cube.metadata
        for name in _people_in(meta.get("subject"), meta.get("relation"), meta.get("value")):
            known.setdefault(name.lower(), name)
    return known


def _people_in(subject: Any, relation: Any, value: Any) -> list[str]:
    """The people one fact names: its subject when not the user, and the value of a name
    ("accountant's name"; the user's own name is the user)."""
    out = []
    if isinstance(subject, str) and subject and not subject.startswith("user:"):
        out.append(subject)
    if isinstance(relation, str) and relation.endswith("'s name") and isinstance(value, str):
        out.append(value)
    return out


_TITLE_GENDER = {"mr": "m", "sir": "m", "mrs": "f", "ms": "f", "miss": "f", "dame": "f"}


def _fits(short: str, full: str) -> bool:
    """Whether `short` may name the person `full` names: every word of it in `full` and
    `full` longer, its initials the first letters of words of `full` ("J. Varga" is not "Dr.
    Helen Varga"), and no title of the other sex ("Mrs. Varga" is not "Mr. Peter Varga")."""
    words, more = _name_words(short), _name_words(full)
    if not words < more:
        return False
    firsts = {w[0] for w in more}
    initials = [w.strip(".").lower() for w in short.split() if len(w.strip(".")) == 1]
    if any(i not in firsts for i in initials):
        return False
    sexes = [{_TITLE_GENDER.get(w.strip(".").lower()) for w in n.split()} - {None}
             for n in (short, full)]
    return not (sexes[0] and sexes[1] and sexes[0] != sexes[1])


def fuller_name(name: str, known: Mapping[str, str]) -> str | None:
    """The one known name that contains every word of `name` and more ("Helen", "Dr. Varga"
    -> "Dr. Helen Varga"; see `_fits`); None when `name` is itself known, has more than two
    words, or no name or several fit."""
    words = _name_words(name)
    if not words or len(words) > 2 or name.lower() in known:
        return None
    fuller = {v.lower(): v for v in known.values() if _fits(name, v)}
    return next(iter(fuller.values())) if len(fuller) == 1 else None


def _forget_people(run: _Run) -> None:
    """Drop what `_known_person` kept (a fact was superseded or ended: a name it read may
    no longer be live)."""
    run.people_searched.clear()
    run.written_names.clear()


def _names_stated(run: _Run, cand: FactCandidate) -> list[tuple[str, dict[str, Any]]]:
    """The people a queued candidate names (its subject when not the user, the value of a
    name such as "accountant's name"), each with its turn's episode."""
    episode = {"cube_id": run.episodes[cand.turn], "version": run.episode_versions[cand.turn]}
    ext = cand.extraction
    return [(name, episode) for name in _people_in(ext.subject_key, ext.attribute, ext.value)]


def _known_person(run: _Run, cand: FactCandidate) -> FactCandidate:
    """A person named by part of a name the user gave before ("Helen" after "my accountant
    is Dr. Helen Varga") is that person: the fact is written under the full name, so it
    supersedes that person's old value and is found under it. Left as said when no earlier
    name, or more than one, contains it, when facts are already stored under it, or when it
    is a speaker of the conversation. The fact is then also derived from the cube the name
    came from (`FactCandidate.named_from`): it carries that cube's words."""
    ext = cand.extraction
    if ext.subject_key.startswith("user:") or not _name_words(ext.subject):
        return cand
    if ext.subject_key.lower() in run.speakers:
        return cand  # a speaker of this conversation is who they say they are
    # lower-cased name -> (as written, the cube version naming it); named by a turn of
    # this conversation still queued: that turn's episode
    named: dict[str, tuple[str, dict[str, Any]]] = {}

    def learn(written: str, source: dict[str, Any]) -> None:
        named.setdefault(written.lower(), (written, source))

    for p in (n for c in run.pending for n in _names_stated(run, c)):
        learn(*p)
    for p in run.written_names.values():
        learn(*p)
    searched = run.people_searched.get(ext.subject.lower())
    if searched is None:
        try:
            hits = run.mem.search(ext.subject, run.scope, k=PEOPLE_K, kind=["fact"],
                                  record_access=False)
        except MemosError:
            hits = []
        # The user's own facts only: another user's public cube must not rename this
        # user's people.
        searched = [(written, {"cube_id": hit.cube.id, "version": hit.cube.version})
                    for hit in hits if hit.cube.scope.user_id == run.scope.user_id
                    for written in people_named([hit.cube]).values()]
        run.people_searched[ext.subject.lower()] = searched
    for p in searched:
        learn(*p)
    name = fuller_name(ext.subject_key, {k: w for k, (w, _) in named.items()})
    if name is not None:
        cand.extraction = replace(ext, subject=name, subject_key=name)
        cand.named_from = named[name.lower()][1]
    return cand


def _same_value(stored: Any, said: str) -> bool:
    if not isinstance(stored, str):
        return False
    a, b = " ".join(stored.lower().split()), " ".join(said.lower().split())
    return a == b or a.startswith(b + " ") or b.startswith(a + " ")


# An episode's metadata key naming whose "I" it is, on the turns of a speaker other than the
# user only (a message's "name" that is not the user's)
SPEAKER_KEY = "speaker_key"


def _speaker_key(turn: ChatTurn, user_id: str, user_name: str) -> str | None:
    """Whose first person a turn's "I" is: the user's key, a named speaker's name, or None
    (assistant, system and tool turns state no facts about people)."""
    if turn.role != "user":
        return None
    if turn.name is None or turn.name.lower() == user_name.lower():
        return user_key(user_id)
    return turn.name


def extract_rules(turns: Sequence[ChatTurn], user_id: str, user_name: str,
                  before: Sequence[Extraction] = (),
                  recall: Callable[[str], Sequence[tuple[Extraction, str | None]]] | None = None,
                  said_before: Sequence[tuple[str, str]] = (),
                  last_turn: LastTurn | None = None,
                  ) -> tuple[list[FactCandidate], list[tuple[int, str]]]:
    """mode="rules" over every user turn; returns candidates and (turn, error) failures.
    A turn that corrects the speaker's previous one ("Sorry, I meant Lyon") corrects the
    facts that turn stated; `before`: those of the first turn's previous one, stored by an
    earlier call (`last_turn_facts`). One that names the wrong value ("Actually it's Porto,
    not Lisbon") and fits no fact of the previous turn corrects the fact that holds that
    value, said by the speaker earlier in this call or, of the user's turns, stored before:
    `recall(value)`, the user's live facts holding it with their turns' episode ids
    (`stored_valued`); see `_correctable`. `said_before`: (episode id, text) of this
    session's turns stored by earlier calls, oldest first (`session_episodes`).
    `last_turn`: the user's newest turn of the session stored by an earlier call, and the
    turns stored after it: the people it named are whom a first turn's "he" / "she" may be
    about (the assistant sends one turn per call), unless a turn between may name another."""
    out: list[FactCandidate] = []
    failed: list[tuple[int, str]] = []
    me = user_key(user_id)
    previous: dict[str, Sequence[Extraction]] = {me: before}
    # each speaker's facts of this call, with the number of turns spoken before theirs
    said: dict[str, list[tuple[int, Extraction]]] = {}
    # every turn of this session so far, any role: stored before, then this call's
    spoken = _Spoken([t for _, t in said_before], [e for e, _ in said_before])
    # whom each speaker's "he" / "she" may be about: the people their previous turn of this
    # call named (`rules.Referents`); a turn between that may name someone else (an
    # assistant's "Did Tom go too?") leaves no one
    referents: dict[str, Referents] = {}
    if last_turn is not None:
        ref = referents.setdefault(me, Referents())
        try:
            extract(last_turn.text, user_name, me, last_turn.at, referents=ref)
        except Exception:  # only the earlier turn's people are lost: "he" reads as before
            log.exception("rules failed on the session's previous turn")
            ref.people = []
        if any(names_another(text, ref, user_name) for text in last_turn.since):
            ref.people = []
    for turn in turns:
        key = _speaker_key(turn, user_id, user_name)
        for other, ref in referents.items():
            if other != key and ref.people and names_another(turn.content, ref, user_name):
                ref.people = []
        if key is None:
            spoken.texts.append(turn.content)
            continue
        speaker = turn.speaker(user_name)
        ref = referents.setdefault(key, Referents())
        try:
            prev = _correctable(turn.content, previous.get(key, ()), said.get(key, ()),
                                spoken, recall if key == me else None)
            found = extract(turn.content, speaker, key, turn.at, previous=prev, referents=ref)
        except Exception as exc:  # a rule bug must not lose the turn: it is reported
            log.exception("rules failed on turn %d", turn.index)
            failed.append((turn.index, f"{type(exc).__name__}: {exc}"))
            previous[key] = ()
            ref.people = []
            spoken.texts.append(turn.content)
            continue
        found = _tie_held(found, said.get(key, ()))
        if key == me and recall is not None:
            found = _left_stored(turn.content, found, recall, speaker, key)
        found = _past_until_next(found)
        previous[key] = found
        said.setdefault(key, []).extend((len(spoken.texts), e) for e in found)
        spoken.texts.append(turn.content)
        out.extend(FactCandidate(turn.index, e) for e in found)
    return out, failed


def _past_until_next(found: list[Extraction]) -> list[Extraction]:
    """A past fact told with its successor's start and no end of its own ("I used to live in
    Munich, moved to Berlin in 2023"): it ended when the one after it began (2023), not
    merely by the time it was said."""
    out = []
    for e in found:
        if e.past and not e.negated and e.until is None:
            nxt = [f.when for f in found if not f.past and not f.negated
                   and f.when is not None and f.subject_key == e.subject_key
                   and f.attribute == e.attribute and f.value != e.value
                   and (e.when is None or not e.when_sure or f.when > e.when)]
            if len(nxt) == 1:
                e = replace(e, until=nxt[0])
        out.append(e)
    return out


# "i left acme", "i just quit globex": a workplace left, typed in lower case (the rules read
# a lower-case name after "left" as no firm: "i left uni", "i quit yoga")
_LEFT_LOWER = re.compile(r"\b(?:[iI]|[Ww]e)\s+(?:just\s+|finally\s+|officially\s+)?(?:left|quit|"
                         r"resigned\s+from|stopped\s+working\s+(?:at|for))\s+"
                         r"(?P<org>[a-z][\w&'’-]*(?:\s+[a-z][\w&'’-]*){0,2}?)"
                         # (the workplace ends the clause: "i left acme at 6 today" is a day)
                         r"(?=\s*(?:$|[,.!;]|\s+(?:today|yesterday|last|this|in|on|after|"
                         r"because|and|for\s+good|lol|finally)\b))")
_NOT_LEFT_AFTER = frozenset({"did", "do", "should", "would", "could", "might", "will", "if",
                             "when", "to", "cant", "can't", "never", "not", "may", "gonna",
                             "wish", "hope", "maybe", "think", "almost", "nearly"})


def _left_stored(text: str, found: list[Extraction],
                 recall: Callable[[str], Sequence[tuple[Extraction, str | None]]],
                 speaker: str, key: str) -> list[Extraction]:
    """`found`, and the end of an employer the user has stored that the turn says they left
    in lower case ("i left acme" after "I work at Acme"): what the rules cannot tell from
    "i left uni" the store can (`recall`: the user's live facts holding a value). Not in a
    question, a hedge or a plan ("did i quit acme?", "if i quit acme", "i want to quit")."""
    if text.rstrip().endswith("?") or any(
            e.negated and e.attribute == "employer" and e.subject_key == key for e in found):
        return found
    for m in _LEFT_LOWER.finditer(text):
        before = text[:m.start()].split()
        if before and before[-1].lower() in _NOT_LEFT_AFTER:
            continue
        words = m.group("org").split()
        for n in range(len(words), 0, -1):
            value = " ".join(words[:n])
            held = [e for e, _ in recall(value) if e.attribute == "employer"
                    and e.subject_key == key and _same_text(e.value, value)]
            if held:
                return [*found, Extraction(speaker, key, "employer", held[0].value,
                                           "negation", True)]
    return found


def _tie_held(found: list[Extraction], earlier: Sequence[tuple[int, Extraction]]
              ) -> list[Extraction]:
    """A break-up that names the partner ("Sam and I broke up") ends each kind of tie
    holding the name, one negation each (`rules`): where the speaker said earlier in this
    call which one holds it ("My boyfriend is Sam"), only that one."""
    ends: dict[tuple[str, str], list[Extraction]] = {}
    for e in found:
        if e.negated and e.value and e.attribute.endswith("'s name"):
            ends.setdefault((e.subject_key, e.value.lower()), []).append(e)
    drop: set[int] = set()
    for (subject, value), group in ends.items():
        if len(group) < 2:
            continue
        held = {e.attribute for _, e in earlier if not e.negated and e.subject_key == subject
                and e.value.lower() == value} & {e.attribute for e in group}
        if held:
            drop.update(id(e) for e in group if e.attribute not in held)
    return [e for e in found if id(e) not in drop] if drop else found


def _same_text(stored: Any, said: str) -> bool:
    return isinstance(stored, str) and " ".join(stored.lower().split()) == " ".join(
        said.lower().split())


@functools.lru_cache(maxsize=512)
def said_as_words(value: str) -> re.Pattern[str]:
    """`value` as whole words, any spacing and case (`_Spoken.since`, memos.Assistant; once
    per value)."""
    words = r"\s+".join(map(re.escape, value.split()))
    return re.compile(rf"(?<!\w){words}(?!\w)", re.IGNORECASE)


@dataclass
class _Spoken:
    """The turns of a session so far, any role (`texts`): those stored by earlier calls
    first, whose episode ids are `episodes`, then this call's."""

    texts: list[str]
    episodes: list[str]

    def since(self, start: int, value: str) -> bool:
        """Whether a turn from `start` on says `value` (as words, whatever the case)."""
        pattern = said_as_words(value)
        return any(pattern.search(t) for t in self.texts[start:])

    def after(self, episode: str | None) -> int:
        """Where the turns after a stored turn begin (0 for one older than these)."""
        return self.episodes.index(episode) + 1 if episode in self.episodes else 0


def _correctable(text: str, previous: Sequence[Extraction],
                 earlier: Sequence[tuple[int, Extraction]], spoken: _Spoken,
                 recall: Callable[[str], Sequence[tuple[Extraction, str | None]]] | None
                 ) -> Sequence[Extraction]:
    """The facts a turn may correct (`rules.correction`): the speaker's previous turn's;
    when none of them fits and the turn names the wrong value ("Actually it's Porto, not
    Lisbon", "Sorry, I meant Ana, not Anna"), the facts holding that value that the speaker
    stated earlier in this call (`earlier`: each with the number of turns spoken before
    it), else those `recall` finds stored (the user's own live facts, with their turns'
    episode ids: a correction told days later, in another session). Not a fact a turn after
    it says the value again (`spoken`, any role): the correction is then about that ("Book
    me a flight to Lisbon." / "Booked!" / "Sorry, I meant Porto, not Lisbon"). Only the
    facts of one (subject, attribute): a value held by two ("Lisbon" the city and the home
    town) is not guessed between, and nothing is corrected."""
    wrong = named_wrong(text)
    if wrong is None or correction(text, previous):
        return previous
    held = [e for at, e in earlier if not e.negated and _same_text(e.value, wrong)
            and not spoken.since(at + 1, wrong)]
    if not held and recall is not None:
        held = [e for e, episode in recall(wrong) if _same_text(e.value, wrong)
                and not spoken.since(spoken.after(episode), wrong)]
    return held if len({_key(e) for e in held}) == 1 else ()


@dataclass
class LastTurn:
    """The user's newest turn of a session stored by an earlier call (`text` as said, `at`),
    and the text of the turns stored after it (`since`: the assistant's reply)."""

    text: str
    at: datetime | None
    since: list[str]


def last_user_turn(episodes: Sequence[MemCube]) -> LastTurn | None:
    """The newest user turn among a session's episodes (`session_episodes`, newest first),
    with the turns after it; None when there is none."""
    since: list[str] = []
    for cube in episodes:
        meta = cube.metadata
        speaker = str(meta.get("speaker", ""))
        text = cube.content.removeprefix(f"{speaker}: ") if speaker else cube.content
        if meta.get("role") == "user":
            return LastTurn(text, cube.valid_from, since[::-1])
        since.append(text)
    return None


def session_episodes(mem: MemOS, scope: Scope, session_id: str) -> list[MemCube]:
    """The session's stored turns among the scope's newest LAST_TURN_FACTS, newest first:
    read once per call for `last_turn_facts` and for the turns a correction's value may
    have been said in since (`extract_rules`' `said_before`)."""
    return [c for c in mem.list_memories(scope, limit=LAST_TURN_FACTS, kind="episode").items
            if c.metadata.get("session") == session_id]


def last_turn_facts(mem: MemOS, scope: Scope, session_id: str,
                    episodes: Sequence[MemCube]) -> list[Extraction]:
    """The facts the user's newest turn of the session stated, as the reader wrote them
    (live ones, of the newest few): what a first turn that corrects it ("Sorry, I meant
    Lyon") corrects, when the turns come one call at a time (the assistant). `episodes`:
    the session's (`session_episodes`)."""
    said = next((c for c in episodes if c.metadata.get("role") == "user"), None)
    if said is None:
        return []
    newest = mem.list_memories(scope, limit=LAST_TURN_FACTS, kind="fact").items
    mine = [c for c in newest if c.metadata.get("session") == session_id
            and c.metadata.get("reader") and isinstance(c.metadata.get("value"), str)
            and isinstance(c.metadata.get("relation"), str)
            # the user's newest turn's own facts: a turn between that stated none ("Any
            # tips for Lyons?") leaves nothing to correct
            and turn_of(c) == said.id]
    if not mine:
        return []
    episode = _episode_of(mine[0])
    told = (_as_extraction(c) for c in reversed(mine) if _episode_of(c) == episode)
    return [e for e in told if e is not None]


def _as_extraction(cube: MemCube) -> Extraction | None:
    """A fact the reader wrote, as it was read (None for another cube, or one whose content
    does not give its subject's name)."""
    meta = cube.metadata
    relation, value = meta.get("relation"), meta.get("value")
    if not meta.get("reader") or not isinstance(relation, str) or not isinstance(value, str):
        return None
    head = f"'s {relation} is "
    name = cube.content.split(head, 1)[0] if head in cube.content else ""
    if not name or not value:
        return None
    return Extraction(name, str(meta.get("subject", "")), relation, value,
                      str(meta.get("family", "attribute")),
                      kind=cube.kind.value if hasattr(cube.kind, "value") else str(cube.kind))


def stored_valued(mem: MemOS, scope: Scope, value: str
                  ) -> list[tuple[Extraction, str | None]]:
    """The live facts the reader wrote that this scope may supersede (`_changeable_facts`:
    the user's, or with an agent only that agent's) whose value is `value`, said of the user
    or the user's relatives (not of another named person or speaker), as they were read:
    what a correction told in a later session ("Actually it's Porto, not Lisbon") corrects
    (`_correctable`), each with the episode id of the turn that stated it. Another user's
    fact, public or not, never."""
    try:
        cubes = _changeable_facts(mem, scope, value)
    except MemosError:
        return []
    me = user_key(scope.user_id)
    found = ((_as_extraction(c), turn_of(c)) for c in cubes
             if _same_text(c.metadata.get("value"), value))
    return [(e, turn) for e, turn in found if e is not None and e.subject_key == me]


def turn_of(cube: MemCube) -> str | None:
    """The episode id of the turn a fact was read from."""
    episode = _episode_of(cube)
    return episode.split("@")[0] if episode else None


def _episode_of(cube: MemCube) -> str | None:
    return next((src.ref for src in cube.sources if src.role == "episode"), None)


def _said_times(run: _Run, episodes: Sequence[MemCube]) -> list[datetime]:
    """When each turn was said: its time, except a stored turn given no time now, which was
    said when its stored message source says (this "<session>#<turn>"), else when its
    episode began: ingested again without times, an old session is not newer than what
    came after it."""
    out = []
    for turn, episode in zip(run.turns, episodes, strict=True):
        when = turn.at
        if not turn.dated and turn.index in run.stored:
            ref = _ref(run.session_id, turn.index)
            stored = [s.at for s in episode.sources
                      if s.kind == "message" and s.ref == ref and s.at is not None]
            when = stored[0] if stored else episode.valid_from or turn.at
        out.append(when)
    return out


def ingest_messages(mem: MemOS, messages: Any, scope: Scope, *, session_id: str,
                    at: datetime | date | str | None = None, mode: str = "rules",
                    user_name: str | None = None, llm: Any = None,
                    progress: Callable[[int, int | None], None] | None = None) -> IngestReport:
    """The body of `MemOS.ingest` (scope and session id already checked)."""
    from memos.cube import SourceRef
    from memos.eval.locomo_data import Turn, turn_context
    from memos.reader.questions import stored_user_name
    from memos.results import IngestReport

    start = time.perf_counter()
    if mode not in MODES:
        raise InvalidInputError(f"mode must be 'rules' or 'llm', got {mode!r:.40}")
    if user_name is not None:
        if not isinstance(user_name, str) or not user_name.strip() or len(user_name) > 128:
            raise InvalidInputError(f"user_name must be text of 1 to 128 characters, "
                                    f"got {user_name!r:.40}")
        try:
            user_name = normalize_id(user_name.strip(), "user_name")
        except ValueError as exc:
            raise InvalidInputError(str(exc)) from None
    turns = check_messages(messages, at)
    client = None
    if mode == "llm":
        from memos.reader.llm import LLMExtractor

        client = llm if llm is not None else LLMExtractor.from_env()
    # Whose "I": given, else stated in these turns, else stored, else the user id.
    mine = [t.content for t in turns if t.role == "user" and t.name is None]
    tentative: set[str] = set()  # names of a lower-case "im x": after a stored name
    said = [s for i, text in enumerate(mine)
            if (s := stated_name(text, i > 0 and bool(BARE_GREETING.match(mine[i - 1])),
                                 tentative))]
    firm = [s for s in said if s not in tentative]
    name = (user_name or (firm[-1] if firm else None) or stored_user_name(mem, scope)
            or (said[-1] if said else None))
    display = user_display_name(scope.user_id, name)
    cube_scope = Scope(user_id=scope.user_id, agent_id=scope.agent_id, session_id=session_id,
                       visibility=scope.visibility)
    report = IngestReport(session_id=session_id, mode=mode, user_name=display,
                          turns=len(turns))
    # Extraction first (no writes), timed on its own.
    t0 = time.perf_counter()
    if client is not None:
        speakers = [(t.speaker(display), _speaker_key(t, scope.user_id, display))
                    for t in turns]
        cands, failures = client.extract_turns(turns, speakers)
    else:
        first = next((t for t in turns if t.role == "user"), None)
        correcting = first is not None and looks_like_correction(first.content)
        # a turn that names a wrong value ("..., not Lisbon") may correct a stored fact,
        # unless a turn since said the value (`_correctable`)
        naming = any(t.role == "user" and named_wrong(t.content) for t in turns)
        # "She lives in Marseille" about the person the session's previous turn named, told
        # by an earlier call (the assistant sends one turn per call)
        pronoun = first is not None and opens_with_pronoun(first.content)
        # "im priyanka" names her after a turn that only greeted, told by an earlier call
        pronoun = pronoun or (first is not None and may_introduce_after_greeting(first.content))
        episodes = (session_episodes(mem, scope, session_id)
                    if correcting or naming or pronoun else [])
        before = last_turn_facts(mem, scope, session_id, episodes) if correcting else []
        cands, failures = extract_rules(
            turns, scope.user_id, display, before,
            recall=lambda value: stored_valued(mem, scope, value),
            said_before=[(c.id, c.content) for c in reversed(episodes)],
            last_turn=last_user_turn(episodes) if pronoun else None)
    report.extract_seconds = time.perf_counter() - t0
    for index, error in failures:
        report.failed.append(_failure(index, "llm" if client is not None else "extract",
                                      error))
    # Episodes: one cube per turn, in one add_many.
    lo_turns = [Turn(dia_id=_ref(session_id, t.index), speaker=t.speaker(display),
                     text=t.content, session=0, session_date=t.at) for t in turns]
    items = []
    for t, lt in zip(turns, lo_turns, strict=True):
        meta: dict[str, Any] = {"speaker": lt.speaker, "role": t.role, "session": session_id,
                                "turn": t.index,
                                "context": turn_context(lo_turns, t.index, CONTEXT_WINDOW)}
        if t.used:
            meta["used"] = list(t.used)
        other = _speaker_key(t, scope.user_id, display)
        if other is not None and other != user_key(scope.user_id):
            # another person's turn (a group chat's "name"): its "I" is theirs, not the
            # user's (`Assistant._relevant` reads it as theirs)
            meta[SPEAKER_KEY] = other
        if not t.dated:
            meta[UNDATED] = True  # `valid_from` is the time of this ingest (`UNDATED`)
        dates = _turn_dates(t)
        if dates:
            meta["dates"] = [{"text": d.text, "date": d.date.isoformat(),
                              "precision": d.precision} for d in dates]
        items.append({"content": lt.content(), "kind": "episode", "valid_from": t.at,
                      "metadata": meta,
                      "sources": [SourceRef(kind="message", ref=lt.dia_id,
                                            role=lt.speaker[:128], at=t.at)]})
    total = len(items) + len(cands)  # episodes, then at most one fact per candidate
    results = mem.add_many(items, cube_scope, progress=None if progress is None else (
        lambda done, _total: progress(done, total)))
    report.episodes = [r.id for r in results]
    added = {r.id for r in results if r.action == "added"}
    run = _Run(mem, cube_scope, session_id, mode, scope.user_id, report, turns,
               report.episodes, [r.version for r in results],
               contexts=[item["metadata"]["context"] for item in items],
               stored=frozenset(t.index for t, r in zip(turns, results, strict=True)
                                if r.id not in added),
               progress=progress, total=total, done=len(items),
               speakers=frozenset(t.name.lower() for t in turns if t.name),
               named=user_name is not None)
    run.said = _said_times(run, [r.cube for r in results])
    for cand in cands:
        cand = _known_person(run, cand)
        if cand.turn in run.stored and not cand.extraction.negated:
            if _read_before(run, cand):
                continue  # read already (the same session ingested again): idempotent
            if _replaced_later(run, cand):
                continue  # said before a value that replaced it: history, not written
        _apply(run, cand)
    _flush(run)
    if progress is not None:
        progress(total, total)
    report.seconds = time.perf_counter() - start
    return report

__all__ = ["ChatTurn", "FactCandidate", "check_messages", "conflict_attribute",
           "extract_rules", "fuller_name", "ingest_messages", "people_named"]
