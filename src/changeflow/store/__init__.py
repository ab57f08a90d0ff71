"""Storage backends behind one interface (:class:`~changeflow.store.base.Store`).

The names are imported on first use (PEP 562): a command on the SQL store imports
``changeflow.store.sql`` without loading the in-memory store and its domain models.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the names below, for type checkers; at run time see _WHERE
    from changeflow.store.base import Remembered, Store, Unit
    from changeflow.store.memory import MemoryStore

__all__ = ["MemoryStore", "Remembered", "Store", "Unit"]

_WHERE: dict[str, str] = {
    "Remembered": "base",
    "Store": "base",
    "Unit": "base",
    "MemoryStore": "memory",
}
"""Each public name and the submodule defining it (imported on first use, see __getattr__)."""


def __getattr__(name: str) -> Any:
    """Import the submodule defining ``name`` on first use (PEP 562) and cache the attribute."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'changeflow.store' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"changeflow.store.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public names with the module's own, as if they had been imported eagerly."""
    return sorted({*globals(), *__all__})
