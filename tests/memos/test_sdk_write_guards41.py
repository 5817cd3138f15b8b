"""What a memory may hold, at every SDK write path and in import: a memory's kind only
(memos' own activation and parametric kinds are refused, and errors list only the kinds a
caller may use), sources without unknown keys, and metadata integers a filter can match."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from memos.cube import SourceRef
from memos.errors import InvalidInputError
from memos.facade import MemOS

MEMORY_KINDS = ("fact", "preference", "episode", "event", "profile", "document", "message")
INTERNAL = ("slots", "state", "adapter", "checkpoint")


@pytest.fixture
def mem(tmp_path: Path) -> Iterator[MemOS]:
    with MemOS.open(tmp_path / "store", embedder="hashing") as opened:
        yield opened


def _count(mem: MemOS) -> int:
    return mem.stats("alice").live


@pytest.mark.parametrize("kind", INTERNAL)
def test_every_write_path_refuses_memos_own_kinds_for_a_memory(mem: MemOS, kind: str) -> None:
    old = mem.add("Alice likes green tea", "alice")
    before = _count(mem)
    calls = {
        "add": lambda: mem.add("zz", "alice", kind=kind),
        "add_many": lambda: mem.add_many([{"content": "zz", "kind": kind}], "alice"),
        "update": lambda: mem.update(old.id, "alice", kind=kind),
        "supersede": lambda: mem.supersede(old.id, "alice", content="Alice likes oolong",
                                           kind=kind),
    }
    for name, call in calls.items():
        with pytest.raises(InvalidInputError) as exc:
            call()
        said = str(exc.value)
        assert "memos gives its own" in said and ", ".join(MEMORY_KINDS) in said, (name, said)
    assert _count(mem) == before
    assert mem.get(old.id, "alice").kind == "fact" and mem.get(old.id, "alice").version == 1


def test_unknown_kind_errors_list_only_a_memorys_kinds(mem: MemOS) -> None:
    mem.add("Alice likes green tea", "alice")
    for call in (lambda: mem.add("zz", "alice", kind="bogus"),
                 lambda: mem.search("tea", "alice", kind="bogus"),
                 lambda: mem.search("tea", "alice", kind=["fact", "bogus"]),
                 lambda: mem.list_memories("alice", kind="bogus")):
        with pytest.raises(InvalidInputError) as exc:
            call()
        said = str(exc.value)
        assert "bogus" in said and ", ".join(MEMORY_KINDS) in said, said
        assert not any(kind in said for kind in INTERNAL), said
    with pytest.raises(InvalidInputError, match="memos gives its own"):
        mem.search("tea", "alice", kind="slots")


def test_memos_own_derived_cubes_are_still_written(mem: MemOS) -> None:
    """The SDK's documented way to write a derived cube of another tier still works."""
    base = mem.add("Alice's passport number is X123", "alice")
    slots = mem.add("slots of the passport", "alice", tier="activation", kind="slots",
                    derived_from=[{"cube_id": base.id, "version": 1}], model_fingerprint="fp")
    adapter = mem.add("an adapter", "alice", tier="parametric", kind="adapter",
                      derived_from=[{"cube_id": base.id, "version": 1}], model_fingerprint="fp")
    assert (slots.cube.tier, slots.cube.kind) == ("activation", "slots")
    assert (adapter.cube.tier, adapter.cube.kind) == ("parametric", "adapter")


