"""The README's and the docs' Python code blocks run, in order, as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def test_documents_have_code() -> None:
    """Every listed document is found and the README carries a Python example."""
    assert (ROOT / "README.md") in DOCUMENTS
    assert BLOCK.search((ROOT / "README.md").read_text(encoding="utf-8"))


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.name)
def test_code_blocks_run(document: Path) -> None:
    """Each document's blocks execute top to bottom in one namespace without error."""
    namespace: dict[str, object] = {"__name__": f"doc_{document.stem}"}
    for number, block in enumerate(BLOCK.findall(document.read_text(encoding="utf-8")), 1):
        code = compile(block, f"{document.name}[block {number}]", "exec")
        exec(code, namespace)  # noqa: S102 - running our own documentation is the point


def test_api_reference_is_current() -> None:
    """docs/api.md is exactly what scripts/api_docs.py generates from today's docstrings."""
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "api_docs.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


def test_lifecycle_diagram_document_is_current() -> None:
    """docs/lifecycle.md embeds the diagram render() draws for the default lifecycle."""
    from changeflow import DEFAULT_LIFECYCLE  # noqa: PLC0415
    from changeflow.states.diagram import render  # noqa: PLC0415

    text = (ROOT / "docs" / "lifecycle.md").read_text(encoding="utf-8")
    assert f"```mermaid\n{render(DEFAULT_LIFECYCLE)}```" in text


def _without_json() -> list[str]:
    """The CLI commands (``group sub`` for a subcommand) that take no ``--json``, sorted."""
    import typer.main  # noqa: PLC0415

    from changeflow.cli.app import app  # noqa: PLC0415

    found: list[str] = []

    def walk(command: object, path: tuple[str, ...]) -> None:
        subcommands = getattr(command, "commands", None)
        if subcommands:
            for name, sub in subcommands.items():
                walk(sub, (*path, name))
        elif not any("--json" in getattr(p, "opts", ()) for p in getattr(command, "params", ())):
            found.append(" ".join(path))

    walk(typer.main.get_command(app), ())
    return sorted(found)


def test_the_docs_name_exactly_the_commands_without_json() -> None:
    """README and docs/cli.md say which commands lack --json, and that is the CLI's truth."""
    assert _without_json() == ["demo", "diagram", "export", "serve"]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "Every command but `export` (whose output is a JSON document already), `diagram`" in (
        readme
    )
    assert "dot text), `demo` and `serve` (the [web board](docs/web.md)) takes `--json`" in readme
    assert "Every reporting command has `--json`" not in readme
    cli = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert "Every command except `export`, `diagram`, `demo` and `serve` takes `--json`." in cli


def test_the_readme_shell_session_finds_changeflow() -> None:
    """The README's shell session activates .venv (make demo installs there) before changeflow."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    session = re.search(r"^## From the shell\n.*?```console\n(.*?)^```", readme, re.S | re.M)
    assert session is not None
    lines = [line for line in session.group(1).splitlines() if line.startswith("$ ")]
    first = next(i for i, line in enumerate(lines) if line.startswith("$ changeflow "))
    assert any(line.startswith("$ . .venv/bin/activate") for line in lines[:first])
