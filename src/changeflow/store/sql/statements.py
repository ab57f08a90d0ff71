"""The SQL statements the store runs, built once at import (SQLAlchemy caches their compilation).

Bulk statements bypass SQLAlchemy for the driver's ``executemany``: :class:`DriverSql`
holds them in the driver's own parameter style.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, delete, insert, select, update

from changeflow.states.names import MIGRATE
from changeflow.store.sql.tables import (
    ATTENDANCE,
    AUDIT,
    AUDIT_COLUMNS,
    COHORTS,
    CREDENTIALS,
    ENROLMENTS,
    KEYS,
    LIFECYCLES,
    OFFICE_NAMES,
    OFFICES,
    PERSONAL,
    PROJECTS,
    SCHEDULES,
    SCORES,
    SEATS,
    SETTINGS,
    STAFF,
    SUBJECTS,
)

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.dialects.postgresql import Insert as PostgresInsert
    from sqlalchemy.dialects.sqlite import Insert as SqliteInsert

__all__ = [
    "ATTENDANCE",
    "AUDIT",
    "COHORTS",
    "CREDENTIALS",
    "ENROLMENTS",
    "KEYS",
    "LIFECYCLES",
    "OFFICES",
    "OFFICE_NAMED",
    "OFFICE_NAMES",
    "OPENED",
    "PERSONAL",
    "PROJECTS",
    "SCHEDULES",
    "SCORES",
    "SEATS",
    "SETTINGS",
    "STAFF",
    "SUBJECTS",
    "SUBJECT_OF",
    "DriverSql",
    "dialect_insert",
]

SUBJECT_OF = select(SUBJECTS).where(SUBJECTS.c.nip == bindparam("nip"))
ADD_SUBJECT = insert(SUBJECTS)
OPENED = select(
    AUDIT,
    PERSONAL.c.data.label("personal"),
    SUBJECTS.c.nip.label("subject_nip"),
    SUBJECTS.c.key.label("subject_key"),
).select_from(
    AUDIT.outerjoin(
        PERSONAL, (PERSONAL.c.cohort_id == AUDIT.c.cohort_id) & (PERSONAL.c.seq == AUDIT.c.seq)
    ).outerjoin(SUBJECTS, SUBJECTS.c.id == AUDIT.c.nip)
)
"""Audit rows with what opens them: their personal values and their subject's NIP and key."""

