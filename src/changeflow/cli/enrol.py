"""``changeflow enrol``: a roster, row by row in file order."""

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer

from changeflow.cli import documents, render
from changeflow.cli.failures import CliError, ExitCode
from changeflow.cli.language import tr
from changeflow.cli.options import Actor, CohortCode, JsonFlag
from changeflow.cli.progress import Progress
from changeflow.cli.render import Output
from changeflow.cli.session import guarded, session
from changeflow.cli.tables import (
    EncodingOption,
    SheetOption,
    XlsxOption,
    choose_file,
    unusable_hint,
)
from changeflow.errors import InvalidInput
from changeflow.models import Office
from changeflow.offices import new_offices
from changeflow.roster import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_ROWS,
    RosterReport,
    RosterRow,
    enrol_roster,
    read_roster,
)

__all__ = ["LIMIT_HINT", "ROSTER_HINT", "enrol"]

ROSTER_HINT = (
    "a roster is a CSV file (UTF-8 or Windows-1252; comma, semicolon or tab) or an .xlsx "
    "sheet whose header names the columns nip,name,office,echelon[,birth_date] "
    "(or NIP,Nama,Unit Kerja,Eselon[,Tanggal Lahir])"
)
"""The hint printed when a roster cannot be used at all."""

LIMIT_HINT = "split the roster, or allow more with --max-bytes N or --max-rows N"
"""The hint printed when a roster is past one of its caps."""


def enrol(
    ctx: typer.Context,
    code: CohortCode,
    roster: Annotated[
        Path | None,
        typer.Option(
            "--csv",
            metavar="FILE",
            help="Roster as CSV with a header nip,name,office,echelon[,birth_date] "
            "(or NIP;Nama;Unit Kerja;Eselon;Tanggal Lahir).",
        ),
    ] = None,
    workbook: XlsxOption = None,
    sheet: SheetOption = None,
    encoding: EncodingOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Judge every row but write nothing.")
    ] = False,
    max_bytes: Annotated[
        int,
        typer.Option(
            "--max-bytes",
            metavar="N",
            min=1,
            help="Refuse a roster larger than N bytes (exit 2).",
        ),
    ] = DEFAULT_MAX_BYTES,
    max_rows: Annotated[
        int,
        typer.Option(
            "--max-rows",
            metavar="N",
            min=1,
            help="Refuse a roster of more than N rows after the header (exit 2).",
        ),
    ] = DEFAULT_MAX_ROWS,
    batch_size: Annotated[
        int | None,
        typer.Option(
            "--batch-size",
            metavar="N",
            min=1,
            help="Commit every N rows (default: the whole roster in one transaction).",
        ),
    ] = None,
    actor: Actor = None,
    json_output: JsonFlag = False,
) -> None:
    """Enrol a roster row by row, in file order; refused rows are listed with their reasons.

    Every row is judged by the rules on its own, in file order; the rows are written in one
    transaction (or one per --batch-size rows), so an interruption leaves none or all of a
    batch and running the same roster again completes it.

    Exit 0 when every row was accepted (or was already enrolled), 3 when any row was
    refused, 2 when the roster cannot be used at all (unreadable, in no known encoding, a
    bad header or broken quoting, a workbook that does not open, or past --max-bytes /
    --max-rows).
    """
    out = Output(json_output)
    with guarded(out):  # a wrong mix of options, or no openpyxl, before opening the database
        path, xlsx = choose_file(roster, workbook, sheet, encoding, ROSTER_HINT)
    with session(ctx, out) as engine:
        engine.cohort(code)
        try:
            rows = read_roster(
                path,
                offices=engine.offices(),
                max_bytes=max_bytes,
                max_rows=max_rows,
                xlsx=xlsx,
                sheet=sheet,
                encoding=encoding,
            )
        except InvalidInput as unusable:
            raise CliError(
                str(unusable), hint=unusable_hint(unusable, ROSTER_HINT, LIMIT_HINT)
            ) from None
        with Progress(tr("enrolling {code}", code=code), len(rows)) as progress:
            report = enrol_roster(
                engine,
                code,
                rows,
                actor=actor,
                dry_run=dry_run,
                batch_size=batch_size,
                on_row=lambda _outcome: progress.advance(),
            )
        fresh = _new_offices(rows, report, engine.offices()) if dry_run else None
    if out.json:
        document = documents.roster(report)
        if fresh is not None:
            document["new_offices"] = [{"code": o.code, "name": o.name} for o in fresh]
        out.document(document)
    else:
        render.roster_text(out, report)
        if fresh:
            out.line(tr("would create {count} office(s):", count=len(fresh)))
            for office in fresh:
                out.line(f"  {office.code}  {office.name}")
    if not report.ok:
        out.hint("fix the refused rows and run the same roster again: enrolled rows are kept")
        raise typer.Exit(ExitCode.REFUSED)


def _new_offices(
    rows: Sequence[RosterRow], report: RosterReport, known: Sequence[Office]
) -> list[Office]:
    """The offices the rows a dry run would accept name and the registry lacks."""
    accepted = {outcome.line for outcome in report.accepted}
    placed = (r.participant.office for r in rows if r.participant and r.line in accepted)
    return new_offices(placed, known)
