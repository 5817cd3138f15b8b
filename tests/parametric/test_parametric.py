"""The parametric tier on the shipped model: consolidation, the gate, activation and
rollback, per-user adapters in one process, forgetting that reaches weights, purge --verify.

Tiny budgets: a handful of facts, tens of closed-book steps, no rehearsal; the gate's
memory-QA check runs on one small unseen set. The measured numbers at full size are in
docs/RESULTS.md ("Parametric tier").
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("peft")

from sqlalchemy import text  # noqa: E402

from memos import MemOS  # noqa: E402
from memos.cube import Scope  # noqa: E402
from memos.errors import (  # noqa: E402
    FingerprintMismatchError,
    InvalidInputError,
    NotFoundError,
)
from memos.model import families  # noqa: E402
from memos.model import tokenizer as tok  # noqa: E402
from memos.parametric import lora  # noqa: E402
from memos.parametric.tier import ConsolidationConfig, gate_reasons  # noqa: E402
from tests.parametric.helpers import CHEAP  # noqa: E402

pytestmark = pytest.mark.slow

TRAIN = lora.TrainConfig(steps=45, batch=6, lr=1e-2, rehearsal_every=0)
# The accept path: closed-book must be learnt; the memory check runs on 8 unseen facts,
# too few for a 0.02 margin (one question is 0.125), so the margin is opened here and
# the margin rule is tested on its own (test_gate_rules).
ACCEPT = ConsolidationConfig(min_closed_book=0.8, max_memory_drop=1.0, gate_sets=1,
                             gate_facts=8, gate_styles=("random",), train=TRAIN)


def _facts(seed: int, n: int) -> list[Any]:
    return families.STYLES["realistic"](random.Random(seed), n)


def _add(mem: MemOS, user: str, facts: list[Any]) -> list[str]:
    out = mem.add_many([{"content": f.text, "metadata": {
        "subject": f.subject, "attribute": f.attribute, "value": f.value}} for f in facts], user)
    assert all(r.action == "added" for r in out)
    return [r.id for r in out]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Any:
    torch.set_num_threads(1)  # 2 threads on a shared 2-core machine spin in OpenMP
    folder = tmp_path_factory.mktemp("parametric")
    mem = MemOS.open(str(folder / "store"))
    alice, bob = _facts(11, 6), _facts(12, 6)
    a_ids, b_ids = _add(mem, "alice", alice), _add(mem, "bob", bob)
    base = mem._activation().model(None)
    probe = torch.tensor([tok.encode(bob[0].question)])
    with torch.no_grad():
        before = base(probe).clone()
    rep_a = mem.consolidate("alice", facts=a_ids, config=ACCEPT)
    rep_b = mem.consolidate("bob", facts=b_ids, config=ACCEPT)
    yield {"mem": mem, "folder": folder, "alice": alice, "bob": bob, "a_ids": a_ids,
           "b_ids": b_ids, "rep_a": rep_a, "rep_b": rep_b, "probe": probe,
           "before": before}
    mem.close()


def test_gate_accepts_and_records_the_adapter(world: Any) -> None:
    rep = world["rep_a"]
    assert rep.status == "active", rep.reasons
    assert rep.closed_book_before == 0.0 and rep.closed_book_after >= 0.8
    assert 0 < rep.adapter_bytes <= 1 << 20
    assert sorted(rep.sources) == sorted((i, 1) for i in world["a_ids"])
    info = world["mem"].adapter(rep.adapter_id, "alice")
    assert info.status == "active" and info.base_fingerprint == rep.base_fingerprint
    assert info.adapter_fingerprint == rep.adapter_fingerprint
    assert info.config["steps"] == TRAIN.steps and info.numbers["closed_book_after"] >= 0.8
    assert sorted(info.sources) == sorted(rep.sources)
    # Another user's adapter is not acknowledged (the same error as a missing id).
    with pytest.raises(NotFoundError):
        world["mem"].adapter(rep.adapter_id, "bob")


def test_tiers_count_an_adapters_weights(world: Any) -> None:
    # (a fresh-eyes developer, session 47: `memos tiers` said 0 bytes for adapters)
    rows = [r for r in world["mem"].tiers("alice") if r["tier"] == "parametric"]
    assert [(r["state"], r["bytes"]) for r in rows] == [
        ("active", world["rep_a"].adapter_bytes)]


def test_two_users_adapters_each_answer_their_own(world: Any) -> None:
    mem = world["mem"]
    for user, facts, rep in (("alice", world["alice"], world["rep_a"]),
                             ("bob", world["bob"], world["rep_b"]),
                             ("alice", world["alice"], world["rep_a"])):
        answers = [mem.answer(f.question, user, max_new_tokens=64) for f in facts]
        assert all(a.tier == "parametric" for a in answers)
        assert all(a.adapter_id == rep.adapter_id for a in answers)
        assert all(a.adapter_fingerprint == rep.adapter_fingerprint for a in answers)
        right = sum(a.text == f.value for a, f in zip(answers, facts, strict=True))
        assert right >= 4, [a.text for a in answers]
    # Text the model cannot read is an input error on the adapter's path too.
    for bad in ("\ud800?", world["alice"][0].question + "\udfff", "a\x00b"):
        with pytest.raises(InvalidInputError, match="question"):
            mem.answer(bad, "alice")
    # Bob's question asked by alice is not one of her facts: the other tiers answer.
    assert mem.answer(world["bob"][0].question, "alice").tier != "parametric"
    # A caller without an adapter gets bit-identical logits from the base model.
    base = mem._activation().model(None)
    with torch.no_grad():
        assert torch.equal(base(world["probe"]), world["before"])
    assert base.fingerprint == world["rep_a"].base_fingerprint


def test_adapters_switched_from_threads_serve_their_own_users(world: Any) -> None:
    """Answers of two users from four threads at once: each gets its own adapter's answer
    (adapters are switched per call under the model lock), the same text as served alone."""
    from concurrent.futures import ThreadPoolExecutor

    mem = world["mem"]
    jobs = [("alice", f) for f in world["alice"]] + [("bob", f) for f in world["bob"]]
    alone = {(u, f.question): mem.answer(f.question, u, max_new_tokens=64).text
             for u, f in jobs}
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda j: (j, mem.answer(j[1].question, j[0], max_new_tokens=64)),
                            jobs * 2))
    for (user, f), ans in got:
        rep = world["rep_a"] if user == "alice" else world["rep_b"]
        assert ans.tier == "parametric" and ans.adapter_id == rep.adapter_id
        assert ans.text == alone[(user, f.question)]


def test_gate_rejects_an_undertrained_adapter_and_changes_nothing(world: Any) -> None:
    mem = world["mem"]
    active = world["rep_b"].adapter_id
    rep = mem.consolidate("bob", facts=world["b_ids"], steps=1,
                          config=ConsolidationConfig(gate_sets=1, gate_facts=4,
                                                     gate_styles=("random",), train=TRAIN))
    assert rep.status == "rejected" and rep.reasons
    assert rep.closed_book_after is not None and rep.closed_book_after < 0.9
    assert [a.id for a in mem.adapters("bob") if a.status == "active"] == [active]
    assert mem.adapter(rep.adapter_id, "bob").status == "rejected"
    assert mem.answer(world["bob"][0].question, "bob").adapter_id == active
    with pytest.raises(InvalidInputError, match="force"):
        mem.activate_adapter(rep.adapter_id, "bob")
    world["rejected_b"] = rep.adapter_id


def test_rollback_returns_to_the_previous_adapter(world: Any) -> None:
    mem = world["mem"]
    good, bad = world["rep_b"].adapter_id, world["rejected_b"]
    mem.activate_adapter(bad, "bob", force=True)
    assert [a.id for a in mem.adapters("bob") if a.status == "active"] == [bad]
    assert mem.answer(world["bob"][0].question, "bob").adapter_id == bad
    info = mem.rollback_adapter("bob")
    assert info.id == good and info.status == "active"
    assert mem.answer(world["bob"][0].question, "bob").adapter_id == good
    with pytest.raises(NotFoundError, match="previous"):
        mem.rollback_adapter("carol")


def test_gate_rules() -> None:
    cfg = ConsolidationConfig()
    assert gate_reasons(0.95, 1.0, 0.98, 1000, cfg) == []
    assert "closed-book" in gate_reasons(0.85, 1.0, 1.0, 1000, cfg)[0]
    assert "fell 0.030" in gate_reasons(0.95, 1.0, 0.97, 1000, cfg)[0]
    assert "bytes" in gate_reasons(0.95, 1.0, 1.0, 2 << 20, cfg)[0]


def test_adapter_of_another_base_model_is_refused(world: Any) -> None:
    mem = world["mem"]
    base = mem._activation().model(None)
    server = lora.AdapterServer(base)
    with pytest.raises(FingerprintMismatchError, match="consolidate again"):
        server.model_with("ab" * 32, "cd" * 32, TRAIN.to_json(), dict)
    # An adapter cube recorded on another base: activation refuses it.
    from memos.stores.repository import cube_from_row

    store = mem._store
    with store.repo.write() as session:
        row = store.repo.row_by_id(session, world["rejected_b"])
        cube = cube_from_row(row)
        store.repo.write_version(session, row, cube.model_copy(update={
            "version": row.version + 1, "model_fingerprint": "0" * 64}), "test", None)
    with pytest.raises(FingerprintMismatchError):
        mem.activate_adapter(world["rejected_b"], "bob", force=True)


def test_empty_or_all_forgotten_is_a_clear_error(world: Any) -> None:
    mem = world["mem"]
    with pytest.raises(InvalidInputError, match="facts is empty"):
        mem.consolidate("alice", facts=[])
    with pytest.raises(InvalidInputError, match="nothing to consolidate"):
        mem.consolidate("dave")  # no facts at all
    with pytest.raises(NotFoundError):
        mem.consolidate("bob", facts=[world["a_ids"][0]])  # alice's cube
    ids = _add(mem, "erin", _facts(13, 2))
    for cid in ids:
        mem.forget(cid, "erin")
    with pytest.raises(InvalidInputError, match="every fact given is skipped: forgotten"):
        mem.consolidate("erin", facts=ids)


def test_forget_taints_in_its_own_transaction_even_under_kill_9(tmp_path: Path) -> None:
    """A process forgets one fact and is SIGKILLed the moment forget returns: the adapter
    trained on it is out of service and its weights are gone; re-consolidation is pending
    and the scheduler re-trains on the other facts."""
    folder = tmp_path / "store"
    with MemOS.open(str(folder)) as mem:
        facts = _facts(21, 4)
        ids = _add(mem, "alice", facts)
        rep = mem.consolidate("alice", facts=ids, config=CHEAP)
        assert rep.status == "active"
        assert mem.answer(facts[1].question, "alice").tier == "parametric"
        blob = mem._store.blobs.path(_blob_of(mem, rep.adapter_id))
        assert blob.exists()
    script = textwrap.dedent(f"""
        import os, signal
        from memos import MemOS
        mem = MemOS.open({str(folder)!r})
        mem.forget({ids[0]!r}, "alice", reason="kill test")
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()[-2000:]
    with MemOS.open(str(folder)) as mem:
        info = mem.adapter(rep.adapter_id, "alice")
        assert info.status == "tainted" and info.state == "forgotten"
        assert ids[0] in (info.reason or "")
        assert not blob.exists()
        assert info.bytes == 0  # (it showed the size of the weights erased)
        assert not [a for a in mem.adapters("alice") if a.status == "active"]
        assert mem.answer(facts[1].question, "alice").tier != "parametric"
        from memos.scheduler import SchedulerConfig

        plan = mem.run_scheduler(dry_run=True, config=SchedulerConfig(consolidation=CHEAP))
        assert [d.cube_id for d in plan.decisions if d.job == "reconsolidate"] == [rep.adapter_id]
        done = mem.run_scheduler(config=SchedulerConfig(consolidation=CHEAP))
        assert any(d.job == "consolidate-result" and "active" in d.reason
                   for d in done.decisions)
        new = [a for a in mem.adapters("alice") if a.status == "active"]
        assert len(new) == 1 and new[0].id != rep.adapter_id
        sources = {cid for cid, _ in mem.adapter(new[0].id, "alice").sources}
        assert sources == set(ids[1:])
        log = mem.scheduler_log()
        assert any(e["action"] == "reconsolidate" for e in log)


