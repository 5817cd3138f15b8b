"""Full-text scores are a reader's own: a search matches, counts and ranks words over the
rows its user may read (her cubes and public ones), so the order of her hits never depends
on another user's private cubes (docs/SECURITY.md). Before, BM25's statistics were the
whole store's: a user who controlled four one-word cubes could tell from their order
whether a number was in someone else's private cube."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from memos import MemOS
from memos.cube import Scope, utcnow
from memos.search import build_where
from memos.stores.fulltext import Reader, SqliteFullText, clean_terms
from tests.stores.test_fulltext_memory import VOCAB, _copy, _text

PINS = ["4821", "7730", "1905", "6642"]


@contextmanager
def _opened(path: Path, **retrieval: Any) -> Iterator[Any]:
    mem = MemOS.open(str(path), embedder="hashing")
    try:
        for key, value in retrieval.items():
            setattr(mem.config.retrieval, key, value)
        yield mem
    finally:
        mem.close()


def _bob_order(mem: Any) -> list[str]:
    """Bob's four PIN cubes, in the order his full-text search ranks them."""
    hits = mem.search(" ".join(PINS), "bob", k=4, retrievers=["fulltext"])
    return [h.cube.content for h in hits]


PATHS = {
    # (the index's own tables, read per query: a small store, or no copy in memory)
    "tables": {},
    # (the in-memory copy: a store past the full-text bound, copy loaded)
    "memory": {"fulltext_max_postings": 4},
    "tables-large": {"fulltext_max_postings": 4, "fulltext_in_memory": False},
}


@pytest.mark.parametrize("path_name", list(PATHS))
@pytest.mark.parametrize("secret", ["4821", "6642"])
def test_anothers_private_word_does_not_move_bobs_hits(tmp_path: Path, path_name: str,
                                                       secret: str) -> None:
    orders = []
    for with_secret in (False, True):
        with _opened(tmp_path / f"{with_secret}.db", **PATHS[path_name]) as mem:
            mem.add_many(PINS, "bob")
            mem.add_many([f"note {i} about the garden" for i in range(6)], "carol")
            if with_secret:
                mem.add(f"my bank card pin is {secret}", "alice")  # private to alice
                mem.add(f"{secret} again, and {secret}", {"user_id": "alice", "agent_id": "planner"})
            if path_name == "memory":
                _copy(mem)  # load the copy, so that it scores
                assert mem._store.uses_fulltext_memory()
            orders.append(_bob_order(mem))
    assert sorted(orders[0]) == sorted(PINS)
    assert orders[1] == orders[0]


@pytest.mark.parametrize("path_name", list(PATHS))
def test_a_public_cube_counts_for_every_reader(tmp_path: Path, path_name: str) -> None:
    """What a reader may read counts in her statistics: another user's public cube holding
    a word makes bob's cube of that word rank lower, as his own cube would."""
    orders = []
    for public in (False, True):
        # (a bound of 5: bob's query matches 5 rows he may read, all scored)
        options = {k: 5 if k == "fulltext_max_postings" else v
                   for k, v in PATHS[path_name].items()}
        with _opened(tmp_path / f"{public}.db", **options) as mem:
            mem.add_many(PINS, "bob")
            mem.add_many([f"note {i} about the garden" for i in range(6)], "carol")
            if public:
                mem.add("the shop's pin is 6642", {"user_id": "alice", "visibility": "public"})
            if path_name == "memory":
                _copy(mem)
            orders.append(_bob_order(mem))
    assert orders[0][0] == "6642"  # newest first among equals: 6642 was written last
    assert orders[1][-1] == "6642"


def _random_store(mem: Any, rng: random.Random) -> None:
    users = ["alice", "bob", "carol"]
    alices = []
    for _ in range(60):
        user = rng.choice(users)
        scope: Any = {"user_id": user, "visibility": rng.choice(["private", "public"])}
        if rng.random() < 0.3:
            scope["agent_id"] = "a1"
        extra = {"metadata": {"context": _text(rng, 4)}} if rng.random() < 0.3 else {}
        added = mem.add(_text(rng), scope, **extra)
        if added.action == "added":
            alices.append((added.id, scope))
    for cube_id, scope in rng.sample(alices, min(5, len(alices))):  # delta, and rows gone
        if rng.random() < 0.5:
            mem.update(cube_id, scope, content=_text(rng) + " changed")
        else:
            mem.forget(cube_id, scope)


@pytest.mark.parametrize("seed", range(6))
def test_memory_copy_and_tables_score_a_reader_alike(tmp_path: Path, seed: int) -> None:
    """The in-memory copy (kept current by writes after its load) and the index's tables
    give every reader the same rows, counts and scores."""
    rng = random.Random(seed)
    with _opened(tmp_path / "s.db", fulltext_max_postings=3) as mem:
        _random_store(mem, rng)
        memory = _copy(mem)
        _random_store(mem, rng)  # after the load: rows in the copy's delta
        memory = _copy(mem)
        store = mem._store
        compared = 0
        with store.repo.read() as session:
            for _ in range(25):
                words = clean_terms(rng.sample(VOCAB, rng.randint(1, 3)))
                tokens = memory.tokens_of(words)
                if tokens is None:
                    continue  # a phrase: left to the tables
                for reader in (Reader("alice"), Reader("bob"), Reader("nobody"), Reader(None)):
                    assert memory.counts(tokens, reader) == store.fulltext.row_counts(
                        session, words, None, reader)
                    for max_rows in (None, 5):
                        got = memory.top(tokens, 20, max_rows, reader)
                        ref = store.fulltext.top(session, words, 20, max_rows, reader=reader)
                        assert got == ref
                        compared += bool(ref)
        assert compared > 20


