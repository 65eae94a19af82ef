"""Escalation policy: which level is alerted when (DESIGN.md §4).

Level 0 is the members who handle the topic, level 1 the branch secretary, level 2 the
committee. ``waits[i]`` is how long level ``i`` has before level ``i + 1`` is alerted as
well; after the last wait the last level is alerted again every ``repeat``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum
from typing import Any

from bot.domain.kinds import Urgency
from bot.domain.worktime import WorkCalendar


class Audience(IntEnum):
    MEMBERS = 0  # the branch members who handle the topic
    SECRETARY = 1  # the branch secretary
    COMMITTEE = 2  # the company's duty officers


@dataclass(frozen=True)
class Chain:
    """A request's timing, frozen onto it when it is raised.

    The escalation chain of its urgency plus the clocks that run after a take: how long
    an owner may stay silent, by when it should be resolved, when an unconfirmed
    resolution is chased. ``working_time`` makes all of them count working time only.
    """

    waits: tuple[timedelta, ...]
    repeat: timedelta
    take_timeout: timedelta = timedelta(minutes=30)
    resolve_within: timedelta = timedelta(hours=4)
    confirm_remind: timedelta = timedelta(hours=24)
    confirm_escalate: timedelta = timedelta(hours=72)
    working_time: bool = False

    @property
    def last_level(self) -> int:
        return len(self.waits)

    def wait_after(self, level: int) -> timedelta:
        """How long ``level`` has before the next alert goes out."""
        return self.waits[level] if level < len(self.waits) else self.repeat

    def next_level(self, level: int) -> int:
        return min(level + 1, self.last_level)

    def to_json(self) -> dict[str, Any]:
        """The escalation chain alone, as the roster policy stores it."""
        return {
            "waits": [int(w.total_seconds()) for w in self.waits],
            "repeat": int(self.repeat.total_seconds()),
        }

    def frozen_json(self) -> dict[str, Any]:
        """Everything a request keeps of the policy it was raised under."""

        def secs(d: timedelta) -> int:
            return int(d.total_seconds())

        return {
            **self.to_json(),
            "take_timeout": secs(self.take_timeout),
            "resolve_within": secs(self.resolve_within),
            "confirm_remind": secs(self.confirm_remind),
            "confirm_escalate": secs(self.confirm_escalate),
            "working_time": self.working_time,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Chain:
        optional = {
            key: timedelta(seconds=data[key])
            for key in ("take_timeout", "resolve_within", "confirm_remind", "confirm_escalate")
            if key in data
        }
        return cls(
            waits=tuple(timedelta(seconds=s) for s in data["waits"]),
            repeat=timedelta(seconds=data["repeat"]),
            working_time=bool(data.get("working_time", False)),
            **optional,
        )


def audience_of(level: int) -> Audience:
    """Levels past the committee's are the committee again (the last level repeats)."""
    return Audience(min(level, Audience.COMMITTEE))


# Whether an audience has someone reachable for the request at hand.
Staffed = Callable[[Audience], bool]


def first_staffed(chain: Chain, start: int, staffed: Staffed) -> int:
    """The level alerted when ``start`` is due: the first from there whose audience has
    someone reachable, else the last level - nobody waits out a timer for a phone that
    will never ring."""
    level = start
    while not staffed(audience_of(level)) and level < chain.last_level:
        level += 1
    return level


@dataclass(frozen=True)
class Step:
    level: int  # the level alerted now
    next_due: datetime  # when the step after it is due


def next_step(
    chain: Chain, level: int, due: datetime, staffed: Staffed, calendar: WorkCalendar | None
) -> Step:
    """Where a request goes when the wait of ``level``, due at ``due``, runs out: the next
    staffed level (the last one again at the top), and when its own wait runs out,
    counted from ``due`` (a chain that fell behind while the bot was down catches up), in
    working time when the request counts working time."""
    alerted = first_staffed(chain, chain.next_level(level), staffed)
    wait = chain.wait_after(alerted)
    return Step(alerted, calendar.add(due, wait) if calendar else due + wait)


DEFAULT_CHAINS: dict[Urgency, Chain] = {
    Urgency.CRITICAL: Chain((timedelta(minutes=2), timedelta(minutes=3)), timedelta(minutes=5)),
    Urgency.HIGH: Chain((timedelta(minutes=5), timedelta(minutes=10)), timedelta(minutes=10)),
    Urgency.NORMAL: Chain((timedelta(hours=4), timedelta(hours=8)), timedelta(days=1)),
}
