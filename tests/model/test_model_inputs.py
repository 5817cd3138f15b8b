"""Bad input to the model's public API is an InvalidInputError saying what to pass, never a
raw UnicodeEncodeError, ValueError, TypeError or IndexError (found by a review)."""

from __future__ import annotations

import pytest

from memos.errors import InvalidInputError
from memos.model.memory_model import MemoryModel
from memos.model.slots import MemorySlots


@pytest.mark.parametrize("text", ["x \ud800", "\udcff?"])
def test_a_lone_surrogate_is_invalid_input(tiny: MemoryModel, text: str) -> None:
    with pytest.raises(InvalidInputError, match="surrogate"):
        tiny.encode_memory([text])
    with pytest.raises(InvalidInputError, match="surrogate"):
        tiny.generate(text, max_new_tokens=1)


@pytest.mark.parametrize("size", [0, -1, 2.5, True])
def test_a_bad_batch_size_is_invalid_input(tiny: MemoryModel, size: object) -> None:
    with pytest.raises(InvalidInputError, match="batch_size"):
        tiny.encode_memory(["Ann's city is Oslo."], batch_size=size)  # type: ignore[arg-type]


@pytest.mark.parametrize("n", [2.5, None, -1, "3"])
def test_a_bad_max_new_tokens_is_invalid_input(tiny: MemoryModel, n: object) -> None:
    with pytest.raises(InvalidInputError, match="max_new_tokens"):
        tiny.generate("What is Ann's city?", max_new_tokens=n)  # type: ignore[arg-type]


def test_select_out_of_range_and_concat_of_bundles_with_and_without_hashes(
        tiny: MemoryModel) -> None:
    hashed = tiny.encode_memory(["Ann's city is Oslo.", "Bo's city is Rome."])
    bare = MemorySlots.from_tensors(hashed.to_tensors(), hashed.fingerprint)
    bare.text_hashes = []
    both = MemorySlots.concat([hashed, bare])
    assert both.slot_mask.shape[0] == 4
    assert len(both.text_hashes) in (0, 4)  # one per memory, or none
    assert both.select([3]).slot_mask.shape[0] == 1
    with pytest.raises(InvalidInputError, match="from 0 to 3"):
        both.select([7])


def test_a_session_continues_through_whitespace(tiny: MemoryModel) -> None:
    state = tiny.read_session("Notes: the code is 12.")
    _, after = tiny.generate_ids(" \n", state=state, max_new_tokens=0)
    assert after.length == state.length + 2
    with pytest.raises(InvalidInputError, match="empty"):
        tiny.generate_ids("", max_new_tokens=0)  # a prompt (no state) is still non-blank
