r"""Tables from an HR office's files: CSV as Excel saves it, or an ``.xlsx`` workbook.

A table's first line (or, in a workbook, its first non-blank row) is a header whose cells
are matched to the caller's :class:`Column` s by name or alias, case, spaces, underscores
and hyphens ignored, so ``NIP;Nama;Unit Kerja;Eselon`` reads as ``nip,name,office,echelon``.
CSV is read as UTF-8 (a byte-order mark dropped), else as Windows-1252 (what Excel saves
in an Indonesian or Western locale), or in an encoding the caller names; its delimiter
(``,`` ``;`` or tab) is sniffed. Workbooks are read with openpyxl in read-only mode (the
optional ``xlsx`` extra): the first sheet, or a named one.

Every input is bounded: at most :data:`DEFAULT_MAX_BYTES` bytes and :data:`DEFAULT_MAX_ROWS`
rows unless the caller allows more, no row longer than :data:`MAX_ROW_CHARACTERS`, no more
than :data:`MAX_COLUMNS` columns read from a sheet. Past a bound, at a line that is not
valid CSV or at a workbook that cannot be opened, the whole table is refused
(:class:`InvalidInput` naming the line or row): after broken quoting nothing below can be
trusted to be the rows it looks like.

Each :class:`Record` keeps the line its CSV record starts on (or its sheet row), so every
error about a cell can name where it is and the column as the file wrote it.

>>> table = parse_csv(
...     "NIP;Nama\n197003152000031004;Budi\n",
...     (Column("nip", ("NIP",)), Column("name", ("Nama",))),
... )
>>> table.delimiter, table.records[0].line, dict(table.records[0].values)
(';', 2, {'nip': '197003152000031004', 'name': 'Budi'})
>>> table.label("name")
'Nama'
"""

from __future__ import annotations

import csv
import io
import os
import re
import stat
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal

from changeflow.errors import InvalidInput

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping, Sequence

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_ROWS",
    "DELIMITERS",
    "MAX_CELL_CHARACTERS",
    "MAX_COLUMNS",
    "MAX_EXPANSION",
    "MAX_ROW_CHARACTERS",
    "XLSX_HINT",
    "Cell",
    "Column",
    "Record",
    "Table",
    "TooLarge",
    "XlsxUnavailable",
    "cell_date",
    "cell_text",
    "csv_records",
    "decode",
    "decode_text",
    "parse_csv",
    "read_bounded",
    "read_table",
    "require_openpyxl",
    "sniff_delimiter",
]

DEFAULT_MAX_BYTES = 64 * 1024 * 1024
"""The most bytes a file may hold unless the caller allows more (64 MiB)."""

DEFAULT_MAX_ROWS = 200_000
"""The most rows (blank ones included) a table may hold after its header, unless allowed more."""

MAX_ROW_CHARACTERS = 100_000
"""The longest a row may be. It stays below the csv module's field limit (131,072), past
which the module would go on reading *inside* a quoted field and turn its text into rows."""

MAX_CELL_CHARACTERS = 32_767
"""The longest a workbook's cell may be: Excel's own limit."""

MAX_EXPANSION = 16
"""How many times ``max_bytes`` a workbook's parts may declare once uncompressed: a zip
bomb is refused before openpyxl inflates it."""

MAX_COLUMNS = 100
"""The most columns read from a sheet: a workbook may claim 16,384 of them in every row."""

DELIMITERS = ",;\t"
"""The delimiters a CSV file may use: comma, semicolon (Excel in an Indonesian locale), tab."""

XLSX_HINT = "install the xlsx extra to read .xlsx files: pip install 'changeflow[xlsx]'"
"""What to do when openpyxl is missing."""

Cell = str | int | float | bool | date | datetime | time | None
"""A cell's value: always text in CSV; a workbook's own type (number, date, ...) in a sheet."""

_LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+")
_HEADER_NOISE = re.compile(r"[\s_\-]+")
_SNIFF_LINES = 20
_SNIFF_CHARACTERS = 65_536
_ZIP = b"PK\x03\x04"


