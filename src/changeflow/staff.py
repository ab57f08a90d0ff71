"""Who acts: the cohort's staff, the actor of a command, and the authorizer giving its roles.

A cohort (angkatan) has staff: organisers (the organising agency's administrators, e.g. the
regency's BKD), coaches (e.g. from the provincial BPSDM) and examiners (penguji). A
participant's mentor (their direct superior, pimpinan langsung) is not staff: the mentor is
recorded with the change project and identified by NIP, and holds the ``mentor`` role for
that participant only.

changeflow authenticates nobody and stores no passwords: the embedding system says who
acts, either as a bare id (the roles come from the cohort's staff) or as an :class:`Actor`
with the roles it vouches for, or it plugs in an :class:`Authorizer` of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from changeflow.errors import InvalidInput
from changeflow.inputs import ACTOR_MAX, check_text
from changeflow.models import Text

__all__ = [
    "COACH",
    "EXAMINER",
    "MENTOR",
    "ORGANISER",
    "ROLES",
    "STAFF_ROLES",
    "Actor",
    "Authorizer",
    "StaffAuthorizer",
    "StaffMember",
    "actor_of",
]

ORGANISER = "organiser"
"""The organising agency's administrator (penyelenggara), e.g. the regency's BKD."""
COACH = "coach"
"""A coach (coach) guiding the design of change projects, e.g. from the provincial BPSDM."""
EXAMINER = "examiner"
"""An examiner (penguji) who assesses and decides graduation."""
MENTOR = "mentor"
"""The participant's own mentor (mentor, the direct superior), named with the project."""

STAFF_ROLES: frozenset[str] = frozenset({ORGANISER, COACH, EXAMINER})
"""The roles a cohort's staff hold (the mentor is not staff: see :data:`MENTOR`)."""
ROLES: frozenset[str] = STAFF_ROLES | {MENTOR}
"""Every role a lifecycle definition may name in ``by``."""

StaffRole = Annotated[str, StringConstraints(pattern=r"^(organiser|coach|examiner)$")]


class StaffMember(BaseModel):
    """One member of a cohort's staff, with the staff roles they hold in that cohort.

    ``id`` is how the embedding system knows them (a login, a NIP): they act under it.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    id: Text
    """The id the actor acts under (``--actor``), e.g. a login or a NIP."""
    name: Text
    roles: frozenset[StaffRole] = Field(min_length=1)

    def facts(self) -> dict[str, Any]:
        """Name and sorted roles, as the audit chain records a staff member (by id)."""
        return {"name": self.name, "roles": sorted(self.roles)}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-compatible dictionary, roles sorted."""
        return {"id": self.id, **self.facts()}


@dataclass(frozen=True, slots=True)
class Actor:
    """Who does a command: an ``id`` and, optionally, the staff ``roles`` the caller vouches for.

    With ``roles`` left ``None`` the roles are looked up in the cohort's staff. The mentor
    role cannot be vouched for: it belongs to the participant's mentor, by NIP.

    >>> Actor("bkd-admin", frozenset({"organiser"})).roles
    frozenset({'organiser'})
    """

    id: str
    roles: frozenset[str] | None = None

    def __post_init__(self) -> None:
        check_text("actor", self.id, ACTOR_MAX)
        if not self.id:
            raise InvalidInput("actor", "must not be empty")
        if self.roles is not None:
            roles = frozenset(self.roles)
            unknown = sorted(roles - STAFF_ROLES)
            if unknown:
                raise InvalidInput(
                    "actor.roles",
                    f"unknown staff role(s) {', '.join(unknown)}; "
                    f"known: {', '.join(sorted(STAFF_ROLES))} (a mentor acts by NIP)",
                )
            object.__setattr__(self, "roles", roles)

    def __str__(self) -> str:
        return self.id


def actor_of(actor: str | Actor | None) -> Actor | None:
    """``actor`` as an :class:`Actor` (a bare id looks its roles up in the staff)."""
    if actor is None or isinstance(actor, Actor):
        return actor
    if not isinstance(actor, str):
        raise InvalidInput("actor", f"must be an id or an Actor, not {type(actor).__name__}")
    return Actor(actor)


class Authorizer(Protocol):
    """Gives the roles an actor holds in a cohort (the mentor role is judged per participant).

    ``actor`` is ``None`` for a command given no actor; ``member`` is the actor's entry in
    the cohort's staff, ``None`` when they are not staff (or vouched for roles). Plug in
    your own to take roles from an HR system's directory.
    """

    def __call__(self, actor: Actor | None, member: StaffMember | None, /) -> frozenset[str]:
        """The roles ``actor`` holds in the cohort."""
        ...


@dataclass(frozen=True, slots=True)
class StaffAuthorizer:
    """The default :class:`Authorizer`: the roles vouched for, else the cohort's staff roles."""

    def __call__(self, actor: Actor | None, member: StaffMember | None, /) -> frozenset[str]:
        """Vouched roles win; otherwise the staff entry's roles; nobody else holds any."""
        if actor is None:
            return frozenset()
        if actor.roles is not None:
            return actor.roles
        return frozenset() if member is None else member.roles

    def __repr__(self) -> str:
        return "StaffAuthorizer()"
