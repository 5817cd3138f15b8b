"""Blob store: immutable tensor files named by the sha256 of their bytes, indexed in SQL.

Activation slots, saved session states and adapters are bundles of named tensors. Each bundle
is written once as a safetensors file `<folder>/<hash[:2]>/<hash>.safetensors` (temp file,
fsync, rename, fsync of the folder: a crash leaves either no file or the whole file) and
recorded in the `blobs` table (hash, bytes, kind, model fingerprint, reference count).

A blob is never changed in place: new tensors are a new hash. Reading memory-maps the file
and checks its hash first, so a truncated or altered file is never served (`BlobError`, which
callers treat as a miss). A blob made by one model refuses to load for another
(`FingerprintMismatchError`).

On a PostgreSQL store the rows are shared, the files are not: each machine keeps its blob
folder beside its FAISS files, and a blob whose file is missing here is re-derived from its
source cube (blobs are caches of what SQL already holds; nothing is lost with the folder).
"""

from __future__ import annotations

import hashlib
import json
import mmap
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from memos.cube import utcnow
from memos.errors import BlobError, FingerprintMismatchError, InvalidInputError
from memos.stores.schema import BlobRow

if TYPE_CHECKING:  # torch and safetensors load on first put/load: purge and gc need neither
    import torch

SUFFIX = ".safetensors"
# A temp file older than this is a crash's leftover, not a write in progress (a blob, even
# an adapter's weights, is written in well under a second).
ORPHAN_AGE_S = 3600.0


@dataclass(frozen=True)
class BlobInfo:
    hash: str
    bytes: int
    kind: str
    fingerprint: str | None
    refs: int


@dataclass
class BlobCheck:
    """What `BlobStore.check` found: rows without a file, files without a row, files whose
    bytes no longer match their name."""

    missing: list[str]
    orphaned: list[str]
    corrupt: list[str]

    @property
    def ok(self) -> bool:
        return not (self.missing or self.orphaned or self.corrupt)


def _digest(data: bytes | mmap.mmap) -> str:
    return hashlib.sha256(data).hexdigest()


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # some platforms cannot open folders; the rename is still atomic
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _serialize(tensors: dict[str, torch.Tensor], kind: str, fingerprint: str | None,
               header: dict[str, str] | None) -> bytes:
    """A bundle as the bytes of its blob file (safetensors, the header in its metadata)."""
    from safetensors.torch import save as save_safetensors

    if not tensors:
        raise InvalidInputError("a blob needs at least one tensor")
    if not kind or len(kind) > 32:
        raise InvalidInputError("blob kind must be 1 to 32 characters")
    # One metadata key: safetensors keeps metadata in a hash map, so two keys could be
    # written in either order and the same tensors would get two names.
    meta = {"memos": json.dumps({**(header or {}), "kind": kind,
                                 "fingerprint": fingerprint or ""}, sort_keys=True)}
    return save_safetensors({k: v.detach().contiguous().cpu() for k, v in tensors.items()},
                            metadata=meta)


