r"""Rosters: nominations read from a CSV file or a workbook, enrolled (or judged) row by row.

A roster is a table (:mod:`changeflow.sheets`: CSV with a sniffed delimiter in UTF-8 or
Windows-1252, or an ``.xlsx`` sheet) whose header names the columns ``nip,name,office,echelon``
and optionally ``birth_date``, in any order, in English or Indonesian (:data:`ROSTER_COLUMNS`:
``NIP;Nama;Unit Kerja;Eselon;Tanggal Lahir``). Birth dates are ``YYYY-MM-DD``,
``dd/mm/yyyy``, ``dd-mm-yyyy`` or date cells; a NIP a spreadsheet turned into a number is
refused with a hint (:func:`~changeflow.nip.nip_cell`). The office cell is an office code
or name: a stored office whose code matches is used, else one whose name matches, else a
new office is derived from the cell with :meth:`Office.from_name`; a derived code that
another office already holds under another name is refused on that row, never merged.

A roster is bounded as every table is: at most :data:`DEFAULT_MAX_BYTES` bytes and
:data:`DEFAULT_MAX_ROWS` rows unless the caller allows more, and no row longer than
:data:`MAX_ROW_CHARACTERS`. Past a bound, or at a line that is not valid CSV, the whole
roster is refused (:class:`InvalidInput` naming the line).

Parsing is pure: :func:`parse_roster` turns text (:func:`roster_rows` a table) into
:class:`RosterRow` s, each with its line number (or sheet row) and either a participant
or the ``invalid_input`` violations that make it unusable. :func:`enrol_roster` then
applies the rows in file order through the public :class:`~changeflow.engine.Engine` API.

>>> rows = parse_roster(
...     "nip,name,office,echelon\n"
...     "197003152000031004,Budi,Dinas Kesehatan,III.a\n"
...     "123,Ani,BKD,III.a\n"
... )
>>> [(row.line, row.valid) for row in rows], rows[0].participant.office.code
([(2, True), (3, False)], 'DINAS-KESEHATAN')
>>> print(rows[1].violations[0].message)
line 3: nip: NIP must be exactly 18 digits, got 3 character(s)
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

from pydantic import ValidationError

from changeflow.errors import InvalidInput, TransitionRejected
from changeflow.models import Office, Participant
from changeflow.nip import nip_cell, normalise_nip
from changeflow.offices import OfficeIndex
from changeflow.rules.verdict import Violation
from changeflow.sheets import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_ROWS,
    MAX_ROW_CHARACTERS,
    Column,
    Record,
    Table,
    TooLarge,
    cell_date,
    cell_text,
    csv_records,
    decode,
    parse_csv,
    read_bounded,
    read_table,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from pathlib import Path

    from changeflow.engine import Engine

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_ROWS",
    "MAX_ROW_CHARACTERS",
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "ROSTER_COLUMNS",
    "RosterOutcome",
    "RosterReport",
    "RosterRow",
    "RosterTooLarge",
    "csv_records",
    "decode",
    "enrol_roster",
    "parse_roster",
    "read_bounded",
    "read_roster",
    "resolve_office",
    "roster_rows",
]

REQUIRED_COLUMNS = ("nip", "name", "office", "echelon")
"""Columns every roster has."""

OPTIONAL_COLUMNS = ("birth_date",)
"""Columns a roster may add (an empty cell means "read it from the NIP")."""

ROSTER_COLUMNS = (
    Column("nip", ("NIP",)),
    Column("name", ("nama", "nama lengkap")),
    Column("office", ("unit kerja", "OPD", "perangkat daerah", "instansi")),
    Column("echelon", ("eselon",)),
    Column("birth_date", ("tanggal lahir", "tgl lahir"), required=False),
)
"""A roster's columns and the headers (English or Indonesian) that name them."""

RosterTooLarge = TooLarge
"""A roster past one of its caps (:class:`changeflow.sheets.TooLarge`)."""

RowStatus = Literal["accepted", "refused", "already_enrolled"]


