"""mode="rules": facts and preferences in first-person statements, offline, by pattern.

One turn's text -> `Extraction`s. Each is a (subject, attribute, value) with the rule
family that found it; `negated` marks a statement that ends a stored fact without giving a
new value ("I'm not allergic to peanuts any more"). The subject of "I"/"my" is the speaker
(`speaker`, key `speaker_key`); "my sister Ana lives in Lisbon" is about Ana and also says
"<speaker>'s sister's name is Ana"; "my sister lives in Lisbon" is "<speaker>'s sister's city".

What the rules leave alone, on purpose: questions, hedges and plans ("if", "would",
"might", "I want to move to ..."), the past ("I used to live in ..."), other people's
statements in pronouns ("she lives in ...") or in quotes ("my friend told me 'I live in
...'"), their beliefs ("my doctor thinks I'm ..."), and `my X is Y` where X is not a fact's
attribute ("my point is ...", "my phone is dead"). The corpus in memos/reader/corpus holds
such turns; `memos eval reader` measures precision and recall on it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from difflib import SequenceMatcher

from memos.reader.dates import (
    MONTHS,
    UNTIL_BEFORE,
    WEEKDAYS,
    DateMention,
    held_for,
    period_end,
    resolve_dates,
)
from memos.reader.vocab import (
    APPS,
    CLUBS,
    DEMONYM_NOUNS,
    DEPARTMENTS,
    EMOJI,
    FILLERS,
    KIN_NAMES,
    KNOWN_PLACES,
    MANY_OF,
    MULTI_VALUED,
    NOT_ALLERGENS,
    NOT_EMPLOYERS,
    NOT_ORIGINS,
    NOT_PLACE_NAMES,
    NOT_PLACES,
    NUMBER_WORDS,
    ONE_THING,
    PEOPLE_ADJECTIVES,
    PERSONAL_RELATIONS,
    PETS,
    POSSESSED_ATTRIBUTES_RE,
    RELATION_RE,
    RELATIONS,
    SIZES,
    TRIP,
    VERDICTS,
    attribute_name,
    clean_value,
    relation_name,
    value_end,
)

FAMILIES = ("name", "attribute", "relation", "residence", "work", "allergy", "preference",
            "likes", "origin", "age", "negation")


@dataclass(frozen=True)
class Extraction:
    """One fact a turn states. `text` is the sentence written as the cube's content."""

    subject: str  # as written in the fact ("Alice", "Ana")
    subject_key: str  # metadata subject: "user:<id>" for the speaker, else the name
    attribute: str
    value: str  # "" only in a negation that names no value: see `ends_current`
    family: str
    negated: bool = False
    when: date | None = None  # the date the statement gives ("moved to Rome in March")
    kind: str = "fact"  # fact | preference
    # the last day `when` allows: a date said as a month or a year ends later ("in March"
    # -> 31 March); None: `when` is a day, or there is none
    when_latest: date | None = None
    # whether `when` is the value's own date ("Berlin in 2019", "Berlin last March") and not
    # just a date the sentence holds somewhere ("I joined Globex, a company founded in 1998")
    when_sure: bool = False
    # a negation without a value that leaves this value live: "I'm dating Dan now" ends the
    # boyfriend before, unless he is Dan (`_new_partner`)
    keeps: str = ""
    # a name read from chat in lower case, "hey im sam" (`lower_self_name`): "im X" is as
    # often how one is ("hey im homesick"), so it names the speaker only while no name is
    # stored, and never replaces one (memos.reader.ingest)
    tentative: bool = False
    # a negation without a value of a many-valued relation's name that ends every value,
    # not just the one there is: "I don't have a cat any more" (`_no_pets`); without it,
    # "my dog died" ends the dog's name only when one dog is stored (memos.reader.ingest)
    every: bool = False
    # a value that held once and no longer does, said as the past: "I used to live in
    # Seville", "I worked at Google for five years" (`_past_facts`); written as ended when
    # said, it ends no value that holds (memos.reader.ingest)
    past: bool = False
    # the value a correction of the previous turn replaces ("I live in Paris." / "Sorry, I
    # meant Lyon": "Paris"): that value never held, the new one held from when it was said
    # to (memos.reader.ingest)
    corrects: str = ""
    # of a past fact, the end said with it ("I lived in Leeds until 2018", "... from 2015 to
    # 2019"): the first day of the period named, and its last when it is a month or a year
    until: date | None = None
    until_latest: date | None = None

    @property
    def ends_current(self) -> bool:
        """A negation without a value ("I quit my job"): it ends the current value of the
        (subject, attribute), whatever that is."""
        return self.negated and not self.value

    @property
    def text(self) -> str:
        if self.ends_current:
            return f"{self.subject}'s {self.attribute} has ended."
        if self.past:
            return f"{self.subject}'s {self.attribute} was {self.value}."
        if self.attribute == "likes":
            return f"{self.subject} likes {self.value}."
        if self.attribute == "dislikes":
            return f"{self.subject} dislikes {self.value}."
        return f"{self.subject}'s {self.attribute} is {self.value}."

    @property
    def multi_valued(self) -> bool:
        if self.attribute.endswith("'s name") and \
                self.attribute[:-len("'s name")].rsplit("'s ", 1)[-1] in MANY_OF:
            return True  # a second friend's name: another friend (vocab.MANY_OF)
        return self.attribute.rsplit(" ", 1)[-1] in MULTI_VALUED or self.attribute in MULTI_VALUED

    def key(self) -> tuple[str, str, str]:
        """What identifies the fact for scoring and negation: subject key, attribute, value
        (lowercased)."""
        return (self.subject_key.lower(), self.attribute, self.value.lower())


# Attribute heads `my X is Y` may store (the last word of X), besides "favorite ...".
ATTRIBUTE_HEADS = frozenset({
    "name", "number", "address", "email", "birthday", "color", "colour", "food", "drink",
    "movie", "film", "book", "song", "band", "artist", "singer", "sport", "team", "city",
    "job", "employer", "age", "hobby", "town", "surname", "nickname", "type", "dish",
    "restaurant", "cuisine", "game", "show", "author", "season", "animal", "flower",
    "breed", "car", "language", "occupation", "profession", "workplace", "company", "school",
    "university", "major", "degree", "salary", "height", "weight", "size", "diet", "allergy",
    "sign", "zodiac", "username", "handle", "license", "plate", "passport", "pin", "code",
    "anniversary", "date", "coffee", "tea", "beer", "wine", "snack", "dessert", "pet",
    "e-mail", "hometown", "mobile", "cell", "github", "website", "site", "blog", "instagram",
    "twitter", "linkedin", "portfolio", "url", "discord", "telegram", "whatsapp", "youtube",
    "tiktok", "mastodon", "bluesky",
})
# Capitalised words that start sentences but are no one's name.
NOT_NAMES = frozenset({
    "i", "it", "this", "that", "there", "here", "what", "who", "he", "she", "they", "we",
    "you", "my", "your", "our", "his", "her", "their", "let", "today", "yesterday", "also",
    "so", "and", "but", "well", "oh", "yes", "no", "ok", "okay", "sure", "thanks", "sorry",
    "hi", "hello", "hey", "good", "great", "fine", "not", "just", "really", "very", "still",
    "glad", "happy", "back", "home", "done", "ready", "tired", "busy", "afraid", "american",
    "british", "english", "french", "german", "italian", "spanish", "portuguese", "chinese",
    "japanese", "korean", "indian", "canadian", "mexican", "brazilian", "irish", "scottish",
    "dutch", "swedish", "polish", "russian", "greek", "turkish", "vegan", "vegetarian",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "everyone",
    "nobody", "someone", "everything", "nothing", "mine", "new", "old", "in", "on", "at",
    "the", "a", "an", "from", "with", "always", "never", "maybe", "probably", "honestly",
    "anyway", "actually", "thank", "nice", "wow", "cool", "lol", "haha", "please", "same",
    # how one is ("I'm Hungry.", "I'm Bored"): no name
    "hungry", "bored", "sick", "ill", "exhausted", "starving", "thirsty", "sleepy", "cold",
    "hot", "late", "early", "excited", "nervous", "scared", "sad", "angry", "upset",
    "stressed", "lost", "confused", "curious", "free", "off", "out", "alive", "serious",
    "kidding", "joking", "stuck", "broke", "single", "married", "divorced", "pregnant",
    "retired", "unemployed", "sober", "lonely", "proud", "grateful", "thankful", "alright",
    "awake", "freezing", "dying", "moving", "leaving", "working", "trying", "going", "coming",
    "looking", "thinking", "feeling", "doing", "relieved", "worried", "anxious",
    "overwhelmed", "impressed", "jealous", "obsessed", "addicted", "allergic", "pescatarian",
    "fed", "finished", "hooked", "broken", "drunk", "hungover", "full", "open", "available",
    "interested", "omg", "wtf", "idk", "smh", "imo", "ngl", "tbh", "btw", "fyi", "jk", "af",
    "hilarious", "amazing", "awesome", "brilliant", "gorgeous", "beautiful", "wonderful",
    "perfect", "crazy", "insane", "annoying", "adorable", "stunning", "incredible",
    "fantastic", "fabulous", "terrible", "horrible", "awful", "thrilled", "twenty", "thirty",
    "forty", "fifty", "sixty", "seventy", "eighty", "ninety", "newly", "temporarily",
    "somehow",
}) | PEOPLE_ADJECTIVES
# A sentence with one of these is a plan, a wish, a hypothesis or the past: no fact.
_HEDGE = re.compile(
    r"\b(?:if|would|wouldn't|might|maybe|perhaps|wish|want to|wanna|hope to|hoping to|"
    r"plan(?:ning)? to|thinking (?:of|about)|going to|gonna|could|should|someday|one day|"
    r"not sure|dream(?:ing)? (?:of|about)|pretend|imagine|used to|when i was|considering|"
    r"might|may be|unless|whether|supposed to|trying to|"
    # "I don't think I'm ...", "suppose I ...", "let's say I ...": no statement
    r"(?:don't|do\s+not|didn't)\s+think|(?:(?<!a\s)(?<!no\s)doubt|suppose|supposing|assuming|"
    r"assume)\s+(?:that\s+)?"
    r"(?:I|I'm|my)|let's\s+say|hypothetically|in\s+theory|"
    # somebody else's belief about the speaker: "my doctor thinks I'm allergic to latex" (not
    # "I work at Google, everyone thinks it's cool")
    r"(?:thinks|believes|assumes|reckons|thought|believed|assumed|(?:people|they|everyone|"
    r"everybody|others|you)\s+(?:think|believe|assume))\s+(?:that\s+)?(?:I|I'm|I've|my)|"
    # a change still to come: "from next month I work at Globex", "by the time I ..., I'll"
    r"(?:from|starting|beginning|as\s+of)\s+(?:next\s+\w+|tomorrow)|"
    r"by\s+the\s+time(?=.*\b(?:I'll|I\s+will|will|I'd)\b)|"
    # words to write, translate or play, not the speaker's facts: "Write a story where I live
    # in Tokyo", "Translate: I live in Madrid", "How do you say I'm allergic ...", "In another
    # life I ..."
    r"write\s+(?:me\s+)?(?:a|an)\s+(?:\w+\s+)?(?:story|poem|song|scene|script|letter|email|"
    r"message|post|bio|dialogue)|(?<!\bI\s)translate|how\s+(?:do|would|can)\s+(?:you|I)\s+say|"
    r"in\s+(?:another|a\s+parallel|an\s+alternate|a\s+different)\s+(?:life|universe|world)|"
    r"role-?play|not\s+that\s+I|never\s+said|"
    # another's words about the speaker: "Tom texted me I live in Bristol", "Sarah keeps
    # telling everyone I'm a doctor", "My T-shirt says I love NY" (not "I told him I ...")
    r"(?:texted|keeps\s+telling\s+\w+|telling\s+everyone|claims|claimed|insists|joked|jokes|"
    r"joking|teased|teases|jokingly\s+\w+|(?<!\bI\s)(?<!\bI've\s)(?<!\bI’ve\s)always\s+"
    r"(?:said|says|told\s+me|tells\s+me))\s+"
    r"(?:me\s+|us\s+)?"
    r"(?:that\s+)?(?:I|I'm|my)|(?:shirt|mug|sign|poster|card|sticker|tattoo|bio|caption)\s+"
    r"(?:says|said|reads)\s+(?:that\s+)?(?:I|I'm|my)"
    r")\b|\bI'd\b|\bI'll\b",
    re.IGNORECASE)
_STOP_VALUES = frozenset({"it", "that", "this", "them", "him", "her", "you", "home", "the moment",
                          "all", "everything", "nothing", "something", "anything", "night",
                          "the same", "both", "one", "me", "us", "there", "here", "a lot",
                          "lots", "a bit", "so much", "too", "mine", "neither", "either",
                          "none", "myself", "yourself", "himself", "herself", "themselves",
                          "ourselves"})
# A value never starts or ends with these: "I love how you ...", "my job was hard".
_STOP_FIRST = frozenset({"to", "that", "it", "it's", "you", "them", "him", "her", "like", "how",
                         "when", "what", "why", "where", "who", "whether", "so", "very",
                         "super", "really", "pretty", "quite", "too", "kind", "sort", "great",
                         "amazing", "awesome", "nice", "good", "bad", "hard", "tough", "fine",
                         "ok", "okay", "not", "always", "never", "still", "just", "also",
                         "getting", "going", "doing", "is", "are", "was", "this", "these",
                         "those", "such", "about", "much", "more", "most", "being", "in",
                         "at", "on", "near", "by", "over", "under", "into", "from", "with",
                         "out", "off", "up", "down", "away", "back", "here", "there", "no",
                         "yes"})
_STOP_LAST = frozenset({"is", "are", "was", "were", "be", "it", "so", "the", "a", "an", "my",
                        "to", "of", "with", "for", "and", "or", "i", "me", "you"})
# A like or preference that points at the conversation ("your", "this") or needs its
# pronoun rewritten ("my job": whose?) is a reaction, not a lasting preference.
_DEICTIC = frozenset({"your", "this", "that", "these", "those", "all", "both", "my", "our",
                      "his", "her", "their", "its", "every", "each", "some", "any", "yours"})
_GERUNDS = frozenset({"hearing", "seeing", "watching", "reading", "getting", "having"})
# In a like, a word that points back into the conversation ("holding them", "the freedom it
# brings") or at the speaker ("running my own studio": the fact would have to say whose):
# the like does not stand on its own — unless the word only ends it after a preposition
# ("hiking with my dog": the like is "hiking").
_POINTING = frozenset({"my", "me", "myself", "our", "us", "ourselves", "your", "you", "yours",
                       "yourself", "them", "they", "it", "its", "this", "these", "those",
                       "him", "he", "she", "her"})
# "that" points only after a preposition ("escaping to that world"); after a noun it starts a
# clause about it ("stories that tackle big issues").
_PREPOSITIONS = frozenset({"to", "in", "into", "of", "about", "with", "for", "at", "on", "from",
                           "by", "like"})
# "I enjoy playing and pushing myself": the listing ends at the reflexive, the object of its
# last item ("I'm allergic to shellfish myself" only stresses who).
_REFLEXIVE_NEXT = re.compile(r"\s+(?:myself|ourselves|yourself|yourselves)\b", re.I)


def _own_like(value: str) -> str | None:
    """A like as a lasting taste: `value`, or its part before a preposition that leads to a
    word pointing back into the conversation ("hiking with my dog" -> "hiking", "reading
    books by her" -> "reading books"); None for a reaction ("your turtles", "this photo",
    "reading your message", "holding them", "running my own studio")."""
    written = [w.strip(",;:!?") for w in value.split()]
    words = [w.lower() for w in written]
    if words[0] in _GERUNDS and (len(words) < 2 or words[1] in _DEICTIC):
        return None
    if words[0] in _DEICTIC:
        return None
    for i in range(1, len(words)):
        if words[i] == "that":
            pointing = words[i - 1] in _PREPOSITIONS or i == len(words) - 1
        else:  # a capitalised word is a name ("the band Them", "the US")
            pointing = words[i] in _POINTING and not written[i][:1].isupper()
        if not pointing:
            continue
        if i >= 2 and words[i - 1] in _PREPOSITIONS and words[i - 1] != "like":
            return clean_value(" ".join(value.split()[:i - 1])) or None
        return None
    return value


# (never "I", "I'm", "I'd": "I told my sister I live in Leeds" names no sister)
_NAME_RE = (r"(?!I(?:['’][a-z]+)?(?![\w.'’-]))(?:[A-Z]\.\s+){0,2}[A-Z][\w'’-]*"
            r"(?:\s+(?:[A-Z][\w'’-]*|[A-Z]\.))*")  # "J. Varga" too
_TITLE_NAME = r"(?:(?:Dr|Mr|Mrs|Ms|Prof)\.?\s+)?" + _NAME_RE
# A first name said as a clause's subject ("Zoë lives in Paris", "Mary-Jane works at Aviva"):
# one word, capitalised, Latin letters with their accents, and one hyphenated part
_UPPER_L, _LOWER_L = "A-ZÀ-ÖØ-Þ", "a-zß-öø-ÿ"
_FIRST_NAME = (rf"[{_UPPER_L}][{_LOWER_L}]+(?:-[{_UPPER_L}][{_LOWER_L}]+)?(?![\w-])")
TITLES = frozenset({"dr", "mr", "mrs", "ms", "prof", "mx", "sir", "dame", "rev", "fr"})


def _bare_title(name: str) -> bool:
    """"Dr." alone: a name still to come, no name."""
    return name.lower().rstrip(".") in TITLES

# A sentence ends at . ! or ? before any word: chat starts the next one in lower case too
# ("I live at 9 Clifton Vale, Bristol. is there a gym near me?").
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[^\W\d_]|[\"'“])|\n+")
_TITLE_END = re.compile(r"(?:\b(?:Dr|Mr|Mrs|Ms|Prof|St|Jr|Sr|Mt)|\b[A-Z])\.$")
# Before a lower-case word, an abbreviation's period does not end a sentence either.
_ABBREV_END = re.compile(r"\b(?:e\.g|i\.e|a\.m|p\.m|etc|vs|approx|incl|esp|ca|cf|no|nr|St|Dr|Mr|Mrs|Ms|"
                         r"Prof)\.$", re.I)


_BLANKS = re.compile(r"[^\S\n]+")
_LINES = re.compile(r"\s*\n\s*")


# A run of emoji ends what was said before it, like a full stop, where another clause starts
# after it ("now i live in sapporo 🐱 its freezing here", "I love my job ❤️ I'm a nurse");
# before a mark or at the end it goes ("my sister just turned 30 🎉"), and inside a clause it
# is a space ("I work as a designer 🎨 at Spotify", "I love 🍕 pizza").
_EMOJI_END = re.compile(f"\\s*[{EMOJI}]+\\s*(?=[.!?,;:]|$)")
_EMOJI_BREAK = re.compile(
    f"\\s*[{EMOJI}]+\\s*(?=(?i:i|im|i'm|ive|i've|its|it's|it|we|he|she|they|you|my|his|her|"
    f"their|our|your|lol|haha|omg|tbh|ngl|btw|anyway|also|now|then|this|that|there)\\b)")
_EMOJI_RUN = re.compile(f"\\s*[{EMOJI}]+\\s*")


# What a writer who types names in lower case still capitalises: the pronoun I ("I'm", "I've")
# and the first letter of a sentence
_SHIFTED = re.compile(r"\bI(?![\w-])|(?:^|(?<=[.!?]\s))\s*[A-Z]")


def types_lower(text: str) -> bool:
    """Whether a turn is written with names in lower case: no capital letter but the pronoun
    I and sentence starts ("I live in denver.", "My sister lives in boston."), so that a
    place's or a name's case says nothing of it."""
    return not any(c.isupper() for c in _SHIFTED.sub("", text))


# A name the speaker gives themselves ("Hi, I'm Alice.", "my name is Dana Kim"): capitalised
# by a writer who types places in lower case all the same
_OWN_NAME_SAID = re.compile(r"\b(?:I['’]m|I\s+am|(?i:my\s+name\s+is|call\s+me|this\s+is))\s+"
                            r"[A-Z][a-z'’-]+(?:\s+[A-Z][a-z'’-]+)?\b")


def types_lower_but_names(text: str, speaker: str = "") -> bool:
    """`types_lower`, after leaving out the speaker's own name and a name they give
    themselves: "Hi, I'm Alice. I live in london" types places in lower case."""
    if speaker.strip():
        text = re.sub(rf"\b{re.escape(speaker.strip())}\b", "", text)
    return types_lower(_OWN_NAME_SAID.sub("", text))


# How a place of `vocab.KNOWN_PLACES` is written: words capitalised but these
_PLACE_LOWER_WORDS = frozenset({"de", "es", "of", "the"})
_PLACE_CAPITALS = frozenset({"uk", "us", "usa", "uae", "nyc", "sf", "la"})


def place_cased(value: str) -> str:
    """A known place typed in lower case, written as its name is ("london" -> "London",
    "the uk" -> "the UK", "rio de janeiro" -> "Rio de Janeiro"); any other value as it is."""
    if value != value.lower() or value.replace(".", "") not in KNOWN_PLACES:
        return value  # (known with or without its abbreviation's dot: "st. louis")
    words = value.split()
    return " ".join(w.upper() if w in _PLACE_CAPITALS else
                    w if w in _PLACE_LOWER_WORDS and (i or w == "the") else w.capitalize()
                    for i, w in enumerate(words))


def _names_known_place(text: str) -> bool:
    """Whether `text` names a place of `vocab.KNOWN_PLACES` in lower case (a word or two)."""
    words = re.findall(r"[a-z][a-z'-]*", text)
    return any(w in KNOWN_PLACES for w in words) or any(
        f"{a} {b}" in KNOWN_PLACES for a, b in zip(words, words[1:], strict=False))


# A move out that did not last: "... then moved back in 2018", "... for a year"
_BACK_OR_AWHILE = re.compile(r"\b(?:moved\s+back|came\s+back|went\s+back|returned|"
                             r"for\s+(?:a|one|two|six|a\s+few|a\s+couple\s+of|several|\d+)\s+"
                             r"(?:years?|months?|weeks?|days?|while|bit|semester|term))\b", re.I)


def _a_place(value: str, turn: _Turn) -> bool:
    """Whether a value read where a place may stand names one: capitalised as a name
    ("Leeds", not "my flat"), or a place `vocab.KNOWN_PLACES` knows in a turn typed in
    lower case ("leeds")."""
    value = value.strip()
    if not value:
        return False
    if re.search(r"['’]s(?:\s+(?:place|house|flat|apartment|home|room|parents))?$", value, re.I):
        return False  # "Sarah's place", "Sarah's"
    return _a_name(value, turn)


def _a_name(value: str, turn: _Turn) -> bool:
    """`_a_place`'s test of a name, without its test of a possessive: of a workplace ("St
    Mary's", "McDonald's")."""
    value = value.strip()
    if not value:
        return False
    if value[:1].isupper():  # ("New York", "The Hague"; not "My flat", "Mum's")
        first = value.split()[0].lower().rstrip("'’s")
        return first not in _POSSESSIVE and first not in KIN_NAMES and first not in _OPENERS - {
            "the"}
    return turn.caseless and value.lower() in KNOWN_PLACES


def emoji_breaks(text: str) -> str:
    """`text` with its emoji read as the ends of what they follow, or as spaces inside a
    clause."""
    if not any(ord(c) >= 0x2600 for c in text):
        return text
    return _EMOJI_RUN.sub(" ", _EMOJI_BREAK.sub(". ", _EMOJI_END.sub("", text)))


# A second kind of relative in a list of what one has: "I have two sisters, Anna and Beth,
# and a brother named Carl", "I have a brother named Carl and two sisters, Anna and Beth"
# (as "... . I also have a brother named Carl": one kind to a clause, as the rules read it)
_AND_KIN = re.compile(
    r"(?<=\w)\s*[,;]?\s+and\s+(?=(?:a|an|one|two|three|four|five)\s+(?:(?:little|big|younger|"
    r"older|baby|twin|step-?)\s+)?(?:brother|sister|son|daughter|kid|child|cousin|nephew|niece|"
    r"stepson|stepdaughter|half-brother|half-sister|dog|cat|puppy|kitten)(?:s|ren)?\s*"
    r"(?:named|called|,|:|\(|-|–|—))", re.I)
_HAVE_LIST = re.compile(r"\b(?:I|we)\s+(?:also\s+)?(?:have|(?:'ve|’ve|have)\s+got)\s+"
                        r"(?:a|an|one|two|three|four|five)\s", re.I)


def kin_breaks(text: str) -> str:
    """`text` with a second kind of relative in a list of what one has told as a clause of
    its own (`_AND_KIN`)."""
    if " and " not in text:
        return text
    out, last = [], 0
    for m in _AND_KIN.finditer(text):
        start = max(text.rfind(". ", 0, m.start()), text.rfind("! ", 0, m.start()),
                    text.rfind("? ", 0, m.start()), -1) + 1
        if _HAVE_LIST.search(text, start, m.start()):
            out += [text[last:m.start()], ". I also have "]
            last = m.end()
    return "".join(out) + text[last:] if out else text


def squeeze(text: str) -> str:
    """Runs of blanks as one space and of line breaks as one: the clause patterns then scan
    each position once (a run of 20,000 spaces made them quadratic)."""
    return _LINES.sub("\n", _BLANKS.sub(" ", text))


def sentences(text: str) -> list[str]:
    """The text's sentences (a title's or an initial's period does not end one)."""
    parts = _SENTENCE.split(squeeze(text))
    out: list[list[str]] = []
    for part in parts:
        # Only the end of the sentence so far can be a title: look at its last characters.
        last = out[-1][-1] if out else ""
        tail = max(0, len(last) - 8)
        if out and (_TITLE_END.search(last, tail)
                    or (part[:1].islower() and _ABBREV_END.search(last, tail))):
            out[-1].append(part)
        else:
            out.append([part])
    joined = (" ".join(p) for p in out)
    return [p.strip() for p in joined if p and p.strip()]


# "last week", "last year", "last night": a time (not "last night's bill", "last orders")
_LAST_TIME = (r"last\s+(?:week|weekend|month|year|summer|winter|spring|autumn|fall|night|"
              r"time|christmas)\b(?!['’])")
# What a couple did together that ended it ("Sam and I broke up", "... split up", "... got
# divorced", "... split last year"; not "Sam and I split a pizza"): `_ended_ties` reads it.
_JOINT_TIE_VERB = (
    r"(?:(?:have|had|'ve|’ve|just|finally|officially|recently|sadly|actually)\s+)*"
    r"(?:broke\s+up|broken\s+up|split\s+up|separated|divorced|got\s+divorced|"
    r"called\s+it\s+quits|ended\s+things|(?:am|are|'re|’re)\s+(?:now\s+|officially\s+)?"
    r"(?:divorced|separated|over)|split(?=\s*(?:$|[.,;!]|\s+(?:" + _LAST_TIME + r"|this|in|on|after|because|"
    r"yesterday|recently|for\s+good|(?:a|an|two|three|few|several)\s+(?:week|month|year|"
    r"while|few|couple|days?)s?)\b))|"
    # a couple no more: "... are no longer together", "... aren't dating any more", "...
    # stopped seeing each other"
    r"(?:are|'re|’re)\s+no\s+longer\s+(?:together|dating|a\s+couple|an\s+item|married|engaged|"
    r"seeing\s+each\s+other|in\s+a\s+relationship)|"
    r"(?:aren['’]t|are\s+not|['’]re\s+not)\s+(?:together|dating|a\s+couple|an\s+item|married|"
    r"engaged|seeing\s+each\s+other|in\s+a\s+relationship)\s+any\s?(?:more|longer)|"
    r"(?:stopped|quit)\s+(?:dating|seeing\s+each\s+other))")

# A couple's tie said by its verb: "dating Tom", "going out with Tom" (`_REL_NAMED`: the
# speaker's partner; `_PARTNER_SAID`: whom a break-up ends).
_DATING = r"(?:dating|seeing|going\s+out\s+with|in\s+a\s+relationship\s+with)"
# Before the partner's verb: "I'm (now) dating", "I've been seeing", "I (just) started going
# out with" (not "I'm seeing Dan": a meeting as often; "I was dating Tom": the past)
_STILL = (r"(?:(?:now|also|still|currently|officially|happily|actually|really|kind\s+of|"
          r"sort\s+of)\s+)*")
_STARTED = r"(?:(?:just|recently|finally|actually|officially)\s+)*(?:started|began)\s+"
# What a couple is, said of both ("Dan and I are dating", "... have been dating", "...
# started going out"): one subject, `_CLAUSE_SPLIT` keeps it whole; `_REL_NAMED` reads it
# ("together" is said of friends and business partners too, "are going out" of an evening:
# neither is read)
_COUPLE_VERB = (rf"(?:(?:are|['’]re)\s+{_STILL}(?:dating|seeing\s+each\s+other|a\s+couple|"
                rf"in\s+a\s+relationship)|(?:have|['’]ve)\s+been\s+{_STILL}(?:dating|going\s+out|"
                rf"seeing\s+each\s+other|a\s+couple|in\s+a\s+relationship)|"
                rf"{_STARTED}(?:dating|going\s+out|seeing\s+each\s+other))")


# What a couple did or is that makes a spouse or a fiancé ("Sam and I got married", "... tied
# the knot", "... are engaged"): `_REL_NAMED` reads it ("engaged" -> fiancé, else spouse).
# "are engaged" ends its clause (`_COUPLE_END`: not "... are engaged in a lawsuit"); what
# happened may go on with when or where ("... got married last June", "... in Paris").
_WED_ADV = r"(?:(?:just|recently|finally|officially|happily|actually|secretly)\s+)*"
_WED_DONE = (rf"{_WED_ADV}(?:got\s+(?:married|engaged|hitched)|tied\s+the\s+knot)"
             r"(?=\s*(?:[.;!,)]|$|\s+(?:in|on|at|last|this|two|three|a|an|\d+|after|before|"
             r"and|but|so|because|when|yesterday|recently|finally|today|over|back)\b))")
_WED_STATE = (r"(?:are|['’]re)\s+(?:now\s+|happily\s+|officially\s+)?(?:married|engaged)"
              r"(?!['’])(?=\s*(?:[.;!,)]|$|\s+(?:and\s+(?:I|we|it|so|my)\b|but\b|now\b|"
              r"because\b|so\b|though\b|since\b|for\b)))")


# Where a sentence holds another clause: a comma, semicolon or dash before a word that
# starts one (a pronoun, an auxiliary or question word, a hedge, a participle of the
# statements the rules read), or "and"/"but"/"so" before a first-person subject.
_CLAUSE_SPLIT = re.compile(
    r"(?:,|;|\s[-–—])\s+(?=(?:and\s+|but\s+|so\s+|or\s+|then\s+|now\s+|also\s+|"
    # "..., but sadly I live in Croydon"
    r"(?:sadly|unfortunately|luckily|thankfully|honestly|actually|currently|realistically|"
    r"alas),?\s+)*"
    r"(?:I|we|he|she|they|it|it's|you|there|this|that|is|are|am|was|were|can|could|would|"
    r"will|do|does|did|should|shall|may|might|have|has|what|where|when|why|who|which|how|"
    r"any|anything|anyone|maybe|perhaps|please|hope|thanks|thank|let's|lol|haha|idk|"
    r"born|based|living|grew|originally|my|put|add|give|tell|show|make|help|send|find|play|"
    r"suggest|recommend|check|look|remind|note|save|remember|write|book|get|let|need|"
    r"trying|wondering|prefer|home\s+is|home's|everyone|everybody|people|nobody|no\s+doubt|"
    # "My son is 7, his name is Leo": the name of the one the clause before named
    r"his\s+(?:first\s+)?name|her\s+(?:first\s+)?name|"
    # a hedge said without its subject: "I live in Bristol, thinking of moving to Bath"
    r"thinking|considering|planning|hoping|wanting)\b)"
    # "... but thinking about moving", "I work at Google but might quit soon": the hedge is
    # the second clause's only
    r"|\s+but\s+(?=(?:also\s+|maybe\s+|probably\s+|now\s+|still\s+)?(?:thinking|considering|"
    r"planning|hoping|might|may|could|would|want|wanna|gonna|going\s+to|will)\b)"
    # (not a couple's "Sam and I broke up", "Dan and I are dating", "Sam and I got married":
    # one subject, `_ended_ties`, `_REL_NAMED`)
    r"|\s+(?:and(?!\s+I\s+(?:" + _JOINT_TIE_VERB + "|" + _COUPLE_VERB + "|" + _WED_DONE + "|"
    + _WED_STATE + r"))|but|so)\s+"
    r"(?=(?:now\s+|then\s+|also\s+|today\s+)?(?:I|we|he|she|they)\b)"
    r"|,\s+(?=so\b)|\s+so\s+(?=(?:at\s+least|that|the|it|this|there)\b)"
    r"|\s+(?=(?:even\s+|only\s+|what\s+|as\s+|but\s+)?(?:if|in\s+case|unless)\s)"  # "... if you need it"
    r"|,?\s+so\s+(?=(?:can|could|would|will|do|does|is|are|what|where|how|any|please)\b)",
    re.IGNORECASE)
# A clause that asks: an auxiliary or question word first ("is it ok to ...?", "any ideas
# for ...?", "do you know ...?").
_ASKS = re.compile(
    r"^(?:(?:and|but|so|or|then|ok|okay|oh|hey|also|btw),?\s+)*(?:is|are|am|was|were|can|could|"
    r"would|will|do|does|did|should|shall|may|might|have|has|what|where|when|why|who|which|"
    r"how|any|anything|anyone|isn't|aren't|don't|doesn't|right|no|yes|or)\b", re.IGNORECASE)


# A word that makes the clause after it a supposition ("Hypothetically, I live in Tokyo"):
# the two stay one clause, which `_HEDGE` then passes over.
_OPENS_A_HEDGE = re.compile(r"(?:so\s+|and\s+|but\s+)?(?:hypothetically|theoretically|"
                            r"in\s+theory|suppose|say|imagine|assuming|let's\s+say|ideally)"
                            r"\s*[,:]?", re.I)


def clauses(text: str) -> list[str]:
    """Sentences, split again where another clause starts ("I no longer live in Cairo, I
    moved to Dubai" is two statements). In a sentence that ends with a question mark, the
    question is the clause that asks and what follows it, and the whole sentence when it
    opens with the question: "My email is a@b.org, is it ok to use it?" still states the
    e-mail address; "Do you know if I live in Paris, or Rome?" states nothing. Each part
    that is a question keeps a question mark, so the rules pass over it."""
    out = []
    for sentence in sentences(text):  # (whitespace squeezed there)
        parts: list[str] = []
        for part in (p.strip() for p in _CLAUSE_SPLIT.split(sentence) if p and p.strip()):
            if parts and (_OPENS_A_HEDGE.fullmatch(parts[-1])
                          or re.match(r"by\s+the\s+time\b", parts[-1], re.I)):
                parts[-1] = f"{parts[-1]}, {part}"  # "Hypothetically, I live in Tokyo"
            else:
                parts.append(part)
        if sentence.rstrip().endswith("?") and parts:
            asks = next((i for i, p in enumerate(parts) if _ASKS.match(p)), len(parts) - 1)
            parts = [p if i < asks or p.endswith("?") else p + "?" for i, p in enumerate(parts)]
        out.extend(parts)
    return out


# Where a listing value ends ("peanuts, shellfish and eggs" runs on past its commas and
# "and"): at a sentence's end, another subject, or a clause word.
_LIST_END = re.compile(
    # "I like tea not coffee", "I'm allergic to nuts mostly": the list ends there
    r",?\s+(?-i:not\s+(?=\w))|\s+(?:mostly|usually|mainly)\b|"
    r"[.;!?(]|,?\s+and\s+(?=(?:it|it's|i|i'm|we|they|he|she|that|this|there|so|then|my|our|"
    r"his|her|their)\b)|,\s+(?=(?:my|our|so)\b)|,\s+(?=\w+ly\s*(?:[.,!;]|$))|"
    # "no longer allergic to shellfish, just peanuts": the list ends before what is kept
    r",\s+(?=(?:just|only|not|except|still|apart\s+from)\b)|"
    # "allergic to penicillin, found out the hard way": a clause after the list, no item
    r",\s+(?=(?:found|learned|learnt|discovered|figured|realised|realized|diagnosed|confirmed|"
    r"tested|turns|turned|ever|since|thanks|who|according|as|like|it|it's|had|got|been|"
    r"tastes|smells|looks|sounds|feels)\b)|"
    # a clause of its own after the list: "penicillin, the test was negative"
    r",\s+(?=(?:the|my|a|an)\s+\w+\s+(?:was|is|were|are|came|said|says|showed|shows)\b)|"
    r"\s+(?:but|because|since|so|though|although|"
    r"which|when|now|anymore|any more|these days|too|either|as well|especially|including|myself|"
    rf"after all|though|already|way more|at the moment|right now|lately|{FILLERS})\b|\s[-–—]\s",
    re.I)


# Time phrases a value runs into: "I moved to New York City last summer", "... to Rome back
# then", "... to Berlin a while back", "I joined Acme in late 2019". The value ends where
# one starts. A date memos.reader.dates resolves ends it as well and gives the fact its date
# (`_Turn.add`); these patterns add the shapes it does not resolve, or resolves only a part
# of ("back in 2019", "about a year ago"). A phrase opens with a lower-case word, so a name
# or a title keeps its words ("USA Today", "Last Christmas", "Winter Park"), or with a
# month and its day ("Berlin March 3rd"); a month or a season followed by a capitalised
# word is a name ("in May Street", "in Spring Valley"), and "last"/"this" after an article,
# a possessive or "of" is no date ("the last week of June", "my next year abroad").
_T_MONTH = r"(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_T_WEEKDAY = r"(?:" + "|".join(WEEKDAYS) + r")"
_T_SEASON = r"(?:summer|winter|spring|autumn|fall)"
_T_YEAR = r"(?:19|20)\d\d\b"
_T_NOT_NAME = r"(?![\w'’-]|\s+(?-i:[A-Z])[a-z])"  # not "May's", "May Street", "Spring Valley"
_T_PART = r"(?:\s+(?:morning|afternoon|evening|night))?"
_T_PERIOD = (rf"(?:(?:week(?:end)?|month|year|semester|term|season|quarter|night|morning|"
             rf"afternoon|evening|{_T_SEASON}|christmas|easter|thanksgiving|halloween|"
             rf"new\s+year['’]?s?){_T_PART}|{_T_WEEKDAY}{_T_PART}|{_T_MONTH})"
             r"(?![\w'’-]|\s+of\b)")
_T_NUM = (r"(?:an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|"
          r"thirty|a\s+few|few|a\s+couple(?:\s+of)?|couple\s+of|several|some|many|\d{1,3})")
_T_UNIT = r"(?:minutes?|hours?|days?|nights?|weeks?|weekends?|months?|years?|decades?)"
_T_EDGE = r"(?:early|late|mid)[-\s]?"
# What follows "in", "since", "back in", ...: a year, a decade, a month (with its day, its
# year), a day of a month, an ISO date, a weekday; "in the summer" only where the value is a
# place or an organisation (`_T_SEASONAL`).
_T_DATE = (rf"(?:{_T_EDGE})?(?:{_T_YEAR}(?!-)|(?:19|20)?\d0['’]?s\b|['’]\d0s\b|"
           r"(?:nine|eigh|seven|six)ties\b|noughties\b)"
           rf"|(?:{_T_EDGE})?{_T_MONTH}(?:\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?:,?\s+{_T_YEAR})?|"
           rf",?\s+{_T_YEAR}|{_T_NOT_NAME})"
           rf"|(?:the\s+)?\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_T_MONTH}(?:,?\s+{_T_YEAR})?"
           rf"(?![\w'’-])|(?:the\s+)?\d{{1,2}}(?:st|nd|rd|th)(?=\s*(?:$|[^\w\s]))"
           rf"|{_T_YEAR}-[01]\d-[0-3]\d\b|{_T_WEEKDAY}{_T_PART}(?![\w'’-])"
           rf"|(?:the\s+)?(?:{_T_EDGE})?{_T_SEASON}\s+(?:of\s+)?{_T_YEAR}")
_T_ANCHORED = (
    # "two years ago", "about a year ago", "a few months back", "the week before last"
    rf"(?:(?:just|only|about|around|roughly|nearly|almost|over|under|like|maybe|probably|"
    rf"at\s+least|more\s+than|less\s+than|a\s+good)\s+)?{_T_NUM}\s+{_T_UNIT}"
    r"(?:\s+and\s+a\s+half)?\s+(?:ago|back)\b"
    r"|(?:quite\s+)?(?:a\s+(?:(?:long|short|little|good)\s+)?|some\s+)(?:time|while)\s+"
    r"(?:ago|back)\b"
    r"|(?:not\s+(?:so\s+|that\s+)?)?(?:long|ages|years|months|weeks|days|decades)\s+"
    r"(?:ago|back)\b"
    r"|the\s+(?:day|week|weekend|month|year)\s+before\s+(?:last|yesterday)\b"
    r"|the\s+(?:other|previous|following)\s+(?:day|night|week|weekend|month|year)\b"
    # "back then", "back in 2019", "back in the day", "way back when"
    r"|(?:way\s+)?back\s+(?:then|when|in\s+the\s+day|in\s+(?:high\s+)?school|in\s+college|"
    rf"in\s+uni(?:versity)?|(?:in|around|during)\s+(?:the\s+)?(?:{_T_DATE}))"
    # "last summer", "this past spring", "next Monday night", "earlier this year"
    r"|(?:(?:earlier|later|early|late)\s+)?(?:last|this|next|this\s+past|this\s+coming|past)\s+"
    rf"{_T_PERIOD}"
    r"|(?:in|over|during|for|within)\s+the\s+(?:past|last)\s+"
    rf"(?:(?:few|couple\s+of|{_T_NUM})\s+)?{_T_UNIT}\b"
    # "in late 2019", "since March", "on March 3rd", "in the summer of 2019", "on Monday"
    r"|(?:in|on|since|during|around|from|until|till|as\s+of|sometime\s+in|(?:early|late)\s+in|"
    r"(?:at|by)\s+the\s+(?:start|end|beginning|middle)\s+of)\s+(?:the\s+)?"
    rf"(?:{_T_DATE})"
    rf"|{_T_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?:,?\s+{_T_YEAR})?"
    r"|at\s+(?:present|the\s+minute|this\s+point)\b"
    r"|over\s+the\s+weekend\b"
    # "yesterday", "recently", "yesterday morning": an adverb that ends the value, not a
    # title's ("the day after tomorrow")
    r"|(?<!\bafter )(?<!\bbefore )(?<!\buntil )(?<!\btill )(?<!\bfor )(?<!\bfrom )(?<!\bby )"
    r"(?:yesterday|today|tonight|tomorrow|recently|lately|earlier|overnight|just\s+now)"
    r"(?:\s+(?:morning|afternoon|evening|night))?"
    r"(?=\s*(?:$|[^\w\s'’-])|\s+(?:with|for|from|to|at|in|on|and|but|after|before|because|so|"
    r"as|when|though|too|again|already|" + FILLERS + r")\b)")
# A season or a holiday said without which one: a time of year for a place or an employer
# ("I moved to Berlin in the spring"), part of a taste in a like ("hiking in the fall").
_T_SEASONAL = (rf"(?:in|during|over|through(?:out)?|since|until|till)\s+(?:the\s+)?"
               rf"(?:(?:{_T_EDGE})?{_T_SEASON}{_T_NOT_NAME})"
               r"|(?:at|over|around|since|until)\s+(?:christmas|easter|thanksgiving|"
               r"new\s+year['’]?s?)(?![\w'’-])"
               r"|(?:on|at)\s+the\s+weekend\b")
# The word before a phrase: not an article, a possessive or "of" ("the last week of June").
_T_LEAD = (r"(?<!\bthe)(?<!\ba)(?<!\ban)(?<!\bmy)(?<!\bour)(?<!\byour)(?<!\bhis)(?<!\bher)"
           r"(?<!\btheir)(?<!\bits)(?<!\bof)\s+(?=(?-i:[a-z])|" + _T_MONTH + r"\s+\d|"
           r"\d{1,3}\s+" + _T_UNIT + r"\s+(?:ago|back)\b)")  # ("Berlin 2 years ago")
_TIME = re.compile(rf"{_T_LEAD}(?:{_T_ANCHORED})", re.I)
_TIME_OR_SEASON = re.compile(rf"{_T_LEAD}(?:{_T_ANCHORED}|{_T_SEASONAL})", re.I)
# Where a time of year ends a value too: a place's or an organisation's.
_SEASONAL_ATTRS = frozenset({"residence", "city", "address", "employer", "job", "home town"})
# Values that are dates themselves ("my birthday is on 3 May"): never cut.
_DATE_ATTRS = ("birthday", "anniversary", "date", "season", "day", "month", "year", "time")


# "I was born on 3 May (1990)", "My sister was born on May 3rd", "Ana was born on the 3rd of
# May": a birthday, said as "<whose> birthday is <date>" (`born_on`)
_BORN_ON = re.compile(
    rf"\b(?P<who>I|[Mm]y\s+(?:[a-z]+\s+)?(?:{RELATION_RE})|[A-Z][a-z]+)\s+was\s+born\s+on\s+"
    rf"(?P<date>(?:the\s+)?\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?i:{_T_MONTH})\b"
    rf"(?:,?\s+\d{{4}}\b)?|(?i:{_T_MONTH})\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?:,?\s+\d{{4}}\b)?)"
    r"(?:(?P<place>\s+in\s+)|(?P<more>\s+(?=\w)))?")


def born_on(text: str) -> str:
    """`text` with "X was born on <day and month>" said as "X's birthday is <date>", the
    date a sentence of its own ("I was born on 4 July 1990 in Leeds": the birthday, and
    "I was born in Leeds")."""
    if "born" not in text:
        return text

    def said(m: re.Match[str]) -> str:
        who = m.group("who")
        birthday = "my birthday is" if who == "I" else f"{who}'s birthday is"
        rest = (f". {who} was born in " if m.group("place") else ". " if m.group("more")
                else "")  # "... at 3am": no more of the date
        date = re.sub(r",\s*", " ", m.group("date"))  # "May 3, 1990": one value
        return f"{birthday} {date}{rest}"
    return _BORN_ON.sub(said, text)


def _in_a_name(value: str, phrase: str) -> bool:
    """Whether the date `phrase` is a word of a name inside `value` ("USA Today", "The Day
    Today"): capitalised after the value's first word, and no month or weekday."""
    pos = value.lower().find(phrase.lower())
    first = phrase.split()[0].lower().rstrip(".") if phrase.split() else ""
    return pos > 0 and value[pos].isupper() and first not in MONTHS and first not in WEEKDAYS


def _time_at(text: str, start: int, attribute: str | None, end: int | None = None) -> int | None:
    """Where a time phrase starts in text[start:end] after at least one word of a value of
    `attribute` (the phrase may run on past `end`), or None; always None for a value that is
    itself a date, and when the words before the phrase are a time phrase too."""
    if attribute is not None and attribute.endswith(_DATE_ATTRS):
        return None
    pattern = _TIME_OR_SEASON if attribute in _SEASONAL_ATTRS else _TIME
    end = len(text) if end is None else end
    # (a phrase is under 80 characters: what lies further cannot change a match before `end`)
    m = pattern.search(text, start, min(len(text), end + 80))
    if m is None or m.start() >= end or not text[start:m.start()].strip():
        return None
    if pattern.fullmatch(" " + text[start:m.start()].strip()):
        return None  # a value made only of time words ("tonight tonight", a song) is whole
    return m.start()


def _value(sentence: str, start: int, *, listing: bool = False,
           attribute: str | None = None) -> str:
    """The value that starts at sentence[start:]; a listing keeps "and"/commas (allergies,
    likes) so that it can be split. It ends before a time phrase ("Rome back then", "Berlin
    a while back": the phrase can run past a clause word that would end it midway)."""
    if listing:
        m = _LIST_END.search(sentence, start)
        end = m.start() if m else len(sentence)
    else:
        end = value_end(sentence, start)
    cut = _time_at(sentence, start, attribute, end)
    return clean_value(sentence[start:end if cut is None else cut], keep_quotes=listing)


def _address_value(sentence: str, start: int) -> str:
    """An address at sentence[start:] ("14 Elm Road, Leeds"), up to a time phrase; typed in
    lower case, with its town when the rules know the place ("8 park road, leeds")."""
    end = value_end(sentence, start, address=True)
    town = re.match(r",\s*([a-z][a-z ]{1,30}?)(?=\s*(?:$|[.!;]|\s+(?:lol|haha)\b))",
                    sentence[end:])
    if town is not None and town.group(1).strip() in KNOWN_PLACES:
        end += town.end()
    cut = _time_at(sentence, start, "address", end)
    return clean_value(sentence[start:end if cut is None else cut])


# Words before a listed item that are not part of it ("both cats and dogs", "wasps, bees and
# apparently hornets"), and items that are none ("nuts, eggs, etc.")
_ITEM_LEAD = re.compile(r"^(?:both|apparently|also|even|maybe|probably|possibly|especially|"
                        r"mainly|mostly)\s+(?=\S)", re.I)
_NO_ITEMS = frozenset({"etc", "and so on", "ironic", "lol", "haha", "so on"})
_TITLE_MARK = re.compile("\ue000(\\d+)\ue001")


def _title_back(titles: list[str], m: re.Match[str]) -> str:
    """The quoted title a mark of _split_list stands for (a mark typed in the text stays)."""
    i = int(m.group(1))
    return titles[i] if i < len(titles) else m.group(0)


_QUOTED_ITEM = re.compile(r'"[^"]+"|“[^”]+”')


def _split_list(value: str) -> list[str]:
    """"peanuts, shellfish and eggs" -> three values; a phrase whose parts are not short
    items ("a safe and inviting place") stays one value."""
    value = _ITEM_LEAD.sub("", value)  # "both cats and dogs", "apparently hornets"
    # (a quoted title is one item: "Pride and Prejudice")
    # (and so is a name of one thing said with "and": "fish and chips")
    titles = [m.group(0) for m in _QUOTED_ITEM.finditer(value)]
    value = _QUOTED_ITEM.sub(lambda m: f"\ue000{titles.index(m.group(0))}\ue001", value)
    titles += [m.group(0) for m in ONE_THING.finditer(value)]
    value = ONE_THING.sub(lambda m: f"\ue000{titles.index(m.group(0))}\ue001", value)
    # (words are counted with each title or name one word: "salt and vinegar crisps" is two)
    marked = [_ITEM_LEAD.sub("", p) for p in (clean_value(p) for p in re.split(
        r",\s*(?:and\s+|or\s+)?|\s+and\s+|\s+or\s+|\s*&\s*", value))
        if p and p.lower().rstrip(".") not in _NO_ITEMS]
    kept = [p for p in marked if not (len(p) == 1 and p.islower())]  # not the "e" of "e.g."
    whole = clean_value(value)
    if kept and all(len(p.split()) <= 3 for p in kept) and (len(kept) > 1 or len(marked) > 1):
        return [clean_value(_TITLE_MARK.sub(lambda m: _title_back(titles, m), p)) for p in kept]
    if len(whole.split()) > 6:
        return []
    return [clean_value(_TITLE_MARK.sub(lambda m: _title_back(titles, m), whole))]


def _ok_value(value: str, *, place: bool = False, attribute: str = "") -> bool:
    """Whether `value` can be a value (of `attribute`, when given: a taste for a state, "I
    hate being late", and a favourite's title in capitals, "My favorite movie is Up", pass
    whatever their words)."""
    if not value or len(value) > 64 or value.lower() in _STOP_VALUES:
        return False
    if attribute.split("'s ")[-1] in ("likes", "dislikes") and _BEING.fullmatch(value):
        return True
    if _title_value(attribute, value):
        return True
    words = value.lower().split()
    if (words[0] in _STOP_FIRST and not _word_place(value, place, attribute)) or \
            words[-1] in _STOP_LAST or value.split()[0] in _STOP_FIRST_LOWER:
        return False
    if place and not _THE_NAME.fullmatch(value) and not value[:1].isupper() and \
            not value[:1].isdigit():
        return False
    return True


# ... in lower case only ("left for work", "left me for work"; not "US Bank", "For Honor")
_STOP_FIRST_LOWER = frozenset({"for", "me", "us"})
# Words that open no value ("nice", "great": `_STOP_FIRST`) but a place's name in capitals
# ("I live in Nice", "I'm from Great Yarmouth", "Good Hope"): read as the name where a place is
# read, capitalised after its verb (`_word_place`).
_PLACE_WORDS = frozenset({"nice", "great", "good", "bad", "fine", "hard", "tough", "amazing",
                          "awesome", "pretty", "super", "much"})
_PLACE_ATTRS = frozenset({"city", "home town", "country"})


def _word_place(value: str, place: bool, attribute: str) -> bool:
    """Whether `value`, whose first word opens no value, is a place's name all the same: a
    word of `_PLACE_WORDS` capitalised as a name ("Nice", not "nice" nor "NICE"), where a
    place is read (`place`, or a place's attribute: "city", "sister's home town")."""
    first = value.split()[0]
    return (first.lower() in _PLACE_WORDS and first[:1].isupper() and first[1:].islower()
            and (place or attribute.rsplit("'s ", 1)[-1] in _PLACE_ATTRS))


# A place named with "the": "the UK", "the Bay Area", "the Isle of Man" (not "the Sales team")
_THE_NAME = re.compile(r"the\s+(?-i:[A-Z])[\w'’.-]*(?:\s+(?:(?-i:[A-Z])[\w'’.-]*|of|and|de|la))*",
                       re.I)


def _title_value(attribute: str, value: str) -> bool:
    """A favourite's value that is a title in capitals, whatever its words ("My favorite
    movie is Up", "... band is Yes"): not "I" (`_ok_value` has left out pronouns: "It")."""
    return "favorite" in attribute and value[:1].isupper() and value.lower() not in ("i", "i'm")


# Words before a value that are not part of it: "(my company is) called Brightwave", "(my
# favorite color is) probably green", "(my cuisine is) mostly Italian"
_VALUE_LEAD = re.compile(r"^(?:called|named|probably|usually|mostly|definitely|always|still|"
                         r"currently|officially)\s+(?=\S)", re.I)
# An attribute whose value may be an -ing word ("my hobby is painting", "my favourite food is
# pudding"); of the others, "my team is losing", "my restaurant is closing" is a state
_GERUND_VALUES = frozenset({"hobby", "sport", "job", "occupation", "profession", "food", "dish",
                            "snack", "dessert", "pastime", "activity", "exercise", "game",
                            "name", "nickname", "surname", "major", "degree", "drink"})
_STATE_ADVERBS = frozenset({"literally", "basically", "fully", "totally", "completely",
                            "constantly", "finally", "currently", "actually", "really",
                            "seriously", "slowly", "quickly", "absolutely", "apparently",
                            "officially", "permanently", "temporarily", "still", "already"})
# A verdict whatever follows it: "the worst day of the year", "the same day as ...", "none of
# your business", "due for an MOT"
_STRONG_VERDICTS = frozenset({"best", "worst", "same", "only", "none", "due", "stuck", "public",
                              "average", "unknown", "useless", "laughable", "embarrassing",
                              "toxic", "empty", "secure", "dying", "showing", "undeclared",
                              "understaffed", "sore"})


def _verdict(value: str, attribute: str) -> bool:
    """A lower-case value that judges or says a state ("hell", "a joke", "so boring",
    "broken again"): no value of "my job is ...", "my city is ..." (vocab.VERDICTS; a size
    is one, but of a size, a height or a weight)."""
    words = value.split()
    if not words or not words[0][:1].islower():
        return False
    words = [w.lower().strip(".,!?") for w in words]
    while len(words) > 1 and words[0] in ("a", "an", "the", "such", "total", "complete",
                                           "absolute", "real", "bit", "of", "little"):
        words = words[1:]
    if len(words) > 1 and words[0].endswith("ing") and (
            words[1] in _OBJECT_WORDS or words[1] in ("for", "off", "down", "apart", "through")):
        return True  # "making a weird noise", "driving me crazy", "killing it"
    head = attribute.split()[-1]
    if words[0] in _STRONG_VERDICTS or (len(words[0]) > 4 and words[0].endswith("ed")):
        return True  # "the worst day", "parked outside", "expired", "closed today"
    if words[0].endswith("ing") and len(words[0]) > 4 and head not in _GERUND_VALUES:
        return True  # "my team is losing again", "my restaurant is closing"
    if words[0] in _STATE_ADVERBS and len(words) > 1 and words[1].endswith(("ing", "ed")):
        return True  # "literally falling apart", "finally closed"
    judged = words[0] in VERDICTS or (words[0] in SIZES and head not in (
        "size", "height", "weight"))
    return judged and (len(words) == 1 or words[1] in _AFTER_VERDICT)


_OBJECT_WORDS = frozenset({"a", "an", "the", "me", "us", "him", "her", "them", "it", "my",
                           "our", "your", "his", "their", "everyone", "everything"})
# What follows a verdict ("beautiful in spring", "broken again", "hell on earth"), where a
# value's next word would name it ("late autumn", "new order")
_AFTER_VERDICT = frozenset({"in", "at", "on", "again", "lately", "today", "now", "right",
                            "these", "this", "though", "tbh", "honestly", "af", "as", "to",
                            "for", "of", "and", "but", "when", "since", "because", "with",
                            "up", "off", "out"})


# An allergy to "something in this room", "my jokes": no allergen named
_NO_ALLERGEN_START = frozenset({"something", "anything", "everything", "nothing", "my", "your",
                                "his", "her", "their", "our", "this", "that", "these", "those",
                                "whatever", "stuff"})


_COUNT_WORD = r"(?:\d{1,2}|" + "|".join(w for w, n in NUMBER_WORDS.items() if n > 1) + ")"
_KIN_PLURALS = {"kids": "kid", "children": "kid", "sons": "son", "daughters": "daughter",
                "sisters": "sister", "brothers": "brother", "dogs": "dog", "cats": "cat",
                "cousins": "cousin", "rabbits": "rabbit", "hamsters": "hamster",
                "horses": "horse"}
# The count before pets told one by one: "We have two pets, a dog called Tom and a cat
# called Jerry", "we've got 3 animals: a cat named ..."
_PETS_COUNTED = (rf"(?:{_COUNT_WORD}\s+(?:pets|animals|fur\s*babies)\s*(?:,|:|\s[-–—])\s*"
                 r"(?:(?:both|all)\s+)?)?")
# Two names or more, capitalised, after a count: "Maya and Leo", "Tom, Ziggy & Bo"
# ... each maybe with the age said after it: "Emma who's 7 and Jake who's 4", "Emma (7)"
_AGE_AFTER = (r"(?:\s+(?:who['’]s|who\s+is|aged?)\s+\d{1,2}(?!\d)(?:\s+years?\s+old)?"
              r"(?!\s*(?:months?|mos?|weeks?|wks?|days?)\b)|\s*\(\s*(?:age\s+)?\d{1,2}\s*\))?")
_NAMES_LISTED = (rf"(?P<names>[A-Z][\w'’-]*{_AGE_AFTER}(?:\s*,\s*[A-Z][\w'’-]*{_AGE_AFTER})*"
                 rf"(?:,?\s+(?:and|&)\s+[A-Z][\w'’-]*{_AGE_AFTER}))")
_WHO_IS_AGE = re.compile(r"\b(?P<name>[A-Z][\w'’-]+),?\s+(?:who['’]s|who\s+is)\s+"
                         r"(?P<age>\d{1,2})(?!\d)(?:\s+years?\s+old)?(?=\s*(?:$|[.,;!)]|\s+(?:and|but|"
                         r"now)\b))(?!\s*(?:months?|mos?|weeks?|wks?|days?)\b)")
_NAME_AND_AGE = re.compile(r"(?P<name>[A-Z][\w'’-]*)(?:\D*(?P<age>\d{1,2})(?!\d)(?!\s*(?:months?|mos?|"
                           r"weeks?|wks?|days?)\b))?")
_NAMES_SPLIT = re.compile(r"\s*,\s*(?:and\s+|&\s+)?|\s+and\s+|\s*&\s*")
# "I have two kids, Maya and Leo", "We've got 3 cats: Tom, Ziggy and Bo"
_COUNTED_KIN = re.compile(
    r"\b(?:I|[Ww]e)(?:'ve|’ve|\s+have)?\s+(?:(?:also|now|only)\s+)?(?:have|got|own)\s+"
    rf"(?:got\s+)?{_COUNT_WORD}\s+(?:(?:little|lovely|beautiful|grown|young|adult|small|big|"
    rf"crazy|rescue)\s+)?(?P<kind>{'|'.join(_KIN_PLURALS)})\b\s*(?:,|:|\s[-–—]|\()\s*"
    r"(?:(?:named|called)\s+)?" + _NAMES_LISTED)
# "We had twins, Noah and Mia", "We just welcomed triplets: Ada, Bo and Cy": each a kid
_MULTIPLE_BIRTH = re.compile(
    r"\b(?:I|[Ww]e)\s+(?:(?:just|recently|finally|have|'ve|’ve)\s+)*(?:had|welcomed)\s+"
    r"(?:(?:a\s+set\s+of|(?:two\s+)?(?:beautiful|healthy|baby|little)\s+)\s*)*(?:twins|triplets)"
    r"\s*(?:,|:|\s[-–—])\s*(?:(?:named|called)\s+)?" + _NAMES_LISTED)
# "... a dog named Rex and a cat named Luna": the second one named
_AND_ONE_NAMED = re.compile(
    rf"\b(?:and|,)\s+an?\s+(?:(?:little|baby|rescue|new)\s+)?(?P<rel>{RELATION_RE})\s+"
    rf"(?:called|named)\s+(?P<name>{_NAME_RE})")


# (the first one named, by the speaker: "I have a dog named Rex ...", "Just adopted a ...")
_ONE_NAMED = re.compile(r"(?:\b(?:I|[Ww]e)(?:['’]ve)?\s+(?:(?:just|also|recently|finally|now)\s+)*|"
                        r"^(?:[Jj]ust\s+)?)(?:have|got|adopted|own|bought)\s+"
                        rf"{_PETS_COUNTED}an?\s+[^.!?]*?\b"
                        r"(?:called|named)\s+")


def _counted_relatives(sentence: str, turn: _Turn, me: _Subject) -> None:
    """The names of relatives said with their number ("I have two kids, Maya and Leo", "We
    had twins, Noah and Mia"), and of a second one named after a first ("a dog named Rex and
    a cat named Luna")."""
    for pattern in (_COUNTED_KIN, _MULTIPLE_BIRTH):
        m = pattern.search(sentence)
        if m is None:
            continue
        rel = _KIN_PLURALS[m.group("kind").lower()] if pattern is _COUNTED_KIN else "kid"
        for item in _NAMES_SPLIT.split(m.group("names")):
            said = _NAME_AND_AGE.match(item)
            name = said.group("name") if said else item
            if _named(name) and not _bare_title(name):
                turn.add(me, f"{rel}'s name", name, "relation")
                if said and said.group("age") and rel not in PETS:
                    turn.add(_Subject(name, name), "age", said.group("age"), "age")
    # "I have a son named Noah who is 8": the age of a relative the turn named
    named = {e.value: e.attribute[:-len("'s name")] for e in turn.out
             if e.subject_key == me.key and e.attribute.endswith("'s name") and not e.negated}
    for aged in _WHO_IS_AGE.finditer(sentence):
        rel = named.get(aged.group("name"))
        if rel is not None and rel not in PETS and relation_name(rel) not in PETS:
            turn.add(_Subject(aged.group("name"), aged.group("name")), "age",
                     aged.group("age"), "age")
    if _ONE_NAMED.search(sentence):
        for m2 in _AND_ONE_NAMED.finditer(sentence):
            name = _person(m2.group("name"))
            if _named(name) and not _bare_title(name):
                turn.add(me, f"{relation_name(m2.group('rel'))}'s name", name, "relation")


def _noun_allergies(sentence: str, turn: _Turn, me: _Subject) -> None:
    """"I have a peanut allergy", "Got diagnosed with a shellfish allergy last week": the
    allergen said before the word (not "a food allergy", "seasonal allergies")."""
    for m in _NOUN_ALLERGY.finditer(sentence):
        what = clean_value(m.group("what"))
        words = what.lower().split()
        if words and not any(w in _NOT_ALLERGEN_WORDS for w in words) and \
                what.lower() not in NOT_ALLERGENS and _ok_value(what):
            rel, name = m.group("rel"), m.group("relname") or m.group("name")
            kin = _kin(name, me) if name else None  # "Mum has a nut allergy"
            if name and kin is None and (not _named(name) or _an_app(name)):
                continue  # ("So has a nut allergy", "Amazon has ...")
            subj = kin or (_Subject(name, name) if name else
                           me if rel is None else
                           _Subject(me.name, me.key, f"{relation_name(rel)}'s "))
            turn.add(subj, "allergy", what, "allergy")


# What makes a "place" an organisation, a part of one or a stage of something
_ORG_OR_STAGE = re.compile(
    r"['’]s\s|\b(?:ministry|department|government|council|agency|team|office|company|"
    r"academy|generation|age|era|level|chapter|episode|season|premium|desk|shift|nights)\b",
    re.I)


def _an_app(value: str) -> bool:
    """Whether `value` names an app, a service or a tool (vocab.APPS: "Strava", "Amazon
    Prime"), by itself or by its first word."""
    words = value.lower().split()
    return bool(words) and (" ".join(words) in APPS or words[0] in APPS)


def _no_place(value: str, attribute: str) -> bool:
    """Where one lives, moves or is from that is no place: a department ("from Marketing to
    Sales"), a saying ("i live in fear of spiders", "in my head"), a month or a day ("From
    June I'm at Google"), or, after "live on", a lower-case word with no number and no
    street ("i live on toast")."""
    low = value.lower()
    if low in DEPARTMENTS or low.split()[0] in _POSSESSIVE:
        return True
    if _ORG_OR_STAGE.search(value) or (low.split()[0] in ("a", "an", "the") and
                                       not _THE_NAME.match(value)):
        return True  # "the Ministry of Health", "Spotify's design team", "Level 5 in
        # Duolingo", "i moved to the couch", "im from a big family"
    if (value[:1].islower() and any(low == p or low.startswith(p + " ") for p in NOT_PLACES)) \
            or low in NOT_PLACE_NAMES or _CALENDAR_WORD.fullmatch(value):
        return True  # ("Hope, British Columbia" is a place; "From June I'm at Google")
    return attribute == "address" and value[:1].islower() and not any(
        c.isdigit() for c in value) and not _STREET.search(value)


_STREET = re.compile(r"\b(?:street|st|road|rd|avenue|ave|lane|ln|drive|way|close|court|ct|"
                     r"place|crescent|terrace|boulevard|blvd|square|sq|row|grove|gardens|"
                     r"parkway|circle|highway)\b", re.I)


def _residence_attr(value: str) -> str:
    return "address" if value[:1].isdigit() else "city"


@dataclass
class _Subject:
    name: str
    key: str
    prefix: str = ""  # "sister's " when the statement is about an unnamed relative


# A turn that gives a new home: its address's town is where one lives now (an address alone
# is no change of city the sets' labels hold)
_NEW_HOME = re.compile(r"\bnew\s+(?:address|place|flat|apartment|house|home)\b|\b(?:moved|"
                       r"relocated)\b", re.I)


def _address_town(address: str) -> str:
    """The town an address ends with, when it is a place the rules know: "45 Pine Ave,
    Seattle" -> "Seattle", "14 Elm Road, Leeds LS6 2AB" -> "Leeds"; "" otherwise."""
    parts = [p.strip() for p in address.split(",")[1:]]
    for part in reversed(parts[-2:]):  # ("..., New York, NY": the part before the state)
        name = _known_place_first([w for w in part.split() if not any(c.isdigit() for c in w)],
                                  caseless=address.islower())
        if name:
            return name
    return ""


def _known_place_first(words: Sequence[str], *, caseless: bool) -> str:
    """The longest place the rules know that `words` open with ("New York" of "New York
    NY", "Leeds" of "Leeds Tom is visiting"), capitalised unless `caseless`; "" if none."""
    for n in (3, 2, 1):
        name = " ".join(words[:n]).rstrip(",.!?;")
        if len(words) >= n and name.lower() in KNOWN_PLACES and (caseless or name[:1].isupper()):
            return name
    return ""


# Words that tell a tie beginning, so that a date said with a relation's name is its start
# ("I married Sam in 2020", "we adopted a dog last week", "our baby was born yesterday")
_TIE_BEGUN = re.compile(r"\b(?:married|marry|wed|engaged|dating|seeing|together|adopted|got|"
                        r"getting|born|welcomed|had|have\s+had|met|rescued|bought|since|new|"
                        r"started\s+(?:dating|seeing)|moved\s+in)\b", re.I)


# A place named after what it is ("a café called Brew Lab on weekends to pay rent", "a
# bakery called Crumbs"): the value ends with the name's capitalised words (typed in lower
# case, where the name ends is not told: the phrase stays whole)
_CALLED = re.compile(
    r"(?:an?|the|this|that)\s+(?:[\w'’-]+\s+){1,3}?(?:called|named)\s+"
    r"(?P<name>(?-i:[A-Z0-9][\w&'’.-]*(?:\s+(?:[A-Z0-9&][\w&'’.-]*|of|de|la|and))*))", re.I)


@dataclass
class _Turn:
    speaker: str
    speaker_key: str
    out: list[Extraction] = field(default_factory=list)
    seen: set[tuple[str, str, str, bool]] = field(default_factory=set)
    dates: list[DateMention] = field(default_factory=list)  # of the current sentence
    caseless: bool = False  # the turn has no capital letters: places may be lower case
    # the clause read follows a past workplace in its sentence ("I was at Target for 3 years
    # then moved to Costco": `_statement`, `_predicate_at`)
    after_work: bool = False
    # the turn tells of a couple back together ("we broke up but got back together"): no
    # break-up in it ends a partner (`_ended_ties`)
    reunited: bool = False
    # the turn tells of a couple that moved on together ("we got married"): no "no longer
    # dating / engaged" in it ends a partner (`_ended_ties`)
    moved_on: bool = False
    # what the couple became then: "spouse", "fiancé", "husband" or "wife" (`_moved_to`)
    moved_to: str | None = None
    # how many clauses ended a tie (`_ended_ties`): a break-up or a pet's death names no new
    # partner or pet, so the next clause's "It's X" is no new value (`extract`)
    ties: int = 0
    person: str | None = None  # the person the turn named last ("my vet is Dr. Mensah")
    # the turn's words before the clause read: "we broke up" ends the partner they name
    # (`_we_split`: "I was dating Tom but we broke up")
    before: str = ""
    # the whole turn (as read): "I worked at Google for years and I still do" is no past
    whole: str = ""
    # the day the turn was said (None: not known)
    said_on: date | None = None
    # where the clause's dates said as an end start ("I work for Acme until March 31":
    # `_until_starts`): a fact that holds now ends then (`Extraction.until`)
    until_at: frozenset[int] = frozenset()
    # names the turn's lower-case "im x" gave (`lower_self_name`): tentative ones
    tentative_names: set[str] = field(default_factory=set)
    # a relative a clause opened with that stated nothing the rules read ("My father is
    # retired now"): whom the next clause's "he" may be about (`_candidates`)
    mentioned: list[tuple[_Subject, str | None]] = field(default_factory=list)
    # whether the relative mentioned may be named by "his/her name is" too: the clause that
    # mentioned them spoke of no thing ("My brother is visiting, his name is Jake"; not "My
    # dad bought a new boat. His name is Poseidon")
    mention_names: bool = False
    # the cities read from a new address's town (`add`): not again where the previous turn
    # said that city ("I moved to Lyon." / "My new address is 14 Rue des Lilas, Lyon")
    from_address: set[tuple[str, str, str]] = field(default_factory=set)
    # the ends of a job title that "I quit my job" / "I got fired" gave (`_job_left`): kept
    # only where the turn names no new job or employer of the same person (`extract`)
    jobs_left: list[Extraction] = field(default_factory=list)
    # how long the speaker says a place or a job has held ("I've lived in Chicago for 5
    # years"), with the words from the verb to it, which hold the value it is of
    held_for: tuple[DateMention, str] | None = None

    def add(self, subj: _Subject, attribute: str, value: str, family: str, *,
            negated: bool = False, kind: str = "fact", date_at: int | None = None,
            tentative: bool = False, past: bool = False,
            span: tuple[DateMention | None, DateMention | None] = (None, None)) -> None:
        """`date_at`: where, in the sentence, the time phrase right after the value starts
        ("Munich in 2022" of "I moved to Berlin in 2019 and to Munich in 2022"); without
        one, a date the value does not hold is the sentence's first. `span`: of a past fact,
        the start and the end said with it (`_past_span`), which win over those."""
        attr = f"{subj.prefix}{attribute}"
        if attribute == "name" and value.split() and re.sub(
                r"['’]s$", "", value.split()[0].lower()) in _NO_NAME_WORDS:
            return  # "my name is mud after that meeting lol": a saying
        when = None
        mention_of: DateMention | None = None
        sure = False
        latest: date | None = None
        # "New York City last summer", "Berlin back in 2019": where a time phrase starts,
        # resolved or not (a resolved one still gives the date)
        cut = _time_at(value, 0, attribute)
        # A date word capitalised inside a value is part of a name: "USA Today".
        dates = [m for m in self.dates if not _in_a_name(value, m.text)]
        if family == "relation" and not _TIE_BEGUN.search(self.whole):
            # "My husband Arthur died in 2022", "my granddaughter Grace started nursery this
            # week": the date is of what happened, not of when the tie began
            dates = []
        elif family == "relation" and self.said_on is not None:
            # a tie does not begin after it is told ("my daughter Elena's birthday is 14
            # february, she was born in 1985": not from next February)
            dates = [m for m in dates if m.date <= self.said_on]
        for mention in dates:
            pos = value.lower().find(mention.text.lower())
            if pos == 0:
                when = None  # the value is a date ("my birthday is 3 May")
                break
            if pos > 0:  # "Berlin last March": the value ends where its date starts
                value = clean_value(value[:pos if cut is None else min(pos, cut)])
                mention_of, sure = mention, True
                break
        else:
            if dates:
                own = next((m for m in dates if date_at is not None
                            and date_at <= m.start <= date_at + 8), None)
                mention_of, sure = own or dates[0], own is not None
            if cut is not None:
                value = clean_value(value[:cut])
        words = value.split()
        if len(words) > 1 and words[-1].lower() == "back" and words[-2][:1].isupper():
            value = " ".join(words[:-1])  # "Rome back" (of "Rome back then")
        if attribute == "preference":
            value = clean_value(re.split(r"\s+(?:over|to|rather than|instead of)\s+", value)[0])
        called = _CALLED.match(value) if attribute in ("employer", "city") else None
        if called is not None:  # "a café called Brew Lab on weekends to pay rent": its name
            value = clean_value(value[:called.end("name")])  # ends the value
        value = re.sub(r"^on\s+", "", value) if attr.endswith(("birthday", "anniversary")) \
            else value
        if not _ok_value(value, attribute=attr):
            return
        if attribute in _PLACE_ATTRS:
            value = place_cased(value)  # "london" -> "London"
        ident = (subj.key.lower(), attr, value.lower(), negated or past)
        if ident in self.seen:
            return
        self.seen.add(ident)
        since, until = span
        if until is None and mention_of is not None and mention_of.start in self.until_at and \
                not past and not negated:
            until, mention_of, sure = mention_of, None, False  # "Acme until March 31"
        if since is not None:
            mention_of, sure = since, True
        elif until is not None and mention_of is not None and \
                mention_of.start <= until.end and mention_of.end >= until.start:
            mention_of, sure = None, False  # ("until March 2019": the end, not the start)
        if mention_of is None and since is None and not negated and not past and \
                family in ("work", "residence") and not subj.prefix and \
                subj.key == self.speaker_key and self.held_for is not None and \
                value.lower() in self.held_for[1].lower():
            # "I've worked at Acme for 3 years": it began about 3 years before the turn
            mention_of, sure = self.held_for[0], True
        if mention_of is not None:
            when = mention_of.date
            latest = period_end(when, mention_of.precision)
        end_latest = period_end(until.date, until.precision) if until is not None else None
        self.out.append(Extraction(subj.name, subj.key, attr, value, family, negated, when,
                                   kind=kind,
                                   when_latest=latest if when and latest != when else None,
                                   when_sure=sure and when is not None,
                                   tentative=tentative, past=past,
                                   until=until.date if until is not None else None,
                                   until_latest=end_latest if until is not None
                                   and end_latest != until.date else None))
        if attribute == "address" and not negated and _NEW_HOME.search(self.whole):
            town = _address_town(value)
            if town:  # "my new address is 45 Pine Ave, Seattle": the city is Seattle now
                self.add(subj, "city", town, family, past=past)
                self.from_address.add((subj.key.lower(), f"{subj.prefix}city", town.lower()))

    def end(self, subj: _Subject, attribute: str, keeps: str = "", every: bool = False) -> None:
        """A negation that names no value ("I quit my job"): the current value of the
        (subject, attribute) ends, whatever it is (`Extraction.ends_current`), unless it is
        `keeps`; of a many-valued relation's name, every value with `every`
        (`Extraction.every`)."""
        attr = f"{subj.prefix}{attribute}"
        ident = (subj.key.lower(), attr, "", True)
        if ident in self.seen:
            return
        if any(e.subject_key.lower() == ident[0] and e.attribute == attr and not e.negated
               for e in self.out):
            # "I just started at Globex. I quit my old job": the turn names the value now;
            # the one left is the one before it (which the new value replaces)
            return
        self.seen.add(ident)
        # the one date the sentence names, as when it ended ("I quit my job last month")
        when = self.dates[0] if len(self.dates) == 1 else None
        latest = period_end(when.date, when.precision) if when is not None else None
        self.out.append(Extraction(subj.name, subj.key, attr, "", "negation", True,
                                   when=when.date if when is not None else None,
                                   when_latest=latest if when is not None
                                   and latest != when.date else None,
                                   keeps=keeps, every=every))


# Adverbs between "I" and its verb ("I literally live in Denver", "I proudly work for the NHS")
_MANNER = ("literally|basically|proudly|happily|technically|honestly|mostly|usually|genuinely|"
           "seriously|definitely|already")
_I = r"\bI(?:'m|’m|'ve|’ve| am| have| really| also| now| just| still| actually| recently|" \
     rf" finally| currently| officially| (?:{_MANNER}))*"
# A word that opens a chat sentence before its subject ("Btw Dave lives in Swansea", "Well
# Kate is a nurse", "Actually Dave works at Google"): the name after it is the subject.
_NAME_LEAD_WORD = (r"(?i:btw|also|so|well|yeah|yes|yep|actually|and|but|oh|ok|okay|anyway|plus|"
                   r"fyi|update|now|apparently|turns\s+out|ps|oops|whoops|sorry|correction|"
                   r"my\s+bad)")
_NAME_LEAD = rf"(?:{_NAME_LEAD_WORD}[,:!]?\s+)*"
# ("our son Max is 4" is of a person; "our dog Pepper is 12" names the dog only, as tested)
_PET_WORDS = "|".join(sorted((re.escape(p) for p in PETS), key=len, reverse=True))
_SUBJECT = re.compile(
    rf"(?P<i>{_I})\s+|(?P<we>\b[Ww]e(?:'ve|’ve|'re|’re| are| have| just| now| recently| finally| all| both|"
    rf" currently)*)\s+|"
    rf"\b(?:[Mm]y|[Oo]ur(?!\s+(?:{_PET_WORDS})\b)) (?P<rel>{RELATION_RE})(?:,?\s+(?P<relname>{_NAME_RE}),?)?"
    rf"(?:'s| is| has| just| also| now| recently| still| currently)*\s+|"
    rf"(?:^{_NAME_LEAD}|(?<=[,;:] )|(?<=\band )|(?<=\bbut ))(?P<name>{_FIRST_NAME})"
    rf"(?:'s| is| has| just| also| now| recently| actually| still| currently)*\s+")
# How bad an allergy is, before "allergy" ("a severe peanut allergy")
_SEVERITY = frozenset("""severe mild bad serious slight deadly life-threatening nasty new minor
major real proper terrible awful strong diagnosed""".split())
_ALLERGY_DEGREE = rf"(?:(?:{'|'.join(sorted(_SEVERITY))})\s+)*"
# "I have a peanut allergy", "Got diagnosed with a shellfish allergy": the allergen before
# the word (`_noun_allergies`)
_NOUN_ALLERGY = re.compile(
    rf"(?:\bI(?:'ve|’ve|\s+have)?\s+|\b[Mm]y\s+(?P<rel>{RELATION_RE})(?:['’]s)?\s+"
    # "my daughter Ella has ...", "Ella has a peanut allergy": the person named
    r"(?:(?P<relname>(?-i:[A-Z][a-z]+))\s+)?|"
    r"(?:^|(?<=[,;] ))(?P<name>(?-i:(?!(?:He|She|They|It|We|You|This|That|There)\b)[A-Z][a-z]+"
    r"(?<!ly)))\s+(?=has\b)|^)"
    r"(?:(?:also|just|recently|finally|now|actually|even|has)\s+)*"
    r"(?:have|has|got|developed|(?:been\s+|got\s+|was\s+|just\s+)?diagnosed\s+with)\s+"
    r"(?:an?\s+)?" + _ALLERGY_DEGREE +
    r"(?P<what>[a-z][a-z-]*(?:\s+[a-z][a-z-]*)?)\s+allerg(?:y|ies)\b"
    # (the allergy ends the phrase: "Google has a peanut allergy policy" is none)
    r"(?!\s+(?:policy|policies|warning|warnings|label|labels|test|tests|menu|friendly|"
    r"free|awareness|training|sign|signs|rules?)\b)", re.I)
# No allergen: "a food allergy", "seasonal allergies"
_NOT_ALLERGEN_WORDS = _SEVERITY | frozenset("""
known two three four several food seasonal skin some many lots no few multiple these those
my the an a weird random allergy spring summer autumn winter fall drug environmental contact
mystery
""".split())
_LIVED_IN = re.compile(r"(?:(?<='ve )|(?<=’ve )|(?<=have ))(?:always\s+|all\s+)?lived\s+in\s+",
                       re.I)
# No taste: a stage ("week 3 of my diet"), a choice among things said ("the first option")
_NO_TASTE = re.compile(r"(?:(?:week|day|month|year|level|round|part|chapter|episode|season)\s+\d|"
                       r"the\s+(?:idea|way|fact|thought|feeling)\b|whatever\b|"
                       r"(?:the\s+)?(?:first|second|third|last|other|former|latter|previous|"
                       r"next|same)(?:\s+(?:one|option|choice|version|idea|plan))?$)", re.I)
# A taste for a state: "I hate being late", "I enjoy being alone" ("being" opens no other value)
_BEING = re.compile(r"being\s+[a-z]+(?:\s+[a-z]+)?", re.I)
# A listed item said with the other taste's verb: "I love sushi and hate olives" (olives is
# disliked), "I hate olives but adore sushi" (`_predicates`)
_OTHER_TASTE = {
    "likes": re.compile(r"(?:hate|hates|dislike|dislikes|detest|loathe|can['’]?t\s+stand|"
                        r"cannot\s+stand|don['’]?t\s+(?:really\s+)?like|"
                        r"am\s+not\s+(?:a\s+fan\s+of|into))\s+", re.I),
    "dislikes": re.compile(r"(?:love|loves|like|likes|adore|adores|enjoy|enjoys)\s+", re.I)}
_NO_MATCH = re.compile(r"(?!)")
_LIKE_LEAD = re.compile(r"^(?:going\s+(?=\w+ing\b)|(?-i:(?:love|like|hate)\s+)+(?=\S))", re.I)
_DID = re.compile(r"(?:moved|lived|worked|went|got|started|joined|left|met|grew|bought|"
                  r"visited|spent|came|made|had)\s", re.I)
_LIKE_TAIL = re.compile(r"\s+(?:more|better|less)\s+than\b.*$", re.I)
_POSSESSIVE = frozenset({"my", "your", "our", "his", "her", "their"})
_AUX = r"(?:(?:'m|’m|'s|’s|'re|’re|am|is|are|have|has|'ve|’ve|just|recently|finally|now|also|" \
       r"actually|still|currently|really|officially|been|do|does|truly|absolutely|totally|" \
       rf"{_MANNER})\s+)*"

# How much, before a verb of taste: "I kind of like jazz", "I'm kinda into jazz", "I quite
# like it" (a like all the same).
_TASTE_DEGREE = r"(?:(?:kind\s+of|kinda|sort\s+of|sorta|quite|rather|somewhat|pretty\s+much)\s+)?"

# A home of one's own in a place, after "moved into a": "(a) new flat in " (not "a holiday
# home", "... as an investment", "... for the summers"; a purchase alone is no move: "we
# bought a house in Animal Crossing", "... in Spain, we go every summer")
_A_HOME_IN = (
    r"(?:(?:new|first|own|little|lovely|tiny|small|big|nice|gorgeous|cute|cosy|cozy|smaller|"
    r"bigger|larger|cheaper|nicer|quieter|cheap|modern|furnished|ground-floor|"
    r"old|two-bed(?:room)?|three-bed(?:room)?|one-bed(?:room)?|\d-bed(?:room)?|"
    r"terraced|detached|semi-detached|shared|rented|family)\s+)*"
    r"(?:flat|house|apartment|place|home|condo|bungalow|cottage|studio|townhouse|"
    r"maisonette|houseshare|flatshare)\s+in\s+"
    r"(?![^.!?;]*\b(?:holiday|vacation|invest(?:ment|ing|or)?|rent\s+(?:it\s+)?out|"
    r"to\s+rent|rental|to\s+flip|flipping|let\s+out|airbnb|for\s+(?:the\s+)?"
    r"(?:summers?|winters?|weekends?|holidays?)|for\s+(?:my|our|his|her|their)\s+\w+|"
    r"retire)\b)")
# ... a home of one's own now: a name ("in Leeds", not "in town"), not for a while or to
# come ("... for a month", "... next year", "... till we find something")
_A_HOME_NOW = (r"(?=(?-i:[A-Z]))(?![^.!?;]*\b(?:for\s+(?:a|the|one|two|three|a\s+few|a\s+couple\s+of|"
               r"several)\s+(?:days?|weeks?|months?|season|summer|winter|semester|term|"
               r"fortnight|nights?)|next\s+(?:week|month|year|spring|summer|autumn|fall|winter)|"
               r"till|until|while|during)\b)")
# "... and (then) to Munich": a second move, after a move only (`_predicate_at`)
_SECOND_MOVE = re.compile(r"(?:(?<=and )|(?<=and then )|(?<=and later ))(?:back\s+)?to\s+"
                          r"(?=[A-Z])")
# (predicate after the subject, attribute (None: from the value), family, listing, place)
_PREDICATES: list[tuple[re.Pattern[str], str, str, bool, bool]] = [
    (re.compile(_AUX + r"(?:live|lives|living|reside|resides|based|stay|stays)\s+(?:in|out\s+of)\s+"
                r"(?:the city of\s+)?",
                re.I), "residence", "residence", False, True),
    (_LIVED_IN,
     "residence", "residence", False, True),
    (re.compile(_AUX + r"(?:live|lives|living)\s+(?:at|on)\s+", re.I), "address", "residence",
     False, True),
    (re.compile(_AUX + r"(?:moved|relocated)\s+(?:back\s+)?to\s+", re.I), "residence",
     "residence", False, True),
    # "just moved into a flat in Leeds": a home of one's own (`_A_HOME_IN`)
    (re.compile(_AUX + r"moved\s+into\s+(?:a|an|our|my|the)\s+" + _A_HOME_IN, re.I),
     "residence", "residence", False, True),
    # "We're renting a flat in Lisbon now"; "got a new place in Olympia, moved in on
    # Saturday": a home got, with the move into it said (not "... moving in next month")
    (re.compile(_AUX + r"(?:renting\s+(?:a|an|our|my)\s+" + _A_HOME_IN + _A_HOME_NOW + r"|"
                r"(?:got|found|rented|bought)\s+(?:a|an|our|my)\s+" + _A_HOME_IN + _A_HOME_NOW +
                # (the speaker's move in, done: not "the old tenants moved in", "haven't
                # moved in yet", "moved in 1990")
                r"(?=[^.!?;]*?(?:,\s*|\b(?:and|we|I|we've|I've|just|finally|already)\s+)"
                r"moved\s+in\b(?!\s+\d)(?![^.!?;]*\byet\b)))", re.I),
     "residence", "residence", False, True),
    # "I moved from Berlin to Paris": where to
    # (both names: "from marketing to Sales", "from night shift to Days" are no moves)
    (re.compile(_AUX + r"(?:moved|relocated)\s+(?:back\s+)?(?:all\s+the\s+way\s+)?from\s+"
                r"(?-i:[A-Z])[\w'’.-]*(?:\s+(?-i:[A-Z])[\w'’.-]*){0,3}\s+to\s+(?=(?-i:[A-Z]))",
                re.I), "residence", "residence", False, True),
    # "I moved to Berlin in 2019 and (then) to Munich in 2022": the second move too
    (_SECOND_MOVE, "residence", "residence", False, True),
    # (how one works between: "I work remotely for Mollie", "I work part-time at Lidl")
    (re.compile(_AUX + r"(?:work|works|working|employed)\s+(?:(?:remotely|full[- ]time|"
                r"part[- ]time|freelance|mostly|now|currently|still|nights|days|weekends|"
                r"shifts|from\s+home)\s+)*(?:at|for|(?P<with>with)|by)\s+",
                re.I), "employer", "work", False, False),
    # "I've been at Deloitte for 3 years", "I've worked at Shell since 2015"
    (re.compile(r"(?:(?:'ve|’ve|have|has)\s+)?(?:been|worked)\s+(?:at|for)\s+(?=(?-i:[A-Z])[^.;!?]*?"
                r"\b(?:since\s+(?:(?-i:[A-Z])[a-z]+\s+)?\d{4}|for\s+(?:the\s+(?:past|last)\s+)?"
                r"(?:\d+|a|an|one|two|three|four|five|"
                r"six|seven|eight|nine|ten|many|several|a\s+few)\s+(?:years?|months?|decades?)))",
                re.I), "employer", "work", False, True),
    (re.compile(_AUX + r"got\s+the\s+job\s+(?:at|with)\s+(?=(?-i:[A-Z]))", re.I), "employer",
     "work", False, True),
    # "I started a new job at Spotify", "I've got a job with Oxfam", "I have a new job at
    # Spotify", "Landed a position at Arup"
    (re.compile(_AUX + r"(?:(?:(?:started|got|landed|found|took|accepted|have|has)\s+|(?<=have )|"
                r"(?<='ve )|(?<=’ve )|(?<=has ))(?:(?:a|my)\s+)?"
                r"(?:(?:new|first|full[- ]time|part[- ]time|permanent)\s+)?(?:job|position|role)|"
                r"started\s+working|got\s+working)\s+(?:at|for|with)\s+",
                re.I), "employer", "work", False, False),
    # "I moved to Lisbon for a new job at Spotify": after the move (`_AND_THEN`)
    (re.compile(r"(?<=for )(?:a|my)\s+new\s+(?:job|position|role)\s+(?:at|with)\s+"
                r"(?=(?-i:[A-Z]))", re.I), "employer", "work", False, True),
    (re.compile(_AUX + r"(?:joined)\s+(?=(?-i:[A-Z]))", re.I), "employer", "work", False, True),
    (re.compile(_AUX + r"started\s+(?:at|with)\s+(?=(?-i:[A-Z]))", re.I), "employer", "work", False,
     True),
    (re.compile(_AUX + r"(?:work|works|working)\s+in\s+[a-z][a-z -]{0,30}?\s+(?:at|for|with)\s+"
                r"(?=(?-i:[A-Z]))", re.I), "employer", "work", False, True),
    (re.compile(_AUX + r"(?:work|works|working)\s+(?:(?:nights|days|weekends|shifts|full[- ]time|"
                r"part[- ]time|remotely|freelance|mostly|now)\s+)*as\s+(?:an?\s+)?", re.I), "job", "work",
     False, False),
    # A job taken up: "I got a job as a teacher", "I started working as a nurse", "I've been
    # hired as a data analyst" ("as a result of ..." is no job).
    (re.compile(_AUX + r"(?:(?:(?:got|found|landed|took|accepted|started|began|have)\s+|"
                r"(?<=have )|(?<='ve )|(?<=’ve ))(?:(?:a|an|my|the)\s+)?(?:(?:new|first|"
                r"full[- ]time|part[- ]time|permanent|temporary|summer)\s+)?(?:job|position|role)|"
                r"(?:started|begun|began)\s+"
                r"(?:working|work)|(?:(?:was|were|got|get|been)\s+)?(?:hired|employed|taken\s+on))"
                r"\s+as\s+(?!an?\s+(?:result|consequence|favou?r)\b)(?:an?\s+|the\s+)?", re.I),
     "job", "work", False, False),
    # "I have an allergy to penicillin", "I've got a severe allergy to nuts"
    (re.compile(_AUX + r"(?:(?:have|has|got|developed)\s+)?(?:an?\s+)?" + _ALLERGY_DEGREE +
                r"allerg(?:y|ies)\s+to\s+", re.I), "allergy", "allergy", True, False),
    # "I'm allergic to ...", "I'm severely allergic to ...", "I'm vegetarian and allergic to"
    (re.compile(_AUX + r"(?:[a-z-]+,?\s+and\s+(?:also\s+)?)?(?:(?:mildly|severely|deathly|very|"
                r"super|so|quite|slightly|extremely|highly|seriously|badly|kinda|kind\s+of|"
                r"a\s+little|a\s+bit|somewhat|incredibly|massively|hugely|insanely|also|"
                r"dangerously|violently|terribly|really)\s+)*allergic\s+to\s+", re.I),
     "allergy", "allergy", True, False),
    (re.compile(_AUX + r"(?:prefer|prefers)\s+", re.I), "preference", "preference", False, False),
    (re.compile(_AUX + _TASTE_DEGREE + r"(?:(?:started|starting|begun|began|come|came|grown|grew|learned|learnt)"
                r"\s+to\s+)?(?:(?<!'m )(?<!’m )(?<!am )(?<!was )(?<!is )(?<!'s )(?<!’s )like|likes|"
                r"love|loves|enjoy|enjoys|adore|adores)\s+(?!to\s+(?:think|say|believe|know|imagine)"
                r"\b)", re.I), "likes", "likes", True, False),  # (not "I'm like whatever")
    (re.compile(_AUX + _TASTE_DEGREE + r"(?:(?:became|become)\s+)?(?:into|a\s+(?:big|huge)\s+fan\s+of|a\s+fan\s+of|"
                r"crazy\s+about|passionate\s+about)\s+", re.I), "likes", "likes", True, False),
    (re.compile(_AUX + _TASTE_DEGREE + r"(?:(?:started|starting|begun|began|come|came|grown|grew)\s+to\s+)?"
                r"(?:hate|hates|dislike|dislikes|can't\s+stand|cannot\s+stand|(?:(?<=ve )|(?<=have ))gone\s+off(?!\s+(?:the\s+(?:idea|rails|deep\s+end|boil|grid|radar|plan)|track|script|topic|piste)\b)|"
                r"(?:don't|do\s+not|doesn't|does\s+not)\s+(?:really\s+|much\s+|particularly\s+)?"
                r"(?:like|enjoy))\s+", re.I),
     "dislikes", "likes", True, False),
    (re.compile(_AUX + r"(?:from|originally\s+from|grew\s+up\s+in|born\s+and\s+raised\s+in|"
                r"(?:was\s+)?born\s+in|"
                r"come\s+from|comes\s+from)\s+", re.I), "home town", "origin", False, True),
]
_JOB_GUESS = re.compile(r"(?:an?|the)\s+(?=[a-z])", re.I)  # "I'm a nurse", "the head chef"
# A judgement before an occupation's word: how well someone does it, not their job ("a
# terrible driver", "a natural teacher", "a backseat driver", "a proper chef").
_JUDGED = re.compile(
    r"(?:(?:very|really|truly|such\s+a|total|complete|real|born|natural|terrible|awful|best|"
    r"worst|"
    r"horrible|bad|lousy|poor|useless|hopeless|great|good|amazing|brilliant|excellent|"
    r"fantastic|wonderful|fabulous|incredible|decent|proper|keen|budding|aspiring|wannabe|"
    r"amateur|backseat|slave|secret|frustrated|failed|hobby|weekend|sunday|part-time\s+genius|"
    r"bit\s+of\s+a|avid|careful|careless|frequent|designated|former|ex|recovering|reformed|"
    r"occasional|casual|compulsive|serial|chronic|habitual|lapsed|messy|picky|fussy|fast|slow|"
    r"light|heavy|safe|nervous|confident|competitive|big|huge|massive|devoted|obsessive|"
    r"self-taught|self-proclaimed|self-confessed|would-be)\s+)+", re.I)

_JOB_WORD = re.compile(r"(?:er|or|ist|yst|ista|ian|ant|ent|eon|nurse|chef|pilot|cook|clerk|"
                       r"medic|vet|student|midwife|dj|ceo|cto|nanny|doula|coach|judge|priest|"
                       r"rabbi|imam|monk|nun|(?:post|fire|police|sales|fisher|chair|business|"
                       r"handy|delivery|crafts)(?:wo)?man)$", re.I)
# Occupations named without an article ("product designer at Figma") or of another person
# ("Sam's a chef"): the job's last word must be one of these, the suffixes above being too
# loose there ("Coffee is a lifesaver").
JOBS = frozenset("""
accountant actor actress analyst architect artist assistant baker barista barber bartender
builder butcher carer carpenter cashier chef chemist cleaner clerk coach consultant cook
counsellor counselor courier dancer dentist designer developer director doctor driver
economist editor electrician engineer farmer firefighter gardener hairdresser hygienist
illustrator journalist judge lawyer lecturer librarian manager mechanic midwife musician
nanny nurse officer optician painter paralegal paramedic pharmacist photographer
physiotherapist physio pilot plumber policeman policewoman postman producer professor
programmer psychologist receptionist researcher scientist secretary singer solicitor
student surgeon teacher technician therapist translator tutor vet waiter waitress writer
principal detective attorney intern guard entrepreneur salesperson cfo coo cmo dean maid
housekeeper sheriff deputy captain sommelier chaplain
""".split())
_NOT_JOBS = frozenset({"fan", "member", "lover", "beginner", "user", "foreigner", "newcomer",
                       "father", "mother", "brother", "sister", "daughter", "winner", "loser",
                       "runner", "gamer", "smoker", "drinker", "believer", "talker", "patient",
                       "parent", "resident", "vegetarian", "christian", "other", "number",
                       "fighter", "introvert", "extrovert", "person", "grandmother",
                       "grandfather", "customer", "partner", "survivor", "veteran", "monster",
                       "disaster", "wreck", "mess", "sucker", "worrier", "perfectionist",
                       "optimist", "pessimist", "realist", "feminist", "tourist", "cyclist",
                       "guitarist", "pianist", "regular", "dreamer", "thinker", "leader",
                       "follower", "listener", "reader", "learner", "quick learner",
                       "insider", "outsider", "stranger", "grader", "first-timer", "lifer",
                       # what a person is, not what they do for a living ("I'm a heavy
                       # sleeper", "I became a homeowner", "I'm not a teenager any more")
                       "teenager", "homeowner", "owner", "eater", "riser", "sleeper",
                       "bloomer", "pleaser", "buyer", "non-smoker", "senior", "junior",
                       "sufferer", "supporter", "admirer", "commuter", "passenger", "tenant",
                       "renter", "voter", "taxpayer", "pensioner", "subscriber", "citizen"})
# "(I'm now) a lot better", "a bit older": a degree, not a job.
_DEGREE = frozenset({"lot", "bit", "little", "tad", "touch", "whole", "far", "much"})
# "I'm now a teacher", "I'm still a student", "Sam is now a chef": the job guess after "I'm"
# (or a name's "is") and an adverb of time or stress. Not "also": "I'm also a student" is a
# second role, not the job that replaces the one there is.
_IS_NOW = re.compile(r"(?:'m|’m|\bam)(?:\s+(?:now|still|actually|finally|currently|"
                     r"officially))*\s*$")
_IS_NOW_NAMED = re.compile(r"(?:'s|’s|\bis)(?:\s+(?:now|still|actually|finally|currently|"
                           r"officially))*\s*$")
# "I became a teacher", "I've become a nurse": a job guessed as after "I'm". "become" only
# after "have" ("Once I become a doctor", "I hope I become a chef": a plan, a wish).
_BECAME = re.compile(_AUX + r"(?P<verb>became|become)\s+(?:an?|the)\s+", re.I)
_PERFECT = re.compile(r"\b(?:have|has)\b|['’](?:ve|s)\b", re.I)
# "I've been a paramedic for 8 years", "I've been a nurse since 2015": the job now (not
# "I've been a nurse" alone, "I've been a bit of a mess": `_job`, `_JUDGED`)
_BEEN_JOB = re.compile(r"been\s+an?\s+(?P<job>(?:[\w'’-]+\s+){0,4}?[\w'’-]+)\s+(?:for\s+(?:\d+|a|"
                       r"an|one|two|three|four|five|six|seven|eight|nine|ten|many|several|over|"
                       r"almost|nearly|about|more\s+than|years|decades|ages)\b|since\b)", re.I)
# "I've been promoted to senior engineer", "I got promoted to team lead" (`_title`).
_PROMOTED = re.compile(_AUX + r"(?:(?:was|were|got|get|been)\s+)*promoted\s+to\s+(?:an?\s+|the\s+)?"
                       r"(?:(?:role|position|post|rank)\s+of\s+(?:an?\s+)?)?", re.I)
# Ranks a promotion gives that the job words do not name ("team lead", "head of sales").
_RANKS = frozenset({"lead", "head", "partner", "principal", "captain", "chief", "vp",
                    "associate", "foreman", "sergeant", "lieutenant"})
_AS_JOB = re.compile(r",?\s+as\s+an?\s+(?P<job>[a-z][a-z -]{1,40}?)\s*(?:[.,!;]|$)", re.I)
_AT_EMPLOYER = re.compile(r"\s+(?:at|for|with)\s+(?=(?:the\s+)?[A-Z])")


def _job(value: str, *, known: bool = False) -> str | None:
    """`value` when it names a job ("nurse", "software engineer"); with `known`, only when
    its last word is an occupation of JOBS. "X of Y" is a job only when X is one ("a fan of
    soccer" is none)."""
    words = value.split()
    if not words or len(words) > 4 or not (words[0][:1].islower() or (
            words[0].isupper() and len(words) > 1)):
        return None
    lower = [w.lower() for w in words]
    if lower[0] in _DEGREE:
        return None  # "a lot better", "a bit older", "a little worried"
    if "of" in lower[1:]:
        head = lower[lower.index("of", 1) - 1]
        if head in _NOT_JOBS or not (head in JOBS or _JOB_WORD.search(head)):
            return None
    last = words[-1].lower()
    if known:
        return value if last in JOBS else None
    if last in _NOT_JOBS or value.lower() in _NOT_JOBS or not (
            last in JOBS or _JOB_WORD.search(last)):
        return None
    return value


def _title(value: str) -> str | None:
    """`value` after "promoted to" when it names a job or a rank, in any case ("Senior
    Engineer", "team lead", "head of sales"); not "the next level"."""
    low = value.lower()
    words = low.split()
    if not words or len(words) > 5:
        return None
    head = words[words.index("of", 1) - 1] if "of" in words[1:] else words[-1]
    return value if head in _RANKS or _job(low) else None


def _job_at(sentence: str, start: int, subj: _Subject, turn: _Turn, *, known: bool,
            title: bool = False) -> bool:
    """The job guessed at sentence[start:] ("nurse", "senior engineer at Google": its
    employer too) when `_job` (`_title` with `title`) takes it; whether it was added."""
    raw = _value(sentence, start, attribute="job")
    job, employer = _split_job(raw, turn.caseless)
    if not (_title(job) if title else _job(job, known=known)):
        return False
    turn.add(subj, "job", job, "work")
    if employer and _ok_value(employer, place=not turn.caseless):
        turn.add(subj, "employer", employer, "work")
    living = _JOB_LIVING.search(raw)
    if living:  # "I'm an engineer living in Oslo"
        place = _trim_place(clean_value(raw[living.end():]), "residence")
        if _ok_value(place, place=not turn.caseless) and not _no_place(place, "city"):
            turn.add(subj, "city", place, "residence")
    return True


_JOB_LIVING = re.compile(r"\s+(?:living|based)\s+in\s+", re.I)


_UNITS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_TEENS = ("ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
          "eighteen", "nineteen")
_TENS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
# An age in words, 13 to 99 ("thirty-four", "forty two", "seventy"): `_WORD_AGE`; with
# `_SMALL_AGE` also 1 to 12, said of someone other than the speaker ("my son is five").
_WORD_AGE = (rf"(?:(?:{'|'.join(_TENS)})(?:[\s-](?:{'|'.join(_UNITS)}))?(?![\w-])|"
             rf"(?:{'|'.join(_TEENS[3:])})\b)")
_SMALL_AGE = rf"(?:(?:{'|'.join(_UNITS + _TEENS[:3])})\b)"


def age_number(said: str) -> str:
    """An age as digits: "34" → "34", "thirty-four" / "Forty two" → "34" / "42", "five" → "5"
    (the words of `_WORD_AGE` and `_SMALL_AGE`); "" for anything else."""
    if said.isdigit():
        return said
    words = re.split(r"[\s-]+", said.lower().strip())
    small = _UNITS + _TEENS
    if len(words) == 1 and words[0] in small:
        return str(small.index(words[0]) + 1)
    if words and words[0] in _TENS and len(words) <= 2 and (
            len(words) == 1 or words[1] in _UNITS):
        return str(20 + 10 * _TENS.index(words[0]) +
                   (_UNITS.index(words[1]) + 1 if len(words) == 2 else 0))
    return ""


_AGE = re.compile(_AUX + rf"(?P<n>\d{{1,3}}|{_WORD_AGE}|{_SMALL_AGE})\s+"
                  r"(?:years?\s+old|yrs?\s+old|y/o)\b", re.I)
# "I'm 29", "I just turned 68": a bare number after "I'm" / "turned" that nothing follows
# but the clause's end ("I'm 5 minutes away" is not an age).
_AGE_BARE = re.compile(
    r"I(?:(?:'m|’m|\s+am)\s+(?:(?:now|just)\s+)?|\s+(?:(?:just|recently|finally)\s+)*"
    rf"turned\s+)(?P<n>\d{{1,3}}|{_WORD_AGE})(?!\s+and\s+a\s+half\s+(?:weeks?|months?|days?|hours?))"
    rf"(?=\s*(?:$|[,.!;]|\s+(?:and|but|so|now|today|yesterday|last|this|myself|{FILLERS}|in|"
    r"on|not\s+\d{1,3}(?!\s*(?:feet|foot|ft|inches|cm|kg|lbs?|pounds|stone|minutes|mins|"
    r"hours|days|weeks|months)\b))\b))", re.I)
_TURNED = re.compile(r"(?:just\s+)?turned\s+", re.I)  # "my son turned 6 last week"
_AGE_OF = re.compile(rf"(?P<n>\d{{1,2}}|{_WORD_AGE}|{_SMALL_AGE})(?=\s*(?:$|[,.!;]|\s+(?:and|but|so|now|today|yesterday|last|"
                     r"not\s+(?:\d{1,2}|[a-z]+)(?!\s*(?:feet|foot|ft|inches|cm|kg|lbs?|pounds|stone|"
                     r"minutes|mins|hours|days|weeks|months)\b)|"
                     rf"this|{FILLERS}|"
                     r"(?:years?|yrs?)(?!\s+(?:older|younger|ago|apart|later|before|after|"
                     r"behind|ahead|earlier|since)\b))\b))", re.I)
# "I'm in Bologna", "we're in Olympia now": where the speaker lives, unless the clause says
# for how long.
_IN_CITY = re.compile(r"\b(?:I(?:'m|’m|\s+am)|[Ww]e(?:'re|’re|\s+are))\s+(?:now\s+|still\s+)?"
                      r"(?P<arrived>(?:finally|officially)\s+)?(?:based\s+)?in\s+(?=[A-Z])")
# ... "we're finally in Tokyo" is where one lives in a turn that tells of a move ("..., the
# move went fine"), not of a trip's arrival
_TELLS_A_MOVE = re.compile(r"\b(?:the\s+move|moved|settled|settling\s+in|all\s+unpacked|"
                           r"unpacking(?!\s+(?:my|our|the)\s+(?:suitcase|bag|case)s?)|"
                           r"done\s+unpacking|new\s+(?:place|flat|apartment|house|home))\b", re.I)
_PASSING = re.compile(r"\b(?:for|this|next|until|till|on\s+(?:holiday|vacation|business|a\s+trip)|"
                      r"visiting|today|tonight|tomorrow|at\s+the\s+moment|right\s+now|"
                      r"the\s+(?:hospital|office|airport|station|car|shop|gym|queue|meeting)|"
                      r"trouble|love|charge|pain|bed|town)\b", re.I)
# (pattern after the subject, attribute, listing, check): check "ended" - only in a sentence
# that says the fact ended ("any more", "no longer": "I'm not a nurse" alone denies, it ends
# nothing); "job" - that, and the value is a job by `_job` ("I'm not a morning person any
# more" names none); "left" - `_left_job` reads what follows ("I quit my job", "I left Acme").
_NEGATIONS: list[tuple[re.Pattern[str], str, bool, str | None]] = [
    (re.compile(_AUX + r"(?:not|no\s+longer|n't)\s+allergic\s+to\s+", re.I), "allergy", True,
     None),
    (re.compile(r"(?:'m|’m|am|is|'s)?\s*(?:not\s+)?(?:don't|do\s+not|doesn't|does\s+not|"
                r"no\s+longer)\s+(?:live|lives|living)\s+(?:in|at)\s+", re.I), "residence", False,
     None),
    # "I moved out of Leeds", "We've moved away from Lyon": a place, not "out of my flat"
    (re.compile(r"(?:'ve|’ve|have|has)?\s*(?:just\s+|finally\s+|recently\s+|officially\s+)?"
                r"(?:moved|relocated)\s+(?:out\s+of|away\s+from)\s+", re.I), "residence", False,
     "place"),
    # "I don't work at Acme", "I'm no longer working for Acme", "I stopped working at Acme"
    (re.compile(r"(?:(?:'m|’m|am|is|'s)\s+no\s+longer\s+working|(?:don't|do\s+not|doesn't|"
                r"does\s+not|no\s+longer)\s+(?:work|works|working)|(?:'ve|’ve|have|has)?\s*"
                r"(?:just\s+)?(?:stopped|quit)\s+working)\s+(?:at|for|with)\s+", re.I),
     "employer", False, None),
    (re.compile(r"(?:'m|’m|am|is|'s)\s+not\s+working\s+(?:at|for|with)\s+", re.I), "employer",
     False, "ended"),
    # "I don't work as a nurse any more", "I stopped working as a nurse", "I quit being a nurse"
    (re.compile(r"(?:(?:'m|’m|am|is|'s)\s+no\s+longer\s+working|(?:don't|do\s+not|doesn't|"
                r"does\s+not|no\s+longer)\s+(?:work|works)|(?:'ve|’ve|have|has)?\s*(?:just\s+)?"
                r"(?:stopped|quit|gave\s+up)\s+(?:working|work))\s+as\s+(?:an?\s+|the\s+)?|"
                r"(?:'ve|’ve|have|has)?\s*(?:just\s+)?(?:stopped|quit|gave\s+up)\s+being\s+"
                r"(?:an?|the)\s+", re.I), "job", False, None),
    (re.compile(r"(?:'m|’m|am|is|'s)\s+not\s+working\s+as\s+(?:an?\s+|the\s+)?", re.I), "job",
     False, "ended"),
    # "I'm no longer a fan of jazz", "I'm not into jazz any more": a like that ended
    (re.compile(r"(?:'m|’m|am|is|'s)\s+(?:not|no\s+longer)\s+(?:really\s+|much\s+of\s+)?"
                r"(?:into|an?\s+(?:big\s+|huge\s+)?fan\s+of|crazy\s+about|passionate\s+about)\s+",
                re.I), "likes", True, "ended"),
    # "I'm kinda over jazz now", "I'm so over reality TV": a like that ended (not "over it",
    # "over the moon", "over 40", "over there")
    # (said with how much: "I'm over budget", "I'm over the flu", "I'm over qualified" are
    # no taste; nor an amount, a size or a state after it)
    (re.compile(r"(?:'m|’m|am)\s+(?:(?:honestly|just|really)\s+)*(?:(?:kinda|kind\s+of|so|"
                r"totally|completely|pretty\s+much|officially|sort\s+of|a\s+bit)\s+|"
                # (without how much, only said as a change: "I'm over sushi now", "... tbh")
                r"(?=over\s+[^,.;!?]*?\b(?:now|tbh|any\s?more|honestly|lately|these\s+days)\b))"
                r"over\s+(?!(?:it|that|this|him|her|them|you|the\s+(?:moon|hill|top|flu|limit|age)|"
                r"there|here|now|my|his|our|your|their|budget|capacity|halfway|a|an|"
                r"\w+ed|\d)\b)(?=[a-z])", re.I),
     "likes", False, "over"),
    # "I'm no longer a nurse", "I'm not a teacher any more"
    (re.compile(r"(?:'m|’m|am|is|'s)\s+(?:not|no\s+longer)\s+(?:an?|the)\s+", re.I), "job", False,
     "job"),
    (re.compile(r"(?:'ve|’ve|have|has)?\s*(?:just\s+|finally\s+|recently\s+)?(?P<verb>left|quit|lost|"
                r"resigned\s+from)\s+", re.I), "employer", False, "left"),
    # "I got fired", "I was laid off from Acme", "I've been made redundant": `_dismissed`
    (re.compile(r"(?:(?:'ve|’ve|have|has)\s+(?:just\s+|recently\s+|finally\s+|officially\s+)*"
                r"been|(?:just\s+|recently\s+|finally\s+)*(?:got|was|were))\s+"
                r"(?:just\s+|recently\s+|finally\s+|officially\s+)*(?:fired|laid\s+off|let\s+go|"
                r"sacked|made\s+redundant)\b", re.I), "employer", False, "dismissed"),
    (re.compile(r"(?:'m|’m|am|is|'s)\s+(?:not|no\s+longer)\s+(?:with|at)\s+(?=[A-Z])(?=.*\b(?:any\s?more|"
                r"no\s+longer)\b)", re.I), "employer", False, None),
    (re.compile(r"(?:don't|do\s+not|doesn't|does\s+not|no\s+longer)\s+(?:really\s+)?"
                r"(?:like|likes|love|loves|enjoy|enjoys)\s+", re.I), "likes", True, None),
    (re.compile(r"(?:don't|do\s+not|doesn't|does\s+not|no\s+longer)\s+prefer\s+", re.I),
     "preference", False, None),
]
# After a dismissal (`_dismissed`): nothing more of it ("I got fired.", "... because ...", "...
# last week"); "fired up", "fired at", "let go of" are something else.
_DISMISSED_END = re.compile(
    r"\s*(?:$|[.,;:!)]|\s[-–—]\s)|\s+(?:because|since|and|but|so|then|too|again|now|already|"
    rf"{FILLERS})\b", re.I)
_DISMISSED_FOR = re.compile(r"\s+(?:for|after|due\s+to|over)\s+", re.I)  # "... for being late"
_DISMISSED_BY = re.compile(r"\s+by\s+(?:my|our|the)\s+(?:new\s+)?(?:boss|manager|supervisor|"
                           r"company|employer)\b", re.I)
_DISMISSED_FROM = re.compile(r"\s+from\s+", re.I)
# "I quit my job", "I left my teaching job", "her job as a nurse": the job left (`_left_job`).
_MY_JOB = re.compile(r"(?P<poss>my|his|her|their)\s+(?:[\w'’-]+\s+){0,2}?(?P<noun>job|position|role)\b"
                     r"(?P<as>\s+as\s+(?!an?\s+(?:result|consequence)\b)(?:an?\s+|the\s+)?)?",
                     re.I)
# A job that is not the main one ("my part-time job", "my side job", "my second job")
_SIDE_JOB = re.compile(r"\b(?:part[- ]time|side|second|other|another|weekend|summer|evening|night|"
                       r"temp|temporary|holiday|seasonal|casual|bar|waitressing|student)\s+job\b",
                       re.I)
# After "my job" of a job left: no more words of it ("I quit my job.", "... to travel", "...
# last week", "... because ..."); "my job title", "my role model" are something else.
_JOB_LEFT_END = re.compile(
    r"\s*(?:$|[.,;:!?)]|\s[-–—]\s)|\s+(?:to|because|since|after|and|but|so|for|then|too|today|"
    r"yesterday|recently|finally|last|this|in|on|over|of|a|an|two|three|four|five|six|few|"
    rf"several|\d+|{FILLERS})\b", re.I)
_JOB_AT = re.compile(r"\s+(?:at|with)\s+", re.I)  # "my job at Zara"
# A job's value ends before what it was left for ("a nurse to travel").
_JOB_LEFT_TAIL = re.compile(r"\s+(?:to|because|after|for|since)\s+.*$", re.I)
_ANY_MORE = re.compile(r"\b(?:any\s?more|no\s+longer)\b", re.I)
_MY_ATTR = re.compile(
    rf"\b(?:[Mm]y|[Oo]ur(?=\s+(?:wedding\s+)?anniversary\b)|(?P<pron>[Hh]is|[Hh]er)|(?P<owner>{_TITLE_NAME})['’]s)\s+(?:(?P<rel>{RELATION_RE})'s\s+)?"
    r"(?P<attr>(?i:favou?rite\s+[a-z]+(?:\s+[a-z]+)?|[a-z][a-z-]*(?:\s+[a-z][a-z-]*){0,2}?))"
    r"(?:\s+is|(?<=day)['’]s)\s+(?P<neg>no\s+longer\s+|not\s+)?")  # ("my bday's July 14")
_NEW = r"(?:(?:new|current|present)\s+)?"
# Breeds a pet is said by ("a golden retriever named Biscuit"): the animal they are.
BREEDS: dict[str, str] = {**dict.fromkeys(
    "retriever labrador lab poodle beagle terrier spaniel collie shepherd husky bulldog "
    "dachshund corgi pug chihuahua greyhound whippet schnauzer boxer rottweiler doberman "
    "pomeranian maltese cockapoo labradoodle goldendoodle dalmatian mastiff sheepdog setter "
    "pointer lurcher staffie".split(), "dog"), **dict.fromkeys(
    "tabby siamese persian ragdoll bengal sphynx tomcat".split(), "cat")}
_BREED_RE = "|".join(sorted(BREEDS, key=len, reverse=True))
# The relations by blood or marriage: "X is my <one of these>" names a person ("Ana is my
# sister"), where a friend, a teacher or a therapist is often a thing ("Coffee is my best
# friend").
_FAMILY_RE = ("sister|brother|mother|mum|mom|father|dad|wife|husband|son|daughter|cousin|aunt|uncle|"
           "niece|nephew|grandmother|grandma|grandfather|grandpa|stepmother|stepfather|stepson|"
           "stepdaughter|stepsister|stepbrother|twin|grandson|granddaughter|fiancé|fiancée|"
           "fiance|fiancee|partner|(?:mother|father|sister|brother|son|daughter)-in-law")
# How long or since when a couple has been one: "for a year", "since March", "in 2019",
# "two months ago" (not "since kindergarten": friends as often)
_COUPLE_WHEN = (  # (months in any case: "since March")
    r"(?i:(?:for|over)\s+(?:about\s+|almost\s+|nearly\s+|over\s+|the\s+(?:past|last)\s+)?(?:a|an|"
    r"\d+|two|three|four|five|six|seven|eight|nine|ten|several|some|many|months|years|ages)\s+"
    r"(?:(?:few|couple\s+of)\s+)?(?:weeks?|months?|years?|decades?|while|ages)\b|"
    r"since\s+(?:(?:19|20)\d\d\b|" + _T_MONTH + r"|" + _LAST_TIME + r")|"
    r"(?:back\s+)?in\s+(?:(?:19|20)\d\d|" + _T_MONTH + r")|" + _LAST_TIME
    + r"|(?:a|an|\d+|two|three|four|five|six|few|several)\s+(?:few\s+)?(?:weeks?|months?|years?)"
    r"\s+ago)")
# After the partner's name: the clause ends, or goes on with how long or since when; not
# with a meeting's time or place ("tomorrow", "tonight", "for dinner", "to the cinema")
_COUPLE_END = (
    r"(?!['’])(?=\s*(?:[.;!,)]|$|\s+(?:and\s+(?:I|I'm|we|we're|it|it's|things|so|my)\b|but\b|"
    r"now\b|who\b|because\b|so\b|though\b|" + _COUPLE_WHEN + r")))")
# "I've been seeing Dan" says a relationship only with how long: "... Dr. Lee", "... Jessica
# Jones" (a show) are seen otherwise
_COUPLE_SPAN = r"(?!['’])(?=\s+(?:" + _COUPLE_WHEN + r"))"
_REL_NAMED = re.compile(
    rf"\b(?:[Mm]y|[Oo]ur)\s+{_NEW}(?P<rel>{RELATION_RE})(?:['’]s\s+name\s+is|['’]s\s+(?:called|named)|"
    rf"\s+is\s+(?:called|named)|,)\s+"
    rf"(?P<name>{_TITLE_NAME})|\b(?:[Mm]y|[Oo]ur)\s+(?P<rel2>{RELATION_RE})\s+(?P<name2>{_TITLE_NAME})\b|"
    rf"\b[Mm]y\s+{_NEW}(?P<rel3>{RELATION_RE})\s+is\s+(?P<name3>{_TITLE_NAME})"
    rf"(?=\s*(?:[.,!;]|$|\s+(?:and|but|who|so|because|though)\b))|"
    rf"(?:\b(?:I|[Ww]e)(?:['’]ve)?\s+|^)(?:(?:also|just|recently|finally|now|already|still)\s+)*"
    rf"(?:have|got|adopted|own|bought)\s+{_PETS_COUNTED}(?:an?|another)\s+(?:(?:new|little|baby|younger|older|big|twin|half|rescue|shelter|stray|senior|"
    rf"tiny|sweet|cute)\s+)*(?P<rel4>{RELATION_RE})"
    rf"(?:\s+(?:called|named)\s+(?P<name4>{_TITLE_NAME})|,\s+(?P<name8>{_TITLE_NAME})"
    rf"(?=\s*(?:[.,;!]|$|\s+(?:and|but|who|so|because|though)\b)))|"
    # "Ana is my sister", "Sam's my husband": kin only ("Coffee is my best friend", "Wine is
    # my therapist", "Karma is my boyfriend" are sayings)
    rf"(?:^{_NAME_LEAD}|(?<=[,;] ))(?P<name5>{_TITLE_NAME})(?:['’]s|\s+is)\s+(?:also\s+)?my\s+"
    rf"(?:(?:younger|older|little|big|baby|twin|half|new)\s+)?(?P<rel5>{_FAMILY_RE})"
    rf"(?=\s*(?:[.,;!]|$|\s+(?:and|but|who|so|because|though|now|too|btw|lol)\b))|"
    # "I have a golden retriever named Biscuit": a dog, by its breed
    rf"\b(?:I|[Ww]e)\s+(?:(?:also|just|recently|finally|now)\s+)*(?:have|got|adopted|own|bought)\s+"
    rf"an?\s+(?:[a-z]+\s+){{0,2}}?(?P<breed7>(?i:{_BREED_RE}))\s+(?:called|named)\s+"
    rf"(?P<name7>{_TITLE_NAME})|"
    # "I'm married to Sam", "I got married to Sam in June", "I married Sam last year": the
    # speaker's spouse (not "... to Sam's cousin", "... to Excel spreadsheets", "... to
    # Netflix at this point")
    rf"\bI(?:(?:['’]m|\s+am)\s+(?:(?:happily|now|also|still)\s+)?married\s+to|"
    rf"\s+(?:(?:just|recently|finally)\s+)?(?:got\s+married\s+to|married))\s+"
    rf"(?P<name6>{_TITLE_NAME})(?!['’])(?=\s*(?:[.;!]|$|\s+(?:and|but|now|since|for|who|in|"
    rf"last|on|this|back)\b))|"
    # "I'm dating Dan", "I've been dating Dan for a year", "I started seeing Dan", "I've been
    # seeing Dan for two years", "Dan and I (me and Dan) are dating": the speaker's partner
    # (not "I'm seeing Dan (tomorrow)", "I'm going out with Dan (tonight)": a meeting as often)
    rf"\bI(?:(?:['’]m|\s+am)\s+{_STILL}(?!seeing\b|going\s+out\b){_DATING}|(?:['’]ve|\s+have)"
    rf"\s+been\s+{_STILL}(?!seeing\b){_DATING}|\s+{_STARTED}{_DATING})\s+"
    rf"(?P<name10>{_NAME_RE}){_COUPLE_END}|"
    rf"\bI(?:['’]ve|\s+have)\s+been\s+{_STILL}seeing\s+(?P<name12>{_NAME_RE}){_COUPLE_SPAN}|"
    # "I've been seeing a guy named Ryan", "(I) started dating a girl called Mia": the
    # partner, "seeing" too (a meeting is with someone by name, not "a guy named ...")
    rf"(?:\bI(?:['’]m|\s+am|['’]ve\s+been|\s+have\s+been|\s+{_STARTED})|^{_STARTED})\s*"
    rf"{_STILL}(?:dating|seeing|going\s+out\s+with)\s+(?:a|this)\s+(?:(?:new|nice|lovely|"
    rf"cute|great)\s+)?(?:guy|girl|man|woman|lady|dude|bloke)\s+(?:named|called)\s+"
    rf"(?P<name17>{_NAME_RE}){_COUPLE_END}|"
    rf"(?:^|(?<=[,;] ))(?P<name11>{_NAME_RE})\s+and\s+(?:I|me)\s+{_COUPLE_VERB}{_COUPLE_END}|"
    rf"(?:^|(?<=[,;] ))[Mm]e\s+and\s+(?P<name13>{_NAME_RE})\s+{_COUPLE_VERB}{_COUPLE_END}|"
    # "I'm engaged to Sam", "I just got engaged to Sam": the speaker's fiancé
    rf"\bI(?:(?:['’]m|\s+am)\s+(?:(?:now|also|still|officially|happily)\s+)?engaged\s+to|"
    rf"\s+{_WED_ADV}got\s+engaged\s+to|"
    # "I proposed to Lena last weekend and she said yes"
    rf"\s+{_WED_ADV}(?P<proposed>proposed)\s+to)\s+"
    rf"(?P<name14>{_TITLE_NAME})(?!['’])"
    rf"(?=\s*(?:[.;!,]|$|\s+(?:and|but|now|since|for|who|in|last|on|this|back)\b))|"
    # "Sam and I got married", "Me and Sam are engaged", "Sam and I tied the knot": a spouse,
    # a fiancé (`_WED_DONE`, `_WED_STATE`)
    rf"(?:^|(?<=[,;] ))(?P<name15>{_NAME_RE})\s+and\s+(?:I|me)\s+(?P<wed15>{_WED_DONE}|"
    rf"{_WED_STATE})|"
    rf"(?:^|(?<=[,;] ))[Mm]e\s+and\s+(?P<name16>{_NAME_RE})\s+(?P<wed16>{_WED_DONE}|"
    rf"{_WED_STATE})|"
    # "We just had a baby girl, Mia", "I had a baby boy named Noah": a daughter, a son
    # ... and "Our baby girl Zoe was born yesterday!!"
    rf"(?:\b(?:I|[Ww]e)\s+(?:(?:just|recently|finally|have|'ve|’ve)\s+)*(?:had|welcomed)\s+"
    rf"(?:a|our)\s+|\b(?:[Mm]y|[Oo]ur)\s+(?=(?:new\s+)?baby\s))"
    rf"(?:(?:new|first|second|third|beautiful|healthy|little|baby)\s+)*"
    rf"(?P<baby>girl|boy)(?:\s+(?:called|named)\s+|,\s+|\s+[-–—]\s+|"
    rf"\s+(?=[A-Z][\w'’-]*\s+(?:was\s+born|arrived|is\s+here)\b))(?P<name9>{_TITLE_NAME})")
_HELLO = r"(?:[Hh]i+|[Hh]iya|[Hh]eya|[Hh]ello+|[Hh]ey+|[Yy]o|[Hh]owdy)"
_MY_NAME = re.compile(
    rf"\b(?:[Mm]y\s+name(?:'s|\s+is)|[Cc]all\s+me|[Mm]y\s+friends\s+call\s+me|I\s+go\s+by|"
    rf"(?:[Ee]veryone|[Ee]verybody|[Pp]eople|[Mm]ost\s+people)\s+calls?\s+me)\s+"
    rf"(?P<name>{_TITLE_NAME})|(?:^|[.!]\s+|,\s*)(?:{_HELLO}(?:\s+there)?)?[,!]?\s*"
    rf"(?P<lead>(?i:so|well|ok|okay|anyway|btw)[,!]?\s+)?"
    rf"I(?:'m|’m|\s+am)\s+(?P<short>[A-Z][^\W\d_]+(?:\s+[A-Z][^\W\d_]+)?)\s*(?:[,.!]|$|"
    rf"\s+and\b|\s+but\b|\s+by\s+the\s+way|\s+btw\b|\s+here\b)|"
    rf"(?:^|[.!]\s+|,\s*)(?:{_HELLO}(?:\s+there)?)?[,!]?\s*(?P<here>[A-Z][^\W\d_]+)\s+here\s*(?:[,.!]|$)")


def _named(name: str) -> bool:
    words = name.split()
    first = words[0].lower().rstrip(".") if words else ""
    return bool(first) and first not in NOT_NAMES and first not in KIN_NAMES


def _kin(name: str, me: _Subject) -> _Subject | None:
    """"Mum", "Dad", "Grandma" named like a person: the speaker's relative."""
    relation = KIN_NAMES.get(name.lower())
    return _Subject(me.name, me.key, f"{relation}'s ") if relation else None


def _person(name: str) -> str:
    """A captured name without a possessive ("my daughter Sara's birthday" -> "Sara")."""
    return re.sub(r"['’]s$", "", clean_value(name))


# Words said after "my name is" that are sayings, not names
_NO_NAME_WORDS = frozenset({"mud", "legion", "nobody", "trouble", "irrelevant", "unimportant"})


def stated_name(text: str, after_greeting: bool = False,
                tentative: set[str] | None = None) -> str | None:
    """The name a speaker gives for themself in `text` ("my name is Alice Moreau", "call
    me Ali", "Hi, I'm Alice.", in lower case too: "hey im ali"), or None. `after_greeting`:
    the speaker's previous turn only greeted ("hiya", then "im ali"). A name of a lower-case
    "im x" is also added to `tentative` (`Extraction.tentative`)."""
    found = None
    for sentence in sentences(caseless_self_name(text, after_greeting, tentative)):
        if sentence.rstrip().endswith("?"):
            continue
        for m in _MY_NAME.finditer(sentence):
            name = clean_value(m.group("name") or m.group("short") or m.group("here") or "")
            if m.group("name"):
                name = clean_value(sentence[m.start("name"):value_end(sentence,
                                                                      m.start("name"))])
            if m.group("short") and name.split()[0].lower() in DEMONYM_NOUNS:
                continue  # "I'm Aussie", "I'm Kiwi": a nationality, no name
            if m.group("lead") and (name.lower() in KNOWN_PLACES or _an_app(name)
                                    or name.split()[0].lower() in _OPENERS):
                continue  # "so I'm Google", "well I'm Paris": no name after a chat opener
            if name.split() and re.sub(r"['’]s$", "", name.split()[0].lower()) in _NO_NAME_WORDS:
                continue  # "my name is mud after that meeting", "my name is Legion"
            if name and _named(name) and len(name) <= 64 and name.split()[0][:1].isupper() \
                    and _printable_name(name) and not _bare_title(name):
                found = name  # the last one stated wins ("my name's Joanna, call me Jo")
    return found


def _printable_name(name: str) -> bool:
    """The check a name given as `name=` gets (memos.cube.normalize_id): no control or
    bidirectional-override characters, which would then lead every fact the user states."""
    from memos.cube import normalize_id

    try:
        normalize_id(name, "name")
    except ValueError:
        return False
    return True


# Words another person says, quoted: "My friend told me 'I live in Paris'", '"I work at
# Google," she said'. The quote's "I" is that person, so the quote states none of the
# speaker's facts; a quote the speaker says ("I told him 'I live in Paris now'") stays.
_SAY = (r"(?:(?:said|says|say|told|tells|asked|asks|wrote|writes|texted|texts|replied|replies|"
        r"yelled|shouted|posted|tweeted|messaged|emailed|announced|added|explained|insisted|"
        r"joked|claims|claimed|(?:keeps|kept|keep)\s+(?:saying|telling|asking|texting|"
        r"writing))(?:\s+(?:me|us|him|her|them|"
        r"everyone|back))?|goes|went|was\s+like|is\s+like)")
_QUOTE = re.compile(r"(?:(?<=^)|(?<=[\s:(\[]))(?:\"[^\"\n]{1,600}\"|“[^”\n]{1,600}”|"
                    r"'(?!(?:cause|cos|em|til|tis|twas|bout|round|n)\b)(?=\w)[^\n]{1,600}?'"
                    r"(?=[\s.,!?;:)\]]|$)|"
                    r"‘[^\n]{1,600}?’(?=[\s.,!?;:)\]]|$))")
# who says it: "my friend told me", "she's like", "Tom then wrote", "I told him"
_WHO_SAYS = (rf"(?P<who>\b[A-Za-z]+)(?:(?:'s|’s|'re|’re|'m|’m)\s+(?:all\s+|just\s+)?like|"
             rf"\s+(?:\w+\s+)?{_SAY})")
_SAID_BEFORE = re.compile(rf"(?:{_WHO_SAYS}\s*(?:to\s+\w+\s*)?[,:]?|"
                          rf"\b[Mm]y\s+(?:{RELATION_RE})\s*:)\s*$", re.I)  # "My daughter: '...'"
_SAID_AFTER = re.compile(rf"\s*[,.!?]?\s*(?:{_WHO_SAYS}\b|{_SAY}\s+(?P<who2>[A-Za-z]+))", re.I)


_SAID_COLON = re.compile(rf"{_WHO_SAYS}\s*(?:to\s+\w+\s*)?:\s*(?P<rest>[^\n.!?]+[.!?]*)", re.I)


def _unquote_others(text: str) -> str:
    """The text without the quotes of what somebody other than the speaker said (and
    without the "she said" after one)."""
    out: list[str] = []
    at = 0
    for m in _QUOTE.finditer(text):
        if m.start() < at:
            continue
        before = _SAID_BEFORE.search(text, max(0, m.start() - 80), m.start())
        after = None if before else _SAID_AFTER.match(text, m.end(), min(len(text),
                                                                          m.end() + 60))
        said = before or after
        if said is None:
            continue  # a title, a phrase: not speech
        who = said.group("who") or said.groupdict().get("who2") or ""
        if who in ("I", "i"):
            continue
        out.append(text[at:m.start()])
        at = after.end() if after is not None else m.end()
    text = "".join(out) + text[at:] if out else text
    # Unquoted after a colon: "my sister said: i work at Google"
    colon = _SAID_COLON.search(text)
    if colon is not None and not re.search(r"\b(?:I|we)\b", text[colon.start():colon.start("rest")],
                                           re.I):  # ("Like I said: I work at Google": mine)
        text = text[:colon.start("rest")] + text[colon.end():]  # (to the sentence's end)
    return text


# Chat written in lower case: "im", "i", "ive" are the first person.
_LOWER_I = re.compile(r"\b(?:i(?=\s|['’]|$)|im(?=\s)|ive(?=\s)|dont|cant|doesnt|didnt|isnt|"
                      r"wont|havent|shes|hes|(?:Im|Ive)(?=\s+[a-z0-9]))\b")
# ("Im allergic to cats", "Ive got a dog": typed without the apostrophe at a sentence's start,
# not a person named Im)
_CHAT = {"i": "I", "im": "I'm", "ive": "I've", "Im": "I'm", "Ive": "I've", "dont": "don't", "cant": "can't",
         "doesnt": "doesn't", "didnt": "didn't", "isnt": "isn't", "wont": "won't",
         "havent": "haven't", "shes": "she's", "hes": "he's"}
# A possessive typed without its apostrophe: "my sisters name is Lena", "my moms birthday is
# 3 May" (a relative's attribute; "my sisters' names are ..." is left as it is).
_BARE_POSSESSIVE = re.compile(
    rf"\b([Mm]y\s+(?:{RELATION_RE}))s\s+(?={POSSESSED_ATTRIBUTES_RE}\s+(?:is|was)\b)")
# Words that say which of a kind of relative, between "my" and the relation: "my little
# sister Ana", "my older brother Tom", "my other friend Sam" are "my sister Ana", ... (not
# "old", "new", "former": a relative replaced).
# Chat's words for kin: "my bf", "my gf", "my best mate Dave", "my bestie" (read as the
# relation's own word)
CHAT_KIN_WORDS = {"best mate": "best friend", "bestie": "best friend", "bff": "best friend",
                   "bf": "boyfriend", "gf": "girlfriend", "hubby": "husband", "mate": "friend",
                   "sis": "sister", "bro": "brother", "stepdad": "stepfather",
                   "stepmom": "stepmother", "stepmum": "stepmother", "mil": "mother-in-law",
                   "fil": "father-in-law", "sil": "sister-in-law", "bil": "brother-in-law"}
_CHAT_KIN = re.compile(r"\b((?:[Mm]y|[Oo]ur)\s+)(?i:(" + "|".join(
    w.replace(" ", r"\s+") for w in sorted(CHAT_KIN_WORDS, key=len, reverse=True))
    + r"))\b(?![-])")
_WHICH_KIN = re.compile(
    rf"\b([Mm]y)\s+(?:(?:older|younger|elder|eldest|oldest|youngest|big|little|baby|kid|twin|"
    rf"other)\s+)(?=(?:{RELATION_RE})\b)")
# A clause that starts with the statement's verb, its subject left out: "live in leeds atm",
# "Context: based in Berlin.", "Grew up in Leeds.", "I'm Liam, born and raised in Cork".
_BARE_ADVERB = (
    r"(?:(?:currently|now|still|originally|just|recently|finally|been|happily|officially|"
    r"literally|basically|proudly|technically|honestly|actually|also|already|newly|"
    r"temporarily|permanently|somehow|apparently|luckily|sadly|unfortunately|fortunately|"
    r"hopefully|obviously|clearly|definitely|eventually|suddenly|surprisingly|gladly|secretly|"
    r"quietly)\s+)*")
_BARE_ADVERBS = (
    _BARE_ADVERB +
    r"(?=(?:live|living|based|grew\s+up|born|moved|relocated|from|prefer|joined|"
    r"work(?:ing)?\s+(?:at|for|as|in)|don't\s+(?:really\s+)?like|allergic|turned\s+\d+|adopted|"
    r"(?:(?:got|started|landed)\s+(?:a\s+)?(?:new\s+)?|found\s+a\s+new\s+)"
    r"(?:job|position|role)\s+(?:at|with|as)|"
    # "got a new place in Olympia, moved in on Saturday" (`_PREDICATES`)
    r"(?:got|found|rented|bought)\s+(?:a|an)\s+(?:new\s+)?(?:place|flat|apartment|house|home)|"
    # "quit my job today!!", "left my job at Zara", "started working at Stripe" (not a bare
    # "started at": "Started at Level 3", "started at Costa this morning")
    r"quit\s+my\s+(?:\w+\s+)?job|left\s+my\s+(?:\w+\s+)?job|started\s+working\s+(?:at|for)|"
    # "got laid off from equinor today 😭"
    r"got\s+(?:laid\s+off|fired|let\s+go|sacked|made\s+redundant))\b)")
_BARE = re.compile(
    r"^(?:(?:context|fyi|btw|also|and|so|no|yes|yeah|nope|well|oh|ok|okay|info|me|then|later|"
    r"after\s+that|eventually|(?:big|good|great|exciting|some|huge)\s+news|news|update|"
    r"guess\s+what)[:,.!]?\s+)*"
    + _BARE_ADVERBS, re.I)
# ... and after a comma that ends a short clause saying what the speaker is ("I'm a single
# mum, work as a nurse at X", "hey there, I'm Tomasz, just moved to Leeds": `_SPEAKER_LEAD`),
# of where one lives or works only: the speaker's too. Not after any other clause ("My
# sister is a nurse, works at X", "I bought a rug, from Morocco", "I visited my cousin, just
# moved to Madrid", "I'm at the office, working at the front desk": a review's examples)
_BARE_AFTER_COMMA = re.compile(
    r",\s+(?:and\s+)?" + _BARE_ADVERB + r"(?=(?:live|living|based|moved|relocated|joined|"
    r"work\s+(?:at|for|as|in)|got\s+(?:a\s+)?(?:new\s+)?job\s+(?:at|with|as))\b|"
    # "I'm French, from Nantes" (a name after "from", not a day or a month: "I'm free,
    # from Monday")
    r"(?:originally\s+)?from\s+(?!(?:mon|tues|wednes|thurs|fri|satur|sun)day\b|"
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b)(?-i:[A-Z]))", re.I)
# "Home is Boston these days": where the speaker lives.
# "... home is Madrid for them now": someone else's home, not the speaker's.
_FOR_OTHERS = re.compile(r"\bfor\s+(?:him|her|them|us|my|his|their|our)\b", re.I)
_CALL_HOME = re.compile(r"\bI\s+(?:(?:now|also|still|proudly|happily)\s+)?call\s+"
                        r"(?P<place>(?:the\s+)?[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,2})\s+home\b")
_HOME = re.compile(r"(?:^(?:(?:[Bb]ut|[Aa]nd|[Ss]o)\s+)?|\b[Mm]y\s+)[Hh]ome\s+(?:is|'s|’s)\s+"
                   r"(?:now\s+)?(?=[A-Z])")
# "I changed jobs, I'm at Farfetch now": "I'm at X" names an employer only in a turn about work
# (not a work trip: `_NOT_WORK_TALK`).
_AT_ORG = re.compile(r"\bI(?:'m|’m|\s+am)\s+(?:now\s+)?(?:at|with)\s+(?=[A-Z])")
# Work words that are no talk of one's employer: "my work trip got delayed", "working on my
# CV", "working from home"
_NOT_WORK_TALK = re.compile(r"\b(?:work|business)\s+trip|\bfor\s+work\b|\bworking\s+(?:on|from|"
                            r"out)\b|\bwork\s+(?:from|out)\b", re.I)
_WORK_TALK = re.compile(r"\b(?:jobs?|work(?:ing)?|company|employer|hired|position|role|"
                        r"offer|career|laid\s+off|sacked|redundant)\b", re.I)
# "I'm Ben, product designer at Figma": a job after the speaker's name.
_APPOSITIVE_JOB = re.compile(
    r"\bI(?:'m|’m|\s+am)\s+[A-Z][^\W\d_]+(?:\s+[A-Z][^\W\d_]+)?,\s+(?:an?\s+|the\s+)?"
    r"(?P<job>[a-z][a-z -]{1,40}?)\s+(?:at|for|with)\s+(?=[A-Z])")
# "it's sofia@x.org now" right after "my email is no longer ...": the new value.
_ITS_NOW = re.compile(r"^(?:and\s+|but\s+|now\s+)*(?:it|the\s+new\s+one)(?:'s|’s|\s+is)\s+(?:now\s+)?",
                     re.I)
# A change said as a change: "Helen changed her email, it's now ...", "I got a new number:
# ...", "my email changed to ...". The value follows in the clause or the next ("it's ...").
_CHANGE_ATTR = r"(?P<attr>[a-z][a-z-]*(?:\s+[a-z][a-z-]*){0,2}?)"
# A person's name of at most four words (bounded: tried at every word of a clause).
_OWNER = (r"(?:(?:Dr|Mr|Mrs|Ms|Prof)\.?\s+)?(?:[A-Z]\.\s+){0,2}(?!I\b|I['’])[A-Z][\w-]*"
          r"(?:\s+(?:[A-Z][\w-]*|[A-Z]\.)){0,3}")
_CHANGED = re.compile(
    rf"(?:^|(?<=\s))(?:(?P<i>I)(?:['’]ve|['’]s|\s+have|\s+has)?|(?P<owner>{_OWNER})"
    r"(?:['’]s|['’]ve)?)\s+"
    r"(?:(?:has|have|just|recently|finally|also|now)\s+)*"
    r"(?:(?:changed|updated|switched)\s+(?P<poss>my|his|her|their)\s+(?:(?:email|phone)\s+to\s+a\s+new\s+)?|"
    r"(?:got|has|have|gets)\s+a\s+new\s+)" + _CHANGE_ATTR
    + r"(?=\s*(?:$|[,:;.!]|\s+(?:to|now|again)\b|\s+[-–—]\s))")
_ATTR_CHANGED = re.compile(
    rf"(?:^|(?<=\s))(?:[Mm]y|(?P<owner>{_OWNER})['’]s)\s+" + _CHANGE_ATTR
    + r"\s+(?:has\s+)?(?:changed|moved)\s+(?=to\s)")
# "New number btw, it's 07911 555000", "new email: ...": a contact detail said new with no
# verb (the speaker's; only what has a shape of its own: a number, an e-mail, an address)
_NEW_ATTR = re.compile(
    r"^\W*(?:(?:so|and|oh|ok|okay|also|btw|fyi|update|heads\s+up)[,:!]?\s+)*(?:(?:got\s+)?(?:a|my)\s+)?"
    r"(?i:new)\s+(?P<attr>(?:(?:phone|mobile|cell|home|work)\s+)?(?:number|no\.?|email(?:\s+address)?|"
    r"e-mail(?:\s+address)?|address|mobile)|phone|mobile)"
    r"(?:\s+(?:btw|fyi|everyone|everybody|guys|folks|alert|again|for\s+me))*"
    r"(?=\s*(?:$|[,:;.!]|\s[-–—]\s))", re.I)
_CHANGE_WORD = re.compile(r"\b(?:changed|updated|switched|new|New|NEW|moved)\b")
# A change said with no subject at the clause's start ("changed my email, the new one is
# ...", "btw just updated my number: ..."): the speaker's
_BARE_CHANGE = re.compile(
    r"^\W*(?:(?:so|and|oh|ok|okay|also|btw|fyi|well|update)[,:!]?\s+)*(?=(?:(?:just|finally|"
    r"recently|also)\s+)*(?:changed|updated|switched)\s+my\b)", re.I)
_CHANGE_VALUE = re.compile(r"\s*(?:(?:now\s+|again\s+)?to\s+|(?:\s+again)?(?:[:,]\s*|\s[-–—]\s+)"
                           r"(?:(?:it|the\s+new\s+one)(?:'s|’s|\s+is)\s+(?:now\s+)?)?)")


# A turn taken back as a joke ("I quit my job lol jk", "my sister is a doctor lol no she
# isn't"); "I'm not kidding" is in earnest.
_RETRACTED = re.compile(r"(?<!not )(?<!no )\b(?:jk|j/k|just\s+kidding|just\s+joking|kidding|"
                        r"lol\s+no)\b", re.I)
# A turn that corrects the speaker's previous one: "Sorry, I meant Lyon", "Oops, I mean 35",
# "I meant Globex, not Acme", "Oops, it's Anna" (after "Ana"). Only a short turn; what
# follows the correcting words is the value. "I meant X" corrects by itself; "it's X" only
# after a word that corrects and only a value close to the one it corrects ("Wait, it's
# Friday", "Actually it's fine" are no corrections).
# (the words that open a correction, each with its marks: `_CORRECTION`, `_MEANT_FOR`)
_CORRECTION_WORDS = (r"(?:(?:sorry|oops|whoops|oh|ah|wait|no|nope|correction|actually|my\s+bad|"
                      r"typo|damn|ugh|argh|hmm|lol|haha)\b[\s,!.:;-]*)")
_CORRECTION = re.compile(
    r"^\W*(?P<opener>" + _CORRECTION_WORDS + r"*)"
    r"(?:(?:(?<![\w'’])(?P<meant>I\s+meant\s+to\s+say|I\s+meant|I\s+mean|make\s+(?:that|it)|"
    r"that\s+should\s+(?:be|say|read)|should\s+(?:be|say))|(?P<its>it's|it’s|it\s+is|it\s+was|"
    r"that's|that’s))\s+|(?P<bare>))(?P<value>[^\n?]{1,60}?)\s*(?:[.!]+|\s+(?:lol|haha|sorry))?\s*$",
    re.I)
# Openers that say a correction by themselves; "I mean" (a filler too: "I mean, Spotify is
# better") corrects only after one of them ("Oops, I mean 35").
_SURE_OPENER = re.compile(r"\b(?:sorry|oops|whoops|correction|my\s+bad|typo)\b", re.I)
_OPENS_CORRECTION = re.compile(r"^\W*(?:sorry|oops|whoops|wait|no\b|nope|correction|actually|"
                               r"my\s+bad|typo|I\s+meant|I\s+mean\b)|^\s*\*\s*\w", re.I)
_NOT_THAT = re.compile(r",?\s+(?:not|instead\s+of|rather\s+than)\s+.*$", re.I)
# Days and months: a corrected value of a date only ("Sorry, I meant 4 May").
_CALENDAR_WORD = re.compile(
    rf"\b(?:{'|'.join(WEEKDAYS)}|{'|'.join(m for m in MONTHS if len(m) > 3)})\b", re.I)
_MONTH_WORD = re.compile(rf"\b(?:{'|'.join(m for m in MONTHS if len(m) > 3)})\b|"
                         # ("may", a verb as often, with its day: "May 6th", "6 May")
                         r"\bmay\s+\d{1,2}(?:st|nd|rd|th)?\b|\b\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?"
                         r"may\b", re.I)
# Words no corrected value holds: times, the weather, a verdict, a tail that adds or points
# ("Wait, it's Friday", "oops it's late", "Actually it's cats too", "sorry, it's my bad").
_NO_CORRECTION = re.compile(
    r"\b(?:today|tomorrow|"
    r"tonight|yesterday|already|here|there|now|too|also|both|either|late|early|fine|ok|okay|"
    r"good|bad|great|raining|snowing|sunny|cold|hot|christmas|weekend|morning|evening|night|"
    r"noon|midnight|am|pm|o'clock|degrees|mine|yours|his|hers|ours|theirs|my|your|our|their|"
    r"it|this|that|what|wrong|right|true|joke|kidding)\b|['’]s\b|\d(?:am|pm)|\?", re.I)
# Values of these attributes are names: a correction of one is capitalised (unless the turn
# is all lower case).
_NAMED_ATTRS = frozenset({"city", "country", "home town", "employer", "name"})


# "it's not Paris, it's Lyon", "it's not shellfish but peanuts": said as "it's Lyon, not
# Paris", the form `_NOT_THAT` reads
_NOT_X_BUT_Y = re.compile(
    r"\b(?P<its>it['’]?s|it\s+is|that['’]?s)\s+not\s+(?P<old>[^,;.!?]{1,60}?)\s*[,;]?\s+"
    r"(?:(?:it['’]?s|it\s+is|but|rather)\s+)+(?P<new>[^,;!?]{1,60}?)[\s.!]*$", re.I)


def _correction_shape(text: str) -> re.Match[str] | None:
    """The match of a turn that has the shape of a correction (`_CORRECTION`), or None."""
    text = _NOT_X_BUT_Y.sub(lambda m: f"{m.group('its')} {m.group('new')}, not "
                            f"{m.group('old')}", squeeze(text).strip())
    if len(text) > 120 or text.endswith("?") or not _OPENS_CORRECTION.match(text):
        return None
    return _CORRECTION.match(text)


def looks_like_correction(text: str) -> bool:
    """Whether a turn has the shape of a correction of the one before ("Sorry, I meant
    Lyon", "Correction: my dog is called Max"), whatever that one said."""
    return _correction_shape(text) is not None or restates(text)


def _named_wrong(m: re.Match[str]) -> str:
    """The value a correction's "not" part names as the wrong one, or ""."""
    denied = _NOT_THAT.search(m.group("value"))
    return clean_value(re.sub(r"^,?\s+(?:not|instead\s+of|rather\s+than)\s+", "",
                              denied.group(0), flags=re.I)) if denied else ""


def named_wrong(text: str) -> str | None:
    """The value a turn that has the shape of a correction names as the wrong one: "Lisbon"
    of "Actually it's Porto, not Lisbon" or "Sorry, I meant Porto, not Lisbon"; None when
    the turn has no correction's shape or names no old value. The facts it may correct are
    then those that hold that value, told in any turn before (`ingest._correctable`)."""
    m = _correction_shape(text)
    return (_named_wrong(m) or None) if m is not None else None


# What a correction says of itself after its value: "Jack, autocorrect lol", "Lyon (typo)",
# "Jack - stupid autocorrect", "Porto my bad"
_CORRECTION_TAIL = re.compile(
    r"(?:\s*[,(]\s*|\s+[-–—]\s+|\s+)(?:(?:stupid|damn|bloody|dumb|sorry|oops)\s+)*"
    r"(?:auto-?correct(?:ed)?|typo|my\s+bad|lol|haha|sorry|oops)\b.*$", re.I)


def correction(text: str, previous: Sequence[Extraction]) -> list[Extraction]:
    """What a turn that corrects the speaker's previous turn says: the corrected fact of
    `previous` (the facts that turn stated) with the new value, and, of a many-valued
    attribute (an allergy), the old value's end. [] when the turn is no correction, or no
    fact of `previous` takes a value of that shape."""
    m = _correction_shape(text) if previous else None
    if m is None:
        return []
    meant = m.group("meant") is not None
    opener = m.group("opener")
    if m.group("bare") is not None and not (re.search(r"\btypo\b", opener, re.I)
                                            or text.lstrip().startswith("*")):
        return []  # a value alone corrects after "typo" or a star only ("sorry, typo, Portland",
        # "*Portland"), and only a value close to the old one (`close`)
    if not meant and not opener.strip() and m.group("bare") is None:
        return []  # "It's Berlin": no word that corrects
    if meant and m.group("meant").lower().split()[-1] == "mean" and not _SURE_OPENER.search(
            opener):
        return []  # "I mean Spotify", "no I mean the blue one": a filler
    was = _named_wrong(m)
    value = clean_value(_CORRECTION_TAIL.sub("", _NOT_THAT.sub("", m.group("value"))).strip(
        " .!,;"))
    article = re.match(r"(?:an?|the)\s+(?=[a-z])", value)
    if article:  # "I meant a teacher"
        value = value[article.end():]
    if not value or len(value.split()) > 3 or _NO_CORRECTION.search(value):
        return []
    caseless = not any(c.isupper() for c in text)

    def close(ext: Extraction) -> bool:
        return SequenceMatcher(None, ext.value.lower(), value.lower()).ratio() >= 0.6

    def fits(ext: Extraction) -> bool:
        head = ext.attribute.rsplit(" ", 1)[-1]
        if ext.negated or not ext.value or value.lower() == ext.value.lower():
            return False
        named = bool(was) and SequenceMatcher(None, ext.value.lower(), was.lower()).ratio() >= 0.6
        if was and not named:
            return False  # "I meant Globex, not Acme" corrects Acme only
        if not meant and not close(ext) and not named:
            return False  # "it's X" corrects a value said a little wrong only, or the one
            # it names ("Actually it's Porto, not Lisbon")
        if head in _DATE_ATTRS:  # a month, or a day and month in figures
            return bool(_MONTH_WORD.search(value) or re.search(r"\d{1,4}[/.-]\d{1,2}", value))
        if _CALENDAR_WORD.search(value):
            return False  # "Sorry, I meant Tuesday" of a city
        if not caseless and ext.value[:1].isupper() != value[:1].isupper():
            return False  # a name for a word, or a word for a name ("green" -> "Lyon")
        if head == "age":
            return meant and value.isdigit() and ext.value.isdigit() and (
                abs(int(value) - int(ext.value)) <= 10 or value == ext.value[::-1])
        if any(c.isdigit() for c in value) and head not in ("number", "phone", "mobile", "cell",
                                                            "address", "email"):
            return False
        if ext.attribute in _NAMED_ATTRS or head == "name":
            # (typed in lower case: a value like the old one, or one said in place of the
            # old one named: "sorry i meant max not rex")
            if not (value[:1].isupper() or (caseless and (close(ext) or named))):
                return False
        if head == "job" and _job(value) is None:
            return False
        return _shaped(ext.attribute, value) and _ok_value(value)

    candidates = [e for e in previous if fits(e)]
    if not candidates:
        return []
    # The fact whose value the new one resembles ("Lyons" -> "Lyon"), else the last stated
    # that may be of the value's kind: a place the rules know corrects a place; a name they
    # do not know as a place, no place they know ("My brother Dan lives in Miami." / "Sorry,
    # I meant Dave": not his city)
    place = value.lower() in KNOWN_PLACES

    def of_kind(ext: Extraction) -> bool:
        of_place = ext.attribute.rsplit("'s ", 1)[-1] in _PLACE_ATTRS
        return of_place if place else not (of_place and ext.value.lower() in KNOWN_PLACES)

    resembling = [e for e in candidates if close(e)] or [
        # (else the one value of its kind that begins as it does: "Dan" of "Dave", not
        # "Dan" of "Dallas")
        e for e in candidates if e.value[:2].lower() == value[:2].lower() and of_kind(e)]
    if len(resembling) > 1 and not any(close(e) for e in resembling):
        resembling = []
    if not resembling and len(candidates) > 1:
        candidates = [e for e in candidates if of_kind(e)] or candidates
    old = (resembling or candidates)[-1]
    if caseless and value.islower() and old.value[:1].isupper():
        # a name typed in lower case in place of a name: written as one ("max" -> "Max")
        value = place_cased(value) if value in KNOWN_PLACES else " ".join(
            w[:1].upper() + w[1:] for w in value.split())
    new = Extraction(old.subject, old.subject_key, old.attribute, value, old.family,
                     kind=old.kind)
    # What the turn said of the person by the wrong name is said of the right one ("My
    # brother Dan lives in Miami." / "Sorry, I meant Dave": Dave's city is Miami, Dan's
    # ends)
    renamed = [] if not old.attribute.endswith("'s name") or old.attribute.count("'s ") != 1 \
        else [e for e in previous if e.subject_key == old.value and not e.negated and e.value]
    moved = [x for e in renamed for x in (
        replace(e, negated=True, family="negation", past=False),
        replace(e, subject=value, subject_key=value))]
    if old.multi_valued:
        return [Extraction(old.subject, old.subject_key, old.attribute, old.value, "negation",
                           True), new, *moved]
    return [replace(new, corrects=old.value), *moved]



# -- "he" / "she": the person named before ----------------------------------------------
# A clause that opens with "he" or "she" and goes on with a statement the rules read of a
# named person ("He works at Boeing now", "actually she lives in Valencia now", "she's a
# teacher") is read as said of the one person named before it whom the pronoun fits: in
# the same turn, else (through `Referents`) in the speaker's previous turn of the same
# ingest. Only when exactly one candidate fits and nothing else that may be a person is
# named in between (`_others_named`); the pronoun elsewhere in a clause ("My friend Sam
# said he works at Google", "I think he lives in Rome") is left alone.
# (relation names as attributes carry them: `relation_name` folds "mom", "dad", "grandpa")
_MALE = frozenset("""brother father husband boyfriend son grandfather uncle nephew
stepfather stepson stepbrother grandson godfather father-in-law brother-in-law
son-in-law""".split())
_FEMALE = frozenset("""sister mother wife girlfriend daughter grandmother aunt
niece stepmother stepdaughter stepsister granddaughter godmother
mother-in-law sister-in-law daughter-in-law midwife landlady""".split())
# Words before a clause's opening pronoun ("Oh and she lives in Lyon", "Actually his name ...")
_PRON_LEAD = (r"(?:(?:and|but|so|oh|well|actually|also|btw|yeah|ok|okay|anyway|apparently|"
              r"update|sorry|oops|correction|no\s+wait|wait)[,:]?\s+)*")
_PRONOUN_CLAUSE = re.compile(
    rf"^{_PRON_LEAD}(?P<pron>he|she)(?P<rest>\s+(?:(?:also|now|still|just|actually|recently|"
    r"finally|currently|officially)\s+)*(?:lives|moved|relocated|works|joined|started|got|"
    r"became|is|turned|was\s+born|grew\s+up|left|quit|loves|likes|enjoys|hates|has\s+been|"
    r"used\s+to|lived|worked|was\s+an?|"
    r"no\s+longer|doesn't|does\s+not|isn't)\b|['’]s\s+(?=\w))", re.I)
# "His name is Jon", "her name's Ana", "he's called Tom": the name of the one a pronoun
# stands for (`_pronoun_name`)
_PRONOUN_NAME = re.compile(
    rf"^{_PRON_LEAD}(?:(?P<poss>his|her)\s+(?:first\s+)?name(?:['’]s|\s+is)|"
    r"(?P<pron>he|she)(?:['’]s|\s+is)\s+(?:called|named)|"
    # "got a new kitten! named her Pepper", "we called him Max"
    r"(?:(?:we|I)\s+(?:just\s+|finally\s+)?)?(?:named|called)\s+(?P<obj>him|her)(?!\s+after\b))\s+"
    r"(?=\S)", re.I)
# Words that may name (or be) a person other than the candidates, in the words between the
# candidate's naming and the pronoun.
_PERSON_NOUNS = frozenset("""guy man woman girl boy lady dude bloke kid baby someone somebody
everyone everybody anyone they them people person""".split())
# Capitalised words that name no one where a sentence opens with them.
_OPENERS = frozenset("""i i'm i've i'll i'd im ive my we we're our us it it's its that that's
this these those the a an and but so oh ok okay well yes yeah yep no nope not also just now
then today yesterday tomorrow anyway btw actually apparently hi hey hello thanks thank
great nice cool wow awesome lol haha sure sorry oops wait what how why when where who which
is are was were do does did can could would should will he she his her they their there
here in on at for with from to of by after before since because if as all some any one
congrats congratulations good glad sounds sound love lovely amazing interesting really
update finally still again plus noted got had adopted rescued bought found named called
started moved""".split())
# Words of praise or sympathy that open a reply ("Big move!", "Happy birthday to Nomsa!"):
# capitalised there, and no person (`_others_named` only: as names typed in lower case they
# may be names, "my cat's name is cheers")
_PRAISE = frozenset("""big happy exciting excited sad tough hard wonderful fantastic brilliant
perfect fun beautiful welcome absolutely definitely totally exactly right true fair enjoy best
ah aw aww ouch yikes hmm omg sweet cute wise smart impressive incredible excellent super neat
lucky poor bummer bravo cheers kudos indeed certainly belated""".split())


@dataclass
class Referents:
    """The people a speaker's previous turn of one ingest named, whom a clause of the next
    turn that opens with "he" or "she" may be about (`extract`); `extract` updates it."""

    people: list[tuple[_Subject, str | None]] = field(default_factory=list)
    words: frozenset[str] = frozenset()  # the previous turn's words (not another person)
    greeted: bool = False  # the previous turn only greeted ("hiya"): this one may say who
    # the relation each person of `people` was named as, lower-cased name -> "brother's name"
    # (one of the speaker's own: "My brother is called Jon"; `_pronoun_name`)
    relations: dict[str, str | None] = field(default_factory=dict)
    # `people` is only one mentioned, not named (`_mentioned_kin`): a relative for a
    # statement (and for a name with `mention_names`), a pet for a name
    mentions: bool = False
    mention_names: bool = False


def _gender(relation: str) -> str | None:
    rel = relation.lower()
    return "m" if rel in _MALE else "f" if rel in _FEMALE else None


def _named_people(out: Sequence[Extraction], me: _Subject) -> list[tuple[_Subject, str | None]]:
    """The third persons a turn's facts name, in order (the last named last), each with the
    gender its relation tells ("brother": "m"); a pet is there as a person of no gender, so
    that it makes a pronoun ambiguous, and `_referent` never picks it. An unnamed relative
    ("my mom lives in Lima": the speaker's mother) is one too, by the relation (prefix
    "mother's "), unless the turn names that relative (one of them: `MANY_OF`); one of no
    gender ("my boss") only makes a pronoun ambiguous, as a pet does."""
    people: dict[str, tuple[_Subject, str | None]] = {}
    kin: dict[str, tuple[_Subject, str | None]] = {}
    for e in out:
        if e.subject_key == me.key and e.attribute.endswith("'s name") and \
                e.attribute.count("'s ") == 1 and not e.negated and e.value:
            rel = e.attribute[:-len("'s name")]
            subj = _Subject(e.value, e.value, "" if rel not in PETS else "pet")
            people.pop(e.value.lower(), None)
            people[e.value.lower()] = (subj, _gender(rel))
        elif e.subject_key == me.key and e.attribute.count("'s ") == 1 and not e.negated:
            rel = e.attribute.split("'s ", 1)[0]
            if rel in RELATIONS and rel not in PETS:
                kin.pop(rel, None)
                kin[rel] = (_Subject(me.name, me.key, f"{rel}'s "), _gender(rel))
        elif e.subject_key != me.key and e.subject_key == e.subject and \
                e.subject.lower() not in people:
            people[e.subject.lower()] = (_Subject(e.subject, e.subject_key), None)
    named = {e.attribute[:-len("'s name")] for e in out if e.subject_key == me.key
             and e.attribute.endswith("'s name") and not e.negated and e.value}
    return [*people.values(),
            *(p for rel, p in kin.items() if rel not in named or rel in MANY_OF)]


def _others_named(text: str, allowed: frozenset[str]) -> bool:
    """Whether `text` may name a person (a relation, a person noun, a capitalised word)
    other than `allowed` (lower-case words: the candidates' names and what was said of
    them)."""
    for word in re.findall(r"[A-Za-z][\w'’-]*", text):
        low = word.lower().replace("’", "'")
        if low in allowed or low.removesuffix("'s") in allowed or \
                relation_name(low.removesuffix("'s")) in allowed:
            continue
        if low in _PERSON_NOUNS or low.removesuffix("'s") in RELATIONS or \
                low.removesuffix("s") in RELATIONS:
            return True
        if word[:1].isupper() and low not in _OPENERS and low not in _PRAISE and \
                low not in KNOWN_PLACES and \
                low.removesuffix("'s") not in KNOWN_PLACES and low not in MONTHS and \
                low not in WEEKDAYS:
            return True
    return False


def _allowed_words(people: Sequence[tuple[_Subject, str | None]], out: Sequence[Extraction],
                   extra: frozenset[str] = frozenset()) -> frozenset[str]:
    words = set(extra)
    for subj, _ in people:
        words.update(subj.name.lower().split())
    for e in out:
        words.update(e.value.lower().split())
        words.update(w.removesuffix("'s") for w in e.attribute.lower().split())
    return frozenset(words)


def _referent(pron: str, people: Sequence[tuple[_Subject, str | None]], *,
              ungendered_kin: bool = False) -> _Subject | None:
    """The one person of `people` that "he" / "she" fits, or None (none or several; a pet is
    never the one, nor, unless `ungendered_kin`, an unnamed relative whose relation tells no
    gender: "My boss ..." / "Her name is Ana" names the boss, "She works at X" says nothing
    sure of the boss)."""
    want = "m" if pron.lower() in ("he", "his") else "f"
    fits = [(s, g) for s, g in people if g in (None, want)]  # (a pet makes it ambiguous)
    if len(fits) != 1 or fits[0][0].prefix == "pet" or (
            fits[0][0].prefix and fits[0][1] is None and not ungendered_kin):
        return None
    return fits[0][0]


def _candidates(turn: _Turn, me: _Subject, carried: Referents, *, naming: bool = False
                ) -> tuple[list[tuple[_Subject, str | None]], list[tuple[_Subject, str | None]],
                           frozenset[str]]:
    """Whom a clause's pronoun may stand for: the people this turn named so far, the people
    it may stand for (those, else the previous turn's) and the words that name none other.
    The one the clause before mentioned (`_mentioned_kin`): a relative for a statement ("he
    was a baker"), a pet got for a name (`naming`: "his name is Max"; "My dad bought a new
    boat. His name is Poseidon" names no father)."""
    mentioned = [(s, g) for s, g in turn.mentioned
                 if (g is None) == naming or (naming and turn.mention_names)]
    named = _named_people(turn.out, me) or mentioned
    people = named or ([(s, g) for s, g in carried.people
                        if (g is None) == naming or (naming and carried.mention_names)]
                       if carried.mentions else carried.people)
    return named, people, _allowed_words(people, turn.out,
                                         _mention_words(turn) if named else carried.words)


def _mention_words(turn: _Turn) -> frozenset[str]:
    """The words that mentioned the one `turn.mentioned` holds ("my father", "a puppy",
    "someone new"): no other person."""
    return frozenset(s.prefix.removesuffix("'s ") for s, _ in turn.mentioned) | (
        {"someone"} if turn.mentioned else frozenset())


# A clause that opens with one of the speaker's relatives: "My father is retired now",
# "my mum's been unwell" (the relation; `_mentioned_kin`)
_KIN_OPENS = re.compile(rf"^{_PRON_LEAD}(?:[Mm]y|[Oo]ur)\s+(?P<rel>{_FAMILY_RE})(?![\w-])(?!['’]s\s+\w)")


# A pet got, not named: "we got a puppy!", "We just adopted a cat" (`_mentioned_kin`)
_PET_GOT = re.compile(
    rf"^{_PRON_LEAD}(?:(?:I|[Ww]e)(?:['’]ve|\s+have)?\s+)?(?:(?:just|finally|recently|also)\s+)*"
    r"(?:got|adopted|rescued|brought\s+home|have)\s+(?:a|an|another)\s+"
    r"(?:(?:new|little|baby|rescue|tiny|cute)\s+)*"
    rf"(?P<pet>{_PET_WORDS})"
    r"(?:\s+(?:last\s+\w+|yesterday|today|this\s+(?:week|weekend|morning|month)|"
    r"on\s+\w+day|\w+\s+(?:days?|weeks?)\s+ago))?\W*$", re.I)


# A partner not named: "I started seeing someone new", "I've been dating someone" (not "I
# met someone": anyone)
_SOMEONE_NEW = re.compile(
    rf"^{_PRON_LEAD}(?:I(?:['’]ve|\s+have)?\s+)?(?:(?:just|recently|finally|also)\s+)*"
    r"(?:started\s+(?:seeing|dating)|been\s+(?:seeing|dating)|(?:am|['’]m)\s+(?:seeing|dating))"
    r"\s+someone(?:\s+new)?(?:\s+(?:recently|lately))?\W*$", re.I)


# A thing a clause speaks of, after its subject ("bought a new boat", "got the car")
_A_THING = re.compile(r"\b(?:a|an|the|some|this|that|these|those|new|his|her|their|our|my)\s+"
                      r"\w", re.I)


def _mentioned_kin(sentence: str, turn: _Turn, me: _Subject, before: int) -> None:
    """After a clause: when it read nothing (`before`: how many facts the turn had) and
    opened with a relative of one gender ("My father is retired now"), that relative is whom
    the next clause's "he" / "she" may stand for ("..., he was a baker"); a pet got and not
    named ("we got a puppy!"), whom the next clause's "his name is Max" names. Any other
    clause leaves no such one."""
    turn.mentioned, turn.mention_names = [], False
    if len(turn.out) != before or turn.out:
        return
    m = _KIN_OPENS.match(sentence)
    rel = relation_name(m.group("rel")) if m else ""
    gender = _gender(rel) if rel else None
    if gender:
        turn.mentioned = [(_Subject(me.name, me.key, f"{rel}'s "), gender)]
        turn.mention_names = _A_THING.search(sentence, m.end()) is None
    pet = _PET_GOT.match(sentence)
    if pet:  # (of no gender: only a "his/her name is" clause names it, `_pronoun_name`)
        turn.mentioned = [(_Subject(me.name, me.key, f"{relation_name(pet.group('pet'))}'s "),
                           None)]
    if _SOMEONE_NEW.match(sentence):  # "I started seeing someone new, her name is Priya"
        turn.mentioned = [(_Subject(me.name, me.key, "partner's "), None)]


def _pronoun_name(sentence: str, said: re.Match[str], people: Sequence[tuple[_Subject, str | None]],
                  turn: _Turn, me: _Subject, relations: Mapping[str, str | None],
                  allowed: frozenset[str]) -> str:
    """A clause that names the one a pronoun stands for ("His name is Jon", "she's called
    Ana"), said as the relation's name ("My brother's name is Jon"), so that the rules read
    it: of an unnamed relative (the previous turn's "My brother lives in Leeds"), or of a
    relative named before under another name ("My brother is called Jon." / "Actually his
    name is John."), whose old name then ends (a brother's name holds many: it would be a
    second brother). A name that only lengthens or shortens the one known ("Jon" /
    "Jonathan": a full name, a nickname), a referent that is not one relative (a pet, two
    people, someone named between) or no relation known: the clause as said."""
    # (one candidate only, of that gender or of a relation that tells none: "My best friend
    # lives in Leeds. Her name is Zoe." names the friend; never a pet)
    who = _referent(said.group("poss") or said.group("pron")
                    or {"him": "he", "her": "she"}.get((said.group("obj") or "").lower(), ""),
                    people, ungendered_kin=True)
    if who is None or _others_named(turn.before, allowed) or not _just_named(who, turn):
        return sentence
    rest = sentence[said.end():]
    if who.prefix:
        if re.match(r"(?:Dr|Mr|Mrs|Ms|Miss|Prof|Sir|Dame)\b\.?\s", rest):
            return sentence  # "My dad is in hospital, his name is Dr. Lee": the doctor's
        return f"My {who.prefix}name is {rest}"
    attribute = relations.get(who.name.lower())
    if attribute is None:
        return sentence
    new = clean_value(_value(rest, 0, attribute="name")) if rest else ""
    old_first, new_first = who.name.split()[0].lower(), (new.split() or [""])[0].lower()
    if not new or not _named(new) or old_first.startswith(new_first) or \
            new_first.startswith(old_first):
        return sentence  # the same name, longer or shorter
    turn.add(me, attribute, who.name, "negation", negated=True)
    return f"My {attribute} is {rest}"


_ONLY_OPENERS = re.compile(rf"\W*{_PRON_LEAD}\W*|\W*(?:sorry|oops|correction|actually|"
                           r"wait|no\s+wait|my\s+bad)\W*", re.I)


def _just_named(who: _Subject, turn: _Turn) -> bool:
    """Whether the clause just before a "his name is" clause is the one that spoke of `who`:
    the turn's previous clause names them (by relation or name), or, for one the previous
    turn named, the clause opens the turn. Not after a clause about someone else: "My boss
    is called Greg. We hired an intern today, her name is Ana." names no boss Ana."""
    before = [c for c in (clauses(turn.before) if turn.before.strip() else [])
              if not _ONLY_OPENERS.fullmatch(c)]  # ("Sorry, her name is Sara.")
    if not before or any(who == s for s, _ in turn.mentioned):
        return True  # (the one the clause before mentioned: "we got a puppy!")
    last = before[-1].lower()
    words = [who.prefix.removesuffix("'s ")] if who.prefix else []
    words += who.name.lower().split() if not who.prefix else []
    return any(re.search(rf"\b{re.escape(w.lower())}\b", last) for w in words if w)


def _relations_named(out: Sequence[Extraction], me: _Subject) -> dict[str, str | None]:
    """The relation each person the speaker's facts name was named as: lower-cased name ->
    "brother's name"; None for a name given to two relations, or to a pet."""
    found: dict[str, str | None] = {}
    for e in out:
        if e.subject_key == me.key and not e.negated and e.value and \
                e.attribute.endswith("'s name") and e.attribute.count("'s ") == 1:
            name = e.value.lower()
            pet = e.attribute[:-len("'s name")] in PETS
            found[name] = None if pet or found.get(name, e.attribute) != e.attribute \
                else e.attribute
    return found


def _spoken(who: _Subject) -> str:
    """How a clause names the person a pronoun stands for: the name, or of an unnamed
    relative the relation ("My mother")."""
    return "My " + who.prefix.removesuffix("'s ") if who.prefix else who.name


def opens_with_pronoun(text: str) -> bool:
    """Whether a clause of `text` opens with "he" or "she" said of someone (`_PRONOUN_CLAUSE`:
    "She lives in Marseille", "he's 34"): a turn about a person a turn before it named."""
    return any(_PRONOUN_CLAUSE.match(c) or _PRONOUN_NAME.match(c) for c in clauses(text))


def names_another(text: str, referents: Referents, user_name: str = "") -> bool:
    """Whether a turn between (an assistant's) may name a person other than the referents:
    then a "he" after it is no longer surely theirs."""
    allowed = set(referents.words) | set(user_name.lower().split())
    for subj, _ in referents.people:
        allowed.update(subj.name.lower().split())
    return _others_named(text, frozenset(allowed))


def extract(text: str, speaker: str, speaker_key: str,
            at: datetime | date | None = None,
            previous: Sequence[Extraction] = (),
            referents: Referents | None = None) -> list[Extraction]:
    """The facts a turn by `speaker` states (see the module doc); dates in a statement are
    resolved against `at`, the turn's time ("moved to Rome in March" -> `when`).
    `previous`: the facts the speaker's previous turn stated, which a turn that corrects it
    ("Sorry, I meant Lyon") corrects (`correction`). `referents`: the people the speaker's
    previous turn named, whom this turn's "he" / "she" may be about; updated to this
    turn's."""
    carried = Referents() if referents is None else referents
    written = text
    # (what is told in other words before its clauses are split: "..., her name is Lena")
    text = _said_otherwise(kin_breaks(born_on(emoji_breaks(text))))
    told = REMEMBER_THAT.match(text)
    if told is not None and "?" not in text[told.end():].rstrip(" ?!.\n"):
        # "did you know i have a cat called luna?": the news, read as said (each clause's
        # rules then see it from its start)
        text = text[told.end():].rstrip(" ?")
    after_greeting, carried.greeted = carried.greeted, bool(BARE_GREETING.match(text))
    meant = _MEANT_FOR.match(text) if len(text) <= 200 else None
    if meant is not None and _meant_shaped(meant.group("attr").lower(), meant.group("value")):
        what = meant.group("what")
        text = f"{what[0].upper()}{what[1:]} is {meant.group('value')}."
    fixed = correction(text, previous)
    if fixed:
        return fixed
    if _RETRACTED.search(text) or _TASK_TEXT.match(text):
        carried.people = []
        # "I quit my job lol jk": nothing said in earnest; "Translate: I live in Madrid and
        # I work at a bank": a text to work on
        return []
    turn = _Turn(speaker, speaker_key)
    turn.said_on = at.date() if at is not None else None
    me = _Subject(speaker, speaker_key)
    # In a turn written in lower case, a place's case says nothing; in one that capitalises
    # only "I" and sentence starts, when it names a known place in lower case ("I live in
    # denver."; not "I live in town.")
    # (a word shouted in capitals says nothing of case: "she said YES!!! we're engaged")
    unshouted = re.sub(r"\b[A-Z]{2,}\b", "", text)
    turn.caseless = not any(c.isupper() for c in unshouted) or (
        types_lower_but_names(text, speaker) and _names_known_place(text))
    turn.reunited = bool(_REUNITED.search(text))
    moved = _MOVED_ON.search(text)
    turn.moved_on, turn.moved_to = moved is not None, _moved_to(moved)
    text = _unquote_others(_WHICH_KIN.sub(r"\1 ", _BARE_POSSESSIVE.sub(r"\1's ", _LOWER_I.sub(
        lambda m: _CHAT[m.group(0)], squeeze(text)))))
    text = _CHAT_KIN.sub(lambda m: m.group(1) + CHAT_KIN_WORDS[
        " ".join(m.group(2).lower().split())], text)
    if turn.caseless:  # "jess is a dentist", "sam is my boyfriend": a name typed in lower case
        text = lower_self_name(text, after_greeting, turn.tentative_names)
        text = _LOWER_REL_NAME.sub(_rel_capitalised, _LOWER_NAME.sub(_capitalised, text))
        text = _LOWER_KIN_NAME.sub(_kin_capitalised, text)
        text = _LOWER_KIN_LIST.sub(_list_capitalised, text)
    # (a turn about work: "I changed jobs, I'm at Farfetch now"; not "I'm at Heathrow, my
    # work trip got delayed")
    work_talk = bool(_WORK_TALK.search(_NOT_WORK_TALK.sub(" ", text)))
    # Whose attribute a clause just ended or changed without its value ("my email is no
    # longer X", "Helen changed her email"): the next clause's "it's Y" is the new value.
    ended: tuple[_Subject, str] | None = None
    parts, cursor = clauses(text), 0
    turn.whole = text
    used = False  # whether a clause's "he" / "she" was a person the previous turn named
    for i, sentence in enumerate(parts):
        at_ = text.find(sentence.rstrip("?"), cursor)
        cursor = at_ if at_ >= 0 else cursor
        turn.before = text[:at_] if at_ >= 0 else ". ".join(parts[:i])
        told = REMEMBER_THAT.match(sentence)
        if told is not None:  # "Can you remember that I'm allergic to penicillin?": told
            sentence = sentence[told.end():].rstrip(" ?")
        if sentence.rstrip().endswith("?") or len(sentence) > 600 or _ASKED.match(sentence):
            ended = None
            continue
        # a move, a taste or a graduation told in other words, written as the rules read them
        # (before the dates are found: where they are is read in the sentence as written)
        sentence = _graduated(_taste_said(_move_said(sentence)))
        turn.dates = resolve_dates(sentence, at) if at is not None else []
        turn.until_at = _until_starts(sentence, turn.dates)
        turn.held_for = _held_for(sentence, at)
        its = _ITS_NOW.match(sentence)
        if ended and its:
            value = _first_value(sentence, its.end(), ended[1])
            if _shaped(ended[1], value):  # not "It's a long story."
                turn.add(ended[0], ended[1], value, "attribute")
            ended = None
            continue
        ended = None
        said_name = _PRONOUN_NAME.match(sentence)
        if said_name is not None:  # "His name is Jon": of the one relative named before
            named, people, allowed = _candidates(turn, me, carried, naming=True)
            sentence = _pronoun_name(sentence, said_name, people, turn, me,
                                     {**carried.relations, **_relations_named(turn.out, me)},
                                     allowed)
        pron = _PRONOUN_CLAUSE.match(sentence)
        if pron is not None:  # "He works at Boeing now": of the one person named before
            named, people, allowed = _candidates(turn, me, carried)
            who = _referent(pron.group("pron"), people)
            if who is not None and not _others_named(turn.before, allowed):
                rest = pron.group("rest")
                if rest[:1] in "'’" and sentence[pron.end():pron.end() + 1].isdigit():
                    rest = " is "  # "he's 34": "Jack is 34"
                sentence = f"{_spoken(who)}{rest}{sentence[pron.end():]}"
                used = used or not named
        change = _changes(sentence, turn, me)
        if change is not None:
            ended = change
            continue
        turn.person = None  # "her number" refers to a person of this clause only
        sentence = _BARE_NOT.sub("I'm ", sentence)  # "Not allergic to cats anymore"
        # "I no longer have a peanut allergy", "I don't have a nut allergy any more": as "I'm
        # no longer allergic to peanut" (the allergen said before the word)
        sentence = _ALLERGY_HAD.sub(
            lambda m: m.group(0) if any(w in _NOT_ALLERGEN_WORDS for w in m.group("what").lower(
            ).split()) else f"I'm no longer allergic to {m.group('what')}", sentence)
        bare = _BARE.match(sentence)  # "quit my job today!!": the speaker's, as in _statement
        if bare and re.match(r"(?:quit|left|(?:got|was|been)\s+(?:laid\s+off|fired|let\s+go|"
                             r"sacked|made\s+redundant))\b", sentence[bare.end():], re.I):
            sentence = f"{sentence[:bare.end()]}I {sentence[bare.end():]}"
        if "not" in sentence or "n't" in sentence or _NEGATION_CUE.search(sentence):
            before, ties = len(turn.out), turn.ties
            if _negations(sentence, turn, me):
                # only one attribute ended, of no tie: "my email is no longer X" (not a
                # break-up's or a pet's death's name of each kind: "Sam and I broke up. It's
                # Friday" names no fiancé)
                mine = {e.attribute for e in turn.out[before:]
                        if e.family == "negation" and e.subject_key == me.key}
                if len(mine) == 1 and turn.ties == ties:
                    ended = (me, mine.pop())
                # "I work at Globex now because I quit my job", "I left Acme and joined
                # Globex": the parts of the clause that negate nothing still state facts.
                for part in _rest_of_negation(sentence):
                    # (the part's own dates: where they are is read in the part)
                    turn.dates = resolve_dates(part, at) if at is not None else []
                    turn.until_at = _until_starts(part, turn.dates)
                    _statement(part, turn, me, work_talk)
                continue
        before = len(turn.out)
        _statement(sentence, turn, me, work_talk)
        _left_later(sentence, turn, before)
        _mentioned_kin(sentence, turn, me, before)
    turn.out = [e for e in turn.out if not any(e is j for j in turn.jobs_left)
                or not _new_work(turn.out, e)]
    turn.out = _married_for(turn.out, text, at)
    named = _named_people(turn.out, me) or turn.mentioned
    if named:
        genders = {(s.name.lower(), s.prefix): g for s, g in carried.people}
        named = [(s, g or genders.get((s.name.lower(), s.prefix))) for s, g in named]
        words = _allowed_words(named, turn.out,
                               (carried.words if used else frozenset()) | _mention_words(turn))
        # a turn that may name someone its facts do not ("My brother Jack came with Tom")
        # leaves no one for the next turn's "he"
        carried.people = [] if _others_named(text, words) else named
        carried.words = words
        carried.relations = _relations_named(turn.out, me)
        carried.mentions = not _named_people(turn.out, me)
        carried.mention_names = turn.mention_names
    elif not used:
        carried.people = []
    told = {e.key() for e in previous if not e.negated}
    out = [e for e in turn.out if not (e.key() in turn.from_address and e.key() in told)]
    out = [_not_that(e, text) for e in out]
    out += _names_denied(out, text)
    return _restated(written, out, previous)


def _names_denied(out: Sequence[Extraction], text: str) -> list[Extraction]:
    """A relative's or pet's name said with the one it is not right after it ("My sister is
    Hanna, not Anna", "my dog is called Max, not Rex"): that name ends, as "Anna is not my
    sister" ends it (a name of many values is otherwise a second sister)."""
    said = {e.key() for e in out}
    denied: list[Extraction] = []
    for e in out:
        if e.negated or e.past or not e.value or not e.attribute.endswith("'s name") or \
                not e.multi_valued:
            continue
        # (the name said as what the relation is: "is Hanna, not Anna", "called Max, not
        # Rex"; not "I'm taking my daughter Mia, not Zoe, to the dentist")
        m = re.search(rf"(?:\bis|\bcalled|\bnamed|\bname['’]s)\s+{re.escape(e.value)},?\s+not\s+"
                      r"(?P<wrong>[\w'’-]+)(?=\s*(?:$|[.;!?]))", text, re.I)
        wrong = m.group("wrong") if m is not None else ""
        if m is None or wrong.lower() == e.value.lower() or wrong.lower() in NOT_NAMES or \
                wrong.lower() in KIN_NAMES or _CALENDAR_WORD.search(wrong) or not (
                    wrong[:1].isupper() or not any(c.isupper() for c in text)):
            continue
        end = Extraction(e.subject, e.subject_key, e.attribute, wrong, "negation", True)
        if end.key() not in said:
            said.add(end.key())
            denied.append(end)
    return denied


_CORRECTING = re.compile(r"\b(?:sorry|oops|whoops|typo|actually|meant|correction|my\s+bad|"
                         r"wait|autocorrect|wrong|mistake|mistaken)\b|^\W*\*", re.I)
_A_CHANGE = re.compile(r"\b(?:now|these\s+days|nowadays|moved|since|update|currently|"
                       r"any\s?more|no\s+longer|switched|changed)\b", re.I)


def _not_that(e: Extraction, text: str) -> Extraction:
    """A value said with the one it replaces right after it, in a turn with a word that
    corrects ("oops typo, i work at stripe not stipe", "actually i live in bergen, not oslo,
    sorry"): that one was a mistake, a correction (`Extraction.corrects`: a stored fact of
    that value never held). Not a change said so ("Actually I work at Stripe now, not
    Google", "these days ...", "not Oslo any more"), nor a value denied in a list
    ("peanuts, not shellfish" of an allergy: a value of its own)."""
    if e.negated or e.past or e.corrects or not e.value or e.multi_valued:
        return e
    if not _CORRECTING.search(text) or _A_CHANGE.search(text):
        return e  # "I live in Bergen, not Oslo" alone, "these days I work at Stripe, not
        # Google": no word that corrects, or a change said so
    m = re.search(rf"(?<!\w){re.escape(e.value)},?\s+not\s+(?P<wrong>(?:(?:Dr|Mr|Mrs|Ms|Prof)\.\s+)?"
                  rf"[^,.!?;()]{{1,40}}?)"
                  r"\s*(?=$|[,.!?;(]|\s+(?:sorry|lol|typo|haha|my\s+bad|oops)\b|\s[-–—]\s)",
                  text, re.I)
    if m is None or _NOT_DENIED.match(m.group("wrong")) or re.match(
            r"(?:far|close|near|long|bad|great|good|big|huge|small|cheap|easy|happy)\b",
            m.group("wrong"), re.I) or re.search(
            r"\b(?:any\s?more|now|yet|either|again|really)\b", m.group("wrong"), re.I):
        return e
    wrong = clean_value(m.group("wrong"))
    if not wrong or len(wrong.split()) > 3 or wrong.lower() == e.value.lower():
        return e
    if any(c.isupper() for c in text) and e.value[:1].isupper() != wrong[:1].isupper():
        return e  # "Bergen not far from Oslo": no value of that shape
    return replace(e, corrects=wrong)


# "I started a new job at Google in 2015, left in 2018", "moved to Denver in 2012 and left
# in 2016": what the clause began ended then (`_left_later`)
_LEFT_LATER = re.compile(r"(?:,|\band\b|\bthen\b)\s*(?:and\s+)?(?:then\s+)?(?:I\s+)?"
                         r"(?:left|quit)(?:\s+(?:it|there|them|the\s+job|the\s+company))?\s+"
                         r"(?=in\s+\d{4}\b|in\s+[A-Z][a-z]+\s+\d{4}\b)")
_ENDS_LATER = frozenset({"employer", "city", "job"})


def _left_later(sentence: str, turn: _Turn, before: int) -> None:
    """A start and, later in the clause, when it was left ("I started a new job at Google
    in 2015, left in 2018"): the employer (city, job) the clause read is past, from the start
    told to the period left (`Extraction.until`), when that comes after the start."""
    left = _LEFT_LATER.search(sentence)
    if left is None or re.search(r"\b(?:came|moved|went|got)\s+back\b|\brejoined\b",
                                 sentence[left.end():], re.I):
        return  # ("... left in 2016 and came back in 2020": it holds again)
    end = next((m for m in turn.dates if m.start >= left.end()), None)
    if end is None:
        return
    for i in range(before, len(turn.out)):
        e = turn.out[i]
        if e.attribute in _ENDS_LATER and not e.negated and not e.past and \
                e.when is not None and e.when < end.date and \
                0 <= sentence.find(e.value) < left.start():
            last = period_end(end.date, end.precision)
            turn.out[i] = replace(e, past=True, until=end.date,
                                  until_latest=last if last != end.date else None)


def _until_starts(text: str, dates: list[DateMention]) -> frozenset[int]:
    """Where the dates of `text` said as an end start ("until March 31", "till the end of
    June")."""
    return frozenset(m.start for m in dates if UNTIL_BEFORE.search(text[:m.start]))


# A question typed without its "?" ("who do i work for atm", "what city do i live in now", "do
# i work at acme", "am i still living in berlin"): asks, tells nothing. A question word, at
# most one word a question asks of ("what city", "how long"), then a verb that asks; or a
# verb that asks about the speaker ("do i ...", not "did i tell you ...", which tells).
_ASKED = re.compile(
    r"^\W*(?:(?:ok|okay|so|hey|hi|um|uh|and|btw|wait|also|quick\s+question|hmm+)[,:]?\s+)*"
    r"(?:(?:who|what|where|which|when|how|why|whom|whose)(?:\s+(?:old|long|many|much|often|far|"
    r"city|cities|town|country|company|companies|firm|job|jobs|employer|place|year|month|day|"
    r"date|time|kind|sort|type|one|name|age|school|street|address|number|pets?|dogs?|cats?|"
    r"kids?|children|allergies|hobbies|languages?))?\s+(?:do|does|did|am|is|are|was|were|can|"
    r"could|should|would|will|have|has|had)\b|(?:do|does|did|am|are|was|were|have|has)\s+"
    r"(?:i|we)\b(?!\s+(?:ever\s+)?(?:tell|told|mention|mentioned|say|said)\b|\s+got\s+(?:some\s+)?"
    r"(?:news|something|a\s+story|an?\s+update)\b|\s+(?:so\s+|ever\s+)?(?:glad|happy|surprised|"
    r"lucky|relieved|pleased|proud|excited|thrilled|tired|sick|done|blessed)\b))", re.I)


# A request to keep what follows, said as a question ("Can you remember that I'm allergic to
# penicillin?", "Could you please note that my number is ...?"): what follows is told
# News said as a question ("did you know I moved to Berlin?", "have I told you that my sister
# is pregnant?", "did I mention we got a dog?", "did you hear I got promoted?", "guess what,
# I got the job!") is told the same way. Asked of something
# ("do you know where I live?", "did I tell you my sister's name?"), it is a question: after
# "know" / "tell you" without "that", only "I ..." / "we ..." or "my <someone> <verb>" tell.
_NEWS_CLAUSE = (r"(?:I|I'm|I’m|I've|I’ve|I'd|I’d|we|we're|we’re|we've|we’ve)\s|"
                r"(?:my|our)\s+(?:\w+(?:['’]s)?\s+)?\w+\s+(?:is|was|has|had|got|just|lives|works|"
                r"moved|passed|started|quit|left|\w+ed)\b")
# ... but a clause that still asks is a question: "did I tell you I live in Rome or Paris?",
# "do you know my sister lives where?"
_STILL_ASKS = r"(?![^?\n]*\bor\b)(?![^?\n]*\b(?:what|where|who|when|which|how)\W*$)"
REMEMBER_THAT = re.compile(
    r"^\W*(?:(?:(?:can|could|would|will)\s+you\s+(?:please\s+|kindly\s+)?|please\s+|kindly\s+)?"
    r"(?:remember|note|keep\s+in\s+mind|make\s+a\s+note)\s+that\s+"
    # a clause follows ("that I'm allergic", "that my sister ..."), not a thing asked about
    # ("Can you remember that restaurant I like?")
    r"(?=(?:I|I'm|I’m|I've|I’ve|my|we|we're|our|me)\b|(?-i:[A-Z])[a-z]+\s+(?:is|lives|works|has|"
    r"was|['’]s)\b)"
    r"|(?:(?:did|do|have)\s+you\s+(?:know|hear(?:d)?(?:\s+the\s+news)?)|(?:did|have)\s+I\s+(?:ever\s+|already\s+)?(?:told|"
    r"tell|mention(?:ed)?\s+to)\s+you|did\s+I\s+(?:ever\s+)?mention|guess\s+what\W*)\s+"
    + _STILL_ASKS +
    r"(?:that\s+(?=(?:I|I'm|I’m|I've|I’ve|my|we|we're|our)\b|(?-i:[A-Z])[a-z]+\s+(?:is|lives|"
    r"works|has|was|['’]s)\b)|(?=" + _NEWS_CLAUSE + r")))", re.I)


# A short turn of one sentence that opens with a word that corrects, standing alone
# ("Correction:", "Sorry,", "Oops!", "Actually,", "My bad -") and states in full a fact of
# the previous turn with another value; not an apology ("Sorry to hear that", "Sorry for
# the delay" have no mark after the word), a turn that adds ("too", "also", "another",
# "forgot to mention"), nor a long one
_RESTATES = re.compile(r"^\W*(?:sorry|oops|whoops|correction|actually|my\s+bad|typo)\s*"
                       r"(?:[,:!]|\s[-–—])", re.I)
# ... and, after "No,", "Nope,", "Wait," or "Actually" alone, a name said again as a name:
# "No, my dog is called Max", "actually my dog's name is Max" (not "No, my sister Eva lives
# in Rome", "Wait, my dog Max is sick", "No, I'm allergic to shellfish": those add)
_RESTATES_NAME = re.compile(
    r"^\W*(?:(?:no|nope|no\s+wait|wait)\s*(?:[,:!]|\s[-–—])\s*|actually\s+)(?:my|our)\s+[a-z-]+"
    r"(?:['’]s\s+name\s+is|['’]s\s+name['’]s|\s+is\s+(?:called|named))\s+[\w'’-]+"
    # ("..., sorry typo", "... - my bad")
    r"(?:\s*(?:[,;]|\s[-–—])?\s*(?:sorry|my\s+bad|oops|typo)(?:[,\s]+(?:typo|my\s+bad))?)?"
    r"[.!]*\s*$", re.I)
# "Oops, I meant June 5 for my mom's birthday": the fact said again in full (as "My mom's
# birthday is June 5"), which replaces the value before it in any session
_MEANT_FOR = re.compile(
    r"^\W*" + _CORRECTION_WORDS + r"*"
    r"I\s+meant\s+(?P<value>[^,;!?]{1,40}?)\s+for\s+(?P<what>(?:my|our)\s+(?:[a-z-]+['’]s\s+)?"
    r"(?P<attr>birthday|anniversary|name|city|address|email|phone\s+number|number|age))"
    r"(?:\s*[,.]?\s*(?:sorry|my\s+bad|oops))?[.!]*\s*$", re.I)


def _meant_shaped(attribute: str, value: str) -> bool:
    """Whether a value said with "I meant ... for my <attribute>" has the attribute's shape:
    a date holds a month or a number, a name or a city opens and ends capitalised, a number,
    an age or an address holds a digit, an e-mail "@" ("I meant the gift for my mom's
    birthday", "I meant well for my name" are none)."""
    words = value.split()
    if attribute in ("birthday", "anniversary"):  # "June 5", "June fifth", "6/5"
        return any(w.lower().rstrip(".,") in MONTHS for w in words) or any(
            c.isdigit() for c in value)
    if attribute in ("name", "city"):  # "Bob", "Rio de Janeiro" (not "the gift", "well")
        return bool(words) and words[0][:1].isupper() and words[-1][:1].isupper() and \
            words[0].lower() not in ("the", "a", "an", "my")
    if attribute == "email":
        return "@" in value
    return any(c.isdigit() for c in value)


_ADDS = re.compile(r"\b(?:too|also|as\s+well|another|second|other|both|more|forgot|forget|"
                   r"mention|add|and|new|adopted|got|bought|welcomed|having)\b", re.I)


def restates(text: str) -> bool:
    """Whether a turn has the shape of a correction by a fact stated again in full
    (`_restated`), whatever the turn before said."""
    return (len(text) <= 120 and bool(_RESTATES.match(text) or _RESTATES_NAME.match(text))
            and not _ADDS.search(text) and len(sentences(text)) == 1)


def _restated(text: str, out: list[Extraction], previous: Sequence[Extraction]
              ) -> list[Extraction]:
    """`out`, and where the turn corrects the previous one by stating a fact of it again in
    full with another value ("My dog is called Rex." / "Correction: my dog is called Max."),
    the old value's end when the attribute holds many (a second dog otherwise; one value
    replaces the other by itself). `text`: the turn as written."""
    if not previous or not restates(text):
        return out
    said = {e.key() for e in out}
    before = {e.key() for e in previous}
    ends: list[Extraction] = []
    for new in out:
        # a relative's or pet's name, or an allergy, that is new: "Sorry, my son Leo is 7"
        # after "My sons are Leo and Max" restates Leo and corrects nothing
        if new.negated or not new.multi_valued or new.key() in before or not (
                new.attribute.endswith("'s name") or (new.attribute == "allergy"
                                                      and _RESTATES.match(text))):
            continue
        held = [old for old in previous if not old.negated and old.value
                and (old.subject_key, old.attribute) == (new.subject_key, new.attribute)]
        if len(held) != 1:
            continue  # of two sons, which one a third name corrects is not said
        old = held[0]
        end = Extraction(old.subject, old.subject_key, old.attribute, old.value, "negation",
                         True)
        if old.key() not in said and end.key() not in said:
            said.add(end.key())  # (each end once)
            ends.append(end)
    return ends + out if ends else out


# In a turn all in lower case, a word opening a clause before what the rules read of a named
# person ("jess is a dentist", "btw sam is my brother", "tom lives in hull") is a name
_LOWER_NAME = re.compile(
    rf"(?P<lead>(?:^|[.!?,;]\s+|\b(?:and|but)\s+){_NAME_LEAD})(?P<w>[a-z]{{2,}})(?="
    r"(?:'s|’s|\s+is)\s+(?:(?:now|also|still|"
    r"actually|officially)\s+)?(?:an?\s+[a-z]|my\s+[a-z])|\s+(?:(?:just|now|also|recently)\s+)?"
    r"(?:lives|works)\b|"
    # "sarah and i broke up", "tom died yesterday" (a tie that ended: `_ended_ties`)
    r"\s+and\s+[iI]\s+(?:broke|split|are|got|have|just)\b|\s+(?:just\s+)?(?:died|passed\s+away)\b|"
    # "dan is 41 years old", "mia is fifteen years old": an age said as one ("gate is 14",
    # "speed is 55", "class is 9" are numbers of things)
    rf"(?:'s|’s|\s+is)\s+(?:(?:now|just|only|already)\s+)?(?:\d{{1,2}}|{_WORD_AGE}|{_SMALL_AGE})"
    r"\s+(?:years?\s+old|yrs?\s+old|y/?o)\b)")
# ... and a relative's name after the relation, before what the rules read of them ("my
# brother dan lives in miami", "my sister ana is a nurse"; not "my brother usually works")
_LOWER_REL_NAME = re.compile(
    rf"(?P<lead>\b(?:my|our)\s+(?:{RELATION_RE})\s+)(?P<w>[a-z]{{2,}})(?=\s+(?:lives|works|"
    rf"moved|relocated|(?:is|'s)\s+(?:an?|my|\d+|{_WORD_AGE}|{_SMALL_AGE})|just|also|now|recently|"
    r"died|passed|"
    r"and\s+[iI])\b)")
# ... and a relative's or pet's name said of them in lower case ("my sister's name is
# rachel", "my sisters name is rachel" (already "sister's"), "my dog is called biscuit")
_LOWER_KIN_NAME = re.compile(
    rf"(?P<lead>\b(?:my|our)\s+(?:{RELATION_RE})(?:['’]s\s+name(?:['’]s|\s+is)|\s+is\s+"
    rf"(?:called|named))\s+|"
    # "i have a cat named tom", "we adopted a dog called rex"
    rf"\b(?:a|an)\s+(?:[a-z]+\s+)?(?:{RELATION_RE})\s+(?:called|named)\s+|"
    # "we got a puppy, his name is max" (`_PRONOUN_NAME`)
    rf"(?:^|[.!?,;]\s+|\band\s+)(?:his|her)\s+name(?:['’]s|\s+is)\s+)(?P<w>[a-z]{{2,}})(?=\s*(?:[.,!;]|$)|\s+(?:and|but|who|so|because|"
    rf"though|btw|lol|haha)\b)")
# Words that open such a clause without naming anyone ("work is a nightmare", "everyone
# lives in hope", "mine is a latte")
_NOT_LOWER_NAMES = frozenset("""life work everything everyone everybody nobody somebody someone
anyone anybody one mine yours hers his theirs ours who which what that there this it he she
they we you home rent dinner lunch breakfast traffic weather today tomorrow yesterday school
uni college cat dog paris london
karma coffee wine beer gin vodka whisky whiskey tea food pizza chocolate cake cheese bread
carbs sushi tacos sleep bed money music gym books football netflix love jesus god fate batman
television tv alexa siri barbie ken kitty puppy""".split())


def _capitalised(m: re.Match[str]) -> str:
    word = m.group("w")
    if word in NOT_NAMES or word in _OPENERS or word in _NOT_LOWER_NAMES or \
            word in _PERSON_NOUNS or word in _DEICTIC:
        return m.group(0)
    return m.group("lead") + word.capitalize()


# Words after "my brother" that name no one ("my brother usually works ...")
_NOT_A_KIN_NAME = frozenset(_MANNER.split("|")) | frozenset("""usually never always sometimes
often mostly still also just now recently finally currently really actually even already
apparently probably definitely basically literally totally who that which and but too kinda
sorta barely lowkey highkey only rarely hardly seldom then legit constantly def prob officially
supposedly allegedly technically secretly tonight today tomorrow yesterday though although
here there again once twice both""".split())


def _rel_capitalised(m: re.Match[str]) -> str:
    """`_capitalised` of a name after a relation, not an adverb ("my brother usually ...")."""
    return m.group(0) if m.group("w") in _NOT_A_KIN_NAME else _capitalised(m)


def _kin_capitalised(m: re.Match[str]) -> str:
    """`_capitalised`, and not a word of how a name is ("my sister's name is complicated")."""
    return m.group(0) if _how_one_is(m.group("w")) else _capitalised(m)


# In a turn all in lower case (after _LOWER_I), the speaker naming themself -> the name in
# capitals: "my name is priyanka", "my names priyanka", "call me priya", "priyanka here",
# "hey im priyanka, i live in leeds" (after a greeting), and "im priyanka" alone as the turn
# after one that only greeted ("hiya"). A bare "im X" is said of how one is as often ("im
# dead", "im smart"), so it names no one unless a greeting says it is an introduction. The
# name is one word, and the clause ends after it ("im sam from work" names no one).
_GREETING = r"(?:hi+|hey+|hello+|hiya|heya|yo|howdy|morning|evening)"
_SELF_END = r"(?=\s*(?:[,.!]|$)|\s+(?:and|but|btw|lol|haha)\b)"
_LOWER_SELF = re.compile(
    rf"(?P<lead>(?:^|[.!?;]\s+)(?:{_GREETING}(?:\s+there)?[,!]?\s+)?(?:my\s+name(?:'s|’s|\s+is|s)"
    rf"|call\s+me)\s+|(?:^|[.!?;]\s+){_GREETING}(?:\s+there)?[,!]?\s+I(?:'m|’m|\s+am)\s+)"
    rf"(?P<w>[a-z]{{2,}}){_SELF_END}"
    rf"|(?P<lead2>^(?:{_GREETING}[,!]?\s+)?)(?P<w2>[a-z]{{2,}})(?=\s+here\s*(?:[,.!]|$))")
_LOWER_SELF_ALONE = re.compile(r"(?P<lead>^\s*I(?:'m|’m|\s+am)\s+)(?P<w>[a-z]{2,})\s*[.!]*\s*$")
# A turn that only greets: the next one may introduce its speaker
BARE_GREETING = re.compile(
    rf"^\s*(?:{_GREETING}|good\s+(?:morning|afternoon|evening))(?:\s+there)?(?:\s+(?:all|"
    rf"everyone|again))?\s*[!.,:)]*\s*$", re.I)
# A clause whose subject is the speaker: "I ...", after chat openers and a greeting
# ("hey there, I'm Tomasz, ...": `_BARE_AFTER_COMMA`)
_SPEAKER_LEAD = re.compile(
    rf"\W*(?:(?:{_NAME_LEAD_WORD}|{_GREETING})(?:\s+there)?[,:!]?\s+)*I(?:['’]m|\s+am)\s+"
    r"(?!\w+ing\b)(?:(?!(?:for|with|to|about|of|in|at|on|from|by|into|my|his|her|their|our|"
    r"your|so|such|too|very|really|glad|happy|sad|sorry|proud|jealous|worried)\b)"
    r"[\w'’-]+\s*){1,4}", re.I)
# What one is, said as "im X" in chat: not a name (NOT_NAMES has most of them)
_NOT_LOWER_SELF = frozenset("""down up dead weak shook gay straight bi trans queer wet beat
sore poor rich fat skinny sure high low chill bad good ok cool fine lucky silly ugly lovely
done game hyped pumped stoked certain positive aware unsure young right wrong over through
well better worse safe dry warm stuck almost nearly literally basically totally kinda sorta
pretty too gonna about like human male female christian muslim jewish hindu buddhist
catholic atheist agnostic introvert extrovert shy tall short alone adopted asian black white
brown mixed later anytime tonight whenever soon asap everything nothing someone here there
blessed deceased afk brb sober sorry me him her them new back asleep lazy set srsly dumb
stupid smart clever brave strong fit healthy hurt skint mental mad cross livid heartbroken
okish meh lit fire sus salty petty extra basic bougie woke based cringe mid toast tipsy baked
frozen numb dizzy queasy wiped spent fried burnt weird odd normal great sad mean nice kind
rude hard soft sweet cute wild broke dead deaf blind bald sane calm quiet loud lame away
online offline upstairs downstairs outside inside older younger taller shorter bigger smaller
clumsy cranky grumpy hangry messy moody nosy picky fussy sneaky sweaty needy nervy greedy
ded content ecstatic bilingual colorblind intolerant freelance student rubbish underpaid
hungover jetlagged peckish stressy long unusual different popular common rare strange easy
simple beautiful unique funny boring ordinary classic traditional famous obvious""".split())
_NOT_LOWER_SELF_END = ("ing", "ful", "ous", "less", "ive", "able", "ible", "sick")


def _how_one_is(word: str) -> bool:
    """Whether a lower-case word says how someone or something is, not who ("tired",
    "homesick", "complicated")."""
    return (word in _NOT_LOWER_SELF or word.endswith(_NOT_LOWER_SELF_END)
            or (len(word) > 5 and word.endswith("ed")))


def _self_capitalised(m: re.Match[str], found: set[str] | None = None) -> str:
    """The match with its name capitalised; a name of an "I'm x" form is added to `found`
    (a tentative one: `Extraction.tentative`)."""
    word, lead = (m.group("w"), m.group("lead")) if m.group("w") else (m.group("w2"),
                                                                         m.group("lead2"))
    if (word in NOT_NAMES or word in _OPENERS or word in _NOT_LOWER_NAMES
            or word in _PERSON_NOUNS or word in _DEICTIC or word in DEMONYM_NOUNS
            or word in KIN_NAMES or _how_one_is(word)):
        return m.group(0)
    if found is not None and re.search(r"I(?:'m|’m|\s+am)\s+$", lead):
        found.add(word.capitalize())
    return re.sub(r"my\s+names\s+$", "my name's ", lead) + word.capitalize()


def lower_self_name(text: str, after_greeting: bool = False,
                    tentative: set[str] | None = None) -> str:
    """`text` (written all in lower case, "im" already "I'm") with the name its speaker
    gives for themself capitalised (`_LOWER_SELF`); `after_greeting`: the speaker's
    previous turn only greeted, so a turn that is only "I'm X" introduces them too. The
    names of "I'm x" forms are added to `tentative` (`Extraction.tentative`)."""
    def named(m: re.Match[str]) -> str:
        return _self_capitalised(m, tentative)

    text = _LOWER_SELF.sub(named, text)
    return _LOWER_SELF_ALONE.sub(named, text) if after_greeting else text


def may_introduce_after_greeting(text: str) -> bool:
    """Whether `text` is a turn that names its speaker only if their previous turn greeted
    ("im priyanka" after "hiya": `lower_self_name`)."""
    return not any(c.isupper() for c in text) and _LOWER_SELF_ALONE.match(
        _LOWER_I.sub(lambda m: _CHAT[m.group(0)], text)) is not None


def caseless_self_name(text: str, after_greeting: bool = False,
                       tentative: set[str] | None = None) -> str:
    """`text` with the name its speaker gives for themself capitalised when it is written
    all in lower case ("hey im priyanka" -> "hey I'm Priyanka"); else `text` as it is."""
    if any(c.isupper() for c in text):
        return text
    return lower_self_name(_LOWER_I.sub(lambda m: _CHAT[m.group(0)], text), after_greeting,
                           tentative)


# A turn that hands over a text to work on: its "I" is the text's ("Translate: I live in
# Madrid", "Proofread this: I have worked at Google since 2019", "Rephrase: ...")
_TASK_TEXT = re.compile(
    r"^\W*(?:(?:can|could|would|will)\s+you\s+(?:please\s+)?|please\s+|pls\s+)?"
    r"(?:translate|proofread|rephrase|paraphrase|rewrite|reword|summari[sz]e|fix|check)"
    r"(?:\s+(?:this|that|it|the\s+following|the\s+(?:text|sentence|grammar|spelling|"
    r"paragraph)))?(?:\s+(?:for\s+me|please|into\s+\w+|to\s+\w+|in\s+\w+))*\s*:", re.I)
# An allergy said to be had no more, its allergen before the word (`extract`)
_ALLERGY_HAD = re.compile(
    r"\bI\s+(?:no\s+longer\s+have|(?:don['’]?t|do\s+not)\s+have(?=[^.!?;]*\b(?:any\s?more|"
    r"any\s+longer|now)\b))\s+(?:a|an|my|the)\s+(?P<what>[a-z][a-z-]{1,20}(?:\s+[a-z][a-z-]{1,20})?)"
    r"\s+allergy\b", re.I)
# A move told by where one is now: "We moved again, now in Tacoma", "I moved house and I'm
# now in Leeds" (as "we moved to Tacoma"); "We've settled in Reno", "we're settling in
# Reno now" (as "we live in Reno"); "My new apartment is in Oakland" (as "I live in
# Oakland": one's home, not "my new office is in Oakland").
_MOVED_NOW_IN = re.compile(
    r"\b(?P<who>I|we)(?:'ve|’ve|\s+have)?\s+(?:just\s+|finally\s+|recently\s+)?"
    r"(?:moved|relocated)(?:\s+(?:again|house|home|once\s+more))?\s*(?:[,;:]|\s[-–—])?\s*"
    r"(?:and\s+)?(?:(?:we're|we’re|we\s+are|I'm|I’m|I\s+am)\s+)?now\s+(?:living\s+|based\s+)?"
    r"in\s+(?=[A-Za-z])", re.I)
_SETTLED_IN = re.compile(
    r"\b(?P<who>I|we)(?:'ve|’ve|\s+have|'re|’re|\s+are|'m|’m|\s+am)?\s+"
    r"(?:just\s+|finally\s+|now\s+|all\s+)?(?:settled|settling)\s+(?:down\s+)?in\s+"
    + _A_HOME_NOW.replace("(?=(?-i:[A-Z]))", "", 1), re.I)
_HOME_IS_IN = re.compile(
    r"\b(?P<who>my|our)\s+(?:new\s+)?(?:flat|house|apartment|place|home|condo)\s+(?:is|'s|’s)"
    r"\s+(?:(?:now|over)\s+)?in\s+" + _A_HOME_NOW.replace("(?=(?-i:[A-Z]))", "", 1), re.I)


# A taste that ended, told as the past with a change or as tiring of it: "I used to love
# coffee, but now I prefer tea" (as "I no longer love coffee, ..."), "I've gotten tired of
# hiking", "I've grown bored of jazz" (as "I no longer like ..."); a taste that grew, by
# comparison: "I'm more into classical than jazz these days" (as "I'm into classical").
_USED_TO_LIKE = re.compile(r"\bI\s+used\s+to\s+(?:really\s+|absolutely\s+)?"
                           r"(?P<verb>love|like|enjoy|adore)\s+(?!to\s|it\b|that\b|when\b)"
                           # (said as a change: "..., but now I prefer tea", "... but not any
                           # more"; not a like of a time gone by: "I used to love drum and bass
                           # at uni", which may hold still)
                           r"(?=[^.!?;]*\b(?:but|now|any\s?more|these\s+days|no\s+longer)\b)"
                           # (not a like that holds still: "... and I still do", "... but now I
                           # love it even more")
                           r"(?![^.!?;]*\b(?:still|even\s+more|more\s+than\s+ever|again)\b)",
                           re.I)
_TIRED_OF = re.compile(r"\bI(?:'ve|’ve|\s+have)?\s+(?:kind\s+of\s+|kinda\s+|really\s+)?"
                       r"(?:gotten|grown|got|become|became)\s+(?:really\s+|so\s+|a\s+bit\s+|"
                       r"kind\s+of\s+|kinda\s+)?(?:tired|sick|bored)\s+of\s+"
                       r"(?!(?:it|this|that|them|him|her|you|waiting|being)\b)", re.I)
_MORE_INTO = re.compile(r"\b(?P<who>I(?:'m|’m|\s+am))\s+(?:now\s+|much\s+|way\s+|a\s+lot\s+)?"
                        r"more\s+into\s+(?P<what>[^,.;!?]+?)\s+than\s+[^,.;!?]+?"
                        r"(?=\s*(?:$|[,.;!?]|\s+(?:now|these\s+days|lately)\b))", re.I)


# A present perfect of a home or a job: "I've lived in Chicago", "we have been living in
# Leeds", "I've worked at Acme", "I've been at Deloitte", "I've been a nurse" (`_held_for`)
_HAS_HELD = re.compile(r"\b(?:I|[Ww]e)(?:'ve|’ve|\s+have)\s+(?:(?:been\s+)?(?:lived|living|"
                       r"worked|working|stayed|staying|based)|been\s+(?:at|with|in|an?)\s|"
                       r"been\s+(?:married|together)\b)")


def _held_for(sentence: str, at: datetime | date | None) -> tuple[DateMention, str] | None:
    """How long the speaker's home or job has held, said with a present perfect ("I've
    worked at Acme for 3 years"), and the words from the verb to it; None when the sentence
    says none or no present perfect comes before it ("I lived in Rome for 3 years" is of
    the past, read by `_past_facts`)."""
    if at is None or "for " not in sentence:
        return None
    mention = held_for(sentence, at)
    if mention is None:
        return None
    verbs = list(_HAS_HELD.finditer(sentence, 0, mention.start))
    return (mention, sentence[verbs[-1].start():mention.start]) if verbs else None


# A partner told as "someone": "I'm seeing someone new, her name is Lena", "I've been dating
# someone called Sam" (as "I've started dating Lena" with "new", else "I'm dating Sam")
_SOMEONE_NAMED = re.compile(
    r"\bI(?:['’]m|\s+am|['’]ve\s+been|\s+have\s+been)\s+(?:now\s+)?(?:seeing|dating)\s+"
    r"someone(?P<new>\s+new)?\s*(?:,\s*|\s+(?:and\s+)?|\s*[-–—]\s*)"
    r"(?:named|called|(?:her|his|their)\s+name\s+is|(?:she|he)(?:['’]s|\s+is)\s+called)\s+"
    r"(?=(?-i:[A-Z]))", re.I)


# A pet named after it was told of: "We named the puppy Rocky" (as "... our puppy Rocky"; not
# "called": "I called the dog Walker", "we called the dog Max and he came running")
_NAMED_THE = re.compile(r"\b(?P<who>I|we)\s+(?:just\s+|finally\s+)?(?P<verb>named)\s+the\s+"
                        r"(?:(?:new|little|baby)\s+)?(?=(?:puppy|kitten|dog|cat|bunny|rabbit|hamster|parrot|horse|pony|"
                        r"guinea\s+pig|turtle|tortoise|lizard|snake)\s+(?-i:[A-Z]))", re.I)


def _said_otherwise(text: str) -> str:
    """A turn's partner told as "someone", written as the rules read a partner
    (`_SOMEONE_NAMED`); a pet named after it was told of, as one's own (`_NAMED_THE`); a
    like told as the past with a change (`_USED_TO_LIKE`). Read before the turn's clauses
    are split, since what says it may be a clause of its own ("..., her name is Lena",
    "..., but now I prefer tea")."""
    text = _USED_TO_LIKE.sub(
        lambda m: f"I no longer {'love' if m.group('verb').lower() == 'adore' else m.group('verb')} ",
        text)
    text = _NAMED_THE.sub(lambda m: f"{m.group('who')} {m.group('verb')} our ", text)
    return _SOMEONE_NAMED.sub(
        lambda m: "I've started dating " if m.group("new") else "I'm dating ", text)


# A graduation just told: "I graduated from MIT today!", "I just graduated" (as "I'm no
# longer a student (at MIT)"); not one of long ago ("I graduated from UCLA in 2012")
_GRADUATED = re.compile(
    r"\bI\s+(?P<now>(?:(?:just|finally|officially|have|'ve|’ve)\s+)*)graduated"
    # from a school by name (whose name the rules read on), or one named in lower case
    # ("from college", "from uni", "from high school"); not "to the next level", "from therapy"
    r"(?:(?P<from>\s+from(?=\s+(?-i:[A-Z])))|\s+from\s+(?:my\s+|the\s+|a\s+)?(?:[a-z'’-]+\s+){0,2}?"
    r"(?:college|uni|university|school|academy|bootcamp|degree|masters|phd|program|programme)"
    r"(?=\s*(?:$|[.!?,;]|\s+(?:today|yesterday|this|last|and|so|but|finally|at\s+last|with)\b))|"
    r"(?=\s*(?:$|[.!?,;]|\s+(?:today|yesterday|this|last|and|so|but|finally|at\s+last|with)\b)))"
    r"(?P<recent>(?=[^.!?;]*\b(?:today|yesterday|this\s+(?:week|month|morning|weekend)|"
    r"last\s+(?:week|weekend|night)|tonight)\b))?", re.I)


def _graduated(sentence: str) -> str:
    """A graduation just told, written as the end of being a student (`_GRADUATED`)."""
    def said(m: re.Match[str]) -> str:
        if not (re.search(r"just|finally|officially", m.group("now"), re.I) or
                m.group("recent") is not None):
            return m.group(0)
        return "I'm no longer a student at" if m.group("from") else "I'm no longer a student"
    return _GRADUATED.sub(said, sentence) if "graduated" in sentence.lower() else sentence


def _married_for(out: list[Extraction], text: str, at: datetime | date | None
                 ) -> list[Extraction]:
    """A partner's name read with how long the couple has been married or together ("My wife
    Jen and I have been married for 12 years"): the tie began then, when the turn names one
    partner only and no date of its own."""
    partners = [e for e in out if not e.negated and not e.past and e.when is None
                and e.attribute.removesuffix("'s name") in PARTNERS]
    if len(partners) != 1 or at is None or "been" not in text:
        return out
    held = _held_for(text, at)
    if held is None or not re.search(r"\bbeen\s+(?:married|together)\b", held[1]):
        return out
    began = held[0]
    return [replace(e, when=began.date, when_latest=period_end(began.date, began.precision),
                    when_sure=True) if e is partners[0] else e for e in out]


def _taste_said(sentence: str) -> str:
    """A taste ended or grown, written as the rules read one (`_TIRED_OF`, `_MORE_INTO`; a
    like told as the past, `_USED_TO_LIKE`, is read in the whole turn: `_said_otherwise`)."""
    sentence = _TIRED_OF.sub("I no longer like ", sentence)
    return _MORE_INTO.sub(lambda m: f"{m.group('who')} into {m.group('what')}", sentence)


def _move_said(sentence: str) -> str:
    """A move told by where one is now, written as the rules read a move (`_MOVED_NOW_IN`,
    `_SETTLED_IN`, `_HOME_IS_IN`): the last two only of a place the rules know or a
    capitalised name that is no state or part of a building (`_NO_HOME_PLACE`: "my house is
    in Foreclosure", "my apartment is in Building C", "we settled in Court"), and not for a
    while ("we settled in Paris for a week")."""
    def place(m: re.Match[str]) -> bool:
        rest = sentence[m.end():]
        if _known_place_starts(rest):
            return True
        first = rest.split()[0].strip(".,;!?").lower() if rest.split() else ""
        return rest[:1].isupper() and first not in _NO_HOME_PLACE

    sentence = _MOVED_NOW_IN.sub(lambda m: f"{m.group('who')} moved to ", sentence)
    sentence = _SETTLED_IN.sub(
        lambda m: f"{m.group('who')} live in " if place(m) else m.group(0), sentence)
    return _HOME_IS_IN.sub(
        lambda m: m.group(0) if not place(m) else "I live in "
        if m.group("who").lower() == "my" else "we live in ", sentence)


# Capitalised words said where a home is that are no place ("My new house is in Escrow")
_NO_HOME_PLACE = frozenset("""foreclosure chaos building court escrow block tower shambles
progress trouble bad good limbo ruins pieces order disarray need repair debt danger
lockdown quarantine""".split())


def _known_place_starts(rest: str) -> list[str]:
    """The known places (`KNOWN_PLACES`) of up to four words that `rest` may open with."""
    words = rest.lower().split()[:4]
    return [p for n in range(1, len(words) + 1)
            if (p := " ".join(w.strip(".,;!?") for w in words[:n])) in KNOWN_PLACES]


# A clause that ends a fact of the speaker's with no subject: "Not allergic to cats anymore"
_BARE_NOT = re.compile(r"^(?:(?:so|and|but|well|oh|ok|okay|yeah|btw|apparently|turns\s+out),?\s+)*"
                       r"(?=(?:not|no\s+longer)\s+(?:allergic|living|working|into|really\s+into|"
                       r"(?:an?|much\s+of\s+a)\s+(?:big\s+|huge\s+)?fan)\b)", re.I)
# What negates or ends a fact somewhere in a clause (`_negations` reads which).
_NEGATION_CUE = re.compile(
    r"\bnot\b|n't\b|n’t\b|\b(?:any\s?more|no\s+longer|left|quit|resigned|lost|stopped|gave\s+up|fired|"
    r"last\s+day|(?:'m|’m|am)\s+(?:\w+\s+){0,2}over|"
    r"laid\s+off|let\s+go|sacked|redundant|"
    # a tie that ended (`_ended_ties`): a break-up, a pet's death
    r"broke\s+up|broken\s+up|split|separated|divorced|dumped|called\s+it\s+quits|ended\s+things|died|"
    r"(?:are|'re|’re)\s+(?:now\s+|officially\s+)?over|passed|put\s+(?:\w+\s+){0,3}?(?:down|to\s+sleep)|rainbow\s+bridge|"
    # a pet no longer one's (`_no_pets`)
    r"(?:have|'ve|’ve)\s+(?:got\s+)?no|re-?home[ds]?|gave|give|sold|"
    # a place left ("I moved out of Leeds")
    r"(?:moved|relocated)\s+(?:out\s+of|away\s+from))\b", re.I)
# Where a clause that negates goes on with another statement: "..., and (then) ...",
# "... because ...", "... so ...", "... which is why ...".
_NEGATION_REST = re.compile(
    r",?\s+(?:and\s+(?:then\s+|now\s+|so\s+)?|but\s+|because\s+|since\s+(?=I\b|we\b)|"
    r"so\s+(?=I\b|we\b|now\b)|which\s+is\s+why\s+|after\s+(?=I\b))|\s*[;,]\s+", re.I)
# A part that goes on without its subject: "(I left Acme and) joined Globex".
_SUBJECTLESS = re.compile(
    r"(?:now\s+|then\s+|just\s+|recently\s+|finally\s+)*(?:joined|started|began|moved|"
    r"relocated|took|landed|accepted|switched|signed|went|got|work|am\s+now|live)\b", re.I)


# A time said before the clause's subject: "In February I left Acme and joined Globex"
_TIME_LEAD = (r"(?:(?:back\s+)?(?:in|on|since|by|around)\s+(?:early\s+|late\s+|mid-?\s*)?"
              r"[\w-]+(?:\s+\d{1,4})?|(?:last|this|earlier\s+this)\s+\w+|yesterday|today|"
              r"recently|(?:a|an|one|two|three|a\s+few|\d+)\s+\w+\s+ago)")


def _rest_of_negation(sentence: str) -> list[str]:
    """The parts of a clause that negates which negate nothing themselves, each with its
    subject: "I left Acme and joined Globex" -> ["I joined Globex"]. A part without a
    subject takes the speaker's only where the clause opens with "I"."""
    joint = _TIE_JOINT.search(sentence)
    if joint is not None:  # "My boyfriend Sam and I broke up and ...": no part names Sam
        sentence = f"{sentence[:joint.start()]}we {sentence[joint.start('verb'):]}"
    parts = [p.strip() for p in _NEGATION_REST.split(sentence) if p and p.strip()]
    if len(parts) < 2:
        return []
    return _with_subjects(sentence, [p for p in parts if not _NEGATION_CUE.search(p)])


def _with_subjects(sentence: str, parts: list[str]) -> list[str]:
    """Parts of `sentence`'s clause, each with its subject: a part without one ("joined
    Globex") takes the speaker's where the clause opens with "I", else is left out."""
    mine = re.match(r"(?:\W*(?:so|and|but|well|oh|ok|okay|yeah|actually|btw),?\s+)*"
                    rf"(?:{_TIME_LEAD},?\s+)?I\b", sentence, re.I) is not None
    out = []
    for part in parts:
        if _SUBJECTLESS.match(part):
            if not mine:
                continue
            part = f"I {part}"
        out.append(part)
    return out


# Where a clause that tells the past goes on with what came after: "..., then", "... but
# (now)", "... and (now / then)", "... before I", "... so I"
_PAST_REST = re.compile(
    r",?\s+(?:and\s+(?:then\s+|now\s+|so\s+)?|but\s+(?:now\s+|then\s+)?|then\s+|"
    r"before\s+(?=I\b)|so\s+(?=I\b|now\b)|now\s+(?=I\b))|\s*[;,]\s+(?:then\s+|now\s+)?", re.I)


def _rest_of_past(sentence: str) -> list[str]:
    """The parts of a clause that tells the past after its first, each with its subject: "I
    worked at Google, then joined Meta" -> ["I joined Meta"] (a part without a subject takes
    the speaker's where the clause opens with "I")."""
    parts = [p.strip() for p in _PAST_REST.split(sentence) if p and p.strip()]
    return _with_subjects(sentence, parts[1:])


# "I'm Dana, 34", "I'm Dana, 34 years old, from Ohio", "im Theo. 29, freelance dev": the age
# said right after the name
_NAME_THEN_AGE = re.compile(
    rf"\bI(?:['’]m|\s+am)\s+(?P<name>[A-Z][^\W\d_]+)(?:\s+[A-Z][^\W\d_]+)?[,.]\s*(?P<n>\d{{1,3}}|{_WORD_AGE})"
    r"(?:\s*(?:years?\s+old|y/?o|yrs?(?:\s+old)?))?(?=\s*(?:$|[,.!;]|\s+(?:and|from|"
    r"living|working|based)\b))")


# A relative and their own household as one subject ("my son and his wife moved to
# Vancouver", "My sister Ana and her husband live in Leeds"): where they live is the
# relative's
_AND_THEIR = re.compile(
    rf"(\b(?:[Mm]y|[Oo]ur)\s+(?:{RELATION_RE})(?:,?\s+{_NAME_RE},?)?)\s+and\s+(?:his|her|their)\s+"
    r"(?:wife|husband|partner|girlfriend|boyfriend|fianc[ée]e?|kids|children|family|boys|girls)"
    r"(?=\s+(?:(?:just|recently|finally|now|also|both|all|still)\s+)*(?:live|living|moved|"
    r"relocated|emigrated|are\s+(?:living|based|now))\b)")


# An ex named: "My ex is Tom Reed", "my ex-wife's name is Kate", "my ex boyfriend Tom lives
# in Leeds": a partner whose tie ended (`Extraction.past`), as "who is my ex?" asks
_EX_NAMED = re.compile(
    r"\bmy\s+ex(?:[- ]?(?P<kind>husband|wife|boyfriend|girlfriend|bf|gf|partner|fianc[ée]e?|"
    r"spouse))?(?:['’]s\s+name\s+is|\s+is\s+(?:called|named)|\s+is|"
    # "my ex, Sam, texted me" (a name set off by commas; not "my ex, Sam and I ...")
    r",(?=\s*(?-i:[A-Z])[\w'’-]+(?:\s+(?-i:[A-Z])[\w'’-]+)?\s*,)|\s+(?=(?-i:[A-Z])))\s*"
    r"(?P<name>(?-i:[A-Z])[\w'’-]+(?:\s+(?-i:[A-Z])[\w'’-]+)?)"
    r"(?=\s*(?:$|[.,;!?)]|\s+(?:and|but|who|lives|works|is|was|has|moved|just)\b))", re.I)
_EX_KINDS = {"bf": "boyfriend", "gf": "girlfriend", "fiance": "fiancé", "fiancé": "fiancé",
             "fiancee": "fiancé", "fiancée": "fiancé"}


def _statement(sentence: str, turn: _Turn, me: _Subject, work_talk: bool) -> None:
    """The facts a clause that negates nothing states (`extract`)."""
    bare = _BARE.match(sentence)
    if bare and not re.match(r"(?:I|we|my)\b", sentence[bare.end():], re.I):
        sentence = f"{sentence[:bare.end()]}I {sentence[bare.end():]}"
    ex = _EX_NAMED.search(sentence)
    if ex is not None and turn.speaker_key.startswith("user:") and \
            ex.group("name").split()[0].lower() not in NOT_NAMES and \
            ex.group("name").split()[0].lower() not in KIN_NAMES and \
            ex.group("name").split()[0].lower() not in ("mr", "mrs", "ms") and \
            not _an_app(ex.group("name")) and not _HEDGE.search(sentence):
        kind = (ex.group("kind") or "partner").lower()
        turn.add(me, f"{_EX_KINDS.get(kind, kind)}'s name", ex.group("name"), "relation",
                 past=True)
    if _past_facts(sentence, turn, me):
        # "I was a nurse before I became a doctor", "I used to live in Leeds but moved to
        # York": what follows the past is read on its own
        worked, turn.after_work = turn.after_work, bool(_WORKED_BEFORE.search(sentence))
        for part in _rest_of_past(sentence):
            _statement(part, turn, me, work_talk)
        turn.after_work = worked
        return
    if _HEDGE.search(sentence):
        # "I want to bake a cake for my grandson Jonas": the plan is a plan, the grandson's
        # name is stated all the same.
        _relatives(sentence, turn, me)
        return
    after = _BARE_AFTER_COMMA.search(sentence)
    if after and _SPEAKER_LEAD.fullmatch(sentence[:after.start()].rstrip()):
        # two clauses, each read on its own
        _statement(sentence[:after.start()], turn, me, work_talk)
        _statement("I " + re.sub(r"^,\s+(?:and\s+)?", "", sentence[after.start():], flags=re.I),
                   turn, me, work_talk)
        return
    name = stated_name(sentence)
    if name and turn.speaker_key.startswith("user:"):
        turn.add(_Subject(name, turn.speaker_key), "name", name, "name",
                 tentative=name in turn.tentative_names)
        aged = _NAME_THEN_AGE.search(sentence)
        years = age_number(aged.group("n")) if aged else ""
        if aged and aged.group("name") == name.split()[0] and years and 0 < int(years) <= 120:
            turn.add(me, "age", years, "age")  # "I'm Dana, 34, ...", "I'm Dana, thirty-four"
    _relatives(sentence, turn, me)
    _counted_relatives(sentence, turn, me)
    _plural_relatives(sentence, turn, me)
    _not_mine(sentence, turn, me)
    _my_attributes(sentence, turn, me)
    _predicates(_AND_THEIR.sub(r"\1", sentence), turn, me)
    _noun_allergies(sentence, turn, me)
    called = _CALL_HOME.search(sentence)
    if called:  # "I call Seattle home now"
        turn.add(me, "city", clean_value(called.group("place")), "residence")
    home = _HOME.search(sentence)
    if home and not _FOR_OTHERS.search(sentence, home.end()):  # "home is Madrid for them"
        turn.add(me, "city", _trim_place(_value(sentence, home.end(), attribute="city"),
                                         "residence"),
                 "residence")
    job = _APPOSITIVE_JOB.search(sentence)
    if job and _job(clean_value(job.group("job")), known=True):
        turn.add(me, "job", clean_value(job.group("job")), "work")
        turn.add(me, "employer", _trim_place(_value(sentence, job.end(), attribute="employer"),
                                             "employer"), "work")
    city = _IN_CITY.search(sentence)
    if city and city.group("arrived") and not _TELLS_A_MOVE.search(turn.whole):
        city = None
    if city and not _PASSING.search(sentence, city.end()):
        place = _trim_place(_value(sentence, city.end(), attribute="city"), "residence")
        if place and not re.search(r"\d", place) and not _no_place(place, "city"):
            turn.add(me, "city", place, "residence")
    org = _AT_ORG.search(sentence) if work_talk else None
    if org:
        turn.add(me, "employer", _trim_place(_value(sentence, org.end(), attribute="employer"),
                                             "employer"), "work")
    home_now = _IS_HOME.search(sentence)
    if home_now:  # "Leeds is home now", "York is our home"
        place = clean_value(home_now.group("place"))
        if place.lower() in KNOWN_PLACES and _named(place) and \
                _kin(place, me) is None and not _no_place(place, "city"):
            turn.add(me, "city", place, "residence")
    if _RETIRED.search(sentence):  # "I'm retired now": no job, no employer
        turn.end(me, "job")
        turn.end(me, "employer")
    if _SINGLE.search(sentence):  # "I'm single now": no partner of any kind
        for rel in PARTNERS:
            turn.end(me, f"{rel}'s name")
    _new_partner(sentence, turn, me)


# A place lived in, a workplace or a job, said as the past (`_past_facts`): "I used to live
# in Seville", "We lived in Madrid for five years", "I worked at Google until 2019", "I used
# to be a nurse", "I was a teacher for ten years"; of a relative or a person by name too ("my
# dad was a baker", "Aylin used to live in Lisbon"). Not "I've lived in ..." (that holds now).
_PAST_ADV = r"(?:(?:also|once|briefly|previously|actually|originally|even|both)\s+)*"
_PAST_WHO = (rf"(?:\b(?P<i>I|[Ww]e)|\b[Mm]y\s+(?P<rel>{RELATION_RE})|"
             rf"(?:^|(?<=[,;] ))(?P<name>{_FIRST_NAME}))\s+")
_PAST_LIVED = re.compile(
    rf"{_PAST_WHO}{_PAST_ADV}(?i:used\s+to\s+live|lived)\s+in\s+")
_PAST_WORKED = re.compile(
    rf"{_PAST_WHO}{_PAST_ADV}(?i:used\s+to\s+work|worked)\s+(?:at|for)\s+")
# "I was at Amazon for 3 years", "before that I was at Deloitte until 2019": a workplace only
# with how long or until when ("I was at Tesco" is as often a visit)
_PAST_WAS_AT = re.compile(rf"{_PAST_WHO}{_PAST_ADV}(?i:was|were)\s+at\s+(?=[A-Z])")
# ... not a school, where one studied as often ("I was at Oxford for three years")
_A_SCHOOL = re.compile(r"(?:[A-Z][\w'’.-]*\s+){0,3}?(?:University|Uni|College|School|Academy|"
                       r"Institute|Polytechnic|High|Elementary|Primary|Secondary|Prep|Rehab|"
                       r"Prison|Camp)\b|(?:Eton|Sandhurst|Imperial|Shawshank|Harvard|Oxford|"
                       r"Cambridge|Stanford|MIT|"
                       r"Yale|Princeton|Berkeley|Columbia|UCLA|LSE|UCL|ETH|Sorbonne)\b")
# ... nor a stay of days or weeks, a patient's or a guest's
_WAS_THERE = re.compile(r"\bfor\s+(?:a|one|two|three|a\s+few|a\s+couple\s+of|\d+)\s+"
                        r"(?:days?|weeks?)\b|\bas\s+an?\s+(?:customer|guest|visitor|patient)\b|"
                        r"\bafter\s+(?:the|my|an?)\s+(?:accident|surgery|operation|crash)\b",
                        re.I)
# ... nor an event gone to each year ("Glastonbury for 5 years in a row")
_EVERY_YEAR = re.compile(r"\b(?:in\s+a\s+row|straight|running|every\s+(?:year|summer|winter)|"
                         r"each\s+year)\b", re.I)


def _known_place_at(sentence: str, at: int) -> bool:
    """Whether the capitalised words at `at` are a place the rules know ("London")."""
    m = _CAPITALISED_NAME.match(sentence, at)
    return m is not None and m.group(0).lower() in KNOWN_PLACES


_PAST_STAY = re.compile(
    r"\s+(?:for\s+(?:(?:about|almost|nearly|over|around)\s+)?(?:\d+|a|an|one|two|three|four|"
    r"five|six|seven|eight|nine|ten|a\s+few|several|many)\s+(?:years?|months?|decades?)|"
    r"(?:until|till|up\s+to|from|since|between)\s+(?:(?:early|late|mid)[- ]?)?(?:19|20)\d\d)\b",
    re.I)
_PAST_JOB = re.compile(
    rf"{_PAST_WHO}{_PAST_ADV}(?i:used\s+to\s+(?:be|work\s+as)|was|worked\s+as)\s+(?:an?\s+)")
# "I moved from Lagos to Kigali": the place before (both names: "from Marketing to Sales" is
# no move, as in the move's own rule)
_MOVED = (r"\b(?:I|[Ww]e)\s+(?:(?:just|recently|finally|also|had|have|'ve|’ve)\s+)*"
          r"(?:moved|relocated)\s+(?:back\s+)?")
_MOVED_FROM = re.compile(
    _MOVED + r"(?:all\s+the\s+way\s+)?from\s+"
    r"(?P<place>[A-Za-z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,3})\s+to\s+(?=[A-Za-z])")
# ... and "I moved to Denver from Austin": Austin
_MOVED_TO_FROM = re.compile(
    _MOVED + r"to\s+[A-Za-z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,3}"
    # (a time between: "to Bergen in March from Oslo")
    r"(?:\s+(?:in|last|this|back\s+in)\s+[\w]+(?:\s+\d{4})?)?\s+from\s+"
    r"(?P<place>[A-Za-z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,3})(?=\s*(?:$|[.,;!?)]|\s+(?:in|last|"
    r"this|two|three|a|an|and|but|so|because|after|when|\d)\b))")
# A short or single stay, no home or job: "I worked at the bakery yesterday", "We lived in a
# hotel in Rome for a week"
_PAST_SHORT = re.compile(
    r"\b(?:today|yesterday|tonight|last\s+night|this\s+(?:morning|afternoon|evening|week(?:end)?)|"
    r"for\s+(?:a|one|two|three|four|five|a\s+few|a\s+couple\s+of|several|\d+)\s+"
    r"(?:days?|weeks?|nights?|hours?|minutes?)|on\s+(?:holiday|vacation)|over\s+the\s+summer|"
    r"all\s+(?:day|night|week|morning|afternoon|evening)|the\s+whole\s+(?:day|night|week))"
    r"\b", re.I)
_A_STAY = (r"\bfor\s+(?:a|one|two|three|a\s+few|a\s+couple\s+of|several|\d+)\s+"
           r"(?:days?|weeks?|nights?|hours?|minutes?|months?|semester|term|season)\b")
_BRIEF = re.compile(_A_STAY + r"|\b(?:moved|came|went)\s+back\b", re.I)
_A_STAY = re.compile(_A_STAY, re.I)  # type: ignore[assignment]
# ... nor what is no fact: a dream, a pretence, a lie, a role, a guess (of a move too: "I
# dreamt I moved from Paris to Rome"; a move over the summer is a move)
_NO_FACT = re.compile(
    r"\b(?:dream(?:ed|t|ing)?|pretend(?:ed|ing)?|lied|lying|joking|kidding|(?:I|i)\s+think|"
    r"in\s+(?:the|a|our|my)\s+(?:school\s+)?(?:play|show|musical|film|movie|series|game|story))"
    r"\b", re.I)
# A turn that says the past still holds: "I worked at Google for ten years and I still do"
_STILL = re.compile(r"\bstill\s+(?:do|does|did|work|works|live|lives|am|are|is|there)\b", re.I)
# A place or a firm's name in a turn written with capitals: its capitalised words, with the
# small words names hold between them ("Newcastle upon Tyne", "Bank of America"): not "Paris
# in my twenties", "Google all day", "Leeds there was a park"
_CAPITALISED_NAME = re.compile(
    r"[A-Z][\w'’.&-]*(?:\s+(?:(?:upon|de|la|le|du|des|of|the|am|an|der|sur|en|y|do|da|di|"
    r"and|&)\s+)?(?!I\b)[A-Z0-9][\w'’.&-]*)*")


def _name_part(value: str, turn: _Turn) -> str:
    """A value's capitalised name, without the words after it (`_CAPITALISED_NAME`); as
    it is in a turn written in lower case."""
    if turn.caseless:
        return value
    m = _CAPITALISED_NAME.match(value)
    return clean_value(m.group(0)) if m else value


def _a_move(moved: re.Match[str]) -> bool:
    """Whether "moved from X to Y" / "moved to Y from X" tells a place X lived in: X a place
    the rules know (`_known_place`: "from Lagos to Kigali"; not "from WordPress to Ghost",
    "to Boston from Google", whose names are no places)."""
    return _known_place(moved.group("place"))


def _known_place(value: str) -> bool:
    """Whether a place's name is one `vocab.KNOWN_PLACES` holds, whole or by its first word
    ("New York City", "Paris"), or a name of two words or more ("Hebden Bridge"); not one
    word the rules do not know ("React", "Sarah")."""
    words = clean_value(value).lower().split()
    return bool(words) and (" ".join(words) in KNOWN_PLACES or words[0] in KNOWN_PLACES
                            or len(words) > 1)


def _after(sentence: str, value: str, start: int) -> int | None:
    """Where in `sentence` the words after `value` (found from `start`) begin: a date there
    is the value's own ("Madrid in 2015"; `_Turn.add`'s `date_at`)."""
    at = sentence.find(value, start)
    return None if at < 0 else at + len(value)


# How long or until when, after a past job: "(a teacher) for ten years", "... until 2019"
_PAST_SPAN = re.compile(r"\s+(?:for|until|till|from|since|between|back)\b.*$", re.I)
# When a past fact held, said right after its value: "(Leeds) until 2018", "from 2015 to
# 2019", "between March 2010 and 2014", "from 2015 until last year" is not read (a year or a
# month and year only)
_SPAN_WHEN = rf"(?:(?:in\s+)?(?:early|late|mid)[- ]?)?(?:(?P<{{m}}>{_T_MONTH})\s+)?(?P<{{y}}>(?:19|20)\d\d)\b"
_PAST_UNTIL = re.compile(
    r"\s*(?:,\s*)?(?:(?:from|since)\s+" + _SPAN_WHEN.format(m="m1", y="y1")
    + r"\s*(?:to|until|till|through|-|–)\s*|between\s+" + _SPAN_WHEN.format(m="m3", y="y3")
    + r"\s+and\s+|(?:until|till|up\s+to|up\s+until|through)\s+)"
    + _SPAN_WHEN.format(m="m2", y="y2"), re.I)


def _past_span(sentence: str, at: int | None) -> tuple[DateMention | None, DateMention | None]:
    """The start and the end told right after a past fact's value (`at`: where its words
    end): "until 2018" -> (None, 2018), "from March 2015 to 2019" -> (March 2015, 2019); a
    start after its end is no span."""
    m = _PAST_UNTIL.match(sentence, at) if at is not None else None
    if m is None:
        return None, None

    def said(month: str | None, year: str, where: str) -> DateMention:
        day = date(int(year), MONTHS[month.lower().rstrip(".")] if month else 1, 1)
        return DateMention(m.group(0).strip(), m.start(where), m.end(where), day,
                           "month" if month else "year")

    since = (said(m.group("m1"), m.group("y1"), "y1") if m.group("y1") else
             said(m.group("m3"), m.group("y3"), "y3") if m.group("y3") else None)
    until = said(m.group("m2"), m.group("y2"), "y2")
    if since is not None and since.date > until.date:
        return None, None
    return since, until


def _past_facts(sentence: str, turn: _Turn, me: _Subject) -> bool:
    """A clause that tells where the speaker lived, worked or what their job was, as the
    past ("I used to live in Seville", "I worked at Google for five years", "I used to be a
    nurse"): the fact with `Extraction.past` (it held once, and no longer: it ends no value
    that holds now). A place or a workplace is a name (capitalised, or a place the rules know
    in a turn typed in lower case); a job one the rules know. Not a hedge beyond "used to"
    ("If I lived in Paris ..."), nor a short stay ("I worked at the bakery yesterday", "...
    for a week"). Whether one was read (the clause states nothing else)."""
    if _HEDGE.search(re.sub(r"\b(?:used\s+to|when\s+(?:I|we)\s+(?:was|were))\b", " ", sentence,
                            flags=re.I)) or _NO_FACT.search(sentence) or \
            _STILL.search(turn.whole):
        return False
    moved = None if _BRIEF.search(sentence) else (  # ("... to Rome for a week": a stay)
        _MOVED_FROM.search(sentence) or _MOVED_TO_FROM.search(sentence))
    if moved is not None and _a_place(moved.group("place"), turn) and _a_move(moved) and \
            not _no_place(moved.group("place"), "city") and not _an_app(moved.group("place")) \
            and not _an_app(sentence[moved.end():]) and not any(
                _an_app(w) for w in re.findall(r"[A-Z][\w'’.-]*", moved.group(0))):
        # ("from Slack to Teams", "to Mac"; "to Teams from Slack")
        # "I moved from Lagos to Kigali": Lagos was where they lived (Kigali is read as a
        # move, by `_predicates`: the clause goes on)
        turn.add(me, "city", clean_value(moved.group("place")), "move", past=True,
                 date_at=moved.end("place"))
    if _PAST_SHORT.search(sentence):
        return False  # a stay, not a home or a job ("I worked at the bakery yesterday")
    if re.match(r"used\s+to\s", sentence, re.I):
        sentence = f"I {sentence}"  # "Used to work at Access Bank."
    lived = _PAST_LIVED.search(sentence)
    who = _past_subject(lived, me)
    if lived is not None and who is not None:
        place = _name_part(_trim_place(_value(sentence, lived.end(), attribute="city"),
                                       "residence"), turn)
        if place and _a_place(place, turn) and not re.search(r"\d", place) and \
                not _no_place(place, "city"):
            at = _after(sentence, place, lived.end())
            turn.add(who, "city", place, "residence", past=True, date_at=at,
                     span=_past_span(sentence, at))
            return True
    worked = _PAST_WORKED.search(sentence)
    if worked is None:
        was_at = _PAST_WAS_AT.search(sentence)
        if was_at is not None and _PAST_STAY.search(sentence, was_at.end()) and \
                not _WAS_THERE.search(sentence, was_at.end()) and \
                not _A_SCHOOL.match(sentence, was_at.end()) and not _EVERY_YEAR.search(
                    sentence, was_at.end()) and not _known_place_at(sentence, was_at.end()):
            worked = was_at
    who = _past_subject(worked, me)
    if worked is not None and who is not None:
        org = _name_part(_trim_place(_value(sentence, worked.end(), attribute="employer"),
                                     "employer"), turn)
        if org and _a_name(org, turn) and _ok_value(org, attribute="employer"):
            at = _after(sentence, org, worked.end())
            turn.add(who, "employer", org, "work", past=True, date_at=at,
                     span=_past_span(sentence, at))
            return True
    job = _PAST_JOB.search(sentence)
    who = _past_subject(job, me)
    if job is not None and who is not None:
        title, employer = _split_job(_value(sentence, job.end(), attribute="job"))
        title = clean_value(_PAST_SPAN.sub("", title))  # "a teacher for ten years"
        employer = clean_value(_PAST_SPAN.sub("", employer))
        if _job(title, known=True):
            turn.add(who, "job", title, "work", past=True)
            if employer and _a_name(employer, turn) and _ok_value(employer,
                                                                   attribute="employer"):
                turn.add(who, "employer", employer, "work", past=True)
            return True
    return False


def _past_subject(m: re.Match[str] | None, me: _Subject) -> _Subject | None:
    """Whom a past statement is of: the speaker ("I", "we"), a relative ("my dad": the
    relation's attribute), a person by name ("Aylin"; "Mum" is a relative); None when no one
    (a word that names no one: "Paris was a dream")."""
    if m is None:
        return None
    if m.group("i"):
        return me
    if m.group("rel"):
        rel = relation_name(m.group("rel"))
        return None if rel in PETS else _Subject(me.name, me.key, f"{rel}'s ")
    name = m.group("name")
    if name.lower() in _OPENERS or not _named(name):
        return None
    return _kin(name, me) or _Subject(name, name)


# "Leeds is home now", "York is our home these days": where the speaker lives (a place the
# rules know by name, or said "my / our home": "Dave is home now" is Dave back at home; not
# "Leeds is home to two universities")
_IS_HOME = re.compile(
    rf"(?:^{_NAME_LEAD}|(?<=[,;] ))(?P<place>[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*){{0,2}})"
    r"(?:['’]s|\s+is)\s+(?:now\s+|officially\s+|finally\s+)?(?:(?P<poss>my|our)\s+(?:new\s+)?)?"
    r"home(?:\s+(?:now|these\s+days|for\s+(?:me|us)(?:\s+now)?))?"
    r"(?=\s*(?:$|[.;!:)]|\s[-–—]\s|\s+(?:lol|haha)\b))")
# "I'm retired now", "I'm officially retired!": the job and the employer end (a state said
# now; not the event, "I just retired", which is not read, nor "I'm a retired teacher",
# "I'm semi-retired", "I'm retired from football but ...": a clause that goes on)
# Said at the clause's start (after a chat opener only: not "Once I'm retired, I'll ...",
# "Tell them I'm single", "Feels like I'm retired") and closed right after, or after
# "now" / "again" / "finally" (not "I'm retired but I work part time at Tesco", "I'm retired
# in 2030", "I'm retired... in my dreams"; nor "I'm retired now, but I still consult": the
# word after the comma is looked at past its spaces, which `,\s*(?!but)` did not do)
_STATE_LEAD = (rf"^\W*(?:(?:{_NAME_LEAD_WORD}|(?i:news|guess\s+what|finally|officially))"
               r"[,:!]?\s+)*")
_STATE_END = (r"(?:\s+(?:now|again|finally|officially|at\s+last|these\s+days))*"
              r"(?=\s*(?:$|!|\.(?!\.)|,(?!\s*(?:but|though|although|or|unless|except|if|"
              r"when|until|till|in|as(?!\s+(?:of|you\s+know)\b)|once(?!\s+again\b))\b))|"
              r"\s+(?:lol|haha|yay|woo+)\b)")
_RETIRED = re.compile(
    _STATE_LEAD + r"I(?:['’]m|\s+am)\s+(?:now\s+|officially\s+|finally\s+|fully\s+)*"
    r"retired(?![\w-])" + _STATE_END, re.I)
# "I'm single now", "I'm single again": no partner (not "I'm single-handedly ...", "I'm a
# single mum", "I'm single minded", "I'm not single")
_SINGLE = re.compile(
    _STATE_LEAD + r"I(?:['’]m|\s+am)\s+(?:now\s+|officially\s+|finally\s+|newly\s+|"
    r"back\s+to\s+being\s+)*single(?![\w-])" + _STATE_END, re.I)
# "I'm dating Dan now", "I'm now dating Dan", "I've (just) started dating Dan": a partner
# who replaces the one before (`_new_partner`). Said at the clause's start and closed right
# after (`_STATE_LEAD`, `_STATE_END`), with "now" or "started": "I'm dating Dan" alone is a
# partner `_relatives` reads without ending any. Not "seeing": "I've started seeing Jenna,
# my new therapist", "I'm seeing Hamilton now" (a show) are said as often as a partner.
# The name is a capitalised name (`_NAME_RE`, compiled without re.I): not "I'm dating apps
# are awful", "I'm dating myself".
_NOW_ADV = r"(?:(?:officially|finally|happily|actually|also)\s+)*"
_NEW_PARTNER = re.compile(
    _STATE_LEAD + r"(?i:I)(?:(?:['’]m|\s+(?i:am))\s+" + _NOW_ADV
    + rf"(?i:now)\s+{_NOW_ADV}(?i:dating)\s+(?P<name>{_NAME_RE})|"
    + r"(?:['’]m|\s+(?i:am))\s+" + _NOW_ADV
    + rf"(?i:dating)\s+(?P<name2>{_NAME_RE})(?=\s+(?i:now)\b)|"
    + rf"(?:['’]ve|\s+(?i:have))?\s+(?i:{_STARTED})(?i:dating)\s+(?P<name3>{_NAME_RE}))"
    + rf"(?i:{_STATE_END})")
# The ties a new partner ends ("My boyfriend is Tom" ... "I'm dating Dan now"); a spouse's
# end is said as a divorce or a separation (`_ended_ties`), and "partner's name" itself is
# the new value, which supersedes the one before.
_DATING_TIES = ("boyfriend", "girlfriend", "fiancé")
_NOT_A_VALUE = frozenset({"a", "an", "the", "so", "very", "really", "nicer", "better", "worse",
                          "lovely", "great", "nice", "fine", "ok", "okay", "not", "just", "too",
                          "kind", "sort", "long", "complicated", "weird", "funny", "still"})
_SENTENCE_ADVERBS = frozenset({"then", "yesterday", "today", "also", "so", "and", "but", "now",
                               "btw", "anyway", "oh", "well", "actually", "apparently", "plus"})


def _new_partner(sentence: str, turn: _Turn, me: _Subject) -> None:
    """"I'm dating Dan now", "I'm now dating Dan", "I've started dating Dan" (`_NEW_PARTNER`):
    Dan is the speaker's partner, and the boyfriend, girlfriend or fiancé stored before has
    ended (as "I'm single now" ends every partner), unless that was Dan ("My boyfriend is
    Dan" ... "I'm dating Dan now": `Extraction.keeps`). Not a title ("Dr Lee") nor an app
    ("I'm dating Hinge now")."""
    new = _NEW_PARTNER.search(sentence)
    if new is None:
        return
    partner = _clause_name(new.group("name") or new.group("name2") or new.group("name3"))
    if partner is None or _an_app(partner) or len(partner) > 64 or \
            partner.split()[0].lower().rstrip(".") in TITLES:
        return
    turn.add(me, "partner's name", partner, "relation")
    turn.person = partner
    for rel in _DATING_TIES:
        turn.end(me, f"{rel}'s name", keeps=partner)


def _shaped(attribute: str, value: str) -> bool:
    """Whether `value` has the shape of a value of `attribute` where the clause alone does not
    say so ("it's a long story" after "I changed my email" is no e-mail address): an e-mail
    address holds "@", a phone number is mostly digits, an address holds a number, anything
    else is a few words that do not open as a description ("a long story", "nicer there")."""
    head = attribute.split()[-1]
    if head in ("email", "e-mail"):
        return "@" in value and " " not in value.strip()
    if head in ("number", "mobile", "cell", "phone"):
        digits = sum(c.isdigit() for c in value)
        return digits >= 5 and digits >= 0.6 * sum(not c.isspace() for c in value)
    if head == "address":
        return any(c.isdigit() for c in value)
    words = value.lower().split()
    return 0 < len(words) <= 3 and words[0] not in _NOT_A_VALUE


def _first_value(sentence: str, start: int, attribute: str) -> str:
    """The value at sentence[start:]; an e-mail address or a link ends at its first space."""
    value = _value(sentence, start, attribute=attribute) if attribute != "address" else \
        _address_value(sentence, start)
    first = value.split(" ", 1)[0]
    return first.rstrip(".,;") if "@" in first or "://" in first else value


def _owner_subject(owner: str, me: _Subject) -> _Subject | None:
    """The person a name or kin word names ("Mum": the speaker's mother), or None."""
    kin = _kin(owner, me)
    if kin is not None:
        return kin
    if not _named(owner) or owner in ("It", "That", "What", "Here", "There"):
        return None
    return _Subject(clean_value(owner), clean_value(owner))


def _changes(sentence: str, turn: _Turn, me: _Subject) -> tuple[_Subject, str] | None:
    """A change of an attribute said as a change. Its value, when the clause holds it, is
    added; the (subject, attribute) is returned so the next clause's "it's Y" gives it
    otherwise. None when the clause states no such change."""
    if not _CHANGE_WORD.search(sentence):
        return None
    bare = _BARE_CHANGE.match(sentence)
    if bare:  # "changed my email, the new one is ...": the speaker's
        sentence = f"{sentence[:bare.end()]}I {sentence[bare.end():]}"
    m = _CHANGED.search(sentence) or _ATTR_CHANGED.search(sentence) or _NEW_ATTR.match(sentence)
    if m is None:
        return None
    said = m.group("attr").lower()
    if m.re is _NEW_ATTR and said.split()[-1] in ("phone", "mobile", "no", "no."):
        said = "phone number"  # "new phone, it's 07911 ..."
    attribute = attribute_name(said)
    if attribute.split()[-1] not in ATTRIBUTE_HEADS or attribute == "name":
        return None
    owner = m.groupdict().get("owner")
    if owner is not None:  # "Then Helen changed ...": the name without the adverb
        words = owner.split()
        while words and words[0].lower() in _SENTENCE_ADVERBS:
            words = words[1:]
        owner = " ".join(words) or None
        if owner is None:
            return None
    poss = m.groupdict().get("poss")
    if owner is None:
        if poss not in (None, "my"):
            return None  # "I changed her email": whose?
        subj = me
    else:
        if poss == "my":
            return None  # "Helen changed my email": the speaker's, said by someone else
        found = _owner_subject(owner, me)
        if found is None:
            return None
        subj = found
    rest = _CHANGE_VALUE.match(sentence, m.end())
    if rest is not None and rest.end() < len(sentence):
        value = _first_value(sentence, rest.end(), attribute)
        if value and _shaped(attribute, value):
            turn.add(subj, attribute, value, "attribute")
        return None
    return (subj, attribute) if sentence[m.end():].strip(" ,:;.!") == "" else None


def _subject_of(m: re.Match[str], me: _Subject) -> _Subject | None:
    if m.group("i") is not None or m.group("we") is not None:
        return me
    if m.group("rel"):
        rel = relation_name(m.group("rel"))
        if m.group("relname") and _named(m.group("relname")):
            name = _person(m.group("relname"))
            return _Subject(name, name)
        return _Subject(me.name, me.key, f"{rel}'s ")
    name = m.group("name")
    kin = _kin(name, me) if name else None  # "Mum lives in Brighton": the speaker's mother
    if kin is not None:
        return kin
    if name and _named(name):
        return _Subject(name, name)
    return None


_WHAT_ONE_IS_THEN = re.compile(
    r"[\w-]+,?\s+(?:and|but)\s+(?=(?:also\s+|now\s+|still\s+)?(?:live|lives|living|work|works|"
    r"working|moved|based)\b)", re.I)


# How old one feels, not is ("i feel like I'm eighty", "feels like I'm 90")
_FEELS_LIKE = re.compile(r"\b(?:feel|feels|felt|feeling|act|acting)\s+(?:like|as\s+if)\s*$", re.I)
# What an age's clause goes on to say of the same subject ("my daughter is 34 and lives in
# Perth", "I'm forty and live in Denver")
_AND_MORE = re.compile(r"(?:\s+years?\s+old)?,?\s+and\s+(?=(?:now\s+|still\s+|also\s+)?"
                       r"(?:lives?|works?|moved|is\s+(?:an?|now)|has|studies|teaches)\b)", re.I)


def _predicates(sentence: str, turn: _Turn, me: _Subject) -> None:
    for sm in _SUBJECT.finditer(sentence):
        subj = _subject_of(sm, me)
        if subj is None:
            continue
        if sm.group("name") is not None and re.search(
                rf"(?:^|[,;]\s+){_NAME_LEAD}(?:(?!{_NAME_LEAD_WORD}\b)[A-Z][\w'’-]*|I|me|we|"
                r"(?i:my|our)\s+[\w-]+)"
                r"\s+(?:and|&)\s+$", sentence[:sm.start("name")]):
            continue  # "Kate and Tom live in Hull": a joint subject, not Tom alone
        rest = sm.end()
        if re.match(r"(?:'m|’m|am|is|are|'s)?\s*(?:not|no\s+longer|never)\b|(?:don't|do\s+not|"
                    r"doesn't|does\s+not|didn't|did\s+not|can't)\s+(?!stand\b)",
                    sentence[rest:], re.I) and not re.match(
                    r"(?:don't|do\s+not|doesn't|does\s+not)\s+(?:really\s+|much\s+|particularly\s+)?"
                    r"(?:like|enjoy)\b",
                    sentence[rest:], re.I):
            continue
        we = sm.group("we") is not None  # "we live in Bristol": where the speaker lives too
        age = _AGE.match(sentence, rest) or (
            _AGE_BARE.match(sentence, sm.start()) if sm.group("i") is not None else None)
        if age is not None and "turned" not in age.group(0) and re.match(
                r"\s+(?:in|on)\b", sentence[age.end():]):
            age = None  # "I'm 3 on the waiting list", "I'm 2 in the queue"
        turned = _TURNED.match(sentence, rest)
        by_name = sm.group("name") is not None and (subj.key != me.key or bool(subj.prefix))
        if age is None and (sm.group("rel") or by_name) and (
                turned or re.search(r"(?:\bis|['’]s)(?:\s+(?:actually|still|now|currently|"
                                    r"just))*\s*$", sentence[:rest])):
            # "my son Leo is 11", "my son turned 6 last week", "Leo just turned 8!"
            age = _AGE_OF.match(sentence, turned.end() if turned else rest)
        years = age_number(age.group("n")) if age else ""
        if age and age.re is _AGE_BARE and not age.group("n").isdigit() and (
                not years or int(years) < 13):
            years = ""  # "I'm five": a speaker's age in words from 13 ("I'm one of them")
        if age and _FEELS_LIKE.search(sentence[max(0, sm.start() - 30):sm.start()]):
            years = ""  # "i feel like I'm eighty lol": how old one feels
        if years and not we and 0 < int(years) <= 120 and (
                subj.prefix == "" or sm.group("rel") or by_name):
            turn.add(subj, "age", years, "age")
            more = _AND_MORE.match(sentence, age.end())
            if more is not None:  # "my daughter is 34 and lives in Perth": read on
                _predicates(sentence[:rest] + sentence[more.end():], turn, me)
            continue
        named = sm.group("name") is not None or bool(sm.group("relname"))
        if subj.prefix and sm.group("rel") and not we and relation_name(
                sm.group("rel")) not in PETS:  # (no job for a pet: "my dog is a terrible guard")
            # "My sister is a doctor (now)", "my husband became a chef": a relative's job,
            # an occupation the rules know only ("my dog is a beagle", "my sister is a
            # lifesaver" are none), said without a judgement ("my dad is a terrible driver")
            guess = _JOB_GUESS.match(sentence, rest)
            if guess and _IS_NOW_NAMED.search(sentence[:rest]) and not _JUDGED.match(
                    sentence, guess.end()) and _job_at(sentence, guess.end(), subj, turn,
                                                       known=True):
                continue
            became = _BECAME.match(sentence, rest)
            if became and became.group("verb").lower() != "become" and _job_at(
                    sentence, became.end(), subj, turn, known=True):
                continue
        if subj.prefix == "" and not we:
            # "I'm a nurse", "I'm now a teacher", "I became a teacher", "Sam's a chef",
            # "I've been promoted to senior engineer"
            guess = _JOB_GUESS.match(sentence, rest)
            if guess and (_IS_NOW_NAMED if named else _IS_NOW).search(sentence[:rest]) and \
                    not _JUDGED.match(sentence, guess.end()):
                if _job_at(sentence, guess.end(), subj, turn, known=named):
                    continue
            became = _BECAME.match(sentence, rest)
            if became and became.group("verb").lower() == "become" and not _PERFECT.search(
                    sentence, sm.start(), became.start("verb")):
                became = None  # "Once I become a doctor": not (yet) the job
            if became and _job_at(sentence, became.end(), subj, turn, known=named):
                continue
            promoted = _PROMOTED.match(sentence, rest)
            if promoted and _job_at(sentence, promoted.end(), subj, turn, known=named,
                                    title=True):
                continue
            been = _BEEN_JOB.match(sentence, rest)
            if been and _PERFECT.search(sentence, sm.start(), been.start() + 1) and \
                    not _JUDGED.match(been.group("job")):
                job, employer = _split_job(been.group("job"), turn.caseless)
                if _job(job, known=named):
                    turn.add(subj, "job", job, "work")
                    if employer and _ok_value(employer, place=not turn.caseless):
                        turn.add(subj, "employer", employer, "work")
                    continue
        skip = _WHAT_ONE_IS_THEN.match(sentence, rest)
        if skip:  # "I'm Nigerian but live in Houston", "I'm vegan and work at Oatly"
            rest = skip.end()
        while rest is not None:
            rest = _predicate_at(sentence, rest, sm, subj, turn, we)


_NAME_RUN = re.compile(r"(?:[A-Z][\w'’.-]*)(?:\s+(?:(?:upon|on|de|del|la|le|am|of)\s+)?"
                       r"[A-Z][\w'’.-]*)*")


def _place_said(text: str, caseless: bool) -> str:
    """The place a phrase opens with: a place the rules know ("Leeds" of "Leeds is visiting",
    "spain" of "spain is visiting" in lower-case chat), or a capitalised name of several
    words ("Newcastle upon Tyne"); "" otherwise ("work invited me", "Google invited me")."""
    known = _known_place_first(text.split(), caseless=caseless)
    if known:
        return known
    run = _NAME_RUN.match(text)
    if run is not None and len(run.group(0).split()) >= 2 and not _ORG_SHAPE.search(run.group(0)):
        # a place of several words ("Newcastle upon Tyne"); one word the rules do not know
        # may be a firm or a school as well ("my friend from Google")
        return run.group(0)
    return ""


def _predicate_at(sentence: str, rest: int, sm: re.Match[str], subj: _Subject, turn: _Turn,
                  we: bool) -> int | None:
    """The first predicate at `sentence[rest:]` for `subj`; returns where a second one of the
    same subject may start ("lives in Madrid and works at Santander"), or None."""
    for pattern, attribute, family, listing, place in _PREDICATES:
        pm = pattern.match(sentence, rest)
        if pm is None:
            continue
        if pattern is _SECOND_MOVE and not re.search(r"\b(?:moved|relocated)\b",
                                                     sentence[sm.start():rest]):
            return None  # "I live in Leeds and to London it's two hours"
        if sm.group("name") is not None and family in ("likes", "preference", "origin"):
            return None  # "Paris is into ..." - only people's statements in the first person
        if we and family != "residence":
            return None  # "we love hiking" is not the speaker's own statement
        if family == "residence" and _A_STAY.search(sentence, pm.end()) and re.search(
                r"\b(?:moved|relocated)\b", pm.group(0)):
            return None  # "I moved to Berlin for a month": a stay, no home
        if attribute == "address":
            raw = _address_value(sentence, pm.end())
        else:
            raw = _value(sentence, pm.end(), listing=listing, attribute=attribute)
        values = _split_list(raw) if listing else [_trim_place(raw, attribute)]
        if family == "origin" and sm.group("rel") is not None and not re.search(
                r"(?:'s|’s|\bis|\bhas|\bwas)\s*$", sentence[sm.start():rest], re.I) and \
                re.fullmatch(r"from\s+", pm.group(0), re.I):
            # "my friend from Leeds is visiting": who, not what is said of them; the place
            # is the name right after "from" (not "work", "college": `NOT_ORIGINS`)
            values = [_place_said(raw, turn.caseless)]
        if pm.groupdict().get("with"):
            # "I work with my brother at Apple", "... with Tom at Google": the employer is
            # after "at"; "I work with children": people worked with, no employer
            at_org = re.search(r"\s+at\s+(?:the\s+)?(?=[A-Z])", raw)
            values = ([_trim_place(clean_value(raw[at_org.end():]), attribute)] if at_org
                      else values if _ORG_SHAPE.search(raw) else [])
        if listing and values and raw:
            at = sentence.find(raw, pm.end())
            if (at >= 0 and values[-1].lower().endswith("ing")
                    and _REFLEXIVE_NEXT.match(sentence, at + len(raw))):
                values = values[:-1]  # "pushing" of "pushing myself" (not "shellfish myself")
        if attribute == "job":  # "I work as a physiotherapist at Salford Royal"
            job, employer = _split_job(raw, turn.caseless)
            values = [job]
            if employer and _ok_value(employer, place=not turn.caseless):
                turn.add(subj, "employer", employer, family)
        at = sentence.find(raw, pm.end()) if raw else -1
        own_date = _TIME_OR_SEASON.match(sentence, at + len(raw)) if at >= 0 else None
        date_at = own_date.start() if own_date else None
        taste: dict[str, str] = {}  # a listed value of the other taste, as its verb says
        if family == "likes":  # "I love going hiking": hiking; "love love sushi": sushi;
            # "dogs more than people": dogs; "sushi and hate olives": olives is disliked
            for v in values:
                other = _OTHER_TASTE[attribute].match(v) if attribute in _OTHER_TASTE else None
                if other is not None:
                    taste[_LIKE_TAIL.sub("", _LIKE_LEAD.sub("", v[other.end():]))] = \
                        "dislikes" if attribute == "likes" else "likes"
            values = [_LIKE_TAIL.sub("", _LIKE_LEAD.sub("", v[m.end():] if (
                m := _OTHER_TASTE.get(attribute, _NO_MATCH).match(v)) else v)) for v in values]
            # not a clause of what one did after the list's comma ("I love Leeds, moved
            # there in 2019")
            values = [v for v in values if not _DID.match(v)]
        if pm.re is _LIVED_IN and len(_split_list(_value(sentence, pm.end(), listing=True))) > 1:
            values = []  # "I've lived in Rome, Paris and Berlin": places lived in, none now
        for value in values:
            if not _ok_value(value, place=place and not turn.caseless, attribute=attribute):
                continue
            first = value.split()[0].lower().strip(",.")
            if family == "origin" and (value[:1].isdigit() or (
                    first in MONTHS and (len(first) > 3 or first == "may"
                                         or len(value.split()) == 1))):
                continue  # "I was born in 1990", "our son Leo was born in May"
            if family in ("likes", "preference") and _NO_TASTE.match(value):
                continue  # "I'm into week 3 of my diet", "I prefer the first option"
            if family == "work" and (value.split()[0].lower() in _POSSESSIVE or (
                    value.lower() in CLUBS and re.search(r"\b(?:joined|started)\b", pm.group(0),
                                                         re.I)
                    and not re.search(r"\bas\s+an?\s+", sentence))):  # (but "... as a coach")
                continue  # "I work at my own pace", "I joined Weight Watchers"
            if family == "residence" and re.search(r"\bmoved\b", pm.group(0), re.I) and \
                    value.lower() not in KNOWN_PLACES and (
                        turn.after_work or _WORKED_BEFORE.search(sentence[:pm.start()])):
                # "I worked at Deloitte then moved to PwC": a firm by its shape is the
                # employer; "I was at Target for 3 years then moved to Costco": after "was
                # at", a name no place the rules know is no home either (which is it?); other
                # names after a workplace are homes ("I work for Acme and just moved to
                # Tacoma", "I worked for Shell in London then moved to Aberdeen")
                if _ORG_SHAPE.search(value):
                    turn.add(subj, "employer", value, "work", date_at=date_at)
                    continue
                if _WAS_AT_THEN.search(turn.whole):
                    continue
            if family in ("residence", "origin") and _no_place(value, attribute):
                continue  # "I moved from Marketing to Sales", "i live in fear of spiders"
            if value.lower() in {"work": NOT_EMPLOYERS, "allergy": NOT_ALLERGENS,
                                 "origin": NOT_ORIGINS}.get(family, ()) or (
                    family == "allergy" and value.split()[0].lower() in _NO_ALLERGEN_START):
                continue  # "I work for peanuts", "allergic to Mondays", "I'm from Mars"
            if family in ("residence", "origin", "work") and _an_app(value) and (
                    family != "work" or not (_WORK_TALK.search(sentence)
                                             or re.search(r"\bas\s+an?\s+", sentence)
                                             or re.search(r"\bstarted\s+at\s", pm.group(0)))):
                continue  # "we moved to Linear", "I joined Strava": no place, no employer
                # (one starts at a firm, not at an app: "I started at Spotify")
            if family in ("likes", "preference"):
                own = _own_like(value)
                if own is None or not _ok_value(own, attribute=attribute):
                    continue  # "I love your turtles", "I love this photo": a reaction
                value = own
            attr = _residence_attr(value) if attribute == "residence" else \
                taste.get(value, attribute)
            kind = "preference" if family in ("preference", "likes") else "fact"
            turn.add(subj, attr, value, family, kind=kind, date_at=date_at)
        if family == "allergy" and at >= 0:
            # "I'm allergic to walnuts, not peanuts": the one denied ends (many-valued: the
            # new value replaces nothing by itself)
            denied = _NOT_THAT_ONE.match(sentence, at + len(raw))
            if denied and not _NOT_DENIED.match(sentence, denied.end()):
                for value in _split_list(_value(sentence, denied.end(), listing=True)):
                    if _ok_value(value) and not _NOT_DENIED.match(value) and \
                            len(value.split()) <= 3:
                        turn.add(subj, attribute, value, "negation", negated=True)
        if attribute == "employer" and raw and at == pm.end():
            # "I work at a hospital as a surgeon", "I joined Revolut two weeks ago as a
            # product manager" (past the time phrase that ended the employer), "... as a
            # product manager two weeks ago" (the job ends where the phrase starts)
            dated = _TIME_OR_SEASON.match(sentence, pm.end() + len(raw))
            after = _AS_JOB.match(sentence, dated.end() if dated else pm.end() + len(raw))
            job_text = after.group("job") if after else ""
            cut = _time_at(job_text, 0, "job")
            job_text = clean_value(job_text if cut is None else job_text[:cut])
            # ("a charge nurse starting last week": the time said with "starting")
            job_text = re.sub(r"\s+(?:starting|beginning)$", "", job_text, flags=re.I)
            if job_text and _job(job_text):
                turn.add(subj, "job", job_text, "work")
        if at < 0:
            return None
        after_value = at + len(raw)
        if values and not listing and raw.startswith(values[0]) and _FOR_NEW_JOB.match(
                sentence, at + len(values[0])):
            after_value = at + len(values[0])  # "Lisbon for a new job at Spotify": the job
        dated = _TIME_OR_SEASON.match(sentence, after_value)  # "Lisbon last summer and ..."
        more = _AND_THEN.match(sentence, dated.end() if dated else after_value)
        return more.end() if more else None
    return None


# ", not Y" after a value: Y denied ("I'm allergic to walnuts, not peanuts"); not "not to
# mention dust", "not kidding", "not badly", "not the worst allergy".
_NOT_THAT_ONE = re.compile(r",?\s+(?:but\s+)?not\s+(?=[\w'’])", re.I)
_NOT_DENIED = re.compile(
    r"(?:to\s+mention|to\s+be|kidding|joking|really|seriously|sure|that|this|so|too|as|at\s+all|"
    r"in|even|just|only|much|very|quite|exactly|the|a|an|wait|maybe|yet|always|any\s?more|now|"
    r"for|because|anything|everything|all|people|everyone|everybody|\w+ly)\b", re.I)
# After one predicate, another of the same subject: "... in Madrid and works at Santander".
_FOR_NEW_JOB = re.compile(r"\s+for\s+(?:a|my)\s+new\s+(?:job|position|role)\s+(?:at|with)\s", re.I)
_AND_THEN = re.compile(r"[^,;.!?]{0,30}?(?:,?\s+(?:and|&|but)\s+(?:also\s+|now\s+|then\s+)?(?=[a-z])|"
                       r",\s+(?=(?:work|works|live|lives|moved|joined)\s)|"
                       r"\s+for\s+(?=(?:a|my)\s+new\s+(?:job|position|role)\s+(?:at|with)\s))")


# What only an organisation is called: "I work with Deloitte UK Ltd" (not "with Sarah", "with
# Python and Go")
# A workplace said before a move in the sentence ("I was at Target for 3 years then moved
# to Costco", "I worked at Deloitte then moved to PwC"): a name moved to that is no known
# place is a firm (`_predicate_at`)
_WAS_AT_THEN = re.compile(r"\b(?:was|were)\s+at\s+[A-Za-z][^.!?]*?\bthen\s+(?:I\s+)?moved\s+to\b",
                          re.I)
_WORKED_BEFORE = re.compile(r"\b(?:(?:was|were)\s+at|work(?:ed|ing)?\s+(?:at|for)|job\s+at|"
                            r"joined|started\s+at)\s+[A-Z]")
_ORG_SHAPE = re.compile(r"^(?:(?!(?:SQL|AWS|GCP|HR|IT|ADHD|API|APIs)\b)[A-Z]{2,6}\b(?!\s+(?:and\b|"
                        r"[a-z]))|.*\b(?:Inc|Ltd|LLC|plc|GmbH|Group|Bank|Council|Trust|Agency|"
                        r"Partners|Consulting|Labs|Technologies|Foundation|University|Hospital|"
                        r"Institute|Sachs|Corp|Corporation|Associates|Solutions|Systems|Services|"
                        r"Capital|Studios?|Deloitte|PwC|KPMG|EY|Accenture|McKinsey)\b)")
_PLACE_TAIL = re.compile(r"\s+(?:(?:for|with|near|because|since|to|from)\s+|at\s+(?:age\s+)?\d).*$"
                         r"|\s+there$", re.I)  # ("Vancouver at 12", "Leeds there")
_ORG_TAIL = re.compile(r"\s+(?:(?:in|for|with|near|on|at|since|from|to)\s+.*|(?-i:there))$", re.I)
# What one does there, after a name: "MIT studying biology", "Mercy Hospital working nights",
# "Paris working as a chef" (a lower-case "-ing" word and what follows it; not a word that
# is often part of a name: "the Chrysler building", "Acme consulting group")
_DOING_TAIL = re.compile(
    r"(?<=[\w.)])\s+(?-i:(?!(?:building|clothing|housing|training|engineering|marketing|consulting|"
    r"banking|publishing|printing|catering|lighting|holdings|trading|shipping|mining|"
    r"recruiting|staffing|packaging|manufacturing|accounting|learning|computing|"
    r"brewing|roasting|baking|cleaning|plumbing|roofing|landscaping|parking|"
    r"dressing|something|nothing|everything|anything|morning|evening|spring|king|"
    r"ring|wing|thing)\b)[a-z]{2,}ing)(?:\s+\w.*)?$")


_DESCRIBED = re.compile(r"(?:a|an|the|my|our|his|her|their|this|that|some|one)\s", re.I)


def _trim_place(value: str, attribute: str) -> str:
    """A city or an organisation without what follows it: "Copenhagen for work" ->
    "Copenhagen", "Turkish Airlines in Istanbul" -> "Turkish Airlines" (a lowercase
    description keeps its place: "a café in Melbourne"; a place typed in lower case does
    not: "leeds from krakow" -> "leeds")."""
    if value[:1].isupper():
        value = _DOING_TAIL.sub("", value)
    if attribute == "residence" and (value[:1].isupper() or _THE_NAME.fullmatch(
            _PLACE_TAIL.sub("", value)) or not _DESCRIBED.match(value)):
        return clean_value(_PLACE_TAIL.sub("", value))
    if attribute == "employer" and value[:1].isupper():
        return clean_value(_ORG_TAIL.sub("", value))
    return value


# Where a job is done, after it: "(a vet) in Bristol", "(a nurse) in a care home"; not its
# field ("an engineer in maintenance", "a PhD student in physics")
_JOB_WHERE = re.compile(r"\s+(?:(?:based|living|working)\s+)?in\s+(?:(?-i:[A-Z])|(?:a|an|the|my|"
                        r"our|this|that|some|one|another)\s).*$", re.I)


_JOB_AT_PLACE = re.compile(r"\s+(?:at|for)\s+(?:the|a|an|my|our|his|her|their|this|that|some|"
                           r"one|another)\s+(?-i:[a-z]).*$", re.I)


# In a turn all in lower case, "in <place>" after an occupation's word ("a plumber in
# derby"), but not the field of the occupations that name one ("a lecturer in law")
_JOB_WHERE_LOWER = re.compile(r"(?<=[a-z])\s+in\s+(?!training\b)[a-z]+(?:\s+[a-z]+)?$")
_FIELD_JOBS = frozenset({"lecturer", "professor", "specialist", "consultant", "researcher",
                         "expert", "scientist", "fellow", "reader", "tutor", "trainee"})


def _split_job(raw: str, caseless: bool = False) -> tuple[str, str]:
    """"software engineer at Infosys" -> ("software engineer", "Infosys"); "vet in Bristol"
    -> ("vet", ""); with `caseless` (a turn all in lower case), "plumber in derby" ->
    ("plumber", "")."""
    parts = _AT_EMPLOYER.split(raw, maxsplit=1)
    parts[0] = _JOB_WHERE.sub("", parts[0])  # "a vet in Bristol", "a nurse in a care home"
    lower = _JOB_WHERE_LOWER.search(parts[0]) if caseless else None
    if lower and len(parts) < 2:
        head = parts[0][:lower.start()].split()
        if head and head[-1].lower() in JOBS and head[-1].lower() not in _FIELD_JOBS:
            parts[0] = parts[0][:lower.start()]
    if len(parts) < 2:
        # "a nurse at the royal infirmary", "a cook at a school": the job ends where its
        # workplace, named in lower case, starts (no employer: no name)
        return clean_value(_JOB_AT_PLACE.sub("", parts[0])), ""
    employer = re.sub(r"^the\s+(?=[A-Z])", "", clean_value(parts[1]))  # "the Royal Infirmary"
    return clean_value(parts[0]), _trim_place(employer, "employer")


# After "my husband <Word>", what makes the word a verb, not his name ("Googled it",
# "FaceTimed her mum")
_OBJECT_NEXT = re.compile(r"\s+(?:it|her|him|them|me|us|his|my|our|their|your)\b")
# A verb that gives a relative something: the capitalised word after "my daughter" is the
# thing ("I bought my daughter Lego"), not her name.
_GIVEN_TO = re.compile(
    r"\b(?:bought|buy|buying|got|get|getting|gave|give|giving|sent|send|sending|made|make|"
    r"brought|bring|showed|show|lent|handed|offered|teach|taught|owe|owed|ordered|cooked|"
    r"baked|found|left|sold|paid)\s+$", re.I)


# After the capitalised word of "I bought my daughter Lego": the end, or a preposition (then
# the word was the thing given; "I bought my daughter Emma a bike": Emma is her name).
_THING_GIVEN_END = re.compile(r"\s*(?:$|[.,!?;:]|\s(?:for|from|at|in|on|with|because|last|"
                              r"yesterday|today|this|to|as|and|lol)\b)", re.I)


# After "I had a boy, Noah", "I have a son, Leo": another one named the same way (", and a
# girl, Mia", "and a daughter named Maya", "and a cat, Luna")
_AND_ANOTHER = re.compile(
    rf",?\s+(?:and|&)\s+(?:also\s+)?(?:a|an)\s+(?:(?:new|little|baby|beautiful|healthy|younger|"
    rf"older|big|twin|rescue)\s+)*(?P<rel>girl|boy|{RELATION_RE})(?:\s+(?:called|named)\s+"
    rf"(?P<name>{_TITLE_NAME})|,\s+(?P<name2>{_TITLE_NAME})(?=\s*(?:[.,;!]|$|\s+(?:and|but|who|"
    rf"so|because|though|last|this|yesterday)\b)))")


# Apps (vocab.APPS) that are also given names: "my son Max is 4", "our son Claude lives in
# Lyon" (a name when a statement of the person follows it; not "my husband Max-es out ...")
_APP_NAMES = frozenset({"max", "claude"})
_NAME_GOES_ON = re.compile(r"(?:,|\s+\d|\s+(?:is|was|['’]s|lives|works|turned|just|"
                           r"has|and|moved|loves|likes|said|goes|started|joined|got|yesterday|"
                           r"today|tonight|for|at|on|last|this)\b)", re.I)


# "... and she said yes", "we're engaged": a proposal accepted
_SAID_YES = re.compile(r"\b(?:s?he|they)\s+said\s+yes\b|\bwe(?:['’]re|\s+are)\s+(?:now\s+)?engaged\b",
                       re.I)


def _relatives(sentence: str, turn: _Turn, me: _Subject) -> None:
    for m in _REL_NAMED.finditer(sentence):
        if m.group("name7"):
            name = _person(m.group("name7"))
            if _named(name) and len(name) <= 64:
                turn.add(me, f"{BREEDS[m.group('breed7').lower()]}'s name", name, "relation")
                turn.person = name
            continue
        wed = m.group("name14") or m.group("name15") or m.group("name16")
        if wed:  # "I got engaged to Sam", "Sam and I got married"
            partner = _clause_name(wed)
            kind = "fiancé" if m.group("name14") or "engaged" in (
                m.group("wed15") or m.group("wed16") or "").lower() else "spouse"
            if m.group("proposed") and not _SAID_YES.search(turn.whole):
                continue  # (a proposal is an engagement once it is accepted)
            if partner is not None and not _HEDGE.search(sentence) and not _an_app(partner) \
                    and len(partner) <= 64:
                turn.add(me, f"{kind}'s name", partner, "relation")
                turn.person = partner
            continue
        said = (m.group("name10") or m.group("name11") or m.group("name12")
                or m.group("name13") or m.group("name17"))
        if m.group("name17") and re.search(
                rf"\b{re.escape(m.group('name17'))}\b(?:[^.!?]*?\b(?:he|she)(?:['’]s|\s+is)\s+"
                r"(?:my|a|an|the|our)\s+(?!(?:new\s+)?(?:boyfriend|girlfriend|partner)\b)|"
                r"[^.!?]*\b(?:broke\s+up|split\s+up|separated|divorced|ended\s+things|"
                r"called\s+it\s+quits)\b)", turn.whole):
            continue  # "..., he's my physio", "... but we broke up": no partner now
        if said:  # "I'm dating Dan", "Dan and I are dating", "Me and Dan are dating"
            partner = _clause_name(said)
            if partner is not None and not _HEDGE.search(sentence) and not _an_app(partner) \
                    and len(partner) <= 64:
                turn.add(me, "partner's name", partner, "relation")
                turn.person = partner
            continue
        if m.group("name3") or m.group("name4") or m.group("name5") or m.group("name6") or \
                m.group("name8") or m.group("name9"):
            name = clean_value(m.group("name3") or m.group("name4") or m.group("name5")
                               or m.group("name8") or _person(m.group("name6")
                                                              or m.group("name9")))
            rel = m.group("rel3") or m.group("rel4") or m.group("rel5") or (
                {"girl": "daughter", "boy": "son"}[m.group("baby")] if m.group("baby")
                else "spouse")
            if m.group("name6") and (_an_app(name) or _HEDGE.search(sentence)):
                continue  # "I married Excel": a saying; "If I married Sam, ...": no spouse
            if _named(name) and len(name) <= 64 and not _bare_title(name):
                turn.add(me, f"{relation_name(rel)}'s name", name, "relation")
                turn.person = name
            other = _AND_ANOTHER.match(sentence, m.end()) if (
                m.group("name4") or m.group("name8") or m.group("name9")) else None
            if other is not None:  # "I had a boy, Noah, and a girl, Mia"
                rel2 = {"girl": "daughter", "boy": "son"}.get(other.group("rel").lower(),
                                                              other.group("rel"))
                name2 = _person(other.group("name") or other.group("name2"))
                if _named(name2) and len(name2) <= 64 and not _bare_title(name2):
                    turn.add(me, f"{relation_name(rel2)}'s name", name2, "relation")
            continue
        rel = relation_name(m.group("rel") or m.group("rel2"))
        raw = m.group("name") or m.group("name2")
        start = m.start("name") if m.group("name") else m.start("name2")
        name = clean_value(sentence[start:value_end(sentence, start)]) if m.group("name") \
            else clean_value(raw)
        if m.group("name2"):
            if _GIVEN_TO.search(sentence, 0, m.start()) and _THING_GIVEN_END.match(
                    sentence, m.end("name2")):
                continue  # "I bought my daughter Lego (for her birthday)": the thing given
            # "my sister Ana lives ...": only the name (stop before a lowercase word)
            name = _person(raw)
            if (name.isupper() and len(name) > 3) or (_an_app(name) and not (
                    name.lower() in _APP_NAMES and _NAME_GOES_ON.match(sentence, m.end("name2")))) or \
                    re.search(r"-(?-i:[a-z])", name) or _OBJECT_NEXT.match(sentence, m.end("name2")):
                continue  # "My mom LOVES that show", "My husband Googled it", "... Netflix"
        if _named(name) and len(name) <= 64 and not _bare_title(name):
            turn.add(me, f"{rel}'s name", name, "relation")
            turn.person = name
            at = sentence.find(name, start)
            denied = _NOT_THAT_ONE.match(sentence, at + len(name)) if at >= 0 else None
            if denied:  # "My daughter's name is Maya, not Mia": Mia, said before, ends
                other = _person(sentence[denied.end():value_end(sentence, denied.end())])
                if _named(other) and other != name:
                    turn.add(me, f"{rel}'s name", other, "negation", negated=True)



# "Paris is my favourite city", "Dune is my favorite book"
_IS_MY_FAVORITE = re.compile(
    r"(?:^|(?<=[,;] ))(?P<value>[A-Z][\w'’&-]*(?:\s+(?:[A-Z][\w'’&-]*|of|the|and|de|la)){0,4})\s+"
    r"(?:is|are|'s|’s)\s+(?:(?:definitely|still|probably|now|totally|easily)\s+)?my\s+"
    r"(?:(?:all-time|all\s+time|absolute|new)\s+)?(?:favou?rite|fave)\s+(?P<attr>[a-z]+)\b"
    r"(?!\s+(?:to|of|for|in|about)\b)")


# A day said relative to the turn: no birthday's date ("my birthday is tomorrow", "... is on
# Friday"; like "Today is my birthday!", it states none). (An anniversary "next week" is
# still kept as said.)
_RELATIVE_DAY = re.compile(
    rf"(?:today|tonight|tomorrow|yesterday|(?:(?:this|next|last)\s+(?:coming\s+)?)?"
    rf"(?:week(?:end)?|month|year|{_T_WEEKDAY})|in\s+(?:a|an|\d+|two|three|four|five|six|few)"
    rf"\s+(?:\w+\s+)?(?:days?|weeks?|months?))(?:\s+(?:lol|haha|btw|yay|omg))?\s*[.!]*", re.I)


def _my_attributes(sentence: str, turn: _Turn, me: _Subject) -> None:
    for m in _IS_MY_FAVORITE.finditer(sentence):
        value = clean_value(m.group("value"))
        if m.group("attr") in ATTRIBUTE_HEADS and value.split()[0].lower() not in (
                "it", "this", "that", "there", "here", "what", "which", "who", "he", "she",
                "they", "i", "so", "and", "but"):
            turn.add(me, attribute_name(f"favorite {m.group('attr')}"), value, "attribute")
    for m in _MY_ATTR.finditer(sentence):
        attr_words = m.group("attr")
        attribute = attribute_name(attr_words)
        head = attr_words.lower().split()[-1]
        # ("my bday", "my b-day", "my date of birth": a birthday by vocab.ATTRIBUTE_ALIASES)
        if head not in ATTRIBUTE_HEADS and attribute != "birthday" and \
                not attribute.startswith("favorite "):
            continue
        if m.group("neg"):
            continue  # "my X is no longer Y" is a negation (handled there)
        owner = m.group("owner")
        if m.group("pron"):  # "my vet is Dr. Mensah and her number is ...": that person's
            if turn.person is None or m.group("rel"):
                continue
            owner = turn.person
        if owner is not None:
            kin = _kin(owner, me)  # "Mum's birthday is 3 May": the speaker's mother's
            if kin is not None:
                subj = kin
            elif not _named(owner) or owner in ("It", "That", "What", "Here", "There"):
                continue
            else:
                subj = _Subject(clean_value(owner), clean_value(owner))
        else:
            subj = me
        rel = m.group("rel")
        if rel:
            if owner is not None:
                continue
            subj = _Subject(me.name, me.key, f"{relation_name(rel)}'s ")
        value = _first_value(sentence, m.end(), attribute)
        # "My company is called Brightwave": the name; "probably green": green
        value = clean_value(_VALUE_LEAD.sub("", value))
        dated = attribute.endswith(("birthday", "anniversary"))  # "is on 3 May": turn.add
        if attribute.endswith("birthday") and _RELATIVE_DAY.fullmatch(re.sub(r"^on\s+", "",
                                                                               value)):
            continue  # "my birthday is tomorrow", "... on Friday": no date said
        if not _ok_value(re.sub(r"^on\s+", "", value) if dated else value,
                         attribute=attribute) or _verdict(value, attribute):
            continue
        if attribute == "name" and _bare_title(value):
            continue  # "my doctor's name is Dr." (the name is still to come)
        if attribute == "name" and not rel and subj.prefix:
            turn.add(subj, "name", value, "relation")  # "Mum's name is Sue": the mother's
            continue
        if attribute == "name" and not rel:
            if not subj.key.startswith("user:") and owner is None:
                continue
            turn.add(_Subject(value, subj.key), "name", value, "name")
            continue
        if attribute == "name" and rel:
            continue  # written by _relatives
        turn.add(subj, attribute, value, "attribute")


# "Today was my last day at Microsoft", "Friday was my last day with Acme", "my last day at
# Acme was yesterday": the employer ends (a day gone by, not "my last day at Acme is next
# Friday", "... is coming up")
_LAST_DAY = re.compile(
    rf"(?:\b(?:today|yesterday|(?:last\s+)?{_T_WEEKDAY}|this\s+week)\s+was|^{_NAME_LEAD}|"
    r"(?<=[,;] ))(?:\s*)(?:my|our)\s+(?:very\s+|official\s+)*last\s+day\s+(?:at|with)\s+"
    r"(?P<org>(?-i:[A-Z])[\w'’&.-]*(?:\s+(?-i:[A-Z])[\w'’&.-]*){0,3})(?P<rest>[^.!?;]*)", re.I)
_GUESSED = re.compile(r"\b(?:I\s+think|maybe|probably|I\s+guess|not\s+sure)\b", re.I)
_A_BREAK = re.compile(r"\s*(?:,\s*)?(?:(?:before|until|till)\s+(?:my|the|our|a)\s+(?:\w+\s+)?"
                      r"(?:holiday|vacation|leave|break|trip|sabbatical|time\s+off)\b|"
                      r"for\s+(?:a|one|two|three|a\s+few|a\s+couple\s+of|\d+)\s+"
                      r"(?:days?|weeks?|months?)\b|as\s+an?\s+(?:customer|guest|visitor|"
                      r"patient|student|volunteer)\b|.*\bback\s+(?:in|on|next|at)\b)", re.I)
_LAST_DAY_PAST = re.compile(rf"\bwas\s+(?:today|yesterday|on\s+{_T_WEEKDAY}|last\s+\w+)\b|"
                            r"\b(?:done|over)\b", re.I)


def _last_day(sentence: str, turn: _Turn, me: _Subject) -> bool:
    """"Today was my last day at Microsoft": Microsoft, the employer, ends (`_LAST_DAY`).
    Said with "my last day at X" first, only when the clause says the day went by ("... was
    yesterday", "... done"). Whether one was read."""
    m = _LAST_DAY.search(sentence)
    if m is None or _HEDGE.search(sentence) or _GUESSED.search(sentence) or \
            _A_BREAK.match(m.group("rest")) or _A_SCHOOL.match(m.group("org")):
        return False  # "I think today was ...", "... before my holiday", "... at Harvard"
    if not re.match(r"\W*(?:today|yesterday|last|this|mon|tue|wed|thu|fri|sat|sun)",
                    m.group(0), re.I) and not _LAST_DAY_PAST.search(m.group("rest")):
        return False  # "My last day at Acme is next Friday": not yet
    org = clean_value(m.group("org"))
    if not org or not _ok_value(org, attribute="employer") or org.lower() in KNOWN_PLACES:
        return False
    turn.add(me, "employer", org, "negation", negated=True)
    return True


def _negations(sentence: str, turn: _Turn, me: _Subject) -> bool:
    """Negations in the sentence; True when one was found (the sentence then states no
    new fact)."""
    found = _ended_ties(sentence, turn, me) | _not_mine(sentence, turn, me) | \
        _no_pets(sentence, turn, me) | _last_day(sentence, turn, me)
    for m in re.finditer(rf"\bI\b|\b[Mm]y (?P<rel>{RELATION_RE})(?:,?\s+(?P<relname>"
                         rf"{_NAME_RE}),?)?\s+|(?:^|(?<=[,;] ))(?P<name>{_FIRST_NAME})\s+"
                         r"(?=(?:just\s+|finally\s+|recently\s+)?(?:left|quit|resigned)\s)", sentence):
        subj = me
        if m.group("name"):
            # "Mark quit Nobu": a job someone the user named left (only that: "Mark is not
            # ..." may be anything)
            kin = _kin(m.group("name"), me)
            if kin is None and not _named(m.group("name")):
                continue
            subj = kin or _Subject(m.group("name"), m.group("name"))
        elif m.group("rel"):
            if m.group("relname") and _named(m.group("relname")):
                name = clean_value(m.group("relname"))
                subj = _Subject(name, name)
            else:
                subj = _Subject(me.name, me.key, f"{relation_name(m.group('rel'))}'s ")
        if _HEDGE.search(sentence, 0, m.start()):
            continue  # "If I left Acme ...", "Maybe I quit my job": no statement
        rest = m.end()
        for pattern, attribute, listing, check in _NEGATIONS:
            pm = pattern.match(sentence, rest) or pattern.match(sentence, rest + 1)
            if pm is None:
                continue
            if check in ("ended", "job") and not _ANY_MORE.search(sentence):
                continue  # "I'm not a nurse": a denial, not an end
            if attribute == "likes" and check != "over" and not _ANY_MORE.search(sentence):
                break  # "I don't like X": a dislike, not an ended like (predicates)
            if check == "dismissed":
                rel = m.group("rel")
                if rel and relation_name(rel) not in PERSONAL_RELATIONS:
                    break  # "my coworker got fired"
                if _dismissed(sentence, pm.end(), subj, turn, mine=not rel):
                    found = True
                break
            if m.group("name") and check != "left":
                break
            if check == "left":
                if _left_job(sentence, pm.end(), subj, turn,
                             mine=not m.group("rel") and not m.group("name"),
                             verb=pm.group("verb").lower()):
                    found = True
                    break
                continue
            if attribute == "job":  # "I'm no longer a nurse (at St Mary's)"
                job, employer = _split_job(_value(sentence, pm.end(), attribute="job"))
                job = clean_value(_JOB_LEFT_TAIL.sub("", job))
                employer = clean_value(_JOB_LEFT_TAIL.sub("", employer))
                if not (_job(job) if check == "job" else _ok_value(job)):
                    continue
                turn.add(subj, "job", job, "negation", negated=True)
                if employer and _ok_value(employer):
                    turn.add(subj, "employer", employer, "negation", negated=True)
                found = True
                break
            raw = _value(sentence, pm.end(), listing=listing)
            if check == "place":  # "out of Lyon (and) to Paris": Paris is where they live
                to = re.search(r"\s+(?:and\s+)?(?:to|into)\s+", raw)
                left, dest = (raw[:to.start()], clean_value(raw[to.end():])) if to else (raw, "")
                left, dest = _name_part(left, turn), _name_part(dest, turn)
                if not _a_place(left, turn) or _an_app(left) or not _known_place(left) or \
                        _BACK_OR_AWHILE.search(sentence):
                    continue  # ("away from React", "out of Facebook"; "moved back", "for a year")
                raw = left
                if _a_place(dest, turn) and _ok_value(dest, attribute="city"):
                    turn.add(subj, _residence_attr(dest), dest, "residence")
            values = _split_list(raw) if listing else [raw]
            for value in values:
                # (a place's name that is also a word: "I no longer live in Nice")
                if _ok_value(value, attribute="city" if attribute == "residence" else ""):
                    attr = _residence_attr(value) if attribute == "residence" else attribute
                    turn.add(subj, attr, value, "negation", negated=True)
                    found = True
            break
    for m in _MY_ATTR.finditer(sentence):
        if not m.group("neg") or m.group("owner") is not None or m.group("pron"):
            continue
        attribute = attribute_name(m.group("attr"))
        if attribute.split()[-1] not in ATTRIBUTE_HEADS and not attribute.startswith("favorite"):
            continue
        value = _value(sentence, m.end())
        if attribute.endswith("name") and not (_named(value) and (
                value[:1].isupper() or turn.caseless)) or _verdict(value, attribute):
            continue  # "my name is not important"
        if _ok_value(value):
            subj = me if not m.group("rel") else _Subject(
                me.name, me.key, f"{relation_name(m.group('rel'))}'s ")
            turn.add(subj, attribute, value, "negation", negated=True)
            found = True
    return found


# What one leaves or quits that is no firm: a habit, a place one goes to daily
_LEFT_NO_FIRM = NOT_EMPLOYERS | frozenset(
    "work school uni college church class town hospital rehab prison therapy".split())


def _left_job(sentence: str, at: int, subj: _Subject, turn: _Turn, *, mine: bool,
              verb: str = "left") -> bool:
    """After "left", "quit", "lost": the job left. "I quit my job (at Zara)", "I left my
    teaching job", "I lost my job last week": the employer ends, Zara or whichever is current
    (`_Turn.end`); "I quit my job as a nurse": the job too; "I left Acme": Acme (a name:
    capitalised, or in a turn all in lower case that talks about work). Whether one was
    found: "I left my keys at home", "I quit smoking", "I lost my role model" name none."""
    job = _MY_JOB.match(sentence, at)
    if job is not None:
        if (job.group("poss").lower() == "my") != mine:
            return False  # "I quit her job", "my sister quit my job": whose?
        # (a side job is no title: "I quit my part-time job at Starbucks" keeps "student")
        main = job.group("noun").lower() == "job" and not _SIDE_JOB.search(job.group(0))
        if job.group("as"):
            title, employer = _split_job(_value(sentence, job.end(), attribute="job"))
            title = clean_value(_JOB_LEFT_TAIL.sub("", title))
            employer = clean_value(_JOB_LEFT_TAIL.sub("", employer))
            if not _ok_value(title):
                return False
            turn.add(subj, "job", title, "negation", negated=True)
            if employer and _ok_value(employer):
                turn.add(subj, "employer", employer, "negation", negated=True)
            elif job.group("noun").lower() == "job":
                # (a role or position left may be one of several at the same place: "I
                # left my role as treasurer of the club" ends no employer)
                turn.end(subj, "employer")
            return True
        org = _JOB_AT.match(sentence, job.end())
        if org is not None:
            employer = _trim_place(_value(sentence, org.end(), attribute="employer"), "employer")
            if _ok_value(employer):
                turn.add(subj, "employer", employer, "negation", negated=True)
                if main:
                    _job_left(turn, subj)
                return True
            return False
        if _JOB_LEFT_END.match(sentence, job.end()):
            if _SIDE_JOB.search(job.group(0)):
                return True  # "I quit my side job": not the employer that holds, whatever it is
            turn.end(subj, "employer")
            if main:
                _job_left(turn, subj)
            return True
        return False
    if verb == "lost":
        return False  # "I lost Max" is no employer
    if sentence[at:at + 1].isupper() or (turn.caseless and _WORK_TALK.search(sentence)):
        value = _trim_place(_value(sentence, at), "employer")  # "Acme for Globex": Acme
        first = value.split()[0] if value.split() else ""
        if value.lower() in _LEFT_NO_FIRM or (first.islower() and first in _LEFT_NO_FIRM):
            return False  # "I quit Smoking in 2020", "i left work early" (not "Coffee Republic")
        if _LEFT_SOMEONE_SOMETHING.match(sentence, at):
            return False  # "I left Sarah a voicemail", "I left Amazon a review"
        if value.lower() in KNOWN_PLACES:
            if verb != "left":
                return False  # "I quit London" is a saying, not a move
            if TRIP.search(sentence):
                return True  # "I left London this morning for a conference": no move
            # "I left London (for Berlin)": a place lived in, not an employer
            turn.add(subj, "city", value, "negation", negated=True)
            to = _LEFT_FOR.match(sentence, at + len(value))
            if to and to.group(1).lower() in KNOWN_PLACES:
                turn.add(subj, "city", to.group(1), "fact")
            return True
        if _ok_value(value) and value.split()[0].lower() not in _DEICTIC and not _an_app(value):
            turn.add(subj, "employer", value, "negation", negated=True)
            return True
    return False


# "I left London for Berlin", "... to move to Berlin": the place one went to
_LEFT_FOR = re.compile(r"\s+(?:for|to\s+(?:move|go)\s+to)\s+"
                       r"((?-i:[A-Z])[\w'’-]*(?:\s+(?-i:[A-Z])[\w'’-]*)?)", re.I)


# "I left Sarah a voicemail", "I left Amazon a review": something left for someone
# ("I left Acme a year ago" left Acme)
_LEFT_SOMEONE_SOMETHING = re.compile(
    r"[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)?\s+(?:a|an|some)\s+(?!(?:year|month|week|day|few|couple|"
    r"while|decade|fortnight|bit|little|long|short|good)s?\b)", re.I)


def _dismissed(sentence: str, at: int, subj: _Subject, turn: _Turn, *, mine: bool) -> bool:
    """After "got fired", "was laid off", "was let go", "got sacked", "was made redundant":
    the job ended. With nothing more of it ("I got fired.", "... last week", "... because
    ...", "... for being late"), the current employer ends (`_Turn.end`); "from Acme", "from
    my job (at Acme)" name it as "I left Acme", "I quit my job (at Acme)" do (`_left_job`).
    Whether one was found: "I got fired up", "I was fired at", "I was let go of", "I got
    fired from the band" (no employer's name) name none."""
    dated = _TIME_OR_SEASON.match(sentence, at)
    end = dated.end() if dated else at
    source = _DISMISSED_FROM.match(sentence, end)
    if source is not None:
        before = len(turn.out)
        if not _left_job(sentence, source.end(), subj, turn, mine=mine):
            return False
        if not any(e.attribute == f"{subj.prefix}job" for e in turn.out[before:]):
            _job_left(turn, subj)  # "I was laid off from Acme": the title ends too
        return True
    if (_DISMISSED_END.match(sentence, end) or dated is not None
            or _DISMISSED_FOR.match(sentence, end) or _DISMISSED_BY.match(sentence, end)):
        turn.end(subj, "employer")
        _job_left(turn, subj)
        return True
    return False


def _job_left(turn: _Turn, subj: _Subject) -> None:
    """The job title ends with the job left ("I quit my job", "I got fired": "what's my job?"
    is no longer "nurse"), unless the turn names a new job or employer of the same person
    ("I quit my job and started at Globex": the title may go on), which `extract` checks once
    the turn is read."""
    before = len(turn.out)
    turn.end(subj, "job")
    turn.jobs_left += turn.out[before:]


def _new_work(out: Sequence[Extraction], ended: Extraction) -> bool:
    """Whether a turn names a job or employer held now by the person whose job `ended`."""
    prefix = ended.attribute.removesuffix("job")  # "sister's " of "sister's job"
    return any(e.subject_key.lower() == ended.subject_key.lower() and not e.negated
               and e.attribute in (f"{prefix}job", f"{prefix}employer") for e in out)


# ---- Ties that end: a break-up, a pet's death, "X is not my dog" (`_ended_ties`, `_not_mine`)
# The partner relations (as relation_name gives them and `_relatives` writes them: "I'm
# married to Sam" is the spouse's name). A break-up said with the partner's name only ("Sam
# and I broke up") ends the one of these that holds the name: one negation each, which ends
# only what matches (ingest._apply).
PARTNERS = ("boyfriend", "girlfriend", "partner", "husband", "wife", "spouse", "fiancé")
_SPOUSES = frozenset({"husband", "wife", "spouse"})
_PARTNER_RE = r"(?:boyfriend|girlfriend|partner|husband|wife|spouse|fianc[ée]e?|fiance|fiancee)"
# Words before a clause's subject that are no part of a name ("Sadly Rex passed away")
_CLAUSE_LEAD = (r"(?:(?i:so|and|but|well|oh|ok|okay|yeah|welp|sadly|unfortunately|anyway|"
                r"update|btw|also|finally|officially|today|yesterday|rip|ugh|guess\s+what|"
                r"(?:some\s+)?(?:sad|bad|terrible|awful|heartbreaking|tragic)\s+news|"
                r"heartbroken|devastated|gutted)"
                r"(?:[,:!]|\s+[-–—])?\s+)*")
_NOT_IN_NAME = _SENTENCE_ADVERBS | frozenset({"sadly", "unfortunately", "update", "rip", "welp",
                                              "ugh", "yeah", "ok", "okay", "finally",
                                              "officially"})
# Where the tie's verb phrase ends: the clause's end, a time ("last week", "in 2019", "two
# years ago"), a reason or what followed; not an object ("Sam and I split the bill", "I
# left my husband at home", "Rex died laughing").
_TIE_END = (rf"(?=\s*(?:$|[.,;:!)]|\s[-–—]\s)|\s+(?:and|but|because|so|after|when|since|{_LAST_TIME}|"
            rf"this|yesterday|today|recently|earlier|again|finally|officially|now|over|"
            rf"(?:a|an|two|three|four|five|six|few|several|\d+)\s+(?:weeks?|months?|years?|"
            rf"days?|while|few|couple|decades?)|for\s+good|for\s+(?-i:[A-Z])|"
            rf"(?:in|on)\s+(?:(?:19|20)\d\d|(?i:{_T_MONTH}|{_T_WEEKDAY}))|{FILLERS})\b)")
_TIE_ADV = r"(?:(?:have|has|had|'ve|’ve|just|finally|officially|recently|sadly|actually)\s+)*"
_MY_PARTNER = (rf"(?:[Mm]y|[Oo]ur)\s+(?P<rel>{_PARTNER_RE})(?:,?\s+(?P<relname>{_NAME_RE}),?)?")
_A_NAME = rf"^{_CLAUSE_LEAD}(?P<name>{_NAME_RE})"
# After "left my husband", "left me": what closes the tie (`_left_for_good`): the clause's
# end, or a time, then a reason or another clause ("I left my husband last year", "my
# husband left me for his secretary", "... and I moved to Leeds"); not an object or a place
# ("I left my husband and the kids at home", "I left my boyfriend yesterday at the station")
# ("... for his secretary", "... for my best friend", "... for a woman at work")
_FOR_PERSON = (r"(?:friend|bff|sister|brother|cousin|neighbou?r|boss|co-?worker|colleague|"
               r"secretary|assistant|trainer|coach|ex|roommate|flatmate|housemate|nanny|"
               r"babysitter|therapist|tutor|mum|mom|mother|dad|father|aunt|uncle|niece|nephew|"
               r"woman|man|girl|guy|boy|lady|dude|chick)")
_LEFT_FOR_WHOM = (r"(?=\s+for\s+(?:(?-i:[A-Z])|his|her|their|another|someone|somebody|"
                  r"a\s+(?:younger|other)\b|(?:my|our|the|an?)\s+(?:[\w-]+\s+){0,2}?"
                  rf"{_FOR_PERSON}s?\b(?!['’])))")
# (that person is no trip's "for my ...": vocab.TRIP)
_FOR_A_PERSON = re.compile(
    rf"\s+for\s+(?:my|our|the|an?)\s+(?:[\w-]+\s+){{0,2}}?{_FOR_PERSON}s?\b(?!['’])", re.I)
_LEFT_TIME = (rf"(?:\s+(?:{_LAST_TIME}|yesterday|recently|finally|for\s+good|"
              rf"(?:a|an|two|three|four|five|six|few|several|\d+)\s+(?:weeks?|months?|years?|"
              rf"days?|decades?)\s+ago|(?:back\s+)?in\s+(?:(?:19|20)\d\d|{_T_MONTH})|"
              rf"after\s+(?:\w+\s+){{0,2}}(?:years?|months?|decades?)))*")
_LEFT_CLOSED = re.compile(
    _LEFT_TIME + r"(?:\s*(?:$|[.;:!)]|,|\s[-–—]\s)|" + _LEFT_FOR_WHOM
    + r"|\s+(?:because|since|after|but|so|and\s+(?:then\s+|now\s+)?(?:I|we|he|she|they|"
      r"it|took|moved|never|went)|for\s+good)\b)", re.I)
# "Sam and I broke up", "My boyfriend and I split up", "my wife and I got divorced"
_TIE_JOINT = re.compile(
    rf"(?:{_MY_PARTNER}|{_A_NAME})\s+and\s+(?:I|me)\s+(?P<verb>{_JOINT_TIE_VERB})" + _TIE_END)
# "Me and Tom broke up", "me and my boyfriend split up"
_TIE_ME_AND = re.compile(
    rf"^{_CLAUSE_LEAD}[Mm]e\s+and\s+(?:{_MY_PARTNER}|(?P<name>{_NAME_RE}))\s+"
    rf"(?P<verb>{_JOINT_TIE_VERB})" + _TIE_END)
# "I broke up with Sam", "I divorced Tom", "I'm divorced from Tom", "I left my husband"
_TIE_MINE = re.compile(
    rf"\bI(?:['’]m|\s+am)?\s+(?P<verb>{_TIE_ADV}(?:(?:broke|broken|split)\s+up\s+with|"
    r"split\s+from|separated\s+from|(?:got\s+)?divorced(?:\s+from)?|dumped|left))\s+"
    rf"(?:{_MY_PARTNER}|(?P<name>{_NAME_RE}))(?:{_TIE_END}|{_LEFT_FOR_WHOM})")
# "I'm no longer dating Sam", "I'm not with Sam any more", "I stopped seeing Sam", "I'm no
# longer married to Sam": no partner now (not "I'm not seeing Sam today": a meeting)
_TIE_VERB_NOW = rf"(?:{_DATING}|married\s+to|engaged\s+to|together\s+with|with)"
_TIE_NO_MORE = re.compile(
    rf"\bI(?:(?:['’]m|\s+am)\s+(?:no\s+longer|not(?=\s+{_TIE_VERB_NOW}\s+(?:my\s+\w+\s+)?"
    rf"\S+\s+any\s?(?:more|longer)\b))|(?:['’]ve|\s+have)?\s+(?:(?:just|finally|recently)\s+)?"
    rf"(?:stopped|quit))\s+(?P<verb>{_TIE_VERB_NOW})\s+(?:{_MY_PARTNER}|(?P<name>{_NAME_RE}))"
    rf"(?:\s+any\s?(?:more|longer)\b)?{_TIE_END}")
# "Sam broke up with me", "my girlfriend dumped me", "my husband left me"
_TIE_THEIRS = re.compile(
    rf"(?:{_MY_PARTNER}|{_A_NAME})\s+{_TIE_ADV}(?P<tverb>broke\s+up\s+with|dumped|left|"
    rf"divorced)\s+me(?:{_TIE_END}|{_LEFT_FOR_WHOM})")
# "We broke up", "we split up last week": the partner the turn named before it
# (`_we_split`); no one when it named none
_TIE_WE = re.compile(rf"(?:^|(?<=\s)){_CLAUSE_LEAD}[Ww]e(?:\s+|(?=['’]re\s))(?P<verb>{_JOINT_TIE_VERB})"
                     + _TIE_END)
# "I got divorced (last year)", "I'm divorced now", "I finally got divorced in 2020": the
# spouse, whoever that is, is no more (`_ended_ties`). Closed right after, or after a time
# ("I'm divorced from Sam" names who; not "I'm a divorced dad", "I got divorced papers").
_DIVORCED = re.compile(
    _STATE_LEAD + r"I(?:\s+(?:just|finally|recently|officially|actually))*(?:\s+got|['’]m|\s+am)(?:\s+(?:now|just|finally|recently|officially))*\s+divorced"
    r"(?:\s+(?:(?:last|this)\s+(?:week|month|year|spring|summer|autumn|fall|winter)|"
    r"in\s+(?:\d{4}|[A-Z][a-z]+(?:\s+\d{4})?)|on\s+[A-Z]\w+|yesterday|recently|"
    r"(?:a|an|one|two|three|four|five|six|seven|eight|nine|ten|\d+)\s+(?:years?|months?|"
    r"weeks?)\s+ago))?"
    r"(?:\s+(?:now|again|finally|officially|at\s+last))*(?=\s*(?:$|[!.;,]|\s+(?:lol|haha)\b))",
    re.I)
# A marriage or a spouse said beside the divorce a turn tells ("I'm divorced, but I
# remarried three years ago", "I got divorced in 2015, and I married Kate in 2017", "... my
# current wife is Jane"): which spouse is no more, the one now or one before? none is ended
_REMARRIED = re.compile(
    r"(?i:\bre-?married\b|\bmarried\s+again\b|\bgot\s+married\b|"
    r"\b(?:current|new|second)\s+(?:wife|husband|spouse)\b)|"
    r"\b(?i:married|marry)\s+(?:(?i:to)\s+)?[A-Z][a-z]+|"
    r"(?<!ex-)(?<!ex\s)\b(?i:wife|husband|spouse)\s+(?:(?i:is|named)\s+)?[A-Z][a-z]+")
# The partner a turn names: "my boyfriend (Tom)", "dating Tom", "Tom and I", "married to Tom"
_PARTNER_SAID = re.compile(
    rf"{_MY_PARTNER}|\b(?:{_DATING}|engaged\s+to|married\s+to|together\s+with)\s+"
    rf"(?P<name>{_NAME_RE})|"
    rf"(?:^|(?<=[\s,;]))(?P<name2>{_NAME_RE})\s+and\s+(?:I|me)\b|"
    rf"\b[Mm]e\s+and\s+(?P<name3>{_NAME_RE})")
# A couple that moved on together ("... no longer engaged, we got married!", "... aren't
# dating anymore, we're engaged", "he's my husband now"): a couple no more (`_NO_MORE`)
# ends nothing then
_MOVED_ON = re.compile(
    r"\bwe(?:['’]re|\s+are|\s+(?:just\s+|finally\s+)?got|['’]ve\s+gotten|\s+have\s+gotten|"
    r"['’]re\s+getting|\s+are\s+getting)\s+(?:now\s+|finally\s+|officially\s+)?"
    r"(?:married|engaged|hitched)\b|\bwe\s+(?:just\s+)?tied\s+the\s+knot\b|"
    r"\b(?:he|she|they)(?:['’]s|\s+is|['’]re|\s+are)\s+(?:now\s+)?my\s+"
    r"(?:husband|wife|spouse|fianc[ée]e?)\b", re.I)


def _moved_to(moved: re.Match[str] | None) -> str | None:
    """The tie a couple moved on to (`_MOVED_ON`): "we got engaged" a fiancé, "he's my
    husband now" a husband, "we got married" (hitched, tied the knot) a spouse."""
    if moved is None:
        return None
    said = moved.group(0).lower()
    for word, kind in (("engaged", "fiancé"), ("fianc", "fiancé"), ("husband", "husband"),
                       ("wife", "wife")):
        if word in said:
            return kind
    return "spouse"


# The words of a couple no more, not of a break-up ("no longer", "not ... any more",
# "stopped", "quit")
_NO_MORE = re.compile(r"\b(?:no\s+longer|any\s?more|any\s+longer|stopped|quit)\b", re.I)
# A couple back together: no break-up ended it
_REUNITED = re.compile(r"\b(?:back\s+together|got\s+back\s+with|made\s+up|reconciled|"
                       r"on\s+a\s+break|on\s+and\s+off|on-and-off)\b", re.I)
# A pet's death: "Our cat Mochi died last week", "Sadly Rex passed away", "We had to put our
# dog Rex down", "Rex was put to sleep"
_PET_RE = "|".join(sorted((re.escape(p) for p in (*PETS, *BREEDS)), key=len, reverse=True))
_MY_PET = (rf"(?:[Mm]y|[Oo]ur)\s+(?:[a-z-]+\s+){{0,2}}?(?P<pet>{_PET_RE})(?:,?\s+(?P<petname>{_NAME_RE}),?)?")
_DIED = (r"(?:died|passed\s+away|passed\s+on|(?:was|got|had\s+to\s+be)\s+put\s+"
         r"(?:down|to\s+sleep)|crossed\s+(?:over\s+)?the\s+rainbow\s+bridge)")
_PET_DIED = re.compile(rf"(?:{_MY_PET}|{_A_NAME})\s+{_TIE_ADV}{_DIED}" + _TIE_END)
_PET_PUT_DOWN = re.compile(
    rf"\b(?:I|[Ww]e)\s+(?:(?:just|finally|sadly|recently)\s+)*(?:had|have)\s+to\s+put\s+"
    rf"(?:{_MY_PET}|(?P<name>{_NAME_RE}))\s+(?:down|to\s+sleep)" + _TIE_END)
_PET_KINDS = tuple(dict.fromkeys(relation_name(p) for p in PETS))
# A relative's death: "My dad passed away on Sunday", "my grandmother Rose died last year",
# "Mum passed away in 2019" (`_ended_ties`: where they lived and worked ends, not who they
# were)
_KIN_DIED = re.compile(
    rf"(?:\b[Mm]y\s+(?:(?i:late|dear|beloved|beautiful|sweet|old)\s+)?(?P<rel>{RELATION_RE})"
    rf"(?:,?\s+(?P<relname>{_NAME_RE}),?)?|^{_CLAUSE_LEAD}(?P<kin>(?i:{'|'.join(KIN_NAMES)})))"
    rf"\s+{_TIE_ADV}(?i:died|passed\s+away|passed\s+on)" + _TIE_END)


def deaths(text: str) -> set[str]:
    """The relatives and friends of the speaker's whose death a turn tells, by relation ("my
    dad passed away on Sunday" -> {"father"}; `_KIN_DIED`), not in a hedge or a question."""
    out = set()
    for clause in clauses(text):
        if clause.rstrip().endswith("?") or _HEDGE.search(clause):
            continue
        kin = _KIN_DIED.search(clause)
        rel = relation_name(kin.group("rel") or KIN_NAMES.get(kin.group("kin").lower(), "")) \
            if kin is not None else ""
        if rel in PERSONAL_RELATIONS:
            out.add(rel)
    return out


def tells_a_death(text: str) -> bool:
    """Whether a turn tells of the death of a relative or a friend of the speaker's
    (`deaths`)."""
    return bool(deaths(text))


# What a person who died no longer has: a home, a workplace, a job held now
_LIVING_ATTRIBUTES = ("city", "country", "address", "employer", "job")


def _clause_name(raw: str | None) -> str | None:
    """A name said as a clause's subject, without the words before it ("Sadly Rex" ->
    "Rex"); None when no name is left or it is no name (`_named`: "Mum", "The Queen")."""
    if not raw:
        return None
    words = clean_value(raw).split()
    while words and words[0].lower() in _NOT_IN_NAME:
        words = words[1:]
    name = _person(" ".join(words))
    return name if name and _named(name) and not _bare_title(name) else None


def _left_for_good(sentence: str, tie: re.Match[str]) -> bool:
    """Whether a tie read is no "left" one, or one that left for good: the clause closes
    after it (`_LEFT_CLOSED`: "I left my husband last year", "my husband left me for his
    secretary"), and it is no trip (vocab.TRIP: "my wife left me this morning for a
    conference"). Not "I left my husband and the kids at home", "my husband left me and the
    kids at the zoo", "I left my boyfriend yesterday at the station"."""
    verb = (tie.groupdict().get("verb") or tie.groupdict().get("tverb") or "").split()
    if not verb or verb[-1] != "left":
        return True
    return not TRIP.search(_FOR_A_PERSON.sub(" ", sentence)) and \
        _LEFT_CLOSED.match(sentence, tie.end()) is not None


def _we_split(said: str, turn: _Turn, me: _Subject) -> bool:
    """"We broke up": the partner the turn named last before it ("My boyfriend Tom and I had
    a fight and we broke up", "I was dating Tom but we broke up", "Tom and I ... we split
    up") ends, as in "Tom and I broke up" (`_ended_ties`); with none named ("We broke up"),
    nothing. Whether one was named."""
    rel = name = None
    for text in (*sentences(turn.before), said):
        if _HEDGE.search(text) or text.rstrip().endswith("?"):
            continue
        for m in _PARTNER_SAID.finditer(text):
            if m.group("name2") and re.search(r"\b(?:my|our|his|her|their)\s+(?:[\w-]+\s+){0,2}$",
                                              text[:m.start("name2")], re.I):
                continue  # "My friend Tom and I ...": another tie's name
            who = _clause_name(m.group("relname") or m.group("name") or m.group("name2")
                               or m.group("name3"))
            if m.group("rel") is not None or who is not None:
                rel, name = m.group("rel"), who
    if rel is not None:
        rel = relation_name(rel)
        if name is None:  # "My boyfriend is Tom. We broke up": the name the turn gave
            name = next((e.value for e in reversed(turn.out) if e.subject_key == me.key
                         and e.attribute == f"{rel}'s name" and not e.negated), None)
        for kind in ([rel, *sorted(_SPOUSES - {rel})] if rel in _SPOUSES else [rel]):
            if name is not None:
                turn.add(me, f"{kind}'s name", name, "negation", negated=True)
            else:
                turn.end(me, f"{kind}'s name")
        return True
    if name is not None:
        for kind in PARTNERS:
            turn.add(me, f"{kind}'s name", name, "negation", negated=True)
        return True
    return False


def _ended_ties(sentence: str, turn: _Turn, me: _Subject) -> bool:
    """A partner one broke up with or divorced, a pet that died: the tie's name ends (a
    negation of "<rel>'s name"). With the relation said ("my boyfriend and I split up"), its
    name ends, whatever it is (`_Turn.end`; a husband's or a wife's ends the spouse's too);
    with the name said too ("my boyfriend Sam"), that name; with the name only ("Sam and I
    broke up", "Rex passed away"), that name of each partner relation (of each pet kind),
    which ends only the one that holds it. A person who died is left as said: "my
    grandfather passed away" ends nothing (his name is still who he was), "my grandfather Joe
    passed away" still names him. Whether a tie was read (the clause then states nothing
    else: "Our cat Mochi died" is no new cat). Not a hedge, a question ("If Sam and I broke
    up"), a near miss ("Sam and I almost broke up"), a couple back together, another's
    break-up ("my sister and her husband split up"), nor a thing split or left ("Sam and I
    split the bill", "I left my husband at home")."""
    if _HEDGE.search(sentence):
        return False
    found = False
    tie = None if turn.reunited else (_TIE_JOINT.search(sentence) or _TIE_ME_AND.search(sentence)
                                      or _TIE_MINE.search(sentence)
                                      or _TIE_NO_MORE.search(sentence)
                                      or _TIE_THEIRS.search(sentence))
    if tie is not None and not _left_for_good(sentence, tie):
        tie = None
    if tie is not None and turn.moved_on and _NO_MORE.search(tie.group(0)):
        # "I'm no longer engaged to Sam, we're married now!": Sam is what they became
        name = _clause_name(tie.groupdict().get("name"))
        if name is not None and turn.moved_to is not None and not _an_app(name):
            turn.add(me, f"{turn.moved_to}'s name", name, "relation")
        tie = None
    we = _TIE_WE.search(sentence) if tie is None and not turn.reunited else None
    if we is not None and turn.moved_on and _NO_MORE.search(we.group(0)):
        we = None
    if we is not None and "split" in we.group("verb") and re.match(
            r"\s+(?:when|and|to|so|into|at)\b", sentence[we.end():]):
        we = None  # "we split up when we got there": the group, no couple
    if we is not None:
        found = _we_split(sentence[:we.start()], turn, me)
        if not found and "divorced" in we.group("verb") and not _REMARRIED.search(turn.whole):
            # "We got divorced in 2020": the speaker's spouse, whoever that is
            for kind in sorted(_SPOUSES):
                turn.end(me, f"{kind}'s name")
            found = True
    elif tie is None and not turn.reunited and _DIVORCED.search(sentence) and \
            not _REMARRIED.search(turn.whole):
        for kind in sorted(_SPOUSES):  # "I got divorced last year", "I'm divorced now"
            turn.end(me, f"{kind}'s name")
        found = True
    if tie is not None:
        rel = tie.group("rel")
        verb = (tie.groupdict().get("verb") or "").split()
        if rel is not None:
            rel = relation_name(rel)
            name = _clause_name(tie.group("relname"))
            for kind in ([rel, *sorted(_SPOUSES - {rel})] if rel in _SPOUSES else [rel]):
                if name is not None:
                    turn.add(me, f"{kind}'s name", name, "negation", negated=True)
                else:
                    turn.end(me, f"{kind}'s name")
            found = True
        elif not verb or verb[-1] != "left":  # ("I left Sam" is read by `_left_job`)
            name = _clause_name(tie.group("name"))
            if name is not None:
                for kind in PARTNERS:
                    turn.add(me, f"{kind}'s name", name, "negation", negated=True)
                found = True
    kin = _KIN_DIED.search(sentence)
    if kin is not None:
        rel = relation_name(kin.group("rel") or KIN_NAMES.get(kin.group("kin").lower(), ""))
        if rel in PERSONAL_RELATIONS:
            # "my dad passed away": his city, employer and job end, under the relation and
            # under the name given with it ("my grandmother Rose"); his name stays who he was
            name = _clause_name(kin.group("relname"))
            for who in (_Subject(me.name, me.key, f"{rel}'s "),
                        *([_Subject(name, name)] if name is not None else [])):
                for attribute in _LIVING_ATTRIBUTES:
                    turn.end(who, attribute)
            if name is not None:
                turn.add(me, f"{rel}'s name", name, "relation")
            found = True
    for died in (_PET_DIED.search(sentence), _PET_PUT_DOWN.search(sentence)):
        if died is None:
            continue
        if died.group("pet"):
            pet = died.group("pet").lower()
            kind = BREEDS.get(pet) or relation_name(pet)
            name = _clause_name(died.group("petname"))
            if name is not None:
                turn.add(me, f"{kind}'s name", name, "negation", negated=True)
            else:  # "my dog died": the dog there is (of two, which? `Extraction.every`)
                turn.end(me, f"{kind}'s name")
            found = True
            continue
        name = _clause_name(died.group("name"))
        before = sentence[:died.start("name")]
        if name is not None and not re.search(r"\b(?:my|our|his|her|their)\s+(?:[\w-]+\s+){0,2}$",
                                              before, re.I):
            for kind in _PET_KINDS:  # a person of that name is left as said
                turn.add(me, f"{kind}'s name", name, "negation", negated=True)
            found = True
    turn.ties += found
    return found


# "I don't have a cat any more", "We no longer have any pets", "I've got no dog now": no
# pet of that kind (of any kind: "pets") is the speaker's now (`_no_pets`). Not "I don't
# have a dog walker", "I don't have a cat's patience" (the pet must close the clause).
_PETS_WORD = r"pets?|animals"
_NO_PET = re.compile(
    r"\b(?:I|[Ww]e)(?:\s+|(?=['’]ve\b))(?:(?:actually|really|just|sadly|currently|even)\s+)*"
    r"(?:(?:don['’]?t|do\s+not|no\s+longer)\s+(?:have|own)(?:\s+got)?|"
    r"(?:have|['’]ve)\s+(?:got\s+)?no|(?:haven['’]?t|have\s+not)\s+got)\s+"
    rf"(?:(?:a|an|any)\s+)?(?:(?P<pet>{_PET_RE})(?:e?s)?|(?P<any>{_PETS_WORD}))"
    r"(?:\s+(?:any\s?more|any\s+longer|now|at\s+the\s+moment|these\s+days))?" + _TIE_END)
# "We rehomed our cat", "I gave my dog Rex away", "we had to give away our puppy": that pet
# is no longer the speaker's, as after "Rex died" (`_no_pets`)
_GIVEN_LEAD = rf"\b(?:I|[Ww]e)\s+{_TIE_ADV}(?:(?:had|have)\s+to\s+)?"
_PET_GIVEN = (
    re.compile(rf"{_GIVEN_LEAD}(?:rehome[ds]?|re-home[ds]?|gave\s+away|give\s+away|sold)\s+"
               rf"{_MY_PET}" + _TIE_END),
    re.compile(rf"{_GIVEN_LEAD}(?:gave|give)\s+{_MY_PET}\s+away" + _TIE_END))


def _no_pets(sentence: str, turn: _Turn, me: _Subject) -> bool:
    """A pet no longer the speaker's, said without its death (`_ended_ties`): "I don't have
    a cat any more" ends every cat's name (`Extraction.every`; "pets": of every kind); "we
    rehomed our dog Rex" ends Rex, "we rehomed our dog" the dog there is (one dog only:
    which, of two?). Not a hedge ("if I didn't have a dog"), nor a question. Whether one
    was read."""
    if _HEDGE.search(sentence) or sentence.rstrip().endswith("?"):
        return False
    found = False
    for m in _NO_PET.finditer(sentence):
        pet = m.group("pet")
        kinds = [BREEDS.get(pet.lower()) or relation_name(pet.lower())] if pet else _PET_KINDS
        for kind in kinds:
            turn.end(me, f"{kind}'s name", every=True)
        found = True
    for m in (m for given in _PET_GIVEN for m in given.finditer(sentence)):
        pet = m.group("pet").lower()
        kind = BREEDS.get(pet) or relation_name(pet)
        name = _clause_name(m.group("petname"))
        if name is not None:
            turn.add(me, f"{kind}'s name", name, "negation", negated=True)
        else:
            turn.end(me, f"{kind}'s name")
        found = True
    turn.ties += found
    return found


# "Bella is my neighbour's dog", "Bella isn't my dog", "Sam is not my boyfriend (any more)":
# the name is not the speaker's dog, boyfriend (`_not_mine`).
# (where the relation ends its clause: "Bella isn't my dog, ...", "... any more")
_RELATION_ENDS = (r"(?=\s*(?:$|[.,;!)]|\s[-–—]\s|\s+(?:and|but|so|though|either|actually|"
                  r"any\s?more|lol|haha|btw)\b))")
_NOT_MINE = re.compile(
    rf"(?:^|(?<=[,;] ))(?:{_CLAUSE_LEAD})(?P<name>{_TITLE_NAME})\s*(?:['’]s|\s+is)\s+"
    rf"(?:actually\s+|just\s+|really\s+)?(?:(?:not|no\s+longer)\s+my|(?<=is\s)n['’]t\s+my|"
    rf"my\s+(?P<owner>{RELATION_RE})['’]s)\s+(?P<rel>{RELATION_RE})" + _RELATION_ENDS)
_ISNT_MINE = re.compile(
    rf"(?:^|(?<=[,;] ))(?:{_CLAUSE_LEAD})(?P<name>{_TITLE_NAME})\s+(?:isn['’]t|is\s+not|"
    rf"'s\s+not|’s\s+not)\s+(?:actually\s+|really\s+)?my\s+(?P<rel>{RELATION_RE})"
    + _RELATION_ENDS)


def _not_mine(sentence: str, turn: _Turn, me: _Subject) -> bool:
    """A name said not to be the speaker's relation: "Bella is my neighbour's dog", "Bella
    isn't my dog", "Sam is not my boyfriend any more" end "<rel>'s name" = the name (a
    negation: what was said before, "my dog Bella", ends; nothing else is stored). Said as
    another's ("my neighbour's dog"), only a pet or a partner: "Tom is my friend's dad", "Tom
    is my husband's brother" end no father or brother of the speaker's named Tom. Whether
    one was read."""
    if _HEDGE.search(sentence):
        return False
    found = False
    for pattern in (_NOT_MINE, _ISNT_MINE):
        for m in pattern.finditer(sentence):
            name = _clause_name(m.group("name"))
            if name is None:
                continue
            owner, rel = m.groupdict().get("owner"), relation_name(m.group("rel"))
            if owner and not (m.group("rel").lower() in (*PETS, *BREEDS) or rel in PARTNERS):
                continue  # "Tom is my friend's dad": the speaker's dad may be a Tom too
            turn.add(me, f"{rel}'s name", name, "negation", negated=True)
            found = True
    return found


# ---- Relatives named in a list: "My sisters are Ana and Eva", "my two brothers are Tom and
# Ben", "Maya and Leo are my kids" (`_plural_relatives`)
_PLURAL_KIN = {**_KIN_PLURALS, "friends": "friend", "aunts": "aunt", "uncles": "uncle",
               "nieces": "niece", "nephews": "nephew", "grandsons": "grandson",
               "granddaughters": "granddaughter", "stepsons": "stepson",
               "stepdaughters": "stepdaughter", "stepsisters": "stepsister",
               "stepbrothers": "stepbrother", "twins": "twin", "puppies": "dog",
               "kittens": "cat", "parrots": "parrot", "roommates": "roommate",
               "flatmates": "flatmate", "housemates": "housemate", "tortoises": "tortoise"}
_PLURAL_KIN_RE = "|".join(sorted(_PLURAL_KIN, key=len, reverse=True))
_KIN_ADJ = (r"(?:(?:little|lovely|beautiful|grown|grown-up|young|younger|older|adult|small|big|"
            r"twin|baby|crazy|rescue|best|two|three|four|five|\d{1,2})\s+)*")
_NAME_LIST = (r"(?P<names>[A-Z][\w'’-]*(?:\s*,\s*[A-Z][\w'’-]*)*(?:,?\s+(?:and|&)\s+"
              r"[A-Z][\w'’-]*)+)")  # ("Tom and Lily and Sam" too)
_NAMES_END = (r"(?=\s*(?:$|[.,;!:)]|\s[-–—]\s|\s+(?:and|but|who|so|because|though|both|now|"
             rf"{FILLERS})\b))")
_PLURAL_NAMED = re.compile(
    rf"\b(?:[Mm]y|[Oo]ur)\s+{_KIN_ADJ}(?P<kind>{_PLURAL_KIN_RE})(?:['’]?\s+names)?\s+"
    rf"(?:are|were)\s+(?:(?:called|named)\s+)?{_NAME_LIST}{_NAMES_END}")
_NAMED_PLURAL = re.compile(
    rf"(?:^|(?<=[,;] )){_CLAUSE_LEAD}{_NAME_LIST}\s+are\s+(?:both\s+|all\s+)?(?:my|our)\s+"
    rf"{_KIN_ADJ}(?P<kind>{_PLURAL_KIN_RE}){_NAMES_END}")


# ... and in a turn all in lower case: "my kids are emma and jack", "i have two kids, emma
# and jack" (the names capitalised, then read as above)
_LOWER_KIN_LIST = re.compile(
    rf"(?P<lead>\b(?:my|our)\s+{_KIN_ADJ}(?:{_PLURAL_KIN_RE})(?:['’]?\s+names)?\s+(?:are|were)\s+"
    rf"(?:(?:called|named)\s+)?|\bI\s+have\s+{_KIN_ADJ}(?:{_PLURAL_KIN_RE})\s*(?:,|:|\s[-–—])\s*)"
    r"(?P<list>[a-z]{2,}(?:\s*,\s*[a-z]{2,})*,?\s+(?:and|&)\s+[a-z]{2,})"
    r"(?=\s*(?:$|[.,;!:])|\s+(?:and|but|who|so|because|both|now)\b)")


# Words a list of relatives in lower case may be of, that name no one
_NOT_LIST_NAMES = frozenset("""boy girl twin teen teenager kid child children adult baby babies
mum mom dad grown gone young old older younger big small little friend friends sibling best
amazing married single divorced engaged grownup grownups""".split())


def _list_capitalised(m: re.Match[str]) -> str:
    """`_LOWER_KIN_LIST`'s names capitalised, when every one may be a name."""
    words = re.findall(r"[a-z]+", m.group("list"))
    names = [w for w in words if w != "and"]

    def no_name(word: str) -> bool:  # "tired", "doctors", "boys", "twins", "mums"
        singular = word[:-1] if word.endswith("s") else word
        return (word in _NOT_LOWER_NAMES or word in NOT_NAMES or _how_one_is(word)
                or word in _NOT_LIST_NAMES or singular in _NOT_LIST_NAMES
                or _job(singular, known=True) is not None or _a_plural_noun(word.capitalize()))

    if any(no_name(w) for w in names):
        return m.group(0)  # "my kids are tired and hungry", "... doctors and lawyers"
    return m.group("lead") + re.sub(r"[a-z]+", lambda w: w.group(0) if w.group(0) == "and"
                                    else w.group(0).capitalize(), m.group("list"))


def _a_plural_noun(item: str) -> bool:
    """Whether a capitalised item of a list is a word in the plural, not a name: its singular
    (less "-s", "-es", "-ies" for "-y") is a nationality, a faith or a party, a breed or a
    pet (NOT_NAMES, vocab.DEMONYM_NOUNS, BREEDS, PETS): "Americans", "Brits", "Aussies",
    "Democrats", "Labs", "Poodles"; not "James", "Thomas"."""
    low = item.lower()
    if " " in low or not low.endswith("s"):
        return False
    singular = {low[:-1], low[:-2] if low.endswith("es") else low[:-1],
                low[:-3] + "y" if low.endswith("ies") else low[:-1]}
    return any(w in NOT_NAMES or w in DEMONYM_NOUNS or w in BREEDS or w in PETS
               for w in singular)


def _plural_relatives(sentence: str, turn: _Turn, me: _Subject) -> None:
    """Relatives named in a list after their relation in the plural ("My sisters are Ana and
    Eva", "my kids' names are Maya and Leo") or before it ("Ana and Eva are my sisters"):
    each name is a "<rel>'s name" (one may have several: vocab.MANY_OF). Only when every item
    is a name ("My kids are Arsenal and Chelsea fans" names no kid), none a word in the
    plural ("My friends are Americans and Canadians", "My dogs are Labs and Poodles":
    `_a_plural_noun`)."""
    for pattern in (_PLURAL_NAMED, _NAMED_PLURAL):
        m = pattern.search(sentence)
        if m is None:
            continue
        rel = _PLURAL_KIN[m.group("kind").lower()]
        names = [n for n in _NAMES_SPLIT.split(m.group("names")) if n]
        names = [_clause_name(n) if i == 0 and pattern is _NAMED_PLURAL else _person(n)
                 for i, n in enumerate(names)]
        if len(names) < 2 or not all(n and _named(n) and not _bare_title(n)
                                     and not _a_plural_noun(n) for n in names):
            continue
        for name in names:
            turn.add(me, f"{rel}'s name", name or "", "relation")


__all__ = ["FAMILIES", "Extraction", "extract", "sentences", "stated_name"]
