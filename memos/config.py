"""Settings of a memos store, read from arguments first and `MEMOS_*` environment variables second.

Plain pydantic models (pydantic-settings is not a dependency): `MemosConfig.from_env()`
fills the fields that have an environment variable.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from memos.errors import InvalidInputError, StoreError
from memos.errors import shown_location as shown_location  # re-exported: callers import it here

DEFAULT_FOLDER = ".memos"
STORE_DB = "memos.db"  # the SQLite file of a store folder
# sqlite3's name of a database in memory: `MemOS.open(":memory:")` (or $MEMOS_URL) opens one,
# as "sqlite://" does, not a folder of that name
IN_MEMORY = ":memory:"
# Database backends memos runs on (the dialect part of a SQLAlchemy URL, before any "+driver").
SUPPORTED_BACKENDS = ("sqlite", "postgresql")


def _refused(exc: ValidationError, model: str) -> InvalidInputError:
    """A settings error in memos's words: which setting, what it takes, what it got."""
    by_field: dict[str, list[str]] = {}
    got: dict[str, str] = {}
    for err in exc.errors():
        inner = (err.get("ctx") or {}).get("error")
        if isinstance(inner, InvalidInputError):  # a nested settings model said it already
            return inner
        loc = err.get("loc") or ("?",)
        name = f"{model}.{loc[0]}"
        by_field.setdefault(name, []).append(
            str(err.get("msg", "")).removeprefix("Value error, "))
        if "input" in err:
            got.setdefault(name, f" (got {err['input']!r:.40})")
    parts = [f"{name}: {', or '.join(dict.fromkeys(msgs))}{got.get(name, '')}"
             for name, msgs in list(by_field.items())[:3]]
    return InvalidInputError("invalid setting " + "; ".join(parts)
                             + "; the settings and their ranges are in docs/SDK.md")


class _Settings(BaseModel):
    """Settings are checked when made and when changed on an open store
    (`mem.config.retrieval.candidates = 0` is refused at once), raising InvalidInputError."""

    model_config = ConfigDict(validate_assignment=True)

    def __init__(self, **data: object) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise _refused(exc, type(self).__name__) from None

    def __setattr__(self, name: str, value: object) -> None:
        try:
            super().__setattr__(name, value)
        except ValidationError as exc:
            raise _refused(exc, type(self).__name__) from None


# The deepest list a retriever gives for the candidates_per_hit rule (RetrievalConfig.depth).
DEPTH_MAX = 1_000


