"""What reader tests share: a user turn, the facts the rules read from turns (and from one
turn of Alice's, stated and ended), and the live facts of one relation in a store."""

from __future__ import annotations

from memos import MemOS
from memos.reader.ingest import check_messages, extract_rules
from memos.reader.rules import extract


def user(text: str) -> dict[str, str]:
    return {"role": "user", "content": text}


def facts(*turns: str) -> set[tuple[str, str, str]]:
    """The (subject, attribute, value) the rules read from turns "U: ..." / "A: ..."."""
    messages = [{"role": "assistant" if t.startswith("A:") else "user", "content": t[2:].strip()}
                for t in turns]
    found, failed = extract_rules(check_messages(messages), "alice", "Alice")
    assert not failed
    return {(c.extraction.subject, c.extraction.attribute, c.extraction.value)
            for c in found if not c.extraction.negated}


def said(text: str) -> set[tuple[str, str, str]]:
    """The (subject, attribute, value) of the facts one turn of Alice's states (negations
    left out; a fact told as the past has its attribute marked "(past)")."""
    return {(e.subject, e.attribute + (" (past)" if e.past else ""), e.value)
            for e in extract(text, "Alice", "user:alice") if not e.negated}


def ended(text: str) -> set[tuple[str, str]]:
    """The (attribute, value) of the negations one turn of Alice's states."""
    return {(e.attribute, e.value) for e in extract(text, "Alice", "user:alice") if e.negated}


def live(mem: MemOS, relation: str) -> list[str]:
    """The text of alice's searchable facts of `relation` ("partner's name", "city", ...)."""
    return [h.content for h in mem.search(relation, "alice", kind="fact")
            if h.cube.metadata.get("relation") == relation]