class TooLarge(InvalidInput):
    """A file past one of its caps: ``limit`` is ``"max_bytes"`` or ``"max_rows"``.

    ``value`` is the cap that was passed. The file is refused as a whole.
    """

    def __init__(
        self,
        limit: Literal["max_bytes", "max_rows"],
        value: int,
        message: str,
        field: str = "roster",
    ) -> None:
        self.limit = limit
        self.value = value
        super().__init__(field, message)


class XlsxUnavailable(InvalidInput):
    """An ``.xlsx`` file was given but openpyxl (the ``xlsx`` extra) is not installed."""


@dataclass(frozen=True, slots=True)
class Column:
    """A column the caller reads: its name and the other headers that mean it.

    >>> Column("office", ("Unit Kerja",)).matches(" unit_kerja ")
    True
    """

    name: str
    aliases: tuple[str, ...] = ()
    required: bool = True

    def matches(self, header: str) -> bool:
        """True when ``header`` names this column (case, spaces, ``_`` and ``-`` ignored)."""
        key = header_key(header)
        return any(key == header_key(known) for known in (self.name, *self.aliases))


def header_key(header: str) -> str:
    """A header as compared: case-folded, without spaces, underscores or hyphens."""
    return _HEADER_NOISE.sub("", header.casefold())


@dataclass(frozen=True, slots=True)
class Record:
    """One data row: where it is, its cells by column name, and how many cells it had.

    ``line`` is the CSV line the record starts on, or the sheet row; ``where`` says which
    (``"line 3"``, ``"row 3"``). ``fields`` is the number of cells the row had: a CSV
    row of another width than the header is unusable.
    """

    line: int
    values: Mapping[str, Cell]
    fields: int
    where: str


@dataclass(frozen=True, slots=True)
class Table:
    """A table read from a file: its columns (by name, in file order) and its data rows."""

    columns: tuple[str, ...]
    headers: Mapping[str, str]
    """The header cell as the file wrote it, by column name."""
    records: tuple[Record, ...]
    source: Literal["csv", "xlsx"] = "csv"
    delimiter: str = ","
    encoding: str = "utf-8"
    sheet: str | None = None

    def label(self, name: str) -> str:
        """The column ``name`` as the file's header wrote it (the name itself if absent)."""
        return self.headers.get(name, name)


def read_bounded(file: Path, limit: int, field: str = "roster") -> bytes:
    """At most ``limit`` bytes of ``file``; :class:`TooLarge` past them.

    Safe on a regular file, a device or a pipe; ``field`` names the input in errors.
    """
    if limit < 1:
        raise InvalidInput("max_bytes", f"must be at least 1, got {limit}")
    try:
        with file.open("rb") as stream:
            info = os.fstat(stream.fileno())
            # A regular file's size is known without reading it; a device or a pipe's is not.
            too_big = stat.S_ISREG(info.st_mode) and info.st_size > limit
            raw = b"" if too_big else stream.read(limit + 1)
    except OSError as exc:
        raise InvalidInput(field, f"cannot read {str(file)!r}: {exc.strerror or exc}") from None
    except ValueError as exc:  # a NUL in the path
        raise InvalidInput(field, f"cannot read {str(file)!r}: {exc}") from None
    if too_big or len(raw) > limit:
        raise TooLarge(
            "max_bytes",
            limit,
            f"{str(file)!r} is larger than {limit:,} bytes, the most a {field} may hold: "
            "split it, or allow more",
            field,
        )
    return raw


