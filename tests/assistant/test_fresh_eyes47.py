"""What a fresh-eyes user of the assistant found (session 47):

- A relative's age kept counting past their death: "my dad is 80", then "my dad passed
  away", asked a year later: "about 81 now"; with a birthday stored, "Your father's age is
  85 (born 3 May 1940)" after "My dad died in 2010"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from memos import MemOS
from tests.assistant.helpers import T0, ask, tell


def test_no_age_counted_past_a_death(mem: MemOS) -> None:
    bot = tell(mem, [(0, "My dad is 80."), (0, "my mum is 78"), (100, "My dad passed away.")])
    assert ask(bot, "how old is my dad?", day=800) == (
        "Your father's age was 80 when you told me on 2 March 2026; you told me your father "
        "died (on 10 June 2026: \"My dad passed away.\").")
    # a death told soon after: nothing to count yet, the death is said all the same
    assert "died" in ask(bot, "how old is my dad?", day=120)
    assert ask(bot, "how old is my mum?", day=800).endswith("so it is about 80 now.")


def test_no_age_from_a_birthday_past_a_death(mem: MemOS) -> None:
    bot = tell(mem, [(0, "My dad Frank was born on 3 May 1940."), (0, "My dad died in 2010."),
                     (0, "My mum was born on 3 May 1950.")])
    said = ask(bot, "how old is my dad?")
    assert said.startswith("You told me your father died (on 2 March 2026: ")
    assert said.endswith("born 3 May 1940.") and "85" not in said
    assert ask(bot, "how old is my mum?") == "Your mother's age is 76 (born 3 May 1950)."


def test_an_end_said_ahead(mem: MemOS) -> None:
    # T0 is 2 March 2026: the end told is ahead of the turn, and past by day 200
    bot = tell(mem, [(0, "i work for Acme until june 30 2026"), (0, "I live in Leeds")])
    (acme,) = [h.cube for h in mem.search("Acme", "alice", k=20, kind=["fact"])
               if h.cube.metadata.get("value") == "Acme"]
    # through the last day told
    assert acme.state.value == "active" and acme.valid_to == datetime(2026, 6, 30, 23, 59, 59,
                                                                        tzinfo=UTC)
    assert acme.valid_from != acme.valid_to  # not its start (it was read as one before)
    assert ask(bot, "where did i work in march 2026?", day=200) == (
        "In March 2026, your employer was Acme (until 30 June 2026).")
    assert ask(bot, "do i work at acme?", day=200).startswith("No longer")


def test_questions_typed_without_a_question_mark_change_nothing(mem: MemOS) -> None:
    bot = tell(mem, [(0, "i work at Brightwave"), (0, "i live in Hamburg"),
                     (0, "who do i work for atm"), (0, "what city do i live in now"),
                     (0, "do i work at acme")])
    for question, value in (("where do i work?", "Your employer is Brightwave"),
                            ("where do i live?", "Your city is Hamburg")):
        said = ask(bot, question)
        assert said.startswith(value) and not any(w in said for w in ("atm", "now", "acme"))


def test_a_stored_workplace_left_in_lower_case(mem: MemOS) -> None:
    bot = tell(mem, [(0, "i work at Acme"), (0, "i study at the uni of leeds"),
                     (5, "i left uni"), (5, "if i quit acme i'll move"), (5, "did i quit acme")])
    assert ask(bot, "where do i work?").startswith("Your employer is Acme")
    tell(mem, [(10, "i quit acme today")])
    (acme,) = [h.cube for h in mem.search("Acme", "alice", k=20, kind=["fact"],
                                          include_superseded=True)
               if h.cube.metadata.get("value") == "Acme"]
    assert acme.state.value == "superseded"
    assert "No longer" in ask(bot, "do i still work at acme?")


@pytest.mark.parametrize(("text", "reply"), [
    ("good morning dear", "Hello, Alice!"),
    ("thank you so much, you're a treasure", "You're welcome."),
    ("you're the best", "You're welcome."),
    ("good night", "Good night, Alice!"),
    ("bye for now", "Goodbye, Alice!"),
    ("see you tomorrow", "Goodbye, Alice!"),
])
def test_small_talk(mem: MemOS, text: str, reply: str) -> None:
    bot = tell(mem, [])
    assert ask(bot, text, day=0) == reply


def test_forget_with_a_reason_said_after_it(mem: MemOS) -> None:
    bot = tell(mem, [(0, "my late husband Antonio passed away in 2019"),
                     (0, "jonas owes me 450 euros for the electricity bill btw")])
    said = ask(bot, "forget about my late husband, it makes me sad", day=5)
    assert said.startswith("Forgotten") and "husband's name is Antonio" in said
    assert "kept" not in said
    assert "Antonio" not in ask(bot, "who was my husband?", day=6)
    # said in other words than stored: the turn that nearly says it is shown, none forgotten
    said = ask(bot, "forget that jonas owes me money, we're square now", day=7)
    assert said.startswith("I have nothing stored as 'jonas owes you money', so I forgot "
                           "nothing. These mention it: \"jonas owes me 450 euros")


def test_who_is_a_name_typed_in_lower_case(mem: MemOS) -> None:
    bot = tell(mem, [(0, "jonas owes me 450 euros for the electricity bill btw"),
                     (0, "I will call Mum later")])
    assert "jonas owes me 450 euros" in ask(bot, "who is jonas")
    assert ask(bot, "who is will") == "I don't know who Will is yet."


def test_a_past_home_ends_when_the_next_began(mem: MemOS) -> None:
    bot = tell(mem, [(0, "i used to live in Munich, moved to Berlin in 2023")])
    assert ask(bot, "where have i lived?") == (
        "Your city over time: Munich (before 1 January 2023) and now Berlin (since 1 January "
        "2023).")


def test_forget_after_opening_words(mem: MemOS) -> None:
    # a second fresh-eyes user: these were "Noted." and nothing was forgotten
    bot = tell(mem, [(0, "My girlfriend is Priya."), (0, "My daughter Ella is allergic to peanuts."),
                     (0, "I live at 14 Kirkstall Road, Leeds.")])
    assert ask(bot, "actually, forget my address", day=5).startswith("Forgotten")
    said = ask(bot, "oh and can you forget that Ella has a peanut allergy", day=5)
    assert said.startswith("Forgotten") and "kept: your daughter's name is Ella" in said
    said = ask(bot, "hey, forget priya please, we broke up and i dont want to think about it",
               day=5)
    assert said.startswith("Forgotten")
    # after opening words, only what is stored: a saying stays a saying
    assert ask(bot, "ok, forget about work, I'm on holiday!", day=5) == "Noted."
    for question in ("who is my girlfriend?", "what's my address?", "what is ella allergic to?"):
        assert ask(bot, question).startswith("I don't have anything"), question
    assert ask(bot, "who is my daughter?").startswith("Your daughter's name is Ella")


def test_a_job_that_starts_later(mem: MemOS) -> None:
    bot = tell(mem, [(0, "I work at Brew Lab.")])
    said = bot.reply("I accepted a job at DeepMind, starting 1 November 2030.",
                     session_id="s5", at=T0 + timedelta(days=5)).text
    assert said == "Noted: your employer is DeepMind (from 1 November 2030)."
    assert ask(bot, "where do i work?").startswith("Your employer is Brew Lab")
    assert ask(bot, "where do i work?").endswith(
        "From 1 November 2030: your employer is DeepMind.")
    assert ask(bot, "do i work at deepmind?") == (
        "Not yet: your employer is DeepMind (from 1 November 2030).")
    assert ask(bot, "do i work at brew lab?").startswith("Yes")


def test_review_mends(mem: MemOS) -> None:
    """(a review of the change) a change told after opening words was forgotten as a
    request; a day's 'i left acme at 6' ended the job; 'thanks to my sister ...' was thanked;
    'who is mark' quoted 'a bad mark'; a death told before the age stopped it."""
    bot = tell(mem, [(0, "I work at Acme"), (0, "I live in York"),
                     (0, "i got a bad mark in my exam"), (0, "my grandma passed away in 2020"),
                     (10, "my grandma is 92")])
    assert ask(bot, "well, forget about Acme, I got a job at Google!", day=20) == (
        "Noted: your employer is Google (it was Acme).")
    assert ask(bot, "oh forget that dentist thing, I moved to Leeds last week", day=20) == (
        "Noted: your city is Leeds (it was York).")
    assert ask(bot, "i left google at 6 today, so tired", day=21) == "Noted."
    assert ask(bot, "where do i work?").startswith("Your employer is Google")
    for text in ("thank you for nothing, my mum is in hospital again",
                 "thanks to my sister I finally got the job"):
        assert ask(bot, text, day=22) != "You're welcome.", text
    assert ask(bot, "who is mark") == "I don't know who Mark is yet."
    assert "died" not in ask(bot, "how old is my grandma?", day=800)


def test_forget_my_ex(mem: MemOS) -> None:
    # (a second fresh-eyes user: "forget my ex" found nothing though "who is my ex?" did;
    # ASSISTANT.md said it worked)
    bot = tell(mem, [(0, "My wife is Sarah. She lives in Harrogate."),
                     (10, "Sarah and I got divorced.")])
    assert ask(bot, "who is my ex?", day=20).startswith("Your ex: Sarah")
    said = ask(bot, "forget my ex", day=21)
    assert said.startswith("Forgotten") and "Sarah's city is Harrogate" in said
    assert ask(bot, "who is my ex?", day=22) == "I don't know of an ex of yours."


@pytest.mark.parametrize("text", ["wats my dads name", "wen does my visa run out"])
def test_questions_with_typed_question_words(mem: MemOS, text: str) -> None:
    # (a second fresh-eyes user: these were "Noted." as statements)
    bot = tell(mem, [(0, "my dad is Hiroshi")])
    assert ask(bot, text) != "Noted."


def test_a_turn_dated_ahead_is_no_change_told_ahead(mem: MemOS) -> None:
    # (blind-e fell to 0.9857 with the first version of the scheduled change: a session
    # dated after the clock, "Luka just turned 12!", was a change "not begun" and left out)
    bot = tell(mem, [(0, "My son Luka is 11.")])
    ahead = T0 + timedelta(days=800)
    bot.reply("Luka just turned 12!", session_id="later", at=ahead)
    said = bot.reply("How old is my son?", session_id="q", at=ahead + timedelta(days=2))
    assert "12" in said.text and "11" not in said.text


@pytest.mark.parametrize(("text", "start"), [
    ("how are you today?", "I'm well"), ("how's it going", "I'm well"),
    ("how are you doing?", "I'm well"), ("what's the weather like", "I can't see the weather"),
])
def test_small_talk_asked_of_the_assistant(mem: MemOS, text: str, start: str) -> None:
    # (both fresh-eyes users: these quoted a memory back, "Your city is Leeds")
    bot = tell(mem, [(0, "I live in Leeds")])
    said = ask(bot, text)
    assert said.startswith(start) and "Leeds" not in said
    assert ask(bot, "where do i live?").startswith("Your city is Leeds")
