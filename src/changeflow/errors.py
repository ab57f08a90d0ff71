"""The changeflow exception hierarchy.

Every error the library raises on purpose derives from :class:`ChangeflowError` and carries
its facts as attributes, so callers branch on data rather than on message text::

    ChangeflowError
    ├── DefinitionError            a lifecycle definition is inconsistent (lists every problem)
    │   ├── MissingRules           it names rules this process has not registered
    │   └── DefinitionMismatch     it is not the definition the cohort is pinned to
    ├── RuleError                  a rule itself crashed (nothing was changed)
    ├── TransitionRejected         a command was refused; carries every violation
    │   └── IllegalTransition      the event does not leave the participant's current state
    ├── MigrationRejected          a migration plan cannot be applied (nothing was written)
    ├── NotFound (LookupError)     an unknown name
    │   ├── CohortNotFound
    │   ├── ParticipantNotFound
    │   ├── UnknownEvent
    │   └── UnknownRulePack        no rule pack (or no such version of it) is registered
    ├── AlreadyExists              creating something that is already there
    ├── InvalidInput (ValueError)  an argument the engine cannot use (names the field)
    └── StoreError                 the store could not do what was asked
        ├── ConcurrentTransition   another writer moved the participant first (retryable)
        ├── StoreBusy              a lock was not granted in time (retryable)
        ├── StoreUnavailable       the database cannot be reached (retryable)
        ├── StoreFull              the disk or database is full
        ├── SchemaVersionError     the database's schema is newer than this changeflow
        ├── SchemaOutdated         the schema is older: `changeflow init` upgrades it
        ├── NotADatabase           no changeflow schema there (or not a database at all)
        │   └── NoSuchDatabase     the PostgreSQL database (or schema) does not exist
        ├── StoreCorrupt           the database file is damaged
        ├── UnreadableEntry        an audit row holds a value no entry can have
        ├── SealBroken             a stored personal value does not match its commitment
        ├── UpgradeRefused         a schema upgrade found a broken chain (nothing changed)
        └── IdempotencyConflict    a key was reused for a different command

Input that fails validation raises pydantic's ``ValidationError`` (a ``ValueError``) naming
the field, as pydantic users expect.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

    from changeflow.records import LifecycleRef, Violation

__all__ = [
    "AlreadyExists",
    "BatchBroken",
    "ChangeflowError",
    "CohortNotFound",
    "ConcurrentTransition",
    "DefinitionError",
    "DefinitionMismatch",
    "IdempotencyConflict",
    "IllegalTransition",
    "InvalidInput",
    "MigrationRejected",
    "MissingRules",
    "NoSuchDatabase",
    "NotADatabase",
    "NotFound",
    "ParticipantNotFound",
    "RuleError",
    "SchemaOutdated",
    "SchemaVersionError",
    "SealBroken",
    "StoreBusy",
    "StoreCorrupt",
    "StoreError",
    "StoreFull",
    "StoreUnavailable",
    "TransitionRejected",
    "UnknownEvent",
    "UnknownRulePack",
    "UnreadableEntry",
    "UpgradeRefused",
]


class ChangeflowError(Exception):
    """Root of every error changeflow raises on purpose."""


class DefinitionError(ChangeflowError, ValueError):
    """A lifecycle definition is inconsistent.

    ``problems`` lists every problem found, not just the first, so a definition can be
    fixed in one pass.
    """

    def __init__(self, problems: Iterable[str], *, name: str | None = None) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        self.name = name
        where = f"lifecycle {name!r}" if name else "lifecycle definition"
        listed = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{where} has {len(self.problems)} problem(s):\n{listed}")


class MissingRules(DefinitionError):
    """A lifecycle definition names rules that are not registered in this process.

    ``rules`` lists them; register them (or install the package whose entry points provide
    them) before opening the cohort.
    """

    def __init__(self, rules: Iterable[str], *, name: str | None = None) -> None:
        self.rules: tuple[str, ...] = tuple(rules)
        super().__init__([f"rule {r!r} is not registered" for r in self.rules], name=name)


class DefinitionMismatch(DefinitionError):
    """An engine was given one lifecycle definition, the cohort is pinned to another.

    ``stored`` is the cohort's (``None`` when the cohort is pinned to none: it was created
    before changeflow stored lifecycles and its states are not the default lifecycle's);
    ``given`` the engine's. A cohort changes definition only through a migration.
    """

    def __init__(
        self, cohort: str, *, stored: LifecycleRef | None, given: LifecycleRef | None
    ) -> None:
        self.cohort = cohort
        self.stored = stored
        self.given = given
        if stored is None:
            problem = (
                f"cohort {cohort} is pinned to no lifecycle (it predates stored lifecycles and "
                "its states are not the default lifecycle's): migrate it to its definition"
            )
        else:
            wanted = (
                "" if given is None else f", not {given.name} {given.version} ({given.sha256[:12]})"
            )
            problem = (
                f"cohort {cohort} runs lifecycle {stored.name} {stored.version} "
                f"({stored.sha256[:12]}){wanted}: migrate the cohort to change it"
            )
        super().__init__([problem], name=None if given is None else given.name)


class RuleError(ChangeflowError):
    """A rule raised instead of returning a verdict; the transition was not applied."""

    def __init__(self, rule: str, cause: BaseException) -> None:
        self.rule = rule
        self.cause = cause
        super().__init__(f"rule {rule!r} failed: {type(cause).__name__}: {cause}")


class TransitionRejected(ChangeflowError):
    """A command (a move, an enrolment, a data command) was refused; nothing was changed.

    ``violations`` holds every rule that said no, each with a stable ``code``.
    """

    def __init__(
        self,
        *,
        cohort: str,
        nip: str,
        event: str,
        state: str | None,
        violations: Iterable[Violation],
    ) -> None:
        self.cohort = cohort
        self.nip = nip
        self.event = event
        self.state = state
        self.violations: tuple[Violation, ...] = tuple(violations)
        reasons = "; ".join(f"{v.code}: {v.message}" for v in self.violations)
        where = f" from {state!r}" if state else ""
        whom = f" for {nip}" if nip else ""  # a cohort-level command names no participant
        super().__init__(f"{event!r}{where} refused{whom} in {cohort}: {reasons}")

    @property
    def codes(self) -> tuple[str, ...]:
        """The codes of the violations, in evaluation order."""
        return tuple(v.code for v in self.violations)


class IllegalTransition(TransitionRejected):
    """The event exists but does not leave the participant's current state."""


