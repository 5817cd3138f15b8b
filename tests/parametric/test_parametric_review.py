"""The parametric tier's edges found by a review: what each case did before its fix is in
its docstring. Cheap trainings (one step) only."""

from __future__ import annotations

import dataclasses
import io
import random
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from memos import MemOS
from memos.cube import Scope
from memos.errors import InvalidInputError
from memos.model import families
from memos.parametric import lora
from memos.parametric.tier import question_key
from memos.policies.consolidation import ConsolidationPolicy
from tests.parametric.helpers import CHEAP, add_facts, one_thread

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    one_thread()


def _add(mem: MemOS, user: str, seed: int, n: int) -> list[str]:
    return add_facts(mem, user, seed, n)[0]


def _weight_files(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.safetensors"))


def test_an_adapter_that_cannot_be_stored_leaves_no_weights_file(tmp_path: Path,
                                                                  monkeypatch: Any) -> None:
    """Before: the weights file was written before the adapter cube was built and checked;
    a value the cube could not hold (a NaN loss, an infinite config number) or a failure
    before the commit left a file of the user's weights that no row named, which a purge of
    the user did not erase and purge --verify did not see."""
    folder = tmp_path / "store"
    with MemOS.open(str(folder)) as mem:
        ids = _add(mem, "alice", 61, 3)

        def fail(*args: Any, **kwargs: Any) -> None:
            raise RuntimeError("the database went away")

        monkeypatch.setattr(mem._store.repo, "insert_cubes", fail)
        with pytest.raises(RuntimeError):
            mem.consolidate("alice", facts=ids, config=CHEAP)
        monkeypatch.undo()
        assert _weight_files(folder) == [] and mem.adapters("alice") == []
        report = mem.consolidate("alice", facts=ids, config=CHEAP)
        assert report.status == "active" and len(_weight_files(folder)) == 1


@pytest.mark.parametrize("change", [
    {"steps": 2.5}, {"steps": "5"}, {"rank": 2.5}, {"batch": 1.5}, {"lr": float("nan")},
    {"lr": -1.0}, {"lr": 0.0}, {"alpha": float("inf")}, {"rehearsal_weight": float("nan")},
    {"seed": 2**70}, {"targets": ()}, {"rehearsal_questions": 0}, {"distil": "yes"}])
def test_a_bad_training_setting_is_invalid_input_before_training(tmp_path: Path,
                                                                 change: dict[str, Any]
                                                                 ) -> None:
    """Before: TypeError, ValueError, a pydantic error after training (with a weights file
    left behind), peft's NoMatchingPeftModuleError or a RuntimeError."""
    cfg = dataclasses.replace(CHEAP, train=dataclasses.replace(CHEAP.train, **change))
    folder = tmp_path / "store"
    with MemOS.open(str(folder)) as mem:
        ids = _add(mem, "alice", 62, 2)
        with pytest.raises(InvalidInputError):
            mem.consolidate("alice", facts=ids, config=cfg)
        assert mem.adapters("alice") == [] and _weight_files(folder) == []


@pytest.mark.parametrize("change", [{"max_facts": float("inf")}, {"min_hits": 1.5},
                                    {"stable_days": float("nan")}])
def test_a_bad_policy_setting_is_invalid_input(change: dict[str, Any]) -> None:
    with pytest.raises(InvalidInputError):
        ConsolidationPolicy(**change)


def test_a_user_with_an_adapter_can_import_their_own_export(tmp_path: Path) -> None:
    """Before: the active adapter cube was exported with its `memos:` keys, which import
    refuses: the whole file was refused (or that line, with on_error="skip")."""
    with MemOS.open(str(tmp_path / "a")) as mem:
        ids = _add(mem, "alice", 63, 3)
        assert mem.consolidate("alice", facts=ids, config=CHEAP).status == "active"
        out = io.StringIO()
        exported = mem.export("alice", out)
    assert exported.cubes == 3
    with MemOS.open(str(tmp_path / "b")) as other:
        report = other.import_(io.StringIO(out.getvalue()), "alice")
        assert report.imported == 3 and report.errors == []


def test_a_gate_rejected_adapter_is_never_served_again_without_force(tmp_path: Path) -> None:
    """Before: one forced activation cleared the rejection; once replaced, the adapter was
    "retired" like any other, so rollback (or an activate without force) served weights the
    gate had refused."""
    strict = dataclasses.replace(CHEAP, min_closed_book=1.0)  # one step learns nothing
    with MemOS.open(str(tmp_path / "store")) as mem:
        ids = _add(mem, "alice", 64, 4)
        good = mem.consolidate("alice", facts=ids, config=CHEAP)
        bad = mem.consolidate("alice", facts=ids, config=strict)
        assert (good.status, bad.status) == ("active", "rejected")
        mem.activate_adapter(bad.adapter_id, "alice", force=True)
        mem.activate_adapter(good.adapter_id, "alice")  # the forced one is retired now
        with pytest.raises(InvalidInputError, match="evaluation gate"):
            mem.activate_adapter(bad.adapter_id, "alice")
        newer = mem.consolidate("alice", facts=ids, config=CHEAP)
        assert newer.status == "active"
        back = mem.rollback_adapter("alice")
        assert back.id == good.adapter_id  # not the gate-rejected one, though newer


def test_a_scheduler_dry_run_plans_what_the_real_run_does(tmp_path: Path) -> None:
    """Before: a dry run did not count the trainings it planned, so with one training per
    run it listed a re-consolidation and every owner's consolidation, where the real run
    re-consolidated and deferred the rest."""
    from memos.scheduler import SchedulerConfig

    policy = ConsolidationPolicy(stable_days=0, min_hits=0, min_facts=1, min_interval_s=0)
    cfg = SchedulerConfig(consolidation=dataclasses.replace(CHEAP, policy=policy),
                          consolidate_max_per_run=1)
    with MemOS.open(str(tmp_path / "store")) as mem:
        alice = _add(mem, "alice", 65, 3)
        _add(mem, "bob", 66, 3)
        assert mem.consolidate("alice", facts=alice, config=CHEAP).status == "active"
        mem.forget(alice[0], "alice")  # alice's adapter is tainted: a re-consolidation waits
        plan = mem.run_scheduler(dry_run=True, config=cfg)
        done = mem.run_scheduler(config=cfg)

        def jobs(report: Any) -> list[tuple[str, str | None]]:
            return [(d.job, d.cube_id) for d in report.decisions
                    if d.job not in ("consolidate-result", "expire", "stale", "evict",
                                     "promote")]
        assert jobs(plan) == jobs(done)
        assert [j for j, _ in jobs(done)] == ["reconsolidate", "consolidate-deferred"]


def test_the_facade_uses_the_parametric_tier_the_scheduler_made(tmp_path: Path) -> None:
    """Before: when the scheduler's job ran first, the facade made a second tier (its own
    lock and serving copy), so a manual consolidate could train beside the scheduler's."""
    from memos.scheduler import SchedulerConfig

    with MemOS.open(str(tmp_path / "store")) as mem:
        mem.run_scheduler(config=SchedulerConfig(consolidation=CHEAP))
        made = mem._activation().parametric
        assert mem._parametric() is made


@pytest.mark.parametrize("erase", ["forget", "purge"])
def test_a_fact_erased_while_training_is_reported_tainted(tmp_path: Path, erase: str) -> None:
    """A fact forgotten or purged while its adapter trains: the adapter is stored `tainted`,
    and the report said `rejected` (as if the gate had refused it), with the gate's reasons
    or none, never the taint."""
    with MemOS.open(str(tmp_path / "store")) as mem:
        ids = _add(mem, "alice", 71, 3)

        def erase_first(step: int, total: int) -> None:
            if step == 1:
                getattr(mem, erase)(ids[0], "alice")

        rep = mem.consolidate("alice", facts=ids, config=CHEAP, progress=erase_first)
        info = mem.adapter(str(rep.adapter_id), "alice")
        assert (rep.status, info.status) == ("tainted", "tainted"), rep.reasons
        said = " ".join(rep.reasons)
        assert ("purged" if erase == "purge" else "forgotten") in said
        # a forgotten fact is named; a purged one is not (its id was of erased data)
        assert (ids[0] in said) == (ids[0] in (info.reason or "")) == (erase == "forget")
        assert info.reason
        assert rep.previous_adapter is None


def test_the_scheduler_logs_a_tainted_consolidation_as_tainted(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The scheduler's re-consolidation trains while one of its facts is forgotten: its log
    (decision and audit row) said "adapter ... rejected" for an adapter stored tainted."""
    from memos.scheduler import SchedulerConfig

    with MemOS.open(str(tmp_path / "store")) as mem:
        ids = _add(mem, "alice", 72, 4)
        assert mem.consolidate("alice", facts=ids, config=CHEAP).status == "active"
        mem.forget(ids[0], "alice")  # taints it: the scheduler re-consolidates the rest
        real = lora.train_adapter

        def forget_then_train(*args: Any, **kwargs: Any) -> Any:
            mem.forget(ids[1], "alice")
            return real(*args, **kwargs)

        monkeypatch.setattr(lora, "train_adapter", forget_then_train)
        done = mem.run_scheduler(config=SchedulerConfig(consolidation=CHEAP))
        results = [d.reason for d in done.decisions if d.job == "consolidate-result"]
        assert len(results) == 1 and "tainted" in results[0] and "rejected" not in results[0]
        assert ids[1] in results[0], results[0]
        newest = mem.adapters("alice")[0]
        assert newest.status == "tainted" and newest.id in results[0]
        with mem._store.repo.read() as session:
            logged = session.execute(text(
                "SELECT reason FROM audit_log WHERE action = 'consolidate-result'")).scalars()
            assert list(logged) == results


def _holding(mem: MemOS, key: str) -> tuple[int, int]:
    with mem._store.repo.read() as session:
        rows = session.execute(text("SELECT count(*) FROM cubes WHERE metadata LIKE :k"),
                               {"k": f"%{key}%"}).scalar()
        versions = session.execute(text(
            "SELECT count(*) FROM cube_versions WHERE snapshot LIKE :k"), {"k": f"%{key}%"}
        ).scalar()
    return int(rows or 0), int(versions or 0)


@pytest.mark.parametrize("case", ["active", "tainted", "bulk"])
def test_purge_erases_the_purged_facts_question_key_from_kept_adapters(
        tmp_path: Path, case: str) -> None:
    """Adapters a purge keeps (another agent's; tainted before or by the purge) kept the
    purged fact's question key (`memos:facts`, a hash of its question) in their row and every
    version, and its derivation row: purge --verify found the adapter and the row."""
    folder = tmp_path / "store"
    with MemOS.open(str(folder)) as mem:
        facts = families.STYLES["realistic"](random.Random(73), 3)
        ids = _add(mem, "alice", 73, 3)
        key = question_key(facts[0].question)
        kept_key = question_key(facts[1].question)
        a1, a2 = (Scope(user_id="alice", agent_id=a) for a in ("a1", "a2"))
        reps = [mem.consolidate(a, facts=ids, config=CHEAP) for a in (a1, a2)]
        assert [r.status for r in reps] == ["active", "active"]
        assert _holding(mem, key) == (2, 2)
        if case == "tainted":
            mem.forget(ids[0], "alice")  # both adapters tainted, the key still theirs
            assert _holding(mem, key)[0] == 2
        if case == "bulk":  # a2 erases its cubes and the user's agentless ones
            report = mem.purge(None, a2, all_of_user=True)
            assert reps[0].adapter_id not in report.cube_ids
            assert reps[1].adapter_id in report.cube_ids
            kept = [(reps[0], a1)]
        else:
            report = mem.purge(ids[0], "alice")  # the user without an agent: both kept
            kept = [(reps[0], a1), (reps[1], a2)]
        assert report.erased_from_files
        assert _holding(mem, key) == (0, 0)
        for rep, scope in kept:
            info = mem.adapter(str(rep.adapter_id), scope)
            assert info.status == "tainted" and ids[0] not in {c for c, _ in info.sources}
        left = mem.purge_remains(report.cube_ids + [ids[0]])
        assert all(n == 0 for part in left.values() for n in part.values()), left
        if case != "bulk":  # only the purged fact's key goes: the others' stay
            assert _holding(mem, kept_key)[0] == 2
            assert mem.purge_remains(ids[1:])["parametric"]["adapters"] == 2
        held = [p.name for p in folder.rglob("*") if p.is_file()
                and key.encode() in p.read_bytes()]
        assert held == []
