"""``changeflow user set-password``: from stdin, at a (real pseudo-)terminal, and refusals."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import termios
import time
from pathlib import Path
from typing import TYPE_CHECKING

from changeflow import Engine
from changeflow.cli.app import app
from changeflow.store.sql import SqlStore
from cli.support import ADMIN, Cli

if TYPE_CHECKING:
    from typer.testing import Result

SRC = Path(__file__).resolve().parents[2] / "src"
PASSWORD = "kata-sandi-01"  # noqa: S105 - a test password


def _set(cli: Cli, *args: str, stdin: str, expect: int = 0) -> Result:
    """Run ``user set-password ARGS`` with ``stdin`` as standard input (not a terminal)."""
    result = cli.runner.invoke(
        app, ["--db", cli.url, "user", "set-password", *args], input=stdin, catch_exceptions=False
    )
    assert result.exit_code == expect, (result.stdout, result.stderr)
    assert "Traceback" not in result.output
    return result


def _check(url: str, login: str, password: str) -> bool:
    with Engine(SqlStore(url)) as engine:
        return engine.check_password(login, password)


def _stored(url: str, login: str) -> str | None:
    with Engine(SqlStore(url)) as engine:
        return engine.store.password_hash(login)


def test_a_password_from_stdin_is_set_and_checks(cli: Cli) -> None:
    """--password-stdin: the first line, its line break dropped, is the password."""
    result = _set(cli, "penguji", "--password-stdin", stdin=f"{PASSWORD}\nnext line\n")
    assert result.stdout == "password set for penguji\n"
    assert PASSWORD not in result.output
    assert _check(cli.url, "penguji", PASSWORD)
    assert not _check(cli.url, "penguji", f"{PASSWORD}\n")
    assert not _check(cli.url, "penguji", "next line")
    assert not _check(cli.url, "other", PASSWORD)


def test_only_the_line_break_is_stripped(cli: Cli) -> None:
    """Spaces are the password's own; a CRLF line break goes, as does a missing one."""
    _set(cli, "penguji", "--password-stdin", stdin="  spasi di tepi  \r\n")
    assert _check(cli.url, "penguji", "  spasi di tepi  ")
    assert not _check(cli.url, "penguji", "spasi di tepi")
    _set(cli, "196501011990031001", "--password-stdin", stdin=PASSWORD)
    assert _check(cli.url, "196501011990031001", PASSWORD)


def test_setting_again_replaces_and_json_says_so(cli: Cli) -> None:
    """A second set replaces the password; --json prints one document and nothing else."""
    _set(cli, "penguji", "--password-stdin", stdin="sandi-lama-01\n")
    result = _set(cli, "penguji", "--password-stdin", "--json", stdin=f"{PASSWORD}\n")
    document = json.loads(result.stdout)
    assert {k: document[k] for k in ("login", "password_set")} == {
        "login": "penguji",
        "password_set": True,
    }
    assert _check(cli.url, "penguji", PASSWORD)
    assert not _check(cli.url, "penguji", "sandi-lama-01")


def test_a_short_password_is_refused_without_quoting_it(cli: Cli) -> None:
    """Too short: exit 2 naming the rule, not the password; nothing is stored."""
    result = _set(cli, "penguji", "--password-stdin", stdin="pendek7\n", expect=2)
    assert "at least 8 characters" in result.stderr
    assert "pendek7" not in result.output
    assert _stored(cli.url, "penguji") is None


def test_a_too_long_password_is_refused(cli: Cli) -> None:
    """Past 1024 characters the line is refused (only the start of it is read)."""
    result = _set(cli, "penguji", "--password-stdin", stdin="x" * 100_000 + "\n", expect=2)
    assert "at most 1024 characters" in result.stderr
    assert _stored(cli.url, "penguji") is None


def test_empty_stdin_and_no_terminal_are_refused(cli: Cli) -> None:
    """Nothing on stdin, or no flag and no terminal to ask on: exit 2 saying what to do."""
    empty = _set(cli, "penguji", "--password-stdin", stdin="", expect=2)
    assert "no password on standard input" in empty.stderr
    untyped = _set(cli, "penguji", stdin=f"{PASSWORD}\n", expect=2)
    assert "no terminal to ask for the password on" in untyped.stderr
    assert "--password-stdin" in untyped.stderr
    assert _stored(cli.url, "penguji") is None