class MigrationRejected(ChangeflowError):
    """A migration plan cannot be applied: a state has no mapping, or maps to nothing known.

    ``violations`` lists every problem (codes ``state_unmapped``, ``state_unknown``);
    nothing was written.
    """

    def __init__(self, cohort: str, violations: Iterable[Violation]) -> None:
        self.cohort = cohort
        self.violations: tuple[Violation, ...] = tuple(violations)
        reasons = "; ".join(f"{v.code}: {v.message}" for v in self.violations)
        super().__init__(f"migration of {cohort} refused: {reasons}")

    @property
    def codes(self) -> tuple[str, ...]:
        """The codes of the violations."""
        return tuple(v.code for v in self.violations)


class NotFound(ChangeflowError, LookupError):
    """Something named by the caller does not exist."""

    kind = "object"

    def __init__(self, key: str, *, hint: str | None = None) -> None:
        self.key = key
        self.hint = hint
        suffix = f" ({hint})" if hint else ""
        super().__init__(f"unknown {self.kind} {key!r}{suffix}")


class CohortNotFound(NotFound):
    """No cohort (angkatan) has this code."""

    kind = "cohort"


class ParticipantNotFound(NotFound):
    """No participant with this NIP is enrolled in the cohort."""

    kind = "participant"


class UnknownEvent(NotFound):
    """The lifecycle has no event of this name."""

    kind = "event"


