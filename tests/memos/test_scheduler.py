"""The scheduler through the OS: promotion pre-encodes hot cubes, eviction keeps the blobs
under a disk budget, TTL cubes expire, and every decision is audited with its reason."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from memos.cube import utcnow
from memos.errors import ConflictError, InvalidInputError
from memos.model.checkpoint import load_checkpoint
from memos.scheduler import SchedulerConfig


@pytest.fixture(scope="module")
def model():
    return load_checkpoint()


def _read(mem, cube_id: str, times: int) -> None:
    for _ in range(times):
        mem.get(cube_id, "alice")
    mem.flush()  # access counts reach SQL in batches


def test_promotion_pre_encodes_hot_cubes_only(mem, model):
    hot = mem.add("Ann's city is Oslo.", "alice")
    cold = mem.add("Bo's city is Lima.", "alice")
    _read(mem, hot.id, 4)
    cfg = SchedulerConfig(promote_min_hits=3)
    dry = mem.run_scheduler(dry_run=True, config=cfg)
    assert [d.cube_id for d in dry.decisions if d.job == "promote"] == [hot.id]
    assert all(r["tier"] == "plaintext" for r in mem.tiers("alice"))  # a dry run writes nothing
    assert mem.scheduler_log() == []
    report = mem.run_scheduler(config=cfg)
    assert report.promoted == 1
    got = mem.recall("Ann's city", "alice", k=2, model=model)
    by_id = dict(got.cubes)
    assert hot.id in by_id
    # The hot cube's slots were stored by the scheduler: only the cold one is encoded now.
    assert got.misses == (1 if cold.id in by_id else 0)
    log = mem.scheduler_log()
    assert any(r["action"] == "promote" and r["cube_id"] == hot.id and "reads" in r["reason"]
               for r in log)
    again = mem.run_scheduler(config=cfg)
    assert again.promoted == 0  # already encoded for this model


def test_eviction_keeps_blobs_under_the_budget_and_deletes_files(mem, model):
    cubes = [mem.add(f"Person {i}'s code is K{i:03d}.", "alice") for i in range(6)]
    mem.recall("code", "alice", k=6, model=model)
    folder = mem._store.blobs.folder
    files = list(folder.glob("*/*.safetensors"))
    assert len(files) == 6
    per_blob = max(p.stat().st_size for p in files)
    budget = 2 * per_blob
    report = mem.run_scheduler(config=SchedulerConfig(disk_budget_bytes=budget,
                                                      eviction_policy="lru"))
    assert report.evicted >= 4 and report.activation_bytes <= budget
    assert report.blobs_deleted == report.evicted
    assert len(list(folder.glob("*/*.safetensors"))) == 6 - report.evicted
    assert mem.check().ok
    # Evicted from disk (the RAM cache has its own budget): with a cold RAM cache the evicted
    # slots are encoded again on the next recall, and answers stay right.
    mem._activation().cache.clear()
    ans = mem.answer("What is Person 3's code?", "alice", k=6, model=model)
    assert ans.misses >= 1 and ans.text == "K003"
    assert {c.id for c in cubes} >= {cid for cid, _ in ans.cubes}


def test_expire_job_archives_ttl_cubes(mem):
    short = mem.add("temporary note about the meeting room", "alice", ttl=60)
    report = mem.run_scheduler(now=utcnow() + timedelta(seconds=120))
    assert [d.cube_id for d in report.decisions if d.job == "expire"] == [short.id]
    assert report.expired == 1


def test_background_thread_runs_and_stops(mem):
    hot = mem.add("Cy's pet is a newt.", "alice")
    _read(mem, hot.id, 3)
    mem.start_scheduler(0.05, config=SchedulerConfig(promote_min_hits=2))
    with pytest.raises(ConflictError):
        mem.start_scheduler(1.0)
    deadline = time.monotonic() + 120
    while mem._scheduler.runs < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    runs = mem._scheduler.runs
    mem.stop_scheduler()
    assert runs >= 1 and mem._scheduler is None
    assert any(r["cube_id"] == hot.id for r in mem.scheduler_log())


def test_bad_scheduler_settings_are_input_errors(mem):
    with pytest.raises(InvalidInputError):
        mem.run_scheduler(config=SchedulerConfig(eviction_policy="fifo"))
    with pytest.raises(InvalidInputError):
        mem.start_scheduler(0)
    with pytest.raises(InvalidInputError):
        mem.scheduler_log(0)


def test_promotion_stores_slots_the_ram_cache_still_holds(mem, model):
    """A cube evicted from disk keeps its slots in the RAM cache (its own budget). When it is
    hot again, promotion must store its slots on disk: a run that reports (and audits) a
    promotion leaves a slots cube and blob behind, and the next run does not promote it
    again."""
    cubes = [mem.add(f"Person {i}'s code is K{i:03d}.", "alice") for i in range(3)]
    mem.recall("code", "alice", k=3, model=model)  # encoded, stored, and in the RAM cache
    folder = mem._store.blobs.folder
    assert len(list(folder.glob("*/*.safetensors"))) == 3
    evict = mem.run_scheduler(config=SchedulerConfig(disk_budget_bytes=0,
                                                     consolidate_max_per_run=0))
    assert evict.evicted == 3 and not list(folder.glob("*/*.safetensors"))
    for c in cubes:
        _read(mem, c.id, 3)
    cfg = SchedulerConfig(consolidate_max_per_run=0)
    report = mem.run_scheduler(config=cfg)
    assert report.promoted == 3
    assert len(list(folder.glob("*/*.safetensors"))) == 3
    assert sum(r["cubes"] for r in mem.tiers("alice")
               if r["tier"] == "activation" and r["state"] == "active") == 3
    again = mem.run_scheduler(config=cfg)
    assert again.promoted == 0
    assert mem.check().ok


def test_a_zero_disk_budget_promotes_nothing(mem, model):
    """With no disk for blobs, promotion would encode and store hot cubes only for the same
    run's eviction to delete them, again on every run (and audit both each time)."""
    cubes = [mem.add(f"Person {i}'s code is K{i:03d}.", "alice") for i in range(3)]
    for c in cubes:
        _read(mem, c.id, 3)
    cfg = SchedulerConfig(disk_budget_bytes=0, consolidate_max_per_run=0)
    for _ in range(2):
        report = mem.run_scheduler(config=cfg)
        assert report.promoted == 0 and report.evicted == 0
    assert mem.scheduler_log() == []
    assert not list(mem._store.blobs.folder.glob("*/*.safetensors"))
