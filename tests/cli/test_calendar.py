"""The course calendar on the command line, on a real SQLite file.

The schedule and its closures, the ICS export, attendance, the agenda and the tick.
"""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from icalendar import Calendar

from changeflow.cli.session import open_engine
from changeflow.models import CalendarParameters, Cohort, CohortParameters, Timeout
from cli.support import ADMIN, nip_of, person, write_roster

if TYPE_CHECKING:
    from pathlib import Path

    from cli.support import Cli

CODE_2019 = "PKA-2019"
DEFAULT_2019 = [
    ("on_class", "2019-04-04", "2019-04-26", 15),
    ("proposal", "2019-04-29", "2019-04-29", 1),
    ("laboratory", "2019-04-30", "2019-06-28", 37),
    ("seminar", "2019-07-01", "2019-07-01", 1),
    ("closing", "2019-07-19", "2019-07-19", 1),
]


@pytest.fixture
def cohort_2019(cli: Cli) -> str:
    """The 2019 cohort (4 April - 19 July 2019) on the default rule pack."""
    cli(
        "cohort",
        "create",
        CODE_2019,
        "--name",
        "PKA 2019",
        "--start",
        "2019-04-04",
        "--end",
        "2019-07-19",
    )
    return CODE_2019


@pytest.fixture
def enrolled_2019(cli: Cli, cohort_2019: str, tmp_path: Path) -> list[str]:
    """Three participants of the 2019 cohort, in class; returns their NIPs."""
    roster = write_roster(tmp_path / "r.csv", [person(n) for n in (1, 2, 3)])
    cli("enrol", cohort_2019, "--csv", str(roster))
    cli("advance", cohort_2019, "start_class")
    return [nip_of(n) for n in (1, 2, 3)]


def _stages(document: dict[str, Any]) -> list[tuple[str, str, str, int]]:
    return [(s["stage"], s["start"], s["end"], s["working_days"]) for s in document["stages"]]


def _entries(cli: Cli, code: str) -> int:
    count: int = cli.json("verify", code)["cohorts"][0]["entries"]
    return count


# -- schedule -----------------------------------------------------------------------------------


def test_the_2019_schedule_through_the_cli(cli: Cli) -> None:
    """The 2019 cohort's default schedule: on_class to Friday 26 April, lab across Lebaran."""
    cli(
        "cohort",
        "create",
        CODE_2019,
        "--name",
        "PKA 2019",
        "--start",
        "2019-04-04",
        "--end",
        "2019-07-19",
    )
    shown = cli.json("schedule", CODE_2019)
    assert shown["cohort"] == CODE_2019
    assert _stages(shown) == DEFAULT_2019
    assert shown["visit"] == {"start": "2019-04-23", "end": "2019-04-25", "destination": None}
    assert shown["closures"] == []
    assert cli.json("schedule", "show", CODE_2019) == shown
    text = cli("schedule", CODE_2019).stdout
    assert "on_class     2019-04-04   2019-04-26   15" in text
    assert "benchmarking visit (destination not set): 2019-04-23 to 2019-04-25" in text


def test_setting_the_visit_records_its_destination(cli: Cli, cohort_2019: str) -> None:
    """`schedule set CODE visit --destination` stores dates and place, one audited entry."""
    before = _entries(cli, cohort_2019)
    saved = cli.json(
        "schedule",
        "set",
        cohort_2019,
        "visit",
        "--start",
        "2019-04-22",
        "--end",
        "2019-04-24",
        "--destination",
        "Kulon Progo",
        "--reason",
        "agreed with the host",
        "--actor",
        "BKD",
    )
    assert saved["visit"] == {
        "start": "2019-04-22",
        "end": "2019-04-24",
        "destination": "Kulon Progo",
    }
    assert _stages(saved) == DEFAULT_2019
    assert cli.json("schedule", cohort_2019) == saved
    assert _entries(cli, cohort_2019) == before + 1


def test_setting_a_window_moves_only_that_window(cli: Cli, cohort_2019: str) -> None:
    """`schedule set CODE seminar` changes the seminar; the other windows stay."""
    saved = cli.json(
        "schedule",
        "set",
        cohort_2019,
        "seminar",
        "--start",
        "2019-07-08",
        "--end",
        "2019-07-09",
        "--reason",
        "examiners available",
    )
    expected = [*DEFAULT_2019[:3], ("seminar", "2019-07-08", "2019-07-09", 2), DEFAULT_2019[4]]
    assert _stages(saved) == expected


