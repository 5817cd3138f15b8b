"""Quality evaluations of memos (LoCoMo evidence recall). See docs/RESULTS.md."""

from memos.eval.locomo import LocomoReport, evaluate_conversations, evaluate_locomo
from memos.eval.locomo_data import Conversation, Question, Turn, load_locomo

__all__ = [
    "Conversation",
    "LocomoReport",
    "Question",
    "Turn",
    "evaluate_conversations",
    "evaluate_locomo",
    "load_locomo",
]
