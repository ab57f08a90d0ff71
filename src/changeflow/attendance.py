r"""Attendance sheets: attendance (kehadiran) read from a CSV file and recorded row by row.

A sheet is UTF-8 CSV (a byte-order mark is tolerated) whose header names the columns
``nip,date,status`` in any order; ``status`` is ``present``, ``izin``, ``sakit`` or
``absent``. :func:`parse_sheet` turns text into :class:`SheetRow` s, each with its line and
either the values or the ``invalid_input`` violation that makes it unusable;
:func:`record_sheet` records them through :meth:`Engine.record_attendance
<changeflow.engine.Engine.record_attendance>` in file order.

>>> rows = parse_sheet("nip,date,status\n197003152000031004,2019-04-04,present\n1,x,late\n")
>>> [(row.line, row.valid) for row in rows]
[(2, True), (3, False)]
>>> print(rows[1].violations[0].message)
line 3: date: 'x' is not a date (write YYYY-MM-DD)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

from changeflow.errors import InvalidInput, ParticipantNotFound, TransitionRejected
from changeflow.models import Attendance
from changeflow.nip import normalise_nip
from changeflow.records import Violation
from changeflow.roster import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_ROWS,
    csv_records,
    decode,
    read_bounded,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from changeflow.engine import Engine
    from changeflow.schedule import Schedule

__all__ = [
    "COLUMNS",
    "INPUT_CODES",
    "SheetOutcome",
    "SheetReport",
    "SheetRow",
    "attendance_key",
    "parse_sheet",
    "read_sheet",
    "record_sheet",
]

COLUMNS = ("nip", "date", "status")
"""The columns every attendance sheet has."""

INPUT_CODES = frozenset({"invalid_input", "unknown_participant"})
"""Codes of rows refused as unusable input (the row must change), not by the rules."""

RowStatus = Literal["accepted", "unchanged", "refused"]


@dataclass(frozen=True, slots=True)
class SheetRow:
    """One data row: its line, the NIP as written, and the day and status or why not."""

    line: int
    nip: str
    day: date | None
    status: Attendance | None
    violations: tuple[Violation, ...] = ()

    @property
    def valid(self) -> bool:
        """True when the row names a day and a status."""
        return not self.violations


@dataclass(frozen=True, slots=True)
class SheetOutcome:
    """What happened to one row: recorded, already recorded as written, or refused."""

    line: int
    nip: str
    day: date | None
    status: Attendance | None
    outcome: RowStatus
    violations: tuple[Violation, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The row as JSON: ``line``, ``nip``, ``date``, ``status`` (and ``violations``)."""
        body: dict[str, Any] = {
            "line": self.line,
            "nip": self.nip,
            "date": None if self.day is None else self.day.isoformat(),
            "status": None if self.status is None else str(self.status),
        }
        if self.outcome == "refused":
            body["violations"] = [v.to_dict() for v in self.violations]
        return body


@dataclass(frozen=True, slots=True)
class SheetReport:
    """The outcome of a sheet, row by row in file order."""

    cohort: str
    dry_run: bool
    outcomes: tuple[SheetOutcome, ...]

    def _with(self, outcome: RowStatus) -> tuple[SheetOutcome, ...]:
        return tuple(o for o in self.outcomes if o.outcome == outcome)

    @property
    def accepted(self) -> tuple[SheetOutcome, ...]:
        """Rows recorded now (or, in a dry run, that would be)."""
        return self._with("accepted")

    @property
    def unchanged(self) -> tuple[SheetOutcome, ...]:
        """Rows whose day already holds the status written: nothing is recorded again."""
        return self._with("unchanged")

    @property
    def refused(self) -> tuple[SheetOutcome, ...]:
        """Rows refused: unusable input (see :data:`INPUT_CODES`) or refused by the rules."""
        return self._with("refused")

    @property
    def bad_input(self) -> bool:
        """True when a refused row is unusable input rather than refused by the rules."""
        return any(v.code in INPUT_CODES for o in self.refused for v in o.violations)

    def to_dict(self) -> dict[str, Any]:
        """The documented JSON shape: accepted, unchanged and refused rows."""
        return {
            "cohort": self.cohort,
            "dry_run": self.dry_run,
            "accepted": [o.to_dict() for o in self.accepted],
            "unchanged": [o.to_dict() for o in self.unchanged],
            "refused": [o.to_dict() for o in self.refused],
        }


def attendance_key(cohort: str, nip: str, day: date, status: Attendance | str) -> str:
    """The idempotency key of a day's first recording from a sheet.

    >>> attendance_key("PKA-1", "197003152000031004", date(2019, 4, 4), Attendance.PRESENT)
    'attendance:PKA-1:197003152000031004:2019-04-04:present'
    """
    return f"attendance:{cohort}:{nip}:{day.isoformat()}:{Attendance(status).value}"


def read_sheet(
    path: str | Path, *, max_bytes: int = DEFAULT_MAX_BYTES, max_rows: int = DEFAULT_MAX_ROWS
) -> list[SheetRow]:
    """Read and parse a sheet; :class:`InvalidInput` (field ``csv``) when it is unusable.

    Read as rosters are (:func:`changeflow.roster.read_bounded`): bounded in bytes and rows,
    an over-long or broken record refusing the whole sheet.
    """
    file = Path(path)
    return parse_sheet(decode(read_bounded(file, max_bytes, "csv"), file, "csv"), max_rows=max_rows)


def parse_sheet(text: str, *, max_rows: int = DEFAULT_MAX_ROWS) -> list[SheetRow]:
    """Parse sheet text (header first); :class:`InvalidInput` for a bad header or bad CSV."""
    header, records = csv_records(text, max_rows, "csv")
    columns = _columns(header)
    width = len(header or ())
    return [_row(line, cells, columns, width) for line, cells in records]


