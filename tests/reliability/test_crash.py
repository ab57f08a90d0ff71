"""SIGKILL mid-command: no partial state, the next writer proceeds, a retry replays.

Victim processes (forked from a forkserver that has changeflow preloaded, so a hundred
kills stay cheap) run seeded streams of real commands on a shared database and are
killed with ``SIGKILL`` at a planned point: before the unit's flush, after it, before a
random statement, before ``COMMIT``, just after ``COMMIT`` returned, or at a random moment
chosen by the parent (see :mod:`reliability.crash_workers`). After every kill the parent,
from fresh stores and connections:

- times the next writer: a command on the same cohort must commit within a generous,
  one-sided bound (on PostgreSQL it also times how long the killed backends linger);
- retries the command the victim had in flight with the same idempotency key: after a kill
  before the commit the key must be unknown and the retry applies the command once; after
  a kill just after the commit the key must be known and the retry must return the first
  result without writing anything;
- checks that every command the victim heard back from is stored as it was told;
- checks the cohort: each enrolment's state, version and revision count equal a replay of
  its accepted moves (and :meth:`Engine.states_as_of`), state flags and the seat counters
  (per cohort and per office) agree with the enrolments, every idempotency key names
  exactly the audit rows that carry it, the chain verifies and every stored fact (states,
  projects, scores, counters) equals the chain's replay (:meth:`Engine.verify`), and on
  SQLite ``PRAGMA integrity_check`` is ``ok``.

Two controls show the harness can fail: the checker names partial states written behind
the store's back, and victims whose units commit their rows before the chain head and
counters (a split commit), killed in between, are caught on every attempt.

Default sizes run in ``make test``; the ``heavy`` variants kill 100 victims per backend
for each check. Seeds are fixed; every problem is reported with its seed and attempt.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import signal
import sqlite3
import sys
import time
from collections import Counter
from contextlib import closing, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import func, select, update

from changeflow.records import COHORT_NIP
from changeflow.states.names import CREATE_COHORT, DATA_COMMANDS
from changeflow.store.sql import SqlStore, tables
from factories import make_cohort, trusted_engine
from reliability import crash_workers
from reliability.crash_workers import Command, Outcome, Plan
from reliability.processes import child_path

if TYPE_CHECKING:
    from collections.abc import Iterator
    from multiprocessing.context import ForkServerContext

    from changeflow import Engine
    from changeflow.records import HistoryEntry

SEED = 20190404
CHECK3_KILLS = 20
CHECK3_KILLS_HEAVY = 100
CHECK4_KILLS = 8
CHECK4_KILLS_HEAVY = 100
ATTEMPTS_PER_COHORT = 10
"""Victims per cohort before a fresh cohort (and roster) is started."""
WARM_UP_COMMANDS = 60
"""Commands run (unharmed) on a new cohort first, so victims meet people in every stage."""
HOOK_COMMANDS = 80
TIMER_COMMANDS = 400
TIMER_MAX_S = 0.2
CHILD_TIMEOUT_S = 60.0
NEXT_WRITER_BOUND_S = 5.0
"""Generous, one-sided: a writer after a kill commits well within this (2 shared cores)."""
BACKEND_GONE_BOUND_S = 5.0
CHECK3_PHASES = ("before_flush", "after_flush", "statement", "before_commit", "timer")
PRE_COMMIT = frozenset({"before_flush", "after_flush", "statement", "before_commit"})
# How far into a stream each hook kills (the n-th time its point is reached): early, so a
# hundred kills stay fast, and spread, so refusals, bulk steps and late states get hit.
REACH = {
    "before_flush": 10,
    "after_flush": 10,
    "statement": 60,
    "before_commit": 10,
    "after_commit": 8,
}

_SINGLE_ROW = {"refused": "refused", "graded": "accepted"}
"""Outcomes reported without their entry, and the one row each must have left."""

_cohorts = tables.COHORTS
_seats = tables.SEATS
_enrolments = tables.ENROLMENTS
_keys = tables.KEYS
_FAR_FUTURE = datetime(2999, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def forkserver() -> ForkServerContext:
    """A forkserver context whose server has changeflow and the victims preloaded."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["reliability.crash_workers"])
    # The server is started by the first process: give it (and so every victim) the path.
    with child_path():
        warm = context.Process(target=os.getpid)
        warm.start()
        warm.join(CHILD_TIMEOUT_S)
    return context


