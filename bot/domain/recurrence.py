"""Recurrences of care plans, fixed duties and duty shifts: RFC 5545 rules, read by dateutil.

A plan's rule is an ``RRULE`` without ``DTSTART``; the plan's start date (a local date in
the configured zone) is its ``DTSTART``. Occurrences are local *dates*: a visit is due on
a day, and the times of its reminders are worked out in the zone (``bot.domain.visits``),
so a daylight-saving change never moves a visit to another day. No date arithmetic of our
own: the dialog's plain-word choices are written as rules too (``monthly_on_day`` ...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from itertools import islice

from dateutil.rrule import rrule, rrulestr

from bot.domain.marker import N_
from bot.domain.refusal import DomainRefusal

MAX_RULE_LENGTH = 500
# Visits and shifts happen on days: a rule denser than daily (every hour, minute, second)
# or one that names hours would flood the members' phones.
ALLOWED_FREQUENCIES = {"DAILY", "WEEKLY", "MONTHLY", "YEARLY"}
# A rule whose next occurrence is further away than this is refused as never happening
# (Feb 29 recurs within eight years even across 2100).
HORIZON = timedelta(days=9 * 366)
WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


# The latest start a plan may have (a typo such as 9999-12-01 is refused, not overflowed).
LATEST_START = date(2199, 12, 31)


class RuleError(DomainRefusal):
    """A rule that cannot serve as a recurrence."""


@dataclass(frozen=True)
class Recurrence:
    """A checked rule from a start date; occurrences are local dates on or after ``start``."""

    rule: str
    start: date

    def next_on_or_after(self, day: date) -> date | None:
        """The first occurrence on ``day`` or later, None when the rule has ended."""
        found = _compiled(self.rule, self.start).after(_midnight(max(day, self.start)), inc=True)
        return found.date() if found is not None else None

    def next_after(self, day: date) -> date | None:
        """The first occurrence strictly after ``day``."""
        return self.next_on_or_after(day + timedelta(days=1))

    def occurs_on(self, day: date) -> bool:
        return self.next_on_or_after(day) == day

    def upcoming(self, day: date, count: int) -> list[date]:
        """Up to ``count`` occurrences from ``day`` on (for the dialog's summary)."""
        out: list[date] = []
        current = self.next_on_or_after(day)
        while current is not None and len(out) < count:
            out.append(current)
            current = self.next_after(current)
        return out


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0))


@lru_cache(maxsize=4096)
def _compiled(rule: str, start: date) -> rrule:
    """Plans share a handful of rules: parse each (rule, start) once."""
    # cache=True: plans sharing a rule and start walk its occurrences once, not each time.
    parsed = rrulestr(rule, dtstart=_midnight(start), cache=True)
    assert isinstance(parsed, rrule)
    return parsed


def parse_rule(rule: str, start: date, *, today: date | None = None) -> Recurrence:
    """Check ``rule`` from ``start``; raise RuleError for anything that cannot recur sanely.

    With ``today``, a rule with no occurrence left from today on is refused as well.
    """
    if start > LATEST_START:  # later ones would overflow the date arithmetic below
        raise RuleError(
            N_("the start {date} is too far ahead; a plan starts by {limit} at the latest"),
            date=start.isoformat(),
            limit=LATEST_START.isoformat(),
        )
    text = "".join(str(rule).split()).upper().removeprefix("RRULE:")
    if not text:
        raise RuleError(N_("the recurrence is empty"))
    if len(text) > MAX_RULE_LENGTH:
        raise RuleError(N_("the recurrence is longer than {limit} characters"), limit=500)
    if any(word in text for word in ("DTSTART", "RDATE", "EXDATE", "EXRULE")):
        raise RuleError(N_("write one RRULE without DTSTART; the plan's start date is its start"))
    try:
        parsed = rrulestr(text, dtstart=_midnight(start))
    except (ValueError, TypeError, KeyError, IndexError):
        raise RuleError(
            N_("'{rule}' is not an RFC 5545 RRULE such as FREQ=MONTHLY;BYDAY=1SA"), rule=text
        ) from None
    if not isinstance(parsed, rrule):
        raise RuleError(N_("write one RRULE without DTSTART; the plan's start date is its start"))
    # dateutil takes the last FREQ= of a rule: a second one must not slip past this check.
    freqs = re.findall(r"FREQ=([A-Z]+)", text)
    if (
        len(freqs) != 1
        or freqs[0] not in ALLOWED_FREQUENCIES
        or any(part in text for part in ("BYHOUR", "BYMINUTE", "BYSECOND"))
    ):
        raise RuleError(N_("'{rule}' recurs more often than once a day"), rule=text)
    recurrence = Recurrence(text, start)
    origin = max(start, today) if today is not None else start
    possible = _possible_at_all(text, start)
    first = _first_within_horizon(parsed, origin) if possible else None
    if first is None:
        raise RuleError(N_("'{rule}' never happens from {start} on"), rule=text, start=origin)
    return recurrence


