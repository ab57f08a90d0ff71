"""Rule packs: versioned, cited parameters of one regulation regime, and where to find them.

A :class:`RulePack` is data (``rules/pack_data/<id>.v<version>.json`` for the shipped
ones): the cohort capacity and the :class:`~changeflow.models.CohortParameters` of one
regime (eligible ranks, retirement horizon, office quota, grading, calendar), with a
:class:`~changeflow.citations.Citation` per rule. A cohort created from a pack carries all
of it in its parameters, so it keeps the version it was created with when a new version
ships. A :class:`RulePackRegistry` holds the packs: the shipped ones, explicit
registrations and those installed packages expose in the ``changeflow.rule_packs``
entry-point group.

>>> pack = RulePackRegistry.default().pack("pka-2022")
>>> (pack.id, pack.version, pack.capacity, sorted(pack.parameters.eligible_ranks))
('pka-2022', '1', 40, ['administrator'])
"""

from __future__ import annotations

import functools
import json
import re
from importlib import resources
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from changeflow.errors import AlreadyExists, InvalidInput, UnknownRulePack
from changeflow.models import CODE_PATTERN, Cohort, CohortParameters

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from datetime import date

    from changeflow.citations import Citation

__all__ = [
    "PACK_ENTRY_POINT_GROUP",
    "PackSource",
    "RulePack",
    "RulePackRegistry",
    "parse_pack_spec",
    "shipped_packs",
]

PACK_ENTRY_POINT_GROUP = "changeflow.rule_packs"
"""Packages expose rule packs as entry points in this group: ``name = "package.module:pack"``
naming a :class:`RulePack`, an iterable of them, or a callable returning either."""

_DATA = "pack_data"  # beside this module, shipped in the wheel like the store's migrations

_Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
_Version = Annotated[str, StringConstraints(pattern=r"^[0-9]+(?:\.[0-9]+)*$")]


class PackSource(BaseModel):
    """A copy of a text a pack's citations rest on: what it is, where, and what was read."""

    model_config = ConfigDict(frozen=True, strict=True, extra="forbid", defer_build=True)

    title: _Line
    address: _Line
    """Where the copy that was read is (a URL, or the project's own copy)."""
    read: _Line
    """What of it was read: the part the citations may rely on, no more."""


class RulePack(BaseModel):
    """The rules' parameters and citations of one regime, in one version.

    ``parameters`` carry the pack's id, version and citations (``rule_pack``,
    ``rule_pack_version``, ``citations``); a pack file may leave the first two out.
    """

    model_config = ConfigDict(frozen=True, strict=True, extra="forbid", defer_build=True)

    id: Annotated[str, StringConstraints(pattern=CODE_PATTERN)]
    version: _Version
    """A new version for every change: ``1``, ``2`` ... (``1.1`` compares numerically)."""
    title: _Line
    regime: _Line
    """The course and regulation the pack is for, and what of it could be read."""
    capacity: int = Field(ge=1)
    """Seats per cohort (``Cohort.capacity``)."""
    parameters: CohortParameters
    sources: tuple[PackSource, ...] = ()
    """The copies the citations rest on."""

    @model_validator(mode="before")
    @classmethod
    def _label_parameters(cls, data: Any) -> Any:
        # The pack names its parameters: a file need not repeat its id and version there.
        if isinstance(data, dict) and isinstance(data.get("parameters"), dict):
            parameters = {
                "rule_pack": data.get("id"),
                "rule_pack_version": data.get("version"),
                **data["parameters"],
            }
            return {**data, "parameters": parameters}
        return data

    @model_validator(mode="after")
    def _check_label(self) -> RulePack:
        labelled = (self.parameters.rule_pack, self.parameters.rule_pack_version)
        if labelled != (self.id, self.version):
            raise ValueError(
                f"parameters are labelled {labelled[0]} v{labelled[1]}, "
                f"not {self.id} v{self.version}"
            )
        return self

    @classmethod
    def from_json(cls, text: str) -> RulePack:
        """A pack from its JSON document (a pack file), validated as models' JSON is.

        JSON has no tuples or sets: lists become them, as ``model_validate_json`` does.
        """
        return cls.model_validate(json.loads(text), strict=False)

    @property
    def label(self) -> str:
        """``id@version``, as the CLI's ``--rules`` takes it."""
        return f"{self.id}@{self.version}"

    @property
    def citations(self) -> dict[str, Citation]:
        """Each rule's citation, by rule name or violation code."""
        return dict(self.parameters.citations)

    def cohort(self, *, code: str, name: str, start: date, end: date, **more: Any) -> Cohort:
        """A :class:`Cohort` on this pack: its capacity and parameters (``more``: the rest).

        ``more`` may set ``organiser``, ``coach`` or another ``capacity``; the parameters
        are the pack's.
        """
        if "parameters" in more:
            raise InvalidInput("parameters", "a cohort on a rule pack takes the pack's parameters")
        fields = {"capacity": self.capacity, **more}
        return Cohort(
            code=code, name=name, start=start, end=end, parameters=self.parameters, **fields
        )


