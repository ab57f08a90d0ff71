"""Pluggable eligibility, quota and stage rules (aturan).

A rule is a callable ``(RuleContext) -> Verdict``; see :mod:`changeflow.rules.base`.
"""

from changeflow.rules.base import Rule
from changeflow.rules.context import Facts, RuleContext, Standing
from changeflow.rules.eligibility import ARTICLE, AlreadyActive, Rank, RetirementHorizon
from changeflow.rules.packs import PACK_ENTRY_POINT_GROUP, RulePack, RulePackRegistry, shipped_packs
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
