"""The ``changeflow`` command line, a thin shell over :class:`changeflow.Engine`.

:func:`main` loads the application (:mod:`changeflow.cli.app`: Typer, but neither
SQLAlchemy nor Rich; commands import the SQL store when they open the database, and Rich
only to draw tables) with the garbage collector paused until the command's database is open
(see :mod:`changeflow.cli.collector`).
"""

from __future__ import annotations

import os
import sys

from changeflow.cli import collector

__all__ = ["main"]


def main() -> None:
    """Run the ``changeflow`` command (the console script's entry point).

    An unexpected exception is a bug: it is reported as one line, with the traceback only
    when ``CHANGEFLOW_DEBUG`` is set.
    """
    try:
        with collector.paused():  # until the command's database is open
            from changeflow.cli.app import app  # noqa: PLC0415 - loaded with it paused

            app(prog_name="changeflow")
    except Exception as exc:
        if os.environ.get("CHANGEFLOW_DEBUG"):
            raise
        import typer  # noqa: PLC0415 - loaded already, unless loading it failed

        typer.echo(f"error: internal error: {type(exc).__name__}: {exc}", err=True)
        typer.echo(
            "hint: this is a bug in changeflow; set CHANGEFLOW_DEBUG=1 to see the traceback",
            err=True,
        )
        sys.exit(1)
