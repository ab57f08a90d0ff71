"""Idempotency keys: a command sent again with its key returns the first result.

A key is remembered with a fingerprint of the command it first named; reusing it for a
different command is an :class:`~changeflow.errors.IdempotencyConflict`, never a silent
replay of something else.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from changeflow.errors import IdempotencyConflict

if TYPE_CHECKING:
    from changeflow.records import HistoryEntry
    from changeflow.store.base import Unit

__all__ = ["fingerprint", "recall", "remember"]


def fingerprint(*parts: Any) -> str:
    """SHA-256 of the command's parts as canonical JSON (mappings with sorted keys).

    Stable across releases: keys remembered by an older changeflow still match.
    """
    text = json.dumps(parts, sort_keys=True, default=_canonical, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _canonical(value: Any) -> Any:
    # A payload arrives as a read-only mapping: fingerprint its keys sorted, like any dict.
    return dict(value) if isinstance(value, Mapping) else str(value)


def recall(
    uow: Unit, key: str | None, fingerprinted: str
) -> HistoryEntry | tuple[HistoryEntry, ...] | None:
    """What ``key`` recorded, if anything; :class:`IdempotencyConflict` for another command."""
    if not key:
        return None
    remembered = uow.recall(key)
    if remembered is None:
        return None
    if remembered[0] != fingerprinted:
        raise IdempotencyConflict(key)
    return remembered[1]


def remember(
    uow: Unit,
    key: str | None,
    fingerprinted: str,
    result: HistoryEntry | tuple[HistoryEntry, ...],
) -> None:
    """Remember ``key`` with the command's fingerprint and result (nothing without a key)."""
    if key:
        uow.remember(key, fingerprinted, result)
