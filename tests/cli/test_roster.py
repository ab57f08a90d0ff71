"""Roster parsing (pure) and applying rows in file order, on the in-memory store."""

from __future__ import annotations

import contextlib
import os
import threading
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

import pytest

from changeflow import Engine, FixedClock, InvalidInput, MemoryStore, Office
from changeflow.roster import (
    MAX_ROW_CHARACTERS,
    RosterTooLarge,
    enrol_roster,
    parse_roster,
    read_roster,
    resolve_office,
)
from cli.support import HEADER, nip_of, person
from factories import make_cohort, trusted_engine

if TYPE_CHECKING:
    from pathlib import Path

COHORT = "PKA-III-VII-2019"


@pytest.fixture
def engine() -> Engine:
    """An in-memory engine with the 2019 cohort."""
    engine = trusted_engine(MemoryStore(), clock=FixedClock(datetime(2019, 4, 4, 8, tzinfo=UTC)))
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


@pytest.mark.parametrize("born", ["1975-13-01", "1975/06/01", "02/06/1975", "1975-06-02"])
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


def test_a_code_collision_between_two_names_refuses_the_later_row() -> None:
    """A name whose derived code an earlier row or a stored office holds is refused, not merged."""
    stored = [Office(code="DINAS-SOSIAL", name="Dinas Sosial Kota")]
    rows = parse_roster(
        _text(
            person(1, "Dinas Sosial"),
            person(2, "Dinas Pariwisata"),
            person(3, "dinas  PARIWISATA"),
            person(4, "Dinas Pariwísata"),
            person(5, "dinas-pariwisata"),
        ),
        offices=stored,
    )
    assert [row.line for row in rows if not row.valid] == [2, 5]
    for row in rows[0], rows[3]:
        (violation,) = row.violations
        assert violation.facts["field"] == "office"
    assert "a stored office gives to 'Dinas Sosial Kota'" in rows[0].violations[0].message
    assert "which line 3 gives to 'Dinas Pariwisata'" in rows[3].violations[0].message
    placed = [row.participant.office for row in rows if row.participant is not None]
    assert {(office.code, office.name) for office in placed} == {
        ("DINAS-PARIWISATA", "Dinas Pariwisata")
    }
    with pytest.raises(InvalidInput, match="would get the code DINAS-SOSIAL"):
        resolve_office("Dinas Sosial", stored)


def test_an_over_long_quoted_field_refuses_the_roster_and_hides_no_row() -> None:
    """A quoted field past the row cap hiding a line break refuses the roster at its line."""
    hidden = f'{nip_of(1)},"{"N" * 1_000_000}\n{person(7)}\n",BKD,III.a'
    with pytest.raises(InvalidInput, match=r"^roster: line 3: a row longer than 100,000 "):
        parse_roster(_text(person(2), hidden, person(3)))
    with pytest.raises(InvalidInput, match="line 2: a row longer"):
        parse_roster(_text(f'{nip_of(1)},"{"N" * 1_000_000}",BKD,III.a'))


def test_a_row_at_the_row_cap_is_read_and_one_past_it_is_not() -> None:
    """A row of MAX_ROW_CHARACTERS (its line break included) is a row; one more refuses."""
    row = person(1).replace("Peserta 1", "P")
    name = "N" * (MAX_ROW_CHARACTERS - len(row))  # the line break takes the place of "P"
    (parsed,) = parse_roster(_text(row.replace(",P,", f",{name},")))
    assert parsed.violations[0].facts["field"] == "name"  # too long for a name, but a row
    with pytest.raises(InvalidInput, match="line 2: a row longer"):
        parse_roster(_text(row.replace(",P,", f",{name}N,")))


def test_broken_quoting_mid_file_refuses_the_whole_roster() -> None:
    """After a line that is not valid CSV nothing is read as rows: the roster is refused."""
    text = _text(person(1), f'{nip_of(2)},"Budi"x,BKD,III.a', f'{nip_of(3)},"open,BKD,III.a')
    with pytest.raises(InvalidInput, match=r"^roster: line 3: not valid CSV \("):
        parse_roster(text + person(4) + "\n")
    with pytest.raises(InvalidInput, match="line 2: not valid CSV"):
        parse_roster(_text(f'{nip_of(3)},"open,BKD,III.a', person(4)))


def test_rows_past_max_rows_refuse_the_roster() -> None:
    """max_rows rows (blank ones counted) are read; one more refuses the roster at its line."""
    text = _text(person(1), "", person(2))
    assert len(parse_roster(text, max_rows=3)) == 2
    with pytest.raises(RosterTooLarge, match="line 4: the roster has more than 2 rows") as refused:
        parse_roster(text, max_rows=2)
    assert (refused.value.limit, refused.value.value, refused.value.field) == (
        "max_rows",
        2,
        "roster",
    )
    assert len(parse_roster(_text(*(person(n) for n in range(1, 201))))) == 200


def test_files_past_max_bytes_are_refused(tmp_path: Path) -> None:
    """A file one byte over max_bytes is refused; one exactly at it is read."""
    path = tmp_path / "r.csv"
    path.write_text(_text(person(1)), encoding="utf-8")
    size = path.stat().st_size
    assert len(read_roster(path, max_bytes=size)) == 1
    with pytest.raises(RosterTooLarge, match=f"larger than {size - 1:,} bytes") as refused:
        read_roster(path, max_bytes=size - 1)
    assert refused.value.limit == "max_bytes"


