"""A purge reaches what an IVF learnt: its centroids and its twin's codebooks are means of
the vectors they were trained on, so a purged vector among those trains the IVF again on
the survivors alone (VectorIndex.erase), and the files then say nothing of which vector was
erased. Vectors outside the training samples are erased without a training."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import faiss
import numpy as np
import pytest

from memos import MemOS
from memos.config import MemosConfig
from stores.vector_index import VectorIndex


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def ivf(folder: Path, n: int, dim: int, secret: np.ndarray | None, flat_max: int = 50
        ) -> tuple[VectorIndex, np.ndarray]:
    rows = unit(np.random.default_rng(3).standard_normal((n, dim)))
    if secret is not None:
        rows[6] = secret  # pk 7
    index = VectorIndex(folder, dim, "test", flat_max=flat_max, approx="ivf")
    index.build(list(range(1, n + 1)), rows)
    assert index.kind == "ivf"
    return index, rows


def trained_parts(index: VectorIndex) -> tuple[np.ndarray, np.ndarray]:
    return (VectorIndex._centroids(index._index).copy(),
            faiss.vector_to_array(index._scan.pq.centroids).copy())


def test_an_erased_training_vector_leaves_no_trace_in_the_saved_files(tmp_path: Path) -> None:
    """Two indexes that differ only in the vector of pk 7, which is then purged: the files
    they save are the same, byte for byte."""
    rng = np.random.default_rng(9)
    files = []
    for name in ("a", "b"):
        index, _ = ivf(tmp_path / name, 600, 16, unit(rng.standard_normal((1, 16)))[0])
        before = trained_parts(index)
        assert 7 in index._trained_on
        index.remove([7])
        assert index.erase([7]) is True
        assert index.save(force=True)
        after = trained_parts(index)
        assert not np.array_equal(before[0], after[0])  # trained again
        assert index.kind == "ivf" and 7 not in index.ids() and len(index) == 599
        files.append((tmp_path / name / "vectors.faiss").read_bytes())
        files.append((tmp_path / name / "vectors.twin").read_bytes())
        meta = json.loads((tmp_path / name / "vectors.json").read_text())
        files.append(meta["codebooks"])
        files.append(meta["trained_on"])
    assert files[0] == files[4] and files[1] == files[5]
    assert files[2] == files[6] and files[3] == files[7]


def test_the_training_sample_survives_a_reopen_and_a_later_purge_trains_again(
        tmp_path: Path) -> None:
    index, _ = ivf(tmp_path, 600, 16, None)
    index.save()
    again = VectorIndex(tmp_path, 16, "test", flat_max=50, approx="ivf")
    assert again.load() and np.array_equal(again._trained_on, index._trained_on)
    again.remove([11])
    assert again.erase([11]) and again.save()
    assert 11 not in again._trained_on and set(again._trained_on.tolist()) <= again.ids()


def test_a_vector_outside_the_training_samples_is_erased_without_a_training(
        tmp_path: Path) -> None:
    """Above ~25k vectors an IVF trains on a sample: erasing a vector it never saw keeps
    the trained parts as they are."""
    index, _ = ivf(tmp_path, 30_000, 8, None, flat_max=10_000)
    trained = set(index._trained_on.tolist())
    outside = next(pk for pk in range(1, 30_001) if pk not in trained)
    before = trained_parts(index)
    index.remove([outside])
    assert index.erase([outside]) is False
    index.save()
    after = trained_parts(index)
    assert np.array_equal(before[0], after[0]) and np.array_equal(before[1], after[1])
    assert outside not in index.ids() and len(index) == 29_999


def test_an_index_saved_without_its_sample_trains_again_on_any_purge(tmp_path: Path) -> None:
    """Files saved before the sample was kept: whether a purged vector was trained on is not
    known, so the IVF is trained again."""
    index, _ = ivf(tmp_path, 600, 16, None)
    index.save()
    meta_path = tmp_path / "vectors.json"
    meta = json.loads(meta_path.read_text())
    del meta["trained_on"]
    meta_path.write_text(json.dumps(meta))
    old = VectorIndex(tmp_path, 16, "test", flat_max=50, approx="ivf")
    assert old.load() and old._trained_on is None
    old.remove([5])
    assert old.erase([5]) is True
    old.save()
    assert old._trained_on is not None and 5 not in old._trained_on


def test_erasing_below_the_flat_size_makes_the_index_exact(tmp_path: Path) -> None:
    index, rows = ivf(tmp_path, 60, 16, None, flat_max=50)
    gone = list(range(1, 21))
    index.remove(gone)
    index.erase(gone)
    index.seq = 42
    index.save()
    assert index.kind == "flat" and len(index) == 40 and index.seq == 42
    scores, pks = index.search(rows[30:31], 1)
    assert int(pks[0][0]) == 31


@pytest.mark.parametrize("what", ["one", "user"])
def test_purge_through_memos_trains_the_ivf_again(tmp_path: Path, what: str) -> None:
    cfg = MemosConfig(flat_max=40, dedup_threshold=None)
    mem = MemOS.open(tmp_path / "s", config=cfg)
    secret = mem.add("Vaultkeyalpha Vaultkeybravo Vaultkeycharlie", "alice").id
    mem.add_many([f"note {i}: topic {i % 13} colour {i % 7}" for i in range(120)], "bob",
                 batch_size=60)
    assert mem.stats().vector_index == "ivf"
    meta_path = tmp_path / "s" / "vectors.json"
    if what == "one":
        mem.purge(secret, "alice")
    else:
        mem.purge(None, "alice", all_of_user=True)
    meta = json.loads(meta_path.read_text())
    trained = np.flatnonzero(np.unpackbits(np.frombuffer(
        base64.b64decode(meta["trained_on"]), dtype=np.uint8), bitorder="little"))
    saved = VectorIndex._ivf_ids(faiss.read_index(str(tmp_path / "s" / "vectors.faiss")))
    # trained on the 120 vectors left alone: the erased one is in neither
    assert meta["count"] == 120 and len(saved) == 120 and set(trained) == set(saved.tolist())
    assert mem.stats().vectors == 120 and mem.check().ok
    mem.close()
