"""An in-memory store: fast, thread-safe, and the reference the SQL store is tested against.

A unit of work holds the store's lock and writes straight through, keeping an undo log that
is replayed in reverse unless the unit commits, so a failure half-way leaves nothing behind.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING

from changeflow.audit import GENESIS, Checkpoint, chain_hash
from changeflow.errors import (
    AlreadyExists,
    CohortNotFound,
    ConcurrentTransition,
    ParticipantNotFound,
)
from changeflow.rules.context import Standing

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from changeflow.models import ChangeProject, Cohort, Office
    from changeflow.records import Enrolment, HistoryEntry
    from changeflow.store.base import Remembered

__all__ = ["MemoryStore"]

_NOBODY = Standing()


class _CohortData:
    __slots__ = ("cohort", "members", "per_office", "seated", "trail")

    def __init__(self, cohort: Cohort) -> None:
        self.cohort = cohort
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
        self._keys: dict[str, Remembered] = {}

    def __repr__(self) -> str:
        return f"MemoryStore(cohorts={len(self._cohorts)})"

    def add_cohort(self, cohort: Cohort) -> None:
        """Create a cohort; :class:`AlreadyExists` if the code is taken."""
        with self._lock:
            if cohort.code in self._cohorts:
                raise AlreadyExists("cohort", cohort.code)
            self._cohorts[cohort.code] = _CohortData(cohort)

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

    def enrolment(self, cohort: str, nip: str) -> Enrolment:
        """A snapshot of one enrolment; :class:`ParticipantNotFound` if not enrolled."""
        with self._lock:
            found = self._data(cohort).members.get(nip)
            if found is None:
                raise ParticipantNotFound(nip, hint=f"not enrolled in {cohort}")
            return found.snapshot()

    def enrolments(self, cohort: str) -> list[Enrolment]:
        """Snapshots of every enrolment of the cohort, in enrolment order."""
        with self._lock:
            return [e.snapshot() for e in self._data(cohort).members.values()]

    def history(self, *, nip: str | None = None, cohort: str | None = None) -> list[HistoryEntry]:
        """Audit entries, oldest first, filtered by participant and/or cohort."""
        with self._lock:
            if nip is not None:
                entries = list(self._by_nip.get(nip, ()))
                return [e for e in entries if cohort is None or e.cohort == cohort]
            if cohort is not None:
                return list(self._data(cohort).trail)
            merged = [e for data in self._cohorts.values() for e in data.trail]
            return sorted(merged, key=lambda e: (e.at, e.cohort, e.seq))

    def offices(self) -> list[Office]:
        """Every office known to the store, by code."""
        with self._lock:
            return [self._offices[c] for c in sorted(self._offices)]

    def trail(self, cohort: str) -> list[tuple[HistoryEntry, str]]:
        """The cohort's entries with their chain hashes (computed: memory cannot be edited)."""
        with self._lock:
            entries = list(self._data(cohort).trail)
        rows, previous = [], GENESIS
        for entry in entries:
            previous = chain_hash(previous, entry)
            rows.append((entry, previous))
        return rows

    def head(self, cohort: str) -> Checkpoint:
        """The chain head of the cohort's trail."""
        rows = self.trail(cohort)
        return Checkpoint(cohort, len(rows), rows[-1][1] if rows else GENESIS)

    def close(self) -> None:
        """Nothing to release in memory."""

    @contextmanager
    def unit(self, cohort: str) -> Iterator[_MemoryUnit]:
        """A unit of work on ``cohort``; rolled back unless committed."""
        with self._lock:
            unit = _MemoryUnit(self, self._data(cohort))
            try:
                yield unit
            finally:
                unit.close()


def _restore(mapping: dict[str, str], key: str, value: str | None) -> None:
    if value is None:
        mapping.pop(key, None)
    else:
        mapping[key] = value


def _sync(copy: Enrolment, stored: Enrolment) -> None:
    # A caller holding a snapshot sees the move it asked for, as with the live object.
    if copy is not stored:
        copy.state, copy.version, copy.revisions = stored.state, stored.version, stored.revisions


