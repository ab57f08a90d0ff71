"""The ``changeflow`` Typer application: one thin command per engine operation.

Each command parses its arguments, calls :class:`changeflow.Engine` on the SQL store and
renders the result; the rules, the lifecycle and the audit trail live in the library.
"""

import json
import logging
import sys
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from changeflow import __version__
from changeflow.cli import render
from changeflow.cli.failures import CliError, ExitCode, Failure, refusal
from changeflow.cli.render import Output
from changeflow.cli.session import (
    Settings,
    database_label,
    guarded,
    open_engine,
    parse_date,
    parse_json_object,
    session,
    settings_of,
    sqlite_path,
)
from changeflow.errors import InvalidInput, TransitionRejected
from changeflow.models import Assessment, ChangeProject, Cohort, CohortParameters, Mentor
from changeflow.roster import enrol_roster, read_roster

__all__ = ["DEMO_URL", "PROGRESS_THRESHOLD", "ROSTER_HINT", "app"]

PROGRESS_THRESHOLD = 200
"""Bulk commands on at least this many participants show progress on stderr."""

ROSTER_HINT = (
    "a roster is a UTF-8 CSV file whose first line names the columns "
    "nip,name,office,echelon[,birth_date]"
)
"""The hint printed when a roster cannot be used at all."""

DEMO_URL = "sqlite:///changeflow-demo.db"
"""Where ``changeflow demo`` writes unless told otherwise."""

# Typer re-exports only BadParameter; its base is the class every argument-parsing error
# derives from (Click's UsageError, or the copy newer Typers vendor).
_USAGE_ERRORS: tuple[type[BaseException], ...] = tuple(typer.BadParameter.__mro__[1:2])
_JSON_META = "changeflow.json"


class _Commands(TyperGroup):
    """The root group: under ``--json`` a usage error also prints the JSON error document.

    Click reports a missing argument, an unknown option or a value of the wrong type on
    stderr and exits 2; with ``--json`` stdout must still carry one error document, as it
    does for every other error.
    """

    def make_context(
        self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any
    ) -> Any:
        """Parse the global options, remembering whether ``--json`` is on the command line."""
        wanted = "--json" in args
        try:
            ctx = super().make_context(info_name, args, parent, **extra)
        except _USAGE_ERRORS as exc:
            _usage_document(exc, wanted=wanted)
            raise
        ctx.meta[_JSON_META] = wanted
        return ctx

    def invoke(self, ctx: Any) -> Any:
        """Run the command; a usage error in its arguments gets the JSON document too."""
        try:
            return super().invoke(ctx)
        except _USAGE_ERRORS as exc:
            _usage_document(exc, wanted=bool(ctx.meta.get(_JSON_META)))
            raise


def _usage_document(exc: BaseException, *, wanted: bool) -> None:
    if not wanted:
        return
    failed = getattr(exc, "ctx", None)
    where = getattr(failed, "command_path", None) or "changeflow"
    message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
    status = getattr(exc, "exit_code", ExitCode.INPUT)
    failure = Failure(ExitCode(status), "usage", message, f"try '{where} --help'")
    # Click still prints the usage and the error on stderr; stdout gets the document only.
    Output(json_mode=True).document({"error": failure.to_dict()})


app = typer.Typer(
    name="changeflow",
    cls=_Commands,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    add_completion=False,
)
cohort_app = typer.Typer(help="Create and list cohorts (angkatan).", no_args_is_help=True)
app.add_typer(cohort_app, name="cohort")

JsonFlag = Annotated[
    bool, typer.Option("--json", help="Print one JSON document on stdout instead of text.")
]
CohortCode = Annotated[
    str, typer.Argument(metavar="CODE", help="The cohort's code, e.g. PKA-III-VII-2019.")
]
Nip = Annotated[str, typer.Argument(metavar="NIP", help="The participant's 18-digit NIP.")]
EventName = Annotated[
    str, typer.Argument(metavar="EVENT", help="A lifecycle event, e.g. start_class.")
]
Actor = Annotated[
    str | None, typer.Option("--actor", metavar="NAME", help="Who does it (recorded in the audit).")
]
Reason = Annotated[
    str | None, typer.Option("--reason", metavar="TEXT", help="Why (withdraw and drop need one).")
]
IdempotencyKey = Annotated[
    str | None,
    typer.Option("--key", metavar="KEY", help="Idempotency key: a retry does not repeat."),
]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"changeflow {__version__}")
        raise typer.Exit