class RetrievalConfig(_Settings):
    """Knobs of hybrid search (memos.retrieval). The retrieval-quality work tunes these."""

    # rrf_k=10 lets a retriever's first ranks dominate its tail; full text outvotes dense 2:1
    # because on conversational memory BM25 over context-indexed turns is the stronger
    # signal for both embedders we ship (LoCoMo ablation in docs/RESULTS.md).
    rrf_k: float = Field(default=10.0, gt=0)
    dense_weight: float = Field(default=0.5, ge=0)
    fulltext_weight: float = Field(default=1.0, ge=0)
    graph_weight: float = Field(default=0.5, ge=0)
    recency_weight: float = Field(default=0.002, ge=0)
    recency_half_life_days: float = Field(default=30.0, gt=0)
    importance_weight: float = Field(default=0.002, ge=0)
    candidates: int = Field(default=50, ge=1)  # per retriever, before fusion
    # ... and at least this many per hit asked for (RetrievalConfig.depth): a search for 63
    # hits fuses lists of 189, so a memory ranked past 63 by both retrievers still counts
    # both votes. LoCoMo: docs/RESULTS.md ("Deeper lists, and memories that ask").
    candidates_per_hit: int = Field(default=3, ge=1)
    # Query vectors remembered per store, by query text (0: off). An agent asks the same
    # thing more than once (the assistant searches, then answers, with one question): a
    # repeated query skips the embedding, the largest part of a search with a model.
    query_cache: int = Field(default=1024, ge=0)
    # Full-text rows scored per query at most (frequent terms are dropped past it): bounds
    # search time on large stores; small stores never reach it. None: no bound. 3,000 keeps
    # BM25 scoring near 2 ms at 100k cubes (docs/BENCHMARKS.md). Quality barely notices:
    # forcing a bound of 1,000 on LoCoMo's 2,760 turns left R@500w at 0.773 (hashing).
    fulltext_max_postings: int | None = Field(default=3_000, ge=1)
    # On SQLite, full-text queries are scored from an in-memory copy of the index
    # (stores/bm25.py: the same scores as from the index's own tables, less CPU:
    # BENCHMARKS.md), loaded in the background after a process's third search, or by
    # MemOS.warm(). False: the tables score every query.
    fulltext_in_memory: bool = True
    # On SQLite, searches admit their candidates (scope, state, expiry, tier) from an
    # in-memory copy of those columns (stores/admit.py: exactly the SQL test, without a
    # statement per search), loaded in the background after a process's third admission
    # (within its first three searches) or by MemOS.warm(). False: one SELECT per search admits.
    admission_in_memory: bool = True
    # Dense hits at or below this cosine share nothing with the query; ranking them would
    # only order noise (and ties at 0 would make rankings depend on insertion order).
    dense_min_score: float = Field(default=0.0, ge=-1.0, le=1.0)
    graph_seeds: int = Field(default=5, ge=0)  # top fused hits whose neighbours are added
    graph_max_degree: int = Field(default=50, ge=1)  # entities linked to more cubes are skipped
    # Query priors (memos.query, memos.retrieval.query_prior), in fused-score units (a first
    # full-text rank is worth 1/(rrf_k+1) ~ 0.09): a query naming a memory's speaker adds
    # speaker_weight; one naming a date adds date_weight to memories from that period or up
    # to date_after_days after it. LoCoMo ablation: docs/RESULTS.md.
    speaker_weight: float = Field(default=0.03, ge=0)
    date_weight: float = Field(default=0.04, ge=0)
    date_after_days: float = Field(default=7.0, ge=0)
    # A memory that asks rather than tells (its text ends with "?", a trailing bracketed
    # aside such as a shared photo's caption left out) loses this much (memos.retrieval.asks):
    # a question echoes the words of a search about its subject, the reply holds the answer.
    question_penalty: float = Field(default=0.015, ge=0)
    # A query that asks when or for how long (memos.query.asks_when: "When did Ana move?")
    # adds this much to memories that say when (memos.query.says_when: "two years ago",
    # "last Friday", "in June", "in 2019"): the answer to "when" is a time.
    when_weight: float = Field(default=0.03, ge=0)
    # Candidates (best fused first) whose rows the priors and session grouping may read: at
    # most max(3k, prior_pool). LoCoMo, k=10: R@10 0.003 (hashing) / 0.005 (MiniLM) below
    # reading all ~100 candidates' rows, which costs ~1 ms more SQL (docs/RESULTS.md).
    prior_pool: int = Field(default=40, ge=1)
    # Session grouping (memos.retrieval.session_bonus): cubes of the same conversation
    # session (metadata "session") within session_window turns (metadata "turn"; 0: the
    # whole session) of one of the first session_top hits gain session_weight times that
    # hit's score. Weights 0.2-0.3, 5-10 hits and windows of 2-10 turns are one plateau on
    # LoCoMo (docs/RESULTS.md); session_weight 0 turns it off.
    session_weight: float = Field(default=0.2, ge=0)
    session_top: int = Field(default=5, ge=0)
    session_window: int = Field(default=5, ge=0)
    # Whether a query that asks for several things or how many (memos.query.asks_many: "What
    # books has Ana read?") gets session grouping too. Off: the items of a list are told
    # apart, and loans to the turns beside the first ones crowd the others out (LoCoMo:
    # docs/RESULTS.md).
    session_lists: bool = False
    # A cube derived from one other (a MemReader fact from its turn) and its source take one
    # place in the hits: the source's, at the better rank, the derived one in
    # `SearchHit.folded` (memos.retrieval.fold_derived; search(fold=False) lists both).
    fold_derived: bool = True
    # Search effort of the HNSW vector index (efSearch) up to 50k vectors; the index doubles
    # it past 50k, 4x past 250k, 8x past 500k (stores/vector_index.py). The name is from the
    # IVF index HNSW replaced for model embedders.
    ivf_nprobe: int = Field(default=64, ge=1)
    # Share of an IVF vector index's lists a search visits (the hashing embedder's index):
    # 0.125 keeps recall@10 against exact at least 0.95 from 10k to 1M on both bench corpora
    # (docs/BENCHMARKS.md, "Vector index: recall against exact search").
    ivf_probe_share: float = Field(default=0.125, gt=0, le=1)
    # Searches one process runs at once; the others wait their turn, first come first served
    # (memos.parts.FairGate). "auto": as many as the cores the process may use on SQLite,
    # where a search is CPU work, and no limit on PostgreSQL, where it waits on the network
    # (`memos serve --workers N` shares the cores among its N processes: auto_search_limit).
    # Eight callers searching a 100k store on two cores: p95 42-48 -> 30-31 ms in-process,
    # 63-71 -> 46-51 ms through `memos serve` (`memos bench serve --n 100000 --json`;
    # docs/BENCHMARKS.md, "searches take turns"). It also bounds the cores one search may
    # spread over: the dense half goes to a worker thread only while fewer searches than
    # this (and than the cores) are under way (StoreParts.start_dense); with 1 a search
    # runs on its caller's thread, and a server runs one that can start at once on its
    # event loop.
    search_concurrency: Annotated[int, Field(ge=1)] | Literal["auto"] | None = "auto"

    def depth(self, k: int) -> int:
        """How many candidates each retriever contributes to a search for k hits: at least
        `candidates` and k, and `candidates_per_hit` per hit up to DEPTH_MAX (a search for
        thousands of hits is an export; it does not need lists three times as long)."""
        return max(self.candidates, k, min(self.candidates_per_hit * k, DEPTH_MAX))

    def widest_at_depth(self, k: int) -> int:
        """The largest number of hits a search can ask for and still fuse lists of the
        depth a search for k hits fuses (depth() is flat below candidates / per hit):
        such a search fuses the same candidates, so its first k hits are, but for the rows
        the query priors may read (a few more for a larger k), those of a search for k."""
        want, low, high = self.depth(k), k, max(k, DEPTH_MAX, self.candidates)
        while low < high:  # depth() never decreases: the last k' with depth(k') == want
            mid = (low + high + 1) // 2
            if self.depth(mid) == want:
                low = mid
            else:
                high = mid - 1
        return low


