"""memos.kernels — the model's sequence ops, each a PyTorch reference plus a Triton kernel.

One public function per op picks the implementation (see `dispatch.backend_for`):
CUDA tensors run Triton, CPU tensors run the reference, and `MEMOS_KERNELS=triton|reference`
forces one (on CPU, `MEMOS_KERNELS=triton TRITON_INTERPRET=1` runs the Triton interpreter).
Each Triton path is a torch.autograd.Function, so the model trains through it.

`memos.kernels.bench` times reference against Triton (`memos bench kernels`), and
`memos.kernels.compile_check` compiles every kernel for an H100 without needing one
(`memos bench kernels --compile-sm90`).
"""

from memos.kernels.memory_attention import memory_attention
from memos.kernels.ssd_scan import ssd_scan
from memos.kernels.ssd_step import ssd_step

__all__ = ["memory_attention", "ssd_scan", "ssd_step"]
