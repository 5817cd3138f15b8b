"""Import direction: the model and kernel layers load none of the store stack."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

STORE_STACK = ("sqlalchemy", "faiss", "networkx")


def _loaded_after(statement: str) -> list[str]:
    code = (f"import json, sys\n{statement}\n"
            f"print(json.dumps(sorted(m for m in {STORE_STACK!r} if m in sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("statement", [
    "import memos, memos.errors, memos.cube",
    "import memos.kernels, memos.model",
    # the remote client, with the result types its recall and answer build
    "import memos\nmemos.Client\nfrom memos.results import Answer, Recall",
])
def test_lower_layers_load_no_store_stack(statement):
    assert _loaded_after(statement) == []


def test_the_facade_does_load_it():  # the check above can fail: the stack is visible here
    assert _loaded_after("import memos\nmemos.MemOS") == sorted(STORE_STACK)


def test_stores_import_only_the_ground_floor() -> None:
    """stores/ (memos.stores) imports of memos only memos.cube, memos.errors and itself
    (docs/ARCHITECTURE.md): it knows nothing of the OS above it."""
    import ast
    from pathlib import Path

    import memos.stores

    allowed = ("memos.cube", "memos.errors", "memos.stores")
    wrong = []
    for path in sorted(Path(memos.stores.__file__).parent.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                module = node.module or ""  # `from memos import cube` imports memos.cube
                names = ([f"memos.{a.name}" for a in node.names] if module == "memos"
                         else [module])
            else:
                names = []
            wrong += [f"{path.name}: {n}" for n in names
                      if n.startswith("memos") and not n.startswith(allowed)]
    assert wrong == []
