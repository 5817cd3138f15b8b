"""memos.model — the memory-augmented SSM (pure PyTorch; sequence ops come from memos.kernels).

    model = load_checkpoint()                      # the shipped memqa-small checkpoint
    slots = model.encode_memory(["Ann's city is Oslo."])
    model.generate("What is Ann's city?", memory=slots)   # -> " Oslo"
"""

from memos.model.checkpoint import DEFAULT_CHECKPOINT, load_checkpoint, save_checkpoint
from memos.model.config import ModelConfig, preset
from memos.model.memory_model import MemoryModel
from memos.model.session import SessionState
from memos.model.slots import MemorySlots

__all__ = [
    "DEFAULT_CHECKPOINT",
    "MemoryModel",
    "MemorySlots",
    "ModelConfig",
    "SessionState",
    "load_checkpoint",
    "preset",
    "save_checkpoint",
]
