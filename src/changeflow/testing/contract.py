# ruff: noqa: S101 - a pytest suite: its checks are asserts
"""The store contract: the tests every :class:`~changeflow.store.base.Store` must pass.

A backend of your own (a store on another database, say) runs the same suite as
changeflow's memory, SQLite and PostgreSQL stores. The classes here hold the tests but are
not collected themselves (their names do not start with ``Test``); bind them in a test
module of yours by subclassing and providing fixtures::

    import pytest
    from changeflow.testing import DurableStoreContract, EngineContract, StoreContract
    from mystore import MyStore

    class _Mine:
        @pytest.fixture
        def make_store(self, tmp_path):
            return lambda: MyStore(tmp_path / "store.db")

        @pytest.fixture
        def reopen(self, make_store):
            return make_store  # another store over the same database

    class TestMyStore(_Mine, StoreContract, DurableStoreContract):
        '''The store contract on MyStore.'''

    class TestMyEngine(_Mine, EngineContract):
        '''The engine contract on MyStore.'''

* ``make_store`` (required) -- a callable returning a new, empty store. Each test calls it
  once (a durable test may call ``reopen`` as well); the suite closes every store it
  opened at teardown.
* ``reopen`` -- only for :class:`DurableStoreContract`: a callable returning another store
  over the same database as the one ``make_store`` returned in this test. A backend that
  keeps nothing across processes (like :class:`~changeflow.MemoryStore`) simply does not
  inherit that class.

:class:`StoreContract` drives the :class:`~changeflow.store.base.Store` and
:class:`~changeflow.store.base.Unit` protocols directly, writing in the order the engine
does (``office(create=True)`` before ``add``, ``record`` at ``next_seq()``, ``update`` of
the enrolment the same unit returned with :meth:`Enrolment.moved
<changeflow.records.Enrolment.moved>` or a data change). Its cohorts are created without
the ``create_cohort`` entry the engine writes, so their entries number from 1.
:class:`EngineContract` runs the :class:`~changeflow.Engine` over the store, every command
included, and checks that :meth:`~changeflow.Engine.verify` finds the stored facts equal
to the audit chain's replay.

The suite needs pytest and Hypothesis (the ``test`` extra). It runs with pytest's default
options; changeflow's own run adds ``-W error``, so warnings a store emits fail it too.
"""

from __future__ import annotations

import contextlib
import itertools
import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import pytest

from changeflow.audit import GENESIS, Checkpoint, chain_hash, compare, replay, verify_chain
from changeflow.clock import FixedClock
from changeflow.engine import EXPORT_SCHEMA_VERSION, Engine
from changeflow.errors import (
    AlreadyExists,
    CohortNotFound,
    ConcurrentTransition,
    DefinitionMismatch,
    IdempotencyConflict,
    IllegalTransition,
    ParticipantNotFound,
    RuleError,
    TransitionRejected,
    UnknownEvent,
)
from changeflow.facts import Standing
from changeflow.models import (
    Assessment,
    ChangeProject,
    Coach,
    Cohort,
    CohortParameters,
    GradeBand,
    GradingScheme,
    Mentor,
    Office,
    Participant,
)
from changeflow.records import (
    COHORT_NIP,
    ENTRY_FORMAT,
    Difference,
    Enrolment,
    HistoryEntry,
    Violation,
)
from changeflow.rules import RuleRegistry, Verdict
from changeflow.staff import ROLES, Actor, StaffMember
from changeflow.states.default import DEFAULT_LIFECYCLE
from changeflow.states.definition import LifecycleDefinition, StateSpec, TransitionSpec

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from changeflow.records import Outcome, Stages
    from changeflow.rules import RuleContext
    from changeflow.store.base import Store, Unit

__all__ = ["DurableStoreContract", "EngineContract", "StoreContract"]

CODE = "PKA-III-VII-2019"
OTHER = "PKA-III-VIII-2019"
AT = datetime(2019, 4, 4, 8, 0, 0, 123456, tzinfo=UTC)
DINKES = Office(code="DINKES", name="Dinas Kesehatan")
DISPENDUK = Office(code="DISPENDUK", name="Dinas Kependudukan dan Pencatatan Sipil")
BKD = Office(code="BKD", name="Badan Kepegawaian Daerah")
MENTOR = Mentor(name="dr. Anang Budi Yoelijanto", position="Kepala Dinas")
PROJECT = ChangeProject(title="Aplikasi antrean puskesmas daring", theme="kesehatan", mentor=MENTOR)
OTHER_PROJECT = ChangeProject(title="Akta kelahiran satu hari", theme="kependudukan")
THIRD_PROJECT = ChangeProject(
    title="Perizinan usaha satu hari",
    theme="perizinan",
    mentor=Mentor(name="Ir. Siti Aminah", position="Sekretaris Daerah"),
)

CUSTOM = LifecycleDefinition(
    name="short_course",
    version="1",
    description="A short course of the contract suite: registered, in class, passed or left.",
    initial="registered",
    enrolment_rules=("already_active", "office_quota", "cohort_capacity"),
    states=(
        StateSpec(name="registered"),
        StateSpec(name="in_class"),
        StateSpec(name="passed", final=True, completes_course=True, outcome="passed"),
        StateSpec(name="left", final=True, frees_seat=True),
    ),
    transitions=(
        TransitionSpec(event="begin", source=("registered",), dest="in_class"),
        TransitionSpec(event="pass_course", source=("in_class",), dest="passed"),
        TransitionSpec(event="leave", source=("*",), dest="left", rules=("reason_required",)),
    ),
)
"""A lifecycle other than the default, with states and events of its own."""

MIGRATED = LifecycleDefinition.model_validate(
    {**DEFAULT_LIFECYCLE.document(), "version": "2-contract"}
)
"""The default lifecycle under another version: a migration target mapping every state."""


def _every_role(actor: Actor | None, member: StaffMember | None, /) -> frozenset[str]:
    """The suite tests stores, not permissions: every actor holds every role."""
    del actor, member
    return ROLES


def _engine(*args: Any, **kwargs: Any) -> Engine:
    """An engine on the store under test, permissions granted (see :func:`_every_role`)."""
    return Engine(*args, authorizer=_every_role, **kwargs)


class _Crash(Exception):
    """Raised on purpose inside a unit of work."""


# -- builders (the suite's own: a third party has no changeflow test helpers) ------------

_sequence = itertools.count(1)


def _nip(born: date = date(1975, 6, 1), sequence: int | None = None) -> str:
    """A valid NIP encoding ``born``, appointed in March 2000; a fresh sequence by default."""
    seq = next(_sequence) % 1000 if sequence is None else sequence
    return f"{born:%Y%m%d}2000031{seq:03d}"


def _person(office: Office = DINKES, **extra: Any) -> Participant:
    """An eligible participant (echelon III.a, born 1975) from ``office``."""
    nip = extra.pop("nip", None) or _nip()
    fields: dict[str, Any] = {
        "nip": nip,
        "name": f"Peserta {nip[-4:]}",
        "office": office,
        "echelon": "III.a",
        **extra,
    }
    return Participant(**fields)


def _cohort(code: str = CODE, *, capacity: int = 30) -> Cohort:
    """The 2019 Probolinggo cohort (default rule pack) under ``code``."""
    return Cohort(
        code=code,
        name="Diklat PIM III angkatan VII 2019",
        organiser="BKD Kabupaten Probolinggo",
        start=date(2019, 4, 4),
        end=date(2019, 7, 19),
        capacity=capacity,
        parameters=CohortParameters(),
    )


def _office(number: int) -> Office:
    """A distinct office per number, for filling cohorts."""
    return Office(code=f"OPD{number:03d}", name=f"Organisasi Perangkat Daerah {number}")


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
        change=MappingProxyType(
            {
                "scores": {"before": None, "after": {"paper": 77.5, "seminar": 88.25}},
                "participant": {"before": {"name": "Budi"}, "after": {"name": "Budi \u00e9"}},
            }
        ),
        role="coach",  # a store keeps whatever role an entry carries
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
            change=MappingProxyType({}),
            violations=(Violation("illegal_transition", "no"),),
        ),
        id="empty-mappings",
    ),
    pytest.param(
        lambda seq, nip: _entry(
            seq,
            nip,
            event="register_project",
            source="on_class",
            target="on_class",
            change=MappingProxyType({"project": {"before": None, "after": {"title": "T"}}}),
        ),
        id="data-command",
    ),
    pytest.param(
        lambda seq, nip: _entry(seq, nip, event="start_class", source="enrolled", format=1),
        id="format-1",
    ),
]


def _stages(uow: Unit) -> Stages:
    """The lifecycle the unit's cohort is pinned to (every contract cohort is pinned)."""
    assert uow.lifecycle is not None
    return uow.lifecycle


def _add_cohort(
    store: Store, cohort: Cohort, lifecycle: LifecycleDefinition = DEFAULT_LIFECYCLE
) -> Cohort:
    """Create ``cohort`` pinned to ``lifecycle`` in one committed unit, without entries."""
    with store.new_cohort(cohort, lifecycle) as uow:
        uow.commit()
    return cohort


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
    store: Store, nip: str, state: str, *, cohort: str = CODE, at: datetime = AT
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
        uow.update(live, live.moved(state, _stages(uow)))
        uow.record(entry)
        uow.commit()
    return entry


def _change(store: Store, nip: str, *, cohort: str = CODE, **facts: Any) -> Enrolment:
    """Apply a data change (``project=...``, ``scores=...``) in one committed unit."""
    with store.unit(cohort) as uow:
        live = uow.enrolment(nip)
        assert live is not None
        after = replace(live, **facts)
        uow.update(live, after)
        uow.commit()
    return after


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


def _entered_from(store: Store, nip: str, cohort: str = CODE) -> str | None:
    """Where the participant entered its current state from, read in a unit."""
    with store.unit(cohort) as uow:
        return uow.entered_from(nip)


def _sha(definition: LifecycleDefinition | None) -> str | None:
    """The definition's SHA-256 (``None`` for none): how two definitions are compared."""
    return None if definition is None else definition.sha256


def _observed(store: Store, cohort: str = CODE) -> tuple[object, ...]:
    """Everything observable about a cohort from outside a unit, plus its counts."""
    return (
        store.enrolments(cohort),
        store.history(cohort=cohort),
        list(store.trail(cohort)),
        store.head(cohort),
        store.offices(),
        store.projection(cohort),
        _sha(store.lifecycle(cohort)),
        _seats(store, cohort),
        _next_seq(store, cohort),
    )


def _assert_chain(store: Store, cohort: str) -> None:
    """The stored trail is a valid chain ending at the stored head, hashes recomputable."""
    rows = list(store.trail(cohort))
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
    withdrawn = live.moved("withdrawn", _stages(uow))
    uow.update(live, withdrawn)
    uow.update(
        withdrawn, replace(withdrawn, project=OTHER_PROJECT, scores={"overall": 10.0}, group=9)
    )
    uow.record(_entry(uow.next_seq(), nip, event="withdraw", source=live.state))
    uow.remember("key-written", "fp", enrolled)
    uow.pin(CUSTOM)


def _crash_after_everything(store: Store, nip: str, newcomer: Participant) -> None:
    """Make every kind of write, then raise before committing."""
    with store.unit(CODE) as uow:
        _write_everything(uow, nip, newcomer)
        raise _Crash


def _crash_in_a_new_cohort(store: Store) -> None:
    """Create a cohort and record its first entry, then raise before committing."""
    with store.new_cohort(_cohort(CODE), DEFAULT_LIFECYCLE) as uow:
        uow.record(_entry(uow.next_seq(), COHORT_NIP, event="create_cohort", target=None))
        raise _Crash


