"""The duty rota: /duty shows it, a secretary edits its weekly table from the phone, new
requests ring the members on duty first, and a reception day reminds whoever is on duty.

The clock starts on Tuesday 2026-12-01 at 08:00 in Shanghai. The example roster's dock
branch keeps a rota (see examples/roster.yaml); the warehouse branch keeps none until its
secretary writes one.
"""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from storage.tables import duty_shifts, outbox, roster_events
from tests.e2e.conftest import LI, MAO, QIAN, WANG, WU, ZHOU, World

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def rota(dated: World) -> World:
    return dated


async def _alerted(world: World, request_id: int) -> set[int]:
    async with world.runtime.engine.connect() as conn:
        found: Any = await conn.scalars(
            select(outbox.c.chat_id).where(
                outbox.c.request_id == request_id, outbox.c.purpose == "alert"
            )
        )
        return set(found)


async def _raise_120(world: World) -> int:
    mao = world.user(MAO)
    mao.send("/120 新 胸口疼")  # each call a separate emergency
    ack = await mao.wait_message("received")
    match = re.search(r"#(\d+)", ack.text)
    assert match is not None
    await world.settle()
    return int(match.group(1))


async def test_duty_shows_who_is_on_duty_now_and_the_weekly_table(rota: World) -> None:
    wu = rota.user(WU)
    wu.send("/duty")
    shown = await wu.wait_message("On duty now")
    assert "码头机修支部" in shown.text and "Tuesday" in shown.text
    rota.user(MAO).send("/duty")
    await rota.user(MAO).wait_message("Only members of a branch have a duty rota.")


async def test_a_secretary_sets_a_day_and_urgent_alerts_prefer_who_is_on_duty(
    rota: World,
) -> None:
    first = await _raise_120(rota)
    assert {LI, QIAN} <= await _alerted(rota, first)  # no rota: every 120 handler rings
    wang = rota.user(WANG)
    wang.send("/duty tue li 08:00-20:00")
    await wang.wait_message("Tuesday: li.")
    second = await _raise_120(rota)
    alerted = await _alerted(rota, second)
    assert LI in alerted and QIAN not in alerted
    async with rota.runtime.engine.connect() as conn:
        assert (await conn.execute(select(duty_shifts.c.source))).scalars().all() != []
        types: Any = (await conn.execute(select(roster_events.c.type))).scalars().all()
    assert "duty" in types
    wang.send("/duty tue -")
    await wang.wait_message("Tuesday: nobody on duty.")
    third = await _raise_120(rota)
    assert {LI, QIAN} <= await _alerted(rota, third)


async def test_bad_duty_edits_are_explained_and_change_nothing(rota: World) -> None:
    wang, li = rota.user(WANG), rota.user(LI)
    wang.send("/duty someday li")
    await wang.wait_message("unknown weekday someday")
    wang.send("/duty mon nobody-here")
    await wang.wait_message("Nobody in the roster is called nobody-here.")
    wang.send("/duty mon wu")  # wu belongs to the dock branch
    await wang.wait_message("Only people of your branch can be on its duty rota.")
    wang.send("/duty mon li 25:00-26:00")
    await wang.wait_message("hours look like 08:00-20:00")
    li.send("/duty mon li")
    await li.wait_message("Only a branch secretary can do this.")
    async with rota.runtime.engine.connect() as conn:
        warehouse_rows = (
            await conn.execute(select(duty_shifts.c.id).where(duty_shifts.c.source == "bot"))
        ).all()
    assert warehouse_rows == []


async def test_the_reception_day_reminds_whoever_is_on_duty_that_morning(rota: World) -> None:
    zhou = rota.user(ZHOU)
    zhou.mark()
    await rota.advance(days=2, hours=1)  # Thursday 12-03 09:00
    await rota.settle()
    reminder = await zhou.wait_message("接待日")
    assert "today" in reminder.text and reminder.buttons == ["Done", "Postpone", "Can't go"]
