r"""What the commands print: JSON documents, plain lines and (lazily imported) Rich tables.

stdout carries the result only: with ``--json`` exactly one JSON document carrying
``"schema_version": 2``, otherwise text and tables. Hints, progress and errors go to stderr.
Text lines and table cells print control, line-break and bidirectional characters as escapes
(``\n``, ``\u202e``): whatever a record holds (a reason's line feeds, a name stored before
such characters were refused) stays on its own line and in stored order.

Every text goes through :func:`changeflow.cli.language.tr`, so ``--lang id`` prints it in
Indonesian; JSON keys and values that scripts branch on (codes, states) stay English.
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
from changeflow.cli.language import current, state_label, tr, translated
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

JSON_SCHEMA_VERSION = 2
"""Version of every JSON document the CLI prints (``"schema_version"``).

2: a violation's Indonesian text is ``message_indonesian`` (1 named it ``message_id``).
"""

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
        body = {"schema_version": JSON_SCHEMA_VERSION, **documents.presented(payload)}
        typer.echo(json.dumps(body, indent=2, ensure_ascii=False))

    def line(self, text: str = "") -> None:
        """Print a line of the result on stdout (text mode only), translated if catalogued."""
        if not self.json:
            typer.echo(escaped(translated(text)))

    def note(self, text: str) -> None:
        """Print a note (progress, a summary aside) on stderr, translated if catalogued."""
        typer.echo(escaped(translated(text)), err=True)

    def hint(self, text: str) -> None:
        """Print a hint on stderr, translated if catalogued."""
        typer.echo(tr("hint: {text}", text=escaped(translated(text))), err=True)

    def failure(self, failure: Failure, document: documents.Document | None = None) -> None:
        """Report a failure on stderr: the ``error:`` line, its details, a hint.

        With ``--json`` stdout gets ``document`` (by default just the ``error`` member).
        """
        headline = translated(failure.headline or failure.message)
        typer.echo(tr("error: {text}", text=escaped(headline)), err=True)
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
        self.note(tr("{task} ...", task=translated(text)))
        yield
        self.note(tr("done in {seconds:.1f} s", seconds=time.perf_counter() - started))


def table(
    columns: Sequence[str], rows: Iterable[Sequence[object]], *, title: str | None = None
) -> None:
    """Print a table on stdout with Rich (imported here, only when a table is drawn).

    On a terminal the table fits the window; piped, it is drawn wide (cells do not wrap),
    without colour and without trailing spaces, so scripts can read it line by line.
    """
    if title:
        typer.echo(escaped(translated(title)))
    columns = [translated(column) for column in columns]
    cells = [tuple("" if cell is None else escaped(str(cell)) for cell in row) for row in rows]
    if not sys.stdout.isatty():
        plain = _plain_table(columns, cells)
        if plain is not None:
            typer.echo(plain)
            return
    from rich import box  # noqa: PLC0415 - Rich is loaded only to draw tables
    from rich.console import Console  # noqa: PLC0415
    from rich.table import Table  # noqa: PLC0415
    from rich.text import Text  # noqa: PLC0415

    drawn = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    for column in columns:
        drawn.add_column(column, overflow="fold")
    for row in cells:
        drawn.add_row(*(Text(cell) for cell in row))
    if sys.stdout.isatty():
        Console(file=sys.stdout, highlight=False).print(drawn)
        return
    buffer = io.StringIO()
    Console(file=buffer, width=_PIPED_WIDTH, highlight=False, color_system=None).print(drawn)
    typer.echo("\n".join(line.rstrip() for line in buffer.getvalue().splitlines()))


def _message(violation: Violation) -> str:
    """A violation's text in the current language (Indonesian when the rule gives it)."""
    return violation.text(current())