def _blob_of(mem: MemOS, adapter_id: str) -> str:
    from memos.stores.adapters import adapter_blob

    with mem._store.repo.read() as session:
        return str(adapter_blob(mem._store.repo.row_by_id(session, adapter_id)))


def test_purge_erases_adapters_and_verify_finds_nothing(tmp_path: Path) -> None:
    with MemOS.open(str(tmp_path / "store")) as mem:
        ids = _add(mem, "alice", _facts(31, 3))
        rep = mem.consolidate("alice", facts=ids, config=CHEAP)
        blob = mem._store.blobs.path(_blob_of(mem, rep.adapter_id))
        before = mem.purge_remains([ids[0]])
        assert before["parametric"] == {"adapters": 1, "active": 1, "blobs": 1,
                                        "question_keys": 2,  # its row and its one version
                                        "ids_named": 0}
        assert before["plaintext"]["rows"] == 1
        report = mem.purge(ids[0], "alice")
        # trained on two facts that stay: tainted (weights erased, out of service) with
        # re-consolidation from them pending, not erased without a word
        assert rep.adapter_id not in report.cube_ids and not blob.exists()
        assert any(rep.adapter_id in n and "re-consolidation" in n for n in report.notes)
        left = mem.purge_remains(report.cube_ids)
        assert all(n == 0 for part in left.values() for n in part.values()), left
        info = mem.adapter(rep.adapter_id, "alice")
        assert (info.status, info.state, info.bytes) == ("tainted", "forgotten", 0)
        assert {cid for cid, _ in info.sources} == set(ids[1:])
        from memos.scheduler import SchedulerConfig

        plan = mem.run_scheduler(dry_run=True, config=SchedulerConfig(consolidation=CHEAP))
        assert [d.cube_id for d in plan.decisions if d.job == "reconsolidate"] == [rep.adapter_id]
        # its last facts purged, the adapter goes with them
        report = mem.purge(None, "alice", all_of_user=True)
        assert rep.adapter_id in report.cube_ids
        left = mem.purge_remains(report.cube_ids)
        assert all(n == 0 for part in left.values() for n in part.values()), left
        assert mem.adapters(Scope(user_id="alice")) == []


