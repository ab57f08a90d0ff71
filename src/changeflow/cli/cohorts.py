"""The database and cohorts: ``init``, ``cohort create``, ``list``, ``show`` and ``migrate``."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from changeflow.cli import documents, render
from changeflow.cli.failures import CliError
from changeflow.cli.options import (
    Actor,
    CohortCode,
    IdempotencyKey,
    JsonFlag,
    Reason,
    parse_date,
    parse_state_map,
)
from changeflow.cli.render import Output
from changeflow.cli.rules import resolve_pack
from changeflow.cli.session import database_label, session, settings_of
from changeflow.models import Cohort, CohortParameters
from changeflow.states.definition import LifecycleDefinition, load_definition

if TYPE_CHECKING:
    from changeflow.engine import Engine
    from changeflow.records import LifecycleRef

__all__ = ["cohort_app", "cohort_create", "cohort_list", "cohort_migrate", "cohort_show", "init"]

cohort_app = typer.Typer(
    help="Create, list, show and migrate cohorts (angkatan).", no_args_is_help=True
)

LifecycleFile = Annotated[
    Path,
    typer.Option(
        "--lifecycle",
        metavar="FILE",
        help="A lifecycle definition: a TOML, YAML or JSON file.",
    ),
]


def _definition(engine: "Engine", path: Path) -> LifecycleDefinition:
    """The definition in ``path``, checked against the engine's rules (every problem at once)."""
    return load_definition(path, engine.rules)


def init(
    ctx: typer.Context,
    closed_offices: Annotated[
        bool,
        typer.Option(
            "--closed-offices",
            help="Refuse offices that are not registered (see `changeflow office`); needs --actor.",
        ),
    ] = False,
    actor: Annotated[
        str | None,
        typer.Option("--actor", metavar="ID", envvar="CHANGEFLOW_ACTOR", help="Who closes it."),
    ] = None,
    json_output: JsonFlag = False,
) -> None:
    """Create the database schema, or upgrade it to this changeflow's revision.

    The one command that writes a schema: every other command refuses a database without
    one, or with an older one, untouched (exit 2). Back the database up before upgrading.
    """
    out = Output(json_output)
    if closed_offices and not (actor or "").strip():
        raise typer.BadParameter("--closed-offices needs --actor ID", param_hint="'--actor'")
    with session(ctx, out, create=True) as engine:
        from changeflow.store.sql import HEAD  # noqa: PLC0415 - already loaded by the store

        if closed_offices:
            engine.close_offices(actor=actor)
        url = settings_of(ctx).url()
        count = len(engine.cohorts())
        found = getattr(engine.store, "upgraded_from", None)
        schema = getattr(engine.store, "schema", None)
        closed = engine.offices_closed
    upgraded = None if found in (None, "(empty)") else found
    if out.json:
        document = documents.database(database_label(url), HEAD, count)
        out.document(
            {
                **document,
                "upgraded_from": upgraded,
                "schema": schema,
                "offices_closed": closed,
            }
        )
        return
    where = f" in schema {schema!r}" if schema else ""
    how = f", upgraded from {upgraded}" if upgraded else ""
    out.line(
        f"database ready: {database_label(url)}{where} (schema {HEAD}{how}, {count} cohort(s))"
    )
    if closed_offices:
        out.line("closed to unknown offices: register them with `changeflow office add`")


@cohort_app.command("create")
def cohort_create(
    ctx: typer.Context,
    code: CohortCode,
    name: Annotated[str, typer.Option("--name", help="The cohort's full name.")],
    start: Annotated[str, typer.Option("--start", metavar="YYYY-MM-DD", help="First day.")],
    end: Annotated[str, typer.Option("--end", metavar="YYYY-MM-DD", help="Last day.")],
    capacity: Annotated[int | None, typer.Option(help="Seats in the cohort (30).")] = None,
    max_per_office: Annotated[
        int | None, typer.Option(help="Participants allowed per office (2).")
    ] = None,
    min_years_to_retirement: Annotated[
        int | None, typer.Option(help="Years a participant must have left before retirement (4).")
    ] = None,
    retirement_age: Annotated[
        int | None, typer.Option(help="Default retirement age, BUP (58).")
    ] = None,
    rules_pack: Annotated[
        str | None,
        typer.Option(
            "--rules",
            metavar="PACK[@VERSION]",
            help="Judge the cohort by this rule pack (its latest version unless given): its "
            "capacity, parameters and citations. See `changeflow rules list`.",
        ),
    ] = None,
    organiser: Annotated[str | None, typer.Option(help="Who runs the course.")] = None,
    lifecycle: Annotated[
        Path | None,
        typer.Option(
            "--lifecycle",
            metavar="FILE",
            help="Run the cohort on this lifecycle (TOML, YAML or JSON; default: the "
            "change-project lifecycle).",
        ),
    ] = None,
    actor: Actor = None,
    reason: Reason = None,
    json_output: JsonFlag = False,
) -> None:
    """Create a cohort (angkatan) with its dates, seats, rule parameters and lifecycle.

    The cohort keeps its lifecycle: every later command runs the definition stored with it.
    With ``--rules`` it takes the pack's capacity, parameters and citations, and keeps that
    version of the pack.
    """
    out = Output(json_output)
    limits = {
        "capacity": capacity,
        "max_per_office": max_per_office,
        "min_years_to_retirement": min_years_to_retirement,
        "retirement_age": retirement_age,
    }
    with session(ctx, out) as engine:
        dates = {"start": parse_date(start, "--start"), "end": parse_date(end, "--end")}
        if rules_pack is None:
            cohort = _cohort_without_pack(code, name, organiser, dates, limits)
        else:
            cohort = _cohort_on_pack(code, name, organiser, dates, limits, rules_pack)
        definition = None if lifecycle is None else _definition(engine, lifecycle)
        created = engine.create_cohort(cohort, lifecycle=definition, actor=actor, reason=reason)
        pinned = engine.pinned(created.code)
    if out.json:
        out.document(documents.cohort(created, pinned))
        return
    out.line(
        f"created cohort {created.code}: {created.name}, {created.start} to {created.end}, "
        f"{created.capacity} seats"
        + ("" if pinned is None else f", lifecycle {pinned.name} {pinned.version}")
    )


