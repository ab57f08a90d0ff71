"""One write transaction on one cohort: the SQL store's unit of work.

Moves and audit rows are buffered and sent with the driver's ``executemany`` before a read
that needs them and at commit, so a bulk step costs a few statements, not thousands. The
cohort's counters and chain head are written once, at commit, guarded by the head read
under the cohort's lock.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from itertools import groupby
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Literal, Protocol, overload

from sqlalchemy import delete, insert, select

from changeflow.audit import chain_hash, state_left
from changeflow.errors import ConcurrentTransition
from changeflow.facts import Standing
from changeflow.models import Office
from changeflow.offices import fold
from changeflow.personal import Subject, seal
from changeflow.records import COHORT_NIP
from changeflow.store.sql import statements as sql
from changeflow.store.sql.errors import translate, translated
from changeflow.store.sql.mapping import (
    audit_values,
    enrolment_from_fields,
    entry_from_row,
    opened_from_row,
    personal_json,
    project_params,
    seqs_json,
    sqlite_datetime,
    staff_from_values,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

    from sqlalchemy import Connection, Row

    from changeflow.models import Cohort
    from changeflow.records import Enrolment, HistoryEntry
    from changeflow.staff import StaffMember
    from changeflow.states.definition import LifecycleDefinition
    from changeflow.store.base import Remembered
    from changeflow.store.sql.store import SqlStore

__all__ = ["SqlUnit", "load_enrolments"]


_PREFETCH_AFTER = 8
"""Subjects a unit looks up one by one before it loads its whole cohort's at once."""


class _Offices(Protocol):
    def office_of(self, code: str, name: str) -> Office: ...


def load_enrolments(
    offices: _Offices,
    connection: Connection,
    cohort_id: int,
    cohort: str,
    *,
    nip: str | None = None,
    states: Iterable[str] | None = None,
    run: Callable[[str, tuple[Any, ...]], Iterable[Sequence[Any]]] | None = None,
    officeless: bool = False,
) -> list[tuple[int, Enrolment]]:
    """``(row id, enrolment)`` of a cohort (one NIP, or those in ``states``), projects included.

    One statement: the project and the scores come joined, a row per score. ``offices``
    turns a stored office code and name into the office object (the store shares one per
    code). ``run`` executes the statement (by default through ``connection``): a unit
    runs it on the driver's own cursor, whose result costs nothing to set up. With
    ``officeless``, only the enrolments naming an office the store does not hold.
    """
    params: tuple[Any, ...] = (cohort_id,)
    chosen = None if states is None else list(states)
    if nip is not None:
        params += (nip,)
    if chosen is not None:
        params += tuple(chosen)
    mark = "?" if connection.dialect.name == "sqlite" else "%s"
    statement = sql.members_sql(
        mark,
        nip=nip is not None,
        states=None if chosen is None else len(chosen),
        officeless=officeless,
    )
    found: dict[int, Enrolment] = {}
    rows = connection.exec_driver_sql(statement, params) if run is None else run(statement, params)
    for row in rows:
        enrolment = found.get(row[0])
        if enrolment is None:
            office = offices.office_of(row[3], row[4])
            enrolment = found[row[0]] = enrolment_from_fields(row, cohort, office)
        if row[20] is not None:
            enrolment.scores = {**(enrolment.scores or {}), row[20]: row[21]}
    return list(found.items())


_COPY_FROM = 100
"""Audit rows a PostgreSQL unit writes by COPY rather than ``executemany`` (a bulk step)."""