def _set_up_rich(store: Store) -> tuple[Participant, Participant]:
    """Two enrolments in CODE, one moved, revised, projected, scored and grouped."""
    _add_cohort(store, _cohort(CODE))
    a, b = _person(DINKES), _person(BKD)
    _enrol(store, a)
    _enrol(store, b)
    _move(store, a.nip, "on_class")
    _move(store, a.nip, "proposal")
    _move(store, a.nip, "proposal")
    _change(store, a.nip, project=PROJECT, scores={"paper": 77.5, "seminar": 88.25}, group=2)
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
        raise NotImplementedError("bind the contract: provide a make_store fixture")

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
        """The 2019 cohort, added to the store, pinned to the default lifecycle."""
        return _add_cohort(store, _cohort(CODE))

    # cohorts and their lifecycles

    def test_new_store_is_empty(self, store: Store) -> None:
        """A fresh store has no cohorts and no offices."""
        assert store.cohorts() == []
        assert store.offices() == []
        assert store.history() == []

    def test_added_cohort_is_returned_equal(self, store: Store) -> None:
        """cohort() returns the added cohort unchanged, coach and every parameter included."""
        rich = _rich_cohort()
        _add_cohort(store, rich)
        got = store.cohort(CODE)
        assert got == rich
        assert got.parameters.grading.weights == {"paper": 0.4, "seminar": 0.6}
        assert got.parameters.eligible_ranks == frozenset({"III.a", "administrator"})

    def test_new_cohort_twice_raises_already_exists(self, store: Store) -> None:
        """A second cohort with a taken code raises AlreadyExists; the first one stays pinned."""
        _add_cohort(store, _cohort(CODE))
        with pytest.raises(AlreadyExists) as caught:
            _add_cohort(store, _rich_cohort(CODE), CUSTOM)
        assert (caught.value.kind, caught.value.key) == ("cohort", CODE)
        assert store.cohort(CODE) == _cohort(CODE)
        assert store.cohorts() == [_cohort(CODE)]
        assert _sha(store.lifecycle(CODE)) == DEFAULT_LIFECYCLE.sha256

    def test_new_cohort_exists_only_once_committed(self, store: Store) -> None:
        """A new cohort's unit left without commit, or raising, leaves no cohort behind."""
        person = _person(BKD)
        with store.new_cohort(_cohort(CODE), DEFAULT_LIFECYCLE) as uow:
            assert uow.cohort == _cohort(CODE)
            assert _sha(uow.lifecycle) == DEFAULT_LIFECYCLE.sha256
            uow.record(_entry(uow.next_seq(), COHORT_NIP, event="create_cohort", target=None))
            uow.office(BKD, create=True)
            uow.add(Enrolment(CODE, person, "enrolled"))
            uow.record(_entry(uow.next_seq(), person.nip))
            assert uow.next_seq() == 3
        with pytest.raises(_Crash):
            _crash_in_a_new_cohort(store)
        assert store.cohorts() == []
        assert store.history() == []
        assert store.offices() == []
        for read in (store.cohort, store.lifecycle, store.enrolments, store.head):
            with pytest.raises(CohortNotFound):
                read(CODE)
        with pytest.raises(CohortNotFound), store.unit(CODE):
            pass
        _add_cohort(store, _cohort(OTHER))
        assert _standing(store, person.nip, OTHER) == Standing()

    def test_code_of_a_rolled_back_cohort_can_be_used_again(self, store: Store) -> None:
        """After a new cohort's unit rolls back, the code is free for another cohort."""
        with store.new_cohort(_cohort(CODE), DEFAULT_LIFECYCLE) as uow:
            uow.record(_entry(uow.next_seq(), COHORT_NIP, event="create_cohort", target=None))
        with store.new_cohort(_rich_cohort(CODE), CUSTOM) as uow:
            assert uow.next_seq() == 1
            created = _entry(uow.next_seq(), COHORT_NIP, event="create_cohort", target=None)
            uow.record(created)
            uow.commit()
        assert store.cohort(CODE) == _rich_cohort(CODE)
        assert _sha(store.lifecycle(CODE)) == CUSTOM.sha256
        assert store.history(cohort=CODE) == [created]
        _assert_chain(store, CODE)
        person = _person(DINKES)
        with store.unit(CODE) as uow:
            assert uow.cohort == _rich_cohort(CODE)
            uow.office(DINKES, create=True)
            uow.add(Enrolment(CODE, person, CUSTOM.initial))
            uow.commit()
        assert store.enrolment(CODE, person.nip).state == "registered"

    def test_lifecycle_is_the_pinned_definition(self, store: Store) -> None:
        """lifecycle() returns each cohort's own definition, whole; units carry it too."""
        _add_cohort(store, _cohort(CODE))
        _add_cohort(store, _cohort(OTHER), CUSTOM)
        pinned = store.lifecycle(OTHER)
        assert pinned is not None
        assert pinned.document() == CUSTOM.document()
        assert pinned.sha256 == CUSTOM.sha256
        assert pinned.state_names == ("registered", "in_class", "passed", "left")
        assert _sha(store.lifecycle(CODE)) == DEFAULT_LIFECYCLE.sha256
        with store.unit(OTHER) as uow:
            assert _sha(uow.lifecycle) == CUSTOM.sha256
        with store.unit(CODE) as uow:
            assert _sha(uow.lifecycle) == DEFAULT_LIFECYCLE.sha256

    def test_pin_changes_the_lifecycle_once_committed(self, store: Store, cohort: Cohort) -> None:
        """pin() repins the unit's cohort on commit only, and no other cohort."""
        _add_cohort(store, _cohort(OTHER))
        with store.unit(cohort.code) as uow:
            uow.pin(CUSTOM)
            assert _sha(uow.lifecycle) == CUSTOM.sha256
        assert _sha(store.lifecycle(CODE)) == DEFAULT_LIFECYCLE.sha256
        with store.unit(CODE) as uow:
            assert _sha(uow.lifecycle) == DEFAULT_LIFECYCLE.sha256
            uow.pin(CUSTOM)
            uow.commit()
        assert _sha(store.lifecycle(CODE)) == CUSTOM.sha256
        assert store.projection(CODE).lifecycle == CUSTOM.sha256
        with store.unit(CODE) as uow:
            assert _sha(uow.lifecycle) == CUSTOM.sha256
        assert _sha(store.lifecycle(OTHER)) == DEFAULT_LIFECYCLE.sha256
        with store.unit(CODE) as uow:
            uow.pin(DEFAULT_LIFECYCLE)
            uow.commit()
        assert _sha(store.lifecycle(CODE)) == DEFAULT_LIFECYCLE.sha256

    # the calendar

    def test_schedule_is_kept_once_committed(self, store: Store, cohort: Cohort) -> None:
        """set_schedule() is seen by the unit at once, by the store after commit only."""
        document: dict[str, Any] = {"windows": [], "visit": None, "closures": []}
        assert store.schedule(cohort.code) is None
        with store.unit(cohort.code) as uow:
            uow.set_schedule(document)
            assert uow.schedule() == document
        assert store.schedule(cohort.code) is None
        changed = {**document, "visit": {"start": "2019-04-23", "end": "2019-04-25"}}
        with store.unit(cohort.code) as uow:
            uow.set_schedule(document)
            uow.set_schedule(changed)
            uow.commit()
        assert store.schedule(cohort.code) == changed
        assert store.projection(cohort.code).schedule == changed

    def test_staff_is_kept_and_replaced_once_committed(self, store: Store, cohort: Cohort) -> None:
        """set_staff() is seen by the unit at once, by the store after commit; an id is replaced."""
        coach = StaffMember(id="coach-1", name="Dr. Hary", roles=frozenset({"coach"}))
        with store.unit(cohort.code) as uow:
            assert uow.staff_member("coach-1") is None
            uow.set_staff(coach)
            assert uow.staff_member("coach-1") == coach
        assert store.staff(cohort.code) == []
        both = coach.model_copy(update={"roles": frozenset({"coach", "examiner"})})
        examiner = StaffMember(id="penguji-1", name="Tim penguji", roles=frozenset({"examiner"}))
        with store.unit(cohort.code) as uow:
            uow.set_staff(coach)
            uow.set_staff(examiner)
            uow.set_staff(both)
            uow.commit()
        assert store.staff(cohort.code) == [both, examiner]
        with store.unit(cohort.code) as uow:
            assert uow.staff_member("coach-1") == both
            assert uow.staff_member("nobody") is None
        assert store.projection(cohort.code).staff == {
            "coach-1": {"name": "Dr. Hary", "roles": ["coach", "examiner"]},
            "penguji-1": {"name": "Tim penguji", "roles": ["examiner"]},
        }

    def test_attendance_is_kept_per_day_once_committed(self, store: Store, cohort: Cohort) -> None:
        """set_attendance() replaces one day's status; a unit rolled back keeps nothing."""
        person = _person()
        _enrol(store, person)
        with store.unit(cohort.code) as uow:
            uow.set_attendance(person.nip, "2019-04-04", "present")
            assert uow.attendance(cohort.code, person.nip) == {"2019-04-04": "present"}
        assert store.attendance(cohort.code) == {}
        with store.unit(cohort.code) as uow:
            uow.set_attendance(person.nip, "2019-04-04", "present")
            uow.set_attendance(person.nip, "2019-04-05", "absent")
            uow.set_attendance(person.nip, "2019-04-04", "sakit")
            uow.commit()
        days = {"2019-04-04": "sakit", "2019-04-05": "absent"}
        assert store.attendance(cohort.code) == {person.nip: days}
        assert store.projection(cohort.code).attendance == {person.nip: days}
        with store.unit(cohort.code) as uow:
            assert uow.attendance(cohort.code, person.nip) == days
            assert uow.attendance(cohort.code, "197001012000011999") == {}

    def test_unknown_cohort_raises_cohort_not_found(self, store: Store, cohort: Cohort) -> None:
        """cohort(), lifecycle() and projection() of an unknown code raise CohortNotFound."""
        for read in (store.cohort, store.lifecycle, store.projection):
            with pytest.raises(CohortNotFound) as caught:
                read("PKA-NOPE")
            assert caught.value.key == "PKA-NOPE"
        assert store.cohort(cohort.code) == _cohort(CODE)

    def test_cohorts_are_sorted_by_code(self, store: Store) -> None:
        """cohorts() lists every cohort by code, whatever the order they were added in."""
        for code in ("PKA-B", "PKA-C", "PKA-A"):
            _add_cohort(store, _cohort(code))
        assert [c.code for c in store.cohorts()] == ["PKA-A", "PKA-B", "PKA-C"]

    def test_unit_on_unknown_cohort_raises(self, store: Store, cohort: Cohort) -> None:
        """Opening a unit of work on an unknown cohort raises CohortNotFound."""
        with pytest.raises(CohortNotFound), store.unit("PKA-NOPE"):
            pass
        assert store.cohorts() == [cohort]

    def test_unit_exposes_its_cohort(self, store: Store, cohort: Cohort) -> None:
        """A unit's ``cohort`` attribute is the stored cohort."""
        with store.unit(CODE) as uow:
            assert uow.cohort == cohort

    # units of work: rollback and read-your-writes

    def test_unit_without_commit_rolls_back_everything(self, store: Store, cohort: Cohort) -> None:
        """A unit left without commit undoes every write: enrolment, office, audit, key, pin."""
        person = _person(BKD)
        with store.unit(CODE) as uow:
            assert uow.office(BKD, create=True) == BKD
            uow.add(Enrolment(CODE, person, "enrolled"))
            uow.record(_entry(uow.next_seq(), person.nip))
            uow.remember("key", "fp", _entry(1, person.nip))
            live = uow.enrolment(person.nip)
            assert live is not None
            uow.update(live, replace(live, project=PROJECT))
            uow.pin(CUSTOM)
        assert store.enrolments(cohort.code) == []
        assert store.history(cohort=CODE) == []
        assert store.history(nip=person.nip) == []
        assert store.offices() == []
        assert store.head(CODE) == Checkpoint(CODE, 0, GENESIS)
        assert _sha(store.lifecycle(CODE)) == DEFAULT_LIFECYCLE.sha256
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
            live = uow.enrolment(person.nip)
            assert live is not None
            uow.update(live, replace(live, project=PROJECT, scores={"overall": 80.0}, group=1))
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
            CODE,
            person,
            "withdrawn",
            4,
            0,
            OTHER_PROJECT,
            {"overall": 10.0},
            9,
            active=False,
            seated=False,
        )
        assert store.enrolment(CODE, newcomer.nip) == Enrolment(CODE, newcomer, "enrolled")
        assert [e.seq for e in store.history(cohort=cohort.code)] == [1, 2, 3, 4, 5]
        assert store.offices() == [BKD, DINKES]
        assert _seats(store) == (1, 0)
        assert _seats(store, office="BKD") == (1, 1)
        assert _standing(store, person.nip) == Standing()
        assert _standing(store, newcomer.nip) == Standing(active_in=CODE)
        assert _recall(store, "key-written") == ("fp", _entry(4, newcomer.nip))
        assert _sha(store.lifecycle(CODE)) == CUSTOM.sha256

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
            uow.update(live, live.moved("on_class", _stages(uow)))
            moved = uow.enrolment(first.nip)
            assert moved is not None
            assert (moved.state, moved.version) == ("on_class", 2)
            assert [e.nip for e in uow.enrolments(["on_class"])] == [first.nip]
            assert [e.nip for e in uow.enrolments(["enrolled"])] == [second.nip]
            uow.update(moved, replace(moved, scores={"overall": 71.0}))
            scored = uow.enrolment(first.nip)
            assert scored is not None
            assert scored.scores == {"overall": 71.0}
            assert (scored.state, scored.version) == ("on_class", 2)
            leaving = uow.enrolment(second.nip)
            assert leaving is not None
            uow.update(leaving, leaving.moved("withdrawn", _stages(uow)))
            assert (uow.seated(CODE), uow.seated_from_office(CODE, "DINKES")) == (1, 1)
            assert uow.standing(second.nip) == Standing()
            assert uow.standing(first.nip) == Standing(active_in=CODE)
            uow.remember("k", "fp", _entry(1, first.nip))
            assert uow.recall("k") == ("fp", _entry(1, first.nip))
            uow.commit()
        assert store.history(cohort=CODE) == [_entry(1, first.nip), _entry(2, second.nip)]

    def test_enrolments_filter_by_states(self, store: Store, cohort: Cohort) -> None:
        """uow.enrolments(states) yields only those states, all with None, none with ()."""
        people = [_person(_office(i)) for i in range(4)]
        for person in people:
            _enrol(store, person)
        _move(store, people[1].nip, "on_class")
        _move(store, people[3].nip, "on_class")
        _move(store, people[2].nip, "withdrawn")
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
        nips = [_nip(sequence=n) for n in (500, 100, 900, 300)]
        for i, nip in enumerate(nips):
            _enrol(store, _person(_office(i), nip=nip))
        _move(store, nips[2], "on_class")
        assert [e.nip for e in store.enrolments(cohort.code)] == nips
        with store.unit(CODE) as uow:
            assert [e.nip for e in uow.enrolments()] == nips

    def test_enrolment_round_trips_its_participant(self, store: Store, cohort: Cohort) -> None:
        """An enrolment comes back equal: participant fields, office name, state and flags."""
        person = Participant(
            nip=_nip(sequence=42),
            name="Dra. Sri Wahyuni, M.Si.",
            office=DISPENDUK,
            echelon="administrator",
            retirement_age=60,
        )
        _enrol(store, person)
        got = store.enrolment(cohort.code, person.nip)
        assert got == Enrolment(CODE, person, "enrolled", 1, 0, None, None, None, True, True, False)
        assert got.participant.birth_date == person.birth_date
        assert got.participant.office.name == DISPENDUK.name
        assert store.enrolments(CODE) == [got]

    def test_store_enrolment_of_unknown_nip_raises(self, store: Store, cohort: Cohort) -> None:
        """store.enrolment() of a NIP not enrolled in the cohort raises ParticipantNotFound."""
        _add_cohort(store, _cohort(OTHER))
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
        _add_cohort(store, _cohort(OTHER))
        _enrol(store, _person(DINKES))
        _enrol(store, _person(DINKES))
        _enrol(store, _person(BKD))
        _enrol(store, _person(BKD), cohort=OTHER)
        assert _seats(store, cohort.code) == (3, 2)
        assert _seats(store, CODE, "BKD") == (3, 1)
        assert _seats(store, OTHER, "BKD") == (1, 1)
        assert _seats(store, OTHER, "DINKES") == (1, 0)

    def test_move_changes_state_and_bumps_version(self, store: Store, cohort: Cohort) -> None:
        """A move sets the state and adds one to the version, leaving revisions and seat alone."""
        person = _person()
        _enrol(store, person)
        _move(store, person.nip, "on_class")
        got = store.enrolment(cohort.code, person.nip)
        assert (got.state, got.version, got.revisions) == ("on_class", 2, 0)
        _move(store, person.nip, "proposal")
        got = store.enrolment(CODE, person.nip)
        assert (got.state, got.version, got.revisions) == ("proposal", 3, 0)
        assert (got.active, got.seated, got.completed) == (True, True, False)
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
        """A move into a final state that keeps the seat ends the activity only."""
        person = _person()
        _enrol(store, person)
        _move(store, person.nip, "not_passed")
        got = store.enrolment(CODE, person.nip)
        assert (got.active, got.seated, got.completed) == (False, True, False)
        assert _standing(store, person.nip) == Standing()
        assert _seats(store, cohort.code) == (1, 1)

    def test_seat_freeing_move_releases_the_seat(self, store: Store, cohort: Cohort) -> None:
        """A move into a seat-freeing state releases the cohort seat and the office seat."""
        stays, leaves = _person(DINKES), _person(DINKES)
        _enrol(store, stays)
        _enrol(store, leaves)
        _move(store, leaves.nip, "withdrawn")
        assert _seats(store, cohort.code) == (1, 1)
        assert _standing(store, leaves.nip) == Standing()
        assert _standing(store, stays.nip) == Standing(active_in=CODE)
        got = store.enrolment(CODE, leaves.nip)
        assert (got.state, got.active, got.seated, got.completed) == (
            "withdrawn",
            False,
            False,
            False,
        )

    def test_completing_move_sets_completed_in(self, store: Store, cohort: Cohort) -> None:
        """A move into a completing state records the cohort as the one the person completed."""
        person = _person()
        _enrol(store, person)
        _move(store, person.nip, "graduated")
        assert _standing(store, person.nip) == Standing(active_in=None, completed_in=cohort.code)
        got = store.enrolment(CODE, person.nip)
        assert (got.active, got.seated, got.completed) == (False, True, True)
        assert _seats(store) == (1, 1)

    def test_move_back_into_a_seat_takes_it_again(self, store: Store, cohort: Cohort) -> None:
        """Leaving a seat-freeing state takes the cohort and office seat back, active again."""
        person, other = _person(DINKES), _person(DINKES)
        _enrol(store, person)
        _enrol(store, other)
        _move(store, person.nip, "on_class")
        _move(store, person.nip, "withdrawn")
        assert _seats(store, cohort.code) == (1, 1)
        _move(store, person.nip, "on_class")
        got = store.enrolment(CODE, person.nip)
        assert (got.state, got.version, got.revisions) == ("on_class", 4, 0)
        assert (got.active, got.seated, got.completed) == (True, True, False)
        assert _seats(store) == (2, 2)
        assert _standing(store, person.nip) == Standing(active_in=CODE)

    def test_move_out_of_a_completing_state_clears_the_completion(
        self, store: Store, cohort: Cohort
    ) -> None:
        """Reopening a graduate makes the person active again and no longer completed."""
        person = _person()
        _enrol(store, person)
        _move(store, person.nip, "graduated")
        _move(store, person.nip, "seminar")
        got = store.enrolment(cohort.code, person.nip)
        assert (got.active, got.seated, got.completed) == (True, True, False)
        assert _standing(store, person.nip) == Standing(active_in=CODE)
        assert _seats(store) == (1, 1)

    def test_standing_spans_cohorts(self, store: Store, cohort: Cohort) -> None:
        """Standing is the person's record across cohorts, the same from a unit on either."""
        _add_cohort(store, _cohort(OTHER))
        person = _person()
        _enrol(store, person, cohort=OTHER)
        assert _standing(store, person.nip, cohort.code) == Standing(active_in=OTHER)
        _move(store, person.nip, "graduated", cohort=OTHER)
        assert _standing(store, person.nip, CODE) == Standing(completed_in=OTHER)
        _enrol(store, person, cohort=CODE)
        expected = Standing(active_in=CODE, completed_in=OTHER)
        assert _standing(store, person.nip, CODE) == expected
        assert _standing(store, person.nip, OTHER) == expected

    def test_one_person_is_active_in_one_cohort_at_most(self, store: Store, cohort: Cohort) -> None:
        """Adding someone active elsewhere raises ConcurrentTransition and changes nothing."""
        _add_cohort(store, _cohort(OTHER))
        person = _person()
        _enrol(store, person, cohort=OTHER)
        with store.unit(cohort.code) as uow:
            uow.office(person.office, create=True)
            with pytest.raises(ConcurrentTransition):
                uow.add(Enrolment(cohort.code, person, "enrolled"))
        assert _standing(store, person.nip) == Standing(active_in=OTHER)
        assert store.enrolments(cohort.code) == []
        assert _seats(store, cohort.code) == (0, 0)

    def test_reactivation_while_active_elsewhere_is_refused(
        self, store: Store, cohort: Cohort
    ) -> None:
        """Moving someone back to an active state while active elsewhere is refused by commit."""
        _add_cohort(store, _cohort(OTHER))
        person = _person()
        _enrol(store, person)
        _move(store, person.nip, "withdrawn")
        _enrol(store, person, cohort=OTHER)
        with store.unit(cohort.code) as uow, pytest.raises(ConcurrentTransition):  # noqa: PT012
            live = uow.enrolment(person.nip)
            assert live is not None
            uow.update(live, live.moved("on_class", _stages(uow)))
            uow.commit()
        assert store.enrolment(CODE, person.nip).state == "withdrawn"
        assert _standing(store, person.nip) == Standing(active_in=OTHER)
        assert _seats(store, CODE) == (0, 0)

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
            uow.update(stale, stale.moved("withdrawn", _stages(uow)))
            uow.commit()
        got = store.enrolment(cohort.code, person.nip)
        assert (got.state, got.version, got.active, got.seated) == ("on_class", 2, True, True)
        assert _seats(store, cohort.code) == (1, 1)
        assert _standing(store, person.nip) == Standing(active_in=CODE)

    def test_changing_a_stale_copy_raises_concurrent_transition(
        self, store: Store, cohort: Cohort
    ) -> None:
        """A data change made from an out-of-date copy is refused and changes nothing."""
        person = _person()
        _enrol(store, person)
        stale = store.enrolment(cohort.code, person.nip)
        _move(store, person.nip, "on_class")
        with store.unit(cohort.code) as uow, pytest.raises(ConcurrentTransition):  # noqa: PT012
            uow.update(stale, replace(stale, project=PROJECT, group=4))
            uow.commit()
        got = store.enrolment(cohort.code, person.nip)
        assert (got.state, got.version, got.project, got.group) == ("on_class", 2, None, None)

    def test_update_of_a_nip_not_in_the_cohort_raises(self, store: Store, cohort: Cohort) -> None:
        """update() of an enrolment the unit's cohort does not hold raises ConcurrentTransition."""
        _add_cohort(store, _cohort(OTHER))
        elsewhere = _person()
        _enrol(store, elsewhere, cohort=OTHER)
        stranger = Enrolment(cohort.code, _person(), "enrolled")
        for before in (store.enrolment(OTHER, elsewhere.nip), stranger):
            with store.unit(cohort.code) as uow, pytest.raises(ConcurrentTransition):  # noqa: PT012
                uow.update(before, replace(before, group=1))
                uow.commit()
        assert store.enrolment(OTHER, elsewhere.nip) == Enrolment(OTHER, elsewhere, "enrolled")
        assert store.enrolments(CODE) == []

    def test_rolled_back_completion_keeps_an_earlier_one(
        self, store: Store, cohort: Cohort
    ) -> None:
        """Undoing a completion in one cohort leaves the completion recorded in another."""
        _add_cohort(store, _cohort(OTHER))
        person = _person()
        _enrol(store, person, cohort=OTHER)
        _move(store, person.nip, "graduated", cohort=OTHER)
        _enrol(store, person)
        with store.unit(cohort.code) as uow:
            live = uow.enrolment(person.nip)
            assert live is not None
            uow.update(live, live.moved("graduated", _stages(uow)))
        assert _standing(store, person.nip) == Standing(active_in=CODE, completed_in=OTHER)

    def test_standing_of_a_stranger_is_empty(self, store: Store, cohort: Cohort) -> None:
        """A NIP the store has never seen stands nowhere."""
        _enrol(store, _person())
        assert _standing(store, _nip(sequence=999), cohort.code) == Standing()

    # data changes: project, scores, group, the person, the office

    def test_update_registers_and_replaces_the_project(self, store: Store, cohort: Cohort) -> None:
        """A project is stored with its mentor; a new one replaces it whole; no move counted."""
        person = _person()
        _enrol(store, person)
        _change(store, person.nip, project=PROJECT)
        assert store.enrolment(cohort.code, person.nip).project == PROJECT
        _change(store, person.nip, project=OTHER_PROJECT)
        got = store.enrolment(CODE, person.nip)
        assert got.project == OTHER_PROJECT
        assert got.project is not None
        assert got.project.mentor is None
        assert (got.state, got.version, got.revisions) == ("enrolled", 1, 0)
        _change(store, person.nip, project=THIRD_PROJECT)
        assert store.enrolment(CODE, person.nip).project == THIRD_PROJECT

    def test_update_replaces_the_scores_whole(self, store: Store, cohort: Cohort) -> None:
        """The scores given are the scores stored: a component left out is gone."""
        person = _person()
        _enrol(store, person)
        _change(store, person.nip, scores={"paper": 70.0})
        _change(store, person.nip, scores={"paper": 70.0, "seminar": 88.75})
        assert store.enrolment(cohort.code, person.nip).scores == {"paper": 70.0, "seminar": 88.75}
        _change(store, person.nip, scores={"seminar": 91.5})
        got = store.enrolment(CODE, person.nip)
        assert got.scores == {"seminar": 91.5}
        assert got.version == 1

    def test_update_places_and_clears_the_group(self, store: Store, cohort: Cohort) -> None:
        """A group number is stored; None takes the participant out again."""
        person = _person()
        _enrol(store, person)
        _change(store, person.nip, group=3)
        assert store.enrolment(cohort.code, person.nip).group == 3
        _change(store, person.nip, group=None)
        assert store.enrolment(CODE, person.nip).group is None

    def test_update_corrects_the_person(self, store: Store, cohort: Cohort) -> None:
        """A corrected name, echelon and retirement age are stored; seats do not move."""
        person = _person(DINKES)
        _enrol(store, person)
        corrected = person.model_copy(
            update={"name": "Dra. Endang Purwati", "echelon": "administrator", "retirement_age": 58}
        )
        _change(store, person.nip, participant=corrected)
        got = store.enrolment(cohort.code, person.nip)
        assert got.participant == corrected
        assert (got.participant.name, got.participant.echelon) == (
            "Dra. Endang Purwati",
            "administrator",
        )
        assert got.participant.retirement_age == 58
        assert (got.state, got.version) == ("enrolled", 1)
        assert _seats(store) == (1, 1)

    def test_office_transfer_moves_the_office_seat(self, store: Store, cohort: Cohort) -> None:
        """A seated participant's new office takes the seat from the old; the cohort's stays."""
        person, stays = _person(DINKES), _person(DINKES)
        _enrol(store, person)
        _enrol(store, stays)
        with store.unit(cohort.code) as uow:
            uow.office(BKD, create=True)
            live = uow.enrolment(person.nip)
            assert live is not None
            uow.update(live, replace(live, participant=person.model_copy(update={"office": BKD})))
            assert (
                uow.seated_from_office(CODE, "DINKES"),
                uow.seated_from_office(CODE, "BKD"),
            ) == (
                1,
                1,
            )
            uow.commit()
        assert store.enrolment(CODE, person.nip).participant.office == BKD
        assert _seats(store) == (2, 1)
        assert _seats(store, office="BKD") == (2, 1)
        assert store.projection(CODE).per_office == {"DINKES": 1, "BKD": 1}

    def test_office_transfer_without_a_seat_moves_no_counter(
        self, store: Store, cohort: Cohort
    ) -> None:
        """Transferring a participant who holds no seat changes no seat counter."""
        person = _person(DINKES)
        _enrol(store, person)
        _move(store, person.nip, "withdrawn")
        with store.unit(cohort.code) as uow:
            uow.office(BKD, create=True)
            live = uow.enrolment(person.nip)
            assert live is not None
            uow.update(live, replace(live, participant=person.model_copy(update={"office": BKD})))
            uow.commit()
        assert store.enrolment(CODE, person.nip).participant.office == BKD
        assert _seats(store) == (0, 0)
        assert _seats(store, office="BKD") == (0, 0)

    def test_move_and_data_change_in_one_unit(self, store: Store, cohort: Cohort) -> None:
        """A move then a data change of the moved enrolment, in one unit, both stay."""
        person = _person()
        _enrol(store, person)
        with store.unit(cohort.code) as uow:
            live = uow.enrolment(person.nip)
            assert live is not None
            moved = live.moved("on_class", _stages(uow))
            uow.update(live, moved)
            uow.update(moved, replace(moved, project=PROJECT))
            uow.commit()
        assert store.enrolment(CODE, person.nip) == Enrolment(
            CODE, person, "on_class", 2, 0, PROJECT
        )

    # entered_from

    def test_entered_from_is_the_source_of_the_last_move_in(
        self, store: Store, cohort: Cohort
    ) -> None:
        """entered_from() names where the last accepted move into the current state came from."""
        person = _person()
        _enrol(store, person)
        assert _entered_from(store, person.nip) is None
        _move(store, person.nip, "on_class")
        assert _entered_from(store, person.nip) == "enrolled"
        _move(store, person.nip, "proposal")
        _move(store, person.nip, "proposal")  # a revision: it does not enter anew
        assert _entered_from(store, person.nip) == "on_class"
        _move(store, person.nip, "withdrawn")
        assert _entered_from(store, person.nip) == "proposal"
        assert _entered_from(store, _nip(sequence=994), cohort.code) is None

    def test_entered_from_ignores_data_commands_and_refusals(
        self, store: Store, cohort: Cohort
    ) -> None:
        """Data-command entries (source = target), refused moves and other cohorts do not count."""
        _add_cohort(store, _cohort(OTHER))
        person = _person()
        _enrol(store, person, cohort=OTHER)
        _move(store, person.nip, "on_class", cohort=OTHER)
        _move(store, person.nip, "withdrawn", cohort=OTHER)
        _enrol(store, person)
        _move(store, person.nip, "withdrawn")
        with store.unit(cohort.code) as uow:
            uow.record(
                _entry(
                    uow.next_seq(),
                    person.nip,
                    event="register_project",
                    source="withdrawn",
                    target="withdrawn",
                )
            )
            uow.record(
                _entry(
                    uow.next_seq(),
                    person.nip,
                    event="drop",
                    source="laboratory",
                    target="withdrawn",
                    outcome="refused",
                    violations=(Violation("illegal_transition", "no"),),
                )
            )
            uow.commit()
        assert _entered_from(store, person.nip) == "enrolled"
        assert _entered_from(store, person.nip, OTHER) == "on_class"

    def test_entered_from_sees_the_units_own_move(self, store: Store, cohort: Cohort) -> None:
        """A move recorded earlier in the same unit is seen by entered_from()."""
        person = _person()
        _enrol(store, person)
        _move(store, person.nip, "on_class")
        with store.unit(cohort.code) as uow:
            live = uow.enrolment(person.nip)
            assert live is not None
            uow.record(
                _entry(
                    uow.next_seq(), person.nip, event="drop", source="on_class", target="dropped"
                )
            )
            uow.update(live, live.moved("dropped", _stages(uow)))
            assert uow.entered_from(person.nip) == "on_class"

    # the audit trail

    def test_seq_is_contiguous_from_one_per_cohort(self, store: Store, cohort: Cohort) -> None:
        """Each cohort's trail numbers its entries 1, 2, 3 ... on its own."""
        _add_cohort(store, _cohort(OTHER))
        for i in range(3):
            _enrol(store, _person(_office(i)), cohort=cohort.code)
            _enrol(store, _person(_office(i)), cohort=OTHER)
        assert [e.seq for e in store.history(cohort=CODE)] == [1, 2, 3]
        assert [e.seq for e in store.history(cohort=OTHER)] == [1, 2, 3]
        assert _next_seq(store, CODE) == _next_seq(store, OTHER) == 4

    def test_history_filters_by_nip_and_cohort(self, store: Store, cohort: Cohort) -> None:
        """history(nip=..., cohort=...) keeps the matching entries, oldest first."""
        _add_cohort(store, _cohort(OTHER))
        a, b = _person(DINKES), _person(BKD)
        hour = timedelta(hours=1)
        a1 = _enrol(store, a, cohort=OTHER, at=AT)
        b1 = _enrol(store, b, at=AT + hour)
        a2 = _move(store, a.nip, "graduated", cohort=OTHER, at=AT + 2 * hour)
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
        assert store.history(nip=_nip(sequence=997)) == []

    def test_history_filters_by_event_actor_and_time(self, store: Store, cohort: Cohort) -> None:
        """history(event=, actor=, since=, until=) keeps the matching ones: since <= at < until."""
        _add_cohort(store, _cohort(OTHER))
        a, b = _person(DINKES), _person(BKD)
        hour = timedelta(hours=1)
        a1 = _enrol(store, a, cohort=OTHER, at=AT)
        b1 = _enrol(store, b, at=AT + hour)
        a2 = _move(store, a.nip, "graduated", cohort=OTHER, at=AT + 2 * hour)
        a3 = _enrol(store, a, at=AT + 3 * hour)
        b2 = _move(store, b.nip, "on_class", at=AT + 4 * hour)
        with store.unit(cohort.code) as uow:
            refused = _entry(
                uow.next_seq(),
                a.nip,
                at=AT + 5 * hour,
                event="to_seminar",
                source="enrolled",
                target="seminar",
                outcome="refused",
                actor="coach-1",
            )
            uow.record(refused)
            uow.commit()
        assert store.history(event="enrol") == [a1, b1, a3]
        assert store.history(event="enrol", cohort=CODE) == [b1, a3]
        assert store.history(nip=a.nip, event="enrol") == [a1, a3]
        assert store.history(actor="coach-1") == [refused]
        assert store.history(nip=b.nip, actor="coach-1") == []
        assert store.history(since=AT + 2 * hour) == [a2, a3, b2, refused]
        assert store.history(until=AT + 2 * hour) == [a1, b1]
        assert store.history(cohort=OTHER, since=AT + hour, until=AT + 3 * hour) == [a2]
        tick = timedelta(microseconds=1)
        assert store.history(nip=a.nip, since=AT + 3 * hour, until=AT + 3 * hour + tick) == [a3]
        jakarta = timezone(timedelta(hours=7))
        assert store.history(since=(AT + 4 * hour).astimezone(jakarta)) == [b2, refused]
        assert store.history(event="enrol", since=AT + 6 * hour) == []

    def test_store_enrolments_filter_by_states(self, store: Store, cohort: Cohort) -> None:
        """store.enrolments(code, states) lists only those states, in enrolment order."""
        people = [_person(_office(i)) for i in range(4)]
        for person in people:
            _enrol(store, person)
        _move(store, people[3].nip, "on_class")
        _move(store, people[1].nip, "on_class")
        _move(store, people[2].nip, "withdrawn")
        assert [e.nip for e in store.enrolments(cohort.code, None)] == [p.nip for p in people]
        on_class = store.enrolments(cohort.code, ["on_class"])
        assert [e.nip for e in on_class] == [people[1].nip, people[3].nip]
        assert [e.nip for e in store.enrolments(cohort.code, {"withdrawn", "enrolled"})] == [
            people[0].nip,
            people[2].nip,
        ]
        assert store.enrolments(cohort.code, ()) == []
        assert store.enrolments(cohort.code, ["graduated"]) == []

    def test_cohort_entries_are_in_the_cohorts_history_only(
        self, store: Store, cohort: Cohort
    ) -> None:
        """An entry about the cohort (nip "") is in its trail, not in a participant's history."""
        person = _person()
        with store.unit(cohort.code) as uow:
            created = _entry(
                uow.next_seq(),
                COHORT_NIP,
                event="create_cohort",
                target=None,
                change=MappingProxyType({"cohort": {"before": None, "after": {"code": CODE}}}),
            )
            uow.record(created)
            uow.commit()
        enrolled = _enrol(store, person)
        assert store.history(cohort=CODE) == [created, enrolled]
        assert store.history() == [created, enrolled]
        assert store.history(nip=person.nip) == [enrolled]
        assert list(store.opened(CODE)) == [created, enrolled]
        [(kept, _), (sealed, _)] = list(store.trail(CODE))
        assert kept == created  # a cohort entry is stored as it is: nothing personal in it
        assert sealed.nip != person.nip  # the person's subject id
        _assert_chain(store, CODE)

    def test_history_of_a_cohort_keeps_seq_order_when_times_tie(
        self, store: Store, cohort: Cohort
    ) -> None:
        """Entries recorded at the same instant come back in sequence order."""
        people = [_person(_office(i)) for i in range(5)]
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
        """An entry comes back equal in every field and type (format too) and hashes the same."""
        nip = _nip(sequence=7)
        with store.unit(cohort.code) as uow:
            entry = build(uow.next_seq(), nip)
            uow.record(entry)
            uow.commit()
        for got in (store.history(cohort=CODE)[0], store.history(nip=nip)[0], store.history()[0]):
            assert isinstance(got, HistoryEntry)
            assert got == entry
            assert got.to_dict() == entry.to_dict()
            assert got.format == entry.format
            assert isinstance(got.violations, tuple)
            assert all(isinstance(v, Violation) for v in got.violations)
            assert type(got.at) is datetime
            assert got.effective_date is None or type(got.effective_date) is date
            assert chain_hash(GENESIS, got) == chain_hash(GENESIS, entry)
        [(stored, digest)] = list(store.trail(CODE))
        assert digest == chain_hash(GENESIS, stored)  # the hash covers the sealed entry
        assert stored.nip != nip
        assert nip not in json.dumps(stored.to_dict())
        assert list(store.opened(CODE, check=True)) == [entry]

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
        entry = _full_entry(1, _nip(sequence=11))
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
        nips = [_nip(sequence=n) for n in (21, 22, 23)]
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
            entry = _entry(uow.next_seq(), _nip(sequence=1))
            uow.record(entry)
            uow.remember("known", "fp", entry)
            uow.commit()
        assert _recall(store, "unknown") is None
        assert _recall(store, "known") is not None

    def test_remember_rolls_back(self, store: Store, cohort: Cohort) -> None:
        """A key remembered in a unit that does not commit is forgotten."""
        with store.unit(cohort.code) as uow:
            entry = _entry(uow.next_seq(), _nip(sequence=1))
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

    # passwords (the store keeps the hash it is given: any text)

    def test_password_hash_of_an_unknown_login_is_none(self, store: Store) -> None:
        """A login nobody set a password for has no hash, in an empty store or a used one."""
        assert store.password_hash("penguji") is None
        _add_cohort(store, _cohort(CODE))
        _enrol(store, _person())
        assert store.password_hash("penguji") is None
        assert store.password_hash(CODE) is None

    def test_password_hash_is_set_read_and_replaced(self, store: Store) -> None:
        """set_password_hash stores the hash under its exact login; setting again replaces it."""
        first, second = "$argon2id$v=19$first", "$argon2id$v=19$second"
        store.set_password_hash("penguji", first, by="admin", at=AT)
        assert store.password_hash("penguji") == first
        assert store.password_hash("Penguji") is None
        assert store.password_hash("penguj\u0456") is None  # a Cyrillic i: another login
        store.set_password_hash("penguji", second, by=None, at=AT + timedelta(days=1))
        store.set_password_hash("196501011990031001", first, by="penguji", at=AT)
        assert store.password_hash("penguji") == second
        assert store.password_hash("196501011990031001") == first
        assert store.cohorts() == []
        assert store.history() == []

    # the hash chain

    def test_head_of_an_empty_cohort_is_genesis(self, store: Store, cohort: Cohort) -> None:
        """A cohort without entries has an empty trail and the head (0, GENESIS)."""
        assert list(store.trail(cohort.code)) == []
        assert store.head(CODE) == Checkpoint(CODE, 0, GENESIS)
        assert verify_chain(CODE, store.trail(CODE), store.head(CODE)).ok

    def test_trail_rows_form_a_valid_chain(self, store: Store, cohort: Cohort) -> None:
        """trail() yields (entry, hash) rows in order; the hashes chain up to head()."""
        people = [_person(_office(i)) for i in range(3)]
        for person in people:
            _enrol(store, person)
        _move(store, people[0].nip, "on_class")
        with store.unit(cohort.code) as uow:
            uow.record(_full_entry(uow.next_seq(), people[1].nip))
            uow.commit()
        rows = store.trail(CODE)
        assert iter(rows) is rows  # streamed, not a list
        listed = list(rows)
        assert list(store.opened(CODE)) == store.history(cohort=CODE)
        assert [entry.seq for entry, _ in listed] == [1, 2, 3, 4, 5]
        _assert_chain(store, CODE)

    def test_trails_are_chained_per_cohort(self, store: Store, cohort: Cohort) -> None:
        """Each cohort's chain starts at GENESIS and is unaffected by the other's writes."""
        _add_cohort(store, _cohort(OTHER))
        _enrol(store, _person(DINKES))
        head = store.head(cohort.code)
        _enrol(store, _person(BKD), cohort=OTHER)
        _enrol(store, _person(BKD), cohort=OTHER)
        assert store.head(CODE) == head
        assert store.head(OTHER).seq == 2
        [(first, digest)] = list(store.trail(CODE))
        assert digest == chain_hash(GENESIS, first)
        _assert_chain(store, CODE)
        _assert_chain(store, OTHER)

    def test_rolled_back_entries_leave_the_chain_alone(self, store: Store, cohort: Cohort) -> None:
        """Entries of a unit that does not commit neither join the trail nor move the head."""
        _enrol(store, _person())
        head = store.head(cohort.code)
        with store.unit(CODE) as uow:
            uow.record(_entry(uow.next_seq(), _nip(sequence=5)))
        assert store.head(CODE) == head
        assert len(list(store.trail(CODE))) == 1
        _enrol(store, _person(BKD))
        assert store.head(CODE).seq == 2
        _assert_chain(store, CODE)

    # the projection

    def test_projection_holds_every_stored_fact(self, store: Store, cohort: Cohort) -> None:
        """projection() hands back the cohort, its pinned lifecycle, members and counters."""
        a, b = _person(DINKES), _person(BKD)
        c = _person(_office(7))
        for person in (a, b, c):
            _enrol(store, person)
        _move(store, b.nip, "withdrawn")
        _move(store, c.nip, "graduated")
        _change(store, a.nip, project=PROJECT, scores={"overall": 81.0}, group=2)
        projection = store.projection(cohort.code)
        assert projection.code == CODE
        assert projection.cohort == cohort
        assert projection.lifecycle == DEFAULT_LIFECYCLE.sha256
        assert projection.members == {e.nip: e for e in store.enrolments(CODE)}
        assert list(projection.members) == [a.nip, b.nip, c.nip]
        assert projection.members[a.nip] == Enrolment(
            CODE, a, "enrolled", 1, 0, PROJECT, {"overall": 81.0}, 2
        )
        assert projection.seated == 2
        assert projection.per_office == {"DINKES": 1, "OPD007": 1}
        assert projection.offices == {
            "DINKES": DINKES.name,
            "BKD": BKD.name,
            "OPD007": _office(7).name,
        }

    def test_projection_is_a_snapshot(self, store: Store, cohort: Cohort) -> None:
        """Mutating a projection changes nothing stored."""
        person = _person()
        _enrol(store, person)
        projection = store.projection(cohort.code)
        projection.members[person.nip].group = 5
        projection.members.clear()
        projection.seated = 99
        projection.per_office["DINKES"] = 42
        again = store.projection(CODE)
        assert again.members == {person.nip: Enrolment(CODE, person, "enrolled")}
        assert (again.seated, again.per_office) == (1, {"DINKES": 1})

    # snapshots and closing

    def test_enrolment_is_a_snapshot(self, store: Store, cohort: Cohort) -> None:
        """Mutating what enrolment() returned changes nothing stored, nor does a later write."""
        person = _person()
        _enrol(store, person)
        _change(store, person.nip, scores={"overall": 80.0})
        snapshot = store.enrolment(cohort.code, person.nip)
        snapshot.state = "graduated"
        snapshot.version = 99
        assert snapshot.scores is not None
        assert isinstance(snapshot.scores, dict)
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
        assert store.enrolments(CODE) == [Enrolment(CODE, person, "enrolled")]
        assert len(store.history(cohort=CODE)) == 1
        assert len(list(store.trail(CODE))) == 1

    # -- personal data and erasure -----------------------------------------------------

    def test_a_participant_entry_is_stored_sealed(self, store: Store, cohort: Cohort) -> None:
        """trail() holds the subject id and commitments; opened() gives the entry back."""
        person = _person()
        _enrol(store, person)
        with store.unit(cohort.code) as uow:
            entry = _full_entry(uow.next_seq(), person.nip)
            uow.record(entry)
            uow.commit()
        stored = json.dumps([e.to_dict() for e, _ in store.trail(CODE)])
        assert person.nip not in stored
        assert "dikembalikan" not in stored
        assert list(store.opened(CODE, check=True))[-1] == entry
        assert store.cohorts_of(person.nip) == [CODE]

    def test_erasing_in_a_unit_removes_the_facts_and_keeps_the_seats(
        self, store: Store, cohort: Cohort
    ) -> None:
        """Unit.erase deletes the enrolment and the values; seats and the chain stay."""
        person, other = _person(DINKES), _person(DINKES)
        _enrol(store, person)
        _enrol(store, other)
        with store.unit(cohort.code) as uow:
            uow.record(_full_entry(uow.next_seq(), person.nip))
            uow.set_attendance(person.nip, "2019-04-04", "present")
            uow.commit()
        seats, head = _seats(store), store.head(CODE)
        with store.unit(cohort.code) as uow:
            uow.erase(person.nip)
            uow.commit()
        assert [e.nip for e in store.enrolments(CODE)] == [other.nip]
        assert person.nip not in store.attendance(CODE)
        assert _seats(store) == seats
        assert store.head(CODE) == head
        opened = list(store.opened(CODE, check=True))
        assert opened[-1].nip.startswith("erased:")
        assert opened[-1].reason is None
        store.forget(person.nip)
        assert store.history(nip=person.nip) == []
        assert store.cohorts_of(person.nip) == []
        assert {e.nip for e in store.opened(CODE)} == {opened[-1].nip, other.nip}
        _assert_chain(store, CODE)

    def test_an_erasure_rolled_back_changes_nothing(self, store: Store, cohort: Cohort) -> None:
        """A unit that erases and does not commit leaves the person as they were."""
        person = _person()
        _enrol(store, person)
        before = store.history(cohort=CODE), store.enrolments(CODE)
        with store.unit(cohort.code) as uow:
            uow.erase(person.nip)
        assert (store.history(cohort=CODE), store.enrolments(CODE)) == before

    def test_close_can_be_called(self, stores: _Stores) -> None:
        """close() releases the store without error, after use."""
        store = stores.open()
        _add_cohort(store, _cohort(CODE))
        _enrol(store, _person())
        stores.close(store)


