r"""Bulk files: change projects and assessment scores read from a table, applied row by row.

A projects file names the columns ``nip,title,theme`` and optionally ``mentor_name``,
``mentor_nip`` and ``mentor_position`` (:data:`PROJECT_COLUMNS`; in Indonesian ``NIP``,
``Judul``, ``Tema``, ``Nama Mentor``, ``NIP Mentor``, ``Jabatan Mentor``); a scores file
``nip,score`` and optionally ``component`` (:data:`SCORE_COLUMNS`: ``NIP``, ``Nilai``,
``Komponen``; ``overall`` when absent or empty). Either is a CSV file or an ``.xlsx`` sheet
read by :mod:`changeflow.sheets`, bounded and refused as a whole as rosters are.

Parsing is pure: :func:`project_rows` and :func:`score_rows` turn a table into
:class:`BulkRow` s, each with its line (or sheet row) and either the command's value or the
``invalid_input`` violations that make it unusable. :func:`apply_rows` then applies the
rows in file order, each one audited command (``register_project`` or
``record_assessment``), all in one :meth:`Engine.batch <changeflow.engine.Engine.batch>`.
A row whose value the participant already has (the same project, the same score for the
component) is ``unchanged`` and writes nothing, so re-running a file is safe.

>>> from changeflow.sheets import parse_csv
>>> rows = score_rows(parse_csv(
...     "NIP;Nilai;Komponen\n197003152000031004;85,5;\n197003152000031004;x;sikap\n",
...     SCORE_COLUMNS,
... ))
>>> rows[0].value
Assessment(score=85.5, component='overall')
>>> print(rows[1].violations[0].message)
line 3: Nilai: 'x' is not a number from 0 to 100
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

from pydantic import ValidationError

from changeflow.errors import InvalidInput, ParticipantNotFound, TransitionRejected
from changeflow.models import Assessment, ChangeProject, Mentor
from changeflow.nip import nip_cell, parse_nip
from changeflow.rules.verdict import Violation
from changeflow.sheets import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_ROWS,
    Column,
    Record,
    Table,
    cell_text,
    read_table,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping
    from pathlib import Path

    from changeflow.engine import Engine
    from changeflow.records import Enrolment

__all__ = [
    "PROJECT_COLUMNS",
    "SCORE_COLUMNS",
    "BulkKind",
    "BulkOutcome",
    "BulkReport",
    "BulkRow",
    "apply_rows",
    "project_rows",
    "read_bulk",
    "score_rows",
]

PROJECT_COLUMNS = (
    Column("nip", ("NIP",)),
    Column("title", ("judul", "judul proyek", "judul proyek perubahan")),
    Column("theme", ("tema",)),
    Column("mentor_name", ("mentor", "nama mentor"), required=False),
    Column("mentor_nip", ("nip mentor",), required=False),
    Column("mentor_position", ("jabatan mentor",), required=False),
)
"""A projects file's columns and the headers (English or Indonesian) that name them."""

SCORE_COLUMNS = (
    Column("nip", ("NIP",)),
    Column("score", ("nilai", "skor")),
    Column("component", ("komponen",), required=False),
)
"""A scores file's columns and the headers (English or Indonesian) that name them."""

BulkKind = Literal["projects", "scores"]
"""What a bulk file holds."""

RowStatus = Literal["accepted", "unchanged", "refused"]

_COMMANDS: Mapping[BulkKind, str] = MappingProxyType(
    {"projects": "register_project", "scores": "record_assessment"}
)
_NUMBER = re.compile(r"[0-9]+(?:[.,][0-9]+)?")


@dataclass(frozen=True, slots=True)
class BulkRow:
    """One data row: its line, the NIP as written, and the value or why it is unusable.

    ``value`` is the :class:`ChangeProject` or :class:`Assessment` the row carries.
    """

    line: int
    nip: str
    value: ChangeProject | Assessment | None
    violations: tuple[Violation, ...] = ()
    where: str = ""
    """Where the row is, for messages: ``line 3`` in CSV, ``row 3`` in a sheet."""

    @property
    def valid(self) -> bool:
        """True when the row carries a value."""
        return self.value is not None


