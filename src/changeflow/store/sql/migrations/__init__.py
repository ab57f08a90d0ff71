"""Alembic migrations shipped with changeflow (run by :mod:`changeflow.store.sql.schema`)."""
