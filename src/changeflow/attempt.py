"""One command under way: what its audit entries and rule contexts share, and how a move is judged.

The engine opens a unit of work, binds the cohort's lifecycle and builds one
:class:`Attempt`; every entry the command writes is stamped with the same actor, reason,
payload, effective date and time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from changeflow.records import HistoryEntry
from changeflow.rules.context import RuleContext
from changeflow.rules.judge import cite, judge
from changeflow.rules.permission import PERMISSION, Permission
from changeflow.rules.violations import (
    effective_date_outside,
    illegal_transition,
    no_previous_state,
)
from changeflow.states.definition import PREVIOUS

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from datetime import datetime

    from changeflow.commands import Command
    from changeflow.models import ChangeProject
    from changeflow.records import Enrolment, Violation
    from changeflow.rules.base import Rule
    from changeflow.states.machine import Lifecycle, Move
    from changeflow.store.base import Unit

__all__ = ["Attempt"]


@dataclass(slots=True)
class Attempt:
    """A command in one unit of work on one cohort, judged under the cohort's lifecycle.

    Not frozen: a frozen dataclass's ``__init__`` costs a call per field, and one attempt is
    built per command; nothing assigns to it after construction.
    """

    uow: Unit
    lifecycle: Lifecycle
    command: Command
    now: datetime
    roles: frozenset[str] = frozenset()
    """The staff roles the actor holds in the cohort (from the engine's authorizer)."""
    role: str | None = None
    """The role the actor acts in for the entry being judged (set by the permission rule)."""

    def entry(
        self,
        nip: str,
        event: str,
        source: str | None,
        target: str | None,
        violations: tuple[Violation, ...] = (),
        data: Mapping[str, Any] | None = None,
        change: Mapping[str, Any] | None = None,
    ) -> HistoryEntry:
        """The audit entry of one outcome, at the unit's next position (not yet recorded)."""
        command = self.command
        return HistoryEntry(
            self.uow.next_seq(),
            self.now,
            self.uow.cohort.code,
            nip,
            event,
            source,
            target,
            "refused" if violations else "accepted",
            command.actor,
            command.reason,
            command.payload,
            violations,
            data,
            command.effective_date,
            change,
            role=None if violations else self.role,
        )

    def permit(self, name: str) -> tuple[Violation, ...]:
        """The ``not_permitted`` violation of a cohort-level command, if the actor lacks a role.

        For the engine's commands a lifecycle restricts in ``permissions`` (``add_staff``,
        ``migrate`` ...); empty when allowed or unrestricted.
        """
        permission = self.lifecycle.permissions.get(name)
        if permission is None:
            self.role = None
            return ()
        return self._permitted(permission, name, None)

    def _permitted(
        self, permission: Permission, event: str, project: ChangeProject | None
    ) -> tuple[Violation, ...]:
        """Judge ``permission`` (``project`` names the mentor); set the role acted in.

        The same judgement as the rule's own call, without building a rule context: every
        command of a lifecycle naming roles pays for it.
        """
        actor = self.command.actor
        projects = (project,)
        self.role = permission.role_of(actor, self.roles, projects)
        if self.role is not None:
            return ()
        refused = permission.refusal(actor, self.roles, event, projects).violations
        parameters = self.uow.cohort.parameters
        return tuple(cite(parameters, PERMISSION, v) for v in refused)

    def judge(
        self,
        rules: Sequence[tuple[str, Rule]],
        event: str,
        source: str | None,
        target: str,
        after: Enrolment,
        before: Enrolment | None,
    ) -> tuple[tuple[Violation, ...], Mapping[str, Any] | None]:
        """Judge ``rules`` on the participant as ``after`` the command (``before`` it now).

        A permission rule the lifecycle compiled first is judged against the mentor on file
        before the command (an enrolment has none) and sets the role acted in.
        """
        denied: tuple[Violation, ...] = ()
        first = rules[0][1] if rules else None
        if isinstance(first, Permission):
            project = after.project if before is None else before.project
            denied = self._permitted(first, event, project)
            rules = rules[1:]
        # Rules without a permission (the engine's own) leave the role a permit() set.
        if not rules:
            return denied, None
        command = self.command
        context = RuleContext(
            self.uow.cohort,
            after.participant,
            event,
            source,
            target,
            self.uow,
            self.now,
            after.project,
            after.scores,
            command.actor,
            command.reason,
            command.payload,
            command.effective_date,
            self.lifecycle,
            before,
            self.roles,
        )
        violations, facts = judge(rules, context)
        return (denied + violations, None) if denied else (violations, facts)

    def judge_move(
        self, enrolment: Enrolment, move: Move | None, event: str
    ) -> tuple[tuple[Violation, ...], Mapping[str, Any] | None, str | None]:
        """(violations, facts to record, destination) of one move; nothing is written.

        A reopening to the state left finds it in the participant's history. An effective
        date outside the cohort's dates is a violation beside every other.
        """
        dated = self._dated()
        source = enrolment.state
        if move is None:
            allowed = self.lifecycle.events_from(source)
            return (illegal_transition(event, source, allowed), *dated), None, None
        dest = move.dest
        if dest == PREVIOUS:
            previous = self.uow.entered_from(enrolment.nip)
            lifecycle = self.lifecycle
            if previous is None or previous not in lifecycle.states or previous in lifecycle.finals:
                return (no_previous_state(event, source), *dated), None, None
            dest = previous
        if not move.rules:
            return dated, None, dest
        violations, facts = self.judge(move.rules, event, source, dest, enrolment, enrolment)
        if dated:
            return violations + dated, None, dest
        return violations, facts, dest

    def _dated(self) -> tuple[Violation, ...]:
        """``effective_date_outside_cohort`` when the command's date is outside the cohort's."""
        effective = self.command.effective_date
        if effective is None:
            return ()
        cohort = self.uow.cohort
        if cohort.start <= effective <= cohort.end:
            return ()
        violation = effective_date_outside(effective, cohort.start, cohort.end)
        return (cite(cohort.parameters, "effective_date", violation),)

    def move(self, enrolment: Enrolment, move: Move | None, event: str) -> HistoryEntry:
        """Judge one move and apply it when allowed; returns its entry (not yet recorded)."""
        violations, facts, dest = self.judge_move(enrolment, move, event)
        entry = self.entry(enrolment.nip, event, enrolment.state, dest, violations, facts)
        if not violations and dest is not None:
            self.uow.update(enrolment, enrolment.moved(dest, self.lifecycle))
        return entry
