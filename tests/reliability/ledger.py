"""Reading a store's bookkeeping straight from its tables, for the reconciliation checks.

The checks compare what the store keeps (seat counters on the cohort row and per office)
with what they summarise (the enrolments), so they read the tables with plain SQL rather
than through the store under test.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import text

if TYPE_CHECKING:
    from sqlalchemy import Connection

__all__ = ["stored_seats"]

_COHORT_SEATS = text("SELECT code, seated FROM cohorts")
_OFFICE_SEATS = text(
    "SELECT c.code, o.office_code, o.seated FROM cohort_offices o "
    "JOIN cohorts c ON c.id = o.cohort_id"
)


def stored_seats(
    connection: Connection,
) -> tuple[dict[str, int], dict[tuple[str, str], int]]:
    """The seat counters as stored: per cohort code, and per (cohort code, office code)."""
    cohorts = {r.code: r.seated for r in connection.execute(_COHORT_SEATS)}
    offices = {(r.code, r.office_code): r.seated for r in connection.execute(_OFFICE_SEATS)}
    return cohorts, offices
