"""What a rule answers: a :class:`Verdict` that is ok or lists :class:`Violation` s.

Rules are validators, not guards: they say *why*, with a stable ``code`` scripts can branch
on, a message for people (English, and Indonesian when the rule provides it) and the facts
the decision used.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from changeflow.records import Violation

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["OK", "Verdict", "Violation"]

_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Verdict:
    """A rule's answer: ok when ``violations`` is empty.

    An ok verdict may carry ``facts`` the engine records with the transition (the grade band
    of a graduation, for instance).
    """

    violations: tuple[Violation, ...] = ()
    facts: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)

    @property
    def ok(self) -> bool:
        """True when nothing was violated."""
        return not self.violations

    @classmethod
    def allow(cls, **facts: Any) -> Verdict:
        """An ok verdict, optionally recording facts."""
        return cls((), MappingProxyType(facts)) if facts else OK

    @classmethod
    def refuse(
        cls,
        code: str,
        message: str,
        *,
        message_id: str | None = None,
        source: str | None = None,
        **facts: Any,
    ) -> Verdict:
        """A verdict with one violation."""
        violation = Violation(code, message, MappingProxyType(facts), message_id, source)
        return cls((violation,))


OK = Verdict()
"""The shared ok verdict."""
