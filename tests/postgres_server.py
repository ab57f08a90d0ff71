"""A real, throwaway PostgreSQL server for the test suite (a pytest plugin).

Registered by ``pytest_plugins = ["postgres_server"]`` in ``tests/conftest.py``. Fixtures:

``postgres_server`` (session)
    A :class:`PostgresServer`: one private server per test session, made by ``initdb`` in a
    temporary directory and started with ``pg_ctl`` on a free port of 127.0.0.1 (its unix
    socket stays inside that directory), with durability switched off for speed. It is
    stopped (``pg_ctl stop -m immediate``) and its directory removed when the session ends.
    Debian's own cluster (port 5432), if any, is neither used nor touched.
``pg_url``
    The SQLAlchemy URL (``postgresql+psycopg://...``) of a fresh, empty database made for
    the one test; the database is dropped after the test (leftover connections are
    terminated first). A test needing more databases uses
    ``with fresh_database(postgres_server) as url: ...``, which works the same way.

``initdb``, ``pg_ctl`` and ``postgres`` refuse to run as root: when the suite runs as root
the server runs as an unprivileged user (``postgres`` if it exists, else ``nobody``).

Where the binaries come from, and other knobs (environment variables):

``CHANGEFLOW_TEST_PG_URL``
    URL of an existing server and a superuser on it (for example
    ``postgresql+psycopg://postgres:secret@127.0.0.1:5432/postgres``): use it instead of
    starting one. The fixtures create and drop their databases there.
``CHANGEFLOW_PG_BIN``
    Directory holding ``initdb`` and ``pg_ctl``; when set, it is the only place looked at.
``CHANGEFLOW_PG_DISCOVER=0``
    Do not look for binaries in the newest ``/usr/lib/postgresql/*/bin`` nor on ``PATH``
    (with ``CHANGEFLOW_PG_BIN`` unset, the binaries are then "missing": this is how the
    missing-binaries path is exercised).
``CHANGEFLOW_PG_USER``
    The unprivileged user to run the server as when the suite runs as root.
``CI=true``
    Missing binaries fail the tests that need PostgreSQL instead of skipping them.

When the binaries are missing, ``scripts/ensure-postgres`` (run by ``make test`` and by
``.ci/run``) installs them as root.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sqlalchemy.engine import URL

SUPERUSER = "postgres"
"""The superuser that ``initdb -U`` creates in the managed server."""

_INSTALL_HINT = (
    "run `scripts/ensure-postgres` as root (`make test` does) to install PostgreSQL, "
    "set CHANGEFLOW_PG_BIN to a directory holding initdb and pg_ctl, "
    "or set CHANGEFLOW_TEST_PG_URL to an existing server"
)

# Appended to the server's postgresql.conf: a private, disposable server for tests.
_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "max_connections": "200",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "timezone": "'UTC'",
    "log_timezone": "'UTC'",
    "logging_collector": "off",
    "log_min_messages": "warning",
}

_START_ATTEMPTS = 3
_TIMEOUT_SECONDS = 60


@dataclass
class PostgresServer:
    """A PostgreSQL server reachable on ``host:port`` as ``superuser`` (no password needed).

    ``url(dbname)`` gives a SQLAlchemy URL string for one of its databases, ``admin_url`` the
    one for the maintenance database; ``create_database`` and ``drop_database`` manage
    databases. ``data_dir`` and ``startup_seconds`` (initdb plus start) are ``None`` for a
    server the suite did not start.
    """

    host: str
    port: int
    superuser: str = SUPERUSER
    password: str | None = None
    admin_database: str = "postgres"
    data_dir: Path | None = None
    startup_seconds: float | None = None
    _base_url: URL = field(init=False, repr=False)

    def __post_init__(self) -> None:
        """Build the base URL that ``url`` varies by database name."""
        self._base_url = make_url("postgresql+psycopg://").set(
            username=self.superuser,
            password=self.password,
            host=self.host,
            port=self.port,
        )

    def url(self, dbname: str) -> str:
        """The SQLAlchemy URL string of database ``dbname`` on this server."""
        return self._base_url.set(database=dbname).render_as_string(hide_password=False)

    @property
    def admin_url(self) -> str:
        """The SQLAlchemy URL string of the maintenance database (``postgres``)."""
        return self.url(self.admin_database)

    def connect_admin(self) -> psycopg.Connection[Any]:
        """An autocommit psycopg connection to the maintenance database; close it after use."""
        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=self.superuser,
            password=self.password,
            dbname=self.admin_database,
            autocommit=True,
            connect_timeout=10,
        )

    def create_database(self, name: str) -> str:
        """Create the empty database ``name`` and return its URL."""
        with self.connect_admin() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop database ``name`` if it exists, terminating any connections still open to it."""
        with self.connect_admin() as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))

    def database_exists(self, name: str) -> bool:
        """Whether database ``name`` exists on this server."""
        with self.connect_admin() as conn:
            row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        return row is not None