def test_a_refused_schedule_lists_every_violation(cli: Cli, cohort_2019: str) -> None:
    """Overlap, a short laboratory and no reason: exit 3 with all three, nothing stored."""
    refused = cli.json(
        "schedule",
        "set",
        cohort_2019,
        "laboratory",
        "--start",
        "2019-04-29",
        "--end",
        "2019-05-10",
        expect=3,
    )
    codes = {v["code"] for v in refused["violations"]}
    assert codes == {"reason_required", "schedule_overlap", "laboratory_too_short"}
    assert refused["outcome"] == "refused"
    assert _stages(cli.json("schedule", cohort_2019)) == DEFAULT_2019
    text = cli(
        "schedule",
        "set",
        cohort_2019,
        "laboratory",
        "--start",
        "2019-04-29",
        "--end",
        "2019-05-10",
        expect=3,
    ).stderr
    assert f"error: 'set_schedule' refused in {cohort_2019}\n" in text
    for code in codes:
        assert f"  {code}: " in text


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("holiday", "--start", "2019-05-01", "--end", "2019-05-02"), "STAGE 'holiday'"),
        (("seminar", "--start", "2019-07-09", "--end", "2019-07-08"), "--end 2019-07-08"),
        (("seminar", "--start", "2019-07-18", "--end", "2019-07-22"), "--end 2019-07-22"),
        (("on_class", "--start", "2019-04-01", "--end", "2019-04-26"), "--start 2019-04-01"),
        (("seminar", "--start", "2019-07-08", "--end", "2019-07-32"), "--end '2019-07-32'"),
        (
            ("seminar", "--start", "2019-07-08", "--end", "2019-07-08", "--destination", "X"),
            "--destination",
        ),
    ],
)
def test_bad_schedule_input_exits_2_naming_the_field(
    cli: Cli, cohort_2019: str, args: tuple[str, ...], named: str
) -> None:
    """Unknown stage, end before start, dates outside the cohort: exit 2, nothing written."""
    before = _entries(cli, cohort_2019)
    failed = cli.json("schedule", "set", cohort_2019, *args, "--reason", "r", expect=2)
    assert named in failed["error"]["message"]
    assert _entries(cli, cohort_2019) == before


def test_a_closure_moves_the_default_windows(cli: Cli, cohort_2019: str) -> None:
    """Closing Friday 5 April pushes on_class to Monday 29 April and every window after it."""
    closed = cli.json(
        "schedule",
        "close",
        cohort_2019,
        "2019-04-05",
        "--name",
        "Hari Jadi Kabupaten",
        "--reason",
        "regional holiday",
    )
    assert closed["closures"] == [{"day": "2019-04-05", "name": "Hari Jadi Kabupaten"}]
    assert _stages(closed)[:2] == [
        ("on_class", "2019-04-04", "2019-04-29", 15),
        ("proposal", "2019-04-30", "2019-04-30", 1),
    ]
    entries = _entries(cli, cohort_2019)
    again = cli.json(
        "schedule",
        "close",
        cohort_2019,
        "2019-04-05",
        "--name",
        "Hari Jadi Kabupaten",
        "--reason",
        "regional holiday",
    )
    assert again == closed
    assert _entries(cli, cohort_2019) == entries
    other = cli.json(
        "schedule", "close", cohort_2019, "2019-04-05", "--name", "Rapat", "--reason", "r", expect=2
    )
    assert "already closed" in other["error"]["message"]
    outside = cli.json(
        "schedule", "close", cohort_2019, "2019-08-01", "--name", "X", "--reason", "r", expect=2
    )
    assert "DATE 2019-08-01 is outside the cohort" in outside["error"]["message"]


def test_a_closure_keeps_windows_the_organiser_set(cli: Cli, cohort_2019: str) -> None:
    """Once a window was set by hand, a closure adds the day but moves no window."""
    cli(
        "schedule",
        "set",
        cohort_2019,
        "seminar",
        "--start",
        "2019-07-08",
        "--end",
        "2019-07-08",
        "--reason",
        "examiners",
    )
    closed = cli.json(
        "schedule",
        "close",
        cohort_2019,
        "2019-04-05",
        "--name",
        "Banjir",
        "--reason",
        "office flooded",
    )
    assert _stages(closed)[0] == ("on_class", "2019-04-04", "2019-04-26", 14)
    assert closed["closures"] == [{"day": "2019-04-05", "name": "Banjir"}]


# -- the iCalendar export -------------------------------------------------------------------------