@dataclass
class Backend:
    """The database under test: its URL, file (SQLite) and admin connection (PostgreSQL)."""

    name: str
    url: str
    path: Path | None = None
    admin: Any = None


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """An SQLite file in ``tmp_path``, or a fresh PostgreSQL database with an admin link."""
    if request.param == "sqlite":
        path = tmp_path / "crash.db"
        yield Backend("sqlite", f"sqlite:///{path}", path=path)
        return
    url = str(request.getfixturevalue("pg_url"))
    server = request.getfixturevalue("postgres_server")
    with closing(server.connect_admin()) as admin:
        yield Backend("postgresql", url, admin=admin)


# -- the checker ---------------------------------------------------------------------------


def _replay_problems(engine: Engine, cohort: str, history: list[HistoryEntry]) -> list[str]:
    """Enrolments that differ from the replay of their accepted moves."""
    problems: list[str] = []
    states: dict[str, str] = {}
    moves: Counter[str] = Counter()
    revisions: Counter[str] = Counter()
    for entry in history:
        # The cohort's own entries and data commands (facts, not states) are no moves.
        if entry.nip == COHORT_NIP or entry.event in DATA_COMMANDS:
            continue
        if entry.accepted and entry.target is not None:
            states[entry.nip] = entry.target
            moves[entry.nip] += 1
            revisions[entry.nip] += entry.source == entry.target
    members = {e.nip: e for e in engine.participants(cohort)}
    stored = {nip: e.state for nip, e in members.items()}
    if stored != states:
        odd = sorted(set(stored.items()) ^ set(states.items()))[:4]
        problems.append(f"state: enrolments differ from the audit replay: {odd}")
    if engine.states_as_of(cohort, _FAR_FUTURE) != stored:
        problems.append("state: Engine.states_as_of differs from the enrolments")
    for nip, member in members.items():
        if (member.version, member.revisions) != (moves[nip], revisions[nip]):
            problems.append(
                f"version: {nip} has version {member.version}/revisions {member.revisions}, "
                f"its audit rows say {moves[nip]}/{revisions[nip]}"
            )
    return problems


def _counter_problems(engine: Engine, store: SqlStore, cohort: str) -> list[str]:
    """State flags and seat counters that disagree with the enrolments."""
    lifecycle = engine.lifecycle
    problems: list[str] = []
    with store.engine.connect() as connection:
        head = connection.execute(select(_cohorts).where(_cohorts.c.code == cohort)).one()
        rows = connection.execute(
            select(_enrolments).where(_enrolments.c.cohort_id == head.id)
        ).all()
        counters = dict(
            connection.execute(
                select(_seats.c.office_code, _seats.c.seated).where(_seats.c.cohort_id == head.id)
            ).all()
        )
    for row in rows:
        flags = (bool(row.active), bool(row.seated), bool(row.completed))
        wanted = (
            row.state not in lifecycle.finals,
            row.state not in lifecycle.seat_freeing,
            row.state in lifecycle.completing,
        )
        if flags != wanted:
            problems.append(f"flags: {row.nip} in {row.state} has {flags}, wants {wanted}")
    seated = Counter(row.office_code for row in rows if row.seated)
    if head.seated != sum(seated.values()):
        problems.append(f"counter: cohort seated={head.seated}, enrolments {sum(seated.values())}")
    offices = {office: n for office, n in counters.items() if n}  # a row may hold 0
    if offices != dict(seated):
        problems.append(f"office counter: {sorted(offices.items())} vs {sorted(seated.items())}")
    limits = engine.cohort(cohort)
    if (
        sum(seated.values()) > limits.capacity
        or max(seated.values(), default=0) > limits.parameters.max_per_office
    ):
        problems.append(f"quota: {sum(seated.values())} seated, per office {dict(seated)}")
    return problems


