"""Pieces of the trust suite (test_trust_props.py): marker tokens, byte scans of a store's
files and tables, the FAISS files' contents, a store fingerprint, and (run as a script) a
second process that holds a store open across a purge.

    python trust_helpers.py hold LOCATION INDEX_DIR USER COUNT WORKDIR

opens the store (INDEX_DIR "-" for a folder store), adds COUNT memories for USER (each with
its own marker, see `worker_text`), runs a search (so its FAISS index is loaded and dirty),
writes WORKDIR/ready with the new ids, waits for WORKDIR/go, then saves its index files
(`MemOS.flush`), searches once more, closes and writes WORKDIR/done.
"""

from __future__ import annotations

import io
import json
import os
import random
import string
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

# A marker is letters then digits: one token for FTS5 (porter) and PostgreSQL alike, and the
# porter stemmer leaves a token that ends in digits alone.
MARKER_LETTERS = 8
MARKER_DIGITS = 4
# FTS5 stores a term as (bytes shared with the previous term, rest): a scan looks for the
# marker's tail, which random letters keep out of any shared prefix.
TAIL = 9


def make_marker(rng: random.Random) -> str:
    return ("".join(rng.choice(string.ascii_lowercase) for _ in range(MARKER_LETTERS))
            + "".join(rng.choice(string.digits) for _ in range(MARKER_DIGITS)))


def needle(marker: str) -> bytes:
    return marker[-TAIL:].encode("ascii")


def markers_in(text: str, markers: Iterable[str]) -> set[str]:
    return {m for m in markers if m in text}


def scan_files(folder: str | Path, markers: Iterable[str]) -> dict[str, list[str]]:
    """marker -> files under `folder` (recursively) whose bytes hold it."""
    found: dict[str, list[str]] = {}
    markers = list(markers)
    if not markers:
        return found
    for path in sorted(Path(folder).rglob("*")):
        if not path.is_file():
            continue
        try:
            data = path.read_bytes()
        except OSError:  # a temp file renamed away between listing and reading
            continue
        for m in markers:
            if needle(m) in data:
                found.setdefault(m, []).append(path.name)
    return found


def scan_tables(engine: Any, markers: Iterable[str]) -> dict[str, list[str]]:
    """marker -> PostgreSQL tables of the current schema whose rows (as text) hold it."""
    from sqlalchemy import text

    markers = list(markers)
    found: dict[str, list[str]] = {}
    if not markers:
        return found
    with engine.connect() as conn:
        tables = conn.execute(text("SELECT tablename FROM pg_tables "
                                   "WHERE schemaname = current_schema()")).scalars().all()
        for table in sorted(tables):
            rows = conn.execute(text(f'SELECT t::text FROM "{table}" t')).scalars().all()
            blob = "\n".join(rows)
            for m in markers:
                if m[-TAIL:] in blob:
                    found.setdefault(m, []).append(table)
    return found


def faiss_on_disk(mem: Any) -> tuple[int, set[int]] | None:
    """(seq, pks) of the FAISS files as another process would load them; None if none."""
    from memos.stores.vector_index import VectorIndex

    live = mem._store.vectors
    copy = VectorIndex(live.folder, live.dim, live.embedder, live.flat_max, live.nprobe,
                       live.store_id, live.index_path.stem, approx=live.approx,
                       probe_share=live.probe_share)
    if not copy.load():
        return None
    return copy.seq, copy.ids()


def export_text(mem: Any, scope: Any) -> str:
    buffer = io.StringIO()
    mem.export(scope, buffer)
    return buffer.getvalue()


def export_objs(mem: Any, scope: Any) -> list[dict[str, Any]]:
    """The export's lines as objects, without `exported_at` and without the end line (the
    attacks edit the lines, which its counts would no longer fit)."""
    lines = [json.loads(line) for line in export_text(mem, scope).splitlines() if line.strip()]
    assert lines[-1]["type"] == "end"
    lines.pop()
    for line in lines:
        line.pop("exported_at", None)
    return lines


def fingerprint(mem: Any, scopes: Iterable[Any]) -> tuple[Any, ...]:
    """What a rejected call must leave unchanged: store counts, changelog head and the export
    of every (user, agent) scope (access statistics included)."""
    stats = mem.stats()
    counts = (stats.cubes, stats.live, stats.versions, stats.edges, stats.changelog_seq,
              stats.users, sorted(stats.by_state.items()))
    return counts, tuple(json.dumps(export_objs(mem, s), sort_keys=True) for s in scopes)


# -- the second process ------------------------------------------------------------------

def worker_text(user: str, i: int) -> str:
    marker = make_marker(random.Random(f"{user}:{i}"))
    return f"{user} held note {i} {marker}"


def worker_marker(user: str, i: int) -> str:
    return worker_text(user, i).rsplit(" ", 1)[1]


def hold(location: str, index_dir: str, user: str, count: int, workdir: str) -> None:
    from memos.config import MemosConfig
    from memos.facade import MemOS

    work = Path(workdir)
    with MemOS.open(location, index_dir=None if index_dir == "-" else index_dir,
                    config=MemosConfig(dedup_threshold=None)) as mem:
        ids = [mem.add(worker_text(user, i), user).id for i in range(count)]
        mem.search(f"{user} held note", user, k=5)
        (work / "ready.tmp").write_text(json.dumps(ids))
        os.replace(work / "ready.tmp", work / "ready")
        deadline = time.monotonic() + 60
        while not (work / "go").exists():
            if time.monotonic() > deadline:
                raise SystemExit("no go file within 60 s")
            time.sleep(0.01)
        mem.flush()  # the index files, as this process last saw them
        mem.search(f"{user} held note", user, k=5)
    (work / "done").write_text("done")


def main(argv: list[str]) -> int:
    command, *args = argv
    if command == "hold":
        location, index_dir, user, count, workdir = args
        hold(location, index_dir, user, int(count), workdir)
        return 0
    raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
