"""Embedding changeflow in an HR system through the Python API.

The HR system adds its own enrolment rule (a health certificate on file), listens for
committed commands to update its records (every move and every data command: a project
registered, a score recorded), and drives one participant to graduation.

The HR system authenticates its users itself; changeflow stores no passwords. It plugs its
own directory in as the engine's ``Authorizer``: the roles each of its users holds in the
course come from there, not from changeflow's staff table. The mentor needs no entry: the
mentor's NIP is recorded with the change project, and the mentor approves acting as it.

Run it with ``python examples/hr_embedding.py``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from changeflow import (
    DEFAULT_LIFECYCLE,
    ChangeProject,
    Cohort,
    Engine,
    FixedClock,
    HistoryEntry,
    Mentor,
    Office,
    Participant,
    RuleContext,
    RuleRegistry,
    TransitionRejected,
    Verdict,
)
from changeflow.records import COHORT_NIP

if TYPE_CHECKING:
    from changeflow import Actor, StaffMember


class HealthCertificate:
    """Enrolment rule ``health_certificate``: the HR system must hold a valid certificate."""

    def __init__(self, on_file: set[str]) -> None:
        self.on_file = on_file

    def __call__(self, context: RuleContext, /) -> Verdict:
        """Refuse nominees whose NIP has no certificate on file."""
        if context.participant.nip in self.on_file:
            return Verdict.allow()
        return Verdict.refuse(
            "health_certificate",
            "no health certificate (surat keterangan sehat) on file",
            message_id="surat keterangan sehat belum ada",
            source="HR system policy",
            nip=context.participant.nip,
        )

    def __repr__(self) -> str:
        return f"HealthCertificate({len(self.on_file)} on file)"


class HrDirectory:
    """An ``Authorizer``: the roles the HR system's own directory gives its users."""

    def __init__(self, roles: dict[str, frozenset[str]]) -> None:
        self.roles = roles

    def __call__(self, actor: Actor | None, _member: StaffMember | None, /) -> frozenset[str]:
        """The directory's roles for ``actor``; changeflow's own staff entry is not consulted."""
        return frozenset() if actor is None else self.roles.get(actor.id, frozenset())

    def __repr__(self) -> str:
        return f"HrDirectory({len(self.roles)} users)"


def main() -> list[str]:
    """Run the example; returns the HR system's notifications."""
    ani = Participant(
        nip="197508012000032001",
        name="Ani",
        echelon="III.b",
        office=Office(code="DINSOS", name="Dinas Sosial"),
    )
    edi = Participant(
        nip="197702022001031002",
        name="Edi",
        echelon="III.a",
        office=Office(code="DINSOS", name="Dinas Sosial"),
    )

    rules = RuleRegistry.default()
    rules.register("health_certificate", HealthCertificate(on_file={ani.nip}))
    lifecycle = DEFAULT_LIFECYCLE.model_copy(
        update={"enrolment_rules": (*DEFAULT_LIFECYCLE.enrolment_rules, "health_certificate")}
    )
    directory = HrDirectory(
        {
            "hr-system": frozenset({"organiser"}),  # the BKD's own HR application
            "penguji": frozenset({"examiner"}),
            "bpsdm-coach": frozenset({"coach"}),
        }
    )
    engine = Engine(
        rules=rules,
        lifecycle=lifecycle,
        clock=FixedClock(datetime(2024, 3, 1, 8, tzinfo=UTC)),
        authorizer=directory,
    )

    notifications: list[str] = []

    def notify_hr(entry: HistoryEntry) -> None:
        if entry.nip == COHORT_NIP:
            return  # an entry about the cohort as a whole (its creation): no employee's file
        notifications.append(
            f"{entry.nip}: {entry.event} ({entry.source or '-'} -> {entry.target})"
        )

    engine.subscribe(notify_hr)
    engine.create_cohort(
        Cohort(
            code="PKA-2024-I",
            name="PKA angkatan I 2024",
            start=date(2024, 3, 1),
            end=date(2024, 7, 31),
        ),
        actor="hr-system",
    )

    engine.enrol("PKA-2024-I", ani, actor="hr-system")
    try:
        engine.enrol("PKA-2024-I", edi, actor="hr-system")
    except TransitionRejected as refused:
        print(f"Edi refused: {[v.text('id') for v in refused.violations]}")

    code = "PKA-2024-I"
    mentor = Mentor(name="Kepala Dinas Sosial", nip="196805051990031001")
    engine.fire(code, ani.nip, "start_class", actor="hr-system")
    engine.register_project(
        code,
        ani.nip,
        ChangeProject(title="Bansos tepat sasaran", theme="perlindungan sosial", mentor=mentor),
        actor="hr-system",
    )
    engine.fire(code, ani.nip, "present_proposal", actor="hr-system")
    try:  # the coach may send the proposal back, but only Ani's own mentor approves it
        engine.fire(code, ani.nip, "approve_proposal", actor="bpsdm-coach")
    except TransitionRejected as refused:
        print(f"coach refused: {refused.codes}")
    approved = engine.fire(code, ani.nip, "approve_proposal", actor=mentor.nip)
    print(f"approved by {approved.actor} as {approved.role}")
    engine.fire(code, ani.nip, "present_results", actor="hr-system")
    engine.record_assessment(code, ani.nip, 91.5, actor="penguji")
    graduated = engine.fire(code, ani.nip, "graduate", actor="penguji")
    print(f"Ani graduated with {graduated.data} ({graduated.role}: {graduated.actor})")
    for line in notifications:
        print("HR notified:", line)
    return notifications


if __name__ == "__main__":
    main()
