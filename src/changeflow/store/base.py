"""The store interface the engine talks to; every backend implements it.

Writes happen inside a :class:`Unit` (unit of work) scoped to one cohort: it holds the
cohort's lock, sees its own writes, and rolls back unless :meth:`Unit.commit` is called.
Reads outside a unit return snapshots the caller may keep.

A store keeps two things per cohort: the audit chain (the record) and the projections the
rules and reports read (enrolments, projects, scores, groups, seat counters), which are a
cache of the chain. The engine computes every change (:meth:`Enrolment.moved
<changeflow.records.Enrolment.moved>` for a move) and the store applies it with
:meth:`Unit.update`; :meth:`Store.projection` hands the cache back so that
:mod:`changeflow.audit` can check it against the chain.

Entries are stored sealed (:mod:`changeflow.personal`): the trail holds, and its hashes
cover, each participant's subject id and commitments; the personal values sit beside it.
:meth:`Store.trail` gives the entries as stored (sealed); every other reader opens them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from changeflow.facts import Facts

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
    from contextlib import AbstractContextManager
    from datetime import datetime

    from changeflow.audit import Checkpoint
    from changeflow.models import Cohort, Office
    from changeflow.offices import RegisteredOffice
    from changeflow.records import CohortProjection, Enrolment, HistoryEntry
    from changeflow.staff import StaffMember
    from changeflow.states.definition import LifecycleDefinition

__all__ = ["Remembered", "Store", "Unit"]

Remembered = tuple[str, "HistoryEntry | tuple[HistoryEntry, ...]"]
"""What an idempotency key recalls: the command's fingerprint and its recorded result."""


