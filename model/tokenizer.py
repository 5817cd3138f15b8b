"""Byte-level tokenizer: UTF-8 bytes 0..255 plus four specials. Any text, no vocabulary file."""

from __future__ import annotations

import torch

from memos.errors import InvalidInputError

PAD, BOS, EOS, SEP = 256, 257, 258, 259
N_SPECIAL = 4
VOCAB_SIZE = 256 + N_SPECIAL


def to_text(text: str | bytes, what: str = "text", blank_ok: bool = False) -> str:
    """Validate user text: non-empty (non-blank unless `blank_ok`: a continuation, where
    whitespace is text), and valid UTF-8 when given as bytes."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInputError(
                f"{what} is not valid UTF-8 (bad byte at offset {exc.start}); decode it first or "
                "pass a str"
            ) from exc
    if not isinstance(text, str):
        raise InvalidInputError(f"{what} must be str or bytes, got {type(text).__name__}")
    if not (text if blank_ok else text.strip()):
        raise InvalidInputError(f"{what} is empty; pass at least one non-blank character")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate ("\ud800"): no UTF-8 for it
        raise InvalidInputError(
            f"{what} holds a character with no UTF-8 form (a lone surrogate at offset "
            f"{exc.start}); pass well-formed text") from exc
    return text


def encode(text: str | bytes, bos: bool = True, eos: bool = False, what: str = "text",
           blank_ok: bool = False) -> list[int]:
    """Token ids of `text` (validated)."""
    ids = list(to_text(text, what, blank_ok).encode("utf-8"))
    return ([BOS] if bos else []) + ids + ([EOS] if eos else [])


def encode_raw(text: str) -> list[int]:
    """Bytes of `text` without validation (for generated training data that may be blank)."""
    return list(text.encode("utf-8"))


def decode(ids: list[int] | torch.Tensor) -> str:
    """Text of token ids; specials are dropped, broken UTF-8 is replaced."""
    if isinstance(ids, torch.Tensor):
        ids = ids.tolist()
    return bytes(i for i in ids if 0 <= i < 256).decode("utf-8", errors="replace")


def pad_batch(seqs: list[list[int]], pad: int = PAD) -> torch.Tensor:
    """Right-pad token lists into a (B, L) long tensor."""
    length = max((len(s) for s in seqs), default=0)
    out = torch.full((len(seqs), max(length, 1)), pad, dtype=torch.long)
    for i, s in enumerate(seqs):
        if s:
            out[i, : len(s)] = torch.tensor(s, dtype=torch.long)
    return out