def test_a_bad_login_and_a_missing_actor_are_usage_errors(cli: Cli) -> None:
    """A login that cannot be an actor id, or no --actor: exit 2, nothing stored."""
    bad = _set(cli, "x" * 201, "--password-stdin", stdin=f"{PASSWORD}\n", expect=2)
    assert "login" in bad.stderr
    result = cli.runner.invoke(
        app,
        ["--db", cli.url, "user", "set-password", "penguji", "--password-stdin"],
        input=f"{PASSWORD}\n",
        env={"CHANGEFLOW_ACTOR": ""},
    )
    assert result.exit_code == 2
    assert "--actor" in result.stderr
    assert _stored(cli.url, "penguji") is None


def test_an_unknown_database_is_refused_and_not_created(cli: Cli, tmp_path: Path) -> None:
    """--db naming no database: exit 2 (no_database); no file appears."""
    missing = tmp_path / "nope.db"
    other = Cli(f"sqlite:///{missing}", cli.runner)
    result = _set(other, "penguji", "--password-stdin", "--json", stdin=f"{PASSWORD}\n", expect=2)
    assert json.loads(result.stdout)["error"]["kind"] == "no_database"
    assert not missing.exists()


def test_the_messages_speak_indonesian(cli: Cli) -> None:
    """--lang id: the confirmation and the refusal are in Indonesian."""
    result = cli.runner.invoke(
        app,
        ["--lang", "id", "--db", cli.url, "user", "set-password", "penguji", "--password-stdin"],
        input=f"{PASSWORD}\n",
    )
    assert result.stdout == "kata sandi untuk penguji sudah disimpan\n"
    result = cli.runner.invoke(
        app, ["--lang", "id", "--db", cli.url, "user", "set-password", "penguji"], input=""
    )
    assert "tidak ada terminal untuk menanyakan kata sandi" in result.stderr


# -- at a terminal: the real command in a pseudo-terminal ------------------------------------


def _echoing(fd: int) -> bool:
    return bool(termios.tcgetattr(fd)[3] & termios.ECHO)


def _at_a_terminal(url: str, login: str, answers: list[str]) -> tuple[int, str]:
    """Run ``changeflow user set-password LOGIN`` on a pseudo-terminal, typing ``answers``.

    Each answer is typed once its prompt shows and the terminal stopped echoing (getpass
    flushes what was typed before). Returns the exit status and everything shown.
    """
    leader, follower = os.openpty()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
        "CHANGEFLOW_ACTOR": ADMIN,
        "CHANGEFLOW_LANG": "en",
    }
    command = [sys.executable, "-m", "changeflow.cli", "--db", url, "user", "set-password", login]
    # A new session has no controlling terminal, so getpass reads the pseudo-terminal on stdin.
    process = subprocess.Popen(
        command, stdin=follower, stdout=follower, stderr=follower, env=env, start_new_session=True
    )
    shown = b""
    prompts = ["New password for", "Repeat the password"]
    deadline = time.monotonic() + 60
    try:
        for prompt, answer in zip(prompts, answers, strict=True):
            while not (prompt.encode() in shown and not _echoing(follower)):
                assert time.monotonic() < deadline, shown
                assert process.poll() is None, shown
                if select.select([leader], [], [], 0.02)[0]:
                    shown += os.read(leader, 4096)
            shown = shown.replace(prompt.encode(), b"<asked>", 1)
            os.write(leader, f"{answer}\n".encode())
        status = process.wait(timeout=60)
        while select.select([leader], [], [], 0.2)[0]:
            shown += os.read(leader, 4096)
    finally:
        if process.poll() is None:
            process.kill()
        os.close(leader)
        os.close(follower)
    return status, shown.decode(errors="replace")


def test_at_a_terminal_the_password_is_asked_twice_hidden(cli: Cli) -> None:
    """Two equal answers set the password; neither is echoed."""
    status, shown = _at_a_terminal(cli.url, "penguji", [PASSWORD, PASSWORD])
    assert status == 0, shown
    assert "password set for penguji" in shown
    assert PASSWORD not in shown
    assert _check(cli.url, "penguji", PASSWORD)


def test_at_a_terminal_two_different_answers_change_nothing(cli: Cli) -> None:
    """A mistyped confirmation: exit 2, nothing stored."""
    status, shown = _at_a_terminal(cli.url, "penguji", [PASSWORD, "kata-sandi-02"])
    assert status == 2, shown
    assert "the two passwords differ: nothing was changed" in shown
    assert _stored(cli.url, "penguji") is None
