"""Every JSON document the CLI prints, one builder per document.

A command calls one builder and hands the result to :meth:`Output.document
<changeflow.cli.render.Output.document>`, which puts ``schema_version`` first. The shapes
are documented in docs/cli.md; keys are added, never renamed or removed within a schema
version: a rename bumps ``JSON_SCHEMA_VERSION`` (docs/cli.md, "JSON schema versions").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from changeflow.errors import (
    DefinitionError,
    MigrationRejected,
    MissingRules,
    TransitionRejected,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from datetime import datetime

    from changeflow.agenda import Agenda, TickReport
    from changeflow.attendance import SheetReport
    from changeflow.audit import AuditCheck, Checkpoint
    from changeflow.cli.failures import Failure
    from changeflow.engine import CohortStatus
    from changeflow.models import ChangeProject, Cohort, Grade, Group, Office
    from changeflow.records import (
        AdvanceReport,
        Enrolment,
        HistoryEntry,
        LifecycleRef,
        MigrationPlan,
        Violation,
    )
    from changeflow.roster import RosterReport
    from changeflow.schedule import Schedule

__all__ = [
    "INDONESIAN_MESSAGE",
    "Document",
    "advance",
    "agenda",
    "assessment",
    "attendance_sheet",
    "check",
    "checkpoints",
    "cohort",
    "cohorts",
    "database",
    "entry",
    "error",
    "events",
    "failure",
    "groups",
    "history",
    "migration",
    "participant_corrected",
    "presented",
    "project",
    "roster",
    "schedule",
    "score_corrected",
    "status",
    "tick",
    "transfer",
    "verify",
    "violations",
]

Document = dict[str, Any]
"""A JSON document without its ``schema_version`` (the output adds it)."""


INDONESIAN_MESSAGE = "message_indonesian"
"""The key of a violation's Indonesian text in the CLI's documents (schema version 2 on).

The library's :meth:`Violation.to_dict <changeflow.records.Violation.to_dict>` names it
``message_id``, and the audit chain hashes and seals that form: only what the CLI prints
renames it, so every chain written before keeps verifying.
"""

_STORED_VIOLATION = frozenset({"code", "message", "message_id", "facts", "source"})
"""The keys of a violation as the library writes it."""


def presented(payload: Mapping[str, Any]) -> Document:
    """``payload`` as the CLI prints it: each violation's ``message_id`` as ``message_indonesian``.

    Violations sit at any depth (a roster's refused rows, a history entry, an error
    document); each is recognised by its exact set of keys, so nothing else is renamed.
    """
    return {key: _presented(value) for key, value in payload.items()}


def _presented(value: Any) -> Any:
    if isinstance(value, list):
        return [_presented(item) for item in value]
    if not isinstance(value, dict):
        return value
    if value.keys() == _STORED_VIOLATION:
        return {
            INDONESIAN_MESSAGE if key == "message_id" else key: item for key, item in value.items()
        }
    return {key: _presented(item) for key, item in value.items()}


def violations(found: Iterable[Violation]) -> list[dict[str, Any]]:
    """Violations as the library writes them: code, message, message_id, facts, source.

    :func:`presented` renames ``message_id`` when the document is printed.
    """
    return [v.to_dict() for v in found]


# -- errors ---------------------------------------------------------------------------------


def error(reported: Failure) -> Document:
    """The document of a failed command: its ``error`` (kind, message, hint, exit code)."""
    return {"error": reported.to_dict()}


def failure(exc: BaseException, reported: Failure) -> Document:
    """The document of a failed command: ``error``, and what the refusal or problem says.

    A refused command also carries ``cohort``, ``nip``, ``event``, ``from``, ``outcome``
    and ``violations``; a refused migration ``cohort``, ``outcome`` and ``violations``; an
    unusable lifecycle its ``problems`` (and the ``rules`` it lacks).
    """
    body = error(reported)
    if isinstance(exc, TransitionRejected):
        return {
            "cohort": exc.cohort,
            "nip": exc.nip,
            "event": exc.event,
            "from": exc.state,
            "outcome": "refused",
            "violations": violations(exc.violations),
            **body,
        }
    if isinstance(exc, MigrationRejected):
        return {
            "cohort": exc.cohort,
            "outcome": "refused",
            "violations": violations(exc.violations),
            **body,
        }
    if isinstance(exc, MissingRules):
        return {"rules": list(exc.rules), "problems": list(exc.problems), **body}
    if isinstance(exc, DefinitionError):
        return {"problems": list(exc.problems), **body}
    return body


# -- the database and cohorts ---------------------------------------------------------------


def database(label: str, revision: str, count: int) -> Document:
    """``init``: the database, its schema revision and how many cohorts it holds."""
    return {"database": label, "revision": revision, "cohorts": count}


def cohort(created: Cohort, lifecycle: LifecycleRef | None) -> Document:
    """``cohort create`` and ``cohort show``: the cohort, its lifecycle and its rule pack."""
    parameters = created.parameters
    return {
        "cohort": created.model_dump(mode="json"),
        "lifecycle": None if lifecycle is None else lifecycle.to_dict(),
        "rule_pack": {"id": parameters.rule_pack, "version": parameters.rule_pack_version},
    }


def cohorts(listed: Sequence[tuple[Cohort, int, LifecycleRef | None]]) -> Document:
    """``cohort list``: each cohort with its dates, seats, headcount and lifecycle."""
    return {
        "cohorts": [
            {
                "code": c.code,
                "name": c.name,
                "start": c.start.isoformat(),
                "end": c.end.isoformat(),
                "capacity": c.capacity,
                "participants": total,
                "lifecycle": None if ref is None else ref.to_dict(),
            }
            for c, total, ref in listed
        ]
    }


def migration(plan: MigrationPlan) -> Document:
    """``cohort migrate``: the lifecycles before and after, every participant's states."""
    body = plan.to_dict()
    return {**body, "dry_run": not plan.applied}


