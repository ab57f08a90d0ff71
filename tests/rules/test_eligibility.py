"""Enrolment eligibility rules: rank, retirement horizon and one course at a time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from changeflow import ChangeProject, Mentor, TransitionRejected
from changeflow.dates import add_years, retirement_date
from changeflow.rules import (
    ARTICLE,
    OK,
    AlreadyActive,
    Rank,
    RetirementHorizon,
    RuleContext,
    Standing,
)
from changeflow.testing import CountingFacts
from factories import DINKES, make_cohort, make_participant

if TYPE_CHECKING:
    from changeflow import Cohort, Engine, Participant
    from changeflow.rules import Verdict

NOW = datetime(2019, 4, 4, 8, 0, tzinfo=UTC)
BORN = date(1970, 3, 15)
"""A birth date whose pension (at 58) starts on 1 April 2028."""


def enrolment(
    participant: Participant | None = None,
    cohort: Cohort | None = None,
    facts: CountingFacts | None = None,
    now: datetime = NOW,
) -> RuleContext:
    """The context of a nomination (an enrolment has no source state)."""
    return RuleContext(
        cohort or make_cohort(),
        participant or make_participant(),
        "enrol",
        None,
        "enrolled",
        facts or CountingFacts(),
        now,
    )


def starting(start: date, **parameters: Any) -> Cohort:
    """A one-day cohort starting on ``start`` with the given rule-pack parameters."""
    return make_cohort(start=start, end=start, **parameters)


def only_violation(verdict: Verdict) -> Any:
    """The single violation of a refusing verdict."""
    assert not verdict.ok
    (violation,) = verdict.violations
    return violation


# -- rank ----------------------------------------------------------------------------------


@pytest.mark.parametrize("echelon", ["III.a", "III.b", "administrator"])
def test_rank_accepts_echelon_iii_and_administrator(echelon: str) -> None:
    """Echelon III.a, III.b and the administrator post are eligible by default."""
    verdict = Rank()(enrolment(make_participant(echelon=echelon)))
    assert verdict.ok
    assert verdict.violations == ()


@pytest.mark.parametrize("echelon", ["IV.a", "II.b", "pengawas", "pelaksana"])
def test_rank_refuses_other_echelons_with_facts(echelon: str) -> None:
    """Any other echelon or post is refused with code ``rank`` and what was compared."""
    violation = only_violation(Rank()(enrolment(make_participant(echelon=echelon))))
    assert violation.code == "rank"
    assert dict(violation.facts) == {
        "echelon": echelon,
        "eligible": ["III.a", "III.b", "administrator"],
    }
    assert f"echelon {echelon} is not eligible" in violation.message
    assert violation.message_id == f"eselon {echelon} tidak memenuhi syarat peserta"
    assert violation.source == ARTICLE


def test_rank_follows_the_cohorts_eligible_set() -> None:
    """A cohort's own ``eligible_ranks`` replace the default set (e.g. a level IV course)."""
    level_iv = make_cohort(eligible_ranks=frozenset({"IV.a", "IV.b"}))
    assert Rank()(enrolment(make_participant(echelon="IV.a"), level_iv)).ok
    violation = only_violation(Rank()(enrolment(make_participant(echelon="III.a"), level_iv)))
    assert violation.facts["eligible"] == ["IV.a", "IV.b"]


# -- retirement horizon --------------------------------------------------------------------


def horizon(
    start: date, born: date = BORN, *, personal_age: int | None = None, **parameters: Any
) -> Verdict:
    """Judge the retirement horizon of someone born on ``born`` for a cohort starting ``start``."""
    extra = {} if personal_age is None else {"retirement_age": personal_age}
    person = make_participant(born=born, **extra)
    return RetirementHorizon()(enrolment(person, starting(start, **parameters)))


def test_horizon_of_exactly_four_years_is_refused() -> None:
    """A pension exactly 4 years after the cohort starts is not *more than* 4 years."""
    violation = only_violation(horizon(date(2024, 4, 1)))
    assert violation.code == "retirement_horizon"
    assert dict(violation.facts) == {
        "retirement_date": "2028-04-01",
        "cohort_start": "2024-04-01",
        "min_years": 4,
    }
    assert "retires on 2028-04-01" in violation.message
    assert violation.message_id is not None
    assert "2028-04-01" in violation.message_id
    assert violation.source == ARTICLE


