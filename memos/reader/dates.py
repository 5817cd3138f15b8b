"""Relative dates in a turn ("yesterday", "last Friday", "in March", "on 3 May", "two weeks
ago") resolved against the turn's time to calendar dates.

Pure functions of (text, turn time): no clock is read, so a conversation ingested a year
later resolves its dates the same way. Each mention carries its precision (a "day", a
"week", a "month" or a "year"); a month or year resolves to its first day. A month or a
day of the year without a year is read backward (the latest one not after the turn), unless
its sentence looks forward: "next August", "for August", or a future marker ("will", "'ll",
"going to", "I may" / "we might" / "I should" and a verb, "I'm flying ...", "the wedding is
in June", "turning 30 in March", "we fly to Japan in March") and no past one ("was",
"went", "ago").
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from memos.reader.vocab import RELATION_RE

MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
MONTHS["sept"] = 9
WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}
NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
           "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
           "a couple of": 2, "a couple": 2, "couple of": 2, "a few": 3, "few": 3,
           "several": 3}

_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_WEEKDAY = r"(?P<weekday>" + "|".join(WEEKDAYS) + r")"
_NUM = r"(?P<n>\d{1,3}|" + "|".join(sorted((re.escape(k) for k in NUMBERS), key=len,
                                           reverse=True)) + r")"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"


@dataclass(frozen=True)
class DateMention:
    """A phrase of the text, where it is, and the date it names."""

    text: str
    start: int
    end: int
    date: date
    precision: str  # day | weekend | week | month | year


def period_end(start: date, precision: str) -> date:
    """The last day of the period a mention names from `start`: the day itself, its week,
    month or year ("in 2018" -> 31 December 2018)."""
    if precision == "week":
        return start + timedelta(days=6)
    if precision == "weekend":
        return start + timedelta(days=1)
    if precision == "month":
        return _shift_months(start.replace(day=1), 1) - timedelta(days=1)
    if precision == "year":
        return date(start.year, 12, 31)
    return start


def _shift_months(d: date, months: int) -> date:
    total = d.year * 12 + (d.month - 1) + months
    year, month = divmod(total, 12)
    return date(year, month + 1, min(d.day, calendar.monthrange(year, month + 1)[1]))


def _recent_year(month: int, day: int, ref: date) -> date | None:
    """month/day in the turn's year, or the year before when that is more than 60 days
    ahead: people mostly tell what happened ("on 3 May" said in November is last May)."""
    try:
        this = date(ref.year, month, day)
    except ValueError:
        return None
    if (this - ref).days > 60:
        try:
            return date(ref.year - 1, month, day)
        except ValueError:
            return None
    return this


# How long something has held, said after it: "(I've lived here) for 5 years", "for about
# two months", "for the past 3 years" (`held_for`)
_HELD_FOR = re.compile(r"\bfor\s+(?:(?:about|almost|nearly|over|around|roughly|just\s+over)\s+)?"
                       r"(?:the\s+(?:past|last)\s+)?" + _NUM +
                       r"\s+(?P<unit>years?|yrs?|months?|decades?)\b", re.I)


def held_for(text: str, ref: datetime | date) -> DateMention | None:
    """The first "for <n> years / months" of `text`, as the month it began, counted back
    from `ref` ("for 3 years", said in March 2026: March 2023); None when there is none."""
    m = _HELD_FOR.search(text)
    if m is None:
        return None
    day = ref.date() if isinstance(ref, datetime) else ref
    n, unit = _count(m.group("n")), m.group("unit").lower()
    months = n if unit.startswith("month") else n * (120 if unit.startswith("decade") else 12)
    start = _shift_months(day.replace(day=1), -months)
    return DateMention(m.group(0), m.start(), m.end(), start, "month")


def _count(raw: str) -> int:
    raw = raw.lower()
    return int(raw) if raw.isdigit() else NUMBERS.get(raw, 1)


def _relative(m: re.Match[str], ref: date) -> tuple[date, str] | None:
    word = m.group(0).lower()
    if word in ("today", "tonight", "this morning", "this afternoon", "this evening"):
        return ref, "day"
    if word == "yesterday" or word == "last night":
        return ref - timedelta(days=1), "day"
    if word == "the day before yesterday":
        return ref - timedelta(days=2), "day"
    if word == "tomorrow":
        return ref + timedelta(days=1), "day"
    if word == "last week":
        return ref - timedelta(days=7), "week"
    # The current week, month or year, at that precision ("later this month" too: the
    # month is known, the day is not).
    current = word.removeprefix("earlier ").removeprefix("later ")
    if current == "this week":
        return ref - timedelta(days=ref.weekday()), "week"
    if current == "this month":
        return ref.replace(day=1), "month"
    if current == "this year":
        return date(ref.year, 1, 1), "year"
    if word == "last weekend":
        back = (ref.weekday() - 5) % 7 or 7
        return ref - timedelta(days=back), "weekend"
    if word == "last month":
        return _shift_months(ref.replace(day=1), -1), "month"
    if word == "last year":
        return date(ref.year - 1, 1, 1), "year"
    if word == "next week":
        return ref + timedelta(days=7), "week"
    if word == "next month":
        return _shift_months(ref.replace(day=1), 1), "month"
    if word == "next year":
        return date(ref.year + 1, 1, 1), "year"
    return None


def _weekend(m: re.Match[str], ref: date) -> tuple[date, str]:
    """"this weekend", "over the weekend", "the past weekend", "next weekend": its Saturday.
    Said on a weekend, that one; else the one to come when the sentence looks forward (or,
    with no tense marker, from Thursday on), the one just past otherwise ("This weekend I
    painted the kitchen", said on a Monday)."""
    word = " ".join(m.group(0).lower().split())
    past = ref - timedelta(days=(ref.weekday() - 5) % 7)  # the latest Saturday (or today)
    coming = ref + timedelta(days=5 - ref.weekday()) if ref.weekday() < 5 else past
    if word == "next weekend":
        return (past + timedelta(days=7) if ref.weekday() >= 5 else coming), "weekend"
    if ref.weekday() >= 5 or word == "the past weekend":
        return past, "weekend"
    sentence = _sentence(m)
    if _PAST.search(sentence) or _DID.search(sentence):
        return past, "weekend"  # "This weekend I painted the kitchen", said on a Thursday
    if _FUTURE.search(sentence) or re.search(r"\bplans?\b", sentence, re.I):
        return coming, "weekend"  # "What are my plans this weekend?"
    return (coming if ref.weekday() >= 3 else past), "weekend"


def _ago(m: re.Match[str], ref: date) -> tuple[date, str]:
    n, unit = _count(m.group("n")), m.group("unit").lower().rstrip("s")
    if unit == "day":
        return ref - timedelta(days=n), "day"
    if unit == "week":
        return ref - timedelta(weeks=n), "week"
    if unit == "month":
        return _shift_months(ref, -n), "month"
    return date(ref.year - n, ref.month, min(ref.day, 28)), "year"


def _weekday(m: re.Match[str], ref: date) -> tuple[date, str]:
    target = WEEKDAYS[m.group("weekday").lower()]
    which = (m.group("which") or "").lower()
    if which == "next":
        ahead = (target - ref.weekday()) % 7 or 7
        return ref + timedelta(days=ahead + (7 if ahead <= 7 - ref.weekday() - 1 else 0)), "day"
    if which == "this":
        return ref + timedelta(days=(target - ref.weekday()) % 7), "day"
    before = m.string[max(0, m.start() - 60):m.start()]
    if which in ("", "on") and (_PUT_OFF_TO.search(before) or (
            UNTIL_BEFORE.search(before) and not _DONE.search(_sentence(m)))):
        # "I work at Acme until Friday", "my appointment got moved to Friday": the next one
        return ref + timedelta(days=(target - ref.weekday()) % 7 or 7), "day"
    if which in ("", "on") and _looks_forward(m) and not _DONE.search(_sentence(m)) and \
            not re.search(r"\b(?:from|since|until|till)\s*$", m.string[:m.start()], re.I):
        # "I have a job interview on Friday", "we'll go on Friday": the next one (not "I
        # started on Monday and I'll ...", "I met Sam on Friday, we'll meet again": the
        # weekday of what was done)
        return ref + timedelta(days=(target - ref.weekday()) % 7 or 7), "day"
    # "last Friday", "on Friday": the latest one before the turn's day
    back = (ref.weekday() - target) % 7 or 7
    return ref - timedelta(days=back), "day"


# Tense of the sentence around a date phrase: "we'll go in August", "I'm flying out in
# August", "the trip for August" look forward; "was", "went", "ago" look back and win.
_FUTURE = re.compile(r"\b(?:will|shall|gonna|going to|plan to|planning|hope to|want to|"
                     r"intend to|upcoming|"
                     # a modal of what may come ("I may visit Paris in May", "we might go in
                     # June"; not "I may have seen it in May")
                     r"(?<!as\s)(?:i|we)\s+(?:may|might|should|hope\s+to|expect\s+to|"
                     r"(?:would|'d|’d)\s+like\s+to)\s+(?!have\b|had\b|been\b|not\b)[a-z]+|(?:i'm|i’m|am|are|is|we're|we’re|they're|they’re|"
                     r"he's|she's) \w+ing|"
                     # an age to come ("turning 30 in march"), a trip in the present ("we
                     # fly to japan in march"); an event said to be in the month is read
                     # where the month is (`_IS_IN`)
                     r"turning\s+\d+|(?:i|we|they)\s+(?:fly|leave|start|move|head)\b|"
                     # something booked ahead: "I have a job interview on Friday"
                     r"(?:i|we)\s+(?:have|'ve\s+got|’ve\s+got)\s+(?:a|an|my|the|our)\s+"
                     r"(?:\w+\s+){0,2}(?:appointment|interview|meeting|exam|test|flight|party|"
                     r"date|game|match|call|check-?up|surgery|operation)s?)\b|"
                     r"\w(?:'ll|’ll)\b", re.I)
# A plan said without its subject: "Flying to Rome in October", "Starting grad school in
# September!", "Due in October" (the sentence's first word, a verb of going or starting;
# `_looks_forward`, where no verb after a subject says the past: "Starting the job I got in
# May was hard"); not a report ("Amazing concert on Saturday!", "Recovering from my surgery
# in February")
_PLAN_UNSAID = re.compile(r"^\W*(?:(?:so|and|also|btw|then|oh|ok|okay|now)\W+)*(?:flying|heading|"
                          r"going|leaving|moving|starting|travell?ing|driving|visiting|returning|"
                          r"relocating|graduating|beginning|launching|sailing|off\s+to|due|"
                          r"getting|having|taking|celebrating|hosting|throwing|attending|"
                          r"spending)\b", re.I)
# The end of what holds now ("I work for Acme until March 31", "contract runs till the end of
# June"), and a date something was put off or extended to: ahead of the turn
UNTIL_BEFORE = re.compile(r"\b(?:until|till|til|through|thru|up\s+until)\s+(?:the\s+end\s+of\s+)?$",
                          re.I)
_BY = re.compile(r"\bby\s+(?:the\s+(?:end|start|beginning|middle)\s+of\s+)?$", re.I)
_PUT_OFF_TO = re.compile(r"\b(?:extended|renewed|postponed|rescheduled|delayed|pushed(?:\s+back)?|"
                         r"moved)\b[^.!?;]{0,40}\b(?:to|until|till)\s+"
                         r"(?:the\s+end\s+of\s+)?$", re.I)
# "my sister's wedding is in june", "the party's on 3 May": the date right after "is"
_IS_IN = re.compile(r"(?:\bis|\bare|['’]s)\s+(?:due\s+)?$", re.I)
_PAST = re.compile(r"\b(?:was|were|did|had|went|came|got|spent|ago|used to|moved|since)\b",
                   re.I)
_SENTENCE_END = re.compile(r"[.!?;\n]")
# A verb in the past after its subject ("I painted", "we saw"): a weekend that has been.
_DID = re.compile(r"\b(?:I|we|you|he|she|they)\s+(?:\w+ed|saw|made|took|ran|ate|met|bought|"
                  r"spent|went|did|had|got|came|drove|flew|wrote|read|sang|swam|won|lost|slept)\b",
                  re.I)


# A verb of something done, anywhere in the sentence (`_weekday`)
_DONE = re.compile(r"\b(?:\w{3,}ed|met|saw|made|took|went|came|got|had|did|was|were|told|said|"
                   r"ran|ate|sat|bought|brought|found|left|lost|won|gave|sent|spent|paid|felt|"
                   r"heard|kept|slept|began|wrote|drove|flew)\b", re.I)


def _sentence(m: re.Match[str]) -> str:
    """The sentence of the text that holds the match."""
    text = m.string
    ends = [e.start() for e in _SENTENCE_END.finditer(text)]
    lo = max((e + 1 for e in ends if e < m.start()), default=0)
    hi = min((e for e in ends if e >= m.end()), default=len(text))
    return text[lo:hi]


def _looks_forward(m: re.Match[str], default: bool = False) -> bool:
    """Whether the sentence around `m` speaks of what is to come: a future marker and no
    past one; with no marker either way, `default`."""
    sentence = _sentence(m)
    before = m.string[max(0, m.start() - 60):m.start()]
    if _PUT_OFF_TO.search(before):
        return True  # "acme extended my contract to june 30", "the wedding got moved to May"
    if _PAST.search(sentence):
        return False
    if _IS_IN.search(before[-12:]) or ((UNTIL_BEFORE.search(before) or _BY.search(before)) and
                                       not _DONE.search(sentence)):
        # "my sister's wedding is in june", "I work for Acme until March 31", "Fiona
        # wants a full draft by March"
        return True
    if _PLAN_UNSAID.match(sentence) and not _DID.search(sentence):
        return True
    return bool(_FUTURE.search(sentence)) or default


def _day_of_month(m: re.Match[str], ref: date) -> tuple[date, str] | None:
    """"on the 14th": that day of the turn's month, or of the next one when the sentence
    looks forward and the day has passed, or of the last one when it looks back and the day
    is still to come; with no marker either way, forward unless something done is said."""
    day = int(m.group("day"))
    if not m.group(0).lower().startswith("on") and re.search(r"(?-i:[A-Z])[a-z]+\s+$",
                                                             m.string[max(0, m.start() - 30):m.start()]):
        return None  # "Henry the 8th": a name's number
    first = ref.replace(day=1)
    forward = _looks_forward(m, default=not _DONE.search(_sentence(m)))
    if forward and day < ref.day:
        first = _shift_months(first, 1)
    elif not forward and day > ref.day:
        first = _shift_months(first, -1)
    try:
        return first.replace(day=day), "day"
    except ValueError:  # "the 31st" of a month of 30 days
        return None


def _month(m: re.Match[str], ref: date) -> tuple[date, str]:
    month = MONTHS[m.group("month").lower().rstrip(".")]
    which = (m.group("which") or "").lower()
    if m.group("year"):
        return date(int(m.group("year")), month, 1), "month"
    if which == "next" or (which in ("for", "in", "")
                           and _looks_forward(m, default=which == "for")):
        # "next August", "for August", "we'll move in August": the next one from the turn
        # (this month included, except after "next")
        year = ref.year + (1 if month < ref.month or (which == "next" and month == ref.month)
                           else 0)
    elif which == "last":
        year = ref.year - (1 if month >= ref.month else 0)
    else:  # "in March": the latest March not after the turn (people tell what happened)
        year = ref.year - (1 if month > ref.month else 0)
    return date(year, month, 1), "month"


def _calendar(m: re.Match[str], ref: date) -> tuple[date, str] | None:
    month = MONTHS[m.group("month").lower().rstrip(".")]
    day = int(m.group("day"))
    if m.group("year"):
        try:
            return date(int(m.group("year")), month, day), "day"
        except ValueError:
            return None
    if _looks_forward(m):  # "we'll fly on 3 August": the next 3 August from the turn
        for year in (ref.year, ref.year + 1):
            try:
                ahead = date(year, month, day)
            except ValueError:
                continue
            if ahead >= ref:
                return ahead, "day"
    found = _recent_year(month, day, ref)
    return (found, "day") if found else None


_RULES = [
    (re.compile(r"\b(?:this|over the|the past|next) weekend\b(?!s)", re.I), _weekend),
    (re.compile(r"\b(?:the day before yesterday|yesterday|today|tonight|tomorrow|last night|"
                r"this (?:morning|afternoon|evening)|(?:last|next) (?:week(?:end)?|month|year)|"
                r"(?:(?i:earlier|later) )?(?-i:[Tt]his (?:week|month|year)))"
                r"\b", re.I), _relative),
    (re.compile(rf"\b{_NUM} (?P<unit>days?|weeks?|months?|years?) ago\b", re.I), _ago),
    (re.compile(rf"\b(?:(?P<which>last|this|next|on) )?{_WEEKDAY}s?\b", re.I), _weekday),
    (re.compile(rf"\b(?:on )?(?:the )?{_DAY} (?:of )?{_MONTH}(?:,? {_YEAR})?\b", re.I),
     _calendar),
    (re.compile(rf"\b(?:on )?{_MONTH} {_DAY}(?:,? {_YEAR})?\b", re.I), _calendar),
    (re.compile(rf"\b(?:(?P<which>in|for|last|next|this) )?{_MONTH}(?: {_YEAR})?\b", re.I),
     _month),
    # "on the 14th", "moved to the 18th": a day of this month, the last or the next
    (re.compile(r"\b(?:on\s+)?the\s+(?P<day>[1-9]|[12]\d|3[01])(?:st|nd|rd|th)\b"
                r"(?=\s*(?:$|[.,;:!?)]|\s(?:at|and|or|but|so|then|instead|because|in\s+the|"
                r"this|next)\b))", re.I), _day_of_month),
    (re.compile(r"\b(?P<y>(?:19|20)\d\d)-(?P<m>[01]\d)-(?P<d>[0-3]\d)\b"), None),
    # "in 2019", "since 2019", "in late 2019", "in the summer of 2019": the year
    (re.compile(r"\b(?:[Ii]n|[Ss]ince|[Dd]uring) (?:the )?(?:(?:early|late|mid)[- ]?)?"
                r"(?:(?:summer|winter|spring|autumn|fall) (?:of )?)?(?P<y>(?:19|20)\d\d)\b"), None),
]
# A month's name that names a person or a place: "Jan Kowalski", "in May Street", "my sister
# April", "a girl called June".
_NAME_NEXT = re.compile(r"\s+(?!(?:I|" + "|".join(n.title() for n in (*MONTHS, *WEEKDAYS))
                        + r")\b)[A-Z][a-z]")
_NAME_BEFORE = re.compile(r"\b(?:" + RELATION_RE + r"|named|called|with)\s+$", re.I)


# A month after one of these is a time ("Last May John and I moved", "In March Ana
# started", "Since April Google has been my employer"), unless a street's word follows
# ("in May Street").
_TIME_BEFORE = re.compile(r"\b(?:in|for|last|next|this|since|until|till|from|by|before|"
                          r"after|during|around|early|late|mid)\s+$", re.I)
_STREET_NEXT = re.compile(r"\s+(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Park|"
                          r"Square|Sq|Close|Way|Court|Ct|Place|Pl|Hill|Valley|Gardens|Grove|"
                          r"Terrace|Crescent|Row|Boulevard|Blvd)\b")


def _month_is_a_name(m: re.Match[str]) -> bool:
    """Whether the month `m` matched is a name's word: a capitalised word follows it (no year
    between) and no time word comes before it ("last", "in", "since": then only a street's
    word makes it a name), or, said bare, a relation or "called" comes before it."""
    if m.group("year"):
        return False
    before = m.string[max(0, m.start() - 40):m.start()]  # (bounded: a turn may be long)
    if m.group("which") or _TIME_BEFORE.search(before):
        return bool(_STREET_NEXT.match(m.string, m.end()))
    if _NAME_NEXT.match(m.string, m.end()):
        return True
    return bool(_NAME_BEFORE.search(before))


def resolve_dates(text: str, at: datetime | date) -> list[DateMention]:
    """Every date phrase of `text` resolved against `at` (the turn's time), in text order;
    overlapping phrases keep the first rule's (the most specific) reading."""
    ref = at.date() if isinstance(at, datetime) else at
    out: list[DateMention] = []
    taken: list[tuple[int, int]] = []
    for pattern, fn in _RULES:
        for m in pattern.finditer(text):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            if fn is None:
                groups = m.groupdict()
                if groups.get("m"):
                    try:
                        found: tuple[date, str] | None = (
                            date(int(groups["y"]), int(groups["m"]), int(groups["d"])), "day")
                    except ValueError:
                        found = None
                else:
                    try:
                        found = (date(int(groups["y"]), 1, 1), "year")
                    except ValueError:  # "in 0000"
                        found = None
            else:
                if fn is _month and m.group("month").lower() in ("may", "march", "mar", "jan",
                                                                 "sun", "sat") \
                        and not m.group("which") and not m.group("year") \
                        and m.group("month")[0].islower():
                    continue  # "may" the verb, "march" the walk
                if fn is _month and _month_is_a_name(m):
                    continue
                if fn is _weekday and (m.group(0).lower().endswith("days") or re.search(
                        r"\b(?:every|each)\s+(?:other\s+|single\s+)?$", text[:m.start()], re.I)):
                    continue  # "on Mondays", "every thursday": a habit, not a day
                if fn is _month and m.group("month").lower() in ("dec", "oct", "nov", "aug",
                                                                 "jun", "jul", "apr", "feb",
                                                                 "sep", "sept") \
                        and not m.group("which") and not m.group("year"):
                    continue  # a bare abbreviation is too often a word
                try:
                    found = fn(m, ref)
                except (OverflowError, ValueError):  # before year 1 or after 9999
                    found = None
            taken.append((m.start(), m.end()))  # an impossible date ("31 February") too
            if found is None:
                continue
            out.append(DateMention(m.group(0), m.start(), m.end(), found[0], found[1]))
    return sorted(out, key=lambda d: d.start)


__all__ = ["DateMention", "resolve_dates"]
