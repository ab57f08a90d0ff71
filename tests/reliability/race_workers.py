"""Worker functions for the multi-process race tests, importable by spawned processes.

Each worker builds its own :class:`~changeflow.store.sql.SqlStore` and
:class:`~changeflow.Engine` on the shared database URL, waits at the pool's barrier so every
process starts writing at the same moment, and returns plain tuples describing what
happened to each attempt (never raising: an unexpected exception is recorded by type).

:class:`NaiveSqlStore` is the control: a unit of work that does not serialise writers, used
to prove the harness catches an implementation that judges quotas on stale counts.
"""

from __future__ import annotations

import time
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import exc as sa_exc
from sqlalchemy import func, select

from changeflow.errors import CohortNotFound, TransitionRejected
from changeflow.rules.registry import RuleRegistry
from changeflow.rules.verdict import Verdict
from changeflow.states.default import DEFAULT_LIFECYCLE
from changeflow.states.definition import LifecycleDefinition
from changeflow.store.sql import SqlStore, SqlUnit, tables
from changeflow.store.sql.errors import translated
from factories import trusted_engine

if TYPE_CHECKING:
    from collections.abc import Iterator
    from multiprocessing.synchronize import Barrier

    from changeflow import Engine
    from changeflow.models import Participant
    from changeflow.rules.context import RuleContext

__all__ = [
    "BARRIER_TIMEOUT",
    "PAUSING",
    "NaiveSqlStore",
    "Outcome",
    "PauseRule",
    "enrol_batch",
    "fire_once",
    "init_worker",
    "paused_engine",
    "timed_enrol",
]

BARRIER_TIMEOUT = 60.0
"""Seconds a worker waits at the start line before giving up (a broken barrier)."""

Outcome = tuple[str, str, tuple[str, ...], str]
"""``(nip, "accepted" | "refused" | "error", violation codes, "ErrorType: message")``."""

_barrier: Barrier | None = None

_cohorts = tables.COHORTS
_enrolments = tables.ENROLMENTS


def init_worker(barrier: Barrier) -> None:
    """Pool initializer: keep the shared start-line barrier for the tasks of this process."""
    global _barrier  # noqa: PLW0603 - one barrier per worker process, set once
    _barrier = barrier


def _start_line() -> float:
    """Wait until every worker of the race is ready; the moment the race started."""
    if _barrier is None:
        raise RuntimeError("the pool was not started with init_worker")
    _barrier.wait(BARRIER_TIMEOUT)
    return time.perf_counter()


@dataclass(frozen=True, slots=True)
class PauseRule:
    """An enrolment rule that always allows, after sleeping: widens the check-to-write window."""

    seconds: float

    def __call__(self, _context: RuleContext, /) -> Verdict:
        """Sleep, then allow."""
        time.sleep(self.seconds)
        return Verdict.allow()


def _open(url: str, *, naive: bool, lock_timeout: float) -> SqlStore:
    """The store a worker uses: the real one, or the naive control."""
    kind = NaiveSqlStore if naive else SqlStore
    return kind(url, lock_timeout=lock_timeout)


PAUSING = LifecycleDefinition.model_validate(
    {
        **DEFAULT_LIFECYCLE.model_dump(),
        "name": "change_project_paused",
        "enrolment_rules": (*DEFAULT_LIFECYCLE.enrolment_rules, "pause"),
    }
)
"""The default lifecycle whose enrolment rules end with ``pause``: the race cohorts run it."""


def paused_engine(store: SqlStore, pause: float) -> Engine:
    """An engine on :data:`PAUSING`, whose ``pause`` rule sleeps ``pause`` seconds.

    The pause comes after every count has been read, widening the check-to-write window.
    The race cohort is created on :data:`PAUSING` too (an engine given a lifecycle refuses
    a cohort pinned to another), so every worker's engine may insist on it.
    """
    rules = RuleRegistry.default()
    rules.register("pause", PauseRule(pause))
    return trusted_engine(store, lifecycle=PAUSING, rules=rules)


