"""Dense vector index over cube pks, persisted as FAISS files in the store folder.

Below `flat_max` vectors the index is exact (IndexFlatIP); above it, an inverted-file index
(IVF) searches a few lists instead of every vector. IVF rather than HNSW because IVF
supports removal: `forget` and `purge` really take a vector out of the index, where HNSW
could only hide it. The index is retrained when it grows 4x past its training size.

`vectors.json` beside `vectors.faiss` records the changelog seq the file reflects and the
embedder identity; a file that is missing, unreadable or inconsistent is rebuilt from SQL.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import math
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import faiss
import numpy as np

log = logging.getLogger(__name__)

FORMAT = "memos-vectors/1"


def _fsync(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _fsync_dir(folder: Path) -> None:
    """Make renames in `folder` durable (a crash after the rename keeps the new file)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def configure_threads() -> None:
    """One FAISS thread unless MEMOS_FAISS_THREADS says otherwise.

    Searches here are one query at a time; OpenMP workers only add spin-waiting, and on a
    busy 2-core machine they made a 10k flat search ten times slower.
    """
    faiss.omp_set_num_threads(max(1, int(os.environ.get("MEMOS_FAISS_THREADS", "1"))))


class VectorIndex:
    """FAISS index keyed by cube pk (int64). Vectors must be L2-normalised (cosine = dot)."""

    def __init__(self, folder: Path, dim: int, embedder: str, flat_max: int = 20_000,
                 nprobe: int = 32, store_id: str = "", basename: str = "vectors") -> None:
        configure_threads()
        self.folder = Path(folder)
        # Several databases may share one index folder (PostgreSQL URLs default to ./.memos):
        # the store id keeps one database from loading another's vectors.
        self.store_id = store_id
        self.index_path = self.folder / f"{basename}.faiss"
        self.meta_path = self.folder / f"{basename}.json"
        self.dim = dim
        self.embedder = embedder
        self.flat_max = flat_max
        self.nprobe = nprobe
        self.seq = 0  # changelog seq this index reflects
        self.trained_n = 0  # vectors the IVF was trained for (0 = flat)
        self.dirty = 0  # changes since the files were written
        self._ids: set[int] = set()
        self._index: Any = self._new_flat()

    # -- structure -------------------------------------------------------------------

    def _new_flat(self) -> Any:
        return faiss.IndexIDMap2(faiss.IndexFlatIP(self.dim))

    @property
    def kind(self) -> str:
        return "ivf" if self.trained_n else "flat"

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, pk: int) -> bool:
        return pk in self._ids

    def ids(self) -> set[int]:
        return set(self._ids)

    def reset(self) -> None:
        self._index, self._ids, self.trained_n, self.seq = self._new_flat(), set(), 0, 0
        self.dirty += 1

    def _rebuild_ivf(self) -> None:
        """Retrain as IVF on the current vectors (called when crossing size thresholds)."""
        ids = np.fromiter(self._ids, dtype=np.int64, count=len(self._ids))
        self._train_ivf(ids, self._index.reconstruct_batch(ids))

    def build(self, pks: Sequence[int], vectors: np.ndarray) -> None:
        """Replace the whole index with these vectors, choosing flat or IVF by their number
        once (a rebuild trains one IVF at the final size instead of one per threshold)."""
        self.reset()
        if len(pks) > self.flat_max:
            self._train_ivf(np.asarray(pks, dtype=np.int64), np.ascontiguousarray(vectors))
            self._ids = {int(pk) for pk in pks}
            self.dirty += len(pks)
        else:
            self.add(pks, vectors)

    def _train_ivf(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        n = len(ids)
        # ~4 sqrt(n) lists, but at least 39 training points per list (FAISS warns below that)
        nlist = max(16, min(int(4 * math.sqrt(n)), n // 39))
        quantizer = faiss.IndexFlatIP(self.dim)
        ivf = faiss.IndexIVFFlat(quantizer, self.dim, nlist, faiss.METRIC_INNER_PRODUCT)
        ivf.set_direct_map_type(faiss.DirectMap.Hashtable)
        rng = np.random.default_rng(0)  # deterministic training sample: same data, same index
        # 40 points per list: enough for k-means (FAISS asks 39), and training time is linear in it
        sample = vectors[rng.choice(n, size=min(n, 40 * nlist), replace=False)]
        ivf.train(sample)
        ivf.add_with_ids(vectors, ids)
        self._index, self.trained_n = ivf, n
        log.info("vector index: trained IVF with %d lists on %d vectors", nlist, n)

    # -- changes ---------------------------------------------------------------------

    def add(self, pks: Sequence[int], vectors: np.ndarray) -> None:
        """Add or replace vectors (N, dim) for these pks."""
        if not len(pks):
            return
        ids = np.asarray(pks, dtype=np.int64)
        present = [pk for pk in pks if pk in self._ids]
        if present:
            self._index.remove_ids(np.asarray(present, dtype=np.int64))
        self._index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids)
        self._ids.update(int(pk) for pk in pks)
        self.dirty += len(pks)
        n = len(self._ids)
        if (self.trained_n == 0 and n > self.flat_max) or (self.trained_n and n > 4 * self.trained_n):
            self._rebuild_ivf()

    def remove(self, pks: Sequence[int]) -> None:
        present = [int(pk) for pk in pks if pk in self._ids]
        if present:
            self._index.remove_ids(np.asarray(present, dtype=np.int64))
            self._ids.difference_update(present)
            self.dirty += len(present)

    def vectors(self, pks: Sequence[int]) -> np.ndarray:
        """Stored vectors of these pks (all must be present), shape (N, dim)."""
        if not len(pks):
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._index.reconstruct_batch(np.asarray(pks, dtype=np.int64))

    # -- search ----------------------------------------------------------------------

    def search(self, queries: np.ndarray, n: int, nprobe: int | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
        """Approximate top-n over all vectors: (scores, pks), each (Q, n); pk -1 = no hit.

        `nprobe` overrides the lists an IVF index visits (fewer: faster, less recall)."""
        queries = np.ascontiguousarray(queries, dtype=np.float32).reshape(-1, self.dim)
        if not self._ids:
            shape = (queries.shape[0], n)
            return np.zeros(shape, dtype=np.float32), -np.ones(shape, dtype=np.int64)
        params = None
        if self.trained_n:
            params = faiss.SearchParametersIVF(nprobe=min(nprobe or self.nprobe, self._index.nlist))
        return self._index.search(queries, min(n, len(self._ids)), params=params)

    def search_subset(self, query: np.ndarray, pks: Sequence[int], n: int
                      ) -> tuple[np.ndarray, np.ndarray]:
        """Exact top-n among `pks` only: (scores, pks) for one query."""
        subset = [pk for pk in pks if pk in self._ids]
        if not subset:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        vectors = self.vectors(subset)
        scores = vectors @ np.asarray(query, dtype=np.float32).reshape(-1)
        top = np.argsort(-scores, kind="stable")[:n]
        return scores[top], np.asarray(subset, dtype=np.int64)[top]

    # -- files -----------------------------------------------------------------------

    @contextlib.contextmanager
    def _file_lock(self, exclusive: bool) -> Iterator[None]:
        """Several processes may save and load one folder: the two files must be replaced
        and read as a pair, or a meta file could describe another process's index."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.index_path.with_suffix(".lock"), "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def save(self, force: bool = False) -> bool:
        """Write both files atomically (temp file, fsync, rename, fsync of the folder, under
        the folder's lock). Never moves the files backwards: when the files on disk record a
        later changelog seq than this index (another process saved after a change this one
        has not applied, e.g. a purge), nothing is written and False is returned; the caller
        catches up and saves again. `force` overwrites anyway (a file found ahead of SQL at
        open belongs to another database or a restored backup)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.index_path.with_name(f"{self.index_path.name}.{os.getpid()}.tmp")
        tmp_meta = self.meta_path.with_name(f"{self.meta_path.name}.{os.getpid()}.tmp")
        meta = {"format": FORMAT, "store_id": self.store_id, "seq": self.seq,
                "embedder": self.embedder, "dim": self.dim, "kind": self.kind,
                "trained_n": self.trained_n, "count": len(self._ids)}
        try:
            faiss.write_index(self._index, str(tmp))
            _fsync(tmp)
            with open(tmp_meta, "w", encoding="utf-8") as handle:
                handle.write(json.dumps(meta, sort_keys=True))
                handle.flush()
                os.fsync(handle.fileno())
            with self._file_lock(exclusive=True):
                on_disk = self._disk_seq()
                if not force and on_disk is not None and on_disk > self.seq:
                    log.info("vector index: files in %s are at seq %d, this index at %d; "
                             "not overwriting them with older data", self.folder, on_disk,
                             self.seq)
                    return False
                os.replace(tmp, self.index_path)
                os.replace(tmp_meta, self.meta_path)
                _fsync_dir(self.folder)
                self._remove_stale_temps()
        finally:
            for path in (tmp, tmp_meta):
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
        self.dirty = 0
        return True

    def _disk_seq(self) -> int | None:
        """The seq the files on disk record, when they are this store's (None otherwise)."""
        try:
            meta = json.loads(self.meta_path.read_text())
            if meta.get("format") == FORMAT and meta.get("store_id") == self.store_id:
                return int(meta["seq"])
        except (OSError, ValueError, KeyError, TypeError):
            pass
        return None

    def _remove_stale_temps(self) -> None:
        """Temp files left by a process that died mid-save may hold vectors since erased."""
        for path in self.folder.glob(f"{self.index_path.stem}.*.*.tmp"):
            try:
                pid = int(path.name.split(".")[-2])
            except ValueError:
                continue
            if pid == os.getpid():
                continue
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                with contextlib.suppress(OSError):
                    path.unlink()
            except OSError:
                pass

    def load(self) -> bool:
        """Read the files; False (index left empty) when missing, corrupt or for another embedder."""
        index_path, meta_path = self.index_path, self.meta_path
        if not index_path.exists() or not meta_path.exists():
            return False
        try:
            with self._file_lock(exclusive=False):
                meta = json.loads(meta_path.read_text())
                index = faiss.read_index(str(index_path))
            if (meta.get("format") != FORMAT or meta.get("store_id") != self.store_id
                    or meta.get("embedder") != self.embedder
                    or meta.get("dim") != self.dim or index.d != self.dim
                    or index.ntotal != meta.get("count")):
                raise ValueError(f"metadata does not match the index file: {meta}")
            if meta.get("trained_n"):
                if index.direct_map.type != faiss.DirectMap.Hashtable:
                    index.set_direct_map_type(faiss.DirectMap.Hashtable)
                ids = self._ivf_ids(index)
            else:
                ids = faiss.vector_to_array(index.id_map)
        except (OSError, ValueError, RuntimeError) as exc:
            log.warning("vector index files in %s are unusable (%s); rebuilding from SQL",
                        self.folder, exc)
            return False
        self._index, self.trained_n, self.seq = index, int(meta.get("trained_n") or 0), int(meta["seq"])
        self._ids = {int(i) for i in ids}
        self.dirty = 0
        return True

    @staticmethod
    def _ivf_ids(index: Any) -> np.ndarray:
        invlists = index.invlists
        parts = []
        for list_no in range(index.nlist):
            size = invlists.list_size(list_no)
            if size:
                ptr = invlists.get_ids(list_no)
                parts.append(faiss.rev_swig_ptr(ptr, size).copy())
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    def remove_files(self) -> None:
        for path in (self.index_path, self.meta_path):
            if path.exists():
                path.unlink()
