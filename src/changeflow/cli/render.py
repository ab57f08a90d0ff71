r"""What the commands print: JSON documents, plain lines and (lazily imported) Rich tables.

stdout carries the result only: with ``--json`` exactly one JSON document carrying
``"schema_version": 1``, otherwise text and tables. Hints, progress and errors go to stderr.
Text lines and table cells print control, line-break and bidirectional characters as escapes
(``\n``, ``\u202e``): whatever a record holds (a reason's line feeds, a name stored before
such characters were refused) stays on its own line and in stored order.
"""

from __future__ import annotations

import io
import json
import sys
import time
from collections.abc import Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import typer

from changeflow.characters import escaped
from changeflow.cli import documents
from changeflow.states.names import CARRY_OVER, CREATE_COHORT, ENROL

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence
    from datetime import datetime

    from changeflow.agenda import Agenda, TickReport
    from changeflow.attendance import SheetReport
    from changeflow.audit import AuditCheck
    from changeflow.cli.failures import Failure
    from changeflow.engine import CohortStatus
    from changeflow.records import AdvanceReport, Enrolment, HistoryEntry, MigrationPlan, Violation
    from changeflow.roster import RosterReport
    from changeflow.schedule import Schedule

__all__ = [
    "JSON_SCHEMA_VERSION",
    "Output",
    "advance_text",
    "agenda_text",
    "attendance_text",
    "change_text",
    "history_text",
    "migration_text",
    "roster_text",
    "schedule_text",
    "status_text",
    "table",
    "tick_text",
    "verify_text",
]

JSON_SCHEMA_VERSION = 1
"""Version of every JSON document the CLI prints (``"schema_version"``)."""

_PIPED_WIDTH = 200
_SHORT = 60
_NOMINATIONS = frozenset({ENROL, CREATE_COHORT, CARRY_OVER})
"""Entries whose change is the whole record as first written: history does not repeat it."""


class Output:
    """Where a command's output goes: JSON or text on stdout, notes and errors on stderr."""

    def __init__(self, json_mode: bool = False) -> None:
        self.json = json_mode

    def document(self, payload: documents.Document | Mapping[str, Any]) -> None:
        """Print one JSON document (``schema_version`` first) on stdout."""
        body = {"schema_version": JSON_SCHEMA_VERSION, **payload}
        typer.echo(json.dumps(body, indent=2, ensure_ascii=False))

    def line(self, text: str = "") -> None:
        """Print a line of the result on stdout (text mode only)."""
        if not self.json:
            typer.echo(escaped(text))

    def note(self, text: str) -> None:
        """Print a note (progress, a summary aside) on stderr."""
        typer.echo(escaped(text), err=True)

    def hint(self, text: str) -> None:
        """Print a hint on stderr."""
        typer.echo(f"hint: {escaped(text)}", err=True)

    def failure(self, failure: Failure, document: documents.Document | None = None) -> None:
        """Report a failure on stderr: the ``error:`` line, its details, a hint.

        With ``--json`` stdout gets ``document`` (by default just the ``error`` member).
        """
        typer.echo(f"error: {escaped(failure.headline or failure.message)}", err=True)
        for line in failure.details:
            typer.echo(escaped(line), err=True)
        if failure.hint:
            self.hint(failure.hint)
        if self.json:
            self.document(document if document is not None else documents.error(failure))

    @contextmanager
    def progress(self, text: str, *, show: bool) -> Iterator[None]:
        """Note on stderr that ``text`` is under way, then how long it took."""
        if not show:
            yield
            return
        started = time.perf_counter()
        self.note(f"{text} ...")
        yield
        self.note(f"done in {time.perf_counter() - started:.1f} s")


def table(
    columns: Sequence[str], rows: Iterable[Sequence[object]], *, title: str | None = None
) -> None:
    """Print a table on stdout with Rich (imported here, only when a table is drawn).

    On a terminal the table fits the window; piped, it is drawn wide (cells do not wrap),
    without colour and without trailing spaces, so scripts can read it line by line.
    """
    from rich import box  # noqa: PLC0415 - Rich is loaded only to draw tables
    from rich.console import Console  # noqa: PLC0415
    from rich.table import Table  # noqa: PLC0415
    from rich.text import Text  # noqa: PLC0415

    if title:
        typer.echo(escaped(title))
    drawn = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    for column in columns:
        drawn.add_column(column, overflow="fold")
    for row in rows:
        drawn.add_row(*(Text("" if cell is None else escaped(str(cell))) for cell in row))
    if sys.stdout.isatty():
        Console(file=sys.stdout, highlight=False).print(drawn)
        return
    buffer = io.StringIO()
    Console(file=buffer, width=_PIPED_WIDTH, highlight=False, color_system=None).print(drawn)
    typer.echo("\n".join(line.rstrip() for line in buffer.getvalue().splitlines()))


