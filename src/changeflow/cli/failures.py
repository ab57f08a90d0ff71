"""Exit statuses and how each error the CLI can meet becomes one line, a hint and a status.

Every user mistake ends the command with a one-line ``error:`` message and a ``hint:`` on
stderr (and, with ``--json``, an error document on stdout), never with a traceback. Messages
and hints go through :func:`~changeflow.cli.language.tr` (``--lang id``); a library error's
own text (``str(exc)``) stays as the library wrote it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from changeflow.cli.language import current, state_label, tr, translated
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

    from changeflow.records import Violation

__all__ = ["CliError", "ExitCode", "Failure", "classify", "refusal", "validation_message"]

_REFUSED_HINT = "the attempt is recorded in the audit trail; fix what the rules name and try again"
"""English key of the hint on a refusal (translated where it is printed)."""


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
        """The ``error`` member of a JSON error document (message and hint translated)."""
        return {
            "kind": self.kind,
            "message": translated(self.message),
            "hint": None if self.hint is None else translated(self.hint),
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
        tr("unknown cohort {key!r}", key=exc.key),
        tr("`changeflow cohort list` shows the cohorts; `changeflow cohort create` makes one"),
    )


def _unknown_participant(exc: ParticipantNotFound) -> Failure:
    where = f" ({exc.hint})" if exc.hint else ""
    return Failure(
        ExitCode.INPUT,
        "unknown_participant",
        tr("unknown participant {key!r}{where}", key=exc.key, where=where),
        tr("`changeflow status COHORT` lists the participants of a cohort"),
    )


def _unknown_event(exc: UnknownEvent) -> Failure:
    message = tr("unknown event {key!r}", key=exc.key)
    return Failure(ExitCode.INPUT, "unknown_event", message, exc.hint)


def _not_found(exc: NotFound) -> Failure:
    return Failure(ExitCode.INPUT, "not_found", str(exc), exc.hint)


def refusal(exc: TransitionRejected) -> Failure:
    """How a refused command is reported (exit 3): one line, then every violation."""
    reasons = _reasons(exc.violations)
    where = tr(" from {state!r}", state=state_label(exc.state)) if exc.state else ""
    # A cohort-level command (set_schedule) is refused in the cohort, for no NIP.
    if exc.nip:
        whom = tr("for {nip} in {cohort}", nip=exc.nip, cohort=exc.cohort)
    else:
        whom = tr("in {cohort}", cohort=exc.cohort)
    message = tr(
        "{event!r}{where} refused {whom}: {reasons}",
        event=exc.event,
        where=where,
        whom=whom,
        reasons=reasons,
    )
    details = _details(exc.violations)
    if exc.event == DataCommand.FORM_GROUPS:
        headline = tr("'form_groups' refused in {cohort}: nobody was regrouped", cohort=exc.cohort)
        hint = tr(
            "a participant in a final state keeps the group recorded: form the groups before "
            "anyone graduates or fails (the refused attempts are in the audit trail)"
        )
        return Failure(ExitCode.REFUSED, "refused", message, hint, headline, details)
    headline = tr("{event!r} refused {whom}", event=exc.event, whom=whom)
    if isinstance(exc, IllegalTransition):
        hint = tr(
            "`changeflow events {cohort} {nip}` lists what is allowed now",
            cohort=exc.cohort,
            nip=exc.nip,
        )
        return Failure(ExitCode.REFUSED, "illegal_transition", message, hint, headline, details)
    from changeflow.erasure import STILL_ACTIVE  # noqa: PLC0415 - erase's refusals only

    if exc.codes == (STILL_ACTIVE,):  # judged before anything is written: no attempt kept
        hint = tr("nothing was written; erase a person once their enrolments have ended")
        return Failure(ExitCode.REFUSED, "refused", message, hint, headline, details)
    return Failure(ExitCode.REFUSED, "refused", message, tr(_REFUSED_HINT), headline, details)


def _reasons(violations: tuple[Violation, ...]) -> str:
    """``code: message; ...`` with each message in the current language."""
    return "; ".join(f"{v.code}: {v.text(current())}" for v in violations)


def _details(violations: tuple[Violation, ...]) -> tuple[str, ...]:
    """One indented ``code: message`` line per violation, in the current language."""
    return tuple(f"  {v.code}: {v.text(current())}" for v in violations)


def _migration_refused(exc: MigrationRejected) -> Failure:
    return Failure(
        ExitCode.REFUSED,
        "migration_refused",
        tr(
            "migration of {cohort} refused: {reasons}",
            cohort=exc.cohort,
            reasons=_reasons(exc.violations),
        ),
        tr("nothing was written; map each state the new lifecycle lacks with --map OLD=NEW"),
        tr("migration of {cohort} refused", cohort=exc.cohort),
        _details(exc.violations),
    )


def _mismatch(exc: DefinitionMismatch) -> Failure:
    return Failure(
        ExitCode.INPUT,
        "definition_mismatch",
        "; ".join(exc.problems),
        tr(
            "pin it to its lifecycle: `changeflow cohort migrate {cohort} --lifecycle FILE`",
            cohort=exc.cohort,
        ),
    )


def _missing_rules(exc: MissingRules) -> Failure:
    where = tr("lifecycle {name!r}", name=exc.name) if exc.name else tr("the lifecycle")
    return Failure(
        ExitCode.INPUT,
        "missing_rules",
        tr(
            "{where} names rules this changeflow has not registered: {rules}",
            where=where,
            rules=", ".join(exc.rules),
        ),
        tr(
            "install the package that registers them (entry points in the group "
            "'changeflow.rules'), or migrate the cohort to a lifecycle using registered rules"
        ),
    )


def _bad_definition(exc: DefinitionError) -> Failure:
    where = tr("lifecycle {name!r}", name=exc.name) if exc.name else tr("the lifecycle definition")
    headline = tr("{where} has {count} problem(s)", where=where, count=len(exc.problems))
    return Failure(
        ExitCode.INPUT,
        "invalid_lifecycle",
        f"{headline}: {'; '.join(exc.problems)}",
        tr(
            "fix every problem listed (docs/lifecycle.md); rules are changeflow's own and those "
            "installed packages register as 'changeflow.rules' entry points"
        ),
        headline,
        tuple(f"  - {problem}" for problem in exc.problems),
    )


def _already_exists(exc: AlreadyExists) -> Failure:
    return Failure(
        ExitCode.INPUT,
        "already_exists",
        str(exc),
        tr("choose another code; `changeflow cohort list` shows the ones taken"),
    )


def _reused_key(exc: IdempotencyConflict) -> Failure:
    return Failure(
        ExitCode.INPUT,
        "idempotency_conflict",
        str(exc),
        tr("a --key identifies one command: use a new key for a different command"),
    )


def _conflict(exc: ConcurrentTransition) -> Failure:
    return Failure(
        ExitCode.RETRY,
        "conflict",
        str(exc),
        tr("another writer changed it first: check the state and retry (with the same --key)"),
    )


def _busy(exc: StoreBusy) -> Failure:
    return Failure(ExitCode.RETRY, "busy", str(exc), tr("another process holds the lock: retry"))


def _unavailable(exc: StoreUnavailable) -> Failure:
    return Failure(
        ExitCode.RETRY,
        "unavailable",
        tr("database unreachable: {problem}", problem=exc),
        tr("check --db (or CHANGEFLOW_DB) and that the database is up, then retry"),
    )


def _full(exc: StoreFull) -> Failure:
    return Failure(ExitCode.FAILED, "store_full", str(exc), tr("free disk space and retry"))


def _schema(exc: SchemaVersionError) -> Failure:
    return Failure(ExitCode.FAILED, "schema_version", str(exc), tr("upgrade changeflow"))


def _not_a_database(exc: NotADatabase) -> Failure:
    return Failure(
        ExitCode.INPUT,
        "no_database",
        str(exc),
        tr(
            "create a database with `changeflow init`, or point --db / CHANGEFLOW_DB at an "
            "existing changeflow database"
        ),
    )


def _no_such_database(exc: NoSuchDatabase) -> Failure:
    if exc.schema is not None:
        hint = tr(
            "`changeflow init` creates schema {schema!r}; or check --schema, "
            "CHANGEFLOW_SCHEMA and the URL's schema=",
            schema=exc.schema,
        )
    else:
        hint = tr(
            "check the name in --db / CHANGEFLOW_DB, or have the database created "
            "(`createdb {database}`), then run `changeflow init`",
            database=exc.database,
        )
    return Failure(ExitCode.INPUT, "no_database", str(exc), hint)


def _outdated(exc: SchemaOutdated) -> Failure:
    return Failure(
        ExitCode.INPUT,
        "schema_outdated",
        str(exc),
        tr(
            "run `changeflow init` to upgrade it (back the database up first: an upgrade "
            "cannot be undone); nothing was written"
        ),
    )


def _corrupt(exc: StoreCorrupt) -> Failure:
    return Failure(
        ExitCode.FAILED,
        "store_corrupt",
        tr("the database file is damaged: {problem}", problem=exc),
        tr(
            "restore it from a backup, then check it with `changeflow verify` (and "
            "`changeflow verify --against` a checkpoint file taken before the damage)"
        ),
    )


def _unreadable(exc: UnreadableEntry) -> Failure:
    return Failure(
        ExitCode.FAILED,
        "unreadable_entry",
        str(exc),
        tr(
            "the row was written outside changeflow or the file is damaged: `changeflow verify` "
            "checks the whole record; restore the database from a backup"
        ),
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
