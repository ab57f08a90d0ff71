"""One participant: ``fire``, ``check``, ``events``, ``project``, ``assess`` and ``history``.

``project`` and ``assess`` also take a file of rows (``--csv`` or ``--xlsx``): see
:mod:`changeflow.cli.bulk`.

Every command runs on the cohort's own lifecycle (the one stored with it). A refused command
exits 3 with every violation (see :func:`changeflow.cli.session.guarded`).
"""

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, NamedTuple

import typer

from changeflow.bulk import BulkKind
from changeflow.cli import documents, render
from changeflow.cli.bulk import PROJECTS_HINT, SCORES_HINT, apply_file
from changeflow.cli.failures import CliError, ExitCode
from changeflow.cli.language import current, state_label, tr
from changeflow.cli.options import (
    Actor,
    CohortCode,
    Component,
    EventName,
    IdempotencyKey,
    JsonFlag,
    Nip,
    OptionalNip,
    Reason,
    nip_value,
    parse_date,
    parse_json_object,
    parse_moment,
)
from changeflow.cli.render import Output
from changeflow.cli.session import guarded, session
from changeflow.cli.tables import (
    CsvOption,
    EncodingOption,
    SheetOption,
    XlsxOption,
    choose_file,
)
from changeflow.models import Assessment, ChangeProject, Mentor

FileFormNip = Annotated[
    str | None,
    typer.Argument(
        metavar="NIP", help="The participant's NIP (not with --csv or --xlsx).", callback=nip_value
    ),
]
FileDryRun = Annotated[
    bool, typer.Option("--dry-run", help="With a file: judge every row, write nothing.")
]
__all__ = ["assess", "check", "events", "fire", "history", "project"]


def fire(
    ctx: typer.Context,
    code: CohortCode,
    nip: Nip,
    event: EventName,
    actor: Actor = None,
    reason: Reason = None,
    key: IdempotencyKey = None,
    data: Annotated[
        str | None, typer.Option("--data", metavar="JSON", help="A JSON object to record.")
    ] = None,
    effective_date: Annotated[
        str | None,
        typer.Option("--effective-date", metavar="YYYY-MM-DD", help="When it takes effect."),
    ] = None,
    json_output: JsonFlag = False,
) -> None:
    """Fire an event for one participant: 0 accepted, 3 refused (with every reason).

    ``reopen`` (with --reason) returns a participant from a final state to the state left.
    """
    out = Output(json_output)
    with session(ctx, out) as engine:
        payload = parse_json_object(data, "--data") if data is not None else None
        effective = parse_date(effective_date, "--effective-date") if effective_date else None
        entry = engine.fire(
            code,
            nip,
            event,
            actor=actor,
            reason=reason,
            payload=payload,
            effective_date=effective,
            key=key,
        )
    if out.json:
        out.document(documents.entry(entry))
        return
    out.line(f"{entry.nip}: {entry.source} -> {entry.target} ({entry.event}), audit #{entry.seq}")
    if entry.data and "grade" in entry.data:
        out.line(f"grade: {entry.data.get('score')} {entry.data['grade']}")


def check(
    ctx: typer.Context,
    code: CohortCode,
    nip: Nip,
    event: EventName,
    actor: Actor = None,
    reason: Reason = None,
    json_output: JsonFlag = False,
) -> None:
    """Dry run of fire: 0 if the event would be accepted now, 3 with every reason if not."""
    out = Output(json_output)
    with session(ctx, out) as engine:
        violations = engine.check(code, nip, event, actor=actor, reason=reason)
        state = engine.state(code, nip)
    if out.json:
        out.document(documents.check(code, nip, event, state, violations))
    elif not violations:
        out.line(
            tr("{event} would be accepted for {nip} (now {state})", **_checked(event, nip, state))
        )
    else:
        out.line(
            tr("{event} would be refused for {nip} (now {state}):", **_checked(event, nip, state))
        )
        for violation in violations:
            out.line(f"  {violation.code}: {violation.text(current())}")
    if violations:
        raise typer.Exit(ExitCode.REFUSED)


