"""Builders for test data: valid NIPs, participants, offices and cohorts."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from changeflow import (
    Cohort,
    CohortParameters,
    Engine,
    Office,
    Participant,
    RuleContext,
    RuleRegistry,
    Verdict,
)
from changeflow.staff import ROLES, Actor, StaffMember

_sequence = itertools.count(1)

DINKES = Office(code="DINKES", name="Dinas Kesehatan")
DISPENDUK = Office(code="DISPENDUK", name="Dinas Kependudukan dan Pencatatan Sipil")
BKD = Office(code="BKD", name="Badan Kepegawaian Daerah")

START_2019 = date(2019, 4, 4)
END_2019 = date(2019, 7, 19)


def make_nip(
    born: date = date(1975, 6, 1),
    appointed: tuple[int, int] = (2000, 3),
    sex: int = 1,
    sequence: int | None = None,
) -> str:
    """A valid NIP encoding ``born``; a fresh sequence number unless one is given."""
    seq = next(_sequence) % 1000 if sequence is None else sequence
    return f"{born:%Y%m%d}{appointed[0]:04d}{appointed[1]:02d}{sex}{seq:03d}"


def make_participant(
    *,
    born: date = date(1975, 6, 1),
    office: Office = DINKES,
    echelon: str = "III.a",
    name: str | None = None,
    nip: str | None = None,
    **extra: Any,
) -> Participant:
    """An eligible participant (echelon III, far from retirement) unless told otherwise."""
    nip = nip or make_nip(born, appointed=(max(born.year + 20, 2000), 3))
    return Participant(
        nip=nip, name=name or f"Peserta {nip[-4:]}", office=office, echelon=echelon, **extra
    )


def make_cohort(
    code: str = "PKA-III-VII-2019",
    *,
    start: date = START_2019,
    end: date = END_2019,
    capacity: int = 30,
    **parameters: Any,
) -> Cohort:
    """The 2019 Probolinggo cohort by default; keyword ``parameters`` go to its rule pack."""
    return Cohort(
        code=code,
        name="Diklat PIM III angkatan VII 2019",
        organiser="BKD Kabupaten Probolinggo",
        start=start,
        end=end,
        capacity=capacity,
        parameters=CohortParameters(**parameters),
    )


def office(number: int) -> Office:
    """A distinct office per number, for filling cohorts."""
    return Office(code=f"OPD{number:03d}", name=f"Organisasi Perangkat Daerah {number}")


def every_role(actor: Actor | None, member: StaffMember | None, /) -> frozenset[str]:  # noqa: ARG001 - the Authorizer signature
    """An authorizer for tests that are not about permissions: anyone holds every role.

    The mentor role included, so such tests fire every event without naming a mentor;
    the permission tests (tests/rules/test_permission.py, tests/test_engine_staff.py) use
    the engine's default :class:`~changeflow.staff.StaffAuthorizer`.
    """
    return ROLES


def trusted_engine(*args: Any, **kwargs: Any) -> Engine:
    """An :class:`Engine` whose authorizer is :func:`every_role` (see there)."""
    return Engine(*args, authorizer=every_role, **kwargs)


def crashing_rules(rule: str, crash_for: set[str]) -> RuleRegistry:
    """The default rules with ``rule`` replaced by one that crashes for the NIPs in ``crash_for``.

    ``crash_for`` is read at each judgement, so a test may fill it after building the engine.
    """

    def fragile(context: RuleContext) -> Verdict:
        """Crash for the chosen participants only (``OSError: registry unavailable``)."""
        if context.participant.nip in crash_for:
            raise OSError("registry unavailable")
        return Verdict()

    rules = RuleRegistry.default().copy()
    rules.register(rule, fragile, replace=True)
    return rules