def _first_within_horizon(parsed: rrule, origin: date) -> date | None:
    """The first occurrence from ``origin`` within the horizon, or None.

    dateutil walks period by period until it finds a match, so a rule that never matches
    (``FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30``) would walk to the year 9999 - seconds with
    the event loop blocked. The walk is bounded with an UNTIL at the horizon (or the
    rule's own, if earlier); a COUNT still counts from the rule's start.
    """
    end = _midnight(origin + HORIZON)
    until = getattr(parsed, "_until", None)
    count = getattr(parsed, "_count", None)
    bounded = parsed.replace(count=None, until=min(until, end) if until else end)
    firsts = islice(bounded, count) if count is not None else bounded
    for found in firsts:
        if found.date() >= origin:
            return found.date()
    return None


_DATE_PARTS = ("BYMONTH=", "BYMONTHDAY=", "BYYEARDAY=", "BYWEEKNO=")


def _possible_at_all(text: str, start: date) -> bool:
    """A quick test before the walk: dateutil checks UNTIL only when a day matches, so a
    daily or weekly rule whose date parts never match (``FREQ=DAILY;BYMONTH=2;
    BYMONTHDAY=30``) would still walk day by day to the year 9999. Its days are among
    those of the same parts counted yearly, which walks a year at a time: if those never
    happen, neither does the rule."""
    if not any(part in text for part in _DATE_PARTS):
        return True
    parts = [
        p
        for p in text.split(";")
        if p and not p.startswith(("FREQ=", "INTERVAL=", "COUNT=", "UNTIL=", "WKST="))
    ]
    yearly = rrulestr(";".join(["FREQ=YEARLY", *parts]), dtstart=_midnight(start))
    return yearly.after(_midnight(start), inc=True) is not None


# The dialog's plain-word choices, written as rules.


def monthly_on_day(day: int) -> str:
    """Monthly on ``day``; in months too short for it, on the month's last day."""
    if not 1 <= day <= 31:
        raise RuleError(N_("a day of the month is 1 to 31, not {day}"), day=day)
    if day <= 28:
        return f"FREQ=MONTHLY;BYMONTHDAY={day}"
    # The last of the days 28..day that the month has: day 31 is the 30th in April.
    days = ",".join(str(d) for d in range(28, day + 1))
    return f"FREQ=MONTHLY;BYMONTHDAY={days};BYSETPOS=-1"


def nth_weekday(nth: int, weekday: int) -> str:
    """The first (1) ... fourth (4) or last (-1) ``weekday`` (Monday = 0) of each month."""
    if nth not in (1, 2, 3, 4, -1) or not 0 <= weekday <= 6:
        raise RuleError(N_("pick the first to fourth or the last weekday of the month"))
    return f"FREQ=MONTHLY;BYDAY={nth}{WEEKDAY_CODES[weekday]}"


def every_n_weeks(weeks: int, weekday: int) -> str:
    """Every ``weeks`` weeks on ``weekday``, counted from the plan's start."""
    if not 1 <= weeks <= 52 or not 0 <= weekday <= 6:
        raise RuleError(N_("every 1 to 52 weeks, on one weekday"))
    interval = f";INTERVAL={weeks}" if weeks > 1 else ""
    return f"FREQ=WEEKLY{interval};BYDAY={WEEKDAY_CODES[weekday]}"


def yearly_on(month: int, day: int) -> str:
    """Every year on ``month``-``day`` (Feb 29 only in leap years)."""
    try:
        date(2028, month, day)  # a leap year: every date that can exist
    except ValueError:
        raise RuleError(N_("{month}-{day} is not a date"), month=month, day=day) from None
    return f"FREQ=YEARLY;BYMONTH={month};BYMONTHDAY={day}"


ONCE = "FREQ=DAILY;COUNT=1"  # one visit, on the plan's start date
