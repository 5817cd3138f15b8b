"""memos.policies — pure decision functions of (statistics, clock, config): no I/O, no torch."""
