"""Places typed in lower case (2026-12-06): "Hi, I'm Alice. I live in london" read no city
(the capitalised name made the turn one that capitalises names), and a known place typed in
lower case was written so ("Alice's city is london."). News said as a question ("did you
know I moved to Berlin?") was read as a question, stating nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from memos.reader import rules

AT = datetime(2026, 3, 2, tzinfo=UTC)


def _read(text: str) -> list[tuple[str, str]]:
    return [(e.attribute, e.value) for e in rules.extract(text, "Alice", "alice", at=AT)]


@pytest.mark.parametrize(("typed", "named"), [
    ("london", "London"), ("new york city", "New York City"), ("rio de janeiro", "Rio de Janeiro"),
    ("dar es salaam", "Dar es Salaam"), ("the uk", "the UK"), ("usa", "USA"),
    ("London", "London"), ("lOndon", "lOndon"), ("atlantis", "atlantis"),
])
def test_place_cased(typed: str, named: str) -> None:
    assert rules.place_cased(typed) == named


@pytest.mark.parametrize(("turn", "fact"), [
    ("Hi, I'm Alice. I live in london and I work as a nurse.", ("city", "London")),
    ("My name is Alice and i live in new york city", ("city", "New York City")),
    ("Alice here, I moved to paris", ("city", "Paris")),
    ("i'm from london", ("home town", "London")),
    ("my sister lives in rio de janeiro", ("sister's city", "Rio de Janeiro")),
])
def test_a_known_place_in_lower_case_is_read_and_cased(turn: str, fact: tuple[str, str]) -> None:
    assert fact in _read(turn)


def test_a_capitalised_name_not_the_speakers_still_says_the_turn_uses_case() -> None:
    # "Tom" is written as a name: the writer capitalises names, so a lower-case word is no place
    assert rules.types_lower_but_names("Hi, I'm Alice. I live in london", "Alice")
    assert not rules.types_lower_but_names("I live in london with Tom", "Alice")


@pytest.mark.parametrize(("turn", "fact"), [
    ("did you know I moved to Berlin?", ("city", "Berlin")),
    ("Did you know that I live in Berlin now?", ("city", "Berlin")),
    ("have I told you that my sister lives in Rome?", ("sister's city", "Rome")),
    ("did I mention I work at Google?", ("employer", "Google")),
])
def test_news_said_as_a_question_is_read(turn: str, fact: tuple[str, str]) -> None:
    assert fact in _read(turn)


@pytest.mark.parametrize("turn", ["do you know where I live?", "did I tell you my sister's name?",
                                  "do you know my sister's name?", "do you know if I live in Rome?"])
def test_a_question_of_what_is_known_states_nothing(turn: str) -> None:
    assert _read(turn) == []


@pytest.mark.parametrize(("said", "year"), [
    ("I may visit Paris in May.", 2026), ("we might go to Rome in June", 2026),
    ("I would like to go to Oslo in August", 2026), ("I may have seen him in May.", 2025),
    ("I should have gone in May", 2025), ("We went to Paris in May.", 2025),
])
def test_a_month_said_with_a_modal_looks_forward(said: str, year: int) -> None:
    from memos.reader.dates import resolve_dates

    [mention] = resolve_dates(said, datetime(2026, 3, 4, tzinfo=UTC))
    assert mention.date.year == year


@pytest.mark.parametrize("again", ["actually my dog's name is Max", "No, my dog is called Max.",
                                   "nope, my dog is called Max", "wait, my dog is called Max"])
def test_a_pets_name_restated_after_a_word_that_corrects_replaces_it(again: str) -> None:
    before = rules.extract("I have a dog named Rex.", "Alice", "alice", at=AT)
    out = rules.extract(again, "Alice", "alice", at=AT, previous=before)
    assert ("dog's name", "Max", False) in [(e.attribute, e.value, e.negated) for e in out]
    assert ("dog's name", "Rex", True) in [(e.attribute, e.value, e.negated) for e in out]


def test_a_second_pet_is_no_correction() -> None:
    before = rules.extract("I have a dog named Rex.", "Alice", "alice", at=AT)
    out = rules.extract("Actually we also have a dog called Max.", "Alice", "alice", at=AT,
                        previous=before)
    assert not any(e.negated for e in out)


@pytest.mark.parametrize(("turn", "names"), [
    ("i have two kids, emma and jack", {"Emma", "Jack"}),
    ("my kids are emma and jack", {"Emma", "Jack"}),
    ("my sisters are ana, eva and mia", {"Ana", "Eva", "Mia"}),
    ("my kids are tired and hungry", set()), ("my kids are grown and married", set()),
    ("my cats are old and lazy", set()),
])
def test_relatives_listed_in_lower_case(turn: str, names: set[str]) -> None:
    assert {v for a, v in _read(turn) if a.endswith("'s name")} == names


def test_a_saints_town_typed_in_lower_case_keeps_its_name() -> None:
    assert ("city", "St. Louis") in _read("i live in st. louis")
    assert ("city", "St. Louis") in _read("I live in St. Louis")
    assert _read("i live near the st. it is nice") == []


@pytest.mark.parametrize(("before", "again"), [
    ("My sister is Ana.", "Actually my sister Eva is visiting."),
    ("My sister is Ana.", "No, my sister Eva lives in Rome."),
    ("My dog is called Rex.", "Wait, my dog Max is sick."),
    ("I'm allergic to peanuts.", "No, I'm allergic to shellfish."),
])
def test_a_turn_that_adds_after_no_or_wait_ends_nothing(before: str, again: str) -> None:
    out = rules.extract(again, "Alice", "alice", at=AT,
                        previous=rules.extract(before, "Alice", "alice", at=AT))
    assert not any(e.negated for e in out), out


@pytest.mark.parametrize("turn", ["my brothers are doctors and lawyers",
                                  "my kids are boys and girls", "my sisters are nurses and mums",
                                  "my kids are twins and teens"])
def test_a_lower_case_list_of_what_relatives_are_names_no_one(turn: str) -> None:
    assert _read(turn) == []


@pytest.mark.parametrize("said", ["As you may know, I visited Paris in May.",
                                  "I could not attend in May.",
                                  "I need to tell you I visited Rome in July."])
def test_a_modal_of_another_clause_does_not_make_the_past_future(said: str) -> None:
    from memos.reader.dates import resolve_dates

    [mention] = resolve_dates(said, datetime(2026, 8, 10, tzinfo=UTC))
    assert mention.date.year == 2026


@pytest.mark.parametrize(("turn", "kept", "ended"), [
    ("My sister is Hanna, not Anna.", "Hanna", "Anna"),
    ("my dog is called max, not rex", "Max", "Rex"),
])
def test_a_name_said_with_the_one_it_is_not_ends_that_one(turn: str, kept: str,
                                                           ended: str) -> None:
    out = [(e.attribute.split("'s")[0], e.value.lower(), e.negated)
           for e in rules.extract(turn, "Alice", "alice", at=AT)]
    kind = out[0][0]
    assert (kind, kept.lower(), False) in out and (kind, ended.lower(), True) in out, out


def test_a_value_told_of_a_relative_the_other_way_replaces_the_one_before(tmp_path) -> None:
    from memos import MemOS
    from tests.assistant.helpers import tell

    with MemOS.open(tmp_path / "s") as mem:
        tell(mem, [(0, "My mom is Carol and she lives in Nice."), (3, "My mom moved to Cannes."),
                   (4, "My sister is Anna."), (5, "My sister lives in Rome."),
                   (6, "Anna moved to Milan.")])
        live = {c.content for c in mem.list_memories("alice", limit=200, kind="fact").items}
        assert "Carol's city is Nice." not in live and "Alice's mother's city is Cannes." in live
        assert "Alice's sister's city is Rome." not in live and "Anna's city is Milan." in live


def test_of_two_sisters_a_city_by_relation_replaces_neither(tmp_path) -> None:
    from memos import MemOS
    from tests.assistant.helpers import tell

    with MemOS.open(tmp_path / "s") as mem:
        tell(mem, [(0, "My sisters are Eva and Mia."), (0, "Eva lives in Rome."),
                   (1, "My sister lives in Oslo.")])
        live = {c.content for c in mem.list_memories("alice", limit=200, kind="fact").items}
        assert "Eva's city is Rome." in live


def test_a_name_two_people_share_replaces_neither_ones_value(tmp_path) -> None:
    from memos import MemOS
    from tests.assistant.helpers import tell

    with MemOS.open(tmp_path / "s") as mem:
        tell(mem, [(0, "My mom is Carol."), (1, "My mom lives in Nice."),
                   (2, "My coworker Carol lives in Berlin.")])
        live = {c.content for c in mem.list_memories("alice", limit=200, kind="fact").items}
        assert "Alice's mother's city is Nice." in live, live


@pytest.mark.parametrize("turn", ["I'm taking Mia, not Zoe, to the dentist. My sister is Hanna.",
                                  "My sister is Hanna. I invited Hanna, not Anna, to the party.",
                                  "My sister is Hanna, not March."])
def test_a_name_not_said_as_the_relations_ends_nothing(turn: str) -> None:
    out = rules.extract(turn, "Alice", "user:alice", at=AT)
    assert not any(e.negated for e in out), out


@pytest.mark.parametrize("said", ["My ex, Sam and I had dinner.", "My ex's Porsche is red.",
                                  "My ex's Mom lives in Leeds.", "My ex is Mr Right."])
def test_no_ex_is_named_by_a_list_a_thing_or_a_saying(said: str) -> None:
    out = rules.extract(said, "Alice", "user:alice", at=AT)
    assert not any(e.past and e.attribute.endswith("'s name") for e in out), out


def test_a_list_of_names_joined_by_and_twice() -> None:
    assert {v for a, v in _read("My kids are Tom and Lily and Sam.")} == {"Tom", "Lily", "Sam"}
