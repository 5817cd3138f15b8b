"""The activation tier through the OS: recall and answer from pre-encoded slots, cached per
cube version and model, invalidated by new versions, erased by forget and purge."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from memos import MemOS, Scope
from memos.errors import (
    ConflictError,
    FingerprintMismatchError,
    InvalidInputError,
    NotFoundError,
)
from memos.model.checkpoint import load_checkpoint

FACTS = ["Ann's city is Oslo.", "Bo's city is Lima.", "Cy's pet is a newt.",
         "Dee's color is teal."]


@pytest.fixture(scope="module")
def model():
    return load_checkpoint()


@pytest.fixture
def facts(mem):
    return [mem.add(f, "alice", kind="fact") for f in FACTS]


def _blob_files(mem) -> set[Path]:
    folder = mem._store.blobs.folder
    return set(folder.glob("*/*.safetensors")) if folder.exists() else set()


def test_recall_encodes_once_then_serves_from_cache_and_blobs(mem, facts, model, open_store):
    first = mem.recall("What is Bo's city?", "alice", k=4, model=model)
    assert first.misses == len(first.cubes) > 0 and first.hits == 0
    assert len(first.slots) == len(first.cubes)
    assert first.slots.fingerprint == model.fingerprint
    again = mem.recall("What is Bo's city?", "alice", k=4, model=model)
    assert (again.hits, again.misses) == (len(first.cubes), 0)  # the RAM cache
    assert torch.equal(again.slots.k, first.slots.k)
    assert len(_blob_files(mem)) == len(first.cubes)
    mem.close()
    other = open_store()  # a new process's view: empty RAM cache, blobs on disk
    cold = other.recall("What is Bo's city?", "alice", k=4, model=model)
    assert (cold.hits, cold.misses) == (len(first.cubes), 0)
    assert torch.allclose(cold.slots.k, first.slots.k)


def test_answer_reads_the_right_fact(mem, facts, model):
    ans = mem.answer("What is Bo's city?", "alice", k=4, model=model)
    assert ans.text == "Lima"
    assert set(ans.seconds) == {"retrieve", "recall", "generate"}
    assert any(cid == facts[1].id for cid, _ in ans.cubes)
    assert ans.model_fingerprint == model.fingerprint


def test_activation_cubes_are_not_searchable_text(mem, facts, model):
    mem.recall("What is Ann's city?", "alice", k=4, model=model)
    hits = mem.search("memory slots of cube", "alice", k=20)
    assert all(h.cube.tier.value == "plaintext" for h in hits)
    assert mem.check().ok


def test_new_version_is_never_served_old_slots(mem, facts, model):
    mem.answer("What is Ann's city?", "alice", k=4, model=model)
    mem.update(facts[0].id, "alice", content="Ann's city is Rome.")
    ans = mem.answer("What is Ann's city?", "alice", k=4, model=model)
    assert ans.text == "Rome"
    assert (facts[0].id, 2) in ans.cubes and (facts[0].id, 1) not in ans.cubes
    assert not any(k[0] == facts[0].id and k[1] == 1 for k in mem._activation().cache._entries)


@pytest.mark.parametrize("how", ["supersede content", "supersede by", "add supersedes",
                                 "conflict policy"])
def test_a_superseded_cubes_slots_leave_service_with_it(mem, model, how):
    """Whichever path supersedes a cube, the slots of its replaced words are retired in the
    same write (their blob released) and dropped from the RAM cache."""
    from memos.cube import Lifecycle

    meta = {"subject": "Ann", "attribute": "city", "value": "Oslo"}
    old = mem.add("Ann's city is Oslo.", "alice", kind="fact", metadata=meta)
    mem.recall("What is Ann's city?", "alice", k=1, model=model)
    (slots,) = _slots_rows(mem)
    assert slots.state == Lifecycle.ACTIVE.value
    text = "Ann's city is Rome."
    if how == "supersede content":
        mem.supersede(old.id, "alice", content=text)
    elif how == "supersede by":
        mem.supersede(old.id, "alice", by=mem.add(text, "alice", kind="fact").id)
    elif how == "add supersedes":
        mem.add(text, "alice", kind="fact", supersedes=[old.id])
    else:
        mem.add(text, "alice", kind="fact", metadata={**meta, "value": "Rome"})
    assert mem.get(old.id, "alice").state == Lifecycle.SUPERSEDED
    (slots,) = _slots_rows(mem)
    assert slots.state == Lifecycle.ARCHIVED.value
    blob = slots.meta["memos:blob"]
    with mem._store.repo.read() as session:
        assert mem._store.blobs.info(session, blob).refs == 0
    assert not any(k[0] == old.id for k in mem._activation().cache._entries)


def test_forget_deletes_the_blobs_and_the_answer(mem, facts, model):
    got = mem.recall("What is Dee's color?", "alice", k=4, model=model)
    assert (facts[3].id, 1) in got.cubes
    before = _blob_files(mem)
    mem.forget(facts[3].id, "alice")
    after = _blob_files(mem)
    assert len(after) == len(before) - 1
    cache = mem._activation().cache  # nothing of the forgotten cube stays in RAM either
    assert not any(k[0] == facts[3].id for k in cache._entries)
    ans = mem.answer("What is Dee's color?", "alice", k=4, model=model)
    assert "teal" not in ans.text and all(cid != facts[3].id for cid, _ in ans.cubes)


def test_purge_erases_the_blobs_and_counts_them(mem, facts, model):
    mem.recall("What is Cy's pet?", "alice", k=4, model=model)
    n = len(_blob_files(mem))
    report = mem.purge(facts[2].id, "alice")
    assert report.blobs == 1 and len(_blob_files(mem)) == n - 1


def test_another_model_gets_its_own_slots(mem, facts, model):
    mem.recall("What is Bo's city?", "alice", k=4, model=model)
    other = load_checkpoint()
    with torch.no_grad():
        other.embed.weight[0, 0] += 1.0  # other weights, other fingerprint
    assert other.fingerprint != model.fingerprint
    got = mem.recall("What is Bo's city?", "alice", k=4, model=other)
    assert got.hits == 0 and got.misses == len(got.cubes)
    assert got.slots.fingerprint == other.fingerprint
    blob = next(iter(_blob_files(mem)))
    with pytest.raises(FingerprintMismatchError):
        mem._store.blobs.load(blob.stem, fingerprint="0" * 64)


def test_corrupt_blob_is_never_served(mem, facts, model, open_store):
    first = mem.recall("What is Bo's city?", "alice", k=1, model=model)
    for p in _blob_files(mem):
        data = bytearray(p.read_bytes())
        data[-3] ^= 0x55
        p.write_bytes(bytes(data))
    mem.close()
    fresh = open_store()
    got = fresh.recall("What is Bo's city?", "alice", k=1, model=model)
    assert (got.hits, got.misses) == (0, len(first.cubes))
    assert torch.allclose(got.slots.k, first.slots.k)
    assert fresh.answer("What is Bo's city?", "alice", k=1, model=model).text == "Lima"


def test_scope_holds_in_recall(mem, facts, model):
    got = mem.recall("What is Bo's city?", "bob", k=4, model=model)
    assert got.cubes == [] and got.slots is None
    bob = mem.answer("What is Bo's city?", "bob", k=4, model=model)
    assert bob.cubes == [] and bob.text == "" and bob.tier == "plaintext"  # no guess


def test_answer_own_only_reads_no_other_users_public_memory(mem, facts, model):
    from memos.cube import Scope

    # Another user's public cube about a subject: read by default (public memories are
    # shared), never with own_only; and not beside alice's own statement of the same fact
    # ("Bo's city is Lima."), which beats what someone else published.
    spoof = mem.add("Bo's city is Mordor.", Scope(user_id="mallory", visibility="public"),
                    kind="fact")
    other = mem.add("Zed's city is Mordor.", Scope(user_id="mallory", visibility="public"),
                    kind="fact")
    shared = mem.answer("What is Zed's city?", "alice", k=8, model=model)
    assert any(cid == other.id for cid, _ in shared.cubes)
    assert not mem.answer("What is Zed's city?", "alice", k=8, model=model,
                          own_only=True).cubes
    mine = mem.answer("What is Bo's city?", "alice", k=8, model=model)
    assert mine.text == "Lima" and all(cid != spoof.id for cid, _ in mine.cubes)
    own = mem.answer("What is Bo's city?", "alice", k=8, model=model, own_only=True)
    assert own.text == "Lima" and all(cid != spoof.id for cid, _ in own.cubes)
    with pytest.raises(InvalidInputError):
        mem.answer("What is Bo's city?", "alice", model=model, own_only="yes")


def test_memory_too_long_for_the_model_is_skipped_not_truncated(mem, model):
    long = mem.add("Eve's motto is " + "very " * 80 + "long.", "alice")
    got = mem.recall("What is Eve's motto?", "alice", k=2, model=model)
    assert long.id in [cid for cid, _ in got.skipped]
    assert all(cid != long.id for cid, _ in got.cubes)


def test_bad_arguments_are_input_errors(mem, facts, model):
    for call in (lambda: mem.answer("", "alice", model=model),
                 lambda: mem.answer("x?", "alice", model=model, max_new_tokens=0),
                 lambda: mem.recall("x", "alice", k=0, model=model),
                 lambda: mem.recall("x", "alice", model=42),
                 lambda: mem.answer("What is \ud800?", "alice", model=model),
                 lambda: mem.resume_session("alice", "s1", "\udfff more", model=model),
                 lambda: mem.continue_session("alice", "s1", "a\x00b", model=model),
                 lambda: mem.resume_session("alice", "s1", 7, model=model)):
        with pytest.raises(InvalidInputError):
            call()


def test_session_resume_matches_one_pass(mem, model):
    text = "Notes from Monday. The pass key is 4471. We met Zorb, whose color is red. " * 3
    saved = mem.save_session(Scope(user_id="alice"), "s1", text, model=model)
    assert saved.tokens > len(text)
    state = mem.resume_session(Scope(user_id="alice"), "s1", " What is the pass key?",
                               model=model)
    whole = model.generate(text + " What is the pass key?", max_new_tokens=8)
    assert model.generate(None, state=state, max_new_tokens=8) == whole
    with pytest.raises(NotFoundError):
        mem.resume_session("bob", "s1", model=model)  # another user's session reads as none
    with pytest.raises(NotFoundError):
        mem.resume_session("alice", "no-such-session", model=model)


def test_kill_during_recall_leaves_nothing_half_written(store_location, tmp_path):
    if store_location["backend"] != "sqlite":
        pytest.skip("one backend is enough: the blob files are the same on both")
    path = store_location["path_or_url"]
    script = textwrap.dedent(f"""
        import os
        from memos import MemOS
        from memos.stores import blobs
        calls = []
        real = os.replace
        def replace(src, dst):
            calls.append(dst)
            if len(calls) == 2:
                os._exit(9)  # killed mid-recall: one blob renamed, the second not
            return real(src, dst)
        blobs.os.replace = replace
        mem = MemOS.open({path!r})
        for f in {FACTS!r}:
            mem.add(f, "alice")
        mem.flush()
        mem.recall("What is Bo's city?", "alice", k=4)
    """)
    proc = subprocess.run([sys.executable, "-c", script], env=dict(os.environ), timeout=300)
    assert proc.returncode == 9
    with MemOS.open(path) as mem:
        got = mem.recall("What is Bo's city?", "alice", k=4)
        assert got.misses == len(got.cubes)  # nothing from the killed run is served
        assert mem.answer("What is Bo's city?", "alice", k=4).text == "Lima"
        report = mem.check()
        assert report.ok, report.problems


def test_check_reports_broken_blobs_and_repair_rederives_them(mem, facts, model):
    mem.recall("What is Bo's city?", "alice", k=4, model=model)
    files = sorted(_blob_files(mem))
    gone, damaged = files[0], files[1]
    original = damaged.read_bytes()
    gone.unlink()
    damaged.write_bytes(original[:-7] + b"garbage")
    stray = mem._store.blobs.folder / "ab" / ("ab" + "0" * 62 + ".safetensors")
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_bytes(b"left by a crash")
    report = mem.check()
    assert not report.ok
    assert report.blobs["missing"] == [gone.stem] and report.blobs["corrupt"] == [damaged.stem]
    assert report.blobs["orphaned"] == [stray.stem]
    fixed = mem.check(repair=True)
    assert fixed.blobs["rederived"] == sorted([gone.stem, damaged.stem])
    assert fixed.blobs["retired"] == []
    assert not stray.exists() and not damaged.exists() or damaged.read_bytes() == original
    assert mem.check().ok
    mem._activation().cache.clear()  # served from the re-derived blobs, not re-encoded
    again = mem.recall("What is Bo's city?", "alice", k=4, model=model)
    assert again.misses == 0 and again.hits == len(again.cubes)


def test_gc_deletes_blobs_no_cube_references(mem, facts, model):
    mem.recall("What is Ann's city?", "alice", k=4, model=model)
    before = _blob_files(mem)
    mem.update(facts[0].id, "alice", content="Ann's city is Rome.")  # v1's slots retired
    assert mem.gc().blobs_deleted == 1
    assert len(_blob_files(mem)) == len(before) - 1
    assert mem.check().ok


# -- what a hostile or careless caller can and cannot do with the activation tier ---------


def _slots_rows(mem):
    from sqlalchemy import select

    from memos.stores.schema import CubeRow
    with mem._store.repo.read() as s:
        return list(s.execute(select(CubeRow).where(CubeRow.tier == "activation")).scalars())


def test_callers_cannot_name_blobs(mem, facts, model, tmp_path):
    mem.recall("What is Bo's city?", "alice", k=1, model=model)
    alice_blob = next(iter(_blob_files(mem))).stem
    for key in ("memos:blob", "memos:bytes", "memos:anything"):
        with pytest.raises(InvalidInputError, match="reserved"):
            mem.add("Mallory's note", "mallory", metadata={key: alice_blob})
    note = mem.add("Mallory's note", "mallory", metadata={"topic": "x"})
    with pytest.raises(InvalidInputError, match="reserved"):
        mem.update(note.id, "mallory", metadata={"memos:blob": alice_blob})
    line = {"cube": {**note.cube.model_dump(mode="json"), "id": "f" * 32,
                     "metadata": {"memos:blob": alice_blob}}}
    bad = tmp_path / "forged.jsonl"
    bad.write_text('{"format": "memos-export/1"}\n' + __import__("json").dumps(line) + "\n")
    with pytest.raises(InvalidInputError):
        mem.import_(bad, "mallory")
    # A derived cube of his own that claims Alice's blob in a non-reserved key is ignored:
    # the OS only serves blobs it named itself.
    mine = mem.add("What is Bo's city?", "mallory")
    mem.add("forged slots", "mallory", tier="activation", kind="slots",
            derived_from=[{"cube_id": mine.id, "version": 1}],
            model_fingerprint=model.fingerprint, metadata={"blob": alice_blob})
    got = mem.recall("What is Bo's city?", "mallory", k=2, model=model)
    assert got.hits == 0 and mine.id in [c for c, _ in got.cubes]
    assert "Lima" not in mem.answer("What is Bo's city?", "mallory", k=2, model=model).text
    # ... and purging such a cube deletes no blob (nor fails on a value that is no hash).
    junk = mem.add("junk", "mallory", metadata={"blob": "junk"})
    assert mem.purge(junk.id, "mallory").blobs == 0
    assert alice_blob in {p.stem for p in _blob_files(mem)}


def test_same_text_of_two_users_shares_no_blob(mem, model, open_store):
    a = mem.add("Ann's city is Oslo.", "alice")
    b = mem.add("Ann's city is Oslo.", "bob")
    mem.recall("What is Ann's city?", "alice", k=1, model=model)
    mem.recall("What is Ann's city?", "bob", k=1, model=model)
    assert len(_blob_files(mem)) == 2  # the owner and source are part of each blob's name
    mem.forget(a.id, "alice")
    assert len(_blob_files(mem)) == 1
    mem.close()
    cold = open_store()
    got = cold.recall("What is Ann's city?", "bob", k=1, model=model)
    assert got.cubes == [(b.id, 1)] and got.hits == 1


def test_slots_of_a_public_cube_are_private_to_its_owner(mem, model, tmp_path):
    public = mem.add("Dee's color is teal.", Scope(user_id="bob", visibility="public"))
    mem.recall("What is Dee's color?", "alice", k=1, model=model)
    assert _slots_rows(mem) == []  # another user's read stores nothing (see below)
    mem.recall("What is Dee's color?", "bob", k=1, model=model)
    (row,) = _slots_rows(mem)
    assert (row.user_id, row.visibility) == ("bob", "private")
    assert row.derived_from == [{"cube_id": public.id, "version": 1}]
    assert mem.tiers("alice") == []  # nothing was written into Alice's scope either
    out = tmp_path / "bob.jsonl"
    assert mem.export("bob", out).cubes == 1  # the cache is not exported, only the text


def test_recall_counts_tell_nothing_of_another_users_reads(mem, model):
    """Whether another user's public cube had its slots ready (its owner asked about it a
    moment ago) is not the reader's to learn: such a cube is a miss every time; the owner's
    own reads still count hits."""
    mem.add("Dee's color is teal.", Scope(user_id="bob", visibility="public"))
    first = mem.recall("What is Dee's color?", "alice", k=1, model=model)
    mem.recall("What is Dee's color?", "bob", k=1, model=model)  # bob reads it too
    again = mem.recall("What is Dee's color?", "alice", k=1, model=model)
    assert (first.hits, first.misses) == (again.hits, again.misses) == (0, 1)
    owner = mem.recall("What is Dee's color?", "bob", k=1, model=model)
    assert (owner.hits, owner.misses) == (1, 0)
    ans = mem.answer("What is Dee's color?", "alice", k=1, model=model)
    assert (ans.hits, ans.misses) == (0, 1)


def test_purge_leaves_nothing_in_the_ram_cache(mem, facts, model):
    mem.recall("What is Bo's city?", "alice", k=4, model=model)
    cache = mem._activation().cache
    assert any(k[0] == facts[1].id for k in cache._entries)
    mem.purge(facts[1].id, "alice")
    assert not any(k[0] == facts[1].id for k in cache._entries)


def test_recall_racing_forget_stores_nothing_of_the_forgotten_cube(mem, facts, model,
                                                                   monkeypatch):
    real = model.encode_memory

    def encode_then_forget(texts, *args, **kwargs):
        out = real(texts, *args, **kwargs)
        mem.forget(facts[1].id, "alice")  # commits while the model is encoding
        return out

    monkeypatch.setattr(model, "encode_memory", encode_then_forget)
    got = mem.recall("What is Bo's city?", "alice", k=1, model=model)
    monkeypatch.undo()
    assert got.cubes == [(facts[1].id, 1)]  # the caller still gets what it asked for
    assert [r for r in _slots_rows(mem) if r.state == "active"] == []
    assert _blob_files(mem) == set()
    assert mem.check().ok


def test_save_session_never_rewrites_an_existing_memory(mem, model):
    text = "Notes: the key is 4471."
    fact = mem.add(text, "alice")
    mem.save_session("alice", "s1", text, model=model)
    mem.save_session("alice", "s1", text + " And the door code is 12.", model=model)
    assert mem.get(fact.id, "alice").content == text and mem.get(fact.id, "alice").version == 1


def test_scheduler_retires_slots_left_stale_by_other_write_paths(mem, model):
    from memos.stores.repository import cube_from_row

    old = mem.add("Ann's city is Oslo.", "alice", metadata={"subject": "ann", "attribute": "city"})
    mem.recall("What is Ann's city?", "alice", k=1, model=model)
    # A new version written by a path that does not retire slots itself (as a store written
    # by an older memos left them): the scheduler's "stale" job retires them.
    with mem._store.write() as session:
        row = mem._store.repo.row_by_id(session, old.id)
        cube = cube_from_row(row)
        mem._store.repo.write_version(session, row, cube.model_copy(
            update={"version": row.version + 1, "tags": ["moved"]}), "update", None)
    report = mem.run_scheduler()
    assert [d.cube_id for d in report.decisions if d.job == "stale"] == \
        [r.id for r in _slots_rows(mem)]
    assert report.stale == 1 and report.blobs_deleted == 1
    assert _blob_files(mem) == set()


def test_recall_update_and_scheduler_threads_on_one_instance(mem, facts, model):
    """Recalls, updates, forgets and scheduler passes from several threads: no exception
    (a raw IntegrityError from two threads retiring one cube was one), and `check` holds."""
    import threading

    errors: list[BaseException] = []

    def run(fn) -> None:
        try:
            for i in range(6):
                fn(i)
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    workers = [
        lambda i: mem.recall("What is Ann's city?", "alice", k=4, model=model),
        lambda i: mem.answer("What is Bo's city?", "alice", k=4, model=model),
        lambda i: mem.update(facts[0].id, "alice", content=f"Ann's city is Oslo {i}."),
        lambda i: mem.run_scheduler(),
    ]
    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert errors == []
    mem.run_scheduler()
    assert mem.check().ok


def test_check_finds_a_slots_cube_whose_blob_row_is_gone(mem, facts, model):
    from sqlalchemy import delete

    from memos.stores.schema import BlobRow

    mem.recall("What is Bo's city?", "alice", k=1, model=model)
    (blob,) = [p.stem for p in _blob_files(mem)]
    with mem._store.repo.write() as s:
        s.execute(delete(BlobRow).where(BlobRow.hash == blob))
    report = mem.check()
    assert blob in report.blobs["missing"] and blob in report.blobs["orphaned"]
    mem.check(repair=True)
    assert mem.check().ok
    mem._activation().cache.clear()
    got = mem.recall("What is Bo's city?", "alice", k=1, model=model)
    assert (got.hits, got.misses) == (1, 0)


def test_managed_cubes_and_reserved_keys_hold_against_python_callers(mem, facts, model):
    import types

    mem.recall("What is Bo's city?", "alice", k=1, model=model)
    (slots,) = _slots_rows(mem)
    mine = mem.add("Mallory's note", "mallory")
    proxy = types.MappingProxyType({"memos:blob": "ab" * 32})  # a Mapping, not a dict
    with pytest.raises(InvalidInputError, match="reserved"):
        mem.update(mine.id, "mallory", metadata=proxy)
    with pytest.raises(InvalidInputError, match="reserved"):
        mem.add("x", "mallory", metadata=proxy)
    for call in (lambda: mem.update(slots.id, "alice", metadata={"x": 1}),
                 lambda: mem.update(slots.id, "alice", kind="fact"),
                 lambda: mem.rollback(slots.id, "alice", 1),
                 # Forgotten or superseded, it would keep its blob (or an adapter would be
                 # listed active with no weights): refused, and nothing is written.
                 lambda: mem.forget(slots.id, "alice"),
                 lambda: mem.supersede(slots.id, "alice", content="Bo's city is Rome."),
                 lambda: mem.supersede(slots.id, "alice", by=facts[0].id),
                 lambda: mem.supersede(facts[0].id, "alice", by=slots.id),
                 lambda: mem.add("Bo's city is Rome.", "alice", supersedes=[slots.id]),
                 # an edge would make it a graph neighbour of the caller's memories
                 lambda: mem.link(slots.id, facts[0].id, "alice"),
                 lambda: mem.link(facts[0].id, slots.id, "alice")):
        with pytest.raises(InvalidInputError, match="managed by memos"):
            call()
    (still,) = _slots_rows(mem)
    assert (still.version, still.state) == (slots.version, "active")
    assert mem._store.blobs.path(still.meta["memos:blob"]).exists()
    assert mem.get(facts[0].id, "alice").state == "active"
    assert mem.search("Rome", "alice", k=5) == []  # no half-made superseding cube
    # A caller's own "state" cube never redirects a session to another of its cubes.
    fact = mem.add("Notes: the key is 4471.", "alice")
    mem.add("my state", Scope(user_id="alice", session_id="s1"), tier="activation",
            kind="state", derived_from=[{"cube_id": fact.id, "version": 1}])
    mem.save_session("alice", "s1", "Totally different session text.", model=model)
    assert mem.get(fact.id, "alice").version == 1
    with pytest.raises(InvalidInputError):
        mem.save_session("alice", "s2", "hi\x00", model=model)


@pytest.mark.parametrize("erase", ["forget", "purge"])
def test_save_session_racing_forget_stores_no_state_of_the_erased_transcript(mem, model,
                                                                             erase):
    """As for recall: a forget or purge of the transcript that commits while the model is
    reading the session leaves no state cube and no state blob behind."""
    saved = mem.save_session("alice", "s1", "Notes from Monday. The pass key is 4471.",
                             model=model)
    real = model.read_session

    def read_then_erase(text, *args, **kwargs):
        out = real(text, *args, **kwargs)
        getattr(mem, erase)(saved.transcript_id, "alice")  # commits while reading
        return out

    model.read_session = read_then_erase
    try:
        with pytest.raises(ConflictError, match="not saved.*save_session again"):
            mem.save_session("alice", "s1", "Notes from Monday. The pass key is 4471. And 12.",
                             model=model)
    finally:
        model.read_session = real
    assert [r for r in _slots_rows(mem) if r.state == "active"] == []
    assert _blob_files(mem) == set()
    with pytest.raises(NotFoundError):
        mem.resume_session("alice", "s1", model=model)
    assert mem.check().ok


@pytest.mark.parametrize("erase", ["forget", "purge"])
def test_recall_loading_a_blob_racing_forget_leaves_nothing_in_the_ram_cache(mem, facts, model,
                                                                             erase, monkeypatch):
    """A recall that reads a cube's stored blob while a forget or purge of the cube commits
    (and drops it from the RAM cache) must not put the slots back into the cache after."""
    mem.recall("What is Bo's city?", "alice", k=1, model=model)  # stored as a blob
    cache = mem._activation().cache
    cache.clear()
    blobs = mem._store.blobs
    real = blobs.load

    def load_then_erase(*args, **kwargs):
        out = real(*args, **kwargs)
        getattr(mem, erase)(facts[1].id, "alice")  # commits while the recall reads the blob
        return out

    monkeypatch.setattr(blobs, "load", load_then_erase)
    got = mem.recall("What is Bo's city?", "alice", k=1, model=model)
    monkeypatch.undo()
    assert got.cubes == [(facts[1].id, 1)] and got.hits == 1
    assert not any(k[0] == facts[1].id for k in cache._entries)


# -- regressions: expired transcripts, tiers of an agent, concurrent encodes, public reads --


def _expire(mem, cube_id: str, scope) -> None:
    from datetime import timedelta

    from memos.cube import utcnow

    mem.update(cube_id, scope, expires_at=utcnow() - timedelta(seconds=1))


def test_an_expired_session_transcript_is_gone_to_resume_and_derives_nothing(mem, model):
    """A transcript past its expiry (gc has not archived it yet) reads as gone, as get()
    reads it: resume and continue say so, and no state is saved again from its text."""
    text = "We agreed the pass key is 4417. Keep it secret."
    saved = mem.save_session("alice", "s1", text, model=model)
    _expire(mem, saved.transcript_id, "alice")
    states_before = [r.id for r in _slots_rows(mem) if r.kind == "state"]
    with pytest.raises(NotFoundError):
        mem.get(saved.transcript_id, "alice")
    with pytest.raises(NotFoundError, match="no saved session 's1'.*expired"):
        mem.resume_session("alice", "s1", " The pass key is", model=model)
    with pytest.raises(NotFoundError, match="no saved session 's1'"):
        mem.continue_session("alice", "s1", " The pass key is", max_new_tokens=4, model=model)
    assert [r.id for r in _slots_rows(mem) if r.kind == "state"] == states_before
    # Saving the session again starts a new transcript, which resumes.
    again = mem.save_session("alice", "s1", "A new start. The door code is 12.", model=model)
    assert again.transcript_id != saved.transcript_id
    assert mem.resume_session("alice", "s1", model=model).length == again.tokens


def test_nothing_derived_from_an_expired_cube_is_stored(mem, model):
    """An expiry that came while the model was reading wins, as a forget does: neither a
    state nor slots are stored from text past its expiry."""
    text = "We agreed the pass key is 4417. Keep it secret."
    saved = mem.save_session("alice", "s1", text, model=model)
    transcript = mem.get(saved.transcript_id, "alice")
    fact = mem.add("Ann's city is Oslo.", "alice").cube
    _expire(mem, saved.transcript_id, "alice")
    _expire(mem, fact.id, "alice")
    transcript = transcript.model_copy(update={"version": transcript.version + 1})
    fact = fact.model_copy(update={"version": fact.version + 1})
    rows, blobs = len(_slots_rows(mem)), _blob_files(mem)
    tier = mem._activation()
    assert tier.save_state(transcript, model.read_session(text), "s1") is None
    slots, pairs, _, _, _ = tier.slots_for([fact], model, persist=True)
    assert pairs == [(fact.id, fact.version)] and len(slots) == 1  # served, not stored
    assert len(_slots_rows(mem)) == rows and _blob_files(mem) == blobs


def test_tiers_of_an_agent_count_only_what_it_owns(mem):
    """tiers(scope) counts what stats(scope) counts: with an agent, never a sibling agent's
    private cubes (their number and size are not that agent's to learn)."""
    bot1, bot2 = Scope(user_id="alice", agent_id="bot1"), Scope(user_id="alice", agent_id="bot2")
    mem.add("bot2's private diary line about the surprise party", bot2)
    mem.add("bot2 second private secret", bot2)
    mem.add("bot1 note", bot1)
    mem.add("alice's own note", "alice")  # no agent: every agent of hers may change it
    mem.add("bob's note", "bob")

    def counted(scope) -> int:
        return sum(r["cubes"] for r in mem.tiers(scope))

    assert counted(bot1) == mem.stats(bot1).cubes == 2
    assert counted(bot2) == mem.stats(bot2).cubes == 3
    assert counted("alice") == mem.stats("alice").cubes == 4  # the user as a whole: all
    assert {r["user_id"] for r in mem.tiers(None)} == {"alice", "bob"}
    bot1_bytes = sum(r["bytes"] for r in mem.tiers(bot1))
    assert bot1_bytes == len("bot1 note") + len("alice's own note")


def test_concurrent_recalls_of_one_cold_cube_store_one_slots_cube(mem, model, monkeypatch):
    """Two recalls that both miss and both encode the same cube version: the second to
    write finds the first one's slots cube and stores no second one (nor a second blob)."""
    import threading
    import time

    fact = mem.add("Ann's city is Oslo.", "alice")
    real = model.encode_memory

    def slow(texts, *args, **kwargs):
        time.sleep(1.0)  # both recalls miss before either stores
        return real(texts, *args, **kwargs)

    monkeypatch.setattr(model, "encode_memory", slow)
    got: list = []
    threads = [threading.Thread(target=lambda: got.append(
        mem.recall("What is Ann's city?", "alice", k=1, model=model))) for _ in range(2)]
    for t in threads:
        t.start()
        time.sleep(0.2)
    for t in threads:
        t.join(120)
    monkeypatch.undo()
    assert len(got) == 2 and all(r.cubes == [(fact.id, 1)] for r in got)
    assert all(len(r.slots) == 1 for r in got)  # both callers were served
    active = [r for r in _slots_rows(mem) if r.state == "active"]
    assert len(active) == 1 and len(_blob_files(mem)) == 1
    (act,) = [r for r in mem.tiers("alice") if r["tier"] == "activation"]
    assert act["cubes"] == 1 and act["bytes"] == next(iter(_blob_files(mem))).stat().st_size
    assert mem.check().ok


def test_another_users_read_of_a_public_cube_leaves_no_trace_for_its_owner(mem, model):
    """Bob reading Alice's public cube stores no slots cube in Alice's scope and fills no
    cache entry her reads use: her tiers and her first recall's hits say nothing of it."""
    pub = mem.add("Ann's city is Oslo.", Scope(user_id="alice", visibility="public"))
    for read in (lambda: mem.recall("What is Ann's city?", "bob", k=1, model=model),
                 lambda: mem.answer("What is Ann's city?", "bob", k=1, model=model)):
        got = read()
        assert got.cubes == [(pub.id, 1)] and (got.hits, got.misses) == (0, 1)
    assert _slots_rows(mem) == [] and _blob_files(mem) == set()
    assert [r for r in mem.tiers("alice") if r["tier"] == "activation"] == []
    first = mem.recall("What is Ann's city?", "alice", k=1, model=model)
    assert (first.hits, first.misses) == (0, 1)  # as if nobody had read it before
    (row,) = _slots_rows(mem)  # her own read stores her slots, in her scope
    assert (row.user_id, row.visibility) == ("alice", "private")
    again = mem.recall("What is Ann's city?", "bob", k=1, model=model)
    assert (again.hits, again.misses) == (0, 1) and len(_slots_rows(mem)) == 1
    assert mem.answer("What is Ann's city?", "bob", k=1, model=model).text == "Oslo"
    mine = mem.recall("What is Ann's city?", "alice", k=1, model=model)
    assert (mine.hits, mine.misses) == (1, 0)


def test_another_users_read_of_a_broken_slots_blob_retires_nothing_of_the_owner(mem, model):
    """Alice's stored slots whose blob file is gone: Bob's read is served an encoding of its
    own and leaves her slots cube as it was (her history would tell when he read it); her
    own next read retires and replaces it."""
    pub = mem.add("Bo's city is Lima.", Scope(user_id="alice", visibility="public"))
    mem.recall("What is Bo's city?", "alice", k=1, model=model)
    (row,) = _slots_rows(mem)
    mem._activation().cache.clear()
    for path in _blob_files(mem):
        Path(path).unlink()
    got = mem.recall("What is Bo's city?", "bob", k=1, model=model)
    assert got.cubes == [(pub.id, 1)] and (got.hits, got.misses) == (0, 1)
    assert [(r.id, r.version, r.state) for r in _slots_rows(mem)] == [(row.id, 1, "active")]
    mine = mem.recall("What is Bo's city?", "alice", k=1, model=model)
    assert mine.misses == 1
    assert sorted(r.state for r in _slots_rows(mem)) == ["active", "archived"]


def test_promotion_of_a_public_cube_still_stores_its_slots(mem, model):
    """The OS's own work (the scheduler's promotion: no reader) stores slots in the
    owner's scope, public cube or not."""
    pub = mem.add("Ann's city is Oslo.", Scope(user_id="alice", visibility="public"))
    mem._activation().slots_for([pub.cube], model, persist=True)
    (row,) = _slots_rows(mem)
    assert (row.user_id, row.visibility, row.state) == ("alice", "private", "active")


def test_a_saved_session_survives_export_and_import(mem, model, tmp_path):
    """States are not exported (their blobs are the model's, made again from the text), so
    an imported store finds the session by its transcript: resume reads the text again,
    and the next save updates that transcript instead of starting a second one."""
    import io

    text = "Notes from the call: the launch moved to Friday and Ana owns the demo."
    saved = mem.save_session(Scope(user_id="alice", agent_id="a1"), "call-7", text, model=model)
    mem.ingest([{"role": "user", "content": "unrelated turn of the same session id"}],
               Scope(user_id="alice", agent_id="a1"), session_id="call-7")
    out = io.StringIO()
    mem.export(Scope(user_id="alice", agent_id="a1"), out)
    other = MemOS.open(str(tmp_path / "restored"), embedder=mem.embedder)
    other.import_(io.StringIO(out.getvalue()), Scope(user_id="alice", agent_id="a1"))
    scope = Scope(user_id="alice", agent_id="a1")
    state = other.resume_session(scope, "call-7", model=model)
    assert state.length == mem.resume_session(scope, "call-7", model=model).length
    again = other.save_session(scope, "call-7", text + " Ana also books the room.", model=model)
    assert again.transcript_id == saved.transcript_id and again.transcript_version == 2
    with pytest.raises(NotFoundError):
        other.resume_session(Scope(user_id="alice", agent_id="a2"), "call-7", model=model)
    with pytest.raises(NotFoundError):
        other.resume_session(scope, "call-8", model=model)
    other.close()


def test_answer_does_not_answer_from_other_memories_when_the_one_asked_for_is_too_long(
        mem, model):
    """The fact the question asks for too long to read as slots: no answer (plaintext tier,
    the fact in `skipped`), not the value of another memory the model was given."""
    city = mem.add("Ann's city is Oslo.", "alice", kind="fact")
    bio = mem.add("Ann's bio is " + "a keen sailor and a patient teacher of chemistry, " * 8
                  + "and more.", "alice", kind="fact")
    assert len(bio.cube.content.encode()) > model.cfg.max_memory_tokens
    got = mem.answer("What is Ann's bio?", "alice", k=4, model=model)
    assert got.text == "" and got.tier == "plaintext" and got.cubes == []
    assert bio.id in [cid for cid, _ in got.skipped]
    fine = mem.answer("What is Ann's city?", "alice", k=4, model=model)
    assert fine.tier == "activation" and "Oslo" in fine.text
    assert (city.id, 1) in fine.cubes


def test_a_skipped_memory_is_needed_when_it_ranks_first_or_states_what_is_asked():
    from memos.activation import _needed_unread
    from memos.cube import MemCube

    city = MemCube(content="Ann's city is Oslo.", scope=Scope(user_id="a"))
    bio = MemCube(content="Ann’s  Bio is long ...", scope=Scope(user_id="a"))
    other = MemCube(content="Bo's bio is long ...", scope=Scope(user_id="a"))
    assert _needed_unread("What is Ann's bio?", [city, bio], {bio.id})
    assert _needed_unread("Tell me about sailing", [bio, city], {bio.id})  # the best hit
    assert not _needed_unread("Tell me about sailing", [city, bio], {bio.id})
    assert not _needed_unread("What is Ann's bio?", [city, other], {other.id})
    assert not _needed_unread("What is Ann's city?", [city, bio], {bio.id})
    assert not _needed_unread("What is Ann's bio?", [city, bio], set())
