"""The named instants the tests start from: no test reads today's date.

A fake clock that starts at ``datetime.now()`` makes a test see whatever the example
roster's care plans, duties and rota do on the day it runs, so a suite green on Tuesday
fails on the first Saturday of the month. Every world starts from one of these instants
instead, chosen on purpose: a quiet one for the stories that are not about the calendar,
and the awkward ones of the calendar (``AWKWARD``) for the stories that are.

Times are written in the line's zone (Asia/Shanghai), as the people of the port read them.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def shanghai(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


# Wednesday 2026-11-18, 10:00: a working morning two weeks before the example roster's
# plans, duties and rota begin (2026-12-01), so nothing of the calendar speaks up while a
# story that is not about the calendar runs, even one that spans several days.
QUIET = shanghai(2026, 11, 18, 10)

# Tuesday 2026-12-01, 08:00: the day the example roster's plans start (tests of plans and
# the rota count their days from here).
DEC_1_MORNING = shanghai(2026, 12, 1, 8)

# The awkward ones (tests/e2e/test_moments.py runs the emergency story at each):
# Saturday 2026-12-05, 07:00: the first Saturday of a month, the day of the example
# roster's monthly visit `sun-guardian`; not a working day.
FIRST_SATURDAY = shanghai(2026, 12, 5, 7)
# Sunday 2026-12-06, 07:00: not a working day, the rota's overnight weekend shift ends.
SUNDAY = shanghai(2026, 12, 6, 7)
# Friday 2027-01-01, 07:00: New Year's Day, a public holiday in the example roster.
HOLIDAY = shanghai(2027, 1, 1, 7)
# Thursday 2026-12-31, 23:50: the last minutes of the year in Shanghai while UTC is still
# on the 31st (15:50 UTC); ten minutes later the local year has turned and UTC's has not.
YEAR_END = shanghai(2026, 12, 31, 23, 50)
# Tuesday 2028-02-29, 07:00: a leap day, the last day of its month (the example roster's
# `retired-fang` visit falls on it).
LEAP_DAY = shanghai(2028, 2, 29, 7)

AWKWARD = {
    "first-saturday": FIRST_SATURDAY,
    "sunday": SUNDAY,
    "holiday": HOLIDAY,
    "year-end": YEAR_END,
    "leap-day": LEAP_DAY,
}


def helpline(argv: list[str], at: datetime = QUIET) -> int:
    """The ``helpline`` command run in-process with its clock at a named instant."""
    from bot.cli.main import main
    from bot.clock import FakeClock

    return main(argv, FakeClock(at))
