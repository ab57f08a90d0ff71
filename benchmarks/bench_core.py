"""In-memory core figures: changeflow's fire against a bare ``transitions`` trigger.

    .venv/bin/python benchmarks/bench_core.py [--participants 100000]

Prints ratios measured in one run; absolute times on a shared 2-core machine are noisy.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, date, datetime

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

START = date(2019, 4, 4)


def _best(fn: Callable[[], None], rounds: int = 5) -> float:
    times = []
    for _ in range(rounds):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _bare_machine() -> tuple[object, Machine]:
    class Model:
        pass

    model = Model()
    states = [{"name": s.name, "final": s.final} for s in DEFAULT_LIFECYCLE.states]
    transitions = [
        {
            "trigger": t.event,
            "source": list(DEFAULT_LIFECYCLE.sources(t)),
            "dest": t.dest,
            "conditions": [lambda: True],
        }
        for t in DEFAULT_LIFECYCLE.transitions
    ]
    machine = Machine(
        model=model,
        states=states,
        transitions=transitions,
        initial="proposal",
        auto_transitions=False,
    )
    return model, machine


def _engine(capacity: int) -> Engine:
    engine = Engine(clock=FixedClock(datetime(2019, 4, 4, tzinfo=UTC)))
    engine.create_cohort(
        Cohort(
            code="BENCH",
            name="bench",
            start=START,
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
            nip=f"19800101200503{1 + i % 2}{i % 1000:03d}"[:18]
            if False
            else f"{1970 + i % 20:04d}0101{2000 + i // 1000 % 20:04d}0{1 + (i // 20000) % 9}1{i % 1000:03d}",
            name=f"P{i}",
            office=offices[i % 50],
            echelon="III.a",
        )
        for i in range(n)
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--participants", type=int, default=100_000)
    parser.add_argument("--fires", type=int, default=20_000)
    args = parser.parse_args()
    n, fires = args.participants, args.fires

    model, _ = _bare_machine()
    trigger = model.revise_proposal  # type: ignore[attr-defined]

    def bare() -> None:
        for _ in range(fires):
            trigger()

    engine = _engine(10)
    person = _people(1)[0]
    engine.enrol("BENCH", person)
    engine.register_project(
        "BENCH", person.nip, ChangeProject(title="t", theme="th", mentor=Mentor(name="m"))
    )
    engine.fire("BENCH", person.nip, "start_class")
    engine.fire("BENCH", person.nip, "present_proposal")
    fire = engine.fire

    def ours() -> None:
        for _ in range(fires):
            fire("BENCH", person.nip, "revise_proposal", actor="mentor")

    t_bare, t_ours = _best(bare) / fires, _best(ours) / fires
    print(
        f"fire (revise_proposal, in memory): {t_ours * 1e6:.2f} us; transitions trigger "
        f"{t_bare * 1e6:.2f} us; ratio {t_ours / t_bare:.2f}x"
    )

    people = _people(n)
    engine = _engine(n)
    tracemalloc.start()
    t0 = time.perf_counter()
    for p in people:
        engine.enrol("BENCH", p)
    t_enrol = time.perf_counter() - t0
    current, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    t0 = time.perf_counter()
    report = engine.advance("BENCH", "start_class")
    t_adv = time.perf_counter() - t0
    print(
        f"enrol {n} participants one by one (all enrolment rules): {t_enrol:.2f} s "
        f"({t_enrol / n * 1e6:.1f} us each); memory {current / n:.0f} B per participant "
        "(incl. participant model, enrolment, audit entry)"
    )
    print(
        f"advance {n} one step (start_class): {t_adv:.2f} s ({t_adv / n * 1e6:.2f} us each); "
        f"{len(report.accepted)} accepted; vs {n} bare triggers {t_bare * n:.2f} s: "
        f"ratio {t_adv / (t_bare * n):.2f}x"
    )


if __name__ == "__main__":
    main()
