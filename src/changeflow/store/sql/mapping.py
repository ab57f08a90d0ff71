"""Explicit conversions between rows and domain objects (rows are never domain objects).

Values read back were validated when written, so models are rebuilt with
``model_construct`` (no second validation on the hot path).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import lru_cache
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from changeflow.models import ChangeProject, Cohort, Mentor, Office, Participant
from changeflow.records import Enrolment, HistoryEntry, Violation

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from sqlalchemy import Row

__all__ = [
    "AUDIT_COLUMNS",
    "audit_values",
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
        row.active,
        row.seated,
        row.completed,
    )


AUDIT_COLUMNS = (
    "cohort_id",
    "seq",
    "at",
    "nip",
    "event",
    "source",
    "target",
    "outcome",
    "actor",
    "reason",
    "payload",
    "violations",
    "data",
    "effective_date",
    "hash",
    "change",
    "format",
)
"""The audit table's columns in the order :func:`audit_values` gives them."""


@lru_cache(maxsize=64)
def sqlite_datetime(value: datetime) -> str:
    """A UTC datetime as SQLAlchemy's SQLite dialect stores it (microseconds always).

    Cached: every entry of a bulk step carries the same time.
    """
    utc = value.astimezone(UTC)
    return f"{utc:%Y-%m-%d %H:%M:%S}.{utc.microsecond:06d}"


def audit_values(
    cohort_id: int, entry: HistoryEntry, digest: str, *, sqlite: bool
) -> tuple[Any, ...]:
    """An audit row's values for the driver's ``executemany``, in :data:`AUDIT_COLUMNS` order.

    Bulk writes bypass SQLAlchemy's per-row parameter processing, so values are given in
    the form the driver stores: on SQLite, datetimes and dates as SQLAlchemy writes them.
    """
    effective = entry.effective_date
    return (
        cohort_id,
        entry.seq,
        sqlite_datetime(entry.at) if sqlite else entry.at,
        entry.nip,
        entry.event,
        entry.source,
        entry.target,
        entry.outcome,
        entry.actor,
        entry.reason,
        None if entry.payload is None else _dumps(dict(entry.payload)),
        _dumps([v.to_dict() for v in entry.violations]) if entry.violations else None,
        None if entry.data is None else _dumps(dict(entry.data)),
        effective.isoformat() if sqlite and effective is not None else effective,
        digest,
        None if entry.change is None else _dumps(dict(entry.change)),
        entry.format,
    )


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
        _mapping(row.change),
        row.format,
    )


def seqs_json(result: HistoryEntry | Sequence[HistoryEntry]) -> str:
    """What an idempotency row remembers: one sequence number, or a list for a bulk command."""
    if isinstance(result, HistoryEntry):
        return json.dumps(result.seq)
    return json.dumps([e.seq for e in result])
