"""In-memory figures: changeflow's engine against state machines in the same process.

Anchors, all on changeflow's default lifecycle (the six stages of the graduation path plus
the exits) with one always-true guard per transition: a hand-written dict FSM,
``transitions.Machine``, ``transitions.extensions.LockedMachine`` and, when installed,
python-statemachine.
"""

from __future__ import annotations

import gc
import importlib
import logging
import time
import tracemalloc
from typing import TYPE_CHECKING, Any

from transitions import Machine
from transitions.extensions import LockedMachine

from benchmarks.common import (
    CODE,
    MENTOR_NIP,
    PATH,
    STAFF,
    STAFF_ID,
    actor,
    clock,
    cohort,
    interleaved,
    people,
    timed,
    ungoverned,
)
from changeflow import DEFAULT_LIFECYCLE, ChangeProject, Engine, Mentor, Participant

if TYPE_CHECKING:
    from collections.abc import Callable

    from benchmarks.common import Results
    from changeflow.states import LifecycleDefinition

PROJECT = ChangeProject(
    title="Antrean online puskesmas",
    theme="pelayanan kesehatan",
    mentor=Mentor(name="Kepala", nip=MENTOR_NIP),
)


def _yes() -> bool:
    return True


def _machine_spec() -> dict[str, Any]:
    return {
        "states": [{"name": s.name, "final": s.final} for s in DEFAULT_LIFECYCLE.states],
        "transitions": [
            {
                "trigger": t.event,
                "source": list(DEFAULT_LIFECYCLE.sources(t)),
                "dest": t.dest,
                "conditions": [_yes],
            }
            for t in DEFAULT_LIFECYCLE.transitions
            if not t.reopens  # corrections, not moves of the graduation path
        ],
        "auto_transitions": False,
    }


class _Model:
    """A bare model object for ``transitions``."""

    state: str


def transitions_model(initial: str, machine_class: type[Machine] = Machine) -> Any:
    """A model driven by a bare ``transitions`` machine on the default lifecycle."""
    model = _Model()
    machine_class(model=model, initial=initial, **_machine_spec())
    return model


class DictFsm:
    """The hand-written anchor: a dict from (state, event) to (destination, guard)."""

    __slots__ = ("state", "table")

    def __init__(self, initial: str) -> None:
        self.state = initial
        self.table: dict[tuple[str, str], tuple[str, Callable[[], bool]]] = {
            (source, t.event): (t.dest, _yes)
            for t in DEFAULT_LIFECYCLE.transitions
            for source in DEFAULT_LIFECYCLE.sources(t)
        }

    def fire(self, event: str) -> bool:
        """Move on ``event`` when it leaves the current state and its guard agrees."""
        dest, guard = self.table[self.state, event]
        if not guard():
            return False
        self.state = dest
        return True


def statemachine_class() -> Any:
    """A python-statemachine class for the default lifecycle, or ``None`` if not installed."""
    try:
        from statemachine import State, StateMachine  # noqa: PLC0415 - optional anchor
    except ImportError:
        return None
    namespace: dict[str, Any] = {
        s.name: State(
            s.name, value=s.name, initial=s.name == DEFAULT_LIFECYCLE.initial, final=s.final
        )
        for s in DEFAULT_LIFECYCLE.states
    }
    for t in DEFAULT_LIFECYCLE.transitions:
        moves = None
        for source in DEFAULT_LIFECYCLE.sources(t):
            one = namespace[source].to(namespace[t.dest], cond=_yes)
            moves = one if moves is None else moves | one
        namespace[t.event] = moves
    return type("DefaultLifecycle", (StateMachine,), namespace)


def engine(size: int, lifecycle: LifecycleDefinition | None = None) -> Engine:
    """An in-memory engine with one cohort of capacity ``size`` (on ``lifecycle``), staffed."""
    built = Engine(clock=clock())
    built.create_cohort(cohort(CODE, size), lifecycle=lifecycle, actor=STAFF_ID)
    built.add_staff(CODE, STAFF, actor=STAFF_ID)
    return built


def ready_to_graduate_path(
    n: int, lifecycle: LifecycleDefinition | None = None
) -> tuple[Engine, list[Participant]]:
    """An engine with ``n`` enrolled participants, each with a project and a passing score."""
    built = engine(n, lifecycle)
    group = people(n)
    for p in group:
        built.enrol(CODE, p, actor=STAFF_ID)
        built.register_project(CODE, p.nip, PROJECT, actor=STAFF_ID)
        built.record_assessment(CODE, p.nip, 80.0, actor=STAFF_ID)
    return built, group


