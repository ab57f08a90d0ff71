"""The ``changeflow`` command line, a thin shell over :class:`changeflow.Engine`.

Importing this package loads Typer but neither SQLAlchemy nor Rich: commands import the
SQL store when they open the database, and Rich only to draw tables. The garbage collector
is paused while the command starts (see :mod:`changeflow.cli.collector`).
"""

from __future__ import annotations

import os
import sys

from changeflow.cli import collector

with collector.importing():
    import typer

    from changeflow.cli import app as _commands

__all__ = ["main"]


def main() -> None:
    """Run the ``changeflow`` command (the console script's entry point).

    An unexpected exception is a bug: it is reported as one line, with the traceback only
    when ``CHANGEFLOW_DEBUG`` is set.
    """
    try:
        with collector.paused():  # until the command's database is open
            _commands.app(prog_name="changeflow")
    except Exception as exc:
        if os.environ.get("CHANGEFLOW_DEBUG"):
            raise
        typer.echo(f"error: internal error: {type(exc).__name__}: {exc}", err=True)
        typer.echo(
            "hint: this is a bug in changeflow; set CHANGEFLOW_DEBUG=1 to see the traceback",
            err=True,
        )
        sys.exit(1)
