"""Sign-in for the web board: ``user set-password``.

A login is the id a person acts under (``--actor``): a staff member's id, or a mentor's NIP.
The password is never an argument (it would stay in the shell's history and the process
list): it is asked for twice, hidden, at a terminal, or read from the first line of
standard input with ``--password-stdin``.
"""

import sys
from typing import Annotated

import typer

from changeflow.cli.failures import CliError
from changeflow.cli.language import tr
from changeflow.cli.options import Actor, JsonFlag
from changeflow.cli.render import Output
from changeflow.cli.session import guarded, session
from changeflow.passwords import PASSWORD_MAX, check_login

__all__ = ["read_password", "set_password", "user_app"]

user_app = typer.Typer(
    help="Sign-in for the web board: the passwords staff and mentors sign in with.",
    no_args_is_help=True,
)

STDIN_HINT = (
    "give it on standard input with --password-stdin, e.g. "
    "printf '%s\\n' \"$PASSWORD\" | changeflow user set-password LOGIN --password-stdin"
)
"""The hint printed when there is no terminal to ask for the password on."""


@user_app.command("set-password")
def set_password(
    ctx: typer.Context,
    login: Annotated[
        str,
        typer.Argument(
            metavar="LOGIN", help="The id they act under (--actor): a staff id or a mentor's NIP."
        ),
    ],
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin", help="Read the password from the first line of standard input."
        ),
    ] = False,
    actor: Actor = None,
    json_output: JsonFlag = False,
) -> None:
    """Set (or replace) the password LOGIN signs in to the web board with.

    At a terminal the password is asked for twice, hidden; with ``--password-stdin`` the
    first line of standard input is the password (its line break dropped). It must be 8
    to 1024 characters. Only its Argon2 hash is stored, with who set it and when.
    """
    out = Output(json_output)
    with guarded(out):
        check_login(login)
        if not password_stdin and not sys.stdin.isatty():
            raise CliError(tr("no terminal to ask for the password on"), hint=STDIN_HINT)
    with session(ctx, out) as engine:
        password = read_password(login, from_stdin=password_stdin)
        engine.set_password(login, password, actor=actor)
    if out.json:
        out.document({"login": login, "password_set": True})
    else:
        out.line(tr("password set for {login}", login=login))


def read_password(login: str, *, from_stdin: bool) -> str:
    """The new password: stdin's first line, or asked for twice at the terminal.

    Two different answers are a :class:`CliError`: nothing is changed.
    """
    if from_stdin:
        # One more character than a password may have, and its line break: a longer line
        # is refused as too long without reading the rest of it.
        line = sys.stdin.readline(PASSWORD_MAX + 2)
        if not line:
            raise CliError(tr("no password on standard input"), hint=STDIN_HINT)
        return line.removesuffix("\n").removesuffix("\r") if line.endswith("\n") else line
    first: str = typer.prompt(
        tr("New password for {login}", login=login), hide_input=True, err=True
    )
    second: str = typer.prompt(tr("Repeat the password"), hide_input=True, err=True)
    if first != second:
        raise CliError(
            tr("the two passwords differ: nothing was changed"),
            hint=tr("run the command again and type the same password twice"),
        )
    return first