def test_horizon_of_four_years_and_one_day_is_accepted() -> None:
    """A cohort starting one day earlier leaves 4 years and a day: accepted."""
    assert horizon(date(2024, 3, 31)) is OK


def test_horizon_refuses_a_pension_inside_the_window() -> None:
    """A pension well inside the 4 years is refused."""
    assert horizon(date(2026, 1, 1)).violations[0].code == "retirement_horizon"


def test_horizon_refuses_someone_already_retired() -> None:
    """A pension before the cohort even starts is refused."""
    assert horizon(date(2029, 1, 1)).violations[0].code == "retirement_horizon"


@pytest.mark.parametrize("start", [date(2028, 4, 1), date(2029, 1, 1)])
def test_someone_already_retired_is_told_so(start: date) -> None:
    """A pension on or before the start reads "already retired on", not "retires on ... after"."""
    violation = only_violation(horizon(start))
    assert violation.code == "retirement_horizon"
    assert violation.message == (
        f"already retired on 2028-04-01, before the cohort starts on {start.isoformat()}"
    )
    assert violation.message_id == "sudah pensiun sejak 2028-04-01"
    assert violation.facts["retired"] is True
    assert violation.facts["retirement_date"] == "2028-04-01"


def test_someone_not_yet_retired_keeps_the_horizon_message() -> None:
    """A pension a day after the start is still "retires on ..., not more than 4 years"."""
    violation = only_violation(horizon(date(2028, 3, 31)))
    assert violation.message.startswith("retires on 2028-04-01, not more than 4 years")
    assert "retired" not in violation.facts


@given(
    born=st.dates(min_value=date(1940, 1, 1), max_value=date(1995, 12, 31)),
    age=st.integers(min_value=50, max_value=65),
    years=st.integers(min_value=0, max_value=10),
)
def test_horizon_boundary_holds_for_any_birth_date(born: date, age: int, years: int) -> None:
    """For every birth date, age and N: start = pension - N years refused, a day earlier ok."""
    retires = retirement_date(born, age)
    start = add_years(retires, -years)
    params = {"retirement_age": age, "min_years_to_retirement": years}
    assert horizon(start, born, **params).violations[0].code == "retirement_horizon"
    assert horizon(start - timedelta(days=1), born, **params).ok


def test_participants_own_retirement_age_wins_over_the_cohorts() -> None:
    """A personal retirement age of 60 admits someone the cohort's 58 would refuse."""
    start = date(2025, 1, 1)
    assert not horizon(start).ok
    assert horizon(start, personal_age=60).ok


def test_participants_lower_retirement_age_wins_too() -> None:
    """A personal age below the cohort's is used as well, and its pension is in the facts."""
    start = date(2025, 1, 1)
    assert horizon(start, retirement_age=60).ok
    violation = only_violation(horizon(start, personal_age=56, retirement_age=60))
    assert violation.facts["retirement_date"] == "2026-04-01"


def test_cohorts_retirement_age_is_honoured() -> None:
    """The cohort's ``retirement_age`` parameter moves the pension date (60: April 2030)."""
    start = date(2025, 1, 1)
    assert horizon(start, retirement_age=60).ok
    assert horizon(start, retirement_age=58).violations[0].facts["retirement_date"] == "2028-04-01"


def test_cohorts_min_years_to_retirement_is_honoured() -> None:
    """The cohort's ``min_years_to_retirement`` parameter replaces the 4 years."""
    start = date(2025, 1, 1)
    assert not horizon(start).ok
    assert horizon(start, min_years_to_retirement=3).ok
    violation = only_violation(horizon(date(2025, 4, 1), min_years_to_retirement=3))
    assert violation.facts["min_years"] == 3
    assert "not more than 3 years" in violation.message