def _export(mem: MemOS) -> list[dict[str, Any]]:
    out = io.StringIO()
    mem.export("alice", out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_import_refuses_internal_kinds_and_tiers_on_a_memory(mem: MemOS, tmp_path: Path
                                                             ) -> None:
    """Export leaves out the activation and parametric cubes memos made (their blobs and
    `memos:` keys stay behind), so such a tier in a file is either a derived cube written
    with `add(tier=..., derived_from=...)` (which round-trips) or a text given a tier it
    cannot live in: kept there, it was counted by `tiers` and shown by no list or search.
    Refused per line: a plaintext cube of an internal kind, and a cube of tier activation or
    parametric that is not of its tier's kinds or is derived from nothing."""
    base = mem.add("Alice's passport number is X123", "alice")
    mem.add("slots of the passport", "alice", tier="activation", kind="slots",
            derived_from=[{"cube_id": base.id, "version": 1}], model_fingerprint="fp")
    lines = _export(mem)
    cube_lines = [line for line in lines if line.get("type") == "cube"]
    plain = next(line for line in cube_lines if line["cube"]["tier"] == "plaintext")

    def forged(n: int, **fields: Any) -> dict[str, Any]:
        return {**plain, "cube": {**plain["cube"], "id": f"{n:032x}", **fields}}

    bad = [forged(1, tier="activation"),  # an ordinary text given the activation tier
           forged(2, kind="slots"),  # a plaintext memory of memos' own kind
           forged(3, tier="parametric", kind="adapter"),  # derived from nothing
           forged(4, tier="activation", kind="adapter",
                  derived_from=[{"cube_id": base.id, "version": 1}])]
    other = MemOS.open(tmp_path / "other", embedder="hashing")
    try:
        text = "".join(json.dumps(line) + "\n" for line in [*lines[:-1], *bad])
        report = other.import_(io.StringIO(text), "alice", on_error="skip")
        refused = dict(report.errors)
        assert len(refused) == 4, report.errors
        assert all("a memory's" in why for why in refused.values()), refused
        assert report.imported == len(cube_lines)  # the genuine lines, the slots cube too
        assert {r["tier"] for r in other.tiers("alice")} == {"plaintext", "activation"}
        assert _export(other)[1:-1] == lines[1:-1]  # the round trip is unchanged
    finally:
        other.close()


def test_sdk_refuses_unknown_source_keys(mem: MemOS) -> None:
    before = _count(mem)
    allowed = ", ".join(SourceRef.model_fields)
    for call in (lambda: mem.add("x", "alice", sources=[{"bogus": 1}]),
                 lambda: mem.add_many([{"content": "x", "sources": [{"rol": "user"}]}],
                                      "alice")):
        with pytest.raises(InvalidInputError) as exc:
            call()
        assert allowed in str(exc.value), str(exc.value)
    assert _count(mem) == before
    got = mem.add("y", "alice", sources=[{"kind": "message", "ref": "s1#2", "role": "user"}])
    assert got.cube.sources[0].ref == "s1#2"


@pytest.mark.parametrize("metadata", [
    {"a": 99999999999999999999999},
    {"a": -2**63},
    {"deep": {"list": [1, {"n": 2**64}]}},
])
def test_metadata_integers_beyond_64_bits_are_refused(mem: MemOS, metadata: Any) -> None:
    """A filter compares metadata integers as 64-bit values (and refuses others), so a
    stored one beyond that range could never be matched."""
    old = mem.add("a memory with numbers", "alice", metadata={"a": 1})
    before = _count(mem)
    for call in (lambda: mem.add("big int", "alice", metadata=metadata),
                 lambda: mem.add_many([{"content": "big int", "metadata": metadata}], "alice"),
                 lambda: mem.update(old.id, "alice", metadata=metadata)):
        with pytest.raises(InvalidInputError, match="64-bit.*as a string"):
            call()
    assert _count(mem) == before and mem.get(old.id, "alice").version == 1
    edge = mem.add("the largest", "alice", metadata={"a": 2**63 - 1, "b": -(2**63 - 1)})
    assert [h.id for h in mem.search("largest", "alice", filters={
        "meta": {"a": 2**63 - 1}})] == [edge.id]


def test_import_refuses_metadata_integers_beyond_64_bits(mem: MemOS, tmp_path: Path) -> None:
    mem.add("Alice likes green tea", "alice")
    lines = _export(mem)
    line = next(x for x in lines if x.get("type") == "cube")
    bad = {**line, "cube": {**line["cube"], "id": "e" * 32, "metadata": {"n": [10**30]}}}
    other = MemOS.open(tmp_path / "other", embedder="hashing")
    try:
        report = other.import_(io.StringIO(json.dumps(bad) + "\n"), "alice", on_error="skip")
        assert report.imported == 0 and "64-bit" in report.errors[0][1]
    finally:
        other.close()


def test_add_refuses_what_import_refuses_for_memos_tiers(mem: Any) -> None:
    """A review: add took tier/kind pairs that import then refused, so an export did not
    import back. Both now hold a cube of memos' tiers to its tier's kinds, derived."""
    base = mem.add("Alice's passport number is X123", "alice")
    derived = [{"cube_id": base.id, "version": 1}]
    for tier, kind, source in (("activation", "fact", derived), ("activation", "slots", []),
                               ("parametric", "episode", derived)):
        with pytest.raises(InvalidInputError, match="tier"):
            mem.add(f"{tier} {kind}", "alice", tier=tier, kind=kind, derived_from=source)
    slots = mem.add("slots of it", "alice", tier="activation", kind="slots",
                    derived_from=derived)
    with pytest.raises(InvalidInputError):
        mem.update(slots.id, "alice", kind="fact")
