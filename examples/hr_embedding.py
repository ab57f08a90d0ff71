"""Embedding changeflow in an HR system through the Python API.

The HR system adds its own enrolment rule (a health certificate on file), listens for
committed commands to update its records (every move and every data command: a project
registered, a score recorded), and drives one participant to graduation.

Run it with ``python examples/hr_embedding.py``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

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
    engine = Engine(
        rules=rules, lifecycle=lifecycle, clock=FixedClock(datetime(2024, 3, 1, 8, tzinfo=UTC))
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
        )
    )

    engine.enrol("PKA-2024-I", ani, actor="hr-system")
    try:
        engine.enrol("PKA-2024-I", edi, actor="hr-system")
    except TransitionRejected as refused:
        print(f"Edi refused: {[v.text('id') for v in refused.violations]}")

    code = "PKA-2024-I"
    engine.fire(code, ani.nip, "start_class")
    engine.register_project(
        code,
        ani.nip,
        ChangeProject(
            title="Bansos tepat sasaran",
            theme="perlindungan sosial",
            mentor=Mentor(name="Kepala Dinas Sosial"),
        ),
    )
    engine.fire(code, ani.nip, "present_proposal")
    engine.fire(code, ani.nip, "approve_proposal", actor="Kepala Dinas Sosial")
    engine.fire(code, ani.nip, "present_results")
    engine.record_assessment(code, ani.nip, 91.5)
    graduated = engine.fire(code, ani.nip, "graduate", actor="penguji")
    print(f"Ani graduated with {graduated.data}")
    for line in notifications:
        print("HR notified:", line)
    return notifications


if __name__ == "__main__":
    main()
