"""Crash safety and concurrent writers (DESIGN.md, write path).

- kill -9 in the middle of a large batched `add_many`: every batch the writer saw committed
  is there after reopening, the derived indexes catch up, and `check` says consistent.
- two processes writing into one store at the same time lose nothing.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rel_helpers import StoreSpec, export_lines
from rel_workers import GO_FILE_ENV, item_text

WORKER = str(Path(__file__).with_name("rel_workers.py"))
BATCH = 50


def _spawn_add_many(spec: StoreSpec, user: str, count: int, batch: int, progress: Path,
                    save_every: int | None = None, go_file: Path | None = None
                    ) -> subprocess.Popen[bytes]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    if go_file is not None:
        env[GO_FILE_ENV] = str(go_file)
    return subprocess.Popen(
        [sys.executable, WORKER, "add_many", spec.location, spec.index_dir or "-", user, "0",
         str(count), str(batch), str(progress), *([str(save_every)] if save_every else [])],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)


def _progress_lines(path: Path) -> list[str]:
    if not path.exists():
        return []
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line]


def _progress_times(path: Path) -> list[tuple[int, float]]:
    """(items done, unix time) of every progress call the worker logged."""
    out = []
    for line in _progress_lines(path):
        parts = line.split()
        if len(parts) == 2 and parts[0].isdigit():
            out.append((int(parts[0]), float(parts[1])))
    return out


def _reported_done(path: Path) -> int:
    return max((done for done, _ in _progress_times(path)), default=0)


def _contents(mem: object, user: str) -> list[str]:
    return [line["cube"]["content"] for line in export_lines(mem, user)
            if line.get("type") == "cube"]


def test_kill_9_during_add_many_loses_no_committed_cube(store_spec: StoreSpec,
                                                         tmp_path: Path) -> None:
    progress = tmp_path / "progress.log"
    # FAISS files are saved every 120 vector changes, so the kill finds them part way.
    proc = _spawn_add_many(store_spec, "crash", 50_000, BATCH, progress, save_every=120)
    # Wait for a few committed batches, then kill at a random moment inside a later one.
    deadline = time.monotonic() + 180
    while _reported_done(progress) < 4 * BATCH:
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"worker exited early ({proc.returncode}): {err.decode()[-2000:]}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("worker made no progress in 180 s")
        time.sleep(0.02)
    time.sleep(random.uniform(0.0, 0.2))
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert "finished" not in _progress_lines(progress), "the worker ended before the kill"
    reported = _reported_done(progress)
    index_dir = Path(store_spec.index_dir or store_spec.location)
    saved_seq = max(json.loads(p.read_text())["seq"] for p in index_dir.glob("vectors*.json"))
    assert saved_seq > 0  # reopening starts from a saved index, not from nothing

    with store_spec.open() as mem:
        contents = _contents(mem, "crash")
        # Batches commit in order: what survived is a prefix of the items, at least as long
        # as what the worker was told was done, and nothing half-written.
        assert len(contents) >= reported
        assert sorted(contents) == sorted(item_text("crash", i) for i in range(len(contents)))
        assert mem.check().ok
        stats = mem.stats()
        assert stats.live == len(contents) == stats.vectors
        # The last committed cube is findable by meaning and by words after the catch-up.
        last = item_text("crash", len(contents) - 1)
        hits = mem.search(last, "crash", k=3)
        assert hits and hits[0].content == last
        assert {"dense", "fulltext"} <= set(hits[0].retrievers)


@pytest.mark.parametrize("same_texts", [False, True], ids=["own-texts", "same-texts"])
def test_two_writers_at_once_lose_nothing(store_spec: StoreSpec, tmp_path: Path,
                                          same_texts: bool) -> None:
    """Two processes add 300 memories each; with `same_texts` both add the SAME 300 texts for
    one user, and dedup must still leave exactly one cube per text."""
    count, go = 300, tmp_path / "go"
    logs = {name: tmp_path / f"{name}.log" for name in ("writer-a", "writer-b")}
    owner = {name: "shared" if same_texts else name for name in logs}
    writers = {name: _spawn_add_many(store_spec, owner[name], count, 20, log, go_file=go)
               for name, log in logs.items()}
    # Both open the (new) store, then start writing at the same moment.
    deadline = time.monotonic() + 180
    while not all("ready" in _progress_lines(log) for log in logs.values()):
        assert all(p.poll() is None for p in writers.values()), "a writer died while opening"
        assert time.monotonic() < deadline, "writers did not open the store in 180 s"
        time.sleep(0.02)
    go.touch()
    for name, proc in writers.items():
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, f"{name} failed: {err.decode()[-3000:]}"
        assert _progress_lines(logs[name])[-1] == "finished"
    times = {name: [t for _, t in _progress_times(log)] for name, log in logs.items()}
    a, b = times.values()
    assert a[0] < b[-1] and b[0] < a[-1], "the two writers did not overlap"

    users = sorted(set(owner.values()))
    with store_spec.open() as mem:
        for user in users:
            assert sorted(_contents(mem, user)) == sorted(item_text(user, i) for i in range(count))
        stats = mem.stats()
        assert (stats.live, stats.vectors) == (len(users) * count, len(users) * count)
        assert mem.check().ok
        for user in users:
            probe = item_text(user, count - 1)
            assert mem.search(probe, user, k=1)[0].content == probe
