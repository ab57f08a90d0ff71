"""Personal data kept out of the hash chain: subjects, commitments, sealing and opening entries.

Under UU 27/2022 (personal data protection) a person may have their data erased, but the
audit chain is append-only and hashed. So the chain never holds the data itself:

* every person has a **subject**: a random pseudonymous id, their NIP and a random secret
  key, kept beside the chain (table ``subjects``);
* an entry is **sealed** before it is stored and hashed: its ``nip`` becomes the subject id
  and every personal value (:data:`PERSONAL_FIELDS`) becomes a **commitment**,
  HMAC-SHA256 under the subject's key of ``[cohort, seq, field path, value]``. The key is
  a salt: a NIP is structured and easy to enumerate, so a bare hash would give it away;
* the values themselves are kept, per entry, beside the chain (table ``personal_data``).

Opening an entry puts the values back, and can check each against its commitment (an edit
of the values is caught). Erasing a person deletes their key, NIP and values: their entries
still verify (the hash covers the sealed form), and open as :func:`erased` (NIP
``erased:<subject id>``, every personal value ``None``).

Cohort-level entries (``nip`` empty) are not sealed: their reasons and payloads are staff
text about the cohort, not about a person.
"""

from __future__ import annotations

import hmac
import json
import secrets
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from changeflow.encoding import ascii_json, ordered_json
from changeflow.errors import SealBroken
from changeflow.records import COHORT_NIP, Violation
from changeflow.states.names import ERASE

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from changeflow.records import HistoryEntry

__all__ = [
    "COMMITMENT_PREFIX",
    "ERASED_PREFIX",
    "PERSONAL_FIELDS",
    "Subject",
    "commitment",
    "erased",
    "is_erased",
    "open_entry",
    "personal_paths",
    "seal",
    "subject_id",
]

ERASED_PREFIX = "erased:"
"""The ``nip`` an erased person's entries open with, followed by their subject id."""

COMMITMENT_PREFIX = "hmac:"
"""How a sealed value starts: ``hmac:`` and 64 hex digits."""

_SIDES = ("before", "after")
_PERSON = ("name", "birth_date")
_MENTOR = ("name", "nip")

PERSONAL_FIELDS: tuple[tuple[str, ...], ...] = (
    ("reason",),
    ("data", "mentor"),
    *(("change", "participant", side, key) for side in _SIDES for key in _PERSON),
    *(("change", "project", side, "mentor", key) for side in _SIDES for key in _MENTOR),
    *(("change", "record", "after", "participant", key) for key in _PERSON),
    *(("change", "record", "after", "project", "mentor", key) for key in _MENTOR),
)
"""The paths of a participant entry's personal values, besides its ``nip`` and violations.

The person's name and birth date (enrolment, correction, carry-over), the mentor's name and
NIP (project), the approving mentor a rule recorded, and the free text: the reason, and
each value of the caller's payload (its keys stay readable). Each violation's ``message``,
``message_id`` and each value of its ``facts`` are sealed too (they may quote a name, a
birth date or an age); its ``code``, ``source`` and the names of its facts stay readable.
"""

_VIOLATION_TEXTS = ("message", "message_id")


@dataclass(frozen=True, slots=True)
class Subject:
    """A person as the chain knows them: a pseudonymous id, and the NIP and key kept aside."""

    id: str
    nip: str
    key: str
    """The secret (hex) the commitments of this person's values are keyed with."""

    @classmethod
    def new(cls, nip: str) -> Subject:
        """A fresh subject for ``nip``: a random key (64 hex digits) and the id it gives."""
        key = secrets.token_hex(32)
        return cls(subject_id(key, nip), nip, key)

    @property
    def intact(self) -> bool:
        """Whether the id is the one the key gives the NIP (an edited NIP or key is not)."""
        return hmac.compare_digest(self.id, subject_id(self.key, self.nip))


def subject_id(key: str, nip: str) -> str:
    """A subject's id: 32 hex digits of HMAC-SHA256(key, NIP).

    It commits the chain to the NIP: the NIP kept beside the chain cannot be changed
    without the id (which every hash covers) ceasing to match. Without the key (erased),
    nobody can link the id to a NIP.
    """
    return hmac.digest(bytes.fromhex(key), b"subject:" + nip.encode(), _SHA256).hex()[:32]