class _MemoryUnit:
    """Writes through with an undo log; see :class:`changeflow.store.base.Unit`."""

    __slots__ = ("_data", "_store", "_undo", "cohort")

    def __init__(self, store: MemoryStore, data: _CohortData) -> None:
        self._store = store
        self._data = data
        self._undo: list[Callable[[], object]] | None = []
        self.cohort = data.cohort

    def close(self) -> None:
        """Roll back whatever was not committed."""
        undo, self._undo = self._undo, None
        for step in reversed(undo or ()):
            step()

    def _open(self) -> list[Callable[[], object]]:
        # Checked before every write, so nothing lands once the unit is closed.
        if self._undo is None:
            raise RuntimeError("this unit of work is already closed")
        return self._undo

    def _log(self, step: Callable[[], object]) -> None:
        self._open().append(step)

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

    def office(self, office: Office, *, create: bool) -> Office | None:
        """The stored office with this code; created on first use when ``create``."""
        offices = self._store._offices
        found = offices.get(office.code)
        if found is None and create:
            self._open()
            offices[office.code] = found = office
            self._log(lambda: offices.pop(office.code, None))
        return found

    def add(self, enrolment: Enrolment) -> None:
        """Store a new enrolment; it takes a seat and makes the person active."""
        self._open()
        data, active, nip = self._data, self._store._active, enrolment.nip
        office = enrolment.participant.office.code
        before = active.get(nip)
        if before is not None:
            # The same invariant the SQL schema enforces with a partial unique index.
            raise ConcurrentTransition(
                f"{nip} is already active in cohort {before}", cohort=data.cohort.code, nip=nip
            )
        data.members[nip] = enrolment
        self._seat(office, +1)
        active[nip] = data.cohort.code

        def undo() -> None:
            del data.members[nip]
            self._seat(office, -1)
            active.pop(nip, None)

        self._log(undo)

    def _seat(self, office: str, delta: int) -> None:
        data = self._data
        data.seated += delta
        data.per_office[office] = data.per_office.get(office, 0) + delta

    def move(
        self, enrolment: Enrolment, state: str, *, final: bool, frees_seat: bool, completes: bool
    ) -> None:
        """Move the stored enrolment, provided it is still at ``enrolment.version``."""
        self._open()
        store, nip, code = self._store, enrolment.nip, self._data.cohort.code
        current = self._data.members.get(nip)
        if current is None or current.version != enrolment.version:
            raise ConcurrentTransition(cohort=code, nip=nip, expected_version=enrolment.version)
        before = (current.state, current.version, current.revisions)
        was_active, was_completed = store._active.get(nip), store._completed.get(nip)
        if state == current.state:
            current.revisions += 1
        current.state = state
        current.version += 1
        _sync(enrolment, current)
        office = current.participant.office.code
        if frees_seat:
            self._seat(office, -1)
        if final and was_active == code:
            del store._active[nip]
        if completes:
            store._completed[nip] = code

        def undo() -> None:
            current.state, current.version, current.revisions = before
            _sync(enrolment, current)
            if frees_seat:
                self._seat(office, +1)
            _restore(store._active, nip, was_active)
            _restore(store._completed, nip, was_completed)

        self._log(undo)

    def _member(self, nip: str) -> Enrolment:
        found = self._data.members.get(nip)
        if found is None:
            raise ParticipantNotFound(nip, hint=f"not enrolled in {self._data.cohort.code}")
        return found

    def set_project(self, nip: str, project: ChangeProject) -> None:
        """Register or replace a participant's change project."""
        self._open()
        member = self._member(nip)
        before = member.project
        member.project = project
        self._log(lambda: setattr(member, "project", before))

    def set_score(self, nip: str, component: str, score: float) -> None:
        """Record (or replace) one assessment score."""
        self._open()
        member = self._member(nip)
        before = member.scores
        member.scores = {**(before or {}), component: score}
        self._log(lambda: setattr(member, "scores", before))

    def set_group(self, nip: str, group: int | None) -> None:
        """Place a participant in a thematic group."""
        self._open()
        member = self._member(nip)
        before = member.group
        member.group = group
        self._log(lambda: setattr(member, "group", before))

    def next_seq(self) -> int:
        """The next position in this cohort's audit trail."""
        return len(self._data.trail) + 1

    def record(self, entry: HistoryEntry) -> None:
        """Append an audit entry to the cohort's trail and the participant's history."""
        self._open()
        trail = self._data.trail
        per_nip = self._store._by_nip.setdefault(entry.nip, [])
        trail.append(entry)
        per_nip.append(entry)

        def undo() -> None:
            trail.pop()
            per_nip.pop()

        self._log(undo)

    def recall(self, key: str) -> Remembered | None:
        """What an idempotency key recorded, if anything."""
        return self._store._keys.get(key)

    def remember(
        self, key: str, fingerprint: str, result: HistoryEntry | tuple[HistoryEntry, ...]
    ) -> None:
        """Record an idempotency key with its command's fingerprint and result."""
        self._open()
        keys = self._store._keys
        keys[key] = (fingerprint, result)
        self._log(lambda: keys.pop(key, None))

    def commit(self) -> None:
        """Keep every write; the unit can take no more."""
        if self._undo is None:
            raise RuntimeError("this unit of work is already closed")
        self._undo = None
