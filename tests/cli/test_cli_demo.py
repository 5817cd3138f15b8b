"""`make demo` (python -m memos.demo) runs end to end and shows what it claims."""

from __future__ import annotations

import pytest

from memos.demo import main


def test_demo_tour_runs_and_shows_each_step(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "-> duplicate" in out  # the same text twice is one cube
    assert "dense#" in out and "fulltext#" in out  # the why column
    assert "Bob drinks espresso" in out.split("sees only his own memories")[1]
    assert "Alice" not in out.split("as bob")[1].split("3. Update")[0]  # no leak to Bob
    assert "-Alice prefers green tea" in out and "+Alice prefers oolong tea" in out
    assert "now v3 with the content of v1" in out
    assert "get after forget -> NotFoundError" in out
    assert "peanuts" not in out.split("4. Forget")[1].split("get after forget")[0]
    assert "check: consistent" in out
    model_part = out.split("6. The model reads")[1]
    assert "Porto" in model_part and "Falcons" in model_part  # answers read from memory slots
    assert "3 / 0" in model_part  # the repeated question is served from cached slots