def _key_problems(store: SqlStore, cohort: str, history: list[HistoryEntry]) -> list[str]:
    """Idempotency keys that do not name exactly the audit rows carrying them."""
    problems: list[str] = []
    by_seq = {entry.seq: entry for entry in history}
    claimed: dict[int, str] = {}
    with store.engine.connect() as connection:
        keys = connection.execute(
            select(_keys.c.key, _keys.c.seqs)
            .join(_cohorts, _cohorts.c.id == _keys.c.cohort_id)
            .where(_cohorts.c.code == cohort)
        ).all()
    for key, seqs_text in keys:
        seqs = json.loads(seqs_text)
        for seq in seqs if isinstance(seqs, list) else [seqs]:
            entry = by_seq.get(seq)
            if entry is None or crash_workers.carried_key(entry) != key:
                problems.append(f"key: {key} names seq {seq}, which does not carry it")
            elif seq in claimed:
                problems.append(f"key: seq {seq} is named by {claimed[seq]} and {key}")
            claimed[seq] = key
    for entry in history:
        key = crash_workers.carried_key(entry)
        if key is not None and claimed.get(entry.seq) != key:
            problems.append(f"key: audit seq {entry.seq} carries {key}, no record names it")
    return problems


def _sqlite_problems(path: Path) -> list[str]:
    """``PRAGMA integrity_check`` and ``foreign_key_check`` of the file, from a new connection."""
    try:
        with closing(sqlite3.connect(path)) as connection:
            integrity = [row[0] for row in connection.execute("PRAGMA integrity_check")]
            orphans = connection.execute("PRAGMA foreign_key_check").fetchall()
    except sqlite3.DatabaseError as error:  # a file too damaged to check at all
        return [f"integrity: {error}"]
    problems = [] if integrity == ["ok"] else [f"integrity: {integrity[:3]}"]
    return problems + ([f"foreign keys: {orphans[:3]}"] if orphans else [])


def cohort_problems(backend: Backend, cohort: str) -> list[str]:
    """Every disagreement found in ``cohort``, from a fresh store (empty: consistent)."""
    store = SqlStore(backend.url)
    try:
        return _store_problems(store, cohort) + (
            [] if backend.path is None else _sqlite_problems(backend.path)
        )
    finally:
        store.close()


def _store_problems(store: SqlStore, cohort: str) -> list[str]:
    """Every disagreement the store shows in ``cohort`` (empty: consistent)."""
    engine = trusted_engine(store)
    history = store.history(cohort=cohort)
    problems = _replay_problems(engine, cohort, history)
    problems += _counter_problems(engine, store, cohort)
    problems += _key_problems(store, cohort, history)
    check = engine.verify(cohort)[0]
    head = store.head(cohort)
    problems += [f"record: {difference}" for difference in check.differences]
    if (not check.ok and not check.differences) or head.seq != len(history):
        problems.append(f"chain: {check}, head {head.seq}, {len(history)} rows")
    opening = [(e.seq, e.event) for e in history if e.nip == COHORT_NIP]
    if opening != [(1, CREATE_COHORT)]:
        problems.append(f"chain: the cohort's own entries are {opening}")
    return problems


# -- one victim ------------------------------------------------------------------------------


@dataclass
class Victim:
    """What one killed victim told the parent, and how it ended."""

    command: list[Command] = field(default_factory=list)
    done: dict[int, tuple[str, tuple[tuple[int, str, str | None, str], ...]]] = field(
        default_factory=dict
    )
    errors: list[str] = field(default_factory=list)
    backends: list[int] = field(default_factory=list)
    kill: tuple[Any, ...] | None = None
    finished: bool = False
    exitcode: int | None = None
    died_at: float = 0.0

    def take(self, message: tuple[Any, ...]) -> None:
        """Record one message from the victim's pipe."""
        kind = message[0]
        if kind == "start":
            self.command.append(message[2])
        elif kind == "done":
            self.done[message[1]] = message[2]
        elif kind == "error":
            self.errors.append(message[2])
        elif kind == "backend":
            self.backends.append(message[1])
        elif kind == "kill":
            self.kill = message
        elif kind == "finished":
            self.finished = True

    @property
    def in_flight(self) -> Command | None:
        """The command that started and never returned (None if the last one returned)."""
        if not self.command or len(self.command) - 1 in self.done:
            return None
        return self.command[-1]


