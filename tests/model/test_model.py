"""Shapes, parallel == recurrent, gradients into gates, learning a tiny memory-QA set."""

import random

import pytest
import torch

from memos.model import evaluate, tasks
from memos.model import tokenizer as tok
from memos.model.config import preset
from memos.model.memory_model import MemoryModel
from memos.model.train import LossModule

FACTS = ["Zorb's color is blue.", "Quix's size is big and round.", "Mela's home town is Varnu 7."]


def test_shapes_and_dtypes(tiny: MemoryModel) -> None:
    cfg = tiny.cfg
    slots = tiny.encode_memory(FACTS)
    longest = max(len(f.encode()) for f in FACTS) + 1  # + BOS
    assert slots.k.shape == (cfg.n_layers, 3, longest, cfg.n_heads, cfg.attn_head_dim)
    assert slots.v.shape == slots.k.shape and slots.k.dtype == torch.float32
    assert slots.slot_mask.dtype == torch.bool and slots.slot_mask.sum(1).tolist() == [len(f.encode()) + 1 for f in FACTS]
    assert slots.pooled.shape == (cfg.n_layers, 3, cfg.d_select)
    tokens = torch.randint(0, 256, (2, 21))
    for memory in (None, slots):
        logits = tiny(tokens, memory)
        assert logits.shape == (2, 21, cfg.vocab_size) and logits.dtype == torch.float32


def test_encode_memory_order_matches_single_encoding(tiny: MemoryModel) -> None:
    both = tiny.encode_memory(FACTS)
    for i, text in enumerate(FACTS):
        one = tiny.encode_memory([text])
        s = one.slot_mask.shape[1]
        torch.testing.assert_close(both.k[:, i, :s], one.k[:, 0], atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(both.pooled[:, i], one.pooled[:, 0], atol=1e-5, rtol=1e-5)


def test_memory_changes_output_and_empty_memory_rows_are_harmless(tiny: MemoryModel) -> None:
    tokens = torch.tensor([tok.encode("What is Zorb's color?")])
    without = tiny(tokens)
    with_mem = tiny(tokens, tiny.encode_memory(FACTS))
    assert not torch.allclose(without, with_mem)


def test_parallel_pass_equals_recurrent_steps(tiny: MemoryModel) -> None:
    # 40 tokens span 5 internal-memory chunks of 8, so pool writes and replacement are exercised.
    text = "The pass key is 73204. Remember it. Then"
    ids = tok.encode(text)
    slots = tiny.encode_memory(FACTS)
    with torch.no_grad():
        parallel = tiny(torch.tensor([ids]), slots)[0]  # (L, V)
        state = tiny.read_session(text[:3], slots)  # BOS + 3 bytes
        stepped = [state.last_logits[0]]
        for t in ids[4:]:
            state = tiny.step(torch.tensor([t]), state, slots)
            stepped.append(state.last_logits[0])
    torch.testing.assert_close(torch.stack(stepped), parallel[3:], atol=1e-4, rtol=1e-4)


def test_pool_is_bounded_and_keeps_most_important_chunks(tiny: MemoryModel) -> None:
    cfg = tiny.cfg
    ids = torch.randint(0, 256, (1, cfg.memory_chunk * (cfg.pool_chunks + 3)))
    with torch.no_grad():
        _, _, states = tiny.forward_full(ids, want_state=True)
    pool = states[0][1]
    assert pool.k.shape[1] == cfg.pool_chunks and bool(torch.isfinite(pool.importance).all())


def test_generate_from_session_state_equals_generate_from_text(tiny: MemoryModel) -> None:
    slots = tiny.encode_memory(FACTS)
    whole = tiny.generate("Hello there. What is Zorb's color?", slots, max_new_tokens=6)
    state = tiny.read_session("Hello there.", slots)
    resumed = tiny.generate(" What is Zorb's color?", slots, max_new_tokens=6, state=state)
    assert whole == resumed


def test_gradients_reach_zero_initialised_gates() -> None:
    torch.manual_seed(0)
    model = MemoryModel(preset("tiny"))
    assert all(float(b.xattn.gate.detach().abs().sum()) == 0 for b in model.blocks)
    batch = tasks.memory_qa_batch(random.Random(0), n_facts=4, groups=1, questions=4)
    # Long enough for several internal-memory chunks.
    batch.tokens = torch.cat([torch.randint(0, 256, (4, 24)), batch.tokens], dim=1)
    batch.targets = torch.cat([torch.full((4, 24), tasks.IGNORE), batch.targets], dim=1)
    loss, _, sel = LossModule(model, 1.0)(batch)
    loss.backward()
    for block in model.blocks:
        assert float(block.xattn.gate.grad.abs().sum()) > 0
        assert float(block.internal.gate.grad.abs().sum()) > 0
        assert float(block.xattn.sel_proj.weight.grad.abs().sum()) > 0  # selection loss trains selection
    assert float(sel) > 0


def test_tiny_model_learns_tiny_memory_qa_set() -> None:
    """A tiny model learns, in a few hundred small steps, to answer from memory about facts it
    never saw (fresh random strings): the answer is read from memory, not from the weights."""
    torch.manual_seed(0)
    torch.set_num_threads(1)
    model = MemoryModel(preset("tiny", internal_memory=False))
    lm = LossModule(model, 1.0)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    rng = random.Random(0)
    for _ in range(250):
        loss = lm(tasks.memory_qa_batch(rng, n_facts=1, groups=4, questions=4))[0]
        opt.zero_grad()
        loss.backward()
        opt.step()
    result = evaluate.memory_qa(model, 1, seed=9, questions=1, sets=16, conditions=("memory", "none"))
    assert result["memory"] >= 0.6 and result["none"] == 0.0
    fact = tasks.make_facts(random.Random(42), 1)[0]
    assert model.generate(fact.question, max_new_tokens=12).strip() != fact.value


@pytest.mark.parametrize("bad", ["", "   ", b"\xff\xfe bad"])
def test_bad_text_raises_clear_error(tiny: MemoryModel, bad) -> None:
    from memos.errors import InvalidInputError

    with pytest.raises(InvalidInputError):
        tiny.encode_memory([bad])
    with pytest.raises(InvalidInputError):
        tiny.generate(bad)
    with pytest.raises(InvalidInputError):
        tiny.read_session(bad)


def test_too_long_memory_and_empty_list_raise(tiny: MemoryModel) -> None:
    from memos.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match="at most"):
        tiny.encode_memory(["x" * (tiny.cfg.max_memory_tokens + 1)])
    with pytest.raises(InvalidInputError):
        tiny.encode_memory([])
    with pytest.raises(InvalidInputError):
        tiny(torch.tensor([[0, 999]]))