@app.callback()
def _root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            metavar="URL",
            help="Database URL (default: $CHANGEFLOW_DB, else sqlite:///changeflow.db in the "
            "working directory).",
        ),
    ] = None,
    lock_timeout: Annotated[
        float,
        typer.Option(
            "--lock-timeout",
            metavar="SECONDS",
            help="Wait at most this long for the database's write lock (then exit 4).",
        ),
    ] = 5.0,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log each transition on stderr.")
    ] = False,
    _show_version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Run change-project (proyek perubahan) cohorts through their audited lifecycle.

    Exit status: 0 success; 1 broken audit chain (verify) or a failure that is not the
    user's; 2 unusable input or unknown name; 3 refused by the rules or illegal from the
    current state; 4 conflict, busy or unreachable database (retry). With --json, stdout
    carries exactly one JSON document; hints and errors go to stderr.
    """
    ctx.obj = Settings(db=db, lock_timeout=lock_timeout)
    if verbose:
        _log_to_stderr(ctx)


def _log_to_stderr(ctx: typer.Context) -> None:
    logger = logging.getLogger("changeflow")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)

    def restore() -> None:
        logger.removeHandler(handler)
        logger.setLevel(level)

    ctx.call_on_close(restore)


# -- database and cohorts -------------------------------------------------------------------


@app.command()
def init(ctx: typer.Context, json_output: JsonFlag = False) -> None:
    """Create the database schema, or upgrade it to this changeflow's revision."""
    out = Output(json_output)
    with session(ctx, out, create=True) as engine:
        from changeflow.store.sql import HEAD  # noqa: PLC0415 - already loaded by the store

        url = settings_of(ctx).url()
        cohorts = len(engine.cohorts())
    if out.json:
        out.document({"database": database_label(url), "revision": HEAD, "cohorts": cohorts})
    else:
        out.line(f"database ready: {database_label(url)} (schema {HEAD}, {cohorts} cohort(s))")


@cohort_app.command("create")
def cohort_create(
    ctx: typer.Context,
    code: CohortCode,
    name: Annotated[str, typer.Option("--name", help="The cohort's full name.")],
    start: Annotated[str, typer.Option("--start", metavar="YYYY-MM-DD", help="First day.")],
    end: Annotated[str, typer.Option("--end", metavar="YYYY-MM-DD", help="Last day.")],
    capacity: Annotated[int, typer.Option(help="Seats in the cohort.")] = 30,
    max_per_office: Annotated[int, typer.Option(help="Participants allowed per office.")] = 2,
    min_years_to_retirement: Annotated[
        int, typer.Option(help="Years a participant must have left before retirement.")
    ] = 4,
    retirement_age: Annotated[int, typer.Option(help="Default retirement age (BUP).")] = 58,
    organiser: Annotated[str | None, typer.Option(help="Who runs the course.")] = None,
    json_output: JsonFlag = False,
) -> None:
    """Create a cohort (angkatan) with its dates, seats and rule parameters."""
    out = Output(json_output)
    with session(ctx, out) as engine:
        cohort = engine.create_cohort(
            Cohort(
                code=code,
                name=name,
                organiser=organiser,
                start=parse_date(start, "--start"),
                end=parse_date(end, "--end"),
                capacity=capacity,
                parameters=CohortParameters(
                    max_per_office=max_per_office,
                    min_years_to_retirement=min_years_to_retirement,
                    retirement_age=retirement_age,
                ),
            )
        )
    if out.json:
        out.document({"cohort": cohort.model_dump(mode="json")})
    else:
        out.line(
            f"created cohort {cohort.code}: {cohort.name}, {cohort.start} to {cohort.end}, "
            f"{cohort.capacity} seats"
        )


@cohort_app.command("list")
def cohort_list(ctx: typer.Context, json_output: JsonFlag = False) -> None:
    """List the cohorts with their dates and headcounts."""
    out = Output(json_output)
    with session(ctx, out) as engine:
        listed = [(c, engine.status(c.code).total) for c in engine.cohorts()]
    if out.json:
        out.document(
            {
                "cohorts": [
                    {
                        "code": c.code,
                        "name": c.name,
                        "start": c.start.isoformat(),
                        "end": c.end.isoformat(),
                        "capacity": c.capacity,
                        "participants": total,
                    }
                    for c, total in listed
                ]
            }
        )
    elif not listed:
        out.line("no cohorts yet")
        out.hint("create one with `changeflow cohort create CODE --name ... --start ... --end ...`")
    else:
        render.table(
            ("code", "name", "start", "end", "participants"),
            ((c.code, c.name, c.start, c.end, f"{total}/{c.capacity}") for c, total in listed),
        )


