"""Every kernel compiles for an H100 (sm_90) on this GPU-less machine, within its limits."""

from __future__ import annotations

import pytest

from memos.errors import KernelError

H100_SHARED_PER_BLOCK = 227 * 1024
H100_REGISTERS_PER_THREAD = 255


def test_all_kernels_compile_for_sm90_within_hardware_limits(monkeypatch):
    pytest.importorskip("triton")
    monkeypatch.delenv("TRITON_INTERPRET", raising=False)
    monkeypatch.setenv("TRITON_DEFAULT_FP_FUSION", "1")
    from memos.kernels.compile_check import compile_report

    try:
        rows = compile_report("bf16", 90)
    except KernelError as exc:
        if "not bundled" in str(exc) or "imported with TRITON_INTERPRET=1" in str(exc):
            pytest.skip(str(exc))
        raise
    names = {r.name for r in rows}
    assert names == {"chunk_state_kernel", "state_pass_kernel", "chunk_out_kernel", "chunk_bwd_kernel",
                     "step_kernel", "mem_attn_fwd_kernel", "mem_attn_bwd_kernel",
                     "mem_attn_row_fwd_kernel", "mem_attn_row_bwd_kernel"}
    for r in rows:
        assert 0 < r.registers <= H100_REGISTERS_PER_THREAD, r
        assert r.shared_bytes <= H100_SHARED_PER_BLOCK, r
        # Spilling is allowed where it was measured to pay: on an H200 the scan's 4-warp
        # output and backward kernels (152 bytes and 1.8 KB per thread) ran faster than at 8
        # warps without spilling (docs/BENCHMARKS.md, Kernels). A forward kernel spilling
        # more than a few hundred bytes, or a backward several KB, is a regression to measure.
        assert r.spill_bytes <= (4096 if "bwd" in r.name else 256), r


def test_compile_report_rejects_unknown_dtype():
    from memos.kernels.compile_check import compile_report

    with pytest.raises(KernelError, match="dtype"):
        compile_report("int8")
