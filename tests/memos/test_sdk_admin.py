"""Administration through the SDK: export/import, check, reindex, rebuild from SQL,
embedder identity, stats, and two handles on one store."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from memos import Scope
from memos.config import MemosConfig
from memos.embedders import HashingEmbedder
from memos.errors import EmbedderMismatchError, ImportFormatError, InvalidInputError

QUERIES = ["tea", "Paris trip", "dog named Rex", "meeting on Monday", "birthday cake"]


def _fill(mem, user: str = "alice") -> list[str]:
    rs = mem.add_many([
        {"content": "Alice prefers green tea", "tags": ["drinks"], "sources": [{"ref": "m1"}]},
        {"content": "Alice planned a trip to Paris in May", "kind": "event",
         "metadata": {"city": "Paris", "n": 2}},
        "Alice adopted a dog named Rex",
        {"content": "The team meeting moved to Monday", "ttl": 86_400 * 30},
        "Bob baked a birthday cake for Alice",
    ], user)
    ids = [r.id for r in rs]
    mem.update(ids[0], user, content="Alice prefers black tea", importance=0.8)
    mem.link(ids[2], ids[0], user, relation="related", weight=0.5)
    mem.link(ids[1], "entity:Paris", user)
    mem.supersede(ids[3], user, content="The team meeting moved to Tuesday")
    return ids


def _answers(mem, user: str = "alice") -> list[list[tuple[str, float]]]:
    return [[(h.id, round(h.score, 6)) for h in mem.search(q, user, k=4, record_access=False)]
            for q in QUERIES]


def _strip_header(text: str) -> list[str]:
    lines = text.splitlines()
    assert json.loads(lines[0])["format"] == "memos-export/1"
    return lines[1:]


def test_export_import_round_trip_is_exact(open_store, tmp_path):
    mem = open_store()
    ids = _fill(mem)
    mem.forget(ids[4], "alice")
    first = tmp_path / "a.jsonl"
    report = mem.export("alice", first)
    assert report.cubes == 5 and report.edges >= 3  # forgotten cube left out
    text = first.read_text()
    assert "birthday cake" not in text
    other = MemosConfig()
    from memos import MemOS

    with MemOS.open(tmp_path / "copy", config=other) as copy:
        rep = copy.import_(first, "alice")
        assert (rep.imported, rep.errors, rep.skipped_existing) == (5, [], 0)
        second = io.StringIO()
        copy.export("alice", second)
        assert _strip_header(second.getvalue()) == _strip_header(text)
        assert copy.history(ids[0], "alice")[0].content == "Alice prefers green tea"
        assert copy.search("black tea", "alice", k=1)[0].id == ids[0]
        again = copy.import_(first, "alice")
        assert again.imported == 0 and again.skipped_existing == 5
        assert copy.check().ok


def test_import_reports_bad_lines_and_aborts_or_skips(mem, tmp_path):
    src = tmp_path / "src"
    from memos import MemOS

    with MemOS.open(src) as other:
        _fill(other)
        buf = io.StringIO()
        other.export("alice", buf)
    lines = buf.getvalue().splitlines()
    broken = lines[:2] + ["{not json", json.dumps({"type": "cube", "cube": {"id": "x"}}),
                          json.dumps({"type": "mystery"})] + lines[2:]
    path = tmp_path / "broken.jsonl"
    path.write_text("\n".join(broken) + "\n")
    with pytest.raises(ImportFormatError) as info:
        mem.import_(path, "alice")
    # the inserted cube line also makes the end line's count wrong (lines were added)
    assert [n for n, _ in info.value.errors] == [3, 4, 5, len(broken)]
    assert "lost or added" in info.value.errors[-1][1]
    assert "line 3" in str(info.value)
    assert mem.stats().cubes == 0  # abort: nothing imported
    report = mem.import_(path, "alice", on_error="skip")
    assert report.imported == 6 and [n for n, _ in report.errors] == [3, 4, 5, len(broken)]
    assert mem.stats().cubes == 6
    with pytest.raises(ImportFormatError):
        mem.import_(path, "mallory", on_error="abort")  # cubes of another user
    with pytest.raises(InvalidInputError):
        mem.import_(tmp_path / "missing.jsonl", "alice")
    odd = tmp_path / "odd.jsonl"
    odd.write_bytes(b"\xff\xfe not text\n" + json.dumps(
        {"type": "edge", "src": "a", "dst": "b", "relation": "r", "weight": "heavy"}).encode()
        + b"\n" + json.dumps({"type": "cube", "cube": {}, "history": 5}).encode() + b"\n")
    bad = mem.import_(odd, "alice", on_error="skip")
    assert [n for n, _ in bad.errors] == [1, 2, 3] and "UTF-8" in bad.errors[0][1]


def test_a_damaged_line_is_one_error_not_also_a_wrong_end_count(mem, tmp_path):
    """A cube line damaged in place (a NaN, a cut) is reported once: the end line's count
    may include it, so the count is not called wrong as well (a fresh-eyes review found
    two errors, the second saying lines were lost)."""
    from memos import MemOS

    with MemOS.open(tmp_path / "src") as other:
        _fill(other)
        buf = io.StringIO()
        other.export("alice", buf)
    lines = buf.getvalue().splitlines()
    parsed = [json.loads(line) for line in lines]
    linked = {o.get(end) for o in parsed if o.get("type") == "edge" for end in ("src", "dst")}
    cube_at = next(i for i, o in enumerate(parsed)  # (one no edge names: one error only)
                   if o.get("type") == "cube" and o["cube"]["id"] not in linked)
    for damaged in (lines[cube_at].replace('"importance":', '"importance": NaN, "x":', 1),
                    lines[cube_at][:40],
                    lines[cube_at].replace('"type": "cube"', '"type": "cuve"', 1)):
        path = tmp_path / "damaged.jsonl"
        path.write_text("\n".join(lines[:cube_at] + [damaged] + lines[cube_at + 1:]) + "\n")
        report = mem.import_(path, "alice", on_error="skip")
        assert [n for n, _ in report.errors] == [cube_at + 1], report.errors
    # a line taken out is still found by the count
    path.write_text("\n".join(lines[:cube_at] + lines[cube_at + 1:]) + "\n")
    report = mem.import_(path, "alice", on_error="skip")
    assert "lost or added" in report.errors[-1][1]


@pytest.mark.parametrize("version", [2 * 10**7, 2 * 10**9, 2**63])
def test_an_import_line_claiming_a_huge_version_is_refused_without_counting(mem, version):
    """Review: a 250-byte line {"cube": {..., "version": 2000000000}} made import build the
    list of versions 1..2e9 before refusing it (peak memory up 0.8 GB at 2e7; the OS killed
    the process at 2e9; 2**63 a MemoryError, a 500 over REST)."""
    import tracemalloc

    from memos.cube import content_hash

    line = {"type": "cube", "cube": {"id": "a" * 32, "content": "imp",
                                     "content_hash": content_hash("imp"),
                                     "scope": {"user_id": "alice"}, "version": version}}
    body = io.StringIO(json.dumps({"format": "memos-export/1"}) + "\n" + json.dumps(line) + "\n")
    tracemalloc.start()
    try:
        report = mem.import_(body, "alice", on_error="skip")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert report.imported == 0 and [n for n, _ in report.errors] == [2]
    assert "version" in report.errors[0][1]
    assert peak < 50 * 2**20  # the line's own size, not a list of `version` numbers
    assert mem.stats().cubes == 0


def test_deleted_faiss_files_are_rebuilt_with_same_answers(store_location, open_store):
    mem = open_store()
    _fill(mem)
    _fill(mem, "bob")
    before = _answers(mem)
    mem.close()
    folder = Path(store_location["index_dir"] or store_location["path_or_url"])
    files = list(folder.glob("vectors*.faiss")) + list(folder.glob("vectors*.json"))
    assert len(files) == 2
    for f in files:
        f.unlink()
    again = open_store()
    assert again.check().ok
    assert _answers(again) == before
    again.close()
    for f in folder.glob("vectors*.faiss"):
        f.write_bytes(b"corrupt")
    third = open_store()
    assert _answers(third) == before and third.check().ok


def test_check_reports_lag_and_repair_fixes_it(open_store):
    mem = open_store()
    _fill(mem)
    writer = open_store()  # a second handle: another process, as far as `mem` knows
    violin = writer.add("Alice started learning the violin", "alice")
    report = mem.check()
    assert not report.ok and report.indexes["vector"].behind > 0
    assert report.indexes["vector"].missing == [violin.id]
    fixed = mem.check(repair=True)
    assert fixed.repaired and mem.check().ok
    assert "violin" in mem.search("violin", "alice", k=1)[0].content
    mem._store.vectors.remove([next(iter(mem._store.vectors.ids()))])  # damage the index
    damaged = mem.check()
    assert not damaged.ok and len(damaged.indexes["vector"].missing) == 1
    mem.check(repair=True)
    assert mem.check().ok
    with mem._store.repo.write() as session:  # damage the full-text index behind its seq's back
        mem._store.fulltext.remove(session, [next(iter(mem._store.vectors.ids()))])
    assert len(mem.check().indexes["fulltext"].missing) == 1
    assert mem.check(repair=True).repaired and mem.check().ok


def test_reindex_and_embedder_identity(open_store):
    mem = open_store()
    _fill(mem)
    before = _answers(mem)
    seen = []
    report = mem.reindex(progress=lambda d, t: seen.append((d, t)))
    assert report.cubes == 6 and report.embedder == "hashing-v1:384" and seen[-1] == (6, 6)
    assert _answers(mem) == before
    mem.close()
    with pytest.raises(EmbedderMismatchError, match="memos reindex"):
        open_store(embedder=HashingEmbedder(dim=64))
    mem = open_store()  # no embedder given: the recorded one
    mem.reindex(embedder="hashing:64")
    assert mem.stats().dim == 64 and mem.embedder.identity == "hashing-v1:64"
    mem.close()
    reopened = open_store()
    assert reopened.embedder.identity == "hashing-v1:64"
    assert reopened.search("black tea", "alice", k=1)[0].content == "Alice prefers black tea"
    assert reopened.check().ok


class _FailingEmbedder:
    """An embedder that breaks part-way through a re-embed (a model that runs out of memory)."""

    identity, dim = "failing:8", 8

    def embed(self, texts):
        raise MemoryError("out of memory while embedding")


@pytest.mark.parametrize("embedder", [_FailingEmbedder(), "hashing:99999999999"],
                         ids=["fails-midway", "huge-dimension"])
def test_a_reindex_that_fails_leaves_the_store_on_its_embedder(open_store, embedder):
    mem = open_store()
    _fill(mem)
    before = _answers(mem)
    with pytest.raises((MemoryError, InvalidInputError)):
        mem.reindex(embedder=embedder)
    assert mem.embedder.identity == "hashing-v1:384" and mem.stats().embedder == "hashing-v1:384"
    assert _answers(mem) == before
    mem.close()
    reopened = open_store()  # the recorded embedder is still the one the index was built with
    assert reopened.embedder.identity == "hashing-v1:384"
    assert _answers(reopened) == before and reopened.check().ok


def test_vector_index_switches_to_ivf_and_survives_reopen(open_store):
    cfg = MemosConfig(flat_max=40, dedup_threshold=None)
    mem = open_store(config=cfg)
    texts = [f"note {i}: topic {i % 13} colour {i % 7} item {i * 31 % 97}" for i in range(120)]
    rs = mem.add_many(texts, "u", batch_size=50)
    assert mem.stats().vector_index == "ivf" and mem.stats().vectors == 120  # hashing: IVF
    top = mem.search(texts[17], "u", k=3, retrievers=["dense"])
    assert top[0].id == rs[17].id
    mem.forget(rs[17].id, "u")
    assert rs[17].id not in {h.id for h in mem.search(texts[17], "u", k=5)}
    assert mem.stats().vectors == 119
    mem.close()
    again = open_store(config=cfg)
    assert again.stats().vector_index == "ivf" and again.check().ok
    assert again.search(texts[18], "u", k=1, retrievers=["dense"])[0].id == rs[18].id


def test_stats_counts(mem):
    _fill(mem)
    mem.add("a shared thing", Scope(user_id="bob", visibility="shared"))
    s = mem.stats()
    assert s.cubes == 7 and s.users == 2 and s.by_state["superseded"] == 1
    assert s.backend in ("sqlite", "postgresql") and s.embedder == "hashing-v1:384"
    assert s.index_seq["vector"] == s.changelog_seq
    mine = mem.stats("alice")
    assert mine.cubes == 6 and mine.live == 5 and mine.versions == 8


def test_an_agents_stats_count_only_what_it_owns(mem):
    """An agent's stats count its own cubes and its user's agentless ones, never a sibling
    agent's (a private cube it cannot read, or a shared one it cannot change), nor their
    versions or links; the user as a whole counts them all."""
    a1, a2 = Scope(user_id="u", agent_id="a1"), Scope(user_id="u", agent_id="a2")
    mine = mem.add("a1 keeps the grocery list", a1).id
    mem.add("the user likes plums", "u")
    secret = mem.add("a2 knows the door code is 7731", a2).id
    shared = mem.add("a2 plans the trip to Oslo", Scope(user_id="u", agent_id="a2",
                                                         visibility="shared")).id
    mem.update(secret, a2, content="a2 knows the door code is 7732")
    mem.link(secret, "entity:door", a2)
    mem.link(shared, "entity:oslo", a2)
    mem.link(mine, "entity:groceries", a1)
    own = mem.stats(a1)
    assert (own.cubes, own.live, own.versions, own.edges) == (2, 2, 2, 1)
    assert own.by_kind == {"fact": 2} and own.users == 1
    whole = mem.stats("u")
    assert (whole.cubes, whole.versions, whole.edges) == (4, 5, 3)


def test_open_default_folder_and_memos_url(tmp_path, monkeypatch):
    from memos import MemOS

    monkeypatch.chdir(tmp_path)
    with MemOS.open() as mem:
        mem.add("stored in the default folder", "u")
    assert (tmp_path / ".memos" / "memos.db").exists()
    assert (tmp_path / ".memos" / "vectors.faiss").exists()
    monkeypatch.setenv("MEMOS_URL", str(tmp_path / "elsewhere"))
    with MemOS.open() as mem:
        assert mem.stats().cubes == 0 and mem.location == str(tmp_path / "elsewhere")
    url = f"sqlite:///{tmp_path / 'db' / 'x.db'}"
    with MemOS.open(url) as mem:
        mem.add("in a sqlite url store", "u")
    assert (tmp_path / "db" / "x.index").is_dir()
    with MemOS.open(tmp_path / "file.db") as mem:
        mem.add("in a sqlite file store", "u")
    assert (tmp_path / "file.db").is_file() and (tmp_path / "file.index").is_dir()


def test_export_keeps_every_edge_past_one_query_chunk(mem):
    import io as _io

    added = mem.add_many([f"chunked export item {i} of kind {i * 7919 % 1000}" for i in range(520)],
                         "u")
    ids = [r.id for r in added if r.action == "added"]
    for a, b in zip(ids, ids[1:], strict=False):
        mem.link(a, b, "u")
    report = mem.export("u", _io.StringIO())
    assert report.cubes == len(ids) and report.edges == len(ids) - 1


@pytest.mark.parametrize("call", [
    lambda mem, tmp: mem.export("alice", "bad\x00name.jsonl"),
    lambda mem, tmp: mem.list_keys(["alice"]),
    lambda mem, tmp: mem.list_keys({"user": "alice"}),
    lambda mem, tmp: mem.list_keys(10 ** 30),
    lambda mem, tmp: mem.purge_remains(None),
    lambda mem, tmp: mem.purge_remains(5),
    lambda mem, tmp: type(mem).open(str(tmp / "bad\x00store")),
    lambda mem, tmp: type(mem).open(str(tmp / "other"), config=5),
], ids=["export-nul", "list_keys-list", "list_keys-dict", "list_keys-huge", "purge_remains-none",
        "purge_remains-int", "open-nul", "open-config-int"])
def test_wrong_types_and_nul_paths_are_invalid_input(mem, tmp_path, call):
    """Bad arguments raise InvalidInputError, never ValueError, TypeError, AttributeError or
    a SQLAlchemy error from inside."""
    with pytest.raises(InvalidInputError):
        call(mem, tmp_path)
    assert not (tmp_path / "other").exists()
