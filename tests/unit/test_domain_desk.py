"""The desk's rules: board order, pages, and when the digest goes out."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.desk import (
    BoardEntry,
    DigestConfigError,
    board_order,
    digest_at,
    next_digest,
    page_of,
)
from bot.domain.kinds import Urgency
from bot.domain.lifecycle import State
from bot.domain.worktime import WorkCalendar

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
SH = ZoneInfo("Asia/Shanghai")


def _entry(
    number: int, urgency: Urgency, state: State, hours_ago: int, overdue: bool = False
) -> BoardEntry:
    return BoardEntry(number, urgency, state, T0 - timedelta(hours=hours_ago), overdue)


def test_urgent_first_then_overdue_then_newest() -> None:
    entries = [
        _entry(1, Urgency.NORMAL, State.OPEN, 50),
        _entry(2, Urgency.NORMAL, State.TAKEN, 60, overdue=True),
        _entry(3, Urgency.HIGH, State.OPEN, 5),
        _entry(4, Urgency.CRITICAL, State.TAKEN, 1),
        _entry(5, Urgency.CRITICAL, State.RESOLVED, 0),  # done, only awaiting confirmation
        _entry(6, Urgency.NORMAL, State.OPEN, 2),
    ]
    assert [e.number for e in board_order(entries)] == [4, 3, 2, 5, 6, 1]


@pytest.mark.parametrize(
    ("total", "wanted", "index", "count", "span"),
    [
        (0, 0, 0, 1, (0, 0)),
        (5, 0, 0, 1, (0, 5)),
        (6, 1, 1, 2, (5, 6)),
        (12, 9, 2, 3, (10, 12)),  # a stale page number shows the last page
        (12, -3, 0, 3, (0, 5)),
    ],
)
def test_pages(total: int, wanted: int, index: int, count: int, span: tuple[int, int]) -> None:
    page = page_of(total, wanted)
    assert (page.index, page.count, (page.start, page.stop)) == (index, count, span)
    assert page.has_prev == (index > 0) and page.has_next == (index + 1 < count)


@pytest.mark.parametrize(
    ("extras", "expected"),
    [
        ({}, None),
        ({"digest": {}}, time(8, 30)),
        ({"digest": {"at": "07:15"}}, time(7, 15)),
        ({"digest": {"at": 510}}, time(8, 30)),  # YAML 1.1 sexagesimal 8:30
    ],
)
def test_digest_time(extras: dict[str, object], expected: time | None) -> None:
    assert digest_at(extras) == expected


@pytest.mark.parametrize(
    "bad", [{"digest": "8"}, {"digest": {"at": "25:00"}}, {"digest": {"when": "8"}}]
)
def test_bad_digest_time_is_refused(bad: dict[str, object]) -> None:
    with pytest.raises(DigestConfigError):
        digest_at(bad)


@pytest.mark.parametrize(
    ("after_local", "expected_local"),
    [
        (datetime(2026, 11, 23, 7, 0), datetime(2026, 11, 23, 8, 30)),  # Monday before
        (datetime(2026, 11, 23, 8, 30), datetime(2026, 11, 24, 8, 30)),  # exactly then: next
        (datetime(2026, 11, 27, 9, 0), datetime(2026, 11, 30, 8, 30)),  # Friday -> Monday
        (datetime(2026, 9, 30, 9, 0), datetime(2026, 10, 2, 8, 30)),  # over a holiday
    ],
)
def test_next_digest_is_on_a_working_morning(
    after_local: datetime, expected_local: datetime
) -> None:
    calendar = WorkCalendar(SH, holidays=frozenset({date(2026, 10, 1)}))
    got = next_digest(after_local.replace(tzinfo=SH), time(8, 30), calendar)
    assert got == expected_local.replace(tzinfo=SH)
