"""``changeflow demo``: the 2019 Probolinggo cohort end to end on a fresh SQLite file."""

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from changeflow.cli import render
from changeflow.cli.failures import CliError, ExitCode
from changeflow.cli.language import tr
from changeflow.cli.render import Output
from changeflow.cli.session import guarded, open_engine, sqlite_path

if TYPE_CHECKING:
    from changeflow.engine import Engine

__all__ = ["DEMO_URL", "demo", "fresh_demo"]

DEMO_URL = "sqlite:///changeflow-demo.db"
"""Where ``changeflow demo`` writes unless told otherwise."""


def demo(
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            metavar="URL",
            help=f"SQLite file URL to (re)create (default: {DEMO_URL}); replaced if present.",
        ),
    ] = None,
) -> None:
    """Run the 2019 Probolinggo cohort end to end on a fresh SQLite file, then verify it."""
    from changeflow.demo import COHORT, run  # noqa: PLC0415

    out = Output()
    url = db or DEMO_URL
    with guarded(out):
        path, engine = fresh_demo(url)
        with engine:
            run(say=_say, engine=engine)
            counts, members = engine.status(COHORT.code), engine.participants(COHORT.code)
            checks = engine.verify(COHORT.code)
    out.line()
    render.status_text(counts, members)
    render.verify_text(out, checks)
    out.note(
        tr(
            "the demo database is {path}; try: changeflow --db {url} status {code}",
            path=path,
            url=url,
            code=COHORT.code,
        )
    )
    if not all(c.ok for c in checks):
        raise typer.Exit(ExitCode.FAILED)


def fresh_demo(url: str) -> "tuple[Path, Engine]":
    """A new, empty demo database at the SQLite file ``url`` (replaced if present).

    The engine's clock stands at the 2019 cohort's first morning, where the story starts.
    """
    from changeflow.clock import FixedClock  # noqa: PLC0415

    path = sqlite_path(url)
    if path is None:
        raise CliError(
            tr("the demo needs an SQLite file URL, not {url!r}", url=url),
            hint=tr("e.g. --db {url}", url=DEMO_URL),
        )
    _remove_database(path)
    engine = open_engine(url, create=True, clock=FixedClock(datetime(2019, 4, 1, 8, tzinfo=UTC)))
    return path, engine


def _say(text: str) -> None:
    typer.echo(text)


def _remove_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        candidate = path.with_name(path.name + suffix)
        try:
            candidate.unlink(missing_ok=True)
        except OSError as exc:
            problem = exc.strerror or exc
            raise CliError(
                tr("cannot replace {file!r}: {problem}", file=str(candidate), problem=problem)
            ) from None
