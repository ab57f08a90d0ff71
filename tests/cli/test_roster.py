"""Roster parsing (pure) and applying rows in file order, on the in-memory store."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

import pytest

from changeflow import Engine, FixedClock, InvalidInput, MemoryStore, Office
from changeflow.roster import enrol_roster, parse_roster, read_roster, resolve_office
from cli.support import HEADER, nip_of, person
from factories import make_cohort

if TYPE_CHECKING:
    from pathlib import Path

COHORT = "PKA-III-VII-2019"


@pytest.fixture
def engine() -> Engine:
    """An in-memory engine with the 2019 cohort."""
    engine = Engine(MemoryStore(), clock=FixedClock(datetime(2019, 4, 4, 8, tzinfo=UTC)))
    engine.create_cohort(make_cohort())
    return engine


def _text(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def test_rows_carry_their_line_numbers() -> None:
    """The header is line 1; blank lines are skipped but still counted."""
    rows = parse_roster(_text(person(1), "", person(2), "  ,  ,  ,  "))
    assert [row.line for row in rows] == [2, 4]
    assert all(row.valid for row in rows)


def test_byte_order_mark_header_case_and_column_order() -> None:
    """A BOM, upper-case names and another column order are all accepted."""
    nip = nip_of(5)
    rows = parse_roster(
        f"\ufeffOffice, Echelon ,NIP,Name,Birth_Date\nBKD,III.b,{nip},Ani,1975-06-01\n"
    )
    participant = rows[0].participant
    assert participant is not None
    assert (participant.nip, participant.name, participant.echelon) == (nip, "Ani", "III.b")
    assert participant.birth_date == date(1975, 6, 1)


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        ("nip,name,office", "missing echelon"),
        ("nip,name,office,echelon,grade", "unknown 'grade'"),
        ("nip,name,office,echelon,nip", "repeated nip"),
        ("", "the roster is empty"),
    ],
)
def test_a_bad_header_makes_the_roster_unusable(header: str, problem: str) -> None:
    """A missing, unknown or repeated column (or no header) raises InvalidInput."""
    with pytest.raises(InvalidInput, match=problem):
        parse_roster(header + "\n")


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ("12345,Budi,BKD,III.a", "nip"),
        (f"{nip_of(1)},Budi,BKD,kepala", "echelon"),
        (f"{nip_of(1)},,BKD,III.a", "name"),
        (f"{nip_of(1)},Budi,,III.a", "office"),
        (f"{nip_of(1)},Budi,BKD", "row"),
        (f"{nip_of(1)},Budi,BKD,III.a,extra", "row"),
    ],
)
def test_malformed_rows_are_invalid_input_with_their_line(row: str, field: str) -> None:
    """Each malformed row becomes an invalid_input violation naming its line and field."""
    (parsed,) = parse_roster(_text(person(9), row))[1:]
    assert parsed.participant is None
    (violation,) = parsed.violations
    assert violation.code == "invalid_input"
    assert violation.facts["line"] == 3
    assert field in violation.facts["field"]
    assert violation.message.startswith("line 3: ")


@pytest.mark.parametrize("born", ["1975-13-01", "01/06/1975", "1975-06-02"])
def test_bad_or_disagreeing_birth_dates_are_invalid(born: str) -> None:
    """A malformed birth date, or one the NIP contradicts, is invalid_input."""
    (row,) = parse_roster(_text(f"{person(1)},{born}", header=HEADER + ",birth_date"))
    assert row.violations[0].facts["field"] == "birth_date"


def test_a_quoted_field_spanning_lines_counts_from_its_first_line() -> None:
    """A row with a quoted line break is numbered by the line it starts on."""
    rows = parse_roster(_text(f'{nip_of(1)},"Budi\nSantoso",BKD,III.a', person(2)))
    assert [row.line for row in rows] == [2, 4]


def test_offices_resolve_by_code_then_name_then_a_new_one() -> None:
    """A cell matching a stored code wins, then a stored name, else a derived office."""
    stored = [Office(code="DINKES", name="Dinas Kesehatan"), Office(code="BKD", name="Dinkes")]
    assert resolve_office(" dinkes ", stored).code == "DINKES"
    assert resolve_office("DINAS KESEHATAN", stored).code == "DINKES"
    fresh = resolve_office("Dinas Sosial", stored)
    assert (fresh.code, fresh.name) == ("DINAS-SOSIAL", "Dinas Sosial")


def test_unreadable_files_are_invalid_input(tmp_path: Path) -> None:
    """A missing file or one not in UTF-8 raises InvalidInput naming the file."""
    with pytest.raises(InvalidInput, match="cannot read"):
        read_roster(tmp_path / "missing.csv")
    latin = tmp_path / "latin.csv"
    latin.write_bytes(_text(f"{nip_of(1)},Bud\xed,BKD,III.a").encode("latin-1"))
    with pytest.raises(InvalidInput, match="not UTF-8"):
        read_roster(latin)


def test_rows_are_judged_in_file_order(engine: Engine) -> None:
    """The third row from one office meets the quota and a repeated NIP is already active."""
    rows = parse_roster(
        _text(person(1, "BKD"), person(2, "BKD"), person(3, "BKD"), person(1, "DINKES"), "x,y,z,w")
    )
    report = enrol_roster(engine, COHORT, rows)
    assert [o.nip for o in report.accepted] == [nip_of(1), nip_of(2)]
    refused = {o.line: [v.code for v in o.violations] for o in report.refused}
    assert refused[4] == ["office_quota"]
    assert "already_active" in refused[5]
    assert refused[6] == ["invalid_input"]
    assert not report.ok


def test_a_second_run_reports_already_enrolled_and_writes_nothing_for_them(
    engine: Engine,
) -> None:
    """Rows active in the cohort before the run are already_enrolled and add no audit entry."""
    rows = parse_roster(_text(person(1), person(2)))
    assert enrol_roster(engine, COHORT, rows).ok
    before = len(engine.history(cohort=COHORT))
    again = enrol_roster(engine, COHORT, rows)
    assert [o.nip for o in again.already_enrolled] == [nip_of(1), nip_of(2)]
    assert again.ok
    assert len(engine.history(cohort=COHORT)) == before


def test_someone_who_left_is_refused_not_already_enrolled(engine: Engine) -> None:
    """A participant who withdrew is not 'already enrolled': the engine refuses the row."""
    rows = parse_roster(_text(person(1)))
    enrol_roster(engine, COHORT, rows)
    engine.fire(COHORT, nip_of(1), "withdraw", reason="moved")
    again = enrol_roster(engine, COHORT, rows)
    assert [v.code for v in again.refused[0].violations] == ["already_enrolled"]


def test_dry_run_matches_the_real_run_and_writes_nothing(engine: Engine) -> None:
    """check_enrolments judges rows with the earlier ones enrolled, then rolls back."""
    rows = parse_roster(_text(person(1, "BKD"), person(2, "BKD"), person(3, "BKD"), person(1)))
    before = engine.history(cohort=COHORT)
    dry = enrol_roster(engine, COHORT, rows, dry_run=True)
    assert dry.dry_run
    assert engine.participants(COHORT) == []
    assert engine.history(cohort=COHORT) == before
    assert [e.event for e in before] == ["create_cohort"]
    assert engine.offices() == []
    real = enrol_roster(engine, COHORT, rows)
    assert [(o.line, o.status) for o in dry.outcomes] == [(o.line, o.status) for o in real.outcomes]
    assert [o.violations for o in dry.refused] == [o.violations for o in real.refused]


def test_an_unknown_cohort_fails_before_any_row(engine: Engine) -> None:
    """Applying a roster to an unknown cohort raises CohortNotFound."""
    from changeflow import CohortNotFound  # noqa: PLC0415

    with pytest.raises(CohortNotFound):
        enrol_roster(engine, "NOPE", parse_roster(_text(person(1))))
