"""Worker side of the soak test, importable by spawned processes.

Each worker opens its own :class:`~changeflow.store.sql.SqlStore` and
:class:`~changeflow.Engine` on the shared database, waits at the pool's start line, then
drives its share of nominations through the default lifecycle with the public API, block of
cohorts after block of cohorts, until it is done or a deadline passes. Within a block it
takes one step per nomination in turn, so the four workers write to the same cohorts (and
race for the same seats) at the same time.

A step reads the participant's state and fires what that state calls for; which refusals
are expected follows from the nomination's plan, so an unexpected refusal or result is
reported rather than tolerated. ``StoreBusy`` and ``ConcurrentTransition`` are retried;
any other exception is recorded by type and ends the nomination's run. Everything a worker
saw comes back as a :class:`Tally` for the test to reconcile with the database.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from changeflow.errors import ConcurrentTransition, StoreBusy, TransitionRejected
from changeflow.models import Assessment, ChangeProject, Mentor
from changeflow.store.sql import SqlStore
from factories import trusted_engine

if TYPE_CHECKING:
    from collections.abc import Callable
    from multiprocessing.synchronize import Barrier

    from changeflow import Engine
    from changeflow.models import Participant
    from changeflow.records import AdvanceReport, Enrolment, HistoryEntry

__all__ = [
    "ENROL_REFUSALS",
    "FATES",
    "QUIRKS",
    "Block",
    "Nomination",
    "Tally",
    "drive",
    "init_worker",
]

FATES = ("graduate", "fail", "withdraw", "drop")
"""How a nomination's course ends when it is accepted."""

QUIRKS = (
    "keyed",  # every command carries an idempotency key and is sent twice
    "illegal",  # fires graduate while on class (illegal_transition)
    "no_project",  # presents a proposal before registering a project (change_project_missing)
    "no_mentor",  # registers a project without a mentor first (mentor_missing)
    "revise",  # the mentor sends the proposal back once (a reflexive transition)
    "early_graduate",  # asks to graduate before any score (assessment_missing)
    "no_reason",  # tries to withdraw or drop without a reason first (reason_required)
    "correct",  # corrects the recorded score, first without a reason (reason_required)
    "reopen",  # reopens the final state once (its seat may be gone), then ends it again
)
"""Detours a nomination takes on its way, each with the refusal it provokes."""

ENROL_REFUSALS = frozenset({"office_quota", "cohort_capacity", "rank", "already_active"})
"""Codes an enrolment may be refused with in the soak (quota, rank, one course at a time)."""

REOPEN_REFUSALS = frozenset({"office_quota", "cohort_capacity", "already_active"})
"""Codes a reopening may be refused with: its seat was taken, or the person moved on."""

UNSEQUENCED = 0
"""The seq a worker reports for a ``record_assessment`` entry: the command returns the
grade, not its entry, so the entry is matched on everything but its position."""

BARRIER_TIMEOUT = 120.0
"""Seconds a worker waits at the start line (spawning four interpreters can be slow)."""

MAX_RETRIES = 200
"""Retries of one command on StoreBusy / ConcurrentTransition before it counts as an error."""

_STAGES = {"enrolled": 0, "on_class": 1, "proposal": 2, "laboratory": 3, "seminar": 4}
_FINALS = frozenset({"graduated", "not_passed", "withdrawn", "dropped"})
_LEAVING = {"withdraw": "withdrawn", "drop": "dropped"}

_T = TypeVar("_T")

_barrier: Barrier | None = None


def init_worker(barrier: Barrier) -> None:
    """Pool initializer: keep the shared start-line barrier for this process."""
    global _barrier  # noqa: PLW0603 - one barrier per worker process, set once
    _barrier = barrier


