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

from memos.kernels import memory_attention, parity
from memos.kernels.memory_attention import memory_attention_reference

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")

CUDA = "cuda"
TOL = parity.TOLERANCE["fp32"]


@pytest.fixture(autouse=True)
def _triton_on_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("triton")
    monkeypatch.setenv("MEMOS_KERNELS", "triton")
    monkeypatch.delenv("TRITON_INTERPRET", raising=False)


CASES = ([("ssd_scan", c) for c in parity.SCAN_CASES + parity.SCAN_TINY]
         + [("ssd_step", c) for c in parity.STEP_CASES]
         + [("memory_attention", c) for c in parity.ATTENTION_CASES])


@pytest.mark.parametrize("dtype", ["fp32", "bf16"])
@pytest.mark.parametrize(("op", "case"), CASES, ids=lambda v: "x".join(map(str, v))
                         if isinstance(v, tuple) else v)
def test_kernel_on_gpu_matches_reference(op: str, case: tuple, dtype: str) -> None:
    """The model's layer shapes (8 heads of 64, state 64, chunk 64; chunk memory per block
    of 64 and per-token cross-attention) and ragged small ones off the 16-wide tiles, with
    initial states and empty memory picks (`memos.kernels.parity`)."""
    row = parity.check_case(op, case, dtype, CUDA)
    assert row.ok, f"{op} {row.case} {dtype}: {row.worst} relative RMSE {row.error:.2e}"


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
    pairs = [("out", outs["triton"], outs["reference"])] + [
        (f"d{n}", a.grad, b.grad) for n, a, b in zip("qkv", leaves["triton"], leaves["reference"],
                                                      strict=True)]
    for name, got, want in pairs:
        assert rel_rmse(got, want) < TOL, name


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
    assert rel_rmse(logits[CUDA], logits["cpu"]) < TOL