def decode(raw: bytes, file: Path, field: str = "roster") -> str:
    """The UTF-8 text of ``raw`` (a byte-order mark dropped); :class:`InvalidInput` if not."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            field, f"{str(file)!r} is not UTF-8 (byte {exc.start}): save the {field} as UTF-8"
        ) from None


def decode_text(
    raw: bytes, file: Path, encoding: str | None = None, field: str = "roster"
) -> tuple[str, str]:
    """The text of ``raw`` and the encoding it was read in.

    Without ``encoding``: UTF-8 (a byte-order mark dropped), else Windows-1252, which
    Excel writes in Western and Indonesian locales. Bytes that are neither, or not in the
    named ``encoding``, are :class:`InvalidInput` naming the byte.

    >>> decode_text("Nama;Budí".encode("cp1252"), Path("r.csv"))
    ('Nama;Budí', 'cp1252')
    """
    named = encoding is not None
    if encoding is None:
        try:
            return raw.decode("utf-8-sig"), "utf-8"
        except UnicodeDecodeError:
            encoding = "cp1252"
    try:
        return raw.decode(encoding).removeprefix("\ufeff"), encoding
    except LookupError:
        raise InvalidInput("encoding", f"unknown encoding {encoding!r}") from None
    except UnicodeDecodeError as exc:
        tried = encoding if named else f"neither UTF-8 nor {encoding}"
        raise InvalidInput(
            field,
            f"{str(file)!r} is {'not ' if named else ''}{tried} (byte {exc.start}): save the "
            f"{field} as UTF-8, or name its encoding",
        ) from None


def sniff_delimiter(text: str) -> str:
    r"""The delimiter of CSV ``text`` among :data:`DELIMITERS` (a comma when undecided).

    :class:`csv.Sniffer` judges the first lines; when it cannot, or picks a delimiter the
    header does not hold, the one the header holds most of is taken.

    >>> sniff_delimiter("NIP;Nama;Eselon\n1;Budi, S.Kom;III.a\n"), sniff_delimiter("nip\n")
    (';', ',')
    """
    sample = text[:_SNIFF_CHARACTERS]  # the sniffer's regular expressions, on a bounded sample
    lines = [
        found.group() for _, found in zip(range(_SNIFF_LINES), _LINE.finditer(sample), strict=False)
    ]
    header = lines[0] if lines else ""
    try:
        sniffed = csv.Sniffer().sniff("".join(lines), delimiters=DELIMITERS).delimiter
    except csv.Error:
        sniffed = ""
    if sniffed and sniffed in header:
        return sniffed
    counts = {delimiter: header.count(delimiter) for delimiter in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def csv_records(
    text: str, max_rows: int, field: str = "roster", delimiter: str = ","
) -> tuple[list[str] | None, list[tuple[int, list[str]]]]:
    """The header and the data records of CSV ``text`` with the lines they start on.

    Blank records are left out. Every record is read before any is judged: an input refused
    as a whole (a bad record, a row past :data:`MAX_ROW_CHARACTERS`, more than ``max_rows``)
    is refused before the costly part, and never after half of it was looked at.
    """
    if max_rows < 1:
        raise InvalidInput("max_rows", f"must be at least 1, got {max_rows}")
    lines = _Lines(text.removeprefix("\ufeff"), field)
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    header = lines.record(reader)
    return header, _records(lines, reader, max_rows)


def _records(
    lines: _Lines, reader: Iterator[list[str]], max_rows: int
) -> list[tuple[int, list[str]]]:
    """The data records and the lines they start on, blank ones left out."""
    records: list[tuple[int, list[str]]] = []
    count = 0
    while (cells := lines.record(reader)) is not None:
        count += 1
        if count > max_rows:
            raise _too_many_rows(f"line {lines.start}", max_rows, lines.field)
        if any(cell.strip() for cell in cells):
            records.append((lines.start, cells))
    return records


def _too_many_rows(where: str, max_rows: int, field: str) -> TooLarge:
    return TooLarge(
        "max_rows",
        max_rows,
        f"{where}: the {field} has more than {max_rows:,} rows, the most it may hold: "
        "split it, or allow more",
        field,
    )


class _Lines:
    """The text's physical lines, handed to the csv reader one record at a time.

    Records are bounded here because the csv module's own limit is unsafe: past it the
    module reports an error and resumes *inside* the quoted field, so the field's text
    would be read as rows. Any CSV error likewise refuses the whole file.
    """

    def __init__(self, text: str, field: str) -> None:
        self.field = field
        """What the text is (``roster``, ``csv``), for the errors."""
        # Lines end as the csv module ends them (CR, LF, CRLF); a regular expression, as
        # io.StringIO would hold a copy of the text four bytes a character.
        self._lines = (found.group() for found in _LINE.finditer(text))
        self._taken = 0
        self._size = 0
        self.start = 1
        """The line the current record starts on."""

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self._taken += 1
        self._size += len(line)
        if self._size > MAX_ROW_CHARACTERS:
            raise InvalidInput(
                self.field,
                f"line {self.start}: a row longer than {MAX_ROW_CHARACTERS:,} characters starts "
                f"here (a quote that never closes?); the whole {self.field} is refused",
            )
        return line

    def record(self, reader: Iterator[list[str]]) -> list[str] | None:
        """The next record's cells, ``None`` at the end; :class:`InvalidInput` if not CSV."""
        self.start, self._size = self._taken + 1, 0
        try:
            return next(reader, None)
        except csv.Error as exc:
            raise InvalidInput(
                self.field,
                f"line {self.start}: not valid CSV ({exc}); check the quotes there: the whole "
                f"{self.field} is refused",
            ) from None


