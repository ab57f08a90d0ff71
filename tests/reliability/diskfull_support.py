"""Helpers for the disk-full checks: size-limited space, a recorded workload, a fresh audit.

*Space* is what runs out. :class:`Ballast` fills a small mounted filesystem (a tmpfs or a
loop-device ext4 the test mounts with :func:`mounted`) with a file, so the database's own
growth hits the wall; :class:`PageLimit` caps SQLite's ``max_page_count`` on every
connection the store checks out, which gives a genuine ``SQLITE_FULL`` without mounting.

:class:`Workload` drives real commands (enrol, fire, advance, register a project) through
:class:`~changeflow.Engine`, each with its own idempotency key, and records every attempt
and its outcome. Only commands that returned (or were refused, which is audited) change the
:class:`Model`; :func:`audit` opens the database afresh and counts how far it differs from
the model: rows ``lost``, rows written by failed commands (``phantom``), and anything
``inconsistent`` (states, projects, counters, replayed states, the audit chain and every
stored fact against its replay, integrity).
"""

from __future__ import annotations

import contextlib
import errno
import gc
import os
import random
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, text
from sqlalchemy import exc as sa_exc

from changeflow import ChangeProject, Engine, Mentor, TransitionRejected
from changeflow.store.sql import SqlStore
from factories import make_cohort, make_nip, make_participant, office, trusted_engine
from reliability.figures import report

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from sqlalchemy import Engine as SaEngine

    from changeflow import Participant

__all__ = [
    "CODE",
    "Attempt",
    "Audit",
    "Ballast",
    "Command",
    "Effect",
    "Model",
    "MountUnavailable",
    "PageLimit",
    "Workload",
    "audit",
    "driver_code",
    "error_kinds",
    "file_sizes",
    "free_bytes",
    "mounted",
    "new_cohort",
    "report",
    "tune_sqlite",
]

CODE = "PKA-DISK-FULL"
"""The cohort every disk-full workload runs on."""

PROJECT = ChangeProject(
    title="Antrean puskesmas daring",
    theme="pelayanan kesehatan",
    mentor=Mentor(name="dr. Anang Budi Yoelijanto"),
)
EVENTS = {
    "start": "start_class",
    "propose": "present_proposal",
    "propose_refused": "present_proposal",
    "withdraw": "withdraw",
}
"""The lifecycle event each ``fire`` command of the workload sends."""

# Relative frequency of each command; one without a candidate participant becomes an enrol.
WEIGHTS = {
    "enrol": 34,
    "enrol_refused": 6,
    "start": 18,
    "propose_refused": 10,
    "project": 10,
    "propose": 10,
    "withdraw": 6,
    "advance": 6,
}
_CHUNK = 1 << 20
_FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)


class MountUnavailable(RuntimeError):
    """The size-limited filesystem could not be made here (not root, no tmpfs or loop)."""


# -- space that runs out ------------------------------------------------------------------


def _tool(name: str) -> str:
    """The absolute path of a system program; :class:`MountUnavailable` if it is missing."""
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin:/usr/bin:/bin")
    if found is None:
        raise MountUnavailable(f"{name} is not installed")
    return found


def _run(name: str, *args: str) -> None:
    """Run a system program; :class:`MountUnavailable` with its message when it fails."""
    command = (_tool(name), *args)
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise MountUnavailable(f"{command[0]}: {exc}") from exc
    if done.returncode != 0:
        said = (done.stderr or done.stdout).strip().splitlines()
        raise MountUnavailable(f"`{' '.join(command)}` failed: {said[-1] if said else '?'}")