@dataclass(frozen=True, slots=True)
class Nomination:
    """One person nominated to one cohort, with the course they will run if accepted.

    ``leave_at`` is the stage at which a ``withdraw`` or ``drop`` fate leaves; ``score`` the
    overall assessment recorded at the seminar (passing for ``graduate``, failing for
    ``fail``); ``refusal`` a code the enrolment must be refused with, whatever the timing.
    """

    cohort: str
    person: Participant
    fate: str = "graduate"
    leave_at: str = "on_class"
    score: float = 80.0
    quirks: frozenset[str] = frozenset()
    refusal: str | None = None

    @property
    def nip(self) -> str:
        """The nominee's NIP."""
        return self.person.nip


@dataclass(frozen=True, slots=True)
class Block:
    """Cohorts a worker works on together: its nominations, in first-try order.

    ``advance`` lists the cohorts whose enrolled participants this worker moves to class
    in bulk (``start_class``) once its own nominations have been tried.
    """

    nominations: tuple[Nomination, ...]
    advance: tuple[str, ...] = ()


@dataclass
class Tally:
    """What one worker did and saw, for the test to reconcile with the database.

    ``accepted`` holds ``(cohort, seq, nip, event, source, target)`` of every accepted audit
    entry the worker's commands produced, data commands included (replays excluded; a
    score's seq is :data:`UNSEQUENCED`); ``refused`` counts refused entries per ``(cohort,
    nip, event)``; ``codes`` counts refusal codes; ``advanced`` counts the participants its
    bulk commands moved; ``raced`` the ``start_class`` fires refused because a bulk command
    moved the participant between the worker's read and its fire; ``reopened`` the
    accepted reopenings.
    """

    worker: int
    commands: int = 0
    replays: int = 0
    accepted: list[tuple[str, int, str, str, str | None, str | None]] = field(default_factory=list)
    refused: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)
    retries: Counter[str] = field(default_factory=Counter)
    advanced: int = 0
    raced: int = 0
    reopened: int = 0
    unexpected: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    nominations: int = 0
    tried: int = 0
    ended: Counter[str] = field(default_factory=Counter)
    hit_deadline: bool = False
    seconds: float = 0.0


@dataclass
class _Run:
    """A nomination in progress inside a worker."""

    nomination: Nomination
    tried: bool = False
    done: bool = False
    used: set[str] = field(default_factory=set)
    keys: int = 0


class _Refused(Exception):
    """A command was refused: its codes (the entries were audited)."""

    def __init__(self, codes: tuple[str, ...]) -> None:
        super().__init__(", ".join(codes))
        self.codes = codes