# -- enrolment ------------------------------------------------------------------------------


@app.command()
def enrol(
    ctx: typer.Context,
    code: CohortCode,
    roster: Annotated[
        Path,
        typer.Option(
            "--csv",
            metavar="FILE",
            help="Roster: UTF-8 CSV with a header nip,name,office,echelon[,birth_date].",
        ),
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Judge every row but write nothing.")
    ] = False,
    actor: Actor = None,
    json_output: JsonFlag = False,
) -> None:
    """Enrol a roster row by row, in file order; refused rows are listed with their reasons.

    Exit 0 when every row was accepted (or was already enrolled), 3 when any row was
    refused, 2 when the roster cannot be used at all.
    """
    out = Output(json_output)
    with session(ctx, out) as engine:
        engine.cohort(code)
        try:
            rows = read_roster(roster, offices=engine.store.offices())
        except InvalidInput as unusable:
            raise CliError(str(unusable), hint=ROSTER_HINT) from None
        report = enrol_roster(engine, code, rows, actor=actor, dry_run=dry_run)
    if out.json:
        out.document(report.to_dict())
    else:
        render.roster_text(out, report)
    if not report.ok:
        out.hint("fix the refused rows and run the same roster again: enrolled rows are kept")
        raise typer.Exit(ExitCode.REFUSED)


# -- one participant ------------------------------------------------------------------------


@app.command()
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
    """Fire an event for one participant: 0 accepted, 3 refused (with every reason)."""
    out = Output(json_output)
    with session(ctx, out) as engine:
        payload = parse_json_object(data, "--data") if data is not None else None
        effective = parse_date(effective_date, "--effective-date") if effective_date else None
        try:
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
        except TransitionRejected as refused:
            _refused(out, refused)
    if out.json:
        out.document(entry.to_dict())
        return
    out.line(f"{entry.nip}: {entry.source} -> {entry.target} ({entry.event}), audit #{entry.seq}")
    if entry.data and "grade" in entry.data:
        out.line(f"grade: {entry.data.get('score')} {entry.data['grade']}")


def _refused(out: Output, refused: TransitionRejected) -> NoReturn:
    failure = refusal(refused)
    typer.echo(f"error: {refused.event!r} refused for {refused.nip} in {refused.cohort}", err=True)
    for violation in refused.violations:
        typer.echo(f"  {violation.code}: {violation.message}", err=True)
    if failure.hint:
        out.hint(failure.hint)
    if out.json:
        out.document(
            {
                "cohort": refused.cohort,
                "nip": refused.nip,
                "event": refused.event,
                "from": refused.state,
                "outcome": "refused",
                "violations": render.violations_json(refused.violations),
                "error": failure.to_dict(),
            }
        )
    raise typer.Exit(ExitCode.REFUSED)


@app.command()
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
        out.document(
            {
                "cohort": code,
                "nip": nip,
                "event": event,
                "state": state,
                "allowed": not violations,
                "violations": render.violations_json(violations),
            }
        )
    elif not violations:
        out.line(f"{event} would be accepted for {nip} (now {state})")
    else:
        out.line(f"{event} would be refused for {nip} (now {state}):")
        for violation in violations:
            out.line(f"  {violation.code}: {violation.message}")
    if violations:
        raise typer.Exit(ExitCode.REFUSED)


@app.command()
def events(
    ctx: typer.Context,
    code: CohortCode,
    nip: Nip,
    reason: Annotated[
        str | None,
        typer.Option(
            "--reason", metavar="TEXT", help="Judge with this reason (withdraw and drop need one)."
        ),
    ] = None,
    json_output: JsonFlag = False,
) -> None:
    """List the events that would be accepted for the participant now."""
    out = Output(json_output)
    with session(ctx, out) as engine:
        allowed = engine.available(code, nip, reason=reason)
        state = engine.state(code, nip)
    if out.json:
        out.document({"cohort": code, "nip": nip, "state": state, "events": list(allowed)})
        return
    out.line(f"{nip} is {state}; allowed now: {', '.join(allowed) or 'nothing'}")
    if reason is None:
        out.hint("events that need a reason (withdraw, drop) are listed only with --reason")


@app.command()
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
    json_output: JsonFlag = False,
) -> None:
    """Register (or replace) the participant's change project (proyek perubahan)."""
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
        engine.register_project(code, nip, registered)
    if out.json:
        out.document({"cohort": code, "nip": nip, "project": registered.model_dump(mode="json")})
        return
    out.line(f"{nip}: change project {registered.title!r} ({registered.theme}) registered")
    if registered.mentor is None:
        out.hint("a proposal needs a mentor: add --mentor NAME")