@dataclass(frozen=True, slots=True)
class BulkOutcome:
    """What happened to one row: applied, already so (``unchanged``), or refused.

    ``grade`` is the grade band a score completed (``None`` otherwise).
    """

    line: int
    nip: str
    value: ChangeProject | Assessment | None
    status: RowStatus
    violations: tuple[Violation, ...] = ()
    grade: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The row as JSON: ``line``, ``nip``, the value's fields (and ``violations``)."""
        body: dict[str, Any] = {"line": self.line, "nip": self.nip}
        if isinstance(self.value, Assessment):
            body.update(component=self.value.component, score=self.value.score, grade=self.grade)
        elif isinstance(self.value, ChangeProject):
            body["project"] = self.value.model_dump(mode="json")
        if self.status == "refused":
            body["violations"] = [v.to_dict() for v in self.violations]
        return body


@dataclass(frozen=True, slots=True)
class BulkReport:
    """The outcome of a bulk file, row by row in file order."""

    cohort: str
    kind: BulkKind
    dry_run: bool
    outcomes: tuple[BulkOutcome, ...]

    @property
    def command(self) -> str:
        """The audited command each row is: ``register_project`` or ``record_assessment``."""
        return _COMMANDS[self.kind]

    def _with(self, status: RowStatus) -> tuple[BulkOutcome, ...]:
        return tuple(o for o in self.outcomes if o.status == status)

    @property
    def accepted(self) -> tuple[BulkOutcome, ...]:
        """Rows applied now (or, in a dry run, that would be)."""
        return self._with("accepted")

    @property
    def unchanged(self) -> tuple[BulkOutcome, ...]:
        """Rows the participant already had as written: nothing is recorded again."""
        return self._with("unchanged")

    @property
    def refused(self) -> tuple[BulkOutcome, ...]:
        """Rows refused by the rules, unusable (``invalid_input``) or for someone not enrolled."""
        return self._with("refused")

    @property
    def ok(self) -> bool:
        """True when no row was refused."""
        return not self.refused

    def to_dict(self) -> dict[str, Any]:
        """The documented JSON shape: accepted, unchanged and refused rows."""
        return {
            "cohort": self.cohort,
            "command": self.command,
            "dry_run": self.dry_run,
            "accepted": [o.to_dict() for o in self.accepted],
            "unchanged": [o.to_dict() for o in self.unchanged],
            "refused": [o.to_dict() for o in self.refused],
        }


def read_bulk(
    path: str | Path,
    kind: BulkKind,
    *,
    xlsx: bool = False,
    sheet: str | None = None,
    encoding: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_rows: int = DEFAULT_MAX_ROWS,
) -> list[BulkRow]:
    """Read a projects or scores file; :class:`InvalidInput` when it is unusable.

    As :func:`changeflow.sheets.read_table` reads it (``xlsx``, ``sheet``, ``encoding``
    and the caps); a bad data row is not an error here but a :class:`BulkRow` with
    its violations.
    """
    columns = PROJECT_COLUMNS if kind == "projects" else SCORE_COLUMNS
    table = read_table(
        path,
        columns,
        xlsx=xlsx,
        sheet=sheet,
        encoding=encoding,
        max_bytes=max_bytes,
        max_rows=max_rows,
        field=kind,
    )
    return project_rows(table) if kind == "projects" else score_rows(table)


def project_rows(table: Table) -> list[BulkRow]:
    """The :class:`BulkRow` s of a table read with :data:`PROJECT_COLUMNS`, in file order."""
    return [_parsed(record, table, _project) for record in table.records]


def score_rows(table: Table) -> list[BulkRow]:
    """The :class:`BulkRow` s of a table read with :data:`SCORE_COLUMNS`, in file order."""
    return [_parsed(record, table, _score) for record in table.records]


