"""Ranking for hybrid search: query terms, reciprocal-rank fusion, recency and importance.

Plain functions of (candidate lists, cube fields, clock, RetrievalConfig) with no storage
access, so ranking can be tuned and tested apart from the store. memos.search gathers the
candidates (dense, full text, graph) and calls these.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from memos.config import RetrievalConfig
from memos.cube import SESSION_KEY, TURN_KEY, stating_turns
from memos.query import QueryHints, analyze, says_when

_WORD = re.compile(r"\w+", re.UNICODE)

# Words too common to say anything about which memory is meant. Dropping them keeps
# full-text queries selective (and fast: a term in every document scores every document).
STOPWORDS = frozenset("""
a about above after again against all am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further
had has have having he her here hers herself him himself his how i if in into is it its
itself just me more most my myself no nor not now of off on once only or other our ours
ourselves out over own same she should so some such than that the their theirs them
themselves then there these they this those through to too under until up very was we were
what when where which while who whom why will with would you your yours yourself
yourselves did does s t don ll ve re d m
""".split())


def query_terms(query: str) -> list[str]:
    """Words of a query worth matching in full text: lowercased, stopwords out, in order.

    When every word is a stopword the query is kept whole, so "who am I?" still matches
    something rather than nothing.
    """
    words = [w.lower() for w in _WORD.findall(query)]
    kept = [w for w in words if w not in STOPWORDS]
    return list(dict.fromkeys(kept or words))


@dataclass
class Fused:
    """One candidate after fusion."""

    pk: int
    score: float = 0.0
    ranks: dict[str, int] = field(default_factory=dict)
    folded: list[int] = field(default_factory=list)  # pks folded into this hit (fold_derived)

    @property
    def retrievers(self) -> list[str]:
        return list(self.ranks)


def retriever_weights(config: RetrievalConfig) -> dict[str, float]:
    return {"dense": config.dense_weight, "fulltext": config.fulltext_weight,
            "graph": config.graph_weight}


def reciprocal_rank_fusion(ranked: Mapping[str, Sequence[int]], weights: Mapping[str, float],
                           rrf_k: float) -> dict[int, Fused]:
    """score(d) = sum over retrievers r of weight_r / (rrf_k + rank_r(d)), ranks from 1."""
    fused: dict[int, Fused] = {}
    for name, pks in ranked.items():
        weight = weights.get(name, 1.0)
        for rank, pk in enumerate(pks, start=1):
            entry = fused.get(pk)
            if entry is None:
                entry = fused[pk] = Fused(pk)
            if name not in entry.ranks:
                entry.ranks[name] = rank
                entry.score += weight / (rrf_k + rank)
    return fused


def recency(moment: datetime | None, now: datetime, half_life_days: float) -> float:
    """1.0 for a memory recorded now, 0.5 after one half-life, towards 0 for old ones."""
    if moment is None:
        return 0.0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    age_days = max(0.0, (now - moment).total_seconds() / 86_400)
    return math.pow(0.5, age_days / half_life_days)


def final_score(fused: Fused, recorded_at: datetime | None, importance: float, now: datetime,
                config: RetrievalConfig) -> float:
    """Fusion score plus small recency and importance priors (they break near-ties)."""
    return (fused.score
            + config.recency_weight * recency(recorded_at, now, config.recency_half_life_days)
            + config.importance_weight * importance)


def contenders(fused: Mapping[int, Fused], k: int, config: RetrievalConfig,
               margin: float = 0.0) -> list[int]:
    """Candidates that can still reach the top k once the priors are added.

    Recency and importance each add at most their weight (plus `margin`: what the query's
    own priors can add), so a candidate whose fusion score trails the k-th by more than
    their sum cannot enter the top k; only contenders need their rows read (that is what
    keeps a search to a few rows whatever the candidates).
    """
    order = sorted(fused.values(), key=lambda f: (-f.score, f.pk))
    if len(order) <= k:
        return [f.pk for f in order]
    floor = order[k - 1].score - (config.recency_weight + config.importance_weight + margin)
    return [f.pk for f in order if f.score >= floor]


def rank(fused: Mapping[int, Fused], recorded_at: Mapping[int, datetime | None],
         importance: Mapping[int, float], now: datetime, config: RetrievalConfig,
         k: int) -> list[Fused]:
    """Top k candidates (only those in `importance`, i.e. that passed the SQL filters)."""
    scored: list[Fused] = []
    for pk, entry in fused.items():
        if pk not in importance:
            continue
        entry.score = final_score(entry, recorded_at.get(pk), importance[pk], now, config)
        scored.append(entry)
    scored.sort(key=lambda e: (-e.score, e.pk))
    return scored[:k]


# -- query priors and folding (memos.query says what the query names) -----------------------

# The metadata keys naming who said a memory and whom a fact is about (the session's and the
# turn's are memos.cube's: SESSION_KEY, TURN_KEY).
SPEAKER_KEY = "speaker"
SUBJECT_KEY = "subject"
# Name words too short or too common to identify a person ("Dr", "Mr", "the").
_TITLES = frozenset({"dr", "mr", "mrs", "ms", "miss", "prof", "sir", "jr", "sr"})


def speaker_of(meta: Any) -> str | None:
    """The person a cube's metadata says it is by or about: its speaker (a turn), else its
    subject (a MemReader fact: "Dana's city is Tromsø." has subject "Dana"); None when it
    names neither. A subject that is a key ("user:alice") names no one by name."""
    if not isinstance(meta, dict):
        return None
    value = meta.get(SPEAKER_KEY)
    if type(value) is str and value.strip():
        return value
    value = meta.get(SUBJECT_KEY)
    return value if type(value) is str and value.strip() and ":" not in value else None


@lru_cache(maxsize=4096)  # a store has few speakers; every search tests them on each row
def name_words(name: str) -> frozenset[str]:
    """The words of a person's name that identify them in a query: lowercased, without titles,
    stopwords and one- or two-letter initials ("Dr. Ana M. Lopez" -> {ana, lopez})."""
    return frozenset(w for w in (x.lower() for x in _WORD.findall(name))
                     if len(w) > 2 and w not in STOPWORDS and w not in _TITLES)


def names_speaker(hints: QueryHints, speaker: str | None) -> bool:
    """Whether the query names this speaker (any identifying word of the name, any case)."""
    return speaker is not None and not name_words(speaker).isdisjoint(hints.words)


def in_periods(moment: datetime | None, periods: Sequence[tuple[datetime, datetime]],
               after_days: float) -> bool:
    """Whether `moment` falls in one of the periods, or up to `after_days` after its end
    (people tell on Monday what they did "last Friday")."""
    if moment is None:
        return False
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    grace = timedelta(days=after_days)
    return any(start <= moment < end + grace for start, end in periods)


def in_months(moment: datetime | None, months: Collection[int], after_days: float) -> bool:
    """Whether `moment` falls in one of the months (1-12) of any year, or up to `after_days`
    after one ends (a month named without a year: "in June" is any June)."""
    if moment is None or not months:
        return False
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    if moment.month in months:
        return True
    if after_days >= 366:  # the grace reaches back over every month
        return True
    try:
        first = moment - timedelta(days=after_days)
    except OverflowError:  # a moment in the first days of year 1
        return False
    # Some day of [first, moment] falls in one of the months: count months, not dates.
    return any((first.month - 1 + step) % 12 + 1 in months
               for step in range((moment.year - first.year) * 12
                                 + moment.month - first.month + 1))


def names_time(hints: QueryHints, moment: datetime | None, after_days: float) -> bool:
    """Whether `moment` falls in a period the query names, or in a month it names without a
    year, or up to `after_days` after either."""
    return bool(hints.periods and in_periods(moment, hints.periods, after_days)
                or hints.months and in_months(moment, hints.months, after_days))


def query_prior(hints: QueryHints, speaker: str | None, moment: datetime | None,
                config: RetrievalConfig, text: object = None) -> float:
    """What the query's names and dates add to a memory's score.

    speaker_weight when the query names the memory's speaker ("What does Melanie do to
    destress?" is answered in Melanie's own words); date_weight when the memory's time
    (valid_from, else recorded_at) falls in a period the query names; when_weight when the
    query asks when and the memory's `text` says when (memos.query.says_when). select_hits
    adds it to every row it ranks.
    """
    bonus = 0.0
    if config.speaker_weight and names_speaker(hints, speaker):
        bonus += config.speaker_weight
    if config.date_weight and names_time(hints, moment, config.date_after_days):
        bonus += config.date_weight
    if config.when_weight and hints.when and says_when(text):
        bonus += config.when_weight
    return bonus


# The end of a memory's text that asks() reads: an aside or a question mark is near the end,
# and a long text must not make every search that reads its row slow.
_ASKS_TAIL = 4096


def asks(text: Any) -> bool:
    """Whether a memory's text asks rather than tells: it ends with a question mark, a
    trailing bracketed aside left out ("Which one did you pick? [shares a photo: ...]").

    >>> asks("Maria: Looks fun! What other classes have you done?"), asks("I did yoga.")
    (True, False)
    """
    if type(text) is not str:
        return False
    end = text[-_ASKS_TAIL:].rstrip()
    while end.endswith("]"):  # drop trailing asides, innermost-free ones only, right to left
        start = end.rfind("[")
        if start < 0 or "]" in end[start + 1:-1]:
            break
        end = end[:start].rstrip()
    return end.endswith("?")


def fold_derived(order: Sequence[int], ids: Mapping[int, str],
                 sources: Mapping[int, Sequence[str]]) -> tuple[list[int], dict[int, list[int]]]:
    """Give a cube derived from another cube and that source a single place in the hits.

    `order`: pks best first; `ids`: pk -> cube id; `sources`: pk -> the cube ids each of
    which says all it says (`fold_hosts`: the one it was derived from, or the turns that
    each stated a fact). A derived cube (a fact MemReader read from a turn) and the cube it
    came from say the same thing: the source is the hit (it holds the words, the speaker
    and the time), at the better rank of the two, and the derived cubes are attached to it
    (to the best ranked of its sources). A cube with no such source (a session summary,
    derived from several), or whose sources are not ranked, stands on its own. Returns
    (pks in order, source pk -> the pks folded into it).
    """
    pk_of = {ids[pk]: pk for pk in order if pk in ids}
    place = {pk: i for i, pk in enumerate(order)}
    source: dict[int, int] = {}  # derived pk -> its best ranked source's pk
    for pk in order:
        ranked = [pk_of[s] for s in sources.get(pk) or () if s in pk_of and pk_of[s] != pk]
        if ranked:
            source[pk] = min(ranked, key=place.__getitem__)
    if not source:
        return list(order), {}
    kept: list[int] = []
    placed: set[int] = set()
    folded: dict[int, list[int]] = {}
    for pk in order:
        host = source.get(pk, pk)
        if host != pk:
            folded.setdefault(host, []).append(pk)
        if host not in placed:
            placed.add(host)
            kept.append(host)
    return kept, folded


def fold_hosts(derived_from: Any, sources: Any) -> list[str]:
    """The cubes a derived cube may be folded into (`fold_derived`): the one it was derived
    from, or, derived from several, those when each is a turn that stated it (a fact said
    again: its episode sources); none otherwise (a session summary; a fact that took a
    name from another turn says more than either)."""
    refs = derived_from if isinstance(derived_from, list) else []
    out = []
    for ref in refs:
        value = ref.get("cube_id") if isinstance(ref, Mapping) else None
        if isinstance(value, str):
            out.append(value)
    if len(out) <= 1:
        return out
    return out if set(out) <= stating_turns(sources) else []


def session_of(meta: Any) -> Hashable | None:
    """The conversation session a cube's metadata names (None when it names none)."""
    value = meta.get(SESSION_KEY) if isinstance(meta, dict) else None
    return value if type(value) is str or type(value) is int else None


