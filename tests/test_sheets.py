"""Tables from HR files: sniffed CSV in UTF-8 or Windows-1252, .xlsx sheets, bounds, cells."""

from __future__ import annotations

import zipfile
from datetime import date, datetime
from typing import TYPE_CHECKING

import pytest
from openpyxl import Workbook

from changeflow import InvalidInput
from changeflow.sheets import (
    MAX_EXPANSION,
    Column,
    TooLarge,
    cell_date,
    cell_text,
    parse_csv,
    read_table,
    sniff_delimiter,
)

if TYPE_CHECKING:
    from pathlib import Path

COLUMNS = (
    Column("nip", ("NIP",)),
    Column("name", ("Nama",)),
    Column("office", ("Unit Kerja", "OPD", "Perangkat Daerah")),
    Column("birth_date", ("Tanggal Lahir",), required=False),
)


def _workbook(path: Path, *sheets: tuple[str, list[list[object]]]) -> Path:
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def test_semicolons_and_indonesian_headers_map_to_the_columns() -> None:
    """`NIP;Nama;Unit Kerja` reads as nip, name, office; labels keep the file's headers."""
    table = parse_csv("NIP;Nama;Unit Kerja\n1;Budi, S.Kom;Dinas Kesehatan\n", COLUMNS)
    assert table.delimiter == ";"
    assert table.columns == ("nip", "name", "office")
    assert dict(table.records[0].values) == {
        "nip": "1",
        "name": "Budi, S.Kom",
        "office": "Dinas Kesehatan",
    }
    assert (table.label("office"), table.label("nip")) == ("Unit Kerja", "NIP")


@pytest.mark.parametrize(
    "header", ["  nip\tNAMA\tperangkat  daerah", "Nip\tnama\tPerangkat_Daerah", "nip\tName\tOPD"]
)
def test_tabs_and_header_case_and_spacing_are_ignored(header: str) -> None:
    """A tab-separated file matches headers without regard to case, spaces or underscores."""
    table = parse_csv(f"{header}\n1\tBudi\tBKD\n", COLUMNS)
    assert table.delimiter == "\t"
    assert table.columns == ("nip", "name", "office")


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ("nip,name,office\n1,Budi;Ani,BKD\n", ","),
        ("nip;name;office\n1;Budi, S.Kom;BKD\n2;Ani;BKD\n", ";"),
        ("nip\tname\toffice\n1\tBudi, S.Kom; M.Si\tBKD\n", "\t"),
        ("nip\n1\n", ","),
    ],
)
def test_the_delimiter_is_sniffed_among_comma_semicolon_and_tab(text: str, delimiter: str) -> None:
    """The header's delimiter wins over others found inside the cells."""
    assert sniff_delimiter(text) == delimiter


def test_a_bom_and_windows_1252_are_read(tmp_path: Path) -> None:
    """UTF-8 with a BOM, and bytes that are not UTF-8 read as Windows-1252 (what Excel saves)."""
    bom = tmp_path / "bom.csv"
    bom.write_bytes("\ufeffNIP;Nama;OPD\n1;Budí;BKD\n".encode())
    latin = tmp_path / "latin.csv"
    latin.write_bytes("NIP;Nama;OPD\n1;Budí “Bud”;BKD\n".encode("cp1252"))
    assert read_table(bom, COLUMNS).records[0].values["name"] == "Budí"
    read = read_table(latin, COLUMNS)
    assert (read.encoding, read.records[0].values["name"]) == ("cp1252", "Budí “Bud”")


def test_an_explicit_encoding_is_used_and_an_unknown_one_refused(tmp_path: Path) -> None:
    """--encoding reads the file in that encoding; a name Python does not know is refused."""
    wide = tmp_path / "utf16.csv"
    wide.write_bytes("nip,name,office\n1,Budí,BKD\n".encode("utf-16"))
    assert read_table(wide, COLUMNS, encoding="utf-16").records[0].values["name"] == "Budí"
    with pytest.raises(InvalidInput, match="unknown encoding 'klingon'"):
        read_table(wide, COLUMNS, encoding="klingon")
    with pytest.raises(InvalidInput, match=r"utf16\.csv' is not ascii \(byte 0\)"):
        read_table(tmp_path / "utf16.csv", COLUMNS, encoding="ascii")


