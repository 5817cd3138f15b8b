"""ssd_scan: Triton (interpreted) == chunked reference == sequential recurrence == repeated steps."""

from __future__ import annotations

import importlib

import pytest
import torch

from memos.errors import KernelError
from memos.kernels import ssd_scan, ssd_step
from memos.kernels.ssd_scan import ssd_scan_reference, ssd_scan_sequential

TOL = 5e-3

# (B, L, H, P, N, chunk_size, with initial state, decay scale)
CASES = [
    (1, 16, 1, 16, 16, 16, False, 0.5),  # one full chunk
    (2, 37, 2, 16, 16, 16, True, 0.5),  # ragged: 37 is not a multiple of 16
    (1, 50, 2, 8, 12, 32, True, 0.5),  # P, N below the 16-wide tl.dot tile
    (2, 45, 1, 20, 16, 24, False, 0.5),  # chunk 24 is not a power of two
    (1, 5, 3, 16, 16, 64, True, 0.5),  # shorter than one chunk
    (1, 40, 1, 16, 16, 16, True, 8.0),  # strong decay: exp of large differences must not overflow
]


def _inputs(bsz, length, heads, p, n, init, decay):
    x = torch.randn(bsz, length, heads, p)
    log_a = -torch.rand(bsz, length, heads) * decay
    b = torch.randn(bsz, length, heads, n) / n**0.5
    c = torch.randn(bsz, length, heads, n) / n**0.5
    s0 = torch.randn(bsz, heads, p, n) if init else None
    return x, log_a, b, c, s0


def _leaves(tensors):
    return [t.clone().requires_grad_(True) if t is not None else None for t in tensors]


@pytest.mark.parametrize("case", CASES, ids=lambda c: "B{}L{}H{}P{}N{}C{}init{}d{}".format(*c))
def test_triton_matches_reference_forward_and_gradients(triton_interp, monkeypatch, rel_rmse, case):
    bsz, length, heads, p, n, chunk, init, decay = case
    base = _inputs(bsz, length, heads, p, n, init, decay)
    dy = torch.randn(bsz, length, heads, p)
    dfinal = torch.randn(bsz, heads, p, n)

    tri = _leaves(base)
    y_t, f_t = ssd_scan(*tri[:4], chunk_size=chunk, initial_state=tri[4])
    ((y_t * dy).sum() + (f_t * dfinal).sum()).backward()

    ref = _leaves(base)
    y_r, f_r = ssd_scan_reference(*ref[:4], chunk_size=chunk, initial_state=ref[4])
    ((y_r * dy).sum() + (f_r * dfinal).sum()).backward()

    assert f_t.dtype == torch.float32
    assert rel_rmse(y_t, y_r) < TOL
    assert rel_rmse(f_t, f_r) < TOL
    for name, a, r in zip(("x", "log_a", "b", "c", "initial_state"), tri, ref, strict=True):
        if r is None:
            continue
        assert rel_rmse(a.grad, r.grad) < TOL, name


@pytest.mark.parametrize("which", ["y", "final"])
def test_triton_gradients_when_only_one_output_is_used(triton_interp, rel_rmse, which):
    base = _inputs(1, 29, 2, 16, 16, True, 0.5)
    tri, ref = _leaves(base), _leaves(base)
    outs_t = ssd_scan(*tri[:4], chunk_size=16, initial_state=tri[4])
    outs_r = ssd_scan_reference(*ref[:4], chunk_size=16, initial_state=ref[4])
    pick = 0 if which == "y" else 1
    (outs_t[pick] ** 2).sum().backward()
    (outs_r[pick] ** 2).sum().backward()
    for a, r in zip(tri, ref, strict=True):
        # c does not reach the final state: autograd leaves the reference grad None.
        r_grad = r.grad if r.grad is not None else torch.zeros_like(r)
        a_grad = a.grad if a.grad is not None else torch.zeros_like(a)
        assert rel_rmse(a_grad, r_grad) < TOL


def test_triton_path_is_taken(triton_interp, monkeypatch):
    """Guard against a parity test that silently compares the reference with itself."""
    # importlib: the attribute memos.kernels.ssd_scan is the function, not the package.
    tri_mod = importlib.import_module("memos.kernels.ssd_scan.triton")

    calls = []
    real = tri_mod.ssd_scan_triton_forward
    monkeypatch.setattr(tri_mod, "ssd_scan_triton_forward", lambda *a: calls.append(1) or real(*a))
    ssd_scan(*_inputs(1, 8, 1, 4, 4, False, 0.5)[:4], chunk_size=16)
    assert calls == [1]


