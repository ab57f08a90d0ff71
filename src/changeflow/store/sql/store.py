"""The durable store on SQLAlchemy Core: SQLite (one machine) or PostgreSQL (many writers).

Concurrency is enforced by the database, never by Python locks: a unit of work opens a
write transaction that serialises writers per cohort (``BEGIN IMMEDIATE`` on SQLite; a
``SELECT ... FOR UPDATE`` of the cohort row, with the session's ``lock_timeout``, on
PostgreSQL), so the counts the rules read cannot change before the write. Waiting is
bounded: past ``lock_timeout`` the command fails with :class:`~changeflow.errors.StoreBusy`.
A partial unique index refuses a person active in two cohorts even when writers race on
different cohorts. Updates carry the row's version, so a lost update is impossible.

Each cohort row names the lifecycle definition it is pinned to (by SHA-256, the document
stored once in ``lifecycles``); a unit reads it under the cohort's lock, so a migration by
another process is seen by the next command here.
"""

from __future__ import annotations

from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, delete, func, insert, select, text
from sqlalchemy import exc as sa_exc

from changeflow.errors import (
    AlreadyExists,
    CohortNotFound,
    ConcurrentTransition,
    NoSuchDatabase,
    ParticipantNotFound,
    StoreUnavailable,
    UnreadableEntry,
)
from changeflow.store.sql import statements as sql
from changeflow.store.sql.connect import (
    chosen_schema,
    create_sql_engine,
    missing_database,
    probe_sqlite,
)
from changeflow.store.sql.errors import translated
from changeflow.store.sql.schema import HEAD, ensure_schema

# The domain side (models, records, the lifecycle's definition, the row mapping, the unit of
# work) is imported in the methods that use it, not here: opening a store and reading its
# tables then loads no pydantic model, and ``changeflow status`` prints its table without
# (see changeflow.cli.headcount). Each such import runs once per call, outside row loops.
if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Iterator, Mapping, Sequence

    from sqlalchemy import ColumnElement, Connection, Row, Select, Table

    from changeflow.audit import Checkpoint
    from changeflow.models import Cohort, Office
    from changeflow.offices import RegisteredOffice
    from changeflow.records import CohortProjection, Enrolment, HistoryEntry
    from changeflow.staff import StaffMember
    from changeflow.states.definition import LifecycleDefinition
    from changeflow.store.sql.unit import SqlUnit

__all__ = ["DEFAULT_URL", "SqlStore", "create_sql_engine"]

DEFAULT_URL = "sqlite:///changeflow.db"
"""An embedded SQLite file in the working directory."""

_TRAIL_BATCH = 1000
"""Audit rows fetched at a time while a trail is streamed."""

_UNDECODABLE = "Could not decode to UTF-8"
"""SQLite's complaint about a text value that is not UTF-8 (bytes written outside changeflow)."""


_HEAD_TIME = (
    select(sql.AUDIT.c.at)
    .join(sql.COHORTS, sql.COHORTS.c.id == sql.AUDIT.c.cohort_id)
    .where(sql.COHORTS.c.code == bindparam("code"), sql.AUDIT.c.seq == sql.COHORTS.c.chain_seq)
    .limit(1)
)

_UNREADABLE = (ValueError, TypeError, KeyError, AttributeError, RecursionError, sa_exc.DBAPIError)
"""What reading an audit row written outside changeflow can raise (see :func:`_unreadable`)."""


def _about_the_row(error: Exception) -> bool:
    """Whether ``error`` is about a row's value, not the database (lost, busy, damaged)."""
    return not isinstance(error, sa_exc.DBAPIError) or _UNDECODABLE in str(error.orig)


def _unreadable(
    connection: Connection, query: Select[Any], offset: int, error: Exception
) -> Exception:
    """The :class:`UnreadableEntry` for the row at ``offset`` of ``query`` that failed to read.

    Each column of that row is read again alone, so the error names the first one that
    cannot be read. Slow, but only ever run once, on a damaged row.
    """
    audit = sql.AUDIT
    found = connection.execute(
        query.with_only_columns(audit.c.id, audit.c.seq, audit.c.cohort_id).offset(offset).limit(1)
    ).one_or_none()
    if found is None:  # the failure was not a row's after all
        return error
    from changeflow.store.sql.mapping import column_problem  # noqa: PLC0415 - see the imports

    code = connection.execute(
        select(sql.COHORTS.c.code).where(sql.COHORTS.c.id == found.cohort_id)
    ).scalar()
    for column in audit.columns:
        try:
            value = connection.execute(select(column).where(audit.c.id == found.id)).scalar()
        except _UNREADABLE as exc:
            problem: str | None = _said(exc)
        else:
            problem = column_problem(column.name, value)
        if problem is not None:
            return UnreadableEntry(str(code), found.seq, column.name, problem)
    return UnreadableEntry(str(code), found.seq, None, _said(error))


