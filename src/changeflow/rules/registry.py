"""Named rules: the built-ins, explicit registrations and the ``changeflow.rules`` entry points."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from importlib.metadata import entry_points
from typing import TYPE_CHECKING

from changeflow.errors import DefinitionError
from changeflow.rules.attendance import AttendanceMinimum
from changeflow.rules.eligibility import AlreadyActive, Rank, RetirementHorizon
from changeflow.rules.quota import CohortCapacity, OfficeQuota
from changeflow.rules.record import FailGrounds, OutcomeUnchanged, RecordOpen
from changeflow.rules.stage import (
    ChangeProjectRequired,
    MentorRequired,
    PassingAssessment,
    ReasonRequired,
)

if TYPE_CHECKING:
    from changeflow.rules.base import Rule

__all__ = ["ENTRY_POINT_GROUP", "RuleRegistry", "builtin_rules"]

ENTRY_POINT_GROUP = "changeflow.rules"
"""Packages expose rules as entry points in this group: ``name = "package.module:rule"``."""


def builtin_rules() -> dict[str, Rule]:
    """The rules changeflow ships, by the names lifecycle definitions use."""
    return {
        "rank": Rank(),
        "retirement_horizon": RetirementHorizon(),
        "office_quota": OfficeQuota(),
        "cohort_capacity": CohortCapacity(),
        "already_active": AlreadyActive(),
        "change_project": ChangeProjectRequired(),
        "mentor_approval": MentorRequired(),
        "passing_assessment": PassingAssessment(),
        "reason_required": ReasonRequired(),
        "record_open": RecordOpen(),
        "outcome_unchanged": OutcomeUnchanged(),
        "fail_grounds": FailGrounds(),
        "attendance_minimum": AttendanceMinimum(),
    }


class RuleRegistry(Mapping[str, "Rule"]):
    """A mapping of rule names to rules, built explicitly.

    >>> registry = RuleRegistry.default()
    >>> "office_quota" in registry
    True
    """

    def __init__(self, rules: Mapping[str, Rule] | None = None) -> None:
        self._rules: dict[str, Rule] = dict(rules or {})

    @classmethod
    def default(cls, *, entry_points: bool = True) -> RuleRegistry:
        """The built-in rules, plus those installed packages register as entry points."""
        registry = cls(builtin_rules())
        if entry_points:
            registry.load_entry_points()
        return registry

    def register(self, name: str, rule: Rule, *, replace: bool = False) -> Rule:
        """Register ``rule`` under ``name``; refuse to shadow a name unless ``replace``."""
        if not isinstance(name, str) or not name.isidentifier():
            raise DefinitionError([f"rule name {name!r} is not an identifier"])
        if not callable(rule):
            raise DefinitionError([f"rule {name!r} is not callable: {rule!r}"])
        if name in self._rules and not replace:
            raise DefinitionError([f"rule {name!r} is already registered (pass replace=True)"])
        self._rules[name] = rule
        return rule

    def load_entry_points(self, group: str = ENTRY_POINT_GROUP) -> list[str]:
        """Register every rule installed in the entry-point ``group``; return their names.

        An entry point may name a rule object or a rule class (instantiated without
        arguments). A name that is already registered is left as it is, so explicit
        registrations win over discovered ones.
        """
        problems: list[str] = []
        found: dict[str, Rule] = {}
        for point in entry_points(group=group):
            if point.name in self._rules:
                continue
            try:
                target = point.load()
                rule = target() if isinstance(target, type) else target
            except Exception as exc:  # noqa: BLE001 - every broken plug-in is reported at once
                problems.append(f"entry point {point.name!r} ({point.value}) failed: {exc}")
                continue
            if not callable(rule) or not point.name.isidentifier():
                problems.append(
                    f"entry point {point.name!r} ({point.value}) failed: not a callable rule "
                    "under an identifier name"
                )
            found[point.name] = rule
        if problems:  # all or nothing: a half-loaded plug-in set would judge inconsistently
            raise DefinitionError(problems)
        self._rules.update(found)
        return list(found)

    def copy(self) -> RuleRegistry:
        """An independent copy, to extend without touching the original."""
        return RuleRegistry(self._rules)

    def __getitem__(self, name: str) -> Rule:
        return self._rules[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._rules)

    def __len__(self) -> int:
        return len(self._rules)

    def __repr__(self) -> str:
        return f"RuleRegistry({sorted(self._rules)})"
