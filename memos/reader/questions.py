"""Questions -> the canonical question the model answers, and whose name "I" is.

Facts are written as `<subject>'s <attribute> is <value>.` (memos.reader.rules); the built-in
model answers `What is <subject>'s <attribute>?` from such facts. `canonical_question` maps
a person's question to that form by the same vocabulary the rules write with, so "where do I
live?" asks for the attribute "I live in Lisbon" was stored under ("city").

Whose name is "I" (`user_display_name`), decided once for both directions:

1. a name the user states in the conversation being ingested ("my name is Alice Moreau",
   "call me Ali", "I'm Alice." at the start of a sentence) — the last one stated wins;
2. else the name stored earlier: the reader writes a stated name as the fact cube
   `<name>'s name is <name>.` with metadata `{"subject": "user:<user_id>", "attribute":
   "name", "value": <name>}`, so it survives the session and the process, and a newer
   name supersedes it (same subject key). `stored_user_name(mem, scope)` reads it back;
3. else the user id made readable: "alice" -> "Alice", "alice.moreau@example.com" ->
   "Alice Moreau"; an id that is not a name ("u_1234") is used as it is.

First-person facts carry the metadata subject key `user:<user_id>` (stable when the name
changes), and the display name in their text. Facts about other people carry their name
("Ana") as subject. The assistant should call `resolve_user_name(mem, scope)` once per
reply and pass it to `canonical_question(text, user_name)`.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from memos.reader.categories import question_categories, verb_categories
from memos.reader.dates import MONTHS
from memos.reader.vocab import (
    KIN_NAMES,
    NUMBER_WORDS,
    PETS,
    POSSESSED_ATTRIBUTES_RE,
    RELATION_ALIASES,
    RELATION_RE,
    RELATIONS,
    attribute_name,
    relation_name,
)

if TYPE_CHECKING:
    from memos.cube import Scope
    from memos.facade import MemOS

USER_KEY_PREFIX = "user:"
MAX_QUESTION_CHARS = 300  # longer text is not a question about one fact


@dataclass(frozen=True)
class CanonicalQuestion:
    """A question in the model's form. `subject_key` is the metadata subject facts about
    this subject are stored under (`user:<id>` for the user, else the subject's name);
    `None` when the caller did not give the user id."""

    subject: str
    attribute: str
    question: str
    about_user: bool
    past: bool = False  # asks for the value before the current one ("where did I live before?")
    history: bool = False  # asks for every value over time ("where have I lived?")
    # with history: whether it ever was this ("did I live in Porto?"); with past: the value
    # whose predecessor is asked ("where did I live before Lisbon?")
    value: str | None = None
    now: bool = False  # with value: whether it is this now ("am I allergic to peanuts?")
    every: bool = False  # of a relative's name: every one of the kind ("my pets' names")
    count: bool = False  # how many values or relatives of the kind ("how many kids do I have?")
    # of likes: the categories asked for ("what music do I like?": music), none for all likes
    categories: frozenset[str] = frozenset()
    # the period asked about ("where did I live in 2019?": 2019's first and last day, and
    # how it was said), when the question names one (`period_question`)
    during: tuple[date, date, str] | None = None

    def subject_key(self, user_id: str) -> str:
        return user_key(user_id) if self.about_user else self.subject


def user_key(user_id: str) -> str:
    """The metadata subject of the user's own facts."""
    return USER_KEY_PREFIX + user_id


def user_display_name(user_id: str, stated: str | None = None) -> str:
    """The name first-person statements are written about: `stated` when given, else the
    user id made readable ("alice" -> "Alice", "alice.moreau@x.org" -> "Alice Moreau");
    an id that is not made of letters is used as it is."""
    if stated and stated.strip():
        return " ".join(stated.split())
    local = user_id.split("@", 1)[0]
    parts = [p for p in re.split(r"[._\-\s]+", local) if p]
    if parts and all(p.isalpha() for p in parts):
        return " ".join(p[:1].upper() + p[1:] for p in parts)
    return user_id


def stored_user_name(mem: MemOS, scope: Scope | str) -> str | None:
    """The user's name as the reader stored it in an earlier ingest (the live `name` fact
    with subject `user:<user_id>`), or None."""
    from memos.facade import as_scope

    sc = as_scope(scope)
    hits = mem.search("name", sc, k=256, kind="fact", record_access=False,
                      metadata={"subject": user_key(sc.user_id), "attribute": "name"})
    for hit in hits:
        if hit.cube.scope.user_id != sc.user_id:
            continue  # another user's public cube can name any subject: never this user's name
        value = hit.cube.metadata.get("value")
        if isinstance(value, str) and value.strip():
            return value
    return None


def resolve_user_name(mem: MemOS, scope: Scope | str, stated: str | None = None) -> str:
    """`stated`, else the stored name, else the readable user id (see the module doc)."""
    from memos.facade import as_scope

    sc = as_scope(scope)
    if stated and stated.strip():
        return user_display_name(sc.user_id, stated)
    return user_display_name(sc.user_id, stored_user_name(mem, sc))


def _q(subject: str, attribute: str, about_user: bool, **marks: Any) -> CanonicalQuestion:
    """The question for (subject, attribute); `marks`: past, history, value."""
    return CanonicalQuestion(subject, attribute, f"What is {subject}'s {attribute}?", about_user,
                             **marks)


# Words that name a kind of relative rather than one ("my spouse", "my pet", "my kids"): the
# reader writes the facts under the relation the user said ("Alice's husband's name is Tom.",
# "Alice's dog's name is Rex."), so a question about the kind is asked of each of these, in
# this order, the kind itself first (`kin_questions`). A boyfriend or a girlfriend may be
# stored as the partner, which says no sex ("I'm dating Dan": "Alice's partner's name is
# Dan."), so a question about one is asked of the partner after it.
KIN_GROUPS: dict[str, tuple[str, ...]] = {
    "spouse": ("husband", "wife", "partner"),
    "partner": ("boyfriend", "girlfriend", "husband", "wife", "fiancé"),
    "boyfriend": ("partner",),
    "girlfriend": ("partner",),
    # "I married Jess" names a spouse: "who is my wife?" asks of her too
    "husband": ("spouse",),
    "wife": ("spouse",),
    "pet": PETS,
    "parent": ("mother", "father", "stepmother", "stepfather"),
    "sibling": ("sister", "brother", "twin", "stepsister", "stepbrother"),
    "child": ("son", "daughter", "kid", "baby", "stepson", "stepdaughter"),
    "kid": ("son", "daughter", "child", "baby"),
    "grandparent": ("grandmother", "grandfather"),
    "grandchild": ("grandson", "granddaughter"),
    "friend": ("best friend",),  # "who are my friends?": the best friend is one too
}
_KIN_RE = "|".join(sorted({*(re.escape(r) for r in RELATIONS), *KIN_GROUPS}, key=len,
                          reverse=True))
_NAME = r"(?P<who>(?-i:[A-Z])[\w'.-]*(?:\s+(?-i:[A-Z])[\w'.-]*){0,2})"
_REL = rf"(?P<rel>{_KIN_RE})"
_ATTR = r"(?P<attr>[a-z][a-z' -]{0,40}?)"

# (pattern, subject: "user" | "rel" | "who", attribute or None to take it from the text)
_PATTERNS: list[tuple[re.Pattern[str], str, str | None]] = [(re.compile(p, re.I), s, a)
                                                             for p, s, a in [
    (r"^(?:what|which)(?: is)? my (?:home city|home base|city of residence|place of residence|"
     r"current city|current town)$", "user", "city"),
    (rf"^(?:what|who)(?:'s| is| was)? my {_REL}'s {_ATTR}$", "rel", None),
    (rf"^(?:what|who)(?:'s| is| was)? my {_REL}(?:'s)? name$", "rel", "name"),
    (rf"^who(?: is|'s| was) my {_REL}$", "rel", "name"),
    (rf"^what is my {_REL} (?:called|named)$", "rel", "name"),
    (rf"^what is my {_REL} allergic to$", "rel", "allergy"),
    (r"^(?:what|who|which)(?:'s| is| was) my " + _ATTR + "$", "user", None),
    (r"^(?:do you (?:know|remember) )?what my " + _ATTR + " is$", "user", None),
    (r"^(?:tell me|remind me of) my " + _ATTR + "$", "user", None),
    (r"^where do i (?:live|stay)(?: now| these days)?$", "user", "city"),
    (r"^where am i (?:living|based|staying)$", "user", "city"),
    (r"^(?:which|what) (?:city|town) (?:do i live|am i living|am i based|am i) in$", "user", "city"),
    (r"^where is (?:my )?home(?: for me| base)?$", "user", "city"),
    (r"^(?:where|(?:which|what) (?:city|town|place|country)) do i (?:call|consider|think of as)"
     r" (?:my )?home$", "user", "city"),
    (r"^(?:where|(?:which|what) (?:city|town|place)) (?:is|feels like) home(?: for| to) me$",
     "user", "city"),
    (r"^where do i work(?: now)?$", "user", "employer"),
    (r"^(?:who|which company) do i work (?:for|at)$", "user", "employer"),
    (r"^where am i working$", "user", "employer"),
    (r"^what do i do(?: for (?:a living|work))?$", "user", "job"),
    (r"^what(?:'s| is) my (?:job|occupation|profession)$", "user", "job"),
    (r"^what am i allergic to$", "user", "allergy"),
    (r"^(?:do i have any|what are my)(?: [a-z]+)? allerg(?:y|ies)$", "user", "allergy"),
    (r"^(?:what|which) (?:(?:kind|sort|type|genre|style)s? of )?(?P<cat>[a-z]+|tv shows|tv series|"
     r"video games|board games) (?:am i (?:into|a (?:big )?fan of)|do i (?:like|love|enjoy|"
     r"listen to|read|watch|(?:like|love|enjoy) (?:listening to|reading|watching|eating|"
     r"playing)))$", "user", "likes"),
    (r"^what do i (?:like|love|enjoy) (?:to )?(?P<verb>listen(?:ing)? to|eat(?:ing)?|"
     r"cook(?:ing)?|drink(?:ing)?|read(?:ing)?|watch(?:ing)?|play(?:ing)?)$", "user", "likes"),
    (r"^what (?:am i into|do i (?:like|love|enjoy))$", "user", "likes"),
    # "what are my interests?", "what do I do for fun?": the likes told (hobbies are a fact
    # of their own, "my hobby is pottery", which the assistant answers with likes too)
    (r"^what (?:are|r) my (?:interests|passions)$", "user", "likes"),
    (r"^what do i do for fun$", "user", "likes"),
    (r"^(?:what allergies do i have|am i allergic to anything|is there anything i'?m allergic to|"
     r"is there any [a-z]+ (?:that )?i'?m allergic to|what [a-z]+ am i allergic to)$", "user",
     "allergy"),
    (r"^where (?:am i|do i come) from$", "user", "home town"),
    (r"^where did i grow up$", "user", "home town"),
    (r"^when(?:'s| is) my (?:birthday|bday|b-day)$", "user", "birthday"),
    (r"^when(?:'s| is) (?:my|our) (?:wedding )?anniversary$", "user", "anniversary"),
    (r"^when (?:was|were) i born$", "user", "birthday"),
    (r"^how old am i$", "user", "age"),
    (r"^what(?:'s| is) my name$", "user", "name"),
    (r"^(?:which|what) (?P<fav>[a-z]+) do i (?:like|love|prefer) (?:the )?(?:best|most)$", "user",
     "favorite"),
    (r"^who am i$", "user", "name"),
    (r"^what do i prefer$", "user", "preference"),
    (rf"^where does my {_REL} live$", "rel", "city"),
    (rf"^where is my {_REL} (?:living|based)$", "rel", "city"),
    (rf"^where is home for my {_REL}$", "rel", "city"),
    (rf"^where is my {_REL}'s home$", "rel", "city"),
    (rf"^(?:where does|who does) my {_REL} work(?: for| at)?$", "rel", "employer"),
    (rf"^what does my {_REL} do(?: for (?:a living|work))?$", "rel", "job"),
    (rf"^how old is my {_REL}$", "rel", "age"),
    (rf"^when is my {_REL}'s (?P<attr>birthday|bday|b-day|anniversary)$", "rel", None),
    (rf"^when (?:was|were) my {_REL} born$", "rel", "birthday"),
    (rf"^where does {_NAME} live$", "who", "city"),
    (rf"^where is {_NAME} (?:living|based)$", "who", "city"),
    (rf"^(?:where does|who does) {_NAME} work(?: for| at)?$", "who", "employer"),
    (rf"^what does {_NAME} do(?: for (?:a living|work))?$", "who", "job"),
    (rf"^how old is {_NAME}$", "who", "age"),
    (rf"^what is {_NAME} allergic to$", "who", "allergy"),
    (rf"^where is {_NAME} from$", "who", "home town"),
    (rf"^when is {_NAME}'s (?:birthday|bday|b-day)$", "who", "birthday"),
    (rf"^when (?:was|were) {_NAME} born$", "who", "birthday"),
    (rf"^(?:what|who|which)(?:'s| is| was) {_NAME}'s {_ATTR}$", "who", None),
]]


_TRAILING = re.compile(r"(?:,?\s+(?:again|please|now|these days|nowadays|currently|at the moment|"
                       r"right now|originally|exactly|any ?more|still|then|atm|rn|tbh|lol|pls|"
                       r"plz))+$", re.I)
_ASKING = re.compile(r"^(?:(?:can|could|would|will) you (?:please )?|please )?(?:tell|remind|give|"
                     r"show) me(?: again)?(?: of)?[,:]?\s+|^do you (?:know|remember|have)\s+|"
                     r"^i (?:forgot|forget|can't remember)\s+|^any idea\s+", re.I)
# Embedded questions ("where I live", "what my sister's name is") in the asking order.
_EMBEDDED: list[tuple[re.Pattern[str], str]] = [(re.compile(p, re.I), r) for p, r in [
    (r"^where i (live|work)$", r"where do i \1"),
    (r"^where (.+?) lives$", r"where does \1 live"),
    (r"^where (.+?) works$", r"where does \1 work"),
    (r"^how old i am$", "how old am i"),
    (r"^(what|who|when) (my .+|[A-Z][\w'.-]*(?: [A-Z][\w'.-]*)?'s .+) is$", r"\1 is \2"),
    (r"^what i(?:'m| am) allergic to$", "what am i allergic to"),
]]


# Other words for a kind of relative ("my other half" is "my spouse").
_KIN_WORDS = re.compile(r"\b(?:(?:my|our) (?:significant other|other half|better half|husband or wife|"
                        r"wife or husband|spouse)|(?:my|our) (?P<kind>children|kids|parents|siblings|"
                        r"pets|grandparents|grandchildren))\b", re.I)
_KIN_SINGULAR = {"children": "child", "kids": "kid", "parents": "parent", "siblings": "sibling",
                 "pets": "pet", "grandparents": "grandparent", "grandchildren": "grandchild"}


def _kin_word(m: re.Match[str]) -> str:
    kind = m.group("kind")
    return f"my {_KIN_SINGULAR[kind.lower()]}" if kind else "my spouse"


# Questions that ask who a relative is by what binds them to the user ("who am I married
# to?", "who did I marry?", "who am I dating?"), direct or embedded ("do you know who I'm
# married to?"), as the question of the relative's name.
_KIN_ASKED: list[tuple[re.Pattern[str], str]] = [(re.compile(p, re.I), r) for p, r in [
    (r"^who (?:am i|i am|i'm|im) (?:married|wed|hitched) to$", "who is my spouse"),
    (r"^who (?:did i|i) (?:marry|married|wed|get married to|got married to)$",
     "who is my spouse"),
    (r"^whom? (?:am i|i am|i'm|im) (?:engaged|betrothed) to$", "who is my fiancé"),
    (r"^who (?:am i|i am|i'm|im) (?:dating|seeing|going out with|in a relationship with|"
     r"together with)$", "who is my partner"),
]]


# Attributes a question names in words the reader does not write facts under: the first
# name is read from the stated name (the reader writes "my first name is Ana" as the name,
# and the assistant answers "what's my first name?" with its first word). Other spoken
# forms ("bday") are the reader's own aliases (vocab.ATTRIBUTE_ALIASES).
_ASKED_ATTRIBUTES = {"first name": "first name", "given name": "first name",
                     "forename": "first name", "christian name": "first name"}


def asked_attribute(spoken: str) -> str:
    """The attribute a question names ("given name" -> "first name"; else as the reader
    names it: `memos.reader.vocab.attribute_name`, "bday" -> "birthday")."""
    words = " ".join(spoken.lower().split())
    if words in _ASKED_ATTRIBUTES:
        return _ASKED_ATTRIBUTES[words]
    return attribute_name(spoken)


# A word that makes "my X ..." a clause, not the name of what is asked ("my sister lives
# where?"): such a follow-up is left to the patterns.
_FOLLOW_UP_VERB = re.compile(r"\b(?:is|are|was|were|do|does|did|lives|works|has|have|had|"
                             r"where|when|who|what|how|which|why)\b", re.I)


def _plain_question(q: str) -> str:
    """`q` without what only asks politely ("can you tell me ...", "... again"), in the
    order the patterns read: "who's" as "who is", an embedded question as a direct one,
    a bare "Dave's phone number" as "what is Dave's phone number", "our cat" and "the
    vet" as "my cat" and "my vet", "my old boss" as "my boss", "the name of my cat" as "my
    cat's name"."""
    q = re.sub(r"^(who|what|where|when|how)['’]s\b", r"\1 is", q, flags=re.I)
    q = re.sub(rf"\b(?:our|the)\s+(?=(?:(?:old|former|previous|new|current)\s+)?(?:{RELATION_RE})\b)",
               "my ", q, flags=re.I)
    # a follow-up that names only what it asks: "(and) what about my job?", "my name?" (not
    # a relative alone: "what about my sister?" asks for anything about her)
    bare = re.sub(r"^(?:what|how) about\s+", "", q, count=1, flags=re.I)
    if re.match(rf"^(?:my|{_NAME}'s)\s", bare) and not re.match(
            rf"^my\s+(?:(?:old|former|previous|new|current)\s+)?(?:(?:{RELATION_RE}|{_KIN_RE}|{'|'.join(PETS)}|pet)s?|kids|children|folks|family|parents)$",
            bare, re.I) and not _FOLLOW_UP_VERB.search(bare) and not re.search(
                r"s'(?:\s|$)", bare):  # (a plural's "my kids' names": the patterns')
        return _plain_question(f"what is {bare}")
    q = _KIN_WORDS.sub(_kin_word, q)
    q = re.sub(rf"\bmy\s+(?:old|former|previous|new|current)\s+(?=(?:{_KIN_RE})\b)", "my ", q,
               flags=re.I)
    q = re.sub(rf"\bthe (name|age|birthday|email|phone number|number|address) of my ({_KIN_RE})\b",
               r"my \2's \1", q, flags=re.I)
    q = _TRAILING.sub("", q)
    asked = _ASKING.sub("", q, count=1)
    if asked != q:
        q = asked
        for pattern, replacement in _EMBEDDED:
            if pattern.match(q):
                q = pattern.sub(replacement, q, count=1)
                break
        else:
            if re.match(rf"^(?:my|{_NAME}'s)\s", q):
                q = f"what is {q}"
    for pattern, replacement in _KIN_ASKED:
        if pattern.match(q):
            return pattern.sub(replacement, q, count=1)
    return q


# Questions about the value before the current one: (pattern, subject, attribute). The
# rest of the question ("... before I moved to Leeds") only says when.
# Words that stand where a name would and are none: "where did they live before?"
_NOT_A_NAME = (r"(?:i|he|she|they|we|you|it|my|your|his|her|their|our|the|a|an|u|ya|ppl|"
               r"people|everyone|someone|somebody|everybody|anybody|nobody|this|that|these|"
               r"those|mom|mum|mommy|mummy|dad|daddy|mother|father|sis|bro|grandma|grandpa|"
               r"nana|papa)\b")
_PAST: list[tuple[re.Pattern[str], str, str | None]] = [(re.compile(p, re.I), s, a) for p, s, a in [
    (r"^(?:where|(?:which|what) (?:city|town)) did i (?:use to )?live(?: in)?(?: before\b.*|"
     r" previously)?$", "user", "city"),
    (r"^where did i live before\b.*$", "user", "city"),
    # of a person by name: "where did Ana live before?" ("before" or "previously" said)
    (rf"^(?:where|(?:which|what) (?:city|town)) did (?P<name>(?!{_NOT_A_NAME})[a-z][\w'-]*) "
     r"(?:use to )?live(?: in)? (?:before\b.*|previously)$", "name", "city"),
    (rf"^(?:where|who|which company) did (?P<name>(?!{_NOT_A_NAME})[a-z][\w'-]*) "
     r"(?:use to )?work(?: for| at)? (?:before\b.*|previously)$", "name", "employer"),
    (r"^(?:where|who|which company) did i (?:use to )?work(?: for| at)?(?: before\b.*|"
     r" previously)?$", "user", "employer"),
    (r"^what (?:was|were) my (?:old|previous|former|last) (?!name$)" + _ATTR + "$", "user", None),
    # "what was my job before?", "what was my address previously?"
    (r"^what (?:was|were) my (?!name\b)" + _ATTR + r" (?:before\b.*|previously)$", "user", None),
    (rf"^who (?:was|were) my (?:old|previous|former|last) {_REL}$", "rel", "name"),
]]


# Questions about every value an attribute has had ("where have I lived?", "which companies
# have I worked for?", "what were my previous addresses?"): (pattern, attribute or None to
# take it, made singular, from the text's plural; any number where the third is true). The
# user's own attributes only.
_SO_FAR = r"(?: so far| over the years| until now| till now| before| in the past| in my life)?"
_ATTRS = r"(?P<attrs>[a-z][a-z' -]{0,40}?)"
_HISTORY: list[tuple[re.Pattern[str], str | None, bool]] = [
    (re.compile(p, re.I), a, either) for p, a, either in [
        (r"^(?:where(?: all| else)?|(?:in )?(?:which|what) (?:cities|towns|places))(?: have|"
         r" had|'ve) i (?:ever )?(?:lived|been living|resided)(?: in)?" + _SO_FAR + "$", "city",
         False),
        (r"^(?:(?:all )?the )?(?:cities|towns|places) i(?:'ve| have)(?: ever)? lived in"
         + _SO_FAR + "$", "city", False),
        (r"^(?:where(?: all| else)?|who|(?:which|what) (?:companies|employers|firms))(?: have|"
         r" had|'ve) i (?:ever )?worked(?: for| at)?" + _SO_FAR + "$", "employer", False),
        (r"^(?:(?:all )?the )?(?:companies|employers|firms|places) i(?:'ve| have)(?: ever)? "
         r"worked(?: for| at)?" + _SO_FAR + "$", "employer", False),
        (r"^(?:what|which) (?:jobs|roles|positions|professions|occupations)(?: have| had|'ve) "
         r"i (?:ever )?(?:had|held|done|worked(?: as)?)" + _SO_FAR + "$", "job", False),
        (r"^what (?:were|have been) (?:all )?(?:of )?my (?:old |previous |past |former "
         r"|earlier )?" + _ATTRS + _SO_FAR + "$", None, False),
        (r"^what (?:are|were) (?:all )?(?:of )?my (?:old|previous|past|former|earlier) "
         + _ATTRS + "$", None, False),
        (r"^what (?:has|have) my " + _ATTRS + r" been(?: over (?:the years|time))?" + _SO_FAR
         + "$", None, False),
        (r"^(?:list|name) (?:all )?(?:of )?my (?:old |previous |past |former |earlier )?"
         + _ATTRS + _SO_FAR + "$", None, False),
        (r"^(?:what is |what's )?(?:the )?history of my " + _ATTRS + "$", None, True),
    ]]


# Plurals of words in -ie, which "-ies -> -y" would get wrong.
_IE_PLURALS = frozenset({"movies", "cookies", "smoothies", "pies", "ties", "selfies", "rookies",
                         "calories", "zombies", "hoodies", "brownies", "genies", "sweeties"})


# Plurals of words in -is.
_IS_PLURALS = frozenset({"diagnoses", "prognoses", "analyses", "theses", "crises", "neuroses"})


# Questions whether an attribute of the user's ever had a value ("did I ever live in Porto?",
# "have I worked at Acme?", "was I ever a nurse?"): (pattern with the value, attribute).
_EVER_WORDS = r"(?:ever |once |previously |already )?"
_VALUE = r"(?P<value>[\w'’.&-]+(?: [\w'’.&-]+){0,5}?)"
_EVER: list[tuple[re.Pattern[str], str]] = [(re.compile(p, re.I), a) for p, a in [
    (r"^(?:did|have|had) i " + _EVER_WORDS + r"(?:live|lived|been living|resided?) (?:in|at) "
     + _VALUE + _SO_FAR + "$", "city"),
    (r"^(?:did|have|had) i " + _EVER_WORDS + r"(?:work|worked|been working) (?:at|for) "
     + _VALUE + _SO_FAR + "$", "employer"),
    (r"^(?:did|have|had) i " + _EVER_WORDS + r"(?:work|worked|been working) as (?:an? )?"
     + _VALUE + _SO_FAR + "$", "job"),
    (r"^(?:was|have) i " + _EVER_WORDS + r"(?:been )?an? " + _VALUE + _SO_FAR + "$", "job"),
]]
# ... and whether it is that now ("am I allergic to peanuts?", "do I still live in Porto?",
# "do I like jazz?").
_STILL = r"(?:still |also |currently |really |actually )?"
_NOW: list[tuple[re.Pattern[str], str]] = [(re.compile(p, re.I), a) for p, a in [
    (r"^(?:am|are) i " + _STILL + r"allergic to (?:any |the )?" + _VALUE + "$", "allergy"),
    (r"^do i " + _STILL + r"have (?:an? )?(?:allergy|allergies) to (?:any |the )?" + _VALUE
     + "$", "allergy"),
    (r"^do i " + _STILL + r"(?:live|reside|stay) in " + _VALUE + "$", "city"),
    (r"^(?:am|are) i " + _STILL + r"(?:living|based|staying) in " + _VALUE + "$", "city"),
    (r"^do i " + _STILL + r"work (?:at|for) " + _VALUE + "$", "employer"),
    (r"^(?:am|are) i " + _STILL + r"(?:working|employed) (?:at|for|by) " + _VALUE + "$",
     "employer"),
    (r"^do i " + _STILL + r"work as (?:an? )?" + _VALUE + "$", "job"),
    (r"^do i " + _STILL + r"(?:like|love|enjoy) " + _VALUE + "$", "likes"),
    (r"^do i " + _STILL + r"(?:dislike|hate) " + _VALUE + "$", "dislikes"),
]]


def ever_question(text: str, user_name: str) -> CanonicalQuestion | None:
    """The canonical question whether one of the user's attributes ever had a value ("did I
    ever live in Porto?" -> Alice's city, `history=True`, `value="Porto"`), or has it now
    ("am I allergic to peanuts?": `now=True` too), or None."""
    q = _normalized(text)
    if q is None:
        return None
    for pattern, attr in _EVER:
        m = pattern.match(q)
        if m is not None:
            return _q(user_name, attr, True, history=True, value=m.group("value"))
    for pattern, attr in _NOW:
        m = pattern.match(q)
        if m is not None:
            return _q(user_name, attr, True, history=True, value=m.group("value"), now=True)
    m = _IS_NAMED.match(q)
    if m is not None and (not m.group("rel") or relation_name(m.group("rel")) in {
            relation_name(r) for r in RELATIONS}):
        # "is my name Bob?", "is my brother named Mike?", "is my mom's name Ann?"
        attr = f"{relation_name(m.group('rel'))}'s name" if m.group("rel") else "name"
        return _q(user_name, attr, True, history=True, value=m.group("value"), now=True)
    return None


_IS_NAMED = re.compile(r"^is my (?:(?P<rel>[a-z-]+)(?:'s name| (?:named|called))|name) "
                       r"(?P<value>[\w'’.-]+(?: [\w'’.-]+)?)$", re.I)


def _singular(words: str) -> str | None:
    """The singular of a spoken plural attribute ("cities" -> "city", "phone numbers" ->
    "phone number"), or None when its last word is no plural."""
    if words in ("likes", "dislikes"):  # stored under the plural
        return words
    head, _, last = words.rpartition(" ")
    if last in _IE_PLURALS:
        last = last[:-1]  # "movies" -> "movie", not "movy"
    elif last in _IS_PLURALS:
        last = last[:-2] + "is"  # "diagnoses" -> "diagnosis"
    elif last.endswith("ies") and len(last) > 4:
        last = last[:-3] + "y"
    elif re.search(r"(?:ss|x|z|ch|sh)es$", last):
        last = last[:-2]
    elif last.endswith("s") and not last.endswith(("ss", "us", "is")) and len(last) > 2:
        last = last[:-1]
    else:
        return None
    return f"{head} {last}".strip()


def history_question(text: str, user_name: str) -> CanonicalQuestion | None:
    """The canonical question for every value of one of the user's attributes over time
    ("where have I lived?", "what were my previous jobs?" -> Alice's city or job,
    `history=True`), or None. A plural the question names must be one: "what were my
    previous address?" asks for one value (`past_question`)."""
    q = _normalized(text)
    if q is None:
        return None
    q = _ASKING.sub("", q, count=1)  # "tell me all the cities I've lived in"
    for pattern, attr, either in _HISTORY:
        m = pattern.match(q)
        if m is None:
            continue
        if attr is None:
            spoken = m.group("attrs")
            singular = _singular(spoken)
            if singular is None and not either:
                return None  # a singular: one value ("what were my previous address?")
            attr = attribute_name(singular or spoken)
        return _q(user_name, attr, True, history=True)
    return None


# Question words as people mistype them ("waht is my job", "wher do i liv"): mended before
# the patterns read a question (and before the assistant tells a question from a statement)
_TYPOS = {"waht": "what", "whta": "what", "wat": "what", "wht": "what", "hwat": "what",
          "wher": "where", "whre": "where", "wehre": "where", "wheer": "where",
          "wrok": "work", "werk": "work", "wokr": "work",
          "naem": "name", "nmae": "name", "allergc": "allergic", "alergic": "allergic",
          "adress": "address", "addres": "address", "adres": "address", "hwo": "how", "jbo": "job", "brithday": "birthday", "birhtday": "birthday",
          "bday": "birthday", "hobbys": "hobbies", "sistr": "sister", "bro": "brother",
          "sis": "sister", "numbr": "number", "nuber": "number", "emial": "email",
          "whos": "who's", "wats": "what's", "wen": "when", "whn": "when"}
# (lower case only: "Wat" or "Liv" written with a capital is a name)
_TYPO = re.compile(r"\b(" + "|".join(_TYPOS) + r")\b")
# "liv" only as the verb after its subject ("wher do i liv"; not the name Liv)
_LIV = re.compile(r"\b(i|we|you|they|do i|does he|does she)\s+liv\b")
# "hw" only as "how" before what follows "how" in a question ("hw many pets do i have"; not
# homework: "hw is killing me")
_HW = re.compile(r"\bhw(?=\s+(?:many|much|old|long|far|often|do|does|did)\b)")
_R_ARE = re.compile(r"^(what|where|who|how|when)\s+r\b", re.I)  # "what r my pets names"


# In a question typed all in lower case, the word a question about a person asks of
# ("who is emma", "where does tom live", "how old is leo"): a name, as if capitalised
_LOWER_ASKED = re.compile(
    r"^((?:who|where|what|when|how old)(?:'s|\s+(?:is|does|did|was)))\s+([a-z][a-z'-]+)\b")
_NOT_ASKED_NAMES = frozenset("""my your his her their our its the a an it he she they we i
you me him them us this that these those there here someone somebody everyone everybody
anyone anybody nobody people all every each some any one mine yours who what when where why
how up going doing being so not ur u home love life time work school sis bro nan nana gran
granny grandad""".split()) | set(
    KIN_NAMES) | {r for r in RELATIONS if " " not in r}


def _capitalised_name(q: str) -> str:
    """`q` (all in lower case) with the name a question about a person asks of capitalised
    ("where does emma live" -> "where does Emma live")."""
    m = _LOWER_ASKED.match(q)
    if m is None or m.group(2) in _NOT_ASKED_NAMES or m.group(2).removesuffix("'s") in \
            _NOT_ASKED_NAMES:
        return q
    return q[:m.start(2)] + m.group(2)[:1].upper() + q[m.start(2) + 1:]


def asked_name_capitalised(text: str) -> str:
    """`text`, when typed all in lower case, with mistyped question words mended and the name
    a question about a person asks of capitalised; else `text` as it is."""
    if any(c.isupper() for c in text):
        return text
    return _capitalised_name(mended(text))


def mended(text: str) -> str:
    """`text` with mistyped question words mended ("waht is my job" -> "what is my job")."""
    text = _HW.sub("how", _LIV.sub(r"\1 live", _TYPO.sub(lambda m: _TYPOS[m.group(1)], text)))
    return _R_ARE.sub(lambda m: f"{m.group(1)} are", text.lstrip())


def _normalized(text: str) -> str | None:
    """`text` as the question patterns read it: one space between words, no greeting before
    and no question mark after; None for a text too long to be a question about one fact
    (the patterns then stay cheap)."""
    if len(text) > MAX_QUESTION_CHARS:
        return None
    q = mended(" ".join(text.strip().replace("’", "'").split()))
    if not any(c.isupper() for c in q):
        q = _capitalised_name(q)
    q = re.sub(r"^(?:(?:hey|hi|hello|ok|okay|so|and|quick question|sorry|um+|oh)[,:!]?\s+)+", "",
               q, flags=re.I)
    # typed without apostrophes: "whats my dogs name", "wheres my sister live"
    q = re.sub(r"^(what|where|who|when|how)s\b", r"\1's", q, flags=re.I)
    return _BARE_POSSESSIVE.sub(r"\1's ", q.rstrip("?.! "))


# "my dogs name": "my dog's name" (one relative's attribute, not a plural's: "my kids' names")
_BARE_POSSESSIVE = re.compile(
    rf"\b(my (?:{_KIN_RE}))s (?={POSSESSED_ATTRIBUTES_RE}$)", re.I)


# What a question for an earlier value says it was before ("where did I live before
# Lisbon?", "... before I moved to Lisbon", "who did I work for before joining Acme?"): the
# value named, when the user's facts hold it (`value`), is the one whose predecessor is asked.
_BEFORE_VALUE = re.compile(
    r"\bbefore (?:(?:i|we|he|she|they) (?:moved|relocated|went|came|got) (?:back )?(?:to|in) |"
    r"moving (?:back )?to |(?:i|we|he|she|they) (?:lived|was living|were living|settled) in |"
    r"living in |(?:i|we|he|she|they) (?:started|joined|worked) (?:at|for|with) |"
    r"(?:i|we|he|she|they) joined |"
    r"joining |working (?:at|for) |starting (?:at|with) |(?:i|we|he|she|they) became (?:an? )?|"
    r"becoming (?:an? )?)?(?P<value>[\w'.&-]+(?: [\w'.&-]+){0,4})$", re.I)


def past_question(text: str, user_name: str) -> CanonicalQuestion | None:
    """The canonical question for the value before the current one ("where did I live before
    I moved to Leeds?" -> Alice's city, `past=True`), or None. The value it names as what
    came after ("before Lisbon", "before I moved to Leeds") is `value`: the assistant
    answers with the value before that one when the user's facts hold it, else with the
    value before the current one."""
    q = _normalized(text)
    if q is None:
        return None
    q = _ASKING.sub("", q, count=1)  # "remind me, where did I live before?"
    for pattern, subject, attr in _PAST:
        m = pattern.match(q)
        if m is None:
            continue
        if "did" in q.lower() and not re.search(r"\b(?:before|previously|use to)\b", q, re.I):
            return None  # "where did I live?" with nothing past about it: the present question
        groups = m.groupdict()
        attribute = attr or asked_attribute(groups["attr"])
        if subject == "rel":
            attribute = f"{relation_name(groups['rel'])}'s {attribute}"
        before = _BEFORE_VALUE.search(q)
        value = before.group("value") if before is not None else None
        if value is not None and re.match(r"(?:i|we|he|she|they|you|it)\b", value, re.I):
            value = None  # "before she left him": an event, no value
        if subject == "name":
            name = groups["name"]
            return _q(name[:1].upper() + name[1:], attribute, False, past=True, value=value)
        return _q(user_name, attribute, True, past=True, value=value)
    return None


# A period a question is asked of, at its end: "(where did I live) in 2019?", "... back in
# March 2015?", "... during 2020?"
_PERIOD_ASKED = re.compile(
    r"\s+(?:back\s+)?(?:in|during)\s+(?:(?P<month>" + "|".join(
        sorted((m for m in MONTHS if len(m) > 3 or m == "may"), key=len, reverse=True))
    + r")\s+)?(?P<year>(?:19|20)\d\d)(?=\s*\??\s*$)", re.I)


def period_question(text: str) -> tuple[str, tuple[date, date, str]] | None:
    """A question asked of a period it names at its end ("where did I live in 2019?"): the
    question without it ("where did I live?") and the period (first day, last day, as said:
    "2019", "March 2015"); None when it names none."""
    m = _PERIOD_ASKED.search(text)
    if m is None:
        return None
    year = int(m.group("year"))
    if m.group("month"):
        month = MONTHS[m.group("month").lower()]
        first = date(year, month, 1)
        last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
        said = f"{calendar.month_name[month]} {year}"
    else:
        first, last, said = date(year, 1, 1), date(year, 12, 31), str(year)
    rest = (text[:m.start()] + text[m.end():]).rstrip()
    rest = rest if rest.endswith("?") else rest + "?"
    # asked of the present, as every question of one value is ("where did I live?" ->
    # "where do I live?"): which value held then is the assistant's to find
    for pattern, now in _PRESENT_TENSE:
        rest = pattern.sub(now, rest)
    return rest, (first, last, said)


_PRESENT_TENSE = [(re.compile(r"\bdid\s+(i|you|we)\b", re.I), r"do \1"),
                  (re.compile(r"\bdid\s+(?=(?:my|your|our)\s|[A-Z])"), "does "),
                  (re.compile(r"\bwas\s+(i)\b", re.I), r"am \1"),
                  (re.compile(r"\b(i)\s+was\b", re.I), r"\1 am"),
                  (re.compile(r"\bwere\s+(you|we)\b", re.I), r"are \1"),
                  (re.compile(r"\bwas\b", re.I), "is")]


def kin_questions(cq: CanonicalQuestion) -> list[CanonicalQuestion]:
    """The questions a question about a kind of relative stands for: "What is Alice's
    spouse's name?" is asked as itself, then of her husband, wife and partner (`KIN_GROUPS`);
    any other question is itself alone."""
    rel, sep, attribute = cq.attribute.partition("'s ")
    if not cq.about_user or not sep or rel not in KIN_GROUPS:
        return [cq]
    return [cq, *(replace(_q(cq.subject, f"{kin}'s {attribute}", True, past=cq.past),
                          during=cq.during)
                  for kin in KIN_GROUPS[rel])]


def relation_words(relation: str) -> frozenset[str]:
    """The words a turn may name a relation by ("mother": mother, mum, mom, mummy, ...; a kind
    of relative: its own word and every relation of the kind), lowercased."""
    names = {relation, *KIN_GROUPS.get(relation, ())}
    if relation == "spouse":
        names |= {"married", "marry", "marriage", "wedding", "spouse"}
    words = set(names)
    for spoken, stored in [*RELATION_ALIASES.items(), *KIN_NAMES.items()]:
        if stored in names:
            words.add(spoken)
    return frozenset(words)


# Words a turn speaks of an attribute with when it does not name it ("How old am I?": "I
# turned 40", "I'm 34 years old"), besides the attribute's own words. A word of five letters
# or more also stands for its other endings ("allergic": allergies, allergy; `_stem`).
_ATTRIBUTE_WORDS: dict[str, tuple[str, ...]] = {
    "age": ("age", "aged", "old", "older", "year", "years", "turn", "turned", "turning",
            "birthday", "born"),
    "birthday": ("birthday", "bday", "birth", "born", "birthdate"),
    "city": ("live", "lives", "lived", "living", "move", "moved", "moving", "relocated",
             "relocating", "city", "town", "home", "based", "settled", "apartment", "flat",
             "house", "neighbourhood", "neighborhood"),
    "home town": ("grew", "grow", "growing", "raised", "born", "home", "town", "native",
                  "originally", "childhood"),
    "address": ("address", "street", "road", "avenue", "lane", "live", "lives", "living", "moved",
                "flat", "apartment", "house", "postcode", "zip"),
    "employer": ("work", "works", "worked", "working", "job", "jobs", "employer", "employed",
                 "company", "hired", "joined", "office", "firm", "boss", "career", "colleagues",
                 "coworkers"),
    "job": ("work", "works", "worked", "working", "job", "jobs", "career", "profession",
            "occupation", "employed", "hired", "promoted", "promotion", "role", "position",
            "living", "trained", "training", "qualified"),
    "allergy": ("allergic", "allergy", "allergies", "intolerant", "intolerance", "reaction",
                "epipen", "anaphylaxis", "anaphylactic"),
    "name": ("name", "named", "names", "call", "called", "calls"),
    "last name": ("name", "named", "surname", "called", "maiden"),
    "email": ("email", "mail", "gmail", "inbox", "address"),
    "phone number": ("phone", "number", "mobile", "cell", "call", "text", "whatsapp"),
    "likes": ("like", "likes", "love", "loves", "enjoy", "enjoys", "fan", "favorite", "favourite",
              "adore", "prefer", "obsessed", "hobby", "hobbies"),
    "dislikes": ("dislike", "dislikes", "hate", "hates", "stand", "detest", "avoid", "fan"),
    "preference": ("prefer", "prefers", "preference", "rather", "like", "love", "favorite",
                   "favourite"),
    "favorite": ("favorite", "favourite", "love", "like", "best", "prefer", "fan"),
    # "what's my diet?": "I'm vegan now", "I don't eat meat anymore"
    "diet": ("diet", "vegan", "vegetarian", "veggie", "pescatarian", "pescetarian",
             "flexitarian", "meat", "keto", "paleo", "gluten", "dairy"),
    # "what's my salary?": "I earn about 55k a year"
    "salary": ("salary", "earn", "earns", "earning", "income", "paid", "wage", "wages"),
}


def _stem(word: str) -> str:
    """What a word's other endings share: a word of five letters or more less its last two
    ("allergic" -> "allerg"), a shorter one itself."""
    return word[:max(4, len(word) - 2)] if len(word) >= 5 else word


def attribute_words(attribute: str) -> frozenset[str]:
    """The words (stems, `_stem`) a turn about `attribute` is likely to hold: the
    attribute's own words and those of `_ATTRIBUTE_WORDS` ("age": old, years, turned, ...);
    for a relative's attribute ("brother's employer"), those of the attribute itself."""
    attribute = attribute.rpartition("'s ")[2].lower()
    words = set(re.findall(r"[a-z]+", attribute)) - {"s", "my", "of", "the"}
    words |= set(_ATTRIBUTE_WORDS.get(attribute, ()))
    if attribute.startswith("favorite "):
        words |= set(_ATTRIBUTE_WORDS["favorite"])
    return frozenset(_stem(w) for w in words)


def spoken_words(attribute: str) -> tuple[str, ...]:
    """The words people say `attribute` with (`_ATTRIBUTE_WORDS`; a relative's attribute:
    those of the attribute itself), for a search of the turns that speak of it."""
    return _ATTRIBUTE_WORDS.get(attribute.rpartition("'s ")[2].lower(), ())


def mentions_attribute(words: set[str] | frozenset[str], attribute: str) -> bool:
    """Whether one of `words` (a text's lowercased words) speaks of `attribute`
    (`attribute_words`: "turned" of an age, "allergies" of an allergy) or is one of the
    values the reader knows it by (an occupation of a job: "physiotherapist")."""
    if attribute.rpartition("'s ")[2].lower() == "job":
        from memos.reader.rules import JOBS

        if not JOBS.isdisjoint(words):
            return True
    stems = attribute_words(attribute)
    return any(w in stems or (len(w) >= 5 and _stem(w) in stems)
               or any(len(s) >= 5 and w.startswith(s) for s in stems) for w in words)


# Questions for all the user's facts at once ("what do you know about me?").
_ABOUT_ME = re.compile(
    r"^(?:(?:so |and )?(?:what|how much)(?: else| all| exactly)? (?:do|did) you (?:know|remember|"
    r"recall|have(?: stored| saved| on file)?)(?: about| on| of) (?:me|myself)|"
    r"what (?:have|did) (?:i told|i tell|you (?:learned|learnt|stored|saved|kept|noted)) "
    r"(?:you )?about (?:me|myself)|"
    r"what (?:have i|did i) (?:told|tell) you(?: so far)?|"
    r"(?:everything|all|what|anything) you (?:know|remember|have(?: stored| saved)?) about "
    r"(?:me|myself)|"
    r"(?:anything|everything|much|a lot) about (?:me|myself)|"
    r"what do you know(?: about me)? so far|who am i to you|tell me about (?:me|myself))$", re.I)


def about_me_question(text: str) -> bool:
    """Whether `text` asks for everything remembered about the user ("What do you know about
    me?", "Tell me everything you know about me", "What have I told you so far?")."""
    q = _normalized(text)
    if q is None:
        return False
    q = _TRAILING.sub("", q)
    q = _ASKING.sub("", q, count=1)
    return bool(_ABOUT_ME.match(q))


# Questions for the names of every relative of a kind, said in the plural ("what are my
# pets' names?", "who are my sisters?", "what are my kids called?").
_PLURAL_KIN = re.compile(
    r"^(?:(?:can you )?(?:tell me |remind me |list |name )(?:all )?(?:of )?|"
    r"(?:what|who) (?:are|were) (?:all )?(?:the names of )?|(?:what|who) is )?"
    r"(?:the names of )?my (?P<rels>[a-z][a-z -]*?s|children|grandchildren)['’]?"
    r"(?: names?| called)?$", re.I)
_PLURAL_IRREGULAR = {"children": "child", "grandchildren": "grandchild", "puppies": "puppy",
                     "nieces": "niece", "wives": "wife"}


def plural_kin_question(text: str, user_name: str) -> CanonicalQuestion | None:
    """"What are my pets' names?" -> the names of each of the user's pets (`every`: of every
    relation of the kind, `KIN_GROUPS`), or None."""
    q = _normalized(text)
    if q is None:
        return None
    m = _PLURAL_KIN.match(q)
    if m is None:
        return None
    spoken = m.group("rels").lower()
    one = _PLURAL_IRREGULAR.get(spoken) or (spoken[:-1] if spoken.endswith("s") else spoken)
    rel = relation_name(one)
    if rel not in KIN_GROUPS and rel not in {relation_name(r) for r in RELATIONS}:
        return None
    return _q(user_name, f"{rel}'s name", True, every=True)


# Questions how many relatives of a kind or values of a many-valued attribute the user has
# ("how many kids do I have?", "how many allergies have I got?", "how many things am I
# allergic to?"). Other questions "how many" ("how many times did I go to Paris?", "how many
# cars do I have?") are not counts of a kind the reader writes: `count_question` is None.
_COUNT = re.compile(
    r"^how many (?P<kind>[a-z][a-z' -]{0,40}?) (?:(?P<allergic>(?:am i|i am|i'm) allergic to)|"
    r"(?:do (?:i|we) (?:have|own|have got)|have (?:i|we) got|(?:i|we) (?:have|own|have got|"
    r"'ve got|got)))(?: in total| altogether| all together| in all)?$", re.I)
_COUNT_WORDS = {"kids": "child", "kid": "child", "grandkids": "grandchild",
                "grandkid": "grandchild", "siblings": "sibling", "brothers and sisters": "sibling",
                "sisters and brothers": "sibling", "brothers or sisters": "sibling",
                "sisters or brothers": "sibling", "allergies": "allergy", "allergy": "allergy"}
# Words before the kind that do not change it ("little kids", "food allergies").
_COUNT_ADJECTIVES = re.compile(r"^(?:(?:little|young|small|grown|grown-up|adult|teenage|older|"
                               r"younger|big|baby|furry|food|different|known|severe|real|lovely|"
                               r"beautiful|wonderful|amazing|gorgeous|cute|crazy|adopted)\s+)+",
                               re.I)
_COUNTABLE_ATTRIBUTES = frozenset({"allergy"})  # many-valued attributes a question counts


def count_kind(spoken: str) -> str | None:
    """The kind of relative ("child", "sister", "pet") or the many-valued attribute
    ("allergy") a plural names ("kids", "my little ones" no; "sisters", "food allergies"), or
    None when it is neither ("times", "cars")."""
    words = " ".join(spoken.lower().replace("’", "'").split())
    words = _COUNT_ADJECTIVES.sub("", words)
    if words in _COUNT_WORDS:
        return _COUNT_WORDS[words]
    one = _PLURAL_IRREGULAR.get(words) or (words[:-3] + "y" if words.endswith("ies")
                                           else words[:-1] if words.endswith("s") else words)
    one = _COUNT_WORDS.get(one, one)
    if one in _COUNTABLE_ATTRIBUTES:
        return one
    rel = relation_name(one)
    rel = "child" if rel == "kid" else rel
    if rel in KIN_GROUPS or rel in {relation_name(r) for r in RELATIONS}:
        return rel
    return None


def plural(kind: str) -> str:
    """The plural a count is said with ("child" -> "children", "allergy" -> "allergies")."""
    if kind in _SINGULAR_TO_PLURAL:
        return _SINGULAR_TO_PLURAL[kind]
    if kind.endswith("y") and kind[-2:-1] not in "aeiou":
        return kind[:-1] + "ies"
    if kind.endswith(("s", "sh", "ch", "x")):
        return kind + "es"
    return kind + "s"


_SINGULAR_TO_PLURAL = {one: many for many, one in _PLURAL_IRREGULAR.items()}


# Questions whether the user has relatives or pets of a kind, or which ("do I have any kids?",
# "do I have a dog?", "what pets do I have?", "have I got any siblings?"): answered as the
# count of the kind, with the names known.
_HAVE_KIN = re.compile(
    r"^(?:(?:do|did) (?:i|we) (?:still |also |even |actually )?(?:have|own|have got)|"
    r"have (?:i|we) got)(?: any| an?| some)? (?P<kind>[a-z][a-z' -]{0,40}?)$|"
    r"^(?:what|which)(?: kind of| sort of)? (?P<which>[a-z][a-z' -]{0,40}?) do (?:i|we) "
    r"(?:have|own|have got)$", re.I)


def _have_kin(q: str) -> str | None:
    """The kind of relative a question whether (or which) the user has asks about ("do I
    have any kids?" -> "child", "what pets do I have?" -> "pet"), or None; never a
    many-valued attribute ("do I have any allergies?" asks for them as they are)."""
    m = _HAVE_KIN.match(q)
    if m is None:
        return None
    kind = count_kind(m.group("kind") or m.group("which"))
    return None if kind is None or kind in _COUNTABLE_ATTRIBUTES else kind


def count_question(text: str, user_name: str) -> CanonicalQuestion | None:
    """"How many kids do I have?" -> the names of each of the user's children (`every`,
    `count`: "What is Alice's child's name?" of every relation of the kind); "how many
    allergies do I have?" -> Alice's allergy (`count`); None for another question, or one
    "how many" of a kind the reader writes no facts of ("how many times did I go to
    Paris?")."""
    q = _normalized(text)
    if q is None:
        return None
    q = _ASKING.sub("", _TRAILING.sub("", q), count=1)  # "do you know how many kids I have"
    m = _COUNT.match(q)
    if m is None:
        kin = _have_kin(q)
        return None if kin is None else _q(user_name, f"{kin}'s name", True, every=True,
                                           count=True)
    kind = "allergy" if m.group("allergic") else count_kind(m.group("kind"))
    if kind is None:
        return None
    if kind in _COUNTABLE_ATTRIBUTES:
        return _q(user_name, kind, True, count=True)
    return _q(user_name, f"{kind}'s name", True, every=True, count=True)


@dataclass(frozen=True)
class StatedCount:
    """A count the user stated of their own relatives or values ("I have two kids, Maya and
    Leo" -> kind "child", number 2, names Maya and Leo)."""

    kind: str
    number: int
    names: tuple[str, ...] = ()


_NUMBER = r"(?P<n>\d{1,2}|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + ")"
_KIND = r"(?P<kind>[a-z-]+(?:\s+[a-z-]+){0,2})"  # the kind is the fewest of these words
# Where a count is stated: the first person at a clause's start (after a filler, or after
# "and"/"but"), "I have", "we've got", "I don't have any", or "I'm a mum of two".
_COUNT_OPENING = (r"(?:^|[,;]\s+|\s(?:and|but|so)\s+)(?:(?:well|yeah|yes|oh|also|ok|okay|"
                  r"actually|now|btw|fyi|so|honestly|anyway|um|hey|hi)[,!]?\s+)*")
