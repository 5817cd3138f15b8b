"""MemOS.ingest: episodes, facts with provenance, conflicts, negations, bad input, scope."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from memos import MemOS
from memos.cube import Lifecycle
from memos.errors import InvalidInputError, NotFoundError
from memos.reader.questions import canonical_question, resolve_user_name

T1 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
T2 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def user(text: str, **extra: Any) -> dict[str, Any]:
    return {"role": "user", "content": text, **extra}


def contents(mem: MemOS, ids: list[str], scope: str = "alice") -> list[str]:
    return [mem.get(i, scope).content for i in ids]


def test_turns_become_episodes_and_facts_keep_their_source(mem: MemOS) -> None:
    report = mem.ingest([user("Hi, I'm Alice. I live in Lisbon."),
                         {"role": "assistant", "content": "Nice to meet you!"},
                         user("My sister Ana lives in Porto.")], "alice", session_id="s1", at=T1)
    assert report.turns == 3 and len(report.episodes) == 3 and not report.failed
    assert report.user_name == "Alice"
    episodes = [mem.get(i, "alice") for i in report.episodes]
    assert [e.content for e in episodes] == ["Alice: Hi, I'm Alice. I live in Lisbon.",
                                            "Assistant: Nice to meet you!",
                                            "Alice: My sister Ana lives in Porto."]
    first = episodes[0]
    assert first.kind.value == "episode" and first.valid_from == T1
    assert first.scope.session_id == "s1"
    assert first.metadata["speaker"] == "Alice" and first.metadata["turn"] == 0
    assert "Assistant: Nice to meet you!" in first.metadata["context"]  # neighbouring turns
    assert sorted(contents(mem, report.facts)) == sorted([
        "Alice's name is Alice.", "Alice's city is Lisbon.", "Alice's sister's name is Ana.",
        "Ana's city is Porto."])
    porto = next(mem.get(i, "alice") for i in report.facts
                 if mem.get(i, "alice").content == "Ana's city is Porto.")
    assert porto.valid_from == T1
    assert porto.metadata["subject"] == "Ana" and porto.metadata["attribute"] == "city"
    refs = {(s.kind, s.ref) for s in porto.sources}
    assert ("message", "s1#2") in refs and ("cube", f"{report.episodes[2]}@1") in refs
    # The turn's words live in its episode only (forgetting it forgets them, and the fact
    # derived from it): the fact keeps references, not a copy.
    assert next(s for s in porto.sources if s.kind == "message").text is None
    assert [(d.cube_id, d.version) for d in porto.derived_from] == [(report.episodes[2], 1)]


def test_a_new_value_supersedes_and_history_keeps_both(mem: MemOS) -> None:
    first = mem.ingest([user("I live in Lisbon.")], "alice", session_id="s1", at=T1)
    [lisbon] = first.facts
    second = mem.ingest([user("I moved to Berlin.")], "alice", session_id="s2", at=T2)
    assert second.superseded == [lisbon]
    old = mem.history(lisbon, "alice")
    assert old[0].state == Lifecycle.ACTIVE and old[0].valid_to is None
    assert old[-1].state == Lifecycle.SUPERSEDED and old[-1].valid_to == T2
    assert [v.version for v in old] == [1, 2]  # one version ends it, already dated
    [berlin] = second.facts
    assert mem.get(berlin, "alice").content == "Alice's city is Berlin."
    hits = [h.content for h in mem.search("Alice city", "alice", kind="fact")]
    assert "Alice's city is Berlin." in hits and "Alice's city is Lisbon." not in hits


def test_a_negation_ends_the_fact_without_a_new_value(mem: MemOS) -> None:
    [peanuts, cats] = mem.ingest([user("I'm allergic to peanuts and cats.")], "alice",
                                 session_id="s1", at=T1).facts
    report = mem.ingest([user("Good news: I'm not allergic to peanuts any more!")], "alice",
                        session_id="s2", at=T2)
    assert report.ended == [peanuts] and report.facts == [] and report.superseded == []
    ended = mem.history(peanuts, "alice")
    assert ended[-1].state == Lifecycle.SUPERSEDED and ended[-1].valid_to == T2
    assert [v.version for v in ended] == [1, 2]
    assert ended[0].content == "Alice's allergy is peanuts."  # history keeps it
    assert mem.get(cats, "alice").state == Lifecycle.ACTIVE  # the other allergy stays
    live = [h.content for h in mem.search("allergy", "alice", kind="fact")]
    assert live == ["Alice's allergy is cats."]
    # The negating turn's episode is what superseded it.
    assert any(n.cube.id == peanuts for n in mem.neighbors(report.episodes[0], "alice",
                                                           relation="supersedes"))


def test_a_negation_of_something_never_stored_ends_nothing(mem: MemOS) -> None:
    report = mem.ingest([user("I'm not allergic to shellfish any more.")], "alice",
                        session_id="s1", at=T1)
    assert report.ended == [] and report.facts == [] and len(report.episodes) == 1


def test_a_job_ended_then_a_new_one_in_a_later_session(mem: MemOS) -> None:
    [nurse] = mem.ingest([user("I work as a nurse.")], "alice", session_id="s1", at=T1).facts
    assert mem.get(nurse, "alice").content == "Alice's job is nurse."
    report = mem.ingest([user("I'm not a nurse anymore."), user("I'm now a teacher.")], "alice",
                        session_id="s2", at=T2)
    assert report.ended == [nurse] and report.superseded == []
    history = mem.history(nurse, "alice")
    assert [v.version for v in history] == [1, 2]
    assert history[0].state == Lifecycle.ACTIVE and history[0].content == "Alice's job is nurse."
    assert history[-1].state == Lifecycle.SUPERSEDED and history[-1].valid_to == T2
    [teacher] = report.facts
    current = mem.get(teacher, "alice")
    assert current.content == "Alice's job is teacher." and current.state == Lifecycle.ACTIVE
    assert current.valid_from == T2 and current.valid_to is None
    assert [h.content for h in mem.search("job", "alice", kind="fact")] == [
        "Alice's job is teacher."]


def test_a_job_left_ends_the_current_employer_whatever_its_value(mem: MemOS) -> None:
    [acme] = mem.ingest([user("I work at Acme.")], "alice", session_id="s1", at=T1).facts
    report = mem.ingest([user("Big news: I quit my job.")], "alice", session_id="s2", at=T2)
    assert report.ended == [acme] and report.facts == []
    assert mem.history(acme, "alice")[-1].valid_to == T2
    assert mem.search("employer", "alice", kind="fact") == []
    # Nothing stored: nothing ends, and no employer called "my job" is written anywhere.
    again = mem.ingest([user("I left my teaching job.")], "alice", session_id="s3", at=T2)
    assert again.ended == [] and again.facts == []
    # In one call the statements apply in turn order: Wise, said after, stays.
    one = mem.ingest([user("I work for Initech."), user("I lost my job."),
                      user("I joined Wise.")], "bob", session_id="s1", at=T1)
    live = {mem.get(i, "bob").content: mem.get(i, "bob").state for i in one.facts}
    assert live == {"Bob's employer is Initech.": Lifecycle.SUPERSEDED,
                    "Bob's employer is Wise.": Lifecycle.ACTIVE}
    assert len(one.ended) == 1


def test_dislike_supersedes_like(mem: MemOS) -> None:
    [jazz] = mem.ingest([user("I love jazz.")], "alice", session_id="s1", at=T1).facts
    report = mem.ingest([user("I can't stand jazz.")], "alice", session_id="s2", at=T2)
    assert report.superseded == [jazz]
    assert contents(mem, report.facts) == ["Alice dislikes jazz."]


def test_within_one_call_the_later_statement_wins(mem: MemOS) -> None:
    report = mem.ingest([user("I live in Paris."), user("Actually, I moved to Lyon."),
                         user("I'm allergic to peanuts."),
                         user("Update: I'm no longer allergic to peanuts.")],
                        "alice", session_id="s1", at=T1)
    live = {mem.get(i, "alice").content: mem.get(i, "alice").state for i in report.facts}
    assert live["Alice's city is Lyon."] == Lifecycle.ACTIVE
    assert live["Alice's city is Paris."] == Lifecycle.SUPERSEDED
    assert live["Alice's allergy is peanuts."] == Lifecycle.SUPERSEDED
    assert len(report.ended) == 1


def test_stated_negated_and_restated_ends_live(mem: MemOS) -> None:
    report = mem.ingest([user("I'm allergic to peanuts."),
                         user("I'm not allergic to peanuts any more."),
                         user("Oops, I'm allergic to peanuts after all.")],
                        "alice", session_id="s1", at=T1)
    first, again = report.facts
    assert report.ended == [first]
    assert mem.get(first, "alice").state == Lifecycle.SUPERSEDED
    assert mem.get(again, "alice").content == "Alice's allergy is peanuts."
    assert [h.id for h in mem.search("allergy", "alice", kind="fact")] == [again]


def test_the_stated_name_persists_across_processes(open_store: Any) -> None:
    mem = open_store()
    mem.ingest([user("My name is Alice Moreau.")], "alice", session_id="s1", at=T1)
    mem.close()
    mem = open_store()
    assert resolve_user_name(mem, "alice") == "Alice Moreau"
    report = mem.ingest([user("I live in Rome.")], "alice", session_id="s2", at=T2)
    assert report.user_name == "Alice Moreau"
    assert contents(mem, report.facts) == ["Alice Moreau's city is Rome."]
    q = canonical_question("where do I live?", resolve_user_name(mem, "alice"))
    assert q is not None and q.question == "What is Alice Moreau's city?"
    # A user who never said a name is called by the user id.
    assert resolve_user_name(mem, "bob") == "Bob"


@pytest.mark.parametrize(("messages", "words"), [
    ("I live in Lisbon", ["messages must be a list"]),
    ([], ["messages is empty"]),
    ([user("ok"), "hello"], ["message 1", "dict"]),
    ([user("ok"), {"role": "bot", "content": "x"}], ["message 1", "'role'"]),
    ([user("ok"), {"role": "user"}], ["message 1", "'content'"]),
    ([user("ok"), user("   ")], ["message 1", "'content'"]),
    ([user("ok"), user("x", mood="happy")], ["message 1", "unknown field", "mood"]),
    ([user("ok"), user("x", at="yesterday")], ["message 1", "'at'", "ISO 8601"]),
    ([user("ok"), user("x", name=7)], ["message 1", "'name'"]),
    ([user("ok"), user("bad \x00 byte")], ["message 1", "NUL"]),
])
def test_bad_messages_raise_and_write_nothing(mem: MemOS, messages: Any,
                                              words: list[str]) -> None:
    with pytest.raises(InvalidInputError) as err:
        mem.ingest(messages, "alice", session_id="s1")
    for word in words:
        assert word in str(err.value)
    assert mem.stats().cubes == 0


def test_bad_arguments(mem: MemOS) -> None:
    with pytest.raises(InvalidInputError, match="mode"):
        mem.ingest([user("hi")], "alice", session_id="s1", mode="magic")
    with pytest.raises(InvalidInputError, match="session_id"):
        mem.ingest([user("hi")], "alice", session_id="")
    with pytest.raises(InvalidInputError, match="scope"):
        mem.ingest([user("hi")], None, session_id="s1")  # type: ignore[arg-type]
    assert mem.stats().cubes == 0


def test_one_users_ingest_is_invisible_to_another(mem: MemOS) -> None:
    report = mem.ingest([user("I live in Lisbon and I work at Feedzai.")], "alice",
                        session_id="s1", at=T1)
    assert mem.search("Lisbon Feedzai", "bob") == []
    for cube_id in report.facts + report.episodes:
        with pytest.raises(NotFoundError) as theirs:
            mem.get(cube_id, "bob")
        with pytest.raises(NotFoundError) as missing:
            mem.get("0" * 32, "bob")
        assert str(theirs.value).replace(cube_id, "ID") == \
            str(missing.value).replace("0" * 32, "ID")
    # Bob's own statement about the same city does not touch Alice's fact.
    bob = mem.ingest([user("I moved to Porto.")], "bob", session_id="s1", at=T2)
    assert bob.superseded == []
    assert mem.get(report.facts[0], "alice").state == Lifecycle.ACTIVE


def test_named_speakers_are_their_own_subjects(mem: MemOS) -> None:
    report = mem.ingest([user("I live in Boston now.", name="Caroline"),
                         user("I work at a school library.", name="Melanie")],
                        "conv-1", session_id="session_1", at=T1)
    assert sorted(contents(mem, report.facts, "conv-1")) == [
        "Caroline's city is Boston.", "Melanie's employer is a school library."]


def test_a_turn_said_twice_is_stored_once_with_both_sources(mem: MemOS) -> None:
    first = mem.ingest([user("I live in Lisbon.")], "alice", session_id="s1", at=T1)
    again = mem.ingest([user("I live in Lisbon.")], "alice", session_id="s2", at=T2)
    assert again.facts == first.facts and again.superseded == []
    refs = {s.ref for s in mem.get(first.facts[0], "alice").sources if s.kind == "message"}
    assert refs == {"s1#0", "s2#0"}


def test_a_fact_stated_in_its_own_words_is_kept_beside_its_turn(mem: MemOS) -> None:
    # The turn already says everything the fact says (near-duplicate text); the fact is a
    # different kind of memory and must not be merged into the turn's episode.
    report = mem.ingest([user("Rosa's phone number is +1 415 555 0199."),
                         user("Dave's phone number is +1 415 555 0134.")], "mei",
                        session_id="s1", at=T1)
    facts = [mem.get(i, "mei") for i in report.facts]
    assert sorted(f.content for f in facts) == [
        "Dave's phone number is +1 415 555 0134.", "Rosa's phone number is +1 415 555 0199."]
    assert {f.kind.value for f in facts} == {"fact"}
    assert all(f.metadata["attribute"] == "phone number" for f in facts)
    # Said again in a later session: the same fact (a duplicate of it), not a second one.
    again = mem.ingest([user("Rosa's phone number is +1 415 555 0199.")], "mei",
                       session_id="s2", at=T2)
    rosa = next(f.id for f in facts if f.content.startswith("Rosa"))
    assert again.facts == [rosa]


def test_a_person_named_by_part_of_an_earlier_name_is_that_person(mem: MemOS) -> None:
    first = mem.ingest([user("My accountant is Dr. Helen Varga, her email is h.varga@vargaco.uk.")],
                       "alice", session_id="s1", at=T1)
    old = [i for i in first.facts if "h.varga@" in mem.get(i, "alice").content]
    assert len(old) == 1
    # A later session names her by her first name and says the value as a change.
    second = mem.ingest([user("Helen changed her email, it's now helen@vargaco.uk.")], "alice",
                        session_id="s2", at=T2)
    [new] = second.facts
    assert mem.get(new, "alice").content == "Dr. Helen Varga's email is helen@vargaco.uk."
    assert second.superseded == old
    # An initial or a title that does not fit is another person.
    other = mem.ingest([user("J. Varga's email is jv@example.org.")], "alice", session_id="s2b",
                       at=T2)
    assert [mem.get(i, "alice").content for i in other.facts] == [
        "J. Varga's email is jv@example.org."] and not other.superseded
    # Two people the part could name: it stays as said.
    mem.ingest([user("My dentist is Dr. Helen Osei.")], "alice", session_id="s3", at=T2)
    third = mem.ingest([user("Helen's phone number is 020 7946 0321.")], "alice",
                       session_id="s4", at=T2)
    assert [mem.get(i, "alice").content for i in third.facts] == [
        "Helen's phone number is 020 7946 0321."]


def test_a_short_name_is_looked_up_once_per_ingest(mem: MemOS,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Each fact naming a person searched the store for the people that name could be
    (256 facts): in a long conversation about a few people that search was most of the
    time. It runs once per name and call now, and what it found still holds after the
    call's facts are written midway (the same attribute said twice writes the queue)."""
    mem.ingest([user("My accountant is Dr. Helen Varga.")], "alice", session_id="s1", at=T1)
    queries: list[str] = []
    search = mem.search

    def counted(query: str, *args: Any, **kwargs: Any) -> Any:
        queries.append(query)
        return search(query, *args, **kwargs)

    monkeypatch.setattr(mem, "search", counted)
    report = mem.ingest([user("Helen's phone number is 020 7946 0321."),
                         user("Helen's email is helen@vargaco.uk."),
                         user("Helen's phone number is 020 7946 0999."),
                         user("Helen's email is hv@vargaco.uk.")],
                        "alice", session_id="s2", at=T2)
    live = sorted(c.content for c in (mem.get(i, "alice") for i in report.facts)
                  if c.state.value == "active")
    assert live == ["Dr. Helen Varga's email is hv@vargaco.uk.",
                    "Dr. Helen Varga's phone number is 020 7946 0999."]
    assert queries.count("Helen") == 1


