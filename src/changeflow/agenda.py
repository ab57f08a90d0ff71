"""The agenda of a cohort (who owes what, who is late, who is at risk) and the tick's report.

:func:`build_agenda` lists every active participant with their next deadline (from
:mod:`changeflow.deadlines`), whether it is overdue and by how many working days, and early
warnings while there is still time to help:

- ``laboratory_minimum_unreachable``: a participant not yet in the laboratory can no longer
  spend the rule pack's ``laboratory_min_days`` there before the seminar window starts, even
  if their proposal were approved on the day asked about (the laboratory starts the next day);
- ``attendance_below_minimum``: the participant's recorded attendance share is already below
  the pack's ``attendance_minimum``.

The attendance share (:class:`AttendanceTally`) is present / (present + absent) over the
recorded days: excused days (izin, sakit) count neither way, and a participant with no
counted day has no share (and no warning). :class:`TickReport` says what a tick did with
each applicable timeout. Pure values: no clock, no store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from changeflow.deadlines import due_items
from changeflow.models import Attendance
from changeflow.schedule import ScheduleStage
from changeflow.states.names import Stage

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from datetime import date

    from changeflow.deadlines import DueItem, PlannedTimeout
    from changeflow.models import CalendarParameters
    from changeflow.records import Enrolment
    from changeflow.schedule import Schedule
    from changeflow.workdays import WorkingDays

__all__ = [
    "BEFORE_LABORATORY",
    "Agenda",
    "AgendaItem",
    "AgendaWarning",
    "AttendanceTally",
    "TickAction",
    "TickOutcome",
    "TickReport",
    "build_agenda",
]

BEFORE_LABORATORY: frozenset[str] = frozenset({Stage.ENROLLED, Stage.ON_CLASS, Stage.PROPOSAL})
"""The states of a participant not yet in the laboratory (default lifecycle)."""


@dataclass(frozen=True, slots=True)
class AttendanceTally:
    """Recorded attendance days by kind; the share present of the counted ones."""

    present: int = 0
    absent: int = 0
    excused: int = 0
    """Days of izin (permission) or sakit (sick): counted neither as present nor absent."""

    @classmethod
    def of(cls, attendance: Mapping[str, str]) -> AttendanceTally:
        """The tally of a participant's attendance (ISO day -> status).

        >>> AttendanceTally.of({"2019-04-04": "present", "2019-04-05": "sakit",
        ...                     "2019-04-08": "absent"}).share
        0.5
        """
        statuses = list(attendance.values())
        present = statuses.count(Attendance.PRESENT)
        absent = statuses.count(Attendance.ABSENT)
        return cls(present, absent, len(statuses) - present - absent)

    @property
    def counted(self) -> int:
        """Days counted in the share: present or absent."""
        return self.present + self.absent

    @property
    def share(self) -> float | None:
        """The share present: present / (present + absent); ``None`` when no day counts."""
        return self.present / self.counted if self.counted else None

    def below(self, minimum: float) -> bool:
        """True when a share exists and is below ``minimum`` (4 of 5 days is not below 0.8).

        Compared as floats, as the pack's decimal is meant: ``4 / 5 == 0.8``, whereas the exact
        binary value of ``0.8`` lies slightly above four fifths.
        """
        share = self.share
        return share is not None and share < minimum


@dataclass(frozen=True, slots=True)
class AgendaWarning:
    """An early warning about one participant: a stable code, a message and its facts."""

    code: str
    message: str
    facts: Mapping[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-compatible dictionary."""
        return {"code": self.code, "message": self.message, "facts": dict(self.facts)}