def _reasons(violations: Iterable[Violation]) -> str:
    return "; ".join(f"{v.code}: {v.message}" for v in violations)


def roster_text(out: Output, report: RosterReport) -> None:
    """The roster's outcome row by row, then a summary line."""
    labels = {"accepted": "accepted", "refused": "REFUSED", "already_enrolled": "already enrolled"}
    if report.dry_run:
        labels["accepted"] = "would be accepted"
        labels["refused"] = "WOULD BE REFUSED"
    for row in report.outcomes:
        who = f"{row.nip or '(no NIP)'}" + (f"  {row.name}" if row.name else "")
        out.line(f"line {row.line:<4} {labels[row.status]:<18} {who}")
        for violation in row.violations:
            out.line(f"{'':10}{violation.code}: {violation.message}")
    summary = (
        f"{len(report.accepted)} accepted, {len(report.refused)} refused, "
        f"{len(report.already_enrolled)} already enrolled"
    )
    out.line(summary + (" (dry run: nothing was written)" if report.dry_run else ""))


def advance_text(report: AdvanceReport, names: Mapping[str, str]) -> None:
    """The per-participant outcome table of a bulk advance."""
    rows = [
        (e.nip, names.get(e.nip, ""), "accepted", f"{e.source} -> {e.target}")
        for e in report.accepted
    ]
    rows += [
        (e.nip, names.get(e.nip, ""), "REFUSED", _reasons(e.violations)) for e in report.refused
    ]
    title = (
        f"{report.event}: {len(report.accepted)} accepted, {len(report.refused)} refused, "
        f"{report.skipped} skipped (in other states)"
    )
    table(("nip", "name", "outcome", "detail"), rows, title=title)


def status_text(
    status: CohortStatus, members: Sequence[Enrolment], as_of: datetime | None = None
) -> None:
    """The participants table (state, group, project, scores) and the headcount per state."""
    when = "" if as_of is None else f" as of {as_of.isoformat()}"
    table(
        ("nip", "name", "office", "state", "group", "project", "scores"),
        (
            (
                m.nip,
                m.participant.name,
                m.participant.office.code,
                m.state,
                m.group,
                m.project.title if m.project else "",
                ", ".join(f"{c} {s:g}" for c, s in (m.scores or {}).items()),
            )
            for m in members
        ),
        title=f"{status.cohort}{when}: {status.total} participant(s)",
    )
    typer.echo()
    table(("state", "count"), status.by_state.items(), title="per state")


def change_text(change: Mapping[str, Any] | None) -> str:
    """What an entry changed, compactly: ``fact.field before -> after`` per changed value."""
    if not change:
        return ""
    parts = []
    for fact, values in change.items():
        if not isinstance(values, Mapping):
            parts.append(f"{fact} {_short(values)}")
            continue
        before, after = values.get("before"), values.get("after")
        if _flat(before) and _flat(after) and (before or after):
            before, after = before or {}, after or {}
            for key in dict.fromkeys([*before, *after]):
                if before.get(key) != after.get(key):
                    parts.append(
                        f"{fact}.{key} {_short(before.get(key))} -> {_short(after.get(key))}"
                    )
        else:
            parts.append(f"{fact} {_short(before)} -> {_short(after)}")
    return "; ".join(parts)


def _flat(value: Any) -> bool:
    """None, or a mapping of plain values (scores, a person's facts, an office)."""
    if value is None:
        return True
    return isinstance(value, Mapping) and not any(
        isinstance(v, Mapping | list) for v in value.values()
    )


def _short(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, Mapping):
        value = value.get("title") or value.get("name") or value.get("code") or dict(value)
    text = repr(value) if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= _SHORT else text[: _SHORT - 3] + "..."


def history_text(entries: Sequence[HistoryEntry], *, with_nip: bool = False) -> None:
    """A participant's history, oldest first, with what each data command changed.

    ``with_nip`` adds each entry's NIP (a history of several people).
    """
    table(
        (
            "seq",
            "at",
            "cohort",
            *(("nip",) if with_nip else ()),
            "event",
            "from -> to",
            "outcome",
            "actor (role)",
            "reason / change",
        ),
        (
            (
                e.seq,
                e.at.strftime("%Y-%m-%d %H:%M"),
                e.cohort,
                *((e.nip,) if with_nip else ()),
                e.event,
                f"{e.source or '-'} -> {e.target or '-'}",
                e.outcome,
                f"{e.actor or ''} ({e.role})" if e.role else e.actor or "",
                "; ".join(
                    filter(
                        None,
                        [
                            e.reason,
                            ", ".join(v.code for v in e.violations),
                            change_text(e.change) if e.event not in _NOMINATIONS else "",
                        ],
                    )
                ),
            )
            for e in entries
        ),
    )


