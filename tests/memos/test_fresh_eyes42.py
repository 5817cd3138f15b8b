"""What a fresh-eyes user test found on 2026-12-05 (session 42), each as a behaviour."""

from __future__ import annotations

import time

import pytest

from memos.errors import ConflictError, NotFoundError


def test_link_refuses_forgotten_archived_and_expired_memories(mem):
    """`link` joined a forgotten or expired memory (CLI, SDK and REST), which `get` and
    `update` refuse: it is gone from everything but history."""
    live = mem.add("Ann keeps bees", "alice")
    gone = mem.add("Ann kept wasps once", "alice")
    mem.forget(gone.id, "alice")
    short = mem.add("Ann's gate code is 1234", "alice", ttl=0.2)
    time.sleep(0.4)
    before = mem.stats().edges
    for src, dst in ((gone.id, live.id), (live.id, gone.id), (short.id, live.id),
                     (live.id, short.id), (gone.id, "entity:bees")):
        with pytest.raises(ConflictError, match="cannot be linked"):
            mem.link(src, dst, "alice")
    assert mem.stats().edges == before
    # another user's forgotten cube reads as missing, as in get
    with pytest.raises(NotFoundError):
        mem.link(mem.add("Bob likes tea", "bob").id, gone.id, "bob")
    assert mem.link(live.id, "entity:bees", "alice").dst == "entity:bees"


def test_a_rollback_that_makes_a_fact_current_again_ends_the_live_one(mem):
    """Rome, then Paris (supersedes Rome), then Rome again (supersedes Paris), then Paris
    rolled back to its first version: Rome and Paris were both live, and answers flipped.
    The restored fact ends the live one of its subject and attribute, now."""
    meta = {"subject": "Zed", "attribute": "city"}
    mem.add("Zed's city is Rome.", "alice", metadata={**meta, "value": "Rome"})
    paris = mem.add("Zed's city is Paris.", "alice", metadata={**meta, "value": "Paris"})
    rome = mem.add("Zed's city is Rome, again.", "alice", metadata={**meta, "value": "Rome"})
    assert paris.id in rome.superseded
    restored = mem.rollback(paris.id, "alice", 1)
    assert restored.state == "active" and restored.version == 3
    assert mem.get(rome.id, "alice").state == "superseded"
    live = [c for c in mem.list_memories("alice").items if c.metadata.get("attribute") == "city"]
    assert [c.id for c in live] == [paris.id]
    # a rollback to a version that is not current (the superseded one) ends nothing
    mem.rollback(rome.id, "alice", 1)  # Rome v1: active again, and Paris ends
    assert mem.get(paris.id, "alice").state == "superseded"
    # a public fact is not ended by the rollback of a private one
    pub = mem.add("Zed's city is Oslo.", {"user_id": "alice", "visibility": "public"},
                  metadata={**meta, "value": "Oslo"})
    assert mem.get(rome.id, "alice").state == "superseded"  # (Oslo, public, ended Rome)
    mem.rollback(rome.id, "alice", 1)
    assert mem.get(pub.id, "alice").state == "active"


def test_tags_metadata_and_entities_are_one_in_either_unicode_spelling(mem):
    """Ids and content were NFC, tags, metadata values and entity names were not: a tag
    stored as "café" (composed) was not found by "café" typed decomposed, and an entity in
    each spelling made two graph nodes. Repeated tags are one tag."""
    composed, decomposed = "caf\u00e9", "cafe\u0301"
    a = mem.add("Ann runs a small place in town", "alice", tags=[composed, composed],
                metadata={"kind_of_place": composed, decomposed: 1})
    assert mem.get(a.id, "alice").tags == [composed]
    assert mem.get(a.id, "alice").metadata == {"kind_of_place": composed, composed: 1}
    for filters in ({"tag": decomposed}, {"tags_all": [decomposed]},
                    {"meta": {"kind_of_place": decomposed}}, {"meta": {decomposed: 1}}):
        assert [h.id for h in mem.search("small place", "alice", filters=filters)] == [a.id]
    b = mem.add("Bo drinks espresso every morning", "alice")
    mem.link(a.id, "entity:" + composed.upper(), "alice")
    mem.link(b.id, "entity:" + decomposed, "alice")
    assert b.id in {n.cube.id for n in mem.neighbors(a.id, "alice", depth=2)}


def test_an_empty_entity_name_is_refused_as_the_cli_refuses_it(mem):
    from memos.errors import InvalidInputError

    for names in ([""], ["  "], ["ok", "\u200b"]):
        with pytest.raises(InvalidInputError, match="entity name is empty"):
            mem.add("Ann likes tea", "alice", entities=names)
    assert mem.stats().cubes == 0


def test_versions_say_how_each_version_was_made_to_its_owner_only(mem):
    """`--reason` was written to each version and never read back: `versions` gives each
    version's operation, time and reason; a reader of a public cube who is not its owner
    gets the owner-only error that earlier versions give."""
    from memos.errors import ScopeError

    cid = mem.add("Team offsite is in Lisbon", {"user_id": "alice", "visibility": "public"}).id
    mem.update(cid, "alice", content="Team offsite is in Porto", reason="venue changed")
    mem.forget(cid, "alice", reason="cancelled")
    made = mem.versions(cid, "alice")
    assert [(v.version, v.op, v.reason) for v in made] == [
        (1, "add", None), (2, "update", "venue changed"), (3, "forget", "cancelled")]
    live = mem.add("Team lunch is on Friday", {"user_id": "alice", "visibility": "public"})
    with pytest.raises(ScopeError, match="only its owner"):
        mem.versions(live.id, "bob")
    with pytest.raises(NotFoundError):
        mem.versions(cid, "bob")  # forgotten: gone to every other scope


