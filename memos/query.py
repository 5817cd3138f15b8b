"""What a search query says beyond its words: the names it mentions, the dates it names and
the months it names without a year.

Pure functions of the query text (no storage, no clock), used by memos.retrieval to add two
small priors to the fused score: a memory whose speaker the query names, and a memory from
the period the query names ("in July 2022", "on 9 November, 2022", "the week before August
3, 2023"). Both are product behaviour, not a benchmark rule: people ask about someone by
name, and about what happened at some time.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

_WORD = re.compile(r"\w+", re.UNICODE)
_DIGIT = re.compile(r"\d")

_MONTHS: dict[str, int] = {}
for _number in range(1, 13):
    _MONTHS[calendar.month_name[_number].lower()] = _number
    _MONTHS[calendar.month_abbr[_number].lower()] = _number
_MONTHS["sept"] = 9
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
# Most specific first: a day-month-year is not read again as a month-year.
_DAY_MONTH_YEAR = re.compile(rf"\b{_DAY}\s+(?:of\s+)?(?P<month>{_MONTH})\.?,?\s*{_YEAR}\b", re.I)
_MONTH_DAY_YEAR = re.compile(rf"\b(?P<month>{_MONTH})\.?\s+{_DAY},?\s*{_YEAR}\b", re.I)
_MONTH_YEAR = re.compile(rf"\b(?P<month>{_MONTH})\.?,?\s+(?:of\s+)?{_YEAR}\b", re.I)
# A bare year only after a preposition ("in 2022"): "2022 tickets" is not a date.
_YEAR_ALONE = re.compile(rf"\b(?:in|of|during|since|by|before|after|from)\s+{_YEAR}\b", re.I)
# "before <date>", "the week before <date>", "by <date>", "as of <date>": the period ends there.
_BEFORE = re.compile(r"\b(?:before|by|until|as of)\s+(?:the\s+\w+\s+)?$", re.I)
# How much further back a period reaches when the query asks about what came before it.
BEFORE_DAYS = 14
# A month named without a year ("in June", "the second week of November"): the whole month
# name (an abbreviation is too often a word or a name: "Jan", "mar"). "May", "March" and
# "August" are words too, so they count written with a capital or after a word that
# introduces a time; the others count in any case.
_FULL_MONTHS = {calendar.month_name[n].lower(): n for n in range(1, 13)}
_AMBIGUOUS_MONTHS = frozenset({"may", "march", "august"})
_MONTH_WORD = re.compile(r"\b(" + "|".join(_FULL_MONTHS) + r")\b", re.I)
_TIME_LEAD = re.compile(r"\b(?:in|of|during|since|before|after|by|until|till|from|through|"
                        r"early|late|mid|last|next|every|each)[\s-]+$", re.I)
# What may come before a word that opens a sentence or a clause ("May I ask", "Hi! May I",
# "Ana, may I"): there a capital says nothing.
_OPENS = re.compile(r"(?:^|[.!?:;,])[\s\"'(\[]*$")


@dataclass(frozen=True)
class QueryHints:
    """`words`: the query's words, lowercased (to match names); `periods`: the [start, end)
    intervals of the dates the query names, in UTC; `months`: the months it names without
    a year (1-12: "in June" is any June)."""

    words: frozenset[str]
    periods: tuple[tuple[datetime, datetime], ...] = ()
    months: frozenset[int] = frozenset()


def analyze(query: str) -> QueryHints:
    """The hints of one query (cheap: a few regular expressions over its text)."""
    words = frozenset(w.lower() for w in _WORD.findall(query))
    # Every date form has a year: a query without a digit names no period (the common case,
    # and the patterns are the costly part).
    periods = tuple(query_periods(query)) if _DIGIT.search(query) else ()
    months = query_months(query) if not words.isdisjoint(_FULL_MONTHS) else frozenset()
    return QueryHints(words, periods, months)


def query_months(text: str) -> frozenset[int]:
    """The months `text` names without a year ("When did Ana go camping in June?" -> June).

    A month that is part of a date with its year is a period (query_periods), not counted
    here. "May", "March" and "August" count after a word that introduces a time ("in may"),
    or capitalised where a capital says something: not at the start of a sentence or a
    clause ("May I ...?", "Hi! May I ...", "Ana, may I ..."), since they are also words.
    Names of months are read as months ("What did June say?" names June too).

    >>> sorted(query_months("What did Ana do in June and early march?"))
    [3, 6]
    >>> sorted(query_months("May I see what we did on 3 June 2023?"))
    []
    """
    dated = [(m.start(), m.end()) for m in (
        *_DAY_MONTH_YEAR.finditer(text), *_MONTH_DAY_YEAR.finditer(text),
        *_MONTH_YEAR.finditer(text))]
    out: set[int] = set()
    for match in _MONTH_WORD.finditer(text):
        if any(start <= match.start() < end for start, end in dated):
            continue
        word = match.group(1)
        if word.lower() in _AMBIGUOUS_MONTHS:
            before = text[max(0, match.start() - 16):match.start()]
            if not _TIME_LEAD.search(before) and (
                    not word[0].isupper() or _OPENS.search(before)
                    and (match.start() < 16 or _OPENS.search(text[:match.start()]))):
                continue
        out.add(_FULL_MONTHS[word.lower()])
    return frozenset(out)


def query_periods(text: str) -> list[tuple[datetime, datetime]]:
    """The [start, end) periods of the absolute dates in `text`, in order of appearance.

    A day is one day, a month its days, a year ("in 2022") its days. A date right after
    "before"/"by"/"until"/"as of" reaches BEFORE_DAYS further back. Dates without a year
    ("in March") name no period: the year is anyone's guess (query_months reads a month
    without one as that month of any year). An impossible day ("31
    February, 2023") is read as its month.

    >>> query_periods("What did Nate make on 9 November, 2022?")[0][0].date()
    datetime.date(2022, 11, 9)
    """
    found: list[tuple[int, datetime, datetime]] = []
    taken: list[tuple[int, int]] = []
    for pattern, kind in ((_DAY_MONTH_YEAR, "day"), (_MONTH_DAY_YEAR, "day"),
                          (_MONTH_YEAR, "month"), (_YEAR_ALONE, "year")):
        for match in pattern.finditer(text):
            if any(match.start() < end and start < match.end() for start, end in taken):
                continue
            period = _period(match, kind)
            if period is None:
                continue
            start, end = period
            if _BEFORE.search(text[max(0, match.start() - 24):match.start()]):
                start -= timedelta(days=BEFORE_DAYS)
            taken.append((match.start(), match.end()))
            found.append((match.start(), start, end))
    return [(start, end) for _, start, end in sorted(found, key=lambda f: f[0])]


def _period(match: re.Match[str], kind: str) -> tuple[datetime, datetime] | None:
    year = int(match.group("year"))
    try:
        if kind == "year":
            return datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
        month = _MONTHS[match.group("month").lower()]
        if kind == "month":
            days = calendar.monthrange(year, month)[1]
            start = datetime(year, month, 1, tzinfo=UTC)
            return start, start + timedelta(days=days)
        start = datetime(year, month, int(match.group("day")), tzinfo=UTC)
    except ValueError:
        return None
    return start, start + timedelta(days=1)
