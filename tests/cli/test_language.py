"""The CLI in Indonesian (``--lang id``, an Indonesian locale) and its catalogue's completeness."""

from __future__ import annotations

import ast
import json
import sqlite3
import string
from pathlib import Path
from typing import TYPE_CHECKING, get_args

import pytest

from changeflow.agenda import TickOutcome
from changeflow.attendance import RowStatus
from changeflow.cli import language
from changeflow.cli.language import INDONESIAN, STATE_LABELS, choose, state_label, tr, translated
from changeflow.models import Attendance
from changeflow.records import Outcome
from changeflow.states.default import DEFAULT_LIFECYCLE
from cli.support import CODE

if TYPE_CHECKING:
    from collections.abc import Iterator

    from cli.support import Cli

CLI = Path(language.__file__).parent
"""The CLI package: every module in it is searched for text it prints."""

_SINKS = frozenset({"line", "note", "hint", "table", "progress"})
"""Output methods and functions: a literal handed to them is printed as is."""

_NOT_YET_ROUTED = frozenset(
    {
        "cohort_views.py",
        "cohorts.py",
        "options.py",
        "participant.py",
        "session.py",
    }
)
"""Modules that still build some printed sentences with f-strings outside :func:`tr`.

Their literal texts are catalogued (and print in Indonesian); these f-string sentences still
print in English. A module leaves this set once its sentences go through ``tr``; every other
module of the CLI already does, and a new f-string sentence there fails the test.
"""

ENV_UNSET = {"CHANGEFLOW_LANG": "", "LC_ALL": "", "LC_MESSAGES": "", "LANG": ""}
"""The locale variables, cleared: the host's own locale does not leak into a test."""


@pytest.fixture
def indonesian() -> Iterator[None]:
    """Speak Indonesian for one test, English again after it."""
    language.use("id")
    yield
    language.use(language.ENGLISH)


# -- the catalogue -------------------------------------------------------------------------------