def _checked(event: str, nip: str, state: str) -> dict[str, str]:
    return {"event": event, "nip": nip, "state": state_label(state)}


def events(
    ctx: typer.Context,
    code: CohortCode,
    nip: Nip,
    reason: Annotated[
        str | None,
        typer.Option(
            "--reason",
            metavar="TEXT",
            help="Judge with this reason (withdraw, drop and reopen need one).",
        ),
    ] = None,
    actor: Annotated[
        str | None,
        typer.Option(
            "--actor",
            metavar="ID",
            envvar="CHANGEFLOW_ACTOR",
            help="List what this actor may fire (default $CHANGEFLOW_ACTOR).",
        ),
    ] = None,
    json_output: JsonFlag = False,
) -> None:
    """List the events of the cohort's lifecycle that would be accepted for the participant now."""
    out = Output(json_output)
    with session(ctx, out) as engine:
        allowed = engine.available(code, nip, reason=reason, actor=actor)
        state = engine.state(code, nip)
    if out.json:
        out.document(documents.events(code, nip, state, allowed))
        return
    allowed_now = ", ".join(allowed) or tr("nothing")
    out.line(
        tr(
            "{nip} is {state}; allowed now: {allowed}",
            nip=nip,
            state=state_label(state),
            allowed=allowed_now,
        )
    )
    if reason is None:
        out.hint("events that need a reason (withdraw, drop, reopen) are listed only with --reason")


def project(
    ctx: typer.Context,
    code: CohortCode,
    nip: FileFormNip = None,
    title: Annotated[
        str | None, typer.Option("--title", help="The change project's title.")
    ] = None,
    theme: Annotated[
        str | None, typer.Option("--theme", help="Its theme (groups are by theme).")
    ] = None,
    mentor: Annotated[
        str | None, typer.Option("--mentor", metavar="NAME", help="The approving mentor.")
    ] = None,
    mentor_nip: Annotated[str | None, typer.Option(help="The mentor's NIP.")] = None,
    mentor_position: Annotated[str | None, typer.Option(help="The mentor's position.")] = None,
    csv_file: CsvOption = None,
    xlsx_file: XlsxOption = None,
    sheet: SheetOption = None,
    encoding: EncodingOption = None,
    dry_run: FileDryRun = False,
    actor: Actor = None,
    reason: Reason = None,
    key: IdempotencyKey = None,
    json_output: JsonFlag = False,
) -> None:
    """Register (or replace) a participant's change project (proyek perubahan), or a file's.

    One: NIP --title --theme [--mentor ...]. A file (--csv or --xlsx) with the columns
    nip,title,theme[,mentor_name,mentor_nip,mentor_position] registers each row, reported
    like a roster (exit 3 when a row was refused; a re-run is safe). Audited as
    ``register_project``; refused (exit 3, ``record_closed``) once the participant is in a
    final state.
    """
    out = Output(json_output)
    single = {"--title": title, "--theme": theme, "--mentor": mentor, "--key": key}
    single |= {"--mentor-nip": mentor_nip, "--mentor-position": mentor_position}
    files = _Files(csv_file, xlsx_file, sheet, encoding, dry_run)
    usage = "give NIP --title TITLE --theme THEME, or a file with --csv FILE or --xlsx FILE"
    needed = (nip, title, theme)
    if _ran_file(ctx, out, code, "projects", single, needed, files, usage, actor, reason):
        return
    if nip is None or title is None or theme is None:  # refused by _ran_file
        return
    with session(ctx, out) as engine:
        if mentor is None and (mentor_nip or mentor_position):
            raise CliError("--mentor-nip and --mentor-position need --mentor NAME")
        registered = ChangeProject(
            title=title,
            theme=theme,
            mentor=Mentor(name=mentor, nip=mentor_nip, position=mentor_position)
            if mentor is not None
            else None,
        )
        entry = engine.register_project(code, nip, registered, actor=actor, reason=reason, key=key)
    if out.json:
        out.document(documents.project(code, nip, registered, entry))
        return
    out.line(
        f"{nip}: change project {registered.title!r} ({registered.theme}) registered, "
        f"audit #{entry.seq}"
    )
    if registered.mentor is None:
        out.hint("a proposal needs a mentor: add --mentor NAME --mentor-nip NIP")
    elif registered.mentor.nip is None:
        out.hint("the mentor approves acting as their NIP: add --mentor-nip NIP")


