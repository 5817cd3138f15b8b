"""Every public method of memos.Assistant refuses an argument of the wrong type with
InvalidInputError saying what to pass (found by a review: TypeError and AttributeError
tracebacks before), and writes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from memos import MemOS
from memos.assistant import Assistant
from memos.errors import InvalidInputError

BAD_CALLS: dict[str, tuple[Callable[[Assistant], Any], str]] = {
    "reply(5)": (lambda b: b.reply(5), "text must be a string"),
    "reply(None)": (lambda b: b.reply(None), "text must be a string"),
    "reply(bytes)": (lambda b: b.reply(b"I live in Paris."), "text must be a string"),
    "reply(on_token=5)": (lambda b: b.reply("I live in Paris.", on_token=5), "on_token"),
    "canonical(5)": (lambda b: b.canonical(5), "text must be a string"),
    "canonical(None)": (lambda b: b.canonical(None), "text must be a string"),
    "canonical(user_name=5)": (lambda b: b.canonical("Where do I live?", 5), "user_name"),
    "route(5)": (lambda b: b.route(5), "text must be a string"),
    "route(None)": (lambda b: b.route(None), "text must be a string"),
    "forget_matching(5)": (lambda b: b.forget_matching(5), "what must be a string"),
    "forget_matching(None)": (lambda b: b.forget_matching(None), "what must be a string"),
    "forget_matching('')": (lambda b: b.forget_matching("  "), "say what to forget"),
    "context_block(5)": (lambda b: b.context_block(5), "hits must be a list of SearchHit"),
    "context_block(None)": (lambda b: b.context_block(None), "hits must be a list"),
    "context_block([1])": (lambda b: b.context_block([1]), "hits must be a list"),
    "context_block(facts=[1])": (lambda b: b.context_block([], [1]), "facts must be a list"),
    "context_block(budget)": (lambda b: b.context_block([], budget_words="x"),
                              "budget_words"),
    "transcript(5)": (lambda b: b.transcript(5), "session_id"),
    "end_session(5)": (lambda b: b.end_session(5), "session_id"),
}


@pytest.mark.parametrize("call", sorted(BAD_CALLS))
def test_a_method_given_a_wrong_type_says_what_to_pass(store_path: str, call: str) -> None:
    do, says = BAD_CALLS[call]
    with MemOS.open(store_path, embedder="hashing") as mem:
        bot = Assistant(mem, "alice", backend="extractive")
        with pytest.raises(InvalidInputError, match=says):
            do(bot)
        assert mem.stats("alice").cubes == 0


@pytest.mark.parametrize(("fields", "says"), [
    ({"learn": "no"}, "learn must be True or False"),
    ({"user_name": 5}, "user_name must be text"),
    ({"model": 5}, "model must be a MemoryModel, a checkpoint path or None"),
])
def test_the_constructor_given_a_wrong_type_says_what_to_pass(store_path: str,
                                                              fields: dict[str, Any],
                                                              says: str) -> None:
    with MemOS.open(store_path, embedder="hashing") as mem:
        with pytest.raises(InvalidInputError, match=says):
            Assistant(mem, "alice", **fields)