def _calls() -> Iterator[tuple[str, ast.Call, dict[str, str]]]:
    """Every call in the CLI package, with its module and the module's string constants."""
    for path in sorted(CLI.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = {
            target.id: text
            for node in tree.body
            if isinstance(node, ast.Assign) and (text := _text(node.value)) is not None
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                yield path.name, node, constants


def _text(node: ast.expr) -> str | None:
    """A string constant's value, also when written as constants joined with ``+``."""
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _text(node.left), _text(node.right)
        return None if left is None or right is None else left + right
    return None


def _name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return call.func.id if isinstance(call.func, ast.Name) else None


def _templates() -> set[str]:
    """The English templates handed to ``tr``: literals, or module constants named there."""
    found = set()
    for _, call, constants in _calls():
        if _name(call) != "tr" or not call.args:
            continue
        first = call.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            found.add(first.value)
        elif isinstance(first, ast.Name) and first.id in constants:
            found.add(constants[first.id])
    return found


def _printed(call: ast.Call) -> list[ast.expr]:
    """The arguments of a call that end up printed (a sink's text, an error's message)."""
    name = _name(call)
    keywords = {k.arg: k.value for k in call.keywords if k.arg}
    if name in _SINKS:
        found = list(call.args) + [v for k, v in keywords.items() if k == "title"]
        return [e for a in found for e in (a.elts if isinstance(a, ast.Tuple) else [a])]
    if name == "CliError":
        return call.args[:1] + [v for k, v in keywords.items() if k == "hint"]
    if name == "Failure":
        return call.args[2:5] + [v for k, v in keywords.items() if k in {"hint", "headline"}]
    return []


def _literal(argument: ast.expr, constants: dict[str, str]) -> str | None:
    """The text of a printed argument written as a literal or a module's string constant."""
    if isinstance(argument, ast.Name):
        return constants.get(argument.id)
    return _text(argument)


def _placeholders(template: str) -> set[tuple[str, str, str]]:
    return {
        (field, spec or "", conversion or "")
        for _, field, spec, conversion in string.Formatter().parse(template)
        if field is not None
    }


def test_every_template_the_cli_translates_has_an_indonesian_entry() -> None:
    """Each English template handed to tr() has an Indonesian entry with the same placeholders."""
    templates = _templates()
    assert len(templates) > 60  # the search found the CLI's templates
    missing = sorted(t for t in templates if t not in INDONESIAN)
    assert missing == []
    differ = [t for t in templates if _placeholders(t) != _placeholders(INDONESIAN[t])]
    assert differ == []


def test_every_literal_the_cli_prints_has_an_indonesian_entry() -> None:
    """A literal message, hint or table heading anywhere in the CLI is in the catalogue."""
    literals = {
        (module, text)
        for module, call, constants in _calls()
        for argument in _printed(call)
        if (text := _literal(argument, constants)) is not None and any(c.isalpha() for c in text)
    }
    assert len(literals) > 50
    assert sorted(item for item in literals if item[1] not in INDONESIAN) == []


def test_routed_modules_print_no_sentence_outside_the_catalogue() -> None:
    """Outside the modules still listed, no printed f-string holds words of its own."""
    sentences = sorted(
        (module, call.lineno)
        for module, call, _ in _calls()
        if module not in _NOT_YET_ROUTED
        for argument in _printed(call)
        if isinstance(argument, ast.JoinedStr)
        and any(
            isinstance(part, ast.Constant) and any(c.isalpha() for c in str(part.value))
            for part in argument.values
        )
    )
    assert sentences == []


def test_every_state_of_the_default_lifecycle_has_a_label() -> None:
    """Each state of the default lifecycle has an Indonesian label, and no other is labelled."""
    states = {state.name for state in DEFAULT_LIFECYCLE.states}
    assert set(STATE_LABELS) == states
    assert STATE_LABELS["graduated"] == "lulus"
    assert STATE_LABELS["not_passed"] == "tidak lulus"
    assert STATE_LABELS["withdrawn"] == "mengundurkan diri"
    assert STATE_LABELS["dropped"] == "dikeluarkan"


def test_every_outcome_word_the_cli_prints_has_an_entry() -> None:
    """History, tick and attendance outcomes and attendance statuses are all catalogued."""
    words = {*get_args(Outcome), *get_args(RowStatus), *TickOutcome, *Attendance}
    assert sorted(w for w in words if w not in INDONESIAN) == []


def test_no_entry_is_empty() -> None:
    """Every Indonesian entry and state label says something."""
    assert all(text.strip() for text in [*INDONESIAN.values(), *STATE_LABELS.values()])


# -- choosing and using a language ------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "environ", "expected"),
    [
        (None, {}, "en"),
        (None, {"LANG": "id_ID.UTF-8"}, "id"),
        (None, {"LANG": "id"}, "id"),
        (None, {"LANG": "in_ID"}, "id"),
        (None, {"LANG": "en_US.UTF-8"}, "en"),
        (None, {"LANG": "C"}, "en"),
        (None, {"LANG": "id_ID.UTF-8", "LC_ALL": "en_GB.UTF-8"}, "en"),
        (None, {"LANG": "en_US.UTF-8", "LC_MESSAGES": "id_ID.UTF-8"}, "id"),
        (None, {"LANG": "id_ID.UTF-8", "LC_ALL": ""}, "id"),
        (None, {"LANG": "en_US.UTF-8", "CHANGEFLOW_LANG": "id"}, "id"),
        ("en", {"LANG": "id_ID.UTF-8", "CHANGEFLOW_LANG": "id"}, "en"),
        ("id", {}, "id"),
    ],
)
def test_choose_follows_the_option_then_the_locale(
    option: str | None, environ: dict[str, str], expected: str
) -> None:
    """--lang wins; then CHANGEFLOW_LANG, LC_ALL, LC_MESSAGES, LANG; Indonesian for id_*."""
    assert choose(option, environ) == expected


def test_tr_fills_english_by_default() -> None:
    """Without a language chosen, the English template is filled."""
    assert tr("unknown cohort {key!r}", key="X") == "unknown cohort 'X'"


@pytest.mark.usefixtures("indonesian")
def test_tr_fills_the_indonesian_entry() -> None:
    """Under Indonesian the entry is filled; a template without one prints in English."""
    assert tr("unknown cohort {key!r}", key="X") == "angkatan 'X' tidak dikenal"
    assert tr("not catalogued {x}", x=1) == "not catalogued 1"


@pytest.mark.usefixtures("indonesian")
def test_translated_never_formats() -> None:
    """Text built elsewhere is looked up verbatim: braces in it print as they are."""
    assert translated("no cohorts yet") == "belum ada angkatan"
    assert translated("name {x} {") == "name {x} {"


@pytest.mark.usefixtures("indonesian")
def test_state_label_leaves_a_custom_state_as_named() -> None:
    """A default state reads in Indonesian; a custom lifecycle's state as named."""
    assert (state_label("on_class"), state_label("in_session"), state_label(None)) == (
        "pembelajaran klasikal",
        "in_session",
        "-",
    )


# -- the CLI in Indonesian ---------------------------------------------------------------------


def test_status_prints_headings_and_states_in_indonesian(cli: Cli, enrolled: list[str]) -> None:
    """--lang id: status's title, headings and state labels are Indonesian; NIPs as they are."""
    result = cli("--lang", "id", "status", CODE)
    lines = result.stdout.splitlines()
    assert lines[0] == f"{CODE}: 3 peserta"
    headings = ["NIP", "nama", "unit", "kerja", "tahap", "kelompok", "proyek", "perubahan"]
    assert lines[1].split() == [*headings, "nilai"]
    assert all(nip in result.stdout for nip in enrolled)
    assert result.stdout.count("terdaftar") == 4  # three participants, one count row
    assert "per tahap" in lines
    assert "enrolled" not in result.stdout
    assert "participant" not in result.stdout


def test_history_prints_in_indonesian(cli: Cli, enrolled: list[str]) -> None:
    """--lang id: history's headings, outcomes and states are Indonesian; events as named."""
    nip = enrolled[0]
    cli("fire", CODE, nip, "start_class")
    lines = cli("--lang", "id", "history", nip).stdout.splitlines()
    assert lines[0].split()[:5] == ["no.", "waktu", "angkatan", "peristiwa", "dari"]
    assert "- -> terdaftar" in lines[2]
    assert "diterima" in lines[2]
    assert "start_class" in lines[3]
    assert "terdaftar -> pembelajaran klasikal" in lines[3]


def test_events_prints_the_state_and_hint_in_indonesian(cli: Cli, enrolled: list[str]) -> None:
    """--lang id: events names the state in Indonesian, the events as typed, and the hint."""
    result = cli("--lang", "id", "events", CODE, enrolled[0])
    assert result.stdout.startswith(
        f"{enrolled[0]} berada di tahap terdaftar; yang dapat dilakukan sekarang: start_class"
    )
    assert result.stderr == (
        "saran: peristiwa yang memerlukan alasan (withdraw, drop, reopen) hanya ditampilkan "
        "dengan --reason\n"
    )


def test_a_refusal_prints_the_indonesian_violations(cli: Cli, enrolled: list[str]) -> None:
    """--lang id: a refused command's error, each violation's Indonesian text, and the hint."""
    nip = enrolled[0]
    result = cli("--lang", "id", "fire", CODE, nip, "withdraw", expect=3)
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"kesalahan: 'withdraw' ditolak untuk {nip} di angkatan {CODE}",
        "  reason_required: alasan wajib diisi",
        "saran: percobaan ini tercatat di jejak audit; perbaiki yang disebutkan aturan lalu "
        "coba lagi",
    ]


