"""The permission rule alone: who may act, the mentor by NIP, and the not_permitted violation.

Contexts are built by hand, as the engine builds them: ``roles`` are the staff roles the
authorizer gave the actor, ``project`` the change project after the command and
``enrolment`` the participant as before it (by default with the same project, as for a
move).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from hypothesis import given
from hypothesis import strategies as st

from changeflow import ChangeProject, Enrolment, Mentor
from changeflow.rules import OK, RuleContext
from changeflow.rules.permission import Permission
from changeflow.staff import STAFF_ROLES
from changeflow.testing import CountingFacts
from factories import make_cohort, make_participant

if TYPE_CHECKING:
    from changeflow.records import Violation
    from changeflow.rules import Verdict

NOW = datetime(2019, 5, 1, 8, 0, tzinfo=UTC)
PERSON = make_participant()
MENTOR_NIP = "196501011990031001"
OTHER_NIP = "196801011991031002"
MENTORED = ChangeProject(
    title="Puskesmas ramah anak",
    theme="kesehatan",
    mentor=Mentor(name="dr. Anang Budi", nip=MENTOR_NIP),
)
NAMELESS = ChangeProject(
    title="Puskesmas ramah anak", theme="kesehatan", mentor=Mentor(name="dr. Anang Budi")
)
UNMENTORED = ChangeProject(title="Puskesmas ramah anak", theme="kesehatan")


def context(
    actor: str | None,
    roles: frozenset[str] = frozenset(),
    *,
    project: ChangeProject | None = None,
    before: ChangeProject | str | None = "same",
    event: str = "approve_proposal",
) -> RuleContext:
    """The context of ``actor`` (holding ``roles``) doing ``event`` on one participant.

    ``before`` is the project on file before the command (``"same"``: ``project``).
    """
    if before == "same":
        before = project
    fields: dict[str, Any] = {
        "project": project,
        "actor": actor,
        "roles": roles,
        "enrolment": Enrolment(make_cohort().code, PERSON, "proposal", project=before),
    }
    return RuleContext(
        make_cohort(), PERSON, event, "proposal", "laboratory", CountingFacts(), NOW, **fields
    )


def only(verdict: Verdict) -> Violation:
    """The single violation of a refusing verdict."""
    assert not verdict.ok
    (violation,) = verdict.violations
    return violation


# -- staff roles ------------------------------------------------------------------------------


def test_an_allowed_role_is_ok() -> None:
    """An actor holding one of the allowed roles passes."""
    rule = Permission(("examiner",))
    assert rule(context("penguji-1", frozenset({"examiner"}), event="graduate")) is OK


def test_one_allowed_role_of_several_is_enough() -> None:
    """Holding any one of the allowed roles passes (coach or organiser)."""
    rule = Permission(("coach", "organiser"))
    assert rule(context("bkd", frozenset({"organiser"}), event="revise_proposal")) is OK
    assert rule(context("bpsdm", frozenset({"coach"}), event="revise_proposal")) is OK


def test_no_allowed_role_is_one_not_permitted_violation_naming_actor_allowed_and_held() -> None:
    """A coach graduating is refused once, the facts naming actor, allowed and held roles."""
    rule = Permission(("examiner",))
    violation = only(rule(context("bpsdm", frozenset({"coach", "organiser"}), event="graduate")))
    assert violation.code == "not_permitted"
    assert dict(violation.facts) == {
        "actor": "bpsdm",
        "allowed": ["examiner"],
        "held": ["coach", "organiser"],
    }
    assert "'bpsdm' may not graduate" in violation.message
    assert "needs examiner" in violation.message
    assert "holds coach, organiser" in violation.message
    assert violation.message_id
    assert violation.message_id != violation.message


def test_no_actor_is_refused_holding_no_role() -> None:
    """A command with no actor holds nothing and is refused, its facts saying so."""
    violation = only(Permission(("organiser",))(context(None, event="start_class")))
    assert violation.code == "not_permitted"
    assert dict(violation.facts) == {"actor": None, "allowed": ["organiser"], "held": []}
    assert violation.message == "start_class needs an actor holding organiser; none was given"


# -- the mentor, by NIP -----------------------------------------------------------------------


def test_the_projects_mentor_by_nip_is_the_mentor() -> None:
    """The actor whose id is the project's mentor NIP holds mentor and passes."""
    rule = Permission(("mentor",))
    assert rule(context(MENTOR_NIP, project=MENTORED)) is OK
    assert rule.role(context(MENTOR_NIP, project=MENTORED)) == "mentor"