class BlobStore:
    """Tensor bundles on disk under `folder`, rows in SQL (through the caller's session)."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)

    def path(self, blob_hash: str) -> Path:
        if len(blob_hash) != 64 or any(c not in "0123456789abcdef" for c in blob_hash):
            raise InvalidInputError(f"{blob_hash!r} is not a blob hash (64 lowercase hex digits)")
        return self.folder / blob_hash[:2] / f"{blob_hash}{SUFFIX}"

    # -- writes ------------------------------------------------------------------------

    def put(self, session: Session, tensors: dict[str, torch.Tensor], *, kind: str,
            fingerprint: str | None = None, header: dict[str, str] | None = None) -> BlobInfo:
        """Write a bundle (or find it already written) and count one more reference.

        `header` (e.g. the owner and the source cube version) goes into the file's metadata:
        it makes the name differ per owner and source, so no two owners ever share a file,
        and `load(expect=...)` checks it."""
        data = _serialize(tensors, kind, fingerprint, header)
        blob_hash = _digest(data)
        target = self.path(blob_hash)
        if not (target.exists() and self._verified(target, blob_hash)):
            self._write_atomic(target, data)
        row = session.get(BlobRow, blob_hash)
        if row is None:
            row = BlobRow(hash=blob_hash, bytes=len(data), kind=kind, fingerprint=fingerprint,
                          refs=1, created_at=utcnow())
            session.add(row)
            session.flush()
        else:
            session.execute(update(BlobRow).where(BlobRow.hash == blob_hash)
                            .values(refs=BlobRow.refs + 1))
        return BlobInfo(blob_hash, len(data), kind, fingerprint, (row.refs or 0))

    @staticmethod
    def file_layout(tensors: dict[str, torch.Tensor], *, kind: str,
                    fingerprint: str | None = None, header: dict[str, str] | None = None
                    ) -> tuple[int, int]:
        """(header JSON bytes without padding, tensor bytes) of the file `put` would write
        for this bundle, writing nothing: with `file_size`, what a blob of the same tensors
        and a longer header will take (the scheduler budgets promotions with it)."""
        data = _serialize(tensors, kind, fingerprint, header)
        n = int.from_bytes(data[:8], "little")
        return len(data[8:8 + n].rstrip(b" ")), len(data) - 8 - n

    @staticmethod
    def file_size(header_bytes: int, tensor_bytes: int) -> int:
        """A safetensors file's size: 8 length bytes, the header padded to 8, the data."""
        return 8 + -(-header_bytes // 8) * 8 + tensor_bytes

    def _write_atomic(self, target: Path, data: bytes) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=SUFFIX, dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _fsync_dir(target.parent)

    def release(self, session: Session, blob_hash: str) -> int:
        """Count one reference less; returns the references left (the file stays until
        `collect`, so a reader holding the hash is never cut off mid-read)."""
        session.execute(update(BlobRow).where(BlobRow.hash == blob_hash, BlobRow.refs > 0)
                        .values(refs=BlobRow.refs - 1))
        row = session.get(BlobRow, blob_hash)
        return 0 if row is None else int(row.refs)

    def erase(self, session: Session, blob_hashes: list[str]) -> int:
        """Delete these blobs now, row and file, whatever their references (purge, forget).
        Returns the number of files removed."""
        removed = 0
        for blob_hash in blob_hashes:
            session.execute(delete(BlobRow).where(BlobRow.hash == blob_hash))
            path = self.path(blob_hash)
            if path.exists():
                path.unlink()
                removed += 1
        return removed

    def collect(self, session: Session) -> list[str]:
        """Remove blobs nobody references any more (the scheduler's and `gc`'s job)."""
        dead = list(session.execute(select(BlobRow.hash).where(BlobRow.refs <= 0)).scalars())
        self.erase(session, dead)
        return dead

    # -- reads -------------------------------------------------------------------------

    def _verified(self, path: Path, blob_hash: str) -> bool:
        try:
            with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
                return _digest(mm) == blob_hash
        except (OSError, ValueError):  # missing, unreadable, or empty (mmap of 0 bytes)
            return False

    def load(self, blob_hash: str, *, fingerprint: str | None = None,
             expect: dict[str, str] | None = None) -> dict[str, torch.Tensor]:
        """The bundle's tensors, after checking the file's hash (and, if given, that the
        model fingerprint matches the one the blob was made with, and that the header holds
        `expect`'s values)."""
        from safetensors import SafetensorError, safe_open

        path = self.path(blob_hash)
        try:
            with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
                if _digest(mm) != blob_hash:
                    raise BlobError(f"blob {blob_hash[:12]} does not match its hash; it is "
                                    f"re-derived on next use, or run `memos check --repair`")
            # The bytes match their name: map the tensors from the file (no copy of it).
            with safe_open(str(path), framework="pt") as st:
                header_meta = dict(st.metadata() or {})
                tensors = {name: st.get_tensor(name) for name in st.keys()}  # noqa: SIM118
        except FileNotFoundError as exc:
            raise BlobError(f"blob {blob_hash[:12]} is missing from {self.folder}; it is "
                            f"re-derived on next use, or run `memos check --repair`") from exc
        except (OSError, ValueError, SafetensorError) as exc:
            raise BlobError(f"blob {blob_hash[:12]} cannot be read ({exc}); it is re-derived "
                            f"on next use, or run `memos check --repair`") from exc
        try:
            header = json.loads(header_meta.get("memos", "{}"))
        except ValueError:
            header = {}
        header = header if isinstance(header, dict) else {}
        made_by = header.get("fingerprint") or None
        for key, value in (expect or {}).items():
            if header.get(key) != value:
                raise BlobError(f"blob {blob_hash[:12]} was not made for this cube ({key} "
                                f"differs); it is encoded again")
        if fingerprint is not None and made_by != fingerprint:
            raise FingerprintMismatchError(
                f"blob {blob_hash[:12]} was made by model {str(made_by)[:12]}, not "
                f"{fingerprint[:12]}; encode the memory again with this model")
        return tensors

    def info(self, session: Session, blob_hash: str) -> BlobInfo | None:
        row = session.get(BlobRow, blob_hash)
        if row is None:
            return None
        return BlobInfo(row.hash, row.bytes, row.kind, row.fingerprint, row.refs)

    def check(self, session: Session) -> BlobCheck:
        """Compare rows with files: missing files, files without a row, corrupt files."""
        rows = set(session.execute(select(BlobRow.hash)).scalars())
        files = self._files()
        corrupt = sorted(h for h, p in files.items() if h in rows and not self._verified(p, h))
        return BlobCheck(missing=sorted(rows - set(files)), orphaned=sorted(set(files) - rows),
                         corrupt=corrupt)

    def unnamed_files(self, session: Session) -> list[str]:
        """Hash-named files that no row names (what `check` calls orphaned), found from file
        and row names alone: no file is read."""
        rows = set(session.execute(select(BlobRow.hash)).scalars())
        return sorted(set(self._files()) - rows)

    def _files(self) -> dict[str, Path]:
        if not self.folder.exists():
            return {}
        return {p.name[:-len(SUFFIX)]: p for p in self.folder.glob(f"*/*{SUFFIX}")
                if not p.name.startswith(".tmp-")}

    def remove_files(self, blob_hashes: list[str]) -> int:
        """Delete these files (ones `check` found without a row)."""
        removed = 0
        for blob_hash in blob_hashes:
            path = self.path(blob_hash)
            if path.exists():
                path.unlink()
                removed += 1
        return removed

    def remove_orphans(self, min_age_s: float = ORPHAN_AGE_S) -> int:
        """Delete temp files a crash left behind (never served: they have no hash name),
        those last written at least `min_age_s` ago: a younger one may be a write still in
        progress, in another thread or process (gc ran beside a `put` and took its file
        from under its rename)."""
        if not self.folder.exists():
            return 0
        cutoff = time.time() - min_age_s
        removed = 0
        for p in self.folder.glob(f"*/.tmp-*{SUFFIX}"):
            try:
                if p.stat().st_mtime > cutoff:
                    continue
                p.unlink()
            except FileNotFoundError:  # renamed or removed meanwhile
                continue
            removed += 1
        return removed


__all__ = ["ORPHAN_AGE_S", "BlobCheck", "BlobInfo", "BlobStore"]
