"""memos — a memory operating system for AI agents.

    import memos
    mem = memos.MemOS.open()            # ./.memos, or $MEMOS_URL
    mem.add("Alice prefers green tea", scope="alice")
    hits = mem.search("what does alice drink?", scope="alice")

The package init is lazy (PEP 562): `import memos`, `import memos.kernels` and
`import memos.model` load neither SQLAlchemy, FAISS nor networkx. The facade and the result
types are imported on first use of their names. `memos.errors` and `memos.cube` are the
ground floor every sub-package may import.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# name -> module that defines it; resolved on first attribute access.
_LAZY: dict[str, str] = {
    "MemOS": "memos.facade",
    "Assistant": "memos.assistant",
    "MemosError": "memos.errors",
    "Client": "memos.client",
    "KeyInfo": "memos.keys",
    **{name: "memos.cube" for name in (
        "DerivedFrom", "Kind", "Lifecycle", "MemCube", "Scope", "SourceRef", "Tier",
        "Visibility")},
    **{name: "memos.results" for name in (
        "AddResult", "CheckReport", "CubeDiff", "Edge", "ExportReport", "GcReport",
        "ImportReport", "IndexCheck", "Neighbor", "PurgeReport", "ReindexReport", "SearchHit",
        "StoreStats", "IngestFailure", "IngestReport", "ConsolidationReport",
        "AdapterInfo", "Answer", "Recall", "SavedSession", "VersionRecord")},
    "SessionState": "memos.model.session",
    "Reply": "memos.assistant",
    "SessionEnd": "memos.assistant",
    "SchedulerConfig": "memos.scheduler",
    "SchedulerReport": "memos.scheduler",
}

if TYPE_CHECKING:  # for type checkers and IDEs; at run time __getattr__ resolves these
    from memos.assistant import Assistant, Reply, SessionEnd
    from memos.client import Client
    from memos.cube import (
        DerivedFrom,
        Kind,
        Lifecycle,
        MemCube,
        Scope,
        SourceRef,
        Tier,
        Visibility,
    )
    from memos.errors import MemosError
    from memos.facade import MemOS
    from memos.keys import KeyInfo
    from memos.model.session import SessionState
    from memos.results import (
        AdapterInfo,
        AddResult,
        Answer,
        CheckReport,
        ConsolidationReport,
        CubeDiff,
        Edge,
        ExportReport,
        GcReport,
        ImportReport,
        IndexCheck,
        IngestFailure,
        IngestReport,
        Neighbor,
        PurgeReport,
        Recall,
        ReindexReport,
        SavedSession,
        SearchHit,
        StoreStats,
        VersionRecord,
    )
    from memos.scheduler import SchedulerConfig, SchedulerReport


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'memos' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


__all__ = [
    "AdapterInfo",
    "AddResult",
    "Answer",
    "Assistant",
    "CheckReport",
    "Client",
    "ConsolidationReport",
    "CubeDiff",
    "DerivedFrom",
    "Edge",
    "ExportReport",
    "GcReport",
    "ImportReport",
    "IndexCheck",
    "IngestFailure",
    "IngestReport",
    "KeyInfo",
    "Kind",
    "Lifecycle",
    "MemCube",
    "MemOS",
    "MemosError",
    "Neighbor",
    "PurgeReport",
    "Recall",
    "ReindexReport",
    "Reply",
    "SavedSession",
    "SchedulerConfig",
    "SchedulerReport",
    "Scope",
    "SearchHit",
    "SessionEnd",
    "SessionState",
    "SourceRef",
    "StoreStats",
    "Tier",
    "VersionRecord",
    "Visibility",
    "__version__",
]