def parse_csv(
    text: str,
    columns: Sequence[Column],
    *,
    max_rows: int = DEFAULT_MAX_ROWS,
    field: str = "roster",
    delimiter: str | None = None,
) -> Table:
    """A :class:`Table` from CSV ``text`` (header first, delimiter sniffed unless given).

    Empty cells past the header's last named column are not fields: Excel writes them for
    columns once formatted (``NIP;Nama;;``), in the header and in every row.
    """
    delimiter = delimiter or sniff_delimiter(text)
    header, records = csv_records(text, max_rows, field, delimiter)
    while header and not header[-1].strip():
        header.pop()
    names, headers = _header(header, columns, field, "line 1")
    width = len(names)
    rows = tuple(
        Record(line, _by_name(names, cells), _fields(cells, width), f"line {line}")
        for line, cells in records
    )
    return Table(names, headers, rows, "csv", delimiter)


def _fields(cells: Sequence[str], width: int) -> int:
    """How many fields a CSV row has, empty cells past the header's width left out."""
    if len(cells) > width and not any(cell.strip() for cell in cells[width:]):
        return width
    return len(cells)


def _by_name(names: tuple[str, ...], cells: Sequence[Cell]) -> Mapping[str, Cell]:
    return MappingProxyType(
        {
            name: cell.strip() if isinstance(cell, str) else cell
            for name, cell in zip(names, cells, strict=False)
        }
    )


def _header(
    cells: Sequence[Cell] | None,
    columns: Sequence[Column],
    field: str,
    where: str,
) -> tuple[tuple[str, ...], Mapping[str, str]]:
    """The column names of a header row, and each header as written; refused if wrong."""
    written = [cell_text(cell) for cell in cells or ()]
    expected = ",".join(c.name if c.required else f"[{c.name}]" for c in columns)
    if not any(written):
        raise InvalidInput(field, f"the {field} is empty: {where} must name the columns {expected}")
    names: list[str] = []
    unknown: list[str] = []
    for header in written:
        match = next((c.name for c in columns if c.matches(header)), None)
        names.append(match or header_key(header))
        if match is None:
            unknown.append(header)
    missing = [c.name for c in columns if c.required and c.name not in names]
    repeated = sorted({n for n in names if names.count(n) > 1})
    problems = []
    if missing:
        problems.append(f"missing {', '.join(missing)}")
    if unknown:
        problems.append(f"unknown {', '.join(repr(c) for c in unknown)}")
    if repeated:
        problems.append(f"repeated {', '.join(repeated)}")
    if problems:
        raise InvalidInput(
            field, f"{where}: bad header ({'; '.join(problems)}); expected columns {expected}"
        )
    return tuple(names), MappingProxyType(dict(zip(names, written, strict=True)))


