"""An effective date is judged like a rule: outside the cohort's dates, a move is refused."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from changeflow import Engine, FixedClock, TransitionRejected
from factories import END_2019, START_2019, make_cohort, make_participant, office, trusted_engine

if TYPE_CHECKING:
    from changeflow.store.base import Store

CODE = "PKA-III-VII-2019"
OUTSIDE = "effective_date_outside_cohort"


@pytest.fixture
def engine(each_store: Store) -> Engine:
    """An engine on a fresh store of each kind holding the 2019 cohort."""
    made = trusted_engine(each_store, clock=FixedClock(datetime(2019, 4, 4, 8, tzinfo=UTC)))
    made.create_cohort(make_cohort(CODE))
    return made


def _enrolled(engine: Engine, number: int) -> str:
    return engine.enrol(CODE, make_participant(office=office(number))).nip


def test_a_date_long_before_the_cohort_is_refused_with_its_facts(engine: Engine) -> None:
    """1900-01-01 on the 2019 cohort: refused, audited, with code, messages and facts."""
    nip = _enrolled(engine, 1)
    with pytest.raises(TransitionRejected) as caught:
        engine.fire(CODE, nip, "start_class", effective_date=date(1900, 1, 1))
    assert caught.value.codes == (OUTSIDE,)
    [violation] = caught.value.violations
    assert violation.message == (
        "effective date 1900-01-01 is outside the cohort's dates (2019-04-04 to 2019-07-19)"
    )
    assert violation.message_id == (
        "tanggal berlaku 1900-01-01 di luar masa angkatan (2019-04-04 s.d. 2019-07-19)"
    )
    assert dict(violation.facts) == {
        "effective_date": "1900-01-01",
        "cohort_start": "2019-04-04",
        "cohort_end": "2019-07-19",
    }
    assert engine.state(CODE, nip) == "enrolled"
    refused = engine.history(nip)[-1]
    assert (refused.outcome, refused.effective_date) == ("refused", date(1900, 1, 1))


@pytest.mark.parametrize(
    ("effective", "accepted"),
    [
        (START_2019 - timedelta(days=1), False),
        (START_2019, True),
        (END_2019, True),
        (END_2019 + timedelta(days=1), False),
    ],
)
def test_the_window_is_the_cohorts_first_to_last_day(
    engine: Engine, effective: date, accepted: bool
) -> None:
    """The cohort's start and end are inside the window, the days around them outside."""
    nip = _enrolled(engine, 1)
    assert (engine.check(CODE, nip, "start_class", effective_date=effective) == ()) is accepted
    if accepted:
        assert engine.fire(CODE, nip, "start_class", effective_date=effective).accepted
    else:
        with pytest.raises(TransitionRejected):
            engine.fire(CODE, nip, "start_class", effective_date=effective)


def test_the_date_is_judged_beside_every_other_rule(engine: Engine) -> None:
    """A move refused by a rule too lists both violations, the rule's first."""
    nip = _enrolled(engine, 1)
    engine.fire(CODE, nip, "start_class")
    codes = [
        v.code for v in engine.check(CODE, nip, "present_proposal", effective_date=date(2030, 1, 1))
    ]
    assert codes == ["change_project_missing", OUTSIDE]
    illegal = [v.code for v in engine.check(CODE, nip, "graduate", effective_date=date(2030, 1, 1))]
    assert illegal == ["illegal_transition", OUTSIDE]


def test_a_bulk_advance_outside_the_dates_moves_nobody(engine: Engine) -> None:
    """A bulk advance dated outside the cohort refuses everyone it applies to."""
    nips = [_enrolled(engine, n) for n in (1, 2)]
    report = engine.advance(CODE, "start_class", effective_date=date(2018, 12, 31))
    assert report.accepted == ()
    assert [(e.nip, [v.code for v in e.violations]) for e in report.refused] == [
        (nip, [OUTSIDE]) for nip in nips
    ]
    assert {engine.state(CODE, nip) for nip in nips} == {"enrolled"}
