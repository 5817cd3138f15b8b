"""A user's audit (2026-12-06, third): moves told by where one is now ("We moved again, now
in Tacoma", "We've settled in Reno", "My new apartment is in Oakland") were read as nothing;
a workplace took what one does there ("MIT studying biology", "Mercy Hospital working
nights")."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from memos.reader import rules

AT = datetime(2026, 3, 2, tzinfo=UTC)


def _read(text: str) -> set[tuple[str, str]]:
    return {(e.attribute, e.value) for e in rules.extract(text, "Alice", "alice", at=AT)
            if not e.negated}


@pytest.mark.parametrize(("turn", "city"), [
    ("We moved again, now in Tacoma.", "Tacoma"),
    ("I moved house and I'm now in Leeds.", "Leeds"),
    ("We've moved - now living in Porto", "Porto"),
    ("We've settled in Reno now.", "Reno"),
    ("we're finally settling in Boston", "Boston"),
    ("I settled down in Austin after college.", "Austin"),
    ("My new apartment is in Oakland.", "Oakland"),
    ("our new house is in Bristol", "Bristol"),
    ("my new flat is in london", "London"),
    ("My new apartment is in Brooklyn, near the park.", "Brooklyn"),
])
def test_a_move_told_by_where_one_is_now(turn: str, city: str) -> None:
    assert ("city", city) in _read(turn)


@pytest.mark.parametrize("turn", [
    "I settled in quickly.",
    "We settled in for the night.",
    "we're settling in nicely",
    "we settled in Paris for a week",
    "My new place is in London for the summer.",
    "my home is in need of repair",
    "My house is in a mess.",
    "My new office is in Oakland.",
    "My house is in Foreclosure.", "My house is in Chaos right now.",
    "My apartment is in Building C.", "We settled in Court last year.",
    "My sister's new house is in Leeds.",
    "We moved again, now in debt.",
])
def test_no_move_of_ones_home(turn: str) -> None:
    assert not any(a == "city" for a, _ in _read(turn)), _read(turn)


@pytest.mark.parametrize(("turn", "employer"), [
    ("I'm a student at MIT studying biology.", "MIT"),
    ("I'm a nurse at Mercy Hospital working nights.", "Mercy Hospital"),
    ("I work at Google doing research", "Google"),
    ("My sister works at Acme doing sales.", "Acme"),
    ("I work at a bakery called Sweet Spot making cakes.", "a bakery called Sweet Spot"),
    ("I work at a cafe called Bean There", "a cafe called Bean There"),
    # words often part of a name stay
    ("I work at the Chrysler building", "the Chrysler building"),
    ("I work at Boston Consulting Group", "Boston Consulting Group"),
    ("I work at Stirling", "Stirling"),
])
def test_a_workplace_without_what_one_does_there(turn: str, employer: str) -> None:
    assert employer in {v for a, v in _read(turn) if a.endswith("employer")}, _read(turn)


@pytest.mark.parametrize(("turn", "city"), [
    ("I live in Paris working as a chef", "Paris"),
    ("I live in Reading", "Reading"),
    ("I live in Epping", "Epping"),
])
def test_a_city_without_what_one_does_there(turn: str, city: str) -> None:
    assert ("city", city) in _read(turn)


@pytest.mark.parametrize(("turn", "month"), [
    ("I'm pregnant! Due in October.", 10),
    ("Flying to Rome in October.", 10),
    ("Starting grad school in September!", 9),
    ("so heading to Japan in June", 6),
])
def test_a_plan_said_without_its_subject_looks_ahead(turn: str, month: int) -> None:
    from memos.reader.dates import resolve_dates

    said = datetime(2026, 7, 1, tzinfo=UTC)
    [found] = resolve_dates(turn, said)
    assert found.date.month == month and found.date > said.date(), found


@pytest.mark.parametrize("turn", ["Started grad school in September.",
                                  "Something happened in June.", "Visited Rome in June.",
                                  "Loving the new job I started in May"])
def test_a_sentence_of_the_past_still_looks_back(turn: str) -> None:
    from memos.reader.dates import resolve_dates

    said = datetime(2026, 7, 1, tzinfo=UTC)
    [found] = resolve_dates(turn, said)
    assert found.date < said.date(), found


@pytest.mark.parametrize(("turn", "ended"), [
    ("I used to love coffee, but now I prefer tea.", "coffee"),
    ("I used to like jazz but not any more", "jazz"),
    ("I used to enjoy hiking, these days I swim", "hiking"),
    ("I've gotten tired of hiking, I prefer swimming now.", "hiking"),
    ("I've grown bored of jazz", "jazz"),
])
def test_a_taste_that_ended(turn: str, ended: str) -> None:
    told = {(e.attribute, e.value, e.negated) for e in rules.extract(turn, "Alice", "alice",
                                                                      at=AT)}
    assert ("likes", ended, True) in told, told


@pytest.mark.parametrize("turn", ["I used to love it", "I used to like to run",
                                  "I used to like jazz", "I used to love drum and bass at uni",
                                  "I used to enjoy hiking when I was young",
                                  "I've gotten tired of waiting", "My sister used to love horses",
                                  "I'm more into it than ever",
                                  "I used to love coffee and I still do.",
                                  "I used to like coffee but now I love it even more."])
def test_no_taste_ended(turn: str) -> None:
    assert not any(e.attribute == "likes" and e.negated
                   for e in rules.extract(turn, "Alice", "alice", at=AT))


def test_a_taste_told_by_comparison() -> None:
    assert ("likes", "classical") in _read("These days I'm more into classical than jazz.")
    assert ("likes", "jazz") not in _read("These days I'm more into classical than jazz.")


@pytest.mark.parametrize(("turn", "attribute", "began"), [
    ("I've worked at Acme Corp for 3 years.", "employer", (2023, 3)),
    ("I've lived in Chicago for 5 years and I work at Acme", "city", (2021, 3)),
    ("I have been a nurse for ten years", "job", (2016, 3)),
    ("We've been living in Leeds for about two months now", "city", (2026, 1)),
    ("I've been at Deloitte for the past 3 years", "employer", (2023, 3)),
])
def test_how_long_a_home_or_job_has_held(turn: str, attribute: str,
                                         began: tuple[int, int]) -> None:
    [fact] = [e for e in rules.extract(turn, "Alice", "alice", at=AT) if e.attribute == attribute]
    assert fact.when is not None and (fact.when.year, fact.when.month) == began, fact
    assert fact.when_sure and not fact.past


def test_how_long_is_of_its_own_value_only() -> None:
    told = rules.extract("I've lived in Chicago for 5 years and I work at Acme", "Alice",
                         "alice", at=AT)
    [work] = [e for e in told if e.attribute == "employer"]
    assert work.when is None
    [rome] = rules.extract("I lived in Rome for 3 years", "Alice", "alice", at=AT)
    assert rome.past  # told as the past: read as before


@pytest.mark.parametrize(("turn", "named"), [
    ("I have two sisters, Anna and Beth, and a brother named Carl.",
     {("sister's name", "Anna"), ("sister's name", "Beth"), ("brother's name", "Carl")}),
    ("I have a brother named Carl and two sisters, Anna and Beth.",
     {("sister's name", "Anna"), ("sister's name", "Beth"), ("brother's name", "Carl")}),
    ("We have two dogs, Rex and Fido, and a cat named Tom",
     {("dog's name", "Rex"), ("dog's name", "Fido"), ("cat's name", "Tom")}),
    ("I have a son named Leo and a daughter named Mia",
     {("son's name", "Leo"), ("daughter's name", "Mia")}),
])
def test_two_kinds_of_relative_in_one_list(turn: str, named: set[tuple[str, str]]) -> None:
    assert _read(turn) == named


@pytest.mark.parametrize(("turn", "named"), [
    ("I'm seeing someone new, her name is Lena.", "Lena"),
    ("I'm seeing someone named Lena", "Lena"),
    ("I've been dating someone called Sam for a month", "Sam"),
])
def test_a_partner_told_as_someone(turn: str, named: str) -> None:
    assert ("partner's name", named) in _read(turn)


def test_someone_new_ends_the_partner_before() -> None:
    told = rules.extract("I'm seeing someone new, her name is Lena.", "Alice", "alice", at=AT)
    assert any(e.negated and e.attribute == "boyfriend's name" for e in told)
    assert not _read("I'm seeing someone new")
    assert not _read("I'm seeing someone about my back")


@pytest.mark.parametrize(("turn", "named"), [
    ("We named the puppy Rocky.", ("dog's name", "Rocky")),
    ("we named the new kitten Luna", ("cat's name", "Luna")),
])
def test_a_pet_named_after_it_was_told_of(turn: str, named: tuple[str, str]) -> None:
    assert named in _read(turn)


def test_a_pet_named_by_others_is_not_ones_own() -> None:
    assert not _read("They named the dog Rex at the shelter")
    assert not _read("I called the dog Walker.")
    assert not _read("We called the dog Max yesterday and he came running.")


@pytest.mark.parametrize(("turn", "ended"), [
    ("I graduated from MIT today!", {("job", "student"), ("employer", "MIT")}),
    ("I just graduated!", {("job", "student")}),
    ("I finally graduated from college", {("job", "student")}),
    ("I graduated last week, so I'm job hunting", {("job", "student")}),
])
def test_a_graduation_just_told(turn: str, ended: set[tuple[str, str]]) -> None:
    told = {(e.attribute, e.value) for e in rules.extract(turn, "Alice", "alice", at=AT)
            if e.negated}
    assert told == ended


@pytest.mark.parametrize("turn", ["I graduated from UCLA in 2012.", "My sister graduated today",
                                  "I graduated from college in Boston",
                                  "I just graduated to the next level in Duolingo.",
                                  "I finally graduated from therapy!"])
def test_no_graduation_just_told(turn: str) -> None:
    assert not any(e.negated for e in rules.extract(turn, "Alice", "alice", at=AT))


@pytest.mark.parametrize(("turn", "fact"), [
    ("Oops, I meant June 5 for my mom's birthday.", ("mother's birthday", "June 5")),
    ("sorry, I meant Lyon for my sister's city", ("sister's city", "Lyon")),
])
def test_i_meant_a_value_for_a_fact(turn: str, fact: tuple[str, str]) -> None:
    assert fact in _read(turn)


@pytest.mark.parametrize("turn", ["I meant the blue one for my daughter",
                                  "I meant it for my sister", "I meant the gift for my mom's birthday.",
                                  "I meant flowers for my anniversary.", "I meant well for my job."])
def test_i_meant_something_for_someone_is_no_fact(turn: str) -> None:
    assert not _read(turn)


@pytest.mark.parametrize(("turn", "ended"), [
    ("I quit my part-time job at Starbucks.", {("employer", "Starbucks")}),
    ("I quit my side job", set()),
    ("I quit my second job.", set()),
])
def test_a_side_job_left_ends_no_title(turn: str, ended: set[tuple[str, str]]) -> None:
    told = {(e.attribute, e.value) for e in rules.extract(turn, "Alice", "alice", at=AT)
            if e.negated}
    assert told == ended


@pytest.mark.parametrize("turn", ["Amazing concert on Saturday!", "Recovering from my knee "
                                  "surgery in February.", "Cleaning up after the party on Saturday."])
def test_a_report_without_its_subject_looks_back(turn: str) -> None:
    from memos.reader.dates import resolve_dates

    said = datetime(2026, 3, 16, tzinfo=UTC)
    [found] = resolve_dates(turn, said)
    assert found.date < said.date(), found


@pytest.mark.parametrize(("turn", "day"), [
    ("My dentist appointment is on the 14th.", date(2026, 4, 14)),
    ("My dentist appointment got moved to the 18th.", date(2026, 3, 18)),
    ("We met on the 3rd and had dinner.", date(2026, 3, 3)),
    ("I got paid on the 20th.", date(2026, 2, 20)),
])
def test_a_day_of_the_month_said_alone(turn: str, day: date) -> None:
    from memos.reader.dates import resolve_dates

    [found] = resolve_dates(turn, datetime(2026, 3, 16, tzinfo=UTC))
    assert found.date == day and found.precision == "day"


@pytest.mark.parametrize("turn", ["the 14th century was wild", "I live on the 3rd floor",
                                  "the 5th time I tried"])
def test_an_ordinal_of_something_else_is_no_day(turn: str) -> None:
    from memos.reader.dates import resolve_dates

    assert resolve_dates(turn, datetime(2026, 3, 16, tzinfo=UTC)) == []


@pytest.mark.parametrize(("turn", "city"), [
    ("My home is in Ljubljana.", "Ljubljana"),
    ("We settled in Asheville last year.", "Asheville"),
])
def test_a_home_told_plainly(turn: str, city: str) -> None:
    assert ("city", city) in _read(turn)


@pytest.mark.parametrize("turn", ["I graduated from community college today!",
                                  "I finally graduated from my bootcamp yesterday.",
                                  "I just graduated from my master's program today!"])
def test_a_graduation_from_a_school_of_any_kind(turn: str) -> None:
    assert any(e.negated and e.value == "student"
               for e in rules.extract(turn, "Alice", "alice", at=AT))


@pytest.mark.parametrize(("turn", "fact"), [
    ("Oops, I meant 6/5 for my mom's birthday.", ("mother's birthday", "6/5")),
    ("Sorry, I meant Rio de Janeiro for my city.", ("city", "Rio de Janeiro")),
])
def test_i_meant_a_value_of_another_shape(turn: str, fact: tuple[str, str]) -> None:
    assert fact in _read(turn)


@pytest.mark.parametrize(("turn", "when"), [
    ("Having surgery in April", date(2026, 4, 1)),
    ("Getting engaged in June", date(2026, 6, 1)),
    ("My dentist appointment got pushed to the 18th.", date(2026, 3, 18)),
])
def test_more_plans_look_ahead(turn: str, when: date) -> None:
    from memos.reader.dates import resolve_dates

    [found] = resolve_dates(turn, datetime(2026, 3, 10, tzinfo=UTC))
    assert found.date == when


def test_a_names_ordinal_is_no_day() -> None:
    from memos.reader.dates import resolve_dates

    assert resolve_dates("Henry the 8th.", datetime(2026, 3, 10, tzinfo=UTC)) == []
