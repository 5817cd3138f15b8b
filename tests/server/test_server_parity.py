"""The SDK's behaviour, run twice: on an embedded `MemOS` and on `memos.Client` talking to a
live server. Each test gets `api(user, agent=None)`: the object that user's agent code holds
(the shared MemOS, or a Client with that user's key), and writes the same code against it."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest

from memos.cube import MemCube, Scope
from memos.errors import InvalidInputError, NotFoundError, ScopeError
from memos.results import AddResult, CubeDiff, SearchHit

Api = Callable[..., Any]


@pytest.fixture(params=["embedded", "remote"])
def api(request: pytest.FixtureRequest, server_mem: Any) -> Api:
    if request.param == "embedded":
        return lambda user, agent=None: server_mem
    client_for = request.getfixturevalue("client_for")
    return lambda user, agent=None: client_for(user, agent)


def test_add_get_search(api: Api, new_user: Any) -> None:
    user = new_user()
    mem = api(user)
    added = mem.add("Alice prefers green tea in the morning", user, tags=["drink"],
                    metadata={"source": "chat"}, kind="preference")
    assert isinstance(added, AddResult) and added.action == "added"
    cube = mem.get(added.id, user)
    assert isinstance(cube, MemCube) and cube.kind == "preference" and cube.tags == ["drink"]
    mem.add("Bob's car is red", user)
    hits = mem.search("what does alice drink", user, k=5)
    assert isinstance(hits[0], SearchHit) and hits[0].id == added.id
    assert [h.id for h in mem.search("tea", user, k=5, kind="preference")] == [added.id]
    assert mem.search("tea", user, k=5, tags=["nope"]) == []
    assert mem.add("Alice prefers green tea in the morning", user).action == "duplicate"


def test_update_history_diff_rollback(api: Api, new_user: Any) -> None:
    user = new_user()
    mem = api(user)
    cid = mem.add("the meeting is on Monday", user).id
    v2 = mem.update(cid, user, content="the meeting is on Tuesday", reason="moved")
    assert v2.version == 2
    with pytest.raises(InvalidInputError, match="changes nothing"):
        mem.update(cid, user, content="the meeting is on Tuesday")
    assert [c.version for c in mem.history(cid, user)] == [1, 2]
    diff = mem.diff(cid, user)
    assert isinstance(diff, CubeDiff) and diff.from_version == 1 and diff.to_version == 2
    assert mem.get(cid, user, version=1).content == "the meeting is on Monday"
    back = mem.rollback(cid, user, 1)
    assert back.version == 3 and back.content == "the meeting is on Monday"
    with pytest.raises(NotFoundError):
        mem.rollback(cid, user, 9)
    # how each version was made, and why (a fresh-eyes test: --reason was written, never
    # read back)
    made = mem.versions(cid, user)
    assert [(v.version, v.op, v.reason) for v in made] == [
        (1, "add", None), (2, "update", "moved"), (3, "rollback", None)]
    assert made[0].at <= made[1].at <= made[2].at


def test_supersede_and_forget(api: Api, new_user: Any) -> None:
    user = new_user()
    mem = api(user)
    old = mem.add("Alice lives in Paris", user).id
    new = mem.supersede(old, user, content="Alice lives in Berlin", reason="moved")
    assert old in new.superseded
    assert mem.get(old, user).state == "superseded"
    gone = mem.forget(new.id, user, reason="asked")
    assert gone.state == "forgotten"
    with pytest.raises(NotFoundError):
        mem.get(new.id, user)
    assert all(h.id != new.id for h in mem.search("Berlin", user, k=5))


def test_supersede_takes_every_field_of_add(api: Api, new_user: Any) -> None:
    """Before: the server's supersede body knew only some of add's fields, so `ttl`,
    `expires_at`, `entities` and `supersedes` (which MemOS.supersede hands to add) were a 422
    through `memos.Client` and worked embedded."""
    from datetime import UTC, datetime

    user = new_user()
    mem = api(user)
    old, other = (mem.add(text, user).id for text in ("Ana lives in Faro", "Ana is in Faro"))
    new = mem.supersede(old, user, content="Ana lives in Braga", ttl=3600,
                        entities=["Ana"], supersedes=[other])
    assert set(new.superseded) == {old, other} and new.cube.expires_at is not None
    until = datetime(2031, 1, 1, tzinfo=UTC)
    later = mem.supersede(new.id, user, content="Ana lives in Porto", expires_at=until)
    assert later.cube.expires_at == until


def test_supersede_by_with_a_told_end(api: Api, new_user: Any) -> None:
    """`ended_at` (with by=): the old cube ended when the caller says, between when it began
    and now; a time outside that, an unreadable one, or one given with content= is refused
    with nothing changed. Before, supersede(by=...) took add's fields and applied none of
    them (tags, valid_to) without a word; it refuses them now."""
    from datetime import UTC, datetime, timedelta

    user = new_user()
    mem = api(user)
    began = datetime(2024, 3, 1, 12, tzinfo=UTC)
    old = mem.add("Ana works at Globex", user, valid_from=began).id
    by = mem.add("Ana left Globex in November", user).id
    with pytest.raises(InvalidInputError, match="before cube .* began"):
        mem.supersede(old, user, by=by, ended_at=began - timedelta(days=1))
    with pytest.raises(InvalidInputError, match="in the future"):
        mem.supersede(old, user, by=by, ended_at=datetime.now(UTC) + timedelta(days=2))
    with pytest.raises(InvalidInputError, match="ended_at"):
        mem.supersede(old, user, by=by, ended_at="last tuesday")
    with pytest.raises(InvalidInputError, match="takes no new cube's fields .*tags"):
        mem.supersede(old, user, by=by, tags=["work"])
    with pytest.raises(InvalidInputError, match="ended_at goes with by="):
        mem.supersede(old, user, content="Ana works at Initech",
                      ended_at=datetime(2025, 1, 1, tzinfo=UTC))
    with pytest.raises(InvalidInputError):  # a number is no time (REST and SDK alike)
        mem.supersede(old, user, by=by, ended_at="20251101")
    assert mem.get(old, user).state == "active" and mem.get(old, user).version == 1
    end = datetime(2025, 11, 1, tzinfo=UTC)
    result = mem.supersede(old, user, by=by, ended_at=end.date())  # a date: its first moment
    assert result.superseded == [old]
    ended = mem.get(old, user)
    assert ended.state == "superseded" and ended.valid_to == end
    # without ended_at the end is when `by` began (else now, as here)
    other = mem.add("Ana lives in Faro", user, valid_from=began).id
    before = datetime.now(UTC) - timedelta(seconds=1)
    mem.supersede(other, user, by=by)
    assert mem.get(other, user).valid_to >= before


def test_scope_isolation(api: Api, new_user: Any) -> None:
    alice, bob = new_user(), new_user()
    a, b = api(alice), api(bob)
    cid = a.add("alice's private diary entry", alice).id
    missing_id = "0" * 32
    for call in (lambda i: b.get(i, bob), lambda i: b.history(i, bob),
                 lambda i: b.update(i, bob, content="mine now"),
                 lambda i: b.forget(i, bob), lambda i: b.diff(i, bob),
                 lambda i: b.neighbors(i, bob)):
        with pytest.raises(NotFoundError) as theirs:
            call(cid)
        with pytest.raises(NotFoundError) as missing:
            call(missing_id)
        assert str(theirs.value).replace(cid, "ID") == str(missing.value).replace(
            missing_id, "ID")
    assert b.search("diary entry", bob, k=5) == []
    assert a.get(cid, alice).content == "alice's private diary entry"


def test_agent_scopes(api: Api, new_user: Any) -> None:
    user = new_user()
    planner, critic = api(user, "planner"), api(user, "critic")
    own = Scope(user_id=user, agent_id="planner")
    cid = planner.add("planner's scratch note", own).id
    with pytest.raises(NotFoundError):
        critic.get(cid, Scope(user_id=user, agent_id="critic"))
    shared = planner.add("note for all agents",
                         Scope(user_id=user, agent_id="planner", visibility="shared")).id
    critic_scope = Scope(user_id=user, agent_id="critic")
    assert critic.get(shared, critic_scope).content == "note for all agents"
    with pytest.raises(ScopeError):
        critic.update(shared, critic_scope, content="critic edits it")


def test_links_neighbors_batch_stats(api: Api, new_user: Any) -> None:
    user = new_user()
    mem = api(user)
    results = mem.add_many(["fact one", {"content": "fact two", "tags": ["t"]}, "fact three"],
                           user)
    assert [r.action for r in results] == ["added"] * 3
    edge = mem.link(results[0].id, results[1].id, user, relation="next")
    assert edge.relation == "next"
    near = mem.neighbors(results[0].id, user)
    assert [n.cube.id for n in near] == [results[1].id] and near[0].direction == "out"
    assert mem.stats(user).live == 3


def test_export_import_round_trip(api: Api, new_user: Any, tmp_path: Any) -> None:
    user = new_user()
    mem = api(user)
    mem.add("kept across export\u2028with a line separator\x85inside", user)
    buffer = io.StringIO()
    report = mem.export(user, buffer)
    assert report.cubes == 1
    path = tmp_path / "out.jsonl"
    assert mem.export(user, str(path)).cubes == 1
    assert path.read_text().count("\n") == 3  # header, cube, end
    again = mem.import_(io.StringIO(buffer.getvalue()), user)
    assert again.skipped_existing == 1 and again.imported == 0


def test_errors_are_the_sdks(api: Api, new_user: Any) -> None:
    user = new_user()
    mem = api(user)
    with pytest.raises(InvalidInputError):
        mem.add("", user)
    with pytest.raises(InvalidInputError):
        mem.add("x", user, importance=3.0)
    with pytest.raises(InvalidInputError):
        mem.search("x", user, k=0)
    with pytest.raises(InvalidInputError):
        mem.search("x", user, filters={"bogus": 1})
    with pytest.raises(NotFoundError):
        mem.get("f" * 32, user)


def test_ingest(api: Api, new_user: Any) -> None:
    from memos.facade import MemOS
    from memos.results import IngestReport

    if not hasattr(MemOS, "ingest"):
        pytest.skip("MemOS.ingest is not in this build")
    user = new_user()
    mem = api(user)
    report = mem.ingest([{"role": "user", "content": "I live in Paris and I love jazz."}],
                        user, session_id="s1")
    assert isinstance(report, IngestReport) and report.turns == 1 and report.episodes
    assert mem.get(report.episodes[0], user).kind == "episode"
    with pytest.raises(InvalidInputError):
        mem.ingest([{"role": "user"}], user, session_id="s1")
    # the call's time as a message's own: a datetime, a date (noon UTC) or an ISO string
    import datetime as dt

    for at, day in (("2026-03-01T09:30:00Z", 1), (dt.date(2026, 3, 2), 2)):
        done = mem.ingest([{"role": "user", "content": f"Note {day}."}], user,
                          session_id=f"t{day}", at=at)
        assert mem.get(done.episodes[0], user).valid_from.date() == dt.date(2026, 3, day)
    with pytest.raises(InvalidInputError):
        mem.ingest([{"role": "user", "content": "x"}], user, session_id="t3", at="yesterday")


def test_the_client_loads_no_store_stack() -> None:
    import json
    import subprocess
    import sys

    code = ("import json, sys, memos\nmemos.Client\n"
            "print(json.dumps([m for m in ('sqlalchemy', 'faiss', 'networkx', 'fastapi', "
            "'torch') if m in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_list_memories_pages(api: Api, new_user: Any) -> None:
    user = new_user()
    mem = api(user)
    ids = [r.id for r in mem.add_many([f"listed memory {i}" for i in range(5)], user)]
    mem.add("a preference of theirs", user, kind="preference")
    seen, cursor = [], None
    while True:
        page = mem.list_memories(user, limit=2, cursor=cursor, kind="fact")
        seen += [c.id for c in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == ids[::-1]  # newest first, every fact once, the preference left out
    with pytest.raises(InvalidInputError):
        mem.list_memories(user, kind="nonsense")


def test_loosely_typed_arguments_are_refused_alike(api: Api, new_user: Any) -> None:
    """Before: the server read "1" as 1 and "no" as False, so these passed through
    `memos.Client` (rolling back, searching without counting) and failed embedded; and the
    Client took any batch size."""
    from memos.cube import MAX_BATCH

    user = new_user()
    mem = api(user)
    cid = mem.add("the moon is blue", user).id
    mem.update(cid, user, content="the moon is grey")
    for call in (lambda: mem.rollback(cid, user, "1"),
                 lambda: mem.search("moon", user, record_access="no"),
                 lambda: mem.search("moon", user, include_superseded=1),
                 lambda: mem.add_many(["a", "b"], user, batch_size=MAX_BATCH + 1),
                 lambda: mem.add_many(["a", "b"], user, batch_size=True)):
        with pytest.raises(InvalidInputError):
            call()
    assert mem.get(cid, user).content == "the moon is grey"
    assert mem.search("moon", user, record_access=False)[0].id == cid


def test_query_numbers_and_flags_are_refused_alike(api: Api, new_user: Any,
                                                   tmp_path: Any) -> None:
    """Before: `memos.Client` sent these in the query string, where "1", 1.0 and "no" read
    as 1 and true, so they passed through the Client and failed embedded."""
    user = new_user()
    mem = api(user)
    cid = mem.add("the sea is green", user).id
    mem.update(cid, user, content="the sea is grey")
    for call in (lambda: mem.get(cid, user, version="1"),
                 lambda: mem.get(cid, user, version=1.0),
                 lambda: mem.diff(cid, user, "1"),
                 lambda: mem.diff(cid, user, 1, 2.0),
                 lambda: mem.neighbors(cid, user, depth="1"),
                 lambda: mem.list_memories(user, limit="5"),
                 lambda: mem.list_memories(user, limit=None),
                 lambda: mem.export(user, tmp_path / "out.jsonl", include_superseded="no")):
        with pytest.raises(InvalidInputError):
            call()
    assert not (tmp_path / "out.jsonl").exists()


def test_none_is_refused_where_memos_refuses_it(api: Api, new_user: Any) -> None:
    """Before: the server read a JSON null as "leave it out" (the SDK's default), so these
    passed through `memos.Client` and failed embedded; the Client dropped a None kind of
    supersede and a None mode of ingest itself."""
    user = new_user()
    mem = api(user)
    cid = mem.add("the hill is tall", user).id
    calls = [lambda f=f: mem.add("the hill is steep", user, **{f: None})
             for f in ("kind", "tags", "sources", "importance", "confidence", "entities",
                       "supersedes")]
    calls += [lambda f=f: mem.search("hill", user, **{f: None})
              for f in ("tiers", "retrievers", "include_superseded", "record_access", "fold")]
    calls += [lambda: mem.add_many([{"content": "the hill is green", "tags": None}], user),
              lambda: mem.supersede(cid, user, content="the hill is low", kind=None),
              lambda: mem.ingest([{"role": "user", "content": "I like hills"}], user,
                                 session_id="s1", mode=None)]
    # (an ISO string `at` is taken, as a message's own "at" is: test_ingest)
    for call in calls:
        with pytest.raises(InvalidInputError):
            call()
    assert [c.id for c in mem.list_memories(user).items] == [cid]
    # None where MemOS takes it as "not given" still is
    assert mem.add("the hill is far", user, metadata=None, valid_from=None, expires_at=None,
                   ttl=None).action == "added"
    assert mem.search("hill", user, kind=None, tags=None, since=None, filters=None)


def test_versions_are_the_owners_only(api: Api, new_user: Any) -> None:
    alice, bob = new_user(), new_user()
    a, b = api(alice), api(bob)
    cid = a.add("the offsite is in Lisbon", alice).id
    new = a.supersede(cid, alice, content="the offsite is in Porto", reason="venue changed")
    assert [(v.op, v.reason) for v in a.versions(cid, alice)] == [
        ("add", None), ("supersede", "venue changed")]
    assert [v.op for v in a.versions(new.id, alice)] == ["add"]
    with pytest.raises(NotFoundError):
        b.versions(cid, bob)


def test_a_fact_added_as_past_ends_nothing(api: Api, new_user: Any) -> None:
    """`valid_to` on add (a past fact, "Alice's city was Seville"): stored ended, it supersedes
    no live fact of its key; a `valid_to` still to come is a live fact that conflicts as any
    does; an end before the beginning is refused."""
    from datetime import UTC, datetime, timedelta

    user = new_user()
    mem = api(user)
    key = {"subject": "alice", "attribute": "city"}
    live = mem.add("Alice's city is Lyon.", user, metadata=key).id
    past = mem.add("Alice's city was Seville.", user, metadata=key,
                   valid_to=datetime(2026, 1, 1, tzinfo=UTC))
    assert past.superseded == [] and past.cube.valid_to == datetime(2026, 1, 1, tzinfo=UTC)
    assert mem.get(live, user).state == "active" and mem.get(live, user).valid_to is None
    later = mem.add("Alice's city is Porto.", user, metadata=key,
                    valid_to=datetime.now(UTC) + timedelta(days=30))
    assert later.superseded == [live]
    with pytest.raises(InvalidInputError, match="valid_to"):
        mem.add("Alice's city was Rome.", user, metadata=key,
                valid_from=datetime(2020, 1, 1, tzinfo=UTC),
                valid_to=datetime(2019, 1, 1, tzinfo=UTC))


def test_a_duplicate_says_what_it_did_not_apply(api: Api, new_user: Any) -> None:
    """Before: an add of text already stored came back "duplicate" and dropped its tags,
    metadata, importance, dates and expiry without a word (only the CLI warned). Now
    `AddResult.ignored` names them, embedded and through the server alike."""
    from datetime import UTC, datetime

    user = new_user()
    mem = api(user)
    mem.add("Ana's locker code is 4411", user, tags=["work"], metadata={"k": "v"})
    again = mem.add("Ana's locker code is 4411", user, tags=["work", "codes"],
                    metadata={"k": "v", "room": 3}, importance=0.9,
                    valid_from=datetime(2020, 1, 1, tzinfo=UTC), entities=["Ana"])
    assert again.action == "duplicate"
    assert again.ignored == ["entities", "importance", "metadata", "tags", "valid_from"]
    # what the stored memory already carries is no loss
    same = mem.add("Ana's locker code is 4411", user, tags=["work"], metadata={"k": "v"})
    assert (same.action, same.ignored) == ("duplicate", [])
    assert mem.add("Ana's bike is blue", user, tags=["x"]).ignored == []


def test_ttl_and_expires_at_together_are_refused(api: Api, new_user: Any) -> None:
    from datetime import UTC, datetime, timedelta

    user = new_user()
    mem = api(user)
    with pytest.raises(InvalidInputError, match="one of ttl .* or expires_at"):
        mem.add("a note with two ends", user, ttl=60,
                expires_at=datetime.now(UTC) + timedelta(days=9))
    assert mem.search("a note with two ends", user, k=5) == []


def test_a_duplicate_names_arguments_given_at_their_defaults(api: Api, new_user: Any) -> None:
    """A review finding: `ignored` was computed from values other than the defaults, so an
    add asking for kind "fact" and importance 0.5 of a stored 0.9 preference named nothing."""
    user = new_user()
    mem = api(user)
    mem.add("Ana prefers window seats", user, kind="preference", importance=0.9)
    again = mem.add("Ana prefers window seats", user, kind="fact", importance=0.5)
    assert (again.action, again.ignored) == ("duplicate", ["importance", "kind"])
    assert mem.add("Ana prefers window seats", user).ignored == []
