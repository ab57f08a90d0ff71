"""Alembic migrations shipped with changeflow (run by :mod:`changeflow.store.sql.schema`).

Migrations must not follow the code's defaults as they evolve: a lifecycle a revision pins
cohorts to is a frozen copy shipped beside it (:func:`frozen_lifecycle`).
"""

from __future__ import annotations

import json
from importlib import resources
from typing import TYPE_CHECKING

from changeflow.states.definition import parse_definition

if TYPE_CHECKING:
    from changeflow.states.definition import LifecycleDefinition

__all__ = ["CHANGE_PROJECT_2", "frozen_lifecycle"]

CHANGE_PROJECT_2 = "6fd11cd2838c63513790ad115ce687fcf34bc4386c8702d38bb3a154b7a2de38"
"""SHA-256 of version 2 of the default lifecycle, which revision 0002 pins 0001 cohorts to."""


def frozen_lifecycle(name: str, version: str, sha256: str) -> LifecycleDefinition:
    """The shipped copy of a lifecycle definition, checked against its SHA-256."""
    text = resources.files(__name__).joinpath(f"{name}-{version}.json").read_text("utf-8")
    definition = parse_definition(json.loads(text))
    if definition.sha256 != sha256:
        raise RuntimeError(f"the shipped {name} {version} is not the one revisions pin")
    return definition