def test_a_second_purge_keeps_the_adapter_pending_for_the_facts_left(tmp_path: Path) -> None:
    """Tainted by a first purge (re-consolidation pending), an adapter trained on three
    facts is kept by a purge of a second one: the third still has its re-consolidation."""
    from memos.scheduler import SchedulerConfig

    with MemOS.open(str(tmp_path / "store")) as mem:
        ids = _add(mem, "alice", _facts(43, 3))
        rep = mem.consolidate("alice", facts=ids, config=CHEAP)
        assert rep.status == "active"
        mem.purge(ids[0], "alice")
        report = mem.purge(ids[1], "alice")
        assert rep.adapter_id not in report.cube_ids
        assert any(rep.adapter_id in n and "re-consolidation" in n for n in report.notes)
        info = mem.adapter(rep.adapter_id, "alice")
        assert info.status == "tainted" and {c for c, _ in info.sources} == {ids[2]}
        # no purged id named outside the audit log
        assert ids[0] not in (info.reason or "") and ids[1] not in (info.reason or "")
        left = mem.purge_remains(ids[:2])
        assert all(n == 0 for part in left.values() for n in part.values()), left
        plan = mem.run_scheduler(dry_run=True, config=SchedulerConfig(consolidation=CHEAP))
        assert [d.cube_id for d in plan.decisions if d.job == "reconsolidate"] == [rep.adapter_id]


