"""Alembic environment: runs migrations on the connection changeflow hands over.

changeflow calls Alembic programmatically (see :mod:`changeflow.store.sql.schema`), inside
its own transaction and lock, so two processes opening a new database do not race. The
revision lives in ``changeflow_alembic_version``; a revision an earlier release left in
``alembic_version`` is moved there first, in the same transaction.
"""

from __future__ import annotations

from alembic import context

from changeflow.store.sql.schema import VERSION_TABLE, adopt_legacy_version

connection = context.config.attributes["connection"]
adopt_legacy_version(connection)
context.configure(
    connection=connection,
    target_metadata=None,
    render_as_batch=True,
    version_table=VERSION_TABLE,
)
with context.begin_transaction():
    context.run_migrations()
