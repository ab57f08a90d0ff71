"""Victim processes for the crash tests: real commands on a shared database, killed mid-way.

A victim opens its own :class:`~changeflow.store.sql.SqlStore` and :class:`~changeflow.Engine`
on the shared database and runs a seeded stream of real commands on one cohort: keyed
enrolments, keyed fires (refused ones and reopenings too), keyed bulk advances, and keyed
data commands (change projects and scores), every one of them an audit entry.
A :class:`KillSwitch` installed on the store's SQLAlchemy engine sends the process
``SIGKILL`` at a planned point of a command:

``before_flush``
    just before the unit's buffered moves and audit rows are sent (the first statement of a
    flush);
``after_flush``
    just after the flush, before the chain head and counters are written;
``statement``
    before the n-th statement of any command (reads, inserts, the idempotency record ...);
``before_commit``
    when the transaction is about to commit (SQLAlchemy's ``commit`` event, fired before
    the driver's ``COMMIT``);
``after_commit``
    just after the driver's ``COMMIT`` returned, before the engine returns to its caller
    (keyed commands only): the caller never hears back;
``timer``
    no hook: the parent kills the process at a random moment.

The victim reports through a one-way pipe (every message is written before the next step,
so what was sent before the kill reaches the parent): ``("ready", pid)``,
``("backend", pid)`` for each PostgreSQL backend it uses, ``("start", index, command)``,
``("done", index, summary)``, ``("error", index, text)``, ``("kill", index, phase, where)``
and ``("finished",)`` when the stream ends without a kill.

:func:`execute` runs one :class:`Command`; the parent uses it too, to retry the command a
killed victim had in flight with the same idempotency key.
"""

from __future__ import annotations

import os
import random
import signal
import traceback
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import event

from changeflow import ChangeProject, Engine, Mentor
from changeflow.errors import TransitionRejected
from changeflow.rules.registry import RuleRegistry
from changeflow.states.default import DEFAULT_LIFECYCLE
from changeflow.states.machine import Lifecycle
from changeflow.states.names import DATA_COMMANDS
from changeflow.store.sql import SqlStore, SqlUnit
from factories import make_nip, make_participant, office, trusted_engine

if TYPE_CHECKING:
    from collections.abc import Callable
    from multiprocessing.connection import Connection

    from sqlalchemy import Engine as SqlEngine

    from changeflow.models import Participant
    from changeflow.records import HistoryEntry

__all__ = [
    "ACTOR",
    "DATA_KINDS",
    "HOOK_PHASES",
    "KEYED_KINDS",
    "PEOPLE",
    "PHASES",
    "PROBE",
    "Command",
    "KillSwitch",
    "Outcome",
    "Plan",
    "carried_key",
    "choose",
    "cohort_code",
    "execute",
    "participant",
    "split_commits",
    "summary",
    "victim",
    "warm_up",
]

PEOPLE = 40
"""Participants in each cohort's roster (capacity is 30, two per office: some are refused)."""

PROBE = PEOPLE
"""Roster index of the probe participant: enrolled by the parent, never touched by victims."""

OFFICES = 16
"""Offices the roster is spread over."""

ACTOR = "crash-test"
"""The actor recorded on every command."""

HOOK_PHASES = ("before_flush", "after_flush", "statement", "before_commit", "after_commit")
"""Kill points reached by a hook inside the victim."""

PHASES = (*HOOK_PHASES, "timer")
"""Every kill point, the parent's random timer included."""

DATA_KINDS = frozenset({"project", "assess"})
"""Data commands: they change a participant's facts, not the state."""

KEYED_KINDS = frozenset({"enrol", "fire", "advance", *DATA_KINDS})
"""Commands that carry an idempotency key (every command writes audit rows)."""

# Compiled once, in the forkserver that preloads this module: every victim forks with it.
_RULES = RuleRegistry.default()
_LIFECYCLE = Lifecycle(DEFAULT_LIFECYCLE, _RULES)

_FLUSH_PREFIXES = ("UPDATE enrolments SET state", "INSERT INTO audit")
_HEAD_PREFIX = "UPDATE cohorts SET seated"
_ADVANCE_EVENTS = ("start_class", "present_results", "revise_proposal")
_ALL_EVENTS = (
    "start_class",
    "present_proposal",
    "revise_proposal",
    "approve_proposal",
    "present_results",
    "graduate",
    "fail",
)


class Command(NamedTuple):
    """One command of a victim's stream; everything needed to run it again."""

    kind: str
    """``enrol``, ``fire``, ``advance``, or the data commands ``project`` and ``assess``."""
    cohort: str
    block: int
    """The cohort's roster number (participants are derived from it)."""
    who: int
    """Roster index of the participant (-1 for an advance)."""
    arg: str
    """The event (fire, advance), the score (assess) or empty."""
    reason: str | None
    key: str | None


