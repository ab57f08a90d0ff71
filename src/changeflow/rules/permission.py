"""Who may do what: the permission rule a lifecycle's ``by`` lists compile into.

A lifecycle definition names, per transition, per data command and per engine command,
the roles allowed to do it (``by = ["mentor"]``). :class:`Permission` judges them like any
other rule, with the code ``not_permitted``: the actor must hold one of the roles. Staff
roles come from the engine's authorizer (``context.roles``); the ``mentor`` role is held
only by the participant's own mentor, identified by the NIP recorded with the project.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from changeflow.rules.verdict import OK, Verdict

if TYPE_CHECKING:
    from collections.abc import Iterable

    from changeflow.models import ChangeProject
    from changeflow.rules.context import RuleContext

__all__ = ["PERMISSION", "Permission"]

PERMISSION = "permission"
"""The name the permission rule is listed under among a command's rules."""

_MENTOR = "mentor"  # changeflow.staff.MENTOR, spelled here so rules/ need not import it


def _mentors(actor: str | None, projects: Iterable[ChangeProject | None]) -> bool:
    """Whether ``actor`` is the mentor (by NIP) of one of ``projects``."""
    if actor is None:
        return False
    for project in projects:
        mentor = None if project is None else project.mentor
        if mentor is not None and mentor.nip is not None and mentor.nip == actor:
            return True
    return False


def _projects(context: RuleContext) -> tuple[ChangeProject | None, ...]:
    # The mentor on file *before* the command: a command that changes the project must not
    # make its actor the mentor by naming them (an enrolment has no project either way).
    return (context.project if context.enrolment is None else context.enrolment.project,)


@dataclass(frozen=True, slots=True)
class Permission:
    """Code ``not_permitted``: the actor holds none of the roles ``allowed`` for the command.

    The violation names the actor, the roles allowed and the roles the actor holds.

    >>> Permission(("organiser",)).role_of("bkd", frozenset({"organiser"}), ())
    'organiser'
    """

    allowed: tuple[str, ...]

    def role_of(
        self,
        actor: str | None,
        roles: frozenset[str],
        projects: Iterable[ChangeProject | None],
    ) -> str | None:
        """The first allowed role ``actor`` holds (what they act as), else ``None``."""
        for role in self.allowed:
            if role in roles or (role == _MENTOR and _mentors(actor, projects)):
                return role
        return None

    def role(self, context: RuleContext) -> str | None:
        """The role the context's actor acts in, else ``None``."""
        return self.role_of(context.actor, context.roles, _projects(context))

    def refusal(
        self,
        actor: str | None,
        roles: frozenset[str],
        event: str,
        projects: Iterable[ChangeProject | None],
    ) -> Verdict:
        """The ``not_permitted`` verdict for ``actor`` doing ``event``."""
        projects = tuple(projects)
        held = sorted(roles | {_MENTOR} if _mentors(actor, projects) else roles)
        allowed = list(self.allowed)
        needs = " or ".join(allowed)
        if _MENTOR in allowed and not any(
            p is not None and p.mentor is not None and p.mentor.nip for p in projects
        ):
            needs += " (the change project names no mentor NIP)"
        if actor is None:
            message = f"{event} needs an actor holding {needs}; none was given"
        else:
            message = (
                f"actor {actor!r} may not {event}: it needs {needs}; "
                f"the actor holds {', '.join(held) or 'no role'} in this cohort"
            )
        return Verdict.refuse(
            "not_permitted",
            message,
            message_id=f"{actor or 'tanpa pelaku'} tidak berwenang untuk {event} "
            f"(perlu peran {' atau '.join(allowed)})",
            actor=actor,
            allowed=allowed,
            held=held,
        )

    def __call__(self, context: RuleContext, /) -> Verdict:
        """Refuse an actor holding none of the allowed roles."""
        if self.role(context) is not None:
            return OK
        return self.refusal(context.actor, context.roles, context.event, _projects(context))

    def __repr__(self) -> str:
        return f"Permission({list(self.allowed)!r})"
