"""From a session of `memos chat` used as a new user would: "Who is Sam?" quoted the turn
that named Sam (or, for a name never said, unrelated facts) instead of saying who Sam is; the
user's likes were quoted in the third person ("Dana likes jazz") where every other answer
says "your"; and "I have two kids, Maya and Leo." gave the count but no names to "What are my
kids' names?"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from memos import MemOS
from memos.assistant import Assistant
from memos.reader.rules import extract

T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


def _told(mem: MemOS, turns: list[str]) -> Assistant:
    bot = Assistant(mem, "alice", backend="extractive")
    for day, turn in enumerate(turns):
        bot.reply(turn, session_id=f"s{day}", at=T0 + timedelta(days=day))
    return bot


def _ask(bot: Assistant, question: str) -> str:
    return bot.reply(question, session_id="q", at=T0 + timedelta(days=40)).text


@pytest.mark.parametrize(("question", "answer"), [
    ("Who is Sam?", "Sam is your partner."),
    ("who's Sam", "Sam is your partner."),
    ("Who is Miso?", "Miso is your dog."),
    ("Who is Ana?", "Ana is your sister; Ana's city is Porto."),
])
def test_who_is_a_person_the_user_named(mem: MemOS, question: str, answer: str) -> None:
    bot = _told(mem, ["My partner Sam and I just adopted a puppy called Miso.",
                      "My sister Ana lives in Porto."])
    assert _ask(bot, question) == answer


def test_who_is_someone_only_a_turn_names(mem: MemOS) -> None:
    bot = _told(mem, ["I live in Lisbon.", "I had lunch with Bob on Friday."])
    reply = _ask(bot, "Who is Bob?")
    assert "lunch with Bob" in reply and "Lisbon" not in reply


def test_who_is_someone_never_named(mem: MemOS) -> None:
    bot = _told(mem, ["I live in Lisbon.", "My partner is called Sam."])
    assert _ask(bot, "Who is Zed?") == "I don't know who Zed is yet."


def test_another_users_sam_is_not_yours(mem: MemOS) -> None:
    other = Assistant(mem, "bob", backend="extractive")
    other.reply("My partner Sam lives in Rome.", session_id="b", at=T0)
    bot = _told(mem, ["I live in Lisbon."])
    assert _ask(bot, "Who is Sam?") == "I don't know who Sam is yet."


def test_likes_are_said_to_the_user(mem: MemOS) -> None:
    bot = _told(mem, ["I love jazz and hiking."])
    reply = _ask(bot, "What do I like?")
    assert "You like jazz" in reply and "You like hiking" in reply
    assert "Alice likes" not in reply


def test_the_names_of_kids_said_with_their_number(mem: MemOS) -> None:
    bot = _told(mem, ["I have two kids, Maya and Leo."])
    names = _ask(bot, "What are my kids' names?")
    assert "Maya" in names and "Leo" in names
    assert _ask(bot, "How many kids do I have?") == "You have 2 children: Maya and Leo."


@pytest.mark.parametrize(("text", "expected"), [
    ("I have two kids, Maya and Leo.", {("kid's name", "Maya"), ("kid's name", "Leo")}),
    ("We've got 3 cats: Tom, Ziggy and Bo",
     {("cat's name", "Tom"), ("cat's name", "Ziggy"), ("cat's name", "Bo")}),
    ("I have a dog named Rex and a cat named Luna.",
     {("dog's name", "Rex"), ("cat's name", "Luna")}),
    ("I have two sisters, Ana and Eva, and a brother.",
     {("sister's name", "Ana"), ("sister's name", "Eva")}),
    ("I have seven kids, Ana, Ben, Cal, Dan, Eve, Fay and Gus.",
     {("kid's name", n) for n in ("Ana", "Ben", "Cal", "Dan", "Eve", "Fay", "Gus")}),
    ("We have a couple of cats, Tom and Bo.", {("cat's name", "Tom"), ("cat's name", "Bo")}),
    ("If I had two kids, Maya and Leo, I'd be busy.", set()),
    ("My sister has two kids, Tom and Ben.", set()),
])
def test_relatives_named_with_their_number(text: str, expected: set[tuple[str, str]]) -> None:
    found = {(e.attribute, e.value) for e in extract(text, "Alice", "user:alice", T0)}
    assert found == expected


def test_who_was_i_names_no_one(mem: MemOS) -> None:
    bot = _told(mem, ["I live in Lisbon."])
    assert "don't know who I is" not in _ask(bot, "Who was I?")


@pytest.mark.parametrize("turn", ["I have 30 kids in my class.",
                                  "We have two cats coming to stay next week."])
def test_a_number_that_counts_no_one_of_the_users(mem: MemOS, turn: str) -> None:
    from memos.reader.questions import stated_counts

    assert stated_counts(turn) == []
    bot = _told(mem, [turn])
    kind = "kids" if "kids" in turn else "cats"
    assert "You have" not in _ask(bot, f"How many {kind} do I have?")


def test_a_category_word_only_of_the_likes_own_part(mem: MemOS) -> None:
    bot = _told(mem, ["I love Paris, especially the food.", "I love Coltrane and rock music."])
    food = _ask(bot, "What food do I like?")
    assert "Paris" not in food.split("Other things you like:")[0]
    assert "Coltrane" in _ask(bot, "What music do I like?")
