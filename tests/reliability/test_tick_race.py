"""The tick race: four hosts' cron jobs ticking one cohort on one database at the same moment.

The cohort's rule pack drops a participant whose results are 5 working days late. Every
worker is a spawned process with its own engine and store; all start together behind a
barrier and tick several rounds. Each overdue deadline must be applied exactly once: one
``drop`` entry in the audit trail per late participant (no refused duplicates either), one
worker reporting it ``applied`` and every other ``already_applied``. The naive control
fires the same plan without the idempotency keys and is caught every run.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import pytest

from changeflow import ChangeProject, FixedClock, Mentor
from changeflow.models import CalendarParameters, Timeout
from changeflow.store.sql import SqlStore
from factories import make_cohort, make_participant, office, trusted_engine
from reliability import tick_workers
from reliability.figures import backend_of, report
from reliability.processes import spawned_pool

if TYPE_CHECKING:
    from collections.abc import Iterator
    from multiprocessing.pool import Pool
    from multiprocessing.synchronize import Barrier
    from pathlib import Path

WORKERS = 4
ROUNDS = 3
LATE = 24
ON_TIME = 4
CODE = "PKA-TICK"
AS_OF = date(2019, 7, 10)  # the results were due Monday 1 July 2019: 7 working days late
RESULT_TIMEOUT = 600.0
DROP = Timeout(deadline="results", after_working_days=5, event="drop", reason="no results")
PROJECT = ChangeProject(
    title="Aplikasi antrean puskesmas daring",
    theme="pelayanan kesehatan",
    mentor=Mentor(name="dr. Anang Budi Yoelijanto"),
)


@pytest.fixture(scope="module")
def pool() -> Iterator[tuple[Pool, Barrier]]:
    """Four spawned worker processes sharing a start-line barrier."""
    with spawned_pool(WORKERS, tick_workers.init_worker) as started:
        yield started


@pytest.fixture(params=["postgresql", "sqlite"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh PostgreSQL database, or an SQLite file in ``tmp_path``."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'tick.db'}"
    return str(request.getfixturevalue("pg_url"))


def _cohort(url: str) -> tuple[SqlStore, list[str], list[str]]:
    """The cohort: 24 participants still in the laboratory, 4 at the seminar; the caller closes.

    Returns the store, the late participants' NIPs and the on-time ones'.
    """
    store = SqlStore(url)
    engine = trusted_engine(store, clock=FixedClock(datetime(2019, 4, 4, 8, tzinfo=UTC)))
    calendar = CalendarParameters(timeouts=(DROP,))
    engine.create_cohort(make_cohort(CODE, capacity=LATE + ON_TIME, calendar=calendar))
    nips = [
        engine.enrol(CODE, make_participant(office=office(i + 1))).nip
        for i in range(LATE + ON_TIME)
    ]
    engine.advance(CODE, "start_class")
    for nip in nips:
        engine.register_project(CODE, nip, PROJECT)
    engine.advance(CODE, "present_proposal")
    engine.advance(CODE, "approve_proposal")
    for nip in nips[LATE:]:
        engine.fire(CODE, nip, "present_results")
    return store, nips[:LATE], nips[LATE:]


def _race(pool: tuple[Pool, Barrier], task: Any, arguments: tuple[Any, ...]) -> list[Any]:
    """Run ``task`` once per worker, all released together by the barrier; their results."""
    workers, barrier = pool
    barrier.reset()  # a previous failed race may have broken it
    return workers.starmap_async(task, [arguments] * WORKERS, chunksize=1).get(RESULT_TIMEOUT)


def _drops(store: SqlStore) -> Counter[str]:
    """How many ``drop`` entries, accepted or refused, the audit trail holds per NIP."""
    return Counter(e.nip for e in store.history(cohort=CODE) if e.event == "drop")


def test_four_hosts_ticking_together_apply_each_deadline_once(
    pool: tuple[Pool, Barrier], url: str
) -> None:
    """Four processes ticking one cohort apply each overdue deadline exactly once."""
    store, late, on_time = _cohort(url)
    try:
        started = time.perf_counter()
        results = _race(pool, tick_workers.tick_rounds, (url, CODE, AS_OF, ROUNDS))
        outcomes = [o for worker in results for o in worker]
        kinds = Counter(outcome for _, _, outcome in outcomes)
        report(
            "tick race",
            backend_of(url),
            {"workers": WORKERS, **kinds, "wall_s": round(time.perf_counter() - started, 2)},
        )
        assert set(kinds) <= {"applied", "already_applied"}, kinds
        applied = Counter(nip for nip, _, outcome in outcomes if outcome == "applied")
        assert applied == Counter(late)
        assert {deadline for _, deadline, _ in outcomes} == {"results"}
        assert _drops(store) == Counter(late)
        dropped = [e for e in store.history(cohort=CODE) if e.event == "drop"]
        assert all(e.accepted and e.reason == "no results" for e in dropped)
        engine = trusted_engine(store)
        assert {engine.state(CODE, nip) for nip in late} == {"dropped"}
        assert {engine.state(CODE, nip) for nip in on_time} == {"seminar"}
        assert all(check.ok for check in engine.verify())
    finally:
        store.close()


def test_a_tick_without_idempotency_keys_is_caught(pool: tuple[Pool, Barrier], url: str) -> None:
    """The control: the same plan fired without keys leaves refused duplicate drops behind."""
    store, late, _ = _cohort(url)
    try:
        results = _race(pool, tick_workers.naive_tick, (url, CODE, AS_OF, 0.5))
        kinds = Counter(outcome.split(":", 1)[0] for worker in results for _, _, outcome in worker)
        drops = _drops(store)
        report("naive tick control", backend_of(url), {**kinds, "drop_entries": drops.total()})
        assert set(drops) == set(late)
        assert drops.total() > len(late), drops
    finally:
        store.close()
