"""Engine.erase: personal data out of the chain and erased, on every store (issue 11 item 3)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import text

from changeflow import (
    Assessment,
    ChangeProject,
    Engine,
    FixedClock,
    InvalidInput,
    Mentor,
    ParticipantNotFound,
    TransitionRejected,
)
from changeflow.personal import is_erased
from changeflow.store.sql import SqlStore
from factories import BKD, DINKES, make_cohort, make_participant, trusted_engine

if TYPE_CHECKING:
    from changeflow.store.base import Store

CODE = "PKA-III-VII-2019"
OTHER = "PKA-III-VIII-2019"
DEWI = make_participant(name="Dewi Zulaikha Prameswari", office=DINKES)
SRI = make_participant(name="Sri Wahyuningtyas Kencana", office=BKD)
MENTOR = Mentor(name="Kepala Dinas Kesehatan Mardiyanto", nip="196501011990031001")
SECRETS = (DEWI.nip, "Dewi Zulaikha", "Prameswari", MENTOR.nip, "Mardiyanto", "sakit tifus")
"""Dewi's personal values, and her mentor's, that the sample lifecycle records."""


def _engine(store: Store, clock: FixedClock) -> Engine:
    engine = trusted_engine(store, clock=clock)
    engine.create_cohort(make_cohort(CODE))
    return engine


def _graduate(engine: Engine, code: str, nip: str) -> None:
    """Enrolled to graduated, a project with a mentor and a score recorded on the way."""
    engine.fire(code, nip, "start_class")
    project = ChangeProject(title="Antrean daring", theme="kesehatan", mentor=MENTOR)
    engine.register_project(code, nip, project, reason="usulan Dewi Zulaikha")
    for event in ("present_proposal", "approve_proposal", "present_results"):
        engine.fire(code, nip, event)
    engine.record_assessment(code, nip, Assessment(score=85.0))
    engine.fire(code, nip, "graduate")


def _sample(engine: Engine) -> None:
    """Dewi through the whole course with corrections; Sri stays active."""
    engine.enrol(CODE, DEWI, reason="usulan BKD untuk Dewi Zulaikha", payload={"sk": "Prameswari"})
    engine.enrol(CODE, SRI)
    engine.correct_participant(
        CODE, DEWI.nip, name="Dewi Zulaikha Prameswari Putri", reason="sakit tifus"
    )
    _graduate(engine, CODE, DEWI.nip)


def _rows(store: SqlStore, table: str) -> list[str]:
    with store.engine.connect() as connection:
        return [str(tuple(row)) for row in connection.execute(text(f"SELECT * FROM {table}"))]  # noqa: S608


def test_the_erasure_scenario(each_store: Store, clock: FixedClock) -> None:
    """A graduate erased: every chain verifies, history shows them erased, export omits them."""
    engine = _engine(each_store, clock)
    _sample(engine)
    seats = each_store.projection(CODE).seated, each_store.projection(CODE).per_office
    head = engine.checkpoints()
    erased = engine.erase(DEWI.nip, reason="permintaan penghapusan 7/2024", actor="BKD")
    assert [(e.cohort, e.event, e.source, e.target) for e in erased] == [
        (CODE, "erase", "graduated", "graduated")
    ]
    [check] = engine.verify(expected=head)
    assert (check.ok, check.differences) == (True, ()), check.problem
    assert engine.history(DEWI.nip) == []
    assert [m.nip for m in engine.participants(CODE)] == [SRI.nip]
    history = engine.history(cohort=CODE)
    hers = [e for e in history if is_erased(e.nip)]
    assert len({e.nip for e in hers}) == 1
    assert len(hers) == 10
    assert hers[-1].event == "erase"
    assert hers[-1].reason == "permintaan penghapusan 7/2024"
    enrolment = hers[0]
    assert enrolment.change is not None
    assert enrolment.change["participant"]["after"]["name"] is None
    shown = json.dumps([e.to_dict() for e in history])
    assert not [s for s in SECRETS if s in shown]
    exported = json.dumps(engine.export(CODE))
    assert not [s for s in SECRETS if s in exported]
    assert "erased:" not in exported  # left out, not shown masked
    # a graduate keeps the seat they held: an erasure frees none
    after = each_store.projection(CODE)
    assert (after.seated, after.per_office) == seats
    assert engine.status(CODE).total == 1


def test_erasing_an_active_participant_is_refused_and_changes_nothing(
    each_store: Store, clock: FixedClock
) -> None:
    """still_active: nothing written, the participant and the chain as they were."""
    engine = _engine(each_store, clock)
    _sample(engine)
    before = engine.history(cohort=CODE)
    with pytest.raises(TransitionRejected) as refused:
        engine.erase(SRI.nip, reason="permintaan")
    assert refused.value.codes == ("still_active",)
    assert refused.value.violations[0].facts == {"cohort": CODE, "state": "enrolled"}
    assert engine.history(cohort=CODE) == before
    assert engine.participant(CODE, SRI.nip).participant.name == SRI.name
    assert engine.verify()[0].ok


def test_active_in_another_cohort_refuses_the_erasure_everywhere(
    each_store: Store, clock: FixedClock
) -> None:
    """Withdrawn here but active there: refused, and the cohort it left keeps its record too."""
    engine = _engine(each_store, clock)
    engine.create_cohort(make_cohort(OTHER))
    engine.enrol(CODE, DEWI)
    engine.fire(CODE, DEWI.nip, "withdraw", reason="mutasi")
    engine.enrol(OTHER, DEWI)
    with pytest.raises(TransitionRejected) as refused:
        engine.erase(DEWI.nip, reason="permintaan")
    assert refused.value.cohort == OTHER
    assert [e.event for e in engine.history(DEWI.nip)] == ["enrol", "withdraw", "enrol"]


def test_a_person_in_two_cohorts_is_erased_from_both(each_store: Store, clock: FixedClock) -> None:
    """One erase entry per cohort; both chains verify; a refused nomination's cohort too."""
    engine = _engine(each_store, clock)
    engine.create_cohort(make_cohort(OTHER, capacity=1))
    engine.enrol(OTHER, SRI)
    with pytest.raises(TransitionRejected):
        engine.enrol(OTHER, DEWI)  # the cohort is full: a refused attempt, no enrolment
    engine.enrol(CODE, DEWI)
    engine.fire(CODE, DEWI.nip, "drop", reason="sakit tifus")
    erased = engine.erase(DEWI.nip, reason="permintaan")
    assert [e.cohort for e in erased] == sorted([CODE, OTHER])
    assert all(check.ok for check in engine.verify()), engine.verify()
    assert engine.history(DEWI.nip) == []
    assert each_store.cohorts_of(DEWI.nip) == []
    with pytest.raises(ParticipantNotFound):
        engine.erase(DEWI.nip, reason="again")


