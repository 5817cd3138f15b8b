"""The pure write-path policies: dedup, conflict, retention."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from memos.policies import conflict, dedup, retention

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def test_dedup_exact_beats_near_and_threshold_applies():
    assert dedup.decide_dedup(["a"], [("b", 0.99)], 0.9) == dedup.DedupDecision("duplicate", "a", 1.0)
    d = dedup.decide_dedup([], [("b", 0.91), ("c", 0.97)], 0.95)
    assert (d.action, d.target_id) == ("merged", "c")
    assert dedup.decide_dedup([], [("b", 0.94)], 0.95).action == "added"
    assert dedup.decide_dedup([], [("b", 0.999)], None).action == "added"
    assert dedup.decide_dedup([], [], 0.5).action == "added"


def test_merge_fields_unions_and_keeps_old_values():
    m = dedup.merge_fields(["a", "b"], ["b", "c"], {"k": 1, "x": "old"}, {"x": "new", "y": 2},
                           0.3, 0.7, 0.9, 0.5)
    assert m.tags == ["a", "b", "c"]
    assert m.metadata == {"k": 1, "x": "old", "y": 2}
    assert (m.importance, m.confidence) == (0.7, 0.9)


def test_fact_key_normalises_and_needs_both_parts():
    assert conflict.fact_key({"subject": " Alice ", "attribute": "Home  City"}) == \
        conflict.FactKey("alice", "home city")
    assert conflict.fact_key({"subject": "alice"}) is None
    assert conflict.fact_key({"subject": "", "attribute": "x"}) is None


def test_find_superseded():
    new = {"subject": "Alice", "attribute": "city"}
    cands = [("1", {"subject": "alice", "attribute": "CITY"}, "h1"),
             ("2", {"subject": "alice", "attribute": "job"}, "h2"),
             ("3", {"subject": "alice", "attribute": "city"}, "same")]
    assert conflict.find_superseded(new, "same", cands) == ["1"]
    assert conflict.find_superseded({}, "h", cands, explicit=["9", "9"]) == ["9"]


def test_retention_expiry_and_selection():
    assert retention.expiry(NOW, None, None) is None
    assert retention.expiry(NOW, 60, None) == NOW + timedelta(seconds=60)
    assert retention.expiry(NOW, timedelta(days=1), None) == NOW + timedelta(days=1)
    naive = datetime(2027, 1, 1)
    assert retention.expiry(NOW, 60, naive) == naive.replace(tzinfo=UTC)
    with pytest.raises(ValueError):
        retention.expiry(NOW, 0, None)
    assert retention.is_expired(NOW, NOW) and not retention.is_expired(None, NOW)
    cubes = [("a", NOW - timedelta(seconds=1), "active"), ("b", NOW + timedelta(1), "active"),
             ("c", NOW - timedelta(days=3), "forgotten"), ("d", None, "active")]
    assert retention.select_expired(cubes, NOW) == ["a"]


# -- near-duplicate merges may only fold text that adds nothing (issue 9, point 13) ----------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

KENJI = "Kenji Qureshi ordered the tiny sewing machine in central Antwerp on 14 May 2021."
ELENA = "Elena Qureshi ordered the tiny sewing machine in central Antwerp on 23 October 2017."


def test_new_information_names_what_the_old_text_lacks():
    assert dedup.new_information(ELENA, KENJI) == ["Elena", "23", "October", "2017"]
    assert dedup.new_information(KENJI, KENJI) == []
    # restatements: case, punctuation, spacing, paraphrased lowercase words, a shorter text
    assert dedup.adds_nothing("caroline went to the lgbtq support group on tuesday.",
                              "Caroline went to the LGBTQ support group on Tuesday")
    assert dedup.adds_nothing("Bob adopted a small brown dog called Rex",
                              "Bob adopted a small brown dog named Rex")
    assert dedup.adds_nothing("The order: Kenji Qureshi, Antwerp.", KENJI)
    assert dedup.adds_nothing("Bob’s dog Rex", "Bob's dog is Rex")
    # each class of informative token, missing from the old text, blocks the merge
    old = "Alice likes the green tea from the shop"
    for extra, token in [("Alice does not like the green tea", "not"),
                         ("Alice likes the green tea from Tokyo", "Tokyo"),
                         ("Alice likes the green tea from the shop on 2021-05-14", "2021-05-14"),
                         ("Alice likes the green tea from the shop, $3.50", "3.50"),
                         ("Alice likes two green teas from the shop", "two"),
                         ("Alice likes the green tea from the shop in march", "march"),
                         ("Alice likes the green tea from the shop on friday", "friday"),
                         ("Alice likes the green tea from the shop of José", "José"),
                         ("Alice likes the green tea from 東京", "東京"),
                         ("Alice likes the green tea: mail alice@example.org", "alice@example.org"),
                         ("Alice likes the green tea, see https://tea.example/x.", "https://tea.example/x"),
                         ("Alice likes the tea she calls \"mountain mist\"", "mountain"),
                         ("Alice likes the green tea from the IKEA shop", "IKEA"),
                         ("Alice likes the green tea from shop B7", "B7")]:
        assert token in dedup.new_information(extra, old), extra
    assert dedup.new_information("Alice likes the shop", old) == []
    # every token is in the old text, but not as often or not in this order: a new fact
    assert dedup.new_information("Kenji ordered 1 on 1 May", "Kenji ordered 2 on 1 May") == ["1"]
    assert dedup.new_information("Bob paid Alice", "Alice paid Bob") == ["Alice"]
    assert dedup.adds_nothing("Kenji ordered 2 on 1 May", "Yes: Kenji ordered 2 on 1 May 2020")


def test_decide_dedup_merges_only_into_a_text_that_says_it_all():
    texts = {"kenji": KENJI, "same": KENJI.upper()}
    d = dedup.decide_dedup([], [("kenji", 0.99)], 0.95, ELENA, texts)
    assert d.action == "added" and d.target_id is None
    # the most similar cube that already says it all wins, even if a closer one does not
    d = dedup.decide_dedup([], [("other", 0.99), ("kenji", 0.96)], 0.95, KENJI.lower(),
                           {"other": ELENA, "kenji": KENJI})
    assert (d.action, d.target_id) == ("merged", "kenji")
    # a near cube whose text is not given cannot absorb anything
    assert dedup.decide_dedup([], [("x", 0.99)], 0.95, KENJI, {}).action == "added"
    assert dedup.decide_dedup([], [("same", 0.97)], 0.95, KENJI, texts).action == "merged"


FIRST = ["Kenji", "Elena", "Amara", "Tomás", "Ines", "Wei", "Olu", "Saanvi", "Björn", "Mei"]
LAST = ["Qureshi", "Okafor", "Lindqvist", "Moreau", "Tanaka", "García"]
ITEMS = ["tiny sewing machine", "blue bicycle", "oak bookshelf", "espresso maker"]
CITIES = ["Antwerp", "Lisbon", "Kyoto", "Nairobi", "Quito", "Zurich"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]

# A fact from one template; each slot is a name, a place, a number or a date.
SLOTS = {
    "first": st.sampled_from(FIRST),
    "last": st.sampled_from(LAST),
    "city": st.sampled_from(CITIES),
    "count": st.integers(1, 10_000),
    "day": st.integers(1, 28),
    "month": st.sampled_from(MONTHS),
    "year": st.integers(1950, 2049),
}


def render(f: dict) -> str:
    return (f"{f['first']} {f['last']} ordered {f['count']} of the {ITEMS[0]} in central "
            f"{f['city']} on {f['day']} {f['month']} {f['year']}.")


@st.composite
def fact_pairs(draw: st.DrawFn) -> tuple[str, str]:
    """Two facts from the template that differ in exactly one slot."""
    base = {name: draw(strategy) for name, strategy in SLOTS.items()}
    slot = draw(st.sampled_from(sorted(SLOTS)))
    other = draw(SLOTS[slot].filter(lambda v: v != base[slot]))
    return render(base), render({**base, slot: other})


@st.composite
def restatements(draw: st.DrawFn) -> tuple[str, str]:
    """A fact and a restatement of it that adds nothing: case, spacing, punctuation, a
    paraphrased lowercase word, or a part of it."""
    fact = render({name: draw(strategy) for name, strategy in SLOTS.items()})
    how = draw(st.sampled_from(["lower", "upper", "spaces", "punct", "verb", "part"]))
    if how == "lower":
        return fact, fact.lower()
    if how == "upper":
        return fact, fact.upper()
    if how == "spaces":
        return fact, "  ".join(fact.split()) + "  "
    if how == "punct":
        return fact, fact.rstrip(".") + "!!"
    if how == "verb":
        return fact, fact.replace("ordered", "bought")
    words = fact.split()
    start = draw(st.integers(0, len(words) - 1))
    return fact, " ".join(words[start:start + draw(st.integers(1, len(words)))])


@settings(max_examples=300, deadline=None)
@given(fact_pairs())
def test_facts_differing_in_one_name_number_or_date_never_merge(pair):
    old, new = pair
    assert dedup.new_information(new, old), (old, new)
    # whatever the similarity: the policy, not the embedder, refuses the merge
    assert dedup.decide_dedup([], [("old", 1.0)], 0.5, new, {"old": old}).action == "added"


@settings(max_examples=300, deadline=None)
@given(restatements())
def test_restatements_that_add_nothing_still_merge(pair):
    old, new = pair
    assert dedup.new_information(new, old) == [], (old, new)
    d = dedup.decide_dedup([], [("old", 0.96)], 0.95, new, {"old": old})
    assert (d.action, d.target_id) == ("merged", "old")


def test_ordinary_words_both_texts_hold_must_keep_their_order():
    # every word is in the old text, lowercase, but the meaning is reversed
    assert dedup.new_information("Alice switched from coffee to tea",
                                 "Alice switched from tea to coffee") == ["tea"]
    assert not dedup.adds_nothing("Noted: your favorite color is green (it was blue).",
                                  "Noted: your favorite color is blue (it was green).")
    # a paraphrase, a dropped word or a function word out of place still merges
    assert dedup.adds_nothing("Bob adopted a small dog called Rex",
                              "Bob adopted a small brown dog named Rex")
    assert dedup.adds_nothing("Alice, she likes green tea", "Alice likes green tea")
    # words out of their order are no restatement, whichever text comes first
    assert not dedup.adds_nothing("the tea Alice likes is green", "Alice likes green tea")
    # a word capitalised at a sentence start in one text only is the same word, both ways
    assert dedup.adds_nothing("Blue is my favourite colour", "My favourite colour is blue")
    assert dedup.adds_nothing("My favourite colour is blue", "Blue is my favourite colour")
