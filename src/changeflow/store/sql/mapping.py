"""Explicit conversions between rows and domain objects (rows are never domain objects).

Values read back were validated when written, so models are rebuilt with
``model_construct`` (no second validation on the hot path).
"""

from __future__ import annotations

import json
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from changeflow.models import ChangeProject, Cohort, Mentor, Office, Participant
from changeflow.records import Enrolment, HistoryEntry
from changeflow.rules.verdict import Violation

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from sqlalchemy import Row

__all__ = [
    "audit_params",
    "cohort_from_document",
    "entry_from_row",
    "participant_from_row",
    "project_from_row",
    "project_params",
]


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def cohort_from_document(document: Mapping[str, Any]) -> Cohort:
    """Rebuild a cohort from its stored JSON (validated: documents may come from old versions)."""
    return Cohort.model_validate(document, strict=False)


def participant_from_row(row: Row[Any], office: Office) -> Participant:
    """Rebuild a participant from an enrolment row."""
    return Participant.model_construct(
        nip=row.nip,
        name=row.name,
        office=office,
        echelon=row.echelon,
        birth_date=row.birth_date,
        retirement_age=row.retirement_age,
    )


def project_params(enrolment_id: int, project: ChangeProject) -> dict[str, Any]:
    """Column values of a change project row."""
    mentor = project.mentor
    return {
        "enrolment_id": enrolment_id,
        "title": project.title,
        "theme": project.theme,
        "mentor_name": mentor.name if mentor else None,
        "mentor_nip": mentor.nip if mentor else None,
        "mentor_position": mentor.position if mentor else None,
    }


def project_from_row(row: Row[Any]) -> ChangeProject:
    """Rebuild a change project from its row."""
    mentor = (
        Mentor.model_construct(
            name=row.mentor_name, nip=row.mentor_nip, position=row.mentor_position
        )
        if row.mentor_name is not None
        else None
    )
    return ChangeProject.model_construct(title=row.title, theme=row.theme, mentor=mentor)


def enrolment_from_row(
    row: Row[Any],
    cohort: str,
    office: Office,
    project: ChangeProject | None,
    scores: dict[str, float] | None,
) -> Enrolment:
    """Rebuild an enrolment from its row and its project and scores."""
    return Enrolment(
        cohort,
        participant_from_row(row, office),
        row.state,
        row.version,
        row.revisions,
        project,
        scores,
        row.group_no,
    )


def audit_params(cohort_id: int, entry: HistoryEntry, digest: str) -> dict[str, Any]:
    """Column values of an audit row."""
    return {
        "cohort_id": cohort_id,
        "seq": entry.seq,
        "at": entry.at,
        "nip": entry.nip,
        "event": entry.event,
        "source": entry.source,
        "target": entry.target,
        "outcome": entry.outcome,
        "actor": entry.actor,
        "reason": entry.reason,
        "payload": None if entry.payload is None else _dumps(dict(entry.payload)),
        "violations": _dumps([v.to_dict() for v in entry.violations]) if entry.violations else None,
        "data": None if entry.data is None else _dumps(dict(entry.data)),
        "effective_date": entry.effective_date,
        "hash": digest,
    }


def _violations(text: str | None) -> tuple[Violation, ...]:
    if not text:
        return ()
    return tuple(
        Violation(
            v["code"],
            v["message"],
            MappingProxyType(v.get("facts") or {}),
            v.get("message_id"),
            v.get("source"),
        )
        for v in json.loads(text)
    )


def _mapping(text: str | None) -> Mapping[str, Any] | None:
    return None if text is None else MappingProxyType(json.loads(text))


def entry_from_row(row: Row[Any], cohort: str) -> HistoryEntry:
    """Rebuild a history entry from its audit row."""
    return HistoryEntry(
        row.seq,
        row.at,
        cohort,
        row.nip,
        row.event,
        row.source,
        row.target,
        row.outcome,
        row.actor,
        row.reason,
        _mapping(row.payload),
        _violations(row.violations),
        _mapping(row.data),
        row.effective_date,
    )


def seqs_json(result: HistoryEntry | Sequence[HistoryEntry]) -> str:
    """What an idempotency row remembers: one sequence number, or a list for a bulk command."""
    if isinstance(result, HistoryEntry):
        return json.dumps(result.seq)
    return json.dumps([e.seq for e in result])
