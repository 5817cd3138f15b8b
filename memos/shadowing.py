"""The repository's `kernels/` folder against the `kernels` distribution.

The repository keeps the source of `memos.kernels` in a top-level folder named `kernels/`.
When Python runs from the repository's root (`python -m memos.demo`, `python -m pytest`, a
script there), that folder is on `sys.path` ahead of site-packages and is found as the
top-level module `kernels`. transformers (from 5.25) depends on the Hugging Face `kernels`
distribution and imports names from it when it is itself imported, so peft and
sentence-transformers failed to import there ("cannot import name 'CUDAProperties' from
'kernels'"). `import_installed_kernels()` imports the installed distribution first, with
the folder out of the way; memos calls it before importing peft or sentence-transformers.
memos itself never imports a top-level `kernels`.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

__all__ = ["import_installed_kernels"]


def _repository_root() -> Path | None:
    """The checkout holding `memos/` and `kernels/` (with its pyproject.toml), or None when
    memos is installed (site-packages may hold the distribution's own `kernels/`)."""
    root = Path(__file__).resolve().parent.parent
    ours = (root / "kernels" / "__init__.py").is_file() and (root / "pyproject.toml").is_file()
    return root if ours else None


def import_installed_kernels() -> None:
    """Import the installed `kernels` distribution under the name `kernels` when there is
    one and nothing of that name is imported yet, with this repository's root left out of
    the search for it (see the module doc). Does nothing otherwise."""
    from importlib.metadata import PackageNotFoundError, distribution

    if "kernels" in sys.modules:
        return
    try:
        distribution("kernels")
    except PackageNotFoundError:
        return
    root = _repository_root()
    if root is None:
        return
    saved = list(sys.path)

    def is_root(entry: str) -> bool:
        try:
            return Path(entry or ".").resolve() == root
        except OSError:
            return False

    sys.path[:] = [entry for entry in saved if not is_root(entry)]
    try:
        importlib.import_module("kernels")
    except Exception:  # noqa: BLE001 (a broken distribution: the importer's own error says it)
        sys.modules.pop("kernels", None)
    finally:
        sys.path[:] = saved
