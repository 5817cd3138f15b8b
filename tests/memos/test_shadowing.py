"""The repository's kernels/ folder does not hide the installed `kernels` distribution
(transformers >= 5.25 imports it, so peft and sentence-transformers failed to import from
the repository's root: CI on 2026-12-03)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _fake_distribution(site: Path) -> None:
    """A `kernels` distribution in `site`: its module says where it comes from."""
    (site / "kernels").mkdir(parents=True)
    (site / "kernels" / "__init__.py").write_text("FROM = 'installed'\n")
    info = site / "kernels-0.19.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: kernels\nVersion: 0.19.1\n")
    (info / "RECORD").write_text("")


def _run(code: str, site: Path) -> str:
    """`code` run from the repository's root (its folder first on sys.path, as under
    `python -m` there), with `site` next, before site-packages (which may hold the real
    distribution)."""
    result = subprocess.run(
        [sys.executable, "-c", f"import sys; sys.path.insert(1, {str(site)!r}); {code}"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=True)
    return result.stdout.strip()


def test_the_installed_kernels_is_imported_not_the_folder(tmp_path: Path) -> None:
    _fake_distribution(tmp_path)
    # without it, the folder is what `import kernels` finds
    assert _run("import kernels; print(getattr(kernels, 'FROM', 'folder'))", tmp_path) == "folder"
    before = _run("print(sys.path[:3])", tmp_path)
    out = _run("from memos.shadowing import import_installed_kernels; "
               "import_installed_kernels(); import kernels; print(kernels.FROM); "
               "print(sys.path[:3])", tmp_path).splitlines()
    assert out == ["installed", before]  # and sys.path as it was


def test_nothing_is_imported_without_the_distribution(tmp_path: Path) -> None:
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        distribution("kernels")
    except PackageNotFoundError:
        pass
    else:
        pytest.skip("the kernels distribution is installed here (transformers >= 5.25)")
    assert _run("from memos.shadowing import import_installed_kernels; "
                "import_installed_kernels(); print('kernels' in sys.modules)",
                tmp_path) == "False"