_ME = r"(?:(?:my (?:husband|wife|partner|boyfriend|girlfriend|spouse) and )?i|we)"
_STATED = [re.compile(_COUNT_OPENING + p, re.I) for p in [
    _ME + r"(?:'ve(?:\s+got)?|\s+(?:(?:now|also|only|both|still|already|actually|currently)\s+)?"
    r"(?:have got|have|got|own))\s+(?:(?:only|just|exactly)\s+)?" + _NUMBER + r"\s+" + _KIND
    + r"(?P<rest>.*)$",
    _ME + r"\s+(?:don't|do not|dont)\s+(?:have|own)\s+(?P<n>any)\s+" + _KIND + r"(?P<rest>.*)$",
    r"(?:i'm|i am)\s+(?:a\s+)?(?:proud\s+|busy\s+|single\s+|happy\s+)?(?:mom|mum|mother|"
    r"dad|father|parent|mama|papa)\s+(?:of|to)\s+" + _NUMBER + r"(?P<kind>)(?P<rest>.*)$",
]]
# Words before a count that make it no statement of the present ("if I have two kids",
# "I wish we had three", "when we have two dogs").
_COUNT_HEDGE = re.compile(r"\b(?:if|when|whenever|once|wish|hope|hoping|want|wanted|wants|would|"
                          r"i'd|we'd|might|maybe|someday|unless|imagine|dream|plan|planning)\b",
                          re.I)
