"""The civil servant's identity number, NIP (Nomor Induk Pegawai).

A NIP has 18 digits: birth date ``YYYYMMDD``, appointment month ``YYYYMM``, a sex digit
(``1`` male, ``2`` female) and a three-digit sequence, e.g. ``197003152000031004``.
The spaces NIPs are often printed with (``19700315 200003 1 004``) and surrounding white
space are removed; any other character, an invisible separator above all, is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator

from changeflow.characters import describe

__all__ = [
    "NIP_SHAPE",
    "TEXT_COLUMN_HINT",
    "Nip",
    "NipParts",
    "nip_cell",
    "normalise_nip",
    "parse_nip",
]

NIP_SHAPE = re.compile(r"[0-9]{18}")  # ASCII only: ``\d`` also matches non-ASCII digits
"""What every valid NIP looks like once normalised: 18 ASCII digits (use ``fullmatch``)."""
_SEXES = {"1": "male", "2": "female"}
_DIGITS = frozenset("0123456789")
_NUMBER_SHAPED = re.compile(r"[0-9]+(?:[.,][0-9]*)?(?:[eE][+-]?[0-9]+)|[0-9]+[.,][0-9]*")

TEXT_COLUMN_HINT = (
    "format the NIP column as Text before typing or pasting the NIPs (or write each with a "
    "leading apostrophe, '197003152000031004)"
)
"""How to keep a spreadsheet from turning NIPs into numbers."""


@dataclass(frozen=True, slots=True)
class NipParts:
    """The facts a valid NIP encodes."""

    birth_date: date
    appointed: tuple[int, int]
    """Year and month of appointment as a civil servant (CPNS)."""
    sex: str
    sequence: int


def normalise_nip(value: object) -> object:
    r"""Trim surrounding white space and remove the spaces NIPs are printed with.

    Only plain spaces are removed inside: any other character there (a tab, an em space, a
    file separator, a zero-width space) is left for validation to refuse, not silently
    dropped.

    >>> normalise_nip(" 19700315 200003 1 004\n")
    '197003152000031004'
    """
    if isinstance(value, str):
        return value.strip().replace(" ", "")
    return value


def nip_cell(value: object) -> str:
    """A NIP cell of a spreadsheet or CSV file, normalised; ``ValueError`` if Excel mangled it.

    A leading apostrophe (Excel's mark for "this is text") is stripped. A number cell, or
    text shaped like one (``1.98109E+17``, ``197003152000031000.0``), is refused with
    :data:`TEXT_COLUMN_HINT`: a spreadsheet keeps 15 significant digits, so the last digits
    of an 18-digit NIP are already lost and cannot be guessed back.

    >>> nip_cell("'19700315 200003 1 004")
    '197003152000031004'
    >>> try:
    ...     nip_cell("1.97003E+17")
    ... except ValueError as mangled:
    ...     print(str(mangled)[:56])
    NIP '1.97003E+17' was turned into a number by a spreadsh
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(_mangled(format(value, ".15g")))
    written = value if isinstance(value, str) else ("" if value is None else str(value))
    text = str(normalise_nip(written))
    if _NUMBER_SHAPED.fullmatch(text):
        raise ValueError(_mangled(text))
    return text.removeprefix("'")


def _mangled(shown: str) -> str:
    return (
        f"NIP {shown!r} was turned into a number by a spreadsheet, which keeps only 15 of "
        f"its 18 digits: {TEXT_COLUMN_HINT}"
    )


def parse_nip(nip: str) -> NipParts:
    """Decode a NIP, raising ``ValueError`` with a precise reason when it is malformed.

    >>> parse_nip("197003152000031004").birth_date
    datetime.date(1970, 3, 15)
    """
    if not NIP_SHAPE.fullmatch(nip):
        odd = next((at for at, char in enumerate(nip) if char not in _DIGITS), None)
        if odd is not None:
            raise ValueError(f"NIP must be exactly 18 digits, found {describe(nip[odd])} at {odd}")
        raise ValueError(f"NIP must be exactly 18 digits, got {len(nip)} character(s)")
    try:
        born = date(int(nip[0:4]), int(nip[4:6]), int(nip[6:8]))
    except ValueError:
        raise ValueError(f"NIP birth date {nip[0:8]} is not a real date") from None
    year, month = int(nip[8:12]), int(nip[12:14])
    if not 1 <= month <= 12:
        raise ValueError(f"NIP appointment month {nip[8:14]} is not a real month")
    if (year, month) <= (born.year, born.month):
        raise ValueError(f"NIP appointment {nip[8:14]} is not after the birth date {nip[0:8]}")
    sex = _SEXES.get(nip[14])
    if sex is None:
        raise ValueError(f"NIP sex digit must be 1 or 2, got {nip[14]!r}")
    return NipParts(born, (year, month), sex, int(nip[15:18]))


def _validate(nip: str) -> str:
    parse_nip(nip)
    return nip


Nip = Annotated[str, BeforeValidator(normalise_nip), AfterValidator(_validate)]
"""A validated NIP, for use as a pydantic field type."""