def test_the_mentor_of_the_project_before_the_command_counts() -> None:
    """A mentor stays the mentor of the command that changes the project (before counts)."""
    assert Permission(("mentor",))(context(MENTOR_NIP, before=MENTORED)) is OK


def test_naming_oneself_mentor_in_the_command_does_not_make_one_the_mentor() -> None:
    """Only the mentor on file before the command counts, not one the command would record."""
    refused = Permission(("mentor",))(context(MENTOR_NIP, project=MENTORED, before=UNMENTORED))
    assert only(refused).facts["held"] == []


def test_every_staff_role_is_not_the_mentor() -> None:
    """Organiser, coach and examiner at once do not make an actor the participant's mentor."""
    violation = only(Permission(("mentor",))(context("bkd", STAFF_ROLES, project=MENTORED)))
    assert violation.code == "not_permitted"
    assert violation.facts["held"] == ["coach", "examiner", "organiser"]
    assert violation.facts["allowed"] == ["mentor"]
    assert "no mentor NIP" not in violation.message


def test_another_nip_is_not_the_mentor() -> None:
    """Someone else's NIP (another participant's mentor, say) is refused."""
    violation = only(Permission(("mentor",))(context(OTHER_NIP, project=MENTORED)))
    assert violation.facts == {"actor": OTHER_NIP, "allowed": ["mentor"], "held": []}


def test_the_mentor_of_a_project_holds_mentor_when_refused_elsewhere() -> None:
    """The mentor refused an organiser's command is reported as holding mentor."""
    violation = only(Permission(("organiser",))(context(MENTOR_NIP, project=MENTORED)))
    assert violation.facts["held"] == ["mentor"]


def test_a_project_without_a_mentor_nip_is_refused_with_a_hint() -> None:
    """With no mentor NIP on file nobody is the mentor, and the message says the NIP is missing."""
    for project in (NAMELESS, UNMENTORED, None):
        violation = only(Permission(("mentor",))(context(MENTOR_NIP, project=project)))
        assert violation.code == "not_permitted"
        assert "(the change project names no mentor NIP)" in violation.message


def test_the_missing_nip_hint_is_only_for_mentor_commands() -> None:
    """Refusing an organiser command does not talk about a mentor NIP."""
    violation = only(Permission(("organiser",))(context("x", project=UNMENTORED)))
    assert "mentor NIP" not in violation.message


# -- role() -----------------------------------------------------------------------------------


def test_role_is_the_first_allowed_role_held() -> None:
    """The role acted in is the first of ``allowed`` that the actor holds, in that order."""
    both = frozenset({"coach", "organiser"})
    assert Permission(("coach", "organiser")).role(context("x", both)) == "coach"
    assert Permission(("organiser", "coach")).role(context("x", both)) == "organiser"
    assert Permission(("mentor", "examiner")).role(context(MENTOR_NIP, project=MENTORED)) == (
        "mentor"
    )
    assert Permission(("examiner", "mentor")).role(context(MENTOR_NIP, project=MENTORED)) == (
        "mentor"
    )


def test_role_is_none_when_nothing_allowed_is_held() -> None:
    """An actor holding none of the allowed roles acts in no role."""
    assert Permission(("examiner",)).role(context("x", frozenset({"coach"}))) is None
    assert Permission(("mentor",)).role(context(None, project=MENTORED)) is None


def test_repr_names_the_allowed_roles() -> None:
    """The rule's repr lists the roles it allows, as a definition's ``by`` does."""
    assert repr(Permission(("coach", "organiser"))) == "Permission(['coach', 'organiser'])"


# -- property ---------------------------------------------------------------------------------

ALL_ROLES = ("organiser", "coach", "examiner", "mentor")


@given(
    roles=st.frozensets(st.sampled_from(sorted(STAFF_ROLES))),
    allowed=st.lists(st.sampled_from(ALL_ROLES), min_size=1, max_size=4, unique=True),
)
def test_ok_iff_the_actor_holds_an_allowed_role(roles: frozenset[str], allowed: list[str]) -> None:
    """For any staff roles and allowed tuple (no mentor on file): ok iff they intersect."""
    rule = Permission(tuple(allowed))
    judged = context("someone", roles, project=UNMENTORED)
    verdict = rule(judged)
    held = roles & set(allowed)
    assert verdict.ok == bool(held)
    expected = next((r for r in allowed if r in roles), None)
    assert rule.role(judged) == expected
    if not held:
        assert only(verdict).facts["held"] == sorted(roles)
        assert only(verdict).facts["allowed"] == allowed