LOCK_COHORT = (
    select(
        COHORTS.c.id,
        COHORTS.c.code,
        COHORTS.c.seated,
        COHORTS.c.chain_seq,
        COHORTS.c.chain_hash,
        COHORTS.c.lifecycle_sha256,
    )
    .where(COHORTS.c.code == bindparam("code"))
    .with_for_update()
)
"""A write unit's cohort row, locked: its counters and chain head, not its document (cached)."""
COHORT_ROW = select(COHORTS).where(COHORTS.c.code == bindparam("code"))
HEAD = (
    update(COHORTS)
    .where(COHORTS.c.id == bindparam("b_cohort"))
    .where(COHORTS.c.chain_seq == bindparam("old_seq"))
    .values(
        seated=bindparam("new_seated"),
        chain_seq=bindparam("new_seq"),
        chain_hash=bindparam("new_hash"),
    )
)
PIN = (
    update(COHORTS)
    .where(COHORTS.c.id == bindparam("b_cohort"))
    .values(lifecycle_sha256=bindparam("b_sha"))
)
LIFECYCLE = select(LIFECYCLES).where(LIFECYCLES.c.sha256 == bindparam("sha"))
SCHEDULE = select(SCHEDULES.c.document).where(SCHEDULES.c.cohort_id == bindparam("cohort_id"))
DROP_SCHEDULE = delete(SCHEDULES).where(SCHEDULES.c.cohort_id == bindparam("cohort_id"))
ADD_SCHEDULE = insert(SCHEDULES)
ATTENDANCE_OF = select(ATTENDANCE.c.day, ATTENDANCE.c.status).where(
    ATTENDANCE.c.cohort_id == bindparam("cohort_id"), ATTENDANCE.c.nip == bindparam("nip")
)
ALL_ATTENDANCE = select(ATTENDANCE.c.nip, ATTENDANCE.c.day, ATTENDANCE.c.status).where(
    ATTENDANCE.c.cohort_id == bindparam("cohort_id")
)
DROP_ATTENDANCE = delete(ATTENDANCE).where(
    ATTENDANCE.c.cohort_id == bindparam("cohort_id"),
    ATTENDANCE.c.nip == bindparam("nip"),
    ATTENDANCE.c.day == bindparam("day"),
)
ADD_ATTENDANCE = insert(ATTENDANCE)
ALL_STAFF = (
    select(STAFF.c.actor, STAFF.c.name, STAFF.c.roles)
    .where(STAFF.c.cohort_id == bindparam("cohort_id"))
    .order_by(STAFF.c.actor)
)
DROP_STAFF = delete(STAFF).where(
    STAFF.c.cohort_id == bindparam("cohort_id"), STAFF.c.actor == bindparam("actor")
)
ADD_STAFF = insert(STAFF)
OFFICE = select(OFFICES).where(OFFICES.c.code == bindparam("code"))
OFFICE_NAMED = (
    select(OFFICES)
    .join(OFFICE_NAMES, OFFICE_NAMES.c.office_code == OFFICES.c.code)
    .where(OFFICE_NAMES.c.key == bindparam("key"))
)
OFFICE_SEATS = (
    select(SEATS.c.seated)
    .join(COHORTS, COHORTS.c.id == SEATS.c.cohort_id)
    .where(COHORTS.c.code == bindparam("cohort"), SEATS.c.office_code == bindparam("office"))
)
COHORT_SEATS = select(SEATS.c.office_code, SEATS.c.seated).where(
    SEATS.c.cohort_id == bindparam("cohort_id")
)
STANDING = (
    select(COHORTS.c.code, ENROLMENTS.c.active, ENROLMENTS.c.completed)
    .join(COHORTS, COHORTS.c.id == ENROLMENTS.c.cohort_id)
    .where(ENROLMENTS.c.nip == bindparam("nip"))
    .where(ENROLMENTS.c.active | ENROLMENTS.c.completed)
)
SEATS_UPDATE = (
    update(SEATS)
    .where(SEATS.c.cohort_id == bindparam("b_cohort"))
    .where(SEATS.c.office_code == bindparam("b_office"))
    .values(seated=bindparam("b_seated"))
)
SEATS_INSERT = insert(SEATS).values(
    cohort_id=bindparam("b_cohort"), office_code=bindparam("b_office"), seated=bindparam("b_seated")
)
ENTERED_FROM = (
    select(AUDIT)
    .where(
        AUDIT.c.cohort_id == bindparam("cohort_id"),
        AUDIT.c.nip == bindparam("nip"),
        AUDIT.c.outcome == "accepted",
        (AUDIT.c.event == MIGRATE)
        | (
            (AUDIT.c.target == bindparam("state"))
            & AUDIT.c.source.is_not(None)
            & (AUDIT.c.source != AUDIT.c.target)
        ),
    )
    .order_by(AUDIT.c.seq.desc())
    .limit(1)
)
"""The entry :func:`changeflow.audit.state_left` decides from: the last move into the state,
or a later migration."""
PERSON = (
    update(ENROLMENTS)
    .where(ENROLMENTS.c.id == bindparam("b_id"))
    .values(
        name=bindparam("b_name"),
        echelon=bindparam("b_echelon"),
        birth_date=bindparam("b_birth_date"),
        retirement_age=bindparam("b_retirement_age"),
        office_code=bindparam("b_office"),
    )
)
GROUP = (
    update(ENROLMENTS)
    .where(ENROLMENTS.c.id == bindparam("b_id"))
    .values(group_no=bindparam("b_group"))
)
DROP_PROJECT = delete(PROJECTS).where(PROJECTS.c.enrolment_id == bindparam("b_id"))
DROP_SCORES = delete(SCORES).where(SCORES.c.enrolment_id == bindparam("b_id"))
MEMBER_ID = select(ENROLMENTS.c.id, ENROLMENTS.c.version).where(
    ENROLMENTS.c.cohort_id == bindparam("cohort_id"), ENROLMENTS.c.nip == bindparam("nip")
)


