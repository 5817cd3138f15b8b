"""What a fresh-eyes user of the assistant found (session 46):

- "my friend from work invited me to her wedding" stored the friend's home town "work
  invited me to her wedding"; "my best friend from college", "my boyfriend is from work",
  "i work at night mostly" stored "college", "work", "night mostly". "My friend from Leeds
  is visiting" stored "Leeds is visiting".
- "forget that i have diabetes, that's private" and "please forget my diabetes" found
  nothing ("I had nothing stored about ...") and the turn was still quoted; "forget
  everything about me" looked for "me"; "delete everything you know about me" was noted
  as a statement.
- "ugh my name is mud after that meeting lol" renamed the user Mud.
- "my sister said: i work at Google" was the user's employer.
- The user's own earlier question ("where will i be living in may?") was quoted as the
  answer to "where do i live?".
- Names typed in lower case were lost: "my sister maya is 34", "my husband tom and i ...",
  "we adopted a dog last week, his name is biscuit".
- "my sister's wedding is in june", said in January, was read as last June.
- "our son Leo was born in May" gave Leo the home town May; "Our baby girl Zoe was born
  yesterday!!" and "I have another sister named Ana" were not read."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from memos import MemOS
from memos.reader.rules import extract
from tests.assistant.helpers import ask, tell

AT = datetime(2026, 6, 1, 12, tzinfo=UTC)


def read(text: str) -> set[tuple[str, str]]:
    return {(e.attribute, e.value) for e in extract(text, "Alice", "user:alice", AT)
            if not e.negated}


@pytest.mark.parametrize(("text", "expected"), [
    ("my friend from work invited me to her wedding", set()),
    ("had lunch with marco today, he's my best friend from college", set()),
    ("my boyfriend is from work haha", set()),
    ("i work at night mostly", set()),
    ("i work at home mostly", set()),
    ("my friend, from Leeds, says hi", set()),
    ("My friend from Leeds is visiting", {("friend's home town", "Leeds")}),
    ("my cousin from spain is visiting", {("cousin's home town", "Spain")}),
    ("my sister is from Leeds", {("sister's home town", "Leeds")}),
    ("My dad is originally from Lagos", {("father's home town", "Lagos")}),
    ("ugh my name is mud after that meeting lol", set()),
    ("my sister said: i work at Google", set()),
    ("My friend told me: I live in Paris. I live in Rome.", {("city", "Rome")}),
    ("I said: I work at Google", {("employer", "Google")}),
    ("Like I said: I work at Google", {("employer", "Google")}),
    ("My friend from Google invited me", set()),
    ("My friend from Leeds Tom is visiting", {("friend's home town", "Leeds")}),
    ("I'm from Mar del Plata", {("home town", "Mar del Plata")}),
    ("My son is doing ok, he was born in Victoria", {("son's home town", "Victoria")}),
    ("my husband tonight and i are going out", set()),
    ("my mom though and i never got along", set()),
    ("Got a new kitten! named her Pepper", {("cat's name", "Pepper")}),
    # a regression probe: values end at "not", "mostly", "then"; idioms and habits
    ("I like tea not coffee", {("likes", "tea")}),
    ("I'm allergic to nuts mostly", {("allergy", "nuts")}),
    ("I started at Goldman Sachs then moved to JPMorgan", {("employer", "Goldman Sachs")}),
    ("My name is nobody's business", set()),
    ("i was born in jan", set()),
    # a persona user: asked to keep, said as a question; others' jokes and sayings
    ("Can you remember that I'm allergic to penicillin?", {("allergy", "penicillin")}),
    ("can you remember my address?", set()),
    ("Peter joked that I am the best cook in Yorkshire.", set()),
    ("Arthur always said I was a terrible driver.", set()),
    ("I've always said my favourite food is pizza", {("favorite food", "pizza")}),
    ("Can you remember that restaurant I like?", set()),
    ("i live at 8 park road, nice and quiet", {("address", "8 park road")}),
    # an address typed in lower case keeps its town (and a new one is the city)
    ("we live at 8 park road, leeds", {("address", "8 park road, leeds")}),
    ("my new address is 14 ash grove, york 🏡", {("address", "14 ash grove, york"),
                                                ("city", "York")}),
    ("my address is 12 main st, thanks", {("address", "12 main st")}),
    # names typed in lower case
    ("my sister maya is 34", {("sister's name", "Maya"), ("age", "34")}),
    ("my husband tom and i have been married since 2015", {("husband's name", "Tom")}),
    ("we got a puppy, his name is max", {("dog's name", "Max")}),
    ("we adopted a dog last week, his name is biscuit", {("dog's name", "Biscuit")}),
    ("my sister is visiting, her name is ana", {("sister's name", "Ana")}),
    ("her name is complicated", set()),
    ("got a new kitten! named her Pepper", {("cat's name", "Pepper")}),
    ("We got a puppy. We named him Max.", {("dog's name", "Max")}),
    ("named her after my mom", set()),
    # a value said with the wrong one after it: the value alone
    ("oops typo, i work at stripe not stipe", {("employer", "stripe")}),
    ("I live in Bergen not far from Oslo", {("city", "Bergen")}),
    ("Our baby girl Zoe was born yesterday!!", {("daughter's name", "Zoe")}),
    ("our baby boy Leo arrived on Monday", {("son's name", "Leo")}),
    ("I have another sister named Ana", {("sister's name", "Ana")}),
    # a month is no home town
    ("our son Leo was born in May", {("son's name", "Leo")}),
    ("I was born in Mayfield", {("home town", "Mayfield")}),
    # news said first
    ("big news, moved to bergen last week!", {("city", "bergen")}),
    ("guess what, got a new job at Stripe!", {("employer", "Stripe")}),
])
def test_what_is_read(text: str, expected: set[tuple[str, str]]) -> None:
    assert read(text) == expected


def test_forget_in_other_words(mem: MemOS) -> None:
    """Said in other words than stored, nothing is forgotten on a guess (a review: "forget
    that I have a cat" forgot "my sister Ana has a cat" and "I love cat videos"); the turns
    that mention it are shown, to be forgotten by their own words."""
    bot = tell(mem, [(0, "i have type 1 diabetes"), (0, "my dad has diabetes, he takes insulin"),
                     (0, "I live in Lisbon")])
    reply = ask(bot, "forget that i have diabetes, that's private", day=5)
    assert reply.startswith("I have nothing stored as 'that you have diabetes', so I forgot "
                            "nothing. These mention it: ")
    assert '"i have type 1 diabetes"' in reply and '"my dad has diabetes' in reply
    assert reply.endswith('such as "forget that i have type 1 diabetes".')
    assert len(mem.search("diabetes", "alice", k=10, kind="episode")) == 2
    assert ask(bot, "delete my diabetes info", day=5).startswith("I have nothing stored as")
    assert ask(bot, "forget that i have type 1 diabetes", day=6).startswith(
        "Forgotten 1 memory saying that you have type 1 diabetes")
    left = [h.cube.content for h in mem.search("diabetes", "alice", k=10)]
    assert left and all("type 1" not in c for c in left)
    assert any("my dad has diabetes" in c for c in left)


@pytest.mark.parametrize("text", ["remove gluten from my diet plan, I'm allergic to gluten",
                                  "remove the reminder", "delete that"])
def test_delete_said_of_no_memory_is_no_forget_request(mem: MemOS, text: str) -> None:
    bot = tell(mem, [(0, "I live in Lisbon")])
    reply = bot.reply(text, session_id="s5").text
    assert not reply.startswith(("I had nothing", "I have nothing", "Forgotten", "I can only"))


@pytest.mark.parametrize("request_text", [
    "forget everything about me", "delete everything you know about me",
    "please erase all my data", "wipe my data"])
def test_forget_everything_says_how(mem: MemOS, request_text: str) -> None:
    bot = tell(mem, [(0, "I live in Lisbon")])
    assert ask(bot, request_text, day=5).startswith(
        "I can only forget things one at a time here")
    assert ask(bot, "where do I live?").startswith("Your city is Lisbon")


def test_own_questions_are_no_answer(mem: MemOS) -> None:
    bot = tell(mem, [(0, "hi")])
    for question in ("where will i be living in may?", "where do i live?"):
        assert ask(bot, question) == "I don't have anything about that yet."


@pytest.mark.parametrize(("text", "corrects"), [
    ("oops typo, i work at stripe not stipe", "stipe"),
    ("actually i live in bergen, not oslo, sorry", "oslo"),
    # no word that corrects, a change, or no value of that shape: no correction
    ("I work at Stripe not Stipe", ""),
    ("these days I work at Stripe, not Google", ""),
    ("Actually I work at Stripe now, not Google", ""),
    ("I live in Bergen now, not Oslo", ""),
    ("I live in Bergen, not Oslo any more", ""),
    ("i live in bergen not far from oslo", ""),
    ("I'm allergic to peanuts, not shellfish", ""),
])
def test_the_value_a_statement_corrects(text: str, corrects: str) -> None:
    (e,) = [e for e in extract(text, "Alice", "user:alice", AT) if not e.negated]
    assert e.corrects == corrects


def test_a_statement_that_corrects_leaves_no_history(mem: MemOS) -> None:
    bot = tell(mem, [(0, "i work at stipe"), (0, "i live in oslo"),
                     (10, "oops typo, i work at stripe not stipe"),
                     (10, "actually i live in bergen, not oslo, sorry")])
    assert ask(bot, "where do i work?").startswith("Your employer is stripe (since 2 March")
    assert ask(bot, "where did i live before?").startswith(
        "I don't know of any city of yours before this one.")


def test_what_was_before_said_after_the_attribute(mem: MemOS) -> None:
    bot = tell(mem, [(0, "I'm a teacher"), (10, "I'm a designer now")])
    assert ask(bot, "what was my job before?").startswith("Your job was teacher")



@pytest.mark.parametrize(("text", "day"), [
    # an event said to be in a month, an age to come, a trip in the present: the one to come
    ("my sister's wedding is in june", "2026-06-01"),
    ("we fly to japan in march for 2 weeks", "2026-03-01"),
    ("i'm 29, turning 30 in march", "2026-03-01"),
    # the past, said so: the one before
    ("I moved to Rome in march", "2025-03-01"),
    ("the wedding was in june", "2025-06-01"),
    # "is in" of someone, not of the date (a review)
    ("my mom is in hospital since March", "2025-03-01"),
    ("my sister is in Berlin, she moved there in February", "2025-02-01"),
])
def test_a_month_to_come(text: str, day: str) -> None:
    from memos.reader.dates import resolve_dates

    (m,) = resolve_dates(text, datetime(2026, 1, 1, 10, tzinfo=UTC))
    assert m.date.isoformat() == day


def test_an_age_told_long_ago_is_counted_on(mem: MemOS) -> None:
    """"i'm 29" told, asked two years later: it was 29 then (before: "Your age is 29.")."""
    bot = tell(mem, [(0, "i'm 29"), (0, "my son leo is 4")])
    assert ask(bot, "how old am i?", day=800) == (
        "Your age was 29 when you told me on 2 March 2026, so it is about 31 now.")
    assert ask(bot, "how old is leo?", day=800).endswith("so it is about 6 now.")
    assert ask(bot, "how old am i?", day=200) == "Your age is 29 (you told me on 2 March 2026)."


@pytest.mark.parametrize(("question", "attribute"), [
    ("what are my hobbies?", "hobby"), ("what are my favorite foods?", "favorite food"),
    ("what are my addresses?", "address"), ("what are my allergies?", "allergy")])
def test_a_plural_asks_of_each_value(question: str, attribute: str) -> None:
    from memos.reader.questions import canonical_question

    found = canonical_question(question, "Alice")
    assert found is not None and found.attribute == attribute


def test_hobbies_asked_in_the_plural(mem: MemOS) -> None:
    bot = tell(mem, [(0, "my hobby is pottery")])
    assert ask(bot, "what are my hobbies?").startswith("Your hobby is pottery")


@pytest.mark.parametrize("request_text", [
    "I would be grateful if you could forget my address.", "please delete my address",
    "remove my address pls", "Would you kindly forget what I told you about my address?"])
def test_forget_asked_politely(mem: MemOS, request_text: str) -> None:
    bot = tell(mem, [(0, "My address is 27 Willow Lane, Harrogate.")])
    assert ask(bot, request_text, day=5).startswith("Forgotten")
    assert ask(bot, "What is my address?") == "I don't have anything about that yet."


def test_a_persons_details_forgotten(mem: MemOS) -> None:
    bot = tell(mem, [(0, "My sister Kate lives in Manchester."),
                     (0, "My address is 27 Willow Lane, Harrogate.")])
    assert ask(bot, "Please forget my sister's details.", day=5).startswith("Forgotten")
    assert "Manchester" not in ask(bot, "Where does Kate live?")
    assert ask(bot, "remove my shoes from the box", day=6) == "Noted."


def test_a_relatives_name_takes_no_date_of_what_happened() -> None:
    """"My husband Arthur died in 2022": he was her husband before 2022 (a persona user:
    "What was my husband's name in 2015?" found none)."""
    names = [e for e in extract("My husband Arthur died in 2022.", "Alice", "user:alice", AT)
             if e.attribute == "husband's name"]
    assert [(e.value, e.when) for e in names] == [("Arthur", None)]
    (spouse,) = extract("I married Sam in 2020", "Alice", "user:alice", AT)
    assert str(spouse.when) == "2020-01-01"


@pytest.mark.parametrize(("text", "day"), [
    ("I have a job interview at Brightwave on Friday", "2026-01-16"),
    ("we'll go on Friday", "2026-01-16"),
    ("I went there on Friday", "2026-01-09"),
    ("I had an interview on Friday", "2026-01-09"),
    # something done, with a future said beside it (a review): the weekday before
    ("I met my new boyfriend Sam on Friday and we'll meet again soon", "2026-01-09"),
    ("I have a meeting on Monday but I missed it", "2026-01-05"),
])
def test_a_weekday_to_come(text: str, day: str) -> None:
    from memos.reader.dates import resolve_dates

    (m,) = resolve_dates(text, datetime(2026, 1, 11, 10, tzinfo=UTC))  # a Sunday
    assert m.date.isoformat() == day


def test_an_age_said_again_with_actually(mem: MemOS) -> None:
    bot = tell(mem, [(0, "My granddaughter Sophie is 16."),
                     (5, "I am sorry, I made a mistake earlier: Sophie is actually 17.")])
    assert ask(bot, "How old is Sophie?").startswith("Sophie's age is 17")


def test_who_is_typed_without_its_apostrophe(mem: MemOS) -> None:
    bot = tell(mem, [(0, "my friend Dan lives in York")])
    assert ask(bot, "whos dan").startswith("Dan is your friend")


def test_a_forget_names_what_was_said_once(mem: MemOS) -> None:
    """It listed the assistant's replies, the session summary and the same turn twice."""
    bot = tell(mem, [(0, "My sister Kate lives in Manchester. She is a teacher.")])
    reply = ask(bot, "Please forget about my sister.", day=5)
    assert reply.startswith("Forgotten ") and "Assistant:" not in reply
    assert "Conversation with" not in reply
    assert reply.count("My sister Kate lives in Manchester") == 1


def test_an_age_from_a_birthday_with_its_year(mem: MemOS) -> None:
    """A persona user: "I was born on 12 March 1951" and "I am 74", asked in June 2028:
    77 (before: "about 76", counted from the age told)."""
    bot = tell(mem, [(0, "I was born on 12 March 1951."), (0, "I am 74 years old."),
                     (0, "My son Oliver's birthday is 2 July 2014")])
    # day 820 after 2 March 2026: 30 May 2028
    assert ask(bot, "How old am I?", day=820) == "Your age is 77 (born 12 March 1951)."
    assert ask(bot, "how old is oliver?", day=820) == "Oliver's age is 13 (born 2 July 2014)."
    # asked by the relation, the birthday stored under the name
    assert ask(bot, "how old is my son?", day=820) == "Your son's age is 13 (born 2 July 2014)."


def test_said_in_passing_is_no_forget_request(mem: MemOS) -> None:
    bot = tell(mem, [(0, "My name is Kai. I work at Google")])
    assert bot.reply("ok, forget about work, I'm on holiday!", session_id="s5").text == "Noted."
    # (names nothing: nothing is forgotten, and the reply says how to name a memory)
    passing = bot.reply("oh forget it", session_id="s5")
    assert passing.forgotten == [] and "not sure what to forget" in passing.text
    assert ask(bot, "where do I work?").startswith("Your employer is Google")


def test_a_relatives_age_from_a_birthday_names_the_relative(mem: MemOS) -> None:
    bot = tell(mem, [(0, "My dad was born on 1 May 1930.")])
    assert ask(bot, "how old is my dad?", day=820) == "Your father's age is 98 (born 1 May 1930)."


def test_a_plural_of_no_attribute_asks_nothing() -> None:
    from memos.reader.questions import canonical_question

    assert canonical_question("what are my options?", "Alice") is None
    assert canonical_question("what are my favourite movies?", "Alice").attribute == \
        "favorite movie"
