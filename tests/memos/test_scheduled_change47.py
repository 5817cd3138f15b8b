"""A fact set to begin later than now ("I accepted a job at DeepMind, starting 1 November
2027") does not supersede the live fact it conflicts with: the live one ends when the new
one begins (its `valid_to`), and holds until then (session 47; before, the job held now was
superseded the day the new one was told)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from memos import MemOS
from memos.cube import utcnow

SUBJECT = {"subject": "user:alice", "attribute": "employer"}


def test_a_change_set_to_begin_later(mem: MemOS) -> None:
    brew = mem.add("Alice's employer is Brew Lab.", "alice", kind="fact",
                   metadata={**SUBJECT, "value": "Brew Lab"})
    starts = (utcnow() + timedelta(days=400)).replace(microsecond=0)
    deep = mem.add("Alice's employer is DeepMind.", "alice", kind="fact", valid_from=starts,
                   metadata={**SUBJECT, "value": "DeepMind"})
    assert deep.action == "added" and deep.superseded == []
    old = mem.get(brew.id, "alice")
    assert old.state.value == "active" and old.valid_to == starts and old.version == 2
    assert [(v.op, v.reason) for v in mem.versions(brew.id, "alice")][-1] == (
        "update", f"ends when {deep.id} begins")
    # both are live now: the old one until the new one begins
    found = {h.id for h in mem.search("employer", "alice", k=10)}
    assert {brew.id, deep.id} <= found


def test_supersedes_ends_at_once(mem: MemOS) -> None:
    a = mem.add("Alice's employer is Acme.", "alice", kind="fact",
                metadata={**SUBJECT, "value": "Acme"})
    later = utcnow() + timedelta(days=30)
    b = mem.add("Alice's employer is Globex.", "alice", kind="fact", valid_from=later,
                supersedes=[a.id], metadata={**SUBJECT, "value": "Globex"})
    assert b.superseded == [a.id] and mem.get(a.id, "alice").state.value == "superseded"


def test_a_start_passed_supersedes_as_before(mem: MemOS) -> None:
    a = mem.add("Alice's employer is Acme.", "alice", kind="fact",
                valid_from=datetime(2020, 1, 1, tzinfo=UTC),
                metadata={**SUBJECT, "value": "Acme"})
    b = mem.add("Alice's employer is Globex.", "alice", kind="fact",
                valid_from=utcnow() - timedelta(days=3), metadata={**SUBJECT, "value": "Globex"})
    assert b.superseded == [a.id] and mem.get(a.id, "alice").state.value == "superseded"


def test_a_batch_with_a_change_set_to_begin_later(mem: MemOS) -> None:
    # (a review: the second fact of the batch read the live row again at its old version,
    # and writing that version twice failed: a 500 over HTTP, nothing written)
    a = mem.add("Alice's employer is Acme.", "alice", kind="fact",
                metadata={**SUBJECT, "value": "Acme"})
    later = utcnow() + timedelta(days=400)
    out = mem.add_many([
        {"content": "Alice's employer is DeepMind.", "kind": "fact", "valid_from": later,
         "metadata": {**SUBJECT, "value": "DeepMind"}},
        {"content": "Alice's employer is Globex.", "kind": "fact",
         "metadata": {**SUBJECT, "value": "Globex"}}], "alice")
    assert [r.action for r in out] == ["added", "added"]
    assert mem.get(a.id, "alice").state.value == "superseded"  # Globex holds now


def test_the_same_words_told_as_holding_now_are_another_fact(mem: MemOS) -> None:
    # (a review: "DeepMind" told as starting later, then told as holding now, was a
    # duplicate of the first: Acme stayed current)
    a = mem.add("Alice's employer is Acme.", "alice", kind="fact",
                metadata={**SUBJECT, "value": "Acme"})
    later = mem.add("Alice's employer is DeepMind.", "alice", kind="fact",
                    valid_from=utcnow() + timedelta(days=300),
                    metadata={**SUBJECT, "value": "DeepMind"})
    now = mem.add("Alice's employer is DeepMind.", "alice", kind="fact",
                  valid_from=utcnow() - timedelta(days=1),
                  metadata={**SUBJECT, "value": "DeepMind"})
    assert now.action == "added" and now.id != later.id
    assert a.id in now.superseded