class _Driver:
    """Drives nominations with one engine, counting everything into a tally."""

    def __init__(self, engine: Engine, tally: Tally, rng: random.Random) -> None:
        self.engine = engine
        self.tally = tally
        self.rng = rng

    # -- plumbing ---------------------------------------------------------------------------

    def _retrying(self, call: Callable[[], _T]) -> _T:
        """Run ``call``, retrying the retryable store errors with a short random backoff."""
        for _ in range(MAX_RETRIES):
            try:
                return call()
            except (StoreBusy, ConcurrentTransition) as exc:
                self.tally.retries[type(exc).__name__] += 1
                time.sleep(self.rng.uniform(0.001, 0.02))
        raise RuntimeError(f"still failing after {MAX_RETRIES} retries")

    def _key(self, run: _Run) -> str | None:
        """A fresh idempotency key for the run's next command, if it uses keys."""
        if "keyed" not in run.nomination.quirks:
            return None
        run.keys += 1
        return f"{run.nomination.cohort}/{run.nomination.nip}/{run.keys}"

    def _outcome(self, call: Callable[[], HistoryEntry]) -> HistoryEntry | _Refused:
        """The accepted entry, or the refusal (a HistoryEntry is a tuple: kept apart)."""
        try:
            return self._retrying(call)
        except TransitionRejected as refused:
            return _Refused(refused.codes)

    def _command(self, run: _Run, event: str, call: Callable[[str | None], HistoryEntry]) -> Any:
        """Run one audited command (sent twice when keyed); the entry, or raise _Refused."""
        self.tally.commands += 1
        key = self._key(run)
        first = self._outcome(lambda: call(key))
        cohort, nip = run.nomination.cohort, run.nomination.nip
        if isinstance(first, _Refused):
            self.tally.refused[cohort, nip, event] += 1
            self.tally.codes.update(first.codes)
        else:
            self._accepted(first)
        if key is not None:
            self.tally.replays += 1
            again = self._outcome(lambda: call(key))
            if _shape(again) != _shape(first):
                self._unexpected(
                    run, f"replay of {event} gave {_shape(again)}, not {_shape(first)}"
                )
        if isinstance(first, _Refused):
            raise first
        return first

    def _accepted(self, entry: HistoryEntry) -> None:
        self.tally.accepted.append(
            (entry.cohort, entry.seq, entry.nip, entry.event, entry.source, entry.target)
        )

    def _unexpected(self, run: _Run, what: str) -> None:
        self.tally.unexpected.append(f"{run.nomination.cohort} {run.nomination.nip}: {what}")

    def _expect(self, run: _Run, event: str, refusal: str | None, **options: Any) -> None:
        """Fire ``event``; it must be refused with exactly ``refusal`` (or accepted if None)."""
        cohort, nip = run.nomination.cohort, run.nomination.nip
        try:
            entry = self._command(
                run,
                event,
                lambda key: self.engine.fire(cohort, nip, event, key=key, **options),
            )
        except _Refused as refused:
            if (
                refusal is None
                and event == "start_class"
                and refused.codes == ("illegal_transition",)
            ):
                self.tally.raced += 1  # a bulk advance moved them between read and fire
            elif refused.codes != (refusal,):
                self._unexpected(run, f"{event} refused {refused.codes}, expected {refusal}")
            return
        if refusal is not None:
            self._unexpected(run, f"{event} accepted (to {entry.target}), expected {refusal}")

    # -- the lifecycle ------------------------------------------------------------------------

    def step(self, run: _Run) -> None:
        """One command for the nomination: its enrolment, or the move its state calls for."""
        if not run.tried:
            self._enrol(run)
            return
        cohort, nip = run.nomination.cohort, run.nomination.nip
        member: Enrolment = self._retrying(lambda: self.engine.participant(cohort, nip))
        if member.state in _FINALS:
            if "reopen" in run.nomination.quirks and "reopen" not in run.used:
                self._reopen(run, member)
                return
            run.done = True
            self.tally.ended[member.state] += 1
            return
        plan = run.nomination
        if plan.fate in _LEAVING and _STAGES[member.state] >= _STAGES[plan.leave_at]:
            self._leave(run)
        elif member.state == "enrolled":
            self._expect(run, "start_class", None, actor="BKD")
        elif member.state == "on_class":
            self._on_class(run, member)
        elif member.state == "proposal":
            self._proposal(run, member)
        elif member.state == "laboratory":
            self._expect(run, "present_results", None, actor="coach")
        else:
            self._seminar(run, member)

    def _enrol(self, run: _Run) -> None:
        run.tried = True
        self.tally.tried += 1
        plan = run.nomination
        try:
            self._command(
                run,
                "enrol",
                lambda key: self.engine.enrol(plan.cohort, plan.person, actor="BKD", key=key),
            )
        except _Refused as refused:
            run.done = True
            self.tally.ended["refused"] += 1
            if not refused.codes or not set(refused.codes) <= ENROL_REFUSALS:
                self._unexpected(run, f"enrolment refused with {refused.codes}")
            elif plan.refusal is not None and plan.refusal not in refused.codes:
                self._unexpected(run, f"enrolment refused with {refused.codes}, not {plan.refusal}")
            return
        if plan.refusal is not None:
            self._unexpected(run, f"enrolment accepted, expected {plan.refusal}")

    def _reopen(self, run: _Run, member: Enrolment) -> None:
        """Reopen the final state once; a seat taken meanwhile may refuse it."""
        run.used.add("reopen")
        cohort, nip = run.nomination.cohort, run.nomination.nip
        try:
            entry = self._command(
                run,
                "reopen",
                lambda key: self.engine.fire(
                    cohort, nip, "reopen", actor="BKD", reason="soak: reopen", key=key
                ),
            )
        except _Refused as refused:
            if not refused.codes or not set(refused.codes) <= REOPEN_REFUSALS:
                self._unexpected(run, f"reopen of {member.state} refused with {refused.codes}")
            return
        self.tally.reopened += 1
        if member.state in ("graduated", "not_passed") and entry.target != "seminar":
            self._unexpected(run, f"reopen of {member.state} led to {entry.target}")

    def _leave(self, run: _Run) -> None:
        event = run.nomination.fate
        if "no_reason" in run.nomination.quirks and "no_reason" not in run.used:
            run.used.add("no_reason")
            self._expect(run, event, "reason_required", actor="BKD")
        else:
            self._expect(run, event, None, actor="BKD", reason=f"soak: {event}")

    def _on_class(self, run: _Run, member: Enrolment) -> None:
        quirks, used = run.nomination.quirks, run.used
        if "illegal" in quirks and "illegal" not in used:
            used.add("illegal")
            self._expect(run, "graduate", "illegal_transition", actor="penguji")
        elif member.project is None and "no_project" in quirks and "no_project" not in used:
            used.add("no_project")
            self._expect(run, "present_proposal", "change_project_missing")
        elif member.project is None or member.project.mentor is None:
            first = member.project is None and "no_mentor" in quirks and "no_mentor" not in used
            self._register(run, mentor=not first)
        elif "no_mentor" in quirks and "no_mentor" not in used:
            # Registered with a mentor straight away only when the quirk is spent.
            self._unexpected(run, "project has a mentor before mentor_missing was provoked")
        else:
            self._expect(run, "present_proposal", None)

    def _register(self, run: _Run, *, mentor: bool) -> None:
        plan = run.nomination
        if not mentor:
            run.used.add("no_mentor")
        project = ChangeProject(
            title=f"Proyek perubahan {plan.nip[-4:]}",
            theme=f"tema {int(plan.nip[-1]) % 3}",
            mentor=Mentor(name=f"Kepala {plan.person.office.code}") if mentor else None,
        )
        try:
            self._command(
                run,
                "register_project",
                lambda key: self.engine.register_project(
                    plan.cohort, plan.nip, project, actor="coach", key=key
                ),
            )
        except _Refused as refused:
            self._unexpected(run, f"register_project refused {refused.codes}")
            return
        if not mentor:
            self._expect(run, "present_proposal", "mentor_missing")

    def _proposal(self, run: _Run, member: Enrolment) -> None:
        if "revise" in run.nomination.quirks and "revise" not in run.used:
            run.used.add("revise")
            self._expect(run, "revise_proposal", None, actor="mentor", reason="soak: revise")
            return
        mentor = member.project.mentor if member.project else None
        self._expect(run, "approve_proposal", None, actor=mentor.name if mentor else "mentor")

    def _seminar(self, run: _Run, member: Enrolment) -> None:
        plan, used = run.nomination, run.used
        if not member.scores:
            if "early_graduate" in plan.quirks and "early_graduate" not in used:
                used.add("early_graduate")
                self._expect(run, "graduate", "assessment_missing", actor="penguji")
                return
            self.tally.commands += 1
            grade = self._retrying(
                lambda: self.engine.record_assessment(
                    plan.cohort, plan.nip, Assessment(score=plan.score), actor="penguji"
                )
            )
            if grade is None or grade.passed != (plan.fate != "fail"):
                self._unexpected(run, f"score {plan.score} graded {grade}")
            self.tally.accepted.append(
                (plan.cohort, UNSEQUENCED, plan.nip, "record_assessment", "seminar", "seminar")
            )
        elif "correct" in plan.quirks and "correct" not in used:
            used.add("correct")
            self._correct(run)
        elif plan.fate == "fail" and "graduate_refused" not in used:
            used.add("graduate_refused")
            self._expect(run, "graduate", "assessment_not_passing", actor="penguji")
        elif plan.fate == "fail":
            self._expect(run, "fail", None, actor="penguji")
        else:
            self._expect(run, "graduate", None, actor="penguji")

    def _correct(self, run: _Run) -> None:
        """Correct the score by half a point, away from the pass mark: refused without a reason."""
        plan = run.nomination
        corrected = plan.score - 0.5 if plan.fate == "fail" else plan.score + 0.5

        def correct(reason: str | None) -> Callable[[str | None], HistoryEntry]:
            return lambda key: self.engine.correct_assessment(
                plan.cohort, plan.nip, corrected, actor="penguji", reason=reason, key=key
            )

        for reason, refusal in ((None, "reason_required"), ("soak: typo", None)):
            try:
                entry = self._command(run, "correct_assessment", correct(reason))
            except _Refused as refused:
                if refused.codes != (refusal,):
                    self._unexpected(run, f"correction refused {refused.codes}, not {refusal}")
                continue
            if refusal is not None:
                self._unexpected(run, f"correction accepted, expected {refusal}")
            elif (entry.data or {}).get("passed") != (plan.fate != "fail"):
                self._unexpected(run, f"corrected score {corrected} graded {entry.data}")

    def advance(self, cohort: str, worker: int) -> None:
        """Move every enrolled participant of ``cohort`` to class in one keyed bulk command."""
        self.tally.commands += 1
        key = f"{cohort}/advance/{worker}"

        def call() -> AdvanceReport:
            return self.engine.advance(cohort, "start_class", actor="BKD", key=key)

        report: AdvanceReport = self._retrying(call)
        self.tally.advanced += len(report.accepted)
        for entry in report.accepted:
            self._accepted(entry)
        for entry in report.refused:
            self.tally.refused[cohort, entry.nip, "start_class"] += 1
        self.tally.replays += 1
        again: AdvanceReport = self._retrying(call)
        if [e.seq for e in again.accepted] != [e.seq for e in report.accepted] or report.refused:
            self.tally.unexpected.append(f"{cohort}: advance {report} replayed as {again}")


