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


def _blob_files(mem) -> list:
    return sorted(mem._store.blobs.folder.glob("*/*.safetensors"))


def _bound(mem, model, cube_id: str) -> int:
    from memos.scheduler import slot_blob_bound

    cube = mem.get(cube_id, "alice")
    return slot_blob_bound(mem._activation(), model, len(cube.content.encode("utf-8")),
                           cube.scope.user_id, f"{cube.id}@{cube.version}")


def test_a_budget_smaller_than_the_hot_set_is_filled_once_then_left_alone(mem, model):
    """Promotion fills only the room the budget leaves: it never encodes what the same run,
    or the next, evicts. Runs after the first change nothing: no blob written or deleted, no
    version, no audit row."""
    cubes = [mem.add(f"Person {i}'s code is K{i:03d}.", "alice") for i in range(4)]
    for c in cubes:
        _read(mem, c.id, 4)
    budget = sum(_bound(mem, model, c.id) for c in cubes[:2]) + 100
    cfg = SchedulerConfig(disk_budget_bytes=budget, consolidate_max_per_run=0,
                          eviction_policy="lru")
    first = mem.run_scheduler(config=cfg)
    assert first.promoted == 2 and first.evicted == 0
    assert first.activation_bytes == sum(p.stat().st_size for p in _blob_files(mem)) <= budget
    files, log, stats = _blob_files(mem), mem.scheduler_log(1000), mem.stats()
    for _ in range(3):
        again = mem.run_scheduler(config=cfg)
        assert (again.promoted, again.evicted, again.stale, again.blobs_deleted) == (0, 0, 0, 0)
    assert _blob_files(mem) == files
    assert mem.scheduler_log(1000) == log
    assert mem.stats() == stats


def test_cubes_too_long_for_the_model_do_not_take_the_promotion_slots(mem, model):
    long = mem.add("Ann's note: " + "x" * 400 + ".", "alice")  # over the model's limit
    short = mem.add("Bo's city is Lima.", "alice")
    _read(mem, long.id, 10)
    _read(mem, short.id, 5)
    cfg = SchedulerConfig(promote_max_per_run=1, consolidate_max_per_run=0)
    dry = mem.run_scheduler(dry_run=True, config=cfg)
    assert [d.cube_id for d in dry.decisions if d.job == "promote"] == [short.id]
    report = mem.run_scheduler(config=cfg)
    assert [d.cube_id for d in report.decisions if d.job == "promote"] == [short.id]
    assert len(_blob_files(mem)) == 1


def test_session_state_blobs_count_against_the_disk_budget(mem):
    text = " ".join(f"Turn {i}: the pass key is {i * 7919 % 10000}." for i in range(20))
    mem.save_session("alice", "s1", text)
    assert _blob_files(mem)
    on_disk = sum(p.stat().st_size for p in _blob_files(mem))
    cfg = SchedulerConfig(disk_budget_bytes=on_disk - 1, consolidate_max_per_run=0)
    dry = mem.run_scheduler(dry_run=True, config=cfg)
    assert dry.evicted == 1 and dry.activation_bytes == 0
    report = mem.run_scheduler(config=cfg)
    assert report.evicted == 1 and report.blobs_deleted == 1 and not _blob_files(mem)
    assert mem.tiers("alice") == [r for r in mem.tiers("alice") if r["tier"] != "activation"
                                  or r["state"] != "active"]
    # An evicted state is a cache: the session resumes by reading its text again.
    assert mem.resume_session("alice", "s1").length > 0 and len(_blob_files(mem)) == 1


def test_an_expired_source_retires_what_was_derived_from_it_and_the_log_says_so(mem, model):
    """Slots and session states of an expired cube are retired in the run that expires it;
    a dry run decides the same; expiry shows in the scheduler log."""
    note = mem.add("Ann's city is Oslo.", "alice", ttl=60)
    mem.recall("Ann's city", "alice", k=1, model=model)
    saved = mem.save_session("alice", "s1", "We agreed the pass key is 4417.")
    mem.update(saved.transcript_id, "alice", expires_at=utcnow() + timedelta(seconds=60))
    mem.resume_session("alice", "s1")  # a state of the transcript's new version
    assert sum(r["cubes"] for r in mem.tiers("alice")
               if r["tier"] == "activation" and r["state"] == "active") == 2
    later = utcnow() + timedelta(seconds=120)
    cfg = SchedulerConfig(consolidate_max_per_run=0)
    dry = mem.run_scheduler(dry_run=True, config=cfg, now=later)
    real = mem.run_scheduler(config=cfg, now=later)
    assert ([(d.job, d.reason) for d in dry.decisions]
            == [(d.job, d.reason) for d in real.decisions])
    assert (dry.expired, dry.stale, dry.activation_bytes) == (2, 2, 0)
    assert (real.expired, real.stale, real.activation_bytes) == (2, 2, 0)
    assert not _blob_files(mem)
    logged = {(r["action"], r["cube_id"]) for r in mem.scheduler_log()}
    assert {("expire", note.id), ("expire", saved.transcript_id)} <= logged