def test_an_illegal_event_names_the_state_in_indonesian(cli: Cli, enrolled: list[str]) -> None:
    """--lang id: an illegal transition's hint points at events, in Indonesian."""
    result = cli("--lang", "id", "fire", CODE, enrolled[0], "graduate", expect=3)
    assert result.stderr.splitlines()[-1] == (
        f"saran: `changeflow events {CODE} {enrolled[0]}` menampilkan apa yang dapat dilakukan "
        "sekarang"
    )


@pytest.mark.usefixtures("cohort")
def test_an_error_and_its_hint_print_in_indonesian(cli: Cli) -> None:
    """--lang id: an unknown cohort's error line and hint are Indonesian, exit status as ever."""
    result = cli("--lang", "id", "status", "NOPE", expect=2)
    assert result.stderr.splitlines() == [
        "kesalahan: angkatan 'NOPE' tidak dikenal",
        "saran: `changeflow cohort list` menampilkan daftar angkatan; `changeflow cohort "
        "create` membuat angkatan baru",
    ]


@pytest.mark.usefixtures("cohort")
def test_an_indonesian_locale_picks_indonesian(cli: Cli) -> None:
    """LANG=id_ID.UTF-8 without --lang prints Indonesian."""
    env = {**ENV_UNSET, "LANG": "id_ID.UTF-8"}
    result = cli("status", "NOPE", expect=2, env=env)
    assert result.stderr.startswith("kesalahan: angkatan 'NOPE' tidak dikenal\n")


