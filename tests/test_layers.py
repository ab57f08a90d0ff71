"""The layers point one way: the domain core imports neither storage, logging nor the CLI."""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import subprocess
import sys
from pathlib import Path

import pytest

import changeflow
from changeflow import clock, commands, engine, errors, facts, models, records, rules
from changeflow.rules import context, verdict

PACKAGE = Path(changeflow.__file__).resolve().parent
CORE = [
    PACKAGE / "models.py",
    PACKAGE / "nip.py",
    PACKAGE / "dates.py",
    PACKAGE / "errors.py",
    PACKAGE / "facts.py",
    PACKAGE / "records.py",
    *sorted((PACKAGE / "rules").glob("*.py")),
    *sorted((PACKAGE / "states").glob("*.py")),
]
INFRASTRUCTURE = {"sqlalchemy", "alembic", "structlog", "typer", "rich", "psycopg", "hypothesis"}
DOMAIN_THIRD_PARTY = {"pydantic", "transitions", "yaml"}
"""The only packages outside the standard library the domain core may import (PyYAML only
for YAML definitions, deferred and optional)."""


def _imported_modules(path: Path) -> set[str]:
    """Every module ``path`` (a file of the package) imports; see :func:`_imports_in`."""
    module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return _imports_in(path.read_text(encoding="utf-8"), module)


def _imports_in(source: str, module: str) -> set[str]:
    """Every module ``source`` imports, in full (``from a.b import c``: ``a.b`` and ``a.b.c``).

    ``module`` is the importing module's dotted name: relative imports are resolved against
    its package. Imports under ``TYPE_CHECKING`` count too.
    """
    package = module.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package[: len(package) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _imported_packages(path: Path) -> set[str]:
    return {name.split(".")[0] for name in _imported_modules(path)}


@pytest.mark.parametrize("path", CORE, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_domain_core_imports_no_infrastructure(path: Path) -> None:
    """Models, facts, records, rules and states import only stdlib, pydantic and changeflow."""
    imported = _imported_packages(path)
    assert not imported & INFRASTRUCTURE
    outside = imported - sys.stdlib_module_names - DOMAIN_THIRD_PARTY - {"changeflow"}
    assert outside == set()
    if path.name != "machine.py":  # the one module that builds on ``transitions``
        assert "transitions" not in imported


@pytest.mark.parametrize("name", ["facts.py", "records.py"])
def test_facts_and_records_import_no_other_layer(name: str) -> None:
    """facts.py and records.py sit below rules and stores: they import neither, nor the engine."""
    imported = _imported_modules(PACKAGE / name)
    layered = {m.split(".")[1] for m in imported if m.startswith("changeflow.")}
    assert layered <= {"models"}, layered


STORE = sorted((PACKAGE / "store").rglob("*.py"))


@pytest.mark.parametrize("path", STORE, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_store_imports_nothing_from_rules(path: Path) -> None:
    """No module under store/ imports changeflow.rules (Violation, Standing live below both)."""
    imported = _imported_modules(path)
    assert not {m for m in imported if m == "changeflow.rules" or m.startswith("changeflow.rules.")}
    assert "changeflow.engine" not in imported


def test_the_import_scanner_sees_rules_imports() -> None:
    """The scanner used above resolves absolute, relative and TYPE_CHECKING imports of rules."""
    hidden = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from changeflow.rules.verdict import Violation\n"
    )
    assert "changeflow.rules.verdict" in _imports_in(hidden, "changeflow.store.sql.unit")
    relative = "from ...rules import context\n"
    assert "changeflow.rules.context" in _imports_in(relative, "changeflow.store.sql.unit")
    assert "changeflow.rules" in _imports_in("from .. import rules\n", "changeflow.store.base")


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


def test_package_import_loads_nothing_but_itself() -> None:
    """``import changeflow`` loads no submodule: the public names resolve on first use."""
    code = "import json, sys, changeflow; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    loaded = set(json.loads(out))
    assert not {name for name in loaded if name.startswith("changeflow.")}
    assert not {name.split(".")[0] for name in loaded} & {
        "sqlalchemy",
        "structlog",
        "typer",
        "pydantic",
    }


def test_every_public_name_resolves_to_its_module_object() -> None:
    """Each name of ``__all__`` is the object its module defines, and ``dir`` lists it."""
    for name in changeflow.__all__:
        value = getattr(changeflow, name)
        if name != "__version__":
            module = importlib.import_module(changeflow._WHERE[name])
            assert value is getattr(module, name), name
    assert set(changeflow.__all__) <= set(dir(changeflow))
    assert not hasattr(changeflow, "NoSuchName")


def test_type_checkers_see_the_lazy_names() -> None:
    """The ``TYPE_CHECKING`` imports name exactly the lazy table: mypy and IDEs see them all."""
    tree = ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    guarded = next(
        node
        for node in tree.body
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
    )
    seen = {
        alias.name: node.module
        for node in guarded.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert seen == changeflow._WHERE
    assert set(changeflow.__all__) == {*seen, "__version__"}


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
    for module in (clock, commands, engine, errors, models, records):
        for name in module.__all__:
            if inspect.isclass(getattr(module, name)):
                assert name in changeflow.__all__, f"{module.__name__}.{name}"


def test_shared_values_live_below_rules_and_stores() -> None:
    """Violation lives in records, Standing and Facts in facts; rules re-export the same objects."""
    assert rules.Violation is verdict.Violation is records.Violation is changeflow.Violation
    assert rules.Standing is context.Standing is facts.Standing
    assert rules.Facts is context.Facts is facts.Facts
    assert records.Violation.__module__ == "changeflow.records"
    assert facts.Standing.__module__ == facts.Facts.__module__ == "changeflow.facts"


def test_new_public_names_are_exported() -> None:
    """The names this release added are reachable from the package."""
    added = {
        "Command",
        "CohortProjection",
        "DataCommand",
        "DefinitionMismatch",
        "Difference",
        "LifecycleRef",
        "MigrationPlan",
        "MigrationRejected",
        "MissingRules",
    }
    assert added <= set(changeflow.__all__)
    assert all(getattr(changeflow, name) is not None for name in added)