def _parsed(
    record: Record,
    table: Table,
    build: Callable[[Mapping[str, Any], list[tuple[str, str]]], ChangeProject | Assessment | None],
) -> BulkRow:
    values = record.values
    written = cell_text(values.get("nip")).replace(" ", "")
    if record.fields != len(table.columns):
        found = f"expected {len(table.columns)} fields, found {record.fields}"
        return _invalid(record, written, [("row", found)], table)
    problems: list[tuple[str, str]] = []
    nip = _nip(values.get("nip"), "nip", problems) or written
    value = build(values, problems)
    if problems or value is None:
        return _invalid(record, nip, problems, table)
    return BulkRow(record.line, nip, value, where=record.where)


def _nip(cell: Any, field: str, problems: list[tuple[str, str]]) -> str | None:
    try:
        nip = nip_cell(cell)
        if not nip:
            raise ValueError("is empty")
        parse_nip(nip)
    except ValueError as exc:
        problems.append((field, str(exc)))
        return None
    return nip


def _project(values: Mapping[str, Any], problems: list[tuple[str, str]]) -> ChangeProject | None:
    mentor_name = cell_text(values.get("mentor_name"))
    mentor_nip = None
    if cell_text(values.get("mentor_nip")):
        mentor_nip = _nip(values.get("mentor_nip"), "mentor_nip", problems)
    position = cell_text(values.get("mentor_position")) or None
    if not mentor_name and (mentor_nip or position):
        problems.append(("mentor_name", "is empty, but the row names the mentor's NIP or position"))
    if problems:
        return None
    try:
        mentor = (
            Mentor(name=mentor_name, nip=mentor_nip, position=position) if mentor_name else None
        )
        return ChangeProject(
            title=cell_text(values.get("title")),
            theme=cell_text(values.get("theme")),
            mentor=mentor,
        )
    except ValidationError as exc:
        problems.extend(_problems(exc))
        return None


def _score(values: Mapping[str, Any], problems: list[tuple[str, str]]) -> Assessment | None:
    cell = values.get("score")
    number: float | None = None
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        number = float(cell)
    elif isinstance(cell, str) and _NUMBER.fullmatch(cell.strip()):
        number = float(cell.strip().replace(",", "."))  # 85,5 is how Indonesian files write it
    if number is None:
        problems.append(("score", f"{cell_text(cell)!r} is not a number from 0 to 100"))
        return None
    try:
        return Assessment(score=number, component=cell_text(values.get("component")) or "overall")
    except ValidationError as exc:
        problems.extend(_problems(exc))
        return None


def _problems(exc: ValidationError) -> list[tuple[str, str]]:
    found = []
    for error in exc.errors():
        loc = [str(part) for part in error["loc"]]
        field = "mentor_" + loc[-1] if loc[:1] == ["mentor"] and len(loc) > 1 else loc[0]
        found.append((field, str(error["msg"]).removeprefix("Value error, ")))
    return found


def _invalid(record: Record, nip: str, problems: list[tuple[str, str]], table: Table) -> BulkRow:
    fields = ", ".join(dict.fromkeys(field for field, _ in problems))
    described = "; ".join(f"{table.label(field)}: {message}" for field, message in problems)
    violation = Violation(
        "invalid_input",
        f"{record.where}: {described}",
        MappingProxyType({"line": record.line, "field": fields}),
        f"baris {record.line}: isian tidak sah ({fields})",
    )
    return BulkRow(record.line, nip, None, (violation,), record.where)


