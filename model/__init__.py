"""memos.model — the memory-augmented SSM (pure PyTorch; sequence ops come from memos.kernels)."""
