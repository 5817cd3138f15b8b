"""A fact stated in two turns is read from both (its episode sources and `derived_from` name
each): forgetting or purging one turn leaves it, stated by the other; it goes with the last.
Before, `derived_from` named the first turn only, so purging that turn erased a fact the
user had said again since, and purging the second left a fact whose every source was gone."""

from __future__ import annotations

from pathlib import Path

import pytest

from memos import MemOS
from memos.errors import NotFoundError


@pytest.fixture
def mem(tmp_path: Path):
    with MemOS.open(tmp_path / "s") as store:
        yield store


def _said_twice(mem: MemOS) -> tuple[str, str, str]:
    one = mem.ingest([{"role": "user", "content": "I live in Paris."}], "fay", session_id="s1")
    two = mem.ingest([{"role": "user", "content": "By the way, I live in Paris."}], "fay",
                     session_id="s2")
    assert one.facts == two.facts  # the same fact, stated again
    return one.episodes[0], two.episodes[0], one.facts[0]


def _turns(cube) -> set[str]:
    return {s.ref.split("@")[0] for s in cube.sources if s.role == "episode"}


def test_the_fact_names_both_turns(mem) -> None:
    t1, t2, fact = _said_twice(mem)
    cube = mem.get(fact, "fay")
    assert {d.cube_id for d in cube.derived_from} == {t1, t2} == _turns(cube)


def test_purging_one_turn_leaves_the_fact_without_it(mem) -> None:
    t1, t2, fact = _said_twice(mem)
    report = mem.purge(t1, "fay")
    assert fact not in report.cube_ids
    cube = mem.get(fact, "fay")
    assert cube.content == "Fay's city is Paris." and cube.state.value == "active"
    assert [d.cube_id for d in cube.derived_from] == [t2] and _turns(cube) == {t2}
    assert all(s.ref != "s1#0" for s in cube.sources)  # nor the erased turn's message
    for version in mem.history(fact, "fay"):  # in no version either
        assert t1 not in version.model_dump_json()
    remains = mem.purge_remains([t1])
    assert remains["plaintext"] == {"rows": 0, "versions": 0, "changelog_rows": 0,
                                    "derivation_rows": 0, "reasons_naming": 0}
    assert fact in {h.id for h in mem.search("Paris", "fay", k=5, fold=False)}  # indexes follow
    # the last turn that states it takes it along
    report = mem.purge(t2, "fay")
    assert fact in report.cube_ids
    with pytest.raises(NotFoundError):
        mem.get(fact, "fay")


def test_forgetting_one_turn_keeps_the_fact_and_the_last_forgets_it(mem) -> None:
    t1, t2, fact = _said_twice(mem)
    mem.forget(t1, "fay")
    assert mem.get(fact, "fay").state.value == "active"
    mem.forget(t2, "fay")
    with pytest.raises(NotFoundError):
        mem.get(fact, "fay")


def test_a_fact_said_once_still_goes_with_its_turn(mem) -> None:
    one = mem.ingest([{"role": "user", "content": "I live in Paris."}], "fay", session_id="s1")
    mem.ingest([{"role": "user", "content": "I work at Acme."}], "fay", session_id="s2")
    report = mem.purge(one.episodes[0], "fay")
    assert one.facts[0] in report.cube_ids


def test_purging_the_whole_user_leaves_nothing(mem) -> None:
    t1, t2, fact = _said_twice(mem)
    report = mem.purge(None, "fay", all_of_user=True)
    assert {t1, t2, fact} <= set(report.cube_ids)


