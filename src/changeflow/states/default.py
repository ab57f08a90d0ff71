"""The default change-project lifecycle, from the 2019 Probolinggo cohort.

enrolment → on-class → proposal → laboratory → seminar → graduated / not passed, with
withdrawal and dropping possible from every active stage, and ``reopen`` to correct a
mistaken ending (graduated or not passed → seminar; withdrawn or dropped → the state left).

Version 4 says who may do what: the organiser enrols, starts the class, presents, withdraws,
drops, corrects and reopens; a coach or the organiser sends a proposal back and forms the
groups; only the participant's own mentor approves the proposal; an examiner records scores,
graduates and fails. Version 3 (no permissions) is what cohorts created before it run.
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
from changeflow.states.names import (
    ADD_STAFF,
    ENROL,
    ERASE,
    MIGRATE,
    RECORD_ATTENDANCE,
    SET_SCHEDULE,
    DataCommand,
    Event,
    Stage,
)

__all__ = ["DEFAULT_ENROLMENT_RULES", "DEFAULT_LIFECYCLE", "DEFAULT_PERMISSIONS"]

DEFAULT_ENROLMENT_RULES = (
    "rank",
    "retirement_horizon",
    "already_active",
    "office_quota",
    "cohort_capacity",
)
"""Enrolment rules of the default pack, in the order their violations are reported."""


def _t(
    event: Event,
    source: Stage | str,
    dest: Stage,
    *rules: str,
    by: tuple[str, ...],
    doc: str,
) -> TransitionSpec:
    return TransitionSpec(
        event=event, source=(source,), dest=dest, rules=rules, by=by, description=doc
    )


_ORGANISER = ("organiser",)
_COACHING = ("coach", "organiser")
_EXAMINER = ("examiner",)

_COMMAND_ROLES: dict[str, tuple[str, ...]] = {
    DataCommand.REGISTER_PROJECT: _ORGANISER,
    DataCommand.RECORD_ASSESSMENT: _EXAMINER,
    DataCommand.FORM_GROUPS: _COACHING,
    DataCommand.CORRECT_ASSESSMENT: _ORGANISER,
    DataCommand.CORRECT_PARTICIPANT: _ORGANISER,
    DataCommand.TRANSFER_OFFICE: _ORGANISER,
}

DEFAULT_PERMISSIONS: dict[str, tuple[str, ...]] = {
    ENROL: _ORGANISER,
    ADD_STAFF: _ORGANISER,
    SET_SCHEDULE: _ORGANISER,
    RECORD_ATTENDANCE: _ORGANISER,
    MIGRATE: _ORGANISER,
    ERASE: _ORGANISER,
}
"""Who runs the engine's commands in the default lifecycle: the organiser."""


# Taking a seat back re-judges the quota rules: the seat may have been taken meanwhile (the
# rules judge only a reopening that takes a seat), and the person may be active elsewhere.
_REOPEN_RULES = ("reason_required", "already_active", "office_quota", "cohort_capacity")

DEFAULT_LIFECYCLE = LifecycleDefinition(
    name="change_project",
    version="4",
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
        _t(
            Event.START_CLASS, Stage.ENROLLED, Stage.ON_CLASS, by=_ORGANISER, doc="the class begins"
        ),
        _t(
            Event.PRESENT_PROPOSAL,
            Stage.ON_CLASS,
            Stage.PROPOSAL,
            "change_project",
            "attendance_minimum",
            by=_ORGANISER,
            doc="present the change project to the mentor",
        ),
        _t(
            Event.REVISE_PROPOSAL,
            Stage.PROPOSAL,
            Stage.PROPOSAL,
            by=_COACHING,
            doc="the proposal is sent back for revision",
        ),
        _t(
            Event.APPROVE_PROPOSAL,
            Stage.PROPOSAL,
            Stage.LABORATORY,
            "mentor_approval",
            by=("mentor",),
            doc="the mentor approves; the actor is recorded as the approver",
        ),
        _t(
            Event.PRESENT_RESULTS,
            Stage.LABORATORY,
            Stage.SEMINAR,
            by=_ORGANISER,
            doc="the laboratory's results are presented at the seminar",
        ),
        _t(
            Event.GRADUATE,
            Stage.SEMINAR,
            Stage.GRADUATED,
            "passing_assessment",
            by=_EXAMINER,
            doc="passed; the grade band is recorded",
        ),
        _t(
            Event.FAIL,
            Stage.SEMINAR,
            Stage.NOT_PASSED,
            "fail_grounds",
            by=_EXAMINER,
            doc="not passed: the recorded assessment fails, or a reason says why",
        ),
        _t(
            Event.WITHDRAW,
            ANY_ACTIVE,
            Stage.WITHDRAWN,
            "reason_required",
            by=_ORGANISER,
            doc="leaves the course; frees the seat",
        ),
        _t(
            Event.DROP,
            ANY_ACTIVE,
            Stage.DROPPED,
            "reason_required",
            by=_ORGANISER,
            doc="removed from the course; frees the seat",
        ),
        TransitionSpec(
            event=Event.REOPEN,
            source=(Stage.GRADUATED, Stage.NOT_PASSED),
            dest=Stage.SEMINAR,
            rules=_REOPEN_RULES,
            reopens=True,
            by=_ORGANISER,
            description="correction: the outcome is reopened and assessed again",
        ),
        TransitionSpec(
            event=Event.REOPEN,
            source=(Stage.WITHDRAWN, Stage.DROPPED),
            dest=PREVIOUS,
            rules=_REOPEN_RULES,
            reopens=True,
            by=_ORGANISER,
            description="correction: back to the state left, taking the seat back",
        ),
    ),
    commands={
        name: spec.model_copy(update={"by": _COMMAND_ROLES[name]})
        for name, spec in DEFAULT_COMMANDS.items()
    },
    permissions=DEFAULT_PERMISSIONS,
)
"""The canonical lifecycle; scripts depend on its state and event names."""