class MemosConfig(_Settings):
    url: str | None = None  # SQLAlchemy URL or a folder; None: ./.memos
    index_dir: str | None = None  # FAISS files folder when `url` is a database URL
    embedder: str = "hashing"
    dedup_threshold: float | None = Field(default=0.95, gt=0, le=1.0)
    flat_max: int = Field(default=10_000, ge=1)  # exact below; approximate above (BENCHMARKS.md)
    # The approximate index above flat_max: "auto" (the embedder's choice: IVF for the hashing
    # embedder, HNSW for models; memos.embedders.approx_index_for), "hnsw" or "ivf".
    vector_index: Literal["auto", "hnsw", "ivf"] = "auto"
    batch_size: int = Field(default=500, ge=1)
    busy_timeout_ms: int = Field(default=30_000, ge=0)
    save_every: int = Field(default=5_000, ge=1)  # vector changes between FAISS file saves
    # RAM cache of pre-encoded slots per open store, and its eviction policy (lru, lfu, cost).
    slot_cache_bytes: int = Field(default=256 << 20, ge=0)
    slot_cache_policy: Literal["lru", "lfu", "cost"] = "cost"
    retrieval: RetrievalConfig = Field(default_factory=RetrievalConfig)

    @classmethod
    def from_env(cls, **overrides: object) -> MemosConfig:
        """Defaults, then MEMOS_URL / MEMOS_INDEX_DIR / MEMOS_EMBEDDER, then `overrides`."""
        values: dict[str, object] = {}
        for field, var in (("url", "MEMOS_URL"), ("index_dir", "MEMOS_INDEX_DIR"),
                           ("embedder", "MEMOS_EMBEDDER")):
            if os.environ.get(var):
                values[field] = os.environ[var]
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def is_database_url(location: str) -> bool:
    return "://" in location


def check_backend(url: str) -> None:
    """Refuse a database URL of a backend memos does not run on (mysql://, foo://, ...).

    Only the scheme is named in the message: the rest of a URL may hold a password.
    """
    scheme = url.split("://", 1)[0]
    backend = scheme.split("+", 1)[0].lower()
    if backend not in SUPPORTED_BACKENDS:
        raise StoreError(
            f"unsupported database URL scheme {scheme!r}: memos stores live in SQLite (a folder, "
            "a .db file or sqlite:///path/memos.db) or PostgreSQL "
            "(postgresql+psycopg://user@host/dbname); pass one of those as --store or $MEMOS_URL")