def _said(error: Exception) -> str:
    if isinstance(error, sa_exc.DBAPIError):
        return str(error.orig).strip().splitlines()[0]
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


class _Unregistered:
    """The office of an enrolment naming a code the store does not hold: an empty name."""

    @staticmethod
    def office_of(code: str, _name: str) -> Office:
        from changeflow.models import Office  # noqa: PLC0415 - see the imports

        return Office.model_construct(code=code, name="")


def _officeless(connection: Connection, cohort_id: int, cohort: str) -> dict[str, Enrolment]:
    """Enrolment rows naming an office the store does not hold, which the members' join drops.

    Only a row written with the foreign keys off (the ``sqlite3`` shell's default) can be
    one; verify must still see it. The office comes with an empty name.
    """
    from changeflow.store.sql.unit import load_enrolments  # noqa: PLC0415 - see the imports

    loaded = load_enrolments(_Unregistered(), connection, cohort_id, cohort, officeless=True)
    return {e.nip: e for _, e in loaded}


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
        synchronous: str = "FULL",
        create: bool = True,
        migrate: bool = False,
        schema: str | None = None,
    ) -> None:
        """Open the database; write a schema only when ``create`` or ``migrate`` allows it.

        ``create`` (the default for embedding code) gives an empty database the schema;
        with ``create=False`` a database without a changeflow schema, or a file that is not
        a database, raises :class:`~changeflow.errors.NotADatabase` and is left untouched
        (the CLI opens every database so, except for ``init``). An older changeflow schema
        is upgraded only with ``migrate=True`` (an upgrade rewrites rows and cannot be
        undone): otherwise :class:`~changeflow.errors.SchemaOutdated`. ``schema`` (or
        ``?schema=NAME`` in the URL) puts changeflow's tables in that PostgreSQL schema
        only; a database or schema that does not exist raises
        :class:`~changeflow.errors.NoSuchDatabase` (``create`` makes a missing schema).
        ``upgraded_from`` is the revision the open found when it created or upgraded the
        schema (``"(empty)"`` for a new one), ``None`` when it was at the head already.
        """
        self.schema = chosen_schema(url, schema)  # first: a bad choice is the first thing to say
        if not create:
            probe_sqlite(url)
        self.url = url
        self.lock_timeout = lock_timeout
        self.engine = create_sql_engine(
            url, lock_timeout=lock_timeout, synchronous=synchronous, schema=self.schema
        )
        self.dialect = self.engine.dialect.name
        self.sql = sql.DriverSql("?" if self.dialect == "sqlite" else "%s")
        self._cohorts: dict[str, tuple[int, Cohort]] = {}
        self._definitions: dict[str, LifecycleDefinition] = {}
        self._office_cache: dict[str, Office] = {}
        try:
            self.upgraded_from: str | None = self._ensure_schema(create=create, migrate=migrate)
        except BaseException:
            # The caller gets no store to close: release the file or server connection now.
            self.engine.dispose()
            raise

    def _ensure_schema(self, *, create: bool, migrate: bool) -> str | None:
        label = self.engine.url.render_as_string(hide_password=True)
        try:
            with translated():
                found = ensure_schema(
                    self.engine, create=create, migrate=migrate, schema=self.schema
                )
        except StoreUnavailable as exc:
            # The server's refusal names the missing database; retrying never helps.
            name = missing_database(exc.cause)
            if name is None:
                raise
            raise NoSuchDatabase(label, name, cause=exc.cause) from exc
        return None if found == HEAD else found

    def __repr__(self) -> str:
        return f"SqlStore({self.engine.url.render_as_string(hide_password=True)!r})"

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    # -- caches (what never changes once written) ------------------------------------------

    def cohort_ref(self, connection: Connection, code: str) -> tuple[int, Cohort]:
        """The cohort's row id and model (cached: a cohort's document never changes)."""
        cached = self._cohorts.get(code)
        if cached is not None:
            return cached
        row = connection.execute(
            select(sql.COHORTS.c.id, sql.COHORTS.c.document).where(sql.COHORTS.c.code == code)
        ).one_or_none()
        if row is None:
            raise CohortNotFound(code)
        from changeflow.store.sql.mapping import cohort_from_document  # noqa: PLC0415 - see the imports

        ref = self._cohorts[code] = (row.id, cohort_from_document(row.document))
        return ref

    def definition(self, connection: Connection, sha: str | None) -> LifecycleDefinition | None:
        """The lifecycle definition stored under ``sha`` (cached: documents never change)."""
        if sha is None:
            return None
        found = self._definitions.get(sha)
        if found is None:
            from changeflow.states.definition import parse_definition  # noqa: PLC0415 - see the imports

            row = connection.execute(sql.LIFECYCLE, {"sha": sha}).one()
            found = self._definitions[sha] = parse_definition(row.document)
        return found

    def keep_definition(self, connection: Connection, definition: LifecycleDefinition) -> None:
        """Store ``definition`` under its SHA-256 unless it is already there."""
        with translated():
            connection.execute(
                sql.dialect_insert(self.dialect, sql.LIFECYCLES)
                .values(
                    sha256=definition.sha256,
                    name=definition.name,
                    version=definition.version,
                    document=definition.document(),
                )
                .on_conflict_do_nothing(index_elements=["sha256"])
            )

    def known_office(self, code: str) -> Office | None:
        """An office this process has already read from the database (offices never change)."""
        return self._office_cache.get(code)

    def office_of(self, code: str, name: str) -> Office:
        """The (cached) office object for a stored code and name."""
        office = self._office_cache.get(code)
        if office is None or office.name != name:
            from changeflow.models import Office  # noqa: PLC0415 - see the imports

            office = self._office_cache[code] = Office.model_construct(code=code, name=name)
        return office

    # -- reading -------------------------------------------------------------------------

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        with translated(), self.engine.connect() as connection:
            yield connection

    def cohort(self, code: str) -> Cohort:
        """The cohort; :class:`CohortNotFound` if unknown."""
        with self._reading() as connection:
            return self.cohort_ref(connection, code)[1]

    def cohorts(self) -> list[Cohort]:
        """Every cohort, by code."""
        with self._reading() as connection:
            codes = connection.execute(select(sql.COHORTS.c.code).order_by(sql.COHORTS.c.code))
            return [self.cohort_ref(connection, code)[1] for (code,) in codes]

    def lifecycle(self, code: str) -> LifecycleDefinition | None:
        """The lifecycle definition the cohort is pinned to."""
        with self._reading() as connection:
            row = connection.execute(sql.COHORT_ROW, {"code": code}).one_or_none()
            if row is None:
                raise CohortNotFound(code)
            return self.definition(connection, row.lifecycle_sha256)

    def schedule(self, code: str) -> Mapping[str, Any] | None:
        """The cohort's stored schedule document (``None``: none stored yet)."""
        with self._reading() as connection:
            return _schedule_of(connection, self.cohort_ref(connection, code)[0])

    def staff(self, code: str) -> list[StaffMember]:
        """The cohort's staff, by id."""
        with self._reading() as connection:
            return _staff_of(connection, self.cohort_ref(connection, code)[0])

    def attendance(self, code: str) -> dict[str, dict[str, str]]:
        """Every participant's recorded attendance in the cohort."""
        with self._reading() as connection:
            return _attendance_of(connection, self.cohort_ref(connection, code)[0])

    def enrolment(self, cohort: str, nip: str) -> Enrolment:
        """One enrolment; :class:`ParticipantNotFound` if not enrolled."""
        from changeflow.store.sql.unit import load_enrolments  # noqa: PLC0415 - see the imports

        with self._reading() as connection:
            cohort_id = self.cohort_ref(connection, cohort)[0]
            found = load_enrolments(self, connection, cohort_id, cohort, nip=nip)
        if not found:
            raise ParticipantNotFound(nip, hint=f"not enrolled in {cohort}")
        return found[0][1]

    def enrolments(self, cohort: str, states: Collection[str] | None = None) -> list[Enrolment]:
        """The cohort's enrolments (only those in ``states``, chosen in SQL), by enrolment."""
        from changeflow.store.sql.unit import load_enrolments  # noqa: PLC0415 - see the imports

        with self._reading() as connection:
            cohort_id = self.cohort_ref(connection, cohort)[0]
            loaded = load_enrolments(self, connection, cohort_id, cohort, states=states)
            return [e for _, e in loaded]

    def history(
        self,
        *,
        nip: str | None = None,
        cohort: str | None = None,
        event: str | None = None,
        actor: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[HistoryEntry]:
        """Audit entries, oldest first, filtered as the protocol says (in SQL; opened)."""
        query = sql.OPENED.add_columns(sql.COHORTS.c.code).join(
            sql.COHORTS, sql.COHORTS.c.id == sql.AUDIT.c.cohort_id
        )
        audit = sql.AUDIT.c
        if event is not None:
            query = query.where(audit.event == event)
        if actor is not None:
            query = query.where(audit.actor == actor)
        if since is not None:
            query = query.where(audit.at >= since)
        if until is not None:
            query = query.where(audit.at < until)
        with self._reading() as connection:
            if cohort is not None:
                query = query.where(sql.AUDIT.c.cohort_id == self.cohort_ref(connection, cohort)[0])
            if nip is not None:
                subject = connection.execute(sql.SUBJECT_OF, {"nip": nip}).first()
                if subject is None:
                    return []
                query = query.where(sql.AUDIT.c.nip == subject.id).order_by(sql.AUDIT.c.id)
            elif cohort is not None:
                query = query.order_by(sql.AUDIT.c.seq)
            else:
                query = query.order_by(sql.AUDIT.c.at, sql.COHORTS.c.code, sql.AUDIT.c.seq)
            from changeflow.store.sql.mapping import opened_from_row  # noqa: PLC0415 - see the imports

            found: list[HistoryEntry] = []
            try:
                for row in connection.execute(query):
                    found.append(opened_from_row(row, row.code))
            except _UNREADABLE as exc:
                if not _about_the_row(exc):
                    raise  # translated by _reading
                raise _unreadable(connection, query, len(found), exc) from exc
            return found

    def cohorts_of(self, nip: str) -> list[str]:
        """The cohorts whose trail holds an entry of the person, by code."""
        query = (
            select(sql.COHORTS.c.code)
            .join(sql.AUDIT, sql.AUDIT.c.cohort_id == sql.COHORTS.c.id)
            .join(sql.SUBJECTS, sql.SUBJECTS.c.id == sql.AUDIT.c.nip)
            .where(sql.SUBJECTS.c.nip == nip)
            .distinct()
        )
        with self._reading() as connection:
            return sorted(code for (code,) in connection.execute(query))

    def forget(self, nip: str) -> None:
        """Delete the person's subject (NIP and key) and any personal value left, at once."""
        with self._writing() as connection, translated():
            subject = connection.execute(sql.SUBJECT_OF, {"nip": nip}).first()
            if subject is not None:
                connection.execute(
                    delete(sql.PERSONAL).where(sql.PERSONAL.c.subject_id == subject.id)
                )
                connection.execute(delete(sql.SUBJECTS).where(sql.SUBJECTS.c.id == subject.id))
            connection.commit()
        if self.dialect == "sqlite":
            self._checkpoint()

    def _checkpoint(self) -> None:
        """Move the WAL into the file and truncate it: the erased pages leave the WAL.

        With ``secure_delete`` on, the deleted rows were zeroed in the pages written; this
        makes the file hold those pages and the WAL hold nothing. Best effort: a reader
        still holding an old snapshot keeps the WAL until its next checkpoint.
        """
        with self._reading() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    def former_hash(self, cohort: str, seq: int) -> str | None:
        """The hash entry ``seq`` had before schema 0005 re-sealed it (``None``: none)."""
        audit = sql.AUDIT.c
        with self._reading() as connection:
            cohort_id = self.cohort_ref(connection, cohort)[0]
            return connection.execute(
                select(audit.legacy_hash).where(audit.cohort_id == cohort_id, audit.seq == seq)
            ).scalar()

    def offices(self) -> list[Office]:
        """Every office known to the store, by code."""
        with self._reading() as connection:
            rows = connection.execute(select(sql.OFFICES).order_by(sql.OFFICES.c.code))
            return [self.office_of(row.code, row.name) for row in rows]

    def office_registry(self) -> list[RegisteredOffice]:
        """Every office by code, with its aliases and who added it when."""
        with self._reading() as connection:
            offices = connection.execute(select(sql.OFFICES).order_by(sql.OFFICES.c.code)).all()
            rows = connection.execute(select(sql.OFFICE_NAMES)).all()
        by_office: dict[str, list[Any]] = {}
        for row in rows:
            by_office.setdefault(row.office_code, []).append(row)
        return [_registered(office, by_office.get(office.code, [])) for office in offices]

    def register_offices(
        self, entries: Sequence[tuple[Office, Sequence[str]]], *, by: str | None, at: datetime
    ) -> None:
        """Add offices and aliases in one transaction; :class:`OfficeConflict` writes nothing."""
        from changeflow.offices import plan  # noqa: PLC0415 - see the imports

        with self._writing() as connection:
            if self.dialect == "postgresql":
                # One registration at a time: each judges the registry the last one left.
                connection.execute(text(f"SELECT pg_advisory_xact_lock({_REGISTRY_LOCK})"))
            lookup = _Lookup(connection)
            for office, aliases in entries:
                created, labels = plan(office, aliases, lookup)
                with translated():
                    if created is not None:
                        connection.execute(
                            insert(sql.OFFICES).values(code=created.code, name=created.name)
                        )
                    for label in labels:
                        connection.execute(
                            insert(sql.OFFICE_NAMES).values(
                                key=label.key,
                                office_code=office.code,
                                label=label.text,
                                kind=label.kind,
                                added_by=by,
                                added_at=at,
                            )
                        )
            with translated():
                connection.commit()

    def setting(self, name: str) -> str | None:
        """A store-wide setting (``None``: never set)."""
        return self._text_of(sql.SETTINGS.c.value, sql.SETTINGS.c.name == name)

    def set_setting(self, name: str, value: str, *, by: str | None, at: datetime) -> None:
        """Store a store-wide setting with who changed it and when."""
        changed = {"value": value, "changed_by": by, "changed_at": at}
        self._replace(sql.SETTINGS, "name", name, changed)

    def password_hash(self, login: str) -> str | None:
        """The password hash stored for ``login`` (``None``: no password set)."""
        return self._text_of(sql.CREDENTIALS.c.password_hash, sql.CREDENTIALS.c.login == login)

    def set_password_hash(self, login: str, hashed: str, *, by: str | None, at: datetime) -> None:
        """Store (or replace) ``login``'s password hash, with who set it and when."""
        changed = {"password_hash": hashed, "changed_by": by, "changed_at": at}
        self._replace(sql.CREDENTIALS, "login", login, changed)

    def _text_of(self, column: ColumnElement[str], where: ColumnElement[bool]) -> str | None:
        """The one row's ``column`` (``None`` without one): a store-wide value, by its key."""
        with self._reading() as connection:
            return connection.execute(select(column).where(where)).scalar()

    def _replace(self, table: Table, key: str, value: str, changed: dict[str, Any]) -> None:
        """Insert the row keyed ``value``, or overwrite its ``changed`` columns, committed."""
        statement = sql.dialect_insert(self.dialect, table).values({key: value, **changed})
        with self._writing() as connection, translated():
            connection.execute(statement.on_conflict_do_update(index_elements=[key], set_=changed))
            connection.commit()

    def trail(self, cohort: str) -> Iterator[tuple[HistoryEntry, str]]:
        """The cohort's audit rows as stored (sealed), with their stored hashes, in batches.

        A row that cannot be read raises :class:`UnreadableEntry` naming it, after every
        row before it was yielded (the batch it came in is read again row by row).
        """
        from changeflow.store.sql.mapping import entry_from_row  # noqa: PLC0415 - see the imports

        for row, entry in self._rows(cohort, select(sql.AUDIT), entry_from_row):
            yield entry, row.hash

    def opened(self, cohort: str, *, check: bool = False) -> Iterator[HistoryEntry]:
        """The cohort's entries in trail order, opened with their personal values, in batches.

        With ``check`` a value that does not match its commitment raises
        :class:`~changeflow.errors.SealBroken`.
        """
        from changeflow.store.sql.mapping import opened_from_row  # noqa: PLC0415 - see the imports

        def read(row: Any, code: str) -> HistoryEntry:
            return opened_from_row(row, code, check=check)

        for _, entry in self._rows(cohort, sql.OPENED, read):
            yield entry

    def _rows(
        self, cohort: str, base: Select[Any], read_row: Callable[[Any, str], HistoryEntry]
    ) -> Iterator[tuple[Any, HistoryEntry]]:
        """The cohort's audit rows of ``base`` in trail order, each read with ``read_row``."""
        with self._reading() as connection:
            cohort_id = self.cohort_ref(connection, cohort)[0]
            query = base.where(sql.AUDIT.c.cohort_id == cohort_id).order_by(
                sql.AUDIT.c.seq, sql.AUDIT.c.id
            )
            read = 0
            for batch in (_TRAIL_BATCH, 1):
                try:
                    # The result is closed even when the reader stops early (verify stops at
                    # the first bad row): on PostgreSQL it holds a server-side cursor.
                    with connection.execution_options(yield_per=batch).execute(
                        query.offset(read) if read else query
                    ) as rows:
                        for row in rows:
                            yield row, read_row(row, cohort)
                            read += 1
                except _UNREADABLE as exc:
                    if not _about_the_row(exc):
                        raise  # translated by _reading
                    error = exc
                else:
                    return
            raise _unreadable(connection, query, read, error) from error

    def head(self, cohort: str) -> Checkpoint:
        """The chain head kept on the cohort row, with the time of the entry it names."""
        query = select(sql.COHORTS.c.chain_seq, sql.COHORTS.c.chain_hash).where(
            sql.COHORTS.c.code == cohort
        )
        with self._reading() as connection:
            row = connection.execute(query).one_or_none()
            if row is None:
                raise CohortNotFound(cohort)
            try:
                at = connection.execute(_HEAD_TIME, {"code": cohort}).scalar()
            except _UNREADABLE as exc:
                if not _about_the_row(exc):
                    raise  # translated by _reading
                at = None  # a damaged row: verify names it, the head is still the head
        from changeflow.audit import Checkpoint  # noqa: PLC0415 - see the imports

        return Checkpoint(cohort, row.chain_seq, row.chain_hash, at)

    def projection(self, cohort: str) -> CohortProjection:
        """What the tables hold for the cohort, read afresh (no cache) for verification."""
        from changeflow.records import CohortProjection  # noqa: PLC0415 - see the imports
        from changeflow.states.definition import parse_definition  # noqa: PLC0415
        from changeflow.store.sql.mapping import cohort_from_document  # noqa: PLC0415
        from changeflow.store.sql.unit import load_enrolments  # noqa: PLC0415

        with self._reading() as connection:
            row = connection.execute(sql.COHORT_ROW, {"code": cohort}).one_or_none()
            if row is None:
                raise CohortNotFound(cohort)
            lifecycle = None
            if row.lifecycle_sha256 is not None:
                document = connection.execute(
                    select(sql.LIFECYCLES.c.document).where(
                        sql.LIFECYCLES.c.sha256 == row.lifecycle_sha256
                    )
                ).scalar_one_or_none()
                lifecycle = None if document is None else parse_definition(document).sha256
            members = {e.nip: e for _, e in load_enrolments(self, connection, row.id, cohort)}
            members.update(_officeless(connection, row.id, cohort))
            counters = connection.execute(sql.COHORT_SEATS, {"cohort_id": row.id})
            return CohortProjection(
                cohort,
                cohort_from_document(row.document),
                lifecycle,
                members,
                row.seated,
                {office: n for office, n in counters if n},
                {e.participant.office.code: e.participant.office.name for e in members.values()},
                _schedule_of(connection, row.id),
                _attendance_of(connection, row.id),
                {m.id: m.facts() for m in _staff_of(connection, row.id)},
            )

    # -- writing -------------------------------------------------------------------------

    @contextmanager
    def new_cohort(self, cohort: Cohort, lifecycle: LifecycleDefinition) -> Iterator[SqlUnit]:
        """A unit of work on a new cohort row, gone again unless the unit commits."""
        from changeflow.audit import GENESIS  # noqa: PLC0415 - see the imports

        with self._writing() as connection:
            self.keep_definition(connection, lifecycle)
            try:
                with translated():
                    connection.execute(
                        insert(sql.COHORTS).values(
                            code=cohort.code,
                            document=cohort.model_dump(mode="json"),
                            seated=0,
                            chain_seq=0,
                            chain_hash=GENESIS,
                            created_at=datetime.now(UTC),
                            lifecycle_sha256=lifecycle.sha256,
                        )
                    )
            except ConcurrentTransition as clash:
                raise AlreadyExists("cohort", cohort.code) from clash
            with self._locked(connection, cohort.code) as unit:
                yield unit

    @contextmanager
    def unit(self, cohort: str) -> Iterator[SqlUnit]:
        """A write transaction holding the cohort's lock; rolled back unless committed."""
        with self._writing() as connection, self._locked(connection, cohort) as unit:
            yield unit

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        with translated():
            connection = self.engine.connect().execution_options(changeflow_write=True)
        committed = False
        try:
            with translated():
                connection.begin()
            yield connection
            committed = not connection.in_transaction()
        finally:
            if not committed:
                # Already failing: a rollback error must not hide the first one.
                with suppress(sa_exc.SQLAlchemyError):
                    connection.rollback()
                # Offices and cohorts read inside a rolled-back unit may not exist after all.
                self._office_cache.clear()
            with suppress(sa_exc.SQLAlchemyError):
                connection.close()

    @contextmanager
    def _locked(self, connection: Connection, cohort: str) -> Iterator[SqlUnit]:
        # Inside translated(): a cohort not yet cached is read here, and a connection lost
        # during that read must surface as StoreUnavailable, not a driver error.
        with translated():
            row = connection.execute(sql.LOCK_COHORT, {"code": cohort}).one_or_none()
            if row is None:
                raise CohortNotFound(cohort)
            from changeflow.store.sql.unit import SqlUnit  # noqa: PLC0415 - see the imports

            unit = SqlUnit(self, connection, row)
        try:
            yield unit
        finally:
            if not unit.committed:
                self._cohorts.pop(cohort, None)


def _schedule_of(connection: Connection, cohort_id: int) -> dict[str, Any] | None:
    row = connection.execute(sql.SCHEDULE, {"cohort_id": cohort_id}).first()
    return None if row is None else dict(row.document)


def _staff_of(connection: Connection, cohort_id: int) -> list[StaffMember]:
    from changeflow.store.sql.mapping import staff_from_row  # noqa: PLC0415 - see the imports

    return [staff_from_row(r) for r in connection.execute(sql.ALL_STAFF, {"cohort_id": cohort_id})]


def _attendance_of(connection: Connection, cohort_id: int) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    for row in connection.execute(sql.ALL_ATTENDANCE, {"cohort_id": cohort_id}):
        found.setdefault(row.nip, {})[row.day.isoformat()] = row.status
    return found


_REGISTRY_LOCK = 0x6F6666696365  # "office": serialises office registrations on PostgreSQL


def _registered(office: Row[Any], names: list[Row[Any]]) -> RegisteredOffice:
    """An ``offices`` row as the registry lists it, from its ``office_names`` rows."""
    from changeflow.offices import RegisteredOffice  # noqa: PLC0415 - see the imports

    first = next((n for n in names if n.kind == "name"), None)
    return RegisteredOffice(
        code=office.code,
        name=office.name,
        aliases=tuple(sorted(n.label for n in names if n.kind == "alias")),
        added_by=None if first is None else first.added_by,
        added_at=None if first is None else first.added_at,
    )


class _Lookup:
    """The registry :func:`~changeflow.offices.plan` reads, inside the writer's transaction."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def _one(self, statement: Any, params: Mapping[str, Any]) -> Office | None:
        from changeflow.models import Office  # noqa: PLC0415 - see the imports

        with translated():
            row = self._connection.execute(statement, params).first()
        return None if row is None else Office.model_construct(code=row.code, name=row.name)

    def by_code(self, code: str) -> Office | None:
        return self._one(sql.OFFICE, {"code": code})

    def by_code_folded(self, text: str) -> Office | None:
        wanted = text.strip()
        if not wanted.isascii():
            return None  # codes are ASCII: nothing else folds onto one
        statement = select(sql.OFFICES).where(func.lower(sql.OFFICES.c.code) == wanted.lower())
        return self._one(statement, {})

    def by_key(self, key: str) -> Office | None:
        return self._one(sql.OFFICE_NAMED, {"key": key})
