"""The store contract: one abstract suite every backend must pass; a backend supplies a factory.

In the style of the ``eventsourcing`` library's ``tests/persistence.py``: the classes here
hold the tests but are not collected themselves (their names do not start with ``Test``);
a backend's test module binds them by subclassing and overriding fixtures::

    class TestSqliteStore(StoreContract):
        @pytest.fixture
        def make_store(self, tmp_path: Path) -> Callable[[], Store]:
            return lambda: SqlStore(f"sqlite:///{tmp_path / 'store.db'}")

* ``make_store`` -- a callable returning a new, empty store. Each test calls it exactly
  once; the suite closes what it returns at teardown.
* ``reopen`` -- only for :class:`DurableStoreContract`: a callable returning another store
  over the same database as the one ``make_store`` returned in this test. A backend that
  keeps nothing across processes (the memory store) simply does not inherit that mixin.

:class:`StoreContract` drives the :class:`~changeflow.store.base.Store` and
:class:`~changeflow.store.base.Unit` protocols directly, writing in the order the engine
does (``office(create=True)`` before ``add``, ``record`` at ``next_seq()``, ``move`` on the
enrolment the same unit returned); :class:`EngineContract` runs the
:class:`~changeflow.Engine` over the store.
"""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, date, datetime, timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import pytest

from changeflow import (
    AlreadyExists,
    Assessment,
    ChangeProject,
    Coach,
    Cohort,
    CohortNotFound,
    CohortParameters,
    ConcurrentTransition,
    Engine,
    Enrolment,
    FixedClock,
    Grade,
    GradeBand,
    GradingScheme,
    HistoryEntry,
    IdempotencyConflict,
    IllegalTransition,
    Mentor,
    Office,
    Participant,
    ParticipantNotFound,
    RuleError,
    RuleRegistry,
    TransitionRejected,
    UnknownEvent,
    Verdict,
    Violation,
)
from changeflow.audit import GENESIS, Checkpoint, chain_hash, verify_chain
from changeflow.engine import EXPORT_SCHEMA_VERSION
from changeflow.rules import Standing
from factories import BKD, DINKES, DISPENDUK, make_cohort, make_nip, make_participant, office

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from changeflow import RuleContext
    from changeflow.records import Outcome
    from changeflow.store import Store, Unit

__all__ = ["DurableStoreContract", "EngineContract", "StoreContract"]

CODE = "PKA-III-VII-2019"
OTHER = "PKA-III-VIII-2019"
AT = datetime(2019, 4, 4, 8, 0, 0, 123456, tzinfo=UTC)
MENTOR = Mentor(name="dr. Anang Budi Yoelijanto", position="Kepala Dinas")
PROJECT = ChangeProject(title="Aplikasi antrean puskesmas daring", theme="kesehatan", mentor=MENTOR)
OTHER_PROJECT = ChangeProject(title="Akta kelahiran satu hari", theme="kependudukan")


class _Crash(Exception):
    """Raised on purpose inside a unit of work."""


# -- builders ----------------------------------------------------------------------------


def _rich_cohort(code: str = CODE) -> Cohort:
    """A cohort whose every optional field differs from the default."""
    return Cohort(
        code=code,
        name="Pelatihan Kepemimpinan Administrator angkatan VII",
        organiser="BKD Kabupaten Probolinggo",
        start=date(2019, 4, 4),
        end=date(2019, 7, 19),
        capacity=25,
        coach=Coach(name="Drs. Widodo", agency="BPSDM Provinsi Jawa Timur"),
        parameters=CohortParameters(
            max_per_office=3,
            min_years_to_retirement=5,
            retirement_age=60,
            eligible_ranks=frozenset({"III.a", "administrator"}),
            grading=GradingScheme(
                weights={"paper": 0.4, "seminar": 0.6},
                bands=(GradeBand(name="lulus", above=60),),
                failing_band="belum lulus",
            ),
            rule_pack="perlan-10-2018",
        ),
    )


def _person(office: Office = DINKES, **extra: Any) -> Participant:
    """An eligible participant from ``office``."""
    return make_participant(office=office, **extra)


def _entry(
    seq: int,
    nip: str,
    *,
    cohort: str = CODE,
    at: datetime = AT,
    event: str = "enrol",
    source: str | None = None,
    target: str | None = "enrolled",
    outcome: Outcome = "accepted",
    **extra: Any,
) -> HistoryEntry:
    """An audit entry; accepted enrolment by default."""
    return HistoryEntry(seq, at, cohort, nip, event, source, target, outcome, **extra)


def _full_entry(seq: int, nip: str, *, cohort: str = CODE) -> HistoryEntry:
    """An entry using every field, with nested JSON values and non-ASCII text."""
    return HistoryEntry(
        seq,
        datetime(2019, 5, 2, 13, 45, 7, 654321, tzinfo=UTC),
        cohort,
        nip,
        "present_proposal",
        "on_class",
        "proposal",
        "refused",
        actor="coach:Ani Rahmawati",
        reason="dikembalikan \u2014 perlu revisi \u2713",
        payload=MappingProxyType(
            {
                "letter": "800/123/426.2019",
                "pages": 12,
                "ratio": 0.25,
                "urgent": False,
                "none": None,
                "tags": ["kesehatan", "antrean"],
                "nested": {"ok": True, "list": [1, 2.5, "tiga"]},
            }
        ),
        violations=(
            Violation(
                "change_project_missing",
                "no change project is registered for this participant",
                MappingProxyType({"missing": ["title", "mentor"], "count": 2}),
                "proyek perubahan belum didaftarkan",
                "Peraturan LAN 10/2018",
            ),
            Violation("mentor_missing", "the change project has no mentor"),
        ),
        data=MappingProxyType({"score": 85.5, "grade": "memuaskan"}),
        effective_date=date(2019, 5, 1),
    )


ROUND_TRIPS = [
    pytest.param(_full_entry, id="every-field"),
    pytest.param(_entry, id="minimal"),
    pytest.param(
        lambda seq, nip: _entry(
            seq,
            nip,
            event="start_class",
            source="enrolled",
            target=None,
            outcome="refused",
            payload=MappingProxyType({}),
            data=MappingProxyType({}),
            violations=(Violation("illegal_transition", "no"),),
        ),
        id="empty-mappings",
    ),
]


def _enrol(
    store: Store, person: Participant, *, cohort: str = CODE, at: datetime = AT
) -> HistoryEntry:
    """Enrol ``person`` the way the engine does, in one committed unit; return its entry."""
    with store.unit(cohort) as uow:
        entry = _entry(uow.next_seq(), person.nip, cohort=cohort, at=at)
        uow.office(person.office, create=True)
        uow.add(Enrolment(cohort, person, "enrolled"))
        uow.record(entry)
        uow.commit()
    return entry


def _move(
    store: Store,
    nip: str,
    state: str,
    *,
    cohort: str = CODE,
    final: bool = False,
    frees_seat: bool = False,
    completes: bool = False,
    at: datetime = AT,
) -> HistoryEntry:
    """Move a participant in one committed unit, auditing it; return the entry."""
    with store.unit(cohort) as uow:
        live = uow.enrolment(nip)
        assert live is not None
        entry = _entry(
            uow.next_seq(),
            nip,
            cohort=cohort,
            at=at,
            event=f"to_{state}",
            source=live.state,
            target=state,
        )
        uow.move(live, state, final=final, frees_seat=frees_seat, completes=completes)
        uow.record(entry)
        uow.commit()
    return entry


def _seats(store: Store, cohort: str = CODE, office: str = "DINKES") -> tuple[int, int]:
    """Seats taken in the cohort, and by one office, read in a unit."""
    with store.unit(cohort) as uow:
        return uow.seated(cohort), uow.seated_from_office(cohort, office)


def _standing(store: Store, nip: str, cohort: str = CODE) -> Standing:
    """The person's standing, read in a unit on ``cohort``."""
    with store.unit(cohort) as uow:
        return uow.standing(nip)


def _recall(store: Store, key: str, cohort: str = CODE) -> Any:
    """What ``key`` recalls, read in a unit on ``cohort``."""
    with store.unit(cohort) as uow:
        return uow.recall(key)


def _next_seq(store: Store, cohort: str = CODE) -> int:
    """The cohort's next audit position, read in a unit."""
    with store.unit(cohort) as uow:
        return uow.next_seq()


def _observed(store: Store, cohort: str = CODE) -> tuple[object, ...]:
    """Everything observable about a cohort from outside a unit, plus its counts."""
    return (
        store.enrolments(cohort),
        store.history(cohort=cohort),
        store.trail(cohort),
        store.head(cohort),
        store.offices(),
        _seats(store, cohort),
        _next_seq(store, cohort),
    )


def _assert_chain(store: Store, cohort: str) -> None:
    """The stored trail is a valid chain ending at the stored head, hashes recomputable."""
    rows = store.trail(cohort)
    previous = GENESIS
    for seq, (entry, stored) in enumerate(rows, 1):
        assert entry.seq == seq
        assert stored == chain_hash(previous, entry)
        previous = stored
    assert store.head(cohort) == Checkpoint(cohort, len(rows), previous)
    check = verify_chain(cohort, rows, store.head(cohort))
    assert check.ok, check.problem


def _write_everything(uow: Unit, nip: str, newcomer: Participant) -> None:
    """Every kind of write a unit offers, on enrolled ``nip`` and on a ``newcomer``."""
    uow.office(newcomer.office, create=True)
    uow.add(Enrolment(uow.cohort.code, newcomer, "enrolled"))
    enrolled = _entry(uow.next_seq(), newcomer.nip)
    uow.record(enrolled)
    live = uow.enrolment(nip)
    assert live is not None
    uow.move(live, "withdrawn", final=True, frees_seat=True, completes=False)
    uow.set_project(nip, OTHER_PROJECT)
    uow.set_score(nip, "overall", 10.0)
    uow.set_group(nip, 9)
    uow.record(_entry(uow.next_seq(), nip, event="withdraw", source="proposal"))
    uow.remember("key-written", "fp", enrolled)