def _read(conn: Any, victim: Victim, deadline: float, *, until_ready: bool = False) -> str:
    """Take messages until end of file, the ``ready`` message, or the deadline."""
    while time.monotonic() < deadline:
        if not conn.poll(0.02):
            continue
        try:
            message = conn.recv()
        except (EOFError, OSError):  # OSError: killed in the middle of a message
            return "eof"
        victim.take(message)
        if until_ready and message[0] == "ready":
            return "ready"
    return "timeout"


def run_victim(
    context: ForkServerContext, url: str, block: int, plan: Plan, seed: int, rng: random.Random
) -> Victim:
    """Start a victim, kill it (its own hook, or a timer here) and reap it."""
    reader, writer = context.Pipe(duplex=False)
    commands = TIMER_COMMANDS if plan.phase == "timer" else HOOK_COMMANDS
    process = context.Process(
        target=crash_workers.victim, args=(writer, url, block, plan, seed, commands), daemon=True
    )
    victim = Victim()
    process.start()
    writer.close()
    try:
        deadline = time.monotonic() + CHILD_TIMEOUT_S
        if plan.phase == "timer":
            if _read(reader, victim, deadline, until_ready=True) == "ready":
                _read(reader, victim, time.monotonic() + rng.uniform(0.0, TIMER_MAX_S))
            process.kill()
        if _read(reader, victim, deadline) != "eof":
            victim.errors.append("the victim neither died nor finished in time")
        process.join(CHILD_TIMEOUT_S)
        victim.died_at = time.perf_counter()
        victim.exitcode = process.exitcode
    finally:
        if process.is_alive():
            process.kill()
            process.join(CHILD_TIMEOUT_S)
        reader.close()
    return victim


# -- the crash run -----------------------------------------------------------------------------


@dataclass
class Figures:
    """What a crash run measured, printed as one ``[reliability]`` line."""

    attempts: int = 0
    faults: int = 0
    phases: Counter[str] = field(default_factory=Counter)
    commands: int = 0
    heard: int = 0
    lost: int = 0
    retried: int = 0
    replayed: int = 0
    replayed_kinds: Counter[str] = field(default_factory=Counter)
    reapplied: int = 0
    inconsistent: int = 0
    next_writer_s: list[float] = field(default_factory=list)
    backend_gone_s: list[float] = field(default_factory=list)


