"""Subprocess side of the erasure tests (run as a script, not collected).

    python erasure_worker.py MODE LOCATION INDEX_DIR USER QUERY READY_FILE GO_FILE

opens the store (INDEX_DIR "-" for a folder store), searches QUERY as USER so that its
indexes hold what the test will purge, writes READY_FILE, and keeps the store open until
GO_FILE exists. Then, with MODE "hold", it closes the store as any process would; with MODE
"save", it first marks its vector index changed, so that closing writes the FAISS files
from what it loaded before the test's purge (a long-running agent saving its index late).
"""

from __future__ import annotations

import os
import sys
import time


def main(argv: list[str]) -> int:
    mode, location, index_dir, user, query, ready_file, go_file = argv
    from memos.facade import MemOS

    mem = MemOS.open(location, index_dir=None if index_dir == "-" else index_dir)
    hits = mem.search(query, user, k=5)
    with open(ready_file + ".tmp", "w", encoding="utf-8") as handle:
        handle.write(f"{len(hits)} {mem._store.vectors.seq}\n")
    os.replace(ready_file + ".tmp", ready_file)
    deadline = time.monotonic() + 120
    while not os.path.exists(go_file):
        if time.monotonic() > deadline:
            return 3
        time.sleep(0.01)
    if mode == "save":
        mem._store.vectors.dirty += 1
    mem.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
