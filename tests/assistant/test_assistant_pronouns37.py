""""She lives in Marseille" in the turn after "My sister Anna works at Renault": the
assistant sends each turn to the reader in a call of its own, and pronouns were read only
within a call, so in chat the fact was dropped with a bare "Noted."."""

from __future__ import annotations

from memos import MemOS
from tests.assistant.helpers import ask, tell


def _facts(mem: MemOS, user: str = "alice") -> set[str]:
    """The user's live facts."""
    return {c.content for c in mem.list_memories(user, kind="fact", limit=200).items}


def test_a_pronoun_in_the_next_chat_turn_is_the_person_named_before(tmp_path) -> None:
    mem = MemOS.open(tmp_path / "s", embedder="hashing")
    try:
        bot = tell(mem, [(1, "My sister Anna works at Renault."), (1, "She lives in Marseille."),
                         (1, "My boyfriend Tom lives in Rome."), (1, "He moved to Milan.")])
        facts = _facts(mem)
        assert "Anna's city is Marseille." in facts and "Tom's city is Milan." in facts
        assert "Tom's city is Rome." not in facts  # superseded by the move
        assert "Marseille" in ask(bot, "Where does Anna live?")
    finally:
        mem.close()


def test_no_pronoun_is_read_across_a_turn_that_may_name_someone_else(tmp_path) -> None:
    mem = MemOS.open(tmp_path / "s", embedder="hashing")
    try:
        tell(mem, [(1, "My sister Anna works at Renault."), (1, "Do you know Tom?"),
                   (1, "She lives in Marseille.")])
        tell(mem, [(2, "My brother Ben works at Airbus."), (3, "He lives in Lyon.")],
             user="carol")  # another session (another day): no "he" carried over
        assert not any("Marseille" in f for f in _facts(mem))
        assert not any("Lyon" in f for f in _facts(mem, "carol"))
    finally:
        mem.close()