class UnknownRulePack(NotFound):
    """No rule pack of this id, or not in this version, is registered.

    ``pack`` and ``version`` (``None``: any) are what was asked for; ``known`` lists the
    registered packs as ``id@version``.
    """

    kind = "rule pack"

    def __init__(self, pack: str, version: str | None = None, *, known: Iterable[str]) -> None:
        self.pack = pack
        self.version = version
        self.known: tuple[str, ...] = tuple(known)
        listed = ", ".join(self.known) or "none"
        super().__init__(pack if version is None else f"{pack}@{version}", hint=f"known: {listed}")


class AlreadyExists(ChangeflowError):
    """Creating something whose key is already taken."""

    def __init__(self, kind: str, key: str) -> None:
        self.kind = kind
        self.key = key
        super().__init__(f"{kind} {key!r} already exists")


class InvalidInput(ChangeflowError, ValueError):
    """An argument the engine cannot use, outside what pydantic validates."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


class StoreError(ChangeflowError):
    """The store could not carry out the operation; nothing partial was written.

    ``retryable`` says whether the same command may succeed if simply tried again;
    ``cause`` is the driver's exception when there is one.
    """

    retryable = False

    def __init__(self, message: str, *, cause: BaseException | None = None) -> None:
        self.cause = cause
        super().__init__(message)


class BatchBroken(StoreError):
    """A command failed inside the store in the middle of a batch: nothing of it is written.

    A failure that is not a refusal (a lost connection, a full disk, a clash with another
    writer) may leave the batch's unit of work half-written, so every later command of the
    batch, and its end, raise this instead of writing anything. Running the batch again is
    safe: none of its commands was recorded.
    """

    retryable = True

    def __init__(self, cohort: str, cause: BaseException) -> None:
        """``cause`` is the failure that broke the batch on ``cohort``."""
        self.cohort = cohort
        super().__init__(
            f"a batch on {cohort} failed ({type(cause).__name__}: {cause}); "
            "nothing of it was written",
            cause=cause,
        )


class ConcurrentTransition(StoreError):
    """Another writer changed the participant between read and write."""

    retryable = True

    def __init__(
        self,
        message: str | None = None,
        *,
        cohort: str | None = None,
        nip: str | None = None,
        expected_version: int | None = None,
        cause: BaseException | None = None,
    ) -> None:
        self.cohort = cohort
        self.nip = nip
        self.expected_version = expected_version
        if message is None:
            message = (
                f"{nip} in {cohort} was changed by another writer "
                f"(expected version {expected_version})"
            )
        super().__init__(message, cause=cause)


class StoreUnavailable(StoreError):
    """The database could not be reached or the connection was lost mid-command."""

    retryable = True


class StoreFull(StoreError):
    """The disk (or the database's size limit) is full; nothing was written."""


class SchemaVersionError(StoreError):
    """The database was written by a newer changeflow whose schema this one does not know."""

    def __init__(self, found: str, known: tuple[str, ...]) -> None:
        self.found = found
        self.known = known
        super().__init__(
            f"the database schema is at revision {found!r}, which this changeflow does not "
            f"know (known: {', '.join(known)}); upgrade changeflow to open it"
        )


class SchemaOutdated(StoreError):
    """The database holds an older changeflow schema, which is upgraded only when asked.

    An upgrade rewrites stored rows (0005 re-seals every chain) and cannot be undone, so
    only ``SqlStore(url, migrate=True)`` or ``changeflow init`` runs it. ``found`` is the
    database's revision, ``head`` the one this changeflow writes; ``legacy_table`` is true
    when the revision sits in the ``alembic_version`` table of earlier releases (moving it
    to ``changeflow_alembic_version`` is part of the upgrade, even at the head revision).
    """

    def __init__(self, url: str, found: str, head: str, *, legacy_table: bool = False) -> None:
        self.url = url
        self.found = found
        self.head = head
        self.legacy_table = legacy_table
        where = " (kept in alembic_version, as earlier releases did)" if legacy_table else ""
        super().__init__(
            f"{url} holds changeflow schema revision {found!r}{where}; this changeflow needs "
            f"{head!r}, and upgrades only when asked (`changeflow init`, or migrate=True)"
        )


class NotADatabase(StoreError):
    """The database holds no changeflow schema, or the file is not a database at all.

    Only an explicit creation (``SqlStore(url, create=True)``, ``changeflow init``) writes a
    schema, so a mistyped path or an unrelated file is reported instead of silently
    filled. ``url`` is the database's URL with any password hidden.
    """

    def __init__(self, url: str, reason: str, *, cause: BaseException | None = None) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"{url} is not a changeflow database: {reason}", cause=cause)