@pytest.mark.usefixtures("cohort")
def test_changeflow_lang_picks_indonesian(cli: Cli) -> None:
    """CHANGEFLOW_LANG=id prints Indonesian under an English locale."""
    env = {**ENV_UNSET, "LANG": "en_US.UTF-8", "CHANGEFLOW_LANG": "id"}
    result = cli("status", "NOPE", expect=2, env=env)
    assert result.stderr.startswith("kesalahan: ")


@pytest.mark.usefixtures("cohort")
def test_lang_en_overrides_an_indonesian_locale(cli: Cli) -> None:
    """--lang en prints English under LANG=id_ID.UTF-8."""
    env = {**ENV_UNSET, "LANG": "id_ID.UTF-8"}
    result = cli("--lang", "en", "status", "NOPE", expect=2, env=env)
    assert result.stderr.splitlines()[0] == "error: unknown cohort 'NOPE'"


@pytest.mark.usefixtures("cohort")
def test_the_language_does_not_outlive_its_command(cli: Cli) -> None:
    """A command after an Indonesian one, in the same process, speaks English again."""
    cli("--lang", "id", "status", "NOPE", expect=2)
    result = cli("status", "NOPE", expect=2, env=ENV_UNSET)
    assert result.stderr.startswith("error: unknown cohort 'NOPE'\n")


def test_an_unknown_language_is_a_usage_error(cli: Cli) -> None:
    """--lang xx exits 2 naming the languages there are."""
    result = cli("--lang", "xx", "cohort", "list", expect=2)
    assert "choose one of en, id" in result.stderr


# -- JSON under --lang id ---------------------------------------------------------------------


@pytest.mark.usefixtures("enrolled")
def test_json_keys_and_states_stay_english(cli: Cli) -> None:
    """--lang id changes no JSON key and no state name: status is the same document."""
    indonesian = cli.json("--lang", "id", "status", CODE)
    assert indonesian == cli.json("status", CODE)
    assert indonesian["participants"][0]["state"] == "enrolled"


def test_a_refusal_document_carries_message_indonesian(cli: Cli, enrolled: list[str]) -> None:
    """--lang id: keys English, error message Indonesian, violations with message_indonesian."""
    nip = enrolled[0]
    document = cli.json("--lang", "id", "fire", CODE, nip, "withdraw", expect=3)
    assert document["error"]["kind"] == "refused"
    assert document["error"]["message"] == (
        f"'withdraw' dari tahap 'terdaftar' ditolak untuk {nip} di angkatan {CODE}: "
        "reason_required: alasan wajib diisi"
    )
    (violation,) = document["violations"]
    assert list(violation) == ["code", "message", "message_indonesian", "facts", "source"]
    assert (violation["code"], violation["message"], violation["message_indonesian"]) == (
        "reason_required",
        "'withdraw' needs a reason",
        "alasan wajib diisi",
    )


def test_every_document_names_the_field_message_indonesian(cli: Cli, enrolled: list[str]) -> None:
    """In English too, check, history and a refusal print message_indonesian, never message_id."""
    nip = enrolled[0]
    cli("fire", CODE, nip, "withdraw", expect=3)
    printed = [
        cli("check", CODE, nip, "withdraw", "--json", expect=3).stdout,
        cli("history", nip, "--json").stdout,
        cli("fire", CODE, nip, "withdraw", "--json", expect=3).stdout,
    ]
    for text in printed:
        assert '"message_indonesian": "alasan wajib diisi"' in text
        assert "message_id" not in text


def test_the_audit_chain_keeps_its_stored_form(
    cli: Cli, enrolled: list[str], db_path: Path
) -> None:
    """The stored violation keeps message_id (its hashed form), and the chain verifies."""
    cli("--lang", "id", "fire", CODE, enrolled[0], "withdraw", expect=3)
    with sqlite3.connect(db_path) as connection:
        (stored,) = connection.execute(
            "SELECT violations FROM audit WHERE violations IS NOT NULL ORDER BY id DESC"
        ).fetchone()
    assert set(json.loads(stored)[0]) == {"code", "message", "message_id", "facts", "source"}
    assert cli.json("verify")["ok"] is True


@pytest.mark.usefixtures("enrolled")
def test_a_version_1_checkpoint_file_still_verifies(cli: Cli, tmp_path: Path) -> None:
    """A checkpoints file written under JSON schema version 1 is read by verify --against."""
    document = cli.json("checkpoints")
    kept = tmp_path / "checkpoints-v1.json"
    kept.write_text(json.dumps({**document, "schema_version": 1}), encoding="utf-8")
    assert cli.json("verify", "--against", str(kept))["ok"] is True
