"""Violations the engine itself reports, beside the pluggable rules' own.

These are not rules a definition attaches: they state what the lifecycle and the record
allow at all (an event that does not leave the current state, a second enrolment, a
migration without a mapping). Every violation code changeflow reports is defined under
``rules/``: here, or in the rule that reports it.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import TYPE_CHECKING

from changeflow.records import Violation

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import date

__all__ = [
    "active_elsewhere",
    "already_enrolled",
    "cohort_overfilled",
    "effective_date_outside",
    "illegal_transition",
    "no_previous_state",
    "office_overfilled",
    "reason_missing",
    "state_unknown",
    "state_unmapped",
    "unknown_office",
]


def illegal_transition(event: str, state: str, allowed: Iterable[str]) -> Violation:
    """Code ``illegal_transition``: ``event`` does not leave ``state``."""
    allowed = list(allowed)
    listed = ", ".join(allowed) or "none (final state)"
    return Violation(
        "illegal_transition",
        f"{event!r} cannot be fired from {state!r}; allowed from there: {listed}",
        MappingProxyType({"event": event, "state": state, "allowed": allowed}),
        f"{event!r} tidak berlaku pada tahap {state!r}",
    )


def unknown_office(code: str, nearest: Iterable[tuple[str, str]] = ()) -> Violation:
    """Code ``unknown_office``: the office registry is closed and lacks ``code``.

    ``nearest`` are the registered offices (code, name) closest to it, given as a hint.
    """
    near = list(nearest)
    listed = ", ".join(f"{c} ({n})" for c, n in near)
    return Violation(
        "unknown_office",
        f"office {code!r} is not in the office registry" + (f"; nearest: {listed}" if near else ""),
        MappingProxyType({"office": code, "nearest": [c for c, _ in near]}),
        f"OPD {code!r} tidak terdaftar" + (f"; yang terdekat: {listed}" if near else ""),
    )


def already_enrolled(cohort: str, state: str) -> Violation:
    """Code ``already_enrolled``: the person has an enrolment in this cohort (any state)."""
    return Violation(
        "already_enrolled",
        f"is already enrolled in cohort {cohort} (state {state!r})",
        MappingProxyType({"cohort": cohort, "state": state}),
        f"sudah terdaftar di angkatan {cohort} ({state})",
    )


def effective_date_outside(effective: date, start: date, end: date) -> Violation:
    """Code ``effective_date_outside_cohort``: a move takes effect outside the cohort's dates.

    A move of a participant takes effect within the course: from the cohort's first day to
    its last (``Cohort.start`` to ``Cohort.end``, both included).
    """
    return Violation(
        "effective_date_outside_cohort",
        f"effective date {effective.isoformat()} is outside the cohort's dates "
        f"({start.isoformat()} to {end.isoformat()})",
        MappingProxyType(
            {
                "effective_date": effective.isoformat(),
                "cohort_start": start.isoformat(),
                "cohort_end": end.isoformat(),
            }
        ),
        f"tanggal berlaku {effective.isoformat()} di luar masa angkatan "
        f"({start.isoformat()} s.d. {end.isoformat()})",
    )


def no_previous_state(event: str, state: str) -> Violation:
    """Code ``no_previous_state``: a reopening finds no state to return to."""
    return Violation(
        "no_previous_state",
        f"{event!r} finds no earlier state of this lifecycle to return to from {state!r}",
        MappingProxyType({"event": event, "state": state}),
        f"tidak ada tahap sebelumnya untuk {event!r} dari {state!r}",
    )


def state_unmapped(state: str, nips: Iterable[str]) -> Violation:
    """Code ``state_unmapped``: participants are in a state the migration does not map."""
    nips = list(nips)
    return Violation(
        "state_unmapped",
        f"state {state!r} ({len(nips)} participant(s)) is not in the new lifecycle and has "
        "no mapping to one of its states",
        MappingProxyType({"state": state, "participants": nips}),
        f"tahap {state!r} belum dipetakan ke lifecycle baru",
    )


def state_unknown(state: str, target: str) -> Violation:
    """Code ``state_unknown``: a migration maps a state to one the new lifecycle lacks."""
    return Violation(
        "state_unknown",
        f"state {state!r} is mapped to {target!r}, which the new lifecycle does not have",
        MappingProxyType({"state": state, "to": target}),
        f"tahap tujuan {target!r} tidak ada di lifecycle baru",
    )


def active_elsewhere(nip: str, cohort: str) -> Violation:
    """Code ``already_active``: a migration would make a person active in two cohorts."""
    return Violation(
        "already_active",
        f"{nip} is active in cohort {cohort}; the mapped state would make it active here too",
        MappingProxyType({"nip": nip, "active_in": cohort}),
        f"{nip} sedang mengikuti angkatan {cohort}",
    )


def office_overfilled(office: str, seated: int, limit: int) -> Violation:
    """Code ``office_quota``: a migration would seat more of one office than its quota."""
    return Violation(
        "office_quota",
        f"the mapped states would seat {seated} participants of office {office} (at most {limit})",
        MappingProxyType({"office": office, "taken": seated, "limit": limit}),
        f"OPD {office} akan mengirim {seated} peserta (maksimal {limit})",
    )


def cohort_overfilled(cohort: str, seated: int, capacity: int) -> Violation:
    """Code ``cohort_capacity``: a migration would seat more participants than the cohort has."""
    return Violation(
        "cohort_capacity",
        f"the mapped states would seat {seated} participants in {cohort} (capacity {capacity})",
        MappingProxyType({"taken": seated, "capacity": capacity}),
        f"angkatan {cohort} akan berisi {seated} peserta (kapasitas {capacity})",
    )


def reason_missing(command: str) -> Violation:
    """Code ``reason_required``, for a cohort-level command (``set_schedule``) without a reason.

    Worded as the ``reason_required`` rule words it for a participant's command.
    """
    return Violation(
        "reason_required",
        f"{command!r} needs a reason",
        MappingProxyType({"command": command}),
        "alasan wajib diisi",
    )