def roster(report: RosterReport) -> Document:
    """``enrol``: accepted, refused (with lines and violations) and already enrolled."""
    return report.to_dict()


# -- one participant ------------------------------------------------------------------------


def entry(recorded: HistoryEntry) -> Document:
    """``fire``: the accepted audit entry."""
    return recorded.to_dict()


def check(code: str, nip: str, event: str, state: str, found: Sequence[Violation]) -> Document:
    """``check``: whether the event would be accepted now, and every reason it would not."""
    return {
        "cohort": code,
        "nip": nip,
        "event": event,
        "state": state,
        "allowed": not found,
        "violations": violations(found),
    }


def events(code: str, nip: str, state: str, allowed: Sequence[str]) -> Document:
    """``events``: the participant's state and the events accepted now."""
    return {"cohort": code, "nip": nip, "state": state, "events": list(allowed)}


def project(code: str, nip: str, registered: ChangeProject, recorded: HistoryEntry) -> Document:
    """``project``: the registered project and its audit entry."""
    return {
        "cohort": code,
        "nip": nip,
        "project": registered.model_dump(mode="json"),
        "entry": recorded.to_dict(),
    }


def assessment(
    code: str,
    nip: str,
    component: str,
    score: float,
    grade: Grade | None,
    missing: Sequence[str],
) -> Document:
    """``assess``: the score recorded, the grade once complete, the components missing."""
    return {
        "cohort": code,
        "nip": nip,
        "component": component,
        "score": score,
        "grade": grade.model_dump(mode="json") if grade else None,
        "missing": list(missing),
    }


def score_corrected(code: str, nip: str, component: str, recorded: HistoryEntry) -> Document:
    """``correct score``: the scores before and after, the grade that follows, the entry."""
    scores = (recorded.change or {}).get("scores", {})
    data = recorded.data or {}
    grade = (
        {"score": data["score"], "band": data["grade"], "passed": data["passed"]}
        if "grade" in data
        else None
    )
    return {
        "cohort": code,
        "nip": nip,
        "component": component,
        "before": scores.get("before"),
        "after": scores.get("after"),
        "grade": grade,
        "entry": recorded.to_dict(),
    }


def participant_corrected(code: str, nip: str, recorded: HistoryEntry) -> Document:
    """``correct participant``: the person's facts before and after, the entry."""
    person = (recorded.change or {}).get("participant", {})
    return {
        "cohort": code,
        "nip": nip,
        "before": person.get("before"),
        "after": person.get("after"),
        "entry": recorded.to_dict(),
    }