def _events(path: Path) -> dict[str, Any]:
    calendar = Calendar.from_ical(path.read_bytes())
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def test_the_ics_file_holds_the_windows_and_the_visit(
    cli: Cli, cohort_2019: str, tmp_path: Path
) -> None:
    """One all-day event per window and the visit (LOCATION), stable UIDs, DTSTAMP now."""
    cli(
        "schedule",
        "set",
        cohort_2019,
        "visit",
        "--start",
        "2019-04-22",
        "--end",
        "2019-04-24",
        "--destination",
        "Kulon Progo",
        "--reason",
        "agreed",
    )
    file = tmp_path / "pka.ics"
    started = datetime.now(UTC).replace(microsecond=0)
    result = cli("schedule", cohort_2019, "--ics", str(file))
    finished = datetime.now(UTC) + timedelta(seconds=1)
    assert f"wrote 6 event(s) to {file}" in result.stderr
    events = _events(file)
    stages = [s for s, *_ in DEFAULT_2019]
    assert sorted(events) == sorted(f"{cohort_2019}-{s}@changeflow" for s in [*stages, "visit"])
    on_class = events[f"{cohort_2019}-on_class@changeflow"]
    assert on_class.decoded("DTSTART") == date(2019, 4, 4)
    assert on_class.decoded("DTEND") == date(2019, 4, 27)  # exclusive: the day after
    seminar = events[f"{cohort_2019}-seminar@changeflow"]
    assert seminar.decoded("DTSTART") == date(2019, 7, 1)
    assert "seminar" in str(seminar["SUMMARY"]).lower()
    visit = events[f"{cohort_2019}-visit@changeflow"]
    assert str(visit["LOCATION"]) == "Kulon Progo"
    assert (visit.decoded("DTSTART"), visit.decoded("DTEND")) == (
        date(2019, 4, 22),
        date(2019, 4, 25),
    )
    assert started <= on_class.decoded("DTSTAMP") <= finished
    second = tmp_path / "again.ics"
    cli("schedule", cohort_2019, "--ics", str(second))
    assert sorted(_events(second)) == sorted(events)


def test_the_ics_file_can_carry_due_dates(
    cli: Cli, enrolled_2019: list[str], tmp_path: Path
) -> None:
    """--with-due-dates adds each active participant's deadlines still ahead, one UID each."""
    file = tmp_path / "due.ics"
    cli("schedule", CODE_2019, "--ics", str(file), "--with-due-dates")
    events = _events(file)
    nip = enrolled_2019[0]
    proposal = events[f"{CODE_2019}-{nip}-proposal@changeflow"]
    assert proposal.decoded("DTSTART") == date(2019, 4, 29)
    assert "present_proposal" in str(proposal["SUMMARY"])
    deadlines = {"proposal", "approval", "results", "assessment"}
    assert {u for u in events if nip in u} == {
        f"{CODE_2019}-{nip}-{d}@changeflow" for d in deadlines
    }
    assert len(events) == 6 + 3 * len(deadlines)
    cli("schedule", CODE_2019, "--with-due-dates", expect=2)


