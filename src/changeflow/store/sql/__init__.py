"""The SQL backend: SQLite by default, PostgreSQL (psycopg 3) for several writers.

:class:`SqlStore` and the schema helpers load with the package; the unit of work (and with
it the domain models) only when :data:`SqlUnit` is asked for or a store writes, so reading
the tables alone (``changeflow status``) loads no pydantic model.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from changeflow.store.sql.connect import create_sql_engine
from changeflow.store.sql.schema import HEAD, REVISIONS, ensure_schema
from changeflow.store.sql.store import DEFAULT_URL, SqlStore

if TYPE_CHECKING:
    from changeflow.store.sql.unit import SqlUnit

__all__ = [
    "DEFAULT_URL",
    "HEAD",
    "REVISIONS",
    "SqlStore",
    "SqlUnit",
    "create_sql_engine",
    "default_url",
    "ensure_schema",
]


def default_url() -> str:
    """``CHANGEFLOW_DB`` from the environment, else an SQLite file in the working directory."""
    return os.environ.get("CHANGEFLOW_DB") or DEFAULT_URL


def __getattr__(name: str) -> Any:
    """:data:`SqlUnit`, imported on first use (PEP 562)."""
    if name != "SqlUnit":
        raise AttributeError(f"module 'changeflow.store.sql' has no attribute {name!r}")
    from changeflow.store.sql.unit import SqlUnit  # noqa: PLC0415 - see the module docstring

    globals()["SqlUnit"] = SqlUnit
    return SqlUnit
