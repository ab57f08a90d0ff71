"""The relational schema as SQLAlchemy 2.x typed declarative rows.

Rows are not domain objects: :mod:`changeflow.store.sql.mapping` converts between the two
explicitly. Every index serves a query the rules or reports make, so quota checks and
history look-ups stay O(log n) as the store grows; counters on the cohort and per
(cohort, office) spare the rules from counting rows.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

if TYPE_CHECKING:
    from sqlalchemy.engine import Dialect

__all__ = [
    "AssessmentRow",
    "AttendanceRow",
    "AuditRow",
    "Base",
    "CohortOfficeRow",
    "CohortRow",
    "EnrolmentRow",
    "IdempotencyRow",
    "LifecycleRow",
    "OfficeNameRow",
    "OfficeRow",
    "PersonalRow",
    "ProjectRow",
    "ScheduleRow",
    "SettingRow",
    "StaffRow",
    "SubjectRow",
    "UTCDateTime",
]

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite has no time zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Store UTC; naive values are refused rather than guessed."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("changeflow stores timezone-aware datetimes only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self,
        value: datetime | None,
        dialect: Dialect,  # noqa: ARG002 - the TypeDecorator signature
    ) -> datetime | None:
        """Return an aware UTC datetime."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base with deterministic constraint names (migrations depend on them)."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime, dict[str, Any]: JSON}


class OfficeRow(Base):
    """An office (OPD)."""

    __tablename__ = "offices"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class OfficeNameRow(Base):
    """A name or alias an office is known by, keyed by its folded form (the office registry).

    ``added_by`` and ``added_at`` are null for names stored before schema 0006.
    """

    __tablename__ = "office_names"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    office_code: Mapped[str] = mapped_column(ForeignKey("offices.code"), index=True)
    label: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(8))
    added_by: Mapped[str | None] = mapped_column(String(200))
    added_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SettingRow(Base):
    """A store-wide setting (``offices``: ``closed`` or ``open``), with who changed it when."""

    __tablename__ = "settings"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    changed_by: Mapped[str | None] = mapped_column(String(200))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LifecycleRow(Base):
    """A lifecycle definition some cohort is pinned to, keyed by its document's SHA-256."""

    __tablename__ = "lifecycles"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(64))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)


class CohortRow(Base):
    """A cohort, its rule parameters (as the validated model's JSON), counters and chain head.

    ``lifecycle_sha256`` pins the cohort to a row of ``lifecycles``; it is ``NULL`` only for
    a cohort written before schema 0002 whose states the default lifecycle lacks.
    """

    __tablename__ = "cohorts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    seated: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    chain_seq: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    chain_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lifecycle_sha256: Mapped[str | None] = mapped_column(String(64))


class CohortOfficeRow(Base):
    """Seats an office holds in a cohort (the office quota's counter)."""

    __tablename__ = "cohort_offices"

    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"), primary_key=True)
    office_code: Mapped[str] = mapped_column(ForeignKey("offices.code"), primary_key=True)
    seated: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))


