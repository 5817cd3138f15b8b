"""Turns a probe of the rules read wrongly: the rest of a list after "just"/"only"/"not" is
kept, not ended; "I told my sister I ..." is the speaker's statement and "I'm" no name;
chat without punctuation ends a value before the next "I"; doubts, suppositions, other
people's beliefs and changes still to come state nothing; "work with" names the people
worked with, not an employer; a thing given to a relative is no name; a relative quoted
after a colon is not the speaker; two moves in one sentence are two dated moves."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from memos import MemOS
from memos.cube import Lifecycle
from memos.reader.rules import extract

T1 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
T2 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
Fact = tuple[str, str, str, bool]


def facts(text: str) -> set[Fact]:
    return {(e.subject, e.attribute + (" (past)" if e.past else ""), e.value, e.negated)
            for e in extract(text, "Alice", "user:alice", T1)}


@pytest.mark.parametrize(("text", "expected"), [
    ("I'm no longer allergic to shellfish, just peanuts.",
     {("Alice", "allergy", "shellfish", True)}),
    ("I'm not allergic to shellfish anymore, only peanuts.",
     {("Alice", "allergy", "shellfish", True)}),
    # the one denied ends (an allergy said by mistake before)
    ("I'm allergic to walnuts, not peanuts.",
     {("Alice", "allergy", "walnuts", False), ("Alice", "allergy", "peanuts", True)}),
    ("I'm allergic to peanuts but not shellfish or eggs.",
     {("Alice", "allergy", "peanuts", False), ("Alice", "allergy", "shellfish", True),
      ("Alice", "allergy", "eggs", True)}),
    ("I'm allergic to peanuts, shellfish and eggs.",  # a list still runs on
     {("Alice", "allergy", v, False) for v in ("peanuts", "shellfish", "eggs")}),
])
def test_a_list_ends_before_what_is_kept_or_denied(text: str, expected: set[Fact]) -> None:
    assert facts(text) == expected


def test_ending_one_allergy_keeps_the_other(mem: MemOS) -> None:
    report = mem.ingest([{"role": "user", "content": "I'm allergic to peanuts and shellfish."}],
                        "alice", session_id="s1", at=T1)
    ids = {mem.get(i, "alice").metadata["value"]: i for i in report.facts}
    mem.ingest([{"role": "user", "content": "I'm no longer allergic to shellfish, just peanuts."}],
               "alice", session_id="s2", at=T2)
    assert mem.get(ids["peanuts"], "alice").state == Lifecycle.ACTIVE
    assert mem.get(ids["shellfish"], "alice").state != Lifecycle.ACTIVE


def test_an_allergy_denied_ends(mem: MemOS) -> None:
    [peanuts] = mem.ingest([{"role": "user", "content": "I'm allergic to peanuts."}], "alice",
                           session_id="s1", at=T1).facts
    report = mem.ingest([{"role": "user", "content": "I'm allergic to walnuts, not peanuts."}],
                        "alice", session_id="s2", at=T2)
    assert report.ended == [peanuts] and len(report.facts) == 1


@pytest.mark.parametrize(("text", "expected"), [
    ("I told my sister I live in Leeds now.", {("Alice", "city", "Leeds", False)}),
    ("I told my mum I work at Globex now.", {("Alice", "employer", "Globex", False)}),
    ("I told my boss I'm allergic to nuts.", {("Alice", "allergy", "nuts", False)}),
    ("I promised my wife I'd stop smoking.", set()),
    # names that start with an I are names
    ("My brother Ian lives in Leeds.",
     {("Alice", "brother's name", "Ian", False), ("Ian", "city", "Leeds", False)}),
    ("My dad Isaac works at Acme.",
     {("Alice", "father's name", "Isaac", False), ("Isaac", "employer", "Acme", False)}),
])
def test_i_is_never_a_relatives_name(text: str, expected: set[Fact]) -> None:
    assert facts(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("I live in Leeds I guess.", {("Alice", "city", "Leeds", False)}),
    ("i live in leeds i work at globex",
     {("Alice", "city", "Leeds", False), ("Alice", "employer", "globex", False)}),
    ("Now that I work at Globex I have more free time.",
     {("Alice", "employer", "Globex", False)}),
    ("Ever since I moved to Leeds I've been happier.", {("Alice", "city", "Leeds", False)}),
])
def test_a_value_ends_before_the_next_i(text: str, expected: set[Fact]) -> None:
    assert facts(text) == expected


@pytest.mark.parametrize("text", [
    "I don't think I'm allergic to nuts.",
    "I doubt I'm allergic to nuts.",
    "Suppose I'm allergic to nuts, what should I eat?",
    "Assuming I live in Tokyo, what's the best area?",
    "Let's say I work at Google.",
    "Hypothetically, I live in Tokyo.",
    "My doctor thinks I'm allergic to latex.",
    "Everyone thinks I work at Google.",
    "People assume I live in London.",
    "From next month I work at Globex.",
    "Starting next month I'm working at Globex.",
    "By the time I work at Globex, I'll be 40.",
])
def test_doubts_suppositions_beliefs_and_changes_to_come_state_nothing(text: str) -> None:
    assert facts(text) == set()


def test_anothers_belief_then_the_speakers_word() -> None:
    assert facts("My mom thinks I live in London but I actually live in Leeds.") == {
        ("Alice", "city", "Leeds", False)}


@pytest.mark.parametrize(("text", "expected"), [
    ("I work with my brother at Apple.", {("Alice", "employer", "Apple", False)}),
    ("I work with Tom at Google.", {("Alice", "employer", "Google", False)}),
    ("I work with children.", set()),
    ("I work with animals at the zoo.", set()),
    ("I work with my dad at his bakery.", set()),
    ("I work at Acme.", {("Alice", "employer", "Acme", False)}),
])
def test_work_with_names_people_not_an_employer(text: str, expected: set[Fact]) -> None:
    assert facts(text) == expected


def test_a_thing_given_to_a_relative_is_no_name() -> None:
    assert facts("I bought my daughter Lego for her birthday.") == set()
    # a name, then the thing given: a name still
    assert facts("I bought my daughter Emma a bike for her birthday.") == {
        ("Alice", "daughter's name", "Emma", False)}
    assert facts("I made my son Leo breakfast.") == {("Alice", "son's name", "Leo", False)}
    assert facts("I visited my sister Ana in Porto.") == {("Alice", "sister's name", "Ana", False)}


def test_a_relative_quoted_after_a_colon_is_not_the_speaker() -> None:
    assert facts("My daughter: 'I'm allergic to strawberries'") == set()


@pytest.mark.parametrize("text", ["I moved to Berlin in 2019 and to Munich in 2022.",
                                  "I moved to Berlin in 2019 and then to Munich in 2022."])
def test_two_moves_in_one_sentence_are_two_dated_moves(text: str) -> None:
    got = {(e.value, e.when) for e in extract(text, "Alice", "user:alice", T1)}
    assert got == {("Berlin", date(2019, 1, 1)), ("Munich", date(2022, 1, 1))}


def test_the_later_of_two_moves_is_where_the_speaker_lives(mem: MemOS) -> None:
    mem.ingest([{"role": "user", "content": "I moved to Berlin in 2019 and to Munich in 2022."}],
               "alice", session_id="s1", at=T1)
    live = [h.cube.content for h in mem.search("city", "alice", kind="fact")]
    assert live == ["Alice's city is Munich."]


def test_a_date_after_each_predicate_is_its_own() -> None:
    got = {e.value: e.when for e in extract(
        "I moved to Berlin last March and joined Siemens in May.", "Alice", "user:alice",
        datetime(2025, 1, 10, tzinfo=UTC))}
    assert got == {"Berlin": date(2024, 3, 1), "Siemens": date(2024, 5, 1)}


@pytest.mark.parametrize(("text", "expected"), [
    ("I'm now a principal.", {("Alice", "job", "principal", False)}),
    ("I'm an intern at Google.",
     {("Alice", "job", "intern", False), ("Alice", "employer", "Google", False)}),
    ("I'm a secretary at Acme.",
     {("Alice", "job", "secretary", False), ("Alice", "employer", "Acme", False)}),
    ("I became a detective.", {("Alice", "job", "detective", False)}),
    ("It's a guard dog.", set()),
])
def test_jobs_without_a_job_suffix(text: str, expected: set[Fact]) -> None:
    assert facts(text) == expected


@pytest.mark.parametrize(("first", "second", "relation"), [
    ("My friend Bob lives in Paris.", "My friend Carla lives in Rome.", "friend's name"),
    ("My dog is called Rex.", "My dog Fido is a beagle.", "dog's name"),
    ("My son Tom is 8.", "My son Ben is 5.", "son's name"),
])
def test_a_second_friend_sister_or_dog_is_another_one(mem: MemOS, first: str, second: str,
                                                      relation: str) -> None:
    one = mem.ingest([{"role": "user", "content": first}], "alice", session_id="s1", at=T1)
    two = mem.ingest([{"role": "user", "content": second}], "alice", session_id="s2", at=T2)
    assert two.superseded == []
    names = [mem.get(i, "alice") for i in one.facts + two.facts]
    named = [c for c in names if c.metadata.get("relation") == relation]
    assert len(named) == 2 and all(c.state == Lifecycle.ACTIVE for c in named)


def test_a_second_husband_name_replaces_the_first(mem: MemOS) -> None:
    [sam] = mem.ingest([{"role": "user", "content": "My husband's name is Sam."}], "alice",
                       session_id="s1", at=T1).facts
    report = mem.ingest([{"role": "user", "content": "My husband's name is Tom."}], "alice",
                        session_id="s2", at=T2)
    assert report.superseded == [sam]


@pytest.mark.parametrize(("text", "expected"), [
    ("I moved from Berlin to Paris.", {("Alice", "city", "Paris", False),
                                       ("Alice", "city (past)", "Berlin", False)}),
    ("My sister moved from Madrid to Lisbon.", {("Alice", "sister's city", "Lisbon", False)}),
    ("Just relocated to Manchester for work.", {("Alice", "city", "Manchester", False)}),
    ("My sister is a doctor now.", {("Alice", "sister's job", "doctor", False)}),
    ("My husband became a chef.", {("Alice", "husband's job", "chef", False)}),
    ("My dad is a pilot, and my mom is a nurse.",
     {("Alice", "father's job", "pilot", False), ("Alice", "mother's job", "nurse", False)}),
    ("My dog is a beagle.", set()),
    ("My sister is a lifesaver.", set()),
    ("My boss is a nightmare.", set()),
    ("Ana is my sister.", {("Alice", "sister's name", "Ana", False)}),
    ("Sam's my husband.", {("Alice", "husband's name", "Sam", False)}),
    ("Tom is my best friend.", set()),  # a friend may be a thing: "Coffee is my best friend"
    ("I have a sister, Ana.", {("Alice", "sister's name", "Ana", False)}),
    ("I have a younger brother named Tom.", {("Alice", "brother's name", "Tom", False)}),
    ("I'm married to Sam.", {("Alice", "spouse's name", "Sam", False)}),
    ("I'm married to my job lol.", set()),
    ("Paris is my favourite city.", {("Alice", "favorite city", "Paris", False)}),
    ("He is my brother.", set()),
])
def test_moves_from_relatives_jobs_and_who_is_who(text: str, expected: set[Fact]) -> None:
    assert facts(text) == expected


def test_who_am_i_married_to(mem: MemOS) -> None:
    from memos.assistant import Assistant

    mem.ingest([{"role": "user", "content": "I'm married to Sam."}], "alice", session_id="s1",
               at=T1)
    bot = Assistant(mem, "alice", backend="extractive", learn=False)
    for question in ("Who am I married to?", "What's my spouse's name?"):
        assert "Sam" in bot.reply(question).text


def test_leaving_the_city_one_lives_in_ends_it(mem: MemOS) -> None:
    [lisbon] = mem.ingest([{"role": "user", "content": "I live in Lisbon."}], "alice",
                          session_id="s1", at=T1).facts
    report = mem.ingest([{"role": "user", "content": "I left Lisbon last month."}], "alice",
                        session_id="s2", at=T2)
    assert report.ended == [lisbon]
    # an employer of the name is what a name left ends first
    [acme] = mem.ingest([{"role": "user", "content": "I work at Paris Bakery."}], "bob",
                        session_id="s1", at=T1).facts
    mem.ingest([{"role": "user", "content": "I live in Paris."}], "bob", session_id="s2", at=T1)
    report = mem.ingest([{"role": "user", "content": "I left Paris Bakery."}], "bob",
                        session_id="s3", at=T2)
    assert report.ended == [acme]


@pytest.mark.parametrize(("text", "expected"), [
    ("Actually I've started to love coffee.", {("Alice", "likes", "coffee", False)}),
    ("I've grown to like jazz.", {("Alice", "likes", "jazz", False)}),
    ("I've gone off sushi.", {("Alice", "dislikes", "sushi", False)}),
    ("I've started to hate running.", {("Alice", "dislikes", "running", False)}),
    ("I went off camping.", set()),
    ("The alarm went off.", set()),
])
def test_a_taste_that_changed(text: str, expected: set[Fact]) -> None:
    assert facts(text) == expected


def test_a_new_taste_replaces_the_old_one(mem: MemOS) -> None:
    [hate] = mem.ingest([{"role": "user", "content": "I hate coffee."}], "alice",
                        session_id="s1", at=T1).facts
    report = mem.ingest([{"role": "user", "content": "Actually I've started to love coffee."}],
                        "alice", session_id="s2", at=T2)
    assert report.superseded == [hate]
