"""Lost connections on PostgreSQL: terminated backends lose, double and leak nothing.

The load: worker threads, each with its own :class:`SqlStore` (reopened every few dozen
commands, so opening a store and reading a cohort not yet cached are hit too), run keyed
commands (enrol, start_class, for every second person a change project, for every third
withdraw), retrying a failed one
with the same idempotency key. A killer thread on a superuser connection terminates every
backend of the database (``pg_terminate_backend``, waiting for each to exit) at random
moments and samples ``pg_stat_activity`` in between. Afterwards:

- every exception a command raised is a retryable :class:`StoreError` (no driver exception
  escapes), and every attempt that overlapped no termination succeeded (pre-ping);
- each key has exactly one audit row, accepted (the retry returned the committed result or
  performed the command then), and one idempotency row;
- no session is idle in transaction and no pooled connection is checked out; the audit
  chains verify, every stored fact equals its chain's replay, and the seat counters equal
  the counts of seated enrolments.

Random moments rarely land on the few interesting instants, so two deterministic checks
pin them: a termination just before each statement of a keyed enrol, fire and data command
(and before their COMMIT), and a termination after the COMMIT took effect but before it was answered
(the commit waits for a synchronous standby that never comes), whose retry must return the
committed result without writing again. A last check terminates every pooled connection of
a long-lived store while idle: the next commands succeed without any error.

Lost connections are PostgreSQL's (an SQLite file has no server to lose), so every check
here is PostgreSQL only.
"""

from __future__ import annotations

import random
import threading
import time
import traceback
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import pytest
from psycopg import sql as pg_sql
from sqlalchemy import event, text
from sqlalchemy.engine import make_url

from changeflow import ChangeProject, Engine, Mentor
from changeflow.errors import StoreError, StoreUnavailable
from changeflow.records import COHORT_NIP
from changeflow.store.sql import SqlStore
from factories import make_cohort, make_nip, make_participant, office, trusted_engine
from reliability.figures import report
from reliability.ledger import stored_seats

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    import psycopg

    from changeflow.models import Participant
    from changeflow.records import HistoryEntry
    from postgres_server import PostgresServer

CODES = ("PKA-LOST-A", "PKA-LOST-B")
PROJECT = ChangeProject(title="Antrean daring", theme="pelayanan", mentor=Mentor(name="Kadis"))
OFFICES = 12
MAX_PEOPLE = 5_000  # per worker; far more than a run reaches (a guard, not a target)
MAX_TRIES = 40  # attempts of one command before the test gives up on it
IDLE_TX_BOUND = 5.0  # seconds: a unit holds its transaction for milliseconds, not seconds
THINK = 0.02  # seconds a writer pauses between commands, at most
SAMPLE_EVERY = 0.1  # seconds between two pg_stat_activity samples
POOLED = 4  # connections idle in the pool when they are all terminated
COMMIT_CASES = 6  # keyed commands (alternately enrol and start_class) cut off at COMMIT

# Terminates without waiting (pg_terminate_backend's own wait polls in 100 ms steps);
# _terminate waits for the backends to leave pg_stat_activity instead.
_KILL = (
    "SELECT coalesce(array_agg(pid) FILTER (WHERE pg_terminate_backend(pid)), '{}')"
    " FROM pg_stat_activity WHERE "
)
_TERMINATE = _KILL + "datname = %s AND pid <> pg_backend_pid()"
_TERMINATE_PID = _KILL + "pid = %s"
_TERMINATE_SYNC_WAITERS = _KILL + "datname = %s AND wait_event = 'SyncRep'"
_ALIVE = "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)"
_SAMPLE = (
    "SELECT count(*), count(*) FILTER (WHERE state = 'idle in transaction'),"
    " coalesce(max(extract(epoch FROM now() - state_change))"
    " FILTER (WHERE state = 'idle in transaction'), 0)"
    " FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()"
)
_IDLE_IN_TRANSACTION = (
    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND state = 'idle in transaction'"
)


@dataclass(frozen=True)
class Load:
    """The size of one run: writers, terminations and the pauses between them."""

    workers: int
    kills: int
    gap: tuple[float, float]  # seconds between two terminations, drawn uniformly
    reopen_every: int  # commands a worker runs on one store before opening a new one
    tail: float  # seconds of load after the last termination


