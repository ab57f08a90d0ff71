"""Staff passwords for the web board's sign-in: a ``credentials`` table.

Schema: a ``credentials`` table, one row per login (the id a person acts under: a staff
member's id, or a mentor's NIP) holding its password's Argon2id hash and who set it when.
It starts empty; nothing else changes, so every chain verifies as before.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the (empty) credentials table."""
    op.create_table(
        "credentials",
        sa.Column("login", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.String(400), nullable=False),
        sa.Column("changed_by", sa.String(200), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("login", name="pk_credentials"),
    )


def downgrade() -> None:
    """Drop the credentials (every password set is lost)."""
    op.drop_table("credentials")
