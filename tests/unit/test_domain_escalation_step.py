"""The escalation decision as a table (``bot.domain.escalation.next_step``): from a level
whose wait ran out at a named instant, which level is alerted and when the next step is
due - for every level, staffing and calendar that matter."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.escalation import DEFAULT_CHAINS, Audience, Chain, Step, first_staffed, next_step
from bot.domain.kinds import Urgency
from bot.domain.worktime import WorkCalendar

SH = ZoneInfo("Asia/Shanghai")
CRITICAL = DEFAULT_CHAINS[Urgency.CRITICAL]  # 2 min, 3 min, then every 5 min
NORMAL = DEFAULT_CHAINS[Urgency.NORMAL]  # 4 h, 8 h, then every day
TUE_10 = datetime(2026, 12, 8, 10, 0, tzinfo=SH)  # a Tuesday morning
FRI_16 = datetime(2026, 12, 11, 16, 0, tzinfo=SH)  # a Friday afternoon
OFFICE = WorkCalendar(SH)  # 08:30-17:30, Monday to Friday

ALL = frozenset({Audience.MEMBERS, Audience.SECRETARY, Audience.COMMITTEE})
NO_SECRETARY = frozenset({Audience.MEMBERS, Audience.COMMITTEE})
NOBODY: frozenset[Audience] = frozenset()


@pytest.mark.parametrize(
    ("chain", "level", "due", "staffed", "calendar", "expected"),
    [
        # members' wait ran out: the secretary, whose 3 min count from when it was due
        (CRITICAL, 0, TUE_10, ALL, None, Step(1, TUE_10 + timedelta(minutes=3))),
        # the secretary's ran out: the committee, then every 5 min
        (CRITICAL, 1, TUE_10, ALL, None, Step(2, TUE_10 + timedelta(minutes=5))),
        # at the top: the committee again
        (CRITICAL, 2, TUE_10, ALL, None, Step(2, TUE_10 + timedelta(minutes=5))),
        # no reachable secretary: straight to the committee, on the committee's wait
        (CRITICAL, 0, TUE_10, NO_SECRETARY, None, Step(2, TUE_10 + timedelta(minutes=5))),
        # nobody reachable at all: the last level still, and its repeat
        (CRITICAL, 0, TUE_10, NOBODY, None, Step(2, TUE_10 + timedelta(minutes=5))),
        # working time: the secretary's 8 h from Friday 16:00 (1.5 h left that day) end
        # on Monday 15:00
        (NORMAL, 0, FRI_16, ALL, OFFICE, Step(1, datetime(2026, 12, 14, 15, 0, tzinfo=SH))),
        # the same chain in wall-clock time: Saturday 00:00
        (NORMAL, 0, FRI_16, ALL, None, Step(1, datetime(2026, 12, 12, 0, 0, tzinfo=SH))),
        # a chain of one level: it repeats itself
        (
            Chain((timedelta(minutes=1),), timedelta(minutes=7)),
            1,
            TUE_10,
            ALL,
            None,
            Step(1, TUE_10 + timedelta(minutes=7)),
        ),
    ],
)
def test_next_step(
    chain: Chain,
    level: int,
    due: datetime,
    staffed: frozenset[Audience],
    calendar: WorkCalendar | None,
    expected: Step,
) -> None:
    assert next_step(chain, level, due, staffed.__contains__, calendar) == expected


@pytest.mark.parametrize(
    ("start", "staffed", "level"),
    [
        (0, ALL, 0),
        (0, frozenset({Audience.COMMITTEE}), 2),
        (1, NO_SECRETARY, 2),
        (1, NOBODY, 2),
        (2, NOBODY, 2),
    ],
)
def test_first_staffed(start: int, staffed: frozenset[Audience], level: int) -> None:
    assert first_staffed(CRITICAL, start, staffed.__contains__) == level
