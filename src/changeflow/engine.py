"""The engine: composes the lifecycle, the rules, a store, a clock and listeners.

Every command runs in one unit of work on its cohort: the rules are judged against counts
read under the cohort's lock, and the state change, the audit entry and the idempotency
record are written together or not at all. A refused move changes nothing but its audit
entry and raises :class:`~changeflow.errors.TransitionRejected` with every violation.
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
import math
import re
import sys
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeGuard

from changeflow.audit import AuditCheck, Checkpoint, verify_chain
from changeflow.clock import Clock, SystemClock
from changeflow.errors import (
    ChangeflowError,
    CohortNotFound,
    IdempotencyConflict,
    IllegalTransition,
    InvalidInput,
    ParticipantNotFound,
    RuleError,
    TransitionRejected,
    UnknownEvent,
)
from changeflow.models import (
    CODE_PATTERN,
    Assessment,
    ChangeProject,
    Cohort,
    Grade,
    Group,
    Participant,
)
from changeflow.nip import NIP_SHAPE
from changeflow.records import AdvanceReport, Enrolment, HistoryEntry
from changeflow.rules.context import RuleContext
from changeflow.rules.registry import RuleRegistry
from changeflow.rules.verdict import Verdict, Violation
from changeflow.states.default import DEFAULT_LIFECYCLE
from changeflow.states.machine import Lifecycle, Move, NamedRule
from changeflow.states.names import ENROL
from changeflow.store.memory import MemoryStore

if TYPE_CHECKING:
    from changeflow.rules.base import Rule
    from changeflow.states.definition import LifecycleDefinition
    from changeflow.store.base import Store, Unit

__all__ = ["EXPORT_SCHEMA_VERSION", "CohortStatus", "Engine", "Listener"]

EXPORT_SCHEMA_VERSION = 1
"""Version of the JSON shape :meth:`Engine.export` produces."""

Listener = Callable[[HistoryEntry], object]
"""Called with each accepted entry after its transaction commits."""

# Limits of what a command may carry, checked before any store sees it so that every backend
# refuses the same input the same way (the SQL store's columns hold 200 characters).
_ACTOR_MAX = 200
_KEY_MAX = 200
_COHORT_CODE = re.compile(CODE_PATTERN)

_stdlib_log = logging.getLogger("changeflow")
# A library adds only a NullHandler: nothing is printed unless the application asks.
_stdlib_log.addHandler(logging.NullHandler())


class _EventLog:
    """Emits structlog events without ever configuring structlog.

    When the application has configured structlog, events go through its pipeline; when it
    has not (structlog would then print to stdout), they go to the stdlib logger
    ``changeflow``, which stays silent unless the application enables it. structlog is
    imported on first need: an application that never imported it cannot have configured
    it, and ``import changeflow`` stays light for command-line use.
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


