"""Durable figures: changeflow's SQL store against bare drivers, Core and the ORM.

Each backend is measured on databases of its own: SQLite files (WAL, ``synchronous=FULL``
on both sides, changeflow's default) or databases of the throwaway PostgreSQL server the
tests use (fsync off there, for both sides alike). The anchors write *the same* rows
into changeflow's own schema (created by :class:`SqlStore`, seeded the same way): per
participant the enrolment's UPDATE (state, version and flags, checked on the version) and
a full audit row (with a fixed hash: no chaining, no idempotency record, no counters). A
lean two-table schema (``p``: id, state, version; ``a``: six columns) is measured too, to
show what changeflow's indexes and wider rows cost by themselves.
"""

from __future__ import annotations

import sqlite3
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Integer,
    String,
    bindparam,
    create_engine,
    event,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from benchmarks.common import (
    CODE,
    NOW,
    STAFF,
    STAFF_ID,
    clock,
    cohort,
    interleaved,
    nip,
    office,
    people,
    timed,
)
from changeflow import DEFAULT_LIFECYCLE, Engine
from changeflow.audit import GENESIS
from changeflow.personal import Subject
from changeflow.store.sql import SqlStore, tables

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    from sqlalchemy import Engine as SaEngine

    from benchmarks.common import Results

CHUNK = 20_000
HASH = "0" * 64
SQLITE_AT = f"{NOW:%Y-%m-%d %H:%M:%S}.{NOW.microsecond:06d}"  # as SQLAlchemy stores it
_enrolments = tables.ENROLMENTS
_audit = tables.AUDIT


class _Mapped(DeclarativeBase):
    """The ORM contenders' classes, mapped onto changeflow's own (Core) tables."""


class AuditRow(_Mapped):
    """An audit row as an ORM object."""

    __table__ = tables.AUDIT


class EnrolmentRow(_Mapped):
    """An enrolment row as an ORM object."""

    __table__ = tables.ENROLMENTS


Member = tuple[int, int, str]
"""An enrolment's row id, its cohort's row id and its NIP."""


# -- seeding changeflow's own tables ------------------------------------------------------


