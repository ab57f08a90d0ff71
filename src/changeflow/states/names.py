"""Canonical stage and event names of the default lifecycle.

Scripts and other systems depend on these strings; they never change meaning. Both enums
are ``StrEnum``, so ``Stage.ENROLLED == "enrolled"``.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ENROL", "Event", "Stage"]

ENROL = "enrol"
"""The pseudo-event recorded when a nomination is judged (there is no source state)."""


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
