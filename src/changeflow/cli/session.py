"""Opening the database for one command, and turning errors into exit statuses.

SQLAlchemy is imported here lazily, inside :func:`open_engine`, so ``changeflow --help``
and the commands that need no database never load it.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from changeflow.cli import collector, documents
from changeflow.cli.failures import CliError, ExitCode, classify
from changeflow.engine import Engine
from changeflow.errors import InvalidInput

if TYPE_CHECKING:
    from collections.abc import Iterator

    from changeflow.cli.render import Output
    from changeflow.clock import Clock

__all__ = [
    "Settings",
    "database_label",
    "guarded",
    "open_engine",
    "session",
    "settings_of",
    "sqlite_path",
]


@dataclass(slots=True)
class Settings:
    """The global options, shared with every command through the Typer context."""

    db: str | None = None
    """``--db``; ``None`` means ``$CHANGEFLOW_DB``, else ``sqlite:///changeflow.db``."""
    lock_timeout: float = 5.0
    """``--lock-timeout``: seconds to wait for the database's write lock."""
    schema: str | None = None
    """``--schema`` (or ``$CHANGEFLOW_SCHEMA``): the PostgreSQL schema holding the tables."""

    def url(self) -> str:
        """The database URL this invocation uses."""
        if self.db:
            return self.db
        from changeflow.store.sql import default_url  # noqa: PLC0415 - loads SQLAlchemy

        return default_url()


def settings_of(ctx: typer.Context) -> Settings:
    """The global options (defaults when the app is invoked without its callback)."""
    found = ctx.find_object(Settings)
    return found if found is not None else Settings()


def sqlite_path(url: str) -> Path | None:
    """The file of an SQLite URL (``None`` for other databases); :class:`CliError` if unusable."""
    from sqlalchemy.engine import make_url  # noqa: PLC0415 - commands only, never --help
    from sqlalchemy.exc import ArgumentError  # noqa: PLC0415

    try:
        parsed = make_url(url)
    except ArgumentError:
        raise CliError(
            f"--db {url!r} is not a database URL",
            hint="use sqlite:///path/to/file.db or postgresql://user@host/dbname",
        ) from None
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def database_label(url: str) -> str:
    """The URL with any password hidden, for messages."""
    from sqlalchemy.engine import make_url  # noqa: PLC0415

    return make_url(url).render_as_string(hide_password=True)


def open_engine(
    url: str,
    *,
    create: bool = False,
    clock: Clock | None = None,
    lock_timeout: float = 5.0,
    schema: str | None = None,
) -> Engine:
    """An engine on the SQL store at ``url`` (in PostgreSQL schema ``schema``, if given).

    Only ``create`` (``changeflow init``) writes a schema, creating or upgrading it:
    otherwise a missing or empty file, a file that is not a database, a database without
    changeflow's schema and one at an older revision are refused untouched, so a mistyped
    path is reported instead of silently filled and an upgrade is never a side effect.
    """
    from changeflow.store.sql.connect import check_lock_timeout  # noqa: PLC0415

    try:  # before the file: a bad option is the first thing to say
        check_lock_timeout(lock_timeout)
    except InvalidInput as exc:
        raise CliError(f"--lock-timeout {lock_timeout!r}: {str(exc).split(': ', 1)[1]}") from None
    path = sqlite_path(url)
    if path is not None:
        try:
            exists, parent_exists, directory = path.exists(), path.parent.exists(), path.is_dir()
        except OSError as exc:  # a name too long for the file system, say
            raise CliError(
                f"cannot use {str(path)!r}: {exc.strerror or exc}", kind="no_database"
            ) from None
        if directory:
            raise CliError(
                f"{str(path)!r} is a directory, not a database file",
                hint="point --db at a file, e.g. sqlite:///path/to/changeflow.db",
                kind="no_database",
            )
        if not create and not exists:
            raise CliError(
                f"no changeflow database at {str(path)!r}",
                hint="create it with `changeflow init`, or point --db / CHANGEFLOW_DB at "
                "an existing database",
                kind="no_database",
            )
        if create and not parent_exists:
            raise CliError(f"directory {str(path.parent)!r} does not exist", kind="no_database")
    try:
        from changeflow.store.sql import SqlStore  # noqa: PLC0415 - loads SQLAlchemy
    except ImportError as exc:  # pragma: no cover - SQLAlchemy is a dependency
        raise CliError(f"the SQL store cannot be loaded: {exc}", status=ExitCode.FAILED) from exc
    try:
        store = SqlStore(
            url, lock_timeout=lock_timeout, create=create, migrate=create, schema=schema
        )
    except ImportError as exc:
        raise CliError(
            f"the database driver is not installed: {exc}",
            hint="for PostgreSQL: pip install 'changeflow[postgres]'",
        ) from None
    collector.resume()  # the start-up is over: the command's own work is collected as usual
    return Engine(store, clock=clock)


@contextmanager
def guarded(out: Output) -> Iterator[None]:
    """Report any expected error (its line, details and hint) and exit with its status.

    With ``--json`` stdout gets the error's document (a refusal's carries its violations).
    """
    try:
        yield
    except (typer.Exit, typer.Abort):
        raise
    except Exception as exc:
        failure = classify(exc)
        if failure is None:
            raise
        out.failure(failure, documents.failure(exc, failure))
        raise typer.Exit(int(failure.status)) from None


@contextmanager
def session(ctx: typer.Context, out: Output, *, create: bool = False) -> Iterator[Engine]:
    """Open the engine for one command, close it afterwards, report errors (see guarded)."""
    with guarded(out):
        settings = settings_of(ctx)
        engine = open_engine(
            settings.url(),
            create=create,
            lock_timeout=settings.lock_timeout,
            schema=settings.schema,
        )
        try:
            yield engine
        finally:
            engine.close()
