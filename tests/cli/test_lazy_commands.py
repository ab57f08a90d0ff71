"""A command loads what it needs: its own module, not the others, nor Alembic or the ORM."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import TYPE_CHECKING

from changeflow.cli.app import COMMANDS, app

if TYPE_CHECKING:
    from cli.support import Cli

_STATUS_PROBE = """
import contextlib, io, json, sys
from changeflow.cli.app import app
with contextlib.redirect_stdout(io.StringIO()) as shown:
    try:
        app(["--db", sys.argv[1], "status", sys.argv[2]], prog_name="changeflow")
    except SystemExit as done:
        assert done.code == 0, done.code
assert sys.argv[2] in shown.getvalue()
print(json.dumps(sorted(sys.modules)))
"""

_OWN = {"changeflow.cli.cohort_views", "changeflow.cli.checkpoints"}
"""``status`` lives in cohort_views, which reads checkpoint files with checkpoints' helper."""


def test_status_loads_neither_alembic_nor_the_orm_nor_other_commands(cli: Cli, cohort: str) -> None:
    """`changeflow status` on an up-to-date store imports only its own command's modules."""
    done = subprocess.run(
        [sys.executable, "-c", _STATUS_PROBE, cli.url, cohort],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    loaded = set(json.loads(done.stdout))
    assert {"changeflow.cli.cohort_views", "sqlalchemy", "changeflow.store.sql"} <= loaded
    assert not {name for name in loaded if name.split(".")[0] == "alembic"}
    assert "sqlalchemy.orm" not in loaded
    assert "sqlalchemy.dialects.postgresql" not in loaded
    assert "rich.console" not in loaded  # a piped table is drawn without Rich's console
    others = {f"changeflow.cli.{module}" for module, _ in COMMANDS.values()} - _OWN
    assert not loaded & others


def test_help_lists_every_command_with_its_help(cli: Cli) -> None:
    """`changeflow --help` names every command, in the table's order, each with its help."""
    shown = cli.runner.invoke(app, ["--help"])
    assert shown.exit_code == 0
    listed = re.findall(r"^  (\S+) +\S", shown.output.split("Commands:")[1], re.MULTILINE)
    assert listed == list(COMMANDS)


def test_every_command_loads(cli: Cli) -> None:
    """Each command of the table imports and shows its own usage."""
    for name in COMMANDS:
        shown = cli.runner.invoke(app, [name, "--help"])
        assert shown.exit_code == 0, (name, shown.output)
        assert f"Usage: changeflow {name}" in shown.output


def test_a_mistyped_command_gets_a_suggestion(cli: Cli) -> None:
    """Commands not loaded yet are still known: a typo is answered with the nearest name."""
    shown = cli.runner.invoke(app, ["statsu"])
    assert shown.exit_code == 2
    assert "Did you mean 'status'" in shown.output