@app.command()
def assess(
    ctx: typer.Context,
    code: CohortCode,
    nip: Nip,
    score: Annotated[float, typer.Option("--score", help="A score from 0 to 100.")],
    component: Annotated[
        str, typer.Option("--component", help="The graded component.")
    ] = "overall",
    json_output: JsonFlag = False,
) -> None:
    """Record an assessment score; prints the grade band once every component is scored."""
    out = Output(json_output)
    with session(ctx, out) as engine:
        grade = engine.record_assessment(code, nip, Assessment(score=score, component=component))
        scheme = engine.cohort(code).parameters.grading
        missing = scheme.missing(engine.participant(code, nip).scores or {})
    if out.json:
        out.document(
            {
                "cohort": code,
                "nip": nip,
                "component": component,
                "score": score,
                "grade": grade.model_dump(mode="json") if grade else None,
                "missing": list(missing),
            }
        )
    elif grade is None:
        out.line(f"{nip}: {component} = {score:g}; grade pending, missing: {', '.join(missing)}")
    else:
        verdict = "passes" if grade.passed else "does not pass"
        out.line(f"{nip}: {component} = {score:g}; grade {grade.score:g} {grade.band} ({verdict})")


# -- the whole cohort -----------------------------------------------------------------------


@app.command()
def groups(
    ctx: typer.Context,
    code: CohortCode,
    count: Annotated[int, typer.Option("--count", min=1, help="How many groups.")] = 3,
    json_output: JsonFlag = False,
) -> None:
    """Split the seated participants into thematic groups (kelompok) by project theme."""
    out = Output(json_output)
    with session(ctx, out) as engine:
        formed = engine.form_groups(code, count)
    if out.json:
        out.document({"cohort": code, "groups": [g.model_dump(mode="json") for g in formed]})
    elif not formed:
        out.line(f"{code} has nobody to group")
    else:
        render.table(
            ("group", "themes", "members"),
            ((g.number, ", ".join(g.themes), len(g.members)) for g in formed),
        )


@app.command()
def advance(
    ctx: typer.Context,
    code: CohortCode,
    event: EventName,
    actor: Actor = None,
    reason: Reason = None,
    key: IdempotencyKey = None,
    json_output: JsonFlag = False,
) -> None:
    """Fire an event for everyone it applies to; 3 when anyone was refused."""
    out = Output(json_output)
    with session(ctx, out) as engine:
        members = engine.participants(code)
        with out.progress(
            f"{event}: {len(members)} participants of {code}",
            show=len(members) >= PROGRESS_THRESHOLD,
        ):
            report = engine.advance(code, event, actor=actor, reason=reason, key=key)
    if out.json:
        body = report.to_dict()
        out.document(
            {
                "cohort": code,
                "event": event,
                "accepted": body["accepted"],
                "refused": body["refused"],
                "skipped": body["skipped"],
            }
        )
    else:
        render.advance_text(report, {m.nip: m.participant.name for m in members})
    if not report.ok:
        raise typer.Exit(ExitCode.REFUSED)


@app.command()
def status(ctx: typer.Context, code: CohortCode, json_output: JsonFlag = False) -> None:
    """Show the participants of a cohort and the headcount per state."""
    out = Output(json_output)
    with session(ctx, out) as engine:
        counts = engine.status(code)
        members = engine.participants(code)
    if out.json:
        out.document(
            {
                "cohort": code,
                "participants": [
                    {
                        "nip": m.nip,
                        "name": m.participant.name,
                        "office": m.participant.office.code,
                        "office_name": m.participant.office.name,
                        "state": m.state,
                        "group": m.group,
                    }
                    for m in members
                ],
                "counts": dict(counts.by_state),
                "total": counts.total,
            }
        )
    else:
        render.status_text(counts, members)


@app.command()
def history(
    ctx: typer.Context,
    nip: Nip,
    cohort: Annotated[
        str | None, typer.Option("--cohort", metavar="CODE", help="Only this cohort.")
    ] = None,
    json_output: JsonFlag = False,
) -> None:
    """Show a participant's accepted transitions and refused attempts, oldest first."""
    out = Output(json_output)
    with session(ctx, out) as engine:
        if cohort is not None:
            engine.cohort(cohort)
        entries = engine.history(nip, cohort=cohort)
        if not entries:
            raise CliError(
                f"no history for {nip!r}" + (f" in {cohort}" if cohort else ""),
                hint="check the NIP; `changeflow status COHORT` lists the participants",
                kind="unknown_participant",
            )
    if out.json:
        out.document({"nip": nip, "history": [e.to_dict() for e in entries]})
    else:
        render.history_text(entries)