class CrashRun:
    """Kills victims one after another on one database and checks after every kill."""

    def __init__(
        self, context: ForkServerContext, backend: Backend, seed: int, *, split: bool = False
    ) -> None:
        """A run on ``backend``; ``seed`` makes every plan and every stream reproducible.

        ``split`` runs the control: victims whose units commit in two transactions.
        """
        self.context = context
        self.backend = backend
        self.seed = seed
        self.split = split
        self.rng = random.Random(seed)
        self.figures = Figures()
        self.problems: list[str] = []

    def attempt(self, number: int, phase: str) -> None:
        """One victim killed at ``phase``, then every check."""
        block = number // ATTEMPTS_PER_COHORT
        if number % ATTEMPTS_PER_COHORT == 0:
            self._new_cohort(block)
        plan = Plan(phase, self.rng.randint(1, REACH.get(phase, 1)), self.split)
        child_seed = self.seed * 1000 + number
        victim = run_victim(self.context, self.backend.url, block, plan, child_seed, self.rng)
        found = self._judge_death(victim, plan) + self._backend_gone(victim)
        # One store opened after the death, as a restarted application would: the next
        # writer, the retry and every check go through it.
        started = time.perf_counter()
        store = SqlStore(self.backend.url, lock_timeout=2 * NEXT_WRITER_BOUND_S)
        try:
            found += self._next_writer(store, block, started)
            found += self._heard_back(store, victim, block)
            found += _data_writes(store, victim, plan)
            found += self._retry(store, victim, plan)
            found += _store_problems(store, crash_workers.cohort_code(block))
        finally:
            store.close()
        if self.backend.path is not None:
            found += _sqlite_problems(self.backend.path)
        self.figures.attempts += 1
        self.figures.commands += len(victim.command)
        self.figures.inconsistent += len(found)
        label = f"seed={self.seed} attempt={number} plan={plan} victim_seed={child_seed}"
        self.problems += [f"{label}: {problem}" for problem in found]

    def _new_cohort(self, block: int) -> None:
        """Create cohort ``block`` and enrol its probe participant (an office of its own)."""
        store = SqlStore(self.backend.url)
        try:
            engine = trusted_engine(store)
            code = crash_workers.cohort_code(block)
            engine.create_cohort(make_cohort(code, capacity=30, max_per_office=2))
            engine.enrol(code, crash_workers.participant(block, crash_workers.PROBE))
        finally:
            store.close()
        crash_workers.warm_up(self.backend.url, block, self.seed * 1000 + block, WARM_UP_COMMANDS)

    def _judge_death(self, victim: Victim, plan: Plan) -> list[str]:
        """The victim died of SIGKILL at the planned point, with no other error."""
        problems = [f"victim error: {error}" for error in victim.errors]
        if victim.exitcode != -signal.SIGKILL:
            problems.append(f"victim exit code {victim.exitcode} (finished={victim.finished})")
        elif plan.phase != "timer" and (victim.kill is None or victim.kill[2] != plan.phase):
            problems.append(f"victim killed without reaching {plan.phase}: {victim.kill}")
        else:
            self.figures.faults += 1
            self.figures.phases[plan.phase] += 1
        return problems

    def _backend_gone(self, victim: Victim) -> list[str]:
        """On PostgreSQL, time how long the killed victim's backends outlive it."""
        if self.backend.admin is None or not victim.backends:
            return []
        while True:
            row = self.backend.admin.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", (victim.backends,)
            ).fetchone()
            waited = time.perf_counter() - victim.died_at
            if row[0] == 0 or waited >= BACKEND_GONE_BOUND_S:
                break
            time.sleep(0.005)
        self.figures.backend_gone_s.append(waited)
        return [] if row[0] == 0 else [f"backends {victim.backends} alive after {waited:.2f} s"]

    def _next_writer(self, store: SqlStore, block: int, started: float) -> list[str]:
        """The next writer's command on the cohort commits, and soon (store opening included)."""
        problems: list[str] = []
        try:
            nip = crash_workers.participant(block, crash_workers.PROBE).nip
            trusted_engine(store).record_assessment(crash_workers.cohort_code(block), nip, 80.0)
        except Exception as exc:  # noqa: BLE001 - the failure is the finding
            problems.append(f"next writer failed: {type(exc).__name__}: {exc}")
        took = time.perf_counter() - started
        self.figures.next_writer_s.append(took)
        if took >= NEXT_WRITER_BOUND_S:
            problems.append(f"next writer took {took:.2f} s")
        return problems

    def _heard_back(self, store: SqlStore, victim: Victim, block: int) -> list[str]:
        """Every keyed command the victim heard back from is stored as it was told."""
        heard = {
            victim.command[i].key: digest
            for i, digest in victim.done.items()
            if victim.command[i].key is not None
        }
        self.figures.heard += len(heard)
        stored = _stored(store, crash_workers.cohort_code(block), list(heard))
        problems = []
        for key, (kind, rows) in heard.items():
            got = stored.get(key)
            # A refusal comes back as an exception, a score as its grade, without their
            # seq: one refused (accepted) row it is.
            ok = (
                got is not None and len(got) == 1 and got[0][3] == _SINGLE_ROW[kind]
                if kind in _SINGLE_ROW
                else got == rows
            )
            if not ok:
                self.figures.lost += 1
                problems.append(f"lost: {key} answered {kind} {rows}, stored {got}")
        return problems

    def _retry(self, store: SqlStore, victim: Victim, plan: Plan) -> list[str]:
        """Retry the in-flight keyed command with its key: once applied, never twice."""
        command = victim.in_flight
        if command is None or command.key is None:
            return []
        self.figures.retried += 1
        first = _stored(store, command.cohort, [command.key]).get(command.key)
        problems = _committed_as_planned(plan, first is not None)
        trail = len(store.history(cohort=command.cohort))
        versions = {e.nip: e.version for e in store.enrolments(command.cohort)}
        try:
            outcome = crash_workers.execute(trusted_engine(store), command)
        except Exception as exc:  # noqa: BLE001 - the failure is the finding
            return [*problems, f"retry of {command} raised {type(exc).__name__}: {exc}"]
        if first is None:
            self.figures.reapplied += 1
            if command.key not in _stored(store, command.cohort, [command.key]):
                problems.append(f"retry of {command} recorded no key")
            return problems
        self.figures.replayed += 1
        self.figures.replayed_kinds[f"{command.kind}:{outcome.kind}"] += 1
        if versions != {e.nip: e.version for e in store.enrolments(command.cohort)}:
            problems.append(f"retry of {command.key} moved someone again")
        return problems + _replay_mismatch(store, command, outcome, first, trail)

    def report(self, check: str, duration: float) -> None:
        """Print the run's figures as one line on stderr."""
        f = self.figures
        line = (
            f"attempts={f.attempts}, faults={f.faults}, lost={f.lost}, "
            f"inconsistent={f.inconsistent}, phases={dict(sorted(f.phases.items()))}, "
            f"commands={f.commands}, heard_back={f.heard}, retried={f.retried}, "
            f"replayed={f.replayed} {dict(sorted(f.replayed_kinds.items()))}, "
            f"reapplied={f.reapplied}, "
            f"next_writer_max_s={max(f.next_writer_s, default=0):.3f}, "
            f"next_writer_median_s={_median(f.next_writer_s):.3f}"
        )
        if f.backend_gone_s:
            line += (
                f", backend_gone_max_s={max(f.backend_gone_s):.3f}, "
                f"backend_gone_median_s={_median(f.backend_gone_s):.3f}"
            )
        line += f", seed={self.seed}, duration_s={duration:.1f}"
        print(f"\n[reliability] {check} on {self.backend.name}: {line}", file=sys.stderr)


