"""Explicit conversions between rows and domain objects (rows are never domain objects).

Values read back were validated when written, so models are rebuilt with
``model_construct`` (no second validation on the hot path).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from functools import lru_cache
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from changeflow.encoding import text_json
from changeflow.models import ChangeProject, Cohort, Mentor, Office, Participant
from changeflow.personal import Subject, open_entry
from changeflow.records import Enrolment, HistoryEntry, Violation
from changeflow.staff import StaffMember
from changeflow.store.sql.tables import AUDIT_COLUMNS

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from sqlalchemy import Row

__all__ = [
    "AUDIT_COLUMNS",
    "audit_values",
    "cohort_from_document",
    "column_problem",
    "enrolment_from_fields",
    "entry_from_row",
    "opened_from_row",
    "project_params",
]


_dumps = text_json


def cohort_from_document(document: Mapping[str, Any]) -> Cohort:
    """Rebuild a cohort from its stored JSON (validated: documents may come from old versions)."""
    return Cohort.model_validate(document, strict=False)


_PARTICIPANT_FIELDS = frozenset(
    ("nip", "name", "office", "echelon", "birth_date", "retirement_age")
)


def _participant(
    nip: str, name: str, office: Office, echelon: str, born: date, age: int | None
) -> Participant:
    """A participant from stored values, as ``model_construct`` would build it, faster.

    A bulk load rebuilds every participant of a cohort, and ``model_construct`` (which
    looks up every field's default) is a quarter of the load's time. The values were
    validated when written; a test holds this equal to ``model_construct``'s result.
    """
    person = _new_participant(Participant)
    setattr_ = object.__setattr__
    setattr_(
        person,
        "__dict__",
        {
            "nip": nip,
            "name": name,
            "office": office,
            "echelon": echelon,
            "birth_date": born,
            "retirement_age": age,
        },
    )
    # A set of its own: ``model_copy(update=...)`` adds to it.
    setattr_(person, "__pydantic_fields_set__", set(_PARTICIPANT_FIELDS))
    setattr_(person, "__pydantic_extra__", None)
    setattr_(person, "__pydantic_private__", None)
    return person


_new_participant = object.__new__


@lru_cache(maxsize=4096)
def _stored_date(value: str) -> date:
    # Birth dates repeat (a cohort's people are born over a few decades): parse each once.
    return date.fromisoformat(value)


def enrolment_from_fields(row: Sequence[Any], cohort: str, office: Office) -> Enrolment:
    """An enrolment from a row of ``members_sql`` (SQLite's text dates and 0/1 flags too).

    The row: id, nip, name, office code and name, echelon, birth date, retirement age,
    state, version, revisions, active, seated, completed, group; the project's title,
    theme and mentor (name, NIP, position); one score's component and value.
    """
    born = row[6]
    if isinstance(born, str):
        born = _stored_date(born)
    project = None
    if row[15] is not None:
        mentor = (
            Mentor.model_construct(name=row[17], nip=row[18], position=row[19])
            if row[17] is not None
            else None
        )
        project = ChangeProject.model_construct(title=row[15], theme=row[16], mentor=mentor)
    return Enrolment(
        cohort,
        _participant(row[1], row[2], office, row[5], born, row[7]),
        row[8],
        row[9],
        row[10],
        project,
        None,
        row[14],
        bool(row[11]),
        bool(row[12]),
        bool(row[13]),
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


@lru_cache(maxsize=64)
def sqlite_datetime(value: datetime) -> str:
    """A UTC datetime as SQLAlchemy's SQLite dialect stores it (microseconds always).

    Cached: every entry of a bulk step carries the same time.
    """
    utc = value.astimezone(UTC).replace(tzinfo=None)
    return utc.isoformat(" ", "microseconds")


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
        entry.role,
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
    if text is None:
        return None
    value = json.loads(text)
    if type(value) is not dict:  # a mappingproxy would take a string (it has __getitem__)
        raise TypeError(f"a JSON object expected, found {type(value).__name__}")
    return MappingProxyType(value)


def staff_from_row(row: Row[Any, Any, Any]) -> StaffMember:
    """A staff member from its row (roles stored sorted and comma-separated)."""
    return staff_from_values(row.actor, row.name, row.roles)


def staff_from_values(actor: str, name: str, roles: str) -> StaffMember:
    """A staff member from its stored actor id, name and comma-separated roles."""
    return StaffMember.model_construct(id=actor, name=name, roles=frozenset(roles.split(",")))


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
        row.role,
    )


def opened_from_row(row: Row[Any], cohort: str, *, check: bool = False) -> HistoryEntry:
    """Rebuild an entry from a row of ``OPENED``: sealed, then opened with its personal data."""
    sealed = entry_from_row(row, cohort)
    subject = (
        None if row.subject_nip is None else Subject(row.nip, row.subject_nip, row.subject_key)
    )
    values = None if row.personal is None else json.loads(row.personal)
    return open_entry(sealed, subject, values, check=check)


def personal_json(values: Mapping[str, Any]) -> str:
    """The ``personal_data.data`` of an entry's personal values."""
    return _dumps(dict(values))


_JSON_OBJECTS = frozenset({"payload", "data", "change"})
_TEXTS = frozenset({"nip", "event", "outcome", "hash"})
_OPTIONAL_TEXTS = frozenset({"source", "target", "actor", "reason", "role"})
_INTEGERS = frozenset({"seq", "format", "cohort_id", "id"})


def column_problem(name: str, value: Any) -> str | None:
    """What is wrong with the value an audit row holds in column ``name``; ``None`` if nothing.

    For naming the column of a row :func:`entry_from_row` could not read (slow path only).
    """
    try:
        if name in _JSON_OBJECTS:
            _mapping(value)
        elif name == "violations":
            _violations(value)
        elif name in _INTEGERS:
            _expect(value, int, False)
        elif name in _TEXTS or name in _OPTIONAL_TEXTS:
            _expect(value, str, name in _OPTIONAL_TEXTS)
        elif name == "at":
            _expect(value, datetime, False)
        elif name == "effective_date":
            _expect(value, date, True)
    except json.JSONDecodeError as exc:
        return f"not valid JSON ({exc})"
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
        return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return None


def _expect(value: Any, kind: type, optional: bool) -> None:
    if value is None and optional:
        return
    if not isinstance(value, kind) or isinstance(value, bool):
        raise TypeError(f"{kind.__name__} expected, found {type(value).__name__} {value!r:.60}")


def seqs_json(result: HistoryEntry | Sequence[HistoryEntry]) -> str:
    """What an idempotency row remembers: one sequence number, or a list for a bulk command."""
    if isinstance(result, HistoryEntry):
        return json.dumps(result.seq)
    return json.dumps([e.seq for e in result])
