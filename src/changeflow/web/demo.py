"""Demo accounts for the board on the demo database (``changeflow serve --demo``).

Every staff member of the demo cohort, and the mentors of its first two participants, get
the password :data:`DEMO_PASSWORD`. Only for the demo database: never give real staff a
password everybody can read here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from changeflow.engine import Engine

__all__ = ["DEMO_ACTOR", "DEMO_PASSWORD", "DemoAccount", "demo_accounts"]

DEMO_PASSWORD = "changeflow-demo"  # noqa: S105 - the demo database's published password
"""The demo accounts' password."""

DEMO_ACTOR = "changeflow-serve-demo"
"""Who the demo's passwords are recorded as set by."""


@dataclass(frozen=True, slots=True)
class DemoAccount:
    """A login of the demo, what it is, and its name."""

    login: str
    role: str
    name: str


def demo_accounts(engine: Engine, cohort: str, *, mentors: int = 2) -> list[DemoAccount]:
    """Give the cohort's staff and its first ``mentors`` mentors the demo password."""
    staff = [
        DemoAccount(member.id, ", ".join(sorted(member.roles)), member.name)
        for member in engine.staff(cohort)
    ]
    mentoring: list[DemoAccount] = []
    for member in engine.participants(cohort):
        mentor = None if member.project is None else member.project.mentor
        if len(mentoring) == mentors:
            break
        if mentor is not None and mentor.nip is not None:
            mentoring.append(
                DemoAccount(mentor.nip, f"mentor of {member.participant.name}", mentor.name)
            )
    accounts = staff + mentoring
    for account in accounts:
        engine.set_password(account.login, DEMO_PASSWORD, actor=DEMO_ACTOR)
    return accounts