REDUCED = Load(workers=4, kills=30, gap=(0.15, 0.5), reopen_every=40, tail=1.0)
FULL = Load(workers=6, kills=240, gap=(0.1, 0.4), reopen_every=40, tail=3.0)
LOADS = [
    pytest.param(REDUCED, id="30-kills"),
    pytest.param(FULL, id="240-kills", marks=pytest.mark.heavy),
]
IDLE_ROUNDS = [
    pytest.param(12, id="12-rounds"),
    pytest.param(120, id="120-rounds", marks=pytest.mark.heavy),
]


@dataclass(frozen=True)
class Command:
    """One keyed command; the key is also its audit reason, to find its rows afterwards."""

    key: str
    cohort: str
    person: Participant
    event: str  # "enrol", "register_project" or a lifecycle event

    def run(self, engine: Engine) -> HistoryEntry:
        """Carry the command out through ``engine``."""
        if self.event == "enrol":
            return engine.enrol(self.cohort, self.person, reason=self.key, key=self.key)
        if self.event == "register_project":
            return engine.register_project(
                self.cohort, self.person.nip, PROJECT, reason=self.key, key=self.key
            )
        return engine.fire(self.cohort, self.person.nip, self.event, reason=self.key, key=self.key)


@dataclass(frozen=True)
class Attempt:
    """One try of one command: when, and the exception it raised (``None``: it succeeded)."""

    key: str
    started: float
    ended: float
    error: str | None = None
    retryable: bool | None = None
    typed: bool = True  # a StoreError, as the library promises


@dataclass(frozen=True)
class Done:
    """A command's final result and whether an earlier, failed attempt had written it."""

    entry: HistoryEntry
    failures: int
    replayed: bool