@pytest.mark.parametrize("forgotten_first", [True, False])
def test_a_purged_id_is_left_only_in_the_audit_log(tmp_path: Path,
                                                   forgotten_first: bool) -> None:
    """A fact forgotten (the adapter's reason then names it) and then purged, or purged at
    once: the adapter kept for the facts left names the purged id nowhere but the audit
    log, and `purge_remains` (memos purge --verify) counts any such mention."""
    import sqlite3

    folder = tmp_path / "store"
    with MemOS.open(str(folder)) as mem:
        ids = _add(mem, "alice", _facts(59, 3))
        rep = mem.consolidate("alice", facts=ids, config=CHEAP)
        assert rep.status == "active"
        if forgotten_first:
            mem.forget(ids[0], "alice")
            assert ids[0] in (mem.adapter(rep.adapter_id, "alice").reason or "")
            assert mem.purge_remains([ids[0]])["parametric"]["ids_named"] > 0
        report = mem.purge(ids[0], "alice")
        assert rep.adapter_id not in report.cube_ids
        info = mem.adapter(rep.adapter_id, "alice")
        assert info.status == "tainted" and ids[0] not in (info.reason or "")
        left = mem.purge_remains([ids[0]])
        assert all(n == 0 for part in left.values() for n in part.values()), left
    db = sqlite3.connect(str(folder / "memos.db"))
    tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")
              if t != "audit_log"]
    for table in tables:
        for row in db.execute(f'SELECT * FROM "{table}"'):  # noqa: S608 (names from SQLite)
            assert ids[0] not in " ".join(map(str, row)), table
    db.close()