def test_a_bad_config_stops_the_run_before_any_job(mem):
    from memos.parametric.tier import ConsolidationConfig

    short = mem.add("temporary note about the meeting room", "alice", ttl=60)
    later = utcnow() + timedelta(seconds=120)
    cfg = SchedulerConfig(consolidate_max_per_run=0)
    cfg.promote_max_per_run = -1  # assigned after construction: pydantic did not check it
    with pytest.raises(InvalidInputError, match="promote_max_per_run"):
        mem.run_scheduler(config=cfg, now=later)
    cfg = SchedulerConfig(consolidation=ConsolidationConfig(min_closed_book=2.0))
    with pytest.raises(InvalidInputError, match="min_closed_book"):
        mem.run_scheduler(config=cfg, now=later)
    cfg = SchedulerConfig(consolidation="fast")
    with pytest.raises(InvalidInputError, match="ConsolidationConfig"):
        mem.run_scheduler(config=cfg, now=later)
    assert mem.get(short.id, "alice").state.value == "active"  # not archived
    assert mem.scheduler_log() == []


def test_a_promotion_whose_source_is_forgotten_meanwhile_is_not_reported(mem, model):
    hot = mem.add("Ann's city is Oslo.", "alice")
    _read(mem, hot.id, 4)
    tier = mem._activation()
    real = tier.slots_for

    def forget_first(cubes, *args, **kwargs):
        mem.forget(hot.id, "alice")  # commits while the scheduler is about to encode
        return real(cubes, *args, **kwargs)

    tier.slots_for = forget_first
    try:
        report = mem.run_scheduler(config=SchedulerConfig(consolidate_max_per_run=0))
    finally:
        tier.slots_for = real
    assert report.promoted == 0 and report.activation_bytes == 0
    assert not [d for d in report.decisions if d.job == "promote"]
    assert mem.scheduler_log() == [] and not _blob_files(mem)


def test_a_model_that_cannot_be_loaded_stops_the_run_before_any_job(mem, tmp_path):
    from memos.errors import MemosError

    short = mem.add("temporary note about the meeting room", "alice", ttl=60)
    cfg = SchedulerConfig(model=str(tmp_path / "no-such-checkpoint"), consolidate_max_per_run=0)
    with pytest.raises(MemosError):
        mem.run_scheduler(config=cfg, now=utcnow() + timedelta(seconds=120))
    assert mem.get(short.id, "alice").state.value == "active"  # not archived
    assert mem.scheduler_log() == []


def test_a_cube_given_a_new_version_after_it_was_chosen_is_left_to_the_next_run(mem, model):
    """The blob was budgeted for the chosen version's length: a longer new version written
    meanwhile is not encoded by this run (it would pass the budget)."""
    import memos.scheduler as sched

    hot = mem.add("Ann's city is Oslo.", "alice")
    _read(mem, hot.id, 4)
    budget = _bound(mem, model, hot.id) + 10
    real = sched.select_promotions

    def then_update(*args, **kwargs):
        chosen = real(*args, **kwargs)
        mem.update(hot.id, "alice", content="Ann's city is Oslo. " + "y" * 200)
        return chosen

    sched.select_promotions = then_update
    try:
        report = mem.run_scheduler(config=SchedulerConfig(disk_budget_bytes=budget,
                                                          consolidate_max_per_run=0))
    finally:
        sched.select_promotions = real
    assert report.promoted == 0 and report.activation_bytes == 0 and not _blob_files(mem)


def test_a_session_state_records_what_reading_it_cost(mem):
    """The cost eviction policy weighs a blob by what rebuilding it costs: a state with no
    recorded cost was always the first one evicted, however long its text took to read."""
    from memos.stores import derived, tier_stats

    mem.save_session("alice", "s1", "We agreed the pass key is 4417. " * 20)
    with mem._store.repo.read() as session:
        (row,) = [r for r, _, _ in tier_stats.live_activation(session, "state")]
    assert derived.encode_cost(row) > 0


