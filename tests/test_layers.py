"""The layers point one way: the domain core imports neither storage, logging nor the CLI."""

from __future__ import annotations

import ast
import inspect
import json
import subprocess
import sys
from pathlib import Path

import pytest

import changeflow
from changeflow import clock, engine, errors, models, records

PACKAGE = Path(changeflow.__file__).resolve().parent
CORE = [
    PACKAGE / "models.py",
    PACKAGE / "nip.py",
    PACKAGE / "dates.py",
    PACKAGE / "errors.py",
    *sorted((PACKAGE / "rules").glob("*.py")),
    *sorted((PACKAGE / "states").glob("*.py")),
]
INFRASTRUCTURE = {"sqlalchemy", "alembic", "structlog", "typer", "rich", "psycopg", "hypothesis"}


def _imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("path", CORE, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_domain_core_imports_no_infrastructure(path: Path) -> None:
    """Models, rules and states import only the standard library, pydantic and changeflow."""
    imported = _imported_packages(path)
    assert not imported & INFRASTRUCTURE
    if path.name != "machine.py":  # the one module that builds on ``transitions``
        assert "transitions" not in imported


def test_transitions_is_imported_in_one_module() -> None:
    """Only states/machine.py imports ``transitions``."""
    users = [
        p.relative_to(PACKAGE)
        for p in PACKAGE.rglob("*.py")
        if "transitions" in _imported_packages(p)
    ]
    assert users == [Path("states/machine.py")]


def test_package_import_stays_light() -> None:
    """Importing changeflow loads no storage driver, CLI toolkit or test tool."""
    code = "import json, sys, changeflow; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    loaded = {name.split(".")[0] for name in json.loads(out)}
    assert not loaded & (INFRASTRUCTURE - {"structlog"})
    assert "changeflow.testing" not in json.loads(out)


def _ruff_order(name: str) -> tuple[int, str]:
    # ruff's RUF022 order: CONSTANTS, then Classes, then functions and the rest.
    if name.isupper():
        return (0, name)
    return (1, name) if name[:1].isupper() else (2, name)


def test_public_names_are_sorted_and_documented() -> None:
    """``__all__`` is sorted without repeats, and every public callable has a docstring."""
    names = list(changeflow.__all__)
    assert names == sorted(set(names), key=_ruff_order)
    for name in names:
        obj = getattr(changeflow, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert (obj.__doc__ or "").strip(), name


def test_public_classes_are_exported() -> None:
    """Every public class of the top-level modules is reachable from the package."""
    for module in (clock, engine, errors, models, records):
        for name in module.__all__:
            if inspect.isclass(getattr(module, name)):
                assert name in changeflow.__all__, f"{module.__name__}.{name}"
