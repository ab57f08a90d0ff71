"""The attendance minimum: enough on-class days present before the proposal is presented."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from changeflow.models import Attendance
from changeflow.rules.verdict import OK, Verdict

if TYPE_CHECKING:
    from collections.abc import Mapping

    from changeflow.rules.context import RuleContext

__all__ = ["AttendanceMinimum", "attendance_share"]

_SOURCE = "the rule pack's calendar (an organiser's practice; the default value is an example)"


def attendance_share(days: Mapping[str, str]) -> float | None:
    """Days present over days counted (present + absent); ``None`` when none is counted.

    Excused days (izin, sakit) count neither way.

    >>> attendance_share({"2019-04-04": "present", "2019-04-05": "absent", "2019-04-08": "izin"})
    0.5
    """
    present = sum(1 for status in days.values() if status == Attendance.PRESENT)
    counted = present + sum(1 for status in days.values() if status == Attendance.ABSENT)
    return None if counted == 0 else present / counted


@dataclass(frozen=True, slots=True)
class AttendanceMinimum:
    """Code ``attendance_minimum``: too few on-class days present.

    The share of counted days present (``present / (present + absent)``) must reach the
    cohort's ``parameters.calendar.attendance_minimum``; with no attendance recorded at all
    there is nothing to judge and the rule agrees.
    """

    def __call__(self, context: RuleContext, /) -> Verdict:
        """Refuse when the recorded attendance share is below the minimum."""
        nip = context.participant.nip
        share = attendance_share(context.facts.attendance(context.cohort.code, nip))
        minimum = context.cohort.parameters.calendar.attendance_minimum
        if share is None or share >= minimum:
            return OK
        return Verdict.refuse(
            "attendance_minimum",
            f"{nip} was present on {share:.0%} of the counted on-class days, "
            f"below the minimum of {minimum:.0%}",
            message_id=f"kehadiran {nip} {share:.0%}, di bawah batas minimal {minimum:.0%}",
            source=_SOURCE,
            nip=nip,
            share=round(share, 4),
            minimum=minimum,
        )
