"""Disk full: every failed command is a typed StoreFull, nothing partial, and recovery works.

A seeded workload (enrol, refused enrol, fire, refused fire, register a project, withdraw,
advance; each command with its own idempotency key) runs until the space runs out:

* **SQLite on a small tmpfs** the test mounts (skipped, saying why, where it cannot mount),
  filled by the database's own growth plus a ballast file taking the rest. Two modes: the
  default WAL, where the WAL file hits the wall, and ``wal_autocheckpoint=8``, where pages
  are copied into the database file all the time so the checkpoint's growth hits it too (and
  the store is closed and reopened while the disk is full).
* **SQLite at its page limit** (``PRAGMA max_page_count`` on the store's connections): a
  genuine ``SQLITE_FULL`` that needs no mount, so the check always runs.
* **PostgreSQL** with the database's tables in a tablespace on a small tmpfs (``53100``).

Every command attempted is recorded with its outcome. Each failure must be a
:class:`StoreFull`; the database opened afresh must hold exactly what the commands that
returned wrote (audit rows command by command, states, projects, seat counters, idempotency
keys, states replayed from the trail), the chain must verify and the database's own
integrity check pass. The ``changeflow fire`` command run in a real process while the disk is
full must exit 1 with one ``error:`` line, no traceback. Then the space is freed: every
failed command retried with its key, and new commands, succeed; the audit is repeated. The
``heavy`` variants repeat fill/free cycles, on tmpfs, on a loop-device ext4, at the page
limit and on PostgreSQL.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pytest
from sqlalchemy import exc as sa_exc

from changeflow import StoreFull
from changeflow.store.sql import SqlStore
from factories import trusted_engine
from postgres_server import fresh_database
from reliability.diskfull_support import (
    CODE,
    Attempt,
    Ballast,
    Command,
    Effect,
    Model,
    MountUnavailable,
    PageLimit,
    Workload,
    audit,
    driver_code,
    error_kinds,
    file_sizes,
    mounted,
    new_cohort,
    report,
    tune_sqlite,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from postgres_server import PostgresServer

SEATED = ("enrolled", "on_class", "proposal")
SCRIPT = shutil.which("changeflow", path=str(Path(sys.executable).parent))
MiB = 1 << 20
KiB = 1 << 10


@dataclass(frozen=True)
class Plan:
    """How much of everything one scenario does."""

    cycles: int
    warmup: int
    """Commands run with plenty of room first."""
    slack: int
    """Room left by the ballast (bytes), or pages left by the page limit."""
    consecutive: int = 4
    """Failures in a row that end the filling."""
    cap: int = 1500
    """Most commands one filling may send."""
    after_top_off: int = 4
    """Commands sent once not one byte (page) is left."""
    recovery: int = 15
    """New commands sent after the space is freed (besides the retries)."""


DEFAULT = Plan(cycles=1, warmup=25, slack=320 * KiB)
HEAVY = Plan(cycles=4, warmup=80, slack=640 * KiB, recovery=60)


class Space(Protocol):
    """Room that runs out: a ballast file on a small filesystem, or a page limit."""

    def fill(self, leave: int) -> None:
        """Leave only about ``leave`` units free."""

    def top_off(self) -> None:
        """Leave nothing free."""

    def remove(self) -> None:
        """Free the room again."""


@dataclass
class Scenario:
    """One run: where the database is, what runs out, and the hooks for the full disk."""

    check: str
    backend: str
    url: str
    plan: Plan
    space: Space
    workload: Workload
    while_full: Callable[[Scenario, int], dict[str, Any]] | None = None


@contextmanager
def _mounted_or_skip(where: Path, kind: str, size: int, **owner: Any) -> Iterator[Path]:
    """Mount a small ``kind`` filesystem, or skip the test saying why this machine cannot."""
    with ExitStack() as stack:
        try:
            path = stack.enter_context(mounted(where, kind, size, **owner))
        except MountUnavailable as exc:
            pytest.skip(f"no size-limited {kind} here ({exc}); the page-limit variant still runs")
        yield path


# -- the scenario -----------------------------------------------------------------------------


def _assert_sound(where: str, url: str, model: Model, figures: dict[str, Any]) -> None:
    """Audit the database afresh against the model; fold the figures into the report."""
    found = audit(url, model)
    for name in ("lost", "phantom", "inconsistent"):
        figures[name] = figures.get(name, 0) + getattr(found, name)
    figures["integrity"] = found.integrity
    figures["audit_rows"] = found.rows
    assert (found.lost, found.phantom, found.inconsistent) == (0, 0, 0), (where, found)


def _fill(scenario: Scenario, figures: dict[str, Any]) -> list[Attempt]:
    """Fill the space until commands fail, then take the last byte; the failed attempts."""
    workload, plan = scenario.workload, scenario.plan
    scenario.space.fill(plan.slack)
    sent = workload.until_full(consecutive=plan.consecutive, cap=plan.cap)
    scenario.space.top_off()
    sent += [workload.step() for _ in range(plan.after_top_off)]
    failed = workload.failures(sent)
    figures["faults"] = figures.get("faults", 0) + len(failed)
    assert failed, f"{len(sent)} commands and the space never ran out"
    return failed


def _free(scenario: Scenario, failed: list[Attempt], figures: dict[str, Any]) -> None:
    """Free the space: each failed command retried with its key, then new ones, all succeed."""
    workload = scenario.workload
    scenario.space.remove()
    retried = workload.retry(failed)
    fresh = [workload.step() for _ in range(scenario.plan.recovery)]
    figures["retried"] = figures.get("retried", 0) + len(retried)
    still = workload.failures(retried + fresh)
    assert not still, error_kinds(still)


def _cycle(scenario: Scenario, number: int, figures: dict[str, Any]) -> None:
    """One fill / check while full / free / check cycle."""
    failed = _fill(scenario, figures)
    if scenario.while_full is not None:
        figures.update(scenario.while_full(scenario, number))
    _assert_sound(f"cycle {number}, disk full", scenario.url, scenario.workload.model, figures)
    _free(scenario, failed, figures)
    _assert_sound(f"cycle {number}, space freed", scenario.url, scenario.workload.model, figures)


def _run(scenario: Scenario) -> dict[str, Any]:
    """Warm up, run the cycles, check every failure's type; report the figures."""
    started = time.perf_counter()
    workload = scenario.workload
    figures: dict[str, Any] = {"attempts": 0, "faults": 0}
    try:
        warm = workload.failures([workload.step() for _ in range(scenario.plan.warmup)])
        assert not warm, error_kinds(warm)
        for number in range(1, scenario.plan.cycles + 1):
            _cycle(scenario, number, figures)
            figures["cycles"] = number
        failures = workload.failures()
        assert all(a.error == StoreFull.__name__ for a in failures), error_kinds(failures)
    finally:
        figures["attempts"] = len(workload.attempts)
        figures["committed"] = len(workload.attempts) - len(workload.failures())
        figures["kinds"] = error_kinds(workload.attempts)
        figures["failed_by"] = dict(Counter(a.command.name for a in workload.failures()))
        figures["duration_s"] = round(time.perf_counter() - started, 2)
        report(scenario.check, scenario.backend, figures)
    return figures


