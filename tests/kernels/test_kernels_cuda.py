"""The compiled Triton kernels on a CUDA GPU against the PyTorch references.

The other kernel tests run the kernels in Triton's CPU interpreter, which checks their logic
but not what the GPU compiler makes of them (tiling, tf32 and bf16 dots, atomics, stride-0
inputs). These run only where CUDA is available and are skipped elsewhere, CI included.

fp32 inputs take exact fp32 dots and must match the reference as in the interpreter (5e-3
relative RMSE). bf16 inputs are compared with the reference computed in float64 on the same
(bf16-rounded) inputs: bf16 keeps about three significant digits, so outputs and gradients
stored in bf16 carry about 0.4 % relative rounding error each; 3e-2 leaves room for that and
the fp32 accumulation while catching a wrong tile, mask or reduction (those give errors near 1).
"""

from __future__ import annotations

import pytest
import torch

from memos.kernels import memory_attention, ssd_scan, ssd_step
from memos.kernels.memory_attention import memory_attention_reference
from memos.kernels.ssd_scan import ssd_scan_reference
from memos.kernels.ssd_step import ssd_step_reference

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")

TOL = {torch.float32: 5e-3, torch.bfloat16: 3e-2}
DTYPES = [torch.float32, torch.bfloat16]
CUDA = "cuda"


@pytest.fixture(autouse=True)
def _triton_on_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("triton")
    monkeypatch.setenv("MEMOS_KERNELS", "triton")
    monkeypatch.delenv("TRITON_INTERPRET", raising=False)


def _pair(tensors, dtype):
    """(inputs for the kernel in `dtype`, the same values in float64 for the reference)."""
    low = [None if t is None else t.to(CUDA, dtype if t.is_floating_point() else t.dtype) for t in tensors]
    tri = [None if t is None else t.clone().requires_grad_(t.is_floating_point()) for t in low]
    ref = [None if t is None else (t.double() if t.is_floating_point() else t).clone()
           .requires_grad_(t.is_floating_point()) for t in low]
    return tri, ref


def _check(rel_rmse, dtype, pairs):
    tol = TOL[dtype]
    for name, got, want in pairs:
        assert want is not None, f"{name}: the reference computed no gradient"
        got = got if got is not None else torch.zeros_like(want)
        err = rel_rmse(got, want)
        assert err < tol, f"{name}: relative RMSE {err:.2e} >= {tol:.0e} ({dtype})"


