"""Write docs/api.md, the Python API reference, from the public objects' docstrings.

Run it with ``.venv/bin/python scripts/api_docs.py``; ``--check`` exits 1 when the file on
disk differs (the test suite runs that, so the reference cannot fall behind the code).
"""

from __future__ import annotations

import argparse
import enum
import inspect
import re
import sys
from pathlib import Path

from pydantic import BaseModel

import changeflow
from changeflow.store import sql

TARGET = Path(__file__).resolve().parent.parent / "docs" / "api.md"
EXTRA = {"SqlStore": sql.SqlStore}


def _doc(obj: object) -> str:
    return inspect.cleandoc(obj.__doc__ or "").strip()


def _signature(obj: object) -> str:
    try:
        return str(inspect.signature(obj))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""


def _members(cls: type) -> list[str]:
    lines = []
    for name, member in sorted(vars(cls).items()):
        if name.startswith(("_", "model_")) or not (
            callable(member) or isinstance(member, property)
        ):
            continue
        target = member.fget if isinstance(member, property) else member
        if isinstance(target, classmethod | staticmethod):
            target = target.__func__
        summary = _doc(target).split("\n\n")[0].replace("\n", " ")
        sig = "" if isinstance(member, property) else _signature(target)
        lines.append(f"- `{name}{sig}`: {summary}")
    return lines


def _type_name(annotation: object) -> str:
    text = getattr(annotation, "__name__", None) if isinstance(annotation, type) else None
    text = text or str(annotation).replace("typing.", "").replace("changeflow.models.", "")
    # Constrained types read as their base type; the constraints are in the docstrings.
    return re.sub(r"Annotated\[([\w.]+), .*?\)\]", r"\1", text)


def _default_repr(value: object) -> str:
    """A repr that does not depend on hash order, and short for default models."""
    if isinstance(value, BaseModel) and value == type(value)():
        return f"{type(value).__name__}()"
    if isinstance(value, frozenset | set):
        return f"frozenset({{{', '.join(sorted(repr(v) for v in value))}}})"
    if isinstance(value, dict):
        # String-enum keys (DataCommand) read as the plain names a definition file uses.
        items = (f"{_plain(k)!r}: {_default_repr(v)}" for k, v in value.items())
        return f"{{{', '.join(items)}}}"
    return repr(value)


def _plain(value: object) -> object:
    return value.value if isinstance(value, enum.Enum) else value


def _enum_members(cls: type[enum.Enum]) -> list[str]:
    return [f"- `{member.value}`" for member in cls]


def _fields(model: type[BaseModel]) -> list[str]:
    lines = []
    for field, info in model.model_fields.items():
        value = None if info.is_required() else info.get_default(call_default_factory=True)
        default = "required" if info.is_required() else f"default `{_default_repr(value)}`"
        lines.append(f"- `{field}`: `{_type_name(info.annotation)}`, {default}")
    return lines


def _section(name: str, obj: object) -> list[str]:
    kind = "class" if inspect.isclass(obj) else "function" if callable(obj) else "constant"
    lines = [f"### `{name}` ({kind})", ""]
    if inspect.isclass(obj) and issubclass(obj, BaseModel):
        lines += ["A frozen pydantic model with the fields:", "", *_fields(obj), ""]
    elif inspect.isclass(obj) and issubclass(obj, enum.Enum):
        doc = _doc(obj)
        return [*lines, doc, "", "Values:", "", *_enum_members(obj), ""]
    elif inspect.isclass(obj) or inspect.isfunction(obj):
        lines += [f"```text\n{name}{_signature(obj)}\n```", ""]
    doc = _doc(obj) if inspect.isclass(obj) or inspect.isfunction(obj) else ""
    if doc:
        lines += [doc, ""]
    if inspect.isclass(obj) and not issubclass(obj, BaseException):
        members = _members(obj)
        if members:
            lines += [*members, ""]
    return lines


def render() -> str:
    """The whole reference as Markdown."""
    lines = [
        "# Python API reference",
        "",
        "Generated from the docstrings by `scripts/api_docs.py`; do not edit by hand.",
        "Everything below is importable from `changeflow`, except `SqlStore`",
        "(`from changeflow.store.sql import SqlStore`, which loads SQLAlchemy).",
        "",
    ]
    names = sorted(changeflow.__all__, key=str.lower)
    for name in names:
        if name.startswith("__"):
            continue
        lines += _section(name, getattr(changeflow, name))
    for name, obj in EXTRA.items():
        lines += _section(name, obj)
    return "\n".join(lines).rstrip() + "\n"


def main() -> int:
    """Write the reference, or with --check compare it with the file."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--check", action="store_true")
    text = render()
    if parser.parse_args().check:
        if TARGET.read_text(encoding="utf-8") != text:
            print(f"{TARGET} is out of date: run scripts/api_docs.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