def test_answer_from_named_memories_is_closed_book_only_for_those(tmp_path: Path) -> None:
    """answer(memories=[...]) with an active adapter: the adapter answers closed-book only a
    fact among those named; else the named memories are read (here none states it)."""
    with MemOS.open(str(tmp_path / "store")) as mem:
        facts = _facts(47, 3)
        ids = _add(mem, "alice", facts)
        rep = mem.consolidate("alice", facts=ids, config=CHEAP)
        assert rep.status == "active"
        assert mem.answer(facts[1].question, "alice").tier == "parametric"
        named = mem.answer(facts[1].question, "alice", memories=[ids[1]])
        assert named.tier == "parametric" and [c for c, _ in named.cubes] == [ids[1]]
        other = mem.answer(facts[1].question, "alice", memories=[ids[0]])
        assert other.tier == "plaintext" and other.text == "" and other.cubes == []


def test_purging_every_fact_of_an_adapter_erases_it(tmp_path: Path) -> None:
    with MemOS.open(str(tmp_path / "store")) as mem:
        ids = _add(mem, "alice", _facts(37, 2))
        keep = _add(mem, "alice", _facts(41, 1))
        rep = mem.consolidate("alice", facts=ids, config=CHEAP)
        assert rep.status == "active"
        report = mem.purge(ids[0], "alice")  # one of its two facts: tainted
        assert rep.adapter_id not in report.cube_ids
        report = mem.purge(ids[1], "alice")  # the other: nothing is left to re-consolidate
        assert rep.adapter_id in report.cube_ids and not report.notes
        assert mem.adapters(Scope(user_id="alice")) == [] and mem.get(keep[0], "alice")