def migration_text(out: Output, plan: MigrationPlan) -> None:
    """A migration plan: the lifecycles before and after, then every participant's states."""
    before = "no lifecycle" if plan.source is None else _ref(plan.source)
    verb = "migrated" if plan.applied else "would migrate"
    out.line(f"{plan.cohort}: {verb} from {before} to {_ref(plan.target)}")
    if plan.moves:
        table(("nip", "from", "to"), plan.moves)
    else:
        out.line("no participants")
    if not plan.applied:
        out.line("dry run: nothing was written")


def _ref(ref: Any) -> str:
    return f"{ref.name} {ref.version} ({ref.sha256[:12]})"


def verify_text(out: Output, checks: Sequence[AuditCheck]) -> None:
    """One line per cohort: intact, where the chain breaks, or which stored facts differ."""
    if not checks:
        out.line("no cohorts to verify")
    for check in checks:
        if check.ok:
            out.line(
                f"{check.cohort}: audit chain intact ({check.entries} entries, "
                f"head {check.head.seq} {check.head.hash[:12]})"
            )
        elif check.missing_tail:
            out.line(f"{check.cohort}: audit chain BROKEN: {check.problem} (missing tail)")
        elif check.first_bad_seq is not None:
            out.line(
                f"{check.cohort}: audit chain BROKEN at entry {check.first_bad_seq}: "
                f"{check.problem}"
            )
        elif check.differences:
            out.line(
                f"{check.cohort}: stored facts DIFFER from the audit chain "
                f"({len(check.differences)} difference(s)):"
            )
        else:
            out.line(f"{check.cohort}: audit chain BROKEN: {check.problem}")
        for difference in check.differences:
            out.line(f"  {difference}")


# -- the course calendar ----------------------------------------------------------------------


def schedule_text(out: Output, code: str, plan: Schedule) -> None:
    """The windows with their working days, then the visit and the closures."""
    days = plan.working_days()
    table(
        ("stage", "start", "end", "working days"),
        ((w.stage, w.start, w.end, days.count(w.start, w.end)) for w in plan.windows),
        title=f"{code}: schedule",
    )
    visit = plan.visit
    if visit is not None:
        where = f" to {visit.destination}" if visit.destination else " (destination not set)"
        out.line(f"benchmarking visit{where}: {visit.start} to {visit.end}")
    for closure in plan.closures:
        out.line(f"closed {closure.day}: {closure.name}")


def agenda_text(out: Output, found: Agenda) -> None:
    """One row per active participant: next deadline, due date, lateness, who acts, warnings."""
    rows = []
    for item in found.items:
        due = item.next
        rows.append(
            (
                item.nip,
                item.name,
                item.state,
                "" if due is None else due.deadline.event,
                "" if due is None else due.due,
                f"OVERDUE {item.working_days_late} wd" if item.overdue else "",
                "" if due is None else due.deadline.actor,
                "; ".join(w.code for w in item.warnings),
            )
        )
    title = (
        f"{found.cohort} as of {found.as_of}: {len(found.items)} active, "
        f"{len(found.overdue())} overdue, {len(found.warned())} warned"
    )
    table(("nip", "name", "state", "next", "due", "late", "acts", "warnings"), rows, title=title)
    for item in found.warned():
        for warning in item.warnings:
            out.line(f"{item.nip}  {warning.code}: {warning.message}")


def tick_text(out: Output, report: TickReport) -> None:
    """What the tick did with each applicable timeout, then a summary line."""
    for action in report.actions:
        event = action.event or "flag only"
        detail = f" ({', '.join(action.violations)})" if action.violations else ""
        out.line(
            f"{action.nip}  {action.deadline} due {action.due}, {action.working_days_late} "
            f"working day(s) late: {event} {action.outcome}{detail}"
        )
    counts = ", ".join(f"{len(report.by_outcome(o))} {o}" for o in _tick_outcomes(report))
    suffix = "" if report.apply else " (without --apply: nothing was written)"
    out.line(f"{report.cohort} tick as of {report.as_of}: {counts or 'nothing due'}{suffix}")


def _tick_outcomes(report: TickReport) -> list[Any]:
    return list(dict.fromkeys(a.outcome for a in report.actions))


def attendance_text(out: Output, report: SheetReport) -> None:
    """The sheet's outcome row by row, then a summary line."""
    labels = {"accepted": "recorded", "unchanged": "unchanged", "refused": "REFUSED"}
    if report.dry_run:
        labels["accepted"] = "would be recorded"
    for row in report.outcomes:
        what = "" if row.day is None else f"{row.day} {row.status}"
        out.line(f"line {row.line:<4} {labels[row.outcome]:<18} {row.nip or '(no NIP)'}  {what}")
        for violation in row.violations:
            out.line(f"{'':10}{violation.code}: {violation.message}")
    summary = (
        f"{len(report.accepted)} recorded, {len(report.unchanged)} unchanged, "
        f"{len(report.refused)} refused"
    )
    out.line(summary + (" (dry run: nothing was written)" if report.dry_run else ""))
