"""Questions about every value over time ("Where have I lived?", "What jobs have I had?").
Before, the assistant quoted the one turn a search ranked first and the value now: the
cities in between were left out ("On 1 January 2024 you said: I live in Lisbon. Since then:
Alice's city is Leeds")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from memos import MemOS
from memos.assistant import HISTORY_MAX, Assistant, LLMConfig

START = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)


def _tell(mem: MemOS, user: str, texts: list[str], every: timedelta = timedelta(days=100)
          ) -> None:
    """Each text said in a session of its own, `every` apart from START."""
    for i, text in enumerate(texts):
        mem.ingest([{"role": "user", "content": text, "at": START + every * i}], user,
                   session_id=f"{user}-{i}")


def _ask(mem: MemOS, question: str, backend: Any = "extractive", **kw: Any) -> Any:
    return Assistant(mem, "alice", backend=backend, learn=False, **kw).reply(question)


def _in_order(text: str, words: list[str]) -> bool:
    at = [text.find(w) for w in words]
    return all(a >= 0 for a in at) and at == sorted(at)


@pytest.mark.parametrize("backend", ["auto", "extractive"])
def test_every_city_in_order_with_the_current_one_last(store_path: str, backend: Any) -> None:
    with MemOS.open(store_path) as mem:
        _tell(mem, "alice", ["I live in Lisbon.", "I work at Acme.", "I moved to Porto.",
                             "I just started at Globex.", "We moved to Leeds!"])
        _tell(mem, "bob", ["I live in Paris.", "I moved to Rome."])
        for question in ("Where have I lived?", "Which cities have I lived in so far?"):
            reply = _ask(mem, question, backend=backend)
            text = reply.text
            assert reply.backend == "extractive", reply
            assert _in_order(text, ["Lisbon", "Porto", "now Leeds"]), text
            assert "Paris" not in text and "Rome" not in text, text  # another user's
            assert "1 January 2024" in text and "since 4 February 2025" in text, text
            facts = {m.content for m in reply.memories}
            assert {"Alice's city is Lisbon.", "Alice's city is Porto.",
                    "Alice's city is Leeds."} <= facts, facts
        text = _ask(mem, "Which companies have I worked for?", backend=backend).text
        assert _in_order(text, ["Acme", "now Globex"]) and "Leeds" not in text, text
        # The questions about one value are answered as before.
        assert "Porto" in _ask(mem, "Where did I live before?").text
        now = _ask(mem, "Where do I live?", backend=backend).text
        assert "Leeds" in now and "Porto" not in now, now


def test_more_values_than_a_search_returns_are_followed_back(store_path: str) -> None:
    """42 cities: a search of the attribute returns 32 facts, ranked by their (alike)
    words. The newest HISTORY_MAX are listed in order, found through what each replaced,
    and the older ones are counted."""
    from tests.assistant.test_assistant_ended_facts import CITIES

    with MemOS.open(store_path) as mem:
        _tell(mem, "alice", [f"I moved to {city}." for city in CITIES], timedelta(days=9))
        text = _ask(mem, "Where have I lived?").text
        newest = CITIES[-HISTORY_MAX:]
        assert _in_order(text, newest), text
        assert f"now {CITIES[-1]}" in text, text
        assert not any(f" {c} (" in text for c in CITIES[:-HISTORY_MAX]), text
        assert f"({len(CITIES) - HISTORY_MAX} earlier values not shown)" in text, text


def test_values_of_a_multi_valued_attribute_and_an_ended_one(store_path: str) -> None:
    with MemOS.open(store_path) as mem:
        _tell(mem, "alice", ["I'm allergic to peanuts.", "I'm also allergic to shellfish.",
                             "I'm not allergic to peanuts anymore."])
        text = _ask(mem, "What were my allergies?").text
        assert _in_order(text, ["peanuts", "now shellfish"]), text
        assert "now peanuts" not in text, text  # ended by the third turn
        ended = text[text.index("peanuts"):text.index("shellfish")]
        assert "to 19 July 2024" in ended, text  # the day the user said it ended
        assert "then" not in text, text  # shellfish began while peanuts still held


def test_nothing_stored_is_no_history(store_path: str) -> None:
    with MemOS.open(store_path) as mem:
        _tell(mem, "bob", ["I live in Paris.", "I moved to Rome."])
        text = _ask(mem, "Where have I lived?").text
        assert "over time" not in text and "Paris" not in text, text
        # answered as the plain question of the attribute, of which nothing is stored
        _backend, _why, cq, facts = Assistant(mem, "alice", learn=False).route(
            "Where have I lived?")
        assert cq is not None and cq.attribute == "city" and not cq.history and facts == []


def test_the_llm_backend_is_given_every_value(store_path: str, fake_llm: Any) -> None:
    with MemOS.open(store_path) as mem:
        _tell(mem, "alice", [f"I moved to {city}." for city in
                             ("Lisbon", "Porto", "Braga", "Faro", "Leeds")])
        cfg = LLMConfig(url=fake_llm.url, model="fake-model", key="k")
        reply = _ask(mem, "Where have I lived?", backend="llm", llm=cfg)
        assert reply.backend == "llm"
        block = "\n".join(m["content"] for m in fake_llm.requests[-1]["messages"])
        for city in ("Lisbon", "Porto", "Braga", "Faro", "Leeds"):
            assert f"Alice's city is {city}" in block, block


@pytest.mark.parametrize("backend", ["auto", "extractive"])
def test_whether_a_value_ever_held(store_path: str, backend: Any) -> None:
    """"Did I ever live in Porto?": yes with when, from the values over time. A value the
    user never had (or only another user had) is answered as before, never with a yes."""
    with MemOS.open(store_path) as mem:
        _tell(mem, "alice", ["I live in Lisbon.", "I work at Acme as a nurse.",
                             "I moved to Porto.", "I just started at Globex.",
                             "We moved to Leeds!"])
        _tell(mem, "bob", ["I live in Paris."])
        cases = {"Did I ever live in Porto?": "Yes: your city was Porto (from 19 July 2024 "
                                              "to 4 February 2025).",
                 "Have I lived in leeds?": "Yes: your city is Leeds (since 4 February 2025).",
                 "Have I ever worked at Acme?": "Yes: your employer was Acme (from 10 April "
                                                "2024 to 27 October 2024).",
                 "Was I ever a nurse?": "Yes: your job is nurse (since 10 April 2024)."}
        for question, answer in cases.items():
            reply = _ask(mem, question, backend=backend)
            assert reply.backend == "extractive" and reply.text == answer, (question, reply)
            assert all(answer.split(" ")[4].rstrip(".") in m.content for m in reply.memories)
        for question in ("Did I ever live in Paris?", "Have I worked at Initech?"):
            text = _ask(mem, question, backend=backend).text
            assert not text.startswith("Yes"), text
            _backend, _why, cq, facts = Assistant(mem, "alice", learn=False).route(question)
            assert cq is not None and cq.value is None and not cq.history  # the plain one
            assert not any("Paris" in h.cube.content for h in facts)


def test_the_value_before_is_said_to_the_user_and_of_another_in_the_third_person(
        store_path: str) -> None:
    """A fresh-eyes user: "Where do I live?" got "Your city is Porto." but "Where did I live
    before?" got "Alice's city was Lisbon (until ...)" in the same session."""
    with MemOS.open(store_path) as mem:
        _tell(mem, "alice", ["I live in Lisbon.", "I moved to Porto.",
                             "My sister Ana lives in Madrid.", "Ana moved to Paris."])
        before = _ask(mem, "Where did I live before?").text
        assert before.startswith("Your city was Lisbon (until "), before
        hers = _ask(mem, "Where did Ana live before?").text
        assert "Ana's city was Madrid" in hers and "Your" not in hers, hers


def test_a_forget_reply_says_what_was_forgotten_in_the_second_person(store_path: str) -> None:
    with MemOS.open(store_path) as mem:
        _tell(mem, "alice", ["I live in Lisbon."])
        bot = Assistant(mem, "alice", backend="extractive")
        said = bot.reply("forget where I live").text
        assert said.startswith("Forgotten ") and "about where you live:" in said, said
        none = bot.reply("forget my favourite zorblax").text
        assert "about 'your favourite zorblax'" in none, none


@pytest.mark.parametrize(("said", "back"), [
    ("where I live", "where you live"), ("my address", "your address"),
    ("what I told you about Tom", "what you told me about Tom"),
    ("that I was in Lisbon", "that you were in Lisbon"),
    ("what you said about my mum", "what I said about your mum"),
])
def test_the_users_words_are_said_back_in_the_other_person(said: str, back: str) -> None:
    from memos.assistant import _to_you

    assert _to_you(said) == back
