"""The in-memory store: units of work roll back unless committed; reads return copies."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from changeflow import (
    AlreadyExists,
    ChangeProject,
    CohortNotFound,
    ConcurrentTransition,
    Enrolment,
    HistoryEntry,
    MemoryStore,
    Mentor,
    Office,
    ParticipantNotFound,
)
from changeflow.rules import Standing
from changeflow.states import DEFAULT_LIFECYCLE, LifecycleDefinition
from factories import BKD, DINKES, make_cohort, make_participant

AT = datetime(2019, 4, 4, 8, 0, tzinfo=UTC)
CODE = "PKA-III-VII-2019"
PROJECT = ChangeProject(title="Perizinan satu hari", theme="perizinan", mentor=Mentor(name="K"))


def _add_cohort(store: MemoryStore, code: str) -> None:
    """Create a cohort pinned to the default lifecycle, in one committed unit."""
    with store.new_cohort(make_cohort(code), DEFAULT_LIFECYCLE) as uow:
        uow.commit()


def _store() -> MemoryStore:
    """A store holding the 2019 cohort."""
    store = MemoryStore()
    _add_cohort(store, CODE)
    return store


def _entry(seq: int, nip: str, cohort: str = CODE, at: datetime = AT) -> HistoryEntry:
    """An accepted enrolment entry."""
    return HistoryEntry(seq, at, cohort, nip, "enrol", None, "enrolled", "accepted")


def _enrol(store: MemoryStore, office: Office = DINKES) -> Enrolment:
    """Add and commit one enrolment with its audit entry; return the live record."""
    enrolment = Enrolment(CODE, make_participant(office=office), "enrolled")
    with store.unit(CODE) as uow:
        uow.add(enrolment)
        uow.record(_entry(uow.next_seq(), enrolment.nip))
        uow.commit()
    return enrolment


def _counts(store: MemoryStore, office: str = "DINKES") -> tuple[int, int]:
    """Seats taken in the cohort, and by one office."""
    with store.unit(CODE) as uow:
        return uow.seated(CODE), uow.seated_from_office(CODE, office)


def test_unit_rolls_back_unless_committed() -> None:
    """Writes in a unit that is left without commit are all undone."""
    store = _store()
    person = make_participant()
    with store.unit(CODE) as uow:
        assert uow.office(DINKES, create=True) is DINKES
        uow.add(Enrolment(CODE, person, "enrolled"))
        uow.record(_entry(uow.next_seq(), person.nip))
        uow.remember("key", "fingerprint", _entry(1, person.nip))
        assert uow.enrolment(person.nip) is not None  # it reads its own writes
        assert uow.seated(CODE) == 1
    assert store.enrolments(CODE) == []
    assert store.history(cohort=CODE) == []
    assert store.history(nip=person.nip) == []
    assert store.offices() == []
    assert _counts(store) == (0, 0)
    with store.unit(CODE) as uow:
        assert uow.recall("key") is None
        assert uow.standing(person.nip) == Standing()
        assert uow.next_seq() == 1


def _write_everything_then_crash(store: MemoryStore, enrolment: Enrolment) -> None:
    """Make every kind of write in one unit, then raise before committing."""
    with store.unit(CODE) as uow:
        withdrawn = enrolment.moved("withdrawn", DEFAULT_LIFECYCLE)
        uow.update(enrolment, withdrawn)
        changed = replace(withdrawn, project=PROJECT, scores={"overall": 90.0}, group=2)
        uow.update(withdrawn, changed)
        uow.record(_entry(uow.next_seq(), enrolment.nip))
        uow.pin(
            LifecycleDefinition.model_validate({**DEFAULT_LIFECYCLE.document(), "version": "x"})
        )
        raise RuntimeError("crash")


def test_unit_rolls_back_when_an_error_escapes() -> None:
    """An exception raised inside a unit undoes every write made before it."""
    store = _store()
    enrolment = _enrol(store)
    with pytest.raises(RuntimeError, match="crash"):
        _write_everything_then_crash(store, enrolment)
    kept = store.enrolment(CODE, enrolment.nip)
    assert (kept.state, kept.version, kept.project, kept.scores, kept.group) == (
        "enrolled",
        1,
        None,
        None,
        None,
    )
    assert len(store.history(cohort=CODE)) == 1
    assert _counts(store) == (1, 1)
    assert store.lifecycle(CODE) is DEFAULT_LIFECYCLE
    with store.unit(CODE) as uow:
        assert uow.standing(enrolment.nip) == Standing(active_in=CODE)


def test_committed_writes_stay() -> None:
    """Committed writes are visible to later reads, seats and standing as the flags say."""
    store = _store()
    first = _enrol(store)
    second = _enrol(store, office=BKD)
    with store.unit(CODE) as uow:
        uow.update(first, first.moved("withdrawn", DEFAULT_LIFECYCLE))
        uow.update(second, second.moved("graduated", DEFAULT_LIFECYCLE))
        uow.commit()
    assert [e.state for e in store.enrolments(CODE)] == ["withdrawn", "graduated"]
    assert _counts(store) == (1, 0)
    assert _counts(store, "BKD") == (1, 1)
    with store.unit(CODE) as uow:
        assert uow.standing(first.nip) == Standing()
        assert uow.standing(second.nip) == Standing(completed_in=CODE)
        assert [e.nip for e in uow.enrolments(["graduated"])] == [second.nip]
        assert [e.nip for e in uow.enrolments()] == [first.nip, second.nip]


def test_reflexive_move_counts_a_revision() -> None:
    """Moving to the same state counts a revision and bumps the version."""
    store = _store()
    enrolment = _enrol(store)
    with store.unit(CODE) as uow:
        uow.update(enrolment, enrolment.moved("enrolled", DEFAULT_LIFECYCLE))
        uow.commit()
    kept = store.enrolment(CODE, enrolment.nip)
    assert (kept.state, kept.version, kept.revisions) == ("enrolled", 2, 1)


def test_closed_unit_takes_no_more_commits() -> None:
    """A unit commits once; a second commit raises RuntimeError."""
    store = _store()
    with store.unit(CODE) as uow:
        uow.commit()
        with pytest.raises(RuntimeError, match="closed"):
            uow.commit()


def test_writes_after_commit_are_refused_and_not_applied() -> None:
    """Once committed, a unit refuses further writes before touching the store."""
    store = _store()
    enrolment = _enrol(store)
    with store.unit(CODE) as uow:
        uow.commit()
        with pytest.raises(RuntimeError, match="closed"):
            uow.update(enrolment, replace(enrolment, group=3))
        with pytest.raises(RuntimeError, match="closed"):
            uow.update(enrolment, enrolment.moved("on_class", DEFAULT_LIFECYCLE))
        with pytest.raises(RuntimeError, match="closed"):
            uow.pin(DEFAULT_LIFECYCLE)
    kept = store.enrolment(CODE, enrolment.nip)
    assert (kept.group, kept.state, kept.version) == (None, "enrolled", 1)


def test_snapshots_are_copies() -> None:
    """Changing what enrolment() or enrolments() returned does not change the store."""
    store = _store()
    enrolment = _enrol(store)
    with store.unit(CODE) as uow:
        uow.update(enrolment, replace(enrolment, scores={"overall": 80.0}))
        uow.commit()
    one = store.enrolment(CODE, enrolment.nip)
    one.state = "graduated"
    one.version = 42
    assert one.scores is not None
    one.scores["overall"] = 0.0
    listed = store.enrolments(CODE)
    listed[0].group = 3
    listed.clear()
    again = store.enrolment(CODE, enrolment.nip)
    assert (again.state, again.version, again.scores, again.group) == (
        "enrolled",
        1,
        {"overall": 80.0},
        None,
    )
    assert len(store.enrolments(CODE)) == 1


def test_history_lists_are_copies() -> None:
    """Changing a returned history list does not change the audit trail."""
    store = _store()
    enrolment = _enrol(store)
    store.history(cohort=CODE).clear()
    store.history(nip=enrolment.nip).clear()
    assert len(store.history(cohort=CODE)) == 1
    assert len(store.history(nip=enrolment.nip)) == 1


def test_new_cohort_twice_raises_already_exists() -> None:
    """A cohort code can be created once."""
    store = _store()
    with pytest.raises(AlreadyExists) as caught:
        _add_cohort(store, CODE)
    assert (caught.value.kind, caught.value.key) == ("cohort", CODE)
    assert len(store.cohorts()) == 1


def test_new_cohort_is_gone_unless_committed() -> None:
    """A new cohort's unit left without commit takes the cohort with it."""
    store = MemoryStore()
    with store.new_cohort(make_cohort(CODE), DEFAULT_LIFECYCLE) as uow:
        uow.add(Enrolment(CODE, make_participant(), "enrolled"))
    assert store.cohorts() == []
    with pytest.raises(CohortNotFound):
        store.lifecycle(CODE)
    _add_cohort(store, CODE)
    assert store.lifecycle(CODE) is DEFAULT_LIFECYCLE


