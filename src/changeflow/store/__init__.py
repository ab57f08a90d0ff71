"""Storage backends behind one interface (:class:`~changeflow.store.base.Store`).

The names are imported on first use (PEP 562): a command on the SQL store imports
``changeflow.store.sql`` without loading the in-memory store and its domain models.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from changeflow import _lazy

if TYPE_CHECKING:  # the names below, for type checkers; at run time see _WHERE
    from changeflow.store.base import Remembered, Store, Unit
    from changeflow.store.memory import MemoryStore

__all__ = ["MemoryStore", "Remembered", "Store", "Unit"]

_WHERE: dict[str, str] = {
    "Remembered": ".base",
    "Store": ".base",
    "Unit": ".base",
    "MemoryStore": ".memory",
}
"""Each public name and the submodule defining it (imported on first use, see __getattr__)."""


__getattr__, __dir__ = _lazy(__name__, _WHERE, globals(), __all__)
