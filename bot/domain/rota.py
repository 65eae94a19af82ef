"""The duty rota: who of a branch is on duty when (DESIGN.md §4).

A shift is a recurrence of days (``bot.domain.recurrence``) and local hours; a shift whose
end is not after its start runs past midnight into the next day. A weekly table in the
roster (``mon: [li]``) is one weekly rule per weekday and person.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bot.domain.marker import N_
from bot.domain.recurrence import WEEKDAY_CODES, Recurrence
from bot.domain.refusal import DomainRefusal
from bot.domain.worktime import WEEKDAYS

# A weekly table's rows need a DTSTART: a fixed Monday (a weekly rule recurs the same).
TABLE_START = date(2026, 1, 5)
WHOLE_DAY = (time(0), None)  # None as the end: midnight at the end of the day
_HOURS = re.compile(r"([0-9]{2}):([0-9]{2})\s*-\s*([0-9]{2}):([0-9]{2})", re.ASCII)


class RotaError(DomainRefusal):
    """A rota entry that cannot be a shift."""


@dataclass(frozen=True)
class Shift:
    person_id: int
    rule: str
    start: date
    begins: time = time(0)
    ends: time | None = None  # None: until midnight

    @property
    def overnight(self) -> bool:
        return self.ends is not None and self.ends <= self.begins

    def covers(self, local: datetime) -> bool:
        """Is ``local`` (a time in the configured zone) within this shift?"""
        days = Recurrence(self.rule, self.start)
        today, now = local.date(), local.time()
        if self.overnight:
            assert self.ends is not None
            if now >= self.begins and days.occurs_on(today):
                return True
            return now < self.ends and days.occurs_on(today - timedelta(days=1))
        if not days.occurs_on(today):
            return False
        return self.begins <= now and (self.ends is None or now < self.ends)


def on_duty(shifts: list[Shift], local: datetime) -> frozenset[int]:
    """Who is on duty at ``local``."""
    return frozenset(s.person_id for s in shifts if s.covers(local))


def parse_hours(text: str) -> tuple[time, time | None]:
    """``08:00-20:00`` (``24:00`` is the end of the day; ``20:00-08:00`` runs overnight)."""
    match = _HOURS.fullmatch(str(text).strip())
    try:
        if match is None:
            raise ValueError(text)
        begins = time(int(match.group(1)), int(match.group(2)))
        end_h, end_m = int(match.group(3)), int(match.group(4))
        ends = None if (end_h, end_m) == (24, 0) else time(end_h, end_m)
    except ValueError:
        raise RotaError(N_("hours look like 08:00-20:00, not {text}"), text=text) from None
    if ends is not None and ends == begins:
        raise RotaError(N_("a shift cannot end when it begins ({text})"), text=text)
    return begins, ends


def format_hours(begins: time, ends: time | None) -> str:
    return f"{begins:%H:%M}-{'24:00' if ends is None else f'{ends:%H:%M}'}"


def weekday_index(name: str) -> int:
    """``mon`` (or ``monday``, ``Mo``) into 0 ... ``sun`` into 6."""
    key = str(name).strip().lower()
    codes = [c.lower() for c in WEEKDAY_CODES]
    if key in codes:
        return codes.index(key)
    key = key[:3]
    if key not in WEEKDAYS:
        raise RotaError(
            N_("unknown weekday {name}; use mon, tue, wed, thu, fri, sat, sun"), name=name
        )
    return WEEKDAYS.index(key)


def weekly_rule(weekday: int) -> str:
    """The rule of a weekly table's column."""
    return f"FREQ=WEEKLY;BYDAY={WEEKDAY_CODES[weekday]}"


def table_weekday(rule: str) -> int | None:
    """The weekday of a weekly table's rule, None for any other rule."""
    for index in range(7):
        if rule == weekly_rule(index):
            return index
    return None
