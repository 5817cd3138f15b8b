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
])
def test_lower_layers_load_no_store_stack(statement):
    assert _loaded_after(statement) == []


def test_the_facade_does_load_it():  # the check above can fail: the stack is visible here
    assert _loaded_after("import memos\nmemos.MemOS") == sorted(STORE_STACK)
