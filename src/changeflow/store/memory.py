"""An in-memory store: fast, thread-safe, and the reference the SQL store is tested against.

A unit of work holds the store's lock and writes straight through, keeping an undo log of
``(function, *arguments)`` steps that is replayed in reverse unless the unit commits, so a
failure half-way leaves nothing behind.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NamedTuple

from changeflow.audit import GENESIS, Checkpoint, chain_hash, state_left
from changeflow.errors import (
    AlreadyExists,
    CohortNotFound,
    ConcurrentTransition,
    ParticipantNotFound,
)
from changeflow.facts import Standing
from changeflow.offices import Label, RegisteredOffice, fold, plan
from changeflow.personal import Subject, open_entry, seal
from changeflow.records import COHORT_NIP, CohortProjection, HistoryEntry

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
    from datetime import datetime

    from changeflow.models import Cohort, Office
    from changeflow.records import Enrolment
    from changeflow.staff import StaffMember
    from changeflow.states.definition import LifecycleDefinition
    from changeflow.store.base import Remembered

__all__ = ["MemoryStore"]

_NOBODY = Standing()


class _CohortData:
    __slots__ = (
        "attendance",
        "cohort",
        "lifecycle",
        "members",
        "per_office",
        "schedule",
        "seated",
        "staff",
        "trail",
    )

    def __init__(self, cohort: Cohort, lifecycle: LifecycleDefinition | None) -> None:
        self.cohort = cohort
        self.lifecycle = lifecycle
        self.schedule: dict[str, Any] | None = None
        self.attendance: dict[str, dict[str, str]] = {}
        self.staff: dict[str, StaffMember] = {}
        self.members: dict[str, Enrolment] = {}
        self.per_office: dict[str, int] = {}
        self.seated = 0
        self.trail: list[HistoryEntry] = []


class MemoryStore:
    """Keeps everything in process memory; nothing survives the process.

    >>> store = MemoryStore()
    >>> store.cohorts()
    []
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._cohorts: dict[str, _CohortData] = {}
        self._active: dict[str, str] = {}
        self._completed: dict[str, str] = {}
        self._by_nip: dict[str, list[HistoryEntry]] = {}
        self._offices: dict[str, Office] = {}
        self._names: dict[str, _Name] = {}
        """The office registry's names and aliases by folded key (:func:`fold`)."""
        self._settings: dict[str, tuple[str, str | None, datetime]] = {}
        self._credentials: dict[str, tuple[str, str | None, datetime]] = {}
        """Each login's password hash, with who set it and when."""
        self._keys: dict[str, tuple[str, _Seqs]] = {}
        self._subjects: dict[str, Subject] = {}
        """Each person's subject by NIP (see :mod:`changeflow.personal`)."""
        self._subject_ids: dict[str, Subject] = {}
        self._personal: dict[tuple[str, int], dict[str, Any]] = {}
        """The personal values of each sealed entry, by (cohort, seq)."""

    def __repr__(self) -> str:
        return f"MemoryStore(cohorts={len(self._cohorts)})"

    def _data(self, code: str) -> _CohortData:
        try:
            return self._cohorts[code]
        except KeyError:
            raise CohortNotFound(code) from None

    def cohort(self, code: str) -> Cohort:
        """The cohort; :class:`CohortNotFound` if unknown."""
        return self._data(code).cohort

    def cohorts(self) -> list[Cohort]:
        """Every cohort, by code."""
        with self._lock:
            return [self._cohorts[c].cohort for c in sorted(self._cohorts)]

    def lifecycle(self, code: str) -> LifecycleDefinition | None:
        """The lifecycle definition the cohort is pinned to."""
        return self._data(code).lifecycle

    def enrolment(self, cohort: str, nip: str) -> Enrolment:
        """A snapshot of one enrolment; :class:`ParticipantNotFound` if not enrolled."""
        with self._lock:
            found = self._data(cohort).members.get(nip)
            if found is None:
                raise ParticipantNotFound(nip, hint=f"not enrolled in {cohort}")
            return found.snapshot()

    def enrolments(self, cohort: str, states: Collection[str] | None = None) -> list[Enrolment]:
        """Snapshots of the cohort's enrolments (only those in ``states``), in enrolment order."""
        with self._lock:
            members = self._data(cohort).members.values()
            wanted = None if states is None else frozenset(states)
            return [e.snapshot() for e in members if wanted is None or e.state in wanted]

    def history(
        self,
        *,
        nip: str | None = None,
        cohort: str | None = None,
        event: str | None = None,
        actor: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[HistoryEntry]:
        """Audit entries, oldest first, filtered as the protocol says (opened)."""
        with self._lock:
            if nip is not None:
                entries = [e for e in self._by_nip.get(nip, ()) if cohort in {None, e.cohort}]
            elif cohort is not None:
                entries = list(self._data(cohort).trail)
            else:
                merged = [e for data in self._cohorts.values() for e in data.trail]
                entries = sorted(merged, key=lambda e: (e.at, e.cohort, e.seq))
            return [
                self.open(e)
                for e in entries
                if (event is None or e.event == event)
                and (actor is None or e.actor == actor)
                and (since is None or e.at >= since)
                and (until is None or e.at < until)
            ]

    def open(self, sealed: HistoryEntry, *, check: bool = False) -> HistoryEntry:
        """A stored (sealed) entry opened with its personal values (see :func:`open_entry`)."""
        return open_entry(
            sealed,
            self._subject_ids.get(sealed.nip),
            self._personal.get((sealed.cohort, sealed.seq)),
            check=check,
        )

    def opened(self, cohort: str, *, check: bool = False) -> Iterator[HistoryEntry]:
        """The cohort's entries in order, opened (each checked with ``check``)."""
        with self._lock:
            entries = list(self._data(cohort).trail)
        for entry in entries:
            yield self.open(entry, check=check)

    def former_hash(self, cohort: str, seq: int) -> str | None:  # noqa: ARG002 - the protocol
        """None: nothing in memory was written before an upgrade."""
        return None

    def cohorts_of(self, nip: str) -> list[str]:
        """The cohorts whose trail speaks of the person, by code."""
        with self._lock:
            return sorted({e.cohort for e in self._by_nip.get(nip, ())})

    def forget(self, nip: str) -> None:
        """Delete the person's subject (NIP and key) and whatever personal values remain."""
        with self._lock:
            subject = self._subjects.pop(nip, None)
            if subject is None:
                return
            del self._subject_ids[subject.id]
            for entry in self._by_nip.pop(nip, ()):
                self._personal.pop((entry.cohort, entry.seq), None)

    def offices(self) -> list[Office]:
        """Every office known to the store, by code."""
        with self._lock:
            return [self._offices[c] for c in sorted(self._offices)]

    def office_registry(self) -> list[RegisteredOffice]:
        """Every office by code, with its aliases and who added it when."""
        with self._lock:
            names: dict[str, list[_Name]] = {}
            for name in self._names.values():
                names.setdefault(name.code, []).append(name)
            return [_registered(self._offices[c], names.get(c, [])) for c in sorted(self._offices)]

    def register_offices(
        self, entries: Sequence[tuple[Office, Sequence[str]]], *, by: str | None, at: datetime
    ) -> None:
        """Add offices and aliases, all or none; :class:`OfficeConflict` overwrites nothing."""
        with self._lock:
            offices, names = dict(self._offices), dict(self._names)
            lookup = _Lookup(offices, names)
            for office, aliases in entries:
                created, labels = plan(office, aliases, lookup)
                if created is not None:
                    offices[created.code] = created
                code = office.code
                for label in labels:
                    names[label.key] = _Name(code, label, by, at)
            self._offices, self._names = offices, names

    def setting(self, name: str) -> str | None:
        """A store-wide setting (``None``: never set)."""
        with self._lock:
            found = self._settings.get(name)
            return None if found is None else found[0]

    def set_setting(self, name: str, value: str, *, by: str | None, at: datetime) -> None:
        """Store a store-wide setting with who changed it and when."""
        with self._lock:
            self._settings[name] = (value, by, at)

    def password_hash(self, login: str) -> str | None:
        """The password hash stored for ``login`` (``None``: no password set)."""
        with self._lock:
            found = self._credentials.get(login)
            return None if found is None else found[0]

    def set_password_hash(self, login: str, hashed: str, *, by: str | None, at: datetime) -> None:
        """Store (or replace) ``login``'s password hash, with who set it and when."""
        with self._lock:
            self._credentials[login] = (hashed, by, at)

    def trail(self, cohort: str) -> Iterator[tuple[HistoryEntry, str]]:
        """The cohort's sealed entries with their chain hashes (computed: nobody edits memory)."""
        with self._lock:
            entries = list(self._data(cohort).trail)
        previous = GENESIS
        for entry in entries:
            previous = chain_hash(previous, entry)
            yield entry, previous

    def head(self, cohort: str) -> Checkpoint:
        """The chain head of the cohort's trail."""
        rows = list(self.trail(cohort))
        if not rows:
            return Checkpoint(cohort, 0, GENESIS)
        last, digest = rows[-1]
        return Checkpoint(cohort, len(rows), digest, last.at)

    def projection(self, cohort: str) -> CohortProjection:
        """The cohort's stored facts: members, counters, office names, pinned lifecycle."""
        with self._lock:
            data = self._data(cohort)
            members = {nip: e.snapshot() for nip, e in data.members.items()}
            return CohortProjection(
                cohort,
                data.cohort,
                None if data.lifecycle is None else data.lifecycle.sha256,
                members,
                data.seated,
                {office: n for office, n in data.per_office.items() if n},
                {
                    code: self._offices[code].name
                    for code in {e.participant.office.code for e in members.values()}
                    if code in self._offices
                },
                None if data.schedule is None else dict(data.schedule),
                {nip: dict(days) for nip, days in data.attendance.items() if days},
                {key: member.facts() for key, member in data.staff.items()},
            )

    def schedule(self, code: str) -> Mapping[str, Any] | None:
        """The cohort's stored schedule document."""
        with self._lock:
            return self._data(code).schedule

    def attendance(self, code: str) -> dict[str, dict[str, str]]:
        """Every participant's recorded attendance in the cohort."""
        with self._lock:
            return {nip: dict(days) for nip, days in self._data(code).attendance.items() if days}

    def staff(self, code: str) -> list[StaffMember]:
        """The cohort's staff, by id."""
        with self._lock:
            return sorted(self._data(code).staff.values(), key=lambda m: m.id)

    def close(self) -> None:
        """Nothing to release in memory."""

    @contextmanager
    def new_cohort(self, cohort: Cohort, lifecycle: LifecycleDefinition) -> Iterator[_MemoryUnit]:
        """A unit of work on a new cohort; the cohort is gone again unless it commits."""
        with self._lock:
            if cohort.code in self._cohorts:
                raise AlreadyExists("cohort", cohort.code)
            data = self._cohorts[cohort.code] = _CohortData(cohort, lifecycle)
            with _MemoryUnit(self, data) as unit:
                unit.undo(self._cohorts.pop, cohort.code, None)
                yield unit

    def unit(self, cohort: str) -> _MemoryUnit:
        """A unit of work on ``cohort`` (a context manager); rolled back unless committed."""
        return _MemoryUnit(self, self._data(cohort))


class _Name(NamedTuple):
    """One registered name or alias of an office."""

    code: str
    label: Label
    by: str | None
    at: datetime | None


def labels_of(office: Office) -> Label:
    """The label registering ``office``'s own name."""
    return Label(fold(office.name), office.name, "name")


def _registered(office: Office, names: list[_Name]) -> RegisteredOffice:
    """``office`` as the registry lists it, from its registered names."""
    first = next((n for n in names if n.label.kind == "name"), None)
    return RegisteredOffice(
        code=office.code,
        name=office.name,
        aliases=tuple(sorted(n.label.text for n in names if n.label.kind == "alias")),
        added_by=None if first is None else first.by,
        added_at=None if first is None else first.at,
    )


class _Lookup:
    """The registry :func:`plan` reads while a registration is staged."""

    def __init__(self, offices: dict[str, Office], names: dict[str, _Name]) -> None:
        self._offices, self._names = offices, names

    def by_code(self, code: str) -> Office | None:
        return self._offices.get(code)

    def by_code_folded(self, text: str) -> Office | None:
        wanted = text.strip().casefold()
        return next((o for c, o in self._offices.items() if c.casefold() == wanted), None)

    def by_key(self, key: str) -> Office | None:
        name = self._names.get(key)
        return None if name is None else self._offices[name.code]


_Seqs = tuple[str, "int | tuple[int, ...]"]
"""What a remembered key points at: the cohort and the sequence number(s) of its entries."""


def _mentions(seqs: _Seqs, code: str, nip: str, store: MemoryStore) -> bool:
    """Whether a remembered result holds an entry of ``nip`` in cohort ``code``."""
    cohort, numbers = seqs
    if cohort != code:
        return False
    mine = {e.seq for e in store._by_nip.get(nip, ()) if e.cohort == code}
    return bool(mine & ({numbers} if isinstance(numbers, int) else set(numbers)))


def _pop_both(trail: list[HistoryEntry], per_nip: list[HistoryEntry]) -> None:
    trail.pop()
    per_nip.pop()


def _restore(mapping: dict[str, Any], key: str, value: object) -> None:
    if value is None:
        mapping.pop(key, None)
    else:
        mapping[key] = value


class _MemoryUnit:
    """Writes through with an undo log; see :class:`changeflow.store.base.Unit`."""

    __slots__ = ("_data", "_store", "_undo", "cohort", "lifecycle")

    def __init__(self, store: MemoryStore, data: _CohortData) -> None:
        self._store = store
        self._data = data
        self._undo: list[tuple[Any, ...]] | None = []
        self.cohort = data.cohort
        self.lifecycle = data.lifecycle

    # A class, not a generator, as the context manager: it runs on every command.
    def __enter__(self) -> _MemoryUnit:
        self._store._lock.acquire()
        return self

    def __exit__(self, *_exc: object) -> None:
        try:
            self.close()
        finally:
            self._store._lock.release()

    def close(self) -> None:
        """Roll back whatever was not committed."""
        undo, self._undo = self._undo, None
        for step, *args in reversed(undo or ()):
            step(*args)

    def undo(self, step: Callable[..., object], *args: Any) -> None:
        """Log ``step(*args)`` to run should the unit not commit; refused once it is closed."""
        if self._undo is None:
            raise RuntimeError("this unit of work is already closed")
        self._undo.append((step, *args))

    def seated(self, cohort: str) -> int:
        """Participants holding a seat in the cohort."""
        return self._store._data(cohort).seated

    def seated_from_office(self, cohort: str, office: str) -> int:
        """Participants from one office holding a seat in the cohort."""
        return self._store._data(cohort).per_office.get(office, 0)

    def standing(self, nip: str) -> Standing:
        """The person's course record across cohorts."""
        store = self._store
        active, completed = store._active.get(nip), store._completed.get(nip)
        if active is None and completed is None:
            return _NOBODY
        return Standing(active, completed)

    def attendance(self, cohort: str, nip: str) -> Mapping[str, str]:
        """The participant's recorded attendance (read-your-writes)."""
        return self._store._data(cohort).attendance.get(nip, {})

    def enrolment(self, nip: str) -> Enrolment | None:
        """The live enrolment (read-your-writes), or ``None``."""
        return self._data.members.get(nip)

    def enrolments(self, states: Iterable[str] | None = None) -> Iterator[Enrolment]:
        """Live enrolments, optionally only those in ``states`` (a snapshot of the list)."""
        members = list(self._data.members.values())
        if states is None:
            return iter(members)
        wanted = frozenset(states)
        return (e for e in members if e.state in wanted)

    def office(
        self,
        office: Office,
        *,
        create: bool,
        by: str | None = None,
        at: datetime | None = None,
    ) -> Office | None:
        """The stored office with this code; created (and its name registered) when ``create``."""
        offices, names = self._store._offices, self._store._names
        found = offices.get(office.code)
        if found is None and create:
            self.undo(offices.pop, office.code, None)
            offices[office.code] = found = office
            label = labels_of(office)
            if label.key and label.key not in names:
                self.undo(names.pop, label.key, None)
                names[label.key] = _Name(office.code, label, by, at)
        return found

    def office_named(self, key: str) -> Office | None:
        """The office whose name or alias folds to ``key``."""
        name = self._store._names.get(key)
        return None if name is None else self._store._offices[name.code]

    def add(self, enrolment: Enrolment) -> None:
        """Store a new enrolment; it takes a seat and makes the person active."""
        data, active, nip = self._data, self._store._active, enrolment.nip
        before = active.get(nip)
        if before is not None:
            # The same invariant the SQL schema enforces with a partial unique index.
            raise ConcurrentTransition(
                f"{nip} is already active in cohort {before}", cohort=data.cohort.code, nip=nip
            )
        self.undo(data.members.pop, nip, None)
        data.members[nip] = enrolment
        self._seat(enrolment.participant.office.code, +1)
        self.undo(active.pop, nip, None)
        active[nip] = data.cohort.code

    def _seat(self, office: str, delta: int) -> None:
        self.undo(self._shift, office, -delta)
        self._shift(office, delta)

    def _shift(self, office: str, delta: int) -> None:
        data = self._data
        data.seated += delta
        data.per_office[office] = data.per_office.get(office, 0) + delta

    def update(self, before: Enrolment, after: Enrolment) -> None:
        """Replace the stored enrolment, provided it is still at ``before.version``."""
        data, nip = self._data, before.nip
        current = data.members.get(nip)
        if current is None or current.version != before.version:
            raise ConcurrentTransition(
                cohort=data.cohort.code, nip=nip, expected_version=before.version
            )
        if current.active is not after.active or current.completed is not after.completed:
            self._flags(current, after)
        self.undo(data.members.__setitem__, nip, current)
        data.members[nip] = after
        held, holds = current.participant.office.code, after.participant.office.code
        if current.seated is not after.seated or held != holds:
            if current.seated:
                self._seat(held, -1)
            if after.seated:
                self._seat(holds, +1)

    def _flags(self, current: Enrolment, after: Enrolment) -> None:
        store, nip, code = self._store, current.nip, self._data.cohort.code
        if current.active != after.active:
            holder = store._active.get(nip)
            if after.active and holder is not None and holder != code:
                raise ConcurrentTransition(
                    f"{nip} is already active in cohort {holder}", cohort=code, nip=nip
                )
            self.undo(_restore, store._active, nip, holder)
            _restore(store._active, nip, code if after.active else None)
        if current.completed != after.completed:
            self.undo(_restore, store._completed, nip, store._completed.get(nip))
            _restore(store._completed, nip, code if after.completed else None)

    def entered_from(self, nip: str) -> str | None:
        """The state the participant left to enter its current one (see :func:`state_left`)."""
        current = self._data.members.get(nip)
        if current is None:
            return None
        code = self._data.cohort.code
        mine = (e for e in reversed(self._store._by_nip.get(nip, ())) if e.cohort == code)
        return state_left(mine, current.state)

    def pin(self, lifecycle: LifecycleDefinition) -> None:
        """Pin the cohort to another lifecycle definition."""
        data = self._data
        self.undo(setattr, data, "lifecycle", data.lifecycle)
        data.lifecycle = self.lifecycle = lifecycle

    def schedule(self) -> Mapping[str, Any] | None:
        """The cohort's schedule document (read-your-writes)."""
        return self._data.schedule

    def set_schedule(self, document: Mapping[str, Any]) -> None:
        """Replace the cohort's schedule document."""
        data = self._data
        self.undo(setattr, data, "schedule", data.schedule)
        data.schedule = dict(document)

    def set_attendance(self, nip: str, day: str, status: str) -> None:
        """Replace one participant's attendance on one day."""
        days = self._data.attendance.setdefault(nip, {})
        self.undo(_restore, days, day, days.get(day))
        days[day] = status

    def staff_member(self, actor: str) -> StaffMember | None:
        """The cohort's staff member with this id (read-your-writes)."""
        return self._data.staff.get(actor)

    def set_staff(self, member: StaffMember) -> None:
        """Replace the staff member with ``member``'s id."""
        staff = self._data.staff
        self.undo(_restore, staff, member.id, staff.get(member.id))
        staff[member.id] = member

    def next_seq(self) -> int:
        """The next position in this cohort's audit trail."""
        return len(self._data.trail) + 1

    def record(self, entry: HistoryEntry) -> None:
        """Append an audit entry, sealed, to the cohort's trail and the participant's history."""
        trail = self._data.trail
        if entry.nip == COHORT_NIP:
            self.undo(trail.pop)
            trail.append(entry)
            return
        sealed, values = seal(entry, self._subject(entry.nip))
        store = self._store
        per_nip = store._by_nip.setdefault(entry.nip, [])
        self.undo(_pop_both, trail, per_nip)
        trail.append(sealed)
        per_nip.append(sealed)
        if values:
            where = (entry.cohort, entry.seq)
            self.undo(store._personal.pop, where, None)
            store._personal[where] = values

    def _subject(self, nip: str) -> Subject:
        store = self._store
        found = store._subjects.get(nip)
        if found is None:
            found = Subject.new(nip)
            self.undo(store._subjects.pop, nip, None)
            self.undo(store._subject_ids.pop, found.id, None)
            store._subjects[nip] = store._subject_ids[found.id] = found
        return found

    def erase(self, nip: str) -> None:
        """Delete the person's facts in this cohort and their entries' personal values here.

        The seat counters keep the seat they held (an erasure frees none).
        """
        data, store = self._data, self._store
        member = data.members.pop(nip, None)
        if member is not None:
            self.undo(data.members.__setitem__, nip, member)
        days = data.attendance.pop(nip, None)
        if days is not None:
            self.undo(data.attendance.__setitem__, nip, days)
        code = data.cohort.code
        for entry in store._by_nip.get(nip, ()):
            if entry.cohort == code:
                where = (code, entry.seq)
                values = store._personal.pop(where, None)
                if values is not None:
                    self.undo(store._personal.__setitem__, where, values)
        for key, (kept, seqs) in list(store._keys.items()):
            if nip in key or _mentions(seqs, code, nip, store):
                self.undo(store._keys.__setitem__, key, (kept, seqs))
                del store._keys[key]

    def recall(self, key: str) -> Remembered | None:
        """What an idempotency key recorded, if anything (its entries read from the trail)."""
        store = self._store
        found = store._keys.get(key)
        if found is None:
            return None
        kept, (code, seqs) = found
        trail = store._data(code).trail
        if isinstance(seqs, int):
            return kept, store.open(trail[seqs - 1])
        return kept, tuple(store.open(trail[seq - 1]) for seq in seqs)

    def remember(
        self, key: str, fingerprint: str, result: HistoryEntry | tuple[HistoryEntry, ...]
    ) -> None:
        """Record an idempotency key with its command's fingerprint and the entries' seqs."""
        keys = self._store._keys
        self.undo(keys.pop, key, None)
        code = self._data.cohort.code
        if isinstance(result, HistoryEntry):
            keys[key] = (fingerprint, (code, result.seq))
        else:
            keys[key] = (fingerprint, (code, tuple(e.seq for e in result)))

    def commit(self) -> None:
        """Keep every write; the unit can take no more."""
        if self._undo is None:
            raise RuntimeError("this unit of work is already closed")
        self._undo = None
