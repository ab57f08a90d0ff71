"""The engine: composes the lifecycle, the rules, a store, a clock and listeners.

Every command (an enrolment, a move, a data command such as ``register_project``, a
correction, a migration) runs in one unit of work on its cohort: the rules are judged
against facts read under the cohort's lock, and the change, its hash-chained audit entry
and the idempotency record are written together or not at all. A refused command changes
nothing but its audit entry and raises :class:`~changeflow.errors.TransitionRejected` with
every violation.

Each cohort runs the lifecycle definition it is pinned to in the store; an engine compiles
each definition once.
"""

from __future__ import annotations

import gc
import logging
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Self

from changeflow import changes, inputs
from changeflow.attempt import Attempt
from changeflow.audit import (
    AuditCheck,
    Checkpoint,
    EnrolledFacts,
    lifecycle_facts,
    missing_cohort,
    replay,
    verify_chain,
)
from changeflow.batch import Batch, OpenBatches
from changeflow.clock import Clock, SystemClock
from changeflow.commands import Command
from changeflow.erasure import erasure_reason, still_active
from changeflow.errors import (
    DefinitionMismatch,
    IllegalTransition,
    InvalidInput,
    MigrationRejected,
    NotFound,
    ParticipantNotFound,
    TransitionRejected,
    UnknownEvent,
)
from changeflow.idempotency import fingerprint, recall, remember
from changeflow.logs import log
from changeflow.models import (
    Assessment,
    Attendance,
    ChangeProject,
    Cohort,
    Grade,
    Group,
    Office,
    Participant,
)
from changeflow.offices import (
    CLOSED,
    OFFICES_SETTING,
    OPEN,
    OfficeIndex,
    RegisteredOffice,
    fold,
    nearest,
    office_entry,
)
from changeflow.passwords import (
    check_login,
    check_password_text,
    hash_password,
    needs_rehash,
    verify_password,
)
from changeflow.personal import is_erased
from changeflow.records import (
    COHORT_NIP,
    AdvanceReport,
    Enrolment,
    HistoryEntry,
    LifecycleRef,
    MigrationPlan,
)
from changeflow.rules.eligibility import AlreadyActive
from changeflow.rules.judge import cite
from changeflow.rules.permission import PERMISSION, Permission
from changeflow.rules.record import RecordOpen
from changeflow.rules.registry import RuleRegistry
from changeflow.rules.violations import (
    active_elsewhere,
    already_enrolled,
    cohort_overfilled,
    office_overfilled,
    reason_missing,
    state_unknown,
    state_unmapped,
    unknown_office,
)
from changeflow.staff import ORGANISER, Actor, Authorizer, StaffAuthorizer, StaffMember, actor_of
from changeflow.states.default import DEFAULT_LIFECYCLE
from changeflow.states.definition import LifecycleDefinition
from changeflow.states.machine import Lifecycle, Move
from changeflow.states.names import (
    ADD_STAFF,
    CREATE_COHORT,
    ENROL,
    ERASE,
    MIGRATE,
    RECORD_ATTENDANCE,
    SET_SCHEDULE,
    DataCommand,
)
from changeflow.store.memory import MemoryStore

if TYPE_CHECKING:
    from types import TracebackType

    from changeflow.agenda import Agenda, TickAction, TickReport
    from changeflow.deadlines import PlannedTimeout
    from changeflow.records import CohortProjection, Violation
    from changeflow.rules.base import Rule
    from changeflow.schedule import Schedule
    from changeflow.store.base import Store, Unit

__all__ = ["EXPORT_SCHEMA_VERSION", "TICK_ACTOR", "CohortStatus", "Engine", "Listener"]

EXPORT_SCHEMA_VERSION = 1
"""Version of the JSON shape :meth:`Engine.export` produces (new keys may be added)."""

TICK_ACTOR = "changeflow tick"
"""The actor of events a tick fires when none is given."""

Listener = Callable[[HistoryEntry], object]
"""Called with each accepted entry after its transaction commits."""

_Build = Callable[[Attempt, Enrolment], changes.Proposal]

_ATTENDANCE_RULES = (("record_open", RecordOpen()),)
"""The rules of ``record_attendance`` (not a lifecycle's data command: older stored
definitions do not name it, and their SHA-256 must not change)."""


@dataclass(frozen=True, slots=True)
class CohortStatus:
    """Headcounts of a cohort: per state (every state listed), per office and per group."""

    cohort: str
    by_state: Mapping[str, int]
    by_office: Mapping[str, int]
    by_group: Mapping[int | None, int]
    total: int

    def to_dict(self) -> dict[str, Any]:
        """A JSON-compatible dictionary."""
        return {
            "cohort": self.cohort,
            "total": self.total,
            "counts": dict(self.by_state),
            "by_office": dict(self.by_office),
            "by_group": {("none" if k is None else str(k)): v for k, v in self.by_group.items()},
        }


