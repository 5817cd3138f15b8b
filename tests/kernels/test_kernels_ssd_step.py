"""ssd_step: Triton (interpreted) == reference, forward and gradients; the input state is kept."""

from __future__ import annotations

import pytest
import torch

from memos.errors import KernelError
from memos.kernels import ssd_step
from memos.kernels.ssd_step import ssd_step_reference

TOL = 5e-3


@pytest.mark.parametrize("shape", [(1, 1, 16, 16), (2, 3, 20, 12), (1, 2, 64, 128)], ids=str)
def test_triton_step_matches_reference(triton_interp, rel_rmse, shape):
    bsz, heads, p, n = shape
    base = [
        torch.randn(bsz, heads, p),
        -torch.rand(bsz, heads),
        torch.randn(bsz, heads, n),
        torch.randn(bsz, heads, n),
        torch.randn(bsz, heads, p, n),
    ]
    tri = [t.clone().requires_grad_(True) for t in base]
    ref = [t.clone().requires_grad_(True) for t in base]
    y_t, s_t = ssd_step(*tri)
    y_r, s_r = ssd_step_reference(*ref)
    dy, ds = torch.randn_like(y_r), torch.randn_like(s_r)
    ((y_t * dy).sum() + (s_t * ds).sum()).backward()
    ((y_r * dy).sum() + (s_r * ds).sum()).backward()
    assert s_t.dtype == torch.float32
    assert rel_rmse(y_t, y_r) < TOL and rel_rmse(s_t, s_r) < TOL
    for name, a, r in zip(("x", "log_a", "b", "c", "state"), tri, ref, strict=True):
        assert rel_rmse(a.grad, r.grad) < TOL, name
    assert torch.equal(tri[4].detach(), base[4]), "the input state must not be modified"


def test_step_bad_shapes_raise_kernel_error():
    with pytest.raises(KernelError, match="ssd_step expects"):
        ssd_step(torch.zeros(1, 2, 4), torch.zeros(1, 3), torch.zeros(1, 2, 5), torch.zeros(1, 2, 5),
                 torch.zeros(1, 2, 4, 5))
