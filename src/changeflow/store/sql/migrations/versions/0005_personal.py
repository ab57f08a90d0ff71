"""Personal data out of the hash chain: subjects, sealed entries, personal values aside.

Schema: a ``subjects`` table (pseudonymous id, NIP, secret key per person), a
``personal_data`` table (each sealed entry's personal values) and ``audit.legacy_hash``.

Data: every cohort's chain is first verified under the formats it was written in; a broken
chain refuses the upgrade (:class:`~changeflow.errors.UpgradeRefused`, naming the cohort),
nothing changed. Then every entry is re-sealed into format 3 (:mod:`changeflow.personal`):
its NIP becomes the person's subject id, each personal value a commitment, the values move
to ``personal_data``, and the chain is hashed anew. Each row keeps the hash it had in
``legacy_hash``, so a checkpoint taken before the upgrade still matches
(``verify --against``). The append-only triggers are lifted for the rewrite and put back.

Everything runs in the opener's one transaction: an upgrade interrupted half-way leaves the
database at 0004.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from alembic import op

from changeflow.audit import GENESIS, Checkpoint, chain_hash, verify_chain
from changeflow.errors import UpgradeRefused
from changeflow.personal import Subject, seal
from changeflow.records import COHORT_NIP
from changeflow.store.sql import statements as sql
from changeflow.store.sql.mapping import entry_from_row, personal_json

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from changeflow.records import HistoryEntry

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

SEALED_FORMAT = 3
"""The format entries are re-sealed into (frozen here: the code's default may move on)."""

# The triggers of 0001, frozen here: lifted for the rewrite, then put back as they were.
# IF EXISTS: a trigger an administrator dropped is put back all the same.
_SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS audit_append_only_update",
    "DROP TRIGGER IF EXISTS audit_append_only_delete",
]
_SQLITE_TRIGGERS = [
    "CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit "
    "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END",
    "CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit "
    "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END",
]
_POSTGRES_DROP = ["DROP TRIGGER IF EXISTS audit_append_only ON audit"]
_POSTGRES_TRIGGERS = [
    "CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit "
    "FOR EACH ROW EXECUTE FUNCTION changeflow_audit_append_only()",
]

# The audit columns as revision 0004 left them (not the code's table, which later revisions
# may extend with columns this one cannot read yet).
_OLD_COLUMNS = [
    sql.AUDIT.c[name]
    for name in (
        "id", "cohort_id", "seq", "at", "nip", "event", "source", "target", "outcome", "actor",
        "reason", "payload", "violations", "data", "effective_date", "hash", "change", "format",
        "role",
    )
]  # fmt: skip

_RESEAL = (
    sa.update(sql.AUDIT)
    .where(sql.AUDIT.c.id == sa.bindparam("b_id"))
    .values(
        nip=sa.bindparam("b_nip"),
        reason=sa.bindparam("b_reason"),
        payload=sa.bindparam("b_payload"),
        violations=sa.bindparam("b_violations"),
        data=sa.bindparam("b_data"),
        change=sa.bindparam("b_change"),
        format=sa.bindparam("b_format"),
        hash=sa.bindparam("b_hash"),
        legacy_hash=sa.bindparam("b_legacy"),
    )
)