_log = _EventLog()


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
    """Runs cohorts through a lifecycle.

    >>> from datetime import date
    >>> from changeflow import Cohort, Engine, Office, Participant
    >>> engine = Engine()
    >>> _ = engine.create_cohort(Cohort(code="PKA-1", name="PKA angkatan I",
    ...                                 start=date(2019, 4, 4), end=date(2019, 7, 19)))
    >>> entry = engine.enrol("PKA-1", Participant(
    ...     nip="197003152000031004", name="Budi", echelon="III.a",
    ...     office=Office(code="DINKES", name="Dinas Kesehatan")))
    >>> entry.target, engine.fire("PKA-1", "197003152000031004", "start_class").target
    ('enrolled', 'on_class')
    """

    def __init__(
        self,
        store: Store | None = None,
        *,
        lifecycle: LifecycleDefinition | Lifecycle = DEFAULT_LIFECYCLE,
        rules: Mapping[str, Rule] | None = None,
        clock: Clock | None = None,
        known_offices: Collection[str] | None = None,
        listeners: Iterable[Listener] = (),
    ) -> None:
        """Build an engine; every argument has a working default.

        ``known_offices`` closes the office registry: enrolling someone from an office
        code not in it is refused with ``unknown_office``. By default offices are created
        on first accepted use; afterwards the stored office (its name included) is the one
        every enrolment with that code refers to.
        """
        self.rules: Mapping[str, Rule] = RuleRegistry.default() if rules is None else rules
        self.lifecycle = (
            lifecycle if isinstance(lifecycle, Lifecycle) else Lifecycle(lifecycle, self.rules)
        )
        self.store: Store = MemoryStore() if store is None else store
        self.clock: Clock = SystemClock() if clock is None else clock
        self.known_offices = None if known_offices is None else frozenset(known_offices)
        self._listeners: list[Listener] = list(listeners)

    def __repr__(self) -> str:
        return f"Engine({self.store!r}, lifecycle={self.lifecycle.name!r})"

    # -- cohorts ------------------------------------------------------------------------

    def create_cohort(self, cohort: Cohort) -> Cohort:
        """Create a cohort (angkatan); :class:`AlreadyExists` if its code is taken.

        Anything but a :class:`Cohort` is :class:`InvalidInput` (build one from JSON-like
        data with ``Cohort.model_validate(data, strict=False)``).
        """
        _instance(Cohort, cohort, "cohort")
        self.store.add_cohort(cohort)
        _log.emit(logging.INFO, "cohort_created", cohort=cohort.code)
        return cohort

    def cohort(self, code: str) -> Cohort:
        """The cohort with this code; :class:`CohortNotFound` if unknown."""
        return self.store.cohort(_code(code))

    def cohorts(self) -> list[Cohort]:
        """Every cohort, by code."""
        return self.store.cohorts()

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
                    _log.emit(
                        logging.ERROR,
                        "listener_failed",
                        listener=repr(listener),
                        cohort=entry.cohort,
                        nip=entry.nip,
                        seq=entry.seq,
                        error=f"{type(exc).__name__}: {exc}",
                    )

    def _logged(self, entries: Iterable[HistoryEntry]) -> None:
        if not _log.enabled():
            return
        for e in entries:
            _log.emit(
                logging.INFO if e.accepted else logging.WARNING,
                "transition",
                cohort=e.cohort,
                participant=e.nip,
                trigger=e.event,  # "event" is structlog's key for the log message itself
                outcome=e.outcome,
                **{"from": e.source, "to": e.target},
                actor=e.actor,
                violations=[v.code for v in e.violations] or None,
            )

    def _after(self, entries: tuple[HistoryEntry, ...]) -> None:
        self._logged(entries)
        if self._listeners:
            self._notify(e for e in entries if e.accepted)

    # -- enrolment ----------------------------------------------------------------------

    def enrol(
        self,
        cohort: str,
        participant: Participant | Mapping[str, Any],
        *,
        actor: str | None = None,
        reason: str | None = None,
        payload: Mapping[str, Any] | None = None,
        key: str | None = None,
    ) -> HistoryEntry:
        """Judge a nomination and, when every rule agrees, enrol the participant.

        A refused nomination creates no participant, is audited with its reasons and
        raises :class:`TransitionRejected` carrying every violation.
        """
        person = _participant(participant)
        _command(actor, reason, key)
        payload = _payload(payload)
        fingerprint = (
            _fingerprint(ENROL, cohort, person.model_dump(mode="json"), actor, reason, payload)
            if key
            else ""
        )
        with self.store.unit(_code(cohort)) as uow:
            replayed = _replay(uow, key, fingerprint)
            if replayed is not None:
                return _result(replayed)
            violations, person = self._judge_enrolment(uow, person, actor, reason, payload)
            entry = HistoryEntry(
                uow.next_seq(),
                self.clock.now(),
                cohort,
                person.nip,
                ENROL,
                None,
                self.lifecycle.initial,
                "refused" if violations else "accepted",
                actor,
                reason,
                payload,
                violations,
            )
            if not violations:
                uow.office(person.office, create=True)
                uow.add(Enrolment(cohort, person, self.lifecycle.initial))
            _write(uow, entry, key, fingerprint)
        self._after((entry,))
        return _result(entry)

    def check_enrolment(
        self, cohort: str, participant: Participant | Mapping[str, Any]
    ) -> tuple[Violation, ...]:
        """Every reason the nomination would be refused now (empty: it would be accepted)."""
        return self.check_enrolments(cohort, [participant])[0]

    def check_enrolments(
        self, cohort: str, participants: Iterable[Participant | Mapping[str, Any]]
    ) -> list[tuple[Violation, ...]]:
        """Dry run of enrolling several nominations in order; writes nothing.

        Each nomination is judged as if the ones before it that would be accepted were
        already enrolled (so a third from one office meets the office quota and a NIP
        repeated later is already active). Everything happens in one unit of work that is
        never committed.
        """
        if isinstance(participants, str | bytes | Mapping) or not isinstance(
            participants, Iterable
        ):
            raise InvalidInput(
                "participants", f"expected an iterable of nominations, got {participants!r:.80}"
            )
        people = [_participant(p) for p in participants]
        verdicts: list[tuple[Violation, ...]] = []
        with self.store.unit(_code(cohort)) as uow:
            for person in people:
                violations, seated = self._judge_enrolment(uow, person, None, None, None)
                if not violations:
                    uow.office(seated.office, create=True)
                    uow.add(Enrolment(cohort, seated, self.lifecycle.initial))
                verdicts.append(violations)
        return verdicts

    def _judge_enrolment(
        self,
        uow: Unit,
        person: Participant,
        actor: str | None,
        reason: str | None,
        payload: Mapping[str, Any] | None,
    ) -> tuple[tuple[Violation, ...], Participant]:
        # Offices are looked up here and created only when the enrolment is accepted, so a
        # refused nomination leaves nothing behind but its audit entry.
        office = uow.office(person.office, create=False)
        early: list[Violation] = []
        if office is None:
            if not self._office_allowed(person.office.code):
                early.append(_unknown_office(person.office.code))
        elif office is not person.office:
            # One office object per code keeps a large registry small in memory.
            person = person.model_copy(update={"office": office})
        existing = uow.enrolment(person.nip)
        if existing is not None:
            # Never replace an enrolment: one that ended stays ended, and an active one would
            # lose its progress and take a second seat (lifecycles need not check activity).
            early.append(_already_enrolled(uow.cohort.code, existing.state))
        context = RuleContext(
            uow.cohort,
            person,
            ENROL,
            None,
            self.lifecycle.initial,
            uow,
            self.clock.now(),
            actor=actor,
            reason=reason,
            payload=payload,
        )
        violations, _ = _evaluate(self.lifecycle.enrolment_rules, context)
        return tuple(early) + violations, person

    def _office_allowed(self, code: str) -> bool:
        return self.known_offices is None or code in self.known_offices

    # -- transitions --------------------------------------------------------------------

    def fire(
        self,
        cohort: str,
        nip: str,
        event: str,
        *,
        actor: str | None = None,
        reason: str | None = None,
        payload: Mapping[str, Any] | None = None,
        effective_date: date | None = None,
        key: str | None = None,
    ) -> HistoryEntry:
        """Fire ``event`` for one participant and return the accepted entry.

        Raises :class:`UnknownEvent` (nothing audited) for a name the lifecycle lacks,
        :class:`ParticipantNotFound` for a NIP not enrolled in the cohort, and
        :class:`IllegalTransition` / :class:`TransitionRejected` (audited as refused) when
        the move is not allowed. With ``key``, a retry returns the first result and writes
        nothing.
        """
        by_source = self._event(event)
        _command(actor, reason, key, effective_date)
        payload = _payload(payload)
        fingerprint = (
            _fingerprint(event, cohort, nip, actor, reason, payload, effective_date) if key else ""
        )
        with self.store.unit(_code(cohort)) as uow:
            replayed = _replay(uow, key, fingerprint)
            if replayed is not None:
                return _result(replayed)
            enrolment = _member(uow, nip)
            entry = self._attempt(
                uow,
                enrolment,
                by_source.get(enrolment.state),
                event,
                self.clock.now(),
                actor,
                reason,
                payload,
                effective_date,
            )
            _write(uow, entry, key, fingerprint)
        self._after((entry,))
        return _result(entry)

    def _attempt(
        self,
        uow: Unit,
        enrolment: Enrolment,
        move: Move | None,
        event: str,
        now: datetime,
        actor: str | None,
        reason: str | None,
        payload: Mapping[str, Any] | None,
        effective_date: date | None,
    ) -> HistoryEntry:
        """Judge one move and apply it when allowed; returns the entry (not yet recorded)."""
        source = enrolment.state
        violations: tuple[Violation, ...] = ()
        data = None
        if move is None:
            violations = (_illegal(event, source, self._leaving(source)),)
        elif move.rules:
            violations, data = _evaluate(
                move.rules,
                self._context(uow, enrolment, move, now, actor, reason, payload, effective_date),
            )
        entry = HistoryEntry(
            uow.next_seq(),
            now,
            enrolment.cohort,
            enrolment.nip,
            event,
            source,
            None if move is None else move.dest,
            "refused" if violations else "accepted",
            actor,
            reason,
            payload,
            violations,
            data,
            effective_date,
        )
        if not violations and move is not None:
            dest = move.dest
            lc = self.lifecycle
            uow.move(
                enrolment,
                dest,
                final=dest in lc.finals,
                frees_seat=dest in lc.seat_freeing,
                completes=dest in lc.completing,
            )
        return entry

    def _context(
        self,
        uow: Unit,
        enrolment: Enrolment,
        move: Move,
        now: datetime,
        actor: str | None,
        reason: str | None,
        payload: Mapping[str, Any] | None,
        effective_date: date | None,
    ) -> RuleContext:
        return RuleContext(
            uow.cohort,
            enrolment.participant,
            move.event,
            move.source,
            move.dest,
            uow,
            now,
            enrolment.project,
            enrolment.scores,
            actor,
            reason,
            payload,
            effective_date,
        )

    def check(
        self,
        cohort: str,
        nip: str,
        event: str,
        *,
        actor: str | None = None,
        reason: str | None = None,
        payload: Mapping[str, Any] | None = None,
        effective_date: date | None = None,
    ) -> tuple[Violation, ...]:
        """Dry run of :meth:`fire`: every reason it would be refused now; writes nothing."""
        by_source = self._event(event)
        _command(actor, reason, None, effective_date)
        payload = _payload(payload)  # checked as fire checks it, even for an illegal move
        with self.store.unit(_code(cohort)) as uow:
            enrolment = _member(uow, nip)
            move = by_source.get(enrolment.state)
            if move is None:
                return (_illegal(event, enrolment.state, self._leaving(enrolment.state)),)
            context = self._context(
                uow,
                enrolment,
                move,
                self.clock.now(),
                actor,
                reason,
                payload,
                effective_date,
            )
            return _evaluate(move.rules, context)[0]

    def available(self, cohort: str, nip: str, *, reason: str | None = None) -> tuple[str, ...]:
        """Events that would be accepted for the participant now.

        Events whose only objection is a missing ``reason`` (withdraw, drop) are judged
        with the ``reason`` given here, so pass one to see them.
        """
        _command(reason=reason)
        with self.store.unit(_code(cohort)) as uow:
            enrolment = _member(uow, nip)
            now = self.clock.now()
            return tuple(
                move.event
                for move in self.lifecycle.leaving[enrolment.state]
                if not _evaluate(
                    move.rules, self._context(uow, enrolment, move, now, None, reason, None, None)
                )[0]
            )

    def advance(
        self,
        cohort: str,
        event: str,
        *,
        actor: str | None = None,
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
        by_source = self._event(event)
        _command(actor, reason, key, effective_date)
        payload = _payload(payload)
        fingerprint = (
            _fingerprint("advance", cohort, event, actor, reason, payload, effective_date)
            if key
            else ""
        )
        with self.store.unit(_code(cohort)) as uow:
            replayed = _replay(uow, key, fingerprint)
            if replayed is not None:
                return _report(cohort, event, replayed, uow)
            now = self.clock.now()
            entries = []
            skipped = 0
            with _collector_paused():
                for enrolment in uow.enrolments():
                    move = by_source.get(enrolment.state)
                    if move is None:
                        skipped += 1
                        continue
                    entry = self._attempt(
                        uow, enrolment, move, event, now, actor, reason, payload, effective_date
                    )
                    uow.record(entry)
                    entries.append(entry)
            if key:
                uow.remember(key, fingerprint, tuple(entries))
            uow.commit()
        done = tuple(entries)
        self._after(done)
        return AdvanceReport(
            cohort,
            event,
            tuple(e for e in done if e.accepted),
            tuple(e for e in done if not e.accepted),
            skipped,
        )

    def _event(self, event: str) -> dict[str, Move]:
        if not isinstance(event, str):
            raise InvalidInput("event", f"must be an event name, got {type(event).__name__}")
        by_source = self.lifecycle.table.get(event)
        if by_source is None:
            known = ", ".join(self.lifecycle.events)
            raise UnknownEvent(event, hint=f"known events: {known}")
        return by_source

    def _leaving(self, state: str) -> tuple[str, ...]:
        return tuple(m.event for m in self.lifecycle.leaving.get(state, ()))

    # -- data the guards need -------------------------------------------------------------

    def register_project(self, cohort: str, nip: str, project: ChangeProject) -> None:
        """Register or replace the change project (proyek perubahan) a proposal needs.

        Anything but a :class:`ChangeProject` is :class:`InvalidInput`.
        """
        _instance(ChangeProject, project, "project")
        with self.store.unit(_code(cohort)) as uow:
            _member(uow, nip)
            uow.set_project(nip, project)
            uow.commit()
        _log.emit(
            logging.INFO, "project_registered", cohort=cohort, participant=nip, title=project.title
        )

    def record_assessment(
        self, cohort: str, nip: str, assessment: Assessment | float
    ) -> Grade | None:
        """Record a score; returns the grade once every weighted component is scored.

        A bare score is validated as an :class:`Assessment` score (a number from 0 to 100,
        not a string or a bool): pydantic's ``ValidationError`` names ``score``.
        """
        scored = (
            assessment
            if isinstance(assessment, Assessment)
            else Assessment.model_validate({"score": assessment})
        )
        with self.store.unit(_code(cohort)) as uow:
            member = _member(uow, nip)
            uow.set_score(nip, scored.component, scored.score)
            scores = dict(member.scores or {})
            scheme = uow.cohort.parameters.grading
            uow.commit()
        _log.emit(
            logging.INFO,
            "assessment_recorded",
            cohort=cohort,
            participant=nip,
            component=scored.component,
            score=scored.score,
        )
        return None if scheme.missing(scores) else scheme.grade(scores)

    def form_groups(self, cohort: str, count: int) -> tuple[Group, ...]:
        """Split the seated participants into ``count`` thematic groups (kelompok).

        Participants whose projects share a theme stay together while groups stay within
        one member of each other in size; a theme larger than a group is split.
        """
        if isinstance(count, bool) or not isinstance(count, int):
            raise InvalidInput("count", f"must be a whole number, got {type(count).__name__}")
        if count < 1:
            raise InvalidInput("count", "must be at least 1")
        freeing = self.lifecycle.seat_freeing
        with self.store.unit(_code(cohort)) as uow:
            seated = [e for e in uow.enrolments() if e.state not in freeing]
            groups = _split_by_theme(seated, count)
            placed = {nip: g.number for g in groups for nip in g.members}
            for enrolment in seated:
                uow.set_group(enrolment.nip, placed.get(enrolment.nip))
            uow.commit()
        return groups

    # -- reading --------------------------------------------------------------------------

    def participant(self, cohort: str, nip: str) -> Enrolment:
        """A snapshot of one participant's enrolment."""
        code = _code(cohort)
        if not _nip_shaped(nip):
            self.store.cohort(code)  # an unknown cohort is reported first, as the store does
            raise ParticipantNotFound(nip, hint=f"not enrolled in {code}")
        return self.store.enrolment(code, nip)

    def participants(self, cohort: str) -> list[Enrolment]:
        """Snapshots of every enrolment of the cohort, in enrolment order."""
        return self.store.enrolments(_code(cohort))

    def state(self, cohort: str, nip: str) -> str:
        """The participant's current state."""
        return self.participant(cohort, nip).state

    def history(self, nip: str | None = None, *, cohort: str | None = None) -> list[HistoryEntry]:
        """Accepted transitions and refused attempts, oldest first."""
        if nip is not None and (
            not _nip_shaped(nip) or (cohort is not None and not _code_shaped(cohort))
        ):
            return []  # no entry can match (and the store is spared the characters)
        return self.store.history(nip=nip, cohort=None if cohort is None else _code(cohort))

    def states_as_of(self, cohort: str, when: datetime) -> dict[str, str]:
        """Each participant's state at ``when``, replayed from the audit trail.

        Participants enrolled after ``when`` are absent; refused attempts change nothing.
        """
        if not isinstance(when, datetime) or when.tzinfo is None:
            raise InvalidInput("when", f"must be a timezone-aware datetime, got {when!r:.80}")
        states: dict[str, str] = {}
        for entry in self.store.history(cohort=_code(cohort)):
            if entry.at > when:
                break
            if entry.accepted and entry.target is not None:
                states[entry.nip] = entry.target
        return states

    def verify(
        self, cohort: str | None = None, *, expected: Iterable[Checkpoint] = ()
    ) -> list[AuditCheck]:
        """Check the audit chain of one cohort (or of every cohort).

        ``expected`` are checkpoints exported earlier and kept outside the database; a
        trail that no longer reaches or matches one of them fails.
        """
        pinned = {c.cohort: c for c in expected}
        codes = [_code(cohort)] if cohort is not None else [c.code for c in self.store.cohorts()]
        return [
            verify_chain(
                code, self.store.trail(code), self.store.head(code), expected=pinned.get(code)
            )
            for code in codes
        ]

    def checkpoints(self) -> list[Checkpoint]:
        """Every cohort's chain head, to keep outside the database."""
        return [self.store.head(c.code) for c in self.store.cohorts()]

    def export(self, cohort: str) -> dict[str, Any]:
        """The cohort, its participants and its whole history as one JSON-compatible dict."""
        cohort = _code(cohort)
        return {
            "schema_version": EXPORT_SCHEMA_VERSION,
            "cohort": self.store.cohort(cohort).model_dump(mode="json"),
            "participants": [e.to_dict() for e in self.store.enrolments(cohort)],
            "history": [e.to_dict() for e in self.store.history(cohort=cohort)],
            "head": self.store.head(cohort).to_dict(),
        }

    def status(self, cohort: str) -> CohortStatus:
        """Headcounts per state, per office and per group."""
        members = self.store.enrolments(_code(cohort))
        by_state = dict.fromkeys(self.lifecycle.states, 0)
        by_state.update(Counter(e.state for e in members))
        return CohortStatus(
            cohort,
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


def _participant(value: Participant | Mapping[str, Any]) -> Participant:
    if isinstance(value, Participant):
        return value
    if isinstance(value, Mapping):
        return Participant.model_validate(value, strict=False)
    raise InvalidInput("participant", f"expected a Participant or a mapping, got {value!r}")


def _instance(kind: type, value: object, field: str) -> None:
    """Refuse anything but a ``kind`` before it reaches the store (which would fail on it)."""
    if not isinstance(value, kind):
        raise InvalidInput(field, f"expected a {kind.__name__}, got {type(value).__name__}")


def _code(cohort: object) -> str:
    """A cohort code to look up, checked before any store sees it.

    A string no cohort can have (the :class:`~changeflow.models.Cohort` code pattern) is an
    unknown cohort on every backend; without the check a NUL or an unpaired surrogate would
    reach the driver and fail as a store error, differently per backend.
    """
    if _code_shaped(cohort):
        return cohort
    raise CohortNotFound(str(cohort), hint="not a valid cohort code")


def _code_shaped(cohort: object) -> TypeGuard[str]:
    """Whether a cohort could have this code; :class:`InvalidInput` if it is no string."""
    if not isinstance(cohort, str):
        raise InvalidInput(
            "cohort", f"must be a cohort code (a string), got {type(cohort).__name__}"
        )
    return _COHORT_CODE.fullmatch(cohort) is not None


def _nip_shaped(nip: object) -> bool:
    """Whether ``nip`` could be a stored NIP (18 ASCII digits); :class:`InvalidInput` if no str."""
    if not isinstance(nip, str):
        raise InvalidInput(
            "nip", f"must be a NIP (a string of 18 digits), got {type(nip).__name__}"
        )
    return NIP_SHAPE.fullmatch(nip) is not None


def _text(field: str, value: object, limit: int | None = None) -> None:
    """Check an optional free-text argument (actor, reason, key) every backend can store."""
    if value is None:
        return
    if not isinstance(value, str):
        raise InvalidInput(field, f"must be a string, got {type(value).__name__}")
    if limit is not None and len(value) > limit:
        raise InvalidInput(field, f"must be at most {limit} characters, got {len(value)}")
    if "\x00" in value:
        # PostgreSQL text cannot hold NUL; refused everywhere so the backends agree.
        raise InvalidInput(field, f"must not contain NUL (at position {value.index(chr(0))})")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidInput(field, f"has an unpaired surrogate at position {exc.start}") from None


def _command(
    actor: object = None, reason: object = None, key: object = None, effective_date: object = None
) -> None:
    """Check a command's optional arguments before anything is read or written."""
    _text("actor", actor, _ACTOR_MAX)
    _text("reason", reason)
    _text("key", key, _KEY_MAX)
    # A datetime is a date too, but its ISO form is not a date's: stored in a date column it
    # would not read back, so it is refused rather than truncated.
    if effective_date is not None and (
        not isinstance(effective_date, date) or isinstance(effective_date, datetime)
    ):
        raise InvalidInput("effective_date", f"must be a date, got {type(effective_date).__name__}")


def _payload(value: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise InvalidInput("payload", "must be a mapping of JSON-compatible values")
    try:
        copied = json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError, RecursionError) as exc:
        # RecursionError: a payload nested deeper than the interpreter can walk.
        raise InvalidInput("payload", f"must be JSON-compatible: {exc}") from None
    return MappingProxyType(copied)


def _fingerprint(*parts: Any) -> str:
    text = json.dumps(parts, sort_keys=True, default=_canonical, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _canonical(value: Any) -> Any:
    # A payload arrives as a read-only mapping: fingerprint its keys sorted, like any dict.
    return dict(value) if isinstance(value, Mapping) else str(value)


def _replay(uow: Unit, key: str | None, fingerprint: str) -> Any:
    if not key:
        return None
    remembered = uow.recall(key)
    if remembered is None:
        return None
    if remembered[0] != fingerprint:
        raise IdempotencyConflict(key)
    return remembered[1]


def _write(uow: Unit, entry: HistoryEntry, key: str | None, fingerprint: str) -> None:
    uow.record(entry)
    if key:
        uow.remember(key, fingerprint, entry)
    uow.commit()


def _result(entry: HistoryEntry) -> HistoryEntry:
    if entry.accepted:
        return entry
    if entry.violations and entry.violations[0].code == "illegal_transition":
        cls: type[TransitionRejected] = IllegalTransition
    else:
        cls = TransitionRejected
    raise cls(
        cohort=entry.cohort,
        nip=entry.nip,
        event=entry.event,
        state=entry.source,
        violations=entry.violations,
    )


def _report(
    cohort: str, event: str, replayed: tuple[HistoryEntry, ...], uow: Unit
) -> AdvanceReport:
    """Rebuild a bulk report from its remembered entries.

    ``skipped`` counts today's members that were not tried, which equals the original
    figure unless participants were enrolled since.
    """
    tried = {e.nip for e in replayed}
    skipped = sum(1 for e in uow.enrolments() if e.nip not in tried)
    return AdvanceReport(
        cohort,
        event,
        tuple(e for e in replayed if e.accepted),
        tuple(e for e in replayed if not e.accepted),
        skipped,
    )


def _member(uow: Unit, nip: str) -> Enrolment:
    # A NIP no participant can have is not looked up: the store might fail on its characters.
    enrolment = uow.enrolment(nip) if _nip_shaped(nip) else None
    if enrolment is None:
        raise ParticipantNotFound(nip, hint=f"not enrolled in {uow.cohort.code}")
    return enrolment


def _evaluate(
    rules: tuple[NamedRule, ...], context: RuleContext
) -> tuple[tuple[Violation, ...], Mapping[str, Any] | None]:
    """Run every rule (never stopping at the first no) and merge their verdicts."""
    violations: list[Violation] = []
    facts: dict[str, Any] | None = None
    for name, rule in rules:
        try:
            verdict = rule(context)
        except ChangeflowError:
            raise
        except Exception as exc:
            raise RuleError(name, exc) from exc
        if not isinstance(verdict, Verdict):
            raise RuleError(name, TypeError(f"returned {verdict!r}, not a Verdict"))
        if verdict.violations:
            violations.extend(verdict.violations)
        elif verdict.facts:
            facts = {**(facts or {}), **verdict.facts}
    if violations:
        return tuple(violations), None
    return (), None if facts is None else MappingProxyType(facts)


def _illegal(event: str, state: str, allowed: tuple[str, ...]) -> Violation:
    listed = ", ".join(allowed) or "none (final state)"
    return Violation(
        "illegal_transition",
        f"{event!r} cannot be fired from {state!r}; allowed from there: {listed}",
        MappingProxyType({"event": event, "state": state, "allowed": list(allowed)}),
        f"{event!r} tidak berlaku pada tahap {state!r}",
    )


def _unknown_office(code: str) -> Violation:
    return Violation(
        "unknown_office",
        f"office {code!r} is not in the office registry",
        MappingProxyType({"office": code}),
        f"OPD {code!r} tidak terdaftar",
    )


def _already_enrolled(cohort: str, state: str) -> Violation:
    return Violation(
        "already_enrolled",
        f"is already enrolled in cohort {cohort} (state {state!r})",
        MappingProxyType({"cohort": cohort, "state": state}),
        f"sudah terdaftar di angkatan {cohort} ({state})",
    )


def _split_by_theme(members: list[Enrolment], count: int) -> tuple[Group, ...]:
    themes: dict[str, list[Enrolment]] = {}
    for e in members:
        theme = e.project.theme.strip().casefold() if e.project else "(no project)"
        themes.setdefault(theme, []).append(e)
    # More groups than members would only add empty slots (dropped below); capping the count
    # keeps a hostile count from allocating a slot per requested group.
    count = min(count, max(len(members), 1))
    size = math.ceil(len(members) / count) if members else 0
    slots: list[list[Enrolment]] = [[] for _ in range(count)]
    labels: list[list[str]] = [[] for _ in range(count)]
    for theme, people in sorted(themes.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        rest = list(people)
        while rest:
            target = min(range(count), key=lambda i: (len(slots[i]), i))
            room = max(size - len(slots[target]), 1)
            slots[target] += rest[:room]
            rest = rest[room:]
            if theme not in labels[target]:
                labels[target].append(theme)
    return tuple(
        Group(number=i + 1, themes=tuple(labels[i]), members=tuple(e.nip for e in slots[i]))
        for i in range(count)
        if slots[i]
    )