def _has_binaries(directory: Path) -> bool:
    """Whether ``directory`` holds executable ``initdb`` and ``pg_ctl``."""
    return all(os.access(directory / name, os.X_OK) for name in ("initdb", "pg_ctl"))


def _version_key(directory: Path) -> tuple[int, ...]:
    """Sort key for ``/usr/lib/postgresql/<version>/bin``: the version, numerically."""
    return tuple(int(part) for part in re.findall(r"\d+", directory.parent.name))


def find_pg_bin() -> Path | None:
    """The directory of the PostgreSQL server binaries to use, or ``None`` when there are none.

    ``CHANGEFLOW_PG_BIN`` if set (and only it); else, unless ``CHANGEFLOW_PG_DISCOVER=0``,
    the newest ``/usr/lib/postgresql/*/bin``, then the directory of ``initdb`` on ``PATH``.
    """
    override = os.environ.get("CHANGEFLOW_PG_BIN")
    if override:
        directory = Path(override)
        return directory if _has_binaries(directory) else None
    if os.environ.get("CHANGEFLOW_PG_DISCOVER", "1") == "0":
        return None
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version_key, reverse=True)
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    return next((directory for directory in candidates if _has_binaries(directory)), None)


def _server_user() -> pwd.struct_passwd | None:
    """The unprivileged user to run the server as, or ``None`` to run it as ourselves."""
    if os.geteuid() != 0:
        return None
    names = [os.environ["CHANGEFLOW_PG_USER"]] if os.environ.get("CHANGEFLOW_PG_USER") else []
    names += ["postgres", "nobody"]
    for name in names:
        with contextlib.suppress(KeyError):
            user = pwd.getpwnam(name)
            if user.pw_uid != 0:
                return user
    pytest.fail(
        f"running as root, and none of the users {names} exists to run PostgreSQL as "
        "(initdb refuses root): set CHANGEFLOW_PG_USER to an unprivileged user"
    )