_SHA256 = "sha256"


def commitment(key: str, cohort: str, seq: int, path: str, value: Any) -> str:
    """The commitment to one personal value of entry ``seq`` of ``cohort`` at ``path``.

    HMAC-SHA256 keyed with the subject's key over ``[cohort, seq, path, value]`` as
    canonical JSON (sorted keys, ASCII), in hex after :data:`COMMITMENT_PREFIX`.
    """
    message = ascii_json([cohort, seq, path, value]).encode()
    return COMMITMENT_PREFIX + hmac.digest(bytes.fromhex(key), message, _SHA256).hex()


def erased(subject_id: str) -> str:
    """The ``nip`` an erased person's entries open with."""
    return ERASED_PREFIX + subject_id


def is_erased(nip: str) -> bool:
    """Whether ``nip`` is the marker of an erased person."""
    return nip.startswith(ERASED_PREFIX)


# -- the entry as nested plain data ---------------------------------------------------------


_PERSONAL_CHANGES = frozenset(path[1] for path in PERSONAL_FIELDS if path[0] == "change")


def _plain(entry: HistoryEntry) -> bool:
    """Whether ``entry`` can hold no personal value besides its NIP: the fast path.

    Most moves, and data commands changing no personal fact (scores, a group).
    """
    change = entry.change
    return (
        entry.reason is None
        and entry.payload is None
        and not entry.violations
        and (change is None or _PERSONAL_CHANGES.isdisjoint(change))
        and (entry.data is None or "mentor" not in entry.data)
    )


class _NotPlain(Exception):
    """A value a JSON round trip would change or refuse: let the round trip do it."""


_LEAVES = frozenset({str, int, float, bool, type(None)})


def _copied(value: Any) -> Any:
    """A deep copy of plain JSON data (dicts with text keys, lists, tuples as lists)."""
    kind = type(value)
    if kind in _LEAVES:
        return value
    if isinstance(value, dict):
        copy = {}
        for key, item in value.items():
            if type(key) is not str:
                raise _NotPlain
            copy[key] = _copied(item)
        return copy
    if kind is list or kind is tuple:
        return [_copied(item) for item in value]
    raise _NotPlain


def _body(entry: HistoryEntry) -> dict[str, Any]:
    """The sealable fields of ``entry`` as independent plain JSON data.

    What a JSON round trip gives, copied directly when the data is plain already (it
    shares the strings instead of decoding new ones, a fifth of the cost); anything else
    (a key that is no text, a value JSON would convert or refuse) takes the round trip.
    """
    body = {
        "reason": entry.reason,
        "payload": None if entry.payload is None else dict(entry.payload),
        "data": None if entry.data is None else dict(entry.data),
        "change": None if entry.change is None else dict(entry.change),
        "violations": [v.to_dict() for v in entry.violations],
    }
    try:
        copied: dict[str, Any] = _copied(body)
    except (_NotPlain, RecursionError):
        copied = json.loads(ordered_json(body))
    return copied


def _rebuilt(entry: HistoryEntry, nip: str, body: dict[str, Any]) -> HistoryEntry:
    def frozen(value: dict[str, Any] | None) -> Mapping[str, Any] | None:
        return None if value is None else MappingProxyType(value)

    return entry._replace(
        nip=nip,
        reason=body["reason"],
        payload=frozen(body["payload"]),
        data=frozen(body["data"]),
        change=frozen(body["change"]),
        violations=tuple(
            Violation(
                v["code"],
                v["message"],
                MappingProxyType(v["facts"] or {}),
                v["message_id"],
                v["source"],
            )
            for v in body["violations"]
        ),
    )


def _paths(body: dict[str, Any]) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    """Every personal path present in ``body`` with a value other than ``None``."""
    payload = body["payload"]
    if isinstance(payload, dict):  # each value apart: a sealed payload is still a mapping
        yield from ((("payload", k), v) for k, v in sorted(payload.items()) if v is not None)
    change = body["change"]
    for path in PERSONAL_FIELDS:
        if path[0] == "change" and (not isinstance(change, dict) or path[1] not in change):
            continue  # most entries change one or two facts: skip the others' paths
        value: Any = body
        for step in path:
            value = value.get(step) if isinstance(value, dict) else None
        if value is not None:
            yield path, value
    for i, violation in enumerate(body["violations"]):
        for key in _VIOLATION_TEXTS:
            if violation.get(key) is not None:
                yield ("violations", i, key), violation[key]
        facts = violation.get("facts") or {}
        yield from (
            (("violations", i, "facts", k), v) for k, v in sorted(facts.items()) if v is not None
        )