def test_purging_a_retired_adapter_leaves_the_active_ones_weights(tmp_path: Path) -> None:
    """The same facts consolidated twice train the same weights. The retired adapter and the
    active one still hold their own files: purging the retired one (its own cube, not a
    fact) erases its weights and leaves the active adapter serving."""
    with MemOS.open(str(tmp_path / "store")) as mem:
        facts = _facts(61, 3)
        ids = _add(mem, "alice", facts)
        first = mem.consolidate("alice", facts=ids, config=CHEAP)
        second = mem.consolidate("alice", facts=ids, config=CHEAP)
        assert (first.status, second.status) == ("active", "active")
        assert first.adapter_fingerprint == second.adapter_fingerprint  # the same weights
        old, new = (mem._store.blobs.path(_blob_of(mem, r.adapter_id)) for r in (first, second))
        assert old != new
        mem.purge(first.adapter_id, "alice")
        assert not old.exists() and new.exists()
        assert [a.id for a in mem.adapters("alice") if a.status == "active"] == [
            second.adapter_id]
        got = mem.answer(facts[0].question, "alice")
        assert got.tier == "parametric" and got.adapter_id == second.adapter_id


def test_training_with_rehearsal_leaves_the_base_model_untouched() -> None:
    """Training (closed-book + distillation rehearsal on base-encoded slots) changes only
    the adapter: the base model's weights, fingerprint and requires_grad flags stay."""
    from memos.model.checkpoint import load_checkpoint

    torch.set_num_threads(1)
    base = load_checkpoint()
    fp = base.fingerprint
    flags = [p.requires_grad for p in base.parameters()]
    facts = [lora.QA(f.question, f.value) for f in _facts(41, 3)]
    cfg = lora.TrainConfig(steps=2, batch=3, rehearsal_sets=1, rehearsal_facts=4,
                           rehearsal_questions=2)
    trained = lora.train_adapter(base, facts, cfg)
    assert trained.tensors and all("lora_" in k for k in trained.tensors)
    assert sum(t.abs().sum().item() for k, t in trained.tensors.items() if "lora_B" in k) > 0
    base._fp_key = None  # hash every weight again
    assert base.fingerprint == fp
    assert [p.requires_grad for p in base.parameters()] == flags
    with pytest.raises(InvalidInputError, match="cross-attention"):
        lora.TrainConfig(targets=("blocks.0.xattn.q_proj",)).check()


def test_an_expired_fact_is_not_answered_closed_book(tmp_path: Path) -> None:
    """A fact past its TTL reads as missing (get, search) before gc archives it: the adapter
    trained on it must not answer it closed-book either."""
    from datetime import timedelta

    from memos.cube import utcnow

    with MemOS.open(str(tmp_path / "store")) as mem:
        facts = _facts(51, 3)
        ids = _add(mem, "alice", facts)
        rep = mem.consolidate("alice", facts=ids, config=CHEAP)
        assert rep.status == "active"
        assert mem.answer(facts[0].question, "alice").tier == "parametric"
        store = mem._store
        with store.repo.write() as session:  # time passes beyond its expiry (no gc ran)
            store.repo.row_by_id(session, ids[0]).expires_at = utcnow() - timedelta(seconds=1)
        with pytest.raises(NotFoundError, match="expired"):
            mem.get(ids[0], "alice")
        ans = mem.answer(facts[0].question, "alice")
        assert ans.tier != "parametric" and (ids[0], 1) not in ans.cubes
        assert mem.answer(facts[1].question, "alice").tier == "parametric"


@pytest.mark.parametrize("erase", ["forget", "purge"])
def test_a_fact_erased_while_training_leaves_no_weights(tmp_path: Path, erase: str) -> None:
    """A fact forgotten or purged while its adapter trains: the weights trained on it are
    never stored (no blob file), the adapter cannot be activated, and purge --verify finds
    nothing of the purged fact."""
    with MemOS.open(str(tmp_path / "store")) as mem:
        ids = _add(mem, "alice", _facts(52, 3))

        def erase_first(step: int, total: int) -> None:
            if step == 1:
                getattr(mem, erase)(ids[0], "alice")

        rep = mem.consolidate("alice", facts=ids, config=CHEAP, progress=erase_first)
        # a forgotten fact is named; a purged one is not (its id was of erased data)
        assert rep.status == "tainted" and (ids[0] in " ".join(rep.reasons)) == (
            erase == "forget")
        info = mem.adapter(rep.adapter_id, "alice")
        assert info.status == "tainted" and info.state == "forgotten"
        assert _blob_of(mem, rep.adapter_id) == "None"
        assert not list(mem._store.blobs.folder.glob("**/*.safetensors"))
        with pytest.raises(InvalidInputError, match="tainted"):
            mem.activate_adapter(rep.adapter_id, "alice", force=True)
        if erase == "purge":
            left = mem.purge_remains([ids[0]])
            assert all(n == 0 for part in left.values() for n in part.values()), left
            assert {c for c, _ in mem.adapter(rep.adapter_id, "alice").sources} == set(ids[1:])


