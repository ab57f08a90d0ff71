"""In-memory core figures: changeflow against a bare ``transitions`` machine, in one run.

Run it with ``.venv/bin/python benchmarks/bench_core.py [--participants 100000]``.
Rounds are interleaved and the median is reported: absolute times on a shared 2-core
machine are noisy, the ratios are what to steer by.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
import tracemalloc
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from transitions import Machine

from changeflow import (
    DEFAULT_LIFECYCLE,
    ChangeProject,
    Cohort,
    CohortParameters,
    Engine,
    FixedClock,
    Mentor,
    Office,
    Participant,
)

if TYPE_CHECKING:
    from collections.abc import Callable

CODE = "BENCH"


class _Model:
    state: str


def _bare(initial: str) -> Any:
    """A bare transitions machine on the same lifecycle, one always-true guard per transition."""
    model = _Model()
    Machine(
        model=model,
        states=[{"name": s.name, "final": s.final} for s in DEFAULT_LIFECYCLE.states],
        transitions=[
            {
                "trigger": t.event,
                "source": list(DEFAULT_LIFECYCLE.sources(t)),
                "dest": t.dest,
                "conditions": [lambda: True],
            }
            for t in DEFAULT_LIFECYCLE.transitions
        ],
        initial=initial,
        auto_transitions=False,
    )
    return model


def _engine(capacity: int) -> Engine:
    engine = Engine(clock=FixedClock(datetime(2019, 4, 4, tzinfo=UTC)))
    engine.create_cohort(
        Cohort(
            code=CODE,
            name="benchmark cohort",
            start=date(2019, 4, 4),
            end=date(2019, 7, 19),
            capacity=capacity,
            parameters=CohortParameters(max_per_office=capacity),
        )
    )
    return engine


def _people(n: int) -> list[Participant]:
    offices = [Office(code=f"OPD{i:03d}", name=f"Office {i}") for i in range(50)]
    return [
        Participant(
            nip=f"{1970 + i % 20:04d}0101{2000 + i // 1000 % 20:04d}{1 + i // 20000 % 9:02d}"
            f"1{i % 1000:03d}",
            name=f"Peserta {i}",
            office=offices[i % 50],
            echelon="III.a",
        )
        for i in range(n)
    ]


def _median(runs: list[float]) -> float:
    return statistics.median(runs)


def _timed(fn: Callable[[], object]) -> float:
    gc.collect()
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def fire_ratio(fires: int, rounds: int) -> tuple[float, float]:
    """Per-call seconds of ``fire(revise_proposal)`` and of a bare trigger, interleaved."""
    model = _bare("proposal")
    engine = _engine(10)
    person = _people(1)[0]
    engine.enrol(CODE, person)
    project = ChangeProject(title="t", theme="th", mentor=Mentor(name="m"))
    engine.register_project(CODE, person.nip, project)
    engine.fire(CODE, person.nip, "start_class")
    engine.fire(CODE, person.nip, "present_proposal")
    fire, trigger = engine.fire, model.revise_proposal

    def ours() -> None:
        for _ in range(fires):
            fire(CODE, person.nip, "revise_proposal", actor="mentor")

    def bare() -> None:
        for _ in range(fires):
            trigger()

    t_ours, t_bare = [], []
    for _ in range(rounds):
        t_bare.append(_timed(bare) / fires)
        t_ours.append(_timed(ours) / fires)
    return _median(t_ours), _median(t_bare)


def guarded_fire_ratio(n: int) -> tuple[float, float]:
    """Per-call seconds of a guarded fire (withdraw: reason_required) on n participants."""
    engine = _engine(n)
    people = _people(n)
    for p in people:
        engine.enrol(CODE, p)
    model = _bare("enrolled")
    fire, trigger = engine.fire, model.withdraw

    def ours() -> None:
        for p in people:
            fire(CODE, p.nip, "withdraw", actor="bkd", reason="transfer")

    def bare() -> None:
        for _ in range(n):
            trigger()
            model.state = "enrolled"

    return _timed(ours) / n, _timed(bare) / n


def bulk(n: int) -> tuple[float, float, float]:
    """Seconds to enrol n one by one, to advance them one step, and per bare trigger."""
    people = _people(n)
    engine = _engine(n)

    def enrol() -> None:
        for p in people:
            engine.enrol(CODE, p)

    t_enrol = _timed(enrol)
    t_advance = _timed(lambda: engine.advance(CODE, "start_class"))
    model = _bare("enrolled")

    def bare() -> None:
        trigger = model.start_class
        for _ in range(n):
            trigger()
            model.state = "enrolled"

    return t_enrol, t_advance, _timed(bare)


def memory_per_participant(n: int) -> float:
    """Bytes traced per enrolled participant: model, enrolment, audit entry, indexes."""
    tracemalloc.start()
    engine = _engine(n)
    for p in _people(n):
        engine.enrol(CODE, p)
    current, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return current / n


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--participants", type=int, default=100_000)
    parser.add_argument("--fires", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    n = args.participants

    ours, bare = fire_ratio(args.fires, args.rounds)
    print(
        f"fire revise_proposal: {ours * 1e6:.2f} us; bare transitions trigger "
        f"{bare * 1e6:.2f} us; ratio {ours / bare:.2f}x"
    )
    ours, bare = guarded_fire_ratio(min(n, 20_000))
    print(
        f"fire withdraw (reason_required): {ours * 1e6:.2f} us; bare trigger "
        f"{bare * 1e6:.2f} us; ratio {ours / bare:.2f}x"
    )
    t_enrol, t_advance, t_bare = bulk(n)
    print(
        f"enrol {n:,} one by one (5 enrolment rules each): {t_enrol:.2f} s "
        f"({t_enrol / n * 1e6:.1f} us each)"
    )
    print(
        f"advance {n:,} one step: {t_advance:.2f} s ({t_advance / n * 1e6:.2f} us each); "
        f"{n:,} bare triggers {t_bare:.2f} s; ratio {t_advance / t_bare:.2f}x"
    )
    print(f"memory: {memory_per_participant(n):.0f} B per enrolled participant")


if __name__ == "__main__":
    main()
