"""The file form of ``project`` and ``assess``: a projects or scores file, row by row.

Read by :func:`changeflow.bulk.read_bulk`, applied by :func:`changeflow.bulk.apply_rows`
in one batch; reported like a roster (each row accepted, unchanged or refused with its line
and violations; a JSON document under ``--json``). Exit 3 when any row was refused, 2 when
the file cannot be used at all.
"""

from pathlib import Path

import typer

from changeflow.bulk import BulkKind, BulkReport, apply_rows, read_bulk
from changeflow.cli.failures import CliError, ExitCode
from changeflow.cli.language import current, tr
from changeflow.cli.progress import Progress
from changeflow.cli.render import Output
from changeflow.cli.session import session
from changeflow.cli.tables import unusable_hint
from changeflow.errors import InvalidInput
from changeflow.models import Assessment, ChangeProject

__all__ = ["LIMIT_HINT", "PROJECTS_HINT", "SCORES_HINT", "apply_file", "bulk_text"]

PROJECTS_HINT = (
    "a projects file is CSV or an .xlsx sheet whose header names the columns "
    "nip,title,theme[,mentor_name,mentor_nip,mentor_position] "
    "(or NIP,Judul,Tema,Nama Mentor,NIP Mentor,Jabatan Mentor)"
)
"""The hint printed when a projects file cannot be used at all."""

SCORES_HINT = (
    "a scores file is CSV or an .xlsx sheet whose header names the columns "
    "nip,score[,component] (or NIP,Nilai,Komponen)"
)
"""The hint printed when a scores file cannot be used at all."""

LIMIT_HINT = "split the file, or allow more"
"""The hint printed when a file is past one of its caps."""


def apply_file(
    ctx: typer.Context,
    out: Output,
    code: str,
    kind: BulkKind,
    path: Path,
    *,
    xlsx: bool,
    sheet: str | None,
    encoding: str | None,
    actor: str | None,
    reason: str | None,
    dry_run: bool,
) -> None:
    """Read the file, apply its rows to cohort ``code`` and report them."""
    usage = PROJECTS_HINT if kind == "projects" else SCORES_HINT
    with session(ctx, out) as engine:
        engine.cohort(code)
        try:
            rows = read_bulk(path, kind, xlsx=xlsx, sheet=sheet, encoding=encoding)
        except InvalidInput as unusable:
            raise CliError(str(unusable), hint=unusable_hint(unusable, usage, LIMIT_HINT)) from None
        with Progress(
            tr("applying {file} to {code}", file=path.name, code=code), len(rows)
        ) as progress:
            report = apply_rows(
                engine,
                code,
                kind,
                rows,
                actor=actor,
                reason=reason,
                dry_run=dry_run,
                on_row=lambda _outcome: progress.advance(),
            )
    if out.json:
        out.document(report.to_dict())
    else:
        bulk_text(out, report)
    if not report.ok:
        out.hint("fix the refused rows and run the same file again: applied rows are kept")
        raise typer.Exit(ExitCode.REFUSED)


def bulk_text(out: Output, report: BulkReport) -> None:
    """The file's outcome row by row, then a summary line."""
    labels = {"accepted": tr("accepted"), "unchanged": tr("unchanged"), "refused": tr("REFUSED")}
    if report.dry_run:
        labels.update(accepted=tr("would be accepted"), refused=tr("WOULD BE REFUSED"))
    for row in report.outcomes:
        what = _what(row.value)
        if row.grade is not None:
            what += " " + tr("(grade {band})", band=row.grade)
        who = f"{row.nip or tr('(no NIP)')}  {what}"
        out.line(
            tr("line {line:<4} {label:<18} {who}", line=row.line, label=labels[row.status], who=who)
        )
        for violation in row.violations:
            out.line(f"{'':10}{violation.code}: {violation.text(current())}")
    summary = tr(
        "{command}: {accepted} accepted, {unchanged} unchanged, {refused} refused",
        command=report.command,
        accepted=len(report.accepted),
        unchanged=len(report.unchanged),
        refused=len(report.refused),
    )
    out.line(summary + (tr(" (dry run: nothing was written)") if report.dry_run else ""))


def _what(value: object) -> str:
    if isinstance(value, Assessment):
        return f"{value.component} = {value.score:g}"
    if isinstance(value, ChangeProject):
        return repr(value.title)
    return ""
