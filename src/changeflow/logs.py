"""Structured events for every command, through structlog when the application uses it.

The library never configures structlog: when the application has configured it, events go
through its pipeline; when it has not (structlog would then print to stdout), they go to
the stdlib logger ``changeflow``, which stays silent unless the application enables it.
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING, Any

from changeflow.states.names import DATA_COMMANDS

if TYPE_CHECKING:
    from collections.abc import Iterable

    from changeflow.records import HistoryEntry

__all__ = ["EventLog", "log"]

_stdlib_log = logging.getLogger("changeflow")
# A library adds only a NullHandler: nothing is printed unless the application asks.
_stdlib_log.addHandler(logging.NullHandler())


class EventLog:
    """Emits structlog events without ever configuring structlog.

    structlog is imported on first need: an application that never imported it cannot
    have configured it, and ``import changeflow`` stays light for command-line use.
    """

    def __init__(self) -> None:
        self._lib: Any = None
        self._logger: Any = None
        self._fallback: Any = None

    def _load(self) -> Any:
        import structlog  # noqa: PLC0415 - deferred on purpose, see the class docstring

        self._logger = structlog.get_logger("changeflow")
        self._fallback = structlog.wrap_logger(
            _stdlib_log,
            processors=[structlog.processors.KeyValueRenderer(key_order=["event"])],
            wrapper_class=structlog.stdlib.BoundLogger,
        )
        self._lib = structlog
        return structlog

    def _configured(self) -> bool:
        lib = self._lib
        if lib is None:
            if "structlog" not in sys.modules:
                return False
            lib = self._load()
        return bool(lib.is_configured())

    def enabled(self, level: int = logging.INFO) -> bool:
        """Whether an event at ``level`` would go anywhere (cheap; checked per batch)."""
        return self._configured() or _stdlib_log.isEnabledFor(level)

    def emit(self, level: int, name: str, /, **fields: Any) -> None:
        """Emit the event ``name`` at a stdlib ``level``."""
        if self._configured():
            self._logger.log(level, name, **fields)
        elif _stdlib_log.isEnabledFor(level):
            if self._fallback is None:
                self._load()
            self._fallback.log(level, name, **fields)

    def entries(self, entries: Iterable[HistoryEntry]) -> None:
        """One event per audited command, INFO when accepted, WARNING when refused.

        Moves and enrolments log ``transition``; a data command logs its own name
        (``register_project`` ...).
        """
        if not self.enabled():
            return
        for e in entries:
            self.emit(
                logging.INFO if e.accepted else logging.WARNING,
                e.event if e.event in DATA_COMMANDS else "transition",
                cohort=e.cohort,
                participant=e.nip or None,
                trigger=e.event,  # "event" is structlog's key for the log message itself
                outcome=e.outcome,
                **{"from": e.source, "to": e.target},
                actor=e.actor,
                violations=[v.code for v in e.violations] or None,
            )


log = EventLog()
"""The engine's event log."""
