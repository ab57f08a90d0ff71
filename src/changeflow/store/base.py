"""The store interface the engine talks to; every backend implements it.

Writes happen inside a :class:`Unit` (unit of work) scoped to one cohort: it holds the
cohort's lock, sees its own writes, and rolls back unless :meth:`Unit.commit` is called.
Reads outside a unit return snapshots the caller may keep.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from contextlib import AbstractContextManager

    from changeflow.audit import Checkpoint
    from changeflow.models import ChangeProject, Cohort, Office
    from changeflow.records import Enrolment, HistoryEntry
    from changeflow.rules.context import Standing

__all__ = ["Remembered", "Store", "Unit"]

Remembered = tuple[str, "HistoryEntry | tuple[HistoryEntry, ...]"]
"""What an idempotency key recalls: the command's fingerprint and its recorded result."""


class Unit(Protocol):
    """A unit of work on one cohort, read-your-writes, rolled back unless committed."""

    cohort: Cohort

    def seated(self, cohort: str) -> int:
        """Participants holding a seat in the cohort."""
        ...

    def seated_from_office(self, cohort: str, office: str) -> int:
        """Participants from one office holding a seat in the cohort."""
        ...

    def standing(self, nip: str) -> Standing:
        """The person's course record across cohorts."""
        ...

    def enrolment(self, nip: str) -> Enrolment | None:
        """The participant's enrolment in this cohort, or ``None``."""
        ...

    def enrolments(self, states: Iterable[str] | None = None) -> Iterator[Enrolment]:
        """Enrolments of this cohort, optionally only those in ``states``."""
        ...

    def office(self, office: Office, *, create: bool) -> Office | None:
        """The stored office with this code; created on first use when ``create``."""
        ...

    def add(self, enrolment: Enrolment) -> None:
        """Store a new enrolment."""
        ...

    def move(
        self, enrolment: Enrolment, state: str, *, final: bool, frees_seat: bool, completes: bool
    ) -> None:
        """Move a participant, checking its version is still ``enrolment.version``.

        ``final``: the person is no longer active; ``frees_seat``: the seat is released
        (withdrawn, dropped); ``completes``: the person has completed the course.

        Raises :class:`~changeflow.errors.ConcurrentTransition` when another writer moved it.
        """
        ...

    def set_project(self, nip: str, project: ChangeProject) -> None:
        """Register or replace a participant's change project."""
        ...

    def set_score(self, nip: str, component: str, score: float) -> None:
        """Record (or replace) one assessment score."""
        ...

    def set_group(self, nip: str, group: int | None) -> None:
        """Place a participant in a thematic group."""
        ...

    def next_seq(self) -> int:
        """The next position in this cohort's audit trail."""
        ...

    def record(self, entry: HistoryEntry) -> None:
        """Append an audit entry."""
        ...

    def recall(self, key: str) -> Remembered | None:
        """What an idempotency key recorded, if anything."""
        ...

    def remember(
        self, key: str, fingerprint: str, result: HistoryEntry | tuple[HistoryEntry, ...]
    ) -> None:
        """Record an idempotency key with its command's fingerprint and result."""
        ...

    def commit(self) -> None:
        """Make every write of this unit durable at once."""
        ...


class Store(Protocol):
    """Where cohorts, enrolments and the audit trail live."""

    def add_cohort(self, cohort: Cohort) -> None:
        """Create a cohort; :class:`~changeflow.errors.AlreadyExists` if the code is taken."""
        ...

    def cohort(self, code: str) -> Cohort:
        """The cohort; :class:`~changeflow.errors.CohortNotFound` if unknown."""
        ...

    def cohorts(self) -> list[Cohort]:
        """Every cohort, by code."""
        ...

    def enrolment(self, cohort: str, nip: str) -> Enrolment:
        """A snapshot; :class:`~changeflow.errors.ParticipantNotFound` if not enrolled."""
        ...

    def enrolments(self, cohort: str) -> list[Enrolment]:
        """Snapshots of every enrolment of the cohort, in enrolment order."""
        ...

    def history(self, *, nip: str | None = None, cohort: str | None = None) -> list[HistoryEntry]:
        """Audit entries, oldest first, filtered by participant and/or cohort."""
        ...

    def offices(self) -> list[Office]:
        """Every office known to the store."""
        ...

    def trail(self, cohort: str) -> list[tuple[HistoryEntry, str]]:
        """The cohort's audit rows as stored, each with its stored chain hash."""
        ...

    def head(self, cohort: str) -> Checkpoint:
        """The chain head (last sequence and hash) the store keeps for the cohort."""
        ...

    def close(self) -> None:
        """Release connections; the store is not used afterwards."""
        ...

    def unit(self, cohort: str) -> AbstractContextManager[Unit]:
        """A unit of work holding the cohort's lock; :class:`CohortNotFound` if unknown."""
        ...
