"""Quota rules: at most N seats per office and at most ``capacity`` seats per cohort."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
from hypothesis import given
from hypothesis import strategies as st

from changeflow import TransitionRejected
from changeflow.rules import ARTICLE, OK, CohortCapacity, OfficeQuota, RuleContext
from changeflow.testing import CountingFacts
from factories import BKD, DINKES, make_cohort, make_participant, office

if TYPE_CHECKING:
    from changeflow import Cohort, Engine, Participant

NOW = datetime(2019, 4, 4, 8, 0, tzinfo=UTC)
CODE = "PKA-III-VII-2019"


def enrolment(
    facts: CountingFacts,
    participant: Participant | None = None,
    cohort: Cohort | None = None,
) -> RuleContext:
    """The context of a nomination to the 2019 cohort (unless another is given)."""
    return RuleContext(
        cohort or make_cohort(CODE),
        participant or make_participant(office=DINKES),
        "enrol",
        None,
        "enrolled",
        facts,
        NOW,
    )


def from_dinkes(taken: int) -> CountingFacts:
    """Counts where Dinas Kesehatan already holds ``taken`` seats of the cohort."""
    return CountingFacts(seats={CODE: taken}, office_seats={(CODE, DINKES.code): taken})


# -- office quota ----------------------------------------------------------------------------


@pytest.mark.parametrize("taken", [0, 1])
def test_office_quota_accepts_the_first_two(taken: int) -> None:
    """The first and second participant of one office are accepted."""
    assert OfficeQuota()(enrolment(from_dinkes(taken))) is OK


@pytest.mark.parametrize("taken", [2, 3])
def test_office_quota_refuses_the_third(taken: int) -> None:
    """A third participant from one office is refused with code ``office_quota`` and facts."""
    verdict = OfficeQuota()(enrolment(from_dinkes(taken)))
    (violation,) = verdict.violations
    assert violation.code == "office_quota"
    assert dict(violation.facts) == {"office": "DINKES", "taken": taken, "limit": 2}
    assert violation.message == (
        f"Dinas Kesehatan already has {taken} participant(s) in this cohort (at most 2)"
    )
    assert violation.message_id == f"Dinas Kesehatan sudah mengirim {taken} peserta (maksimal 2)"
    assert violation.source == ARTICLE


def test_office_quota_counts_only_the_participants_office() -> None:
    """Seats held by another office do not count against this one."""
    facts = CountingFacts(seats={CODE: 2}, office_seats={(CODE, BKD.code): 2})
    assert OfficeQuota()(enrolment(facts)).ok


def test_office_quota_counts_only_this_cohort() -> None:
    """Seats the office holds in another cohort do not count."""
    assert OfficeQuota()(enrolment(CountingFacts(office_seats={("OTHER", DINKES.code): 2}))).ok


def test_office_quota_follows_the_cohorts_max_per_office() -> None:
    """The cohort's ``max_per_office`` parameter replaces the default 2."""
    three = make_cohort(CODE, max_per_office=3)
    assert OfficeQuota()(enrolment(from_dinkes(2), cohort=three)).ok
    refused = OfficeQuota()(enrolment(from_dinkes(3), cohort=three))
    assert refused.violations[0].facts["limit"] == 3


@given(taken=st.integers(min_value=0, max_value=50), limit=st.integers(min_value=1, max_value=30))
def test_office_quota_accepts_exactly_below_the_limit(taken: int, limit: int) -> None:
    """For any count and limit the office is accepted if and only if taken < limit."""
    verdict = OfficeQuota()(
        enrolment(from_dinkes(taken), cohort=make_cohort(CODE, max_per_office=limit))
    )
    assert verdict.ok == (taken < limit)


# -- cohort capacity -------------------------------------------------------------------------


@pytest.mark.parametrize("taken", [0, 29])
def test_capacity_accepts_while_a_seat_is_free(taken: int) -> None:
    """Up to the 30th participant the cohort has room."""
    assert CohortCapacity()(enrolment(CountingFacts(seats={CODE: taken}))) is OK