def _person(worker: int, index: int) -> Participant:
    """A distinct eligible person per (worker, index), over ``OFFICES`` offices."""
    number = worker * MAX_PEOPLE + index
    born = date(1975, 1, 1) + timedelta(days=number // 900)
    nip = make_nip(born, appointed=(2000, 3), sequence=number % 900 + 1)
    return make_participant(born=born, nip=nip, office=office(number % OFFICES + 1))


def _commands(worker: int, index: int) -> list[Command]:
    """One person's commands: enrol, start_class, every second a project, every third withdraw."""
    person = _person(worker, index)
    cohort = CODES[(worker + index) % len(CODES)]
    events = ["enrol", "start_class"]
    events += ["register_project"] if index % 2 == 0 else []
    events += ["withdraw"] if index % 3 == 0 else []
    return [Command(f"{event}-{person.nip}", cohort, person, event) for event in events]


SHAPES = ("enrol", "start_class", "register_project")


def _same_shape(index: int) -> tuple[Command, ...]:
    """A keyed enrol, start_class and change project whose statements are the same for any index.

    One cohort, and an office of its own (created by the enrolment) for each person.
    """
    person = _person(7, index).model_copy(update={"office": office(100 + index)})
    return tuple(Command(f"{e}-{person.nip}", CODES[0], person, e) for e in SHAPES)


# -- the load ------------------------------------------------------------------------------


class Worker:
    """A writer thread: runs people's commands until stopped, retrying each with its key."""

    def __init__(self, number: int, url: str, load: Load, stop: threading.Event) -> None:
        """Open the worker's own store; nothing runs until :meth:`run`."""
        self.number = number
        self.url = url
        self.load = load
        self.stop = stop
        self.rng = random.Random(number)
        self.store: SqlStore | None = SqlStore(url)
        self.on_store = 0  # commands run on the current store
        self.opened = 1
        self.attempts: list[Attempt] = []
        self.done: dict[str, Done] = {}
        self.given_up: list[str] = []
        self.escaped: list[str] = []  # tracebacks of exceptions that are not StoreErrors

    def run(self) -> None:
        """Work through people until the killer is done and ``tail`` seconds have passed."""
        stopped_at: float | None = None
        for index in range(MAX_PEOPLE):
            if self.stop.is_set():
                stopped_at = stopped_at or time.perf_counter()
                if time.perf_counter() - stopped_at > self.load.tail:
                    return
            for command in _commands(self.number, index):
                self._perform(command)
                # Think time: a termination then often finds the connection idle in the
                # pool, where only pre-ping stands between it and the next command.
                time.sleep(self.rng.uniform(0, THINK))

    def _perform(self, command: Command) -> None:
        """Try ``command`` until it succeeds or fails with an error that is not retryable."""
        for failures in range(MAX_TRIES):
            wall = datetime.now(UTC)
            started = time.perf_counter()
            try:
                entry = command.run(trusted_engine(self._store()))
            except Exception as exc:  # noqa: BLE001 - every escape is recorded, then judged
                self.attempts.append(_failed(command.key, started, exc))
                if not isinstance(exc, StoreError):
                    self.escaped.append("".join(traceback.format_exception(exc)))
                if not (isinstance(exc, StoreError) and exc.retryable):
                    break
                time.sleep(self.rng.uniform(0, 0.02))
                continue
            self.attempts.append(Attempt(command.key, started, time.perf_counter()))
            # A result written before this attempt began came from a failed earlier one.
            self.done[command.key] = Done(entry, failures, replayed=entry.at < wall)
            return
        self.given_up.append(command.key)

    def _store(self) -> SqlStore:
        """The current store; a new one every ``reopen_every`` commands (opening may fail)."""
        if self.store is not None and self.on_store >= self.load.reopen_every:
            self.store.close()
            self.store = None
        if self.store is None:
            self.store = SqlStore(self.url)
            self.on_store = 0
            self.opened += 1
        self.on_store += 1
        return self.store

    def close(self) -> None:
        """Close the current store."""
        if self.store is not None:
            self.store.close()


def _failed(key: str, started: float, exc: Exception) -> Attempt:
    """The record of an attempt that raised ``exc``."""
    return Attempt(
        key,
        started,
        time.perf_counter(),
        error=type(exc).__name__,
        retryable=getattr(exc, "retryable", None),
        typed=isinstance(exc, StoreError),
    )


@dataclass
class Killer:
    """Terminates the database's backends at random moments and samples pg_stat_activity."""

    admin: psycopg.Connection[Any]
    dbname: str
    load: Load
    rng: random.Random = field(default_factory=lambda: random.Random(6))
    kills: list[tuple[float, float, int]] = field(default_factory=list)
    samples: int = 0
    max_sessions: int = 0
    max_idle_in_tx: int = 0
    max_idle_in_tx_age: float = 0.0

    def run(self, stop: threading.Event, finished: threading.Event) -> None:
        """``load.kills`` terminations, then set ``stop``; keep sampling until ``finished``."""
        try:
            for _ in range(self.load.kills):
                self._sample_for(self.rng.uniform(*self.load.gap))
                started = time.perf_counter()
                killed = _terminate_all(self.admin, self.dbname)
                self.kills.append((started, time.perf_counter(), killed))
        finally:
            stop.set()
        while not finished.is_set():
            self._sample_for(SAMPLE_EVERY)

    def _sample_for(self, seconds: float) -> None:
        """Sample the database's sessions every ``SAMPLE_EVERY`` for about ``seconds``."""
        until = time.perf_counter() + seconds
        while True:
            row = self.admin.execute(_SAMPLE, (self.dbname,)).fetchone()
            assert row is not None
            self.samples += 1
            self.max_sessions = max(self.max_sessions, int(row[0]))
            self.max_idle_in_tx = max(self.max_idle_in_tx, int(row[1]))
            self.max_idle_in_tx_age = max(self.max_idle_in_tx_age, float(row[2]))
            left = until - time.perf_counter()
            if left <= 0:
                return
            time.sleep(min(SAMPLE_EVERY, left))


def _run_load(server: PostgresServer, url: str, load: Load) -> tuple[list[Worker], Killer]:
    """Run the workers under the killer; both, for their records (stores still open)."""
    stop, finished = threading.Event(), threading.Event()
    workers = [Worker(n, url, load, stop) for n in range(load.workers)]
    admin = server.connect_admin()
    killer = Killer(admin, _dbname(url), load)
    threads = [threading.Thread(target=w.run, name=f"writer-{w.number}") for w in workers]
    killing = threading.Thread(target=killer.run, args=(stop, finished), name="killer")
    try:
        for thread in [*threads, killing]:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        stop.set()
        finished.set()
        killing.join()
        admin.close()
    return workers, killer


def _overlaps(attempt: Attempt, kills: list[tuple[float, float, int]]) -> bool:
    """Whether a termination was under way at some moment of the attempt."""
    return any(attempt.started <= end and attempt.ended >= start for start, end, _ in kills)


def _first_after_each_kill(
    workers: list[Worker], kills: list[tuple[float, float, int]]
) -> tuple[int, list[Attempt]]:
    """Per kill and worker, the first attempt begun after it: how many, and those that failed."""
    checked, failed = 0, []
    for number, (_, end, _) in enumerate(kills):
        following = kills[number + 1][0] if number + 1 < len(kills) else float("inf")
        for worker in workers:
            first = next((a for a in worker.attempts if a.started > end), None)
            # One that ran into the next termination proves nothing either way.
            if first is None or first.ended >= following:
                continue
            checked += 1
            if first.error is not None:
                failed.append(first)
    return checked, failed


# -- shared helpers ----------------------------------------------------------------------------


def _dbname(url: str) -> str:
    """The database name in a SQLAlchemy URL."""
    name = make_url(url).database
    assert name
    return name


def _idle_in_transaction(admin: psycopg.Connection[Any], dbname: str) -> int:
    """Sessions of the database idle in an open transaction right now."""
    row = admin.execute(_IDLE_IN_TRANSACTION, (dbname,)).fetchone()
    assert row is not None
    return int(row[0])


def _terminate(admin: psycopg.Connection[Any], query: str, argument: Any) -> int:
    """Terminate the backends ``query`` selects and wait until they are gone; how many.

    A backend sends its client the FATAL error before it leaves pg_stat_activity, so once
    it has left, the client's next use of that connection fails.
    """
    row = admin.execute(query, (argument,)).fetchone()
    assert row is not None
    pids = list(row[0])
    deadline = time.perf_counter() + 30
    while pids and (alive := admin.execute(_ALIVE, (pids,)).fetchone()) and alive[0]:
        assert time.perf_counter() < deadline, f"backends {pids} outlived their termination"
        time.sleep(0.002)
    return len(pids)


def _terminate_all(admin: psycopg.Connection[Any], dbname: str) -> int:
    """Terminate every backend of the database and wait until they are gone; how many."""
    return _terminate(admin, _TERMINATE, dbname)


def _setup(url: str) -> None:
    """Create the schema and the cohorts (room for everyone: quotas are not under test)."""
    store = SqlStore(url)
    try:
        engine = trusted_engine(store)
        for code in CODES:
            engine.create_cohort(make_cohort(code, capacity=100_000, max_per_office=100_000))
    finally:
        store.close()


def _stored(url: str, command: Command) -> HistoryEntry:
    """The audit entry a command wrote (found by its key, which is its reason)."""
    store = SqlStore(url)
    try:
        (entry,) = [e for e in store.history(nip=command.person.nip) if e.reason == command.key]
    finally:
        store.close()
    return entry


def _audit_by_key(store: SqlStore) -> tuple[dict[str, list[Any]], list[Any]]:
    """The audit rows: the participants' grouped by their reason (the command's key).

    Also the cohorts' own rows, as ``(code, seq, event)``. Read opened (the stored rows
    hold each reason's commitment, not the reason).
    """
    rows = defaultdict(list)
    cohort_rows = []
    for entry in store.history():
        row = SimpleNamespace(
            nip=entry.nip,
            reason=entry.reason,
            event=entry.event,
            code=entry.cohort,
            seq=entry.seq,
            outcome=entry.outcome,
        )
        if row.nip == COHORT_NIP:
            cohort_rows.append((row.code, row.seq, row.event))
        else:
            rows[row.reason].append(row)
    return rows, sorted(cohort_rows)


def _counters(store: SqlStore) -> tuple[dict[Any, int], dict[Any, int], dict[Any, int]]:
    """Stored seat counters per cohort and per (cohort, office), and the counts they summarise."""
    with store.engine.connect() as connection:
        cohorts, offices = stored_seats(connection)
        counted = {
            (r.code, r.office_code): r.n
            for r in connection.execute(
                text(
                    "SELECT c.code, e.office_code, count(*) AS n FROM enrolments e"
                    " JOIN cohorts c ON c.id = e.cohort_id WHERE e.seated"
                    " GROUP BY c.code, e.office_code"
                )
            )
        }
    return cohorts, offices, counted


def _check_data(url: str, done: dict[str, Done]) -> None:
    """Exactly one accepted audit row and one idempotency row per key; counters = counts."""
    store = SqlStore(url)
    try:
        audit, opening = _audit_by_key(store)
        assert opening == [(code, 1, "create_cohort") for code in sorted(CODES)], opening
        assert set(audit) == set(done), set(audit) ^ set(done)
        for key, result in done.items():
            rows = audit[key]
            assert len(rows) == 1, (key, rows)
            assert rows[0].outcome == "accepted", (key, rows)
            assert (rows[0].code, rows[0].seq) == (result.entry.cohort, result.entry.seq), key
        with store.engine.connect() as connection:
            keys = {k for (k,) in connection.execute(text("SELECT key FROM idempotency"))}
        assert keys == set(done)
        checks = trusted_engine(store).verify()  # the chains, and every stored fact against them
        assert all(check.ok for check in checks), [c.problem for c in checks if not c.ok]
        cohorts, offices, counted = _counters(store)
        assert {o: n for o, n in offices.items() if n} == counted
        for code in CODES:
            seated = sum(n for (c, _), n in counted.items() if c == code)
            assert cohorts[code] == seated, (code, cohorts[code], seated)
        withdrawn = sum(1 for k in done if k.startswith("withdraw-"))
        enrolled = sum(1 for k in done if k.startswith("enrol-"))
        assert sum(cohorts.values()) == enrolled - withdrawn
    finally:
        store.close()


# -- the load test ---------------------------------------------------------------------------


def _load_figures(workers: list[Worker], killer: Killer, started: float) -> dict[str, Any]:
    """What the run did, for the report."""
    attempts = [a for w in workers for a in w.attempts]
    failed = [a for a in attempts if a.error is not None]
    done = [d for w in workers for d in w.done.values()]
    return {
        "commands": len(done),
        "attempts": len(attempts),
        "faults": len(killer.kills),
        "backends_terminated": sum(n for _, _, n in killer.kills),
        "failed_attempts": len(failed),
        "errors": dict(Counter(a.error for a in failed)),
        "committed_then_failed": sum(d.replayed for d in done),
        "performed_on_retry": sum(1 for d in done if d.failures and not d.replayed),
        "stores_opened": sum(w.opened for w in workers),
        "samples": killer.samples,
        "max_sessions": killer.max_sessions,
        "max_idle_in_tx": killer.max_idle_in_tx,
        "max_idle_in_tx_age_s": round(killer.max_idle_in_tx_age, 3),
        "lost": sum(len(w.given_up) for w in workers),
        "duration_s": round(time.perf_counter() - started, 1),
    }


@pytest.mark.parametrize("load", LOADS)
def test_terminated_backends_lose_nothing(
    postgres_server: PostgresServer, pg_url: str, load: Load
) -> None:
    """Backends terminated mid-load: typed retryable errors only, each key applied once."""
    started = time.perf_counter()
    _setup(pg_url)
    workers, killer = _run_load(postgres_server, pg_url, load)
    try:
        with postgres_server.connect_admin() as admin:
            idle_in_tx_at_end = _idle_in_transaction(admin, _dbname(pg_url))
        checked_out = [w.store.engine.pool.checkedout() for w in workers if w.store is not None]
    finally:
        for worker in workers:
            worker.close()
    after_kill, failed_after_kill = _first_after_each_kill(workers, killer.kills)
    figures = _load_figures(workers, killer, started)
    report("lost connections", "postgresql", {**figures, "after_kill_ok": after_kill})
    failed = [a for w in workers for a in w.attempts if a.error is not None]
    escaped = [trace for w in workers for trace in w.escaped]
    assert len(killer.kills) == load.kills
    assert [w.given_up for w in workers] == [[]] * load.workers, "\n".join(escaped[:1])
    # No driver exception escapes: every failure is a typed, retryable StoreError.
    assert all(a.typed and a.retryable for a in failed), Counter(
        (a.error, a.typed, a.retryable) for a in failed
    )
    # The terminations did hit commands in flight (otherwise nothing here was tested).
    assert any(a.error == StoreUnavailable.__name__ for a in failed)
    # Pre-ping: an attempt that no termination overlapped never fails.
    unlucky = [a for a in failed if not _overlaps(a, killer.kills)]
    assert unlucky == [], unlucky[:5]
    assert failed_after_kill == [], failed_after_kill[:5]
    assert after_kill >= load.kills // 2
    assert idle_in_tx_at_end == 0
    assert checked_out == [0] * len(checked_out)
    assert killer.max_idle_in_tx <= load.workers  # at most one open unit per writer
    assert killer.max_idle_in_tx_age < IDLE_TX_BOUND
    _check_data(pg_url, {k: d for w in workers for k, d in w.done.items()})


# -- deterministic: a termination before each statement of a unit, and before COMMIT ---------


class StatementKiller:
    """Terminates a write unit's own backend just before its n-th statement (or its COMMIT)."""

    def __init__(self, store: SqlStore, admin: psycopg.Connection[Any], at: int) -> None:
        """Count the store's write statements; kill before number ``at`` (0: count only)."""
        self.store = store
        self.admin = admin
        self.at = at
        self.seen = 0
        self.fired = False
        event.listen(store.engine, "before_cursor_execute", self._statement)
        event.listen(store.engine, "commit", self._commit)

    def _statement(self, conn: Any, cursor: Any, *_: Any) -> None:
        if conn.get_execution_options().get("changeflow_write"):
            self._next(cursor.connection.info.backend_pid)

    def _commit(self, conn: Any) -> None:
        # The COMMIT counts as the statement after the last one.
        if conn.get_execution_options().get("changeflow_write"):
            self._next(conn.connection.dbapi_connection.info.backend_pid)

    def _next(self, pid: int) -> None:
        self.seen += 1
        if self.seen == self.at:
            assert _terminate(self.admin, _TERMINATE_PID, pid) == 1
            self.fired = True

    def remove(self) -> None:
        """Stop watching the store."""
        event.remove(self.store.engine, "before_cursor_execute", self._statement)
        event.remove(self.store.engine, "commit", self._commit)


def _statements_of(url: str, admin: psycopg.Connection[Any], command: Command) -> int:
    """How many statements (COMMIT included) ``command`` runs on a freshly opened store."""
    store = SqlStore(url)
    counter = StatementKiller(store, admin, at=0)
    try:
        command.run(trusted_engine(store))
    finally:
        counter.remove()
        store.close()
    return counter.seen


def _kill_at_each_statement(
    url: str, admin: psycopg.Connection[Any], make: Callable[[int], Command]
) -> tuple[dict[str, Done], int]:
    """Kill command ``i`` before its statement ``i``, for each; retry each; results, count."""
    total = _statements_of(url, admin, make(0))
    done: dict[str, Done] = {}
    for at in range(1, total + 1):
        command = make(at)
        store = SqlStore(url)  # cold: the cohort is not cached yet, so it is read in the unit
        killer = StatementKiller(store, admin, at)
        try:
            with pytest.raises(StoreUnavailable) as raised:
                command.run(trusted_engine(store))
            assert killer.fired
            assert raised.value.retryable
            killer.remove()
            wall = datetime.now(UTC)
            entry = command.run(trusted_engine(store))  # the same key, on the same store: pre-ping
            done[command.key] = Done(entry, 1, replayed=entry.at < wall)
        finally:
            store.close()
    return done, total


def test_termination_before_each_statement_is_typed_and_retried(
    postgres_server: PostgresServer, pg_url: str
) -> None:
    """Each statement (and the COMMIT) of a keyed enrol, fire and data command losing its link."""
    started = time.perf_counter()
    _setup(pg_url)
    results: dict[str, dict[str, Done]] = {}
    statements: dict[str, int] = {}
    with postgres_server.connect_admin() as admin:
        for shape, name in enumerate(SHAPES):
            results[name], statements[name] = _kill_at_each_statement(
                pg_url, admin, lambda i, shape=shape: _same_shape(i)[shape]
            )
        idle_in_tx = _idle_in_transaction(admin, _dbname(pg_url))
    done = {key: result for by_key in results.values() for key, result in by_key.items()}
    # The commands that counted the statements ran once, untouched.
    done.update({c.key: Done(_stored(pg_url, c), 0, replayed=False) for c in _same_shape(0)})
    report(
        "termination before each statement",
        "postgresql",
        {
            **{f"{name}_statements": n for name, n in statements.items()},
            "faults": sum(statements.values()),
            "retried_ok": sum(len(r) for r in results.values()),
            "replayed": sum(d.replayed for d in done.values()),
            "lost": 0,
            "duration_s": round(time.perf_counter() - started, 1),
        },
    )
    for name in SHAPES:
        assert len(results[name]) == statements[name], name
    # So that each later command's person was enrolled (and moved to class) above.
    assert statements["start_class"] < statements["enrol"]
    assert statements["register_project"] < statements["enrol"]
    # Nothing had committed: each retry performed its command.
    assert not any(d.replayed for d in done.values())
    assert idle_in_tx == 0
    _check_data(pg_url, done)


# -- deterministic: the connection lost after the COMMIT took effect ------------------------


@contextmanager
def _commits_wait_for_a_standby(
    server: PostgresServer, admin: psycopg.Connection[Any], dbname: str
) -> Iterator[None]:
    """Make every commit in ``dbname`` wait for a standby that never comes (then undo it).

    A commit waiting for synchronous replication has already committed locally; a backend
    terminated while it waits closes the connection without answering the COMMIT: exactly
    the commit whose outcome the client cannot know. Other databases keep the server's
    ``synchronous_commit = off`` and never wait.
    """
    if server.data_dir is None:
        pytest.skip("the server was not started by the suite: its settings are not ours")
    database = pg_sql.Identifier(dbname)
    admin.execute("ALTER SYSTEM SET synchronous_standby_names = 'changeflow_absent_standby'")
    admin.execute(pg_sql.SQL("ALTER DATABASE {} SET synchronous_commit = on").format(database))
    admin.execute("SELECT pg_reload_conf()")
    try:
        yield
    finally:
        admin.execute(pg_sql.SQL("ALTER DATABASE {} RESET synchronous_commit").format(database))
        admin.execute("ALTER SYSTEM RESET synchronous_standby_names")
        admin.execute("SELECT pg_reload_conf()")


def _kill_waiting_commit(
    admin: psycopg.Connection[Any], dbname: str, run: Callable[[], Any]
) -> BaseException | None:
    """Run ``run`` in a thread, terminate its backend once its COMMIT waits; what it raised.

    ``None`` when it finished without ever waiting (for a first command, the setting may
    not be in force yet).
    """
    raised: list[BaseException] = []

    def target() -> None:
        try:
            run()
        except Exception as exc:  # noqa: BLE001 - handed to the caller
            raised.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    deadline = time.perf_counter() + 30
    while thread.is_alive() and time.perf_counter() < deadline:
        if _terminate(admin, _TERMINATE_SYNC_WAITERS, dbname):
            thread.join(30)
            assert not thread.is_alive()
            assert raised, "the command survived the termination of its backend"
            return raised[0]
        time.sleep(0.01)
    thread.join(30)
    assert not thread.is_alive(), "the command never reached its COMMIT"
    assert not raised, raised
    return None


def _cut_at_commit(
    admin: psycopg.Connection[Any], url: str, engine: Engine, command: Command
) -> Done:
    """Run ``command``, cut its connection while its COMMIT waits, retry it; the result."""
    dbname = _dbname(url)
    wall = datetime.now(UTC)
    error = _kill_waiting_commit(admin, dbname, partial(command.run, engine))
    if error is None:  # it finished before commits had to wait: an ordinary success
        return Done(_stored(url, command), 0, replayed=False)
    assert isinstance(error, StoreUnavailable), repr(error)
    assert error.retryable
    retried = datetime.now(UTC)
    replay: list[HistoryEntry] = []
    # A replay commits nothing, so it does not wait; writing a second time would.
    again = _kill_waiting_commit(admin, dbname, lambda: replay.append(command.run(engine)))
    assert again is None, f"the retry of {command.key} wrote again: {again!r}"
    (entry,) = replay
    assert wall <= entry.at < retried  # written by the attempt that was cut off
    return Done(entry, 1, replayed=True)


def test_commit_lost_after_it_took_effect_is_replayed(
    postgres_server: PostgresServer, pg_url: str
) -> None:
    """A COMMIT that took effect but whose answer was lost: the retry returns its result."""
    started = time.perf_counter()
    _setup(pg_url)
    dbname = _dbname(pg_url)
    store = SqlStore(pg_url)
    done: dict[str, Done] = {}
    try:
        with (
            postgres_server.connect_admin() as admin,
            _commits_wait_for_a_standby(postgres_server, admin, dbname),
        ):
            store.engine.dispose()  # new sessions pick up the database's setting
            engine = trusted_engine(store)
            for index in range(COMMIT_CASES // 2):
                for command in _same_shape(500 + index):
                    done[command.key] = _cut_at_commit(admin, pg_url, engine, command)
            idle_in_tx = _idle_in_transaction(admin, dbname)
    finally:
        store.close()
    cut = sum(d.replayed for d in done.values())
    report(
        "commit lost after it took effect",
        "postgresql",
        {
            "commands": len(done),
            "faults": cut,
            "replayed": cut,
            "lost": 0,
            "duration_s": round(time.perf_counter() - started, 1),
        },
    )
    assert cut >= COMMIT_CASES - 1  # the first may finish before the setting is in force
    assert idle_in_tx == 0
    _check_data(pg_url, done)


# -- a long-lived store whose idle pooled connections were all terminated -----------------


def _fill_pool(store: SqlStore, count: int) -> int:
    """Leave ``count`` live connections idle in the store's pool; how many it holds."""
    connections = [store.engine.connect() for _ in range(count)]
    for connection in connections:
        connection.exec_driver_sql("SELECT 1")
    for connection in connections:
        connection.close()
    return int(store.engine.pool.checkedin())  # type: ignore[attr-defined]


def _concurrently(engine: Engine, commands: list[Command]) -> tuple[dict[str, Done], list[str]]:
    """Run the commands in threads at once; their results and the errors they raised."""
    done: dict[str, Done] = {}
    errors: list[str] = []
    barrier = threading.Barrier(len(commands))

    def call(command: Command) -> None:
        barrier.wait(30)
        try:
            done[command.key] = Done(command.run(engine), 0, replayed=False)
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=call, args=(c,)) for c in commands]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return done, errors


