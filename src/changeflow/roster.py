r"""Rosters: nominations read from a CSV file and enrolled (or judged) row by row.

A roster is UTF-8 CSV (a byte-order mark is tolerated) whose first line is a header naming
the columns ``nip,name,office,echelon`` and optionally ``birth_date`` (``YYYY-MM-DD``), in
any order. The office cell is an office code or name: a stored office whose code matches
is used, else one whose name matches, else a new office is derived from the cell with
:meth:`Office.from_name`; a derived code that another office already holds under another
name is refused on that row, never merged.

A roster is bounded: at most :data:`DEFAULT_MAX_BYTES` bytes and :data:`DEFAULT_MAX_ROWS`
rows unless the caller allows more, and no row longer than :data:`MAX_ROW_CHARACTERS`.
Past a bound, or at a line that is not valid CSV, the whole roster is refused
(:class:`InvalidInput` naming the line): after broken quoting nothing below can be trusted
to be the rows it looks like.

Parsing is pure: :func:`parse_roster` turns text into :class:`RosterRow` s, each with its
line number and either a participant or the ``invalid_input`` violations that make it
unusable. :func:`enrol_roster` then applies the rows in file order through the public
:class:`~changeflow.engine.Engine` API.

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

import csv
import os
import re
import stat
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

from pydantic import ValidationError

from changeflow.errors import InvalidInput, TransitionRejected
from changeflow.models import Office, Participant
from changeflow.nip import normalise_nip
from changeflow.offices import OfficeIndex
from changeflow.rules.verdict import Violation

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from changeflow.engine import Engine

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_ROWS",
    "MAX_ROW_CHARACTERS",
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
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
]

REQUIRED_COLUMNS = ("nip", "name", "office", "echelon")
"""Columns every roster has."""

OPTIONAL_COLUMNS = ("birth_date",)
"""Columns a roster may add (an empty cell means "read it from the NIP")."""

DEFAULT_MAX_BYTES = 64 * 1024 * 1024
"""The most bytes a roster file may hold unless the caller allows more (64 MiB)."""

DEFAULT_MAX_ROWS = 200_000
"""The most rows (blank ones included) a roster may hold after its header, unless allowed more."""

MAX_ROW_CHARACTERS = 100_000
"""The longest a row may be. It stays below the csv module's field limit (131,072), past
which the module would go on reading *inside* a quoted field and turn its text into rows."""

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+")

RowStatus = Literal["accepted", "refused", "already_enrolled"]


class RosterTooLarge(InvalidInput):
    """A roster past one of its caps: ``limit`` is ``"max_bytes"`` or ``"max_rows"``.

    ``value`` is the cap that was passed. The roster is refused as a whole.
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


