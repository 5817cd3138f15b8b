"""Probe of the activation and parametric tiers (helper session 35).

What held is listed in the session's notes; this file keeps the one finding that did not,
fixed in ParametricTier.scheduler_job:

* The scheduler's re-consolidation of a tainted adapter ignored what the owner did after
  the taint. A forget takes the active adapter out of service and marks it `pending`; if
  the owner then puts another adapter in service (rollback_adapter, activate_adapter, or a
  new consolidate of other facts), the next scheduler run trained an adapter on the
  tainted one's live facts and activated it, retiring the adapter the owner chose. The
  owner's rollback did not stick, and a manual consolidation's facts silently lost their
  closed-book service. Now the owner's choice stands and the job says so.

Cheap trainings only (one step, no rehearsal, gate opened): a few seconds on CPU.
"""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("peft")

from memos import MemOS  # noqa: E402
from memos.scheduler import SchedulerConfig  # noqa: E402
from tests.parametric.helpers import CHEAP, add_facts, one_thread  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    one_thread()


def _active(mem: MemOS, user: str) -> list[str]:
    return [a.id for a in mem.adapters(user) if a.status == "active"]


@pytest.mark.parametrize("then", ["rollback", "consolidate"])
def test_reconsolidation_does_not_undo_the_owners_later_choice(tmp_path: Path,
                                                                then: str) -> None:
    with MemOS.open(str(tmp_path / "store")) as mem:
        ids, facts = add_facts(mem, "alice", 35, 5)
        first = mem.consolidate("alice", facts=ids[:2], config=CHEAP)
        second = mem.consolidate("alice", facts=ids[1:4], config=CHEAP)
        assert (first.status, second.status) == ("active", "active")
        mem.forget(ids[3], "alice")  # taints `second` (it was active): pending
        assert _active(mem, "alice") == []
        if then == "rollback":  # the owner puts the earlier adapter back in service
            chosen = mem.rollback_adapter("alice").id
            assert chosen == first.adapter_id
        else:  # the owner consolidates another fact on purpose
            chosen = mem.consolidate("alice", facts=[ids[4]], config=CHEAP).adapter_id
        assert _active(mem, "alice") == [chosen]
        ask = facts[0] if then == "rollback" else facts[4]
        assert mem.answer(ask.question, "alice").adapter_id == chosen
        done = mem.run_scheduler(config=SchedulerConfig(consolidation=CHEAP,
                                                        consolidate_max_per_run=1))
        # Before the fix: a new adapter trained on `second`'s live facts is active and the
        # owner's adapter is retired, so `ask` is no longer answered by it.
        assert _active(mem, "alice") == [chosen]
        assert mem.answer(ask.question, "alice").adapter_id == chosen
        assert any(d.job == "reconsolidate-skipped" and d.cube_id == second.adapter_id
                   for d in done.decisions)
        again = mem.run_scheduler(config=SchedulerConfig(consolidation=CHEAP,
                                                         consolidate_max_per_run=1))
        assert not any(d.cube_id == second.adapter_id for d in again.decisions)  # settled


def test_of_two_tainted_adapters_of_one_owner_only_the_later_is_reconsolidated(
        tmp_path: Path) -> None:
    """(The review's) A tainted, the owner consolidates B, B tainted, then a run: B's facts
    are what the owner chose last. Before, A was re-consolidated and activated, then B's
    re-consolidation retired it: two trainings, the first wasted."""
    with MemOS.open(str(tmp_path / "store")) as mem:
        ids, _ = add_facts(mem, "alice", 36, 6)
        first = mem.consolidate("alice", facts=ids[:3], config=CHEAP)
        mem.forget(ids[0], "alice")  # taints `first`: pending
        second = mem.consolidate("alice", facts=ids[3:6], config=CHEAP)
        mem.forget(ids[5], "alice")  # taints `second`: pending too
        assert _active(mem, "alice") == []
        done = mem.run_scheduler(config=SchedulerConfig(consolidation=CHEAP,
                                                        consolidate_max_per_run=2))
        jobs = [(d.job, d.cube_id) for d in done.decisions
                if d.cube_id in (first.adapter_id, second.adapter_id)]
        assert ("reconsolidate-skipped", first.adapter_id) in jobs
        assert ("reconsolidate", second.adapter_id) in jobs
        assert sum(d.job == "consolidate-result" for d in done.decisions) == 1
        [active] = [a for a in mem.adapters("alice") if a.status == "active"]
        assert {c for c, _ in mem.adapter(active.id, "alice").sources} == set(ids[3:5])


def test_a_tainted_adapter_whose_facts_are_all_gone_is_planned_as_a_run_does_it(
        tmp_path: Path) -> None:
    """A fresh-eyes test (2026-12-05): `scheduler run --dry-run` planned "reconsolidate"
    for a tainted adapter whose facts were all forgotten; the real run then said "not
    consolidated". Both now skip it, saying why."""
    with MemOS.open(str(tmp_path / "store")) as mem:
        ids, _ = add_facts(mem, "alice", 37, 2)
        rep = mem.consolidate("alice", facts=ids, config=CHEAP)
        for cube_id in ids:
            mem.forget(cube_id, "alice")
        cfg = SchedulerConfig(consolidation=CHEAP, consolidate_max_per_run=1)
        for dry in (True, False):
            plan = mem.run_scheduler(dry_run=dry, config=cfg)
            mine = [(d.job, d.reason) for d in plan.decisions if d.cube_id == rep.adapter_id]
            assert [job for job, _ in mine] == ["reconsolidate-skipped"], mine
            assert "forgotten, archived or expired" in mine[0][1]
        assert not any(d.cube_id == rep.adapter_id for d in mem.run_scheduler(
            config=cfg).decisions)  # settled
