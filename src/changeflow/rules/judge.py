"""Judging: run every rule of a command (never stopping at the first no) and merge the verdicts.

A refusal cites the cohort's rule pack: each violation's ``source`` is stamped from the
citations pinned in ``context.cohort.parameters`` (pack, version and basis), looked up by
the rule's name, then by the violation's code; a rule the pack does not cite keeps its own
source. Only the refusal path pays for it.
"""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from changeflow.errors import ChangeflowError, RuleError
from changeflow.rules.verdict import Verdict

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from changeflow.models import CohortParameters
    from changeflow.records import Violation
    from changeflow.rules.base import Rule
    from changeflow.rules.context import RuleContext

__all__ = ["cite", "judge"]


def judge(
    rules: Iterable[tuple[str, Rule]], context: RuleContext
) -> tuple[tuple[Violation, ...], Mapping[str, Any] | None]:
    """Every violation of the named ``rules``, or the facts their ok verdicts recorded.

    A rule that raises (other than a :class:`ChangeflowError`) or answers something other
    than a :class:`Verdict` is a :class:`RuleError`: the command is not applied. Each
    violation cites the cohort's rule pack (see :func:`cite`).
    """
    refused: list[tuple[str, Violation]] = []
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
            refused.extend((name, violation) for violation in verdict.violations)
        elif verdict.facts:
            facts = {**(facts or {}), **verdict.facts}
    if refused:
        parameters = context.cohort.parameters
        return tuple(cite(parameters, name, violation) for name, violation in refused), None
    return (), None if facts is None else MappingProxyType(facts)


def cite(parameters: CohortParameters, rule: str, violation: Violation) -> Violation:
    """``violation`` citing the pack of ``parameters`` for ``rule`` (else for its code).

    A violation the pack cites for neither keeps the source its rule gave it.
    """
    source = parameters.source(rule, violation.code)
    return violation if source is None else replace(violation, source=source)