def test_a_store_written_before_nfc_is_found_with_either_spelling(mem):
    """A review: filters took NFC only, so a tag or metadata value a store holds in NFD
    (written before tags and metadata were stored in NFC) matched neither spelling."""
    import unicodedata

    from sqlalchemy import update

    from memos.stores.schema import CubeRow, CubeTagRow

    a = mem.add("Ann runs a small place in town", "alice", tags=["x"], metadata={"k": "x"})
    decomposed = unicodedata.normalize("NFD", "caf\u00e9")
    with mem._store.repo.write() as session:  # (as an older memos stored them)
        session.execute(update(CubeTagRow).values(tag=decomposed))
        session.execute(update(CubeRow).values(meta={"k": decomposed}))
    for spelling in ("caf\u00e9", decomposed):
        for filters in ({"tag": spelling}, {"tags_all": [spelling]}, {"meta": {"k": spelling}}):
            assert [h.id for h in mem.search("small place", "alice", filters=filters)] == [a.id]


def test_two_metadata_keys_one_in_nfc_are_refused_not_merged(mem):
    from memos.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match="same key"):
        mem.add("Ann runs a small place", "alice",
                metadata={"caf\u00e9": 1, "cafe\u0301": 2})


def test_an_export_keeps_how_each_version_was_made(mem, tmp_path):
    """A fresh-eyes test: after export and import the versions' reasons were gone (every
    version said "import", made at the import's time)."""
    import io

    from memos import MemOS

    a = mem.add("Ann keeps bees", "alice")
    mem.update(a.id, "alice", content="Ann keeps two hives", reason="typo fix")
    before = mem.versions(a.id, "alice")
    buf = io.StringIO()
    mem.export("alice", buf)
    with MemOS.open(tmp_path / "copy") as copy:
        assert copy.import_(io.StringIO(buf.getvalue()), "alice").imported == 1
        assert copy.versions(a.id, "alice") == before
    # a damaged "made" is a bad line, said by field
    lines = buf.getvalue().splitlines()
    at = next(i for i, line in enumerate(lines) if '"type": "cube"' in line)
    for bad, said in (([{"version": 9, "op": "add", "at": "2026-01-01", "reason": None}],
                       "made[0].version"),
                      ([{"version": 1, "op": "Add!", "at": "2026-01-01", "reason": None}],
                       "made[0].op"),
                      ([{"version": 1, "op": "add", "at": "yesterday", "reason": None}],
                       "made[0].at"),
                      ("all of them", "'made' must be a list")):
        report = _import_with_made(lines, at, bad, tmp_path / f"bad-{len(said)}")
        assert report.imported == 0 and said in report.errors[0][1], report.errors


def test_after_an_import_a_purge_still_erases_a_supersede_reason(mem, tmp_path):
    """A review: a supersede's reason on the replaced version was cleared by a purge of the
    replacement through its audit row, which an import does not write: after export and
    import the reason ("moved to 12 Elm St") stayed. And a 'made' with an unknown operation,
    or times out of order, is a bad line."""
    import io

    from memos import MemOS

    a = mem.add("Ann lives at 3 Oak Road", "alice")
    b = mem.supersede(a.id, "alice", content="Ann lives at 12 Elm St", reason="moved to 12 Elm St")
    buf = io.StringIO()
    mem.export("alice", buf)
    with MemOS.open(tmp_path / "copy") as copy:
        copy.import_(io.StringIO(buf.getvalue()), "alice")
        assert [v.reason for v in copy.versions(a.id, "alice")] == [None, "moved to 12 Elm St"]
        copy.purge(b.id, "alice")
        assert [v.reason for v in copy.versions(a.id, "alice")] == [None, None]
    lines = buf.getvalue().splitlines()
    at = next(i for i, line in enumerate(lines) if f'"id": "{a.id}"' in line
              and '"type": "cube"' in line)
    for made in ([{"version": 1, "op": "purge", "at": "2026-01-01", "reason": None}],
                 [{"version": 1, "op": "add", "at": "2026-02-01", "reason": None},
                  {"version": 2, "op": "supersede", "at": "2026-01-01", "reason": None}]):
        report = _import_with_made(lines, at, made, tmp_path / f"bad{len(made)}")
        assert at + 1 in [n for n, _ in report.errors], report.errors


def _import_with_made(lines: list[str], at: int, made: object, folder) -> object:
    """The export `lines` with line `at`'s "made" replaced, imported with on_error="skip"
    into a new store at `folder`: its report."""
    import json

    from memos import MemOS

    obj = json.loads(lines[at])
    obj["made"] = made
    path = folder.with_suffix(".jsonl")
    path.write_text("\n".join([*lines[:at], json.dumps(obj), *lines[at + 1:]]) + "\n")
    with MemOS.open(folder) as other:
        return other.import_(path, "alice", on_error="skip")
