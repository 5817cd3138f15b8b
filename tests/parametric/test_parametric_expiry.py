"""A fact past its TTL reads as gone (`get`, serving), so consolidation never puts it into an
adapter's weights: not when named, not when the policy chooses, not when a tainted adapter is
re-consolidated from its remaining facts. Dry runs only (no training)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("peft")

from memos import MemOS  # noqa: E402
from memos.cube import Scope  # noqa: E402
from memos.errors import InvalidInputError  # noqa: E402
from memos.parametric.tier import EXPIRED, ConsolidationConfig  # noqa: E402
from memos.policies.consolidation import ConsolidationPolicy  # noqa: E402

EVERY_FACT = ConsolidationConfig(policy=ConsolidationPolicy(stable_days=0, min_hits=0,
                                                            min_facts=1, min_interval_s=0))


def _facts(mem: MemOS, user: str) -> tuple[str, str]:
    meta = {"subject": "Ann", "attribute": "city", "value": "Oslo"}
    kept = mem.add("Ann's city is Oslo.", user, metadata=meta).id
    meta = {"subject": "Ann", "attribute": "pet", "value": "a cat"}
    short = mem.add("Ann's pet is a cat.", user, metadata=meta, ttl=1).id
    time.sleep(1.2)  # past the TTL; no scheduler run has archived it yet
    return kept, short


def test_an_expired_fact_is_skipped_when_named(tmp_path: Path) -> None:
    with MemOS.open(str(tmp_path / "store")) as mem:
        kept, short = _facts(mem, "alice")
        rep = mem.consolidate("alice", facts=[kept, short], dry_run=True)
        assert rep.cube_ids == [kept]
        assert rep.skipped == [(short, EXPIRED)]
        with pytest.raises(InvalidInputError, match="expired"):
            mem.consolidate("alice", facts=[short])


def test_the_policy_never_chooses_an_expired_fact(tmp_path: Path) -> None:
    with MemOS.open(str(tmp_path / "store")) as mem:
        kept, short = _facts(mem, "alice")
        rep = mem.consolidate("alice", config=EVERY_FACT, dry_run=True)
        assert rep.cube_ids == [kept]
        assert rep.skipped == [(short, EXPIRED)]


def test_reconsolidation_takes_only_live_unexpired_facts(tmp_path: Path) -> None:
    with MemOS.open(str(tmp_path / "store")) as mem:
        kept, short = _facts(mem, "alice")
        forgotten = mem.add("Ann's job is nurse.", "alice", metadata={
            "subject": "Ann", "attribute": "job", "value": "nurse"}).id
        mem.forget(forgotten, "alice")
        bob = mem.add("Bob's city is Rome.", "bob", metadata={
            "subject": "Bob", "attribute": "city", "value": "Rome"}).id
        tier = mem._parametric_light()
        assert tier._live_ids([kept, short, forgotten, bob], Scope(user_id="alice")) == [kept]
        with pytest.raises(InvalidInputError, match="expired"):
            tier._live_ids([short, forgotten], Scope(user_id="alice"))