def test_a_name_written_earlier_in_the_call_is_that_fact_and_only_while_it_is_live(
        mem: MemOS) -> None:
    """The call's own written names (kept instead of searched again): the renamed fact is
    derived from the fact that gave the name, as a search would find it, so forgetting that
    fact reaches it; and a name superseded in the call no longer counts."""
    report = mem.ingest([user("My accountant is Dr. Helen Varga."), user("I quit my job."),
                         user("Helen's email is helen@x.com.")], "alice", session_id="s1")
    facts = {mem.get(i, "alice").content: mem.get(i, "alice") for i in report.facts}
    email = facts["Dr. Helen Varga's email is helen@x.com."]
    named = facts["Alice's accountant's name is Dr. Helen Varga."]
    assert named.id in {d.cube_id for d in email.derived_from}
    mem.forget(named.id, "alice")
    assert "helen@x.com" not in [h.cube.metadata.get("value")
                                 for h in mem.search("helen@x.com", "alice", k=10)]
    again = mem.ingest([user("My accountant is Dr. Helen Varga."),
                        user("Actually my accountant is Dr. Helen Smith."),
                        user("I quit my job."), user("Helen's email is helen@y.com.")],
                       "bob", session_id="s1")
    assert "Dr. Helen Smith's email is helen@y.com." in [
        mem.get(i, "bob").content for i in again.facts]


