"""The office registry: offices with their aliases, and how a written name finds its office.

An HR office writes one office many ways ("Disdik", "Dinas Pendidikan dan Kebudayaan",
"DINAS PENDIDIKAN  DAN KEBUDAYAAN"). The registry keeps each office's name and aliases
under a folded *key* (:func:`fold`: case, spacing and punctuation aside), so every variant
finds the one office and none silently becomes a second one (which would let a third person
from one office past the office quota). Codes compare without regard to case.

This module is the pure part: folding, resolving against a list of registered offices,
the nearest names for a hint, and the refusals. The stores keep the registry
(:meth:`changeflow.store.base.Store.register_offices`); the engine and the roster resolve
through it.

>>> disdik = RegisteredOffice(code="DISDIK", name="Dinas Pendidikan dan Kebudayaan",
...                           aliases=("Disdik",))
>>> index = OfficeIndex([disdik])
>>> index.find("disdik").code, index.find("Dinas pendidikan, dan  kebudayaan").code
('DISDIK', 'DISDIK')
>>> index.find("Dinas Kesehatan") is None
True
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime  # noqa: TC003 - pydantic reads the annotation
from typing import Any, NamedTuple, Protocol

from changeflow.errors import AlreadyExists, InvalidInput
from changeflow.models import Office

__all__ = [
    "CLOSED",
    "OFFICES_SETTING",
    "OPEN",
    "Label",
    "OfficeConflict",
    "OfficeIndex",
    "RegisteredOffice",
    "RegistryLookup",
    "fold",
    "labels",
    "nearest",
    "new_offices",
    "office_entry",
    "plan",
    "split_aliases",
]

OFFICES_SETTING = "offices"
"""The store setting saying whether unknown offices are refused (:data:`CLOSED`)."""

CLOSED = "closed"
"""The value of :data:`OFFICES_SETTING` for a store closed to unknown offices."""

OPEN = "open"
"""The value of :data:`OFFICES_SETTING` for a store that creates offices on first use."""

_LONGEST = 200  # what an office name may hold (models.Text, the stores' columns)


def fold(label: str) -> str:
    """The key two ways of writing one office name share: case, spacing, punctuation aside.

    Letters and digits are kept in order (NFKC-normalised, case-folded); everything else
    is dropped. Accents are kept: "Pariwísata" is not "Pariwisata".

    >>> fold("  Dinas   PENDIDIKAN, dan Kebudayaan ") == fold("dinas pendidikan dan kebudayaan")
    True
    >>> fold("D.I.S.D.I.K"), fold("Dinas-Kesehatan")
    ('disdik', 'dinaskesehatan')
    """
    return "".join(c for c in unicodedata.normalize("NFKC", label).casefold() if c.isalnum())


class RegisteredOffice(Office):
    """An office as the registry lists it: its aliases, who added it and when.

    ``added_by`` and ``added_at`` are ``None`` for an office stored before the registry
    (schema 0006) kept them.
    """

    aliases: tuple[str, ...] = ()
    added_by: str | None = None
    added_at: datetime | None = None

    @property
    def office(self) -> Office:
        """The plain office (code and name), as participants hold it."""
        return Office.model_construct(code=self.code, name=self.name)

    def __eq__(self, other: object) -> bool:
        """Equal to a plain :class:`Office` with its code and name (the registry's entry is it).

        >>> RegisteredOffice(code="BKD", name="BKD", aliases=("Bkd Kota",)) == Office(
        ...     code="BKD", name="BKD")
        True
        """
        if type(other) is Office:
            return (self.code, self.name) == (other.code, other.name)
        return super().__eq__(other)

    def __hash__(self) -> int:
        """The plain office's hash, as equality with it requires."""
        return hash(self.office)

    def to_dict(self) -> dict[str, Any]:
        """The documented JSON shape of ``office list --json``."""
        return {
            "code": self.code,
            "name": self.name,
            "aliases": list(self.aliases),
            "added_by": self.added_by,
            "added_at": None if self.added_at is None else self.added_at.isoformat(),
        }


class OfficeConflict(AlreadyExists):
    """Registering a code, name or alias another office already holds: nothing is overwritten.

    ``wanted`` is the office being registered, ``holder`` the one holding ``label``.
    """

    def __init__(self, wanted: Office, label: str, holder: Office, what: str) -> None:
        self.wanted = wanted
        self.label = label
        self.holder = holder
        self.what = what
        super().__init__("office", wanted.code)
        self.args = (
            f"office {wanted.code} ({wanted.name!r}): the {what} {label!r} already belongs to "
            f"office {holder.code} ({holder.name!r}); nothing was changed",
        )

    def to_dict(self) -> dict[str, Any]:
        """Both offices and the contested label, for JSON error documents."""
        return {
            "office": {"code": self.wanted.code, "name": self.wanted.name},
            "label": self.label,
            "what": self.what,
            "holder": {"code": self.holder.code, "name": self.holder.name},
        }


class Label(NamedTuple):
    """One name an office is known by."""

    key: str
    """The folded label (:func:`fold`)."""
    text: str
    """The label as written."""
    kind: str
    """``name`` or ``alias``."""


def labels(office: Office, aliases: Iterable[str] = ()) -> list[Label]:
    """The labels to register for ``office``: its name, then each alias (repeats dropped).

    :class:`InvalidInput` on ``aliases`` for an alias with no letter or digit, or too long.
    """
    found = [Label(fold(office.name), office.name, "name")]
    seen = {found[0].key}
    for alias in aliases:
        text = " ".join(str(alias).split())
        key = fold(text)
        if not key or len(text) > _LONGEST:
            raise InvalidInput(
                "aliases", f"{text!r:.80} is not an office name (a letter or digit, at most 200)"
            )
        if key not in seen:
            seen.add(key)
            found.append(Label(key, text, "alias"))
    return found


class RegistryLookup(Protocol):
    """What :func:`plan` asks a store's registry (inside the store's write transaction)."""

    def by_code(self, code: str) -> Office | None:
        """The stored office with exactly this code."""
        ...

    def by_code_folded(self, text: str) -> Office | None:
        """The stored office whose code is ``text``, case aside."""
        ...

    def by_key(self, key: str) -> Office | None:
        """The stored office whose name or an alias folds to ``key``."""
        ...


def plan(
    office: Office, aliases: Iterable[str], registry: RegistryLookup
) -> tuple[Office | None, list[Label]]:
    """What registering ``office`` with ``aliases`` writes: the office to create, the labels.

    The office is ``None`` when its code is stored already (with a name that folds alike);
    labels the office holds already are left out. Raises :class:`OfficeConflict` when the
    code is stored under another name, or when a code, name or alias is another office's.
    """
    existing = registry.by_code(office.code)
    if existing is not None and fold(existing.name) != fold(office.name):
        raise OfficeConflict(office, office.code, existing, "code")
    target = existing or office

    def clash(text: str, key: str) -> Office | None:
        for holder in (registry.by_key(key), registry.by_code_folded(text)):
            if holder is not None and holder.code != target.code:
                return holder
        return None

    if (holder := clash(office.code, fold(office.code))) is not None:
        raise OfficeConflict(office, office.code, holder, "code")
    fresh: list[Label] = []
    for label in labels(target, aliases):
        if (holder := clash(label.text, label.key)) is not None:
            raise OfficeConflict(office, label.text, holder, label.kind)
        if registry.by_key(label.key) is None:
            fresh.append(label)
    return (None if existing is not None else office), fresh


def split_aliases(cell: str) -> tuple[str, ...]:
    """The aliases a CSV cell lists, separated by ``|`` or ``;``.

    >>> split_aliases("Disdik | Dinas Pendidikan; DISDIKBUD")
    ('Disdik', 'Dinas Pendidikan', 'DISDIKBUD')
    """
    return tuple(part.strip() for part in re.split(r"[|;]", cell) if part.strip())


def office_entry(row: Mapping[str, Any] | Sequence[Any]) -> tuple[Office, tuple[str, ...]]:
    """An office and its aliases from an import row: a mapping or ``(code, name[, aliases])``.

    Aliases are a sequence of names or one string separated by ``|`` or ``;``.
    """
    if isinstance(row, Mapping):
        code, name, aliases = row.get("code"), row.get("name"), row.get("aliases", ())
    elif isinstance(row, Sequence) and not isinstance(row, str) and 2 <= len(row) <= 3:
        code, name, aliases = row[0], row[1], row[2] if len(row) == 3 else ()
    else:
        raise InvalidInput("offices", f"expected code, name and aliases, got {row!r:.80}")
    if isinstance(aliases, str):
        aliases = split_aliases(aliases)
    elif aliases is None:
        aliases = ()
    return Office.model_validate({"code": code, "name": name}), tuple(map(str, aliases))


class OfficeIndex:
    """Registered offices by code (case aside) and by folded name or alias."""

    def __init__(self, offices: Iterable[Office] = ()) -> None:
        self._by_code: dict[str, Office] = {}
        self._by_key: dict[str, Office] = {}
        for office in offices:
            aliases = office.aliases if isinstance(office, RegisteredOffice) else ()
            self.add(office, aliases)

    def add(self, office: Office, aliases: Iterable[str] = ()) -> Office:
        """Index ``office`` (as a plain office) under its code, name and aliases; first wins."""
        plain = office.office if isinstance(office, RegisteredOffice) else office
        self._by_code.setdefault(plain.code.casefold(), plain)
        for text in (plain.name, *aliases):
            if key := fold(text):
                self._by_key.setdefault(key, plain)
        return plain

    def code(self, code: str) -> Office | None:
        """The office with this code, case aside."""
        return self._by_code.get(code.strip().casefold())

    def find(self, written: str) -> Office | None:
        """The office ``written`` names: a code (case aside), else a name or alias (folded)."""
        return self.code(written) or self._by_key.get(fold(written))


def nearest(
    wanted: Office, registry: Iterable[RegisteredOffice], count: int = 3, cutoff: float = 0.6
) -> list[RegisteredOffice]:
    """Up to ``count`` registered offices closest to ``wanted``, closest first.

    An office's closeness is the best :class:`difflib.SequenceMatcher` ratio between
    ``wanted``'s code or name and its code, name or an alias (case aside); offices under
    ``cutoff`` are left out.

    >>> known = [RegisteredOffice(code="DISDIK", name="Dinas Pendidikan", aliases=("Disdik",)),
    ...          RegisteredOffice(code="DINKES", name="Dinas Kesehatan"),
    ...          RegisteredOffice(code="BKD", name="Badan Kepegawaian Daerah")]
    >>> [o.code for o in nearest(Office(code="DISDIKK", name="Dinas Pendidkan"), known)]
    ['DISDIK', 'DINKES']
    """
    asked = [wanted.name.casefold(), wanted.code.casefold()]
    scored: list[tuple[float, str, RegisteredOffice]] = []
    matcher = difflib.SequenceMatcher(autojunk=False)
    for office in registry:
        best = 0.0
        for text in (office.code, office.name, *office.aliases):
            matcher.set_seq2(text.casefold())
            for question in asked:
                matcher.set_seq1(question)
                if matcher.real_quick_ratio() > best and matcher.quick_ratio() > best:
                    best = max(best, matcher.ratio())
        if best >= cutoff:
            scored.append((-best, office.code, office))
    return [office for _, _, office in sorted(scored)[:count]]


def new_offices(placed: Iterable[Office], known: Iterable[Office]) -> list[Office]:
    """The offices in ``placed`` whose code ``known`` lacks, once each, in order of first use.

    >>> [o.code for o in new_offices(
    ...     [Office(code="A", name="A"), Office(code="B", name="B"), Office(code="A", name="A")],
    ...     [Office(code="B", name="B")])]
    ['A']
    """
    codes = {office.code for office in known}
    fresh: dict[str, Office] = {}
    for office in placed:
        if office.code not in codes:
            fresh.setdefault(office.code, office)
    return list(fresh.values())