def _error(exc: BaseException) -> str:
    """An exception as ``"Type: first line of the message"``."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


def enrol_batch(
    url: str,
    cohort: str,
    people: list[Participant],
    pause: float,
    naive: bool,
    lock_timeout: float,
) -> tuple[list[Outcome], float]:
    """Enrol ``people`` one by one after the start line; the outcomes and the seconds taken."""
    store = _open(url, naive=naive, lock_timeout=lock_timeout)
    try:
        engine = paused_engine(store, pause)
        outcomes: list[Outcome] = []
        started = _start_line()
        for person in people:
            try:
                engine.enrol(cohort, person)
            except TransitionRejected as refused:
                outcomes.append((person.nip, "refused", refused.codes, ""))
            except Exception as exc:  # noqa: BLE001 - every other error is recorded, by type
                outcomes.append((person.nip, "error", (), _error(exc)))
            else:
                outcomes.append((person.nip, "accepted", (), ""))
        return outcomes, time.perf_counter() - started
    finally:
        store.close()


def fire_once(url: str, cohort: str, nip: str, event: str) -> Outcome:
    """Fire ``event`` on one participant after the start line; what happened."""
    store = SqlStore(url)
    try:
        fired = paused_engine(store, 0.0)
        _start_line()
        try:
            fired.fire(cohort, nip, event)
        except TransitionRejected as refused:
            return (nip, "refused", refused.codes, type(refused).__name__)
        except Exception as exc:  # noqa: BLE001 - every other error is recorded, by type
            return (nip, "error", (), _error(exc))
        return (nip, "accepted", (), "")
    finally:
        store.close()


def timed_enrol(
    url: str, cohort: str, person: Participant, lock_timeout: float
) -> tuple[str, float]:
    """Try one enrolment with ``lock_timeout`` (no start line); the error type and seconds."""
    store = SqlStore(url, lock_timeout=lock_timeout)
    try:
        timed = paused_engine(store, 0.0)
        started = time.perf_counter()
        try:
            timed.enrol(cohort, person)
        except Exception as exc:  # noqa: BLE001 - the test asserts which error it was
            return type(exc).__name__, time.perf_counter() - started
        return "accepted", time.perf_counter() - started
    finally:
        store.close()


class NaiveSqlStore(SqlStore):
    """The control: a store whose write unit does not serialise writers.

    On SQLite the unit starts with a deferred ``BEGIN`` (no ``changeflow_write``), on
    PostgreSQL it reads the cohort row with a plain ``SELECT`` (no ``FOR UPDATE``), and the
    quota counts come from ``COUNT(*)`` over the enrolments instead of the locked counters.
    Everything else (the version checks, the chained audit head) is the real store's.
    """

    @contextmanager
    def unit(self, cohort: str) -> Iterator[SqlUnit]:
        """A write transaction that holds no lock on the cohort."""
        with translated():
            connection = self.engine.connect()
        unit: SqlUnit | None = None
        try:
            with translated():
                connection.begin()
                row = connection.execute(
                    select(_cohorts).where(_cohorts.c.code == cohort)
                ).one_or_none()
            if row is None:
                raise CohortNotFound(cohort)
            unit = _CountingUnit(self, connection, row)
            yield unit
        finally:
            if unit is None or not unit.committed:
                with suppress(sa_exc.SQLAlchemyError):
                    connection.rollback()
            with suppress(sa_exc.SQLAlchemyError):
                connection.close()


class _CountingUnit(SqlUnit):
    """A unit that counts seats with ``COUNT(*)`` queries, as a naive implementation would."""

    def seated(self, cohort: str) -> int:
        """Seated enrolments of the cohort, counted now."""
        return self._count(cohort)

    def seated_from_office(self, cohort: str, office: str) -> int:
        """Seated enrolments of one office in the cohort, counted now."""
        return self._count(cohort, _enrolments.c.office_code == office)

    def _count(self, cohort: str, *where: Any) -> int:
        """``COUNT(*)`` of the seated enrolments of ``cohort`` matching ``where``."""
        query = (
            select(func.count())
            .select_from(_enrolments.join(_cohorts, _cohorts.c.id == _enrolments.c.cohort_id))
            .where(_cohorts.c.code == cohort, _enrolments.c.seated, *where)
        )
        return int(self._execute(query).scalar_one())