@app.command()
def verify(
    ctx: typer.Context,
    code: Annotated[
        str | None,
        typer.Argument(metavar="CODE", help="Only this cohort (default: every cohort)."),
    ] = None,
    json_output: JsonFlag = False,
) -> None:
    """Check the audit chain: 0 intact, 1 broken (naming the first bad row or the lost tail)."""
    out = Output(json_output)
    with session(ctx, out) as engine:
        checks = engine.verify(code)
    intact = all(c.ok for c in checks)
    if out.json:
        out.document({"ok": intact, "cohorts": [c.to_dict() for c in checks]})
    else:
        render.verify_text(out, checks)
    if not intact:
        out.hint("the audit trail was altered outside changeflow; restore it from a backup")
        raise typer.Exit(ExitCode.FAILED)


@app.command()
def export(
    ctx: typer.Context,
    code: CohortCode,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", metavar="FILE", help="Write to FILE, not stdout."),
    ] = None,
) -> None:
    """Print the cohort, its participants and its whole history as one JSON document."""
    out = Output(json_mode=True)
    with session(ctx, out) as engine:
        text = json.dumps(engine.export(code), indent=2, ensure_ascii=False)
        if output is None:
            typer.echo(text)
            return
        try:
            output.write_text(text + "\n", encoding="utf-8")
        except OSError as exc:
            raise CliError(f"cannot write {str(output)!r}: {exc.strerror or exc}") from None
    out.note(f"exported {code} to {output}")


class DiagramFormat(StrEnum):
    """The diagram formats."""

    MERMAID = "mermaid"
    DOT = "dot"


@app.command()
def diagram(
    ctx: typer.Context,
    fmt: Annotated[
        DiagramFormat, typer.Option("--format", help="Mermaid or Graphviz dot.")
    ] = DiagramFormat.MERMAID,
    cohort: Annotated[
        str | None,
        typer.Option("--cohort", metavar="CODE", help="Label each state with its headcount."),
    ] = None,
) -> None:
    """Print the lifecycle as a Mermaid or dot diagram."""
    from changeflow.states.default import DEFAULT_LIFECYCLE  # noqa: PLC0415
    from changeflow.states.diagram import render as draw  # noqa: PLC0415

    out = Output()
    if cohort is None:
        typer.echo(draw(DEFAULT_LIFECYCLE, fmt.value), nl=False)
        return
    with session(ctx, out) as engine:
        counts = dict(engine.status(cohort).by_state)
        typer.echo(draw(engine.lifecycle.definition, fmt.value, counts=counts), nl=False)


# -- the demo -------------------------------------------------------------------------------


@app.command()
def demo(
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            metavar="URL",
            help=f"SQLite file URL to (re)create (default: {DEMO_URL}); replaced if present.",
        ),
    ] = None,
) -> None:
    """Run the 2019 Probolinggo cohort end to end on a fresh SQLite file, then verify it."""
    from changeflow.clock import FixedClock  # noqa: PLC0415
    from changeflow.demo import COHORT, run  # noqa: PLC0415

    out = Output()
    url = db or DEMO_URL
    with guarded(out):
        path = sqlite_path(url)
        if path is None:
            raise CliError(
                f"the demo needs an SQLite file URL, not {url!r}",
                hint=f"e.g. --db {DEMO_URL}",
            )
        _remove_database(path)
        engine = open_engine(
            url, create=True, clock=FixedClock(datetime(2019, 4, 1, 8, tzinfo=UTC))
        )
        try:
            run(say=_say, engine=engine)
            counts, members = engine.status(COHORT.code), engine.participants(COHORT.code)
            checks = engine.verify(COHORT.code)
        finally:
            engine.store.close()
    out.line()
    render.status_text(counts, members)
    render.verify_text(out, checks)
    out.note(f"the demo database is {path}; try: changeflow --db {url} status {COHORT.code}")
    if not all(c.ok for c in checks):
        raise typer.Exit(ExitCode.FAILED)


def _say(text: str) -> None:
    typer.echo(text)


def _remove_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        candidate = path.with_name(path.name + suffix)
        try:
            candidate.unlink(missing_ok=True)
        except OSError as exc:
            raise CliError(f"cannot replace {str(candidate)!r}: {exc.strerror or exc}") from None
