"""Retention: time-to-live and expiry decisions, as functions of (cube fields, clock)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def expiry(now: datetime, ttl: timedelta | float | int | None,
           expires_at: datetime | None) -> datetime | None:
    """When a new cube expires: an explicit `expires_at`, else now + ttl, else never.

    Raises ValueError for a ttl that is not positive (a memory that is born expired is a
    caller mistake, not a policy).
    """
    if expires_at is not None:
        return _aware(expires_at)
    if ttl is None:
        return None
    delta = ttl if isinstance(ttl, timedelta) else timedelta(seconds=float(ttl))
    if delta <= timedelta(0):
        raise ValueError(f"ttl must be positive, got {ttl!r}")
    return _aware(now) + delta


def is_expired(expires_at: datetime | None, now: datetime) -> bool:
    return expires_at is not None and _aware(expires_at) <= _aware(now)


def select_expired(cubes: Iterable[tuple[str, datetime | None, str]], now: datetime) -> list[str]:
    """Ids of active cubes (id, expires_at, state) whose time is up: gc archives them."""
    return [cid for cid, expires_at, state in cubes
            if state == "active" and is_expired(expires_at, now)]
