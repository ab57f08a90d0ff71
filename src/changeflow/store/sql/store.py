"""The durable store on SQLAlchemy Core: SQLite (one machine) or PostgreSQL (many writers).

Concurrency is enforced by the database, never by Python locks: a unit of work opens a
write transaction that serialises writers per cohort (``BEGIN IMMEDIATE`` on SQLite; a
``SELECT ... FOR UPDATE`` of the cohort row, with the session's ``lock_timeout``, on
PostgreSQL), so
the counts the rules read cannot change before the write. Waiting is bounded: past
``lock_timeout`` the command fails with :class:`~changeflow.errors.StoreBusy`. A partial
unique index refuses a person active in two cohorts even when writers race on different
cohorts. Updates carry the row's version, so a lost update is impossible.

Bulk writes are buffered and sent with ``executemany`` when the unit commits (or before a
read that needs them), so advancing a whole cohort costs a few statements, not thousands.
"""

from __future__ import annotations

import json
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import bindparam, create_engine, event, insert, select, update
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url

from changeflow.audit import GENESIS, Checkpoint, chain_hash
from changeflow.errors import (
    AlreadyExists,
    CohortNotFound,
    ConcurrentTransition,
    InvalidInput,
    ParticipantNotFound,
)
from changeflow.models import ChangeProject, Cohort, Office
from changeflow.rules.context import Standing
from changeflow.store.sql.errors import translated
from changeflow.store.sql.mapping import (
    AUDIT_COLUMNS,
    audit_values,
    cohort_from_document,
    enrolment_from_row,
    entry_from_row,
    project_from_row,
    project_params,
    seqs_json,
)
from changeflow.store.sql.schema import ensure_schema
from changeflow.store.sql.tables import (
    AssessmentRow,
    AuditRow,
    CohortOfficeRow,
    CohortRow,
    EnrolmentRow,
    IdempotencyRow,
    OfficeRow,
    ProjectRow,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from sqlalchemy import Connection, Engine, Row, Table

    from changeflow.records import Enrolment, HistoryEntry
    from changeflow.store.base import Remembered

__all__ = ["DEFAULT_URL", "SqlStore", "create_sql_engine"]

DEFAULT_URL = "sqlite:///changeflow.db"
"""An embedded SQLite file in the working directory."""

_cohorts = cast("Table", CohortRow.__table__)
_offices = cast("Table", OfficeRow.__table__)
_seats = cast("Table", CohortOfficeRow.__table__)
_enrolments = cast("Table", EnrolmentRow.__table__)
_projects = cast("Table", ProjectRow.__table__)
_scores = cast("Table", AssessmentRow.__table__)
_audit = cast("Table", AuditRow.__table__)
_keys = cast("Table", IdempotencyRow.__table__)


_LOCK_COHORT = select(_cohorts).where(_cohorts.c.code == bindparam("code")).with_for_update()
_HEAD = (
    update(_cohorts)
    .where(_cohorts.c.id == bindparam("b_cohort"))
    .where(_cohorts.c.chain_seq == bindparam("old_seq"))
    .values(
        seated=bindparam("new_seated"),
        chain_seq=bindparam("new_seq"),
        chain_hash=bindparam("new_hash"),
    )
)
_RECALL = (
    select(_keys.c.fingerprint, _keys.c.seqs, _keys.c.cohort_id, _cohorts.c.code)
    .join(_cohorts, _cohorts.c.id == _keys.c.cohort_id)
    .where(_keys.c.key == bindparam("key"))
)
_REMEMBER = insert(_keys)
_OFFICE = select(_offices).where(_offices.c.code == bindparam("code"))
_OFFICE_SEATS = (
    select(_seats.c.seated)
    .join(_cohorts, _cohorts.c.id == _seats.c.cohort_id)
    .where(_cohorts.c.code == bindparam("cohort"), _seats.c.office_code == bindparam("office"))
)
_STANDING = (
    select(_cohorts.c.code, _enrolments.c.active, _enrolments.c.completed)
    .join(_cohorts, _cohorts.c.id == _enrolments.c.cohort_id)
    .where(_enrolments.c.nip == bindparam("nip"))
    .where(_enrolments.c.active | _enrolments.c.completed)
)
_SEATS_UPDATE = (
    update(_seats)
    .where(_seats.c.cohort_id == bindparam("b_cohort"))
    .where(_seats.c.office_code == bindparam("b_office"))
    .values(seated=bindparam("b_seated"))
)
_SEATS_INSERT = insert(_seats).values(
    cohort_id=bindparam("b_cohort"), office_code=bindparam("b_office"), seated=bindparam("b_seated")
)


def create_sql_engine(url: str, *, lock_timeout: float = 5.0, synchronous: str = "FULL") -> Engine:
    """A SQLAlchemy engine set up for changeflow's transactions on SQLite or PostgreSQL.

    SQLite gets WAL, foreign keys, a busy timeout of ``lock_timeout`` seconds and
    ``BEGIN IMMEDIATE`` for write units (the driver's own transaction handling is off);
    ``synchronous`` is ``FULL`` by default so a committed audit row survives a power cut.
    PostgreSQL URLs without a driver use psycopg 3, with pre-ping on pooled connections.
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            raise InvalidInput(
                "url", "an in-memory SQLite database is not durable: use MemoryStore"
            )
        engine = create_engine(parsed, connect_args={"timeout": lock_timeout})
        _configure_sqlite(engine, lock_timeout, synchronous)
        return engine
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        # lock_timeout is a session setting, so waiting is bounded without a statement per
        # transaction.
        options = f"-c lock_timeout={int(lock_timeout * 1000)}"
        return create_engine(
            parsed, pool_pre_ping=True, connect_args={"connect_timeout": 10, "options": options}
        )
    raise InvalidInput("url", f"unsupported database {backend!r} (use sqlite or postgresql)")


def _configure_sqlite(engine: Engine, lock_timeout: float, synchronous: str) -> None:
    if synchronous.upper() not in {"OFF", "NORMAL", "FULL", "EXTRA"}:
        raise InvalidInput("synchronous", f"unknown SQLite synchronous mode {synchronous!r}")

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event, not the driver, decide how transactions start.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(lock_timeout * 1000)}")
        cursor.execute(f"PRAGMA synchronous={synchronous.upper()}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        # Writers take the write lock up front: a deferred BEGIN that later upgrades to a
        # write can fail with "database is locked" no matter how long the busy timeout.
        write = connection.get_execution_options().get("changeflow_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


_MOVE_SQL = (
    "UPDATE enrolments SET state = ?, version = ?, revisions = ?, active = ?, seated = ?, "
    "completed = ? WHERE id = ? AND version = ?"
)
# Only fixed column names and placeholders are joined in: nothing from outside.
_AUDIT_SQL = "INSERT INTO audit ({}) VALUES ({})".format(  # noqa: S608
    ", ".join(AUDIT_COLUMNS), ", ".join("?" * len(AUDIT_COLUMNS))
)


class _DriverSql:
    """The bulk statements in the driver's own parameter style (``?`` or ``%s``)."""

    def __init__(self, mark: str) -> None:
        self.move = _MOVE_SQL.replace("?", mark)
        self.audit = _AUDIT_SQL.replace("?", mark)


class SqlStore:
    """The SQL backend of :class:`~changeflow.store.base.Store`.

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "doc.db"
    >>> store = SqlStore(f"sqlite:///{path}")
    >>> store.cohorts()
    []
    >>> store.close()
    """

    def __init__(
        self,
        url: str = DEFAULT_URL,
        *,
        lock_timeout: float = 5.0,
        upgrade: bool = True,
        synchronous: str = "FULL",
    ) -> None:
        """Open (creating or upgrading the schema unless ``upgrade=False``) the database."""
        if lock_timeout <= 0:
            raise InvalidInput("lock_timeout", "must be a positive number of seconds")
        self.url = url
        self.lock_timeout = lock_timeout
        self.engine = create_sql_engine(url, lock_timeout=lock_timeout, synchronous=synchronous)
        self.dialect = self.engine.dialect.name
        self.sql = _DriverSql("?" if self.dialect == "sqlite" else "%s")
        self._cohorts: dict[str, tuple[int, Cohort]] = {}
        self._office_cache: dict[str, Office] = {}
        try:
            with translated():
                ensure_schema(self.engine, upgrade=upgrade)
        except BaseException:
            # The caller gets no store to close: release the file or server connection now.
            self.engine.dispose()
            raise

    def __repr__(self) -> str:
        return f"SqlStore({self.engine.url.render_as_string(hide_password=True)!r})"

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    # -- reading -------------------------------------------------------------------------

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        with translated(), self.engine.connect() as connection:
            yield connection

    def _cohort_ref(self, connection: Connection, code: str) -> tuple[int, Cohort]:
        cached = self._cohorts.get(code)
        if cached is not None:
            return cached
        row = connection.execute(
            select(_cohorts.c.id, _cohorts.c.document).where(_cohorts.c.code == code)
        ).one_or_none()
        if row is None:
            raise CohortNotFound(code)
        # A cohort's definition never changes once created, so it can be cached.
        ref = self._cohorts[code] = (row.id, cohort_from_document(row.document))
        return ref

    def known_office(self, code: str) -> Office | None:
        """An office this process has already read from the database (offices never change)."""
        return self._office_cache.get(code)

    def office_of(self, code: str, name: str) -> Office:
        """The (cached) office object for a stored code and name."""
        office = self._office_cache.get(code)
        if office is None or office.name != name:
            office = self._office_cache[code] = Office.model_construct(code=code, name=name)
        return office

    def add_cohort(self, cohort: Cohort) -> None:
        """Create a cohort; :class:`AlreadyExists` if the code is taken."""
        try:
            with translated(), self.engine.begin() as connection:
                connection.execute(
                    insert(_cohorts).values(
                        code=cohort.code,
                        document=cohort.model_dump(mode="json"),
                        seated=0,
                        chain_seq=0,
                        chain_hash=GENESIS,
                        created_at=datetime.now(UTC),
                    )
                )
        except ConcurrentTransition as clash:
            raise AlreadyExists("cohort", cohort.code) from clash

    def cohort(self, code: str) -> Cohort:
        """The cohort; :class:`CohortNotFound` if unknown."""
        with self._reading() as connection:
            return self._cohort_ref(connection, code)[1]

    def cohorts(self) -> list[Cohort]:
        """Every cohort, by code."""
        with self._reading() as connection:
            codes = connection.execute(select(_cohorts.c.code).order_by(_cohorts.c.code))
            return [self._cohort_ref(connection, code)[1] for (code,) in codes]

    def enrolment(self, cohort: str, nip: str) -> Enrolment:
        """One enrolment; :class:`ParticipantNotFound` if not enrolled."""
        with self._reading() as connection:
            cohort_id = self._cohort_ref(connection, cohort)[0]
            found = load_enrolments(self, connection, cohort_id, cohort, nip=nip)
        if not found:
            raise ParticipantNotFound(nip, hint=f"not enrolled in {cohort}")
        return found[0][1]

    def enrolments(self, cohort: str) -> list[Enrolment]:
        """Every enrolment of the cohort, in enrolment order."""
        with self._reading() as connection:
            cohort_id = self._cohort_ref(connection, cohort)[0]
            return [e for _, e in load_enrolments(self, connection, cohort_id, cohort)]

    def history(self, *, nip: str | None = None, cohort: str | None = None) -> list[HistoryEntry]:
        """Audit entries, oldest first, filtered by participant and/or cohort."""
        query = select(_audit, _cohorts.c.code).join(_cohorts, _cohorts.c.id == _audit.c.cohort_id)
        with self._reading() as connection:
            if cohort is not None:
                query = query.where(_audit.c.cohort_id == self._cohort_ref(connection, cohort)[0])
            if nip is not None:
                query = query.where(_audit.c.nip == nip).order_by(_audit.c.id)
            elif cohort is not None:
                query = query.order_by(_audit.c.seq)
            else:
                query = query.order_by(_audit.c.at, _cohorts.c.code, _audit.c.seq)
            return [entry_from_row(row, row.code) for row in connection.execute(query)]

    def offices(self) -> list[Office]:
        """Every office known to the store, by code."""
        with self._reading() as connection:
            rows = connection.execute(select(_offices).order_by(_offices.c.code))
            return [self.office_of(row.code, row.name) for row in rows]

    def trail(self, cohort: str) -> list[tuple[HistoryEntry, str]]:
        """The cohort's audit rows as stored, with their stored hashes."""
        with self._reading() as connection:
            cohort_id = self._cohort_ref(connection, cohort)[0]
            rows = connection.execute(
                select(_audit)
                .where(_audit.c.cohort_id == cohort_id)
                .order_by(_audit.c.seq, _audit.c.id)
            )
            return [(entry_from_row(row, cohort), row.hash) for row in rows]

    def head(self, cohort: str) -> Checkpoint:
        """The chain head kept on the cohort row."""
        with self._reading() as connection:
            row = connection.execute(
                select(_cohorts.c.chain_seq, _cohorts.c.chain_hash).where(_cohorts.c.code == cohort)
            ).one_or_none()
        if row is None:
            raise CohortNotFound(cohort)
        return Checkpoint(cohort, row.chain_seq, row.chain_hash)

    # -- writing -------------------------------------------------------------------------

    @contextmanager
    def unit(self, cohort: str) -> Iterator[SqlUnit]:
        """A write transaction holding the cohort's lock; rolled back unless committed."""
        with translated():
            connection = self.engine.connect().execution_options(changeflow_write=True)
        unit: SqlUnit | None = None
        try:
            with translated():
                connection.begin()
                row = connection.execute(_LOCK_COHORT, {"code": cohort}).one_or_none()
                if row is None:
                    raise CohortNotFound(cohort)
                # Inside translated(): a cohort not yet cached is read here, and a connection
                # lost during that read must surface as StoreUnavailable, not a driver error.
                unit = SqlUnit(self, connection, row)
            yield unit
        finally:
            if unit is None or not unit.committed:
                # Already failing: a rollback error must not hide the first one.
                with suppress(sa_exc.SQLAlchemyError):
                    connection.rollback()
                # Offices read inside a rolled-back unit may not exist after all.
                self._office_cache.clear()
            with suppress(sa_exc.SQLAlchemyError):
                connection.close()


_MEMBER_COLUMNS = select(
    _enrolments,
    _offices.c.name.label("office_name"),
    _projects.c.title,
    _projects.c.theme,
    _projects.c.mentor_name,
    _projects.c.mentor_nip,
    _projects.c.mentor_position,
    _scores.c.component,
    _scores.c.score,
).select_from(
    _enrolments.join(_offices, _offices.c.code == _enrolments.c.office_code)
    .outerjoin(_projects, _projects.c.enrolment_id == _enrolments.c.id)
    .outerjoin(_scores, _scores.c.enrolment_id == _enrolments.c.id)
)
_MEMBERS = _MEMBER_COLUMNS.where(_enrolments.c.cohort_id == bindparam("cohort_id")).order_by(
    _enrolments.c.id
)
_MEMBER_ID = select(_enrolments.c.id).where(
    _enrolments.c.cohort_id == bindparam("cohort_id"), _enrolments.c.nip == bindparam("nip")
)
_MEMBER = _MEMBERS.where(_enrolments.c.nip == bindparam("nip"))
_MEMBERS_IN = _MEMBERS.where(_enrolments.c.state.in_(bindparam("states", expanding=True)))


def load_enrolments(
    store: SqlStore,
    connection: Connection,
    cohort_id: int,
    cohort: str,
    *,
    nip: str | None = None,
    states: Iterable[str] | None = None,
) -> list[tuple[int, Enrolment]]:
    """``(row id, enrolment)`` of a cohort (one NIP, or those in ``states``), projects included.

    One statement: the project and the scores come joined, a row per score.
    """
    params: dict[str, Any] = {"cohort_id": cohort_id}
    if nip is not None:
        statement, params["nip"] = _MEMBER, nip
    elif states is not None:
        statement, params["states"] = _MEMBERS_IN, list(states)
    else:
        statement = _MEMBERS
    found: dict[int, Enrolment] = {}
    for row in connection.execute(statement, params):
        enrolment = found.get(row.id)
        if enrolment is None:
            office = store.office_of(row.office_code, row.office_name)
            project = project_from_row(row) if row.title is not None else None
            enrolment = found[row.id] = enrolment_from_row(row, cohort, office, project, None)
        if row.component is not None:
            enrolment.scores = {**(enrolment.scores or {}), row.component: row.score}
    return list(found.items())


class SqlUnit:
    """One write transaction on one cohort; see :class:`changeflow.store.base.Unit`."""

    def __init__(self, store: SqlStore, connection: Connection, row: Row[Any]) -> None:
        self._store = store
        self._connection = connection
        self._cohort_id: int = row.id
        self.cohort: Cohort = store._cohort_ref(connection, row.code)[1]
        self._seated: int = row.seated
        self._seq: int = row.chain_seq
        self._head_seq: int = row.chain_seq
        self._hash: str = row.chain_hash
        self._office_seats: dict[str, int] = {}
        self._dirty_offices: set[str] = set()
        self._members: dict[str, Enrolment] = {}
        self._ids: dict[str, int] = {}
        self._moves: list[tuple[Any, ...]] = []
        self._audit: list[tuple[Any, ...]] = []
        self.committed = False

    def _execute(self, statement: Any, params: Any = None) -> Any:
        with translated():
            return self._connection.execute(statement, params)

    def _flush(self) -> None:
        # Straight to the driver's executemany: SQLAlchemy's per-row parameter handling
        # was the larger part of a bulk step's cost.
        if self._moves:
            moves, self._moves = self._moves, []
            result = self._driver_many(self._store.sql.move, moves)
            if result.rowcount != len(moves):
                raise ConcurrentTransition(
                    f"{len(moves) - result.rowcount} participant(s) of {self.cohort.code} "
                    "were changed by another writer",
                    cohort=self.cohort.code,
                )
        if self._audit:
            rows, self._audit = self._audit, []
            self._driver_many(self._store.sql.audit, rows)

    def _driver_many(self, statement: str, rows: list[tuple[Any, ...]]) -> Any:
        with translated():
            return self._connection.exec_driver_sql(statement, rows)

    # -- facts for the rules -------------------------------------------------------------

    def seated(self, cohort: str) -> int:
        """Seats taken in the cohort (this unit's own cohort is read under its lock)."""
        if cohort == self.cohort.code:
            return self._seated
        row = self._execute(select(_cohorts.c.seated).where(_cohorts.c.code == cohort)).first()
        return 0 if row is None else int(row.seated)

    def seated_from_office(self, cohort: str, office: str) -> int:
        """Seats an office holds in the cohort."""
        if cohort != self.cohort.code:
            return self._office_seats_of(cohort, office)
        if office not in self._office_seats:
            self._office_seats[office] = self._office_seats_of(cohort, office)
        return self._office_seats[office]

    def _office_seats_of(self, cohort: str, office: str) -> int:
        row = self._execute(_OFFICE_SEATS, {"cohort": cohort, "office": office}).first()
        return 0 if row is None else int(row.seated)

    def standing(self, nip: str) -> Standing:
        """Where the person is active, and whether they completed a course."""
        self._flush()
        rows = self._execute(_STANDING, {"nip": nip}).all()
        active = next((r.code for r in rows if r.active), None)
        completed = next((r.code for r in rows if r.completed), None)
        return Standing(active, completed)

    # -- enrolments ------------------------------------------------------------------------

    def enrolment(self, nip: str) -> Enrolment | None:
        """The participant's enrolment in this cohort (read-your-writes), or ``None``."""
        member = self._members.get(nip)
        if member is None:
            with translated():
                found = load_enrolments(
                    self._store, self._connection, self._cohort_id, self.cohort.code, nip=nip
                )
            if found:
                member = self._keep(*found[0])
        return member

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
            )
        return iter([self._keep(row_id, e) for row_id, e in loaded])

    def office(self, office: Office, *, create: bool) -> Office | None:
        """The stored office; created (first writer wins) when ``create``."""
        known = self._store.known_office(office.code)
        if known is not None:
            return known
        row = self._execute(_OFFICE, {"code": office.code}).first()
        if row is not None:
            return self._store.office_of(row.code, row.name)
        if not create:
            return None
        dialect = postgresql if self._store.dialect == "postgresql" else sqlite
        self._execute(
            dialect.insert(_offices)
            .values(code=office.code, name=office.name)
            .on_conflict_do_nothing(index_elements=["code"])
        )
        # Read back (a concurrent writer may have won) without caching: this unit may
        # still roll back, and the store's cache holds committed offices only.
        row = self._execute(_OFFICE, {"code": office.code}).one()
        return Office.model_construct(code=row.code, name=row.name)

    def add(self, enrolment: Enrolment) -> None:
        """Insert a new enrolment: it takes a seat and makes the person active."""
        person = enrolment.participant
        result = self._execute(
            insert(_enrolments).values(
                cohort_id=self._cohort_id,
                nip=person.nip,
                name=person.name,
                office_code=person.office.code,
                echelon=person.echelon,
                birth_date=person.born,
                retirement_age=person.retirement_age,
                state=enrolment.state,
                version=enrolment.version,
                revisions=enrolment.revisions,
                active=True,
                seated=True,
                completed=False,
                group_no=enrolment.group,
            )
        )
        self._ids[person.nip] = int(result.inserted_primary_key[0])
        self._members[person.nip] = enrolment
        self._seat(person.office.code, +1)

    def _seat(self, office: str, delta: int) -> None:
        self._seated += delta
        self._office_seats[office] = self.seated_from_office(self.cohort.code, office) + delta
        self._dirty_offices.add(office)

    def move(
        self, enrolment: Enrolment, state: str, *, final: bool, frees_seat: bool, completes: bool
    ) -> None:
        """Queue the move with a version check; applied before the next read or at commit."""
        nip = enrolment.nip
        if nip not in self._ids:  # a copy read outside this unit: its version decides
            self._ids[nip] = self._execute(
                _MEMBER_ID, {"cohort_id": self._cohort_id, "nip": nip}
            ).scalar_one()
        revisions = enrolment.revisions + (state == enrolment.state)
        self._moves.append(
            (
                state,
                enrolment.version + 1,
                revisions,
                not final,
                not frees_seat,
                completes,
                self._ids[nip],
                enrolment.version,
            )
        )
        enrolment.state, enrolment.version, enrolment.revisions = (
            state,
            enrolment.version + 1,
            revisions,
        )
        if frees_seat:
            self._seat(enrolment.participant.office.code, -1)

    def _require(self, nip: str) -> Enrolment:
        member = self.enrolment(nip)
        if member is None:
            raise ParticipantNotFound(nip, hint=f"not enrolled in {self.cohort.code}")
        return member

    def set_project(self, nip: str, project: ChangeProject) -> None:
        """Register or replace a participant's change project."""
        member = self._require(nip)
        row_id = self._ids[nip]
        self._execute(_projects.delete().where(_projects.c.enrolment_id == row_id))
        self._execute(insert(_projects).values(**project_params(row_id, project)))
        member.project = project

    def set_score(self, nip: str, component: str, score: float) -> None:
        """Record (or replace) one assessment score."""
        member = self._require(nip)
        row_id = self._ids[nip]
        self._execute(
            _scores.delete().where(
                _scores.c.enrolment_id == row_id, _scores.c.component == component
            )
        )
        self._execute(insert(_scores).values(enrolment_id=row_id, component=component, score=score))
        member.scores = {**(member.scores or {}), component: score}

    def set_group(self, nip: str, group: int | None) -> None:
        """Place a participant in a thematic group."""
        member = self._require(nip)
        self._execute(
            update(_enrolments).where(_enrolments.c.id == self._ids[nip]).values(group_no=group)
        )
        member.group = group

    # -- audit and idempotency -------------------------------------------------------------

    def next_seq(self) -> int:
        """The next position in this cohort's audit trail."""
        return self._seq + 1

    def record(self, entry: HistoryEntry) -> None:
        """Queue an audit row chained to the previous one."""
        if entry.seq != self._seq + 1:
            raise ValueError(f"audit entry {entry.seq} out of order (next is {self._seq + 1})")
        digest = chain_hash(self._hash, entry)
        self._audit.append(
            audit_values(self._cohort_id, entry, digest, sqlite=self._store.dialect == "sqlite")
        )
        self._seq, self._hash = entry.seq, digest

    def recall(self, key: str) -> Remembered | None:
        """What an idempotency key recorded, if anything."""
        self._flush()  # the entries a key names may still be buffered in this unit
        row = self._execute(_RECALL, {"key": key}).first()
        if row is None:
            return None
        seqs = json.loads(row.seqs)
        wanted = seqs if isinstance(seqs, list) else [seqs]
        found = {
            r.seq: entry_from_row(r, row.code)
            for r in self._execute(
                select(_audit).where(_audit.c.cohort_id == row.cohort_id, _audit.c.seq.in_(wanted))
            )
        }
        if isinstance(seqs, list):
            return row.fingerprint, tuple(found[s] for s in seqs)
        return row.fingerprint, found[seqs]

    def remember(
        self, key: str, fingerprint: str, result: HistoryEntry | tuple[HistoryEntry, ...]
    ) -> None:
        """Record an idempotency key; a concurrent twin makes this a ConcurrentTransition."""
        self._execute(
            _REMEMBER,
            {
                "key": key,
                "fingerprint": fingerprint,
                "cohort_id": self._cohort_id,
                "seqs": seqs_json(result),
                "at": datetime.now(UTC),
            },
        )

    def commit(self) -> None:
        """Write the buffered rows, the counters and the chain head; then commit."""
        if self.committed:
            raise RuntimeError("this unit of work is already closed")
        self._flush()
        moved = self._execute(
            _HEAD,
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
        if self._execute(_SEATS_UPDATE, params).rowcount == 0:
            self._execute(_SEATS_INSERT, params)
