"""Multi-process races on real databases: quotas, double moves and bounded lock waits.

Every worker is a spawned process with its own engine and store on the same database; the
workers of a race start together behind a barrier. The naive control proves the harness
can fail: a store that does not serialise writers is caught every run.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from changeflow.store.sql import SqlStore
from factories import make_cohort, make_nip, make_participant, office
from reliability import race_workers
from reliability.figures import backend_of, report
from reliability.processes import spawned_pool

if TYPE_CHECKING:
    from collections.abc import Iterator
    from multiprocessing.pool import Pool
    from multiprocessing.synchronize import Barrier
    from pathlib import Path

    from changeflow import Engine
    from changeflow.models import Participant

WORKERS = 8
OFFICES = 20
CAPACITY = 30
MAX_PER_OFFICE = 2
QUOTA_CODES = frozenset({"office_quota", "cohort_capacity"})
CODE = "PKA-RACE"
RESULT_TIMEOUT = 900.0
HEAVY = pytest.mark.heavy


@dataclass(frozen=True)
class QuotaRace:
    """One size of the quota race: attempts per worker, the roster's seed, the lock timeout.

    SQLite's busy handler is not fair: with eight writers queueing thousands of commands on
    a loaded machine one of them can wait more than ten seconds for its turn, so the
    full-size races give writers the patience a batch job would be configured with.
    """

    per_worker: int
    seed: int
    lock_timeout: float = 10.0

    @property
    def attempts(self) -> int:
        """Enrolment attempts over all workers."""
        return WORKERS * self.per_worker


QUOTA_RACES = [
    pytest.param(QuotaRace(per_worker=12, seed=0), id="8x12"),
    *(
        pytest.param(
            QuotaRace(per_worker=500, seed=seed, lock_timeout=60.0),
            id=f"8x500-seed{seed}",
            marks=HEAVY,
        )
        for seed in (1, 2, 3)
    ),
]


@pytest.fixture(scope="module")
def pool() -> Iterator[tuple[Pool, Barrier]]:
    """Eight spawned worker processes sharing a start-line barrier, reused by every race."""
    with spawned_pool(WORKERS, race_workers.init_worker) as started:
        yield started


@pytest.fixture(scope="module")
def pool16() -> Iterator[tuple[Pool, Barrier]]:
    """Sixteen spawned worker processes, for the full-size concurrent fires."""
    with spawned_pool(16, race_workers.init_worker) as started:
        yield started


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database URL: an SQLite file in ``tmp_path`` or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'race.db'}"
    return str(request.getfixturevalue("pg_url"))


def _race(pool: tuple[Pool, Barrier], task: Any, arguments: list[tuple[Any, ...]]) -> list[Any]:
    """Run one task per worker, all released together by the barrier; their results."""
    workers, barrier = pool
    assert len(arguments) == barrier.parties
    barrier.reset()  # a previous failed race may have broken it
    return workers.starmap_async(task, arguments, chunksize=1).get(RESULT_TIMEOUT)


def _new_cohort(url: str) -> SqlStore:
    """Open ``url`` (creating the schema) with the race cohort in it; the caller closes it.

    The cohort runs the workers' lifecycle (the default one with a pausing enrolment rule).
    """
    store = SqlStore(url)
    race_workers.paused_engine(store, 0.0).create_cohort(
        make_cohort(CODE, capacity=CAPACITY, max_per_office=MAX_PER_OFFICE)
    )
    return store


def _engine(store: SqlStore) -> Engine:
    """An engine on ``store`` running each cohort's own (stored) lifecycle, ``pause`` known."""
    return race_workers.paused_engine(store, 0.0)


