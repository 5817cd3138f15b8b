"""LoCoMo through MemReader (`memos eval locomo --ingest reader`).

Each LoCoMo session is one `MemOS.ingest` call: its turns as messages with the speaker as
`name` (both speakers are people, so each one's "I" is their own name) and the session's
date as `at`. The episodes are the turn-only path's cubes (same "Speaker: text [shares a
photo: ...]" content, same ±2-turn context); the extracted facts come on top. For scoring,
a fact stands for the turns it was stated in (its message sources), so retrieving a fact
retrieves its source turns.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from memos.eval.locomo_data import Conversation
    from memos.facade import MemOS


def ingest_conversation(mem: MemOS, conv: Conversation,
                        progress: Callable[[int], None]) -> tuple[dict[str, list[str]], int]:
    """Ingest every session of `conv`; return cube id -> the dia_ids it holds, and the
    number of facts written."""
    sessions: dict[int, list[Any]] = {}
    for turn in conv.turns:
        sessions.setdefault(turn.session, []).append(turn)
    held: dict[str, list[str]] = {}
    by_ref: dict[str, str] = {}  # "<session id>#<index>" -> dia_id
    fact_ids: list[str] = []
    done = 0
    for number, turns in sorted(sessions.items()):
        sid = f"session_{number}"
        messages = []
        for t in turns:
            text = t.text + (f" [shares a photo: {t.caption}]" if t.caption else "")
            msg: dict[str, Any] = {"role": "user", "name": t.speaker, "content": text}
            if t.session_date is not None:
                msg["at"] = t.session_date
            messages.append(msg)
        report = mem.ingest(messages, conv.sample_id, session_id=sid)
        for i, (t, cube_id) in enumerate(zip(turns, report.episodes, strict=True)):
            held.setdefault(cube_id, []).append(t.dia_id)
            by_ref[f"{sid}#{i}"] = t.dia_id
        fact_ids.extend(report.facts)
        done += len(turns)
        progress(done)
    for fact_id in dict.fromkeys(fact_ids):
        cube = mem.get(fact_id, conv.sample_id)
        turns_of = [by_ref[s.ref] for s in cube.sources
                    if s.kind == "message" and s.ref in by_ref]
        if turns_of:
            held.setdefault(fact_id, [])
            held[fact_id].extend(d for d in dict.fromkeys(turns_of) if d not in held[fact_id])
    return held, len(set(fact_ids))


__all__ = ["ingest_conversation"]
