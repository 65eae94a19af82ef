"""Escalation policy: which level is alerted when (DESIGN.md §4).

Level 0 is the members who handle the topic, level 1 the branch secretary, level 2 the
committee. ``waits[i]`` is how long level ``i`` has before level ``i + 1`` is alerted as
well; after the last wait the last level is alerted again every ``repeat``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import IntEnum
from typing import Any

from bot.domain.kinds import Urgency


class Audience(IntEnum):
    MEMBERS = 0  # the branch members who handle the topic
    SECRETARY = 1  # the branch secretary
    COMMITTEE = 2  # the company's duty officers


@dataclass(frozen=True)
class Chain:
    """An urgency's escalation chain, frozen onto each request when it is raised."""

    waits: tuple[timedelta, ...]
    repeat: timedelta

    @property
    def last_level(self) -> int:
        return len(self.waits)

    def wait_after(self, level: int) -> timedelta:
        """How long ``level`` has before the next alert goes out."""
        return self.waits[level] if level < len(self.waits) else self.repeat

    def next_level(self, level: int) -> int:
        return min(level + 1, self.last_level)

    def to_json(self) -> dict[str, Any]:
        return {
            "waits": [int(w.total_seconds()) for w in self.waits],
            "repeat": int(self.repeat.total_seconds()),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Chain:
        return cls(
            waits=tuple(timedelta(seconds=s) for s in data["waits"]),
            repeat=timedelta(seconds=data["repeat"]),
        )


def audience_of(level: int) -> Audience:
    """Levels past the committee's are the committee again (the last level repeats)."""
    return Audience(min(level, Audience.COMMITTEE))


DEFAULT_CHAINS: dict[Urgency, Chain] = {
    Urgency.CRITICAL: Chain((timedelta(minutes=2), timedelta(minutes=3)), timedelta(minutes=5)),
    Urgency.HIGH: Chain((timedelta(minutes=5), timedelta(minutes=10)), timedelta(minutes=10)),
    Urgency.NORMAL: Chain((timedelta(hours=4), timedelta(hours=8)), timedelta(days=1)),
}