class Plan(NamedTuple):
    """Where a victim dies: the ``at``-th time its ``phase`` is reached (1-based)."""

    phase: str
    at: int
    split_commits: bool = False
    """The control: the victim commits its rows before the chain head and counters."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a command returned: its entries (accepted or refused), or the refusal's codes."""

    kind: str
    """``accepted``, ``refused``, ``advanced`` (a bulk report) or ``graded`` (a score was
    recorded: the command returns the grade, not its entry)."""
    entries: tuple[HistoryEntry, ...] = ()
    codes: tuple[str, ...] = ()


def cohort_code(block: int) -> str:
    """The code of the ``block``-th crash cohort."""
    return f"CRASH-{block:03d}"


def participant(block: int, who: int) -> Participant:
    """Roster member ``who`` of cohort ``block``: eligible, NIP unique across blocks."""
    born = date(1972, 1 + block % 12, 1 + block // 12)
    nip = make_nip(born, appointed=(2000, 3), sequence=who + 1)
    desk = office(100 + block) if who == PROBE else office(who % OFFICES + 1)
    return make_participant(born=born, nip=nip, office=desk)


def _payload(command: Command) -> dict[str, Any] | None:
    # The key travels in the payload too, so a checker can tie every audit row to the
    # idempotency record that must name it.
    return None if command.key is None else {"key": command.key}


def carried_key(entry: HistoryEntry) -> str | None:
    """The idempotency key an audit entry carries: in its payload, or a data command's reason.

    Data commands take no payload, so victims give their key as the reason.
    """
    key = (entry.payload or {}).get("key")
    if key is None and entry.event in DATA_COMMANDS:
        return entry.reason
    return key


def execute(engine: Engine, command: Command) -> Outcome:
    """Run ``command`` on ``engine``; refusals are outcomes, anything else raises."""
    cohort, key, payload = command.cohort, command.key, _payload(command)
    nip = participant(command.block, command.who).nip if command.who >= 0 else ""
    try:
        if command.kind == "enrol":
            person = participant(command.block, command.who)
            entry = engine.enrol(cohort, person, actor=ACTOR, payload=payload, key=key)
        elif command.kind == "fire":
            entry = engine.fire(
                cohort,
                nip,
                command.arg,
                actor=ACTOR,
                reason=command.reason,
                payload=payload,
                key=key,
            )
        elif command.kind == "advance":
            report = engine.advance(cohort, command.arg, actor=ACTOR, payload=payload, key=key)
            entries = sorted(report.accepted + report.refused, key=lambda e: e.seq)
            return Outcome("advanced", tuple(entries))
        elif command.kind == "assess":
            engine.record_assessment(
                cohort, nip, float(command.arg), actor=ACTOR, reason=key, key=key
            )
            return Outcome("graded")
        elif command.kind == "project":
            entry = engine.register_project(
                cohort, nip, _project(command, nip), actor=ACTOR, reason=key, key=key
            )
        else:
            raise ValueError(f"unknown command kind {command.kind!r}")
    except TransitionRejected as refused:
        return Outcome("refused", codes=refused.codes)
    return Outcome("accepted", (entry,))


def _project(command: Command, nip: str) -> ChangeProject:
    """The change project a victim registers for ``nip``."""
    return ChangeProject(
        title=f"Proyek {nip[-4:]}",
        theme=f"tema {command.who % 5}",
        mentor=Mentor(name="Kepala Dinas"),
    )


def summary(outcome: Outcome) -> tuple[str, tuple[tuple[int, str, str | None, str], ...]]:
    """A picklable digest of an outcome: its kind and ``(seq, nip, target, outcome)`` rows."""
    return outcome.kind, tuple((e.seq, e.nip, e.target, e.outcome) for e in outcome.entries)


class KillSwitch:
    """SQLAlchemy hooks that SIGKILL this process at the planned point of a command.

    Only statements and commits made while a command runs (between :meth:`begin` and
    :meth:`end`) count, so opening the store never triggers the kill. On PostgreSQL the
    switch also reports every backend the process uses, so the parent can time their end.
    """

    def __init__(self, engine: SqlEngine, plan: Plan, conn: Connection) -> None:
        """Install the hooks on ``engine``; messages go to ``conn``."""
        self.plan = plan
        self.conn = conn
        self.index: int | None = None
        self.keyed = False
        self.reached = 0
        self._flushing = False
        self._backends: set[int] = set()
        self._postgres = engine.dialect.name == "postgresql"
        event.listen(engine, "before_cursor_execute", self._before_statement)
        event.listen(engine, "commit", self._before_commit)
        # SQLAlchemy has no event after the driver's COMMIT returns: wrap the dialect's.
        committing = engine.dialect.do_commit

        def do_commit(dbapi_connection: Any) -> None:
            committing(dbapi_connection)
            self._after_commit()

        engine.dialect.do_commit = do_commit  # type: ignore[method-assign]
        if not self._postgres:
            self._count_driver_statements()

    def _count_driver_statements(self) -> None:
        """SQLite: the unit's hot statements on the driver's own cursor are kill points too.

        They bypass SQLAlchemy's events (on PostgreSQL they go through SQLAlchemy and are
        counted above), so the unit's driver call is wrapped in this worker process.
        """
        from changeflow.store.sql.unit import SqlUnit  # noqa: PLC0415 - the victim's own unit

        run = SqlUnit._driver
        reach = self._reach

        def counted(unit: Any, statement: str, params: Any, *, rows: bool = True) -> Any:
            reach("statement", " ".join(statement.split())[:60])
            return run(unit, statement, params, rows=rows)

        SqlUnit._driver = counted  # type: ignore[method-assign]

    def begin(self, index: int, command: Command) -> None:
        """A command starts: hooks count from now on."""
        self.index, self.keyed = index, command.key is not None

    def end(self) -> None:
        """The command returned: hooks stop counting."""
        self.index = None

    def _reach(self, phase: str, where: str) -> None:
        if self.index is None or phase != self.plan.phase:
            return
        self.reached += 1
        if self.reached == self.plan.at:
            self.conn.send(("kill", self.index, phase, where))
            os.kill(os.getpid(), signal.SIGKILL)

    def _before_statement(
        self,
        connection: Any,
        _cursor: Any,
        statement: str,
        *_args: Any,
    ) -> None:
        if self._postgres:
            self._note_backend(connection)
        flush = statement.startswith(_FLUSH_PREFIXES)
        if flush and not self._flushing:
            self._reach("before_flush", statement[:40])
        if statement.startswith(_HEAD_PREFIX):
            self._reach("after_flush", statement[:40])
        self._flushing = flush
        self._reach("statement", " ".join(statement.split())[:60])

    def _note_backend(self, connection: Any) -> None:
        pid = connection.connection.dbapi_connection.info.backend_pid
        if pid not in self._backends:
            self._backends.add(pid)
            self.conn.send(("backend", pid))

    def _before_commit(self, _connection: Any) -> None:
        self._reach("before_commit", "COMMIT")

    def _after_commit(self) -> None:
        if self.keyed:
            self._reach("after_commit", "COMMIT returned")


@dataclass(slots=True)
class _Member:
    """What a victim believes about one participant (it is the only writer while alive)."""

    state: str
    project: bool = False
    score: float | None = None


def _view(store: SqlStore, block: int) -> dict[int, _Member]:
    """The roster's stored enrolments, by roster index."""
    index = {participant(block, who).nip: who for who in range(PEOPLE)}
    view: dict[int, _Member] = {}
    for enrolment in store.enrolments(cohort_code(block)):
        who = index.get(enrolment.nip)
        if who is not None:
            overall = (enrolment.scores or {}).get("overall")
            view[who] = _Member(enrolment.state, enrolment.project is not None, overall)
    return view


Step = tuple[str, str, str | None]
"""``(kind, arg, reason)`` of a command for one participant."""

_ACTIVE = frozenset({"enrolled", "on_class", "proposal", "laboratory", "seminar"})
_PASS_MARK = 70.0  # the default grading scheme passes above 70


def _on_class(rng: random.Random, member: _Member) -> Step:
    """Register a change project, or present the proposal (refused without a project)."""
    if not member.project and rng.random() < 0.7:
        return "project", "", None
    return "fire", "present_proposal", None


def _proposal(rng: random.Random, _member: _Member) -> Step:
    """Send the proposal back for revision now and then, else approve it."""
    return "fire", "revise_proposal" if rng.random() < 0.25 else "approve_proposal", None


def _seminar(rng: random.Random, member: _Member) -> Step:
    """Record a score, then graduate or fail (graduating without a pass is refused)."""
    if member.score is None and rng.random() < 0.7:
        return "assess", str(rng.choice((62.5, 75.0, 85.0, 95.0))), None
    passing = member.score is not None and member.score > _PASS_MARK
    if passing or rng.random() < 0.3:
        return "fire", "graduate", None
    # Failing needs grounds: a failing score, or (none recorded) a reason; sometimes neither.
    return "fire", "fail", "tidak hadir seminar hasil" if rng.random() < 0.5 else None


def _final(rng: random.Random, _member: _Member) -> Step:
    """Now and then reopen (a correction taking the seat back), else fire something illegal."""
    if rng.random() < 0.2:
        return "fire", "reopen", "koreksi: salah input"
    return "fire", rng.choice(_ALL_EVENTS), None


_STEPS: dict[str, Callable[[random.Random, _Member], Step]] = {
    "enrolled": lambda _rng, _member: ("fire", "start_class", None),
    "on_class": _on_class,
    "proposal": _proposal,
    "laboratory": lambda _rng, _member: ("fire", "present_results", None),
    "seminar": _seminar,
}


def _next_step(rng: random.Random, member: _Member) -> Step:
    """A plausible next command for an enrolled participant (refused ones included)."""
    if member.state in _ACTIVE and rng.random() < 0.05:
        return "fire", rng.choice(("withdraw", "drop")), "sakit berkepanjangan"
    step = _STEPS.get(member.state, _final)
    return step(rng, member)


def choose(rng: random.Random, view: dict[int, _Member], block: int, key: str) -> Command:
    """The next command of a stream, judged from its view of the cohort.

    Mostly a next step for someone already enrolled (so cohorts reach the later stages
    and their guarded events), sometimes a nomination, now and then a bulk step.
    """
    code = cohort_code(block)
    if rng.random() < 0.05:
        return Command("advance", code, block, -1, rng.choice(_ADVANCE_EVENTS), None, key)
    active = [who for who, member in view.items() if member.state in _ACTIVE]
    who = rng.choice(active) if active and rng.random() < 0.75 else rng.randrange(PEOPLE)
    member = view.get(who)
    if member is None:
        return Command("enrol", code, block, who, "", None, key)
    kind, arg, reason = _next_step(rng, member)
    return Command(kind, code, block, who, arg, reason, key if kind in KEYED_KINDS else None)


def warm_up(url: str, block: int, seed: int, commands: int) -> None:
    """Run ``commands`` stream commands with no kill, so victims meet a cohort in mid-course."""
    store = SqlStore(url)
    try:
        engine = trusted_engine(store, lifecycle=_LIFECYCLE, rules=_RULES)
        view = _view(store, block)
        rng = random.Random(seed)
        for index in range(commands):
            command = choose(rng, view, block, f"{seed}-warm-{index}")
            _learn(view, command, execute(engine, command))
    finally:
        store.close()


def _learn(view: dict[int, _Member], command: Command, outcome: Outcome) -> None:
    """Update the victim's view with what a command did."""
    if command.kind == "project":
        view[command.who].project = True
    elif command.kind == "assess":
        view[command.who].score = float(command.arg)
    elif command.kind == "enrol" and outcome.kind == "accepted":
        view[command.who] = _Member("enrolled")
    else:
        nips = {participant(command.block, who).nip: who for who in view}
        for entry in outcome.entries:
            # A bulk step also moves the probe participant, who is not in the view.
            if entry.accepted and entry.target is not None and entry.nip in nips:
                view[nips[entry.nip]].state = entry.target


def split_commits() -> None:
    """Make this process's units commit their rows, then the head and counters separately.

    The control for the crash tests: a store written this way leaves partial states when
    killed between the two commits, and the checks must catch them. Only ever called in a
    victim process, which dies with the patch.
    """
    whole = SqlUnit.commit

    def commit(unit: SqlUnit) -> None:
        # The control breaks the unit's atomicity on purpose, through its private parts.
        unit._flush()
        connection = unit._connection
        connection.commit()
        connection.begin()
        whole(unit)

    SqlUnit.commit = commit  # type: ignore[method-assign]


def victim(conn: Connection, url: str, block: int, plan: Plan, seed: int, commands: int) -> None:
    """Run up to ``commands`` seeded commands on cohort ``block`` until the plan kills us."""
    try:
        if plan.split_commits:
            split_commits()
        store = SqlStore(url, lock_timeout=10.0)
        # Installed for timer kills too: it reports the PostgreSQL backends, and its hooks
        # never match the "timer" phase.
        switch = KillSwitch(store.engine, plan, conn)
        engine = trusted_engine(store, lifecycle=_LIFECYCLE, rules=_RULES)
        view = _view(store, block)
        rng = random.Random(seed)
        conn.send(("ready", os.getpid()))
        for index in range(commands):
            command = choose(rng, view, block, f"{seed}-{index}")
            conn.send(("start", index, command))
            switch.begin(index, command)
            try:
                outcome = execute(engine, command)
            except Exception:  # noqa: BLE001 - reported: the parent counts it as a problem
                # Stop here: after an unexpected error the view may be wrong, and the parent
                # flags the attempt anyway (the victim was not killed as planned).
                conn.send(("error", index, traceback.format_exc(limit=4)))
                break
            finally:
                switch.end()
            _learn(view, command, outcome)
            conn.send(("done", index, summary(outcome)))
        store.close()
        conn.send(("finished",))
    except Exception:  # noqa: BLE001 - the parent reports it
        conn.send(("error", -1, traceback.format_exc(limit=6)))
    finally:
        conn.close()
