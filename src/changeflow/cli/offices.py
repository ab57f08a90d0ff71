"""The office registry: ``office add``, ``list``, ``import``, ``close`` and ``open``."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from changeflow.cli import render
from changeflow.cli.failures import CliError, validation_message
from changeflow.cli.language import tr
from changeflow.cli.options import Actor, JsonFlag
from changeflow.cli.render import Output
from changeflow.cli.session import session
from changeflow.errors import InvalidInput
from changeflow.offices import OfficeConflict, OfficeIndex, RegisteredOffice, office_entry
from changeflow.roster import DEFAULT_MAX_BYTES, DEFAULT_MAX_ROWS, csv_records, decode, read_bounded

__all__ = [
    "IMPORT_HINT",
    "add",
    "alias",
    "close_registry",
    "import_offices",
    "list_offices",
    "office_app",
    "open_registry",
    "read_offices",
]

office_app = typer.Typer(
    help="The office registry (OPD): codes, names and aliases; closing the store to others.",
    no_args_is_help=True,
)

IMPORT_HINT = (
    "an office file is a UTF-8 CSV file whose first line names the columns code,name,aliases "
    "(aliases separated by | or ;)"
)
"""The hint printed when an office file cannot be used."""

_COLUMNS = ("code", "name", "aliases")


@contextmanager
def _refusing_conflicts() -> Iterator[None]:
    """An :class:`OfficeConflict` reported as ``office_conflict`` (exit 2), both offices named."""
    try:
        yield
    except OfficeConflict as conflict:
        raise CliError(
            str(conflict),
            hint=tr(
                "use {code} to mean that office, or choose another {what}; "
                "`changeflow office list` shows the registry",
                code=conflict.holder.code,
                what=conflict.what,
            ),
            kind="office_conflict",
        ) from None


@office_app.command("add")
def add(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(metavar="CODE", help="The office's code, e.g. DISDIK.")],
    name: Annotated[str, typer.Option("--name", help="The office's full name.")],
    alias: Annotated[
        list[str] | None,
        typer.Option("--alias", metavar="NAME", help="Another name for it; repeat for several."),
    ] = None,
    actor: Actor = None,
    json_output: JsonFlag = False,
) -> None:
    """Register an office with its aliases, or add aliases to a registered office.

    Nothing is overwritten: a code registered with another name, or a name or alias
    another office holds, is refused (exit 2, ``office_conflict``) naming both offices.
    """
    out = Output(json_output)
    with session(ctx, out) as engine, _refusing_conflicts():
        office = engine.add_office(code, name, aliases=alias or (), actor=actor)
    if out.json:
        out.document({"office": office.to_dict()})
    else:
        out.line(tr("office {code} ({name}){also}", code=office.code, name=office.name,
                    also=_also(office)))  # fmt: skip


@office_app.command("alias")
def alias(
    ctx: typer.Context,
    office: Annotated[
        str, typer.Argument(metavar="OFFICE", help="A registered office's code, name or alias.")
    ],
    aliases: Annotated[
        list[str], typer.Argument(metavar="ALIAS...", help="The other names to register.")
    ],
    actor: Actor = None,
    json_output: JsonFlag = False,
) -> None:
    """Give a registered office more aliases (exit 2 when another office holds one)."""
    out = Output(json_output)
    with session(ctx, out) as engine, _refusing_conflicts():
        found = OfficeIndex(engine.offices()).find(office)
        if found is None:
            raise CliError(
                tr("no registered office is called {office!r}", office=office),
                hint="`changeflow office list` shows the registry; register it with office add",
                kind="not_found",
            )
        updated = engine.add_office(found.code, found.name, aliases=aliases, actor=actor)
    if out.json:
        out.document({"office": updated.to_dict()})
    else:
        out.line(tr("office {code} ({name}){also}", code=updated.code, name=updated.name,
                    also=_also(updated)))  # fmt: skip


@office_app.command("list")
def list_offices(ctx: typer.Context, json_output: JsonFlag = False) -> None:
    """List the registered offices with their aliases, and whether the store is closed."""
    out = Output(json_output)
    with session(ctx, out) as engine:
        offices = engine.offices()
        closed = engine.offices_closed
    if out.json:
        out.document({"closed": closed, "offices": [o.to_dict() for o in offices]})
        return
    state = (
        tr("closed to unknown offices") if closed else tr("open (new offices are created on use)")
    )
    if not offices:
        out.line(tr("no offices registered; the store is {state}", state=state))
        return
    render.table(
        ("code", "name", "aliases", "added by", "added at"),
        (
            (
                o.code,
                o.name,
                ", ".join(o.aliases),
                o.added_by or "",
                "" if o.added_at is None else o.added_at.isoformat(timespec="seconds"),
            )
            for o in offices
        ),
        title=tr("{count} office(s); the store is {state}", count=len(offices), state=state),
    )


@office_app.command("import")
def import_offices(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(metavar="FILE", help="CSV with the columns code,name,aliases.")
    ],
    actor: Actor = None,
    json_output: JsonFlag = False,
) -> None:
    """Register every office of a CSV file (code,name,aliases), all or none.

    Aliases are separated by ``|`` or ``;``. A row already registered the same way changes
    nothing, so an import can be run again; any conflict refuses the whole file (exit 2).
    """
    out = Output(json_output)
    with session(ctx, out) as engine:
        rows = read_offices(file)
        before = {o.code for o in engine.offices()}
        with _refusing_conflicts():
            offices = engine.import_offices(rows, actor=actor)
    added = [o.code for o in offices if o.code not in before]
    if out.json:
        out.document({"added": added, "offices": [o.to_dict() for o in offices]})
    else:
        out.line(tr("{rows} row(s) read: {added} office(s) added, {total} in all",
                    rows=len(rows), added=len(added), total=len(offices)))  # fmt: skip


def read_offices(file: Path) -> list[dict[str, str]]:
    """The rows of an office CSV file; :class:`CliError` when the file is unusable."""
    try:
        text = decode(read_bounded(file, DEFAULT_MAX_BYTES, "office file"), file, "office file")
        header, records = csv_records(text, DEFAULT_MAX_ROWS, "office file")
    except InvalidInput as unusable:
        raise CliError(str(unusable), hint=IMPORT_HINT) from None
    columns = [cell.strip().casefold() for cell in header or ()]
    if columns[:2] != ["code", "name"] or not set(columns) <= set(_COLUMNS):
        raise CliError(
            tr("office file: line 1 is {header!r:.120}", header=header), hint=IMPORT_HINT
        )
    rows = []
    for line, cells in records:
        if len(cells) > len(columns):
            raise CliError(
                tr(
                    "office file: line {line}: expected {expected} fields, found {found}",
                    line=line,
                    expected=len(columns),
                    found=len(cells),
                ),
                hint=IMPORT_HINT,
            )
        row = dict(zip(columns, (cell.strip() for cell in cells), strict=False))
        try:
            office_entry(row)
        except (InvalidInput, ValidationError) as bad:
            problem = validation_message(bad) if isinstance(bad, ValidationError) else str(bad)
            raise CliError(
                tr("office file: line {line}: {problem}", line=line, problem=problem),
                hint=IMPORT_HINT,
            ) from None
        rows.append(row)
    return rows


@office_app.command("close")
def close_registry(ctx: typer.Context, actor: Actor = None, json_output: JsonFlag = False) -> None:
    """Refuse offices that are not registered (``unknown_office``, the nearest as a hint)."""
    _set_closed(ctx, actor, json_output, closed=True)


@office_app.command("open")
def open_registry(ctx: typer.Context, actor: Actor = None, json_output: JsonFlag = False) -> None:
    """Create an office on the first accepted use of a name nobody registered (the default)."""
    _set_closed(ctx, actor, json_output, closed=False)


def _set_closed(ctx: typer.Context, actor: str | None, json_output: bool, *, closed: bool) -> None:
    out = Output(json_output)
    with session(ctx, out) as engine:
        engine.close_offices(actor=actor, closed=closed)
    if out.json:
        out.document({"closed": closed})
    else:
        out.line(
            "the store is closed to unknown offices"
            if closed
            else "the store is open: new offices are created on first use"
        )


def _also(office: RegisteredOffice) -> str:
    if not office.aliases:
        return ""
    return tr(", also known as {aliases}", aliases=", ".join(office.aliases))
