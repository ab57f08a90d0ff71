"""The agenda of the 2019 cohort: next deadlines, overdue lines, warnings, and tick reports."""

from __future__ import annotations

import json
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from changeflow.agenda import AttendanceTally, TickAction, TickOutcome, TickReport, build_agenda
from changeflow.deadlines import plan_tick
from changeflow.models import Attendance, CalendarParameters, Timeout
from changeflow.records import Enrolment
from changeflow.schedule import derive_schedule
from changeflow.workdays import WorkingDays
from factories import END_2019, START_2019, make_nip, make_participant

CODE = "PKA-III-VII-2019"
DAYS = WorkingDays()
PARAMETERS = CalendarParameters()
PLAN = derive_schedule(START_2019, END_2019, PARAMETERS, DAYS)
IN_THE_LABORATORY = date(2019, 5, 15)


def member(state: str, sequence: int, *, active: bool = True) -> Enrolment:
    """A member of the 2019 cohort in ``state``."""
    person = make_participant(nip=make_nip(sequence=sequence), name=f"Peserta {sequence}")
    return Enrolment(CODE, person, state, active=active)


def _days(*statuses: str) -> dict[str, str]:
    """Attendance on consecutive April 2019 days, one status per day."""
    return {f"2019-04-{day:02d}": s for day, s in enumerate(statuses, start=4)}


def test_the_agenda_in_the_laboratory_lists_each_active_participants_next_deadline() -> None:
    """On 15 May 2019: the lab's results due 1 July, a proposal 11 working days overdue."""
    lab, waiting, graduated = member("laboratory", 1), member("proposal", 2), member("seminar", 3)
    finished = member("graduated", 4, active=False)
    agenda = build_agenda(
        CODE, IN_THE_LABORATORY, PLAN, DAYS, PARAMETERS, [lab, waiting, graduated, finished]
    )
    lines = [
        (i.nip, i.state, i.next.deadline.name if i.next else None, i.overdue, i.working_days_late)
        for i in agenda.items
    ]
    # 30 April to 15 May 2019 has 11 working days: 1 May (Labour Day) is a holiday.
    assert lines == [
        (lab.nip, "laboratory", "results", False, 0),
        (waiting.nip, "proposal", "approval", True, 11),
        (graduated.nip, "seminar", "assessment", False, 0),
    ]
    assert [i.nip for i in agenda.overdue()] == [waiting.nip]
    assert agenda.items[1].next is not None
    assert agenda.items[1].next.due == date(2019, 4, 29)


def test_the_agenda_warns_who_can_no_longer_complete_the_laboratory_minimum() -> None:
    """Still in proposal on 15 May: at most 46 days of laboratory before the 1 July seminar."""
    lab, waiting = member("laboratory", 1), member("proposal", 2)
    agenda = build_agenda(CODE, IN_THE_LABORATORY, PLAN, DAYS, PARAMETERS, [lab, waiting])
    assert agenda.items[0].warnings == ()
    (warning,) = agenda.items[1].warnings
    assert warning.code == "laboratory_minimum_unreachable"
    assert dict(warning.facts) == {
        "available_days": 46,
        "minimum_days": 60,
        "earliest_start": "2019-05-16",
        "seminar": "2019-07-01",
    }
    assert [i.nip for i in agenda.warned()] == [waiting.nip]


@pytest.mark.parametrize(
    ("as_of", "warned"),
    [
        (date(2019, 4, 20), False),  # before the laboratory: its whole window is left
        (date(2019, 5, 1), False),  # approved today: 2 May to 30 June is exactly 60 days
        (date(2019, 5, 2), True),  # approved today: 3 May to 30 June is 59 days
    ],
)
def test_the_laboratory_warning_starts_the_day_the_minimum_becomes_unreachable(
    as_of: date, warned: bool
) -> None:
    """The warning appears the first day approval could no longer give 60 days of laboratory."""
    agenda = build_agenda(CODE, as_of, PLAN, DAYS, PARAMETERS, [member("on_class", 1)])
    codes = [w.code for w in agenda.items[0].warnings]
    assert ("laboratory_minimum_unreachable" in codes) is warned


def test_the_agenda_warns_when_attendance_is_already_below_the_minimum() -> None:
    """Present 3 of 4 counted days (75%) is below 80%; 4 of 5 (80%) is not."""
    low, enough = member("on_class", 1), member("on_class", 2)
    attendance = {
        low.nip: _days("present", "present", "absent", "present", "izin"),
        enough.nip: _days("present", "sakit", "present", "absent", "present", "present"),
    }
    agenda = build_agenda(
        CODE, date(2019, 4, 12), PLAN, DAYS, PARAMETERS, [low, enough], attendance
    )
    (warning,) = agenda.items[0].warnings
    assert warning.code == "attendance_below_minimum"
    assert dict(warning.facts) == {
        "present": 3,
        "absent": 1,
        "excused": 1,
        "share": 0.75,
        "minimum": 0.8,
    }
    assert agenda.items[1].warnings == ()


