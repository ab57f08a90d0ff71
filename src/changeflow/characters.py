"""Characters no stored text may hold, and how to name one without printing it.

A control character (C0, DEL, C1) or a line or paragraph separator in a name would forge
lines in reports, tables and logs; a bidirectional control (an embedding, override, isolate
or mark) would show stored text in another order than it is stored. Both are refused, and a
refusal names the character by its code point, never by the character itself.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["BIDI_CONTROLS", "describe", "escaped", "unprintable"]

BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
"""Arabic letter mark, left-to-right and right-to-left marks, embeddings, overrides, isolates."""

_REFUSED = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029" + "".join(sorted(BIDI_CONTROLS)) + "]")
# unicodedata has no names for control characters (only aliases): the ones people meet.
_CONTROL_NAMES = {
    "\x00": "NULL",
    "\t": "CHARACTER TABULATION",
    "\n": "LINE FEED",
    "\x0b": "LINE TABULATION",
    "\x0c": "FORM FEED",
    "\r": "CARRIAGE RETURN",
    "\x1b": "ESCAPE",
    "\x1c": "FILE SEPARATOR",
    "\x1d": "GROUP SEPARATOR",
    "\x1e": "RECORD SEPARATOR",
    "\x1f": "UNIT SEPARATOR",
    "\x7f": "DELETE",
    "\x85": "NEXT LINE",
}
_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def describe(char: str) -> str:
    r"""A character as its code point and name, e.g. ``U+202E RIGHT-TO-LEFT OVERRIDE``.

    >>> describe("\n")
    'U+000A LINE FEED'
    """
    name = unicodedata.name(char, "") or _CONTROL_NAMES.get(char, "(control character)")
    return f"U+{ord(char):04X} {name}"


def unprintable(text: str, keep: str = "") -> str | None:
    r"""The first refused character of ``text`` and where, or ``None`` when there is none.

    ``keep`` lists refused characters the field allows anyway (a reason keeps ``"\n"``).

    >>> unprintable("ab\u202ecd")
    'U+202E RIGHT-TO-LEFT OVERRIDE at 2'
    >>> unprintable("two\nlines", keep="\n") is None
    True
    """
    for found in _REFUSED.finditer(text):
        if found.group() not in keep:
            return f"{describe(found.group())} at {found.start()}"
    return None


def escaped(text: str) -> str:
    r"""``text`` with every refused character written as an escape (``\n``, ``\u202e``).

    For text renderers: whatever a record holds (a reason's line breaks, text stored before
    these characters were refused) is printed on the line it belongs to, in stored order.

    >>> escaped("BKD\nforged line")
    'BKD\\nforged line'
    """
    return _REFUSED.sub(_escape, text)


def _escape(found: re.Match[str]) -> str:
    char = found.group()
    return _ESCAPES.get(char) or f"\\u{ord(char):04x}"