# -- durability (backends that persist) --------------------------------------------------


class DurableStoreContract(_Backend):
    """What a persistent store keeps across a reopen; bound with a ``reopen`` fixture too."""

    @pytest.fixture
    def reopen(self) -> Callable[[], Store]:
        """A callable returning a new store over the same database as ``make_store``'s."""
        raise NotImplementedError("bind the durable contract: provide a reopen fixture")

    def test_cohorts_survive_a_reopen(
        self, store: Store, stores: _Stores, reopen: Callable[[], Store]
    ) -> None:
        """Cohorts, every parameter and the pinned lifecycle included, are there after a reopen."""
        _add_cohort(store, _rich_cohort(OTHER), CUSTOM)
        _add_cohort(store, _cohort(CODE))
        stores.close(store)
        again = stores.open(reopen)
        assert again.cohorts() == [_cohort(CODE), _rich_cohort(OTHER)]
        assert again.cohort(OTHER) == _rich_cohort(OTHER)
        pinned = again.lifecycle(OTHER)
        assert pinned is not None
        assert pinned.document() == CUSTOM.document()
        assert _sha(again.lifecycle(CODE)) == DEFAULT_LIFECYCLE.sha256
        with pytest.raises(AlreadyExists):
            _add_cohort(again, _cohort(CODE))

    def test_a_password_hash_survives_a_reopen(
        self, store: Store, stores: _Stores, reopen: Callable[[], Store]
    ) -> None:
        """The last hash set for a login is the one read after a reopen."""
        store.set_password_hash("penguji", "$argon2id$v=19$old", by="admin", at=AT)
        store.set_password_hash("penguji", "$argon2id$v=19$new", by="admin", at=AT)
        stores.close(store)
        again = stores.open(reopen)
        assert again.password_hash("penguji") == "$argon2id$v=19$new"
        assert again.password_hash("admin") is None

    def test_a_pin_survives_a_reopen(
        self, store: Store, stores: _Stores, reopen: Callable[[], Store]
    ) -> None:
        """A committed pin() is the cohort's lifecycle after a reopen."""
        _add_cohort(store, _cohort(CODE))
        with store.unit(CODE) as uow:
            uow.pin(MIGRATED)
            uow.commit()
        stores.close(store)
        again = stores.open(reopen)
        assert _sha(again.lifecycle(CODE)) == MIGRATED.sha256
        assert again.projection(CODE).lifecycle == MIGRATED.sha256

    def test_enrolments_survive_a_reopen(
        self, store: Store, stores: _Stores, reopen: Callable[[], Store]
    ) -> None:
        """Enrolments keep state, version, revisions, flags, project, scores, group and order."""
        a, b = _set_up_rich(store)
        c = _person(DISPENDUK)
        _enrol(store, c)
        _move(store, c.nip, "graduated")
        expected = [
            Enrolment(CODE, a, "proposal", 4, 1, PROJECT, {"paper": 77.5, "seminar": 88.25}, 2),
            Enrolment(CODE, b, "enrolled"),
            Enrolment(CODE, c, "graduated", 2, active=False, completed=True),
        ]
        assert store.enrolments(CODE) == expected
        again = stores.open(reopen)
        assert again.enrolments(CODE) == expected
        assert again.enrolment(CODE, a.nip) == expected[0]
        with again.unit(CODE) as uow:
            assert [e.nip for e in uow.enrolments(["proposal"])] == [a.nip]
            assert uow.enrolment(a.nip) == expected[0]
            assert uow.enrolment(c.nip) == expected[2]

    def test_seats_and_standing_survive_a_reopen(
        self, store: Store, stores: _Stores, reopen: Callable[[], Store]
    ) -> None:
        """Seat counts and each person's standing are the same after a reopen."""
        _add_cohort(store, _cohort(CODE))
        _add_cohort(store, _cohort(OTHER))
        graduate, leaver, active = _person(DINKES), _person(DINKES), _person(BKD)
        for person in (graduate, leaver, active):
            _enrol(store, person, cohort=OTHER)
        _move(store, graduate.nip, "graduated", cohort=OTHER)
        _move(store, leaver.nip, "withdrawn", cohort=OTHER)
        _enrol(store, leaver, cohort=CODE)
        again = stores.open(reopen)
        assert _seats(again, OTHER) == (2, 1)
        assert _seats(again, OTHER, "BKD") == (2, 1)
        assert _seats(again, CODE) == (1, 1)
        assert _standing(again, graduate.nip) == Standing(completed_in=OTHER)
        assert _standing(again, leaver.nip) == Standing(active_in=CODE)
        assert _standing(again, active.nip, OTHER) == Standing(active_in=OTHER)
        assert again.projection(OTHER) == store.projection(OTHER)

    def test_history_survives_a_reopen_exactly(
        self, store: Store, stores: _Stores, reopen: Callable[[], Store]
    ) -> None:
        """Every field of every entry, the filters and the order are the same after a reopen."""
        a, b = _set_up_rich(store)
        with store.unit(CODE) as uow:
            uow.record(_full_entry(uow.next_seq(), b.nip))
            uow.record(
                _entry(
                    uow.next_seq(),
                    a.nip,
                    at=AT + timedelta(days=40),
                    event="to_x",
                    source="proposal",
                    format=1,
                )
            )
            uow.commit()
        before = store.history(cohort=CODE)
        stores.close(store)
        again = stores.open(reopen)
        assert again.history(cohort=CODE) == before
        assert [e.to_dict() for e in again.history()] == [e.to_dict() for e in before]
        assert again.history(nip=a.nip) == [e for e in before if e.nip == a.nip]
        assert again.history(nip=b.nip, cohort=CODE) == [e for e in before if e.nip == b.nip]
        assert again.history(nip=b.nip)[-1].at.utcoffset() == timedelta(0)
        assert [e.format for e in again.history(cohort=CODE)][-2:] == [ENTRY_FORMAT, 1]

    def test_idempotency_keys_survive_a_reopen(
        self, store: Store, stores: _Stores, reopen: Callable[[], Store]
    ) -> None:
        """Single-entry and tuple results are recalled after a reopen, equal in every field."""
        _add_cohort(store, _cohort(CODE))
        nip = _nip(sequence=31)
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
        _add_cohort(store, _cohort(OTHER))
        trail, head = list(store.trail(CODE)), store.head(CODE)
        stores.close(store)
        again = stores.open(reopen)
        assert list(again.trail(CODE)) == trail
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
        sealed, digest = list(again.trail(CODE))[-1]
        assert digest == chain_hash(head.hash, sealed)
        assert list(again.opened(CODE))[-1] == entry
        _assert_chain(again, CODE)
        got = again.enrolment(CODE, a.nip)
        assert (got.state, got.version, got.revisions) == ("laboratory", 5, 1)
        assert _entered_from(again, a.nip) == "proposal"

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
        with store.new_cohort(_cohort(OTHER), CUSTOM) as uow:
            uow.record(_entry(uow.next_seq(), COHORT_NIP, event="create_cohort", target=None))
        stores.close(store)
        again = stores.open(reopen)
        assert _observed(again) == before
        assert _recall(again, "key-written") is None
        assert _standing(again, newcomer.nip) == Standing()
        assert [c.code for c in again.cohorts()] == [CODE]

    def test_engine_continues_over_a_reopened_store(
        self, store: Store, stores: _Stores, reopen: Callable[[], Store]
    ) -> None:
        """An engine over a reopened store replays keyed commands, moves on and verifies."""
        clock = FixedClock(AT)
        engine = _engine(store, clock=clock)
        engine.create_cohort(_cohort(CODE))
        person = _person()
        engine.enrol(CODE, person, key="enrol-1")
        started = engine.fire(CODE, person.nip, "start_class", key="start-1")
        stores.close(store)
        later = _engine(stores.open(reopen), clock=clock.advance(days=1))
        assert later.fire(CODE, person.nip, "start_class", key="start-1") == started
        with pytest.raises(IdempotencyConflict):
            later.fire(CODE, person.nip, "withdraw", reason="transfer", key="start-1")
        registered = later.register_project(CODE, person.nip, PROJECT)
        moved = later.fire(CODE, person.nip, "present_proposal")
        assert (registered.seq, moved.seq) == (4, 5)
        assert later.state(CODE, person.nip) == "proposal"
        [check] = later.verify()
        assert check.ok, check.problem
        assert later.checkpoints() == [later.store.head(CODE)]

    def test_a_custom_lifecycle_is_used_after_a_reopen(
        self, store: Store, stores: _Stores, reopen: Callable[[], Store]
    ) -> None:
        """A cohort created on its own lifecycle runs it in an engine given no lifecycle."""
        clock = FixedClock(AT)
        _engine(store, clock=clock).create_cohort(_cohort(OTHER), lifecycle=CUSTOM)
        stores.close(store)
        later = _engine(stores.open(reopen), clock=clock)
        assert later.pinned(OTHER) == CUSTOM.ref
        person = _person()
        assert later.enrol(OTHER, person).target == "registered"
        assert later.fire(OTHER, person.nip, "begin").target == "in_class"
        with pytest.raises(UnknownEvent):
            later.fire(OTHER, person.nip, "start_class")
        [check] = later.verify(OTHER)
        assert check.ok, check.problem


