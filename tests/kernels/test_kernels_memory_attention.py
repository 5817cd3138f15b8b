"""memory_attention: Triton (interpreted) == reference over ragged, sparse and empty selections."""

from __future__ import annotations

import pytest
import torch

from memos.errors import KernelError
from memos.kernels import memory_attention
from memos.kernels.memory_attention import memory_attention_dense, memory_attention_reference

TOL = 5e-3

# (B, L, H, D, M, S, K, block_size)
CASES = [
    (1, 16, 1, 16, 2, 16, 1, 16),  # aligned, one block
    (2, 37, 2, 20, 3, 10, 2, 16),  # ragged L, D and S off the 16-wide tiles
    (1, 30, 2, 16, 2, 70, 3, 24),  # S spans two slot tiles; block 24 is not a power of two
    (1, 100, 1, 16, 3, 8, 2, 80),  # block 80 > 64: two query tiles per selection block
    (2, 20, 2, 16, 2, 12, 5, 16),  # K larger than the number of memories (extra picks are -1)
    (1, 19, 2, 16, 5, 4, 3, 4),  # few slots per memory: one tile spans several memories
    (2, 9, 2, 20, 4, 24, 3, 1),  # per-token selection: the row kernels, K*S = 72 > one tile
    (1, 11, 1, 16, 3, 5, 2, 3),  # block 3: row kernels, a row's block is row // 3
]