def test_capacity_refuses_the_31st() -> None:
    """With all 30 seats taken the cohort is full: code ``cohort_capacity`` with facts."""
    (violation,) = CohortCapacity()(enrolment(CountingFacts(seats={CODE: 30}))).violations
    assert violation.code == "cohort_capacity"
    assert dict(violation.facts) == {"taken": 30, "capacity": 30}
    assert violation.message == f"cohort {CODE} is full (30 of 30 seats)"
    assert violation.message_id == f"angkatan {CODE} sudah penuh (30/30)"
    assert violation.source == ARTICLE


def test_capacity_follows_the_cohorts_capacity() -> None:
    """A smaller cohort is full sooner; a larger one later."""
    assert not CohortCapacity()(
        enrolment(CountingFacts(seats={CODE: 10}), cohort=make_cohort(CODE, capacity=10))
    ).ok
    assert CohortCapacity()(
        enrolment(CountingFacts(seats={CODE: 30}), cohort=make_cohort(CODE, capacity=40))
    ).ok


def test_capacity_counts_only_this_cohort() -> None:
    """Seats taken in another cohort do not fill this one."""
    assert CohortCapacity()(enrolment(CountingFacts(seats={"OTHER": 30}))).ok


@given(
    taken=st.integers(min_value=0, max_value=100), capacity=st.integers(min_value=1, max_value=60)
)
def test_capacity_accepts_exactly_below_capacity(taken: int, capacity: int) -> None:
    """For any count and capacity the nominee is accepted if and only if taken < capacity."""
    cohort = make_cohort(CODE, capacity=capacity)
    assert CohortCapacity()(enrolment(CountingFacts(seats={CODE: taken}), cohort=cohort)).ok == (
        taken < capacity
    )


# -- end to end through the engine -----------------------------------------------------------


def test_engine_third_from_one_office_waits_for_a_freed_seat(
    engine: Engine, cohort: Cohort
) -> None:
    """Two from one office fill its quota; a withdrawal frees the seat for the third."""
    first, second, third = (make_participant(office=DINKES) for _ in range(3))
    engine.enrol(cohort.code, first)
    engine.enrol(cohort.code, second)
    with pytest.raises(TransitionRejected) as refused:
        engine.enrol(cohort.code, third)
    assert refused.value.codes == ("office_quota",)
    assert refused.value.violations[0].facts["taken"] == 2

    engine.fire(cohort.code, first.nip, "withdraw", reason="sakit (health)")
    assert engine.enrol(cohort.code, third).accepted
    assert engine.state(cohort.code, third.nip) == "enrolled"


def test_engine_other_offices_are_unaffected_by_a_full_office(
    engine: Engine, cohort: Cohort
) -> None:
    """A full office does not stop nominees from another office."""
    for _ in range(2):
        engine.enrol(cohort.code, make_participant(office=DINKES))
    assert engine.enrol(cohort.code, make_participant(office=BKD)).accepted


def test_engine_31st_participant_is_refused(engine: Engine, cohort: Cohort) -> None:
    """Thirty participants from distinct offices fill the cohort; the 31st is refused."""
    for number in range(1, 31):
        engine.enrol(cohort.code, make_participant(office=office(number)))
    late = make_participant(office=office(31))
    with pytest.raises(TransitionRejected) as refused:
        engine.enrol(cohort.code, late)
    assert refused.value.codes == ("cohort_capacity",)
    assert dict(refused.value.violations[0].facts) == {"taken": 30, "capacity": 30}


def test_engine_dropped_participant_frees_a_cohort_seat(engine: Engine, cohort: Cohort) -> None:
    """Dropping one of 30 frees a seat, so the next nominee is accepted."""
    seated = [make_participant(office=office(n)) for n in range(1, 31)]
    for person in seated:
        engine.enrol(cohort.code, person)
    engine.fire(cohort.code, seated[0].nip, "drop", reason="kehadiran (attendance)")
    assert engine.enrol(cohort.code, make_participant(office=office(31))).accepted
