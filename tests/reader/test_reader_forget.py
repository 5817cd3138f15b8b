"""Forgetting one ingested turn reaches the words its neighbours quote (MemOS.forget) and
every byte of the store once it is purged (MemOS.purge)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from memos import MemOS
from memos.cube import Lifecycle
from memos.errors import NotFoundError

T1 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
SECRET = "kumquatzzle"
SAID = f"Also, I'm allergic to {SECRET}."
CONVERSATION = [
    {"role": "user", "content": "Hi, I'm Alice. I live in Lisbon."},
    {"role": "assistant", "content": "Nice to meet you, Alice!"},
    {"role": "user", "content": SAID},
    {"role": "assistant", "content": "Noted, I will remember that."},
    {"role": "user", "content": "My sister Ana lives in Porto."},
]


def files_holding(folder: Path, needle: bytes) -> list[str]:
    return [str(p) for p in folder.rglob("*") if p.is_file() and needle in p.read_bytes()]


def test_forget_then_purge_of_one_turn_leaves_none_of_its_words(tmp_path: Path) -> None:
    folder = tmp_path / "store"
    with MemOS.open(str(folder)) as mem:
        report = mem.ingest(CONVERSATION, "alice", session_id="s1", at=T1)
        turn = report.episodes[2]
        neighbours = [report.episodes[i] for i in (0, 1, 3, 4)]
        [fact] = [f for f in report.facts if SECRET in mem.get(f, "alice").content]
        # The facts read from the neighbours (Lisbon, Ana in Porto) carry their turn's
        # context, so they quote the turn too.
        near_facts = [f for f in report.facts if f != fact]
        assert {mem.get(f, "alice").metadata["turn"] for f in near_facts} == {0, 4}
        # Before: its words are in every neighbour's searchable context (the test can fail).
        assert all(SAID in mem.get(n, "alice").metadata["context"]
                   for n in neighbours + near_facts)
        assert len(mem.search(SECRET, "alice", k=10, retrievers=["fulltext"])) >= 5

        mem.forget(turn, "alice", reason="test: forget one turn")
        assert mem.search(SECRET, "alice", k=10, retrievers=["fulltext"]) == []
        for hit in mem.search(SECRET, "alice", k=10):  # dense returns neighbours anyway
            assert SECRET not in hit.content + str(hit.cube.metadata.get("context", ""))
        for n in neighbours + near_facts:
            cube = mem.get(n, "alice")
            assert SECRET not in cube.metadata["context"] and cube.state == Lifecycle.ACTIVE
        # The neighbours keep the rest of their context, and the fact made from the turn
        # (derived_from it) is forgotten with it.
        assert "Alice: My sister Ana lives in Porto." in mem.get(neighbours[2], "alice"
                                                              ).metadata["context"]
        assert mem.history(fact, "alice")[-1].state == Lifecycle.FORGOTTEN
        # forget keeps the words in the owner's version history (docs/SECURITY.md) ...
        assert any(SAID in str(v.metadata.get("context", ""))
                   for v in mem.history(neighbours[1], "alice"))

        purged = mem.purge(turn, "alice", reason="test: erase it")
        assert set(purged.cube_ids) >= {turn, fact}
        # ... purge erases them from every version too, and from every file.
        for n in neighbours + near_facts:
            assert all(SECRET not in str(v.metadata.get("context", ""))
                       for v in mem.history(n, "alice"))
        assert "Alice: Hi, I'm Alice. I live in Lisbon." in mem.get(neighbours[1], "alice"
                                                                    ).metadata["context"]
        assert purged.erased_from_files
        mem.flush()
    assert files_holding(folder, SECRET.encode()) == []
    with MemOS.open(str(folder)) as mem:  # the rest of the conversation is still there
        hits = mem.search("Ana Porto", "alice", k=5, retrievers=["fulltext"])
        assert any(h.id == report.episodes[4] for h in hits)


def test_a_cube_without_context_forgets_as_before(tmp_path: Path) -> None:
    with MemOS.open(str(tmp_path / "store")) as mem:
        kept = mem.add(f"Alice: {SAID}", "alice", kind="episode",
                       metadata={"note": f"Alice: {SAID}"})
        quoting = mem.add("Bob: hello", "alice", kind="episode",
                          metadata={"context": f"Alice: {SAID}"})
        mem.forget(kept.id, "alice")
        # Only a turn that carries a context is one its neighbours quote.
        assert mem.get(quoting.id, "alice").version == 1


def test_forgetting_a_fact_leaves_the_turns_that_neighbour_its_own(tmp_path: Path) -> None:
    with MemOS.open(str(tmp_path / "store")) as mem:
        report = mem.ingest(CONVERSATION, "alice", session_id="s1", at=T1)
        [lisbon] = [f for f in report.facts if "Lisbon" in mem.get(f, "alice").content]
        assert "context" in mem.get(lisbon, "alice").metadata
        versions = {e: mem.get(e, "alice").version for e in report.episodes}
        mem.forget(lisbon, "alice", reason="test: forget a fact")
        # A fact carries its turn's context but no context quotes a fact: no turn changes.
        assert {e: mem.get(e, "alice").version for e in report.episodes} == versions


def test_purge_of_a_turn_that_ended_a_fact_leaves_none_of_its_words(tmp_path: Path) -> None:
    """Before: a negation that ended a stored fact wrote the turn's first 200 characters into
    the `reason` of the fact's new version and of its audit row. Purging the turn left them
    there (the fact is not derived from the turn), so memos.db kept its words although the
    purge reported them erased from every file."""
    folder = tmp_path / "store"
    with MemOS.open(str(folder)) as mem:
        first = mem.ingest([{"role": "user", "content": "My favourite colour is blue."}],
                           "alice", session_id="s1", at=T1)
        said = f"My favourite colour is not blue any more, {SECRET}."
        second = mem.ingest([{"role": "user", "content": said}], "alice", session_id="s2",
                            at=T1)
        assert second.ended == first.facts
        [turn] = second.episodes
        purged = mem.purge(turn, "alice", reason="test: erase it")
        assert purged.erased_from_files is True
        # The fact stays ended, and its history still names the turn that ended it.
        [ended] = first.facts
        assert mem.history(ended, "alice")[-1].state == Lifecycle.SUPERSEDED
    assert files_holding(folder, SECRET.encode()) == []


def test_a_superseded_fact_keeps_no_forgotten_turn_findable(tmp_path: Path) -> None:
    """Review of facts carrying their turn's context: the Lisbon fact (read from the turn
    before the secret one, so its context quotes it) superseded by a move was still a
    full-text hit for the forgotten turn's words with include_superseded, and still held
    them in the index's bytes after purge. A superseded cube is indexed by its own words."""
    folder = tmp_path / "store"
    with MemOS.open(str(folder)) as mem:
        report = mem.ingest(CONVERSATION, "alice", session_id="s1", at=T1)
        [lisbon] = [f for f in report.facts if "Lisbon" in mem.get(f, "alice").content]
        assert SAID in mem.get(lisbon, "alice").metadata["context"]
        moved = mem.ingest([{"role": "user", "content": "I moved, I live in Madrid now."}],
                           "alice", session_id="s2", at=T1)
        assert lisbon in moved.superseded
        turn = report.episodes[2]
        mem.forget(turn, "alice", reason="test")
        assert mem.search(SECRET, "alice", k=10, retrievers=["fulltext"],
                          include_superseded=True) == []
        assert mem.search("Lisbon", "alice", k=10, retrievers=["fulltext"],
                          include_superseded=True)  # still found by its own words
        mem.purge(turn, "alice", reason="test: erase it")
        mem.flush()
    assert files_holding(folder, SECRET.encode()) == []


