"""The course calendar: ``schedule`` (show, set, close), ``agenda``, ``tick``, ``attendance``.

``changeflow schedule CODE`` shows the schedule (``schedule show CODE`` is the same);
``schedule set`` and ``schedule close`` change it through :meth:`Engine.set_schedule
<changeflow.engine.Engine.set_schedule>`, audited with their reason.
"""

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from changeflow.attendance import read_sheet, record_sheet
from changeflow.cli import documents, render
from changeflow.cli.failures import CliError, ExitCode
from changeflow.cli.language import tr
from changeflow.cli.options import (
    Actor,
    CohortCode,
    IdempotencyKey,
    JsonFlag,
    Reason,
    parse_date,
)
from changeflow.cli.render import Output
from changeflow.cli.session import guarded, session
from changeflow.deadlines import DEADLINES, deadline_for
from changeflow.engine import Engine
from changeflow.errors import InvalidInput
from changeflow.ics import ICALENDAR_HINT, DueDate, schedule_calendar
from changeflow.models import Attendance, Cohort
from changeflow.schedule import Schedule, ScheduleStage, StageWindow, Visit
from changeflow.workdays import Closure

__all__ = [
    "SHEET_HINT",
    "STAGES",
    "agenda",
    "attendance",
    "schedule_app",
    "schedule_close",
    "schedule_set",
    "schedule_show",
    "tick",
]

STAGES = (*(s.value for s in ScheduleStage), "visit")
"""What ``schedule set`` takes as STAGE: the windows and the benchmarking visit."""

SHEET_HINT = "an attendance sheet is a UTF-8 CSV file whose first line names the columns " + (
    "nip,date,status (status: present, izin, sakit or absent)"
)
"""The hint printed when an attendance sheet cannot be used at all."""


