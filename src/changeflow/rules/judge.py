"""Judging: run every rule of a command (never stopping at the first no) and merge the verdicts."""

from __future__ import annotations

from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from changeflow.errors import ChangeflowError, RuleError
from changeflow.rules.verdict import Verdict

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from changeflow.records import Violation
    from changeflow.rules.base import Rule
    from changeflow.rules.context import RuleContext

__all__ = ["judge"]


def judge(
    rules: Iterable[tuple[str, Rule]], context: RuleContext
) -> tuple[tuple[Violation, ...], Mapping[str, Any] | None]:
    """Every violation of the named ``rules``, or the facts their ok verdicts recorded.

    A rule that raises (other than a :class:`ChangeflowError`) or answers something other
    than a :class:`Verdict` is a :class:`RuleError`: the command is not applied.
    """
    violations: list[Violation] = []
    facts: dict[str, Any] | None = None
    for name, rule in rules:
        try:
            verdict = rule(context)
        except ChangeflowError:
            raise
        except Exception as exc:
            raise RuleError(name, exc) from exc
        if not isinstance(verdict, Verdict):
            raise RuleError(name, TypeError(f"returned {verdict!r}, not a Verdict"))
        if verdict.violations:
            violations.extend(verdict.violations)
        elif verdict.facts:
            facts = {**(facts or {}), **verdict.facts}
    if violations:
        return tuple(violations), None
    return (), None if facts is None else MappingProxyType(facts)
