"""Exit statuses and how each error the CLI can meet becomes one line, a hint and a status.

Every user mistake ends the command with a one-line ``error:`` message and a ``hint:`` on
stderr (and, with ``--json``, an error document on stdout), never with a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from changeflow.erasure import STILL_ACTIVE
from changeflow.errors import (
    AlreadyExists,
    ChangeflowError,
    CohortNotFound,
    ConcurrentTransition,
    DefinitionError,
    DefinitionMismatch,
    IdempotencyConflict,
    IllegalTransition,
    InvalidInput,
    MigrationRejected,
    MissingRules,
    NoSuchDatabase,
    NotADatabase,
    NotFound,
    ParticipantNotFound,
    SchemaOutdated,
    SchemaVersionError,
    StoreBusy,
    StoreCorrupt,
    StoreFull,
    StoreUnavailable,
    TransitionRejected,
    UnknownEvent,
    UnreadableEntry,
)
from changeflow.states.names import DataCommand

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["CliError", "ExitCode", "Failure", "classify", "refusal", "validation_message"]

_REFUSED_HINT = "the attempt is recorded in the audit trail; fix what the rules name and try again"


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
    headline: str | None = None
    """The ``error:`` line on stderr when ``details`` carry the rest (default: ``message``)."""
    details: tuple[str, ...] = ()
    """Lines printed under the ``error:`` line: each violation, each problem."""

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
    """How a refused command is reported (exit 3): one line, then every violation."""
    reasons = "; ".join(f"{v.code}: {v.message}" for v in exc.violations)
    where = f" from {exc.state!r}" if exc.state else ""
    # A cohort-level command (set_schedule) is refused in the cohort, for no NIP.
    whom = f"for {exc.nip} in {exc.cohort}" if exc.nip else f"in {exc.cohort}"
    message = f"{exc.event!r}{where} refused {whom}: {reasons}"
    details = tuple(f"  {v.code}: {v.message}" for v in exc.violations)
    if exc.event == DataCommand.FORM_GROUPS:
        headline = f"'form_groups' refused in {exc.cohort}: nobody was regrouped"
        hint = (
            "a participant in a final state keeps the group recorded: form the groups before "
            "anyone graduates or fails (the refused attempts are in the audit trail)"
        )
        return Failure(ExitCode.REFUSED, "refused", message, hint, headline, details)
    headline = f"{exc.event!r} refused {whom}"
    if isinstance(exc, IllegalTransition):
        hint = f"`changeflow events {exc.cohort} {exc.nip}` lists what is allowed now"
        return Failure(ExitCode.REFUSED, "illegal_transition", message, hint, headline, details)
    if exc.codes == (STILL_ACTIVE,):  # judged before anything is written: no attempt kept
        hint = "nothing was written; erase a person once their enrolments have ended"
        return Failure(ExitCode.REFUSED, "refused", message, hint, headline, details)
    return Failure(ExitCode.REFUSED, "refused", message, _REFUSED_HINT, headline, details)


def _migration_refused(exc: MigrationRejected) -> Failure:
    reasons = "; ".join(f"{v.code}: {v.message}" for v in exc.violations)
    return Failure(
        ExitCode.REFUSED,
        "migration_refused",
        f"migration of {exc.cohort} refused: {reasons}",
        "nothing was written; map each state the new lifecycle lacks with --map OLD=NEW",
        f"migration of {exc.cohort} refused",
        tuple(f"  {v.code}: {v.message}" for v in exc.violations),
    )


def _mismatch(exc: DefinitionMismatch) -> Failure:
    return Failure(
        ExitCode.INPUT,
        "definition_mismatch",
        "; ".join(exc.problems),
        f"pin it to its lifecycle: `changeflow cohort migrate {exc.cohort} --lifecycle FILE`",
    )


def _missing_rules(exc: MissingRules) -> Failure:
    where = f"lifecycle {exc.name!r}" if exc.name else "the lifecycle"
    return Failure(
        ExitCode.INPUT,
        "missing_rules",
        f"{where} names rules this changeflow has not registered: {', '.join(exc.rules)}",
        "install the package that registers them (entry points in the group "
        "'changeflow.rules'), or migrate the cohort to a lifecycle using registered rules",
    )


def _bad_definition(exc: DefinitionError) -> Failure:
    where = f"lifecycle {exc.name!r}" if exc.name else "the lifecycle definition"
    headline = f"{where} has {len(exc.problems)} problem(s)"
    return Failure(
        ExitCode.INPUT,
        "invalid_lifecycle",
        f"{headline}: {'; '.join(exc.problems)}",
        "fix every problem listed (docs/lifecycle.md); rules are changeflow's own and those "
        "installed packages register as 'changeflow.rules' entry points",
        headline,
        tuple(f"  - {problem}" for problem in exc.problems),
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


def _not_a_database(exc: NotADatabase) -> Failure:
    return Failure(
        ExitCode.INPUT,
        "no_database",
        str(exc),
        "create a database with `changeflow init`, or point --db / CHANGEFLOW_DB at an "
        "existing changeflow database",
    )


def _no_such_database(exc: NoSuchDatabase) -> Failure:
    if exc.schema is not None:
        hint = (
            f"`changeflow init` creates schema {exc.schema!r}; or check --schema, "
            "CHANGEFLOW_SCHEMA and the URL's schema="
        )
    else:
        hint = (
            f"check the name in --db / CHANGEFLOW_DB, or have the database created "
            f"(`createdb {exc.database}`), then run `changeflow init`"
        )
    return Failure(ExitCode.INPUT, "no_database", str(exc), hint)


def _outdated(exc: SchemaOutdated) -> Failure:
    return Failure(
        ExitCode.INPUT,
        "schema_outdated",
        str(exc),
        "run `changeflow init` to upgrade it (back the database up first: an upgrade "
        "cannot be undone); nothing was written",
    )


def _corrupt(exc: StoreCorrupt) -> Failure:
    return Failure(
        ExitCode.FAILED,
        "store_corrupt",
        f"the database file is damaged: {exc}",
        "restore it from a backup, then check it with `changeflow verify` (and "
        "`changeflow verify --against` a checkpoint file taken before the damage)",
    )


def _unreadable(exc: UnreadableEntry) -> Failure:
    return Failure(
        ExitCode.FAILED,
        "unreadable_entry",
        str(exc),
        "the row was written outside changeflow or the file is damaged: `changeflow verify` "
        "checks the whole record; restore the database from a backup",
    )


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
    (MigrationRejected, _migration_refused),
    (DefinitionMismatch, _mismatch),
    (MissingRules, _missing_rules),
    (DefinitionError, _bad_definition),
    (IdempotencyConflict, _reused_key),
    (ConcurrentTransition, _conflict),
    (StoreBusy, _busy),
    (StoreUnavailable, _unavailable),
    (StoreFull, _full),
    (SchemaVersionError, _schema),
    (SchemaOutdated, _outdated),
    (NoSuchDatabase, _no_such_database),
    (NotADatabase, _not_a_database),
    (StoreCorrupt, _corrupt),
    (InvalidInput, _invalid),
    (AlreadyExists, _already_exists),
    (UnreadableEntry, _unreadable),
    (ChangeflowError, _failed),
)