def test_empty_trailing_columns_excel_writes_are_not_fields() -> None:
    """`NIP;Nama;OPD;;` and rows ending `;;` read as three fields; a filled extra cell does not."""
    table = parse_csv("NIP;Nama;OPD;;\n1;Budi;BKD;;\n2;Ani;BKD\n3;Eko;BKD;;x\n", COLUMNS)
    assert table.columns == ("nip", "name", "office")
    assert [record.fields for record in table.records] == [3, 3, 5]


def test_a_csv_error_refuses_the_whole_semicolon_file_naming_its_line() -> None:
    """A broken quote on line 3 of a semicolon file refuses the file, naming line 3."""
    with pytest.raises(InvalidInput, match="line 3: not valid CSV"):
        parse_csv('nip;name;office\n1;Budi;BKD\n2;"Ani" x;BKD\n3;Eko;BKD\n', COLUMNS)


def test_a_bad_header_names_missing_unknown_and_repeated_columns() -> None:
    """Missing, unknown and repeated columns are listed, with the columns expected."""
    with pytest.raises(InvalidInput, match="missing office; unknown 'Jabatan'; repeated name"):
        parse_csv("NIP;Nama;Name;Jabatan\n", COLUMNS)


def test_a_title_row_above_the_header_is_named_as_a_bad_header(tmp_path: Path) -> None:
    """The first non-blank row is the header: a title there is refused naming its row."""
    path = _workbook(
        tmp_path / "r.xlsx",
        ("Peserta", [[], ["DAFTAR PESERTA"], ["NIP", "Nama", "Unit Kerja"]]),
    )
    with pytest.raises(InvalidInput, match=r"row 2 of sheet 'Peserta': bad header"):
        read_table(path, COLUMNS, xlsx=True)


def test_the_header_is_the_first_non_blank_row_of_the_sheet(tmp_path: Path) -> None:
    """Blank rows above the header are skipped; rows are numbered as the sheet numbers them."""
    path = _workbook(
        tmp_path / "r.xlsx",
        (
            "Peserta",
            [
                [],
                ["NIP", "Nama", "Unit Kerja", "Tanggal Lahir"],
                [197506012000031001, "Budi", "BKD", datetime(1975, 6, 1)],
                [None, None, None, None],
                ["'197506012000031002", "  Ani ", "Dinkes"],
            ],
        ),
    )
    table = read_table(path, COLUMNS, xlsx=True)
    assert (table.source, table.sheet) == ("xlsx", "Peserta")
    first, second = table.records
    assert (first.line, first.where, second.line) == (3, "row 3", 5)
    assert isinstance(first.values["nip"], float)  # as Excel keeps it: 15 digits
    assert first.values["birth_date"] == datetime(1975, 6, 1)
    assert (second.values["name"], second.fields) == ("Ani", 4)


def test_a_named_sheet_is_read_and_a_missing_one_lists_the_sheets(tmp_path: Path) -> None:
    """--sheet picks a sheet by name; an unknown name lists the sheets there are."""
    path = _workbook(
        tmp_path / "r.xlsx",
        ("Judul", [["just a title"]]),
        ("Data", [["nip", "name", "office"], ["1", "Eko", "BKD"]]),
    )
    assert read_table(path, COLUMNS, xlsx=True, sheet="Data").records[0].values["name"] == "Eko"
    with pytest.raises(InvalidInput, match="has no sheet 'Nope'; its sheets: 'Judul', 'Data'"):
        read_table(path, COLUMNS, xlsx=True, sheet="Nope")


