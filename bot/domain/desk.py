"""The secretary's desk: which request is the most trouble, board pages, the digest's hour.

Pure rules, so the board's order and the digest's schedule are tested without a database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from bot.domain.kinds import Urgency
from bot.domain.lifecycle import State
from bot.domain.worktime import WorkCalendar

PAGE_SIZE = 5  # requests per board page: five entries and their buttons fit a phone screen
DEFAULT_DIGEST_AT = time(8, 30)


@dataclass(frozen=True)
class BoardEntry:
    """What ordering a request on the board looks at."""

    number: int
    urgency: Urgency
    state: State
    created_at: datetime
    overdue: bool  # escalated past its members, or a deadline already chased


def trouble_rank(entry: BoardEntry) -> int:
    """0: a critical or high request nobody has finished; 1: overdue; 2: the rest."""
    if entry.urgency in (Urgency.CRITICAL, Urgency.HIGH) and entry.state is not State.RESOLVED:
        return 0
    return 1 if entry.overdue else 2


def board_order(entries: list[BoardEntry]) -> list[BoardEntry]:
    """Most trouble first; within the same trouble the newest first."""
    return sorted(entries, key=lambda e: (trouble_rank(e), -e.created_at.timestamp(), -e.number))


@dataclass(frozen=True)
class Page:
    index: int  # 0-based, clamped to the pages there are
    count: int  # how many pages (at least 1)
    start: int
    stop: int

    @property
    def has_prev(self) -> bool:
        return self.index > 0

    @property
    def has_next(self) -> bool:
        return self.index + 1 < self.count


def page_of(total: int, wanted: int, size: int = PAGE_SIZE) -> Page:
    """The page ``wanted`` of ``total`` items; a stale page number shows the last one."""
    count = max(1, -(-total // size))
    index = min(max(wanted, 0), count - 1)
    return Page(index, count, index * size, min(total, (index + 1) * size))


class DigestConfigError(ValueError):
    """The roster's ``digest`` section is not ``{at: "HH:MM"}``."""


def digest_at(extras: dict[str, Any]) -> time | None:
    """When the morning digest goes out; None when the roster asks for none."""
    section = extras.get("digest")
    if section is None:
        return None
    if not isinstance(section, dict) or set(section) - {"at"}:
        raise DigestConfigError('digest must be a mapping such as {at: "08:30"}')
    raw = section.get("at", DEFAULT_DIGEST_AT.strftime("%H:%M"))
    if isinstance(raw, int):  # YAML 1.1 reads an unquoted 08:30 as a sexagesimal number
        raw = f"{raw // 60:02d}:{raw % 60:02d}"
    try:
        return time.fromisoformat(str(raw))
    except ValueError:
        raise DigestConfigError(f"digest.at is not a time of day: {raw!r} (write 08:30)") from None


def next_digest(after: datetime, at: time, calendar: WorkCalendar) -> datetime:
    """The first working day's ``at`` (local time) strictly after ``after``."""
    day: date = after.astimezone(calendar.tz).date()
    for _ in range(3660):
        if calendar.is_working_day(day):
            due = datetime.combine(day, at, calendar.tz)
            if due > after:
                return due
        day += timedelta(days=1)
    raise ValueError("no working day in ten years")