# -- the engine over the store -----------------------------------------------------------

_TO_SEMINAR = ("start_class", "present_proposal", "approve_proposal", "present_results")


class _Scenario:
    """Every engine command on one cohort, accepted and refused, step by step."""

    def __init__(self, engine: Engine, code: str, clock: FixedClock) -> None:
        self.engine, self.code, self.clock = engine, code, clock
        self.graduate, self.failed, self.leaver, self.mover = (
            _person(_office(i)) for i in range(1, 5)
        )

    def steps(self) -> list[tuple[str, Callable[[], object], bool]]:
        """``(what, command, refused)`` in order; a refused command raises a refusal."""
        engine, code = self.engine, self.code
        graduate, failed = self.graduate.nip, self.failed.nip
        leaver, mover = self.leaver.nip, self.mover.nip
        people = (self.graduate, self.failed, self.leaver, self.mover)
        return [
            ("enrol", lambda: [engine.enrol(code, p, actor="bkd") for p in people], False),
            ("refused enrol", lambda: engine.enrol(code, _person(echelon="IV.a")), True),
            (
                "advance",
                lambda: (self.clock.advance(days=1), engine.advance(code, "start_class")),
                False,
            ),
            ("project", lambda: engine.register_project(code, graduate, PROJECT), False),
            ("project 2", lambda: engine.register_project(code, failed, THIRD_PROJECT), False),
            ("refused move", lambda: engine.fire(code, leaver, "present_proposal"), True),
            ("present", lambda: engine.advance(code, "present_proposal"), False),
            (
                "replace project",
                lambda: engine.register_project(code, graduate, THIRD_PROJECT),
                False,
            ),
            ("revise", lambda: engine.fire(code, graduate, "revise_proposal"), False),
            ("approve", lambda: engine.advance(code, "approve_proposal", actor="mentor"), False),
            ("results", lambda: engine.advance(code, "present_results"), False),
            ("groups", lambda: engine.form_groups(code, 2), False),
            ("assess", lambda: engine.record_assessment(code, graduate, 85), False),
            ("assess 2", lambda: engine.record_assessment(code, failed, 40), False),
            ("refused fail", lambda: engine.fire(code, graduate, "fail"), True),
            ("graduate", lambda: engine.fire(code, graduate, "graduate", actor="panel"), False),
            ("fail", lambda: engine.fire(code, failed, "fail"), False),
            (
                "correct",
                lambda: engine.correct_assessment(code, graduate, 88, reason="recount"),
                False,
            ),
            (
                "refused correction",
                lambda: engine.correct_assessment(code, graduate, 30, reason="typo"),
                True,
            ),
            ("closed record", lambda: engine.record_assessment(code, failed, 99), True),
            ("closed groups", lambda: engine.form_groups(code, 3), True),
            (
                "correct person",
                lambda: engine.correct_participant(
                    code, leaver, name="Dra. Sri Wahyuni", reason="typo"
                ),
                False,
            ),
            ("transfer", lambda: engine.transfer_office(code, mover, BKD, reason="mutasi"), False),
            ("withdraw", lambda: engine.fire(code, leaver, "withdraw", reason="sakit"), False),
            ("reopen", lambda: engine.fire(code, leaver, "reopen", reason="by mistake"), False),
            ("drop", lambda: engine.fire(code, mover, "drop", reason="absent"), False),
            (
                "reopen graduate",
                lambda: engine.fire(code, graduate, "reopen", reason="appeal"),
                False,
            ),
            ("migrate", lambda: engine.migrate(code, MIGRATED, actor="bkd", reason="v2"), False),
            ("graduate again", lambda: engine.fire(code, graduate, "graduate"), False),
            ("keyed", lambda: engine.fire(code, leaver, "present_proposal", key="k-1"), True),
        ]

    def run(self, after: Callable[[str], None] | None = None) -> None:
        """Run every step; ``after(what)`` is called after each."""
        for what, step, refused in self.steps():
            if refused:
                with pytest.raises(TransitionRejected):
                    step()
            else:
                step()
            if after is not None:
                after(what)


