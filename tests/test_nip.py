"""The civil servant's identity number (NIP): decoding, normalisation and refusals."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from changeflow.nip import Nip, NipParts, nip_cell, normalise_nip, parse_nip
from factories import make_nip

NIP_FIELD = TypeAdapter(Nip)


def test_parse_decodes_every_part() -> None:
    """The article's example NIP decodes to its birth date, appointment, sex and sequence."""
    assert parse_nip("197003152000031004") == NipParts(date(1970, 3, 15), (2000, 3), "male", 4)


def test_parse_reads_female_sex_digit() -> None:
    """Sex digit 2 decodes as female."""
    assert parse_nip("198512312010122017").sex == "female"


def test_parse_accepts_a_leap_day_birth() -> None:
    """29 February of a leap year is a real birth date."""
    assert parse_nip("196402291990011001").birth_date == date(1964, 2, 29)


def test_appointment_in_the_month_after_birth_is_accepted() -> None:
    """The appointment need only be a later month than the birth month."""
    assert parse_nip("197003151970041004").appointed == (1970, 4)


@pytest.mark.parametrize(
    ("nip", "fragment"),
    [
        pytest.param("19700315200003100", "exactly 18 digits", id="17-digits"),
        pytest.param("1970031520000310045", "exactly 18 digits", id="19-digits"),
        pytest.param("", "exactly 18 digits", id="empty"),
        pytest.param("19700315200003100A", "exactly 18 digits", id="letter"),
        pytest.param("1970-03-15-2000031", "exactly 18 digits", id="punctuation"),
        pytest.param(
            "\uff11\uff19\uff17\uff1003152000031004", "exactly 18 digits", id="fullwidth-digits"
        ),
        pytest.param(
            "\u0661\u0669\u0667\u066003152000031004", "exactly 18 digits", id="arabic-digits"
        ),
        pytest.param("197002302000031004", "19700230 is not a real date", id="30-february"),
        pytest.param("197102292000031004", "19710229 is not a real date", id="29-feb-common-year"),
        pytest.param("197013012000031004", "19701301 is not a real date", id="month-13"),
        pytest.param("197003002000031004", "19700300 is not a real date", id="day-0"),
        pytest.param("197003152000001004", "200000 is not a real month", id="appointment-month-0"),
        pytest.param("197003152000131004", "200013 is not a real month", id="appointment-month-13"),
        pytest.param("197003151970031004", "is not after the birth date", id="appointed-at-birth"),
        pytest.param("197003151969121004", "is not after the birth date", id="appointed-before"),
        pytest.param("197003152000030004", "sex digit must be 1 or 2", id="sex-0"),
        pytest.param("197003152000033004", "sex digit must be 1 or 2", id="sex-3"),
    ],
)
def test_malformed_nip_is_refused_with_its_reason(nip: str, fragment: str) -> None:
    """Each kind of malformed NIP raises ValueError saying precisely what is wrong."""
    with pytest.raises(ValueError, match=fragment):
        parse_nip(nip)


def test_length_error_reports_the_length_given() -> None:
    """A NIP of the wrong length says how many characters it had."""
    with pytest.raises(ValueError, match=r"got 17 character\(s\)"):
        parse_nip("19700315200003100")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("19700315 200003 1 004", "197003152000031004"),
        ("  197003152000031004  ", "197003152000031004"),
        ("197003152000031004", "197003152000031004"),
    ],
)
def test_normalise_removes_print_spaces(raw: str, expected: str) -> None:
    """Spaces NIPs are printed with, and surrounding white space, are removed."""
    assert normalise_nip(raw) == expected


_HIDDEN = [
    pytest.param("\u2003", "U+2003 EM SPACE", id="em-space"),
    pytest.param("\x1c", "U+001C FILE SEPARATOR", id="file-separator"),
    pytest.param("\u200b", "U+200B ZERO WIDTH SPACE", id="zero-width-space"),
    pytest.param("\u200c", "U+200C ZERO WIDTH NON-JOINER", id="zwnj"),
    pytest.param("\u200d", "U+200D ZERO WIDTH JOINER", id="zwj"),
    pytest.param("\ufeff", "U+FEFF ZERO WIDTH NO-BREAK SPACE", id="bom"),
    pytest.param("\u202e", "U+202E RIGHT-TO-LEFT OVERRIDE", id="rlo"),
    pytest.param("\u00a0", "U+00A0 NO-BREAK SPACE", id="nbsp"),
    pytest.param("\t", "U+0009 CHARACTER TABULATION", id="tab"),
    pytest.param("\n", "U+000A LINE FEED", id="line-feed"),
]