# -- the CLI while the disk is full -----------------------------------------------------------


def _cli(*args: str, preexec: Callable[[], None] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the ``changeflow`` console script (or ``python -m changeflow.cli``) for real."""
    command = [SCRIPT] if SCRIPT else [sys.executable, "-m", "changeflow.cli"]
    return subprocess.run(
        [*command, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        preexec_fn=preexec,  # only sets a resource limit in the child
        env={**os.environ, "CHANGEFLOW_ACTOR": "BKD"},  # the cohort's organiser
    )


def _assert_one_line_failure(done: subprocess.CompletedProcess[str], *, full: bool) -> None:
    """Exit 1, exactly one ``error:`` line (saying the store is full), no traceback."""
    shown = done.stdout + done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert done.returncode == 1, shown
    assert len(errors) == 1, shown
    assert "Traceback" not in shown
    assert "internal error" not in shown, shown
    if full:
        assert "full" in errors[0].lower(), errors[0]
        assert "hint: free disk space" in done.stderr, done.stderr


def _withdraw_by_cli(scenario: Scenario, *, must_fail: bool) -> dict[str, Any]:
    """``changeflow fire ... withdraw`` for a seated participant while the disk is full."""
    workload = scenario.workload
    seated = sorted(n for n, s in workload.model.states.items() if s in SEATED)
    assert seated, "the workload left nobody seated"
    nip = seated[0]
    command = Command(len(workload.attempts), "withdraw", nip=nip)
    done = _cli(
        *("--db", scenario.url, "fire", CODE, nip, "withdraw"),
        *("--key", command.key or "", "--actor", "cli", "--reason", "moved to another post"),
    )
    if done.returncode == 0 and not must_fail:
        # Room was found after all (PostgreSQL reuses free space in its pages): committed.
        effect = Effect(((nip, "withdraw", "accepted"),), ((nip, "withdrawn"),), keyed=True)
        workload.record(Attempt(command, "ok"), effect)
        return {"cli_exit": 0}
    _assert_one_line_failure(done, full=True)
    said = done.stderr.strip().splitlines()[0]
    workload.record(Attempt(command, "failed", "StoreFull", "cli exit 1", said), None)
    return {"cli_exit": done.returncode}


# -- SQLite on a small filesystem -------------------------------------------------------------


class _SqliteFiles:
    """The SQLite store the workload uses, reopened on demand with the same tuning."""

    def __init__(self, path: Path, pragmas: dict[str, int]) -> None:
        """Open the store on ``path``; ``pragmas`` are set on each of its connections."""
        self.path = path
        self.url = f"sqlite:///{path}"
        self.pragmas = pragmas
        self.store = self.open()

    def open(self) -> SqlStore:
        """A new store on the file, tuned."""
        store = SqlStore(self.url)
        if self.pragmas:
            tune_sqlite(store, **self.pragmas)
        return store

    def reopen(self, workload: Workload) -> None:
        """Close every connection (the disk may be full) and carry on with a new store."""
        self.store.close()
        self.store = self.open()
        workload.engine = trusted_engine(self.store)


def _checkpoint(store: SqlStore) -> str:
    """Try a checkpoint: ``busy/frames/copied`` as SQLite reports them, or its error."""
    try:
        with store.engine.connect() as connection:
            row = connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").one()
    except sa_exc.OperationalError as exc:
        return str(getattr(exc.orig, "sqlite_errorname", exc.orig))
    return "/".join(str(n) for n in row)


def _sqlite_while_full(
    files: _SqliteFiles, *, cli: bool, reopen: bool
) -> Callable[[Scenario, int], dict[str, Any]]:
    """Sizes at the wall; in the first cycle the CLI's report; a close and reopen if asked."""

    def hook(scenario: Scenario, number: int) -> dict[str, Any]:
        sizes = file_sizes(files.path.parent, files.path.name)
        figures: dict[str, Any] = {f"full_{k}": v for k, v in sizes.items()}
        figures["checkpoint_when_full"] = _checkpoint(files.store)
        if cli and number == 1:
            # The WAL only grows here (no checkpoint can finish): the CLI must fail.
            figures.update(_withdraw_by_cli(scenario, must_fail=True))
        if reopen and number % 2 == 1:
            files.reopen(scenario.workload)
            figures["reopened_while_full"] = figures.get("reopened_while_full", 0) + 1
        return figures

    return hook


def _sqlite_on_small_fs(tmp_path: Path, kind: str, size: int, mode: str, plan: Plan) -> None:
    """The SQLite scenario on a mounted ``kind`` of ``size`` bytes."""
    pragmas = {"wal_autocheckpoint": 8} if mode == "checkpoint" else {}
    if mode == "checkpoint":
        # The file grows by rows, not by a WAL page per commit: less slack, as many commands.
        plan = replace(plan, slack=plan.slack // 4)
    with _mounted_or_skip(tmp_path / "small", kind, size) as where:
        files = _SqliteFiles(where / "changeflow.db", pragmas)
        try:
            engine = trusted_engine(files.store)
            new_cohort(engine)
            scenario = Scenario(
                check=f"disk full ({kind} {size // MiB} MiB, {mode})",
                backend="sqlite",
                url=files.url,
                plan=plan,
                space=Ballast(where / "ballast"),
                workload=Workload(engine, seed=sum(map(ord, kind + mode)) + plan.cycles),
                while_full=_sqlite_while_full(
                    files, cli=mode == "wal", reopen=mode == "checkpoint"
                ),
            )
            _run(scenario)
        finally:
            files.store.close()
        _assert_sound("closed at the end", scenario.url, scenario.workload.model, {})


@pytest.mark.parametrize("mode", ["wal", "checkpoint"])
def test_sqlite_on_a_full_tmpfs(tmp_path: Path, mode: str) -> None:
    """On an 8 MiB tmpfs the fill-up fails commands with StoreFull only; recovery is complete.

    8 MiB: room for the database and a WAL up to SQLite's 1,000-page autocheckpoint once
    the ballast is gone (the office registry's tables made each transaction's WAL frames
    larger, and 4 MiB no longer held them).
    """
    _sqlite_on_small_fs(tmp_path, "tmpfs", 8 * MiB, mode, DEFAULT)


@pytest.mark.heavy
@pytest.mark.parametrize(
    ("kind", "size", "mode"),
    [("tmpfs", 12 * MiB, "wal"), ("tmpfs", 12 * MiB, "checkpoint"), ("ext4", 16 * MiB, "wal")],
)
def test_sqlite_full_cycles(tmp_path: Path, kind: str, size: int, mode: str) -> None:
    """Four fill / free cycles on a tmpfs and on a loop-device ext4."""
    _sqlite_on_small_fs(tmp_path, kind, size, mode, HEAVY)


def test_reopening_a_closed_database_on_a_full_disk(tmp_path: Path) -> None:
    """A cleanly closed database cannot be opened on a full disk: a typed error, no damage.

    WAL mode needs a ``-shm`` file even to read; creating it fails (``SQLITE_IOERR_SHMSIZE``).
    The store must raise StoreFull, the CLI exit 1 with one line and the "free disk space"
    hint, and after the space is freed everything is there and commands succeed.
    """
    # 4 MiB: the warm-up's WAL (about 2 MB) must still checkpoint into the file at close.
    with _mounted_or_skip(tmp_path / "small", "tmpfs", 4 * MiB) as where:
        url = f"sqlite:///{where / 'closed.db'}"
        store = SqlStore(url)
        workload = Workload(trusted_engine(store), seed=11)
        new_cohort(workload.engine)
        done = [workload.step() for _ in range(DEFAULT.warmup)]
        store.close()  # checkpointed: the -wal and -shm files are gone
        assert not workload.failures(done)
        ballast = Ballast(where / "ballast")
        ballast.fill(0)
        ballast.top_off()
        with pytest.raises(StoreFull) as opening:
            SqlStore(url)
        shown = _cli("--db", url, "status", CODE)
        report(
            "disk full (reopen a closed database)",
            "sqlite",
            {
                "attempts": 2,
                "faults": 2,
                "error": f"{type(opening.value).__name__}/{driver_code(opening.value)}",
                "cli_exit": shown.returncode,
                "said": shown.stderr.strip().replace("\n", " | "),
            },
        )
        _assert_one_line_failure(shown, full=True)
        ballast.remove()
        _assert_sound("space freed", url, workload.model, {})
        store = SqlStore(url)
        try:
            workload.engine = trusted_engine(store)
            again = [workload.step() for _ in range(5)]
            assert not workload.failures(again), error_kinds(again)
        finally:
            store.close()


# -- SQLite at its page limit (no mount needed) -----------------------------------------------


def _sqlite_at_page_limit(tmp_path: Path, plan: Plan) -> dict[str, Any]:
    """The SQLite scenario with ``max_page_count`` as the wall."""
    url = f"sqlite:///{tmp_path / 'limited.db'}"
    store = SqlStore(url)
    try:
        limit = PageLimit(store.engine)
        engine = trusted_engine(store)
        new_cohort(engine)
        scenario = Scenario(
            check="disk full (max_page_count)",
            backend="sqlite",
            url=url,
            plan=plan,
            space=limit,
            workload=Workload(engine, seed=4 + plan.cycles),
        )
        figures = _run(scenario)
    finally:
        store.close()
    _assert_sound("closed at the end", scenario.url, scenario.workload.model, {})
    return figures


def test_sqlite_at_its_page_limit(tmp_path: Path) -> None:
    """At max_page_count every failure is StoreFull (SQLITE_FULL) and nothing is partial."""
    figures = _sqlite_at_page_limit(tmp_path, Plan(cycles=1, warmup=15, slack=8))
    assert figures["kinds"] == {"StoreFull/SQLITE_FULL": figures["faults"]}


@pytest.mark.heavy
def test_sqlite_page_limit_cycles(tmp_path: Path) -> None:
    """Six fill / free cycles at the page limit."""
    _sqlite_at_page_limit(tmp_path, Plan(cycles=6, warmup=80, slack=48, recovery=60))


def test_cli_write_beyond_the_file_size_limit_is_one_line(tmp_path: Path) -> None:
    """Without a mount: a CLI process that may not grow the WAL exits 1 with one error line.

    ``RLIMIT_FSIZE`` makes the WAL append fail with ``EFBIG``, which SQLite reports as a
    disk I/O error (a plain StoreError, not StoreFull); the command is still refused cleanly
    and nothing of it is written.
    """
    url = f"sqlite:///{tmp_path / 'capped.db'}"
    store = SqlStore(url)  # held open so the WAL is neither checkpointed nor reset
    try:
        engine = trusted_engine(store)
        new_cohort(engine)
        workload = Workload(engine, seed=7)
        while not any(s == "enrolled" for s in workload.model.states.values()):
            workload.step()
        nip = next(n for n, s in workload.model.states.items() if s == "enrolled")
        cap = max(file_sizes(tmp_path, "capped.db").values())

        def limit() -> None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (cap, cap))

        done = _cli("--db", url, "fire", CODE, nip, "start_class", preexec=limit)
        said = done.stderr.strip()
        figures = {"attempts": 1, "faults": int(done.returncode != 0), "exit": done.returncode}
        report("disk full (RLIMIT_FSIZE, CLI)", "sqlite", {**figures, "said": said})
        _assert_one_line_failure(done, full=False)
        assert engine.state(CODE, nip) == "enrolled"
        found = audit(url, workload.model)
        assert (found.lost, found.phantom, found.inconsistent) == (0, 0, 0), found
    finally:
        store.close()


# -- PostgreSQL with its tables on a small tablespace -----------------------------------------


@contextmanager
def _small_tablespace(server: PostgresServer, size: int) -> Iterator[tuple[str, Path]]:
    """A tablespace on a tmpfs of ``size`` bytes owned by the server's user: (name, mount)."""
    if server.data_dir is None:
        pytest.skip("an external PostgreSQL server: its filesystem is not this machine's")
    owner = os.stat(server.data_dir)
    # The server's user must reach the mount: a world-traversable directory under /tmp.
    base = Path(tempfile.mkdtemp(prefix="changeflow-full-"))
    base.chmod(0o755)
    name = f"full_{uuid.uuid4().hex[:12]}"
    try:
        with _mounted_or_skip(
            base / "space", "tmpfs", size, owner=(owner.st_uid, owner.st_gid)
        ) as where:
            with server.connect_admin() as admin:
                admin.execute(f"CREATE TABLESPACE {name} LOCATION '{where}'")
            try:
                yield name, where
            finally:
                with server.connect_admin() as admin:
                    admin.execute(f"DROP TABLESPACE IF EXISTS {name}")
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _postgres_full(server: PostgresServer, plan: Plan, size: int, *, cli: bool) -> dict[str, Any]:
    """The PostgreSQL scenario: the database's tables in a tablespace on a small tmpfs."""
    with (
        _small_tablespace(server, size) as (tablespace, where),
        fresh_database(server, "disk_full") as url,
    ):
        database = url.rsplit("/", 1)[1]
        with server.connect_admin() as admin:
            admin.execute(f'ALTER DATABASE "{database}" SET default_tablespace = {tablespace}')
        store = SqlStore(url)  # the schema is created in the small tablespace
        try:
            engine = trusted_engine(store)
            new_cohort(engine)
            scenario = Scenario(
                check=f"disk full (tablespace on tmpfs {size // MiB} MiB)",
                backend="postgresql",
                url=url,
                plan=plan,
                space=Ballast(where / "ballast"),
                workload=Workload(engine, seed=90 + plan.cycles),
                while_full=_postgres_while_full if cli else None,
            )
            figures = _run(scenario)
        finally:
            store.close()
        _assert_sound("closed at the end", scenario.url, scenario.workload.model, {})
    return figures


def _postgres_while_full(scenario: Scenario, number: int) -> dict[str, Any]:
    """In the first cycle, the CLI's report (PostgreSQL may still find room in a page)."""
    return _withdraw_by_cli(scenario, must_fail=False) if number == 1 else {}


def test_postgresql_on_a_full_tablespace(postgres_server: PostgresServer) -> None:
    """With its tablespace full, PostgreSQL's commands fail with StoreFull (53100) only."""
    figures = _postgres_full(
        postgres_server, Plan(cycles=1, warmup=25, slack=96 * KiB), 2 * MiB, cli=False
    )
    assert figures["kinds"].get("StoreFull/53100", 0) >= 1, figures["kinds"]


@pytest.mark.heavy
def test_postgresql_full_cycles(postgres_server: PostgresServer) -> None:
    """Four fill / free cycles of a PostgreSQL tablespace."""
    _postgres_full(
        postgres_server, Plan(cycles=4, warmup=80, slack=320 * KiB, recovery=60), 6 * MiB, cli=True
    )
