"""Characters no stored text may hold: which, how a refusal names them, how renderers escape."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from changeflow.characters import BIDI_CONTROLS, describe, escaped, unprintable

BIDI = (
    "\u061c",
    "\u200e",
    "\u200f",
    *map(chr, range(0x202A, 0x202F)),
    *map(chr, range(0x2066, 0x206A)),
)
"""Every bidirectional mark, embedding, override and isolate Unicode defines."""
LINE_BREAKS = ("\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")
"""Everything ``str.splitlines`` splits on."""
LEGAL = (
    "Budi Santoso",
    "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
    "a\u2003b",
    "\U0001f469\u200d\U0001f4bb",
    "\ufeffx",
    "\u540d\u524d",
)
"""Unusual text that stays legal: a zero-width non-joiner in Persian, an em space, an emoji
sequence joined by a zero-width joiner, a byte-order mark, CJK."""


def test_bidi_controls_are_every_bidi_format_character() -> None:
    """The refused set is exactly Unicode's bidi embeddings, overrides, isolates and marks."""
    assert frozenset(BIDI) == BIDI_CONTROLS
    assert all(unicodedata.category(c) == "Cf" for c in BIDI)


@pytest.mark.parametrize("char", BIDI)
def test_a_bidi_control_is_found_by_code_point_and_name(char: str) -> None:
    """A bidi control is reported as its code point, its Unicode name and its position."""
    found = unprintable(f"Budi{char}Santoso")
    assert found == f"U+{ord(char):04X} {unicodedata.name(char)} at 4"
    assert char not in found


@pytest.mark.parametrize("char", [*LINE_BREAKS, "\x00", "\t", "\x1b", "\x7f", "\x9b"])
def test_controls_and_line_breaks_are_found(char: str) -> None:
    """C0 and C1 controls, DEL and the line and paragraph separators are all refused."""
    found = unprintable(f"ab{char}")
    assert found is not None
    assert found.startswith(f"U+{ord(char):04X} ")
    assert found.endswith(" at 2")
    assert char not in found


@pytest.mark.parametrize(
    ("char", "name"),
    [
        ("\n", "U+000A LINE FEED"),
        ("\r", "U+000D CARRIAGE RETURN"),
        ("\x1c", "U+001C FILE SEPARATOR"),
        ("\x01", "U+0001 (control character)"),
        ("\u202e", "U+202E RIGHT-TO-LEFT OVERRIDE"),
    ],
)
def test_describe_names_controls_unicodedata_cannot(char: str, name: str) -> None:
    """Control characters, which have no Unicode name, are described by their usual names."""
    assert describe(char) == name


@pytest.mark.parametrize("text", LEGAL)
def test_unusual_legal_text_is_not_refused(text: str) -> None:
    """Joiners, em spaces, emoji and non-Latin scripts are text, not controls."""
    assert unprintable(text) is None
    assert escaped(text) == text


def test_kept_characters_are_allowed_and_others_still_found() -> None:
    """``keep`` lets a reason hold line feeds, while a carriage return is still refused."""
    assert unprintable("one\ntwo", keep="\n") is None
    assert unprintable("one\r\ntwo", keep="\n") == "U+000D CARRIAGE RETURN at 3"


@given(st.text(max_size=60))
def test_escaped_text_is_one_line_without_refused_characters(text: str) -> None:
    """Whatever the text, escaped it is one line that holds no refused character."""
    shown = escaped(text)
    assert unprintable(shown) is None
    assert shown.splitlines() in ([], [shown])