@pytest.mark.parametrize(("char", "named"), _HIDDEN)
def test_a_separator_other_than_a_space_inside_is_refused(char: str, named: str) -> None:
    """An invisible or unusual separator inside a NIP is refused and named, never stripped."""
    with pytest.raises(ValidationError) as caught:
        NIP_FIELD.validate_python(f"19700315{char}200003 1 004")
    message = caught.value.errors()[0]["msg"]
    assert f"found {named} at 8" in message
    assert char not in message


@pytest.mark.parametrize(("char", "named"), _HIDDEN)
def test_normalise_keeps_a_separator_other_than_a_space(char: str, named: str) -> None:
    """Normalising removes plain spaces only, leaving any other separator for validation."""
    assert normalise_nip(f"19700315{char}200003 1 004") == f"19700315{char}2000031004"
    with pytest.raises(ValueError, match=re.escape(named)):
        parse_nip(f"19700315{char}2000031004")


def test_surrounding_white_space_is_still_trimmed() -> None:
    """White space around a NIP (a trailing line break, a tab) is trimmed, as from a cell."""
    assert NIP_FIELD.validate_python("\t19700315 200003 1 004\r\n") == "197003152000031004"


def test_normalise_leaves_non_strings_to_validation() -> None:
    """A non-string value passes through untouched, for the type check to refuse."""
    value = 197003152000031004
    assert normalise_nip(value) is value


def test_nip_field_normalises_then_validates() -> None:
    """The pydantic ``Nip`` type stores the printed form without its spaces."""
    assert NIP_FIELD.validate_python("19700315 200003 1 004") == "197003152000031004"


def test_nip_field_refuses_an_integer_in_strict_mode() -> None:
    """A NIP given as a number is refused rather than coerced (leading zeros would be lost)."""
    with pytest.raises(ValidationError):
        NIP_FIELD.validate_python(197003152000031004, strict=True)


def test_nip_field_wraps_the_reason_in_a_validation_error() -> None:
    """An invalid NIP through the pydantic type raises ValidationError carrying the reason."""
    with pytest.raises(ValidationError, match="sex digit must be 1 or 2"):
        NIP_FIELD.validate_python("197003152000039004")


@st.composite
def nip_parts(draw: st.DrawFn) -> tuple[date, tuple[int, int], int, int]:
    """A valid birth date, a later appointment month, a sex digit and a sequence."""
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2005, 12, 31)))
    later = draw(st.integers(min_value=1, max_value=12 * 60))
    month_index = born.year * 12 + born.month - 1 + later
    appointed = (month_index // 12, month_index % 12 + 1)
    return born, appointed, draw(st.sampled_from([1, 2])), draw(st.integers(0, 999))


@given(nip_parts())
def test_parse_round_trips_what_was_encoded(
    parts: tuple[date, tuple[int, int], int, int],
) -> None:
    """Any well-formed NIP decodes back to exactly the parts it was built from."""
    born, appointed, sex, sequence = parts
    decoded = parse_nip(make_nip(born, appointed, sex, sequence))
    assert decoded.birth_date == born
    assert decoded.appointed == appointed
    assert decoded.sex == ("male" if sex == 1 else "female")
    assert decoded.sequence == sequence


@given(nip_parts(), st.sampled_from("03456789"))
def test_any_sex_digit_but_1_or_2_is_refused(
    parts: tuple[date, tuple[int, int], int, int], digit: str
) -> None:
    """Replacing the sex digit of a valid NIP by anything but 1 or 2 makes it invalid."""
    born, appointed, sex, sequence = parts
    nip = make_nip(born, appointed, sex, sequence)
    with pytest.raises(ValueError, match="sex digit"):
        parse_nip(nip[:14] + digit + nip[15:])


@given(st.text(alphabet="0123456789 ab", max_size=30))
def test_parse_either_decodes_or_raises_value_error(text: str) -> None:
    """Arbitrary input never crashes the parser with anything but ValueError."""
    try:
        parts = parse_nip(text)
    except ValueError:
        return
    assert len(text) == 18
    assert text.isdigit()
    assert f"{parts.birth_date:%Y%m%d}" == text[:8]


@pytest.mark.parametrize(
    ("cell", "nip"),
    [
        ("'197003152000031004", "197003152000031004"),
        (" 19700315 200003 1 004", "197003152000031004"),
    ],
)
def test_a_nip_cell_drops_the_apostrophe_and_spaces(cell: str, nip: str) -> None:
    """Excel's text mark (a leading apostrophe) and printed spaces are removed."""
    assert nip_cell(cell) == nip


@pytest.mark.parametrize(
    "cell", [197003152000031004, 1.97003152e17, "1.97003E+17", "1,97E17", "197003152000031000.0"]
)
def test_a_nip_a_spreadsheet_made_a_number_is_refused_with_a_hint(cell: object) -> None:
    """Number cells and number-shaped text say how to keep the column as text."""
    with pytest.raises(ValueError, match=r"turned into a number.*format the NIP column as Text"):
        nip_cell(cell)
