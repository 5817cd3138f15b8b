"""memos.kernels — the model's sequence ops, each a PyTorch reference plus a Triton kernel.

One public function per op picks the implementation (see `dispatch.backend_for`):
CUDA tensors run Triton, CPU tensors run the reference, and `MEMOS_KERNELS=triton|reference`
forces one (on CPU, `MEMOS_KERNELS=triton TRITON_INTERPRET=1` runs the Triton interpreter).
"""

from memos.kernels.memory_attention import memory_attention
from memos.kernels.ssd_scan import ssd_scan
from memos.kernels.ssd_step import ssd_step

__all__ = ["memory_attention", "ssd_scan", "ssd_step"]
