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
    from changeflow.batch import Batch
    from changeflow.citations import Citation
    from changeflow.clock import Clock, FixedClock, SystemClock
    from changeflow.commands import Command
    from changeflow.engine import CohortStatus, Engine, Listener
    from changeflow.errors import (
        AlreadyExists,
        BatchBroken,
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
        NoSuchDatabase,
        NotADatabase,
        NotFound,
        ParticipantNotFound,
        RuleError,
        SchemaOutdated,
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
    from changeflow.offices import OfficeConflict, RegisteredOffice
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
    "Batch": "changeflow.batch",
    "Citation": "changeflow.citations",
    "Clock": "changeflow.clock",
    "FixedClock": "changeflow.clock",
    "SystemClock": "changeflow.clock",
    "Command": "changeflow.commands",
    "CohortStatus": "changeflow.engine",
    "Engine": "changeflow.engine",
    "Listener": "changeflow.engine",
    "AlreadyExists": "changeflow.errors",
    "BatchBroken": "changeflow.errors",
    "NoSuchDatabase": "changeflow.errors",
    "SchemaOutdated": "changeflow.errors",
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
    "OfficeConflict": "changeflow.offices",
    "RegisteredOffice": "changeflow.offices",
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
    "Batch",
    "BatchBroken",
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
    "NoSuchDatabase",
    "NotADatabase",
    "NotFound",
    "Office",
    "OfficeConflict",
    "Participant",
    "ParticipantNotFound",
    "RegisteredOffice",
    "Rule",
    "RuleContext",
    "RuleError",
    "RulePack",
    "RulePackRegistry",
    "RuleRegistry",
    "SchemaOutdated",
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


if TYPE_CHECKING:  # the helper's own annotations, apart from the public names above
    from collections.abc import Callable, Mapping, Sequence


def _lazy(
    package: str, where: Mapping[str, str], namespace: dict[str, Any], public: Sequence[str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``, whose names live in ``where`` (PEP 562).

    This package and its ``states``, ``rules`` and ``store`` packages take theirs from
    here, so that importing one loads no module a command does not use.

    ``where`` maps each public name to its module: absolute, or relative to ``package``
    (``".definition"``). A name is imported on first use and kept in ``namespace`` (the
    package's globals), so the next use is a plain lookup.
    """

    def __getattr__(name: str) -> Any:  # noqa: N807 - the module hook's own name
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, package), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:  # noqa: N807 - the module hook's own name
        return sorted({*namespace, *public})

    return __getattr__, __dir__


__getattr__, __dir__ = _lazy(__name__, _WHERE, globals(), __all__)
