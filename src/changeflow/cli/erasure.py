"""``erase``: a person's personal data erased (UU 27/2022) once no enrolment is active.

Each cohort whose chain speaks of them gets an ``erase`` entry; every chain still verifies
and their entries read as erased. An active participant is refused (exit 3, ``still_active``).
"""

from typing import Annotated

import typer

from changeflow.cli import documents
from changeflow.cli.language import tr
from changeflow.cli.options import Actor, JsonFlag, Nip
from changeflow.cli.render import Output
from changeflow.cli.session import session

__all__ = ["erase"]


def erase(
    ctx: typer.Context,
    nip: Nip,
    reason: Annotated[
        str,
        typer.Option(
            "--reason", metavar="TEXT", help="Why (the request it answers); recorded as written."
        ),
    ],
    actor: Actor = None,
    json_output: JsonFlag = False,
) -> None:
    """Erase a person's personal data: 0 erased, 3 refused (still active), 2 unknown NIP."""
    out = Output(json_output)
    with session(ctx, out) as engine:
        entries = engine.erase(nip, reason=reason, actor=actor)
    if out.json:
        out.document({"erased": [documents.entry(e) for e in entries]})
        return
    for entry in entries:
        out.line(
            tr("{cohort}: personal data erased, audit #{seq}", cohort=entry.cohort, seq=entry.seq)
        )
