"""The blob store: content-addressed, atomic, verified on read, fingerprint-checked."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import torch

from memos.errors import BlobError, FingerprintMismatchError, InvalidInputError
from memos.stores.blobs import ORPHAN_AGE_S, BlobStore
from memos.stores.repository import Repository


@pytest.fixture
def repo(tmp_path: Path):
    r = Repository(f"sqlite:///{tmp_path / 'memos.db'}")
    yield r
    r.close()


def _bundle(seed: int = 0) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return {"k": torch.randn(2, 3, 4, generator=g), "mask": torch.ones(3, dtype=torch.bool)}


def test_put_load_roundtrip_is_content_addressed(repo, tmp_path):
    blobs = BlobStore(tmp_path / "blobs")
    with repo.write() as s:
        a = blobs.put(s, _bundle(0), kind="slots", fingerprint="fp1")
        again = blobs.put(s, _bundle(0), kind="slots", fingerprint="fp1")
        b = blobs.put(s, _bundle(1), kind="slots", fingerprint="fp1")
    assert a.hash == again.hash != b.hash  # same tensors, same name; other tensors, new name
    assert blobs.path(a.hash).read_bytes()  # written under its own hash
    out = blobs.load(a.hash, fingerprint="fp1")
    assert torch.equal(out["k"], _bundle(0)["k"]) and out["mask"].dtype == torch.bool
    with repo.read() as s:
        assert blobs.info(s, a.hash).refs == 2
        assert blobs.check(s).ok


def test_other_fingerprint_never_loads(repo, tmp_path):
    blobs = BlobStore(tmp_path / "blobs")
    with repo.write() as s:
        info = blobs.put(s, _bundle(), kind="slots", fingerprint="model-a")
    with pytest.raises(FingerprintMismatchError):
        blobs.load(info.hash, fingerprint="model-b")


@pytest.mark.parametrize("damage", ["flip", "truncate", "empty", "delete"])
def test_corrupt_or_missing_blob_is_never_served(repo, tmp_path, damage):
    blobs = BlobStore(tmp_path / "blobs")
    with repo.write() as s:
        info = blobs.put(s, _bundle(), kind="slots", fingerprint="fp")
    path = blobs.path(info.hash)
    data = bytearray(path.read_bytes())
    if damage == "flip":
        data[-1] ^= 0xFF
        path.write_bytes(bytes(data))
    elif damage == "truncate":
        path.write_bytes(bytes(data[: len(data) // 2]))
    elif damage == "empty":
        path.write_bytes(b"")
    else:
        path.unlink()
    with pytest.raises(BlobError):
        blobs.load(info.hash, fingerprint="fp")
    with repo.read() as s:
        report = blobs.check(s)
    assert not report.ok
    assert (report.missing if damage == "delete" else report.corrupt) == [info.hash]


def test_release_collect_and_erase(repo, tmp_path):
    blobs = BlobStore(tmp_path / "blobs")
    with repo.write() as s:
        kept = blobs.put(s, _bundle(0), kind="slots")
        dropped = blobs.put(s, _bundle(1), kind="state")
        assert blobs.release(s, dropped.hash) == 0
        assert blobs.collect(s) == [dropped.hash]
    assert not blobs.path(dropped.hash).exists() and blobs.path(kept.hash).exists()
    with repo.write() as s:
        assert blobs.erase(s, [kept.hash]) == 1
        assert blobs.info(s, kept.hash) is None
    assert not blobs.path(kept.hash).exists()


def test_bad_hash_and_bad_kind_are_input_errors(repo, tmp_path):
    blobs = BlobStore(tmp_path / "blobs")
    for bad in ("", "../../etc/passwd", "A" * 64, "0" * 63):
        with pytest.raises(InvalidInputError):
            blobs.load(bad)
    with repo.write() as s, pytest.raises(InvalidInputError):
        blobs.put(s, _bundle(), kind="")


def test_kill_during_write_leaves_no_servable_blob(tmp_path):
    """A writer killed between writing the temp file and renaming it leaves only a temp
    file, which is never served and is removed by remove_orphans."""
    folder = tmp_path / "blobs"
    script = textwrap.dedent(f"""
        import os, torch
        from memos.stores import blobs as mod
        real_replace = os.replace
        def die(src, dst):
            os._exit(9)  # killed after the bytes are on disk, before the rename
        mod.os.replace = die
        from memos.stores.repository import Repository
        repo = Repository("sqlite:///{tmp_path / 'memos.db'}")
        with repo.write() as s:
            mod.BlobStore({str(folder)!r}).put(s, {{"k": torch.ones(4)}}, kind="slots")
    """)
    proc = subprocess.run([sys.executable, "-c", script], env={**os.environ}, timeout=120)
    assert proc.returncode == 9
    named = [p for p in folder.glob("*/*.safetensors") if not p.name.startswith(".tmp-")]
    left = list(folder.glob("*/.tmp-*"))
    assert named == [] and len(left) == 1
    # A temp file as young as this may be a write in progress (another thread's, another
    # process's): kept. Once it is older than any write takes, it is a crash's: removed.
    assert BlobStore(folder).remove_orphans() == 0 and left[0].exists()
    old = time.time() - ORPHAN_AGE_S - 60
    os.utime(left[0], (old, old))
    assert BlobStore(folder).remove_orphans() == 1 and not left[0].exists()
    repo = Repository(f"sqlite:///{tmp_path / 'memos.db'}")
    try:
        with repo.read() as s:
            assert BlobStore(folder).check(s).ok  # the transaction never committed a row
    finally:
        repo.close()
