"""The rule packs: ``changeflow rules list`` and ``changeflow rules show PACK``.

Neither opens a database: the packs are the ones this changeflow ships and those installed
packages register (entry-point group ``changeflow.rule_packs``). ``cohort create --rules``
resolves its pack here too.
"""

from typing import Annotated, Any

import typer

from changeflow.cli.language import tr
from changeflow.cli.options import JsonFlag
from changeflow.cli.render import Output, table
from changeflow.cli.session import guarded
from changeflow.rules.packs import RulePack, RulePackRegistry, parse_pack_spec

__all__ = ["pack_document", "resolve_pack", "rules_app", "rules_list", "rules_show"]

rules_app = typer.Typer(
    help="List and show the rule packs (one per regulation regime) cohorts are judged by.",
    no_args_is_help=True,
)


def resolve_pack(spec: str, version: str | None = None) -> RulePack:
    """The pack ``PACK`` or ``PACK@VERSION`` (``version`` wins when given).

    An unknown pack or version raises :class:`~changeflow.errors.UnknownRulePack`, which
    the CLI reports with exit status 2, naming the known packs.
    """
    pack, pinned = parse_pack_spec(spec)
    return RulePackRegistry.default().pack(pack, version or pinned)


def pack_document(pack: RulePack) -> dict[str, Any]:
    """A pack as JSON: its labels, capacity, parameters, each rule's citation, its sources."""
    parameters = pack.parameters.model_dump(
        mode="json", exclude={"citations", "rule_pack", "rule_pack_version"}
    )
    return {
        "id": pack.id,
        "version": pack.version,
        "title": pack.title,
        "regime": pack.regime,
        "capacity": pack.capacity,
        "parameters": parameters,
        "citations": {
            code: {"basis": cited.basis, "text": cited.text, "source": pack.parameters.source(code)}
            for code, cited in pack.parameters.citations
        },
        "sources": [source.model_dump(mode="json") for source in pack.sources],
    }


@rules_app.command("list")
def rules_list(json_output: JsonFlag = False) -> None:
    """List the rule packs: id, version, cohort capacity, and what each is for."""
    out = Output(json_output)
    with guarded(out):
        packs = list(RulePackRegistry.default())
    if out.json:
        out.document(
            {
                "packs": [
                    {"id": p.id, "version": p.version, "title": p.title, "capacity": p.capacity}
                    for p in packs
                ]
            }
        )
        return
    table(
        ("pack", "version", "capacity", "title"),
        ((p.id, p.version, p.capacity, p.title) for p in packs),
    )
    out.hint("`changeflow rules show PACK` prints a pack's parameters and citations")


@rules_app.command("show")
def rules_show(
    pack: Annotated[str, typer.Argument(metavar="PACK", help="A rule pack's id, or PACK@VERSION.")],
    version: Annotated[
        str | None,
        typer.Option("--version", metavar="V", help="This version (default: the latest)."),
    ] = None,
    json_output: JsonFlag = False,
) -> None:
    """Show a rule pack: its parameters and the citation each rule rests on (law or practice)."""
    out = Output(json_output)
    with guarded(out):
        found = resolve_pack(pack, version)
    if out.json:
        out.document({"pack": pack_document(found)})
        return
    _show_text(out, found)


def _show_text(out: Output, pack: RulePack) -> None:
    parameters = pack.parameters
    out.line(tr("{id} v{version}: {title}", id=pack.id, version=pack.version, title=pack.title))
    out.line(tr("  regime: {regime}", regime=pack.regime))
    out.line(
        tr(
            "  seats: {seats}, at most {most} per office",
            seats=pack.capacity,
            most=parameters.max_per_office,
        )
    )
    out.line(
        tr(
            "  retirement: at {age}, more than {years} year(s) after the start",
            age=parameters.retirement_age,
            years=parameters.min_years_to_retirement,
        )
    )
    out.line(tr("  eligible ranks: {ranks}", ranks=", ".join(sorted(parameters.eligible_ranks))))
    bands = ", ".join(f"{b.name} > {b.above:g}" for b in parameters.grading.bands)
    out.line(
        tr(
            "  grading: {bands}; otherwise {failing}",
            bands=bands,
            failing=parameters.grading.failing_band,
        )
    )
    calendar = parameters.calendar
    out.line(
        tr(
            "  calendar: {on_class} working days on class, laboratory at least {laboratory} "
            "days, attendance at least {attendance:.0%}",
            on_class=calendar.on_class_working_days,
            laboratory=calendar.laboratory_min_days,
            attendance=calendar.attendance_minimum,
        )
    )
    table(
        ("rule", "basis", "citation"),
        ((code, cited.basis, cited.text) for code, cited in parameters.citations),
        title="citations:",
    )
    for source in pack.sources:
        out.line(
            tr(
                "  read: {title} <{address}>: {read}",
                title=source.title,
                address=source.address,
                read=source.read,
            )
        )