def test_forget_and_purge_reach_a_near_duplicate_turn_merged_into_the_turn(
        tmp_path: Path) -> None:
    """The same turn said again in other words that add nothing ("i like ..." for "I like
    ...") is merged into the stored turn (its text kept as a "merge" source), but its
    neighbours in the second session quote it as it was said. Before: forgetting the turn
    left the second wording in those neighbours' searchable context, and after purge memos.db
    still held it."""
    folder = tmp_path / "store"
    with MemOS.open(str(folder), embedder="hashing") as mem:
        first = mem.ingest([{"role": "user", "content": f"I like {SECRET} a lot"},
                            {"role": "user", "content": "other stuff here"}],
                           "alice", session_id="s1", at=T1)
        second = mem.ingest([{"role": "user", "content": f"i like {SECRET} a lot"},
                             {"role": "user", "content": "more things there"}],
                            "alice", session_id="s2", at=T1)
        turn = first.episodes[0]
        assert second.episodes[0] == turn  # merged: one cube for both wordings
        neighbour = second.episodes[1]
        assert SECRET in mem.get(neighbour, "alice").metadata["context"]  # the test can fail
        mem.forget(turn, "alice")
        assert SECRET not in mem.get(neighbour, "alice").metadata.get("context", "")
        assert not [h for h in mem.search(SECRET, "alice", k=20) if SECRET in str(
            h.cube.metadata.get("context", "")) or SECRET in h.content]
        mem.purge(turn, "alice")
    assert not files_holding(folder, SECRET.encode())