def _cohort_without_pack(
    code: str, name: str, organiser: str | None, dates: dict[str, Any], limits: dict[str, Any]
) -> Cohort:
    given = {option: value for option, value in limits.items() if value is not None}
    capacity = given.pop("capacity", 30)
    return Cohort(
        code=code,
        name=name,
        organiser=organiser,
        capacity=capacity,
        parameters=CohortParameters(**given),
        **dates,
    )


def _cohort_on_pack(
    code: str,
    name: str,
    organiser: str | None,
    dates: dict[str, Any],
    limits: dict[str, Any],
    spec: str,
) -> Cohort:
    # A pack's figures are what its citations speak of: changing one under the pack's name
    # would make every refusal cite a rule the cohort does not run.
    given = [
        f"--{option.replace('_', '-')}" for option, value in limits.items() if value is not None
    ]
    if given:
        raise CliError(
            f"--rules {spec} sets the cohort's figures; {', '.join(given)} cannot change them",
            hint="leave them out, or create the cohort without --rules to set your own",
        )
    return resolve_pack(spec).cohort(code=code, name=name, organiser=organiser, **dates)


@cohort_app.command("list")
def cohort_list(ctx: typer.Context, json_output: JsonFlag = False) -> None:
    """List the cohorts with their dates, headcounts and lifecycles."""
    out = Output(json_output)
    with session(ctx, out) as engine:
        listed = [(c, engine.status(c.code).total, engine.pinned(c.code)) for c in engine.cohorts()]
    if out.json:
        out.document(documents.cohorts(listed))
    elif not listed:
        out.line("no cohorts yet")
        out.hint("create one with `changeflow cohort create CODE --name ... --start ... --end ...`")
    else:
        render.table(
            ("code", "name", "start", "end", "participants", "lifecycle"),
            (
                (c.code, c.name, c.start, c.end, f"{total}/{c.capacity}", _lifecycle_label(ref))
                for c, total, ref in listed
            ),
        )


def _lifecycle_label(ref: "LifecycleRef | None") -> str:
    return "(none: migrate it)" if ref is None else f"{ref.name} {ref.version}"


@cohort_app.command("show")
def cohort_show(ctx: typer.Context, code: CohortCode, json_output: JsonFlag = False) -> None:
    """Show a cohort: dates, seats, rule parameters, its lifecycle and its rule pack."""
    out = Output(json_output)
    with session(ctx, out) as engine:
        cohort = engine.cohort(code)
        pinned = engine.pinned(code)
    if out.json:
        out.document(documents.cohort(cohort, pinned))
        return
    parameters = cohort.parameters
    out.line(f"{cohort.code}: {cohort.name}")
    if cohort.organiser:
        out.line(f"  organiser: {cohort.organiser}")
    out.line(f"  dates: {cohort.start} to {cohort.end}")
    out.line(f"  seats: {cohort.capacity}, at most {parameters.max_per_office} per office")
    out.line(
        f"  retirement: at {parameters.retirement_age}, at least "
        f"{parameters.min_years_to_retirement} year(s) after the start"
    )
    out.line(f"  eligible ranks: {', '.join(sorted(parameters.eligible_ranks))}")
    if pinned is None:
        out.line("  lifecycle: none (the cohort predates stored lifecycles)")
        out.hint(f"pin it to its lifecycle: `changeflow cohort migrate {code} --lifecycle FILE`")
    else:
        out.line(f"  lifecycle: {pinned.name} {pinned.version} (sha256 {pinned.sha256})")
    out.line(f"  rule pack: {parameters.rule_pack} {parameters.rule_pack_version}")


@cohort_app.command("migrate")
def cohort_migrate(
    ctx: typer.Context,
    code: CohortCode,
    lifecycle: LifecycleFile,
    state_map: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            metavar="OLD=NEW",
            help="Map a state to one of the new lifecycle (repeat it); a state both have "
            "maps to itself.",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the plan but write nothing.")
    ] = False,
    actor: Actor = None,
    reason: Reason = None,
    key: IdempotencyKey = None,
    json_output: JsonFlag = False,
) -> None:
    """Move a cohort to another lifecycle, mapping every participant's state.

    Prints the plan: every participant's state before and after. Exit 3 (nothing written)
    when a state has no mapping or maps to a state the new lifecycle lacks.
    """
    out = Output(json_output)
    with session(ctx, out) as engine:
        mapping = parse_state_map(state_map, "--map")
        engine.cohort(code)
        definition = _definition(engine, lifecycle)
        plan = engine.migrate(
            code, definition, mapping, actor=actor, reason=reason, key=key, dry_run=dry_run
        )
    if out.json:
        out.document(documents.migration(plan))
    else:
        render.migration_text(out, plan)