def read_table(
    path: str | Path,
    columns: Sequence[Column],
    *,
    xlsx: bool = False,
    sheet: str | None = None,
    encoding: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_rows: int = DEFAULT_MAX_ROWS,
    field: str = "roster",
) -> Table:
    """Read a CSV file (or, with ``xlsx``, a workbook's sheet) as a :class:`Table`.

    :class:`InvalidInput` when the file is unusable: unreadable, past ``max_bytes`` or
    ``max_rows`` (:class:`TooLarge`), in no encoding it can be read in, a wrong header, a
    line that is not valid CSV, a workbook that does not open or has no such sheet, or
    openpyxl missing (:class:`XlsxUnavailable`). No more than ``max_bytes`` + 1 bytes are
    read, so a device or a pipe that never ends is refused as soon as it passes the cap.
    """
    file = Path(path)
    if max_rows < 1:
        raise InvalidInput("max_rows", f"must be at least 1, got {max_rows}")
    if xlsx:
        require_openpyxl(field)  # before reading: a missing extra is said at once
        return _read_xlsx(
            file, read_bounded(file, max_bytes, field), columns, sheet, max_rows, field
        )
    raw = read_bounded(file, max_bytes, field)
    if raw.startswith(_ZIP):
        raise InvalidInput(
            field, f"{str(file)!r} is an Excel workbook, not CSV: read it with --xlsx"
        )
    text, used = decode_text(raw, file, encoding, field)
    table = parse_csv(text, columns, max_rows=max_rows, field=field)
    return Table(table.columns, table.headers, table.records, "csv", table.delimiter, used)


def require_openpyxl(field: str = "xlsx") -> None:
    """Nothing when openpyxl can be imported; :class:`XlsxUnavailable` (with the hint) if not."""
    try:
        import openpyxl  # noqa: F401, PLC0415 - an optional extra, loaded only for workbooks
    except ImportError:
        raise XlsxUnavailable(field, f"reading .xlsx needs openpyxl: {XLSX_HINT}") from None


def _read_xlsx(
    file: Path,
    raw: bytes,
    columns: Sequence[Column],
    sheet: str | None,
    max_rows: int,
    field: str,
) -> Table:
    from openpyxl import load_workbook  # noqa: PLC0415 - an optional extra

    _check_expansion(file, raw, field)
    try:
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - a hostile workbook may fail anywhere inside openpyxl
        raise InvalidInput(
            field, f"{str(file)!r} is not an .xlsx workbook Excel could open ({type(exc).__name__})"
        ) from None
    try:
        if sheet is None:
            if not book.worksheets:
                raise InvalidInput(field, f"{str(file)!r} has no sheet")
            found = book.worksheets[0]
        elif sheet in book.sheetnames:
            found = book[sheet]
        else:
            raise InvalidInput(
                "sheet",
                f"{str(file)!r} has no sheet {sheet!r}; its sheets: "
                + ", ".join(map(repr, book.sheetnames)),
            )
        title = str(found.title)
        try:
            rows = _sheet_rows(
                found.iter_rows(min_row=1, max_col=MAX_COLUMNS, values_only=True), max_rows, field
            )
        except InvalidInput:
            raise
        except Exception as exc:  # noqa: BLE001 - see above: the sheet's XML is read lazily
            raise InvalidInput(
                field, f"sheet {title!r} of {str(file)!r} cannot be read ({type(exc).__name__})"
            ) from None
    finally:
        book.close()
    return _sheet_table(rows, columns, field, title)