def test_excused_days_alone_give_no_share_and_no_warning() -> None:
    """A participant excused (izin, sakit) on every recorded day has no share to judge."""
    ill = member("on_class", 1)
    attendance = {ill.nip: _days("sakit", "sakit", "izin")}
    agenda = build_agenda(CODE, date(2019, 4, 10), PLAN, DAYS, PARAMETERS, [ill], attendance)
    assert agenda.items[0].warnings == ()
    assert AttendanceTally.of(attendance[ill.nip]) == AttendanceTally(0, 0, 3)
    assert AttendanceTally.of(attendance[ill.nip]).share is None


STATUSES = st.sampled_from([a.value for a in Attendance])


@given(
    statuses=st.lists(STATUSES, max_size=40),
    minimum=st.floats(min_value=0, max_value=1),
)
def test_the_attendance_share_counts_present_over_present_and_absent(
    statuses: list[str], minimum: float
) -> None:
    """Share = present / (present + absent); excused days count neither way."""
    tally = AttendanceTally.of({f"day-{i}": s for i, s in enumerate(statuses)})
    present, absent = statuses.count("present"), statuses.count("absent")
    assert (tally.present, tally.absent, tally.excused) == (
        present,
        absent,
        len(statuses) - present - absent,
    )
    if present + absent == 0:
        assert tally.share is None
        assert not tally.below(minimum)
    else:
        assert tally.share == pytest.approx(present / (present + absent))
        assert tally.below(minimum) == (present / (present + absent) < minimum)


def test_the_agenda_document_is_json_with_each_participants_line() -> None:
    """to_dict gives counts and a line per participant: next deadline, lateness and warnings."""
    waiting = member("proposal", 2)
    agenda = build_agenda(CODE, IN_THE_LABORATORY, PLAN, DAYS, PARAMETERS, [waiting])
    document = json.loads(json.dumps(agenda.to_dict()))
    assert document["cohort"] == CODE
    assert document["as_of"] == "2019-05-15"
    assert document["counts"] == {"participants": 1, "overdue": 1, "warned": 1}
    (line,) = document["participants"]
    assert line["next"] == {
        "deadline": "approval",
        "event": "approve_proposal",
        "due": "2019-04-29",
        "actor": "mentor",
    }
    assert (line["nip"], line["name"], line["state"]) == (waiting.nip, "Peserta 2", "proposal")
    assert (line["overdue"], line["working_days_late"]) == (True, 11)
    assert [w["code"] for w in line["warnings"]] == ["laboratory_minimum_unreachable"]


def test_a_participant_in_a_custom_state_is_listed_without_a_deadline() -> None:
    """A state the deadline table does not know: listed, nothing due, never overdue."""
    agenda = build_agenda(
        CODE, IN_THE_LABORATORY, PLAN, DAYS, PARAMETERS, [member("field_study", 1)]
    )
    (item,) = agenda.items
    assert (item.next, item.overdue, item.working_days_late) == (None, False, 0)
    assert item.to_dict()["next"] is None


def test_a_tick_report_says_what_was_applied_flagged_and_already_applied() -> None:
    """Actions built from planned timeouts are counted by outcome and serialised with keys."""
    parameters = CalendarParameters(
        timeouts=(
            Timeout(deadline="results", after_working_days=5, event="drop", reason="no results"),
            Timeout(deadline="approval", after_working_days=0),
        )
    )
    members = [member("laboratory", 1), member("laboratory", 2), member("proposal", 3)]
    dropped, replayed, flagged = plan_tick(CODE, PLAN, DAYS, parameters, members, date(2019, 7, 10))
    report = TickReport(
        CODE,
        date(2019, 7, 10),
        apply=True,
        actions=(
            TickAction.of(dropped, TickOutcome.APPLIED),
            TickAction.of(replayed, TickOutcome.ALREADY_APPLIED),
            TickAction.of(flagged, TickOutcome.FLAGGED),
        ),
    )
    assert [a.nip for a in report.applied] == [members[0].nip]
    assert [a.nip for a in report.already_applied] == [members[1].nip]
    assert [(a.nip, a.event) for a in report.flagged] == [(members[2].nip, None)]
    document = json.loads(json.dumps(report.to_dict()))
    assert document["counts"] == {
        "applied": 1,
        "already_applied": 1,
        "flagged": 1,
        "pending": 0,
        "refused": 0,
    }
    assert document["actions"][0] == {
        "nip": members[0].nip,
        "deadline": "results",
        "due": "2019-07-01",
        "working_days_late": 7,
        "event": "drop",
        "key": f"tick:{CODE}:{members[0].nip}:results",
        "outcome": "applied",
        "violations": [],
    }
