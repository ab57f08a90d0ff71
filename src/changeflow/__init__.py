"""changeflow: the change-project (proyek perubahan) lifecycle as a validated state machine.

A cohort (angkatan) of officials moves through enrolment, on-class, proposal, the off-class
leadership laboratory, seminar and graduation; every move is judged by pluggable rules and
audited. Start with :class:`Engine`.
"""

from changeflow.audit import AuditCheck, Checkpoint
from changeflow.clock import Clock, FixedClock, SystemClock
from changeflow.engine import CohortStatus, Engine, Listener
from changeflow.errors import (
    AlreadyExists,
    ChangeflowError,
    CohortNotFound,
    ConcurrentTransition,
    DefinitionError,
    IdempotencyConflict,
    IllegalTransition,
    InvalidInput,
    NotFound,
    ParticipantNotFound,
    RuleError,
    SchemaVersionError,
    StoreBusy,
    StoreError,
    StoreFull,
    StoreUnavailable,
    TransitionRejected,
    UnknownEvent,
)
from changeflow.models import (
    Assessment,
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
)
from changeflow.nip import parse_nip
from changeflow.records import AdvanceReport, Enrolment, HistoryEntry
from changeflow.rules import Rule, RuleContext, RuleRegistry, Verdict, Violation
from changeflow.states import (
    DEFAULT_LIFECYCLE,
    Event,
    Lifecycle,
    LifecycleDefinition,
    Stage,
    load_definition,
)
from changeflow.store import MemoryStore, Store

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_LIFECYCLE",
    "AdvanceReport",
    "AlreadyExists",
    "Assessment",
    "AuditCheck",
    "ChangeProject",
    "ChangeflowError",
    "Checkpoint",
    "Clock",
    "Coach",
    "Cohort",
    "CohortNotFound",
    "CohortParameters",
    "CohortStatus",
    "ConcurrentTransition",
    "DefinitionError",
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
    "Listener",
    "MemoryStore",
    "Mentor",
    "NotFound",
    "Office",
    "Participant",
    "ParticipantNotFound",
    "Rule",
    "RuleContext",
    "RuleError",
    "RuleRegistry",
    "SchemaVersionError",
    "Stage",
    "Store",
    "StoreBusy",
    "StoreError",
    "StoreFull",
    "StoreUnavailable",
    "SystemClock",
    "TransitionRejected",
    "UnknownEvent",
    "Verdict",
    "Violation",
    "__version__",
    "load_definition",
    "parse_nip",
]
