"""What the engine records and reports: enrolments, history entries, violations, bulk outcomes.

These are produced by the library, not accepted from outside, so they are slotted
dataclasses (cheap enough for a national registry held in memory) rather than pydantic
models. Each has ``to_dict()`` with stable, JSON-compatible keys.

An :class:`Enrolment` is a value: a command never edits one in place but computes the next
one (:meth:`Enrolment.moved` for a move, :func:`dataclasses.replace` for a data change) and
hands both to the store, which applies the difference. The same functions replay the audit
chain, so the bookkeeping of a move exists once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, Protocol

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import date, datetime

    from changeflow.models import ChangeProject, Cohort, Participant

__all__ = [
    "COHORT_NIP",
    "ENTRY_FORMAT",
    "AdvanceReport",
    "CohortProjection",
    "Difference",
    "Enrolment",
    "HistoryEntry",
    "LifecycleRef",
    "MigrationPlan",
    "Outcome",
    "Stages",
    "Violation",
]

Outcome = Literal["accepted", "refused"]

COHORT_NIP = ""
"""The ``nip`` of an audit entry about the cohort as a whole (its creation, a migration)."""

ENTRY_FORMAT = 3
"""The audit entry format new entries are written in (see :mod:`changeflow.audit`)."""

_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Violation:
    """One reason a command is refused."""

    code: str
    """Stable machine-readable code, e.g. ``office_quota``."""
    message: str
    """Human explanation in English."""
    facts: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    """The values the rule compared (JSON-compatible)."""
    message_id: str | None = None
    """The explanation in Bahasa Indonesia, when the rule provides one."""
    source: str | None = None
    """Where the rule comes from (a regulation, the source article), for citing a refusal."""

    def text(self, locale: str = "en") -> str:
        """The message in ``locale`` (``"en"`` or ``"id"``), falling back to English."""
        if locale == "id" and self.message_id:
            return self.message_id
        return self.message

    def to_dict(self) -> dict[str, Any]:
        """A JSON-compatible dictionary with stable keys."""
        return {
            "code": self.code,
            "message": self.message,
            "message_id": self.message_id,
            "facts": dict(self.facts),
            "source": self.source,
        }


class Stages(Protocol):
    """What the bookkeeping of a move needs to know of a lifecycle's states."""

    @property
    def finals(self) -> frozenset[str]:
        """States in which the person is no longer active."""
        ...

    @property
    def seat_freeing(self) -> frozenset[str]:
        """States that release the seat (withdrawn, dropped)."""
        ...

    @property
    def completing(self) -> frozenset[str]:
        """States in which the person has completed the course."""
        ...