def _columns(header: list[str] | None) -> dict[str, int]:
    names = [cell.strip().lower() for cell in header or ()]
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise InvalidInput(
            "csv",
            f"line 1: the header must name the columns {','.join(COLUMNS)} "
            f"(missing: {', '.join(missing)})",
        )
    return {c: names.index(c) for c in COLUMNS}


def _row(line: int, cells: list[str], columns: dict[str, int], width: int) -> SheetRow:
    def cell(name: str) -> str:
        return cells[columns[name]].strip()

    if len(cells) != width:
        nip = cells[columns["nip"]].strip() if columns["nip"] < len(cells) else ""
        return _invalid(line, nip, "row", f"has {len(cells)} field(s), the header {width}")
    nip = str(normalise_nip(cell("nip")))
    try:
        day = date.fromisoformat(cell("date")) if len(cell("date")) == 10 else None
    except ValueError:
        day = None
    if day is None:
        return _invalid(line, nip, "date", f"{cell('date')!r} is not a date (write YYYY-MM-DD)")
    try:
        status = Attendance(cell("status").lower())
    except ValueError:
        allowed = ", ".join(a.value for a in Attendance)
        return _invalid(line, nip, "status", f"{cell('status')!r} is not one of {allowed}")
    if not nip:
        return _invalid(line, nip, "nip", "is empty")
    return SheetRow(line, nip, day, status)


def _invalid(line: int, nip: str, field: str, problem: str) -> SheetRow:
    violation = _violation("invalid_input", line, field, f"{field}: {problem}")
    return SheetRow(line, nip, None, None, (violation,))


def _violation(code: str, line: int, field: str, problem: str) -> Violation:
    return Violation(
        code,
        f"line {line}: {problem}",
        MappingProxyType({"line": line, "field": field}),
    )


def record_sheet(
    engine: Engine,
    cohort: str,
    rows: Iterable[SheetRow],
    *,
    actor: str | None = None,
    dry_run: bool = False,
) -> SheetReport:
    """Record each valid row in file order; refused rows are reported, never raised.

    A row for someone not enrolled or a day that is not a working day of on_class is
    refused as input; the rules (a closed record) refuse the rest. A row whose day already
    holds its status is ``unchanged`` and writes nothing, so re-running a sheet is safe;
    a day's first recording carries :func:`attendance_key`, so two hosts running the same
    sheet at once record it once. With ``dry_run`` the input is judged and nothing is
    written (the rules are judged on the real run).
    """
    schedule = engine.schedule(cohort)
    members = {m.nip: m for m in engine.participants(cohort)}
    recorded = _recorded(engine, cohort)
    outcomes = []
    for row in rows:
        if not row.valid or row.day is None or row.status is None:
            outcomes.append(_refused(row, row.violations))
            continue
        problem = _judge(row, schedule, members)
        if problem is not None:
            outcomes.append(_refused(row, (problem,)))
            continue
        before = recorded.get((row.nip, row.day.isoformat()))
        if before == row.status.value:
            outcomes.append(SheetOutcome(row.line, row.nip, row.day, row.status, "unchanged"))
        elif dry_run:
            outcomes.append(SheetOutcome(row.line, row.nip, row.day, row.status, "accepted"))
        else:
            outcomes.append(_record(engine, cohort, row, actor, first=before is None))
    return SheetReport(cohort, dry_run, tuple(outcomes))


def _recorded(engine: Engine, cohort: str) -> dict[tuple[str, str], str]:
    """The attendance recorded so far: (NIP, ISO day) -> status."""
    return {
        (nip, day): status
        for nip, days in engine.attendance(cohort).items()
        for day, status in days.items()
    }


def _judge(row: SheetRow, schedule: Schedule, members: dict[str, Any]) -> Violation | None:
    if row.nip not in members:
        return _violation(
            "unknown_participant", row.line, "nip", f"nip: {row.nip} is not enrolled in the cohort"
        )
    assert row.day is not None  # noqa: S101 - valid rows carry their day
    if schedule.class_day_problem(row.day) is not None:
        return _violation(
            "invalid_input",
            row.line,
            "date",
            f"date: {row.day} is not a working day of on_class",
        )
    return None


def _record(
    engine: Engine, cohort: str, row: SheetRow, actor: str | None, *, first: bool
) -> SheetOutcome:
    assert row.day is not None  # noqa: S101 - valid rows only
    assert row.status is not None  # noqa: S101
    # Only a day's first recording is keyed: a later change of the day is a deliberate
    # correction, and a key naming just the status would replay an earlier recording of
    # that status (present, then absent, then present again would stay absent).
    key = attendance_key(cohort, row.nip, row.day, row.status) if first else None
    try:
        engine.record_attendance(
            cohort,
            row.nip,
            row.day,
            row.status,
            actor=actor,
            key=key,
        )
    except TransitionRejected as refused:
        return _refused(row, refused.violations)
    except ParticipantNotFound:
        return _refused(
            row, (_violation("unknown_participant", row.line, "nip", f"nip: {row.nip}"),)
        )
    except InvalidInput as bad:
        return _refused(row, (_violation("invalid_input", row.line, bad.field, str(bad)),))
    return SheetOutcome(row.line, row.nip, row.day, row.status, "accepted")


def _refused(row: SheetRow, violations: Iterable[Violation]) -> SheetOutcome:
    return SheetOutcome(row.line, row.nip, row.day, row.status, "refused", tuple(violations))
