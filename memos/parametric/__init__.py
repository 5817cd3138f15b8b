"""The parametric tier: a user's stable facts consolidated into a LoRA adapter.

- `memos.parametric.tier`: adapters as cubes (consolidate, gate, activate, rollback, taint
  on forget, closed-book serving); imports no torch until it trains or serves.
- `memos.parametric.lora`: peft LoRA on the model (training, evaluation, the serving twin).

docs/PARAMETRIC.md describes the design and its measured numbers.
"""
