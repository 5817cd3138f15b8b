"""A user's audit of the chat (2026-12-06, third): "I quit my job" kept "nurse" as the job;
"delete what I said about my job" and "actually, don't keep that" were noted as statements,
so nothing was forgotten and the request itself was quoted back later."""

from __future__ import annotations

from pathlib import Path

import pytest

from memos import MemOS
from tests.assistant.helpers import T0, ask, live_texts, tell


@pytest.fixture
def mem(tmp_path: Path):
    with MemOS.open(tmp_path / "s") as store:
        yield store


@pytest.mark.parametrize("left", ["I quit my job today!", "I got fired.", "I lost my job.",
                                  "I was laid off from St Mary."])
def test_a_job_left_ends_the_title_too(mem, left: str) -> None:
    bot = tell(mem, [(0, "I work as a nurse at St Mary."), (3, left)])
    answer = ask(bot, "what is my job?")
    assert "was nurse" in answer and "Your job is nurse" not in answer


def test_a_job_left_for_new_work_keeps_the_title(mem) -> None:
    bot = tell(mem, [(0, "I work as a nurse at St Mary."),
                     (3, "I quit my job and started at Mercy Clinic.")])
    assert "Your job is nurse" in ask(bot, "what is my job?")
    assert "Mercy Clinic" in ask(bot, "where do I work?")


@pytest.mark.parametrize("request_", ["Delete what I said about my job.",
                                      "please erase everything I told you about my job",
                                      "remove what I mentioned about my job"])
def test_delete_what_i_said_about_a_thing(mem, request_: str) -> None:
    bot = tell(mem, [(0, "I work as a plumber."), (1, "I live in Leeds.")])
    assert bot.reply(request_).forgotten
    assert "plumber" not in ask(bot, "what is my job?")
    assert not any("plumber" in t for t in live_texts(mem, "alice"))
    assert not any("Delete" in t or "erase" in t for t in live_texts(mem, "alice"))
    assert "Leeds" in ask(bot, "where do I live?")


@pytest.mark.parametrize("request_", ["Actually, don't keep that.", "please don't save that",
                                      "don't write that down", "Do not store this."])
def test_dont_keep_that_forgets_the_last_statement(mem, request_: str) -> None:
    bot = tell(mem, [(0, "I live in Leeds."), (0, "My locker code is 4455.")])
    reply = bot.reply(request_, session_id="s0", at=T0)
    assert reply.forgotten and "4455" in reply.text
    assert not any("4455" in t for t in live_texts(mem, "alice"))
    assert "Leeds" in ask(bot, "where do I live?")


@pytest.mark.parametrize("said", ["don't keep that in mind, I'm fine",
                                  "Don't save that file on the desktop"])
def test_dont_keep_said_of_other_things_is_no_request(mem, said: str) -> None:
    bot = tell(mem, [(0, "My locker code is 4455.")])
    assert not bot.reply(said, session_id="s0", at=T0).forgotten
    assert "4455" in ask(bot, "what is my locker code?")


def test_a_taste_that_ended_and_a_new_preference(mem) -> None:
    bot = tell(mem, [(0, "I love coffee."), (0, "I like hiking."),
                     (10, "I used to love coffee, but now I prefer tea.")])
    assert "No longer" in ask(bot, "do I like coffee?")
    listed = ask(bot, "what do I like?")
    assert "tea" in listed and "hiking" in listed and "coffee" not in listed


def test_every_taste_ended_is_said_in_the_second_person(mem) -> None:
    bot = tell(mem, [(0, "I like hiking."), (5, "I've gotten tired of hiking.")])
    answer = ask(bot, "what do I like?")
    assert answer.startswith("You liked hiking (until"), answer


def test_how_long_from_a_length_told(mem) -> None:
    bot = tell(mem, [(0, "I've worked at Acme Corp for 3 years."),
                     (0, "I've lived in Chicago for 5 years.")])
    assert "Since March 2023 (about 3 years)" in ask(bot, "How long have I worked at Acme Corp?",
                                                     day=1)
    # the name said shorter than it was told
    assert "Since March 2023" in ask(bot, "How long have I worked at Acme?", day=1)
    assert "Since March 2021" in ask(bot, "how long have I lived in Chicago?", day=1)
    assert "since March 2023;" in ask(bot, "where do I work?", day=1)
    assert "named Corp" in ask(bot, "How long have I worked at Corp?", day=1)