def seed(
    store: SqlStore,
    *,
    cohorts: int,
    per_cohort: int,
    offices: int,
    codes: Sequence[str] = (),
) -> None:
    """Load cohorts of enrolled participants straight into the tables (not measured).

    Cohorts are coded from ``codes``, then ``SEED-n``, pinned to the default lifecycle;
    offices are shared, and the seat counters on the cohorts and per (cohort, office) are
    filled in as the engine would have left them. No audit entry is written: a seeded
    cohort's chain is empty, so it would not verify (nothing here verifies).
    """
    names = [*codes, *(f"SEED-{c}" for c in range(len(codes), cohorts))][:cohorts]
    with store.engine.begin() as connection:
        connection.execute(insert(tables.OFFICES), [office(i).model_dump() for i in range(offices)])
        # The schema's migrations store only the lifecycles they pin (a frozen version 2):
        # store the default the seeds are pinned to, as creating a cohort would.
        store.keep_definition(connection, DEFAULT_LIFECYCLE)
        connection.execute(
            insert(tables.COHORTS),
            [
                {
                    "code": code,
                    "document": cohort(code, per_cohort).model_dump(mode="json"),
                    "seated": per_cohort,
                    "chain_seq": 0,
                    "chain_hash": GENESIS,
                    "created_at": NOW,
                    "lifecycle_sha256": DEFAULT_LIFECYCLE.sha256,
                }
                for code in names
            ],
        )
        ids = dict(
            connection.execute(select(tables.COHORTS.c.code, tables.COHORTS.c.id)).tuples().all()
        )
        # The default lifecycle says who may do what: the benchmarks act as this staff member.
        roles = ",".join(sorted(STAFF.roles))
        connection.execute(
            insert(tables.STAFF),
            [
                {"cohort_id": i, "actor": STAFF_ID, "name": STAFF.name, "roles": roles}
                for i in ids.values()
            ],
        )
        counters: dict[tuple[int, int], int] = {}
        for start, stop in _chunks(cohorts * per_cohort):
            rows = []
            for i in range(start, stop):
                cohort_id = ids[names[i // per_cohort]]
                where = i % offices
                counters[cohort_id, where] = counters.get((cohort_id, where), 0) + 1
                rows.append(_enrolment_row(cohort_id, nip(i), i, where))
            connection.execute(insert(tables.ENROLMENTS), rows)
            # Each enrolled person has a subject (their pseudonym and key), as enrolling
            # through the engine leaves them.
            subjects = [Subject.new(nip(i)) for i in range(start, stop)]
            connection.execute(
                insert(tables.SUBJECTS),
                [{"id": s.id, "nip": s.nip, "key": s.key} for s in subjects],
            )
        connection.execute(
            insert(tables.SEATS),
            [
                {"cohort_id": c, "office_code": office(o).code, "seated": seated}
                for (c, o), seated in counters.items()
            ],
        )


def members(engine: SaEngine, code: str) -> list[Member]:
    """``(row id, cohort id, NIP)`` of every enrolment of cohort ``code``, in row order."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(_enrolments.c.id, _enrolments.c.cohort_id, _enrolments.c.nip)
            .join(tables.COHORTS, tables.COHORTS.c.id == _enrolments.c.cohort_id)
            .where(tables.COHORTS.c.code == code)
            .order_by(_enrolments.c.id)
        )
        return [(row_id, cohort_id, number) for row_id, cohort_id, number in rows]


def seeded(url: str, *, cohorts: int, per_cohort: int, codes: Sequence[str]) -> None:
    """Create changeflow's schema at ``url`` and seed it (the store is closed again)."""
    store = SqlStore(url)
    try:
        seed(store, cohorts=cohorts, per_cohort=per_cohort, offices=50, codes=codes)
    finally:
        store.close()


def _chunks(total: int) -> Iterator[tuple[int, int]]:
    for start in range(0, total, CHUNK):
        yield start, min(start + CHUNK, total)


def _enrolment_row(cohort_id: int, number: str, i: int, where: int) -> dict[str, Any]:
    return {
        "cohort_id": cohort_id,
        "nip": number,
        "name": f"Peserta {i}",
        "office_code": office(where).code,
        "echelon": "III.a",
        "birth_date": date(int(number[:4]), int(number[4:6]), int(number[6:8])),
        "retirement_age": None,
        "state": "enrolled",
        "version": 1,
        "revisions": 0,
        "active": True,
        "seated": True,
        "completed": False,
        "group_no": None,
    }


def bare_engine(url: str) -> SaEngine:
    """A plain SQLAlchemy engine; on SQLite with the same journal and sync as changeflow."""
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

    return engine


# -- the same rows, written bare --------------------------------------------------------------

_CORE_MOVE = (
    update(_enrolments)
    .where(_enrolments.c.id == bindparam("b_id"), _enrolments.c.version == bindparam("b_old"))
    .values(
        state=bindparam("b_state"),
        version=bindparam("b_version"),
        revisions=bindparam("b_revisions"),
        active=bindparam("b_active"),
        seated=bindparam("b_seated"),
        completed=bindparam("b_completed"),
    )
)
_CORE_AUDIT = insert(_audit)
_DRIVER_MOVE = (
    "UPDATE enrolments SET state = ?, version = ?, revisions = ?, active = ?, seated = ?, "
    "completed = ? WHERE id = ? AND version = ?"
)
_AUDIT_COLUMNS = (
    "cohort_id, seq, at, nip, event, source, target, outcome, actor, reason, payload, "
    "violations, data, effective_date, hash"
)
_DRIVER_AUDIT = f"INSERT INTO audit ({_AUDIT_COLUMNS}) VALUES ({', '.join('?' * 15)})"  # noqa: S608


_AUDIT_CONSTANTS = (
    "start_class",
    "enrolled",
    "on_class",
    "accepted",
    "bkd",
    None,
    None,
    None,
    None,
    None,
    HASH,
)


def _move_params(row_id: int) -> dict[str, Any]:
    return {
        "b_id": row_id,
        "b_old": 1,
        "b_state": "on_class",
        "b_version": 2,
        "b_revisions": 0,
        "b_active": True,
        "b_seated": True,
        "b_completed": False,
    }


def _audit_params(member: Member) -> dict[str, Any]:
    row_id, cohort_id, number = member
    return {
        "cohort_id": cohort_id,
        "seq": row_id,
        "at": NOW,
        "nip": number,
        "event": "start_class",
        "source": "enrolled",
        "target": "on_class",
        "outcome": "accepted",
        "actor": "bkd",
        "reason": None,
        "payload": None,
        "violations": None,
        "data": None,
        "effective_date": None,
        "hash": HASH,
    }


def _driver_connect(url: str) -> Any:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        connection = sqlite3.connect(str(parsed.database))
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=FULL")
        connection.execute("PRAGMA foreign_keys=ON")
        return connection
    import psycopg  # noqa: PLC0415 - only with PostgreSQL

    return psycopg.connect(
        host=parsed.host,
        port=parsed.port,
        user=parsed.username,
        password=parsed.password,
        dbname=parsed.database,
    )


def _driver_loop(url: str, chosen: list[Member]) -> float:
    connection = _driver_connect(url)
    on_sqlite = isinstance(connection, sqlite3.Connection)
    mark = "?" if on_sqlite else "%s"
    move_sql, audit_sql = _DRIVER_MOVE.replace("?", mark), _DRIVER_AUDIT.replace("?", mark)
    at = SQLITE_AT if on_sqlite else NOW

    def run() -> None:
        for row_id, cohort_id, number in chosen:
            connection.execute(move_sql, ("on_class", 2, 0, True, True, False, row_id, 1))
            connection.execute(
                audit_sql,
                (cohort_id, row_id, at, number, *_AUDIT_CONSTANTS),
            )
            connection.commit()

    try:
        return timed(run)
    finally:
        connection.close()


def _core_loop(engine: SaEngine, chosen: list[Member]) -> float:
    with engine.connect() as connection:

        def run() -> None:
            for member in chosen:
                connection.execute(_CORE_MOVE, _move_params(member[0]))
                connection.execute(_CORE_AUDIT, _audit_params(member))
                connection.commit()

        return timed(run)


def _orm_audit(member: Member) -> AuditRow:
    return AuditRow(**_audit_params(member))


def _orm_loop(engine: SaEngine, chosen: list[Member]) -> float:
    with Session(engine) as session:

        def run() -> None:
            for member in chosen:
                row = session.get(EnrolmentRow, member[0])
                if row is None:
                    raise RuntimeError(f"no enrolment {member[0]}")
                row.state, row.version = "on_class", row.version + 1
                session.add(_orm_audit(member))
                session.commit()

        return timed(run)


def _core_many(engine: SaEngine, chosen: list[Member]) -> float:
    with engine.connect() as connection:

        def run() -> None:
            connection.execute(_CORE_MOVE, [_move_params(m[0]) for m in chosen])
            connection.execute(_CORE_AUDIT, [_audit_params(m) for m in chosen])
            connection.commit()

        return timed(run)


def _set_based(engine: SaEngine, cohort_id: int) -> float:
    at = bindparam("at", NOW, type_=_audit.c.at.type)
    copy = text(
        "INSERT INTO audit (cohort_id, seq, at, nip, event, source, target, outcome, actor, "
        "hash) SELECT cohort_id, id, :at, nip, 'start_class', 'enrolled', 'on_class', "
        "'accepted', 'bkd', :h FROM enrolments WHERE cohort_id = :c AND state = 'enrolled'"
    ).bindparams(at)
    move = text(
        "UPDATE enrolments SET state = 'on_class', version = version + 1 "
        "WHERE cohort_id = :c AND state = 'enrolled'"
    )
    with engine.connect() as connection:

        def run() -> None:
            connection.execute(copy, {"h": HASH, "c": cohort_id})
            connection.execute(move, {"c": cohort_id})
            connection.commit()

        return timed(run)


def _orm_bulk(engine: SaEngine, cohort_id: int) -> float:
    with Session(engine) as session:

        def run() -> None:
            rows = session.scalars(
                select(EnrolmentRow).where(
                    EnrolmentRow.cohort_id == cohort_id, EnrolmentRow.state == "enrolled"
                )
            ).all()
            for row in rows:
                row.state, row.version = "on_class", row.version + 1
                session.add(_orm_audit((row.id, cohort_id, row.nip)))
            session.commit()

        return timed(run)


# -- the lean two-table schema ----------------------------------------------------------------


class _Base(DeclarativeBase):
    pass


class _P(_Base):
    __tablename__ = "p"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    state: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)


class _A(_Base):
    __tablename__ = "a"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    pid: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    event: Mapped[str] = mapped_column(String(64))
    at: Mapped[str] = mapped_column(String(40))
    hash: Mapped[str] = mapped_column(String(64))


def lean_tables(engine: SaEngine, n: int) -> None:
    """(Re)create the lean tables with n participants in ``enrolled``."""
    _Base.metadata.drop_all(engine)
    _Base.metadata.create_all(engine)
    with engine.begin() as connection:
        for start, stop in _chunks(n):
            connection.execute(
                insert(_P),
                [{"id": i, "state": "enrolled", "version": 1} for i in range(start, stop)],
            )


_LEAN_UPDATE = text("UPDATE p SET state = 'on_class', version = version + 1 WHERE id = :i")
_LEAN_INSERT = text(
    "INSERT INTO a (id, pid, seq, event, at, hash) VALUES (:i, :i, :i, 'start_class', :at, :h)"
)


def _lean_loop(engine: SaEngine, ids: range) -> float:
    with engine.connect() as connection:

        def run() -> None:
            for i in ids:
                connection.execute(_LEAN_UPDATE, {"i": i})
                connection.execute(_LEAN_INSERT, {"i": i, "at": SQLITE_AT, "h": HASH})
                connection.commit()

        return timed(run)


def _lean_many(engine: SaEngine, n: int) -> float:
    with engine.connect() as connection:

        def run() -> None:
            connection.execute(_LEAN_UPDATE, [{"i": i} for i in range(n)])
            connection.execute(
                _LEAN_INSERT, [{"i": i, "at": SQLITE_AT, "h": HASH} for i in range(n)]
            )
            connection.commit()

        return timed(run)


# -- one backend --------------------------------------------------------------------------


class Backend:
    """Where a backend's databases come from: SQLite files in a folder, or a PG server."""

    def __init__(
        self,
        name: str,
        make: Callable[[str], str],
        drop: Callable[[str], None],
        clone: Callable[[str, str], str],
    ) -> None:
        self.name = name
        self._make = make
        self._drop = drop
        self._clone = clone

    def database(self, label: str) -> str:
        """A fresh, empty database's URL."""
        return self._make(label)

    def clone(self, source: str, label: str) -> str:
        """A copy of database ``source`` (nobody connected to it) as ``label``; its URL."""
        return self._clone(source, label)

    def discard(self, label: str) -> None:
        """Remove a database made by :meth:`database` (its connections closed first)."""
        self._drop(label)


def fire(results: Results, backend: Backend, fires: int, rounds: int) -> None:
    """Targets 4 and 6a: one transaction per transition, ours and the bare anchors."""
    total = fires * rounds
    names = ("ours", "driver", "core", "orm", "lean")
    urls = {name: backend.database(f"fire_{name}") for name in names}
    engines = {name: bare_engine(urls[name]) for name in ("driver", "core", "orm", "lean")}
    store = normal = None
    # On SQLite a third share of the participants is fired with synchronous=NORMAL.
    sqlite = backend.name == "sqlite"
    try:
        seeded(urls["ours"], cohorts=1, per_cohort=(3 if sqlite else 2) * total, codes=[CODE])
        for name in ("driver", "core", "orm"):
            seeded(urls[name], cohorts=1, per_cohort=total, codes=[CODE])
        lean_tables(engines["lean"], total)
        rows = {name: members(engines[name], CODE) for name in ("driver", "core", "orm")}
        store = SqlStore(urls["ours"])
        nips = [m[2] for m in members(store.engine, CODE)]
        engine = Engine(store, clock=clock())
        if sqlite:
            normal = SqlStore(urls["ours"], synchronous="NORMAL")
        relaxed = Engine(normal, clock=clock()) if normal is not None else engine

        def ours(r: int, *, keyed: bool = True, share: int = 0) -> float:
            first = r * fires + (0 if keyed else total) + share * total
            chosen = nips[first : first + fires]
            firing = relaxed if share else engine

            def run() -> None:
                for number in chosen:
                    key = f"fire-{number}" if keyed else None
                    firing.fire(CODE, number, "start_class", actor=STAFF_ID, key=key)

            return timed(run)

        def mine(name: str, r: int) -> list[Member]:
            return rows[name][r * fires : (r + 1) * fires]

        contenders: dict[str, Callable[[int], float]] = {
            "ours": ours,
            "ours_nokey": lambda r: ours(r, keyed=False),
            "driver": lambda r: _driver_loop(urls["driver"], mine("driver", r)),
            "core": lambda r: _core_loop(engines["core"], mine("core", r)),
            "orm": lambda r: _orm_loop(engines["orm"], mine("orm", r)),
            "lean": lambda r: _lean_loop(engines["lean"], range(r * fires, (r + 1) * fires)),
        }
        if sqlite:
            contenders["ours_normal"] = lambda r: ours(r, share=2)
        runs = interleaved(contenders, rounds)
    finally:
        for opened in (store, normal):
            if opened is not None:
                opened.close()
        for bare in engines.values():
            bare.dispose()
        for name in names:
            backend.discard(f"fire_{name}")
    driver = "sqlite3" if backend.name == "sqlite" else "psycopg"
    per = {name: [v / fires * 1e6 for v in values] for name, values in runs.items()}
    prefix = f"{backend.name}.fire"
    labels = {
        "ours": f"changeflow Engine.fire on {backend.name} (own transaction, chained audit row, "
        "idempotency key, counters), per call",
        "ours_nokey": "the same without an idempotency key, per call",
        "driver": f"bare {driver}: the same UPDATE + audit INSERT + COMMIT, per call",
        "core": "bare SQLAlchemy Core: the same UPDATE + audit INSERT + COMMIT, per call",
        "orm": "SQLAlchemy ORM: get + change + add audit row + commit, per call",
        "lean": "bare Core UPDATE+INSERT+COMMIT on a lean two-table schema, per call",
        "ours_normal": "changeflow Engine.fire with synchronous=NORMAL (WAL; see docs/store.md: "
        "may lose the last commits on a power cut), per call",
    }
    for name, label in labels.items():
        if name in per:
            results.add(f"{prefix}.{name}", label, "us", per[name])


ORM_BULK = 20_000
"""The ORM's bulk step is read, not steered by: measured on this many, scaled linearly."""


def bulk(results: Results, backend: Backend, n: int, rounds: int) -> None:
    """Targets 5 and 6b: one step of n participants, ours and the bare anchors.

    Every database holds one cohort of n per round (seeded once); round r steps cohort r.
    The ORM runs one round on at most :data:`ORM_BULK` participants, scaled to n.
    """
    orm_n = min(n, ORM_BULK)
    codes = [f"{CODE}-{r}" for r in range(rounds)]
    urls: dict[str, str] = {}
    engines: dict[str, SaEngine] = {}
    store = None
    try:
        # Seeded once, then copied (a file copy, or CREATE DATABASE ... TEMPLATE).
        urls["ours"] = backend.database("bulk_ours")
        seeded(urls["ours"], cohorts=rounds, per_cohort=n, codes=codes)
        for name in ("core", "set"):
            urls[name] = backend.clone("bulk_ours", f"bulk_{name}")
        urls["orm"] = backend.database("bulk_orm")
        seeded(urls["orm"], cohorts=1, per_cohort=orm_n, codes=codes[:1])
        urls["lean"] = backend.database("bulk_lean")
        engines.update({name: bare_engine(urls[name]) for name in ("core", "set", "orm", "lean")})
        store = SqlStore(urls["ours"])
        engine = Engine(store, clock=clock())

        def ours(r: int) -> float:
            report = None

            def run() -> None:
                nonlocal report
                report = engine.advance(codes[r], "start_class", actor=STAFF_ID)

            seconds = timed(run)
            if report is None or len(report.accepted) != n:
                raise RuntimeError("the bulk advance did not move every participant")
            return seconds

        def core(r: int) -> float:
            return _core_many(engines["core"], members(engines["core"], codes[r]))

        def set_based(r: int) -> float:
            return _set_based(engines["set"], members(engines["set"], codes[r])[0][1])

        def orm(r: int) -> float:
            cohort_id = members(engines["orm"], codes[r])[0][1]
            return _orm_bulk(engines["orm"], cohort_id) * n / orm_n

        def lean(_round: int) -> float:
            lean_tables(engines["lean"], n)
            return _lean_many(engines["lean"], n)

        runs = interleaved(
            {"ours": ours, "core": core, "set": set_based, "orm": orm, "lean": lean},
            rounds,
            limits={"orm": 1},  # read, not steered by: one round keeps the run short
        )
    finally:
        if store is not None:
            store.close()
        for bare in engines.values():
            bare.dispose()
        for name in urls:
            backend.discard(f"bulk_{name}")
    prefix = f"{backend.name}.bulk"
    labels = {
        "ours": f"changeflow Engine.advance of {n:,} participants one step on {backend.name}",
        "core": f"bare Core executemany of the same {n:,} UPDATEs + {n:,} audit INSERTs",
        "set": "set-based SQL: audit INSERT ... SELECT + UPDATE ... WHERE state=...",
        "orm": f"SQLAlchemy ORM: load, change each, add audit rows, one commit (for {n:,}"
        + ("" if orm_n == n else f"; measured on {orm_n:,}, scaled")
        + ")",
        "lean": f"bare Core executemany of {n:,} UPDATEs + INSERTs on a lean two-table schema",
    }
    for name, label in labels.items():
        results.add(f"{prefix}.{name}", label, "s", runs[name])


# -- target 7: scale ------------------------------------------------------------------------


def scale(
    results: Results,
    backend: Backend,
    *,
    small: int,
    large: int,
    per_cohort: int,
    enrols: int,
    rounds: int,
) -> None:
    """Target 7: one enrolment with ``small`` vs ``large`` participants already stored."""
    offices = 200
    sizes = {"small": small, "large": large}
    stores: dict[str, SqlStore] = {}
    engines: dict[str, Engine] = {}
    target = "TARGET"
    try:
        for name, stored in sizes.items():
            store = stores[name] = SqlStore(backend.database(f"scale_{name}"))
            cohorts = max(stored // per_cohort, 1)
            seconds = timed(
                lambda s=store, c=cohorts, st=stored: seed(
                    s, cohorts=c, per_cohort=st // c, offices=offices
                )
            )
            results.note(
                f"seeded {stored:,} stored participants in {cohorts:,} cohorts over {offices} "
                f"offices ({seconds:.1f} s, not measured)"
            )
            engines[name] = Engine(store, clock=clock())
            engines[name].create_cohort(cohort(target, (rounds + 1) * enrols + 10), actor=STAFF_ID)
            for person in people(5, first=90_000_000 + len(engines) * 1_000):  # warm, untimed
                engines[name].enrol(target, person, actor=STAFF_ID)

        def contender(name: str) -> Callable[[int], float]:
            def run(r: int) -> float:
                first = 100_000_000 + r * enrols + (0 if name == "small" else 50_000_000)
                group = people(enrols, first=first, offices=offices)
                enrol = engines[name].enrol

                def go() -> None:
                    for person in group:
                        enrol(target, person, actor=STAFF_ID)

                return timed(go) / enrols * 1e6

            return run

        runs = interleaved({name: contender(name) for name in sizes}, rounds)
    finally:
        for name, store in stores.items():
            store.close()
            backend.discard(f"scale_{name}")
    for name, stored in sizes.items():
        results.add(
            f"sqlite.scale.{name}",
            f"changeflow Engine.enrol on SQLite with {stored:,} participants stored, per call",
            "us",
            runs[name],
        )