def turn_of(meta: Any) -> int | None:
    """The position of a turn in its session, from metadata "turn" (None when absent)."""
    value = meta.get(TURN_KEY) if isinstance(meta, dict) else None
    return value if type(value) is int else None


def session_bonus(order: Sequence[int], final: Mapping[int, float],
                  places: Mapping[int, tuple[Hashable | None, int | None]],
                  config: RetrievalConfig) -> dict[int, float]:
    """What each cube gains from the best strong hit near it in its conversation session.

    `order`: pks best first by `final` score; `places`: pk -> (session, turn) from the
    metadata. Each of the first `session_top` hits that has a session lends
    `session_weight` times its score to the cubes of the same session within
    `session_window` turns of it (the whole session when either turn is unknown, or the
    window is 0); a cube takes the largest such loan. A conversation stays on a subject
    for a while, so the turns around a strong match are more likely to be about the same
    thing than turns elsewhere (passage retrieval's document-score interpolation, with the
    stretch of conversation as the document). The window keeps the loans local: multi-hop
    questions need turns from several sessions, which lending a whole session crowds out.
    """
    if not config.session_weight or not config.session_top:
        return {}
    lenders: dict[Hashable, list[tuple[int | None, float]]] = {}
    for pk in order[:config.session_top]:
        session, turn = places.get(pk, (None, None))
        if session is not None:
            lenders.setdefault(session, []).append((turn, final[pk]))
    if not lenders:
        return {}
    window = config.session_window
    out: dict[int, float] = {}
    for pk, (session, turn) in places.items():
        near = lenders.get(session) if session is not None else None
        if not near:
            continue
        best = max((score for t, score in near if not window or t is None or turn is None
                    or abs(t - turn) <= window), default=None)
        if best is not None:
            out[pk] = config.session_weight * best
    return out