def test_endless_inputs_are_refused_at_max_bytes(tmp_path: Path) -> None:
    """A device or a pipe that never ends is refused once it passes max_bytes."""
    with pytest.raises(RosterTooLarge, match="larger than 1,000 bytes"):
        read_roster("/dev/zero", max_bytes=1_000)
    fifo = tmp_path / "roster.fifo"
    os.mkfifo(fifo)

    def feed() -> None:
        with contextlib.suppress(BrokenPipeError), fifo.open("wb") as pipe:
            pipe.write(_text(person(1)).encode())
            while True:
                pipe.write(b"x,y,z,w\n" * 1024)

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    with pytest.raises(RosterTooLarge, match="larger than 100,000 bytes"):
        read_roster(fifo, max_bytes=100_000)
    writer.join(timeout=10)
    assert not writer.is_alive()


@pytest.mark.parametrize("limit", ["max_bytes", "max_rows"])
def test_caps_below_one_are_invalid_input(tmp_path: Path, limit: str) -> None:
    """A cap of zero is a mistake, not an empty roster."""
    path = tmp_path / "r.csv"
    path.write_text(_text(person(1)), encoding="utf-8")
    with pytest.raises(InvalidInput, match=f"^{limit}: must be at least 1"):
        read_roster(path, **{limit: 0})


def test_unreadable_files_are_invalid_input(tmp_path: Path) -> None:
    """A missing file, or one in neither UTF-8 nor Windows-1252, raises InvalidInput naming it."""
    with pytest.raises(InvalidInput, match="cannot read"):
        read_roster(tmp_path / "missing.csv")
    garbled = tmp_path / "garbled.csv"
    garbled.write_bytes(_text(f"{nip_of(1)},Budi,BKD,III.a").encode() + b"\xc3\x81\x81\n")
    with pytest.raises(InvalidInput, match=r"garbled\.csv' is neither UTF-8 nor cp1252 \(byte "):
        read_roster(garbled)


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


# -- rosters as HR offices keep them --------------------------------------------------------


def test_an_indonesian_semicolon_roster_from_excel_is_read(tmp_path: Path) -> None:
    """`NIP;Nama;Unit Kerja;Eselon;Tanggal Lahir` in Windows-1252 with dd/mm/yyyy dates."""
    roster = tmp_path / "peserta.csv"
    roster.write_bytes(
        (
            "NIP;Nama;Unit Kerja;Eselon;Tanggal Lahir\r\n"
            f"{nip_of(1)};Budi Santoso, S.Kom;Dinas Pendidikan;III/a;01/06/1975\r\n"
            f"'{nip_of(2)};Ani Suryaní;Dinas Kesehatan;IIIb;01-06-1975\r\n"
        ).encode("cp1252")
    )
    first, second = read_roster(roster)
    assert first.participant is not None
    assert second.participant is not None
    assert (first.participant.name, first.participant.echelon) == ("Budi Santoso, S.Kom", "III.a")
    assert first.participant.office.name == "Dinas Pendidikan"
    assert (second.nip, second.participant.name, second.participant.echelon) == (
        nip_of(2),
        "Ani Suryaní",
        "III.b",
    )
    assert second.participant.birth_date == date(1975, 6, 1)


@pytest.mark.parametrize("written", ["III.a", "III/a", "IIIa", "III-a", "iii.a", " III A "])
def test_echelon_variants_normalise_to_the_dotted_form(written: str) -> None:
    """Every way HR files write echelon III.a reads as III.a."""
    (row,) = parse_roster(_text(f"{nip_of(1)},Budi,BKD,{written}"))
    assert row.participant is not None
    assert row.participant.echelon == "III.a"


def test_an_unknown_echelon_gets_a_human_message() -> None:
    """The refusal lists the accepted forms and no regular expression."""
    (row,) = parse_roster(_text(f"{nip_of(1)},Budi,BKD,kepala"))
    message = row.violations[0].message
    assert message.startswith("line 2: echelon: 'kepala' is not an echelon: write I.a to V.b")
    assert "III/a, IIIa, III-a and iii.a are read as III.a" in message
    assert "^" not in message


@pytest.mark.parametrize("mangled", ["1.97506E+17", "1,97506E+17", "197506012000031000.0"])
def test_a_nip_excel_made_a_number_is_refused_with_a_hint(mangled: str) -> None:
    """Scientific notation or a decimal NIP names its line and column and says to use Text."""
    (row,) = parse_roster(f"NIP;Nama;OPD;Eselon\n{mangled};Budi;BKD;III.a\n")
    (violation,) = row.violations
    assert violation.facts == {"line": 2, "field": "nip"}
    assert violation.message.startswith(f"line 2: NIP: NIP {mangled!r} was turned into a number")
    assert "format the NIP column as Text" in violation.message


def test_a_workbook_roster_reads_date_cells_and_refuses_number_nips(tmp_path: Path) -> None:
    """An .xlsx roster: a date cell is a birth date; a NIP stored as a number is refused by row."""
    from openpyxl import Workbook  # noqa: PLC0415 - the optional extra, as the CLI loads it

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Peserta"
    sheet.append(["NIP", "Nama", "Perangkat Daerah", "Eselon", "Tanggal Lahir"])
    sheet.append([nip_of(1), "Budi", "BKD", "III.a", datetime(1975, 6, 1)])
    sheet.append([int(nip_of(2)), "Ani", "Dinkes", "III.b", None])
    sheet.append([float(nip_of(3)), "Eko", "Disdik", "III.b", "1975-06-01"])
    path = tmp_path / "peserta.xlsx"
    book.save(path)
    budi, ani, eko = read_roster(path, xlsx=True)
    assert budi.participant is not None
    assert budi.participant.birth_date == date(1975, 6, 1)
    assert (ani.line, eko.line) == (3, 4)
    for row in (ani, eko):
        (violation,) = row.violations
        assert violation.message.startswith(f"row {row.line}: NIP: NIP '1.97506012")
        assert "format the NIP column as Text" in violation.message