def apply_rows(
    engine: Engine,
    cohort: str,
    kind: BulkKind,
    rows: Iterable[BulkRow],
    *,
    actor: str | None = None,
    reason: str | None = None,
    dry_run: bool = False,
    on_row: Callable[[BulkOutcome], None] | None = None,
) -> BulkReport:
    """Apply bulk rows of ``kind`` in file order in one :meth:`Engine.batch`, each a command.

    A project row is :meth:`Engine.register_project`, a score row
    :meth:`Engine.record_assessment`, judged by the rules as one call would be. A row whose
    value the participant already has (before the file, or from a row above) is
    ``unchanged`` and writes nothing, so re-running a file is safe. A row for someone not
    enrolled is refused with ``unknown_participant``; unusable rows with ``invalid_input``.
    With ``dry_run`` every row is judged and the batch is never committed. ``on_row`` hears
    of each row's outcome as soon as it is judged.
    """
    if kind not in _COMMANDS:
        raise InvalidInput("kind", f"must be projects or scores, got {kind!r:.40}")
    engine.cohort(cohort)  # an unknown cohort fails before any row is judged
    members = {member.nip: member for member in engine.participants(cohort)}
    outcomes: list[BulkOutcome] = []
    with engine.batch(cohort, dry_run=dry_run):
        for row in rows:
            outcome = _apply(engine, cohort, row, members, actor, reason)
            outcomes.append(outcome)
            if on_row is not None:
                on_row(outcome)
    return BulkReport(cohort, kind, dry_run, tuple(outcomes))


def _apply(
    engine: Engine,
    cohort: str,
    row: BulkRow,
    members: dict[str, Enrolment],
    actor: str | None,
    reason: str | None,
) -> BulkOutcome:
    value, member = row.value, members.get(row.nip)
    if value is None or member is None or _already(member, value):
        return _not_applied(row, member)
    try:
        grade = _command(engine, cohort, row.nip, value, actor, reason)
    except TransitionRejected as refused:
        return BulkOutcome(row.line, row.nip, value, "refused", refused.violations)
    except ParticipantNotFound:
        return _unknown(row)
    except InvalidInput as bad:
        violation = Violation(
            "invalid_input",
            f"{row.where or f'line {row.line}'}: {bad}",
            MappingProxyType({"line": row.line, "field": bad.field}),
        )
        return BulkOutcome(row.line, row.nip, value, "refused", (violation,))
    if isinstance(value, ChangeProject):
        members[row.nip] = replace(member, project=value)
    else:
        members[row.nip] = replace(
            member, scores={**(member.scores or {}), value.component: value.score}
        )
    return BulkOutcome(row.line, row.nip, value, "accepted", grade=grade)


def _command(
    engine: Engine,
    cohort: str,
    nip: str,
    value: ChangeProject | Assessment,
    actor: str | None,
    reason: str | None,
) -> str | None:
    """Run the row's audited command; the grade band a score completed, if any."""
    if isinstance(value, ChangeProject):
        engine.register_project(cohort, nip, value, actor=actor, reason=reason)
        return None
    graded = engine.record_assessment(cohort, nip, value, actor=actor, reason=reason)
    return None if graded is None else graded.band


def _not_applied(row: BulkRow, member: Enrolment | None) -> BulkOutcome:
    """A row judged without the engine: unusable, for someone not enrolled, or unchanged."""
    if row.value is None:
        return BulkOutcome(row.line, row.nip, None, "refused", row.violations)
    if member is None:
        return _unknown(row)
    return BulkOutcome(row.line, row.nip, row.value, "unchanged")


def _already(member: Enrolment, value: ChangeProject | Assessment) -> bool:
    if isinstance(value, ChangeProject):
        return member.project == value
    return (member.scores or {}).get(value.component) == value.score


def _unknown(row: BulkRow) -> BulkOutcome:
    violation = Violation(
        "unknown_participant",
        f"{row.where or f'line {row.line}'}: nip: {row.nip} is not enrolled in the cohort",
        MappingProxyType({"line": row.line, "field": "nip"}),
        f"baris {row.line}: NIP {row.nip} tidak terdaftar di angkatan ini",
    )
    return BulkOutcome(row.line, row.nip, row.value, "refused", (violation,))