@dataclass(frozen=True, slots=True)
class RosterRow:
    """One data row: its line in the file and the participant, or why it is unusable.

    ``nip`` is the NIP cell as written (white space removed), possibly malformed or empty.
    ``line`` is the CSV line the row starts on, or its row in a sheet.
    """

    line: int
    nip: str
    participant: Participant | None
    violations: tuple[Violation, ...] = ()

    @property
    def valid(self) -> bool:
        """True when the row describes a participant."""
        return self.participant is not None


def resolve_office(cell: str, offices: Iterable[Office] = ()) -> Office:
    """The office a roster cell names: a registered code, name or alias, else a new office.

    Codes compare without regard to case; names and aliases (those of a
    :class:`~changeflow.offices.RegisteredOffice`) by :func:`~changeflow.offices.fold`, so
    case, spacing and punctuation variants find the one office. A new office whose derived
    code a stored office holds under another name raises :class:`InvalidInput` on
    ``office``: the two are never merged.

    >>> from changeflow.offices import RegisteredOffice
    >>> stored = [RegisteredOffice(code="DISDIK", name="Dinas Pendidikan dan Kebudayaan",
    ...                            aliases=("Disdik",))]
    >>> resolve_office("disdik", stored).code
    'DISDIK'
    >>> resolve_office("DINAS PENDIDIKAN, DAN  KEBUDAYAAN", stored).code
    'DISDIK'
    >>> resolve_office("Dinas Sosial", stored).code
    'DINAS-SOSIAL'
    >>> resolve_office("Dinas Sosial", [Office(code="DINAS-SOSIAL", name="Dinas Sosial Kota")])
    Traceback (most recent call last):
    ...
    changeflow.errors.InvalidInput: office: 'Dinas Sosial' would get the code DINAS-SOSIAL, ...
    """
    return _Offices(offices).resolve(cell)


class _Offices:
    """The offices cells resolve to: the registered ones, then those derived by the rows above."""

    def __init__(self, stored: Iterable[Office]) -> None:
        self._index = OfficeIndex(stored)
        self._derived: dict[str, int] = {}
        """The line that derived each new office, by code."""

    def resolve(self, cell: str, line: int | None = None) -> Office:
        """The office ``cell`` names; a new one is remembered as derived on ``line``."""
        wanted = cell.strip()
        if (found := self._index.find(wanted)) is not None:
            return found
        derived = Office.from_name(wanted)
        if (holder := self._index.code(derived.code)) is not None:
            where = self._derived.get(holder.code)
            source = "a stored office" if where is None else f"line {where}"
            raise InvalidInput(
                "office",
                f"{wanted!r} would get the code {derived.code}, which {source} gives to "
                f"{holder.name!r}: write {holder.code} to mean that office, or name this "
                "one distinctly",
            )
        if line is not None:
            self._derived[derived.code] = line
        return self._index.add(derived)


def read_roster(
    path: str | Path,
    *,
    offices: Iterable[Office] = (),
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_rows: int = DEFAULT_MAX_ROWS,
    xlsx: bool = False,
    sheet: str | None = None,
    encoding: str | None = None,
) -> list[RosterRow]:
    """Read and parse a roster file; :class:`InvalidInput` when the file is unusable.

    A CSV file, or with ``xlsx`` a workbook (its first sheet, or ``sheet``); ``encoding``
    overrides reading CSV as UTF-8 else Windows-1252. Unusable means the file cannot be
    read, is over ``max_bytes`` or ``max_rows`` (:class:`RosterTooLarge`), is in no
    encoding it can be read in, has a wrong header or a line that is not valid CSV (see
    :func:`changeflow.sheets.read_table`); a bad data row is not an error here but a
    :class:`RosterRow` carrying its violations. No more than ``max_bytes`` + 1 bytes are
    read, so a device or a pipe that never ends is refused as soon as it passes the cap.
    """
    table = read_table(
        path,
        ROSTER_COLUMNS,
        xlsx=xlsx,
        sheet=sheet,
        encoding=encoding,
        max_bytes=max_bytes,
        max_rows=max_rows,
    )
    return roster_rows(table, offices=offices)