def test_a_fact_named_by_another_goes_with_that_one_though_said_twice(mem) -> None:
    report = mem.ingest([{"role": "user", "content": "My accountant is Dr. Helen Varga."},
                         {"role": "user", "content": "Helen's email is helen@x.com."},
                         {"role": "user", "content": "Again: Helen's email is helen@x.com."}],
                        "fay", session_id="s1")
    email = next(mem.get(i, "fay") for i in report.facts if "email" in mem.get(i, "fay").content)
    assert email.content == "Dr. Helen Varga's email is helen@x.com."
    naming = {d.cube_id for d in email.derived_from} - _turns(email)
    assert len(_turns(email)) == 2 and naming == {report.episodes[0]}
    mem.forget(report.episodes[1], "fay")  # one of the turns that state it: it stays
    assert mem.get(email.id, "fay").state.value == "active"
    mem.forget(report.episodes[0], "fay")  # the turn it took the name from: it goes
    with pytest.raises(NotFoundError):
        mem.get(email.id, "fay")


def test_no_other_scopes_turn_keeps_a_fact(mem) -> None:
    """A source names any id the caller writes; another user's turn named there must not
    keep the fact (nor tell by keeping it that the turn exists): only turns named in
    derived_from too (cubes the writer may change), of the fact's own user, count."""
    bob = mem.ingest([{"role": "user", "content": "My PIN hint is seventeen."}], "bob",
                     session_id="b1").episodes[0]
    for forged in (bob, "f" * 32):
        user = f"al{forged[:4]}"
        one = mem.ingest([{"role": "user", "content": "I live in CityA."}], user,
                         session_id="s1")
        fact = mem.get(one.facts[0], user)
        mem.add(fact.content, user, kind="fact",
                sources=[{"kind": "cube", "role": "episode", "ref": f"{forged}@1"}])
        mem.forget(one.episodes[0], user)
        with pytest.raises(NotFoundError):
            mem.get(fact.id, user)


def test_a_turn_past_its_ttl_states_nothing(mem) -> None:
    import time
    from datetime import UTC, datetime, timedelta

    t1, t2, fact = _said_twice(mem)
    mem.update(t2, "fay", expires_at=datetime.now(UTC) + timedelta(seconds=1))
    time.sleep(1.2)
    report = mem.purge(t1, "fay")
    assert fact in report.cube_ids


def test_a_message_ref_the_kept_turn_names_too_stays(mem) -> None:
    one = mem.ingest([{"role": "user", "content": "I live in Paris."}], "fay", session_id="s1")
    two = mem.ingest([{"role": "user", "content": "By the way, I live in Paris."}], "fay",
                     session_id="s1")  # the same "s1#0"
    mem.purge(one.episodes[0], "fay")
    cube = mem.get(one.facts[0], "fay")
    assert ("message", "s1#0") in {(s.kind, s.ref) for s in cube.sources}
    assert _turns(cube) == {two.episodes[0]}


def test_no_version_reason_names_a_purged_turn(mem) -> None:
    report = mem.ingest([{"role": "user", "content": "I like tea."},
                         {"role": "user", "content": "My cat is Tom."},
                         {"role": "user", "content": "I like jazz."}], "fay", session_id="s1")
    middle = report.episodes[1]
    mem.forget(middle, "fay")  # its neighbours' new versions say why, naming it
    named = [v.reason for c in report.episodes for v in mem.versions(c, "fay")
             if v.reason and middle in v.reason]
    assert named
    mem.purge(middle, "fay")
    assert not [v.reason for c in (report.episodes[0], report.episodes[2])
                for v in mem.versions(c, "fay") if v.reason and middle in v.reason]
    assert mem.purge_remains([middle])["plaintext"]["reasons_naming"] == 0


def test_verify_counts_the_purging_users_reasons_only(mem) -> None:
    """Another user's words naming an erased id are hers: `purge_remains(user=...)` counts
    the purging user's reasons (the ones a purge scrubs), so the check can pass."""
    alice = mem.add("Alice likes tea", "alice").id
    bob = mem.add("Bob likes tea", "bob").id
    mem.update(bob, "bob", importance=0.9, reason=f"copied from {alice}")
    mem.purge(alice, "alice")
    assert mem.purge_remains([alice], user="alice")["plaintext"]["reasons_naming"] == 0
    assert mem.purge_remains([alice])["plaintext"]["reasons_naming"] == 1  # store-wide