@pytest.mark.parametrize("rounds", IDLE_ROUNDS)
def test_idle_pool_terminated_next_command_succeeds(
    postgres_server: PostgresServer, pg_url: str, rounds: int
) -> None:
    """Every pooled connection of a long-lived store terminated while idle: no error after."""
    started = time.perf_counter()
    _setup(pg_url)
    dbname = _dbname(pg_url)
    store = SqlStore(pg_url)
    engine = trusted_engine(store)
    done: dict[str, Done] = {}
    terminated = 0
    people = iter(range(MAX_PEOPLE))
    try:
        with postgres_server.connect_admin() as admin:
            for round_no in range(rounds):
                pooled = _fill_pool(store, POOLED)
                assert pooled >= POOLED
                killed = _terminate_all(admin, dbname)
                assert killed == pooled  # the pool's connections are the database's only ones
                terminated += killed
                # Alternately the very next command alone, and several at once (each may
                # check out a different dead connection).
                batch = 1 if round_no % 2 == 0 else POOLED
                results, errors = _concurrently(
                    engine, [_commands(99, next(people))[0] for _ in range(batch)]
                )
                assert errors == [], errors
                done.update(results)
            idle_in_tx = _idle_in_transaction(admin, dbname)
        checked_out = store.engine.pool.checkedout()  # type: ignore[attr-defined]
    finally:
        store.close()
    report(
        "idle pool terminated",
        "postgresql",
        {
            "rounds": rounds,
            "faults": rounds,
            "backends_terminated": terminated,
            "commands": len(done),
            "errors": 0,
            "lost": 0,
            "duration_s": round(time.perf_counter() - started, 1),
        },
    )
    assert idle_in_tx == 0
    assert checked_out == 0
    _check_data(pg_url, done)


