"""Worker functions for the tick race, importable by spawned processes.

Each worker opens its own :class:`~changeflow.store.sql.SqlStore` on the shared database,
waits at the pool's start line (:func:`reliability.race_workers.init_worker` keeps the
barrier) and ticks the cohort like a cron job on its own host. Workers return plain tuples
and never raise: an unexpected exception is recorded by type.

:func:`naive_tick` is the control: it plans the same timeouts but fires them without their
idempotency keys, after a pause that lets every worker plan before any fires, so the harness
is shown to catch a tick that applies a deadline more than once.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from changeflow.deadlines import plan_tick
from changeflow.store.sql import SqlStore
from factories import trusted_engine
from reliability.race_workers import BARRIER_TIMEOUT

if TYPE_CHECKING:
    from datetime import date
    from multiprocessing.synchronize import Barrier

__all__ = ["TickOutcome", "init_worker", "naive_tick", "tick_rounds"]

TickOutcome = tuple[str, str, str]
"""``(nip, deadline, outcome)``: a tick's outcome, or ``"Error: message"`` for an exception."""

_barrier: Barrier | None = None


def init_worker(barrier: Barrier) -> None:
    """Pool initializer: keep the shared start-line barrier for the tasks of this process."""
    global _barrier  # noqa: PLW0603 - one barrier per worker process, set once
    _barrier = barrier


def _start_line() -> None:
    """Wait until every worker of the race is ready."""
    if _barrier is None:
        raise RuntimeError("the pool was not started with init_worker")
    _barrier.wait(BARRIER_TIMEOUT)


def _error(exc: BaseException) -> str:
    """An exception as ``"Type: first line of the message"``."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


def tick_rounds(url: str, cohort: str, as_of: date, rounds: int) -> list[TickOutcome]:
    """Tick ``cohort`` with ``apply`` ``rounds`` times after the start line; every action."""
    store = SqlStore(url, lock_timeout=30.0)
    try:
        engine = trusted_engine(store)
        found: list[TickOutcome] = []
        _start_line()
        for _ in range(rounds):
            try:
                report = engine.tick(cohort, as_of, apply=True, actor="cron")
            except Exception as exc:  # noqa: BLE001 - recorded by type, asserted by the test
                found.append(("", "", _error(exc)))
                continue
            found += [(a.nip, a.deadline, str(a.outcome)) for a in report.actions]
        return found
    finally:
        store.close()


def naive_tick(url: str, cohort: str, as_of: date, pause: float) -> list[TickOutcome]:
    """Plan the cohort's timeouts, wait ``pause`` seconds, fire each event without its key."""
    store = SqlStore(url, lock_timeout=30.0)
    try:
        engine = trusted_engine(store)
        _start_line()
        plan = engine.schedule(cohort)
        parameters = engine.cohort(cohort).parameters.calendar
        members = engine.participants(cohort)
        planned = plan_tick(cohort, plan, plan.working_days(), parameters, members, as_of)
        time.sleep(pause)
        found: list[TickOutcome] = []
        for timeout in planned:
            if timeout.event is None:
                continue
            try:
                engine.fire(cohort, timeout.nip, timeout.event, reason=timeout.timeout.reason)
            except Exception as exc:  # noqa: BLE001 - recorded by type, asserted by the test
                found.append((timeout.nip, timeout.deadline, _error(exc)))
            else:
                found.append((timeout.nip, timeout.deadline, "applied"))
        return found
    finally:
        store.close()