@functools.cache
def shipped_packs() -> tuple[RulePack, ...]:
    """The packs changeflow ships (``rules/pack_data/*.json``), by id and version."""
    folder = resources.files("changeflow.rules").joinpath(_DATA)
    found = [
        RulePack.from_json(item.read_text("utf-8"))
        for item in folder.iterdir()
        if item.name.endswith(".json")
    ]
    return tuple(sorted(found, key=lambda p: (p.id, _order(p.version))))


def parse_pack_spec(spec: str) -> tuple[str, str | None]:
    """``PACK`` or ``PACK@VERSION`` as (id, version or ``None``).

    >>> parse_pack_spec("pka-2022@1"), parse_pack_spec("pka-2022")
    (('pka-2022', '1'), ('pka-2022', None))
    """
    pack, at, version = spec.strip().partition("@")
    return pack, (version if at else None)


def _order(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"[0-9]+", version))


class RulePackRegistry:
    """Rule packs by id and version, built explicitly.

    >>> registry = RulePackRegistry(shipped_packs())
    >>> registry.pack("probolinggo-2019").parameters == CohortParameters()
    True
    """

    def __init__(self, packs: Iterable[RulePack] = ()) -> None:
        self._packs: dict[str, dict[str, RulePack]] = {}
        for pack in packs:
            self.register(pack)

    @classmethod
    def default(cls, *, entry_points: bool = True) -> RulePackRegistry:
        """The shipped packs, plus those installed packages register as entry points."""
        registry = cls(shipped_packs())
        if entry_points:
            registry.load_entry_points()
        return registry

    def register(self, pack: RulePack, *, replace: bool = False) -> RulePack:
        """Register ``pack``; refuse a taken id and version unless ``replace``.

        A changed pack is a new version: replacing one in place would make cohorts created
        on it cite rules that differ from their own.
        """
        if not isinstance(pack, RulePack):
            raise InvalidInput("pack", f"{pack!r} is not a RulePack")
        versions = self._packs.setdefault(pack.id, {})
        if pack.version in versions and not replace:
            raise AlreadyExists("rule pack", pack.label)
        versions[pack.version] = pack
        return pack

    def load_entry_points(self, group: str = PACK_ENTRY_POINT_GROUP) -> list[str]:
        """Register every pack installed in the entry-point ``group``; return their labels.

        An id and version already registered is left as it is, so explicit registrations
        win over discovered ones. Every broken entry point is reported at once
        (:class:`InvalidInput`), and then none is registered.
        """
        problems: list[str] = []
        found: list[RulePack] = []
        for point in entry_points(group=group):
            try:
                found += _packs_of(point.load())
            except Exception as exc:  # noqa: BLE001 - every broken plug-in is reported at once
                problems.append(f"entry point {point.name!r} ({point.value}) failed: {exc}")
        if problems:  # all or nothing, as for rules: a half-loaded set would judge unevenly
            raise InvalidInput(group, "; ".join(problems))
        added = [p for p in found if p.version not in self._packs.get(p.id, {})]
        for pack in added:
            self.register(pack)
        return [p.label for p in added]

    def pack(self, pack: str, version: str | None = None) -> RulePack:
        """The pack ``pack`` in ``version`` (the latest when ``None``).

        :class:`~changeflow.errors.UnknownRulePack` names the known packs and versions.
        """
        versions = self._packs.get(pack)
        if not versions or (version is not None and version not in versions):
            raise UnknownRulePack(pack, version, known=self.labels())
        if version is None:
            version = max(versions, key=_order)
        return versions[version]

    def resolve(self, spec: str) -> RulePack:
        """The pack ``PACK`` (its latest version) or ``PACK@VERSION``."""
        return self.pack(*parse_pack_spec(spec))

    def versions(self, pack: str) -> tuple[str, ...]:
        """The registered versions of ``pack``, oldest first (empty when unknown)."""
        return tuple(sorted(self._packs.get(pack, {}), key=_order))

    def labels(self) -> tuple[str, ...]:
        """Every registered pack as ``id@version``."""
        return tuple(p.label for p in self)

    def __iter__(self) -> Iterator[RulePack]:
        """Every registered pack, by id then version."""
        for pack in sorted(self._packs):
            versions = self._packs[pack]
            yield from (versions[v] for v in sorted(versions, key=_order))

    def __len__(self) -> int:
        return sum(len(v) for v in self._packs.values())

    def __contains__(self, pack: object) -> bool:
        return pack in self._packs

    def __repr__(self) -> str:
        return f"RulePackRegistry({list(self.labels())})"


def _packs_of(target: Any) -> list[RulePack]:
    """The packs an entry point names: a pack, packs, or a callable returning either."""
    if callable(target) and not isinstance(target, RulePack):
        target = target()
    found = [target] if isinstance(target, RulePack) else list(target)
    strays = [repr(item) for item in found if not isinstance(item, RulePack)]
    if strays:
        raise TypeError(f"not a RulePack: {', '.join(strays)}")
    return found
