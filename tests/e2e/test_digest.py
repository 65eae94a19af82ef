"""The morning digest: a recurring durable deadline, working days only, skipped when empty."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select

from bot.domain.priority import Priority
from bot.files.roster import parse_roster
from storage.db import make_engine
from storage.roster_store import import_roster
from storage.tables import branches, care_plans, deadlines, outbox, visits
from tests.e2e.conftest import CHEN, MAO, ROSTER, WANG, ZHOU, World, runtime_for, service_request

SHANGHAI = ZoneInfo("Asia/Shanghai")


async def _with_digest(world: World, at: str = "08:30") -> None:
    """Restart the bot on the example roster plus a digest section."""
    db = Path(world.runtime.settings.db)
    await world.runtime.stop()
    text = ROSTER.read_text() + f'\ndigest: {{at: "{at}"}}\n'
    engine = make_engine(str(db))
    await import_roster(engine, parse_roster(text, "roster.yaml"), now=world.clock.now())
    await engine.dispose()
    world.runtime = runtime_for(world.server, db, world.clock)
    await world.runtime.start()


async def _pending_digests(world: World) -> list[datetime]:
    async with world.runtime.engine.connect() as conn:
        found: Any = await conn.scalars(
            select(deadlines.c.due_at)
            .where(deadlines.c.kind == "digest", deadlines.c.status == "pending")
            .order_by(deadlines.c.due_at)
        )
        return list(found)


async def _until_digest(world: World) -> datetime:
    (due,) = await _pending_digests(world)
    await world.advance(seconds=(due - world.clock.now()).total_seconds() + 1)
    return due


async def _visit_due(world: World, branch_key: str, on: date) -> None:
    async with world.runtime.engine.begin() as conn:
        branch_id = await conn.scalar(select(branches.c.id).where(branches.c.key == branch_key))
        now = world.clock.now()
        plan = await conn.execute(
            insert(care_plans).values(
                key="visit-old-wu",
                branch_id=branch_id,
                kind="care",
                cared_for="老吴",
                note="",
                rule="FREQ=WEEKLY",
                start=on,
                remind_days_before=1,
                grace="3d",
                state="active",
                source="file",
                created_at=now,
                updated_at=now,
            )
        )
        await conn.execute(
            insert(visits).values(
                plan_id=plan.inserted_primary_key[0],  # type: ignore[index]
                occurrence=on,
                due_on=on,
                grace_until=now + timedelta(days=10),
                state="due",
                escalation_level=0,
                created_at=now,
                updated_at=now,
            )
        )


async def test_digest_is_armed_at_start_for_a_working_morning_and_rearms_itself(
    world: World,
) -> None:
    await service_request(world, MAO, "Medical bill reimbursement", "receipts for March")
    await world.user(MAO).wait_message("received")
    await _with_digest(world)
    (due,) = await _pending_digests(world)
    local = due.astimezone(SHANGHAI)
    assert local.time() == time(8, 30) and local.weekday() < 5
    await _visit_due(world, "dock", local.date())
    await _until_digest(world)
    digest = await world.user(WANG).wait_message("Morning digest · 仓储部支部")
    assert "Waiting for a taker: 1 — #1" in digest.text
    dock = await world.user(ZHOU).wait_message("Morning digest · 码头机修支部")
    assert "Visits due: 老吴" in dock.text
    company = await world.user(CHEN).wait_message("Company digest")
    assert "仓储部支部: 1 open" in company.text and "码头机修支部: 0 open" in company.text
    async with world.runtime.engine.connect() as conn:
        bands: set[int] = set(
            await conn.scalars(select(outbox.c.priority).where(outbox.c.purpose == "digest"))
        )
    assert bands == {Priority.LOW}
    (following,) = await _pending_digests(world)
    assert following > due and following.astimezone(SHANGHAI).weekday() < 5
    assert following.astimezone(SHANGHAI).time() == time(8, 30)


async def test_a_morning_with_nothing_to_say_sends_nothing(world: World) -> None:
    await _with_digest(world, at="07:45")
    world.user(WANG).mark()
    world.user(CHEN).mark()
    await _until_digest(world)
    await world.settle()
    assert await world.count(outbox, outbox.c.purpose == "digest") == 0
    assert len(await _pending_digests(world)) == 1  # but tomorrow's is armed


async def test_no_digest_without_the_roster_section(world: World) -> None:
    assert await _pending_digests(world) == []
