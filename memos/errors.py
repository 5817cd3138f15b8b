"""Every error a user of memos can see.

Each message says what was wrong and what to do about it (DESIGN.md, invariant 6). The CLI
prints `str(error)` as one red line and exits with `error.exit_code`.
"""

from __future__ import annotations

import re


class MemosError(Exception):
    """Base class of every user-facing memos error."""

    exit_code: int = 1


class InvalidInputError(MemosError, ValueError):
    """The caller passed something memos cannot accept (empty text, bad bytes, bad option)."""

    exit_code = 2


class NotFoundError(MemosError, KeyError):
    """An id (cube, version, checkpoint, blob) does not exist."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else "not found"


class ScopeError(MemosError, PermissionError):
    """The object exists but belongs to another scope than the caller's."""


class UnauthorizedError(MemosError):
    """No API key, or a key that is unknown or revoked (the REST and MCP servers: 401)."""


class ForbiddenError(MemosError, PermissionError):
    """The caller is known but may not do this (an admin endpoint without an admin key: 403)."""


class ConflictError(MemosError):
    """The request contradicts the current state (stale version, duplicate id, locked store)."""


class StoreError(MemosError):
    """The store cannot be opened or is inconsistent; the message names the repair command."""


class EmbedderMismatchError(StoreError):
    """The store's vector index was built with another embedder than the one given."""


class ImportFormatError(InvalidInputError):
    """An import file has malformed lines; `.errors` lists (line number, message) pairs."""

    def __init__(self, message: str, errors: list[tuple[int, str]] | None = None) -> None:
        super().__init__(message)
        self.errors: list[tuple[int, str]] = list(errors or [])


class NotConfiguredError(InvalidInputError):
    """What was asked needs a setting the process lacks or has wrong (mode 'llm' without a
    usable MEMOS_LLM_URL and MEMOS_LLM_MODEL, or without the openai package): invalid input
    to the SDK, whose caller can change it; a server answers it 503, its operator's to set,
    without repeating the settings."""


class ModelError(MemosError):
    """A model, checkpoint or derived artifact cannot be used as asked."""


class FingerprintMismatchError(ModelError):
    """An activation blob or adapter was made by another model than the one loading it."""


class CheckpointError(ModelError):
    """A checkpoint is missing, corrupt, or has a config this version does not know."""


class KernelError(MemosError):
    """A kernel was asked for on a device or with shapes it does not support."""


class BlobError(StoreError):
    """A blob (an activation or parametric tensor file) is missing or does not match its
    hash. Callers treat it as a cache miss and re-derive it; `memos check --repair` does too."""


def shown_location(location: str) -> str:
    """`location` (a folder or a database URL) fit for a message: a URL's password replaced
    by ***. Here, beside the errors, so that stores/ can name a location without importing
    the OS's config."""
    return re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", location)
