"""Checks on what callers pass the engine, made before any store sees it.

Every backend must refuse the same input the same way: a NUL or an unpaired surrogate
would otherwise reach the driver and fail as a store error, differently per backend.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date, datetime
from types import MappingProxyType
from typing import Any, TypeGuard

from changeflow.characters import unprintable
from changeflow.errors import CohortNotFound, InvalidInput
from changeflow.models import CODE_PATTERN, Participant
from changeflow.nip import NIP_SHAPE, normalise_nip, parse_nip

__all__ = [
    "ACTOR_MAX",
    "KEY_MAX",
    "check_date",
    "check_text",
    "code_shaped",
    "cohort_code",
    "frozen_payload",
    "instance",
    "nip_argument",
    "nip_shaped",
    "participant",
]

ACTOR_MAX = 200
"""Longest actor name (the SQL store's column holds 200 characters)."""
KEY_MAX = 200
"""Longest idempotency key."""

_COHORT_CODE = re.compile(CODE_PATTERN)


def participant(value: Participant | Mapping[str, Any]) -> Participant:
    """A :class:`Participant`, validating a mapping (pydantic's ValidationError names the field)."""
    if isinstance(value, Participant):
        return value
    if isinstance(value, Mapping):
        return Participant.model_validate(value, strict=False)
    raise InvalidInput("participant", f"expected a Participant or a mapping, got {value!r:.80}")


def instance(kind: type, value: object, field: str) -> None:
    """Refuse anything but a ``kind`` before it reaches the store (which would fail on it)."""
    if not isinstance(value, kind):
        raise InvalidInput(field, f"expected a {kind.__name__}, got {type(value).__name__}")


def cohort_code(cohort: object) -> str:
    """A cohort code to look up, checked before any store sees it.

    A string no cohort can have (the :class:`~changeflow.models.Cohort` code pattern) is an
    unknown cohort on every backend.
    """
    if code_shaped(cohort):
        return cohort
    raise CohortNotFound(str(cohort), hint="not a valid cohort code")


def code_shaped(cohort: object) -> TypeGuard[str]:
    """Whether a cohort could have this code; :class:`InvalidInput` if it is no string."""
    if not isinstance(cohort, str):
        raise InvalidInput(
            "cohort", f"must be a cohort code (a string), got {type(cohort).__name__}"
        )
    return _COHORT_CODE.fullmatch(cohort) is not None


def nip_shaped(nip: object) -> bool:
    """Whether ``nip`` could be a stored NIP (18 ASCII digits); :class:`InvalidInput` if no str."""
    if not isinstance(nip, str):
        raise InvalidInput(
            "nip", f"must be a NIP (a string of 18 digits), got {type(nip).__name__}"
        )
    return NIP_SHAPE.fullmatch(nip) is not None


def nip_argument(value: str) -> str:
    """A NIP typed by a person, printed spaces removed; :class:`InvalidInput` saying why not.

    Something that is no NIP at all (a name, a short number) is told so, rather than looked
    up and reported as a participant nobody enrolled.

    >>> nip_argument("19700315 200003 1 004")
    '197003152000031004'
    """
    nip = str(normalise_nip(value))
    try:
        parse_nip(nip)
    except ValueError as exc:
        raise InvalidInput("nip", f"{value!r} is not a NIP: {exc}") from None
    return nip


def check_text(
    field: str, value: object, limit: int | None = None, *, multiline: bool = False
) -> None:
    """Check an optional free-text argument (actor, reason, key) every backend can store.

    Text is one line without control or bidirectional characters (they would forge lines
    in history and logs, or show it in another order than stored); ``multiline`` text (a
    reason) may also hold line feeds, which every text renderer escapes.
    """
    if value is None:
        return
    if not isinstance(value, str):
        raise InvalidInput(field, f"must be a string, got {type(value).__name__}")
    if limit is not None and len(value) > limit:
        raise InvalidInput(field, f"must be at most {limit} characters, got {len(value)}")
    if "\x00" in value:
        # PostgreSQL text cannot hold NUL; refused everywhere so the backends agree.
        raise InvalidInput(field, f"must not contain NUL (at position {value.index(chr(0))})")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidInput(field, f"has an unpaired surrogate at position {exc.start}") from None
    found = unprintable(value, keep="\n" if multiline else "")
    if found:
        shape = "break lines with line feeds only" if multiline else "be one line"
        raise InvalidInput(
            field, f"must not contain {found}: it must {shape}, without control or bidi characters"
        )


def check_date(field: str, value: object) -> None:
    """Check an optional date argument.

    A datetime is a date too, but its ISO form is not a date's: stored in a date column it
    would not read back, so it is refused rather than truncated.
    """
    if value is not None and (not isinstance(value, date) or isinstance(value, datetime)):
        raise InvalidInput(field, f"must be a date, got {type(value).__name__}")


def frozen_payload(value: object) -> Mapping[str, Any] | None:
    """A read-only deep copy of a JSON-compatible mapping (``None`` stays ``None``)."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise InvalidInput("payload", "must be a mapping of JSON-compatible values")
    try:
        copied = json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError, RecursionError) as exc:
        # RecursionError: a payload nested deeper than the interpreter can walk.
        raise InvalidInput("payload", f"must be JSON-compatible: {exc}") from None
    return MappingProxyType(copied)
