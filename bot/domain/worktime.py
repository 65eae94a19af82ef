"""Working time: normal-urgency deadlines count it, and their alerts wait for it.

A calendar of working hours on working days, minus holidays, in the configured zone.
Durations in whole days mean working days ("1 working day" = the same time on the next
working day); shorter ones count working minutes ("4h" = four working hours).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAY = timedelta(days=1)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class WorkCalendar:
    tz: ZoneInfo
    start: time = time(8, 30)
    end: time = time(17, 30)
    days: frozenset[int] = frozenset(range(5))  # Monday = 0
    holidays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if not self.start < self.end:
            raise ValueError("working hours must end after they start")
        if not self.days:
            raise ValueError("at least one working day is needed")

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.days and day not in self.holidays

    def _bounds(self, day: date) -> tuple[datetime, datetime]:
        return (
            datetime.combine(day, self.start, self.tz),
            datetime.combine(day, self.end, self.tz),
        )

    def is_open(self, at: datetime) -> bool:
        local = at.astimezone(self.tz)
        if not self.is_working_day(local.date()):
            return False
        opens, closes = self._bounds(local.date())
        return opens <= local < closes

    def next_open(self, at: datetime) -> datetime:
        """``at`` if it is working time, else when working time next begins."""
        local = at.astimezone(self.tz)
        day = local.date()
        for _ in range(3660):  # ten years of holidays is more than anyone configures
            if self.is_working_day(day):
                opens, closes = self._bounds(day)
                if local < opens:
                    return opens
                if local < closes:
                    return local
            day += DAY
            local = datetime.combine(day, time(0), self.tz)
        raise ValueError("no working time in the next ten years")

    def add(self, at: datetime, duration: timedelta) -> datetime:
        """``at`` plus ``duration`` of working time."""
        if duration % DAY == timedelta(0) and duration > timedelta(0):
            return self._add_days(at, duration // DAY)
        current = self.next_open(at)
        left = duration
        while True:
            _, closes = self._bounds(current.astimezone(self.tz).date())
            room = closes - current
            if left <= room:
                return current + left
            left -= room
            current = self.next_open(closes)

    def _add_days(self, at: datetime, days: int) -> datetime:
        current = self.next_open(at).astimezone(self.tz)
        day = current.date()
        for _ in range(days):
            day += DAY
            while not self.is_working_day(day):
                day += DAY
        return datetime.combine(day, current.time(), self.tz)


def parse_hours(raw: object) -> tuple[time, time]:
    """``"08:30-17:30"`` or ``{start: "08:30", end: "17:30"}`` into its two times."""
    try:
        if isinstance(raw, dict):
            first, second = str(raw["start"]), str(raw["end"])
        else:
            first, second = (part.strip() for part in str(raw).split("-"))
        return time.fromisoformat(first), time.fromisoformat(second)
    except (KeyError, ValueError) as exc:
        raise ValueError(f"working hours must look like 08:30-17:30, not {raw!r}") from exc


def parse_days(names: list[str]) -> frozenset[int]:
    days = set()
    for name in names:
        key = str(name).strip().lower()[:3]
        if key not in WEEKDAYS:
            raise ValueError(f"unknown weekday {name!r}; use mon, tue, wed, thu, fri, sat, sun")
        days.add(WEEKDAYS.index(key))
    return frozenset(days)