def _roster(race: QuotaRace) -> list[list[Participant]]:
    """Distinct eligible people over 20 offices, shuffled by the seed, dealt to the workers."""
    people = [
        make_participant(
            nip=make_nip(sequence=i % 999 + 1, appointed=(2000, i // 999 + 1)),
            office=office(i % OFFICES + 1),
        )
        for i in range(race.attempts)
    ]
    random.Random(race.seed).shuffle(people)
    return [people[w::WORKERS] for w in range(WORKERS)]


def _enrol_race(
    pool: tuple[Pool, Barrier], url: str, race: QuotaRace, *, pause: float, naive: bool
) -> tuple[list[race_workers.Outcome], dict[str, Any]]:
    """The quota race: every outcome, and the figures (attempts, accepted, ..., elapsed)."""
    started = time.perf_counter()
    results = _race(
        pool,
        race_workers.enrol_batch,
        [(url, CODE, batch, pause, naive, race.lock_timeout) for batch in _roster(race)],
    )
    wall = time.perf_counter() - started
    outcomes = [o for batch, _ in results for o in batch]
    kinds = Counter(kind for _, kind, _, _ in outcomes)
    figures = {
        "attempts": len(outcomes),
        "accepted": kinds["accepted"],
        "refused": kinds["refused"],
        "errors": kinds["error"],
        "race_s": round(max(seconds for _, seconds in results), 2),
        "wall_s": round(wall, 2),
    }
    return outcomes, figures


def _report(label: str, url: str, figures: dict[str, Any], **extra: Any) -> None:
    """Print the figures of one race (shown with ``-s`` or on failure)."""
    report(label, backend_of(url), {**figures, **extra})


@pytest.mark.parametrize("race", QUOTA_RACES)
def test_quota_race_never_over_admits(
    pool: tuple[Pool, Barrier], url: str, race: QuotaRace
) -> None:
    """Eight processes racing enrolments never break capacity or the office quota."""
    store = _new_cohort(url)
    try:
        outcomes, figures = _enrol_race(pool, url, race, pause=0.003, naive=False)
        _report(f"quota race seed {race.seed}", url, figures)
        errors = [error for _, kind, _, error in outcomes if kind == "error"]
        assert not errors, Counter(e.split(":", 1)[0] for e in errors)
        assert figures["attempts"] == race.attempts
        assert figures["accepted"] + figures["refused"] == figures["attempts"]
        assert figures["accepted"] == CAPACITY
        for nip, kind, codes, _ in outcomes:
            if kind == "refused":
                assert codes, nip
                assert set(codes) <= QUOTA_CODES, (nip, codes)
        enrolled = store.enrolments(CODE)
        assert len(enrolled) == CAPACITY
        assert {e.nip for e in enrolled} == {n for n, kind, _, _ in outcomes if kind == "accepted"}
        per_office = Counter(e.participant.office.code for e in enrolled)
        assert max(per_office.values()) <= MAX_PER_OFFICE, per_office
        history = store.history(cohort=CODE)
        assert [e.event for e in history if e.nip == ""] == ["create_cohort"]
        assert len([e for e in history if e.nip]) == figures["attempts"]
        assert all(check.ok for check in _engine(store).verify())
    finally:
        store.close()


def test_naive_store_is_caught(pool: tuple[Pool, Barrier], url: str) -> None:
    """The harness catches a store that does not serialise writers, every run."""
    store = _new_cohort(url)
    try:
        outcomes, figures = _enrol_race(
            pool, url, QuotaRace(per_worker=12, seed=0), pause=0.02, naive=True
        )
        enrolled = store.enrolments(CODE)
        per_office = Counter(e.participant.office.code for e in enrolled)
        errors = Counter(error[:150] for _, kind, _, error in outcomes if kind == "error")
        stray = [codes for _, kind, codes, _ in outcomes if kind == "refused"]
        over_admitted = len(enrolled) > CAPACITY or max(per_office.values()) > MAX_PER_OFFICE
        _report(
            "naive control",
            url,
            figures,
            seated=len(enrolled),
            max_office=max(per_office.values()),
            error_types=dict(errors),
        )
        assert over_admitted or errors or any(set(c) - QUOTA_CODES for c in stray), figures
    finally:
        store.close()


@pytest.mark.parametrize("size", [pytest.param(8, id="8"), pytest.param(16, id="16", marks=HEAVY)])
def test_concurrent_fires_move_once(request: pytest.FixtureRequest, url: str, size: int) -> None:
    """Processes firing start_class on one participant together move them exactly once."""
    pool = request.getfixturevalue("pool" if size == WORKERS else "pool16")
    store = _new_cohort(url)
    try:
        person = make_participant(nip=make_nip(sequence=1), office=office(1))
        _engine(store).enrol(CODE, person)
        outcomes = _race(
            pool, race_workers.fire_once, [(url, CODE, person.nip, "start_class")] * size
        )
        accepted = [o for o in outcomes if o[1] == "accepted"]
        others = [o for o in outcomes if o[1] != "accepted"]
        kinds = Counter(error.split(":", 1)[0] or kind for _, kind, _, error in outcomes)
        _report("concurrent fires", url, dict(kinds))
        assert len(accepted) == 1, outcomes
        for _, kind, codes, error in others:
            if kind == "refused":
                assert error == "IllegalTransition", (codes, error)
                assert codes == ("illegal_transition",)
            else:
                assert error.startswith("ConcurrentTransition"), error
        enrolment = store.enrolment(CODE, person.nip)
        assert enrolment.state == "on_class"
        assert enrolment.version == 2
        history = store.history(nip=person.nip)
        moves = [e for e in history if e.event == "start_class" and e.accepted]
        assert len(moves) == 1
        assert all(check.ok for check in _engine(store).verify())
    finally:
        store.close()


def test_lock_wait_is_bounded(pool: tuple[Pool, Barrier], url: str) -> None:
    """A writer blocked by a held cohort lock fails with StoreBusy after about lock_timeout."""
    store = _new_cohort(url)
    workers, _ = pool
    timeout = 0.5
    person = make_participant(nip=make_nip(sequence=2), office=office(2))
    try:
        with store.unit(CODE):
            started = time.perf_counter()
            pending = workers.apply_async(race_workers.timed_enrol, (url, CODE, person, timeout))
            error, waited = pending.get(30.0)
            wall = time.perf_counter() - started
        _report("lock wait", url, {"error": error, "waited_s": round(waited, 3)}, wall_s=wall)
        assert error == "StoreBusy"
        assert 0.9 * timeout <= waited < 3 * timeout
        assert wall < 3 * timeout + 5.0  # the process is already running: no spawn to pay
        assert store.enrolments(CODE) == []
    finally:
        store.close()