@dataclass(slots=True)
class Enrolment:
    """A participant's place in one cohort: state, version and what the rules judge.

    ``version`` grows by one with every accepted move (optimistic concurrency);
    ``revisions`` counts reflexive moves (proposal revisions). ``active`` (not in a final
    state), ``seated`` (holding a seat) and ``completed`` (finished the course) follow from
    the state and the lifecycle: :meth:`moved` derives them.
    """

    cohort: str
    participant: Participant
    state: str
    version: int = 1
    revisions: int = 0
    project: ChangeProject | None = None
    scores: Mapping[str, float] | None = None
    group: int | None = None
    active: bool = True
    seated: bool = True
    completed: bool = False

    @property
    def nip(self) -> str:
        """The participant's NIP."""
        return self.participant.nip

    def moved(self, dest: str, stages: Stages) -> Enrolment:
        """The enrolment after a move to ``dest``: version + 1, a revision if it stays put.

        >>> from changeflow.models import Office, Participant
        >>> from changeflow.states.default import DEFAULT_LIFECYCLE as lifecycle
        >>> budi = Participant(nip="197003152000031004", name="Budi", echelon="III.a",
        ...                    office=Office(code="DINKES", name="Dinas Kesehatan"))
        >>> e = Enrolment("PKA-1", budi, "seminar").moved("graduated", lifecycle)
        >>> (e.state, e.version, e.active, e.seated, e.completed)
        ('graduated', 2, False, True, True)
        """
        return Enrolment(
            self.cohort,
            self.participant,
            dest,
            self.version + 1,
            self.revisions + (dest == self.state),
            self.project,
            self.scores,
            self.group,
            dest not in stages.finals,
            dest not in stages.seat_freeing,
            dest in stages.completing,
        )

    def migrated(self, dest: str, stages: Stages) -> Enrolment:
        """The enrolment after a migration maps its state to ``dest`` (no revision counted)."""
        moved = self.moved(dest, stages)
        moved.revisions = self.revisions
        return moved

    def snapshot(self) -> Enrolment:
        """An independent copy, safe to hand to callers."""
        return Enrolment(
            self.cohort,
            self.participant,
            self.state,
            self.version,
            self.revisions,
            self.project,
            dict(self.scores) if self.scores is not None else None,
            self.group,
            self.active,
            self.seated,
            self.completed,
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-compatible dictionary."""
        p = self.participant
        return {
            "cohort": self.cohort,
            "nip": p.nip,
            "name": p.name,
            "office": p.office.code,
            "office_name": p.office.name,
            "echelon": p.echelon,
            "state": self.state,
            "version": self.version,
            "revisions": self.revisions,
            "project": self.project.model_dump(mode="json") if self.project else None,
            "scores": dict(self.scores or {}),
            "group": self.group,
            "active": self.active,
            "seated": self.seated,
            "completed": self.completed,
        }


class HistoryEntry(NamedTuple):
    """One audited command: an accepted one or a refused attempt, with its reasons.

    Immutable; a named tuple because a national registry keeps millions of them.

    ``seq`` is the entry's position in its cohort's audit trail (from 1). ``event`` names
    the command: a lifecycle event (``start_class``), ``enrol``, or a data command such as
    ``register_project``. For an enrolment ``source`` is ``None``; for a data command
    ``source`` and ``target`` are both the state it happened in; for a refused move
    ``target`` is where it would have led (``None`` when it leads nowhere). ``nip`` is
    :data:`COHORT_NIP` for an entry about the cohort as a whole. ``change`` maps each fact
    the command changed to ``{"before": ..., "after": ...}``; ``data`` holds facts the rules
    recorded (a graduation's grade). ``format`` is the entry's hash format.
    """

    seq: int
    at: datetime
    cohort: str
    nip: str
    event: str
    source: str | None
    target: str | None
    outcome: Outcome
    actor: str | None = None
    reason: str | None = None
    payload: Mapping[str, Any] | None = None
    violations: tuple[Violation, ...] = ()
    data: Mapping[str, Any] | None = None
    effective_date: date | None = None
    change: Mapping[str, Any] | None = None
    format: int = ENTRY_FORMAT

    @property
    def accepted(self) -> bool:
        """True for an accepted command."""
        return self.outcome == "accepted"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-compatible dictionary with stable keys (``from``/``to`` for the states)."""
        return {
            "seq": self.seq,
            "at": self.at.isoformat(),
            "cohort": self.cohort,
            "nip": self.nip,
            "event": self.event,
            "from": self.source,
            "to": self.target,
            "outcome": self.outcome,
            "actor": self.actor,
            "reason": self.reason,
            "payload": dict(self.payload) if self.payload is not None else None,
            "violations": [v.to_dict() for v in self.violations],
            "data": dict(self.data) if self.data is not None else None,
            "effective_date": self.effective_date.isoformat() if self.effective_date else None,
            "change": dict(self.change) if self.change is not None else None,
            "format": self.format,
        }


@dataclass(frozen=True, slots=True)
class AdvanceReport:
    """The outcome of a bulk advance: who moved, who was refused (and why), how many skipped."""

    cohort: str
    event: str
    accepted: tuple[HistoryEntry, ...] = ()
    refused: tuple[HistoryEntry, ...] = ()
    skipped: int = 0

    @property
    def ok(self) -> bool:
        """True when nobody was refused."""
        return not self.refused

    def to_dict(self) -> dict[str, Any]:
        """The documented JSON shape: accepted NIPs, refused NIPs with violations, skipped."""
        return {
            "cohort": self.cohort,
            "event": self.event,
            "accepted": [e.nip for e in self.accepted],
            "refused": [
                {"nip": e.nip, "violations": [v.to_dict() for v in e.violations]}
                for e in self.refused
            ],
            "skipped": self.skipped,
        }


@dataclass(frozen=True, slots=True)
class LifecycleRef:
    """Which lifecycle definition a cohort runs: name, version and the document's SHA-256."""

    name: str
    version: str
    sha256: str

    def to_dict(self) -> dict[str, str]:
        """A JSON-compatible dictionary."""
        return {"name": self.name, "version": self.version, "sha256": self.sha256}


@dataclass(frozen=True, slots=True)
class MigrationPlan:
    """A cohort's migration to another lifecycle: every participant's state before and after.

    ``applied`` is false for a dry run.
    """

    cohort: str
    source: LifecycleRef | None
    target: LifecycleRef
    moves: tuple[tuple[str, str, str], ...]
    """``(nip, state before, state after)`` per participant, in enrolment order."""
    applied: bool

    def to_dict(self) -> dict[str, Any]:
        """A JSON-compatible dictionary."""
        return {
            "cohort": self.cohort,
            "from": None if self.source is None else self.source.to_dict(),
            "to": self.target.to_dict(),
            "participants": [
                {"nip": nip, "from": before, "to": after} for nip, before, after in self.moves
            ],
            "applied": self.applied,
        }


@dataclass(slots=True)
class CohortProjection:
    """What a cohort's facts are: as a store holds them, or as replaying its chain gives them.

    :func:`changeflow.audit.compare` lists where the two differ.
    """

    code: str
    cohort: Cohort | None = None
    lifecycle: str | None = None
    """SHA-256 of the lifecycle definition the cohort is pinned to (``None``: not pinned)."""
    members: dict[str, Enrolment] = field(default_factory=dict)
    seated: int = 0
    """The cohort's seat counter."""
    per_office: dict[str, int] = field(default_factory=dict)
    """The per-office seat counters (offices with no seat may be absent)."""
    offices: dict[str, str] = field(default_factory=dict)
    """The name of each office the members belong to."""
    schedule: dict[str, Any] | None = None
    """The cohort's schedule document (``None``: none stored, the default is derived)."""
    attendance: dict[str, dict[str, str]] = field(default_factory=dict)
    """Each participant's recorded attendance (ISO day -> status); absent when none."""


@dataclass(frozen=True, slots=True)
class Difference:
    """One stored fact that disagrees with the audit chain's replay."""

    table: str
    """Where the fact is stored, e.g. ``enrolments`` or ``assessments``."""
    key: str
    """Whose fact: a participant's NIP, an office code, or the cohort's code."""
    field: str
    stored: Any
    replayed: Any

    def __str__(self) -> str:
        return (
            f"{self.table} {self.key} {self.field}: stored {self.stored!r}, "
            f"the audit chain says {self.replayed!r}"
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-compatible dictionary (values as their ``repr`` when not JSON types)."""
        return {
            "table": self.table,
            "key": self.key,
            "field": self.field,
            "stored": _jsonable(self.stored),
            "replayed": _jsonable(self.replayed),
        }


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return str(value)
