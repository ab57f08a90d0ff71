"""Canonical JSON text, fast: ``json.dumps``'s text with sorted keys and compact separators.

Hashes and commitments cover JSON text, and a bulk step encodes several values per entry.
``json.dumps`` with options builds a new encoder, and ``JSONEncoder.encode`` a new C
encoder, on every call: on a small value that costs as much as the encoding itself. Here
the C encoder is built once per form and called directly. The text is the same as
``json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=...)`` gives (a
property test holds it so), except that a value containing itself is a ``RecursionError``
(``json.dumps`` checks for cycles; no value changeflow encodes can hold one).
"""

from __future__ import annotations

import json
from json import encoder as _encoder
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["ascii_json", "ordered_json", "text_json"]


def _unencodable(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _form(*, ensure_ascii: bool, sort_keys: bool = True) -> Callable[[Any], str]:
    """A one-argument encoder of the canonical form; ``json``'s own without its C accelerator."""
    make = getattr(_encoder, "c_make_encoder", None)
    if make is None:  # pragma: no cover - CPython always has it; other interpreters may not
        return json.JSONEncoder(
            sort_keys=sort_keys, separators=(",", ":"), ensure_ascii=ensure_ascii
        ).encode
    strings = _encoder.encode_basestring_ascii if ensure_ascii else _encoder.encode_basestring
    encode: Any = make(None, _unencodable, strings, None, ":", ",", sort_keys, False, True)

    def canonical(value: Any) -> str:
        if type(value) is str:
            return str(strings(value))
        return "".join(encode(value, 0))

    return canonical


ascii_json: Callable[[Any], str] = _form(ensure_ascii=True)
"""``json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)``.

What hashes and commitments cover.
"""

text_json: Callable[[Any], str] = _form(ensure_ascii=False)
"""The same with non-ASCII characters kept as they are: what the database stores."""

ordered_json: Callable[[Any], str] = _form(ensure_ascii=True, sort_keys=False)
"""The same as :data:`ascii_json` with keys in their own order (a deep copy's round trip)."""
