"""The SQL backend: SQLite by default, PostgreSQL (psycopg 3) for several writers."""

from __future__ import annotations

import os

from changeflow.store.sql.connect import create_sql_engine
from changeflow.store.sql.schema import HEAD, REVISIONS, ensure_schema
from changeflow.store.sql.store import DEFAULT_URL, SqlStore
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