def test_another_users_public_facts_never_rename_this_users_people(mem: MemOS) -> None:
    from memos.cube import Scope

    mem.add("Dr. Helen Mallory's email is m@evil.example.", Scope(user_id="mallory",
            visibility="public"), kind="fact",
            metadata={"subject": "Dr. Helen Mallory", "attribute": "email"})
    report = mem.ingest([user("Helen changed her email, it's now helen@vargaco.uk.")], "alice",
                        session_id="s1", at=T1)
    assert [mem.get(i, "alice").content for i in report.facts] == [
        "Helen's email is helen@vargaco.uk."]


def test_facts_the_caller_may_not_change_never_block_its_ingest(mem: MemOS) -> None:
    """Before: a like/dislike flip or a negation looked for the facts to end with a search,
    which also returns facts the caller may read but not change (another agent's shared
    fact, another user's public one); superseding them failed, and with them every fact of
    the call: another scope's cube decided whether this scope's memories were written."""
    from memos.cube import Scope

    a1, a2 = Scope(user_id="alice", agent_id="a1"), Scope(user_id="alice", agent_id="a2")
    [theirs] = mem.ingest([user("I like green tea.")], Scope(
        user_id="alice", agent_id="a2", visibility="shared"), session_id="s0", at=T1).facts
    mem.add("Alice likes black tea.", Scope(user_id="mallory", visibility="public"),
            kind="fact", metadata={"subject": "user:alice", "attribute": "likes=black tea",
                                   "relation": "likes", "value": "black tea"})
    report = mem.ingest([user("I like coffee."), user("I dislike green tea."),
                         user("I dislike black tea."), user("I live in Oslo.")], a1,
                        session_id="s1", at=T2)
    assert report.failed == []
    assert sorted(contents(mem, report.facts, a1)) == [
        "Alice dislikes black tea.", "Alice dislikes green tea.", "Alice likes coffee.",
        "Alice's city is Oslo."]
    ended = mem.ingest([user("I don't like green tea any more.")], a1, session_id="s2", at=T2)
    assert ended.failed == [] and ended.ended == []
    assert mem.get(theirs, a2).state == Lifecycle.ACTIVE  # a2's fact is a2's to change


def test_a_reply_quoting_a_turn_dates_its_words_by_the_quote(mem: MemOS) -> None:
    """The assistant quotes an earlier turn ("On 28 February 2026 you said: last saturday I
    ran ..."): its relative words were resolved against the reply's time, so the reply
    named the Saturday before it, and "what did I do last saturday?" found the old run
    (user probe, session 38)."""
    reply_at = datetime(2026, 3, 10, 12, tzinfo=UTC)
    quote = ("On 28 February 2026 you said: last saturday I ran my first half marathon. "
             "Later, on 3 March 2026, you said: yesterday I rested.")
    report = mem.ingest([user("What did I do?"), {"role": "assistant", "content": quote}],
                        "alice", session_id="s1", at=reply_at)
    dates = {(d["text"].lower(), d["date"])
             for d in mem.get(report.episodes[1], "alice").metadata["dates"]}
    assert ("last saturday", "2026-02-21") in dates and ("yesterday", "2026-03-02") in dates
    assert not [d for d in dates if d[1] == "2026-03-07"]  # the Saturday before the reply