def test_cohorts_are_listed_by_code() -> None:
    """cohorts() lists every cohort sorted by code."""
    store = _store()
    _add_cohort(store, "AAA-1")
    assert [c.code for c in store.cohorts()] == ["AAA-1", CODE]
    assert store.cohort("AAA-1").code == "AAA-1"


def test_unknown_names_raise() -> None:
    """Unknown cohorts raise CohortNotFound, unknown participants ParticipantNotFound.

    An update of someone the cohort does not hold is a ConcurrentTransition: the enrolment
    it was computed from is not the stored one.
    """
    store = _store()
    with pytest.raises(CohortNotFound):
        store.cohort("NOPE")
    with pytest.raises(CohortNotFound), store.unit("NOPE"):
        pass
    with pytest.raises(CohortNotFound):
        store.enrolments("NOPE")
    with pytest.raises(CohortNotFound):
        store.history(cohort="NOPE")
    for read in (store.lifecycle, store.projection, store.head):
        with pytest.raises(CohortNotFound):
            read("NOPE")
    with pytest.raises(CohortNotFound):
        list(store.trail("NOPE"))
    with pytest.raises(ParticipantNotFound):
        store.enrolment(CODE, make_participant().nip)
    stranger = Enrolment(CODE, make_participant(), "enrolled")
    with pytest.raises(ConcurrentTransition), store.unit(CODE) as uow:
        uow.update(stranger, replace(stranger, project=PROJECT))