def test_a_brother_told_beside_two_sisters(mem) -> None:
    bot = tell(mem, [(0, "I have two sisters, Anna and Beth, and a brother named Carl.")])
    assert "Carl" in ask(bot, "what's my brother's name?")
    assert "Anna" in ask(bot, "what are my sisters' names?")


def test_a_puppy_named_later(mem) -> None:
    bot = tell(mem, [(0, "I have a dog named Max."), (7, "We got a puppy!"),
                     (9, "We named the puppy Rocky.")])
    answer = ask(bot, "What pets do I have?")
    assert "Max" in answer and "Rocky" in answer


def test_someone_new_after_a_break_up(mem) -> None:
    bot = tell(mem, [(0, "My boyfriend Tom and I broke up."),
                     (5, "I'm seeing someone new, her name is Lena.")])
    answer = ask(bot, "Who am I dating?")
    assert "Lena" in answer and "Tom" not in answer


def test_i_meant_a_date_for_a_fact_told_in_an_earlier_session(mem) -> None:
    bot = tell(mem, [(0, "My mom's birthday is June 3."),
                     (1, "Oops, I meant June 5 for my mom's birthday.")])
    answer = ask(bot, "When is my mother's birthday?")
    assert "June 5" in answer and "is June 3" not in answer


def test_a_name_fixed_with_sorry_typo(mem) -> None:
    bot = tell(mem, [(8, "My dog's name is Rex."), (8, "Wait, my dog's name is Rexy, sorry typo.")])
    answer = ask(bot, "what are my dogs' names?")
    assert "Rexy" in answer and "Rex " not in answer and "Rex," not in answer


def test_a_graduation_ends_being_a_student(mem) -> None:
    bot = tell(mem, [(0, "I'm a student at MIT studying biology."),
                     (100, "I graduated from MIT today!")])
    assert "was student" in ask(bot, "what's my job?", day=101)


@pytest.mark.parametrize(("told", "age"), [
    ("My name is Sam. I was born in 1990.", "You are 35 or 36 (born in 1990"),
    ("I was born in May 1990.", "You are 35 (born in May 1990"),
    ("I was born in Leeds in 1990.", "You are 35 or 36 (born in 1990"),
])
def test_how_old_from_the_year_of_birth(mem, told: str, age: str) -> None:
    bot = tell(mem, [(0, told)])
    assert ask(bot, "How old am I?", day=1).startswith(age)


def test_an_age_told_wins_over_a_year_of_birth(mem) -> None:
    bot = tell(mem, [(0, "I am 34."), (0, "I was born in 1990.")])
    assert "34" in ask(bot, "How old am I?", day=1)


def test_how_long_married(mem) -> None:
    bot = tell(mem, [(0, "My wife Jen and I have been married for 12 years.")])
    assert ask(bot, "How long have I been married?", day=1).startswith(
        "Since March 2014 (about 12 years): your wife's name is Jen")
    assert "Jen" in ask(bot, "how long have we been together?", day=1)
    assert "partner" in ask(bot, "how long have I been engaged?", day=1)


def test_how_long_married_of_a_tie_told_without_a_length(mem) -> None:
    bot = tell(mem, [(0, "I'm married to Sam.")])
    assert ask(bot, "How long have I been married?", day=30).startswith(
        "At least since 2 March 2026")


def test_a_forget_reply_speaks_to_the_user(mem) -> None:
    bot = tell(mem, [(0, "My coworker Priya lives in Leeds and I like tea.")])
    reply = ask(bot, "forget Priya", day=1)
    assert "your coworker's name is Priya" in reply and "Alice's" not in reply


def test_remove_said_of_another_text_is_no_forget_request(mem) -> None:
    bot = tell(mem, [(0, "My budget is 500 euros.")])
    reply = bot.reply("Remove what I said about the budget from the email.")
    assert not reply.forgotten and "Forgotten" not in reply.text and "nothing stored" not in reply.text


def test_a_year_of_birth_said_by_someone_else_is_not_the_users(mem) -> None:
    bot = tell(mem, [(0, "I was born in 1990."),
                     (1, "My friend said I was born in May 1985 in her dream, funny.")])
    assert ask(bot, "How old am I?", day=2).startswith("You are 35 or 36 (born in 1990")