def is_in_memory_sqlite(url: str) -> bool:
    """Whether `url` names an in-memory SQLite database ("sqlite://", "sqlite:///:memory:",
    "sqlite+pysqlite:///:memory:?cache=shared", "sqlite:///file:m?mode=memory&uri=true"):
    nothing in it outlives the process. sqlite3's `":memory:"` too (`IN_MEMORY`)."""
    if url == IN_MEMORY:
        return True
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.split("+", 1)[0].lower() != "sqlite":
        return False
    path, _, query = rest.removeprefix("/").partition("?")
    return (path in ("", ":memory:") or "mode=memory" in query.lower()
            or (path.startswith("file:") and "mode=memory" in path.lower()))


def store_exists(url: str) -> bool:
    """Whether a memos store is already at `url` (a SQLAlchemy URL from `resolve_location`).

    SQLite: the database file exists (an in-memory database always "exists"). Other backends:
    the database has memos' tables; a server that cannot be reached counts as existing, so that
    opening it reports the connection error itself.
    """
    if url.startswith("sqlite:"):
        path = url.split(":///", 1)[1] if ":///" in url else ""
        if is_in_memory_sqlite(url) or path.startswith("file:"):
            return True
        return Path(path).is_file()
    # Imported here: `memos.config` stays light for `memos --help` and the model tier.
    from sqlalchemy import create_engine, inspect
    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.pool import NullPool

    try:
        engine = create_engine(url, poolclass=NullPool)
    except (SQLAlchemyError, ImportError, ValueError):
        return True  # a bad URL or a missing driver: opening it says what is wrong
    try:
        return inspect(engine).has_table("cubes")
    except SQLAlchemyError:
        return True
    finally:
        engine.dispose()


def resolve_location(location: str | os.PathLike[str] | None, config: MemosConfig
                     ) -> tuple[str, Path]:
    """Return (SQLAlchemy URL, folder for FAISS files) for a folder, a URL or None."""
    raw = str(location) if location is not None else (config.url or DEFAULT_FOLDER)
    if is_database_url(raw):
        check_backend(raw)
        folder = Path(config.index_dir or DEFAULT_FOLDER)
        if raw.startswith("sqlite:///") and not config.index_dir:
            # Keep a SQLite file's vectors beside it, not in whatever the cwd is.
            folder = index_folder_of(Path(raw[len("sqlite:///"):]))
        return raw, folder
    path = Path(raw)
    if path.suffix in (".db", ".sqlite", ".sqlite3") and not path.is_dir():
        return f"sqlite:///{path}", Path(config.index_dir or index_folder_of(path))
    return f"sqlite:///{path / STORE_DB}", path


def index_folder_of(db_path: Path) -> Path:
    """Where a SQLite file's FAISS files and blobs go when no index_dir is given: beside it
    in `<name>.index/`; but a store folder's own `memos.db` named as a file or a sqlite:///
    URL uses that folder's files (`is_store_folder`), so that every spelling opens the same
    indexes and a purge through one reaches them all."""
    if db_path.name == STORE_DB and is_store_folder(db_path.parent):
        return db_path.parent
    return db_path.parent / (db_path.stem + ".index")


def is_store_folder(folder: Path) -> bool:
    """Whether `folder` holds a store's own index files: a `vectors.json` that memos wrote
    (a folder store saves one on close). A folder that merely holds a file named memos.db
    is not one: its files (a `vectors.json` of its own) are never written over."""
    try:
        meta = json.loads((folder / "vectors.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(meta, dict) and "store_id" in meta and "format" in meta


def uses_folder_files(url: str, folder: Path, config: MemosConfig) -> bool:
    """Whether the SQLite store at `url` keeps its FAISS files in `folder` as a store folder
    does (named `vectors.*`): its `memos.db` is in `folder`, and no index_dir moved them."""
    if not url.startswith("sqlite:///") or config.index_dir:
        return False
    db = Path(url[len("sqlite:///"):])
    return db.name == STORE_DB and db.parent == folder
