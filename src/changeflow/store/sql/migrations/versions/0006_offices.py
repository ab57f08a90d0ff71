"""The office registry: names and aliases offices are known by, and store-wide settings.

Schema: an ``office_names`` table (each office's name and aliases under their folded key,
with who added them and when) and a ``settings`` table (``offices``: ``closed`` or
``open``). Every office stored before is registered under its name (offices by code; a
name folding like an earlier office's is left out, as the registry refuses it), with no
author or time. Nothing in the audit trail changes, so every chain verifies as before.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _fold(label: str) -> str:
    # Frozen here: changeflow.offices.fold as this revision wrote the keys.
    return "".join(c for c in unicodedata.normalize("NFKC", label).casefold() if c.isalnum())


def upgrade() -> None:
    """Add the office_names and settings tables; register every stored office's name."""
    names = op.create_table(
        "office_names",
        sa.Column("key", sa.String(400), nullable=False),
        sa.Column(
            "office_code",
            sa.String(64),
            sa.ForeignKey("offices.code", name="fk_office_names_office_code_offices"),
            nullable=False,
        ),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("added_by", sa.String(200), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name="pk_office_names"),
    )
    op.create_index("ix_office_names_office_code", "office_names", ["office_code"])
    op.create_table(
        "settings",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("value", sa.String(200), nullable=False),
        sa.Column("changed_by", sa.String(200), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_settings"),
    )
    offices = op.get_bind().execute(sa.text("SELECT code, name FROM offices ORDER BY code"))
    rows: dict[str, dict[str, object]] = {}
    for code, name in offices:
        key = _fold(name)
        if key and key not in rows:
            rows[key] = {"key": key, "office_code": code, "label": name, "kind": "name"}
    if rows:
        op.bulk_insert(names, list(rows.values()))


def downgrade() -> None:
    """Drop the registry's names and the settings (the offices themselves stay)."""
    op.drop_table("settings")
    op.drop_index("ix_office_names_office_code", "office_names")
    op.drop_table("office_names")