_LISTED_NAME = r"(?-i:[A-Z][\w'’-]*)"
_COUNT_NAMES = re.compile(
    r"^\s*(?:[,:(–—-]\s*(?:(?:named|called)\s+)?|\s+(?:named|called)\s+)"
    rf"(?P<names>{_LISTED_NAME}(?:\s*(?:,\s*(?:and\s+)?|\s+and\s+|\s*&\s*){_LISTED_NAME})*)",
    re.I)
# What may follow a count of one's own: the clause's end, names, or another clause ("I have
# 30 kids in my class", "we have two cats coming to stay" count no one's own)
_COUNT_ENDS = re.compile(r"\s*(?:$|[,.!;:(–—-]|\s*(?:and|but|so|now|too|already|named|called|"
                         r"who|which|both|myself|at\s+home|lol|haha)\b)", re.I)
_NOT_LISTED = frozenset("both they and but which who so i we one two the my our he she it a an "
                        "all all of them each".split())


def stated_counts(text: str) -> list[StatedCount]:
    """The counts a user's turn states of their own relatives or values: "I have two kids,
    Maya and Leo." -> [StatedCount("child", 2, ("Maya", "Leo"))]; "We don't have any pets",
    "I have no kids" -> 0; "I'm a mum of three" -> three children. A count said of someone
    else ("my sister has two kids"), asked, wished or hedged ("if I have two kids") is
    none."""
    from memos.reader.rules import clauses

    out: list[StatedCount] = []
    for clause in clauses(text.replace("’", "'")):
        if clause.rstrip().endswith("?"):
            continue
        for pattern in _STATED:
            m = pattern.search(clause)
            if m is None or _COUNT_HEDGE.search(clause[:m.start("n")]):
                continue
            spoken = m.group("n").lower()
            number = 0 if spoken == "any" else NUMBER_WORDS.get(spoken)
            if number is None:
                number = int(spoken)
            kind, rest = ("child", m.group("rest")) if not m.group("kind") else (None, "")
            words = m.group("kind").split()
            for size in range(1, len(words) + 1):  # "two lovely kids named Maya": "lovely kids"
                kind = count_kind(" ".join(words[:size]))
                if kind is not None:
                    spoken = re.match(rf"[a-z-]+(?:\s+[a-z-]+){{{size - 1}}}",
                                      clause[m.start("kind"):], re.I)
                    rest = clause[m.start("kind") + (spoken.end() if spoken else 0):]
                    break
            if kind is None or not _COUNT_ENDS.match(rest):
                continue  # "I have 30 kids in my class", "two cats coming to stay"
            names: tuple[str, ...] = ()
            listed = _COUNT_NAMES.match(rest)
            if listed is not None and number:
                found = [n for n in re.split(r"\s*(?:,\s*(?:and\s+)?|\s+and\s+|\s*&\s*)",
                                             listed.group("names")) if n]
                if len(found) <= number and not any(n.lower() in _NOT_LISTED for n in found):
                    names = tuple(found)
            out.append(StatedCount(kind, number, names))
            break
    return out