def select_hits(fused: Mapping[int, Fused], query: str, k: int, config: RetrievalConfig,
                now: datetime, load: Callable[[Sequence[int]], dict[int, Any]], *,
                fold: bool = True) -> tuple[list[Fused], dict[int, Any]]:
    """The top k of `fused` after the priors, folding and the session bonus, and the rows
    read for them.

    `load(pks)` reads rows (with CubeRow's attribute names) of admitted pks, at most
    three times: the contenders; when the query names a date or a speaker found among them,
    or asks when (`QueryHints.when`), or they carry sessions, or one of them asks (`asks`: it
    may drop by question_penalty), the further candidates those can lift into the top k;
    when folding left fewer than k, the next ones in fusion order. Each returned Fused has
    its final score and, in `folded`, the pks of the cubes folded into it. `fold=False` (or
    config.fold_derived off) returns every cube on its own. A query that asks for several
    things (`QueryHints.many`) gets no session bonus unless config.session_lists.
    """
    hints = analyze(query)
    rows = load(contenders(fused, k, config))
    asking: dict[int, bool] = {}  # pk -> its text asks (tested once per row)

    def asked(pk: int, row: Any) -> bool:
        if pk not in asking:
            asking[pk] = asks(row.content)
        return asking[pk]

    margin = 0.0
    if config.date_weight and (hints.periods or hints.months):
        margin += config.date_weight
    if config.when_weight and hints.when:
        margin += config.when_weight
    metas = [r.meta for r in rows.values()]
    if config.question_penalty and any(asked(pk, r) for pk, r in rows.items()):
        margin += config.question_penalty  # a contender above may drop by that much
    if config.speaker_weight and any(names_speaker(hints, speaker_of(m)) for m in metas):
        margin += config.speaker_weight
    grouping = bool(config.session_weight and config.session_top
                    and (config.session_lists or not hints.many))
    if grouping and fused and any(session_of(m) is not None for m in metas):
        best = max(f.score for f in fused.values())
        margin += config.session_weight * (best + margin + config.recency_weight
                                           + config.importance_weight)
    if margin:
        # Rows cost ~15 us each (JSON metadata); the priors rarely lift a candidate from deep
        # in the fused order into a short top k, so they read at most this many.
        pool = max(3 * k, config.prior_pool)
        extra = [pk for pk in contenders(fused, k, config, margin)[:pool] if pk not in rows]
        if extra:
            rows.update(load(extra))
    places: dict[int, tuple[Hashable | None, int | None]] = {}

    def prior(pk: int, row: Any) -> float:
        """final_score + query_prior, less question_penalty for a row that asks."""
        meta = row.meta if isinstance(row.meta, dict) else {}
        bonus = query_prior(hints, speaker_of(meta), row.valid_from or row.recorded_at,
                            config, row.content)
        if config.question_penalty and asked(pk, row):
            bonus -= config.question_penalty
        places[pk] = (session_of(meta), turn_of(meta))
        return final_score(fused[pk], row.recorded_at, row.importance, now, config) + bonus

    final: dict[int, float] = {}
    for attempt in (0, 1):
        final.update({pk: prior(pk, row) for pk, row in rows.items()
                      if pk in fused and pk not in final})
        order = sorted(final, key=lambda pk: (-final[pk], pk))
        folded: dict[int, list[int]] = {}
        if fold and config.fold_derived and any(rows[pk].derived_from for pk in order):
            order, folded = fold_derived(
                order, {pk: rows[pk].id for pk in order},
                {pk: fold_hosts(rows[pk].derived_from, rows[pk].sources) for pk in order})
        if attempt or len(order) >= k or not folded:
            break
        more = [f.pk for f in sorted(fused.values(), key=lambda f: (-f.score, f.pk))
                if f.pk not in rows][:k - len(order) + sum(map(len, folded.values()))]
        if not more:
            break
        rows.update(load(more))
    score = dict(final)
    for host, inside in folded.items():  # a fold keeps the better of the scores
        score[host] = max([final[host]] + [final[pk] for pk in inside])
    lift = session_bonus(order, score, places, config) if grouping else {}
    if lift:
        order = sorted(order, key=lambda pk: (-(score[pk] + lift.get(pk, 0.0)), pk))
    top: list[Fused] = []
    for pk in order[:k]:
        entry = fused[pk]
        entry.score = score[pk] + lift.get(pk, 0.0)
        entry.folded = list(folded.get(pk, ()))
        for inside in entry.folded:  # the hit stands for both: each retriever's better rank
            for name, rank in fused[inside].ranks.items():
                entry.ranks[name] = min(rank, entry.ranks.get(name, rank))
        top.append(entry)
    return top, rows