class EngineContract(_Backend):
    """The engine's behaviour over a backend: lifecycle, refusals, bulk, keys and audit."""

    @pytest.fixture
    def clock(self) -> FixedClock:
        """A clock at the 2019 cohort's first morning, with microseconds."""
        return FixedClock(datetime(2019, 4, 4, 8, 0, 0, 250000, tzinfo=UTC))

    @pytest.fixture
    def engine(self, store: Store, clock: FixedClock) -> Engine:
        """The default engine over the test's store."""
        return _engine(store, clock=clock)

    @pytest.fixture
    def code(self, engine: Engine) -> str:
        """The code of the 2019 cohort, created through the engine."""
        return engine.create_cohort(_cohort(CODE)).code

    @staticmethod
    def _drive(engine: Engine, code: str, state: str, person: Participant | None = None) -> str:
        """Enrol a participant and walk the happy path to ``state``; return the NIP."""
        person = person or _person(_office(len(engine.participants(code))))
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
            store.projection(code),
            _seats(store, code),
        )

    # the cohort and its lifecycle

    def test_creation_opens_the_chain(self, engine: Engine, code: str) -> None:
        """create_cohort is entry 1: the cohort document and the whole lifecycle, before/after."""
        [created] = engine.history(cohort=code)
        assert (created.seq, created.nip, created.event, created.outcome) == (
            1,
            COHORT_NIP,
            "create_cohort",
            "accepted",
        )
        assert created.format == ENTRY_FORMAT
        change = dict(created.change or {})
        assert change["cohort"] == {"before": None, "after": _cohort(CODE).model_dump(mode="json")}
        lifecycle = change["lifecycle"]["after"]
        assert lifecycle["sha256"] == DEFAULT_LIFECYCLE.sha256
        assert lifecycle["document"] == DEFAULT_LIFECYCLE.document()
        assert engine.pinned(code) == DEFAULT_LIFECYCLE.ref
        nip = self._drive(engine, code, "enrolled")
        assert [e.seq for e in engine.history(nip)] == [2]
        assert engine.store.head(code).seq == 2

    def test_cohort_keeps_its_custom_lifecycle(
        self, engine: Engine, store: Store, clock: FixedClock
    ) -> None:
        """A cohort created on another definition keeps it: a fresh engine runs that one."""
        engine.create_cohort(_cohort(OTHER), lifecycle=CUSTOM)
        engine.create_cohort(_cohort(CODE))
        assert _sha(store.lifecycle(OTHER)) == CUSTOM.sha256
        fresh = _engine(store, clock=clock)
        assert fresh.pinned(OTHER) == CUSTOM.ref
        assert fresh.lifecycle_of(OTHER).definition.sha256 == CUSTOM.sha256
        assert fresh.lifecycle_of(CODE).definition.sha256 == DEFAULT_LIFECYCLE.sha256
        person = _person()
        assert fresh.enrol(OTHER, person).target == "registered"
        with pytest.raises(UnknownEvent):
            fresh.fire(OTHER, person.nip, "start_class")
        assert fresh.fire(OTHER, person.nip, "begin").target == "in_class"
        assert fresh.fire(OTHER, person.nip, "pass_course").target == "passed"
        assert fresh.participant(OTHER, person.nip).completed
        assert dict(fresh.status(OTHER).by_state) == {
            "registered": 0,
            "in_class": 0,
            "passed": 1,
            "left": 0,
        }
        with pytest.raises(DefinitionMismatch):
            _engine(store, lifecycle=DEFAULT_LIFECYCLE, clock=clock).fire(
                OTHER, person.nip, "leave", reason="x"
            )
        assert [(c.cohort, c.ok, c.differences) for c in fresh.verify()] == [
            (CODE, True, ()),
            (OTHER, True, ()),
        ]

    # every command leaves a record that verifies

    def test_every_command_keeps_the_store_equal_to_its_chain(
        self, engine: Engine, code: str, clock: FixedClock
    ) -> None:
        """After each command, accepted or refused, verify() finds no stored fact differing."""
        seen: list[str] = []

        def verified(what: str) -> None:
            [check] = engine.verify(code)
            assert (check.ok, check.differences, check.problem) == (True, (), None), what
            seen.append(what)

        scenario = _Scenario(engine, code, clock)
        scenario.run(verified)
        assert len(seen) == len(scenario.steps())
        assert engine.state(code, scenario.graduate.nip) == "graduated"
        assert engine.state(code, scenario.failed.nip) == "not_passed"
        assert engine.state(code, scenario.leaver.nip) == "on_class"
        assert engine.state(code, scenario.mover.nip) == "dropped"
        assert engine.participant(code, scenario.leaver.nip).participant.name == "Dra. Sri Wahyuni"
        assert engine.participant(code, scenario.mover.nip).participant.office.code == "BKD"
        assert engine.participant(code, scenario.graduate.nip).scores == {"overall": 88.0}
        assert engine.pinned(code) == MIGRATED.ref
        events = {e.event for e in engine.history(cohort=code)}
        assert events >= {
            "create_cohort",
            "enrol",
            "register_project",
            "record_assessment",
            "form_groups",
            "correct_assessment",
            "correct_participant",
            "transfer_office",
            "reopen",
            "migrate",
        }

    def test_projection_equals_the_replay_of_the_chain(
        self, engine: Engine, code: str, clock: FixedClock
    ) -> None:
        """After a whole lifecycle, projection() holds exactly what replaying the chain gives."""
        _Scenario(engine, code, clock).run()
        store = engine.store
        stored = store.projection(code)
        replayed = replay(store.opened(code), code)
        assert compare(stored, replayed) == []
        assert stored.cohort == replayed.cohort == _cohort(CODE)
        assert stored.lifecycle == replayed.lifecycle == MIGRATED.sha256
        assert (stored.seated, stored.per_office) == (replayed.seated, replayed.per_office)
        assert list(stored.members) == list(replayed.members)
        for nip, held in stored.members.items():
            due = replayed.members[nip]
            assert (
                held.state,
                held.version,
                held.revisions,
                held.project,
                held.scores,
                held.group,
                held.active,
                held.seated,
                held.completed,
                held.participant.name,
                held.participant.office.code,
            ) == (
                due.state,
                due.version,
                due.revisions,
                due.project,
                due.scores,
                due.group,
                due.active,
                due.seated,
                due.completed,
                due.participant.name,
                due.participant.office.code,
            ), nip
        assert stored.members == {e.nip: e for e in engine.participants(code)}

    def test_a_change_without_an_entry_is_reported_by_verify(
        self, engine: Engine, code: str
    ) -> None:
        """A score written past the engine (no audit entry) is a difference naming its table."""
        nip = self._drive(engine, code, "seminar")
        engine.record_assessment(code, nip, 85)
        _change(engine.store, nip, cohort=code, scores={"overall": 99.0})
        [check] = engine.verify(code)
        assert not check.ok
        assert check.differences == (Difference("assessments", nip, "overall", 99.0, 85.0),)
        assert check.problem is not None
        assert "assessments" in check.problem
        assert nip in check.problem

    # the lifecycle

    def test_happy_path_to_graduation(self, engine: Engine, code: str, clock: FixedClock) -> None:
        """Enrolment to graduation is accepted step by step, every command in the chain."""
        person = _person()
        payload = {"letter": "800/123/426.2019", "pages": [1, 2]}
        enrolled = engine.enrol(code, person, actor="bkd", reason="nominated", payload=payload)
        clock.advance(days=1)
        started = engine.fire(code, person.nip, "start_class", actor="bkd")
        registered = engine.register_project(code, person.nip, PROJECT, actor="mentor")
        proposed = engine.fire(code, person.nip, "present_proposal")
        revised = engine.fire(code, person.nip, "revise_proposal", reason="sharpen aims")
        clock.advance(days=7)
        approved = engine.fire(code, person.nip, "approve_proposal", actor="mentor")
        presented = engine.fire(
            code, person.nip, "present_results", effective_date=date(2019, 7, 1)
        )
        grade = engine.record_assessment(code, person.nip, 85)
        assert grade is not None
        assert (grade.score, grade.band, grade.passed) == (85.0, "memuaskan", True)
        graduated = engine.fire(code, person.nip, "graduate", actor="panel")

        history = engine.history(person.nip)
        assessed = history[-2]
        assert history == [
            enrolled,
            started,
            registered,
            proposed,
            revised,
            approved,
            presented,
            assessed,
            graduated,
        ]
        assert all(e.accepted for e in history)
        assert [e.seq for e in history] == list(range(2, 11))
        assert [e.event for e in history] == [
            "enrol",
            "start_class",
            "register_project",
            "present_proposal",
            "revise_proposal",
            "approve_proposal",
            "present_results",
            "record_assessment",
            "graduate",
        ]
        assert [e.target for e in history] == [
            "enrolled",
            "on_class",
            "on_class",
            "proposal",
            "proposal",
            "laboratory",
            "seminar",
            "seminar",
            "graduated",
        ]
        assert (registered.source, registered.actor) == ("on_class", "mentor")
        assert dict(registered.change or {}) == {
            "project": {"before": None, "after": PROJECT.model_dump(mode="json")}
        }
        assert dict(assessed.change or {}) == {
            "scores": {"before": None, "after": {"overall": 85.0}}
        }
        assert dict(assessed.data or {}) == {"score": 85.0, "grade": "memuaskan", "passed": True}
        assert dict(enrolled.payload or {}) == payload
        assert dict(approved.data or {}) == {"mentor": MENTOR.name}
        assert dict(graduated.data or {})["score"] == 85.0
        assert dict(graduated.data or {})["grade"] == "memuaskan"
        assert presented.effective_date == date(2019, 7, 1)
        [created] = [e for e in engine.history(cohort=code) if e.nip == COHORT_NIP]
        assert engine.history(cohort=code) == [created, *history]
        assert engine.participant(code, person.nip) == Enrolment(
            code,
            person,
            "graduated",
            7,
            1,
            PROJECT,
            {"overall": 85.0},
            None,
            active=False,
            seated=True,
            completed=True,
        )
        assert _standing(engine.store, person.nip, code) == Standing(completed_in=code)
        assert _seats(engine.store, code) == (1, 1)

    def test_graduate_and_active_person_cannot_enrol_elsewhere(
        self, engine: Engine, code: str
    ) -> None:
        """Standing read through the store refuses a second course for active or graduated."""
        engine.create_cohort(_cohort(OTHER))
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
        assert [(e.event, e.outcome) for e in engine.history(cohort=OTHER)] == [
            ("create_cohort", "accepted"),
            ("enrol", "refused"),
            ("enrol", "refused"),
        ]

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
        assert refused.seq == 4
        assert engine.store.head(code).seq == 4
        assert [c.ok for c in engine.verify(code)] == [True]

    def test_refused_data_command_is_audited_and_changes_nothing_else(
        self, engine: Engine, code: str
    ) -> None:
        """A data command refused in a final state is audited; the record stays as it was."""
        nip = self._drive(engine, code, "on_class")
        engine.fire(code, nip, "withdraw", reason="sakit")
        before = self._observed(engine, code)
        with pytest.raises(TransitionRejected) as caught:
            engine.register_project(code, nip, PROJECT)
        assert caught.value.codes == ("record_closed",)
        refused = engine.history(nip)[-1]
        assert (refused.event, refused.source, refused.target, refused.outcome) == (
            "register_project",
            "withdrawn",
            "withdrawn",
            "refused",
        )
        assert [e.to_dict() for e in engine.participants(code)] == before[0]
        assert engine.store.projection(code) == before[5]
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

    def test_reopening_takes_the_seat_back_only_if_free(self, engine: Engine, code: str) -> None:
        """A withdrawal reopened returns to the state left, unless the office seat was taken."""
        first = self._drive(engine, code, "proposal", _person(DINKES))
        self._drive(engine, code, "enrolled", _person(DINKES))
        engine.fire(code, first, "withdraw", reason="sakit")
        third = _person(DINKES)
        engine.enrol(code, third)
        with pytest.raises(TransitionRejected) as caught:
            engine.fire(code, first, "reopen", reason="withdrawn by mistake")
        assert caught.value.codes == ("office_quota",)
        engine.fire(code, third.nip, "drop", reason="absent")
        reopened = engine.fire(code, first, "reopen", reason="withdrawn by mistake")
        assert (reopened.source, reopened.target) == ("withdrawn", "proposal")
        assert _seats(engine.store, code) == (2, 2)
        assert engine.participant(code, first).active
        assert [c.ok for c in engine.verify(code)] == [True]

    def test_full_cohort_refuses_a_nominee(self, engine: Engine) -> None:
        """A cohort at capacity refuses the next nominee with cohort_capacity."""
        code = engine.create_cohort(_cohort(OTHER, capacity=2)).code
        engine.enrol(code, _person(_office(1)))
        engine.enrol(code, _person(_office(2)))
        with pytest.raises(TransitionRejected) as caught:
            engine.enrol(code, _person(_office(3)))
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
        """An unknown event, NIP or cohort raises before anything is audited."""
        nip = self._drive(engine, code, "enrolled")
        before = self._observed(engine, code)
        with pytest.raises(UnknownEvent):
            engine.fire(code, nip, "teleport")
        with pytest.raises(ParticipantNotFound):
            engine.fire(code, _nip(sequence=996), "start_class")
        with pytest.raises(CohortNotFound):
            engine.fire("PKA-NOPE", nip, "start_class")
        with pytest.raises(CohortNotFound):  # the cohort is reported before the event
            engine.fire("PKA-NOPE", nip, "teleport")
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
        engine = _engine(store, rules=rules, clock=clock)
        code = engine.create_cohort(_cohort(CODE)).code
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

    def test_keyed_data_command_replays_without_writing(self, engine: Engine, code: str) -> None:
        """A retried data command with the same key returns the first entry and writes nothing."""
        nip = self._drive(engine, code, "on_class")
        first = engine.register_project(code, nip, PROJECT, key="p-1")
        after = self._observed(engine, code)
        assert engine.register_project(code, nip, PROJECT, key="p-1") == first
        assert self._observed(engine, code) == after
        with pytest.raises(IdempotencyConflict):
            engine.register_project(code, nip, OTHER_PROJECT, key="p-1")
        assert self._observed(engine, code) == after

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
        audited = engine.history(cohort=code)
        with pytest.raises(TransitionRejected) as again:
            engine.fire(code, nip, "present_proposal", key="p-1")
        assert again.value.violations == first.value.violations
        assert engine.history(cohort=code) == audited
        assert audited[:-1] == after[1]
        assert audited[-1].event == "register_project"
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

    # passwords

    def test_a_password_set_is_checked(self, engine: Engine) -> None:
        """set_password then check_password: the password only, of that login only."""
        engine.set_password("penguji", "kata-sandi-1", actor="admin")
        assert engine.check_password("penguji", "kata-sandi-1")
        assert not engine.check_password("penguji", "kata-sandi-2")
        assert not engine.check_password("admin", "kata-sandi-1")
        assert engine.store.password_hash("penguji") != "kata-sandi-1"

    def test_a_password_set_again_replaces_the_old(self, engine: Engine) -> None:
        """A second set_password makes the old password fail and the new one pass."""
        engine.set_password("penguji", "kata-sandi-1", actor="admin")
        engine.set_password("penguji", "kata-sandi-2", actor="penguji")
        assert not engine.check_password("penguji", "kata-sandi-1")
        assert engine.check_password("penguji", "kata-sandi-2")

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
        registered = engine.register_project(code, person.nip, PROJECT)
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
            (registered, "on_class", True),
            (report.accepted[0], "dropped", True),
        ]

    # audit

    def test_verify_is_ok_and_checkpoints_match_heads(self, engine: Engine, code: str) -> None:
        """verify() passes for every cohort; checkpoints() are the stored heads."""
        engine.create_cohort(_cohort(OTHER))
        for _ in range(3):
            self._drive(engine, code, "proposal")
        with pytest.raises(IllegalTransition):
            engine.fire(code, engine.participants(code)[0].nip, "present_results")
        checks = engine.verify()
        # 1 creation + 3 x (enrol, start_class, register_project, present_proposal) + 1 refusal
        assert [(c.cohort, c.ok, c.entries, c.differences) for c in checks] == [
            (code, True, 14, ()),
            (OTHER, True, 1, ()),
        ]
        assert engine.checkpoints() == [engine.store.head(code), engine.store.head(OTHER)]
        assert engine.checkpoints()[0].seq == 14
        [created] = engine.history(cohort=OTHER)
        assert engine.checkpoints()[1] == Checkpoint(OTHER, 1, chain_hash(GENESIS, created))
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
        """export() holds schema version, cohort, lifecycle, participants, history and head."""
        nip = self._drive(engine, code, "proposal")
        engine.record_assessment(code, nip, Assessment(score=66.5))
        with pytest.raises(TransitionRejected):
            engine.enrol(code, _person(echelon="IV.a"))
        exported = engine.export(code)
        assert set(exported) == {
            "schema_version",
            "cohort",
            "lifecycle",
            "participants",
            "history",
            "head",
        }
        assert exported["schema_version"] == EXPORT_SCHEMA_VERSION
        assert Cohort.model_validate(exported["cohort"], strict=False) == _cohort(CODE)
        assert exported["lifecycle"] == DEFAULT_LIFECYCLE.ref.to_dict()
        assert exported["participants"] == [e.to_dict() for e in engine.participants(code)]
        assert exported["participants"][0]["scores"] == {"overall": 66.5}
        assert exported["participants"][0]["project"] == PROJECT.model_dump(mode="json")
        assert [h["seq"] for h in exported["history"]] == [1, 2, 3, 4, 5, 6, 7]
        assert [h["event"] for h in exported["history"]][-3:] == [
            "present_proposal",
            "record_assessment",
            "enrol",
        ]
        assert exported["history"][-1]["outcome"] == "refused"
        assert exported["head"] == engine.store.head(code).to_dict()
        assert exported["head"]["seq"] == 7
        assert json.loads(json.dumps(exported)) == exported

    def test_states_as_of_matches_a_replay(
        self, engine: Engine, code: str, clock: FixedClock
    ) -> None:
        """states_as_of(t) equals the states observed at t, for every step of a scenario."""
        start = clock.now()
        a, b, c = _person(_office(1)), _person(_office(2)), _person(_office(3))
        steps: list[Callable[[], object]] = [
            lambda: engine.enrol(code, a),
            lambda: (engine.enrol(code, b), engine.fire(code, a.nip, "start_class")),
            lambda: engine.advance(code, "start_class"),
            lambda: engine.enrol(code, _person(_office(4), echelon="IV.a")),
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

    def test_record_as_of_reconstructs_projects_scores_and_groups(
        self, engine: Engine, code: str, clock: FixedClock
    ) -> None:
        """record_as_of(t) gives the project, scores and group each participant had at t."""
        nip = self._drive(engine, code, "seminar")
        engine.form_groups(code, 1)
        before = clock.now()
        clock.advance(hours=1)
        engine.record_assessment(code, nip, 70)
        clock.advance(hours=1)
        engine.correct_assessment(code, nip, 72, reason="recount")
        engine.register_project(code, nip, THIRD_PROJECT)
        then = engine.record_as_of(code, before).members[nip]
        assert (then.project, then.scores, then.group, then.state) == (
            PROJECT,
            None,
            1,
            "seminar",
        )
        now = engine.record_as_of(code, clock.now()).members[nip]
        assert (now.project, now.scores, now.group) == (THIRD_PROJECT, {"overall": 72.0}, 1)
        assert now.project == engine.participant(code, nip).project

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
        assert grade is not None
        assert (grade.score, grade.band, grade.passed) == (68.0, "lulus", True)
        assert engine.participant(code, nip).scores == {"paper": 50.0, "seminar": 80.0}
        entry = engine.fire(code, nip, "graduate")
        assert dict(entry.data or {})["score"] == 68.0
        assert dict(entry.data or {})["grade"] == "lulus"