_MOVE_SQL = (
    "UPDATE enrolments SET state = ?, version = ?, revisions = ?, active = ?, seated = ?, "
    "completed = ? WHERE id = ? AND version = ?"
)
# A move that keeps the participant active (most steps) leaves ``active`` out: the partial
# unique index on active NIPs is then not rewritten, a third of a bulk step's UPDATE time.
_STEP_SQL = (
    "UPDATE enrolments SET state = ?, version = ?, revisions = ?, seated = ?, completed = ? "
    "WHERE id = ? AND version = ?"
)
_DROP_SCORES_SQL = "DELETE FROM assessments WHERE enrolment_id = ?"
_ADD_SCORE_SQL = "INSERT INTO assessments (enrolment_id, component, score) VALUES (?, ?, ?)"
_PERSONAL_SQL = "INSERT INTO personal_data (cohort_id, seq, subject_id, data) VALUES (?, ?, ?, ?)"
# Only fixed column names and placeholders are joined in: nothing from outside.
_AUDIT_SQL = "INSERT INTO audit ({}) VALUES ({})".format(  # noqa: S608
    ", ".join(AUDIT_COLUMNS), ", ".join("?" * len(AUDIT_COLUMNS))
)


_JOIN_COLUMNS = (
    "cohort_id",
    "nip",
    "name",
    "office_code",
    "echelon",
    "birth_date",
    "retirement_age",
    "state",
    "version",
    "revisions",
    "active",
    "seated",
    "completed",
    "group_no",
)
_JOIN_SQL = "INSERT INTO enrolments ({}) VALUES ({})".format(  # noqa: S608 - fixed names
    ", ".join(_JOIN_COLUMNS), ", ".join("?" * len(_JOIN_COLUMNS))
)
_SUBJECT_OF_SQL = "SELECT id, nip, key FROM subjects WHERE nip = ?"
_COHORT_SUBJECTS_SQL = (
    "SELECT s.id, s.nip, s.key FROM subjects s JOIN enrolments e ON e.nip = s.nip "
    "WHERE e.cohort_id = ?"
)
_STAFF_MEMBER_SQL = "SELECT actor, name, roles FROM staff WHERE cohort_id = ? AND actor = ?"
_RECALL_SQL = (
    "SELECT k.fingerprint, k.seqs, k.cohort_id, c.code FROM idempotency k "
    'JOIN cohorts c ON c.id = k.cohort_id WHERE k."key" = ?'
)
_REMEMBER_SQL = (
    "INSERT INTO idempotency (key, fingerprint, cohort_id, seqs, at) VALUES (?, ?, ?, ?, ?)"
)
_ADD_SUBJECT_SQL = "INSERT INTO subjects (id, nip, key) VALUES (?, ?, ?)"
_STANDING_ELSEWHERE_SQL = (
    "SELECT c.code, e.active, e.completed FROM enrolments e "
    "JOIN cohorts c ON c.id = e.cohort_id "
    "WHERE e.nip = ? AND e.cohort_id <> ? AND (e.active OR e.completed)"
)
_COHORT_NIPS_SQL = "SELECT nip FROM enrolments WHERE cohort_id = ?"
# The row of a member: the enrolment, its office's name, its project, one score (or none).
_MEMBER_COLUMNS = (
    "e.id, e.nip, e.name, e.office_code, o.name, e.echelon, e.birth_date, e.retirement_age",
    "e.state, e.version, e.revisions, e.active, e.seated, e.completed, e.group_no",
    "p.title, p.theme, p.mentor_name, p.mentor_nip, p.mentor_position, s.component, s.score",
)
_MEMBERS_SQL = (
    f"SELECT {', '.join(_MEMBER_COLUMNS)} "  # noqa: S608 - fixed names only
    "FROM enrolments e JOIN offices o ON o.code = e.office_code "
    "LEFT JOIN change_projects p ON p.enrolment_id = e.id "
    "LEFT JOIN assessments s ON s.enrolment_id = e.id WHERE e.cohort_id = ?"
)


