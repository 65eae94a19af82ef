"""The line on the calendar's awkward days (tests/moments.py), each a named instant.

The example roster plus the company's calendar (a morning digest, New Year's Day as a
holiday) is loaded at the moment itself, as an admin would on that day. At each moment:
an emergency rings at once and climbs its chain on the minute, whatever the day; a
service request waits for working time and the digest for a working morning; the plans
due that day remind their visitors that morning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.files.roster import parse_roster
from storage.db import make_engine
from storage.roster_store import import_roster
from storage.tables import deadlines, events, requests
from tests.e2e.conftest import (
    CHEN,
    LI,
    MAO,
    QIAN,
    ROSTER,
    WANG,
    WU,
    ZHAO,
    World,
    runtime_for,
    service_request,
)
from tests.moments import (
    FIRST_SATURDAY,
    HOLIDAY,
    LEAP_DAY,
    QUIET,
    SUNDAY,
    YEAR_END,
    shanghai,
)

CALENDAR = '\ndigest: {at: "08:30"}\nholidays: [2027-01-01]\n'


@dataclass(frozen=True)
class Day:
    """What the line owes at a moment: when working time opens (a service request's alert,
    the digest) and who is reminded of a visit that morning (and of what)."""

    opens: datetime
    digest: datetime
    reminded: dict[int, str] = field(default_factory=dict)
    morning: datetime | None = None  # when ``reminded`` are reminded


DAYS = {
    # A working morning: the service request rings at once, the digest tomorrow morning.
    "quiet": (QUIET, Day(QUIET, shanghai(2026, 11, 19, 8, 30))),
    # The first Saturday of December: sun-guardian's visit day; work waits for Monday.
    "first-saturday": (
        FIRST_SATURDAY,
        Day(
            shanghai(2026, 12, 7, 8, 30),
            shanghai(2026, 12, 7, 8, 30),
            {LI: "孙琪伟", ZHAO: "孙琪伟"},
            shanghai(2026, 12, 5, 8, 30),
        ),
    ),
    "sunday": (SUNDAY, Day(shanghai(2026, 12, 7, 8, 30), shanghai(2026, 12, 7, 8, 30))),
    # New Year's Day, a holiday, then a weekend: work waits for Monday the 4th.
    "holiday": (HOLIDAY, Day(shanghai(2027, 1, 4, 8, 30), shanghai(2027, 1, 4, 8, 30))),
    # The last minutes of 2026: the emergency's chain crosses into 2027 in Shanghai while
    # UTC is still on 31 December; the next working time is after the holiday weekend.
    # retired-fang's visit of the 31st, armed that night, is news the next morning.
    "year-end": (
        YEAR_END,
        Day(
            shanghai(2027, 1, 4, 8, 30),
            shanghai(2027, 1, 4, 8, 30),
            {WU: "方师傅"},
            shanghai(2027, 1, 1, 8, 30),
        ),
    ),
    # 29 February 2028, a Tuesday: retired-fang's "last day of the month" visit.
    "leap-day": (
        LEAP_DAY,
        Day(
            shanghai(2028, 2, 29, 8, 30),
            shanghai(2028, 2, 29, 8, 30),
            {WU: "方师傅"},
            shanghai(2028, 2, 29, 8, 30),
        ),
    ),
}


@pytest.fixture(params=list(DAYS), ids=list(DAYS))
def case(request: pytest.FixtureRequest) -> tuple[datetime, Day]:
    return DAYS[request.param]


@pytest.fixture
def moment(case: tuple[datetime, Day]) -> datetime:
    return case[0]


async def _with_calendar(world: World) -> None:
    """Load the example roster plus the company calendar at this moment, and restart."""
    db = Path(world.runtime.settings.db)
    await world.runtime.stop()
    engine = make_engine(str(db))
    roster = parse_roster(ROSTER.read_text() + CALENDAR, "roster.yaml")
    await import_roster(engine, roster, now=world.clock.now())
    await engine.dispose()
    world.runtime = runtime_for(world.server, db, world.clock)
    await world.runtime.start()


async def _until(world: World, at: datetime) -> None:
    await world.advance(seconds=(at - world.clock.now()).total_seconds())
    await world.settle()


def _texts(world: World, who: int, *needles: str) -> list[str]:
    return [m.text for m in world.user(who).messages if all(n in m.text for n in needles)]


async def test_the_line_keeps_its_promises_on_an_awkward_day(
    world: World, case: tuple[datetime, Day]
) -> None:
    _, day = case
    await _with_calendar(world)
    async with world.runtime.engine.connect() as conn:
        digests: Any = await conn.scalars(
            select(deadlines.c.due_at).where(
                deadlines.c.kind == "digest", deadlines.c.status == "pending"
            )
        )
        assert [d.astimezone(UTC) for d in digests] == [day.digest.astimezone(UTC)]

    # An emergency rings at once and climbs on the minute, whatever the calendar says.
    world.user(MAO).send("/120 chest pain")
    for member in (LI, QIAN):
        await world.user(member).wait_message("chest pain")
    await world.advance(minutes=2)
    await world.user(WANG).wait_message("ESCALATION from level 0")
    await world.advance(minutes=3)
    await world.user(CHEN).wait_message("ESCALATION from level 1")
    alert = next(m for m in world.user(LI).messages if "chest pain" in m.text)
    await world.user(LI).press(alert, "Take")
    mine = await world.user(LI).wait_message(lambda m: "Resolved" in m.buttons)
    await world.user(LI).press(mine, "Resolved")
    question = await world.user(MAO).wait_message(lambda m: "Confirm" in m.buttons)
    await world.user(MAO).press(question, "Confirm")
    await world.user(LI).wait_message("confirmed request #1")
    for who in (LI, QIAN, WANG, CHEN):
        assert len(_texts(world, who, "#1", "chest pain")) == 1, who

    # A service request waits for working time, and rings when it opens.
    await service_request(world, MAO, "Medical bill reimbursement", "medical bill")
    await world.settle()
    # The visits of the day remind their visitors that morning, once.
    if day.morning is not None:
        await _until(world, day.morning)
        for who, cared_for in day.reminded.items():
            await world.user(who).wait_message(cared_for)
    if day.opens > world.clock.now():
        assert _texts(world, LI, "medical bill") == []
        await _until(world, day.opens)
    await world.user(LI).wait_message("medical bill")
    for who, cared_for in day.reminded.items():
        assert len(_texts(world, who, cared_for)) == 1, (who, world.user(who).messages)
    async with world.runtime.engine.connect() as conn:
        number = await conn.scalar(select(requests.c.id).where(requests.c.kind == "120"))
        kinds: list[str] = list(
            await conn.scalars(
                select(events.c.type).where(events.c.request_id == number).order_by(events.c.id)
            )
        )
    assert kinds == [
        "raised",
        "alerted",
        "escalated",
        "escalated",
        "taken",
        "resolved",
        "closed",
    ], kinds
