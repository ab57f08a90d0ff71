"""What the engine records and reports: enrolments, history entries, bulk outcomes.

These are produced by the library, not accepted from outside, so they are slotted
dataclasses (cheap enough for a national registry held in memory) rather than pydantic
models. Each has ``to_dict()`` with stable, JSON-compatible keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import date, datetime

    from changeflow.models import ChangeProject, Participant
    from changeflow.rules.verdict import Violation

__all__ = ["AdvanceReport", "Enrolment", "HistoryEntry", "Outcome"]

Outcome = Literal["accepted", "refused"]


@dataclass(slots=True)
class Enrolment:
    """A participant's place in one cohort: state, version and what the guards need.

    ``version`` grows by one with every accepted transition (optimistic concurrency);
    ``revisions`` counts reflexive transitions (proposal revisions).
    """

    cohort: str
    participant: Participant
    state: str
    version: int = 1
    revisions: int = 0
    project: ChangeProject | None = None
    scores: dict[str, float] | None = None
    group: int | None = None

    @property
    def nip(self) -> str:
        """The participant's NIP."""
        return self.participant.nip

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
        }


class HistoryEntry(NamedTuple):
    """One audited attempt: an accepted transition or a refused one, with its reasons.

    Immutable; a named tuple because a national registry keeps millions of them.

    ``seq`` is the entry's position in its cohort's audit trail (from 1). For an
    enrolment ``event`` is ``"enrol"`` and ``source`` is ``None``; for a refused attempt
    ``target`` is where the event would have led (``None`` when it leads nowhere from the
    current state).
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

    @property
    def accepted(self) -> bool:
        """True for an accepted transition."""
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
