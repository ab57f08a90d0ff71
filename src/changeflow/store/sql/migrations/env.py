"""Alembic environment: runs migrations on the connection changeflow hands over.

changeflow calls Alembic programmatically (see :mod:`changeflow.store.sql.schema`), inside
its own transaction and lock, so two processes opening a new database do not race.
"""

from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
