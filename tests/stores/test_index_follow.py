"""A write's own changes reach every index without a transaction of their own
(StoreParts.write, IndexSync.follow): the SQL full-text rows commit with the write, and
the vector index, the graph and the in-memory full-text copy take what the write's
transaction read, once it has committed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from memos import MemOS


def _no_catch_up(monkeypatch: pytest.MonkeyPatch, mem: MemOS) -> None:
    """Make any catch-up of an index by `mem` fail the test: what follows a write must
    have brought them along already."""
    sync = mem._store.sync

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("an index was caught up after a write it followed")

    for name in ("_catch_up_vectors_and_graph", "_catch_up_fulltext", "_catch_up_memory"):
        monkeypatch.setattr(sync, name, refuse)
    for name in ("read", "write"):  # index upkeep's own handle (Repository.upkeep_twin)
        monkeypatch.setattr(sync.repo, name, refuse)


def _count_transactions(monkeypatch: pytest.MonkeyPatch, mem: MemOS) -> dict[str, int]:
    repo = mem._store.repo
    counts = {"write": 0, "read": 0}
    for kind in ("write", "read"):
        real = getattr(repo, kind)

        @contextmanager
        def counted(real: Any = real, kind: str = kind) -> Iterator[Any]:
            counts[kind] += 1
            with real() as session:
                yield session

        monkeypatch.setattr(repo, kind, counted)
    return counts


def _head(mem: MemOS) -> int:
    with mem._store.repo.read() as session:
        return mem._store.repo.max_seq(session)


def _fulltext_current(mem: MemOS) -> bool:
    store = mem._store
    with store.repo.read() as session:
        return store.sync.fulltext_seq(session) == store.repo.max_seq(session)


def test_an_add_is_indexed_by_its_own_transaction_alone(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    with MemOS.open(tmp_path / "s", embedder="hashing") as mem:
        mem.add_many([f"note {i} about the harbor" for i in range(30)], "u")
        edges = mem._store.graph.edge_count()
        _no_catch_up(monkeypatch, mem)
        counts = _count_transactions(monkeypatch, mem)
        added = mem.add("Priya keeps a blue kettle at the lighthouse", "u",
                        entities=["Priya", "lighthouse"])
        assert counts == {"write": 1, "read": 0}
        assert _fulltext_current(mem)
        assert added.cube is not None
        store = mem._store
        assert store.vectors.seq == store.graph.seq == _head(mem)
        assert store.graph.edge_count() > edges  # the entity it mentions is linked
        for retrievers in (["fulltext"], ["dense"]):
            hits = mem.search("blue kettle lighthouse", "u", retrievers=retrievers)
            assert hits and hits[0].id == added.id
        monkeypatch.undo()  # (closing saves the vectors, after a catch-up that finds nothing)


def test_an_update_brings_along_what_another_handle_wrote(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "s"
    with MemOS.open(path, embedder="hashing") as mem, \
            MemOS.open(path, embedder="hashing") as other:
        mine = mem.add("obsidian words of a note", "u").id
        mem.add_many([f"filler {i} about tides" for i in range(20)], "u")
        theirs = other.add("a saffron umbrella left by the pier", "u").id
        _no_catch_up(monkeypatch, mem)
        mem.update(mine, "u", content="marigold words of a note")
        assert _fulltext_current(mem)
        for retrievers in (["fulltext"], ["dense"]):
            assert mem.search("saffron umbrella pier", "u", retrievers=retrievers)[0].id == theirs
            assert mem.search("marigold words", "u", retrievers=retrievers)[0].id == mine
        assert mem.search("obsidian", "u", retrievers=["fulltext"]) == []
        monkeypatch.undo()


def test_an_index_moved_meanwhile_is_left_to_the_catch_up(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Another thread's catch-up may move an index between the write's commit and the
    moment its changes are applied: those changes are then not applied a second time."""
    with MemOS.open(tmp_path / "s", embedder="hashing") as mem:
        mem.add_many([f"note {i} about the harbor" for i in range(30)], "u")
        sync = mem._store.sync
        real = sync.apply_followed
        applied: list[bool] = []

        catching_up: list[bool] = []

        def moved_first(followed: Any) -> bool:
            if catching_up:  # the catch-up's own pages (it applies them the same way)
                return real(followed)
            catching_up.append(True)
            sync._catch_up_vectors_and_graph()  # as another thread would, before this one's turn
            catching_up.clear()
            done = real(followed)
            applied.append(done)
            return done

        monkeypatch.setattr(sync, "apply_followed", moved_first)
        added = mem.add("a heron standing on the breakwater", "u").id
        assert applied == [True]
        with mem._store.repo.read() as session:
            pk = mem._store.repo.row_by_id(session, added).pk
        assert pk in mem._store.vectors and len(mem._store.vectors) == 31
        assert mem.search("heron breakwater", "u", retrievers=["dense"])[0].id == added