def _free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Runner:
    """Runs the PostgreSQL binaries, as the unprivileged user when we are root."""

    def __init__(self, bin_dir: Path, workdir: Path, user: pwd.struct_passwd | None) -> None:
        self.bin_dir = bin_dir
        self.workdir = workdir
        self.user = user
        # libpq variables of the caller (PGDATA, PGPORT, ...) must not steer initdb / pg_ctl.
        self.env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
        self.env.update(LC_ALL="C", TZ="UTC")
        if user is not None:
            self.env.update(HOME=user.pw_dir, USER=user.pw_name, LOGNAME=user.pw_name)

    def run(self, program: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run ``program`` from the binaries directory; on failure, fail with its output."""
        command = [str(self.bin_dir / program), *args]
        privileges: dict[str, Any] = {}
        if self.user is not None:
            privileges = {"user": self.user.pw_uid, "group": self.user.pw_gid, "extra_groups": []}
        result = subprocess.run(
            command,
            cwd=self.workdir,  # the server user may not enter our working directory
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=_TIMEOUT_SECONDS + 30,
            start_new_session=True,  # Ctrl-C reaches pytest (which tears down), not the server
            check=False,
            **privileges,
        )
        if check and result.returncode != 0:
            pytest.fail(
                f"{' '.join(command)} exited {result.returncode}:\n{result.stdout}{result.stderr}"
            )
        return result


def _start(runner: _Runner, data_dir: Path, log_file: Path) -> int:
    """Start the server on a free port (retrying if another process takes it); the port."""
    for attempt in range(1, _START_ATTEMPTS + 1):
        port = _free_port()
        log_file.unlink(missing_ok=True)
        started = runner.run(
            "pg_ctl",
            *("start", "-w", "-t", str(_TIMEOUT_SECONDS), "-D", str(data_dir)),
            *("-l", str(log_file), "-o", f"-p {port}"),
            check=False,
        )
        if started.returncode == 0:
            return port
        log = log_file.read_text(errors="replace") if log_file.exists() else ""
        if attempt == _START_ATTEMPTS or "could not bind" not in log:
            pytest.fail(f"pg_ctl start failed:\n{started.stdout}{started.stderr}\n{log}")
    raise AssertionError("unreachable")  # pragma: no cover


def _stop(runner: _Runner, data_dir: Path) -> None:
    """Stop the server at once (its data are thrown away), if it still runs."""
    runner.run("pg_ctl", "stop", "-m", "immediate", "-w", "-D", str(data_dir), check=False)


def _missing_binaries() -> None:
    """Skip the test needing PostgreSQL, or fail it under CI=true."""
    override = os.environ.get("CHANGEFLOW_PG_BIN")
    where = (
        f"CHANGEFLOW_PG_BIN={override} holds no initdb/pg_ctl"
        if override
        else "no PostgreSQL server binaries (initdb, pg_ctl) under /usr/lib/postgresql/*/bin"
        " or on PATH"
        + (" (discovery disabled by CHANGEFLOW_PG_DISCOVER=0)" if _discovery_off() else "")
    )
    message = f"PostgreSQL test server unavailable: {where}; {_INSTALL_HINT}"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (CI=true: a missing PostgreSQL is a failure, not a skip)")
    pytest.skip(message)


def _discovery_off() -> bool:
    """Whether ``CHANGEFLOW_PG_DISCOVER=0`` disables the search for binaries."""
    return os.environ.get("CHANGEFLOW_PG_DISCOVER", "1") == "0"


def _external_server(url_text: str) -> PostgresServer:
    """The server named by ``CHANGEFLOW_TEST_PG_URL`` (checked by connecting to it)."""
    url = make_url(url_text)
    server = PostgresServer(
        host=url.host or "127.0.0.1",
        port=url.port or 5432,
        superuser=url.username or SUPERUSER,
        password=url.password if isinstance(url.password, str) else None,
        admin_database=url.database or "postgres",
    )
    try:
        server.connect_admin().close()
    except psycopg.OperationalError as error:
        pytest.fail(f"CHANGEFLOW_TEST_PG_URL={url!r} is not reachable: {error}")
    return server


@contextlib.contextmanager
def managed_server(bin_dir: Path) -> Iterator[PostgresServer]:
    """Initialise, start, yield, then stop and remove a private server from ``bin_dir``."""
    started = time.monotonic()
    user = _server_user()
    workdir = Path(tempfile.mkdtemp(prefix="changeflow-pg-"))
    try:
        if user is not None:
            os.chown(workdir, user.pw_uid, user.pw_gid)
        runner = _Runner(bin_dir, workdir, user)
        data_dir = workdir / "data"
        runner.run(
            "initdb",
            *("-D", str(data_dir), "-U", SUPERUSER, "--auth=trust"),
            *("-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"),
        )
        settings = dict(_SETTINGS, unix_socket_directories=f"'{workdir}'")
        with (data_dir / "postgresql.conf").open("a") as conf:
            conf.write("\n# changeflow test server\n")
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())
        port = _start(runner, data_dir, workdir / "server.log")
        try:
            yield PostgresServer(
                host="127.0.0.1",
                port=port,
                data_dir=data_dir,
                startup_seconds=time.monotonic() - started,
            )
        finally:
            _stop(runner, data_dir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A real PostgreSQL server for the whole session (see the module docstring)."""
    external = os.environ.get("CHANGEFLOW_TEST_PG_URL")
    if external:
        yield _external_server(external)
        return
    bin_dir = find_pg_bin()
    if bin_dir is None:
        _missing_binaries()
        return
    with managed_server(bin_dir) as server:
        yield server


def database_name(label: str) -> str:
    """A unique database name that starts with ``label`` (made safe; at most 63 bytes)."""
    safe = re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")[:40]
    return f"t_{safe}_{uuid.uuid4().hex[:12]}"


@contextlib.contextmanager
def fresh_database(server: PostgresServer, label: str = "db") -> Iterator[str]:
    """Create a uniquely named empty database, yield its URL, then drop it (as ``pg_url`` does)."""
    name = database_name(label)
    url = server.create_database(name)
    try:
        yield url
    finally:
        server.drop_database(name)


@pytest.fixture
def pg_url(postgres_server: PostgresServer, request: pytest.FixtureRequest) -> Iterator[str]:
    """The SQLAlchemy URL of a fresh, empty database of its own, dropped after the test."""
    with fresh_database(postgres_server, request.node.name) as url:
        yield url