def transfer(code: str, nip: str, office: Office, recorded: HistoryEntry) -> Document:
    """``transfer``: the office before and after, the entry."""
    moved = (recorded.change or {}).get("office", {})
    return {
        "cohort": code,
        "nip": nip,
        "office": office.model_dump(mode="json"),
        "before": moved.get("before"),
        "after": moved.get("after"),
        "entry": recorded.to_dict(),
    }


def history(nip: str | None, entries: Sequence[HistoryEntry]) -> Document:
    """``history``: the participant's entries (``nip`` null: anyone's), oldest first."""
    return {"nip": nip, "history": [e.to_dict() for e in entries]}


# -- the whole cohort -----------------------------------------------------------------------


def groups(code: str, formed: Sequence[Group]) -> Document:
    """``groups``: each group's number, themes and members."""
    return {"cohort": code, "groups": [g.model_dump(mode="json") for g in formed]}


def advance(report: AdvanceReport, *, dry_run: bool = False) -> Document:
    """``advance``: accepted NIPs, refused ones with violations, how many were skipped.

    With ``dry_run`` the accepted NIPs are those that would move; nothing was written.
    """
    body = report.to_dict()
    return {
        "cohort": body["cohort"],
        "event": body["event"],
        "dry_run": dry_run,
        "accepted": body["accepted"],
        "refused": body["refused"],
        "skipped": body["skipped"],
    }


def status(counts: CohortStatus, members: Sequence[Enrolment], as_of: datetime | None) -> Document:
    """``status``: every participant with state, office, project, scores and group; counts."""
    return {
        "cohort": counts.cohort,
        "as_of": None if as_of is None else as_of.isoformat(),
        "participants": [
            {
                "nip": m.nip,
                "name": m.participant.name,
                "office": m.participant.office.code,
                "office_name": m.participant.office.name,
                "state": m.state,
                "group": m.group,
                "project": m.project.model_dump(mode="json") if m.project else None,
                "scores": dict(m.scores or {}),
            }
            for m in members
        ],
        "counts": dict(counts.by_state),
        "total": counts.total,
    }


def verify(checks: Sequence[AuditCheck], against: str | None = None) -> Document:
    """``verify``: whether every cohort is intact, each cohort's check, the checkpoint file."""
    return {
        "ok": all(c.ok for c in checks),
        "cohorts": [c.to_dict() for c in checks],
        "against": against,
    }


def checkpoints(database: str, taken_at: datetime, heads: Sequence[Checkpoint]) -> Document:
    """``checkpoints``: every cohort's chain head (code, seq, hash, its time), and when taken.

    The same document is the checkpoint file ``verify --against`` reads.
    """
    return {
        "database": database,
        "taken_at": taken_at.isoformat(),
        "checkpoints": [c.to_dict() for c in heads],
    }


# -- the course calendar ----------------------------------------------------------------------


def schedule(code: str, plan: Schedule) -> Document:
    """``schedule``: each window with its working days, the visit and the closures."""
    days = plan.working_days()
    visit = plan.visit
    return {
        "cohort": code,
        "stages": [
            {
                "stage": str(w.stage),
                "start": w.start.isoformat(),
                "end": w.end.isoformat(),
                "working_days": days.count(w.start, w.end),
            }
            for w in plan.windows
        ],
        "visit": None
        if visit is None
        else {
            "start": visit.start.isoformat(),
            "end": visit.end.isoformat(),
            "destination": visit.destination,
        },
        "closures": [{"day": c.day.isoformat(), "name": c.name} for c in plan.closures],
    }


def agenda(found: Agenda) -> Document:
    """``agenda``: counts, and per participant the next deadline, lateness and warnings."""
    return found.to_dict()


def tick(report: TickReport) -> Document:
    """``tick``: whether events were fired, counts per outcome, each applicable timeout."""
    return report.to_dict()


def attendance_sheet(report: SheetReport) -> Document:
    """``attendance --csv``: accepted, unchanged and refused rows (line, violations)."""
    return report.to_dict()