def test_the_in_memory_copy_follows_the_write(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    with MemOS.open(tmp_path / "s", embedder="hashing") as mem:
        mem.config.retrieval.fulltext_max_postings = 3  # past the bound: the copy is used
        mem.add_many([f"kite number {i}" for i in range(40)], "u")
        mem.warm()
        sync = mem._store.sync
        assert sync.memory is not None
        _no_catch_up(monkeypatch, mem)
        added = mem.add("kite with a crimson tail", "u").id
        assert sync.memory.seq == _head(mem)
        found = mem.search("crimson kite", "u", retrievers=["fulltext"])
        assert found[0].id == added
        assert sync.memory is not None  # the copy answered, not FTS5 after dropping it
        monkeypatch.undo()


def test_a_write_that_fails_leaves_every_index_as_it_was(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The full-text rows are written on the write's transaction: a failure before it
    commits takes them back with the rest."""
    with MemOS.open(tmp_path / "s", embedder="hashing") as mem:
        mem.add_many([f"note {i} about the harbor" for i in range(10)], "u")
        store = mem._store
        head = store.sync.head()

        def broken(session: Any) -> None:
            raise RuntimeError("disk gone")

        monkeypatch.setattr(store.sync, "follow", broken)
        with pytest.raises(RuntimeError):
            mem.add("a note that never lands: quartz", "u")
        monkeypatch.undo()
        assert store.sync.head() == head
        assert _fulltext_current(mem)
        assert not mem.search("quartz", "u", retrievers=["fulltext"])


def test_a_commit_that_fails_after_the_follow_leaves_nothing_to_apply(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What `follow` read belongs to a transaction that may still fail to commit: a later
    `after_write` (of a write made another way) must not apply the rolled-back changes."""
    from memos.errors import StoreError

    with MemOS.open(tmp_path / "s", embedder="hashing") as mem:
        mem.add_many([f"note {i} about the harbor" for i in range(10)], "u")
        store = mem._store
        real = store.repo.write

        @contextmanager
        def commit_fails() -> Iterator[Any]:
            with real() as session:
                yield session
                raise StoreError("the commit failed")  # rolled back by the real write

        monkeypatch.setattr(store.repo, "write", commit_fails)
        with pytest.raises(StoreError):
            mem.add("a note that never lands: quartz", "u")
        monkeypatch.undo()
        store.after_write(0)  # as a write that does not go through StoreParts.write does
        assert len(store.vectors) == 10
        assert store.vectors.seq == _head(mem)
        assert mem.search("quartz", "u", retrievers=["fulltext"]) == []
        added = mem.add("a note that lands: basalt", "u")
        assert mem.search("basalt", "u", retrievers=["dense"])[0].id == added.id
        assert len(store.vectors) == 11


def test_a_copy_that_cannot_take_a_write_is_dropped_and_the_write_stands(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with MemOS.open(tmp_path / "s", embedder="hashing") as mem:
        mem.config.retrieval.fulltext_max_postings = 3
        mem.add_many([f"kite number {i}" for i in range(40)], "u")
        mem.warm()
        sync = mem._store.sync
        assert sync.memory is not None

        def broken(*args: Any) -> None:
            raise RuntimeError("tokenizer gone")

        monkeypatch.setattr(sync.memory, "apply", broken)
        added = mem.add("kite with a crimson tail", "u").id
        assert sync.memory is None
        assert mem.search("crimson kite", "u", retrievers=["fulltext"])[0].id == added


def test_what_a_write_read_is_not_applied_after_another_write_of_the_thread(
        tmp_path: Path) -> None:
    """`after_write` takes what `StoreParts.write` read only for that transaction: after a
    write made another way in between, the indexes catch up from the changelog instead."""
    from memos.cube import MemCube, Scope

    with MemOS.open(tmp_path / "s", embedder="hashing") as mem:
        mem.add_many([f"note {i} about the harbor" for i in range(10)], "u")
        store = mem._store
        first = MemCube(content="a followed write: amber", scope=Scope(user_id="u"))
        second = MemCube(content="a write made another way: cobalt", scope=Scope(user_id="u"))
        with store.write() as session:  # (its after_write never comes)
            store.repo.insert_cubes(session, [first])
        with store.repo.write() as session:
            pk = store.repo.insert_cubes(session, [second])[0]
        store.after_write(1)
        assert pk in store.vectors
        assert store.vectors.seq == store.graph.seq == _head(mem)
        assert mem.search("cobalt", "u", retrievers=["dense"])[0].id == second.id


def test_writes_with_no_search_between_do_not_pile_up_in_the_copy(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only a search starts a fresh load of the in-memory copy, so writes handed to it with
    no search between (a bulk add) must not keep every row written since its load in its
    delta: past the share of its rows a catch-up would have dropped it at, a write drops it
    (`memos bench retrieval --n 1000000` peaked at 8.1 GB with them, 6.0 GB without), and
    the next search, answered by FTS5 alike, has a fresh copy loaded."""
    from memos.stores.indexer import RELOAD_FRACTION

    monkeypatch.setattr("memos.stores.indexer.RELOAD_MIN", 5)
    with MemOS.open(tmp_path / "s", embedder="hashing") as mem:
        mem.config.retrieval.fulltext_max_postings = 3  # past the bound: the copy is used
        mem.add_many([f"kite number {i}" for i in range(40)], "u")
        mem.warm()
        sync = mem._store.sync
        memory = sync.memory
        assert memory is not None
        for i in range(20):  # 80 rows written, twice the rows the copy was loaded with
            mem.add_many([f"heron number {i} {j}" for j in range(4)], "u")
            assert memory.changed_rows() <= max(5, RELOAD_FRACTION * memory.rows)
        assert sync.memory is None  # dropped, with its delta
        found = mem.search("heron number", "u", k=200, retrievers=["fulltext"])
        assert len(found) == 80
        assert sync._loader is not None  # the first search after the drop loads a copy
        sync._loader.join()
        fresh = sync.memory
        assert fresh is not None and fresh.rows == 120 and fresh.changed_rows() == 0
        again = mem.search("heron number", "u", k=200, retrievers=["fulltext"])
        assert sync.memory is fresh  # (the copy answered this time)
        assert [h.id for h in again] == [h.id for h in found]
