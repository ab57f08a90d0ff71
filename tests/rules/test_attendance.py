"""The attendance minimum: the share of counted on-class days present, judged before a proposal."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from changeflow import CalendarParameters
from changeflow.rules import OK, RuleContext, Verdict
from changeflow.rules.attendance import AttendanceMinimum, attendance_share
from changeflow.testing import CountingFacts
from factories import DINKES, make_cohort, make_participant

NOW = datetime(2019, 4, 4, 8, 0, tzinfo=UTC)
CODE = "PKA-III-VII-2019"
PERSON = make_participant(office=DINKES)
RULE = AttendanceMinimum()


def days(*statuses: str) -> dict[str, str]:
    """Successive ISO days from 4 April 2019 with the given statuses."""
    return {(date(2019, 4, 4) + timedelta(days=i)).isoformat(): s for i, s in enumerate(statuses)}


def proposal(recorded: dict[str, str], minimum: float = 0.8, cohort: str = CODE) -> Verdict:
    """The rule's verdict on present_proposal with ``recorded`` kept for ``cohort``."""
    calendar = CalendarParameters(attendance_minimum=minimum)
    context = RuleContext(
        cohort=make_cohort(CODE, calendar=calendar),
        participant=PERSON,
        event="present_proposal",
        source="on_class",
        target="proposal",
        facts=CountingFacts(attendances={(cohort, PERSON.nip): recorded}),
        now=NOW,
    )
    return RULE(context)


@pytest.mark.parametrize(
    "recorded",
    [
        days(),
        days("izin", "sakit"),
        days(*["present"] * 4, "absent"),
        days(*["present"] * 8, "absent", "absent"),
        days("present", "sakit", "izin", "sakit"),
    ],
    ids=["none", "only-excused", "4-of-5", "8-of-10", "excused-ignored"],
)
def test_at_or_above_the_minimum_or_nothing_counted_agrees(recorded: dict[str, str]) -> None:
    """A share of 0.8 or more, or no counted day at all, is no reason to refuse."""
    assert proposal(recorded) is OK


@pytest.mark.parametrize(
    ("recorded", "share"),
    [
        (days("present", "present", "present", "absent"), 0.75),
        (days(*["present"] * 7, "absent", "absent", "izin"), 0.7778),
        (days("absent"), 0.0),
    ],
)
def test_below_the_minimum_refuses_with_the_share(recorded: dict[str, str], share: float) -> None:
    """Below 0.8 the verdict names the participant, the share and the minimum."""
    verdict = proposal(recorded)
    [violation] = verdict.violations
    assert violation.code == "attendance_minimum"
    assert dict(violation.facts) == {"nip": PERSON.nip, "share": share, "minimum": 0.8}
    assert PERSON.nip in violation.message
    assert f"{round(share * 100)}%" in violation.message


def test_the_minimum_comes_from_the_cohorts_calendar() -> None:
    """A pack asking 0.5 accepts 1 of 2 days present and refuses 1 of 3."""
    assert proposal(days("present", "absent"), minimum=0.5) is OK
    assert not proposal(days("present", "absent", "absent"), minimum=0.5).ok


def test_attendance_in_another_cohort_is_not_counted() -> None:
    """Days recorded for the person in another cohort do not count here."""
    assert proposal(days("absent", "absent"), cohort="PKA-OTHER-2019") is OK


STATUS = st.sampled_from(("present", "absent", "izin", "sakit"))


@given(st.lists(STATUS, max_size=40), st.sampled_from((0.0, 0.5, 0.8, 0.9, 1.0)))
def test_the_rule_agrees_with_integer_arithmetic(statuses: list[str], minimum: float) -> None:
    """Refused exactly when present / (present + absent) < minimum, computed in tenths."""
    present, absent = statuses.count("present"), statuses.count("absent")
    tenths = round(minimum * 10)
    refused = present + absent > 0 and present * 10 < tenths * (present + absent)
    assert proposal(days(*statuses), minimum=minimum).ok is not refused
    expected = None if present + absent == 0 else present / (present + absent)
    assert attendance_share(days(*statuses)) == expected