def assess(
    ctx: typer.Context,
    code: CohortCode,
    nip: FileFormNip = None,
    score: Annotated[float | None, typer.Option("--score", help="A score from 0 to 100.")] = None,
    component: Component = "overall",
    csv_file: CsvOption = None,
    xlsx_file: XlsxOption = None,
    sheet: SheetOption = None,
    encoding: EncodingOption = None,
    dry_run: FileDryRun = False,
    actor: Actor = None,
    reason: Reason = None,
    key: IdempotencyKey = None,
    json_output: JsonFlag = False,
) -> None:
    """Record an assessment score (NIP --score), or a file's (--csv or --xlsx).

    One score prints the grade band once every component is scored. A file with the
    columns nip,score[,component] records each row, reported like a roster (exit 3 when a
    row was refused; a re-run is safe: a score already recorded as written is unchanged).
    Audited as ``record_assessment``; refused (exit 3, ``record_closed``) once the
    participant is in a final state: change a recorded score with ``correct score``.
    """
    out = Output(json_output)
    single = {"--score": score, "--key": key}
    if component != "overall":
        single["--component"] = component
    files = _Files(csv_file, xlsx_file, sheet, encoding, dry_run)
    usage = "give NIP --score SCORE, or a file with --csv FILE or --xlsx FILE"
    if _ran_file(ctx, out, code, "scores", single, (nip, score), files, usage, actor, reason):
        return
    if nip is None or score is None:  # refused by _ran_file
        return
    with session(ctx, out) as engine:
        grade = engine.record_assessment(
            code,
            nip,
            Assessment(score=score, component=component),
            actor=actor,
            reason=reason,
            key=key,
        )
        scheme = engine.cohort(code).parameters.grading
        missing = scheme.missing(engine.participant(code, nip).scores or {})
    if out.json:
        out.document(documents.assessment(code, nip, component, score, grade, missing))
    elif grade is None:
        out.line(f"{nip}: {component} = {score:g}; grade pending, missing: {', '.join(missing)}")
    else:
        verdict = "passes" if grade.passed else "does not pass"
        out.line(f"{nip}: {component} = {score:g}; grade {grade.score:g} {grade.band} ({verdict})")


class _Files(NamedTuple):
    """The file options of ``project`` and ``assess``."""

    csv_file: Path | None
    xlsx_file: Path | None
    sheet: str | None
    encoding: str | None
    dry_run: bool


def _ran_file(
    ctx: typer.Context,
    out: Output,
    code: str,
    kind: BulkKind,
    single: Mapping[str, object],
    needed: tuple[object, ...],
    files: _Files,
    usage: str,
    actor: str | None,
    reason: str | None,
) -> bool:
    """Apply the file when one is given (True); refuse mixed forms or a half-given one.

    ``needed`` is the one-participant form's NIP and required values (a usage error, exit 2,
    when any is missing and no file is given); ``single`` its other options by name.
    """
    nip = needed[0]
    hint = PROJECTS_HINT if kind == "projects" else SCORES_HINT
    with guarded(out):
        chosen = _file_form(nip if isinstance(nip, str) else None, single, files, hint)
        if chosen is None and any(value is None for value in needed):
            # A missing argument or option: a usage error, as Click reports its own.
            raise CliError(usage, hint=hint, kind="usage")
    if chosen is None:
        return False
    apply_file(ctx, out, code, kind, chosen[0], xlsx=chosen[1], sheet=files.sheet,
               encoding=files.encoding, actor=actor, reason=reason,
               dry_run=files.dry_run)  # fmt: skip
    return True