class NoSuchDatabase(NotADatabase):
    """The PostgreSQL server has no database (or no schema) of the name asked for.

    Not a passing outage: retrying never helps. ``database`` is the missing database's
    name, ``schema`` the missing schema's (``None`` when the database itself is missing).
    Databases are made by their administrator (``createdb``); ``changeflow init`` then
    creates a missing schema, when it has the right to.
    """

    def __init__(
        self,
        url: str,
        database: str,
        *,
        schema: str | None = None,
        cause: BaseException | None = None,
    ) -> None:
        self.database = database
        self.schema = schema
        missing = f"database {database!r} does not exist"
        if schema:
            missing = f"schema {schema!r} does not exist in database {database!r}"
        super().__init__(url, missing, cause=cause)


class StoreCorrupt(StoreError):
    """The database file is damaged (the database engine reports it malformed)."""


class UnreadableEntry(StoreError):
    """An audit row cannot be read back as an entry: a value changeflow never writes is in it.

    Written outside changeflow (an edit, a damaged file): ``cohort`` and ``seq`` name the
    row, ``field`` the column that cannot be read (``None`` when no single column is to
    blame), ``reason`` what is wrong with it. ``verify`` reports such a row as the first
    broken entry; other readers raise this.
    """

    def __init__(self, cohort: str, seq: object, field: str | None, reason: str) -> None:
        self.cohort = cohort
        self.seq = seq
        self.field = field
        self.reason = reason
        where = f" ({field})" if field else ""
        super().__init__(f"audit entry {seq} of {cohort} cannot be read{where}: {reason}")


class SealBroken(StoreError):
    """A personal value kept beside the chain does not match the commitment its entry holds.

    ``cohort`` and ``seq`` name the entry, ``field`` the value's dotted path (``nip``,
    ``change.participant.after.name``...), ``reason`` what is wrong (the value differs, is
    missing, or has no commitment). Only an edit outside changeflow leaves one.
    """

    def __init__(self, cohort: str, seq: int, field: str, reason: str) -> None:
        self.cohort = cohort
        self.seq = seq
        self.field = field
        self.reason = reason
        super().__init__(f"personal data of audit entry {seq} of {cohort} ({field}): {reason}")


class UpgradeRefused(StoreError):
    """A schema upgrade that rewrites the chain found a cohort's chain already broken.

    Nothing was changed (the upgrade is one transaction): ``cohort`` names the chain and
    ``problem`` what verifying it under its own format found. Investigate with the
    previous changeflow's ``verify`` before upgrading.
    """

    def __init__(self, revision: str, cohort: str, problem: str) -> None:
        self.revision = revision
        self.cohort = cohort
        self.problem = problem
        super().__init__(
            f"schema upgrade {revision} refused: the audit chain of {cohort} is broken "
            f"({problem}); nothing was changed"
        )


class StoreBusy(StoreError):
    """A lock on the store was not granted within the configured timeout."""

    retryable = True

    def __init__(
        self, message: str, *, timeout: float | None = None, cause: BaseException | None = None
    ) -> None:
        self.timeout = timeout
        super().__init__(message, cause=cause)


class IdempotencyConflict(StoreError):
    """An idempotency key was reused for a command that differs from the first one."""

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(f"idempotency key {key!r} was already used for a different command")
