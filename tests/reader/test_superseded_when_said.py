"""A fact superseded by a later turn ends when that turn was said, not when it was stored.
"I live in Berlin." (2 March) then "I moved to Lisbon last week" (5 March): the new city began
before the old one was stated, so its start cannot end Berlin; Berlin ended at the wall clock
of the ingest (months later for a replayed conversation) and the assistant said "Berlin
(until <today>)". Now it ends on 5 March, when the move was told."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

from memos import MemOS
from memos.assistant import Assistant
from memos.cube import MemCube, SourceRef


def _facts(mem: MemOS, user: str) -> dict[str, MemCube]:
    buf = io.StringIO()
    mem.export(user, buf)
    cubes = [MemCube.model_validate(json.loads(line)["cube"])
             for line in buf.getvalue().splitlines()[1:] if '"cube"' in line]
    return {str(c.metadata.get("value")): c for c in cubes if c.kind.value == "fact"}


def _say(mem: MemOS, text: str, session: str, at: datetime) -> None:
    mem.ingest([{"role": "user", "content": text}], "alice", session_id=session, at=at)


def test_a_move_said_to_have_begun_earlier_ends_the_old_city_when_told(tmp_path: Path) -> None:
    with MemOS.open(tmp_path / "s") as mem:
        _say(mem, "I live in Berlin.", "a", datetime(2026, 3, 2, tzinfo=UTC))
        _say(mem, "Big news, I moved to Lisbon last week", "b", datetime(2026, 3, 5, tzinfo=UTC))
        facts = _facts(mem, "alice")
        assert facts["Berlin"].valid_to == datetime(2026, 3, 5, tzinfo=UTC)
        assert facts["Lisbon"].valid_to is None
        bot = Assistant(mem, "alice", backend="extractive")
        reply = bot.reply("Where did I live before Lisbon?", session_id="c",
                          at=datetime(2026, 3, 9, tzinfo=UTC))
        assert "Berlin" in reply.text and "5 March 2026" in reply.text


def test_an_old_conversation_ingested_later_ends_facts_when_said(tmp_path: Path) -> None:
    # guard: a new fact that begins when said ended the old one then before, as now
    with MemOS.open(tmp_path / "s") as mem:
        _say(mem, "I work at Acme.", "a", datetime(2025, 1, 10, tzinfo=UTC))
        _say(mem, "I work at Globex.", "b", datetime(2025, 6, 1, tzinfo=UTC))
        assert _facts(mem, "alice")["Acme"].valid_to == datetime(2025, 6, 1, tzinfo=UTC)


def test_supersede_by_a_cube_said_earlier_ends_at_its_time(tmp_path: Path) -> None:
    said = datetime(2026, 2, 1, tzinfo=UTC)
    with MemOS.open(tmp_path / "s") as mem:
        old = mem.add("Alice's city is Oslo.", "alice", valid_from=datetime(2026, 1, 20,
                                                                            tzinfo=UTC)).id
        new = mem.add("Alice's city is Bergen.", "alice",
                      valid_from=datetime(2026, 1, 1, tzinfo=UTC),
                      sources=[SourceRef(kind="message", ref="m1", at=said)]).id
        mem.supersede(old, "alice", by=new)
        assert mem.history(old, "alice")[-1].valid_to == said
