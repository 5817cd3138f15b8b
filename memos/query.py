"""What a search query says beyond its words: the names it mentions, the dates it names, the
months it names without a year, and whether it asks when something happened.

Pure functions of the query text (no storage, no clock), used by memos.retrieval to add
small priors to the fused score: a memory whose speaker the query names; a memory from the
period the query names ("in July 2022", "on 9 November, 2022", "the week before August 3,
2023", "between August 11 and 15 2023", "summer 2021"); and a memory that says when
something happened when the query asks when ("When did Ana move?" is answered by "Ana: we
moved here three years ago"). One more reading changes how hits are grouped: a query that
asks for several things ("What books has Ana read?", `asks_many`) gets no session grouping.
All are product behaviour, not a benchmark rule: people ask about someone by name, about
what happened at some time, when something happened, and for lists of things.
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
# A number of a clock time ("10:30", "9:00") is no day: no digit and colon before or after.
_NOT_CLOCK_BEFORE = r"(?<!\d)(?<!\d:)"
_NOT_CLOCK_AFTER = r"(?!\d|:\d)"
# Most specific first: a day-month-year is not read again as a month-year.
_DAY_MONTH_YEAR = re.compile(rf"\b{_DAY}\s+(?:of\s+)?(?P<month>{_MONTH})\.?,?\s*{_YEAR}\b", re.I)
_MONTH_DAY_YEAR = re.compile(rf"\b(?P<month>{_MONTH})\.?\s+{_DAY},?\s*{_YEAR}\b", re.I)
_MONTH_YEAR = re.compile(rf"\b(?P<month>{_MONTH})\.?,?\s+(?:of\s+)?{_YEAR}\b", re.I)
# A bare year only after a preposition ("in 2022"): "2022 tickets" is not a date.
_YEAR_ALONE = re.compile(rf"\b(?:in|of|during|since|by|before|after|from|until|till)\s+{_YEAR}\b",
                         re.I)
# A span between two dates with one year at its end ("between August 11 and August 15 2023",
# "from 3 to 9 June, 2023", "June 3-9, 2023", "between June and August 2023"): the year, and
# the month when the first date omits it, come from the second date. "and" joins a span only
# after "between": "on 4 and 25 June 2023" names two days, not the days between them.
_BETWEEN = r"(?:(?P<between>between)\s+)?\b"
_DASHES = "-|–|—"  # what joins the two ends of a span, as marks or as words
_UNTIL = "to|until|till|through|thru"
_TO = rf"(?:\s*(?:{_DASHES})\s*|\s+(?:{_UNTIL})\s+|(?(between)\s+and\s+|(?!)))"
_RANGE_MONTH_DAY = re.compile(
    rf"{_BETWEEN}(?P<month1>{_MONTH})\.?\s+(?:the\s+)?(?P<day1>\d{{1,2}}){_NOT_CLOCK_AFTER}"
    rf"(?:st|nd|rd|th)?{_TO}"
    rf"(?:(?P<month>{_MONTH})\.?\s+)?(?:the\s+)?{_DAY},?\s*{_YEAR}\b", re.I)
_RANGE_DAY_MONTH = re.compile(
    rf"{_BETWEEN}(?:the\s+)?{_NOT_CLOCK_BEFORE}(?P<day1>\d{{1,2}}){_NOT_CLOCK_AFTER}"
    rf"(?:st|nd|rd|th)?"
    rf"(?:\s+(?:of\s+)?(?P<month1>{_MONTH})\.?)?{_TO}(?:the\s+)?{_DAY}\s+(?:of\s+)?"
    rf"(?P<month>{_MONTH})\.?,?\s*{_YEAR}\b", re.I)
_RANGE_MONTHS = re.compile(
    rf"{_BETWEEN}(?P<month1>{_MONTH})\.?{_TO}(?P<month>{_MONTH})\.?,?\s+(?:of\s+)?{_YEAR}\b",
    re.I)
_RANGE_YEARS = re.compile(rf"{_BETWEEN}(?P<year1>(?:19|20)\d\d){_TO}{_YEAR}\b", re.I)
# A season, or a part of a year, with its year ("summer 2021", "the winter of 2022", "early
# 2023", "the end of 2022", "winter 2022-23"); seasons as in the northern hemisphere.
_SEASON = re.compile(rf"\b(?P<season>spring|summer|fall|autumn|winter|early|mid|late|"
                     rf"(?:the\s+)?(?:start|beginning|middle|end)\s+of)[\s-]+(?:of\s+)?{_YEAR}"
                     rf"(?:[-/–](?P<next>\d\d(?:\d\d)?))?\b", re.I)
_SEASON_MONTHS = {"spring": (3, 6), "summer": (6, 9), "fall": (9, 12), "autumn": (9, 12),
                  "early": (1, 5), "start": (1, 5), "beginning": (1, 5), "mid": (5, 9),
                  "middle": (5, 9), "late": (9, 13), "end": (9, 13)}
# A part of a month with its year ("the first week of June 2023", "the last weekend of May
# 2023", "the second half of September 2022", "mid-June 2023", "early June 2023", "the end of
# June 2023"): those days of it.
_MONTH_PART = re.compile(
    rf"\b(?P<part>(?:the\s+)?(?P<nth>first|second|third|fourth|last|final)\s+"
    rf"(?P<unit>week|weekend|half|fortnight)\s+of|early|mid|late|"
    rf"(?:the\s+)?(?:start|beginning|middle|end)\s+of)[\s-]+(?:the\s+month\s+of\s+)?"
    rf"(?P<month>{_MONTH})\.?,?\s+(?:of\s+)?{_YEAR}\b", re.I)
_NTH = {"first": 1, "second": 2, "third": 3, "fourth": 4}
# Thirds of a month: "early June" its days 1-10, "mid-June" 11-20, "late June" 21 to the end.
_PART_DAYS = {"early": (1, 10), "start": (1, 10), "beginning": (1, 10), "mid": (11, 20),
              "middle": (11, 20), "late": (21, 31), "end": (21, 31)}
# Several days of a month with one year at the end ("on 4 and 25 June 2023", "the 4th, 11th
# and 25th of June 2023", "30 May and 4 June, 2023", "June 4 and 25, 2023", "from 4 to 6 and
# 8 June 2023"): each day, or span. A day without its month takes the next month named (day
# first) or the last one (month first). Items are joined by commas, "and", "or", "&",
# "and/or", or by "to" / a dash (a span); a list of days written day first needs a joiner
# other than a comma ("I was 30, 4 June 2023" is no list). A comma before the year ends no
# item. Possessive repeats, bounded: the search stays linear in the query.
_LIST_AND = r"\s*,?\s+(?:and/or|and|or|&)\s+"
_LIST_COMMA = r"\s*,\s*+(?!(?:19|20)\d\d\b|(?:and|or|&)\s)"
_LIST_TO = rf"\s*(?:{_DASHES})\s*|\s+(?:{_UNTIL})\s+"
_LIST_SEP = rf"(?:{_LIST_AND}|{_LIST_COMMA}|{_LIST_TO})"
_ORDINAL = rf"(?:the\s+)?{_NOT_CLOCK_BEFORE}\d{{1,2}}{_NOT_CLOCK_AFTER}(?:st|nd|rd|th)?"
_LIST_MOST = 6  # items before the last one: a list stays short, and its search linear
_DAY_ITEM = rf"{_ORDINAL}(?:\s+(?:of\s+)?(?:{_MONTH})\.?)?"
_LIST_DAY_MONTH = re.compile(
    rf"\b(?P<items>(?:{_DAY_ITEM}{_LIST_SEP}){{1,{_LIST_MOST}}}+)"
    rf"(?:the\s+)?{_DAY}\s+(?:of\s+)?(?P<month>{_MONTH})\.?,?\s*{_YEAR}\b", re.I)
_LIST_MONTH_DAY = re.compile(  # (its last item is the last day: no comma before the year)
    rf"\b(?P<items>(?P<month1>{_MONTH})\.?\s+{_ORDINAL}"
    rf"(?:{_LIST_SEP}(?:(?:{_MONTH})\.?\s+)?{_ORDINAL}){{1,{_LIST_MOST}}}+),?\s*{_YEAR}\b",
    re.I)
# Several months with one year at the end ("in March and August 2023", "May, June and July,
# 2023", "May to July and October 2023"): each month, or span.
_LIST_MONTHS = re.compile(
    rf"\b(?P<items>(?:(?:{_MONTH})\.?{_LIST_SEP}){{1,{_LIST_MOST}}}+)"
    rf"(?P<month>{_MONTH})\.?,?\s+(?:of\s+)?{_YEAR}\b", re.I)
# A month of a list more than this many months after its last one is of the year before
# ("December 30 and January 2, 2024"); a list need not be in order ("on 4 June and 25 May
# 2023", "in July and March 2023").
_LIST_WRAP = 6
_LIST_ITEM = re.compile(rf"(?:(?P<before>{_MONTH})\.?\s+)?(?:the\s+)?(?P<day>\d{{1,2}})"
                        rf"(?:st|nd|rd|th)?(?:\s+(?:of\s+)?(?P<after>{_MONTH})\b)?", re.I)
_SPAN_WORD = re.compile(rf"{_DASHES}|\b(?:{_UNTIL})\b", re.I)
_JOIN_WORD = re.compile(r"\b(?:and|or)\b|&", re.I)
_BETWEEN_BEFORE = re.compile(r"\bbetween\s+$", re.I)
# A day written as digits, year first ("2023-06-09", "2023/06/09"). Not a year and a month
# alone: "2011-12" is as often a school or a sports year.
_ISO_DAY = re.compile(rf"\b{_YEAR}[-/](?P<mm>\d{{1,2}})[-/](?P<dd>\d{{1,2}})\b")
# "before <date>", "the week before <date>", "by <date>", "as of <date>": the period ends there.
_BEFORE = re.compile(r"\b(?:before|by|until|as of)\s+(?:the\s+(?:\w+\s+)?)?$", re.I)
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
_OPENERS = ".!?:;,"
_BEFORE_WORD = "\"'(["


@dataclass(frozen=True)
class QueryHints:
    """`words`: the query's words, lowercased (to match names); `periods`: the [start, end)
    intervals of the dates the query names, in UTC; `months`: the months it names without
    a year (1-12: "in June" is any June); `when`: the query asks when, or how long
    (`asks_when`); `many`: it asks for several things, or how many (`asks_many`)."""

    words: frozenset[str]
    periods: tuple[tuple[datetime, datetime], ...] = ()
    months: frozenset[int] = frozenset()
    when: bool = False
    many: bool = False


def analyze(query: str) -> QueryHints:
    """The hints of one query (cheap: a few regular expressions over its text)."""
    words = frozenset(w.lower() for w in _WORD.findall(query))
    # Dates are read in the first 4 KB (a long query must not make a search slow). Every
    # date form has a year: a query without a digit names no period (the common case, and
    # the patterns are the costly part).
    head = query[:_DATES_HEAD]
    periods = tuple(query_periods(head)) if _DIGIT.search(head) else ()
    months = query_months(head) if not words.isdisjoint(_FULL_MONTHS) else frozenset()
    return QueryHints(words, periods, months, asks_when(query), asks_many(query))


def _opens_at(text: str, i: int) -> bool:
    """Whether position `i` of `text` opens a sentence or a clause: only spaces, quotes and
    brackets stand between it and the start of the text or a ".!?:;," (a walk back over
    those characters only, so reading every month of a text stays linear)."""
    j = i - 1
    while j >= 0 and (text[j].isspace() or text[j] in _BEFORE_WORD):
        j -= 1
    return j < 0 or text[j] in _OPENERS


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
    dated = [(m.start(), m.end()) for pattern, _ in _PERIOD_FORMS
             for m in pattern.finditer(text)]
    out: set[int] = set()
    for match in _MONTH_WORD.finditer(text):
        if any(start <= match.start() < end for start, end in dated):
            continue
        word = match.group(1)
        if word.lower() in _AMBIGUOUS_MONTHS:
            before = text[max(0, match.start() - 16):match.start()]
            if not _TIME_LEAD.search(before) and (
                    not word[0].isupper() or _opens_at(text, match.start())):
                continue
        out.add(_FULL_MONTHS[word.lower()])
    return frozenset(out)


# Nouns of a length of time: "how many weeks" asks how long, not for a list.
_DURATIONS = ("days|nights|weeks|weekends|months|years|decades|hours|minutes|seconds|"
              "semesters|seasons|summers|winters")
# A query that asks when something happened, or for how long: its first words ("When did Ana
# move?", "How long has Ana lived there?", "In which month did ...?", "After how many weeks
# ...?"). Anchored at the start: "the day when ..." inside a query asks for something else.
# "What year/month/day/time ..." counts when a verb or "of the week" follows the noun: "What
# date idea did ...", "Which season of the show ..." ask for something else.
_ASKS_WHEN = re.compile(
    r"^[\W_]*+(?:(?:and|so|but|then|okay|ok|hey|hi)\W+)*+(?:\w+,\s*)?"  # "Ana, when ..."
    r"(?:(?:do|did|can|could|would|will)\s+(?:you|we|i)\s+(?:still\s+)?(?:remember|recall|"
    r"know|tell\s+me|say)\s+)?(?:"  # "Do you remember when ...?"
    r"when\b|since when\b|by when\b|until when\b|how long\b|how soon\b|how often\b"
    r"|how recently\b|(?:after|in|within|for)\s+how\s+(?:many|much|long)\b"
    r"|how\s+many\s+(?:more\s+)?(?:" + _DURATIONS + r")\b"
    r"|(?:(?:in|during|on|at|by|from|since)\s+)?(?:what|which)\s+(?:(?:exact|specific|precise|"
    r"particular)\s+)?(?:year|month|day|date|time|week|weekend|season|decade|age)s?\s+"
    r"(?:of\s+(?:the\s+)?(?:day|week|month|year)\b|(?:did|do|does|is|was|were|are|has|have|"
    r"had|will|would|could|can|should)\b))", re.I)
# The start of a query whose dates analyze() reads.
_DATES_HEAD = 4096
# The start of a query that asks_when() and asks_many() read (a question's words are first).
_ASKS_HEAD = 1024
_DAY_NAMES = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_SPANS = ("days?|weeks?|weekends?|months?|years?|decades?|nights?|evenings?|mornings?|"
          "afternoons?|summers?|winters?|springs?|falls?|autumns?|semesters?|seasons?")
_COUNTS = (r"\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
           r"a\s+few|a\s+couple(?:\s+of)?|couple\s+of|few|several|many|some")
# What says when in a memory: a relative time ("yesterday", "last week", "two years ago",
# "on Friday", "next month", "for three years now"), a month after a word that introduces a
# time or beside a day's number (May, March and August capitalised there: "this may sound"),
# a year after a word that introduces a time or ending a clause ("in 2019", "that was 2019."
# but not "2000 books"), an age ("when I was ten", "at age 15", "30 years old"),
# "recently", "lately". Absent from most of what people say; present in most answers to
# "when".
_PLAIN_MONTHS = "|".join(m for m in _FULL_MONTHS if m not in _AMBIGUOUS_MONTHS)
_YEAR_LEAD = r"(?:in|since|of|from|until|till|by|during|before|after|around|circa|early|late|mid)"
_SAYS_WHEN = re.compile(
    rf"\b(?:yesterday|today|tonight|tomorrow|recently|lately|nowadays|ago"
    rf"|(?:last|this|next|past|previous|coming|following|that)\s+(?:{_SPANS}|{_DAY_NAMES})"
    rf"|(?:{_COUNTS})\s+(?:{_SPANS})\s+(?:ago|back|before|later|earlier|now|from\s+now)"
    rf"|(?:for|over|about|almost|nearly|in|within|after)\s+(?:the\s+(?:last|past)\s+)?"
    rf"(?:{_COUNTS})\s+(?:{_SPANS})"
    rf"|(?:on|every|last|this|next|since|until|by)\s+(?:{_DAY_NAMES})"
    rf"|(?:in|on|since|until|till|by|from|early|late|mid|last|next|this|every|of)[\s-]+"
    rf"(?:{_PLAIN_MONTHS}|(?-i:May|March|August))"
    rf"|(?:{_PLAIN_MONTHS}|(?-i:May|March|August))\s+\d{{1,2}}(?:st|nd|rd|th)?\b"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_PLAIN_MONTHS}|(?-i:May|March|August))"
    rf"|on\s+the\s+\d{{1,2}}(?:st|nd|rd|th)"
    rf"|{_YEAR_LEAD}[\s-]+(?:the\s+)?(?:19|20)\d\ds?\b"
    rf"|(?:{_PLAIN_MONTHS}|(?-i:May|March|August))\s+(?:19|20)\d\d\b"
    rf"|(?<![$£€#.,\d-])(?:19|20)\d\ds?(?=\s*(?:[.,;:!?)\]]|$))"  # a year ending a clause
    rf"|\d+\s+years?\s+old|been\s+(?:{_COUNTS})\s+(?:{_SPANS})"
    rf"|a\s+while\s+(?:ago|back)"
    rf"|when\s+(?:i|we|he|she|they)\s+(?:was|were)\s+(?:{_COUNTS}|\w+teen|twenty|young|little"
    rf"|a\s+kid|a\s+child|kids|children|teens|teenagers"
    rf"|a\s+teen(?:ager)?|in\s+(?:high\s+school|college|school))"
    rf"|at\s+(?:the\s+)?age\s+(?:of\s+)?\w+)\b", re.I)
# A query that asks for several things, or a count of them: "How many times ...", "What
# books has Ana read?", "Which cities have both ... visited?", "... and/or ...". A plural
# noun (not one ending in -ss, -us or -is, nor "series", "news", ...) right before an auxiliary
# ("has", "does", ...) after "what"/"which"; "how many" but not of a length of time (that
# asks how long).
_AUX = r"(?:has|have|had|does|do|did|is|are|was|were|would|could|can|will|might|should)"
_ASKS_MANY = re.compile(
    r"^\W*+(?:how\s+many\s+(?!(?:more\s+)?(?:" + _DURATIONS + r")\b)"
    r"|(?:what|which)\s+(?:(?:kinds?|types?|sorts?)\s+of\s+)?(?:[\w-]+\s+){0,2}?"
    r"(?!(?:series|species|news|means|physics|mathematics|economics|politics|ethics|gas|lens|"
    r"chaos|bias|canvas|atlas|alias|has|was|does|this|his|its|us)\b)"
    r"[\w-]+(?<![sui])s\s+(?:of\s+[\w\s.]{1,30}?\s+)?" + _AUX + r"\b)", re.I)
# "both" and "and/or" anywhere in a query (searched apart: linear on any query).
_BOTH = re.compile(r"\b(?:both|and/or)\b", re.I)
# The start of a memory's text that says_when() reads: a long text must not make every
# search that reads its row slow.
_SAYS_WHEN_HEAD = 4096
# Characters that the pattern's ignore-case reads as "i" (dotless ı, dotted İ) and one that
# casefold() would join to a word (U+0345): folded so that the filter reads as the pattern.
_FOLD_AS_PATTERN = {0x130: "i", 0x131: "i", 0x345: " "}
# A word of every form _SAYS_WHEN reads, casefolded (a digit stands for the rest): a text
# with none of them and no digit says no time, found without running the pattern.
_WHEN_WORDS = frozenset({
    "yesterday", "today", "tonight", "tomorrow", "recently", "lately", "nowadays", "ago",
    "while", "when", "age", "old", "been", *_DAY_NAMES.split("|"), *_FULL_MONTHS,
    *(w.rstrip("?s") for w in _SPANS.split("|")), *(w.rstrip("?") for w in _SPANS.split("|"))})


def asks_when(query: str) -> bool:
    """Whether a query asks when something happened, or for how long (its first words).

    >>> asks_when("When did Ana move to Oslo?"), asks_when("How long has Ana had her dog?")
    (True, True)
    >>> asks_when("What did Ana say when she moved?")
    False
    """
    return _ASKS_WHEN.search(query[:_ASKS_HEAD]) is not None


def asks_many(query: str) -> bool:
    """Whether a query asks for several things or for how many ("What books has Ana read?",
    "How many times did we meet?", "Have we both been to Rome?"): their answers lie apart in
    a conversation, rarely beside each other.

    >>> asks_many("What books has Ana read?"), asks_many("What book is Ana reading?")
    (True, False)
    """
    head = query[:_ASKS_HEAD]
    return _ASKS_MANY.search(head) is not None or _BOTH.search(head) is not None


def says_when(text: object) -> bool:
    """Whether a memory's text says when something happened or for how long: a relative time,
    a month or a year, an age (the first 4 KB of it are read).

    >>> says_when("Ana: We moved here two years ago."), says_when("Ana: I love Oslo.")
    (True, False)
    """
    if type(text) is not str:
        return False
    head = text[:_SAYS_WHEN_HEAD]
    if not _DIGIT.search(head) and _WHEN_WORDS.isdisjoint(
            _WORD.findall(head.translate(_FOLD_AS_PATTERN).casefold())):
        return False
    return _SAYS_WHEN.search(head) is not None


def query_periods(text: str) -> list[tuple[datetime, datetime]]:
    """The [start, end) periods of the absolute dates in `text`, in order of appearance.

    A day is one day, a month its days, a year ("in 2022") its days; a span with its year at
    the end ("between August 11 and August 15 2023", "June 3-9, 2023", "from May to July
    2022", "between 2019 and 2021") its days; a season or a part of a year with its year
    ("summer 2021", "early 2023", "the end of 2022", "winter 2022-23") its months; a part
    of a month with its year ("the second week of November 2022", "the last weekend of May
    2023", "the first half of September 2022", "mid-June 2023") those days; a list of days
    or months with one year at its end ("on 4 and 25 June 2023", "June 4 and 25, 2023", "in
    March and August 2023") each of them; a day in digits, year first ("2023-06-09"), that
    day. A date right after "before"/"by"/
    "until"/"as of" reaches BEFORE_DAYS further back. Dates without a year ("in March")
    name no period: the year is anyone's guess (query_months reads a month without one as
    that month of any year). An impossible day ("31 February, 2023", "2023-02-30") is read
    as its month.

    >>> query_periods("What did Nate make on 9 November, 2022?")[0][0].date()
    datetime.date(2022, 11, 9)
    """
    found: list[tuple[int, datetime, datetime]] = []
    taken: list[tuple[int, int]] = []
    for pattern, kind in _PERIOD_FORMS:
        for match in pattern.finditer(text):
            if any(match.start() < end and start < match.end() for start, end in taken):
                continue
            periods = _periods(match, kind)
            if not periods:  # an impossible date: a shorter form may read part of it
                continue
            taken.append((match.start(), match.end()))
            at = match.start("year") if kind == "year" else match.start()  # "by 2022"
            if _BEFORE.search(text[max(0, at - 24):at]):
                periods = [(start - timedelta(days=BEFORE_DAYS), end) for start, end in periods]
            found.extend((match.start(), start, end) for start, end in periods)
    return [(start, end) for _, start, end in sorted(found, key=lambda f: f[0])]


# The forms query_periods reads, most specific first: a span or a day-month-year is not read
# again as the month-year inside it, nor "winter 2022-2023" as a span of years.
_PERIOD_FORMS = ((_RANGE_MONTH_DAY, "days"), (_RANGE_DAY_MONTH, "days"),
                 (_RANGE_MONTHS, "months"), (_MONTH_PART, "part"), (_SEASON, "season"),
                 (_RANGE_YEARS, "years"), (_ISO_DAY, "iso-day"),
                 (_LIST_DAY_MONTH, "list-day-first"), (_LIST_MONTH_DAY, "list-month-first"),
                 (_LIST_MONTHS, "list-months"),
                 (_DAY_MONTH_YEAR, "day"), (_MONTH_DAY_YEAR, "day"),
                 (_MONTH_YEAR, "month"), (_YEAR_ALONE, "year"))


def _month_start(year: int, month: int) -> datetime:
    """The first day of a month; month 13 is January of the next year, 0 December before."""
    return datetime(year + (month - 1) // 12, (month - 1) % 12 + 1, 1, tzinfo=UTC)


def _month_period(year: int, month: int) -> tuple[datetime, datetime]:
    return _month_start(year, month), _month_start(year, month + 1)


def _periods(match: re.Match[str], kind: str) -> list[tuple[datetime, datetime]]:
    """The [start, end) periods one match names. An impossible day is its month ("31
    February, 2023", "2023-02-30"); a span with an impossible day is the month of its end
    ("February 28 - 30, 2023"); a reversed span names none (a shorter form then reads what
    it can), nor a digit date with a 13th month. A winter names two (its January-February
    and its December-February: "the winter of 2022" is either), or one when the next year
    follows ("winter 2022-23")."""
    year = int(match.group("year"))
    if kind in ("year", "years"):  # "in 2022", "between 2019 and 2021"
        first = int(match.group("year1")) if kind == "years" else year
        if first > year:
            return []
        return [(datetime(first, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC))]
    if kind == "season":
        words = match.group("season").lower().split()  # "summer", "the end of"
        word = words[-2] if words[-1] == "of" else words[-1]
        if word == "winter":
            after = match.group("next")
            if after is not None and int(after[-2:]) == (year + 1) % 100:
                return [(_month_start(year, 12), _month_start(year, 15))]
            return [(_month_start(year, 1), _month_start(year, 3)),
                    (_month_start(year, 12), _month_start(year, 15))]
        first, last = _SEASON_MONTHS[word]
        return [(_month_start(year, first), _month_start(year, last))]
    if kind == "part":
        return _part_period(match, year)
    if kind == "list-months":
        return _month_list_periods(match, year)
    if kind.startswith("list"):
        return _list_periods(match, year, day_first=kind == "list-day-first")
    if kind == "iso-day":
        month, day = int(match.group("mm")), int(match.group("dd"))
        if not 1 <= month <= 12:
            return []
    else:
        month = _MONTHS[(match.group("month") or match.group("month1")).lower()]
        if kind in ("days", "months"):  # a span: its first date takes the year of its last
            first = match.group("month1")
            month1 = _MONTHS[first.lower()] if first else month
            year1 = year - 1 if month1 > month else year  # "December 28 to January 3, 2024"
            if kind == "months":
                return [(_month_start(year1, month1), _month_start(year, month + 1))]
            try:
                begin = datetime(year1, month1, int(match.group("day1")), tzinfo=UTC)
                end = datetime(year, month, int(match.group("day")), tzinfo=UTC)
            except ValueError:  # "February 28 - 30, 2023": the month of its end
                return [_month_period(year, month)]
            return [(begin, end + timedelta(days=1))] if begin <= end else []
        if kind == "month":
            return [_month_period(year, month)]
        day = int(match.group("day"))
    try:
        start = datetime(year, month, day, tzinfo=UTC)
    except ValueError:  # no such day in that month
        return [_month_period(year, month)]
    return [(start, start + timedelta(days=1))]


def _part_period(match: re.Match[str], year: int) -> list[tuple[datetime, datetime]]:
    """The days of a part of a month: its nth week (days 1-7, 8-14, ...; the last is its last
    seven days), nth weekend (the nth Saturday and the Sunday after it), half, fortnight, or
    third ("early", "mid", "late")."""
    month = _MONTHS[match.group("month").lower()]
    start, end = _month_period(year, month)
    length = (end - start).days
    nth, unit = match.group("nth"), match.group("unit")
    if nth is None:  # "early June", "the end of June"
        words = match.group("part").lower().split()
        first, last = _PART_DAYS[words[-2] if words[-1] == "of" else words[-1]]
        return [(start + timedelta(days=first - 1), start + timedelta(days=min(last, length)))]
    last = nth.lower() in ("last", "final")
    if unit.lower() == "weekend":
        saturdays = [start + timedelta(days=d) for d in range(length)
                     if (start + timedelta(days=d)).weekday() == 5]
        index = -1 if last else _NTH[nth.lower()] - 1
        if index >= len(saturdays):
            return [(start, end)]
        return [(saturdays[index], saturdays[index] + timedelta(days=2))]
    if unit.lower() == "fortnight":  # days 1-14, then 15 to the month's end
        index = 2 if last else _NTH[nth.lower()]
        if index > 2:  # "the third fortnight of June": the month
            return [(start, end)]
        return [(start, start + timedelta(days=14))] if index == 1 else [
            (start + timedelta(days=14), end)]
    days = {"week": 7, "half": (length + 1) // 2}[unit.lower()]
    if last:
        return [(end - timedelta(days=length - days if unit.lower() == "half" else days), end)]
    begin = start + timedelta(days=days * (_NTH[nth.lower()] - 1))
    if begin >= end:  # "the third half of June"
        return [(start, end)]
    return [(begin, min(begin + timedelta(days=days), end))]


def _list_years(months: list[int], joins: list[str], year: int) -> list[int]:
    """The year of each item of a list whose last item is of `year`, walking back: a span's
    start is of its end's year, or the year before when its month is later ("December 30
    to January 2"); another item is of the next item's year, or the year before when its
    month is more than _LIST_WRAP months later ("December 30 and January 2, 2024")."""
    years = [year] * len(months)
    for at in range(len(months) - 2, -1, -1):
        ahead = months[at] - months[at + 1]
        back = ahead > 0 if joins[at] == "span" else ahead > _LIST_WRAP
        years[at] = years[at + 1] - 1 if back else years[at + 1]
    return years


def _list_joins(match: re.Match[str], items: list[re.Match[str]]) -> list[str]:
    """How each item of a list is joined to the next: "span" ("to", a dash; the first "and"
    after "between"), "and" (and, or, &) or "comma"."""
    text, base = match.group("items"), match.start("items")
    joins = []
    for at, item in enumerate(items):
        end = items[at + 1].start() if at + 1 < len(items) else len(text)
        sep = text[item.end():end]
        joins.append("span" if _SPAN_WORD.search(sep) else
                     "and" if _JOIN_WORD.search(sep) else "comma")
    if joins and joins[0] == "and" and _BETWEEN_BEFORE.search(
            match.string[max(0, base - 16):base]):
        joins[0] = "span"  # "between 4 and 6 June and 8 July 2023"
    return joins


def _joined(periods: list[tuple[datetime, datetime]], joins: list[str]
            ) -> list[tuple[datetime, datetime]]:
    """`periods` (one per item) with each "span" join made one period from the start of the
    item before it to the end of the item after it. A reversed span names no date ("the
    score was 3-1, 4 and 5 June 2023": the 4th and the 5th); [] when nothing is left
    ("June 9 - June 3, 2023": as for a span alone, a shorter form then reads what it
    can)."""
    out: list[tuple[datetime, datetime]] = []  # one per item or span, repeats kept
    dropped = False  # the item before was a reversed span's end
    for at, period in enumerate(periods):
        if at and joins[at - 1] == "span":
            if dropped or out[-1][0] >= period[1]:  # reversed: neither end is a date
                if not dropped:
                    out.pop()
                dropped = True
                continue
            out[-1] = (out[-1][0], period[1])  # (the item before's own period, or span)
        else:
            out.append(period)
        dropped = False
    return list(dict.fromkeys(out))


def _list_periods(match: re.Match[str], year: int,
                  day_first: bool) -> list[tuple[datetime, datetime]]:
    """One day per day of a list, or one period per span in it ("from 4 to 6 and 8 June
    2023"); a day without its month takes the next month named (day first: "4 and 25
    June") or the last one named (month first: "June 4 and 25"). A month more than
    _LIST_WRAP months after the last one named is of the year before ("December 30 and
    January 2, 2024"). An impossible day is read as its month. A list written day first
    whose items are joined by commas alone is none ("I was 30, 4 June 2023"): [] (the last
    date is then read on its own)."""
    found = list(_LIST_ITEM.finditer(match.group("items")))
    joins = _list_joins(match, found)
    if day_first and all(j == "comma" for j in joins):
        return []
    items = [(item.group("before") or item.group("after"), int(item.group("day")))
             for item in found]
    if day_first:  # the last day follows the items; a month carries back from it
        items.append((match.group("month"), int(match.group("day"))))
        order, carry = items[::-1], match.group("month")
    else:  # the last item is the last day; a month carries forward from the first
        joins = joins[:-1]
        order, carry = items, match.group("month1")
    months: list[int] = []
    for name, _ in order:
        carry = name or carry
        months.append(_MONTHS[carry.lower()])
    if day_first:
        months.reverse()
    years = _list_years(months, joins, year)
    periods: list[tuple[datetime, datetime]] = []
    for month, at_year, (_, day) in zip(months, years, items, strict=True):
        try:
            start = datetime(at_year, month, day, tzinfo=UTC)
        except ValueError:
            periods.append(_month_period(at_year, month))
        else:
            periods.append((start, start + timedelta(days=1)))
    return _joined(periods, joins)


def _month_list_periods(match: re.Match[str], year: int) -> list[tuple[datetime, datetime]]:
    """Each month of a list, or one period per span in it ("May to July and October 2023"),
    of the year at its end; a month more than _LIST_WRAP months after the last one is of
    the year before ("November, December and January 2024"). "may", "march" and "august"
    in lower case are words there ("Ana may and June 2023")."""
    found = list(re.finditer(_MONTH, match.group("items"), re.I))
    joins = _list_joins(match, found)
    months: list[int] = []
    kept: list[str] = []
    for at, name in enumerate([m.group(0) for m in found] + [match.group("month")]):
        if name.islower() and name in _AMBIGUOUS_MONTHS and at < len(found):
            continue  # "Ana may and June 2023": a word, not a month
        months.append(_MONTHS[name.lower()])
        kept.append(joins[at - 1] if at else "comma")
    joins = kept[1:] + ["comma"]
    periods = [_month_period(y, m) for m, y in zip(months, _list_years(months, joins, year),
                                                   strict=True)]
    return _joined(periods, joins)
