"""A couple "over" ("Tom and I are over", "Dana and I had a fight. We're over.") or that
"ended things": the negation rules were never asked, since the sentence held no negation
cue. And the other readings below, each stored nothing or something wrong before."""

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
    ("Tom and I ended things.", "Tom"),
    ("Dana and I had a fight. We ended things last week.", "Dana"),
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


def said(text: str) -> set[tuple[str, str]]:
    return {(e.attribute, e.value) for e in extract(text, "Alice", "user:alice") if not e.negated}


@pytest.mark.parametrize(("text", "fact"), [
    ("I'm engaged to Sam.", ("fiancé's name", "Sam")),
    ("I just got engaged to Sam!", ("fiancé's name", "Sam")),
    ("Sam and I got engaged.", ("fiancé's name", "Sam")),
    ("Sam and I are engaged.", ("fiancé's name", "Sam")),
    ("Sam and I got married last June.", ("spouse's name", "Sam")),
    ("Sam and I are married.", ("spouse's name", "Sam")),
    ("Me and Sam got married.", ("spouse's name", "Sam")),
    ("Sam and I tied the knot.", ("spouse's name", "Sam")),
    ("Sam and I got hitched in Vegas.", ("spouse's name", "Sam")),
    ("Anna and I got married in 2019 and moved to Leeds.", ("spouse's name", "Anna")),
    # moved on together: what they became, not a break-up
    ("I'm no longer engaged to Sam, we got married!", ("spouse's name", "Sam")),
    ("Sam and I aren't dating anymore, we're engaged!", ("fiancé's name", "Sam")),
    ("I'm not dating Sam any more, he's my husband now.", ("husband's name", "Sam")),
    ("I stopped seeing Sam. We got engaged!", ("fiancé's name", "Sam")),
])
def test_an_engagement_or_a_marriage_said_by_its_verb_names_the_partner(text: str, fact) -> None:
    assert fact in said(text)
    assert not ended(text)


@pytest.mark.parametrize("text", [
    "Sam and I are engaged in a lawsuit.",
    "If Sam and I got married, we would move.",
    "Did Sam and I get married?",
    "My sister and I got married the same year.",
    "Sam and I got married to other people.",
    "Sam and I are both married.",
    "I'm engaged to Sam's cousin.",
])
def test_other_weddings_name_no_partner(text: str) -> None:
    assert not {f for f in said(text) if f[0] in ("spouse's name", "fiancé's name")}


@pytest.mark.parametrize(("text", "fact"), [
    ("Im allergic to cats", ("allergy", "cats")),
    ("Im 34", ("age", "34")),
    ("Im a nurse", ("job", "nurse")),
])
def test_im_typed_without_its_apostrophe_is_the_speaker_not_a_person_named_im(text, fact) -> None:
    """"Im allergic to cats" stored "Im's allergy is cats."."""
    got = {(e.subject, e.attribute, e.value) for e in extract(text, "Alice", "user:alice")}
    assert ("Alice", *fact) in got
    assert not any(subject == "Im" for subject, _, _ in got)


@pytest.mark.parametrize(("text", "fact"), [
    ("Zoë lives in Paris.", ("Zoë", "city", "Paris")),
    ("José works at Google.", ("José", "employer", "Google")),
    ("Björn is a doctor.", ("Björn", "job", "doctor")),
    ("Mary-Jane lives in Leeds.", ("Mary-Jane", "city", "Leeds")),
    ("Émile moved to Lyon.", ("Émile", "city", "Lyon")),
    ("Zoë left Google.", ("Zoë", "employer", "Google")),
])
def test_a_first_name_with_accents_or_a_hyphen_is_a_subject(text: str, fact) -> None:
    """Only ASCII one-word names were read as a sentence's subject: "Zoë lives in Paris"
    stored nothing, "Zoe lives in Paris" its city."""
    assert fact in {(e.subject, e.attribute, e.value) for e in extract(text, "Alice", "user:alice")}


@pytest.mark.parametrize(("text", "fact"), [
    ("Arjun turned 7 yesterday.", ("Arjun", "age", "7")),
    ("My son turned 6 yesterday!", ("Alice", "son's age", "6")),
])
def test_a_birthday_said_with_yesterday_gives_the_new_age(text: str, fact) -> None:
    """"Arjun turned 7 yesterday" stored nothing ("... today", "... last week" did): the
    assistant kept answering the age before."""
    assert fact in {(e.subject, e.attribute, e.value) for e in extract(text, "Alice", "user:alice")}


@pytest.mark.parametrize(("text", "fact"), [
    ("I resigned from Google.", ("Alice", "employer", "Google")),
    ("Mark resigned from Nobu.", ("Mark", "employer", "Nobu")),
    ("My sister resigned from Acme.", ("Alice", "sister's employer", "Acme")),
])
def test_a_resignation_ends_the_employer(text: str, fact) -> None:
    """"I resigned from Google" ended nothing ("I left Google", "I quit Google" did)."""
    got = {(e.subject, e.attribute, e.value) for e in extract(text, "Alice", "user:alice")
           if e.negated}
    assert fact in got


def test_resigning_from_no_employer_ends_none() -> None:
    assert not [e for e in extract("I resigned from the committee.", "Alice", "user:alice")
                if e.negated]
