"""Bad input gets a clear MemosError and leaves the store exactly as it was (invariant 6).

"Exactly as it was" is measured by `snapshot`: the store's counts (cubes, versions, edges,
changelog position, vectors) and every user's full export.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from rel_helpers import StoreSpec, export_lines, fresh_store, snapshot

from memos.embedders import HashingEmbedder
from memos.errors import (
    EmbedderMismatchError,
    ImportFormatError,
    InvalidInputError,
    MemosError,
    NotFoundError,
)

USERS = ["alice", "bob"]
UNKNOWN = "0" * 32


def _seed(mem: Any) -> dict[str, str]:
    """A few cubes, one updated, one forgotten, one edge."""
    ids = {
        "tea": mem.add("Alice prefers green tea", "alice", kind="preference").id,
        "lisbon": mem.add("Alice lives in Lisbon", "alice", entities=["lisbon"]).id,
        "run": mem.add("Bob runs every morning", "bob").id,
        "gone": mem.add("Bob's old phone number is 555-0100", "bob").id,
    }
    mem.update(ids["tea"], "alice", content="Alice prefers oolong tea")
    mem.forget(ids["gone"], "bob")
    mem.link(ids["tea"], ids["lisbon"], "alice", relation="related")
    return ids


@pytest.fixture
def seeded(store_spec: StoreSpec) -> Iterator[tuple[Any, dict[str, str]]]:
    with store_spec.open() as mem:
        yield mem, _seed(mem)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def seeded_shared(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
                  ) -> Iterator[tuple[Any, dict[str, str]]]:
    """One seeded store per backend for all the bad calls: each test proves it unchanged."""
    with fresh_store(request.param, tmp_path_factory.mktemp("shared")) as spec:
        with spec.open() as mem:
            yield mem, _seed(mem)


BAD_CALLS: dict[str, tuple[type[MemosError] | tuple[type[MemosError], ...], Callable[[Any, dict[str, str]], object]]] = {
    "empty content": (InvalidInputError, lambda m, ids: m.add("", "alice")),
    "whitespace content": (InvalidInputError, lambda m, ids: m.add(" \n\t ", "alice")),
    "10 MB content": (InvalidInputError, lambda m, ids: m.add("x" * 10_000_000, "alice")),
    "invalid UTF-8 bytes": (InvalidInputError, lambda m, ids: m.add(b"caf\xe9 \xff\xfe", "alice")),
    "lone surrogate": (InvalidInputError, lambda m, ids: m.add("bad \ud800 text", "alice")),
    "NUL character": (InvalidInputError, lambda m, ids: m.add("bad \x00 text", "alice")),
    "NUL in update": (InvalidInputError,
                      lambda m, ids: m.update(ids["tea"], "alice", content="tea\x00")),
    "empty update": (InvalidInputError,
                     lambda m, ids: m.update(ids["tea"], "alice", content="  ")),
    "metadata not JSON": (InvalidInputError,
                          lambda m, ids: m.add("Alice has a cat", "alice", metadata={"x": {1, 2}})),
    "metadata NaN": (InvalidInputError,
                     lambda m, ids: m.add("Alice has a dog", "alice", metadata={"w": float("nan")})),
    "wrong embedding dimension": (
        InvalidInputError, lambda m, ids: m.add("Alice likes jazz", "alice", embedding=[0.1] * 7)),
    "get unknown id": (NotFoundError, lambda m, ids: m.get(UNKNOWN, "alice")),
    "update unknown id": (NotFoundError,
                          lambda m, ids: m.update(UNKNOWN, "alice", content="new text")),
    "forget unknown id": (NotFoundError, lambda m, ids: m.forget(UNKNOWN, "alice")),
    "rollback unknown id": (NotFoundError, lambda m, ids: m.rollback(UNKNOWN, "alice", 1)),
    "rollback unknown version": ((NotFoundError, InvalidInputError),
                                 lambda m, ids: m.rollback(ids["tea"], "alice", 99)),
    "history unknown id": (NotFoundError, lambda m, ids: m.history(UNKNOWN, "alice")),
    "link to unknown id": (NotFoundError, lambda m, ids: m.link(ids["tea"], UNKNOWN, "alice")),
    "purge unknown id": (NotFoundError, lambda m, ids: m.purge(UNKNOWN, "alice")),
    "bad filter key": (InvalidInputError,
                       lambda m, ids: m.search("tea", "alice", filters={"colour": "red"})),
}


@pytest.mark.parametrize("case", sorted(BAD_CALLS))
def test_bad_call_raises_and_changes_nothing(seeded_shared: tuple[Any, dict[str, str]],
                                             case: str) -> None:
    mem, ids = seeded_shared
    expected, call = BAD_CALLS[case]
    before = snapshot(mem, USERS)
    with pytest.raises(expected) as info:
        call(mem, ids)
    message = str(info.value)
    assert message and "\n" not in message and "Traceback" not in message
    assert snapshot(mem, USERS) == before


def test_other_embedder_dimension_is_refused_with_the_fix(store_spec: StoreSpec) -> None:
    with store_spec.open() as mem:
        mem.add("Alice prefers green tea", "alice")
        before = snapshot(mem, USERS)
    with pytest.raises(EmbedderMismatchError, match="reindex"):
        store_spec.open(embedder=HashingEmbedder(dim=64))
    with store_spec.open() as mem:
        assert snapshot(mem, USERS) == before


def _import_file(tmp_path: Path, mem: Any) -> tuple[Path, list[int]]:
    """Alice's export with malformed lines put in; returns the file and the bad line numbers."""
    good = [json.dumps(line, sort_keys=True) for line in export_lines(mem, "alice")]
    assert len(good) >= 3  # header, two cubes (and an edge)
    header, cubes = good[0], [line for line in good[1:] if '"type": "cube"' in line]
    for n, line in enumerate(cubes):  # fresh ids, so the import adds instead of skipping
        cubes[n] = line.replace(json.loads(line)["cube"]["id"], f"{n + 1:032x}")
    lines = [
        header,  # 1
        cubes[0],  # 2
        "this is not json",  # 3
        '{"type": "cube"}',  # 4: no cube object
        cubes[1],  # 5
        '{"type": "cube", "cube": {"content": "", "scope": {"user_id": "alice"}}}',  # 6
        json.dumps({"type": "wormhole"}),  # 7: unknown line type
    ]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, [3, 4, 6, 7]


