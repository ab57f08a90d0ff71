"""Progress of long commands on stderr: a rich bar on a terminal, plain lines elsewhere.

A roster of 100,000 rows takes a while; an HR officer watching a terminal should see it
move, and a script's log should say how far it got. Nothing is shown for work done within
:data:`QUIET_SECONDS` (``CHANGEFLOW_PROGRESS_AFTER`` overrides it), and nothing ever goes
to stdout, which under ``--json`` carries exactly one document.
"""

from __future__ import annotations

import os
import sys
import time
from typing import TYPE_CHECKING, Any, TextIO

from changeflow.cli.language import tr

if TYPE_CHECKING:
    from types import TracebackType

__all__ = ["QUIET_SECONDS", "Progress"]

QUIET_SECONDS = 1.0
"""Work that ends within this many seconds shows no progress at all."""

_PLAIN_EVERY = 5.0
"""Seconds between two plain progress lines (when stderr is not a terminal)."""


def _quiet_seconds() -> float:
    given = os.environ.get("CHANGEFLOW_PROGRESS_AFTER", "")
    try:
        seconds = float(given)
    except ValueError:
        return QUIET_SECONDS
    return seconds if 0 <= seconds < float("inf") else QUIET_SECONDS


class Progress:
    """Counts done units of work (rows, participants) and shows how far along they are.

    Use as a context manager; call :meth:`advance` after each unit. ``what`` names the
    work (``"enrolling BENCH"``) and ``unit`` what is counted (``"rows"``).
    """

    def __init__(
        self, what: str, total: int | None, *, unit: str = "rows", stream: TextIO | None = None
    ) -> None:
        """Progress of ``total`` units (unknown when ``None``) shown on ``stream`` (stderr)."""
        self.what = what
        self.total = total
        self.unit = unit
        self.done = 0
        self._stream = sys.stderr if stream is None else stream
        self._quiet = _quiet_seconds()
        self._started = time.monotonic()
        self._next_check = self._started + self._quiet
        self._bar: Any = None
        self._task: Any = None
        self._last_line = 0.0

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close(finished=kind is None)

    def advance(self, count: int = 1) -> None:
        """Count ``count`` more units done; show progress when it is due."""
        self.done += count
        now = time.monotonic()
        if now < self._next_check:
            return
        if self._bar is not None:
            self._bar.update(self._task, completed=self.done)
            self._next_check = now + 0.1
        elif self._stream.isatty():
            self._start_bar()
            self._next_check = now + 0.1
        else:
            self._line("")
            self._next_check = now + _PLAIN_EVERY
            self._last_line = now

    def close(self, *, finished: bool = True) -> None:
        """Stop showing progress; a plain line says how it ended if any was shown."""
        if self._bar is not None:
            self._bar.update(self._task, completed=self.done)
            self._bar.stop()
            self._bar = None
        elif self._last_line:
            self._line("done" if finished else "stopped")

    def _start_bar(self) -> None:
        from rich.console import Console  # noqa: PLC0415 - only when a bar is shown
        from rich.progress import (  # noqa: PLC0415
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as Bar  # noqa: PLC0415

        self._bar = Bar(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn(self.unit),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=Console(file=self._stream),
            transient=False,
        )
        self._bar.start()
        self._task = self._bar.add_task(self.what, total=self.total, completed=self.done)

    def _line(self, state: str) -> None:
        seconds = f"{time.monotonic() - self._started:.1f}"
        done, unit = f"{self.done:,}", tr(self.unit)
        if self.total is None:
            line = tr("{what}: {done} {unit}, {seconds} s", what=self.what, done=done,
                      unit=unit, seconds=seconds)  # fmt: skip
        else:
            line = tr("{what}: {done} of {total} {unit}, {seconds} s", what=self.what,
                      done=done, total=f"{self.total:,}", unit=unit, seconds=seconds)  # fmt: skip
        tail = {"done": tr(" (done)"), "stopped": tr(" (stopped)")}.get(state, "")
        self._stream.write(line + tail + "\n")
        self._stream.flush()