# -- target 1 and the per-transition anchors ------------------------------------------------


def _ours_path(walks: int, lifecycle: LifecycleDefinition | None = None) -> Callable[[int], float]:
    actors = [(event, actor(event)) for event in PATH]

    def run(_round: int) -> float:
        built, group = ready_to_graduate_path(walks, lifecycle)
        fire = built.fire

        def walk() -> None:
            for p in group:
                for event, who in actors:
                    fire(CODE, p.nip, event, actor=who)

        return timed(walk) / (walks * len(PATH))

    return run


def _ours_path_logged(walks: int) -> Callable[[int], float]:
    inner = _ours_path(walks)

    def run(round_no: int) -> float:
        logger = logging.getLogger("changeflow")
        level, propagate = logger.level, logger.propagate
        logger.setLevel(logging.INFO)
        logger.propagate = False  # the library's NullHandler takes the records
        try:
            return inner(round_no)
        finally:
            logger.setLevel(level)
            logger.propagate = propagate

    return run


def _transitions_path(walks: int, machine_class: type[Machine]) -> Callable[[int], float]:
    def run(_round: int) -> float:
        model = transitions_model("enrolled", machine_class)
        triggers = [getattr(model, event) for event in PATH]

        def walk() -> None:
            for _ in range(walks):
                model.state = "enrolled"
                for trigger in triggers:
                    trigger()

        return timed(walk) / (walks * len(PATH))

    return run


def _dict_path(walks: int) -> Callable[[int], float]:
    def run(_round: int) -> float:
        fsm = DictFsm("enrolled")
        fire = fsm.fire

        def walk() -> None:
            for _ in range(walks):
                fsm.state = "enrolled"
                for event in PATH:
                    fire(event)

        return timed(walk) / (walks * len(PATH))

    return run


def _statemachine_path(walks: int, machine_class: Any) -> Callable[[int], float]:
    def run(_round: int) -> float:
        # A machine that reached a final state stops: one instance per walk, built untimed.
        machines = [machine_class() for _ in range(walks)]

        def walk() -> None:
            for sm in machines:
                send = sm.send
                for event in PATH:
                    send(event)

        return timed(walk) / (walks * len(PATH))

    return run