def _stored(store: SqlStore, cohort: str, keys: list[str]) -> dict[str, tuple[Any, ...]]:
    """``(seq, nip, target, outcome)`` of the audit rows each recorded key names, by key."""
    by_seq = {e.seq: e for e in store.history(cohort=cohort)}
    with store.engine.connect() as connection:
        records = connection.execute(
            select(_keys.c.key, _keys.c.seqs).where(_keys.c.key.in_(keys))
        ).all()
    stored: dict[str, tuple[Any, ...]] = {}
    for key, seqs_text in records:
        seqs = json.loads(seqs_text)
        stored[key] = tuple(
            (s, e.nip, e.target, e.outcome) if e is not None else (s, None, None, "missing")
            for s in (seqs if isinstance(seqs, list) else [seqs])
            for e in [by_seq.get(s)]
        )
    return stored


def _median(values: list[float]) -> float:
    """The median of ``values`` (0 for none)."""
    ordered = sorted(values)
    return ordered[len(ordered) // 2] if ordered else 0.0


def _data_writes(store: SqlStore, victim: Victim, plan: Plan) -> list[str]:
    """Projects and scores the victim heard back about are stored; one killed before COMMIT is not.

    Victims register a project only for someone without one and score only someone
    unscored, so what is stored says whether each such command committed.
    """
    members: dict[str, Any] = {}
    problems: list[str] = []
    for index, command in enumerate(victim.command):
        if command.kind not in {"project", "assess"}:
            continue
        if not members:
            members = {e.nip: e for e in store.enrolments(command.cohort)}
        member = members[crash_workers.participant(command.block, command.who).nip]
        stored = (
            member.project is not None
            if command.kind == "project"
            else (member.scores or {}).get("overall") == float(command.arg)
        )
        if index in victim.done and not stored:
            problems.append(f"lost: {command} returned, yet it is not stored")
        elif index not in victim.done and plan.phase in PRE_COMMIT and stored:
            problems.append(f"partial: {command} killed at {plan.phase}, yet it is stored")
    return problems


def _committed_as_planned(plan: Plan, committed: bool) -> list[str]:
    """A kill before COMMIT leaves the key unknown; one after COMMIT leaves it recorded."""
    if plan.phase in PRE_COMMIT and committed:
        return [f"killed at {plan.phase}, yet the command committed"]
    if plan.phase == "after_commit" and not committed:
        return ["killed after COMMIT returned, yet the command is not stored"]
    return []


def _replay_mismatch(
    store: SqlStore, command: Command, outcome: Outcome, first: tuple[Any, ...], trail: int
) -> list[str]:
    """A retry of a committed command returned its first result and wrote nothing."""
    problems: list[str] = []
    stored = {e.seq: e for e in store.history(cohort=command.cohort)}
    if len(stored) != trail:
        problems.append(f"retry of {command.key} wrote {len(stored) - trail} audit rows")
    entries = tuple(stored.get(row[0]) for row in first)
    if outcome.kind == "refused":
        if len(entries) != 1 or entries[0].accepted:
            problems.append(f"retry of {command.key} refused, first result was {first}")
        elif outcome.codes != tuple(v.code for v in entries[0].violations):
            problems.append(f"retry of {command.key} refused with other codes {outcome.codes}")
    elif outcome.kind == "graded":
        if len(entries) != 1 or not entries[0].accepted or entries[0].event != "record_assessment":
            problems.append(f"retry of {command.key} graded, first result was {first}")
    elif outcome.entries != entries:
        problems.append(f"retry of {command.key} returned {outcome.entries}, first {entries}")
    return problems


def _phases(rng: random.Random, phases: tuple[str, ...], count: int) -> list[str]:
    """``count`` phases, each used equally often (shuffled round by round)."""
    order: list[str] = []
    while len(order) < count:
        batch = list(phases)
        rng.shuffle(batch)
        order += batch
    return order[:count]


def _crash_run(
    context: ForkServerContext,
    backend: Backend,
    *,
    check: str,
    phases: tuple[str, ...],
    kills: int,
    seed: int,
    split: bool = False,
) -> CrashRun:
    """Kill ``kills`` victims on ``backend``, report the figures and return the run."""
    run = CrashRun(context, backend, seed, split=split)
    started = time.perf_counter()
    for number, phase in enumerate(_phases(random.Random(seed), phases, kills)):
        run.attempt(number, phase)
    blocks = (kills - 1) // ATTEMPTS_PER_COHORT + 1
    for block in range(blocks):  # every cohort once more at the end, the probes included
        code = crash_workers.cohort_code(block)
        run.problems += [f"seed={seed} final {code}: {p}" for p in cohort_problems(backend, code)]
    run.report(check, time.perf_counter() - started)
    return run


def _assert_clean(run: CrashRun, kills: int) -> None:
    """Every planned kill landed, nothing lost, nothing inconsistent."""
    shown = "\n".join(run.problems[:10])
    assert not run.problems, f"seed={run.seed}: {len(run.problems)} problems\n{shown}"
    assert run.figures.faults == kills, f"seed={run.seed}"
    assert run.figures.lost == 0


# -- check 3: SIGKILL mid-command ------------------------------------------------------------------


def _check3(context: ForkServerContext, backend: Backend, kills: int) -> None:
    """Check 3 with ``kills`` victims, killed at every pre-commit point and at random."""
    run = _crash_run(
        context, backend, check="sigkill mid-command", phases=CHECK3_PHASES, kills=kills, seed=SEED
    )
    _assert_clean(run, kills)
    # The retries must have exercised both sides: rolled-back commands applied once.
    assert run.figures.reapplied > 0, f"seed={run.seed}"
    assert run.figures.heard > 0


def test_sigkill_mid_command_leaves_no_partial_state(
    forkserver: ForkServerContext, backend: Backend
) -> None:
    """Victims killed before/after the flush, mid-statement, before COMMIT or at random."""
    _check3(forkserver, backend, CHECK3_KILLS)


@pytest.mark.heavy
def test_sigkill_mid_command_leaves_no_partial_state_full(
    forkserver: ForkServerContext, backend: Backend
) -> None:
    """The full-size variant: 100 kills per backend."""
    _check3(forkserver, backend, CHECK3_KILLS_HEAVY)


# -- check 4: kill after COMMIT, before the caller hears back ------------------------------------


def _check4(context: ForkServerContext, backend: Backend, kills: int) -> None:
    """Check 4 with ``kills`` victims, each killed just after a keyed command's COMMIT."""
    run = _crash_run(
        context,
        backend,
        check="kill after commit",
        phases=("after_commit",),
        kills=kills,
        seed=SEED + 4,
    )
    _assert_clean(run, kills)
    assert run.figures.replayed == kills, f"seed={run.seed}"
    assert run.figures.reapplied == 0


def test_kill_after_commit_retry_returns_first_result(
    forkserver: ForkServerContext, backend: Backend
) -> None:
    """A victim killed just after COMMIT: the keyed retry replays, nothing is written twice."""
    _check4(forkserver, backend, CHECK4_KILLS)


@pytest.mark.heavy
def test_kill_after_commit_retry_returns_first_result_full(
    forkserver: ForkServerContext, backend: Backend
) -> None:
    """The full-size variant: 100 kills per backend."""
    _check4(forkserver, backend, CHECK4_KILLS_HEAVY)


# -- the harness can fail -----------------------------------------------------------------------

CONTROL_KILLS = 5


def test_split_commit_control_is_caught(forkserver: ForkServerContext, backend: Backend) -> None:
    """Victims that commit rows and chain head separately, killed in between: all caught."""
    run = _crash_run(
        forkserver,
        backend,
        check="split-commit control",
        phases=("after_flush",),
        kills=CONTROL_KILLS,
        seed=SEED + 9,
        split=True,
    )
    flagged = {problem.split(": ", 1)[0] for problem in run.problems if "attempt=" in problem}
    assert len(flagged) == CONTROL_KILLS, run.problems
    kinds = " ".join(run.problems)
    assert "yet the command committed" in kinds
    assert "chain:" in kinds


def test_checker_names_injected_partial_states(backend: Backend) -> None:
    """Partial states written behind the store's back are each named by the checker."""
    code = crash_workers.cohort_code(0)
    store = SqlStore(backend.url)
    try:
        engine = trusted_engine(store)
        engine.create_cohort(make_cohort(code, capacity=30, max_per_office=2))
        for who in range(4):
            command = Command("enrol", code, 0, who, "", None, f"control-{who}")
            assert crash_workers.execute(engine, command).kind == "accepted"
        assert cohort_problems(backend, code) == []
        moved = crash_workers.participant(0, 0).nip
        with store.engine.begin() as connection:
            # A move without its audit row, a counter that missed a seat, a lost key record.
            connection.execute(
                update(_enrolments).where(_enrolments.c.nip == moved).values(state="on_class")
            )
            connection.execute(update(_cohorts).values(seated=_cohorts.c.seated + 1))
            connection.execute(update(_seats).values(seated=_seats.c.seated + 1))
            connection.execute(_keys.delete().where(_keys.c.key == "control-3"))
            remaining = connection.execute(select(func.count()).select_from(_keys)).scalar()
        assert remaining == 3
    finally:
        store.close()
    problems = cohort_problems(backend, code)
    kinds = Counter(problem.split(":", 1)[0] for problem in problems)
    assert {"state", "counter", "office counter", "key", "record"} <= set(kinds), problems
    # Verify names each planted fact: the state, and both seat counters.
    named = [p for p in problems if p.startswith("record:")]
    assert any(f"enrolments {moved} state" in p for p in named), named
    assert any("cohorts CRASH-000 seated" in p for p in named), named
    assert any("cohort_offices" in p for p in named), named
    if backend.path is not None:
        _corrupt_page(backend.path)
        assert any(p.startswith("integrity") for p in _sqlite_problems(backend.path))


def _corrupt_page(path: Path) -> None:
    """Overwrite part of an index page of the SQLite file (checkpointed first)."""
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page = connection.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = 'ix_audit_nip_id'"
        ).fetchone()[0]
        size = connection.execute("PRAGMA page_size").fetchone()[0]
    with path.open("r+b") as file:
        file.seek((page - 1) * size + 8)
        file.write(b"\xff" * 64)
    with suppress(FileNotFoundError):
        Path(f"{path}-shm").unlink()