# (B, L, H, P, N, chunk, initial state): the model's layer (8 heads of 64, state 64, chunk 64)
# at a length off the chunk, and small ragged shapes off the 16-wide tiles.
SCAN_CASES = [
    (2, 1000, 8, 64, 64, 64, True),
    (1, 37, 2, 16, 16, 16, True),
    (2, 130, 3, 20, 12, 32, False),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("case", SCAN_CASES, ids=lambda c: "B{}L{}H{}P{}N{}C{}init{}".format(*c))
def test_scan_on_gpu_matches_reference(rel_rmse, case, dtype):
    bsz, length, heads, p, n, chunk, init = case
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(bsz, length, heads, p, generator=gen)
    log_a = -torch.rand(bsz, length, heads, generator=gen) * 0.5
    b = torch.randn(bsz, length, heads, n, generator=gen) / n**0.5
    c = torch.randn(bsz, length, heads, n, generator=gen) / n**0.5
    s0 = torch.randn(bsz, heads, p, n, generator=gen) if init else None
    tri, ref = _pair([x, log_a, b, c, s0], dtype)
    tri[1] = log_a.to(CUDA).clone().requires_grad_(True)  # the decay stays fp32, as the model passes it
    ref[1] = log_a.to(CUDA).double().clone().requires_grad_(True)
    dy = torch.randn(bsz, length, heads, p, generator=gen).to(CUDA)
    dfinal = torch.randn(bsz, heads, p, n, generator=gen).to(CUDA)

    y_t, f_t = ssd_scan(*tri[:4], chunk_size=chunk, initial_state=tri[4])
    ((y_t.double() * dy).sum() + (f_t.double() * dfinal).sum()).backward()
    y_r, f_r = ssd_scan_reference(*ref[:4], chunk_size=chunk, initial_state=ref[4])
    ((y_r * dy).sum() + (f_r * dfinal).sum()).backward()

    assert y_t.dtype == dtype and f_t.dtype == torch.float32
    _check(rel_rmse, dtype, [("y", y_t, y_r), ("final state", f_t, f_r)] + [
        (f"d{name}", t.grad, r.grad) for name, t, r in
        zip(("x", "log_a", "b", "c", "initial_state"), tri, ref, strict=True) if r is not None])


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("shape", [(4, 8, 64, 64), (3, 2, 20, 12)], ids=str)
def test_step_on_gpu_matches_reference(rel_rmse, shape, dtype):
    bsz, heads, p, n = shape
    gen = torch.Generator().manual_seed(2)
    x = torch.randn(bsz, heads, p, generator=gen)
    log_a = -torch.rand(bsz, heads, generator=gen)
    b = torch.randn(bsz, heads, n, generator=gen)
    c = torch.randn(bsz, heads, n, generator=gen)
    state = torch.randn(bsz, heads, p, n, generator=gen)
    tri, ref = _pair([x, log_a, b, c, state], dtype)
    for i, t in ((1, log_a), (4, state)):  # decay and state stay fp32
        tri[i] = t.to(CUDA).clone().requires_grad_(True)
        ref[i] = t.to(CUDA).double().clone().requires_grad_(True)
    kept = tri[4].detach().clone()
    y_t, s_t = ssd_step(*tri)
    y_r, s_r = ssd_step_reference(*ref)
    dy = torch.randn(y_r.shape, generator=gen).to(CUDA)
    ds = torch.randn(s_r.shape, generator=gen).to(CUDA)
    ((y_t.double() * dy).sum() + (s_t.double() * ds).sum()).backward()
    ((y_r * dy).sum() + (s_r * ds).sum()).backward()
    assert torch.equal(tri[4].detach(), kept), "the input state must not be modified"
    _check(rel_rmse, dtype, [("y", y_t, y_r), ("state", s_t, s_r)] + [
        (f"d{name}", t.grad, r.grad) for name, t, r in
        zip(("x", "log_a", "b", "c", "state"), tri, ref, strict=True)])


# (B, L, H, D, M, S, K, block): the model's chunk memory (block 64) and its per-token
# cross-attention (block 1, the row kernels), and a small ragged case with empty picks.
ATTENTION_CASES = [
    (2, 300, 8, 64, 32, 64, 4, 64),
    (2, 129, 8, 64, 32, 64, 4, 1),
    (2, 37, 2, 20, 3, 10, 2, 16),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("case", ATTENTION_CASES, ids=lambda c: "B{}L{}H{}D{}M{}S{}K{}blk{}".format(*c))
def test_memory_attention_on_gpu_matches_reference(rel_rmse, case, dtype):
    bsz, length, heads, dim, mems, slots, topk, block = case
    gen = torch.Generator().manual_seed(3)
    nb = -(-length // block)
    q = torch.randn(bsz, length, heads, dim, generator=gen)
    k = torch.randn(bsz, mems, slots, heads, dim, generator=gen)
    v = torch.randn(bsz, mems, slots, heads, dim, generator=gen)
    slot_mask = torch.rand(bsz, mems, slots, generator=gen) > 0.3
    slot_mask[:, :, 0] = True
    idx = torch.stack([torch.randperm(mems, generator=gen)[:topk] for _ in range(bsz * nb * heads)])
    idx = idx.view(bsz, nb, heads, topk)
    idx[torch.rand(idx.shape, generator=gen) < 0.2] = -1
    slot_mask, idx = slot_mask.to(CUDA), idx.to(CUDA)
    tri, ref = _pair([q, k, v], dtype)
    out_t = memory_attention(*tri, slot_mask, idx, block_size=block)
    out_r = memory_attention_reference(*ref, slot_mask, idx, block, None)
    dout = torch.randn(out_r.shape, generator=gen).to(CUDA)
    (out_t.double() * dout).sum().backward()
    (out_r * dout).sum().backward()
    assert out_t.dtype == dtype
    _check(rel_rmse, dtype, [("out", out_t, out_r)] + [
        (f"d{name}", t.grad, r.grad) for name, t, r in zip("qkv", tri, ref, strict=True)])


def test_memory_shared_across_the_batch_is_read_in_place_on_gpu(rel_rmse):
    """The model expands one memory set over the batch (stride 0): the kernels read it in place
    and the gradients of the shared tensors sum over the batch, as the reference's do."""
    gen = torch.Generator().manual_seed(4)
    q = torch.randn(3, 70, 8, 64, generator=gen).to(CUDA)
    k = torch.randn(1, 16, 64, 8, 64, generator=gen).to(CUDA)
    v = torch.randn(1, 16, 64, 8, 64, generator=gen).to(CUDA)
    mask = torch.ones(1, 16, 64, dtype=torch.bool, device=CUDA)
    idx = torch.randint(0, 16, (3, 70, 8, 4), generator=gen).to(CUDA)
    leaves = {}
    outs = {}
    for name, fn in (("triton", memory_attention), ("reference", memory_attention_reference)):
        qq, kk, vv = (t.clone().requires_grad_(True) for t in (q, k, v))
        out = fn(qq, kk.expand(3, -1, -1, -1, -1), vv.expand(3, -1, -1, -1, -1),
                 mask.expand(3, -1, -1), idx, 1, None)
        (out.square().sum()).backward()
        leaves[name], outs[name] = (qq, kk, vv), out
    _check(rel_rmse, torch.float32, [("out", outs["triton"], outs["reference"])] + [
        (f"d{n}", a.grad, b.grad) for n, a, b in zip("qkv", leaves["triton"], leaves["reference"], strict=True)])


def test_shipped_model_on_gpu_matches_the_cpu_reference(rel_rmse, monkeypatch):
    """The shipped checkpoint's logits with memory, on the GPU's Triton kernels (fp32) and on
    the CPU's references: the same within the fp32 parity tolerance."""
    from memos.model import tokenizer as tok
    from memos.model.checkpoint import load_checkpoint
    from memos.model.cross_attention import LayerMemory

    facts = ["Ilse's locker code is 4471.", "The boat is named Kestrel.", "Omar was born in Tunis."]
    question = "What is the name of the boat?"
    logits = {}
    for device in ("cpu", CUDA):
        monkeypatch.setenv("MEMOS_KERNELS", "reference" if device == "cpu" else "triton")
        model = load_checkpoint(device=device)
        per_layer, mask = model.encode_tokens([[tok.BOS, *tok.encode_raw(f)] for f in facts])
        memory = [LayerMemory(k[None], v[None], mask[None], p[None]) for k, v, p in per_layer]
        tokens = torch.tensor([[tok.BOS, *tok.encode_raw(question)]], device=device)
        with torch.no_grad():
            logits[device] = model.forward_full(tokens, memory)[0].float().cpu()
    assert rel_rmse(logits[CUDA], logits["cpu"]) < TOL[torch.float32]
