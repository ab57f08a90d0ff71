r"""Rosters: nominations read from a CSV file and enrolled (or judged) row by row.

A roster is UTF-8 CSV (a byte-order mark is tolerated) whose first line is a header naming
the columns ``nip,name,office,echelon`` and optionally ``birth_date`` (``YYYY-MM-DD``), in
any order. The office cell is an office code or name: a stored office whose code matches
is used, else one whose name matches, else a new office is derived from the cell with
:meth:`Office.from_name`.

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
import io
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

from pydantic import ValidationError

from changeflow.errors import InvalidInput, TransitionRejected
from changeflow.models import Office, Participant
from changeflow.nip import normalise_nip
from changeflow.rules.verdict import Violation

if TYPE_CHECKING:
    from collections.abc import Iterable

    from changeflow.engine import Engine

__all__ = [
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "RosterOutcome",
    "RosterReport",
    "RosterRow",
    "enrol_roster",
    "parse_roster",
    "read_roster",
    "resolve_office",
]

REQUIRED_COLUMNS = ("nip", "name", "office", "echelon")
"""Columns every roster has."""

OPTIONAL_COLUMNS = ("birth_date",)
"""Columns a roster may add (an empty cell means "read it from the NIP")."""

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

RowStatus = Literal["accepted", "refused", "already_enrolled"]


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
    """The office a roster cell names: a stored code, else a stored name, else a new office.

    Codes and names compare without regard to case or surrounding white space.

    >>> stored = [Office(code="DINKES", name="Dinas Kesehatan")]
    >>> resolve_office("dinkes", stored).code, resolve_office("Dinas Kesehatan", stored).code
    ('DINKES', 'DINKES')
    >>> resolve_office("Dinas Sosial", stored).code
    'DINAS-SOSIAL'
    """
    wanted = cell.strip().casefold()
    known = list(offices)
    for office in known:
        if office.code.casefold() == wanted:
            return office
    for office in known:
        if office.name.strip().casefold() == wanted:
            return office
    return Office.from_name(cell.strip())


def read_roster(path: str | Path, *, offices: Iterable[Office] = ()) -> list[RosterRow]:
    """Read and parse a roster file; :class:`InvalidInput` when the file is unusable.

    Unusable means the file cannot be read, is not UTF-8, or its header is wrong; a bad
    data row is not an error here but a :class:`RosterRow` carrying its violations.
    """
    file = Path(path)
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise InvalidInput("roster", f"cannot read {str(file)!r}: {exc.strerror or exc}") from None
    except ValueError as exc:  # a NUL in the path
        raise InvalidInput("roster", f"cannot read {str(file)!r}: {exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            "roster", f"{str(file)!r} is not UTF-8 (byte {exc.start}): save the roster as UTF-8"
        ) from None
    return parse_roster(text, offices=offices)


def parse_roster(text: str, *, offices: Iterable[Office] = ()) -> list[RosterRow]:
    """Parse roster text (header first); :class:`InvalidInput` when the header is wrong.

    Blank lines are skipped; every other row becomes a :class:`RosterRow` numbered by the
    line it starts on (the header is line 1).
    """
    text = text.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise InvalidInput("roster", f"line 1: the header is not valid CSV: {exc}") from None
    columns = _columns(header)
    known = list(offices)
    rows: list[RosterRow] = []
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader, None)
        except csv.Error as exc:
            rows.append(_invalid(start, "", f"not valid CSV: {exc}", "row"))
            continue
        if cells is None:
            return rows
        if not any(cell.strip() for cell in cells):
            continue
        rows.append(_row(start, cells, columns, known))


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


def _row(line: int, cells: list[str], columns: tuple[str, ...], offices: list[Office]) -> RosterRow:
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
            data["office"] = resolve_office(values["office"], offices)
        except ValidationError as exc:
            problems.append(("office", _first_message(exc)))
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
        verdicts = engine.check_enrolments(cohort, [person for _, _, person in pending])
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