def _set(body: dict[str, Any], path: tuple[str | int, ...], value: Any) -> None:
    target: Any = body
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value


_NAMES: dict[tuple[str | int, ...], str] = {}


def _name(path: tuple[str | int, ...]) -> str:
    name = _NAMES.get(path)
    if name is None:
        name = ".".join(str(step) for step in path)
        if len(_NAMES) < 4096:  # the fixed paths and common payload keys, not every key seen
            _NAMES[path] = name
    return name


def personal_paths(entry: HistoryEntry) -> list[str]:
    """The dotted paths of the personal values ``entry`` holds (for a participant entry)."""
    if entry.nip == COHORT_NIP:
        return []
    return [_name(path) for path, _ in _paths(_body(entry))]


# -- sealing and opening ---------------------------------------------------------------------


def seal(entry: HistoryEntry, subject: Subject) -> tuple[HistoryEntry, dict[str, Any]]:
    """``entry`` as the chain holds it, and its personal values by dotted path.

    The sealed entry's ``nip`` is the subject id and each personal value is its commitment.
    An erasure entry holds no personal value: only its ``nip`` is replaced.
    """
    if entry.nip != subject.nip:
        raise ValueError("the subject is not the entry's participant")
    if entry.event == ERASE or _plain(entry):
        return _with_nip(entry, subject.id), {}
    body = _body(entry)
    values: dict[str, Any] = {}
    for path, value in list(_paths(body)):
        name = _name(path)
        values[name] = value
        _set(body, path, commitment(subject.key, entry.cohort, entry.seq, name, value))
    return _rebuilt(entry, subject.id, body), values


def _with_nip(entry: HistoryEntry, nip: str) -> HistoryEntry:
    # ``_replace`` costs three times this, once per entry of a bulk step.
    return _new_tuple(type(entry), (*entry[:3], nip, *entry[4:]))


_new_tuple = tuple.__new__


def open_entry(
    sealed: HistoryEntry,
    subject: Subject | None,
    values: Mapping[str, Any] | None,
    *,
    check: bool = False,
) -> HistoryEntry:
    """The entry a sealed one was made from; an erased person's when the data is gone.

    With no ``subject`` (erased), or no ``values`` for an entry that has some (erased in
    this cohort), the entry opens with ``nip`` :func:`erased` and every personal value
    ``None``. With ``check``, each value
    must match its commitment and every commitment must have its value, else
    :class:`~changeflow.errors.SealBroken` names the first path that does not.
    """
    if sealed.nip == COHORT_NIP:
        return sealed
    if check and subject is not None and not subject.intact:
        raise SealBroken(sealed.cohort, sealed.seq, "nip", "the NIP or key kept does not match")
    # No personal value (an erasure: why, not who); values kept for one are checked below.
    if sealed.event == ERASE or (_plain(sealed) and not values):
        return sealed._replace(nip=erased(sealed.nip) if subject is None else subject.nip)
    body = _body(sealed)
    if subject is None or (values is None and any(True for _ in _paths(body))):
        return _opened_erased(sealed)
    found = dict(values or {})
    for path, committed in list(_paths(body)):
        name = _name(path)
        if name not in found:
            raise SealBroken(sealed.cohort, sealed.seq, name, "the value is missing")
        value = found.pop(name)
        if check and not hmac.compare_digest(
            str(committed), commitment(subject.key, sealed.cohort, sealed.seq, name, value)
        ):
            raise SealBroken(sealed.cohort, sealed.seq, name, "the value does not match")
        _set(body, path, value)
    if found:
        name = sorted(found)[0]
        raise SealBroken(sealed.cohort, sealed.seq, name, "a value with no commitment")
    return _rebuilt(sealed, subject.nip, body)


def _opened_erased(sealed: HistoryEntry) -> HistoryEntry:
    body = _body(sealed)
    for path, _ in list(_paths(body)):
        _set(body, path, None)
    return _rebuilt(sealed, erased(sealed.nip), body)
