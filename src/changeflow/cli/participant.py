"""One participant: ``fire``, ``check``, ``events``, ``project``, ``assess`` and ``history``.

Every command runs on the cohort's own lifecycle (the one stored with it). A refused command
exits 3 with every violation (see :func:`changeflow.cli.session.guarded`).
"""

from datetime import UTC, date, datetime, timedelta
from typing import Annotated

import typer

from changeflow.cli import documents, render
from changeflow.cli.failures import CliError, ExitCode
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
    Score,
    parse_date,
    parse_json_object,
    parse_moment,
)
from changeflow.cli.render import Output
from changeflow.cli.session import session
from changeflow.models import Assessment, ChangeProject, Mentor

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
        out.line(f"{event} would be accepted for {nip} (now {state})")
    else:
        out.line(f"{event} would be refused for {nip} (now {state}):")
        for violation in violations:
            out.line(f"  {violation.code}: {violation.message}")
    if violations:
        raise typer.Exit(ExitCode.REFUSED)


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
    out.line(f"{nip} is {state}; allowed now: {', '.join(allowed) or 'nothing'}")
    if reason is None:
        out.hint("events that need a reason (withdraw, drop, reopen) are listed only with --reason")


def project(
    ctx: typer.Context,
    code: CohortCode,
    nip: Nip,
    title: Annotated[str, typer.Option("--title", help="The change project's title.")],
    theme: Annotated[str, typer.Option("--theme", help="Its theme (groups are by theme).")],
    mentor: Annotated[
        str | None, typer.Option("--mentor", metavar="NAME", help="The approving mentor.")
    ] = None,
    mentor_nip: Annotated[str | None, typer.Option(help="The mentor's NIP.")] = None,
    mentor_position: Annotated[str | None, typer.Option(help="The mentor's position.")] = None,
    actor: Actor = None,
    reason: Reason = None,
    key: IdempotencyKey = None,
    json_output: JsonFlag = False,
) -> None:
    """Register (or replace) the participant's change project (proyek perubahan).

    Audited as ``register_project``; refused (exit 3, ``record_closed``) once the
    participant is in a final state.
    """
    out = Output(json_output)
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
    nip: Nip,
    score: Score,
    component: Component = "overall",
    actor: Actor = None,
    reason: Reason = None,
    key: IdempotencyKey = None,
    json_output: JsonFlag = False,
) -> None:
    """Record an assessment score; prints the grade band once every component is scored.

    Audited as ``record_assessment``; refused (exit 3, ``record_closed``) once the
    participant is in a final state: change a recorded score with ``correct score``.
    """
    out = Output(json_output)
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