def test_reader_counts_stop_at_the_cap(tmp_path: Path) -> None:
    with _opened(tmp_path / "s.db") as mem:
        mem.add_many([f"kite {i}" for i in range(9)], "alice")
        mem.add_many([f"kite {i}" for i in range(4)], "bob")
        mem.add("kite public", {"user_id": "alice", "visibility": "public"})
        fts = mem._store.fulltext
        with mem._store.repo.read() as session:
            assert fts.row_counts(session, ["kite"], None, Reader("bob")) == [5]
            assert fts.row_counts(session, ["kite"], None, Reader("alice")) == [10]
            assert fts.row_counts(session, ["kite"], 3, Reader("alice")) == [3]
            assert fts.row_counts(session, ["kite"], None, Reader(None)) == [1]
            assert fts.row_counts(session, ["kite"]) == [14]


@pytest.mark.parametrize("bound", [None, 4])
@pytest.mark.parametrize("secret", ["4821", "6642"])
def test_bobs_order_stays_when_alice_writes_the_word(mem: Any, bound: int | None,
                                                     secret: str) -> None:
    """On every backend, in one store: alice's private cubes written after bob searched
    leave his order as it was (PostgreSQL's ts_rank_cd has no store-wide statistics; its
    bound on matches counts and cuts bob's rows alone too)."""
    mem.config.retrieval.fulltext_max_postings = bound
    mem.add_many(PINS, "bob")
    mem.add_many([f"note {i} about the garden" for i in range(6)], "carol")
    before = _bob_order(mem)
    mem.add_many([f"my bank card pin is {secret}", f"{secret} and {secret}"], "alice")
    mem.add(f"{secret} {secret}", {"user_id": "alice", "agent_id": "planner"})
    assert sorted(before) == sorted(PINS)
    assert _bob_order(mem) == before


@pytest.mark.parametrize("in_memory", [False, True])
def test_a_phrase_word_matches_the_phrase_only(tmp_path: Path, in_memory: bool) -> None:
    """"api_key" is a phrase to FTS5: a reader's scores match rows holding the phrase, not
    rows holding one of its tokens (a review found "lost my key" returned)."""
    with _opened(tmp_path / "s.db", fulltext_in_memory=in_memory) as mem:
        mem.add_many(["rotate the api_key monthly", "the api is down", "lost my key",
                      "old api notes", "key ring"], "bob")
        mem.warm()
        for bound in (None, 2):
            mem.config.retrieval.fulltext_max_postings = bound
            hits = mem.search("api_key", "bob", k=10, retrievers=["fulltext"])
            assert [h.cube.content for h in hits] == ["rotate the api_key monthly"]


def test_the_scoped_pass_scores_alike_from_the_copy_and_the_tables(tmp_path: Path) -> None:
    """A filtered search's second pass (the scope holds few of the first pass's rows) is
    scored from the copy when it is loaded, with the reader's statistics, as the tables
    score it."""
    rng = random.Random(7)
    with _opened(tmp_path / "s.db", fulltext_max_postings=3) as mem:
        _random_store(mem, rng)
        for i in range(30):
            mem.add(_text(rng), "alice", tags=["x"] if i % 3 == 0 else [])
        _copy(mem)
        store = mem._store
        assert isinstance(store.fulltext, SqliteFullText)
        where = build_where(Scope(user_id="alice"), utcnow(), "sqlite", None, None, ["x"],
                            None, None, None, ["plaintext"], False)
        compared = 0
        with store.repo.read() as session:
            head = store.vectors.seq
            for _ in range(20):
                words = clean_terms(rng.sample(VOCAB, rng.randint(1, 3)))
                if store.sync.memory is None or store.sync.memory.tokens_of(words) is None:
                    continue
                got = store.fulltext_search(session, words, where, 10, Reader("alice"), head)
                ref = [pk for pk, _ in store.fulltext.search(session, words, where, 10,
                                                             reader=Reader("alice"))]
                assert got == ref
                compared += bool(ref)
        assert compared > 5


def test_a_readers_word_counts_do_not_follow_other_users_writes(tmp_path: Path) -> None:
    """Which frequent words a large store's query drops must not depend on how many
    changes other users made since the reader last searched (a count remembered while the
    store's changelog moved little did: an attacker probe's repro)."""
    got = []
    for alice_writes in (0, 5):
        with _opened(tmp_path / f"{alice_writes}.db", fulltext_max_postings=1010) as mem:
            mem.add_many([f"aa n{i}" for i in range(1000)], "bob")
            mem.add_many([f"bb m{i}" for i in range(5)], "bob")
            mem.add_many([f"filler f{i}" for i in range(20)], "carol")
            mem.warm()

            def search() -> list[str]:
                return sorted(h.cube.content for h in mem.search(
                    "aa bb qq_rr", "bob", k=20, retrievers=["fulltext"], record_access=False))

            search()
            mem.add_many([f"aa new{i}" for i in range(6)], "bob")
            if alice_writes:
                mem.add_many([f"diary {i}" for i in range(alice_writes)], "alice")
            got.append(search())
    assert got[0] == got[1]
