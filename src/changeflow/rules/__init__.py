"""Pluggable eligibility, quota and stage rules (aturan).

A rule is a callable ``(RuleContext) -> Verdict``; see :mod:`changeflow.rules.base`.

The names are imported on first use (PEP 562): importing one rule module (the engine's
permission check, say) must not load the rule packs and their models.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from changeflow import _lazy

if TYPE_CHECKING:  # the names below, for type checkers; at run time see _WHERE
    from changeflow.rules.base import Rule
    from changeflow.rules.context import Facts, RuleContext, Standing
    from changeflow.rules.eligibility import ARTICLE, AlreadyActive, Rank, RetirementHorizon
    from changeflow.rules.packs import (
        PACK_ENTRY_POINT_GROUP,
        RulePack,
        RulePackRegistry,
        shipped_packs,
    )
    from changeflow.rules.quota import CohortCapacity, OfficeQuota
    from changeflow.rules.record import FailGrounds, OutcomeUnchanged, RecordOpen
    from changeflow.rules.registry import ENTRY_POINT_GROUP, RuleRegistry, builtin_rules
    from changeflow.rules.stage import (
        ChangeProjectRequired,
        MentorRequired,
        PassingAssessment,
        ReasonRequired,
    )
    from changeflow.rules.verdict import OK, Verdict, Violation

__all__ = [
    "ARTICLE",
    "ENTRY_POINT_GROUP",
    "OK",
    "PACK_ENTRY_POINT_GROUP",
    "AlreadyActive",
    "ChangeProjectRequired",
    "CohortCapacity",
    "Facts",
    "FailGrounds",
    "MentorRequired",
    "OfficeQuota",
    "OutcomeUnchanged",
    "PassingAssessment",
    "Rank",
    "ReasonRequired",
    "RecordOpen",
    "RetirementHorizon",
    "Rule",
    "RuleContext",
    "RulePack",
    "RulePackRegistry",
    "RuleRegistry",
    "Standing",
    "Verdict",
    "Violation",
    "builtin_rules",
    "shipped_packs",
]

_WHERE: dict[str, str] = {
    "Rule": ".base",
    "Facts": ".context",
    "RuleContext": ".context",
    "Standing": ".context",
    "ARTICLE": ".eligibility",
    "AlreadyActive": ".eligibility",
    "Rank": ".eligibility",
    "RetirementHorizon": ".eligibility",
    "PACK_ENTRY_POINT_GROUP": ".packs",
    "RulePack": ".packs",
    "RulePackRegistry": ".packs",
    "shipped_packs": ".packs",
    "CohortCapacity": ".quota",
    "OfficeQuota": ".quota",
    "FailGrounds": ".record",
    "OutcomeUnchanged": ".record",
    "RecordOpen": ".record",
    "ENTRY_POINT_GROUP": ".registry",
    "RuleRegistry": ".registry",
    "builtin_rules": ".registry",
    "ChangeProjectRequired": ".stage",
    "MentorRequired": ".stage",
    "PassingAssessment": ".stage",
    "ReasonRequired": ".stage",
    "OK": ".verdict",
    "Verdict": ".verdict",
    "Violation": ".verdict",
}
"""Each public name and the submodule defining it (imported on first use, see __getattr__)."""


__getattr__, __dir__ = _lazy(__name__, _WHERE, globals(), __all__)
