"""`make demo` (python -m memos.demo) runs the whole story end to end and shows what it claims."""

from __future__ import annotations

import re

import pytest

from memos import MemOS
from memos.demo import main


def _part(out: str, start: str, end: str | None = None) -> str:
    part = out.split(start, 1)[1]
    return part.split(end, 1)[0] if end else part


@pytest.mark.slow
def test_demo_tells_the_whole_story(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    out = capsys.readouterr().out
    ingest = _part(out, "1. MemReader", "2. A correction")
    assert re.search(r"alice\s+session 2026-05-12: 3 turns -> 3 episodes, \d+ facts, "
                     r"[1-9]\d* superseded", ingest)
    assert "Ana's city is Madrid." in ingest and "I'm allergic to" in ingest  # source turns
    correction = _part(out, "2. A correction", "3. Hybrid search")
    assert re.search(r"superseded\s+Alice Moreau's city is Lisbon\. valid 2026-03-03 \.\. "
                     r"2026-05-05", correction)
    assert "the live fact: Alice Moreau's city is Porto." in correction
    search = _part(out, "3. Hybrid search", "4. The scheduler")
    assert "dense#" in search and "fulltext#" in search  # the why column
    assert "Alice" not in _part(search, "as bob")  # Bob sees only his own memories
    assert re.search(r"promoted [1-9]\d* cube\(s\)", out)
    model = _part(out, "5. The built-in model", "6. The assistant")
    assert "Porto" in model and "Madrid" in model  # read from pre-encoded slots
    assert re.search(r"\(8/0\)", model)  # the repeated question is served from cached slots
    assistant = _part(out, "6. The assistant", "7. Consolidation")
    assert "Your city is Porto." in assistant
    # The model reads titled names since the first stated-values fine-tune and phone numbers
    # since the second; where it reads a kind below 95 %, auto answers extractively
    # (memos.model.values decides).
    from memos.model import values

    doctor = "Your doctor's name is Dr. Okonkwo."
    assert (doctor in assistant) == (values.model_can_answer("Dr. Okonkwo"))
    assert ("model answers phone values" in assistant) != values.model_can_answer(
        "+351 912 345 678")
    assert "Noted: your favorite color is teal." in assistant
    consolidation = _part(out, "7. Consolidation", "8. A session")
    adapter = re.search(r"adapter ([0-9a-f]{12}) \([\d,]+ bytes, 60 steps in [\d.]+ s\) on "
                        r"10 facts: active", consolidation)
    assert adapter, consolidation  # trained and through the gate
    assert "closed-book exact match on those facts 0.00 -> 1.00" in consolidation
    session = _part(out, "8. A session", "9. \"forget")
    assert re.search(r"resume_session: (\d+) tokens in \d+ ms", session)
    forget = _part(out, "9. \"forget my address\"")
    assert "Forgotten 4 memories about your address" in forget
    # the forget reaches the weights: step 7's adapter was trained on the address
    assert f"adapter {adapter.group(1)}: tainted, weights erased" in forget
    assert "'parametric': 1" in _part(forget, "before", "after")
    assert "parametric" not in _part(forget, "after", "\n")
    assert "search for the addresses now finds 0 cube(s)" in forget
    assert "still hold the addresses' bytes: none" in forget
    assert "what remains per tier: nothing" in forget or "purge_remains" not in dir(MemOS)
    assert "check: consistent" in forget


def test_demo_without_peft_shows_the_dry_run(capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "peft" else real(name, *a))
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "peft is not installed" in out and "dry run: 10 facts would be trained" in out
    assert "check: consistent" in out


def test_demo_quick_and_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--bogus"]) == 2
    assert "unknown argument(s) --bogus" in capsys.readouterr().err
    assert main(["--help"]) == 0
    assert "--quick" in capsys.readouterr().out
    assert main(["--quick"]) == 0
    out = capsys.readouterr().out
    assert "dry run: 10 facts would be trained into a LoRA adapter" in out
    assert "tainted" not in out and "check: consistent" in out