class EnrolmentRow(Base):
    """A participant in one cohort: identity, state, version and flags the rules read.

    ``active`` (a non-final state) is unique per NIP across cohorts, so the database itself
    refuses a person active in two cohorts even if two writers race on different cohorts.
    """

    __tablename__ = "enrolments"
    __table_args__ = (
        UniqueConstraint("cohort_id", "nip"),
        Index("ix_enrolments_cohort_state", "cohort_id", "state"),
        Index(
            "uq_enrolments_active_nip",
            "nip",
            unique=True,
            sqlite_where=text("active"),
            postgresql_where=text("active"),
        ),
        Index("ix_enrolments_nip", "nip"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"))
    nip: Mapped[str] = mapped_column(String(18))
    name: Mapped[str] = mapped_column(String(200))
    office_code: Mapped[str] = mapped_column(ForeignKey("offices.code"))
    echelon: Mapped[str] = mapped_column(String(32))
    birth_date: Mapped[date] = mapped_column(Date)
    retirement_age: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    revisions: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean)
    seated: Mapped[bool] = mapped_column(Boolean)
    completed: Mapped[bool] = mapped_column(Boolean)
    group_no: Mapped[int | None] = mapped_column(Integer)


class ProjectRow(Base):
    """A participant's change project (proyek perubahan) and mentor."""

    __tablename__ = "change_projects"

    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id"), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    theme: Mapped[str] = mapped_column(String(200))
    mentor_name: Mapped[str | None] = mapped_column(String(200))
    mentor_nip: Mapped[str | None] = mapped_column(String(18))
    mentor_position: Mapped[str | None] = mapped_column(String(200))


class AssessmentRow(Base):
    """One assessment score of a participant, per component."""

    __tablename__ = "assessments"

    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id"), primary_key=True)
    component: Mapped[str] = mapped_column(String(64), primary_key=True)
    score: Mapped[float] = mapped_column(Float)


class AuditRow(Base):
    """One audit entry, append-only (triggers refuse UPDATE and DELETE), hash-chained."""

    __tablename__ = "audit"
    __table_args__ = (
        UniqueConstraint("cohort_id", "seq"),
        Index("ix_audit_nip_id", "nip", "id"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"))
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    nip: Mapped[str] = mapped_column(String(32))
    """The participant's subject id (format 3; see changeflow.personal), ``""`` for the cohort."""
    event: Mapped[str] = mapped_column(String(64))
    source: Mapped[str | None] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[str | None] = mapped_column(Text)
    violations: Mapped[str | None] = mapped_column(Text)
    data: Mapped[str | None] = mapped_column(Text)
    effective_date: Mapped[date | None] = mapped_column(Date)
    hash: Mapped[str] = mapped_column(String(64))
    change: Mapped[str | None] = mapped_column(Text)
    """JSON: each fact the command changed, ``{"before": ..., "after": ...}`` (format 2)."""
    format: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    """The entry's hash format (:mod:`changeflow.audit`); rows written before 0002 are 1."""
    role: Mapped[str | None] = mapped_column(String(16))
    """The role the actor acted in (format 3; ``None`` before 0004 and for refusals)."""
    legacy_hash: Mapped[str | None] = mapped_column(String(64))
    """The hash the row had before schema 0005 re-sealed it (a pre-upgrade checkpoint's)."""


class SubjectRow(Base):
    """A person as the chain knows them: pseudonymous id, NIP and key (deleted on erasure)."""

    __tablename__ = "subjects"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    nip: Mapped[str] = mapped_column(String(18), unique=True)
    key: Mapped[str] = mapped_column(String(64))


class PersonalRow(Base):
    """The personal values of one sealed audit entry, by dotted path (JSON; see personal)."""

    __tablename__ = "personal_data"
    __table_args__ = (Index("ix_personal_data_subject_id", "subject_id"),)

    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(32))
    data: Mapped[str] = mapped_column(Text)


class IdempotencyRow(Base):
    """A command's idempotency key, its fingerprint and the audit entries it produced."""

    __tablename__ = "idempotency"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"))
    seqs: Mapped[str] = mapped_column(Text)
    """JSON list of the audit sequence numbers the command wrote; a bare number for one."""
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class ScheduleRow(Base):
    """A cohort's schedule (stage windows, visit, closures) as the validated model's JSON."""

    __tablename__ = "schedules"

    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"), primary_key=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)


class StaffRow(Base):
    """One member of a cohort's staff: the actor id, a name and the staff roles held."""

    __tablename__ = "staff"

    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"), primary_key=True)
    actor: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    roles: Mapped[str] = mapped_column(String(64))
    """The roles, sorted and comma-separated (``coach,organiser``)."""


class AttendanceRow(Base):
    """One participant's attendance on one on-class day (present, izin, sakit, absent)."""

    __tablename__ = "attendance"

    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"), primary_key=True)
    nip: Mapped[str] = mapped_column(String(18), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