def test_without_icalendar_the_export_exits_2_with_the_pip_hint(
    cli: Cli, cohort_2019: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No icalendar package: exit 2, the hint says what to install, no file written."""
    monkeypatch.setitem(sys.modules, "icalendar", None)
    file = tmp_path / "none.ics"
    result = cli("schedule", cohort_2019, "--ics", str(file), expect=2)
    assert "icalendar" in result.stderr
    assert "pip install 'changeflow[calendar]'" in result.stderr
    assert not file.exists()


# -- attendance -----------------------------------------------------------------------------------


def test_recording_one_day(cli: Cli, enrolled_2019: list[str]) -> None:
    """`attendance CODE NIP DATE --status` records the day as an audited data command."""
    nip = enrolled_2019[0]
    entry = cli.json("attendance", CODE_2019, nip, "2019-04-04", "--status", "sakit")
    assert (entry["event"], entry["nip"], entry["outcome"]) == (
        "record_attendance",
        nip,
        "accepted",
    )
    assert entry["change"]["attendance"]["after"] == {"2019-04-04": "sakit"}
    text = cli("attendance", CODE_2019, nip, "2019-04-05", "--status", "present").stdout
    assert text.startswith(f"{nip}: 2019-04-05 present recorded, audit #")


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("{nip}", "2019-04-17", "--status", "present"), "day: 2019-04-17"),  # election day
        (("{nip}", "2019-04-06", "--status", "present"), "day: 2019-04-06"),  # a Saturday
        (("{nip}", "2019-05-02", "--status", "present"), "day: 2019-05-02"),  # laboratory
        (("{nip}", "2019-04-04", "--status", "late"), "--status 'late'"),
        (("{nip}", "2019-04-4", "--status", "present"), "DATE '2019-04-4'"),
        (("198001012005011001", "2019-04-04", "--status", "present"), "unknown participant"),
        (("{nip}", "2019-04-04"), "NIP DATE --status"),
    ],
)
def test_bad_attendance_input_exits_2(
    cli: Cli, enrolled_2019: list[str], args: tuple[str, ...], named: str
) -> None:
    """A day outside on_class's working days, a bad status or date, someone not enrolled."""
    before = _entries(cli, CODE_2019)
    argv = [a.format(nip=enrolled_2019[0]) for a in args]
    failed = cli.json("attendance", CODE_2019, *argv, expect=2)
    assert named in failed["error"]["message"]
    assert _entries(cli, CODE_2019) == before


def test_a_closed_record_refuses_attendance_with_exit_3(cli: Cli, enrolled_2019: list[str]) -> None:
    """A withdrawn participant's attendance is refused (record_closed), the attempt audited."""
    nip = enrolled_2019[0]
    cli("fire", CODE_2019, nip, "withdraw", "--reason", "transferred")
    refused = cli.json("attendance", CODE_2019, nip, "2019-04-04", "--status", "present", expect=3)
    assert [v["code"] for v in refused["violations"]] == ["record_closed"]


def _sheet(path: Path, *rows: str) -> Path:
    path.write_text("\n".join(["nip,date,status", *rows]) + "\n", encoding="utf-8")
    return path


def test_a_sheet_is_reported_line_by_line_and_re_runs_safely(
    cli: Cli, enrolled_2019: list[str], tmp_path: Path
) -> None:
    """Good rows recorded; bad ones refused with their line (exit 2); a re-run changes nothing."""
    a, b, _ = enrolled_2019
    sheet = _sheet(
        tmp_path / "hadir.csv",
        f"{a},2019-04-04,present",
        f"{b},2019-04-04,izin",
        f"{a},2019-04-33,present",
        "198001012005011001,2019-04-04,present",
        f"{b},2019-05-02,absent",
        f"{b},2019-04-05,late",
    )
    report = cli.json("attendance", CODE_2019, "--csv", str(sheet), expect=2)
    assert [(r["line"], r["nip"], r["status"]) for r in report["accepted"]] == [
        (2, a, "present"),
        (3, b, "izin"),
    ]
    refused = {
        r["line"]: [(v["code"], v["facts"]["field"]) for v in r["violations"]]
        for r in report["refused"]
    }
    assert refused == {
        4: [("invalid_input", "date")],
        5: [("unknown_participant", "nip")],
        6: [("invalid_input", "date")],
        7: [("invalid_input", "status")],
    }
    for row in report["refused"]:
        assert row["violations"][0]["message"].startswith(f"line {row['line']}: ")
    entries = _entries(cli, CODE_2019)
    fixed = _sheet(
        tmp_path / "fixed.csv",
        f"{a},2019-04-04,present",
        f"{b},2019-04-04,izin",
        f"{b},2019-04-05,absent",
    )
    again = cli.json("attendance", CODE_2019, "--csv", str(fixed))
    assert [r["line"] for r in again["unchanged"]] == [2, 3]
    assert [r["line"] for r in again["accepted"]] == [4]
    assert _entries(cli, CODE_2019) == entries + 1
    assert cli.json("attendance", CODE_2019, "--csv", str(fixed))["accepted"] == []
    assert _entries(cli, CODE_2019) == entries + 1


def test_a_dry_run_sheet_writes_nothing(cli: Cli, enrolled_2019: list[str], tmp_path: Path) -> None:
    """--dry-run reports what would be recorded and leaves the audit chain as it was."""
    sheet = _sheet(tmp_path / "h.csv", f"{enrolled_2019[0]},2019-04-08,present")
    before = _entries(cli, CODE_2019)
    report = cli.json("attendance", CODE_2019, "--csv", str(sheet), "--dry-run")
    assert report["dry_run"] is True
    assert [r["line"] for r in report["accepted"]] == [2]
    assert _entries(cli, CODE_2019) == before
    assert (
        "would be recorded" in cli("attendance", CODE_2019, "--csv", str(sheet), "--dry-run").stdout
    )


def test_an_unusable_sheet_exits_2_with_the_hint(
    cli: Cli, cohort_2019: str, tmp_path: Path
) -> None:
    """A missing file or a header without the columns: exit 2, the whole sheet refused."""
    bad = tmp_path / "bad.csv"
    bad.write_text("nip,day\n1,2\n", encoding="utf-8")
    result = cli("attendance", cohort_2019, "--csv", str(bad), expect=2)
    assert "missing: date, status" in result.stderr
    assert "hint: an attendance sheet is a UTF-8 CSV file" in result.stderr
    cli("attendance", cohort_2019, "--csv", str(tmp_path / "missing.csv"), expect=2)


def test_a_sheet_refused_by_the_rules_exits_3(
    cli: Cli, enrolled_2019: list[str], tmp_path: Path
) -> None:
    """Rows refused only by the rules (a closed record) exit 3 with their violations."""
    a, b, _ = enrolled_2019
    cli("fire", CODE_2019, a, "withdraw", "--reason", "transferred")
    sheet = _sheet(tmp_path / "h.csv", f"{a},2019-04-04,present", f"{b},2019-04-04,present")
    report = cli.json("attendance", CODE_2019, "--csv", str(sheet), expect=3)
    assert [r["nip"] for r in report["accepted"]] == [b]
    assert [v["code"] for v in report["refused"][0]["violations"]] == ["record_closed"]


# -- agenda and tick ------------------------------------------------------------------------------


def test_the_agenda_lists_what_is_due_and_overdue(cli: Cli, enrolled_2019: list[str]) -> None:
    """On 6 May 2019 participants still on_class are overdue for their proposal (due 29 April)."""
    a, b, c = enrolled_2019
    found = cli.json("agenda", CODE_2019, "--as-of", "2019-05-06")
    assert found["cohort"] == CODE_2019
    assert found["as_of"] == "2019-05-06"
    by_nip = {p["nip"]: p for p in found["participants"]}
    assert set(by_nip) == {a, b, c}
    due = by_nip[a]
    assert due["next"] == {
        "deadline": "proposal",
        "event": "present_proposal",
        "due": "2019-04-29",
        "actor": "participant",
    }
    assert due["overdue"] is True
    assert due["working_days_late"] == 4  # 30 April, 2, 3 and 6 May (1 May is Labour Day)
    assert found["counts"]["overdue"] == 3
    early = cli.json("agenda", CODE_2019, "--as-of", "2019-04-10")
    assert early["counts"]["overdue"] == 0
    text = cli("agenda", CODE_2019, "--as-of", "2019-05-06").stdout
    assert "OVERDUE 4 wd" in text
    cli("agenda", CODE_2019, "--as-of", "6 May", expect=2)


def test_tick_flags_by_default_and_applies_a_pack_timeout_once(cli: Cli, tmp_path: Path) -> None:
    """A pack dropping after 2 working days: tick reports, --apply fires once, again replays."""
    engine = open_engine(cli.url)
    try:
        timeout = Timeout(
            deadline="proposal", after_working_days=2, event="drop", reason="no proposal presented"
        )
        parameters = CohortParameters(calendar=CalendarParameters(timeouts=(timeout,)))
        engine.create_cohort(
            Cohort(
                code="PKA-T",
                name="Tick",
                start=date(2019, 4, 4),
                end=date(2019, 7, 19),
                parameters=parameters,
            ),
            actor=ADMIN,
        )
    finally:
        engine.close()
    roster = write_roster(tmp_path / "r.csv", [person(1)])
    cli("enrol", "PKA-T", "--csv", str(roster))
    cli("advance", "PKA-T", "start_class")
    nip = nip_of(1)
    dry = cli.json("tick", "PKA-T", "--as-of", "2019-05-06")
    assert dry["apply"] is False
    assert [(a["nip"], a["event"], a["outcome"]) for a in dry["actions"]] == [
        (nip, "drop", "pending")
    ]
    assert cli.json("status", "PKA-T")["participants"][0]["state"] == "on_class"
    applied = cli.json("tick", "PKA-T", "--as-of", "2019-05-06", "--apply")
    assert [a["outcome"] for a in applied["actions"]] == ["applied"]
    assert applied["actions"][0]["key"] == f"tick:PKA-T:{nip}:proposal"
    assert cli.json("status", "PKA-T")["participants"][0]["state"] == "dropped"
    entries = _entries(cli, "PKA-T")
    cli("tick", "PKA-T", "--as-of", "2019-05-07", "--apply")
    assert _entries(cli, "PKA-T") == entries


@pytest.mark.usefixtures("enrolled_2019")
def test_tick_on_the_default_pack_only_flags(cli: Cli) -> None:
    """The default pack has no timeouts: tick --apply changes no one's state."""
    report = cli.json("tick", CODE_2019, "--as-of", "2019-05-06", "--apply")
    assert report["counts"]["applied"] == 0
    assert all(a["event"] is None for a in report["actions"])
    states = {p["state"] for p in cli.json("status", CODE_2019)["participants"]}
    assert states == {"on_class"}
    assert "tick as of 2019-05-06" in cli("tick", CODE_2019, "--as-of", "2019-05-06").stdout