def test_a_bulk_step_losing_its_link_during_copy_writes_nothing_and_retries(
    postgres_server: PostgresServer, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bulk step's audit rows go by COPY; its backend terminated just before: nothing lost.

    The COPY runs on the driver's own connection, outside SQLAlchemy's events: the step is
    a typed retryable error, no participant moved and no entry written, the dropped
    connection is not handed out again, and the retry moves everyone with a chain that
    verifies.
    """
    from changeflow.store.sql import unit  # noqa: PLC0415 - the unit whose COPY is cut

    people = 150  # above the COPY threshold
    assert people >= unit._COPY_FROM
    store = SqlStore(pg_url)
    engine = trusted_engine(store)
    code = engine.create_cohort(make_cohort(code="PKA-COPY", capacity=people)).code
    with engine.batch(code):
        for i in range(people):
            engine.enrol(code, make_participant(office=office(i)))
    copy = unit.SqlUnit._copy
    with postgres_server.connect_admin() as admin:

        def cut(self: Any, statement: str, rows: list[tuple[Any, ...]]) -> None:
            pid = self._connection.connection.driver_connection.info.backend_pid
            assert _terminate(admin, _TERMINATE_PID, pid) == 1
            copy(self, statement, rows)

        monkeypatch.setattr(unit.SqlUnit, "_copy", cut)
        with pytest.raises(StoreUnavailable) as raised:
            engine.advance(code, "start_class")
    assert raised.value.retryable
    monkeypatch.setattr(unit.SqlUnit, "_copy", copy)
    assert {e.state for e in engine.participants(code)} == {"enrolled"}
    assert len(engine.history(cohort=code)) == 1 + people
    report_ = engine.advance(code, "start_class")
    assert len(report_.accepted) == people
    assert {e.state for e in engine.participants(code)} == {"on_class"}
    assert all(check.ok for check in engine.verify(code))
    store.close()
