import pytest
import torch

from memos.model.config import preset
from memos.model.memory_model import MemoryModel


@pytest.fixture
def tiny() -> MemoryModel:
    torch.manual_seed(0)
    model = MemoryModel(preset("tiny"))
    # Fresh gates are zero, which would hide the memory paths from every test below.
    with torch.no_grad():
        for block in model.blocks:
            block.xattn.gate.normal_()
            block.internal.gate.normal_()
    return model.eval()
