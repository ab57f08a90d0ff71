"""The default change-project lifecycle, from the 2019 Probolinggo cohort.

enrolment → on-class → proposal → laboratory → seminar → graduated / not passed, with
withdrawal and dropping possible from every active stage, and ``reopen`` to correct a
mistaken ending (graduated or not passed → seminar; withdrawn or dropped → the state left).
"""

from __future__ import annotations

from changeflow.states.definition import (
    ANY_ACTIVE,
    DEFAULT_COMMANDS,
    PREVIOUS,
    LifecycleDefinition,
    StateSpec,
    TransitionSpec,
)
from changeflow.states.names import Event, Stage

__all__ = ["DEFAULT_ENROLMENT_RULES", "DEFAULT_LIFECYCLE"]

DEFAULT_ENROLMENT_RULES = (
    "rank",
    "retirement_horizon",
    "already_active",
    "office_quota",
    "cohort_capacity",
)
"""Enrolment rules of the default pack, in the order their violations are reported."""


def _t(event: Event, source: Stage | str, dest: Stage, *rules: str, doc: str) -> TransitionSpec:
    return TransitionSpec(event=event, source=(source,), dest=dest, rules=rules, description=doc)


# Taking a seat back re-judges the quota rules: the seat may have been taken meanwhile (the
# rules judge only a reopening that takes a seat), and the person may be active elsewhere.
_REOPEN_RULES = ("reason_required", "already_active", "office_quota", "cohort_capacity")

DEFAULT_LIFECYCLE = LifecycleDefinition(
    name="change_project",
    version="3",
    description="Leadership training level III / administrator (PKA) with a change project.",
    initial=Stage.ENROLLED,
    enrolment_rules=DEFAULT_ENROLMENT_RULES,
    states=(
        StateSpec(name=Stage.ENROLLED, description="accepted at enrolment"),
        StateSpec(name=Stage.ON_CLASS, description="about 3 weeks in class and a 3-day visit"),
        StateSpec(name=Stage.PROPOSAL, description="change-project proposal before mentors"),
        StateSpec(name=Stage.LABORATORY, description="about 2 months implementing at the office"),
        StateSpec(name=Stage.SEMINAR, description="results presented and assessed"),
        StateSpec(
            name=Stage.GRADUATED,
            final=True,
            completes_course=True,
            outcome="passed",
            description="passed, with a grade band",
        ),
        StateSpec(
            name=Stage.NOT_PASSED, final=True, outcome="failed", description="assessed, not passed"
        ),
        StateSpec(
            name=Stage.WITHDRAWN,
            final=True,
            frees_seat=True,
            description="left the course (health, transfer)",
        ),
        StateSpec(
            name=Stage.DROPPED,
            final=True,
            frees_seat=True,
            description="removed (attendance, discipline)",
        ),
    ),
    transitions=(
        _t(Event.START_CLASS, Stage.ENROLLED, Stage.ON_CLASS, doc="the class begins"),
        _t(
            Event.PRESENT_PROPOSAL,
            Stage.ON_CLASS,
            Stage.PROPOSAL,
            "change_project",
            "attendance_minimum",
            doc="present the change project to the mentor",
        ),
        _t(
            Event.REVISE_PROPOSAL,
            Stage.PROPOSAL,
            Stage.PROPOSAL,
            doc="the proposal is sent back for revision",
        ),
        _t(
            Event.APPROVE_PROPOSAL,
            Stage.PROPOSAL,
            Stage.LABORATORY,
            "mentor_approval",
            doc="the mentor approves; the actor is recorded as the approver",
        ),
        _t(
            Event.PRESENT_RESULTS,
            Stage.LABORATORY,
            Stage.SEMINAR,
            doc="the laboratory's results are presented at the seminar",
        ),
        _t(
            Event.GRADUATE,
            Stage.SEMINAR,
            Stage.GRADUATED,
            "passing_assessment",
            doc="passed; the grade band is recorded",
        ),
        _t(
            Event.FAIL,
            Stage.SEMINAR,
            Stage.NOT_PASSED,
            "fail_grounds",
            doc="not passed: the recorded assessment fails, or a reason says why",
        ),
        _t(
            Event.WITHDRAW,
            ANY_ACTIVE,
            Stage.WITHDRAWN,
            "reason_required",
            doc="leaves the course; frees the seat",
        ),
        _t(
            Event.DROP,
            ANY_ACTIVE,
            Stage.DROPPED,
            "reason_required",
            doc="removed from the course; frees the seat",
        ),
        TransitionSpec(
            event=Event.REOPEN,
            source=(Stage.GRADUATED, Stage.NOT_PASSED),
            dest=Stage.SEMINAR,
            rules=_REOPEN_RULES,
            reopens=True,
            description="correction: the outcome is reopened and assessed again",
        ),
        TransitionSpec(
            event=Event.REOPEN,
            source=(Stage.WITHDRAWN, Stage.DROPPED),
            dest=PREVIOUS,
            rules=_REOPEN_RULES,
            reopens=True,
            description="correction: back to the state left, taking the seat back",
        ),
    ),
    commands=dict(DEFAULT_COMMANDS),
)
"""The canonical lifecycle; scripts depend on its state and event names."""