def members_sql(
    mark: str, *, nip: bool = False, states: int | None = None, officeless: bool = False
) -> str:
    """A cohort's enrolments (a row per score: see :func:`.mapping.enrolment_from_fields`).

    Run on the driver's terms: a cohort of 100,000 comes back as 100,000 rows, and
    SQLAlchemy's per-row result processing cost more than the query itself. The query
    takes the cohort's row id, then the NIP (with ``nip``) or ``states`` state names.
    With ``officeless``, only the enrolments naming an office the store does not hold
    (the inner join drops them; their office name is ``NULL``).
    """
    statement = _MEMBERS_SQL
    if officeless:
        statement = statement.replace("JOIN offices o", "LEFT JOIN offices o", 1)
        statement += " AND o.code IS NULL"
    if nip:
        statement += " AND e.nip = ?"
    if states is not None:
        statement += f" AND e.state IN ({', '.join('?' * states)})" if states else " AND 1 = 0"
    return (statement + " ORDER BY e.id").replace("?", mark)


_MEMBER_ID_SQL = "SELECT id, version FROM enrolments WHERE cohort_id = ? AND nip = ?"


class DriverSql:
    """Hot statements in the driver's own parameter style (``?`` or ``%s``).

    Executed with ``exec_driver_sql``: for statements run once per participant of a bulk
    command, SQLAlchemy's per-statement compilation and parameter handling cost more than
    the database's own work.
    """

    def __init__(self, mark: str) -> None:
        self.move = _MOVE_SQL.replace("?", mark)
        self.step = _STEP_SQL.replace("?", mark)
        self.drop_scores = _DROP_SCORES_SQL.replace("?", mark)
        self.add_score = _ADD_SCORE_SQL.replace("?", mark)
        self.audit = _AUDIT_SQL.replace("?", mark)
        self.copy_audit = f"COPY audit ({', '.join(AUDIT_COLUMNS)}) FROM STDIN"
        self.personal = _PERSONAL_SQL.replace("?", mark)
        self.join = _JOIN_SQL.replace("?", mark)
        self.subject_of = _SUBJECT_OF_SQL.replace("?", mark)
        self.add_subject = _ADD_SUBJECT_SQL.replace("?", mark)
        self.cohort_subjects = _COHORT_SUBJECTS_SQL.replace("?", mark)
        self.staff_member = _STAFF_MEMBER_SQL.replace("?", mark)
        self.recall = _RECALL_SQL.replace("?", mark)
        self.remember = _REMEMBER_SQL.replace("?", mark)
        self.standing_elsewhere = _STANDING_ELSEWHERE_SQL.replace("?", mark)
        self.cohort_nips = _COHORT_NIPS_SQL.replace("?", mark)
        self.member_id = _MEMBER_ID_SQL.replace("?", mark)


def join_values(cohort_id: int, enrolment: Any, *, sqlite: bool) -> tuple[Any, ...]:
    """The parameters of :attr:`DriverSql.join` for a new enrolment.

    On SQLite the birth date goes as ISO text, as SQLAlchemy writes it.
    """
    person = enrolment.participant
    born = person.born
    return (
        cohort_id,
        person.nip,
        person.name,
        person.office.code,
        person.echelon,
        born.isoformat() if sqlite else born,
        person.retirement_age,
        enrolment.state,
        enrolment.version,
        enrolment.revisions,
        enrolment.active,
        enrolment.seated,
        enrolment.completed,
        enrolment.group,
    )


def step_values(row_id: int, before_version: int, after: Any) -> tuple[Any, ...]:
    """The parameters of :attr:`DriverSql.step`: a move that leaves ``active`` as it was."""
    return (
        after.state,
        after.version,
        after.revisions,
        after.seated,
        after.completed,
        row_id,
        before_version,
    )


def move_values(row_id: int, before_version: int, after: Any) -> tuple[Any, ...]:
    """The parameters of :attr:`DriverSql.move` for an enrolment ``after`` its move."""
    return (
        after.state,
        after.version,
        after.revisions,
        after.active,
        after.seated,
        after.completed,
        row_id,
        before_version,
    )


def dialect_insert(dialect: str, table: Table) -> PostgresInsert | SqliteInsert:
    """``INSERT INTO table`` in the dialect's own form (it has ``on_conflict_do_nothing``).

    The dialect's module is imported here, not at the top: SQLite commands then never load
    PostgreSQL's dialect, a noticeable part of a short command's start-up.
    """
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgres  # noqa: PLC0415

        return postgres(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite  # noqa: PLC0415

    return sqlite(table)