def test_an_erased_person_may_enrol_again_as_a_new_subject(
    each_store: Store, clock: FixedClock
) -> None:
    """Nothing links the new enrolment to the erased entries; everything verifies."""
    engine = _engine(each_store, clock)
    engine.enrol(CODE, DEWI)
    engine.fire(CODE, DEWI.nip, "withdraw", reason="mutasi")
    engine.erase(DEWI.nip, reason="permintaan")
    again = engine.enrol(CODE, DEWI)
    assert [e.seq for e in engine.history(DEWI.nip)] == [again.seq]
    assert engine.verify()[0].ok


def test_erasure_needs_a_reason_and_a_known_person(each_store: Store, clock: FixedClock) -> None:
    """No reason is InvalidInput; a NIP no chain holds is ParticipantNotFound."""
    engine = _engine(each_store, clock)
    engine.enrol(CODE, DEWI)
    with pytest.raises(InvalidInput):
        engine.erase(DEWI.nip, reason="  ")
    with pytest.raises(ParticipantNotFound):
        engine.erase(SRI.nip, reason="permintaan")
    with pytest.raises(ParticipantNotFound):
        engine.erase("not a nip", reason="permintaan")


def test_the_past_replays_with_the_person_erased(each_store: Store, clock: FixedClock) -> None:
    """record_as_of before the erasure shows them under their erased marker, no name."""
    engine = _engine(each_store, clock)
    _sample(engine)
    moment = clock.now()
    clock.advance(days=1)
    engine.erase(DEWI.nip, reason="permintaan")
    members = engine.record_as_of(CODE, moment).members
    [marker] = [nip for nip in members if is_erased(nip)]
    assert members[marker].state == "graduated"
    assert members[marker].participant.name is None


# -- SQL: what the tables hold ----------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def sql_store(request: pytest.FixtureRequest, tmp_path: Any) -> Any:
    """A fresh SQL store on each backend."""
    url = (
        f"sqlite:///{tmp_path / 'erase.db'}"
        if request.param == "sqlite"
        else str(request.getfixturevalue("pg_url"))
    )
    store = SqlStore(url)
    yield store
    store.close()


def test_no_personal_value_is_in_any_audit_row(sql_store: SqlStore, clock: FixedClock) -> None:
    """The stored chain holds subject ids and commitments: none of the sample's personal values."""
    engine = _engine(sql_store, clock)
    _sample(engine)
    audit = "\n".join(_rows(sql_store, "audit"))
    assert not [s for s in SECRETS if s in audit]
    personal = "\n".join(_rows(sql_store, "personal_data"))
    assert "Dewi Zulaikha" in personal
    assert MENTOR.nip in personal


def test_an_edit_of_the_personal_table_is_caught(sql_store: SqlStore, clock: FixedClock) -> None:
    """Verify names the entry and the value whose commitment no longer matches."""
    engine = _engine(sql_store, clock)
    _sample(engine)
    with sql_store.engine.begin() as connection:
        connection.execute(
            text("UPDATE personal_data SET data = REPLACE(data, 'Dewi Zulaikha', 'Dewi Zul')")
        )
    [check] = engine.verify()
    assert not check.ok
    assert check.field == "personal_data"
    assert check.first_bad_seq == 2
    assert "personal data (reason): the value does not match" in str(check.problem)


def test_an_edited_nip_in_the_subjects_table_is_caught(
    sql_store: SqlStore, clock: FixedClock
) -> None:
    """Giving a subject another NIP breaks its id's commitment: verify fails on nip."""
    engine = _engine(sql_store, clock)
    _sample(engine)
    with sql_store.engine.begin() as connection:
        connection.execute(
            text("UPDATE subjects SET nip = '197506012000031999' WHERE nip = :nip"),
            {"nip": DEWI.nip},
        )
    [check] = engine.verify()
    assert not check.ok
    assert "(nip)" in str(check.problem)


def test_personal_rows_deleted_without_an_erasure_are_caught(
    sql_store: SqlStore, clock: FixedClock
) -> None:
    """Values removed behind changeflow's back read as erased, but no erase entry says so."""
    engine = _engine(sql_store, clock)
    _sample(engine)
    with sql_store.engine.begin() as connection:
        connection.execute(text("DELETE FROM personal_data"))
    [check] = engine.verify()
    assert not check.ok
    assert check.differences
    assert {d.table for d in check.differences} >= {"enrolments"}
