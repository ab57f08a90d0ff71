"""The initial schema: offices, cohorts, enrolments, projects, assessments, audit, keys.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_AT = sa.DateTime(timezone=True)

_SQLITE_TRIGGERS = [
    "CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit "
    "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END",
    "CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit "
    "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END",
]

_POSTGRES_TRIGGERS = [
    """CREATE FUNCTION changeflow_audit_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'the audit trail is append-only' USING ERRCODE = 'insufficient_privilege';
    END $$ LANGUAGE plpgsql""",
    "CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit "
    "FOR EACH ROW EXECUTE FUNCTION changeflow_audit_append_only()",
    "CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit "
    "FOR EACH STATEMENT EXECUTE FUNCTION changeflow_audit_append_only()",
]


def _core_tables() -> None:
    op.create_table(
        "offices",
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
    )
    op.create_table(
        "cohorts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("code", sa.String(64), nullable=False, unique=True),
        sa.Column("document", sa.JSON, nullable=False),
        sa.Column("seated", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("chain_seq", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("chain_hash", sa.String(64), nullable=False),
        sa.Column("created_at", _AT, nullable=False),
    )
    op.create_table(
        "cohort_offices",
        sa.Column("cohort_id", sa.Integer, sa.ForeignKey("cohorts.id"), primary_key=True),
        sa.Column("office_code", sa.String(64), sa.ForeignKey("offices.code"), primary_key=True),
        sa.Column("seated", sa.Integer, nullable=False, server_default=sa.text("0")),
    )


def _participant_tables() -> None:
    op.create_table(
        "enrolments",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("cohort_id", sa.Integer, sa.ForeignKey("cohorts.id"), nullable=False),
        sa.Column("nip", sa.String(18), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("office_code", sa.String(64), sa.ForeignKey("offices.code"), nullable=False),
        sa.Column("echelon", sa.String(32), nullable=False),
        sa.Column("birth_date", sa.Date, nullable=False),
        sa.Column("retirement_age", sa.Integer),
        sa.Column("state", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("revisions", sa.Integer, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("seated", sa.Boolean, nullable=False),
        sa.Column("completed", sa.Boolean, nullable=False),
        sa.Column("group_no", sa.Integer),
        sa.UniqueConstraint("cohort_id", "nip", name="uq_enrolments_cohort_id_nip"),
    )
    op.create_index("ix_enrolments_cohort_state", "enrolments", ["cohort_id", "state"])
    op.create_index("ix_enrolments_nip", "enrolments", ["nip"])
    op.create_index(
        "uq_enrolments_active_nip",
        "enrolments",
        ["nip"],
        unique=True,
        sqlite_where=sa.text("active"),
        postgresql_where=sa.text("active"),
    )
    op.create_table(
        "change_projects",
        sa.Column("enrolment_id", sa.Integer, sa.ForeignKey("enrolments.id"), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("theme", sa.String(200), nullable=False),
        sa.Column("mentor_name", sa.String(200)),
        sa.Column("mentor_nip", sa.String(18)),
        sa.Column("mentor_position", sa.String(200)),
    )
    op.create_table(
        "assessments",
        sa.Column("enrolment_id", sa.Integer, sa.ForeignKey("enrolments.id"), primary_key=True),
        sa.Column("component", sa.String(64), primary_key=True),
        sa.Column("score", sa.Float, nullable=False),
    )


def _audit_tables() -> None:
    op.create_table(
        "audit",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer, "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("cohort_id", sa.Integer, sa.ForeignKey("cohorts.id"), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("at", _AT, nullable=False),
        sa.Column("nip", sa.String(18), nullable=False),
        sa.Column("event", sa.String(64), nullable=False),
        sa.Column("source", sa.String(64)),
        sa.Column("target", sa.String(64)),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(200)),
        sa.Column("reason", sa.Text),
        sa.Column("payload", sa.Text),
        sa.Column("violations", sa.Text),
        sa.Column("data", sa.Text),
        sa.Column("effective_date", sa.Date),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("cohort_id", "seq", name="uq_audit_cohort_id_seq"),
    )
    op.create_index("ix_audit_nip_id", "audit", ["nip", "id"])
    op.create_table(
        "idempotency",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("cohort_id", sa.Integer, sa.ForeignKey("cohorts.id"), nullable=False),
        sa.Column("seqs", sa.Text, nullable=False),
        sa.Column("at", _AT, nullable=False),
    )


def upgrade() -> None:
    """Create every table, index and the audit trail's append-only triggers."""
    _core_tables()
    _participant_tables()
    _audit_tables()
    dialect = op.get_bind().dialect.name
    for statement in _POSTGRES_TRIGGERS if dialect == "postgresql" else _SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    """Drop everything (the audit trail with it: only for throwaway databases)."""
    for table in (
        "idempotency",
        "audit",
        "assessments",
        "change_projects",
        "enrolments",
        "cohort_offices",
        "cohorts",
        "offices",
    ):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS changeflow_audit_append_only() CASCADE")
