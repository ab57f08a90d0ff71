"""When a person's personal data may be erased, and with what justification.

The erasure itself is the engine's (:meth:`changeflow.engine.Engine.erase`) and the store's
(:meth:`changeflow.store.base.Unit.erase`, :meth:`changeflow.store.base.Store.forget`);
what the chain keeps of it is :mod:`changeflow.personal`'s. This module holds the two
judgements: an active participant keeps their data (the course still needs it), and an
erasure says why.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from changeflow.errors import InvalidInput, TransitionRejected
from changeflow.inputs import check_text
from changeflow.records import Violation
from changeflow.states.names import ERASE

if TYPE_CHECKING:
    from changeflow.records import Enrolment
    from changeflow.store.base import Unit

__all__ = ["STILL_ACTIVE", "erasure_reason", "still_active"]

STILL_ACTIVE = "still_active"
"""The code of a refused erasure: the person is active in a cohort."""


def erasure_reason(reason: object) -> str:
    """The reason of an erasure, checked: required, text like any reason.

    It is kept in the chain as written (the person's data is not in it): say why, not who.
    """
    check_text("reason", reason, multiline=True)
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidInput("reason", "an erasure needs a reason (the request it answers)")
    return reason


def still_active(uow: Unit, nip: str) -> Enrolment | None:
    """The person's enrolment in the unit's cohort, if any; refused when it is active.

    Raises :class:`~changeflow.errors.TransitionRejected` with code ``still_active``.
    """
    member = uow.enrolment(nip)
    if member is None or not member.active:
        return member
    refusal = Violation(
        STILL_ACTIVE,
        f"{nip} is active in {uow.cohort.code} (state {member.state}); "
        "personal data is erased only once no enrolment is active",
        {"cohort": uow.cohort.code, "state": member.state},
        message_id=f"peserta masih aktif di {uow.cohort.code}; data pribadi belum dapat dihapus",
    )
    raise TransitionRejected(
        cohort=uow.cohort.code, nip=nip, event=ERASE, state=member.state, violations=(refusal,)
    )