def per_transition(results: Results, walks: int, rounds: int) -> None:
    """Target 1 and the anchors: microseconds per transition over the graduation path.

    structlog is imported first, as in any application that logs, so every round sees
    the engine's logging in the same state (imported, not configured).
    """
    importlib.import_module("structlog")
    contenders: dict[str, Callable[[int], float]] = {
        "ours": _ours_path(walks),
        "ours_ungoverned": _ours_path(walks, ungoverned(DEFAULT_LIFECYCLE)),
        "transitions": _transitions_path(walks, Machine),
        "dict": _dict_path(walks * 20),
        "locked": _transitions_path(max(walks // 4, 1), LockedMachine),
        "ours_logged": _ours_path_logged(walks),
    }
    psm = statemachine_class()
    if psm is not None:
        contenders["statemachine"] = _statemachine_path(max(walks // 5, 1), psm)
    runs = interleaved(contenders, rounds)
    us = {name: [v * 1e6 for v in values] for name, values in runs.items()}
    results.add(
        "mem.fire.ours",
        "changeflow Engine.fire (MemoryStore), per transition on the graduation path",
        "us",
        us["ours"],
        "rules, history entry and the log event's check included; structlog imported but "
        "not configured and the `changeflow` logger below INFO (the defaults)",
    )
    results.add(
        "mem.fire.ours_ungoverned",
        "changeflow Engine.fire on the same lifecycle without permissions (version 3's shape)",
        "us",
        us["ours_ungoverned"],
        "the difference to mem.fire.ours is the permission rule's cost per fire (the staff "
        "look-up and the role check)",
    )
    results.add(
        "mem.fire.ours_logged",
        "changeflow Engine.fire with the `changeflow` logger at INFO (events rendered)",
        "us",
        us["ours_logged"],
    )
    results.add(
        "mem.fire.transitions",
        "transitions.Machine trigger, one guard, same lifecycle",
        "us",
        us["transitions"],
    )
    results.add("mem.fire.dict", "hand-written dict FSM, one guard", "us", us["dict"])
    results.add(
        "mem.fire.locked", "transitions LockedMachine trigger, one guard", "us", us["locked"]
    )
    if psm is not None:
        import statemachine  # noqa: PLC0415 - optional anchor

        results.add(
            "mem.fire.statemachine",
            f"python-statemachine {statemachine.__version__} send, one guard",
            "us",
            us["statemachine"],
        )
    else:
        results.note(
            "python-statemachine is not installed: its anchor is skipped "
            "(pip install -r benchmarks/requirements.txt)"
        )


# -- target 2: bulk advance -------------------------------------------------------------------


def bulk(results: Results, n: int, rounds: int) -> None:
    """Target 2: advance n participants one guarded step, against n bare triggers."""
    enrol_runs: list[float] = []
    plain_runs: list[float] = []

    def ours(_round: int) -> float:
        built = engine(n)
        group = people(n)

        def enrol() -> None:
            for p in group:
                built.enrol(CODE, p, actor=STAFF_ID)

        enrol_runs.append(timed(enrol) / n * 1e6)
        plain_runs.append(timed(lambda: built.advance(CODE, "start_class", actor=STAFF_ID)))
        for p in group:
            built.register_project(CODE, p.nip, PROJECT, actor=STAFF_ID)
        report = None

        def advance() -> None:
            nonlocal report
            report = built.advance(CODE, "present_proposal", actor=STAFF_ID)

        seconds = timed(advance)
        if report is None or len(report.accepted) != n:
            raise RuntimeError("the bulk advance did not move every participant")
        return seconds

    def bare(_round: int) -> float:
        model = transitions_model("on_class")
        trigger = model.present_proposal

        def run() -> None:
            for _ in range(n):
                model.state = "on_class"
                trigger()

        return timed(run)

    runs = interleaved({"ours": ours, "bare": bare}, rounds)
    results.add(
        "mem.bulk.ours",
        f"changeflow Engine.advance of {n:,} participants one step "
        "(present_proposal: change_project rule each)",
        "s",
        runs["ours"],
    )
    results.add(
        "mem.bulk.transitions",
        f"{n:,} bare transitions triggers (one guard)",
        "s",
        runs["bare"],
    )
    results.add(
        "mem.bulk.plain",
        f"changeflow Engine.advance of {n:,} one step without rules (start_class)",
        "s",
        plain_runs,
    )
    results.add(
        "mem.enrol.ours",
        "changeflow Engine.enrol, one by one in memory (5 enrolment rules)",
        "us",
        enrol_runs,
    )


# -- target 3: memory -------------------------------------------------------------------------


def memory(results: Results, n: int) -> None:
    """Target 3: bytes traced per participant with n enrolled (then after one more step)."""
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        built = engine(n)
        for p in people(n):
            built.enrol(CODE, p, actor=STAFF_ID)
        gc.collect()
        enrolled = tracemalloc.get_traced_memory()[0] - base
        built.advance(CODE, "start_class", actor=STAFF_ID)
        gc.collect()
        stepped = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    results.add(
        "mem.memory.ours",
        f"changeflow memory per enrolled participant ({n:,} in a MemoryStore, tracemalloc)",
        "B",
        [enrolled / n],
        "participant, office share, enrolment, its audit entry and the store's indexes",
    )
    results.add(
        "mem.memory.ours_step",
        "the same after one more step each (a second audit entry)",
        "B",
        [stepped / n],
    )


def add_model(results: Results, sizes: list[int]) -> None:
    """The ``transitions`` anchor for target 3: attaching one model per participant."""
    spec = _machine_spec()
    for size in sizes:
        machine = Machine(model=None, initial="enrolled", **spec)
        models = [_Model() for _ in range(size)]
        seconds = timed(lambda m=machine, ms=models: [m.add_model(x) for x in ms])
        victims = models[: min(200, size)]
        t0 = time.perf_counter()
        for victim in victims:
            machine.remove_model(victim)
        removal = (time.perf_counter() - t0) / len(victims)
        results.add(
            f"mem.add_model.{size}",
            f"transitions.Machine.add_model, {size:,} models (per model)",
            "us",
            [seconds / size * 1e6],
            f"{seconds:.2f} s in all",
        )
        results.add(
            f"mem.remove_model.{size}",
            f"transitions.Machine.remove_model with {size:,} attached (per call)",
            "us",
            [removal * 1e6],
        )
        del machine, models
    size = sizes[0]
    machine = Machine(model=None, initial="enrolled", **spec)
    models = [_Model() for _ in range(size)]
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        for model in models:
            machine.add_model(model)
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    results.add(
        "mem.memory.transitions",
        f"transitions.Machine memory per attached model ({size:,} models, tracemalloc)",
        "B",
        [grown / size],
    )