def _check_expansion(file: Path, raw: bytes, field: str) -> None:
    """Refuse a workbook whose parts declare more than MAX_EXPANSION times its size inflated.

    The declared sizes bound what the zip module will inflate, so they can be trusted.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            declared = sum(part.file_size for part in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return  # not a zip at all: openpyxl says so below
    if declared > MAX_EXPANSION * max(len(raw), 1_048_576):
        raise InvalidInput(
            field,
            f"{str(file)!r} inflates to {declared:,} bytes, more than {MAX_EXPANSION} times "
            "its size: the whole workbook is refused",
        )


def _sheet_rows(
    rows: Iterable[Sequence[object]], max_rows: int, field: str
) -> list[tuple[int, tuple[Cell, ...]]]:
    """The non-blank rows with their numbers, bounded like CSV records and by cell length."""
    found: list[tuple[int, tuple[Cell, ...]]] = []
    header_seen = False
    count = 0
    for number, row in enumerate(rows, start=1):
        cells = tuple(_cell(value) for value in row)
        blank = all(cell is None or cell == "" for cell in cells)
        if header_seen:
            count += 1
            if count > max_rows:
                raise _too_many_rows(f"row {number}", max_rows, field)
        _check_cells(number, cells, field)
        if sum(len(cell) for cell in cells if isinstance(cell, str)) > MAX_ROW_CHARACTERS:
            raise InvalidInput(
                field,
                f"row {number}: longer than {MAX_ROW_CHARACTERS:,} characters; "
                f"the whole {field} is refused",
            )
        if not blank:
            header_seen = True
            found.append((number, _trimmed(cells)))
    return found


def _check_cells(number: int, cells: tuple[Cell, ...], field: str) -> None:
    for index, cell in enumerate(cells):
        if isinstance(cell, str) and len(cell) > MAX_CELL_CHARACTERS:
            raise InvalidInput(
                field,
                f"row {number}, column {_column_letter(index)}: a cell longer than "
                f"{MAX_CELL_CHARACTERS:,} characters (Excel's own limit); the whole {field} "
                "is refused",
            )


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _cell(value: object) -> Cell:
    if value is None or isinstance(value, str | int | float | bool | date | datetime | time):
        return value
    return str(value)  # a timedelta, an error value: shown as text, judged as text


def _trimmed(cells: tuple[Cell, ...]) -> tuple[Cell, ...]:
    # A sheet's rows are as wide as its widest one: empty cells at the end are not fields.
    end = len(cells)
    while end and (cells[end - 1] is None or cells[end - 1] == ""):
        end -= 1
    return cells[:end]


def _sheet_table(
    rows: list[tuple[int, tuple[Cell, ...]]], columns: Sequence[Column], field: str, title: str
) -> Table:
    if not rows:
        _header(None, columns, field, f"sheet {title!r}")  # raises: the sheet is empty
    (first, header), data = rows[0], rows[1:]
    names, headers = _header(header, columns, field, f"row {first} of sheet {title!r}")
    records = tuple(
        Record(number, _by_name(names, cells), max(len(cells), len(names)), f"row {number}")
        for number, cells in data
    )
    return Table(names, headers, records, "xlsx", sheet=title)


def cell_text(value: Cell) -> str:
    """A cell as text: trimmed; a whole number without ``.0``, a date in ISO form.

    >>> cell_text(" Budi "), cell_text(3.0), cell_text(date(2019, 4, 1)), cell_text(None)
    ('Budi', '3', '2019-04-01', '')
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime) and value.time() == time():
        return value.date().isoformat()
    if isinstance(value, date | datetime | time):
        return value.isoformat()
    return str(value)


_DATE_FORMS = (
    (re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})"), (1, 2, 3)),
    (re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})"), (3, 2, 1)),
    (re.compile(r"([0-9]{1,2})-([0-9]{1,2})-([0-9]{4})"), (3, 2, 1)),
)


def cell_date(value: Cell) -> date:
    """A date cell: an Excel date, or text as ``YYYY-MM-DD``, ``dd/mm/yyyy`` or ``dd-mm-yyyy``.

    ``ValueError`` with a message for anything else (a number, a time, another form).

    >>> cell_date("15/03/1970"), cell_date("15-03-1970"), cell_date(datetime(1970, 3, 15))
    (datetime.date(1970, 3, 15), datetime.date(1970, 3, 15), datetime.date(1970, 3, 15))
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = cell_text(value)
    for form, (year, month, day) in _DATE_FORMS:
        if isinstance(value, str) and (found := form.fullmatch(text)):
            try:
                return date(int(found[year]), int(found[month]), int(found[day]))
            except ValueError:
                break
    raise ValueError(
        f"{text!r} is not a date (write YYYY-MM-DD, dd/mm/yyyy or dd-mm-yyyy, "
        "or format the cell as a date)"
    )