class Engine:
    """Runs cohorts through their lifecycles.

    >>> from datetime import date
    >>> from changeflow import Cohort, Engine, Office, Participant
    >>> engine = Engine()
    >>> _ = engine.create_cohort(Cohort(code="PKA-1", name="PKA angkatan I",
    ...                                 start=date(2019, 4, 4), end=date(2019, 7, 19)),
    ...                          actor="bkd-admin")  # the creator is the first organiser
    >>> entry = engine.enrol("PKA-1", Participant(
    ...     nip="197003152000031004", name="Budi", echelon="III.a",
    ...     office=Office(code="DINKES", name="Dinas Kesehatan")), actor="bkd-admin")
    >>> moved = engine.fire("PKA-1", "197003152000031004", "start_class", actor="bkd-admin")
    >>> entry.target, moved.target, moved.role
    ('enrolled', 'on_class', 'organiser')
    """

    def __init__(
        self,
        store: Store | None = None,
        *,
        lifecycle: LifecycleDefinition | Lifecycle | None = None,
        rules: Mapping[str, Rule] | None = None,
        clock: Clock | None = None,
        known_offices: Collection[str] | None = None,
        listeners: Iterable[Listener] = (),
        authorizer: Authorizer | None = None,
    ) -> None:
        """Build an engine; every argument has a working default.

        ``lifecycle`` is the definition new cohorts are pinned to (the default lifecycle
        when not given). Existing cohorts run the definition they are pinned to; when
        ``lifecycle`` is given, a cohort pinned to another raises
        :class:`~changeflow.errors.DefinitionMismatch`. ``rules`` resolves the rule names
        definitions use (the built-ins and the installed entry points by default).

        ``known_offices`` closes the office registry: enrolling someone from an office
        code not in it (and not registered) is refused with ``unknown_office``; so does a
        store closed with :meth:`close_offices`. By default offices are created on first
        accepted use; afterwards the stored office (its name included) is the one every
        enrolment with that code, name or alias refers to (see :meth:`add_office`).

        ``authorizer`` gives the roles an actor holds in a cohort, for lifecycles that say
        who may do what (:class:`~changeflow.staff.StaffAuthorizer` by default: the roles
        an :class:`~changeflow.staff.Actor` vouches for, else the cohort's staff).
        """
        self.rules: Mapping[str, Rule] = RuleRegistry.default() if rules is None else rules
        if isinstance(lifecycle, LifecycleDefinition):
            lifecycle = Lifecycle(lifecycle, self.rules)
        default = lifecycle or Lifecycle(DEFAULT_LIFECYCLE, self.rules)
        self.lifecycle: Lifecycle = default
        """The lifecycle new cohorts are pinned to."""
        self._given = lifecycle
        self._compiled: dict[str, Lifecycle] = {default.sha256: default}
        self.store: Store = MemoryStore() if store is None else store
        self.clock: Clock = SystemClock() if clock is None else clock
        self.known_offices = None if known_offices is None else frozenset(known_offices)
        self._listeners: list[Listener] = list(listeners)
        self.authorizer: Authorizer = StaffAuthorizer() if authorizer is None else authorizer
        self._open = OpenBatches()

    def __repr__(self) -> str:
        return f"Engine({self.store!r}, lifecycle={self.lifecycle.name!r})"

    def close(self) -> None:
        """Release the store's connections; the engine is not used afterwards."""
        self.store.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    # -- lifecycles -----------------------------------------------------------------------

    def _bind(self, code: str, definition: LifecycleDefinition | None) -> Lifecycle:
        """The compiled lifecycle of a cohort pinned to ``definition``."""
        given = None if self._given is None else self._given.definition.ref
        if definition is None:
            raise DefinitionMismatch(code, stored=None, given=given)
        found = self._compiled.get(definition.sha256)
        if self._given is not None and found is not self._given:
            raise DefinitionMismatch(code, stored=definition.ref, given=given)
        if found is None:
            found = self._compiled[definition.sha256] = Lifecycle(definition, self.rules)
        return found

    def _compile(self, lifecycle: LifecycleDefinition | Lifecycle) -> Lifecycle:
        """A lifecycle given to a command, compiled (once) with this engine's rules."""
        if isinstance(lifecycle, Lifecycle):
            return self._compiled.setdefault(lifecycle.sha256, lifecycle)
        inputs.instance(LifecycleDefinition, lifecycle, "lifecycle")
        found = self._compiled.get(lifecycle.sha256)
        return found if found is not None else Lifecycle(lifecycle, self.rules)

    def lifecycle_of(self, cohort: str) -> Lifecycle:
        """The lifecycle the cohort runs (its pinned definition, compiled once).

        :class:`~changeflow.errors.DefinitionMismatch` when the engine was given another
        definition, or the cohort is pinned to none; :class:`~changeflow.errors.MissingRules`
        when its definition names rules this engine has not registered.
        """
        code = inputs.cohort_code(cohort)
        return self._bind(code, self.store.lifecycle(code))

    def definition_of(self, cohort: str) -> LifecycleDefinition | None:
        """The definition the cohort is pinned to (``None``: none), without compiling it.

        Unlike :meth:`lifecycle_of` it needs none of the definition's rules registered: it
        is what to draw or show a cohort with.
        """
        return self.store.lifecycle(inputs.cohort_code(cohort))

    def pinned(self, cohort: str) -> LifecycleRef | None:
        """Which definition the cohort is pinned to (``None``: none)."""
        definition = self.definition_of(cohort)
        return None if definition is None else definition.ref

    # -- cohorts ------------------------------------------------------------------------

    def create_cohort(
        self,
        cohort: Cohort,
        *,
        lifecycle: LifecycleDefinition | Lifecycle | None = None,
        actor: str | Actor | None = None,
        reason: str | None = None,
    ) -> Cohort:
        """Create a cohort (angkatan) pinned to ``lifecycle`` (the engine's by default).

        The cohort, its lifecycle definition (whole), its rule parameters and its default
        schedule (:meth:`schedule`) are the first entry of its audit chain
        (``create_cohort``). :class:`AlreadyExists` if the code is
        taken; an engine given a lifecycle creates cohorts on that one only
        (:class:`DefinitionMismatch`). Anything but a :class:`Cohort` is
        :class:`InvalidInput` (build one from JSON-like data with
        ``Cohort.model_validate(data, strict=False)``).

        On a lifecycle that says who may do what, the creating ``actor`` becomes the
        cohort's first organiser (staff, named by its id until :meth:`add_staff` names
        it), recorded in the same entry.
        """
        inputs.instance(Cohort, cohort, "cohort")
        command = _command(actor, reason)
        pinned = self.lifecycle if lifecycle is None else self._compile(lifecycle)
        if self._given is not None and pinned is not self._given:
            raise DefinitionMismatch(
                cohort.code, stored=pinned.definition.ref, given=self._given.definition.ref
            )
        from changeflow.schedule import default_schedule  # noqa: PLC0415 - calendar only

        schedule = default_schedule(cohort).to_document()
        change = {
            "cohort": changes.change_of(None, cohort.model_dump(mode="json")),
            "lifecycle": changes.change_of(None, lifecycle_facts(pinned.definition)),
            "schedule": changes.change_of(None, schedule),
        }
        founder = None
        if pinned.governed and command.actor is not None:
            founder = StaffMember(id=command.actor, name=command.actor, roles={ORGANISER})
            change["staff"] = changes.change_of({}, {founder.id: founder.facts()})
        with self.store.new_cohort(cohort, pinned.definition) as uow:
            attempt = Attempt(uow, pinned, command, self.clock.now())
            attempt.role = None if founder is None else ORGANISER
            entry = attempt.entry(COHORT_NIP, CREATE_COHORT, None, None, change=change)
            uow.set_schedule(schedule)
            if founder is not None:
                uow.set_staff(founder)
            uow.record(entry)
            uow.commit()
        self._compiled.setdefault(pinned.sha256, pinned)
        self._after((entry,))
        return cohort

    def add_staff(
        self,
        cohort: str,
        member: StaffMember,
        *,
        actor: str | Actor | None = None,
        reason: str | None = None,
        key: str | None = None,
    ) -> HistoryEntry:
        """Add a member to the cohort's staff, or change their name or roles.

        Audited as a cohort entry ``add_staff`` with the member before and after; on a
        lifecycle that restricts it (the default: organisers) an actor without the role is
        refused with ``not_permitted`` (:class:`TransitionRejected`, only the refused
        attempt recorded).
        """
        inputs.instance(StaffMember, member, "member")
        command = _command(actor, reason, key=key)
        code = inputs.cohort_code(cohort)
        fingerprinted = (
            fingerprint(ADD_STAFF, code, member.to_dict(), command.actor, reason) if key else ""
        )
        with self._unit(code) as uow:
            attempt, replayed = self._begin(uow, command, fingerprinted)
            if attempt is None:
                return _result(replayed)
            violations = attempt.permit(ADD_STAFF)
            was = uow.staff_member(member.id)
            before = {} if was is None else {member.id: was.facts()}
            change = {"staff": changes.change_of(before, {member.id: member.facts()})}
            entry = attempt.entry(COHORT_NIP, ADD_STAFF, None, None, violations, None, change)
            if not violations:
                uow.set_staff(member)
            self._commit(attempt, entry, fingerprinted)
        self._after((entry,))
        return _result(entry)

    def staff(self, cohort: str) -> list[StaffMember]:
        """The cohort's staff (organisers, coaches, examiners), by id."""
        return self.store.staff(inputs.cohort_code(cohort))

    def roles_of(self, cohort: str, actor: str | Actor | None) -> frozenset[str]:
        """The staff roles ``actor`` holds in the cohort, as its commands are judged with.

        They come from the engine's :class:`~changeflow.staff.Authorizer` (by default the
        roles vouched for, else the cohort's staff entry), so a front end that offers only
        what someone may do agrees with the engine. The mentor role is per participant and
        is not among them.
        """
        code = inputs.cohort_code(cohort)
        who = actor_of(actor)
        if who is None:
            return self.authorizer(None, None)
        member = None
        if who.roles is None:
            member = next((m for m in self.store.staff(code) if m.id == who.id), None)
        return self.authorizer(who, member)

    def cohort(self, code: str) -> Cohort:
        """The cohort with this code; :class:`CohortNotFound` if unknown."""
        return self.store.cohort(inputs.cohort_code(code))

    def cohorts(self) -> list[Cohort]:
        """Every cohort, by code."""
        return self.store.cohorts()

    def offices(self) -> list[RegisteredOffice]:
        """Every office the store knows (the office registry) by code, with its aliases."""
        return self.store.office_registry()

    def add_office(
        self,
        code: str,
        name: str,
        *,
        aliases: Iterable[str] = (),
        actor: str | Actor | None,
    ) -> RegisteredOffice:
        """Register an office with its aliases, or add aliases to a registered office.

        Re-adding a registered code with a name that folds alike adds the new aliases; a
        code registered with another name, or a name or alias another office holds, is
        refused with :class:`~changeflow.offices.OfficeConflict` naming both offices, and
        nothing is written. ``actor`` is recorded with each new name or alias, with the time.
        """
        office = Office.model_validate({"code": code, "name": name})
        self._register([(office, _aliases(aliases))], actor)
        return self._registered(office.code)

    def add_alias(self, office: str, alias: str, *, actor: str | Actor | None) -> RegisteredOffice:
        """Give the registered office ``office`` (its code, name or an alias) another alias.

        :class:`~changeflow.errors.NotFound` when nothing registered is called ``office``;
        :class:`~changeflow.offices.OfficeConflict` when another office holds the alias.
        """
        found = OfficeIndex(self.offices()).find(office)
        if found is None:
            raise NotFound(office, hint="no registered office has this code, name or alias")
        self._register([(found, _aliases([alias]))], actor)
        return self._registered(found.code)

    def import_offices(
        self,
        rows: Iterable[Mapping[str, Any] | Sequence[Any]],
        *,
        actor: str | Actor | None,
    ) -> list[RegisteredOffice]:
        """Register many offices at once, all or none (see :meth:`add_office`).

        Each row is a mapping with ``code``, ``name`` and optional ``aliases`` (a sequence,
        or one string separated by ``|`` or ``;``), or a ``(code, name[, aliases])`` tuple.
        Returns the registry afterwards.
        """
        entries = [office_entry(row) for row in rows]
        self._register(entries, actor)
        return self.offices()

    @property
    def offices_closed(self) -> bool:
        """Whether the store refuses offices it has not registered (``unknown_office``)."""
        return self.store.setting(OFFICES_SETTING) == CLOSED

    def close_offices(self, *, actor: str | Actor | None, closed: bool = True) -> None:
        """Close the store to unknown offices (``closed=False`` opens it), recording who.

        Closed, enrolling or transferring someone to an office that is neither a registered
        code, name nor alias is refused with ``unknown_office``, its nearest registered
        offices named as a hint. The setting is the store's, so it holds for every engine.
        """
        who = _registrar(actor)
        self.store.set_setting(
            OFFICES_SETTING, CLOSED if closed else OPEN, by=who, at=self.clock.now()
        )

    # -- passwords (the web board's sign-in) -------------------------------------------------

    def set_password(self, login: str, password: str, *, actor: str | Actor | None) -> None:
        """Set (or replace) the password ``login`` signs in with, recording who set it when.

        A login is the id a person acts under: a staff member's id, or a mentor's NIP. Only
        the password's Argon2id hash is stored (see :mod:`changeflow.passwords`: 8 to 1024
        characters, no NUL; a refusal never quotes the password). Passwords are store-wide,
        no cohort's, so no cohort role applies: ``actor`` must be named (it is recorded),
        as for the office registry. Needs the ``web`` extra.
        """
        who = _registrar(actor, "a password")
        check_login(login)
        hashed = hash_password(password)
        self.store.set_password_hash(login, hashed, by=who, at=self.clock.now())

    def check_password(self, login: str, password: str) -> bool:
        """Whether ``password`` is ``login``'s (see :meth:`set_password`); never raises on a miss.

        ``False`` for a login without a password, after checking against a fixed hash all
        the same, so the time taken does not tell which logins exist; ``False`` at once for
        a login or password that could never have been set (too long, say). A correct
        password whose hash was made at an older cost is hashed again and stored (set by
        the login itself).
        """
        for field, value in (("login", login), ("password", password)):
            if not isinstance(value, str):
                raise InvalidInput(field, f"must be a string, got {type(value).__name__}")
        try:
            check_login(login)
            check_password_text(password)
        except InvalidInput:
            return False  # nothing stored can match: hashing it would only cost the server
        hashed = self.store.password_hash(login)
        if hashed is None:
            verify_password(_dummy_hash(), password)
            return False
        if not verify_password(hashed, password):
            return False
        if needs_rehash(hashed):
            self.store.set_password_hash(
                login, hash_password(password), by=login, at=self.clock.now()
            )
        return True

    def _register(
        self, entries: list[tuple[Office, tuple[str, ...]]], actor: str | Actor | None
    ) -> None:
        who = _registrar(actor)
        self.store.register_offices(entries, by=who, at=self.clock.now())

    def _registered(self, code: str) -> RegisteredOffice:
        return next(o for o in self.offices() if o.code == code)

    # -- listeners ----------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` with every accepted entry after it commits; returns an unsubscriber.

        A listener that raises does not undo anything: the failure is logged and the
        remaining listeners still run.
        """
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def _notify(self, entries: Iterable[HistoryEntry]) -> None:
        for entry in entries:
            for listener in tuple(self._listeners):
                try:
                    listener(entry)
                except Exception as exc:  # noqa: BLE001 - a listener must not break the engine
                    log.emit(
                        logging.ERROR,
                        "listener_failed",
                        listener=repr(listener),
                        cohort=entry.cohort,
                        nip=entry.nip,
                        seq=entry.seq,
                        error=f"{type(exc).__name__}: {exc}",
                    )

    def _after(self, entries: tuple[HistoryEntry, ...]) -> None:
        if entries and self._open.by_code:
            batch = self._open.by_code.get(entries[0].cohort)
            if batch is not None:  # heard of when the batch commits (never if it does not)
                batch.recorded(entries)
                return
        log.entries(entries)
        if self._listeners:
            self._notify(e for e in entries if e.accepted)

    def _begin(
        self, uow: Unit, command: Command, fingerprinted: str = ""
    ) -> tuple[Attempt | None, Any]:
        """``(attempt, None)`` for a new command; ``(None, first result)`` for a keyed retry.

        A key already remembered answers with the first result (:func:`recall`); else the
        cohort's lifecycle is bound and the command's :class:`Attempt` built.
        """
        replayed = recall(uow, command.key, fingerprinted) if command.key else None
        if replayed is not None:
            return None, replayed
        return self._attempt(uow, command), None

    def _attempt(self, uow: Unit, command: Command, lifecycle: Lifecycle | None = None) -> Attempt:
        """The attempt of ``command`` under the cohort's lifecycle (or ``lifecycle``)."""
        if lifecycle is None:
            lifecycle = self._bind(uow.cohort.code, uow.lifecycle)
        roles = self._roles(uow, command) if lifecycle.governed else frozenset()
        return Attempt(uow, lifecycle, command, self.clock.now(), roles)

    def _roles(self, uow: Unit, command: Command) -> frozenset[str]:
        """The staff roles the command's actor holds in the unit's cohort."""
        if not command.actor:  # none, or an empty id: nobody the authorizer could know
            return self.authorizer(None, None)
        vouched = command.roles
        member = None if vouched is not None else uow.staff_member(command.actor)
        return self.authorizer(_actor(command.actor, vouched), member)

    def _commit(self, attempt: Attempt, entry: HistoryEntry, fingerprinted: str) -> None:
        """Record a one-entry command's entry, remember its key with it, commit."""
        attempt.uow.record(entry)
        remember(attempt.uow, attempt.command.key, fingerprinted, entry)
        self._close(attempt.uow)

    def _commit_bulk(
        self, attempt: Attempt, entries: tuple[HistoryEntry, ...], fingerprinted: str
    ) -> None:
        """Remember a bulk command's key with the entries it recorded as it went, commit."""
        remember(attempt.uow, attempt.command.key, fingerprinted, entries)
        self._close(attempt.uow)

    def _close(self, uow: Unit) -> None:
        """Commit a command's unit, unless it is a batch's (the batch commits at its end)."""
        batch = self._open.by_code.get(uow.cohort.code)
        if batch is None or batch.uow is not uow:
            uow.commit()

    # -- batches --------------------------------------------------------------------------

    @contextmanager
    def batch(self, cohort: str, *, dry_run: bool = False) -> Iterator[Batch]:
        """Run the engine's commands on ``cohort`` in one transaction (one unit of work).

        Inside the ``with`` block every command on this cohort, from this thread, is judged
        as usual, in order, against the cohort as the commands before it left it, and
        written to one unit that holds the cohort's lock; the block's end commits them all
        at once (a roster of thousands of nominations then costs one fsync, not thousands).
        A refusal raises as usual and the batch goes on; an exception leaving the block
        rolls back every command of it, refusals included. With ``dry_run`` nothing is ever
        committed: the commands report what they would do. Listeners hear of the entries
        after the commit. Readers (:meth:`participants`, :meth:`history`) see the batch's
        work only once it is committed.

        >>> from datetime import date
        >>> from changeflow import Cohort, Engine
        >>> engine = Engine()
        >>> _ = engine.create_cohort(Cohort(code="K", name="K", start=date(2019, 4, 4),
        ...                                 end=date(2019, 7, 19)), actor="bkd")
        >>> nips = ["197003152000031004", "197104152000032005"]
        >>> with engine.batch("K") as batch:
        ...     for nip in nips:
        ...         _ = engine.enrol("K", {"nip": nip, "name": "N", "echelon": "III.a",
        ...             "office": {"code": "BKD", "name": "BKD"}}, actor="bkd")
        >>> len(batch.entries), len(engine.participants("K"))
        (2, 2)
        """
        code = inputs.cohort_code(cohort)
        if code in self._open.by_code:
            raise InvalidInput("cohort", f"a batch on {code} is already open in this thread")
        if not isinstance(dry_run, bool):
            raise InvalidInput("dry_run", f"must be True or False, got {dry_run!r:.40}")
        with self.store.unit(code) as uow:
            batch = Batch(code, uow, dry_run=dry_run)
            self._open.by_code[code] = batch
            try:
                yield batch
            finally:
                del self._open.by_code[code]
            batch.usable()
            if not dry_run:
                uow.commit()
        if not dry_run:
            self._after(batch.entries)

    @contextmanager
    def _unit(self, code: str) -> Iterator[Unit]:
        """The unit a command on ``code`` works in: its batch's, else a new one."""
        batch = self._open.by_code.get(code)
        if batch is None:
            with self.store.unit(code) as uow:
                yield uow
            return
        batch.usable()
        try:
            yield batch.uow
        except BaseException as error:
            batch.failed(error)
            raise

    def _unbatched(self, code: str, what: str) -> None:
        """Refuse ``what`` on a cohort with a batch open in this thread."""
        if code in self._open.by_code:
            raise InvalidInput(
                "cohort", f"{what} cannot run inside the open batch on {code}; end it first"
            )

    # -- enrolment ----------------------------------------------------------------------

    def enrol(
        self,
        cohort: str,
        participant: Participant | Mapping[str, Any],
        *,
        actor: str | Actor | None = None,
        reason: str | None = None,
        payload: Mapping[str, Any] | None = None,
        key: str | None = None,
    ) -> HistoryEntry:
        """Judge a nomination and, when every rule agrees, enrol the participant.

        A refused nomination creates no participant, is audited with its reasons and
        raises :class:`TransitionRejected` carrying every violation.
        """
        person = inputs.participant(participant)
        command = _command(actor, reason, payload, None, key)
        code = inputs.cohort_code(cohort)
        fingerprinted = (
            fingerprint(
                ENROL, cohort, person.model_dump(mode="json"), command.actor, reason, payload
            )
            if key
            else ""
        )
        with self._unit(code) as uow:
            attempt, replayed = self._begin(uow, command, fingerprinted)
            if attempt is None:
                return _result(replayed)
            violations, person = self._judge_enrolment(attempt, person)
            change = EnrolledFacts(person)
            initial = attempt.lifecycle.initial
            entry = attempt.entry(person.nip, ENROL, None, initial, violations, change=change)
            if not violations:
                attempt.uow.office(person.office, create=True, by=command.actor, at=attempt.now)
                attempt.uow.add(Enrolment(code, person, initial))
            self._commit(attempt, entry, fingerprinted)
        self._after((entry,))
        return _result(entry)

    def check_enrolment(
        self,
        cohort: str,
        participant: Participant | Mapping[str, Any],
        *,
        actor: str | Actor | None = None,
    ) -> tuple[Violation, ...]:
        """Every reason the nomination would be refused now (empty: it would be accepted)."""
        return self.check_enrolments(cohort, [participant], actor=actor)[0]

    def check_enrolments(
        self,
        cohort: str,
        participants: Iterable[Participant | Mapping[str, Any]],
        *,
        actor: str | Actor | None = None,
    ) -> list[tuple[Violation, ...]]:
        """Dry run of enrolling several nominations in order; writes nothing.

        Each nomination is judged as if the ones before it that would be accepted were
        already enrolled (so a third from one office meets the office quota and a NIP
        repeated later is already active). Everything happens in one unit of work that is
        never committed. ``actor`` is who would enrol them (permissions are judged too).
        """
        if isinstance(participants, str | bytes | Mapping) or not isinstance(
            participants, Iterable
        ):
            raise InvalidInput(
                "participants", f"expected an iterable of nominations, got {participants!r:.80}"
            )
        people = [inputs.participant(p) for p in participants]
        code = inputs.cohort_code(cohort)
        # It enrols into a unit it never commits: a batch's unit would keep them.
        self._unbatched(code, "check_enrolments")
        verdicts: list[tuple[Violation, ...]] = []
        with self.store.unit(code) as uow:
            attempt = self._attempt(uow, _command(actor))
            for person in people:
                violations, seated = self._judge_enrolment(attempt, person)
                if not violations:
                    attempt.uow.office(
                        seated.office, create=True, by=attempt.command.actor, at=attempt.now
                    )
                    attempt.uow.add(Enrolment(code, seated, attempt.lifecycle.initial))
                verdicts.append(violations)
        return verdicts

    def _judge_enrolment(
        self, attempt: Attempt, person: Participant
    ) -> tuple[tuple[Violation, ...], Participant]:
        # Offices are looked up here and created only when the enrolment is accepted, so a
        # refused nomination leaves nothing behind but its audit entry.
        uow, lifecycle = attempt.uow, attempt.lifecycle
        person, early = self._resolve_office(uow, person, person.office)
        existing = uow.enrolment(person.nip)
        if existing is not None:
            # Never replace an enrolment: one that ended stays ended (reopen it instead), and
            # an active one would lose its progress and take a second seat.
            early += (already_enrolled(uow.cohort.code, existing.state),)
        joined = Enrolment(uow.cohort.code, person, lifecycle.initial)
        rules = lifecycle.enrolment_rules
        if existing is not None:
            # A second nomination of someone enrolled is refused for that alone (and for
            # the actor's permission): the quotas would count its own seat against itself.
            rules = tuple(r for r in rules if isinstance(r[1], Permission | AlreadyActive))
        violations, _ = attempt.judge(rules, ENROL, None, lifecycle.initial, joined, None)
        return early + violations, person

    def _resolve_office(
        self, uow: Unit, person: Participant, office: Office
    ) -> tuple[Participant, tuple[Violation, ...]]:
        """``person`` placed in the office ``office`` resolves to, or the violations.

        A stored code, else a registered name or alias (folded, :func:`~changeflow.offices.fold`)
        of ``office``'s name or code; else a new office, refused when the store is closed to
        unknown offices or ``known_offices`` lacks its code.
        """
        stored = uow.office(office, create=False) or _named(uow, office)
        if stored is None:
            allowed = self.known_offices is None or office.code in self.known_offices
            if allowed and self.store.setting(OFFICES_SETTING) == CLOSED:
                allowed = False
            placed = (
                person if person.office is office else person.model_copy(update={"office": office})
            )
            if allowed:
                return placed, ()
            near = nearest(office, self.store.office_registry())
            return placed, (unknown_office(office.code, [(o.code, o.name) for o in near]),)
        if stored is not person.office:
            # One office object per code keeps a large registry small in memory.
            person = person.model_copy(update={"office": stored})
        return person, ()

    # -- transitions --------------------------------------------------------------------

    def fire(
        self,
        cohort: str,
        nip: str,
        event: str,
        *,
        actor: str | Actor | None = None,
        reason: str | None = None,
        payload: Mapping[str, Any] | None = None,
        effective_date: date | None = None,
        key: str | None = None,
    ) -> HistoryEntry:
        """Fire ``event`` for one participant and return the accepted entry.

        Raises :class:`UnknownEvent` (nothing audited) for a name the cohort's lifecycle
        lacks, :class:`ParticipantNotFound` for a NIP not enrolled in the cohort, and
        :class:`IllegalTransition` / :class:`TransitionRejected` (audited as refused) when
        the move is not allowed. With ``key``, a retry returns the first result and writes
        nothing.
        """
        _event_name(event)
        command = _command(actor, reason, payload, effective_date, key)
        return self._fire(cohort, nip, event, command)[0]

    def _fire(
        self, cohort: str, nip: str, event: str, command: Command
    ) -> tuple[HistoryEntry, bool]:
        """Fire one event: the accepted entry, and whether it was written now (not replayed)."""
        code = inputs.cohort_code(cohort)
        fingerprinted = (
            fingerprint(
                event,
                cohort,
                nip,
                command.actor,
                command.reason,
                command.payload,
                command.effective_date,
            )
            if command.key
            else ""
        )
        with self._unit(code) as uow:
            attempt, replayed = self._begin(uow, command, fingerprinted)
            if attempt is None:
                return _result(replayed), False
            by_source = _moves(attempt.lifecycle, event)
            enrolment = _member(attempt.uow, nip)
            entry = attempt.move(enrolment, by_source.get(enrolment.state), event)
            self._commit(attempt, entry, fingerprinted)
        self._after((entry,))
        return _result(entry), True

    def check(
        self,
        cohort: str,
        nip: str,
        event: str,
        *,
        actor: str | Actor | None = None,
        reason: str | None = None,
        payload: Mapping[str, Any] | None = None,
        effective_date: date | None = None,
    ) -> tuple[Violation, ...]:
        """Dry run of :meth:`fire`: every reason it would be refused now; writes nothing."""
        _event_name(event)
        command = _command(actor, reason, payload, effective_date)
        with self._unit(inputs.cohort_code(cohort)) as uow:
            attempt = self._attempt(uow, command)
            by_source = _moves(attempt.lifecycle, event)
            enrolment = _member(attempt.uow, nip)
            return attempt.judge_move(enrolment, by_source.get(enrolment.state), event)[0]

    def available(
        self,
        cohort: str,
        nip: str,
        *,
        reason: str | None = None,
        actor: str | Actor | None = None,
    ) -> tuple[str, ...]:
        """Events that would be accepted for the participant now, fired by ``actor``.

        Events whose only objection is a missing ``reason`` (withdraw, drop, reopen) are
        judged with the ``reason`` given here, so pass one to see them. On a lifecycle that
        says who may do what, only the events ``actor`` may fire are listed.
        """
        command = _command(actor, reason)
        with self._unit(inputs.cohort_code(cohort)) as uow:
            attempt = self._attempt(uow, command)
            enrolment = _member(attempt.uow, nip)
            return tuple(
                move.event
                for move in attempt.lifecycle.leaving[enrolment.state]
                if not attempt.judge_move(enrolment, move, move.event)[0]
            )

    def advance(
        self,
        cohort: str,
        event: str,
        *,
        actor: str | Actor | None = None,
        reason: str | None = None,
        payload: Mapping[str, Any] | None = None,
        effective_date: date | None = None,
        key: str | None = None,
    ) -> AdvanceReport:
        """Try ``event`` for every participant in one of its source states, in one unit.

        Accepted moves commit even when others are refused; refused participants stay
        where they are and are audited; participants in other states are skipped without
        an audit entry.
        """
        _event_name(event)
        command = _command(actor, reason, payload, effective_date, key)
        code = inputs.cohort_code(cohort)
        fingerprinted = (
            fingerprint(
                "advance", cohort, event, command.actor, reason, command.payload, effective_date
            )
            if key
            else ""
        )
        with self._unit(code) as uow:
            attempt, replayed = self._begin(uow, command, fingerprinted)
            if attempt is None:
                return _report(code, event, _many(replayed), list(uow.enrolments()))
            done, skipped = self._advanced(attempt, _moves(attempt.lifecycle, event), event)
            self._commit_bulk(attempt, done, fingerprinted)
        self._after(done)
        accepted = tuple(e for e in done if e.accepted)
        return AdvanceReport(
            code, event, accepted, tuple(e for e in done if not e.accepted), skipped
        )

    @staticmethod
    def _advanced(
        attempt: Attempt, by_source: Mapping[str, Move], event: str
    ) -> tuple[tuple[HistoryEntry, ...], int]:
        """Every entry of a bulk move (recorded as it goes) and how many were skipped."""
        uow = attempt.uow
        entries = []
        skipped = 0
        with _collector_paused():
            for enrolment in uow.enrolments():
                move = by_source.get(enrolment.state)
                if move is None:
                    skipped += 1
                    continue
                entry = attempt.move(enrolment, move, event)
                uow.record(entry)
                entries.append(entry)
        return tuple(entries), skipped

    # -- data commands ------------------------------------------------------------------

    def _change(
        self,
        cohort: str,
        nip: str,
        command_name: DataCommand,
        command: Command,
        arguments: tuple[Any, ...],
        build: _Build,
    ) -> HistoryEntry:
        """Run one data command: propose, judge by the command's rules, apply and audit."""
        name = command_name.value  # entries and messages carry the plain name
        code = inputs.cohort_code(cohort)
        fingerprinted = (
            fingerprint(name, code, nip, *arguments, command.actor, command.reason)
            if command.key
            else ""
        )
        with self._unit(code) as uow:
            attempt, replayed = self._begin(uow, command, fingerprinted)
            if attempt is None:
                return _result(replayed)
            member = _member(attempt.uow, nip)
            proposal = build(attempt, member)
            rules = attempt.lifecycle.command_rules[name]
            state = member.state
            violations, facts = attempt.judge(rules, name, state, state, proposal.after, member)
            violations = proposal.early + violations
            data = None if violations else proposal.data or facts  # nothing was recorded
            entry = attempt.entry(nip, name, state, state, violations, data, proposal.change)
            if not violations:
                if proposal.office is not None:
                    attempt.uow.office(
                        proposal.office, create=True, by=command.actor, at=attempt.now
                    )
                attempt.uow.update(member, proposal.after)
            self._commit(attempt, entry, fingerprinted)
        self._after((entry,))
        return _result(entry)

    def register_project(
        self,
        cohort: str,
        nip: str,
        project: ChangeProject,
        *,
        actor: str | Actor | None = None,
        reason: str | None = None,
        key: str | None = None,
    ) -> HistoryEntry:
        """Register or replace the change project (proyek perubahan) and its mentor.

        Audited as ``register_project`` with the project before and after; refused with
        ``record_closed`` for a participant in a final state. Anything but a
        :class:`ChangeProject` is :class:`InvalidInput`.
        """
        inputs.instance(ChangeProject, project, "project")
        return self._change(
            cohort,
            nip,
            DataCommand.REGISTER_PROJECT,
            _command(actor, reason, key=key),
            (project.model_dump(mode="json"),),
            lambda _attempt, member: changes.new_project(member, project),
        )

    def record_assessment(
        self,
        cohort: str,
        nip: str,
        assessment: Assessment | float,
        *,
        actor: str | Actor | None = None,
        reason: str | None = None,
        key: str | None = None,
    ) -> Grade | None:
        """Record a score; returns the grade once every weighted component is scored.

        Audited as ``record_assessment`` with the scores before and after (and the grade
        once complete); refused with ``record_closed`` for a participant in a final state
        (correct a recorded score with :meth:`correct_assessment`). A bare score is
        validated as an :class:`Assessment` score (a number from 0 to 100, not a string or
        a bool): pydantic's ``ValidationError`` names ``score``.
        """
        scored = _assessment(assessment)
        entry = self._change(
            cohort,
            nip,
            DataCommand.RECORD_ASSESSMENT,
            _command(actor, reason, key=key),
            (scored.component, scored.score),
            lambda attempt, member: changes.new_score(member, scored, _grading(attempt)),
        )
        return _grade_of(entry)

    def correct_assessment(
        self,
        cohort: str,
        nip: str,
        assessment: Assessment | float,
        *,
        actor: str | Actor | None = None,
        reason: str | None = None,
        key: str | None = None,
    ) -> HistoryEntry:
        """Correct a recorded score, in any state; a reason is required.

        The grade follows (recorded in the entry's ``data``). A correction that would turn
        a graduate's pass into a fail, or a fail into a pass, is refused with
        ``outcome_would_change`` until the outcome is reopened. A component with no score
        recorded is :class:`InvalidInput` (record it with :meth:`record_assessment`).
        """
        scored = _assessment(assessment)

        def build(attempt: Attempt, member: Enrolment) -> changes.Proposal:
            if scored.component not in (member.scores or {}):
                raise InvalidInput("component", f"{nip} has no {scored.component!r} score")
            return changes.new_score(member, scored, _grading(attempt))

        return self._change(
            cohort,
            nip,
            DataCommand.CORRECT_ASSESSMENT,
            _command(actor, reason, key=key),
            (scored.component, scored.score),
            build,
        )

    def correct_participant(
        self,
        cohort: str,
        nip: str,
        *,
        name: str | None = None,
        birth_date: date | None = None,
        echelon: str | None = None,
        actor: str | Actor | None = None,
        reason: str | None = None,
        key: str | None = None,
    ) -> HistoryEntry:
        """Correct a participant's name, birth date or echelon; a reason is required.

        The corrected person is validated like any participant (a birth date must agree
        with the NIP); nothing to correct is :class:`InvalidInput`.
        """
        given = {"name": name, "birth_date": birth_date, "echelon": echelon}
        updates = {field: value for field, value in given.items() if value is not None}
        if not updates:
            raise InvalidInput("correction", "give a name, a birth date or an echelon to correct")
        return self._change(
            cohort,
            nip,
            DataCommand.CORRECT_PARTICIPANT,
            _command(actor, reason, key=key),
            tuple(f"{field}={value}" for field, value in updates.items()),
            lambda _attempt, member: changes.corrected_person(member, updates),
        )

    def transfer_office(
        self,
        cohort: str,
        nip: str,
        office: Office,
        *,
        actor: str | Actor | None = None,
        reason: str | None = None,
        key: str | None = None,
    ) -> HistoryEntry:
        """Record that a participant now works in ``office``; a reason is required.

        The new office's quota is judged (``office_quota``) when the participant holds a
        seat; an office code already stored refers to the stored office. Transferring to
        the office the participant is in is :class:`InvalidInput`.
        """
        inputs.instance(Office, office, "office")

        def build(attempt: Attempt, member: Enrolment) -> changes.Proposal:
            if member.participant.office.code == office.code:
                raise InvalidInput("office", f"{nip} is already in office {office.code}")
            moved, early = self._resolve_office(attempt.uow, member.participant, office)
            if moved.office.code == member.participant.office.code:  # an alias of it
                raise InvalidInput("office", f"{nip} is already in office {moved.office.code}")
            return changes.transferred(member, moved, early)

        return self._change(
            cohort,
            nip,
            DataCommand.TRANSFER_OFFICE,
            _command(actor, reason, key=key),
            (office.code, office.name),
            build,
        )

    def form_groups(
        self,
        cohort: str,
        count: int,
        *,
        actor: str | Actor | None = None,
        reason: str | None = None,
        key: str | None = None,
    ) -> tuple[Group, ...]:
        """Split the seated participants into ``count`` thematic groups (kelompok).

        Participants whose projects share a theme stay together while groups stay within
        one member of each other in size; a theme larger than a group is split. Each
        participant's placement is an audit entry (``form_groups``). All or nothing: when
        the rules refuse anyone (``record_closed`` once someone has graduated), nobody is
        regrouped, the refused attempts are audited and :class:`TransitionRejected`
        carries every violation.
        """
        if isinstance(count, bool) or not isinstance(count, int):
            raise InvalidInput("count", f"must be a whole number, got {type(count).__name__}")
        if count < 1:
            raise InvalidInput("count", "must be at least 1")
        command = _command(actor, reason, key=key)
        code = inputs.cohort_code(cohort)
        fingerprinted = (
            fingerprint(DataCommand.FORM_GROUPS.value, code, count, command.actor, reason)
            if key
            else ""
        )
        with self._unit(code) as uow:
            attempt, replayed = self._begin(uow, command, fingerprinted)
            if attempt is None:
                return _groups_of(_many(replayed))
            entries = self._grouped(attempt, count)
            self._commit_bulk(attempt, entries, fingerprinted)
        self._after(entries)
        return _groups_of(entries)

    @staticmethod
    def _grouped(attempt: Attempt, count: int) -> tuple[HistoryEntry, ...]:
        """Judge every placement; apply all, or record only the refused ones."""
        uow, name = attempt.uow, DataCommand.FORM_GROUPS.value
        rules = attempt.lifecycle.command_rules[name]
        from changeflow.grouping import split_by_theme  # noqa: PLC0415 - form_groups only

        seated = [e for e in uow.enrolments() if e.seated]
        judged = []
        for group in split_by_theme(seated, count):
            for nip in group.members:
                member = _member(uow, nip)
                proposal = changes.placed_in_group(member, group.number, group.themes)
                state = member.state
                violations = attempt.judge(rules, name, state, state, proposal.after, member)[0]
                judged.append((member, proposal, violations))
        refused = any(violations for *_, violations in judged)
        entries = []
        for member, proposal, violations in judged:
            if refused and not violations:
                continue  # all or nothing: only the refused attempts are audited
            state = member.state
            data = None if violations else proposal.data
            entry = attempt.entry(member.nip, name, state, state, violations, data, proposal.change)
            uow.record(entry)
            entries.append(entry)
            if not refused:
                uow.update(member, proposal.after)
        return tuple(entries)

    # -- migration ------------------------------------------------------------------------

    def migrate(
        self,
        cohort: str,
        lifecycle: LifecycleDefinition | Lifecycle,
        state_map: Mapping[str, str] | None = None,
        *,
        actor: str | Actor | None = None,
        reason: str | None = None,
        key: str | None = None,
        dry_run: bool = False,
    ) -> MigrationPlan:
        """Pin a cohort to another lifecycle definition, mapping each participant's state.

        A state the new definition also has maps to itself unless ``state_map`` says
        otherwise. The plan lists every participant's state before and after; it is
        refused (:class:`MigrationRejected`, nothing written) when a state has no mapping
        or maps to a state the new definition lacks. Applied in one transaction: an entry
        for the cohort (``migrate``, the definitions before and after) and one per
        participant (``migrate``, the states before and after). ``dry_run`` returns the
        plan and writes nothing. A cohort pinned to no lifecycle (one written before
        changeflow stored them, with states of its own) is pinned by migrating it.

        Who may migrate is what the cohort's *current* lifecycle says (``not_permitted``
        otherwise, only the refused attempt recorded). Migrating a cohort whose lifecycle
        names no roles to one that does makes the migrating actor its first organiser, as
        creating a cohort does (recorded in the cohort's ``migrate`` entry).
        """
        target = self._compile(lifecycle)
        mapping = _state_map(state_map)
        if not isinstance(dry_run, bool):
            raise InvalidInput("dry_run", f"must be True or False, got {dry_run!r:.40}")
        command = _command(actor, reason, key=key)
        code = inputs.cohort_code(cohort)
        fingerprinted = (
            fingerprint(MIGRATE, code, target.sha256, mapping, command.actor, reason) if key else ""
        )
        with self._unit(code) as uow:
            replayed = recall(uow, key, fingerprinted)
            if replayed is not None:
                return _plan_of(code, _many(replayed), target.definition.ref)
            plan = _plan(uow, target, mapping, applied=not dry_run)
            if dry_run:
                return plan
            attempt = Attempt(uow, target, command, self.clock.now())
            violations = self._may(attempt, MIGRATE)
            entries: tuple[HistoryEntry, ...]
            if violations:
                entries = (attempt.entry(COHORT_NIP, MIGRATE, None, None, violations),)
                self._commit(attempt, entries[0], fingerprinted)
            else:
                entries = self._migrated(attempt, plan, mapping)
                self._commit_bulk(attempt, entries, fingerprinted)
        self._after(entries)
        if violations:
            _refused(entries)
        self._compiled.setdefault(target.sha256, target)
        return plan

    def _may(self, attempt: Attempt, name: str) -> tuple[Violation, ...]:
        """``not_permitted`` unless the actor may run ``name`` under the cohort's lifecycle.

        For ``migrate`` and ``erase``; sets the role acted in. Read from the stored
        definition without compiling it: a cohort is migrated away from, or erased from, a
        lifecycle whose rules this engine may lack.
        """
        uow, command = attempt.uow, attempt.command
        definition = uow.lifecycle
        by = None if definition is None else definition.permissions.get(name)
        if by is None:
            return ()
        roles = self._roles(uow, command)
        permission = Permission(by)
        attempt.role = permission.role_of(command.actor, roles, ())
        if attempt.role is not None:
            return ()
        refused = permission.refusal(command.actor, roles, name, ()).violations
        return tuple(cite(uow.cohort.parameters, PERMISSION, v) for v in refused)

    @staticmethod
    def _migrated(
        attempt: Attempt, plan: MigrationPlan, mapping: Mapping[str, str]
    ) -> tuple[HistoryEntry, ...]:
        uow, target = attempt.uow, attempt.lifecycle
        before = None if plan.source is None else plan.source.to_dict()
        change = {"lifecycle": changes.change_of(before, lifecycle_facts(target.definition))}
        founder = _founder(uow, target, attempt.command)
        if founder is not None:
            change["staff"] = changes.change_of({}, {founder.id: founder.facts()})
            uow.set_staff(founder)
        # Where a closed record would reopen to, under the new lifecycle's names: the state
        # left is found in entries that name the old ones.
        left = {
            nip: uow.entered_from(nip) for nip, _, _ in plan.moves if not _member(uow, nip).active
        }
        entries = [attempt.entry(COHORT_NIP, MIGRATE, None, None, change=change)]
        uow.record(entries[0])
        uow.pin(target.definition)
        for nip, source, dest in plan.moves:
            member = _member(uow, nip)
            was = left.get(nip)
            data = None if was is None else {"left": mapping.get(was, was)}
            entry = attempt.entry(nip, MIGRATE, source, dest, data=data)
            uow.record(entry)
            entries.append(entry)
            uow.update(member, member.migrated(dest, target))
        return tuple(entries)

    # -- the calendar -------------------------------------------------------------------

    def schedule(self, cohort: str) -> Schedule:
        """The cohort's schedule: the one stored, else the default derived from its dates.

        A cohort created by this changeflow stores its derived schedule with its first
        entry; older cohorts get the default (the holidays known today) until
        :meth:`set_schedule` stores one.
        """
        from changeflow.schedule import schedule_of  # noqa: PLC0415 - calendar only

        code = inputs.cohort_code(cohort)
        return schedule_of(self.store.schedule(code), self.store.cohort(code))

    def set_schedule(
        self,
        cohort: str,
        schedule: Schedule,
        *,
        reason: str | None = None,
        actor: str | Actor | None = None,
        key: str | None = None,
    ) -> Schedule:
        """Store an adjusted schedule (stage windows, visit, closures) for the cohort.

        Audited as a cohort entry ``set_schedule`` with the schedule before and after.
        Refused (:class:`TransitionRejected`, every violation, only the refused attempt
        recorded) without a reason (``reason_required``) or when a window runs outside the
        cohort, windows overlap, the laboratory is shorter than the pack's minimum or the
        visit leaves on_class (see :mod:`changeflow.rules.schedule`).
        """
        from changeflow.rules.schedule import schedule_violations  # noqa: PLC0415 - calendar only
        from changeflow.schedule import Schedule  # noqa: PLC0415

        inputs.instance(Schedule, schedule, "schedule")
        command = _command(actor, reason, key=key)
        code = inputs.cohort_code(cohort)
        document = schedule.to_document()
        fingerprinted = (
            fingerprint(SET_SCHEDULE, code, document, command.actor, reason) if key else ""
        )
        with self._unit(code) as uow:
            attempt, replayed = self._begin(uow, command, fingerprinted)
            if attempt is None:
                _result(replayed)
                return schedule
            found = uow.cohort
            violations = schedule_violations(
                schedule, found.start, found.end, found.parameters.calendar
            )
            if not (reason and reason.strip()):
                violations.insert(0, reason_missing(SET_SCHEDULE))
            violations[:0] = attempt.permit(SET_SCHEDULE)
            change = {"schedule": changes.change_of(uow.schedule(), document)}
            entry = attempt.entry(
                COHORT_NIP, SET_SCHEDULE, None, None, tuple(violations), None, change
            )
            if not violations:
                uow.set_schedule(document)
            self._commit(attempt, entry, fingerprinted)
        self._after((entry,))
        _refused((entry,))
        return schedule

    def record_attendance(
        self,
        cohort: str,
        nip: str,
        day: date,
        status: Attendance | str,
        *,
        actor: str | Actor | None = None,
        reason: str | None = None,
        key: str | None = None,
    ) -> HistoryEntry:
        """Record a participant's attendance (kehadiran) on one on-class working day.

        Audited as ``record_attendance`` with the day's status before and after (recording
        a day again replaces it); refused with ``record_closed`` in a final state.
        :class:`InvalidInput` names ``day`` when it is not a working day of on_class (the
        benchmarking visit included) and ``status`` when it is not an :class:`Attendance`.
        """
        if day is None:  # check_date lets None through: it checks optional dates
            raise InvalidInput("day", "a date is required")
        inputs.check_date("day", day)
        try:
            marked = Attendance(status)
        except ValueError:
            known = ", ".join(a.value for a in Attendance)
            raise InvalidInput("status", f"must be one of {known}, got {status!r:.40}") from None
        command = _command(actor, reason, key=key)
        code = inputs.cohort_code(cohort)
        when = day.isoformat()
        fingerprinted = (
            fingerprint(RECORD_ATTENDANCE, code, nip, when, marked.value, command.actor, reason)
            if key
            else ""
        )
        with self._unit(code) as uow:
            attempt, replayed = self._begin(uow, command, fingerprinted)
            if attempt is None:
                return _result(replayed)
            from changeflow.schedule import schedule_of  # noqa: PLC0415 - calendar only

            # Judged under the cohort's lock: a schedule changed meanwhile is the one seen.
            problem = schedule_of(uow.schedule(), uow.cohort).class_day_problem(day)
            if problem is not None:
                raise InvalidInput("day", problem)
            member = _member(uow, nip)
            state = member.state
            before = uow.attendance(code, nip).get(when)
            change = {"attendance": changes.change_of({when: before}, {when: marked.value})}
            permitted = attempt.permit(RECORD_ATTENDANCE)
            violations, _ = attempt.judge(
                _ATTENDANCE_RULES, RECORD_ATTENDANCE, state, state, member, member
            )
            violations = permitted + violations
            entry = attempt.entry(nip, RECORD_ATTENDANCE, state, state, violations, None, change)
            if not violations:
                uow.set_attendance(nip, when, marked.value)
            self._commit(attempt, entry, fingerprinted)
        self._after((entry,))
        return _result(entry)

    def attendance(self, cohort: str) -> dict[str, dict[str, str]]:
        """Every participant's recorded attendance: NIP -> ISO day -> status."""
        return self.store.attendance(inputs.cohort_code(cohort))

    def agenda(self, cohort: str, as_of: date) -> Agenda:
        """What is due next and what is overdue for each active participant on ``as_of``.

        Deadlines come from the cohort's schedule (:mod:`changeflow.deadlines`); warnings
        name participants who can no longer complete the laboratory's minimum before the
        seminar, or whose recorded attendance is below the pack's minimum.
        """
        from changeflow.agenda import build_agenda  # noqa: PLC0415 - calendar only
        from changeflow.schedule import schedule_of  # noqa: PLC0415

        inputs.check_date("as_of", as_of)
        code = inputs.cohort_code(cohort)
        found = self.store.cohort(code)
        plan = schedule_of(self.store.schedule(code), found)
        return build_agenda(
            code,
            as_of,
            plan,
            plan.working_days(),
            found.parameters.calendar,
            self.store.enrolments(code),
            self.store.attendance(code),
        )

    def tick(
        self, cohort: str, as_of: date, *, apply: bool = False, actor: str | Actor | None = None
    ) -> TickReport:
        """Apply the pack's timeouts of deadlines passed by ``as_of`` (dry run unless ``apply``).

        Each event is fired with the key ``tick:COHORT:NIP:DEADLINE``, so ticks from cron on
        several hosts apply each deadline once (hosts must tick with the same ``actor``: a
        key belongs to one command). A refused event is reported, not raised. On a lifecycle
        naming roles, tick as an organiser: an actor who may not fire the event is reported
        ``refused`` (``not_permitted``) and writes nothing, so a later tick still applies it.
        """
        from changeflow.agenda import TickReport  # noqa: PLC0415 - calendar only
        from changeflow.deadlines import plan_tick  # noqa: PLC0415
        from changeflow.schedule import schedule_of  # noqa: PLC0415

        inputs.check_date("as_of", as_of)
        if not isinstance(apply, bool):
            raise InvalidInput("apply", f"must be True or False, got {apply!r:.40}")
        code = inputs.cohort_code(cohort)
        found = self.store.cohort(code)
        plan = schedule_of(self.store.schedule(code), found)
        planned = plan_tick(
            code,
            plan,
            plan.working_days(),
            found.parameters.calendar,
            self.store.enrolments(code),
            as_of,
        )
        return TickReport(
            code, as_of, apply, tuple(self._timeout(p, apply, actor) for p in planned)
        )

    def _timeout(
        self, planned: PlannedTimeout, apply: bool, actor: str | Actor | None
    ) -> TickAction:
        from changeflow.agenda import TickAction, TickOutcome  # noqa: PLC0415 - calendar only

        if planned.event is None:
            return TickAction.of(planned, TickOutcome.FLAGGED)
        if not apply:
            return TickAction.of(planned, TickOutcome.PENDING)
        command = _command(actor or TICK_ACTOR, planned.timeout.reason, key=planned.key)
        # An actor who may not fire the event consumes no key: the next tick, by someone
        # who may, applies the deadline (a refused keyed command would replay its refusal).
        denied = self._not_permitted(planned, command)
        if denied:
            return TickAction.of(planned, TickOutcome.REFUSED, denied)
        try:
            _, fresh = self._fire(planned.cohort, planned.nip, planned.event, command)
        except TransitionRejected as refused:
            return TickAction.of(planned, TickOutcome.REFUSED, refused.codes)
        return TickAction.of(planned, TickOutcome.APPLIED if fresh else TickOutcome.ALREADY_APPLIED)

    def _not_permitted(self, planned: PlannedTimeout, command: Command) -> tuple[str, ...]:
        """``("not_permitted",)`` when ``command``'s actor may not fire the timeout's event."""
        with self._unit(planned.cohort) as uow:
            attempt = self._attempt(uow, command)
            member = _member(uow, planned.nip)
            move = attempt.lifecycle.move(str(planned.event), member.state)
            if move is None or not move.rules or move.rules[0][0] != PERMISSION:
                return ()
            violations, _, _ = attempt.judge_move(member, move, move.event)
        return ("not_permitted",) if any(v.code == "not_permitted" for v in violations) else ()

    # -- reading --------------------------------------------------------------------------

    def participant(self, cohort: str, nip: str) -> Enrolment:
        """A snapshot of one participant's enrolment."""
        code = inputs.cohort_code(cohort)
        if not inputs.nip_shaped(nip):
            self.store.cohort(code)  # an unknown cohort is reported first, as the store does
            raise ParticipantNotFound(nip, hint=f"not enrolled in {code}")
        return self.store.enrolment(code, nip)

    def participants(
        self,
        cohort: str,
        *,
        as_of: datetime | None = None,
        states: Iterable[str] | None = None,
    ) -> list[Enrolment]:
        """Snapshots of every enrolment of the cohort, in enrolment order.

        With ``as_of``, the enrolments as they were then, replayed from the audit chain.
        With ``states`` (state names of the cohort's lifecycle), only those in one of them;
        a name the lifecycle lacks is :class:`InvalidInput`.
        """
        code = inputs.cohort_code(cohort)
        wanted = None if states is None else self._states_of(code, states)
        if as_of is None:
            return self.store.enrolments(code, wanted)
        members = self.record_as_of(code, as_of).members.values()
        return [e for e in members if wanted is None or e.state in wanted]

    def _states_of(self, code: str, states: Iterable[str]) -> frozenset[str]:
        """``states`` checked against the cohort's lifecycle (any name if pinned to none)."""
        if isinstance(states, str) or not isinstance(states, Iterable):
            raise InvalidInput("states", f"must be state names (an iterable), got {states!r:.80}")
        names = tuple(states)
        for name in names:
            inputs.instance(str, name, "states")
        definition = self.store.lifecycle(code)
        if definition is not None:
            unknown = sorted(set(names) - set(definition.state_names))
            if unknown:
                raise InvalidInput(
                    "states",
                    f"{', '.join(map(repr, unknown))} is not a state of {code}'s lifecycle "
                    f"{definition.name}; its states: {', '.join(definition.state_names)}",
                )
        return frozenset(names)

    def state(self, cohort: str, nip: str) -> str:
        """The participant's current state."""
        return self.participant(cohort, nip).state

    def history(
        self,
        nip: str | None = None,
        *,
        cohort: str | None = None,
        event: str | None = None,
        actor: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[HistoryEntry]:
        """Audited commands and refused attempts, oldest first.

        Filtered, when given, by participant, cohort, ``event`` name and ``actor`` id, and
        by time: ``since`` <= the entry's ``at`` < ``until`` (timezone-aware datetimes).
        Every filter is applied by the store (in SQL on a SQL store).
        """
        for name, value in (("event", event), ("actor", actor)):
            inputs.check_text(name, value, inputs.ACTOR_MAX)
        for name, moment in (("since", since), ("until", until)):
            _check_bound(name, moment)
        if nip is not None and (
            not inputs.nip_shaped(nip) or (cohort is not None and not inputs.code_shaped(cohort))
        ):
            return []  # no entry can match (and the store is spared the characters)
        code = None if cohort is None else inputs.cohort_code(cohort)
        return self.store.history(
            nip=nip, cohort=code, event=event, actor=actor, since=since, until=until
        )

    def record_as_of(self, cohort: str, when: datetime) -> CohortProjection:
        """The cohort's facts at ``when`` (states, projects, scores, groups), from its chain.

        Participants enrolled after ``when`` are absent; refused attempts change nothing.
        """
        if not isinstance(when, datetime) or when.tzinfo is None:
            raise InvalidInput("when", f"must be a timezone-aware datetime, got {when!r:.80}")
        code = inputs.cohort_code(cohort)
        return replay(self.store.opened(code), code, until=when)

    def states_as_of(self, cohort: str, when: datetime) -> dict[str, str]:
        """Each participant's state at ``when``, replayed from the audit trail."""
        return {nip: e.state for nip, e in self.record_as_of(cohort, when).members.items()}

    def verify(
        self, cohort: str | None = None, *, expected: Iterable[Checkpoint] = ()
    ) -> list[AuditCheck]:
        """Check each cohort's audit chain, then every stored fact against its replay.

        ``expected`` are checkpoints exported earlier and kept outside the database; a
        trail that no longer reaches or matches one of them fails, and so does a cohort
        they name that the database no longer holds. The trail is streamed
        and the walk stops at its first bad row; a stored fact (state, project, score,
        group, office, seat counter, the pinned lifecycle) that differs from the chain's
        replay is reported as a difference naming its table, participant and field.
        """
        pinned = {c.cohort: c for c in expected}
        store = self.store
        held = {c.code for c in store.cohorts()}
        codes = sorted(held | set(pinned)) if cohort is None else [inputs.cohort_code(cohort)]
        return [
            verify_chain(
                code,
                store.trail(code),
                store.head(code),
                expected=pinned.get(code),
                stored=store.projection(code),
                opened=store.opened(code, check=True),
                former=store.former_hash(code, pinned[code].seq) if code in pinned else None,
            )
            if code in held or code not in pinned
            else missing_cohort(pinned[code])
            for code in codes
        ]

    def erase(
        self, nip: str, *, reason: str, actor: str | Actor | None = None
    ) -> tuple[HistoryEntry, ...]:
        """Erase a person's personal data (UU 27/2022) once none of their enrolments is active.

        Each cohort whose trail speaks of the person gets an ``erase`` entry (its only trace
        of them is their subject id); their enrolment, project, scores and attendance are
        deleted, then their NIP, key and every personal value (:mod:`changeflow.personal`).
        Every chain still verifies; their entries read as erased. An active participant is
        refused with ``still_active`` (:class:`TransitionRejected`, nothing written); an
        unknown NIP is :class:`ParticipantNotFound`. On a lifecycle naming roles only an
        organiser of every such cohort may erase (``not_permitted``: nothing is erased, the
        refused attempt is recorded in the first cohort that refuses). Returns the erasure
        entries.
        """
        reason = erasure_reason(reason)
        command = _command(actor, reason)
        for code in self._open.by_code:  # an erasure commits cohort by cohort
            self._unbatched(code, "erase")
        cohorts = self.store.cohorts_of(nip) if inputs.nip_shaped(nip) else []
        if not cohorts:
            raise ParticipantNotFound(nip, hint="no cohort holds an entry of this person")
        for code in cohorts:  # all judged before anything is erased
            self._may_erase(code, nip, command)
        entries = tuple(self._erase_in(code, nip, command) for code in cohorts)
        self.store.forget(nip)
        self._after(entries)
        return entries

    def _may_erase(self, code: str, nip: str, command: Command) -> None:
        """Raise ``still_active`` or, recording the refused attempt, ``not_permitted``."""
        with self._unit(code) as uow:
            member = still_active(uow, nip)
            attempt = Attempt(uow, self.lifecycle, command, self.clock.now())
            violations = self._may(attempt, ERASE)
            if not violations:
                return
            state = None if member is None else member.state
            refused = attempt.entry(nip, ERASE, state, state, violations)
            uow.record(refused)
            uow.commit()
        self._after((refused,))
        _refused((refused,))

    def _erase_in(self, code: str, nip: str, command: Command) -> HistoryEntry:
        with self._unit(code) as uow:
            member = still_active(uow, nip)
            state = None if member is None else member.state
            attempt = Attempt(uow, self.lifecycle, command, self.clock.now())
            # Judged again under this cohort's lock: the staff may have changed meanwhile.
            violations = self._may(attempt, ERASE)
            entry = attempt.entry(nip, ERASE, state, state, violations)
            uow.record(entry)
            if not violations:
                uow.erase(nip)
            uow.commit()
        if violations:
            self._after((entry,))
            _refused((entry,))
        return entry

    def checkpoints(self) -> list[Checkpoint]:
        """Every cohort's chain head, to keep outside the database."""
        return [self.store.head(c.code) for c in self.store.cohorts()]

    def export(self, cohort: str) -> dict[str, Any]:
        """The cohort, its lifecycle, its participants and its whole history as one dict.

        The same data gives the same document on every store and in every process: the
        keys of every mapping are sorted (a store keeps a document's keys in its own order,
        scores in its own row order), participants come in enrolment order and entries in
        trail order. The head's hash differs between stores holding the same commands: it
        covers each person's salted commitments.
        """
        code = inputs.cohort_code(cohort)
        pinned = self.pinned(code)
        return _sorted_keys(
            {
                "schema_version": EXPORT_SCHEMA_VERSION,
                "cohort": self.store.cohort(code).model_dump(mode="json"),
                "lifecycle": None if pinned is None else pinned.to_dict(),
                "participants": [e.to_dict() for e in self.store.enrolments(code)],
                # An erased person is left out, their erasure entries too.
                "history": [
                    e.to_dict() for e in self.store.history(cohort=code) if not is_erased(e.nip)
                ],
                "head": self.store.head(code).to_dict(),
            }
        )

    def status(self, cohort: str, *, as_of: datetime | None = None) -> CohortStatus:
        """Headcounts per state (every state of the cohort's lifecycle), office and group."""
        code = inputs.cohort_code(cohort)
        members = self.participants(code, as_of=as_of)
        definition = self.store.lifecycle(code)
        by_state = dict.fromkeys(definition.state_names if definition is not None else (), 0)
        by_state.update(Counter(e.state for e in members))
        return CohortStatus(
            code,
            MappingProxyType(by_state),
            MappingProxyType(dict(Counter(e.participant.office.code for e in members))),
            MappingProxyType(dict(Counter(e.group for e in members))),
            len(members),
        )


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for one bulk loop.

    A bulk step allocates a few objects per participant, none of them cyclic garbage; with
    a large registry in memory every full collection walks it all, which profiling showed
    to be over half the cost of advancing 100,000 participants. The previous setting is
    restored even when the loop raises.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _check_bound(name: str, moment: object) -> None:
    """A history time bound is a timezone-aware datetime that has a UTC time (or ``None``)."""
    if moment is None:
        return
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        raise InvalidInput(name, f"must be a timezone-aware datetime, got {moment!r:.80}")
    try:
        moment.astimezone(UTC)  # as the stores compare it
    except OverflowError:
        raise InvalidInput(name, f"{moment.isoformat()} has no UTC time") from None


def _sorted_keys(document: Mapping[str, Any]) -> dict[str, Any]:
    """``document`` with the keys of every mapping in it sorted (lists keep their order)."""
    return {key: _sorted_values(document[key]) for key in sorted(document)}


def _sorted_values(value: Any) -> Any:
    if isinstance(value, Mapping):
        return _sorted_keys(value)
    if isinstance(value, list | tuple):
        return [_sorted_values(item) for item in value]
    return value


def _registrar(actor: str | Actor | None, what: str = "the office registry") -> str:
    """Who changes something store-wide (the office registry, a password): always named.

    It is no cohort's, so no cohort role applies; the name is recorded.
    """
    who = _command(actor).actor
    if not who:
        raise InvalidInput("actor", f"name who changes {what} (actor=...)")
    return who


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash of a password nobody has, made once, at today's cost, for unknown logins."""
    return hash_password("no login has this password")


@lru_cache(maxsize=1024)
def _actor(actor: str, roles: frozenset[str] | None) -> Actor:
    """The :class:`Actor` an authorizer is given, built once per id and vouched roles."""
    return Actor(actor, roles)


def _founder(uow: Unit, target: Lifecycle, command: Command) -> StaffMember | None:
    """The first organiser a migration to a lifecycle naming roles makes of its actor.

    A cohort that ran a lifecycle naming no roles has no staff; without this, nobody could
    add one under the new lifecycle (adding staff is the organiser's). Only when the cohort
    has no organiser yet and the migrating actor is not staff already.
    """
    current = uow.lifecycle
    if not target.governed or command.actor is None or (current and current.governed):
        return None
    if uow.staff_member(command.actor) is not None:
        return None
    return StaffMember(id=command.actor, name=command.actor, roles=frozenset({ORGANISER}))


def _named(uow: Unit, office: Office) -> Office | None:
    """The registered office ``office``'s name (else its code) names, folded."""
    for key in dict.fromkeys((fold(office.name), fold(office.code))):
        if key and (found := uow.office_named(key)) is not None:
            return found
    return None


def _aliases(aliases: Iterable[str]) -> tuple[str, ...]:
    """Aliases given to an engine call: an iterable of names, not one string."""
    if isinstance(aliases, str):
        raise InvalidInput("aliases", f"expected a list of names, got the string {aliases!r:.80}")
    return tuple(aliases)


def _command(
    actor: str | Actor | None,
    reason: str | None = None,
    payload: Mapping[str, Any] | None = None,
    effective_date: date | None = None,
    key: str | None = None,
) -> Command:
    """The :class:`Command` of an engine call; an :class:`Actor` gives its id and roles."""
    if actor is None or type(actor) is str:
        return Command(actor, reason, payload, effective_date, key)
    who = actor_of(actor)
    return Command(
        None if who is None else who.id,
        reason,
        payload,
        effective_date,
        key,
        None if who is None else who.roles,
    )


def _event_name(event: object) -> None:
    if not isinstance(event, str):
        raise InvalidInput("event", f"must be an event name, got {type(event).__name__}")


def _moves(lifecycle: Lifecycle, event: str) -> dict[str, Move]:
    by_source = lifecycle.table.get(event)
    if by_source is None:
        known = ", ".join(lifecycle.events)
        raise UnknownEvent(event, hint=f"known events of {lifecycle.name}: {known}")
    return by_source


def _member(uow: Unit, nip: str) -> Enrolment:
    # A NIP no participant can have is not looked up: the store might fail on its characters.
    enrolment = uow.enrolment(nip) if inputs.nip_shaped(nip) else None
    if enrolment is None:
        raise ParticipantNotFound(nip, hint=f"not enrolled in {uow.cohort.code}")
    return enrolment


def _assessment(assessment: Assessment | float) -> Assessment:
    if isinstance(assessment, Assessment):
        return assessment
    return Assessment.model_validate({"score": assessment})


def _grading(attempt: Attempt) -> Any:
    return attempt.uow.cohort.parameters.grading


def _grade_of(entry: HistoryEntry) -> Grade | None:
    data = entry.data
    if not data or "grade" not in data:
        return None
    return Grade(score=data["score"], band=data["grade"], passed=data["passed"])


def _many(replayed: HistoryEntry | tuple[HistoryEntry, ...]) -> tuple[HistoryEntry, ...]:
    # A HistoryEntry is a tuple too: a bulk result is a tuple of entries.
    if isinstance(replayed, HistoryEntry):
        return (replayed,)
    return replayed


def _result(replayed: HistoryEntry | tuple[HistoryEntry, ...]) -> HistoryEntry:
    """The accepted entry of a one-entry command; raise for a refused one."""
    if type(replayed) is HistoryEntry and replayed.outcome == "accepted":
        return replayed  # the common case, first
    entry = _many(replayed)[0]  # a key a bulk command used, sent again to fire: its first
    if entry.accepted:
        return entry
    _refused((entry,))
    return entry


def _refused(entries: tuple[HistoryEntry, ...]) -> None:
    """Raise for refused entries, with every violation (the first one's participant)."""
    refused = [e for e in entries if not e.accepted]
    if not refused:
        return
    first = refused[0]
    cls = IllegalTransition if first.violations[0].code == "illegal_transition" else None
    raise (cls or TransitionRejected)(
        cohort=first.cohort,
        nip=first.nip,
        event=first.event,
        state=first.source,
        violations=[v for e in refused for v in e.violations],
    )


def _groups_of(entries: tuple[HistoryEntry, ...]) -> tuple[Group, ...]:
    _refused(entries)
    members: dict[int, list[str]] = {}
    themes: dict[int, tuple[str, ...]] = {}
    for entry in entries:
        data = entry.data or {}
        members.setdefault(data["group"], []).append(entry.nip)
        themes[data["group"]] = tuple(data["themes"])
    return tuple(
        Group(number=n, themes=themes[n], members=tuple(members[n])) for n in sorted(members)
    )


def _plan(uow: Unit, target: Lifecycle, mapping: dict[str, str], *, applied: bool) -> MigrationPlan:
    """Every participant's state before and after; :class:`MigrationRejected` if impossible."""
    code, current = uow.cohort.code, uow.lifecycle
    if current is not None and current.sha256 == target.sha256:
        raise InvalidInput("lifecycle", f"cohort {code} already runs this definition")
    members = list(uow.enrolments())
    moves = [(m.nip, m.state, mapping.get(m.state, m.state)) for m in members]
    unmapped: dict[str, list[str]] = {}
    unknown: dict[str, str] = {}
    for nip, state, dest in moves:
        if dest in target.states:
            continue
        if state in mapping:
            unknown[state] = dest
        else:
            unmapped.setdefault(state, []).append(nip)
    violations = [state_unmapped(s, nips) for s, nips in unmapped.items()]
    violations += [state_unknown(s, dest) for s, dest in unknown.items()]
    violations += _reactivated(uow, target, members, mapping)
    violations += _overfilled(uow.cohort, target, members, moves)
    if violations:
        raise MigrationRejected(code, violations)
    source = None if current is None else current.ref
    return MigrationPlan(code, source, target.definition.ref, tuple(moves), applied)


def _reactivated(
    uow: Unit, target: Lifecycle, members: list[Enrolment], mapping: dict[str, str]
) -> list[Violation]:
    """People a migration would make active here while they are active elsewhere."""
    found = []
    for member in members:
        dest = mapping.get(member.state, member.state)
        if member.active or dest not in target.states or dest in target.finals:
            continue
        elsewhere = uow.standing(member.nip).elsewhere(uow.cohort.code).active_in
        if elsewhere is not None:
            found.append(active_elsewhere(member.nip, elsewhere))
    return found


def _overfilled(
    cohort: Cohort,
    target: Lifecycle,
    members: list[Enrolment],
    moves: list[tuple[str, str, str]],
) -> list[Violation]:
    """Seats a migration would take back past the office quota or the cohort's capacity.

    A participant mapped out of a seat-freeing state takes a seat again, as a reopening
    does; counts that only stay where they were (or shrink) are not refused.
    """
    before = Counter(m.participant.office.code for m in members if m.seated)
    offices = {m.nip: m.participant.office.code for m in members}
    after = Counter(
        offices[nip]
        for nip, _, dest in moves
        if dest in target.states and dest not in target.seat_freeing
    )
    limit = cohort.parameters.max_per_office
    found = [
        office_overfilled(office, seated, limit)
        for office, seated in sorted(after.items())
        if seated > limit and seated > before[office]
    ]
    total, was = sum(after.values()), sum(before.values())
    if total > cohort.capacity and total > was:
        found.append(cohort_overfilled(cohort.code, total, cohort.capacity))
    return found


def _state_map(state_map: object) -> dict[str, str]:
    """A migration's state map, checked: a mapping of state names to state names."""
    if state_map is None:
        return {}
    if not isinstance(state_map, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in state_map.items()
    ):
        raise InvalidInput(
            "state_map", f"must map state names to state names, got {state_map!r:.80}"
        )
    return dict(state_map)


def _plan_of(code: str, entries: tuple[HistoryEntry, ...], target: LifecycleRef) -> MigrationPlan:
    """The plan a migration applied, rebuilt from its entries (a keyed retry)."""
    before = (entries[0].change or {})["lifecycle"]["before"]
    source = None if before is None else LifecycleRef(**before)
    moves = tuple((e.nip, str(e.source), str(e.target)) for e in entries[1:])
    return MigrationPlan(code, source, target, moves, applied=True)


def _report(
    cohort: str, event: str, replayed: tuple[HistoryEntry, ...], members: list[Enrolment]
) -> AdvanceReport:
    """Rebuild a bulk report from its remembered entries.

    ``skipped`` counts today's members that were not tried, which equals the original
    figure unless participants were enrolled since.
    """
    tried = {e.nip for e in replayed}
    skipped = sum(1 for e in members if e.nip not in tried)
    return AdvanceReport(
        cohort,
        event,
        tuple(e for e in replayed if e.accepted),
        tuple(e for e in replayed if not e.accepted),
        skipped,
    )
