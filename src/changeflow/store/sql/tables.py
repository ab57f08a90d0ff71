"""The relational schema as SQLAlchemy Core tables on one :data:`metadata`.

Rows are not domain objects: :mod:`changeflow.store.sql.mapping` converts between the two
explicitly. Core tables, not the ORM's declarative classes: the store runs Core statements
only, and ``sqlalchemy.orm`` alone would cost a command a noticeable part of its start-up.
Every index serves a query the rules or reports make, so quota checks and history look-ups
stay O(log n) as the store grows; counters on the cohort and per (cohort, office) spare the
rules from counting rows. The schema itself is the migrations' (``migrations/versions``):
these tables describe it, column for column, for the statements.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import Dialect

__all__ = [
    "ATTENDANCE",
    "AUDIT",
    "AUDIT_COLUMNS",
    "COHORTS",
    "CREDENTIALS",
    "ENROLMENTS",
    "KEYS",
    "LIFECYCLES",
    "OFFICES",
    "OFFICE_NAMES",
    "PERSONAL",
    "PROJECTS",
    "SCHEDULES",
    "SCORES",
    "SEATS",
    "SETTINGS",
    "STAFF",
    "SUBJECTS",
    "UTCDateTime",
    "metadata",
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


metadata = MetaData(naming_convention=NAMING)
"""Every table, with deterministic constraint names (migrations depend on them)."""

OFFICES = Table(
    "offices",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
)
"""An office (OPD)."""

OFFICE_NAMES = Table(
    "office_names",
    metadata,
    Column("key", String(400), primary_key=True),
    Column("office_code", ForeignKey("offices.code"), nullable=False, index=True),
    Column("label", String(200), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("added_by", String(200)),
    Column("added_at", UTCDateTime),
)
"""A name or alias an office is known by, keyed by its folded form (the office registry).

``added_by`` and ``added_at`` are null for names stored before schema 0006.
"""

SETTINGS = Table(
    "settings",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", String(200), nullable=False),
    Column("changed_by", String(200)),
    Column("changed_at", UTCDateTime, nullable=False),
)
"""A store-wide setting (``offices``: ``closed`` or ``open``), with who changed it when."""

CREDENTIALS = Table(
    "credentials",
    metadata,
    Column("login", String(200), primary_key=True),
    Column("password_hash", String(400), nullable=False),
    Column("changed_by", String(200)),
    Column("changed_at", UTCDateTime, nullable=False),
)
"""A login's password hash (Argon2id, see :mod:`changeflow.passwords`), who set it and when."""

LIFECYCLES = Table(
    "lifecycles",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("name", String(64), nullable=False),
    Column("version", String(64), nullable=False),
    Column("document", JSON, nullable=False),
)
"""A lifecycle definition some cohort is pinned to, keyed by its document's SHA-256."""