def _crash_after_everything(store: Store, nip: str, newcomer: Participant) -> None:
    """Make every kind of write, then raise before committing."""
    with store.unit(CODE) as uow:
        _write_everything(uow, nip, newcomer)
        raise _Crash


def _set_up_rich(store: Store) -> tuple[Participant, Participant]:
    """Two enrolments in CODE, one moved, revised, projected, scored and grouped."""
    store.add_cohort(make_cohort(CODE))
    a, b = _person(DINKES), _person(BKD)
    _enrol(store, a)
    _enrol(store, b)
    _move(store, a.nip, "on_class")
    _move(store, a.nip, "proposal")
    _move(store, a.nip, "proposal")
    with store.unit(CODE) as uow:
        uow.set_project(a.nip, PROJECT)
        uow.set_score(a.nip, "paper", 77.5)
        uow.set_score(a.nip, "seminar", 88.25)
        uow.set_group(a.nip, 2)
        uow.commit()
    return a, b


class _Stores:
    """The stores one test opened; each is closed once, at the latest at teardown."""

    def __init__(self, factory: Callable[[], Store]) -> None:
        self._factory = factory
        self._open: list[Store] = []

    def open(self, factory: Callable[[], Store] | None = None) -> Store:
        """Open a store with ``factory`` (the binding's ``make_store`` by default)."""
        store = (factory or self._factory)()
        self._open.append(store)
        return store

    def close(self, store: Store) -> None:
        """Close one store now."""
        self._open.remove(store)
        store.close()

    def close_all(self) -> None:
        """Close every store still open, newest first."""
        while self._open:
            self._open.pop().close()


class _Backend:
    """Fixtures every contract shares; a binding overrides ``make_store`` only."""

    @pytest.fixture
    def make_store(self) -> Callable[[], Store]:
        """A callable returning a new, empty store; every backend binding overrides this."""
        raise NotImplementedError

    @pytest.fixture
    def stores(self, make_store: Callable[[], Store]) -> Iterator[_Stores]:
        """Tracks the stores a test opens and closes them at teardown."""
        tracker = _Stores(make_store)
        yield tracker
        tracker.close_all()

    @pytest.fixture
    def store(self, stores: _Stores) -> Store:
        """The test's store, from ``make_store``."""
        return stores.open()


# -- the store contract ------------------------------------------------------------------