def _schema() -> None:
    op.create_table(
        "subjects",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("nip", sa.String(18), nullable=False, unique=True),
        sa.Column("key", sa.String(64), nullable=False),
    )
    op.create_table(
        "personal_data",
        sa.Column("cohort_id", sa.Integer, sa.ForeignKey("cohorts.id"), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("subject_id", sa.String(32), nullable=False),
        sa.Column("data", sa.Text, nullable=False),
    )
    op.create_index("ix_personal_data_subject_id", "personal_data", ["subject_id"])
    op.add_column("audit", sa.Column("legacy_hash", sa.String(64)))
    if op.get_bind().dialect.name == "postgresql":  # SQLite does not enforce the length
        # The column holds a subject id (32 hex digits) where it held a NIP (18 digits).
        op.alter_column("audit", "nip", type_=sa.String(32), existing_type=sa.String(18))


def _trail(connection: Connection, row: Any) -> list[tuple[HistoryEntry, str, int]]:
    """The cohort's rows as written, verified under their own formats first."""
    rows = connection.execute(
        sa.select(*_OLD_COLUMNS)
        .where(sql.AUDIT.c.cohort_id == row.id)
        .order_by(sql.AUDIT.c.seq, sql.AUDIT.c.id)
    ).all()
    trail = [(entry_from_row(r, row.code), r.hash, r.id) for r in rows]
    check = verify_chain(
        row.code,
        iter([(entry, digest) for entry, digest, _ in trail]),
        Checkpoint(row.code, row.chain_seq, row.chain_hash),
    )
    if not check.ok:
        raise UpgradeRefused(revision, row.code, str(check.problem))
    return trail


class _Subjects:
    """Each person's subject, created on first sight and inserted in the transaction."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.known: dict[str, Subject] = {}

    def of(self, nip: str) -> Subject:
        found = self.known.get(nip)
        if found is None:
            found = self.known[nip] = Subject.new(nip)
            self.connection.execute(
                sa.insert(sql.SUBJECTS).values(id=found.id, nip=nip, key=found.key)
            )
        return found


def _reseal(connection: Connection, row: Any, subjects: _Subjects) -> None:
    previous, updates, personal = GENESIS, [], []
    for entry, legacy, row_id in _trail(connection, row):
        sealed = entry._replace(format=SEALED_FORMAT)
        if entry.nip != COHORT_NIP:
            sealed, values = seal(sealed, subjects.of(entry.nip))
            if values:
                personal.append(
                    {
                        "cohort_id": row.id,
                        "seq": entry.seq,
                        "subject_id": sealed.nip,
                        "data": personal_json(values),
                    }
                )
        previous = chain_hash(previous, sealed)
        updates.append(_values(row_id, sealed, previous, legacy))
    if updates:
        connection.execute(_RESEAL, updates)
    if personal:
        connection.execute(sa.insert(sql.PERSONAL), personal)
    connection.execute(
        sa.update(sql.COHORTS).where(sql.COHORTS.c.id == row.id).values(chain_hash=previous)
    )


def _values(row_id: int, sealed: HistoryEntry, digest: str, legacy: str) -> dict[str, Any]:
    stored = sealed.to_dict()

    def text(value: Any) -> str | None:
        return None if value is None else personal_json(value)

    return {
        "b_id": row_id,
        "b_nip": sealed.nip,
        "b_reason": sealed.reason,
        "b_payload": text(stored["payload"]),
        "b_violations": _violations_text(stored["violations"]),
        "b_data": text(stored["data"]),
        "b_change": text(stored["change"]),
        "b_format": sealed.format,
        "b_hash": digest,
        "b_legacy": legacy,
    }


def _violations_text(violations: list[Any]) -> str | None:
    """The ``violations`` column of a row (``NULL`` when there is none, as new rows have)."""
    if not violations:
        return None
    return json.dumps(violations, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def upgrade() -> None:
    """Add the personal-data tables, then verify and re-seal every cohort's chain."""
    _schema()
    connection = op.get_bind()
    postgres = connection.dialect.name == "postgresql"
    for statement in _POSTGRES_DROP if postgres else _SQLITE_DROP:
        op.execute(statement)
    subjects = _Subjects(connection)
    cohorts = connection.execute(
        sa.select(
            sql.COHORTS.c.id, sql.COHORTS.c.code, sql.COHORTS.c.chain_seq, sql.COHORTS.c.chain_hash
        ).order_by(sql.COHORTS.c.id)
    ).all()
    for row in cohorts:
        _reseal(connection, row, subjects)
    for statement in _POSTGRES_TRIGGERS if postgres else _SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    """Not supported: the chain was re-sealed (the values it covered before are aside)."""
    raise NotImplementedError("schema 0005 cannot be downgraded: the chain was re-sealed")
