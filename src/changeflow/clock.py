"""An injectable clock: the engine asks it for the wall-clock time of every record.

Rules never read it to judge eligibility (they use the cohort's own dates); it only stamps
when something happened.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

__all__ = ["Clock", "FixedClock", "SystemClock"]


class Clock(Protocol):
    """Anything with ``now()`` returning an aware UTC datetime."""

    def now(self) -> datetime:
        """The current time, timezone-aware."""
        ...


class SystemClock:
    """The real wall clock, in UTC."""

    def now(self) -> datetime:
        """The current UTC time."""
        return datetime.now(UTC)

    def __repr__(self) -> str:
        return "SystemClock()"


class FixedClock:
    """A clock for tests and replays: stands still until moved.

    >>> clock = FixedClock(datetime(2019, 4, 4, 8, 0, tzinfo=UTC))
    >>> clock.advance(days=1).now().day
    5
    """

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self._at = at

    def now(self) -> datetime:
        """The time the clock was set to."""
        return self._at

    def set(self, at: datetime) -> FixedClock:
        """Set the time; returns the clock for chaining."""
        if at.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self._at = at
        return self

    def advance(self, **delta: float) -> FixedClock:
        """Move forward by a ``timedelta(**delta)``; returns the clock for chaining."""
        self._at += timedelta(**delta)
        return self

    def __repr__(self) -> str:
        return f"FixedClock({self._at.isoformat()})"