def parse_roster(
    text: str, *, offices: Iterable[Office] = (), max_rows: int = DEFAULT_MAX_ROWS
) -> list[RosterRow]:
    """Parse roster text (header first); :class:`InvalidInput` when the roster is unusable.

    Unusable means a wrong header, a line that is not valid CSV, a row longer than
    :data:`MAX_ROW_CHARACTERS` or more than ``max_rows`` rows (:class:`RosterTooLarge`).
    Blank lines are skipped; every other row becomes a :class:`RosterRow` numbered by the
    line it starts on (the header is line 1).
    """
    return roster_rows(parse_csv(text, ROSTER_COLUMNS, max_rows=max_rows), offices=offices)


def roster_rows(table: Table, *, offices: Iterable[Office] = ()) -> list[RosterRow]:
    """The :class:`RosterRow` s of a table read with :data:`ROSTER_COLUMNS`, in file order."""
    known = _Offices(offices)
    return [_row(record, table, known) for record in table.records]


def _invalid(record: Record, nip: str, problem: str, field: str) -> RosterRow:
    line = record.line
    return RosterRow(
        line,
        nip,
        None,
        (
            Violation(
                "invalid_input",
                f"{record.where}: {problem}",
                MappingProxyType({"line": line, "field": field}),
                f"baris {line}: isian tidak sah ({field})",
            ),
        ),
    )


def _row(record: Record, table: Table, offices: _Offices) -> RosterRow:
    values = record.values
    written = cell_text(values.get("nip"))
    nip = str(normalise_nip(written))
    if record.fields != len(table.columns):
        found = f"expected {len(table.columns)} fields, found {record.fields}"
        return _invalid(record, nip, found, "row")
    problems: list[tuple[str, str]] = []
    try:
        nip = nip_cell(values.get("nip"))
    except ValueError as mangled:
        problems.append(("nip", str(mangled)))
    data: dict[str, Any] = {
        "nip": nip,
        "name": cell_text(values.get("name")),
        "echelon": cell_text(values.get("echelon")),
    }
    born = values.get("birth_date")
    if cell_text(born):
        try:
            data["birth_date"] = cell_date(born)
        except ValueError as exc:
            problems.append(("birth_date", str(exc)))
    office = cell_text(values.get("office"))
    if not office:
        problems.append(("office", "is empty"))
    else:
        try:
            data["office"] = offices.resolve(office, record.line)
        except ValidationError as exc:
            problems.append(("office", _first_message(exc)))
        except InvalidInput as exc:
            problems.append(("office", str(exc).removeprefix(f"{exc.field}: ")))
    if not problems:
        try:
            return RosterRow(record.line, nip, Participant.model_validate(data, strict=False))
        except ValidationError as exc:
            problems += [(_field(error["loc"]), _clean(error["msg"])) for error in exc.errors()]
    fields = ", ".join(dict.fromkeys(field for field, _ in problems))
    described = "; ".join(f"{table.label(field)}: {message}" for field, message in problems)
    return _invalid(record, nip, described, fields)


def _field(loc: tuple[int | str, ...]) -> str:
    return str(loc[0]) if loc else "row"


def _first_message(exc: ValidationError) -> str:
    errors = exc.errors()
    return _clean(errors[0]["msg"]) if errors else str(exc)


def _clean(message: str) -> str:
    return str(message).removeprefix("Value error, ")


@dataclass(frozen=True, slots=True)
class RosterOutcome:
    """What happened to one roster row."""

    line: int
    nip: str
    name: str | None
    status: RowStatus
    violations: tuple[Violation, ...] = ()


