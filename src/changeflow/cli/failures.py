"""Exit statuses and how each error the CLI can meet becomes one line, a hint and a status.

Every user mistake ends the command with a one-line ``error:`` message and a ``hint:`` on
stderr (and, with ``--json``, an error document on stdout), never with a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from changeflow.errors import (
    AlreadyExists,
    ChangeflowError,
    CohortNotFound,
    ConcurrentTransition,
    IdempotencyConflict,
    IllegalTransition,
    InvalidInput,
    NotFound,
    ParticipantNotFound,
    SchemaVersionError,
    StoreBusy,
    StoreFull,
    StoreUnavailable,
    TransitionRejected,
    UnknownEvent,
)

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["CliError", "ExitCode", "Failure", "classify", "refusal", "validation_message"]


class ExitCode(IntEnum):
    """The exit statuses of every command."""

    OK = 0
    """Success (for ``verify``: every chain intact)."""
    FAILED = 1
    """``verify`` found a broken chain; or a failure that is not the user's (disk full...)."""
    INPUT = 2
    """Unusable input or an unknown name (cohort, NIP, event, file, date, JSON, key reuse)."""
    REFUSED = 3
    """Refused by the rules or illegal from the current state (audited as refused)."""
    RETRY = 4
    """Another writer got there first, the store is busy or unreachable: try again."""


@dataclass(frozen=True, slots=True)
class Failure:
    """An error as the CLI reports it."""

    status: ExitCode
    kind: str
    """A stable name scripts can branch on, e.g. ``unknown_cohort``."""
    message: str
    hint: str | None = None

    def to_dict(self) -> dict[str, object]:
        """The ``error`` member of a JSON error document."""
        return {
            "kind": self.kind,
            "message": self.message,
            "hint": self.hint,
            "exit_code": int(self.status),
        }


class CliError(Exception):
    """A mistake the CLI itself detects (a bad date, malformed JSON, a missing database)."""

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        kind: str = "invalid_input",
        status: ExitCode = ExitCode.INPUT,
    ) -> None:
        self.failure = Failure(status, kind, message, hint)
        super().__init__(message)


def validation_message(error: ValidationError) -> str:
    """Pydantic's errors on one line: ``field: message; field: message``."""
    parts = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or error.title
        parts.append(f"{where}: {str(item['msg']).removeprefix('Value error, ')}")
    return "; ".join(parts)


def classify(exc: BaseException) -> Failure | None:
    """The failure to report for ``exc``; ``None`` when it is not an expected error (a bug)."""
    for kind, describe in _DESCRIBED:
        if isinstance(exc, kind):
            return describe(exc)
    return None


def _cli(exc: CliError) -> Failure:
    return exc.failure


def _invalid(exc: ValidationError | InvalidInput) -> Failure:
    message = validation_message(exc) if isinstance(exc, ValidationError) else str(exc)
    return Failure(ExitCode.INPUT, "invalid_input", message)


def _unknown_cohort(exc: CohortNotFound) -> Failure:
    return Failure(
        ExitCode.INPUT,
        "unknown_cohort",
        f"unknown cohort {exc.key!r}",
        "`changeflow cohort list` shows the cohorts; `changeflow cohort create` makes one",
    )


def _unknown_participant(exc: ParticipantNotFound) -> Failure:
    where = f" ({exc.hint})" if exc.hint else ""
    return Failure(
        ExitCode.INPUT,
        "unknown_participant",
        f"unknown participant {exc.key!r}{where}",
        "`changeflow status COHORT` lists the participants of a cohort",
    )


def _unknown_event(exc: UnknownEvent) -> Failure:
    return Failure(ExitCode.INPUT, "unknown_event", f"unknown event {exc.key!r}", exc.hint)


def _not_found(exc: NotFound) -> Failure:
    return Failure(ExitCode.INPUT, "not_found", str(exc), exc.hint)


def refusal(exc: TransitionRejected) -> Failure:
    """How a refused or illegal move is reported (exit 3)."""
    reasons = "; ".join(f"{v.code}: {v.message}" for v in exc.violations)
    where = f" from {exc.state!r}" if exc.state else ""
    message = f"{exc.event!r}{where} refused for {exc.nip} in {exc.cohort}: {reasons}"
    if isinstance(exc, IllegalTransition):
        hint = f"`changeflow events {exc.cohort} {exc.nip}` lists what is allowed now"
        return Failure(ExitCode.REFUSED, "illegal_transition", message, hint)
    return Failure(
        ExitCode.REFUSED,
        "refused",
        message,
        "the attempt is recorded in the audit trail; fix what the rules name and try again",
    )


def _already_exists(exc: AlreadyExists) -> Failure:
    return Failure(
        ExitCode.INPUT,
        "already_exists",
        str(exc),
        "choose another code; `changeflow cohort list` shows the ones taken",
    )


def _reused_key(exc: IdempotencyConflict) -> Failure:
    return Failure(
        ExitCode.INPUT,
        "idempotency_conflict",
        str(exc),
        "a --key identifies one command: use a new key for a different command",
    )


def _conflict(exc: ConcurrentTransition) -> Failure:
    return Failure(
        ExitCode.RETRY,
        "conflict",
        str(exc),
        "another writer changed it first: check the state and retry (with the same --key)",
    )


def _busy(exc: StoreBusy) -> Failure:
    return Failure(ExitCode.RETRY, "busy", str(exc), "another process holds the lock: retry")


def _unavailable(exc: StoreUnavailable) -> Failure:
    return Failure(
        ExitCode.RETRY,
        "unavailable",
        f"database unreachable: {exc}",
        "check --db (or CHANGEFLOW_DB) and that the database is up, then retry",
    )


def _full(exc: StoreFull) -> Failure:
    return Failure(ExitCode.FAILED, "store_full", str(exc), "free disk space and retry")


def _schema(exc: SchemaVersionError) -> Failure:
    return Failure(ExitCode.FAILED, "schema_version", str(exc), "upgrade changeflow")


def _failed(exc: ChangeflowError) -> Failure:
    return Failure(ExitCode.FAILED, "failed", str(exc))


# Most specific first: the first matching class describes the error.
_DESCRIBED: tuple[tuple[type[BaseException], Callable[[Any], Failure]], ...] = (
    (CliError, _cli),
    (ValidationError, _invalid),
    (CohortNotFound, _unknown_cohort),
    (ParticipantNotFound, _unknown_participant),
    (UnknownEvent, _unknown_event),
    (NotFound, _not_found),
    (TransitionRejected, refusal),
    (IdempotencyConflict, _reused_key),
    (ConcurrentTransition, _conflict),
    (StoreBusy, _busy),
    (StoreUnavailable, _unavailable),
    (StoreFull, _full),
    (SchemaVersionError, _schema),
    (InvalidInput, _invalid),
    (AlreadyExists, _already_exists),
    (ChangeflowError, _failed),
)