def test_leap_day_birthday_boundary() -> None:
    """Born 29 February 1964: pension 1 March 2022; start 1 March 2018 refused, a day earlier ok."""
    leapling = date(1964, 2, 29)
    violation = only_violation(horizon(date(2018, 3, 1), leapling))
    assert violation.facts["retirement_date"] == "2022-03-01"
    assert horizon(date(2018, 2, 28), leapling).ok


def test_leap_day_cohort_start_counts_years_to_28_february() -> None:
    """A cohort starting 29 February 2020 with N=1 reaches its horizon on 28 February 2021."""
    assert horizon(date(2020, 2, 29), date(1963, 2, 1), min_years_to_retirement=1).ok
    refused = horizon(date(2020, 2, 29), date(1963, 1, 31), min_years_to_retirement=1)
    assert refused.violations[0].facts["retirement_date"] == "2021-02-01"


@pytest.mark.parametrize(
    "now", [datetime(2000, 1, 1, tzinfo=UTC), datetime(2040, 1, 1, tzinfo=UTC)]
)
def test_horizon_is_judged_against_the_cohort_start_not_today(now: datetime) -> None:
    """The verdict depends on the cohort's start date only, whatever the clock says."""
    cohort = make_cohort()
    close = make_participant(born=date(1965, 1, 10))  # pension 1 Feb 2023: within 4 years
    far = make_participant(born=date(1965, 12, 10))  # pension 1 Jan 2024: beyond 4 April 2023
    assert not RetirementHorizon()(enrolment(close, cohort, now=now)).ok
    assert RetirementHorizon()(enrolment(far, cohort, now=now)).ok


def test_horizon_refuses_the_articles_near_retirement_nominee() -> None:
    """Someone born January 1962 (pension February 2020) cannot join the April 2019 cohort."""
    violation = only_violation(
        RetirementHorizon()(enrolment(make_participant(born=date(1962, 1, 20))))
    )
    assert violation.facts["retirement_date"] == "2020-02-01"
    assert violation.facts["cohort_start"] == "2019-04-04"


# -- one course at a time --------------------------------------------------------------------


def test_already_active_accepts_someone_unknown() -> None:
    """A person with no course record is accepted."""
    assert AlreadyActive()(enrolment()) is OK


def test_already_active_refuses_someone_active_elsewhere() -> None:
    """A person active in another cohort is refused with that cohort in the facts."""
    person = make_participant()
    facts = CountingFacts(standings={person.nip: Standing(active_in="PKA-III-VI-2019")})
    violation = only_violation(AlreadyActive()(enrolment(person, facts=facts)))
    assert violation.code == "already_active"
    assert dict(violation.facts) == {"active_in": "PKA-III-VI-2019", "completed_in": None}
    assert violation.message == "already active in cohort PKA-III-VI-2019"
    assert violation.message_id == "sedang mengikuti angkatan PKA-III-VI-2019"
    assert violation.source == "common practice"


def test_already_active_refuses_a_graduate() -> None:
    """A person who graduated from a cohort is refused with that cohort in the facts."""
    person = make_participant()
    facts = CountingFacts(standings={person.nip: Standing(completed_in="PKA-III-I-2018")})
    violation = only_violation(AlreadyActive()(enrolment(person, facts=facts)))
    assert dict(violation.facts) == {"active_in": None, "completed_in": "PKA-III-I-2018"}
    assert violation.message == "already graduated from cohort PKA-III-I-2018"
    assert violation.message_id == "sudah lulus dari angkatan PKA-III-I-2018"


def test_already_active_asks_about_this_participant() -> None:
    """Someone else's record does not count against the nominee."""
    facts = CountingFacts(standings={"196001012000031001": Standing(active_in="PKA-1")})
    assert AlreadyActive()(enrolment(make_participant(), facts=facts)).ok


def _second_cohort(engine: Engine) -> Cohort:
    return engine.create_cohort(
        make_cohort("PKA-III-VIII-2019", start=date(2019, 8, 1), end=date(2019, 11, 29))
    )


