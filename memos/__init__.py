"""memos — a memory operating system for AI agents.

    import memos
    mem = memos.MemOS.open()            # ./.memos, or $MEMOS_URL
    mem.add("Alice prefers green tea", scope="alice")
    hits = mem.search("what does alice drink?", scope="alice")
"""

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
from memos.os import MemOS
from memos.results import (
    AddResult,
    CheckReport,
    CubeDiff,
    Edge,
    ExportReport,
    GcReport,
    ImportReport,
    IndexCheck,
    Neighbor,
    PurgeReport,
    ReindexReport,
    SearchHit,
    StoreStats,
)

__version__ = "0.1.0"

__all__ = [
    "AddResult",
    "CheckReport",
    "CubeDiff",
    "Edge",
    "ExportReport",
    "GcReport",
    "ImportReport",
    "IndexCheck",
    "MemOS",
    "Neighbor",
    "PurgeReport",
    "ReindexReport",
    "SearchHit",
    "StoreStats",
    "DerivedFrom",
    "Kind",
    "Lifecycle",
    "MemCube",
    "MemosError",
    "Scope",
    "SourceRef",
    "Tier",
    "Visibility",
    "__version__",
]
