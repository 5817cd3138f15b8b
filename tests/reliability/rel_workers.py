"""Subprocess side of the crash and concurrency tests (run as a script, not collected).

    python rel_workers.py add_many LOCATION INDEX_DIR USER START COUNT BATCH PROGRESS_FILE [SAVE_EVERY]

adds COUNT generated memories for USER in batches of BATCH through `MemOS.add_many` and, from
its progress callback, appends "DONE UNIX_TIME" lines to PROGRESS_FILE (flushed and
fsynced, so a line on disk means the callback ran before the process died). INDEX_DIR is
"-" for a folder store. The last line is "finished" when add_many returned. SAVE_EVERY (vector
changes between FAISS file saves) is small in the crash test, so that the files on disk are
part way through when the process dies.
"""

from __future__ import annotations

import os
import random
import sys
import time
from collections.abc import Iterator

GO_FILE_ENV = "MEMOS_TEST_GO_FILE"  # when set: open the store, write "ready", wait for the file

# Three-syllable nonsense words: distinct enough that generated memories are neither exact
# nor near duplicates of each other under the hashing embedder.
_SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]


def item_text(user: str, i: int) -> str:
    """The i-th generated memory of `user`; the same arguments always give the same text."""
    rng = random.Random(f"{user}:{i}")
    words = " ".join("".join(rng.choice(_SYLLABLES) for _ in range(3)) for _ in range(10))
    return f"{user} note {i} tok{user}x{i} {words}"


def items(user: str, start: int, count: int) -> Iterator[str]:
    for i in range(start, start + count):
        yield item_text(user, i)


def add_many(location: str, index_dir: str, user: str, start: int, count: int, batch: int,
             progress_file: str, save_every: int | None = None) -> None:
    from memos.config import MemosConfig
    from memos.facade import MemOS

    with open(progress_file, "a", encoding="utf-8") as log:

        def progress(done: int, total: int | None) -> None:
            log.write(f"{done} {time.time():.6f}\n")
            log.flush()
            os.fsync(log.fileno())

        config = MemosConfig.from_env(save_every=save_every)
        with MemOS.open(location, index_dir=None if index_dir == "-" else index_dir,
                        config=config) as mem:
            go = os.environ.get(GO_FILE_ENV)
            if go:  # start together with the other writers: wait for the test's signal
                log.write("ready\n")
                log.flush()
                while not os.path.exists(go):
                    time.sleep(0.005)
            mem.add_many(items(user, start, count), user, batch_size=batch, progress=progress)
        log.write("finished\n")
        log.flush()


def main(argv: list[str]) -> int:
    command, *args = argv
    if command == "add_many":
        location, index_dir, user, start, count, batch, progress_file, *rest = args
        add_many(location, index_dir, user, int(start), int(count), int(batch), progress_file,
                 int(rest[0]) if rest else None)
        return 0
    raise SystemExit(f"unknown worker command {command!r}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
