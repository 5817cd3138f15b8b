"""Dense vector index over cube pks, persisted as FAISS files in the store folder.

Up to `flat_max` vectors the index is exact (IndexFlatIP). Above it, one of two approximate
indexes, chosen by the embedder (`approx`; memos.embedders.approx_index_for), because the
two kinds of vectors memos meets want different ones (docs/BENCHMARKS.md, "Vector index:
recall against exact search"):

- **HNSW** (model embedders such as MiniLM). A graph (`hnsw_m` links per node, built with
  `ef_construction` candidates per insertion, FAISS's IndexHNSWFlat) walked with
  `effort()` candidates (at least the hits asked for): `ef_search` up to 50k vectors,
  doubled up to 250k, 4x up to 500k, 8x above. A wide build (200 rather than FAISS's 40)
  keeps groups of near-duplicate sentences reachable; adding a vector costs a graph search.
- **IVF** (the hashing embedder). Its vectors of everyday sentences are near-orthogonal
  bags of words: greedy graph walks stop short of the exact top 10 (0.78 of it at 100k,
  0.68 at 1M). An inverted file of about 4 sqrt(n) lists (k-means on 40 points a list,
  retrained when the index has grown 4x) whose searches visit `probe_share` of the lists
  keeps at least 0.95 on templated facts and everyday sentences alike. The lists hold the
  exact vectors; searches scan a compact twin of them for REFINE x the hits asked for and
  rank those by their exact vectors, so scores are exact. The twin is a 4-bit product
  quantizer of each vector's offset from its list's centroid, two dimensions per code,
  packed for FAISS's fast scan (lookup tables held in SIMD registers; a sixteenth of the
  exact lists' bytes). It replaced an 8-bit scalar twin: FAISS time at 1M vectors under
  half, recall against exact still at least 0.95 (docs/BENCHMARKS.md, "Vector index").
  The twin is saved beside the index (`vectors.twin`, FAISS's own format) so that an open
  need not encode it again; `vectors.json` names it by its SHA-256, and a twin file that is
  not that one, or whose lists do not hold the index's ids in order, is encoded again.

Removal is real in every kind. Flat and IVF remove the vector (IVF first overwrites its
exact bytes with zeros: FAISS fills the hole with a list's last entry, and a removed last
entry would linger in spare capacity; the twin's lists that held it are zeroed and packed
again from the survivors). FAISS's HNSW cannot remove, so there
the removed label's pk is overwritten with -1 in the id map, its vector bytes with zeros
(in memory at once, so the next save writes zeros), searches skip labels whose pk is -1,
and before every save the graph forgets the label (its links and every link to it), so
the file does not even say which vectors it lay near. When tombstones pass `max_dead` of
the labels, the graph is rebuilt from the live vectors. An IVF's centroids and its twin's
codebooks are learnt from samples of its vectors; a purge of a vector in a sample (`erase`)
trains the IVF again on the survivors before the next save, so that no file keeps a mean
that an erased vector took part in.

`vectors.json` beside `vectors.faiss` records the format, the kind, the changelog seq the
file reflects, the embedder identity and, for IVF, the twin's codebooks, the pks its
training samples held (`trained_on`, a bitmap) and the digest of `vectors.twin`; a file
that is missing, unreadable, of another format (memos-vectors/1 held an IVF without the
twin or the probe share), of the other approximate kind, or inconsistent is rebuilt from
SQL. A memos-vectors/2 file (its twin was 8-bit) is read as is and its twin trained again
from its vectors.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import json
import logging
import math
import os
import re
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import faiss
import numpy as np

from memos.errors import StoreError

log = logging.getLogger(__name__)

FORMAT = "memos-vectors/3"
# Formats read: /2 differs only in its twin (8-bit), which is made again at load.
READ_FORMATS = ("memos-vectors/2", FORMAT)
# Search effort: candidates each HNSW walk keeps (at least the hits asked for). A larger
# graph needs a wider walk for the same recall: on the hard corpus (docs/BENCHMARKS.md) a
# fixed 64 kept 0.98 of the exact top 10 at 30k vectors but 0.93 at 300k and 0.89 at 1M.
# So the effort is `ef_search` up to 50k vectors and doubles at each step below.
DEFAULT_EF_SEARCH = 64
EF_SCALE = ((50_000, 1), (250_000, 2), (500_000, 4))  # (up to this many vectors, factor)
EF_SCALE_MAX = 8  # beyond the last step
# Candidates kept when `search(..., nprobe=...)` asks for a quick look (near-duplicates
# sit right next to their twin).
QUICK_EF_SEARCH = 16
# IVF (the approximate index for embedders that ask for it, `approx="ivf"`): about 4 sqrt(n)
# lists, trained on 40 points per list, retrained when the index has grown 4x past its
# training size; a full search visits IVF_PROBE_SHARE of the lists (at least
# IVF_MIN_PROBES), a quick look QUICK_PROBES of them.
# The lists hold the exact float32 vectors; searches scan a twin of them (a 4-bit product
# quantizer of the offsets from the list centroid, TWIN_DSUB dimensions per code, packed in
# blocks of 32 for FAISS's fast scan) for REFINE x the hits asked for, then rank those by
# their exact vectors. 4-bit codes rank less exactly than the 8-bit scalar twin they
# replaced, which ranked 2x the hits: 4x keeps recall@10 against exact search at least
# 0.95 from 10k to 1M on both bench corpora (docs/BENCHMARKS.md, "Vector index").
REFINE = 4
TWIN_DSUB = 2
TWIN_BITS = 4
TWIN_BLOCK = 32  # vectors per packed block (FAISS's bbs)
TWIN_TRAIN = 16_384  # vectors sampled to train the twin's codebooks
TWIN_POINTS_PER_CODE = 64  # of which each subspace's k-means uses 64 a code (1,024)
# Fewer training vectors are repeated up to this many (k-means of 16 codes wants 39 points
# a code). A memos-vectors/2 file holding fewer live vectors is rebuilt from SQL rather than
# have its twin trained on the few that survived removals.
TWIN_MIN_TRAIN = 1_024
IVF_PROBE_SHARE = 0.125
IVF_MIN_PROBES = 16  # a small IVF has few, wide lists: a query's neighbours straddle several
QUICK_PROBES = 4
APPROX_KINDS = ("hnsw", "ivf")
# The names of an index's files in its folder: "<basename>.faiss|json|twin|lock" with the
# basename "vectors" or "vectors-<first 12 of the store id>" (a folder several databases
# share), and a save's temp files "<file>.<token>.tmp" (`_save`). Nothing else is memos's.
INDEX_FILE_NAME = re.compile(r"vectors(?:-[0-9a-f]{12})?\.(?:faiss|json|twin|lock)(?:\.[\w-]+\.tmp)?")
_ALIVE = faiss.IDSelectorRange(0, 1 << 62)  # pks are positive; tombstones are -1
BuildProgress = Callable[[int, int], None]


def _fsync(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _claim(path: Path) -> int:
    """Create `path` and hold an exclusive lock on it (the descriptor returned; closing it
    releases the lock): the mark of a temp file a save is writing. FAISS and `open` write
    the same file in place, so the lock stays with what they write."""
    for _ in range(8):
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            # Another save's clean-up may have locked and removed the new file between the
            # open and the lock (it was no save's yet): the lock is then on a removed file,
            # and the name is made again.
            if os.fstat(fd).st_ino == os.stat(path).st_ino:
                return fd
        except FileNotFoundError:
            pass
        except OSError:
            os.close(fd)
            raise
        os.close(fd)
    raise OSError(f"could not claim the temp file {path}: removed each time it was made")


def _fsync_dir(folder: Path) -> None:
    """Make renames in `folder` durable (a crash after the rename keeps the new file)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sha256(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def configure_threads() -> None:
    """One FAISS thread unless MEMOS_FAISS_THREADS says otherwise.

    Searches here are one query at a time; OpenMP workers only add spin-waiting, and on a
    busy 2-core machine they made a 10k flat search ten times slower.
    """
    faiss.omp_set_num_threads(max(1, int(os.environ.get("MEMOS_FAISS_THREADS", "1"))))


_thread_state = threading.local()


def configure_this_thread() -> None:
    """configure_threads() once per thread. OpenMP's thread count is a per-thread setting:
    a search on a thread that never set it (a server's request threads, a worker pool) ran
    FAISS with one OpenMP thread per core, which spin-wait between queries and burn the
    cores the other requests need (docs/BENCHMARKS.md, Serving)."""
    if not getattr(_thread_state, "configured", False):
        configure_threads()
        _thread_state.configured = True


# A search among a share of the index's rows (Allowed) scales its effort by 1 / share, at
# most this many times: past it, a reader's few rows are found by the exact search of her
# scope that a short answer sends the search to (memos.search).
SHARE_EFFORT_MAX = 8.0


def pack(mask: np.ndarray) -> np.ndarray:
    """The bitmap `Allowed.bits` holds, of a mask over pks (True at each pk it holds): bit
    pk set, little-endian within each byte, as FAISS's IDSelectorBitmap reads it (pks past
    its end are not set)."""
    return np.packbits(mask, bitorder="little")


def with_bits(bits: np.ndarray, pks: np.ndarray, on: np.ndarray) -> tuple[np.ndarray, int]:
    """`bits` (a `pack` bitmap) with each of the distinct `pks` set where `on` is True and
    cleared where it is False, and how many set bits that adds (negative: takes away). A
    change gives a new array, grown to hold the largest pk set (a search may still be
    reading the old one); no change gives `bits` itself."""
    byte = pks >> 3
    ones = np.left_shift(np.uint8(1), (pks & 7).astype(np.uint8))
    inside = byte < len(bits)
    was = np.zeros(len(pks), dtype=bool)
    was[inside] = (bits[byte[inside]] & ones[inside]) != 0
    if np.array_equal(on, was):
        return bits, 0
    new = np.zeros(max(len(bits), int(byte[on].max()) + 1 if on.any() else 0),
                   dtype=np.uint8)
    new[:len(bits)] = bits
    np.bitwise_and.at(new, byte[inside], ~ones[inside])
    np.bitwise_or.at(new, byte[on], ones[on])
    return new, int(on.sum()) - int(was.sum())


def bitmap(pks: np.ndarray) -> np.ndarray:
    """`pack` of these pks (non-negative)."""
    pks = np.asarray(pks, dtype=np.int64)
    mask = np.zeros(int(pks.max()) + 1 if len(pks) else 1, dtype=bool)
    mask[pks] = True
    return pack(mask)


class Allowed(NamedTuple):
    """The rows a search may take from the index (`StoreParts.dense_reader`): the pks set in
    `bits` (`bitmap`), or, with `bits` None, every pk up to `top` (the largest in the read
    snapshot: rows the index took in after it are not the snapshot's). `count`: the rows
    set in `bits` that the index holds (0 when `bits` is None)."""

    bits: np.ndarray | None
    count: int
    top: int

    def selector(self) -> Any:
        """The FAISS ID selector of these rows (it never holds -1, the id map's tombstones).
        It points into `bits`: keep this tuple alive while a search uses it."""
        if self.bits is None:
            return faiss.IDSelectorRange(0, self.top + 1)
        return faiss.IDSelectorBitmap(len(self.bits), faiss.swig_ptr(self.bits))


def _view(vector: Any, size: int | None = None) -> np.ndarray:
    """A writable numpy view of a FAISS vector (no copy; invalid once the vector grows)."""
    size = vector.size() if size is None else size
    if not size:
        return np.zeros(0)
    return faiss.rev_swig_ptr(vector.data(), size)


class VectorIndex:
    """FAISS index keyed by cube pk (int64). Vectors must be L2-normalised (cosine = dot)."""

    def __init__(self, folder: Path, dim: int, embedder: str, flat_max: int = 10_000,
                 ef_search: int = DEFAULT_EF_SEARCH, store_id: str = "",
                 basename: str = "vectors", *, hnsw_m: int = 32, ef_construction: int = 200,
                 max_dead: float = 0.2, approx: str = "hnsw",
                 probe_share: float = IVF_PROBE_SHARE) -> None:
        if approx not in APPROX_KINDS:
            raise ValueError(f"approx must be one of {APPROX_KINDS}, got {approx!r}")
        configure_threads()
        self.folder = Path(folder)
        # Several databases may share one index folder (PostgreSQL URLs default to ./.memos):
        # the store id keeps one database from loading another's vectors.
        self.store_id = store_id
        self.index_path = self.folder / f"{basename}.faiss"
        self.meta_path = self.folder / f"{basename}.json"
        self.twin_path = self.folder / f"{basename}.twin"  # IVF: the twin's packed codes
        self.dim = dim
        self.embedder = embedder
        self.flat_max = flat_max
        self.ef_search = ef_search  # effort at <= 50k vectors; scaled with size (EF_SCALE)
        self.ef_fixed: int | None = None  # an effort used as is, whatever the size (benches)
        self.hnsw_m = hnsw_m
        self.ef_construction = ef_construction
        self.max_dead = max_dead
        self.approx = approx  # the index above flat_max: "hnsw" or "ivf"
        self.probe_share = probe_share  # IVF: share of the lists a full search visits
        self.trained_n = 0  # IVF: vectors it was trained on (0: not IVF)
        # IVF: the pks whose vectors its centroids and the twin's codebooks learnt from
        # (sorted), None when not known (a file saved before memos-vectors kept them): a
        # purge of one of them trains the IVF again without it (erase)
        self._trained_on: np.ndarray | None = None
        self._train_due = False  # a purged vector was trained on: train again before a save
        self._scan: Any = None  # IVF: the 4-bit twin searches scan (_scan_twin)
        self.seq = 0  # changelog seq this index reflects
        self.dirty = 0  # changes since the files were written
        self._ids: set[int] = set()
        self._hnsw = False
        self._unlinked: list[int] = []  # tombstoned labels still in the graph's links
        self._index: Any = self._new_flat()

    def effort(self) -> int:
        """The efSearch a full search uses at the index's present size (before the at
        least k rule); for IVF, the lists it visits."""
        if self.ef_fixed is not None:
            return self.ef_fixed
        if self.trained_n:
            nlist = int(self._index.nlist)
            return min(nlist, max(IVF_MIN_PROBES, math.ceil(self.probe_share * nlist)))
        n = len(self._ids)
        factor = next((f for limit, f in EF_SCALE if n <= limit), EF_SCALE_MAX)
        return self.ef_search * factor

    @property
    def nprobe(self) -> int:
        """The search effort under its IVF-era name (callers that copy an index's settings)."""
        return self.ef_search

    # -- structure -------------------------------------------------------------------

    def _new_flat(self) -> Any:
        return faiss.IndexIDMap2(faiss.IndexFlatIP(self.dim))

    def _new_hnsw(self) -> Any:
        graph = faiss.IndexHNSWFlat(self.dim, self.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        graph.hnsw.efConstruction = self.ef_construction
        return faiss.IndexIDMap2(graph)

    def _new_ivf(self, n: int) -> Any:
        # ~4 sqrt(n) lists, at least 39 training points per list (FAISS warns below that)
        # down to 16 lists, and never more lists than points (k-means needs one each)
        nlist = min(n, max(16, min(int(4 * math.sqrt(n)), n // 39)))
        ivf = faiss.IndexIVFFlat(faiss.IndexFlatIP(self.dim), self.dim, nlist,
                                 faiss.METRIC_INNER_PRODUCT)
        ivf.set_direct_map_type(faiss.DirectMap.Hashtable)  # removal and reconstruct by pk
        return ivf

    @property
    def kind(self) -> str:
        return "hnsw" if self._hnsw else "ivf" if self.trained_n else "flat"

    @property
    def dead(self) -> int:
        """Tombstoned labels still taking space in the graph (0 for the flat index)."""
        return int(self._index.ntotal) - len(self._ids)

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, pk: int) -> bool:
        return pk in self._ids

    def ids(self) -> set[int]:
        return set(self._ids)

    def reset(self) -> None:
        self._index, self._ids, self._hnsw, self.seq = self._new_flat(), set(), False, 0
        self._unlinked, self.trained_n, self._scan = [], 0, None
        self._trained_on, self._train_due = None, False
        self.dirty += 1

    def build(self, pks: Sequence[int], vectors: np.ndarray,
              progress: BuildProgress | None = None) -> None:
        """Replace the whole index with these vectors, flat or approximate by their number.

        MEMOS_FAISS_BUILD_THREADS lets a graph build use more cores (default: as many as
        searches, one): on an idle machine two threads nearly halve a 1M rebuild, on a busy
        one OpenMP's spin-waiting made a small build ten times slower."""
        configure_this_thread()
        self.reset()
        if len(pks) > self.flat_max:
            self._build_approx(np.asarray(pks, dtype=np.int64),
                               np.ascontiguousarray(vectors, dtype=np.float32), progress)
        else:
            self.add(pks, vectors)

    def _build_approx(self, ids: np.ndarray, vectors: np.ndarray,
                      progress: BuildProgress | None = None) -> None:
        if self.approx == "ivf":
            self._build_ivf(ids, vectors, progress)
        else:
            self._build_hnsw(ids, vectors, progress)

    def _build_ivf(self, ids: np.ndarray, vectors: np.ndarray | Callable[[np.ndarray], np.ndarray],
                   progress: BuildProgress | None = None) -> None:
        """Train an IVF for these vectors (k-means on a fixed sample: the same vectors give
        the same index) and add them. `vectors`: an (N, dim) array, or a function giving
        the vectors of positions of `ids` (a retrain reads them from the old index a batch
        at a time instead of copying them all: 1.5 GB at a million)."""
        n = len(ids)
        rows = vectors.__getitem__ if isinstance(vectors, np.ndarray) else vectors
        ivf = self._new_ivf(n)
        rng = np.random.default_rng(0)
        sample = rng.choice(n, size=min(n, 40 * ivf.nlist), replace=False)
        ivf.train(rows(sample))
        step = 50_000
        for start in range(0, n, step):
            ivf.add_with_ids(rows(np.arange(start, min(n, start + step))),
                             ids[start:start + step])
            if progress is not None:
                progress(min(n, start + step), n)
        scan, twin_sample = self._scan_twin(ivf)
        self._index, self._hnsw, self._unlinked, self.trained_n = ivf, False, [], n
        self._ids, self._scan = {int(pk) for pk in ids}, scan
        self._trained_on = np.union1d(ids[sample], np.asarray(twin_sample, dtype=np.int64))
        self._train_due = False  # trained on live vectors only
        self.dirty += n
        log.info("vector index: trained IVF with %d lists on %d vectors", ivf.nlist, n)

    def _build_hnsw(self, ids: np.ndarray, vectors: np.ndarray,
                    progress: BuildProgress | None = None) -> None:
        index = self._new_hnsw()
        threads = os.environ.get("MEMOS_FAISS_BUILD_THREADS")
        if threads:
            faiss.omp_set_num_threads(max(1, int(threads)))
        try:
            step = 20_000
            for start in range(0, len(ids), step):
                index.add_with_ids(vectors[start:start + step], ids[start:start + step])
                if progress is not None:
                    progress(min(len(ids), start + step), len(ids))
        finally:
            configure_threads()
        self._index, self._hnsw, self._unlinked, self.trained_n = index, True, [], 0
        self._scan, self._trained_on, self._train_due = None, None, False
        self._ids = {int(pk) for pk in ids}
        self.dirty += len(ids)
        log.info("vector index: built HNSW (M=%d) over %d vectors", self.hnsw_m, len(ids))

    def _live(self) -> tuple[np.ndarray, np.ndarray]:
        """(pks, vectors) of every live vector, in label order (IVF: list order)."""
        if self.trained_n:
            pks = self._ivf_ids(self._index)
            return pks, self._index.reconstruct_batch(pks)
        id_map = _view(self._index.id_map)
        labels = np.flatnonzero(id_map >= 0)
        if self._hnsw:
            return id_map[labels].copy(), self._storage()[labels].copy()
        pks = id_map[labels].copy()
        return pks, self._index.reconstruct_batch(pks)

    def _storage(self) -> np.ndarray:
        """The HNSW graph's vectors, (labels, dim), writable in place."""
        flat = faiss.downcast_index(faiss.downcast_index(self._index.index).storage)
        n = int(flat.ntotal)
        if not n:
            return np.zeros((0, self.dim), dtype=np.float32)
        return faiss.rev_swig_ptr(flat.get_xb(), n * self.dim).reshape(n, self.dim)

    # -- changes ---------------------------------------------------------------------

    def add(self, pks: Sequence[int], vectors: np.ndarray) -> None:
        """Add or replace vectors (N, dim) for these pks."""
        if not len(pks):
            return
        configure_this_thread()
        ids = np.asarray(pks, dtype=np.int64)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, self.dim)
        if not np.isfinite(vectors).all():  # before any change: FAISS would place it nowhere
            raise ValueError("vectors must be finite (no NaN or infinity)")
        present = [int(pk) for pk in pks if pk in self._ids]
        if present:
            self._drop(present)
        if self.trained_n:
            self._add_ivf(ids, vectors)
        else:
            self._index.add_with_ids(vectors, ids)
        self._ids.update(int(pk) for pk in pks)
        self.dirty += len(pks)
        if self.kind == "flat" and len(self._ids) > self.flat_max:
            # Crossing the threshold once: the flat vectors become the graph's first nodes
            # (or the IVF's training set).
            self._build_approx(*self._live())
        elif self.trained_n and len(self._ids) > 4 * self.trained_n:
            # Lists 4x fuller than trained for: retrain, reading the vectors from the old
            # index as needed (_live() would hold a copy of them all besides both indexes).
            old, live = self._index, self._ivf_ids(self._index)
            self._build_ivf(live, lambda rows: old.reconstruct_batch(live[rows]))
        elif self._hnsw and self.dead > self.max_dead * self._index.ntotal:
            self._compact()

    def remove(self, pks: Sequence[int]) -> None:
        configure_this_thread()  # the twin's lists are encoded again (FAISS uses OpenMP)
        present = [int(pk) for pk in pks if pk in self._ids]
        if present:
            self._drop(present)
            self.dirty += len(present)
            if self._hnsw and self.dead > self.max_dead * self._index.ntotal:
                self._compact()

    def erase(self, pks: Sequence[int]) -> bool:
        """After a purge of these pks (taken out with `remove`): when the IVF's centroids or
        its twin's codebooks were trained on any of their vectors, the IVF is trained again
        on the surviving vectors alone (or made flat, when they fit one) before the next
        save writes it, so that no file holds anything learnt from an erased vector. The
        centroids are means of the vectors trained on: kept, they would let whoever holds
        the files test a guess of an erased text. That costs a rebuild (2 s at 30k vectors,
        6 s at 100k, 83 s at 1M on a 2-core machine: docs/BENCHMARKS.md, "Purging a vector
        an IVF was trained on"), once however many pages of purged pks come before the
        save; purges of vectors outside the training samples cost nothing. True when a
        training is due. HNSW keeps no trained part (`_unlink` drops an erased label's links
        at the next save); flat, none at all."""
        if not self.trained_n or not len(pks):
            return False
        erased = np.asarray(pks, dtype=np.int64)
        if self._trained_on is not None and not np.isin(erased, self._trained_on).any():
            return False
        self._train_due = True
        self.dirty += 1
        return True

    def _train_again(self) -> None:
        """Train the IVF again on its live vectors, taken in pk order (the same survivors
        give the same index, whatever was erased), or make it flat when they fit one."""
        self._train_due = False
        old = self._index
        live = np.sort(self._ivf_ids(old))  # in pk order: the same survivors, the same index
        log.info("vector index: a purged vector was in the IVF's training sample; training "
                 "it again on the %d vectors left", len(live))
        if len(live) > self.flat_max:
            self._build_ivf(live, lambda rows: old.reconstruct_batch(live[rows]))
        else:
            vectors = old.reconstruct_batch(live) if len(live) else np.zeros((0, self.dim))
            seq = self.seq
            self.build(live.tolist(), vectors)  # (flat: they fit one)
            self.seq = seq
        self.dirty += 1

    def _drop(self, pks: list[int]) -> None:
        """Take these (present) pks out: removed from a flat index or IVF, tombstoned in
        HNSW."""
        self._ids.difference_update(pks)
        if self.trained_n:
            lists = self._zero_ivf(pks)
            self._index.remove_ids(np.asarray(pks, dtype=np.int64))
            for list_no in lists:
                self._twin_fill(self._scan, list_no)
            self._scan.ntotal = self._index.ntotal
            return
        if not self._hnsw:
            self._index.remove_ids(np.asarray(pks, dtype=np.int64))
            return
        id_map = _view(self._index.id_map)
        labels = np.flatnonzero(np.isin(id_map, np.asarray(pks, dtype=np.int64)))
        id_map[labels] = -1
        self._storage()[labels] = 0.0  # the bytes are gone from memory, and from the next save
        self._unlinked.extend(int(label) for label in labels)

    def _twin_m(self) -> int:
        """Codes per vector in the twin: one per TWIN_DSUB dimensions (one per dimension
        when the dimension is odd)."""
        return self.dim // TWIN_DSUB if self.dim % TWIN_DSUB == 0 else self.dim

    def _scan_twin(self, ivf: Any, codebooks: np.ndarray | None = None
                   ) -> tuple[Any, np.ndarray | None]:
        """The twin of an IVF's lists that searches scan: the same quantizer and list of
        every vector, each vector a 4-bit product code of its offset from its list's
        centroid, packed for fast scan. Its codebooks (`codebooks`, as saved beside the
        file) are trained when the IVF is, on a fixed sample of its vectors, and kept with
        the file: a twin made again at load must not learn them from whatever vectors
        survived removals. The codes are saved too (`twin_path`); they are encoded again
        from the exact lists when that file is missing or not this index's. Also returns
        the pks the codebooks were trained on (None when they were given)."""
        m = self._twin_m()
        scan = faiss.IndexIVFPQFastScan(ivf.quantizer, self.dim, ivf.nlist, m, TWIN_BITS,
                                        faiss.METRIC_INNER_PRODUCT, TWIN_BLOCK)
        scan.by_residual = True
        sample = None
        if codebooks is not None:
            faiss.copy_array_to_vector(np.asarray(codebooks, dtype=np.float32),
                                       scan.pq.centroids)
            scan.is_trained = True
        else:
            pks = self._ivf_ids(ivf)
            if not len(pks):  # offsets of centroids from themselves would all be zero
                raise ValueError("no vectors to train the IVF's twin on")
            rng = np.random.default_rng(0)
            sample = pks[rng.choice(len(pks), size=min(len(pks), TWIN_TRAIN), replace=False)]
            train = ivf.reconstruct_batch(sample)
            if len(train) < TWIN_MIN_TRAIN:  # tiny indexes (flat_max set low): repeated
                train = np.resize(train, (TWIN_MIN_TRAIN, self.dim))
            # k-means of 16 codes in 2 dimensions: 64 points a code, not FAISS's default
            # 256, for a faster training (docs/BENCHMARKS.md's recall is with 64)
            scan.pq.cp.max_points_per_centroid = TWIN_POINTS_PER_CODE
            scan.train(np.ascontiguousarray(train, dtype=np.float32))
        for list_no in range(ivf.nlist):
            if ivf.invlists.list_size(list_no):
                self._twin_fill(scan, list_no, ivf)
        scan.ntotal = ivf.ntotal
        return scan, sample

    @staticmethod
    def _centroids(scan: Any) -> np.ndarray:
        """The lists' centroids (nlist, dim): a view of the flat quantizer's storage."""
        quantizer = faiss.downcast_index(scan.quantizer)
        return faiss.rev_swig_ptr(quantizer.get_xb(), scan.nlist * scan.d).reshape(
            scan.nlist, scan.d)

    def _twin_fill(self, scan: Any, list_no: int, ivf: Any = None) -> None:
        """Make the twin's list `list_no` again from the exact list: the old packed bytes
        zeroed first (a removed vector's code leaves no trace), then every vector the exact
        list holds, packed."""
        ivf = self._index if ivf is None else ivf
        lists, blocks = ivf.invlists, faiss.downcast_InvertedLists(scan.invlists)
        old = blocks.list_size(list_no)
        if old:
            faiss.rev_swig_ptr(blocks.get_codes(list_no),
                               -(-old // TWIN_BLOCK) * blocks.block_size)[:] = 0
        size = lists.list_size(list_no)
        blocks.resize(list_no, 0)
        if size:
            exact = faiss.rev_swig_ptr(lists.get_codes(list_no), size * lists.code_size)
            vectors = exact.view(np.float32).reshape(size, self.dim)
            codes = scan.pq.compute_codes(vectors - self._centroids(scan)[list_no])
            self._twin_append(blocks, scan.get_CodePacker(), list_no,
                              faiss.rev_swig_ptr(lists.get_ids(list_no), size), codes)

    @staticmethod
    def _twin_append(blocks: Any, packer: Any, list_no: int, ids: np.ndarray,
                     codes: np.ndarray) -> None:
        """Append entries (ids, unpacked codes) to one of the twin's packed lists."""
        old, n = blocks.list_size(list_no), len(ids)
        whole = -(-old // TWIN_BLOCK)  # blocks holding entries already
        blocks.resize(list_no, old + n)
        total = -(-(old + n) // TWIN_BLOCK)
        packed = faiss.rev_swig_ptr(blocks.get_codes(list_no), total * blocks.block_size)
        packed[whole * blocks.block_size:] = 0  # fresh blocks hold no stale bytes
        faiss.rev_swig_ptr(blocks.get_ids(list_no), old + n)[old:] = ids
        codes = np.ascontiguousarray(codes, dtype=np.uint8)
        first = min(n, -old % TWIN_BLOCK)  # entries that top up the last partial block
        for i in range(first):
            packer.pack_1_c(faiss.swig_ptr(codes[i]), old + i, faiss.swig_ptr(packed))
        rest = codes[first:]
        if len(rest):  # whole blocks at a time from here (the last one padded with zeros)
            pad = -len(rest) % TWIN_BLOCK
            rest = np.concatenate([rest, np.zeros((pad, codes.shape[1]), np.uint8)])
            for b in range(len(rest) // TWIN_BLOCK):
                at = (whole + b) * blocks.block_size
                packer.pack_all(faiss.swig_ptr(rest[b * TWIN_BLOCK:(b + 1) * TWIN_BLOCK]),
                                faiss.swig_ptr(packed[at:]))

    def _add_ivf(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Add to the IVF and its twin: one assignment to lists for both, one encoding."""
        _, assign = self._index.quantizer.search(vectors, 1)
        assign = np.ascontiguousarray(assign.reshape(-1), dtype=np.int64)
        self._index.add_core(len(ids), faiss.swig_ptr(vectors), faiss.swig_ptr(ids),
                             faiss.swig_ptr(assign))
        scan = self._scan
        codes = scan.pq.compute_codes(vectors - self._centroids(scan)[assign])
        blocks, packer = faiss.downcast_InvertedLists(scan.invlists), scan.get_CodePacker()
        order = np.argsort(assign, kind="stable")
        bounds = np.flatnonzero(np.diff(assign[order])) + 1
        for group in np.split(order, bounds):
            self._twin_append(blocks, packer, int(assign[group[0]]), ids[group], codes[group])
        scan.ntotal = self._index.ntotal

    def _zero_ivf(self, pks: list[int]) -> set[int]:
        """Overwrite these vectors' exact bytes in the inverted lists with zeros before
        removal (FAISS moves a list's last entry into the hole, but a removed last entry's
        bytes would stay in the list's spare capacity); the lists they were in."""
        direct, invlists = self._index.direct_map, self._index.invlists
        size = int(invlists.code_size)
        touched = set()
        for pk in pks:
            lo = int(direct.get(int(pk)))
            list_no, offset = faiss.lo_listno(lo), faiss.lo_offset(lo)
            codes = faiss.rev_swig_ptr(invlists.get_codes(list_no),
                                       invlists.list_size(list_no) * size)
            codes[offset * size:(offset + 1) * size] = 0
            touched.add(int(list_no))
        return touched

    @staticmethod
    def _ivf_ids(index: Any) -> np.ndarray:
        invlists = index.invlists
        parts = []
        for list_no in range(index.nlist):
            size = invlists.list_size(list_no)
            if size:
                parts.append(faiss.rev_swig_ptr(invlists.get_ids(list_no), size).copy())
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    def _compact(self) -> None:
        """Rebuild the graph from the live vectors (too many tombstones slow the walks)."""
        pks, vectors = self._live()
        log.info("vector index: %d of %d labels are tombstones; rebuilding", self.dead,
                 self._index.ntotal)
        if len(pks) > self.flat_max:
            self._build_hnsw(pks, vectors)
        else:
            self._index, self._hnsw, self._unlinked = self._new_flat(), False, []
            self._ids = set()
            self.add(pks.tolist(), vectors)

    def _unlink(self) -> None:
        """Drop tombstoned labels from the graph: their own links and every link to them.

        A removed vector's neighbours say where it lay; the saved file must not. FAISS
        reads a neighbour list up to its first -1, so lists are compacted, not holed."""
        if not self._unlinked:
            return
        graph = faiss.downcast_index(self._index.index).hnsw
        n = int(self._index.ntotal)
        dead = np.zeros(n, dtype=bool)
        dead[np.asarray(self._unlinked, dtype=np.int64)] = True
        neighbors = _view(graph.neighbors)
        offsets = _view(graph.offsets).astype(np.int64)
        levels = _view(graph.levels)
        cum = _view(graph.cum_nneighbor_per_level).astype(np.int64)
        for label in np.flatnonzero(dead):
            neighbors[offsets[label]:offsets[label + 1]] = -1
        hits = np.flatnonzero(dead[np.maximum(neighbors, 0)] & (neighbors >= 0))
        if len(hits):
            nodes = np.searchsorted(offsets, hits, side="right") - 1
            level = np.searchsorted(cum, hits - offsets[nodes], side="right") - 1
            starts, first = np.unique(offsets[nodes] + cum[level], return_index=True)
            ends = starts + (cum[level + 1] - cum[level])[first]
            for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
                links = neighbors[start:end]
                keep = links[links >= 0]
                keep = keep[~dead[keep]]
                links[:] = -1
                links[:len(keep)] = keep
        if dead[graph.entry_point]:
            live = np.flatnonzero(_view(self._index.id_map) >= 0)
            if len(live):  # the highest live node enters the graph instead
                top = int(live[np.argmax(levels[live])])
                graph.entry_point, graph.max_level = top, int(levels[top]) - 1
        self._unlinked = []

    def _codebooks(self) -> np.ndarray:
        """The twin's trained codebooks, flat (what the meta file keeps)."""
        return faiss.vector_to_array(self._scan.pq.centroids)

    def vectors(self, pks: Sequence[int]) -> np.ndarray:
        """Stored vectors of these pks (all must be present), shape (N, dim)."""
        if not len(pks):
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._index.reconstruct_batch(np.asarray(pks, dtype=np.int64))

    # -- search ----------------------------------------------------------------------

    def search(self, queries: np.ndarray, n: int, nprobe: int | None = None,
               allow: Allowed | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Approximate top-n over all vectors: (scores, pks), each (Q, min(n, len(self)));
        pk -1 = no hit.

        Any `nprobe` asks for a quick look instead of the full effort (near-duplicate
        checks: a twin sits right next to its vector). `allow` restricts the search to its
        rows: the top-n among them, not the top-n of all with the others dropped (a
        reader's search, docs/SECURITY.md). An approximate index may then return fewer than
        n: it keeps only `allow`'s rows of the nodes or lists it visits, which are more the
        smaller their share (at most SHARE_EFFORT_MAX times as many)."""
        configure_this_thread()
        queries = np.ascontiguousarray(queries, dtype=np.float32).reshape(-1, self.dim)
        if not self._ids:
            shape = (queries.shape[0], n)
            return np.zeros(shape, dtype=np.float32), -np.ones(shape, dtype=np.int64)
        k = min(n, len(self._ids))
        if allow is not None and allow.bits is not None and (
                allow.bits.dtype != np.uint8 or not allow.bits.flags.c_contiguous):
            raise ValueError("Allowed.bits must be a contiguous uint8 array (bitmap())")
        sel = None if allow is None else allow.selector()
        # Among a share of the rows, a search visits more nodes (lists) to find as many of
        # them: the effort divided by the share, up to SHARE_EFFORT_MAX times itself.
        scale = 1.0
        if allow is not None and allow.bits is not None and nprobe is None:
            share = max(allow.count, 1) / len(self._ids)
            scale = min(SHARE_EFFORT_MAX, max(1.0, 1.0 / share))
        if self.trained_n:
            nlist = int(self._index.nlist)
            probes = (min(nlist, QUICK_PROBES) if nprobe is not None
                      else min(nlist, math.ceil(self.effort() * scale)))
            return self._search_ivf(queries, k, probes, sel)
        if self._hnsw:
            ef = max(k, QUICK_EF_SEARCH if nprobe is not None
                     else math.ceil(self.effort() * scale))
            params = faiss.SearchParametersHNSW(efSearch=ef)
            if sel is not None:
                params.sel = sel
            elif self.dead:
                params.sel = _ALIVE  # id map entries of tombstones are -1
        else:
            params = None if sel is None else faiss.SearchParameters(sel=sel)
        return self._index.search(queries, k, params=params)

    def _search_ivf(self, queries: np.ndarray, k: int, probes: int, sel: Any = None
                    ) -> tuple[np.ndarray, np.ndarray]:
        """Scan the 4-bit twin for REFINE * k candidates (among `sel`'s ids, if given), then
        rank them by their exact vectors (the scores returned are exact)."""
        params = faiss.SearchParametersIVF(nprobe=probes)
        if sel is not None:
            params.sel = sel
        _, found = self._scan.search(queries, min(len(self._ids), REFINE * k), params=params)
        out_scores = np.zeros((len(queries), k), dtype=np.float32)
        out_pks = np.full((len(queries), k), -1, dtype=np.int64)
        for row, query in enumerate(queries):
            pks = found[row][found[row] >= 0]
            if not len(pks):
                continue
            scores = self._index.reconstruct_batch(pks) @ query
            best = np.argsort(-scores, kind="stable")[:k]
            out_scores[row, :len(best)], out_pks[row, :len(best)] = scores[best], pks[best]
        return out_scores, out_pks

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

    def exact_search(self, queries: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Brute-force top-n over every live vector (the reference recall is measured
        against): (scores, pks), each (Q, n)."""
        queries = np.ascontiguousarray(queries, dtype=np.float32).reshape(-1, self.dim)
        k = min(n, len(self._ids))
        if not k:
            return np.zeros((len(queries), 0), np.float32), np.zeros((len(queries), 0), np.int64)
        if self.trained_n:
            pks, vectors = self._live()
            scores, rows = faiss.knn(queries, vectors, k, metric=faiss.METRIC_INNER_PRODUCT)
            return scores, np.where(rows >= 0, pks[np.maximum(rows, 0)], -1)
        if not self._hnsw:  # the flat index is exact already
            return self._index.search(queries, k)
        # Scan the graph's own storage (no copy); tombstones are zero vectors, so ask for
        # enough rows to drop them and still have k.
        id_map = _view(self._index.id_map)
        scores, rows = faiss.knn(queries, self._storage(), min(k + self.dead, len(id_map)),
                                 metric=faiss.METRIC_INNER_PRODUCT)
        out_scores = np.zeros((len(queries), k), np.float32)
        out_pks = np.full((len(queries), k), -1, np.int64)
        for i in range(len(queries)):
            pks = np.where(rows[i] >= 0, id_map[np.maximum(rows[i], 0)], -1)
            keep = pks >= 0
            out_pks[i] = pks[keep][:k]
            out_scores[i] = scores[i][keep][:k]
        return out_scores, out_pks

    # -- files -----------------------------------------------------------------------

    @contextlib.contextmanager
    def _file_lock(self, exclusive: bool) -> Iterator[None]:
        """Several processes may save and load one folder: the files must be replaced and
        read together, or a meta file could describe another process's index."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.index_path.with_suffix(".lock"), "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def save(self, force: bool = False) -> bool:
        """Write the files atomically (the index, an IVF's twin, then the meta file that
        names them: temp file, fsync, rename, fsync of the folder, under the folder's lock).
        Never moves the files backwards: when the files on disk record a later changelog seq
        than this index (another process saved after a change this one has not applied, e.g.
        a purge), nothing is written and False is returned; the caller catches up and saves
        again. `force` overwrites anyway (a file found ahead of SQL at
        open belongs to another database or a restored backup)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        if self._hnsw:
            self._unlink()
        if self._train_due:  # a purged vector was trained on (erase)
            self._train_again()
        # Temp names of this save alone (the process id and a token: two instances of one
        # store in one process may save at once), each claimed by a lock this save holds
        # until it is renamed or removed (`_remove_stale_temps` leaves a claimed one).
        mine = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        tmp = self.index_path.with_name(f"{self.index_path.name}.{mine}.tmp")
        tmp_meta = self.meta_path.with_name(f"{self.meta_path.name}.{mine}.tmp")
        tmp_twin = self.twin_path.with_name(f"{self.twin_path.name}.{mine}.tmp")
        claims: list[int] = []
        meta = {"format": FORMAT, "store_id": self.store_id, "seq": self.seq,
                "embedder": self.embedder, "dim": self.dim, "kind": self.kind,
                "count": len(self._ids), "labels": int(self._index.ntotal),
                "trained_n": self.trained_n}
        if self._scan is not None:  # the twin's codebooks (_scan_twin), float32 in base64
            meta["codebooks"] = base64.b64encode(
                self._codebooks().astype("<f4").tobytes()).decode("ascii")
        if self._trained_on is not None:  # the pks trained on (erase), a bitmap in base64
            meta["trained_on"] = base64.b64encode(
                bitmap(self._trained_on).tobytes()).decode("ascii")
        try:
            for path in (tmp, tmp_meta) + ((tmp_twin,) if self._scan is not None else ()):
                claims.append(_claim(path))
            faiss.write_index(self._index, str(tmp))
            _fsync(tmp)
            if self._scan is not None:
                # The twin's codes too, so that an open reads them instead of encoding every
                # vector again; written from memory like the lists, so a removed vector's
                # code is not in it. The meta records its digest: a twin file that is not
                # this save's (a crash between the renames, an older memos's save) is never
                # taken for it.
                faiss.write_index(self._scan, str(tmp_twin))
                _fsync(tmp_twin)
                meta["twin_sha256"] = _sha256(tmp_twin)
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
                if self._scan is not None:
                    os.replace(tmp_twin, self.twin_path)
                else:
                    with contextlib.suppress(FileNotFoundError):
                        self.twin_path.unlink()
                os.replace(tmp_meta, self.meta_path)
                _fsync_dir(self.folder)
                self._remove_stale_temps()
        except (RuntimeError, OSError) as exc:  # FAISS raises RuntimeError for I/O errors
            if isinstance(exc, OSError):
                detail = f"{exc.filename or self.folder}: {exc.strerror or exc}"
            else:
                detail = " ".join(str(exc).split())[-200:]
            raise StoreError(
                f"could not write the vector index files in {self.folder} ({detail}): the "
                "memories are saved in the database, and the index catches up from it when "
                "the store is next opened; free some disk space (or raise the file size "
                "limit), make the files writable or move them away (they are rebuilt from "
                "SQL), then run `memos check --repair`") from exc
        finally:
            for path in (tmp, tmp_meta, tmp_twin):
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
            for fd in claims:
                os.close(fd)
        self.dirty = 0
        return True

    def _disk_seq(self) -> int | None:
        """The seq the files on disk record, when they are this store's (None otherwise)."""
        try:
            meta = json.loads(self.meta_path.read_text())
            if meta.get("format") in READ_FORMATS and meta.get("store_id") == self.store_id:
                return int(meta["seq"])
        except (OSError, ValueError, KeyError, TypeError):
            pass
        return None

    def _remove_stale_temps(self) -> None:
        """Temp files left by a save that died midway may hold vectors since erased. A save
        holds a lock on each of its temp files (`_claim`), so one that can be locked here
        belongs to no save under way: in this process, another, or another container or
        machine writing the same folder, whose process ids mean nothing here."""
        for path in self.folder.glob(f"{self.index_path.stem}.*.*.tmp"):
            try:
                fd = os.open(path, os.O_RDONLY)
            except OSError:
                continue  # renamed or removed meanwhile
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue  # claimed: a save is writing it
            else:
                with contextlib.suppress(OSError):
                    path.unlink()
            finally:
                os.close(fd)

    def load(self) -> bool:
        """Read the files; False (index left empty) when missing, corrupt, of another format
        or for another embedder."""
        index_path, meta_path = self.index_path, self.meta_path
        if not index_path.exists() or not meta_path.exists():
            return False
        configure_this_thread()  # an IVF's twin is encoded here (FAISS uses OpenMP)
        try:
            with self._file_lock(exclusive=False):
                meta = json.loads(meta_path.read_text())
                if meta.get("format") not in READ_FORMATS:  # checked first: old files are not parsed
                    raise ValueError(f"format {meta.get('format')!r}, not {FORMAT!r}")
                index = faiss.read_index(str(index_path))
                saved_twin = self._read_twin(meta)  # under the lock: the file hashed is read
            kind = meta.get("kind")
            if kind not in ("flat", self.approx):  # the other approximate kind: rebuilt
                raise ValueError(f"the file holds a {kind} index, this embedder uses {self.approx}")
            hnsw, ivf = kind == "hnsw", kind == "ivf"
            if ivf:
                inner, ids = index, None
                if isinstance(index, faiss.IndexIVFFlat):
                    if index.direct_map.type != faiss.DirectMap.Hashtable:
                        index.set_direct_map_type(faiss.DirectMap.Hashtable)
                    ids = self._ivf_ids(index)
                expected: Any = faiss.IndexIVFFlat
            else:
                inner = faiss.downcast_index(index.index) if hasattr(index, "id_map") else None
                expected = faiss.IndexHNSWFlat if hnsw else faiss.IndexFlatIP
                ids = faiss.vector_to_array(index.id_map) if inner is not None else None
            if (meta.get("store_id") != self.store_id or meta.get("embedder") != self.embedder
                    or meta.get("dim") != self.dim or index.d != self.dim
                    or not isinstance(inner, expected) or ids is None
                    or index.ntotal != meta.get("labels")
                    or int((ids >= 0).sum()) != meta.get("count")):
                raise ValueError(f"metadata does not match the index file: {meta}")
            # A twin file this load did not use (none named, or not this index's; or the index
            # is no longer an IVF) is rewritten or removed by the next save: it may hold
            # the code of a vector removed since (an older memos saved without it).
            trained_n, scan, stale = 0, None, self.twin_path.exists()
            trained_on = None
            if ivf:
                trained_n = int(meta.get("trained_n") or 0)
                if isinstance(meta.get("trained_on"), str):  # (saved since 2026-12-06)
                    trained_on = np.flatnonzero(np.unpackbits(np.frombuffer(
                        base64.b64decode(meta["trained_on"]), dtype=np.uint8),
                        bitorder="little")).astype(np.int64)
                codebooks = None
                if meta["format"] == FORMAT:  # /3 keeps the codebooks; /2 (8-bit) had none
                    codebooks = np.frombuffer(base64.b64decode(meta.get("codebooks") or ""),
                                              dtype="<f4").astype(np.float32)
                    if codebooks.shape != ((1 << TWIN_BITS) * self.dim,):
                        raise ValueError("the twin's codebooks do not fit the dimension")
                elif index.ntotal < TWIN_MIN_TRAIN:
                    raise ValueError(f"{index.ntotal} vectors are too few to train the twin "
                                     "again")
                if trained_n < 1 or index.metric_type != faiss.METRIC_INNER_PRODUCT:
                    raise ValueError(f"metadata does not match the IVF file: {meta}")
                scan = self._saved_twin(saved_twin, index, codebooks)
                stale = scan is None  # then the next save writes this index's twin file
                if scan is None:  # none saved, or not this index's: encoded again
                    scan, twin_sample = self._scan_twin(index, codebooks)
                    if twin_sample is not None:  # (a /2 file: codebooks trained here)
                        trained_on = None if trained_on is None else np.union1d(
                            trained_on, twin_sample)
            seq = int(meta["seq"])
        except (OSError, ValueError, RuntimeError, TypeError) as exc:  # base64: ValueError
            log.warning("vector index files in %s are unusable (%s); rebuilding from SQL",
                        self.folder, exc)
            return False
        self._index, self._hnsw, self.seq = index, hnsw, seq
        self.trained_n, self._scan, self._trained_on = trained_n, scan, trained_on
        self._train_due = False
        self._ids = {int(i) for i in ids if i >= 0}
        self._unlinked = []
        # A /2 file's twin was trained again here, or the twin file is stale: the next save
        # (flush, close) writes the files again.
        self.dirty = 0 if meta["format"] == FORMAT and not stale else 1
        return True

    def _read_twin(self, meta: dict[str, Any]) -> Any:
        """The twin file as FAISS reads it, when it is the file the meta names (its
        digest); else None. (read_index gives the subclass and owns it: no downcast,
        whose proxy would not.)"""
        digest = meta.get("twin_sha256")
        if meta.get("kind") != "ivf" or not isinstance(digest, str):
            return None
        try:
            if _sha256(self.twin_path) != digest:
                return None
            return faiss.read_index(str(self.twin_path))
        except (OSError, RuntimeError):
            return None

    def _saved_twin(self, scan: Any, ivf: Any, codebooks: np.ndarray | None) -> Any:
        """The saved twin, when it is the one made for this IVF with these codebooks."""
        if scan is None or codebooks is None:
            return None
        if (not isinstance(scan, faiss.IndexIVFPQFastScan) or scan.nlist != ivf.nlist
                or scan.d != self.dim or scan.ntotal != ivf.ntotal or not scan.by_residual
                or scan.M != self._twin_m() or scan.bbs != TWIN_BLOCK
                or not np.array_equal(self._centroids(scan), self._centroids(ivf))
                or not np.array_equal(faiss.vector_to_array(scan.pq.centroids), codebooks)):
            return None
        exact, packed = ivf.invlists, scan.invlists  # every list: the same ids, in order
        for list_no in range(ivf.nlist):
            size = exact.list_size(list_no)
            if packed.list_size(list_no) != size or (size and not np.array_equal(
                    faiss.rev_swig_ptr(exact.get_ids(list_no), size),
                    faiss.rev_swig_ptr(packed.get_ids(list_no), size))):
                return None
        return scan

    def remove_files(self) -> None:
        for path in (self.index_path, self.meta_path, self.twin_path):
            if path.exists():
                path.unlink()
