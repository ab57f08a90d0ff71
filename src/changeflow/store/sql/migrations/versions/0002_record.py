"""The record: every cohort pinned to its lifecycle, entries in format 2, facts carried over.

Schema: a ``lifecycles`` table (definition documents by SHA-256), ``cohorts.lifecycle_sha256``,
``audit.change`` and ``audit.format`` (existing rows are format 1).

Data: under schema 0001 only moves and enrolments were audited; projects, scores, groups,
offices and the participants' own facts were stored without an entry. So that ``verify`` can
compare every stored fact with the chain, each cohort's chain gets, after its last entry,
``carry_over`` entries recording what this upgrade found: one for the cohort (its document
and the lifecycle it is pinned to) and one per participant (every stored fact). A cohort is
pinned to the default lifecycle (the one schema 0001's command line ran) when its states and
events are all the default's; otherwise (a lifecycle of the caller's own, which 0001 did not
store) it is pinned to none until it is migrated to its definition.

Everything runs in the opener's one transaction: an upgrade interrupted half-way leaves the
database at 0001.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""

from __future__ import annotations

from datetime import UTC, datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from alembic import op

from changeflow.audit import chain_hash, lifecycle_facts, record_facts
from changeflow.models import Office
from changeflow.records import COHORT_NIP, HistoryEntry
from changeflow.states.names import CARRY_OVER, ENROL
from changeflow.store.sql import statements as sql
from changeflow.store.sql.mapping import audit_values, cohort_from_document
from changeflow.store.sql.migrations import CHANGE_PROJECT_2, frozen_lifecycle
from changeflow.store.sql.unit import load_enrolments

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from changeflow.records import Enrolment
    from changeflow.states.definition import LifecycleDefinition

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ACTOR = "changeflow upgrade 0002"
REASON = "stored before schema 0002 without an audit entry; recorded as found"

# 0001 databases ran the default lifecycle of their day, which version 2 extends (reopen, the
# grounds of a fail). A migration must not follow the code's default as it evolves: it pins
# a frozen copy of version 2, checked by its SHA-256.
DEFAULT_LIFECYCLE = frozen_lifecycle("change_project", "2", CHANGE_PROJECT_2)


class _Offices:
    """Office objects for :func:`load_enrolments`, one per code and name."""

    def office_of(self, code: str, name: str) -> Office:
        return Office.model_construct(code=code, name=name)


def _schema() -> None:
    op.create_table(
        "lifecycles",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("document", sa.JSON, nullable=False),
    )
    op.add_column("cohorts", sa.Column("lifecycle_sha256", sa.String(64)))
    op.add_column("audit", sa.Column("change", sa.Text))
    op.add_column(
        "audit", sa.Column("format", sa.Integer, nullable=False, server_default=sa.text("1"))
    )


def _pinned(connection: Connection, cohort_id: int, members: list[Enrolment]) -> bool:
    """Whether a cohort's states and events are all the default lifecycle's."""
    states = {m.state for m in members}
    events = {
        event
        for (event,) in connection.execute(
            sa.select(sql.AUDIT.c.event).where(sql.AUDIT.c.cohort_id == cohort_id).distinct()
        )
    }
    return states <= set(DEFAULT_LIFECYCLE.state_names) and events <= {
        ENROL,
        *DEFAULT_LIFECYCLE.events,
    }


def _carry_over(connection: Connection, row: Any, now: datetime) -> None:
    members = [e for _, e in load_enrolments(_Offices(), connection, row.id, row.code)]
    definition: LifecycleDefinition | None = (
        DEFAULT_LIFECYCLE if _pinned(connection, row.id, members) else None
    )
    cohort = cohort_from_document(row.document)
    entries = [
        HistoryEntry(
            row.chain_seq + 1,
            now,
            row.code,
            COHORT_NIP,
            CARRY_OVER,
            None,
            None,
            "accepted",
            ACTOR,
            REASON,
            change=MappingProxyType(
                {
                    "cohort": {"before": None, "after": cohort.model_dump(mode="json")},
                    "lifecycle": {"before": None, "after": lifecycle_facts(definition)},
                }
            ),
            format=2,  # this revision's format, whatever the code's default has become
        )
    ]
    entries += [
        HistoryEntry(
            row.chain_seq + 2 + i,
            now,
            row.code,
            member.nip,
            CARRY_OVER,
            member.state,
            member.state,
            "accepted",
            ACTOR,
            REASON,
            change=MappingProxyType({"record": {"before": None, "after": record_facts(member)}}),
            format=2,
        )
        for i, member in enumerate(members)
    ]
    sqlite = connection.dialect.name == "sqlite"
    previous, rows = row.chain_hash, []
    for entry in entries:
        previous = chain_hash(previous, entry)
        rows.append(audit_values(row.id, entry, previous, sqlite=sqlite))
    statements = sql.DriverSql("?" if sqlite else "%s")
    connection.exec_driver_sql(statements.audit, rows)
    connection.execute(
        sa.update(sql.COHORTS)
        .where(sql.COHORTS.c.id == row.id)
        .values(
            chain_seq=entries[-1].seq,
            chain_hash=previous,
            lifecycle_sha256=None if definition is None else definition.sha256,
        )
    )


def upgrade() -> None:
    """Add the record's tables and columns, then carry every cohort's stored facts over."""
    _schema()
    connection = op.get_bind()
    connection.execute(
        sa.insert(sql.LIFECYCLES).values(
            sha256=DEFAULT_LIFECYCLE.sha256,
            name=DEFAULT_LIFECYCLE.name,
            version=DEFAULT_LIFECYCLE.version,
            document=DEFAULT_LIFECYCLE.document(),
        )
    )
    now = datetime.now(UTC)
    cohorts = connection.execute(
        sa.select(
            sql.COHORTS.c.id,
            sql.COHORTS.c.code,
            sql.COHORTS.c.document,
            sql.COHORTS.c.chain_seq,
            sql.COHORTS.c.chain_hash,
        ).order_by(sql.COHORTS.c.id)
    ).all()
    for row in cohorts:
        _carry_over(connection, row, now)


def downgrade() -> None:
    """Not supported: the chain's new entries cannot be taken back (it is append-only)."""
    raise NotImplementedError("schema 0002 cannot be downgraded: the audit trail is append-only")