@dataclass(frozen=True, slots=True)
class RosterRow:
    """One data row: its line in the file and the participant, or why it is unusable.

    ``nip`` is the NIP cell as written (white space removed), possibly malformed or empty.
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
) -> list[RosterRow]:
    """Read and parse a roster file; :class:`InvalidInput` when the file is unusable.

    Unusable means the file cannot be read, is over ``max_bytes`` or ``max_rows``
    (:class:`RosterTooLarge`), is not UTF-8, has a wrong header or a line that is not valid
    CSV; a bad data row is not an error here but a :class:`RosterRow` carrying its
    violations. No more than ``max_bytes`` + 1 bytes are read, so a device or a pipe that
    never ends is refused as soon as it passes the cap.
    """
    file = Path(path)
    return parse_roster(
        decode(read_bounded(file, max_bytes), file), offices=offices, max_rows=max_rows
    )


def read_bounded(file: Path, limit: int, field: str = "roster") -> bytes:
    """At most ``limit`` bytes of ``file``; :class:`RosterTooLarge` past them.

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
        raise RosterTooLarge(
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


def parse_roster(
    text: str, *, offices: Iterable[Office] = (), max_rows: int = DEFAULT_MAX_ROWS
) -> list[RosterRow]:
    """Parse roster text (header first); :class:`InvalidInput` when the roster is unusable.

    Unusable means a wrong header, a line that is not valid CSV, a row longer than
    :data:`MAX_ROW_CHARACTERS` or more than ``max_rows`` rows (:class:`RosterTooLarge`).
    Blank lines are skipped; every other row becomes a :class:`RosterRow` numbered by the
    line it starts on (the header is line 1).
    """
    if max_rows < 1:
        raise InvalidInput("max_rows", f"must be at least 1, got {max_rows}")
    header, records = csv_records(text, max_rows)
    columns = _columns(header)
    known = _Offices(offices)
    return [_row(line, cells, columns, known) for line, cells in records]


def csv_records(
    text: str, max_rows: int, field: str = "roster"
) -> tuple[list[str] | None, list[tuple[int, list[str]]]]:
    """The header and the data records of CSV ``text`` with the lines they start on.

    Blank records are left out. Every record is read before any is judged: an input refused
    as a whole (a bad record, a row past :data:`MAX_ROW_CHARACTERS`, more than ``max_rows``)
    is refused before the costly part, and never after half of it was looked at.
    """
    lines = _Lines(text.removeprefix("\ufeff"), field)
    reader = csv.reader(lines, strict=True)
    header = lines.record(reader)
    return header, _records(lines, reader, max_rows)


def _records(
    lines: _Lines, reader: Iterator[list[str]], max_rows: int
) -> list[tuple[int, list[str]]]:
    """The data records and the lines they start on, blank ones left out."""
    field = lines.field
    records: list[tuple[int, list[str]]] = []
    count = 0
    while (cells := lines.record(reader)) is not None:
        count += 1
        if count > max_rows:
            raise RosterTooLarge(
                "max_rows",
                max_rows,
                f"line {lines.start}: the {field} has more than {max_rows:,} rows, the most it "
                "may hold: split it, or allow more",
                field,
            )
        if any(cell.strip() for cell in cells):
            records.append((lines.start, cells))
    return records


class _Lines:
    """The text's physical lines, handed to the csv reader one record at a time.

    Records are bounded here because the csv module's own limit is unsafe: past it the
    module reports an error and resumes *inside* the quoted field, so the field's text
    would be read as rows. Any CSV error likewise refuses the whole roster.
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


def _columns(header: list[str] | None) -> tuple[str, ...]:
    if not header or not any(cell.strip() for cell in header):
        raise InvalidInput(
            "roster",
            f"the roster is empty: line 1 must name the columns {','.join(REQUIRED_COLUMNS)}",
        )
    columns = tuple(cell.strip().casefold() for cell in header)
    expected = ",".join((*REQUIRED_COLUMNS, *(f"[{c}]" for c in OPTIONAL_COLUMNS)))
    unknown = [c for c in columns if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    problems = []
    if missing:
        problems.append(f"missing {', '.join(missing)}")
    if unknown:
        problems.append(f"unknown {', '.join(repr(c) for c in unknown)}")
    if repeated:
        problems.append(f"repeated {', '.join(repeated)}")
    if problems:
        raise InvalidInput(
            "roster", f"line 1: bad header ({'; '.join(problems)}); expected columns {expected}"
        )
    return columns


def _invalid(line: int, nip: str, problem: str, field: str) -> RosterRow:
    return RosterRow(
        line,
        nip,
        None,
        (
            Violation(
                "invalid_input",
                f"line {line}: {problem}",
                MappingProxyType({"line": line, "field": field}),
                f"baris {line}: isian tidak sah ({field})",
            ),
        ),
    )


def _row(line: int, cells: list[str], columns: tuple[str, ...], offices: _Offices) -> RosterRow:
    values = dict(zip(columns, (c.strip() for c in cells), strict=False))
    nip = str(normalise_nip(values.get("nip", "")))
    if len(cells) != len(columns):
        return _invalid(line, nip, f"expected {len(columns)} fields, found {len(cells)}", "row")
    problems: list[tuple[str, str]] = []
    data: dict[str, Any] = {"nip": nip, "name": values["name"], "echelon": values["echelon"]}
    born = values.get("birth_date", "")
    if born:
        try:
            if not _ISO_DATE.fullmatch(born):
                raise ValueError(born)
            data["birth_date"] = date.fromisoformat(born)
        except ValueError:
            problems.append(("birth_date", f"{born!r} is not a date (use YYYY-MM-DD)"))
    if not values["office"]:
        problems.append(("office", "is empty"))
    else:
        try:
            data["office"] = offices.resolve(values["office"], line)
        except ValidationError as exc:
            problems.append(("office", _first_message(exc)))
        except InvalidInput as exc:
            problems.append(("office", str(exc).removeprefix(f"{exc.field}: ")))
    if not problems:
        try:
            return RosterRow(line, nip, Participant.model_validate(data, strict=False))
        except ValidationError as exc:
            problems += [(_field(error["loc"]), _clean(error["msg"])) for error in exc.errors()]
    fields = ", ".join(dict.fromkeys(field for field, _ in problems))
    described = "; ".join(f"{field}: {message}" for field, message in problems)
    return _invalid(line, nip, described, fields)


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
) -> RosterReport:
    """Enrol roster rows in file order, each judged with the accepted rows before it enrolled.

    A row whose participant is already active in the cohort (from an earlier run of the
    roster, say) is reported as ``already_enrolled`` and changes nothing, so re-running a
    roster is safe; a NIP repeated later in the same roster is judged again and refused.
    Unusable rows are refused with ``invalid_input`` and write nothing. With ``dry_run``
    nothing is written: the valid rows are judged together by
    :meth:`Engine.check_enrolments`.
    """
    engine.cohort(cohort)  # an unknown cohort fails before any row is judged
    active = {e.nip for e in engine.participants(cohort) if e.active}
    outcomes: list[RosterOutcome | None] = []
    pending: list[tuple[int, RosterRow, Participant]] = []
    seen: set[str] = set()
    for row in rows:
        person = row.participant
        if person is None:
            outcomes.append(RosterOutcome(row.line, row.nip, None, "refused", row.violations))
            continue
        first = person.nip not in seen
        seen.add(person.nip)
        if first and person.nip in active:
            outcomes.append(RosterOutcome(row.line, person.nip, person.name, "already_enrolled"))
        elif dry_run:
            pending.append((len(outcomes), row, person))
            outcomes.append(None)
        else:
            outcomes.append(_enrol(engine, cohort, row, person, actor))
    if pending:
        verdicts = engine.check_enrolments(
            cohort, [person for _, _, person in pending], actor=actor
        )
        for (index, row, person), violations in zip(pending, verdicts, strict=True):
            status: RowStatus = "refused" if violations else "accepted"
            outcomes[index] = RosterOutcome(row.line, person.nip, person.name, status, violations)
    return RosterReport(cohort, dry_run, tuple(o for o in outcomes if o is not None))


def _enrol(
    engine: Engine, cohort: str, row: RosterRow, person: Participant, actor: str | None
) -> RosterOutcome:
    try:
        engine.enrol(cohort, person, actor=actor, payload={"roster_line": row.line})
    except TransitionRejected as refused:
        return RosterOutcome(row.line, person.nip, person.name, "refused", refused.violations)
    return RosterOutcome(row.line, person.nip, person.name, "accepted")
