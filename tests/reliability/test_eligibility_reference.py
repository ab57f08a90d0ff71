"""Eligibility boundary against a reference: the retirement-horizon rule on 10,000 cases.

A seeded generator draws (birth date, cohort start, retirement age, N years) cases, many of
them within days of the boundary, with 29 February births and starts, plus explicit
boundary cases. Each verdict of the real :class:`RetirementHorizon` rule is compared with a
reference computed here independently of ``changeflow.dates``: the retirement date by month
arithmetic on ``year * 12 + month``, and "N years after the start" as a ``(y, m, d)`` tuple
where 29 February becomes 28 February in a common year (the convention of ``add_years``).
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from changeflow import Cohort, CohortParameters, Office
from changeflow.models import Participant
from changeflow.rules import RetirementHorizon
from changeflow.rules.context import RuleContext
from changeflow.states.names import ENROL
from changeflow.testing import CountingFacts
from factories import make_nip

CASES = 10_000
SEED = 20190404
OFFICE = Office(code="DINKES", name="Dinas Kesehatan")
FACTS = CountingFacts()
NOW = datetime(2019, 4, 4, 8, tzinfo=UTC)
RULE = RetirementHorizon()

Case = tuple[date, date, int, int, bool]
"""(birth date, cohort start, retirement age, N years, age given on the participant)."""


def _leap(year: int) -> bool:
    """Gregorian leap year, written out rather than taken from ``calendar``."""
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _reference_retirement(born: date, age: int) -> tuple[int, int, int]:
    """First day of the month after the month the age is reached, by month arithmetic."""
    index = (born.year + age) * 12 + (born.month - 1) + 1
    return (index // 12, index % 12 + 1, 1)


def _reference_horizon(start: date, years: int) -> tuple[int, int, int]:
    """The start moved by whole years; 29 February becomes 28 February in a common year."""
    year = start.year + years
    if (start.month, start.day) == (2, 29) and not _leap(year):
        return (year, 2, 28)
    return (year, start.month, start.day)


def _reference_accepts(case: Case) -> bool:
    """Whether the reference admits the case: pension strictly after start + N years."""
    born, start, age, years, _ = case
    return _reference_retirement(born, age) > _reference_horizon(start, years)


def _rule_accepts(case: Case) -> bool:
    """Whether the real rule admits the case, judged through a ``RuleContext``."""
    born, start, age, years, own_age = case
    cohort = Cohort(
        code="PKA-REF",
        name="Reference cohort",
        start=start,
        end=start,
        parameters=CohortParameters(
            min_years_to_retirement=years, retirement_age=58 if own_age else age
        ),
    )
    participant = Participant(
        nip=make_nip(born, appointed=(born.year + 20, 3), sequence=1),
        name="Peserta",
        office=OFFICE,
        echelon="III.a",
        retirement_age=age if own_age else None,
    )
    context = RuleContext(
        cohort=cohort,
        participant=participant,
        event=ENROL,
        source=None,
        target="enrolled",
        facts=FACTS,
        now=NOW,
    )
    return RULE(context).ok


def _boundary_start(born: date, age: int, years: int) -> date:
    """The start exactly N years before the pension date (always a first of the month)."""
    y, m, d = _reference_retirement(born, age)
    return date(y - years, m, d)


def _random_date(rng: random.Random, first: date, last: date) -> date:
    """A uniformly drawn day between ``first`` and ``last``."""
    return first + timedelta(days=rng.randint(0, (last - first).days))


def _random_leap_day(rng: random.Random, first_year: int, last_year: int) -> date:
    """A 29 February between the two years."""
    year = rng.choice([y for y in range(first_year, last_year + 1) if _leap(y)])
    return date(year, 2, 29)


def _explicit_cases() -> list[tuple[Case, bool]]:
    """Hand-picked boundary cases with the verdict they must get."""
    cases: list[tuple[Case, bool]] = []
    births = [
        date(1961, 4, 3),
        date(1961, 12, 31),
        date(1960, 2, 29),
        date(1964, 2, 29),
        date(1962, 1, 1),
        date(1963, 1, 31),
    ]
    for born in births:
        for years in (0, 1, 4, 5):
            for own_age in (False, True):
                start = _boundary_start(born, 58, years)
                cases.append(((born, start, 58, years, own_age), False))  # exactly N: refused
                earlier = start - timedelta(days=1)
                cases.append(((born, earlier, 58, years, own_age), True))  # one day more
    # 29 February starts: the horizon is 28 February in a common year, 29 in a leap year.
    born_jan = date(1966, 1, 15)  # retires 1 February 2024
    born_feb = date(1966, 2, 15)  # retires 1 March 2024
    born_feb_late = date(1967, 2, 15)  # retires 1 March 2025
    cases += [
        ((born_feb, date(2020, 2, 29), 58, 4, False), True),  # 2024-03-01 > 2024-02-29
        ((born_jan, date(2020, 2, 29), 58, 4, False), False),  # 2024-02-01 <= 2024-02-29
        ((born_feb_late, date(2020, 2, 29), 58, 5, False), True),  # 2025-03-01 > 2025-02-28
        ((date(1967, 1, 15), date(2020, 2, 29), 58, 5, False), False),  # 2025-02-01
        ((date(1967, 1, 31), date(2021, 2, 1), 58, 4, True), False),  # exactly 4 years
        ((date(1967, 1, 31), date(2021, 1, 31), 58, 4, True), True),  # one day earlier
    ]
    return cases


def _random_case(rng: random.Random) -> Case:
    """A drawn case: near the boundary two times in three, anywhere otherwise."""
    if rng.random() < 0.25:
        born = _random_leap_day(rng, 1940, 1996)
    else:
        born = _random_date(rng, date(1940, 1, 1), date(1996, 12, 31))
    age = rng.choice([56, 58, 58, 58, 60, 65, rng.randint(30, 80)])
    years = rng.choice([4, 4, 4, 0, 1, 2, 3, 5, 10, rng.randint(0, 40)])
    own_age = rng.random() < 0.3
    roll = rng.random()
    if roll < 0.15:
        start = _random_leap_day(rng, 1960, 2060)
    elif roll < 0.65:
        start = _boundary_start(born, age, years) + timedelta(days=rng.randint(-3, 3))
    elif roll < 0.85:
        start = _boundary_start(born, age, years) + timedelta(days=rng.randint(-400, 400))
    else:
        start = _random_date(rng, date(1960, 1, 1), date(2060, 12, 31))
    return (born, start, age, years, own_age)


def test_retirement_horizon_matches_the_reference_on_ten_thousand_cases() -> None:
    """The rule and the independent reference agree on every one of 10,000 cases."""
    explicit = _explicit_cases()
    for case, verdict in explicit:  # the reference itself must get the hand-picked cases right
        assert _reference_accepts(case) is verdict, case
    rng = random.Random(SEED)
    cases = [case for case, _ in explicit]
    cases += [_random_case(rng) for _ in range(CASES - len(cases))]
    assert len(cases) == CASES

    mismatches = [case for case in cases if _rule_accepts(case) != _reference_accepts(case)]
    accepted = sum(_reference_accepts(case) for case in cases)
    leap_births = sum((c[0].month, c[0].day) == (2, 29) for c in cases)
    leap_starts = sum((c[1].month, c[1].day) == (2, 29) for c in cases)
    exact = sum(c[1] == _boundary_start(c[0], c[2], c[3]) for c in cases)

    print(
        f"{CASES} cases: {len(mismatches)} mismatches, {accepted} accepted, "
        f"{leap_births} 29-Feb births, {leap_starts} 29-Feb starts, {exact} exactly on the boundary"
    )
    assert leap_births > 1000
    assert leap_starts > 500
    assert exact > 500
    assert 0 < accepted < CASES
    assert mismatches == [], f"{len(mismatches)} mismatches, first: {mismatches[:5]}"
