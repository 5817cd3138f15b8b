"""Ranking for hybrid search: query terms, reciprocal-rank fusion, recency and importance.

Plain functions of (candidate lists, cube fields, clock, RetrievalConfig) with no storage
access, so ranking can be tuned and tested apart from the store. memos.search gathers the
candidates (dense, full text, graph) and calls these.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from memos.config import RetrievalConfig

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


def contenders(fused: Mapping[int, Fused], k: int, config: RetrievalConfig) -> list[int]:
    """Candidates that can still reach the top k once the priors are added.

    Recency and importance each add at most their weight, so a candidate whose fusion score
    trails the k-th by more than their sum cannot enter the top k; only contenders need
    their rows read (that is what keeps a search to a few rows whatever the candidates).
    """
    order = sorted(fused.values(), key=lambda f: (-f.score, f.pk))
    if len(order) <= k:
        return [f.pk for f in order]
    floor = order[k - 1].score - (config.recency_weight + config.importance_weight)
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