class Unit(Facts, Protocol):
    """A unit of work on one cohort, read-your-writes, rolled back unless committed.

    The :class:`~changeflow.facts.Facts` the rules read come from the same transaction.
    """

    cohort: Cohort
    lifecycle: LifecycleDefinition | None
    """The lifecycle definition the cohort is pinned to (``None``: pinned to none)."""

    def enrolment(self, nip: str) -> Enrolment | None:
        """The participant's enrolment in this cohort, or ``None``."""
        ...

    def enrolments(self, states: Iterable[str] | None = None) -> Iterator[Enrolment]:
        """Enrolments of this cohort, optionally only those in ``states``."""
        ...

    def office(
        self,
        office: Office,
        *,
        create: bool,
        by: str | None = None,
        at: datetime | None = None,
    ) -> Office | None:
        """The stored office with this code; created on first use when ``create``.

        A created office is registered under its name (see :meth:`office_named`) unless
        another office holds that name; ``by`` and ``at`` say who added it and when.
        """
        ...

    def office_named(self, key: str) -> Office | None:
        """The office whose name or alias folds to ``key`` (:func:`changeflow.offices.fold`)."""
        ...

    def add(self, enrolment: Enrolment) -> None:
        """Store a new enrolment (it takes a seat and makes the person active)."""
        ...

    def update(self, before: Enrolment, after: Enrolment) -> None:
        """Replace a participant's enrolment ``before`` with ``after``.

        Applies whatever differs: state, version and flags (a move), project, scores,
        group, the person's facts or office; seat counters follow the ``seated`` flag and
        the office. Raises :class:`~changeflow.errors.ConcurrentTransition` when the stored
        enrolment is no longer at ``before.version`` (another writer moved it).
        """
        ...

    def entered_from(self, nip: str) -> str | None:
        """The state the participant was in before entering its current one, if any."""
        ...

    def pin(self, lifecycle: LifecycleDefinition) -> None:
        """Pin the cohort to another lifecycle definition (a migration)."""
        ...

    def schedule(self) -> Mapping[str, Any] | None:
        """The cohort's stored schedule document (``None``: none stored yet)."""
        ...

    def set_schedule(self, document: Mapping[str, Any]) -> None:
        """Store the cohort's schedule document (replacing the one stored)."""
        ...

    def set_attendance(self, nip: str, day: str, status: str) -> None:
        """Store one participant's attendance on one ISO day (replacing what was stored)."""
        ...

    def staff_member(self, actor: str) -> StaffMember | None:
        """The cohort's staff member with this actor id, or ``None`` (read-your-writes)."""
        ...

    def set_staff(self, member: StaffMember) -> None:
        """Store a staff member of the cohort (replacing one with the same id)."""
        ...

    def next_seq(self) -> int:
        """The next position in this cohort's audit trail."""
        ...

    def record(self, entry: HistoryEntry) -> None:
        """Append an audit entry: sealed, its personal values kept beside the chain.

        The participant's subject is created on their first entry.
        """
        ...

    def erase(self, nip: str) -> None:
        """Delete the person's facts and personal values in this cohort.

        Their enrolment, project, scores and attendance, the personal values of their
        entries here and the idempotency keys naming them. Seat counters are left as they
        are: an erasure frees no seat.
        """
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

    def new_cohort(
        self, cohort: Cohort, lifecycle: LifecycleDefinition
    ) -> AbstractContextManager[Unit]:
        """A unit of work on a new cohort, which exists once the unit commits.

        :class:`~changeflow.errors.AlreadyExists` if the code is taken.
        """
        ...

    def cohort(self, code: str) -> Cohort:
        """The cohort; :class:`~changeflow.errors.CohortNotFound` if unknown."""
        ...

    def cohorts(self) -> list[Cohort]:
        """Every cohort, by code."""
        ...

    def lifecycle(self, code: str) -> LifecycleDefinition | None:
        """The lifecycle definition the cohort is pinned to (``None``: pinned to none)."""
        ...

    def schedule(self, code: str) -> Mapping[str, Any] | None:
        """The cohort's stored schedule document (``None``: none stored yet)."""
        ...

    def attendance(self, code: str) -> dict[str, dict[str, str]]:
        """Every participant's recorded attendance in the cohort: NIP -> ISO day -> status."""
        ...

    def staff(self, code: str) -> list[StaffMember]:
        """The cohort's staff, by id."""
        ...

    def enrolment(self, cohort: str, nip: str) -> Enrolment:
        """A snapshot; :class:`~changeflow.errors.ParticipantNotFound` if not enrolled."""
        ...

    def enrolments(self, cohort: str, states: Collection[str] | None = None) -> list[Enrolment]:
        """Snapshots of the cohort's enrolments (only those in ``states``), in enrolment order."""
        ...

    def history(
        self,
        *,
        nip: str | None = None,
        cohort: str | None = None,
        event: str | None = None,
        actor: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[HistoryEntry]:
        """Audit entries, oldest first, filtered by participant and/or cohort.

        Also, when given, by ``event`` and ``actor`` (equal) and by time: ``since`` <= the
        entry's ``at`` < ``until`` (both timezone-aware).
        """
        ...

    def offices(self) -> list[Office]:
        """Every office known to the store."""
        ...

    def office_registry(self) -> list[RegisteredOffice]:
        """Every office by code, with its aliases and who added it when."""
        ...

    def register_offices(
        self, entries: Sequence[tuple[Office, Sequence[str]]], *, by: str | None, at: datetime
    ) -> None:
        """Add offices and aliases to the registry, all or none, overwriting nothing.

        An office already stored under its code keeps it when the names fold alike
        (its new aliases are added); a code stored with another name, or a name or alias
        another office holds (under its folded key, or as its code), raises
        :class:`~changeflow.offices.OfficeConflict` naming both offices, and nothing is
        written. A label the office already holds is left as it is.
        """
        ...

    def setting(self, name: str) -> str | None:
        """A store-wide setting (``None``: never set)."""
        ...

    def set_setting(self, name: str, value: str, *, by: str | None, at: datetime) -> None:
        """Store a store-wide setting, with who changed it and when."""
        ...

    def password_hash(self, login: str) -> str | None:
        """The password hash stored for ``login`` (``None``: no password set)."""
        ...

    def set_password_hash(self, login: str, hashed: str, *, by: str | None, at: datetime) -> None:
        """Store (or replace) ``login``'s password hash, with who set it and when."""
        ...

    def trail(self, cohort: str) -> Iterator[tuple[HistoryEntry, str]]:
        """The cohort's audit rows as stored (sealed), each with its stored chain hash, streamed."""
        ...

    def opened(self, cohort: str, *, check: bool = False) -> Iterator[HistoryEntry]:
        """The cohort's entries in trail order, opened with their personal values, streamed.

        An erased person's entries open as :func:`changeflow.personal.open_entry` says. With
        ``check``, a value that does not match its commitment raises
        :class:`~changeflow.errors.SealBroken` (after every entry before it was yielded).
        """
        ...

    def former_hash(self, cohort: str, seq: int) -> str | None:
        """The hash entry ``seq`` had before a schema upgrade re-sealed it (``None``: none)."""
        ...

    def cohorts_of(self, nip: str) -> list[str]:
        """The codes of the cohorts whose trail holds an entry of the person, sorted."""
        ...

    def forget(self, nip: str) -> None:
        """Delete the person's subject (their NIP and key) and any personal value left.

        The last step of an erasure, after each cohort's :meth:`Unit.erase` committed.
        """
        ...

    def head(self, cohort: str) -> Checkpoint:
        """The chain head (last sequence and hash) the store keeps for the cohort."""
        ...

    def projection(self, cohort: str) -> CohortProjection:
        """The facts the store holds for the cohort, as :func:`changeflow.audit.compare` reads.

        ``lifecycle`` is the SHA-256 computed from the stored definition document (so an
        edited document shows), the counters are the stored counters.
        """
        ...

    def close(self) -> None:
        """Release connections; the store is not used afterwards."""
        ...

    def unit(self, cohort: str) -> AbstractContextManager[Unit]:
        """A unit of work holding the cohort's lock; :class:`CohortNotFound` if unknown."""
        ...