@contextlib.contextmanager
def mounted(
    where: Path, kind: str, size_bytes: int, *, owner: tuple[int, int] | None = None
) -> Iterator[Path]:
    """Mount a ``kind`` (``tmpfs`` or ``ext4`` on a loop file) of ``size_bytes`` at ``where``.

    :class:`MountUnavailable` when this machine does not allow it. Unmounted on exit, lazily
    if something still holds it, so a failing test never leaves a mount behind.
    """
    if os.geteuid() != 0:
        raise MountUnavailable("mounting needs root and the tests do not run as root")
    where.mkdir(parents=True, exist_ok=True)
    if kind == "tmpfs":
        options = f"size={size_bytes}"
        if owner is not None:
            options += f",uid={owner[0]},gid={owner[1]},mode=0700"
        _run("mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where))
    else:
        image = where.with_name(where.name + ".img")
        with image.open("wb") as handle:
            handle.truncate(size_bytes)
        # No blocks reserved for root: the tests run as root and must really hit the wall.
        _run("mkfs.ext4", "-q", "-F", "-m", "0", str(image))
        _run("mount", "-o", "loop", str(image), str(where))
    try:
        yield where
    finally:
        # A store that failed to open may hold the file until its engine is collected.
        gc.collect()
        umount = _tool("umount")
        done = subprocess.run([umount, str(where)], capture_output=True, check=False)
        if done.returncode != 0:
            subprocess.run([umount, "-l", str(where)], capture_output=True, check=False)


def free_bytes(directory: Path) -> int:
    """Bytes an unprivileged writer could still put on ``directory``'s filesystem."""
    stats = os.statvfs(directory)
    return stats.f_bavail * stats.f_frsize


def file_sizes(directory: Path, stem: str) -> dict[str, int]:
    """Sizes of the database file and its ``-wal`` / ``-shm`` companions (absent: 0)."""
    sizes = {}
    for suffix, label in (("", "db"), ("-wal", "wal"), ("-shm", "shm")):
        path = directory / f"{stem}{suffix}"
        sizes[f"{label}_bytes"] = path.stat().st_size if path.exists() else 0
    return sizes


@dataclass
class Ballast:
    """A file taking the room the database would otherwise grow into."""

    path: Path
    filled: int = 0

    def fill(self, leave: int) -> None:
        """Grow the ballast until only about ``leave`` bytes stay free."""
        want = free_bytes(self.path.parent) - leave
        with self.path.open("ab") as handle:
            while want > 0:
                piece = min(want, _CHUNK)
                handle.write(b"\0" * piece)
                handle.flush()
                want -= piece
                self.filled += piece

    def top_off(self) -> None:
        """Take every byte left, so that any write needing new room fails (ENOSPC)."""
        with self.path.open("ab", buffering=0) as handle:
            piece = 65536
            while piece:
                try:
                    self.filled += handle.write(b"\0" * piece) or 0
                except OSError as exc:
                    if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
                        raise
                    piece //= 2

    def remove(self) -> None:
        """Give the room back."""
        self.path.unlink(missing_ok=True)
        self.filled = 0


class PageLimit:
    """SQLite's ``PRAGMA max_page_count`` on every connection the store's engine checks out.

    ``limit`` ``None`` means SQLite's own maximum. SQLite never lowers the cap below the
    database's current size, so :meth:`top_off` is exactly "not one page more".
    """

    MAXIMUM = 1_073_741_823

    def __init__(self, engine: SaEngine) -> None:
        """Install the checkout hook on ``engine`` (a :class:`SqlStore`'s)."""
        self.engine = engine
        self.limit: int | None = None
        event.listen(engine, "checkout", self._apply)

    def _apply(self, dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA max_page_count = {self.limit or self.MAXIMUM}")
        cursor.close()

    def pages(self) -> int:
        """The database's current size in pages."""
        with self.engine.connect() as connection:
            return int(connection.exec_driver_sql("PRAGMA page_count").scalar_one())

    def fill(self, leave: int) -> None:
        """Allow only ``leave`` more pages."""
        self.limit = self.pages() + leave

    def top_off(self) -> None:
        """Allow no page beyond the current size."""
        self.limit = self.pages()

    def remove(self) -> None:
        """Lift the cap."""
        self.limit = None


def tune_sqlite(store: SqlStore, **pragmas: int) -> None:
    """Set ``PRAGMA name = value`` on every new connection of ``store`` (the pool is reset)."""

    def _connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        for name, value in pragmas.items():
            cursor.execute(f"PRAGMA {name} = {int(value)}")
        cursor.close()

    event.listen(store.engine, "connect", _connect)
    store.engine.dispose()


# -- the workload -------------------------------------------------------------------------


@dataclass(frozen=True)
class Command:
    """One command of the workload; a retry sends the same one (same idempotency key)."""

    index: int
    name: str
    nip: str | None = None
    participant: Participant | None = None
    payload: dict[str, Any] | None = None

    @property
    def key(self) -> str:
        """The idempotency key (every command of the workload has one)."""
        return f"disk-full-{self.index}"


@dataclass(frozen=True)
class Effect:
    """What a command that returned (or was refused) wrote."""

    entries: tuple[tuple[str, str, str], ...] = ()
    moves: tuple[tuple[str, str], ...] = ()
    project: str | None = None
    keyed: bool = False


@dataclass(frozen=True)
class Attempt:
    """One command sent and what came back."""

    command: Command
    outcome: str
    """``ok``, ``refused`` (audited) or ``failed``."""
    error: str | None = None
    """For a failure: the exception's type name."""
    code: str | None = None
    """For a failure: the driver's error (``SQLITE_FULL``, SQLSTATE ``53100`` ...)."""
    message: str | None = None
    retry_of: int | None = None


@dataclass
class Model:
    """What the commands that returned say the database holds."""

    states: dict[str, str] = field(default_factory=dict)
    projects: set[str] = field(default_factory=set)
    chunks: list[tuple[tuple[str, str, str], ...]] = field(default_factory=list)
    keys: int = 0

    def apply(self, effect: Effect) -> None:
        """Account for one command that returned."""
        if effect.entries:
            self.chunks.append(tuple(sorted(effect.entries)))
        self.states.update(effect.moves)
        if effect.project is not None:
            self.projects.add(effect.project)
        self.keys += effect.keyed

    @property
    def rows(self) -> int:
        """Audit rows the committed commands wrote."""
        return sum(len(chunk) for chunk in self.chunks)


def driver_code(error: BaseException) -> str | None:
    """The driver's name for the failure: SQLite's error name or PostgreSQL's SQLSTATE."""
    cause = getattr(error, "cause", None) or error.__cause__
    orig = getattr(cause, "orig", None) or cause
    return getattr(orig, "sqlite_errorname", None) or getattr(orig, "sqlstate", None)


def new_cohort(engine: Engine) -> None:
    """Create the workload's cohort, with room for everyone the workload enrols.

    Created by ``BKD``, its organiser: the command-line checks act as BKD.
    """
    engine.create_cohort(make_cohort(CODE, capacity=100_000, max_per_office=100_000), actor="BKD")


class Workload:
    """Seeded commands on :data:`CODE`, every attempt recorded, the model kept."""

    def __init__(self, engine: Engine, seed: int) -> None:
        """Drive ``engine`` (whose store holds :data:`CODE`) with a generator seeded ``seed``."""
        self.engine = engine
        self.rng = random.Random(seed)
        self.model = Model()
        self.attempts: list[Attempt] = []
        self._people = 0

    # choosing

    def _person(self, *, eligible: bool) -> Participant:
        number = self._people
        self._people += 1
        nip = make_nip(date(1975 + number // 1000, 6, 1), sequence=number % 1000)
        return make_participant(
            nip=nip, office=office(number % 60), echelon="III.a" if eligible else "IV.a"
        )

    def _candidates(self, name: str) -> list[str]:
        states, projects = self.model.states, self.model.projects
        if name == "start":
            return [n for n, s in states.items() if s == "enrolled"]
        if name in ("propose_refused", "project"):
            return [n for n, s in states.items() if s == "on_class" and n not in projects]
        if name == "propose":
            return [n for n, s in states.items() if s == "on_class" and n in projects]
        if name == "withdraw":
            return [n for n, s in states.items() if s in ("enrolled", "on_class", "proposal")]
        return []

    def next_command(self) -> Command:
        """The next command, chosen from what the model says is committed."""
        index = len(self.attempts)
        name = self.rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
        if name == "advance":
            return Command(index, name)
        if name not in ("enrol", "enrol_refused"):
            candidates = sorted(self._candidates(name))
            if candidates:
                return Command(index, name, nip=self.rng.choice(candidates))
            name = "enrol"
        size = self.rng.randint(200, 1200)
        note = self.rng.randbytes(size // 2).hex()
        person = self._person(eligible=name == "enrol")
        return Command(index, name, nip=person.nip, participant=person, payload={"note": note})

    # running

    def _execute(self, command: Command) -> Effect:
        engine, key = self.engine, command.key
        if command.name == "project":  # a data command: audited like a move, keyed too
            entry = engine.register_project(
                CODE, command.nip or "", PROJECT, actor="coach", key=key
            )
            return Effect(
                ((entry.nip, entry.event, entry.outcome),), project=command.nip, keyed=True
            )
        if command.name == "advance":
            report = engine.advance(CODE, "start_class", actor="BKD", key=key)
            entries = (*report.accepted, *report.refused)
        elif command.participant is not None:
            entries = (
                engine.enrol(
                    CODE, command.participant, actor="BKD", payload=command.payload, key=key
                ),
            )
        else:
            entries = (
                engine.fire(
                    CODE,
                    command.nip or "",
                    EVENTS[command.name],
                    actor="coach",
                    reason="moved to another post" if command.name == "withdraw" else None,
                    key=key,
                ),
            )
        return Effect(
            entries=tuple((e.nip, e.event, e.outcome) for e in entries),
            moves=tuple((e.nip, e.target) for e in entries if e.accepted and e.target),
            keyed=key is not None,
        )

    def run(self, command: Command, *, retry_of: int | None = None) -> Attempt:
        """Send ``command``, record the attempt; the model changes only if it returned."""
        try:
            effect = self._execute(command)
            outcome = "ok"
        except TransitionRejected as refused:  # refused moves are audited and committed
            effect = Effect(((refused.nip, refused.event, "refused"),), keyed=bool(command.key))
            outcome = "refused"
        except Exception as exc:  # noqa: BLE001 - every failure is recorded, then judged
            attempt = Attempt(
                command,
                "failed",
                type(exc).__name__,
                driver_code(exc),
                str(exc).splitlines()[0] if str(exc) else "",
                retry_of,
            )
            self.attempts.append(attempt)
            return attempt
        self.model.apply(effect)
        attempt = Attempt(command, outcome, retry_of=retry_of)
        self.attempts.append(attempt)
        return attempt

    def record(self, attempt: Attempt, effect: Effect | None) -> None:
        """Record a command sent by other means (the CLI); ``effect`` if it returned."""
        if effect is not None:
            self.model.apply(effect)
        self.attempts.append(attempt)

    def step(self) -> Attempt:
        """Run the next command."""
        return self.run(self.next_command())

    def until_full(self, *, consecutive: int, cap: int) -> list[Attempt]:
        """Run commands until ``consecutive`` failures in a row (or ``cap`` attempts)."""
        done: list[Attempt] = []
        streak = 0
        while streak < consecutive and len(done) < cap:
            attempt = self.step()
            done.append(attempt)
            streak = streak + 1 if attempt.outcome == "failed" else 0
        return done

    def retry(self, failed: list[Attempt]) -> list[Attempt]:
        """Send each failed command again, same key, in the original order."""
        return [self.run(a.command, retry_of=a.command.index) for a in failed]

    def failures(self, attempts: list[Attempt] | None = None) -> list[Attempt]:
        """The failed attempts (of ``attempts``, or of the whole run)."""
        return [
            a for a in (self.attempts if attempts is None else attempts) if a.outcome == "failed"
        ]


def error_kinds(attempts: list[Attempt]) -> dict[str, int]:
    """``{"StoreFull/SQLITE_FULL": n, ...}`` for the failed attempts."""
    return dict(Counter(f"{a.error}/{a.code}" for a in attempts if a.outcome == "failed"))


# -- auditing the database afresh -----------------------------------------------------------


@dataclass
class Audit:
    """How a database opened afresh differs from the model (every figure 0 when sound)."""

    rows: int
    lost: int
    phantom: int
    inconsistent: int
    integrity: str
    problems: list[str]

    def figures(self) -> dict[str, Any]:
        """The figures for the report line."""
        return {
            "rows": self.rows,
            "lost": self.lost,
            "phantom": self.phantom,
            "inconsistent": self.inconsistent,
            "integrity": self.integrity,
        }


def _integrity(store: SqlStore) -> str:
    """``ok`` or what the database's own checker says (amcheck on PostgreSQL, if present)."""
    with store.engine.connect() as connection:
        if store.dialect == "sqlite":
            found = [r[0] for r in connection.exec_driver_sql("PRAGMA integrity_check")]
            keys = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
            return "ok" if found == ["ok"] and not keys else f"{found[:3]} {keys[:3]}"
        try:
            connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS amcheck")
            connection.commit()
        except sa_exc.DBAPIError:  # amcheck ships with contrib, which may be missing
            return "n/a"
        heap = connection.exec_driver_sql(
            "SELECT c.relname, v.msg FROM pg_class c CROSS JOIN LATERAL verify_heapam(c.oid) v "
            "WHERE c.relkind = 'r' AND c.relnamespace = 'public'::regnamespace"
        ).all()
        connection.exec_driver_sql(
            "SELECT bt_index_check(c.oid, true) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam "
            "WHERE a.amname = 'btree' AND c.relnamespace = 'public'::regnamespace"
        ).all()
        return "ok" if not heap else f"heap: {heap[:3]}"


OPENING = (("", "create_cohort", "accepted"),)
"""The cohort's own entries, which open its chain: its creation."""

_COUNTERS = {
    "cohort_seated": "SELECT seated FROM cohorts WHERE code = :code",
    "seated_rows": "SELECT count(*) FROM enrolments WHERE seated",
    "office_seats": "SELECT coalesce(sum(seated), 0) FROM cohort_offices",
    "chain_seq": "SELECT chain_seq FROM cohorts WHERE code = :code",
    "audit_rows": "SELECT count(*) FROM audit",
    "keys": "SELECT count(*) FROM idempotency",
}


def _counters(store: SqlStore) -> dict[str, int]:
    with store.engine.connect() as connection:
        return {
            name: int(connection.execute(text(sql), {"code": CODE}).scalar_one())
            for name, sql in _COUNTERS.items()
        }


def _compare_history(actual: list[tuple[str, str, str]], model: Model) -> tuple[int, int, int]:
    """``(lost, phantom, mismatched)`` audit rows, command by command in commit order."""
    lost = max(0, model.rows - len(actual))
    phantom = max(0, len(actual) - model.rows)
    mismatched, at = 0, 0
    for chunk in model.chunks:
        stored = tuple(sorted(actual[at : at + len(chunk)]))
        if len(stored) == len(chunk) and stored != chunk:
            mismatched += 1
        at += len(chunk)
    return lost, phantom, mismatched


def audit(url: str, model: Model) -> Audit:
    """Open ``url`` afresh and measure how far it is from ``model``."""
    store = SqlStore(url)
    try:
        engine = trusted_engine(store)
        enrolments = store.enrolments(CODE)
        states = {e.nip: e.state for e in enrolments}
        projects = {e.nip for e in enrolments if e.project is not None}
        trail = [(e.nip, e.event, e.outcome) for e in engine.history(cohort=CODE)]
        check = engine.verify(CODE)[0]
        replayed = engine.states_as_of(CODE, _FAR_FUTURE)
        counters = _counters(store)
        integrity = _integrity(store)
    finally:
        store.close()
    opening, history = tuple(trail[: len(OPENING)]), trail[len(OPENING) :]
    lost, phantom, mismatched = _compare_history(history, model)
    lost += len(model.states.keys() - states.keys())
    phantom += len(states.keys() - model.states.keys())
    problems = [
        f"the chain opens with {opening}" if opening != OPENING else "",
        f"{mismatched} commands' audit rows differ" if mismatched else "",
        "states differ"
        if any(states[n] != s for n, s in model.states.items() if n in states)
        else "",
        "projects differ" if projects != model.projects else "",
        "replayed states differ" if replayed != states else "",
        f"verify: {check.problem}" if not check.ok or check.entries != len(trail) else "",
        f"integrity: {integrity}" if integrity not in ("ok", "n/a") else "",
        f"counters {counters}" if not _counters_sound(counters, model) else "",
    ]
    problems = [p for p in problems if p]
    return Audit(len(trail), lost, phantom, len(problems), integrity, problems)


def _counters_sound(counters: dict[str, int], model: Model) -> bool:
    """Seat counters agree with the rows and the model; so do the chain head and the keys."""
    seated = sum(1 for state in model.states.values() if state != "withdrawn")
    rows = len(OPENING) + model.rows
    return (
        counters["cohort_seated"] == counters["seated_rows"] == counters["office_seats"] == seated
        and counters["chain_seq"] == counters["audit_rows"] == rows
        and counters["keys"] == model.keys
    )
