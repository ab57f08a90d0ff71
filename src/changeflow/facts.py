"""The counts a store supplies to rules: seats taken and a person's course record.

This module sits below both ``rules/`` (which read facts) and ``store/`` (whose units of
work supply them), so neither has to import the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["Facts", "Standing"]


@dataclass(frozen=True, slots=True)
class Standing:
    """A person's course record across every cohort the store knows."""

    active_in: str | None = None
    """The cohort the person is currently active in (a non-final state), if any."""
    completed_in: str | None = None
    """A cohort the person graduated from, if any."""

    def elsewhere(self, cohort: str) -> Standing:
        """The record without ``cohort``: what other cohorts say about the person."""
        active = None if self.active_in == cohort else self.active_in
        completed = None if self.completed_in == cohort else self.completed_in
        if active is self.active_in and completed is self.completed_in:
            return self
        return Standing(active, completed)


class Facts(Protocol):
    """Counts the store supplies to rules, read inside the same transaction as the write."""

    def seated(self, cohort: str) -> int:
        """Participants holding a seat in the cohort (withdrawn and dropped do not)."""
        ...

    def seated_from_office(self, cohort: str, office: str) -> int:
        """Participants from one office holding a seat in the cohort."""
        ...

    def standing(self, nip: str) -> Standing:
        """The person's course record across cohorts."""
        ...

    def attendance(self, cohort: str, nip: str) -> Mapping[str, str]:
        """The participant's recorded attendance in the cohort: ISO day -> status."""
        ...