class StoreContract(_Backend):
    """What every :class:`~changeflow.store.base.Store` must do, through its protocol only."""

    @pytest.fixture
    def cohort(self, store: Store) -> Cohort:
        """The 2019 cohort, added to the store."""
        cohort = make_cohort(CODE)
        store.add_cohort(cohort)
        return cohort

    # cohorts

    def test_new_store_is_empty(self, store: Store) -> None:
        """A fresh store has no cohorts and no offices."""
        assert store.cohorts() == []
        assert store.offices() == []
        assert store.history() == []

    def test_added_cohort_is_returned_equal(self, store: Store) -> None:
        """cohort() returns the added cohort unchanged, coach and every parameter included."""
        rich = _rich_cohort()
        store.add_cohort(rich)
        got = store.cohort(CODE)
        assert got == rich
        assert got.parameters.grading.weights == {"paper": 0.4, "seminar": 0.6}
        assert got.parameters.eligible_ranks == frozenset({"III.a", "administrator"})

    def test_add_cohort_twice_raises_already_exists(self, store: Store) -> None:
        """A second cohort with a taken code raises AlreadyExists and the first one stays."""
        store.add_cohort(make_cohort(CODE))
        with pytest.raises(AlreadyExists) as caught:
            store.add_cohort(_rich_cohort(CODE))
        assert (caught.value.kind, caught.value.key) == ("cohort", CODE)
        assert store.cohort(CODE) == make_cohort(CODE)
        assert store.cohorts() == [make_cohort(CODE)]

    def test_unknown_cohort_raises_cohort_not_found(self, store: Store) -> None:
        """cohort() of an unknown code raises CohortNotFound naming the code."""
        store.add_cohort(make_cohort(CODE))
        with pytest.raises(CohortNotFound) as caught:
            store.cohort("PKA-NOPE")
        assert caught.value.key == "PKA-NOPE"

    def test_cohorts_are_sorted_by_code(self, store: Store) -> None:
        """cohorts() lists every cohort by code, whatever the order they were added in."""
        for code in ("PKA-B", "PKA-C", "PKA-A"):
            store.add_cohort(make_cohort(code))
        assert [c.code for c in store.cohorts()] == ["PKA-A", "PKA-B", "PKA-C"]

    def test_unit_on_unknown_cohort_raises(self, store: Store) -> None:
        """Opening a unit of work on an unknown cohort raises CohortNotFound."""
        store.add_cohort(make_cohort(CODE))
        with pytest.raises(CohortNotFound), store.unit("PKA-NOPE"):
            pass

    def test_unit_exposes_its_cohort(self, store: Store, cohort: Cohort) -> None:
        """A unit's ``cohort`` attribute is the stored cohort."""
        with store.unit(CODE) as uow:
            assert uow.cohort == cohort

    # units of work: rollback and read-your-writes

    def test_unit_without_commit_rolls_back_everything(self, store: Store, cohort: Cohort) -> None:
        """A unit left without commit undoes every write: enrolment, office, audit, key."""
        person = _person(BKD)
        with store.unit(CODE) as uow:
            assert uow.office(BKD, create=True) == BKD
            uow.add(Enrolment(CODE, person, "enrolled"))
            uow.record(_entry(uow.next_seq(), person.nip))
            uow.remember("key", "fp", _entry(1, person.nip))
            uow.set_project(person.nip, PROJECT)
            assert uow.enrolment(person.nip) is not None
        assert store.enrolments(cohort.code) == []
        assert store.history(cohort=CODE) == []
        assert store.history(nip=person.nip) == []
        assert store.offices() == []
        assert store.head(CODE) == Checkpoint(CODE, 0, GENESIS)
        assert _seats(store, office="BKD") == (0, 0)
        assert _standing(store, person.nip) == Standing()
        assert _recall(store, "key") is None
        assert _next_seq(store) == 1
        with pytest.raises(ParticipantNotFound):
            store.enrolment(CODE, person.nip)

    def test_exception_inside_unit_rolls_back_and_propagates(
        self, store: Store, cohort: Cohort
    ) -> None:
        """An exception inside ``with`` propagates and leaves every committed value as it was."""
        person = _person(DINKES)
        _enrol(store, person)
        _move(store, person.nip, "on_class")
        _move(store, person.nip, "proposal")
        with store.unit(CODE) as uow:
            uow.set_project(person.nip, PROJECT)
            uow.set_score(person.nip, "overall", 80.0)
            uow.set_group(person.nip, 1)
            kept = _entry(uow.next_seq(), person.nip, event="note", source="proposal")
            uow.record(kept)
            uow.remember("kept", "fp", kept)
            uow.commit()
        before = _observed(store, cohort.code)
        standing = _standing(store, person.nip)
        newcomer = _person(BKD)
        with pytest.raises(_Crash):
            _crash_after_everything(store, person.nip, newcomer)
        assert _observed(store, cohort.code) == before
        assert _standing(store, person.nip) == standing == Standing(active_in=CODE)
        assert _standing(store, newcomer.nip) == Standing()
        assert _recall(store, "key-written") is None
        assert _recall(store, "kept") == ("fp", kept)
        assert store.enrolment(CODE, person.nip) == Enrolment(
            CODE, person, "proposal", 3, 0, PROJECT, {"overall": 80.0}, 1
        )

    def test_committed_unit_keeps_every_write(self, store: Store, cohort: Cohort) -> None:
        """After commit every write of the unit is visible outside it."""
        person = _person(DINKES)
        _enrol(store, person)
        _move(store, person.nip, "on_class")
        _move(store, person.nip, "proposal")
        newcomer = _person(BKD)
        with store.unit(CODE) as uow:
            _write_everything(uow, person.nip, newcomer)
            uow.commit()
        assert store.enrolment(CODE, person.nip) == Enrolment(
            CODE, person, "withdrawn", 4, 0, OTHER_PROJECT, {"overall": 10.0}, 9
        )
        assert store.enrolment(CODE, newcomer.nip) == Enrolment(CODE, newcomer, "enrolled")
        assert [e.seq for e in store.history(cohort=cohort.code)] == [1, 2, 3, 4, 5]
        assert store.offices() == [BKD, DINKES]
        assert _seats(store) == (1, 0)
        assert _seats(store, office="BKD") == (1, 1)
        assert _standing(store, person.nip) == Standing()
        assert _standing(store, newcomer.nip) == Standing(active_in=CODE)
        assert _recall(store, "key-written") == ("fp", _entry(4, newcomer.nip))

    def test_unit_reads_its_own_writes(self, store: Store, cohort: Cohort) -> None:
        """Inside a unit, enrolment(), enrolments(), seats, standing and next_seq see its writes."""
        first, second = _person(DINKES), _person(DINKES)
        with store.unit(cohort.code) as uow:
            assert uow.enrolment(first.nip) is None
            assert list(uow.enrolments()) == []
            assert uow.next_seq() == 1
            uow.office(DINKES, create=True)
            uow.add(Enrolment(CODE, first, "enrolled"))
            uow.record(_entry(uow.next_seq(), first.nip))
            assert uow.next_seq() == 2
            uow.add(Enrolment(CODE, second, "enrolled"))
            uow.record(_entry(uow.next_seq(), second.nip))
            assert uow.next_seq() == 3
            assert uow.seated(CODE) == 2
            assert uow.seated_from_office(CODE, "DINKES") == 2
            live = uow.enrolment(first.nip)
            assert live is not None
            uow.move(live, "on_class", final=False, frees_seat=False, completes=False)
            moved = uow.enrolment(first.nip)
            assert moved is not None
            assert (moved.state, moved.version) == ("on_class", 2)
            assert [e.nip for e in uow.enrolments(["on_class"])] == [first.nip]
            assert [e.nip for e in uow.enrolments(["enrolled"])] == [second.nip]
            uow.set_score(first.nip, "overall", 71.0)
            scored = uow.enrolment(first.nip)
            assert scored is not None
            assert scored.scores == {"overall": 71.0}
            assert uow.standing(second.nip) == Standing(active_in=CODE)
            uow.remember("k", "fp", _entry(1, first.nip))
            assert uow.recall("k") == ("fp", _entry(1, first.nip))
            uow.commit()
        assert store.history(cohort=CODE) == [_entry(1, first.nip), _entry(2, second.nip)]

    def test_enrolments_filter_by_states(self, store: Store, cohort: Cohort) -> None:
        """uow.enrolments(states) yields only those states, all with None, none with ()."""
        people = [_person(office(i)) for i in range(4)]
        for person in people:
            _enrol(store, person)
        _move(store, people[1].nip, "on_class")
        _move(store, people[3].nip, "on_class")
        _move(store, people[2].nip, "withdrawn", final=True, frees_seat=True)
        with store.unit(cohort.code) as uow:
            assert [e.nip for e in uow.enrolments()] == [p.nip for p in people]
            assert [e.nip for e in uow.enrolments(None)] == [p.nip for p in people]
            assert [e.nip for e in uow.enrolments(["on_class"])] == [
                people[1].nip,
                people[3].nip,
            ]
            assert {e.nip for e in uow.enrolments({"enrolled", "withdrawn"})} == {
                people[0].nip,
                people[2].nip,
            }
            assert list(uow.enrolments(())) == []
            assert list(uow.enrolments(["graduated"])) == []

    def test_enrolments_are_listed_in_enrolment_order(self, store: Store, cohort: Cohort) -> None:
        """store.enrolments() and uow.enrolments() follow enrolment order, not NIP order."""
        nips = [make_nip(sequence=n) for n in (500, 100, 900, 300)]
        for i, nip in enumerate(nips):
            _enrol(store, _person(office(i), nip=nip))
        _move(store, nips[2], "on_class")
        assert [e.nip for e in store.enrolments(cohort.code)] == nips
        with store.unit(CODE) as uow:
            assert [e.nip for e in uow.enrolments()] == nips

    def test_enrolment_round_trips_its_participant(self, store: Store, cohort: Cohort) -> None:
        """An enrolment comes back equal: participant fields, office name, state and counters."""
        person = Participant(
            nip=make_nip(sequence=42),
            name="Dra. Sri Wahyuni, M.Si.",
            office=DISPENDUK,
            echelon="administrator",
            retirement_age=60,
        )
        _enrol(store, person)
        got = store.enrolment(cohort.code, person.nip)
        assert got == Enrolment(CODE, person, "enrolled", 1, 0, None, None, None)
        assert got.participant.birth_date == person.birth_date
        assert got.participant.office.name == DISPENDUK.name
        assert store.enrolments(CODE) == [got]

    def test_store_enrolment_of_unknown_nip_raises(self, store: Store, cohort: Cohort) -> None:
        """store.enrolment() of a NIP not enrolled in the cohort raises ParticipantNotFound."""
        store.add_cohort(make_cohort(OTHER))
        person = _person()
        _enrol(store, person, cohort=OTHER)
        with pytest.raises(ParticipantNotFound):
            store.enrolment(cohort.code, person.nip)
        assert store.enrolment(OTHER, person.nip).state == "enrolled"

    # seats, moves and standing

    def test_add_takes_a_seat_and_makes_the_person_active(
        self, store: Store, cohort: Cohort
    ) -> None:
        """add() takes a seat in the cohort and the office, and sets standing.active_in."""
        person = _person(DINKES)
        assert _seats(store) == (0, 0)
        assert _standing(store, person.nip) == Standing()
        _enrol(store, person)
        assert _seats(store, cohort.code) == (1, 1)
        assert _seats(store, office="BKD") == (1, 0)
        assert _standing(store, person.nip) == Standing(active_in=CODE)

    def test_seats_are_counted_per_cohort_and_per_office(
        self, store: Store, cohort: Cohort
    ) -> None:
        """Seat counts separate cohorts and offices."""
        store.add_cohort(make_cohort(OTHER))
        _enrol(store, _person(DINKES))
        _enrol(store, _person(DINKES))
        _enrol(store, _person(BKD))
        _enrol(store, _person(BKD), cohort=OTHER)
        assert _seats(store, cohort.code) == (3, 2)
        assert _seats(store, CODE, "BKD") == (3, 1)
        assert _seats(store, OTHER, "BKD") == (1, 1)
        assert _seats(store, OTHER, "DINKES") == (1, 0)

    def test_move_changes_state_and_bumps_version(self, store: Store, cohort: Cohort) -> None:
        """move() sets the state and adds one to the version, leaving revisions and seat alone."""
        person = _person()
        _enrol(store, person)
        _move(store, person.nip, "on_class")
        got = store.enrolment(cohort.code, person.nip)
        assert (got.state, got.version, got.revisions) == ("on_class", 2, 0)
        _move(store, person.nip, "proposal")
        got = store.enrolment(CODE, person.nip)
        assert (got.state, got.version, got.revisions) == ("proposal", 3, 0)
        assert _seats(store) == (1, 1)
        assert _standing(store, person.nip) == Standing(active_in=CODE)

    def test_reflexive_move_counts_a_revision(self, store: Store, cohort: Cohort) -> None:
        """A move to the current state adds one to revisions as well as to the version."""
        person = _person()
        _enrol(store, person)
        _move(store, person.nip, "proposal")
        _move(store, person.nip, "proposal")
        _move(store, person.nip, "proposal")
        got = store.enrolment(cohort.code, person.nip)
        assert (got.state, got.version, got.revisions) == ("proposal", 4, 2)

    def test_final_move_clears_active_in_but_keeps_the_seat(
        self, store: Store, cohort: Cohort
    ) -> None:
        """final=True alone ends the person's activity; the seat stays taken."""
        person = _person()
        _enrol(store, person)
        _move(store, person.nip, "not_passed", final=True)
        assert _standing(store, person.nip) == Standing()
        assert _seats(store, cohort.code) == (1, 1)

    def test_seat_freeing_move_releases_the_seat(self, store: Store, cohort: Cohort) -> None:
        """frees_seat=True releases the cohort seat and the office seat."""
        stays, leaves = _person(DINKES), _person(DINKES)
        _enrol(store, stays)
        _enrol(store, leaves)
        _move(store, leaves.nip, "withdrawn", final=True, frees_seat=True)
        assert _seats(store, cohort.code) == (1, 1)
        assert _standing(store, leaves.nip) == Standing()
        assert _standing(store, stays.nip) == Standing(active_in=CODE)
        assert store.enrolment(CODE, leaves.nip).state == "withdrawn"

    def test_completing_move_sets_completed_in(self, store: Store, cohort: Cohort) -> None:
        """completes=True records the cohort as the one the person completed."""
        person = _person()
        _enrol(store, person)
        _move(store, person.nip, "graduated", final=True, completes=True)
        assert _standing(store, person.nip) == Standing(active_in=None, completed_in=cohort.code)
        assert _seats(store) == (1, 1)

    def test_standing_spans_cohorts(self, store: Store, cohort: Cohort) -> None:
        """Standing is the person's record across cohorts, the same from a unit on either."""
        store.add_cohort(make_cohort(OTHER))
        person = _person()
        _enrol(store, person, cohort=OTHER)
        assert _standing(store, person.nip, cohort.code) == Standing(active_in=OTHER)
        _move(store, person.nip, "graduated", cohort=OTHER, final=True, completes=True)
        assert _standing(store, person.nip, CODE) == Standing(completed_in=OTHER)
        _enrol(store, person, cohort=CODE)
        expected = Standing(active_in=CODE, completed_in=OTHER)
        assert _standing(store, person.nip, CODE) == expected
        assert _standing(store, person.nip, OTHER) == expected

    def test_one_person_is_active_in_one_cohort_at_most(self, store: Store, cohort: Cohort) -> None:
        """Adding someone active elsewhere raises ConcurrentTransition and changes nothing."""
        store.add_cohort(make_cohort(OTHER))
        person = _person()
        _enrol(store, person, cohort=OTHER)
        with store.unit(cohort.code) as uow:
            uow.office(person.office, create=True)
            with pytest.raises(ConcurrentTransition):
                uow.add(Enrolment(cohort.code, person, "enrolled"))
        assert _standing(store, person.nip) == Standing(active_in=OTHER)
        assert store.enrolments(cohort.code) == []
        assert _seats(store, cohort.code) == (0, 0)

    def test_moving_a_stale_copy_raises_concurrent_transition(
        self, store: Store, cohort: Cohort
    ) -> None:
        """A move made from an out-of-date copy is refused by commit at the latest."""
        person = _person()
        _enrol(store, person)
        stale = store.enrolment(cohort.code, person.nip)
        _move(store, person.nip, "on_class")
        # Memory refuses at once; SQL when the buffered update is flushed at commit.
        with store.unit(cohort.code) as uow, pytest.raises(ConcurrentTransition):  # noqa: PT012
            uow.move(stale, "withdrawn", final=True, frees_seat=True, completes=False)
            uow.commit()
        got = store.enrolment(cohort.code, person.nip)
        assert (got.state, got.version) == ("on_class", 2)
        assert _seats(store, cohort.code) == (1, 1)
        assert _standing(store, person.nip) == Standing(active_in=CODE)

    def test_rolled_back_completion_keeps_an_earlier_one(
        self, store: Store, cohort: Cohort
    ) -> None:
        """Undoing a completion in one cohort leaves the completion recorded in another."""
        store.add_cohort(make_cohort(OTHER))
        person = _person()
        _enrol(store, person, cohort=OTHER)
        _move(store, person.nip, "graduated", cohort=OTHER, final=True, completes=True)
        _enrol(store, person)
        with store.unit(cohort.code) as uow:
            live = uow.enrolment(person.nip)
            assert live is not None
            uow.move(live, "graduated", final=True, frees_seat=False, completes=True)
        assert _standing(store, person.nip) == Standing(active_in=CODE, completed_in=OTHER)

    def test_standing_of_a_stranger_is_empty(self, store: Store, cohort: Cohort) -> None:
        """A NIP the store has never seen stands nowhere."""
        _enrol(store, _person())
        assert _standing(store, make_nip(sequence=999), cohort.code) == Standing()

    # project, scores and group

    def test_set_project_registers_and_replaces(self, store: Store, cohort: Cohort) -> None:
        """set_project() stores the project, mentor included; a second call replaces it."""
        person = _person()
        _enrol(store, person)
        with store.unit(cohort.code) as uow:
            uow.set_project(person.nip, PROJECT)
            uow.commit()
        assert store.enrolment(CODE, person.nip).project == PROJECT
        with store.unit(CODE) as uow:
            uow.set_project(person.nip, OTHER_PROJECT)
            uow.commit()
        got = store.enrolment(CODE, person.nip)
        assert got.project == OTHER_PROJECT
        assert got.version == 1

    def test_set_score_merges_components(self, store: Store, cohort: Cohort) -> None:
        """set_score() adds a component beside the others and replaces one already scored."""
        person = _person()
        _enrol(store, person)
        with store.unit(cohort.code) as uow:
            uow.set_score(person.nip, "paper", 70.0)
            uow.commit()
        with store.unit(CODE) as uow:
            uow.set_score(person.nip, "seminar", 88.75)
            uow.commit()
        assert store.enrolment(CODE, person.nip).scores == {"paper": 70.0, "seminar": 88.75}
        with store.unit(CODE) as uow:
            uow.set_score(person.nip, "paper", 91.5)
            uow.commit()
        assert store.enrolment(CODE, person.nip).scores == {"paper": 91.5, "seminar": 88.75}

    def test_set_group_places_and_clears(self, store: Store, cohort: Cohort) -> None:
        """set_group() places a participant in a group; None takes them out again."""
        person = _person()
        _enrol(store, person)
        with store.unit(cohort.code) as uow:
            uow.set_group(person.nip, 3)
            uow.commit()
        assert store.enrolment(CODE, person.nip).group == 3
        with store.unit(CODE) as uow:
            uow.set_group(person.nip, None)
            uow.commit()
        assert store.enrolment(CODE, person.nip).group is None

    @pytest.mark.parametrize(
        "write",
        [
            pytest.param(lambda uow, nip: uow.set_project(nip, PROJECT), id="set_project"),
            pytest.param(lambda uow, nip: uow.set_score(nip, "overall", 80.0), id="set_score"),
            pytest.param(lambda uow, nip: uow.set_group(nip, 1), id="set_group"),
        ],
    )
    def test_setters_refuse_a_nip_not_in_the_cohort(
        self, store: Store, cohort: Cohort, write: Callable[[Unit, str], None]
    ) -> None:
        """Setting data for a NIP not enrolled in the unit's cohort raises ParticipantNotFound."""
        store.add_cohort(make_cohort(OTHER))
        elsewhere = _person()
        _enrol(store, elsewhere, cohort=OTHER)
        for nip in (make_nip(sequence=998), elsewhere.nip):
            with store.unit(cohort.code) as uow, pytest.raises(ParticipantNotFound):
                write(uow, nip)
        assert store.enrolment(OTHER, elsewhere.nip) == Enrolment(OTHER, elsewhere, "enrolled")

    # the audit trail

    def test_seq_is_contiguous_from_one_per_cohort(self, store: Store, cohort: Cohort) -> None:
        """Each cohort's trail numbers its entries 1, 2, 3 ... on its own."""
        store.add_cohort(make_cohort(OTHER))
        for i in range(3):
            _enrol(store, _person(office(i)), cohort=cohort.code)
            _enrol(store, _person(office(i)), cohort=OTHER)
        assert [e.seq for e in store.history(cohort=CODE)] == [1, 2, 3]
        assert [e.seq for e in store.history(cohort=OTHER)] == [1, 2, 3]
        assert _next_seq(store, CODE) == _next_seq(store, OTHER) == 4

    def test_history_filters_by_nip_and_cohort(self, store: Store, cohort: Cohort) -> None:
        """history(nip=..., cohort=...) keeps the matching entries, oldest first."""
        store.add_cohort(make_cohort(OTHER))
        a, b = _person(DINKES), _person(BKD)
        hour = timedelta(hours=1)
        a1 = _enrol(store, a, cohort=OTHER, at=AT)
        b1 = _enrol(store, b, at=AT + hour)
        a2 = _move(
            store, a.nip, "graduated", cohort=OTHER, final=True, completes=True, at=AT + 2 * hour
        )
        a3 = _enrol(store, a, at=AT + 3 * hour)
        b2 = _move(store, b.nip, "on_class", at=AT + 4 * hour)
        a4 = _move(store, a.nip, "on_class", at=AT + 5 * hour)
        assert store.history(nip=a.nip) == [a1, a2, a3, a4]
        assert store.history(nip=a.nip, cohort=cohort.code) == [a3, a4]
        assert store.history(nip=a.nip, cohort=OTHER) == [a1, a2]
        assert store.history(nip=b.nip) == [b1, b2]
        assert store.history(nip=b.nip, cohort=OTHER) == []
        assert store.history(cohort=CODE) == [b1, a3, b2, a4]
        assert store.history(cohort=OTHER) == [a1, a2]
        assert store.history() == [a1, b1, a2, a3, b2, a4]
        assert store.history(nip=make_nip(sequence=997)) == []

    def test_history_of_a_cohort_keeps_seq_order_when_times_tie(
        self, store: Store, cohort: Cohort
    ) -> None:
        """Entries recorded at the same instant come back in sequence order."""
        people = [_person(office(i)) for i in range(5)]
        with store.unit(cohort.code) as uow:
            for person in people:
                uow.office(person.office, create=True)
                uow.add(Enrolment(CODE, person, "enrolled"))
                uow.record(_entry(uow.next_seq(), person.nip))
            uow.commit()
        assert [e.nip for e in store.history(cohort=CODE)] == [p.nip for p in people]
        assert [e.seq for e in store.history()] == [1, 2, 3, 4, 5]

    @pytest.mark.parametrize("build", ROUND_TRIPS)
    def test_history_entry_round_trips_exactly(
        self, store: Store, cohort: Cohort, build: Callable[[int, str], HistoryEntry]
    ) -> None:
        """An entry comes back equal in every field and type, and hashes the same."""
        nip = make_nip(sequence=7)
        with store.unit(cohort.code) as uow:
            entry = build(uow.next_seq(), nip)
            uow.record(entry)
            uow.commit()
        for got in (store.history(cohort=CODE)[0], store.history(nip=nip)[0], store.history()[0]):
            assert isinstance(got, HistoryEntry)
            assert got == entry
            assert got.to_dict() == entry.to_dict()
            assert isinstance(got.violations, tuple)
            assert all(isinstance(v, Violation) for v in got.violations)
            assert type(got.at) is datetime
            assert got.effective_date is None or type(got.effective_date) is date
            assert chain_hash(GENESIS, got) == chain_hash(GENESIS, entry)
        [(stored, _hash)] = store.trail(CODE)
        assert stored == entry
        assert stored.to_dict() == entry.to_dict()

    def test_history_time_is_utc_to_the_microsecond(self, store: Store, cohort: Cohort) -> None:
        """``at`` comes back timezone-aware, in UTC, microseconds kept."""
        person = _person()
        _enrol(store, person, at=datetime(2019, 12, 31, 23, 59, 59, 999999, tzinfo=UTC))
        [got] = store.history(cohort=cohort.code)
        assert got.at == datetime(2019, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
        assert got.at.utcoffset() == timedelta(0)
        assert got.at.microsecond == 999999
        assert got.at.isoformat() == "2019-12-31T23:59:59.999999+00:00"

    # idempotency keys

    def test_remember_and_recall_a_single_entry(self, store: Store, cohort: Cohort) -> None:
        """A key recalls its fingerprint and the one entry remembered with it."""
        entry = _full_entry(1, make_nip(sequence=11))
        with store.unit(cohort.code) as uow:
            assert uow.recall("fire-1") is None
            uow.record(entry)
            uow.remember("fire-1", "f" * 64, entry)
            uow.commit()
        remembered = _recall(store, "fire-1")
        assert remembered == ("f" * 64, entry)
        assert isinstance(remembered[1], HistoryEntry)
        assert remembered[1].to_dict() == entry.to_dict()

    def test_remember_and_recall_a_tuple_of_entries(self, store: Store, cohort: Cohort) -> None:
        """A key recalls a tuple of entries in order; empty and one-entry tuples stay tuples."""
        nips = [make_nip(sequence=n) for n in (21, 22, 23)]
        with store.unit(cohort.code) as uow:
            entries = [
                _entry(1, nips[0], event="start_class", source="enrolled"),
                _full_entry(2, nips[1]),
                _entry(3, nips[2], event="start_class", source="enrolled", target="on_class"),
            ]
            for entry in entries:
                uow.record(entry)
            uow.remember("advance-1", "a" * 64, tuple(entries))
            uow.remember("advance-empty", "b" * 64, ())
            uow.remember("advance-one", "c" * 64, (entries[1],))
            uow.commit()
        remembered = _recall(store, "advance-1")
        assert remembered == ("a" * 64, tuple(entries))
        assert type(remembered[1]) is tuple
        assert _recall(store, "advance-empty") == ("b" * 64, ())
        one = _recall(store, "advance-one")
        assert one == ("c" * 64, (entries[1],))
        assert type(one[1]) is tuple

    def test_recall_of_an_unknown_key_is_none(self, store: Store, cohort: Cohort) -> None:
        """A key never remembered recalls nothing."""
        with store.unit(cohort.code) as uow:
            entry = _entry(uow.next_seq(), make_nip(sequence=1))
            uow.record(entry)
            uow.remember("known", "fp", entry)
            uow.commit()
        assert _recall(store, "unknown") is None
        assert _recall(store, "known") is not None

    def test_remember_rolls_back(self, store: Store, cohort: Cohort) -> None:
        """A key remembered in a unit that does not commit is forgotten."""
        with store.unit(cohort.code) as uow:
            entry = _entry(uow.next_seq(), make_nip(sequence=1))
            uow.record(entry)
            uow.remember("lost", "fp", entry)
            assert uow.recall("lost") == ("fp", entry)
        assert _recall(store, "lost") is None
        assert store.history(cohort=CODE) == []

    # offices

    def test_office_lookup_without_create_creates_nothing(
        self, store: Store, cohort: Cohort
    ) -> None:
        """office(create=False) of an unknown code returns None and stores nothing."""
        with store.unit(cohort.code) as uow:
            assert uow.office(DINKES, create=False) is None
            uow.commit()
        assert store.offices() == []

    def test_office_is_created_once_and_keeps_its_first_name(
        self, store: Store, cohort: Cohort
    ) -> None:
        """office(create=True) stores the office on first use; later lookups return that one."""
        renamed = Office(code="DINKES", name="Dinas Kesehatan Kabupaten")
        with store.unit(cohort.code) as uow:
            assert uow.office(DINKES, create=True) == DINKES
            assert uow.office(renamed, create=False) == DINKES
            uow.commit()
        with store.unit(CODE) as uow:
            assert uow.office(renamed, create=True) == DINKES
            assert uow.office(renamed, create=False) == DINKES
            uow.commit()
        assert store.offices() == [DINKES]

    def test_office_of_a_rolled_back_unit_can_be_created_again(
        self, store: Store, cohort: Cohort
    ) -> None:
        """An office created in a unit that did not commit is unknown after it, and creatable."""
        person = _person(BKD)
        with store.unit(cohort.code) as uow:
            uow.office(BKD, create=True)
            uow.add(Enrolment(CODE, person, "enrolled"))
        with pytest.raises(_Crash):
            _crash_after_everything(store, _enrol(store, _person(DINKES)).nip, person)
        with store.unit(CODE) as uow:
            assert uow.office(BKD, create=False) is None
        _enrol(store, person)
        assert store.offices() == [BKD, DINKES]
        assert store.enrolment(CODE, person.nip) == Enrolment(CODE, person, "enrolled")
        assert _seats(store, office="BKD") == (2, 1)

    def test_offices_are_sorted_by_code(self, store: Store, cohort: Cohort) -> None:
        """offices() lists every stored office by code."""
        with store.unit(cohort.code) as uow:
            for known in (DISPENDUK, BKD, DINKES):
                uow.office(known, create=True)
            uow.commit()
        assert store.offices() == [BKD, DINKES, DISPENDUK]

    # the hash chain

    def test_head_of_an_empty_cohort_is_genesis(self, store: Store, cohort: Cohort) -> None:
        """A cohort without entries has an empty trail and the head (0, GENESIS)."""
        assert store.trail(cohort.code) == []
        assert store.head(CODE) == Checkpoint(CODE, 0, GENESIS)
        assert verify_chain(CODE, store.trail(CODE), store.head(CODE)).ok

    def test_trail_rows_form_a_valid_chain(self, store: Store, cohort: Cohort) -> None:
        """trail() returns (entry, hash) rows in order; the hashes chain up to head()."""
        people = [_person(office(i)) for i in range(3)]
        for person in people:
            _enrol(store, person)
        _move(store, people[0].nip, "on_class")
        with store.unit(cohort.code) as uow:
            uow.record(_full_entry(uow.next_seq(), people[1].nip))
            uow.commit()
        rows = store.trail(CODE)
        assert [entry for entry, _ in rows] == store.history(cohort=CODE)
        assert len(rows) == 5
        _assert_chain(store, CODE)

    def test_trails_are_chained_per_cohort(self, store: Store, cohort: Cohort) -> None:
        """Each cohort's chain starts at GENESIS and is unaffected by the other's writes."""
        store.add_cohort(make_cohort(OTHER))
        _enrol(store, _person(DINKES))
        head = store.head(cohort.code)
        _enrol(store, _person(BKD), cohort=OTHER)
        _enrol(store, _person(BKD), cohort=OTHER)
        assert store.head(CODE) == head
        assert store.head(OTHER).seq == 2
        [(first, digest)] = store.trail(CODE)
        assert digest == chain_hash(GENESIS, first)
        _assert_chain(store, CODE)
        _assert_chain(store, OTHER)

    def test_rolled_back_entries_leave_the_chain_alone(self, store: Store, cohort: Cohort) -> None:
        """Entries of a unit that does not commit neither join the trail nor move the head."""
        _enrol(store, _person())
        head = store.head(cohort.code)
        with store.unit(CODE) as uow:
            uow.record(_entry(uow.next_seq(), make_nip(sequence=5)))
        assert store.head(CODE) == head
        assert len(store.trail(CODE)) == 1
        _enrol(store, _person(BKD))
        assert store.head(CODE).seq == 2
        _assert_chain(store, CODE)

    # snapshots and closing

    def test_enrolment_is_a_snapshot(self, store: Store, cohort: Cohort) -> None:
        """Mutating what enrolment() returned changes nothing stored, nor does a later write."""
        person = _person()
        _enrol(store, person)
        with store.unit(cohort.code) as uow:
            uow.set_score(person.nip, "overall", 80.0)
            uow.commit()
        snapshot = store.enrolment(CODE, person.nip)
        snapshot.state = "graduated"
        snapshot.version = 99
        assert snapshot.scores is not None
        snapshot.scores["overall"] = 0.0
        snapshot.scores["forged"] = 100.0
        assert store.enrolment(CODE, person.nip) == Enrolment(
            CODE, person, "enrolled", scores={"overall": 80.0}
        )
        kept = store.enrolment(CODE, person.nip)
        _move(store, person.nip, "on_class")
        assert (kept.state, kept.version) == ("enrolled", 1)

    def test_enrolments_and_history_are_snapshots(self, store: Store, cohort: Cohort) -> None:
        """Mutating the lists (and enrolments) returned changes nothing stored."""
        person = _person()
        _enrol(store, person)
        listed = store.enrolments(cohort.code)
        listed[0].group = 7
        listed.clear()
        history = store.history(cohort=CODE)
        history.clear()
        store.trail(CODE).clear()
        assert store.enrolments(CODE) == [Enrolment(CODE, person, "enrolled")]
        assert len(store.history(cohort=CODE)) == 1
        assert len(store.trail(CODE)) == 1

    def test_close_can_be_called(self, stores: _Stores) -> None:
        """close() releases the store without error, after use."""
        store = stores.open()
        store.add_cohort(make_cohort(CODE))
        _enrol(store, _person())
        stores.close(store)


# -- durability (backends that persist) --------------------------------------------------


class DurableStoreContract(_Backend):
    """What a persistent store keeps across a reopen; bound with a ``reopen`` fixture too."""

    @pytest.fixture
    def reopen(self) -> Callable[[], Store]:
        """A callable returning a new store over the same database as ``make_store``'s."""
        raise NotImplementedError

    def test_cohorts_survive_a_reopen(
        self, store: Store, stores: _Stores, reopen: Callable[[], Store]
    ) -> None:
        """Cohorts, every parameter included, are there after a reopen, sorted by code."""
        store.add_cohort(_rich_cohort(OTHER))
        store.add_cohort(make_cohort(CODE))
        stores.close(store)
        again = stores.open(reopen)
        assert again.cohorts() == [make_cohort(CODE), _rich_cohort(OTHER)]
        assert again.cohort(OTHER) == _rich_cohort(OTHER)
        with pytest.raises(AlreadyExists):
            again.add_cohort(make_cohort(CODE))

    def test_enrolments_survive_a_reopen(
        self, store: Store, stores: _Stores, reopen: Callable[[], Store]
    ) -> None:
        """Enrolments keep state, version, revisions, project, scores, group and their order."""
        a, b = _set_up_rich(store)
        expected = [
            Enrolment(CODE, a, "proposal", 4, 1, PROJECT, {"paper": 77.5, "seminar": 88.25}, 2),
            Enrolment(CODE, b, "enrolled"),
        ]
        assert store.enrolments(CODE) == expected
        again = stores.open(reopen)
        assert again.enrolments(CODE) == expected
        assert again.enrolment(CODE, a.nip) == expected[0]
        with again.unit(CODE) as uow:
            assert [e.nip for e in uow.enrolments(["proposal"])] == [a.nip]
            assert uow.enrolment(a.nip) == expected[0]

    def test_seats_and_standing_survive_a_reopen(
        self, store: Store, stores: _Stores, reopen: Callable[[], Store]
    ) -> None:
        """Seat counts and each person's standing are the same after a reopen."""
        store.add_cohort(make_cohort(CODE))
        store.add_cohort(make_cohort(OTHER))
        graduate, leaver, active = _person(DINKES), _person(DINKES), _person(BKD)
        for person in (graduate, leaver, active):
            _enrol(store, person, cohort=OTHER)
        _move(store, graduate.nip, "graduated", cohort=OTHER, final=True, completes=True)
        _move(store, leaver.nip, "withdrawn", cohort=OTHER, final=True, frees_seat=True)
        _enrol(store, leaver, cohort=CODE)
        again = stores.open(reopen)
        assert _seats(again, OTHER) == (2, 1)
        assert _seats(again, OTHER, "BKD") == (2, 1)
        assert _seats(again, CODE) == (1, 1)
        assert _standing(again, graduate.nip) == Standing(completed_in=OTHER)
        assert _standing(again, leaver.nip) == Standing(active_in=CODE)
        assert _standing(again, active.nip, OTHER) == Standing(active_in=OTHER)

    def test_history_survives_a_reopen_exactly(
        self, store: Store, stores: _Stores, reopen: Callable[[], Store]
    ) -> None:
        """Every field of every entry, the filters and the order are the same after a reopen."""
        a, b = _set_up_rich(store)
        with store.unit(CODE) as uow:
            uow.record(_full_entry(uow.next_seq(), b.nip))
            uow.commit()
        before = store.history(cohort=CODE)
        stores.close(store)
        again = stores.open(reopen)
        assert again.history(cohort=CODE) == before
        assert [e.to_dict() for e in again.history()] == [e.to_dict() for e in before]
        assert again.history(nip=a.nip) == [e for e in before if e.nip == a.nip]
        assert again.history(nip=b.nip, cohort=CODE) == [e for e in before if e.nip == b.nip]
        assert again.history(nip=b.nip)[-1].at.utcoffset() == timedelta(0)

    def test_idempotency_keys_survive_a_reopen(
        self, store: Store, stores: _Stores, reopen: Callable[[], Store]
    ) -> None:
        """Single-entry and tuple results are recalled after a reopen, equal in every field."""
        store.add_cohort(make_cohort(CODE))
        nip = make_nip(sequence=31)
        with store.unit(CODE) as uow:
            single = _full_entry(uow.next_seq(), nip)
            uow.record(single)
            batch = (_entry(2, nip), _entry(3, nip, event="start_class", source="enrolled"))
            for entry in batch:
                uow.record(entry)
            uow.remember("one", "1" * 64, single)
            uow.remember("many", "2" * 64, batch)
            uow.commit()
        stores.close(store)
        again = stores.open(reopen)
        assert _recall(again, "one") == ("1" * 64, single)
        assert _recall(again, "many") == ("2" * 64, batch)
        assert type(_recall(again, "many")[1]) is tuple
        assert _recall(again, "none") is None

    def test_chain_head_survives_a_reopen(
        self, store: Store, stores: _Stores, reopen: Callable[[], Store]
    ) -> None:
        """The trail and its head are the same after a reopen and still verify."""
        _set_up_rich(store)
        store.add_cohort(make_cohort(OTHER))
        trail, head = store.trail(CODE), store.head(CODE)
        stores.close(store)
        again = stores.open(reopen)
        assert again.trail(CODE) == trail
        assert again.head(CODE) == head
        assert again.head(OTHER) == Checkpoint(OTHER, 0, GENESIS)
        _assert_chain(again, CODE)

    def test_writes_after_a_reopen_continue_the_chain(
        self, store: Store, stores: _Stores, reopen: Callable[[], Store]
    ) -> None:
        """A reopened store numbers the next entry after the last and chains it to the head."""
        a, _ = _set_up_rich(store)
        head = store.head(CODE)
        stores.close(store)
        again = stores.open(reopen)
        assert _next_seq(again) == head.seq + 1
        entry = _move(again, a.nip, "laboratory")
        assert entry.seq == head.seq + 1
        assert again.trail(CODE)[-1][1] == chain_hash(head.hash, entry)
        _assert_chain(again, CODE)
        got = again.enrolment(CODE, a.nip)
        assert (got.state, got.version, got.revisions) == ("laboratory", 5, 1)

    def test_offices_survive_a_reopen(
        self, store: Store, stores: _Stores, reopen: Callable[[], Store]
    ) -> None:
        """Offices, with their first name, are there after a reopen."""
        _set_up_rich(store)
        stores.close(store)
        again = stores.open(reopen)
        assert again.offices() == [BKD, DINKES]
        with again.unit(CODE) as uow:
            assert uow.office(Office(code="DINKES", name="Renamed"), create=True) == DINKES

    def test_uncommitted_writes_do_not_survive_a_reopen(
        self, store: Store, stores: _Stores, reopen: Callable[[], Store]
    ) -> None:
        """Neither a unit left without commit nor one that raised leaves anything behind."""
        a, _ = _set_up_rich(store)
        before = _observed(store)
        newcomer = _person(DISPENDUK)
        with store.unit(CODE) as uow:
            _write_everything(uow, a.nip, newcomer)
        with pytest.raises(_Crash):
            _crash_after_everything(store, a.nip, newcomer)
        stores.close(store)
        again = stores.open(reopen)
        assert _observed(again) == before
        assert _recall(again, "key-written") is None
        assert _standing(again, newcomer.nip) == Standing()

    def test_engine_continues_over_a_reopened_store(
        self, store: Store, stores: _Stores, reopen: Callable[[], Store]
    ) -> None:
        """An engine over a reopened store replays keyed commands, moves on and verifies."""
        clock = FixedClock(AT)
        engine = Engine(store, clock=clock)
        engine.create_cohort(make_cohort(CODE))
        person = _person()
        engine.enrol(CODE, person, key="enrol-1")
        started = engine.fire(CODE, person.nip, "start_class", key="start-1")
        stores.close(store)
        later = Engine(stores.open(reopen), clock=clock.advance(days=1))
        assert later.fire(CODE, person.nip, "start_class", key="start-1") == started
        with pytest.raises(IdempotencyConflict):
            later.fire(CODE, person.nip, "withdraw", reason="transfer", key="start-1")
        later.register_project(CODE, person.nip, PROJECT)
        moved = later.fire(CODE, person.nip, "present_proposal")
        assert moved.seq == 3
        assert later.state(CODE, person.nip) == "proposal"
        assert [c.ok for c in later.verify()] == [True]
        assert later.checkpoints() == [later.store.head(CODE)]


# -- the engine over the store -----------------------------------------------------------

_TO_SEMINAR = ("start_class", "present_proposal", "approve_proposal", "present_results")


class EngineContract(_Backend):
    """The engine's behaviour over a backend: lifecycle, refusals, bulk, keys and audit."""

    @pytest.fixture
    def clock(self) -> FixedClock:
        """A clock at the 2019 cohort's first morning, with microseconds."""
        return FixedClock(datetime(2019, 4, 4, 8, 0, 0, 250000, tzinfo=UTC))

    @pytest.fixture
    def engine(self, store: Store, clock: FixedClock) -> Engine:
        """The default engine over the test's store."""
        return Engine(store, clock=clock)

    @pytest.fixture
    def code(self, engine: Engine) -> str:
        """The code of the 2019 cohort, created through the engine."""
        return engine.create_cohort(make_cohort(CODE)).code

    @staticmethod
    def _drive(engine: Engine, code: str, state: str, person: Participant | None = None) -> str:
        """Enrol a participant and walk the happy path to ``state``; return the NIP."""
        person = person or _person(office(len(engine.participants(code))))
        engine.enrol(code, person)
        route = {
            "enrolled": (),
            "on_class": _TO_SEMINAR[:1],
            "proposal": _TO_SEMINAR[:2],
            "laboratory": _TO_SEMINAR[:3],
            "seminar": _TO_SEMINAR,
        }[state]
        for event in route:
            if event == "present_proposal":
                engine.register_project(code, person.nip, PROJECT)
            engine.fire(code, person.nip, event)
        return person.nip

    @staticmethod
    def _observed(engine: Engine, code: str) -> tuple[object, ...]:
        """Everything observable about a cohort through the engine and the store."""
        store = engine.store
        return (
            [e.to_dict() for e in engine.participants(code)],
            engine.history(cohort=code),
            engine.status(code).to_dict(),
            store.head(code),
            store.offices(),
            _seats(store, code),
        )

    # the lifecycle

    def test_happy_path_to_graduation(self, engine: Engine, code: str, clock: FixedClock) -> None:
        """Enrolment to graduation is accepted step by step; the grade is recorded."""
        person = _person()
        payload = {"letter": "800/123/426.2019", "pages": [1, 2]}
        entries = [engine.enrol(code, person, actor="bkd", reason="nominated", payload=payload)]
        clock.advance(days=1)
        entries.append(engine.fire(code, person.nip, "start_class", actor="bkd"))
        engine.register_project(code, person.nip, PROJECT)
        entries.append(engine.fire(code, person.nip, "present_proposal"))
        entries.append(engine.fire(code, person.nip, "revise_proposal", reason="sharpen aims"))
        clock.advance(days=7)
        entries.append(engine.fire(code, person.nip, "approve_proposal", actor="mentor"))
        entries.append(
            engine.fire(code, person.nip, "present_results", effective_date=date(2019, 7, 1))
        )
        grade = engine.record_assessment(code, person.nip, 85)
        assert grade == Grade(score=85.0, band="memuaskan", passed=True)
        entries.append(engine.fire(code, person.nip, "graduate", actor="panel"))

        assert [e.target for e in entries] == [
            "enrolled",
            "on_class",
            "proposal",
            "proposal",
            "laboratory",
            "seminar",
            "graduated",
        ]
        assert all(e.accepted for e in entries)
        assert [e.seq for e in entries] == list(range(1, 8))
        assert dict(entries[0].payload or {}) == payload
        assert dict(entries[4].data or {}) == {"mentor": MENTOR.name}
        assert dict(entries[-1].data or {}) == {"score": 85.0, "grade": "memuaskan"}
        assert entries[5].effective_date == date(2019, 7, 1)
        assert engine.history(person.nip) == entries
        assert engine.history(cohort=code) == entries
        assert engine.participant(code, person.nip) == Enrolment(
            code, person, "graduated", 7, 1, PROJECT, {"overall": 85.0}, None
        )
        assert _standing(engine.store, person.nip, code) == Standing(completed_in=code)
        assert _seats(engine.store, code) == (1, 1)

    def test_graduate_and_active_person_cannot_enrol_elsewhere(
        self, engine: Engine, code: str
    ) -> None:
        """Standing read through the store refuses a second course for active or graduated."""
        engine.create_cohort(make_cohort(OTHER))
        active = _person(DINKES)
        engine.enrol(code, active)
        with pytest.raises(TransitionRejected) as caught:
            engine.enrol(OTHER, active)
        assert caught.value.codes == ("already_active",)
        graduate = self._drive(engine, code, "seminar", _person(BKD))
        engine.record_assessment(code, graduate, 91)
        engine.fire(code, graduate, "graduate")
        again = engine.participant(code, graduate).participant
        [violation] = engine.check_enrolment(OTHER, again)
        assert violation.code == "already_active"
        assert dict(violation.facts) == {"active_in": None, "completed_in": code}
        with pytest.raises(TransitionRejected):
            engine.enrol(OTHER, again)
        assert [e.outcome for e in engine.history(cohort=OTHER)] == ["refused", "refused"]

    def test_refused_transition_is_audited_and_changes_nothing_else(
        self, engine: Engine, code: str
    ) -> None:
        """A refused move raises with its violations, is audited, and leaves the rest as it was."""
        nip = self._drive(engine, code, "on_class")
        before = engine.participant(code, nip)
        with pytest.raises(TransitionRejected) as caught:
            engine.fire(code, nip, "present_proposal", actor="coach")
        assert caught.value.codes == ("change_project_missing",)
        assert engine.participant(code, nip) == before
        refused = engine.history(nip)[-1]
        assert (refused.outcome, refused.source, refused.target) == (
            "refused",
            "on_class",
            "proposal",
        )
        assert refused.violations == caught.value.violations
        assert refused.actor == "coach"
        assert refused.seq == 3
        assert engine.store.head(code).seq == 3
        assert [c.ok for c in engine.verify(code)] == [True]

    def test_refused_enrolment_leaves_no_participant_office_or_seat(
        self, engine: Engine, code: str
    ) -> None:
        """A refused nomination creates nothing but its audit entry."""
        person = _person(BKD, echelon="IV.a")
        before = self._observed(engine, code)
        with pytest.raises(TransitionRejected) as caught:
            engine.enrol(code, person)
        assert caught.value.codes == ("rank",)
        with pytest.raises(ParticipantNotFound):
            engine.participant(code, person.nip)
        assert engine.store.offices() == before[4] == []
        assert _seats(engine.store, code, "BKD") == (0, 0)
        assert _standing(engine.store, person.nip, code) == Standing()
        [entry] = engine.history(person.nip)
        assert (entry.event, entry.source, entry.target, entry.outcome) == (
            "enrol",
            None,
            "enrolled",
            "refused",
        )
        assert engine.participants(code) == []

    def test_office_quota_counts_seats_and_a_withdrawal_frees_one(
        self, engine: Engine, code: str
    ) -> None:
        """The third nominee of an office is refused until one of the first two withdraws."""
        first = self._drive(engine, code, "on_class", _person(DINKES))
        self._drive(engine, code, "enrolled", _person(DINKES))
        third = _person(DINKES)
        with pytest.raises(TransitionRejected) as caught:
            engine.enrol(code, third)
        assert caught.value.codes == ("office_quota",)
        assert dict(caught.value.violations[0].facts) == {
            "office": "DINKES",
            "taken": 2,
            "limit": 2,
        }
        engine.fire(code, first, "withdraw", reason="long-term medical treatment")
        assert engine.enrol(code, third).accepted
        assert _seats(engine.store, code) == (2, 2)

    def test_full_cohort_refuses_a_nominee(self, engine: Engine) -> None:
        """A cohort at capacity refuses the next nominee with cohort_capacity."""
        code = engine.create_cohort(make_cohort(OTHER, capacity=2)).code
        engine.enrol(code, _person(office(1)))
        engine.enrol(code, _person(office(2)))
        with pytest.raises(TransitionRejected) as caught:
            engine.enrol(code, _person(office(3)))
        assert caught.value.codes == ("cohort_capacity",)
        assert len(engine.participants(code)) == 2

    def test_illegal_transition_is_audited_without_a_target(
        self, engine: Engine, code: str
    ) -> None:
        """An event that does not leave the state raises IllegalTransition and is audited."""
        nip = self._drive(engine, code, "enrolled")
        with pytest.raises(IllegalTransition) as caught:
            engine.fire(code, nip, "graduate")
        assert caught.value.codes == ("illegal_transition",)
        entry = engine.history(nip)[-1]
        assert (entry.event, entry.source, entry.target, entry.outcome) == (
            "graduate",
            "enrolled",
            None,
            "refused",
        )
        assert dict(entry.violations[0].facts) == {
            "event": "graduate",
            "state": "enrolled",
            "allowed": ["start_class", "withdraw", "drop"],
        }
        assert engine.state(code, nip) == "enrolled"
        assert engine.participant(code, nip).version == 1

    def test_unknown_event_or_participant_writes_nothing(self, engine: Engine, code: str) -> None:
        """An unknown event or NIP raises before anything is audited."""
        nip = self._drive(engine, code, "enrolled")
        before = self._observed(engine, code)
        with pytest.raises(UnknownEvent):
            engine.fire(code, nip, "teleport")
        with pytest.raises(ParticipantNotFound):
            engine.fire(code, make_nip(sequence=996), "start_class")
        with pytest.raises(CohortNotFound):
            engine.fire("PKA-NOPE", nip, "start_class")
        assert self._observed(engine, code) == before

    def test_dry_runs_write_nothing(self, engine: Engine, code: str) -> None:
        """check(), available() and check_enrolment() change nothing in the store."""
        nip = self._drive(engine, code, "on_class")
        before = self._observed(engine, code)
        assert [v.code for v in engine.check(code, nip, "present_proposal")] == [
            "change_project_missing"
        ]
        assert engine.available(code, nip, reason="transfer") == ("withdraw", "drop")
        assert engine.check_enrolment(code, _person(BKD)) == ()
        assert self._observed(engine, code) == before

    def test_crash_midway_through_advance_undoes_the_batch(
        self, store: Store, clock: FixedClock
    ) -> None:
        """When a rule crashes for one participant of a bulk advance, nothing is written."""
        victims: set[str] = set()

        def picky(context: RuleContext) -> Verdict:
            """Crash for the chosen participant only."""
            if context.participant.nip in victims:
                raise _Crash(context.participant.nip)
            return Verdict()

        rules = RuleRegistry.default()
        rules.register("reason_required", picky, replace=True)
        engine = Engine(store, rules=rules, clock=clock)
        code = engine.create_cohort(make_cohort(CODE)).code
        nips = [self._drive(engine, code, "on_class") for _ in range(3)]
        victims.add(nips[1])
        before = self._observed(engine, code)
        with pytest.raises(RuleError) as caught:
            engine.advance(code, "drop", reason="cohort cancelled")
        assert isinstance(caught.value.cause, _Crash)
        assert self._observed(engine, code) == before

    # bulk

    def test_advance_with_mixed_outcomes(self, engine: Engine, code: str) -> None:
        """advance() moves the ready, audits the refused, skips other states, in one commit."""
        ready, bare, unmentored = (self._drive(engine, code, "on_class") for _ in range(3))
        waiting = self._drive(engine, code, "enrolled")
        engine.register_project(code, ready, PROJECT)
        engine.register_project(code, unmentored, OTHER_PROJECT)
        audited = len(engine.history(cohort=code))

        report = engine.advance(code, "present_proposal", actor="coach")

        assert [e.nip for e in report.accepted] == [ready]
        assert [e.nip for e in report.refused] == [bare, unmentored]
        assert report.skipped == 1
        assert report.to_dict() == {
            "cohort": code,
            "event": "present_proposal",
            "accepted": [ready],
            "refused": [
                {"nip": bare, "violations": [report.refused[0].violations[0].to_dict()]},
                {"nip": unmentored, "violations": [report.refused[1].violations[0].to_dict()]},
            ],
            "skipped": 1,
        }
        assert [e.violations[0].code for e in report.refused] == [
            "change_project_missing",
            "mentor_missing",
        ]
        history = engine.history(cohort=code)
        assert history[audited:] == [*report.accepted, *report.refused]
        assert [e.seq for e in history] == list(range(1, len(history) + 1))
        assert [engine.state(code, n) for n in (ready, bare, unmentored, waiting)] == [
            "proposal",
            "on_class",
            "on_class",
            "enrolled",
        ]
        assert engine.participant(code, bare).version == 2

    # idempotency

    def test_keyed_fire_replays_without_writing(self, engine: Engine, code: str) -> None:
        """A retried fire with the same key returns the first entry and writes nothing."""
        nip = self._drive(engine, code, "enrolled")
        first = engine.fire(code, nip, "start_class", actor="bkd", payload={"a": 1}, key="k-1")
        after = self._observed(engine, code)
        again = engine.fire(code, nip, "start_class", actor="bkd", payload={"a": 1}, key="k-1")
        assert again == first
        assert again.to_dict() == first.to_dict()
        assert self._observed(engine, code) == after
        assert engine.participant(code, nip).version == 2

    def test_keyed_enrol_replays_without_writing(self, engine: Engine, code: str) -> None:
        """A retried enrolment with the same key returns the first entry and takes no seat."""
        person = _person()
        first = engine.enrol(code, person, key="enrol-1")
        after = self._observed(engine, code)
        assert engine.enrol(code, person, key="enrol-1") == first
        assert self._observed(engine, code) == after
        assert _seats(engine.store, code) == (1, 1)

    def test_keyed_advance_replays_without_writing(self, engine: Engine, code: str) -> None:
        """A retried advance with the same key reports the same outcome and writes nothing."""
        nips = [self._drive(engine, code, "enrolled") for _ in range(3)]
        engine.fire(code, nips[2], "drop", reason="absent")
        first = engine.advance(code, "start_class", key="bulk-1")
        after = self._observed(engine, code)
        again = engine.advance(code, "start_class", key="bulk-1")
        assert again == first
        assert [e.nip for e in again.accepted] == nips[:2]
        assert again.skipped == 1
        assert self._observed(engine, code) == after

    def test_keyed_refusal_replays_the_refusal(self, engine: Engine, code: str) -> None:
        """A retried refused command raises the same refusal again and audits nothing more."""
        nip = self._drive(engine, code, "on_class")
        with pytest.raises(TransitionRejected) as first:
            engine.fire(code, nip, "present_proposal", key="p-1")
        after = self._observed(engine, code)
        engine.register_project(code, nip, PROJECT)
        with pytest.raises(TransitionRejected) as again:
            engine.fire(code, nip, "present_proposal", key="p-1")
        assert again.value.violations == first.value.violations
        assert engine.history(cohort=code) == after[1]
        assert engine.state(code, nip) == "on_class"

    def test_reused_key_for_another_command_conflicts(self, engine: Engine, code: str) -> None:
        """A key reused for a different command raises IdempotencyConflict and writes nothing."""
        a = self._drive(engine, code, "enrolled")
        b = self._drive(engine, code, "enrolled")
        engine.fire(code, a, "start_class", key="shared")
        after = self._observed(engine, code)
        with pytest.raises(IdempotencyConflict) as caught:
            engine.fire(code, b, "start_class", key="shared")
        assert caught.value.key == "shared"
        with pytest.raises(IdempotencyConflict):
            engine.advance(code, "start_class", key="shared")
        assert self._observed(engine, code) == after
        assert engine.state(code, b) == "enrolled"

    # listeners

    def test_listeners_hear_committed_accepted_entries(self, engine: Engine, code: str) -> None:
        """Listeners get each accepted entry after commit (the store already shows it)."""
        seen: list[tuple[HistoryEntry, str, bool]] = []

        def listener(entry: HistoryEntry) -> None:
            """Record the entry, the state the store shows and whether it is in the trail."""
            state = engine.state(entry.cohort, entry.nip)
            seen.append((entry, state, entry in engine.history(cohort=entry.cohort)))

        unsubscribe = engine.subscribe(listener)
        person = _person()
        enrolled = engine.enrol(code, person)
        started = engine.fire(code, person.nip, "start_class")
        with pytest.raises(IllegalTransition):
            engine.fire(code, person.nip, "graduate")
        with pytest.raises(TransitionRejected):
            engine.enrol(code, _person(BKD, echelon="IV.a"))
        report = engine.advance(code, "drop", reason="absent")
        unsubscribe()
        engine.enrol(code, _person(BKD))
        assert seen == [
            (enrolled, "enrolled", True),
            (started, "on_class", True),
            (report.accepted[0], "dropped", True),
        ]

    # audit

    def test_verify_is_ok_and_checkpoints_match_heads(self, engine: Engine, code: str) -> None:
        """verify() passes for every cohort; checkpoints() are the stored heads."""
        engine.create_cohort(make_cohort(OTHER))
        for _ in range(3):
            self._drive(engine, code, "proposal")
        with pytest.raises(IllegalTransition):
            engine.fire(code, engine.participants(code)[0].nip, "present_results")
        checks = engine.verify()
        assert [(c.cohort, c.ok, c.entries) for c in checks] == [(code, True, 10), (OTHER, True, 0)]
        assert engine.checkpoints() == [engine.store.head(code), engine.store.head(OTHER)]
        assert engine.checkpoints()[0].seq == 10
        assert engine.checkpoints()[1] == Checkpoint(OTHER, 0, GENESIS)
        _assert_chain(engine.store, code)

    def test_earlier_checkpoints_still_verify_after_more_writes(
        self, engine: Engine, code: str
    ) -> None:
        """A checkpoint kept earlier is still reached and matched by the grown trail."""
        nip = self._drive(engine, code, "on_class")
        kept = engine.checkpoints()
        engine.fire(code, nip, "withdraw", reason="transfer")
        [check] = engine.verify(code, expected=kept)
        assert check.ok, check.problem
        assert check.head.seq == kept[0].seq + 1

    def test_export_shape_is_json_serialisable(self, engine: Engine, code: str) -> None:
        """export() holds schema version, cohort, participants, history and head, as JSON."""
        nip = self._drive(engine, code, "proposal")
        engine.record_assessment(code, nip, Assessment(score=66.5))
        with pytest.raises(TransitionRejected):
            engine.enrol(code, _person(echelon="IV.a"))
        exported = engine.export(code)
        assert set(exported) == {"schema_version", "cohort", "participants", "history", "head"}
        assert exported["schema_version"] == EXPORT_SCHEMA_VERSION
        assert Cohort.model_validate(exported["cohort"], strict=False) == make_cohort(CODE)
        assert exported["participants"] == [e.to_dict() for e in engine.participants(code)]
        assert exported["participants"][0]["scores"] == {"overall": 66.5}
        assert exported["participants"][0]["project"] == PROJECT.model_dump(mode="json")
        assert [h["seq"] for h in exported["history"]] == [1, 2, 3, 4]
        assert exported["history"][-1]["outcome"] == "refused"
        assert exported["head"] == engine.store.head(code).to_dict()
        assert exported["head"]["seq"] == 4
        assert json.loads(json.dumps(exported)) == exported

    def test_states_as_of_matches_a_replay(
        self, engine: Engine, code: str, clock: FixedClock
    ) -> None:
        """states_as_of(t) equals the states observed at t, for every step of a scenario."""
        start = clock.now()
        a, b, c = _person(office(1)), _person(office(2)), _person(office(3))
        steps: list[Callable[[], object]] = [
            lambda: engine.enrol(code, a),
            lambda: (engine.enrol(code, b), engine.fire(code, a.nip, "start_class")),
            lambda: engine.advance(code, "start_class"),
            lambda: engine.enrol(code, _person(office(4), echelon="IV.a")),
            lambda: (engine.enrol(code, c), engine.fire(code, b.nip, "drop", reason="absent")),
            lambda: engine.fire(code, a.nip, "revise_proposal"),
            lambda: engine.fire(code, a.nip, "withdraw", reason="transfer"),
        ]
        seen: list[tuple[datetime, dict[str, str]]] = []
        for step in steps:
            clock.advance(hours=1, microseconds=1)
            with contextlib.suppress(TransitionRejected):
                step()
            seen.append((clock.now(), {e.nip: e.state for e in engine.participants(code)}))
        assert engine.states_as_of(code, start) == {}
        previous: dict[str, str] = {}
        for when, states in seen:
            assert engine.states_as_of(code, when) == states
            assert engine.states_as_of(code, when + timedelta(minutes=30)) == states
            assert engine.states_as_of(code, when - timedelta(microseconds=1)) == previous
            previous = states
        assert [len(s) for _, s in seen] == [1, 2, 2, 2, 3, 3, 3]
        assert seen[-1][1] == {a.nip: "withdrawn", b.nip: "dropped", c.nip: "enrolled"}

    def test_status_counts_states_offices_and_groups(self, engine: Engine, code: str) -> None:
        """status() counts every state (zeros included), offices and groups."""
        for state, person in (
            ("enrolled", _person(DINKES)),
            ("on_class", _person(DINKES)),
            ("proposal", _person(BKD)),
            ("proposal", _person(DISPENDUK)),
        ):
            self._drive(engine, code, state, person)
        groups = engine.form_groups(code, 2)
        assert sorted(len(g.members) for g in groups) == [2, 2]
        status = engine.status(code)
        assert status.total == 4
        assert dict(status.by_state) == {
            "enrolled": 1,
            "on_class": 1,
            "proposal": 2,
            "laboratory": 0,
            "seminar": 0,
            "graduated": 0,
            "not_passed": 0,
            "withdrawn": 0,
            "dropped": 0,
        }
        assert dict(status.by_office) == {"DINKES": 2, "BKD": 1, "DISPENDUK": 1}
        assert dict(status.by_group) == {1: 2, 2: 2}
        placed = {n: g.number for g in groups for n in g.members}
        assert {e.nip: e.group for e in engine.participants(code)} == placed

    def test_assessment_components_merge_into_a_grade(self, engine: Engine) -> None:
        """Scores recorded per component merge; the grade comes once every one is scored."""
        code = engine.create_cohort(_rich_cohort(OTHER)).code
        nip = self._drive(engine, code, "seminar", _person())
        assert engine.record_assessment(code, nip, Assessment(score=50, component="paper")) is None
        grade = engine.record_assessment(code, nip, Assessment(score=80, component="seminar"))
        assert grade == Grade(score=68.0, band="lulus", passed=True)
        assert engine.participant(code, nip).scores == {"paper": 50.0, "seminar": 80.0}
        entry = engine.fire(code, nip, "graduate")
        assert dict(entry.data or {}) == {"score": 68.0, "grade": "lulus"}