def test_a_messages_used_must_be_memory_ids(tmp_path: Any) -> None:
    """"used" names the memories a message drew on: a list of ids, nothing else."""
    from memos.errors import InvalidInputError

    with MemOS.open(str(tmp_path / "s"), embedder="hashing") as mem:
        for bad in ("abc", [1], ["x" * 65], [""], {"a": 1}, ["a"] * 1_001):
            with pytest.raises(InvalidInputError, match="used"):
                mem.ingest([{"role": "assistant", "content": "hi", "used": bad}], "bob",
                           session_id="s1")
        report = mem.ingest([{"role": "assistant", "content": "hi there", "used": ["a", "a"]}],
                            "bob", session_id="s1")
        assert mem.get(report.episodes[0], "bob").metadata["used"] == ["a"]


def test_purge_reaches_a_long_near_duplicate_wording_whole(tmp_path: Path) -> None:
    """A merged wording was kept as its first 500 characters only: the rest of a long message,
    quoted whole by its neighbours in the second session, stayed in memos.db after purge."""
    folder = tmp_path / "store"
    tail = "quillbrackentide"
    long_turn = "I like " + " ".join(f"word{i}" for i in range(120)) + f" and {tail} a lot"
    assert len(long_turn) > 600
    with MemOS.open(str(folder), embedder="hashing") as mem:
        first = mem.ingest([{"role": "user", "content": long_turn},
                            {"role": "user", "content": "other stuff here"}],
                           "alice", session_id="s1", at=T1)
        second = mem.ingest([{"role": "user", "content": long_turn.lower()},
                             {"role": "user", "content": "more things there"}],
                            "alice", session_id="s2", at=T1)
        turn = first.episodes[0]
        assert second.episodes[0] == turn  # merged: one cube for both wordings
        mem.purge(turn, "alice")
    assert not files_holding(folder, tail.encode())


def test_the_same_reply_again_keeps_what_both_drew_on(tmp_path: Path) -> None:
    """Words said again are stored once: the second reply's "used" was dropped, so forgetting
    what only it drew on left the words in place."""
    with MemOS.open(str(tmp_path / "s"), embedder="hashing") as mem:
        a = mem.add("Bob's city is Quorbridge.", "bob", kind="fact").id
        b = mem.add("Bob's town is Quorbridge.", "bob", kind="fact").id
        first = mem.ingest([{"role": "assistant", "content": "You live in Quorbridge.",
                             "used": [a]}], "bob", session_id="s1")
        second = mem.ingest([{"role": "assistant", "content": "You live in Quorbridge.",
                              "used": [b]}], "bob", session_id="s2")
        reply = first.episodes[0]
        assert second.episodes == [reply]
        assert mem.get(reply, "bob").metadata["used"] == [a, b]
        mem.forget(b, "bob")
        assert mem.history(reply, "bob")[-1].state == Lifecycle.FORGOTTEN


def test_purge_of_replies_naming_each_other_in_used_ends(tmp_path: Path) -> None:
    """Two replies may name each other in "used" (the same words said again are stored once,
    with both messages' ids). Before: purging one purged the other first, which purged the
    first again, without end (RecursionError, a 500 through the server)."""
    folder = tmp_path / "store"
    with MemOS.open(str(folder), embedder="hashing") as mem:
        first = mem.ingest([{"role": "assistant", "content": f"Alpha {SECRET} words."}],
                           "alice", session_id="s1").episodes[0]
        second = mem.ingest([{"role": "assistant", "content": "Beta other words.",
                              "used": [first]}], "alice", session_id="s2").episodes[0]
        again = mem.ingest([{"role": "assistant", "content": f"Alpha {SECRET} words.",
                             "used": [second]}], "alice", session_id="s3").episodes[0]
        assert again == first and mem.get(first, "alice").metadata["used"] == [second]
        report = mem.purge(first, "alice")
        assert first in report.cube_ids
        for cube_id in (first, second):
            with pytest.raises(NotFoundError):
                mem.get(cube_id, "alice")
    assert files_holding(folder, SECRET.encode()) == []


