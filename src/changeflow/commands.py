"""What every command carries besides its subject: who, why, extra data, when, and its key.

One :class:`Command` value is validated once where a command enters the engine and passed
on whole, instead of five keyword arguments copied through every layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from changeflow.inputs import ACTOR_MAX, KEY_MAX, check_date, check_text, frozen_payload

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import date

__all__ = ["Command"]


@dataclass(frozen=True, slots=True)
class Command:
    """The circumstances of one command, checked when built.

    ``actor`` is who does it (recorded in the audit entry); ``reason`` why (some rules
    require one); ``payload`` extra JSON-compatible data to record (deep-copied, read-only);
    ``effective_date`` when it takes effect; ``key`` an idempotency key: the same command
    sent again with the same key returns the first result and writes nothing.

    >>> Command(actor="BKD", reason="sakit").reason
    'sakit'
    >>> Command(actor="x" * 201)
    Traceback (most recent call last):
    ...
    changeflow.errors.InvalidInput: actor: must be at most 200 characters, got 201
    """

    actor: str | None = None
    reason: str | None = None
    payload: Mapping[str, Any] | None = None
    effective_date: date | None = None
    key: str | None = None
    roles: frozenset[str] | None = None
    """The staff roles the caller vouches for the actor (``None``: look them up)."""

    def __post_init__(self) -> None:
        if (
            self.actor is None
            and self.reason is None
            and self.payload is None
            and self.effective_date is None
            and self.key is None
        ):
            return  # the common case of a bare command, checked without a call
        check_text("actor", self.actor, ACTOR_MAX)
        check_text("reason", self.reason, multiline=True)
        check_text("key", self.key, KEY_MAX)
        check_date("effective_date", self.effective_date)
        if self.payload is not None:
            object.__setattr__(self, "payload", frozen_payload(self.payload))
