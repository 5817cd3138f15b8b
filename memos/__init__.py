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

__version__ = "0.1.0"

__all__ = [
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
