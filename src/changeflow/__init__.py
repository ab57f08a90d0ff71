"""changeflow: the change-project (proyek perubahan) lifecycle as a validated state machine.

A cohort (angkatan) of officials moves through enrolment, on-class, proposal, the off-class
leadership laboratory, seminar and graduation; every move is judged by pluggable rules and
audited. Start with :class:`Engine`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the names below, for type checkers and IDEs; at run time see _WHERE
    from changeflow.audit import AuditCheck, Checkpoint
    from changeflow.citations import Citation
    from changeflow.clock import Clock, FixedClock, SystemClock
    from changeflow.commands import Command
    from changeflow.engine import CohortStatus, Engine, Listener
    from changeflow.errors import (
        AlreadyExists,
        ChangeflowError,
        CohortNotFound,
        ConcurrentTransition,
        DefinitionError,
        DefinitionMismatch,
        IdempotencyConflict,
        IllegalTransition,
        InvalidInput,
        MigrationRejected,
        MissingRules,
        NotADatabase,
        NotFound,
        ParticipantNotFound,
        RuleError,
        SchemaVersionError,
        SealBroken,
        StoreBusy,
        StoreCorrupt,
        StoreError,
        StoreFull,
        StoreUnavailable,
        TransitionRejected,
        UnknownEvent,
        UnknownRulePack,
        UnreadableEntry,
        UpgradeRefused,
    )
    from changeflow.models import (
        Assessment,
        Attendance,
        CalendarParameters,
        ChangeProject,
        Coach,
        Cohort,
        CohortParameters,
        Grade,
        GradeBand,
        GradingScheme,
        Group,
        Mentor,
        Office,
        Participant,
        Timeout,
    )
    from changeflow.nip import parse_nip
    from changeflow.records import (
        AdvanceReport,
        CohortProjection,
        Difference,
        Enrolment,
        HistoryEntry,
        LifecycleRef,
        MigrationPlan,
        Stages,
    )
    from changeflow.rules import (
        Rule,
        RuleContext,
        RulePack,
        RulePackRegistry,
        RuleRegistry,
        Verdict,
        Violation,
    )
    from changeflow.staff import Actor, Authorizer, StaffAuthorizer, StaffMember
    from changeflow.states import (
        DEFAULT_LIFECYCLE,
        DataCommand,
        Event,
        Lifecycle,
        LifecycleDefinition,
        Stage,
        load_definition,
    )
    from changeflow.store import MemoryStore, Store

__version__ = "0.1.0"

_WHERE: dict[str, str] = {
    "AuditCheck": "changeflow.audit",
    "Checkpoint": "changeflow.audit",
    "Citation": "changeflow.citations",
    "Clock": "changeflow.clock",
    "FixedClock": "changeflow.clock",
    "SystemClock": "changeflow.clock",
    "Command": "changeflow.commands",
    "CohortStatus": "changeflow.engine",
    "Engine": "changeflow.engine",
    "Listener": "changeflow.engine",
    "AlreadyExists": "changeflow.errors",
    "ChangeflowError": "changeflow.errors",
    "CohortNotFound": "changeflow.errors",
    "ConcurrentTransition": "changeflow.errors",
    "DefinitionError": "changeflow.errors",
    "DefinitionMismatch": "changeflow.errors",
    "IdempotencyConflict": "changeflow.errors",
    "IllegalTransition": "changeflow.errors",
    "InvalidInput": "changeflow.errors",
    "MigrationRejected": "changeflow.errors",
    "MissingRules": "changeflow.errors",
    "NotADatabase": "changeflow.errors",
    "NotFound": "changeflow.errors",
    "ParticipantNotFound": "changeflow.errors",
    "RuleError": "changeflow.errors",
    "SchemaVersionError": "changeflow.errors",
    "SealBroken": "changeflow.errors",
    "StoreBusy": "changeflow.errors",
    "StoreCorrupt": "changeflow.errors",
    "StoreError": "changeflow.errors",
    "StoreFull": "changeflow.errors",
    "StoreUnavailable": "changeflow.errors",
    "TransitionRejected": "changeflow.errors",
    "UnknownEvent": "changeflow.errors",
    "UnknownRulePack": "changeflow.errors",
    "UnreadableEntry": "changeflow.errors",
    "UpgradeRefused": "changeflow.errors",
    "Assessment": "changeflow.models",
    "Attendance": "changeflow.models",
    "CalendarParameters": "changeflow.models",
    "ChangeProject": "changeflow.models",
    "Coach": "changeflow.models",
    "Cohort": "changeflow.models",
    "CohortParameters": "changeflow.models",
    "Grade": "changeflow.models",
    "GradeBand": "changeflow.models",
    "GradingScheme": "changeflow.models",
    "Group": "changeflow.models",
    "Mentor": "changeflow.models",
    "Office": "changeflow.models",
    "Participant": "changeflow.models",
    "Timeout": "changeflow.models",
    "parse_nip": "changeflow.nip",
    "AdvanceReport": "changeflow.records",
    "CohortProjection": "changeflow.records",
    "Difference": "changeflow.records",
    "Enrolment": "changeflow.records",
    "HistoryEntry": "changeflow.records",
    "LifecycleRef": "changeflow.records",
    "MigrationPlan": "changeflow.records",
    "Stages": "changeflow.records",
    "Rule": "changeflow.rules",
    "RuleContext": "changeflow.rules",
    "RulePack": "changeflow.rules",
    "RulePackRegistry": "changeflow.rules",
    "RuleRegistry": "changeflow.rules",
    "Verdict": "changeflow.rules",
    "Violation": "changeflow.rules",
    "Actor": "changeflow.staff",
    "Authorizer": "changeflow.staff",
    "StaffAuthorizer": "changeflow.staff",
    "StaffMember": "changeflow.staff",
    "DEFAULT_LIFECYCLE": "changeflow.states",
    "DataCommand": "changeflow.states",
    "Event": "changeflow.states",
    "Lifecycle": "changeflow.states",
    "LifecycleDefinition": "changeflow.states",
    "Stage": "changeflow.states",
    "load_definition": "changeflow.states",
    "MemoryStore": "changeflow.store",
    "Store": "changeflow.store",
}
"""Each public name and the module defining it: imported on first use (see __getattr__), so
``import changeflow`` stays cheap and a command loads only what it needs."""


__all__ = [
    "DEFAULT_LIFECYCLE",
    "Actor",
    "AdvanceReport",
    "AlreadyExists",
    "Assessment",
    "Attendance",
    "AuditCheck",
    "Authorizer",
    "CalendarParameters",
    "ChangeProject",
    "ChangeflowError",
    "Checkpoint",
    "Citation",
    "Clock",
    "Coach",
    "Cohort",
    "CohortNotFound",
    "CohortParameters",
    "CohortProjection",
    "CohortStatus",
    "Command",
    "ConcurrentTransition",
    "DataCommand",
    "DefinitionError",
    "DefinitionMismatch",
    "Difference",
    "Engine",
    "Enrolment",
    "Event",
    "FixedClock",
    "Grade",
    "GradeBand",
    "GradingScheme",
    "Group",
    "HistoryEntry",
    "IdempotencyConflict",
    "IllegalTransition",
    "InvalidInput",
    "Lifecycle",
    "LifecycleDefinition",
    "LifecycleRef",
    "Listener",
    "MemoryStore",
    "Mentor",
    "MigrationPlan",
    "MigrationRejected",
    "MissingRules",
    "NotADatabase",
    "NotFound",
    "Office",
    "Participant",
    "ParticipantNotFound",
    "Rule",
    "RuleContext",
    "RuleError",
    "RulePack",
    "RulePackRegistry",
    "RuleRegistry",
    "SchemaVersionError",
    "SealBroken",
    "StaffAuthorizer",
    "StaffMember",
    "Stage",
    "Stages",
    "Store",
    "StoreBusy",
    "StoreCorrupt",
    "StoreError",
    "StoreFull",
    "StoreUnavailable",
    "SystemClock",
    "Timeout",
    "TransitionRejected",
    "UnknownEvent",
    "UnknownRulePack",
    "UnreadableEntry",
    "UpgradeRefused",
    "Verdict",
    "Violation",
    "__version__",
    "load_definition",
    "parse_nip",
]


def __getattr__(name: str) -> Any:
    """Import the module defining ``name`` on first use (PEP 562) and cache the attribute."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'changeflow' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public names with the module's own, as if they had been imported eagerly."""
    return sorted({*globals(), *__all__})