def _shape(outcome: HistoryEntry | _Refused) -> tuple[Any, ...]:
    """What a replay must reproduce: the refusal codes, or the entry's seq and move."""
    if isinstance(outcome, _Refused):
        return ("refused", *outcome.codes)
    return ("accepted", outcome.seq, outcome.event, outcome.source, outcome.target)


def _error(exc: BaseException) -> str:
    """An exception as ``"Type: first line of the message"``."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


def _work_block(driver: _Driver, block: Block, worker: int, deadline: float) -> bool:
    """Round-robin steps over the block's nominations; False if the deadline stopped it."""
    runs = [_Run(n) for n in block.nominations]
    rounds = 0
    while any(not run.done for run in runs):
        if rounds == 1:  # every own nomination tried: move the coordinated cohorts to class
            for cohort in block.advance:
                if time.time() >= deadline:
                    return False
                driver.advance(cohort, worker)
        for run in runs:
            if run.done:
                continue
            if time.time() >= deadline:
                return False
            try:
                driver.step(run)
            except Exception as exc:  # noqa: BLE001 - any other error is recorded, by type
                driver.tally.errors.append(f"{run.nomination.nip}: {_error(exc)}")
                run.done = True
        rounds += 1
    return True


def drive(
    url: str, worker: int, blocks: list[Block], deadline: float, lock_timeout: float
) -> Tally:
    """Drive ``blocks`` in order after the start line until done or ``deadline`` (epoch s)."""
    tally = Tally(worker, nominations=sum(len(b.nominations) for b in blocks))
    store = SqlStore(url, lock_timeout=lock_timeout)
    try:
        driver = _Driver(trusted_engine(store), tally, random.Random(worker))
        if _barrier is None:
            raise RuntimeError("the pool was not started with init_worker")
        _barrier.wait(BARRIER_TIMEOUT)
        started = time.perf_counter()
        for block in blocks:
            if not _work_block(driver, block, worker, deadline):
                tally.hit_deadline = True
                break
        tally.seconds = time.perf_counter() - started
        return tally
    finally:
        store.close()
