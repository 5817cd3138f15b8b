"""`MemOS.answer` answers only from a memory that states what the question asks.

Review: with no retrieved memory stating "<subject>'s <attribute> is ...", the model still
wrote something: "What is Erin's pet?" beside "Erin likes cats" gave "sokoges", "What does
Alice prefer?" beside unrelated facts "jee", "What is Ann's pet?" beside "Ann's city is Oslo."
Ann's city. Such a question now gets what a store with nothing to read gives: text "", tier
"plaintext", no cubes.
"""

from __future__ import annotations

import pytest

from memos.cube import Scope
from memos.model.checkpoint import load_checkpoint

FACTS = ["Ann's city is Oslo.", "Bo's city is Lima.", "Cy's pet is a newt.",
         "Dee's color is teal.", "Erin likes cats"]


@pytest.fixture(scope="module")
def model():
    return load_checkpoint()


@pytest.fixture
def facts(mem):
    return [mem.add(f, "alice", kind="fact") for f in FACTS]


def _abstained(ans) -> bool:
    return ans.text == "" and ans.tier == "plaintext" and ans.cubes == []


@pytest.mark.parametrize("question", [
    "What is Erin's pet?",    # Erin is in the store, her pet is not
    "What does Alice prefer?",  # not a question the model was trained on; nothing states it
    "What is Ann's pet?",     # a stored subject and a stored attribute, not together
    "What is Zed's city?",    # nobody stored
    "Where does Bo live?",    # the model's form is "What is Bo's city?"
])
def test_a_question_no_memory_states_is_not_answered(mem, facts, model, question):
    ans = mem.answer(question, "alice", k=8, model=model)
    assert _abstained(ans), ans.text
    # the same shape as a store with nothing to read
    empty = mem.answer(question, "nobody", k=8, model=model)
    assert (ans.text, ans.tier, ans.cubes) == (empty.text, empty.tier, empty.cubes)
    assert set(ans.seconds) == {"retrieve", "recall", "generate"}
    assert ans.model_fingerprint == model.fingerprint


def test_a_memory_supports_only_the_question_it_states(mem, facts, model):
    assert _abstained(mem.answer("What is Erin's pet?", "alice", k=8, model=model))
    pet = mem.add("Erin's pet is a cat.", "alice", kind="fact")
    got = mem.answer("What is Erin's pet?", "alice", k=8, model=model)
    assert got.text == "a cat" and got.tier == "activation" and (pet.id, 1) in got.cubes
    # the stated fact still answers in the ways the form is written ...
    for question in ("What is Bo's city?", "what is bo's city", "What's Bo's city?"):
        ans = mem.answer(question, "alice", k=8, model=model)
        assert ans.text == "Lima" and ans.tier == "activation", question
    # ... and a neighbour of the asked attribute is not it
    assert _abstained(mem.answer("What is Cy's pet name?", "alice", k=8, model=model))


def test_a_fact_that_ended_does_not_answer(mem, model):
    mem.add("Bo's city is Lima.", "alice", kind="fact")
    mem.add("Bo's job has ended.", "alice", kind="fact")
    assert _abstained(mem.answer("What is Bo's job?", "alice", k=8, model=model))
    assert mem.answer("What is Bo's city?", "alice", k=8, model=model).text == "Lima"


def test_another_users_facts_never_support_an_answer(mem, facts, model):
    mem.add("Erin's pet is a dog.", "bob", kind="fact")  # private to bob
    assert _abstained(mem.answer("What is Erin's pet?", "alice", k=8, model=model))
    assert mem.answer("What is Erin's pet?", "bob", k=8, model=model).text == "a dog"
    # bob's public fact is not read with own_only, so it supports nothing then either
    mem.add("Erin's toy is a ball.", Scope(user_id="bob", visibility="public"), kind="fact")
    own = mem.answer("What is Erin's toy?", "alice", k=8, model=model, own_only=True)
    assert _abstained(own)