def test_history_filters_and_merges() -> None:
    """History filters by participant and cohort; unfiltered it merges cohorts by time."""
    store = _store()
    _add_cohort(store, "AAA-1")
    nip = make_participant().nip
    with store.unit("AAA-1") as uow:
        uow.record(_entry(1, nip, cohort="AAA-1", at=AT))
        uow.commit()
    with store.unit(CODE) as uow:
        uow.record(_entry(1, nip, at=AT + timedelta(hours=2)))
        uow.commit()
    with store.unit("AAA-1") as uow:
        uow.record(_entry(2, "someone-else", cohort="AAA-1", at=AT + timedelta(hours=3)))
        uow.commit()
    assert [(e.cohort, e.seq) for e in store.history()] == [("AAA-1", 1), (CODE, 1), ("AAA-1", 2)]
    assert [e.cohort for e in store.history(nip=nip)] == ["AAA-1", CODE]
    assert [e.cohort for e in store.history(nip=nip, cohort=CODE)] == [CODE]
    assert [e.seq for e in store.history(cohort="AAA-1")] == [1, 2]


def test_offices_are_created_once_on_request() -> None:
    """office() returns None unless asked to create; then it keeps the first object per code."""
    store = _store()
    with store.unit(CODE) as uow:
        assert uow.office(DINKES, create=False) is None
        assert uow.office(DINKES, create=True) is DINKES
        renamed = DINKES.model_copy(update={"name": "Dinas Kesehatan Kabupaten"})
        assert uow.office(renamed, create=True) is DINKES
        uow.office(BKD, create=True)
        uow.commit()
    assert store.offices() == [BKD, DINKES]


def test_remembered_keys_survive_commit() -> None:
    """An idempotency key remembered in a committed unit is recalled later."""
    store = _store()
    entry = _entry(1, "x")
    with store.unit(CODE) as uow:
        uow.record(entry)  # a key remembers the entries its command recorded
        uow.remember("k", "fp", entry)
        uow.commit()
    with store.unit(CODE) as uow:
        assert uow.recall("k") == ("fp", entry)
        assert uow.recall("other") is None


def test_repr_counts_cohorts() -> None:
    """Repr shows how many cohorts the store holds."""
    assert repr(_store()) == "MemoryStore(cohorts=1)"
