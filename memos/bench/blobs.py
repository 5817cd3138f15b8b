"""`memos bench blobs`: where activation blobs should live on a shared (PostgreSQL) store.

A store keeps each activation blob (a memory's pre-encoded slots) as a content-addressed
safetensors file in a folder beside its FAISS files, with one row per blob in SQL. On
PostgreSQL that folder is per machine: a machine that lacks a blob re-derives it (encodes the
memory again). The alternative is to keep the bytes in SQL, shared by every machine. This
benchmark measures the three ways a recall of `k` memories can get its slots:

- ``file``: the store's way: read the files, check each hash, map the tensors;
- ``sql``: one SELECT of the `k` blobs' bytes from a scratch table on `url`, check each hash,
  load the tensors;
- ``encode``: the memories encoded again by the model (what a machine without the file pays);

and the cost of writing one blob each way (file: temp file, fsync, rename; SQL: one INSERT
in its own transaction). Real slots from the shipped checkpoint, `n` facts of the model's
evaluation style; medians over `reads` recalls of `k` random blobs; one torch thread.
"""

from __future__ import annotations

import hashlib
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from memos.errors import InvalidInputError


@dataclass
class BlobBenchReport:
    backend: str  # the SQL backend of the "sql" column (sqlite | postgresql)
    blobs: int
    k: int
    blob_bytes: int  # median bytes of one blob (a safetensors file)
    read_ms: dict[str, float] = field(default_factory=dict)  # file | sql | encode: k blobs, p50
    read_p95_ms: dict[str, float] = field(default_factory=dict)
    write_ms: dict[str, float] = field(default_factory=dict)  # file | sql: one blob, p50
    machine: str = ""
    date: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)


def run_blob_bench(*, url: str | None = None, n: int = 200, k: int = 8, reads: int = 100,
                   seed: int = 0, model_path: str | None = None,
                   progress: Callable[[str, int, int], None] | None = None) -> BlobBenchReport:
    """Every measurement of the module docstring, in a temporary folder (and, with `url`, a
    scratch table on that database, dropped at the end)."""
    import torch
    from safetensors.torch import load as load_safetensors
    from safetensors.torch import save as save_safetensors

    from memos.bench.retrieval import machine_description
    from memos.model.checkpoint import load_checkpoint
    from memos.model.tasks import make_facts
    from memos.stores.blob_bench import SqlBlobTable
    from memos.stores.blobs import BlobStore

    if n < 1 or k < 1 or reads < 1 or k > n:
        raise InvalidInputError("--n, --k and --reads must be positive, and k at most n")
    torch.set_num_threads(1)
    step = progress or (lambda stage, done, total: None)
    rng = random.Random(seed)
    model = load_checkpoint(model_path)
    facts = [f.text for f in make_facts(random.Random(seed), n)]
    with tempfile.TemporaryDirectory(prefix="memos-bench-blobs-") as tmp:
        folder = Path(tmp)
        sql_url = url or f"sqlite:///{folder / 'blobs.db'}"
        table = SqlBlobTable(sql_url)
        try:
            files = BlobStore(folder / "blobs")
            hashes: list[str] = []
            write_file: list[float] = []
            write_sql: list[float] = []
            sizes: list[int] = []
            for i, text in enumerate(facts):
                one = model.encode_memory([text]).trimmed()
                data = save_safetensors(one.to_tensors(), metadata={"memos": "{}"})
                blob_hash = hashlib.sha256(data).hexdigest()
                sizes.append(len(data))
                start = time.perf_counter()
                files._write_atomic(files.path(blob_hash), data)
                write_file.append((time.perf_counter() - start) * 1000)
                start = time.perf_counter()
                table.put(blob_hash, data)
                write_sql.append((time.perf_counter() - start) * 1000)
                hashes.append(blob_hash)
                step("write", i + 1, n)
            by_hash = dict(zip(hashes, facts, strict=True))
            times: dict[str, list[float]] = {"file": [], "sql": [], "encode": []}
            for r in range(reads):
                pick = rng.sample(hashes, k)
                start = time.perf_counter()
                for h in pick:
                    files.load(h)
                times["file"].append((time.perf_counter() - start) * 1000)
                start = time.perf_counter()
                got = table.get_many(pick)
                for h in pick:
                    data = got[h]
                    if hashlib.sha256(data).hexdigest() != h:
                        raise AssertionError("a blob read from SQL does not match its hash")
                    load_safetensors(data)
                times["sql"].append((time.perf_counter() - start) * 1000)
                start = time.perf_counter()
                model.encode_memory([by_hash[h] for h in pick])
                times["encode"].append((time.perf_counter() - start) * 1000)
                step("read", r + 1, reads)
        finally:
            table.drop()
    return BlobBenchReport(
        backend=sql_url.split(":", 1)[0].split("+", 1)[0], blobs=n, k=k,
        blob_bytes=int(statistics.median(sizes)),
        read_ms={name: _p(v, 0.5) for name, v in times.items()},
        read_p95_ms={name: _p(v, 0.95) for name, v in times.items()},
        write_ms={"file": _p(write_file, 0.5), "sql": _p(write_sql, 0.5)},
        machine=machine_description(), date=time.strftime("%Y-%m-%d"))