def _inputs(bsz, length, heads, dim, mems, slots, topk, block):
    nb = -(-length // block)
    q = torch.randn(bsz, length, heads, dim)
    k = torch.randn(bsz, mems, slots, heads, dim)
    v = torch.randn(bsz, mems, slots, heads, dim)
    slot_mask = torch.rand(bsz, mems, slots) > 0.3
    slot_mask[:, :, 0] = True
    idx = torch.randint(0, mems, (bsz, nb, heads, topk))
    idx[torch.rand(idx.shape) < 0.25] = -1
    if topk > mems:
        idx[..., mems:] = -1
    return q, k, v, slot_mask, idx


def _parity(rel_rmse, q, k, v, slot_mask, idx, block, scale=None):
    tri = [t.clone().requires_grad_(True) for t in (q, k, v)]
    ref = [t.clone().requires_grad_(True) for t in (q, k, v)]
    out_t = memory_attention(*tri, slot_mask, idx, block_size=block, scale=scale)
    out_r = memory_attention_reference(*ref, slot_mask, idx, block, scale)
    dout = torch.randn_like(out_r)
    (out_t * dout).sum().backward()
    (out_r * dout).sum().backward()
    assert out_t.shape == q.shape and out_t.dtype == q.dtype
    assert rel_rmse(out_t, out_r) < TOL
    for name, a, r in zip("qkv", tri, ref, strict=True):
        assert rel_rmse(a.grad, r.grad) < TOL, name
    return out_t, tri


@pytest.mark.parametrize("case", CASES, ids=lambda c: "B{}L{}H{}D{}M{}S{}K{}blk{}".format(*c))
def test_triton_matches_reference(triton_interp, rel_rmse, case):
    *shape, block = case
    _parity(rel_rmse, *_inputs(*shape, block), block)


@pytest.mark.parametrize("case", CASES, ids=lambda c: "B{}L{}H{}D{}M{}S{}K{}blk{}".format(*c))
def test_dense_inference_path_matches_the_gather(case, monkeypatch):
    """The CPU inference path (scores over the union of chosen memories) == the per-query gather,
    including repeated picks, -1 picks, all-padding memories and memory shared across the batch."""
    monkeypatch.setenv("MEMOS_KERNELS", "reference")
    *shape, block = case
    q, k, v, slot_mask, idx = _inputs(*shape, block)
    idx[..., 0] = idx[..., -1]  # the same memory twice in a selection (where K > 1)
    slot_mask[:, -1] = False  # a memory with no slot at all
    for kk, vv, mm in ((k, v, slot_mask), (k[:1].expand_as(k), v[:1].expand_as(v), slot_mask[:1].expand_as(slot_mask))):
        want = memory_attention_reference(q, kk, vv, mm, idx, block)
        torch.testing.assert_close(memory_attention_dense(q, kk, vv, mm, idx, block), want, atol=1e-5, rtol=1e-4)
        with torch.no_grad():  # what the dispatcher picks for inference
            torch.testing.assert_close(memory_attention(q, kk, vv, mm, idx, block_size=block), want,
                                       atol=1e-5, rtol=1e-4)
    nothing = torch.full_like(idx, -1)
    assert torch.all(memory_attention_dense(q, k, v, slot_mask, nothing, block) == 0)


def test_dispatcher_takes_the_dense_path_only_for_inference_within_its_bounds(monkeypatch):
    import importlib

    ma = importlib.import_module("memos.kernels.memory_attention")  # the module, not the function
    monkeypatch.setenv("MEMOS_KERNELS", "reference")
    calls: list[int] = []
    real = ma.memory_attention_dense

    def spy(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(ma, "memory_attention_dense", spy)
    q, k, v, slot_mask, idx = _inputs(1, 12, 2, 16, 6, 8, 2, 1)

    def dense_used(run) -> bool:
        calls.clear()
        run()
        return bool(calls)

    call = lambda: ma.memory_attention(q, k, v, slot_mask, idx, block_size=1)  # noqa: E731
    with torch.no_grad():
        assert dense_used(call)
    with torch.inference_mode():
        assert dense_used(call)
    qg = q.clone().requires_grad_(True)
    assert not dense_used(lambda: ma.memory_attention(qg, k, v, slot_mask, idx, block_size=1))  # training
    with torch.no_grad():
        blocks = _inputs(1, 12, 2, 16, 6, 8, 2, 4)
        assert not dense_used(lambda: ma.memory_attention(*blocks, block_size=4))  # one gather per block
        one = [t[:, :1] if i in (0, 4) else t for i, t in enumerate((q, k, v, slot_mask, idx))]
        assert dense_used(lambda: ma.memory_attention(*one, block_size=1))  # one decoding step
        monkeypatch.setattr(ma, "DENSE_PROMPT_UNION_PER_K", 2)  # 12 tokens: the prompt's bound
        assert not dense_used(call)
        monkeypatch.setattr(ma, "DENSE_PROMPT_UNION_PER_K", 16)
        monkeypatch.setattr(ma, "DENSE_MAX_ELEMENTS", 10)  # too many scores to hold
        assert not dense_used(call)


@pytest.mark.parametrize("block", [1, 3, 4])
def test_long_inference_prompts_are_taken_in_bounded_slices(monkeypatch, block):
    """Off the Triton path, inference takes the queries in slices of whole blocks, each
    within SLICE_MAX_ELEMENTS of gathered slots (a long question once took 8.6 GB in one
    piece); the output is the unsliced one."""
    import importlib

    ma = importlib.import_module("memos.kernels.memory_attention")
    monkeypatch.setenv("MEMOS_KERNELS", "reference")
    bsz, length, heads, dim, mems, slots, topk = 2, 37, 2, 16, 6, 8, 3
    q, k, v, slot_mask, idx = _inputs(bsz, length, heads, dim, mems, slots, topk, block)
    want = memory_attention_reference(q, k, v, slot_mask, idx, block)
    seen: list[int] = []
    for name in ("memory_attention_dense", "memory_attention_reference"):
        real = getattr(ma, name)

        def spy(q_, *args, _real=real, **kwargs):
            seen.append(q_.shape[1])
            return _real(q_, *args, **kwargs)

        monkeypatch.setattr(ma, name, spy)
    per_query = bsz * heads * topk * slots * dim
    monkeypatch.setattr(ma, "SLICE_MAX_ELEMENTS", per_query * 8)  # 8 queries a slice
    with torch.no_grad():
        got = ma.memory_attention(q, k, v, slot_mask, idx, block_size=block)
    torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-4)
    rows = max(1, 8 // block) * block
    assert sum(seen) == length and len(seen) == -(-length // rows)
    assert max(seen) <= rows and all(n % block == 0 for n in seen[:-1])
    seen.clear()
    qg = q.clone().requires_grad_(True)  # training: one piece (autograd holds it all anyway)
    ma.memory_attention(qg, k, v, slot_mask, idx, block_size=block)
    assert seen == [length]


def test_row_kernels_with_one_row_per_program_as_on_a_gpu(triton_interp, rel_rmse, monkeypatch):
    """The interpreter runs 16 rows per row-kernel program; a GPU runs 1. Check that layout too."""
    import importlib

    monkeypatch.setattr(importlib.import_module("memos.kernels.memory_attention.triton"), "INTERPRETER_ROWS", 1)
    _parity(rel_rmse, *_inputs(2, 5, 2, 20, 3, 24, 3, 1), 1)


def test_rows_without_any_valid_slot_give_zero_and_no_gradient(triton_interp, rel_rmse):
    q, k, v, slot_mask, idx = _inputs(1, 40, 2, 16, 3, 8, 2, 16)
    idx[0, 0, 0] = -1  # block 0, head 0 selects nothing
    idx[0, 1, 1] = 2
    slot_mask[0, 2] = False  # block 1, head 1 selects only an all-padding memory
    out, (dq, _, _) = _parity(rel_rmse, q, k, v, slot_mask, idx, 16, scale=0.3)
    assert torch.all(out[0, :16, 0] == 0) and torch.all(out[0, 16:32, 1] == 0)
    assert torch.all(dq.grad[0, :16, 0] == 0)
    assert out[0, :16, 1].abs().sum() > 0


def test_repeated_selection_counts_twice_like_the_reference(triton_interp, rel_rmse):
    q, k, v, slot_mask, _ = _inputs(1, 16, 1, 16, 2, 8, 3, 16)
    idx = torch.tensor([[[[1, 1, 0]]]])
    _parity(rel_rmse, q, k, v, slot_mask, idx, 16)


@pytest.mark.parametrize("block", [1, 8])
def test_memory_shared_across_the_batch_is_read_in_place(triton_interp, rel_rmse, block):
    """The model passes one memory set expanded over the batch (batch stride 0)."""
    bsz, length, heads, dim, mems, slots, topk = 3, 10, 2, 16, 4, 6, 2
    q = torch.randn(bsz, length, heads, dim)
    k1, v1 = torch.randn(1, mems, slots, heads, dim), torch.randn(1, mems, slots, heads, dim)
    m1 = torch.rand(1, mems, slots) > 0.3
    idx = torch.randint(-1, mems, (bsz, -(-length // block), heads, topk))
    grads = []
    for fn in (memory_attention, memory_attention_reference):
        qq, kk, vv = (t.clone().requires_grad_(True) for t in (q, k1, v1))
        out = fn(qq, kk.expand(bsz, -1, -1, -1, -1), vv.expand(bsz, -1, -1, -1, -1),
                 m1.expand(bsz, -1, -1), idx, block)
        (out * torch.linspace(-1, 1, out.numel()).view(out.shape)).sum().backward()
        grads.append((out, qq.grad, kk.grad, vv.grad))
    for a, r in zip(*grads, strict=True):
        assert rel_rmse(a, r) < TOL


@pytest.mark.parametrize("backend", ["reference", "triton"])
def test_empty_memory_gives_zeros(monkeypatch, backend):
    monkeypatch.setenv("MEMOS_KERNELS", backend)
    monkeypatch.setenv("TRITON_INTERPRET", "1")
    q = torch.randn(1, 10, 2, 16)
    k = torch.zeros(1, 0, 4, 2, 16)
    out = memory_attention(q, k, k.clone(), torch.zeros(1, 0, 4, dtype=torch.bool),
                           torch.full((1, 1, 2, 3), -1), block_size=16)
    assert out.shape == q.shape and torch.all(out == 0)


def test_bad_inputs_raise_kernel_error():
    q = torch.randn(1, 10, 2, 16)
    k = torch.randn(1, 3, 4, 2, 16)
    mask = torch.ones(1, 3, 4, dtype=torch.bool)
    with pytest.raises(KernelError, match="only 3 memories"):
        memory_attention(q, k, k, mask, torch.full((1, 1, 2, 2), 3), block_size=16)
    with pytest.raises(KernelError, match="idx"):
        memory_attention(q, k, k, mask, torch.zeros(1, 2, 2, 2, dtype=torch.long), block_size=16)
    with pytest.raises(KernelError, match="k and v"):
        memory_attention(q, k[..., :8], k[..., :8], mask, torch.zeros(1, 1, 2, 2, dtype=torch.long))
    with pytest.raises(KernelError, match="bool"):
        memory_attention(q, k, k, mask.float(), torch.zeros(1, 1, 2, 2, dtype=torch.long), block_size=16)


@pytest.mark.parametrize("block", [1, 16])
def test_scores_all_below_minus_1e30_still_weigh_the_slots(triton_interp, rel_rmse, block):
    # Every valid score near -1e35: the softmax picks the least negative slot, as the
    # reference does. A running max that started at -1e30 saw no score above it, kept a sum
    # of 0 and gave 0 for every row.
    q, k, v, slot_mask, idx = _inputs(1, 16, 2, 16, 3, 8, 2, block)
    idx[idx < 0] = 0
    q = torch.full_like(q, 1e16)
    k = -1e16 * (k.abs() + 0.1)
    out = memory_attention(q, k, v, slot_mask, idx, block_size=block)
    ref = memory_attention_reference(q, k, v, slot_mask, idx, block, None)
    assert torch.isfinite(ref).all() and ref.abs().sum() > 0
    assert rel_rmse(out, ref) < TOL