@dataclass(frozen=True, slots=True)
class AgendaItem:
    """One participant's line of the agenda."""

    nip: str
    name: str
    state: str
    next: DueItem | None
    """The next deadline (``None``: the state has none)."""
    warnings: tuple[AgendaWarning, ...] = ()

    @property
    def overdue(self) -> bool:
        """True when the next deadline has passed."""
        return self.next is not None and self.next.overdue

    @property
    def working_days_late(self) -> int:
        """Working days the next deadline is late by (0 when not overdue)."""
        return self.next.working_days_late if self.next is not None else 0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-compatible dictionary."""
        due = self.next
        return {
            "nip": self.nip,
            "name": self.name,
            "state": self.state,
            "next": None
            if due is None
            else {
                "deadline": due.deadline.name,
                "event": due.deadline.event,
                "due": due.due.isoformat(),
                "actor": str(due.deadline.actor),
            },
            "overdue": self.overdue,
            "working_days_late": self.working_days_late,
            "warnings": [w.to_dict() for w in self.warnings],
        }


@dataclass(frozen=True, slots=True)
class Agenda:
    """A cohort's agenda on one day: a line per active participant, in enrolment order."""

    cohort: str
    as_of: date
    items: tuple[AgendaItem, ...]

    def overdue(self) -> tuple[AgendaItem, ...]:
        """The participants whose next deadline has passed."""
        return tuple(i for i in self.items if i.overdue)

    def warned(self) -> tuple[AgendaItem, ...]:
        """The participants with at least one warning."""
        return tuple(i for i in self.items if i.warnings)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-compatible dictionary (the CLI adds ``schema_version``)."""
        return {
            "cohort": self.cohort,
            "as_of": self.as_of.isoformat(),
            "counts": {
                "participants": len(self.items),
                "overdue": len(self.overdue()),
                "warned": len(self.warned()),
            },
            "participants": [i.to_dict() for i in self.items],
        }


def build_agenda(
    cohort: str,
    as_of: date,
    schedule: Schedule,
    days: WorkingDays,
    parameters: CalendarParameters,
    members: Iterable[Enrolment],
    attendance: Mapping[str, Mapping[str, str]] | None = None,
) -> Agenda:
    """The agenda of ``cohort`` on ``as_of``: its active members' deadlines and warnings.

    ``attendance`` maps a NIP to that participant's recorded days (ISO day -> status); a
    participant it lacks has recorded none.
    """
    active = [m for m in members if m.active]
    due = {item.nip: item for item in due_items(schedule, days, active, as_of)}
    laboratory = _laboratory_warning(schedule, parameters, as_of)
    recorded = attendance or {}
    items = []
    for member in active:
        warnings = []
        if laboratory is not None and member.state in BEFORE_LABORATORY:
            warnings.append(laboratory)
        days_recorded = recorded.get(member.nip)
        tally = AttendanceTally.of(days_recorded) if days_recorded else None
        if tally is not None and tally.below(parameters.attendance_minimum):
            warnings.append(_attendance_warning(tally, parameters.attendance_minimum))
        items.append(
            AgendaItem(
                member.nip,
                member.participant.name,
                member.state,
                due.get(member.nip),
                tuple(warnings),
            )
        )
    return Agenda(cohort, as_of, tuple(items))


def _laboratory_warning(
    schedule: Schedule, parameters: CalendarParameters, as_of: date
) -> AgendaWarning | None:
    # The same for every participant not yet in the laboratory: computed once per agenda.
    seminar = schedule.window(ScheduleStage.SEMINAR)
    if seminar is None:
        return None
    window = schedule.window(ScheduleStage.LABORATORY)
    earliest = as_of + timedelta(days=1)
    if window is not None:
        earliest = max(earliest, window.start)
    available = max((seminar.start - earliest).days, 0)
    minimum = parameters.laboratory_min_days
    if available >= minimum:
        return None
    return AgendaWarning(
        "laboratory_minimum_unreachable",
        f"approved now, the laboratory could last {available} calendar day(s) before the "
        f"seminar on {seminar.start}, less than the minimum of {minimum}",
        MappingProxyType(
            {
                "available_days": available,
                "minimum_days": minimum,
                "earliest_start": earliest.isoformat(),
                "seminar": seminar.start.isoformat(),
            }
        ),
    )


def _attendance_warning(tally: AttendanceTally, minimum: float) -> AgendaWarning:
    share = tally.share
    return AgendaWarning(
        "attendance_below_minimum",
        f"present on {tally.present} of {tally.counted} counted day(s) ({share:.0%}), below "
        f"the minimum of {minimum:.0%}",
        MappingProxyType(
            {
                "present": tally.present,
                "absent": tally.absent,
                "excused": tally.excused,
                "share": share,
                "minimum": minimum,
            }
        ),
    )


class TickOutcome(StrEnum):
    """What a tick did with one applicable timeout."""

    APPLIED = "applied"
    """The timeout's event was fired by this tick."""
    ALREADY_APPLIED = "already_applied"
    """The event's key was already recorded (an earlier tick, perhaps on another host)."""
    FLAGGED = "flagged"
    """The timeout only flags: nothing is fired."""
    PENDING = "pending"
    """The event would be fired: the tick ran without ``apply``."""
    REFUSED = "refused"
    """The rules refused the event (the violations say why)."""


@dataclass(frozen=True, slots=True)
class TickAction:
    """One applicable timeout and what the tick did with it."""

    nip: str
    deadline: str
    due: date
    working_days_late: int
    event: str | None
    """The event fired or due (``None``: the timeout only flags)."""
    key: str
    """The idempotency key the event is (or would be) fired with."""
    outcome: TickOutcome
    violations: tuple[str, ...] = ()
    """Violation codes when the rules refused the event."""

    @classmethod
    def of(
        cls, planned: PlannedTimeout, outcome: TickOutcome, violations: Iterable[str] = ()
    ) -> TickAction:
        """The action for a planned timeout, with its outcome."""
        return cls(
            planned.nip,
            planned.deadline,
            planned.item.due,
            planned.item.working_days_late,
            planned.event,
            planned.key,
            outcome,
            tuple(violations),
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-compatible dictionary."""
        return {
            "nip": self.nip,
            "deadline": self.deadline,
            "due": self.due.isoformat(),
            "working_days_late": self.working_days_late,
            "event": self.event,
            "key": self.key,
            "outcome": str(self.outcome),
            "violations": list(self.violations),
        }


@dataclass(frozen=True, slots=True)
class TickReport:
    """What one tick of a cohort did on ``as_of``: an action per applicable timeout."""

    cohort: str
    as_of: date
    apply: bool
    """Whether events were fired (``False``: a dry run, events are ``pending``)."""
    actions: tuple[TickAction, ...] = ()

    def by_outcome(self, outcome: TickOutcome) -> tuple[TickAction, ...]:
        """The actions that ended with ``outcome``."""
        return tuple(a for a in self.actions if a.outcome is outcome)

    @property
    def applied(self) -> tuple[TickAction, ...]:
        """The events this tick fired."""
        return self.by_outcome(TickOutcome.APPLIED)

    @property
    def flagged(self) -> tuple[TickAction, ...]:
        """The overdue deadlines only flagged."""
        return self.by_outcome(TickOutcome.FLAGGED)

    @property
    def already_applied(self) -> tuple[TickAction, ...]:
        """The events an earlier tick had already fired."""
        return self.by_outcome(TickOutcome.ALREADY_APPLIED)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-compatible dictionary (the CLI adds ``schema_version``)."""
        return {
            "cohort": self.cohort,
            "as_of": self.as_of.isoformat(),
            "apply": self.apply,
            "counts": {str(o): len(self.by_outcome(o)) for o in TickOutcome},
            "actions": [a.to_dict() for a in self.actions],
        }