class SqlUnit:
    """One write transaction on one cohort; see :class:`changeflow.store.base.Unit`."""

    def __init__(self, store: SqlStore, connection: Connection, row: Row[*tuple[Any, ...]]) -> None:
        self._store = store
        self._connection = connection
        self._cohort_id: int = row.id
        self.cohort: Cohort = store.cohort_ref(connection, row.code)[1]
        self.lifecycle: LifecycleDefinition | None = store.definition(
            connection, row.lifecycle_sha256
        )
        self._seated: int = row.seated
        self._seq: int = row.chain_seq
        self._head_seq: int = row.chain_seq
        self._hash: str = row.chain_hash
        self._office_seats: dict[str, int] = {}
        self._dirty_offices: set[str] = set()
        self._members: dict[str, Enrolment] = {}
        self._ids: dict[str, int] = {}
        # Queued moves in order: (whether ``active`` changes, the UPDATE's parameters).
        self._moves: list[tuple[bool, tuple[Any, ...]]] = []
        self._audit: list[tuple[Any, ...]] = []
        self._personal: list[tuple[Any, ...]] = []
        self._subjects: dict[str, Subject] = {}
        self._misses = 0
        self._new_subjects: list[tuple[Any, ...]] = []
        self._nips: set[str] | None = None
        self._member_misses = 0
        self._staff: dict[str, StaffMember | None] = {}
        self._cursor: Any = None
        self.committed = False

    def _execute(self, statement: Any, params: Any = None) -> Any:
        with translated():
            return self._connection.execute(statement, params)

    def _flush(self) -> None:
        # Straight to the driver's executemany: SQLAlchemy's per-row parameter handling
        # was the larger part of a bulk step's cost. Subjects and enrolments go first: the
        # rows after them may refer to them.
        self._flush_subjects()
        if self._moves:
            moves, self._moves = self._moves, []
            changed = 0
            # In order, a run of each form at a time: a participant moved twice in one unit
            # must be updated from its first version, then from its second.
            for full, run in groupby(moves, key=itemgetter(0)):
                rows = [params for _, params in run]
                statement = self._store.sql.move if full else self._store.sql.step
                changed += self._driver_many(statement, rows).rowcount
            if changed != len(moves):
                raise ConcurrentTransition(
                    f"{len(moves) - changed} participant(s) of {self.cohort.code} "
                    "were changed by another writer",
                    cohort=self.cohort.code,
                )
        if self._audit:
            rows, self._audit = self._audit, []
            if self._store.dialect == "postgresql" and len(rows) >= _COPY_FROM:
                self._copy(self._store.sql.copy_audit, rows)
            else:
                self._driver_many(self._store.sql.audit, rows)
        if self._personal:
            rows, self._personal = self._personal, []
            self._driver_many(self._store.sql.personal, rows)

    def _flush_subjects(self) -> None:
        if self._new_subjects:
            rows, self._new_subjects = self._new_subjects, []
            self._driver_many(self._store.sql.add_subject, rows)

    def _copy(self, statement: str, rows: list[tuple[Any, ...]]) -> None:
        """PostgreSQL: ``rows`` by ``COPY ... FROM STDIN``, in this transaction.

        A bulk step's audit rows: psycopg sends an ``executemany`` row by row (pipelined),
        which made the INSERT half of a 100,000-participant step; COPY streams them. The
        driver's connection is used directly, so a connection the server dropped is
        invalidated here, as SQLAlchemy would have done.
        """
        raw: Any = self._connection.connection.driver_connection
        try:
            with raw.cursor() as cursor, cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
        except self._store.engine.dialect.dbapi.Error as error:  # type: ignore[union-attr]
            if raw.broken or raw.closed:
                self._connection.invalidate(error)
            raise translate(error) from error

    def _driver_many(self, statement: str, rows: list[tuple[Any, ...]]) -> Any:
        with translated():
            return self._connection.exec_driver_sql(statement, rows)

    def _driver(
        self, statement: str, params: tuple[Any, ...], *, rows: bool = True
    ) -> list[tuple[Any, ...]]:
        """The rows of one hot statement (none when not ``rows``), run on the driver's cursor.

        SQLAlchemy's result set-up cost more than sqlite3's whole query for these
        look-ups and writes made once per row of a roster or a scores file.
        """
        if self._store.dialect != "sqlite":
            # Through SQLAlchemy: a connection the server dropped must be invalidated, not
            # returned to the pool as if healthy (the driver's own cursor would not tell it).
            with translated():
                result = self._connection.exec_driver_sql(statement, params)
                return list(result.fetchall()) if rows else []
        cursor = self._cursor
        try:
            if cursor is None:
                cursor = self._cursor = self._connection.connection.cursor()
            cursor.execute(statement, params)
            return list(cursor.fetchall())
        except self._store.engine.dialect.dbapi.Error as error:  # type: ignore[union-attr]
            raise translate(error) from error

    # -- facts for the rules -------------------------------------------------------------

    def seated(self, cohort: str) -> int:
        """Seats taken in the cohort (this unit's own cohort is read under its lock)."""
        if cohort == self.cohort.code:
            return self._seated
        row = self._execute(
            select(sql.COHORTS.c.seated).where(sql.COHORTS.c.code == cohort)
        ).first()
        return 0 if row is None else int(row.seated)

    def seated_from_office(self, cohort: str, office: str) -> int:
        """Seats an office holds in the cohort."""
        if cohort != self.cohort.code:
            return self._office_seats_of(cohort, office)
        if office not in self._office_seats:
            self._office_seats[office] = self._office_seats_of(cohort, office)
        return self._office_seats[office]

    def _office_seats_of(self, cohort: str, office: str) -> int:
        row = self._execute(sql.OFFICE_SEATS, {"cohort": cohort, "office": office}).first()
        return 0 if row is None else int(row.seated)

    def standing(self, nip: str) -> Standing:
        """Where the person is active, and whether they completed a course."""
        # Other cohorts from the database; this one from the unit, whose copy is current
        # (no flush of its buffered rows for every nomination judged).
        rows = self._driver(self._store.sql.standing_elsewhere, (nip, self._cohort_id))
        active = next((code for code, is_active, _ in rows if is_active), None)
        completed = next((code for code, _, done in rows if done), None)
        own = self.enrolment(nip)
        if own is not None:
            if active is None and own.active:
                active = self.cohort.code
            if completed is None and own.completed:
                completed = self.cohort.code
        return Standing(active, completed)

    def attendance(self, cohort: str, nip: str) -> Mapping[str, str]:
        """The participant's recorded attendance in the cohort: ISO day -> status."""
        if cohort == self.cohort.code:
            cohort_id = self._cohort_id
        else:
            cohort_id = self._store.cohort_ref(self._connection, cohort)[0]
        rows = self._execute(sql.ATTENDANCE_OF, {"cohort_id": cohort_id, "nip": nip}).all()
        return {row.day.isoformat(): row.status for row in rows}

    # -- enrolments ------------------------------------------------------------------------

    def enrolment(self, nip: str) -> Enrolment | None:
        """The participant's enrolment in this cohort (read-your-writes), or ``None``."""
        member = self._members.get(nip)
        if member is None and self._absent(nip):
            return None
        if member is None:
            with translated():
                found = load_enrolments(
                    self._store,
                    self._connection,
                    self._cohort_id,
                    self.cohort.code,
                    nip=nip,
                    run=self._driver,
                )
            if found:
                member = self._keep(*found[0])
        return member

    def _absent(self, nip: str) -> bool:
        """Whether ``nip`` is known not to be enrolled (after a few misses, by one query)."""
        if self._nips is None:
            self._member_misses += 1
            if self._member_misses < _PREFETCH_AFTER:
                return False
            # A bulk enrolment (a roster): the cohort's NIPs at once, not one query each.
            rows = self._driver(self._store.sql.cohort_nips, (self._cohort_id,))
            self._nips = {nip for (nip,) in rows}
        return nip not in self._nips

    def _keep(self, row_id: int, enrolment: Enrolment) -> Enrolment:
        # The unit's copy is authoritative: it carries moves not yet flushed.
        self._ids.setdefault(enrolment.nip, row_id)
        return self._members.setdefault(enrolment.nip, enrolment)

    def enrolments(self, states: Iterable[str] | None = None) -> Iterator[Enrolment]:
        """Enrolments of this cohort, optionally only those in ``states``."""
        self._flush()
        with translated():
            loaded = load_enrolments(
                self._store,
                self._connection,
                self._cohort_id,
                self.cohort.code,
                states=None if states is None else list(states),
                run=self._driver,
            )
        return iter([self._keep(row_id, e) for row_id, e in loaded])

    def office(
        self,
        office: Office,
        *,
        create: bool,
        by: str | None = None,
        at: datetime | None = None,
    ) -> Office | None:
        """The stored office; created (first writer wins, its name registered) when ``create``."""
        known = self._store.known_office(office.code)
        if known is not None:
            return known
        row = self._execute(sql.OFFICE, {"code": office.code}).first()
        if row is not None:
            return self._store.office_of(row.code, row.name)
        if not create:
            return None
        self._execute(
            sql.dialect_insert(self._store.dialect, sql.OFFICES)
            .values(code=office.code, name=office.name)
            .on_conflict_do_nothing(index_elements=["code"])
        )
        if key := fold(office.name):
            self._execute(
                sql.dialect_insert(self._store.dialect, sql.OFFICE_NAMES)
                .values(
                    key=key,
                    office_code=office.code,
                    label=office.name,
                    kind="name",
                    added_by=by,
                    added_at=at,
                )
                .on_conflict_do_nothing(index_elements=["key"])
            )
        # Read back (a concurrent writer may have won) without caching: this unit may
        # still roll back, and the store's cache holds committed offices only.
        row = self._execute(sql.OFFICE, {"code": office.code}).one()
        return Office.model_construct(code=row.code, name=row.name)

    def office_named(self, key: str) -> Office | None:
        """The office whose name or alias folds to ``key`` (read-your-writes)."""
        row = self._execute(sql.OFFICE_NAMED, {"key": key}).first()
        return None if row is None else Office.model_construct(code=row.code, name=row.name)

    def add(self, enrolment: Enrolment) -> None:
        """Insert a new enrolment: it takes a seat and makes the person active."""
        person = enrolment.participant
        # Written at once (not buffered): the database's one-active-enrolment-per-person
        # index must refuse someone active elsewhere here, before anything else is judged.
        sqlite = self._store.dialect == "sqlite"
        values = sql.join_values(self._cohort_id, enrolment, sqlite=sqlite)
        if sqlite:
            self._driver(self._store.sql.join, values)
            row_id = self._cursor.lastrowid
        else:
            ((row_id,),) = self._driver(self._store.sql.join + " RETURNING id", values)
        self._ids[person.nip] = int(row_id)
        self._members[person.nip] = enrolment
        if self._nips is not None:
            self._nips.add(person.nip)
        if enrolment.seated:
            self._seat(person.office.code, +1)

    def _seat(self, office: str, delta: int) -> None:
        self._seated += delta
        self._office_seats[office] = self.seated_from_office(self.cohort.code, office) + delta
        self._dirty_offices.add(office)

    def _current(self, before: Enrolment) -> int:
        """The row id of ``before``'s enrolment, provided it is still at ``before.version``.

        A copy this unit loaded is checked against the unit's own (which carries its queued
        moves); another is read with its version. :class:`ConcurrentTransition` otherwise.
        """
        nip = before.nip
        kept = self._members.get(nip)
        if kept is not None:
            if kept.version == before.version:
                return self._ids[nip]
        else:
            row = self._execute(sql.MEMBER_ID, {"cohort_id": self._cohort_id, "nip": nip}).first()
            if row is not None and row.version == before.version:
                self._ids[nip] = row.id
                return int(row.id)
        raise ConcurrentTransition(
            cohort=self.cohort.code, nip=nip, expected_version=before.version
        )

    def update(self, before: Enrolment, after: Enrolment) -> None:
        """Apply what differs between ``before`` and ``after``, if ``before`` is current.

        A move (state, version, flags) is queued for the bulk ``executemany`` (its UPDATE
        checks the version again); the rarer data changes are written at once.
        """
        row_id = self._current(before)
        if after.version != before.version:  # every move (and only a move) counts a version
            if after.active == before.active:
                self._moves.append((False, sql.step_values(row_id, before.version, after)))
            else:
                self._moves.append((True, sql.move_values(row_id, before.version, after)))
        if after.participant is not before.participant:
            self._person(row_id, before, after)
        if after.project is not before.project:
            self._project(row_id, after)
        if after.scores is not before.scores:
            self._scores(row_id, after)
        if after.group != before.group:
            self._execute(sql.GROUP, {"b_id": row_id, "b_group": after.group})
        self._members[before.nip] = after
        held = (before.seated, before.participant.office.code)
        holds = (after.seated, after.participant.office.code)
        if held != holds:
            if before.seated:
                self._seat(held[1], -1)
            if after.seated:
                self._seat(holds[1], +1)

    def _person(self, row_id: int, before: Enrolment, after: Enrolment) -> None:
        person = after.participant
        if person == before.participant:
            return
        self._execute(
            sql.PERSON,
            {
                "b_id": row_id,
                "b_name": person.name,
                "b_echelon": person.echelon,
                "b_birth_date": person.born,
                "b_retirement_age": person.retirement_age,
                "b_office": person.office.code,
            },
        )

    def _project(self, row_id: int, after: Enrolment) -> None:
        self._execute(sql.DROP_PROJECT, {"b_id": row_id})
        if after.project is not None:
            self._execute(insert(sql.PROJECTS).values(**project_params(row_id, after.project)))

    def _scores(self, row_id: int, after: Enrolment) -> None:
        statements = self._store.sql
        self._driver(statements.drop_scores, (row_id,), rows=False)
        for component, score in (after.scores or {}).items():
            self._driver(statements.add_score, (row_id, component, score), rows=False)

    def entered_from(self, nip: str) -> str | None:
        """The state the participant left to enter its current one (see ``state_left``)."""
        member = self.enrolment(nip)
        if member is None:
            return None
        self._flush()  # the move in question may still be buffered in this unit
        subject = self._subject(nip)
        if subject is None:
            return None
        rows = self._execute(
            sql.ENTERED_FROM,
            {"cohort_id": self._cohort_id, "nip": subject.id, "state": member.state},
        )
        return state_left((entry_from_row(r, self.cohort.code) for r in rows), member.state)

    def pin(self, lifecycle: LifecycleDefinition) -> None:
        """Pin the cohort to ``lifecycle`` (stored once per document)."""
        self._store.keep_definition(self._connection, lifecycle)
        self._execute(sql.PIN, {"b_cohort": self._cohort_id, "b_sha": lifecycle.sha256})
        self.lifecycle = lifecycle

    # -- the calendar ----------------------------------------------------------------------

    def schedule(self) -> Mapping[str, Any] | None:
        """The cohort's stored schedule document (read-your-writes)."""
        row = self._execute(sql.SCHEDULE, {"cohort_id": self._cohort_id}).first()
        return None if row is None else dict(row.document)

    def set_schedule(self, document: Mapping[str, Any]) -> None:
        """Replace the cohort's schedule document."""
        self._execute(sql.DROP_SCHEDULE, {"cohort_id": self._cohort_id})
        self._execute(sql.ADD_SCHEDULE.values(cohort_id=self._cohort_id, document=dict(document)))

    def set_attendance(self, nip: str, day: str, status: str) -> None:
        """Replace one participant's attendance on one ISO day."""
        when = date.fromisoformat(day)
        params = {"cohort_id": self._cohort_id, "nip": nip, "day": when}
        self._execute(sql.DROP_ATTENDANCE, params)
        self._execute(sql.ADD_ATTENDANCE.values(**params, status=status))

    # -- staff ------------------------------------------------------------------------------

    def staff_member(self, actor: str) -> StaffMember | None:
        """The cohort's staff member with this id (read-your-writes)."""
        if actor in self._staff:  # every command of a batch asks again
            return self._staff[actor]
        rows = self._driver(self._store.sql.staff_member, (self._cohort_id, actor))
        member = staff_from_values(*rows[0]) if rows else None
        self._staff[actor] = member
        return member

    def set_staff(self, member: StaffMember) -> None:
        """Replace the staff member with ``member``'s id."""
        params = {"cohort_id": self._cohort_id, "actor": member.id}
        self._execute(sql.DROP_STAFF, params)
        roles = ",".join(sorted(member.roles))
        self._execute(sql.ADD_STAFF.values(**params, name=member.name, roles=roles))
        self._staff[member.id] = member

    # -- audit and idempotency -------------------------------------------------------------

    def next_seq(self) -> int:
        """The next position in this cohort's audit trail."""
        return self._seq + 1

    def record(self, entry: HistoryEntry) -> None:
        """Queue an audit row chained to the previous one."""
        if entry.seq != self._seq + 1:
            raise ValueError(f"audit entry {entry.seq} out of order (next is {self._seq + 1})")
        if entry.nip != COHORT_NIP:
            entry, values = seal(entry, self._subject(entry.nip, create=True))
            if values:
                self._personal.append(
                    (self._cohort_id, entry.seq, entry.nip, personal_json(values))
                )
        digest = chain_hash(self._hash, entry)
        self._audit.append(
            audit_values(self._cohort_id, entry, digest, sqlite=self._store.dialect == "sqlite")
        )
        self._seq, self._hash = entry.seq, digest

    @overload
    def _subject(self, nip: str, *, create: Literal[True]) -> Subject: ...
    @overload
    def _subject(self, nip: str, *, create: bool = False) -> Subject | None: ...
    def _subject(self, nip: str, *, create: bool = False) -> Subject | None:
        """The person's subject; created (in this transaction) when ``create``."""
        found = self._subjects.get(nip)
        if found is None:
            self._misses += 1
            if self._misses == _PREFETCH_AFTER:
                # A bulk command (advance, groups, a roster): look its people up at once.
                rows = self._driver(self._store.sql.cohort_subjects, (self._cohort_id,))
                for subject_id, number, key in rows:
                    self._subjects.setdefault(number, Subject(subject_id, number, key))
                found = self._subjects.get(nip)
        if found is None:
            rows = self._driver(self._store.sql.subject_of, (nip,))
            if rows:
                found = Subject(*rows[0])
            elif create:
                found = Subject.new(nip)
                self._new_subjects.append((found.id, nip, found.key))
            else:
                return None
            self._subjects[nip] = found
        return found

    def erase(self, nip: str) -> None:
        """Delete the person's facts and personal values in this cohort; seats stay counted."""
        self._flush()
        subject = self._subject(nip)
        row = self._execute(sql.MEMBER_ID, {"cohort_id": self._cohort_id, "nip": nip}).first()
        if row is not None:
            params = {"b_id": row.id}
            self._execute(sql.DROP_PROJECT, params)
            self._execute(sql.DROP_SCORES, params)
            self._execute(delete(sql.ENROLMENTS).where(sql.ENROLMENTS.c.id == row.id))
        self._members.pop(nip, None)
        self._ids.pop(nip, None)
        if self._nips is not None:
            self._nips.discard(nip)
        attendance = sql.ATTENDANCE.c
        self._execute(
            delete(sql.ATTENDANCE).where(
                attendance.cohort_id == self._cohort_id, attendance.nip == nip
            )
        )
        if subject is None:
            return
        personal = sql.PERSONAL.c
        self._execute(
            delete(sql.PERSONAL).where(
                personal.cohort_id == self._cohort_id, personal.subject_id == subject.id
            )
        )
        self._forget_keys(nip, subject.id)

    def _forget_keys(self, nip: str, subject_id: str) -> None:
        """Drop the idempotency keys naming the person or remembering one of their entries."""
        audit, keys = sql.AUDIT.c, sql.KEYS.c
        theirs = {
            seq
            for (seq,) in self._execute(
                select(audit.seq).where(audit.cohort_id == self._cohort_id, audit.nip == subject_id)
            )
        }
        for key, seqs in self._execute(
            select(keys.key, keys.seqs).where(keys.cohort_id == self._cohort_id)
        ).all():
            numbers = json.loads(seqs)
            numbers = set(numbers) if isinstance(numbers, list) else {numbers}
            if nip in key or numbers & theirs:
                self._execute(delete(sql.KEYS).where(keys.key == key))

    def recall(self, key: str) -> Remembered | None:
        """What an idempotency key recorded, if anything."""
        self._flush()  # the entries a key names may still be buffered in this unit
        rows = self._driver(self._store.sql.recall, (key,))  # a miss, most of the time
        if not rows:
            return None
        fingerprint, stored, cohort_id, code = rows[0]
        seqs = json.loads(stored)
        wanted = seqs if isinstance(seqs, list) else [seqs]
        found = {
            r.seq: opened_from_row(r, code)
            for r in self._execute(
                sql.OPENED.where(sql.AUDIT.c.cohort_id == cohort_id, sql.AUDIT.c.seq.in_(wanted))
            )
        }
        if isinstance(seqs, list):
            return fingerprint, tuple(found[s] for s in seqs)
        return fingerprint, found[seqs]

    def remember(
        self, key: str, fingerprint: str, result: HistoryEntry | tuple[HistoryEntry, ...]
    ) -> None:
        """Record an idempotency key; a concurrent twin makes this a ConcurrentTransition."""
        now = datetime.now(UTC)
        at = sqlite_datetime(now) if self._store.dialect == "sqlite" else now
        params = (key, fingerprint, self._cohort_id, seqs_json(result), at)
        self._driver(self._store.sql.remember, params, rows=False)

    def commit(self) -> None:
        """Write the buffered rows, the counters and the chain head; then commit."""
        if self.committed:
            raise RuntimeError("this unit of work is already closed")
        self._flush()
        moved = self._execute(
            sql.HEAD,
            {
                "b_cohort": self._cohort_id,
                "old_seq": self._head_seq,
                "new_seated": self._seated,
                "new_seq": self._seq,
                "new_hash": self._hash,
            },
        )
        if moved.rowcount != 1:
            raise ConcurrentTransition(
                f"the audit trail of {self.cohort.code} moved under this unit",
                cohort=self.cohort.code,
            )
        for office in sorted(self._dirty_offices):
            self._write_seats(office, self._office_seats[office])
        with translated():
            self._connection.commit()
        self.committed = True

    def _write_seats(self, office: str, seated: int) -> None:
        params = {"b_cohort": self._cohort_id, "b_office": office, "b_seated": seated}
        if self._execute(sql.SEATS_UPDATE, params).rowcount == 0:
            self._execute(sql.SEATS_INSERT, params)
