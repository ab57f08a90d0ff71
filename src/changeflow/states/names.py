"""Canonical stage and event names of the default lifecycle.

Scripts and other systems depend on these strings; they never change meaning. Both enums
are ``StrEnum``, so ``Stage.ENROLLED == "enrolled"``.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "ADD_STAFF",
    "CARRY_OVER",
    "CREATE_COHORT",
    "DATA_COMMANDS",
    "ENROL",
    "ERASE",
    "MIGRATE",
    "PERMITTED_COMMANDS",
    "RECORD_ATTENDANCE",
    "RESERVED_EVENTS",
    "SET_SCHEDULE",
    "DataCommand",
    "Event",
    "Stage",
]

ENROL = "enrol"
"""The pseudo-event recorded when a nomination is judged (there is no source state)."""

CREATE_COHORT = "create_cohort"
"""The first entry of a cohort's chain: the cohort, its lifecycle and rule pack."""

MIGRATE = "migrate"
"""A cohort moved to another lifecycle definition, and each participant's state mapped."""

CARRY_OVER = "carry_over"
"""Facts a database upgrade found stored without an audit entry, recorded as found."""

SET_SCHEDULE = "set_schedule"
"""A cohort's schedule (stage windows, visit, closures) set or adjusted by an organiser."""

RECORD_ATTENDANCE = "record_attendance"
"""A participant's attendance on one on-class day (present, izin, sakit, absent)."""

ERASE = "erase"
"""A person's personal data erased (UU 27/2022); the entry holds only their subject id."""

ADD_STAFF = "add_staff"
"""A member of the cohort's staff added, or their roles changed, by an organiser."""


class Stage(StrEnum):
    """The states of the default change-project lifecycle."""

    ENROLLED = "enrolled"
    """Nominated and accepted (diterima sebagai peserta)."""
    ON_CLASS = "on_class"
    """In class (on-class): about three weeks of material and a benchmarking visit."""
    PROPOSAL = "proposal"
    """Presenting the change-project proposal (seminar rancangan proyek perubahan)."""
    LABORATORY = "laboratory"
    """Off-class leadership laboratory (laboratorium kepemimpinan) back at the office."""
    SEMINAR = "seminar"
    """Presenting the laboratory's results (seminar hasil)."""
    GRADUATED = "graduated"
    """Passed (lulus), with a grade band."""
    NOT_PASSED = "not_passed"
    """Assessed and not passed (tidak lulus)."""
    WITHDRAWN = "withdrawn"
    """Left the course (mengundurkan diri), e.g. for health or a transfer."""
    DROPPED = "dropped"
    """Removed from the course (dikeluarkan), e.g. for attendance or discipline."""


class Event(StrEnum):
    """The events of the default lifecycle."""

    START_CLASS = "start_class"
    PRESENT_PROPOSAL = "present_proposal"
    REVISE_PROPOSAL = "revise_proposal"
    APPROVE_PROPOSAL = "approve_proposal"
    PRESENT_RESULTS = "present_results"
    GRADUATE = "graduate"
    FAIL = "fail"
    WITHDRAW = "withdraw"
    DROP = "drop"
    REOPEN = "reopen"
    """A correction: return from a final state to the state left (reason required)."""


class DataCommand(StrEnum):
    """Commands that change a participant's facts without moving them."""

    REGISTER_PROJECT = "register_project"
    """Register or replace the change project (proyek perubahan) and its mentor."""
    RECORD_ASSESSMENT = "record_assessment"
    """Record an assessment score."""
    FORM_GROUPS = "form_groups"
    """Place the seated participants in thematic groups (kelompok)."""
    CORRECT_ASSESSMENT = "correct_assessment"
    """Correct a recorded score (reason required)."""
    CORRECT_PARTICIPANT = "correct_participant"
    """Correct a name, birth date or echelon (reason required)."""
    TRANSFER_OFFICE = "transfer_office"
    """Record a change of office (reason required)."""


DATA_COMMANDS: frozenset[str] = frozenset(DataCommand)
"""The names of the data commands."""

RESERVED_EVENTS: frozenset[str] = DATA_COMMANDS | {
    ENROL,
    CREATE_COHORT,
    MIGRATE,
    CARRY_OVER,
    SET_SCHEDULE,
    RECORD_ATTENDANCE,
    ADD_STAFF,
    ERASE,
}
"""Names a lifecycle may not give its own events: the engine's commands use them."""

PERMITTED_COMMANDS: frozenset[str] = frozenset(
    {ENROL, ADD_STAFF, SET_SCHEDULE, RECORD_ATTENDANCE, MIGRATE, ERASE}
)
"""The engine's commands (beyond transitions and data commands) a definition's
``permissions`` may restrict."""