@pytest.mark.parametrize("backend", ["reference", "triton"])
def test_chunked_equals_sequential_and_repeated_steps(monkeypatch, rel_rmse, backend):
    monkeypatch.setenv("MEMOS_KERNELS", backend)
    monkeypatch.setenv("TRITON_INTERPRET", "1")
    x, log_a, b, c, s0 = _inputs(2, 21, 2, 8, 16, True, 1.0)
    y_chunk, f_chunk = ssd_scan(x, log_a, b, c, chunk_size=16, initial_state=s0)
    y_seq, f_seq = ssd_scan_sequential(x, log_a, b, c, initial_state=s0)
    state, ys = s0.clone(), []
    for t in range(x.shape[1]):
        y_t, state = ssd_step(x[:, t], log_a[:, t], b[:, t], c[:, t], state)
        ys.append(y_t)
    y_step = torch.stack(ys, dim=1)
    assert rel_rmse(y_chunk, y_seq) < 1e-5 and rel_rmse(f_chunk, f_seq) < 1e-5
    assert rel_rmse(y_step, y_seq) < 1e-5 and rel_rmse(state, f_seq) < 1e-5


def test_split_sequence_with_carried_state_equals_whole(triton_interp, rel_rmse):
    x, log_a, b, c, _ = _inputs(1, 40, 2, 16, 16, False, 0.5)
    y_all, f_all = ssd_scan(x, log_a, b, c, chunk_size=16)
    y1, f1 = ssd_scan(x[:, :23], log_a[:, :23], b[:, :23], c[:, :23], chunk_size=16)
    y2, f2 = ssd_scan(x[:, 23:], log_a[:, 23:], b[:, 23:], c[:, 23:], chunk_size=16, initial_state=f1)
    assert rel_rmse(torch.cat([y1, y2], dim=1), y_all) < 1e-5
    assert rel_rmse(f2, f_all) < 1e-5


@pytest.mark.parametrize("backend", ["reference", "triton"])
def test_empty_sequence_passes_the_state_through(monkeypatch, backend):
    monkeypatch.setenv("MEMOS_KERNELS", backend)
    monkeypatch.setenv("TRITON_INTERPRET", "1")
    s0 = torch.randn(1, 2, 4, 3)
    y, final = ssd_scan(torch.zeros(1, 0, 2, 4), torch.zeros(1, 0, 2), torch.zeros(1, 0, 2, 3),
                        torch.zeros(1, 0, 2, 3), initial_state=s0)
    assert y.shape == (1, 0, 2, 4)
    assert torch.equal(final, s0)


def test_bad_shapes_raise_kernel_error():
    x = torch.zeros(1, 4, 2, 8)
    with pytest.raises(KernelError, match="log_a"):
        ssd_scan(x, torch.zeros(1, 4, 3), torch.zeros(1, 4, 2, 4), torch.zeros(1, 4, 2, 4))
    with pytest.raises(KernelError, match="initial_state"):
        ssd_scan(x, torch.zeros(1, 4, 2), torch.zeros(1, 4, 2, 4), torch.zeros(1, 4, 2, 4),
                 initial_state=torch.zeros(1, 2, 8, 5))
    with pytest.raises(KernelError, match="chunk_size"):
        ssd_scan(x, torch.zeros(1, 4, 2), torch.zeros(1, 4, 2, 4), torch.zeros(1, 4, 2, 4), chunk_size=0)


@pytest.mark.parametrize("backend", ["reference", "triton"])
def test_a_decay_of_minus_infinity_resets_the_state_without_nan(monkeypatch, rel_rmse, backend):
    # log_a = -inf forgets everything before it (exp(-inf) = 0), as the step-by-step scan
    # does; the chunked forms took -inf - (-inf) = NaN and spread it through the chunk.
    monkeypatch.setenv("MEMOS_KERNELS", backend)
    monkeypatch.setenv("TRITON_INTERPRET", "1")
    x, log_a, b, c, s0 = _inputs(1, 21, 2, 4, 8, True, 1.0)
    log_a[0, 5, 0] = float("-inf")
    log_a[0, 17, 1] = -1e6
    leaves = _leaves((x, log_a, b, c, s0))
    y, final = ssd_scan(*leaves[:4], chunk_size=8, initial_state=leaves[4])
    y_seq, f_seq = ssd_scan_sequential(x, log_a, b, c, initial_state=s0)
    assert rel_rmse(y, y_seq) < 1e-5 and rel_rmse(final, f_seq) < 1e-5
    (y.sum() + final.sum()).backward()
    for name, leaf in zip(("x", "log_a", "b", "c", "s0"), leaves, strict=True):
        assert torch.isfinite(leaf.grad).all(), name