def _file_form(
    nip: str | None, single: Mapping[str, object], files: _Files, usage: str
) -> tuple[Path, bool] | None:
    """The file to read and whether it is a workbook; ``None`` for the one-participant form.

    :class:`CliError` when the two forms are mixed, or a file option comes without a file.
    """
    csv_file, xlsx_file, sheet, encoding, dry_run = files
    if csv_file is None and xlsx_file is None:
        given = [name for name, value in (("--sheet", sheet), ("--encoding", encoding)) if value]
        if dry_run:
            given.append("--dry-run")
        if given:
            raise CliError(
                tr("{options} go with a file: --csv FILE or --xlsx FILE", options=", ".join(given))
            )
        return None
    mixed = [name for name, value in single.items() if value is not None]
    if nip is not None or mixed:
        what = ", ".join((["NIP"] if nip is not None else []) + mixed)
        raise CliError(
            tr("a file gives every row's values: leave out {what}", what=what), hint=usage
        )
    return choose_file(csv_file, xlsx_file, sheet, encoding, usage)


def history(
    ctx: typer.Context,
    nip: OptionalNip = None,
    cohort: Annotated[
        str | None, typer.Option("--cohort", metavar="CODE", help="Only this cohort.")
    ] = None,
    event: Annotated[
        str | None, typer.Option("--event", metavar="EVENT", help="Only this event or command.")
    ] = None,
    actor: Annotated[
        str | None, typer.Option("--actor", metavar="ID", help="Only what this actor did.")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            metavar="WHEN",
            help="Only entries from then on: a date (from its start, UTC) or an ISO 8601 "
            "time with a timezone.",
        ),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(
            "--until",
            metavar="WHEN",
            help="Only entries before then: a date (through its end, UTC) or an ISO 8601 "
            "time with a timezone (not included).",
        ),
    ] = None,
    json_output: JsonFlag = False,
) -> None:
    """Show audited commands and refused attempts, oldest first: a participant's, or filtered.

    --event, --actor, --since and --until narrow it (the database does the filtering).
    """
    out = Output(json_output)
    filtered = any(v is not None for v in (event, actor, since, until))
    with session(ctx, out) as engine:
        if cohort is not None:
            engine.cohort(cohort)
        start = None if since is None else _moment(since, "--since", end=False)
        stop = None if until is None else _moment(until, "--until", end=True)
        entries = engine.history(
            nip, cohort=cohort, event=event, actor=actor, since=start, until=stop
        )
        if (
            nip is not None
            and not entries
            and (not filtered or not engine.history(nip, cohort=cohort))
        ):
            raise CliError(
                f"no history for {nip!r}" + (f" in {cohort}" if cohort else ""),
                hint="check the NIP; `changeflow status COHORT` lists the participants",
                kind="unknown_participant",
            )
    if out.json:
        out.document(documents.history(nip, entries))
    elif not entries:
        out.line("no entries match")
    else:
        render.history_text(entries, with_nip=nip is None)


def _moment(value: str, option: str, *, end: bool) -> datetime:
    """A --since/--until bound: a date is its day in UTC (an end bound: through that day)."""
    try:
        if len(value) == len("YYYY-MM-DD"):
            day = parse_date(value, option)
            if end and day == date.max:  # through the last day there is: no bound
                return datetime.max.replace(tzinfo=UTC)
            day += timedelta(days=1 if end else 0)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        return parse_moment(value, option)
    except CliError:
        raise CliError(
            f"{option} {value!r} is neither a date nor a date and time",
            hint="write YYYY-MM-DD (that day in UTC) or ISO 8601 with a timezone, "
            "e.g. 2024-04-01T12:00+07:00",
        ) from None
