"""Who the signed-in person is in a cohort, and what that lets them see and do.

A person signs in under their login: a staff member's id (organiser, coach, examiner) or a
mentor's NIP. In each cohort (angkatan) their :class:`Seat` holds the staff roles the
cohort gives that id and the participants whose change project names them as mentor. The
board shows a cohort to anyone with a seat in it; staff see every participant, a mentor
only their own. Buttons and uploads are offered by the lifecycle's ``by`` lists; the engine
judges the command again (as the signed-in actor) when it runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from changeflow.errors import ParticipantNotFound
from changeflow.rules.permission import Permission
from changeflow.staff import MENTOR
from changeflow.states.names import ENROL, DataCommand
from changeflow.web.errors import AccessDenied

if TYPE_CHECKING:
    from collections.abc import Iterable

    from changeflow.engine import Engine
    from changeflow.records import Enrolment
    from changeflow.states.definition import LifecycleDefinition, TransitionSpec

__all__ = ["UPLOADS", "Seat", "mentors", "seat_for", "seat_in", "staff_seat"]

_MENTOR_ONLY = Permission((MENTOR,))

UPLOADS: dict[str, str] = {
    "roster": ENROL,
    "projects": DataCommand.REGISTER_PROJECT.value,
    "scores": DataCommand.RECORD_ASSESSMENT.value,
}
"""Each upload's kind and the engine command its rows run."""


@dataclass(frozen=True, slots=True)
class Seat:
    """What ``login`` is in ``cohort``: its staff ``roles`` and the NIPs it mentors."""

    login: str
    cohort: str
    roles: frozenset[str]
    mentees: frozenset[str]

    @property
    def staff(self) -> bool:
        """Whether the person is on the cohort's staff (and so sees every participant)."""
        return bool(self.roles)

    @property
    def present(self) -> bool:
        """Whether the person has any business in the cohort (staff, or someone's mentor)."""
        return self.staff or bool(self.mentees)

    def sees(self, nip: str) -> bool:
        """Whether the participant's page and card are the person's to see."""
        return self.staff or nip in self.mentees

    def holds(self, by: tuple[str, ...] | None, nip: str | None = None) -> bool:
        """Whether the person holds a role in ``by`` (``None``: any staff role), for ``nip``.

        Judged as the engine's permission rule judges it; the mentor role counts only for
        the person's own mentee ``nip``.
        """
        if by is None:
            return self.staff
        roles = self.roles | {MENTOR} if nip is not None and nip in self.mentees else self.roles
        return Permission(by).role_of(self.login, roles, ()) is not None

    def visible(self, members: Iterable[Enrolment]) -> list[Enrolment]:
        """The participants the person sees, in the order given."""
        if self.staff:
            return list(members)
        return [m for m in members if m.nip in self.mentees]

    def require(self, allowed: bool, what: str) -> None:
        """Refuse (:class:`AccessDenied`) unless ``allowed``."""
        if not allowed:
            raise AccessDenied(self.login, self.cohort, what)

    def events(self, definition: LifecycleDefinition, member: Enrolment) -> list[TransitionSpec]:
        """The transitions leaving the participant's state that the person may fire."""
        return [
            spec
            for spec in definition.transitions
            if member.state in definition.sources(spec) and self.holds(spec.by, member.nip)
        ]

    def may_fire(self, definition: LifecycleDefinition, event: str, nip: str) -> bool:
        """Whether the person's roles allow ``event`` for the participant, from any state.

        The state is the engine's to judge (a move the state does not allow is refused and
        recorded); this is the role check alone, so a resubmitted form reaches the engine,
        which replays it by its key.
        """
        return any(
            spec.event == event and self.holds(spec.by, nip) for spec in definition.transitions
        )

    def bulk_events(self, definition: LifecycleDefinition) -> list[TransitionSpec]:
        """The one-stage transitions the person may fire for the whole cohort.

        Exits open from every stage (withdraw, drop), reopenings and the mentor's own
        events are fired per participant only.
        """
        return [
            spec
            for spec in definition.transitions
            if len(definition.sources(spec)) == 1
            and not spec.reopens
            and spec.by != (MENTOR,)
            and self.holds(spec.by)
        ]

    def may_upload(self, definition: LifecycleDefinition, kind: str) -> bool:
        """Whether the person may upload a file of ``kind`` (see :data:`UPLOADS`)."""
        command = UPLOADS[kind]
        if command == ENROL:
            by = definition.permissions.get(ENROL)
            return self.holds(by) if by is not None else self.staff
        spec = definition.commands.get(command)
        return self.holds(None if spec is None else spec.by)


def seat_in(
    engine: Engine, cohort: str, login: str, members: Iterable[Enrolment] | None = None
) -> Seat:
    """The person's :class:`Seat` in ``cohort`` (``members``: the participants, if loaded)."""
    listed = engine.participants(cohort) if members is None else members
    mentees = frozenset(m.nip for m in listed if mentors(login, m))
    return Seat(login, cohort, engine.roles_of(cohort, login), mentees)


def staff_seat(engine: Engine, cohort: str, login: str) -> Seat:
    """The person's staff roles in ``cohort`` alone (for the pages only staff may open)."""
    return Seat(login, cohort, engine.roles_of(cohort, login), frozenset())


def seat_for(engine: Engine, cohort: str, login: str, nip: str) -> tuple[Seat, Enrolment]:
    """The person's seat as far as one participant is concerned, and that participant.

    Staff are told a NIP that is not enrolled (:class:`ParticipantNotFound`); anyone else
    is refused (:class:`AccessDenied`) as for a participant who is not theirs, so they
    learn nothing of who is enrolled.
    """
    roles = engine.roles_of(cohort, login)
    try:
        member = engine.participant(cohort, nip)
    except ParticipantNotFound:
        if roles:
            raise
        raise AccessDenied(login, cohort, "open this participant") from None
    mentees = frozenset({nip}) if mentors(login, member) else frozenset()
    return Seat(login, cohort, roles, mentees), member


def mentors(login: str, member: Enrolment) -> bool:
    """Whether ``login`` is the participant's mentor (by the NIP on the change project)."""
    return _MENTOR_ONLY.role_of(login, frozenset(), (member.project,)) is not None
