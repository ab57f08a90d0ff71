"""Thematic groups (kelompok): the coach splits a cohort by the themes of its projects."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from changeflow.models import Group

if TYPE_CHECKING:
    from collections.abc import Sequence

    from changeflow.records import Enrolment

__all__ = ["split_by_theme"]


def split_by_theme(members: Sequence[Enrolment], count: int) -> tuple[Group, ...]:
    """Split ``members`` into at most ``count`` groups, keeping shared themes together.

    Groups stay within one member of each other in size; a theme larger than a group is
    split. Members without a project share the theme ``(no project)``.
    """
    themes: dict[str, list[Enrolment]] = {}
    for e in members:
        theme = e.project.theme.strip().casefold() if e.project else "(no project)"
        themes.setdefault(theme, []).append(e)
    # More groups than members would only add empty slots (dropped below); capping the count
    # keeps a hostile count from allocating a slot per requested group.
    count = min(count, max(len(members), 1))
    size = math.ceil(len(members) / count) if members else 0
    slots: list[list[Enrolment]] = [[] for _ in range(count)]
    labels: list[list[str]] = [[] for _ in range(count)]
    for theme, people in sorted(themes.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        rest = list(people)
        while rest:
            target = min(range(count), key=lambda i: (len(slots[i]), i))
            room = max(size - len(slots[target]), 1)
            slots[target] += rest[:room]
            rest = rest[room:]
            if theme not in labels[target]:
                labels[target].append(theme)
    return tuple(
        Group(number=i + 1, themes=tuple(labels[i]), members=tuple(e.nip for e in slots[i]))
        for i in range(count)
        if slots[i]
    )