def test_resuming_a_session_counts_as_a_read_of_its_transcript(mem):
    """lru and lfu keep a state by its transcript's reads: resumes did not count, so the
    state of a session resumed all day looked as cold as one never resumed."""
    saved = mem.save_session("alice", "s1", "We agreed the pass key is 4417.")
    for _ in range(3):
        mem.resume_session("alice", "s1")
    mem.flush()
    with mem._store.repo.read() as session:
        row = mem._store.repo.row_by_id(session, saved.transcript_id)
        assert row.hits == 3 and row.last_access is not None


def test_the_disk_budget_is_each_users_apart(mem, model):
    """An attacker helper (2026-12-05): under a budget the store shared, how many of Bob's
    slots the scheduler evicted told him how many private memories Alice had recalled since.
    Each user's blobs now count against a budget of their own: Bob's evictions are the same
    whatever Alice reads."""
    def live_slots(user: str) -> int:
        return sum(r["cubes"] for r in mem.tiers(user)
                   if r["tier"] == "activation" and r["state"] == "active")

    def world(alice_reads: int) -> tuple[int, int]:
        bob = [mem.add(f"Bob's pet{i} is Rex{i}.", "bob") for i in range(4)]
        for i in range(4):
            mem.recall(f"What is Bob's pet{i}?", "bob", k=1, model=model)
        ann = [mem.add(f"Ann's city{i} is Oslo{i}.", "alice") for i in range(alice_reads)]
        for i in range(alice_reads):
            mem.recall(f"What is Ann's city{i}?", "alice", k=1, model=model)
        per_blob = max(p.stat().st_size for p in mem._store.blobs.folder.glob("*/*.safetensors"))
        mem.run_scheduler(config=SchedulerConfig(
            disk_budget_bytes=2 * per_blob + per_blob // 2, eviction_policy="lru",
            promote_max_per_run=0, consolidate_max_per_run=0))
        kept = live_slots("bob"), live_slots("alice")
        for user, cubes in (("bob", bob), ("alice", ann)):  # (a clean store for the next)
            for cube in cubes:
                mem.purge(cube.id, user)
        return kept

    assert world(0) == (2, 0)  # Bob's 4 blobs over his budget of 2.5 blobs: 2 go
    assert world(3) == (2, 2)  # the same with Alice's reads; her 3 over hers: 1 goes


def test_the_promotion_cap_is_each_users_apart(mem, model):
    """An attacker helper and a review (2026-12-05): with the byte budget per user, the
    count of promotions a run makes was still the store's, filled hottest first, so Alice's
    reads of her own cubes kept Bob's hot cube from being promoted (Bob saw it as a miss)."""
    def promoted(user: str) -> int:
        return sum(r["cubes"] for r in mem.tiers(user)
                   if r["tier"] == "activation" and r["state"] == "active")

    bob = mem.add("Bob's dog is Rex.", "bob")
    for _ in range(4):
        mem.get(bob.id, "bob")
    for i in range(2):
        ann = mem.add(f"Ann's secret{i} is code{i}.", "alice")
        for _ in range(9):  # hotter than Bob's
            mem.get(ann.id, "alice")
    mem.flush()
    mem.run_scheduler(config=SchedulerConfig(promote_min_hits=3, promote_max_per_run=1,
                                             consolidate_max_per_run=0))
    assert (promoted("bob"), promoted("alice")) == (1, 1)


def test_an_evicted_slots_cube_says_so_when_read(mem, model):
    """A fresh-eyes operator read an evicted slots cube and was told it expired and that an
    update with a later expires_at renews it, which memos refuses for a cube it manages."""
    from memos.errors import NotFoundError

    mem.add("Ann's city is Oslo.", "alice")
    mem.recall("Ann's city", "alice", k=1, model=model)
    report = mem.run_scheduler(config=SchedulerConfig(disk_budget_bytes=0))
    assert report.evicted == 1
    (evicted,) = [r["cube_id"] for r in mem.scheduler_log() if r["action"] == "evict"]
    with pytest.raises(NotFoundError, match="memos evicted and archived.*made again"):
        mem.get(evicted, "alice")


def test_a_run_counts_the_reads_not_yet_written(mem, model):
    # (a fresh-eyes developer, session 47: reads waited in the access buffer, and the
    # in-process scheduler promoted nothing until something else flushed them)
    hot = mem.add("Ann's city is Oslo.", "alice")
    for _ in range(4):
        mem.get(hot.id, "alice")  # no flush
    report = mem.run_scheduler(dry_run=True, config=SchedulerConfig(promote_min_hits=3))
    assert [d.cube_id for d in report.decisions if d.job == "promote"] == [hot.id]