def _graduate(engine: Engine, cohort: str, nip: str) -> None:
    engine.fire(cohort, nip, "start_class")
    mentor = Mentor(name="Kepala Dinas Kesehatan")
    project = ChangeProject(title="Puskesmas ramah anak", theme="kesehatan", mentor=mentor)
    engine.register_project(cohort, nip, project)
    engine.fire(cohort, nip, "present_proposal")
    engine.fire(cohort, nip, "approve_proposal", actor="Kepala Dinas Kesehatan")
    engine.fire(cohort, nip, "present_results")
    engine.record_assessment(cohort, nip, 85)
    engine.fire(cohort, nip, "graduate")
    assert engine.state(cohort, nip) == "graduated"


def test_engine_refuses_someone_active_in_another_cohort(engine: Engine, cohort: Cohort) -> None:
    """Enrolled in one cohort, a person is refused by another with ``already_active``."""
    other = _second_cohort(engine)
    person = make_participant()
    engine.enrol(cohort.code, person)
    with pytest.raises(TransitionRejected) as refused:
        engine.enrol(other.code, person)
    assert refused.value.codes == ("already_active",)
    assert refused.value.violations[0].facts["active_in"] == cohort.code


def test_engine_refuses_a_graduate_in_another_cohort(engine: Engine, cohort: Cohort) -> None:
    """A person who graduated from one cohort cannot enrol in another."""
    other = _second_cohort(engine)
    person = make_participant()
    engine.enrol(cohort.code, person)
    _graduate(engine, cohort.code, person.nip)
    with pytest.raises(TransitionRejected) as refused:
        engine.enrol(other.code, person)
    assert refused.value.codes == ("already_active",)
    assert dict(refused.value.violations[0].facts) == {
        "active_in": None,
        "completed_in": cohort.code,
    }


def test_engine_lets_a_withdrawn_person_enrol_elsewhere(engine: Engine, cohort: Cohort) -> None:
    """Withdrawing from one cohort leaves a person free to enrol in another."""
    other = _second_cohort(engine)
    person = make_participant()
    engine.enrol(cohort.code, person)
    engine.fire(cohort.code, person.nip, "withdraw", reason="mutasi jabatan (transfer)")
    assert engine.enrol(other.code, person).accepted
    assert engine.state(other.code, person.nip) == "enrolled"


def test_engine_lets_someone_not_passed_enrol_elsewhere(engine: Engine, cohort: Cohort) -> None:
    """Only graduation blocks a later cohort: a person who did not pass may try again."""
    other = _second_cohort(engine)
    person = make_participant()
    engine.enrol(cohort.code, person)
    engine.fire(cohort.code, person.nip, "start_class")
    project = ChangeProject(title="Layanan", theme="kesehatan", mentor=Mentor(name="Kepala"))
    engine.register_project(cohort.code, person.nip, project)
    for event in ("present_proposal", "approve_proposal", "present_results"):
        engine.fire(cohort.code, person.nip, event)
    engine.record_assessment(cohort.code, person.nip, 55)
    engine.fire(cohort.code, person.nip, "fail")
    assert engine.state(cohort.code, person.nip) == "not_passed"
    assert engine.enrol(other.code, person).accepted


# -- every violation at once -----------------------------------------------------------------


def test_enrolment_reports_every_violation(engine: Engine, cohort: Cohort) -> None:
    """An echelon IV.a nominee close to retirement is refused for both reasons at once."""
    person = make_participant(echelon="IV.a", born=date(1962, 1, 20))
    with pytest.raises(TransitionRejected) as refused:
        engine.enrol(cohort.code, person)
    assert refused.value.codes == ("rank", "retirement_horizon")
    assert engine.check_enrolment(cohort.code, person) == refused.value.violations
    assert engine.participants(cohort.code) == []


def test_enrolment_reports_eligibility_and_quota_together(engine: Engine, cohort: Cohort) -> None:
    """Eligibility and quota violations are collected together, in the rule pack's order."""
    engine.enrol(cohort.code, make_participant(office=DINKES))
    engine.enrol(cohort.code, make_participant(office=DINKES))
    person = make_participant(echelon="IV.a", born=date(1962, 1, 20), office=DINKES)
    with pytest.raises(TransitionRejected) as refused:
        engine.enrol(cohort.code, person)
    assert refused.value.codes == ("rank", "retirement_horizon", "office_quota")