@pytest.mark.parametrize(("told", "asked"), [
    ("My husband is diabetic.", "Am I diabetic?"),
    ("Btw my mom takes metformin. Does that interact with anything?", "What medication do I take?"),
    ("My dad drives a Ford F-150.", "What car do I drive?"),
    ("Zoe speaks Japanese.", "Do I speak Japanese?"),
    ("My wife's doctor is Dr. Kim.", "Who is my doctor?"),
])
def test_what_was_told_of_someone_else_is_no_answer_about_the_user(
        mem, told: str, asked: str) -> None:
    bot = tell(mem, [(0, told), (0, "I live in Leeds.")])
    answer = ask(bot, asked, day=1)
    assert answer.startswith("You haven't told me that about yourself; what I have is about "
                             "someone else."), answer


@pytest.mark.parametrize(("told", "asked", "said"), [
    ("My husband is diabetic.", "Is my husband diabetic?", "My husband is diabetic"),
    ("My dad drives a Ford F-150.", "what car does my dad drive?", "Ford F-150"),
    ("My mom says I'm allergic to cats.", "am I allergic to cats?", "cats"),
    ("Had the allergy tests redone today.", "did I have allergy tests?", "allergy tests"),
])
def test_what_was_told_of_the_user_or_asked_of_another_is_quoted(
        mem, told: str, asked: str, said: str) -> None:
    bot = tell(mem, [(0, told)])
    answer = ask(bot, asked, day=1)
    assert said in answer and "someone else" not in answer, answer


def test_facts_told_beside_a_question_are_said_to_be_noted(mem) -> None:
    bot = tell(mem, [])
    reply = bot.reply("Hey! So I started a new job at Acme today, and my wife Sara is pregnant. "
                      "Also, do you remember my phone number?")
    assert reply.text.startswith("Noted: your employer is Acme; your wife's name is Sara.")
    assert "Acme" in ask(bot, "where do I work?")
    assert not bot.reply("do you remember my phone number?").text.startswith("Noted")


def test_a_boss_asked_of_a_manager_told(mem) -> None:
    bot = tell(mem, [(0, "My manager is Karen.")])
    assert "Karen" in ask(bot, "Who is my boss?", day=1)
    bot = tell(mem, [(0, "My boss is Greg.")], user="bo")
    assert "Greg" in ask(bot, "who is my manager?", day=1)
    bot.reply("My manager is Priya.", session_id="s2", at=T0)
    assert "Priya" in ask(bot, "who is my manager?", day=2)


@pytest.mark.parametrize(("told", "asked", "said"), [
    ("Yoga has changed my life.", "Do I do yoga?", "Yoga"),
    ("My friend gave me a guitar for my birthday.", "Do I have a guitar?", "guitar"),
    ("They diagnosed me with diabetes last year.", "Do I have diabetes?", "diabetes"),
    ("My husband and me both love jazz.", "Do I like jazz?", "jazz"),
])
def test_a_turn_that_speaks_of_the_user_too_is_theirs(mem, told: str, asked: str,
                                                      said: str) -> None:
    bot = tell(mem, [(0, told)])
    answer = ask(bot, asked, day=1)
    assert said in answer and "someone else" not in answer, answer


def test_a_question_that_tells_is_answered_after_what_it_told(mem) -> None:
    bot = tell(mem, [(0, "I work at Google.")])
    reply = bot.reply("I started at Acme today. Where do I work?", session_id="s1", at=T0)
    assert reply.text.startswith("Noted: your employer is Acme.")
    assert "Where do I work?" not in reply.text.split("Noted: your employer is Acme.", 1)[1]
    bot.reply("My name is Rob.", session_id="s2", at=T0)
    named = bot.reply("Actually my name is Bob. Did you get that?", session_id="s2", at=T0)
    assert named.text.startswith("Noted: your name is Bob."), named.text


@pytest.mark.parametrize("request_", ["Delete what I told you about my move from London.",
                                      "Delete what I said about moving from London"])
def test_delete_what_i_said_about_a_move_from_a_place(mem, request_: str) -> None:
    bot = tell(mem, [(0, "I moved from London to Leeds.")])
    assert bot.reply(request_).backend == "forget"


@pytest.mark.parametrize("told", ["Hi, I was born in 1990.", "My name is Ann and I was born in 1990.",
                                  "I grew up in Leeds, I was born in 1990.",
                                  "As I told you, I was born in 1990."])
def test_a_year_of_birth_after_other_words(mem, told: str) -> None:
    bot = tell(mem, [(0, told)])
    assert ask(bot, "How old am I?", day=1).startswith("You are 35 or 36")