def _written_attribute(attribute: str) -> bool:
    """Whether the reader writes facts of `attribute` (a favourite, a hobby, an attribute it
    has words for: `_ATTRIBUTE_WORDS`)."""
    return attribute.startswith("favorite ") or attribute in _ATTRIBUTE_WORDS or \
        attribute in {"hobby", "allergy", "nickname", "pet"}


def canonical_question(text: str, user_name: str) -> CanonicalQuestion | None:
    """The model's question for `text` ("what is my sister's name?" -> "What is Alice's
    sister's name?"), or None when the question is not about one stated fact (then the
    assistant answers another way). `user_name` is the name "I/my" stands for
    (`resolve_user_name`)."""
    plural = plural_kin_question(text, user_name)
    if plural is not None:
        return plural
    q = _normalized(text)
    if q is None:
        return None
    q = _plain_question(q)
    for pattern, subject, attr in _PATTERNS:
        m = pattern.match(q)
        if m is None:
            continue
        groups: dict[str, Any] = m.groupdict()
        if attr == "favorite":
            attr = attribute_name(f"favorite {groups['fav']}")
        if attr == "likes" and (groups.get("cat") or groups.get("verb")):
            # the kind asked ("what music ..."), else the one its verb says ("what do I
            # like to read?", "what stuff do I like eating?")
            verb = re.search(r"\b(?:like|love|enjoy) (?:to )?(listen(?:ing)? to|eat|cook|drink|"
                             r"read|watch|play)(?:ing)?$", q, re.I)
            categories = (groups.get("cat") and question_categories(groups["cat"])) or (
                verb_categories(re.sub(r"ing\b", "", verb.group(1).lower())) if verb
                else frozenset())
            if not categories and (q.lower().startswith("which") or re.search(
                    r"\bdo i (?:listen to|read|watch)$", q, re.I)):
                continue  # "which one do I like?", "what time do I watch?": no kind of like
            return _q(user_name, "likes", True, categories=categories)
        attribute = attr or asked_attribute(groups["attr"])
        if not attribute or attribute in ("it", "that", "this", "problem", "question"):
            return None
        if subject == "user":
            return _q(user_name, attribute, True)
        if subject == "rel":
            return _q(user_name, f"{relation_name(groups['rel'])}'s {attribute}", True)
        who = groups["who"]
        if who.lower() in ("i", "you", "it", "he", "she", "they", "we", "my", "your"):
            return None
        return _q(who, attribute, False)
    many = re.match(r"^what are my ([a-z][a-z' ]{0,40}?[a-z])(ies|s)$", q, re.I)
    if many is not None:  # "what are my hobbies?": each hobby stored ("my hobby is pottery")
        one = many.group(1)
        one = one[:-1] if one.endswith(("sse", "xe", "che", "she")) else one  # ("glasses")
        ies = many.group(2).lower() == "ies"
        one += ("ie" if one.endswith(("v", "k", "th", "zomb", "selv", "selfi", "p", "t"))
                and not one.endswith(("part", "count")) else "y") if ies else ""
        found = canonical_question(f"what is my {one}?", user_name)
        # only an attribute the reader writes ("what are my options?" asks of no fact)
        return found if found is not None and _written_attribute(found.attribute) else None
    return None


__all__ = ["KIN_GROUPS", "CanonicalQuestion", "StatedCount", "about_me_question",
           "attribute_words", "canonical_question", "count_kind", "count_question",
           "ever_question", "history_question", "kin_questions",
           "mentions_attribute", "past_question", "period_question", "plural",
           "plural_kin_question", "relation_words",
           "resolve_user_name", "spoken_words", "stated_counts",
           "stored_user_name", "user_display_name", "user_key"]