def test_import_abort_reports_lines_and_imports_nothing(seeded: tuple[Any, dict[str, str]],
                                                        tmp_path: Path) -> None:
    mem, _ = seeded
    path, bad = _import_file(tmp_path, mem)
    before = snapshot(mem, USERS)
    with pytest.raises(ImportFormatError) as info:
        mem.import_(path, "alice", on_error="abort")
    assert [number for number, _ in info.value.errors] == bad
    assert snapshot(mem, USERS) == before


def test_import_skip_imports_the_good_lines(seeded: tuple[Any, dict[str, str]],
                                            tmp_path: Path) -> None:
    mem, _ = seeded
    path, bad = _import_file(tmp_path, mem)
    # The file is Alice's (a cube of another owner is a line error); its two cube ids were
    # rewritten, so both good cube lines are new to the store.
    report = mem.import_(path, "alice", on_error="skip")
    assert [number for number, _ in report.errors] == bad
    assert (report.imported, report.aborted) == (2, False)
    for n in (1, 2):
        assert mem.get(f"{n:032x}", "alice").content
    assert mem.check().ok


NUL_CALLS: dict[str, Callable[[Any, dict[str, str]], object]] = {
    "user id": lambda m, ids: m.add("Alice has a cat", "ali\x00ce"),
    "tag": lambda m, ids: m.add("Alice has a cat", "alice", tags=["pets\x00"]),
    "metadata": lambda m, ids: m.add("Alice has a cat", "alice", metadata={"k": "v\x00"}),
    "entity": lambda m, ids: m.add("Alice has a cat", "alice", entities=["cat\x00"]),
    "cube id": lambda m, ids: m.get("ab\x00cd", "alice"),
    "relation": lambda m, ids: m.link(ids["tea"], ids["lisbon"], "alice", relation="r\x00"),
}


@pytest.mark.parametrize("field", sorted(NUL_CALLS))
def test_nul_in_a_text_field_is_bad_input_on_both_backends(
        seeded_shared: tuple[Any, dict[str, str]], field: str) -> None:
    """PostgreSQL cannot store NUL in text or JSON; SQLite could, but refuses it too, so an
    export moves between them: a clear InvalidInputError, nothing written."""
    mem, ids = seeded_shared
    before = snapshot(mem, USERS)
    with pytest.raises(InvalidInputError, match="NUL"):
        NUL_CALLS[field](mem, ids)
    assert snapshot(mem, USERS) == before