class _ShowByDefault(TyperGroup):
    """``schedule CODE`` means ``schedule show CODE``: a first word that is no subcommand."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        """Route ``schedule CODE ...`` to ``show``; ``set``, ``close`` and options pass."""
        if args and not args[0].startswith("-") and args[0] not in self.commands:
            args = ["show", *args]
        result: list[str] = super().parse_args(ctx, args)
        return result


schedule_app = typer.Typer(
    cls=_ShowByDefault,
    help="Show a cohort's schedule (jadwal); set a window or the visit; add a closure.",
    no_args_is_help=True,
)

AsOf = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        metavar="YYYY-MM-DD",
        help="The day to judge (default: today in this machine's time zone).",
    ),
]


# -- schedule ---------------------------------------------------------------------------------


@schedule_app.command("show")
def schedule_show(
    ctx: typer.Context,
    code: CohortCode,
    ics: Annotated[
        Path | None,
        typer.Option(
            "--ics",
            metavar="FILE",
            help="Also write the schedule as an iCalendar file (needs changeflow[calendar]).",
        ),
    ] = None,
    with_due_dates: Annotated[
        bool,
        typer.Option("--with-due-dates", help="In the --ics file, each participant's due dates."),
    ] = False,
    json_output: JsonFlag = False,
) -> None:
    """Show the stage windows with their working days, the visit and the closures.

    The schedule set with ``schedule set``, else the default derived from the cohort's dates
    and its rule pack. ``--ics FILE`` writes an all-day event per window, the visit and
    (``--with-due-dates``) each active participant's deadlines still ahead.
    """
    out = Output(json_output)
    if with_due_dates and ics is None:
        with guarded(out):
            raise CliError("--with-due-dates needs --ics FILE")
    with session(ctx, out) as engine:
        plan = engine.schedule(code)
        if ics is not None:
            written = _write_ics(engine, code, plan, ics, due_dates=with_due_dates)
    _print_schedule(out, code, plan)
    if ics is not None:
        out.note(tr("wrote {count} event(s) to {file}", count=written, file=ics))


def _write_ics(engine: Engine, code: str, plan: Schedule, file: Path, *, due_dates: bool) -> int:
    due = _due_dates(engine, code, plan) if due_dates else []
    try:
        content = schedule_calendar(engine.cohort(code), plan, engine.clock.now(), due)
    except InvalidInput as missing:
        raise CliError(str(missing), hint=ICALENDAR_HINT) from None
    try:
        file.write_bytes(content)
    except OSError as exc:
        problem = exc.strerror or exc
        raise CliError(
            tr("--ics: cannot write {file!r}: {problem}", file=str(file), problem=problem)
        ) from None
    return content.count(b"BEGIN:VEVENT")


def _due_dates(engine: Engine, code: str, plan: Schedule) -> list[DueDate]:
    """Every deadline still ahead of each active participant, in course order."""
    order = [d.name for d in DEADLINES]
    found = []
    for member in engine.participants(code):
        current = deadline_for(member.state) if member.active else None
        if current is None:
            continue
        for deadline in DEADLINES[order.index(current.name) :]:
            due = deadline.due(plan)
            if due is not None:
                found.append(
                    DueDate(
                        member.nip,
                        member.participant.name,
                        deadline.name,
                        deadline.event,
                        due,
                        str(deadline.actor),
                    )
                )
    return found


def _print_schedule(out: Output, code: str, plan: Schedule) -> None:
    if out.json:
        out.document(documents.schedule(code, plan))
    else:
        render.schedule_text(out, code, plan)


@schedule_app.command("set")
def schedule_set(
    ctx: typer.Context,
    code: CohortCode,
    stage: Annotated[str, typer.Argument(metavar="STAGE", help=f"One of {', '.join(STAGES)}.")],
    start: Annotated[str, typer.Option("--start", metavar="YYYY-MM-DD", help="First day.")],
    end: Annotated[str, typer.Option("--end", metavar="YYYY-MM-DD", help="Last day.")],
    reason: Reason = None,
    destination: Annotated[
        str | None,
        typer.Option("--destination", metavar="TEXT", help="Where the visit goes (visit only)."),
    ] = None,
    actor: Actor = None,
    key: IdempotencyKey = None,
    json_output: JsonFlag = False,
) -> None:
    """Set one window (or the visit) of the schedule; audited as ``set_schedule``.

    The other windows stay as they are: a schedule whose windows overlap, leave the cohort
    or give the laboratory less than the rule pack's minimum is refused (exit 3) with every
    violation, and so is a change without ``--reason``.
    """
    out = Output(json_output)
    with session(ctx, out) as engine:
        first, last = _window_dates(engine.cohort(code), start, end)
        changed = _with_stage(engine.schedule(code), _stage(stage), first, last, destination)
        saved = engine.set_schedule(code, changed, reason=reason or "", actor=actor, key=key)
    if not out.json:
        out.line(
            tr(
                "{code}: {stage} set to {first} - {last}",
                code=code,
                stage=stage,
                first=first,
                last=last,
            )
        )
    _print_schedule(out, code, saved)


def _stage(value: str) -> str:
    if value not in STAGES:
        raise CliError(
            tr("STAGE {value!r} is not a stage of the schedule", value=value),
            hint=tr("use one of {stages}", stages=", ".join(STAGES)),
        )
    return value


def _window_dates(cohort: Cohort, start: str, end: str) -> tuple[date, date]:
    first, last = parse_date(start, "--start"), parse_date(end, "--end")
    if last < first:
        raise CliError(tr("--end {last} is before --start {first}", last=last, first=first))
    for option, day in (("--start", first), ("--end", last)):
        if not cohort.start <= day <= cohort.end:
            raise CliError(
                tr(
                    "{option} {day} is outside the cohort ({start} to {end})",
                    option=option,
                    day=day,
                    start=cohort.start,
                    end=cohort.end,
                ),
                hint="`changeflow schedule CODE` shows the cohort's windows",
            )
    return first, last


def _with_stage(
    plan: Schedule, stage: str, start: date, end: date, destination: str | None
) -> Schedule:
    if stage != "visit":
        if destination is not None:
            raise CliError("--destination is for the visit only", hint="STAGE visit")
        return plan.with_window(StageWindow(stage=ScheduleStage(stage), start=start, end=end))
    kept = None if plan.visit is None else plan.visit.destination
    visit = Visit(start=start, end=end, destination=destination or kept)
    return plan.model_copy(update={"visit": visit})


@schedule_app.command("close")
def schedule_close(
    ctx: typer.Context,
    code: CohortCode,
    day: Annotated[str, typer.Argument(metavar="DATE", help="The day closed (YYYY-MM-DD).")],
    name: Annotated[
        str, typer.Option("--name", metavar="TEXT", help="What closes it, e.g. a regional holiday.")
    ],
    reason: Reason = None,
    actor: Actor = None,
    key: IdempotencyKey = None,
    json_output: JsonFlag = False,
) -> None:
    """Add a closure (a regional holiday, an office closure): the day is not a working day.

    Windows still at their defaults are derived again around it; windows set with
    ``schedule set`` stay as set. Closing a day again under the same name changes nothing.
    """
    out = Output(json_output)
    with session(ctx, out) as engine:
        cohort = engine.cohort(code)
        closed = parse_date(day, "DATE")
        if not cohort.start <= closed <= cohort.end:
            raise CliError(
                tr(
                    "{option} {day} is outside the cohort ({start} to {end})",
                    option="DATE",
                    day=closed,
                    start=cohort.start,
                    end=cohort.end,
                )
            )
        plan = engine.schedule(code)
        changed = plan.closing(Closure(day=closed, name=name), cohort)
        if changed is not plan:
            plan = engine.set_schedule(code, changed, reason=reason or "", actor=actor, key=key)
        elif not out.json:
            out.note(tr("{day} is already closed ({name}): nothing changed", day=closed, name=name))
    _print_schedule(out, code, plan)


# -- agenda and tick ----------------------------------------------------------------------------


def _as_of(engine: Engine, value: str | None) -> date:
    if value is not None:
        return parse_date(value, "--as-of")
    # The office's day, not UTC's: at 06:00 in Jakarta it is still yesterday in UTC.
    return engine.clock.now().astimezone().date()


def agenda(
    ctx: typer.Context, code: CohortCode, as_of: AsOf = None, json_output: JsonFlag = False
) -> None:
    """List each active participant's next deadline, what is overdue and the early warnings.

    Overdue items show the working days late and who should act (the participant, the
    mentor, the organiser, the examiner). Reading it writes nothing.
    """
    out = Output(json_output)
    with session(ctx, out) as engine:
        found = engine.agenda(code, _as_of(engine, as_of))
    if out.json:
        out.document(documents.agenda(found))
    else:
        render.agenda_text(out, found)


def tick(
    ctx: typer.Context,
    code: CohortCode,
    as_of: AsOf = None,
    apply: Annotated[
        bool, typer.Option("--apply", help="Fire the timeouts' events (default: only report).")
    ] = False,
    actor: Actor = None,
    json_output: JsonFlag = False,
) -> None:
    """Apply the rule pack's timeouts to overdue deadlines (safe from cron, on many hosts).

    Each event is fired with one idempotency key per cohort, participant and deadline: a
    second tick, from any host, reports it ``already_applied`` instead of firing it again.
    Without ``--apply`` nothing is written.
    """
    out = Output(json_output)
    with session(ctx, out) as engine:
        report = engine.tick(code, _as_of(engine, as_of), apply=apply, actor=actor)
    if out.json:
        out.document(documents.tick(report))
    else:
        render.tick_text(out, report)


# -- attendance ----------------------------------------------------------------------------------


def attendance(
    ctx: typer.Context,
    code: CohortCode,
    nip: Annotated[
        str | None, typer.Argument(metavar="NIP", help="The participant's NIP (not with --csv).")
    ] = None,
    day: Annotated[
        str | None,
        typer.Argument(metavar="DATE", help="The on-class day, YYYY-MM-DD (not with --csv)."),
    ] = None,
    status: Annotated[
        str | None,
        typer.Option("--status", metavar="STATUS", help="present, izin, sakit or absent."),
    ] = None,
    sheet: Annotated[
        Path | None,
        typer.Option("--csv", metavar="FILE", help="A sheet: UTF-8 CSV with nip,date,status."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="With --csv: judge every row, write nothing.")
    ] = False,
    actor: Actor = None,
    reason: Reason = None,
    key: IdempotencyKey = None,
    json_output: JsonFlag = False,
) -> None:
    """Record attendance on an on-class day: one (NIP DATE --status) or a sheet (--csv).

    A sheet is reported row by row; a re-run is safe (days already recorded as written
    are ``unchanged``). Exit 2 when a row is unusable (malformed, someone not enrolled, a
    day that is not a working day of on_class), 3 when the rules refused a row.
    """
    out = Output(json_output)
    with guarded(out):
        _attendance_form(nip, day, status, sheet, dry_run)
    if sheet is not None:
        _attendance_sheet(ctx, out, code, sheet, actor=actor, dry_run=dry_run)
        return
    if nip is None or day is None or status is None:  # _attendance_form said so already
        return
    with session(ctx, out) as engine:
        recorded = engine.record_attendance(
            code,
            nip,
            parse_date(day, "DATE"),
            _status(status),
            actor=actor,
            reason=reason,
            key=key,
        )
    if out.json:
        out.document(documents.entry(recorded))
    else:
        out.line(
            tr(
                "{nip}: {day} {status} recorded, audit #{seq}",
                nip=recorded.nip,
                day=day,
                status=tr(status),
                seq=recorded.seq,
            )
        )


def _attendance_form(
    nip: str | None, day: str | None, status: str | None, sheet: Path | None, dry_run: bool
) -> None:
    if sheet is not None:
        if nip is not None or status is not None:
            raise CliError("give NIP DATE --status, or --csv FILE, not both")
        return
    if dry_run:
        raise CliError("--dry-run is for --csv FILE")
    if nip is None or day is None or status is None:
        raise CliError(
            "give NIP DATE --status STATUS, or --csv FILE",
            hint="e.g. changeflow attendance CODE 197503152000031004 2019-04-04 --status present",
        )


def _status(value: str) -> Attendance:
    try:
        return Attendance(value.strip().lower())
    except ValueError:
        allowed = ", ".join(a.value for a in Attendance)
        raise CliError(
            tr("--status {value!r} is not one of {allowed}", value=value, allowed=allowed)
        ) from None


def _attendance_sheet(
    ctx: typer.Context, out: Output, code: str, sheet: Path, *, actor: str | None, dry_run: bool
) -> None:
    with session(ctx, out) as engine:
        engine.cohort(code)
        try:
            rows = read_sheet(sheet)
        except InvalidInput as unusable:
            raise CliError(str(unusable), hint=SHEET_HINT) from None
        report = record_sheet(engine, code, rows, actor=actor, dry_run=dry_run)
    if out.json:
        out.document(documents.attendance_sheet(report))
    else:
        render.attendance_text(out, report)
    if report.refused:
        out.hint("fix the refused rows and run the same sheet again: recorded days are kept")
        raise typer.Exit(ExitCode.INPUT if report.bad_input else ExitCode.REFUSED)
