"""Compile every Triton kernel for an NVIDIA GPU without having one, and read its resource use.

The CPU interpreter proves the kernels compute the right numbers but not that they compile
for a GPU, nor how many registers they need. Triton can compile ahead of time for a named
target (here sm_90, the H100) on any machine; the cubin's resource table (via the cuobjdump
that ships with Triton) then gives registers per thread, local-memory bytes (register spills)
and shared memory: the numbers that decide occupancy. Launch settings (tile sizes,
num_warps) come from the same helpers the launchers use, so the report describes what runs.
"""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from typing import Any

from memos.errors import KernelError

# (module, kernel, pointer args kept in fp32 whatever the input dtype, constexprs, kind)
_SCAN_F32 = ("la_ptr", "out_ptr", "aend_ptr", "s0_ptr", "g_ptr", "dla_ptr", "local_ptr",
             "init_ptr", "final_ptr", "new_ptr", "state_ptr", "lse_ptr", "dk_ptr", "dv_ptr")


@dataclass
class CompiledKernel:
    name: str
    config: str
    num_warps: int
    registers: int
    spill_bytes: int  # local memory per thread: spilled registers
    shared_bytes: int


def _signature(kernel: Any, dtype: str, consts: dict[str, Any]) -> dict[str, str]:
    sig = {}
    for name in kernel.arg_names:
        if name in consts:
            sig[name] = "constexpr"
        elif name == "smask_ptr":
            sig[name] = "*u8"
        elif name == "idx_ptr":
            sig[name] = "*i64"
        elif name.endswith("_ptr"):
            sig[name] = "*fp32" if name in _SCAN_F32 else f"*{dtype}"
        elif name == "scale":
            sig[name] = "fp32"
        else:
            sig[name] = "i32"
    return sig


def _plan(
    p: int, n: int, chunk: int, dim: int, block: int, precision: str
) -> list[tuple[str, str, dict[str, Any], int]]:
    scan = importlib.import_module("memos.kernels.ssd_scan.triton")
    attn = importlib.import_module("memos.kernels.memory_attention.triton")
    from memos.kernels.triton_launch import pow2_at_least

    bp, bn, c = pow2_at_least(p), pow2_at_least(n), scan._chunk(chunk)
    nw = scan._warps(bp, bn, c, precision)
    tiles = {"BLOCK_C": c, "BLOCK_P": bp, "BLOCK_N": bn, "PRECISION": precision}
    block_l, nsub, block_x, block_d = attn._tiles(block, 64, dim)
    attn_consts = {"NSUB": nsub, "BLOCK_L": block_l, "BLOCK_X": block_x, "BLOCK_D": block_d,
                   "PRECISION": precision}
    row_consts = {"ROWS": 1, "BLOCK_X": 64, "BLOCK_D": block_d}
    step_bn = pow2_at_least(n, floor=1)
    return [
        ("ssd_scan.triton", "_chunk_state_kernel", {"TO_END": True, **tiles}, nw),
        ("ssd_scan.triton", "_state_pass_kernel",
         {"HAS_INIT": True, "REVERSE": False, "BLOCK": min(1024, pow2_at_least(p * n))}, 4),
        ("ssd_scan.triton", "_chunk_out_kernel", tiles, nw),
        ("ssd_scan.triton", "_chunk_bwd_kernel", tiles, nw),
        ("ssd_step.triton", "_step_kernel",
         {"BLOCK_P": min(pow2_at_least(p, floor=1), max(1, 1024 // step_bn)), "BLOCK_N": step_bn}, 4),
        ("memory_attention.triton", "_mem_attn_fwd_kernel", attn_consts, attn._warps(block_d)),
        ("memory_attention.triton", "_mem_attn_bwd_kernel", attn_consts, attn._warps(block_d)),
        ("memory_attention.triton", "_mem_attn_row_fwd_kernel", row_consts, attn._warps(block_d)),
        ("memory_attention.triton", "_mem_attn_row_bwd_kernel", row_consts, attn._warps(block_d)),
    ]


def _tool(name: str) -> str:
    import triton

    path = os.path.join(os.path.dirname(triton.__file__), "backends", "nvidia", "bin", name)
    if not os.path.exists(path):
        raise KernelError(f"{name} is not bundled with this triton install; reinstall triton for Linux x86_64")
    return path


def compile_report(
    dtype: str = "bf16", arch: int = 90, p: int = 64, n: int = 64, chunk: int = 64,
    dim: int = 64, block: int = 64,
) -> list[CompiledKernel]:
    """Compile each kernel for sm_<arch> at the given head/state sizes; no GPU needed."""
    import triton
    import triton.language as tl
    from triton.backends.compiler import GPUTarget
    from triton.compiler import ASTSource
    from triton.runtime.jit import JITFunction

    if dtype not in ("bf16", "fp16", "fp32"):
        raise KernelError(f"compile_report dtype must be bf16, fp16 or fp32, got {dtype!r}")
    cuobjdump = _tool("cuobjdump")
    target = GPUTarget("cuda", arch, 32)
    out = []
    precision = "ieee" if dtype == "fp32" else "tf32"  # as dot_precision picks at launch
    for module, name, consts, warps in _plan(p, n, chunk, dim, block, precision):
        kernel = getattr(importlib.import_module(f"memos.kernels.{module}"), name)
        if not isinstance(kernel, JITFunction) or not isinstance(tl.standard.sum, JITFunction):
            raise KernelError(
                "triton or the kernels were imported with TRITON_INTERPRET=1 (interpreted, not "
                "compilable); "
                "run the compile report in a process without it"
            )
        src = ASTSource(kernel, _signature(kernel, dtype, consts), consts)
        try:
            compiled = triton.compile(src, target=target, options={"num_warps": warps})
        except Exception as exc:  # the compiler's own errors carry the kernel source location
            raise KernelError(f"{name} does not compile for sm_{arch}: {exc}") from exc
        with tempfile.NamedTemporaryFile(suffix=".cubin") as fh:
            fh.write(compiled.asm["cubin"])
            fh.flush()
            usage = subprocess.run([cuobjdump, "-res-usage", fh.name], capture_output=True, text=True,
                                   check=True).stdout
        regs = re.search(r"REG:(\d+)", usage)
        local = re.search(r"STACK:(\d+)", usage)  # spilled registers live on the stack frame
        config = ", ".join(f"{k}={v}" for k, v in consts.items())
        out.append(CompiledKernel(
            name.strip("_"), config, warps, int(regs.group(1)) if regs else -1,
            int(local.group(1)) if local else -1, int(compiled.metadata.shared),
        ))
    return out
