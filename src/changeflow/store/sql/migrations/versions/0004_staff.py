"""Who may do what: each cohort's staff, and the role an audit entry's actor acted in.

Schema: a ``staff`` table (actor id, name and staff roles per cohort) and a nullable
``audit.role`` column. Both start empty: cohorts created before run a lifecycle that says
nothing of roles (version 3 and earlier), their entries keep their formats (1 and 2, which
do not hash a role), and every chain verifies as before.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the staff table and the audit entries' role column."""
    op.create_table(
        "staff",
        sa.Column("cohort_id", sa.Integer, sa.ForeignKey("cohorts.id"), primary_key=True),
        sa.Column("actor", sa.String(200), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("roles", sa.String(64), nullable=False),
    )
    # Adding a nullable column rewrites no row, so the append-only triggers do not fire.
    op.add_column("audit", sa.Column("role", sa.String(16), nullable=True))


def downgrade() -> None:
    """Drop the staff table and the role column (roles are in the format-3 entries)."""
    op.drop_column("audit", "role")
    op.drop_table("staff")
