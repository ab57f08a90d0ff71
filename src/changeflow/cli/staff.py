"""The cohort's staff: ``staff add`` and ``staff list``."""

from enum import StrEnum
from typing import Annotated

import typer

from changeflow.cli import render
from changeflow.cli.language import tr
from changeflow.cli.options import Actor, CohortCode, IdempotencyKey, JsonFlag, Reason
from changeflow.cli.render import Output
from changeflow.cli.session import guarded, session
from changeflow.staff import StaffMember

__all__ = ["StaffRole", "add", "list_staff", "staff_app"]

staff_app = typer.Typer(
    help="The cohort's staff: organisers, coaches and examiners (mentors come with projects).",
    no_args_is_help=True,
)


class StaffRole(StrEnum):
    """The staff roles ``--role`` accepts."""

    ORGANISER = "organiser"
    COACH = "coach"
    EXAMINER = "examiner"


@staff_app.command("add")
def add(
    ctx: typer.Context,
    code: CohortCode,
    member_id: Annotated[
        str, typer.Argument(metavar="ID", help="The id they act under (--actor), e.g. a NIP.")
    ],
    name: Annotated[str, typer.Option("--name", help="Their name.")],
    role: Annotated[
        list[StaffRole], typer.Option("--role", help="A staff role; repeat for several.")
    ],
    actor: Actor = None,
    reason: Reason = None,
    key: IdempotencyKey = None,
    json_output: JsonFlag = False,
) -> None:
    """Add a member to the cohort's staff, or change their name or roles (organisers only).

    Audited (``add_staff``, the member before and after). Re-adding an id replaces its
    name and roles: give every role they should hold.
    """
    out = Output(json_output)
    with guarded(out):
        member = StaffMember(id=member_id, name=name, roles=frozenset(r.value for r in role))
    with session(ctx, out) as engine:
        entry = engine.add_staff(code, member, actor=actor, reason=reason, key=key)
    if out.json:
        out.document({"cohort": code, "staff": member.to_dict(), "seq": entry.seq})
    else:
        roles = ", ".join(sorted(member.roles))
        out.line(
            tr(
                "{code}: {id} ({name}) is {roles}",
                code=code,
                id=member.id,
                name=member.name,
                roles=roles,
            )
        )


@staff_app.command("list")
def list_staff(ctx: typer.Context, code: CohortCode, json_output: JsonFlag = False) -> None:
    """List the cohort's staff and the roles they hold."""
    out = Output(json_output)
    with session(ctx, out) as engine:
        members = engine.staff(code)
    if out.json:
        out.document({"cohort": code, "staff": [m.to_dict() for m in members]})
        return
    if not members:
        out.line(tr("{code} has no staff yet", code=code))
        return
    render.table(
        ("id", "name", "roles"), ((m.id, m.name, ", ".join(sorted(m.roles))) for m in members)
    )
