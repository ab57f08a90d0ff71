"""Batches: several commands on one cohort (angkatan) written in one transaction.

A roster of 5,000 nominations, or a file of scores, is thousands of commands. Each command
alone is one transaction, and on a durable store one transaction costs an fsync; under
:meth:`Engine.batch <changeflow.engine.Engine.batch>` the engine's commands on that cohort
share one unit of work instead. Every command is still judged on its own, in order, by
every rule, against the cohort as the commands before it left it, and the unit holds the
cohort's lock from the first command to the commit, so quotas hold against concurrent
writers exactly as they do one command at a time.

This module only keeps track of the open batches; the engine does the work.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from changeflow.errors import (
    BatchBroken,
    IdempotencyConflict,
    InvalidInput,
    NotFound,
    TransitionRejected,
)

if TYPE_CHECKING:
    from changeflow.records import HistoryEntry
    from changeflow.store.base import Unit

__all__ = ["Batch", "OpenBatches"]

# Raised by a command before it writes anything (or, for refusals, after it recorded a
# whole refused entry), so the batch's unit is as consistent as it was before the command.
_HARMLESS: tuple[type[BaseException], ...] = (
    TransitionRejected,
    NotFound,
    InvalidInput,
    IdempotencyConflict,
)


class Batch:
    """Commands on one cohort sharing one unit of work; see ``Engine.batch``.

    ``entries`` is every entry the batch's commands recorded so far, accepted and
    refused, in order; listeners hear of them once the batch commits (never, in a dry run).
    """

    __slots__ = ("_broken", "_entries", "cohort", "dry_run", "uow")

    def __init__(self, cohort: str, uow: Unit, *, dry_run: bool) -> None:
        """A batch on ``cohort`` writing through ``uow`` (never committed when ``dry_run``)."""
        self.cohort = cohort
        """The cohort's code."""
        self.dry_run = dry_run
        """Whether the batch is rolled back at the end instead of committed."""
        self.uow = uow
        """The unit of work every command of the batch shares."""
        self._entries: list[HistoryEntry] = []
        self._broken: BatchBroken | None = None

    def __repr__(self) -> str:
        return f"Batch({self.cohort!r}, dry_run={self.dry_run}, entries={len(self._entries)})"

    @property
    def entries(self) -> tuple[HistoryEntry, ...]:
        """Every entry the batch's commands recorded so far, in order."""
        return tuple(self._entries)

    def recorded(self, entries: tuple[HistoryEntry, ...]) -> None:
        """Note entries a command of the batch recorded."""
        self._entries.extend(entries)

    def usable(self) -> None:
        """Raise :class:`BatchBroken` when an earlier command failed inside the store."""
        if self._broken is not None:
            raise self._broken

    def failed(self, error: BaseException) -> None:
        """Judge an exception leaving a command: anything but a refusal breaks the batch."""
        if not isinstance(error, _HARMLESS) and self._broken is None:
            self._broken = BatchBroken(self.cohort, error)


class OpenBatches(threading.local):
    """The batches open in the current thread, by cohort code (one per cohort)."""

    def __init__(self) -> None:
        """No batch open."""
        self.by_code: dict[str, Batch] = {}
