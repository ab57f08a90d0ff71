"""The options every command reading an HR office's table shares: the file and how to read it.

``--csv FILE`` or ``--xlsx FILE`` (one of them), ``--sheet NAME`` for a workbook and
``--encoding ENC`` for CSV; see :mod:`changeflow.sheets` for what is read and how.
"""

from pathlib import Path
from typing import Annotated

import typer

from changeflow.cli.failures import CliError
from changeflow.errors import InvalidInput
from changeflow.sheets import XLSX_HINT, TooLarge, XlsxUnavailable, require_openpyxl

__all__ = [
    "CsvOption",
    "EncodingOption",
    "SheetOption",
    "XlsxOption",
    "choose_file",
    "unusable_hint",
]

CsvOption = Annotated[
    Path | None,
    typer.Option(
        "--csv",
        metavar="FILE",
        help="A CSV file (UTF-8 or Windows-1252; comma, semicolon or tab), header first.",
    ),
]
XlsxOption = Annotated[
    Path | None,
    typer.Option(
        "--xlsx",
        metavar="FILE",
        help="An Excel workbook: its first sheet, or --sheet (needs the xlsx extra).",
    ),
]
SheetOption = Annotated[
    str | None,
    typer.Option("--sheet", metavar="NAME", help="The workbook's sheet to read (with --xlsx)."),
]
EncodingOption = Annotated[
    str | None,
    typer.Option(
        "--encoding",
        metavar="ENC",
        help="The CSV file's encoding (default: UTF-8, else Windows-1252).",
    ),
]


def choose_file(
    csv_file: Path | None,
    xlsx_file: Path | None,
    sheet: str | None,
    encoding: str | None,
    hint: str,
) -> tuple[Path, bool]:
    """The file to read and whether it is a workbook; :class:`CliError` on a wrong mix.

    A workbook needs openpyxl: without it the error says how to install the extra.
    """
    if xlsx_file is None:
        if csv_file is None:
            raise CliError("give the file with --csv FILE or --xlsx FILE", hint=hint, kind="usage")
        if sheet is not None:
            raise CliError(
                "--sheet reads a workbook: give the file with --xlsx", hint=hint, kind="usage"
            )
        return csv_file, False
    if csv_file is not None:
        raise CliError(
            "give one file: --csv FILE or --xlsx FILE, not both", hint=hint, kind="usage"
        )
    if encoding is not None:
        raise CliError("--encoding reads CSV: a workbook names its own", hint=hint, kind="usage")
    try:
        require_openpyxl()
    except XlsxUnavailable as missing:
        raise CliError(str(missing), hint=XLSX_HINT) from None
    return xlsx_file, True


def unusable_hint(unusable: InvalidInput, usage: str, limit: str) -> str:
    """The hint for a file that cannot be used: ``limit`` past a cap, else ``usage``."""
    return limit if isinstance(unusable, TooLarge) else usage