@dataclass(frozen=True, slots=True)
class RosterReport:
    """The outcome of a roster, row by row in file order."""

    cohort: str
    dry_run: bool
    outcomes: tuple[RosterOutcome, ...]

    @property
    def accepted(self) -> tuple[RosterOutcome, ...]:
        """Rows enrolled now (or, in a dry run, that would be)."""
        return tuple(o for o in self.outcomes if o.status == "accepted")

    @property
    def refused(self) -> tuple[RosterOutcome, ...]:
        """Rows refused by the rules or unusable (``invalid_input``)."""
        return tuple(o for o in self.outcomes if o.status == "refused")

    @property
    def already_enrolled(self) -> tuple[RosterOutcome, ...]:
        """Rows whose participant was already active in the cohort before this roster ran."""
        return tuple(o for o in self.outcomes if o.status == "already_enrolled")

    @property
    def ok(self) -> bool:
        """True when no row was refused."""
        return not self.refused

    def to_dict(self) -> dict[str, Any]:
        """The documented JSON shape: accepted NIPs, refused rows with reasons, already enrolled."""
        return {
            "cohort": self.cohort,
            "dry_run": self.dry_run,
            "accepted": [o.nip for o in self.accepted],
            "refused": [
                {"nip": o.nip, "line": o.line, "violations": [v.to_dict() for v in o.violations]}
                for o in self.refused
            ],
            "already_enrolled": [o.nip for o in self.already_enrolled],
        }


def enrol_roster(
    engine: Engine,
    cohort: str,
    rows: Iterable[RosterRow],
    *,
    actor: str | None = None,
    dry_run: bool = False,
    batch_size: int | None = None,
    on_row: Callable[[RosterOutcome], None] | None = None,
) -> RosterReport:
    """Enrol roster rows in file order, each judged with the accepted rows before it enrolled.

    A row whose participant is already active in the cohort (from an earlier run of the
    roster, say) is reported as ``already_enrolled`` and changes nothing, so re-running a
    roster is safe; a NIP repeated later in the same roster is judged again and refused.
    Unusable rows are refused with ``invalid_input`` and write nothing.

    The rows are written in batches (:meth:`Engine.batch`) of ``batch_size`` rows, the
    whole roster in one transaction by default: a crash leaves none or all of a batch. With
    ``dry_run`` the whole roster is judged in one batch that is never committed.
    ``on_row`` hears of each row's outcome as soon as it is judged (for progress).
    """
    if batch_size is not None and (isinstance(batch_size, bool) or batch_size < 1):
        raise InvalidInput("batch_size", f"must be a positive number of rows, got {batch_size!r}")
    engine.cohort(cohort)  # an unknown cohort fails before any row is judged
    active = {e.nip for e in engine.participants(cohort) if e.active}
    size = None if dry_run else batch_size
    outcomes: list[RosterOutcome] = []
    seen: set[str] = set()
    for chunk in _chunks(rows, size):
        with engine.batch(cohort, dry_run=dry_run):
            for row in chunk:
                outcome = _outcome(engine, cohort, row, actor, active, seen)
                outcomes.append(outcome)
                if on_row is not None:
                    on_row(outcome)
    return RosterReport(cohort, dry_run, tuple(outcomes))


def _chunks(rows: Iterable[RosterRow], size: int | None) -> Iterator[list[RosterRow]]:
    """The rows in lists of ``size`` (all in one list when ``size`` is None)."""
    chunk: list[RosterRow] = []
    for row in rows:
        chunk.append(row)
        if size is not None and len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk or size is None:
        yield chunk


def _outcome(
    engine: Engine,
    cohort: str,
    row: RosterRow,
    actor: str | None,
    active: set[str],
    seen: set[str],
) -> RosterOutcome:
    person = row.participant
    if person is None:
        return RosterOutcome(row.line, row.nip, None, "refused", row.violations)
    first = person.nip not in seen
    seen.add(person.nip)
    if first and person.nip in active:
        return RosterOutcome(row.line, person.nip, person.name, "already_enrolled")
    try:
        engine.enrol(cohort, person, actor=actor, payload={"roster_line": row.line})
    except TransitionRejected as refused:
        return RosterOutcome(row.line, person.nip, person.name, "refused", refused.violations)
    return RosterOutcome(row.line, person.nip, person.name, "accepted")