def test_a_workbook_is_bounded_in_bytes_rows_and_cell_length(tmp_path: Path) -> None:
    """Past max_bytes, max_rows or MAX_ROW_CHARACTERS, a workbook is refused as a whole."""
    rows: list[list[object]] = [["nip", "name", "office"]] + [["1", "Budi", "BKD"]] * 5
    path = _workbook(tmp_path / "r.xlsx", ("S", rows))
    with pytest.raises(TooLarge, match="row 6: the roster has more than 4 rows") as rows_cap:
        read_table(path, COLUMNS, xlsx=True, max_rows=4)
    assert rows_cap.value.limit == "max_rows"
    with pytest.raises(TooLarge) as bytes_cap:
        read_table(path, COLUMNS, xlsx=True, max_bytes=100)
    assert bytes_cap.value.limit == "max_bytes"
    long = _workbook(tmp_path / "long.xlsx", ("S", [*rows[:2], ["x" * 30_000] * 4]))
    with pytest.raises(InvalidInput, match="row 3: longer than 100,000 characters"):
        read_table(long, COLUMNS, xlsx=True)


def test_a_cell_past_excels_limit_and_a_zip_bomb_are_refused(tmp_path: Path) -> None:
    """A cell longer than 32,767 characters names its row and column; a bomb is not inflated."""
    # openpyxl cuts what it writes at Excel's limit: the longer cell is put in by hand.
    made = _workbook(tmp_path / "made.xlsx", ("S", [["nip", "name", "office"], ["1", "x"]]))
    path = tmp_path / "r.xlsx"
    with zipfile.ZipFile(made) as source, zipfile.ZipFile(path, "w") as target:
        for part in source.infolist():
            data = source.read(part)
            if part.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<t>x</t>", b"<t>" + b"x" * 40_000 + b"</t>")
            target.writestr(part, data)
    with pytest.raises(InvalidInput, match="row 2, column B: a cell longer than 32,767"):
        read_table(path, COLUMNS, xlsx=True)
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b" " * (MAX_EXPANSION + 1) * 1_048_576)
    assert bomb.stat().st_size < 100_000
    with pytest.raises(InvalidInput, match="inflates to 17,825,792 bytes"):
        read_table(bomb, COLUMNS, xlsx=True)


def test_files_that_are_not_what_they_claim_are_refused(tmp_path: Path) -> None:
    """A CSV that is a workbook says to use --xlsx; a text file is no workbook."""
    book = _workbook(tmp_path / "r.xlsx", ("S", [["nip", "name", "office"]]))
    with pytest.raises(InvalidInput, match="is an Excel workbook, not CSV: read it with --xlsx"):
        read_table(book, COLUMNS)
    text = tmp_path / "r.csv"
    text.write_text("nip,name,office\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"is not an \.xlsx workbook"):
        read_table(text, COLUMNS, xlsx=True)


@pytest.mark.parametrize(
    "cell",
    ["1975-06-01", "01/06/1975", "1/6/1975", "01-06-1975", date(1975, 6, 1), datetime(1975, 6, 1)],
)
def test_dates_are_read_in_every_accepted_form(cell: str | date) -> None:
    """ISO, dd/mm/yyyy, dd-mm-yyyy and date cells all give 1 June 1975."""
    assert cell_date(cell) == date(1975, 6, 1)


@pytest.mark.parametrize("cell", ["1975/06/01", "06/31/1975", "1 Juni 1975", 27546, "", None])
def test_other_dates_are_refused_with_the_forms_accepted(cell: object) -> None:
    """Another form, an impossible day or a number is a ValueError listing the forms."""
    with pytest.raises(ValueError, match="dd/mm/yyyy"):
        cell_date(cell)  # type: ignore[arg-type]


def test_cells_read_as_text() -> None:
    """Whole floats lose their .0, datetimes at midnight are dates, text is trimmed."""
    assert [cell_text(c) for c in (4.0, 4.5, datetime(2019, 4, 4), " a ", True)] == [
        "4",
        "4.5",
        "2019-04-04",
        "a",
        "True",
    ]