def _plain_table(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> str | None:
    """The piped table as Rich draws it (no cell folded), without importing Rich's console.

    Columns three spaces apart, a rule under the header, no trailing spaces. ``None`` when
    Rich would have to fold a cell to fit :data:`_PIPED_WIDTH`: Rich draws that one.
    """
    from rich.cells import cell_len  # noqa: PLC0415 - Rich's own widths, without its console

    if any(len(row) != len(columns) for row in rows):
        return None
    widths = [
        max([cell_len(column), *(cell_len(row[i]) for row in rows)])
        for i, column in enumerate(columns)
    ]
    total = sum(widths) + 3 * (len(widths) - 1)
    if total > _PIPED_WIDTH:
        return None

    def line(cells: Sequence[str]) -> str:
        padded = (
            cell + " " * (width - cell_len(cell)) for cell, width in zip(cells, widths, strict=True)
        )
        return "   ".join(padded).rstrip()

    return "\n".join([line(columns), "\u2500" * total, *(line(row) for row in rows)])


def _reasons(violations: Iterable[Violation]) -> str:
    return "; ".join(f"{v.code}: {_message(v)}" for v in violations)


def _dry_run(report_is_dry: bool) -> str:
    return tr(" (dry run: nothing was written)") if report_is_dry else ""


def roster_text(out: Output, report: RosterReport) -> None:
    """The roster's outcome row by row, then a summary line."""
    labels = {
        "accepted": tr("accepted"),
        "refused": tr("REFUSED"),
        "already_enrolled": tr("already enrolled"),
    }
    if report.dry_run:
        labels["accepted"] = tr("would be accepted")
        labels["refused"] = tr("WOULD BE REFUSED")
    for row in report.outcomes:
        who = f"{row.nip or tr('(no NIP)')}" + (f"  {row.name}" if row.name else "")
        out.line(
            tr("line {line:<4} {label:<18} {who}", line=row.line, label=labels[row.status], who=who)
        )
        for violation in row.violations:
            out.line(f"{'':10}{violation.code}: {_message(violation)}")
    summary = tr(
        "{accepted} accepted, {refused} refused, {already} already enrolled",
        accepted=len(report.accepted),
        refused=len(report.refused),
        already=len(report.already_enrolled),
    )
    out.line(summary + _dry_run(report.dry_run))


def advance_text(report: AdvanceReport, names: Mapping[str, str]) -> None:
    """The per-participant outcome table of a bulk advance."""
    rows = [
        (
            e.nip,
            names.get(e.nip, ""),
            tr("accepted"),
            f"{state_label(e.source)} -> {state_label(e.target)}",
        )
        for e in report.accepted
    ]
    rows += [
        (e.nip, names.get(e.nip, ""), tr("REFUSED"), _reasons(e.violations)) for e in report.refused
    ]
    title = tr(
        "{event}: {accepted} accepted, {refused} refused, {skipped} skipped (in other states)",
        event=report.event,
        accepted=len(report.accepted),
        refused=len(report.refused),
        skipped=report.skipped,
    )
    table(("nip", "name", "outcome", "detail"), rows, title=title)


def status_text(
    status: CohortStatus, members: Sequence[Enrolment], as_of: datetime | None = None
) -> None:
    """The participants table (state, group, project, scores) and the headcount per state."""
    when = "" if as_of is None else tr(" as of {when}", when=as_of.isoformat())
    table(
        ("nip", "name", "office", "state", "group", "project", "scores"),
        (
            (
                m.nip,
                m.participant.name,
                m.participant.office.code,
                state_label(m.state),
                m.group,
                m.project.title if m.project else "",
                ", ".join(f"{c} {s:g}" for c, s in (m.scores or {}).items()),
            )
            for m in members
        ),
        title=tr(
            "{cohort}{when}: {total} participant(s)",
            cohort=status.cohort,
            when=when,
            total=status.total,
        ),
    )
    typer.echo()
    table(
        ("state", "count"),
        ((state_label(state), count) for state, count in status.by_state.items()),
        title="per state",
    )


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
                f"{state_label(e.source)} -> {state_label(e.target)}",
                tr(e.outcome),
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
    before = tr("no lifecycle") if plan.source is None else _ref(plan.source)
    after = _ref(plan.target)
    if plan.applied:
        line = tr(
            "{cohort}: migrated from {before} to {after}",
            cohort=plan.cohort,
            before=before,
            after=after,
        )
    else:
        line = tr(
            "{cohort}: would migrate from {before} to {after}",
            cohort=plan.cohort,
            before=before,
            after=after,
        )
    out.line(line)
    if plan.moves:
        table(("nip", "from", "to"), plan.moves)
    else:
        out.line(tr("no participants"))
    if not plan.applied:
        out.line(tr("dry run: nothing was written"))


def _ref(ref: Any) -> str:
    return f"{ref.name} {ref.version} ({ref.sha256[:12]})"


def verify_text(out: Output, checks: Sequence[AuditCheck]) -> None:
    """One line per cohort: intact, where the chain breaks, or which stored facts differ."""
    if not checks:
        out.line(tr("no cohorts to verify"))
    for check in checks:
        out.line(_verdict(check))
        for difference in check.differences:
            out.line(f"  {difference}")


def _verdict(check: AuditCheck) -> str:
    cohort, problem = check.cohort, check.problem
    if check.ok:
        return tr(
            "{cohort}: audit chain intact ({entries} entries, head {seq} {hash})",
            cohort=cohort,
            entries=check.entries,
            seq=check.head.seq,
            hash=check.head.hash[:12],
        )
    if check.missing_tail:
        return tr(
            "{cohort}: audit chain BROKEN: {problem} (missing tail)", cohort=cohort, problem=problem
        )
    if check.first_bad_seq is not None:
        return tr(
            "{cohort}: audit chain BROKEN at entry {seq}: {problem}",
            cohort=cohort,
            seq=check.first_bad_seq,
            problem=problem,
        )
    if check.differences:
        return tr(
            "{cohort}: stored facts DIFFER from the audit chain ({count} difference(s)):",
            cohort=cohort,
            count=len(check.differences),
        )
    return tr("{cohort}: audit chain BROKEN: {problem}", cohort=cohort, problem=problem)


# -- the course calendar ----------------------------------------------------------------------


def schedule_text(out: Output, code: str, plan: Schedule) -> None:
    """The windows with their working days, then the visit and the closures."""
    days = plan.working_days()
    table(
        ("stage", "start", "end", "working days"),
        ((w.stage, w.start, w.end, days.count(w.start, w.end)) for w in plan.windows),
        title=tr("{code}: schedule", code=code),
    )
    visit = plan.visit
    if visit is not None:
        where = (
            tr(" to {destination}", destination=visit.destination)
            if visit.destination
            else tr(" (destination not set)")
        )
        out.line(
            tr(
                "benchmarking visit{where}: {start} to {end}",
                where=where,
                start=visit.start,
                end=visit.end,
            )
        )
    for closure in plan.closures:
        out.line(tr("closed {day}: {name}", day=closure.day, name=closure.name))


def agenda_text(out: Output, found: Agenda) -> None:
    """One row per active participant: next deadline, due date, lateness, who acts, warnings."""
    rows = []
    for item in found.items:
        due = item.next
        rows.append(
            (
                item.nip,
                item.name,
                state_label(item.state),
                "" if due is None else due.deadline.event,
                "" if due is None else due.due,
                tr("OVERDUE {days} wd", days=item.working_days_late) if item.overdue else "",
                "" if due is None else due.deadline.actor,
                "; ".join(w.code for w in item.warnings),
            )
        )
    title = tr(
        "{cohort} as of {as_of}: {active} active, {overdue} overdue, {warned} warned",
        cohort=found.cohort,
        as_of=found.as_of,
        active=len(found.items),
        overdue=len(found.overdue()),
        warned=len(found.warned()),
    )
    table(("nip", "name", "state", "next", "due", "late", "acts", "warnings"), rows, title=title)
    for item in found.warned():
        for warning in item.warnings:
            out.line(f"{item.nip}  {warning.code}: {warning.message}")


def tick_text(out: Output, report: TickReport) -> None:
    """What the tick did with each applicable timeout, then a summary line."""
    for action in report.actions:
        event = action.event or tr("flag only")
        detail = f" ({', '.join(action.violations)})" if action.violations else ""
        out.line(
            tr(
                "{nip}  {deadline} due {due}, {late} working day(s) late: {event} {outcome}",
                nip=action.nip,
                deadline=action.deadline,
                due=action.due,
                late=action.working_days_late,
                event=event,
                outcome=tr(action.outcome),
            )
            + detail
        )
    counts = ", ".join(f"{len(report.by_outcome(o))} {tr(o)}" for o in _tick_outcomes(report))
    suffix = "" if report.apply else tr(" (without --apply: nothing was written)")
    out.line(
        tr(
            "{cohort} tick as of {as_of}: {counts}",
            cohort=report.cohort,
            as_of=report.as_of,
            counts=counts or tr("nothing due"),
        )
        + suffix
    )


def _tick_outcomes(report: TickReport) -> list[Any]:
    return list(dict.fromkeys(a.outcome for a in report.actions))


def attendance_text(out: Output, report: SheetReport) -> None:
    """The sheet's outcome row by row, then a summary line."""
    labels = {"accepted": tr("recorded"), "unchanged": tr("unchanged"), "refused": tr("REFUSED")}
    if report.dry_run:
        labels["accepted"] = tr("would be recorded")
    for row in report.outcomes:
        what = "" if row.day is None else f"{row.day} {tr(row.status or '')}"
        who = f"{row.nip or tr('(no NIP)')}  {what}"
        out.line(
            tr(
                "line {line:<4} {label:<18} {who}",
                line=row.line,
                label=labels[row.outcome],
                who=who,
            )
        )
        for violation in row.violations:
            out.line(f"{'':10}{violation.code}: {_message(violation)}")
    summary = tr(
        "{accepted} recorded, {unchanged} unchanged, {refused} refused",
        accepted=len(report.accepted),
        unchanged=len(report.unchanged),
        refused=len(report.refused),
    )
    out.line(summary + _dry_run(report.dry_run))