def test_forget_and_purge_of_a_long_turn(tmp_path: Path) -> None:
    """A turn may hold up to 500,000 bytes; its neighbours quote it whole. Before: forgetting
    or purging a turn of over 50,000 bytes raised sqlite3's OperationalError ("LIKE or GLOB
    pattern too complex": the turn's words were the pattern), so it could not be erased."""
    folder = tmp_path / "store"
    long_turn = f"I like {SECRET} " + "and more words " * 5_000
    with MemOS.open(str(folder), embedder="hashing") as mem:
        report = mem.ingest([{"role": "user", "content": long_turn},
                             {"role": "user", "content": "other stuff here"}],
                            "alice", session_id="s1", at=T1)
        turn, neighbour = report.episodes
        assert SECRET in mem.get(neighbour, "alice").metadata["context"]
        mem.forget(turn, "alice")
        assert SECRET not in mem.get(neighbour, "alice").metadata.get("context", "")
        mem.purge(turn, "alice")
    assert files_holding(folder, SECRET.encode()) == []


def test_the_same_near_duplicate_wording_is_kept_once(tmp_path: Path) -> None:
    """A merged wording is kept whole (up to 1 MB) in a "merge" source. Before: each time the
    same wording came again it was appended again, and every new version's snapshot held
    every copy (quadratic bytes for a long message repeated)."""
    folder = tmp_path / "store"
    words = f"I like {SECRET} a lot " + "and more words " * 50
    with MemOS.open(str(folder), embedder="hashing") as mem:
        turn = mem.ingest([{"role": "user", "content": words}], "alice",
                          session_id="s0", at=T1).episodes[0]
        for i in range(1, 4):
            again = mem.ingest([{"role": "user", "content": words.lower()}], "alice",
                               session_id=f"s{i}", at=T1).episodes[0]
            assert again == turn  # merged
        cube = mem.get(turn, "alice")
        merges = [s.text for s in cube.sources if s.kind == "merge"]
        assert len(merges) == 1 and f"i like {SECRET} a lot" in str(merges[0])
        assert len([s for s in cube.sources if s.kind == "message"]) == 4  # every message
        mem.purge(turn, "alice")
    assert files_holding(folder, SECRET.encode()) == []


def test_words_said_again_and_again_keep_the_newest_ids_they_drew_on(tmp_path: Path) -> None:
    """A reply said many times ("I don't know.") gathered every id it was ever shown with,
    into every later version: the union keeps the newest MAX_USED."""
    from memos.cube import MAX_USED

    with MemOS.open(str(tmp_path / "s"), embedder="hashing") as mem:
        ids = [f"{i:032x}" for i in range(MAX_USED + 300)]
        first = mem.ingest([{"role": "assistant", "content": "I don't know.",
                             "used": ids[:MAX_USED]}], "bob", session_id="s1").episodes[0]
        mem.ingest([{"role": "assistant", "content": "I don't know.", "used": ids[MAX_USED:]}],
                   "bob", session_id="s2")
        assert mem.get(first, "bob").metadata["used"] == ids[-MAX_USED:]


@pytest.mark.parametrize("earlier_session", [False, True])
def test_purge_of_the_turn_that_gave_a_full_name_reaches_facts_written_under_it(
        tmp_path: Path, earlier_session: bool) -> None:
    """Review: "Helen's email ..." is written under the full name an earlier turn gave ("My
    accountant's name is Helen <surname>"), so the email fact carries the surname; it was
    derived from its own turn only, and purging the naming turn left the surname in the
    store. The fact is now derived from the cube the name came from too: the naming turn of
    this conversation, or the stored fact of an earlier one."""
    folder = tmp_path / "store"
    surname = "Zqvarkolt"
    naming = [{"role": "user", "content": "Hi."},
              {"role": "user", "content": f"My accountant's name is Helen {surname}."}]
    email = [{"role": "user", "content": "Helen's email is helen@example.com."}]
    with MemOS.open(str(folder)) as mem:
        if earlier_session:
            first = mem.ingest(naming, "alice", session_id="s1", at=T1)
            second = mem.ingest(email, "alice", session_id="s2", at=T1)
            turn, email_facts = first.episodes[1], second.facts
        else:
            report = mem.ingest(naming + email, "alice", session_id="s1", at=T1)
            turn = report.episodes[1]
            email_facts = [f for f in report.facts
                           if "email" in mem.get(f, "alice").content]
        [fact] = email_facts
        cube = mem.get(fact, "alice")
        # Before: the fact holds the surname (the test can fail) and names both sources.
        assert surname in cube.content
        assert len(cube.derived_from) == 2
        purged = mem.purge(turn, "alice", reason="test: erase the accountant")
        assert fact in purged.cube_ids and purged.erased_from_files is True
        with pytest.raises(NotFoundError):
            mem.get(fact, "alice")
        mem.flush()
    assert files_holding(folder, surname.encode()) == []
    assert files_holding(folder, surname.lower().encode()) == []
