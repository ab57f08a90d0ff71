"""The course calendar: each cohort's schedule and the participants' attendance.

Schema: a ``schedules`` table (one schedule document per cohort) and an ``attendance`` table
(one row per participant and on-class day). Both start empty: a cohort without a stored
schedule has the default one derived from its dates until an organiser sets it, so no
entry has to be carried over and every chain verifies as before.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the schedules and attendance tables."""
    op.create_table(
        "schedules",
        sa.Column("cohort_id", sa.Integer, sa.ForeignKey("cohorts.id"), primary_key=True),
        sa.Column("document", sa.JSON, nullable=False),
    )
    op.create_table(
        "attendance",
        sa.Column("cohort_id", sa.Integer, sa.ForeignKey("cohorts.id"), primary_key=True),
        sa.Column("nip", sa.String(18), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
    )


def downgrade() -> None:
    """Drop the calendar's tables (their facts are in the audit chain)."""
    op.drop_table("attendance")
    op.drop_table("schedules")
