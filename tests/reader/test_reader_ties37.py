"""A couple "over" ("Tom and I are over", "Dana and I had a fight. We're over."): the
negation rules were never asked, since the sentence holds no negation cue."""

from __future__ import annotations

import pytest

from memos.reader.rules import PARTNERS, extract


def ended(text: str) -> set[tuple[str, str]]:
    return {(e.attribute, e.value) for e in extract(text, "Alice", "user:alice") if e.negated}


@pytest.mark.parametrize(("text", "name"), [
    ("Tom and I are over.", "Tom"),
    ("Tom and I are over now.", "Tom"),
    ("Me and Tom are officially over.", "Tom"),
    ("Dana and I had a big fight. We're over.", "Dana"),
])
def test_a_couple_over_ends_the_partner_named(text: str, name: str) -> None:
    assert ended(text) >= {(f"{kind}'s name", name) for kind in PARTNERS}


def test_my_partner_and_i_are_over_ends_that_tie() -> None:
    assert ("boyfriend's name", "") in ended("My boyfriend and I are over.")


@pytest.mark.parametrize("text", [
    "We're over.",  # nobody named: nothing to end
    "We're over the moon!",
    "Tom and I are over it.",
    "Tom and I are over 40.",
    "Tom and I are over at my mum's.",
    "The holidays are over.",
])
def test_other_overs_end_nothing(text: str) -> None:
    assert not ended(text)
