"""``changeflow enrol``: a roster, row by row in file order."""

from pathlib import Path
from typing import Annotated

import typer

from changeflow.cli import documents, render
from changeflow.cli.failures import CliError, ExitCode
from changeflow.cli.options import Actor, CohortCode, JsonFlag
from changeflow.cli.render import Output
from changeflow.cli.session import session
from changeflow.errors import InvalidInput
from changeflow.roster import enrol_roster, read_roster

__all__ = ["ROSTER_HINT", "enrol"]

ROSTER_HINT = (
    "a roster is a UTF-8 CSV file whose first line names the columns "
    "nip,name,office,echelon[,birth_date]"
)
"""The hint printed when a roster cannot be used at all."""


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
            rows = read_roster(roster, offices=engine.offices())
        except InvalidInput as unusable:
            raise CliError(str(unusable), hint=ROSTER_HINT) from None
        report = enrol_roster(engine, code, rows, actor=actor, dry_run=dry_run)
    if out.json:
        out.document(documents.roster(report))
    else:
        render.roster_text(out, report)
    if not report.ok:
        out.hint("fix the refused rows and run the same roster again: enrolled rows are kept")
        raise typer.Exit(ExitCode.REFUSED)
