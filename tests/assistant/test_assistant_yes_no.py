"""Questions whether something holds now ("Am I allergic to peanuts?", "Do I live in
Porto?", "Do I like jazz?"): yes with since when, "no longer" with when of a value that
ended, and, when the user never said so, never a yes and never another person's fact (a
son's peanut allergy was quoted to "Am I allergic to peanuts?")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from memos import MemOS
from memos.assistant import Assistant

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _bot(mem: MemOS, turns: list[str]) -> Assistant:
    bot = Assistant(mem, "alice", backend="extractive")
    for day, turn in enumerate(turns):
        bot.reply(turn, session_id=f"s{day}", at=T0 + timedelta(days=day))
    return bot


def _ask(bot: Assistant, question: str) -> str:
    return bot.reply(question, session_id="q", at=T0 + timedelta(days=30)).text


def test_yes_with_since_when(mem: MemOS) -> None:
    bot = _bot(mem, ["I'm allergic to shellfish.", "I live in Porto.", "I love jazz."])
    assert _ask(bot, "Am I allergic to shellfish?") == \
        "Yes: your allergy is shellfish (since 5 January 2026)."
    assert _ask(bot, "Do I live in Porto?") == "Yes: your city is Porto (since 6 January 2026)."
    assert _ask(bot, "Do I like jazz?") == "Yes: you like jazz (since 7 January 2026)."


def test_no_longer_of_a_value_that_ended(mem: MemOS) -> None:
    bot = _bot(mem, ["I live in Lisbon.", "I moved to Porto."])
    text = _ask(bot, "Do I still live in Lisbon?")
    assert text.startswith("No longer: your city was Lisbon (from 5 January 2026 to 6 January "
                           "2026)"), text


def test_never_another_persons_fact(mem: MemOS) -> None:
    bot = _bot(mem, ["My son Tom is allergic to peanuts.", "I'm allergic to shellfish."])
    text = _ask(bot, "Am I allergic to peanuts?")
    assert not text.startswith("Yes") and "Tom" not in text and "son" not in text, text
    bot2 = Assistant(mem, "bob", backend="extractive")
    bot2.reply("My sister lives in Porto.", session_id="b1", at=T0)
    text = bot2.reply("Do I live in Porto?", session_id="q", at=T0 + timedelta(days=1)).text
    assert not text.startswith("Yes") and "sister" not in text, text


def test_a_taste_asked_of_its_opposite_is_a_no(mem: MemOS) -> None:
    """A fresh-eyes test (2026-12-05): "Do I like coffee?" of a user who said "I hate
    coffee" was answered "You like jazz" (the likes there are). The opposite taste for that
    value answers it: no."""
    bot = _bot(mem, ["I hate coffee.", "I love jazz.", "I don't like olives, but I love tea."])
    assert _ask(bot, "do i like coffee?") == "No: you dislike coffee (since 5 January 2026)."
    assert _ask(bot, "Do I like olives?").startswith("No: you dislike olives")
    assert _ask(bot, "Do I hate jazz?") == "No: you like jazz (since 6 January 2026)."
    assert _ask(bot, "Do I like jazz?") == "Yes: you like jazz (since 6 January 2026)."
    assert not _ask(bot, "Do I like tea?").startswith("No")


def test_a_value_never_told_is_said_so_before_the_values_there_are(mem: MemOS) -> None:
    """"Do I like tea?" with nothing said of tea answered "You like coffee. You like jazz.",
    as if that answered it. It now says first that tea was never told, and still never
    "no" (a turn the reader missed could say yes)."""
    bot = _bot(mem, ["I like jazz and coffee.", "I'm allergic to peanuts.", "I live in Oslo."])
    tea = _ask(bot, "Do I like tea?")
    assert tea.startswith("You haven't told me whether you like tea. ") and "jazz" in tea
    eggs = _ask(bot, "Am I allergic to eggs?")
    assert eggs.startswith("You haven't told me whether you're allergic to eggs.")
    assert "peanuts" in eggs and not eggs.startswith("No")
    assert "haven't told me" not in _ask(bot, "Do I like jazz?")
    assert "haven't told me" not in _ask(bot, "Am I allergic to anything?")
    # one city at a time: the city there is answers "Do I live in Porto?"; "ever" asks
    assert "haven't told me" not in _ask(bot, "Do I live in Porto?")
    assert _ask(bot, "Did I ever live in Porto?").startswith(
        "You haven't told me whether you ever lived in Porto.")
    # a relative's allergy says nothing of the user's (a review: it hid the sentence)
    _bot(mem, ["My son is allergic to eggs."])
    assert _ask(bot, "Am I allergic to eggs?").startswith("You haven't told me whether")
    other = Assistant(mem, "zed", backend="extractive")  # nothing of anything: as before
    assert other.reply("Do I like tea?").text == "I don't have anything about that yet."


def test_more_typos_of_question_words_are_mended(mem: MemOS) -> None:
    """A fresh-eyes user: "whats my adress?" was not known, "hw many pets do i have" was
    stored as a statement, "where does my sis live" was not known."""
    bot = _bot(mem, ["My address is 5 Elm Road, Denver.", "I have a dog called Rex.",
                     "My sister Ana lives in Madrid."])
    assert "5 Elm Road" in _ask(bot, "whats my adress?")
    assert "1 pet" in _ask(bot, "hw many pets do i have")
    assert "Madrid" in _ask(bot, "where does my sis live")
    from memos.assistant import is_question

    assert not is_question("hw is killing me")  # homework: "hw" is "how" only before "many"...


def test_a_greeting_thanks_or_ok_gets_a_reply_of_its_kind(mem: MemOS) -> None:
    """A fresh-eyes user: "hello" got "Noted."."""
    bot = Assistant(mem, "kai", backend="extractive")
    assert bot.reply("hello").text == "Hello, Kai!"
    assert bot.reply("good morning!").text == "Hello, Kai!"
    assert bot.reply("thanks so much").text == "You're welcome."
    assert bot.reply("ok").text == "OK."
    assert bot.reply("nice weather today").text == "Noted."  # remembered, nothing read
    assert bot.reply("hello, I'm Kai").text == "Noted: your name is Kai."