COHORTS = Table(
    "cohorts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("document", JSON, nullable=False),
    Column("seated", Integer, nullable=False, default=0, server_default=text("0")),
    Column("chain_seq", Integer, nullable=False, default=0, server_default=text("0")),
    Column("chain_hash", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("lifecycle_sha256", String(64), nullable=True),
)
"""A cohort, its rule parameters (as the validated model's JSON), counters and chain head.

``lifecycle_sha256`` pins the cohort to a row of ``lifecycles``; it is ``NULL`` only for
a cohort written before schema 0002 whose states the default lifecycle lacks.
"""

SEATS = Table(
    "cohort_offices",
    metadata,
    Column("cohort_id", ForeignKey("cohorts.id"), primary_key=True),
    Column("office_code", ForeignKey("offices.code"), primary_key=True),
    Column("seated", Integer, nullable=False, default=0, server_default=text("0")),
)
"""Seats an office holds in a cohort (the office quota's counter)."""

ENROLMENTS = Table(
    "enrolments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("cohort_id", ForeignKey("cohorts.id"), nullable=False),
    Column("nip", String(18), nullable=False),
    Column("name", String(200), nullable=False),
    Column("office_code", ForeignKey("offices.code"), nullable=False),
    Column("echelon", String(32), nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("retirement_age", Integer, nullable=True),
    Column("state", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("revisions", Integer, nullable=False, default=0),
    Column("active", Boolean, nullable=False),
    Column("seated", Boolean, nullable=False),
    Column("completed", Boolean, nullable=False),
    Column("group_no", Integer, nullable=True),
    UniqueConstraint("cohort_id", "nip"),
    Index("ix_enrolments_cohort_state", "cohort_id", "state"),
    Index("ix_enrolments_nip", "nip"),
)
"""A participant in one cohort: identity, state, version and flags the rules read.

``active`` (a non-final state) is unique per NIP across cohorts, so the database itself
refuses a person active in two cohorts even if two writers race on different cohorts: the
partial unique index ``uq_enrolments_active_nip`` (``nip WHERE active``), which migration
0001 creates. It is not declared here: its ``postgresql_where`` would make SQLAlchemy load
the whole PostgreSQL dialect in every process, SQLite ones included, and no statement
needs it (the schema is the migrations', never ``metadata.create_all``).
"""

PROJECTS = Table(
    "change_projects",
    metadata,
    Column("enrolment_id", ForeignKey("enrolments.id"), primary_key=True),
    Column("title", String(200), nullable=False),
    Column("theme", String(200), nullable=False),
    Column("mentor_name", String(200), nullable=True),
    Column("mentor_nip", String(18), nullable=True),
    Column("mentor_position", String(200), nullable=True),
)
"""A participant's change project (proyek perubahan) and mentor."""

SCORES = Table(
    "assessments",
    metadata,
    Column("enrolment_id", ForeignKey("enrolments.id"), primary_key=True),
    Column("component", String(64), primary_key=True),
    Column("score", Float, nullable=False),
)
"""One assessment score of a participant, per component."""

AUDIT = Table(
    "audit",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("cohort_id", ForeignKey("cohorts.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column(
        "nip",
        String(32),
        nullable=False,
        doc='The participant\'s subject id (format 3; see changeflow.personal), "" for the cohort.',
    ),
    Column("event", String(64), nullable=False),
    Column("source", String(64), nullable=True),
    Column("target", String(64), nullable=True),
    Column("outcome", String(16), nullable=False),
    Column("actor", String(200), nullable=True),
    Column("reason", Text, nullable=True),
    Column("payload", Text, nullable=True),
    Column("violations", Text, nullable=True),
    Column("data", Text, nullable=True),
    Column("effective_date", Date, nullable=True),
    Column("hash", String(64), nullable=False),
    Column(
        "change",
        Text,
        nullable=True,
        doc='JSON: each fact the command changed, {"before": ..., "after": ...} (format 2).',
    ),
    Column(
        "format",
        Integer,
        nullable=False,
        server_default=text("1"),
        doc="The entry's hash format (changeflow.audit); rows written before 0002 are 1.",
    ),
    Column(
        "role",
        String(16),
        nullable=True,
        doc="The role the actor acted in (format 3; None before 0004 and for refusals).",
    ),
    Column(
        "legacy_hash",
        String(64),
        nullable=True,
        doc="The hash the row had before schema 0005 re-sealed it (a pre-upgrade checkpoint's).",
    ),
    UniqueConstraint("cohort_id", "seq"),
    Index("ix_audit_nip_id", "nip", "id"),
)
"""One audit entry, append-only (triggers refuse UPDATE and DELETE), hash-chained."""

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
    "role",
)
"""The audit table's columns written by changeflow, in the order
:func:`~changeflow.store.sql.mapping.audit_values` gives them (defined here, beside the
table, so the statements need not import the mapping and its domain models)."""

SUBJECTS = Table(
    "subjects",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("nip", String(18), nullable=False, unique=True),
    Column("key", String(64), nullable=False),
)
"""A person as the chain knows them: pseudonymous id, NIP and key (deleted on erasure)."""

PERSONAL = Table(
    "personal_data",
    metadata,
    Column("cohort_id", ForeignKey("cohorts.id"), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("subject_id", String(32), nullable=False),
    Column("data", Text, nullable=False),
    Index("ix_personal_data_subject_id", "subject_id"),
)
"""The personal values of one sealed audit entry, by dotted path (JSON; see personal)."""

KEYS = Table(
    "idempotency",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("cohort_id", ForeignKey("cohorts.id"), nullable=False),
    Column(
        "seqs",
        Text,
        nullable=False,
        doc="JSON list of the audit sequence numbers the command wrote; a bare number for one.",
    ),
    Column("at", UTCDateTime, nullable=False),
)
"""A command's idempotency key, its fingerprint and the audit entries it produced."""

SCHEDULES = Table(
    "schedules",
    metadata,
    Column("cohort_id", ForeignKey("cohorts.id"), primary_key=True),
    Column("document", JSON, nullable=False),
)
"""A cohort's schedule (stage windows, visit, closures) as the validated model's JSON."""

STAFF = Table(
    "staff",
    metadata,
    Column("cohort_id", ForeignKey("cohorts.id"), primary_key=True),
    Column("actor", String(200), primary_key=True),
    Column("name", String(200), nullable=False),
    Column(
        "roles",
        String(64),
        nullable=False,
        doc="The roles, sorted and comma-separated (coach,organiser).",
    ),
)
"""One member of a cohort's staff: the actor id, a name and the staff roles held."""

ATTENDANCE = Table(
    "attendance",
    metadata,
    Column("cohort_id", ForeignKey("cohorts.id"), primary_key=True),
    Column("nip", String(18), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("status", String(16), nullable=False),
)
"""One participant's attendance on one on-class day (present, izin, sakit, absent)."""