def test_a_user_purged_while_training_leaves_no_adapter_cube(tmp_path: Path) -> None:
    """Every fact purged while the adapter trains (the whole user purged): nothing of it
    is stored, not even a tainted cube with the training numbers."""
    with MemOS.open(str(tmp_path / "store")) as mem:
        ids = _add(mem, "alice", _facts(53, 3))

        def purge_user(step: int, total: int) -> None:
            if step == 1:
                mem.purge(None, "alice", all_of_user=True)

        rep = mem.consolidate("alice", facts=ids, config=CHEAP, progress=purge_user)
        assert rep.status == "tainted" and rep.adapter_id is None
        assert "purged while it trained; nothing was stored" in rep.reasons[-1]
        assert mem.adapters("alice") == []
        with mem._store.repo.read() as session:
            assert session.execute(text("SELECT count(*) FROM cubes")).scalar() == 0
            assert session.execute(text(
                "SELECT count(*) FROM audit_log WHERE action = 'consolidate'")).scalar() == 0
        assert not list(mem._store.blobs.folder.glob("**/*.safetensors"))
        left = mem.purge_remains(ids)
        assert all(n == 0 for part in left.values() for n in part.values()), left


def test_purge_takes_another_agents_adapter_out_of_service(tmp_path: Path) -> None:
    """Forgetting a fact taints every adapter of its user trained on it, another agent's
    too; purging it (the stronger erasure) must not leave that adapter serving its weights."""
    with MemOS.open(str(tmp_path / "store")) as mem:
        facts = _facts(53, 3)
        ids = _add(mem, "alice", facts)
        agent = Scope(user_id="alice", agent_id="a1")
        rep = mem.consolidate(agent, facts=ids, config=CHEAP)
        assert rep.status == "active"
        assert mem.answer(facts[1].question, agent).tier == "parametric"
        blob = mem._store.blobs.path(_blob_of(mem, rep.adapter_id))
        assert blob.exists()
        report = mem.purge(ids[0], "alice")  # the user without an agent: a1's adapter is kept
        assert rep.adapter_id not in report.cube_ids
        info = mem.adapter(rep.adapter_id, agent)
        assert info.status == "tainted" and info.state == "forgotten"
        assert not blob.exists()
        assert mem.purge_remains([ids[0]])["parametric"]["blobs"] == 0
        assert mem.answer(facts[1].question, agent).tier != "parametric"


@pytest.mark.parametrize("damage", ["missing", "corrupt"])
def test_repairing_lost_weights_takes_the_adapter_out_of_service(tmp_path: Path,
                                                                 damage: str) -> None:
    """`check --repair` erases the row of a missing or corrupt blob: an adapter whose weights
    those were must leave service (it stayed active, pointing at weights no longer there)."""
    with MemOS.open(str(tmp_path / "store")) as mem:
        facts = _facts(61, 3)
        ids = _add(mem, "alice", facts)
        rep = mem.consolidate("alice", facts=ids, config=CHEAP)
        assert rep.status == "active"
        blob = mem._store.blobs.path(_blob_of(mem, rep.adapter_id))
        if damage == "missing":
            blob.unlink()
        else:
            blob.write_bytes(b"not the weights")
        assert not mem.check().ok
        assert mem.check(repair=True).repaired
        info = mem.adapter(rep.adapter_id, "alice")
        assert info.status == "tainted" and info.state == "forgotten"
        assert "missing or corrupt" in (info.reason or "")
        assert mem.check().ok
        assert mem.answer(facts[1].question, "alice").tier != "parametric"  # no error either
        with pytest.raises(InvalidInputError, match="missing or corrupt"):
            mem.activate_adapter(rep.adapter_id, "alice")
        from memos.scheduler import SchedulerConfig

        plan = mem.run_scheduler(dry_run=True, config=SchedulerConfig(consolidation=CHEAP))
        asked = [d for d in plan.decisions if d.job == "reconsolidate"]
        assert [d.cube_id for d in asked] == [rep.adapter_id]
        assert "missing or corrupt" in asked[0].reason  # the reason is this one, not a forget


