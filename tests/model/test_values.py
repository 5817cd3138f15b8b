"""`memos.model.values.model_can_answer`: which stated values the shipped checkpoint answers."""

import ast
import json
import random
from pathlib import Path

import pytest

from memos.model import families, values
from memos.model.checkpoint import DEFAULT_CHECKPOINT


def test_the_table_was_measured_on_the_shipped_checkpoint() -> None:
    meta = json.loads((Path(DEFAULT_CHECKPOINT) / "meta.json").read_text())
    assert meta["fingerprint"] == values.MEASURED_FINGERPRINT, (
        "model/checkpoints/memqa-small changed: re-run the robustness evaluation and update "
        "memos.model.values.MEASURED and MEASURED_FINGERPRINT")


def test_module_is_pure() -> None:
    tree = ast.parse(Path(values.__file__).read_text())
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {(n.module or "").split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert imported <= {"__future__", "re"}


@pytest.mark.parametrize(("value", "kind"), [
    ("Dr. Okonkwo", "titled-name"), ("Mrs. J. R. Smith", "titled-name"), ("A. Okonkwo", "titled-name"),
    ("221B Baker St., London", "address"), ("14 Elm Road", "address"),
    ("3 March 2024", "date"), ("2024-03-03", "date"), ("March 3rd", "date"), ("03/03/2024", "date"),
    ("+44 20 7946 0958", "phone"), ("(555) 012-3456", "phone"),
    ("a.okonkwo@example.co.uk", "email"), ("12345678901", "digits"), ("NASA", "all-caps"),
    ("x" * 40, "long"), ("x" * 65, "too-long"), ("", "empty"), ("   ", "empty"),
    ("Paris", "other"), ("teal", "other"), ("Mayo Clinic", "other"), ("O negative", "other"),
    ("\u6771\u4eac", "other"), ("v1.2", "inner-period"),
])
def test_value_kind(value: str, kind: str) -> None:
    assert values.value_kind(value) == kind


def test_model_can_answer_follows_the_measured_table() -> None:
    for value in ("Paris", "teal", "Lisbon", "O negative", "\u6771\u4eac"):
        assert values.model_can_answer(value) is (values.MEASURED["other"] >= values.THRESHOLD)
    for value, kind in (("Dr. Okonkwo", "titled-name"), ("221B Baker St., London", "address"),
                        ("+44 20 7946 0958", "phone"), ("3 March 2024", "date"), ("x" * 40, "long")):
        assert values.model_can_answer(value) is (values.MEASURED[kind] >= values.THRESHOLD)
    # Never: more than the model holds, line breaks, nothing, a period of its own at the end, not a str.
    for value in ("y" * 65, "Paris\nLondon", "", "Smith Jr.", None, 42):
        assert values.model_can_answer(value) is False  # type: ignore[arg-type]


def test_kinds_match_the_families_that_measure_them() -> None:
    expect = {"titled-names": "titled-name", "dates": "date", "phone-numbers": "phone", "emails": "email",
              "stated-long-values": "long", "very-long-values": "too-long", "digits": "digits",
              "all-caps": "all-caps", "cjk-values": "other", "emoji-values": "other"}
    for family, kind in expect.items():
        got = [values.value_kind(f.value) for f in families.FAMILIES[family](random.Random(0), 64)]
        assert got.count(kind) >= 0.95 * len(got), (family, kind)
    addresses = [values.value_kind(f.value) for f in families.FAMILIES["addresses"](random.Random(0), 64)]
    assert set(addresses) <= {"address", "long"}