def test_check_finds_an_adapter_whose_weights_have_no_row(tmp_path: Path) -> None:
    """What `check --repair` left before it took such adapters out of service: the blob's row
    erased under an active adapter. `check` found nothing (it looked for rowless blobs of
    activation cubes only), so the adapter stayed active on weights no longer there and its
    owner was never consolidated again."""
    with MemOS.open(str(tmp_path / "store")) as mem:
        facts = _facts(61, 3)
        ids = _add(mem, "alice", facts)
        rep = mem.consolidate("alice", facts=ids, config=CHEAP)
        assert rep.status == "active"
        blob = _blob_of(mem, rep.adapter_id)
        with mem._store.repo.write() as session:
            mem._store.blobs.erase(session, [blob])
        found = mem.check()
        assert not found.ok and found.blobs["missing"] == [blob]
        assert mem.check(repair=True).repaired
        info = mem.adapter(rep.adapter_id, "alice")
        assert info.status == "tainted" and "missing or corrupt" in (info.reason or "")
        assert mem.check().ok


def test_bad_consolidation_configs_are_input_errors(tmp_path: Path) -> None:
    """A malformed ConsolidationConfig (or TrainConfig) is an InvalidInputError before any
    training, never an AttributeError, KeyError or pydantic error from deep inside."""
    bad = [ConsolidationConfig(train="fast"), ConsolidationConfig(gate_styles=("nope",)),
           ConsolidationConfig(gate_styles=()), ConsolidationConfig(gate_sets=0),
           ConsolidationConfig(gate_facts=0), ConsolidationConfig(min_closed_book="high"),
           ConsolidationConfig(max_memory_drop=float("nan")), ConsolidationConfig(policy=None),
           ConsolidationConfig(train=lora.TrainConfig(rehearsal_styles=("nope",)))]
    with MemOS.open(str(tmp_path / "store")) as mem:
        ids = _add(mem, "alice", _facts(54, 2))
        for cfg in bad:
            with pytest.raises(InvalidInputError):
                mem.consolidate("alice", facts=ids, config=cfg)
        assert mem.adapters("alice") == []


def test_the_scheduler_reports_no_adapter_when_the_user_is_purged_while_training(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The scheduler's re-consolidation trains while the whole user is purged: nothing is
    stored, and its log says so instead of naming "adapter None" with the training's
    numbers."""
    from memos.scheduler import SchedulerConfig

    with MemOS.open(str(tmp_path / "store")) as mem:
        ids = _add(mem, "alice", _facts(54, 4))
        rep = mem.consolidate("alice", facts=ids, config=CHEAP)
        assert rep.status == "active"
        mem.forget(ids[0], "alice")  # taints it: the scheduler re-consolidates the rest
        real = lora.train_adapter

        def purge_then_train(*args: Any, **kwargs: Any) -> Any:
            mem.purge(None, "alice", all_of_user=True)
            return real(*args, **kwargs)

        monkeypatch.setattr(lora, "train_adapter", purge_then_train)
        done = mem.run_scheduler(config=SchedulerConfig(consolidation=CHEAP))
        results = [d.reason for d in done.decisions if d.job == "consolidate-result"]
        assert len(results) == 1
        assert "adapter None" not in results[0], results[0]
        assert "purged" in results[0], results[0]
        assert mem.adapters("alice") == []
